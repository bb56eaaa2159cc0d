/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_NEIGH_H
#define DP_NEIGH_H

/*
 * Next-hop MACs for the workers: destination IP -> MAC of the L2 next hop
 * (the destination itself when on-link, else its gateway). Filled by the
 * main lcore from the kernel's neighbour and routing tables (rtnetlink:
 * dump at start, RTNLGRP_NEIGH notifications after) and from ARP/ND frames
 * seen on the exception path. Workers only read, lock-free.
 *
 * A worker that misses sends the packet via the kernel (dp_exc) and asks
 * for the destination to be resolved (dp_neigh_request): the kernel's ARP
 * then fills the table for the next packets.
 */

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "sip_addr.h"

struct dp_neigh_conf {
	const char *ifname;   /* kernel interface of the router (the tap) */
	unsigned capacity;    /* destinations kept (e.g. 65536) */
	unsigned socket_id;
};

struct dp_neigh;

/* Create the table, open rtnetlink, dump the current neighbours. 0 or -errno (message in err). */
int dp_neigh_create(const struct dp_neigh_conf *c, struct dp_neigh **out, char *err,
		size_t errlen);

/* Workers (lock-free): 0 and *mac if known, -ENOENT otherwise. */
int dp_neigh_lookup(const struct dp_neigh *n, const struct sip_addr *dst,
		struct rte_ether_addr *mac);

/* Workers: ask the main lcore to resolve dst (multi-producer ring; duplicates are fine). */
void dp_neigh_request(struct dp_neigh *n, const struct sip_addr *dst);

/* Main lcore: netlink notifications and pending requests. Returns work done (0: idle). */
unsigned dp_neigh_poll(struct dp_neigh *n);

/* Main lcore: learn from an ARP or NDP frame on its way to or from the kernel. */
void dp_neigh_snoop(struct dp_neigh *n, const struct rte_mbuf *m);

/* Entries in use (for stats). */
unsigned dp_neigh_count(const struct dp_neigh *n);

/*
 * Main lcore: bind the table to the kernel interface ifindex and dump its neighbours.
 * dp_exc_create() calls it once the tap exists (the table is usually created first,
 * so the interface cannot be found by name yet); until then dp_neigh_poll() retries
 * the name once a second. 0 or -errno.
 */
int dp_neigh_attach(struct dp_neigh *n, unsigned ifindex);

struct dp_neigh_stats {
	uint64_t requests;      /* worker requests handled (duplicates included) */
	uint64_t req_drops;     /* worker requests lost: ring full (the next miss asks again) */
	uint64_t route_lookups; /* RTM_GETROUTE sent */
	uint64_t route_errors;  /* no route, not via our interface, or not unicast */
	uint64_t updates;       /* destination entries (re)published */
	uint64_t snooped;       /* next-hop MACs changed by an ARP/ND frame */
	uint64_t full;          /* destination or next-hop table full */
	uint64_t nl_resyncs;    /* netlink overflows: state dumped again */
	uint64_t nl_errors;     /* other netlink failures */
};

/* Main lcore. */
void dp_neigh_get_stats(const struct dp_neigh *n, struct dp_neigh_stats *st);

void dp_neigh_destroy(struct dp_neigh *n);

#endif
