/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dialplan lifecycle through the real methods (control/cp_plan.c,
 * cp_methods.c) on a real event loop, without dataplanes: versions,
 * no-op pushes, compile errors with file:line, base_version conflicts,
 * two pushes serialized, busy, dry runs, history paging, rollback, and a
 * restart that serves the last accepted plan from the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cp_app.h"
#include "cp_loop.h"
#include "cp_rpc.h"
#include "cp_store.h"
#include "cp_test.h"

static const char *PLAN_A = "plan a\ngroup g 127.0.0.1:5999\n10 prefix 1 forward g\n";
static const char *PLAN_B = "plan b\n10 prefix 2 reject 403 \"no\"\n";
static const char *PLAN_C = "plan c\n10 prefix 3 reject 404 \"no\"\n";
static const char *PLAN_BAD = "plan bad\n10 prefix 1 forward nosuchgroup\n20 bogus\n";

static struct cp_app *
app_new(const char *store, unsigned history, unsigned queue)
{
	char err[256];
	struct cp_app *app = cp_test_app_new(store);
	app->cfg.history = history;
	app->cfg.push_queue = queue;
	snprintf(app->cfg.dialplan_dir, sizeof(app->cfg.dialplan_dir), "/nonexistent");
	app->started = cp_wall_s();
	app->started_ms = cp_now_ms();
	assert_int_equal(cp_methods_register(app), 0);
	struct cp_probe_conf pc = {.enabled = false, .interval_ms = 1000, .timeout_ms = 100,
		.down_after = 1, .up_after = 1};
	struct cp_probe_sockets ps = {"127.0.0.1", "off", 0};
	app->probe = cp_probe_create(app->loop, &pc, &ps, NULL, NULL, err, sizeof(err));
	assert_non_null(app->probe);
	struct cp_dp_conf dc = {.reconnect_min_ms = 100, .reconnect_max_ms = 1000,
		.stats_poll_ms = 1000};
	struct cp_dp_ops ops = {0};
	app->dps = cp_dps_create(app->loop, &dc, &ops);
	assert_int_equal(cp_plan_init(app, err, sizeof(err)), 0);
	/* The start-up compile (if any) finishes before the test goes on. */
	while (cp_plan_busy(app))
		cp_loop_once(app->loop, 10);
	return app;
}

static void
app_free(struct cp_app *app)
{
	cp_dps_free(app->dps);
	cp_plan_fini(app);
	cp_probe_free(app->probe);
	cp_test_app_free(app);
}

/* Call method and wait for its answer (cp_test_call()). */
static json_t *
call(struct cp_app *app, const char *method, json_t *params)
{
	return cp_test_call(app, method, params, 3000);
}

static json_t *
push(struct cp_app *app, const char *text, json_t *extra)
{
	json_t *p = extra ? extra : json_object();
	json_object_set_new(p, "text", json_string(text));
	json_object_set_new(p, "source", json_string("t.dialplan"));
	return call(app, "dialplan.push", p);
}

static json_int_t
result_int(json_t *a, const char *key)
{
	json_t *r = json_object_get(a, "result");
	if (r == NULL)
		fail_msg("expected a result, got %s", json_dumps(a, JSON_COMPACT));
	return json_integer_value(json_object_get(r, key));
}

static int
error_code(json_t *a)
{
	return (int)json_integer_value(json_object_get(json_object_get(a, "error"), "code"));
}

