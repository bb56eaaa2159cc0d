/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_RING_PORT_H
#define DP_RING_PORT_H

/*
 * The real worker step without a NIC: a wire port made of two rings, and
 * the calling lcore as worker 0. For the pipeline benchmark and the worker
 * tests; sipline itself does not link it (libdpring, only where DPDK's
 * net_ring driver is found).
 */

#include <stddef.h>
#include <stdint.h>

#include <rte_ring.h>

#include "dp_app.h"

/*
 * app's options for one worker on a ring port: the defaults, our address
 * router/24, a fixed signing key (this library is for tests and
 * benchmarks, never for a real dataplane), and the gateway's MAC known
 * (gw_mac), so that forwarding takes the fast path, not ARP. Callers
 * change what they need afterwards.
 */
void dp_ring_port_options(struct dp_app *app, const char *router, const char *gateway,
		const uint8_t gw_mac[6]);

/*
 * app->pool (n_mbufs mbufs of DP_MBUF_DATA_ROOM, cache per lcore) and
 * app->wire_port, started, on two rings of ring_size: *rx holds what the
 * port receives, *tx what it sent. Pool and port are called name, the
 * rings name_rx and name_tx. 0, or -1 with err set.
 */
int dp_ring_port_create(struct dp_app *app, const char *name, unsigned n_mbufs, unsigned cache,
		unsigned ring_size, struct rte_ring **rx, struct rte_ring **tx, char *err,
		size_t errlen);

/*
 * Worker 0 (app->w[0], id 0, queue 0, no egress ring), run by the calling
 * lcore and registered as QSBR thread 0 (still offline). Call after
 * dp_setup_state(). NULL with err set.
 */
struct dp_worker *dp_ring_worker_create(struct dp_app *app, char *err, size_t errlen);

#endif
