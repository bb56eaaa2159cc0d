/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_LEX_H
#define SIP_LEX_H

/*
 * Lexical helpers shared by the structured parsers. Internal to sip/.
 * Every function takes [p, end) and never reads at or past end.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __AVX2__
#include <immintrin.h>
#endif

#include "sip_chars.h"
#include "sip_span.h"
#include "sip_str.h"

/* Skip LWS: SP, HT, and line folds (CRLF or LF followed by SP/HT). */
static inline const char *
lex_lws(const char *p, const char *end)
{
	if (p < end && (unsigned char)*p > ' ')
		return p; /* the common case: nothing to skip */
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '\r' && end - p >= 3 && p[1] == '\n' &&
				(p[2] == ' ' || p[2] == '\t')) {
			p += 3;
			continue;
		}
		if (p < end && *p == '\n' && end - p >= 2 && (p[1] == ' ' || p[1] == '\t')) {
			p += 2;
			continue;
		}
		return p;
	}
}

/* Trim trailing SP, HT, CR, LF from [start, end). */
static inline const char *
lex_rtrim(const char *start, const char *end)
{
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
			end[-1] == '\n'))
		end--;
	return end;
}

/*
 * Whether [p, p+len) holds a byte <= 0x20 (SP, HT, CR, LF, other controls):
 * eight bytes at a time ("has less than" bit trick, exact for a bound < 128).
 */
static inline int
lex_has_ctl_or_sp(const char *p, size_t len)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t x;
		memcpy(&x, p + i, 8);
		if ((x - ones * 0x21) & ~x & highs)
			return 1;
	}
	for (; i < len; i++)
		if ((unsigned char)p[i] <= 0x20)
			return 1;
	return 0;
}

#ifdef __SSE2__
/* Bytes of b equal to c (c = set1(c)), or also <= 0x20 if ctl, as a bit mask. */
static inline uint32_t
lex_find_mask16(__m128i b, __m128i c, bool ctl)
{
	__m128i hit = _mm_cmpeq_epi8(b, c);
	if (ctl)
		hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_min_epu8(b, _mm_set1_epi8(0x20)), b));
	return (uint32_t)_mm_movemask_epi8(hit);
}
#endif

/*
 * First byte of [p, end) equal to c, or (if ctl) <= 0x20, or end. With SSE2,
 * 16 bytes at a time like sip_span_simd(): whole blocks from p, then one
 * block ending at end (8..15 bytes: two 8-byte halves); never a load outside
 * [p, end). Inline, so short views skip a call to libc's memchr().
 */
static inline const char *
lex_find_impl(const char *p, const char *end, char c, bool ctl)
{
#ifdef __SSE2__
	if (end - p >= 8) {
		const __m128i vc = _mm_set1_epi8(c);
		uint32_t m;
		if (end - p >= 16) {
			do {
				__m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
				m = lex_find_mask16(b, vc, ctl);
				if (m != 0)
					return p + __builtin_ctz(m);
				p += 16;
			} while (end - p >= 16);
			if (p == end)
				return end;
			p = end - 16;
			__m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
			m = lex_find_mask16(b, vc, ctl);
			return m != 0 ? p + __builtin_ctz(m) : end;
		}
		__m128i lo = _mm_loadl_epi64((const __m128i *)(const void *)p);
		__m128i b = _mm_castpd_si128(_mm_loadh_pd(_mm_castsi128_pd(lo),
				(const double *)(const void *)(end - 8)));
		m = lex_find_mask16(b, vc, ctl);
		if (m == 0)
			return end;
		unsigned j = (unsigned)__builtin_ctz(m);
		return j < 8 ? p + j : end - 16 + j;
	}
#endif
	while (p < end && *p != c && (!ctl || (unsigned char)*p > 0x20))
		p++;
	return p;
}

/* Set bits of x: POPCNT where the target has it, else the SWAR sum (no libgcc call). */
static inline unsigned
lex_popcount32(uint32_t x)
{
#ifdef __POPCNT__
	return (unsigned)__builtin_popcount(x);
#else
	x = x - ((x >> 1) & 0x55555555u);
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0fu;
	return (x * 0x01010101u) >> 24;
#endif
}

/*
 * How many bytes of [p, end) are c. Whole blocks of 32 (AVX2) or 16 (SSE2)
 * bytes from p, then one block ending at end whose bytes already counted are
 * shifted out of its mask: never a load outside [p, end).
 */
