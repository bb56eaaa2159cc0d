/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

struct cp_store {
	sqlite3 *db;
	char err[256];
};

/*
 * Migrations: migrations[i] takes the schema from version i to i + 1.
 * Append, never edit a released one.
 */
static const char *const migrations[] = {
	/* 1: dialplan history, highest version, gateway admin states */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE dialplan_history ("
	"  version INTEGER PRIMARY KEY,"
	"  sha256 TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  caller TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  note TEXT,"
	"  rules INTEGER NOT NULL,"
	"  text BLOB NOT NULL);"
	"CREATE TABLE gateway_admin ("
	"  host TEXT NOT NULL,"
	"  port INTEGER NOT NULL,"
	"  transport INTEGER NOT NULL,"
	"  admin INTEGER NOT NULL,"
	"  changed INTEGER NOT NULL,"
	"  caller TEXT NOT NULL,"
	"  PRIMARY KEY (host, port, transport));",
	/* 2: peer ACLs set over the control socket (acl.set / acl.clear) */
	"CREATE TABLE acl_history ("
	"  version INTEGER PRIMARY KEY,"
	"  sha256 TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  caller TEXT NOT NULL,"
	"  cleared INTEGER NOT NULL,"
	"  entries INTEGER NOT NULL,"
	"  text BLOB NOT NULL);",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(N_MIGRATIONS == CP_STORE_SCHEMA, "CP_STORE_SCHEMA counts the migrations");

static int
fail(struct cp_store *st, const char *what)
{
	snprintf(st->err, sizeof(st->err), "%s: %s", what, sqlite3_errmsg(st->db));
	return -EIO;
}

struct sqlite3 *
cp_store_db(struct cp_store *st)
{
	return st->db;
}

const char *
cp_store_errmsg(const struct cp_store *st)
{
	return st->err;
}

static int
exec(struct cp_store *st, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "%s", msg ? msg : "sqlite error");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

/* Run sql, a DELETE keeping the newest `keep` rows (at least 1; bound as its one parameter). */
static int
trim(struct cp_store *st, const char *sql, unsigned keep, const char *what)
{
	sqlite3_stmt *s = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(st, what);
	sqlite3_bind_int(s, 1, (int)(keep ? keep : 1));
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = fail(st, what);
	sqlite3_finalize(s);
	return rc;
}

int
cp_store_schema(const struct cp_store *st)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int
migrate(struct cp_store *st, char *err, size_t errlen)
{
	int v = cp_store_schema(st);
	if (v < 0) {
		snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(st->db));
		return -EIO;
	}
	if ((size_t)v > N_MIGRATIONS) {
		snprintf(err, errlen, "schema version %d is newer than this sipline-control (%zu): "
				"refusing to touch it", v, N_MIGRATIONS);
		return -EPROTO;
	}
	for (size_t i = (size_t)v; i < N_MIGRATIONS; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu;", i + 1);
		if (exec(st, "BEGIN IMMEDIATE;") != 0 || exec(st, migrations[i]) != 0 ||
				exec(st, sql) != 0 || exec(st, "COMMIT;") != 0) {
			snprintf(err, errlen, "migration to schema %zu failed: %s", i + 1, st->err);
			exec(st, "ROLLBACK;");
			return -EIO;
		}
	}
	return 0;
}

struct cp_store *
cp_store_open(const char *path, char *err, size_t errlen)
{
	struct cp_store *st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, st->db ? sqlite3_errmsg(st->db) :
				"cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 2000);
	/* WAL: readers do not block the writer; FULL: a commit survives a power loss. */
	if (exec(st, "PRAGMA journal_mode = WAL;") != 0 ||
			exec(st, "PRAGMA synchronous = FULL;") != 0 ||
			exec(st, "PRAGMA foreign_keys = ON;") != 0) {
		snprintf(err, errlen, "%s: %s", path, st->err);
		goto fail;
	}
	if (migrate(st, err, errlen) != 0)
		goto fail;
	return st;
fail:
	cp_store_close(st);
	return NULL;
}

void
cp_store_close(struct cp_store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st);
}

