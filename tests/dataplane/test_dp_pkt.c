/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The L2/L3/L4 classifier of the workers (dataplane/dp_pkt.c): IPv4
 * header and UDP checksums (verified unless the port vouched, UDP 0
 * allowed over IPv4 only) and martian sources (IPv4-mapped IPv6 included).
 * One named row per case: a frame from a builder, the port's RX checksum
 * flags, one mutation, the class and drop counter expected. Then the
 * frames the workers build (dp_pkt_finish()), with and without the port's
 * TX checksum offloads: a row per (family, length, offloads), the frame
 * left to the port completed as a NIC would and compared byte for byte
 * with the one summed in software. Frames sit in a plain buffer wrapped in
 * a stack mbuf: no EAL needed. The checksums are computed byte by byte
 * (RFC 1071, tests/common/rfc1071.h), independently of dataplane/dp_cksum.h.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dp_pkt.h"
#include "rfc1071.h"

#define ROUTER4 "10.77.0.1"
#define BCAST4 "10.77.0.255"
#define ROUTER6 "fd00:77::1"
#define PEER4 "10.77.0.10"
#define PEER6 "fd00:77::10"

enum mutation {
	MUT_NONE = 0,
	MUT_CKSUM_ZERO,     /* checksum field 0 */
	MUT_CKSUM_PLUS1,    /* checksum field off by one */
	MUT_PAYLOAD_FLIP,   /* one payload bit flipped after the checksum was computed */
	MUT_SUM_ZERO,       /* payload chosen so that the checksum computes to 0: sent as 0xffff */
	MUT_UDP_LEN_LONG,   /* UDP length past the IP payload */
	MUT_IP_CKSUM,       /* IPv4 header checksum off by one (the UDP checksum still right) */
	MUT_SMAC_BCAST,     /* source MAC ff:ff:ff:ff:ff:ff */
	MUT_SMAC_MCAST,     /* source MAC 01:00:5e:00:00:01 (a group address) */
	MUT_SMAC_ZERO,      /* source MAC 00:00:00:00:00:00 */
	MUT_IHL_PAST_FRAME, /* IPv4 IHL 15 (60 bytes) in a shorter frame whose total length runs on */
};

struct pkt_case {
	const char *name;
	uint8_t af;             /* SIP_AF_INET or SIP_AF_INET6 */
	const char *src;        /* source address */
	uint32_t payload_len;
	enum mutation mut;
	uint64_t rx_flags;      /* the port's RTE_MBUF_F_RX_L4_CKSUM_* | RTE_MBUF_F_RX_IP_CKSUM_* */
	enum dp_class want;
	enum dp_counter why;    /* for DP_PKT_DROP */
};

#define UNKNOWN RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN
#define GOOD RTE_MBUF_F_RX_L4_CKSUM_GOOD
#define BAD RTE_MBUF_F_RX_L4_CKSUM_BAD
#define NONE RTE_MBUF_F_RX_L4_CKSUM_NONE
#define IP_GOOD RTE_MBUF_F_RX_IP_CKSUM_GOOD
#define IP_BAD RTE_MBUF_F_RX_IP_CKSUM_BAD
#define IP_NONE RTE_MBUF_F_RX_IP_CKSUM_NONE
#define V4 SIP_AF_INET
#define V6 SIP_AF_INET6
#define SIP DP_PKT_SIP
#define DROP DP_PKT_DROP
#define CK DP_C_DROP_UDP_CHECKSUM
#define MART DP_C_DROP_MARTIAN

