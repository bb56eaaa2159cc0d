/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands (read with dpdk-telemetry.py -f PREFIX):
 *   /sipline/stats      every counter summed over the workers, plus state
 *   /sipline/lcores     per-lcore RX/TX and actions
 *   /sipline/dialplan   the plan being served
 *   /sipline/status     replies sent and responses relayed, per status code
 *   /sipline/neigh,IP   one destination of the neighbour table
 *   /sipline/src_top[,N] the sources dropped most by --src-rate (default 10, max 64)
 * Callbacks run in DPDK's telemetry thread and only read: counters are
 * 64-bit words written by one worker each, so a torn read cannot happen.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "dp_app.h"
#include "dp_neigh.h"
#include "dp_stats.h"
#include "dp_telemetry.h"

static int
tel_stats(const char *name, unsigned worker, unsigned code, enum dp_stat_kind kind,
		uint64_t value, void *ctx)
{
	(void)kind;
	if (worker == DP_STAT_ALL && code == 0)
		rte_tel_data_add_dict_u64(ctx, name, value);
	return 0;
}

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	return dp_stats_snapshot(&dp_app, 0, tel_stats, d);
}

/* The "sent" and "relayed" containers of /sipline/status, filled from one snapshot. */
struct tel_status {
	struct rte_tel_data *sent, *relayed;
};

static int
tel_status(const char *name, unsigned worker, unsigned code, enum dp_stat_kind kind,
		uint64_t value, void *ctx)
{
	struct tel_status *t = ctx;
	char c[12];
	(void)worker;
	(void)kind;
	if (code == 0 || value == 0)
		return 0;
	snprintf(c, sizeof(c), "%u", code);
	rte_tel_data_add_dict_u64(strcmp(name, "sent") == 0 ? t->sent : t->relayed, c, value);
	return 0;
}

/* /sipline/neigh,IP: what workers find for IP now (without marking it used). */
static int
cmd_neigh(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp_app *app = &dp_app;
	struct rte_ether_addr mac;
	struct sip_addr a;
	char text[RTE_ETHER_ADDR_FMT_SIZE];
	const char *state;
	(void)cmd;

	if (params == NULL || sip_addr_parse(sip_str_make(params, strlen(params)), &a) != 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "dst", params);
	switch (app->neigh != NULL ? dp_neigh_peek(app->neigh, &a, &mac) : -ENOENT) {
	case 0:
		state = "resolved";
		rte_ether_format_addr(text, sizeof(text), &mac);
		rte_tel_data_add_dict_string(d, "mac", text);
		break;
	case -EAGAIN:
		state = "resolving";
		break;
	case -EHOSTUNREACH:
		state = "failed";
		break;
	default:
		state = "absent";
		break;
	}
	rte_tel_data_add_dict_string(d, "state", state);
	return 0;
}

/* {"sent": {"302": n, ...}, "relayed": {"180": n, ...}}: non-zero codes only. */
static int
cmd_status(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tel_status t;
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	t.sent = rte_tel_data_alloc();
	t.relayed = rte_tel_data_alloc();
	if (t.sent == NULL || t.relayed == NULL) {
		rte_tel_data_free(t.sent);
		rte_tel_data_free(t.relayed);
		return -ENOMEM;
	}
	rte_tel_data_start_dict(t.sent);
	rte_tel_data_start_dict(t.relayed);
	dp_stats_snapshot(&dp_app, DP_STATS_STATUS, tel_status, &t);
	rte_tel_data_add_dict_container(d, "sent", t.sent, 0);
	rte_tel_data_add_dict_container(d, "relayed", t.relayed, 0);
	return 0;
}

/* Per-lcore: a few counters of each worker, from the same snapshot. */
struct tel_lcores {
	struct rte_tel_data *c[RTE_MAX_LCORE];
};

