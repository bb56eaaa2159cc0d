/* SPDX-License-Identifier: BSD-3-Clause */
/* The AVX2 variant of dp_cksum_add_sse2(), built with -mavx2 (chosen at start-up). */
#include "dp_cksum.h"

#include <stdbool.h>

#include <immintrin.h>

uint64_t dp_cksum_tail(const unsigned char *p, size_t len, uint64_t sum);

/* 128 zero bytes, then 128 of 0xff: the 128 bytes at window + r keep the last r. */
static const unsigned char window[256] __attribute__((aligned(64))) = {
	[128 ... 255] = 0xff,
};

/*
 * The last r (< 128) bytes of a buffer of 128 or more, with no branch on r:
 * the 128 bytes ending at end are read (the buffer's own), those before
 * the last r masked to zero, and summed as the loop sums them. The words
 * are formed from end - 128; when that is an odd offset into the buffer,
 * each straddles two of the buffer's words, and the 16-bit sum comes out
 * byte-swapped (RFC 1071, byte order independence): folded, then swapped
 * back. The random remainders of real packets made the 64-, 32-, 8-, 4-,
 * 2- and 1-byte steps this replaces mispredict about four times a packet.
 */
static inline uint64_t
last_bytes(const unsigned char *end, size_t r, bool odd)
{
	const __m256i bias = _mm256_set1_epi16((short)0x8000);
	const __m256i ones = _mm256_set1_epi16(1);
	const __m256i *v = (const __m256i *)(const void *)(end - 128);
	const __m256i *k = (const __m256i *)(const void *)(window + r);
	__m256i acc = _mm256_setzero_si256();

	for (int i = 0; i < 4; i++) {
		__m256i x = _mm256_and_si256(_mm256_loadu_si256(v + i), _mm256_loadu_si256(k + i));
		acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_xor_si256(x, bias), ones));
	}
	__m256i w = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc)),
			_mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc, 1)));
	__m128i h = _mm_add_epi64(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
	/* 64 words of 0x8000 in 128 bytes: the bias back (masked words count as zero). */
	uint64_t part = (uint64_t)(_mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1) + 64 * 0x8000);
	part = (part & 0xffff) + (part >> 16); /* at most 64 * 0xffff: two folds */
	part = (part & 0xffff) + (part >> 16);
	uint64_t swapped = ((part & 0xff) << 8) | (part >> 8);
	return odd ? swapped : part;
}

uint64_t
dp_cksum_add_avx2(const void *buf, size_t len, uint64_t sum)
{
	const unsigned char *p = buf;
	const size_t total = len;

	/*
	 * 128 bytes per step, three instructions per 32 bytes: each 16-bit word
	 * w is biased to the signed w - 0x8000 (xor), pairs are added into
	 * 32-bit lanes by vpmaddwd against ones, and the bias is added back per
	 * word at the end of the block. A step adds at most 4 * 2^16 to a lane,
	 * so a block of BLOCK steps (2^30) is summed exactly; every packet fits
	 * in one block. One accumulator: GCC copied rotating ones each step.
	 */
	enum { BLOCK = 4096 };
	while (len >= 128) {
		const __m256i bias = _mm256_set1_epi16((short)0x8000);
		const __m256i ones = _mm256_set1_epi16(1);
		__m256i acc = _mm256_setzero_si256();
		size_t steps = len / 128 < BLOCK ? len / 128 : BLOCK;
		const unsigned char *stop = p + steps * 128;
		for (; p < stop; p += 128) {
			const __m256i *v = (const __m256i *)(const void *)p;
			__m256i m0 = _mm256_madd_epi16(_mm256_xor_si256(_mm256_loadu_si256(v), bias),
					ones);
			__m256i m1 = _mm256_madd_epi16(_mm256_xor_si256(_mm256_loadu_si256(v + 1),
					bias), ones);
			__m256i m2 = _mm256_madd_epi16(_mm256_xor_si256(_mm256_loadu_si256(v + 2),
					bias), ones);
			__m256i m3 = _mm256_madd_epi16(_mm256_xor_si256(_mm256_loadu_si256(v + 3),
					bias), ones);
			acc = _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_add_epi32(m0, m1),
					_mm256_add_epi32(m2, m3)));
		}
		len -= steps * 128;
		__m256i w = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc)),
				_mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc, 1)));
		__m128i h = _mm_add_epi64(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
		int64_t block = _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
		/* 64 words of 0x8000 per step: the bias back. */
		sum += (uint64_t)(block + (int64_t)steps * 64 * 0x8000);
	}

	if (total >= 128)
		return sum + last_bytes(p + len, len, (total - 128) & 1);

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
