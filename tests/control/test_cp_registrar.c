/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar (control/cp_registrar.c), table-driven: each row is a
 * REGISTER (credentials, Request-URI, To, Call-ID/CSeq, headers) sent to
 * one registrar in order, with the status it must get, a text its
 * response must hold, and the AOR's bindings after it. Then: the AOR key
 * table shared with the dataplane's tests, group commit (no 200 before
 * the commit), a store failure (500, nothing changed), persistence across
 * a re-open, expiry and the pushes of the best binding, eviction.
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

#include "aor_cases.h"
#include "cp_app.h"
#include "cp_config.h"
#include "cp_digest.h"
#include "cp_registrar.h"
#include "cp_store.h"
#include "cp_subscribers.h"
#include "sip.h"

#define S(x) sip_str_make((x), strlen(x))

struct h {
	char path[64];
	struct cp_store *st;
	struct cp_reg *r;
	struct cp_reg_conf c;
	int64_t now;
	char last[8192];
	size_t last_len;
	unsigned sent;
	char req[8192];
	size_t req_len;
	/* pushes */
	char push_aor[128];
	char push_contact[256];
	bool push_none;
	unsigned pushes;
	/* responses to stream requests */
	unsigned stream_sent;
	uint8_t stream_tp;
	uint64_t stream_conn;
	uint16_t stream_port;
};

static void
on_stream_send(void *ctx, const char *buf, size_t len, const struct sip_addr *dst, uint16_t port,
		uint8_t transport, uint64_t conn)
{
	struct h *h = ctx;
	(void)dst;
	assert_true(len < sizeof(h->last));
	memcpy(h->last, buf, len);
	h->last[len] = '\0';
	h->last_len = len;
	h->stream_sent++;
	h->stream_tp = transport;
	h->stream_conn = conn;
	h->stream_port = port;
}

static void
on_send(void *ctx, const char *buf, size_t len, const struct sip_addr *dst, uint16_t port)
{
	struct h *h = ctx;
	(void)dst;
	(void)port;
	assert_true(len < sizeof(h->last));
	memcpy(h->last, buf, len);
	h->last[len] = '\0';
	h->last_len = len;
	h->sent++;
}

static void
on_push(void *ctx, const char *aor, const struct cp_binding *best)
{
	struct h *h = ctx;
	snprintf(h->push_aor, sizeof(h->push_aor), "%s", aor);
	snprintf(h->push_contact, sizeof(h->push_contact), "%s", best ? best->contact : "");
	h->push_none = best == NULL;
	h->pushes++;
}

static void
open_reg(struct h *h)
{
	char err[256];
	h->st = cp_store_open(h->path, err, sizeof(err));
	assert_non_null(h->st);
	h->r = cp_reg_create(&h->c, h->st, h->now, err, sizeof(err));
	if (h->r == NULL)
		fail_msg("cp_reg_create: %s", err);
	cp_reg_set_io(h->r, on_send, on_push, h);
}

static void
close_reg(struct h *h)
{
	cp_reg_free(h->r);
	cp_store_close(h->st);
	h->r = NULL;
	h->st = NULL;
}

static struct h *
setup_h(void)
{
	struct h *h = calloc(1, sizeof(*h));
	struct cp_subscriber s;
	snprintf(h->path, sizeof(h->path), "/tmp/test_cp_reg.XXXXXX");
	int fd = mkstemp(h->path);
	assert_true(fd >= 0);
	close(fd);
	cp_reg_conf_defaults(&h->c);
	snprintf(h->c.domains, sizeof(h->c.domains), "example.com");
	h->c.max_contacts = 3;
	h->now = 1765000000;
	open_reg(h);
	assert_int_equal(cp_sub_from_password(&s, "alice", "example.com", "secret"), 0);
	assert_int_equal(cp_sub_put(h->st, &s), 0);
	assert_int_equal(cp_sub_from_password(&s, "bob", "example.com", "hunter2"), 0);
	assert_int_equal(cp_sub_put(h->st, &s), 0);
	return h;
}

