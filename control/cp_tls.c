/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS contexts and sessions for SIP streams (cp_tls.h). Everything
 * cryptographic is OpenSSL's; this file only chooses its settings, builds
 * the identity list of RFC 5922 and compares names.
 */
#include "cp_tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cp_rpc.h"

struct cp_tls {
	struct cp_tls_conf c;
	SSL_CTX *server;          /* NULL: no certificate configured (no TLS listener) */
	SSL_CTX *client;
	uint64_t generation;
};

void
cp_tls_conf_defaults(struct cp_tls_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->min_version, sizeof(c->min_version), "1.2");
	c->verify_client = CP_TLS_VERIFY_NONE;
	c->verify_server = true;
}

int
cp_tls_verify_parse(const char *s, enum cp_tls_verify *v)
{
	if (strcmp(s, "none") == 0)
		*v = CP_TLS_VERIFY_NONE;
	else if (strcmp(s, "optional") == 0)
		*v = CP_TLS_VERIFY_OPTIONAL;
	else if (strcmp(s, "required") == 0)
		*v = CP_TLS_VERIFY_REQUIRED;
	else
		return -EINVAL;
	return 0;
}

void
cp_tls_errors(char *buf, size_t cap)
{
	size_t n = 0;
	unsigned long e;
	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		char one[256];
		ERR_error_string_n(e, one, sizeof(one));
		int w = snprintf(buf + n, cap - n, "%s%s", n ? "; " : "", one);
		if (w < 0 || (size_t)w >= cap - n)
			n = cap - 1;
		else
			n += (size_t)w;
	}
	if (n == 0)
		snprintf(buf, cap, "unknown TLS error");
}

/* ---- RFC 5922 identities ---- */

/* A string of an ASN.1 value without embedded NULs, or NULL. */
static const char *
asn1_text(const ASN1_STRING *s, int *len)
{
	const char *p = (const char *)ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);
	if (p == NULL || n <= 0 || memchr(p, '\0', (size_t)n) != NULL)
		return NULL;
	*len = n;
	return p;
}

/* "sip:host[:port][;params]" without a user part -> host into out. */
static bool
sip_uri_domain(const char *u, int n, char *out, size_t cap)
{
	if (n < 5 || strncasecmp(u, "sip:", 4) != 0)
		return false;
	const char *p = u + 4, *end = u + n;
	const char *h = p;
	for (const char *q = p; q < end && *q != ';' && *q != '?'; q++)
		if (*q == '@')
			return false; /* a user part: a user's identity, not a domain's */
	const char *e = h;
	if (e < end && *e == '[') {
		while (e < end && *e != ']')
			e++;
		if (e < end)
			e++;
	} else {
		while (e < end && *e != ':' && *e != ';' && *e != '?')
			e++;
	}
	size_t hl = (size_t)(e - h);
	if (hl == 0 || hl >= cap)
		return false;
	memcpy(out, h, hl);
	out[hl] = '\0';
	return true;
}

void
cp_tls_cert_identities(X509 *cert, void (*fn)(void *ctx, const char *id), void *ctx)
{
	char buf[512];
	int len;
	if (cert == NULL)
		return;
	if (X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) >= 0) {
		GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
		int n = sans ? sk_GENERAL_NAME_num(sans) : 0;
		/* Step 1: sip URIs without a user part. */
		for (int i = 0; i < n; i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
			const char *t;
			if (g->type != GEN_URI || (t = asn1_text(g->d.uniformResourceIdentifier,
					&len)) == NULL)
				continue;
			if (sip_uri_domain(t, len, buf, sizeof(buf)))
				fn(ctx, buf);
		}
		/* Step 2: DNS names. */
		for (int i = 0; i < n; i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
			const char *t;
			if (g->type != GEN_DNS || (t = asn1_text(g->d.dNSName, &len)) == NULL ||
					(size_t)len >= sizeof(buf))
				continue;
			memcpy(buf, t, (size_t)len);
			buf[len] = '\0';
			fn(ctx, buf);
		}
		GENERAL_NAMES_free(sans);
		return;
	}
	/* Step 3: only without any subjectAltName: the Common Name(s). */
	X509_NAME *subj = X509_get_subject_name(cert);
	for (int i = -1; (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
		ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
		unsigned char *u = NULL;
		int ul = ASN1_STRING_to_UTF8(&u, d);
		if (ul > 0 && (size_t)ul < sizeof(buf) && memchr(u, '\0', (size_t)ul) == NULL) {
			memcpy(buf, u, (size_t)ul);
			buf[ul] = '\0';
			fn(ctx, buf);
		}
		OPENSSL_free(u);
	}
}

struct match_ctx {
	const char *domain;
	bool found;
};

