/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_ROUTE_H
#define CP_ROUTE_H

/*
 * The control plane's copy of what a dataplane routes with, so a request
 * that reaches the control plane (punted, over a stream) is decided by the
 * dataplane's own code (dp_route_burst(), dataplane/core) against the same
 * state: the compiled plan the dataplanes were pushed (the same serialized
 * blob, loaded into a rules_swap), the best binding per AOR the registrar
 * pushes (a dp_loc table, the same LOC_SET contents) and the gateway
 * names' addresses (the GW_ADDRS table the dataplanes get).
 *
 * Owned by the event loop's thread, which is both the only reader and the
 * only writer: no grace periods are needed (the synchronize hooks are
 * no-ops), and a plan or binding replaced between two requests is simply
 * not seen by the next one.
 */

#include <stddef.h>
#include <stdint.h>

#include "dp_route.h"

struct sl_loc_set;
struct cp_route;

/* capacity: location slots (as sipline --max-bindings). NULL on allocation failure. */
struct cp_route *cp_route_create(unsigned capacity);
void cp_route_free(struct cp_route *r);

/*
 * Serve the plan in blob (rules_plan_serialize(), as pushed in PLAN_PUSH).
 * 0, or -errno with err filled; on error the old plan keeps serving.
 */
int cp_route_set_plan(struct cp_route *r, const void *blob, size_t len, char *err,
		size_t errlen);
/* A plan gateway's health, as GW_STATE says to the dataplanes. 0 or -ENOENT. */
int cp_route_gw_set(struct cp_route *r, const char *host, uint16_t port, uint8_t transport,
		bool down);
/*
 * Set the binding a LOC_SET carries (with its optional Path tail: len is
 * the frame's payload length); aor: remove it (LOC_DEL). 0 or -errno.
 */
int cp_route_loc_set(struct cp_route *r, const struct sl_loc_set *ls, size_t len);
int cp_route_loc_del(struct cp_route *r, const char *aor);
/* The GW_ADDRS payload the dataplanes get. 0 or -errno (-ESTALE: not newer). */
int cp_route_names(struct cp_route *r, const void *payload, uint32_t len, char *err,
		size_t errlen);

/* Bindings held; version of the plan served (0: none). */
unsigned cp_route_bindings(const struct cp_route *r);
uint64_t cp_route_plan_version(struct cp_route *r);

/*
 * The route callback (dp_route_fn) for dp_sip_handle(): ctx is the
 * cp_route. Looks j->q up at wall-clock now (cp_route_set_clock(), else
 * the real clock) into j->r.
 */
int cp_route_lookup(void *ctx, struct dp_sip_job *j);
/* Tests: a fixed clock (seconds) instead of the wall clock; 0: the wall clock again. */
void cp_route_set_clock(struct cp_route *r, uint64_t now);

#endif
