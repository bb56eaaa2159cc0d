/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Builders: the forwarded request (RFC 3261 §16.6, §16.11, §18.2.1, RFC
 * 3581), the forwarded response (§16.7, §18.2.2) and the stateless reply
 * (§8.2.6, §8.2.7). Each row gives the exact bytes expected ("@BRANCH@" and
 * "@TOTAG@" stand for the deterministic values); the output must re-parse,
 * validate, fit a buffer of exactly its size, and give -SIP_E_NOSPACE for
 * every smaller one without writing past it (outputs end at a guard page).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_copy.h"
#include "sip_test.h"

/* ---- helpers ---- */

/* The signing keys of every case (set up by main()); other_keys: another deployment's. */
static struct sip_keyring keys, other_keys;

static void
keys_init(void)
{
	uint8_t raw[SIP_KEY_LEN];

	for (unsigned i = 0; i < SIP_KEY_LEN; i++)
		raw[i] = (uint8_t)(0x2a + 17 * i);
	sip_key_set(&keys.cur, raw);
	raw[0] ^= 1;
	sip_key_set(&other_keys.cur, raw);
}

/* The branch we give a request (f from sip_inspect()) that came from src:port. */
static void
sign_branch(const struct sip_fields *f, const struct sip_addr *src, uint16_t port,
		char out[SIP_BRANCH_LEN])
{
	const struct sip_origin o = {.addr = *src, .port = port};

	sip_branch_sign(f, &o, &keys.cur, out);
}

/* template with "@BRANCH@" / "@TOTAG@" replaced; the result is malloc'd. */
static char *
expand(const char *tmpl, const char *branch, const char *totag, size_t *len)
{
	size_t n = 0, cap = strlen(tmpl) + 64;
	char *out = malloc(cap);

	assert_non_null(out);
	for (const char *p = tmpl; *p;) {
		if (branch && strncmp(p, "@BRANCH@", 8) == 0) {
			memcpy(out + n, branch, SIP_BRANCH_LEN);
			n += SIP_BRANCH_LEN;
			p += 8;
		} else if (totag && strncmp(p, "@TOTAG@", 7) == 0) {
			memcpy(out + n, totag, SIP_TOTAG_LEN);
			n += SIP_TOTAG_LEN;
			p += 7;
		} else {
			out[n++] = *p++;
		}
		assert_true(n + SIP_BRANCH_LEN < cap);
	}
	*len = n;
	return out;
}

static void
parse_addr(const char *text, struct sip_addr *a)
{
	assert_int_equal(sip_addr_parse(sip_str_make(text, strlen(text)), a), 0);
}

static void
expect_bytes(const char *got, size_t got_len, const char *want, size_t want_len)
{
	char a[2048], b[2048];

	if (got_len != want_len || memcmp(got, want, want_len) != 0)
		fail_msg("output:\n%s\nwant:\n%s", test_escape(got, got_len, a, sizeof(a)),
				test_escape(want, want_len, b, sizeof(b)));
}

/* A builder call that can be repeated with any output capacity. */
struct build_call {
	int (*fn)(char *out, size_t cap, const void *arg);
	const void *arg;
};

/*
 * Build with exactly the room the expected output needs, then with every
 * smaller room: -SIP_E_NOSPACE each time, and the guard page proves that
 * nothing is written past the capacity given.
 */
static void
build_exact(const struct build_call *b, const char *want, size_t want_len)
{
	char *out = guard_room(test_out(), want_len);
	int n = b->fn(out, want_len, b->arg);

	if (n < 0)
		fail_msg("builder failed: %s", sip_err_name(n));
	expect_bytes(out, (size_t)n, want, want_len);
	for (size_t cap = 0; cap < want_len; cap++) {
		out = guard_room(test_out(), cap);
		int rc = b->fn(out, cap, b->arg);
		if (rc != -SIP_E_NOSPACE)
			fail_msg("%zu bytes into %zu: %d", want_len, cap, rc);
	}
}

/* ---- request forwarding ---- */

#define R_LINE "INVITE sip:bob@example.com SIP/2.0" CRLF
#define R_VIA "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1" CRLF
#define R_MF "Max-Forwards: 70" CRLF
#define R_MF69 "Max-Forwards: 69" CRLF
#define R_TAIL "To: Bob <sip:bob@example.com>" CRLF \
	"From: Alice <sip:alice@example.org>;tag=1928301774" CRLF \
	"Call-ID: a84b4c76e66710@pc33.example.org" CRLF \
	"CSeq: 314159 INVITE" CRLF \
	"Contact: <sip:alice@pc33.example.org>" CRLF
#define R_CL0 "Content-Length: 0" CRLF CRLF
#define OUR_VIA "Via: SIP/2.0/UDP 192.0.2.99:5060;branch=@BRANCH@" CRLF
/* R_VIA forwarded from its own sent-by, 192.0.2.10:5060. */
#define R_VIA_SRC "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1;received=192.0.2.10" \
	";rport=5060" CRLF

struct fwd_case {
	const char *name;
	const char *in;
	const char *src;
	uint16_t src_port;
	const char *via_host;    /* NULL: 192.0.2.99:5060 over UDP */
	uint16_t via_port;
	enum sip_transport tp;
	const char *ruri;
	const char *rr;
	bool pop_route;          /* pop the first Route value (it is ours) */
	const char *want;
};

