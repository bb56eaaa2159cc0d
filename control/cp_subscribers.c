/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_subscribers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "cp_loop.h"
#include "cp_rpc.h"
#include "cp_store.h"


int
cp_sub_init(struct cp_store *st)
{
	sqlite3 *db = cp_store_db(st);
	const char *sql =
		"CREATE TABLE IF NOT EXISTS subscribers ("
		"  username TEXT NOT NULL,"
		"  domain TEXT NOT NULL,"
		"  ha1_md5 TEXT NOT NULL DEFAULT '',"
		"  ha1_sha256 TEXT NOT NULL DEFAULT '',"
		"  ha1_sha512_256 TEXT NOT NULL DEFAULT '',"
		"  created INTEGER NOT NULL,"
		"  PRIMARY KEY (domain, username));";
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static bool
name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c == 0x7f || c == ':' || c == '"' || c == '\\')
			return false;
	}
	return true;
}

static void
lower_copy(char *dst, const char *src, size_t cap)
{
	size_t i;
	for (i = 0; src[i] && i + 1 < cap; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] - 'A' + 'a' : src[i]);
	dst[i] = '\0';
}

static int
sub_names(struct cp_subscriber *s, const char *username, const char *domain)
{
	if (!name_ok(username, CP_SUB_USER_MAX) || !name_ok(domain, CP_SUB_DOMAIN_MAX))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	snprintf(s->username, sizeof(s->username), "%s", username);
	lower_copy(s->domain, domain, sizeof(s->domain));
	s->created = cp_wall_s();
	return 0;
}

int
cp_sub_from_password(struct cp_subscriber *s, const char *username, const char *domain,
		const char *password)
{
	int rc = sub_names(s, username, domain);
	if (rc != 0)
		return rc;
	if (password == NULL || password[0] == '\0')
		return -EINVAL;
	for (int a = 0; a < CP_DIG__COUNT; a++)
		if (cp_digest_ha1(a, sip_str_make(s->username, strlen(s->username)),
				sip_str_make(s->domain, strlen(s->domain)),
				sip_str_make(password, strlen(password)), s->ha1[a]) != 0)
			return -EIO;
	return 0;
}

