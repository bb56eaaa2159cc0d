/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_APP_H
#define DP_APP_H

/*
 * The process-wide state of sipline and the per-lcore state of its
 * workers. Everything here is set up by the main lcore before workers
 * start; afterwards workers read it and write only their struct dp_worker.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp_counters.h"
#include "dp_loc.h"
#include "dp_neigh_policy.h"
#include "dp_options.h"
#include "dp_overload.h"
#include "dp_pkt.h"
#include "dp_route.h"
#include "dp_scanner.h"

struct dp_acl_table;
#include "dp_sip.h"
#include "dp_srclimit.h"
#include "rules_swap.h"

struct dp_exc;
struct dp_neigh;
struct dp_reasm;

/* Packets per RX burst; the vector a worker processes at once. */
#define DP_BURST 32
/* Prefetch the payload this many packets ahead of the one being processed. */
#define DP_PREFETCH_AHEAD 4
/*
 * Packets of a burst decided together (dp_worker.c process_group()): parsed,
 * looked up in one dialplan call, built and sent before the next group.
 * A group keeps its job state and payloads near L1D across its passes; a
 * whole burst's (~110 KB) did not (docs/PERFORMANCE.md, issue 11 step 3).
 * 16 rather than 8: each pass's code is then fetched once for 16 packets
 * (the worker's code outgrows L1I), which outweighs the extra L1D misses of
 * the larger state: 3-9% faster (medians of per-round ratios in alternated
 * timed rounds, issue 11 step 11).
 * The lookups of a group still overlap their misses.
 */
#ifndef DP_GROUP
#define DP_GROUP 16
#endif
/*
 * Keeping order behind the kernel (dp_worker.c send_out()): next hops
 * remembered per worker, and how long after its last packet went through
 * the kernel a next hop's packets keep following it (resolution in the
 * kernel plus its trip back through the tap take well under this).
 */
#define DP_HELD_SLOTS 16
#define DP_HOLD_MS 20

enum dp_role {
	DP_ROLE_WORKER = 0,   /* RX queue (rss) or ring (callid) -> SIP -> TX */
	DP_ROLE_DISPATCHER,   /* every RX queue -> Call-ID hash -> worker rings */
};

struct dp_app;

struct dp_worker {
	struct dp_app *app;
	unsigned id;            /* 0..n_lcores-1: queue pair, RCU thread id, rules scratch */
	unsigned lcore;
	enum dp_role role;
	uint16_t rxq;
	uint16_t txq;
	struct rte_ring *ring;  /* callid mode: this worker's input */
	uint16_t ip_id;
	/*
	 * Packets this worker may hand to the kernel because their next hop has
	 * no MAC yet (--neigh-kernel-rate, on the TSC). Zeroed: no limit.
	 */
	struct dp_tb neigh_tb;
	/*
	 * Next hops this worker recently handed packets for to the kernel: for a
	 * short while after, their packets go the same way even once the MAC is
	 * known, so a 200 cannot overtake the 180 still queued in the kernel's
	 * ARP queue (send_out()). Direct-mapped; a collision only shortens a hold.
	 */
	struct {
		struct sip_addr dst;
		uint64_t until;          /* TSC; 0: free */
	} held[DP_HELD_SLOTS];
	uint64_t hold_tsc;              /* how long a hold lasts (DP_HOLD_MS) */
	struct dp_sip_env env4;
	struct dp_sip_env env6;
	struct dp_scanner_scratch *scan_scratch; /* this lcore's; NULL: no signatures */
	/* Per-source token buckets of what this lcore receives; NULL: --src-rate 0. */
	struct dp_srclimit *srclim;
	/* Overload shedding (dp_overload.h) and the budget of 503s it may send. */
	struct dp_overload ovl;
	struct dp_tb ovl_tb;
	char retry_after[32];          /* "Retry-After: N\r\n" */
	uint8_t retry_after_len;
	/* IPv4 reassembly of what this lcore receives (dp_reasm.h); NULL: --frag-flows 0. */
	struct dp_reasm *reasm;
	struct dp_counters cnt;
	/* The group in flight (DP_GROUP): one decision per packet, looked up together. */
	struct dp_sip_job job[DP_GROUP];
	struct dp_pkt_in in[DP_GROUP];
	struct dp_pkt_out out[DP_GROUP];
	struct dp_meta meta[DP_GROUP];
	uint8_t act[DP_GROUP];
	struct dp_route_scratch route; /* lookups of the burst (route.tid = id) */
} __rte_cache_aligned;

struct dp_app {
	struct dp_options opt;
	struct dp_local local;
	struct dp_sip_config sip4, sip6;
	struct sip_keyring *keys;    /* what sip4/sip6 point to (dp_keyring.c) */
	uint64_t keys_prev_until;    /* wall-clock second the previous key stops being accepted */
	uint16_t wire_port;
	const char *wire_driver;
	/*
	 * Checksums the wire port computes on TX (DP_TX_CKSUM_*, dp_port_setup()):
	 * workers leave them to it in what they send there directly.
	 */
	unsigned wire_tx_cksum;
	unsigned n_lcores;       /* worker + dispatcher lcores */
	unsigned n_workers;      /* SIP workers (n_lcores, or n_lcores - 1 with a dispatcher) */
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qsbr;
	struct rules_swap *rules;
	struct dp_loc *loc;
	struct dp_names_ref names; /* gateway names resolved by the control plane */
	struct dp_router router;  /* what workers look up: loc, rules, names */
	struct dp_exc *exc;
	struct dp_neigh *neigh;
	struct rte_ring *egress; /* kernel -> wire frames, sent by lcore 0 */
	struct dp_scanner *scanner; /* scanner signatures (read-only), or NULL */
	struct dp_acl_table *acl;   /* peer ACL under RCU (dp_acl.c), or NULL */
	struct dp_worker *w[RTE_MAX_LCORE];
	uint64_t start_tsc;
	volatile bool quit;
};

extern struct dp_app dp_app;

/* The loop of a worker or dispatcher lcore (rte_eal_remote_launch). */
int dp_worker_main(void *arg);
/*
 * One iteration of that loop (RX, process, TX; egress on lcore 0) without
 * the RCU quiescent report. Returns the frames received. For benchmarks.
 */
unsigned dp_worker_poll(struct dp_worker *w);

/* Sum of every worker's counter k (racy by design: a monotonic snapshot). */
uint64_t dp_app_counter(const struct dp_app *app, enum dp_counter k);
/* Sum of every worker's count of status code (sent: replies we made; else relayed). */
uint64_t dp_app_status(const struct dp_app *app, bool sent, unsigned code);

/*
 * The route callback (dp_sip_handle(): tests, slow paths): dp_route_burst()
 * of one job. Workers call dp_route_burst() on their whole burst.
 */
int dp_route_lookup(void *ctx, struct dp_sip_job *j);
extern uint64_t dp_now_seconds;

#endif
