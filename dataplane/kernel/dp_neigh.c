/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two views of the neighbours:
 *
 * - dst (read by workers): destination -> packed MAC of its L2 next hop, in an
 *   rte_hash with lock-free readers and one writer, the main lcore. rte_hash
 *   rather than a table of our own: an IPv6 key cannot be swapped atomically
 *   in a 64-bit slot (our own table would need a seqlock per slot), and
 *   rte_hash gives stable key positions (indexes for side arrays) and, with
 *   the extendable buckets, its full capacity. The data pointer is not a
 *   pointer: it is the MAC itself, or a state without one. Beside each key
 *   position, last_used[] holds the second a worker last found it (written
 *   only when it changed: one store per destination and second, no
 *   read-modify-write).
 *
 *   Destinations are deleted (expired, evicted). rte_hash in lock-free mode
 *   does not free a deleted key's position: we free it once every worker
 *   has passed a quiescent point after the delete (rte_rcu_qsbr token), so a
 *   worker still holding the old position can at worst stamp last_used[] of
 *   a slot nobody uses yet. Until then the slot is "retiring"; the table has
 *   a reserve of slots beyond the capacity for them.
 *
 * - nh (main lcore only): the next hops destinations are bound to (on-link:
 *   the destination itself; else the route's gateway), each with the list of
 *   those destinations, so one neighbour change rewrites exactly them. A next
 *   hop exists while a destination is bound to it.
 *
 * Justified destinations (pinned, or vouched for by a worker) make their next
 * hop managed (NTF_EXT_MANAGED: the kernel keeps it resolved, so a changed MAC
 * is noticed although the kernel never sees the fast path's traffic) and
 * guarded (a MAC change is verified first: dp_macv). Other next hops are
 * resolved on demand and forgotten with their destinations.
 *
 * Addresses are 16-byte keys; IPv4 is IPv4-mapped (::ffff:a.b.c.d), which no
 * real IPv6 destination can be.
 */
#include "dp_neigh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ring_elem.h>

#include "dp_neigh_policy.h"
#include "dp_nl.h"

#define NEIGH_KEY_LEN 16
#define NEIGH_MAC_VALID (UINT64_C(1) << 48)  /* published: bits 0-47 are the MAC */
#define NEIGH_MAC_FAILED (UINT64_C(1) << 49) /* published: unreachable, do not send */
#define NEIGH_REQ_RING 4096          /* requests waiting for the main lcore */
#define NEIGH_REQ_BURST 64           /* requests handled per poll */
#define NEIGH_NL_BURST 16            /* netlink datagrams read per socket per poll */
#define NEIGH_INFLIGHT_MAX 256       /* RTM_GETROUTE unanswered: bounds our receive queue */
#define NEIGH_SWEEP_BURST 64         /* destinations re-routed per poll after a route change */
#define NEIGH_SCAN_BURST 4096        /* destinations checked for expiry per poll */
#define NEIGH_SCAN_MS 1000           /* one expiry scan per second */
#define NEIGH_LRU_SAMPLE 32          /* candidates compared to pick an eviction victim */
#define NEIGH_RESERVE_MIN 64         /* slots beyond the capacity, for retiring ones */
#define NEIGH_ROUTE_TIMEOUT_MS 2000  /* an unanswered RTM_GETROUTE is asked again */
#define NEIGH_RETRY_MS 1000          /* after a failed lookup */
#define NEIGH_UNREACH_MS 5000        /* after "no route" or "not via our interface" */
#define NEIGH_RESOLVE_MS 1000        /* one resolution per next hop and second at most */
#define NEIGH_VERIFY_MS 1000         /* how long a guarded next hop's old MAC may answer */
#define NEIGH_ATTACH_MS 1000         /* interface name retry while not attached */
#define NEIGH_DUMP_WAIT_MS 2000
#define NEIGH_NL_RCVBUF (4 << 20)
#define NEIGH_LOG_RATE 20            /* log lines per second at most (MAC changes) */

/*
 * nlmsg_seq of our requests on nl_req says what an answer is about: a kind
 * (3 bits), the generation of the slot (5 bits: a slot reused meanwhile is
 * not confused with its former owner) and the slot (24 bits).
 */
enum seq_kind {
	SEQ_DUMP = 0,   /* | dump counter */
	SEQ_ROUTE = 1,  /* RTM_GETROUTE of a destination */
	SEQ_MANAGE = 2, /* RTM_NEWNEIGH NTF_EXT_MANAGED of a next hop */
	SEQ_GET = 3,    /* RTM_GETNEIGH of a next hop */
	SEQ_OP = 4,     /* other next-hop updates (unmanage, resolve, restore) */
};
#define SEQ_KIND_SHIFT 29
#define SEQ_GEN_SHIFT 24
#define SEQ_GEN_MASK 0x1fu
#define SEQ_POS_MASK 0xffffffu

enum dst_state {
	DST_FREE = 0,
	DST_LIVE,     /* key in the hash */
	DST_RETIRING, /* key deleted, position freed after a grace period */
};

struct neigh_nh {
	uint8_t key[NEIGH_KEY_LEN];
	struct dp_macv v;   /* v.cur: NEIGH_MAC_VALID | MAC, or 0 while unknown */
	int32_t first;      /* first destination bound here */
	uint32_t n_dst;     /* destinations bound */
	uint32_t n_just;    /* of which justified (pinned or vouched for) */
	uint32_t n_pinned;  /* of which pinned */
	uint32_t seen;      /* dump generation that last listed it */
	uint64_t t_resolve; /* last on-demand resolution */
	int32_t vnext;      /* in the list of verifications (while in_vlist) */
	uint8_t gen;
	bool used;
	/*
	 * Unusable for now (v.cur stays the reference a new MAC is verified
	 * against): the kernel says FAILED (destinations get NEIGH_MAC_FAILED),
	 * or it deleted its entry (they get 0: resolving).
	 */
	bool failed;
	bool lost;
	bool managed;       /* asked the kernel to keep it resolved */
	bool in_vlist;
};

struct neigh_dst {
	uint8_t key[NEIGH_KEY_LEN];
	int32_t nh;         /* bound next hop, -1: none */
	int32_t prev, next; /* in the next hop's list */
	uint64_t t_req;     /* when the pending RTM_GETROUTE was sent */
	uint64_t t_retry;   /* no new lookup before this */
	uint64_t value;     /* published while unbound: 0 or NEIGH_MAC_FAILED */
	uint8_t state;      /* enum dst_state */
	uint8_t gen;
	uint8_t pin;        /* enum dp_neigh_pin_reason bits */
	uint8_t mark;       /* reasons pinned again since dp_neigh_pin_begin() */
	uint8_t hits;       /* requests after the first (saturating): in use, unresolved */
	bool recent;        /* vouched for by a worker (DP_NEIGH_REQ_JUSTIFIED) */
	bool pending;       /* RTM_GETROUTE unanswered */
	bool requery;       /* routes changed while pending: the answer may be stale */
};

struct neigh_req {
	uint8_t key[NEIGH_KEY_LEN];
	uint32_t flags;
};

struct dp_neigh {
	/* Read (and last_used[] written) by workers. */
	struct rte_hash *dst;
	struct rte_ring *req;
	uint32_t *last_used;   /* per key position: second of the last worker lookup */
	uint32_t now_s;        /* seconds since creation (main lcore writes, once a second) */
	uint64_t req_drops;    /* atomic: the only counter workers add to */

	/* Main lcore only. */
	char ifname[IF_NAMESIZE];
	unsigned ifindex;      /* 0 until attached */
	int nl_ev;             /* notifications: neighbours and routes */
	int nl_req;            /* our requests and the kernel's answers */
	int pkt;               /* AF_PACKET on the interface: verification probes */
	struct rte_rcu_qsbr *qsbr;
	struct rte_hash *nh;
	struct neigh_nh *nhs;
	uint32_t nh_slots;
	struct neigh_dst *dsts;
	uint32_t dst_slots;
	uint32_t dst_hi;       /* positions below have been used */
	uint32_t capacity;     /* live destinations at most */
	uint32_t live;
	uint32_t n_pinned;
	uint32_t n_managed;
	uint32_t idle_s;
	uint32_t *ret_pos;     /* retiring positions, oldest first (ring of dst_slots) */
	uint64_t *ret_tok;     /* their RCU tokens */
	uint32_t ret_head, ret_n;
	uint32_t lru_cursor;
	bool scanning;
	uint32_t scan_pos;
	uint64_t next_scan;
	/*
	 * Route queries and resolutions (--neigh-rate), in two halves: one for
	 * the first request of a destination, one for destinations asked for
	 * again (in use while unresolved), which a flood of one-shot
	 * destinations cannot take from them.
	 */
	struct dp_tb tb_new;
	struct dp_tb tb_again;
	struct dp_tb log_tb;
	uint64_t log_suppressed;
	int32_t vhead;         /* verifications in progress (list through neigh_nh.vnext) */
	uint32_t inflight;
	uint32_t dump_seq;
	uint32_t dump_gen;
	bool dumping;
	bool redump;
	bool dump_reconcile;   /* a resync: neighbours the dump omits are gone */
	bool sweeping;
	bool sweep_again;      /* routes changed during the sweep: one more after it */
	uint32_t sweep_pos;
	bool no_managed;       /* kernel without NTF_EXT_MANAGED: fall back to NTF_USE */
	struct rte_ether_addr mac;
	struct sip_addr addr4, addr6;
	uint64_t hz;
	uint64_t ms;           /* timer cycles per millisecond */
	uint64_t t0;
	uint64_t next_sec;
	uint64_t next_attach;
	struct dp_neigh_stats st; /* written by the main lcore with atomic stores */
	char buf[32768] __rte_aligned(8);
};

/* One writer (the main lcore); telemetry reads with relaxed loads. */
#define ST_ADD(n, f, k) __atomic_store_n(&(n)->st.f, (n)->st.f + (k), __ATOMIC_RELAXED)
#define ST_INC(n, f) ST_ADD(n, f, 1)

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static inline bool
neigh_key(const struct sip_addr *a, uint8_t key[NEIGH_KEY_LEN])
{
	if (a->af == SIP_AF_INET) {
		memcpy(key, v4_mapped, sizeof(v4_mapped));
		memcpy(key + 12, a->a, 4);
		return true;
	}
	if (a->af == SIP_AF_INET6 && memcmp(a->a, v4_mapped, sizeof(v4_mapped)) != 0) {
		memcpy(key, a->a, NEIGH_KEY_LEN);
		return true;
	}
	return false;
}

static inline bool
key_is_v4(const uint8_t key[NEIGH_KEY_LEN])
{
	return memcmp(key, v4_mapped, sizeof(v4_mapped)) == 0;
}

/* From a netlink address attribute (4 or 16 bytes). */
static bool
key_from_nl(uint8_t family, const void *p, size_t len, uint8_t key[NEIGH_KEY_LEN])
{
	if (family == AF_INET && len == 4) {
		memcpy(key, v4_mapped, sizeof(v4_mapped));
		memcpy(key + 12, p, 4);
		return true;
	}
	if (family == AF_INET6 && len == 16) {
		memcpy(key, p, NEIGH_KEY_LEN);
		return !key_is_v4(key);
	}
	return false;
}

/* Unicast, non-zero MACs only: a next hop is never broadcast or multicast. */
static inline uint64_t
mac_pack(const uint8_t *m)
{
	uint64_t v = 0;

	if ((m[0] & 1) != 0 || (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
		return 0;
	memcpy(&v, m, RTE_ETHER_ADDR_LEN);
	return v | NEIGH_MAC_VALID;
}

static inline void
mac_unpack(uint64_t v, uint8_t *m)
{
	memcpy(m, &v, RTE_ETHER_ADDR_LEN);
}

static uint32_t
seq_make(enum seq_kind kind, uint8_t gen, uint32_t pos)
{
	return (uint32_t)kind << SEQ_KIND_SHIFT | (uint32_t)(gen & SEQ_GEN_MASK) << SEQ_GEN_SHIFT |
		(pos & SEQ_POS_MASK);
}

/* ---- workers ---- */

static inline int
value_result(uint64_t v, struct rte_ether_addr *mac)
{
	if ((v & NEIGH_MAC_VALID) != 0) {
		mac_unpack(v, mac->addr_bytes);
		return 0;
	}
	return (v & NEIGH_MAC_FAILED) != 0 ? -EHOSTUNREACH : -EAGAIN;
}

int
dp_neigh_lookup(const struct dp_neigh *n, const struct sip_addr *dst, struct rte_ether_addr *mac)
{
	uint8_t key[NEIGH_KEY_LEN];
	uint32_t now, *stamp;
	void *data;
	int32_t pos;

	if (!neigh_key(dst, key))
		return -ENOENT;
	pos = rte_hash_lookup_data(n->dst, key, &data);
	if (pos < 0)
		return -ENOENT;
	/* Written only when the second changed: the line stays shared otherwise. */
	now = __atomic_load_n(&n->now_s, __ATOMIC_RELAXED);
	stamp = &n->last_used[pos];
	if (__atomic_load_n(stamp, __ATOMIC_RELAXED) != now)
		__atomic_store_n(stamp, now, __ATOMIC_RELAXED);
	return value_result((uint64_t)(uintptr_t)data, mac);
}

int
dp_neigh_peek(const struct dp_neigh *n, const struct sip_addr *dst, struct rte_ether_addr *mac)
{
	uint8_t key[NEIGH_KEY_LEN];
	void *data;

	if (!neigh_key(dst, key) || rte_hash_lookup_data(n->dst, key, &data) < 0)
		return -ENOENT;
	return value_result((uint64_t)(uintptr_t)data, mac);
}

void
dp_neigh_request(struct dp_neigh *n, const struct sip_addr *dst, unsigned flags)
{
	struct neigh_req q;

	if (!neigh_key(dst, q.key))
		return;
	q.flags = flags;
	if (rte_ring_enqueue_elem(n->req, &q, sizeof(q)) != 0)
		__atomic_fetch_add(&n->req_drops, 1, __ATOMIC_RELAXED);
}

/* ---- main lcore: helpers ---- */

static inline uint64_t
neigh_now(void)
{
	return rte_get_timer_cycles();
}

static void
clock_update(struct dp_neigh *n, uint64_t now)
{
	if (now < n->next_sec)
		return;
	uint32_t s = (uint32_t)((now - n->t0) / n->hz);
	__atomic_store_n(&n->now_s, s, __ATOMIC_RELAXED);
	n->next_sec = n->t0 + ((uint64_t)s + 1) * n->hz;
}

static const char *
key_fmt(const uint8_t key[NEIGH_KEY_LEN], char *buf, size_t cap)
{
	if (key_is_v4(key))
		return inet_ntop(AF_INET, key + 12, buf, (socklen_t)cap);
	return inet_ntop(AF_INET6, key, buf, (socklen_t)cap);
}

static const char *
mac_fmt(uint64_t v, char *buf, size_t cap)
{
	uint8_t m[RTE_ETHER_ADDR_LEN];

	if ((v & NEIGH_MAC_VALID) == 0) {
		snprintf(buf, cap, "(none)");
		return buf;
	}
	mac_unpack(v, m);
	snprintf(buf, cap, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* Main lcore only, and rate-limited: a flood of spoofed frames must not flood the log. */
static __attribute__((format(printf, 3, 4))) void
neigh_log(struct dp_neigh *n, uint64_t now, const char *fmt, ...)
{
	va_list ap;

	if (!dp_tb_take(&n->log_tb, now)) {
		n->log_suppressed++;
		return;
	}
	if (n->log_suppressed != 0) {
		fprintf(stderr, "sipline: neighbour: %llu messages suppressed\n",
				(unsigned long long)n->log_suppressed);
		n->log_suppressed = 0;
	}
	fputs("sipline: neighbour ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static inline bool
dst_justified(const struct neigh_dst *r)
{
	return r->pin != 0 || r->recent;
}

/* What workers see for destinations bound to next hop i. */
static inline uint64_t
nh_value(const struct neigh_nh *h)
{
	return h->failed ? NEIGH_MAC_FAILED : h->lost ? 0 : h->v.cur;
}

static inline bool
nh_usable(const struct neigh_nh *h)
{
	return (h->v.cur & NEIGH_MAC_VALID) != 0 && !h->failed && !h->lost;
}

/* Publish what workers see for destination d. */
static void
dst_publish(struct dp_neigh *n, int32_t d, uint64_t v)
{
	/* On an existing key this only swaps the data, atomically (LF mode). */
	if (n->dsts[d].state == DST_LIVE &&
			rte_hash_add_key_data(n->dst, n->dsts[d].key, (void *)(uintptr_t)v) == 0)
		ST_INC(n, updates);
}

static void
nh_publish(struct dp_neigh *n, int32_t i)
{
	uint64_t v = nh_value(&n->nhs[i]);

	for (int32_t d = n->nhs[i].first; d >= 0; d = n->dsts[d].next)
		dst_publish(n, d, v);
}

/* ---- main lcore: the kernel's neighbour entries ---- */

static struct ndmsg *
nd_init(struct dp_neigh *n, struct dp_nl_req *q, uint16_t type, uint16_t flags, uint32_t seq,
		const uint8_t key[NEIGH_KEY_LEN])
{
	bool v4 = key_is_v4(key);
	struct ndmsg *nd = dp_nl_init(q, type, flags, seq, sizeof(*nd));

	nd->ndm_family = v4 ? AF_INET : AF_INET6;
	nd->ndm_ifindex = (int)n->ifindex;
	dp_nl_put(q, NDA_DST, v4 ? key + 12 : key, v4 ? 4 : 16);
	return nd;
}

static void
nl_send(struct dp_neigh *n, const struct dp_nl_req *q)
{
	/* No ACK asked: only an error comes back (seq says what it was about). */
	if (dp_nl_send(n->nl_req, q) != 0)
		ST_INC(n, nl_errors);
}

static void
set_managed(struct dp_neigh *n, struct neigh_nh *h, bool on)
{
	if (h->managed == on)
		return;
	h->managed = on;
	if (on)
		n->n_managed++;
	else
		n->n_managed--;
}

/* RTM_NEWNEIGH asking the kernel to keep next hop i resolved (or one resolution, old kernels). */
static int
send_manage(struct dp_neigh *n, int32_t i)
{
	struct neigh_nh *h = &n->nhs[i];
	struct dp_nl_req q;
	struct ndmsg *nd;
	uint32_t ext = NTF_EXT_MANAGED;

	/*
	 * The kernel keeps the entry's state and MAC (NEIGH_UPDATE_F_USE): this
	 * message cannot set a MAC, nh_restore() does that first.
	 */
	nd = nd_init(n, &q, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE,
			seq_make(SEQ_MANAGE, h->gen, (uint32_t)i), h->key);
	nd->ndm_state = NUD_NONE;
	if (n->no_managed)
		nd->ndm_flags = NTF_USE; /* one resolution now, no upkeep */
	else
		dp_nl_put(&q, NDA_FLAGS_EXT, &ext, sizeof(ext));
	return dp_nl_send(n->nl_req, &q);
}

/*
 * Ask the kernel to keep next hop i resolved: the fast path uses its MAC
 * without the kernel seeing the traffic, so without this the entry would go
 * stale, be garbage-collected, and a changed MAC would go unnoticed.
 */
static void
nh_manage(struct dp_neigh *n, int32_t i)
{
	struct neigh_nh *h = &n->nhs[i];

	if (h->managed || n->ifindex == 0)
		return;
	if (send_manage(n, i) == 0)
		set_managed(n, h, true);
	else
		ST_INC(n, nl_errors);
}

/*
 * No longer justified: the kernel stops keeping it resolved. With a MAC, the
 * entry stays as STALE (an admin update without the managed flag clears it);
 * without one there is nothing worth keeping.
 */
static void
nh_unmanage(struct dp_neigh *n, int32_t i)
{
	struct neigh_nh *h = &n->nhs[i];
	struct dp_nl_req q;
	uint8_t m[RTE_ETHER_ADDR_LEN];

	if (!h->managed)
		return;
	set_managed(n, h, false);
	if (n->ifindex == 0 || n->no_managed)
		return;
	if (nh_usable(h)) {
		struct ndmsg *nd = nd_init(n, &q, RTM_NEWNEIGH, NLM_F_REPLACE,
				seq_make(SEQ_OP, h->gen, (uint32_t)i), h->key);

		nd->ndm_state = NUD_STALE;
		mac_unpack(h->v.cur, m);
		dp_nl_put(&q, NDA_LLADDR, m, sizeof(m));
	} else {
		nd_init(n, &q, RTM_DELNEIGH, 0, seq_make(SEQ_OP, h->gen, (uint32_t)i), h->key);
	}
	nl_send(n, &q);
}

/* One resolution now (ARP/ND), no upkeep: for next hops nobody justifies. */
static void
nh_resolve(struct dp_neigh *n, int32_t i, uint64_t now)
{
	struct neigh_nh *h = &n->nhs[i];
	struct dp_nl_req q;
	struct ndmsg *nd;

	if (n->ifindex == 0)
		return;
	nd = nd_init(n, &q, RTM_NEWNEIGH, NLM_F_CREATE, seq_make(SEQ_OP, h->gen, (uint32_t)i),
			h->key);
	nd->ndm_state = NUD_NONE;
	nd->ndm_flags = NTF_USE;
	h->t_resolve = now;
	ST_INC(n, resolutions);
	nl_send(n, &q);
}

/* Ask the kernel what it knows of next hop i (answered on nl_req, or ENOENT). */
static void
nh_get(struct dp_neigh *n, int32_t i)
{
	struct dp_nl_req q;

	if (n->ifindex == 0)
		return;
	nd_init(n, &q, RTM_GETNEIGH, 0, seq_make(SEQ_GET, n->nhs[i].gen, (uint32_t)i),
			n->nhs[i].key);
	nl_send(n, &q);
}

/*
 * After a conflict: the kernel's entry goes back to the MAC we kept (for its
 * own traffic too). An update carrying the managed flag leaves the MAC alone,
 * so the MAC goes first, without the flag, and the flag after it.
 */
static void
nh_restore(struct dp_neigh *n, int32_t i)
{
	struct neigh_nh *h = &n->nhs[i];
	struct dp_nl_req q;
	struct ndmsg *nd;
	uint8_t m[RTE_ETHER_ADDR_LEN];

	if (n->ifindex == 0 || (h->v.cur & NEIGH_MAC_VALID) == 0)
		return;
	nd = nd_init(n, &q, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE,
			seq_make(SEQ_OP, h->gen, (uint32_t)i), h->key);
	nd->ndm_state = NUD_REACHABLE;
	mac_unpack(h->v.cur, m);
	dp_nl_put(&q, NDA_LLADDR, m, sizeof(m));
	nl_send(n, &q);
	if (h->managed && !n->no_managed && send_manage(n, i) != 0)
		ST_INC(n, nl_errors);
}

/* ---- main lcore: next hops ---- */

static int32_t
nh_find(struct dp_neigh *n, const uint8_t key[NEIGH_KEY_LEN])
{
	int32_t i = rte_hash_lookup(n->nh, key);

	return i >= 0 && (uint32_t)i < n->nh_slots && n->nhs[i].used ? i : -1;
}

/* A new next hop for a destination to bind to; asks the kernel what it knows. -1 if full. */
static int32_t
nh_create(struct dp_neigh *n, const uint8_t key[NEIGH_KEY_LEN])
{
	int32_t i = rte_hash_add_key(n->nh, key);
	struct neigh_nh *h;

	if (i < 0 || (uint32_t)i >= n->nh_slots) {
		ST_INC(n, full);
		return -1;
	}
	h = &n->nhs[i];
	/* vnext and in_vlist belong to the list of verifications, which may still hold it. */
	memcpy(h->key, key, NEIGH_KEY_LEN);
	dp_macv_reset(&h->v, 0);
	h->first = -1;
	h->n_dst = h->n_just = h->n_pinned = 0;
	h->seen = n->dump_gen;
	h->t_resolve = 0;
	h->gen++;
	h->used = true;
	h->failed = h->lost = false;
	h->managed = false;
	nh_get(n, i);
	return i;
}

/* The last destination left next hop i. */
static void
nh_release(struct dp_neigh *n, int32_t i)
{
	struct neigh_nh *h = &n->nhs[i];

	nh_unmanage(n, i);
	h->v.active = false; /* the list of verifications drops it */
	h->used = false;
	rte_hash_del_key(n->nh, h->key);
}

/* Managed exactly while something justifies it. */
static void
nh_justify(struct dp_neigh *n, int32_t i)
{
	struct neigh_nh *h = &n->nhs[i];

	if (h->n_just > 0)
		nh_manage(n, i);
	else
		nh_unmanage(n, i);
}

/* The kernel deleted next hop i (its last MAC stays the reference for the next one). */
static void
nh_lost(struct dp_neigh *n, int32_t i)
{
	struct neigh_nh *h = &n->nhs[i];

	h->failed = false;
	h->lost = true;
	set_managed(n, h, false); /* the kernel's entry, and its flag, are gone */
	nh_publish(n, i);
	/* Still justified: have it created and resolved again. */
	nh_justify(n, i);
}

/* ---- main lcore: destinations ---- */

static void
dst_link(struct dp_neigh *n, int32_t d, int32_t i)
{
	struct neigh_dst *r = &n->dsts[d];
	struct neigh_nh *h = &n->nhs[i];

	r->nh = i;
	r->prev = -1;
	r->next = h->first;
	if (r->next >= 0)
		n->dsts[r->next].prev = d;
	h->first = d;
	h->n_dst++;
	if (dst_justified(r))
		h->n_just++;
	if (r->pin != 0)
		h->n_pinned++;
	nh_justify(n, i);
}

static void
dst_unlink(struct dp_neigh *n, int32_t d)
{
	struct neigh_dst *r = &n->dsts[d];
	int32_t i = r->nh;
	struct neigh_nh *h;

	if (i < 0)
		return;
	h = &n->nhs[i];
	if (r->prev >= 0)
		n->dsts[r->prev].next = r->next;
	else
		h->first = r->next;
	if (r->next >= 0)
		n->dsts[r->next].prev = r->prev;
	r->nh = r->prev = r->next = -1;
	h->n_dst--;
	if (dst_justified(r))
		h->n_just--;
	if (r->pin != 0)
		h->n_pinned--;
	if (h->n_dst == 0)
		nh_release(n, i);
	else
		nh_justify(n, i);
}

/* Not bound to a next hop: workers see v (0: send via the kernel; NEIGH_MAC_FAILED: drop). */
static void
dst_unbind(struct dp_neigh *n, int32_t d, uint64_t v)
{
	dst_unlink(n, d);
	n->dsts[d].value = v;
	dst_publish(n, d, v);
}

/* Change why d is justified (pin bits, recent); its next hop follows. */
static void
dst_justify(struct dp_neigh *n, int32_t d, uint8_t pin, bool recent)
{
	struct neigh_dst *r = &n->dsts[d];
	bool was = dst_justified(r), was_pinned = r->pin != 0;
	bool is = pin != 0 || recent, is_pinned = pin != 0;
	struct neigh_nh *h;

	r->pin = pin;
	r->recent = recent;
	if (was_pinned != is_pinned) {
		if (is_pinned)
			n->n_pinned++;
		else
			n->n_pinned--;
	}
	if (r->nh < 0)
		return;
	h = &n->nhs[r->nh];
	if (was != is) {
		if (is)
			h->n_just++;
		else
			h->n_just--;
	}
	if (was_pinned != is_pinned) {
		if (is_pinned)
			h->n_pinned++;
		else
			h->n_pinned--;
	}
	nh_justify(n, r->nh);
}

static void
dst_bind(struct dp_neigh *n, int32_t d, const uint8_t nhkey[NEIGH_KEY_LEN])
{
	struct neigh_dst *r = &n->dsts[d];
	int32_t i = nh_find(n, nhkey);

	if (i < 0 || i != r->nh) {
		/* Leave the old one first: it may be released, making room. */
		dst_unlink(n, d);
		if (i < 0)
			i = nh_create(n, nhkey);
		if (i < 0) {
			dst_unbind(n, d, 0);
			return;
		}
		dst_link(n, d, i);
	}
	dst_publish(n, d, nh_value(&n->nhs[i]));
}

static void
route_answered(struct dp_neigh *n, struct neigh_dst *r)
{
	if (r->pending) {
		r->pending = false;
		n->inflight--;
	}
}

/* Free slots whose grace period has passed. Returns how many. */
static unsigned
reclaim(struct dp_neigh *n)
{
	unsigned k = 0;

	while (n->ret_n > 0) {
		uint32_t pos = n->ret_pos[n->ret_head];

		if (n->qsbr != NULL &&
				rte_rcu_qsbr_check(n->qsbr, n->ret_tok[n->ret_head], false) != 1)
			break;
		rte_hash_free_key_with_position(n->dst, (int32_t)pos);
		n->dsts[pos].state = DST_FREE;
		n->ret_head = (n->ret_head + 1) % n->dst_slots;
		n->ret_n--;
		k++;
	}
	return k;
}

/* Remove destination d: workers stop finding it now, its slot is reused after a grace period. */
static void
dst_delete(struct dp_neigh *n, int32_t d)
{
	struct neigh_dst *r = &n->dsts[d];

	route_answered(n, r);
	r->requery = false;
	dst_justify(n, d, 0, false);
	dst_unlink(n, d);
	rte_hash_del_key(n->dst, r->key);
	r->state = DST_RETIRING;
	n->live--;
	n->ret_pos[(n->ret_head + n->ret_n) % n->dst_slots] = (uint32_t)d;
	n->ret_tok[(n->ret_head + n->ret_n) % n->dst_slots] =
		n->qsbr != NULL ? rte_rcu_qsbr_start(n->qsbr) : 0;
	n->ret_n++;
	if (n->qsbr == NULL)
		reclaim(n);
}

/*
 * Eviction order among equally old entries: asked for once and never again
 * first (a flood's one-shot destinations), then unresolved ones, vouched-for
 * ones last.
 */
static int
victim_rank(const void *ctx, uint32_t pos)
{
	const struct dp_neigh *n = ctx;
	const struct neigh_dst *r = &n->dsts[pos];
	uint64_t v;

	if (r->state != DST_LIVE || r->pin != 0)
		return -1;
	v = r->nh >= 0 ? nh_value(&n->nhs[r->nh]) : r->value;
	return (r->hits == 0 ? 4 : 0) + ((v & NEIGH_MAC_VALID) == 0 ? 2 : 0) + (r->recent ? 0 : 1);
}

/* Add key (not in the table), evicting the least recently used if full. Position or -1. */
static int32_t
dst_add(struct dp_neigh *n, const uint8_t key[NEIGH_KEY_LEN])
{
	struct neigh_dst *r;
	int32_t d;

	if (n->live >= n->capacity) {
		uint32_t v = dp_lru_pick(n->last_used, n->dst_hi, &n->lru_cursor,
				NEIGH_LRU_SAMPLE, n->now_s, victim_rank, n);

		if (v == DP_LRU_NONE) {
			ST_INC(n, full);
			return -1;
		}
		dst_delete(n, (int32_t)v);
		ST_INC(n, evicted);
	}
	d = rte_hash_add_key(n->dst, key); /* data 0: workers see "being resolved" */
	if (d == -ENOSPC && reclaim(n) > 0)
		d = rte_hash_add_key(n->dst, key);
	if (d < 0 || (uint32_t)d >= n->dst_slots) {
		/* Every spare slot is still retiring: the next miss asks again. */
		ST_INC(n, full);
		return -1;
	}
	r = &n->dsts[d];
	memcpy(r->key, key, NEIGH_KEY_LEN);
	r->nh = r->prev = r->next = -1;
	r->t_req = r->t_retry = 0;
	r->value = 0;
	r->pin = r->mark = r->hits = 0;
	r->recent = r->pending = r->requery = false;
	r->gen++;
	r->state = DST_LIVE;
	n->live++;
	__atomic_store_n(&n->last_used[d], n->now_s, __ATOMIC_RELAXED);
	if ((uint32_t)d >= n->dst_hi)
		n->dst_hi = (uint32_t)d + 1;
	return d;
}

/* ---- main lcore: routes ---- */

static int
route_query(struct dp_neigh *n, int32_t d, uint64_t now)
{
	struct neigh_dst *r = &n->dsts[d];
	bool v4 = key_is_v4(r->key);
	struct dp_nl_req q;
	struct rtmsg *rt;
	int ret;

	rt = dp_nl_init(&q, RTM_GETROUTE, 0, seq_make(SEQ_ROUTE, r->gen, (uint32_t)d), sizeof(*rt));
	rt->rtm_family = v4 ? AF_INET : AF_INET6;
	rt->rtm_dst_len = v4 ? 32 : 128;
	dp_nl_put(&q, RTA_DST, v4 ? r->key + 12 : r->key, v4 ? 4 : 16);
	/*
	 * No RTA_OIF in general: with an output interface forced, a destination
	 * without a route would be reported on-link. IPv6 link-local needs one.
	 */
	if (!v4 && r->key[0] == 0xfe && (r->key[1] & 0xc0) == 0x80) {
		uint32_t oif = n->ifindex;

		dp_nl_put(&q, RTA_OIF, &oif, sizeof(oif));
	}
	ret = dp_nl_send(n->nl_req, &q);
	if (ret != 0) {
		ST_INC(n, nl_errors);
		r->t_retry = now + NEIGH_RETRY_MS * n->ms;
		return ret;
	}
	r->pending = true;
	r->t_req = now;
	n->inflight++;
	ST_INC(n, route_lookups);
	return 0;
}

/* After an answer was used: ask again if routes changed while it was on its way. */
static void
route_requery(struct dp_neigh *n, int32_t d, uint64_t now)
{
	struct neigh_dst *r = &n->dsts[d];

	if (!r->requery)
		return;
	r->requery = false;
	route_query(n, d, now);
}

/* The destination in seq, if it is still the one asked about. */
static struct neigh_dst *
dst_of_seq(struct dp_neigh *n, uint32_t seq)
{
	uint32_t d = seq & SEQ_POS_MASK;

	if (d >= n->dst_slots || n->dsts[d].state != DST_LIVE ||
			(n->dsts[d].gen & SEQ_GEN_MASK) != ((seq >> SEQ_GEN_SHIFT) & SEQ_GEN_MASK))
		return NULL;
	return &n->dsts[d];
}

static struct neigh_nh *
nh_of_seq(struct dp_neigh *n, uint32_t seq)
{
	uint32_t i = seq & SEQ_POS_MASK;

	if (i >= n->nh_slots || !n->nhs[i].used ||
			(n->nhs[i].gen & SEQ_GEN_MASK) != ((seq >> SEQ_GEN_SHIFT) & SEQ_GEN_MASK))
		return NULL;
	return &n->nhs[i];
}

/* Answer to our RTM_GETROUTE. */
static void
on_route_reply(struct dp_neigh *n, const struct nlmsghdr *nh, uint64_t now)
{
	const struct rtmsg *rt = NLMSG_DATA(nh);
	struct neigh_dst *r = dst_of_seq(n, nh->nlmsg_seq);
	const void *gw = NULL;
	size_t gwlen = 0;
	uint32_t oif = 0;
	uint8_t nhkey[NEIGH_KEY_LEN];
	int32_t d;
	int alen;

	if (r == NULL || !r->pending || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)))
		return;
	d = (int32_t)(r - n->dsts);
	route_answered(n, r);
	alen = (int)RTM_PAYLOAD(nh);
	for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) == sizeof(oif))
			memcpy(&oif, RTA_DATA(a), sizeof(oif));
		else if (a->rta_type == RTA_GATEWAY) {
			gw = RTA_DATA(a);
			gwlen = RTA_PAYLOAD(a);
		}
	}
	if (rt->rtm_type != RTN_UNICAST || (gw != NULL &&
			!key_from_nl(rt->rtm_family, gw, gwlen, nhkey))) {
		/* Local, broadcast, blackhole, unreachable...: nothing to send there. */
		ST_INC(n, route_errors);
		dst_unbind(n, d, NEIGH_MAC_FAILED);
		r->t_retry = now + NEIGH_UNREACH_MS * n->ms;
	} else if (oif != n->ifindex) {
		/* Out of another interface: the kernel's to send (via the kernel, in budget). */
		ST_INC(n, route_errors);
		dst_unbind(n, d, 0);
		r->t_retry = now + NEIGH_UNREACH_MS * n->ms;
	} else {
		dst_bind(n, d, gw != NULL ? nhkey : r->key);
	}
	route_requery(n, d, now);
}

/* A worker missed on key (flags: DP_NEIGH_REQ_*). */
static void
on_request(struct dp_neigh *n, const struct neigh_req *q, uint64_t now)
{
	bool vouched = (q->flags & DP_NEIGH_REQ_JUSTIFIED) != 0;
	struct neigh_dst *r;
	int32_t d = rte_hash_lookup(n->dst, q->key);

	ST_INC(n, requests);
	if (d < 0) {
		/*
		 * A place in the table costs nothing but an older entry (LRU); its
		 * route lookup is within --neigh-rate: without a token it waits for
		 * the destination to be asked for again.
		 */
		d = dst_add(n, q->key);
		if (d < 0)
			return;
		n->dsts[d].recent = vouched;
		if (n->inflight >= NEIGH_INFLIGHT_MAX)
			return;
		if (!dp_tb_take(&n->tb_new, now)) {
			ST_INC(n, rate_limited);
			return;
		}
		route_query(n, d, now);
		return;
	}
	r = &n->dsts[d];
	if (r->hits < UINT8_MAX)
		r->hits++;
	if (vouched && !r->recent)
		dst_justify(n, d, r->pin, true);
	if (r->pending) {
		if (now - r->t_req < NEIGH_ROUTE_TIMEOUT_MS * n->ms)
			return;
		route_answered(n, r); /* lost: ask again */
	}
	if (r->nh >= 0) {
		struct neigh_nh *h = &n->nhs[r->nh];

		/* Resolved meanwhile, or the kernel keeps trying by itself. */
		if (nh_usable(h) || h->managed)
			return;
		if (now - h->t_resolve < NEIGH_RESOLVE_MS * n->ms)
			return;
		if (!dp_tb_take(&n->tb_again, now)) {
			ST_INC(n, rate_limited);
			return;
		}
		nh_resolve(n, r->nh, now);
		return;
	}
	if (now < r->t_retry || n->inflight >= NEIGH_INFLIGHT_MAX)
		return; /* the next miss asks again */
	if (!dp_tb_take(&n->tb_again, now)) {
		ST_INC(n, rate_limited);
		return;
	}
	route_query(n, d, now);
}

/* ---- main lcore: MAC changes of guarded next hops ---- */

static uint16_t
csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t
csum_add(uint32_t s, const uint8_t *p, size_t len)
{
	for (size_t k = 0; k + 1 < len; k += 2)
		s += (uint32_t)p[k] << 8 | p[k + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return s;
}

/*
 * A unicast ARP request (IPv4) or neighbour solicitation (IPv6) to the old
 * MAC of next hop i, from the router's address, out of the tap: dp_exc puts
 * it on the wire like any frame of the kernel's, and the answer comes back
 * through dp_neigh_snoop().
 */
static void
nh_probe(struct dp_neigh *n, int32_t i, uint64_t old)
{
	const struct neigh_nh *h = &n->nhs[i];
	uint8_t f[RTE_ETHER_HDR_LEN + 40 + 32] = {0};
	size_t len;

	if (n->pkt < 0)
		return;
	mac_unpack(old, f);
	memcpy(f + 6, n->mac.addr_bytes, 6);
	if (key_is_v4(h->key)) {
		static const uint8_t arp_req[8] = {0, 1, 8, 0, 6, 4, 0, 1};
		uint8_t *a = f + RTE_ETHER_HDR_LEN;

		if (n->addr4.af != SIP_AF_INET)
			return;
		f[12] = 0x08;
		f[13] = 0x06;
		memcpy(a, arp_req, sizeof(arp_req));
		memcpy(a + 8, n->mac.addr_bytes, 6);
		memcpy(a + 14, n->addr4.a, 4);
		memcpy(a + 24, h->key + 12, 4);
		len = 60; /* Ethernet minimum, zero padded */
	} else {
		uint8_t *ip = f + RTE_ETHER_HDR_LEN, *icmp = ip + 40;
		uint8_t ph[8] = {0, 0, 0, 32, 0, 0, 0, IPPROTO_ICMPV6};
		uint32_t s;

		if (n->addr6.af != SIP_AF_INET6)
			return;
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = 32;     /* payload: NS (24) + source link-layer option (8) */
		ip[6] = IPPROTO_ICMPV6;
		ip[7] = 255;    /* RFC 4861: hop limit 255 */
		memcpy(ip + 8, n->addr6.a, 16);
		memcpy(ip + 24, h->key, 16);
		icmp[0] = 135;
		memcpy(icmp + 8, h->key, 16);
		icmp[24] = 1;   /* source link-layer address */
		icmp[25] = 1;
		memcpy(icmp + 26, n->mac.addr_bytes, 6);
		s = csum_add(0, ip + 8, 32);
		s = csum_add(s, ph, sizeof(ph));
		s = csum_fold(csum_add(s, icmp, 32));
		icmp[2] = (uint8_t)(s >> 8);
		icmp[3] = (uint8_t)s;
		len = RTE_ETHER_HDR_LEN + 40 + 32;
	}
	if (send(n->pkt, f, len, MSG_DONTWAIT) != (ssize_t)len)
		ST_INC(n, nl_errors);
	else
		ST_INC(n, verify_probes);
}

static void
vlist_add(struct dp_neigh *n, int32_t i)
{
	if (n->nhs[i].in_vlist)
		return;
	n->nhs[i].in_vlist = true;
	n->nhs[i].vnext = n->vhead;
	n->vhead = i;
}

static void
nh_accepted(struct dp_neigh *n, int32_t i, uint64_t old, uint64_t now, const char *how)
{
	struct neigh_nh *h = &n->nhs[i];
	char a[INET6_ADDRSTRLEN], m1[24], m2[24];

	h->failed = h->lost = false;
	nh_publish(n, i);
	if ((old & NEIGH_MAC_VALID) == 0 || old == h->v.cur)
		return;
	ST_INC(n, mac_changes);
	if (h->n_pinned > 0)
		neigh_log(n, now, "%s: MAC changed from %s to %s (%s)",
				key_fmt(h->key, a, sizeof(a)), mac_fmt(old, m1, sizeof(m1)),
				mac_fmt(h->v.cur, m2, sizeof(m2)), how);
}

static void
nh_conflict(struct dp_neigh *n, int32_t i, uint64_t now)
{
	struct neigh_nh *h = &n->nhs[i];
	char a[INET6_ADDRSTRLEN], m1[24], m2[24];

	ST_INC(n, conflicts);
	neigh_log(n, now, "%s: conflict: claimed by %s but %s still answers; keeping %s",
			key_fmt(h->key, a, sizeof(a)), mac_fmt(h->v.cand, m1, sizeof(m1)),
			mac_fmt(h->v.cur, m2, sizeof(m2)), m2);
	if (h->failed || h->lost) {
		/* It answered: usable again. */
		h->failed = h->lost = false;
		nh_publish(n, i);
	}
	nh_restore(n, i);
}

/* Someone says next hop i is at mac (usable): the kernel, or a frame we saw (snooped). */
static void
nh_claim(struct dp_neigh *n, int32_t i, uint64_t mac, uint64_t now, bool snooped)
{
	const char *from = snooped ? "ARP/ND frame" : "kernel neighbour table";
	struct neigh_nh *h = &n->nhs[i];
	uint64_t old = h->v.cur;
	char a[INET6_ADDRSTRLEN], m1[24], m2[24];

	switch (dp_macv_claim(&h->v, mac, h->n_just > 0, now, NEIGH_VERIFY_MS * n->ms)) {
	case DP_MACV_ACCEPT:
		nh_accepted(n, i, old, now, from);
		if (snooped)
			ST_INC(n, snooped);
		break;
	case DP_MACV_PROBE:
		neigh_log(n, now, "%s: MAC %s claimed by %s (%s); verifying the old one",
				key_fmt(h->key, a, sizeof(a)), mac_fmt(old, m1, sizeof(m1)),
				mac_fmt(mac, m2, sizeof(m2)), from);
		vlist_add(n, i);
		nh_probe(n, i, old);
		break;
	case DP_MACV_CONFLICT:
		nh_conflict(n, i, now);
		break;
	case DP_MACV_NONE:
		/* Its MAC again, after a failure or a deletion (not during a verification). */
		if ((h->failed || h->lost) && !h->v.active && h->v.cur == mac) {
			h->failed = h->lost = false;
			nh_publish(n, i);
		}
		break;
	}
}

/*
 * The kernel says next hop i does not answer. Its last MAC stays the
 * reference: a guarded next hop that comes back with another MAC is verified
 * (and the change logged) like any other change.
 */
static void
nh_failed(struct dp_neigh *n, int32_t i)
{
	struct neigh_nh *h = &n->nhs[i];

	if (h->failed)
		return;
	h->failed = true;
	h->lost = false;
	nh_publish(n, i);
}

/* Verifications whose old MAC stayed silent: the new MAC is taken. */
static void
vlist_tick(struct dp_neigh *n, uint64_t now)
{
	int32_t *link = &n->vhead;

	while (*link >= 0) {
		int32_t i = *link;
		struct neigh_nh *h = &n->nhs[i];
		uint64_t old = h->v.cur;

		if (h->used && h->v.active && dp_macv_tick(&h->v, now) == DP_MACV_NONE) {
			link = &h->vnext;
			continue;
		}
		if (h->used && !h->v.active && h->v.cur != old)
			nh_accepted(n, i, old, now, "the old MAC did not answer within a second");
		*link = h->vnext;
		h->in_vlist = false;
	}
}

/* ---- main lcore: netlink ---- */

static void
dump_done(struct dp_neigh *n)
{
	n->dumping = false;
	if (!n->dump_reconcile)
		return;
	/* After an overflow: what the dump did not list was deleted meanwhile. */
	n->dump_reconcile = false;
	for (uint32_t i = 0; i < n->nh_slots; i++)
		if (n->nhs[i].used && n->nhs[i].seen != n->dump_gen)
			nh_lost(n, (int32_t)i);
}

static void
on_error(struct dp_neigh *n, const struct nlmsghdr *nh, uint64_t now)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	struct neigh_dst *r;
	struct neigh_nh *h;
	uint32_t seq;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || e->error == 0)
		return;
	seq = e->msg.nlmsg_seq;
	switch (seq >> SEQ_KIND_SHIFT) {
	case SEQ_ROUTE:
		r = dst_of_seq(n, seq);
		if (r == NULL || !r->pending)
			return;
		/* No route (ENETUNREACH, EHOSTUNREACH...): nothing can be sent there. */
		route_answered(n, r);
		dst_unbind(n, (int32_t)(r - n->dsts), NEIGH_MAC_FAILED);
		r->t_retry = now + NEIGH_RETRY_MS * n->ms;
		ST_INC(n, route_errors);
		route_requery(n, (int32_t)(r - n->dsts), now);
		break;
	case SEQ_MANAGE:
		ST_INC(n, nl_errors);
		h = nh_of_seq(n, seq);
		if (h == NULL)
			return;
		set_managed(n, h, false);
		if (!n->no_managed && (e->error == -EINVAL || e->error == -EOPNOTSUPP)) {
			n->no_managed = true;
			nh_manage(n, (int32_t)(h - n->nhs));
		}
		break;
	case SEQ_GET:
		h = nh_of_seq(n, seq);
		if (h == NULL || e->error != -ENOENT) {
			ST_INC(n, nl_errors);
			return;
		}
		/*
		 * The kernel has no entry: a justified one is being created (managed);
		 * another gets one resolution if the budget allows (else on the next miss).
		 */
		if (!h->managed && !nh_usable(h) && dp_tb_take(&n->tb_new, now))
			nh_resolve(n, (int32_t)(h - n->nhs), now);
		break;
	default:
		if (seq == n->dump_seq && n->dumping) {
			n->dumping = false;
			n->dump_reconcile = false;
		}
		/* An unmanage of an entry the kernel dropped meanwhile (ENOENT) is no error. */
		if (e->error != -ENOENT)
			ST_INC(n, nl_errors);
		break;
	}
}

static void
on_neigh(struct dp_neigh *n, const struct nlmsghdr *nh, uint64_t now)
{
	const struct ndmsg *nd = NLMSG_DATA(nh);
	const void *dst = NULL, *ll = NULL;
	size_t dstlen = 0, lllen = 0;
	uint8_t key[NEIGH_KEY_LEN];
	int32_t i;
	int alen;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)) || n->ifindex == 0 ||
			nd->ndm_ifindex != (int)n->ifindex || (nd->ndm_flags & NTF_PROXY) != 0)
		return;
	alen = (int)RTM_PAYLOAD(nh);
	for (const struct rtattr *a = RTM_RTA(nd); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == NDA_DST) {
			dst = RTA_DATA(a);
			dstlen = RTA_PAYLOAD(a);
		} else if (a->rta_type == NDA_LLADDR) {
			ll = RTA_DATA(a);
			lllen = RTA_PAYLOAD(a);
		}
	}
	/* Only next hops destinations are bound to: the kernel's other neighbours are its own. */
	if (dst == NULL || !key_from_nl(nd->ndm_family, dst, dstlen, key) ||
			(i = nh_find(n, key)) < 0)
		return;
	n->nhs[i].seen = n->dump_gen;
	if (nh->nlmsg_type == RTM_DELNEIGH) {
		nh_lost(n, i);
		return;
	}
	if ((nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT |
			NUD_NOARP)) != 0 && ll != NULL && lllen == RTE_ETHER_ADDR_LEN) {
		uint64_t mac = mac_pack(ll);

		if (mac != 0)
			nh_claim(n, i, mac, now, false);
	} else if ((nd->ndm_state & NUD_FAILED) != 0) {
		nh_failed(n, i);
	}
	/* INCOMPLETE, NONE: being resolved, nothing usable yet. */
}

