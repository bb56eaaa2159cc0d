/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_PACE_H
#define GEN_PACE_H

/*
 * Fixed-rate pacing on the TSC. Packet n (from 0) may leave at
 * t0 + n * hz / rate: the schedule is computed from the start each time
 * (128-bit products), so rounding never accumulates and the achieved rate
 * is exact over any interval longer than one packet. A sender that falls
 * behind catches up in bursts of at most `burst`; one that is more than
 * `slack` packets behind gives up the backlog (counted) instead of sending
 * a wall of packets: the offered rate stays the rate asked for.
 */

#include <stdint.h>

struct gen_pace {
	uint64_t hz;      /* TSC ticks per second */
	uint64_t rate;    /* packets per second; 0: flat out */
	uint64_t t0;
	uint64_t n;       /* packets scheduled so far (sent or given up) */
	uint64_t skipped; /* packets given up because the sender was late */
	uint32_t slack;
};

void gen_pace_init(struct gen_pace *p, uint64_t hz, uint64_t rate, uint64_t t0, uint32_t slack);

/* TSC time at which packet n is due. */
static inline uint64_t
gen_pace_due(const struct gen_pace *p, uint64_t n)
{
	return p->t0 + (uint64_t)(((unsigned __int128)n * p->hz) / p->rate);
}

/*
 * Packets that may be sent at now (at most max); the caller sends them and
 * calls gen_pace_sent() with how many really left.
 */
uint32_t gen_pace_ready(struct gen_pace *p, uint64_t now, uint32_t max);

static inline void
gen_pace_sent(struct gen_pace *p, uint32_t k)
{
	p->n += k;
}

#endif
