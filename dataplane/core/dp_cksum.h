/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_CKSUM_H
#define DP_CKSUM_H

/*
 * Internet checksum (RFC 1071) for the packets we build. af_packet and tap
 * offer no checksum offload, and DPDK's rte_raw_cksum() measured ~265
 * cycles for 600 bytes here. Summing 32-bit words into 64-bit accumulators
 * (no carry is lost before 2^32 words), with SSE2 for the bulk, does it in
 * a fraction of that.
 * Results use DPDK's convention: the 16-bit sum of the bytes as stored,
 * read as little-endian words, so it can be written back unchanged.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>


/*
 * The baseline (SSE2) sum; dp_cksum_add() takes the best variant for the
 * CPU, chosen once at start-up (dp_cksum.c). Variants must agree exactly:
 * tests/dataplane/test_dp_cksum.c checks them against a byte-by-byte sum.
 */
uint64_t dp_cksum_add_sse2(const void *buf, size_t len, uint64_t sum);
#ifdef __x86_64__
uint64_t dp_cksum_add_avx2(const void *buf, size_t len, uint64_t sum);
#endif

/* The variant in use ("avx2", "sse2"), and a way to force one (tests): 0 or -1. */
const char *dp_cksum_variant(void);
int dp_cksum_use(const char *name);

extern uint64_t (*dp_cksum_bulk)(const void *buf, size_t len, uint64_t sum);

/*
 * Sum of buf[0..len) added to sum (not folded). A length known at compile
 * time to be a small multiple of 8 (a pseudo-header's addresses) is summed
 * inline: a call and a tail for 8 bytes cost more than the bytes. Always
 * inlined: the test needs the caller's constant, and LTO does not always keep it.
 */
__attribute__((always_inline)) static inline uint64_t
dp_cksum_add(const void *buf, size_t len, uint64_t sum)
{
	if (__builtin_constant_p(len) && len <= 32 && len % 8 == 0) {
		const unsigned char *p = buf;
		for (size_t i = 0; i < len; i += 8) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			sum += (w & 0xffffffffu) + (w >> 32);
		}
		return sum;
	}
	return dp_cksum_bulk(buf, len, sum);
}

/* Fold to 16 bits (not complemented). */
static inline uint16_t
dp_cksum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif
