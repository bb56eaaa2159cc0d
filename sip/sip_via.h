/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_VIA_H
#define SIP_VIA_H

/*
 * Via (RFC 3261 §20.42, RFC 3581 rport, RFC 5118 IPv6 received) and the
 * cursor used to walk comma-separated values across header lines.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sip_addr.h"
#include "sip_msg.h"
#include "sip_str.h"

enum sip_transport {
	SIP_TP_OTHER = 0,
	SIP_TP_UDP,
	SIP_TP_TCP,
	SIP_TP_TLS,
	SIP_TP_SCTP,
	SIP_TP_WS,
	SIP_TP_WSS,
};

#define SIP_BRANCH_COOKIE "z9hG4bK"
#define SIP_BRANCH_COOKIE_LEN 7

struct sip_via {
	const char *start;        /* first byte of this via-parm */
	const char *end;          /* one past its last non-LWS byte */
	struct sip_str protocol;  /* protocol name, "SIP" */
	struct sip_str version;   /* "2.0" */
	struct sip_str transport; /* "UDP", as written */
	struct sip_str sent_by;   /* host[:port] as written */
	struct sip_str host;      /* IPv6 without brackets */
	struct sip_addr addr;     /* host as an address when host_type is IPV4/IPV6 */
	struct sip_str params;    /* raw, after the first ';' (empty if none) */
	struct sip_str branch, received, rport, maddr, ttl; /* param values */
	const char *rport_name_end; /* one past "rport" when present (to append "=port") */
	uint16_t port;            /* valid if has_port */
	uint8_t transport_id;     /* enum sip_transport */
	uint8_t host_type;        /* enum sip_host_type */
	uint8_t has_port;
	uint8_t has_branch, has_received, has_rport, has_maddr;
	uint8_t more;             /* a ',' followed: another value comes next */
};

/*
 * Parse one via-parm at p (leading LWS allowed) up to end. On success
 * *next is where the following value starts (after the ','), or end.
 * Returns 0 or -SIP_E_VIA.
 */
int sip_via_parse(struct sip_via *v, const char *p, const char *end, const char **next);
/*
 * The two halves of sip_via_parse(), for tests: the full parser (the
 * specification) and the fast path for the common form, which returns 0 with
 * exactly the full parser's result, or 1 when it leaves the value to it.
 */
int sip_via_parse_full(struct sip_via *v, const char *p, const char *end, const char **next);
int sip_via_parse_fast(struct sip_via *v, const char *p, const char *end, const char **next);

/* Cursor over the values of a list header across all its lines. */
struct sip_cursor {
	const struct sip_msg *msg;
	uint8_t hdr;      /* current header index, SIP_HDR_NONE when done */
	const char *pos;  /* where the next value starts inside that header */
};

void sip_cursor_init(struct sip_cursor *c, const struct sip_msg *m, enum sip_hdr_type t);
/* The header the last value returned came from. */
const struct sip_hdr *sip_cursor_hdr(const struct sip_cursor *c);

/* Next Via value: 1 and *v, 0 when there are no more, -SIP_E_VIA on error. */
int sip_via_next(struct sip_cursor *c, struct sip_via *v);
/* The topmost Via value: 0, or -SIP_E_MISSING_HDR / -SIP_E_VIA. */
int sip_via_top(const struct sip_msg *m, struct sip_via *v);
/*
 * How many Via values m has: header lines plus the commas in them (an
 * over-count only if a quoted parameter holds a comma). Stops after the
 * header line that takes the count past limit, so a result above limit is
 * only known to be above it. No parsing: a cheap bound for a limit check.
 */
unsigned sip_via_count(const struct sip_msg *m, unsigned limit);

/* The branch starts with the RFC 3261 magic cookie and has more after it. */
static inline bool
sip_branch_is_3261(struct sip_str b)
{
	return b.len > SIP_BRANCH_COOKIE_LEN &&
		memcmp(b.p, SIP_BRANCH_COOKIE, SIP_BRANCH_COOKIE_LEN) == 0;
}

enum sip_transport sip_transport_lookup(struct sip_str s);

#endif
