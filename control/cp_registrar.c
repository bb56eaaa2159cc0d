/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar: RFC 3261 §10.3 steps in their order, the bindings of
 * every AOR in memory (a hash of AOR keys, each with a small array), and
 * the same in the store, rewritten per AOR inside one SAVEPOINT per
 * REGISTER and committed by batch (cp_registrar.h says why).
 */
#include "cp_registrar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "cp_digest.h"
#include "cp_store.h"
#include "cp_subscribers.h"
#include "sip.h"

static const char *const counter_names[] = {
#define CP_REG_NAME(n, h) #n,
	CP_REG_COUNTERS(CP_REG_NAME)
#undef CP_REG_NAME
};

const char *
cp_reg_counter_name(enum cp_reg_counter c)
{
	return (unsigned)c < CP_REG_C__COUNT ? counter_names[c] : "?";
}

void
cp_reg_conf_defaults(struct cp_reg_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->auth = true;
	c->authc.algs = CP_DIG_ALL;
	c->authc.nonce_lifetime = 300;
	c->nonce_rotate_s = 3600;
	c->nonce_window = 65536;
	c->default_expires = 3600;
	c->min_expires = 60;
	c->max_expires = 86400;
	c->max_contacts = 10;
	c->evict_oldest = false;
	c->retrans_window_s = 32;
	c->flow_timer = 120;
	c->amplification = 3;
}

/* ---- in-memory bindings ---- */

struct aor {
	struct aor *next;         /* hash chain */
	struct aor *dirty_next;   /* changed in the open batch */
	bool dirty;
	unsigned n, cap;
	struct cp_binding *b;
	char key[CP_REG_AOR_MAX + 1];
};

/* A cached answer, for retransmissions (RFC 3261 §17.2.2: same request, same answer). */
struct rcache {
	char key[CP_REG_CALLID_MAX + 160];  /* Call-ID, CSeq, branch, source */
	uint16_t klen;
	bool pending;             /* waiting for the commit: retransmissions are dropped */
	int64_t at;               /* wall seconds */
	char *resp;
	size_t resp_len;
	uint16_t status;
};

#define RCACHE_SLOTS 16384u

/* An answer waiting for the batch's commit. */
struct pending {
	char *resp;
	size_t len;
	struct sip_addr dst;
	uint16_t port;
	unsigned slot;            /* its rcache slot */
	uint8_t transport;        /* enum sip_transport of the request */
	uint64_t conn;            /* its stream connection, or 0 */
	/* For the 500 that replaces it if the commit fails. */
	char *fail;
	size_t fail_len;
};

struct cp_reg {
	struct cp_reg_conf c;
	struct cp_store *st;      /* our own connection (see cp_reg_create) */
	sqlite3 *db;
	sqlite3_stmt *q_del, *q_ins, *q_key;
	struct aor **tab;
	unsigned mask, n_aors;
	uint64_t seed;
	struct aor *dirty;
	bool in_batch;
	struct pending *pend;
	unsigned n_pend, cap_pend;
	struct cp_nonces *nonces;
	struct rcache *rc;
	cp_reg_send_fn *send;
	cp_reg_push_fn *push;
	cp_reg_send_stream_fn *send_stream;
	void *stream_ctx;
	void *ctx;
	uint64_t cnt[CP_REG_C__COUNT];
};

const uint64_t *
cp_reg_counters(const struct cp_reg *r)
{
	return r->cnt;
}

