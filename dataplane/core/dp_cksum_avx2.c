/* SPDX-License-Identifier: BSD-3-Clause */
/* The AVX2 variant of dp_cksum_add_sse2(), built with -mavx2 (chosen at start-up). */
#include "dp_cksum.h"

#include <immintrin.h>

uint64_t dp_cksum_tail(const unsigned char *p, size_t len, uint64_t sum);

uint64_t
dp_cksum_add_avx2(const void *buf, size_t len, uint64_t sum)
{
	const unsigned char *p = buf;

	/* 64 bytes per step: 32-bit words widened into 64-bit lanes, four accumulators. */
	if (len >= 64) {
		const __m256i zero = _mm256_setzero_si256();
		__m256i s0 = zero, s1 = zero, s2 = zero, s3 = zero;
		for (; len >= 64; p += 64, len -= 64) {
			__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
			__m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
			s0 = _mm256_add_epi64(s0, _mm256_unpacklo_epi32(x, zero));
			s1 = _mm256_add_epi64(s1, _mm256_unpackhi_epi32(x, zero));
			s2 = _mm256_add_epi64(s2, _mm256_unpacklo_epi32(y, zero));
			s3 = _mm256_add_epi64(s3, _mm256_unpackhi_epi32(y, zero));
		}
		__m256i t = _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3));
		__m128i h = _mm_add_epi64(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
		sum += (uint64_t)_mm_cvtsi128_si64(h) + (uint64_t)_mm_extract_epi64(h, 1);
	}
	if (len >= 32) {
		const __m256i zero = _mm256_setzero_si256();
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
		__m256i t = _mm256_add_epi64(_mm256_unpacklo_epi32(x, zero),
				_mm256_unpackhi_epi32(x, zero));
		__m128i h = _mm_add_epi64(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
		sum += (uint64_t)_mm_cvtsi128_si64(h) + (uint64_t)_mm_extract_epi64(h, 1);
		p += 32;
		len -= 32;
	}
	return dp_cksum_tail(p, len, sum);
}
