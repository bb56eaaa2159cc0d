/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbour table's policies without DPDK: the token bucket that bounds
 * resolutions and via-kernel packets, the eviction victim, and the
 * verification of a guarded next hop's MAC change. Tables of named cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dp_neigh_policy.h"

/* ---- token bucket ---- */

struct tb_step {
	uint64_t t;     /* tick */
	unsigned takes; /* takes at t */
	unsigned want;  /* how many succeed */
};

struct tb_case {
	const char *name;
	uint32_t rate, burst;
	uint64_t hz;
	struct tb_step steps[8];
	unsigned n;
};

static const struct tb_case tb_cases[] = {
	{"burst, then one per interval", 10, 3, 1000,
	 {{0, 5, 3}, {99, 1, 0}, {100, 2, 1}, {199, 1, 0}, {200, 1, 1}}, 5},
	{"idle refills up to the burst only", 10, 3, 1000,
	 {{0, 3, 3}, {100000, 10, 3}, {100050, 1, 0}, {100100, 1, 1}}, 4},
	{"burst of one: strictly spaced", 4, 1, 1000,
	 {{0, 2, 1}, {249, 1, 0}, {250, 1, 1}, {500, 3, 1}}, 4},
	{"rate above hz: one tick per token", 5000, 2, 1000,
	 {{0, 3, 2}, {1, 2, 1}, {2, 1, 1}}, 3},
	{"starts full at a late tick", 1, 2, 1000,
	 {{123456789, 3, 2}, {123457789, 2, 1}}, 2},
	{"zero rate and burst read as one", 0, 0, 1000, {{0, 2, 1}, {1000, 2, 1}}, 2},
};

static void
test_tb_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(tb_cases) / sizeof(tb_cases[0]); c++) {
		const struct tb_case *tc = &tb_cases[c];
		struct dp_tb b;

		dp_tb_init(&b, tc->rate, tc->burst, tc->hz, tc->steps[0].t);
		for (unsigned s = 0; s < tc->n; s++) {
			unsigned got = 0;

			for (unsigned k = 0; k < tc->steps[s].takes; k++)
				got += dp_tb_take(&b, tc->steps[s].t);
			if (got != tc->steps[s].want)
				fail_msg("%s: step %u (tick %llu): %u of %u taken, expected %u",
						tc->name, s, (unsigned long long)tc->steps[s].t,
						got, tc->steps[s].takes, tc->steps[s].want);
		}
	}
}

/* Over a long run the rate holds, whatever the callers' pace. */
static void
test_tb_sustained(void **state)
{
	static const uint64_t steps[] = {1, 7, 333, 1000};
	(void)state;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct dp_tb b;
		unsigned got = 0;

		dp_tb_init(&b, 50, 10, 100000, 0);
		/* 10 seconds, trying at every step ticks. */
		for (uint64_t t = 0; t < 1000000; t += steps[i])
			got += dp_tb_take(&b, t);
		/* 10 (burst) + 50/s * 10 s, minus the last interval's rounding. */
		if (got < 505 || got > 510)
			fail_msg("trying every %llu ticks: %u tokens in 10 s, expected 505..510",
					(unsigned long long)steps[i], got);
	}
}

/* A worker's bucket left zeroed (not initialised) never refuses. */
static void
test_tb_zeroed(void **state)
{
	struct dp_tb b;
	(void)state;

	memset(&b, 0, sizeof(b));
	for (uint64_t t = 0; t < 1000; t++)
		assert_true(dp_tb_take(&b, t / 10));
}

/* ---- eviction victim ---- */

struct lru_case {
	const char *name;
	uint32_t last[8];
	int rank[8];    /* < 0: not a candidate */
	uint32_t slots;
	uint32_t cursor;
	unsigned sample;
	uint32_t now;
	uint32_t want;  /* victim, or DP_LRU_NONE */
	uint32_t cursor_after;
};

