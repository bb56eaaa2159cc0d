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

#endif
