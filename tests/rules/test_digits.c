/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Number-range regexes answered without PCRE2 (rules/rules_digits.h):
 * which patterns take the fast path, and a differential test against
 * PCRE2 (the specification) on generated patterns, near-miss patterns and
 * subjects built to sit on every boundary (length, literal, class, '\n').
 */
#include <stdio.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules_digits.h"
#include "rules_test.h"

struct shape_case {
	const char *name;
	const char *pat;
	bool caseless;
	bool ok;
	const char *lit;
	unsigned min, max;
};

#define UNB RULES_DIGITS_UNBOUNDED

static const struct shape_case shapes[] = {
	{"carrier range", "^\\+0123[0-9]{4,6}$", false, true, "+0123", 4, 6},
	{"exact count", "^\\+49[0-9]{9}$", false, true, "+49", 9, 9},
	{"at least", "^0049[0-9]{3,}$", false, true, "0049", 3, UNB},
	{"star", "^\\+1[0-9]*$", false, true, "+1", 0, UNB},
	{"plus", "^\\+1\\d+$", false, true, "+1", 1, UNB},
	{"one digit", "^12[0-9]$", false, true, "12", 1, 1},
	{"literal only", "^service$", false, true, "service", 0, 0},
	{"empty literal", "^[0-9]{2,3}$", false, true, "", 2, 3},
	{"caseless digits", "^\\+44[0-9]{2}$", true, true, "+44", 2, 2},
	{"caseless letters: PCRE2", "^abc[0-9]{2}$", true, false, NULL, 0, 0},
	{"no ^", "\\+49[0-9]{9}$", false, false, NULL, 0, 0},
	{"no $", "^\\+49[0-9]{9}", false, false, NULL, 0, 0},
	{"escaped $", "^49\\$", false, false, NULL, 0, 0},
	{"alternation", "^(00|\\+)49[0-9]{9}$", false, false, NULL, 0, 0},
	{"group", "^\\+49([0-9]{9})$", false, false, NULL, 0, 0},
	{"other class", "^\\+49[1-9][0-9]{3}$", false, false, NULL, 0, 0},
	{"repeat on the literal", "^\\+4{2}[0-9]$", false, false, NULL, 0, 0},
	{"repeat on an escape", "^\\+{2}[0-9]$", false, false, NULL, 0, 0},
	{"lazy", "^1[0-9]{2,3}?$", false, false, NULL, 0, 0},
	{"possessive", "^1[0-9]{2,3}+$", false, false, NULL, 0, 0},
	{"max < min", "^1[0-9]{3,2}$", false, false, NULL, 0, 0},
	{"dot", "^1.[0-9]$", false, false, NULL, 0, 0},
	{"\\w", "^1\\w$", false, false, NULL, 0, 0},
	{"optional literal", "^12?[0-9]$", false, false, NULL, 0, 0},
	{"two classes", "^1[0-9][0-9]$", false, false, NULL, 0, 0},
};

static void
test_shapes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape_case *c = &shapes[i];
		struct rules_digits d;
		bool ok = rules_digits_compile(c->pat, strlen(c->pat), c->caseless, &d);
		if (ok != c->ok || d.ok != c->ok)
			fail_msg("%s: %s: fast path %d, want %d", c->name, c->pat, ok, c->ok);
		if (!ok)
			continue;
		if (d.lit_len != strlen(c->lit) || memcmp(d.lit, c->lit, d.lit_len) != 0 ||
				d.min != c->min || d.max != c->max)
			fail_msg("%s: %s: literal \"%.*s\" {%u,%u}", c->name, c->pat, d.lit_len,
					d.lit, d.min, d.max);
	}
}

/* What PCRE2 says, or -2 if it cannot compile the pattern. */
static int
oracle(pcre2_code *code, pcre2_match_data *md, const char *s, size_t len)
{
	int rc = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	return rc >= 0 ? 1 : 0;
}

