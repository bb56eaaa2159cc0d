/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_NAMES_H
#define DP_NAMES_H

/*
 * Gateway names resolved by the control plane (SL_MSG_GW_ADDRS): an
 * immutable table, published whole behind one pointer (RCU: the old table
 * is freed after every reader has passed a quiescent point), so a refresh
 * replaces a name's addresses at once and never leaves it without any.
 * The fast path looks a plan gateway whose host is not an IP literal up
 * here and picks one target: no DNS, no allocation, no locks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_addr.h"

struct dp_name_target {
	struct sip_addr addr;
	uint16_t port;
	uint16_t priority;
	uint16_t weight;
	bool down;
};

struct dp_name {
	char host[64];
	uint32_t host_len;
	uint16_t port;
	uint8_t transport;     /* enum rules_transport */
	uint32_t first;        /* its targets: t[first .. first + count) */
	uint32_t count;
};

struct dp_names {
	uint64_t version;
	uint32_t n_names;
	uint32_t n_targets;
	struct dp_name *name;
	struct dp_name_target *t;
};

/*
 * A table from a GW_ADDRS payload (checked with sl_gw_addrs_parse()).
 * NULL with a message in err when malformed or out of memory.
 */
struct dp_names *dp_names_from_link(const void *payload, uint32_t len, char *err,
		size_t errlen);
void dp_names_free(struct dp_names *nt);

/* The name host:port;transport, or NULL. */
const struct dp_name *dp_names_find(const struct dp_names *nt, const char *host, size_t len,
		uint16_t port, uint8_t transport);

/*
 * The target of name n for a request whose Call-ID hashes to hash: among
 * the targets that are up, those of the lowest priority; among them one
 * chosen by RFC 2782's weighted selection with the hash in place of the
 * random number (so every message of a transaction goes to the same
 * target, RFC 3261 §16.11, and calls spread by weight). NULL when every
 * target is down or there is none.
 */
const struct dp_name_target *dp_names_pick(const struct dp_names *nt, const struct dp_name *n,
		uint64_t hash);

/* Where the current table is published (the router reads it). */
struct dp_names_ref {
	struct dp_names *cur;                 /* acquire/release */
	uint64_t version;                     /* cur's, for threads that are not readers */
	uint32_t n_names, n_targets;          /* cur's, likewise */
	void (*sync)(void *ctx);              /* waits for every reader's quiescent point */
	void *ctx;
};

static inline const struct dp_names *
dp_names_current(const struct dp_names_ref *r)
{
	return r != NULL ? __atomic_load_n(&r->cur, __ATOMIC_ACQUIRE) : NULL;
}

/*
 * Publish nt (ownership passes, also on failure) and free the previous
 * table after the grace period. -ESTALE (nt freed) when its version is not
 * newer than the current one's. One publisher at a time.
 */
int dp_names_publish(struct dp_names_ref *r, struct dp_names *nt);

#endif