static int
tel_lcore(const char *name, unsigned worker, unsigned code, enum dp_stat_kind kind,
		uint64_t value, void *ctx)
{
	static const enum dp_counter shown[] = {
		DP_C_RX_PKTS, DP_C_TX_PKTS, DP_C_RX_REQUESTS, DP_C_RX_RESPONSES,
		DP_C_ACT_REDIRECT, DP_C_ACT_FORWARD, DP_C_ACT_RESPONSE_FWD, DP_C_EXC_PKTS,
	};
	struct tel_lcores *t = ctx;
	(void)code;
	(void)kind;
	if (worker == DP_STAT_ALL || worker >= RTE_MAX_LCORE || t->c[worker] == NULL)
		return 0;
	for (unsigned k = 0; k < RTE_DIM(shown); k++)
		if (strcmp(name, dp_counter_name(shown[k])) == 0)
			rte_tel_data_add_dict_u64(t->c[worker], name, value);
	return 0;
}

static int
cmd_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct dp_app *app = &dp_app;
	static struct tel_lcores t; /* telemetry callbacks run one at a time, on one thread */
	(void)cmd;
	(void)params;

	memset(&t, 0, sizeof(t));
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < app->n_lcores; i++) {
		const struct dp_worker *w = app->w[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", w->lcore);
		rte_tel_data_add_dict_string(c, "role",
				w->role == DP_ROLE_DISPATCHER ? "dispatcher" : "worker");
		t.c[w->id] = c;
	}
	dp_stats_snapshot(app, DP_STATS_WORKERS, tel_lcore, &t);
	for (unsigned i = 0; i < app->n_lcores; i++) {
		char name[32];
		snprintf(name, sizeof(name), "worker%u", app->w[i]->id);
		rte_tel_data_add_dict_container(d, name, t.c[app->w[i]->id], 0);
	}
	return 0;
}

/* Filled at each (re)load (main lcore or the reload thread); read here. Locked: not hot. */
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char name[64];
	char sha256[65];
	char source[256];
	uint64_t rules;
} plan_info;

void
dp_telemetry_set_plan(const char *name, const char *sha256, const char *source, uint64_t rules)
{
	pthread_mutex_lock(&plan_lock);
	snprintf(plan_info.name, sizeof(plan_info.name), "%s", name ? name : "");
	snprintf(plan_info.sha256, sizeof(plan_info.sha256), "%s", sha256 ? sha256 : "");
	snprintf(plan_info.source, sizeof(plan_info.source), "%s", source ? source : "");
	plan_info.rules = rules;
	pthread_mutex_unlock(&plan_lock);
}

static int
cmd_dialplan(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "version", rules_swap_version(dp_app.rules));
	pthread_mutex_lock(&plan_lock);
	rte_tel_data_add_dict_string(d, "name", plan_info.name);
	rte_tel_data_add_dict_string(d, "sha256", plan_info.sha256);
	rte_tel_data_add_dict_string(d, "source", plan_info.source);
	rte_tel_data_add_dict_u64(d, "rules", plan_info.rules);
	pthread_mutex_unlock(&plan_lock);
	return 0;
}

#define SRC_TOP_MAX 64

unsigned
dp_src_top(const struct dp_app *app, unsigned want, struct dp_srclimit_top *out,
		struct dp_src_top_info *info)
{
	static struct dp_srclimit_top all[SRC_TOP_MAX * RTE_MAX_LCORE];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct dp_srclimit_top one[SRC_TOP_MAX];
	unsigned n = 0;

