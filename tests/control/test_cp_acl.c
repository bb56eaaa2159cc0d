/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's peer ACL (control/cp_acl.c): a broken text is
 * refused with every error and its line, the old ACL kept; a set ACL and a
 * clear survive a store reopen (and a schema-1 store is migrated); acl.test's
 * lookup (dp_acl_explain) agrees with the dataplane's reference lookup and
 * names the deciding line; sources parse as acl.test takes them.
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

#include "cp_acl.h"
#include "cp_store.h"

static const char ACL_A[] =
	"# peers\n"                              /* 1 */
	"default deny drop\n"                    /* 2 */
	"allow 192.0.2.0/24 register\n"          /* 3 */
	"deny 192.0.2.66 403\n"                  /* 4 */
	"allow 198.51.100.7 port 5099\n"         /* 5 */
	"deny 198.51.100.0/24 403\n"             /* 6 */
	"allow 2001:db8::/32\n";                 /* 7 */

static const char ACL_BAD[] =
	"allow 10.0.0.1/8\n"                     /* 1: host bits */
	"allow 10.1.0.0/16\n"                    /* 2: fine */
	"frobnicate 10.2.0.0/16\n"               /* 3: not a verb */
	"deny 10.3.0.0/16 maybe\n"               /* 4: bad option */
	"allow 10.1.0.0/16\n";                   /* 5: duplicate of 2 */

static char db_path[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(db_path, sizeof(db_path), "/tmp/test_cp_acl.%d.db", (int)getpid());
	unlink(db_path);
	return 0;
}

static int
teardown(void **state)
{
	char p[80];
	(void)state;
	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
	return 0;
}

static struct cp_store *
open_store(void)
{
	char err[256];
	struct cp_store *st = cp_store_open(db_path, err, sizeof(err));
	if (st == NULL)
		fail_msg("store: %s", err);
	return st;
}

/* The store and the ACL it holds, opened as at start-up. */
static struct cp_store *
open_acl(struct cp_acl *a)
{
	char err[256];
	struct cp_store *st = open_store();
	assert_int_equal(cp_acl_open(a, st, err, sizeof(err)), 0);
	return st;
}

static void
close_acl(struct cp_acl *a, struct cp_store *st)
{
	cp_acl_free(a);
	cp_store_close(st);
}

static void
test_bad_text_keeps_old(void **state)
{
	struct cp_acl a;
	struct cp_store *st = open_acl(&a);
	struct dp_acl_errors errs;
	char err[256];
	(void)state;

	assert_false(a.pushed);
	assert_int_equal(a.version, 0);
	assert_int_equal(cp_acl_set(&a, st, ACL_A, strlen(ACL_A), "uid 0", &errs, err, sizeof(err)),
			0);
	char sha[65];
	dp_acl_sha256(ACL_A, strlen(ACL_A), sha);
	assert_string_equal(a.sha256, sha);
	assert_int_equal(a.version, 1);

	assert_int_equal(cp_acl_set(&a, st, ACL_BAD, strlen(ACL_BAD), "uid 0", &errs, err,
			sizeof(err)), -EINVAL);
	/* Every error, each with its line, in text order (the duplicate last). */
	assert_int_equal(errs.total, 4);
	assert_int_equal(errs.n, 4);
	assert_non_null(strstr(errs.msg[0], "acl:1: ") && strstr(errs.msg[0], "host bits"));
	assert_non_null(strstr(errs.msg[1], "acl:3: 'frobnicate'"));
	assert_non_null(strstr(errs.msg[2], "acl:4: 'maybe'"));
	assert_non_null(strstr(errs.msg[3], "acl:5: the same prefix as line 2"));
	/* Nothing changed: the same version, text and lookups. */
	assert_true(a.pushed);
	assert_int_equal(a.version, 1);
	assert_string_equal(a.sha256, sha);
	assert_string_equal(a.text, ACL_A);
	struct cp_acl_rec rec;
	assert_int_equal(cp_store_acl_get(st, &rec), 0);
	assert_int_equal(rec.version, 1);
	cp_store_acl_clear(&rec);
	close_acl(&a, st);
}

