/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Via values (RFC 3261 §20.42, RFC 3581 rport, RFC 5118 received) one at a
 * time, and the cursor that walks several values across several lines.
 */
#include <string.h>

#include "sip_exercise.h"
#include "sip_test.h"

struct via_case {
	const char *name;
	const char *text;      /* one header value (after "Via:") */
	int ok;
	const char *transport;
	enum sip_transport tp;
	const char *sent_by, *host;
	enum sip_host_type host_type;
	int port;              /* -1: none */
	const char *branch;    /* NULL: no branch */
	const char *received;  /* NULL: none */
	const char *rport;     /* NULL: no rport; "" present without a value */
	const char *maddr;
	int more;              /* a ',' followed */
	const char *ttl;       /* NULL: none */
};

#define OKV .ok = 1
static const struct via_case via_cases[] = {
	{"plain", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776", OKV, "UDP", SIP_TP_UDP,
		"192.0.2.1:5060", "192.0.2.1", SIP_HOST_IPV4, 5060, "z9hG4bK776", NULL, NULL, NULL,
		0},
	{"no port, no params", "SIP/2.0/TCP host.example.com", OKV, "TCP", SIP_TP_TCP,
		"host.example.com", "host.example.com", SIP_HOST_NAME, -1, NULL, NULL, NULL, NULL,
		0},
	/* wsinv: LWS and folds around '/' and after ':'. */
	{"spaced and folded (wsinv)", "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw",
		OKV, "UDP", SIP_TP_UDP, "192.0.2.2", "192.0.2.2", SIP_HOST_IPV4, -1, "390skdjuw",
		NULL, NULL, NULL, 0},
	{"spaces everywhere (wsinv)", "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n"
		"  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  192.168.255.111",
		OKV, "TCP", SIP_TP_TCP, "spindle.example.com", "spindle.example.com",
		SIP_HOST_NAME, -1, "z9hG4bK9ikj8", NULL, NULL, NULL, 1},
	{"LWS around the port colon", "SIP/2.0/UDP host : 5070 ;branch=x", OKV, "UDP", SIP_TP_UDP,
		"host : 5070", "host", SIP_HOST_NAME, 5070, "x", NULL, NULL, NULL, 0},
	{"two values", "SIP/2.0/UDP a.example.com;branch=b1, SIP/2.0/UDP b.example.com", OKV,
		"UDP", SIP_TP_UDP, "a.example.com", "a.example.com", SIP_HOST_NAME, -1, "b1", NULL,
		NULL, NULL, 1},
	{"unknown transport", "SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en", OKV,
		"UNKNOWN", SIP_TP_OTHER, "t4.example.com", "t4.example.com", SIP_HOST_NAME, -1,
		"z9hG4bKasd0f3en", NULL, NULL, NULL, 0},
	{"lower-case transport", "SIP/2.0/tls h;branch=z", OKV, "tls", SIP_TP_TLS, "h", "h",
		SIP_HOST_NAME, -1, "z", NULL, NULL, NULL, 0},
	{"WSS transport", "SIP/2.0/WSS h", OKV, "WSS", SIP_TP_WSS, "h", "h", SIP_HOST_NAME, -1,
		NULL, NULL, NULL, NULL, 0},
	{"rport without value (RFC 3581)", "SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKa", OKV,
		"UDP", SIP_TP_UDP, "10.0.0.1:5060", "10.0.0.1", SIP_HOST_IPV4, 5060, "z9hG4bKa",
		NULL, "", NULL, 0},
	{"rport with value", "SIP/2.0/UDP 10.0.0.1;rport=6000;received=192.0.2.7", OKV, "UDP",
		SIP_TP_UDP, "10.0.0.1", "10.0.0.1", SIP_HOST_IPV4, -1, NULL, "192.0.2.7", "6000",
		NULL, 0},
	{"rport last, no value", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa;rport", OKV, "UDP",
		SIP_TP_UDP, "10.0.0.1", "10.0.0.1", SIP_HOST_IPV4, -1, "z9hG4bKa", NULL, "", NULL,
		0},
	{"received IPv6 in brackets (RFC 5118)",
		"SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111", OKV,
		"UDP", SIP_TP_UDP, "[2001:db8::9:1]", "2001:db8::9:1", SIP_HOST_IPV6, -1,
		"z9hG4bKas3-111", "[2001:db8::9:255]", NULL, NULL, 0},
	{"received IPv6 bare (RFC 5118)",
		"SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3", OKV,
		"UDP", SIP_TP_UDP, "[2001:db8::9:1]", "2001:db8::9:1", SIP_HOST_IPV6, -1,
		"z9hG4bKas3", "2001:db8::9:255", NULL, NULL, 0},
	{"IPv6 sent-by with port", "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111", OKV,
		"UDP", SIP_TP_UDP, "[2001:db8::9:1]:6050", "2001:db8::9:1", SIP_HOST_IPV6, 6050,
		"z9hG4bKas3-111", NULL, NULL, NULL, 0},
	{"IPv4-mapped sent-by", "SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbh19", OKV,
		"UDP", SIP_TP_UDP, "[::ffff:192.0.2.10]:19823", "::ffff:192.0.2.10", SIP_HOST_IPV6,
		19823, "z9hG4bKbh19", NULL, NULL, NULL, 0},
	{"maddr and ttl", "SIP/2.0/UDP h;maddr=224.0.1.75;ttl=16;branch=z9hG4bKm", OKV, "UDP",
		SIP_TP_UDP, "h", "h", SIP_HOST_NAME, -1, "z9hG4bKm", NULL, NULL, "224.0.1.75", 0,
		"16"},
	{"upper-case parameter names", "SIP/2.0/UDP h;BRANCH=z9hG4bKu;Received=192.0.2.1", OKV,
		"UDP", SIP_TP_UDP, "h", "h", SIP_HOST_NAME, -1, "z9hG4bKu", "192.0.2.1", NULL, NULL,
		0},
	{"cookie-only branch (badbranch)", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK", OKV, "UDP",
		SIP_TP_UDP, "192.0.2.1", "192.0.2.1", SIP_HOST_IPV4, -1, "z9hG4bK", NULL, NULL,
		NULL, 0},

	{"junk separators (badinv01)", "SIP/2.0/UDP 192.0.2.15;;,;,,"},
	{"empty", ""},
	{"no sent-by", "SIP/2.0/UDP"},
	{"no LWS before sent-by", "SIP/2.0/UDPhost"},
	{"no version", "SIP/UDP host"},
	{"no transport", "SIP/2.0/ host"},
	{"branch without value", "SIP/2.0/UDP h;branch"},
	{"received without value", "SIP/2.0/UDP h;received"},
	{"empty parameter value", "SIP/2.0/UDP h;branch="},
	{"bad port", "SIP/2.0/UDP h:99999"},
	{"bad host", "SIP/2.0/UDP -h"},
	{"unbracketed IPv6 sent-by", "SIP/2.0/UDP 2001:db8::1"},
	{"junk after sent-by", "SIP/2.0/UDP host junk"},
	{"trailing ';'", "SIP/2.0/UDP host;"},
	{"trailing ';' after a parameter", "SIP/2.0/UDP host;branch=z9hG4bKx;"},
	{"';' then LWS only", "SIP/2.0/UDP host ; "},
};

