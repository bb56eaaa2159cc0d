/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_ROUTE_H
#define DP_ROUTE_H

/*
 * The lookup half of the per-request decision (dp_sip.h asks, this
 * answers): location bindings first, then the dialplan, turned into a
 * struct dp_route. One path for every caller, a burst at a time: the
 * dataplane's workers, the control plane's transports, the benchmarks and
 * the tests. No DPDK: the reader's RCU is the caller's business (plans and
 * bindings read here stay valid until its next quiescent point).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_loc.h"
#include "dp_names.h"
#include "dp_sip.h"
#include "rules.h"
#include "rules_swap.h"

/* Queries looked up at once (a worker's RX burst). */
#define DP_ROUTE_BURST 32
/* Room for the rules engine's rendered strings per query of a burst. */
#define DP_ROUTE_BUF 1280

/* What a lookup reads: each may be NULL (no bindings, no plan, no resolved names). */
struct dp_router {
	const struct dp_loc *loc;
	struct rules_swap *rules;
	const struct dp_names_ref *names; /* addresses of gateways named by host */
};

/*
 * Working memory of one reader thread (large: keep it in the thread's own
 * state, never on a packet path's stack). tid: the thread's rules scratch.
 */
struct dp_route_scratch {
	unsigned tid;
	struct rules_query rq[DP_ROUTE_BURST];
	struct rules_result rr[DP_ROUTE_BURST];
	struct dp_sip_job *job[DP_ROUTE_BURST];
	char buf[DP_ROUTE_BURST][DP_ROUTE_BUF];
};

/*
 * Fill jobs[i]->r for jobs[i]->q, i < n <= DP_ROUTE_BURST (the jobs
 * dp_sip_begin() left at DP_ACT_ROUTE). now: wall-clock seconds (binding
 * expiry). Views in the routes point into the jobs, the scratch and the
 * plan: valid until the next call with this scratch.
 */
void dp_route_burst(const struct dp_router *rt, struct dp_route_scratch *s, uint64_t now,
		struct dp_sip_job **jobs, unsigned n);

/* ---- pieces, exported for tests ---- */

/*
 * The user part of a From/To URI without a full parse: between "scheme:"
 * and '@' (a tel: URI: up to its parameters). Empty when the URI has no
 * user part ("sip:gw.example.net" has none: its host is no user).
 */
struct rules_view dp_uri_user(struct sip_str uri);

/* The Request-URI of a forward: sip:USER@HOST[:PORT] (IPv6 in brackets; no USER@ if empty). */
struct sip_str dp_gateway_ruri(char *buf, size_t cap, struct rules_view user,
		const struct sip_addr *nh, uint16_t port);

/*
 * The dialplan's query for a dp_query: the From and To users only when
 * fields (rules_plan_fields_read()) has them.
 */
void dp_rules_query(const struct dp_query *q, uint32_t fields, struct rules_query *rq);

/* A binding for q's Request-URI fills r: true; false when there is none. */
bool dp_route_location(const struct dp_loc *loc, const struct dp_query *q, uint64_t now,
		struct dp_route *r);

/*
 * What the dialplan decided, as a route; the forward's Request-URI goes
 * into buf. A gateway named by host is looked up in names (NULL: none
 * resolved) and its target picked with callid_hash.
 */
void dp_route_from_result(const struct rules_result *res, const struct dp_names *names,
		uint64_t callid_hash, struct dp_route *r, char *buf, size_t cap);

/*
 * Hash of the Call-ID of a SIP payload without a full parse (the scanner's
 * lines), for spreading messages over workers; 0 if it has none.
 */
uint64_t dp_callid_peek(const char *p, uint32_t len);

#endif