static void
teardown_h(struct h *h)
{
	close_reg(h);
	unlink(h->path);
	char p[80];
	snprintf(p, sizeof(p), "%s-wal", h->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", h->path);
	unlink(p);
	free(h);
}

static int
status_of(const struct h *h)
{
	return h->sent ? atoi(h->last + 8) : 0;
}

static void
compose(struct h *h, const char *ruri, const char *to, const char *callid, uint32_t cseq,
		const char *branch, const char *auth, const char *hdrs)
{
	int n = snprintf(h->req, sizeof(h->req), "REGISTER %s SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 192.0.2.10:5062;rport;branch=z9hG4bK%s\r\n"
			"Max-Forwards: 70\r\nFrom: <sip:%s>;tag=f1\r\nTo: <sip:%s>\r\n"
			"Call-ID: %s\r\nCSeq: %u REGISTER\r\n%s%sContent-Length: 0\r\n\r\n", ruri,
			branch, to, to, callid, cseq, auth, hdrs);
	assert_true(n > 0 && (size_t)n < sizeof(h->req));
	h->req_len = (size_t)n;
}

static int
send_req(struct h *h)
{
	struct sip_addr src;
	assert_int_equal(sip_addr_parse(S("192.0.2.10"), &src), 0);
	h->sent = 0;
	int code = cp_reg_input(h->r, h->req, h->req_len, &src, 5062, h->now);
	if (cp_reg_pending(h->r))
		assert_true(cp_reg_flush(h->r) >= 0);
	assert_int_equal(code, status_of(h));
	return code;
}

/* A REGISTER; with user/pass: first unauthenticated (a 401 must come), then with credentials. */
static int
reg(struct h *h, const char *user, const char *pass, const char *ruri, const char *to,
		const char *callid, uint32_t cseq, const char *hdrs)
{
	char branch[64];
	snprintf(branch, sizeof(branch), "%s-%u", callid, cseq);
	if (user == NULL) {
		compose(h, ruri, to, callid, cseq, branch, "", hdrs);
		return send_req(h);
	}
	compose(h, ruri, to, callid, cseq, branch, "", hdrs);
	int c401 = send_req(h);
	if (c401 != 401)
		return c401;
	/* The strongest challenge comes first: answer it (SHA-512-256). */
	const char *p = strstr(h->last, "nonce=\"");
	assert_non_null(p);
	char nonce[CP_NONCE_LEN + 1], ha1[CP_DIG_HEX_MAX], resp[CP_DIG_HEX_MAX], auth[1024];
	memcpy(nonce, p + 7, CP_NONCE_LEN);
	nonce[CP_NONCE_LEN] = '\0';
	const char *realm = strchr(ruri, ':') + 1;
	assert_int_equal(cp_digest_ha1(CP_DIG_SHA512_256, S(user), S(realm), S(pass), ha1), 0);
	assert_int_equal(cp_digest_response(CP_DIG_SHA512_256, S(ha1), S(nonce), S("00000001"),
			S("abc"), S("auth"), S("REGISTER"), S(ruri), resp), 0);
	snprintf(auth, sizeof(auth),
		"Authorization: Digest username=\"%s\", realm=\"%s\", "
		"nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=SHA-512-256, cnonce=\"abc\", "
		"qop=auth, nc=00000001\r\n",
		user, realm, nonce, ruri, resp);
	strcat(branch, "a");
	compose(h, ruri, to, callid, cseq + 1, branch, auth, hdrs);
	return send_req(h);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "uri uri ..." sorted, live bindings only. */
static void
bindings_text(struct h *h, const char *aor, char *out, size_t cap)
{
	unsigned n;
	const struct cp_binding *b = cp_reg_bindings(h->r, aor, &n);
	const char *v[64];
	unsigned k = 0;
	for (unsigned i = 0; i < n && k < 64; i++)
		if (b[i].expires > h->now)
			v[k++] = b[i].contact;
	qsort(v, k, sizeof(v[0]), cmp_str);
	out[0] = '\0';
	for (unsigned i = 0; i < k; i++) {
		strncat(out, i ? " " : "", cap - strlen(out) - 1);
		strncat(out, v[i], cap - strlen(out) - 1);
	}
}

struct rcase {
	const char *name;
	const char *user, *pass;  /* credentials, or NULL */
	const char *ruri;         /* NULL: sip:example.com */
	const char *to;           /* NULL: alice@example.com */
	const char *callid;       /* NULL: "c1" */
	uint32_t cseq;
	const char *hdrs;
	bool resend;              /* send the previous request's bytes again instead */
	int status;
	const char *has;          /* in the response, or NULL */
	const char *hasnt;        /* not in the response, or NULL */
	const char *after;        /* alice@example.com's bindings after, sorted */
};

#define CT(u) "Contact: <" u ">\r\n"
#define A1 "sip:alice@192.0.2.10:5062"
#define A2 "sip:alice@192.0.2.11:5062"
#define A3 "sip:alice@192.0.2.12:5062"
#define A4 "sip:alice@192.0.2.13:5062"

static const struct rcase rcases[] = {
	{"no credentials: challenge, strongest first", NULL, NULL, NULL, NULL, "c0", 1, CT(A1),
		false, 401, "algorithm=SHA-512-256", NULL, ""},
	{"register one", "alice", "secret", NULL, NULL, "c1", 1, CT(A1) "Expires: 3600\r\n", false,
		200, "expires=3600", NULL, A1},
	{"retransmission: the same 200 from the cache", NULL, NULL, NULL, NULL, NULL, 0, NULL, true,
		200, "expires=3600", NULL, A1},
	{"same Call-ID, CSeq not higher, same binding: refused", "alice", "secret", NULL, NULL,
		"c1", 0, CT(A1), false, 500, "Out Of Order CSeq", NULL, A1},
	{"wrong password: challenged again, nothing changes", "alice", "wrong", NULL, NULL, "c2", 1,
		CT(A2), false, 401, "WWW-Authenticate", NULL, A1},
	{"unknown user: the same answer", "mallory", "secret", NULL, "mallory@example.com", "c3", 1,
		CT("sip:m@192.0.2.66"), false, 401, NULL, NULL, A1},
	{"another user's AOR: 403", "bob", "hunter2", NULL, NULL, "c4", 1, CT(A2), false, 403, NULL,
		NULL, A1},
	{"domain not served: 404", NULL, NULL, "sip:example.org", "alice@example.org", "c5", 1,
		CT(A2), false, 404, NULL, NULL, A1},
	{"AOR in another domain: 404", "alice", "secret", NULL, "alice@example.net", "c5b", 1,
		CT(A2), false, 404, NULL, NULL, A1},
	{"Require of an unknown extension: 420 before authentication", NULL, NULL, NULL, NULL, "c6",
		1, CT(A2) "Require: foo, path\r\n", false, 420, "Unsupported: foo", "path", A1},
	{"expires below the minimum: 423", "alice", "secret", NULL, NULL, "c7", 1,
		"Contact: <" A2 ">;expires=10\r\n", false, 423, "Min-Expires: 60", NULL, A1},
	{"expires above the maximum: clamped", "alice", "secret", NULL, NULL, "c8", 1,
		"Contact: <" A2 ">;expires=999999\r\n", false, 200, "expires=86400", NULL,
		A1 " " A2},
	{"Contact expires wins over Expires; q kept", "alice", "secret", NULL, NULL, "c9", 1,
		"Contact: <" A3 ">;expires=120;q=0.5\r\nExpires: 3600\r\n", false, 200,
		"<" A3 ">;expires=120;q=0.500", NULL, A1 " " A2 " " A3},
	{"a fourth contact over max_contacts 3: 403", "alice", "secret", NULL, NULL, "c10", 1,
		CT(A4), false, 403, "Too Many Contacts", NULL, A1 " " A2 " " A3},
	{"query: every binding, a Date, nothing changed", "alice", "secret", NULL, NULL, "c11", 1,
		"", false, 200, "Date: ", NULL, A1 " " A2 " " A3},
	{"update of one binding: same Call-ID, higher CSeq", "alice", "secret", NULL, NULL, "c1", 5,
		"Contact: <" A1 ">;expires=600\r\n", false, 200, "<" A1 ">;expires=600", NULL,
		A1 " " A2 " " A3},
	{"remove one with expires=0", "alice", "secret", NULL, NULL, "c12", 1,
		"Contact: <" A2 ">;expires=0\r\n", false, 200, NULL, A2, A1 " " A3},
	{"Path stored and echoed with Supported: path", "alice", "secret", NULL, NULL, "c13", 1,
		CT(A4) "Path: <sip:edge.example.com;lr>\r\nSupported: path\r\n", false, 200,
		"Path: <sip:edge.example.com;lr>", NULL, A1 " " A3 " " A4},
	{"Contact * with Expires other than 0: 400", "alice", "secret", NULL, NULL, "c14", 1,
		"Contact: *\r\nExpires: 5\r\n", false, 400, NULL, NULL, A1 " " A3 " " A4},
	{"Contact * with another Contact: 400", "alice", "secret", NULL, NULL, "c15", 1,
		"Contact: *\r\nContact: <" A2 ">\r\nExpires: 0\r\n", false, 400, NULL, NULL,
		A1 " " A3 " " A4},
	{"Contact * without Expires: 400", "alice", "secret", NULL, NULL, "c16", 1,
		"Contact: *\r\n", false, 400, NULL, NULL, A1 " " A3 " " A4},
	{"Contact * on the Call-ID of a binding, CSeq not higher: refused", "alice", "secret", NULL,
		NULL, "c1", 3, "Contact: *\r\nExpires: 0\r\n", false, 500, NULL, NULL,
		A1 " " A3 " " A4},
	{"Contact * with Expires 0: everything removed", "alice", "secret", NULL, NULL, "c17", 1,
		"Contact: *\r\nExpires: 0\r\n", false, 200, NULL, "Contact:", ""},
	{"RFC 5626: one binding per instance and reg-id", "alice", "secret", NULL, NULL, "c18", 1,
		"Contact: <" A1
		">;+sip.instance=\"<urn:uuid:1>\";reg-id=1\r\nSupported: outbound\r\n",
		false, 200, "Flow-Timer: ", NULL, A1},
	{"same instance and reg-id, new Contact URI: replaced", "alice", "secret", NULL, NULL,
		"c19", 1, "Contact: <" A2 ">;+sip.instance=\"<urn:uuid:1>\";reg-id=1\r\n", false,
		200, "reg-id=1", NULL, A2},
	{"another reg-id of the instance: a second flow", "alice", "secret", NULL, NULL, "c20", 1,
		"Contact: <" A3 ">;+sip.instance=\"<urn:uuid:1>\";reg-id=2\r\n", false, 200, NULL,
		NULL, A2 " " A3},
	{"reg-id without an instance: 400", "alice", "secret", NULL, NULL, "c21", 1,
		"Contact: <" A4 ">;reg-id=1\r\n", false, 400, NULL, NULL, A2 " " A3},
	{"bad q-value: 400", "alice", "secret", NULL, NULL, "c22", 1, "Contact: <" A4 ">;q=1.5\r\n",
		false, 400, NULL, NULL, A2 " " A3},
	{"OPTIONS: 200", NULL, NULL, NULL, NULL, NULL, 0, NULL, false, 0, NULL, NULL, A2 " " A3},
};

static void
test_table(void **state)
{
	(void)state;
	struct h *h = setup_h();
	char got[1024];
	for (unsigned i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		const struct rcase *c = &rcases[i];
		int code;
		h->now += 1;
		if (c->resend) {
			code = send_req(h);
		} else if (c->status == 0) {
			/* An OPTIONS (keep-alive probes of phones): 200. */
			h->req_len = (size_t)snprintf(h->req, sizeof(h->req),
				"OPTIONS sip:example.com "
				"SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKo\r\nFrom: "
				"<sip:x@example.com>;tag=1\r\nTo: <sip:example.com>\r\nCall-ID: "
				"o\r\n"
				"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
			code = send_req(h);
			if (code != 200)
				fail_msg("row %u \"%s\": status %d", i, c->name, code);
			continue;
		} else {
			char ruri[64], to[64];
			snprintf(ruri, sizeof(ruri), "%s", c->ruri ? c->ruri : "sip:example.com");
			snprintf(to, sizeof(to), "%s", c->to ? c->to : "alice@example.com");
			code = reg(h, c->user, c->pass, ruri, to, c->callid, c->cseq, c->hdrs);
		}
		if (code != c->status)
			fail_msg("row %u \"%s\": status %d, expected %d\n%s", i, c->name, code,
				c->status, h->last);
		if (c->has && strstr(h->last, c->has) == NULL)
			fail_msg("row %u \"%s\": response lacks \"%s\"\n%s", i, c->name, c->has,
				h->last);
		if (c->hasnt && strstr(h->last, c->hasnt) != NULL)
			fail_msg("row %u \"%s\": response has \"%s\"\n%s", i, c->name, c->hasnt,
				h->last);
		bindings_text(h, "alice@example.com", got, sizeof(got));
		if (strcmp(got, c->after) != 0)
			fail_msg("row %u \"%s\": bindings \"%s\", expected \"%s\"", i, c->name, got,
					c->after);
	}
	teardown_h(h);
}

/* The registrar stores each row of the shared table under the key the dataplane looks up. */
static void
test_aor_keys(void **state)
{
	(void)state;
	struct h *h = setup_h();
	close_reg(h);
	h->c.auth = false;
	snprintf(h->c.domains, sizeof(h->c.domains), "example.com,192.0.2.1,2001:db8::1");
	open_reg(h);
	for (unsigned i = 0; i < AOR_CASES; i++) {
		const struct aor_case *c = &aor_cases[i];
		char ruri[96], to[128], callid[16], hdr[96];
		bool v6 = strchr(c->host, ':') != NULL;
		snprintf(ruri, sizeof(ruri), v6 ? "sip:[%s]" : "sip:%s", c->host);
		snprintf(to, sizeof(to), v6 ? "%s@[%s]" : "%s@%s", c->user, c->host);
		snprintf(callid, sizeof(callid), "k%u", i);
		snprintf(hdr, sizeof(hdr), "Contact: <sip:row%u@192.0.2.10>\r\n", i);
		h->now++;
		if (reg(h, NULL, NULL, ruri, to, callid, 1, hdr) != 200)
			fail_msg("case \"%s\": %s", c->name, h->last);
		unsigned n = 0;
		const struct cp_binding *b = cp_reg_bindings(h->r, c->key, &n);
		bool found = false;
		char want[64];
		snprintf(want, sizeof(want), "sip:row%u@192.0.2.10", i);
		for (unsigned k = 0; k < n; k++)
			found |= strcmp(b[k].contact, want) == 0;
		if (!found)
			fail_msg("case \"%s\": not stored under \"%s\"", c->name, c->key);
		assert_string_equal(h->push_aor, c->key);
	}
	teardown_h(h);
}

/* 200s wait for the commit; a batch of several commits once. */
static void
test_group_commit(void **state)
{
	(void)state;
	struct h *h = setup_h();
	struct sip_addr src;
	close_reg(h);
	h->c.auth = false;
	open_reg(h);
	sip_addr_parse(S("192.0.2.10"), &src);
	compose(h, "sip:example.com", "alice@example.com", "g1", 1, "g1", "", CT(A1));
	h->sent = 0;
	assert_int_equal(cp_reg_input(h->r, h->req, h->req_len, &src, 5062, h->now), 200);
	assert_int_equal(h->sent, 0);
	/* Its retransmission while pending: dropped, not answered twice. */
	assert_int_equal(cp_reg_input(h->r, h->req, h->req_len, &src, 5062, h->now), 0);
	compose(h, "sip:example.com", "bob@example.com", "g2", 1, "g2", "",
		CT("sip:bob@192.0.2.20"));
	assert_int_equal(cp_reg_input(h->r, h->req, h->req_len, &src, 5062, h->now), 200);
	assert_int_equal(h->sent, 0);
	assert_int_equal(h->pushes, 0);
	assert_true(cp_reg_pending(h->r) >= 2);
	/* Another connection sees nothing before the commit. */
	char err[128];
	struct cp_store *other = cp_store_open(h->path, err, sizeof(err));
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(cp_store_db(other),
				 "SELECT count(*) FROM registrations", -1, &q, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 0);
	sqlite3_reset(q);
	assert_int_equal(cp_reg_flush(h->r), 2);
	assert_int_equal(h->sent, 2);
	assert_int_equal(h->pushes, 2);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 2);
	sqlite3_finalize(q);
	cp_store_close(other);
	teardown_h(h);
}

/* A store that refuses the write: 500, memory unchanged. */
static void
test_store_failure(void **state)
{
	(void)state;
	struct h *h = setup_h();
	assert_int_equal(reg(h, "alice", "secret", "sip:example.com", "alice@example.com", "s1", 1,
			CT(A1)), 200);
	assert_int_equal(sqlite3_exec(cp_store_db(h->st), "DROP TABLE registrations", NULL, NULL,
			NULL), SQLITE_OK);
	assert_int_equal(reg(h, "alice", "secret", "sip:example.com", "alice@example.com", "s2", 1,
			CT(A2)), 500);
	char got[256];
	bindings_text(h, "alice@example.com", got, sizeof(got));
	assert_string_equal(got, A1);
	teardown_h(h);
}

/* Re-open (a restart): every acknowledged binding is back; nonces of the old keys are stale. */
static void
test_persistence(void **state)
{
	(void)state;
	struct h *h = setup_h();
	assert_int_equal(reg(h, "alice", "secret", "sip:example.com", "alice@example.com", "p1", 1,
			"Contact: <" A1 ">;q=0.2;expires=600\r\nContact: <" A2 ">;q=0.9\r\n"
			"Path: <sip:edge;lr>\r\n"), 200);
	assert_int_equal(reg(h, "bob", "hunter2", "sip:example.com", "bob@example.com", "p2", 1,
			CT("sip:bob@192.0.2.20")), 200);
	close_reg(h);
	h->now += 5;
	open_reg(h);
	char got[256];
	bindings_text(h, "alice@example.com", got, sizeof(got));
	assert_string_equal(got, A1 " " A2);
	const struct cp_binding *best = cp_reg_best(h->r, "alice@example.com", h->now);
	assert_non_null(best);
	assert_string_equal(best->contact, A2);
	assert_int_equal(best->q, 900);
	assert_string_equal(best->path, "<sip:edge;lr>");
	char src[64];
	src[sip_addr_format(&best->src, src, sizeof(src))] = '\0';
	assert_string_equal(src, "192.0.2.10");
	assert_int_equal(best->sport, 5062);
	assert_int_equal(cp_reg_aors(h->r), 2);
	teardown_h(h);
}

static void
test_expiry_and_push(void **state)
{
	(void)state;
	struct h *h = setup_h();
	close_reg(h);
	h->c.auth = false;
	h->c.evict_oldest = true;
	open_reg(h);
	assert_int_equal(reg(h, NULL, NULL, "sip:example.com", "alice@example.com", "e1", 1,
			"Contact: <" A1 ">;expires=60;q=0.1\r\n"), 200);
	assert_string_equal(h->push_contact, A1);
	h->now += 1;
	assert_int_equal(reg(h, NULL, NULL, "sip:example.com", "alice@example.com", "e2", 1,
			"Contact: <" A2 ">;expires=120;q=0.9\r\n"), 200);
	assert_string_equal(h->push_contact, A2);
	h->now += 1;
	/* Eviction of the oldest over max_contacts (3). */
	assert_int_equal(reg(h, NULL, NULL, "sip:example.com", "alice@example.com", "e3", 1,
			"Contact: <" A3 ">;expires=90\r\nContact: <" A4 ">;expires=90\r\n"), 200);
	char got[256];
	bindings_text(h, "alice@example.com", got, sizeof(got));
	assert_string_equal(got, A2 " " A3 " " A4);
	/* No q counts as 1.0: the newest of those is best. */
	const struct cp_binding *b = cp_reg_best(h->r, "alice@example.com", h->now);
	assert_true(strcmp(b->contact, A3) == 0 || strcmp(b->contact, A4) == 0);
	/* A3, A4 expire: A2 is pushed; then A2: none. */
	unsigned p = h->pushes;
	assert_int_equal(cp_reg_expire(h->r, h->now + 95), 2);
	assert_int_equal(h->pushes, p + 1);
	assert_string_equal(h->push_contact, A2);
	assert_int_equal(cp_reg_expire(h->r, h->now + 95), 0);
	assert_int_equal(cp_reg_expire(h->r, h->now + 200), 1);
	assert_true(h->push_none);
	assert_int_equal(cp_reg_aors(h->r), 0);
	/* Gone from the store too. */
	close_reg(h);
	open_reg(h);
	assert_int_equal(cp_reg_aors(h->r), 0);
	teardown_h(h);
}

/*
 * REGISTER over streams: the bindings record transport and connection, the
 * answers go to the stream callback with the connection; a closed
 * connection removes its RFC 5626 flow bindings (reg-id) and keeps the
 * others; after a restart the flow bindings over streams go.
 */
static int
reg_tp(struct h *h, const char *callid, const char *contact, uint8_t tp, uint64_t conn)
{
	struct sip_addr src;
	assert_int_equal(sip_addr_parse(S("192.0.2.10"), &src), 0);
	compose(h, "sip:example.com", "alice@example.com", callid, 1, callid, "", contact);
	h->sent = 0;
	h->stream_sent = 0;
	int code = cp_reg_input_tp(h->r, h->req, h->req_len, &src, 40000, tp, conn, h->now);
	if (cp_reg_pending(h->r))
		assert_true(cp_reg_flush(h->r) >= 0);
	assert_int_equal(h->sent, 0);          /* nothing on UDP */
	assert_int_equal(h->stream_sent, 1);
	assert_int_equal(h->stream_tp, tp);
	assert_int_equal(h->stream_conn, conn);
	assert_int_equal(h->stream_port, 5062); /* sent-by port for a new connection */
	assert_int_equal(atoi(h->last + 8), code);
	return code;
}

static const struct cp_binding *
binding_of(struct h *h, const char *contact)
{
	unsigned n;
	const struct cp_binding *b = cp_reg_bindings(h->r, "alice@example.com", &n);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(b[i].contact, contact) == 0 && b[i].expires > h->now)
			return &b[i];
	return NULL;
}

#define FLOW(uri, id) "Contact: <" uri ">;+sip.instance=\"<urn:uuid:" id ">\";reg-id=1;expires=300\r\n"

static void
test_streams(void **state)
{
	(void)state;
	struct h *h = setup_h();
	close_reg(h);
	h->c.auth = false;
	h->c.max_contacts = 10;
	open_reg(h);
	cp_reg_set_stream_io(h->r, on_stream_send, h);
	assert_int_equal(reg_tp(h, "t1", FLOW(A1, "1"), SIP_TP_TCP, 7), 200);
	assert_int_equal(reg_tp(h, "t2", "Contact: <" A2 ">;expires=600\r\n", SIP_TP_TCP, 8), 200);
	assert_int_equal(reg_tp(h, "t3", FLOW(A3, "3"), SIP_TP_TLS, 9), 200);
	assert_int_equal(reg_tp(h, "t4", "Contact: <" A4 ">;expires=600\r\n", SIP_TP_TLS, 10),
			200);
	const struct cp_binding *b = binding_of(h, A1);
	assert_non_null(b);
	assert_int_equal(b->transport, SIP_TP_TCP);
	assert_int_equal(b->conn, 7);
	assert_int_equal(b->reg_id, 1);
	assert_int_equal(binding_of(h, A3)->transport, SIP_TP_TLS);
	assert_int_equal(cp_reg_conn_expires(h->r, 7, h->now), h->now + 300);
	assert_int_equal(cp_reg_conn_expires(h->r, 8, h->now), h->now + 600);
	assert_int_equal(cp_reg_conn_expires(h->r, 99, h->now), 0);
	assert_int_equal(cp_reg_conn_expires(h->r, 7, h->now + 300), 0);

	/* The flow's connection closes: its binding goes (pushed after the flush). */
	assert_int_equal(cp_reg_conn_closed(h->r, 7, h->now), 1);
	assert_true(cp_reg_pending(h->r) > 0);
	assert_true(cp_reg_flush(h->r) >= 0);
	assert_null(binding_of(h, A1));
	/* A plain binding's connection closes: it stays, its connection forgotten. */
	assert_int_equal(cp_reg_conn_closed(h->r, 8, h->now), 0);
	b = binding_of(h, A2);
	assert_non_null(b);
	assert_int_equal(b->conn, 0);
	assert_int_equal(b->transport, SIP_TP_TCP);
	assert_int_equal(cp_reg_conn_closed(h->r, 8, h->now), 0);

	/* UDP input answers through the UDP callback. */
	h->stream_sent = 0;
	assert_int_equal(reg(h, NULL, NULL, "sip:example.com", "alice@example.com", "u1", 1,
			"Contact: <" A1 ">;expires=600\r\n"), 200);
	assert_int_equal(h->stream_sent, 0);
	assert_int_equal(binding_of(h, A1)->transport, SIP_TP_UDP);

	/* A restart: connections are gone; the TLS flow binding goes, the others stay. */
	close_reg(h);
	open_reg(h);
	assert_non_null(binding_of(h, A3));
	assert_int_equal(binding_of(h, A3)->conn, 0);
	assert_int_equal(cp_reg_drop_flows(h->r, h->now), 1);
	assert_true(cp_reg_flush(h->r) >= 0);
	assert_null(binding_of(h, A3));
	assert_non_null(binding_of(h, A4));
	assert_non_null(binding_of(h, A2));
	assert_non_null(binding_of(h, A1));
	close_reg(h);
	open_reg(h);
	assert_null(binding_of(h, A3));
	assert_non_null(binding_of(h, A4));
	teardown_h(h);
}

/* The registrar's options as sipline-control --check sees them. */
static void
test_options(void **state)
{
	(void)state;
	static const struct {
		const char *set;
		bool ok;
	} cases[] = {
		{NULL, true},
		{"reg_algorithms sha-256", true},
		{"reg_algorithms sha-1", false},
		{"reg_algorithms ,", false},
		{"reg_overflow evict", true},
		{"reg_overflow drop", false},
		{"nonce_lifetime 4000", false},
		{"reg_min_expires 90000", false},
		{"store_batch 0", true},
		{"store_batch 2", false},
		{"registrar 192.0.2.1:5060", true},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cp_config c;
		char err[256] = "";
		cp_config_defaults(&c);
		int rc = 0;
		if (cases[i].set != NULL)
			rc = cp_config_set(&c, cases[i].set, "test", err, sizeof(err));
		if (rc == 0)
			rc = cp_regsrv_check(&c, err, sizeof(err));
		if ((rc == 0) != cases[i].ok)
			fail_msg("\"%s\": rc %d (%s)", cases[i].set ? cases[i].set : "defaults", rc,
				err);
	}
}

/*
 * No reflection amplification over UDP: an answer to a request that did not
 * authenticate is at most reg_amplification (3) times the request. A 401
 * keeps its most preferred challenges that fit; an answer that cannot fit
 * is not sent, and counted. Streams, authenticated requests,
 * reg_amplification 0 and an open registrar (auth off) are not limited.
 */
#define TINY_B(b) "REGISTER sip:example.com SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK" \
	b "\r\nf: <sip:alice@example.com>;tag=1\r\nt: <sip:alice@example.com>\r\ni: t\r\n" \
	"CSeq: 1 REGISTER\r\n\r\n"
#define TINY TINY_B("t")
/* Another transaction (the answer cache would otherwise give TINY's answer again). */
#define TINY_TCP TINY_B("u")

static int
send_raw(struct h *h, const char *msg, uint8_t tp)
{
	struct sip_addr src;
	assert_int_equal(sip_addr_parse(S("192.0.2.10"), &src), 0);
	h->sent = h->stream_sent = 0;
	h->last_len = 0;
	int code = cp_reg_input_tp(h->r, msg, strlen(msg), &src, 5062, tp, tp == SIP_TP_UDP ? 0 : 9,
			h->now);
	if (cp_reg_pending(h->r))
		assert_true(cp_reg_flush(h->r) >= 0);
	return code;
}

static unsigned
challenges(const struct h *h)
{
	unsigned n = 0;
	for (const char *p = h->last; (p = strstr(p, "WWW-Authenticate:")) != NULL; p++)
		n++;
	return n;
}

static void
test_amplification(void **state)
{
	(void)state;
	struct h *h = setup_h();
	cp_reg_set_stream_io(h->r, on_stream_send, h);
	const uint64_t *cnt = cp_reg_counters(h->r);
	size_t tiny = strlen(TINY);

	/* A tiny request: the strongest challenges fit three times its size, not all. */
	assert_int_equal(send_raw(h, TINY, SIP_TP_UDP), 401);
	assert_int_equal(h->sent, 1);
	assert_true(h->last_len <= 3 * tiny);
	assert_true(challenges(h) >= 1 && challenges(h) < 3);
	assert_non_null(strstr(h->last, "algorithm=SHA-512-256"));
	/* Over TCP its source is no forgery: every challenge. */
	assert_int_equal(send_raw(h, TINY_TCP, SIP_TP_TCP), 401);
	assert_int_equal(h->stream_sent, 1);
	assert_int_equal(challenges(h), 3);
	assert_true(h->last_len > 3 * tiny);

	/* A request as a UA writes it (with a Contact): every challenge. */
	compose(h, "sip:example.com", "alice@example.com", "amp1", 1, "amp1", "",
			"Contact: <sip:alice@192.0.2.10:5062>\r\n");
	assert_int_equal(send_req(h), 401);
	assert_int_equal(challenges(h), 3);
	assert_true(h->last_len <= 3 * h->req_len);
	/* Answering the first challenge registers. */
	assert_int_equal(reg(h, "alice", "secret", "sip:example.com", "alice@example.com", "amp2",
			1, "Contact: <sip:alice@192.0.2.10:5062>\r\n"), 200);

	/* Twice: the tiny request's 401 cannot fit at all: not sent, counted. */
	close_reg(h);
	h->c.amplification = 2;
	open_reg(h);
	cnt = cp_reg_counters(h->r);
	assert_int_equal(send_raw(h, TINY, SIP_TP_UDP), 0);
	assert_int_equal(h->sent, 0);
	assert_int_equal(cnt[CP_REG_C_REG_AMPLIFICATION], 1);
	/* The UA's request: the challenges that fit twice its size, the strongest first. */
	compose(h, "sip:example.com", "alice@example.com", "amp3", 1, "amp3", "",
			"Contact: <sip:alice@192.0.2.10:5062>\r\n");
	assert_int_equal(send_req(h), 401);
	assert_true(h->last_len <= 2 * h->req_len);
	assert_true(challenges(h) >= 1 && challenges(h) < 3);
	assert_non_null(strstr(h->last, "algorithm=SHA-512-256"));

	/*
	 * The answer cache: a long request's answer is not sent again for a
	 * short request of the same transaction (Call-ID, CSeq, branch, source).
	 */
	char pad[700];
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	char longreq[2048];
	snprintf(longreq, sizeof(longreq), "%.*sX-Padding: %s\r\n\r\n", (int)(tiny - 2), TINY_B("c"), pad);
	assert_int_equal(send_raw(h, longreq, SIP_TP_UDP), 401);
	assert_int_equal(challenges(h), 3);
	uint64_t before = cnt[CP_REG_C_REG_AMPLIFICATION];
	assert_int_equal(send_raw(h, TINY_B("c"), SIP_TP_UDP), 0);
	assert_int_equal(h->sent, 0);
	assert_int_equal(cnt[CP_REG_C_REG_AMPLIFICATION], before + 1);
	/* The long request again (a real retransmission): its answer again. */
	assert_int_equal(send_raw(h, longreq, SIP_TP_UDP), 401);
	assert_int_equal(h->sent, 1);

	/* No limit: every challenge over UDP too. */
	close_reg(h);
	h->c.amplification = 0;
	open_reg(h);
	assert_int_equal(send_raw(h, TINY, SIP_TP_UDP), 401);
	assert_int_equal(h->sent, 1);
	assert_int_equal(challenges(h), 3);

	/*
	 * Auth off: an open registrar by choice, not limited; its 200 lists
	 * every binding, even to a query much smaller than the answer.
	 */
	close_reg(h);
	h->c.amplification = 2;
	h->c.auth = false;
	h->c.max_contacts = 10;
	open_reg(h);
	cnt = cp_reg_counters(h->r);
	char contacts[1024];
	for (char i = '1'; i <= '3'; i++) {
		char callid[8] = {'q', i, 0};
		snprintf(contacts, sizeof(contacts), "Contact: <sip:alice-with-a-long-user-part-%c"
				"@192.0.2.10:5062;transport=udp;some-parameter=some-value>;expires=600"
				"\r\n", i);
		assert_int_equal(reg(h, NULL, NULL, "sip:example.com", "alice@example.com", callid,
				1, contacts), 200);
	}
	assert_int_equal(send_raw(h, TINY, SIP_TP_UDP), 200);
	assert_true(h->last_len > 2 * tiny);
	assert_non_null(strstr(h->last, "long-user-part-1"));
	assert_non_null(strstr(h->last, "long-user-part-3"));
	assert_int_equal(cnt[CP_REG_C_REG_AMPLIFICATION], 0);
	teardown_h(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_aor_keys),
		cmocka_unit_test(test_group_commit),
		cmocka_unit_test(test_store_failure),
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_expiry_and_push),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_amplification),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
