/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_ring_port.h"

#include <stdio.h>
#include <string.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "dp_setup.h"
#include "sip_addr.h"
#include "sip_sign.h"

void
dp_ring_port_options(struct dp_app *app, const char *router, const char *gateway,
		const uint8_t gw_mac[6])
{
	dp_options_defaults(&app->opt);
	sip_addr_parse(sip_str_make(router, strlen(router)), &app->opt.addr4);
	app->opt.prefix4 = 24;
	app->opt.secret_set = true;
	sip_key_parse_hex("0f1e2d3c4b5a69788796a5b4c3d2e1f0", 32, app->opt.secret);
	app->opt.n_neigh = 1;
	sip_addr_parse(sip_str_make(gateway, strlen(gateway)), &app->opt.neigh[0].ip);
	memcpy(app->opt.neigh[0].mac, gw_mac, 6);
	app->n_lcores = 1;
	app->n_workers = 1;
}

int
dp_ring_port_create(struct dp_app *app, const char *name, unsigned n_mbufs, unsigned cache,
		unsigned ring_size, struct rte_ring **rx, struct rte_ring **tx, char *err,
		size_t errlen)
{
	char rx_name[RTE_RING_NAMESIZE], tx_name[RTE_RING_NAMESIZE];

	snprintf(rx_name, sizeof(rx_name), "%s_rx", name);
	snprintf(tx_name, sizeof(tx_name), "%s_tx", name);
	app->pool = rte_pktmbuf_pool_create(name, n_mbufs, cache, 0,
			DP_MBUF_DATA_ROOM + RTE_PKTMBUF_HEADROOM, 0);
	*rx = rte_ring_create(rx_name, ring_size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	*tx = rte_ring_create(tx_name, ring_size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (app->pool == NULL || *rx == NULL || *tx == NULL) {
		snprintf(err, errlen, "out of DPDK memory");
		return -1;
	}
	int port = rte_eth_from_rings(name, rx, 1, tx, 1, 0);
	if (port < 0) {
		snprintf(err, errlen, "cannot create the ring port");
		return -1;
	}
	app->wire_port = (uint16_t)port;
	struct rte_eth_conf conf = {0};
	uint16_t desc = (uint16_t)ring_size;
	if (rte_eth_dev_configure(app->wire_port, 1, 1, &conf) != 0 ||
			rte_eth_rx_queue_setup(app->wire_port, 0, desc, 0, NULL, app->pool) != 0 ||
			rte_eth_tx_queue_setup(app->wire_port, 0, desc, 0, NULL) != 0 ||
			rte_eth_dev_start(app->wire_port) != 0) {
		snprintf(err, errlen, "cannot start the ring port");
		return -1;
	}
	return 0;
}

struct dp_worker *
dp_ring_worker_create(struct dp_app *app, char *err, size_t errlen)
{
	struct dp_worker *w = rte_zmalloc("worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	if (w == NULL) {
		snprintf(err, errlen, "cannot allocate the worker");
		return NULL;
	}
	w->app = app;
	w->route.tid = 0;
	struct dp_sip_env env = {.route = dp_route_lookup, .route_ctx = w, .cnt = &w->cnt};
	w->env4 = env;
	w->env4.cfg = &app->sip4;
	w->env6 = env;
	w->env6.cfg = &app->sip6;
	if (dp_setup_worker_protections(app, w, err, errlen) != 0) {
		rte_free(w);
		return NULL;
	}
	app->w[0] = w;
	app->egress = NULL;
	rte_rcu_qsbr_thread_register(app->qsbr, 0);
	return w;
}
