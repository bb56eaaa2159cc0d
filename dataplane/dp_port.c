/* SPDX-License-Identifier: BSD-3-Clause */
/* Wire port set-up: one RX and one TX queue per worker lcore, RSS when there are several. */
#include "dp_port.h"

#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "dp_pkt.h"

#define RX_DESC 1024
#define TX_DESC 1024

int
dp_port_setup(uint16_t port, uint16_t nq, struct rte_mempool *pool, unsigned *tx_cksum,
		char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t nrx = RX_DESC, ntx = TX_DESC;
	int rc;

	*tx_cksum = 0;
	if (!rte_eth_dev_is_valid_port(port)) {
		snprintf(err, errlen, "port %u: no such DPDK port (%u ports probed; check --vdev/-a)",
				port, rte_eth_dev_count_avail());
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: cannot get device info: %s", port, strerror(-rc));
		return rc;
	}
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		snprintf(err, errlen, "port %u (%s): %u worker lcores need %u queue pairs, the "
				"port has %u RX / %u TX%s", port, info.driver_name, nq, nq,
				info.max_rx_queues, info.max_tx_queues,
				strstr(info.driver_name, "af_packet") ? " (use qpairs=N in --vdev)" : "");
		return -EINVAL;
	}
	/*
	 * af_packet spreads received frames over all its queue pairs (fanout):
	 * a queue nobody polls would swallow its share.
	 */
	if (strstr(info.driver_name, "af_packet") && info.max_rx_queues != nq) {
		snprintf(err, errlen, "port %u (af_packet): qpairs=%u but %u worker lcores: give "
				"qpairs=%u in --vdev (every queue must be polled)", port,
				info.max_rx_queues, nq, nq);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	if (nq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	/* Ports that check IPv4 and UDP checksums spare the workers the sums (dp_pkt.c). */
	conf.rxmode.offloads |= info.rx_offload_capa &
		(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	/*
	 * Ports that compute them spare the workers the sums of what they
	 * build (dp_pkt_finish()); each is used only where the device has it.
	 */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		*tx_cksum |= DP_TX_CKSUM_IP4;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
		*tx_cksum |= DP_TX_CKSUM_UDP;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

	rc = rte_eth_dev_configure(port, nq, nq, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "port %u (%s): cannot configure %u queue pairs: %s", port,
				info.driver_name, nq, strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: cannot adjust descriptors: %s", port, strerror(-rc));
		return rc;
	}
	int socket = rte_eth_dev_socket_id(port);
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nrx, socket < 0 ? 0 : (unsigned)socket, NULL,
				pool);
		if (rc != 0) {
			snprintf(err, errlen, "port %u: RX queue %u: %s", port, q, strerror(-rc));
			return rc;
		}
		rc = rte_eth_tx_queue_setup(port, q, ntx, socket < 0 ? 0 : (unsigned)socket, NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %u: TX queue %u: %s", port, q, strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		snprintf(err, errlen, "port %u (%s): cannot start: %s", port, info.driver_name,
				strerror(-rc));
		return rc;
	}
	return 0;
}

const char *
dp_port_driver(uint16_t port)
{
	struct rte_eth_dev_info info;
	if (rte_eth_dev_info_get(port, &info) != 0)
		return "?";
	return info.driver_name;
}

void
dp_port_close(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}