void
cp_store_plan_clear(struct cp_plan_rec *r)
{
	free(r->caller);
	free(r->source);
	free(r->note);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

/* Column i's bytes, copied with a NUL after them (*len: without it); NULL when out of memory. */
static char *
col_blob(sqlite3_stmt *s, int i, size_t *len)
{
	int n = sqlite3_column_bytes(s, i);
	const void *p = sqlite3_column_blob(s, i);
	char *b = malloc((size_t)n + 1);
	if (b == NULL)
		return NULL;
	if (n > 0)
		memcpy(b, p, (size_t)n);
	b[n] = '\0';
	*len = (size_t)n;
	return b;
}

uint64_t
cp_store_version_max(struct cp_store *st)
{
	sqlite3_stmt *s;
	uint64_t v = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT max(CAST(value AS INTEGER)) FROM meta WHERE key = "
			"'version_max' UNION ALL SELECT max(version) FROM dialplan_history", -1, &s,
			NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		uint64_t x = (uint64_t)sqlite3_column_int64(s, 0);
		if (x > v)
			v = x;
	}
	sqlite3_finalize(s);
	return v;
}

int
cp_store_version_bump(struct cp_store *st, uint64_t version)
{
	sqlite3_stmt *s;
	int rc = 0;
	if (version <= cp_store_version_max(st))
		return 0;
	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta (key, value) VALUES "
			"('version_max', ?)", -1, &s, NULL) != SQLITE_OK)
		return fail(st, "version_max");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)version);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = fail(st, "version_max");
	sqlite3_finalize(s);
	return rc;
}

/*
 * A history table (dialplans, ACLs): each add inserts one row and deletes
 * the oldest past keep in one transaction, so a failure leaves nothing
 * half-written.
 */
struct history {
	const char *insert;      /* INSERT of one row; bind fills its parameters */
	const char *trim;        /* DELETE keeping the newest ? rows (trim()) */
	const char *what_insert; /* names the step in errors ("history insert") */
	const char *what_trim;
	const char *dup;         /* a version there already: -EEXIST "<dup> version N exists";
	                          * NULL: -EIO like any other failure */
	bool bump;               /* meta's version follows (cp_store_version_bump()) */
	void (*bind)(sqlite3_stmt *s, const void *rec);
};

static int
history_add(struct cp_store *st, const struct history *h, const void *rec, uint64_t version,
		unsigned keep)
{
	sqlite3_stmt *s = NULL;
	int rc = 0;

	if (exec(st, "BEGIN IMMEDIATE;") != 0)
		return -EIO;
	if (sqlite3_prepare_v2(st->db, h->insert, -1, &s, NULL) != SQLITE_OK) {
		rc = fail(st, h->what_insert);
		goto rollback;
	}
	h->bind(s, rec);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (h->dup != NULL && sqlite3_errcode(st->db) == SQLITE_CONSTRAINT) {
			snprintf(st->err, sizeof(st->err), "%s version %llu exists", h->dup,
					(unsigned long long)version);
			rc = -EEXIST;
		} else {
			rc = fail(st, h->what_insert);
		}
		goto rollback;
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = trim(st, h->trim, keep, h->what_trim)) != 0)
		goto rollback;
	if (h->bump && (rc = cp_store_version_bump(st, version)) != 0)
		goto rollback;
	if (exec(st, "COMMIT;") != 0) {
		rc = -EIO;
		goto rollback;
	}
	return 0;
rollback:
	sqlite3_finalize(s);
	exec(st, "ROLLBACK;");
	return rc;
}

static void
plan_bind(sqlite3_stmt *s, const void *rec)
{
	const struct cp_plan_rec *r = rec;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)r->version);
	sqlite3_bind_text(s, 2, r->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->created);
	sqlite3_bind_text(s, 4, r->caller ? r->caller : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->source ? r->source : "", -1, SQLITE_STATIC);
	if (r->note != NULL)
		sqlite3_bind_text(s, 6, r->note, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_int64(s, 7, r->rules);
	sqlite3_bind_blob64(s, 8, r->text ? r->text : "", r->text_len, SQLITE_STATIC);
}