static const struct lru_case lru_cases[] = {
	{"oldest wins", {90, 10, 50, 99}, {0, 0, 0, 0}, 4, 0, 8, 100, 1, 0},
	{"non-candidates skipped (pinned, free)", {90, 10, 50, 99}, {0, -1, 0, -1}, 4, 0, 8, 100,
	 2, 0},
	{"same age: higher rank (unresolved) first", {50, 50, 50}, {0, 3, 1}, 3, 0, 8, 100, 1, 0},
	{"full tie: first examined", {7, 7, 7}, {1, 1, 1}, 3, 2, 8, 9, 2, 2},
	{"nothing evictable", {1, 2, 3}, {-1, -1, -1}, 3, 1, 8, 9, DP_LRU_NONE, 1},
	{"sample limits the search, cursor moves on", {1, 80, 90, 95, 0}, {0, 0, 0, 0, 0}, 5, 1, 2,
	 100, 1, 3},
	{"cursor wraps", {10, 99, 98, 5}, {0, 0, 0, 0}, 4, 3, 2, 100, 3, 1},
	{"stamp ahead of now counts as just used", {101, 60}, {0, 0}, 2, 0, 8, 100, 1, 0},
	{"ages across the 32-bit wrap", {UINT32_MAX - 5, 2}, {0, 0}, 2, 0, 8, 3, 0, 0},
	{"cursor past the end restarts at 0", {5, 6}, {0, 0}, 2, 9, 1, 10, 0, 1},
};

static int
rank_of(const void *ctx, uint32_t pos)
{
	return ((const int *)ctx)[pos];
}

static void
test_lru_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(lru_cases) / sizeof(lru_cases[0]); c++) {
		const struct lru_case *lc = &lru_cases[c];
		uint32_t cursor = lc->cursor;
		uint32_t got = dp_lru_pick(lc->last, lc->slots, &cursor, lc->sample, lc->now,
				rank_of, lc->rank);

		if (got != lc->want || cursor != lc->cursor_after)
			fail_msg("%s: victim %u cursor %u, expected %u cursor %u", lc->name, got,
					cursor, lc->want, lc->cursor_after);
	}
}

/*
 * Under a flood the table keeps what is used: 64 slots, 8 "legitimate"
 * entries stamped every second, every other slot refilled by an attacker
 * each second. Picks in a row never take a legitimate entry.
 */
static void
test_lru_flood(void **state)
{
	uint32_t last[64];
	int rank[64];
	uint32_t cursor = 0;
	(void)state;

	for (uint32_t now = 1; now < 200; now++) {
		for (unsigned i = 0; i < 64; i++) {
			bool legit = i % 8 == 0;

			if (legit) {
				last[i] = now;     /* used this second, resolved */
				rank[i] = 1;
			} else if (now == 1 || (now + i) % 3 == 0) {
				last[i] = now - 1; /* attacker's, used once, unresolved */
				rank[i] = 3;
			}
		}
		for (unsigned k = 0; k < 20; k++) {
			uint32_t v = dp_lru_pick(last, 64, &cursor, 32, now, rank_of, rank);

			assert_int_not_equal(v, DP_LRU_NONE);
			if (v % 8 == 0)
				fail_msg("second %u: legitimate entry %u evicted", now, v);
			last[v] = now; /* reused for a new attacker entry */
		}
	}
}

/* ---- MAC change verification ---- */

#define OLD 0x1000000000aaULL
#define NEW 0x1000000000bbULL
#define OTHER 0x1000000000ccULL
#define TIMEOUT 100

enum ev_kind { CLAIM, CLAIM_UNGUARDED, HEARD, TICK };

struct ev {
	enum ev_kind kind;
	uint64_t mac; /* CLAIM*, HEARD */
	uint64_t t;
	enum dp_macv_act want;
	uint64_t cur_after;
};

struct macv_case {
	const char *name;
	uint64_t start; /* cur before the first event */
	struct ev ev[6];
	unsigned n;
};

