/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the workers' L2-L4 classifier (dataplane/dp_pkt.c,
 * dp_pkt_classify()): what a hostile frame can make the worker take for a
 * SIP datagram, hand to reassembly or to the kernel.
 *
 * The first input byte picks the port's RX checksum flags (L4 and IP:
 * UNKNOWN, BAD, GOOD, NONE), whether the frame carries the reassembly's
 * head flag, and whether the IPv4 header checksum and the UDP checksum are
 * made right before the frame is classified (so that the fuzzer reaches
 * what lies behind them). The rest is the frame, in a heap buffer of
 * exactly its length: the sanitizers catch any read past it.
 *
 * Whatever the frame, the verdict must hold (checked against the frame
 * here, independently of the classifier):
 *   - SIP: to our MAC or a group, from an individual, non-zero MAC; the
 *     IP destination is ours and the UDP destination port our SIP port;
 *     the source is no martian (forbidden, IPv4-mapped, one of ours); the
 *     payload lies inside the frame right after the UDP header, as long
 *     as the UDP length says, inside the IP datagram; the UDP checksum,
 *     unless the flags vouched for it, is right by an RFC 1071 sum made
 *     here (0, "none", only over IPv4);
 *   - SIP_HEAD: IPv4 to us, the payload from after the UDP header to the
 *     end of the frame;
 *   - FRAG: an IPv4 fragment (or a frame that claims to be one) to us;
 *   - DROP: a counter in range;
 *   - m->ol_flags unchanged, but for the L4 GOOD flag a verified sum sets.
 * A broken invariant aborts, so libFuzzer saves the input.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dp_pkt.h"
#include "rfc1071.h"

/* dp_reasm.c registers a dynamic flag; here any bit the RX flags do not use. */
uint64_t dp_pkt_head_flag = 1ull << 30;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dp_local loc;
static bool ready;

static const uint64_t l4_flags[4] = {
	RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, RTE_MBUF_F_RX_L4_CKSUM_BAD,
	RTE_MBUF_F_RX_L4_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_NONE,
};
static const uint64_t ip_flags[4] = {
	RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, RTE_MBUF_F_RX_IP_CKSUM_BAD,
	RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_IP_CKSUM_NONE,
};

static void
fail(const char *why)
{
	fprintf(stderr, "fuzz_pkt: invariant broken: %s\n", why);
	abort();
}

static void
setup(void)
{
	loc.mac = (struct rte_ether_addr){{0x02, 0x77, 0, 0, 0, 0x01}};
	loc.addr4.af = SIP_AF_INET;
	inet_pton(AF_INET, "10.77.0.1", loc.addr4.a);
	loc.bcast4.af = SIP_AF_INET;
	inet_pton(AF_INET, "10.77.0.255", loc.bcast4.a);
	loc.addr6.af = SIP_AF_INET6;
	inet_pton(AF_INET6, "fd00:77::1", loc.addr6.a);
	loc.port = 5060;
	loc.port_be = htons(5060);
	loc.udp_checksum4 = true;
	ready = true;
}

static bool
martian(const struct sip_addr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return sip_addr_is_forbidden_dst(a) ||
		(a->af == SIP_AF_INET6 && memcmp(a->a, mapped, sizeof(mapped)) == 0) ||
		sip_addr_eq(a, &loc.addr4) || sip_addr_eq(a, &loc.addr6) ||
		sip_addr_eq(a, &loc.bcast4);
}

/*
 * Where the IP header, the UDP header and the datagram's address pair
 * are, if the frame holds them: the fix-ups' and the checks' view.
 */
struct view {
	uint8_t af;
	uint32_t ihl;        /* IP header length */
	uint32_t ip_len;     /* IPv4 total length, or 40 + IPv6 payload length */
	uint8_t *udp;        /* NULL if the frame ends before it */
	uint8_t *addrs;      /* source then destination */
	size_t alen;
};

