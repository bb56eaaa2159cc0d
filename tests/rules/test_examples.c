/* SPDX-License-Identifier: BSD-3-Clause */
/* The shipped examples compile and do what their comments and docs/dialplan.md say. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "rules_test.h"

static void
test_all_compile(void **state)
{
	const char *dirs[] = {"", "/kamailio"};
	unsigned n = 0;

	(void)state;
	for (size_t d = 0; d < 2; d++) {
		char dir[512];
		snprintf(dir, sizeof(dir), "%s%s", rt_examples, dirs[d]);
		DIR *dp = opendir(dir);
		assert_non_null(dp);
		struct dirent *de;
		while ((de = readdir(dp)) != NULL) {
			size_t l = strlen(de->d_name);
			if (l < 9 || strcmp(de->d_name + l - 9, ".dialplan") != 0)
				continue;
			char path[1024];
			struct rules_errors e = {0};
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			struct rules_plan *p = rules_compile_file(path, NULL, &e);
			if (p == NULL) {
				rules_errors_print(&e, stderr);
				fail_msg("%s does not compile", path);
			}
			rules_errors_clear(&e);
			rules_plan_free(p);
			n++;
		}
		closedir(dp);
	}
	assert_true(n >= 2);
}

struct demo_case {
	struct tq q;
	enum rules_action action;
	unsigned line;
	const char *user;
	const char *contact0;
};

static const struct demo_case demo[] = {
	{{.user = "112"}, RULES_ACT_FORWARD, 14, "112", NULL},
	{{.user = "+4915112345678"}, RULES_ACT_REDIRECT, 19, "015112345678",
		"<sip:015112345678@mobile.example.net>;q=0.9;expires=60"},
	{{.user = "+493012345"}, RULES_ACT_REDIRECT, 24, "03012345",
		"<sip:03012345@berlin.example.net>"},
	{{.user = "+49891234"}, RULES_ACT_FORWARD, 27, "+49891234", NULL},
	{{.user = "+33123456"}, RULES_ACT_FORWARD, 30, "+33123456", NULL},
	{{.user = "+499001234"}, RULES_ACT_REJECT, 33, "+499001234", NULL},
	{{.user = "+4989", .from = "anonymous"}, RULES_ACT_REJECT, 36, "+4989", NULL},
	{{.user = "+4989", .from = "anonymous", .method = "MESSAGE"}, RULES_ACT_FORWARD, 27,
		"+4989", NULL},
	{{.user = "112", .src = "198.51.100.20"}, RULES_ACT_DROP, 39, "112", NULL},
	{{.user = "alice"}, RULES_ACT_NONE, 0, NULL, NULL},
};

static void
test_demo(void **state)
{
	char path[512];
	struct rules_errors e = {0};

	(void)state;
	snprintf(path, sizeof(path), "%s/demo.dialplan", rt_examples);
	struct tp t = {rules_compile_file(path, NULL, &e), NULL};
	assert_non_null(t.p);
	t.s = rules_scratch_create(t.p);
	for (size_t i = 0; i < sizeof(demo) / sizeof(demo[0]); i++) {
		struct rules_result r;
		char buf[512];
		assert_int_equal(rt_match(&t, &demo[i].q, &r, buf, sizeof(buf)), 0);
		if (r.action != demo[i].action || r.line != demo[i].line)
			fail_msg("case %zu (%s): %s at line %u, want %s at line %u", i,
					demo[i].q.user, rules_action_name(r.action), r.line,
					rules_action_name(demo[i].action), demo[i].line);
		if (demo[i].user != NULL)
			assert_view(r.user, demo[i].user);
		if (demo[i].contact0 != NULL)
			assert_view(r.contact[0], demo[i].contact0);
	}
	rt_free(&t);
}

int
test_group_examples(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_all_compile),
		cmocka_unit_test(test_demo),
	};
	return cmocka_run_group_tests_name("examples", t, NULL, NULL);
}
