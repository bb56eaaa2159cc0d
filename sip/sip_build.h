/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_BUILD_H
#define SIP_BUILD_H

/*
 * Message edits and builders shared by the dataplane and the control plane.
 * Every builder writes the whole result in one pass into a buffer the caller
 * provides and returns its length, or -SIP_E_NOSPACE / another negative
 * enum sip_err. No allocation.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sip_addr.h"
#include "sip_msg.h"
#include "sip_naddr.h"
#include "sip_sign.h"
#include "sip_str.h"
#include "sip_via.h"

/* ---- edit lists: splice a message into a new buffer ---- */

#define SIP_MAX_EDITS 16
#define SIP_EDIT_TEXT 1024

struct sip_edit {
	uint32_t off;     /* where, in the source */
	uint32_t del;     /* bytes of the source dropped from off */
	uint32_t ins_len; /* bytes inserted at off (before what follows) */
	const char *ins;
};

struct sip_edits {
	unsigned n;
	unsigned used;               /* bytes of text[] in use */
	struct sip_edit e[SIP_MAX_EDITS];
	char text[SIP_EDIT_TEXT];    /* storage for generated insertions */
};

static inline void
sip_edits_init(struct sip_edits *es)
{
	es->n = 0;
	es->used = 0;
}

/* Add an edit. ins must stay valid until apply. 0 or -SIP_E_NOSPACE. */
int sip_edits_add(struct sip_edits *es, uint32_t off, uint32_t del, const char *ins,
		uint32_t ins_len);
/* Reserve n bytes of text[] for an insertion; NULL if full. */
char *sip_edits_text(struct sip_edits *es, uint32_t n);
/*
 * Copy src[from..to) into out with the edits applied (edits at the same
 * offset apply in the order they were added; deletions must not overlap).
 * Returns the output length, or -SIP_E_NOSPACE.
 */
int sip_edits_apply(struct sip_edits *es, const char *src, uint32_t from, uint32_t to,
		char *out, size_t cap);

/* ---- edits on a received request ---- */

/*
 * RFC 3261 §18.2.1 and RFC 3581 on the top Via as received from src:port:
 * add received= when sent-by is not src (or rport is present), fill in an
 * empty rport with the source port.
 */
int sip_edit_via_received(struct sip_edits *es, const struct sip_msg *m,
		const struct sip_via *top, const struct sip_addr *src, uint16_t src_port);

/*
 * What a stateless proxy writes into the top Via of a request it forwards:
 * received= the source address and rport= the source port, always,
 * replacing whatever the sender wrote there (RFC 3581 §4 with the port
 * forced, as NAT-facing proxies do). Responses then go back exactly where
 * the request came from, and our branch signs those two values.
 */
int sip_edit_via_source(struct sip_edits *es, const struct sip_msg *m,
		const struct sip_via *top, const struct sip_addr *src, uint16_t src_port);

/*
 * Remove one value of a list header (a Route, a Via), or a span of consecutive
 * values [value_start, value_end) (more: a value follows the span): the whole
 * line if nothing else is on it.
 */
int sip_edit_remove_value(struct sip_edits *es, const struct sip_msg *m,
		const struct sip_hdr *h, const char *value_start, const char *value_end, bool more);

/* ---- stateless forwarding of a request (RFC 3261 §16.6, §16.11) ---- */

struct sip_fwd_opts {
	const struct sip_via *top;   /* the request's top Via, parsed */
	struct sip_str via_host;     /* our sent-by host: "192.0.2.1" or "[2001:db8::1]" */
	uint16_t via_port;
	enum sip_transport via_tp;
	const char *branch;          /* SIP_BRANCH_LEN bytes (sip_branch_make) */
	const struct sip_addr *src;  /* where the request came from */
	uint16_t src_port;
	struct sip_str ruri;         /* new Request-URI; empty keeps it */
	struct sip_str record_route; /* our Record-Route URI ("sip:h:p;lr"); empty for none */
	struct sip_str record_route2; /* a second one below it (RFC 5658: family change); or empty */
	struct sip_str extra;        /* header lines to add (each ending in CRLF), or empty */
	/* top Route value to pop (ours), or NULL: */
	const struct sip_hdr *route_hdr;
	const struct sip_naddr *route;
	/* the value after it, also ours (double Record-Route), or NULL: */
	const struct sip_hdr *route2_hdr;
	const struct sip_naddr *route2;
};

/*
 * Build the forwarded request: our Via on top with the deterministic
 * branch, the source in received/rport of the previous top Via
 * (sip_edit_via_source()), Max-Forwards decremented
 * (70 inserted if absent), Request-URI rewritten, our Route popped,
 * Record-Route and extra lines added, Content-Length added if absent; leading CRLFs and
 * trailing octets after the framed body dropped. Everything else is copied
 * byte for byte (unknown headers untouched). Max-Forwards must be > 0
 * (sip_proxy_check()).
 */
int sip_build_request_fwd(char *out, size_t cap, const struct sip_msg *m,
		const struct sip_fwd_opts *o);

/* ---- stateless forwarding of a response (RFC 3261 §16.7 step 3, §18.2.2) ---- */

struct sip_next_hop {
	struct sip_addr addr;
	uint16_t port;
	uint8_t transport;   /* enum sip_transport */
	uint8_t need_dns;    /* the hop is a host name: resolve it elsewhere */
	struct sip_str host; /* when need_dns */
};

/*
 * Build m (a response whose top Via value `top` is ours) without that Via
 * value, with the caller's edits (es, or NULL for none) applied too, and
 * compute where it goes: the next Via's received (or sent-by) and rport
 * (or port, default 5060/5061); maddr is ignored. Returns the length, or
 * -SIP_E_VIA if there is no next Via or it is unusable.
 */
int sip_build_response_fwd(char *out, size_t cap, const struct sip_msg *m,
		const struct sip_via *top, struct sip_edits *es, struct sip_next_hop *hop);

/* ---- stateless responses (RFC 3261 §8.2.6, §8.2.7, §8.3, §16.7) ---- */

struct sip_reply_opts {
	uint16_t code;
	struct sip_str reason;        /* empty: the standard phrase */
	const struct sip_via *top;    /* the request's top Via, parsed */
	const struct sip_naddr *to;   /* the request's To, parsed; NULL: parsed here */
	const struct sip_addr *src;   /* for received/rport on the top Via */
	uint16_t src_port;
	struct sip_str to_tag;        /* used if the request's To has no tag */
	const struct sip_str *contacts; /* Contact values ("<uri>;q=0.5"), or NULL */
	unsigned n_contacts;
	struct sip_str extra;         /* extra header lines, each ending in CRLF */
};

/*
 * A response to request m: status line, all Vias (top one with
 * received/rport), From, To (with to_tag added if it had none), Call-ID,
 * CSeq, Contacts, extra headers, Content-Length: 0.
 */
int sip_build_reply(char *out, size_t cap, const struct sip_msg *m,
		const struct sip_reply_opts *o);

/* Standard reason phrase for a status code ("" if unknown). */
const char *sip_reason_phrase(unsigned code);

/* Decimal text of v into o (room for 10 bytes); returns its length. */
unsigned sip_fmt_u32(char *o, uint32_t v);

#endif