static const struct history plan_history = {
	.insert = "INSERT INTO dialplan_history (version, sha256, created, caller, source, note, "
		"rules, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	.trim = "DELETE FROM dialplan_history WHERE version NOT IN (SELECT version FROM "
		"dialplan_history ORDER BY version DESC LIMIT ?)",
	.what_insert = "history insert",
	.what_trim = "history trim",
	.dup = NULL,
	.bump = true,
	.bind = plan_bind,
};

int
cp_store_plan_add(struct cp_store *st, const struct cp_plan_rec *r, unsigned keep)
{
	if (r->version <= cp_store_version_max(st)) {
		snprintf(st->err, sizeof(st->err), "version %llu is not above the newest",
				(unsigned long long)r->version);
		return -EEXIST;
	}
	return history_add(st, &plan_history, r, r->version, keep);
}

static void
read_rec(sqlite3_stmt *s, struct cp_plan_rec *r, bool text)
{
	memset(r, 0, sizeof(*r));
	r->version = (uint64_t)sqlite3_column_int64(s, 0);
	snprintf(r->sha256, sizeof(r->sha256), "%s",
			(const char *)sqlite3_column_text(s, 1) ?: "");
	r->created = sqlite3_column_int64(s, 2);
	r->caller = col_dup(s, 3);
	r->source = col_dup(s, 4);
	r->note = col_dup(s, 5);
	r->rules = (uint32_t)sqlite3_column_int64(s, 6);
	if (text)
		r->text = col_blob(s, 7, &r->text_len);
}

int
cp_store_plan_get(struct cp_store *st, uint64_t version, struct cp_plan_rec *r)
{
	sqlite3_stmt *s;
	int rc;
	const char *sql = version ?
		"SELECT version, sha256, created, caller, source, note, rules, text FROM "
		"dialplan_history WHERE version = ?" :
		"SELECT version, sha256, created, caller, source, note, rules, text FROM "
		"dialplan_history ORDER BY version DESC LIMIT 1";

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(st, "history read");
	if (version)
		sqlite3_bind_int64(s, 1, (sqlite3_int64)version);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		read_rec(s, r, true);
		rc = r->text ? 0 : -ENOMEM;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = fail(st, "history read");
	}
	sqlite3_finalize(s);
	return rc;
}

int
cp_store_plan_list(struct cp_store *st, uint64_t before, unsigned limit,
		void (*cb)(const struct cp_plan_rec *r, void *ctx), void *ctx)
{
	sqlite3_stmt *s;
	int n = 0, rc;

	if (sqlite3_prepare_v2(st->db, "SELECT version, sha256, created, caller, source, note, "
			"rules FROM dialplan_history WHERE version < ? ORDER BY version DESC LIMIT ?",
			-1, &s, NULL) != SQLITE_OK)
		return fail(st, "history list");
	sqlite3_bind_int64(s, 1, before ? (sqlite3_int64)before : INT64_MAX);
	sqlite3_bind_int(s, 2, (int)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct cp_plan_rec r;
		read_rec(s, &r, false);
		cb(&r, ctx);
		cp_store_plan_clear(&r);
		n++;
	}
	if (rc != SQLITE_DONE)
		n = fail(st, "history list");
	sqlite3_finalize(s);
	return n;
}

int
cp_store_plan_count(struct cp_store *st)
{
	sqlite3_stmt *s;
	int n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM dialplan_history", -1, &s, NULL) !=
			SQLITE_OK)
		return fail(st, "history count");
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

const char *
cp_admin_name(enum cp_admin a)
{
	switch (a) {
	case CP_ADMIN_UP: return "up";
	case CP_ADMIN_DOWN: return "down";
	default: return "auto";
	}
}

int
cp_admin_parse(const char *s, enum cp_admin *a)
{
	if (strcmp(s, "auto") == 0)
		*a = CP_ADMIN_AUTO;
	else if (strcmp(s, "up") == 0)
		*a = CP_ADMIN_UP;
	else if (strcmp(s, "down") == 0)
		*a = CP_ADMIN_DOWN;
	else
		return -EINVAL;
	return 0;
}

