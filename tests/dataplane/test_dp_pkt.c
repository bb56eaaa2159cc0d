/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The L2/L3/L4 classifier of the workers (dataplane/dp_pkt.c): UDP
 * checksums (verified unless the port vouched, 0 allowed over IPv4 only)
 * and martian sources (IPv4-mapped IPv6 included). One named row per case:
 * a frame from a builder, the port's RX checksum flags, one mutation, the
 * class and drop counter expected. Frames sit in a plain buffer wrapped in
 * a stack mbuf: no EAL needed. The checksums of the frames are computed
 * here byte by byte (RFC 1071), independently of dataplane/dp_cksum.h.
 */
#include <arpa/inet.h>
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
};

struct pkt_case {
	const char *name;
	uint8_t af;             /* SIP_AF_INET or SIP_AF_INET6 */
	const char *src;        /* source address */
	uint32_t payload_len;
	enum mutation mut;
	uint64_t rx_flags;      /* the port's RTE_MBUF_F_RX_L4_CKSUM_* */
	enum dp_class want;
	enum dp_counter why;    /* for DP_PKT_DROP */
};

#define UNKNOWN RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN
#define GOOD RTE_MBUF_F_RX_L4_CKSUM_GOOD
#define BAD RTE_MBUF_F_RX_L4_CKSUM_BAD
#define NONE RTE_MBUF_F_RX_L4_CKSUM_NONE
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

/* RFC 1071, big-endian 16-bit words, byte by byte: the oracle. */
static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
udp_cksum(const uint8_t *addrs, size_t alen, const uint8_t *udp, size_t ulen)
{
	uint32_t s = sum16(addrs, alen, 0) + IPPROTO_UDP + (uint32_t)ulen;
	s = sum16(udp, ulen, s);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
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
		uint16_t w = udp_cksum(addrs, alen, udp, ulen);
		udp[8 + c->payload_len - 2] = (uint8_t)(w >> 8);
		udp[8 + c->payload_len - 1] = (uint8_t)w;
	}
	uint16_t ck = udp_cksum(addrs, alen, udp, ulen);
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
	m.buf_addr = frame;
	m.buf_len = sizeof(frame);
	m.data_off = 0;
	m.data_len = (uint16_t)len;
	m.pkt_len = len;
	m.nb_segs = 1;
	m.ol_flags = c->rx_flags;

	enum dp_class got = dp_pkt_classify(&m, &loc, &meta, &why);
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
	/* A datagram verified here is marked, so a second classification does not sum again. */
	if (c->rx_flags == UNKNOWN && c->mut != MUT_CKSUM_ZERO)
		assert_true((m.ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == GOOD);
	else
		assert_true(m.ol_flags == c->rx_flags);
}

int
main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	struct CMUnitTest *t = calloc(n, sizeof(*t));

	if (t == NULL)
		return 1;
	local_init();
	for (size_t i = 0; i < n; i++) {
		t[i].name = cases[i].name;
		t[i].test_func = run_case;
		t[i].initial_state = (void *)(uintptr_t)&cases[i];
	}
	int failed = _cmocka_run_group_tests("dp_pkt_classify", t, n, NULL, NULL);
	free(t);
	return failed;
}
