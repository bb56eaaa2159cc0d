/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two views of the neighbours:
 *
 * - dst (read by workers): destination -> packed MAC of its L2 next hop, in an
 *   rte_hash with lock-free readers and one writer, the main lcore. rte_hash
 *   rather than a table of our own: an IPv6 key cannot be swapped atomically
 *   in a 64-bit slot (our own table would need a seqlock per slot), and
 *   rte_hash gives stable key positions (indexes for the main lcore's side
 *   records) and, with the extendable buckets, its full capacity. Keys are
 *   never deleted while workers run: an unusable destination holds 0, so no
 *   RCU is needed. The data pointer is not a pointer: it is the MAC itself.
 *
 * - nh (main lcore only): the kernel's neighbours on our interface and the
 *   next hops routes point to, each with the list of destinations bound to
 *   it, so one neighbour change rewrites exactly those destinations.
 *
 * Addresses are 16-byte keys; IPv4 is IPv4-mapped (::ffff:a.b.c.d), which no
 * real IPv6 destination can be.
 */
#include "dp_neigh.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
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

#include "dp_nl.h"

#define NEIGH_KEY_LEN 16
#define NEIGH_MAC_VALID (UINT64_C(1) << 48)
#define NEIGH_REQ_RING 4096          /* requests waiting for the main lcore */
#define NEIGH_REQ_BURST 64           /* requests handled per poll */
#define NEIGH_NL_BURST 16            /* netlink datagrams read per socket per poll */
#define NEIGH_INFLIGHT_MAX 256       /* RTM_GETROUTE unanswered: bounds our receive queue */
#define NEIGH_SWEEP_BURST 64         /* destinations re-routed per poll after a route change */
#define NEIGH_ROUTE_TIMEOUT_MS 2000  /* an unanswered RTM_GETROUTE is asked again */
#define NEIGH_RETRY_MS 1000          /* after a failed lookup */
#define NEIGH_UNREACH_MS 5000        /* after "not via our interface" */
#define NEIGH_ATTACH_MS 1000         /* interface name retry while not attached */
#define NEIGH_DUMP_WAIT_MS 2000
#define NEIGH_NL_RCVBUF (4 << 20)

/* nlmsg_seq of our requests on nl_req says what an answer is about. */
#define SEQ_ROUTE  UINT32_C(0x80000000) /* | destination position */
#define SEQ_MANAGE UINT32_C(0x40000000) /* | next-hop position */
#define SEQ_INDEX  UINT32_C(0x3fffffff) /* below: dumps */

struct neigh_nh {
	uint8_t key[NEIGH_KEY_LEN];
	uint64_t mac;       /* NEIGH_MAC_VALID | MAC, or 0 while unknown or failed */
	int32_t first;      /* first destination bound here, -1: none */
	uint32_t seen;      /* dump generation that last listed it */
	bool used;
	bool managed;       /* asked the kernel to keep it resolved (NTF_EXT_MANAGED) */
};

struct neigh_dst {
	uint8_t key[NEIGH_KEY_LEN];
	int32_t nh;         /* bound next hop, -1: none */
	int32_t prev, next; /* in the next hop's list */
	uint64_t t_req;     /* when the pending RTM_GETROUTE was sent */
	uint64_t t_retry;   /* no new lookup before this */
	bool used;
	bool pending;       /* RTM_GETROUTE unanswered */
	bool requery;       /* routes changed while pending: the answer may be stale */
};

struct dp_neigh {
	/* Read by workers. */
	struct rte_hash *dst;
	struct rte_ring *req;
	uint64_t req_drops; /* atomic: the only counter workers touch */

	/* Main lcore only. */
	char ifname[IF_NAMESIZE];
	unsigned ifindex;   /* 0 until attached */
	int nl_ev;          /* notifications: neighbours and routes */
	int nl_req;         /* our requests and the kernel's answers */
	struct rte_hash *nh;
	struct neigh_nh *nhs;
	uint32_t nh_slots;
	struct neigh_dst *dsts;
	uint32_t dst_slots;
	uint32_t dst_hi;    /* positions below are in use: dst keys are never deleted */
	uint32_t inflight;
	uint32_t dump_seq;
	uint32_t dump_gen;
	bool dumping;
	bool redump;
	bool dump_reconcile; /* a resync: neighbours the dump omits are gone */
	bool sweeping;
	bool sweep_again;   /* routes changed during the sweep: one more after it */
	uint32_t sweep_pos;
	bool no_managed;    /* kernel without NTF_EXT_MANAGED: fall back to NTF_USE */
	uint64_t ms;        /* timer cycles per millisecond */
	uint64_t next_attach;
	struct dp_neigh_stats st;
	char buf[32768] __rte_aligned(8);
};

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