static const struct fwd_case fwd_cases[] = {
	/* received and rport always carry the source (the branch signs them): responses go there. */
	{"sent-by is the source: received and rport still written",
		R_LINE R_VIA R_MF R_TAIL R_CL0, "192.0.2.10", 5060, .want =
		R_LINE OUR_VIA R_VIA_SRC R_MF69 R_TAIL R_CL0},
	{"sent-by is not the source: received added",
		R_LINE R_VIA R_MF R_TAIL R_CL0, "198.51.100.7", 5060, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1"
		";received=198.51.100.7;rport=5060" CRLF R_MF69 R_TAIL R_CL0},
	{"host name sent-by: received added",
		R_LINE "Via: SIP/2.0/UDP pc33.example.org;branch=z9hG4bKinv1" CRLF R_MF R_TAIL
		R_CL0, "192.0.2.10", 5060, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP pc33.example.org;branch=z9hG4bKinv1"
		";received=192.0.2.10;rport=5060" CRLF R_MF69 R_TAIL R_CL0},
	/* RFC 3581: an empty rport gets the source port, and received is always added. */
	{"empty rport: filled in, received added",
		R_LINE "Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bKinv1" CRLF R_MF R_TAIL
		R_CL0, "192.0.2.10", 6000, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP 192.0.2.10:5060;rport=6000;branch=z9hG4bKinv1"
		";received=192.0.2.10" CRLF R_MF69 R_TAIL R_CL0},
	{"empty rport last",
		R_LINE "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1;rport" CRLF R_MF R_TAIL
		R_CL0, "203.0.113.5", 65535, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1;rport=65535"
		";received=203.0.113.5" CRLF R_MF69 R_TAIL R_CL0},
	{"rport with a value: replaced by the source port, received added",
		R_LINE "Via: SIP/2.0/UDP 192.0.2.10;rport=5070;branch=z9hG4bKinv1" CRLF R_MF R_TAIL
		R_CL0, "192.0.2.10", 6000, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP 192.0.2.10;rport=6000;branch=z9hG4bKinv1"
		";received=192.0.2.10" CRLF R_MF69 R_TAIL R_CL0},
	{"received and rport chosen by the sender: both replaced",
		R_LINE "Via: SIP/2.0/UDP 10.0.0.1;received=203.0.113.66;rport=9;branch=z9hG4bKinv1"
		CRLF R_MF R_TAIL R_CL0, "198.51.100.7", 5062, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP 10.0.0.1;received=198.51.100.7;rport=5062"
		";branch=z9hG4bKinv1" CRLF R_MF69 R_TAIL R_CL0},
	{"maddr is left as it is (responses ignore it)",
		R_LINE "Via: SIP/2.0/UDP 10.0.0.1;maddr=203.0.113.66;branch=z9hG4bKinv1" CRLF R_MF
		R_TAIL R_CL0, "198.51.100.7", 5060, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP 10.0.0.1;maddr=203.0.113.66;branch=z9hG4bKinv1"
		";received=198.51.100.7;rport=5060" CRLF R_MF69 R_TAIL R_CL0},
	{"received twice: the last one, which parsers read, replaced",
		R_LINE "Via: SIP/2.0/UDP 10.0.0.1;received=10.1.1.1;received=10.2.2.2;branch=z9hG4bKx"
		CRLF R_MF R_TAIL R_CL0, "198.51.100.7", 5060, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP 10.0.0.1;received=10.1.1.1;received=198.51.100.7"
		";branch=z9hG4bKx;rport=5060" CRLF R_MF69 R_TAIL R_CL0},
	{"received already there: replaced",
		R_LINE "Via: SIP/2.0/UDP 10.0.0.1;received=10.9.9.9;branch=z9hG4bKinv1" CRLF R_MF
		R_TAIL R_CL0, "198.51.100.7", 5060, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP 10.0.0.1;received=198.51.100.7;branch=z9hG4bKinv1"
		";rport=5060" CRLF R_MF69 R_TAIL R_CL0},
	{"IPv6 source",
		R_LINE "Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bKinv1" CRLF R_MF R_TAIL
		R_CL0, "2001:db8::7", 5060, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bKinv1"
		";received=2001:db8::7;rport=5060" CRLF R_MF69 R_TAIL R_CL0},
	{"IPv6 sent-by is the source",
		R_LINE "Via: SIP/2.0/UDP [2001:db8::7];branch=z9hG4bKinv1" CRLF R_MF R_TAIL R_CL0,
		"2001:db8::7", 5060, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP [2001:db8::7];branch=z9hG4bKinv1"
		";received=2001:db8::7;rport=5060" CRLF R_MF69 R_TAIL R_CL0},
	{"two values on the top line: only the first edited",
		R_LINE "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKinv1 , SIP/2.0/UDP 10.0.0.2"
		";branch=z9hG4bKold" CRLF R_MF R_TAIL R_CL0, "198.51.100.7", 5060, .want =
		R_LINE OUR_VIA "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKinv1;received=198.51.100.7"
		";rport=5060 , SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKold" CRLF R_MF69 R_TAIL R_CL0},
	{"Max-Forwards with leading zeros",
		R_LINE R_VIA "MaX-fOrWaRdS: 0068" CRLF R_TAIL R_CL0, "192.0.2.10", 5060, .want =
		R_LINE OUR_VIA R_VIA_SRC "MaX-fOrWaRdS: 67" CRLF R_TAIL R_CL0},
	{"Max-Forwards 1 becomes 0",
		R_LINE R_VIA "Max-Forwards:1" CRLF R_TAIL R_CL0, "192.0.2.10", 5060, .want =
		R_LINE OUR_VIA R_VIA_SRC "Max-Forwards:0" CRLF R_TAIL R_CL0},
	{"Max-Forwards absent: 70 added",
		R_LINE R_VIA R_TAIL R_CL0, "192.0.2.10", 5060, .want =
		R_LINE OUR_VIA "Max-Forwards: 70" CRLF R_VIA_SRC R_TAIL R_CL0},
	{"Content-Length absent: added for the body",
		R_LINE R_VIA R_MF R_TAIL CRLF "v=0" CRLF, "192.0.2.10", 5060, .want =
		R_LINE OUR_VIA "Content-Length: 5" CRLF R_VIA_SRC R_MF69 R_TAIL CRLF "v=0" CRLF},
	{"leading CRLFs and trailing octets dropped",
		CRLF CRLF R_LINE R_VIA R_MF R_TAIL "Content-Length: 3" CRLF CRLF "abcINVITE junk",
		"192.0.2.10", 5060, .want =
		R_LINE OUR_VIA R_VIA_SRC R_MF69 R_TAIL "Content-Length: 3" CRLF CRLF "abc"},
	{"Request-URI rewritten",
		R_LINE R_VIA R_MF R_TAIL R_CL0, "192.0.2.10", 5060,
		.ruri = "sip:bob@192.0.2.50:5070",
		.want = "INVITE sip:bob@192.0.2.50:5070 SIP/2.0" CRLF OUR_VIA R_VIA_SRC R_MF69 R_TAIL
		R_CL0},
	{"Record-Route added after our Via",
		R_LINE R_VIA R_MF R_TAIL R_CL0, "192.0.2.10", 5060, .rr = "sip:192.0.2.99;lr",
		.want = R_LINE OUR_VIA "Record-Route: <sip:192.0.2.99;lr>" CRLF R_VIA_SRC R_MF69 R_TAIL
		R_CL0},
	{"our Route popped: the line goes",
		R_LINE R_VIA R_MF "Route: <sip:192.0.2.99;lr>" CRLF
		"Route: <sip:next.example.com;lr>" CRLF R_TAIL R_CL0, "192.0.2.10", 5060,
		.pop_route = true, .want =
		R_LINE OUR_VIA R_VIA_SRC R_MF69 "Route: <sip:next.example.com;lr>" CRLF R_TAIL R_CL0},
	{"our Route popped: first of two values",
		R_LINE R_VIA R_MF "Route: <sip:192.0.2.99;lr> ,\t<sip:next.example.com;lr>" CRLF
		R_TAIL R_CL0, "192.0.2.10", 5060, .pop_route = true, .want =
		R_LINE OUR_VIA R_VIA_SRC R_MF69 "Route: <sip:next.example.com;lr>" CRLF R_TAIL R_CL0},
	{"our Route popped: folded value",
		R_LINE R_VIA R_MF "Route:" CRLF " <sip:services.example.com;lr;unknownwith=value>"
		CRLF R_TAIL R_CL0, "192.0.2.10", 5060, .pop_route = true, .want =
		R_LINE OUR_VIA R_VIA_SRC R_MF69 R_TAIL R_CL0},
	{"TCP over IPv6 for our Via",
		R_LINE R_VIA R_MF R_TAIL R_CL0, "192.0.2.10", 5060, "[2001:db8::99]", 5080,
		SIP_TP_TCP,
		.want = R_LINE "Via: SIP/2.0/TCP [2001:db8::99]:5080;branch=@BRANCH@" CRLF R_VIA_SRC
		R_MF69 R_TAIL R_CL0},
	/* wsinv: compact names, folds and unknown headers go through byte for byte. */
	{"compact, folded and unknown headers untouched",
		R_LINE "v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1" CRLF R_MF
		"NewFangledHeader:   newfangled value" CRLF " continued newfangled value" CRLF
		"UnknownHeaderWithUnusualValue: ;;,,;;,;" CRLF "s :" CRLF R_TAIL R_CL0,
		"192.0.2.10", 5060, .want =
		R_LINE OUR_VIA "v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1"
		";received=192.0.2.10;rport=5060" CRLF R_MF69
		"NewFangledHeader:   newfangled value" CRLF " continued newfangled value" CRLF
		"UnknownHeaderWithUnusualValue: ;;,,;;,;" CRLF "s :" CRLF R_TAIL R_CL0},
	{"everything at once",
		CRLF R_LINE "Via: SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKinv1" CRLF
		"Route: <sip:192.0.2.99;lr>,<sip:gw.example.net;lr>" CRLF R_TAIL CRLF "body" "junk",
		"198.51.100.7", 4000, .ruri = "sip:bob@gw.example.net", .rr = "sip:192.0.2.99;lr",
		.pop_route = true, .want =
		"INVITE sip:bob@gw.example.net SIP/2.0" CRLF OUR_VIA
		"Record-Route: <sip:192.0.2.99;lr>" CRLF "Max-Forwards: 70" CRLF
		"Content-Length: 8" CRLF
		"Via: SIP/2.0/UDP 10.0.0.1;rport=4000;branch=z9hG4bKinv1;received=198.51.100.7" CRLF
		"Route: <sip:gw.example.net;lr>" CRLF R_TAIL CRLF "bodyjunk"},
};

struct fwd_arg {
	const struct sip_msg *m;
	const struct sip_fwd_opts *o;
};

static int
fwd_fn(char *out, size_t cap, const void *arg)
{
	const struct fwd_arg *f = arg;
	return sip_build_request_fwd(out, cap, f->m, f->o);
}

static void
run_fwd_case(void **state)
{
	const struct fwd_case *c = *state;
	struct sip_msg m, m2;
	struct sip_fields f, f2;
	struct sip_verdict v;
	struct sip_addr src;
	struct sip_naddr route;
	struct sip_cursor cur;
	char branch[SIP_BRANCH_LEN];
	size_t in_len = strlen(c->in), want_len;

	int rc = test_parse(&m, c->in, in_len);
	assert_true(rc > 0);
	if (sip_inspect(&m, rc, SIP_VAL_STRICT, &v, &f) != 0)
		fail_msg("input refused: %s", sip_err_name(v.err));
	assert_int_equal(sip_proxy_check(&m, &v), 0);
	parse_addr(c->src, &src);
	sign_branch(&f, &src, c->src_port, branch);

	struct sip_fwd_opts o = {
		.top = &f.top,
		.via_host = c->via_host ? sip_str_make(c->via_host, strlen(c->via_host)) :
			SIP_STR_LIT("192.0.2.99"),
		.via_port = c->via_host ? c->via_port : 5060,
		.via_tp = c->via_host ? c->tp : SIP_TP_UDP,
		.branch = branch,
		.src = &src,
		.src_port = c->src_port,
		.ruri = c->ruri ? sip_str_make(c->ruri, strlen(c->ruri)) : SIP_STR_NULL,
		.record_route = c->rr ? sip_str_make(c->rr, strlen(c->rr)) : SIP_STR_NULL,
	};
	if (c->pop_route) {
		sip_cursor_init(&cur, &m, SIP_HDR_ROUTE);
		assert_int_equal(sip_naddr_next(&cur, &route, SIP_NADDR_NEED_BRACKETS), 1);
		o.route = &route;
		o.route_hdr = sip_cursor_hdr(&cur);
	}
	char *want = expand(c->want, branch, NULL, &want_len);
	struct fwd_arg arg = {&m, &o};
	struct build_call b = {fwd_fn, &arg};
	build_exact(&b, want, want_len);

	/* The output is a valid request whose top Via is ours. */
	const char *out = guard_put(test_slot(1), want, want_len);
	assert_int_equal(sip_parse(&m2, out, want_len, 0), (int)want_len);
	assert_int_equal(sip_inspect(&m2, (int)want_len, SIP_VAL_STRICT, &v, &f2), 0);
	assert_view_n(f2.top.branch, branch, SIP_BRANCH_LEN);
	free(want);
}

