/* SPDX-License-Identifier: BSD-3-Clause */
/* Overload shedding's controller and its method peek (dataplane/core/dp_overload.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dp_overload.h"

#define BURST 32u

/* Feed k bursts of n packets; the level after them. */
static uint32_t
feed(struct dp_overload *o, unsigned k, unsigned n)
{
	bool full;
	for (unsigned i = 0; i < k; i++)
		dp_overload_update(o, n, BURST, &full);
	return o->level;
}

static void
test_streak_then_rise(void **state)
{
	(void)state;
	struct dp_overload o = {.on = true};
	bool full;

	/* A busy but keeping-up worker: full bursts, yet not long enough in a row. */
	for (unsigned r = 0; r < 100; r++) {
		assert_int_equal(feed(&o, DP_OVL_STREAK, BURST), 0);
		assert_false(dp_overload_update(&o, BURST - 1, BURST, &full));
		assert_false(full);
	}
	/* A backlog: after the streak, DP_OVL_STEP per full burst, up to the scale. */
	assert_int_equal(feed(&o, DP_OVL_STREAK, BURST), 0);
	assert_true(dp_overload_update(&o, BURST, BURST, &full));
	assert_true(full);
	assert_int_equal(o.level, DP_OVL_STEP);
	assert_int_equal(feed(&o, 3, BURST), 4 * DP_OVL_STEP);
	assert_int_equal(feed(&o, 1000, BURST), DP_OVL_SCALE);
	/* Between half and full: an eighth less per burst, and the streak starts again. */
	assert_int_equal(feed(&o, 1, BURST / 2), DP_OVL_SCALE - DP_OVL_SCALE / 8);
	assert_int_equal(feed(&o, 1, BURST), DP_OVL_SCALE - DP_OVL_SCALE / 8);
	/* Load gone (a burst less than half full): nothing shed at once. */
	assert_false(dp_overload_update(&o, BURST / 2 - 1, BURST, &full));
	assert_int_equal(o.level, 0);
	assert_int_equal(feed(&o, 1, 0), 0);
}

static void
test_off(void **state)
{
	(void)state;
	struct dp_overload o = {.on = false};
	bool full;

	for (unsigned i = 0; i < 10000; i++)
		assert_false(dp_overload_update(&o, BURST, BURST, &full));
	assert_true(full); /* still reported: the overload_bursts counter counts it */
	assert_int_equal(o.level, 0);
}

static void
test_shed_fraction(void **state)
{
	(void)state;
	static const uint32_t levels[] = {0, 1, DP_OVL_STEP, DP_OVL_SCALE / 2, 700, DP_OVL_SCALE};

	for (unsigned k = 0; k < sizeof(levels) / sizeof(levels[0]); k++) {
		struct dp_overload o = {.on = true, .level = levels[k]};
		unsigned shed = 0, n = 100 * DP_OVL_SCALE;
		for (unsigned i = 0; i < n; i++)
			shed += dp_overload_shed(&o);
		/* Exactly level / scale of them, spread evenly. */
		assert_int_equal(shed, 100 * levels[k]);
	}
	/* Even: at half, every other one. */
	struct dp_overload o = {.on = true, .level = DP_OVL_SCALE / 2};
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(dp_overload_shed(&o), i % 2 == 1);
}

static void
test_sheddable(void **state)
{
	(void)state;
	static const char *const shed[] = {
		"INVITE sip:1@a SIP/2.0\r\n", "REGISTER sip:a SIP/2.0\r\n", "OPTIONS sip:a SIP/2.0\r\n",
		"SUBSCRIBE sip:a SIP/2.0\r\n", "MESSAGE sip:a SIP/2.0\r\n", "PUBLISH sip:a SIP/2.0\r\n",
		"REFER sip:a SIP/2.0\r\n", "garbage", "", "\r\n\r\n", "bye sip:a SIP/2.0\r\n",
		"ACKNOWLEDGE sip:a SIP/2.0\r\n", "BYE", "SIP/2.0", "SIP/3.0 200 OK\r\n",
	};
	static const char *const kept[] = {
		"SIP/2.0 200 OK\r\n", "SIP/2.0 180 Ringing\r\n", "ACK sip:a SIP/2.0\r\n",
		"BYE sip:a SIP/2.0\r\n", "CANCEL sip:a SIP/2.0\r\n", "PRACK sip:a SIP/2.0\r\n",
		"UPDATE sip:a SIP/2.0\r\n", "INFO sip:a SIP/2.0\r\n", "NOTIFY sip:a SIP/2.0\r\n",
	};
	for (unsigned i = 0; i < sizeof(shed) / sizeof(shed[0]); i++)
		assert_true(dp_overload_sheddable(shed[i], (uint32_t)strlen(shed[i])));
	for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		assert_false(dp_overload_sheddable(kept[i], (uint32_t)strlen(kept[i])));
	/* Never reads past len. */
	assert_true(dp_overload_sheddable("BYE ", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streak_then_rise),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_shed_fraction),
		cmocka_unit_test(test_sheddable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
