/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_STREAM_H
#define CP_STREAM_H

/*
 * SIP over TCP and TLS on the router's kernel side: listeners, accepted and
 * outgoing connections on the event loop, all non-blocking. Each
 * connection frames its bytes with cp_frame (Content-Length; CRLF pings
 * answered here), and hands every message to a handler: REGISTER to the
 * registrar's, everything else to the "other" handler (the relay's
 * routing); with no other handler, requests get 503 on the connection.
 *
 * Limits (cp_stream_conf, defaults in docs/control.md): connections in
 * total and per source address (more are accepted and closed at once),
 * a first-byte time-out (a connection that sends nothing), a whole-message
 * time-out (a message begun must end in time: slowloris), a TLS handshake
 * time-out, an idle time-out (no bytes either way) that does not apply to
 * a connection a live registration is bound to (RFC 5626: the flow stays
 * until the binding expires), and a bounded write queue per connection
 * (overflow closes it). Time-outs are checked every CP_STREAM_TICK_MS.
 *
 * Connections are named by ids (uint64_t > 0, never reused while the
 * process runs); a stale id is simply not found.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_addr.h"

struct cp_loop;
struct cp_tls;
struct cp_stream;

#define CP_STREAM_TICK_MS 250u

struct cp_stream_conf {
	unsigned max_conns;         /* connections in total (in and out) */
	unsigned max_per_source;    /* accepted connections per source address */
	uint64_t idle_ms;           /* no bytes either way (unless a binding uses it) */
	uint64_t first_byte_ms;     /* accepted, nothing received */
	uint64_t msg_ms;            /* a message begun must be complete within this */
	uint64_t handshake_ms;      /* TLS handshake (and TCP connect for outgoing ones) */
	size_t max_msg;             /* largest message (513 and close beyond) */
	size_t max_header;          /* largest header section (close beyond) */
	size_t max_wq;              /* bytes queued for writing per connection (close beyond) */
};

void cp_stream_conf_defaults(struct cp_stream_conf *c);

/* Who sent a message. */
struct cp_stream_peer {
	struct sip_addr addr;
	uint16_t port;
	uint8_t transport;          /* enum sip_transport: SIP_TP_TCP or SIP_TP_TLS */
	uint64_t conn;              /* connection id, for cp_stream_reply() */
	const char *tls_peer;       /* TLS: the peer certificate's first identity, or "" */
};

/* A message (request or response) from peer; buf is valid during the call only. */
typedef void cp_stream_fn(void *ctx, const char *buf, size_t len,
		const struct cp_stream_peer *peer);
/* A connection closed (for whoever bound something to it). */
typedef void cp_stream_closed_fn(void *ctx, uint64_t conn, uint8_t transport);
/*
 * Until when (monotonic ms) must conn stay open although idle? 0: it may
 * close. Asked when a connection reaches its idle time-out.
 */
typedef uint64_t cp_stream_bound_fn(void *ctx, uint64_t conn);

struct cp_stream *cp_stream_create(struct cp_loop *l, const struct cp_stream_conf *c);
/* Closes every connection and listener (no closed callbacks). */
void cp_stream_free(struct cp_stream *st);
/* New limits (existing connections keep their buffers; time-outs apply at once). */
void cp_stream_set_conf(struct cp_stream *st, const struct cp_stream_conf *c);
/* TLS contexts for TLS listeners and outgoing TLS (owned by the caller; NULL: no TLS). */
void cp_stream_set_tls(struct cp_stream *st, struct cp_tls *tls);

/*
 * Listen on addr:port for transport (SIP_TP_TCP or SIP_TP_TLS); bound with
 * IP_FREEBIND (the tap may not exist yet). 0 or -errno with err filled.
 */
int cp_stream_listen(struct cp_stream *st, uint8_t transport, const struct sip_addr *addr,
		uint16_t port, char *err, size_t errlen);

/* REGISTER requests go to fn (NULL: 503 like the others). */
void cp_stream_handle_register(struct cp_stream *st, cp_stream_fn *fn, void *ctx);
/*
 * Every other message goes to fn. With fn NULL, requests (not ACK) are
 * answered 503 Service Unavailable on their connection, responses dropped.
 */
