/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bad plan reports every error as "source:line: message" naming the
 * rule and the reason, in line order, and never compiles.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rules_test.h"

static const char *bad_plan =
	"plan x\n"                                        /* 1 */
	"group gw 192.0.2.1;weight=0\n"                   /* 2 */
	"10 prefix 49 forward nosuch\n"                   /* 3 */
	"10 regex ^(49 pass\n"                            /* 4 */
	"abc\n"                                           /* 5 */
	"20 exact 1\n"                                    /* 6 */
	"30 exact 1 redirect\n"                           /* 7 */
	"40 exact 1 pass drop\n"                          /* 8 */
	"50 subst ^(4)9 \\2 pass\n"                       /* 9 */
	"60 repl x pass\n"                                /* 10 */
	"70 contact sip:x pass\n"                         /* 11 */
	"80 redirect contact sip:$usr@x\n"                /* 12 */
	"90 src 10.0.0.1/8 pass\n"                        /* 13 */
	"99999999999 pass\n"                              /* 14 */
	"100 prefix \"unterminated\n"                     /* 15 */
	"110 reject 200\n"                                /* 16 */
	"120 header \"bad header\" pass\n"                /* 17 */
	"130 regex (a)\\1 pass\n"                         /* 18 */
	"140 method IN VITE pass\n"                       /* 19 */
	"tiebreak maybe\n"                                /* 20 */
	"150 redirect 404 contact sip:x\n"                /* 21 */
	"160 exact 1 forward \"bad name\"\n"              /* 22 */
	"group gw2 host_name\n"                           /* 23 */
	"170 subst \"(\" x pass\n"                        /* 24 */
	"180 prefix 1234567890123456789012345678901234567890123456789012345678901234567890 pass\n"
	"190 exact 1 pass\n";                             /* 26: fine */

static const struct {
	unsigned line;
	const char *what;
} expected[] = {
	{2, "group gw: weight must be 1 to 65535"},
	{3, "rule 1 (priority 10): forward to unknown group \"nosuch\""},
	{4, "rule 2 (priority 10): regex \"^(49\": Missing close parenthesis"},
	{5, "expected a priority or a directive"},
	{6, "rule 3: no action"},
	{7, "rule 4: redirect without a contact"},
	{8, "rule 5: more than one action ('pass' and 'drop')"},
	{9, "rule 6 (priority 50): replacement \"\\2\" uses \\2 but the pattern has 1 group"},
	{10, "rule 7 (priority 60): 'repl' needs a user regex"},
	{11, "rule 8: contact without redirect"},
	{12, "rule 9 (priority 80): contact \"sip:$usr@x\": unknown variable"},
	{13, "rule 10: \"10.0.0.1/8\" has bits set after the prefix length"},
	{14, "rule 11: priority must be a number from 0 to 4294967295"},
	/* A line that does not split into words is not counted as a rule. */
	{15, "unterminated quoted text"},
	{16, "rule 12: 'reject' needs a number from 400 to 699, not \"200\""},
	{17, "rule 13 (priority 120): header \"bad header\" is not \"Name: value\""},
	{18, "rule 14 (priority 130): regex \"(a)\\1\": "},
	{19, "rule 15: unknown word \"VITE\""},
	{20, "usage: tiebreak specific|line"},
	{21, "rule 16: 'redirect' needs a number from 300 to 399, not \"404\""},
	{22, "rule 17: bad group name \"bad name\""},
	{23, "group gw2: bad gateway \"host_name\""},
	{24, "rule 18 (priority 170): pattern \"(\": missing closing parenthesis"},
	{25, "rule 19 (priority 180): prefix \"1234567890"},
};

static void
test_every_error(void **state)
{
	struct rules_errors e = rt_compile_fail(bad_plan);
	size_t n = sizeof(expected) / sizeof(expected[0]);

	(void)state;
	assert_int_equal(e.n, n);
	assert_int_equal(e.total, n);
	for (size_t i = 0; i < n; i++) {
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "test:%u: ", expected[i].line);
		if (strncmp(e.msg[i], prefix, strlen(prefix)) != 0 ||
				strstr(e.msg[i], expected[i].what) == NULL)
			fail_msg("message %zu is \"%s\", want \"%s%s...\"", i, e.msg[i], prefix,
					expected[i].what);
	}
	rules_errors_clear(&e);
}

