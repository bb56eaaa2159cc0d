/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AVX2 variant of dp_scanner_pf_scalar(), built with -mavx2 (chosen at
 * start-up): 32 starts per step, each window byte's bucket bits looked up
 * by nibble with vpshufb, as Teddy does.
 */
#include "dp_scanner_impl.h"

#include <string.h>

#include <immintrin.h>

/* A step reads its 32 starts and W - 1 bytes more. */
#define STEP 32
#define READ (STEP + DP_SCANNER_PF_W - 1)

/* Bucket bits of the 32 starts at q (reads q[0..READ)). */
static inline __m256i
step(const __m256i lo[DP_SCANNER_PF_W], const __m256i hi[DP_SCANNER_PF_W], const uint8_t *q)
{
	const __m256i nib = _mm256_set1_epi8(0x0f);
	__m256i m = _mm256_set1_epi8(-1);

	for (unsigned j = 0; j < DP_SCANNER_PF_W; j++) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(q + j));
		__m256i l = _mm256_shuffle_epi8(lo[j], _mm256_and_si256(x, nib));
		__m256i h = _mm256_shuffle_epi8(hi[j],
				_mm256_and_si256(_mm256_srli_epi16(x, 4), nib));
		m = _mm256_and_si256(m, _mm256_and_si256(l, h));
	}
	return m;
}

bool
dp_scanner_pf_avx2(const struct dp_scanner_pf *f, const char *p, size_t len)
{
	const uint8_t *u = (const uint8_t *)p;
	__m256i lo[DP_SCANNER_PF_W], hi[DP_SCANNER_PF_W], m;

	for (unsigned j = 0; j < DP_SCANNER_PF_W; j++) {
		lo[j] = _mm256_broadcastsi128_si256(
				_mm_loadu_si128((const __m128i *)(const void *)f->lo[j]));
		hi[j] = _mm256_broadcastsi128_si256(
				_mm_loadu_si128((const __m128i *)(const void *)f->hi[j]));
	}
	if (len < READ) {
		/*
		 * Too short to read in place: a copy padded with NUL, as the
		 * definition reads past the end; starts past the end masked off.
		 */
		uint8_t buf[READ] = {0};
		unsigned starts;

		if (len > STEP)
			return dp_scanner_pf_scalar(f, p, len);
		memcpy(buf, u, len);
		m = step(lo, hi, buf);
		starts = ~(unsigned)_mm256_movemask_epi8(
				_mm256_cmpeq_epi8(m, _mm256_setzero_si256()));
		return (starts & (len == STEP ? ~0u : (1u << len) - 1)) != 0;
	}
	/* In place: the last step overlaps the one before (a start seen twice is harmless). */
	for (size_t o = 0;; o += STEP) {
		if (o + READ > len)
			o = len - READ;
		m = step(lo, hi, u + o);
		if (!_mm256_testz_si256(m, m))
			return true;
		if (o + READ == len)
			break;
	}
	/* The last W - 1 starts, whose windows run past the end. */
	if (f->tail)
		for (size_t i = len - (DP_SCANNER_PF_W - 1); i < len; i++)
			if (dp_scanner_pf_at(f, u, len, i))
				return true;
	return false;
}