void cp_stream_handle(struct cp_stream *st, cp_stream_fn *fn, void *ctx);
void cp_stream_on_close(struct cp_stream *st, cp_stream_closed_fn *fn, void *ctx);
void cp_stream_bound(struct cp_stream *st, cp_stream_bound_fn *fn, void *ctx);

/*
 * Send buf to dst:port over transport (SIP_TP_TCP or SIP_TP_TLS): on a live
 * connection to dst:port of that transport if there is one, else on a new
 * one (non-blocking connect; buf waits in its write queue). tls_name: the
 * SIP domain expected in the server's certificate (RFC 5922) and the SNI
 * name; NULL checks the certificate chain only (for responses sent to a
 * UA's sent-by address, RFC 3261 §18.2.2). Returns the connection id
 * (> 0), or -errno (-EMFILE: max_conns, -ENOBUFS: write queue full,
 * -EPROTONOSUPPORT: no TLS configured).
 */
int64_t cp_stream_send(struct cp_stream *st, uint8_t transport, const struct sip_addr *dst,
		uint16_t port, const char *tls_name, const char *buf, size_t len);
/* Send buf on connection conn. 0, -ENOTCONN (gone or closing) or -ENOBUFS (closed). */
int cp_stream_reply(struct cp_stream *st, uint64_t conn, const char *buf, size_t len);
/* Close a connection now (queued bytes dropped). 0 or -ENOENT. */
int cp_stream_close(struct cp_stream *st, uint64_t conn);

struct cp_stream_info {
	uint64_t id;
	struct sip_addr peer;
	uint16_t peer_port;
	struct sip_addr local;
	uint16_t local_port;
	uint8_t transport;
	bool outgoing;
	const char *state;          /* "connecting", "handshake", "open", "closing" */
	uint64_t age_ms, idle_ms;
	uint64_t rx_bytes, tx_bytes, rx_msgs, tx_queued;
	const char *tls_peer;       /* "" unless TLS with a peer certificate */
	const char *tls_version;    /* "" unless TLS */
	const char *tls_name;       /* outgoing TLS: the name checked; incoming: the SNI */
	bool pinned;                /* kept open by a binding */
};

/* fn for every connection (in no particular order). */
void cp_stream_foreach(struct cp_stream *st,
		void (*fn)(void *ctx, const struct cp_stream_info *i), void *ctx);
/* Connections open now. */
unsigned cp_stream_count(const struct cp_stream *st);

/* Counters, declared once. */
#define CP_STREAM_COUNTERS(X) \
	X(STREAM_ACCEPTED, "stream connections accepted") \
	X(STREAM_REFUSED_TOTAL, "stream connections closed at once: max_conns") \
	X(STREAM_REFUSED_SOURCE, "stream connections closed at once: max_per_source") \
	X(STREAM_CONNECTS, "outgoing stream connections opened") \
	X(STREAM_CONNECT_FAILED, "outgoing stream connections that failed to connect") \
	X(STREAM_CLOSED, "stream connections closed") \
	X(STREAM_TIMEOUT_FIRST_BYTE, "closed: nothing received within the first-byte time-out") \
	X(STREAM_TIMEOUT_MESSAGE, "closed: a message not complete within the message time-out") \
	X(STREAM_TIMEOUT_IDLE, "closed: idle") \
	X(STREAM_TIMEOUT_HANDSHAKE, "closed: TLS handshake or connect not done in time") \
	X(STREAM_TLS_FAILED, "TLS handshakes that failed (or peers refused)") \
	X(STREAM_WQ_OVERFLOW, "closed: write queue full") \
	X(STREAM_MSGS_IN, "SIP messages received on streams") \
	X(STREAM_PINGS, "CRLF keep-alive pings answered") \
	X(STREAM_BAD_FRAMING, "closed: missing or bad Content-Length (400)") \
	X(STREAM_TOO_LARGE, "closed: message or header section too large (513)") \
	X(STREAM_503, "requests answered 503 (no handler)")

enum cp_stream_counter {
#define CP_STREAM_ENUM(n, h) CP_STREAM_C_##n,
	CP_STREAM_COUNTERS(CP_STREAM_ENUM)
#undef CP_STREAM_ENUM
	CP_STREAM_C__COUNT
};

const uint64_t *cp_stream_counters(const struct cp_stream *st);
const char *cp_stream_counter_name(enum cp_stream_counter c);
const char *cp_stream_counter_help(enum cp_stream_counter c);

#endif
