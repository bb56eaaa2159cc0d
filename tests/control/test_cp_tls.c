/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS for SIP streams (control/cp_tls.c): the RFC 5922 identity matcher on
 * certificates made here with OpenSSL (no key material is checked in),
 * one named case per rule; the identity order; contexts built from files
 * written to a temporary directory, a reload that fails (the old
 * certificate stays, OpenSSL's error comes back) and one that succeeds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cp_tls.h"

static EVP_PKEY *key;

static int
setup(void **state)
{
	(void)state;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return key == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	return 0;
}

/* A self-signed certificate: CN cn (or none), subjectAltName san (openssl syntax) or none. */
static X509 *
make_cert(const char *cn, const char *san, long serial)
{
	X509 *x = X509_new();
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"sipline test", -1,
			-1, 0);
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
				0);
	X509_set_issuer_name(x, n);
	if (san != NULL) {
		X509V3_CTX ctx;
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

struct id_case {
	const char *name;
	const char *cn;      /* NULL: no CN */
	const char *san;     /* NULL: no subjectAltName extension */
	const char *domain;
	bool match;
};

static const struct id_case id_cases[] = {
	{"SAN sip URI", "x", "URI:sip:example.com", "example.com", true},
	{"SAN sip URI, other case", "x", "URI:SIP:Example.COM", "example.com", true},
	{"SAN sip URI with port and parameters", "x", "URI:sip:example.com:5061;transport=tls",
		"example.com", true},
	{"SAN sip URI with a user part is a user, not a domain", "x",
		"URI:sip:alice@example.com", "example.com", false},
	{"SAN sips URI is not a SIP domain identity", "x", "URI:sips:example.com", "example.com",
		false},
	{"SAN http URI", "x", "URI:http://example.com/", "example.com", false},
	{"SAN DNS", "x", "DNS:example.com", "example.com", true},
	{"SAN DNS, absolute name", "x", "DNS:example.com.", "example.com", true},
	{"SAN DNS wildcard never matches", "x", "DNS:*.example.com", "sip.example.com", false},
	{"SAN DNS wildcard not even itself", "x", "DNS:*.example.com", "*.example.com", false},
	{"SAN DNS of a longer name", "x", "DNS:example.com.evil.net", "example.com", false},
	{"SAN DNS of a shorter name", "x", "DNS:xample.com", "example.com", false},
	{"SAN DNS, second entry", "x", "DNS:a.example,DNS:example.com", "example.com", true},
	{"SAN URI and DNS: DNS counts too", "x", "URI:sip:a.example,DNS:example.com",
		"example.com", true},
	{"CN ignored when there is a SAN", "example.com", "DNS:other.example", "example.com",
		false},
	{"CN ignored when the SAN has nothing for SIP", "example.com", "email:a@example.com",
		"example.com", false},
	{"CN used without any SAN", "example.com", NULL, "example.com", true},
	{"CN without SAN, other name", "example.org", NULL, "example.com", false},
	{"CN wildcard without SAN", "*.example.com", NULL, "sip.example.com", false},
	{"no identity at all", NULL, NULL, "example.com", false},
	{"empty domain", "x", "DNS:example.com", "", false},
};

static void
t_identity_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		const struct id_case *c = &id_cases[i];
		X509 *x = make_cert(c->cn, c->san, (long)i + 1);
		bool got = cp_tls_cert_matches(x, c->domain);
		X509_free(x);
		if (got != c->match)
			fail_msg("%s: %s expected", c->name, c->match ? "a match" : "no match");
	}
}

static void
t_embedded_nul(void **state)
{
	(void)state;
	/* "example.com\0.evil.net" must not pass for example.com (or anything). */
	X509 *x = make_cert("x", NULL, 99);
	GENERAL_NAMES *g = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *n = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	assert_true(ASN1_STRING_set(s, "example.com\0.evil.net", 21));
	GENERAL_NAME_set0_value(n, GEN_DNS, s);
	sk_GENERAL_NAME_push(g, n);
	assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, g, 0, 0), 1);
	GENERAL_NAMES_free(g);
	assert_false(cp_tls_cert_matches(x, "example.com"));
	X509_free(x);
}

static void
collect(void *ctx, const char *id)
{
	char *out = ctx;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "%s%s", n ? "," : "", id);
}

static void
t_identity_order(void **state)
{
	(void)state;
	char got[256] = "";
	/* sip URIs first (RFC 5922 §7.1 step 1), then DNS names (step 2), CN never here. */
	X509 *x = make_cert("cn.example", "DNS:b.example,URI:sip:a.example,URI:sip:u@c.example",
			7);
	cp_tls_cert_identities(x, collect, got);
	X509_free(x);
	assert_string_equal(got, "a.example,b.example");
	got[0] = '\0';
	x = make_cert("cn.example", NULL, 8);
	cp_tls_cert_identities(x, collect, got);
	X509_free(x);
	assert_string_equal(got, "cn.example");
}

/* ---- contexts from files ---- */

static char dir[64];

static void
write_pem(const char *name, X509 *x, EVP_PKEY *k)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	if (x != NULL)
		assert_int_equal(PEM_write_X509(f, x), 1);
	if (k != NULL)
		assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

static const char *
server_serial(struct cp_tls *t)
{
	static char out[64];
	json_t *a = cp_tls_list_json(t);
	assert_non_null(a);
	json_t *first = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(first, "role")), "server");
	snprintf(out, sizeof(out), "%s", json_string_value(json_object_get(first, "serial")));
	json_decref(a);
	return out;
}

