/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libsip unit tests. `test_sip` runs every group; `test_sip NAME...` runs
 * the named ones (meson registers one test per group so they run in
 * parallel and report separately).
 */
#include <stdio.h>
#include <string.h>

#include "sip_test.h"

static const struct {
	const char *name;
	int (*run)(void);
} groups[] = {
	{"corpus", test_group_corpus},
	{"captures", test_group_captures},
	{"scan", test_group_scan},
	{"parse_ref", test_group_parse_ref},
	{"parse", test_group_parse},
	{"span", test_group_span},
	{"uri", test_group_uri},
	{"via", test_group_via},
	{"naddr", test_group_naddr},
	{"scalar", test_group_scalar},
	{"addr", test_group_addr},
	{"build", test_group_build},
	{"validate", test_group_validate},
	{"sign", test_group_sign},
	{"hash", test_group_hash},
};
#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

const struct sip_scanner *test_startup_scanner;

int
main(int argc, char **argv)
{
	int failed = 0;

	test_startup_scanner = sip_scanner_active();
	if (argc < 2) {
		for (size_t i = 0; i < N_GROUPS; i++)
			failed += groups[i].run();
		return failed != 0;
	}
	for (int a = 1; a < argc; a++) {
		size_t i;
		for (i = 0; i < N_GROUPS; i++)
			if (strcmp(argv[a], groups[i].name) == 0)
				break;
		if (i == N_GROUPS) {
			fprintf(stderr, "unknown group %s; groups:", argv[a]);
			for (i = 0; i < N_GROUPS; i++)
				fprintf(stderr, " %s", groups[i].name);
			fprintf(stderr, "\n");
			return 2;
		}
		failed += groups[i].run();
	}
	return failed != 0;
}
