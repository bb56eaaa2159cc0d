/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_link_io.h"

struct dp_names *
dp_names_from_link(const void *payload, uint32_t len, char *err, size_t errlen)
{
	struct sl_gw_addrs h;
	const struct sl_gw_name *n;
	const struct sl_gw_target *t;

	if (sl_gw_addrs_parse(payload, len, &h, &n, &t) != 0) {
		snprintf(err, errlen, "GW_ADDRS: malformed table");
		return NULL;
	}
	struct dp_names *nt = calloc(1, sizeof(*nt));
	if (nt == NULL)
		goto nomem;
	nt->version = h.version;
	nt->n_names = h.n_names;
	nt->n_targets = h.n_targets;
	nt->name = calloc(h.n_names ? h.n_names : 1, sizeof(*nt->name));
	nt->t = calloc(h.n_targets ? h.n_targets : 1, sizeof(*nt->t));
	if (nt->name == NULL || nt->t == NULL)
		goto nomem;
	for (uint32_t i = 0; i < h.n_names; i++) {
		struct dp_name *d = &nt->name[i];
		d->host_len = (uint32_t)strnlen(n[i].host, sizeof(n[i].host));
		memcpy(d->host, n[i].host, d->host_len);
		d->port = n[i].port;
		d->transport = n[i].transport;
		d->first = n[i].first;
		d->count = n[i].count;
	}
	for (uint32_t i = 0; i < h.n_targets; i++) {
		struct dp_name_target *d = &nt->t[i];
		d->addr.af = t[i].af == 4 ? SIP_AF_INET : SIP_AF_INET6;
		memcpy(d->addr.a, t[i].addr, sizeof(d->addr.a));
		d->port = t[i].port;
		d->priority = t[i].priority;
		d->weight = t[i].weight;
		d->down = t[i].down != 0;
	}
	return nt;
nomem:
	dp_names_free(nt);
	snprintf(err, errlen, "GW_ADDRS: out of memory");
	return NULL;
}

void
dp_names_free(struct dp_names *nt)
{
	if (nt == NULL)
		return;
	free(nt->name);
	free(nt->t);
	free(nt);
}

const struct dp_name *
dp_names_find(const struct dp_names *nt, const char *host, size_t len, uint16_t port,
		uint8_t transport)
{
	if (nt == NULL)
		return NULL;
	/* A handful of names: a linear scan over fixed records beats hashing them. */
	for (uint32_t i = 0; i < nt->n_names; i++) {
		const struct dp_name *n = &nt->name[i];
		if (n->host_len == len && n->port == port && n->transport == transport &&
				memcmp(n->host, host, len) == 0)
			return n;
	}
	return NULL;
}

const struct dp_name_target *
dp_names_pick(const struct dp_names *nt, const struct dp_name *n, uint64_t hash)
{
	const struct dp_name_target *t = nt->t + n->first;
	uint32_t best = UINT32_MAX;
	uint64_t sum = 0;

	for (uint32_t i = 0; i < n->count; i++)
		if (!t[i].down && t[i].priority < best)
			best = t[i].priority;
	if (best == UINT32_MAX)
		return NULL;
	for (uint32_t i = 0; i < n->count; i++)
		if (!t[i].down && t[i].priority == best)
			sum += t[i].weight;
	/*
	 * RFC 2782 with the hash as the random number in [0, sum]: weight-0
	 * targets come first (the control plane sends them in that order within
	 * a priority) and take the value 0; the others a share of their weight.
	 */
	uint64_t r = hash % (sum + 1), run = 0;
	const struct dp_name_target *last = NULL;
	for (uint32_t pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < n->count; i++) {
			if (t[i].down || t[i].priority != best || (t[i].weight == 0) != (pass == 0))
				continue;
			run += t[i].weight;
			last = &t[i];
			if (run >= r)
				return last;
		}
	}
	return last;
}

int
dp_names_publish(struct dp_names_ref *r, struct dp_names *nt)
{
	struct dp_names *old = __atomic_load_n(&r->cur, __ATOMIC_ACQUIRE);
	if (old != NULL && nt->version <= old->version) {
		dp_names_free(nt);
		return -ESTALE;
	}
	__atomic_store_n(&r->cur, nt, __ATOMIC_RELEASE);
	__atomic_store_n(&r->version, nt->version, __ATOMIC_RELAXED);
	__atomic_store_n(&r->n_names, nt->n_names, __ATOMIC_RELAXED);
	__atomic_store_n(&r->n_targets, nt->n_targets, __ATOMIC_RELAXED);
	if (old != NULL) {
		if (r->sync != NULL)
			r->sync(r->ctx);
		dp_names_free(old);
	}
	return 0;
}
