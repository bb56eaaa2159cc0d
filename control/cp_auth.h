/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_AUTH_H
#define CP_AUTH_H

/*
 * Digest authentication of a request (RFC 3261 §22, RFC 7616, RFC 8760):
 * the decision on its Authorization headers, and the 401 challenge.
 *
 * Order of the checks: the credentials for our realm (other realms'
 * are ignored), their syntax (400), the algorithm (one we challenge with,
 * else a new challenge), qop=auth, digest-uri equal to the Request-URI
 * (400), the user's HA1 (unknown user: a new challenge, exactly as for a
 * wrong password: nothing tells the two apart), the response (constant
 * time), then the nonce: not ours -> challenge; expired or signed by a
 * rotated-out key, or out of the replay window -> stale=true (the
 * password was right); nc not above the last one -> challenge.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cp_digest.h"
#include "sip_msg.h"

struct cp_auth_conf {
	unsigned algs;            /* bits of enum cp_digest_alg offered */
	uint32_t nonce_lifetime;  /* seconds */
};

/* HA1 of user in realm for alg into out: 0, or -ENOENT (no such user or no HA1 for alg). */
typedef int cp_auth_ha1_fn(void *ctx, struct sip_str user, struct sip_str realm,
		enum cp_digest_alg alg, char out[CP_DIG_HEX_MAX]);

enum cp_auth_verdict {
	CP_AUTH_OK = 0,      /* authenticated: user is set */
	CP_AUTH_CHALLENGE,   /* 401 with a fresh challenge */
	CP_AUTH_STALE,       /* 401 with stale=true */
	CP_AUTH_BAD,         /* 400 (why says what) */
	CP_AUTH_ERROR,       /* 500: hashing or the store failed */
};

struct cp_auth_result {
	enum cp_auth_verdict v;
	struct sip_str user;      /* the authenticated username (view into the message) */
	const char *why;          /* for logs and the 400 reason */
};

/*
 * Decide on request m for realm at wall time now. Records the nonce
 * count on success (so the same credentials are not taken twice).
 */
void cp_auth_check(struct cp_nonces *n, const struct cp_auth_conf *c, cp_auth_ha1_fn *ha1,
		void *ctx, const struct sip_msg *m, struct sip_str realm, int64_t now,
		struct cp_auth_result *r);

/*
 * WWW-Authenticate header lines (each ending in CRLF) for realm: one per
 * algorithm in c->algs, strongest first (SHA-512-256, SHA-256, MD5), one
 * fresh nonce shared by them, qop="auth", stale=true if asked. Returns the
 * length written to out, or -ENOSPC / -EIO / -EINVAL (no nonce key).
 */
int cp_auth_challenge(struct cp_nonces *n, const struct cp_auth_conf *c, struct sip_str realm,
		int64_t now, bool stale, char *out, size_t cap);

#endif
