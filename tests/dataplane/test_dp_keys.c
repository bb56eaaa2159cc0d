/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signing-key files (dataplane/core/dp_keys.c): what is accepted, what is
 * refused and why (mode, type, owner, content with file:line), and how a
 * reload turns into a rotation with the previous key still accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium/core.h>

#include "dp_keys.h"

#define KEY_A "3f8a91c2d4e5b60718293a4b5c6d7e8f"
#define KEY_B "0123456789abcdef0123456789abcdef"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/dp_keys.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_true(sodium_init() >= 0);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* dir/name with text and mode; returns the path (static). */
static const char *
put(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

struct file_case {
	const char *name;
	const char *text;
	mode_t mode;
	int rc;
	bool has_prev;
	const char *msg;   /* substring of the error */
};

static const struct file_case file_cases[] = {
	{"one key", KEY_A "\n", 0600, 0, false, NULL},
	{"comments, blank lines, CRLF", "# key\r\n\r\n  " KEY_A "  # current\r\n", 0400, 0, false,
		NULL},
	{"current and previous", KEY_A "\n" KEY_B "\n", 0600, 0, true, NULL},
	{"the same key twice: no previous", KEY_A "\n" KEY_A "\n", 0600, 0, false, NULL},
	{"group may read", KEY_A "\n", 0640, -1, false, "mode 0640"},
	{"others may read", KEY_A "\n", 0604, -1, false, "mode 0604"},
	{"empty", "# nothing\n", 0600, -1, false, "no key"},
	{"a 64-bit key", "0123456789abcdef\n", 0600, -1, false, ":1: a key is 32 hex digits"},
	{"weak key on line 3", "# k\n\n00000000000000000000000000000000\n", 0600, -1, false,
		":3: weak key"},
	{"three keys", KEY_A "\n" KEY_B "\n" KEY_A "\n", 0600, -1, false, ":3: expected at most"},
	{"two keys on a line", KEY_A " " KEY_B "\n", 0600, -1, false, ":1: expected at most"},
};

static void
test_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
		const struct file_case *c = &file_cases[i];
		struct dp_key_file kf;
		char err[256] = "";
		const char *p = put("key", c->text, c->mode);
		int rc = dp_key_file_read(p, &kf, err, sizeof(err));
		if (rc != c->rc || (rc == 0 && kf.has_prev != c->has_prev) ||
				(c->msg != NULL && strstr(err, c->msg) == NULL))
			fail_msg("%s: rc %d, has_prev %d, '%s'", c->name, rc, kf.has_prev, err);
		if (rc != 0 && strstr(err, p) == NULL)
			fail_msg("%s: the message does not name the file: '%s'", c->name, err);
	}
}

/* A FIFO, a device or a directory is refused at once (never waits for a writer). */
static void
test_not_regular(void **state)
{
	struct dp_key_file kf;
	char err[256], path[128];
	(void)state;

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	time_t t0 = time(NULL);
	assert_int_equal(dp_key_file_read(path, &kf, err, sizeof(err)), -1);
	assert_true(time(NULL) - t0 < 2);
	assert_non_null(strstr(err, "a FIFO"));
	assert_int_equal(dp_key_file_read("/dev/zero", &kf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "character device"));
	assert_int_equal(dp_key_file_read(dir, &kf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "directory"));
	assert_int_equal(dp_key_file_read("/nonexistent/key", &kf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

/* Owned by another user (not root, not us): refused. */
static void
test_owner(void **state)
{
	struct dp_key_file kf;
	char err[256];
	(void)state;

	const char *p = put("key", KEY_A "\n", 0600);
	if (geteuid() != 0) {
		/* Only root can give a file away; as another user, ours is accepted. */
		assert_int_equal(dp_key_file_read(p, &kf, err, sizeof(err)), 0);
		return;
	}
	assert_int_equal(chown(p, 65534, 65534), 0);
	assert_int_equal(dp_key_file_read(p, &kf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "owned by uid 65534"));
}

static void
load(const char *text, struct dp_key_file *kf)
{
	char err[256];
	if (dp_key_file_read(put("key", text, 0600), kf, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* Reloads: a new key rotates (the old one stays accepted), the same key changes nothing. */
static void
test_rotation(void **state)
{
	struct dp_key_file kf;
	struct sip_keyring r1, r2, r3, r4;
	(void)state;

	load(KEY_A "\n", &kf);
	assert_true(dp_keyring_next(NULL, &kf, &r1));
	assert_false(r1.has_prev);
	/* The same file again: nothing changes. */
	assert_false(dp_keyring_next(&r1, &kf, &r2));
	/* A new key: it signs, the old one is still accepted. */
	load(KEY_B "\n", &kf);
	assert_true(dp_keyring_next(&r1, &kf, &r2));
	assert_true(r2.has_prev);
	assert_memory_equal(r2.prev.k, r1.cur.k, SIP_KEY_LEN);
	assert_memory_not_equal(r2.cur.k, r1.cur.k, SIP_KEY_LEN);
	/* Re-reading the new key keeps the grace period's previous key. */
	assert_false(dp_keyring_next(&r2, &kf, &r3));
	assert_true(r3.has_prev);
	/* A file naming the previous key explicitly (restart after a rotation). */
	load(KEY_B "\n" KEY_A "\n", &kf);
	assert_true(dp_keyring_next(NULL, &kf, &r4));
	assert_true(r4.has_prev);
	assert_memory_equal(r4.prev.k, r1.cur.k, SIP_KEY_LEN);
	assert_memory_equal(r4.cur.k, r2.cur.k, SIP_KEY_LEN);
}

static void
test_random(void **state)
{
	uint8_t a[SIP_KEY_LEN], b[SIP_KEY_LEN];
	(void)state;

	dp_key_random(a);
	dp_key_random(b);
	assert_memory_not_equal(a, b, SIP_KEY_LEN);
	assert_false(sip_key_is_weak(a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests_name("dp_keys", tests, setup, teardown);
}