static void
view_of(uint8_t *f, size_t len, struct view *v)
{
	memset(v, 0, sizeof(*v));
	if (len < RTE_ETHER_HDR_LEN + 20)
		return;
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
	uint8_t *ip = f + RTE_ETHER_HDR_LEN;
	if (type == RTE_ETHER_TYPE_IPV4 && ip[0] >> 4 == 4) {
		v->af = SIP_AF_INET;
		v->ihl = (ip[0] & 15u) * 4;
		v->ip_len = (uint32_t)(ip[2] << 8 | ip[3]);
		v->addrs = ip + 12;
		v->alen = 8;
	} else if (type == RTE_ETHER_TYPE_IPV6 && len >= RTE_ETHER_HDR_LEN + 40 &&
			ip[0] >> 4 == 6) {
		v->af = SIP_AF_INET6;
		v->ihl = 40;
		v->ip_len = 40 + (uint32_t)(ip[4] << 8 | ip[5]);
		v->addrs = ip + 8;
		v->alen = 32;
	} else {
		return;
	}
	if (v->ihl >= 20 && RTE_ETHER_HDR_LEN + v->ihl + 8 <= len)
		v->udp = ip + v->ihl;
}

/* What the fuzzer may ask for: right checksums, so the paths behind them are reached. */
static void
fix_sums(uint8_t *f, size_t len, const struct view *v, bool ip_sum, bool l4_sum)
{
	uint8_t *ip = f + RTE_ETHER_HDR_LEN;

	if (l4_sum && v->udp != NULL) {
		size_t ulen = (size_t)(v->udp[4] << 8 | v->udp[5]);
		if (ulen >= 8 && v->udp + ulen <= f + len) {
			v->udp[6] = v->udp[7] = 0;
			uint16_t ck = rfc1071_udp(v->addrs, v->alen, v->udp, ulen);
			if (ck == 0)
				ck = 0xffff;
			v->udp[6] = (uint8_t)(ck >> 8);
			v->udp[7] = (uint8_t)ck;
		}
	}
	if (ip_sum && v->af == SIP_AF_INET && RTE_ETHER_HDR_LEN + v->ihl <= len) {
		ip[10] = ip[11] = 0;
		uint16_t ck = (uint16_t)~rfc1071_fold(rfc1071_sum(ip, v->ihl, 0));
		ip[10] = (uint8_t)(ck >> 8);
		ip[11] = (uint8_t)ck;
	}
}

static bool
ours(const struct view *v)
{
	const uint8_t *dst = v->addrs + v->alen / 2;
	return v->af == SIP_AF_INET ? memcmp(dst, loc.addr4.a, 4) == 0 :
		memcmp(dst, loc.addr6.a, 16) == 0;
}

static void
check_l2(const uint8_t *f, const struct dp_meta *meta)
{
	const struct rte_ether_addr *dst = (const void *)f, *src = (const void *)(f + 6);

	if (!rte_is_same_ether_addr(dst, &loc.mac) && !rte_is_multicast_ether_addr(dst))
		fail("taken: not to our MAC or a group");
	if (rte_is_multicast_ether_addr(src) || rte_is_zero_ether_addr(src))
		fail("taken: from a group or zero MAC, where a reply would go");
	if (!rte_is_same_ether_addr(&meta->smac, src))
		fail("source MAC not the frame's");
}

