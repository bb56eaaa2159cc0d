/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The resolver's policy (control/cp_dns_policy.c): SRV ordering (priority,
 * then RFC 2782's weighted random selection, its distribution measured
 * over many draws), NAPTR selection, TTL clamping, the stale-answer
 * policy and the addresses a gateway name may never resolve to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cp_dns.h"
#include "rng.h"

static uint32_t
rng_cb(void *ctx)
{
	return (uint32_t)(rng_next(ctx) >> 32);
}

static uint32_t
const_cb(void *ctx)
{
	return *(const uint32_t *)ctx;
}

static struct cp_dns_srv
srv(const char *t, uint16_t prio, uint16_t w)
{
	struct cp_dns_srv s = {.priority = prio, .weight = w, .port = 5060};
	snprintf(s.target, sizeof(s.target), "%s", t);
	return s;
}

static void
test_srv_priority_first(void **state)
{
	(void)state;
	struct rng r;
	rng_seed(&r, 7);
	for (int round = 0; round < 1000; round++) {
		struct cp_dns_srv s[] = {srv("c", 30, 5), srv("a1", 10, 1), srv("b", 20, 0),
			srv("a2", 10, 100), srv("d", 20, 7)};
		cp_dns_srv_order(s, 5, rng_cb, &r);
		for (unsigned i = 1; i < 5; i++)
			assert_true(s[i - 1].priority <= s[i].priority);
		assert_string_equal(s[4].target, "c");
		/* Both of priority 10 are there, in some order. */
		assert_true(strcmp(s[0].target, "a1") == 0 || strcmp(s[0].target, "a2") == 0);
		assert_string_not_equal(s[0].target, s[1].target);
	}
}

/* First pick of one priority over many draws: each record's share is weight / (sum + 1). */
static void
test_srv_weight_distribution(void **state)
{
	(void)state;
	enum { DRAWS = 200000 };
	const char *names[] = {"zero", "w60", "w30", "w10"};
	const uint16_t w[] = {0, 60, 30, 10};
	unsigned first[4] = {0}, second_of_w60_first[4] = {0}, n_w60_first = 0;
	struct rng r;
	rng_seed(&r, 0x5eed);
	for (int d = 0; d < DRAWS; d++) {
		/* Written in another order each time: the order must not matter. */
		struct cp_dns_srv s[4];
		for (unsigned i = 0; i < 4; i++)
			s[i] = srv(names[(i + (unsigned)d) % 4], 10, w[(i + (unsigned)d) % 4]);
		cp_dns_srv_order(s, 4, rng_cb, &r);
		for (unsigned i = 0; i < 4; i++) {
			if (strcmp(s[0].target, names[i]) == 0)
				first[i]++;
		}
		if (strcmp(s[0].target, "w60") == 0) {
			n_w60_first++;
			for (unsigned i = 0; i < 4; i++)
				if (strcmp(s[1].target, names[i]) == 0)
					second_of_w60_first[i]++;
		}
		/* Every record once. */
		for (unsigned i = 0; i < 4; i++)
			for (unsigned k = i + 1; k < 4; k++)
				assert_string_not_equal(s[i].target, s[k].target);
	}
	for (unsigned i = 0; i < 4; i++) {
		double got = (double)first[i] / DRAWS, want = (double)w[i] / 101.0;
		if (w[i] == 0)
			want = 1.0 / 101.0;
		print_message("first %-4s %.4f (RFC 2782: %.4f)\n", names[i], got, want);
		assert_true(got > want - 0.006 && got < want + 0.006);
	}
	/* After w60 is taken: sum 40 over zero, w30, w10 -> 1/41, 30/41, 10/41. */
	const double want2[] = {1.0 / 41, 0, 30.0 / 41, 10.0 / 41};
	for (unsigned i = 0; i < 4; i++) {
		double got = (double)second_of_w60_first[i] / n_w60_first;
		print_message("second %-4s %.4f (RFC 2782: %.4f)\n", names[i], got, want2[i]);
		assert_true(got > want2[i] - 0.01 && got < want2[i] + 0.01);
	}
}

