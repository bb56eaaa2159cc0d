/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a dialplan path may name: regular files only, for every reader
 * (native compile, Kamailio import and conversion). A FIFO without a
 * writer would block the open forever (a SIGHUP reload that never ends):
 * each case runs under alarm(), so a blocking reader fails the test
 * instead of hanging it. A device or a directory is refused the same
 * way; a symbolic link to a regular file is fine.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules_test.h"

enum kind {
	K_REGULAR_LINK,  /* a symbolic link to a regular file: loads */
	K_FIFO,
	K_FIFO_LINK,     /* a symbolic link to a FIFO */
	K_DEVICE,        /* /dev/null */
	K_DIRECTORY,
};

enum reader {
	R_NATIVE,        /* rules_compile_file() */
	R_KAMAILIO,      /* rules_import_kamailio() */
	R_CONVERT,       /* rules_kamailio_convert() */
};

struct file_case {
	const char *name;
	enum kind kind;
	enum reader reader;
	const char *msg; /* NULL: loads */
};

static const struct file_case cases[] = {
	{"native: symlink to a regular file", K_REGULAR_LINK, R_NATIVE, NULL},
	{"native: FIFO", K_FIFO, R_NATIVE, "is a FIFO, not a regular file"},
	{"native: symlink to a FIFO", K_FIFO_LINK, R_NATIVE, "is a FIFO, not a regular file"},
	{"native: /dev/null", K_DEVICE, R_NATIVE, "is a character device, not a regular file"},
	{"native: directory", K_DIRECTORY, R_NATIVE, "is a directory, not a regular file"},
	{"kamailio: symlink to a regular file", K_REGULAR_LINK, R_KAMAILIO, NULL},
	{"kamailio: FIFO", K_FIFO, R_KAMAILIO, "is a FIFO, not a regular file"},
	{"kamailio: /dev/null", K_DEVICE, R_KAMAILIO, "is a character device, not a regular file"},
	{"kamailio: directory", K_DIRECTORY, R_KAMAILIO, "is a directory, not a regular file"},
	{"convert: FIFO", K_FIFO, R_CONVERT, "is a FIFO, not a regular file"},
	{"convert: /dev/null", K_DEVICE, R_CONVERT, "is a character device, not a regular file"},
};

static const char native_text[] = "10 exact 5 pass\n";
static const char kamailio_text[] =
	"dpid,pr,match_op,match_exp,match_len,subst_exp,repl_exp,attrs\n"
	"1,1,0,123,0,,,\n";

static void
run_case(void **state)
{
	const struct file_case *c = *state;
	char dir[] = "/tmp/rules_files_XXXXXX", path[64], target[64];
	struct rules_errors e = {0};
	int rc;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/plan", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	switch (c->kind) {
	case K_REGULAR_LINK: {
		FILE *f = fopen(target, "w");
		assert_non_null(f);
		fputs(c->reader == R_NATIVE ? native_text : kamailio_text, f);
		fclose(f);
		assert_int_equal(symlink(target, path), 0);
		break;
	}
	case K_FIFO:
		assert_int_equal(mkfifo(path, 0600), 0);
		break;
	case K_FIFO_LINK:
		assert_int_equal(mkfifo(target, 0600), 0);
		assert_int_equal(symlink(target, path), 0);
		break;
	case K_DEVICE:
		snprintf(path, sizeof(path), "/dev/null");
		break;
	case K_DIRECTORY:
		assert_int_equal(mkdir(path, 0700), 0);
		break;
	}

	/* A reader that blocks on the FIFO is killed here: the test fails, never hangs. */
	alarm(10);
	if (c->reader == R_CONVERT) {
		FILE *out = fopen("/dev/null", "w");
		assert_non_null(out);
		rc = rules_kamailio_convert(path, NULL, out, &e);
		fclose(out);
	} else {
		struct rules_plan *p = c->reader == R_NATIVE ? rules_compile_file(path, NULL, &e) :
			rules_import_kamailio(path, NULL, NULL, &e);
		rc = p != NULL ? 0 : -1;
		rules_plan_free(p);
	}
	alarm(0);

	if (c->msg == NULL) {
		if (rc != 0)
			fail_msg("%s: refused: %s", c->name, e.n ? e.msg[0] : "?");
	} else {
		assert_int_not_equal(rc, 0);
		assert_true(e.n >= 1);
		/* "PATH: is a FIFO, not a regular file": the file and its type. */
		if (strstr(e.msg[0], path) == NULL || strstr(e.msg[0], c->msg) == NULL)
			fail_msg("%s: message '%s', expected the path and '%s'", c->name, e.msg[0],
					c->msg);
	}
	rules_errors_clear(&e);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
test_group_files(void)
{
	struct CMUnitTest t[sizeof(cases) / sizeof(cases[0])];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		t[i] = (struct CMUnitTest){.name = cases[i].name, .test_func = run_case,
			.initial_state = (void *)(uintptr_t)&cases[i]};
	return _cmocka_run_group_tests("files", t, sizeof(t) / sizeof(t[0]), NULL, NULL);
}