/* §7.2: equal without regard to case; an identity with a wildcard matches nothing. */
static bool
name_eq(const char *id, const char *domain)
{
	if (strchr(id, '*') != NULL)
		return false;
	size_t a = strlen(id), b = strlen(domain);
	/* An absolute name's trailing dot does not make it another name. */
	if (a > 1 && id[a - 1] == '.')
		a--;
	if (b > 1 && domain[b - 1] == '.')
		b--;
	return a == b && a > 0 && strncasecmp(id, domain, a) == 0;
}

static void
match_one(void *ctx, const char *id)
{
	struct match_ctx *m = ctx;
	if (name_eq(id, m->domain))
		m->found = true;
}

bool
cp_tls_cert_matches(X509 *cert, const char *domain)
{
	struct match_ctx m = {.domain = domain, .found = false};
	if (cert == NULL || domain == NULL || domain[0] == '\0')
		return false;
	cp_tls_cert_identities(cert, match_one, &m);
	return m.found;
}

/* Does cert carry one of the comma-separated identities of list? */
static bool
allowed(X509 *cert, const char *list)
{
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n > 0 && n < 256) {
			char one[256];
			memcpy(one, p, n);
			one[n] = '\0';
			if (cp_tls_cert_matches(cert, one))
				return true;
		}
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return false;
}

struct first_ctx {
	char *out;
	size_t cap;
};

static void
first_id(void *ctx, const char *id)
{
	struct first_ctx *c = ctx;
	if (c->out[0] == '\0')
		snprintf(c->out, c->cap, "%s", id);
}

void
cp_tls_peer_name(SSL *s, char *out, size_t cap)
{
	struct first_ctx c = {out, cap};
	out[0] = '\0';
	X509 *peer = SSL_get0_peer_certificate(s);
	if (peer != NULL)
		cp_tls_cert_identities(peer, first_id, &c);
}

/* ---- contexts ---- */

static int app_index = -1;

/*
 * Server side, the leaf certificate of a client: after the chain verified,
 * the allow-list (refused in the handshake, with an alert, so the client
 * learns it at once).
 */
static int
verify_client_cb(int ok, X509_STORE_CTX *xs)
{
	if (!ok || X509_STORE_CTX_get_error_depth(xs) != 0)
		return ok;
	SSL *s = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct cp_tls *t = s ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(s), app_index) : NULL;
	if (t == NULL || t->c.client_allow[0] == '\0')
		return ok;
	if (!allowed(X509_STORE_CTX_get_current_cert(xs), t->c.client_allow)) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	return 1;
}

static int
common(SSL_CTX *ctx, const struct cp_tls_conf *c, char *err, size_t errlen)
{
	int minv = strcmp(c->min_version, "1.3") == 0 ? TLS1_3_VERSION : TLS1_2_VERSION;
	if (strcmp(c->min_version, "1.2") != 0 && strcmp(c->min_version, "1.3") != 0) {
		snprintf(err, errlen, "tls_min_version: '%s' is not 1.2 or 1.3", c->min_version);
		return -EINVAL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, minv))
		goto ssl_err;
	if (c->ciphers[0] && !SSL_CTX_set_cipher_list(ctx, c->ciphers)) {
		char e[256];
		cp_tls_errors(e, sizeof(e));
		snprintf(err, errlen, "tls_ciphers '%s': %s", c->ciphers, e);
		return -EINVAL;
	}
	if (c->ciphersuites[0] && !SSL_CTX_set_ciphersuites(ctx, c->ciphersuites)) {
		char e[256];
		cp_tls_errors(e, sizeof(e));
		snprintf(err, errlen, "tls_ciphersuites '%s': %s", c->ciphersuites, e);
		return -EINVAL;
	}
	if (c->groups[0] && !SSL_CTX_set1_groups_list(ctx, c->groups)) {
		char e[256];
		cp_tls_errors(e, sizeof(e));
		snprintf(err, errlen, "tls_groups '%s': %s", c->groups, e);
		return -EINVAL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
			SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (c->ca[0]) {
		if (!SSL_CTX_load_verify_locations(ctx, c->ca, NULL)) {
			char e[256];
			cp_tls_errors(e, sizeof(e));
			snprintf(err, errlen, "tls_ca %s: %s", c->ca, e);
			return -EINVAL;
		}
	} else if (!SSL_CTX_set_default_verify_paths(ctx)) {
		goto ssl_err;
	}
	if (c->cert[0]) {
		if (!SSL_CTX_use_certificate_chain_file(ctx, c->cert)) {
			char e[256];
			cp_tls_errors(e, sizeof(e));
			snprintf(err, errlen, "tls_cert %s: %s", c->cert, e);
			return -EINVAL;
		}
		if (!SSL_CTX_use_PrivateKey_file(ctx, c->key[0] ? c->key : c->cert,
				SSL_FILETYPE_PEM) || !SSL_CTX_check_private_key(ctx)) {
			char e[256];
			cp_tls_errors(e, sizeof(e));
			snprintf(err, errlen, "tls_key %s: %s", c->key[0] ? c->key : c->cert, e);
			return -EINVAL;
		}
	}
	return 0;
ssl_err:
	cp_tls_errors(err, errlen);
	return -EINVAL;
}

