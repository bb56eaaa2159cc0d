/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands (read with dpdk-telemetry.py -f PREFIX):
 *   /sipline/stats      every counter summed over the workers, plus state
 *   /sipline/lcores     per-lcore RX/TX and actions
 *   /sipline/dialplan   the plan being served
 * Callbacks run in DPDK's telemetry thread and only read: counters are
 * 64-bit words written by one worker each, so a torn read cannot happen.
 */
#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "dp_app.h"
#include "dp_neigh.h"
#include "dp_telemetry.h"

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp_app *app = &dp_app;
	(void)cmd;
	(void)params;

	rte_tel_data_start_dict(d);
	for (unsigned k = 0; k < DP_C__COUNT; k++)
		rte_tel_data_add_dict_u64(d, dp_counter_name(k), dp_app_counter(app, k));
	rte_tel_data_add_dict_u64(d, "uptime_s", (rte_rdtsc() - app->start_tsc) / rte_get_tsc_hz());
	rte_tel_data_add_dict_u64(d, "dialplan_version", rules_swap_version(app->rules));
	rte_tel_data_add_dict_u64(d, "location_bindings", dp_loc_count(app->loc));
	rte_tel_data_add_dict_u64(d, "neighbours", app->neigh ? dp_neigh_count(app->neigh) : 0);
	rte_tel_data_add_dict_u64(d, "worker_lcores", app->n_lcores);
	return 0;
}

static int
cmd_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp_app *app = &dp_app;
	static const enum dp_counter shown[] = {
		DP_C_RX_PKTS, DP_C_TX_PKTS, DP_C_RX_REQUESTS, DP_C_RX_RESPONSES,
		DP_C_ACT_REDIRECT, DP_C_ACT_FORWARD, DP_C_ACT_RESPONSE_FWD, DP_C_EXC_PKTS,
	};
	(void)cmd;
	(void)params;

	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < app->n_lcores; i++) {
		const struct dp_worker *w = app->w[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		char name[32];
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", w->lcore);
		rte_tel_data_add_dict_string(c, "role",
				w->role == DP_ROLE_DISPATCHER ? "dispatcher" : "worker");
		for (unsigned k = 0; k < RTE_DIM(shown); k++)
			rte_tel_data_add_dict_u64(c, dp_counter_name(shown[k]),
					__atomic_load_n(&w->cnt.v[shown[k]], __ATOMIC_RELAXED));
		snprintf(name, sizeof(name), "worker%u", w->id);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}

/* Filled by the main lcore at each (re)load; read here. */
static struct {
	char name[64];
	char sha256[65];
	char source[256];
	uint64_t rules;
} plan_info;

void
dp_telemetry_set_plan(const char *name, const char *sha256, const char *source, uint64_t rules)
{
	snprintf(plan_info.name, sizeof(plan_info.name), "%s", name ? name : "");
	snprintf(plan_info.sha256, sizeof(plan_info.sha256), "%s", sha256 ? sha256 : "");
	snprintf(plan_info.source, sizeof(plan_info.source), "%s", source ? source : "");
	plan_info.rules = rules;
}

static int
cmd_dialplan(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "version", rules_swap_version(dp_app.rules));
	rte_tel_data_add_dict_string(d, "name", plan_info.name);
	rte_tel_data_add_dict_string(d, "sha256", plan_info.sha256);
	rte_tel_data_add_dict_string(d, "source", plan_info.source);
	rte_tel_data_add_dict_u64(d, "rules", plan_info.rules);
	return 0;
}

int
dp_telemetry_init(void)
{
	int rc = rte_telemetry_register_cmd("/sipline/stats", cmd_stats,
			"Counters of the SIP dataplane, summed over workers. No parameters.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipline/lcores", cmd_lcores,
				"Per-lcore counters of the SIP dataplane. No parameters.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipline/dialplan", cmd_dialplan,
				"Dialplan being served: version, name, SHA-256. No parameters.");
	return rc;
}
