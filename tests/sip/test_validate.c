/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sip_validate()/sip_inspect()/sip_proxy_check(), rule by rule: each named
 * case changes one thing in a valid request (or response) and states the
 * verdict (error, status, header concerned) in the proxy profile (flags 0)
 * and in strict mode. The corpus tests cover the RFC 4475 messages; these
 * cover every rule on its own, so a rule cannot be dropped unnoticed.
 */
#include <string.h>

#include "sip_test.h"

#define RL "INVITE sip:b@example.com SIP/2.0\r\n"
#define VIA "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-v1\r\n"
#define MF "Max-Forwards: 70\r\n"
#define FROM "From: <sip:a@example.com>;tag=f1\r\n"
#define TO "To: <sip:b@example.com>\r\n"
#define CID "Call-ID: c1@192.0.2.1\r\n"
#define CSEQ "CSeq: 1 INVITE\r\n"
#define END "Content-Length: 0\r\n\r\n"
#define BASE VIA MF FROM TO CID CSEQ

struct verdict_want {
	enum sip_err err; /* SIP_E_OK: accepted */
	uint16_t status;
	enum sip_hdr_type hdr;
};

struct validate_case {
	const char *name;
	const char *msg;
	struct verdict_want proxy;  /* flags 0 */
	struct verdict_want strict; /* SIP_VAL_STRICT */
};

#define OK_ {SIP_E_OK, 0, SIP_HDR_OTHER}
#define E(e, s, h) {SIP_E_##e, s, SIP_HDR_##h}

