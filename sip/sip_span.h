/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_SPAN_H
#define SIP_SPAN_H

/*
 * Spans of a character class, 16 or 32 bytes at a time where the build has
 * SSSE3 or AVX2 (the ISA level is chosen at compile time, -Dmarch), else one
 * byte at a time. Internal to sip/. Every function takes [p, end) and never
 * reads at or past end (nor before p): with at least SIP_SPAN_MIN bytes the
 * vector code loads whole blocks from p and finishes with a block that ends
 * exactly at end; shorter inputs, sets without tables and builds without
 * SSSE3 take the scalar loop, which is the specification
 * (tests/sip/test_span.c checks every variant against it).
 *
 * Membership of byte b < 0x80 in a set S, two PSHUFB lookups (Mula's
 * nibble method): sip_span_nib[S][b & 15] has bit (b >> 4) set iff b is in
 * S. PSHUFB yields 0 for an index >= 0x80, so bytes >= 0x80 are
 * non-members, as they are of every set with tables (sip_chars.c checks).
 */

#include <stddef.h>
#include <stdint.h>

#if defined(__AVX2__) || defined(__SSSE3__)
#include <immintrin.h>
#endif

/* The vector span needs this many bytes in [p, end); shorter inputs take the scalar loop. */
#define SIP_SPAN_MIN 8

#include "sip_chars.h"

/* The nibble table of class set cls, or NULL if none (see SIP_SPAN_SETS). */
__attribute__((always_inline)) static inline const uint8_t *
sip_span_nib_of(unsigned cls)
{
#define SIP_SPAN_CASE(name, c) \
	if (cls == (unsigned)(c)) \
		return sip_span_nib[SIP_SPAN_##name];
	SIP_SPAN_SETS(SIP_SPAN_CASE)
#undef SIP_SPAN_CASE
	return NULL;
}

/* PSHUFB table of bit (1 << h) for high nibble h < 8. */
extern const uint8_t sip_span_hibit[16];

#if defined(__AVX2__)
/* Non-members of the nibble set (tlo, thi) among the 32 bytes of b, as a bit mask. */
static inline uint32_t
sip_span_out32(__m256i b, __m256i tlo, __m256i thi)
{
	__m256i lo = _mm256_shuffle_epi8(tlo, b);
	__m256i hi = _mm256_shuffle_epi8(thi, _mm256_and_si256(_mm256_srli_epi16(b, 4),
			_mm256_set1_epi8(0x0f)));
	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(lo, hi),
			_mm256_setzero_si256()));
}
#endif

#if defined(__SSSE3__)
static inline uint32_t
sip_span_out16(__m128i b, __m128i tlo, __m128i thi)
{
	__m128i lo = _mm_shuffle_epi8(tlo, b);
	__m128i hi = _mm_shuffle_epi8(thi, _mm_and_si128(_mm_srli_epi16(b, 4),
			_mm_set1_epi8(0x0f)));
	return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(lo, hi),
			_mm_setzero_si128()));
}

/* Bytes p[0..8) and end[-8..0) in one register: 8 <= end - p, the halves may overlap. */
static inline __m128i
sip_span_load2x8(const char *p, const char *end)
{
	__m128i lo = _mm_loadl_epi64((const __m128i *)(const void *)p);
	return _mm_castpd_si128(_mm_loadh_pd(_mm_castsi128_pd(lo),
			(const double *)(const void *)(end - 8)));
}
#endif

/*
 * The vector span, for SIP_SPAN_MIN <= end - p: returns the first byte of
 * [p, end) not in the set of nibble table nib, or end. No set holds bytes
 * >= 0x80, so the answer is final. Every load lies inside [p, end): whole
 * blocks from p, then one block that ends at end and overlaps bytes already
 * known to be members (so its first non-member is the first of the span).
 * Always inlined: GCC's LTO inliner otherwise keeps or drops it by a size
 * budget that any change elsewhere moves (Step 13 in docs/PERFORMANCE.md:
 * one such change made it a call, 27 a message, and cost ~35 instructions).
 */