/* ---- the branch: same for a transaction's INVITE, retransmission, CANCEL and ACK ---- */

#define B_VIA3261 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9" CRLF
#define B_VIA2543 "Via: SIP/2.0/UDP 192.0.2.10:5060" CRLF
#define B_TO "To: Bob <sip:bob@example.com>" CRLF
#define B_TO_TAGGED "To: Bob <sip:bob@example.com>;tag=8321234356" CRLF
#define B_FROM "From: Alice <sip:alice@example.org>;tag=9fxced76sl" CRLF
#define B_CALLID "Call-ID: 3848276298220188511@atlanta.example.com" CRLF
#define B_MSG(method, ruri, via, to, from, callid, cseq) \
	method " " ruri " SIP/2.0" CRLF via "Max-Forwards: 70" CRLF to from callid \
	"CSeq: " cseq CRLF "Content-Length: 0" CRLF CRLF
#define B_INV(via) B_MSG("INVITE", "sip:bob@example.com", via, B_TO, B_FROM, B_CALLID, \
	"1 INVITE")

struct branch_case {
	const char *name;
	const char *reference;   /* the transaction's INVITE */
	const char *text;
	bool same;               /* same branch as the reference */
};

static const struct branch_case branch_cases[] = {
	{"3261: retransmission", B_INV(B_VIA3261), B_INV(B_VIA3261), true},
	{"3261: CANCEL", B_INV(B_VIA3261), B_MSG("CANCEL", "sip:bob@example.com", B_VIA3261, B_TO,
		B_FROM, B_CALLID, "1 CANCEL"), true},
	{"3261: ACK for a non-2xx", B_INV(B_VIA3261), B_MSG("ACK", "sip:bob@example.com",
		B_VIA3261, B_TO_TAGGED, B_FROM, B_CALLID, "1 ACK"), true},
	{"3261: next transaction (new branch)", B_INV(B_VIA3261), B_MSG("INVITE",
		"sip:bob@example.com", "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bfa" CRLF,
		B_TO, B_FROM, B_CALLID, "2 INVITE"), false},
	/* The branch names the transaction; the source (signed) tells senders apart. */
	{"3261: same branch and source, another sent-by", B_INV(B_VIA3261), B_INV("Via: SIP/2.0/UDP "
		"192.0.2.11:5060;branch=z9hG4bK74bf9" CRLF), true},
	{"2543: retransmission", B_INV(B_VIA2543), B_INV(B_VIA2543), true},
	{"2543: CANCEL", B_INV(B_VIA2543), B_MSG("CANCEL", "sip:bob@example.com", B_VIA2543,
		B_TO, B_FROM, B_CALLID, "1 CANCEL"), true},
	{"2543: ACK for a non-2xx", B_INV(B_VIA2543), B_MSG("ACK", "sip:bob@example.com",
		B_VIA2543, B_TO_TAGGED, B_FROM, B_CALLID, "1 ACK"), true},
	{"2543: next CSeq", B_INV(B_VIA2543), B_MSG("INVITE", "sip:bob@example.com", B_VIA2543,
		B_TO, B_FROM, B_CALLID, "2 INVITE"), false},
	{"2543: another Call-ID", B_INV(B_VIA2543), B_MSG("INVITE", "sip:bob@example.com",
		B_VIA2543, B_TO, B_FROM, "Call-ID: other@atlanta.example.com" CRLF, "1 INVITE"),
		false},
	{"2543: another From-tag", B_INV(B_VIA2543), B_MSG("INVITE", "sip:bob@example.com",
		B_VIA2543, B_TO, "From: Alice <sip:alice@example.org>;tag=other" CRLF, B_CALLID,
		"1 INVITE"), false},
	/* Left out so that responses, which carry no Request-URI, can be checked. */
	{"2543: another Request-URI", B_INV(B_VIA2543), B_MSG("INVITE", "sip:carol@example.com",
		B_VIA2543, B_TO, B_FROM, B_CALLID, "1 INVITE"), true},
	/* badbranch: the cookie alone is no RFC 3261 branch, so the 2543 rule applies. */
	{"cookie only: CANCEL", B_INV("Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK" CRLF),
		B_MSG("CANCEL", "sip:bob@example.com", "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK"
		CRLF, B_TO, B_FROM, B_CALLID, "1 CANCEL"), true},
	{"cookie only: next CSeq", B_INV("Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK" CRLF),
		B_MSG("INVITE", "sip:bob@example.com", "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK"
		CRLF, B_TO, B_FROM, B_CALLID, "2 INVITE"), false},
};