static void
expect(struct sip_str got, const char *want, const char *what)
{
	if (want == NULL) {
		assert_int_equal(got.len, 0);
		return;
	}
	(void)what;
	assert_view_str(got, want);
}

static void
run_via_case(void **state)
{
	const struct via_case *c = *state;
	size_t len = strlen(c->text);
	const char *p = guard_put(test_slot(0), c->text, len);
	const char *next = NULL;
	struct sip_via v;
	int rc = sip_via_parse(&v, p, p + len, &next);

	if (!c->ok) {
		assert_int_equal(rc, -SIP_E_VIA);
		return;
	}
	assert_int_equal(rc, 0);
	expect(v.transport, c->transport, "transport");
	assert_int_equal(v.transport_id, c->tp);
	assert_view(v.protocol, "SIP");
	assert_view(v.version, "2.0");
	expect(v.sent_by, c->sent_by, "sent-by");
	expect(v.host, c->host, "host");
	assert_int_equal(v.host_type, c->host_type);
	assert_int_equal(v.has_port, c->port >= 0);
	if (c->port >= 0)
		assert_int_equal(v.port, c->port);
	assert_int_equal(v.has_branch, c->branch != NULL);
	expect(v.branch, c->branch, "branch");
	assert_int_equal(v.has_received, c->received != NULL);
	expect(v.received, c->received, "received");
	assert_int_equal(v.has_rport, c->rport != NULL);
	expect(v.rport, c->rport, "rport");
	if (c->rport != NULL) /* where "=port" goes: right after the name */
		assert_memory_equal(v.rport_name_end - 5, "rport", 5);
	assert_int_equal(v.has_maddr, c->maddr != NULL);
	expect(v.maddr, c->maddr, "maddr");
	expect(v.ttl, c->ttl, "ttl");
	assert_int_equal(v.more, c->more);
	assert_ptr_equal(v.start, p);
	assert_true(v.end > v.start && v.end <= p + len);
	if (!c->more)
		assert_ptr_equal(next, p + len);
	else
		assert_int_equal(next[-1], ',');
}

