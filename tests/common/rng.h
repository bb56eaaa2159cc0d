/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_RNG_H
#define TEST_RNG_H

/*
 * A small deterministic PRNG (xorshift64*) for randomised tests: a fixed
 * seed makes every run identical, and a failure report quotes the seed.
 */

#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline void
rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static inline uint64_t
rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

/* Uniform-enough value in [0, n); n > 0. */
static inline uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)((rng_next(r) >> 32) % n);
}

#endif
