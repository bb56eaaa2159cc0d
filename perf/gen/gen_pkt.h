/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_PKT_H
#define GEN_PKT_H

/*
 * Frames of sipline-gen: Ethernet + IPv4 or IPv6 + UDP around a SIP
 * payload, checksums computed in software (dataplane/core/dp_cksum.h, the
 * router's own SIMD sum) unless the port offloads them; and the reverse,
 * reading what comes back. No DPDK here: unit tests check the frames with
 * DPDK's own verifiers.
 */

#include <stdbool.h>
#include <stdint.h>

#define GEN_ETH_LEN 14
#define GEN_HDR4 (GEN_ETH_LEN + 20 + 8)
#define GEN_HDR6 (GEN_ETH_LEN + 40 + 8)

struct gen_flow {
	bool v6;
	uint8_t src_mac[6], dst_mac[6];
	uint8_t src_ip[16], dst_ip[16];  /* IPv4: the first 4 bytes */
	uint16_t sport, dport;           /* host order */
};

static inline unsigned
gen_hdr_len(const struct gen_flow *f)
{
	return f->v6 ? GEN_HDR6 : GEN_HDR4;
}

/*
 * The payload of len bytes is already at frame + gen_hdr_len(f): write the
 * headers in front of it. l4_cksum false: leave the UDP checksum to the
 * port (it must then be offloaded, with the pseudo-header sum written, as
 * DPDK expects: gen_pkt_pseudo). Returns the frame length.
 */
uint32_t gen_pkt_finish(uint8_t *frame, const struct gen_flow *f, uint32_t len, bool l4_cksum,
		uint16_t ip_id);

/*
 * The same with the payload's checksum sum already known (a prepared
 * template's gen_tmpl_sum()): the payload is not read again.
 */
uint32_t gen_pkt_finish_sum(uint8_t *frame, const struct gen_flow *f, uint32_t len,
		uint64_t payload_sum, uint16_t ip_id);

/* What a received frame holds. */
struct gen_rx {
	bool v6;
	bool arp_request;            /* an ARP request (then only tpa/spa/sha below) */
	uint8_t src_mac[6], dst_mac[6];
	uint8_t src_ip[16], dst_ip[16];
	uint16_t sport, dport;
	const char *payload;
	uint32_t len;
};

/*
 * Parse frame[0..len): 0 for an ARP request or a well-formed UDP datagram
 * (IP and UDP checksums verified when verify), -1 for anything else.
 */
int gen_pkt_parse(const uint8_t *frame, uint32_t len, bool verify, struct gen_rx *rx);

/* An ARP reply to rx (an ARP request for ip) with mac into out (≥ 42 bytes): its length. */
uint32_t gen_arp_reply(const struct gen_rx *rx, const uint8_t *frame, const uint8_t mac[6],
		uint8_t *out);
/* An ARP request for ip from (mac, src_ip) into out: its length. */
uint32_t gen_arp_request(const uint8_t mac[6], const uint8_t src_ip[4], const uint8_t ip[4],
		uint8_t *out);
/* If frame is an ARP reply from ip: its sender's MAC into mac, true. */
bool gen_arp_is_reply_from(const uint8_t *frame, uint32_t len, const uint8_t ip[4],
		uint8_t mac[6]);

#endif
