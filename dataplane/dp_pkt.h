/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_PKT_H
#define DP_PKT_H

/*
 * Frames in and out of the workers: classify what arrives (ours: SIP over
 * UDP to our address and port; the kernel's: everything else that is for
 * us; nobody's) and put Ethernet/IP/UDP headers around payloads we built.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dp_counters.h"
#include "sip_addr.h"

/* Who we are on the wire. */
struct dp_local {
	struct rte_ether_addr mac;
	struct sip_addr addr4;   /* af NONE if unused */
	struct sip_addr addr6;
	struct sip_addr bcast4;  /* addr4's subnet broadcast, af NONE if none (/31, /32) */
	uint16_t port;           /* SIP port, network order in port_be */
	uint16_t port_be;
	bool udp_checksum4;      /* compute UDP checksums over IPv4 */
};

enum dp_class {
	DP_PKT_SIP = 0,  /* UDP to our address and SIP port: the fast path's */
	DP_PKT_PUNT,     /* for us, but the kernel's (ARP, ICMP, TCP, fragments...) */
	DP_PKT_DROP,     /* not for us, or malformed (*why says which counter) */
	/*
	 * An IPv4 fragment of a UDP datagram to our address (any port: only
	 * the first fragment says): dp_reasm_input()'s. meta->payload_off is
	 * the IP header's offset.
	 */
	DP_PKT_FRAG,
	/*
	 * The head of a SIP datagram to us larger than a buffer (dp_reasm.c,
	 * flagged dp_pkt_head_flag): meta as for DP_PKT_SIP, payload_len what
	 * the buffer holds. A request gets 513, nothing else is answered.
	 */
	DP_PKT_SIP_HEAD,
};

/* The mbuf flag of DP_PKT_SIP_HEAD frames (dp_reasm_init_flag()); 0: none registered. */
extern uint64_t dp_pkt_head_flag;

/* Where a frame came from and where its UDP payload is. */
struct dp_meta {
	struct sip_addr src;
	uint16_t sport;          /* host order */
	uint8_t af;              /* SIP_AF_INET / SIP_AF_INET6 */
	uint16_t payload_off;    /* from the start of the frame */
	uint16_t payload_len;
	struct rte_ether_addr smac;
};

/* Data room of our mbufs: frames (and datagrams) up to 4 KiB; af_packet needs framesz=4096. */
#define DP_MBUF_DATA_ROOM 4096
/* Largest frame the wire takes without fragmentation (Ethernet MTU 1500 + header). */
#define DP_WIRE_MAX_FRAME (RTE_ETHER_MTU + RTE_ETHER_HDR_LEN)

/* Headers we put in front of a payload. */
#define DP_HDR_LEN4 (RTE_ETHER_HDR_LEN + 20 + 8)
#define DP_HDR_LEN6 (RTE_ETHER_HDR_LEN + 40 + 8)

/*
 * Which of the three a frame is; for DP_PKT_SIP, where it came from and
 * where its payload is (meta); for DP_PKT_DROP, the drop counter (why).
 * Checksums the port vouched for (m->ol_flags: IP and L4 GOOD, or NONE)
 * are not summed again; BAD is dropped. Only m's RX checksum flags may
 * change (set GOOD once the UDP checksum was verified here).
 */
enum dp_class dp_pkt_classify(struct rte_mbuf *m, const struct dp_local *loc,
		struct dp_meta *meta, enum dp_counter *why);

/*
 * Checksums the port a frame is sent on computes (dp_port_setup() enables
 * the offloads it has): dp_pkt_finish() then leaves them to it.
 */
#define DP_TX_CKSUM_IP4 (1u << 0)  /* IPv4 header checksum */
#define DP_TX_CKSUM_UDP (1u << 1)  /* UDP checksum, over IPv4 and IPv6 */

/*
 * m holds a UDP payload of len bytes starting hdr_len(af) bytes into its
 * data (the caller wrote it there); write the Ethernet, IP and UDP headers
 * in front, from our address and SIP port to dst:dport via dmac, and set
 * the lengths. ip_id is the IPv4 identification to use; df sets IPv4's
 * don't-fragment flag (cleared for packets the kernel must fragment).
 *
 * tx_cksum (DP_TX_CKSUM_*): what the port that sends m computes. Those
 * checksums are left to it as DPDK asks: RTE_MBUF_F_TX_IPV4/IPV6 and
 * RTE_MBUF_F_TX_IP_CKSUM / RTE_MBUF_F_TX_UDP_CKSUM in m->ol_flags, IPv4
 * hdr_checksum 0, the UDP checksum field holding the pseudo-header sum;
 * the rest are computed here. 0 for every frame that is fragmented after
 * this (no port sums across fragments) or leaves by another way (the
 * kernel): those get every checksum here. Without loc->udp_checksum4 an
 * IPv4 datagram carries none (0) either way.
 */
void dp_pkt_finish(struct rte_mbuf *m, const struct dp_local *loc, uint8_t af,
		const struct rte_ether_addr *dmac, const struct sip_addr *dst, uint16_t dport,
		uint32_t len, uint16_t ip_id, bool df, unsigned tx_cksum);

static inline uint16_t
dp_hdr_len(uint8_t af)
{
	return af == SIP_AF_INET6 ? DP_HDR_LEN6 : DP_HDR_LEN4;
}

#endif
