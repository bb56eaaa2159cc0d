/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_reasm.h"

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_udp.h>

#include "dp_pkt.h"

/* Entries per bucket of the table (a power of two; DPDK's examples use 16). */
#define REASM_BUCKET_ENTRIES 8

/*
 * One fragment seen, for the duplicate filter: direct-mapped, a collision
 * only forgets the older fragment (its duplicate then reaches rte_ip_frag,
 * which refuses the train: the pre-filter behaviour).
 */
struct seen {
	uint32_t src, dst;
	uint16_t id;
	uint16_t fo;     /* fragment offset word, flags included (host order) */
	uint16_t len;    /* IP payload bytes */
	uint16_t used;
	uint64_t tsc;
};

struct dp_reasm {
	struct rte_ip_frag_tbl *tbl;
	struct rte_ip_frag_death_row dr;
	uint64_t timeout_tsc;
	uint32_t max_dgram;
	uint32_t max_held;
	uint64_t held;       /* fragments in the table */
	uint32_t seen_mask;
	struct seen *seen;
};

uint64_t dp_pkt_head_flag;

int
dp_reasm_init_flag(void)
{
	static const struct rte_mbuf_dynflag desc = {.name = "sipline_dgram_head"};
	int bit = rte_mbuf_dynflag_register(&desc);

	if (bit < 0)
		return -rte_errno;
	dp_pkt_head_flag = 1ull << bit;
	return 0;
}

struct dp_reasm *
dp_reasm_new(const struct dp_reasm_cfg *cfg)
{
	struct dp_reasm *r = rte_zmalloc_socket("dp_reasm", sizeof(*r), RTE_CACHE_LINE_SIZE,
			cfg->socket);
	if (r == NULL)
		return NULL;
	uint64_t timeout = cfg->hz / 1000 * cfg->timeout_ms;
	uint32_t buckets = rte_align32pow2((cfg->flows + REASM_BUCKET_ENTRIES - 1) /
			REASM_BUCKET_ENTRIES * 2);
	r->tbl = rte_ip_frag_table_create(buckets, REASM_BUCKET_ENTRIES, cfg->flows, timeout,
			cfg->socket);
	uint32_t n_seen = rte_align32pow2(cfg->flows * RTE_LIBRTE_IP_FRAG_MAX_FRAG);
	r->seen = rte_zmalloc_socket("dp_reasm_seen", sizeof(*r->seen) * n_seen,
			RTE_CACHE_LINE_SIZE, cfg->socket);
	if (r->tbl == NULL || r->seen == NULL) {
		dp_reasm_free(r);
		rte_errno = ENOMEM;
		return NULL;
	}
	r->seen_mask = n_seen - 1;
	r->timeout_tsc = timeout;
	r->max_dgram = cfg->max_dgram;
	r->max_held = cfg->max_held;
	return r;
}

void
dp_reasm_free(struct dp_reasm *r)
{
	if (r == NULL)
		return;
	if (r->tbl != NULL) {
		/* Frees the fragments still held. */
		rte_ip_frag_table_destroy(r->tbl);
	}
	rte_ip_frag_free_death_row(&r->dr, 0);
	rte_free(r->seen);
	rte_free(r);
}

uint64_t
dp_reasm_held(const struct dp_reasm *r)
{
	return r != NULL ? __atomic_load_n(&r->held, __ATOMIC_RELAXED) : 0;
}

/* The gauge: written by this lcore only, read by the stats snapshot. */
static inline void
held_add(struct dp_reasm *r, int64_t n)
{
	__atomic_store_n(&r->held, r->held + (uint64_t)n, __ATOMIC_RELAXED);
}

/*
 * Free the death row from entry `from` on; returns the fragments (segments)
 * freed, and whether m was among them. Frees everything before too (entries
 * before `from` were counted by an earlier call).
 */
static uint32_t
free_dr(struct dp_reasm *r, uint32_t from, const struct rte_mbuf *m, bool *had_m)
{
	uint32_t segs = 0;

	for (uint32_t i = from; i < r->dr.cnt; i++) {
		segs += r->dr.row[i]->nb_segs;
		if (r->dr.row[i] == m)
			*had_m = true;
	}
	rte_ip_frag_free_death_row(&r->dr, 0);
	return segs;
}

void
dp_reasm_tick(struct dp_reasm *r, uint64_t tsc, struct dp_counters *c)
{
	bool unused = false;

	if (r->held == 0)
		return;
	/* In chunks: the death row takes RTE_IP_FRAG_DEATH_ROW_LEN trains at a time. */
	for (;;) {
		rte_ip_frag_table_del_expired_entries(r->tbl, &r->dr, tsc);
		if (r->dr.cnt == 0)
			break;
		uint32_t n = free_dr(r, 0, NULL, &unused);
		held_add(r, -(int64_t)n);
		dp_count(c, DP_C_DROP_FRAG_TIMEOUT, n);
	}
}