static void
t_reload(void **state)
{
	(void)state;
	char err[1024];
	snprintf(dir, sizeof(dir), "/tmp/test_cp_tls.XXXXXX");
	assert_non_null(mkdtemp(dir));
	X509 *a = make_cert("example.com", "URI:sip:example.com", 0xA1);
	X509 *b = make_cert("example.com", "URI:sip:example.com", 0xB2);
	write_pem("a.crt", a, NULL);
	write_pem("b.crt", b, NULL);
	write_pem("key.pem", NULL, key);
	write_pem("garbage.crt", NULL, NULL);

	struct cp_tls_conf c;
	cp_tls_conf_defaults(&c);
	assert_true(c.verify_server);
	assert_string_equal(c.min_version, "1.2");
	snprintf(c.cert, sizeof(c.cert), "%s/a.crt", dir);
	snprintf(c.key, sizeof(c.key), "%s/key.pem", dir);
	snprintf(c.ca, sizeof(c.ca), "%s/a.crt", dir);

	/* A missing file: no contexts, OpenSSL's reason. */
	struct cp_tls_conf bad = c;
	snprintf(bad.cert, sizeof(bad.cert), "%s/missing.crt", dir);
	assert_null(cp_tls_create(&bad, err, sizeof(err)));
	assert_non_null(strstr(err, "missing.crt"));
	/* An unknown cipher list. */
	bad = c;
	snprintf(bad.ciphers, sizeof(bad.ciphers), "NO-SUCH-CIPHER");
	assert_null(cp_tls_create(&bad, err, sizeof(err)));
	assert_non_null(strstr(err, "tls_ciphers"));

	struct cp_tls *t = cp_tls_create(&c, err, sizeof(err));
	if (t == NULL)
		fail_msg("create: %s", err);
	assert_int_equal(cp_tls_generation(t), 1);
	assert_string_equal(server_serial(t), "A1");

	/* A file that is not a certificate: refused, the old one stays. */
	bad = c;
	snprintf(bad.cert, sizeof(bad.cert), "%s/garbage.crt", dir);
	err[0] = '\0';
	assert_int_equal(cp_tls_reload(t, &bad, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 10);
	assert_int_equal(cp_tls_generation(t), 1);
	assert_string_equal(server_serial(t), "A1");

	/* A session made before a reload keeps its context. */
	SSL *s = cp_tls_server_session(t, -1);
	assert_non_null(s);
	snprintf(c.cert, sizeof(c.cert), "%s/b.crt", dir);
	if (cp_tls_reload(t, &c, err, sizeof(err)) != 0)
		fail_msg("reload: %s", err);
	assert_int_equal(cp_tls_generation(t), 2);
	assert_string_equal(server_serial(t), "B2");
	X509 *old = SSL_get_certificate(s);
	assert_non_null(old);
	assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(old)), 0xA1);
	SSL_free(s);

	assert_int_equal(cp_tls_verify_parse("required", &c.verify_client), 0);
	assert_int_equal(c.verify_client, CP_TLS_VERIFY_REQUIRED);
	assert_int_equal(cp_tls_verify_parse("maybe", &c.verify_client), -EINVAL);

	cp_tls_free(t);
	X509_free(a);
	X509_free(b);
	const char *files[] = {"a.crt", "b.crt", "key.pem", "garbage.crt"};
	for (size_t i = 0; i < 4; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

/*
 * tls.list quotes a certificate's names, which may hold any byte (an
 * IA5String is not checked): valid UTF-8, '?' for the rest, none lost.
 */
static void
t_list_non_utf8(void **state)
{
	(void)state;
	char err[1024];
	snprintf(dir, sizeof(dir), "/tmp/test_cp_tls.XXXXXX");
	assert_non_null(mkdtemp(dir));
	X509 *x = make_cert("x", NULL, 0xC3);
	GENERAL_NAMES *g = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *n = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	assert_true(ASN1_STRING_set(s, "ex\xff" "ample.com", 12));
	GENERAL_NAME_set0_value(n, GEN_DNS, s);
	sk_GENERAL_NAME_push(g, n);
	assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, g, 0, 0), 1);
	GENERAL_NAMES_free(g);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	write_pem("u.crt", x, key);

	struct cp_tls_conf c;
	cp_tls_conf_defaults(&c);
	snprintf(c.cert, sizeof(c.cert), "%s/u.crt", dir);
	struct cp_tls *t = cp_tls_create(&c, err, sizeof(err));
	if (t == NULL)
		fail_msg("create: %s", err);
	json_t *a = cp_tls_list_json(t);
	assert_non_null(a);
	json_t *first = json_array_get(a, 0);
	json_t *san = json_object_get(first, "san"), *ids = json_object_get(first, "sip_identities");
	assert_int_equal(json_array_size(san), 1);
	assert_string_equal(json_string_value(json_array_get(san, 0)), "DNS:ex?ample.com");
	assert_int_equal(json_array_size(ids), 1);
	assert_string_equal(json_string_value(json_array_get(ids, 0)), "ex?ample.com");
	json_decref(a);
	cp_tls_free(t);
	X509_free(x);
	char p[128];
	snprintf(p, sizeof(p), "%s/u.crt", dir);
	unlink(p);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_identity_cases),
		cmocka_unit_test(t_embedded_nul),
		cmocka_unit_test(t_identity_order),
		cmocka_unit_test(t_reload),
		cmocka_unit_test(t_list_non_utf8),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
