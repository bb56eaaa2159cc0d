/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_TLS_H
#define CP_TLS_H

/*
 * TLS for SIP streams (OpenSSL 3): one server context (our certificate,
 * key and CA, what we ask of clients) and one client context (for
 * connections we open to gateways: certificate verification on by
 * default, with the RFC 5922 identity rules and SNI). cp_stream.c drives
 * the handshakes and the I/O; this file makes and checks the sessions.
 *
 * Reload (tls.reload): new contexts are built from the files beside the
 * old ones; on any error the old ones stay and the error is OpenSSL's
 * text. Sessions hold a reference to the context they were made from, so
 * connections open during a reload keep their certificate and go on.
 *
 * RFC 5922 §7.1 identities of a certificate: the subjectAltName URIs of
 * scheme sip without a user part (their host), then the subjectAltName
 * DNS names; the subject's Common Name only when the certificate has no
 * subjectAltName extension at all. §7.2: compared with the domain without
 * regard to case, and a wildcard never matches (7.2: "MUST NOT" accept
 * wildcard identities).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

enum cp_tls_verify {
	CP_TLS_VERIFY_NONE = 0,  /* no client certificate asked for */
	CP_TLS_VERIFY_OPTIONAL,  /* asked for; one that is sent must verify (and be allowed) */
	CP_TLS_VERIFY_REQUIRED,  /* a verified (and allowed) certificate is required */
};

struct cp_tls_conf {
	char cert[256];            /* PEM: our certificate (chain) */
	char key[256];             /* PEM: its private key */
	char ca[256];              /* PEM: CAs that verify clients and gateways ("": system) */
	char min_version[8];       /* "1.2" or "1.3" */
	char ciphers[512];         /* TLS 1.2 cipher list ("": OpenSSL's default) */
	char ciphersuites[256];    /* TLS 1.3 suites ("": default) */
	char groups[128];          /* key exchange groups ("": default) */
	enum cp_tls_verify verify_client;
	char client_allow[512];    /* identities allowed to connect, comma-separated ("": any) */
	bool verify_server;        /* outgoing: verify the gateway's certificate and name */
};

void cp_tls_conf_defaults(struct cp_tls_conf *c);
/* "none" | "optional" | "required". 0 or -EINVAL. */
int cp_tls_verify_parse(const char *s, enum cp_tls_verify *v);

struct cp_tls;

/* Contexts from c (files read now). NULL with OpenSSL's error text in err. */
struct cp_tls *cp_tls_create(const struct cp_tls_conf *c, char *err, size_t errlen);
void cp_tls_free(struct cp_tls *t);
/*
 * Rebuild the contexts from c (the same or new files). 0, or -errno with
 * the error in err and the old contexts still in use.
 */
int cp_tls_reload(struct cp_tls *t, const struct cp_tls_conf *c, char *err, size_t errlen);

/* A server session on fd (accepted connection). NULL on error. */
SSL *cp_tls_server_session(struct cp_tls *t, int fd);
/* A client session on fd to a gateway named name (SNI; identity checked by cp_tls_check). */
SSL *cp_tls_client_session(struct cp_tls *t, int fd, const char *name);

/*
 * After a handshake: is the peer acceptable? Server side: the client
 * certificate policy and allow-list; client side: chain verification and
 * the RFC 5922 identity against name (when verify_server is on; name NULL
 * or "": the chain only). 0, or
 * -EACCES with the reason in why.
 */
int cp_tls_check(struct cp_tls *t, SSL *s, bool server, const char *name, char *why,
		size_t whylen);

/* The peer's identity for logs and connections.list ("" if none): first SIP URI/DNS/CN. */
void cp_tls_peer_name(SSL *s, char *out, size_t cap);

/*
 * RFC 5922 §7: does cert carry the SIP domain identity `domain`? Pure; the
 * unit test builds certificates with every combination.
 */
bool cp_tls_cert_matches(X509 *cert, const char *domain);
/* The identities of cert in RFC 5922 order, each passed to fn (for allow-lists and lists). */
void cp_tls_cert_identities(X509 *cert, void (*fn)(void *ctx, const char *id), void *ctx);

/*
 * The loaded certificates for tls.list: ours and the CAs, each with its
 * role ("server", "ca"), subject, issuer, serial (hex), SANs and notAfter
 * (ISO 8601), as a jansson array (json_t *, returned as void * to keep
 * jansson out of this header's users). NULL on allocation failure.
 */
void *cp_tls_list_json(struct cp_tls *t);
/* Reloads done (successful), for tls.list. */
uint64_t cp_tls_generation(const struct cp_tls *t);

/* OpenSSL's queued errors as one line into buf (cleared from the queue). */
void cp_tls_errors(char *buf, size_t cap);

#endif
