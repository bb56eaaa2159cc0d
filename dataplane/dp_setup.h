/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_SETUP_H
#define DP_SETUP_H

/*
 * Start-up steps shared by sipline and the pipeline benchmark. Each returns
 * 0 or -errno with a message naming what failed in err.
 */

#include <stdbool.h>
#include <stddef.h>

#include "dp_app.h"

/* Our MAC (the wire port's), addresses, ports, signing keys (dp_keyring.h), SIP configs. */
int dp_setup_identity(struct dp_app *app, char *err, size_t errlen);
/* RCU, dialplan swap helper, location table, egress ring (needs app->n_lcores). */
int dp_setup_state(struct dp_app *app, char *err, size_t errlen);
/* One struct dp_worker per worker lcore (dispatcher first in callid mode). */
int dp_setup_workers(struct dp_app *app, char *err, size_t errlen);
/*
 * A worker's scanner scratch and source table (dp_setup_workers() calls it;
 * a benchmark that builds its own worker too). 0 or -errno with err set.
 */
int dp_setup_worker_protections(struct dp_app *app, struct dp_worker *w, char *err,
		size_t errlen);
/* app->scanner from the options (dp_setup_state() calls it); NULL when none. */
int dp_setup_scanner(struct dp_app *app, char *err, size_t errlen);
/* Scanner scratches, source tables and the scanner (at exit, workers stopped). */
void dp_setup_free_protections(struct dp_app *app);
/*
 * Compile app->opt.dialplan and publish it (version = current + 1). Errors
 * go to stderr with file:line; the plan already serving stays. Regular
 * files only (a FIFO or a device is refused, never waited on). 0 or
 * -errno (-ECANCELED: shutdown began while it compiled).
 */
int dp_setup_load_dialplan(struct dp_app *app, bool at_start);

/*
 * Publish plan (ownership passes, also on failure) unless shutdown began:
 * rules_swap_publish() behind a gate. 0, -ECANCELED after
 * dp_setup_close_publish(), or rules_swap_publish()'s -errno.
 */
int dp_setup_publish(struct dp_app *app, struct rules_plan *plan);
/*
 * The same with the gateway health the new plan starts with (with_health:
 * down[0..n_down) are the plan's gateway ids that are down, all others up;
 * without: inherited from the plan it replaces).
 */
int dp_setup_publish_health(struct dp_app *app, struct rules_plan *plan, const uint32_t *down,
		unsigned n_down, bool with_health);
/*
 * Shutdown, while the workers still run: wait for a publication in
 * progress, refuse every later one. Builds still running are abandoned.
 */
void dp_setup_close_publish(void);

#endif