static const struct pkt_case cases[] = {
	/* IPv4 checksums */
	{"v4 correct", V4, PEER4, 600, MUT_NONE, UNKNOWN, SIP, 0},
	{"v4 correct, odd length", V4, PEER4, 601, MUT_NONE, UNKNOWN, SIP, 0},
	{"v4 correct, 1 byte", V4, PEER4, 1, MUT_NONE, UNKNOWN, SIP, 0},
	{"v4 correct, 1472 bytes", V4, PEER4, 1472, MUT_NONE, UNKNOWN, SIP, 0},
	{"v4 checksum computing to 0, sent as 0xffff", V4, PEER4, 600, MUT_SUM_ZERO, UNKNOWN, SIP, 0},
	{"v4 no checksum (0: allowed by RFC 768)", V4, PEER4, 600, MUT_CKSUM_ZERO, UNKNOWN, SIP, 0},
	{"v4 checksum off by one", V4, PEER4, 600, MUT_CKSUM_PLUS1, UNKNOWN, DROP, CK},
	{"v4 payload bit flipped", V4, PEER4, 600, MUT_PAYLOAD_FLIP, UNKNOWN, DROP, CK},
	{"v4 odd length, payload bit flipped", V4, PEER4, 333, MUT_PAYLOAD_FLIP, UNKNOWN, DROP, CK},
	{"v4 wrong, the port says GOOD (not summed)", V4, PEER4, 600, MUT_CKSUM_PLUS1, GOOD, SIP, 0},
	{"v4 wrong, the port says NONE (integrity verified)", V4, PEER4, 600, MUT_CKSUM_PLUS1, NONE,
		SIP, 0},
	{"v4 correct, the port says BAD", V4, PEER4, 600, MUT_NONE, BAD, DROP, CK},
	{"v4 UDP length past the datagram", V4, PEER4, 600, MUT_UDP_LEN_LONG, UNKNOWN, DROP,
		DP_C_DROP_L4},
	/* IPv4 header checksums: summed unless the port vouched (RX_OFFLOAD_IPV4_CKSUM) */
	{"v4 header checksum wrong", V4, PEER4, 600, MUT_IP_CKSUM, UNKNOWN, DROP, DP_C_DROP_L3},
	{"v4 header checksum wrong, UDP GOOD (no IP flag)", V4, PEER4, 600, MUT_IP_CKSUM, GOOD,
		DROP, DP_C_DROP_L3},
	{"v4 header checksum wrong, the port says IP GOOD", V4, PEER4, 600, MUT_IP_CKSUM, IP_GOOD,
		SIP, 0},
	{"v4 header checksum wrong, the port says IP NONE (integrity verified)", V4, PEER4, 600,
		MUT_IP_CKSUM, IP_NONE, SIP, 0},
	{"v4 header correct, the port says IP BAD", V4, PEER4, 600, MUT_NONE, IP_BAD, DROP,
		DP_C_DROP_L3},
	{"v4 header correct, the port says IP BAD and UDP GOOD", V4, PEER4, 600, MUT_NONE,
		IP_BAD | GOOD, DROP, DP_C_DROP_L3},
	{"v4 both wrong, the port says IP and UDP GOOD", V4, PEER4, 600, MUT_IP_CKSUM,
		IP_GOOD | GOOD, SIP, 0},
	{"v4 header correct, the port says IP GOOD, UDP summed and wrong", V4, PEER4, 600,
		MUT_CKSUM_PLUS1, IP_GOOD, DROP, CK},
	/* IPv4 header length: nothing is read (or summed) past the frame */
	{"v4 IHL past the frame, total length past it too", V4, PEER4, 10, MUT_IHL_PAST_FRAME,
		UNKNOWN, DROP, DP_C_DROP_L3},
	{"v4 IHL past the frame, the port says IP GOOD", V4, PEER4, 10, MUT_IHL_PAST_FRAME,
		IP_GOOD, DROP, DP_C_DROP_L3},
	/* IPv6 checksums: 0 is forbidden (RFC 8200 8.1) */
	{"v6 correct", V6, PEER6, 600, MUT_NONE, UNKNOWN, SIP, 0},
	{"v6 correct, odd length", V6, PEER6, 77, MUT_NONE, UNKNOWN, SIP, 0},
	{"v6 checksum computing to 0, sent as 0xffff", V6, PEER6, 600, MUT_SUM_ZERO, UNKNOWN, SIP, 0},
	{"v6 zero checksum", V6, PEER6, 600, MUT_CKSUM_ZERO, UNKNOWN, DROP, CK},
	{"v6 zero checksum, the port says GOOD", V6, PEER6, 600, MUT_CKSUM_ZERO, GOOD, DROP, CK},
	{"v6 zero checksum, the port says NONE", V6, PEER6, 600, MUT_CKSUM_ZERO, NONE, DROP, CK},
	{"v6 checksum off by one", V6, PEER6, 600, MUT_CKSUM_PLUS1, UNKNOWN, DROP, CK},
	{"v6 payload bit flipped", V6, PEER6, 600, MUT_PAYLOAD_FLIP, UNKNOWN, DROP, CK},
	{"v6 wrong, the port says GOOD (not summed)", V6, PEER6, 600, MUT_CKSUM_PLUS1, GOOD, SIP, 0},
	{"v6 correct, the port says BAD", V6, PEER6, 600, MUT_NONE, BAD, DROP, CK},
	/* martian sources: a group or zero MAC (a reply to it would reach the whole segment) */
	{"v4 from the broadcast MAC", V4, PEER4, 100, MUT_SMAC_BCAST, UNKNOWN, DROP, MART},
	{"v4 from a multicast MAC", V4, PEER4, 100, MUT_SMAC_MCAST, UNKNOWN, DROP, MART},
	{"v6 from a multicast MAC", V6, PEER6, 100, MUT_SMAC_MCAST, UNKNOWN, DROP, MART},
	{"v4 from the zero MAC", V4, PEER4, 100, MUT_SMAC_ZERO, UNKNOWN, DROP, MART},
	/* martian sources */
	{"v4 from our own address", V4, ROUTER4, 100, MUT_NONE, UNKNOWN, DROP, MART},
	{"v4 from our subnet's broadcast", V4, BCAST4, 100, MUT_NONE, UNKNOWN, DROP, MART},
	{"v4 from loopback", V4, "127.0.0.1", 100, MUT_NONE, UNKNOWN, DROP, MART},
	{"v6 from our own address", V6, ROUTER6, 100, MUT_NONE, UNKNOWN, DROP, MART},
	{"v6 from ::ffff: our IPv4 address", V6, "::ffff:" ROUTER4, 100, MUT_NONE, UNKNOWN, DROP,
		MART},
	{"v6 from ::ffff: our subnet's broadcast", V6, "::ffff:" BCAST4, 100, MUT_NONE, UNKNOWN, DROP,
		MART},
	{"v6 from ::ffff:255.255.255.255", V6, "::ffff:255.255.255.255", 100, MUT_NONE, UNKNOWN,
		DROP, MART},
	{"v6 from ::ffff:127.0.0.1", V6, "::ffff:127.0.0.1", 100, MUT_NONE, UNKNOWN, DROP, MART},
	{"v6 from ::ffff:224.0.0.1", V6, "::ffff:224.0.0.1", 100, MUT_NONE, UNKNOWN, DROP, MART},
	{"v6 from ::ffff: a peer (never on the wire)", V6, "::ffff:" PEER4, 100, MUT_NONE, UNKNOWN,
		DROP, MART},
	{"v6 from ::1", V6, "::1", 100, MUT_NONE, UNKNOWN, DROP, MART},
	{"v6 from ff02::1", V6, "ff02::1", 100, MUT_NONE, UNKNOWN, DROP, MART},
	{"v6 from a NAT64 address (an ordinary source)", V6, "64:ff9b::a4d:a", 100, MUT_NONE,
		UNKNOWN, SIP, 0},
	/* ::/96 IPv4-compatible: deprecated (RFC 4291), never a next hop, so never a source. */
	{"v6 from the IPv4-compatible form of a peer", V6, "::" PEER4, 100, MUT_NONE, UNKNOWN, DROP,
		MART},
};

