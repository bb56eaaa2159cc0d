/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_cksum.h"

#include <string.h>

#include <emmintrin.h>

/* Up to 32 bytes left over by a vector loop: 64-bit words, then the tail. */
uint64_t dp_cksum_tail(const unsigned char *p, size_t len, uint64_t sum);

uint64_t
dp_cksum_tail(const unsigned char *p, size_t len, uint64_t sum)
{
	uint64_t a = 0, w = 0;
	uint32_t w4;
	uint16_t w2;
	unsigned at = 0;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		a += (w & 0xffffffffu) + (w >> 32);
	}
	/*
	 * The last 0..7 bytes as one zero-padded 64-bit word (the zero padding
	 * of an odd tail RFC 1071 asks for), read in fixed-size pieces: a
	 * variable-length memcpy() here was a libc call per packet.
	 */
	w = 0;
	if (len & 4) {
		memcpy(&w4, p, 4);
		w = w4;
		at = 4;
	}
	if (len & 2) {
		memcpy(&w2, p + at, 2);
		w |= (uint64_t)w2 << (8 * at);
		at += 2;
	}
	if (len & 1)
		w |= (uint64_t)p[at] << (8 * at);
	return sum + a + (w & 0xffffffffu) + (w >> 32);
}

uint64_t
dp_cksum_add_sse2(const void *buf, size_t len, uint64_t sum)
{
	const unsigned char *p = buf;

	/*
	 * 32 bytes per step with SSE2 (x86-64's baseline): 32-bit words widened
	 * to 64-bit lanes and added, two accumulators; no carry is ever lost
	 * (2^32 words would be needed to overflow a lane).
	 */
	if (len >= 32) {
		const __m128i zero = _mm_setzero_si128();
		__m128i s0 = zero, s1 = zero;
		for (; len >= 32; p += 32, len -= 32) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
			s0 = _mm_add_epi64(s0, _mm_unpacklo_epi32(x, zero));
			s1 = _mm_add_epi64(s1, _mm_unpackhi_epi32(x, zero));
			s0 = _mm_add_epi64(s0, _mm_unpacklo_epi32(y, zero));
			s1 = _mm_add_epi64(s1, _mm_unpackhi_epi32(y, zero));
		}
		uint64_t lanes[2];
		_mm_storeu_si128((__m128i *)(void *)lanes, _mm_add_epi64(s0, s1));
		sum += lanes[0] + lanes[1];
	}
	return dp_cksum_tail(p, len, sum);
}

uint64_t (*dp_cksum_bulk)(const void *buf, size_t len, uint64_t sum) = dp_cksum_add_sse2;

const char *
dp_cksum_variant(void)
{
#ifdef __x86_64__
	if (dp_cksum_bulk == dp_cksum_add_avx2)
		return "avx2";
#endif
	return "sse2";
}

int
dp_cksum_use(const char *name)
{
	if (strcmp(name, "sse2") == 0) {
		dp_cksum_bulk = dp_cksum_add_sse2;
		return 0;
	}
#ifdef __x86_64__
	if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2")) {
		dp_cksum_bulk = dp_cksum_add_avx2;
		return 0;
	}
#endif
	return -1;
}

/* Chosen once, before main(): every user (workers, benchmarks, tests) sums alike. */
__attribute__((constructor)) static void
dp_cksum_pick(void)
{
#ifdef __x86_64__
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		dp_cksum_bulk = dp_cksum_add_avx2;
#endif
}
