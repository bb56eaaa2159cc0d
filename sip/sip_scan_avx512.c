/* SPDX-License-Identifier: BSD-3-Clause */
/* Built with -mavx512f -mavx512bw; called only when the CPU has AVX-512BW. */
#include <immintrin.h>

#include "sip_scan_impl.h"

static inline void
masks_avx512(const char *p, uint64_t *lf, uint64_t *co)
{
	__m512i v = _mm512_loadu_si512((const void *)p);

	*lf = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
	*co = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':'));
}

int
sip_scan_avx512(const char *buf, uint32_t start, uint32_t len, struct sip_line *lines,
		unsigned cap, uint32_t *body)
{
	SCAN_DRIVER(masks_avx512)
}
