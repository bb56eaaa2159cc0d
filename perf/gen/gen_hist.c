/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_hist.h"

#include <math.h>
#include <string.h>

void
gen_hist_reset(struct gen_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/*
 * Values below GEN_HIST_SUB have a bucket each; above, a value with its
 * top bit at e has the bucket (e - SUB_BITS + 1) * SUB + the next SUB_BITS bits.
 */
unsigned
gen_hist_bucket(uint64_t v)
{
	if (v < GEN_HIST_SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);
	if (e > GEN_HIST_MAX_EXP)
		return GEN_HIST_BUCKETS - 1;
	unsigned sub = (unsigned)(v >> (e - GEN_HIST_SUB_BITS)) & (GEN_HIST_SUB - 1);
	return (e - GEN_HIST_SUB_BITS + 1) * GEN_HIST_SUB + sub;
}

uint64_t
gen_hist_lower(unsigned bucket)
{
	if (bucket < GEN_HIST_SUB)
		return bucket;
	unsigned e = bucket / GEN_HIST_SUB + GEN_HIST_SUB_BITS - 1;
	uint64_t sub = bucket % GEN_HIST_SUB;
	return (1ull << e) | (sub << (e - GEN_HIST_SUB_BITS));
}

uint64_t
gen_hist_upper(unsigned bucket)
{
	if (bucket + 1 >= GEN_HIST_BUCKETS)
		return UINT64_MAX;
	return gen_hist_lower(bucket + 1) - 1;
}

void
gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src)
{
	for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	dst->sum += src->sum;
	if (src->n != 0) {
		if (src->max > dst->max)
			dst->max = src->max;
		if (src->min < dst->min)
			dst->min = src->min;
	}
}

uint64_t
gen_hist_percentile(const struct gen_hist *h, double p)
{
	if (h->n == 0)
		return 0;
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->n);
	if (rank < 1)
		rank = 1;
	if (rank >= h->n)
		return h->max;
	uint64_t seen = 0;
	for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t lo = gen_hist_lower(i), hi = gen_hist_upper(i);
			uint64_t mid = lo + (hi - lo) / 2;
			if (mid < h->min)
				mid = h->min;
			if (mid > h->max)
				mid = h->max;
			return mid;
		}
	}
	return h->max;
}
