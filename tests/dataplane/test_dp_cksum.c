/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Internet checksum's variants (dataplane/core/dp_cksum*.c) against a
 * byte-by-byte RFC 1071 sum: every length from 0 to 1600 bytes at every
 * alignment, random contents, all-ones contents (the most carries), with
 * and without a running sum, flush against guard pages; and the variant
 * picked at start-up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_cksum.h"
#include "guard.h"

/* RFC 1071, folded to 16 bits, as little-endian words (DPDK's convention). */
static uint16_t
oracle(const uint8_t *p, size_t len, uint32_t start)
{
	uint64_t s = start;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
	if (len & 1)
		s += p[len - 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

typedef uint64_t sum_fn(const void *, size_t, uint64_t);

static void
check(const char *name, sum_fn *fn, uint8_t fill)
{
	static uint8_t buf[1600 + 64];
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = fill ? fill : (uint8_t)(seed >> 56);
	}
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len <= 1600; len++) {
			uint32_t start = (uint32_t)(len * 2654435761u) & 0xfffff;
			uint16_t want = oracle(buf + off, len, start);
			uint16_t got = dp_cksum_fold(fn(buf + off, len, start));
			if (got != want)
				fail_msg("%s: offset %zu length %zu fill %u: %04x, expected %04x", name,
						off, len, fill, got, want);
		}
	}
}

static void
test_variants(void **state)
{
	(void)state;
	check("sse2", dp_cksum_add_sse2, 0);
	check("sse2", dp_cksum_add_sse2, 0xff);
	if (!__builtin_cpu_supports("avx2")) {
		/* Nothing else to compare on this CPU; the dispatcher must not pick it. */
		assert_string_equal(dp_cksum_variant(), "sse2");
		return;
	}
	check("avx2", dp_cksum_add_avx2, 0);
	check("avx2", dp_cksum_add_avx2, 0xff);
}

static void
test_dispatch(void **state)
{
	(void)state;
	const char *picked = dp_cksum_variant();
	assert_string_equal(picked, __builtin_cpu_supports("avx2") ? "avx2" : "sse2");
	assert_int_equal(dp_cksum_use("sse2"), 0);
	assert_string_equal(dp_cksum_variant(), "sse2");
	check("dispatched sse2", dp_cksum_add, 0);
	assert_int_equal(dp_cksum_use("nonsense"), -1);
	assert_int_equal(dp_cksum_use(picked), 0);
	check("dispatched", dp_cksum_add, 0);
}

/*
 * Buffers longer than any packet: the AVX2 loop sums 32-bit lanes in blocks
 * of 4,096 steps of 128 bytes (512 KiB) and must carry every block over
 * exactly, with all-ones words (the largest lane sums) and random ones.
 */
static void
test_long(void **state)
{
	(void)state;
	static const size_t lens[] = {
		524287, 524288, 524288 + 1, 524288 + 128 + 7, 1048576, 1048576 + 200, 1600003,
	};
	size_t cap = 1600003 + 8;
	uint8_t *buf = malloc(cap);
	assert_non_null(buf);
	for (unsigned fill = 0; fill < 3; fill++) {
		uint64_t seed = 12345 + fill;
		for (size_t i = 0; i < cap; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = fill == 0 ? 0xff : fill == 1 ? (uint8_t)(seed >> 56) :
				(uint8_t)(i & 1 ? 0x7f : 0xff);
		}
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			uint16_t want = oracle(buf + 1, lens[k], 77);
			if (dp_cksum_fold(dp_cksum_add_sse2(buf + 1, lens[k], 77)) != want)
				fail_msg("sse2: length %zu fill %u", lens[k], fill);
			if (__builtin_cpu_supports("avx2") &&
					dp_cksum_fold(dp_cksum_add_avx2(buf + 1, lens[k], 77)) != want)
				fail_msg("avx2: length %zu fill %u", lens[k], fill);
		}
	}
	free(buf);
}

/*
 * Every variant reads only the bytes it is given: buffers of every length
 * up to 700 flush against a guard page after them and against one before
 * them (a read outside faults), sums equal to the oracle.
 */
static void
test_guard_pages(void **state)
{
	(void)state;
	struct guard_buf g;
	uint8_t src[700];
	uint64_t seed = 0x2545f4914f6cdd1dull;

	assert_int_equal(guard_init(&g, sizeof(src)), 0);
	for (size_t i = 0; i < sizeof(src); i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		src[i] = (uint8_t)(seed >> 56);
	}
	sum_fn *fns[] = {dp_cksum_add_sse2, __builtin_cpu_supports("avx2") ? dp_cksum_add_avx2 :
		dp_cksum_add_sse2};
	for (size_t len = 0; len <= sizeof(src); len++) {
		uint16_t want = oracle(src, len, 5);
		for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
			const void *back = guard_put(&g, src, len);
			if (dp_cksum_fold(fns[f](back, len, 5)) != want)
				fail_msg("variant %zu, length %zu, at the back guard", f, len);
			const void *front = guard_put_front(&g, src, len);
			if (dp_cksum_fold(fns[f](front, len, 5)) != want)
				fail_msg("variant %zu, length %zu, at the front guard", f, len);
		}
	}
	guard_fini(&g);
}

/* The inline path for pseudo-header addresses (lengths known at compile time). */
static void
test_inline_small(void **state)
{
	(void)state;
	uint8_t buf[40];
	for (unsigned round = 0; round < 1000; round++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(round * 131u + i * 29u + (round >> 3));
		if (round % 7 == 0)
			memset(buf, 0xff, sizeof(buf));
		uint32_t start = round * 40503u;
		for (size_t off = 0; off < 8; off++) {
			assert_int_equal(dp_cksum_fold(dp_cksum_add(buf + off, 8, start)),
					oracle(buf + off, 8, start));
			assert_int_equal(dp_cksum_fold(dp_cksum_add(buf + off, 16, start)),
					oracle(buf + off, 16, start));
			assert_int_equal(dp_cksum_fold(dp_cksum_add(buf + off, 32, start)),
					oracle(buf + off, 32, start));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_inline_small),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_guard_pages),
	};
	return cmocka_run_group_tests_name("dp_cksum", tests, NULL, NULL);
}
