/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 reassembly (dataplane/dp_reasm.c) driven with crafted frames the
 * way a worker drives it: dp_pkt_classify() says DP_PKT_FRAG, the
 * reassembler keeps or returns, the result is classified again. Every
 * case ends with no fragment held and every mbuf back in the pool (no
 * leaked table entry, no leaked mbuf). Time is a fake TSC: 1 tick = 1 us.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dp_pkt.h"
#include "dp_reasm.h"
#include "dp_test_eal.h"

#define HZ 1000000ull
#define TIMEOUT_MS 100u
#define SIP_PORT 5060
#define L2 RTE_ETHER_HDR_LEN

static struct rte_mempool *pool;
static struct dp_local loc;
static const uint8_t peer_ip[4] = {192, 0, 2, 7};

struct frag {
	uint32_t ofs;   /* bytes into the IP payload */
	uint32_t len;
	bool more;
};

/* One IPv4 datagram (UDP, to us) and its fragments. */
struct dgram {
	uint8_t buf[70000];   /* IP header + UDP header + data */
	uint32_t len;
	uint16_t id;
};

static void
make_dgram(struct dgram *d, uint32_t data_len, uint16_t id, bool bad_cksum)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)d->buf;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	char *data = (char *)(udp + 1);
	static const char head[] =
		"INVITE sip:15551234567@192.0.2.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-frag\r\n"
		"From: <sip:a@192.0.2.7>;tag=1\r\nTo: <sip:15551234567@192.0.2.1>\r\n"
		"Call-ID: frag@192.0.2.7\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		"Content-Type: application/sdp\r\n";
	char cl[64];

	d->id = id;
	d->len = (uint32_t)(sizeof(*ip) + sizeof(*udp) + data_len);
	memset(d->buf, 0, sizeof(d->buf));
	int hl = snprintf(cl, sizeof(cl), "Content-Length: %u\r\n\r\n",
			(unsigned)(data_len - (sizeof(head) - 1) - 24));
	assert_true(data_len > sizeof(head) + 64);
	memcpy(data, head, sizeof(head) - 1);
	/* Content-Length is written 24 bytes wide so the body fills the rest exactly. */
	memset(data + sizeof(head) - 1, ' ', 24);
	memcpy(data + sizeof(head) - 1, cl, (size_t)hl);
	for (uint32_t i = (uint32_t)(sizeof(head) - 1 + (size_t)hl); i < data_len; i++)
		data[i] = (char)('a' + i % 26);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)RTE_MIN(d->len, 65535u));
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	memcpy(&ip->src_addr, peer_ip, 4);
	memcpy(&ip->dst_addr, loc.addr4.a, 4);
	udp->src_port = rte_cpu_to_be_16(5060);
	udp->dst_port = loc.port_be;
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + data_len));
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	if (bad_cksum)
		udp->dgram_cksum ^= 0x0101;
}

/* The frame of fragment f of d: Ethernet, the IP header rewritten, its bytes. */
static struct rte_mbuf *
frame(const struct dgram *d, struct frag f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->dst_addr = loc.mac;
	memset(&eth->src_addr, 0x02, sizeof(eth->src_addr));
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	memcpy(ip, d->buf, sizeof(*ip));
	memcpy(ip + 1, d->buf + sizeof(*ip) + f.ofs, f.len);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + f.len));
	ip->fragment_offset = rte_cpu_to_be_16((uint16_t)((f.ofs / 8) |
			(f.more ? RTE_IPV4_HDR_MF_FLAG : 0)));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	m->data_len = (uint16_t)(L2 + sizeof(*ip) + f.len);
	m->pkt_len = m->data_len;
	return m;
}

/* d cut in pieces of `size` payload bytes (a multiple of 8): frags[], their count. */
static unsigned
cut(const struct dgram *d, uint32_t size, struct frag *frags)
{
	uint32_t plen = d->len - 20;
	unsigned n = 0;
	for (uint32_t ofs = 0; ofs < plen; ofs += size, n++)
		frags[n] = (struct frag){ofs, RTE_MIN(size, plen - ofs), ofs + size < plen};
	return n;
}

struct run {
	struct dp_reasm *r;
	struct dp_counters cnt;
	unsigned n_out;
	enum dp_class cls[4];
	struct dp_meta meta[4];
	struct rte_mbuf *out[4];
};

