/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kamailio dialplan import: the example table in db_text and CSV form,
 * Kamailio's order (rows with a matching match_len first, then by pr,
 * then table order), its substitution semantics, and errors by row line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rules_test.h"

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

static void
example(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/kamailio/%s", rt_examples, name);
}

static char tmp_path[64];

static const char *
write_tmp(const char *text)
{
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/rules_kam_XXXXXX");
	int fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return tmp_path;
}

static struct tp
import(const char *path, int dpid, const char *action, const char *preamble)
{
	struct rules_kamailio_opts ko = {dpid, action, preamble};
	struct rules_errors e = {0};
	struct tp t = {0};

	t.p = rules_import_kamailio(path, &ko, NULL, &e);
	if (t.p == NULL) {
		rules_errors_print(&e, stderr);
		fail_msg("import failed");
	}
	rules_errors_clear(&e);
	t.s = rules_scratch_create(t.p);
	assert_non_null(t.s);
	return t;
}

struct kcase {
	const char *user;
	const char *want_user; /* NULL: no rule */
	const char *attrs;
};

/* What Kamailio's dp_translate("1", ...) gives for the example table. */
static const struct kcase dpid1[] = {
	{"112", "112", "emergency"},            /* equal, match_len 3 */
	{"030123456", "+4930123456", "national"},
	{"0049301234", "+49301234", "international"},
	{"0900123", "0900123", "premium"},      /* fnmatch, pr 5 beats the national rule */
	{"+49301234567", "0301234567", "berlin"}, /* match_len 12 first */
	{"+4930123456", NULL, NULL},            /* 11 characters: the berlin row does not apply */
	{"4711", "4711", "extension"},
	{"11", NULL, NULL},
};

static void
check_dpid1(struct tp *t)
{
	for (size_t i = 0; i < sizeof(dpid1) / sizeof(dpid1[0]); i++) {
		struct tq in = {.user = dpid1[i].user};
		struct rules_result r;
		char buf[256];
		assert_int_equal(rt_match(t, &in, &r, buf, sizeof(buf)), 0);
		if (dpid1[i].want_user == NULL) {
			if (r.action != RULES_ACT_NONE)
				fail_msg("%s: matched line %u", dpid1[i].user, r.line);
			continue;
		}
		if (r.action == RULES_ACT_NONE)
			fail_msg("%s: no rule matched", dpid1[i].user);
		assert_view(r.user, dpid1[i].want_user);
		assert_view(r.attrs, dpid1[i].attrs);
	}
}

