/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_FRAME_H
#define CP_FRAME_H

/*
 * SIP message framing on a stream (TCP, TLS): bytes in, in pieces of any
 * size, complete messages out. No sockets here (cp_stream.c reads into the
 * framer's buffer); everything is a pure function of the bytes so that a
 * unit test can split them at every position.
 *
 *   - CRLFs before a message are skipped (RFC 3261 §7.5);
 *   - a CRLFCRLF at a message boundary is an RFC 5626 §4.4.1 keep-alive
 *     "ping": reported (CP_FRAME_PING), the caller answers CRLF ("pong");
 *   - the header section ends at the first CRLFCRLF and must do so within
 *     max_header bytes (else CP_FRAME_E_HEADER: the caller closes);
 *   - Content-Length (or its compact form `l`) is mandatory on streams
 *     (RFC 3261 §18.3, §20.14): missing, malformed, given twice with two
 *     values -> CP_FRAME_E_LENGTH (the caller answers 400 and closes);
 *   - header section plus body larger than max_msg -> CP_FRAME_E_TOO_LARGE
 *     (513 and close).
 * After an error the framer is spent: the stream cannot be resynchronised
 * (where the next message starts is unknown), so the connection closes.
 *
 * Memory: the buffer grows on demand up to max_msg (+ a little) and shrinks
 * back after a large message; an idle connection holds at most 4 KiB.
 */

#include <stddef.h>
#include <stdint.h>

/* Defaults (docs/control.md). */
#define CP_FRAME_MAX_MSG 65535u
#define CP_FRAME_MAX_HEADER 16384u

enum cp_frame_ev {
	CP_FRAME_NONE = 0,      /* nothing complete yet: read more */
	CP_FRAME_MSG = 1,       /* a message: msg, len */
	CP_FRAME_PING = 2,      /* CRLFCRLF keep-alive: answer "\r\n" */
	CP_FRAME_E_LENGTH = -1, /* no or a bad Content-Length: 400, close (msg, len: the header) */
	CP_FRAME_E_TOO_LARGE = -2, /* over max_msg: 513, close (msg, len: the header) */
	CP_FRAME_E_HEADER = -3, /* no end of the header section within max_header: close */
};

struct cp_frame {
	char *buf;
	size_t len, cap;         /* bytes held, allocated */
	size_t max_msg, max_header;
	size_t scan;             /* the search for CRLFCRLF resumes here */
	size_t hdr_len;          /* 0 until the header section is complete (incl. CRLFCRLF) */
	size_t body_len;
	size_t consumed;         /* the last message/ping, dropped at the next call */
	int err;                 /* sticky error (negative enum cp_frame_ev) */
};

/* Limits: 0 takes the default; max_header is capped at max_msg. No allocation yet. */
void cp_frame_init(struct cp_frame *f, size_t max_msg, size_t max_header);
void cp_frame_fini(struct cp_frame *f);

/*
 * Room to read into: *p and the number of bytes that fit (> 0), growing
 * the buffer up to the limit; 0 when the buffer is full (then
 * cp_frame_next() reports an error) or memory is short.
 */
size_t cp_frame_space(struct cp_frame *f, char **p);
/* n bytes were written at the pointer cp_frame_space() gave. */
void cp_frame_commit(struct cp_frame *f, size_t n);
/* Copy bytes in (for tests and fuzzers). Bytes taken (fewer when the buffer is full). */
size_t cp_frame_feed(struct cp_frame *f, const char *p, size_t n);

/*
 * The next event. CP_FRAME_MSG: msg and len are the message (header section
 * and body), valid until the next call of any cp_frame_* function. Errors:
 * msg and len are the header section when it is complete (to build an
 * answer), else NULL/0. Call until CP_FRAME_NONE or an error.
 */
int cp_frame_next(struct cp_frame *f, const char **msg, size_t *len);

/* Bytes held that are not a complete message yet (a partial message in progress). */
size_t cp_frame_pending(const struct cp_frame *f);

/*
 * The Content-Length of a header section hdr[0..n) (the first line is the
 * start line and is skipped). 0 with *cl set, -ENOENT if absent, -EINVAL
 * if malformed or given twice with different values.
 */
int cp_frame_content_length(const char *hdr, size_t n, size_t *cl);

#endif