static const struct validate_case cases[] = {
	{"valid", RL BASE END, OK_, OK_},
	{"valid_compact", RL "v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-v1\r\n" MF
		"f: <sip:a@example.com>;tag=f1\r\nt: <sip:b@example.com>\r\ni: c1\r\n" CSEQ
		"l: 0\r\n\r\n", OK_, OK_},
	{"no_max_forwards", RL VIA FROM TO CID CSEQ END, OK_, OK_},
	/* Required headers (RFC 3261 §8.1.1). */
	{"missing_via", RL MF FROM TO CID CSEQ END, E(MISSING_HDR, 400, VIA),
		E(MISSING_HDR, 400, VIA)},
	{"missing_from", RL VIA MF TO CID CSEQ END, E(MISSING_HDR, 400, FROM),
		E(MISSING_HDR, 400, FROM)},
	{"missing_to", RL VIA MF FROM CID CSEQ END, E(MISSING_HDR, 400, TO),
		E(MISSING_HDR, 400, TO)},
	{"missing_call_id", RL VIA MF FROM TO CSEQ END, E(MISSING_HDR, 400, CALL_ID),
		E(MISSING_HDR, 400, CALL_ID)},
	{"missing_cseq", RL VIA MF FROM TO CID END, E(MISSING_HDR, 400, CSEQ),
		E(MISSING_HDR, 400, CSEQ)},
	/* Single-value headers given twice. */
	{"dup_from", RL BASE FROM END, E(DUP_HDR, 400, FROM), E(DUP_HDR, 400, FROM)},
	{"dup_to", RL BASE TO END, E(DUP_HDR, 400, TO), E(DUP_HDR, 400, TO)},
	{"dup_call_id", RL BASE "i: c2@192.0.2.1\r\n" END, E(DUP_HDR, 400, CALL_ID),
		E(DUP_HDR, 400, CALL_ID)},
	{"dup_cseq", RL BASE CSEQ END, E(DUP_HDR, 400, CSEQ), E(DUP_HDR, 400, CSEQ)},
	{"dup_max_forwards", RL BASE MF END, E(DUP_HDR, 400, MAX_FORWARDS),
		E(DUP_HDR, 400, MAX_FORWARDS)},
	{"dup_expires", RL BASE "Expires: 60\r\nExpires: 60\r\n" END, E(DUP_HDR, 400, EXPIRES),
		E(DUP_HDR, 400, EXPIRES)},
	{"dup_content_length", RL BASE "Content-Length: 0\r\n" END,
		E(CL_DUP, 400, CONTENT_LENGTH), E(CL_DUP, 400, CONTENT_LENGTH)},
	/* Scalar values and their ranges. */
	{"max_forwards_word", RL VIA "Max-Forwards: seventy\r\n" FROM TO CID CSEQ END,
		E(MAX_FORWARDS, 400, MAX_FORWARDS), E(MAX_FORWARDS, 400, MAX_FORWARDS)},
	{"max_forwards_256", RL VIA "Max-Forwards: 256\r\n" FROM TO CID CSEQ END,
		E(MAX_FORWARDS, 400, MAX_FORWARDS), E(MAX_FORWARDS, 400, MAX_FORWARDS)},
	{"max_forwards_255", RL VIA "Max-Forwards: 255\r\n" FROM TO CID CSEQ END, OK_, OK_},
	{"expires_word", RL BASE "Expires: soon\r\n" END, E(EXPIRES, 400, EXPIRES),
		E(EXPIRES, 400, EXPIRES)},
	{"expires_huge", RL BASE "Expires: 99999999999999\r\n" END, OK_, OK_},
	{"cseq_no_method", RL VIA MF FROM TO CID "CSeq: 1\r\n" END, E(CSEQ, 400, CSEQ),
		E(CSEQ, 400, CSEQ)},
	{"cseq_2_32", RL VIA MF FROM TO CID "CSeq: 4294967296 INVITE\r\n" END,
		E(CSEQ, 400, CSEQ), E(CSEQ, 400, CSEQ)},
	{"cseq_method_mismatch", RL VIA MF FROM TO CID "CSeq: 1 BYE\r\n" END,
		E(CSEQ_METHOD, 400, CSEQ), E(CSEQ_METHOD, 400, CSEQ)},
	{"cseq_unknown_method", "FOO sip:b@example.com SIP/2.0\r\n" BASE END,
		E(CSEQ_UNKNOWN, 501, CSEQ), E(CSEQ_UNKNOWN, 501, CSEQ)},
	{"call_id_space", RL VIA MF FROM TO "Call-ID: c1 c2\r\n" CSEQ END,
		E(CALLID, 400, CALL_ID), E(CALLID, 400, CALL_ID)},
	/* Strict mode only: callid = word ["@" word] (RFC 3261 §25.1). */
	{"call_id_two_ats", RL VIA MF FROM TO "Call-ID: c1@a@b\r\n" CSEQ END, OK_,
		E(CALLID, 400, CALL_ID)},
	/* Start line and Request-URI. */
	{"version_3", "INVITE sip:b@example.com SIP/3.0\r\n" BASE END, E(VERSION, 505, OTHER),
		E(VERSION, 505, OTHER)},
	{"scheme_unknown", "INVITE http://example.com/b SIP/2.0\r\n" BASE END,
		E(SCHEME, 416, OTHER), E(SCHEME, 416, OTHER)},
	{"ruri_headers", "INVITE sip:b@example.com?Subject=x SIP/2.0\r\n" BASE END,
		E(URI_HEADERS, 400, OTHER), E(URI_HEADERS, 400, OTHER)},
	{"ruri_bad", "INVITE sip:b@ SIP/2.0\r\n" BASE END, E(REQUEST_URI, 400, OTHER),
		E(REQUEST_URI, 400, OTHER)},
	/* Addresses: the top Via and From/To always; the rest in strict mode. */
	{"top_via_no_host", RL "Via: SIP/2.0/UDP ;branch=z9hG4bK-v1\r\n" MF FROM TO CID CSEQ END,
		E(VIA, 400, VIA), E(VIA, 400, VIA)},
	{"second_via_bad", RL BASE "Via: SIP/2.0/UDP\r\n" END, OK_, E(VIA, 400, VIA)},
	{"from_no_gt", RL VIA MF "From: <sip:a@example.com;tag=f1\r\n" TO CID CSEQ END,
		E(NAMEADDR, 400, FROM), E(NAMEADDR, 400, FROM)},
	{"to_tag_no_value", RL VIA MF FROM "To: <sip:b@example.com>;tag\r\n" CID CSEQ END,
		E(NAMEADDR, 400, TO), E(NAMEADDR, 400, TO)},
	{"from_uri_bad", RL VIA MF "From: <sip:a@[::1>;tag=f1\r\n" TO CID CSEQ END, OK_,
		E(URI, 400, FROM)},
	{"contact_bad", RL BASE "Contact: <sip:c@example.com\r\n" END, OK_,
		E(NAMEADDR, 400, CONTACT)},
	{"contact_star", RL BASE "Contact: *\r\n" END, OK_, OK_},
	{"route_no_brackets", RL BASE "Route: sip:p@example.com;lr\r\n" END, OK_,
		E(NAMEADDR, 400, ROUTE)},
	{"record_route_no_brackets", RL BASE "Record-Route: sip:p@example.com;lr\r\n" END, OK_,
		E(NAMEADDR, 400, RECORD_ROUTE)},
	{"record_route_ok", RL BASE "Record-Route: <sip:p@example.com;lr>, <sip:q;lr>\r\n" END,
		OK_, OK_},
	/* Framing by Content-Length over UDP (RFC 3261 §18.3). */
	{"body_short", RL BASE "Content-Length: 10\r\n\r\nabc", E(BODY_SHORT, 400, CONTENT_LENGTH),
		E(BODY_SHORT, 400, CONTENT_LENGTH)},
	{"content_length_word", RL BASE "Content-Length: ten\r\n\r\n",
		E(CL_SYNTAX, 400, CONTENT_LENGTH), E(CL_SYNTAX, 400, CONTENT_LENGTH)},
	{"trailing_octets", RL BASE "Content-Length: 3\r\n\r\nabcdef", OK_, OK_},
	/* Responses are never answered: status 0 whatever the error. */
	{"response_missing_call_id", "SIP/2.0 200 OK\r\n" VIA FROM TO CSEQ END,
		E(MISSING_HDR, 0, CALL_ID), E(MISSING_HDR, 0, CALL_ID)},
	{"response_valid", "SIP/2.0 180 Ringing\r\n" VIA FROM TO CID CSEQ END, OK_, OK_},
};

