/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Single-value headers with simple grammars: CSeq (0..2^32-1), Max-Forwards
 * (0..255), Expires / delta-seconds (clamped at 2^32-1), Call-ID.
 */
#include <stdio.h>
#include <string.h>

#include "sip_test.h"

struct cseq_case {
	const char *name;
	const char *value;
	int ok;
	uint32_t seq;
	const char *method;
	enum sip_method method_id;
};

static const struct cseq_case cseq_cases[] = {
	{"simple", "1 INVITE", 1, 1, "INVITE", SIP_METHOD_INVITE},
	{"zero", "0 ACK", 1, 0, "ACK", SIP_METHOD_ACK},
	{"2^32-1 is the largest", "4294967295 BYE", 1, 4294967295u, "BYE", SIP_METHOD_BYE},
	{"leading zeros (wsinv)", "0009\r\n  INVITE", 1, 9, "INVITE", SIP_METHOD_INVITE},
	{"many leading zeros", "00000000000000000000001 OPTIONS", 1, 1, "OPTIONS",
		SIP_METHOD_OPTIONS},
	{"several LWS", "7 \t  REGISTER", 1, 7, "REGISTER", SIP_METHOD_REGISTER},
	{"unknown method", "139122385 !interesting-Method0123456789_*+`.%indeed'~", 1, 139122385,
		"!interesting-Method0123456789_*+`.%indeed'~", SIP_METHOD_UNKNOWN},
	{"escape-looking method (esc02)", "29344 RE%47IST%45R", 1, 29344, "RE%47IST%45R",
		SIP_METHOD_UNKNOWN},
	{"2^32 is too large", "4294967296 INVITE", 0, 0, NULL, 0},
	{"2^65 is too large (scalar02)", "36893488147419103232 REGISTER", 0, 0, NULL, 0},
	{"no number", "INVITE", 0, 0, NULL, 0},
	{"no method", "1", 0, 0, NULL, 0},
	{"number then LWS only", "1 ", 0, 0, NULL, 0},
	{"no LWS", "1INVITE", 0, 0, NULL, 0},
	{"two methods", "1 INVITE ACK", 0, 0, NULL, 0},
	{"negative", "-1 INVITE", 0, 0, NULL, 0},
	{"non-token method", "1 INV@TE", 0, 0, NULL, 0},
	{"empty", "", 0, 0, NULL, 0},
};

static void
run_cseq_case(void **state)
{
	const struct cseq_case *c = *state;
	size_t len = strlen(c->value);
	struct sip_str v = sip_str_make(guard_put(test_slot(0), c->value, len), len);
	struct sip_cseq cs;
	int rc = sip_cseq_parse(v, &cs);

	if (!c->ok) {
		assert_int_equal(rc, -SIP_E_CSEQ);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(cs.seq, c->seq);
	assert_view_str(cs.method, c->method);
	assert_int_equal(cs.method_id, c->method_id);
}

/* Header value -> what the message accessor returns. */
struct hdr_case {
	const char *name;
	const char *header;  /* the whole line without CRLF, or NULL for none */
	int rc;              /* accessor's return */
	uint32_t value;
};

static const struct hdr_case mf_cases[] = {
	{"absent", NULL, 0, 0},
	{"zero", "Max-Forwards: 0", 1, 0},
	{"leading zeros (wsinv)", "MaX-fOrWaRdS: 0068", 1, 68},
	{"255 is the largest", "Max-Forwards: 255", 1, 255},
	{"256 is too large", "Max-Forwards: 256", -SIP_E_MAX_FORWARDS, 0},
	{"300 (scalar02)", "Max-Forwards: 300", -SIP_E_MAX_FORWARDS, 0},
	{"empty", "Max-Forwards:", -SIP_E_MAX_FORWARDS, 0},
	{"negative", "Max-Forwards: -1", -SIP_E_MAX_FORWARDS, 0},
	{"not a number", "Max-Forwards: 7a", -SIP_E_MAX_FORWARDS, 0},
	{"two numbers", "Max-Forwards: 7 8", -SIP_E_MAX_FORWARDS, 0},
};

static const struct hdr_case expires_cases[] = {
	{"absent", NULL, 0, 0},
	{"zero", "Expires: 0", 1, 0},
	{"an hour", "Expires: 3600", 1, 3600},
	{"2^32-1", "Expires: 4294967295", 1, 4294967295u},
	{"2^32 is clamped", "Expires: 4294967296", 1, 4294967295u},
	{"huge is clamped (scalar02)", "Expires: 1000000000000000000000000000000000000000000000000",
		1, 4294967295u},
	{"empty", "Expires:", -SIP_E_EXPIRES, 0},
	{"a date (RFC 2543 style)", "Expires: Thu, 01 Dec 1994 16:00:00 GMT", -SIP_E_EXPIRES, 0},
	{"negative", "Expires: -5", -SIP_E_EXPIRES, 0},
};

static int
parse_with(struct sip_msg *m, const char *header)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "OPTIONS sip:a@example.com SIP/2.0" CRLF "%s%s" CRLF,
			header ? header : "", header ? CRLF : "");
	int rc = test_parse(m, msg, (size_t)n);
	assert_int_equal(rc, n);
	return rc;
}

