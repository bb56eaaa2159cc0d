/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The indexes against brute force: random tables of prefix, exact and
 * regex rules (with filters, ties, every alphabet path), random queries,
 * and a reference that evaluates every rule the obvious way (PCRE2 for
 * the regexes) and picks the winner by the documented order.
 */
#include <stdio.h>
#include <stdlib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules_build.h"
#include "rules_dix.h"
#include "rules_test.h"

enum { K_PREFIX, K_EXACT, K_REGEX, K_NONE };

struct orule {
	uint32_t line;
	uint32_t prio;
	int kind;
	int field;      /* 0 user, 1 from */
	char val[48];
	int len_filter; /* -1 none */
	int method;     /* 0 none, 1 INVITE only, 2 BYE only */
	int from_pfx;   /* extra condition: from prefix "1" */
	pcre2_code *re;
	unsigned spec;
};

struct table {
	struct orule *r;
	unsigned n;
	bool line_order;
};

static const char alpha_digits[] = "0123456789";
static const char alpha_all[] = "0123456789+*#ab";

static void
rand_str(struct rt_rng *g, char *out, unsigned len, const char *alpha)
{
	size_t na = strlen(alpha);

	for (unsigned i = 0; i < len; i++)
		out[i] = alpha[rt_below(g, (uint32_t)na)];
	out[len] = '\0';
}

/* Small regexes that Hyperscan and PCRE2 read the same way. */
static void
rand_regex(struct rt_rng *g, char *out, size_t cap)
{
	size_t n = 0;
	unsigned atoms = 1 + rt_below(g, 4);

#define EMIT(...) n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__)
	if (rt_below(g, 2))
		EMIT("^");
	/* Literal starts the index can use, and look-alikes it must not. */
	switch (rt_below(g, 8)) {
	case 0:
		EMIT("\\+?");
		break;
	case 1:
		EMIT("%c%c", alpha_digits[rt_below(g, 10)], alpha_digits[rt_below(g, 10)]);
		break;
	case 2:
		EMIT("(%s%c|\\+%c)", rt_below(g, 2) ? "?:" : "", alpha_digits[rt_below(g, 10)],
				alpha_digits[rt_below(g, 10)]);
		break;
	case 3:
		EMIT("(%c|%c)?", alpha_digits[rt_below(g, 10)], alpha_digits[rt_below(g, 10)]);
		break;
	case 4:
		EMIT("\\+%c", alpha_digits[rt_below(g, 10)]);
		break;
	default:
		break;
	}
	for (unsigned i = 0; i < atoms; i++) {
		switch (rt_below(g, 5)) {
		case 0:
		case 1:
			EMIT("%c", alpha_digits[rt_below(g, 10)]);
			break;
		case 2: {
			unsigned a = rt_below(g, 10), b = a + rt_below(g, 10 - a);
			EMIT("[%u-%u]", a, b);
			break;
		}
		case 3:
			EMIT("(%c|%c%c)", alpha_digits[rt_below(g, 10)],
					alpha_digits[rt_below(g, 10)],
					alpha_digits[rt_below(g, 10)]);
			break;
		default:
			EMIT(".");
			break;
		}
		switch (rt_below(g, 6)) {
		case 0:
			EMIT("*");
			break;
		case 1:
			EMIT("+");
			break;
		case 2:
			EMIT("?");
			break;
		case 3:
			EMIT("{1,3}");
			break;
		default:
			break;
		}
	}
	if (rt_below(g, 3) == 0)
		EMIT("$");
	/* A top-level alternative: no prefix is common to every match. */
	if (rt_below(g, 12) == 0)
		EMIT("|%c", alpha_digits[rt_below(g, 10)]);
#undef EMIT
}

static bool
rule_matches(const struct orule *r, const char *user, const char *from, const char *method)
{
	const char *v = r->field == 0 ? user : from;
	size_t vl = strlen(v), l = strlen(r->val);

	switch (r->kind) {
	case K_PREFIX:
		if (vl < l || memcmp(v, r->val, l) != 0)
			return false;
		break;
	case K_EXACT:
		if (strcmp(v, r->val) != 0)
			return false;
		break;
	case K_REGEX: {
		pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->re, NULL);
		int rc = pcre2_match(r->re, (PCRE2_SPTR)v, vl, 0, 0, md, NULL);
		pcre2_match_data_free(md);
		if (rc < 0)
			return false;
		break;
	}
	default:
		break;
	}
	if (r->len_filter >= 0 && strlen(user) != (size_t)r->len_filter)
		return false;
	if (r->method == 1 && strcmp(method, "INVITE") != 0)
		return false;
	if (r->method == 2 && strcmp(method, "BYE") != 0)
		return false;
	if (r->from_pfx && from[0] != '1')
		return false;
	return true;
}

