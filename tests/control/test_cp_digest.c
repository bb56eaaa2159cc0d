/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Digest authentication: the Authorization parser (sip/sip_auth.c) on a
 * table of named cases, the RFC 7616 vectors (MD5, SHA-256, SHA-512-256,
 * the last with the corrected values of erratum 4897: the RFC's printed
 * ones are SHA-512 truncated, not SHA-512/256), nonces (expiry, rotation,
 * previous key, forgery, replay window), the 401 challenge (one per
 * algorithm, strongest first), cp_auth_check() end to end on REGISTERs,
 * and the subscriber store with its CSV import.
 */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cp_auth.h"
#include "cp_digest.h"
#include "cp_store.h"
#include "cp_subscribers.h"
#include "sip.h"

#define S(x) sip_str_make((x), strlen(x))

/* ---- parser ---- */

struct pcase {
	const char *name;
	const char *in;
	int ok;                    /* 1: parses */
	const char *user, *uri;    /* expected views when ok (NULL: not checked) */
	uint32_t nc;
};

static const struct pcase pcases[] = {
	{"minimal", "Digest username=\"bob\"", 1, "bob", NULL, 0},
	{"full",
		"Digest username=\"bob\", realm=\"biloxi.com\", nonce=\"abc\", "
		"uri=\"sip:biloxi.com\", response=\"0123456789abcdef0123456789ABCDEF\", "
		"algorithm=MD5, cnonce=\"x\", qop=auth, nc=0000000a",
		1, "bob", "sip:biloxi.com", 10},
	{"quoted qop and algorithm", "Digest username=\"a\", qop=\"auth\", algorithm=\"SHA-256\"",
		1, "a", NULL, 0},
	{"no space after commas", "Digest username=\"a\",realm=\"r\",nc=FFFFFFFF", 1, "a", NULL,
		0xffffffffu},
	{"LWS around =", "Digest username = \"a\" , realm= \"r\"", 1, "a", NULL, 0},
	{"folded line", "Digest username=\"a\",\r\n realm=\"r\"", 1, "a", NULL, 0},
	{"unknown param kept out", "Digest foo=bar, username=\"a\"", 1, "a", NULL, 0},
	{"escaped quote", "Digest username=\"a\\\"b\"", 1, "a\\\"b", NULL, 0},
	{"lower-case scheme", "digest username=\"a\"", 1, "a", NULL, 0},
	{"empty", "", 0, NULL, NULL, 0},
	{"scheme only", "Digest", 0, NULL, NULL, 0},
	{"scheme and space", "Digest ", 0, NULL, NULL, 0},
	{"no equals", "Digest username", 0, NULL, NULL, 0},
	{"no value", "Digest username=", 0, NULL, NULL, 0},
	{"unterminated quote", "Digest username=\"abc", 0, NULL, NULL, 0},
	{"backslash at the end", "Digest username=\"abc\\", 0, NULL, NULL, 0},
	{"duplicate username", "Digest username=\"a\", username=\"b\"", 0, NULL, NULL, 0},
	{"duplicate any case", "Digest nonce=\"a\", NONCE=\"b\"", 0, NULL, NULL, 0},
	{"nc too short", "Digest nc=0001", 0, NULL, NULL, 0},
	{"nc not hex", "Digest nc=0000000g", 0, NULL, NULL, 0},
	{"response not hex", "Digest response=\"xyz\"", 0, NULL, NULL, 0},
	{"userhash bad", "Digest userhash=maybe", 0, NULL, NULL, 0},
	{"double comma", "Digest username=\"a\",, realm=\"r\"", 0, NULL, NULL, 0},
	{"trailing comma", "Digest username=\"a\",", 0, NULL, NULL, 0},
	{"bare CR in quote", "Digest username=\"a\rb\"", 0, NULL, NULL, 0},
	{"line end not a fold", "Digest username=\"a\",\r\nrealm=\"r\"", 0, NULL, NULL, 0},
	{"NUL in quote", "Digest username=\"a\0b\"", 0, NULL, NULL, 0},
	{"garbage after value", "Digest username=\"a\" x", 0, NULL, NULL, 0},
	{"comma in scheme place", ", username=\"a\"", 0, NULL, NULL, 0},
};

