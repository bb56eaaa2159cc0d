/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_URI_H
#define SIP_URI_H

/*
 * SIP, SIPS and TEL URIs (RFC 3261 §19.1, RFC 3966), and any other scheme
 * as an opaque absoluteURI. Views into the caller's buffer; escapes are kept
 * as written (sip_unescape() decodes once, never recursively).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_addr.h"
#include "sip_str.h"

enum sip_scheme {
	SIP_SCHEME_OTHER = 0,
	SIP_SCHEME_SIP,
	SIP_SCHEME_SIPS,
	SIP_SCHEME_TEL,
};

enum sip_host_type {
	SIP_HOST_NONE = 0,
	SIP_HOST_NAME,
	SIP_HOST_IPV4,
	SIP_HOST_IPV6, /* host view is without the brackets */
};

struct sip_uri {
	struct sip_str scheme;
	struct sip_str user;     /* SIP: userinfo before ':'; TEL: the number */
	struct sip_str password;
	struct sip_str host;
	struct sip_str hostport; /* host[:port] as written, brackets included */
	struct sip_str params;   /* after the ';' that follows hostport (or the TEL number) */
	struct sip_str headers;  /* after '?' */
	struct sip_str opaque;   /* everything after "scheme:" */
	struct sip_addr addr;    /* the host as an address when host_type is IPV4/IPV6 */
	uint16_t port;           /* valid if has_port */
	uint8_t scheme_id;       /* enum sip_scheme */
	uint8_t host_type;       /* enum sip_host_type */
	uint8_t has_port;
	uint8_t has_user;        /* SIP/SIPS: an '@' was present */
};

/*
 * Parse a whole URI in p[0..len). Returns 0, or -SIP_E_URI on any syntax
 * error (characters outside the RFC 3261 grammar, unbracketed IPv6, bad
 * port, bad escape, empty parameter name...).
 */
int sip_uri_parse(struct sip_uri *u, const char *p, size_t len);
/*
 * The two halves of sip_uri_parse(), for tests: the full parser (the
 * specification) and the fast path for the common forms (sip_uri_fast.c),
 * which returns 0 with exactly the full parser's result, or 1 when it leaves
 * the URI to it (*u is then undefined).
 */
int sip_uri_parse_full(struct sip_uri *u, const char *p, size_t len);
int sip_uri_parse_fast(struct sip_uri *u, const char *p, size_t len);

struct sip_param {
	struct sip_str name;
	struct sip_str value; /* empty if !has_value; quoted strings keep their quotes */
	bool has_value;
};

/*
 * Iterate parameters "name[=value]" separated by ';' in s (URI params or
 * header params; LWS around ';' and '=' is skipped; values may be tokens,
 * hosts, IPv6 references or quoted strings). *pos starts at 0.
 * Returns 1 and *out, 0 at the end of s or at a ',' that ends a list value
 * (*pos then points at the ','), -1 on a syntax error (empty name...).
 */
int sip_param_next(struct sip_str s, uint32_t *pos, struct sip_param *out);
/* Parameter named name (case-insensitive) in s: 1 found (*val set), 0 not, -1 error. */
int sip_param_get(struct sip_str s, const char *name, size_t nlen, struct sip_str *val);

/*
 * Decode %HH escapes of src once into dst (room for cap bytes). Returns the
 * decoded length, or -1 on a malformed escape or too small dst. The result
 * may contain NUL bytes (RFC 4475 escnull).
 */
int sip_unescape(char *dst, size_t cap, struct sip_str src);

/*
 * host [ ":" port ] at p (IPv6 in brackets, IPv4, hostname): fills u->host,
 * host_type, addr (for IP hosts), port, has_port, hostport. lws_colon allows LWS around the ':'
 * (Via sent-by). Returns the end of what was read, or NULL.
 */
const char *sip_hostport_parse(struct sip_uri *u, const char *p, const char *end, bool lws_colon);

/* Scheme id for a scheme name (case-insensitive). */
enum sip_scheme sip_scheme_lookup(struct sip_str s);

#endif