static void
expect_verdict(const char *mode, const struct sip_verdict *v, const struct verdict_want *w)
{
	if (v->err != -(int)w->err)
		fail_msg("%s: verdict %s, want %s", mode, sip_err_name(v->err),
				sip_err_name(-(int)w->err));
	assert_int_equal(v->status, w->status);
	if (v->hdr != w->hdr)
		fail_msg("%s: header %s, want %s", mode, sip_hdr_name((enum sip_hdr_type)v->hdr),
				sip_hdr_name(w->hdr));
}

static void
run_validate(void **state)
{
	const struct validate_case *c = *state;
	size_t len = strlen(c->msg);
	const char *buf = guard_put(test_slot(0), c->msg, len);
	struct sip_msg m;
	struct sip_verdict v;
	struct sip_fields f;

	int rc = sip_parse(&m, buf, len, 0);
	int err = sip_inspect(&m, rc, 0, &v, &f);
	assert_int_equal(err, v.err);
	expect_verdict("proxy", &v, &c->proxy);
	err = sip_validate(&m, rc, SIP_VAL_STRICT, &v);
	assert_int_equal(err, v.err);
	expect_verdict("strict", &v, &c->strict);
	if (c->proxy.err == SIP_E_OK && sip_is_request(&m)) {
		/* What the fast path reads, as sip_inspect() returned it. */
		assert_int_equal(f.callid.len, strcspn(f.callid.p, "\r"));
		assert_true(f.top.has_branch);
		assert_true(f.from.has_tag);
		assert_false(f.to.has_tag);
		assert_int_equal(f.has_max_forwards, strstr(c->msg, "Max-Forwards") != NULL);
	}
	if (strcmp(c->name, "trailing_octets") == 0)
		assert_int_equal(m.len, len - 3); /* "def" is not part of the message */
}

/* Proxy checks (RFC 3261 §16.3 steps 3 and 6) after a valid message. */
static void
proxy_checks(void **state)
{
	static const struct {
		const char *msg;
		enum sip_err err;
		uint16_t status;
		enum sip_hdr_type hdr;
	} pc[] = {
		{RL BASE END, SIP_E_OK, 0, SIP_HDR_OTHER},
		{RL VIA FROM TO CID CSEQ END, SIP_E_OK, 0, SIP_HDR_OTHER},
		{RL VIA "Max-Forwards: 0\r\n" FROM TO CID CSEQ END, SIP_E_TOO_MANY_HOPS, 483,
			SIP_HDR_MAX_FORWARDS},
		{RL VIA "Max-Forwards: 1\r\n" FROM TO CID CSEQ END, SIP_E_OK, 0, SIP_HDR_OTHER},
		{RL BASE "Proxy-Require: foo\r\n" END, SIP_E_BAD_EXTENSION, 420,
			SIP_HDR_PROXY_REQUIRE},
		{RL BASE "Require: foo\r\n" END, SIP_E_OK, 0, SIP_HDR_OTHER},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(pc) / sizeof(pc[0]); i++) {
		struct sip_msg m;
		struct sip_verdict v;
		size_t len = strlen(pc[i].msg);
		const char *buf = guard_put(test_slot(0), pc[i].msg, len);
		int rc = sip_parse(&m, buf, len, 0);

		assert_int_equal(sip_validate(&m, rc, 0, &v), 0);
		assert_int_equal(sip_proxy_check(&m, &v), -(int)pc[i].err);
		assert_int_equal(v.status, pc[i].status);
		assert_int_equal(v.hdr, pc[i].hdr);
	}
}

int
test_group_validate(void)
{
	struct CMUnitTest t[sizeof(cases) / sizeof(cases[0]) + 1];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		t[n++] = (struct CMUnitTest){cases[i].name, run_validate, NULL, NULL,
			(void *)&cases[i]};
	t[n++] = (struct CMUnitTest){"proxy_checks", proxy_checks, NULL, NULL, NULL};
	return _cmocka_run_group_tests("validate", t, n, NULL, NULL);
}
