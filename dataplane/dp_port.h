/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

/*
 * Configure and start the wire port with nq RX and nq TX queues (one pair
 * per worker lcore; RSS over IP/UDP when nq > 1), with the checksum
 * offloads the device has: RX IPv4 and UDP checksums verified (dp_pkt.c
 * reads the flags), TX IPv4 and UDP checksums computed. *tx_cksum: the TX
 * ones enabled (DP_TX_CKSUM_*, dp_pkt.h), what frames sent on the port
 * may leave to it. 0, or -errno with a message naming the port, the
 * driver and the call in err.
 */
int dp_port_setup(uint16_t port, uint16_t nq, struct rte_mempool *pool, unsigned *tx_cksum,
		char *err, size_t errlen);
/* Driver name of a port ("net_af_packet"). */
const char *dp_port_driver(uint16_t port);
/* Stop and close. */
void dp_port_close(uint16_t port);

#endif
