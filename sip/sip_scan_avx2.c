/* SPDX-License-Identifier: BSD-3-Clause */
/* Built with -mavx2; called only when the CPU has AVX2. */
#include <immintrin.h>

#include "sip_scan_impl.h"

static inline void
masks_avx2(const char *p, uint64_t *lf, uint64_t *co)
{
	const __m256i nl = _mm256_set1_epi8('\n');
	const __m256i cl = _mm256_set1_epi8(':');
	__m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));

	*lf = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, nl)) |
		((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, nl)) << 32);
	*co = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, cl)) |
		((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, cl)) << 32);
}

int
sip_scan_avx2(const char *buf, uint32_t start, uint32_t len, struct sip_line *lines,
		unsigned cap, uint32_t *body)
{
	SCAN_DRIVER(masks_avx2)
}