__attribute__((always_inline)) static inline const char *
sip_span_simd(const char *p, const char *end, const uint8_t *nib)
{
#if defined(__AVX2__)
	const __m128i tlo16 = _mm_load_si128((const __m128i *)(const void *)nib);
	const __m128i thi16 = _mm_load_si128((const __m128i *)(const void *)sip_span_hibit);
	uint32_t m;

	if (end - p >= 32) {
		const __m256i tlo = _mm256_broadcastsi128_si256(tlo16);
		const __m256i thi = _mm256_broadcastsi128_si256(thi16);
		do {
			m = sip_span_out32(_mm256_loadu_si256((const __m256i *)(const void *)p),
					tlo, thi);
			if (m != 0)
				return p + __builtin_ctz(m);
			p += 32;
		} while (end - p >= 32);
		if (p == end)
			return end;
		p = end - 32;
		m = sip_span_out32(_mm256_loadu_si256((const __m256i *)(const void *)p), tlo, thi);
		return m != 0 ? p + __builtin_ctz(m) : end;
	}
	if (end - p >= 16) {
		const __m256i tlo = _mm256_broadcastsi128_si256(tlo16);
		const __m256i thi = _mm256_broadcastsi128_si256(thi16);
		m = sip_span_out32(_mm256_loadu2_m128i((const __m128i *)(const void *)(end - 16),
				(const __m128i *)(const void *)p), tlo, thi);
		if (m == 0)
			return end;
		unsigned j = (unsigned)__builtin_ctz(m);
		return j < 16 ? p + j : end - 32 + j;
	}
	m = sip_span_out16(sip_span_load2x8(p, end), tlo16, thi16);
	if (m == 0)
		return end;
	unsigned j = (unsigned)__builtin_ctz(m);
	return j < 8 ? p + j : end - 16 + j;
#elif defined(__SSSE3__)
	const __m128i tlo = _mm_load_si128((const __m128i *)(const void *)nib);
	const __m128i thi = _mm_load_si128((const __m128i *)(const void *)sip_span_hibit);
	uint32_t m;

	if (end - p >= 16) {
		do {
			m = sip_span_out16(_mm_loadu_si128((const __m128i *)(const void *)p), tlo,
					thi);
			if (m != 0)
				return p + __builtin_ctz(m);
			p += 16;
		} while (end - p >= 16);
		if (p == end)
			return end;
		p = end - 16;
		m = sip_span_out16(_mm_loadu_si128((const __m128i *)(const void *)p), tlo, thi);
		return m != 0 ? p + __builtin_ctz(m) : end;
	}
	m = sip_span_out16(sip_span_load2x8(p, end), tlo, thi);
	if (m == 0)
		return end;
	unsigned j = (unsigned)__builtin_ctz(m);
	return j < 8 ? p + j : end - 16 + j;
#else
	(void)end;
	(void)nib;
	return p;
#endif
}

/* Whether the vector span runs on [p, end) with table nib (else the scalar loop). */
static inline int
sip_span_simd_ok(const char *p, const char *end, const uint8_t *nib)
{
#if defined(__AVX2__) || defined(__SSSE3__)
	return nib != NULL && end - p >= SIP_SPAN_MIN;
#else
	(void)p;
	(void)end;
	(void)nib;
	return 0;
#endif
}

static inline const char *
sip_span_with(const char *p, const char *end, unsigned cls, const uint8_t *nib)
{
	if (sip_span_simd_ok(p, end, nib))
		return sip_span_simd(p, end, nib);
	while (p < end && sip_is((unsigned char)*p, cls))
		p++;
	return p;
}

/* Span of bytes in class set cls. */
__attribute__((always_inline)) static inline const char *
sip_span(const char *p, const char *end, unsigned cls)
{
	return sip_span_with(p, end, cls, sip_span_nib_of(cls));
}

static inline const char *
sip_span_escaped_with(const char *p, const char *end, unsigned cls, const uint8_t *nib)
{
	for (;;) {
		if (sip_span_simd_ok(p, end, nib)) {
			p = sip_span_simd(p, end, nib);
			if (p == end)
				return p;
			goto stop; /* *p is not in cls */
		}
		/* Four at a time while all four are plain members. */
		while (end - p >= 4 && (sip_char_class[(unsigned char)p[0]] &
				sip_char_class[(unsigned char)p[1]] &
				sip_char_class[(unsigned char)p[2]] &
				sip_char_class[(unsigned char)p[3]] & cls))
			p += 4;
		while (p < end && sip_is((unsigned char)*p, cls))
			p++;
		if (p == end)
			return p;
stop:
		if (*p != '%')
			return p;
		if (end - p < 3 || sip_hexval((unsigned char)p[1]) < 0 ||
				sip_hexval((unsigned char)p[2]) < 0)
			return NULL;
		p += 3;
	}
}

/*
 * Bytes in class set cls or %HH escapes. Returns the end of the span, or
 * NULL on a bad escape ('%' not followed by two hex digits before end).
 */
__attribute__((always_inline)) static inline const char *
sip_span_escaped(const char *p, const char *end, unsigned cls)
{
	return sip_span_escaped_with(p, end, cls, sip_span_nib_of(cls));
}

#endif