static inline unsigned
lex_count(const char *p, const char *end, char c)
{
	unsigned n = 0;

#ifdef __AVX2__
	if (end - p >= 32) {
		const __m256i vc = _mm256_set1_epi8(c);
		for (; end - p >= 32; p += 32) {
			__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)p);
			uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, vc));
			n += lex_popcount32(m);
		}
		if (p < end) {
			unsigned left = (unsigned)(end - p); /* 1..31 */
			__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(end - 32));
			uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, vc));
			n += lex_popcount32(m >> (32 - left));
		}
		return n;
	}
#endif
#ifdef __SSE2__
	if (end - p >= 16) {
		const __m128i vc = _mm_set1_epi8(c);
		for (; end - p >= 16; p += 16) {
			__m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
			uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, vc));
			n += lex_popcount32(m);
		}
		if (p < end) {
			unsigned left = (unsigned)(end - p); /* 1..15 */
			__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
			uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, vc));
			n += lex_popcount32(m >> (16 - left));
		}
		return n;
	}
#endif
	for (; p < end; p++)
		n += *p == c;
	return n;
}

/* First c in [p, end), or end: memchr() for short views. */
static inline const char *
lex_find(const char *p, const char *end, char c)
{
	return lex_find_impl(p, end, c, false);
}

/*
 * First byte of [p, end) that is c or <= 0x20 (SP, HT, CR, LF, other
 * controls), or end: memchr() and lex_has_ctl_or_sp() in one pass.
 */
static inline const char *
lex_find_or_ctl(const char *p, const char *end, char c)
{
	return lex_find_impl(p, end, c, true);
}

/* Span of bytes in class cls (SIMD for the sets in SIP_SPAN_SETS). */
__attribute__((always_inline)) static inline const char *
lex_span(const char *p, const char *end, unsigned cls)
{
	return sip_span(p, end, cls);
}

/*
 * Quoted string starting at p (which must be '"'): returns the position
 * after the closing quote, or NULL if unterminated. quoted-pair may escape
 * any byte except CR and LF (RFC 3261 §25.1); raw bytes may be anything but
 * a lone CR/LF outside a fold.
 */
static inline const char *
lex_quoted(const char *p, const char *end)
{
	p++;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			if (end - p < 2 || p[1] == '\r' || p[1] == '\n')
				return NULL;
			p += 2;
			continue;
		}
		if (c == '\r' || c == '\n') {
			const char *q = lex_lws(p, end);
			if (q == p)
				return NULL;
			p = q;
			continue;
		}
		p++;
	}
	return NULL;
}

/*
 * Unsigned decimal in [p, end) made only of digits (leading zeros allowed).
 * Returns 0 and *out, or -1 if empty, not all digits, or above max.
 */
static inline int
lex_uint(const char *p, const char *end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (p == end)
		return -1;
	for (; p < end; p++) {
		unsigned d = (unsigned)(unsigned char)*p - '0';
		if (d > 9)
			return -1;
		v = v * 10 + d;
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * The digits at p as a number <= max: the byte after them, with *out set;
 * NULL when there is no digit or the number passes max. One pass, where
 * lex_span() of the digits and then lex_uint() read them twice.
 */
static inline const char *
lex_uint_span(const char *p, const char *end, uint64_t max, uint64_t *out)
{
	const char *d = p;
	uint64_t v = 0;

	for (; p < end; p++) {
		unsigned c = (unsigned)(unsigned char)*p - '0';
		if (c > 9)
			break;
		v = v * 10 + c;
		if (v > max)
			return NULL;
	}
	if (p == d)
		return NULL;
	*out = v;
	return p;
}

/*
 * Host-name characters from p (ALPHA, DIGIT, '-', '.'; RFC 3261 hostname
 * without its label rules): the first byte past them. *alpha is set to 1
 * when one of them is ALPHA or '-' (a name, not all digits and dots).
 */
static inline const char *
lex_hostname(const char *p, const char *end, unsigned *alpha)
{
	unsigned a = 0;

	while (p < end) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '.' || (unsigned char)(ch - '0') <= 9)
			p++;
		else if (sip_is(ch, SIP_C_ALPHA) || ch == '-')
			p++, a = 1;
		else
			break;
	}
	*alpha = a;
	return p;
}

#endif