static bool
beats(const struct table *t, const struct orule *a, const struct orule *b)
{
	if (a->prio != b->prio)
		return a->prio < b->prio;
	if (!t->line_order && a->spec != b->spec)
		return a->spec > b->spec;
	return a->line < b->line;
}

static uint32_t
oracle(const struct table *t, const char *user, const char *from, const char *method)
{
	const struct orule *best = NULL;

	for (unsigned i = 0; i < t->n; i++)
		if (rule_matches(&t->r[i], user, from, method) && (best == NULL ||
				beats(t, &t->r[i], best)))
			best = &t->r[i];
	return best != NULL ? best->line : 0;
}

/* The table as dialplan text, one rule per line (line i + 1 + header lines). */
static char *
table_text(struct table *t)
{
	size_t cap = (size_t)t->n * 160 + 64, n = 0;
	char *s = malloc(cap);
	unsigned line = 1;

	assert_non_null(s);
	if (t->line_order) {
		n += (size_t)snprintf(s + n, cap - n, "tiebreak line\n");
		line++;
	}
	for (unsigned i = 0; i < t->n; i++, line++) {
		struct orule *r = &t->r[i];
		const char *fld = r->field == 0 ? "" : "from ";
		r->line = line;
		n += (size_t)snprintf(s + n, cap - n, "%u ", r->prio);
		if (r->kind == K_PREFIX)
			n += (size_t)snprintf(s + n, cap - n, "%sprefix \"%s\" ", fld, r->val);
		else if (r->kind == K_EXACT)
			n += (size_t)snprintf(s + n, cap - n, "%sexact \"%s\" ", fld, r->val);
		else if (r->kind == K_REGEX)
			n += (size_t)snprintf(s + n, cap - n, "%sregex \"%s\" ", fld, r->val);
		if (r->len_filter >= 0)
			n += (size_t)snprintf(s + n, cap - n, "len %d ", r->len_filter);
		if (r->method)
			n += (size_t)snprintf(s + n, cap - n, "method %s ",
					r->method == 1 ? "INVITE" : "BYE");
		if (r->from_pfx)
			n += (size_t)snprintf(s + n, cap - n, "from prefix 1 ");
		n += (size_t)snprintf(s + n, cap - n, "pass\n");
	}
	return s;
}

static void
spec_of(struct orule *r)
{
	unsigned s = 0;

	if (r->kind == K_PREFIX || r->kind == K_EXACT)
		s = 2 * (unsigned)strlen(r->val) + (r->kind == K_EXACT);
	/* "from prefix 1" is a prefix condition too: length 1. */
	if (r->from_pfx && s < 2)
		s = 2;
	r->spec = s;
}

static void
gen_query(struct rt_rng *g, const struct table *t, char *user, char *from, const char **method)
{
	unsigned mode = rt_below(g, 10);

	if (mode < 7 && t->n > 0) {
		const struct orule *r = &t->r[rt_below(g, t->n)];
		if (r->kind == K_PREFIX || r->kind == K_EXACT) {
			strcpy(user, r->val);
			/* Near misses: the value with its last symbol changed. */
			if (rt_below(g, 5) == 0 && user[0] != '\0')
				user[strlen(user) - 1] = alpha_all[rt_below(g, 15)];
		} else {
			rand_str(g, user, rt_below(g, 6), alpha_digits);
		}
		size_t l = strlen(user);
		unsigned more = rt_below(g, 4) == 0 ? 0 : rt_below(g, 6);
		rand_str(g, user + l, more, alpha_all);
		if (rt_below(g, 20) == 0)
			strcat(user, "-x");
	} else if (mode < 9) {
		rand_str(g, user, rt_below(g, 24), alpha_all);
	} else {
		rand_str(g, user, rt_below(g, 4), alpha_digits);
	}
	rand_str(g, from, rt_below(g, 4), alpha_digits);
	*method = rt_below(g, 2) ? "INVITE" : "BYE";
}

static void
check_table(struct table *t, struct rt_rng *g, unsigned queries, uint64_t seed)
{
	char *text = table_text(t);
	struct tp tp = rt_compile(text);
	char user[96], from[16], buf[512];
	const char *method;

	for (unsigned i = 0; i < queries; i++) {
		gen_query(g, t, user, from, &method);
		struct tq in = {.user = user, .from = from, .method = method};
		struct rules_result r;
		assert_int_equal(rt_match(&tp, &in, &r, buf, sizeof(buf)), 0);
		uint32_t want = oracle(t, user, from, method);
		if (r.line != want) {
			fprintf(stderr, "seed %llu: user \"%s\" from \"%s\" %s: line %u, "
					"oracle %u\n", (unsigned long long)seed, user, from, method,
					r.line, want);
			FILE *f = fopen("rules_oracle_fail.dialplan", "w");
			if (f != NULL) {
				fputs(text, f);
				fclose(f);
			}
			fail_msg("index disagrees with brute force (table in "
					"rules_oracle_fail.dialplan)");
		}
	}
	rt_free(&tp);
	free(text);
}