static void
test_srv_edges(void **state)
{
	(void)state;
	uint32_t zero = 0, big = UINT32_MAX;
	/* Random 0 takes the weight-0 record first (it sits first in the running sum). */
	struct cp_dns_srv s[] = {srv("w5", 1, 5), srv("w0", 1, 0)};
	cp_dns_srv_order(s, 2, const_cb, &zero);
	assert_string_equal(s[0].target, "w0");
	/* All weights 0: the order stays as it was, no division by zero. */
	struct cp_dns_srv z[] = {srv("x", 1, 0), srv("y", 1, 0), srv("z", 1, 0)};
	cp_dns_srv_order(z, 3, const_cb, &big);
	assert_string_equal(z[0].target, "x");
	assert_string_equal(z[2].target, "z");
	/* One record, none. */
	struct cp_dns_srv one[] = {srv("only", 9, 9)};
	cp_dns_srv_order(one, 1, const_cb, &big);
	assert_string_equal(one[0].target, "only");
	cp_dns_srv_order(NULL, 0, const_cb, &big);
}

/* At most cap records followed: the best ones; "." and empty targets never. */
static void
test_srv_select_cap(void **state)
{
	(void)state;
	struct rng r;
	rng_seed(&r, 99);
	struct cp_dns_srv s[40];
	for (unsigned i = 0; i < 40; i++) {
		char t[16];
		snprintf(t, sizeof(t), "t%u", i);
		/* priorities 39..0: the cap must keep 0..7, whatever the answer's order */
		s[i] = srv(i == 5 ? "." : i == 9 ? "" : t, (uint16_t)(39 - i), 10);
	}
	unsigned n = cp_dns_srv_select(s, 40, 8, rng_cb, &r);
	assert_int_equal(n, 8);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(s[i].priority, i);
		assert_string_not_equal(s[i].target, ".");
	}
	/* Fewer than the cap: all the usable ones. */
	struct cp_dns_srv few[] = {srv(".", 0, 0), srv("a", 1, 1), srv("b", 2, 1)};
	assert_int_equal(cp_dns_srv_select(few, 3, 8, rng_cb, &r), 2);
	assert_string_equal(few[0].target, "a");
	struct cp_dns_srv none[] = {srv(".", 0, 0)};
	assert_int_equal(cp_dns_srv_select(none, 1, 8, rng_cb, &r), 0);
}

static struct sip_addr addr(const char *text);

/* Addresses of one SRV target: refused ones counted and named, duplicates and excess dropped. */
static void
test_targets_add(void **state)
{
	(void)state;
	struct cp_dns_target t[4];
	unsigned n = 0;
	char why[256] = "";
	struct sip_addr own[] = {addr("10.77.0.1")};
	struct cp_dns_srv s1 = srv("gw1.carrier.test", 10, 50);
	s1.port = 5070;
	struct sip_addr a1[] = {addr("10.77.0.20"), addr("127.0.0.1"), addr("10.77.0.20"),
		addr("10.77.0.1"), addr("10.77.0.21")};
	uint32_t ttl1[] = {30, 30, 30, 30, 60};
	assert_int_equal(cp_dns_targets_add(t, &n, 4, &s1, a1, ttl1, 5, own, 1, NULL, 0, why,
			sizeof(why)), 2);
	assert_int_equal(n, 2);
	assert_string_equal(t[0].text, "10.77.0.20");
	assert_int_equal(t[0].port, 5070);
	assert_int_equal(t[0].priority, 10);
	assert_int_equal(t[0].weight, 50);
	assert_string_equal(t[0].srv, "gw1.carrier.test");
	assert_int_equal(t[1].ttl, 60);
	assert_string_equal(why, "127.0.0.1 (gw1.carrier.test: loopback), "
			"10.77.0.1 (gw1.carrier.test: our own address)");
	/* The same address on another port is another target; the cap holds. */
	struct cp_dns_srv s2 = srv("gw2.carrier.test", 20, 50);
	s2.port = 5072;
	struct sip_addr a2[] = {addr("10.77.0.20"), addr("10.77.0.22"), addr("10.77.0.23")};
	uint32_t ttl2[] = {5, 5, 5};
	assert_int_equal(cp_dns_targets_add(t, &n, 4, &s2, a2, ttl2, 3, own, 1, NULL, 0, why,
			sizeof(why)), 0);
	assert_int_equal(n, 4);
	assert_int_equal(t[2].port, 5072);
	assert_string_equal(t[3].text, "10.77.0.22");
}

