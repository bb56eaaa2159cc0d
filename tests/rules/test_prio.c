/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Precedence: lower priority wins; at equal priority the longer prefix or
 * exact value (exact beats a prefix of the same length, any prefix beats
 * a rule without one); then the earlier line. With "tiebreak line" only
 * priority and line order count. A candidate whose further conditions
 * fail gives way to the next one.
 */
#include "rules_test.h"

static const struct rt_winner_case cases[] = {
	{"lower priority beats a longer prefix",
		"10 prefix 4 pass\n20 prefix 4930 pass\n", {.user = "49301"}, 1},
	{"equal priority: longer prefix",
		"10 prefix 4 pass\n10 prefix 4930 pass\n", {.user = "49301"}, 2},
	{"equal priority: exact beats the prefix of the same length",
		"10 prefix 49 pass\n10 exact 49 pass\n", {.user = "49"}, 2},
	{"exact does not match a longer input",
		"10 prefix 49 pass\n10 exact 49 pass\n", {.user = "491"}, 1},
	{"equal priority and value: earlier line",
		"10 prefix 49 pass\n10 prefix 49 drop\n", {.user = "491"}, 1},
	{"equal priority: a prefix beats a regex",
		"10 regex ^49 pass\n10 prefix 4 pass\n", {.user = "491"}, 2},
	{"equal priority: regexes in line order",
		"10 regex 9 pass\n10 regex ^4 pass\n", {.user = "491"}, 1},
	{"tiebreak line: line order only",
		"tiebreak line\n10 prefix 4 pass\n10 prefix 4930 pass\n", {.user = "4930"}, 2},
	{"tiebreak line: priority still first",
		"tiebreak line\n20 prefix 4 pass\n10 prefix 4930 pass\n", {.user = "4930"}, 3},
	{"best candidate fails a filter: next one",
		"10 prefix 4930 method BYE pass\n20 prefix 49 pass\n", {.user = "49301"}, 2},
	{"filtered shorter prefix with better priority",
		"10 prefix 49 method INVITE pass\n20 prefix 4930 pass\n", {.user = "4930"}, 1},
	{"filtered shorter prefix failing",
		"10 prefix 49 method BYE pass\n20 prefix 4930 pass\n", {.user = "4930"}, 2},
	{"same prefix, filters tried in order",
		"10 prefix 49 method BYE pass\n10 prefix 49 method INVITE pass\n"
		"10 prefix 49 pass\n",
		{.user = "491", .method = "INVITE"}, 2},
	{"same prefix, all filters fail",
		"10 prefix 49 method BYE pass\n10 prefix 49 method INVITE pass\n"
		"10 prefix 49 pass\n",
		{.user = "491", .method = "OPTIONS"}, 3},
	{"regex candidate fails its filter",
		"10 regex ^49 src 10.0.0.0/8 pass\n20 prefix 49 pass\n",
		{.user = "491", .src = "192.0.2.1"}, 2},
	{"regex candidate passes its filter",
		"10 regex ^49 src 10.0.0.0/8 pass\n20 prefix 49 pass\n",
		{.user = "491", .src = "10.1.2.3"}, 1},
	{"unindexed rule with better priority",
		"5 src 10.0.0.0/8 drop\n10 prefix 4 pass\n", {.user = "4", .src = "10.1.1.1"}, 1},
	{"unindexed rule not matching",
		"5 src 10.0.0.0/8 drop\n10 prefix 4 pass\n", {.user = "4", .src = "11.1.1.1"}, 2},
	{"catch-all loses to any rule of better priority",
		"100 pass\n10 prefix 4 drop\n", {.user = "4"}, 2},
	{"catch-all wins at better priority",
		"1 pass\n10 prefix 4 drop\n", {.user = "4"}, 1},
	{"specificity counts the longest value of any field",
		"10 prefix 4 from prefix 12345 pass\n10 prefix 4930 pass\n",
		{.user = "4930", .from = "12345"}, 1},
	{"regex filter on another field",
		"10 prefix 49 from regex ^anon pass\n20 prefix 4 pass\n",
		{.user = "491", .from = "anonymous"}, 1},
	{"regex filter on another field failing",
		"10 prefix 49 from regex ^anon pass\n20 prefix 4 pass\n",
		{.user = "491", .from = "bob"}, 2},
	{"priority 0 and the largest priority",
		"4294967295 pass\n0 exact 7 drop\n", {.user = "7"}, 2},
	{"deep nesting of prefixes",
		"10 prefix 1 pass\n9 prefix 12 pass\n10 prefix 123 pass\n"
		"8 prefix 1234 method BYE pass\n10 prefix 12345 pass\n",
		{.user = "123456"}, 2},
};

int
test_group_prio(void)
{
	struct CMUnitTest t[sizeof(cases) / sizeof(cases[0])];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		t[i] = (struct CMUnitTest){cases[i].name, rt_run_winner_case, NULL, NULL, (void *)&cases[i]};
	return _cmocka_run_group_tests("prio", t, sizeof(t) / sizeof(t[0]), NULL, NULL);
}
