/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source token buckets (dataplane/core/dp_srclimit.c) on a fake clock
 * of 1000 ticks per second: refill, burst, bans and their expiry, bounded
 * memory and eviction under a flood of sources, the top offenders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dp_srclimit.h"

#define HZ 1000u /* ticks: milliseconds */

static struct sip_addr
v4(uint32_t x)
{
	struct sip_addr a = {.af = SIP_AF_INET};
	a.a[0] = (uint8_t)(x >> 24);
	a.a[1] = (uint8_t)(x >> 16);
	a.a[2] = (uint8_t)(x >> 8);
	a.a[3] = (uint8_t)x;
	return a;
}

static enum dp_srclimit_verdict
check(struct dp_srclimit *t, struct sip_addr a, uint64_t now)
{
	bool ev;
	return dp_srclimit_check(t, &a, now, &ev);
}

static void
test_invalid(void **state)
{
	(void)state;
	assert_null(dp_srclimit_new(&(struct dp_srclimit_cfg){.rate = 0, .burst = 1, .hz = HZ}));
	assert_null(dp_srclimit_new(&(struct dp_srclimit_cfg){.rate = 1, .burst = 0, .hz = HZ}));
	assert_null(dp_srclimit_new(&(struct dp_srclimit_cfg){.rate = 1, .burst = 1, .hz = 0}));
	assert_null(dp_srclimit_new(&(struct dp_srclimit_cfg){.rate = 1, .burst = 1, .hz = HZ,
			.entries = DP_SRCLIMIT_MAX_ENTRIES + 1}));
	struct dp_srclimit *t = dp_srclimit_new(&(struct dp_srclimit_cfg){.rate = 1, .burst = 1,
			.hz = HZ, .entries = 100});
	assert_non_null(t);
	assert_int_equal(dp_srclimit_capacity(t), 128); /* rounded up to a power of two */
	dp_srclimit_free(t);
}

/* rate 10/s, burst 5, no ban: the excess is dropped, the rest passes. */
static void
test_refill(void **state)
{
	(void)state;
	struct dp_srclimit *t = dp_srclimit_new(&(struct dp_srclimit_cfg){
		.rate = 10, .burst = 5, .hz = HZ, .entries = 64, .seed = 1});
	struct sip_addr a = v4(0xc0000201);
	assert_non_null(t);

	for (int i = 0; i < 5; i++)
		assert_int_equal(check(t, a, 1000), DP_SRC_PASS);
	assert_int_equal(check(t, a, 1000), DP_SRC_OVER);
	assert_int_equal(check(t, a, 1050), DP_SRC_OVER);  /* half a token */
	assert_int_equal(check(t, a, 1100), DP_SRC_PASS);  /* 100 ms: one token */
	assert_int_equal(check(t, a, 1100), DP_SRC_OVER);
	/* A long silence refills to the burst, not beyond. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(check(t, a, 100000), DP_SRC_PASS);
	assert_int_equal(check(t, a, 100000), DP_SRC_OVER);

	/* Sustained at exactly the rate: every packet passes. */
	uint64_t now = 200000;
	for (int i = 0; i < 1000; i++, now += 100)
		assert_int_equal(check(t, a, now), DP_SRC_PASS);
	/* At twice the rate: about half are dropped once the burst is spent. */
	unsigned pass = 0;
	for (int i = 0; i < 1000; i++, now += 50)
		pass += check(t, a, now) == DP_SRC_PASS;
	assert_in_range(pass, 500, 506);

	struct dp_srclimit_top top[4];
	assert_int_equal(dp_srclimit_top(t, now, top, 4), 1);
	assert_int_equal(top[0].bans, 0);
	assert_int_equal(top[0].ban_left_ms, 0);
	assert_true(top[0].drops >= 494 + 4);
	dp_srclimit_free(t);
}

