/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_loc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_aor.h"
#include "sl_link.h"
#include "sip_hash.h"

/* A removed binding's slot: keeps probe chains intact until the next rebuild. */
#define TOMBSTONE ((struct dp_binding *)(uintptr_t)1)
#define LOC_SEED 0x4c4f4341544f4e31ull

struct dp_loc {
	unsigned mask;                /* slots - 1 */
	unsigned used;                /* live bindings */
	unsigned tombs;
	struct dp_binding **slot;     /* written with release stores, read with acquire loads */
	struct dp_binding **retired;  /* freed after the next grace period */
	unsigned n_retired, cap_retired;
	uint64_t generation;          /* writer only */
	void (*sync)(void *);
	void *ctx;
};

int
dp_loc_key(char out[DP_AOR_MAX], struct sip_str user, struct sip_str domain)
{
	/* The registrar builds the keys it pushes with the same function. */
	return sip_aor_key(out, DP_AOR_MAX, user, domain);
}

struct dp_loc *
dp_loc_create(unsigned capacity, void (*sync)(void *), void *ctx)
{
	struct dp_loc *l = calloc(1, sizeof(*l));
	unsigned n = 16;

	if (l == NULL)
		return NULL;
	while (n < capacity && n < (1u << 30))
		n <<= 1;
	l->slot = calloc(n, sizeof(*l->slot));
	if (l->slot == NULL) {
		free(l);
		return NULL;
	}
	l->mask = n - 1;
	l->sync = sync;
	l->ctx = ctx;
	return l;
}

void
dp_loc_free(struct dp_loc *l)
{
	if (l == NULL)
		return;
	for (unsigned i = 0; i <= l->mask; i++)
		if (l->slot[i] != NULL && l->slot[i] != TOMBSTONE)
			free(l->slot[i]);
	for (unsigned i = 0; i < l->n_retired; i++)
		free(l->retired[i]);
	free(l->retired);
	free(l->slot);
	free(l);
}

static inline struct dp_binding *
slot_load(const struct dp_loc *l, unsigned i)
{
	return __atomic_load_n(&l->slot[i], __ATOMIC_ACQUIRE);
}

static inline void
slot_store(struct dp_loc *l, unsigned i, struct dp_binding *b)
{
	__atomic_store_n(&l->slot[i], b, __ATOMIC_RELEASE);
}

static int
retire(struct dp_loc *l, struct dp_binding *b)
{
	if (l->n_retired == l->cap_retired) {
		unsigned cap = l->cap_retired ? l->cap_retired * 2 : 64;
		struct dp_binding **r = realloc(l->retired, cap * sizeof(*r));
		if (r == NULL) {
			/* Cannot defer: wait for readers now, then free. */
			l->sync(l->ctx);
			free(b);
			return 0;
		}
		l->retired = r;
		l->cap_retired = cap;
	}
	l->retired[l->n_retired++] = b;
	return 0;
}

/* Slot holding aor, or -1. */
static int
find(const struct dp_loc *l, const char *aor, size_t len, uint64_t h)
{
	for (unsigned i = (unsigned)h & l->mask, k = 0; k <= l->mask; i = (i + 1) & l->mask, k++) {
		struct dp_binding *b = slot_load(l, i);
		if (b == NULL)
			return -1;
		if (b != TOMBSTONE && b->aor_len == len && memcmp(b->aor, aor, len) == 0)
			return (int)i;
	}
	return -1;
}

int
dp_loc_set(struct dp_loc *l, const struct dp_binding *in)
{
	if (in->aor_len == 0 || in->aor_len > DP_AOR_MAX || in->contact_len > DP_CONTACT_MAX ||
			in->path_len > DP_PATH_MAX || (in->path_len != 0 && in->path == NULL))
		return -EINVAL;
	uint64_t h = sip_hash64(in->aor, in->aor_len, LOC_SEED);
	int at = find(l, in->aor, in->aor_len, h);
	if (at < 0 && (l->used + l->tombs + 1) * 4 > (l->mask + 1) * 3)
		return -ENOSPC;

	/* One allocation: the binding, then its path. */
	struct dp_binding *b = malloc(sizeof(*b) + in->path_len);
	if (b == NULL)
		return -ENOMEM;
	*b = *in;
	if (in->path_len != 0) {
		memcpy(b + 1, in->path, in->path_len);
		b->path = (const char *)(b + 1);
	} else {
		b->path = NULL;
	}
	l->generation++;
	if (at >= 0) {
		struct dp_binding *old = slot_load(l, (unsigned)at);
		slot_store(l, (unsigned)at, b);
		return retire(l, old);
	}
	/* First free slot on the chain; a tombstone is reused. */
	for (unsigned i = (unsigned)h & l->mask;; i = (i + 1) & l->mask) {
		struct dp_binding *s = slot_load(l, i);
		if (s == NULL || s == TOMBSTONE) {
			if (s == TOMBSTONE)
				l->tombs--;
			slot_store(l, i, b);
			__atomic_store_n(&l->used, l->used + 1, __ATOMIC_RELAXED);
			return 0;
		}
	}
}

int
dp_loc_del(struct dp_loc *l, const char *aor, size_t len)
{
	int at = find(l, aor, len, sip_hash64(aor, len, LOC_SEED));
	if (at < 0)
		return -ENOENT;
	struct dp_binding *old = slot_load(l, (unsigned)at);
	l->generation++;
	slot_store(l, (unsigned)at, TOMBSTONE);
	__atomic_store_n(&l->used, l->used - 1, __ATOMIC_RELAXED);
	l->tombs++;
	return retire(l, old);
}

