/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lookup half of the decision (dataplane/core/dp_route.c): From/To user
 * extraction, gateway Request-URIs, dialplan results turned into routes,
 * and whole bursts through location bindings and a compiled plan, as the
 * workers (and the control plane) run them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_route.h"

static void
no_sync(void *ctx)
{
	(void)ctx; /* single-threaded test: no reader to wait for */
}

struct user_case {
	const char *uri;
	const char *user; /* NULL: no user part */
};

static const struct user_case user_cases[] = {
	{"sip:alice@example.com", "alice"},
	{"sips:+4930123@gw.example.net:5061;user=phone", "+4930123"},
	{"sip:alice:secret@example.com", "alice:secret"},
	{"sip:%61lice@example.com", "%61lice"},
	{"sip:+1;npdi@h", "+1;npdi"},
	{"tel:+4930123;phone-context=example.com", "+4930123"},
	{"TEL:+4930123", "+4930123"},
	{"sip:gw.example.net", NULL},          /* a host is no user */
	{"sip:gw.example.net;transport=udp", NULL},
	{"sip:[2001:db8::1]:5060", NULL},
	{"urn:service:sos", NULL},
	{"garbage", NULL},
};

static void
test_uri_user(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(user_cases) / sizeof(user_cases[0]); i++) {
		const struct user_case *c = &user_cases[i];
		struct rules_view v = dp_uri_user(sip_str_make(c->uri, strlen(c->uri)));
		size_t want = c->user ? strlen(c->user) : 0;
		if (v.len != want || (want && memcmp(v.p, c->user, want) != 0))
			fail_msg("%s: user '%.*s', expected '%s'", c->uri, (int)v.len, v.p ? v.p : "",
					c->user ? c->user : "");
	}
}

/* The From and To users go into the query only when the plan reads them. */
static void
test_query_fields(void **state)
{
	struct sip_addr src = {.af = SIP_AF_INET};
	struct dp_query q = {
		.ruri_user = SIP_STR_LIT("100"),
		.ruri_host = SIP_STR_LIT("example.com"),
		.from_uri = SIP_STR_LIT("sip:alice@example.net"),
		.to_uri = SIP_STR_LIT("sip:bob@example.net"),
		.method = SIP_STR_LIT("INVITE"),
		.src = &src,
	};
	struct rules_query rq;
	(void)state;

	dp_rules_query(&q, 1u << RULES_F_USER, &rq);
	assert_int_equal(rq.user.len, 3);
	assert_null(rq.from.p);
	assert_null(rq.to.p);
	dp_rules_query(&q, 1u << RULES_F_FROM, &rq);
	assert_int_equal(rq.from.len, 5);
	assert_memory_equal(rq.from.p, "alice", 5);
	assert_null(rq.to.p);
	dp_rules_query(&q, 1u << RULES_F_FROM | 1u << RULES_F_TO, &rq);
	assert_int_equal(rq.to.len, 3);
	assert_memory_equal(rq.to.p, "bob", 3);
}

static void
test_gateway_ruri(void **state)
{
	char buf[128];
	struct sip_addr a4, a6;
	struct rules_view u = {"4930222", 7}, none = {NULL, 0};
	(void)state;

	assert_int_equal(sip_addr_parse(SIP_STR_LIT("10.0.0.20"), &a4), 0);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("2001:db8::20"), &a6), 0);
	struct sip_str r = dp_gateway_ruri(buf, sizeof(buf), u, &a4, 5060);
	assert_true(SIP_STR_EQ_LIT(r, "sip:4930222@10.0.0.20"));
	r = dp_gateway_ruri(buf, sizeof(buf), u, &a6, 5080);
	assert_true(SIP_STR_EQ_LIT(r, "sip:4930222@[2001:db8::20]:5080"));
	r = dp_gateway_ruri(buf, sizeof(buf), none, &a4, 5070);
	assert_true(SIP_STR_EQ_LIT(r, "sip:10.0.0.20:5070"));
	r = dp_gateway_ruri(buf, 10, u, &a4, 5060);
	assert_int_equal(r.len, 0);
}

static const char plan_text[] =
	"plan t\n"
	"group gw 10.0.0.20:5080\n"
	"group tcp 10.0.0.21:5060;transport=tcp\n"
	"group named gw.example.net:5060\n"
	"group zero 10.0.0.022:5070\n"
	"10 prefix 302 redirect 302 contact sip:+4930111@gw1.example.net\n"
	"10 prefix 100 forward gw\n"
	"10 prefix 101 forward tcp\n"
	"10 prefix 102 forward named\n"
	"10 prefix 103 forward zero\n"
	"10 prefix 403 reject 403 \"Barred\"\n"
	"10 prefix 666 drop\n"
	"20 from exact gw.example.net reject 480 \"From a host\"\n"
	"20 from exact carol reject 486 \"Carol\"\n";

