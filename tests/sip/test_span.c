/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The span functions of sip_span.h (lex_span(), sip_span_escaped()) against
 * the scalar loops they replaced, which stay here as the specification
 * (STYLE.md rule 3). Every variant (scalar, SSSE3, AVX2; span_variants.c)
 * and every class set with nibble tables, on random inputs of every length
 * 0..200 over an alphabet biased towards the bytes that matter: members,
 * '%', hex digits, bytes >= 0x80 and controls; and on the same inputs
 * lex_find() against memchr(), and lex_find_or_ctl(), which
 * sip_naddr_parse() uses for "<uri>", against memchr() plus
 * lex_has_ctl_or_sp(), lex_count() against a byte loop, and lex_uint_span()
 * against lex_span() of the digits then lex_uint(). Each input sits flush
 * against a guard page at either end and is spanned from every offset, so
 * a read at or past end (or before the start) faults.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sip_test.h"
#include "sip_chars.h"
#include "sip_lex.h"
#include "sip_span.h"
#include "span_variants.h"

#define SEED 0x5ba45eedull
#define MAX_LEN 200u
#define PER_LEN 24u

#define SET_NAME(name, cls) [SIP_SPAN_##name] = #name,
static const char *const set_names[SIP_SPAN_N] = { SIP_SPAN_SETS(SET_NAME) };
#define SET_CLS(name, cls) [SIP_SPAN_##name] = (cls),
static const unsigned set_cls[SIP_SPAN_N] = { SIP_SPAN_SETS(SET_CLS) };

/* The loop lex_span() was before the vector path. */
static const char *
ref_span(const char *p, const char *end, unsigned cls)
{
	while (p < end && sip_is((unsigned char)*p, cls))
		p++;
	return p;
}

/* span_escaped() of sip_uri.c before the vector path. */
static const char *
ref_escaped(const char *p, const char *end, unsigned cls)
{
	while (end - p >= 4 && (sip_char_class[(unsigned char)p[0]] &
			sip_char_class[(unsigned char)p[1]] & sip_char_class[(unsigned char)p[2]] &
			sip_char_class[(unsigned char)p[3]] & cls))
		p += 4;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (sip_is(c, cls)) {
			p++;
		} else if (c == '%') {
			if (end - p < 3 || sip_hexval((unsigned char)p[1]) < 0 ||
					sip_hexval((unsigned char)p[2]) < 0)
				return NULL;
			p += 3;
		} else {
			break;
		}
	}
	return p;
}

/* What sip_naddr_parse() did before lex_find_or_ctl(): memchr(), then lex_has_ctl_or_sp(). */
static const char *
ref_find_or_ctl(const char *p, const char *end, char c)
{
	const char *q = memchr(p, c, (size_t)(end - p));
	const char *lim = q != NULL ? q : end;

	for (const char *r = p; r < lim; r++)
		if ((unsigned char)*r <= 0x20)
			return r;
	return lim;
}

/* The nibble tables say exactly what sip_char_class says, and nothing for bytes >= 0x80. */
static void
tables_match_classes(void **state)
{
	(void)state;
	for (unsigned s = 0; s < SIP_SPAN_N; s++) {
		assert_ptr_equal(sip_span_nib_of(set_cls[s]), sip_span_nib[s]);
		for (unsigned b = 0; b < 256; b++) {
			int in = b < 0x80 && (sip_span_nib[s][b & 15] & (1u << (b >> 4))) != 0;
			if (in != sip_is((unsigned char)b, set_cls[s]))
				fail_msg("set %s byte 0x%02x: table %d, sip_char_class %d",
						set_names[s], b, in, !in);
		}
	}
	assert_null(sip_span_nib_of(SIP_C_HOST));
}

/* Members of set s, to draw from. */
static size_t
members(unsigned s, char *out)
{
	size_t n = 0;
	for (unsigned b = 0; b < 256; b++)
		if (sip_is((unsigned char)b, set_cls[s]))
			out[n++] = (char)b;
	return n;
}

/*
 * A random input: mostly members (the share varies per input so long
 * spans occur), then escapes good and bad, hex digits, bytes >= 0x80,
 * controls and any byte.
 */
