/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * name-addr / addr-spec values (From, To, Contact, Route...): display
 * names (quoted with escapes, tokens, none), <URI> or bare addr-spec whose
 * ';' parameters belong to the header (cparam01 vs cparam02), '*', and the
 * RFC 4475 malformed ones (badaspec, regbadct, quotbal, baddn).
 */
#include <string.h>

#include "sip_exercise.h"
#include "sip_test.h"

struct naddr_case {
	const char *name;
	const char *text;
	size_t len;            /* 0: strlen(text) */
	unsigned flags;        /* SIP_NADDR_* */
	int err;               /* 0, -SIP_E_NAMEADDR or -SIP_E_URI */
	const char *display;   /* as written, quotes included; "" none */
	size_t display_len;    /* 0: strlen(display) */
	const char *uri;
	const char *params;    /* header params after the first ';', "" none */
	const char *tag;       /* NULL: no tag */
	int bracketed, star, more;
};

#define LIST SIP_NADDR_LIST
#define STAR SIP_NADDR_STAR
#define BAD(n, t, f) {n, t, 0, f, -SIP_E_NAMEADDR, NULL, 0, NULL, NULL, NULL, 0, 0, 0}

/* name, text, flags, display, URI, header params, tag, bracketed, star, more */
#define OKN(n, t, f, d, u, pa, tag, br, st, mo) {n, t, 0, f, 0, d, 0, u, pa, tag, br, st, mo}