/*
 * Routes changed: look every bound destination up again. Changes during a
 * sweep queue one more sweep rather than restarting it, so a steady churn
 * cannot starve the destinations at the end.
 */
static void
sweep_start(struct dp_neigh *n)
{
	if (n->sweeping) {
		n->sweep_again = true;
		return;
	}
	n->sweeping = true;
	n->sweep_pos = 0;
}

static int
dump_start(struct dp_neigh *n, bool reconcile)
{
	struct dp_nl_req q;
	struct ndmsg *nd;
	uint32_t ifindex;
	int ret;

	if (n->dumping) {
		n->redump = true;
		return 0;
	}
	n->dump_seq = n->dump_seq % SEQ_POS_MASK + 1;
	nd = dp_nl_init(&q, RTM_GETNEIGH, NLM_F_DUMP, n->dump_seq, sizeof(*nd));
	nd->ndm_family = AF_UNSPEC;
	/* The filter goes in NDA_IFINDEX: strict checking rejects a non-zero ndm_ifindex. */
	ifindex = n->ifindex;
	dp_nl_put(&q, NDA_IFINDEX, &ifindex, sizeof(ifindex));
	ret = dp_nl_send(n->nl_req, &q);
	if (ret != 0) {
		ST_INC(n, nl_errors);
		n->redump = true;
		return ret;
	}
	n->dump_gen++;
	n->dumping = true;
	n->dump_reconcile = reconcile;
	n->redump = false;
	return 0;
}