int
cp_store_gw_set(struct cp_store *st, const char *host, uint16_t port, uint8_t transport,
		enum cp_admin admin, const char *caller)
{
	sqlite3_stmt *s;
	int rc = 0;
	const char *sql = admin == CP_ADMIN_AUTO ?
		"DELETE FROM gateway_admin WHERE host = ? AND port = ? AND transport = ?" :
		"INSERT OR REPLACE INTO gateway_admin (host, port, transport, admin, changed, caller) "
		"VALUES (?, ?, ?, ?, ?, ?)";

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(st, "gateway admin");
	sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, port);
	sqlite3_bind_int(s, 3, transport);
	if (admin != CP_ADMIN_AUTO) {
		sqlite3_bind_int(s, 4, (int)admin);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)time(NULL));
		sqlite3_bind_text(s, 6, caller ? caller : "", -1, SQLITE_STATIC);
	}
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = fail(st, "gateway admin");
	sqlite3_finalize(s);
	return rc;
}

int
cp_store_gw_list(struct cp_store *st,
		void (*cb)(const char *host, uint16_t port, uint8_t transport, enum cp_admin admin,
			int64_t changed, const char *caller, void *ctx), void *ctx)
{
	sqlite3_stmt *s;
	int n = 0, rc;
	if (sqlite3_prepare_v2(st->db, "SELECT host, port, transport, admin, changed, caller FROM "
			"gateway_admin ORDER BY host, port, transport", -1, &s, NULL) != SQLITE_OK)
		return fail(st, "gateway admin list");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		cb((const char *)sqlite3_column_text(s, 0), (uint16_t)sqlite3_column_int(s, 1),
				(uint8_t)sqlite3_column_int(s, 2), (enum cp_admin)sqlite3_column_int(s, 3),
				sqlite3_column_int64(s, 4), (const char *)sqlite3_column_text(s, 5), ctx);
		n++;
	}
	if (rc != SQLITE_DONE)
		n = fail(st, "gateway admin list");
	sqlite3_finalize(s);
	return n;
}

void
cp_store_acl_clear(struct cp_acl_rec *r)
{
	free(r->caller);
	free(r->text);
	memset(r, 0, sizeof(*r));
}

static void
acl_bind(sqlite3_stmt *s, const void *rec)
{
	const struct cp_acl_rec *r = rec;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)r->version);
	sqlite3_bind_text(s, 2, r->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->created);
	sqlite3_bind_text(s, 4, r->caller ? r->caller : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, r->cleared ? 1 : 0);
	sqlite3_bind_int64(s, 6, r->entries);
	sqlite3_bind_blob64(s, 7, r->text ? r->text : "", r->text_len, SQLITE_STATIC);
}

static const struct history acl_history = {
	.insert = "INSERT INTO acl_history (version, sha256, created, caller, cleared, entries, "
		"text) VALUES (?, ?, ?, ?, ?, ?, ?)",
	.trim = "DELETE FROM acl_history WHERE version NOT IN (SELECT version FROM acl_history "
		"ORDER BY version DESC LIMIT ?)",
	.what_insert = "acl insert",
	.what_trim = "acl trim",
	.dup = "ACL",
	.bump = false,
	.bind = acl_bind,
};

int
cp_store_acl_add(struct cp_store *st, const struct cp_acl_rec *r, unsigned keep)
{
	return history_add(st, &acl_history, r, r->version, keep);
}

int
cp_store_acl_get(struct cp_store *st, struct cp_acl_rec *r)
{
	sqlite3_stmt *s;
	int rc;

	memset(r, 0, sizeof(*r));
	if (sqlite3_prepare_v2(st->db, "SELECT version, sha256, created, caller, cleared, entries, "
			"text FROM acl_history ORDER BY version DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return fail(st, "acl read");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r->version = (uint64_t)sqlite3_column_int64(s, 0);
		snprintf(r->sha256, sizeof(r->sha256), "%s",
				(const char *)sqlite3_column_text(s, 1) ?: "");
		r->created = sqlite3_column_int64(s, 2);
		r->caller = col_dup(s, 3);
		r->cleared = sqlite3_column_int(s, 4) != 0;
		r->entries = (uint32_t)sqlite3_column_int64(s, 5);
		r->text = col_blob(s, 6, &r->text_len);
		rc = r->text ? 0 : -ENOMEM;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = fail(st, "acl read");
	}
	sqlite3_finalize(s);
	return rc;
}
