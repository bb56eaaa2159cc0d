/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control link's listener (link/sl_link_io.c): what may be at the
 * --link path. Only a stale socket is replaced; a regular file, a symbolic
 * link, a directory or a FIFO is refused with a message naming it and left
 * untouched; a live socket is refused; at shutdown only the socket file we
 * created is removed. One named row per case, each in its own temporary
 * directory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "sl_link_io.h"

#define CONTENT "precious data\n"

enum what_there {
	NOTHING = 0,
	REGULAR,         /* a regular file holding CONTENT */
	SYMLINK_FILE,    /* a symbolic link to a regular file */
	SYMLINK_SOCKET,  /* a symbolic link to a stale socket */
	DIRECTORY,
	FIFO,
	STALE_SOCKET,    /* bound, then closed: nobody listens */
	LIVE_SOCKET,     /* somebody listens */
};

struct listen_case {
	const char *name;
	enum what_there there;
	int want;            /* 0: listening; else the -errno */
	const char *msg;     /* in the error message */
};

static const struct listen_case cases[] = {
	{"nothing there", NOTHING, 0, NULL},
	{"a stale socket is replaced", STALE_SOCKET, 0, NULL},
	{"a regular file is refused and kept", REGULAR, -EEXIST, "is a regular file, not a socket"},
	{"a symlink to a file is refused, both kept", SYMLINK_FILE, -EEXIST,
		"is a symbolic link, not a socket"},
	{"a symlink to a stale socket is refused", SYMLINK_SOCKET, -EEXIST,
		"is a symbolic link, not a socket"},
	{"a directory is refused", DIRECTORY, -EEXIST, "is a directory, not a socket"},
	{"a FIFO is refused", FIFO, -EEXIST, "is a FIFO, not a socket"},
	{"a live socket is refused", LIVE_SOCKET, -EADDRINUSE, "another process is listening"},
};

struct tmp {
	char dir[64];
	char path[128];    /* the --link path */
	char target[128];  /* what a symbolic link points to */
	int live;          /* LIVE_SOCKET: its listener */
};

static int
bind_at(const char *path, bool keep_listening)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(s >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (keep_listening) {
		assert_int_equal(listen(s, 1), 0);
		return s;
	}
	close(s); /* the file stays: a stale socket */
	return -1;
}

static void
write_file(const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(CONTENT, f);
	fclose(f);
}

static void
file_is_intact(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, CONTENT);
}

static void
setup_tmp(struct tmp *t, enum what_there there)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/sl_link_test.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/dataplane.sock", t->dir);
	snprintf(t->target, sizeof(t->target), "%s/target", t->dir);
	t->live = -1;
	switch (there) {
	case NOTHING:
		break;
	case REGULAR:
		write_file(t->path);
		break;
	case SYMLINK_FILE:
		write_file(t->target);
		assert_int_equal(symlink(t->target, t->path), 0);
		break;
	case SYMLINK_SOCKET:
		bind_at(t->target, false);
		assert_int_equal(symlink(t->target, t->path), 0);
		break;
	case DIRECTORY:
		assert_int_equal(mkdir(t->path, 0700), 0);
		break;
	case FIFO:
		assert_int_equal(mkfifo(t->path, 0600), 0);
		break;
	case STALE_SOCKET:
		bind_at(t->path, false);
		break;
	case LIVE_SOCKET:
		t->live = bind_at(t->path, true);
		break;
	}
}

static void
cleanup_tmp(struct tmp *t)
{
	char cmd[128];
	if (t->live >= 0)
		close(t->live);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static void
run_case(void **state)
{
	const struct listen_case *c = *state;
	struct sl_link_file file;
	struct tmp t;
	struct stat st;
	char err[256] = "";

	setup_tmp(&t, c->there);
	int fd = sl_link_listen(t.path, &file, err, sizeof(err));
	if (c->want == 0) {
		if (fd < 0)
			fail_msg("%s: refused (%d): %s", c->name, fd, err);
		assert_int_equal(lstat(t.path, &st), 0);
		assert_true(S_ISSOCK(st.st_mode));
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_true(file.valid);
		sl_link_unlisten(fd, t.path, &file);
		assert_int_equal(lstat(t.path, &st), -1);
		assert_int_equal(errno, ENOENT);
	} else {
		if (fd >= 0)
			fail_msg("%s: listening where it must refuse", c->name);
		assert_int_equal(fd, c->want);
		if (strstr(err, c->msg) == NULL || strstr(err, t.path) == NULL)
			fail_msg("%s: message '%s' lacks the path or '%s'", c->name, err, c->msg);
		/* Whatever was there is still there. */
		assert_int_equal(lstat(t.path, &st), 0);
		switch (c->there) {
		case REGULAR:
			file_is_intact(t.path);
			break;
		case SYMLINK_FILE:
			assert_true(S_ISLNK(st.st_mode));
			file_is_intact(t.target);
			break;
		case SYMLINK_SOCKET:
			assert_true(S_ISLNK(st.st_mode));
			assert_int_equal(lstat(t.target, &st), 0);
			assert_true(S_ISSOCK(st.st_mode));
			break;
		case DIRECTORY:
			assert_true(S_ISDIR(st.st_mode));
			break;
		case FIFO:
			assert_true(S_ISFIFO(st.st_mode));
			break;
		case LIVE_SOCKET:
			assert_true(S_ISSOCK(st.st_mode));
			break;
		default:
			break;
		}
	}
	cleanup_tmp(&t);
}

/* At shutdown, a file put in place of our socket meanwhile is not ours to delete. */
static void
unlisten_spares_a_replacement(void **state)
{
	struct sl_link_file file;
	struct tmp t;
	char err[256];
	(void)state;

	setup_tmp(&t, NOTHING);
	int fd = sl_link_listen(t.path, &file, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(unlink(t.path), 0);
	write_file(t.path);
	sl_link_unlisten(fd, t.path, &file);
	file_is_intact(t.path);

	/* Another socket file (another inode) at the path: also left alone. */
	fd = sl_link_listen(t.target, &file, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(unlink(t.path), 0);
	bind_at(t.path, false);
	assert_int_equal(rename(t.path, t.target), 0);
	sl_link_unlisten(fd, t.target, &file);
	struct stat st;
	assert_int_equal(lstat(t.target, &st), 0);
	cleanup_tmp(&t);
}

int
main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	struct CMUnitTest *t = calloc(n, sizeof(*t));
	const struct CMUnitTest misc[] = {
		cmocka_unit_test(unlisten_spares_a_replacement),
	};

	if (t == NULL)
		return 1;
	for (size_t i = 0; i < n; i++) {
		t[i].name = cases[i].name;
		t[i].test_func = run_case;
		t[i].initial_state = (void *)(uintptr_t)&cases[i];
	}
	int failed = _cmocka_run_group_tests("sl_link_listen", t, n, NULL, NULL);
	free(t);
	return failed + cmocka_run_group_tests_name("sl_link_unlisten", misc, NULL, NULL);
}
