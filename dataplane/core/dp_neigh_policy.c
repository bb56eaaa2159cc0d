/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_neigh_policy.h"

void
dp_tb_init(struct dp_tb *b, uint32_t rate, uint32_t burst, uint64_t hz, uint64_t now)
{
	if (rate == 0)
		rate = 1;
	if (burst == 0)
		burst = 1;
	b->interval = hz / rate;
	if (b->interval == 0)
		b->interval = 1;
	b->tolerance = b->interval * (burst - 1);
	b->tat = now;
}

uint32_t
dp_lru_pick(const uint32_t *last_used, uint32_t slots, uint32_t *cursor, unsigned sample,
		uint32_t now, dp_lru_rank_fn rank, const void *ctx)
{
	uint32_t best = DP_LRU_NONE, best_age = 0, pos = *cursor;
	int best_rank = 0;
	unsigned seen = 0;

	if (slots == 0)
		return DP_LRU_NONE;
	if (pos >= slots)
		pos = 0;
	for (uint32_t k = 0; k < slots && seen < sample; k++) {
		int r = rank(ctx, pos);

		if (r >= 0) {
			uint32_t age = now - last_used[pos];

			/* A stamp ahead of now (a worker's write racing the clock) is age 0. */
			if (age > UINT32_MAX / 2)
				age = 0;
			if (best == DP_LRU_NONE || age > best_age ||
					(age == best_age && r > best_rank)) {
				best = pos;
				best_age = age;
				best_rank = r;
			}
			seen++;
		}
		pos = pos + 1 == slots ? 0 : pos + 1;
	}
	*cursor = pos;
	return best;
}

enum dp_macv_act
dp_macv_claim(struct dp_macv *v, uint64_t mac, bool guarded, uint64_t now, uint64_t timeout)
{
	if (v->active) {
		if (mac == v->cur) {
			v->active = false;
			return DP_MACV_CONFLICT;
		}
		v->cand = mac;
		return DP_MACV_NONE;
	}
	if (mac == v->cur)
		return DP_MACV_NONE;
	if (!guarded || v->cur == 0) {
		v->cur = mac;
		return DP_MACV_ACCEPT;
	}
	v->cand = mac;
	v->deadline = now + timeout;
	v->active = true;
	return DP_MACV_PROBE;
}

enum dp_macv_act
dp_macv_heard(struct dp_macv *v, uint64_t mac)
{
	if (!v->active || mac != v->cur)
		return DP_MACV_NONE;
	v->active = false;
	return DP_MACV_CONFLICT;
}

enum dp_macv_act
dp_macv_tick(struct dp_macv *v, uint64_t now)
{
	if (!v->active || now < v->deadline)
		return DP_MACV_NONE;
	v->active = false;
	v->cur = v->cand;
	return DP_MACV_ACCEPT;
}

void
dp_macv_reset(struct dp_macv *v, uint64_t mac)
{
	v->cur = mac;
	v->cand = 0;
	v->deadline = 0;
	v->active = false;
}