static void
test_dbtext(void **state)
{
	char path[512];

	(void)state;
	example(path, sizeof(path), "dialplan");
	struct tp t = import(path, 1, NULL, NULL);
	struct rules_plan_info in;
	rules_plan_info(t.p, &in);
	assert_int_equal(in.n_rules, 6);
	check_dpid1(&t);
	/* Rules carry the line of their row in the table. */
	struct tq q = {.user = "0900123"};
	struct rules_result r;
	char buf[256];
	assert_int_equal(rt_match(&t, &q, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.line, 5);
	assert_int_equal(r.action, RULES_ACT_PASS);
	rt_free(&t);

	t = import(path, 2, NULL, NULL);
	rules_plan_info(t.p, &in);
	assert_int_equal(in.n_rules, 1);
	assert_int_equal(rt_line(&t, "anything"), 8);
	rt_free(&t);
}

static void
test_csv_and_action(void **state)
{
	char path[512], pre[512];

	(void)state;
	example(path, sizeof(path), "dialplan.csv");
	example(pre, sizeof(pre), "preamble.dialplan");
	char *preamble = read_file(pre);
	struct tp t = import(path, 1, "forward pstn", preamble);
	check_dpid1(&t);
	struct rules_plan_info in;
	rules_plan_info(t.p, &in);
	assert_string_equal(in.name, "kamailio-dpid-1");
	struct tq q = {.user = "112", .callid = 1};
	struct rules_result r;
	char buf[256];
	assert_int_equal(rt_match(&t, &q, &r, buf, sizeof(buf)), 0);
	assert_int_equal(r.action, RULES_ACT_FORWARD);
	assert_true(r.gw == 0 || r.gw == 1);
	char sha1[65];
	strcpy(sha1, in.sha256);
	rt_free(&t);

	/* The checksum covers the import options too. */
	t = import(path, 1, "forward pstn ", preamble);
	rules_plan_info(t.p, &in);
	assert_string_not_equal(in.sha256, sha1);
	rt_free(&t);
	free(preamble);
}

static void
test_convert(void **state)
{
	char path[512];
	char *text = NULL;
	size_t len = 0;
	struct rules_kamailio_opts ko = {1, NULL, NULL};
	struct rules_errors e = {0};

	(void)state;
	example(path, sizeof(path), "dialplan");
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(rules_kamailio_convert(path, &ko, out, &e), 0);
	fclose(out);
	assert_non_null(strstr(text, "tiebreak line\n"));
	assert_non_null(strstr(text, "2147483658 regex \"^0([1-9][0-9]+)$\" subst "
			"\"^0([1-9][0-9]+)$\" \"+49\\1\" pass attrs \"national\""));
	assert_non_null(strstr(text, "1 exact \"112\" len 3 pass attrs \"emergency\""));
	assert_non_null(strstr(text, "2147483653 regex \"^0900.*$\" pass attrs \"premium\""));
	/* The converted text compiles into a plan that answers the same. */
	struct tp t = rt_compile(text);
	check_dpid1(&t);
	rt_free(&t);
	free(text);
}

static void
test_semantics(void **state)
{
	(void)state;
	const char *table =
		"id,dpid,pr,match_op,match_exp,match_len,subst_exp,repl_exp,attrs\r\n"
		"1,1,1,1,^4,0,,,a\r\n"                /* len 0, best pr */
		"2,1,100,1,^4,4,,,b\r\n"              /* len 4: tried before every len-0 row */
		"3,1,50,2,5?[!0-4]*,0,,fixed,c\r\n"   /* fnmatch; subst empty: repl literally */
		"4,1,50,1,^5,0,^(5)(.*)$,\\2\\1,d\r\n" /* same pr, later row: loses to row 3 */
		"5,1,60,0,\"a,b\",0,,,e\r\n"          /* quoted CSV value with a comma */
		"6,1,70,1,\"^x\"\"y\",0,,,\"quoted\"\r\n";
	struct tp t = import(write_tmp(table), 1, NULL, NULL);
	struct rules_result r;
	char buf[256];
	struct tq q = {.user = "4567"};
	assert_int_equal(rt_match(&t, &q, &r, buf, sizeof(buf)), 0);
	assert_view(r.attrs, "b");
	q.user = "45678";
	assert_int_equal(rt_match(&t, &q, &r, buf, sizeof(buf)), 0);
	assert_view(r.attrs, "a");
	q.user = "5590";
	assert_int_equal(rt_match(&t, &q, &r, buf, sizeof(buf)), 0);
	assert_view(r.attrs, "c");
	assert_view(r.user, "fixed");
	q.user = "5300";
	assert_int_equal(rt_match(&t, &q, &r, buf, sizeof(buf)), 0);
	assert_view(r.attrs, "d");
	assert_view(r.user, "3005");
	q.user = "a,b";
	assert_int_equal(rt_match(&t, &q, &r, buf, sizeof(buf)), 0);
	assert_view(r.attrs, "e");
	q.user = "x\"y";
	assert_int_equal(rt_match(&t, &q, &r, buf, sizeof(buf)), 0);
	assert_view(r.attrs, "quoted");
	assert_int_equal(r.line, 7);
	rt_free(&t);
	unlink(tmp_path);
}

static void
expect_import_error(const char *table, int dpid, const char *msg)
{
	const char *path = write_tmp(table);
	struct rules_kamailio_opts ko = {dpid, NULL, NULL};
	struct rules_errors e = {0};
	struct rules_plan *p = rules_import_kamailio(path, &ko, NULL, &e);

	if (p != NULL)
		fail_msg("table imported but should not have: %s", table);
	char want[600];
	snprintf(want, sizeof(want), "%s:%s", path, msg);
	if (e.n < 1 || strstr(e.msg[0], want) == NULL)
		fail_msg("got \"%s\", want \"%s\"", e.n ? e.msg[0] : "", want);
	rules_errors_clear(&e);
	unlink(path);
}

static void
test_errors(void **state)
{
	static const char *hdr = "id(int,auto) dpid(int) pr(int) match_op(int) match_exp(string) "
		"match_len(int) subst_exp(string) repl_exp(string) attrs(string)\n";
	char t[1024];

	(void)state;
	snprintf(t, sizeof(t), "%s1:1:1:1:^1:0:::\n2:1:1:7:x:0:::\n", hdr);
	expect_import_error(t, 1, "3: match_op must be 0 (equal), 1 (regex) or 2 (fnmatch)");
	snprintf(t, sizeof(t), "%s1:1:1:1:^\\+1:0:::\n", hdr);
	expect_import_error(t, 1, "2: bad escape in db_text row");
	snprintf(t, sizeof(t), "%s1:1:1:1:(a)\\\\1:0:::\n", hdr);
	expect_import_error(t, 1, "2: rule 1 (priority 2147483649): regex \"(a)\\1\": "
			"Back-references are unsupported");
	snprintf(t, sizeof(t), "%s1:1:1:1:^1:0:^(1):$avp(x):\n", hdr);
	expect_import_error(t, 1, "2: repl_exp \"$avp(x)\": pseudo-variables are not supported");
	snprintf(t, sizeof(t), "%s1:1:-5:1:^1:0:::\n", hdr);
	expect_import_error(t, 1, "2: pr must be a number");
	snprintf(t, sizeof(t), "%s1:1:1:1:^1:0::\n", hdr);
	expect_import_error(t, 1, "2: row has 8 values, the header 9 columns");
	snprintf(t, sizeof(t), "%s1:1:1:1:^1:0:^(1):\\\\2:\n", hdr);
	expect_import_error(t, 1, "2: rule 1 (priority 2147483649): replacement \"\\2\" uses \\2");
	expect_import_error("id,dpid,pr,match_op,match_exp,subst_exp,repl_exp,attrs\n", 1,
			"1: no match_len column in the header");
	/* A quoted CSV value may span lines; a control character is refused. */
	expect_import_error("id,dpid,pr,match_op,match_exp,match_len,subst_exp,repl_exp,attrs\n"
			"1,1,1,0,5,0,,,\"two\nlines\"\n", 1,
			"2: attrs contains a control character");
	expect_import_error("id,dpid,pr,match_op,match_exp,match_len,subst_exp,repl_exp,attrs\n"
			"1,1,1,0,\"5,0,,,\n", 1, "2: unterminated quoted value");
	/* Without options: the table's only dpid; several are an error. */
	snprintf(t, sizeof(t), "%s1:7:1:0:5:0:::\n2:7:2:0:6:0:::\n", hdr);
	struct tp one = {rules_import_kamailio(write_tmp(t), NULL, NULL, NULL), NULL};
	assert_non_null(one.p);
	one.s = rules_scratch_create(one.p);
	assert_int_equal(rt_line(&one, "6"), 3);
	rt_free(&one);
	unlink(tmp_path);
	snprintf(t, sizeof(t), "%s1:7:1:0:5:0:::\n2:8:2:0:6:0:::\n", hdr);
	expect_import_error(t, -1, "3: rows of several dialplans (dpid 7 and 8): choose one");
	/* Rows of other dialplans are not even checked beyond their dpid. */
	snprintf(t, sizeof(t), "%s1:2:1:7:x:0:::\n1:1:1:0:5:0:::\n", hdr);
	struct tp ok = import(write_tmp(t), 1, NULL, NULL);
	assert_int_equal(rt_line(&ok, "5"), 3);
	rt_free(&ok);
	unlink(tmp_path);
	struct rules_kamailio_opts ko = {1, NULL, NULL};
	struct rules_errors e = {0};
	assert_null(rules_import_kamailio("/nonexistent/dialplan", &ko, NULL, &e));
	assert_true(e.n >= 1);
	rules_errors_clear(&e);
	FILE *devnull = fopen("/dev/null", "w");
	assert_int_equal(rules_kamailio_convert("/nonexistent/dialplan", &ko, devnull, &e),
			-ENOENT);
	fclose(devnull);
	rules_errors_clear(&e);
}

int
test_group_kamailio(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_dbtext),
		cmocka_unit_test(test_csv_and_action),
		cmocka_unit_test(test_convert),
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests_name("kamailio", t, NULL, NULL);
}