static void
run_mf_case(void **state)
{
	const struct hdr_case *c = *state;
	struct sip_msg m;
	uint32_t v = 12345;

	parse_with(&m, c->header);
	assert_int_equal(sip_msg_max_forwards(&m, &v), c->rc);
	if (c->rc == 1)
		assert_int_equal(v, c->value);
}

static void
run_expires_case(void **state)
{
	const struct hdr_case *c = *state;
	struct sip_msg m;
	uint32_t v = 12345;

	parse_with(&m, c->header);
	assert_int_equal(sip_msg_expires(&m, &v), c->rc);
	if (c->rc == 1)
		assert_int_equal(v, c->value);
}

static void
delta_seconds(void **state)
{
	uint32_t v;
	(void)state;

	assert_int_equal(sip_delta_seconds(SIP_STR_LIT("280297596632815"), &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(sip_delta_seconds(SIP_STR_LIT("4294967295"), &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(sip_delta_seconds(SIP_STR_LIT("60"), &v), 0);
	assert_int_equal(v, 60);
	assert_int_equal(sip_delta_seconds(SIP_STR_LIT(""), &v), -1);
	assert_int_equal(sip_delta_seconds(SIP_STR_LIT("6 0"), &v), -1);
}

struct callid_case {
	const char *name;
	const char *value;
	int ok;
};

static const struct callid_case callid_cases[] = {
	{"word@host", "a84b4c76e66710@pc33.example.org", 1},
	{"word only", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", 1},
	{"every word character (intmeth)", "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{", 1},
	{"empty", "", 0},
	{"nothing after '@'", "abc@", 0},
	{"nothing before '@'", "@host", 0},
	{"two '@'", "a@b@c", 0},
	{"space", "abc def", 0},
	{"byte above 0x7f", "abc\xc3\xa9", 0},
	{"semicolon", "abc;def", 0},
};

static void
run_callid_case(void **state)
{
	const struct callid_case *c = *state;
	size_t len = strlen(c->value);
	struct sip_str v = sip_str_make(guard_put(test_slot(0), c->value, len), len);

	assert_int_equal(sip_callid_check(v), c->ok ? 0 : -SIP_E_CALLID);
}

static void
message_accessors(void **state)
{
	static const char msg[] = "OPTIONS sip:a@example.com SIP/2.0" CRLF
		"i:   abc@def   " CRLF "CSeq: 5 OPTIONS" CRLF CRLF;
	static const char none[] = "OPTIONS sip:a@example.com SIP/2.0" CRLF CRLF;
	struct sip_msg m;
	struct sip_str s;
	struct sip_cseq cs;
	(void)state;

	assert_true(PARSE_LIT(&m, msg) > 0);
	assert_int_equal(sip_msg_callid(&m, &s), 0);
	assert_view(s, "abc@def");
	assert_int_equal(sip_msg_cseq(&m, &cs), 0);
	assert_int_equal(cs.seq, 5);
	assert_true(PARSE_LIT(&m, none) > 0);
	assert_int_equal(sip_msg_callid(&m, &s), -SIP_E_MISSING_HDR);
	assert_int_equal(sip_msg_cseq(&m, &cs), -SIP_E_MISSING_HDR);
}

/* sip_bytes_eq() against memcmp(): every length to 40, a difference at every byte, any bit. */
static void
bytes_eq(void **state)
{
	unsigned char a[40], b[40];
	(void)state;

	for (unsigned i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(a); n++) {
		/* Flush against the guard page, so reading past n would fault. */
		const unsigned char *x = (const unsigned char *)guard_put(test_slot(0), a, n);
		memcpy(b, a, n);
		const unsigned char *y = (const unsigned char *)guard_put(test_slot(1), b, n);
		assert_true(sip_bytes_eq(x, y, n));
		for (size_t at = 0; at < n; at++)
			for (unsigned bit = 0; bit < 8; bit++) {
				b[at] ^= (unsigned char)(1u << bit);
				y = (const unsigned char *)guard_put(test_slot(1), b, n);
				if (sip_bytes_eq(x, y, n) != (memcmp(x, y, n) == 0))
					fail_msg("length %zu, byte %zu, bit %u", n, at, bit);
				assert_false(sip_bytes_eq(x, y, n));
				b[at] ^= (unsigned char)(1u << bit);
			}
	}
}

int
test_group_scalar(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delta_seconds),
		cmocka_unit_test(message_accessors),
		cmocka_unit_test(bytes_eq),
	};
	int failed = RUN_ROWS("cseq", cseq_cases, run_cseq_case);
	failed += RUN_ROWS("max_forwards", mf_cases, run_mf_case);
	failed += RUN_ROWS("expires", expires_cases, run_expires_case);
	failed += RUN_ROWS("callid", callid_cases, run_callid_case);
	return failed + cmocka_run_group_tests_name("scalar_misc", tests, NULL, NULL);
}
