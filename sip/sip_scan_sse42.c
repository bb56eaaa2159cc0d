/* SPDX-License-Identifier: BSD-3-Clause */
/* Built with -msse4.2; called only when the CPU has SSE4.2. */
#include <nmmintrin.h>

#include "sip_scan_impl.h"

/* Four 16-byte compares per character class, packed into 64-bit masks. */
static inline void
masks_sse42(const char *p, uint64_t *lf, uint64_t *co)
{
	const __m128i nl = _mm_set1_epi8('\n');
	const __m128i cl = _mm_set1_epi8(':');
	uint64_t l = 0, c = 0;

	for (unsigned i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
		l |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)) << (16 * i);
		c |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, cl)) << (16 * i);
	}
	*lf = l;
	*co = c;
}

int
sip_scan_sse42(const char *buf, uint32_t start, uint32_t len, struct sip_line *lines,
		unsigned cap, uint32_t *body)
{
	SCAN_DRIVER(masks_sse42)
}