/* The branch sip_branch_sign() gives, and the one on top of the forwarded request. */
static void
branch_of(unsigned slot, const char *text, char branch[SIP_BRANCH_LEN])
{
	struct sip_msg m, m2;
	struct sip_fields f, f2;
	struct sip_verdict v;
	struct sip_addr src;
	char out[2048];

	int rc = test_parse_slot(slot, &m, text, strlen(text));
	assert_int_equal(sip_inspect(&m, rc, SIP_VAL_STRICT, &v, &f), 0);
	parse_addr("192.0.2.10", &src);
	sign_branch(&f, &src, 5060, branch);
	assert_memory_equal(branch, "z9hG4bKsl", 9);
	for (unsigned i = 9; i < SIP_BRANCH_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", branch[i]));
	struct sip_fwd_opts o = {.top = &f.top, .via_host = SIP_STR_LIT("192.0.2.99"),
		.via_port = 5060, .branch = branch, .src = &src, .src_port = 5060};
	int n = sip_build_request_fwd(out, sizeof(out), &m, &o);
	assert_true(n > 0);
	assert_int_equal(test_parse_slot(3, &m2, out, (size_t)n), n);
	assert_int_equal(sip_inspect(&m2, n, SIP_VAL_STRICT, &v, &f2), 0);
	assert_view_n(f2.top.branch, branch, SIP_BRANCH_LEN);
}

static void
run_branch_case(void **state)
{
	const struct branch_case *c = *state;
	char a[SIP_BRANCH_LEN], b[SIP_BRANCH_LEN];

	branch_of(0, c->reference, a);
	branch_of(1, c->text, b);
	if ((memcmp(a, b, SIP_BRANCH_LEN) == 0) != c->same)
		fail_msg("branches %.25s and %.25s, want them %s", a, b,
				c->same ? "equal" : "different");
}

static void
branch_depends_on_key(void **state)
{
	static const char text[] = B_INV(B_VIA3261);
	struct sip_msg m;
	struct sip_fields f;
	struct sip_verdict v;
	struct sip_addr src;
	char a[SIP_BRANCH_LEN], b[SIP_BRANCH_LEN];
	(void)state;

	int rc = PARSE_LIT(&m, text);
	assert_int_equal(sip_inspect(&m, rc, 0, &v, &f), 0);
	parse_addr("192.0.2.10", &src);
	const struct sip_origin o = {.addr = src, .port = 5060};
	sip_branch_sign(&f, &o, &keys.cur, a);
	sip_branch_sign(&f, &o, &other_keys.cur, b);
	assert_memory_not_equal(a, b, SIP_BRANCH_LEN);
}

/* The same INVITE from another source port or address gets another branch. */
static void
branch_depends_on_origin(void **state)
{
	static const char text[] = B_INV(B_VIA3261);
	struct sip_msg m;
	struct sip_fields f;
	struct sip_verdict v;
	struct sip_addr src, src2;
	char a[SIP_BRANCH_LEN], b[SIP_BRANCH_LEN], c[SIP_BRANCH_LEN];
	(void)state;

	int rc = PARSE_LIT(&m, text);
	assert_int_equal(sip_inspect(&m, rc, 0, &v, &f), 0);
	parse_addr("192.0.2.10", &src);
	parse_addr("192.0.2.11", &src2);
	sign_branch(&f, &src, 5060, a);
	sign_branch(&f, &src, 5061, b);
	sign_branch(&f, &src2, 5060, c);
	assert_memory_not_equal(a, b, SIP_BRANCH_LEN);
	assert_memory_not_equal(a, c, SIP_BRANCH_LEN);
}

/*
 * The response to what we forwarded proves it: its branch is checked from
 * its own fields, and signs where it goes (the received/rport we wrote).
 */
struct rsp_check_case {
	const char *name;
	const char *second_via;   /* NULL: the request's Via as we forwarded it */
	const char *cseq;         /* NULL: "1 INVITE" */
	bool other_key;
	bool want3261, want2543;  /* accepted for the RFC 3261 / RFC 2543 request */
};

static const struct rsp_check_case rsp_check_cases[] = {
	{"genuine", NULL, NULL, false, true, true},
	{"another CSeq (not signed for RFC 3261 branches)", NULL, "2 INVITE", false, true, false},
	{"another key", NULL, NULL, true, false, false},
	{"received steered elsewhere", "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9"
		";received=203.0.113.66;rport=5062", NULL, false, false, false},
	{"rport steered elsewhere", "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9"
		";received=198.51.100.1;rport=5099", NULL, false, false, false},
	{"maddr added (ignored: still goes to the source)", "Via: SIP/2.0/UDP 192.0.2.10:5060"
		";branch=z9hG4bK74bf9;maddr=203.0.113.66;received=198.51.100.1;rport=5062", NULL,
		false, true, true},
	{"rport removed", "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9"
		";received=198.51.100.1", NULL, false, false, false},
	{"received removed", "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;rport=5062",
		NULL, false, false, false},
	/* RFC 3261: the branch and origin name the transaction; sent-by steers nothing. */
	{"another sent-by below ours", "Via: SIP/2.0/UDP 192.0.2.66:5060;branch=z9hG4bK74bf9"
		";received=198.51.100.1;rport=5062", NULL, false, true, false},
	{"another branch below ours", "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bfa"
		";received=198.51.100.1;rport=5062", NULL, false, false, false},
	{"another transport below ours", "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK74bf9"
		";received=198.51.100.1;rport=5062", NULL, false, false, false},
};

static void
run_rsp_check_case(void **state)
{
	const struct rsp_check_case *c = *state;
	static const char *const reqs[] = {B_INV(B_VIA3261), B_INV(B_VIA2543)};

	for (unsigned i = 0; i < 2; i++) {
		char resp[1024], branch[SIP_BRANCH_LEN], fwd[1024], second[256];
		struct sip_msg m, r, mf;
		struct sip_fields f, rf;
		struct sip_verdict v;
		struct sip_cursor cur;
		struct sip_via ours, prev;
		struct sip_addr src;
		struct sip_origin to;

		int rc = test_parse_slot(0, &m, reqs[i], strlen(reqs[i]));
		assert_int_equal(sip_inspect(&m, rc, 0, &v, &f), 0);
		parse_addr("198.51.100.1", &src);
		sign_branch(&f, &src, 5062, branch);
		/* The request's Via as we forward it: what the response carries below ours. */
		struct sip_fwd_opts o = {.top = &f.top, .via_host = SIP_STR_LIT("192.0.2.99"),
			.via_port = 5060, .branch = branch, .src = &src, .src_port = 5062};
		int n = sip_build_request_fwd(fwd, sizeof(fwd), &m, &o);
		assert_true(n > 0);
		assert_int_equal(test_parse_slot(2, &mf, fwd, (size_t)n), n);
		sip_cursor_init(&cur, &mf, SIP_HDR_VIA);
		assert_int_equal(sip_via_next(&cur, &ours), 1);
		assert_int_equal(sip_via_next(&cur, &prev), 1);
		if (c->second_via != NULL) {
			snprintf(second, sizeof(second), "%s", c->second_via);
			/* The RFC 2543 request has no branch: drop it from the variant too. */
			char *b = i == 1 ? strstr(second, ";branch=z9hG4bK74bf9") : NULL;
			if (b != NULL)
				memmove(b, b + 20, strlen(b + 20) + 1);
		} else {
			snprintf(second, sizeof(second), "Via: %.*s", (int)(prev.end - prev.start),
					prev.start);
		}
		snprintf(resp, sizeof(resp), "SIP/2.0 200 OK" CRLF
				"Via: SIP/2.0/UDP 192.0.2.99:5060;branch=%.*s" CRLF "%s" CRLF
				B_TO_TAGGED B_FROM B_CALLID "CSeq: %s" CRLF "Content-Length: 0" CRLF CRLF,
				SIP_BRANCH_LEN, branch, second, c->cseq ? c->cseq : "1 INVITE");
		rc = test_parse_slot(1, &r, resp, strlen(resp));
		assert_int_equal(sip_inspect(&r, rc, 0, &v, &rf), 0);
		sip_cursor_init(&cur, &r, SIP_HDR_VIA);
		assert_int_equal(sip_via_next(&cur, &ours), 1);
		assert_int_equal(sip_via_next(&cur, &prev), 1);
		bool want = i == 0 ? c->want3261 : c->want2543;
		bool got = sip_via_origin(&prev, &to) == 0 && sip_branch_verify(rf.top.branch,
				&prev, &to, &rf, c->other_key ? &other_keys : &keys);
		if (got != want)
			fail_msg("%s request: %s", i ? "2543" : "3261", got ? "accepted" : "refused");
		if (got) {
			assert_true(sip_addr_eq(&to.addr, &src));
			assert_int_equal(to.port, 5062);
		}
	}
}

/* During a rotation the previous key still verifies; after it, no longer. */
static void
branch_key_rotation(void **state)
{
	static const char text[] = B_INV(B_VIA3261);
	struct sip_msg m;
	struct sip_fields f;
	struct sip_verdict v;
	struct sip_addr src;
	char branch[SIP_BRANCH_LEN];
	(void)state;

	int rc = PARSE_LIT(&m, text);
	assert_int_equal(sip_inspect(&m, rc, 0, &v, &f), 0);
	parse_addr("192.0.2.10", &src);
	const struct sip_origin o = {.addr = src, .port = 5060};
	sip_branch_sign(&f, &o, &keys.cur, branch);
	struct sip_str b = sip_str_make(branch, SIP_BRANCH_LEN);
	struct sip_keyring rotated = {.cur = other_keys.cur, .prev = keys.cur, .has_prev = true};
	struct sip_keyring after = {.cur = other_keys.cur};
	assert_true(sip_branch_verify(b, &f.top, &o, &f, &keys));
	assert_true(sip_branch_verify(b, &f.top, &o, &f, &rotated));
	assert_false(sip_branch_verify(b, &f.top, &o, &f, &after));
}

static void
fwd_refuses_max_forwards_zero(void **state)
{
	static const char text[] = R_LINE R_VIA "Max-Forwards: 0" CRLF R_TAIL R_CL0;
	struct sip_msg m;
	struct sip_fields f;
	struct sip_verdict v;
	struct sip_addr src;
	char out[1024], branch[SIP_BRANCH_LEN];
	(void)state;

	int rc = PARSE_LIT(&m, text);
	assert_int_equal(sip_inspect(&m, rc, SIP_VAL_STRICT, &v, &f), 0);
	assert_int_equal(sip_proxy_check(&m, &v), -SIP_E_TOO_MANY_HOPS);
	assert_int_equal(v.status, 483);
	parse_addr("192.0.2.10", &src);
	sign_branch(&f, &src, 5060, branch);
	struct sip_fwd_opts o = {.top = &f.top, .via_host = SIP_STR_LIT("192.0.2.99"),
		.via_port = 5060, .branch = branch, .src = &src, .src_port = 5060};
	assert_int_equal(sip_build_request_fwd(out, sizeof(out), &m, &o), -SIP_E_MAX_FORWARDS);
}

/* ---- forwarding corpus messages ---- */

struct corpus_fwd_case {
	const char *name;
	const char *file;
	const char *must[4];      /* byte strings the forwarded request holds */
	const char *must_not[2];  /* and does not */
};

static const struct corpus_fwd_case corpus_fwd_cases[] = {
	{"wsinv: unknown and folded headers byte for byte", "rfc4475/wsinv.sip",
		{"NewFangledHeader:   newfangled value" CRLF " continued newfangled value" CRLF,
		"UnknownHeaderWithUnusualValue: ;;,,;;,;" CRLF, "MaX-fOrWaRdS: 67" CRLF,
		CRLF "    192.0.2.2;branch=390skdjuw;received=198.51.100.7;rport=5060" CRLF},
		{NULL}},
	{"inv2543: Max-Forwards and Content-Length added", "rfc4475/inv2543.sip",
		{"Max-Forwards: 70" CRLF "Content-Length: 105" CRLF,
		"Via: SIP/2.0/UDP iftgw.example.com;received=198.51.100.7;rport=5060" CRLF},
		{NULL}},
	{"dblreq: the trailing INVITE is not forwarded", "rfc4475/dblreq.sip",
		{"Max-Forwards: 7" CRLF, "Content-Length: 0" CRLF CRLF}, {"INVITE sip:joe",
		"dblreq.0ha0isnda977644900765"}},
	{"mpart01: binary body and empty rport", "rfc4475/mpart01.sip",
		{";rport=5060;received=198.51.100.7" CRLF, "Content-Length: 553" CRLF}, {NULL}},
	{"esc01: escapes untouched", "rfc4475/esc01.sip",
		{"INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0" CRLF,
		"  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>" CRLF}, {NULL}},
	{"intmeth: unknown method and binary bytes", "rfc4475/intmeth.sip",
		{"!interesting-Method0123456789_*+`.%indeed'~ sip:", "Max-Forwards: 254" CRLF},
		{NULL}},
};

static void
run_corpus_fwd_case(void **state)
{
	const struct corpus_fwd_case *c = *state;
	struct sip_msg m, m2;
	struct sip_fields f;
	struct sip_verdict v;
	struct sip_addr src;
	char branch[SIP_BRANCH_LEN], *raw;
	size_t raw_len;

	test_corpus_read(c->file, &raw, &raw_len);
	int rc = test_parse(&m, raw, raw_len);
	assert_int_equal(sip_inspect(&m, rc, SIP_VAL_STRICT, &v, &f), 0);
	assert_int_equal(sip_proxy_check(&m, &v), 0);
	parse_addr("198.51.100.7", &src);
	sign_branch(&f, &src, 5060, branch);
	struct sip_fwd_opts o = {.top = &f.top, .via_host = SIP_STR_LIT("192.0.2.99"),
		.via_port = 5060, .branch = branch, .src = &src, .src_port = 5060};
	size_t cap = raw_len + 512;
	char *out = guard_room(test_out(), cap);
	int n = sip_build_request_fwd(out, cap, &m, &o);
	assert_true(n > 0);

	for (unsigned i = 0; i < 4 && c->must[i]; i++)
		if (memmem(out, (size_t)n, c->must[i], strlen(c->must[i])) == NULL)
			fail_msg("output lacks \"%s\"", c->must[i]);
	for (unsigned i = 0; i < 2 && c->must_not[i]; i++)
		if (memmem(out, (size_t)n, c->must_not[i], strlen(c->must_not[i])) != NULL)
			fail_msg("output holds \"%s\"", c->must_not[i]);
	const char *p = guard_put(test_slot(1), out, (size_t)n);
	assert_int_equal(sip_parse(&m2, p, (size_t)n, 0), n);
	assert_int_equal(sip_validate(&m2, n, SIP_VAL_STRICT, &v), 0);
	/* The framed body, byte for byte (binary in mpart01). */
	assert_int_equal(m2.body_len, m.body_len);
	assert_memory_equal(p + m2.body, m.buf + m.body, m.body_len);
	free(raw);
}

/* RFC 2543 (no branch) on the real message: CANCEL and ACK get the INVITE's branch. */
static void
inv2543_transaction(void **state)
{
	static const struct {
		const char *from, *to;
	} edits[3][3] = {
		{{NULL, NULL}},
		{{"INVITE sip:", "CANCEL sip:"}, {"CSeq: 56 INVITE", "CSeq: 56 CANCEL"}},
		{{"INVITE sip:", "ACK sip:"}, {"CSeq: 56 INVITE", "CSeq: 56 ACK"},
			{"user=phone" CRLF "Call-ID", "user=phone;tag=11" CRLF "Call-ID"}},
	};
	char branch[3][SIP_BRANCH_LEN], *raw;
	size_t raw_len;
	(void)state;

	test_corpus_read("rfc4475/inv2543.sip", &raw, &raw_len);
	for (unsigned k = 0; k < 3; k++) {
		char text[1024];
		size_t n = raw_len;
		memcpy(text, raw, raw_len);
		for (unsigned e = 0; e < 3 && edits[k][e].from; e++) {
			size_t fl = strlen(edits[k][e].from), tl = strlen(edits[k][e].to);
			char *at = memmem(text, n, edits[k][e].from, fl);
			assert_non_null(at);
			memmove(at + tl, at + fl, n - (size_t)(at - text) - fl);
			memcpy(at, edits[k][e].to, tl);
			n = n + tl - fl;
		}
		struct sip_msg m;
		struct sip_fields f;
		struct sip_verdict v;
		struct sip_addr src;
		assert_int_equal(test_parse_slot(k, &m, text, n), (int)n);
		assert_int_equal(sip_inspect(&m, (int)n, 0, &v, &f), 0);
		assert_false(f.top.has_branch);
		parse_addr("198.51.100.7", &src);
		sign_branch(&f, &src, 5060, branch[k]);
	}
	assert_memory_equal(branch[0], branch[1], SIP_BRANCH_LEN);
	assert_memory_equal(branch[0], branch[2], SIP_BRANCH_LEN);
	free(raw);
}

/* ---- stateless replies ---- */

#define Q_VIA2 "Via: SIP/2.0/TCP 10.1.1.1;branch=z9hG4bKprev" CRLF
#define Q_FROM "From: Alice <sip:alice@example.org>;tag=1928301774" CRLF
#define Q_CALLID "Call-ID: a84b4c76e66710@pc33.example.org" CRLF
#define Q_CSEQ "CSeq: 314159 INVITE" CRLF
#define Q_REQ(via, to) R_LINE via Q_VIA2 "Max-Forwards: 70" CRLF to Q_FROM Q_CALLID Q_CSEQ \
	"Contact: <sip:alice@pc33.example.org>" CRLF "Content-Length: 4" CRLF CRLF "v=0\n"

struct reply_case {
	const char *name;
	const char *in;
	uint16_t code;
	const char *reason;
	const char *src;
	uint16_t src_port;
	unsigned n_contacts;
	const char *extra;
	const char *want;
};

static const struct sip_str reply_contacts[] = {
	SIP_STR_LIT("<sip:bob@192.0.2.50>;q=0.7"),
	SIP_STR_LIT("<sip:bob@192.0.2.51:5080;transport=tcp>;q=0.3;expires=60"),
};

static const struct reply_case reply_cases[] = {
	{"302 with two Contacts", Q_REQ(R_VIA, "To: Bob <sip:bob@example.com>" CRLF), 302, NULL,
		"192.0.2.10", 5060, 2, NULL,
		"SIP/2.0 302 Moved Temporarily" CRLF R_VIA Q_VIA2 Q_FROM
		"To: Bob <sip:bob@example.com>;tag=@TOTAG@" CRLF Q_CALLID Q_CSEQ
		"Contact: <sip:bob@192.0.2.50>;q=0.7, <sip:bob@192.0.2.51:5080;transport=tcp>"
		";q=0.3;expires=60" CRLF "Content-Length: 0" CRLF CRLF},
	{"404, own reason, received on the top Via",
		Q_REQ(R_VIA, "To: <sip:bob@example.com>" CRLF), 404, "Nobody Here", "198.51.100.7",
		5060, 0, NULL,
		"SIP/2.0 404 Nobody Here" CRLF "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1"
		";received=198.51.100.7" CRLF Q_VIA2 Q_FROM
		"To: <sip:bob@example.com>;tag=@TOTAG@" CRLF Q_CALLID Q_CSEQ
		"Content-Length: 0" CRLF CRLF},
	{"To already tagged: unchanged",
		Q_REQ(R_VIA, "To: <sip:bob@example.com>;tag=abc" CRLF), 486, NULL, "192.0.2.10",
		5060, 0, NULL,
		"SIP/2.0 486 Busy Here" CRLF R_VIA Q_VIA2 Q_FROM "To: <sip:bob@example.com>;tag=abc"
		CRLF Q_CALLID Q_CSEQ "Content-Length: 0" CRLF CRLF},
	{"bare addr-spec To: tag after it", Q_REQ(R_VIA, "t: sip:bob@example.com" CRLF), 480,
		NULL, "192.0.2.10", 5060, 0, NULL,
		"SIP/2.0 480 Temporarily Unavailable" CRLF R_VIA Q_VIA2 Q_FROM
		"t: sip:bob@example.com;tag=@TOTAG@" CRLF Q_CALLID Q_CSEQ
		"Content-Length: 0" CRLF CRLF},
	{"To with parameters and trailing LWS: tag after the value",
		Q_REQ(R_VIA, "To: <sip:bob@example.com>;x=1  " CRLF), 403, NULL, "192.0.2.10", 5060,
		0, NULL,
		"SIP/2.0 403 Forbidden" CRLF R_VIA Q_VIA2 Q_FROM
		"To: <sip:bob@example.com>;x=1;tag=@TOTAG@  " CRLF Q_CALLID Q_CSEQ
		"Content-Length: 0" CRLF CRLF},
	{"folded tagged To (wsinv): unchanged",
		Q_REQ(R_VIA, "TO :" CRLF
		" sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n" CRLF), 404, NULL,
		"192.0.2.10", 5060, 0, NULL,
		"SIP/2.0 404 Not Found" CRLF R_VIA Q_VIA2 Q_FROM "TO :" CRLF
		" sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n" CRLF Q_CALLID Q_CSEQ
		"Content-Length: 0" CRLF CRLF},
	{"empty rport and extra headers",
		Q_REQ("Via: SIP/2.0/UDP 192.0.2.10;rport;branch=z9hG4bKinv1" CRLF,
		"To: <sip:bob@example.com>" CRLF), 503, NULL, "192.0.2.10", 5062, 0,
		"Retry-After: 60" CRLF,
		"SIP/2.0 503 Service Unavailable" CRLF
		"Via: SIP/2.0/UDP 192.0.2.10;rport=5062;branch=z9hG4bKinv1;received=192.0.2.10" CRLF
		Q_VIA2 Q_FROM "To: <sip:bob@example.com>;tag=@TOTAG@" CRLF Q_CALLID Q_CSEQ
		"Retry-After: 60" CRLF "Content-Length: 0" CRLF CRLF},
	{"status without a standard phrase", Q_REQ(R_VIA, "To: <sip:bob@example.com>" CRLF), 499,
		NULL, "192.0.2.10", 5060, 0, NULL,
		"SIP/2.0 499 " CRLF R_VIA Q_VIA2 Q_FROM "To: <sip:bob@example.com>;tag=@TOTAG@" CRLF
		Q_CALLID Q_CSEQ "Content-Length: 0" CRLF CRLF},
};

struct reply_arg {
	const struct sip_msg *m;
	const struct sip_reply_opts *o;
};

static int
reply_fn(char *out, size_t cap, const void *arg)
{
	const struct reply_arg *r = arg;
	return sip_build_reply(out, cap, r->m, r->o);
}

static void
run_reply_case(void **state)
{
	const struct reply_case *c = *state;
	struct sip_msg m, m2;
	struct sip_fields f, f2;
	struct sip_verdict v;
	struct sip_addr src;
	char tag[SIP_TOTAG_LEN];
	size_t want_len;

	int rc = test_parse(&m, c->in, strlen(c->in));
	assert_int_equal(sip_inspect(&m, rc, SIP_VAL_STRICT, &v, &f), 0);
	sip_totag_sign(&f, &keys.cur, tag);
	parse_addr(c->src, &src);
	struct sip_reply_opts o = {
		.code = c->code,
		.reason = c->reason ? sip_str_make(c->reason, strlen(c->reason)) : SIP_STR_NULL,
		.top = &f.top,
		.src = &src,
		.src_port = c->src_port,
		.to_tag = sip_str_make(tag, SIP_TOTAG_LEN),
		.contacts = c->n_contacts ? reply_contacts : NULL,
		.n_contacts = c->n_contacts,
		.extra = c->extra ? sip_str_make(c->extra, strlen(c->extra)) : SIP_STR_NULL,
	};
	char *want = expand(c->want, NULL, tag, &want_len);
	struct reply_arg arg = {&m, &o};
	struct build_call b = {reply_fn, &arg};
	build_exact(&b, want, want_len);

	const char *out = guard_put(test_slot(1), want, want_len);
	assert_int_equal(sip_parse(&m2, out, want_len, 0), (int)want_len);
	assert_false(sip_is_request(&m2));
	assert_int_equal(m2.status, c->code);
	assert_int_equal(sip_inspect(&m2, (int)want_len, SIP_VAL_STRICT, &v, &f2), 0);
	assert_int_equal(m2.body_len, 0);
	assert_int_equal(sip_hdr_count(&m2, SIP_HDR_VIA), sip_hdr_count(&m, SIP_HDR_VIA));
	free(want);
}

static void
reply_refusals(void **state)
{
	static const char no_to[] = R_LINE R_VIA Q_FROM Q_CALLID Q_CSEQ CRLF;
	static const char ok[] = Q_REQ(R_VIA, "To: <sip:bob@example.com>" CRLF);
	static const char copied[] = "SIP/2.0 100 Trying" CRLF R_VIA Q_VIA2;
	struct sip_msg m;
	char out[1024];
	struct sip_reply_opts o = {.code = 404};
	(void)state;

	assert_true(PARSE_LIT(&m, no_to) > 0);
	assert_int_equal(sip_build_reply(out, sizeof(out), &m, &o), -SIP_E_MISSING_HDR);
	assert_true(PARSE_LIT(&m, ok) > 0);
	o.code = 99;
	assert_true(sip_build_reply(out, sizeof(out), &m, &o) < 0);
	o.code = 700;
	assert_true(sip_build_reply(out, sizeof(out), &m, &o) < 0);
	/* Without top/src the Vias are copied as they are. */
	o.code = 100;
	int n = sip_build_reply(out, sizeof(out), &m, &o);
	assert_true(n > 0);
	assert_memory_equal(out, copied, sizeof(copied) - 1);
}

/* The status line of every code: prebuilt where there is a phrase, else written out. */
static void
reply_status_lines(void **state)
{
	static const char ok[] = Q_REQ(R_VIA, "To: <sip:bob@example.com>" CRLF);
	struct sip_msg m;
	char out[1024], want[128];
	(void)state;

	assert_true(PARSE_LIT(&m, ok) > 0);
	for (unsigned code = 100; code <= 699; code++) {
		struct sip_reply_opts o = {.code = (uint16_t)code};
		int wl = snprintf(want, sizeof(want), "SIP/2.0 %u %s\r\n", code,
				sip_reason_phrase(code));
		int n = sip_build_reply(out, sizeof(out), &m, &o);
		assert_true(n > wl);
		if (memcmp(out, want, (size_t)wl) != 0)
			fail_msg("%u: \"%.*s\"", code, wl, out);
		/* A reason given replaces the standard phrase. */
		o.reason = SIP_STR_LIT("Custom Words");
		wl = snprintf(want, sizeof(want), "SIP/2.0 %u Custom Words\r\n", code);
		n = sip_build_reply(out, sizeof(out), &m, &o);
		assert_true(n > wl);
		assert_memory_equal(out, want, (size_t)wl);
	}
	/* Too small for the status line: refused, not cut. */
	struct sip_reply_opts o = {.code = 302};
	assert_int_equal(sip_build_reply(out, 20, &m, &o), -SIP_E_NOSPACE);
}

/* ---- To-tag signature: the ACK for our reply is recognised, no other ---- */

#define A_VIA "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv7" CRLF
#define A_INV B_MSG("INVITE", "sip:bob@example.com", A_VIA, B_TO, B_FROM, B_CALLID, "7 INVITE")

struct ack_case {
	const char *name;
	const char *ack;   /* "@TOTAG@" is the tag our reply to A_INV carried */
	bool other_key;    /* checked with another deployment's key */
	bool ours;
};

#define ACK(via, to, callid) B_MSG("ACK", "sip:bob@example.com", via, to, B_FROM, callid, "7 ACK")

static const struct ack_case ack_cases[] = {
	{"ACK for our reply", ACK(A_VIA, "To: Bob <sip:bob@example.com>;tag=@TOTAG@" CRLF,
		B_CALLID), false, true},
	{"another secret", ACK(A_VIA, "To: Bob <sip:bob@example.com>;tag=@TOTAG@" CRLF, B_CALLID),
		true, false},
	{"another Call-ID", ACK(A_VIA, "To: Bob <sip:bob@example.com>;tag=@TOTAG@" CRLF,
		"Call-ID: someone-else@example.com" CRLF), false, false},
	{"another branch (another INVITE)", ACK("Via: SIP/2.0/UDP 192.0.2.10:5060"
		";branch=z9hG4bKinv8" CRLF, "To: Bob <sip:bob@example.com>;tag=@TOTAG@" CRLF,
		B_CALLID), false, false},
	{"the peer's own tag", ACK(A_VIA, "To: Bob <sip:bob@example.com>;tag=8321234356" CRLF,
		B_CALLID), false, false},
	{"a tag of ours for someone else", ACK(A_VIA, "To: Bob <sip:bob@example.com>"
		";tag=sl0000000000000000" CRLF, B_CALLID), false, false},
	{"no To-tag", ACK(A_VIA, B_TO, B_CALLID), false, false},
};

static void
run_ack_case(void **state)
{
	const struct ack_case *c = *state;
	static const char inv[] = A_INV;
	struct sip_msg m, ack;
	struct sip_fields f;
	struct sip_verdict v;
	char tag[SIP_TOTAG_LEN], out[2048];
	size_t len;

	/* Our 404 to the INVITE carries sip_totag_sign()'s tag. */
	int rc = test_parse(&m, inv, sizeof(inv) - 1);
	assert_int_equal(sip_inspect(&m, rc, SIP_VAL_STRICT, &v, &f), 0);
	sip_totag_sign(&f, &keys.cur, tag);
	struct sip_reply_opts o = {.code = 404, .to_tag = sip_str_make(tag, SIP_TOTAG_LEN)};
	int n = sip_build_reply(out, sizeof(out), &m, &o);
	assert_true(n > 0);
	assert_non_null(memmem(out, (size_t)n, tag, SIP_TOTAG_LEN));

	char *text = expand(c->ack, NULL, tag, &len);
	rc = test_parse_slot(1, &ack, text, len);
	assert_true(rc > 0);
	assert_int_equal(sip_inspect(&ack, rc, 0, &v, &f), 0);
	assert_int_equal(sip_totag_verify(&f, c->other_key ? &other_keys : &keys), c->ours);
	free(text);
}

/* ---- response forwarding ---- */

#define S_OUR "Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKsl0123456789abcdef" CRLF
#define S_TAIL "To: <sip:bob@example.com>;tag=x1" CRLF "From: <sip:alice@example.org>;tag=y2" \
	CRLF "Call-ID: c-1@example.org" CRLF "CSeq: 1 INVITE" CRLF "Content-Length: 0" CRLF CRLF
#define S_RSP(vias) "SIP/2.0 200 OK" CRLF vias S_TAIL

struct rsp_case {
	const char *name;
	const char *in;
	int err;            /* 0, or the error sip_build_response_fwd() returns */
	const char *want;
	const char *hop;    /* next hop address, NULL when it needs DNS */
	const char *host;   /* when it needs DNS */
	uint16_t port;
	enum sip_transport tp;
};

static const struct rsp_case rsp_cases[] = {
	{"two Via lines: the first goes", S_RSP(S_OUR "Via: SIP/2.0/UDP 192.0.2.20:5070"
		";branch=z9hG4bKa" CRLF), 0,
		S_RSP("Via: SIP/2.0/UDP 192.0.2.20:5070;branch=z9hG4bKa" CRLF), "192.0.2.20", NULL,
		5070, SIP_TP_UDP},
	{"two values on one line: the first goes", S_RSP("Via: SIP/2.0/UDP 192.0.2.99:5060"
		";branch=z9hG4bKsl1 ,  SIP/2.0/UDP 10.0.0.1:5060;rport=6000;received=198.51.100.9"
		";branch=z9hG4bKa" CRLF), 0, S_RSP("Via: SIP/2.0/UDP 10.0.0.1:5060;rport=6000"
		";received=198.51.100.9;branch=z9hG4bKa" CRLF), "198.51.100.9", NULL, 6000,
		SIP_TP_UDP},
	{"folded second value", S_RSP("v: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKsl1," CRLF
		"  SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKa" CRLF), 0,
		S_RSP("v: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKa" CRLF), "192.0.2.20", NULL, 5060,
		SIP_TP_UDP},
	{"host name: resolved elsewhere", S_RSP(S_OUR "Via: SIP/2.0/UDP pc33.example.org"
		";branch=z9hG4bKa" CRLF), 0,
		S_RSP("Via: SIP/2.0/UDP pc33.example.org;branch=z9hG4bKa" CRLF), NULL,
		"pc33.example.org", 5060, SIP_TP_UDP},
	{"TLS: default port 5061", S_RSP(S_OUR "Via: SIP/2.0/TLS 192.0.2.20;branch=z9hG4bKa" CRLF),
		0, S_RSP("Via: SIP/2.0/TLS 192.0.2.20;branch=z9hG4bKa" CRLF), "192.0.2.20", NULL,
		5061, SIP_TP_TLS},
	{"IPv6 sent-by with a port", S_RSP(S_OUR "Via: SIP/2.0/UDP [2001:db8::9:1]:6050"
		";branch=z9hG4bKa" CRLF), 0, S_RSP("Via: SIP/2.0/UDP [2001:db8::9:1]:6050"
		";branch=z9hG4bKa" CRLF), "2001:db8::9:1", NULL, 6050, SIP_TP_UDP},
	{"IPv6 received in brackets", S_RSP(S_OUR "Via: SIP/2.0/UDP [2001:db8::9:1]"
		";received=[2001:db8::9:255];branch=z9hG4bKa" CRLF), 0, S_RSP("Via: SIP/2.0/UDP "
		"[2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKa" CRLF),
		"2001:db8::9:255", NULL, 5060, SIP_TP_UDP},
	{"maddr ignored: received wins", S_RSP(S_OUR "Via: SIP/2.0/UDP 192.0.2.20"
		";maddr=192.0.2.30;received=192.0.2.40;branch=z9hG4bKa" CRLF), 0,
		S_RSP("Via: SIP/2.0/UDP 192.0.2.20;maddr=192.0.2.30;received=192.0.2.40"
		";branch=z9hG4bKa" CRLF), "192.0.2.40", NULL, 5060, SIP_TP_UDP},
	{"maddr ignored: sent-by wins", S_RSP(S_OUR "Via: SIP/2.0/UDP 192.0.2.20"
		";maddr=192.0.2.30;branch=z9hG4bKa" CRLF), 0, S_RSP("Via: SIP/2.0/UDP 192.0.2.20"
		";maddr=192.0.2.30;branch=z9hG4bKa" CRLF), "192.0.2.20", NULL, 5060, SIP_TP_UDP},
	{"empty rport: the sent-by port", S_RSP(S_OUR "Via: SIP/2.0/UDP 192.0.2.20:5070;rport"
		";branch=z9hG4bKa" CRLF), 0, S_RSP("Via: SIP/2.0/UDP 192.0.2.20:5070;rport"
		";branch=z9hG4bKa" CRLF), "192.0.2.20", NULL, 5070, SIP_TP_UDP},
	/* bcast: the next hop is the broadcast address; the caller must refuse it. */
	{"broadcast next hop (bcast)", S_RSP(S_OUR "Via: SIP/2.0/UDP 255.255.255.255"
		";branch=z9hG4bK1saber23" CRLF), 0, S_RSP("Via: SIP/2.0/UDP 255.255.255.255"
		";branch=z9hG4bK1saber23" CRLF), "255.255.255.255", NULL, 5060, SIP_TP_UDP},
	{"one Via only", S_RSP(S_OUR), -SIP_E_VIA, NULL, NULL, NULL, 0, 0},
	{"rport 0", S_RSP(S_OUR "Via: SIP/2.0/UDP 192.0.2.20;rport=0" CRLF), -SIP_E_VIA, NULL,
		NULL, NULL, 0, 0},
	{"port 0", S_RSP(S_OUR "Via: SIP/2.0/UDP 192.0.2.20:0" CRLF), -SIP_E_VIA, NULL, NULL,
		NULL, 0, 0},
	{"received is not an address", S_RSP(S_OUR "Via: SIP/2.0/UDP 192.0.2.20"
		";received=example.com" CRLF), -SIP_E_VIA, NULL, NULL, NULL, 0, 0},
};

struct rsp_arg {
	const struct sip_msg *m;
	const struct sip_via *top;
};

static int
rsp_fn(char *out, size_t cap, const void *arg)
{
	const struct rsp_arg *r = arg;
	struct sip_next_hop hop;
	return sip_build_response_fwd(out, cap, r->m, r->top, NULL, &hop);
}

static void
run_rsp_case(void **state)
{
	const struct rsp_case *c = *state;
	struct sip_msg m, m2;
	struct sip_verdict v;
	struct sip_via top;
	struct sip_next_hop hop;
	char out[2048];

	int rc = test_parse(&m, c->in, strlen(c->in));
	assert_int_equal(sip_validate(&m, rc, SIP_VAL_STRICT, &v), 0);
	assert_int_equal(sip_via_top(&m, &top), 0);
	int n = sip_build_response_fwd(out, sizeof(out), &m, &top, NULL, &hop);
	if (c->err != 0) {
		assert_int_equal(n, c->err);
		return;
	}
	assert_true(n > 0);
	struct rsp_arg arg = {&m, &top};
	struct build_call b = {rsp_fn, &arg};
	build_exact(&b, c->want, strlen(c->want));

	assert_int_equal(hop.transport, c->tp);
	assert_int_equal(hop.port, c->port);
	if (c->hop != NULL) {
		struct sip_addr want;
		assert_false(hop.need_dns);
		parse_addr(c->hop, &want);
		assert_true(sip_addr_eq(&hop.addr, &want));
		assert_int_equal(sip_addr_is_forbidden_dst(&hop.addr),
				strcmp(c->hop, "255.255.255.255") == 0);
	} else {
		assert_true(hop.need_dns);
		assert_view_str(hop.host, c->host);
	}
	const char *o = guard_put(test_slot(1), c->want, strlen(c->want));
	assert_int_equal(sip_parse(&m2, o, strlen(c->want), 0), (int)strlen(c->want));
	assert_int_equal(sip_validate(&m2, (int)strlen(c->want), SIP_VAL_STRICT, &v), 0);
}

static void
rsp_top_must_be_first(void **state)
{
	static const char text[] = S_RSP(S_OUR "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKa" CRLF
		"Via: SIP/2.0/UDP 192.0.2.21;branch=z9hG4bKb" CRLF);
	struct sip_msg m;
	struct sip_cursor c;
	struct sip_via second;
	struct sip_next_hop hop;
	char out[1024];
	(void)state;

	assert_true(PARSE_LIT(&m, text) > 0);
	sip_cursor_init(&c, &m, SIP_HDR_VIA);
	assert_int_equal(sip_via_next(&c, &second), 1);
	assert_int_equal(sip_via_next(&c, &second), 1);
	/* Only the top Via can be ours: any other is refused. */
	assert_int_equal(sip_build_response_fwd(out, sizeof(out), &m, &second, NULL, &hop), -SIP_E_VIA);
}

/* ---- edit lists ---- */

static void
edits(void **state)
{
	static const char src[] = "0123456789";
	struct sip_edits es;
	char out[64];
	(void)state;

	/* Insertions at one offset keep their order; deletions and insertions mix. */
	sip_edits_init(&es);
	assert_int_equal(sip_edits_add(&es, 5, 0, "b", 1), 0);
	assert_int_equal(sip_edits_add(&es, 2, 3, "X", 1), 0);
	assert_int_equal(sip_edits_add(&es, 5, 0, "c", 1), 0);
	assert_int_equal(sip_edits_add(&es, 0, 0, "a", 1), 0);
	int n = sip_edits_apply(&es, src, 0, 10, out, sizeof(out));
	expect_bytes(out, (size_t)n, "a01Xbc56789", 11);
	/* A window of the source. */
	sip_edits_init(&es);
	n = sip_edits_apply(&es, src, 3, 7, out, sizeof(out));
	expect_bytes(out, (size_t)n, "3456", 4);
	/* Overlapping deletions are a caller bug: refused. */
	sip_edits_init(&es);
	assert_int_equal(sip_edits_add(&es, 2, 4, NULL, 0), 0);
	assert_int_equal(sip_edits_add(&es, 3, 1, NULL, 0), 0);
	assert_true(sip_edits_apply(&es, src, 0, 10, out, sizeof(out)) < 0);
	/* Past the end of the window: refused. */
	sip_edits_init(&es);
	assert_int_equal(sip_edits_add(&es, 8, 5, NULL, 0), 0);
	assert_true(sip_edits_apply(&es, src, 0, 10, out, sizeof(out)) < 0);
	/* The edit table and its text store are bounded. */
	sip_edits_init(&es);
	for (unsigned i = 0; i < SIP_MAX_EDITS; i++)
		assert_int_equal(sip_edits_add(&es, i, 0, "x", 1), 0);
	assert_int_equal(sip_edits_add(&es, 0, 0, "x", 1), -SIP_E_NOSPACE);
	assert_non_null(sip_edits_text(&es, SIP_EDIT_TEXT));
	assert_null(sip_edits_text(&es, 1));
}

static void
remove_values(void **state)
{
	static const char text[] = "OPTIONS sip:a@example.com SIP/2.0" CRLF
		"Route: <sip:a>, <sip:b> ,<sip:c>" CRLF CRLF;
	static const char *const want[] = {
		"Route: <sip:b> ,<sip:c>" CRLF,
		"Route: <sip:a>, <sip:c>" CRLF,
		"Route: <sip:a>, <sip:b>" CRLF,
	};
	struct sip_msg m;
	char out[256];
	(void)state;

	assert_true(PARSE_LIT(&m, text) > 0);
	const struct sip_hdr *h = sip_hdr_first(&m, SIP_HDR_ROUTE);
	for (unsigned k = 0; k < 3; k++) {
		struct sip_cursor c;
		struct sip_naddr a;
		struct sip_edits es;
		sip_cursor_init(&c, &m, SIP_HDR_ROUTE);
		for (unsigned i = 0; i <= k; i++)
			assert_int_equal(sip_naddr_next(&c, &a, 0), 1);
		sip_edits_init(&es);
		assert_int_equal(sip_edit_remove_value(&es, &m, h, a.start, a.end, a.more), 0);
		int n = sip_edits_apply(&es, m.buf, h->name, sip_hdr_end(h), out, sizeof(out));
		expect_bytes(out, (size_t)n, want[k], strlen(want[k]));
	}
}

/*
 * sip_copy(), the builders' inline memcpy(): every length up to 200 (each
 * of its size classes and the libc fallback), source and destination
 * against guard pages on both sides, so a read or write one byte outside
 * [s, s + n) or [d, d + n) faults; bytes around the destination untouched.
 */
static void
copy_short(void **state)
{
	struct guard_buf src, dst;
	char pat[256], want[256 + 16];
	(void)state;

	assert_int_equal(guard_init(&src, 4096), 0);
	assert_int_equal(guard_init(&dst, 4096), 0);
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (char)(i * 7 + 1);
	for (size_t n = 0; n <= 200; n++) {
		for (int side = 0; side < 2; side++) {
			const char *s = side ? guard_put(&src, pat, n) : guard_put_front(&src, pat, n);
			/* Destination: n bytes right before the back guard, then right after the front. */
			char *d = guard_room(&dst, n);
			sip_copy(d, s, n);
			expect_bytes(d, n, pat, n);
			memset(dst.lo, GUARD_FILL, 8 + n + 8);
			sip_copy(dst.lo + 8, s, n);
			memset(want, GUARD_FILL, 8 + n + 8);
			memcpy(want + 8, pat, n);
			expect_bytes(dst.lo, 8 + n + 8, want, 8 + n + 8);
		}
	}
	guard_fini(&src);
	guard_fini(&dst);
}

/* sip_zero(): every length 0..200, flush against the back guard and fenced by marker bytes. */
static void
zero_short(void **state)
{
	struct guard_buf dst;
	char want[8 + 256 + 8];
	(void)state;

	assert_int_equal(guard_init(&dst, 4096), 0);
	for (size_t n = 0; n <= 200; n++) {
		char *d = guard_room(&dst, n);
		memset(d, 0x5a, n);
		sip_zero(d, n);
		memset(want, 0, n);
		expect_bytes(d, n, want, n);
		memset(dst.lo, GUARD_FILL, 8 + n + 8);
		sip_zero(dst.lo + 8, n);
		memset(want, GUARD_FILL, 8 + n + 8);
		memset(want + 8, 0, n);
		expect_bytes(dst.lo, 8 + n + 8, want, 8 + n + 8);
	}
	/* The sizes the hot path clears, as compile-time constants. */
	struct {
		char fill[240];
		char after[8];
	} big;
	memset(&big, 0x5a, sizeof(big));
	sip_zero(big.fill, sizeof(big.fill));
	for (size_t i = 0; i < sizeof(big.fill); i++)
		assert_int_equal(big.fill[i], 0);
	for (size_t i = 0; i < sizeof(big.after); i++)
		assert_int_equal(big.after[i], 0x5a);
	guard_fini(&dst);
}

static void
small_writers(void **state)
{
	static const struct {
		uint32_t v;
		const char *text;
	} nums[] = {{0, "0"}, {9, "9"}, {10, "10"}, {65535, "65535"}, {4294967295u, "4294967295"}};
	char out[16];
	(void)state;

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		unsigned n = sip_fmt_u32(out, nums[i].v);
		expect_bytes(out, n, nums[i].text, strlen(nums[i].text));
	}
	/* Against printf: every number below 2,000,000, then each power of ten and its neighbours. */
	char want[16];
	for (uint32_t v = 0; v < 2000000; v++) {
		unsigned n = sip_fmt_u32(out, v);
		int wl = snprintf(want, sizeof(want), "%" PRIu32, v);
		if (n != (unsigned)wl || memcmp(out, want, n) != 0)
			fail_msg("sip_fmt_u32(%" PRIu32 ") wrote \"%.*s\"", v, (int)n, out);
	}
	for (uint64_t p10 = 10; p10 <= 10000000000ull; p10 *= 10) {
		for (int d = -1; d <= 1; d++) {
			uint64_t v64 = p10 + (uint64_t)(int64_t)d;
			if (v64 > UINT32_MAX)
				continue;
			unsigned n = sip_fmt_u32(out, (uint32_t)v64);
			int wl = snprintf(want, sizeof(want), "%" PRIu64, v64);
			expect_bytes(out, n, want, (size_t)wl);
		}
	}
	assert_string_equal(sip_reason_phrase(302), "Moved Temporarily");
	assert_string_equal(sip_reason_phrase(483), "Too Many Hops");
	assert_string_equal(sip_reason_phrase(420), "Bad Extension");
	assert_string_equal(sip_reason_phrase(416), "Unsupported URI Scheme");
	assert_string_equal(sip_reason_phrase(505), "Version Not Supported");
	assert_string_equal(sip_reason_phrase(799), "");
}