struct naptr_case {
	const char *name;
	struct {
		uint16_t order, pref;
		const char *flags, *service, *repl;
	} in[6];
	unsigned n;
	unsigned kept;
	const char *first_repl;   /* of the kept, in order */
	int usable;
};

static const struct naptr_case naptr_cases[] = {
	{"udp preferred by order", {{20, 10, "s", "SIP+D2U", "_sip._udp.c.test"},
		{10, 10, "s", "SIP+D2T", "_sip._tcp.c.test"},
		{10, 20, "S", "SIPS+D2T", "_sips._tcp.c.test"}}, 3, 3, "_sip._tcp.c.test", 2},
	{"preference within order", {{10, 50, "s", "SIP+D2U", "_sip._udp.b.test"},
		{10, 5, "s", "SIP+D2U", "_sip._udp.a.test"}}, 2, 2, "_sip._udp.a.test", 0},
	{"tcp and tls only", {{10, 10, "s", "SIP+D2T", "_sip._tcp.c.test"},
		{20, 10, "s", "SIPS+D2T", "_sips._tcp.c.test"}}, 2, 2, "_sip._tcp.c.test", -1},
	{"foreign services, flags and empty replacements dropped",
		{{1, 1, "u", "E2U+sip", "!^.*$!sip:x@y!"}, {2, 1, "a", "SIP+D2U", "c.test"},
		{3, 1, "s", "SIP+D2U", ""}, {4, 1, "s", "SIP+D2U", "."},
		{5, 1, "s", "http+D2T", "_http._tcp.c.test"},
		{9, 1, "s", "sip+d2u", "_sip._udp.c.test"}}, 6, 1, "_sip._udp.c.test", 0},
	{"none at all", {{0}}, 0, 0, NULL, -1},
};

static void
test_naptr_select(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(naptr_cases) / sizeof(naptr_cases[0]); c++) {
		const struct naptr_case *t = &naptr_cases[c];
		struct cp_dns_naptr n[6] = {0};
		for (unsigned i = 0; i < t->n; i++) {
			n[i].order = t->in[i].order;
			n[i].preference = t->in[i].pref;
			snprintf(n[i].flags, sizeof(n[i].flags), "%s", t->in[i].flags);
			snprintf(n[i].service, sizeof(n[i].service), "%s", t->in[i].service);
			snprintf(n[i].replacement, sizeof(n[i].replacement), "%s", t->in[i].repl);
		}
		int usable = 99;
		unsigned kept = cp_dns_naptr_select(n, t->n, &usable);
		print_message("%s: kept %u, usable %d\n", t->name, kept, usable);
		assert_int_equal(kept, t->kept);
		assert_int_equal(usable, t->usable);
		if (t->first_repl != NULL)
			assert_string_equal(n[0].replacement, t->first_repl);
		for (unsigned i = 1; i < kept; i++)
			assert_true(n[i - 1].order < n[i].order || (n[i - 1].order == n[i].order &&
					n[i - 1].preference <= n[i].preference));
	}
	assert_int_equal(cp_dns_naptr_service("SIP+D2U"), CP_DNS_TP_UDP);
	assert_int_equal(cp_dns_naptr_service("sips+d2t"), CP_DNS_TP_TLS);
	assert_int_equal(cp_dns_naptr_service("SIP+D2S"), CP_DNS_TP_NONE);
}

