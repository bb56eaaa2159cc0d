/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * librules unit tests. `test_rules` runs every group; `test_rules NAME
 * [EXAMPLES_DIR]` runs one (meson registers one test per group so they
 * run in parallel and report separately).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_test.h"

const char *rt_examples = "examples/dialplans";

static const struct {
	const char *name;
	int (*run)(void);
} groups[] = {
	{"lang", test_group_lang},
	{"prio", test_group_prio},
	{"prefix", test_group_prefix},
	{"regex", test_group_regex},
	{"subst", test_group_subst},
	{"actions", test_group_actions},
	{"errors", test_group_errors},
	{"blob", test_group_blob},
	{"kamailio", test_group_kamailio},
	{"explain", test_group_explain},
	{"swap", test_group_swap},
	{"examples", test_group_examples},
	{"files", test_group_files},
	{"digits", test_group_digits},
};
#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

int
main(int argc, char **argv)
{
	int failed = 0;

	if (argc == 3 && strcmp(argv[1], "--load-blob") == 0)
		return rt_blob_child(argv[2]);
	if (argc >= 3)
		rt_examples = argv[2];
	if (argc < 2) {
		for (size_t i = 0; i < N_GROUPS; i++)
			failed += groups[i].run();
		return failed != 0;
	}
	for (size_t i = 0; i < N_GROUPS; i++)
		if (strcmp(argv[1], groups[i].name) == 0)
			return groups[i].run() != 0;
	fprintf(stderr, "unknown group %s; groups:", argv[1]);
	for (size_t i = 0; i < N_GROUPS; i++)
		fprintf(stderr, " %s", groups[i].name);
	fprintf(stderr, "\n");
	return 2;
}