static const struct macv_case macv_cases[] = {
	{"unguarded: taken at once", OLD,
	 {{CLAIM_UNGUARDED, NEW, 0, DP_MACV_ACCEPT, NEW}}, 1},
	{"guarded, first MAC learnt: taken at once", 0,
	 {{CLAIM, OLD, 0, DP_MACV_ACCEPT, OLD}}, 1},
	{"same MAC again: nothing", OLD, {{CLAIM, OLD, 0, DP_MACV_NONE, OLD}}, 1},
	{"spoof: old MAC answers the probe, claim refused", OLD,
	 {{CLAIM, NEW, 0, DP_MACV_PROBE, OLD}, {TICK, 0, 50, DP_MACV_NONE, OLD},
	  {HEARD, OLD, 60, DP_MACV_CONFLICT, OLD}, {TICK, 0, 500, DP_MACV_NONE, OLD}}, 4},
	{"real change: old MAC silent, new taken at the deadline", OLD,
	 {{CLAIM, NEW, 0, DP_MACV_PROBE, OLD}, {TICK, 0, 99, DP_MACV_NONE, OLD},
	  {TICK, 0, 100, DP_MACV_ACCEPT, NEW}, {TICK, 0, 200, DP_MACV_NONE, NEW}}, 4},
	{"the claimant speaking proves nothing", OLD,
	 {{CLAIM, NEW, 0, DP_MACV_PROBE, OLD}, {HEARD, NEW, 10, DP_MACV_NONE, OLD},
	  {TICK, 0, 100, DP_MACV_ACCEPT, NEW}}, 3},
	{"the kernel re-reporting the old MAC is its answer", OLD,
	 {{CLAIM, NEW, 0, DP_MACV_PROBE, OLD}, {CLAIM, OLD, 20, DP_MACV_CONFLICT, OLD}}, 2},
	{"claims during a verification: the latest one is taken", OLD,
	 {{CLAIM, NEW, 0, DP_MACV_PROBE, OLD}, {CLAIM, OTHER, 30, DP_MACV_NONE, OLD},
	  {CLAIM, OTHER, 40, DP_MACV_NONE, OLD}, {TICK, 0, 100, DP_MACV_ACCEPT, OTHER}}, 4},
	{"the deadline is not pushed back by repeated claims", OLD,
	 {{CLAIM, NEW, 0, DP_MACV_PROBE, OLD}, {CLAIM, NEW, 90, DP_MACV_NONE, OLD},
	  {TICK, 0, 100, DP_MACV_ACCEPT, NEW}}, 3},
	{"a second spoof after a conflict is verified again", OLD,
	 {{CLAIM, NEW, 0, DP_MACV_PROBE, OLD}, {HEARD, OLD, 5, DP_MACV_CONFLICT, OLD},
	  {CLAIM, NEW, 300, DP_MACV_PROBE, OLD}, {HEARD, OLD, 310, DP_MACV_CONFLICT, OLD}}, 4},
	{"heard without a verification: nothing", OLD,
	 {{HEARD, OLD, 0, DP_MACV_NONE, OLD}, {HEARD, NEW, 0, DP_MACV_NONE, OLD}}, 2},
};

static void
test_macv_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(macv_cases) / sizeof(macv_cases[0]); c++) {
		const struct macv_case *mc = &macv_cases[c];
		struct dp_macv v;

		dp_macv_reset(&v, mc->start);
		for (unsigned k = 0; k < mc->n; k++) {
			const struct ev *e = &mc->ev[k];
			enum dp_macv_act a = DP_MACV_NONE;

			switch (e->kind) {
			case CLAIM:
			case CLAIM_UNGUARDED:
				a = dp_macv_claim(&v, e->mac, e->kind == CLAIM, e->t, TIMEOUT);
				break;
			case HEARD:
				a = dp_macv_heard(&v, e->mac);
				break;
			case TICK:
				a = dp_macv_tick(&v, e->t);
				break;
			}
			if (a != e->want || v.cur != e->cur_after)
				fail_msg("%s: event %u: action %d cur %#llx, expected %d cur %#llx",
						mc->name, k, a, (unsigned long long)v.cur, e->want,
						(unsigned long long)e->cur_after);
		}
	}
}

static void
test_macv_reset(void **state)
{
	struct dp_macv v;
	(void)state;

	dp_macv_reset(&v, OLD);
	assert_int_equal(dp_macv_claim(&v, NEW, true, 0, TIMEOUT), DP_MACV_PROBE);
	/* The next hop fails meanwhile: forgotten, and the next MAC is taken at once. */
	dp_macv_reset(&v, 0);
	assert_false(v.active);
	assert_int_equal(dp_macv_tick(&v, 1000), DP_MACV_NONE);
	assert_int_equal(dp_macv_claim(&v, NEW, true, 1000, TIMEOUT), DP_MACV_ACCEPT);
	assert_true(v.cur == NEW);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tb_cases),
		cmocka_unit_test(test_tb_sustained),
		cmocka_unit_test(test_tb_zeroed),
		cmocka_unit_test(test_lru_cases),
		cmocka_unit_test(test_lru_flood),
		cmocka_unit_test(test_macv_cases),
		cmocka_unit_test(test_macv_reset),
	};
	return cmocka_run_group_tests_name("dp_neigh_policy", tests, NULL, NULL);
}