static struct dp_local loc;

static void
local_init(void)
{
	memset(&loc, 0, sizeof(loc));
	loc.mac = (struct rte_ether_addr){{0x02, 0x77, 0, 0, 0, 0x01}};
	loc.addr4.af = SIP_AF_INET;
	inet_pton(AF_INET, ROUTER4, loc.addr4.a);
	loc.bcast4.af = SIP_AF_INET;
	inet_pton(AF_INET, BCAST4, loc.bcast4.a);
	loc.addr6.af = SIP_AF_INET6;
	inet_pton(AF_INET6, ROUTER6, loc.addr6.a);
	loc.port = 5060;
	loc.port_be = htons(5060);
	loc.udp_checksum4 = true;
}

/* Ethernet + IP + UDP to the router's SIP port; returns the frame length. */
static uint32_t
build(const struct pkt_case *c, uint8_t *f)
{
	uint8_t *l3 = f + RTE_ETHER_HDR_LEN, *udp, *addrs;
	uint32_t ulen = 8 + c->payload_len, alen;

	memcpy(f, loc.mac.addr_bytes, 6);
	memcpy(f + 6, "\x02\x77\x00\x00\x00\x0a", 6);
	if (c->af == V4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		f[12] = 0x08;
		f[13] = 0x00;
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = htons((uint16_t)(20 + ulen));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		assert_int_equal(inet_pton(AF_INET, c->src, &ip->src_addr), 1);
		memcpy(&ip->dst_addr, loc.addr4.a, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = l3 + 20;
		addrs = (uint8_t *)&ip->src_addr;
		alen = 8;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;
		f[12] = 0x86;
		f[13] = 0xdd;
		memset(ip, 0, sizeof(*ip));
		ip->vtc_flow = htonl(6u << 28);
		ip->payload_len = htons((uint16_t)ulen);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		assert_int_equal(inet_pton(AF_INET6, c->src, ip->src_addr), 1);
		memcpy(ip->dst_addr, loc.addr6.a, 16);
		udp = l3 + 40;
		addrs = ip->src_addr;
		alen = 32;
	}
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)udp;
	uh->src_port = htons(5061);
	uh->dst_port = htons(5060);
	uh->dgram_len = htons((uint16_t)ulen);
	uh->dgram_cksum = 0;
	for (uint32_t i = 0; i < c->payload_len; i++)
		udp[8 + i] = (uint8_t)("INVITE sip:1000@10.77.0.1 SIP/2.0\r\n"[i % 35] ^ (i >> 8));
	if (c->mut == MUT_SUM_ZERO) {
		/* Adding ~S to a word makes the sum 0xffff: the checksum computes to 0. */
		assert_true(c->payload_len >= 2 && c->payload_len % 2 == 0);
		udp[8 + c->payload_len - 2] = 0;
		udp[8 + c->payload_len - 1] = 0;
		uint16_t w = rfc1071_udp(addrs, alen, udp, ulen);
		udp[8 + c->payload_len - 2] = (uint8_t)(w >> 8);
		udp[8 + c->payload_len - 1] = (uint8_t)w;
	}
	uint16_t ck = rfc1071_udp(addrs, alen, udp, ulen);
	if (c->mut == MUT_SUM_ZERO)
		assert_int_equal(ck, 0);
	uh->dgram_cksum = htons(ck == 0 ? 0xffff : ck);
	switch (c->mut) {
	case MUT_CKSUM_ZERO:
		uh->dgram_cksum = 0;
		break;
	case MUT_CKSUM_PLUS1:
		uh->dgram_cksum = htons((uint16_t)(ntohs(uh->dgram_cksum) + 1));
		break;
	case MUT_PAYLOAD_FLIP:
		udp[8 + c->payload_len / 2] ^= 0x10;
		break;
	case MUT_UDP_LEN_LONG:
		uh->dgram_len = htons((uint16_t)(ulen + 1));
		break;
	case MUT_IP_CKSUM: {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		ip->hdr_checksum = htons((uint16_t)(ntohs(ip->hdr_checksum) + 1));
		break;
	}
	case MUT_SMAC_BCAST:
		memset(f + 6, 0xff, 6);
		break;
	case MUT_SMAC_MCAST:
		memcpy(f + 6, "\x01\x00\x5e\x00\x00\x01", 6);
		break;
	case MUT_SMAC_ZERO:
		memset(f + 6, 0, 6);
		break;
	case MUT_IHL_PAST_FRAME: {
		/* A whole (DF) UDP datagram to us, cut: the path of a head larger than a buffer. */
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		assert_true(RTE_ETHER_HDR_LEN + 60 > (uint32_t)(udp - f) + ulen);
		ip->version_ihl = 0x4f;
		ip->total_length = htons(1000);
		ip->fragment_offset = htons(0x4000);
		ip->hdr_checksum = 0;
		break;
	}
	default:
		break;
	}
	return (uint32_t)(udp - f) + ulen;
}

