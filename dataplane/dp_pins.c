/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_pins.h"

#include <stdlib.h>

#include <rte_cycles.h>

#include "dp_app.h"
#include "dp_neigh.h"

/* Coarse wall clock in seconds (dp_route.c), as binding expiries are written. */
extern uint64_t dp_now_seconds;

#define PINS_LOC_MIN_S 1      /* bindings re-pinned at most once a second */
#define PINS_LOC_PERIOD_S 10  /* and at least every 10 s: expired ones are unpinned */

static struct {
	uint64_t plan_version;
	uint64_t names_version;  /* of the resolved gateway names pinned */
	uint64_t loc_gen;
	uint64_t loc_next;   /* TSC: next periodic re-pin of the bindings */
	uint64_t loc_last;   /* TSC: last re-pin */
	bool loc_done;
	/* Gateways of the plan, collected under the publishers' lock, pinned after it. */
	struct sip_addr *gw;
	unsigned n_gw, cap_gw;
} pins;

static void
add_gateway(const struct sip_addr *a)
{
	if (pins.n_gw == pins.cap_gw) {
		unsigned cap = pins.cap_gw ? pins.cap_gw * 2 : 16;
		struct sip_addr *p = realloc(pins.gw, cap * sizeof(*p));
		if (p == NULL)
			return; /* this one is resolved on demand, as before pinning */
		pins.gw = p;
		pins.cap_gw = cap;
	}
	pins.gw[pins.n_gw++] = *a;
}

static void
collect_gateway(void *ctx, const struct rules_gateway *g)
{
	struct sip_addr a;
	(void)ctx;

	/* TCP/TLS gateways are the control plane's; host names are not resolved here. */
	if (g->transport != RULES_TP_UDP ||
			sip_addr_parse(sip_str_make(g->host.p, g->host.len), &a) != 0)
		return;
	add_gateway(&a);
}

static unsigned
pin_plan(struct dp_app *app)
{
	uint64_t nv = __atomic_load_n(&app->names.version, __ATOMIC_RELAXED);
	bool names_changed = nv != pins.names_version;
	/* A new names table re-pins the plan's gateways too: one set, one sweep. */
	uint64_t want = names_changed ? UINT64_MAX : pins.plan_version;

	pins.n_gw = 0;
	int rc = rules_swap_gateways(app->rules, &want, collect_gateway, NULL);
	if (rc < 0 || (rc == 0 && !names_changed))
		return 0; /* a publication in progress: next time */
	if (rc == 1)
		pins.plan_version = want;
	pins.names_version = nv;
	/*
	 * The resolved targets of gateway names: their table is published on
	 * this lcore (the link), so it cannot be freed while we read it.
	 */
	const struct dp_names *nt = app->names.cur;
	for (uint32_t i = 0; nt != NULL && i < nt->n_targets; i++)
		add_gateway(&nt->t[i].addr);
	dp_neigh_pin_begin(app->neigh, DP_NEIGH_PIN_PLAN);
	for (unsigned i = 0; i < pins.n_gw; i++)
		dp_neigh_pin(app->neigh, &pins.gw[i], DP_NEIGH_PIN_PLAN);
	dp_neigh_pin_end(app->neigh, DP_NEIGH_PIN_PLAN);
	return 1;
}

static void
pin_binding(void *ctx, const struct dp_binding *b)
{
	struct dp_app *app = ctx;
	uint64_t now = __atomic_load_n(&dp_now_seconds, __ATOMIC_RELAXED);

	if (b->transport == SIP_TP_UDP && (b->expires == 0 || b->expires >= now))
		dp_neigh_pin(app->neigh, &b->nh, DP_NEIGH_PIN_LOC);
}

static unsigned
pin_bindings(struct dp_app *app)
{
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();
	uint64_t gen = dp_loc_generation(app->loc);

	if (pins.loc_done && now < pins.loc_next &&
			(gen == pins.loc_gen || now < pins.loc_last + PINS_LOC_MIN_S * hz))
		return 0;
	pins.loc_done = true;
	pins.loc_gen = gen;
	pins.loc_last = now;
	pins.loc_next = now + PINS_LOC_PERIOD_S * hz;
	dp_neigh_pin_begin(app->neigh, DP_NEIGH_PIN_LOC);
	dp_loc_foreach(app->loc, pin_binding, app);
	dp_neigh_pin_end(app->neigh, DP_NEIGH_PIN_LOC);
	return 1;
}

unsigned
dp_pins_poll(struct dp_app *app)
{
	if (app->neigh == NULL)
		return 0;
	return pin_plan(app) + pin_bindings(app);
}