int
dp_neigh_lookup(const struct dp_neigh *n, const struct sip_addr *dst, struct rte_ether_addr *mac)
{
	uint8_t key[NEIGH_KEY_LEN];
	void *data;
	uint64_t v;

	if (!neigh_key(dst, key) || rte_hash_lookup_data(n->dst, key, &data) < 0)
		return -ENOENT;
	v = (uint64_t)(uintptr_t)data;
	if ((v & NEIGH_MAC_VALID) == 0)
		return -ENOENT;
	memcpy(mac->addr_bytes, &v, RTE_ETHER_ADDR_LEN);
	return 0;
}

void
dp_neigh_request(struct dp_neigh *n, const struct sip_addr *dst)
{
	uint8_t key[NEIGH_KEY_LEN];

	if (!neigh_key(dst, key))
		return;
	if (rte_ring_enqueue_elem(n->req, key, NEIGH_KEY_LEN) != 0)
		__atomic_fetch_add(&n->req_drops, 1, __ATOMIC_RELAXED);
}

static inline uint64_t
neigh_now(void)
{
	return rte_get_timer_cycles();
}

/* Publish what workers see for destination d. */
static void
dst_publish(struct dp_neigh *n, int32_t d, uint64_t mac)
{
	/* On an existing key this only swaps the data, atomically (LF mode). */
	if (rte_hash_add_key_data(n->dst, n->dsts[d].key, (void *)(uintptr_t)mac) == 0)
		n->st.updates++;
	else
		n->st.full++;
}

static void
dst_unlink(struct dp_neigh *n, int32_t d)
{
	struct neigh_dst *r = &n->dsts[d];

	if (r->nh < 0)
		return;
	if (r->prev >= 0)
		n->dsts[r->prev].next = r->next;
	else
		n->nhs[r->nh].first = r->next;
	if (r->next >= 0)
		n->dsts[r->next].prev = r->prev;
	r->nh = r->prev = r->next = -1;
}

static void
dst_unbind(struct dp_neigh *n, int32_t d)
{
	if (n->dsts[d].nh < 0)
		return;
	dst_unlink(n, d);
	dst_publish(n, d, 0);
}

/* Find a next hop, or create it. -1 if absent (create false) or the table is full. */
static int32_t
nh_find(struct dp_neigh *n, const uint8_t key[NEIGH_KEY_LEN], bool create)
{
	int32_t i = rte_hash_lookup(n->nh, key);
	struct neigh_nh *h;

	if (i >= 0 || !create)
		return i;
	i = rte_hash_add_key(n->nh, key);
	if (i < 0 || (uint32_t)i >= n->nh_slots) {
		n->st.full++;
		return -1;
	}
	h = &n->nhs[i];
	memcpy(h->key, key, NEIGH_KEY_LEN);
	h->mac = 0;
	h->first = -1;
	h->seen = n->dump_gen;
	h->used = true;
	h->managed = false;
	return i;
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
	struct dp_nl_req q;
	struct ndmsg *nd;
	uint32_t ext = NTF_EXT_MANAGED;
	bool v4 = key_is_v4(h->key);

	if (h->managed || n->ifindex == 0)
		return;
	nd = dp_nl_init(&q, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, SEQ_MANAGE | (uint32_t)i,
			sizeof(*nd));
	nd->ndm_family = v4 ? AF_INET : AF_INET6;
	nd->ndm_ifindex = (int)n->ifindex;
	nd->ndm_state = NUD_NONE;
	dp_nl_put(&q, NDA_DST, v4 ? h->key + 12 : h->key, v4 ? 4 : 16);
	if (n->no_managed)
		nd->ndm_flags = NTF_USE; /* one resolution now, no upkeep */
	else
		dp_nl_put(&q, NDA_FLAGS_EXT, &ext, sizeof(ext));
	/* No ACK asked: only an error comes back (seq says which next hop). */
	if (dp_nl_send(n->nl_req, &q) == 0)
		h->managed = true;
	else
		n->st.nl_errors++;
}

/* The kernel (or a snooped frame) says next hop i now has mac (0: unusable). */
static void
nh_set(struct dp_neigh *n, int32_t i, uint64_t mac)
{
	struct neigh_nh *h = &n->nhs[i];

	if (h->mac == mac)
		return;
	h->mac = mac;
	for (int32_t d = h->first; d >= 0; d = n->dsts[d].next)
		dst_publish(n, d, mac);
}