/* Our answers (or the kernel dropped some: start over for everything in flight). */
static void
req_overflow(struct dp_neigh *n)
{
	for (uint32_t d = 0; d < n->dst_hi; d++) {
		n->dsts[d].pending = false;
		n->dsts[d].requery = false;
		n->dsts[d].t_retry = 0;
	}
	n->inflight = 0;
	n->dumping = false;
	dump_start(n, true);
	sweep_start(n);
}

static void
nl_msg(struct dp_neigh *n, const struct nlmsghdr *nh, bool from_req, uint64_t now)
{
	switch (nh->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		on_neigh(n, nh, now);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		if (from_req) {
			if (nh->nlmsg_seq >> SEQ_KIND_SHIFT == SEQ_ROUTE)
				on_route_reply(n, nh, now);
		} else if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct rtmsg)) &&
				(((const struct rtmsg *)NLMSG_DATA(nh))->rtm_flags &
				RTM_F_CLONED) == 0) {
			/* Any route may move a destination to another next hop: re-route all. */
			sweep_start(n);
		}
		break;
	case NLMSG_ERROR:
		on_error(n, nh, now);
		break;
	case NLMSG_DONE:
		if (from_req && n->dumping && nh->nlmsg_seq == n->dump_seq)
			dump_done(n);
		break;
	default:
		break;
	}
}