static void
test_push_versions_and_conflicts(void **state)
{
	(void)state;
	struct cp_app *app = app_new(":memory:", 50, 8);
	json_t *a;

	a = push(app, PLAN_A, NULL);
	assert_int_equal(result_int(a, "version"), 1);
	assert_true(json_is_true(json_object_get(json_object_get(a, "result"), "changed")));
	json_decref(a);

	/* The same text again: a no-op, no new version. */
	a = push(app, PLAN_A, NULL);
	assert_int_equal(result_int(a, "version"), 1);
	assert_true(json_is_false(json_object_get(json_object_get(a, "result"), "changed")));
	json_decref(a);

	/* Errors: every one with file:line, and the plan stays. */
	a = push(app, PLAN_BAD, NULL);
	assert_int_equal(error_code(a), CP_RPC_COMPILE_ERROR);
	json_t *errs = json_object_get(json_object_get(json_object_get(a, "error"), "data"),
			"errors");
	assert_true(json_array_size(errs) >= 2);
	assert_non_null(strstr(json_string_value(json_array_get(errs, 0)), "t.dialplan:2:"));
	assert_non_null(strstr(json_string_value(json_array_get(errs, 1)), "t.dialplan:3:"));
	json_decref(a);
	a = call(app, "dialplan.status", NULL);
	assert_int_equal(result_int(a, "version"), 1);
	json_decref(a);

	/* base_version: compare-and-swap. */
	a = push(app, PLAN_B, json_pack("{s:i}", "base_version", 1));
	assert_int_equal(result_int(a, "version"), 2);
	json_decref(a);
	a = push(app, PLAN_C, json_pack("{s:i}", "base_version", 1));
	assert_int_equal(error_code(a), CP_RPC_VERSION_CONFLICT);
	json_t *data = json_object_get(json_object_get(a, "error"), "data");
	assert_int_equal(json_integer_value(json_object_get(data, "version")), 2);
	assert_int_equal(strlen(json_string_value(json_object_get(data, "sha256"))), 64);
	json_decref(a);

	/* Dry run: compiled and counted, nothing kept. */
	a = push(app, PLAN_C, json_pack("{s:b}", "dry_run", 1));
	assert_int_equal(result_int(a, "rules"), 1);
	json_decref(a);
	a = call(app, "dialplan.status", NULL);
	assert_int_equal(result_int(a, "version"), 2);
	json_decref(a);

	/* Validate: counts or errors, never a version. */
	a = call(app, "dialplan.validate", json_pack("{s:s}", "text", PLAN_A));
	assert_int_equal(result_int(a, "rules"), 1);
	json_decref(a);
	a = call(app, "dialplan.validate", json_pack("{s:s, s:s}", "text", PLAN_BAD, "source",
			"x.dp"));
	assert_int_equal(error_code(a), CP_RPC_COMPILE_ERROR);
	json_decref(a);
	/* text or path, not both, not none. */
	a = call(app, "dialplan.push", NULL);
	assert_int_equal(error_code(a), CP_RPC_INVALID_PARAMS);
	json_decref(a);
	/* A path outside dialplan_dir is refused (the daemon is root; the caller may not be). */
	a = call(app, "dialplan.push", json_pack("{s:s}", "path", "/etc/passwd"));
	assert_int_equal(error_code(a), CP_RPC_INVALID_PARAMS);
	json_decref(a);
	app_free(app);
}

struct pending {
	json_t *j;
};

static void
on_send_p(void *ctx, struct cp_rpc_batch *b, const char *text, size_t len)
{
	struct pending *p = ctx;
	(void)b;
	p->j = json_loadb(text, len, 0, NULL);
}

static void
send_only(struct cp_app *app, const char *text, int base, struct pending *p)
{
	json_t *params = json_pack("{s:s, s:s}", "text", text, "source", "c.dialplan");
	if (base >= 0)
		json_object_set_new(params, "base_version", json_integer(base));
	p->j = NULL;
	cp_test_send(app, "dialplan.push", params, 43, on_send_p, p);
}

static void
test_concurrent_pushes_serialized(void **state)
{
	(void)state;
	struct cp_app *app = app_new(":memory:", 50, 1);
	struct pending p1, p2, p3;
	json_decref(push(app, PLAN_A, NULL));

	/* Three pushes at once, two based on version 1, one queue slot. */
	send_only(app, PLAN_B, 1, &p1);
	send_only(app, PLAN_C, 1, &p2);
	send_only(app, PLAN_A, -1, &p3);
	/* The third found the queue full at once. */
	assert_non_null(p3.j);
	assert_int_equal(error_code(p3.j), CP_RPC_BUSY);
	for (int i = 0; (p1.j == NULL || p2.j == NULL) && i < 3000; i++)
		cp_loop_once(app->loop, 10);
	assert_int_equal(result_int(p1.j, "version"), 2);
	/* The second was checked after the first: its base is stale. */
	assert_int_equal(error_code(p2.j), CP_RPC_VERSION_CONFLICT);
	json_decref(p1.j);
	json_decref(p2.j);
	json_decref(p3.j);
	app_free(app);
}