/* A worker's path for one frame: classify, reassemble, classify what comes out. */
static void
feed(struct run *rn, struct rte_mbuf *m, uint64_t tsc)
{
	struct dp_meta meta;
	enum dp_counter why = DP_C__COUNT;
	enum dp_class cls = dp_pkt_classify(m, &loc, &meta, &why);

	assert_int_equal(cls, DP_PKT_FRAG);
	dp_reasm_tick(rn->r, tsc, &rn->cnt);
	m = dp_reasm_input(rn->r, m, meta.payload_off, loc.port_be, tsc, &rn->cnt);
	if (m == NULL)
		return;
	assert_true(rn->n_out < 4);
	rn->cls[rn->n_out] = dp_pkt_classify(m, &loc, &rn->meta[rn->n_out], &why);
	if (rn->cls[rn->n_out] == DP_PKT_DROP)
		dp_count(&rn->cnt, why, 1);
	rn->out[rn->n_out++] = m;
}

static void
run_start(struct run *rn, uint32_t flows, uint32_t max_held)
{
	memset(rn, 0, sizeof(*rn));
	struct dp_reasm_cfg cfg = {
		.flows = flows, .timeout_ms = TIMEOUT_MS, .max_dgram = DP_FRAG_MAX_DGRAM,
		.max_held = max_held, .hz = HZ, .socket = 0,
	};
	rn->r = dp_reasm_new(&cfg);
	assert_non_null(rn->r);
}

/* Nothing held, every mbuf back in the pool. */
static void
run_end(struct run *rn)
{
	assert_int_equal(dp_reasm_held(rn->r), 0);
	for (unsigned i = 0; i < rn->n_out; i++)
		rte_pktmbuf_free(rn->out[i]);
	dp_reasm_free(rn->r);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

static uint64_t
ctr(const struct run *rn, enum dp_counter k)
{
	return rn->cnt.v[k];
}

/* The one output is d, whole, classified SIP with its payload intact. */
static void
assert_whole(const struct run *rn, const struct dgram *d)
{
	assert_int_equal(rn->n_out, 1);
	assert_int_equal(rn->cls[0], DP_PKT_SIP);
	const struct rte_mbuf *m = rn->out[0];
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(rn->meta[0].payload_len, d->len - 28);
	assert_int_equal(rn->meta[0].sport, 5060);
	assert_memory_equal(rte_pktmbuf_mtod_offset(m, const char *, rn->meta[0].payload_off),
			d->buf + 28, d->len - 28);
}

static struct dgram dg;

/* A 3 KB INVITE in three fragments: in order, reversed, every fragment twice. */
static void
whole_orders(void **state)
{
	(void)state;
	struct frag f[16];
	static const char *const names[] = {"in order", "reversed", "duplicated"};

	for (unsigned order = 0; order < 3; order++) {
		struct run rn;
		run_start(&rn, 64, 1024);
		make_dgram(&dg, 3000, (uint16_t)(100 + order), false);
		unsigned n = cut(&dg, 1480, f);
		assert_int_equal(n, 3);
		for (unsigned i = 0; i < n; i++) {
			unsigned k = order == 1 ? n - 1 - i : i;
			feed(&rn, frame(&dg, f[k]), 1000 + i);
			if (order == 2)
				feed(&rn, frame(&dg, f[k]), 1000 + i);
		}
		print_message("%s: %u datagram(s), %lu duplicates dropped\n", names[order], rn.n_out,
				(unsigned long)ctr(&rn, DP_C_DROP_FRAG_DUPLICATE));
		assert_whole(&rn, &dg);
		assert_int_equal(ctr(&rn, DP_C_FRAG_RX), order == 2 ? 6 : 3);
		assert_int_equal(ctr(&rn, DP_C_FRAG_REASSEMBLED), 1);
		assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_DUPLICATE), order == 2 ? 3 : 0);
		assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_OVERLAP), 0);
		run_end(&rn);
	}
}

/* Overlaps lose the whole train, whichever fragment comes last. */
static void
overlap_refused(void **state)
{
	(void)state;
	struct frag f[3] = {{0, 1480, true}, {1000, 1480, true}, {2480, 528, false}};

	for (unsigned rev = 0; rev < 2; rev++) {
		struct run rn;
		run_start(&rn, 64, 1024);
		make_dgram(&dg, 3000, 7, false);
		for (unsigned i = 0; i < 3; i++)
			feed(&rn, frame(&dg, f[rev ? 2 - i : i]), 1000 + i);
		assert_int_equal(rn.n_out, 0);
		assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_OVERLAP), 3);
		assert_int_equal(ctr(&rn, DP_C_FRAG_REASSEMBLED), 0);
		run_end(&rn);
	}
	/* Sizes that add up to the total, but an 8-byte hole and an 8-byte overlap. */
	struct frag g[3] = {{0, 1480, true}, {1488, 1000, true}, {2480, 528, false}};
	struct run rn;
	run_start(&rn, 64, 1024);
	make_dgram(&dg, 3000, 8, false);
	for (unsigned i = 0; i < 3; i++)
		feed(&rn, frame(&dg, g[i]), 1000 + i);
	assert_int_equal(rn.n_out, 0);
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_OVERLAP), 3);
	run_end(&rn);
}