struct burst_case {
	const char *name;
	const char *user;
	const char *from;
	enum dp_route_kind kind;
	uint16_t code;
	const char *ruri; /* forward: the new Request-URI */
	uint8_t transport; /* forward: the next hop's (0: UDP) */
	const char *extra; /* forward: the header lines added (NULL: none) */
	const char *nh;    /* forward: the next hop, address:port (NULL: not checked) */
};

static const struct burst_case burst_cases[] = {
	{"redirect", "302555", "sip:a@x", DP_ROUTE_REDIRECT, 302, NULL},
	{"forward", "100555", "sip:a@x", DP_ROUTE_FORWARD, 0, "sip:100555@10.0.0.20:5080",
		SIP_TP_UDP, NULL, "10.0.0.20:5080"},
	/* Not a canonical dotted quad: parsed here, and the URI gets the canonical form. */
	{"forward, leading zero", "103555", "sip:a@x", DP_ROUTE_FORWARD, 0,
		"sip:103555@10.0.0.22:5070", SIP_TP_UDP, NULL, "10.0.0.22:5070"},
	/* TCP/TLS next hops are routes too: dp_sip_finish() bridges them or answers 503. */
	{"TCP gateway: a forward over TCP", "101555", "sip:a@x", DP_ROUTE_FORWARD, 0,
		"sip:101555@10.0.0.21", SIP_TP_TCP, NULL},
	{"named gateway: not resolved here", "102555", "sip:a@x", DP_ROUTE_UNAVAILABLE, 503, NULL},
	{"reject", "403555", "sip:a@x", DP_ROUTE_REJECT, 403, NULL},
	{"drop", "666555", "sip:a@x", DP_ROUTE_DROP, 0, NULL},
	{"no match", "555", "sip:a@x", DP_ROUTE_NONE, 0, NULL},
	/* "from exact gw.example.net" must not match a From without a user part. */
	{"From host is no user", "555", "sip:gw.example.net", DP_ROUTE_NONE, 0, NULL},
	{"From user", "555", "sip:carol@example.com", DP_ROUTE_REJECT, 486, NULL},
	{"registered: the binding wins", "alice", "sip:a@x", DP_ROUTE_FORWARD, 0,
		"sip:alice@192.0.2.7:5062"},
	{"registered over TCP", "bob", "sip:a@x", DP_ROUTE_FORWARD, 0, "sip:alice@192.0.2.7:5062",
		SIP_TP_TCP, NULL},
	/* RFC 3327: the Path is the Route set of requests to the contact. */
	{"registered with a Path", "carol", "sip:a@x", DP_ROUTE_FORWARD, 0,
		"sip:carol@192.0.2.8", SIP_TP_UDP,
		"Route: <sip:edge1.example.net;lr>, <sip:[2001:db8::9]:5070;lr;ob>\r\n"},
};