static void
test_error_limit(void **state)
{
	enum { N = 3000 };
	char *text = malloc(N * 16);
	size_t len = 0;
	struct rules_errors e = {0};
	struct rules_compile_opts o = {.max_errors = 10};

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < N; i++)
		len += (size_t)sprintf(text + len, "%d bogus\n", i);
	assert_null(rules_compile_text(text, len, "big", &o, &e));
	assert_int_equal(e.total, N);
	assert_int_equal(e.n, 11);
	assert_string_equal(e.msg[0], "big:1: rule 1: unknown word \"bogus\"");
	assert_string_equal(e.msg[10], "... and 2990 more errors not shown");
	rules_errors_clear(&e);
	free(text);
}

static void
test_more_errors(void **state)
{
	static const struct {
		const char *plan;
		const char *msg;
	} cases[] = {
		{"plan a\nplan b\n", "test:2: plan name given twice"},
		{"10 pass\ntiebreak line\n", "test:2: tiebreak must come before the first rule"},
		{"group g 192.0.2.1 192.0.2.1\n", "test:1: group g: gateway 192.0.2.1:5060;"
			"transport=udp listed twice"},
		{"10 redirect contact a contact b contact c contact d contact e contact f "
			"contact g contact h contact i\n", "test:1: rule 1: more than 8 contacts"},
		{"10 exact 1 pass\n\"quoted\" pass\n", "test:2: expected a priority"},
		{"10 exact \"a\"b pass\n", "test:1: quoted text must be followed by a space"},
		{"10 exact a\"b pass\n", "test:1: quote inside a word"},
		{"10 exact \x01 pass\n", "test:1: control character in line"},
		{"10 from pass\n",
			"test:1: rule 1: after 'from' expected prefix, exact, regex or len"},
		{"10 strip 0 pass\n", "test:1: rule 1: 'strip' needs a number from 1 to 256"},
		{"10 redirect contact <sip:x>\n", "must be a URI without spaces or angle brackets"},
		{"10 redirect contact sip:x q=2\n", "bad \"q=2\": q is 0 to 1"},
		{"10 src 300.1.1.1 pass\n", "bad source address \"300.1.1.1\""},
		{"10 method IN,,VITE pass\n", "empty method"},
		{"10 reject 486 \"\" pass\n", "reject reason must be 1 to 127 printable bytes"},
		{"10 exact \"\" pass\n", "empty value after 'exact'"},
		{"10 subst a \"\\x\" pass\n", "a backslash must be followed by a digit"},
		{"group g 192.0.2.1:0\n", "group g: bad gateway \"192.0.2.1:0\""},
		{"group g [2001:db8::1\n", "group g: bad gateway"},
		{"group g 192.0.2.1;transport=sctp\n", "group g: bad gateway"},
		{"version 0\n", "usage: version N"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rules_errors e = rt_compile_fail(cases[i].plan);
		if (e.n != 1 || strstr(e.msg[0], cases[i].msg) == NULL)
			fail_msg("plan \"%s\": got %u errors, first \"%s\", want \"%s\"",
					cases[i].plan, e.n, e.n ? e.msg[0] : "", cases[i].msg);
		rules_errors_clear(&e);
	}
}

static void
test_long_line(void **state)
{
	size_t n = 70000;
	char *text = malloc(n + 32);

	(void)state;
	assert_non_null(text);
	memset(text, 'x', n);
	strcpy(text + n, "\n10 pass\n");
	struct rules_errors e = rt_compile_fail(text);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], "test:1: line longer than 65536 bytes");
	rules_errors_clear(&e);
	free(text);
}

int
test_group_errors(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_every_error),
		cmocka_unit_test(test_error_limit),
		cmocka_unit_test(test_more_errors),
		cmocka_unit_test(test_long_line),
	};
	return cmocka_run_group_tests_name("errors", t, NULL, NULL);
}
