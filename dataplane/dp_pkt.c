/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_pkt.h"

#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dp_cksum.h"

#define IPV4_DF 0x4000
#define IPV4_MF_OFFSET 0x3fff /* more-fragments flag and fragment offset */
#define DP_IP_TTL 64

static inline bool
is_our_mac_or_group(const struct rte_ether_addr *dst, const struct dp_local *loc)
{
	/* Broadcast and multicast (ARP, ND) are for the kernel too. */
	return rte_is_same_ether_addr(dst, &loc->mac) || rte_is_multicast_ether_addr(dst);
}

/*
 * A source MAC with the group bit (the first byte's lowest, as sent) or
 * all zero: one 64-bit load of the source address and the EtherType
 * after it (both inside the header), little-endian, its low 48 bits.
 */
static inline bool
group_or_zero_source(const struct rte_ether_hdr *eth)
{
	uint64_t w;

	memcpy(&w, &eth->src_addr, sizeof(w));
	w &= 0xffffffffffffull;
	return (w & 1) != 0 || w == 0;
}

/*
 * The UDP checksum of a datagram to us, unless the port vouched for it:
 * GOOD, or NONE (its integrity was verified but the field holds a partial
 * sum: virtio from a local guest). Ports that do not check (af_packet,
 * pcap, ring, memif) say UNKNOWN: summed here over the pseudo header
 * (addrs: source and destination, adjacent in both IP headers) and the
 * datagram. Once verified the mbuf says GOOD, so the worker does not sum
 * again what the --spread callid dispatcher checked.
 */
static inline __attribute__((always_inline)) bool
udp_cksum_bad(struct rte_mbuf *m, const void *addrs, uint32_t addrs_len,
		const struct rte_udp_hdr *udp, uint32_t ulen)
{
	uint64_t sum;

	switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
	case RTE_MBUF_F_RX_L4_CKSUM_NONE:
		return false;
	case RTE_MBUF_F_RX_L4_CKSUM_BAD:
		return true;
	default:
		break;
	}
	sum = dp_cksum_add(addrs, addrs_len, 0);
	sum += rte_cpu_to_be_16(IPPROTO_UDP) + rte_cpu_to_be_16((uint16_t)ulen);
	sum = dp_cksum_add(udp, ulen, sum);
	/* The sum over a correct datagram, checksum included, is all ones. */
	if (dp_cksum_fold(sum) != 0xffff)
		return true;
	m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD; /* UNKNOWN is 0 */
	return false;
}

/*
 * The IPv4 header checksum of a frame to us, unless the port vouched for
 * it (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM): GOOD, or NONE (the header's
 * integrity verified, the field not meaningful), as udp_cksum_bad() reads
 * the L4 flags. BAD is refused; UNKNOWN (ports that do not check) is
 * summed here: rte_ipv4_cksum() complements the sum, 0 over a correct
 * header, checksum included.
 */
static inline bool
ip4_cksum_bad(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
	case RTE_MBUF_F_RX_IP_CKSUM_NONE:
		return false;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return true;
	default:
		return rte_ipv4_cksum(ip) != 0;
	}
}

/*
 * IPv4-mapped (::ffff:a.b.c.d) addresses never appear on the wire (RFC 4291
 * 2.5.5.2, RFC 6890: neither source nor destination; Linux drops such
 * sources): one is spoofed, and a dual-stack socket answering it would send
 * to the IPv4 address inside, which may be ours, our subnet's broadcast or
 * loopback.
 */
static inline bool
v4_mapped(const struct sip_addr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return a->af == SIP_AF_INET6 && memcmp(a->a, mapped, sizeof(mapped)) == 0;
}

/*
 * A source no host sends from (broadcast, multicast, loopback, unspecified,
 * IPv4-mapped, our own addresses, our subnet's broadcast): spoofed, and
 * whatever we answered would go there.
 */
static inline bool
martian(const struct sip_addr *src, const struct dp_local *loc)
{
	return sip_addr_is_forbidden_dst(src) || v4_mapped(src) ||
		sip_addr_eq(src, &loc->addr4) || sip_addr_eq(src, &loc->addr6) ||
		sip_addr_eq(src, &loc->bcast4);
}