/* A source over its rate is dropped for the ban, then starts with a full bucket. */
static void
test_ban_expiry(void **state)
{
	(void)state;
	struct dp_srclimit *t = dp_srclimit_new(&(struct dp_srclimit_cfg){
		.rate = 10, .burst = 3, .ban_s = 2, .hz = HZ, .entries = 64, .seed = 7});
	struct sip_addr bad = v4(0x0a000001), good = v4(0x0a000002);
	assert_non_null(t);
	assert_true(dp_srclimit_banning(t));

	for (int i = 0; i < 3; i++)
		assert_int_equal(check(t, bad, 5000), DP_SRC_PASS);
	assert_int_equal(check(t, bad, 5000), DP_SRC_OVER);
	/* Banned for 2 s, even at a rate it would be allowed; the ban is not extended. */
	for (uint64_t now = 5000; now < 7000; now += 250)
		assert_int_equal(check(t, bad, now), DP_SRC_BANNED);
	/* Another source is unaffected meanwhile. */
	assert_int_equal(check(t, good, 6000), DP_SRC_PASS);

	struct dp_srclimit_top top[4];
	assert_int_equal(dp_srclimit_top(t, 6500, top, 4), 1);
	assert_memory_equal(top[0].src.a, bad.a, 4);
	assert_int_equal(top[0].bans, 1);
	assert_int_equal(top[0].ban_left_ms, 500);
	assert_int_equal(top[0].drops, 1 + 8);

	/* After the ban: a full bucket again, and over it a new ban. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(check(t, bad, 7000), DP_SRC_PASS);
	assert_int_equal(check(t, bad, 7000), DP_SRC_OVER);
	assert_int_equal(check(t, bad, 8999), DP_SRC_BANNED);
	assert_int_equal(check(t, bad, 9000), DP_SRC_PASS);
	assert_int_equal(dp_srclimit_top(t, 9000, top, 4), 1);
	assert_int_equal(top[0].bans, 2);
	assert_int_equal(top[0].ban_left_ms, 0);
	dp_srclimit_free(t);
}

/*
 * A flood of 200,000 one-shot sources through a 1024-entry table: memory
 * stays what it was, the table never holds more than its capacity, and a
 * banned source that keeps sending (seen recently) is never evicted, so
 * its ban holds throughout.
 */
static void
test_flood_bounded(void **state)
{
	(void)state;
	struct dp_srclimit *t = dp_srclimit_new(&(struct dp_srclimit_cfg){
		.rate = 5, .burst = 5, .ban_s = 3600, .hz = HZ, .entries = 1024, .seed = 42});
	struct sip_addr bad = v4(0xcb007101);
	uint64_t bytes = dp_srclimit_bytes(t);
	unsigned evictions = 0;
	assert_non_null(t);
	assert_true(bytes < 1024 * 80 + 4096);

	for (int i = 0; i < 5; i++)
		assert_int_equal(check(t, bad, 0), DP_SRC_PASS);
	assert_int_equal(check(t, bad, 0), DP_SRC_OVER);
	for (uint32_t i = 0; i < 200000; i++) {
		bool ev;
		struct sip_addr s = v4(0x64000000u + i);
		assert_int_equal(dp_srclimit_check(t, &s, 1 + i / 100, &ev), DP_SRC_PASS);
		evictions += ev;
		if (i % 4 == 0)
			assert_int_equal(check(t, bad, 1 + i / 100), DP_SRC_BANNED);
		assert_true(dp_srclimit_used(t) <= dp_srclimit_capacity(t));
	}
	assert_int_equal(dp_srclimit_used(t), dp_srclimit_capacity(t));
	assert_true(evictions >= 200000 - 1024);
	assert_int_equal(dp_srclimit_bytes(t), bytes);
	dp_srclimit_free(t);
}

/* A source evicted by others comes back with a full bucket (forgiving, never stricter). */
static void
test_eviction_lru(void **state)
{
	(void)state;
	struct dp_srclimit *t = dp_srclimit_new(&(struct dp_srclimit_cfg){
		.rate = 1, .burst = 1, .hz = HZ, .entries = 64, .seed = 3});
	struct sip_addr a = v4(0x01020304);
	unsigned evictions = 0;
	assert_non_null(t);
	assert_int_equal(check(t, a, 0), DP_SRC_PASS);
	assert_int_equal(check(t, a, 1), DP_SRC_OVER);
	/* 10,000 newer sources: a, the least recently seen of its bucket, goes. */
	for (uint32_t i = 0; i < 10000; i++) {
		bool ev;
		struct sip_addr s = v4(0x50000000u + i);
		dp_srclimit_check(t, &s, 2 + i, &ev);
		evictions += ev;
	}
	assert_true(evictions > 0);
	assert_int_equal(check(t, a, 10002), DP_SRC_PASS);
	dp_srclimit_free(t);
}

/* Families and the bytes that are not part of an IPv4 address. */
static void
test_keys(void **state)
{
	(void)state;
	struct dp_srclimit *t = dp_srclimit_new(&(struct dp_srclimit_cfg){
		.rate = 1, .burst = 1, .hz = HZ, .entries = 64, .seed = 9});
	struct sip_addr a = v4(0x0a000001), a2 = a, six = {.af = SIP_AF_INET6};
	memcpy(six.a, a.a, 4); /* same leading bytes, other family */
	a2.a[9] = 0x55;        /* garbage beyond an IPv4 address */
	assert_int_equal(check(t, a, 0), DP_SRC_PASS);
	assert_int_equal(check(t, a2, 0), DP_SRC_OVER);  /* the same source */
	assert_int_equal(check(t, six, 0), DP_SRC_PASS); /* another one */
	assert_int_equal(check(t, six, 0), DP_SRC_OVER);
	assert_int_equal(dp_srclimit_used(t), 2);
	dp_srclimit_free(t);
}

/* The top offenders, most drops first, at most n, sources without drops left out. */
static void
test_top(void **state)
{
	(void)state;
	struct dp_srclimit *t = dp_srclimit_new(&(struct dp_srclimit_cfg){
		.rate = 1, .burst = 1, .hz = HZ, .entries = 256, .seed = 5});
	struct dp_srclimit_top top[3];
	for (uint32_t s = 1; s <= 6; s++)
		for (uint32_t k = 0; k <= s * 3; k++) /* s*3 drops for source s */
			check(t, v4(s), 0);
	check(t, v4(100), 0); /* no drop */
	assert_int_equal(dp_srclimit_top(t, 0, top, 3), 3);
	assert_int_equal(top[0].drops, 18);
	assert_int_equal(top[0].src.a[3], 6);
	assert_int_equal(top[1].drops, 15);
	assert_int_equal(top[2].drops, 12);
	struct dp_srclimit_top all[16];
	assert_int_equal(dp_srclimit_top(t, 0, all, 16), 6);
	assert_int_equal(all[5].drops, 3);
	dp_srclimit_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_ban_expiry),
		cmocka_unit_test(test_flood_bounded),
		cmocka_unit_test(test_eviction_lru),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_top),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