static unsigned
nl_drain(struct dp_neigh *n, int fd, bool from_req, uint64_t now)
{
	unsigned work = 0;

	for (unsigned k = 0; k < NEIGH_NL_BURST; k++) {
		ssize_t len = recv(fd, n->buf, sizeof(n->buf), MSG_DONTWAIT | MSG_TRUNC);

		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS) {
				ST_INC(n, nl_errors);
				break;
			}
			/* The kernel dropped messages for us: rebuild from a dump. */
			ST_INC(n, nl_resyncs);
			if (from_req)
				req_overflow(n);
			else {
				dump_start(n, true);
				sweep_start(n);
			}
			continue;
		}
		work++;
		if ((size_t)len > sizeof(n->buf)) {
			ST_INC(n, nl_errors);
			continue;
		}
		for (const struct nlmsghdr *nh = (const struct nlmsghdr *)(const void *)n->buf;
				NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len))
			nl_msg(n, nh, from_req, now);
	}
	return work;
}

static unsigned
sweep(struct dp_neigh *n, uint64_t now)
{
	unsigned work = 0;

	while (n->sweeping && work < NEIGH_SWEEP_BURST && n->inflight < NEIGH_INFLIGHT_MAX) {
		struct neigh_dst *r;

		if (n->sweep_pos >= n->dst_hi) {
			n->sweeping = n->sweep_again;
			n->sweep_again = false;
			n->sweep_pos = 0;
			if (!n->sweeping)
				break;
			continue;
		}
		r = &n->dsts[n->sweep_pos];
		r->t_retry = 0; /* unbound ones: the next miss looks again at once */
		if (r->state == DST_LIVE && r->pending) {
			r->requery = true;
		} else if (r->state == DST_LIVE && (r->nh >= 0 || r->pin != 0)) {
			route_query(n, (int32_t)n->sweep_pos, now);
			work++;
		}
		n->sweep_pos++;
	}
	return work;
}