static void
test_burst(void **state)
{
	enum { N = sizeof(burst_cases) / sizeof(burst_cases[0]) };
	static struct dp_sip_job jobs[N];
	static struct dp_route_scratch scratch;
	struct dp_sip_job *pj[N];
	struct sip_addr src;
	struct rules_errors errs;
	struct rules_rcu_ops ops = {.synchronize = no_sync};
	(void)state;

	struct rules_swap *sw = rules_swap_create(1, &ops);
	struct dp_loc *loc = dp_loc_create(64, no_sync, NULL);
	assert_non_null(sw);
	assert_non_null(loc);
	memset(&errs, 0, sizeof(errs));
	struct rules_plan *plan = rules_compile_text(plan_text, sizeof(plan_text) - 1, "t", NULL,
			&errs);
	if (plan == NULL)
		rules_errors_print(&errs, stderr);
	assert_non_null(plan);
	assert_int_equal(rules_swap_publish(sw, plan), 0);
	struct dp_binding b = {.port = 5062, .transport = SIP_TP_UDP};
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("192.0.2.7"), &b.nh), 0);
	b.aor_len = (uint16_t)dp_loc_key(b.aor, SIP_STR_LIT("alice"), SIP_STR_LIT("example.com"));
	b.contact_len = (uint16_t)snprintf(b.contact, sizeof(b.contact), "sip:alice@192.0.2.7:5062");
	assert_int_equal(dp_loc_set(loc, &b), 0);
	b.aor_len = (uint16_t)dp_loc_key(b.aor, SIP_STR_LIT("bob"), SIP_STR_LIT("example.com"));
	b.transport = SIP_TP_TCP;
	assert_int_equal(dp_loc_set(loc, &b), 0);
	static const char path[] = "<sip:edge1.example.net;lr>, <sip:[2001:db8::9]:5070;lr;ob>";
	b.aor_len = (uint16_t)dp_loc_key(b.aor, SIP_STR_LIT("carol"), SIP_STR_LIT("example.com"));
	b.contact_len = (uint16_t)snprintf(b.contact, sizeof(b.contact), "sip:carol@192.0.2.8");
	b.transport = SIP_TP_UDP;
	b.path = path;
	b.path_len = sizeof(path) - 1;
	assert_int_equal(dp_loc_set(loc, &b), 0);
	/* A Path longer than DP_PATH_MAX is refused, not cut. */
	static char long_path[DP_PATH_MAX + 2];
	memset(long_path, 'x', sizeof(long_path));
	b.path = long_path;
	b.path_len = DP_PATH_MAX + 1;
	assert_int_equal(dp_loc_set(loc, &b), -EINVAL);
	b.path = NULL;
	b.path_len = 0;

	assert_int_equal(sip_addr_parse(SIP_STR_LIT("192.0.2.10"), &src), 0);
	for (unsigned i = 0; i < N; i++) {
		const struct burst_case *c = &burst_cases[i];
		memset(&jobs[i].r, 0, offsetof(struct dp_route, text));
		jobs[i].q = (struct dp_query){
			.ruri_user = sip_str_make(c->user, strlen(c->user)),
			.ruri_host = SIP_STR_LIT("example.com"),
			.from_uri = sip_str_make(c->from, strlen(c->from)),
			.to_uri = SIP_STR_LIT("sip:x@example.com"),
			.method = SIP_STR_LIT("INVITE"),
			.src = &src,
			.callid_hash = 12345 + i,
		};
		pj[i] = &jobs[i];
	}
	struct dp_router rt = {.loc = loc, .rules = sw};
	dp_route_burst(&rt, &scratch, 1000, pj, N);
	for (unsigned i = 0; i < N; i++) {
		const struct burst_case *c = &burst_cases[i];
		const struct dp_route *r = &jobs[i].r;
		if (r->kind != c->kind || (c->code && r->code != c->code))
			fail_msg("%s: kind %d code %u, expected %d %u", c->name, r->kind, r->code,
					c->kind, c->code);
		if (c->ruri != NULL && (r->ruri.len != strlen(c->ruri) ||
				memcmp(r->ruri.p, c->ruri, r->ruri.len) != 0))
			fail_msg("%s: Request-URI %.*s, expected %s", c->name, (int)r->ruri.len,
					r->ruri.p, c->ruri);
		if (c->kind == DP_ROUTE_FORWARD && r->nh_transport !=
				(c->transport ? c->transport : SIP_TP_UDP))
			fail_msg("%s: transport %u, expected %u", c->name, r->nh_transport,
					c->transport);
		if (c->nh != NULL) {
			char nh[64];
			size_t n = sip_addr_format(&r->nh, nh, sizeof(nh));
			snprintf(nh + n, sizeof(nh) - n, ":%u", r->nh_port);
			if (strcmp(nh, c->nh) != 0)
				fail_msg("%s: next hop %s, expected %s", c->name, nh, c->nh);
		}
		const char *ex = c->extra ? c->extra : "";
		if (c->kind == DP_ROUTE_FORWARD && (r->extra.len != strlen(ex) ||
				(r->extra.len && memcmp(r->extra.p, ex, r->extra.len) != 0)))
			fail_msg("%s: extra lines '%.*s', expected '%s'", c->name, (int)r->extra.len,
					r->extra.p, ex);
	}
	/* Without a plan or bindings, nothing matches (the default reply). */
	struct dp_router none = {NULL, NULL};
	memset(&jobs[0].r, 0, offsetof(struct dp_route, text));
	dp_route_burst(&none, &scratch, 1000, pj, 1);
	assert_int_equal(jobs[0].r.kind, DP_ROUTE_NONE);
	dp_loc_free(loc);
	rules_swap_free(sw);
}

static void
test_callid_peek(void **state)
{
	static const char msg[] = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		"i:   abc@host  \r\nContent-Length: 0\r\n\r\n";
	static const char none[] = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n";
	(void)state;

	assert_true(dp_callid_peek(msg, sizeof(msg) - 1) == sip_callid_hash(SIP_STR_LIT("abc@host")));
	assert_true(dp_callid_peek(none, sizeof(none) - 1) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_user),
		cmocka_unit_test(test_query_fields),
		cmocka_unit_test(test_gateway_ruri),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_callid_peek),
	};
	return cmocka_run_group_tests_name("dp_route", tests, NULL, NULL);
}