static void
free_table(struct table *t)
{
	for (unsigned i = 0; i < t->n; i++)
		pcre2_code_free(t->r[i].re);
	free(t->r);
}

static void
gen_prefix_table(struct rt_rng *g, struct table *t, unsigned n, unsigned maxprio)
{
	t->r = calloc(n, sizeof(*t->r));
	assert_non_null(t->r);
	t->n = n;
	for (unsigned i = 0; i < n; i++) {
		struct orule *r = &t->r[i];
		unsigned len = 1 + rt_below(g, 7);
		const char *alpha = rt_below(g, 8) == 0 ? alpha_all : alpha_digits;
		if (rt_below(g, 6) == 0)
			len = 8 + rt_below(g, 8); /* long digit values: 64-bit leaf keys */
		else if (rt_below(g, 25) == 0)
			len = 16 + rt_below(g, 5); /* beyond the digit index */
		r->kind = rt_below(g, 4) == 0 ? K_EXACT : K_PREFIX;
		r->field = rt_below(g, 10) == 0 ? 1 : 0;
		rand_str(g, r->val, len, alpha);
		r->prio = rt_below(g, maxprio);
		r->len_filter = rt_below(g, 12) == 0 ? (int)(len + rt_below(g, 3)) : -1;
		r->method = rt_below(g, 10) == 0 ? 1 + (int)rt_below(g, 2) : 0;
		r->from_pfx = rt_below(g, 20) == 0;
		spec_of(r);
	}
}

/* RULES_ORACLE_ROUNDS=N repeats the random rounds with other seeds (soak runs). */
static unsigned
rounds(void)
{
	const char *e = getenv("RULES_ORACLE_ROUNDS");
	unsigned n = e != NULL ? (unsigned)strtoul(e, NULL, 10) : 1;

	return n ? n : 1;
}

static void
test_prefix_oracle(void **state)
{
	static const struct {
		unsigned rules, prio, queries;
	} shapes[] = {
		{20, 3, 3000},     /* dense: every query hits nested prefixes and ties */
		{300, 5, 5000},
		{3000, 50, 5000},
		{20000, 1000, 5000},
	};

	(void)state;
	for (unsigned k = 0; k < rounds(); k++) {
		for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
			for (int order = 0; order < 2; order++) {
				uint64_t seed = 0x5eed0000u + k * 1000 + s * 2 + (uint64_t)order;
				struct rt_rng g = {seed};
				struct table t = {0};
				gen_prefix_table(&g, &t, shapes[s].rules, shapes[s].prio);
				t.line_order = order;
				check_table(&t, &g, shapes[s].queries, seed);
				free_table(&t);
			}
		}
	}
}

static void
test_regex_oracle(void **state)
{
	(void)state;
	for (unsigned round = 0; round < 6 * rounds(); round++) {
		uint64_t seed = 0xabc000u + round;
		struct rt_rng g = {seed};
		struct table t = {0};
		unsigned n = round < 3 ? 40 : 300;
		t.r = calloc(n, sizeof(*t.r));
		assert_non_null(t.r);
		t.n = n;
		t.line_order = round % 2;
		for (unsigned i = 0; i < n; i++) {
			struct orule *r = &t.r[i];
			r->len_filter = -1;
			r->prio = rt_below(&g, 8);
			if (rt_below(&g, 4) == 0) {
				r->kind = rt_below(&g, 3) ? K_PREFIX : K_EXACT;
				rand_str(&g, r->val, 1 + rt_below(&g, 4), alpha_digits);
			} else {
				int ec;
				PCRE2_SIZE eo;
				r->kind = K_REGEX;
				rand_regex(&g, r->val, sizeof(r->val));
				r->re = pcre2_compile((PCRE2_SPTR)r->val, PCRE2_ZERO_TERMINATED, 0,
						&ec, &eo, NULL);
				assert_non_null(r->re);
				r->field = rt_below(&g, 8) == 0 ? 1 : 0;
			}
			r->method = rt_below(&g, 8) == 0 ? 1 : 0;
			r->from_pfx = rt_below(&g, 12) == 0;
			spec_of(r);
		}
		check_table(&t, &g, 4000, seed);
		free_table(&t);
	}
}