static SSL_CTX *
make_server(struct cp_tls *t, const struct cp_tls_conf *c, char *err, size_t errlen)
{
	if (c->cert[0] == '\0')
		return NULL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		cp_tls_errors(err, errlen);
		return NULL;
	}
	if (common(ctx, c, err, errlen) != 0)
		goto fail;
	int mode = SSL_VERIFY_NONE;
	if (c->verify_client == CP_TLS_VERIFY_OPTIONAL)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
	else if (c->verify_client == CP_TLS_VERIFY_REQUIRED)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE;
	SSL_CTX_set_verify(ctx, mode, mode == SSL_VERIFY_NONE ? NULL : verify_client_cb);
	if (mode != SSL_VERIFY_NONE && c->ca[0]) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(c->ca);
		if (names != NULL)
			SSL_CTX_set_client_CA_list(ctx, names);
	}
	/* Session ids are per context: a resumed session never crosses a reload. */
	static const unsigned char sid[] = "sipline-control";
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
	SSL_CTX_set_ex_data(ctx, app_index, t);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static SSL_CTX *
make_client(struct cp_tls *t, const struct cp_tls_conf *c, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		cp_tls_errors(err, errlen);
		return NULL;
	}
	if (common(ctx, c, err, errlen) != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* The chain is checked in the handshake; the name after it (cp_tls_check). */
	SSL_CTX_set_verify(ctx, c->verify_server ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_ex_data(ctx, app_index, t);
	return ctx;
}

static int
build(struct cp_tls *t, const struct cp_tls_conf *c, SSL_CTX **srv, SSL_CTX **cli, char *err,
		size_t errlen)
{
	ERR_clear_error();
	err[0] = '\0';
	*srv = make_server(t, c, err, errlen);
	if (*srv == NULL && c->cert[0])
		return -EINVAL;
	*cli = make_client(t, c, err, errlen);
	if (*cli == NULL) {
		SSL_CTX_free(*srv);
		*srv = NULL;
		return -EINVAL;
	}
	return 0;
}

struct cp_tls *
cp_tls_create(const struct cp_tls_conf *c, char *err, size_t errlen)
{
	if (app_index < 0)
		app_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	struct cp_tls *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->c = *c;
	if (build(t, c, &t->server, &t->client, err, errlen) != 0) {
		free(t);
		return NULL;
	}
	t->generation = 1;
	return t;
}

void
cp_tls_free(struct cp_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->server);
	SSL_CTX_free(t->client);
	free(t);
}

int
cp_tls_reload(struct cp_tls *t, const struct cp_tls_conf *c, char *err, size_t errlen)
{
	SSL_CTX *srv, *cli;
	if (build(t, c, &srv, &cli, err, errlen) != 0)
		return -EINVAL;
	/* Sessions made from the old contexts hold references: they go on. */
	SSL_CTX_free(t->server);
	SSL_CTX_free(t->client);
	t->server = srv;
	t->client = cli;
	t->c = *c;
	t->generation++;
	return 0;
}

uint64_t
cp_tls_generation(const struct cp_tls *t)
{
	return t->generation;
}

SSL *
cp_tls_server_session(struct cp_tls *t, int fd)
{
	if (t->server == NULL)
		return NULL;
	SSL *s = SSL_new(t->server);
	if (s == NULL)
		return NULL;
	if (!SSL_set_fd(s, fd)) {
		SSL_free(s);
		return NULL;
	}
	SSL_set_accept_state(s);
	return s;
}

static bool
is_ip_literal(const char *name)
{
	return strspn(name, "0123456789.") == strlen(name) || strchr(name, ':') != NULL;
}

SSL *
cp_tls_client_session(struct cp_tls *t, int fd, const char *name)
{
	SSL *s = SSL_new(t->client);
	if (s == NULL)
		return NULL;
	/* SNI: host names only (RFC 6066 §3: no IP literals). */
	if (!SSL_set_fd(s, fd) ||
			(name != NULL && name[0] && !is_ip_literal(name) &&
			!SSL_set_tlsext_host_name(s, name))) {
		SSL_free(s);
		return NULL;
	}
	SSL_set_connect_state(s);
	return s;
}

