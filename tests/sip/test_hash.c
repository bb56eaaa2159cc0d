/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sip_hash64() (sip_hash.h): the values it gives are part of behaviour (a
 * call's gateway and worker follow its Call-ID's hash, so a changed hash
 * moves CANCELs and ACKs away from their INVITE across an upgrade), and it
 * reads only the bytes it is given, at every length, however they lie
 * against a page boundary.
 */
#include <string.h>

#include "sip_test.h"

#include "sip_hash.h"

/*
 * The hash as first written (the tail copied byte by byte into a word):
 * the oracle for the faster tail in sip_hash.c.
 */
#define K0 0xa0761d6478bd642full
#define K1 0xe7037ed1a0b428dbull
#define K2 0x8ebc6af09c88c6e3ull
#define K3 0x589965cc75374cc3ull

static uint64_t
ref_mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t
ref_word(const unsigned char *p, size_t n)
{
	uint64_t w = 0;
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

static uint64_t
ref_hash(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ ref_mix(len ^ K0, K1);

	for (; len >= 16; p += 16, len -= 16)
		h = ref_mix(ref_word(p, 8) ^ K1 ^ h, ref_word(p + 8, 8) ^ K2);
	if (len >= 8) {
		h = ref_mix(ref_word(p, 8) ^ K1 ^ h, K3);
		p += 8;
		len -= 8;
	}
	if (len)
		h = ref_mix(ref_word(p, len) ^ K2 ^ h, K3 ^ len);
	return ref_mix(h ^ K0, K1 ^ seed);
}

/* Call-ID hashes as released: a change here moves calls between gateways. */
static void
callid_values_pinned(void **state)
{
	(void)state;
	static const struct {
		const char *callid;
		uint64_t hash;
	} pinned[] = {
		{"", 0xda5b9978628fb15eull},
		{"a", 0x8fa24c1cb76954fcull},
		{"abc@host", 0xd7f7fc99c604b356ull},
		{"a84b4c76e66710@pc33.atlanta.example.com", 0xa3fdca99f82b7e5dull},
		{"0123456789abcde", 0xdb35f5991cb139caull},
		{"0123456789abcdef0", 0x6aff539cf94869d2ull},
	};
	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		struct sip_str s = sip_str_make(pinned[i].callid, strlen(pinned[i].callid));
		if (sip_callid_hash(s) != pinned[i].hash)
			fail_msg("Call-ID \"%s\": %016llx, released %016llx", pinned[i].callid,
					(unsigned long long)sip_callid_hash(s),
					(unsigned long long)pinned[i].hash);
	}
}

/*
 * Every length 0..96, the input flush against the page after it and against
 * the page before it (a read outside faults), equal to the oracle for
 * several seeds; and every byte counts.
 */
static void
every_length_at_guard_pages(void **state)
{
	(void)state;
	static const uint64_t seeds[] = {0, 0x5349504c494e4531ull, ~0ull};
	unsigned char in[96];
	uint32_t x = 0x9e3779b9u;

	for (size_t i = 0; i < sizeof(in); i++) {
		x = x * 1664525u + 1013904223u;
		in[i] = (unsigned char)(x >> 24);
	}
	for (size_t len = 0; len <= sizeof(in); len++) {
		const char *back = guard_put(test_slot(0), in, len);
		const char *front = guard_put_front(test_slot(1), in, len);
		for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
			uint64_t want = ref_hash(in, len, seeds[s]);
			if (sip_hash64(back, len, seeds[s]) != want ||
					sip_hash64(front, len, seeds[s]) != want)
				fail_msg("length %zu, seed %zu: differs from the oracle", len, s);
		}
		for (size_t b = 0; b < len; b++) {
			unsigned char t[sizeof(in)];
			memcpy(t, in, len);
			t[b] ^= 0x01;
			if (sip_hash64(t, len, 0) == ref_hash(in, len, 0))
				fail_msg("length %zu: byte %zu does not count", len, b);
		}
	}
}

int
test_group_hash(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(callid_values_pinned),
		cmocka_unit_test(every_length_at_guard_pages),
	};
	return cmocka_run_group_tests_name("sip_hash", tests, NULL, NULL);
}
