/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP streams (cp_stream.h): listeners, connections, framing, write
 * queues, time-outs. One thread (the loop's); a connection closed inside a
 * callback is unlinked at once and freed when the callback has returned
 * (the graveyard), so no callback ever touches freed memory.
 */
#include "cp_stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cp_app.h"
#include "cp_frame.h"
#include "cp_loop.h"
#include "cp_sipsock.h"
#include "cp_tls.h"
#include "sip.h"

#define LISTEN_MAX 8
#define LISTEN_BACKLOG 1024
/* Accepts per wake-up; reads per wake-up on a plain TCP connection (level-triggered). */
#define ACCEPT_BUDGET 64
#define READ_BUDGET 16
#define HASH_BUCKETS 1024u
/* A connection closing after its last answer gets this long to flush it. */
#define LINGER_MS 2000u

static const char *const counter_names[] = {
#define CP_STREAM_NAME(n, h) #n,
	CP_STREAM_COUNTERS(CP_STREAM_NAME)
#undef CP_STREAM_NAME
};
static const char *const counter_help[] = {
#define CP_STREAM_HELP(n, h) h,
	CP_STREAM_COUNTERS(CP_STREAM_HELP)
#undef CP_STREAM_HELP
};

const char *
cp_stream_counter_name(enum cp_stream_counter c)
{
	return (unsigned)c < CP_STREAM_C__COUNT ? counter_names[c] : "?";
}

const char *
cp_stream_counter_help(enum cp_stream_counter c)
{
	return (unsigned)c < CP_STREAM_C__COUNT ? counter_help[c] : "?";
}

void
cp_stream_conf_defaults(struct cp_stream_conf *c)
{
	c->max_conns = 4096;
	c->max_per_source = 64;
	c->idle_ms = 180000;
	c->first_byte_ms = 10000;
	c->msg_ms = 10000;
	c->handshake_ms = 10000;
	c->max_msg = CP_FRAME_MAX_MSG;
	c->max_header = CP_FRAME_MAX_HEADER;
	c->max_wq = 256 * 1024;
}

enum conn_state { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_CLOSING };

struct conn {
	struct conn *hnext;         /* id hash chain */
	struct conn *prev, *next;   /* all connections */
	struct cp_stream *st;
	uint64_t id;
	int fd;
	uint8_t transport;
	bool outgoing, dead, got_byte;
	enum conn_state state;
	SSL *ssl;
	bool ssl_want_write;        /* the last SSL call wants the socket writable */
	struct sip_addr peer, local;
	uint16_t pport, lport;
	struct cp_frame fr;
	char *wq;
	size_t wlen, wcap, woff;
	uint64_t created, last, msg_start, closing_since, pin_until;
	uint64_t opened;            /* when it became C_OPEN (after a TLS handshake) */
	uint64_t rx, tx, msgs;
	unsigned watched;
	char tls_name[256];         /* outgoing: the domain to verify; incoming: SNI */
	char tls_peer[256];
};

struct listener {
	struct cp_stream *st;
	int fd;
	uint8_t transport;
	struct sip_addr addr;
	uint16_t port;
};

struct cp_stream {
	struct cp_loop *loop;
	struct cp_stream_conf c;
	struct cp_tls *tls;
	struct listener ls[LISTEN_MAX];
	unsigned n_ls;
	struct conn *hash[HASH_BUCKETS];
	struct conn *all;
	struct conn *grave;
	unsigned n_conns;
	uint64_t next_id;
	uint64_t tick;
	uint64_t resume;            /* timer: TLS connections with bytes OpenSSL holds */
	struct {
		cp_stream_fn *fn;
		void *ctx;
	} reg, other;
	cp_stream_closed_fn *closed;
	void *closed_ctx;
	cp_stream_bound_fn *bound;
	void *bound_ctx;
	uint64_t cnt[CP_STREAM_C__COUNT];
};

const uint64_t *
cp_stream_counters(const struct cp_stream *st)
{
	return st->cnt;
}

unsigned
cp_stream_count(const struct cp_stream *st)
{
	return st->n_conns;
}

static struct conn *
find(const struct cp_stream *st, uint64_t id)
{
	for (struct conn *c = st->hash[id & (HASH_BUCKETS - 1)]; c != NULL; c = c->hnext)
		if (c->id == id)
			return c->dead ? NULL : c;
	return NULL;
}

static void
conn_free(struct conn *c)
{
	cp_frame_fini(&c->fr);
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	free(c->wq);
	free(c);
}

static void
bury(struct cp_stream *st)
{
	struct conn *c = st->grave, *nx;
	st->grave = NULL;
	for (; c != NULL; c = nx) {
		nx = c->next;
		conn_free(c);
	}
}

/* Unlink and close now; freed by bury() after the callbacks. */
static void
conn_close(struct conn *c, bool notify)
{
	struct cp_stream *st = c->st;
	if (c->dead)
		return;
	c->dead = true;
	if (c->ssl != NULL && c->state == C_OPEN) {
		/* Best effort close_notify; never waits. */
		SSL_set_quiet_shutdown(c->ssl, 0);
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	cp_loop_del_fd(st->loop, c->fd);
	close(c->fd);
	struct conn **pp = &st->hash[c->id & (HASH_BUCKETS - 1)];
	for (; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	if (c->prev)
		c->prev->next = c->next;
	else
		st->all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	st->n_conns--;
	st->cnt[CP_STREAM_C_STREAM_CLOSED]++;
	c->next = st->grave;
	st->grave = c;
	if (notify && st->closed != NULL)
		st->closed(st->closed_ctx, c->id, c->transport);
}

static void on_conn(struct cp_loop *l, int fd, unsigned events, void *ctx);

static void
update_events(struct conn *c)
{
	if (c->dead)
		return;
	unsigned ev = 0;
	if (c->state == C_CONNECTING)
		ev = CP_WRITE;
	else if (c->state == C_HANDSHAKE)
		ev = c->ssl_want_write ? CP_WRITE : CP_READ;
	else
		ev = (c->state == C_OPEN ? CP_READ : 0) |
			(c->wlen > c->woff || c->ssl_want_write ? CP_WRITE : 0);
	if (c->state == C_CLOSING && ev == 0)
		ev = CP_READ; /* keep error/hang-up reports coming */
	if (ev != c->watched) {
		cp_loop_mod_fd(c->st->loop, c->fd, ev);
		c->watched = ev;
	}
}

static struct conn *
conn_new(struct cp_stream *st, int fd, uint8_t transport, bool outgoing)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->st = st;
	c->fd = fd;
	c->transport = transport;
	c->outgoing = outgoing;
	c->id = ++st->next_id;
	c->created = c->last = cp_now_ms();
	cp_frame_init(&c->fr, st->c.max_msg, st->c.max_header);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		cp_sockaddr_to(&ss, &c->local, &c->lport);
	c->watched = CP_READ;
	if (cp_loop_add_fd(st->loop, fd, CP_READ, on_conn, c) != 0) {
		free(c);
		return NULL;
	}
	struct conn **b = &st->hash[c->id & (HASH_BUCKETS - 1)];
	c->hnext = *b;
	*b = c;
	c->next = st->all;
	if (st->all)
		st->all->prev = c;
	st->all = c;
	st->n_conns++;
	return c;
}

/* Queue bytes; false if the queue would overflow (the caller closes). */
static bool
wq_add(struct conn *c, const char *buf, size_t len)
{
	if (c->woff > 0 && c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (c->wlen - c->woff + len > c->st->c.max_wq)
		return false;
	if (c->wlen + len > c->wcap) {
		if (c->woff > 0) {
			memmove(c->wq, c->wq + c->woff, c->wlen - c->woff);
			c->wlen -= c->woff;
			c->woff = 0;
		}
		if (c->wlen + len > c->wcap) {
			size_t nc = c->wcap ? c->wcap : 4096;
			while (nc < c->wlen + len)
				nc *= 2;
			char *nw = realloc(c->wq, nc);
			if (nw == NULL)
				return false;
			c->wq = nw;
			c->wcap = nc;
		}
	}
	memcpy(c->wq + c->wlen, buf, len);
	c->wlen += len;
	return true;
}

/* Write what is queued. false: the connection failed (closed). */
static bool
flush(struct conn *c)
{
	c->ssl_want_write = false;
	while (c->wlen > c->woff && c->state >= C_OPEN) {
		size_t n = c->wlen - c->woff;
		ssize_t w;
		if (c->ssl != NULL) {
			int r = SSL_write(c->ssl, c->wq + c->woff, (int)(n > INT32_MAX ? INT32_MAX : n));
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				ERR_clear_error();
				if (e == SSL_ERROR_WANT_WRITE) {
					c->ssl_want_write = true;
					break;
				}
				if (e == SSL_ERROR_WANT_READ)
					break;
				conn_close(c, true);
				return false;
			}
			w = r;
		} else {
			w = send(c->fd, c->wq + c->woff, n, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					break;
				conn_close(c, true);
				return false;
			}
		}
		c->woff += (size_t)w;
		c->tx += (uint64_t)w;
		c->last = cp_now_ms();
	}
	if (c->wlen == c->woff)
		c->wlen = c->woff = 0;
	if (c->state == C_CLOSING && c->wlen == 0) {
		conn_close(c, true);
		return false;
	}
	update_events(c);
	return true;
}

static int
queue_send(struct conn *c, const char *buf, size_t len)
{
	if (!wq_add(c, buf, len)) {
		c->st->cnt[CP_STREAM_C_STREAM_WQ_OVERFLOW]++;
		conn_close(c, true);
		return -ENOBUFS;
	}
	if (c->state >= C_OPEN)
		flush(c);
	else
		update_events(c);
	return 0;
}

/*
 * Closed connections are freed only by the loop's own callbacks (on_conn,
 * accept_some, on_tick, resume): cp_stream_send()/reply() may run inside a
 * handler called for a connection that must stay valid until it returns.
 */

/* Stop reading; close once the queue is written (or LINGER_MS later). */
static void
close_after_flush(struct conn *c)
{
	if (c->dead)
		return;
	c->state = C_CLOSING;
	c->closing_since = cp_now_ms();
	flush(c);
}

/*
 * A response to a request whose framing failed or that nobody handles,
 * built from its header section (datagram parse: no body). Nothing if the
 * header cannot carry a response (no Via, not a request).
 */
static void
answer_raw(struct conn *c, const char *hdr, size_t len, uint16_t code, const char *reason)
{
	static struct sip_msg m;
	/* Static: the reply copies every Via of a header section of up to 64 KiB. */
	static char out[1 << 17];
	struct sip_via top;
	/*
	 * A datagram parse of the header section: with a framing error the
	 * body is short or absent, which does not matter here (HDRS_OK: the
	 * header index is usable); the reply needs the top Via, From, To,
	 * Call-ID and CSeq, and nothing else validated.
	 */
	(void)sip_parse(&m, hdr, len, 0);
	if (!(m.flags & SIP_MSG_START_OK) || !(m.flags & SIP_MSG_HDRS_OK) || !sip_is_request(&m) ||
			m.method == SIP_METHOD_ACK)
		return;
	if (sip_via_top(&m, &top) != 0 || top.sent_by.len == 0 ||
			sip_hdr_first(&m, SIP_HDR_FROM) == NULL || sip_hdr_first(&m, SIP_HDR_TO) == NULL ||
			sip_hdr_first(&m, SIP_HDR_CALL_ID) == NULL ||
			sip_hdr_first(&m, SIP_HDR_CSEQ) == NULL)
		return;
	struct sip_reply_opts o = {
		.code = code,
		.reason = reason ? sip_str_make(reason, strlen(reason)) : SIP_STR_NULL,
		.top = &top,
		.to = NULL,
		.src = &c->peer,
		.src_port = c->pport,
		.to_tag = sip_str_make("sl-stream", 9),
		.extra = code == 503 ? sip_str_make("Retry-After: 60\r\n", 17) : SIP_STR_NULL,
	};
	int n = sip_build_reply(out, sizeof(out), &m, &o);
	if (n > 0)
		queue_send(c, out, (size_t)n);
}

static void
dispatch(struct conn *c, const char *msg, size_t len)
{
	struct cp_stream *st = c->st;
	struct cp_stream_peer p = {
		.addr = c->peer,
		.port = c->pport,
		.transport = c->transport,
		.conn = c->id,
		.tls_peer = c->tls_peer,
	};
	st->cnt[CP_STREAM_C_STREAM_MSGS_IN]++;
	c->msgs++;
	bool is_reg = len > 9 && memcmp(msg, "REGISTER ", 9) == 0;
	if (is_reg && st->reg.fn != NULL) {
		st->reg.fn(st->reg.ctx, msg, len, &p);
		return;
	}
	if (!is_reg && st->other.fn != NULL) {
		st->other.fn(st->other.ctx, msg, len, &p);
		return;
	}
	/* Nobody routes it on this build: say so (requests only; ACK never). */
	if (len > 8 && memcmp(msg, "SIP/2.0 ", 8) == 0)
		return;
	st->cnt[CP_STREAM_C_STREAM_503]++;
	answer_raw(c, msg, len, 503, NULL);
}

/* Frames in the buffer: dispatch them. false: the connection is gone or closing. */
static bool
drain(struct conn *c)
{
	for (;;) {
		const char *m;
		size_t len;
		int ev = cp_frame_next(&c->fr, &m, &len);
		switch (ev) {
		case CP_FRAME_NONE:
			if (cp_frame_pending(&c->fr) == 0)
				c->msg_start = 0;
			else if (c->msg_start == 0)
				c->msg_start = cp_now_ms();
			return true;
		case CP_FRAME_MSG:
			c->msg_start = 0;
			dispatch(c, m, len);
			if (c->dead || c->state == C_CLOSING)
				return false;
			continue;
		case CP_FRAME_PING:
			c->st->cnt[CP_STREAM_C_STREAM_PINGS]++;
			if (queue_send(c, "\r\n", 2) != 0)
				return false;
			continue;
		case CP_FRAME_E_LENGTH:
			c->st->cnt[CP_STREAM_C_STREAM_BAD_FRAMING]++;
			answer_raw(c, m, len, 400, "Content-Length Required On Streams");
			close_after_flush(c);
			return false;
		case CP_FRAME_E_TOO_LARGE:
			c->st->cnt[CP_STREAM_C_STREAM_TOO_LARGE]++;
			answer_raw(c, m, len, 513, NULL);
			close_after_flush(c);
			return false;
		default:
			c->st->cnt[CP_STREAM_C_STREAM_TOO_LARGE]++;
			conn_close(c, true);
			return false;
		}
	}
}

static int64_t on_resume(struct cp_loop *l, void *ctx);

static void
resume_later(struct cp_stream *st)
{
	if (st->resume == 0)
		st->resume = cp_timer_add(st->loop, 0, on_resume, st);
}

static void
do_read(struct conn *c)
{
	int budget = READ_BUDGET;
	while (!c->dead && c->state == C_OPEN) {
		if (budget-- == 0) {
			/*
			 * Enough for this wake-up. TCP: epoll (level-triggered) wakes us
			 * again. TLS: bytes OpenSSL has already read never wake epoll, so
			 * a timer comes back for them.
			 */
			if (c->ssl != NULL && SSL_has_pending(c->ssl))
				resume_later(c->st);
			return;
		}
		char *p;
		size_t room = cp_frame_space(&c->fr, &p);
		if (room == 0) {
			drain(c); /* reports the error */
			if (!c->dead && c->state == C_OPEN)
				conn_close(c, true);
			return;
		}
		ssize_t n;
		if (c->ssl != NULL) {
			int r = SSL_read(c->ssl, p, (int)(room > INT32_MAX ? INT32_MAX : room));
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				ERR_clear_error();
				if (e == SSL_ERROR_WANT_READ)
					return;
				if (e == SSL_ERROR_WANT_WRITE) {
					c->ssl_want_write = true;
					update_events(c);
					return;
				}
				conn_close(c, true);
				return;
			}
			n = r;
		} else {
			n = recv(c->fd, p, room, MSG_DONTWAIT);
			if (n == 0) {
				conn_close(c, true);
				return;
			}
			if (n < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
					conn_close(c, true);
				return;
			}
		}
		cp_frame_commit(&c->fr, (size_t)n);
		c->rx += (uint64_t)n;
		c->got_byte = true;
		c->last = cp_now_ms();
		if (!drain(c))
			return;
	}
}

static void
handshake(struct conn *c)
{
	struct cp_stream *st = c->st;
	ERR_clear_error();
	int r = SSL_do_handshake(c->ssl);
	c->ssl_want_write = false;
	if (r != 1) {
		int e = SSL_get_error(c->ssl, r);
		ERR_clear_error();
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			c->ssl_want_write = e == SSL_ERROR_WANT_WRITE;
			update_events(c);
			return;
		}
		st->cnt[CP_STREAM_C_STREAM_TLS_FAILED]++;
		conn_close(c, true);
		return;
	}
	char why[256];
	if (cp_tls_check(st->tls, c->ssl, !c->outgoing, c->outgoing ? c->tls_name : NULL, why,
			sizeof(why)) != 0) {
		st->cnt[CP_STREAM_C_STREAM_TLS_FAILED]++;
		/* Ours to fix when it is a gateway we chose (incoming failures are only counted). */
		if (c->outgoing)
			cp_log("TLS to %s refused: %s", c->tls_name[0] ? c->tls_name : "a peer", why);
		conn_close(c, true);
		return;
	}
	cp_tls_peer_name(c->ssl, c->tls_peer, sizeof(c->tls_peer));
	if (!c->outgoing) {
		const char *sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
		if (sni != NULL)
			snprintf(c->tls_name, sizeof(c->tls_name), "%s", sni);
	}
	c->state = C_OPEN;
	c->last = c->opened = cp_now_ms();
	if (c->wlen > c->woff && !flush(c))
		return;
	update_events(c);
	/* Application data may have come with the last handshake flight. */
	do_read(c);
}