	if (want > SRC_TOP_MAX)
		want = SRC_TOP_MAX;
	memset(info, 0, sizeof(*info));
	info->rate = app->opt.src_rate;
	info->burst = app->opt.src_burst ? app->opt.src_burst : app->opt.src_rate;
	info->ban_s = app->opt.src_ban;
	/* The telemetry thread and the main lcore (the link) may both ask. */
	pthread_mutex_lock(&lock);
	uint64_t now = rte_rdtsc();
	for (unsigned i = 0; i < app->n_lcores; i++) {
		const struct dp_worker *w = app->w[i];
		if (w == NULL || w->srclim == NULL)
			continue;
		info->tracked += dp_srclimit_used(w->srclim);
		info->capacity += dp_srclimit_capacity(w->srclim);
		info->bytes += dp_srclimit_bytes(w->srclim);
		unsigned k = dp_srclimit_top(w->srclim, now, one, want);
		for (unsigned j = 0; j < k; j++) {
			unsigned m = 0;
			while (m < n && !sip_addr_eq(&all[m].src, &one[j].src))
				m++;
			if (m == n) {
				all[n++] = one[j];
				continue;
			}
			all[m].drops += one[j].drops;
			all[m].bans += one[j].bans;
			if (one[j].ban_left_ms > all[m].ban_left_ms)
				all[m].ban_left_ms = one[j].ban_left_ms;
		}
	}
	/* Most drops first (n is at most SRC_TOP_MAX per lcore). */
	for (unsigned i = 1; i < n; i++) {
		struct dp_srclimit_top t = all[i];
		unsigned j = i;
		for (; j > 0 && all[j - 1].drops < t.drops; j--)
			all[j] = all[j - 1];
		all[j] = t;
	}
	if (n > want)
		n = want;
	memcpy(out, all, n * sizeof(*out));
	pthread_mutex_unlock(&lock);
	return n;
}

/*
 * /sipline/src_top[,N]: each RX lcore's table read (relaxed loads: a
 * snapshot), the same source on several lcores summed (dp_src_top()).
 */
static int
cmd_src_top(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_srclimit_top top_v[SRC_TOP_MAX];
	struct dp_src_top_info info;
	unsigned want = 10;
	(void)cmd;

	if (params != NULL && *params != '\0') {
		char *end;
		unsigned long v = strtoul(params, &end, 10);
		if (*end != '\0' || v == 0 || v > SRC_TOP_MAX)
			return -EINVAL;
		want = (unsigned)v;
	}
	unsigned n = dp_src_top(&dp_app, want, top_v, &info);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rate", info.rate);
	rte_tel_data_add_dict_u64(d, "burst", info.burst);
	rte_tel_data_add_dict_u64(d, "ban_s", info.ban_s);
	rte_tel_data_add_dict_u64(d, "tracked", info.tracked);
	rte_tel_data_add_dict_u64(d, "capacity", info.capacity);
	rte_tel_data_add_dict_u64(d, "table_bytes", info.bytes);
	struct rte_tel_data *top = rte_tel_data_alloc();
	if (top == NULL)
		return -ENOMEM;
	/* By rank ("0" most drops): an array cannot hold dicts in DPDK telemetry. */
	rte_tel_data_start_dict(top);
	for (unsigned i = 0; i < n; i++) {
		struct rte_tel_data *e = rte_tel_data_alloc();
		char text[48], rank[12];
		if (e == NULL)
			break;
		rte_tel_data_start_dict(e);
		size_t tl = sip_addr_format(&top_v[i].src, text, sizeof(text) - 1);
		text[tl] = '\0';
		rte_tel_data_add_dict_string(e, "src", text);
		rte_tel_data_add_dict_u64(e, "drops", top_v[i].drops);
		rte_tel_data_add_dict_u64(e, "bans", top_v[i].bans);
		rte_tel_data_add_dict_u64(e, "ban_left_ms", top_v[i].ban_left_ms);
		snprintf(rank, sizeof(rank), "%u", i);
		rte_tel_data_add_dict_container(top, rank, e, 0);
	}
	rte_tel_data_add_dict_container(d, "top", top, 0);
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
		rc = rte_telemetry_register_cmd("/sipline/status", cmd_status,
				"Replies sent and responses relayed, per status code. No parameters.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipline/neigh", cmd_neigh,
				"A destination in the neighbour table: state and next-hop MAC. "
				"Parameter: IP address.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipline/dialplan", cmd_dialplan,
				"Dialplan being served: version, name, SHA-256. No parameters.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/sipline/src_top", cmd_src_top,
				"Sources dropped most by the per-source rate limit: drops, bans, "
				"ban time left. Parameter: how many (default 10, max 64).");
	return rc;
}
