/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_pkt.h"

#include <arpa/inet.h>
#include <string.h>

#include "dp_cksum.h"

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A short header's sum (n a multiple of 4, at most 40), inline: no call for 20 bytes. */
static inline uint64_t
sum_short(const void *buf, unsigned n, uint64_t sum)
{
	const unsigned char *p = buf;
	for (unsigned i = 0; i < n; i += 4) {
		uint32_t w;
		memcpy(&w, p + i, 4);
		sum += w;
	}
	return sum;
}

/* The complemented checksum of a sum, in wire order (0 written as 0xffff for UDP). */
static inline uint16_t
final(uint64_t sum)
{
	return (uint16_t)~dp_cksum_fold(sum);
}

/* l4: 0 offloaded, 1 summed here, 2 payload_sum given. */
static uint32_t
finish(uint8_t *frame, const struct gen_flow *f, uint32_t len, int l4, uint64_t payload_sum,
		uint16_t ip_id)
{
	uint8_t *eth = frame;
	memcpy(eth, f->dst_mac, 6);
	memcpy(eth + 6, f->src_mac, 6);
	uint16_t ulen = (uint16_t)(len + 8);
	uint8_t *udp;
	uint64_t pseudo;
	if (!f->v6) {
		put16(eth + 12, 0x0800);
		uint8_t *ip = eth + GEN_ETH_LEN;
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + ulen));
		put16(ip + 4, ip_id);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 17;
		ip[10] = ip[11] = 0;
		memcpy(ip + 12, f->src_ip, 4);
		memcpy(ip + 16, f->dst_ip, 4);
		uint16_t c = final(sum_short(ip, 20, 0));
		memcpy(ip + 10, &c, 2);
		udp = ip + 20;
		uint8_t ph[12];
		memcpy(ph, f->src_ip, 4);
		memcpy(ph + 4, f->dst_ip, 4);
		ph[8] = 0;
		ph[9] = 17;
		put16(ph + 10, ulen);
		pseudo = sum_short(ph, 12, 0);
	} else {
		put16(eth + 12, 0x86dd);
		uint8_t *ip = eth + GEN_ETH_LEN;
		ip[0] = 0x60;
		ip[1] = ip[2] = ip[3] = 0;
		put16(ip + 4, ulen);
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, f->src_ip, 16);
		memcpy(ip + 24, f->dst_ip, 16);
		udp = ip + 40;
		uint8_t ph[8] = {0, 0, (uint8_t)(ulen >> 8), (uint8_t)ulen, 0, 0, 0, 17};
		pseudo = dp_cksum_add(ip + 8, 32, 0);
		pseudo = dp_cksum_add(ph, 8, pseudo);
	}
	put16(udp, f->sport);
	put16(udp + 2, f->dport);
	put16(udp + 4, ulen);
	udp[6] = udp[7] = 0;
	if (l4 != 0) {
		uint64_t sum = l4 == 1 ? dp_cksum_add(udp, ulen, pseudo) :
				dp_cksum_add(udp, 8, pseudo) + payload_sum;
		uint16_t c = final(sum);
		if (c == 0)
			c = 0xffff;
		memcpy(udp + 6, &c, 2);
	} else {
		/* Offload: DPDK wants the pseudo-header sum, not complemented. */
		uint16_t c = dp_cksum_fold(pseudo);
		memcpy(udp + 6, &c, 2);
	}
	return gen_hdr_len(f) + len;
}

uint32_t
gen_pkt_finish(uint8_t *frame, const struct gen_flow *f, uint32_t len, bool l4_cksum,
		uint16_t ip_id)
{
	return finish(frame, f, len, l4_cksum ? 1 : 0, 0, ip_id);
}

uint32_t
gen_pkt_finish_sum(uint8_t *frame, const struct gen_flow *f, uint32_t len, uint64_t payload_sum,
		uint16_t ip_id)
{
	return finish(frame, f, len, 2, payload_sum, ip_id);
}