static void
connected(struct conn *c)
{
	int err = 0;
	socklen_t el = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
		c->st->cnt[CP_STREAM_C_STREAM_CONNECT_FAILED]++;
		conn_close(c, true);
		return;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
		cp_sockaddr_to(&ss, &c->local, &c->lport);
	if (c->transport == SIP_TP_TLS) {
		c->state = C_HANDSHAKE;
		handshake(c);
		return;
	}
	c->state = C_OPEN;
	flush(c);
}

static void
on_conn(struct cp_loop *l, int fd, unsigned events, void *ctx)
{
	struct conn *c = ctx;
	struct cp_stream *st = c->st;
	(void)l;
	(void)fd;
	switch (c->state) {
	case C_CONNECTING:
		connected(c);
		break;
	case C_HANDSHAKE:
		handshake(c);
		break;
	case C_OPEN:
		if (events & (CP_WRITE | CP_ERROR))
			if (!flush(c))
				break;
		if (events & (CP_READ | CP_ERROR))
			do_read(c);
		if (!c->dead && c->ssl_want_write)
			flush(c);
		break;
	case C_CLOSING:
		if (events & CP_ERROR) {
			conn_close(c, true);
			break;
		}
		flush(c);
		break;
	}
	bury(st);
}

static unsigned
per_source(const struct cp_stream *st, const struct sip_addr *a)
{
	unsigned n = 0;
	for (const struct conn *c = st->all; c != NULL; c = c->next)
		n += !c->outgoing && sip_addr_eq(&c->peer, a);
	return n;
}