/* The kernel deleted next hop i. */
static void
nh_lost(struct dp_neigh *n, int32_t i)
{
	struct neigh_nh *h = &n->nhs[i];

	nh_set(n, i, 0);
	if (h->first < 0) {
		rte_hash_del_key(n->nh, h->key);
		h->used = false;
		return;
	}
	/* Still needed by destinations: have it created and resolved again. */
	h->managed = false;
	nh_manage(n, i);
}

static void
dst_bind(struct dp_neigh *n, int32_t d, const uint8_t nhkey[NEIGH_KEY_LEN], uint64_t now)
{
	struct neigh_dst *r = &n->dsts[d];
	int32_t i = nh_find(n, nhkey, true);

	if (i < 0) {
		dst_unbind(n, d);
		r->t_retry = now + NEIGH_RETRY_MS * n->ms;
		return;
	}
	if (r->nh != i) {
		dst_unlink(n, d);
		r->nh = i;
		r->prev = -1;
		r->next = n->nhs[i].first;
		if (r->next >= 0)
			n->dsts[r->next].prev = d;
		n->nhs[i].first = d;
	}
	dst_publish(n, d, n->nhs[i].mac);
	nh_manage(n, i);
}

static int
route_query(struct dp_neigh *n, int32_t d, uint64_t now)
{
	struct neigh_dst *r = &n->dsts[d];
	bool v4 = key_is_v4(r->key);
	struct dp_nl_req q;
	struct rtmsg *rt;
	int ret;

	rt = dp_nl_init(&q, RTM_GETROUTE, 0, SEQ_ROUTE | (uint32_t)d, sizeof(*rt));
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
		n->st.nl_errors++;
		r->t_retry = now + NEIGH_RETRY_MS * n->ms;
		return ret;
	}
	r->pending = true;
	r->t_req = now;
	n->inflight++;
	n->st.route_lookups++;
	return 0;
}

static void
route_answered(struct dp_neigh *n, struct neigh_dst *r)
{
	if (r->pending) {
		r->pending = false;
		n->inflight--;
	}
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

/* A worker missed on key. */
static void
on_request(struct dp_neigh *n, const uint8_t key[NEIGH_KEY_LEN], uint64_t now)
{
	struct neigh_dst *r;
	int32_t d = rte_hash_lookup(n->dst, key);

	n->st.requests++;
	if (d < 0) {
		d = rte_hash_add_key(n->dst, key); /* data 0: workers still miss */
		if (d < 0 || (uint32_t)d >= n->dst_slots) {
			n->st.full++;
			return;
		}
		r = &n->dsts[d];
		memset(r, 0, sizeof(*r));
		memcpy(r->key, key, NEIGH_KEY_LEN);
		r->nh = r->prev = r->next = -1;
		r->used = true;
		if ((uint32_t)d >= n->dst_hi)
			n->dst_hi = (uint32_t)d + 1;
	}
	r = &n->dsts[d];
	if (r->pending) {
		if (now - r->t_req < NEIGH_ROUTE_TIMEOUT_MS * n->ms)
			return;
		route_answered(n, r); /* lost: ask again */
	}
	if (r->nh >= 0) {
		/* Bound but the MAC is unknown: make sure the kernel is resolving it. */
		nh_manage(n, r->nh);
		return;
	}
	if (now < r->t_retry || n->inflight >= NEIGH_INFLIGHT_MAX)
		return; /* the next miss asks again */
	route_query(n, d, now);
}

/* Answer to our RTM_GETROUTE for destination d. */
static void
on_route_reply(struct dp_neigh *n, const struct nlmsghdr *nh, uint32_t d, uint64_t now)
{
	const struct rtmsg *rt = NLMSG_DATA(nh);
	struct neigh_dst *r;
	const void *gw = NULL;
	size_t gwlen = 0;
	uint32_t oif = 0;
	uint8_t nhkey[NEIGH_KEY_LEN];
	int alen;

	if (d >= n->dst_slots || !n->dsts[d].used || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)))
		return;
	r = &n->dsts[d];
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
	/* Local, broadcast, multicast, or out of another interface: not ours to send. */
	if (rt->rtm_type != RTN_UNICAST || oif != n->ifindex ||
			(gw != NULL && !key_from_nl(rt->rtm_family, gw, gwlen, nhkey))) {
		n->st.route_errors++;
		dst_unbind(n, (int32_t)d);
		r->t_retry = now + NEIGH_UNREACH_MS * n->ms;
	} else {
		dst_bind(n, (int32_t)d, gw != NULL ? nhkey : r->key, now);
	}
	route_requery(n, (int32_t)d, now);
}

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
	uint32_t seq;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || e->error == 0)
		return;
	seq = e->msg.nlmsg_seq;
	if ((seq & SEQ_ROUTE) != 0) {
		uint32_t d = seq & ~SEQ_ROUTE;

		if (d >= n->dst_slots || !n->dsts[d].used)
			return;
		/* No route (ENETUNREACH, EHOSTUNREACH...): workers keep using the kernel. */
		route_answered(n, &n->dsts[d]);
		dst_unbind(n, (int32_t)d);
		n->dsts[d].t_retry = now + NEIGH_RETRY_MS * n->ms;
		n->st.route_errors++;
		route_requery(n, (int32_t)d, now);
	} else if ((seq & SEQ_MANAGE) != 0) {
		uint32_t i = seq & SEQ_INDEX;

		n->st.nl_errors++;
		if (i >= n->nh_slots || !n->nhs[i].used)
			return;
		n->nhs[i].managed = false;
		if (!n->no_managed && (e->error == -EINVAL || e->error == -EOPNOTSUPP)) {
			n->no_managed = true;
			nh_manage(n, (int32_t)i);
		}
	} else if (seq == n->dump_seq && n->dumping) {
		n->st.nl_errors++;
		n->dumping = false;
		n->dump_reconcile = false;
	} else {
		n->st.nl_errors++;
	}
}