/* Values split over lines and within lines, names in every form. */
static void
cursor_walk(void **state)
{
	static const char msg[] =
		"SIP/2.0 200 OK" CRLF
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1" CRLF
		"To: <sip:x@example.com>;tag=1" CRLF
		"v: SIP/2.0/UDP b.example.com;branch=z9hG4bK2 ,SIP/2.0/TCP c.example.com ," CRLF
		"  SIP/2.0/TLS d.example.com:5061" CRLF
		"VIA : SIP/2.0/UDP e.example.com" CRLF CRLF;
	static const char *const hosts[] = {"a", "b", "c", "d", "e"};
	struct sip_msg m;
	struct sip_cursor c;
	struct sip_via v;
	(void)state;

	assert_int_equal(PARSE_LIT(&m, msg), (int)sizeof(msg) - 1);
	sip_cursor_init(&c, &m, SIP_HDR_VIA);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(sip_via_next(&c, &v), 1);
		assert_int_equal(v.host.p[0], hosts[i][0]);
		assert_view_n(v.host, v.host.p, 1 + strlen(".example.com"));
		assert_non_null(sip_cursor_hdr(&c));
	}
	assert_int_equal(v.transport_id, SIP_TP_UDP);
	assert_int_equal(sip_via_next(&c, &v), 0);
	assert_int_equal(sip_via_next(&c, &v), 0);
	assert_null(sip_cursor_hdr(&c));
	assert_int_equal(sip_via_top(&m, &v), 0);
	assert_view(v.host, "a.example.com");
}