/* An IPv4 SIP datagram's meta: false (why set) if its source is a martian. */
static inline bool
meta4(struct dp_meta *meta, const struct dp_local *loc, const struct rte_ipv4_hdr *ip,
		const struct rte_udp_hdr *udp, uint32_t payload_off, uint32_t payload_len,
		enum dp_counter *why)
{
	meta->af = SIP_AF_INET;
	meta->src.af = SIP_AF_INET;
	memcpy(meta->src.a, &ip->src_addr, 4);
	if (martian(&meta->src, loc)) {
		*why = DP_C_DROP_MARTIAN;
		return false;
	}
	meta->sport = rte_be_to_cpu_16(udp->src_port);
	meta->payload_off = (uint16_t)payload_off;
	meta->payload_len = (uint16_t)payload_len;
	return true;
}

/*
 * The head of a datagram larger than a buffer: made by dp_reasm.c from
 * fragments that passed classify4() (our address, header checksum) and
 * whose UDP checksum it verified over the whole datagram (only the IP
 * header was rewritten since: checked again, cheaply), or a datagram the
 * port's frame size cut (its UDP checksum unverifiable). Rare either way.
 * A head too short for the UDP header, or not to our SIP port, is dropped
 * as truncated.
 */
static enum dp_class
classify4_head(struct rte_mbuf *m, const struct dp_local *loc, uint32_t off, uint32_t ihl,
		struct dp_meta *meta, enum dp_counter *why)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, off);
	const struct rte_udp_hdr *udp;
	uint32_t tot = rte_be_to_cpu_16(ip->total_length);

	*why = DP_C_DROP_L3;
	if (loc->addr4.af != SIP_AF_INET || memcmp(&ip->dst_addr, loc->addr4.a, 4) != 0 ||
			ip4_cksum_bad(m, ip) || ip->next_proto_id != IPPROTO_UDP)
		return DP_PKT_DROP;
	*why = DP_C_DROP_TRUNCATED;
	if (len < off + ihl + sizeof(*udp))
		return DP_PKT_DROP;
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, off + ihl);
	if (udp->dst_port != loc->port_be || rte_be_to_cpu_16(udp->dgram_len) != tot - ihl)
		return DP_PKT_DROP;
	if (!meta4(meta, loc, ip, udp, off + ihl + sizeof(*udp), len - (off + ihl + sizeof(*udp)),
			why))
		return DP_PKT_DROP;
	return DP_PKT_SIP_HEAD;
}

static enum dp_class
classify4(struct rte_mbuf *m, const struct dp_local *loc, uint32_t off,
		struct dp_meta *meta, enum dp_counter *why)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;

	if (len < off + sizeof(*ip))
		goto bad_l3;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, off);
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
	uint32_t tot = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < 20 || tot < ihl)
		goto bad_l3;
	if (off + tot > len) {
		/* The header, options included, must be in the frame before anything sums it. */
		if (off + ihl > len)
			goto bad_l3;
		/*
		 * The head of a datagram larger than a buffer: from dp_reasm.c
		 * (checksum verified over the whole), or a whole datagram the
		 * port's frame cut (af_packet hands over datagrams the kernel
		 * reassembled, cut at framesz). A request there gets 513 rather
		 * than silence; its checksum cannot be verified, but the reply
		 * goes to the source of a checked IP header and is smaller than
		 * what was received. Anything else (a cut fragment: no header
		 * to trust) is dropped, counted.
		 */
		if ((m->ol_flags & dp_pkt_head_flag) ||
				((ip->fragment_offset & RTE_BE16(IPV4_MF_OFFSET)) == 0 &&
				ip->next_proto_id == IPPROTO_UDP && loc->addr4.af == SIP_AF_INET &&
				memcmp(&ip->dst_addr, loc->addr4.a, 4) == 0))
			return classify4_head(m, loc, off, ihl, meta, why);
		*why = DP_C_DROP_TRUNCATED;
		return DP_PKT_DROP;
	}
	if (loc->addr4.af != SIP_AF_INET || memcmp(&ip->dst_addr, loc->addr4.a, 4) != 0) {
		/* Broadcast/multicast IP (DHCP, mDNS...) is the kernel's business. */
		const uint8_t *d = (const uint8_t *)&ip->dst_addr;
		if (d[0] >= 224 || (d[0] == 255 && d[3] == 255))
			return DP_PKT_PUNT;
		*why = DP_C_DROP_L3;
		return DP_PKT_DROP;
	}
	if (ip4_cksum_bad(m, ip))
		goto bad_l3;
	/* One branch for datagrams that are whole and UDP; fragments and the rest are rare. */
	if (unlikely((ip->fragment_offset & RTE_BE16(IPV4_MF_OFFSET)) != 0 ||
			ip->next_proto_id != IPPROTO_UDP)) {
		if (ip->next_proto_id != IPPROTO_UDP)
			return DP_PKT_PUNT; /* non-UDP fragments too: the kernel's */
		meta->payload_off = (uint16_t)off;
		return DP_PKT_FRAG;
	}
	if (tot < ihl + sizeof(*udp))
		goto bad_l4;
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, off + ihl);
	if (udp->dst_port != loc->port_be)
		return DP_PKT_PUNT;
	uint32_t ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (ulen < sizeof(*udp) || ulen > tot - ihl)
		goto bad_l4;
	/* 0: the sender computed none, which IPv4 allows (RFC 768). */
	if (udp->dgram_cksum != 0 && udp_cksum_bad(m, &ip->src_addr, 8, udp, ulen))
		goto bad_cksum;

	if (!meta4(meta, loc, ip, udp, off + ihl + sizeof(*udp), ulen - sizeof(*udp), why))
		return DP_PKT_DROP;
	return DP_PKT_SIP;