static void
check_sip(const uint8_t *f, size_t len, const struct view *v, const struct dp_meta *meta,
		uint64_t flags, bool head)
{
	check_l2(f, meta);
	if (v->af == 0 || v->udp == NULL || meta->af != v->af)
		fail("taken: not a UDP datagram of its family");
	if (!ours(v))
		fail("taken: IP destination not ours");
	if (head && v->af != SIP_AF_INET)
		fail("head of an IPv6 datagram");
	if (v->udp[2] != loc.port >> 8 || v->udp[3] != (loc.port & 0xff))
		fail("taken: not to our SIP port");
	if (meta->sport != (uint16_t)(v->udp[0] << 8 | v->udp[1]))
		fail("source port not the datagram's");
	struct sip_addr src = {.af = v->af};
	memcpy(src.a, v->addrs, v->alen / 2);
	if (!sip_addr_eq(&src, &meta->src))
		fail("source address not the datagram's");
	if (martian(&src))
		fail("taken from a martian source");
	size_t off = (size_t)(v->udp - f) + 8;
	if (meta->payload_off != off)
		fail("payload not right after the UDP header");
	if ((size_t)meta->payload_off + meta->payload_len > len)
		fail("payload past the frame");
	uint64_t ipf = flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (v->af == SIP_AF_INET && ipf == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		fail("taken though the port said the IP header is bad");
	if (v->af == SIP_AF_INET && ipf == RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN &&
			rfc1071_fold(rfc1071_sum(f + RTE_ETHER_HDR_LEN, v->ihl, 0)) != 0xffff)
		fail("taken with a wrong IPv4 header checksum");
	if (head) {
		if ((size_t)meta->payload_off + meta->payload_len != len)
			fail("head payload not up to the frame's end");
		return;
	}
	size_t ulen = (size_t)(v->udp[4] << 8 | v->udp[5]);
	if (ulen < 8 || meta->payload_len != ulen - 8)
		fail("payload length not the UDP length's");
	if (v->ihl + ulen > v->ip_len || RTE_ETHER_HDR_LEN + v->ip_len > len)
		fail("datagram past the IP packet or the frame");
	uint64_t l4 = flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	bool zero = v->udp[6] == 0 && v->udp[7] == 0;
	if (zero && v->af != SIP_AF_INET)
		fail("IPv6 datagram without a checksum taken");
	/* Over IPv4, 0 is "no checksum" (RFC 768): nothing for the port to find bad. */
	if (l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD && !zero)
		fail("taken though the port said its checksum is bad");
	/* The sum over a right datagram, its checksum included, is all ones: complemented, 0. */
	if (l4 == RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN && !zero &&
			rfc1071_udp(v->addrs, v->alen, v->udp, ulen) != 0)
		fail("taken with a wrong UDP checksum");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	if (size < 1 || size > DP_MBUF_DATA_ROOM + 1)
		return 0;
	uint8_t opt = data[0];
	size_t len = size - 1;
	uint8_t *f = malloc(len ? len : 1);
	if (f == NULL)
		return 0;
	memcpy(f, data + 1, len);

	struct view v;
	view_of(f, len, &v);
	fix_sums(f, len, &v, opt & 0x20, opt & 0x40);

	uint64_t flags = l4_flags[opt & 3] | ip_flags[(opt >> 2) & 3] |
		(opt & 0x10 ? dp_pkt_head_flag : 0);
	struct rte_mbuf m;
	memset(&m, 0, sizeof(m));
	m.buf_addr = f;
	m.buf_len = (uint16_t)len;
	m.data_len = (uint16_t)len;
	m.pkt_len = (uint32_t)len;
	m.nb_segs = (opt & 0x80) ? 2 : 1;
	m.ol_flags = flags;

	struct dp_meta meta;
	memset(&meta, 0xa5, sizeof(meta));
	enum dp_counter why = DP_C__COUNT;
	enum dp_class c = dp_pkt_classify(&m, &loc, &meta, &why);

	uint64_t added = m.ol_flags & ~flags;
	if ((m.ol_flags & flags) != flags || (added != 0 && added != RTE_MBUF_F_RX_L4_CKSUM_GOOD))
		fail("RX flags changed beyond L4 GOOD");
	if (added != 0 && c != DP_PKT_SIP && c != DP_PKT_DROP)
		fail("L4 GOOD set on a frame not summed for us");
	if (m.nb_segs != 1 && c != DP_PKT_PUNT)
		fail("a multi-segment frame not left to the kernel");
	switch (c) {
	case DP_PKT_SIP:
		check_sip(f, len, &v, &meta, flags, false);
		break;
	case DP_PKT_SIP_HEAD:
		check_sip(f, len, &v, &meta, flags, true);
		break;
	case DP_PKT_FRAG:
		check_l2(f, &meta);
		if (v.af != SIP_AF_INET || !ours(&v) || meta.payload_off != RTE_ETHER_HDR_LEN)
			fail("fragment not IPv4 to us at the IP header");
		break;
	case DP_PKT_DROP:
		if (why >= DP_C__COUNT)
			fail("drop without a counter");
		break;
	case DP_PKT_PUNT:
		break;
	default:
		fail("unknown class");
	}
	free(f);
	return 0;
}
