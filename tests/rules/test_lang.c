/* SPDX-License-Identifier: BSD-3-Clause */
/* The dialplan language: lexing, clauses, fields, directives. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "rules_impl.h"
#include "rules_test.h"

static const struct rt_winner_case cases[] = {
	{"comments and blank lines",
		"# a comment\n\n   # indented comment\n10 prefix 49 pass # trailing\n",
		{.user = "4930"}, 4},
	{"hash inside a word is not a comment",
		"10 exact a#b pass\n", {.user = "a#b"}, 1},
	{"hash inside quotes is not a comment",
		"10 exact \"x # y\" pass\n", {.user = "x # y"}, 1},
	{"quoted value with a doubled quote",
		"10 exact \"say \"\"hi\"\"\" pass\n", {.user = "say \"hi\""}, 1},
	{"CRLF line ends",
		"10 exact 1 pass\r\n20 exact 2 pass\r\n", {.user = "2"}, 2},
	{"last line without newline",
		"10 exact 1 pass\n20 exact 2 pass", {.user = "2"}, 2},
	{"continuation line keeps the first line's number",
		"10 prefix 49\n   forward gw\ngroup gw 192.0.2.1\n", {.user = "491"}, 1},
	{"comment between continuation lines",
		"10 prefix 49 # first\n# note\n\t method INVITE\n  pass\n", {.user = "491"}, 1},
	{"continuation does not reach the next rule",
		"10 exact 1 pass\n20 exact 2 pass\n", {.user = "1"}, 1},
	{"domain is case-insensitive",
		"10 domain exact Example.COM pass\n", {.user = "x", .domain = "EXAMPLE.com"}, 1},
	{"domain regex is case-insensitive",
		"10 domain regex ^sip\\.example\\.net$ pass\n",
		{.user = "x", .domain = "SIP.Example.NET"}, 1},
	{"user is case-sensitive",
		"10 exact Alice pass\n", {.user = "alice"}, 0},
	{"from prefix",
		"10 from prefix +49 pass\n", {.user = "1", .from = "+4930"}, 1},
	{"to exact",
		"10 to exact bob pass\n", {.user = "1", .to = "bob"}, 1},
	{"absent field matches no prefix",
		"10 from prefix a pass\n", {.user = "1"}, 0},
	{"len filter holds",
		"10 prefix 49 len 5 pass\n", {.user = "49123"}, 1},
	{"len filter fails",
		"10 prefix 49 len 5 pass\n", {.user = "491234"}, 0},
	{"len of another field",
		"10 from len 3 pass\n", {.user = "1", .from = "abc"}, 1},
	{"method list",
		"10 method MESSAGE,INVITE pass\n", {.user = "1", .method = "INVITE"}, 1},
	{"method is case-sensitive",
		"10 method INVITE pass\n", {.user = "1", .method = "invite"}, 0},
	{"src IPv4 network",
		"10 src 192.0.2.0/24 pass\n", {.user = "1", .src = "192.0.2.77"}, 1},
	{"src IPv4 outside",
		"10 src 192.0.2.0/25 pass\n", {.user = "1", .src = "192.0.2.200"}, 0},
	{"src list and host address",
		"10 src 10.0.0.0/8,198.51.100.7 pass\n", {.user = "1", .src = "198.51.100.7"}, 1},
	{"src IPv6",
		"10 src 2001:db8::/32 pass\n", {.user = "1", .src = "2001:db8:1::5"}, 1},
	{"src family must agree",
		"10 src 0.0.0.0/0 pass\n", {.user = "1", .src = "::1"}, 0},
	{"src without an address fails",
		"10 src 0.0.0.0/0 pass\n", {.user = "1"}, 0},
	{"catch-all",
		"10 pass\n", {.user = "anything"}, 1},
	{"letters go to the generic index",
		"10 prefix alice pass\n", {.user = "alice42"}, 1},
	{"generic exact",
		"10 exact alice pass\n", {.user = "alice42"}, 0},
	{"digits longer than 15 symbols",
		"10 exact 1234567890123456789 pass\n", {.user = "1234567890123456789"}, 1},
	{"digit prefix, input with a foreign byte",
		"10 prefix 123 pass\n20 exact 123 pass\n", {.user = "123-4"}, 1},
	{"a value starting with '#' is quoted",
		"10 prefix \"#31#\" pass\n", {.user = "#31#49"}, 1},
	{"star and hash are digits",
		"10 prefix *#21 pass\n", {.user = "*#2100"}, 1},
	{"several conditions combine with AND",
		"10 prefix 49 from exact a method BYE pass\n20 pass\n",
		{.user = "491", .from = "a", .method = "INVITE"}, 2},
	{"keyword as a value",
		"10 exact drop drop\n", {.user = "drop"}, 1},
	{"empty user",
		"10 exact 1 pass\n20 len 0 pass\n", {.user = ""}, 2},
};

static void
test_directives(void **state)
{
	const char *text = "plan my-plan\nversion 42\n10 pass\n";
	struct rules_plan_info in;
	unsigned char md[32];
	unsigned len;
	char hex[65];

	(void)state;
	struct tp t = rt_compile(text);
	rules_plan_info(t.p, &in);
	assert_string_equal(in.name, "my-plan");
	assert_int_equal(in.version, 42);
	assert_string_equal(in.source, "test");
	assert_int_equal(in.n_rules, 1);
	assert_int_equal(in.n_other, 1);
	EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	assert_string_equal(in.sha256, hex);
	rt_free(&t);

	/* Options override the directives. */
	struct rules_compile_opts o = {.name = "other", .version = 7};
	struct rules_plan *p = rules_compile_text(text, strlen(text), "x", &o, NULL);
	assert_non_null(p);
	rules_plan_info(p, &in);
	assert_string_equal(in.name, "other");
	assert_int_equal(in.version, 7);
	rules_plan_free(p);
}