int
gen_pkt_parse(const uint8_t *frame, uint32_t len, bool verify, struct gen_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	if (len < GEN_ETH_LEN)
		return -1;
	memcpy(rx->dst_mac, frame, 6);
	memcpy(rx->src_mac, frame + 6, 6);
	uint16_t type = get16(frame + 12);
	const uint8_t *ip = frame + GEN_ETH_LEN;
	uint32_t left = len - GEN_ETH_LEN;
	const uint8_t *udp;
	uint32_t ulen;
	if (type == 0x0806) {
		/* Ethernet/IPv4 ARP request: htype 1, ptype 0x0800, hlen 6, plen 4, op 1. */
		if (left < 28 || get16(ip) != 1 || get16(ip + 2) != 0x0800 || ip[4] != 6 ||
				ip[5] != 4 || get16(ip + 6) != 1)
			return -1;
		rx->arp_request = true;
		memcpy(rx->src_mac, ip + 8, 6);
		memcpy(rx->src_ip, ip + 14, 4);
		memcpy(rx->dst_ip, ip + 24, 4);
		return 0;
	}
	if (type == 0x0800) {
		if (left < 20 || (ip[0] >> 4) != 4)
			return -1;
		unsigned ihl = (ip[0] & 15u) * 4;
		uint16_t tot = get16(ip + 2);
		if (ihl < 20 || tot < ihl + 8 || tot > left || ip[9] != 17 ||
				(get16(ip + 6) & 0x3fff) != 0)
			return -1;
		if (verify && dp_cksum_fold(dp_cksum_add(ip, ihl, 0)) != 0xffff)
			return -1;
		memcpy(rx->src_ip, ip + 12, 4);
		memcpy(rx->dst_ip, ip + 16, 4);
		udp = ip + ihl;
		ulen = get16(udp + 4);
		if (ulen < 8 || ulen > tot - ihl)
			return -1;
		if (verify && get16(udp + 6) != 0) {
			uint8_t ph[12];
			memcpy(ph, ip + 12, 8);
			ph[8] = 0;
			ph[9] = 17;
			put16(ph + 10, (uint16_t)ulen);
			if (dp_cksum_fold(dp_cksum_add(udp, ulen, dp_cksum_add(ph, 12, 0))) != 0xffff)
				return -1;
		}
	} else if (type == 0x86dd) {
		if (left < 48 || (ip[0] >> 4) != 6 || ip[6] != 17)
			return -1;
		rx->v6 = true;
		memcpy(rx->src_ip, ip + 8, 16);
		memcpy(rx->dst_ip, ip + 24, 16);
		udp = ip + 40;
		ulen = get16(ip + 4);
		if (ulen < 8 || ulen > left - 40 || get16(udp + 4) != ulen)
			return -1;
		if (verify) {
			uint8_t ph[8] = {0, 0, (uint8_t)(ulen >> 8), (uint8_t)ulen, 0, 0, 0, 17};
			uint64_t s = dp_cksum_add(ip + 8, 32, 0);
			s = dp_cksum_add(ph, 8, s);
			if (get16(udp + 6) == 0 || dp_cksum_fold(dp_cksum_add(udp, ulen, s)) != 0xffff)
				return -1;
		}
	} else {
		return -1;
	}
	rx->sport = get16(udp);
	rx->dport = get16(udp + 2);
	rx->payload = (const char *)udp + 8;
	rx->len = ulen - 8;
	return 0;
}

/* An Ethernet/IPv4 ARP frame (op 1 request, 2 reply) into out: its length. */
static uint32_t
arp_frame(uint8_t *out, const uint8_t eth_dst[6], uint16_t op, const uint8_t sha[6],
		const uint8_t spa[4], const uint8_t tha[6], const uint8_t tpa[4])
{
	memcpy(out, eth_dst, 6);
	memcpy(out + 6, sha, 6);
	put16(out + 12, 0x0806);
	uint8_t *a = out + GEN_ETH_LEN;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	return GEN_ETH_LEN + 28;
}

uint32_t
gen_arp_reply(const struct gen_rx *rx, const uint8_t *frame, const uint8_t mac[6], uint8_t *out)
{
	(void)frame;
	return arp_frame(out, rx->src_mac, 2, mac, rx->dst_ip, rx->src_mac, rx->src_ip);
}

uint32_t
gen_arp_request(const uint8_t mac[6], const uint8_t src_ip[4], const uint8_t ip[4], uint8_t *out)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, none[6];
	return arp_frame(out, bcast, 1, mac, src_ip, none, ip);
}

bool
gen_arp_is_reply_from(const uint8_t *frame, uint32_t len, const uint8_t ip[4], uint8_t mac[6])
{
	const uint8_t *a = frame + GEN_ETH_LEN;
	if (len < GEN_ETH_LEN + 28 || get16(frame + 12) != 0x0806 || get16(a + 6) != 2 ||
			memcmp(a + 14, ip, 4) != 0)
		return false;
	memcpy(mac, a + 8, 6);
	return true;
}
