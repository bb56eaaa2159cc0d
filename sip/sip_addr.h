/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_ADDR_H
#define SIP_ADDR_H

/*
 * IP addresses as they appear in SIP text (hosts, received=, maddr=), parsed
 * without libc's inet_pton so views need no NUL terminator.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sip_str.h"

enum sip_af {
	SIP_AF_NONE = 0,
	SIP_AF_INET = 4,
	SIP_AF_INET6 = 6,
};

struct sip_addr {
	uint8_t af;       /* enum sip_af */
	uint8_t a[16];    /* network order; IPv4 in a[0..3] */
};

/* Dotted-quad IPv4 (each part 0..255, 1..3 digits). 0 or -1. */
int sip_ipv4_parse(const char *p, size_t len, uint8_t out[4]);
/* A dotted quad at the start of [*pp, end): 0 and *pp past it, or -1 (*pp unchanged). */
int sip_ipv4_scan(const char **pp, const char *end, uint8_t out[4]);
/*
 * IPv6 text (RFC 4291 §2.2, with an optional trailing dotted quad), without
 * brackets. strict=false also takes the RFC 3261 ABNF form with three
 * colons before a dotted quad ("2001:db8:::192.0.2.1", RFC 5118 §4.10),
 * read as if it had two. 0 or -1.
 */
int sip_ipv6_parse(const char *p, size_t len, uint8_t out[16], bool strict);
/* IPv4, bare IPv6 or bracketed IPv6. 0 or -1. */
int sip_addr_parse(struct sip_str s, struct sip_addr *out);
/*
 * Text form (IPv6 without brackets, compressed). Returns the length, or 0
 * if cap is too small; NUL-terminated when cap has room for it (a text of
 * exactly cap bytes is not).
 */
size_t sip_addr_format(const struct sip_addr *a, char *out, size_t cap);

/*
 * Same family and address (IPv4: a[0..3]; otherwise all 16 bytes). Inline,
 * as fixed-size integer compares: the fast path asks it several times a
 * packet (forbidden destinations, our own address), where a memcmp() of a
 * length known only at run time was a libc call each time.
 */
static inline bool
sip_addr_eq(const struct sip_addr *a, const struct sip_addr *b)
{
	if (a->af != b->af)
		return false;
	if (a->af == SIP_AF_INET) {
		uint32_t x, y;
		memcpy(&x, a->a, 4);
		memcpy(&y, b->a, 4);
		return x == y;
	}
	uint64_t x[2], y[2];
	memcpy(x, a->a, 16);
	memcpy(y, b->a, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}
/*
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it
 * stands for (a dual-stack socket sends there); any other unchanged.
 */
struct sip_addr sip_addr_unmapped(const struct sip_addr *a);
/*
 * Broadcast, multicast, loopback, unspecified, "this network" (in IPv4 or
 * IPv4-mapped form), IPv4-compatible IPv6 (::a.b.c.d, deprecated): never
 * a next hop.
 */
bool sip_addr_is_forbidden_dst(const struct sip_addr *a);

#endif