static void
test_parse_table(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		struct sip_auth a;
		/* The NUL case is 13 bytes long on purpose: measure up to the closing quote. */
		size_t len = strcmp(c->name, "NUL in quote") == 0 ? 21 : strlen(c->in);
		/* Exact-size heap copy: ASan catches any read past the end. */
		char *buf = malloc(len ? len : 1);
		memcpy(buf, c->in, len);
		int rc = sip_auth_parse(&a, sip_str_make(buf, len));
		if ((rc == 0) != (c->ok == 1))
			fail_msg("case \"%s\": rc %d, expected %s", c->name, rc,
				c->ok ? "ok" : "error");
		if (rc == 0) {
			if (c->user && !sip_str_eq(a.f[SIP_AUTH_USERNAME], S(c->user)))
				fail_msg("case \"%s\": username \"%.*s\"", c->name,
					(int)a.f[SIP_AUTH_USERNAME].len, a.f[SIP_AUTH_USERNAME].p);
			if (c->uri && !sip_str_eq(a.f[SIP_AUTH_URI], S(c->uri)))
				fail_msg("case \"%s\": uri", c->name);
			if (sip_auth_has(&a, SIP_AUTH_NC) && a.nc != c->nc)
				fail_msg("case \"%s\": nc %u", c->name, a.nc);
		} else {
			assert_int_equal(rc, -SIP_E_AUTH);
		}
		free(buf);
	}
}

static void
test_unquote(void **state)
{
	(void)state;
	char out[16];
	assert_int_equal(sip_auth_unquote(out, sizeof(out), S("a\\\"b\\\\c")), 5);
	assert_memory_equal(out, "a\"b\\c", 5);
	assert_int_equal(sip_auth_unquote(out, 2, S("abc")), -1);
}

/* ---- RFC 7616 vectors ---- */

struct vec {
	const char *name;
	enum cp_digest_alg alg;
	const char *user, *realm, *pass, *method, *uri, *nonce, *cnonce, *nc, *qop;
	const char *response;
};

static const struct vec vecs[] = {
	{"RFC 7616 3.9.1 MD5", CP_DIG_MD5, "Mufasa", "http-auth@example.org", "Circle of Life",
		"GET", "/dir/index.html", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "00000001", "auth",
		"8ca523f5e9506fed4657c9700eebdbec"},
	{"RFC 7616 3.9.1 SHA-256", CP_DIG_SHA256, "Mufasa", "http-auth@example.org",
		"Circle of Life", "GET", "/dir/index.html",
		"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "00000001", "auth",
		"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	/* RFC 7616 3.9.2 inputs, response by SHA-512/256 (erratum 4897 corrects the RFC's). */
	{"RFC 7616 3.9.2 SHA-512-256", CP_DIG_SHA512_256, "J\xc3\xa4s\xc3\xb8n Doe",
		"api@example.org", "Secret, or not?", "GET", "/doe.json",
		"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",
		"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", "00000001", "auth",
		"3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"},
};

static void
test_vectors(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		char ha1[CP_DIG_HEX_MAX], resp[CP_DIG_HEX_MAX];
		assert_int_equal(
			cp_digest_ha1(v->alg, S(v->user), S(v->realm), S(v->pass), ha1), 0);
		assert_int_equal(cp_digest_response(v->alg, S(ha1), S(v->nonce), S(v->nc),
				S(v->cnonce), S(v->qop), S(v->method), S(v->uri), resp), 0);
		if (strcmp(resp, v->response) != 0)
			fail_msg("%s: %s, expected %s", v->name, resp, v->response);
		assert_int_equal(strlen(resp), cp_digest_hex_len(v->alg));
	}
}

