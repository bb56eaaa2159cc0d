/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_DIGEST_H
#define CP_DIGEST_H

/*
 * HTTP Digest for SIP (RFC 7616, RFC 8760; RFC 2617's MD5 for old phones):
 * the hashes (OpenSSL EVP, never our own), HA1 and response computation,
 * stateless nonces and nonce-count replay protection.
 *
 * Nonces carry their own state: base64url(expires ‖ id ‖ key generation ‖
 * HMAC-SHA-256(key, expires ‖ id ‖ generation ‖ realm)[0..16)). Two keys
 * are live: the current one signs, the previous one still verifies, so a
 * rotation never invalidates a nonce just handed out (the rotation period
 * must exceed the nonce lifetime; cp_nonce_init() enforces it). MACs are
 * compared with CRYPTO_memcmp().
 *
 * Replay: ids are issued in sequence; a window of the newest `window`
 * ids remembers each one's highest nonce-count. A request must carry a
 * higher nc than the last one accepted with that nonce; a nonce whose id
 * fell out of the window (or was issued before a restart) is answered as
 * stale, so the client retries with a fresh nonce and nothing is ever
 * replayable.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_str.h"

enum cp_digest_alg {
	CP_DIG_MD5 = 0,
	CP_DIG_SHA256 = 1,
	CP_DIG_SHA512_256 = 2,
	CP_DIG__COUNT
};

/* Bits of enum cp_digest_alg: the algorithms a realm challenges with. */
#define CP_DIG_ALL ((1u << CP_DIG__COUNT) - 1u)

/* Longest hex digest (SHA-256, SHA-512/256: 64) plus a NUL. */
#define CP_DIG_HEX_MAX 65

/* "MD5", "SHA-256", "SHA-512-256" (RFC 7616 §6.1 names). */
const char *cp_digest_alg_name(enum cp_digest_alg a);
/* The algorithm named s (case-insensitive; absent means MD5), or -1 (the -sess ones too). */
int cp_digest_alg_lookup(struct sip_str s);
/* Hex characters of the algorithm's digest (32 or 64). */
unsigned cp_digest_hex_len(enum cp_digest_alg a);
/* Parse "sha-512-256,sha-256,md5" into bits. 0 or -EINVAL. */
int cp_digest_algs_parse(const char *list, unsigned *bits);

/*
 * H(part[0] ":" part[1] ":" ... ) in lower-case hex into out (NUL-ended).
 * Returns 0 or -EIO (OpenSSL failed).
 */
int cp_digest_hex(enum cp_digest_alg a, const struct sip_str *parts, unsigned n,
		char out[CP_DIG_HEX_MAX]);

/* HA1 = H(username:realm:password). 0 or -EIO. */
int cp_digest_ha1(enum cp_digest_alg a, struct sip_str user, struct sip_str realm,
		struct sip_str password, char out[CP_DIG_HEX_MAX]);

/*
 * The expected response for qop=auth (RFC 7616 §3.4.1):
 * H(HA1:nonce:nc:cnonce:qop:H(method:uri)). nc is the 8 hex digits as
 * sent. 0 or -EIO.
 */
int cp_digest_response(enum cp_digest_alg a, struct sip_str ha1, struct sip_str nonce,
		struct sip_str nc, struct sip_str cnonce, struct sip_str qop, struct sip_str method,
		struct sip_str uri, char out[CP_DIG_HEX_MAX]);

/* Compare two hex digests (case-insensitive) in constant time for equal lengths. */
bool cp_digest_hex_eq(struct sip_str a, const char *b, size_t blen);

/* ---- nonces ---- */

#define CP_NONCE_KEY_LEN 32
/* Characters of a nonce (base64url of 36 bytes). */
#define CP_NONCE_LEN 48

struct cp_nonce_key {
	uint32_t gen;                   /* 0: none */
	uint8_t key[CP_NONCE_KEY_LEN];
	int64_t created;                /* wall seconds */
};

struct cp_nonces;

/*
 * window: ids remembered for replay checks (rounded up to a power of two,
 * at least 64). NULL on allocation failure.
 */
struct cp_nonces *cp_nonces_create(unsigned window);
void cp_nonces_free(struct cp_nonces *n);

/* Install keys (e.g. from the store): cur signs, prev (gen 0: none) verifies too. */
void cp_nonces_set_keys(struct cp_nonces *n, const struct cp_nonce_key *cur,
		const struct cp_nonce_key *prev);
/*
 * Make a new current key (random, generation cur + 1); the current one
 * becomes the previous. *out is the new key (to be stored). 0 or -EIO.
 */
int cp_nonces_rotate(struct cp_nonces *n, int64_t now, struct cp_nonce_key *out);
/* The current key (gen 0 if none). */
const struct cp_nonce_key *cp_nonces_current(const struct cp_nonces *n);

/*
 * A new nonce for realm, valid until now + lifetime seconds, into out
 * (CP_NONCE_LEN characters and a NUL). 0, or -EINVAL without a key.
 */
int cp_nonce_make(struct cp_nonces *n, struct sip_str realm, int64_t now, uint32_t lifetime,
		char out[CP_NONCE_LEN + 1]);

enum cp_nonce_verdict {
	CP_NONCE_OK = 0,        /* ours, live, nc fresh (and now recorded, see cp_nonce_accept) */
	CP_NONCE_BAD,           /* not ours: malformed or a MAC that does not verify */
	CP_NONCE_EXPIRED,       /* ours, expired, or signed by a key rotated out */
	CP_NONCE_FORGOTTEN,     /* ours, live, but out of the replay window: treat as stale */
	CP_NONCE_REPLAY,        /* nc not above the last one accepted */
};

const char *cp_nonce_verdict_name(enum cp_nonce_verdict v);

/*
 * Check nonce (for realm at now) and nonce-count nc without changing any
 * state. *id receives the nonce's id (for cp_nonce_accept()).
 */
enum cp_nonce_verdict cp_nonce_check(const struct cp_nonces *n, struct sip_str nonce,
		struct sip_str realm, int64_t now, uint32_t nc, uint64_t *id);
/* Record nc as the highest accepted for id (call once the digest is right). */
void cp_nonce_accept(struct cp_nonces *n, uint64_t id, uint32_t nc);

#endif