static void
test_persistence(void **state)
{
	struct cp_acl a;
	struct cp_store *st = open_acl(&a);
	struct dp_acl_errors errs;
	char err[256];
	(void)state;

	assert_int_equal(cp_acl_set(&a, st, ACL_A, strlen(ACL_A), "uid 7 pid 1", &errs, err,
			sizeof(err)), 0);
	close_acl(&a, st);

	st = open_acl(&a);
	assert_true(a.pushed);
	assert_int_equal(a.version, 1);
	assert_string_equal(a.caller, "uid 7 pid 1");
	assert_string_equal(a.text, ACL_A);
	assert_int_equal(a.acl.n_entries, 5);
	assert_int_equal(a.acl.dflt, DP_ACL_DENY_DROP);

	/* A clear is a version too, and survives a reopen. */
	assert_int_equal(cp_acl_clear(&a, st, "uid 0", err, sizeof(err)), 0);
	assert_false(a.pushed);
	assert_int_equal(a.version, 2);
	close_acl(&a, st);
	st = open_acl(&a);
	assert_false(a.pushed);
	assert_int_equal(a.version, 2);
	assert_null(a.text);

	/* Versions only grow; the store keeps the newest CP_ACL_KEEP. */
	for (unsigned i = 0; i < CP_ACL_KEEP + 3; i++)
		assert_int_equal(cp_acl_set(&a, st, "default allow\n", 14, "uid 0", &errs, err,
				sizeof(err)), 0);
	assert_int_equal(a.version, 2 + CP_ACL_KEEP + 3);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(cp_store_db(st), "SELECT count(*) FROM acl_history",
			-1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), CP_ACL_KEEP);
	sqlite3_finalize(s);
	close_acl(&a, st);
}

/* A store written by a build of schema 1 gains the ACL table; its history stays. */
static void
test_migration_from_schema_1(void **state)
{
	sqlite3 *db;
	(void)state;
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT "
			"NOT NULL); CREATE TABLE dialplan_history (version INTEGER PRIMARY KEY, sha256 "
			"TEXT NOT NULL, created INTEGER NOT NULL, caller TEXT NOT NULL, source TEXT NOT "
			"NULL, note TEXT, rules INTEGER NOT NULL, text BLOB NOT NULL); CREATE TABLE "
			"gateway_admin (host TEXT NOT NULL, port INTEGER NOT NULL, transport INTEGER NOT "
			"NULL, admin INTEGER NOT NULL, changed INTEGER NOT NULL, caller TEXT NOT NULL, "
			"PRIMARY KEY (host, port, transport)); INSERT INTO dialplan_history VALUES (4, "
			"'ab', 1, 'c', 's', NULL, 1, 'x'); PRAGMA user_version = 1;", NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(db);
	struct cp_store *st = open_store();
	assert_int_equal(cp_store_schema(st), CP_STORE_SCHEMA);
	assert_int_equal(cp_store_version_max(st), 4);
	struct cp_acl a;
	char err[256];
	assert_int_equal(cp_acl_open(&a, st, err, sizeof(err)), 0);
	assert_int_equal(a.version, 0);
	close_acl(&a, st);
}

struct verdict_case {
	const char *name;
	const char *source;     /* as acl.test takes it */
	uint8_t verdict;
	uint32_t line;
};

static const struct verdict_case cases[] = {
	{"covered by the /24", "192.0.2.10", DP_ACL_REGISTER, 3},
	{"the host inside the /24", "192.0.2.66:5060", DP_ACL_DENY_403, 4},
	{"host with its port", "198.51.100.7:5099", DP_ACL_ALLOW, 5},
	{"host, another port: its /24", "198.51.100.7:5098", DP_ACL_DENY_403, 6},
	{"host, default port", "198.51.100.7", DP_ACL_DENY_403, 6},
	{"nobody: the default", "203.0.113.1", DP_ACL_DENY_DROP, 2},
	{"IPv6 network", "[2001:db8::5]:5070", DP_ACL_ALLOW, 7},
	{"bare IPv6", "2001:db8:1::1", DP_ACL_ALLOW, 7},
	{"IPv6 outside", "2001:db9::1", DP_ACL_DENY_DROP, 2},
};

