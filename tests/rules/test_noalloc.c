/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The matcher's promise, counted: rules_match() and rules_match_burst()
 * never allocate. This executable replaces malloc and friends with
 * counting wrappers around glibc's own (__libc_malloc...), builds a plan
 * that takes every path of the matcher (Hyperscan regexes, PCRE2 captures
 * on the winner, prefix and exact indexes, strip/add/subst, redirect
 * templates, weighted forwards with health, reject, source and method
 * conditions), and checks that thousands of lookups allocate nothing. Not
 * built with sanitizers (they own malloc).
 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

static int counting;
static unsigned long allocations;

static inline void
count(void)
{
	if (__atomic_load_n(&counting, __ATOMIC_RELAXED))
		__atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
}

void *
malloc(size_t n)
{
	count();
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	count();
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	count();
	return __libc_realloc(p, n);
}

void *
aligned_alloc(size_t align, size_t n)
{
	count();
	return __libc_memalign(align, n);
}

void *
memalign(size_t align, size_t n)
{
	count();
	return __libc_memalign(align, n);
}

int
posix_memalign(void **out, size_t align, size_t n)
{
	count();
	void *p = __libc_memalign(align, n);
	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

void
free(void *p)
{
	__libc_free(p);
}

static const char plan_text[] =
	"plan noalloc\n"
	"group de 192.0.2.10:5060;weight=3 192.0.2.11:5060;transport=tcp;weight=1\n"
	"group fr 192.0.2.20:5060\n"
	"5  regex ^\\+49(30|40)([0-9]{6,8})$ subst ^\\+49(30|40)([0-9]+)$ 0\\1-\\2 forward de\n"
	"5  regex ^\\+1([2-9][0-9]{2})([0-9]{7})$ repl +1\\1\\2 redirect 301 "
	"contact sip:$user@us1.example.net q=0.7 expires=60 contact sip:$user@us2.example.net\n"
	"10 prefix +33 strip 3 add 0 forward fr header \"X-Route: fr\"\n"
	"10 prefix +44 from prefix 0044 reject 403 \"Forbidden\"\n"
	"10 exact 112 method INVITE redirect contact sip:112@psap.example.net\n"
	"20 prefix +4 src 198.51.100.0/24 forward de\n"
	"30 prefix + reject 404 \"No route\"\n";

/* Queries that reach every kind of rule, and some that match nothing. */
static const char *const users[] = {
	"+4930123456", "+494012345678", "+12125550100", "+33123456789", "+44207946000",
	"112", "+48221234567", "+99", "4930123456", "", "+4930", "+1212555010x",
};

static void
fill(struct rules_query *q, unsigned i)
{
	const char *u = users[i % (sizeof(users) / sizeof(users[0]))];
	memset(q, 0, sizeof(*q));
	q->user = (struct rules_view){u, strlen(u)};
	q->domain = (struct rules_view){"example.com", 11};
	q->from = (i & 1) ? (struct rules_view){"0044123", 7} : (struct rules_view){"alice", 5};
	q->method = (i & 2) ? (struct rules_view){"INVITE", 6} : (struct rules_view){"MESSAGE", 7};
	q->src_af = 4;
	q->src[0] = 198;
	q->src[1] = 51;
	q->src[2] = 100;
	q->src[3] = (uint8_t)i;
	q->callid_hash = 0x9e3779b97f4a7c15ull * (i + 1);
}

static void
no_allocation_per_lookup(void **state)
{
	struct rules_errors e = {0};
	struct rules_plan *p = rules_compile_text(plan_text, sizeof(plan_text) - 1, "noalloc",
			NULL, &e);
	(void)state;

	if (p == NULL) {
		rules_errors_print(&e, stderr);
		fail_msg("the test plan does not compile");
	}
	struct rules_scratch *proto = rules_scratch_create(p);
	assert_non_null(proto);
	struct rules_scratch *s = rules_scratch_clone(proto);
	assert_non_null(s);
	uint64_t down[1] = {1}; /* gateway 0 down: the health path too */
	static char buf[4096];
	static char bufs[32 * 2048];
	struct rules_result r, rb[32];
	struct rules_query q[32];
	unsigned actions[8] = {0};

	__atomic_store_n(&counting, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < 12000; i++) {
		fill(&q[0], i);
		int rc = rules_match(p, s, &q[0], (i & 4) ? down : NULL, &r, buf, sizeof(buf));
		assert_int_equal(rc, 0);
		actions[r.action & 7]++;
	}
	for (unsigned b = 0; b < 300; b++) {
		for (unsigned i = 0; i < 32; i++)
			fill(&q[i], b * 32 + i);
		assert_int_equal(rules_match_burst(p, s, q, 32, down, rb, bufs, 2048), 32);
		for (unsigned i = 0; i < 32; i++)
			assert_int_equal(rb[i].err, 0);
	}
	__atomic_store_n(&counting, 0, __ATOMIC_RELAXED);

	if (allocations != 0)
		fail_msg("%lu allocations during 21,600 lookups", allocations);
	/* The lookups did take the paths they were meant to. */
	assert_true(actions[RULES_ACT_FORWARD] > 0);
	assert_true(actions[RULES_ACT_REDIRECT] > 0);
	assert_true(actions[RULES_ACT_REJECT] > 0);
	assert_true(actions[RULES_ACT_NONE] > 0);

	/* The counter works: a scratch for another thread allocates. */
	__atomic_store_n(&counting, 1, __ATOMIC_RELAXED);
	struct rules_scratch *s2 = rules_scratch_clone(proto);
	__atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
	assert_non_null(s2);
	assert_true(allocations > 0);

	rules_scratch_free(s2);
	rules_scratch_free(s);
	rules_scratch_free(proto);
	rules_plan_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_allocation_per_lookup),
	};
	return cmocka_run_group_tests_name("noalloc", tests, NULL, NULL);
}