int
cp_tls_check(struct cp_tls *t, SSL *s, bool server, const char *name, char *why, size_t whylen)
{
	(void)t;
	/* The context the session was made from (a reload may have replaced t's). */
	struct cp_tls *owner = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(s), app_index);
	X509 *peer = SSL_get0_peer_certificate(s);
	long vr = SSL_get_verify_result(s);
	if (server) {
		/* The handshake already enforced the policy; say why if it got here anyway. */
		if (owner != NULL && owner->c.verify_client == CP_TLS_VERIFY_REQUIRED &&
				peer == NULL) {
			snprintf(why, whylen, "no client certificate");
			return -EACCES;
		}
		if (peer != NULL && vr != X509_V_OK) {
			snprintf(why, whylen, "client certificate: %s",
					X509_verify_cert_error_string(vr));
			return -EACCES;
		}
		return 0;
	}
	if (owner != NULL && !owner->c.verify_server)
		return 0;
	if (peer == NULL) {
		snprintf(why, whylen, "the server sent no certificate");
		return -EACCES;
	}
	if (vr != X509_V_OK) {
		snprintf(why, whylen, "server certificate: %s", X509_verify_cert_error_string(vr));
		return -EACCES;
	}
	/* No domain asked for (an answer to a UA's sent-by address): the chain only. */
	if (name == NULL || name[0] == '\0')
		return 0;
	/*
	 * A gateway named by IP address (RFC 5922 speaks of domains only): its
	 * certificate must carry that address as an iPAddress SAN.
	 */
	if (is_ip_literal(name)) {
		if (X509_check_ip_asc(peer, name, 0) != 1) {
			snprintf(why, whylen, "server certificate has no IP address SAN %s", name);
			return -EACCES;
		}
		return 0;
	}
	if (!cp_tls_cert_matches(peer, name)) {
		snprintf(why, whylen, "server certificate is not for %s (RFC 5922)", name);
		return -EACCES;
	}
	return 0;
}

/* ---- tls.list ---- */

static json_t *
name_json(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	if (b == NULL)
		return json_null();
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
	long l = BIO_get_mem_data(b, &p);
	/* RFC 2253 escapes bytes above 0x7f; valid UTF-8 whatever OpenSSL does. */
	json_t *j = cp_rpc_stringn(p, l > 0 ? (size_t)l : 0);
	BIO_free(b);
	return j ? j : json_null();
}

static void
add_id(void *ctx, const char *id)
{
	/* A certificate's names may hold any byte: quoted as valid UTF-8 (cp_rpc_string()). */
	json_array_append_new(ctx, cp_rpc_string(id));
}

static json_t *
cert_json(X509 *x, const char *role)
{
	char when[40] = "";
	struct tm tm;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	char nb[40] = "";
	if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm))
		strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%SZ", &tm);
	char *serial = NULL;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	if (bn != NULL)
		serial = BN_bn2hex(bn);
	BN_free(bn);
	json_t *sans = json_array();
	GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; g != NULL && i < sk_GENERAL_NAME_num(g); i++) {
		const GENERAL_NAME *n = sk_GENERAL_NAME_value(g, i);
		int len;
		const char *t = NULL;
		char buf[300];
		if (n->type == GEN_URI && (t = asn1_text(n->d.uniformResourceIdentifier, &len)))
			snprintf(buf, sizeof(buf), "URI:%.*s", len, t);
		else if (n->type == GEN_DNS && (t = asn1_text(n->d.dNSName, &len)))
			snprintf(buf, sizeof(buf), "DNS:%.*s", len, t);
		else
			continue;
		json_array_append_new(sans, cp_rpc_string(buf));
	}
	GENERAL_NAMES_free(g);
	json_t *ids = json_array();
	cp_tls_cert_identities(x, add_id, ids);
	json_t *o = json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:s, s:s}", "role", role, "subject",
		name_json(X509_get_subject_name(x)), "issuer", name_json(X509_get_issuer_name(x)),
		"serial", serial ? serial : "", "san", sans, "sip_identities", ids, "not_before",
		nb, "not_after", when);
	OPENSSL_free(serial);
	return o;
}

void *
cp_tls_list_json(struct cp_tls *t)
{
	json_t *a = json_array();
	if (a == NULL)
		return NULL;
	if (t->server != NULL) {
		X509 *x = SSL_CTX_get0_certificate(t->server);
		if (x != NULL)
			json_array_append_new(a, cert_json(x, "server"));
		STACK_OF(X509) *chain = NULL;
		if (SSL_CTX_get0_chain_certs(t->server, &chain) && chain != NULL)
			for (int i = 0; i < sk_X509_num(chain); i++)
				json_array_append_new(a, cert_json(sk_X509_value(chain, i), "chain"));
	}
	if (t->c.ca[0]) {
		X509_STORE *st = SSL_CTX_get_cert_store(t->client);
		STACK_OF(X509_OBJECT) *objs = st ? X509_STORE_get0_objects(st) : NULL;
		for (int i = 0; objs != NULL && i < sk_X509_OBJECT_num(objs); i++) {
			X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
			if (x != NULL)
				json_array_append_new(a, cert_json(x, "ca"));
		}
	}
	return a;
}