static void
test_verdicts_match_reference(void **state)
{
	struct cp_acl a;
	struct cp_store *st = open_acl(&a);
	struct dp_acl_errors errs;
	char err[256];
	(void)state;

	assert_int_equal(cp_acl_set(&a, st, ACL_A, strlen(ACL_A), "t", &errs, err, sizeof(err)), 0);
	struct dp_acl tmp;
	enum cp_acl_source src;
	const struct dp_acl *acl = cp_acl_effective(&a, "/nonexistent", &tmp, &src, err,
			sizeof(err));
	assert_ptr_equal(acl, &a.acl); /* pushed wins over the file */
	assert_int_equal(src, CP_ACL_PUSHED);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct verdict_case *c = &cases[i];
		struct sip_addr ad;
		uint16_t port;
		uint32_t line = 0;
		if (cp_acl_parse_source(c->source, &ad, &port) != 0)
			fail_msg("%s: source '%s' not parsed", c->name, c->source);
		uint8_t v = dp_acl_explain(acl, &ad, port, &line);
		if (v != c->verdict || line != c->line)
			fail_msg("%s: got %s line %u, want %s line %u", c->name, dp_acl_verdict_name(v),
					line, dp_acl_verdict_name(c->verdict), c->line);
		/* The same verdict as the dataplane's reference and its fast lookup. */
		assert_int_equal(v, dp_acl_lookup_ref(acl, &ad, port));
		assert_int_equal(v, dp_acl_lookup(acl, &ad, port));
	}
	/* Listed in text order, with their lines. */
	uint32_t n;
	struct cp_acl_entry *es = cp_acl_entries(acl, &n);
	assert_int_equal(n, 5);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(es[i].line, i + 3);
	assert_int_equal(es[2].port, 5099);
	free(es);

	/* Cleared: the file serves; a file that does not parse says so. */
	assert_int_equal(cp_acl_clear(&a, st, "t", err, sizeof(err)), 0);
	acl = cp_acl_effective(&a, "/nonexistent", &tmp, &src, err, sizeof(err));
	assert_null(acl);
	assert_int_equal(src, CP_ACL_FILE);
	assert_non_null(strstr(err, "/nonexistent"));
	acl = cp_acl_effective(&a, "", &tmp, &src, err, sizeof(err));
	assert_null(acl);
	assert_int_equal(src, CP_ACL_NONE);
	close_acl(&a, st);
}

static void
test_parse_source(void **state)
{
	struct sip_addr ad;
	uint16_t port;
	(void)state;
	assert_int_equal(cp_acl_parse_source("192.0.2.1", &ad, &port), 0);
	assert_int_equal(port, 5060);
	assert_int_equal(ad.af, SIP_AF_INET);
	assert_int_equal(cp_acl_parse_source("192.0.2.1:7", &ad, &port), 0);
	assert_int_equal(port, 7);
	assert_int_equal(cp_acl_parse_source("[::1]:5080", &ad, &port), 0);
	assert_int_equal(port, 5080);
	assert_int_equal(ad.af, SIP_AF_INET6);
	assert_int_equal(cp_acl_parse_source("::1", &ad, &port), 0);
	assert_int_equal(port, 5060);
	static const char *const bad[] = {"", "host.example", "192.0.2.1:", "192.0.2.1:0",
		"192.0.2.1:65536", "[::1", "[::1]x", "192.0.2.1:5060x", "300.0.0.1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cp_acl_parse_source(bad[i], &ad, &port) == 0)
			fail_msg("'%s' parsed", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_text_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_schema_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdicts_match_reference, setup, teardown),
		cmocka_unit_test(test_parse_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