/* SHA-512/256 is not SHA-512 cut short: FIPS 180-4's "abc", and the RFC's misprint refused. */
static void
test_sha512_256(void **state)
{
	(void)state;
	char out[CP_DIG_HEX_MAX];
	struct sip_str abc = S("abc");
	assert_int_equal(cp_digest_hex(CP_DIG_SHA512_256, &abc, 1, out), 0);
	assert_string_equal(
		out, "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
	struct sip_str uh = S("J\xc3\xa4s\xc3\xb8n Doe:api@example.org");
	assert_int_equal(cp_digest_hex(CP_DIG_SHA512_256, &uh, 1, out), 0);
	/* The RFC's printed userhash is SHA-512 truncated; ours must differ from it. */
	assert_string_not_equal(
		out, "488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec");
}

static void
test_alg_names(void **state)
{
	(void)state;
	unsigned bits;
	assert_int_equal(cp_digest_alg_lookup(SIP_STR_NULL), CP_DIG_MD5);
	assert_int_equal(cp_digest_alg_lookup(S("sha-256")), CP_DIG_SHA256);
	assert_int_equal(cp_digest_alg_lookup(S("SHA-512-256")), CP_DIG_SHA512_256);
	assert_int_equal(cp_digest_alg_lookup(S("MD5-sess")), -1);
	assert_int_equal(cp_digest_algs_parse("sha-256, md5", &bits), 0);
	assert_int_equal(bits, (1u << CP_DIG_SHA256) | (1u << CP_DIG_MD5));
	assert_int_equal(cp_digest_algs_parse("sha-1", &bits), -EINVAL);
	assert_true(cp_digest_hex_eq(S("ABCDEF"), "abcdef", 6));
	assert_false(cp_digest_hex_eq(S("abcdee"), "abcdef", 6));
	assert_false(cp_digest_hex_eq(S("abcde"), "abcdef", 6));
}

/* ---- nonces ---- */

static struct cp_nonces *
nonces(unsigned window)
{
	struct cp_nonces *n = cp_nonces_create(window);
	struct cp_nonce_key k;
	assert_non_null(n);
	assert_int_equal(cp_nonces_rotate(n, 1000, &k), 0);
	assert_int_equal(k.gen, 1);
	return n;
}

static void
test_nonce_lifecycle(void **state)
{
	(void)state;
	struct cp_nonces *n = nonces(64);
	char a[CP_NONCE_LEN + 1], b[CP_NONCE_LEN + 1];
	uint64_t id = 0;
	struct sip_str realm = S("example.com");

	assert_int_equal(cp_nonce_make(n, realm, 1000, 30, a), 0);
	assert_int_equal(strlen(a), CP_NONCE_LEN);
	assert_int_equal(cp_nonce_check(n, S(a), realm, 1010, 1, &id), CP_NONCE_OK);
	cp_nonce_accept(n, id, 1);
	/* Same nc again: replay; a higher one: fine. */
	assert_int_equal(cp_nonce_check(n, S(a), realm, 1010, 1, &id), CP_NONCE_REPLAY);
	assert_int_equal(cp_nonce_check(n, S(a), realm, 1010, 2, &id), CP_NONCE_OK);
	/* Another realm: the MAC binds it. */
	assert_int_equal(cp_nonce_check(n, S(a), S("example.org"), 1010, 5, &id), CP_NONCE_BAD);
	/* Expired after its lifetime. */
	assert_int_equal(cp_nonce_check(n, S(a), realm, 1031, 5, &id), CP_NONCE_EXPIRED);
	/* One changed character anywhere: not ours. */
	for (unsigned i = 0; i < CP_NONCE_LEN; i++) {
		memcpy(b, a, sizeof(b));
		b[i] = b[i] == 'A' ? 'B' : 'A';
		enum cp_nonce_verdict v = cp_nonce_check(n, S(b), realm, 1010, 9, &id);
		/* The generation bytes changed: an unknown key reads as expired (never OK). */
		if (v == CP_NONCE_OK)
			fail_msg("nonce with byte %u changed accepted", i);
	}
	assert_int_equal(cp_nonce_check(n, S("short"), realm, 1010, 1, &id), CP_NONCE_BAD);
	cp_nonces_free(n);
}

static void
test_nonce_rotation(void **state)
{
	(void)state;
	struct cp_nonces *n = nonces(64);
	struct cp_nonce_key k1 = *cp_nonces_current(n), k;
	char a[CP_NONCE_LEN + 1];
	uint64_t id;
	struct sip_str realm = S("r");

	assert_int_equal(cp_nonce_make(n, realm, 1000, 60, a), 0);
	assert_int_equal(cp_nonces_rotate(n, 1001, &k), 0);
	assert_int_equal(k.gen, 2);
	/* Previous key still verifies. */
	assert_int_equal(cp_nonce_check(n, S(a), realm, 1002, 1, &id), CP_NONCE_OK);
	assert_int_equal(cp_nonces_rotate(n, 1003, &k), 0);
	/* Rotated out: stale (the caller answers stale=true only for a right password). */
	assert_int_equal(cp_nonce_check(n, S(a), realm, 1004, 1, &id), CP_NONCE_EXPIRED);
	/* Keys restored (restart): a nonce of the old process is ours but forgotten. */
	struct cp_nonces *m = cp_nonces_create(64);
	cp_nonces_set_keys(m, &k1, NULL);
	assert_int_equal(cp_nonce_check(m, S(a), realm, 1002, 1, &id), CP_NONCE_FORGOTTEN);
	cp_nonces_free(m);
	cp_nonces_free(n);
}

static void
test_nonce_window(void **state)
{
	(void)state;
	struct cp_nonces *n = nonces(64);
	char first[CP_NONCE_LEN + 1], x[CP_NONCE_LEN + 1];
	uint64_t id;
	assert_int_equal(cp_nonce_make(n, S("r"), 1000, 60, first), 0);
	for (unsigned i = 0; i < 63; i++)
		assert_int_equal(cp_nonce_make(n, S("r"), 1000, 60, x), 0);
	assert_int_equal(cp_nonce_check(n, S(first), S("r"), 1001, 1, &id), CP_NONCE_OK);
	assert_int_equal(cp_nonce_make(n, S("r"), 1000, 60, x), 0);
	/* 65 issued in a window of 64: the first is forgotten, never replayable. */
	assert_int_equal(cp_nonce_check(n, S(first), S("r"), 1001, 1, &id), CP_NONCE_FORGOTTEN);
	assert_int_equal(cp_nonce_check(n, S(x), S("r"), 1001, 1, &id), CP_NONCE_OK);
	/* Without a key nothing is issued. */
	struct cp_nonces *m = cp_nonces_create(10);
	assert_int_equal(cp_nonce_make(m, S("r"), 1000, 60, x), -EINVAL);
	cp_nonces_free(m);
	cp_nonces_free(n);
}

/* ---- challenge ---- */

static void
test_challenge(void **state)
{
	(void)state;
	struct cp_nonces *n = nonces(64);
	struct cp_auth_conf c = {.algs = CP_DIG_ALL, .nonce_lifetime = 30};
	char out[1024];
	int len = cp_auth_challenge(n, &c, S("example.com"), 1000, false, out, sizeof(out));
	assert_true(len > 0);
	out[len] = '\0';
	char *a = strstr(out, "algorithm=SHA-512-256"), *b = strstr(out, "algorithm=SHA-256"),
		*m = strstr(out, "algorithm=MD5");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(m);
	assert_true(a < b && b < m);
	assert_null(strstr(out, "stale"));
	assert_non_null(strstr(out, "qop=\"auth\""));
	assert_non_null(strstr(out, "realm=\"example.com\""));
	c.algs = 1u << CP_DIG_SHA256;
	len = cp_auth_challenge(n, &c, S("example.com"), 1000, true, out, sizeof(out));
	out[len] = '\0';
	assert_null(strstr(out, "MD5"));
	assert_non_null(strstr(out, "stale=true"));
	assert_int_equal(cp_auth_challenge(n, &c, S("example.com"), 1000, true, out, 20), -ENOSPC);
	cp_nonces_free(n);
}

/* ---- cp_auth_check end to end ---- */

struct fixture {
	struct cp_store *st;
	struct cp_nonces *n;
	struct cp_auth_conf c;
	char msg[4096];
	struct sip_msg m;
};

static int
ha1_store(void *ctx, struct sip_str user, struct sip_str realm, enum cp_digest_alg alg,
		char out[CP_DIG_HEX_MAX])
{
	struct cp_subscriber s;
	if (cp_sub_get(ctx, user, realm, &s) != 0 || s.ha1[alg][0] == '\0')
		return -ENOENT;
	memcpy(out, s.ha1[alg], CP_DIG_HEX_MAX);
	return 0;
}

/* Build a REGISTER with credentials computed from password pw (NULL: no Authorization). */
static void
reg(struct fixture *f, const char *ruri, const char *user, const char *pw, const char *nonce,
		enum cp_digest_alg alg, const char *nc, const char *duri)
{
	char auth[1024] = "", ha1[CP_DIG_HEX_MAX], resp[CP_DIG_HEX_MAX];
	if (pw != NULL) {
		assert_int_equal(cp_digest_ha1(alg, S(user), S("example.com"), S(pw), ha1), 0);
		assert_int_equal(cp_digest_response(alg, S(ha1), S(nonce), S(nc), S("c0ffee"),
				S("auth"), S("REGISTER"), S(duri ? duri : ruri), resp), 0);
		snprintf(auth, sizeof(auth), "Authorization: Digest username=\"%s\", "
				"realm=\"example.com\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
				"algorithm=%s, cnonce=\"c0ffee\", qop=auth, nc=%s\r\n", user, nonce,
				duri ? duri : ruri, resp, cp_digest_alg_name(alg), nc);
	}
	int len = snprintf(f->msg, sizeof(f->msg),
		"REGISTER %s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK1\r\n"
		"From: <sip:%s@example.com>;tag=1\r\nTo: <sip:%s@example.com>\r\n"
		"Call-ID: c1\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n%s"
		"Contact: <sip:%s@192.0.2.5>\r\nContent-Length: 0\r\n\r\n",
		ruri, user, user, auth, user);
	assert_true(sip_parse(&f->m, f->msg, (size_t)len, 0) > 0);
}

static void
nonce_of(struct fixture *f, char out[CP_NONCE_LEN + 1], int64_t now)
{
	char ch[1024];
	int len = cp_auth_challenge(f->n, &f->c, S("example.com"), now, false, ch, sizeof(ch) - 1);
	assert_true(len > 0);
	ch[len] = '\0';
	char *p = strstr(ch, "nonce=\"");
	assert_non_null(p);
	memcpy(out, p + 7, CP_NONCE_LEN);
	out[CP_NONCE_LEN] = '\0';
}

static void
test_auth_check(void **state)
{
	(void)state;
	struct fixture *f = calloc(1, sizeof(*f));
	struct cp_subscriber s;
	struct cp_auth_result r;
	char nonce[CP_NONCE_LEN + 1], err[128];
	struct sip_str realm = S("example.com");

	f->st = cp_store_open(":memory:", err, sizeof(err));
	assert_non_null(f->st);
	assert_int_equal(cp_sub_init(f->st), 0);
	assert_int_equal(cp_sub_from_password(&s, "alice", "Example.COM", "secret"), 0);
	assert_string_equal(s.domain, "example.com");
	assert_int_equal(cp_sub_put(f->st, &s), 0);
	f->n = nonces(1024);
	f->c.algs = CP_DIG_ALL;
	f->c.nonce_lifetime = 30;

	/* No credentials: challenge. */
	reg(f, "sip:example.com", "alice", NULL, NULL, 0, NULL, NULL);
	cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1000, &r);
	assert_int_equal(r.v, CP_AUTH_CHALLENGE);

	static const enum cp_digest_alg algs[] = {CP_DIG_MD5, CP_DIG_SHA256, CP_DIG_SHA512_256};
	for (unsigned i = 0; i < 3; i++) {
		nonce_of(f, nonce, 1000);
		reg(f, "sip:example.com", "alice", "secret", nonce, algs[i], "00000001", NULL);
		cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1001, &r);
		assert_int_equal(r.v, CP_AUTH_OK);
		assert_true(sip_str_eq(r.user, S("alice")));
		/* The same credentials again: replayed nonce count. */
		cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1001, &r);
		assert_int_equal(r.v, CP_AUTH_CHALLENGE);
		assert_string_equal(r.why, "nonce count replayed");
		/* Next nc: fine. */
		reg(f, "sip:example.com", "alice", "secret", nonce, algs[i], "00000002", NULL);
		cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1001, &r);
		assert_int_equal(r.v, CP_AUTH_OK);
	}
	/* Wrong password, unknown user: the same answer. */
	nonce_of(f, nonce, 1000);
	reg(f, "sip:example.com", "alice", "wrong", nonce, CP_DIG_SHA256, "00000001", NULL);
	cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1001, &r);
	assert_int_equal(r.v, CP_AUTH_CHALLENGE);
	reg(f, "sip:example.com", "mallory", "secret", nonce, CP_DIG_SHA256, "00000001", NULL);
	cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1001, &r);
	assert_int_equal(r.v, CP_AUTH_CHALLENGE);
	/* Expired nonce, right password: stale. Wrong password: not stale. */
	reg(f, "sip:example.com", "alice", "secret", nonce, CP_DIG_SHA256, "00000001", NULL);
	cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1031, &r);
	assert_int_equal(r.v, CP_AUTH_STALE);
	reg(f, "sip:example.com", "alice", "wrong", nonce, CP_DIG_SHA256, "00000001", NULL);
	cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1031, &r);
	assert_int_equal(r.v, CP_AUTH_CHALLENGE);
	/* digest-uri other than the Request-URI: 400. */
	nonce_of(f, nonce, 1000);
	reg(f, "sip:example.com", "alice", "secret", nonce, CP_DIG_SHA256, "00000001",
			"sip:other.example.com");
	cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1001, &r);
	assert_int_equal(r.v, CP_AUTH_BAD);
	/* An algorithm we do not offer: challenge. */
	f->c.algs = 1u << CP_DIG_SHA256;
	reg(f, "sip:example.com", "alice", "secret", nonce, CP_DIG_MD5, "00000001", NULL);
	cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1001, &r);
	assert_int_equal(r.v, CP_AUTH_CHALLENGE);
	/* A forged nonce (right password): challenge, not stale. */
	f->c.algs = CP_DIG_ALL;
	char forged[CP_NONCE_LEN + 1];
	memcpy(forged, nonce, sizeof(forged));
	forged[CP_NONCE_LEN - 1] = forged[CP_NONCE_LEN - 1] == 'A' ? 'B' : 'A';
	reg(f, "sip:example.com", "alice", "secret", forged, CP_DIG_SHA256, "00000001", NULL);
	cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, realm, 1001, &r);
	assert_int_equal(r.v, CP_AUTH_CHALLENGE);
	assert_string_equal(r.why, "nonce not ours");
	/* Credentials for another realm are ignored: challenge. */
	reg(f, "sip:example.com", "alice", "secret", nonce, CP_DIG_SHA256, "00000001", NULL);
	cp_auth_check(f->n, &f->c, ha1_store, f->st, &f->m, S("example.net"), 1001, &r);
	assert_int_equal(r.v, CP_AUTH_CHALLENGE);
	assert_string_equal(r.why, "no credentials");

	cp_nonces_free(f->n);
	cp_store_close(f->st);
	free(f);
}