bad_l3:
	*why = DP_C_DROP_L3;
	return DP_PKT_DROP;
bad_l4:
	*why = DP_C_DROP_L4;
	return DP_PKT_DROP;
bad_cksum:
	*why = DP_C_DROP_UDP_CHECKSUM;
	return DP_PKT_DROP;
}

static enum dp_class
classify6(struct rte_mbuf *m, const struct dp_local *loc, uint32_t off,
		struct dp_meta *meta, enum dp_counter *why)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	const struct rte_ipv6_hdr *ip;
	const struct rte_udp_hdr *udp;

	if (len < off + sizeof(*ip))
		goto bad_l3;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, off);
	uint32_t plen = rte_be_to_cpu_16(ip->payload_len);
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
		goto bad_l3;
	if (off + sizeof(*ip) + plen > len) {
		*why = DP_C_DROP_TRUNCATED;
		return DP_PKT_DROP;
	}
	if (ip->dst_addr[0] == 0xff)
		return DP_PKT_PUNT; /* multicast: neighbour discovery and friends */
	if (loc->addr6.af != SIP_AF_INET6 || memcmp(ip->dst_addr, loc->addr6.a, 16) != 0) {
		/* Link-local unicast (ND to fe80::) is the kernel's. */
		if (ip->dst_addr[0] == 0xfe && (ip->dst_addr[1] & 0xc0) == 0x80)
			return DP_PKT_PUNT;
		*why = DP_C_DROP_L3;
		return DP_PKT_DROP;
	}
	/* Extension headers (fragments included) and ICMPv6: the kernel's. */
	if (ip->proto != IPPROTO_UDP)
		return DP_PKT_PUNT;
	if (plen < sizeof(*udp))
		goto bad_l4;
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, off + sizeof(*ip));
	if (udp->dst_port != loc->port_be)
		return DP_PKT_PUNT;
	uint32_t ulen = rte_be_to_cpu_16(udp->dgram_len);
	if (ulen < sizeof(*udp) || ulen > plen)
		goto bad_l4;
	/* IPv6 has no "no checksum" (RFC 8200 8.1): 0 is refused whatever the port says. */
	if (udp->dgram_cksum == 0 || udp_cksum_bad(m, ip->src_addr, 32, udp, ulen))
		goto bad_cksum;

	meta->af = SIP_AF_INET6;
	meta->src.af = SIP_AF_INET6;
	memcpy(meta->src.a, ip->src_addr, 16);
	if (martian(&meta->src, loc)) {
		*why = DP_C_DROP_MARTIAN;
		return DP_PKT_DROP;
	}
	meta->sport = rte_be_to_cpu_16(udp->src_port);
	meta->payload_off = (uint16_t)(off + sizeof(*ip) + sizeof(*udp));
	meta->payload_len = (uint16_t)(ulen - sizeof(*udp));
	return DP_PKT_SIP;
bad_l3:
	*why = DP_C_DROP_L3;
	return DP_PKT_DROP;
bad_l4:
	*why = DP_C_DROP_L4;
	return DP_PKT_DROP;
bad_cksum:
	*why = DP_C_DROP_UDP_CHECKSUM;
	return DP_PKT_DROP;
}

