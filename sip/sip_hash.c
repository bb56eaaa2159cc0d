/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_hash.h"

#include <string.h>

#define K0 0xa0761d6478bd642full
#define K1 0xe7037ed1a0b428dbull
#define K2 0x8ebc6af09c88c6e3ull
#define K3 0x589965cc75374cc3ull

/* 64x64 -> 128 multiply folded back to 64 bits: the mixing step. */
static inline uint64_t
mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t
rd64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

uint64_t
sip_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	const size_t total = len;
	uint64_t h = seed ^ mix(len ^ K0, K1);

	while (len >= 16) {
		h = mix(rd64(p) ^ K1 ^ h, rd64(p + 8) ^ K2);
		p += 16;
		len -= 16;
	}
	if (len >= 8) {
		h = mix(rd64(p) ^ K1 ^ h, K3);
		p += 8;
		len -= 8;
	}
	if (len) {
		/*
		 * The last 1..7 bytes as a little-endian word, zero above them.
		 * With 8 bytes or more in all, one load ending at the last byte,
		 * shifted down (the bytes before p are the input's too): the same
		 * word as copying them, without a variable-length memcpy().
		 */
		_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
				"the shifted load below is the copy's word on little-endian hosts only");
		uint64_t t = 0;
		if (total >= 8)
			t = rd64(p + len - 8) >> (8 * (8 - len));
		else
			memcpy(&t, p, len);
		h = mix(t ^ K2 ^ h, K3 ^ len);
	}
	return mix(h ^ K0, K1 ^ seed);
}