/* Whether this exact fragment was seen within the timeout; remembers it. */
static bool
duplicate(struct dp_reasm *r, const struct rte_ipv4_hdr *ip, uint16_t fo, uint16_t len,
		uint64_t tsc)
{
	struct seen k = {
		.src = ip->src_addr, .dst = ip->dst_addr, .id = ip->packet_id,
		.fo = fo, .len = len, .used = 1,
	};
	uint32_t h = rte_hash_crc_4byte(k.src, 0);
	h = rte_hash_crc_4byte(k.dst, h);
	h = rte_hash_crc_4byte(((uint32_t)k.id << 16) | k.fo, h);
	h = rte_hash_crc_4byte(k.len, h);
	struct seen *e = &r->seen[h & r->seen_mask];
	if (e->used && e->src == k.src && e->dst == k.dst && e->id == k.id && e->fo == k.fo &&
			e->len == k.len && tsc - e->tsc < r->timeout_tsc)
		return true;
	k.tsc = tsc;
	*e = k;
	return false;
}

/*
 * The reassembled chain m as one segment: all of it if it fits the first
 * buffer, else (SIP to our port only) its head, flagged. NULL: dropped.
 */
static struct rte_mbuf *
flatten(struct rte_mbuf *m, uint16_t l2, uint16_t sip_port_be, struct dp_counters *c)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	uint32_t ihl = m->l3_len;

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* The first fragment's checksum flags said nothing about the datagram. */
	m->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (m->pkt_len <= (uint32_t)(m->buf_len - m->data_off)) {
		if (rte_pktmbuf_linearize(m) != 0)
			goto drop;
		return m;
	}
	/* Larger than a buffer: only a SIP request's head is of use (513). */
	const struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *,
			l2 + ihl);
	if (rte_pktmbuf_data_len(m) < l2 + ihl + sizeof(*udp) || udp->dst_port != sip_port_be)
		goto drop;
	if (udp->dgram_cksum != 0 && rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, l2 + ihl) != 0) {
		dp_count(c, DP_C_DROP_UDP_CHECKSUM, 1);
		rte_pktmbuf_free(m);
		return NULL;
	}
	uint32_t cap = m->buf_len - m->data_off;
	char *dst = rte_pktmbuf_mtod(m, char *);
	uint32_t have = m->data_len;
	for (struct rte_mbuf *s = m->next; s != NULL && have < cap; s = s->next) {
		uint32_t n = RTE_MIN((uint32_t)s->data_len, cap - have);
		memcpy(dst + have, rte_pktmbuf_mtod(s, const char *), n);
		have += n;
	}
	rte_pktmbuf_free(m->next);
	m->next = NULL;
	m->nb_segs = 1;
	m->data_len = (uint16_t)have;
	m->pkt_len = have;
	m->ol_flags |= dp_pkt_head_flag | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	return m;
drop:
	dp_count(c, DP_C_DROP_FRAG_TOO_BIG, 1);
	rte_pktmbuf_free(m);
	return NULL;
}

struct rte_mbuf *
dp_reasm_input(struct dp_reasm *r, struct rte_mbuf *m, uint16_t l2, uint16_t sip_port_be,
		uint64_t tsc, struct dp_counters *c)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	uint32_t tot = rte_be_to_cpu_16(ip->total_length);
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
	uint32_t ofs = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS;
	bool more = (fo & RTE_IPV4_HDR_MF_FLAG) != 0;
	uint32_t len = tot - ihl; /* classify4 checked tot >= ihl and that the frame holds tot */
	enum dp_counter why;

	dp_count(c, DP_C_FRAG_RX, 1);
	if ((more && len < DP_FRAG_MIN_PAYLOAD) || len == 0 ||
			(ofs == 0 && len < sizeof(struct rte_udp_hdr))) {
		why = DP_C_DROP_FRAG_TINY;
		goto drop;
	}
	if (ihl + ofs + len > r->max_dgram) {
		why = DP_C_DROP_FRAG_TOO_BIG;
		goto drop;
	}
	if (duplicate(r, ip, fo, (uint16_t)len, tsc)) {
		why = DP_C_DROP_FRAG_DUPLICATE;
		goto drop;
	}
	if (r->held >= r->max_held) {
		why = DP_C_DROP_FRAG_TABLE_FULL;
		goto drop;
	}
	m->l2_len = l2;
	m->l3_len = ihl;
	/* Ethernet padding of short frames is trimmed by the library (pkt_len vs total_length). */
	uint32_t before = r->dr.cnt;
	held_add(r, 1);
	struct rte_mbuf *out = rte_ipv4_frag_reassemble_packet(r->tbl, &r->dr, m, tsc, ip);
	if (r->dr.cnt != before) {
		bool had_m = false;
		uint32_t n = free_dr(r, before, m, &had_m);
		held_add(r, -(int64_t)n);
		/*
		 * m alone: no room for its train (table full). m with others: its
		 * train was refused (overlap, hole, too many fragments). Others
		 * without m: an expired train was reused (tick() frees those first,
		 * so this is only a safety net).
		 */
		if (had_m && n == 1)
			dp_count(c, DP_C_DROP_FRAG_TABLE_FULL, 1);
		else if (had_m)
			dp_count(c, DP_C_DROP_FRAG_OVERLAP, n);
		else
			dp_count(c, DP_C_DROP_FRAG_TIMEOUT, n);
	}
	if (out == NULL)
		return NULL;
	held_add(r, -(int64_t)out->nb_segs);
	dp_count(c, DP_C_FRAG_REASSEMBLED, 1);
	return flatten(out, l2, sip_port_be, c);
drop:
	dp_count(c, why, 1);
	rte_pktmbuf_free(m);
	return NULL;
}