static void
accept_some(struct cp_loop *l, int lfd, unsigned events, void *ctx)
{
	struct listener *ls = ctx;
	struct cp_stream *st = ls->st;
	(void)l;
	(void)events;
	for (int i = 0; i < ACCEPT_BUDGET; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		struct sip_addr a;
		uint16_t port;
		if (cp_sockaddr_to(&ss, &a, &port) != 0) {
			close(fd);
			continue;
		}
		if (st->n_conns >= st->c.max_conns) {
			st->cnt[CP_STREAM_C_STREAM_REFUSED_TOTAL]++;
			close(fd);
			continue;
		}
		if (per_source(st, &a) >= st->c.max_per_source) {
			st->cnt[CP_STREAM_C_STREAM_REFUSED_SOURCE]++;
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = conn_new(st, fd, ls->transport, false);
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->peer = a;
		c->pport = port;
		st->cnt[CP_STREAM_C_STREAM_ACCEPTED]++;
		if (ls->transport == SIP_TP_TLS) {
			c->ssl = st->tls ? cp_tls_server_session(st->tls, fd) : NULL;
			if (c->ssl == NULL) {
				st->cnt[CP_STREAM_C_STREAM_TLS_FAILED]++;
				conn_close(c, false);
				continue;
			}
			c->state = C_HANDSHAKE;
		} else {
			c->state = C_OPEN;
			c->opened = c->created;
		}
	}
	bury(st);
}

static int64_t
on_resume(struct cp_loop *l, void *ctx)
{
	struct cp_stream *st = ctx;
	(void)l;
	st->resume = 0;
	struct conn *c = st->all, *nx;
	for (; c != NULL; c = nx) {
		nx = c->next;
		if (!c->dead && c->ssl != NULL && c->state == C_OPEN && SSL_has_pending(c->ssl))
			do_read(c);
	}
	bury(st);
	return -1;
}

/* ---- time-outs ---- */

static int64_t
on_tick(struct cp_loop *l, void *ctx)
{
	struct cp_stream *st = ctx;
	uint64_t now = cp_now_ms();
	(void)l;
	struct conn *c = st->all, *nx;
	for (; c != NULL; c = nx) {
		nx = c->next;
		enum cp_stream_counter why = CP_STREAM_C__COUNT;
		switch (c->state) {
		case C_CONNECTING:
		case C_HANDSHAKE:
			if (now - c->created > st->c.handshake_ms)
				why = CP_STREAM_C_STREAM_TIMEOUT_HANDSHAKE;
			break;
		case C_CLOSING:
			if (now - c->closing_since > LINGER_MS)
				why = CP_STREAM_C_STREAM_CLOSED; /* counted by conn_close */
			break;
		case C_OPEN:
			/* From the end of the handshake: a slow handshake has its own time-out. */
			if (!c->outgoing && !c->got_byte && now - c->opened > st->c.first_byte_ms)
				why = CP_STREAM_C_STREAM_TIMEOUT_FIRST_BYTE;
			else if (c->msg_start && now - c->msg_start > st->c.msg_ms)
				why = CP_STREAM_C_STREAM_TIMEOUT_MESSAGE;
			else if (now - c->last > st->c.idle_ms && now >= c->pin_until) {
				c->pin_until = st->bound ? st->bound(st->bound_ctx, c->id) : 0;
				if (c->pin_until <= now)
					why = CP_STREAM_C_STREAM_TIMEOUT_IDLE;
			}
			break;
		}
		if (why == CP_STREAM_C__COUNT)
			continue;
		if (why != CP_STREAM_C_STREAM_CLOSED)
			st->cnt[why]++;
		conn_close(c, true);
	}
	bury(st);
	return CP_STREAM_TICK_MS;
}

/* ---- public ---- */

struct cp_stream *
cp_stream_create(struct cp_loop *l, const struct cp_stream_conf *c)
{
	struct cp_stream *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return NULL;
	/*
	 * OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a peer gone
	 * mid-write must not kill the process (sipline-control ignores SIGPIPE
	 * already, cp_loop_signals(); this covers every other user).
	 */
	signal(SIGPIPE, SIG_IGN);
	st->loop = l;
	st->c = *c;
	st->tick = cp_timer_add(l, CP_STREAM_TICK_MS, on_tick, st);
	if (st->tick == 0) {
		free(st);
		return NULL;
	}
	return st;
}

void
cp_stream_free(struct cp_stream *st)
{
	if (st == NULL)
		return;
	while (st->all != NULL)
		conn_close(st->all, false);
	bury(st);
	for (unsigned i = 0; i < st->n_ls; i++) {
		cp_loop_del_fd(st->loop, st->ls[i].fd);
		close(st->ls[i].fd);
	}
	cp_timer_del(st->loop, st->tick);
	cp_timer_del(st->loop, st->resume);
	free(st);
}

void
cp_stream_set_conf(struct cp_stream *st, const struct cp_stream_conf *c)
{
	st->c = *c;
}

void
cp_stream_set_tls(struct cp_stream *st, struct cp_tls *tls)
{
	st->tls = tls;
}

void
cp_stream_handle_register(struct cp_stream *st, cp_stream_fn *fn, void *ctx)
{
	st->reg.fn = fn;
	st->reg.ctx = ctx;
}

void
cp_stream_handle(struct cp_stream *st, cp_stream_fn *fn, void *ctx)
{
	st->other.fn = fn;
	st->other.ctx = ctx;
}

void
cp_stream_on_close(struct cp_stream *st, cp_stream_closed_fn *fn, void *ctx)
{
	st->closed = fn;
	st->closed_ctx = ctx;
}

void
cp_stream_bound(struct cp_stream *st, cp_stream_bound_fn *fn, void *ctx)
{
	st->bound = fn;
	st->bound_ctx = ctx;
}

int
cp_stream_listen(struct cp_stream *st, uint8_t transport, const struct sip_addr *addr,
		uint16_t port, char *err, size_t errlen)
{
	char host[64];
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd;
	const char *tp = transport == SIP_TP_TLS ? "tls" : "tcp";

	host[sip_addr_format(addr, host, sizeof(host) - 1)] = '\0';
	if (st->n_ls == LISTEN_MAX) {
		snprintf(err, errlen, "%s %s:%u: too many listeners", tp, host, port);
		return -ENOSPC;
	}
	if (transport == SIP_TP_TLS && st->tls == NULL) {
		snprintf(err, errlen, "tls %s:%u: no TLS certificate configured (tls_cert)", host,
				port);
		return -EINVAL;
	}
	int family = addr->af == SIP_AF_INET ? AF_INET : AF_INET6;
	if (cp_sockaddr_from(addr, port, family, &ss, &sl) != 0) {
		snprintf(err, errlen, "%s %s:%u: not an address", tp, host, port);
		return -EINVAL;
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot listen on %s %s:%u: %s", tp, host, port, strerror(e));
		close(fd);
		return -e;
	}
	struct listener *ls = &st->ls[st->n_ls];
	*ls = (struct listener){.st = st, .fd = fd, .transport = transport, .addr = *addr,
		.port = port};
	if (cp_loop_add_fd(st->loop, fd, CP_READ, accept_some, ls) != 0) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -ENOMEM;
	}
	st->n_ls++;
	return 0;
}

