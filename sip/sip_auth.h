/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_AUTH_H
#define SIP_AUTH_H

/*
 * Digest credentials of an Authorization or Proxy-Authorization value
 * (RFC 3261 §25.1 dig-resp, RFC 7616 §3.4): "Digest" then name=value
 * pairs separated by commas, values tokens or quoted strings. Views into
 * the caller's buffer, no allocation; the input is hostile (every field
 * checked against its grammar, duplicates refused, no view leaves it).
 *
 * Quoted values are given without their quotes, quoted-pairs as written:
 * sip_auth_unquote() removes the backslashes. Either form (token or
 * quoted) is taken for every field: phones disagree about qop and
 * algorithm, and the digest is computed over the unquoted value anyway.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_str.h"

#define SIP_AUTH_FIELDS(X) \
	X(USERNAME, "username") \
	X(REALM, "realm") \
	X(NONCE, "nonce") \
	X(URI, "uri") \
	X(RESPONSE, "response") \
	X(ALGORITHM, "algorithm") \
	X(CNONCE, "cnonce") \
	X(OPAQUE, "opaque") \
	X(QOP, "qop") \
	X(NC, "nc") \
	X(USERHASH, "userhash") \
	X(USERNAME_EXT, "username*")

enum sip_auth_field {
#define SIP_AUTH_ENUM(e, n) SIP_AUTH_##e,
	SIP_AUTH_FIELDS(SIP_AUTH_ENUM)
#undef SIP_AUTH_ENUM
	SIP_AUTH__COUNT
};

struct sip_auth {
	struct sip_str scheme;             /* "Digest" as written (any case) */
	struct sip_str f[SIP_AUTH__COUNT]; /* quotes removed; quoted-pairs kept */
	uint32_t present;                  /* bit (1 << field): the field was there */
	uint32_t escaped;                  /* bit: its value holds a quoted-pair */
	uint32_t nc;                       /* nc as a number (present: 8 hex digits) */
	uint16_t n_params;                 /* name=value pairs, unknown ones included */
};

/* Most pairs a value may carry (more is an error: bounds the work). */
#define SIP_AUTH_MAX_PARAMS 32

static inline bool
sip_auth_has(const struct sip_auth *a, enum sip_auth_field f)
{
	return (a->present >> f) & 1u;
}

/*
 * Parse value v (the header value, leading/trailing LWS allowed). Returns
 * 0, or -SIP_E_AUTH for anything outside the grammar: no scheme, a missing
 * '=', an unterminated quoted string, a CR/LF/NUL that is not a fold, a
 * duplicate known field, an nc that is not 8 hex digits, a response that
 * is not hex, a userhash other than true/false, more than
 * SIP_AUTH_MAX_PARAMS pairs. The scheme is not checked here (any token).
 */
int sip_auth_parse(struct sip_auth *a, struct sip_str v);

/* The scheme is Digest (case-insensitive). */
bool sip_auth_is_digest(const struct sip_auth *a);

/*
 * Copy v into dst (cap bytes) without the backslashes of quoted-pairs.
 * Returns the length, or -1 if it does not fit.
 */
int sip_auth_unquote(char *dst, size_t cap, struct sip_str v);

/* Name of a field ("username"). */
const char *sip_auth_field_name(enum sip_auth_field f);

#endif
