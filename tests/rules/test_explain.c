/* SPDX-License-Identifier: BSD-3-Clause */
/* translate/explain: what it says, and that it never disagrees with the matcher. */
#include <stdio.h>
#include <stdlib.h>

#include "rules_test.h"

static const char *plan =
	"plan explain-test\n"
	"version 9\n"
	"group pstn 192.0.2.10 192.0.2.11\n"
	"5 src 198.51.100.0/24 drop\n"                                           /* 4 */
	"20 regex ^\\+49(1[5-7][0-9]+)$ repl 0\\1 redirect contact sip:$user@m.example q=0.9\n"
	"50 prefix +4915 method BYE reject 403\n"                                /* 6 */
	"100 prefix +4930 strip 3 add 0 redirect 302 contact sip:$user@berlin.example\n"
	"100 prefix +49 forward pstn attrs carrier=de\n";                        /* 8 */

static struct rules_explain ex;

static void
test_text(void **state)
{
	struct tp t = rt_compile(plan);
	struct rules_query q;
	char text[4096];

	(void)state;
	struct tq in = {.user = "+4915112345", .src = "192.0.2.1", .from = "alice"};
	rt_query(&q, &in);
	assert_int_equal(rules_explain(t.p, &q, NULL, &ex, text, sizeof(text)), 0);
	assert_int_equal(ex.res.line, 5);
	assert_int_equal(ex.res.action, RULES_ACT_REDIRECT);
	assert_view(ex.res.user, "015112345");
	assert_string_equal(ex.why, "user regex \"^\\+49(1[5-7][0-9]+)$\"");
	assert_int_equal(ex.n_steps, 1);
	assert_string_equal(ex.step[0].op, "subst");
	assert_string_equal(ex.step[0].value, "015112345");
	static const char *const lines[] = {
		("query: user \"+4915112345\" domain \"\" from \"alice\" to \"\" method \"INVITE\" "
			"src 192.0.2.1\n"),
		"plan: explain-test version 9\n",
		"matched: rule 1 at test:5, priority 20\n",
		"why: user regex \"^\\+49(1[5-7][0-9]+)$\"\n",
		"  rule 0 (line 4, priority 5): src 198.51.100.0/24: did not match\n",
		"  rule 2 (line 6, priority 50): method BYE: did not match\n",
		"  rule 4 (line 8, priority 100): matched, lost on precedence to rule 1\n",
		"  subst ^\\+49(1[5-7][0-9]+)$ -> 0\\1 -> \"015112345\"\n",
		"action: redirect 302 Moved Temporarily\n",
		"  Contact: <sip:015112345@m.example>;q=0.9\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (strstr(text, lines[i]) == NULL)
			fail_msg("explain text lacks \"%s\":\n%s", lines[i], text);

	struct tq berlin = {.user = "+49301234", .callid = 3};
	rt_query(&q, &berlin);
	assert_int_equal(rules_explain(t.p, &q, NULL, &ex, text, sizeof(text)), 0);
	assert_string_equal(ex.why, "user prefix \"+4930\" (5 characters)");
	assert_int_equal(ex.n_steps, 2);
	assert_string_equal(ex.step[0].value, "301234");
	assert_string_equal(ex.step[1].value, "0301234");
	assert_non_null(strstr(text, "  strip 3 -> \"301234\"\n  add 0 -> \"0301234\"\n"));

	struct tq fwd = {.user = "+4989", .callid = 3};
	rt_query(&q, &fwd);
	assert_int_equal(rules_explain(t.p, &q, NULL, &ex, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "action: forward group pstn\n"));
	assert_non_null(strstr(text, "  target: gateway "));
	assert_non_null(strstr(text, "  attrs: carrier=de\n"));
	uint64_t down[1] = {3};
	assert_int_equal(rules_explain(t.p, &q, down, &ex, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "every gateway of the group is down"));

	struct tq none = {.user = "+33"};
	rt_query(&q, &none);
	assert_int_equal(rules_explain(t.p, &q, NULL, &ex, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "result: no rule matched\n"));
	assert_int_equal(ex.res.rule, RULES_NO_RULE);

	/* A short buffer gets a truncated, terminated text. */
	char small[40];
	memset(small, 'x', sizeof(small));
	assert_int_equal(rules_explain(t.p, &q, NULL, &ex, small, sizeof(small)), 0);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	rt_free(&t);
}

static void
test_agrees(void **state)
{
	struct tp t = rt_compile(plan);
	struct rt_rng g = {31};
	static const char *const pre[] = {"+49", "+4915", "+4930", "+1", ""};
	char text[2048];

	(void)state;
	for (int i = 0; i < 3000; i++) {
		char user[32];
		struct rules_query q;
		struct rules_result r;
		char buf[512];
		int n = snprintf(user, sizeof(user), "%s", pre[rt_below(&g, 5)]);
		for (unsigned k = rt_below(&g, 9); k > 0; k--)
			user[n++] = (char)('0' + rt_below(&g, 10));
		user[n] = '\0';
		struct tq in = {.user = user, .method = rt_below(&g, 3) ? "INVITE" : "BYE",
			.src = rt_below(&g, 4) ? "192.0.2.1" : "198.51.100.3",
			.callid = rt_next(&g)};
		rt_query(&q, &in);
		int rc = rules_match(t.p, t.s, &q, NULL, &r, buf, sizeof(buf));
		assert_int_equal(rules_explain(t.p, &q, NULL, &ex, text, sizeof(text)), rc);
		assert_int_equal(ex.res.rule, r.rule);
		assert_int_equal(ex.res.action, r.action);
		assert_int_equal(ex.res.gw, r.gw);
		assert_int_equal(ex.res.user.len, r.user.len);
		if (r.user.len)
			assert_memory_equal(ex.res.user.p, r.user.p, r.user.len);
		assert_int_equal(ex.res.n_contacts, r.n_contacts);
	}
	rt_free(&t);
}

int
test_group_explain(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_agrees),
	};
	return cmocka_run_group_tests_name("explain", t, NULL, NULL);
}
