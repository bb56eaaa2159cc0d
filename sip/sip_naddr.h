/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_NADDR_H
#define SIP_NADDR_H

/*
 * name-addr / addr-spec with header parameters: From, To, Contact, Route,
 * Record-Route, Path (RFC 3261 §20.10, §25.1).
 */

#include <stdbool.h>
#include <stdint.h>

#include "sip_msg.h"
#include "sip_str.h"
#include "sip_via.h"

enum {
	SIP_NADDR_LIST = 1 << 0,      /* a ',' ends the value (Contact, Route...) */
	SIP_NADDR_STAR = 1 << 1,      /* "*" is a valid value (Contact) */
	SIP_NADDR_CHECK_URI = 1 << 2, /* also run sip_uri_parse() on the URI */
	SIP_NADDR_NEED_BRACKETS = 1 << 3, /* Route, Record-Route: name-addr only */
};

struct sip_naddr {
	const char *start;       /* first byte of the value */
	const char *end;         /* one past its last non-LWS byte */
	struct sip_str display;  /* as written, quotes included; empty if none */
	struct sip_str uri;      /* inside <>, or the bare addr-spec */
	struct sip_str params;   /* header params, after the first ';' */
	struct sip_str tag;      /* "tag" param value */
	uint8_t bracketed;
	uint8_t star;            /* Contact: * */
	uint8_t has_tag;
	uint8_t more;            /* a ',' followed: another value comes next */
};

/*
 * Parse one value at p (leading LWS allowed) up to end. *next is set
 * after the ',' for list headers, else to end. Returns 0 or -SIP_E_NAMEADDR
 * (or -SIP_E_URI when SIP_NADDR_CHECK_URI finds a bad URI).
 */
int sip_naddr_parse(struct sip_naddr *a, const char *p, const char *end, unsigned flags,
		const char **next);
/*
 * The two halves of sip_naddr_parse(), for tests: the full parser (the
 * specification) and the fast path for the common forms, which returns 0
 * with exactly the full parser's result, or 1 when it leaves the value to it.
 */
int sip_naddr_parse_full(struct sip_naddr *a, const char *p, const char *end, unsigned flags,
		const char **next);
int sip_naddr_parse_fast(struct sip_naddr *a, const char *p, const char *end, unsigned flags,
		const char **next);

/* Next value of a list header (cursor from sip_cursor_init()): 1, 0 at the end, or < 0. */
int sip_naddr_next(struct sip_cursor *c, struct sip_naddr *a, unsigned flags);

/* The (single) value of header type t: 0, -SIP_E_MISSING_HDR or a parse error. */
int sip_naddr_of(const struct sip_msg *m, enum sip_hdr_type t, struct sip_naddr *a,
		unsigned flags);

#endif
