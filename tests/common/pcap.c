/* SPDX-License-Identifier: BSD-3-Clause */
#include "pcap.h"

#include <stdbool.h>
#include <string.h>

enum {
	LT_NULL = 0,
	LT_ETHERNET = 1,
	LT_RAW = 101,
	LT_LOOP = 108,
	LT_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_SLL2 = 276,
};

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p, bool swap)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
	return swap ? __builtin_bswap32(v) : v;
}

static uint16_t
rd16(const uint8_t *p, bool swap)
{
	uint16_t v = (uint16_t)(p[0] | p[1] << 8);
	return swap ? __builtin_bswap16(v) : v;
}

/* UDP inside an IP packet p[0..len); 1 and *u if found. */
static int
ip_udp(const uint8_t *p, size_t len, struct pcap_udp *u)
{
	uint8_t proto;
	size_t off;

	if (len < 1)
		return 0;
	if ((p[0] >> 4) == 4) {
		if (len < 20)
			return 0;
		off = (size_t)(p[0] & 0xf) * 4;
		/* Fragments carry part of a datagram: not a whole message. */
		if (off < 20 || off > len || (be16(p + 6) & 0x3fff) != 0)
			return 0;
		proto = p[9];
		size_t tot = be16(p + 2);
		if (tot >= off && tot < len)
			len = tot;
	} else if ((p[0] >> 4) == 6) {
		if (len < 40)
			return 0;
		size_t plen = be16(p + 4);
		if (40 + plen < len)
			len = 40 + plen;
		proto = p[6];
		off = 40;
		/* Hop-by-hop, routing and destination options headers. */
		while ((proto == 0 || proto == 43 || proto == 60) && off + 8 <= len) {
			proto = p[off];
			off += 8 + (size_t)p[off + 1] * 8;
		}
		if (proto == 44 || off > len)
			return 0;
	} else {
		return 0;
	}
	if (proto != 17 || len - off < 8)
		return 0;
	const uint8_t *h = p + off;
	size_t ulen = be16(h + 4);
	size_t avail = len - off;
	if (ulen < 8)
		return 0;
	if (ulen > avail)
		ulen = avail; /* truncated capture: keep what was captured */
	u->sport = be16(h);
	u->dport = be16(h + 2);
	u->payload = h + 8;
	u->len = ulen - 8;
	return 1;
}

static int
frame_udp(uint32_t linktype, const uint8_t *p, size_t len, struct pcap_udp *u)
{
	size_t off;
	uint16_t et;

	switch (linktype) {
	case LT_ETHERNET:
		if (len < 14)
			return 0;
		et = be16(p + 12);
		off = 14;
		while ((et == 0x8100 || et == 0x88a8) && off + 4 <= len) {
			et = be16(p + off + 2);
			off += 4;
		}
		break;
	case LT_SLL:
		if (len < 16)
			return 0;
		et = be16(p + 14);
		off = 16;
		break;
	case LT_SLL2:
		if (len < 20)
			return 0;
		et = be16(p);
		off = 20;
		break;
	case LT_NULL:
	case LT_LOOP:
		return len > 4 ? ip_udp(p + 4, len - 4, u) : 0;
	case LT_RAW:
	case LT_IPV4:
	case LT_IPV6:
		return ip_udp(p, len, u);
	default:
		return 0;
	}
	if ((et != 0x0800 && et != 0x86dd) || off > len)
		return 0;
	return ip_udp(p + off, len - off, u);
}

static int
read_pcap(const uint8_t *cap, size_t len, bool swap, pcap_udp_fn fn, void *ctx)
{
	uint32_t linktype = rd32(cap + 20, swap);
	size_t off = 24;
	unsigned index = 0;
	int n = 0;

	while (off + 16 <= len) {
		size_t incl = rd32(cap + off + 8, swap);
		off += 16;
		if (incl > len - off)
			break;
		struct pcap_udp u;
		if (frame_udp(linktype, cap + off, incl, &u)) {
			u.index = index;
			fn(&u, ctx);
			n++;
		}
		off += incl;
		index++;
	}
	return n;
}

#define MAX_IFACES 16

static int
read_pcapng(const uint8_t *cap, size_t len, pcap_udp_fn fn, void *ctx)
{
	uint32_t linktypes[MAX_IFACES];
	unsigned n_if = 0, index = 0;
	bool swap = false;
	size_t off = 0;
	int n = 0;

	while (off + 12 <= len) {
		uint32_t type = rd32(cap + off, false);
		if (type == 0x0a0d0d0a) {
			/* Section header: its byte-order magic says how to read the section. */
			swap = rd32(cap + off + 8, false) != 0x1a2b3c4d;
			n_if = 0;
		} else {
			type = swap ? __builtin_bswap32(type) : type;
		}
		size_t blen = rd32(cap + off + 4, swap);
		if (blen < 12 || blen > len - off)
			break;
		const uint8_t *b = cap + off + 8; /* block body */
		size_t body = blen - 12;

		if (type == 1 && body >= 8 && n_if < MAX_IFACES) {
			linktypes[n_if++] = rd16(b, swap);
		} else if (type == 6 && body >= 20) {
			uint32_t ifc = rd32(b, swap);
			size_t incl = rd32(b + 12, swap);
			struct pcap_udp u;
			if (ifc < n_if && incl <= body - 20 &&
					frame_udp(linktypes[ifc], b + 20, incl, &u)) {
				u.index = index;
				fn(&u, ctx);
				n++;
			}
			index++;
		} else if (type == 3 && body >= 4 && n_if > 0) {
			/* Simple packet block: interface 0, captured length = block. */
			struct pcap_udp u;
			if (frame_udp(linktypes[0], b + 4, body - 4, &u)) {
				u.index = index;
				fn(&u, ctx);
				n++;
			}
			index++;
		}
		off += blen;
	}
	return n;
}

int
pcap_udp_foreach(const uint8_t *cap, size_t len, pcap_udp_fn fn, void *ctx)
{
	if (len < 24)
		return -1;
	uint32_t magic = rd32(cap, false);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		return read_pcap(cap, len, false, fn, ctx);
	if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		return read_pcap(cap, len, true, fn, ctx);
	if (magic == 0x0a0d0d0a)
		return read_pcapng(cap, len, fn, ctx);
	return -1;
}
