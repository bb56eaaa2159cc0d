/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The embedded store (control/cp_store.c): dialplan history kept to the
 * last N, versions that only grow even when old ones are pruned,
 * persistence across a reopen, gateway admin states, schema versions.
 */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cp_store.h"

static int
add(struct cp_store *st, uint64_t v, const char *text, unsigned keep)
{
	struct cp_plan_rec r = {.version = v, .created = 1000 + (int64_t)v,
		.caller = (char *)"uid 0 pid 1", .source = (char *)"t.dialplan",
		.text = (char *)text, .text_len = strlen(text), .rules = (uint32_t)v};
	snprintf(r.sha256, sizeof(r.sha256), "%064llx", (unsigned long long)v);
	return cp_store_plan_add(st, &r, keep);
}

static void
count_cb(const struct cp_plan_rec *r, void *ctx)
{
	uint64_t *last = ctx;
	/* Newest first. */
	assert_true(*last == 0 || r->version < *last);
	assert_null(r->text);
	*last = r->version;
}

static void
test_history_keep_last_n(void **state)
{
	char err[256];
	(void)state;
	struct cp_store *st = cp_store_open(":memory:", err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(cp_store_schema(st), CP_STORE_SCHEMA);
	assert_int_equal(cp_store_plan_get(st, 0, &(struct cp_plan_rec){0}), -ENOENT);
	for (uint64_t v = 1; v <= 5; v++)
		assert_int_equal(add(st, v, "plan x\n", 3), 0);
	assert_int_equal(cp_store_plan_count(st), 3);
	struct cp_plan_rec r;
	assert_int_equal(cp_store_plan_get(st, 0, &r), 0);
	assert_int_equal(r.version, 5);
	assert_string_equal(r.text, "plan x\n");
	assert_string_equal(r.caller, "uid 0 pid 1");
	cp_store_plan_clear(&r);
	assert_int_equal(cp_store_plan_get(st, 2, &r), -ENOENT);
	assert_int_equal(cp_store_plan_get(st, 3, &r), 0);
	cp_store_plan_clear(&r);
	/* Versions only grow, even past pruned ones. */
	assert_int_equal(cp_store_version_max(st), 5);
	assert_int_equal(add(st, 5, "again", 3), -EEXIST);
	assert_int_equal(add(st, 2, "older", 3), -EEXIST);
	/* Listing: newest first, below a cursor. */
	uint64_t last = 0;
	assert_int_equal(cp_store_plan_list(st, 0, 10, count_cb, &last), 3);
	assert_int_equal(last, 3);
	last = 0;
	assert_int_equal(cp_store_plan_list(st, 5, 1, count_cb, &last), 1);
	assert_int_equal(last, 4);
	/* A bump from a dataplane's newer version survives without a history row. */
	assert_int_equal(cp_store_version_bump(st, 9), 0);
	assert_int_equal(cp_store_version_max(st), 9);
	assert_int_equal(add(st, 9, "x", 3), -EEXIST);
	assert_int_equal(add(st, 10, "x", 3), 0);
	cp_store_close(st);
}

static void
gw_cb(const char *host, uint16_t port, uint8_t transport, enum cp_admin admin, int64_t changed,
		const char *caller, void *ctx)
{
	char *out = ctx;
	(void)changed;
	(void)caller;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "%s:%u/%u=%s;", host, port, transport, cp_admin_name(admin));
}

static void
test_persistence_and_gateways(void **state)
{
	char path[] = "/tmp/test_cp_store.XXXXXX", err[256], list[256] = "";
	(void)state;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);

	struct cp_store *st = cp_store_open(path, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(add(st, 1, "one", 10), 0);
	assert_int_equal(add(st, 2, "two", 10), 0);
	assert_int_equal(cp_store_gw_set(st, "192.0.2.1", 5060, 0, CP_ADMIN_DOWN, "uid 0"), 0);
	assert_int_equal(cp_store_gw_set(st, "192.0.2.2", 5070, 1, CP_ADMIN_UP, "uid 0"), 0);
	assert_int_equal(cp_store_gw_set(st, "192.0.2.3", 5060, 0, CP_ADMIN_DOWN, "uid 0"), 0);
	/* auto removes the row: probes decide again. */
	assert_int_equal(cp_store_gw_set(st, "192.0.2.3", 5060, 0, CP_ADMIN_AUTO, "uid 0"), 0);
	cp_store_close(st);

	/* Reopened (a restart): everything is there. */
	st = cp_store_open(path, err, sizeof(err));
	assert_non_null(st);
	struct cp_plan_rec r;
	assert_int_equal(cp_store_plan_get(st, 0, &r), 0);
	assert_int_equal(r.version, 2);
	assert_string_equal(r.text, "two");
	cp_store_plan_clear(&r);
	assert_int_equal(cp_store_gw_list(st, gw_cb, list), 2);
	assert_string_equal(list, "192.0.2.1:5060/0=down;192.0.2.2:5070/1=up;");
	cp_store_close(st);

	/* A database from a newer release is left alone. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = cp_store_open(path, err, sizeof(err));
	assert_null(st);
	assert_non_null(strstr(err, "newer"));
	unlink(path);
	char wal[64];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
}

static void
test_admin_names(void **state)
{
	enum cp_admin a;
	(void)state;
	assert_int_equal(cp_admin_parse("up", &a), 0);
	assert_int_equal(a, CP_ADMIN_UP);
	assert_int_equal(cp_admin_parse("down", &a), 0);
	assert_int_equal(a, CP_ADMIN_DOWN);
	assert_int_equal(cp_admin_parse("auto", &a), 0);
	assert_int_equal(a, CP_ADMIN_AUTO);
	assert_int_equal(cp_admin_parse("Up", &a), -EINVAL);
	assert_string_equal(cp_admin_name(CP_ADMIN_DOWN), "down");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history_keep_last_n),
		cmocka_unit_test(test_persistence_and_gateways),
		cmocka_unit_test(test_admin_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
