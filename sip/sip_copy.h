/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_COPY_H
#define SIP_COPY_H

/*
 * memcpy() for the builders' short runs (header lines, tags, addresses):
 * inline up to 64 bytes, as two fixed-size moves from each end that may
 * overlap in the middle, so no byte outside [s, s + n) is read and none
 * outside [d, d + n) is written. A call through the PLT into libc's
 * dispatcher costs more than such a copy; longer runs still go to libc.
 * The buffers must not overlap, as with memcpy().
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct sip_copy16 {
	unsigned char b[16];
};

struct sip_copy32 {
	unsigned char b[32];
};

#define SIP_COPY_ENDS(d, s, n, type) \
	do { \
		type head_, tail_; \
		memcpy(&head_, (s), sizeof(type)); \
		memcpy(&tail_, (const unsigned char *)(s) + (n) - sizeof(type), sizeof(type)); \
		memcpy((d), &head_, sizeof(type)); \
		memcpy((unsigned char *)(d) + (n) - sizeof(type), &tail_, sizeof(type)); \
	} while (0)

__attribute__((always_inline)) static inline void
sip_copy(void *d, const void *s, size_t n)
{
	if (n >= 16) {
		if (n <= 32)
			SIP_COPY_ENDS(d, s, n, struct sip_copy16);
		else if (n <= 64)
			SIP_COPY_ENDS(d, s, n, struct sip_copy32);
		else
			memcpy(d, s, n);
	} else if (n >= 8) {
		SIP_COPY_ENDS(d, s, n, uint64_t);
	} else if (n >= 4) {
		SIP_COPY_ENDS(d, s, n, uint32_t);
	} else if (n > 0) {
		const unsigned char *a = s;
		unsigned char *b = d;
		b[0] = a[0];
		b[n / 2] = a[n / 2];
		b[n - 1] = a[n - 1];
	}
}

#undef SIP_COPY_ENDS

/*
 * memset(d, 0, n) for a result struct cleared on every message, n a
 * compile-time constant: 16-byte stores, which the compiler unrolls (and
 * may pair into 32-byte ones). GCC expands a constant memset of 100-250
 * bytes to `rep stosq` instead, which costs a start-up of tens of cycles
 * and, under callgrind, an instruction per 8 bytes. One path for every
 * ISA level, so the unit tests of any build run it.
 */
__attribute__((always_inline)) static inline void
sip_zero(void *d, size_t n)
{
	unsigned char *p = d;
	size_t i = 0;

#ifdef __SSE2__
	for (; i + 16 <= n; i += 16)
		_mm_storeu_si128((__m128i *)(void *)(p + i), _mm_setzero_si128());
#endif
	if (i < n)
		memset(p + i, 0, n - i);
}

#endif
