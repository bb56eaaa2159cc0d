/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_TELEMETRY_H
#define DP_TELEMETRY_H

#include <stdint.h>

/* Register the /sipline/... telemetry commands. 0 or -errno. */
int dp_telemetry_init(void);
/* Record the plan being served (main lcore, after each publication). */
void dp_telemetry_set_plan(const char *name, const char *sha256, const char *source,
		uint64_t rules);

#endif
