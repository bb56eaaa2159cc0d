/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_NEIGH_H
#define DP_NEIGH_H

/*
 * Next-hop MACs for the workers: destination IP -> MAC of the L2 next hop
 * (the destination itself when on-link, else its gateway). Filled by the
 * main lcore from the kernel's neighbour and routing tables (rtnetlink:
 * dump at start, RTNLGRP_NEIGH notifications after) and from ARP/ND frames
 * seen on the exception path. Workers only read, lock-free, and stamp the
 * second they last used a destination.
 *
 * A worker that misses sends the packet via the kernel (dp_exc), within a
 * budget of its own, and asks for the destination to be resolved
 * (dp_neigh_request): the kernel's ARP then fills the table for the next
 * packets.
 *
 * Nobody on the internet may make the router ARP without end, fill the table
 * for good, or redirect a gateway's traffic (docs/dataplane.md, "Neighbour
 * table"):
 *  - destinations unused for idle_s seconds expire, unless pinned;
 *  - pinned destinations (dp_neigh_pin: the dialplan's gateways, registered
 *    contacts) and those the workers vouch for (DP_NEIGH_REQ_JUSTIFIED) are
 *    "justified": only their next hops are kept resolved by the kernel
 *    (managed neighbours); the others are resolved on demand and left to
 *    expire;
 *  - route queries and resolutions started per second are bounded (rate);
 *  - a full table evicts its least recently used unpinned destination;
 *  - a justified next hop whose MAC changes keeps its old MAC while the old
 *    MAC is probed (unicast ARP request / NS); if it answers within a second
 *    the new MAC is refused (a conflict), else it is taken. Both are logged.
 */

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "sip_addr.h"

#define DP_NEIGH_IDLE_S 60       /* default idle timeout */
#define DP_NEIGH_RATE 100        /* default route queries + resolutions per second */

struct dp_neigh_conf {
	const char *ifname;   /* kernel interface of the router (the tap) */
	unsigned capacity;    /* destinations kept (e.g. 65536); pinned ones included */
	unsigned idle_s;      /* unused unpinned destinations expire (0: DP_NEIGH_IDLE_S) */
	unsigned rate;        /* route queries + resolutions per second (0: DP_NEIGH_RATE) */
	unsigned socket_id;
	/*
	 * The workers' RCU variable: an expired or evicted destination's slot is
	 * reused only after every worker has passed a quiescent point. NULL when
	 * no other thread reads the table (slots are reused at once).
	 */
	struct rte_rcu_qsbr *qsbr;
	/* The router's MAC and addresses: the source of verification probes (af NONE: none). */
	struct rte_ether_addr mac;
	struct sip_addr addr4;
	struct sip_addr addr6;
};

struct dp_neigh;

/* Create the table, open rtnetlink, dump the current neighbours. 0 or -errno (message in err). */
int dp_neigh_create(const struct dp_neigh_conf *c, struct dp_neigh **out, char *err,
		size_t errlen);

/*
 * Workers (lock-free, no atomic read-modify-write): 0 and *mac if known.
 * Otherwise -ENOENT (not in the table), -EAGAIN (being resolved) or
 * -EHOSTUNREACH (no route, or the next hop does not answer: do not bother
 * the kernel with it). A destination found is marked used this second.
 */
int dp_neigh_lookup(const struct dp_neigh *n, const struct sip_addr *dst,
		struct rte_ether_addr *mac);

/* The same without marking the destination used (telemetry, tests). Any thread. */
int dp_neigh_peek(const struct dp_neigh *n, const struct sip_addr *dst,
		struct rte_ether_addr *mac);

/*
 * dst is where we relay a response that our branch signature proved to be
 * the answer to a request that came from dst: a recent source, whose next
 * hop is worth keeping resolved while it is used.
 */
#define DP_NEIGH_REQ_JUSTIFIED 1u

/*
 * Workers: ask the main lcore to resolve dst (multi-producer ring; duplicates
 * are fine; a full ring drops the request, the next miss asks again).
 */
void dp_neigh_request(struct dp_neigh *n, const struct sip_addr *dst, unsigned flags);

/* Main lcore: netlink notifications and pending requests. Returns work done (0: idle). */
unsigned dp_neigh_poll(struct dp_neigh *n);

/* Main lcore: learn from an ARP or NDP frame on its way to or from the kernel. */
void dp_neigh_snoop(struct dp_neigh *n, const struct rte_mbuf *m);