/* A stored HA1: hex of the algorithm's length (lower-cased into out). */
static int
ha1_check(enum cp_digest_alg a, const char *in, char out[CP_DIG_HEX_MAX])
{
	size_t n = strlen(in);
	if (n != cp_digest_hex_len(a))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

int
cp_sub_put(struct cp_store *st, const struct cp_subscriber *s)
{
	sqlite3 *db = cp_store_db(st);
	sqlite3_stmt *q;
	int rc;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO subscribers (username, domain, ha1_md5, "
			"ha1_sha256, ha1_sha512_256, created) VALUES (?, ?, ?, ?, ?, ?)", -1, &q,
			NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(q, 1, s->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, s->domain, -1, SQLITE_STATIC);
	for (int a = 0; a < CP_DIG__COUNT; a++)
		sqlite3_bind_text(q, 3 + a, s->ha1[a], -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, s->created);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(q);
	return rc;
}

int
cp_sub_remove(struct cp_store *st, const char *username, const char *domain)
{
	sqlite3 *db = cp_store_db(st);
	sqlite3_stmt *q;
	char dom[CP_SUB_DOMAIN_MAX + 1];
	int rc;
	lower_copy(dom, domain, sizeof(dom));
	if (sqlite3_prepare_v2(db, "DELETE FROM subscribers WHERE username = ? AND domain = ?", -1,
			&q, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(q, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, dom, -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -EIO;
	if (rc == 0 && sqlite3_changes(db) == 0)
		rc = -ENOENT;
	sqlite3_finalize(q);
	return rc;
}

static void
read_row(sqlite3_stmt *q, struct cp_subscriber *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->username, sizeof(s->username), "%s", (const char *)sqlite3_column_text(q, 0));
	snprintf(s->domain, sizeof(s->domain), "%s", (const char *)sqlite3_column_text(q, 1));
	for (int a = 0; a < CP_DIG__COUNT; a++) {
		const char *h = (const char *)sqlite3_column_text(q, 2 + a);
		snprintf(s->ha1[a], sizeof(s->ha1[a]), "%s", h ? h : "");
	}
	s->created = sqlite3_column_int64(q, 5);
}

#define SEL "SELECT username, domain, ha1_md5, ha1_sha256, ha1_sha512_256, created FROM subscribers"

int
cp_sub_get(struct cp_store *st, struct sip_str username, struct sip_str domain,
		struct cp_subscriber *out)
{
	sqlite3 *db = cp_store_db(st);
	sqlite3_stmt *q;
	char dom[CP_SUB_DOMAIN_MAX + 1];
	int rc;

	if (username.len == 0 || username.len > CP_SUB_USER_MAX || domain.len > CP_SUB_DOMAIN_MAX)
		return -ENOENT;
	for (uint32_t i = 0; i < domain.len; i++) {
		char c = domain.p[i];
		dom[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	if (sqlite3_prepare_v2(db, SEL " WHERE username = ? AND domain = ?", -1, &q, NULL) !=
			SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(q, 1, username.p, (int)username.len, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, dom, (int)domain.len, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		read_row(q, out);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(q);
	return rc;
}

int
cp_sub_count(struct cp_store *st, const char *domain)
{
	sqlite3 *db = cp_store_db(st);
	sqlite3_stmt *q;
	int n = -EIO;
	if (sqlite3_prepare_v2(db, domain ? "SELECT count(*) FROM subscribers WHERE domain = ?" :
			"SELECT count(*) FROM subscribers", -1, &q, NULL) != SQLITE_OK)
		return -EIO;
	if (domain)
		sqlite3_bind_text(q, 1, domain, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return n;
}

int
cp_sub_list(struct cp_store *st, const char *domain, uint64_t offset, unsigned limit,
		void (*cb)(const struct cp_subscriber *s, void *ctx), void *ctx)
{
	sqlite3 *db = cp_store_db(st);
	sqlite3_stmt *q;
	int n = 0, rc;
	if (sqlite3_prepare_v2(db,
		    domain ? SEL " WHERE domain = ?3 ORDER BY domain, username "
				 "LIMIT ?1 OFFSET ?2"
			   : SEL " ORDER BY domain, username LIMIT ?1 OFFSET ?2",
		    -1, &q, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(q, 1, limit);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)offset);
	if (domain)
		sqlite3_bind_text(q, 3, domain, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct cp_subscriber s;
		read_row(q, &s);
		cb(&s, ctx);
		n++;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? n : -EIO;
}

/* ---- CSV import ---- */

#define CSV_MAX_FIELDS 16
#define CSV_FIELD_MAX 256

/*
 * One CSV record (RFC 4180: fields in double quotes may hold commas,
 * doubled quotes and line breaks) from *p. Returns the number of fields,
 * 0 at the end, -1 on a malformed record. *line counts line ends.
 */
static int
csv_record(const char **p, const char *end, char f[CSV_MAX_FIELDS][CSV_FIELD_MAX],
		unsigned *line)
{
	const char *s = *p;
	int n = 0;
	size_t k = 0;
	bool q = false, any = false;

	if (s >= end)
		return 0;
	f[0][0] = '\0';
	while (s < end) {
		char c = *s++;
		if (q) {
			if (c == '"') {
				if (s < end && *s == '"') {
					s++;
				} else {
					q = false;
					continue;
				}
			}
			if (c == '\n')
				(*line)++;
		} else if (c == '"') {
			if (k != 0)
				return -1; /* quote inside an unquoted field */
			q = true;
			any = true;
			continue;
		} else if (c == ',') {
			if (++n >= CSV_MAX_FIELDS)
				return -1;
			k = 0;
			f[n][0] = '\0';
			any = true;
			continue;
		} else if (c == '\r' && s < end && *s == '\n') {
			continue;
		} else if (c == '\n') {
			(*line)++;
			break;
		}
		if (k + 1 >= CSV_FIELD_MAX || c == '\0')
			return -1;
		f[n][k++] = c;
		f[n][k] = '\0';
		any = true;
	}
	if (q)
		return -1;
	*p = s;
	return any ? n + 1 : (int)(s < end ? -2 : 0); /* -2: an empty line */
}

enum col { C_USER, C_DOMAIN, C_PASSWORD, C_HA1, C_HA1_256, C_HA1_512, C__N };

static const char *const col_names[C__N] = {"username", "domain", "password", "ha1",
	"ha1_sha256", "ha1_sha512t256"};

static int
import_row(struct cp_store *st, char f[CSV_MAX_FIELDS][CSV_FIELD_MAX], int nf,
		const int col[C__N], char *why, size_t wl)
{
	struct cp_subscriber s;
	const char *v[C__N];
	for (int c = 0; c < C__N; c++)
		v[c] = col[c] >= 0 && col[c] < nf ? f[col[c]] : "";
	if (v[C_PASSWORD][0]) {
		if (cp_sub_from_password(&s, v[C_USER], v[C_DOMAIN], v[C_PASSWORD]) != 0) {
			snprintf(why, wl, "bad username or domain");
			return -EINVAL;
		}
	} else {
		static const int map[CP_DIG__COUNT] = {C_HA1, C_HA1_256, C_HA1_512};
		bool any = false;
		if (sub_names(&s, v[C_USER], v[C_DOMAIN]) != 0) {
			snprintf(why, wl, "bad username or domain");
			return -EINVAL;
		}
		for (int a = 0; a < CP_DIG__COUNT; a++) {
			if (v[map[a]][0] == '\0')
				continue;
			if (ha1_check(a, v[map[a]], s.ha1[a]) != 0) {
				snprintf(why, wl, "%s is not a %s HA1 (%u hex digits)",
					col_names[map[a]], cp_digest_alg_name(a),
					cp_digest_hex_len(a));
				return -EINVAL;
			}
			any = true;
		}
		if (!any) {
			snprintf(why, wl, "neither a password nor an HA1");
			return -EINVAL;
		}
	}
	if (cp_sub_put(st, &s) != 0) {
		snprintf(why, wl, "store: %s", sqlite3_errmsg(cp_store_db(st)));
		return -EIO;
	}
	return 0;
}

int
cp_sub_import(struct cp_store *st, const char *text, size_t len, const char *format,
		unsigned *added, char *err, size_t errlen)
{
	static char f[CSV_MAX_FIELDS][CSV_FIELD_MAX];
	sqlite3 *db = cp_store_db(st);
	const char *p = text, *end = text + len;
	int col[C__N] = {-1, -1, -1, -1, -1, -1};
	unsigned line = 1, n = 0;
	bool header_done = false;
	int rc = 0;

	if (strcmp(format, "kamailio") == 0) {
		static const int k[C__N] = {1, 2, 3, 4, -1, -1};
		memcpy(col, k, sizeof(col));
	} else if (strcmp(format, "opensips") == 0) {
		static const int o[C__N] = {1, 2, 3, 5, 6, 7};
		memcpy(col, o, sizeof(col));
	} else if (strcmp(format, "auto") != 0) {
		snprintf(err, errlen, "format: auto, kamailio or opensips");
		return -EINVAL;
	}
	if (sqlite3_exec(db, "SAVEPOINT sub_import", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "store: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	for (;;) {
		unsigned at = line;
		int nf = csv_record(&p, end, f, &line);
		if (nf == 0)
			break;
		if (nf == -2)
			continue;
		if (nf < 0) {
			snprintf(err, errlen, "line %u: malformed CSV record", at);
			rc = -EINVAL;
			break;
		}
		if (!header_done) {
			header_done = true;
			int found = -1;
			for (int i = 0; i < nf; i++)
				if (strcasecmp(f[i], "username") == 0)
					found = i;
			if (found >= 0) {
				/* A header line: columns by name. */
				for (int c = 0; c < C__N; c++) {
					col[c] = -1;
					for (int i = 0; i < nf; i++)
						if (strcasecmp(f[i], col_names[c]) == 0)
							col[c] = i;
				}
				if (col[C_DOMAIN] < 0) {
					snprintf(err, errlen, "line %u: no domain column", at);
					rc = -EINVAL;
					break;
				}
				continue;
			}
			if (col[C_USER] < 0) {
				snprintf(err, errlen,
					"line %u: no header line (username, domain, password "
					"or ha1...) and no format named",
					at);
				rc = -EINVAL;
				break;
			}
		}
		char why[160];
		rc = import_row(st, f, nf, col, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, errlen, "line %u: %s", at, why);
			break;
		}
		n++;
	}
	OPENSSL_cleanse(f, sizeof(f)); /* passwords passed through here */
	if (rc != 0) {
		sqlite3_exec(db, "ROLLBACK TO sub_import; RELEASE sub_import", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_exec(db, "RELEASE sub_import", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "store: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK TO sub_import; RELEASE sub_import", NULL, NULL, NULL);
		return -EIO;
	}
	*added = n;
	return 0;
}

/* ---- methods ---- */

static json_t *
sub_json(const struct cp_subscriber *s)
{
	json_t *algs = json_array();
	for (int a = CP_DIG__COUNT - 1; a >= 0; a--)
		if (s->ha1[a][0])
			json_array_append_new(algs, json_string(cp_digest_alg_name(a)));
	return json_pack("{s:s, s:s, s:o, s:I}", "username", s->username, "domain", s->domain,
			"algorithms", algs, "created", (json_int_t)s->created);
}

static void
m_add(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_store *st = ctx;
	struct cp_subscriber s;
	const char *user = cp_rpc_str(params, "username", ""),
		   *dom = cp_rpc_str(params, "domain", "");
	const char *pw = cp_rpc_str(params, "password", NULL);
	static const char *const names[CP_DIG__COUNT] = {"ha1_md5", "ha1_sha256", "ha1_sha512_256"};
	int rc;

	if (pw != NULL) {
		rc = cp_sub_from_password(&s, user, dom, pw);
	} else {
		bool any = false;
		rc = sub_names(&s, user, dom);
		for (int a = 0; rc == 0 && a < CP_DIG__COUNT; a++) {
			const char *h = cp_rpc_str(params, names[a], NULL);
			if (h == NULL)
				continue;
			if (ha1_check(a, h, s.ha1[a]) != 0) {
				cp_rpc_errorf(req, CP_RPC_INVALID_PARAMS, NULL,
					"%s: %u hex digits expected", names[a],
					cp_digest_hex_len(a));
				return;
			}
			any = true;
		}
		if (rc == 0 && !any) {
			cp_rpc_error(
				req, CP_RPC_INVALID_PARAMS, "password or an HA1 is required", NULL);
			return;
		}
	}
	if (rc == -EINVAL) {
		cp_rpc_error(req, CP_RPC_INVALID_PARAMS,
			"username and domain: 1..64 and 1..128 "
			"printable characters without ':', '\"' or '\\'; password not empty",
			NULL);
		return;
	}
	if (rc != 0 || cp_sub_put(st, &s) != 0) {
		cp_rpc_errorf(req, CP_RPC_STORE_ERROR, NULL, "store: %s", cp_store_errmsg(st));
		return;
	}
	cp_rpc_result(req, sub_json(&s));
}

static void
m_remove(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_store *st = ctx;
	const char *user = cp_rpc_str(params, "username", ""),
		   *dom = cp_rpc_str(params, "domain", "");
	int rc = cp_sub_remove(st, user, dom);
	if (rc == -ENOENT)
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, "no subscriber %s@%s", user, dom);
	else if (rc != 0)
		cp_rpc_errorf(req, CP_RPC_STORE_ERROR, NULL, "store: %s", cp_store_errmsg(st));
	else
		cp_rpc_result(req, json_pack("{s:b}", "removed", 1));
}

static void
list_cb(const struct cp_subscriber *s, void *ctx)
{
	json_array_append_new(ctx, sub_json(s));
}

static void
m_list(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_store *st = ctx;
	const char *dom = cp_rpc_str(params, "domain", NULL);
	char ldom[CP_SUB_DOMAIN_MAX + 1];
	uint64_t cursor;
	size_t limit;

	if (cp_rpc_page_args(req, params, &cursor, &limit) != 0)
		return;
	if (dom != NULL) {
		lower_copy(ldom, dom, sizeof(ldom));
		dom = ldom;
	}
	json_t *items = json_array();
	int total = cp_sub_count(st, dom);
	int n = cp_sub_list(st, dom, cursor, (unsigned)limit, list_cb, items);
	if (n < 0 || total < 0) {
		json_decref(items);
		cp_rpc_errorf(req, CP_RPC_STORE_ERROR, NULL, "store: %s", cp_store_errmsg(st));
		return;
	}
	json_t *next = json_null();
	if (cursor + (uint64_t)n < (uint64_t)total) {
		char c[24];
		snprintf(c, sizeof(c), "%llu", (unsigned long long)(cursor + (uint64_t)n));
		next = json_string(c);
	}
	cp_rpc_result(req, json_pack("{s:o, s:o, s:i}", "items", items, "next_cursor", next,
			"total", total));
}

static void
m_import(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_store *st = ctx;
	const json_t *t = json_object_get(params, "text");
	const char *fmt = cp_rpc_str(params, "format", "auto");
	char err[256];
	unsigned added = 0;
	int rc = cp_sub_import(st, json_string_value(t), json_string_length(t), fmt, &added, err,
			sizeof(err));
	if (rc == -EINVAL)
		cp_rpc_error(req, CP_RPC_INVALID_PARAMS, err, NULL);
	else if (rc != 0)
		cp_rpc_error(req, CP_RPC_STORE_ERROR, err, NULL);
	else
		cp_rpc_result(req, json_pack("{s:i}", "added", (int)added));
}

static const struct cp_rpc_param p_add[] = {
	{"username", CP_T_STRING, true, "user part of the AOR and digest username"},
	{"domain", CP_T_STRING, true, "domain (and digest realm)"},
	{"password", CP_T_STRING, false, "hashed at once for every algorithm, never stored"},
	{"ha1_md5", CP_T_STRING, false, "MD5(username:domain:password), 32 hex digits"},
	{"ha1_sha256", CP_T_STRING, false, "SHA-256 HA1, 64 hex digits"},
	{"ha1_sha512_256", CP_T_STRING, false, "SHA-512/256 HA1, 64 hex digits"},
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_param p_key[] = {
	{"username", CP_T_STRING, true, "username"},
	{"domain", CP_T_STRING, true, "domain"},
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_param p_list[] = {
	{"domain", CP_T_STRING, false, "only this domain"},
	CP_RPC_PAGE_PARAMS,
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_param p_import[] = {
	{"text", CP_T_STRING, true, "CSV text (siplinectl sends a file's)"},
	{"format", CP_T_STRING, false,
		"auto (a header line names the columns), kamailio, opensips"},
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_method methods[] = {
	{"subscribers.add", "add or replace a subscriber (password hashed, never stored)", p_add,
		true, m_add},
	{"subscribers.remove", "remove a subscriber", p_key, true, m_remove},
	{"subscribers.list", "subscribers and their digest algorithms (paged)", p_list, false,
		m_list},
	{"subscribers.import", "import a Kamailio/OpenSIPS subscriber CSV (all rows or none)",
		p_import, true, m_import},
};

int
cp_sub_methods_register(struct cp_rpc *rpc, struct cp_store *st)
{
	return cp_rpc_register(rpc, methods, sizeof(methods) / sizeof(methods[0]), st);
}