static void
cursor_errors(void **state)
{
	static const char trailing_comma[] = "OPTIONS sip:a SIP/2.0" CRLF
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1 ," CRLF CRLF;
	static const char empty_value[] = "OPTIONS sip:a SIP/2.0" CRLF
		"Via: SIP/2.0/UDP a" CRLF "Via:" CRLF CRLF;
	static const char no_via[] = "OPTIONS sip:a SIP/2.0" CRLF "To: <sip:a>" CRLF CRLF;
	struct sip_msg m;
	struct sip_cursor c;
	struct sip_via v;
	(void)state;

	assert_true(PARSE_LIT(&m, trailing_comma) > 0);
	sip_cursor_init(&c, &m, SIP_HDR_VIA);
	assert_int_equal(sip_via_next(&c, &v), -SIP_E_VIA);

	assert_true(PARSE_LIT(&m, empty_value) > 0);
	sip_cursor_init(&c, &m, SIP_HDR_VIA);
	assert_int_equal(sip_via_next(&c, &v), 1);
	assert_int_equal(sip_via_next(&c, &v), -SIP_E_VIA);

	assert_true(PARSE_LIT(&m, no_via) > 0);
	assert_int_equal(sip_via_top(&m, &v), -SIP_E_MISSING_HDR);
	sip_cursor_init(&c, &m, SIP_HDR_VIA);
	assert_int_equal(sip_via_next(&c, &v), 0);
}

/*
 * sip_via_count(): header lines plus the commas in them (long and compact
 * names, empty values, a comma in a quoted parameter over-counts), and the
 * limit: at or under it the count is exact, over it the result is over it.
 */
static void
via_count(void **state)
{
	static const char vias[] = "OPTIONS sip:a SIP/2.0" CRLF
		"Via: SIP/2.0/UDP a;branch=z9hG4bK1,SIP/2.0/UDP b , SIP/2.0/UDP c" CRLF
		"To: <sip:a>" CRLF
		"v: SIP/2.0/TCP d;branch=z9hG4bK2;x=\"p,q\"" CRLF
		"Via:" CRLF
		"VIA: SIP/2.0/UDP e.example.com:5060;branch=z9hG4bK3;received=192.0.2.1;rport=5060,"
		"SIP/2.0/UDP f.example.com:5060;branch=z9hG4bK4" CRLF CRLF;
	static const char no_via[] = "OPTIONS sip:a SIP/2.0" CRLF "To: <sip:a>" CRLF CRLF;
	struct sip_msg m;
	(void)state;

	assert_true(PARSE_LIT(&m, vias) > 0);
	/* 4 lines, 2 + 1 (quoted) + 0 + 1 commas. */
	assert_int_equal(sip_via_count(&m, 100), 8);
	assert_int_equal(sip_via_count(&m, 8), 8);
	for (unsigned limit = 0; limit < 8; limit++)
		assert_true(sip_via_count(&m, limit) > limit);
	assert_true(PARSE_LIT(&m, no_via) > 0);
	assert_int_equal(sip_via_count(&m, 0), 0);
}

static void
branches_and_transports(void **state)
{
	(void)state;
	assert_true(sip_branch_is_3261(SIP_STR_LIT("z9hG4bK1")));
	assert_false(sip_branch_is_3261(SIP_STR_LIT("z9hG4bK")));
	assert_false(sip_branch_is_3261(SIP_STR_LIT("z9hg4bk123")));
	assert_false(sip_branch_is_3261(SIP_STR_LIT("")));
	assert_int_equal(sip_transport_lookup(SIP_STR_LIT("sctp")), SIP_TP_SCTP);
	assert_int_equal(sip_transport_lookup(SIP_STR_LIT("Ws")), SIP_TP_WS);
	assert_int_equal(sip_transport_lookup(SIP_STR_LIT("UDPX")), SIP_TP_OTHER);
}

/* ---- the fast path against the full parser ---- */

/* Values the fast path must take (what carriers send), each checked field by field. */
static const char *const fast_forms[] = {
	"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776",
	"SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK-524287-1---a3f9c1d2e4b5;rport",
	"SIP/2.0/UDP 192.0.2.40:5060;branch=z9hG4bK7d2b.c1a3e5f7.0;received=192.0.2.41",
	"SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK3e5f.a7b9c1d3.0;rport=5060",
	"SIP/2.0/TCP sbc1.carrier.example.com;branch=z9hG4bK0001;maddr=192.0.2.9;ttl=16",
	"sip/2.0/tls [2001:db8::1]:5061;BRANCH=z9hG4bKx;Received=192.0.2.1;RPORT=1",
	"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1,SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK2",
	"SIP/2.0/UDP host;lr;x-foo=bar%41;branch=z9hG4bK[1]",
	"SIP/2.0/UDP 10.0.0.1:5060",
};