static void
test_ttl_clamp(void **state)
{
	(void)state;
	static const struct {
		uint32_t ttl, min, max, want;
	} t[] = {
		{0, 30, 3600, 30}, {29, 30, 3600, 30}, {30, 30, 3600, 30}, {300, 30, 3600, 300},
		{3600, 30, 3600, 3600}, {86400, 30, 3600, 3600}, {UINT32_MAX, 1, 5, 5},
		{7, 7, 7, 7},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(cp_dns_ttl_clamp(t[i].ttl, t[i].min, t[i].max), t[i].want);
	/* Refreshed before it expires, never after. */
	assert_true(cp_dns_refresh_at(1000, 4) < 1000 + 4000);
	assert_true(cp_dns_refresh_at(1000, 4) > 1000);
	assert_int_equal(cp_dns_refresh_at(0, 100), 75000);
}

static void
test_stale_policy(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint64_t now, expires, max;
		enum cp_dns_stale want;
	} t[] = {
		{"never resolved", 5000, 0, 60000, CP_DNS_NO_ANSWER},
		{"not expired yet", 5000, 9000, 0, CP_DNS_KEEP_STALE},
		{"expired, within the bound", 70000, 10000, 60000, CP_DNS_KEEP_STALE},
		{"exactly at the bound", 70000, 10000, 60000, CP_DNS_KEEP_STALE},
		{"past the bound", 70001, 10000, 60000, CP_DNS_DROP},
		{"no stale allowed", 10001, 10000, 0, CP_DNS_DROP},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		print_message("%s\n", t[i].name);
		assert_int_equal(cp_dns_stale_policy(t[i].now, t[i].expires, t[i].max), t[i].want);
	}
}

static struct sip_addr
addr(const char *text)
{
	struct sip_addr a;
	assert_int_equal(sip_addr_parse(sip_str_make(text, strlen(text)), &a), 0);
	return a;
}

static void
test_addr_refused(void **state)
{
	(void)state;
	static const struct {
		const char *addr, *why;  /* why NULL: accepted */
	} t[] = {
		{"127.0.0.1", "loopback"}, {"127.1.2.3", "loopback"}, {"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"}, {"0.0.0.0", "unspecified"}, {"::", "unspecified"},
		{"224.0.0.1", "multicast"}, {"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"}, {"255.255.255.255", "broadcast"},
		{"10.77.0.1", "our own address"}, {"::ffff:10.77.0.1", "our own address"},
		{"2001:db8::1", "our own address"}, {"10.77.0.255", "a subnet broadcast address"},
		{"0.1.2.3", "reserved"}, {"10.77.0.20", NULL}, {"192.0.2.10", NULL},
		{"2001:db8::2", NULL},
	};
	struct sip_addr own[] = {addr("10.77.0.1"), addr("2001:db8::1")};
	struct sip_addr bc[] = {addr("10.77.0.255")};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sip_addr a = addr(t[i].addr);
		const char *why = cp_dns_addr_refused(&a, own, 2, bc, 1);
		print_message("%s: %s\n", t[i].addr, why ? why : "accepted");
		if (t[i].why == NULL)
			assert_null(why);
		else
			assert_string_equal(why, t[i].why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srv_priority_first),
		cmocka_unit_test(test_srv_weight_distribution),
		cmocka_unit_test(test_srv_edges),
		cmocka_unit_test(test_srv_select_cap),
		cmocka_unit_test(test_targets_add),
		cmocka_unit_test(test_naptr_select),
		cmocka_unit_test(test_ttl_clamp),
		cmocka_unit_test(test_stale_policy),
		cmocka_unit_test(test_addr_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