static const struct naddr_case naddr_cases[] = {
	OKN("URI in brackets", "<sip:a@example.com>", 0, "", "sip:a@example.com", "", NULL, 1, 0,
		0),
	OKN("quoted display and tag", "\"Alice\" <sip:a@example.com>;tag=1", 0, "\"Alice\"",
		"sip:a@example.com", "tag=1", "1", 1, 0, 0),
	OKN("escaped quotes, folds (wsinv From)",
		"\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n"
		"  tag = 98asjd8",
		0, "\"J Rosenberg \\\\\\\"\"", "sip:jdrosen@example.com", "\r\n  tag = 98asjd8",
		"98asjd8", 1, 0, 0),
	OKN("token display name", "Bob Smith <sip:b@example.com>", 0, "Bob Smith",
		"sip:b@example.com", "", NULL, 1, 0, 0),
	OKN("token display, odd characters (intmeth)",
		"token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=_token~1'+`*%!-.", 0,
		"token1~` token2'+_ token3*%!.-", "sip:mundane@example.com",
		"tag=_token~1'+`*%!-.", "_token~1'+`*%!-.", 1, 0, 0),
	OKN("token display without LWS (lwsdisp)", "caller<sip:caller@example.com>;tag=323", 0,
		"caller", "sip:caller@example.com", "tag=323", "323", 1, 0, 0),
	OKN("quoted display without LWS", "\"x\"<sip:x@example.com>", 0, "\"x\"",
		"sip:x@example.com", "", NULL, 1, 0, 0),
	{"binary quoted display (intmeth To)",
		"\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" <sip:u@example.com>", 42, 0, 0,
		"\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\"", 22, "sip:u@example.com", "", NULL, 1, 0,
		0},
	OKN("UTF-8 in a quoted display", "\"Jos\xc3\xa9\" <sip:j@example.com>", 0,
		"\"Jos\xc3\xa9\"", "sip:j@example.com", "", NULL, 1, 0, 0),
	/* cparam01: without <>, ";unknownparam" is a header parameter. */
	OKN("bare addr-spec, header param (cparam01)",
		"sip:+19725552222@gw1.example.net;unknownparam", 0, "",
		"sip:+19725552222@gw1.example.net", "unknownparam", NULL, 0, 0, 0),
	/* cparam02: inside <>, it is a URI parameter. */
	OKN("URI param inside <> (cparam02)", "<sip:+19725552222@gw1.example.net;unknownparam>", 0,
		"", "sip:+19725552222@gw1.example.net;unknownparam", "", NULL, 1, 0, 0),
	OKN("bare addr-spec with a tag", "sip:user@example.com;tag=1918181833n", 0, "",
		"sip:user@example.com", "tag=1918181833n", "1918181833n", 0, 0, 0),
	OKN("bare addr-spec, LWS before params", "sip:a@b ;tag=1", 0, "", "sip:a@b", "tag=1", "1",
		0, 0, 0),
	OKN("LWS around params", "<sip:a@b>  ;  tag = x ", 0, "", "sip:a@b", "  tag = x", "x", 1,
		0, 0),
	OKN("tag name in upper case", "<sip:a@b>;TAG=x", 0, "", "sip:a@b", "TAG=x", "x", 1, 0, 0),
	OKN("quoted header param", "<sip:a@b>;x=\"q;v,w\";tag=t", 0, "", "sip:a@b",
		"x=\"q;v,w\";tag=t", "t", 1, 0, 0),
	OKN("?headers inside <> (regescrt)",
		"<sip:user@example.com?Route=%3Csip:sip.example.com%3E>", 0, "",
		"sip:user@example.com?Route=%3Csip:sip.example.com%3E", "", NULL, 1, 0, 0),
	OKN("unknown scheme (unksm2)", "<name:John_Smith>", 0, "", "name:John_Smith", "", NULL, 1,
		0, 0),
	OKN("bare unknown scheme", "isbn:2983792873", 0, "", "isbn:2983792873", "", NULL, 0, 0, 0),
	OKN("star contact", "*", STAR, "", "*", "", NULL, 0, 1, 0),
	OKN("star with params", "* ;expires=0", STAR, "", "*", "expires=0", NULL, 0, 1, 0),
	OKN("first of a list", "<sip:a@b>;q=0.5 , <sip:c@d>", LIST, "", "sip:a@b", "q=0.5", NULL,
		1, 0, 1),
	OKN("bare addr-spec in a list", "sip:a@b,sip:c@d", LIST, "", "sip:a@b", "", NULL, 0, 0, 1),
	OKN("URI checked", "<sip:a@example.com;lr>", SIP_NADDR_CHECK_URI, "",
		"sip:a@example.com;lr", "", NULL, 1, 0, 0),
	OKN("brackets required and present", "<sip:a@b;lr>", SIP_NADDR_NEED_BRACKETS, "",
		"sip:a@b;lr", "", NULL, 1, 0, 0),

	BAD("spaces inside <> (badaspec)", "\"Watson, Thomas\" < sip:t.watson@example.org >", 0),
	BAD("'?' outside <> (regbadct)", "sip:user@example.com?Route=%3Csip:sip.example.com%3E", 0),
	BAD("unterminated quote (quotbal)", "\"Mr. J. User <sip:j.user@example.com>", 0),
	BAD("escaped closing quote", "\"a\\\"<sip:x@y>", 0),
	BAD("unquoted ',' in display (baddn)", "Bell, Alexander <sip:a.g.bell@bell-tel.com>;tag=43",
		0),
	BAD("empty value", "", 0),
	BAD("empty <>", "<>", 0),
	BAD("no closing '>'", "<sip:a@b", 0),
	BAD("tab inside <>", "<sip:a@b\t>", 0),
	BAD("junk after '>'", "<sip:a@b>junk", 0),
	BAD("tag without a value", "<sip:a@b>;tag", 0),
	BAD("empty header param", "<sip:a@b>;;tag=1", 0),
	BAD("trailing ';'", "<sip:a@b>;", 0),
	BAD("trailing ';' after LWS", "sip:a@b ; ", 0),
	BAD("display name alone", "Alice", 0),
	BAD("star where not allowed", "*", 0),
	BAD("',' in a single-value header", "<sip:a@b>, <sip:c@d>", 0),
	BAD("bare addr-spec where brackets are required", "sip:a@b;lr", SIP_NADDR_NEED_BRACKETS),
	{"bad URI when checked", "<sip:a@-bad>", 0, SIP_NADDR_CHECK_URI, -SIP_E_URI, NULL, 0, NULL,
		NULL, NULL, 0, 0, 0},
};

static void
run_naddr_case(void **state)
{
	const struct naddr_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->text);
	const char *p = guard_put(test_slot(0), c->text, len);
	const char *next = NULL;
	struct sip_naddr a;
	int rc = sip_naddr_parse(&a, p, p + len, c->flags, &next);

	if (c->err != 0) {
		assert_int_equal(rc, c->err);
		return;
	}
	assert_int_equal(rc, 0);
	assert_view_n(a.display, c->display, c->display_len ? c->display_len : strlen(c->display));
	assert_view_str(a.uri, c->uri);
	assert_view_str(a.params, c->params);
	assert_int_equal(a.has_tag, c->tag != NULL);
	if (c->tag != NULL)
		assert_view_str(a.tag, c->tag);
	assert_int_equal(a.bracketed, c->bracketed);
	assert_int_equal(a.star, c->star);
	assert_int_equal(a.more, c->more);
	assert_ptr_equal(a.start, p);
	if (!c->more)
		assert_ptr_equal(next, p + len);
	else
		assert_int_equal(next[-1], ',');
}

