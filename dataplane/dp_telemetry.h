/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_TELEMETRY_H
#define DP_TELEMETRY_H

#include <stdint.h>

#include "dp_srclimit.h"

struct dp_app;

/* Register the /sipline/... telemetry commands. 0 or -errno. */
int dp_telemetry_init(void);
/* Record the plan being served (main lcore, after each publication). */
void dp_telemetry_set_plan(const char *name, const char *sha256, const char *source,
		uint64_t rules);

/* The per-source limit as configured, and its tables summed over the RX lcores. */
struct dp_src_top_info {
	uint32_t rate, burst, ban_s;   /* rate 0: no limit */
	uint64_t tracked, capacity, bytes;
};

/*
 * The (at most want, <= 64) sources the per-source limit dropped most,
 * summed over the RX lcores, most first, into out; info filled. One
 * snapshot for telemetry (/sipline/src_top) and the link (SRC_TOP): any
 * thread but the workers. Returns how many.
 */
unsigned dp_src_top(const struct dp_app *app, unsigned want, struct dp_srclimit_top *out,
		struct dp_src_top_info *info);

#endif