static void
test_history_and_rollback(void **state)
{
	char path[] = "/tmp/test_cp_plan.XXXXXX";
	(void)state;
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	struct cp_app *app = app_new(path, 3, 8);
	json_t *a;

	json_decref(push(app, PLAN_A, NULL));   /* 1 */
	json_decref(push(app, PLAN_B, NULL));   /* 2 */
	json_decref(push(app, PLAN_C, NULL));   /* 3 */

	/* Paged history, newest first. */
	a = call(app, "dialplan.history", json_pack("{s:i}", "limit", 2));
	json_t *r = json_object_get(a, "result");
	assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r,
			"items"), 0), "version")), 3);
	assert_string_equal(json_string_value(json_object_get(r, "next_cursor")), "2");
	a = (json_decref(a), call(app, "dialplan.history", json_pack("{s:s, s:i}", "cursor", "2",
			"limit", 2)));
	r = json_object_get(a, "result");
	assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
	assert_true(json_is_null(json_object_get(r, "next_cursor")));
	json_decref(a);

	/* Rollback: version 1's text as a new version 4. */
	a = call(app, "dialplan.rollback", json_pack("{s:i}", "version", 1));
	assert_int_equal(result_int(a, "version"), 4);
	json_decref(a);
	a = call(app, "dialplan.show", NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "result"),
			"text")), PLAN_A);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "result"),
			"note")), "rollback to 1");
	json_decref(a);
	/* Kept: the last 3 (2, 3, 4); version 1 is gone from the history. */
	a = call(app, "dialplan.rollback", json_pack("{s:i}", "version", 1));
	assert_int_equal(error_code(a), CP_RPC_NOT_FOUND);
	json_decref(a);
	a = call(app, "dialplan.show", json_pack("{s:i}", "version", 2));
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "result"),
			"text")), PLAN_B);
	json_decref(a);
	/* Rolling back to the serving text is a no-op. */
	a = call(app, "dialplan.rollback", json_pack("{s:i}", "version", 4));
	assert_true(json_is_false(json_object_get(json_object_get(a, "result"), "changed")));
	json_decref(a);
	/* Explain runs on the serving plan. */
	a = call(app, "dialplan.explain", json_pack("{s:s}", "user", "1234"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "result"),
			"action")), "forward");
	json_decref(a);
	app_free(app);

	/* A restart: the last accepted plan is served, versions go on growing. */
	app = app_new(path, 3, 8);
	a = call(app, "dialplan.status", NULL);
	assert_int_equal(result_int(a, "version"), 4);
	assert_true(json_is_true(json_object_get(json_object_get(a, "result"), "compiled")));
	json_decref(a);
	a = push(app, PLAN_C, NULL);
	assert_int_equal(result_int(a, "version"), 5);
	json_decref(a);
	app_free(app);
	unlink(path);
	char side[64];
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/*
 * Results quote bytes that JSON did not bring: a dialplan file in Latin-1
 * (dialplan.push path=...), a source name cut to 255 bytes inside a
 * character. Each is valid UTF-8 in the answer, '?' for what was not,
 * and nothing is lost: the text, the name, the source, the history entry.
 */
static void
test_non_utf8_quoted(void **state)
{
	(void)state;
	struct cp_app *app = app_new(":memory:", 50, 8);
	char dir[] = "/tmp/cp_plan_utf8_XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(app->cfg.dialplan_dir, sizeof(app->cfg.dialplan_dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/latin1.dialplan", dir);
	static const char latin1[] = "plan caf\xe9\n# na\xefve\n10 prefix 2 reject 403 \"no\"\n";
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(latin1, 1, sizeof(latin1) - 1, f), sizeof(latin1) - 1);
	fclose(f);

	json_t *a = call(app, "dialplan.push", json_pack("{s:s}", "path", path));
	assert_int_equal(result_int(a, "version"), 1);
	json_decref(a);
	a = call(app, "dialplan.show", NULL);
	json_t *r = json_object_get(a, "result");
	assert_true(json_is_object(r));
	const char *text = json_string_value(json_object_get(r, "text"));
	assert_non_null(text);
	assert_int_equal(strlen(text), sizeof(latin1) - 1);
	assert_non_null(strstr(text, "plan caf?\n# na?ve\n"));
	assert_string_equal(json_string_value(json_object_get(r, "source")), path);
	json_decref(a);
	a = call(app, "dialplan.status", NULL);
	r = json_object_get(a, "result");
	assert_true(json_is_object(r));
	assert_string_equal(json_string_value(json_object_get(r, "name")), "caf?");
	json_decref(a);

	/* 128 two-byte characters: cut to 255 bytes, inside the last one. */
	char src[2 * 128 + 1];
	for (unsigned i = 0; i < 128; i++)
		memcpy(src + 2 * i, "\xc3\xa9", 2);
	src[sizeof(src) - 1] = '\0';
	a = call(app, "dialplan.push", json_pack("{s:s, s:s}", "text", PLAN_B, "source", src));
	assert_int_equal(result_int(a, "version"), 2);
	json_decref(a);
	a = call(app, "dialplan.status", NULL);
	r = json_object_get(a, "result");
	assert_true(json_is_object(r));
	assert_int_equal(json_integer_value(json_object_get(r, "version")), 2);
	const char *got = json_string_value(json_object_get(r, "source"));
	assert_non_null(got);
	assert_int_equal(strlen(got), 255);
	assert_memory_equal(got, src, 254);
	assert_int_equal(got[254], '?');
	json_decref(a);
	a = call(app, "dialplan.history", NULL);
	r = json_object_get(a, "result");
	assert_true(json_is_object(r));
	assert_int_equal(json_array_size(json_object_get(r, "items")), 2);
	json_decref(a);

	app_free(app);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_versions_and_conflicts),
		cmocka_unit_test(test_concurrent_pushes_serialized),
		cmocka_unit_test(test_history_and_rollback),
		cmocka_unit_test(test_non_utf8_quoted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