/* Tiny non-last fragments and first fragments without a UDP header; offsets past 64 KiB. */
static void
tiny_and_too_big(void **state)
{
	(void)state;
	struct run rn;
	run_start(&rn, 64, 1024);
	make_dgram(&dg, 3000, 9, false);
	feed(&rn, frame(&dg, (struct frag){0, 248, true}), 1000);     /* tiny first */
	feed(&rn, frame(&dg, (struct frag){256, 8, true}), 1001);     /* tiny middle */
	feed(&rn, frame(&dg, (struct frag){0, 256, true}), 1002);     /* at the threshold: taken */
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_TINY), 2);
	assert_int_equal(dp_reasm_held(rn.r), 1);
	/* Ends past 65535 bytes (an offset of 65000 and 1000 bytes). */
	struct rte_mbuf *m = frame(&dg, (struct frag){8, 1000, false});
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, L2);
	ip->fragment_offset = rte_cpu_to_be_16(65000 / 8);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	feed(&rn, m, 1004);
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_TOO_BIG), 1);
	/* Let the timeout free the train started at the threshold. */
	dp_reasm_tick(rn.r, 1002 + TIMEOUT_MS * 1000 + 1, &rn.cnt);
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_TIMEOUT), 1);
	run_end(&rn);
}

/* Trains never completed are freed after the timeout, not before. */
static void
timeout_frees(void **state)
{
	(void)state;
	struct frag f[16];
	struct run rn;
	run_start(&rn, 64, 1024);
	for (uint16_t id = 0; id < 10; id++) {
		make_dgram(&dg, 3000, (uint16_t)(200 + id), false);
		cut(&dg, 1480, f);
		feed(&rn, frame(&dg, f[0]), 1000);
		feed(&rn, frame(&dg, f[2]), 1000);
	}
	assert_int_equal(dp_reasm_held(rn.r), 20);
	dp_reasm_tick(rn.r, 1000 + TIMEOUT_MS * 1000 - 1, &rn.cnt);
	assert_int_equal(dp_reasm_held(rn.r), 20);
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_TIMEOUT), 0);
	dp_reasm_tick(rn.r, 1000 + TIMEOUT_MS * 1000 + 1, &rn.cnt);
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_TIMEOUT), 20);
	/* The middle fragment arriving late starts a train of its own, which expires too. */
	make_dgram(&dg, 3000, 200, false);
	feed(&rn, frame(&dg, f[1]), 1000 + TIMEOUT_MS * 1000 + 2);
	assert_int_equal(rn.n_out, 0);
	dp_reasm_tick(rn.r, 1000 + 3 * TIMEOUT_MS * 1000, &rn.cnt);
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_TIMEOUT), 21);
	run_end(&rn);
}

/* A full table refuses new trains, and so does the fragment budget; room comes back. */
static void
table_full(void **state)
{
	(void)state;
	struct frag f[16];
	struct run rn;
	run_start(&rn, 8, 1024);
	for (uint16_t id = 0; id < 9; id++) {
		make_dgram(&dg, 3000, (uint16_t)(300 + id), false);
		cut(&dg, 1480, f);
		feed(&rn, frame(&dg, f[0]), 1000);
	}
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_TABLE_FULL), 1);
	assert_int_equal(dp_reasm_held(rn.r), 8);
	/* Once they expire, a new train is taken and completes. */
	make_dgram(&dg, 3000, 400, false);
	cut(&dg, 1480, f);
	uint64_t t = 1000 + TIMEOUT_MS * 1000 + 1;
	for (unsigned i = 0; i < 3; i++)
		feed(&rn, frame(&dg, f[i]), t);
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_TIMEOUT), 8);
	assert_whole(&rn, &dg);
	run_end(&rn);

	/* The fragment budget: two fragments held at most. */
	run_start(&rn, 64, 2);
	make_dgram(&dg, 4000, 500, false);
	cut(&dg, 1480, f);
	feed(&rn, frame(&dg, f[0]), 1000);
	feed(&rn, frame(&dg, f[1]), 1000);
	feed(&rn, frame(&dg, f[2]), 1000);
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_TABLE_FULL), 1);
	assert_int_equal(rn.n_out, 0);
	dp_reasm_tick(rn.r, 1000 + TIMEOUT_MS * 1000 + 1, &rn.cnt);
	run_end(&rn);
}