static void
contact_lists(void **state)
{
	static const char msg[] =
		"REGISTER sip:example.com SIP/2.0" CRLF
		"Contact: <sip:%00@host5.example.com>" CRLF
		"C%6Fntact: <sip:alias2@host2.example.com>" CRLF
		"m: \"A, B\" <sip:a@b>;q=0.1, sip:c@d;expires=60" CRLF
		"CONTACT:*" CRLF CRLF;
	static const char *const uris[] = {"sip:%00@host5.example.com", "sip:a@b", "sip:c@d", "*"};
	struct sip_msg m;
	struct sip_cursor c;
	struct sip_naddr a;
	(void)state;

	assert_int_equal(PARSE_LIT(&m, msg), (int)sizeof(msg) - 1);
	sip_cursor_init(&c, &m, SIP_HDR_CONTACT);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(sip_naddr_next(&c, &a, SIP_NADDR_STAR), 1);
		assert_view_str(a.uri, uris[i]);
	}
	assert_true(a.star);
	assert_int_equal(sip_naddr_next(&c, &a, SIP_NADDR_STAR), 0);
	/* A '*' only where the caller allows it. */
	sip_cursor_init(&c, &m, SIP_HDR_CONTACT);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(sip_naddr_next(&c, &a, 0), 1);
	assert_int_equal(sip_naddr_next(&c, &a, 0), -SIP_E_NAMEADDR);
}

static void
single_values(void **state)
{
	static const char msg[] =
		"INVITE sip:a@example.com SIP/2.0" CRLF
		"f: \"Caller\" <sip:c@example.com>;tag=abc" CRLF
		"TO :" CRLF " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n" CRLF
		"Route: <sip:r1;lr>,<sip:r2;lr>" CRLF CRLF;
	struct sip_msg m;
	struct sip_naddr a;
	struct sip_cursor c;
	(void)state;

	assert_int_equal(PARSE_LIT(&m, msg), (int)sizeof(msg) - 1);
	assert_int_equal(sip_naddr_of(&m, SIP_HDR_FROM, &a, SIP_NADDR_CHECK_URI), 0);
	assert_view(a.tag, "abc");
	assert_int_equal(sip_naddr_of(&m, SIP_HDR_TO, &a, SIP_NADDR_CHECK_URI), 0);
	assert_view(a.uri, "sip:vivekg@chair-dnrc.example.com");
	assert_view(a.tag, "1918181833n");
	assert_int_equal(sip_naddr_of(&m, SIP_HDR_CONTACT, &a, 0), -SIP_E_MISSING_HDR);
	/* sip_naddr_of() reads a single value: the list flag is ignored. */
	assert_int_equal(sip_naddr_of(&m, SIP_HDR_ROUTE, &a, SIP_NADDR_LIST), -SIP_E_NAMEADDR);
	sip_cursor_init(&c, &m, SIP_HDR_ROUTE);
	assert_int_equal(sip_naddr_next(&c, &a, SIP_NADDR_NEED_BRACKETS), 1);
	assert_view(a.uri, "sip:r1;lr");
	assert_true(a.more);
	assert_int_equal(sip_naddr_next(&c, &a, SIP_NADDR_NEED_BRACKETS), 1);
	assert_view(a.uri, "sip:r2;lr");
	assert_int_equal(sip_naddr_next(&c, &a, SIP_NADDR_NEED_BRACKETS), 0);
}

/* ---- the fast path against the full parser ---- */

/* Flag sets the parsers are called with: From/To, Contact, Route, strict. */
static const unsigned fast_flags[] = {
	0, SIP_NADDR_LIST | SIP_NADDR_STAR, SIP_NADDR_LIST | SIP_NADDR_NEED_BRACKETS,
	SIP_NADDR_CHECK_URI, SIP_NADDR_LIST | SIP_NADDR_STAR | SIP_NADDR_CHECK_URI,
};
#define N_FAST_FLAGS (sizeof(fast_flags) / sizeof(fast_flags[0]))

/* Values the fast path must take with flags 0 (From and To as carriers write them). */
static const char *const fast_forms[] = {
	"\"Alice\" <sip:+4420794608@203.0.113.7>;tag=9fxced76sl",
	"<sip:+4930123456789@198.51.100.10;user=phone>",
	"\"Alice Example\" <sip:+4420794608@203.0.113.7;user=phone>;tag=9fxced76sl",
	"<sip:alice@example.net>;tag=456248",
	"Bob Smith <sips:bob@[2001:db8::1]:5061>;TAG=x;expires=60;q=0.5",
	"\"\"<sip:a@b>",
	"sip:alice@example.net;tag=1",
	"tel:+4930123456789;tag=abc",
	"<sip:a@b>;tag=%41%42;x",
};

