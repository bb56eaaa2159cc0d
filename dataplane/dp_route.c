/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' lookups: dataplane/core/dp_route.c against the app's
 * location table and dialplan (published under RCU). This file only holds
 * the one-at-a-time callback (tests, slow paths) and the clock it reads.
 */
#include "dp_app.h"

/* Coarse wall clock in seconds, written by the main lcore once per loop. */
uint64_t dp_now_seconds;

int
dp_route_lookup(void *ctx, struct dp_sip_job *j)
{
	struct dp_worker *w = ctx;

	dp_route_burst(&w->app->router, &w->route,
			__atomic_load_n(&dp_now_seconds, __ATOMIC_RELAXED), &j, 1);
	return 0;
}