/* More than RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments: the train is refused. */
static void
too_many_fragments(void **state)
{
	(void)state;
	struct frag f[64];
	struct run rn;
	run_start(&rn, 64, 1024);
	make_dgram(&dg, 6000, 600, false);
	unsigned n = cut(&dg, 512, f);
	assert_true(n > RTE_LIBRTE_IP_FRAG_MAX_FRAG);
	for (unsigned i = 0; i < n; i++)
		feed(&rn, frame(&dg, f[i]), 1000);
	assert_int_equal(rn.n_out, 0);
	/* Refused when the first fragment past the limit came; the rest start anew. */
	assert_true(ctr(&rn, DP_C_DROP_FRAG_OVERLAP) >= RTE_LIBRTE_IP_FRAG_MAX_FRAG);
	dp_reasm_tick(rn.r, 1000 + TIMEOUT_MS * 1000 + 1, &rn.cnt);
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_OVERLAP) + ctr(&rn, DP_C_DROP_FRAG_TIMEOUT), n);
	run_end(&rn);
}

/* Larger than a buffer: the head, flagged, checksum verified over the whole datagram. */
static void
head_of_large(void **state)
{
	(void)state;
	struct frag f[16];
	for (unsigned bad = 0; bad < 2; bad++) {
		struct run rn;
		run_start(&rn, 64, 1024);
		make_dgram(&dg, 8000, (uint16_t)(700 + bad), bad != 0);
		unsigned n = cut(&dg, 1480, f);
		for (unsigned i = 0; i < n; i++)
			feed(&rn, frame(&dg, f[n - 1 - i]), 1000);
		assert_int_equal(ctr(&rn, DP_C_FRAG_REASSEMBLED), 1);
		if (bad) {
			assert_int_equal(rn.n_out, 0);
			assert_int_equal(ctr(&rn, DP_C_DROP_UDP_CHECKSUM), 1);
		} else {
			assert_int_equal(rn.n_out, 1);
			assert_int_equal(rn.cls[0], DP_PKT_SIP_HEAD);
			const struct rte_mbuf *m = rn.out[0];
			assert_int_equal(m->nb_segs, 1);
			assert_int_equal(m->data_len, DP_MBUF_DATA_ROOM);
			uint32_t have = DP_MBUF_DATA_ROOM - L2 - 28;
			assert_int_equal(rn.meta[0].payload_len, have);
			assert_memory_equal(rte_pktmbuf_mtod_offset(m, const char *,
					rn.meta[0].payload_off), dg.buf + 28, have);
		}
		run_end(&rn);
	}
	/* A bad checksum in a datagram that fits: classified, and refused there. */
	struct run rn;
	run_start(&rn, 64, 1024);
	make_dgram(&dg, 3000, 710, true);
	unsigned n = cut(&dg, 1480, f);
	for (unsigned i = 0; i < n; i++)
		feed(&rn, frame(&dg, f[i]), 1000);
	assert_int_equal(rn.n_out, 1);
	assert_int_equal(rn.cls[0], DP_PKT_DROP);
	assert_int_equal(ctr(&rn, DP_C_DROP_UDP_CHECKSUM), 1);
	run_end(&rn);
}

/* d to another UDP port (its checksum recomputed). */
static void
to_port(struct dgram *d, uint16_t port)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)d->buf;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	udp->dst_port = rte_cpu_to_be_16(port);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

/*
 * Not SIP: a whole datagram to another port goes to the kernel reassembled;
 * one larger than a buffer is dropped; fragments of other protocols are
 * the kernel's as they are.
 */