static void
on_neigh(struct dp_neigh *n, const struct nlmsghdr *nh)
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
	if (dst == NULL || !key_from_nl(nd->ndm_family, dst, dstlen, key))
		return;
	if (nh->nlmsg_type == RTM_DELNEIGH) {
		i = nh_find(n, key, false);
		if (i >= 0)
			nh_lost(n, i);
		return;
	}
	if ((nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT |
			NUD_NOARP)) != 0 && ll != NULL && lllen == RTE_ETHER_ADDR_LEN) {
		uint64_t mac = mac_pack(ll);

		if (mac == 0)
			return;
		i = nh_find(n, key, true);
		if (i >= 0) {
			n->nhs[i].seen = n->dump_gen;
			nh_set(n, i, mac);
		}
	} else if ((nd->ndm_state & NUD_FAILED) != 0) {
		i = nh_find(n, key, false);
		if (i >= 0) {
			n->nhs[i].seen = n->dump_gen;
			nh_set(n, i, 0);
		}
	} else {
		/* INCOMPLETE, NONE: being resolved, nothing usable yet. */
		i = nh_find(n, key, false);
		if (i >= 0)
			n->nhs[i].seen = n->dump_gen;
	}
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
	n->dump_seq = n->dump_seq % SEQ_INDEX + 1;
	nd = dp_nl_init(&q, RTM_GETNEIGH, NLM_F_DUMP, n->dump_seq, sizeof(*nd));
	nd->ndm_family = AF_UNSPEC;
	/* The filter goes in NDA_IFINDEX: strict checking rejects a non-zero ndm_ifindex. */
	ifindex = n->ifindex;
	dp_nl_put(&q, NDA_IFINDEX, &ifindex, sizeof(ifindex));
	ret = dp_nl_send(n->nl_req, &q);
	if (ret != 0) {
		n->st.nl_errors++;
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
		on_neigh(n, nh);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		if (from_req) {
			if ((nh->nlmsg_seq & SEQ_ROUTE) != 0)
				on_route_reply(n, nh, nh->nlmsg_seq & ~SEQ_ROUTE, now);
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
				n->st.nl_errors++;
				break;
			}
			/* The kernel dropped messages for us: rebuild from a dump. */
			n->st.nl_resyncs++;
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
			n->st.nl_errors++;
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
		if (r->used && r->pending) {
			r->requery = true;
		} else if (r->used && r->nh >= 0) {
			route_query(n, (int32_t)n->sweep_pos, now);
			work++;
		}
		n->sweep_pos++;
	}
	return work;
}

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
				nh_set(n, (int32_t)i, 0);
				n->nhs[i].managed = false;
			}
		}
		sweep_start(n);
	}
	n->ifindex = ifindex;
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
	uint8_t keys[NEIGH_REQ_BURST][NEIGH_KEY_LEN];
	uint64_t now = neigh_now();
	unsigned work = 0, k;

	if (n->ifindex == 0) {
		unsigned idx;

		if (now < n->next_attach)
			return 0;
		n->next_attach = now + NEIGH_ATTACH_MS * n->ms;
		idx = if_nametoindex(n->ifname);
		if (idx == 0 || attach(n, idx, false) != 0) {
			/* Nothing can be resolved without the interface. */
			k = rte_ring_dequeue_burst_elem(n->req, keys, NEIGH_KEY_LEN,
					NEIGH_REQ_BURST, NULL);
			return k;
		}
		work++;
	}
	work += nl_drain(n, n->nl_ev, false, now);
	k = rte_ring_dequeue_burst_elem(n->req, keys, NEIGH_KEY_LEN, NEIGH_REQ_BURST, NULL);
	for (unsigned j = 0; j < k; j++)
		on_request(n, keys[j], now);
	work += k;
	/* Answers to what was just asked are usually there already. */
	work += nl_drain(n, n->nl_req, true, now);
	work += sweep(n, now);
	if (n->redump && !n->dumping && dump_start(n, true) == 0)
		work++;
	return work;
}

