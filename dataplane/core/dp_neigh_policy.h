/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_NEIGH_POLICY_H
#define DP_NEIGH_POLICY_H

/*
 * The decisions of the neighbour table (dataplane/kernel/dp_neigh.c) that
 * need neither DPDK nor the kernel, so that unit tests reach them:
 *
 *  - dp_tb: a token bucket (GCRA: one "theoretical arrival time" word) on
 *    any monotonic tick counter. Workers keep one each, on the TSC, for the
 *    packets they hand to the kernel; the main lcore one for the route
 *    queries and resolutions it starts. No division, no atomics: one owner.
 *  - dp_lru_pick(): the victim when the table is full, the least recently
 *    used of a sample of candidates (an approximate LRU: the exact one would
 *    need a list that workers reorder on every use).
 *  - dp_macv: what to do when a next hop's MAC changes. A guarded next hop
 *    (a gateway, a registered contact) keeps its old MAC until the old MAC
 *    has had a chance to answer a unicast probe: an ARP reply or a
 *    gratuitous ARP from someone else cannot redirect it at once.
 */

#include <stdbool.h>
#include <stdint.h>

/* ---- token bucket ---- */

struct dp_tb {
	uint64_t interval;  /* ticks per token */
	uint64_t tolerance; /* interval * (burst - 1): how far tat may run ahead of now */
	uint64_t tat;       /* when the bucket would be full again */
};

/*
 * rate tokens per second (>= 1), burst tokens at once (>= 1), hz ticks per
 * second; the bucket starts full at tick now.
 */
void dp_tb_init(struct dp_tb *b, uint32_t rate, uint32_t burst, uint64_t hz, uint64_t now);

/* Take one token at tick now (monotonic): true if there was one. */
static inline bool
dp_tb_take(struct dp_tb *b, uint64_t now)
{
	uint64_t tat = b->tat > now ? b->tat : now;

	if (tat - now > b->tolerance)
		return false;
	b->tat = tat + b->interval;
	return true;
}

/* ---- eviction ---- */

#define DP_LRU_NONE UINT32_MAX

/*
 * Rank of position pos as a victim: < 0 if it may not be evicted (free,
 * pinned...), else a tie-break among entries of the same age, higher
 * first (e.g. unresolved before resolved).
 */
typedef int (*dp_lru_rank_fn)(const void *ctx, uint32_t pos);

/*
 * Pick a victim among positions [0, slots): examine candidates from
 * *cursor on (wrapping), stop after sample candidates or a full turn, and
 * return the one unused for longest (now - last_used[pos], in seconds,
 * wrap-safe), the higher rank on a tie, the first examined on a full tie.
 * *cursor moves past the examined positions, so successive picks sweep the
 * table. DP_LRU_NONE if no position is a candidate.
 */
uint32_t dp_lru_pick(const uint32_t *last_used, uint32_t slots, uint32_t *cursor, unsigned sample,
		uint32_t now, dp_lru_rank_fn rank, const void *ctx);

/* ---- MAC change verification ---- */

enum dp_macv_act {
	DP_MACV_NONE = 0,  /* nothing to do */
	DP_MACV_ACCEPT,    /* v->cur changed: publish it */
	DP_MACV_PROBE,     /* verification started: probe v->cur (the old MAC), keep using it */
	DP_MACV_CONFLICT,  /* the old MAC answered: keep it, report the claim of v->cand */
};

/*
 * MACs are packed by the caller (non-zero when known). cur is what is used;
 * while active, cand is the MAC claimed meanwhile (the latest claim).
 */
struct dp_macv {
	uint64_t cur;
	uint64_t cand;
	uint64_t deadline;
	bool active;
};

/*
 * Someone (the kernel's table, a snooped ARP/ND frame) says the next hop has
 * mac. Unguarded next hops, and guarded ones without a MAC yet, take it at
 * once (ACCEPT if it differs). A guarded next hop starts a verification
 * (PROBE) that ends at now + timeout; claims during it only replace cand,
 * and the old MAC claiming again counts as its answer (CONFLICT).
 */
enum dp_macv_act dp_macv_claim(struct dp_macv *v, uint64_t mac, bool guarded, uint64_t now,
		uint64_t timeout);

/* A frame from mac spoke for the next hop (ARP, NS or NA): CONFLICT if it is the old MAC. */
enum dp_macv_act dp_macv_heard(struct dp_macv *v, uint64_t mac);

/* Time passes: ACCEPT of cand once the deadline is reached without an answer. */
enum dp_macv_act dp_macv_tick(struct dp_macv *v, uint64_t now);

/* Forget everything (the next hop is gone or failed): cur = mac, no verification. */
void dp_macv_reset(struct dp_macv *v, uint64_t mac);

#endif