static void
not_sip(void **state)
{
	(void)state;
	struct frag f[16];
	struct run rn;
	run_start(&rn, 64, 1024);
	make_dgram(&dg, 3000, 900, false);
	to_port(&dg, 53);
	unsigned n = cut(&dg, 1480, f);
	for (unsigned i = 0; i < n; i++)
		feed(&rn, frame(&dg, f[i]), 1000);
	assert_int_equal(rn.n_out, 1);
	assert_int_equal(rn.cls[0], DP_PKT_PUNT);
	assert_int_equal(rn.out[0]->nb_segs, 1);
	assert_int_equal(rn.out[0]->pkt_len, L2 + dg.len);
	make_dgram(&dg, 8000, 901, false);
	to_port(&dg, 53);
	n = cut(&dg, 1480, f);
	for (unsigned i = 0; i < n; i++)
		feed(&rn, frame(&dg, f[i]), 1000);
	assert_int_equal(rn.n_out, 1);
	assert_int_equal(ctr(&rn, DP_C_DROP_FRAG_TOO_BIG), 1);
	run_end(&rn);

	struct rte_mbuf *m = frame(&dg, (struct frag){0, 1480, true});
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, L2);
	ip->next_proto_id = IPPROTO_ICMP;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct dp_meta meta;
	enum dp_counter why = DP_C__COUNT;
	assert_int_equal(dp_pkt_classify(m, &loc, &meta, &why), DP_PKT_PUNT);
	rte_pktmbuf_free(m);
}

/*
 * A whole datagram the port's frame cut (af_packet: the kernel reassembled
 * it, framesz cut it): a SIP head (513 for a request) when it is UDP to our
 * SIP port; a counted drop when it is a fragment, for another port or not
 * UDP.
 */
static struct rte_mbuf *
cut_frame(uint16_t frag_off, uint8_t proto, uint16_t dport)
{
	make_dgram(&dg, 3000, 800, false);
	if (dport != 0)
		to_port(&dg, dport);
	struct rte_mbuf *m = frame(&dg, (struct frag){0, 1480, false});
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, L2);
	ip->total_length = rte_cpu_to_be_16((uint16_t)dg.len); /* says more than the frame holds */
	ip->fragment_offset = rte_cpu_to_be_16(frag_off);
	ip->next_proto_id = proto;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return m;
}

static void
truncated_unflagged(void **state)
{
	(void)state;
	struct dp_meta meta;
	enum dp_counter why = DP_C__COUNT;
	struct rte_mbuf *m = cut_frame(0, IPPROTO_UDP, 0);
	assert_int_equal(dp_pkt_classify(m, &loc, &meta, &why), DP_PKT_SIP_HEAD);
	assert_int_equal(meta.payload_off, L2 + 20 + 8);
	assert_int_equal(meta.payload_len, rte_pktmbuf_data_len(m) - (L2 + 20 + 8));
	rte_pktmbuf_free(m);
	static const struct {
		uint16_t frag_off;
		uint8_t proto;
		uint16_t dport;
	} dropped[] = {
		{0x2000, IPPROTO_UDP, 0},   /* a first fragment, cut */
		{0x00b9, IPPROTO_UDP, 0},   /* a later one */
		{0, IPPROTO_UDP, 53},       /* not our SIP port */
		{0, IPPROTO_ICMP, 0},       /* not UDP */
	};
	for (unsigned i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
		m = cut_frame(dropped[i].frag_off, dropped[i].proto, dropped[i].dport);
		why = DP_C__COUNT;
		assert_int_equal(dp_pkt_classify(m, &loc, &meta, &why), DP_PKT_DROP);
		assert_int_equal(why, DP_C_DROP_TRUNCATED);
		rte_pktmbuf_free(m);
	}
}

int
main(void)
{
	if (dp_test_eal_start("test_dp_reasm", "reasm", 256, false) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("reasm", 2048, 0, 0,
			DP_MBUF_DATA_ROOM + RTE_PKTMBUF_HEADROOM, 0);
	if (pool == NULL || dp_reasm_init_flag() != 0) {
		fprintf(stderr, "test_dp_reasm: no pool or mbuf flag\n");
		return 1;
	}
	memset(loc.mac.addr_bytes, 0x0a, RTE_ETHER_ADDR_LEN);
	loc.addr4.af = SIP_AF_INET;
	memcpy(loc.addr4.a, (uint8_t[]){192, 0, 2, 1}, 4);
	loc.port = SIP_PORT;
	loc.port_be = rte_cpu_to_be_16(SIP_PORT);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_orders),
		cmocka_unit_test(overlap_refused),
		cmocka_unit_test(tiny_and_too_big),
		cmocka_unit_test(timeout_frees),
		cmocka_unit_test(table_full),
		cmocka_unit_test(too_many_fragments),
		cmocka_unit_test(head_of_large),
		cmocka_unit_test(not_sip),
		cmocka_unit_test(truncated_unflagged),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(pool);
	dp_test_eal_stop("test_dp_reasm", "reasm");
	return rc;
}