/* A pattern of the shape, or close to it (one random corruption in four). */
static size_t
gen_pattern(struct rt_rng *r, char *out, size_t cap)
{
	static const char *const lit_atoms[] = {"\\+", "0", "1", "4", "9", "a", "Z", "\\.", "-",
		"@", "\\*", "_", "%", "\\(", "#"};
	static const char *const classes[] = {"[0-9]", "\\d", "", "[1-9]", "."};
	static const char *const reps[] = {"", "*", "+", "{3}", "{0,2}", "{2,5}", "{4,}", "?",
		"{2,3}?", "{,3}", "{1,1}"};
	static const char *const junk[] = {"(", ")", "|", "$", "^", "\\", "[", "{2}"};
	size_t n = 0;

	out[n++] = '^';
	for (unsigned k = rt_below(r, 6); k > 0; k--)
		n += (size_t)snprintf(out + n, cap - n, "%s",
				lit_atoms[rt_below(r, sizeof(lit_atoms) / sizeof(lit_atoms[0]))]);
	n += (size_t)snprintf(out + n, cap - n, "%s%s",
			classes[rt_below(r, sizeof(classes) / sizeof(classes[0]))],
			reps[rt_below(r, sizeof(reps) / sizeof(reps[0]))]);
	out[n++] = '$';
	if (rt_below(r, 4) == 0) {
		/* insert a stray metacharacter somewhere */
		size_t at = rt_below(r, (uint32_t)n + 1);
		const char *j = junk[rt_below(r, sizeof(junk) / sizeof(junk[0]))];
		size_t jl = strlen(j);
		memmove(out + at + jl, out + at, n - at);
		memcpy(out + at, j, jl);
		n += jl;
	}
	out[n] = '\0';
	return n;
}

/* A subject near the pattern's language: its literal, some digits, a twist. */
static size_t
gen_subject(struct rt_rng *r, const struct rules_digits *d, char *out, size_t cap)
{
	size_t n = 0;
	if (rt_below(r, 8) != 0) {
		memcpy(out, d->lit, d->lit_len);
		n = d->lit_len;
	}
	unsigned want = d->min + rt_below(r, 4);
	if (rt_below(r, 3) == 0 && want > 0)
		want -= 1 + rt_below(r, want < 2 ? want : 2);
	for (unsigned k = 0; k < want && n + 2 < cap; k++)
		out[n++] = (char)('0' + rt_below(r, 10));
	switch (rt_below(r, 10)) {
	case 0: /* a non-digit somewhere */
		if (n > 0)
			out[rt_below(r, (uint32_t)n)] = "a+/ \n:x"[rt_below(r, 7)];
		break;
	case 1: /* a final newline ($ matches before it) */
		out[n++] = '\n';
		break;
	case 2: /* a changed literal byte, case flipped */
		if (d->lit_len > 0) {
			unsigned at = rt_below(r, d->lit_len);
			out[at] = (char)(out[at] ^ 0x20);
		}
		break;
	case 3: /* a NUL byte */
		if (n > 0)
			out[rt_below(r, (uint32_t)n)] = '\0';
		break;
	default:
		break;
	}
	return n;
}

static void
test_against_pcre2(void **state)
{
	(void)state;
	struct rt_rng r = {0xd161750ull};
	pcre2_match_data *md = pcre2_match_data_create(10, NULL);
	unsigned fast = 0, compared = 0;
	char pat[128], subj[64];

	for (unsigned i = 0; i < 20000; i++) {
		size_t pl = gen_pattern(&r, pat, sizeof(pat));
		bool caseless = rt_below(&r, 4) == 0;
		struct rules_digits d;
		if (!rules_digits_compile(pat, pl, caseless, &d))
			continue;
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, pl, caseless ? PCRE2_CASELESS : 0,
				&ec, &eo, NULL);
		if (code == NULL)
			fail_msg("fast path took \"%s\", which PCRE2 does not compile", pat);
		fast++;
		for (unsigned k = 0; k < 50; k++) {
			size_t sl = gen_subject(&r, &d, subj, sizeof(subj));
			int got = rules_digits_match(&d, subj, sl);
			if (got < 0) {
				assert_true(sl > 0 && subj[sl - 1] == '\n');
				continue;
			}
			int want = oracle(code, md, subj, sl);
			compared++;
			if (got != want)
				fail_msg("pattern \"%s\"%s, subject \"%.*s\" (%zu bytes): fast %d, PCRE2 %d",
						pat, caseless ? " (caseless)" : "", (int)sl, subj, sl, got, want);
		}
		pcre2_code_free(code);
	}
	pcre2_match_data_free(md);
	/* The generator must really exercise the fast path, not only its refusals. */
	assert_true(fast > 1000);
	assert_true(compared > 50000);
}

int
test_group_digits(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_against_pcre2),
	};
	return cmocka_run_group_tests_name("digits", tests, NULL, NULL);
}
