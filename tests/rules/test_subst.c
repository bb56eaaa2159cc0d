/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transformations of the user, in the order written: strip, add, set and
 * subst/repl (PCRE2, Kamailio semantics: the value becomes the expanded
 * replacement; no match leaves it unchanged).
 */
#include <errno.h>
#include <stdio.h>

#include "rules_test.h"

struct subst_case {
	const char *name;
	const char *plan;
	const char *user;
	const char *want; /* rewritten user */
	int rc;
};

static const struct subst_case cases[] = {
	{"no transformation", "10 pass\n", "4930", "4930", 0},
	{"strip", "10 strip 2 pass\n", "49301", "301", 0},
	{"strip more than there is", "10 strip 9 pass\n", "493", "", 0},
	{"add", "10 add 0 pass\n", "301", "0301", 0},
	{"strip then add, in order", "10 strip 3 add 0 pass\n", "+4930123", "030123", 0},
	{"add then strip, in order", "10 add 0 strip 3 pass\n", "+4930123", "930123", 0},
	{"set", "10 set service pass\n", "123", "service", 0},
	{"subst with a capture", "10 subst ^\\+49(.*)$ 0\\1 pass\n", "+4930123", "030123", 0},
	{"subst without a match leaves the value", "10 subst ^\\+49 x pass\n", "0049", "0049", 0},
	{"subst result is the replacement only (Kamailio)",
		"10 subst 30 X pass\n", "4930", "X", 0},
	{"\\0 is the whole match", "10 subst ^(49)(30) \\2-\\1-\\0 pass\n", "4930",
		"30-49-4930", 0},
	{"backslash in the replacement", "10 subst ^(.*)$ \"a\\\\b\\1\" pass\n", "7", "a\\b7", 0},
	{"unset group is empty", "10 subst ^(1)?(4) [\\1] pass\n", "49", "[]", 0},
	{"repl uses the rule's own regex",
		"10 regex ^\\+([0-9]+)$ repl 00\\1 pass\n", "+4930", "004930", 0},
	{"repl sees the value after the steps before it",
		"10 regex ^\\+(4.*) strip 1 repl x\\1 pass\n", "+49", "49", 0},
	{"two substitutions chained",
		"10 subst ^0(.*)$ +49\\1 subst ^\\+49(30.*)$ berlin-\\1 pass\n", "030777",
		"berlin-30777", 0},
	{"add on top of a substitution",
		"10 subst ^(..)(.*)$ \\2 add 99 pass\n", "12345", "99345", 0},
	{"set then add", "10 set 5 add 4 pass\n", "1", "45", 0},
	{"nine captures, reversed",
		"10 subst ^(.)(.)(.)(.)(.)(.)(.)(.)(.)$ \\9\\8\\7\\6\\5\\4\\3\\2\\1 pass\n",
		"123456789", "987654321", 0},
	{"\\1 then a digit is \\1 and the digit",
		"10 subst ^(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)$ \\10 pass\n", "abcdefghij", "a0", 0},
	{"value too long",
		"10 add \"" "1234567890123456789012345678901234567890123456789012345678901234567890"
		"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
		"1234567890123456789012345678901234567890123456789012345678901234567890\" "
		"add \"1234567890123456789012345678901234567890123456789012345678901234567890"
		"\" pass\n", "1", NULL, -ENOSPC},
};

static void
run_case(void **state)
{
	const struct subst_case *c = *state;
	struct tp t = rt_compile(c->plan);
	struct tq in = {.user = c->user};
	struct rules_result r;
	char buf[1024];

	int rc = rt_match(&t, &in, &r, buf, sizeof(buf));
	assert_int_equal(rc, c->rc);
	assert_int_equal(r.action, RULES_ACT_PASS);
	if (c->want != NULL)
		assert_view(r.user, c->want);
	rt_free(&t);
}

static void
test_small_buffer(void **state)
{
	struct tp t = rt_compile("10 add 12345 redirect contact sip:$user@example.com\n");
	struct tq in = {.user = "678"};
	struct rules_result r;
	char buf[16];

	(void)state;
	/* Rule and action are known even when the rendering does not fit. */
	assert_int_equal(rt_match(&t, &in, &r, buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(r.action, RULES_ACT_REDIRECT);
	assert_int_equal(r.line, 1);
	assert_int_equal(r.n_contacts, 0);
	char big[128];
	assert_int_equal(rt_match(&t, &in, &r, big, sizeof(big)), 0);
	assert_view(r.contact[0], "<sip:12345678@example.com>");
	rt_free(&t);
}

int
test_group_subst(void)
{
	struct CMUnitTest t[sizeof(cases) / sizeof(cases[0]) + 1];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		t[n++] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL,
			(void *)&cases[i]};
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_small_buffer);
	return _cmocka_run_group_tests("subst", t, n, NULL, NULL);
}