static void
run_case(void **state)
{
	const struct pkt_case *c = *state;
	static uint8_t frame[2048];
	struct rte_mbuf m;
	struct dp_meta meta;
	enum dp_counter why = DP_C__COUNT;

	memset(&m, 0, sizeof(m));
	uint32_t len = build(c, frame);
	/* A copy of exactly the frame: the sanitizer builds catch any read past it. */
	uint8_t *exact = malloc(len);
	assert_non_null(exact);
	memcpy(exact, frame, len);
	m.buf_addr = exact;
	m.buf_len = (uint16_t)len;
	m.data_off = 0;
	m.data_len = (uint16_t)len;
	m.pkt_len = len;
	m.nb_segs = 1;
	m.ol_flags = c->rx_flags;

	enum dp_class got = dp_pkt_classify(&m, &loc, &meta, &why);
	free(exact);
	if (got != c->want)
		fail_msg("%s: class %d, expected %d (why: %s)", c->name, got, c->want,
				got == DROP && why < DP_C__COUNT ? dp_counter_name(why) : "-");
	if (c->want == DROP) {
		assert_string_equal(dp_counter_name(why), dp_counter_name(c->why));
		return;
	}
	assert_int_equal(meta.af, c->af);
	assert_int_equal(meta.sport, 5061);
	assert_int_equal(meta.payload_len, c->payload_len);
	assert_int_equal(meta.payload_off, len - c->payload_len);
	/*
	 * A datagram verified here is marked, so a second classification does
	 * not sum again; no other flag changes.
	 */
	if ((c->rx_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == UNKNOWN && c->mut != MUT_CKSUM_ZERO)
		assert_true(m.ol_flags == (c->rx_flags | GOOD));
	else
		assert_true(m.ol_flags == c->rx_flags);
}

/* ---- dp_pkt_finish(): what the workers send ---- */

struct finish_case {
	const char *name;
	uint8_t af;
	uint32_t payload_len;
	unsigned tx_cksum;      /* the port's DP_TX_CKSUM_* */
	bool udp_checksum4;     /* --udp-checksum on (IPv4) */
	uint64_t want_flags;    /* m->ol_flags after */
};

#define IP4 DP_TX_CKSUM_IP4
#define UDP DP_TX_CKSUM_UDP
#define F4 RTE_MBUF_F_TX_IPV4
#define F6 RTE_MBUF_F_TX_IPV6
#define FIP RTE_MBUF_F_TX_IP_CKSUM
#define FUDP RTE_MBUF_F_TX_UDP_CKSUM

static const struct finish_case finish_cases[] = {
	{"v4 summed here", V4, 600, 0, true, 0},
	{"v6 summed here", V6, 600, 0, true, 0},
	{"v4 port sums IP and UDP", V4, 600, IP4 | UDP, true, F4 | FIP | FUDP},
	{"v4 port sums IP and UDP, odd length", V4, 333, IP4 | UDP, true, F4 | FIP | FUDP},
	{"v4 port sums IP and UDP, 1472 bytes", V4, 1472, IP4 | UDP, true, F4 | FIP | FUDP},
	{"v4 port sums IP and UDP, empty payload", V4, 0, IP4 | UDP, true, F4 | FIP | FUDP},
	{"v4 port sums the IP header only", V4, 600, IP4, true, F4 | FIP},
	{"v4 port sums UDP only", V4, 601, UDP, true, F4 | FUDP},
	{"v4 without UDP checksums, port sums both: UDP 0", V4, 600, IP4 | UDP, false, F4 | FIP},
	{"v4 without UDP checksums, summed here: UDP 0", V4, 600, 0, false, 0},
	{"v6 port sums UDP", V6, 600, IP4 | UDP, true, F6 | FUDP},
	{"v6 port sums UDP, odd length", V6, 77, UDP, true, F6 | FUDP},
	{"v6 port sums the IP header only (IPv6 has none): summed here", V6, 600, IP4, true, 0},
	{"v6 with udp_checksum4 off: still summed (RFC 8200)", V6, 600, UDP, false, F6 | FUDP},
};

static const struct rte_ether_addr next_hop_mac = {{0x02, 0x77, 0, 0, 0, 0x20}};

/* The payload at dp_hdr_len(af), dp_pkt_finish() in front; m wraps frame. */
static void
finish_into(const struct finish_case *c, unsigned tx_cksum, uint8_t *frame, size_t cap,
		struct rte_mbuf *m)
{
	struct sip_addr dst = {.af = c->af};
	uint32_t hl = dp_hdr_len(c->af);

	assert_int_equal(inet_pton(c->af == V4 ? AF_INET : AF_INET6, c->af == V4 ? PEER4 : PEER6,
			dst.a), 1);
	memset(frame, 0xa5, cap);
	for (uint32_t i = 0; i < c->payload_len; i++)
		frame[hl + i] = (uint8_t)("SIP/2.0 302 Moved Temporarily\r\n"[i % 31] + (i >> 7));
	memset(m, 0, sizeof(*m));
	m->buf_addr = frame;
	m->buf_len = (uint16_t)cap;
	m->nb_segs = 1;
	loc.udp_checksum4 = c->udp_checksum4;
	dp_pkt_finish(m, &loc, c->af, &next_hop_mac, &dst, 5070, c->payload_len, 0x1234, true,
			tx_cksum);
	loc.udp_checksum4 = true;
	assert_int_equal(m->pkt_len, hl + c->payload_len);
	assert_int_equal(m->data_len, hl + c->payload_len);
}


static void
run_finish(void **state)
{
	const struct finish_case *c = *state;
	static uint8_t sw[2048], hw[2048];
	struct rte_mbuf msw, mhw;
	bool v4 = c->af == V4;
	uint32_t l3 = RTE_ETHER_HDR_LEN, l4 = l3 + (v4 ? 20 : 40);
	uint32_t ulen = 8 + c->payload_len;
	const uint8_t *addrs = sw + l3 + (v4 ? 12 : 8);
	size_t alen = v4 ? 8 : 32;

	finish_into(c, 0, sw, sizeof(sw), &msw);
	finish_into(c, c->tx_cksum, hw, sizeof(hw), &mhw);

	/* Summed here: right by the oracle, and nothing asked of the port. */
	assert_true(msw.ol_flags == 0);
	if (v4)
		assert_int_equal(rfc1071_fold(rfc1071_sum(sw + l3, 20, 0)), 0xffff);
	uint16_t field = (uint16_t)(sw[l4 + 6] << 8 | sw[l4 + 7]);
	if (!v4 || c->udp_checksum4) {
		sw[l4 + 6] = sw[l4 + 7] = 0;
		uint16_t ck = rfc1071_udp(addrs, alen, sw + l4, ulen);
		assert_int_equal(field, ck == 0 ? 0xffff : ck);
		sw[l4 + 6] = (uint8_t)(field >> 8);
		sw[l4 + 7] = (uint8_t)field;
	} else {
		assert_int_equal(field, 0);
	}

	/* Left to the port: asked as DPDK says. */
	if (mhw.ol_flags != c->want_flags)
		fail_msg("%s: ol_flags %#" PRIx64 ", expected %#" PRIx64, c->name, mhw.ol_flags,
				c->want_flags);
	assert_int_equal(mhw.l2_len, RTE_ETHER_HDR_LEN);
	assert_int_equal(mhw.l3_len, v4 ? 20 : 40);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(hw + l4);
	if (c->want_flags & FIP) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(hw + l3);
		assert_int_equal(ip->hdr_checksum, 0);
		/* The NIC's part: the header's sum, complemented. */
		ip->hdr_checksum = htons((uint16_t)~rfc1071_fold(rfc1071_sum(hw + l3, 20, 0)));
	}
	if (c->want_flags & FUDP) {
		/* The pseudo header's sum, as the oracle and as DPDK compute it. */
		uint16_t phdr = rfc1071_fold(rfc1071_sum(addrs, alen, IPPROTO_UDP + ulen));
		assert_int_equal(ntohs(uh->dgram_cksum), phdr);
		if (v4)
			assert_int_equal(uh->dgram_cksum, rte_ipv4_phdr_cksum(
					(const struct rte_ipv4_hdr *)(hw + l3), mhw.ol_flags));
		else
			assert_int_equal(uh->dgram_cksum, rte_ipv6_phdr_cksum(
					(const struct rte_ipv6_hdr *)(hw + l3), mhw.ol_flags));
		/* The NIC's part: the datagram summed over that field, complemented (0: 0xffff). */
		uint16_t done = (uint16_t)~rfc1071_fold(rfc1071_sum(hw + l4, ulen, 0));
		uh->dgram_cksum = htons(done == 0 ? 0xffff : done);
		assert_int_equal(mhw.l4_len, 8);
	}
	/* Completed, the frame is the one summed here, byte for byte. */
	assert_memory_equal(sw, hw, l4 + ulen);
}

int
main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	size_t nf = sizeof(finish_cases) / sizeof(finish_cases[0]);
	struct CMUnitTest *t = calloc(n + nf, sizeof(*t));

	if (t == NULL)
		return 1;
	local_init();
	for (size_t i = 0; i < n; i++) {
		t[i].name = cases[i].name;
		t[i].test_func = run_case;
		t[i].initial_state = (void *)(uintptr_t)&cases[i];
	}
	int failed = _cmocka_run_group_tests("dp_pkt_classify", t, n, NULL, NULL);
	for (size_t i = 0; i < nf; i++) {
		t[n + i].name = finish_cases[i].name;
		t[n + i].test_func = run_finish;
		t[n + i].initial_state = (void *)(uintptr_t)&finish_cases[i];
	}
	failed += _cmocka_run_group_tests("dp_pkt_finish", t + n, nf, NULL, NULL);
	free(t);
	return failed;
}