static uint64_t
hash(const struct cp_reg *r, const char *s, size_t n)
{
	/* Bucket choice only (keys are compared in full): FNV-1a with a random seed. */
	uint64_t h = 0xcbf29ce484222325ull ^ r->seed;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

static struct aor *
aor_find(const struct cp_reg *r, const char *key)
{
	size_t n = strlen(key);
	for (struct aor *a = r->tab[hash(r, key, n) & r->mask]; a != NULL; a = a->next)
		if (strcmp(a->key, key) == 0)
			return a;
	return NULL;
}

static int
grow(struct cp_reg *r)
{
	unsigned nm = r->mask * 2 + 1;
	struct aor **t = calloc(nm + 1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i <= r->mask; i++) {
		struct aor *a = r->tab[i], *nx;
		for (; a != NULL; a = nx) {
			nx = a->next;
			uint64_t h = hash(r, a->key, strlen(a->key)) & nm;
			a->next = t[h];
			t[h] = a;
		}
	}
	free(r->tab);
	r->tab = t;
	r->mask = nm;
	return 0;
}

static struct aor *
aor_get(struct cp_reg *r, const char *key)
{
	struct aor *a = aor_find(r, key);
	if (a != NULL)
		return a;
	if (r->n_aors > r->mask && grow(r) != 0)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	snprintf(a->key, sizeof(a->key), "%s", key);
	uint64_t h = hash(r, key, strlen(key)) & r->mask;
	a->next = r->tab[h];
	r->tab[h] = a;
	r->n_aors++;
	return a;
}

static void
aor_unlink_free(struct cp_reg *r, struct aor *a)
{
	uint64_t h = hash(r, a->key, strlen(a->key)) & r->mask;
	for (struct aor **pp = &r->tab[h]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	r->n_aors--;
	free(a->b);
	free(a);
}

static int
aor_reserve(struct aor *a, unsigned n)
{
	if (n > a->cap) {
		struct cp_binding *nb = realloc(a->b, n * sizeof(*nb));
		if (nb == NULL)
			return -ENOMEM;
		a->b = nb;
		a->cap = n;
	}
	return 0;
}

/* After aor_reserve(a, n). */
static void
aor_set(struct aor *a, const struct cp_binding *b, unsigned n)
{
	if (n)
		memcpy(a->b, b, n * sizeof(*b));
	a->n = n;
}

static void
mark_dirty(struct cp_reg *r, struct aor *a)
{
	if (!a->dirty) {
		a->dirty = true;
		a->dirty_next = r->dirty;
		r->dirty = a;
	}
}

static const struct cp_binding *
best_of(const struct cp_binding *b, unsigned n, int64_t now)
{
	const struct cp_binding *best = NULL;
	for (unsigned i = 0; i < n; i++) {
		if (b[i].expires <= now)
			continue;
		int q = b[i].q < 0 ? 1000 : b[i].q;
		int bq = best == NULL ? -1 : (best->q < 0 ? 1000 : best->q);
		if (best == NULL || q > bq || (q == bq && b[i].updated > best->updated))
			best = &b[i];
	}
	return best;
}

const struct cp_binding *
cp_reg_best(const struct cp_reg *r, const char *aor, int64_t now)
{
	const struct aor *a = aor_find(r, aor);
	return a == NULL ? NULL : best_of(a->b, a->n, now);
}

const struct cp_binding *
cp_reg_bindings(const struct cp_reg *r, const char *aor, unsigned *n)
{
	const struct aor *a = aor_find(r, aor);
	*n = a == NULL ? 0 : a->n;
	return a == NULL || a->n == 0 ? NULL : a->b;
}

unsigned
cp_reg_aors(const struct cp_reg *r)
{
	unsigned n = 0;
	for (unsigned i = 0; i <= r->mask; i++)
		for (const struct aor *a = r->tab[i]; a != NULL; a = a->next)
			n += a->n > 0;
	return n;
}

void
cp_reg_foreach(const struct cp_reg *r,
		void (*fn)(void *ctx, const char *aor, const struct cp_binding *b, unsigned n),
		void *ctx)
{
	for (unsigned i = 0; i <= r->mask; i++)
		for (const struct aor *a = r->tab[i]; a != NULL; a = a->next)
			if (a->n > 0)
				fn(ctx, a->key, a->b, a->n);
}

/* ---- store ---- */

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS registrations ("
	"  aor TEXT NOT NULL, contact TEXT NOT NULL, instance TEXT NOT NULL,"
	"  reg_id INTEGER NOT NULL, q INTEGER NOT NULL, expires INTEGER NOT NULL,"
	"  callid TEXT NOT NULL, cseq INTEGER NOT NULL, path TEXT NOT NULL,"
	"  src TEXT NOT NULL, sport INTEGER NOT NULL, transport INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS registrations_aor ON registrations (aor);"
	"CREATE TABLE IF NOT EXISTS nonce_keys ("
	"  gen INTEGER PRIMARY KEY, key BLOB NOT NULL, created INTEGER NOT NULL);";

static int
exec(struct cp_reg *r, const char *sql)
{
	return sqlite3_exec(r->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int
store_aor(struct cp_reg *r, const char *key, const struct cp_binding *b, unsigned n)
{
	char src[64];
	sqlite3_reset(r->q_del);
	sqlite3_bind_text(r->q_del, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(r->q_del) != SQLITE_DONE)
		return -EIO;
	for (unsigned i = 0; i < n; i++) {
		sqlite3_stmt *q = r->q_ins;
		size_t sl = sip_addr_format(&b[i].src, src, sizeof(src));
		src[sl < sizeof(src) ? sl : 0] = '\0';
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, b[i].contact, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, b[i].instance, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, b[i].reg_id);
		sqlite3_bind_int(q, 5, b[i].q);
		sqlite3_bind_int64(q, 6, b[i].expires);
		sqlite3_bind_text(q, 7, b[i].callid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 8, b[i].cseq);
		sqlite3_bind_text(q, 9, b[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 10, src, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 11, b[i].sport);
		sqlite3_bind_int(q, 12, b[i].transport);
		sqlite3_bind_int64(q, 13, b[i].updated);
		if (sqlite3_step(q) != SQLITE_DONE)
			return -EIO;
	}
	return 0;
}

static void
free_all(struct cp_reg *r)
{
	for (unsigned i = 0; i <= r->mask; i++) {
		struct aor *a = r->tab[i], *nx;
		for (; a != NULL; a = nx) {
			nx = a->next;
			free(a->b);
			free(a);
		}
		r->tab[i] = NULL;
	}
	r->n_aors = 0;
	r->dirty = NULL;
}

static void
col_text(sqlite3_stmt *q, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

/* Everything from the store into memory (the store is the truth). 0 or -EIO. */
static int
load(struct cp_reg *r)
{
	sqlite3_stmt *q;
	int rc;
	free_all(r);
	if (sqlite3_prepare_v2(r->db,
		    "SELECT aor, contact, instance, reg_id, q, expires, callid, "
		    "cseq, path, src, sport, transport, updated FROM registrations ORDER BY aor",
		    -1, &q, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct cp_binding b;
		char key[CP_REG_AOR_MAX + 1], src[64];
		memset(&b, 0, sizeof(b));
		col_text(q, 0, key, sizeof(key));
		col_text(q, 1, b.contact, sizeof(b.contact));
		col_text(q, 2, b.instance, sizeof(b.instance));
		b.reg_id = (uint32_t)sqlite3_column_int64(q, 3);
		b.q = (int16_t)sqlite3_column_int(q, 4);
		b.expires = sqlite3_column_int64(q, 5);
		col_text(q, 6, b.callid, sizeof(b.callid));
		b.cseq = (uint32_t)sqlite3_column_int64(q, 7);
		col_text(q, 8, b.path, sizeof(b.path));
		col_text(q, 9, src, sizeof(src));
		if (sip_addr_parse(sip_str_make(src, strlen(src)), &b.src) != 0)
			continue;
		b.sport = (uint16_t)sqlite3_column_int(q, 10);
		b.transport = (uint8_t)sqlite3_column_int(q, 11);
		b.updated = sqlite3_column_int64(q, 12);
		struct aor *a = aor_get(r, key);
		/* A corrupt store must not make us allocate without end. */
		if (a == NULL || a->n >= 1024)
			continue;
		struct cp_binding *nb = realloc(a->b, (a->n + 1) * sizeof(*nb));
		if (nb == NULL)
			break;
		a->b = nb;
		a->b[a->n++] = b;
		a->cap = a->n;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int
keys_store(struct cp_reg *r, const struct cp_nonce_key *k)
{
	sqlite3_stmt *q;
	int rc;
	if (sqlite3_prepare_v2(r->db, "INSERT OR REPLACE INTO nonce_keys (gen, key, created) "
			"VALUES (?, ?, ?)", -1, &q, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(q, 1, k->gen);
	sqlite3_bind_blob(q, 2, k->key, sizeof(k->key), SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, k->created);
	rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(q);
	/* Only the two newest keys are ever used: forget the others. */
	if (rc == 0) {
		char sql[96];
		snprintf(sql, sizeof(sql), "DELETE FROM nonce_keys WHERE gen < %u", k->gen - 1);
		rc = exec(r, sql);
	}
	return rc;
}

/* The two newest keys from the store; a new key when there is none or the newest is too old. */
static int
keys_load(struct cp_reg *r, int64_t now)
{
	sqlite3_stmt *q;
	struct cp_nonce_key k[2];
	unsigned n = 0;
	memset(k, 0, sizeof(k));
	if (sqlite3_prepare_v2(r->db, "SELECT gen, key, created FROM nonce_keys ORDER BY gen DESC "
			"LIMIT 2", -1, &q, NULL) != SQLITE_OK)
		return -EIO;
	while (n < 2 && sqlite3_step(q) == SQLITE_ROW) {
		if (sqlite3_column_bytes(q, 1) != CP_NONCE_KEY_LEN)
			continue;
		k[n].gen = (uint32_t)sqlite3_column_int64(q, 0);
		memcpy(k[n].key, sqlite3_column_blob(q, 1), CP_NONCE_KEY_LEN);
		k[n].created = sqlite3_column_int64(q, 2);
		n++;
	}
	sqlite3_finalize(q);
	if (n > 0)
		cp_nonces_set_keys(r->nonces, &k[0], n > 1 ? &k[1] : NULL);
	if (n == 0 || now - k[0].created >= (int64_t)r->c.nonce_rotate_s)
		return cp_reg_rotate(r, now);
	return 0;
}

int
cp_reg_rotate(struct cp_reg *r, int64_t now)
{
	struct cp_nonce_key k;
	if (cp_nonces_rotate(r->nonces, now, &k) != 0)
		return -EIO;
	/* Outside a batch: its own transaction (autocommit); inside: committed with it. */
	return keys_store(r, &k);
}

/* ---- creation ---- */

struct cp_reg *
cp_reg_create(const struct cp_reg_conf *c, struct cp_store *st, int64_t now, char *err,
		size_t errlen)
{
	struct cp_reg *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->c = *c;
	r->st = st;
	r->db = cp_store_db(st);
	r->mask = 1023;
	r->tab = calloc(r->mask + 1, sizeof(*r->tab));
	r->rc = calloc(RCACHE_SLOTS, sizeof(*r->rc));
	r->nonces = cp_nonces_create(c->nonce_window);
	if (RAND_bytes((unsigned char *)&r->seed, sizeof(r->seed)) != 1)
		r->seed = (uint64_t)(uintptr_t)r;
	if (r->tab == NULL || r->rc == NULL || r->nonces == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (exec(r, schema) != 0 || cp_sub_init(st) != 0 ||
		sqlite3_prepare_v2(r->db, "DELETE FROM registrations WHERE aor = ?", -1, &r->q_del,
			NULL) != SQLITE_OK ||
		sqlite3_prepare_v2(r->db,
			"INSERT INTO registrations (aor, contact, instance, "
			"reg_id, q, expires, callid, cseq, path, src, sport, transport, updated) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			-1, &r->q_ins, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "registrations table: %s", sqlite3_errmsg(r->db));
		goto fail;
	}
	if (load(r) != 0 || keys_load(r, now) != 0) {
		snprintf(err, errlen, "loading registrations and nonce keys: %s",
				sqlite3_errmsg(r->db));
		goto fail;
	}
	return r;
fail:
	cp_reg_free(r);
	return NULL;
}

void
cp_reg_free(struct cp_reg *r)
{
	if (r == NULL)
		return;
	if (r->in_batch)
		exec(r, "ROLLBACK");
	for (unsigned i = 0; i < r->n_pend; i++) {
		free(r->pend[i].resp);
		free(r->pend[i].fail);
	}
	free(r->pend);
	if (r->tab != NULL)
		free_all(r);
	free(r->tab);
	if (r->rc != NULL)
		for (unsigned i = 0; i < RCACHE_SLOTS; i++)
			free(r->rc[i].resp);
	free(r->rc);
	sqlite3_finalize(r->q_del);
	sqlite3_finalize(r->q_ins);
	cp_nonces_free(r->nonces);
	free(r);
}

void
cp_reg_set_conf(struct cp_reg *r, const struct cp_reg_conf *c)
{
	r->c = *c;
}

void
cp_reg_set_stream_io(struct cp_reg *r, cp_reg_send_stream_fn *send, void *ctx)
{
	r->send_stream = send;
	r->stream_ctx = ctx;
}

void
cp_reg_set_io(struct cp_reg *r, cp_reg_send_fn *send, cp_reg_push_fn *push, void *ctx)
{
	r->send = send;
	r->push = push;
	r->ctx = ctx;
}

unsigned
cp_reg_pending(const struct cp_reg *r)
{
	return r->n_pend + (r->in_batch || r->dirty != NULL ? 1u : 0u);
}

/* ---- one request ---- */

struct req {
	struct sip_msg m;
	struct sip_fields f;
	struct sip_addr src;
	uint16_t sport;
	uint8_t transport;        /* enum sip_transport the request came on */
	uint64_t conn;            /* its stream connection, or 0 */
	int64_t now;
	char ckey[sizeof(((struct rcache *)0)->key)];
	size_t cklen;
	unsigned slot;
	bool cacheable;
	bool supported_path, supported_outbound;
	size_t req_len;           /* the request's bytes as received */
	bool authed;              /* its credentials verified (never with auth off) */
};

static unsigned
rc_slot(const struct cp_reg *r, const char *k, size_t n)
{
	return (unsigned)(hash(r, k, n) & (RCACHE_SLOTS - 1));
}

/*
 * Where a response goes (RFC 3261 §18.2.2, RFC 3581): the source with
 * rport, else sent-by. On a stream the response goes on the request's
 * connection; this port is for a new connection if it is gone: the
 * sent-by port or the transport's default.
 */
static uint16_t
reply_port(const struct req *q)
{
	if (q->transport == SIP_TP_TCP || q->transport == SIP_TP_TLS)
		return q->f.top.has_port ? q->f.top.port : (q->transport == SIP_TP_TLS ? 5061 : 5060);
	if (q->f.top.has_rport)
		return q->sport;
	return q->f.top.has_port ? q->f.top.port : 5060;
}

static void
to_tag(const struct req *q, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint32_t i = 0; i < q->f.callid.len; i++) {
		h ^= (unsigned char)q->f.callid.p[i];
		h *= 0x100000001b3ull;
	}
	for (unsigned i = 0; i < 16; i++)
		out[i] = hex[(h >> (4 * i)) & 15];
	out[16] = '\0';
}

/* Build a response into a malloc()ed buffer. */
static char *
build(const struct req *q, uint16_t code, const char *reason, const char *extra, size_t *len)
{
	char tag[17];
	size_t cap = 2048 + (extra ? strlen(extra) : 0) + q->m.len;
	char *out = malloc(cap);
	if (out == NULL)
		return NULL;
	to_tag(q, tag);
	struct sip_reply_opts o = {
		.code = code,
		.reason = reason ? sip_str_make(reason, strlen(reason)) : SIP_STR_NULL,
		.top = &q->f.top,
		.to = &q->f.to,
		.src = &q->src,
		.src_port = q->sport,
		.to_tag = sip_str_make(tag, 16),
		.extra = extra ? sip_str_make(extra, strlen(extra)) : SIP_STR_NULL,
	};
	int n = sip_build_reply(out, cap, &q->m, &o);
	if (n <= 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)n;
	return out;
}

static void
count_status(struct cp_reg *r, unsigned code)
{
	if (code == 200)
		r->cnt[CP_REG_C_REG_OK]++;
	else if (code == 401)
		r->cnt[CP_REG_C_REG_CHALLENGED]++;
	else if (code >= 500)
		r->cnt[CP_REG_C_REG_ERRORS]++;
	else
		r->cnt[CP_REG_C_REG_REFUSED]++;
}

static void
cache_put(struct cp_reg *r, const struct req *q, const char *resp, size_t len, uint16_t code,
		bool pending)
{
	struct rcache *e = &r->rc[q->slot];
	free(e->resp);
	memset(e, 0, sizeof(*e));
	memcpy(e->key, q->ckey, q->cklen);
	e->klen = (uint16_t)q->cklen;
	e->at = q->now;
	e->pending = pending;
	e->status = code;
	if (resp != NULL) {
		e->resp = malloc(len);
		if (e->resp != NULL) {
			memcpy(e->resp, resp, len);
			e->resp_len = len;
		}
	}
}

/* Out to the request's transport: its stream connection, or the UDP socket. */
static void
emit(struct cp_reg *r, const char *buf, size_t len, const struct sip_addr *dst, uint16_t port,
		uint8_t transport, uint64_t conn)
{
	if ((transport == SIP_TP_TCP || transport == SIP_TP_TLS) && r->send_stream != NULL)
		r->send_stream(r->stream_ctx, buf, len, dst, port, transport, conn);
	else if (r->send != NULL)
		r->send(r->ctx, buf, len, dst, port);
}

/*
 * The longest answer q may get: over UDP with authentication on, unless it
 * authenticated, at most amplification times the request (its source may
 * be forged). SIZE_MAX: any. With auth off the registrar is open by choice
 * (anyone registers anything): its 200s list every binding, unlimited, so
 * that a UA's own binding is never cut from them.
 */
static size_t
answer_cap(const struct cp_reg *r, const struct req *q)
{
	if (q->transport != SIP_TP_UDP || !r->c.auth || q->authed || r->c.amplification == 0)
		return SIZE_MAX;
	return r->c.amplification * q->req_len;
}

/*
 * Send a response now (and remember it for retransmissions). Returns code,
 * or 0 when it is not sent: longer than answer_cap() allows.
 */
static int
answer(struct cp_reg *r, const struct req *q, uint16_t code, const char *reason,
		const char *extra)
{
	size_t len = 0;
	char *out = build(q, code, reason, extra, &len);
	if (out != NULL && len > answer_cap(r, q)) {
		r->cnt[CP_REG_C_REG_AMPLIFICATION]++;
		free(out);
		return 0;
	}
	count_status(r, code);
	if (out == NULL)
		return code;
	emit(r, out, len, &q->src, reply_port(q), q->transport, q->conn);
	if (q->cacheable)
		cache_put(r, q, out, len, code, false);
	free(out);
	return code;
}

/*
 * Keep the challenges (one line each, most preferred first) that let the
 * 401 fit answer_cap(); all of them if none would: answer() then sends
 * nothing.
 */
static void
fit_challenges(const struct cp_reg *r, const struct req *q, char *ch, size_t n)
{
	size_t cap = answer_cap(r, q), base = 0;
	if (cap == SIZE_MAX)
		return;
	char *b = build(q, 401, NULL, "", &base);
	free(b);
	size_t keep = n;
	while (keep > 0 && base + keep > cap) {
		/* Drop the last line: back to the end of the one before it. */
		size_t i = keep - 1;
		while (i > 0 && ch[i - 1] != '\n')
			i--;
		keep = i;
	}
	if (keep > 0)
		ch[keep] = '\0';
}

static bool
list_has(const struct sip_msg *m, enum sip_hdr_type t, const char *tag)
{
	for (const struct sip_hdr *h = sip_hdr_first(m, t); h != NULL; h = sip_hdr_next(m, h)) {
		struct sip_str v = sip_hdr_value(m, h);
		const char *p = v.p, *end = v.p + v.len;
		while (p < end) {
			while (p < end && (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' ||
					*p == '\n'))
				p++;
			const char *s = p;
			while (p < end && *p != ',' && *p != ' ' && *p != '\t' && *p != '\r')
				p++;
			if ((size_t)(p - s) == strlen(tag) && strncasecmp(s, tag, strlen(tag)) == 0)
				return true;
		}
	}
	return false;
}

/* Require (step 2): the option-tags we do not support, into unsup ("" if none). */
static void
unsupported(const struct sip_msg *m, char *unsup, size_t cap)
{
	size_t n = 0;
	unsup[0] = '\0';
	for (const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_REQUIRE); h != NULL;
			h = sip_hdr_next(m, h)) {
		struct sip_str v = sip_hdr_value(m, h);
		const char *p = v.p, *end = v.p + v.len;
		while (p < end) {
			while (p < end && (*p == ' ' || *p == '\t' || *p == ',' || *p == '\r' ||
					*p == '\n'))
				p++;
			const char *s = p;
			while (p < end && *p != ',' && *p != ' ' && *p != '\t' && *p != '\r')
				p++;
			size_t l = (size_t)(p - s);
			if (l == 0 || (l == 4 && strncasecmp(s, "path", 4) == 0) ||
					(l == 8 && strncasecmp(s, "outbound", 8) == 0))
				continue;
			int w = snprintf(unsup + n, cap - n, "%s%.*s", n ? ", " : "", (int)l, s);
			if (w < 0 || (size_t)w >= cap - n)
				return;
			n += (size_t)w;
		}
	}
}

static bool
domain_served(struct cp_reg *r, struct sip_str host)
{
	if (r->c.domains[0] == '\0') {
		/* Any domain that has subscribers. */
		char d[CP_SUB_DOMAIN_MAX + 1];
		sqlite3_stmt *q;
		bool ok = false;
		if (host.len == 0 || host.len > CP_SUB_DOMAIN_MAX)
			return false;
		for (uint32_t i = 0; i < host.len; i++)
			d[i] = (char)(host.p[i] >= 'A' && host.p[i] <= 'Z' ? host.p[i] + 32
									   : host.p[i]);
		d[host.len] = '\0';
		if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM subscribers WHERE domain = ? LIMIT 1",
			    -1, &q, NULL) != SQLITE_OK)
			return false;
		sqlite3_bind_text(q, 1, d, -1, SQLITE_STATIC);
		ok = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
		return ok;
	}
	const char *p = r->c.domains;
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n > 0 && sip_str_caseeq(host, p, n))
			return true;
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return false;
}

static int
ha1_lookup(void *ctx, struct sip_str user, struct sip_str realm, enum cp_digest_alg alg,
		char out[CP_DIG_HEX_MAX])
{
	struct cp_reg *r = ctx;
	struct cp_subscriber s;
	if (cp_sub_get(r->st, user, realm, &s) != 0 || s.ha1[alg][0] == '\0')
		return -ENOENT;
	memcpy(out, s.ha1[alg], CP_DIG_HEX_MAX);
	return 0;
}

/* "0.5", "1", "1.000", "0" -> 0..1000; -1 if malformed. */
static int
parse_q(struct sip_str v)
{
	uint32_t i = 0;
	int whole, frac = 0, scale = 100;
	if (v.len == 0 || (v.p[0] != '0' && v.p[0] != '1'))
		return -1;
	whole = v.p[0] - '0';
	i = 1;
	if (i < v.len) {
		if (v.p[i] != '.')
			return -1;
		for (i++; i < v.len; i++) {
			if (v.p[i] < '0' || v.p[i] > '9' || scale == 0)
				return -1;
			frac += (v.p[i] - '0') * scale;
			scale /= 10;
		}
	}
	int q = whole * 1000 + frac;
	return q > 1000 ? -1 : q;
}

/* One Contact of the request, with what step 7 needs. */
struct rcontact {
	struct cp_binding b;      /* as it would be stored */
	uint32_t expires;         /* delta; 0: remove */
};

static void
copy_str(char *dst, size_t cap, struct sip_str s, bool *too_long)
{
	if (s.len >= cap) {
		*too_long = true;
		s.len = (uint32_t)cap - 1;
	}
	if (s.len)
		memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
}

static bool
same_binding(const struct cp_binding *a, const struct cp_binding *b)
{
	/* RFC 5626: an instance with a reg-id names the flow; else the Contact URI does. */
	if (a->instance[0] || b->instance[0])
		return strcmp(a->instance, b->instance) == 0 && a->reg_id == b->reg_id;
	return strcmp(a->contact, b->contact) == 0;
}

/* The 200: every binding with its expires, a Date, Path when asked for, outbound. */
static int
ok_extra(const struct cp_reg *r, const struct req *q, const struct cp_binding *b, unsigned n,
		char *out, size_t cap)
{
	size_t len = 0;
	int w;
	char date[64];
	time_t t = (time_t)q->now;
	struct tm tm;
	bool outbound = false;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	for (unsigned i = 0; i < n; i++) {
		if (b[i].expires <= q->now)
			continue;
		char qv[16] = "";
		if (b[i].q >= 0)
			snprintf(qv, sizeof(qv), ";q=%d.%03d", b[i].q / 1000, b[i].q % 1000);
		char inst[CP_REG_INSTANCE_MAX + 40] = "";
		if (b[i].instance[0])
			snprintf(inst, sizeof(inst), ";+sip.instance=%s", b[i].instance);
		char rid[24] = "";
		if (b[i].reg_id) {
			snprintf(rid, sizeof(rid), ";reg-id=%u", b[i].reg_id);
			outbound = true;
		}
		w = snprintf(out + len, cap - len, "Contact: <%s>;expires=%lld%s%s%s\r\n",
				b[i].contact, (long long)(b[i].expires - q->now), qv, inst, rid);
		if (w < 0 || (size_t)w >= cap - len)
			return -ENOSPC;
		len += (size_t)w;
	}
	/* RFC 3327 §5.3: the Path of this REGISTER goes back when the UA supports path. */
	if (q->supported_path) {
		for (const struct sip_hdr *h = sip_hdr_first(&q->m, SIP_HDR_PATH); h != NULL;
				h = sip_hdr_next(&q->m, h)) {
			struct sip_str v = sip_hdr_value(&q->m, h);
			w = snprintf(out + len, cap - len, "Path: %.*s\r\n", (int)v.len, v.p);
			if (w < 0 || (size_t)w >= cap - len)
				return -ENOSPC;
			len += (size_t)w;
		}
	}
	/* RFC 5626 §6: an outbound registration (reg-id) when the UA supports outbound. */
	if (outbound && q->supported_outbound) {
		w = snprintf(out + len, cap - len, "Require: outbound\r\nFlow-Timer: %u\r\n",
				r->c.flow_timer);
		if (w < 0 || (size_t)w >= cap - len)
			return -ENOSPC;
		len += (size_t)w;
	}
	w = snprintf(out + len, cap - len, "Supported: path, outbound\r\nDate: %s\r\n", date);
	if (w < 0 || (size_t)w >= cap - len)
		return -ENOSPC;
	return (int)(len + (size_t)w);
}

static int
begin_batch(struct cp_reg *r)
{
	if (r->in_batch)
		return 0;
	if (exec(r, "BEGIN IMMEDIATE") != 0)
		return -EIO;
	r->in_batch = true;
	return 0;
}

static int
queue_answer(struct cp_reg *r, struct req *q, char *resp, size_t len)
{
	if (r->n_pend == r->cap_pend) {
		unsigned nc = r->cap_pend ? r->cap_pend * 2 : 64;
		struct pending *np = realloc(r->pend, nc * sizeof(*np));
		if (np == NULL)
			return -ENOMEM;
		r->pend = np;
		r->cap_pend = nc;
	}
	struct pending *p = &r->pend[r->n_pend++];
	memset(p, 0, sizeof(*p));
	p->resp = resp;
	p->len = len;
	p->dst = q->src;
	p->port = reply_port(q);
	p->slot = q->slot;
	p->transport = q->transport;
	p->conn = q->conn;
	p->fail = build(q, 500, "Store Commit Failed", "Retry-After: 5\r\n", &p->fail_len);
	cache_put(r, q, NULL, 0, 200, true);
	return 0;
}

/* Step 6 and 7: the Contacts, the new set of bindings, the store, the 200. */
static int
update(struct cp_reg *r, struct req *q, const char *aorkey)
{
	/* static: large, and the registrar runs on the loop's one thread only. */
	static struct rcontact rcs[CP_REG_MAX_REQ_CONTACTS];
	struct cp_binding *nb = NULL;
	unsigned n_rc = 0, nn = 0;
	bool star = false, too_long = false;
	uint32_t hdr_exp = 0;
	int has_hdr_exp = sip_msg_expires(&q->m, &hdr_exp);
	char extra[8192];
	int code = 0;

	if (has_hdr_exp < 0)
		return answer(r, q, 400, "Bad Expires", NULL);
	/* Contacts of the request. */
	struct sip_cursor cur;
	struct sip_naddr a;
	int rc;
	sip_cursor_init(&cur, &q->m, SIP_HDR_CONTACT);
	while ((rc = sip_naddr_next(&cur, &a, SIP_NADDR_LIST | SIP_NADDR_STAR |
			SIP_NADDR_CHECK_URI)) == 1) {
		if (a.star) {
			star = true;
			n_rc++;
			continue;
		}
		if (n_rc >= CP_REG_MAX_REQ_CONTACTS)
			return answer(r, q, 403, "Too Many Contacts In One Request", NULL);
		struct rcontact *c = &rcs[n_rc++];
		struct sip_str v;
		memset(c, 0, sizeof(*c));
		copy_str(c->b.contact, sizeof(c->b.contact), a.uri, &too_long);
		c->b.q = -1;
		if (sip_param_get(a.params, "q", 1, &v) == 1) {
			int qq = parse_q(v);
			if (qq < 0)
				return answer(r, q, 400, "Bad q-value", NULL);
			c->b.q = (int16_t)qq;
		}
		if (sip_param_get(a.params, "+sip.instance", 13, &v) == 1)
			copy_str(c->b.instance, sizeof(c->b.instance), v, &too_long);
		if (sip_param_get(a.params, "reg-id", 6, &v) == 1) {
			uint32_t id;
			if (sip_delta_seconds(v, &id) != 0 || id == 0)
				return answer(r, q, 400, "Bad reg-id", NULL);
			if (c->b.instance[0] == '\0')
				return answer(r, q, 400, "reg-id Without +sip.instance", NULL);
			c->b.reg_id = id;
		}
		if (sip_param_get(a.params, "expires", 7, &v) == 1) {
			if (sip_delta_seconds(v, &c->expires) != 0)
				return answer(r, q, 400, "Bad Contact expires", NULL);
		} else if (has_hdr_exp == 1) {
			c->expires = hdr_exp;
		} else {
			c->expires = r->c.default_expires;
		}
		if (c->expires > 0 && c->expires < r->c.min_expires) {
			char mx[48];
			snprintf(mx, sizeof(mx), "Min-Expires: %u\r\n", r->c.min_expires);
			return answer(r, q, 423, NULL, mx);
		}
		if (c->expires > r->c.max_expires)
			c->expires = r->c.max_expires;
		copy_str(c->b.callid, sizeof(c->b.callid), q->f.callid, &too_long);
		c->b.cseq = q->f.cseq.seq;
		c->b.src = q->src;
		c->b.sport = q->sport;
		c->b.transport = q->transport;
		c->b.conn = q->conn;
		c->b.updated = q->now;
		c->b.expires = q->now + (int64_t)c->expires;
		/* Path values, joined. */
		size_t pl = 0;
		for (const struct sip_hdr *h = sip_hdr_first(&q->m, SIP_HDR_PATH); h != NULL;
				h = sip_hdr_next(&q->m, h)) {
			struct sip_str pv = sip_hdr_value(&q->m, h);
			int w = snprintf(c->b.path + pl, sizeof(c->b.path) - pl, "%s%.*s",
					pl ? ", " : "", (int)pv.len, pv.p);
			if (w < 0 || (size_t)w >= sizeof(c->b.path) - pl) {
				too_long = true;
				break;
			}
			pl += (size_t)w;
		}
	}
	if (rc < 0)
		return answer(r, q, 400, "Bad Contact", NULL);
	if (too_long)
		return answer(r, q, 400, "Contact, Call-ID or Path Too Long", NULL);

	struct aor *cur_aor = aor_find(r, aorkey);
	const struct cp_binding *old = cur_aor ? cur_aor->b : NULL;
	unsigned n_old = cur_aor ? cur_aor->n : 0;

	if (n_rc == 0) {
		/* A query (step 6): the bindings as they are, nothing written. */
		int l = ok_extra(r, q, old, n_old, extra, sizeof(extra));
		if (l < 0)
			return answer(r, q, 500, "Response Too Large", NULL);
		return answer(r, q, 200, NULL, extra);
	}
	if (star && (n_rc != 1 || has_hdr_exp != 1 || hdr_exp != 0))
		return answer(r, q, 400, "Contact * Needs Expires 0 And No Other Contact", NULL);

	/* The new set: the live old bindings, then the request's changes (step 7). */
	nb = malloc((n_old + n_rc + 1) * sizeof(*nb));
	if (nb == NULL)
		return answer(r, q, 500, "Out Of Memory", NULL);
	for (unsigned i = 0; i < n_old; i++)
		if (old[i].expires > q->now)
			nb[nn++] = old[i];
	if (star) {
		for (unsigned i = 0; i < nn; i++)
			if (sip_str_eq(q->f.callid,
				    sip_str_make(nb[i].callid, strlen(nb[i].callid))) &&
				q->f.cseq.seq <= nb[i].cseq) {
				code = answer(r, q, 500, "Out Of Order CSeq", NULL);
				goto out;
			}
		nn = 0;
	} else {
		for (unsigned k = 0; k < n_rc; k++) {
			struct rcontact *c = &rcs[k];
			unsigned i;
			for (i = 0; i < nn; i++)
				if (same_binding(&nb[i], &c->b))
					break;
			if (i < nn) {
				if (strcmp(nb[i].callid, c->b.callid) == 0 &&
					c->b.cseq <= nb[i].cseq) {
					code = answer(r, q, 500, "Out Of Order CSeq", NULL);
					goto out;
				}
				if (c->expires == 0) {
					nb[i] = nb[--nn];
				} else {
					nb[i] = c->b;
				}
			} else if (c->expires > 0) {
				nb[nn++] = c->b;
			}
		}
		if (nn > r->c.max_contacts) {
			if (!r->c.evict_oldest) {
				code = answer(r, q, 403, "Too Many Contacts", NULL);
				goto out;
			}
			while (nn > r->c.max_contacts) {
				unsigned o = 0;
				for (unsigned i = 1; i < nn; i++)
					if (nb[i].updated < nb[o].updated)
						o = i;
				nb[o] = nb[--nn];
			}
		}
	}

	/* Room in memory first: once the store has the change, applying it cannot fail. */
	struct aor *dst = aor_get(r, aorkey);
	if (dst == NULL || aor_reserve(dst, nn) != 0) {
		code = answer(r, q, 500, "Out Of Memory", NULL);
		goto out;
	}
	/* Store: one SAVEPOINT for the whole request, in the batch's transaction. */
	if (begin_batch(r) != 0 || exec(r, "SAVEPOINT reg") != 0) {
		code = answer(r, q, 500, "Store Unavailable", "Retry-After: 5\r\n");
		goto out;
	}
	if (store_aor(r, aorkey, nb, nn) != 0 || exec(r, "RELEASE reg") != 0) {
		exec(r, "ROLLBACK TO reg");
		exec(r, "RELEASE reg");
		code = answer(r, q, 500, "Store Write Failed", "Retry-After: 5\r\n");
		goto out;
	}
	aor_set(dst, nb, nn);
	mark_dirty(r, dst);
	int l = ok_extra(r, q, nb, nn, extra, sizeof(extra));
	size_t len = 0;
	char *resp = l < 0 ? NULL : build(q, 200, NULL, extra, &len);
	if (resp == NULL || queue_answer(r, q, resp, len) != 0) {
		free(resp);
		code = 500;
		goto out;
	}
	code = 200;
out:
	free(nb);
	return code;
}

int
cp_reg_input(struct cp_reg *r, const char *buf, size_t len, const struct sip_addr *src,
		uint16_t sport, int64_t now)
{
	return cp_reg_input_tp(r, buf, len, src, sport, SIP_TP_UDP, 0, now);
}

int
cp_reg_input_tp(struct cp_reg *r, const char *buf, size_t len, const struct sip_addr *src,
		uint16_t sport, uint8_t transport, uint64_t conn, int64_t now)
{
	/* static: a parsed message is large, and the registrar runs on one thread. */
	static struct req q;
	struct sip_verdict v;
	int rc;

	memset(&q.f, 0, sizeof(q.f));
	q.src = *src;
	q.sport = sport;
	q.transport = transport;
	q.conn = conn;
	q.now = now;
	q.cacheable = false;
	q.req_len = len;
	q.authed = false;
	rc = sip_parse(&q.m, buf, len, 0);
	if (rc == -SIP_E_EMPTY)
		return 0; /* a keep-alive */
	if (!(q.m.flags & SIP_MSG_START_OK) || !sip_is_request(&q.m))
		return 0;
	if (sip_inspect(&q.m, rc, 0, &v, &q.f) != 0) {
		if (v.status == 0 || !(q.m.flags & SIP_MSG_HDRS_OK) || q.f.top.sent_by.len == 0)
			return 0;
		return answer(r, &q, v.status, NULL, NULL);
	}
	if (q.m.method == SIP_METHOD_ACK)
		return 0;
	if (q.m.method == SIP_METHOD_OPTIONS)
		return answer(r, &q, 200, NULL, "Allow: REGISTER, OPTIONS\r\nSupported: path, "
				"outbound\r\n");
	if (q.m.method != SIP_METHOD_REGISTER)
		return answer(r, &q, 405, NULL, "Allow: REGISTER, OPTIONS\r\n");
	r->cnt[CP_REG_C_REG_REQUESTS]++;

	/* A retransmission (same Call-ID, CSeq, branch, source): the same answer. */
	char sa[64];
	size_t sl = sip_addr_format(src, sa, sizeof(sa));
	int kl = snprintf(q.ckey, sizeof(q.ckey), "%.*s|%u|%.*s|%.*s|%u", (int)q.f.callid.len,
		q.f.callid.p, q.f.cseq.seq, (int)q.f.top.branch.len, q.f.top.branch.p, (int)sl, sa,
		sport);
	if (kl > 0 && (size_t)kl < sizeof(q.ckey)) {
		q.cklen = (size_t)kl;
		q.slot = rc_slot(r, q.ckey, q.cklen);
		q.cacheable = true;
		struct rcache *e = &r->rc[q.slot];
		if (e->klen == q.cklen && memcmp(e->key, q.ckey, q.cklen) == 0 &&
				now - e->at <= (int64_t)r->c.retrans_window_s) {
			r->cnt[CP_REG_C_REG_RETRANS]++;
			if (e->pending || e->resp == NULL)
				return 0;
			/*
			 * A retransmission is as long as the original; a shorter copy of
			 * a long request must not draw the long request's answer.
			 */
			if (e->resp_len > answer_cap(r, &q)) {
				r->cnt[CP_REG_C_REG_AMPLIFICATION]++;
				return 0;
			}
			emit(r, e->resp, e->resp_len, src, reply_port(&q), transport, conn);
			return e->status;
		}
	}

	/* Step 1: a domain we serve. */
	if (q.f.ruri.scheme_id != SIP_SCHEME_SIP && q.f.ruri.scheme_id != SIP_SCHEME_SIPS)
		return answer(r, &q, 416, NULL, NULL);
	if (!domain_served(r, q.f.ruri.host))
		return answer(r, &q, 404, "Domain Not Served", NULL);
	/* Step 2: Require. */
	char unsup[256], extra[320];
	unsupported(&q.m, unsup, sizeof(unsup));
	if (unsup[0]) {
		snprintf(extra, sizeof(extra), "Unsupported: %s\r\n", unsup);
		return answer(r, &q, 420, NULL, extra);
	}
	q.supported_path = list_has(&q.m, SIP_HDR_SUPPORTED, "path");
	q.supported_outbound = list_has(&q.m, SIP_HDR_SUPPORTED, "outbound");
	/* Step 3: authentication, realm = the domain. */
	char realm_buf[CP_SUB_DOMAIN_MAX + 1];
	struct sip_str host = q.f.ruri.host;
	if (host.len > CP_SUB_DOMAIN_MAX)
		return answer(r, &q, 404, "Domain Not Served", NULL);
	for (uint32_t i = 0; i < host.len; i++)
		realm_buf[i] = (char)(host.p[i] >= 'A' && host.p[i] <= 'Z' ? host.p[i] + 32 :
				host.p[i]);
	struct sip_str realm = sip_str_make(realm_buf, host.len);
	struct cp_auth_result ar = {.v = CP_AUTH_OK};
	if (r->c.auth) {
		cp_auth_check(r->nonces, &r->c.authc, ha1_lookup, r, &q.m, realm, now, &ar);
		switch (ar.v) {
		case CP_AUTH_OK:
			q.authed = true;
			break;
		case CP_AUTH_CHALLENGE:
		case CP_AUTH_STALE: {
			char ch[1024];
			int n = cp_auth_challenge(r->nonces, &r->c.authc, realm, now,
					ar.v == CP_AUTH_STALE, ch, sizeof(ch));
			if (n < 0)
				return answer(r, &q, 500, "No Nonce Key", NULL);
			fit_challenges(r, &q, ch, (size_t)n);
			/*
			 * Cached like every answer: a retransmission gets these very bytes
			 * (RFC 3261 §17.2.2), which clients recognise as a retransmission;
			 * a fresh challenge would read as a new answer.
			 */
			return answer(r, &q, 401, NULL, ch);
		}
		case CP_AUTH_BAD:
			return answer(r, &q, 400, ar.why, NULL);
		case CP_AUTH_ERROR:
			return answer(r, &q, 500, NULL, NULL);
		}
	}
	/* Step 4 and 5: the AOR (To), ours to register, in the Request-URI's domain. */
	struct sip_uri to;
	if (sip_uri_parse(&to, q.f.to.uri.p, q.f.to.uri.len) != 0 ||
			(to.scheme_id != SIP_SCHEME_SIP && to.scheme_id != SIP_SCHEME_SIPS) ||
			to.user.len == 0)
		return answer(r, &q, 404, "Address-of-record Not Valid", NULL);
	if (!sip_str_caseeq(to.host, realm.p, realm.len))
		return answer(r, &q, 404, "Address-of-record Not In This Domain", NULL);
	if (r->c.auth && (!sip_str_eq(ar.user, to.user)))
		return answer(r, &q, 403, "Not Your Address-of-record", NULL);
	char aorkey[CP_REG_AOR_MAX + 1];
	int an = sip_aor_key(aorkey, CP_REG_AOR_MAX, to.user, to.host);
	if (an <= 0)
		return answer(r, &q, 400, "Address-of-record Too Long", NULL);
	aorkey[an] = '\0';
	return update(r, &q, aorkey);
}

static void
push_dirty(struct cp_reg *r, int64_t now)
{
	struct aor *a = r->dirty, *nx;
	r->dirty = NULL;
	for (; a != NULL; a = nx) {
		nx = a->dirty_next;
		a->dirty = false;
		a->dirty_next = NULL;
		if (r->push != NULL) {
			r->push(r->ctx, a->key, best_of(a->b, a->n, now));
			r->cnt[CP_REG_C_REG_PUSHES]++;
		}
		if (a->n == 0)
			aor_unlink_free(r, a);
	}
}

int
cp_reg_flush(struct cp_reg *r)
{
	int rc = 0;
	unsigned n = r->n_pend;
	if (!r->in_batch && n == 0 && r->dirty == NULL)
		return 0;
	if (r->in_batch) {
		if (exec(r, "COMMIT") != 0) {
			exec(r, "ROLLBACK");
			rc = -EIO;
		}
		r->in_batch = false;
		r->cnt[CP_REG_C_REG_COMMITS]++;
	}
	if (rc != 0) {
		/* Nothing of the batch is on disk: memory goes back to the store's state. */
		struct aor *a = r->dirty;
		r->dirty = NULL;
		for (; a != NULL; a = a->dirty_next)
			a->dirty = false;
		load(r);
	}
	int64_t now = 0;
	for (unsigned i = 0; i < n; i++) {
		struct pending *p = &r->pend[i];
		struct rcache *e = &r->rc[p->slot];
		const char *out = rc == 0 ? p->resp : p->fail;
		size_t len = rc == 0 ? p->len : p->fail_len;
		if (out != NULL)
			emit(r, out, len, &p->dst, p->port, p->transport, p->conn);
		count_status(r, rc == 0 ? 200 : 500);
		if (e->pending) {
			e->pending = false;
			if (rc == 0) {
				e->resp = p->resp;
				e->resp_len = p->len;
				p->resp = NULL;
			} else {
				e->klen = 0; /* a failed one may be retried */
			}
			if (e->at > now)
				now = e->at;
		}
		free(p->resp);
		free(p->fail);
	}
	r->n_pend = 0;
	if (now == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now = ts.tv_sec;
	}
	push_dirty(r, now);
	return rc == 0 ? (int)n : -EIO;
}

unsigned
cp_reg_expire(struct cp_reg *r, int64_t now)
{
	unsigned gone = 0;
	for (unsigned i = 0; i <= r->mask; i++)
		for (struct aor *a = r->tab[i]; a != NULL; a = a->next) {
			unsigned k = 0, before = a->n;
			for (unsigned j = 0; j < a->n; j++)
				if (a->b[j].expires > now)
					a->b[k++] = a->b[j];
			if (k == before)
				continue;
			a->n = k;
			gone += before - k;
			mark_dirty(r, a);
		}
	if (gone == 0)
		return 0;
	r->cnt[CP_REG_C_REG_EXPIRED] += gone;
	/* The store forgets them too (in the open batch if there is one). */
	char sql[80];
	snprintf(sql, sizeof(sql), "DELETE FROM registrations WHERE expires <= %lld",
			(long long)now);
	exec(r, sql);
	if (!r->in_batch)
		push_dirty(r, now);
	return gone;
}

int
cp_reg_remove(struct cp_reg *r, const char *aor)
{
	struct aor *a = aor_find(r, aor);
	if (a == NULL || a->n == 0)
		return -ENOENT;
	if (begin_batch(r) != 0 || exec(r, "SAVEPOINT reg") != 0)
		return -EIO;
	if (store_aor(r, aor, NULL, 0) != 0 || exec(r, "RELEASE reg") != 0) {
		exec(r, "ROLLBACK TO reg");
		exec(r, "RELEASE reg");
		return -EIO;
	}
	a->n = 0;
	mark_dirty(r, a);
	return cp_reg_flush(r) < 0 ? -EIO : 0;
}

/*
 * Rewrite a changed AOR's bindings in the batch (as cp_reg_remove() does,
 * without committing: the caller's flush does). false on a store failure
 * (memory untouched).
 */
static bool
rewrite(struct cp_reg *r, struct aor *a, const struct cp_binding *nb, unsigned nn)
{
	if (begin_batch(r) != 0 || exec(r, "SAVEPOINT reg") != 0)
		return false;
	if (store_aor(r, a->key, nb, nn) != 0 || exec(r, "RELEASE reg") != 0) {
		exec(r, "ROLLBACK TO reg");
		exec(r, "RELEASE reg");
		return false;
	}
	aor_set(a, nb, nn);
	mark_dirty(r, a);
	return true;
}

static bool
is_stream(uint8_t tp)
{
	return tp == SIP_TP_TCP || tp == SIP_TP_TLS;
}

/* Drop flow bindings matching (conn, or every stream one with conn == 0 when all). */
static unsigned
drop(struct cp_reg *r, uint64_t conn, bool all, int64_t now)
{
	unsigned gone = 0;
	(void)now;
	for (unsigned i = 0; i <= r->mask; i++)
		for (struct aor *a = r->tab[i]; a != NULL; a = a->next) {
			bool touched = false;
			unsigned k = 0, removed = 0;
			/* In place on a copy: a store failure leaves memory as it was. */
			struct cp_binding *nb = NULL;
			for (unsigned j = 0; j < a->n; j++) {
				const struct cp_binding *b = &a->b[j];
				bool mine = all ? is_stream(b->transport) && b->conn == 0 :
						b->conn == conn;
				if (mine)
					touched = true;
			}
			if (!touched)
				continue;
			nb = malloc(a->n * sizeof(*nb));
			if (nb == NULL)
				continue;
			for (unsigned j = 0; j < a->n; j++) {
				struct cp_binding b = a->b[j];
				bool mine = all ? is_stream(b.transport) && b.conn == 0 :
						b.conn == conn;
				if (mine && b.reg_id != 0) {
					removed++;
					continue;
				}
				if (mine)
					b.conn = 0;
				nb[k++] = b;
			}
			if (removed == 0) {
				/* Only the connection forgotten: memory only (never stored). */
				aor_set(a, nb, k);
			} else if (rewrite(r, a, nb, k)) {
				gone += removed;
			}
			free(nb);
		}
	return gone;
}

unsigned
cp_reg_conn_closed(struct cp_reg *r, uint64_t conn, int64_t now)
{
	if (conn == 0)
		return 0;
	return drop(r, conn, false, now);
}

unsigned
cp_reg_drop_flows(struct cp_reg *r, int64_t now)
{
	return drop(r, 0, true, now);
}

int64_t
cp_reg_conn_expires(const struct cp_reg *r, uint64_t conn, int64_t now)
{
	int64_t until = 0;
	if (conn == 0)
		return 0;
	for (unsigned i = 0; i <= r->mask; i++)
		for (const struct aor *a = r->tab[i]; a != NULL; a = a->next)
			for (unsigned j = 0; j < a->n; j++)
				if (a->b[j].conn == conn && a->b[j].expires > now &&
						a->b[j].expires > until)
					until = a->b[j].expires;
	return until;
}
