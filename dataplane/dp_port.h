/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_PORT_H
#define DP_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

/*
 * Configure and start the wire port with nq RX and nq TX queues (one pair
 * per worker lcore; RSS over IP/UDP when nq > 1). 0, or -errno with a
 * message naming the port, the driver and the call in err.
 */
int dp_port_setup(uint16_t port, uint16_t nq, struct rte_mempool *pool, char *err, size_t errlen);
/* Driver name of a port ("net_af_packet"). */
const char *dp_port_driver(uint16_t port);
/* Stop and close. */
void dp_port_close(uint16_t port);

#endif
