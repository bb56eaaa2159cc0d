/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_TEST_H
#define RULES_TEST_H

/* librules unit tests: shared helpers. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"
#include "rules_swap.h"

/* Groups (main.c runs them by name). */
int test_group_lang(void);
int test_group_prio(void);
int test_group_prefix(void);
int test_group_regex(void);
int test_group_subst(void);
int test_group_actions(void);
int test_group_errors(void);
int test_group_blob(void);
int test_group_kamailio(void);
int test_group_explain(void);
int test_group_swap(void);
int test_group_examples(void);
int test_group_files(void);
int test_group_digits(void);
/* test_rules --load-blob FILE: load a serialized plan, print a digest of its answers. */
int rt_blob_child(const char *path);

/* Directory of examples/dialplans (second command-line argument). */
extern const char *rt_examples;

/* Fixed-seed PRNG (xorshift64*): runs are reproducible; the seed is printed on failure. */
struct rt_rng {
	uint64_t s;
};

static inline uint64_t
rt_next(struct rt_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static inline uint32_t
rt_below(struct rt_rng *r, uint32_t n)
{
	return (uint32_t)(((rt_next(r) >> 32) * n) >> 32);
}

/* A compiled plan with a scratch. */
struct tp {
	struct rules_plan *p;
	struct rules_scratch *s;
};

/* Compile text; fails the test (printing every error) if it does not compile. */
struct tp rt_compile(const char *text);
/* Compile text that must fail; returns the errors (caller clears). */
struct rules_errors rt_compile_fail(const char *text);
void rt_free(struct tp *t);

/* Query fields as C strings; NULL is absent. src is an address text or NULL. */
struct tq {
	const char *user;
	const char *domain;
	const char *from;
	const char *to;
	const char *method;
	const char *src;
	uint64_t callid;
};

void rt_query(struct rules_query *q, const struct tq *t);

/* A plan, a query and the line of the rule that must win (0: none matches). */
struct rt_winner_case {
	const char *name;
	const char *plan;
	struct tq q;
	uint32_t line;
};

/* cmocka test body for a struct rt_winner_case passed as *state. */
void rt_run_winner_case(void **state);

/* Match and return the result; buf must outlive the result's views. */
int rt_match(struct tp *t, const struct tq *in, struct rules_result *r, char *buf, size_t cap);
/* Source line of the winner for user alone (0 if none). */
uint32_t rt_line(struct tp *t, const char *user);

/* View equals C string. */
#define assert_view(v, str) do { \
	struct rules_view _v = (v); \
	const char *_s = (str); \
	if (_v.len != strlen(_s) || memcmp(_v.p, _s, _v.len) != 0) \
		fail_msg("got \"%.*s\", want \"%s\"", (int)_v.len, _v.p ? _v.p : "", _s); \
} while (0)

#endif
