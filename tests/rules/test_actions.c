/* SPDX-License-Identifier: BSD-3-Clause */
/* Every action, templates, headers and attributes, gateway choice and health. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <arpa/inet.h>

#include "rules_test.h"

static void
test_redirect(void **state)
{
	struct tp t = rt_compile(
		"10 exact 1 redirect contact sip:$user@a.example\n"
		"10 exact 2 redirect 301 contact sip:${user}x@a.example q=1 expires=0\n"
		"10 exact 3 strip 1 add 9 redirect 380 "
		"contact sip:$user@a.example q=0.5 expires=60 "
		"contact sips:$ruser@b.example;user=phone q=0.125 contact tel:$$$from q=0 "
		"contact sip:$to@$domain\n");
	struct rules_result r;
	char buf[512];

	(void)state;
	struct tq a = {.user = "1"};
	assert_int_equal(rt_match(&t, &a, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.action, RULES_ACT_REDIRECT);
	assert_int_equal(r.code, 302);
	assert_view(r.reason, "Moved Temporarily");
	assert_int_equal(r.n_contacts, 1);
	assert_view(r.contact[0], "<sip:1@a.example>");

	struct tq b = {.user = "2"};
	assert_int_equal(rt_match(&t, &b, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.code, 301);
	assert_view(r.contact[0], "<sip:2x@a.example>;q=1;expires=0");

	struct tq c = {.user = "3", .from = "alice", .to = "bob", .domain = "Ex.NET"};
	assert_int_equal(rt_match(&t, &c, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.code, 380);
	assert_view(r.reason, "Alternative Service");
	assert_view(r.user, "9");
	assert_int_equal(r.n_contacts, 4);
	assert_view(r.contact[0], "<sip:9@a.example>;q=0.5;expires=60");
	assert_view(r.contact[1], "<sips:3@b.example;user=phone>;q=0.125");
	assert_view(r.contact[2], "<tel:$alice>;q=0");
	/* Templates see the domain as received, not lower-cased. */
	assert_view(r.contact[3], "<sip:bob@Ex.NET>");
	assert_int_equal(r.gw, RULES_GW_NONE);
	rt_free(&t);
}