/*
 * May a TLS connection carry a message for the SIP domain name? An outgoing
 * one if it was verified for that very name; an incoming one (RFC 5923
 * style reuse) only if its peer presented a certificate that verified and
 * carries that identity: a peer that merely connected from the gateway's
 * address and port has proved nothing.
 */
static bool
tls_reusable(struct conn *c, const char *name)
{
	if (c->outgoing)
		return strcmp(c->tls_name, name ? name : "") == 0;
	if (name == NULL || name[0] == '\0')
		return true;
	if (c->ssl == NULL || c->state != C_OPEN)
		return false;
	X509 *peer = SSL_get0_peer_certificate(c->ssl);
	return peer != NULL && SSL_get_verify_result(c->ssl) == X509_V_OK &&
		cp_tls_cert_matches(peer, name);
}

int64_t
cp_stream_send(struct cp_stream *st, uint8_t transport, const struct sip_addr *dst,
		uint16_t port, const char *tls_name, const char *buf, size_t len)
{
	if (transport != SIP_TP_TCP && transport != SIP_TP_TLS)
		return -EPROTONOSUPPORT;
	if (transport == SIP_TP_TLS && st->tls == NULL)
		return -EPROTONOSUPPORT;
	/* A live connection to dst:port of that transport (either direction). */
	for (struct conn *c = st->all; c != NULL; c = c->next) {
		if (c->transport != transport || c->state == C_CLOSING || c->pport != port ||
				!sip_addr_eq(&c->peer, dst))
			continue;
		if (transport == SIP_TP_TLS && !tls_reusable(c, tls_name))
			continue;
		int rc = queue_send(c, buf, len);
		return rc == 0 ? (int64_t)c->id : rc;
	}
	if (st->n_conns >= st->c.max_conns)
		return -EMFILE;
	struct sockaddr_storage ss;
	socklen_t sl;
	int family = dst->af == SIP_AF_INET ? AF_INET : AF_INET6;
	if (cp_sockaddr_from(dst, port, family, &ss, &sl) != 0)
		return -EAFNOSUPPORT;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		st->cnt[CP_STREAM_C_STREAM_CONNECT_FAILED]++;
		return -e;
	}
	struct conn *c = conn_new(st, fd, transport, true);
	if (c == NULL) {
		close(fd);
		return -ENOMEM;
	}
	c->peer = *dst;
	c->pport = port;
	c->got_byte = true; /* the first-byte time-out is for accepted connections */
	c->state = C_CONNECTING;
	snprintf(c->tls_name, sizeof(c->tls_name), "%s", tls_name ? tls_name : "");
	if (transport == SIP_TP_TLS) {
		c->ssl = cp_tls_client_session(st->tls, fd, tls_name);
		if (c->ssl == NULL) {
			conn_close(c, false);
			return -ENOMEM;
		}
	}
	st->cnt[CP_STREAM_C_STREAM_CONNECTS]++;
	int64_t id = (int64_t)c->id;
	int rc = queue_send(c, buf, len);
	return rc == 0 ? id : rc;
}