static int
fast_check(const char *p, const char *end, bool *engaged)
{
	char why[300];
	int rc = sip_via_fast_compare(p, end, engaged, why, sizeof(why));
	if (rc != 0)
		print_error("%s\n", why);
	return rc;
}

static void
fast_takes_common_forms(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(fast_forms) / sizeof(fast_forms[0]); i++) {
		const char *p = fast_forms[i], *end = p + strlen(p), *next;
		bool engaged;
		struct sip_via v;
		assert_int_equal(fast_check(p, end, &engaged), 0);
		if (!engaged)
			fail_msg("the fast path declined \"%s\"", p);
		assert_int_equal(sip_via_parse(&v, p, end, &next), 0);
	}
	/* And every row of the table above, whichever way it goes. */
	for (unsigned i = 0; i < sizeof(via_cases) / sizeof(via_cases[0]); i++) {
		const char *p = via_cases[i].text;
		bool engaged;
		assert_int_equal(fast_check(p, p + strlen(p), &engaged), 0);
	}
}

/* What the fast path must decline: LWS, quotes, brackets, empty names or values. */
static void
fast_declines_the_rest(void **state)
{
	static const char *const others[] = {
		" SIP/2.0/UDP a;branch=z9hG4bK1",
		"SIP/2.0/UDP  a;branch=z9hG4bK1",
		"SIP/2.0/UDP a ;branch=z9hG4bK1",
		"SIP/2.0/UDP a; branch=z9hG4bK1",
		"SIP/2.0/UDP a;branch= z9hG4bK1",
		"SIP/2.0/UDP a;branch=\"z9hG4bK1\"",
		"SIP/2.0/UDP a;received=[2001:db8::1]",
		"SIP/2.0/UDP a;received=[2001:db8::1]x",
		"SIP/2.0/UDP a;branch",
		"SIP/2.0/UDP a;received",
		"SIP/2.0/UDP a;",
		"SIP/2.0/UDP a;;x",
		"SIP/2.0/UDP a;=x",
		"SIP/2.0/UDP a;x=",
		"SIP / 2.0 / UDP a",
		"SIP/2.0/UDP\r\n a",
		"SIP/2.0/UDP a x",
	};
	(void)state;
	for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		const char *p = others[i];
		bool engaged;
		assert_int_equal(fast_check(p, p + strlen(p), &engaged), 0);
		if (engaged)
			fail_msg("the fast path took \"%s\"", p);
	}
}

static int
mutation_check(const char *p, const char *end, unsigned *engaged)
{
	bool took;
	int rc = fast_check(p, end, &took);
	*engaged += took;
	return rc;
}

/* Random edits of the common forms: wherever the fast path answers, it answers right. */
static void
fast_mutations(void **state)
{
	unsigned runs = 200000;
	(void)state;

	unsigned engaged = test_mutate_values(fast_forms, sizeof(fast_forms) / sizeof(fast_forms[0]),
			runs, 0x7669616661737431ull, mutation_check);
	/* The test means something only if the fast path took a good share. */
	assert_true(engaged > runs / 10);
	assert_true(engaged < runs);
}

int
test_group_via(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cursor_walk),
		cmocka_unit_test(cursor_errors),
		cmocka_unit_test(via_count),
		cmocka_unit_test(branches_and_transports),
		cmocka_unit_test(fast_takes_common_forms),
		cmocka_unit_test(fast_declines_the_rest),
		cmocka_unit_test(fast_mutations),
	};
	int failed = RUN_ROWS("via", via_cases, run_via_case);
	return failed + cmocka_run_group_tests_name("via_cursor", tests, NULL, NULL);
}