/*
 * Once a second, a pass over the destinations: unused unpinned ones expire;
 * pinned ones not bound yet (more pins than lookups in flight, no route yet)
 * are looked up again.
 */
static unsigned
scan(struct dp_neigh *n, uint64_t now)
{
	unsigned k = 0;

	if (!n->scanning) {
		if (now < n->next_scan)
			return 0;
		n->scanning = true;
		n->scan_pos = 0;
		n->next_scan = now + NEIGH_SCAN_MS * n->ms;
	}
	while (k < NEIGH_SCAN_BURST && n->scan_pos < n->dst_hi) {
		int32_t d = (int32_t)n->scan_pos++;
		struct neigh_dst *r = &n->dsts[d];

		k++;
		if (r->state != DST_LIVE)
			continue;
		if (r->pin != 0) {
			if (r->nh < 0 && !r->pending && now >= r->t_retry &&
					n->inflight < NEIGH_INFLIGHT_MAX)
				route_query(n, d, now);
			continue;
		}
		uint32_t age = n->now_s - __atomic_load_n(&n->last_used[d], __ATOMIC_RELAXED);
		if (age >= n->idle_s && age < UINT32_MAX / 2) {
			dst_delete(n, d);
			ST_INC(n, expired);
		}
	}
	if (n->scan_pos >= n->dst_hi)
		n->scanning = false;
	return k != 0;
}