/* ---- subscribers and the CSV import ---- */

static void
test_subscribers(void **state)
{
	(void)state;
	char err[256];
	unsigned added = 0;
	struct cp_subscriber s;
	struct cp_store *st = cp_store_open(":memory:", err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(cp_sub_init(st), 0);

	const char *kam = "id,username,domain,password,ha1,ha1b\n"
		"1,alice,Example.com,,84cbbbb2c2e3a4b9cc5a39dc8a3b5c1a,x\n"
		"2,bob,example.com,s3cret,,\n";
	assert_int_equal(cp_sub_import(st, kam, strlen(kam), "auto", &added, err, sizeof(err)), 0);
	assert_int_equal(added, 2);
	assert_int_equal(cp_sub_get(st, S("alice"), S("EXAMPLE.com"), &s), 0);
	assert_string_equal(s.ha1[CP_DIG_MD5], "84cbbbb2c2e3a4b9cc5a39dc8a3b5c1a");
	assert_string_equal(s.ha1[CP_DIG_SHA256], "");
	assert_int_equal(cp_sub_get(st, S("bob"), S("example.com"), &s), 0);
	char h[CP_DIG_HEX_MAX];
	cp_digest_ha1(CP_DIG_SHA512_256, S("bob"), S("example.com"), S("s3cret"), h);
	assert_string_equal(s.ha1[CP_DIG_SHA512_256], h);
	/* Usernames are case-sensitive. */
	assert_int_equal(cp_sub_get(st, S("Bob"), S("example.com"), &s), -ENOENT);

	/* OpenSIPS order without a header line, quoted fields. */
	const char *ops = "7,\"carol\",example.org,\"\",carol@x,0123456789abcdef0123456789abcdef,"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef,,\r\n";
	assert_int_equal(cp_sub_import(st, ops, strlen(ops), "opensips", &added, err, sizeof(err)),
			0);
	assert_int_equal(cp_sub_get(st, S("carol"), S("example.org"), &s), 0);
	assert_string_equal(s.ha1[CP_DIG_SHA256],
			"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_int_equal(cp_sub_count(st, NULL), 3);

	/* A bad row: nothing of the file is kept, the line is named. */
	const char *bad = "username,domain,ha1\ndave,example.com,0123456789abcdef0123456789abcdef\n"
		"erin,example.com,nothex\n";
	assert_int_equal(cp_sub_import(st, bad, strlen(bad), "auto", &added, err, sizeof(err)),
			-EINVAL);
	assert_non_null(strstr(err, "line 3"));
	assert_int_equal(cp_sub_get(st, S("dave"), S("example.com"), &s), -ENOENT);
	assert_int_equal(cp_sub_count(st, NULL), 3);
	const char *noformat = "1,x,example.com,pw\n";
	assert_int_equal(cp_sub_import(st, noformat, strlen(noformat), "auto", &added, err,
			sizeof(err)), -EINVAL);
	const char *unterminated = "username,domain,password\n\"x,example.com,pw\n";
	assert_int_equal(cp_sub_import(st, unterminated, strlen(unterminated), "auto", &added, err,
			sizeof(err)), -EINVAL);

	assert_int_equal(cp_sub_remove(st, "alice", "example.com"), 0);
	assert_int_equal(cp_sub_remove(st, "alice", "example.com"), -ENOENT);
	assert_int_equal(cp_sub_from_password(&s, "a:b", "example.com", "x"), -EINVAL);
	assert_int_equal(cp_sub_from_password(&s, "a", "example.com", ""), -EINVAL);
	cp_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_unquote),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_sha512_256),
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_nonce_lifecycle),
		cmocka_unit_test(test_nonce_rotation),
		cmocka_unit_test(test_nonce_window),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_auth_check),
		cmocka_unit_test(test_subscribers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
