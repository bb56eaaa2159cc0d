/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_PINS_H
#define DP_PINS_H

/*
 * Which destinations the neighbour table keeps resolved, guarded and never
 * expires (dp_neigh.h, pinning): the resolved targets of gateway names
 * (GW_ADDRS), the UDP gateways of the dialplan being
 * served and the UDP contacts of the location bindings. The main lcore
 * polls: a plan is published by the start-up load, the SIGHUP reload thread
 * or the control link, bindings change with LOC_SET/LOC_DEL/LOC_CLEAR; each
 * is noticed by its version here, so none of those paths needs a hook.
 */

struct dp_app;

/*
 * Main lcore, every loop: re-pin the plan's gateways when the plan version
 * changed, the bindings when they changed (at most once a second) and every
 * 10 s (bindings expire). Returns work done (0: nothing changed).
 */
unsigned dp_pins_poll(struct dp_app *app);

#endif
