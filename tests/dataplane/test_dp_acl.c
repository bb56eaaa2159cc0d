/* SPDX-License-Identifier: BSD-3-Clause */
/* The peer ACL's file and decision (dataplane/core/dp_acl.h), without DPDK. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dp_acl.h"

static char err[512];

static int
parse(const char *text, struct dp_acl *acl)
{
	return dp_acl_parse(text, strlen(text), "t.acl", acl, err, sizeof(err));
}

static uint8_t
v(const struct dp_acl *acl, const char *ip, uint16_t port)
{
	struct sip_addr a;
	assert_int_equal(sip_addr_parse(sip_str_make(ip, strlen(ip)), &a), 0);
	/* The relay's binary search agrees with the reference on every case (IPv6 too). */
	assert_int_equal(dp_acl_lookup(acl, &a, port), dp_acl_lookup_ref(acl, &a, port));
	return dp_acl_lookup_ref(acl, &a, port);
}

static void
errors(void **state)
{
	(void)state;
	struct dp_acl acl;
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"allow 192.0.2.1/24\n", "t.acl:1: '192.0.2.1/24' has host bits set"},
		{"\n\nallow 192.0.2.0/33\n", "t.acl:3: prefix length '33' is not 0-32"},
		{"allow 2001:db8::/129\n", "prefix length '129' is not 0-128"},
		{"allow example.com\n", "t.acl:1: 'example.com' is not an IPv4 or IPv6 address"},
		{"allow\n", "t.acl:1: allow needs a PREFIX"},
		{"permit 192.0.2.0/24\n", "'permit': an entry starts with allow, deny or default"},
		{"allow 192.0.2.0/24 drop\n", "'drop': allow takes [port N] [register]"},
		{"deny 192.0.2.0/24 register\n", "'register': deny takes [port N] [403|drop]"},
		{"allow 192.0.2.0/24 port 0\n", "port '0' is not 1-65535"},
		{"allow 192.0.2.0/24 port 70000\n", "port '70000' is not 1-65535"},
		{"default allow\ndefault deny\n", "t.acl:2: a second 'default'"},
		{"default maybe\n", "default allow [register] | default deny [403|drop]"},
		{"allow 10.0.0.0/8\n# x\ndeny 10.0.0.0/8\n", "t.acl:3: the same prefix as line 1"},
		{"allow 10.0.0.1 port 5060\nallow 10.0.0.1 port 5060\n",
			"t.acl:2: the same prefix and port as line 1"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, &acl), -1);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: '%s' not in '%s'", i, cases[i].want, err);
	}
	/* A NUL byte: not a text file. */
	assert_int_equal(dp_acl_parse("allow 10.0.0.0/8\n\0x\n", 20, "t.acl", &acl, err, sizeof(err)),
			-1);
	assert_non_null(strstr(err, "t.acl:2: a NUL byte"));
	assert_int_equal(dp_acl_load("/nonexistent/x.acl", &acl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/x.acl"));
}

static void
verdicts(void **state)
{
	(void)state;
	struct dp_acl acl;
	assert_int_equal(parse("# peers\n"
			"default deny drop\n"
			"allow 192.0.2.0/24           # a trunk\n"
			"deny 192.0.2.66/32 403\n"
			"allow 192.0.2.64/26 port 5080\n"
			"allow 198.51.100.0/22 register\n"
			"allow 203.0.113.5 port 5060\n"
			"allow 203.0.113.5 port 5061 register\n"
			"deny 2001:db8::/32 drop\n"
			"allow 2001:db8:1::/48\n"
			"allow ::/0 register\n", &acl), 0);
	assert_int_equal(acl.n_entries, 9);
	assert_int_equal(acl.dflt, DP_ACL_DENY_DROP);
	assert_int_equal(v(&acl, "192.0.2.1", 5060), DP_ACL_ALLOW);
	assert_int_equal(v(&acl, "192.0.2.66", 5060), DP_ACL_DENY_403);
	/* Longest prefix, then the port; another port falls back to the covering /24. */
	assert_int_equal(v(&acl, "192.0.2.65", 5080), DP_ACL_ALLOW);
	assert_int_equal(v(&acl, "192.0.2.65", 5081), DP_ACL_ALLOW);
	assert_int_equal(v(&acl, "192.0.2.66", 5080), DP_ACL_DENY_403);
	assert_int_equal(v(&acl, "198.51.101.7", 1), DP_ACL_REGISTER);
	/* A host allowed on two ports, with nothing above it: the default elsewhere. */
	assert_int_equal(v(&acl, "203.0.113.5", 5060), DP_ACL_ALLOW);
	assert_int_equal(v(&acl, "203.0.113.5", 5061), DP_ACL_REGISTER);
	assert_int_equal(v(&acl, "203.0.113.5", 5062), DP_ACL_DENY_DROP);
	assert_int_equal(v(&acl, "203.0.113.6", 5060), DP_ACL_DENY_DROP);
	/* IPv6: nested prefixes and a /0 of the family. */
	assert_int_equal(v(&acl, "2001:db8:1::9", 5060), DP_ACL_ALLOW);
	assert_int_equal(v(&acl, "2001:db8:2::9", 5060), DP_ACL_DENY_DROP);
	assert_int_equal(v(&acl, "2001:db9::1", 5060), DP_ACL_REGISTER);
	/* What each verdict lets through. */
	assert_true(dp_acl_permits(DP_ACL_ALLOW, false));
	assert_false(dp_acl_permits(DP_ACL_ALLOW, true));
	assert_true(dp_acl_permits(DP_ACL_REGISTER, true));
	assert_false(dp_acl_permits(DP_ACL_DENY_403, false));
	assert_false(dp_acl_permits(DP_ACL_DENY_DROP, false));
	/* Groups and parents: 192.0.2.66/32 and .64/26 hang under the /24. */
	uint32_t g = dp_acl_find_ref(&acl, &(struct sip_addr){.af = SIP_AF_INET, .a = {192, 0, 2, 66}});
	assert_int_not_equal(g, DP_ACL_NO_GROUP);
	assert_int_equal(acl.groups[g].plen, 32);
	uint32_t p = acl.groups[g].parent;
	assert_int_equal(acl.groups[p].plen, 26);
	assert_int_equal(acl.groups[acl.groups[p].parent].plen, 24);
	dp_acl_clear(&acl);
	/* No file content: everything allowed (the default default). */
	assert_int_equal(parse("# nothing\n", &acl), 0);
	assert_int_equal(v(&acl, "192.0.2.1", 1), DP_ACL_ALLOW);
	dp_acl_clear(&acl);
}

/* The binary-search lookup (the relay's) against the linear reference, on random nested lists. */
static void
fast_matches_reference(void **state)
{
	(void)state;
	static char text[1 << 18];
	uint64_t x = 88172645463325252ull;
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
	for (int round = 0; round < 30; round++) {
		size_t n = 0;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "default %s\n",
				round % 2 ? "deny drop" : "allow");
		for (int i = 0; i < 400; i++) {
			unsigned plen = 8 + (unsigned)(RND() % 25);
			uint32_t ip = 0x0a000000u | (uint32_t)(RND() & 0xffffffu);
			ip &= plen == 32 ? 0xffffffffu : ~(0xffffffffu >> plen);
			static const char *const act[] = {"allow", "allow register", "deny", "deny drop"};
			const char *a = act[RND() % 4];
			/* "allow register" and "deny drop" put their word after the prefix. */
			char verb[8], word[16] = "";
			sscanf(a, "%7s %15s", verb, word);
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s %u.%u.%u.%u/%u port %u %s\n",
					verb, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, plen,
					(unsigned)(5060 + i), word);
		}
		struct dp_acl acl;
		if (parse(text, &acl) != 0)
			fail_msg("%s", err);
		for (int k = 0; k < 20000; k++) {
			uint32_t ip = 0x0a000000u | (uint32_t)(RND() & 0xffffffu);
			struct sip_addr a = {.af = SIP_AF_INET,
				.a = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8), (uint8_t)ip}};
			if (k % 5 == 0)
				a = acl.groups[RND() % acl.n_groups].net;
			uint16_t port = (uint16_t)(5060 + RND() % 400);
			assert_int_equal(dp_acl_find(&acl, &a), dp_acl_find_ref(&acl, &a));
			assert_int_equal(dp_acl_lookup(&acl, &a, port), dp_acl_lookup_ref(&acl, &a, port));
		}
		dp_acl_clear(&acl);
	}
#undef RND
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errors),
		cmocka_unit_test(verdicts),
		cmocka_unit_test(fast_matches_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