/* The figures that are states, for other threads. */
static void
gauges(struct dp_neigh *n)
{
	__atomic_store_n(&n->st.entries, n->live, __ATOMIC_RELAXED);
	__atomic_store_n(&n->st.pinned, n->n_pinned, __ATOMIC_RELAXED);
	__atomic_store_n(&n->st.managed, n->n_managed, __ATOMIC_RELAXED);
}

/* ---- pins ---- */

void
dp_neigh_pin_begin(struct dp_neigh *n, unsigned reason)
{
	for (uint32_t d = 0; d < n->dst_hi; d++)
		n->dsts[d].mark &= (uint8_t)~reason;
}

int
dp_neigh_pin(struct dp_neigh *n, const struct sip_addr *dst, unsigned reason)
{
	uint8_t key[NEIGH_KEY_LEN];
	struct neigh_dst *r;
	int32_t d;

	if (!neigh_key(dst, key) || sip_addr_is_forbidden_dst(dst))
		return -EINVAL;
	d = rte_hash_lookup(n->dst, key);
	if (d < 0) {
		d = dst_add(n, key);
		if (d < 0)
			return -ENOSPC;
		/* A pin is trusted (control plane, dialplan): no --neigh-rate budget. */
		if (n->inflight < NEIGH_INFLIGHT_MAX)
			route_query(n, d, neigh_now());
	}
	r = &n->dsts[d];
	r->mark |= (uint8_t)reason;
	if ((r->pin & reason) == 0)
		dst_justify(n, d, (uint8_t)(r->pin | reason), r->recent);
	return 0;
}