static void
fill(struct rng *r, char *buf, size_t len, const char *mem, size_t nmem)
{
	unsigned share = 50 + rng_below(r, 50); /* percent members */

	for (size_t i = 0; i < len; i++) {
		unsigned k = rng_below(r, 100);
		if (k < share)
			buf[i] = mem[rng_below(r, (uint32_t)nmem)];
		else if ((k -= share) % 8 == 0)
			buf[i] = '%';
		else if (k % 8 == 1)
			buf[i] = "0123456789abcdefABCDEF"[rng_below(r, 22)];
		else if (k % 8 == 2)
			buf[i] = "zZgG%>"[rng_below(r, 6)];
		else if (k % 8 == 3)
			buf[i] = (char)(0x80 + rng_below(r, 128));
		else if (k % 8 == 4)
			buf[i] = (char)("\x00\t\r\n\x1f\x7f "[rng_below(r, 7)]);
		else
			buf[i] = (char)rng_below(r, 256);
	}
}

static void
check_one(const struct span_variant *v, unsigned s, const char *p, const char *end,
		const char *buf, size_t len)
{
	const char *want = ref_span(p, end, set_cls[s]);
	const char *got = v->span[s](p, end);
	const char *want_e = ref_escaped(p, end, set_cls[s]);
	const char *got_e = v->escaped[s](p, end);
	const char *want_f = ref_find_or_ctl(p, end, '>');
	const char *got_f = v->find_gt_or_ctl(p, end);
	char esc[4 * MAX_LEN + 1];

	const char *want_g = memchr(p, '>', (size_t)(end - p));
	const char *got_g = v->find_gt(p, end);

	unsigned want_n = 0, got_n = v->count_gt(p, end);
	for (const char *q = p; q < end; q++)
		want_n += *q == '>';

	uint64_t want_v = 0, got_v = 0;
	const char *digits = ref_span(p, end, SIP_C_DIGIT);
	const char *want_u = lex_uint(p, digits, 65535, &want_v) == 0 ? digits : NULL;
	const char *got_u = v->uint_span(p, end, &got_v);
	if (got_u != want_u || (want_u != NULL && got_v != want_v))
		fail_msg("%s from %td: lex_uint_span %td = %" PRIu64 " (want %td = %" PRIu64 ")",
				v->name, p - buf, got_u ? got_u - buf : -1, got_v,
				want_u ? want_u - buf : -1, want_v);

	if (want_g == NULL)
		want_g = end;
	if (got_f != want_f || got_g != want_g || got_n != want_n) {
		test_escape(buf, len, esc, sizeof(esc));
		fail_msg("%s from %td of \"%s\": lex_find_or_ctl('>') %td (want %td), "
				"lex_find('>') %td (want %td), lex_count('>') %u (want %u)",
				v->name, p - buf, esc, got_f - buf, want_f - buf, got_g - buf,
				want_g - buf, got_n, want_n);
	}
	if (got == want && got_e == want_e)
		return;
	test_escape(buf, len, esc, sizeof(esc));
	fail_msg("%s %s from %td of \"%s\": span %td (want %td), escaped %td (want %td; -1 NULL)",
			v->name, set_names[s], p - buf, esc, got - buf, want - buf,
			got_e ? got_e - buf : -1, want_e ? want_e - buf : -1);
}

static void
differential(const struct span_variant *v)
{
	static char buf[MAX_LEN];
	char mem[256];
	struct rng r;

	rng_seed(&r, SEED);
	for (unsigned s = 0; s < SIP_SPAN_N; s++) {
		size_t nmem = members(s, mem);
		for (size_t len = 0; len <= MAX_LEN; len++) {
			for (unsigned i = 0; i < PER_LEN; i++) {
				fill(&r, buf, len, mem, nmem);
				/* Flush against the back guard, then against the front one. */
				const char *b = guard_put(test_slot(0), buf, len);
				for (size_t k = 0; k <= len; k++)
					check_one(v, s, b + k, b + len, b, len);
				b = guard_put_front(test_slot(1), buf, len);
				for (size_t k = 0; k <= len; k++)
					check_one(v, s, b + k, b + len, b, len);
			}
		}
	}
}

static void
variant_scalar(void **state)
{
	(void)state;
	assert_string_equal(span_variant_scalar.isa, "none");
	differential(&span_variant_scalar);
}

static void
variant_ssse3(void **state)
{
	(void)state;
	assert_string_equal(span_variant_ssse3.isa, "ssse3");
	if (!__builtin_cpu_supports("ssse3"))
		skip();
	differential(&span_variant_ssse3);
}

static void
variant_avx2(void **state)
{
	(void)state;
	assert_string_equal(span_variant_avx2.isa, "avx2");
	if (!__builtin_cpu_supports("avx2"))
		skip();
	differential(&span_variant_avx2);
}

int
test_group_span(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tables_match_classes),
		cmocka_unit_test(variant_scalar),
		cmocka_unit_test(variant_ssse3),
		cmocka_unit_test(variant_avx2),
	};
	return cmocka_run_group_tests_name("span", tests, NULL, NULL);
}
