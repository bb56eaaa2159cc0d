/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_MSG_H
#define SIP_MSG_H

/*
 * Zero-copy SIP message parser.
 *
 * sip_parse() scans the header section once, parses the start line, indexes
 * every header by type (long and compact names, any case) and frames the
 * body by Content-Length. Nothing else is parsed: header values are decoded
 * only when asked for (sip_via_*, sip_naddr_*, sip_cseq_parse, ...), so the
 * fast path pays only for what it reads. No allocation; struct sip_msg holds
 * offsets into the caller's buffer, which must outlive it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_err.h"
#include "sip_hdr.h"
#include "sip_str.h"

#define SIP_MAX_MSG 65535u
/* Header lines indexed per message; more is refused with 400. */
#define SIP_MAX_HDRS 128u
#define SIP_HDR_NONE 0xffu

#define SIP_METHODS(X) \
	X(INVITE) X(ACK) X(BYE) X(CANCEL) X(OPTIONS) X(REGISTER) X(PRACK) \
	X(SUBSCRIBE) X(NOTIFY) X(PUBLISH) X(INFO) X(REFER) X(MESSAGE) X(UPDATE)

enum sip_method {
	SIP_METHOD_UNKNOWN = 0,
#define SIP_METHOD_ENUM(m) SIP_METHOD_##m,
	SIP_METHODS(SIP_METHOD_ENUM)
#undef SIP_METHOD_ENUM
	SIP_METHOD__COUNT
};

/* One header line (with its folded continuation lines). */
struct sip_hdr {
	uint16_t name;  /* offset of the name's first byte */
	uint16_t colon; /* offset of the ':' after the name */
	uint16_t lf;    /* offset of the LF ending the last line of this header */
	uint8_t type;   /* enum sip_hdr_type */
	uint8_t next;   /* index of the next header of the same type, or SIP_HDR_NONE */
};

enum {
	SIP_PARSE_STREAM = 1 << 0, /* TCP/TLS: Content-Length required, may be partial */
};

enum {
	SIP_MSG_REQUEST = 1 << 0,   /* a request (else a response) */
	SIP_MSG_START_OK = 1 << 1,  /* start line parsed */
	SIP_MSG_HDRS_OK = 1 << 2,   /* header index usable (even if framing failed) */
	SIP_MSG_FOLDED = 1 << 3,    /* some header continues on a folded line */
	SIP_MSG_NO_CL = 1 << 4,     /* no Content-Length: datagram body is the rest */
};

struct sip_msg {
	const char *buf;
	uint32_t len;      /* message bytes: start line + headers + body (framed) */
	uint32_t skip;     /* leading CR/LF bytes ignored before the start line */
	uint32_t hdr_start; /* offset of the first header line */
	uint32_t body;     /* offset of the body */
	uint32_t body_len;
	uint16_t flags;
	uint8_t method;    /* enum sip_method; for responses, 0 */
	uint8_t n_hdrs;
	uint16_t status;   /* responses: 100..699 */
	/* start line views, as offsets into buf */
	uint16_t method_off, method_len;
	uint16_t ruri_off, ruri_len;       /* requests */
	uint16_t reason_off, reason_len;   /* responses */
	uint16_t start_end;                /* offset of the start line's LF */
	uint8_t first[SIP_HDR__COUNT];     /* first header of each type, or SIP_HDR_NONE */
	struct sip_hdr hdr[SIP_MAX_HDRS];
};

/*
 * Parse the message in buf[0..len).
 * Datagrams (flags 0): the message is framed by Content-Length; trailing
 * octets are not part of it (RFC 3261 §18.3); no Content-Length means the
 * body is the rest of the datagram.
 * Streams (SIP_PARSE_STREAM): Content-Length is required; returns
 * -SIP_E_INCOMPLETE until buf holds a whole message.
 * Returns the bytes consumed (leading CRLFs + message, > 0) or a negative
 * enum sip_err. On error, msg->flags says how far it got: with
 * SIP_MSG_HDRS_OK the header index can still be used to build an error
 * response.
 */
int sip_parse(struct sip_msg *msg, const char *buf, size_t len, unsigned flags);

static inline bool
sip_is_request(const struct sip_msg *m)
{
	return (m->flags & SIP_MSG_REQUEST) != 0;
}

static inline struct sip_str
sip_msg_ruri(const struct sip_msg *m)
{
	return sip_str_make(m->buf + m->ruri_off, m->ruri_len);
}

static inline struct sip_str
sip_msg_method(const struct sip_msg *m)
{
	return sip_str_make(m->buf + m->method_off, m->method_len);
}

static inline struct sip_str
sip_msg_reason(const struct sip_msg *m)
{
	return sip_str_make(m->buf + m->reason_off, m->reason_len);
}

static inline struct sip_str
sip_msg_body(const struct sip_msg *m)
{
	return sip_str_make(m->buf + m->body, m->body_len);
}

/* First header of type t, or NULL. */
static inline const struct sip_hdr *
sip_hdr_first(const struct sip_msg *m, enum sip_hdr_type t)
{
	uint8_t i = m->first[t];
	return i == SIP_HDR_NONE ? NULL : &m->hdr[i];
}

/* Next header of the same type, or NULL. */
static inline const struct sip_hdr *
sip_hdr_next(const struct sip_msg *m, const struct sip_hdr *h)
{
	return h->next == SIP_HDR_NONE ? NULL : &m->hdr[h->next];
}

/* Name as written (may be compact, any case). */
static inline struct sip_str
sip_hdr_name_str(const struct sip_msg *m, const struct sip_hdr *h)
{
	uint32_t e = h->colon;
	while (e > h->name && (m->buf[e - 1] == ' ' || m->buf[e - 1] == '\t'))
		e--;
	return sip_str_make(m->buf + h->name, e - h->name);
}

/*
 * The value with leading and trailing whitespace (LWS, including folds)
 * removed. Folded lines inside the value stay as they are (CRLF + WSP);
 * the structured parsers treat them as LWS. The general rule, which
 * sip_hdr_value() inlines for the common "Name: value\r\n".
 */
struct sip_str sip_hdr_value_full(const struct sip_msg *m, const struct sip_hdr *h);

/*
 * sip_hdr_value_full(), with the line every peer writes answered inline:
 * one SP after the colon, a non-blank first and last byte, CRLF. Every
 * byte read lies in [colon + 1, lf]. tests/sip/test_parse.c and the
 * fuzz_msg target check that both always agree.
 */
static inline struct sip_str
sip_hdr_value(const struct sip_msg *m, const struct sip_hdr *h)
{
	const char *p = m->buf + h->colon + 1, *e = m->buf + h->lf;

	if (p + 1 < e - 1 && p[0] == ' ' && (unsigned char)p[1] > ' ' && e[-1] == '\r' &&
			(unsigned char)e[-2] > ' ')
		return sip_str_make(p + 1, (size_t)(e - 1 - (p + 1)));
	return sip_hdr_value_full(m, h);
}

/* Offset one past the whole header line(s), i.e. after the final LF. */
static inline uint32_t
sip_hdr_end(const struct sip_hdr *h)
{
	return (uint32_t)h->lf + 1;
}

/* Number of headers of type t. */
unsigned sip_hdr_count(const struct sip_msg *m, enum sip_hdr_type t);

/* Method enum for a method token (case-sensitive, RFC 3261 §7.1). */
enum sip_method sip_method_lookup(const char *p, size_t len);
const char *sip_method_name(enum sip_method m);

#endif
