/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's router (control/cp_route.c): the plan blob, LOC_SET
 * frames and gateway states it is fed, what it refuses (a bad blob keeps
 * the old plan; a malformed LOC_SET or Path tail changes nothing), and
 * lookups through cp_route_lookup() as the relay makes them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cp_route.h"
#include "rules.h"
#include "sl_link.h"

static const char plan_text[] =
	"plan t\n"
	"group gw 10.0.0.20:5080\n"
	"group tcp 10.0.0.21:5060;transport=tcp\n"
	"10 prefix 100 forward gw\n"
	"10 prefix 101 forward tcp\n"
	"10 prefix 403 reject 403 \"Barred\"\n";

static void *
compile_blob(size_t *len)
{
	struct rules_errors errs;
	void *blob;
	memset(&errs, 0, sizeof(errs));
	struct rules_plan *plan = rules_compile_text(plan_text, sizeof(plan_text) - 1, "t", NULL,
			&errs);
	assert_non_null(plan);
	assert_int_equal(rules_plan_serialize(plan, &blob, len), 0);
	rules_plan_free(plan);
	return blob;
}

/* Look user@example.com up; the route in *r. */
static void
lookup(struct cp_route *rt, const char *user, struct dp_route *r)
{
	static struct dp_sip_job j;
	static struct sip_addr src;
	sip_addr_parse(SIP_STR_LIT("192.0.2.10"), &src);
	memset(&j.r, 0, offsetof(struct dp_route, text));
	j.q = (struct dp_query){
		.ruri_user = sip_str_make(user, strlen(user)),
		.ruri_host = SIP_STR_LIT("example.com"),
		.from_uri = SIP_STR_LIT("sip:a@x"),
		.to_uri = SIP_STR_LIT("sip:b@x"),
		.method = SIP_STR_LIT("INVITE"),
		.src = &src,
		.callid_hash = 42,
	};
	assert_int_equal(cp_route_lookup(rt, &j), 0);
	*r = j.r;
}

struct frame {
	struct sl_loc_set ls;
	struct sl_loc_path lp;
	char path[SL_LOC_PATH_MAX + 8];
};

static void
binding(struct frame *f, const char *aor, uint8_t tp)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->ls.aor, sizeof(f->ls.aor), "%s", aor);
	snprintf(f->ls.contact, sizeof(f->ls.contact), "sip:x@192.0.2.7:5062");
	f->ls.af = 4;
	f->ls.addr[0] = 192;
	f->ls.addr[2] = 2;
	f->ls.addr[3] = 7;
	f->ls.port = 5062;
	f->ls.transport = tp;
}

static void
test_plan(void **state)
{
	char err[256];
	size_t len;
	struct dp_route r;
	(void)state;

	struct cp_route *rt = cp_route_create(64);
	assert_non_null(rt);
	cp_route_set_clock(rt, 1000);
	/* No plan yet: nothing matches. */
	lookup(rt, "100555", &r);
	assert_int_equal(r.kind, DP_ROUTE_NONE);
	assert_int_equal(cp_route_plan_version(rt), 0);

	void *blob = compile_blob(&len);
	assert_int_equal(cp_route_set_plan(rt, blob, len, err, sizeof(err)), 0);
	assert_true(cp_route_plan_version(rt) > 0);
	lookup(rt, "100555", &r);
	assert_int_equal(r.kind, DP_ROUTE_FORWARD);
	assert_int_equal(r.nh_port, 5080);
	lookup(rt, "101555", &r);
	assert_int_equal(r.kind, DP_ROUTE_FORWARD);
	assert_int_equal(r.nh_transport, SIP_TP_TCP);
	lookup(rt, "403555", &r);
	assert_int_equal(r.kind, DP_ROUTE_REJECT);

	/* A gateway down as GW_STATE says: its forward answers 503. */
	assert_int_equal(cp_route_gw_set(rt, "10.0.0.20", 5080, 0, true), 0);
	lookup(rt, "100555", &r);
	assert_int_equal(r.kind, DP_ROUTE_UNAVAILABLE);
	assert_int_equal(cp_route_gw_set(rt, "10.9.9.9", 5080, 0, true), -ENOENT);

	/* A damaged blob is refused with a reason; the plan served stays. */
	uint64_t v = cp_route_plan_version(rt);
	memset((char *)blob + len / 2, 0x5a, len / 4 + 1);
	err[0] = '\0';
	assert_true(cp_route_set_plan(rt, blob, len, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "router: plan not loaded"));
	assert_int_equal(cp_route_plan_version(rt), v);
	lookup(rt, "403555", &r);
	assert_int_equal(r.kind, DP_ROUTE_REJECT);
	free(blob);
	cp_route_free(rt);
}

static void
test_bindings(void **state)
{
	struct frame f;
	struct dp_route r;
	(void)state;

	struct cp_route *rt = cp_route_create(64);
	assert_non_null(rt);
	cp_route_set_clock(rt, 1000);
	binding(&f, "alice@example.com", SIP_TP_UDP);
	assert_int_equal(cp_route_loc_set(rt, &f.ls, sizeof(f.ls)), 0);
	assert_int_equal(cp_route_bindings(rt), 1);
	lookup(rt, "alice", &r);
	assert_int_equal(r.kind, DP_ROUTE_FORWARD);
	assert_true(r.from_location);
	assert_int_equal(r.extra.len, 0);

	/* With a Path tail: the Route line. */
	static const char path[] = "<sip:edge.example.net;lr>";
	f.lp.len = sizeof(path) - 1;
	memcpy(f.path, path, f.lp.len);
	assert_int_equal(cp_route_loc_set(rt, &f.ls,
			sizeof(f.ls) + sizeof(f.lp) + f.lp.len), 0);
	lookup(rt, "alice", &r);
	assert_true(sip_str_eq(r.extra, SIP_STR_LIT("Route: <sip:edge.example.net;lr>\r\n")));

	/* Malformed frames change nothing: a tail of another length, a long Path, a short frame. */
	binding(&f, "bob@example.com", SIP_TP_TCP);
	f.lp.len = 10;
	assert_int_equal(cp_route_loc_set(rt, &f.ls, sizeof(f.ls) + sizeof(f.lp) + 9), -EINVAL);
	f.lp.len = SL_LOC_PATH_MAX + 1;
	assert_int_equal(cp_route_loc_set(rt, &f.ls,
			sizeof(f.ls) + sizeof(f.lp) + SL_LOC_PATH_MAX + 1), -EINVAL);
	assert_int_equal(cp_route_loc_set(rt, &f.ls, sizeof(f.ls) - 1), -EINVAL);
	f.ls.af = 5;
	assert_int_equal(cp_route_loc_set(rt, &f.ls, sizeof(f.ls)), -EINVAL);
	assert_int_equal(cp_route_bindings(rt), 1);
	lookup(rt, "bob", &r);
	assert_int_equal(r.kind, DP_ROUTE_NONE);

	/* Expired bindings are not used; removal. */
	binding(&f, "carol@example.com", SIP_TP_UDP);
	f.ls.expires = 999;
	assert_int_equal(cp_route_loc_set(rt, &f.ls, sizeof(f.ls)), 0);
	lookup(rt, "carol", &r);
	assert_int_equal(r.kind, DP_ROUTE_NONE);
	assert_int_equal(cp_route_loc_del(rt, "alice@example.com"), 0);
	assert_int_equal(cp_route_loc_del(rt, "alice@example.com"), -ENOENT);
	lookup(rt, "alice", &r);
	assert_int_equal(r.kind, DP_ROUTE_NONE);
	cp_route_free(rt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_bindings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