void
dp_neigh_snoop(struct dp_neigh *n, const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = RTE_ETHER_HDR_LEN;
	uint8_t key[NEIGH_KEY_LEN];
	const uint8_t *ip = NULL, *ll = NULL;
	uint64_t mac;
	uint16_t et;
	int32_t i;

	if (len < RTE_ETHER_HDR_LEN || n->ifindex == 0)
		return;
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
		if (ll == NULL || !key_from_nl(AF_INET6, ip, 16, key))
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
	mac = mac_pack(ll);
	i = nh_find(n, key, false);
	if (i >= 0 && mac != 0 && n->nhs[i].mac != mac) {
		nh_set(n, i, mac);
		n->st.snooped++;
	}
}

unsigned
dp_neigh_count(const struct dp_neigh *n)
{
	int32_t c = rte_hash_count(n->dst);

	return c < 0 ? 0 : (unsigned)c;
}

void
dp_neigh_get_stats(const struct dp_neigh *n, struct dp_neigh_stats *st)
{
	*st = n->st;
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
	unsigned idx;
	int ret;

	*out = NULL;
	if (c->ifname == NULL || strlen(c->ifname) >= IF_NAMESIZE || c->capacity < 8 ||
			c->capacity > (1u << 24)) {
		snprintf(err, errlen, "dp_neigh: bad configuration (ifname %s, capacity %u)",
				c->ifname != NULL ? c->ifname : "(none)", c->capacity);
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		snprintf(err, errlen, "dp_neigh: out of memory");
		return -ENOMEM;
	}
	n->nl_ev = n->nl_req = -1;
	n->ms = rte_get_timer_hz() / 1000;
	snprintf(n->ifname, sizeof(n->ifname), "%s", c->ifname);

	snprintf(name, sizeof(name), "nb_dst_%s", c->ifname);
	hp.name = name;
	hp.entries = c->capacity;
	/* Lock-free readers (workers), one writer (main lcore); capacity guaranteed. */
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	n->dst = rte_hash_create(&hp);
	if (n->dst == NULL) {
		ret = -rte_errno;
		snprintf(err, errlen, "dp_neigh: rte_hash_create(%s, %u entries): %s", name,
				c->capacity, rte_strerror(rte_errno));
		goto fail_dst;
	}
	snprintf(name, sizeof(name), "nb_nh_%s", c->ifname);
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	n->nh = rte_hash_create(&hp);
	if (n->nh == NULL) {
		ret = -rte_errno;
		snprintf(err, errlen, "dp_neigh: rte_hash_create(%s, %u entries): %s", name,
				c->capacity, rte_strerror(rte_errno));
		goto fail_nh;
	}
	n->dst_slots = (uint32_t)rte_hash_max_key_id(n->dst) + 1;
	n->nh_slots = (uint32_t)rte_hash_max_key_id(n->nh) + 1;
	n->dsts = calloc(n->dst_slots, sizeof(*n->dsts));
	n->nhs = calloc(n->nh_slots, sizeof(*n->nhs));
	if (n->dsts == NULL || n->nhs == NULL) {
		ret = -ENOMEM;
		snprintf(err, errlen, "dp_neigh: out of memory for %u destinations", c->capacity);
		goto fail_arrays;
	}
	snprintf(name, sizeof(name), "nb_req_%s", c->ifname);
	n->req = rte_ring_create_elem(name, NEIGH_KEY_LEN, NEIGH_REQ_RING, (int)c->socket_id,
			RING_F_SC_DEQ);
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
	close(n->nl_req);
fail_req:
	close(n->nl_ev);
fail_ev:
	rte_ring_free(n->req);
fail_arrays:
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
	close(n->nl_req);
	close(n->nl_ev);
	rte_ring_free(n->req);
	free(n->nhs);
	free(n->dsts);
	rte_hash_free(n->nh);
	rte_hash_free(n->dst);
	free(n);
}