void
dp_neigh_pin_end(struct dp_neigh *n, unsigned reason)
{
	for (uint32_t d = 0; d < n->dst_hi; d++) {
		struct neigh_dst *r = &n->dsts[d];

		if (r->state != DST_LIVE || (r->pin & reason) == 0 || (r->mark & reason) != 0)
			continue;
		if ((r->pin & ~reason) == 0)
			__atomic_store_n(&n->last_used[d], n->now_s, __ATOMIC_RELAXED);
		dst_justify(n, (int32_t)d, (uint8_t)(r->pin & ~reason), r->recent);
	}
	gauges(n);
}

/* ---- attach, poll, snoop ---- */

static int
dump_wait(struct dp_neigh *n)
{
	uint64_t end = neigh_now() + NEIGH_DUMP_WAIT_MS * n->ms;

	while (n->dumping) {
		struct pollfd p = {.fd = n->nl_req, .events = POLLIN};

		if (neigh_now() >= end)
			return -ETIMEDOUT;
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			return -errno;
		nl_drain(n, n->nl_req, true, neigh_now());
	}
	return 0;
}

/* A send-only packet socket on the interface (protocol 0: it receives nothing). */
static int
pkt_open(unsigned ifindex)
{
	struct sockaddr_ll sa = {
		.sll_family = AF_PACKET,
		.sll_ifindex = (int)ifindex,
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Bind to ifindex and dump its neighbours; wait for the dump only if asked (start-up). */
static int
attach(struct dp_neigh *n, unsigned ifindex, bool wait)
{
	int ret;

	if (ifindex == 0)
		return -EINVAL;
	if (ifindex == n->ifindex)
		return 0;
	if (n->ifindex != 0) {
		/* Another interface: nothing learnt on the old one holds. */
		for (uint32_t i = 0; i < n->nh_slots; i++) {
			if (n->nhs[i].used) {
				dp_macv_reset(&n->nhs[i].v, 0);
				n->nhs[i].failed = n->nhs[i].lost = false;
				set_managed(n, &n->nhs[i], false);
				nh_publish(n, (int32_t)i);
			}
		}
		sweep_start(n);
	}
	n->ifindex = ifindex;
	if (n->pkt >= 0)
		close(n->pkt);
	n->pkt = pkt_open(ifindex); /* without it, MAC changes are verified by waiting only */
	n->dumping = false;
	ret = dump_start(n, false);
	if (ret != 0 || !wait)
		return ret;
	return dump_wait(n);
}

int
dp_neigh_attach(struct dp_neigh *n, unsigned ifindex)
{
	return attach(n, ifindex, true);
}

unsigned
dp_neigh_poll(struct dp_neigh *n)
{
	struct neigh_req reqs[NEIGH_REQ_BURST];
	uint64_t now = neigh_now();
	unsigned work = 0, k;

	clock_update(n, now);
	if (n->ifindex == 0) {
		unsigned idx;

		if (now < n->next_attach)
			return 0;
		n->next_attach = now + NEIGH_ATTACH_MS * n->ms;
		idx = if_nametoindex(n->ifname);
		if (idx == 0 || attach(n, idx, false) != 0) {
			/* Nothing can be resolved without the interface. */
			k = rte_ring_dequeue_burst_elem(n->req, reqs, sizeof(reqs[0]),
					NEIGH_REQ_BURST, NULL);
			return k;
		}
		work++;
	}
	work += nl_drain(n, n->nl_ev, false, now);
	k = rte_ring_dequeue_burst_elem(n->req, reqs, sizeof(reqs[0]), NEIGH_REQ_BURST, NULL);
	for (unsigned j = 0; j < k; j++)
		on_request(n, &reqs[j], now);
	work += k;
	/* Answers to what was just asked are usually there already. */
	work += nl_drain(n, n->nl_req, true, now);
	work += sweep(n, now);
	work += scan(n, now);
	vlist_tick(n, now);
	work += reclaim(n);
	if (n->redump && !n->dumping && dump_start(n, true) == 0)
		work++;
	gauges(n);
	return work;
}

void
dp_neigh_snoop(struct dp_neigh *n, const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = RTE_ETHER_HDR_LEN;
	uint8_t key[NEIGH_KEY_LEN];
	const uint8_t *ip = NULL, *ll = NULL;
	uint64_t mac, src;
	uint16_t et;
	int32_t i;

	if (len < RTE_ETHER_HDR_LEN || n->ifindex == 0)
		return;
	src = mac_pack(p + 6);
	et = (uint16_t)(p[12] << 8 | p[13]);
	if (et == RTE_ETHER_TYPE_VLAN && len >= RTE_ETHER_HDR_LEN + 4) {
		et = (uint16_t)(p[16] << 8 | p[17]);
		off += 4;
	}
	p += off;
	len -= off;
	if (et == RTE_ETHER_TYPE_ARP) {
		/* Ethernet/IPv4 ARP: sender MAC at 8, sender IP at 14. */
		static const uint8_t eth_ip[6] = {0, 1, 8, 0, 6, 4};

		if (len < 28 || memcmp(p, eth_ip, sizeof(eth_ip)) != 0 ||
				(p[14] | p[15] | p[16] | p[17]) == 0)
			return;
		memcpy(key, v4_mapped, sizeof(v4_mapped));
		memcpy(key + 12, p + 14, 4);
		ll = p + 8;
	} else if (et == RTE_ETHER_TYPE_IPV6) {
		/* Neighbour Discovery: ICMPv6 right after the header, hop limit 255 (RFC 4861). */
		const uint8_t *icmp = p + 40, *opt, *end;
		uint8_t want;

		if (len < 40 + 24 || (p[0] >> 4) != 6 || p[6] != IPPROTO_ICMPV6 || p[7] != 255 ||
				icmp[1] != 0)
			return;
		if (icmp[0] == 135) {        /* NS: the source's MAC in option 1 */
			ip = p + 8;
			want = 1;
		} else if (icmp[0] == 136) { /* NA: the target's MAC in option 2 */
			ip = icmp + 8;
			want = 2;
		} else {
			return;
		}
		end = p + RTE_MIN(len, 40u + ((uint32_t)p[4] << 8 | p[5]));
		for (opt = icmp + 24; opt + 8 <= end && opt[1] != 0; opt += opt[1] * 8) {
			if (opt[0] == want && opt[1] == 1) {
				ll = opt + 2;
				break;
			}
		}
		if (!key_from_nl(AF_INET6, ip, 16, key))
			return;
		/* The unspecified source of DAD probes is nobody's address. */
		for (i = 0; i < NEIGH_KEY_LEN && key[i] == 0; i++)
			;
		if (i == NEIGH_KEY_LEN)
			return;
	} else {
		return;
	}
	/* Only next hops we know: frames on the segment do not grow the table. */
	i = nh_find(n, key);
	if (i < 0)
		return;
	mac = ll != NULL ? mac_pack(ll) : 0;
	/*
	 * The old MAC of a verification speaking for its address (an answer to
	 * our probe, or any ARP/ND of its own; a solicited NA may carry no
	 * option): the claim is refused.
	 */
	if (n->nhs[i].v.active && src == n->nhs[i].v.cur && (mac == 0 || mac == src)) {
		if (dp_macv_heard(&n->nhs[i].v, src) == DP_MACV_CONFLICT)
			nh_conflict(n, i, neigh_now());
		return;
	}
	/*
	 * A frame only changes a MAC in use. A first one (or one after a
	 * failure) comes from the kernel's table: the kernel has sent the
	 * packets it queued while resolving before it says so, and the fast
	 * path must not overtake them (a 200 before its 180).
	 */
	if (mac != 0 && mac != n->nhs[i].v.cur && nh_usable(&n->nhs[i]))
		nh_claim(n, i, mac, neigh_now(), true);
}

unsigned
dp_neigh_count(const struct dp_neigh *n)
{
	return __atomic_load_n(&n->st.entries, __ATOMIC_RELAXED);
}

static const char *const stat_names[] = {
#define DP_NEIGH_STAT_NAME(name, desc) #name,
	DP_NEIGH_STATS(DP_NEIGH_STAT_NAME)
#undef DP_NEIGH_STAT_NAME
};

static const char *const stat_descs[] = {
#define DP_NEIGH_STAT_DESC(name, desc) desc,
	DP_NEIGH_STATS(DP_NEIGH_STAT_DESC)
#undef DP_NEIGH_STAT_DESC
};

const char *
dp_neigh_stat_name(enum dp_neigh_stat k)
{
	return k < DP_NEIGH_S__COUNT ? stat_names[k] : "";
}

const char *
dp_neigh_stat_desc(enum dp_neigh_stat k)
{
	return k < DP_NEIGH_S__COUNT ? stat_descs[k] : "";
}

uint64_t
dp_neigh_stat_value(const struct dp_neigh_stats *st, enum dp_neigh_stat k)
{
	/* The struct is the table's fields in order, all uint64_t. */
	const uint64_t *v = (const uint64_t *)(const void *)st;

	return k < DP_NEIGH_S__COUNT ? v[k] : 0;
}

void
dp_neigh_get_stats(const struct dp_neigh *n, struct dp_neigh_stats *st)
{
	const uint64_t *src = (const uint64_t *)(const void *)&n->st;
	uint64_t *dst = (uint64_t *)(void *)st;

	for (unsigned k = 0; k < DP_NEIGH_S__COUNT; k++)
		dst[k] = __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	st->req_drops = __atomic_load_n(&n->req_drops, __ATOMIC_RELAXED);
}

int
dp_neigh_create(const struct dp_neigh_conf *c, struct dp_neigh **out, char *err, size_t errlen)
{
	static const unsigned groups[] = {RTNLGRP_NEIGH, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE};
	struct rte_hash_parameters hp = {
		.key_len = NEIGH_KEY_LEN,
		.hash_func = rte_hash_crc,
		.socket_id = (int)c->socket_id,
	};
	char name[RTE_RING_NAMESIZE];
	struct dp_neigh *n;
	unsigned idx, slots, rate;
	int ret;

	*out = NULL;
	if (c->ifname == NULL || strlen(c->ifname) >= IF_NAMESIZE || c->capacity < 8 ||
			c->capacity > (1u << 22)) {
		snprintf(err, errlen, "dp_neigh: bad configuration (ifname %s, capacity %u)",
				c->ifname != NULL ? c->ifname : "(none)", c->capacity);
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		snprintf(err, errlen, "dp_neigh: out of memory");
		return -ENOMEM;
	}
	n->nl_ev = n->nl_req = n->pkt = -1;
	n->vhead = -1;
	n->hz = rte_get_timer_hz();
	n->ms = n->hz / 1000;
	n->t0 = neigh_now();
	n->next_sec = n->t0 + n->hz;
	n->capacity = c->capacity;
	n->idle_s = c->idle_s != 0 ? c->idle_s : DP_NEIGH_IDLE_S;
	n->qsbr = c->qsbr;
	n->mac = c->mac;
	n->addr4 = c->addr4;
	n->addr6 = c->addr6;
	rate = c->rate != 0 ? c->rate : DP_NEIGH_RATE;
	dp_tb_init(&n->tb_new, rate / 2, rate / 2, n->hz, n->t0);
	dp_tb_init(&n->tb_again, rate - rate / 2, rate - rate / 2, n->hz, n->t0);
	dp_tb_init(&n->log_tb, NEIGH_LOG_RATE, NEIGH_LOG_RATE, n->hz, n->t0);
	snprintf(n->ifname, sizeof(n->ifname), "%s", c->ifname);

	/* Beyond the capacity, slots for destinations waiting for their grace period. */
	slots = c->capacity + RTE_MAX(c->capacity / 8, (unsigned)NEIGH_RESERVE_MIN);
	snprintf(name, sizeof(name), "nb_dst_%s", c->ifname);
	hp.name = name;
	hp.entries = slots;
	/* Lock-free readers (workers), one writer (main lcore); capacity guaranteed. */
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	n->dst = rte_hash_create(&hp);
	if (n->dst == NULL) {
		ret = -rte_errno;
		snprintf(err, errlen, "dp_neigh: rte_hash_create(%s, %u entries): %s", name,
				slots, rte_strerror(rte_errno));
		goto fail_dst;
	}
	snprintf(name, sizeof(name), "nb_nh_%s", c->ifname);
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	n->nh = rte_hash_create(&hp);
	if (n->nh == NULL) {
		ret = -rte_errno;
		snprintf(err, errlen, "dp_neigh: rte_hash_create(%s, %u entries): %s", name,
				slots, rte_strerror(rte_errno));
		goto fail_nh;
	}
	n->dst_slots = (uint32_t)rte_hash_max_key_id(n->dst) + 1;
	n->nh_slots = (uint32_t)rte_hash_max_key_id(n->nh) + 1;
	n->dsts = calloc(n->dst_slots, sizeof(*n->dsts));
	n->nhs = calloc(n->nh_slots, sizeof(*n->nhs));
	n->last_used = calloc(n->dst_slots, sizeof(*n->last_used));
	n->ret_pos = calloc(n->dst_slots, sizeof(*n->ret_pos));
	n->ret_tok = calloc(n->dst_slots, sizeof(*n->ret_tok));
	if (n->dsts == NULL || n->nhs == NULL || n->last_used == NULL || n->ret_pos == NULL ||
			n->ret_tok == NULL) {
		ret = -ENOMEM;
		snprintf(err, errlen, "dp_neigh: out of memory for %u destinations", slots);
		goto fail_arrays;
	}
	snprintf(name, sizeof(name), "nb_req_%s", c->ifname);
	n->req = rte_ring_create_elem(name, sizeof(struct neigh_req), NEIGH_REQ_RING,
			(int)c->socket_id, RING_F_SC_DEQ);
	if (n->req == NULL) {
		ret = -rte_errno;
		snprintf(err, errlen, "dp_neigh: rte_ring_create_elem(%s): %s", name,
				rte_strerror(rte_errno));
		goto fail_arrays;
	}
	ret = dp_nl_open(groups, RTE_DIM(groups), NEIGH_NL_RCVBUF);
	if (ret < 0) {
		snprintf(err, errlen, "dp_neigh: rtnetlink socket (neighbour and route groups): %s",
				strerror(-ret));
		goto fail_ev;
	}
	n->nl_ev = ret;
	ret = dp_nl_open(NULL, 0, NEIGH_NL_RCVBUF);
	if (ret < 0) {
		snprintf(err, errlen, "dp_neigh: rtnetlink socket (requests): %s", strerror(-ret));
		goto fail_req;
	}
	n->nl_req = ret;
	/* Usually the interface (the tap) does not exist yet: dp_exc_create() attaches it. */
	idx = if_nametoindex(c->ifname);
	if (idx != 0) {
		ret = dp_neigh_attach(n, idx);
		if (ret != 0) {
			snprintf(err, errlen, "dp_neigh: %s: neighbour dump (RTM_GETNEIGH): %s",
					c->ifname, strerror(-ret));
			goto fail_dump;
		}
	}
	*out = n;
	return 0;

fail_dump:
	if (n->pkt >= 0)
		close(n->pkt);
	close(n->nl_req);
fail_req:
	close(n->nl_ev);
fail_ev:
	rte_ring_free(n->req);
fail_arrays:
	free(n->ret_tok);
	free(n->ret_pos);
	free(n->last_used);
	free(n->nhs);
	free(n->dsts);
	rte_hash_free(n->nh);
fail_nh:
	rte_hash_free(n->dst);
fail_dst:
	free(n);
	return ret;
}

void
dp_neigh_destroy(struct dp_neigh *n)
{
	if (n == NULL)
		return;
	if (n->pkt >= 0)
		close(n->pkt);
	close(n->nl_req);
	close(n->nl_ev);
	rte_ring_free(n->req);
	free(n->ret_tok);
	free(n->ret_pos);
	free(n->last_used);
	free(n->nhs);
	free(n->dsts);
	rte_hash_free(n->nh);
	rte_hash_free(n->dst);
	free(n);
}
