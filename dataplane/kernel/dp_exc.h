/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_EXC_H
#define DP_EXC_H

/*
 * The exception path: the kernel's side of the router.
 *
 * A net_tap port carries the router's MAC and address into the kernel, so
 * ARP, ICMP, TCP, TLS, IP fragments, REGISTER and non-SIP UDP are handled
 * by ordinary kernel sockets (the control plane listens on the router's
 * address like any daemon). Workers punt such packets into a ring; the
 * main lcore moves them to the tap, and moves everything the kernel sends
 * on the tap out of the wire port (on a TX queue reserved for it).
 *
 * Packets built by a worker for a next hop whose MAC is not known yet are
 * handed to the kernel too, which resolves it (ARP/ND) and sends them: the
 * first packets to a new peer are not lost, and the neighbour table learns
 * the MAC from the kernel (dp_neigh.h).
 *
 * Threads: dp_exc_punt() and dp_exc_send_via_kernel() from any worker
 * (lock-free, multi-producer); everything else from the main lcore only.
 */

#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "sip_addr.h"

struct dp_neigh;

struct dp_exc_conf {
	uint16_t wire_port;        /* DPDK port id of the wire */
	uint16_t wire_txq;         /* wire TX queue reserved for the main lcore (if egress is NULL) */
	/*
	 * If set, frames from the kernel for the wire are enqueued here (single
	 * producer: the main lcore) and a worker sends them on its own queue;
	 * wire_txq is then unused. Needed with af_packet, whose queue pairs all
	 * receive (fanout), so there is no spare TX queue for the main lcore.
	 */
	struct rte_ring *egress;
	const char *ifname;        /* kernel interface to create, e.g. "sl0" */
	struct rte_ether_addr mac; /* the router's MAC (the wire port's) */
	struct sip_addr addr4;     /* af SIP_AF_NONE if unused */
	uint8_t prefix4;
	struct sip_addr addr6;
	uint8_t prefix6;
	struct rte_mempool *pool;  /* for the tap port's RX */
	unsigned ring_size;        /* punt / via-kernel rings (power of 2) */
	struct dp_neigh *neigh;    /* fed with ARP/ND frames seen on the way (may be NULL) */
};

struct dp_exc_stats {
	uint64_t to_kernel;        /* frames moved wire -> tap */
	uint64_t from_kernel;      /* frames moved tap -> wire */
	uint64_t via_kernel;       /* built packets sent by the kernel (next hop unknown) */
	uint64_t drops;            /* tap/wire TX full, raw send failures */
};

struct dp_exc;

/*
 * Create the tap port (rte_vdev_init "net_tap..,iface=NAME,mac=MAC"), set it
 * up, and configure the kernel side before starting it: MAC equal to the
 * wire's, the addresses, IPv6 off unless addr6 is set, no router
 * solicitations. Returns 0, or -errno with a precise message in err.
 */
int dp_exc_create(const struct dp_exc_conf *c, struct dp_exc **out, char *err, size_t errlen);

/* DPDK port id of the tap. */
uint16_t dp_exc_port(const struct dp_exc *x);

/*
 * Workers: hand received frames to the kernel. Returns how many were taken;
 * the caller frees and counts the rest.
 */
unsigned dp_exc_punt(struct dp_exc *x, struct rte_mbuf **pkts, unsigned n);

/*
 * Workers: built frames (Ethernet + IPv4/IPv6 + UDP) whose destination MAC
 * is unknown: the kernel routes and sends them. Same ownership rule.
 */
unsigned dp_exc_send_via_kernel(struct dp_exc *x, struct rte_mbuf **pkts, unsigned n);

/* Main lcore: move what is pending both ways. Returns the frames moved (0: idle). */
unsigned dp_exc_poll(struct dp_exc *x);

void dp_exc_get_stats(const struct dp_exc *x, struct dp_exc_stats *st);

/* Most fragments dp_frag_ipv4() makes of one frame (4 KiB at MTU 576 and up). */
#define DP_FRAG_MAX 8

/*
 * Fragment an IPv4 frame (Ethernet + IPv4) to fit mtu (the IP MTU), with
 * fragments copied into mbufs of pool, headers and checksums complete.
 * m is consumed. Returns the fragments in out (at most max), or -errno
 * (-ENOTSUP: not single-segment IPv4; DF set; no mbufs).
 */
int dp_frag_ipv4(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *pool, struct rte_mbuf **out,
		unsigned max);

/* Stop and close the tap (the kernel interface disappears). */
void dp_exc_destroy(struct dp_exc *x);

#endif