static void
test_compile_file(void **state)
{
	char path[] = "/tmp/rules_test_XXXXXX";
	int fd = mkstemp(path);
	const char *text = "# file\n10 exact 5 pass\n";
	struct rules_errors e = {0};

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct rules_plan *p = rules_compile_file(path, NULL, &e);
	assert_non_null(p);
	struct rules_plan_info in;
	rules_plan_info(p, &in);
	/* A plan without a name directive is named after its file. */
	assert_string_equal(in.name, strrchr(path, '/') + 1);
	rules_plan_free(p);
	unlink(path);
	p = rules_compile_file(path, NULL, &e);
	assert_null(p);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "cannot open"));
	rules_errors_clear(&e);
}

/* Every field absent ({NULL, 0}) through every kind of index and filter. */
static void
test_absent_fields(void **state)
{
	struct tp t = rt_compile(
		"group g 192.0.2.1\n"
		"10 prefix 49 from prefix 1 strip 2 add 0 pass\n"
		"10 exact 123 domain exact example.com pass\n"
		"10 regex ^\\+49 to regex ^b forward g\n"
		"10 from prefix alice method INVITE pass\n"
		"10 domain regex ^sip src 10.0.0.0/8 redirect contact sip:$user@$domain$to$from\n"
		"20 regex x pass\n"
		"30 user len 0 strip 3 subst ^$ empty header \"X-U: $user$ruser\" pass\n");
	struct rules_query q;
	struct rules_result r;
	char buf[256], text[2048];
	static struct rules_explain ex;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_int_equal(rules_match(t.p, t.s, &q, NULL, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.line, 8);
	assert_view(r.user, "empty");
	assert_view(r.headers, "X-U: empty\r\n");
	assert_int_equal(rules_match_burst(t.p, t.s, &q, 1, NULL, &r, buf, sizeof(buf)), 1);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.line, 8);
	t.p->pipeline = true;
	assert_int_equal(rules_match_burst(t.p, t.s, &q, 1, NULL, &r, buf, sizeof(buf)), 1);
	assert_int_equal(r.line, 8);
	assert_int_equal(rules_explain(t.p, &q, NULL, &ex, text, sizeof(text)), 0);
	assert_int_equal(ex.res.line, 8);
	rt_free(&t);
}

static void
test_empty_plan(void **state)
{
	(void)state;
	struct tp t = rt_compile("# nothing\n");
	assert_int_equal(rt_line(&t, "123"), 0);
	rt_free(&t);
}

/* Which query fields a plan reads: conditions and templates, also after a blob round trip. */
static void
test_fields_read(void **state)
{
	static const struct {
		const char *text;
		bool from, to;
	} plans[] = {
		{"10 prefix 49 reject 404\n10 domain exact a.example reject 403\n", false, false},
		{"10 from exact carol reject 486\n", true, false},
		{"10 from prefix +44 reject 486\n", true, false},
		{"10 to regex ^bob$ reject 486\n", false, true},
		{"10 to len 3 reject 486\n", false, true},
		{"10 prefix 1 redirect contact sip:$from@example.net\n", true, false},
		{"10 prefix 1 redirect contact sip:${to}@example.net\n", false, true},
		{"10 prefix 1 redirect contact sip:$$from@example.net\n", true, false}, /* superset */
		{"10 prefix 1 redirect contact sip:$user@example.net\n", false, false},
	};
	(void)state;
	for (unsigned i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		struct tp t = rt_compile(plans[i].text);
		uint32_t f = rules_plan_fields_read(t.p);
		assert_true(f & 1u << RULES_F_USER);
		if (!!(f & 1u << RULES_F_FROM) != plans[i].from || !!(f & 1u << RULES_F_TO) != plans[i].to)
			fail_msg("plan \"%s\": fields 0x%x", plans[i].text, f);
		void *blob;
		size_t len;
		struct rules_errors e = {0};
		assert_int_equal(rules_plan_serialize(t.p, &blob, &len), 0);
		struct rules_plan *p = rules_plan_load(blob, len, &e);
		assert_non_null(p);
		assert_int_equal(rules_plan_fields_read(p), f);
		rules_plan_free(p);
		free(blob);
		rt_free(&t);
	}
}

int
test_group_lang(void)
{
	struct CMUnitTest t[sizeof(cases) / sizeof(cases[0]) + 5];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t[n] = (struct CMUnitTest){cases[i].name, rt_run_winner_case, NULL, NULL, (void *)&cases[i]};
		n++;
	}
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_directives);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_compile_file);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_empty_plan);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_absent_fields);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_fields_read);
	return _cmocka_run_group_tests("lang", t, n, NULL, NULL);
}