int
test_group_build(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(branch_depends_on_key),
		cmocka_unit_test(reply_status_lines),
		cmocka_unit_test(branch_depends_on_origin),
		cmocka_unit_test(branch_key_rotation),
		cmocka_unit_test(fwd_refuses_max_forwards_zero),
		cmocka_unit_test(inv2543_transaction),
		cmocka_unit_test(reply_refusals),
		cmocka_unit_test(rsp_top_must_be_first),
		cmocka_unit_test(edits),
		cmocka_unit_test(remove_values),
		cmocka_unit_test(small_writers),
		cmocka_unit_test(copy_short),
		cmocka_unit_test(zero_short),
	};
	keys_init();
	int failed = RUN_ROWS("request_fwd", fwd_cases, run_fwd_case);
	failed += RUN_ROWS("request_fwd_corpus", corpus_fwd_cases, run_corpus_fwd_case);
	failed += RUN_ROWS("branch", branch_cases, run_branch_case);
	failed += RUN_ROWS("branch_verify", rsp_check_cases, run_rsp_check_case);
	failed += RUN_ROWS("reply", reply_cases, run_reply_case);
	failed += RUN_ROWS("totag", ack_cases, run_ack_case);
	failed += RUN_ROWS("response_fwd", rsp_cases, run_rsp_case);
	return failed + cmocka_run_group_tests_name("build_misc", tests, NULL, NULL);
}