int
cp_stream_reply(struct cp_stream *st, uint64_t conn, const char *buf, size_t len)
{
	struct conn *c = find(st, conn);
	if (c == NULL || c->state == C_CLOSING)
		return -ENOTCONN;
	/* Not buried here: the caller may be inside this connection's callback. */
	return queue_send(c, buf, len);
}

int
cp_stream_close(struct cp_stream *st, uint64_t conn)
{
	struct conn *c = find(st, conn);
	if (c == NULL)
		return -ENOENT;
	conn_close(c, true);
	return 0;
}

static const char *const state_names[] = {"connecting", "handshake", "open", "closing"};

void
cp_stream_foreach(struct cp_stream *st,
		void (*fn)(void *ctx, const struct cp_stream_info *i), void *ctx)
{
	uint64_t now = cp_now_ms();
	for (struct conn *c = st->all; c != NULL; c = c->next) {
		struct cp_stream_info i = {
			.id = c->id,
			.peer = c->peer,
			.peer_port = c->pport,
			.local = c->local,
			.local_port = c->lport,
			.transport = c->transport,
			.outgoing = c->outgoing,
			.state = state_names[c->state],
			.age_ms = now - c->created,
			.idle_ms = now - c->last,
			.rx_bytes = c->rx,
			.tx_bytes = c->tx,
			.rx_msgs = c->msgs,
			.tx_queued = c->wlen - c->woff,
			.tls_peer = c->tls_peer,
			.tls_version = c->ssl != NULL && c->state >= C_OPEN ? SSL_get_version(c->ssl) : "",
			.tls_name = c->tls_name,
			.pinned = c->pin_until > now,
		};
		fn(ctx, &i);
	}
}
