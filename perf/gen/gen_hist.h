/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_HIST_H
#define GEN_HIST_H

/*
 * Latency histogram of sipline-gen: log-bucketed (16 linear sub-buckets
 * per power of two, so a percentile is within 1/16 = 6.25% of the true
 * value), fixed size, no allocation, mergeable across lcores. Values are
 * nanoseconds; anything above about 18 minutes lands in the last bucket.
 */

#include <stdint.h>

#define GEN_HIST_SUB_BITS 4
#define GEN_HIST_SUB (1u << GEN_HIST_SUB_BITS)
#define GEN_HIST_MAX_EXP 40
#define GEN_HIST_BUCKETS ((GEN_HIST_MAX_EXP - GEN_HIST_SUB_BITS + 2) * GEN_HIST_SUB)

struct gen_hist {
	uint64_t n;
	uint64_t max;
	uint64_t min;
	double sum;
	uint64_t b[GEN_HIST_BUCKETS];
};

void gen_hist_reset(struct gen_hist *h);

/* Bucket of v, and the smallest and largest values of a bucket. */
unsigned gen_hist_bucket(uint64_t v);
uint64_t gen_hist_lower(unsigned bucket);
uint64_t gen_hist_upper(unsigned bucket);

static inline void
gen_hist_add(struct gen_hist *h, uint64_t v)
{
	h->b[gen_hist_bucket(v)]++;
	h->n++;
	h->sum += (double)v;
	if (v > h->max)
		h->max = v;
	if (v < h->min)
		h->min = v;
}

/* dst += src. */
void gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src);

/*
 * The p-th percentile (0 < p <= 100): the middle of the bucket holding the
 * value of rank ceil(p/100 * n), clamped to [min, max]. 0 when empty.
 */
uint64_t gen_hist_percentile(const struct gen_hist *h, double p);

#endif