void
dp_loc_clear(struct dp_loc *l)
{
	l->generation++;
	for (unsigned i = 0; i <= l->mask; i++) {
		struct dp_binding *b = slot_load(l, i);
		if (b == NULL || b == TOMBSTONE)
			continue;
		slot_store(l, i, TOMBSTONE);
		retire(l, b);
	}
	l->tombs += l->used;
	__atomic_store_n(&l->used, 0, __ATOMIC_RELAXED);
}

unsigned
dp_loc_sweep(struct dp_loc *l, uint32_t gen)
{
	unsigned n = 0;
	for (unsigned i = 0; i <= l->mask; i++) {
		struct dp_binding *b = slot_load(l, i);
		if (b == NULL || b == TOMBSTONE || b->mark == gen)
			continue;
		slot_store(l, i, TOMBSTONE);
		__atomic_store_n(&l->used, l->used - 1, __ATOMIC_RELAXED);
		l->tombs++;
		retire(l, b);
		n++;
	}
	return n;
}

unsigned
dp_loc_reclaim(struct dp_loc *l)
{
	unsigned n = l->n_retired;

	if (n == 0)
		return 0;
	l->sync(l->ctx);
	for (unsigned i = 0; i < n; i++)
		free(l->retired[i]);
	l->n_retired = 0;
	/*
	 * Too many tombstones make misses walk long chains. Once no reader can
	 * hold an old pointer, empty slots are safe again: but a reader in the
	 * middle of a probe could then stop early and miss a live binding, so
	 * tombstones are only cleared when the table holds nothing.
	 */
	if (l->used == 0 && l->tombs) {
		for (unsigned i = 0; i <= l->mask; i++)
			slot_store(l, i, NULL);
		l->tombs = 0;
	}
	return n;
}

/* Reader probe: every slot is loaded once, so a slot reused meanwhile is never misread. */
static const struct dp_binding *
lookup_key(const struct dp_loc *l, const char *key, size_t len, uint64_t now)
{
	uint64_t h = sip_hash64(key, len, LOC_SEED);

	for (unsigned i = (unsigned)h & l->mask, k = 0; k <= l->mask; i = (i + 1) & l->mask, k++) {
		const struct dp_binding *b = slot_load(l, i);
		if (b == NULL)
			return NULL;
		if (b == TOMBSTONE || b->aor_len != len || memcmp(b->aor, key, len) != 0)
			continue;
		return (b->expires != 0 && b->expires < now) ? NULL : b;
	}
	return NULL;
}

const struct dp_binding *
dp_loc_lookup(const struct dp_loc *l, struct sip_str user, struct sip_str domain, uint64_t now)
{
	char key[DP_AOR_MAX];
	int n;

	if (l == NULL || __atomic_load_n(&l->used, __ATOMIC_RELAXED) == 0 || user.len == 0)
		return NULL;
	n = dp_loc_key(key, user, domain);
	if (n > 0) {
		const struct dp_binding *b = lookup_key(l, key, (size_t)n, now);
		if (b != NULL)
			return b;
	}
	n = dp_loc_key(key, user, SIP_STR_NULL);
	return n > 0 ? lookup_key(l, key, (size_t)n, now) : NULL;
}

unsigned
dp_loc_count(const struct dp_loc *l)
{
	return __atomic_load_n(&l->used, __ATOMIC_RELAXED);
}

uint64_t
dp_loc_generation(const struct dp_loc *l)
{
	return l->generation;
}

void
dp_loc_foreach(const struct dp_loc *l, void (*fn)(void *ctx, const struct dp_binding *b),
		void *ctx)
{
	for (unsigned i = 0; i <= l->mask; i++) {
		const struct dp_binding *b = l->slot[i];
		if (b != NULL && b != TOMBSTONE)
			fn(ctx, b);
	}
}

int
dp_loc_from_link(const void *payload, size_t len, struct dp_binding *b, char *err, size_t errlen)
{
	const struct sl_loc_set *ls = payload;
	const struct sl_loc_path *lp = NULL;

	if (len < sizeof(*ls) || (ls->af != 4 && ls->af != 6)) {
		snprintf(err, errlen, "LOC_SET: short, or address family not 4 or 6");
		return -EINVAL;
	}
	/* The optional Path tail: exactly its declared length, bounded. */
	if (len > sizeof(*ls)) {
		lp = (const struct sl_loc_path *)((const char *)payload + sizeof(*ls));
		if (len < sizeof(*ls) + sizeof(*lp) || lp->len > SL_LOC_PATH_MAX ||
				lp->len > DP_PATH_MAX || len != sizeof(*ls) + sizeof(*lp) + lp->len) {
			snprintf(err, errlen, "LOC_SET: bad Path tail (at most %u bytes)",
					DP_PATH_MAX);
			return -EINVAL;
		}
	}
	memset(b, 0, sizeof(*b));
	b->aor_len = (uint16_t)strnlen(ls->aor, sizeof(ls->aor));
	memcpy(b->aor, ls->aor, b->aor_len);
	b->contact_len = (uint16_t)strnlen(ls->contact, sizeof(ls->contact));
	memcpy(b->contact, ls->contact, b->contact_len);
	b->nh.af = ls->af == 4 ? SIP_AF_INET : SIP_AF_INET6;
	memcpy(b->nh.a, ls->addr, 16);
	b->port = ls->port ? ls->port : 5060;
	b->transport = ls->transport;
	b->expires = ls->expires;
	if (lp != NULL && lp->len != 0) {
		b->path = (const char *)(lp + 1);
		b->path_len = (uint16_t)lp->len;
	}
	return 0;
}