/* The burst matcher must agree with one-at-a-time matching. */
static void
test_burst(void **state)
{
	struct rt_rng g = {77};
	struct table t = {0};
	enum { N = 100 };
	struct rules_query q[N];
	struct rules_result r[N];
	char users[N][96], from[N][16];
	static char bufs[N][512];

	(void)state;
	gen_prefix_table(&g, &t, 2000, 20);
	/* Regexes too: literal-prefix candidates in lists, and the scan path. */
	for (unsigned i = 0; i < t.n; i += 7) {
		struct orule *o = &t.r[i];
		int ec;
		PCRE2_SIZE eo;
		o->kind = K_REGEX;
		o->field = 0;
		rand_regex(&g, o->val, sizeof(o->val));
		o->re = pcre2_compile((PCRE2_SPTR)o->val, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
		assert_non_null(o->re);
		spec_of(o);
	}
	char *text = table_text(&t);
	struct tp tp = rt_compile(text);
	for (int round = 0; round < 40; round++) {
		for (int i = 0; i < N; i++) {
			const char *m;
			gen_query(&g, &t, users[i], from[i], &m);
			struct tq in = {.user = users[i], .from = from[i], .method = m};
			rt_query(&q[i], &in);
		}
		unsigned n = 1 + rt_below(&g, N);
		/* The pipeline is only used for big plans: force it on and off. */
		tp.p->pipeline = round % 2 == 0;
		assert_int_equal(rules_match_burst(tp.p, tp.s, q, n, NULL, r, bufs[0], 512), n);
		for (unsigned i = 0; i < n; i++) {
			struct rules_result one;
			char buf[512];
			int rc = rules_match(tp.p, tp.s, &q[i], NULL, &one, buf, sizeof(buf));
			assert_int_equal(rc, r[i].err);
			assert_int_equal(one.rule, r[i].rule);
			assert_int_equal(one.action, r[i].action);
			/* And both agree with brute force. */
			assert_int_equal(r[i].line, oracle(&t, users[i], from[i],
					q[i].method.len == 6 ? "INVITE" : "BYE"));
		}
	}
	rt_free(&tp);
	free(text);
	free_table(&t);
}

/* The SIMD key must equal the scalar reference for every input (lengths 0..40). */
static void
test_key_simd(void **state)
{
	static const char alpha[] = "0123456789+*#a-Z\x00\xff";
	struct rt_rng g = {11};
	char s[48];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint32_t n = rt_below(&g, 41);
		for (uint32_t j = 0; j < n; j++)
			s[j] = alpha[rt_below(&g, sizeof(alpha) - 1)];
		if (dix_key(s, n) != dix_key_scalar(s, n))
			fail_msg("key of \"%.*s\" (%u bytes) differs", (int)n, s, n);
	}
}

int
test_group_prefix(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_key_simd),
		cmocka_unit_test(test_prefix_oracle),
		cmocka_unit_test(test_burst),
	};
	return cmocka_run_group_tests_name("prefix", t, NULL, NULL);
}

/* Literal prefixes a regex's matches must start with (the regex index). */
static void
test_regex_literals(void **state)
{
	static const struct {
		const char *re;
		const char *want; /* literals separated by spaces; "" for none */
	} cases[] = {
		{"^\\+49", "+49"},
		{"^0049[0-9]+$", "0049"},
		{"^\\+49(1[5-7])", "+49"},
		{"^49?", "4"},
		{"^49*1", "4"},
		{"^49+", "4"},
		{"^49{2}", "4"},
		{"^(00|\\+)49", "0049 +49"},
		{"^(?:00|\\+)49(1|2)x", "00491x 00492x +491x +492x"},
		{"^(00|\\+)?49", ""},
		{"^(0|[12])3", ""},
		{"^(|0)3", ""},
		{"^a|b", ""},
		{"^(a|b)|c", ""},
		{"^[|]x", ""},
		{"^\\d", ""},
		{"^\\x41", ""},
		{"^\\.a", ".a"},
		{"4930", ""},
		{"^", ""},
		{"^$", ""},
		{"^(?i)abc", ""},
		{"^ab(?i)c", "ab"},
		{"^abc$", "abc"},
	};
	char lit[RELIT_MAX][RELIT_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned n = rules_regex_literals(cases[i].re, strlen(cases[i].re), lit, RELIT_MAX);
		char got[512] = "";
		for (unsigned k = 0; k < n; k++) {
			if (k)
				strcat(got, " ");
			strcat(got, lit[k]);
		}
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: literals \"%s\", want \"%s\"", cases[i].re, got,
					cases[i].want);
	}
}

int
test_group_regex(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_regex_literals),
		cmocka_unit_test(test_regex_oracle),
	};
	return cmocka_run_group_tests_name("regex", t, NULL, NULL);
}
