/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_srclimit.h"

#include <stdlib.h>
#include <string.h>

#include "rules_util.h" /* rules_mix64(): the one 64-bit mixer */

/*
 * One source; one cache line. Fields other threads read (dp_srclimit_top())
 * are stored with relaxed atomics by the owner (plain moves on x86).
 */
struct entry {
	uint64_t k[2];       /* address bytes */
	uint64_t tokens;     /* fixed point: hz per packet */
	uint64_t last;       /* refill time */
	uint64_t seen;       /* last packet (eviction: least recently seen goes) */
	uint64_t ban_until;  /* 0: never banned */
	uint64_t drops;
	uint32_t bans;
	uint8_t af;
} __attribute__((aligned(64)));

struct dp_srclimit {
	struct dp_srclimit_cfg cfg;
	uint64_t cost;      /* hz: one packet */
	uint64_t cap;       /* burst * hz */
	uint64_t full_dt;   /* ticks that refill an empty bucket */
	uint64_t ban;       /* ticks */
	uint32_t mask;      /* buckets - 1 */
	uint32_t used;
	uint32_t *sig;      /* per entry: hash signature | 1, 0 = empty */
	struct entry *e;
};

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static inline void
key_of(const struct sip_addr *a, uint64_t k[2])
{
	uint8_t b[16] = {0};

	memcpy(b, a->a, a->af == SIP_AF_INET ? 4 : 16); /* IPv4: a[4..15] are not part of it */
	memcpy(k, b, sizeof(b));
}

struct dp_srclimit *
dp_srclimit_new(const struct dp_srclimit_cfg *cfg)
{
	struct dp_srclimit *t;
	uint32_t n = DP_SRCLIMIT_MIN_ENTRIES;

	if (cfg->rate == 0 || cfg->burst == 0 || cfg->hz == 0 ||
			cfg->entries > DP_SRCLIMIT_MAX_ENTRIES)
		return NULL;
	while (n < cfg->entries)
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	t->cfg.entries = n;
	t->cost = cfg->hz;
	t->cap = (uint64_t)cfg->burst * cfg->hz;
	t->full_dt = t->cap / cfg->rate + 1;
	t->ban = (uint64_t)cfg->ban_s * cfg->hz;
	t->mask = n / DP_SRCLIMIT_WAYS - 1;
	t->sig = calloc(n, sizeof(*t->sig));
	t->e = aligned_alloc(64, (size_t)n * sizeof(*t->e));
	if (t->sig == NULL || t->e == NULL) {
		dp_srclimit_free(t);
		return NULL;
	}
	memset(t->e, 0, (size_t)n * sizeof(*t->e));
	return t;
}

void
dp_srclimit_free(struct dp_srclimit *t)
{
	if (t == NULL)
		return;
	free(t->sig);
	free(t->e);
	free(t);
}

uint32_t
dp_srclimit_capacity(const struct dp_srclimit *t)
{
	return t->cfg.entries;
}

uint64_t
dp_srclimit_bytes(const struct dp_srclimit *t)
{
	return sizeof(*t) + (uint64_t)t->cfg.entries * (sizeof(*t->e) + sizeof(*t->sig));
}

bool
dp_srclimit_banning(const struct dp_srclimit *t)
{
	return t->ban != 0;
}

uint32_t
dp_srclimit_used(const struct dp_srclimit *t)
{
	return LD(t->used);
}

enum dp_srclimit_verdict
dp_srclimit_check(struct dp_srclimit *t, const struct sip_addr *src, uint64_t now,
		bool *evicted)
{
	uint64_t k[2];
	key_of(src, k);
	uint64_t h = rules_mix64(k[0] ^ t->cfg.seed) ^ rules_mix64(k[1] + src->af + (t->cfg.seed << 1));
	uint32_t b = (uint32_t)h & t->mask;
	uint32_t sig = (uint32_t)(h >> 32) | 1u;
	uint32_t *sigs = &t->sig[b * DP_SRCLIMIT_WAYS];
	struct entry *ways = &t->e[b * DP_SRCLIMIT_WAYS];
	struct entry *e = NULL, *victim = NULL;

	*evicted = false;
	for (unsigned i = 0; i < DP_SRCLIMIT_WAYS; i++) {
		if (sigs[i] == sig && ways[i].k[0] == k[0] && ways[i].k[1] == k[1] &&
				ways[i].af == src->af) {
			e = &ways[i];
			break;
		}
		if (sigs[i] == 0) {
			if (victim == NULL || sigs[victim - ways] != 0)
				victim = &ways[i];
		} else if (victim == NULL || (sigs[victim - ways] != 0 &&
				ways[i].seen < victim->seen)) {
			victim = &ways[i];
		}
	}
	if (e == NULL) {
		/* A new source: an empty way, else the least recently seen goes. */
		unsigned i = (unsigned)(victim - ways);
		if (sigs[i] != 0)
			*evicted = true;
		else
			ST(t->used, t->used + 1);
		e = victim;
		ST(sigs[i], 0u); /* readers skip it while it changes hands */
		ST(e->k[0], k[0]);
		ST(e->k[1], k[1]);
		ST(e->af, (uint8_t)src->af);
		ST(e->drops, 0);
		ST(e->bans, 0);
		ST(e->ban_until, 0);
		e->tokens = t->cap;
		e->last = now;
		ST(sigs[i], sig);
	}
	ST(e->seen, now);
	if (e->ban_until > now) {
		ST(e->drops, e->drops + 1);
		return DP_SRC_BANNED;
	}
	uint64_t dt = now - e->last;
	e->last = now;
	if (dt >= t->full_dt)
		e->tokens = t->cap;
	else if ((e->tokens += dt * t->cfg.rate) > t->cap)
		e->tokens = t->cap;
	if (e->tokens >= t->cost) {
		e->tokens -= t->cost;
		return DP_SRC_PASS;
	}
	ST(e->drops, e->drops + 1);
	if (t->ban != 0) {
		ST(e->ban_until, now + t->ban);
		ST(e->bans, e->bans + 1);
		e->tokens = 0;
	}
	return DP_SRC_OVER;
}

unsigned
dp_srclimit_top(const struct dp_srclimit *t, uint64_t now, struct dp_srclimit_top *out,
		unsigned n)
{
	unsigned have = 0;

	for (uint32_t i = 0; i < t->cfg.entries && n > 0; i++) {
		const struct entry *e = &t->e[i];
		if (LD(t->sig[i]) == 0)
			continue;
		uint64_t drops = LD(e->drops);
		if (drops == 0 || (have == n && drops <= out[n - 1].drops))
			continue;
		struct dp_srclimit_top r = {.drops = drops, .bans = LD(e->bans)};
		uint64_t k[2] = {LD(e->k[0]), LD(e->k[1])};
		r.src.af = LD(e->af);
		memcpy(r.src.a, k, sizeof(r.src.a));
		uint64_t until = LD(e->ban_until);
		if (until > now && t->cfg.hz != 0) {
			uint64_t ms = (until - now) * 1000 / t->cfg.hz;
			r.ban_left_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
			if (r.ban_left_ms == 0)
				r.ban_left_ms = 1;
		}
		/* Insertion into the sorted list (n is small). */
		unsigned j = have < n ? have++ : n - 1;
		while (j > 0 && out[j - 1].drops < drops) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = r;
	}
	return have;
}
