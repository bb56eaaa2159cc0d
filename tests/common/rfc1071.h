/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_RFC1071_H
#define TEST_RFC1071_H

/*
 * The Internet checksum (RFC 1071) the slow and obvious way, byte by byte
 * over big-endian 16-bit words: the oracle the dataplane's checksums are
 * held to (tests/dataplane/test_dp_pkt.c, tests/fuzz/fuzz_pkt.c), written
 * independently of dataplane/core/dp_cksum.h.
 */

#include <stddef.h>
#include <stdint.h>

#ifndef IPPROTO_UDP
#define IPPROTO_UDP 17
#endif

/* s plus the words of p[0..n) (an odd last byte padded with zero), unfolded. */
static inline uint32_t
rfc1071_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/* Folded to 16 bits, not complemented. */
static inline uint16_t
rfc1071_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The UDP checksum field's value before the 0 -> 0xffff rule: complemented sum of
 * the pseudo header (addrs: source then destination) and ulen bytes at udp. */
static inline uint16_t
rfc1071_udp(const uint8_t *addrs, size_t alen, const uint8_t *udp, size_t ulen)
{
	return (uint16_t)~rfc1071_fold(rfc1071_sum(udp, ulen,
			rfc1071_sum(addrs, alen, 0) + IPPROTO_UDP + (uint32_t)ulen));
}

#endif