static int
fast_check(const char *p, const char *end, unsigned flags, bool *engaged)
{
	char why[300];
	int rc = sip_naddr_fast_compare(p, end, flags, engaged, why, sizeof(why));
	if (rc != 0)
		print_error("%s\n", why);
	return rc;
}

static void
fast_takes_common_forms(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(fast_forms) / sizeof(fast_forms[0]); i++) {
		const char *p = fast_forms[i];
		for (unsigned k = 0; k < N_FAST_FLAGS; k++) {
			bool engaged;
			assert_int_equal(fast_check(p, p + strlen(p), fast_flags[k], &engaged), 0);
			if (fast_flags[k] == 0 && !engaged)
				fail_msg("the fast path declined \"%s\"", p);
		}
	}
	for (unsigned i = 0; i < sizeof(naddr_cases) / sizeof(naddr_cases[0]); i++) {
		const char *p = naddr_cases[i].text;
		for (unsigned k = 0; k < N_FAST_FLAGS; k++) {
			bool engaged;
			assert_int_equal(fast_check(p, p + strlen(p), fast_flags[k], &engaged), 0);
		}
	}
}

/*
 * Quoted display names of every length 0..40, then the same names with a
 * quote, backslash, CR or LF put at each position: the fast path's 16-byte
 * steps must find the first of them wherever it falls, as the full parser
 * does (same verdict, same display name), and take the plain names.
 */
static void
fast_quoted_every_position(void **state)
{
	static const char stops[] = "\"\\\r\n";
	char buf[96];

	(void)state;
	for (unsigned len = 0; len <= 40; len++) {
		for (int at = -1; at < (int)len; at++) {
			for (unsigned s = 0; s < (at < 0 ? 1u : sizeof(stops) - 1); s++) {
				size_t n = 0;
				buf[n++] = '"';
				for (unsigned i = 0; i < len; i++)
					buf[n++] = (int)i == at ? stops[s] : (char)('a' + i % 26);
				memcpy(buf + n, "\" <sip:a@b>;tag=1", 17);
				n += 17;
				const char *b = guard_put(test_slot(0), buf, n);
				bool engaged;
				assert_int_equal(fast_check(b, b + n, 0, &engaged), 0);
				if (at < 0 && !engaged)
					fail_msg("the fast path declined a display name of %u bytes", len);
			}
		}
	}
}

/* What it must leave to the full parser (flags 0). */
static void
fast_declines_the_rest(void **state)
{
	static const char *const others[] = {
		" <sip:a@b>", "<sip:a@b> ;tag=1", "<sip:a@b>; tag=1", "<sip:a@b>;tag= 1",
		"<sip:a@b>;tag=\"1\"", "<sip:a@b>;tag", "<sip:a@b>;", "<sip:a@b>;;x",
		"\"A\\\"B\" <sip:a@b>", "\"A\"  <sip:a@b>", "A  B <sip:a@b>", "A\t<sip:a@b>",
		"<sip:a b@c>", "<>", "<sip:a@b", "sip:a@b?x=y", "<sip:a@b>,<sip:c@d>", "*",
		"<sip:a@b>;x=[::1]",
	};
	(void)state;
	for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		const char *p = others[i];
		bool engaged;
		assert_int_equal(fast_check(p, p + strlen(p), 0, &engaged), 0);
		if (engaged)
			fail_msg("the fast path took \"%s\"", p);
	}
}

static int
mutation_check(const char *p, const char *end, unsigned *engaged)
{
	for (unsigned k = 0; k < N_FAST_FLAGS; k++) {
		bool took;
		if (fast_check(p, end, fast_flags[k], &took) != 0)
			return -1;
		*engaged += took;
	}
	return 0;
}

/* Random edits of the common forms, under every flag set. */
static void
fast_mutations(void **state)
{
	unsigned runs = 100000;
	(void)state;

	unsigned engaged = test_mutate_values(fast_forms, sizeof(fast_forms) / sizeof(fast_forms[0]),
			runs, 0x6e61646472666173ull, mutation_check);
	assert_true(engaged > runs / 10);
	assert_true(engaged < runs * N_FAST_FLAGS);
}

int
test_group_naddr(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(contact_lists),
		cmocka_unit_test(single_values),
		cmocka_unit_test(fast_takes_common_forms),
		cmocka_unit_test(fast_quoted_every_position),
		cmocka_unit_test(fast_declines_the_rest),
		cmocka_unit_test(fast_mutations),
	};
	int failed = RUN_ROWS("naddr", naddr_cases, run_naddr_case);
	return failed + cmocka_run_group_tests_name("naddr_lists", tests, NULL, NULL);
}
