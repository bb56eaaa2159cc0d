/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scanner signatures (dataplane/core/dp_scanner.c): the built-in list,
 * custom signatures per header, where the header sits, its case and
 * compact form, several instances, and the raw scan of unindexable
 * messages. Every message sits flush against a guard page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dp_scanner.h"
#include "guard.h"

static struct guard_buf g;

/* A request; ua/from/to are whole header lines or "" (the defaults stand in). */
static const char *
msg(const char *before, const char *from, const char *to, const char *after)
{
	static char buf[2048];
	snprintf(buf, sizeof(buf),
			"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n"
			"%s"
			"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1\r\n"
			"%s"
			"%s"
			"Call-ID: 1@198.51.100.7\r\n"
			"CSeq: 1 OPTIONS\r\n"
			"%s"
			"Content-Length: 0\r\n"
			"\r\n",
			before,
			*from ? from : "From: \"100\" <sip:100@198.51.100.7>;tag=1\r\n",
			*to ? to : "To: <sip:100@192.0.2.1>\r\n", after);
	return buf;
}

struct scan_case {
	const char *name;
	const char *before, *from, *to, *after;
	bool hit;
};

#define X10 "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10

static const struct scan_case default_cases[] = {
	{"clean", "", "", "", "User-Agent: Linphone/5.2\r\n", false},
	{"no user agent", "", "", "", "", false},
	{"friendly-scanner last", "", "", "", "User-Agent: friendly-scanner\r\n", true},
	{"friendly-scanner first", "User-Agent: friendly-scanner\r\n", "", "", "", true},
	{"upper case", "", "", "", "User-Agent: FRIENDLY-SCANNER\r\n", true},
	{"header name any case", "", "", "", "user-agent: sipcli/v1.8\r\n", true},
	{"inside a longer value", "", "", "", "User-Agent: Mozilla (sipvicious 0.3)\r\n", true},
	{"sip-scan", "", "", "", "User-Agent: sip-scan\r\n", true},
	{"VaxSIPUserAgent", "", "", "", "User-Agent: VaxSIPUserAgent/3.1\r\n", true},
	{"second User-Agent", "", "", "", "User-Agent: Polycom\r\nUser-Agent: sundayddr\r\n",
		true},
	{"folded value", "", "", "", "User-Agent: a\r\n  friendly-scanner\r\n", true},
	{"sipvicious in From", "", "From: \"sipvicious\"<sip:100@1.1.1.1>;tag=x\r\n", "", "",
		true},
	{"compact From", "", "f: <sip:sipvicious@1.1.1.1>;tag=x\r\n", "", "", true},
	{"compact To", "", "", "t: \"friendly-scanner\" <sip:1@1.1.1.1>\r\n", "", true},
	{"iWar applies to User-Agent only", "", "", "To: <sip:iwar@192.0.2.1>\r\n", "", false},
	{"iWar as User-Agent", "", "", "", "User-Agent: iWar\r\n", true},
	{"in another header: not looked at", "", "", "", "Subject: friendly-scanner\r\n", false},
	{"split by a line: no match", "", "", "", "User-Agent: friendly-\r\nX: scanner\r\n",
		false},
	/* One vectored scan sees User-Agent, From, To back to back: no match across them. */
	{"across User-Agent and From: no match", "User-Agent: abc sipvi\r\n",
		"From: cious <sip:100@198.51.100.7>;tag=1\r\n", "", "", false},
	{"across From and To: no match", "", "From: <sip:100@198.51.100.7>;tag=1 sipc\r\n",
		"To: li <sip:1@192.0.2.1>\r\n", "", false},
	{"nine User-Agents, the last one", "", "", "",
		"User-Agent: a\r\nUser-Agent: b\r\nUser-Agent: c\r\nUser-Agent: d\r\n"
		"User-Agent: e\r\nUser-Agent: f\r\nUser-Agent: g\r\nUser-Agent: h\r\n"
		"User-Agent: pplsip\r\n", true},
	/* A value too long for the shared buffer is scanned alone: all of it. */
	{"past byte 512 of a long value", "", "", "",
		"User-Agent: " X100 X100 X100 X100 X100 X100 "friendly-scanner\r\n", true},
	{"across byte 512 of a long value", "", "", "",
		"User-Agent: " X100 X100 X100 X100 X100 "xxxxxxxxsipvicious" X100 "\r\n", true},
	{"long value, none", "", "", "", "User-Agent: " X100 X100 X100 X100 X100 X100 "\r\n",
		false},
};

static bool
match_text(const struct dp_scanner *s, struct dp_scanner_scratch *sc, const char *text)
{
	struct sip_msg m;
	size_t len = strlen(text);
	const char *p = guard_put(&g, text, len);
	assert_true(sip_parse(&m, p, len, 0) > 0);
	return dp_scanner_match_msg(s, sc, &m);
}

