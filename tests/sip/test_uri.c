/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * URIs (sip, sips, tel, any other scheme), parameters and %-unescaping.
 * Every input is parsed flush against a guard page.
 */
#include <stdio.h>
#include <string.h>

#include "sip_exercise.h"
#include "sip_test.h"

/* Expected views: NULL means the view must be absent (p == NULL). */
struct uri_case {
	const char *name;
	const char *uri;
	int ok;                /* 1: parses, 0: -SIP_E_URI */
	enum sip_scheme scheme;
	const char *user, *password, *host;
	enum sip_host_type host_type;
	int port;              /* -1: no port */
	const char *params, *headers;
};

#define V(n, u, sch, us, pw, h, ht, po, pa, hd) \
	{n, u, 1, SIP_SCHEME_##sch, us, pw, h, SIP_HOST_##ht, po, pa, hd}
#define X(n, u) {n, u, 0, SIP_SCHEME_OTHER, NULL, NULL, NULL, SIP_HOST_NONE, -1, NULL, NULL}

static const struct uri_case uri_cases[] = {
	/* name, uri, scheme, user, password, host, host type, port, params, headers */
	V("user at host", "sip:alice@example.com", SIP, "alice", NULL, "example.com", NAME, -1,
		NULL, NULL),
	V("everything", "sips:alice:secret@example.com:5061;transport=tls?subject=hi&x=%20",
		SIPS, "alice", "secret", "example.com", NAME, 5061, "transport=tls",
		"subject=hi&x=%20"),
	V("scheme in upper case", "SIP:Alice@Example.COM", SIP, "Alice", NULL, "Example.COM",
		NAME, -1, NULL, NULL),
	V("no user", "sip:example.com", SIP, NULL, NULL, "example.com", NAME, -1, NULL, NULL),
	V("empty password", "sip:alice:@example.com", SIP, "alice", "", "example.com", NAME, -1,
		NULL, NULL),
	V("IPv4 and port", "sip:192.0.2.1:5060", SIP, NULL, NULL, "192.0.2.1", IPV4, 5060, NULL,
		NULL),
	V("IPv6 and port", "sip:[2001:db8::1]:5070", SIP, NULL, NULL, "2001:db8::1", IPV6, 5070,
		NULL, NULL),
	V("IPv6, port-ambiguous", "sip:[2001:db8::10:5070]", SIP, NULL, NULL, "2001:db8::10:5070",
		IPV6, -1, NULL, NULL),
	V("IPv6, three colons (RFC 5118)", "sip:user@[2001:db8:::192.0.2.1]", SIP, "user", NULL,
		"2001:db8:::192.0.2.1", IPV6, -1, NULL, NULL),
	V("IPv6, IPv4-mapped", "sip:[::ffff:192.0.2.1]", SIP, NULL, NULL, "::ffff:192.0.2.1", IPV6,
		-1, NULL, NULL),
	V("IPv6 loopback", "sip:[::1]", SIP, NULL, NULL, "::1", IPV6, -1, NULL, NULL),
	V("';' in the user part", "sip:user;par=u%40example.net@example.com", SIP,
		"user;par=u%40example.net", NULL, "example.com", NAME, -1, NULL, NULL),
	V("escape in the user part", "sip:%61lice@example.com", SIP, "%61lice", NULL,
		"example.com", NAME, -1, NULL, NULL),
	V("telephone-subscriber user", "sip:+1-212-555-0100@example.com;user=phone", SIP,
		"+1-212-555-0100", NULL, "example.com", NAME, -1, "user=phone", NULL),
	V("flag parameter", "sip:alice@example.com;lr", SIP, "alice", NULL, "example.com", NAME,
		-1, "lr", NULL),
	V("IPv6 maddr parameter", "sip:alice@example.com;maddr=[2001:db8::1]", SIP, "alice", NULL,
		"example.com", NAME, -1, "maddr=[2001:db8::1]", NULL),
	V("several parameters", "sip:host;a=1;b;c=x", SIP, NULL, NULL, "host", NAME, -1,
		"a=1;b;c=x", NULL),
	V("escaped parameter", "sip:h;%6C%72;n%61me=v%61lue%25%34%31", SIP, NULL, NULL, "h", NAME,
		-1, "%6C%72;n%61me=v%61lue%25%34%31", NULL),
	V("trailing dot in host", "sip:alice@host-1.example.com.", SIP, "alice", NULL,
		"host-1.example.com.", NAME, -1, NULL, NULL),
	V("largest port", "sip:alice@example.com:65535", SIP, "alice", NULL, "example.com", NAME,
		65535, NULL, NULL),
	V("escaped ?headers", "sip:user@example.com?Route=%3Csip:example.com%3E", SIP, "user",
		NULL, "example.com", NAME, -1, NULL, "Route=%3Csip:example.com%3E"),
	V("tel, global", "tel:+1-201-555-0123", TEL, "+1-201-555-0123", NULL, NULL, NONE, -1, NULL,
		NULL),
	V("tel, local with context", "tel:7042;phone-context=example.com", TEL, "7042", NULL, NULL,
		NONE, -1, "phone-context=example.com", NULL),
	V("mailto (opaque)", "mailto:alice@example.com", OTHER, NULL, NULL, NULL, NONE, -1, NULL,
		NULL),
	V("urn (opaque)", "urn:service:sos", OTHER, NULL, NULL, NULL, NONE, -1, NULL, NULL),
	V("dotted scheme (novelsc)", "soap.beep://192.0.2.103:3002", OTHER, NULL, NULL, NULL, NONE,
		-1, NULL, NULL),
	V("unknown scheme (unkscm)", "nobodyKnowsThisScheme:totallyopaquecontent", OTHER, NULL,
		NULL, NULL, NONE, -1, NULL, NULL),

	X("empty", ""),
	X("scheme only", "sip:"),
	X("no colon", "sip alice"),
	X("scheme not starting with a letter", "1sip:alice@example.com"),
	X("angle brackets (ltgtruri)", "<sip:alice@example.com>"),
	X("empty user", "sip:@example.com"),
	X("empty host", "sip:alice@"),
	X("unbracketed IPv6 (RFC 5118 ipv6-bad)", "sip:2001:db8::10"),
	X("unclosed bracket", "sip:[2001:db8::1"),
	X("bad IPv6 digit", "sip:[2001:db8::g]"),
	X("IPv4 in brackets", "sip:[192.0.2.1]"),
	X("IPv6 with two gaps", "sip:[2001::db8::1]"),
	X("IPv6 with nine groups", "sip:[1:2:3:4:5:6:7:8:9]"),
	X("junk after the port", "sip:alice@example.com:5060x"),
	X("empty port", "sip:alice@example.com:"),
	X("port above 65535", "sip:alice@example.com:65536"),
	X("space in the host", "sip:alice@exa mple.com"),
	X("space in the user", "sip:al ice@example.com"),
	X("space in the password", "sip:alice:pa ss@example.com"),
	X("empty parameter", "sip:alice@example.com;"),
	X("parameter without a name", "sip:alice@example.com;=x"),
	X("parameter with an empty value", "sip:alice@example.com;a="),
	X("bad escape", "sip:%zzalice@example.com"),
	X("truncated escape", "sip:alice%4@example.com"),
	X("empty headers", "sip:alice@example.com?"),
	X("header without a value", "sip:alice@example.com?a"),
	X("trailing '&'", "sip:alice@example.com?a=1&"),
	X("host starting with '-'", "sip:alice@-example.com"),
	X("host starting with '.'", "sip:alice@.example.com"),
	X("digits and dots, not IPv4", "sip:alice@1.2.3"),
	X("IPv4 octet above 255", "sip:alice@256.1.1.1"),
	X("NUL in the host", "sip:alice@exa\0mple.com"),
	X("tel without a number", "tel:"),
	X("tel with only '+'", "tel:+"),
	X("tel with a space", "tel:+1 212"),
	X("opaque URI, empty", "mailto:"),
	X("opaque URI with a space", "mailto:a b"),
	X("opaque URI with '<'", "http://x/<y>"),
};

static void
expect_view(struct sip_str got, const char *want, const char *what)
{
	char esc[256];

	if (want == NULL) {
		if (got.p != NULL)
			fail_msg("%s: \"%s\", want none", what, test_escape(got.p, got.len, esc,
					sizeof(esc)));
		return;
	}
	if (got.p == NULL)
		fail_msg("%s: none, want \"%s\"", what, want);
	assert_view_str(got, want);
}

static void
run_uri_case(void **state)
{
	const struct uri_case *c = *state;
	/* Lengths by strlen, except the one case with a NUL in the middle. */
	size_t len = strcmp(c->name, "NUL in the host") == 0 ? 22 : strlen(c->uri);
	const char *p = guard_put(test_slot(0), c->uri, len);
	struct sip_uri u;
	bool engaged;
	char why[300];

	/* The fast path too, flush against the guard page, wherever it answers. */
	if (sip_uri_fast_compare(p, len, &engaged, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	int rc = sip_uri_parse(&u, p, len);

	if (!c->ok) {
		assert_int_equal(rc, -SIP_E_URI);
		return;
	}
	if (rc != 0)
		fail_msg("\"%s\" refused", c->uri);
	assert_int_equal(u.scheme_id, c->scheme);
	assert_view_n(u.scheme, c->uri, (size_t)(strchr(c->uri, ':') - c->uri));
	assert_view_str(u.opaque, strchr(c->uri, ':') + 1);
	if (c->scheme == SIP_SCHEME_OTHER) {
		assert_null(u.host.p);
		return;
	}
	if (c->scheme != SIP_SCHEME_TEL)
		assert_int_equal(u.has_user, c->user != NULL);
	expect_view(u.user, c->user, "user");
	expect_view(u.password, c->password, "password");
	expect_view(u.host, c->host, "host");
	assert_int_equal(u.host_type, c->host_type);
	assert_int_equal(u.has_port, c->port >= 0);
	if (c->port >= 0)
		assert_int_equal(u.port, c->port);
	expect_view(u.params, c->params, "params");
	expect_view(u.headers, c->headers, "headers");
}

/* ---- parameters ---- */

struct param_case {
	const char *name;
	const char *text;
	const char *want;  /* "name=value|name|..." as iterated; NULL when it must fail */
	int end_rc;        /* what the iteration ends with: 0, or -1 */
	int stop;          /* *pos at the end when end_rc is 0 at a ',' (-1: not checked) */
};

static const struct param_case param_cases[] = {
	{"URI parameters", "lr;transport=tcp;maddr=[2001:db8::1];x", "lr|transport=tcp|"
		"maddr=[2001:db8::1]|x", 0, -1},
	{"LWS around ';' and '='", " tag = 123 ;\r\n q=0.5", "tag=123|q=0.5", 0, -1},
	{"quoted value", "x=\"a;b,c\";y=1", "x=\"a;b,c\"|y=1", 0, -1},
	{"',' ends a list value", "a=1;b , c=2", "a=1|b", 0, 6},
	{"empty input", "", "", 0, -1},
	{"leading ';'", ";a", "", -1, -1},
	{"empty parameter", "a;;b", "a", -1, -1},
	{"empty value", "a=;b", "", -1, -1},
	{"space inside", "a b", "", -1, -1},
	{"unterminated quote", "a=\"xyz", "", -1, -1},
	{"unclosed IPv6 reference", "received=[2001:db8::1", "", -1, -1},
	{"junk after the value", "a=1\"x", "", -1, -1},
};

static void
run_param_case(void **state)
{
	const struct param_case *c = *state;
	size_t len = strlen(c->text);
	struct sip_str s = sip_str_make(guard_put(test_slot(0), c->text, len), len);
	struct sip_param prm;
	char got[256];
	size_t n = 0;
	uint32_t pos = 0;
	int rc;

	while ((rc = sip_param_next(s, &pos, &prm)) == 1) {
		if (n)
			got[n++] = '|';
		memcpy(got + n, prm.name.p, prm.name.len);
		n += prm.name.len;
		assert_int_equal(prm.has_value, prm.value.len > 0);
		if (prm.has_value) {
			got[n++] = '=';
			memcpy(got + n, prm.value.p, prm.value.len);
			n += prm.value.len;
		}
		assert_true(n < sizeof(got) - 64);
	}
	assert_int_equal(rc, c->end_rc);
	assert_memory_equal(got, c->want, strlen(c->want));
	assert_int_equal(n, strlen(c->want));
	if (c->stop >= 0) {
		assert_int_equal(pos, c->stop);
		assert_int_equal(s.p[pos], ',');
	}
}

static void
param_get(void **state)
{
	static const char text[] = "Transport=TCP;lr;maddr=192.0.2.1";
	struct sip_str s = sip_str_make(guard_put(test_slot(0), text, sizeof(text) - 1),
			sizeof(text) - 1);
	struct sip_str v;
	(void)state;

	assert_int_equal(sip_param_get(s, "transport", 9, &v), 1);
	assert_view(v, "TCP");
	assert_int_equal(sip_param_get(s, "LR", 2, &v), 1);
	assert_int_equal(v.len, 0);
	assert_int_equal(sip_param_get(s, "maddr", 5, &v), 1);
	assert_view(v, "192.0.2.1");
	assert_int_equal(sip_param_get(s, "ttl", 3, &v), 0);
	s = sip_str_make(";;", 2);
	assert_int_equal(sip_param_get(s, "x", 1, &v), -1);
}

/* ---- unescaping ---- */

struct unescape_case {
	const char *name;
	const char *in;
	const char *out;  /* NULL: must fail */
	size_t out_len;
	size_t cap;
};

#define UN(n, in, out) {n, in, out, sizeof(out) - 1, 64}

static const struct unescape_case unescape_cases[] = {
	UN("plain", "alice", "alice"),
	UN("one escape", "n%61me", "name"),
	/* Decoded once: "%25%34%31" is "%41", never "A" (RFC 4475 esc01). */
	UN("decoded once only", "v%61lue%25%34%31", "value%41"),
	UN("escaped NUL kept (escnull)", "null-%00-null", "null-\0-null"),
	UN("upper and lower hex", "%4a%4A%7e", "JJ~"),
	UN("empty", "", ""),
	{"truncated escape", "abc%4", NULL, 0, 64},
	{"escape without digits", "%", NULL, 0, 64},
	{"non-hex digits", "%zz", NULL, 0, 64},
	{"output too small", "abcdef", NULL, 0, 5},
	{"output exactly right", "a%62c", "abc", 3, 3},
};

static void
run_unescape_case(void **state)
{
	const struct unescape_case *c = *state;
	size_t len = strlen(c->in);
	struct sip_str s = sip_str_make(guard_put(test_slot(0), c->in, len), len);
	/* The output flush against a guard page too: writing past cap faults. */
	char *out = guard_room(test_out(), c->cap);
	int n = sip_unescape(out, c->cap, s);

	if (c->out == NULL) {
		assert_int_equal(n, -1);
		return;
	}
	assert_int_equal(n, (int)c->out_len);
	assert_memory_equal(out, c->out, c->out_len);
}

/* ---- schemes and host[:port] ---- */

static void
schemes(void **state)
{
	(void)state;
	assert_int_equal(sip_scheme_lookup(SIP_STR_LIT("sip")), SIP_SCHEME_SIP);
	assert_int_equal(sip_scheme_lookup(SIP_STR_LIT("SiPs")), SIP_SCHEME_SIPS);
	assert_int_equal(sip_scheme_lookup(SIP_STR_LIT("TEL")), SIP_SCHEME_TEL);
	assert_int_equal(sip_scheme_lookup(SIP_STR_LIT("sipx")), SIP_SCHEME_OTHER);
	assert_int_equal(sip_scheme_lookup(SIP_STR_LIT("si")), SIP_SCHEME_OTHER);
	assert_int_equal(sip_scheme_lookup(SIP_STR_LIT("")), SIP_SCHEME_OTHER);
}

static void
hostport(void **state)
{
	static const char text[] = "host.example.com : 5060;x";
	const char *p = guard_put(test_slot(0), text, sizeof(text) - 1);
	const char *end = p + sizeof(text) - 1;
	struct sip_uri u;
	(void)state;

	/* Via sent-by allows LWS around ':' ... */
	memset(&u, 0, sizeof(u));
	const char *q = sip_hostport_parse(&u, p, end, true);
	assert_non_null(q);
	assert_int_equal(*q, ';');
	assert_view(u.host, "host.example.com");
	assert_true(u.has_port);
	assert_int_equal(u.port, 5060);
	assert_view(u.hostport, "host.example.com : 5060");
	/* ... a URI does not: the host ends at the space. */
	memset(&u, 0, sizeof(u));
	q = sip_hostport_parse(&u, p, end, false);
	assert_non_null(q);
	assert_int_equal(*q, ' ');
	assert_false(u.has_port);
	/* A host alone, ending where the buffer ends. */
	p = guard_put(test_slot(0), "[::1]", 5);
	memset(&u, 0, sizeof(u));
	assert_ptr_equal(sip_hostport_parse(&u, p, p + 5, true), p + 5);
	assert_int_equal(u.host_type, SIP_HOST_IPV6);
	assert_view(u.host, "::1");
	assert_null(sip_hostport_parse(&u, p, p, true));
}

/* ---- the fast path against the full parser ---- */

/* URIs the fast path must take (what carriers send), each checked field by field. */
static const char *const fast_forms[] = {
	"sip:+4930123456789@198.51.100.10:5060;user=phone",
	"sip:+4930123456789@198.51.100.10",
	"sip:10.0.0.1;lr",
	"sip:203.0.113.7;lr;ftag=9fxced76sl",
	"sip:192.0.2.30;lr;did=a1.b2",
	"sip:192.0.2.1:5060",
	"sip:alice@192.0.2.77:5060;transport=udp",
	"sip:alice@example.net",
	"sip:registrar.example.net",
	"sips:bob@sbc1.carrier.example.com:5061;transport=tls",
	"SIP:Alice@Example.COM",
	"sIpS:x@h",
	"sip:+1-212-555-0100@example.com;user=phone",
	"sip:0049301234567@host-1.example.com.",
	"sip:alice@example.com:65535",
	"sip:alice@example.com;maddr=[2001:db8::1]",
	"sip:alice@example.com;lr;a=1;b;c=x",
	"sip:a_b!~*'()&=+$,/x@h",
	/* A dotted quad with a leading zero is an IPv4 address to the full parser too. */
	"sip:u@10.0.0.022",
	/* Names that start like an address: the full parser's IPv4 scan leaves its octets. */
	"sip:1.2.3.4a",
	"sip:u@1und1.de",
	"sip:1.2.3.4-5;lr",
	"sip:1.2.3.4@10.0.0.1",
	"tel:+1-201-555-0123",
	"tel:7042;phone-context=example.com",
	"TEL:+49(30)123*#ab",
};

/* What the fast path must decline: escapes, passwords, IPv6, headers, LWS, errors. */
static const char *const fast_declined[] = {
	"sip:[2001:db8::1]:5070",
	"sip:alice@[::1]",
	"sip:%61lice@example.com",
	"sip:alice@example.com;x=%41",
	"sip:alice@example.com;%6C%72",
	"sip:user@example.com?Route=x",
	"sip:alice@example.com?",
	"sip:alice:secret@example.com",
	"sip:alice:@example.com",
	"sip:alice:5060@example.com",
	"sip:user;par=u@example.com",
	" sip:alice@example.com",
	"sip:alice@example.com ;lr",
	"sip:alice@example.com; lr",
	"sip: alice@example.com",
	"sip:alice@example.com\r\n",
	"sip:@example.com",
	"sip:",
	"sip:alice@",
	"sip:alice@1.2.3",
	"sip:alice@256.1.1.1",
	"sip:1.2.3.4.5",
	"sip:alice@-example.com",
	"sip:.example.com",
	"sip:alice@example.com;",
	"sip:alice@example.com;=x",
	"sip:alice@example.com;a=",
	"sip:alice@example.com;a=b=c",
	"sip:alice@example.com:",
	"sip:alice@example.com:65536",
	"sip:alice@example.com:5060x",
	"sip:a@b@c",
	"sipx:alice@example.com",
	"sip alice@example.com",
	"mailto:alice@example.com",
	"urn:service:sos",
	"tel:",
	"tel:+",
	"tel:+1 212",
	"tel:+1;",
	"tel:+1?x",
};

static int
fast_check(const char *p, size_t len, bool *engaged)
{
	char why[300];
	int rc = sip_uri_fast_compare(p, len, engaged, why, sizeof(why));
	if (rc != 0)
		print_error("%s\n", why);
	return rc;
}

static void
fast_takes_common_forms(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(fast_forms) / sizeof(fast_forms[0]); i++) {
		size_t len = strlen(fast_forms[i]);
		const char *p = guard_put(test_slot(0), fast_forms[i], len);
		struct sip_uri u;
		bool engaged;
		assert_int_equal(fast_check(p, len, &engaged), 0);
		if (!engaged)
			fail_msg("the fast path declined \"%s\"", fast_forms[i]);
		assert_int_equal(sip_uri_parse(&u, p, len), 0);
	}
}

static void
fast_declines_the_rest(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(fast_declined) / sizeof(fast_declined[0]); i++) {
		size_t len = strlen(fast_declined[i]);
		const char *p = guard_put(test_slot(0), fast_declined[i], len);
		bool engaged;
		assert_int_equal(fast_check(p, len, &engaged), 0);
		if (engaged)
			fail_msg("the fast path took \"%s\"", fast_declined[i]);
	}
}

static int
mutation_check(const char *p, const char *end, unsigned *engaged)
{
	bool took;
	int rc = fast_check(p, (size_t)(end - p), &took);
	*engaged += took;
	return rc;
}

/* Random edits of the common forms: wherever the fast path answers, it answers right. */
static void
fast_mutations(void **state)
{
	unsigned runs = 200000;
	(void)state;

	size_t n = sizeof(fast_forms) / sizeof(fast_forms[0]);
	unsigned engaged = test_mutate_values(fast_forms, n, runs, 0x7572696661737431ull,
			mutation_check);
	print_message("URI fast path took %u of %u edits\n", engaged, runs);
	/* The test means something only if the fast path took a good share. */
	assert_true(engaged > runs / 10);
	assert_true(engaged < runs);
}

/*
 * Hosts that start like an IPv4 address, where the full parser's choice
 * between address and name (and what its scan leaves in addr) is subtle:
 * random dotted runs of octet-like pieces, with or without a user part,
 * port and parameters, each compared at a guard page.
 */
static void
fast_ipv4_edges(void **state)
{
	static const char *const pieces[] = {"0", "00", "000", "1", "01", "001", "9", "25",
		"255", "256", "260", "300", "999", "0255", "1a", "a", "-", "", "10"};
	static const char *const seps[] = {".", ".", ".", "..", "-", ""};
	static const char *const before[] = {"sip:", "sip:u@", "sips:+1@", "sip:1.2.3.4@"};
	static const char *const after[] = {"", ":5060", ";lr", ":1;a=b", ":", "@h", "x"};
	const size_t np = sizeof(pieces) / sizeof(pieces[0]), ns = sizeof(seps) / sizeof(seps[0]);
	struct rng r;
	char buf[128];
	unsigned engaged = 0, runs = 50000;
	(void)state;

	rng_seed(&r, 0x6970763465646765ull);
	for (unsigned i = 0; i < runs; i++) {
		int n = snprintf(buf, sizeof(buf), "%s",
				before[rng_below(&r, sizeof(before) / sizeof(before[0]))]);
		for (unsigned k = 0, parts = 1 + rng_below(&r, 5); k < parts; k++)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%s",
					k ? seps[rng_below(&r, (uint32_t)ns)] : "",
					pieces[rng_below(&r, (uint32_t)np)]);
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s",
				after[rng_below(&r, sizeof(after) / sizeof(after[0]))]);
		const char *p = guard_put(test_slot(0), buf, (size_t)n);
		bool took;
		if (fast_check(p, (size_t)n, &took) != 0)
			fail_msg("edge %u disagrees", i);
		engaged += took;
	}
	print_message("URI fast path took %u of %u address-like hosts\n", engaged, runs);
	assert_true(engaged > runs / 10);
	assert_true(engaged < runs);
}

int
test_group_uri(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(param_get),
		cmocka_unit_test(schemes),
		cmocka_unit_test(hostport),
		cmocka_unit_test(fast_takes_common_forms),
		cmocka_unit_test(fast_declines_the_rest),
		cmocka_unit_test(fast_mutations),
		cmocka_unit_test(fast_ipv4_edges),
	};
	int failed = RUN_ROWS("uri", uri_cases, run_uri_case);
	failed += RUN_ROWS("uri_params", param_cases, run_param_case);
	failed += RUN_ROWS("uri_unescape", unescape_cases, run_unescape_case);
	return failed + cmocka_run_group_tests_name("uri_misc", tests, NULL, NULL);
}
