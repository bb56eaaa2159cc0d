/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_STATS_H
#define DP_STATS_H

/*
 * One snapshot of the dataplane's statistics for every reader: the
 * control link (STATS, by name), DPDK telemetry (/sipline/stats,
 * /sipline/status, /sipline/lcores) and the periodic print. Values are
 * visited in a fixed order (so a paged reader can resume by position):
 * the counters of dp_counters.h summed over the workers, process-wide
 * values (gauges, the exception path's and the neighbour table's
 * counters), then with DP_STATS_WORKERS every counter per worker, then
 * with DP_STATS_STATUS every status code of the replies sent and the
 * responses relayed (zeros included: readers skip them).
 */

#include <stdint.h>

#include "dp_app.h"

enum dp_stat_kind {
	DP_STAT_COUNTER = 0,
	DP_STAT_GAUGE = 1,
};

/* worker for sums and process-wide values */
#define DP_STAT_ALL 0xffffu

#define DP_STATS_WORKERS 1u
#define DP_STATS_STATUS 2u

/*
 * Called per value: name ("act_forward", "sent", ...), worker id or
 * DP_STAT_ALL, status code (the "sent"/"relayed" tables) or 0. A non-zero
 * return stops the walk and is returned by dp_stats_snapshot().
 */
typedef int dp_stat_fn(const char *name, unsigned worker, unsigned code,
		enum dp_stat_kind kind, uint64_t value, void *ctx);

/*
 * Walk the statistics of app. Safe from any thread: counters are read
 * with relaxed atomic loads; the exception path's and neighbour table's
 * figures are written by the main lcore only (64-bit words: never torn).
 */
int dp_stats_snapshot(const struct dp_app *app, unsigned flags, dp_stat_fn *fn, void *ctx);

#endif
