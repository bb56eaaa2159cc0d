/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_LOC_H
#define DP_LOC_H

/*
 * Location bindings in the dataplane: AOR -> where to send requests for it.
 * The control plane (registrar) is the source of truth and pushes one
 * binding per AOR (its best contact); this is the fast copy workers read.
 *
 * One writer (the main lcore), many lock-free readers. Slots hold pointers
 * to immutable bindings; a replaced or removed binding is retired and freed
 * only after every reader has passed a quiescent point (the synchronize
 * callback: rte_rcu_qsbr in the dataplane, rules_qsbr in tests).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_addr.h"
#include "sip_str.h"

#define DP_AOR_MAX 128
#define DP_CONTACT_MAX 256
/* Slots of a location table (dp_loc_create()): AORs up to 3/4 of it. */
#define DP_LOC_CAPACITY (1u << 18)
/*
 * Longest Path (RFC 3327) of a binding: the registrar's Path values joined
 * by ", " (cp_registrar.h CP_REG_PATH_MAX); longer is refused (-EINVAL).
 */
#define DP_PATH_MAX 512

struct dp_binding {
	char aor[DP_AOR_MAX];       /* sip_aor_key(): "user@domain", domain in lower case */
	uint16_t aor_len;
	uint16_t contact_len;
	char contact[DP_CONTACT_MAX]; /* Request-URI to send with ("sip:alice@192.0.2.7:5062") */
	struct sip_addr nh;         /* where to send it */
	uint16_t port;
	uint8_t transport;          /* enum sip_transport */
	uint64_t expires;           /* absolute, seconds (CLOCK_REALTIME); 0: never */
	uint32_t mark;              /* re-sync generation that last set it (dp_loc_sweep()) */
	uint16_t path_len;          /* bytes of path; 0: no Path */
	/*
	 * Path values as the Route set of requests to the contact ("<sip:p1;lr>,
	 * <sip:p2;lr>"). dp_loc_set() copies them into the binding's own
	 * allocation; not NUL-terminated.
	 */
	const char *path;
};

struct dp_loc;

/*
 * capacity: slots (rounded up to a power of two); the table refuses new
 * AORs beyond 3/4 of it. sync(ctx) must return once all readers passed a
 * quiescent point. NULL on allocation failure.
 */
struct dp_loc *dp_loc_create(unsigned capacity, void (*sync)(void *), void *ctx);
/* Free everything. Only when no reader can run. */
void dp_loc_free(struct dp_loc *l);

/*
 * Writer: add or replace the binding of b->aor (copied, with its path).
 * The old one is retired. 0, -ENOSPC (table full), -EINVAL (bad AOR, path
 * longer than DP_PATH_MAX) or -ENOMEM.
 */
int dp_loc_set(struct dp_loc *l, const struct dp_binding *b);
/* Writer: remove aor. 0 or -ENOENT. */
int dp_loc_del(struct dp_loc *l, const char *aor, size_t len);
/* Writer: remove everything. */
void dp_loc_clear(struct dp_loc *l);
/*
 * Writer: the sweep of a mark-and-sweep re-sync. The control plane sets
 * every binding it holds with mark = gen (a new generation per re-sync),
 * then every binding with another mark is removed. Bindings are never
 * missing in between, unlike clear-then-set. Returns how many were removed.
 */
unsigned dp_loc_sweep(struct dp_loc *l, uint32_t gen);
/* Writer: free retired bindings (waits for one grace period if any). Returns how many. */
unsigned dp_loc_reclaim(struct dp_loc *l);

/*
 * Reader: the binding for user@domain (domain compared case-insensitively),
 * else for the user alone ("user@" key: bindings the registrar pushed
 * without a domain), else NULL. Expired bindings (expires < now) are not
 * returned. Valid until the reader's next quiescent point.
 */
const struct dp_binding *dp_loc_lookup(const struct dp_loc *l, struct sip_str user,
		struct sip_str domain, uint64_t now);

/*
 * A LOC_SET payload (link/sl_link.h, with its optional Path tail) as a
 * binding: the one decoder of the dataplane's link and the control plane's
 * router (so both hold the same binding). b->path points into payload.
 * 0, or -EINVAL with err filled.
 */
int dp_loc_from_link(const void *payload, size_t len, struct dp_binding *b, char *err,
		size_t errlen);

/* Bindings present. */
unsigned dp_loc_count(const struct dp_loc *l);

/* Writer: a number that changes whenever a binding is set, removed or cleared. */
uint64_t dp_loc_generation(const struct dp_loc *l);

/* Writer: fn(ctx, b) for every binding present (expired ones included). */
void dp_loc_foreach(const struct dp_loc *l, void (*fn)(void *ctx, const struct dp_binding *b),
		void *ctx);

/*
 * Build the key "user@domain" into out: sip_aor_key() (escapes of the
 * user part normalised, domain lower-cased), the form the registrar
 * pushes. Length, or -1 if too long.
 */
int dp_loc_key(char out[DP_AOR_MAX], struct sip_str user, struct sip_str domain);

#endif