static void
test_reject_drop_pass(void **state)
{
	struct tp t = rt_compile(
		"10 exact 1 reject 403 \"Not here\"\n"
		"10 exact 2 reject 404\n"
		"10 exact 3 reject 699 attrs x=1\n"
		"10 exact 4 drop\n"
		"10 exact 5 pass header \"X-Route: de\" header \"X-User: $user/$ruser\" strip 1 "
		"attrs \"a=1;b=2\"\n");
	struct rules_result r;
	char buf[512];

	(void)state;
	struct tq q1 = {.user = "1"};
	assert_int_equal(rt_match(&t, &q1, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.action, RULES_ACT_REJECT);
	assert_int_equal(r.code, 403);
	assert_view(r.reason, "Not here");
	struct tq q2 = {.user = "2"};
	assert_int_equal(rt_match(&t, &q2, &r, buf, sizeof(buf)), 0);
	assert_view(r.reason, "Not Found");
	struct tq q3 = {.user = "3"};
	assert_int_equal(rt_match(&t, &q3, &r, buf, sizeof(buf)), 0);
	assert_view(r.reason, "Global Failure");
	assert_view(r.attrs, "x=1");
	struct tq q4 = {.user = "4"};
	assert_int_equal(rt_match(&t, &q4, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.action, RULES_ACT_DROP);
	assert_int_equal(r.code, 0);
	struct tq q5 = {.user = "5"};
	assert_int_equal(rt_match(&t, &q5, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.action, RULES_ACT_PASS);
	assert_view(r.headers, "X-Route: de\r\nX-User: /5\r\n");
	assert_view(r.attrs, "a=1;b=2");
	struct tq q6 = {.user = "6"};
	assert_int_equal(rt_match(&t, &q6, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.action, RULES_ACT_NONE);
	assert_int_equal(r.rule, RULES_NO_RULE);
	rt_free(&t);
}

static const char *gw_plan =
	"group a 192.0.2.1;weight=3 192.0.2.2:5070;transport=tcp;weight=1\n"
	"group b 192.0.2.2:5070;transport=tcp [2001:db8::1]:5080 GW.Example.NET;transport=tls\n"
	"group c gw.example.net;transport=tls\n"
	"10 exact 1 forward a\n"
	"10 exact 2 forward b\n"
	"10 exact 3 forward c\n";

static void
test_gateways(void **state)
{
	struct tp t = rt_compile(gw_plan);
	struct rules_gateway g;

	(void)state;
	struct rules_plan_info in;
	rules_plan_info(t.p, &in);
	/* The same host, port and transport is one gateway in every group. */
	assert_int_equal(in.n_gateways, 4);
	assert_int_equal(in.n_groups, 3);
	assert_int_equal(rules_plan_gateway(t.p, 0, &g), 0);
	assert_view(g.host, "192.0.2.1");
	assert_int_equal(g.port, 5060);
	assert_int_equal(g.transport, RULES_TP_UDP);
	assert_int_equal(rules_plan_gateway_find(t.p, "192.0.2.2", 9, 5070, RULES_TP_TCP), 1);
	assert_int_equal(rules_plan_gateway_find(t.p, "2001:db8::1", 11, 5080, RULES_TP_UDP), 2);
	/* Host names are stored lower-cased; TLS defaults to 5061. */
	assert_int_equal(rules_plan_gateway_find(t.p, "gw.example.NET", 14, 5061, RULES_TP_TLS), 3);
	assert_int_equal(rules_plan_gateway_find(t.p, "192.0.2.2", 9, 5070, RULES_TP_UDP), -ENOENT);
	assert_int_equal(rules_plan_gateway(t.p, 4, &g), -ENOENT);
	rt_free(&t);
}

static int
gw_for(struct tp *t, const char *user, uint64_t callid, const uint64_t *down)
{
	struct rules_query q;
	struct tq in = {.user = user, .callid = callid};
	struct rules_result r;
	char buf[256];

	rt_query(&q, &in);
	assert_int_equal(rules_match(t->p, t->s, &q, down, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.action, RULES_ACT_FORWARD);
	if (r.gw >= 0) {
		struct rules_gateway g;
		assert_int_equal(rules_plan_gateway(t->p, (uint32_t)r.gw, &g), 0);
		assert_int_equal(g.port, r.gw_port);
		assert_int_equal(g.transport, r.gw_transport);
		assert_int_equal(g.host.len, r.gw_host.len);
		/* The address of a dotted-quad host, nothing for names and IPv6. */
		struct in_addr a;
		char text[64];
		snprintf(text, sizeof(text), "%.*s", (int)g.host.len, g.host.p);
		if (inet_pton(AF_INET, text, &a) == 1) {
			assert_non_null(r.gw_ipv4);
			assert_memory_equal(r.gw_ipv4, &a, 4);
		} else {
			assert_null(r.gw_ipv4);
		}
	}
	return r.gw;
}

static uint64_t
callid(unsigned i)
{
	/* What sip_callid_hash() would give: any well-mixed 64-bit value. */
	uint64_t x = i * 0x9e3779b97f4a7c15ull;
	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ull;
}

static void
test_forward_hash(void **state)
{
	struct tp t = rt_compile(gw_plan);
	unsigned count[4] = {0};
	enum { N = 40000 };
	uint64_t down[1] = {0};

	(void)state;
	for (unsigned i = 0; i < N; i++) {
		int g = gw_for(&t, "1", callid(i), NULL);
		assert_true(g == 0 || g == 1);
		count[g]++;
		/* The same Call-ID always goes to the same gateway. */
		assert_int_equal(gw_for(&t, "1", callid(i), NULL), g);
		assert_int_equal(gw_for(&t, "1", callid(i), down), g);
	}
	/* Weights 3:1, within 2% of N. */
	assert_true(count[0] > N * 73 / 100 && count[0] < N * 77 / 100);

	/* Gateway 0 down: its calls move, gateway 1's calls stay put. */
	down[0] = 1;
	for (unsigned i = 0; i < 2000; i++) {
		int before = gw_for(&t, "1", callid(i), NULL);
		int after = gw_for(&t, "1", callid(i), down);
		assert_int_equal(after, 1);
		(void)before;
	}
	/* Group b without gateway 1: calls that were on 2 or 3 stay there. */
	down[0] = 1u << 1;
	unsigned moved = 0;
	for (unsigned i = 0; i < 3000; i++) {
		int before = gw_for(&t, "2", callid(i), NULL);
		int after = gw_for(&t, "2", callid(i), down);
		assert_true(after == 2 || after == 3);
		if (before != 1)
			assert_int_equal(after, before);
		else
			moved++;
	}
	assert_true(moved > 800 && moved < 1200);
	/* Everything down. */
	down[0] = 0xf;
	assert_int_equal(gw_for(&t, "1", 5, down), RULES_GW_ALL_DOWN);
	assert_int_equal(gw_for(&t, "3", 5, down), RULES_GW_ALL_DOWN);
	down[0] = 0x7;
	assert_int_equal(gw_for(&t, "3", 5, down), 3);
	rt_free(&t);
}

static void
test_instance_health(void **state)
{
	struct rules_errors e = {0};
	struct rules_plan *p1 = rules_compile_text(gw_plan, strlen(gw_plan), "a", NULL, &e);
	/* The second plan numbers the same gateways differently. */
	const char *plan2 = "group z gw.example.net;transport=tls 192.0.2.9 192.0.2.1\n"
		"10 exact 3 forward z\n";
	struct rules_plan *p2 = rules_compile_text(plan2, strlen(plan2), "b", NULL, &e);

	(void)state;
	assert_non_null(p1);
	assert_non_null(p2);
	struct rules_inst *i1 = rules_inst_create(p1, 2);
	struct rules_inst *i2 = rules_inst_create(p2, 2);
	assert_non_null(i1);
	assert_non_null(i2);
	assert_int_equal(rules_inst_workers(i1), 2);
	assert_ptr_equal(rules_inst_plan(i1), p1);
	assert_int_equal(rules_inst_gw_set(i1, 3, true), 0);
	assert_int_equal(rules_inst_gw_set(i1, 0, true), 0);
	assert_int_equal(rules_inst_gw_set(i1, 4, true), -ENOENT);
	assert_true(rules_inst_gw_is_down(i1, 3));
	struct rules_query q;
	struct tq in = {.user = "3"};
	struct rules_result r;
	char buf[256];
	rt_query(&q, &in);
	assert_int_equal(rules_inst_match(i1, 1, &q, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.gw, RULES_GW_ALL_DOWN);
	assert_int_equal(rules_inst_match(i1, 2, &q, &r, buf, sizeof(buf)), -EINVAL);
	rules_inst_gw_copy(i2, i1);
	assert_true(rules_inst_gw_is_down(i2, 0)); /* gw.example.net */
	assert_false(rules_inst_gw_is_down(i2, 1));
	assert_true(rules_inst_gw_is_down(i2, 2)); /* 192.0.2.1 */
	assert_int_equal(rules_inst_gw_set(i1, 3, false), 0);
	assert_false(rules_inst_gw_is_down(i1, 3));
	rules_inst_free(i1);
	rules_inst_free(i2);
}

int
test_group_actions(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_reject_drop_pass),
		cmocka_unit_test(test_gateways),
		cmocka_unit_test(test_forward_hash),
		cmocka_unit_test(test_instance_health),
	};
	return cmocka_run_group_tests_name("actions", t, NULL, NULL);
}