/* Destinations in the table (for stats). Any thread. */
unsigned dp_neigh_count(const struct dp_neigh *n);

/*
 * Main lcore: bind the table to the kernel interface ifindex and dump its neighbours.
 * dp_exc_create() calls it once the tap exists (the table is usually created first,
 * so the interface cannot be found by name yet); until then dp_neigh_poll() retries
 * the name once a second. 0 or -errno.
 */
int dp_neigh_attach(struct dp_neigh *n, unsigned ifindex);

/*
 * Pinning (main lcore). Why a destination is justified beyond its own use:
 * each reason is resynchronised as a whole, by the code that knows its
 * source of truth (dataplane/dp_pins.c: the dialplan's gateways, the
 * location bindings):
 *
 *   dp_neigh_pin_begin(n, R); dp_neigh_pin(n, a, R)...; dp_neigh_pin_end(n, R);
 *
 * pins every address given and unpins what R pinned before and was not
 * given again. Pinned destinations never expire nor get evicted; their next
 * hops are managed and guarded against spoofed MAC changes. An unpinned one
 * counts as used at the moment it is unpinned, then expires as usual.
 */
enum dp_neigh_pin_reason {
	DP_NEIGH_PIN_PLAN = 1, /* a gateway of the dialplan */
	DP_NEIGH_PIN_LOC = 2,  /* a registered contact (location binding) */
};

void dp_neigh_pin_begin(struct dp_neigh *n, unsigned reason);
/* 0, -EINVAL (not a unicast address we can hold) or -ENOSPC (table full of pins). */
int dp_neigh_pin(struct dp_neigh *n, const struct sip_addr *dst, unsigned reason);
void dp_neigh_pin_end(struct dp_neigh *n, unsigned reason);

/*
 * The table's own figures, declared once: X(name, description). Gauges first
 * (values now), then counters (since start). Exported as "neigh_NAME".
 */
#define DP_NEIGH_STATS(X) \
	X(entries, "destinations in the table") \
	X(pinned, "destinations pinned by the dialplan or a registration") \
	X(managed, "next hops the kernel is asked to keep resolved") \
	X(requests, "worker requests handled (duplicates included)") \
	X(req_drops, "worker requests lost: ring full (the next miss asks again)") \
	X(route_lookups, "RTM_GETROUTE sent") \
	X(route_errors, "no route, not via our interface, or not unicast") \
	X(resolutions, "ARP/ND resolutions started on demand (NTF_USE)") \
	X(rate_limited, "route lookups or resolutions refused by --neigh-rate") \
	X(updates, "destination entries (re)published") \
	X(snooped, "next-hop MACs taken from an ARP/ND frame") \
	X(expired, "destinations removed after --neigh-idle unused") \
	X(evicted, "destinations removed to make room (table full)") \
	X(full, "destinations not added: all pinned, or spare slots still retiring") \
	X(mac_changes, "next-hop MACs replaced by another") \
	X(verify_probes, "unicast ARP/NS sent to a guarded next hop's old MAC") \
	X(conflicts, "guarded next hop claimed by another MAC while the old one answered") \
	X(nl_resyncs, "netlink overflows: state dumped again") \
	X(nl_errors, "other netlink failures")

struct dp_neigh_stats {
#define DP_NEIGH_STAT_FIELD(name, desc) uint64_t name;
	DP_NEIGH_STATS(DP_NEIGH_STAT_FIELD)
#undef DP_NEIGH_STAT_FIELD
};

enum dp_neigh_stat {
#define DP_NEIGH_STAT_ENUM(name, desc) DP_NEIGH_S_##name,
	DP_NEIGH_STATS(DP_NEIGH_STAT_ENUM)
#undef DP_NEIGH_STAT_ENUM
	DP_NEIGH_S__COUNT
};

/* Name ("entries") and description of figure k; the value of k in st. */
const char *dp_neigh_stat_name(enum dp_neigh_stat k);
const char *dp_neigh_stat_desc(enum dp_neigh_stat k);
uint64_t dp_neigh_stat_value(const struct dp_neigh_stats *st, enum dp_neigh_stat k);

/* Any thread (a racy but monotonic snapshot of the main lcore's counters). */
void dp_neigh_get_stats(const struct dp_neigh *n, struct dp_neigh_stats *st);

void dp_neigh_destroy(struct dp_neigh *n);

#endif
