/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_stats.h"

#include <rte_cycles.h>

#include "dp_exc.h"
#include "dp_neigh.h"
#include "dp_reasm.h"

int
dp_stats_snapshot(const struct dp_app *app, unsigned flags, dp_stat_fn *fn, void *ctx)
{
	int rc;

#define EMIT(name, worker, code, kind, value) \
	do { \
		if ((rc = fn((name), (worker), (code), (kind), (value), ctx)) != 0) \
			return rc; \
	} while (0)

	for (unsigned k = 0; k < DP_C__COUNT; k++)
		EMIT(dp_counter_name(k), DP_STAT_ALL, 0, DP_STAT_COUNTER, dp_app_counter(app, k));

	EMIT("uptime_s", DP_STAT_ALL, 0, DP_STAT_GAUGE,
			(rte_rdtsc() - app->start_tsc) / rte_get_tsc_hz());
	EMIT("dialplan_version", DP_STAT_ALL, 0, DP_STAT_GAUGE, rules_swap_version(app->rules));
	EMIT("location_bindings", DP_STAT_ALL, 0, DP_STAT_GAUGE, dp_loc_count(app->loc));
	EMIT("gw_names_version", DP_STAT_ALL, 0, DP_STAT_GAUGE,
			__atomic_load_n(&app->names.version, __ATOMIC_RELAXED));
	EMIT("gw_names_targets", DP_STAT_ALL, 0, DP_STAT_GAUGE,
			__atomic_load_n(&app->names.n_targets, __ATOMIC_RELAXED));
	EMIT("neighbours", DP_STAT_ALL, 0, DP_STAT_GAUGE,
			app->neigh ? dp_neigh_count(app->neigh) : 0);
	EMIT("worker_lcores", DP_STAT_ALL, 0, DP_STAT_GAUGE, app->n_lcores);
	/* Fragments waiting in the reassembly tables: 0 when no table entry is in use. */
	uint64_t held = 0;
	for (unsigned i = 0; i < app->n_lcores; i++)
		if (app->w[i] != NULL)
			held += dp_reasm_held(app->w[i]->reasm);
	EMIT("frag_held", DP_STAT_ALL, 0, DP_STAT_GAUGE, held);

	/* The exception path and the neighbour table count their own (main lcore). */
	struct dp_exc_stats xs = {0};
	struct dp_neigh_stats ns = {0};
	if (app->exc != NULL)
		dp_exc_get_stats(app->exc, &xs);
	if (app->neigh != NULL)
		dp_neigh_get_stats(app->neigh, &ns);
	EMIT("exc_to_kernel", DP_STAT_ALL, 0, DP_STAT_COUNTER, xs.to_kernel);
	EMIT("exc_from_kernel", DP_STAT_ALL, 0, DP_STAT_COUNTER, xs.from_kernel);
	EMIT("exc_via_kernel", DP_STAT_ALL, 0, DP_STAT_COUNTER, xs.via_kernel);
	EMIT("exc_drops", DP_STAT_ALL, 0, DP_STAT_COUNTER, xs.drops);
	for (unsigned k = 0; k < DP_NEIGH_S__COUNT; k++) {
		char name[64];
		snprintf(name, sizeof(name), "neigh_%s", dp_neigh_stat_name(k));
		EMIT(name, DP_STAT_ALL, 0, DP_STAT_COUNTER, dp_neigh_stat_value(&ns, k));
	}

	if (flags & DP_STATS_WORKERS) {
		for (unsigned i = 0; i < app->n_lcores; i++) {
			const struct dp_worker *w = app->w[i];
			for (unsigned k = 0; k < DP_C__COUNT; k++)
				EMIT(dp_counter_name(k), w->id, 0, DP_STAT_COUNTER,
						__atomic_load_n(&w->cnt.v[k], __ATOMIC_RELAXED));
		}
	}
	if (flags & DP_STATS_STATUS) {
		for (int sent = 1; sent >= 0; sent--)
			for (unsigned code = DP_STATUS_MIN; code < DP_STATUS_MIN + DP_STATUS_N; code++)
				EMIT(sent ? "sent" : "relayed", DP_STAT_ALL, code, DP_STAT_COUNTER,
						dp_app_status(app, sent, code));
	}
#undef EMIT
	return 0;
}
