/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_SRCLIMIT_H
#define DP_SRCLIMIT_H

/*
 * Per-source rate limiting: a token bucket per source address, in a table
 * of fixed size owned by one lcore (no locks; other threads only read it,
 * for the top offenders, with relaxed loads: a snapshot, racy by design).
 *
 * The table is set-associative: a keyed hash picks a bucket of
 * DP_SRCLIMIT_WAYS entries; a source not in its bucket takes an empty way
 * or evicts the one seen least recently. Memory is fixed at creation
 * (entries * 64 bytes + 4 bytes each for the signatures), whatever the
 * number of sources: a spoofed-source flood only churns the table. A
 * source in steady use is seen recently and is not the one evicted; one
 * evicted comes back with a full bucket (a flood of one-shot sources can
 * make a source's limit forgiving, never stricter).
 *
 * Time is in ticks of a clock the caller reads (the TSC in the worker) at
 * hz ticks per second. Buckets are fixed point: a packet costs hz units,
 * a second refills rate * hz, a bucket holds burst * hz.
 *
 * A source whose bucket is empty is over its rate: that packet is dropped,
 * and with a ban period so is everything from it until the ban ends (the
 * ban is not extended by what it sends meanwhile); then it starts again
 * with a full bucket.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sip_addr.h"

#define DP_SRCLIMIT_WAYS 4u
#define DP_SRCLIMIT_MIN_ENTRIES 64u
#define DP_SRCLIMIT_MAX_ENTRIES (1u << 22)

struct dp_srclimit_cfg {
	uint32_t rate;      /* packets per second per source (> 0) */
	uint32_t burst;     /* bucket depth in packets (> 0) */
	uint32_t ban_s;     /* seconds a source over its rate stays dropped; 0: no ban */
	uint32_t entries;   /* sources tracked (rounded up to a power of two) */
	uint64_t hz;        /* clock ticks per second */
	uint64_t seed;      /* hash key (random per process) */
};

enum dp_srclimit_verdict {
	DP_SRC_PASS = 0,
	DP_SRC_OVER,    /* bucket empty: dropped (a ban starts if ban_s > 0) */
	DP_SRC_BANNED,  /* dropped: banned */
};

struct dp_srclimit;

/* NULL if cfg is invalid (zero rate, burst or hz) or memory is short. */
struct dp_srclimit *dp_srclimit_new(const struct dp_srclimit_cfg *cfg);
void dp_srclimit_free(struct dp_srclimit *t);
/* Entries of the table (the power of two it was rounded to). */
uint32_t dp_srclimit_capacity(const struct dp_srclimit *t);
/* Bytes the table occupies (fixed at creation). */
uint64_t dp_srclimit_bytes(const struct dp_srclimit *t);

/*
 * Account one packet from src at time now. *evicted is set when another
 * source had to make room. Owner thread only; never allocates.
 */
enum dp_srclimit_verdict dp_srclimit_check(struct dp_srclimit *t, const struct sip_addr *src,
		uint64_t now, bool *evicted);

/* Whether a source over its rate is banned (ban_s > 0). */
bool dp_srclimit_banning(const struct dp_srclimit *t);

/* Sources tracked now (any thread; a snapshot). */
uint32_t dp_srclimit_used(const struct dp_srclimit *t);

struct dp_srclimit_top {
	struct sip_addr src;
	uint64_t drops;      /* packets dropped since it entered the table */
	uint32_t bans;       /* bans it earned */
	uint32_t ban_left_ms; /* 0: not banned now */
};

/*
 * The (at most n) tracked sources with the most drops, most first; sources
 * without drops are left out. Any thread (relaxed reads). Returns how many.
 */
unsigned dp_srclimit_top(const struct dp_srclimit *t, uint64_t now, struct dp_srclimit_top *out,
		unsigned n);

#endif