enum dp_class
dp_pkt_classify(struct rte_mbuf *m, const struct dp_local *loc, struct dp_meta *meta,
		enum dp_counter *why)
{
	const struct rte_ether_hdr *eth;

	/* Multi-segment frames are rare for SIP over UDP: the kernel copes with them. */
	if (m->nb_segs != 1)
		return DP_PKT_PUNT;
	if (rte_pktmbuf_data_len(m) < sizeof(*eth)) {
		*why = DP_C_DROP_L2;
		return DP_PKT_DROP;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!is_our_mac_or_group(&eth->dst_addr, loc)) {
		*why = DP_C_DROP_L2;
		return DP_PKT_DROP;
	}
	/*
	 * A source MAC is an individual address (IEEE 802): a group (broadcast,
	 * multicast) or zero one is forged, and a reply, which goes back to
	 * the request's source MAC, would reach every host on the segment.
	 */
	if (unlikely(group_or_zero_source(eth))) {
		*why = DP_C_DROP_MARTIAN;
		return DP_PKT_DROP;
	}
	meta->smac = eth->src_addr;
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return classify4(m, loc, sizeof(*eth), meta, why);
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return classify6(m, loc, sizeof(*eth), meta, why);
	default:
		/* ARP, VLAN-tagged and anything else: the kernel decides. */
		return DP_PKT_PUNT;
	}
}

void
dp_pkt_finish(struct rte_mbuf *m, const struct dp_local *loc, uint8_t af,
		const struct rte_ether_addr *dmac, const struct sip_addr *dst, uint16_t dport,
		uint32_t len, uint16_t ip_id, bool df, unsigned tx_cksum)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_udp_hdr *udp;
	uint32_t hl = dp_hdr_len(af);
	uint32_t ulen = (uint32_t)sizeof(*udp) + len;
	uint64_t sum;
	bool udp_sum = af == SIP_AF_INET6 || loc->udp_checksum4;
	bool udp_port = udp_sum && (tx_cksum & DP_TX_CKSUM_UDP);

	eth->dst_addr = *dmac;
	eth->src_addr = loc->mac;
	if (af == SIP_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + ulen));
		ip->packet_id = rte_cpu_to_be_16(ip_id);
		ip->fragment_offset = df ? RTE_BE16(IPV4_DF) : 0;
		ip->time_to_live = DP_IP_TTL;
		ip->next_proto_id = IPPROTO_UDP;
		ip->hdr_checksum = 0;
		memcpy(&ip->src_addr, loc->addr4.a, 4);
		memcpy(&ip->dst_addr, dst->a, 4);
		if (tx_cksum & DP_TX_CKSUM_IP4)
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		else
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = (struct rte_udp_hdr *)(ip + 1);
		/* pseudo header: addresses, protocol, UDP length (RFC 768) */
		sum = dp_cksum_add(&ip->src_addr, 8, 0);
		if (udp_port)
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
		ip->vtc_flow = RTE_BE32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)ulen);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = DP_IP_TTL;
		memcpy(ip->src_addr, loc->addr6.a, 16);
		memcpy(ip->dst_addr, dst->a, 16);
		udp = (struct rte_udp_hdr *)(ip + 1);
		sum = dp_cksum_add(ip->src_addr, 32, 0);
		if (udp_port)
			m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
	}
	sum += rte_cpu_to_be_16(IPPROTO_UDP) + rte_cpu_to_be_16((uint16_t)ulen);
	udp->src_port = loc->port_be;
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)ulen);
	udp->dgram_cksum = 0;
	if (udp_port) {
		/*
		 * The port sums the datagram from the UDP header on, this field
		 * included, and writes the complement: it must hold the pseudo
		 * header's sum, not complemented (what rte_ipv4_phdr_cksum() and
		 * rte_ipv6_phdr_cksum() give).
		 */
		udp->dgram_cksum = dp_cksum_fold(sum);
	} else if (udp_sum) {
		sum = dp_cksum_add(udp, ulen, sum);
		uint16_t ck = (uint16_t)~dp_cksum_fold(sum);
		udp->dgram_cksum = ck == 0 ? 0xffff : ck; /* 0 means "none" in UDP */
	}
	m->data_len = (uint16_t)(hl + len);
	m->pkt_len = hl + len;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = af == SIP_AF_INET ? 20 : 40;
	/* DPDK asks no l4_len for UDP; net_tap sums a copy of l2_len + l3_len + l4_len bytes. */
	m->l4_len = udp_port ? sizeof(*udp) : 0;
}