static void
run_cases(const struct dp_scanner *s, const struct scan_case *c, size_t n)
{
	struct dp_scanner_scratch *sc = dp_scanner_scratch_new(s);
	assert_non_null(sc);
	for (size_t i = 0; i < n; i++) {
		bool hit = match_text(s, sc, msg(c[i].before, c[i].from, c[i].to, c[i].after));
		if (hit != c[i].hit)
			fail_msg("%s: %s, expected %s", c[i].name, hit ? "match" : "no match",
					c[i].hit ? "match" : "no match");
	}
	dp_scanner_scratch_free(sc);
}

static void
test_defaults(void **state)
{
	char err[256];
	(void)state;
	struct dp_scanner *s = dp_scanner_build(dp_scanner_defaults, dp_scanner_n_defaults, err,
			sizeof(err));
	assert_non_null(s);
	assert_true(dp_scanner_count(s) >= 5);
	run_cases(s, default_cases, sizeof(default_cases) / sizeof(default_cases[0]));
	dp_scanner_free(s);
}

static const struct dp_scanner_pat custom[] = {
	{"EvilDialer", DP_SCAN_UA},
	{"999@", DP_SCAN_FROM},
	{"probe.invalid", DP_SCAN_TO},
	{"a.b*c", DP_SCAN_ALL}, /* literal: no regex meaning */
};

static const struct scan_case custom_cases[] = {
	{"custom UA", "", "", "", "User-Agent: evildialer 1.0\r\n", true},
	{"default no longer there", "", "", "", "User-Agent: friendly-scanner\r\n", false},
	{"From-only signature in From", "", "From: <sip:999@1.1.1.1>;tag=1\r\n", "", "", true},
	{"From-only signature in To", "", "", "To: <sip:999@192.0.2.1>\r\n", "", false},
	{"To-only signature in To", "", "", "To: <sip:x@probe.invalid>\r\n", "", true},
	{"To-only signature in UA", "", "", "", "User-Agent: probe.invalid\r\n", false},
	{"literal dot and star", "", "", "", "User-Agent: a.b*c\r\n", true},
	{"no regex meaning", "", "", "", "User-Agent: aXbbbc\r\n", false},
};

static void
test_custom(void **state)
{
	char err[256];
	(void)state;
	struct dp_scanner *s = dp_scanner_build(custom, 4, err, sizeof(err));
	assert_non_null(s);
	run_cases(s, custom_cases, sizeof(custom_cases) / sizeof(custom_cases[0]));
	dp_scanner_free(s);
}

static void
test_build_errors(void **state)
{
	char err[256] = "";
	char big[DP_SCANNER_PAT_LEN + 1];
	(void)state;
	assert_null(dp_scanner_build(custom, 0, err, sizeof(err)));
	assert_null(dp_scanner_build((struct dp_scanner_pat[]){{"", DP_SCAN_UA}}, 1, err,
			sizeof(err)));
	assert_non_null(strstr(err, "signature 1"));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(dp_scanner_build((struct dp_scanner_pat[]){{"ok", DP_SCAN_UA},
			{big, DP_SCAN_UA}}, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "signature 2"));
	assert_null(dp_scanner_build((struct dp_scanner_pat[]){{"x", 0}}, 1, err, sizeof(err)));
}

static void
test_raw(void **state)
{
	char err[256];
	(void)state;
	struct dp_scanner *s = dp_scanner_build(dp_scanner_defaults, dp_scanner_n_defaults, err,
			sizeof(err));
	struct dp_scanner_scratch *sc = dp_scanner_scratch_new(s);
	const char bad[] = "INVITE sip:1@2 SIP/2.0\r\nUser-Agent friendly-SCANNER\r\n\r\n";
	const char clean[] = "INVITE sip:1@2 SIP/2.0\r\nUser-Agent Linphone\r\n\r\n";
	assert_true(dp_scanner_match_raw(s, sc, guard_put(&g, bad, sizeof(bad) - 1),
			sizeof(bad) - 1));
	assert_false(dp_scanner_match_raw(s, sc, guard_put(&g, clean, sizeof(clean) - 1),
			sizeof(clean) - 1));
	/* Flush against the guard page: the last byte of a signature is the last byte. */
	assert_true(dp_scanner_match_raw(s, sc, guard_put(&g, "xxsipcli", 8), 8));
	assert_false(dp_scanner_match_raw(s, sc, guard_put(&g, "xxsipcl", 7), 7));
	assert_false(dp_scanner_match_raw(s, sc, guard_put(&g, "", 0), 0));
	dp_scanner_scratch_free(sc);
	dp_scanner_free(s);
}

static int
setup(void **state)
{
	(void)state;
	return guard_init(&g, 8192);
}

static int
teardown(void **state)
{
	(void)state;
	guard_fini(&g);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_custom),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_raw),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
