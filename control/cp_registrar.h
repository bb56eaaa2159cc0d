/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_REGISTRAR_H
#define CP_REGISTRAR_H

/*
 * The registrar (RFC 3261 §10.3, RFC 3327 Path, RFC 5626 basics): REGISTER
 * requests in, responses and binding changes out, registrations in the
 * store. No sockets here (cp_regsrv.c has the UDP socket and the timers):
 * a datagram goes to cp_reg_input() with its source, responses leave
 * through the send callback, and the best binding of every changed AOR
 * through the push callback (to the dataplanes).
 *
 * Durability: a REGISTER that changes bindings is written in the current
 * store transaction (a SAVEPOINT of its own: all of its changes or none,
 * else 500) and its 200 is held until cp_reg_flush() commits the batch
 * (group commit: the caller flushes at most batch_ms after the first
 * change). A failed commit rolls everything back, reloads from the store
 * and answers 500 to the whole batch. So every 200 sent names bindings
 * that are on disk (synchronous=FULL).
 *
 * Owned by the event loop's thread; nothing is locked.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cp_auth.h"
#include "sip_addr.h"

struct cp_store;

struct cp_reg_conf {
	char domains[512];          /* comma-separated; "": any domain that has subscribers */
	bool auth;                  /* digest authentication (off: anyone registers anything) */
	struct cp_auth_conf authc;
	uint32_t nonce_rotate_s;    /* nonce key rotation period (> nonce lifetime) */
	uint32_t nonce_window;      /* nonces remembered for nonce-count checks */
	uint32_t default_expires;
	uint32_t min_expires;       /* below: 423 with Min-Expires */
	uint32_t max_expires;       /* above: clamped */
	unsigned max_contacts;      /* per AOR */
	bool evict_oldest;          /* over max_contacts: evict the oldest (else 403) */
	uint32_t retrans_window_s;  /* a retransmission within this gets the same answer */
	uint32_t flow_timer;        /* RFC 5626 Flow-Timer sent with outbound registrations */
	/*
	 * With auth on, a UDP answer to a request that did not authenticate is
	 * at most this many times the request (its source may be forged: no
	 * reflection amplification); 0: no limit. A 401 keeps its first
	 * challenges that fit; an answer that cannot fit is not sent (counted).
	 * With auth off (an open registrar by choice) answers are not limited.
	 * 3 by default, QUIC's anti-amplification limit (RFC 9000 §8): a 401
	 * with three challenges is ~2.6 times a minimal REGISTER with a Contact.
	 */
	unsigned amplification;
};

void cp_reg_conf_defaults(struct cp_reg_conf *c);

/* Longest stored strings. */
#define CP_REG_CONTACT_MAX 256
#define CP_REG_INSTANCE_MAX 128
#define CP_REG_CALLID_MAX 128
#define CP_REG_PATH_MAX 512
#define CP_REG_AOR_MAX 128
/* Contacts one REGISTER may carry. */
#define CP_REG_MAX_REQ_CONTACTS 16

struct cp_binding {
	char contact[CP_REG_CONTACT_MAX];   /* the URI (Request-URI of requests to it) */
	char instance[CP_REG_INSTANCE_MAX]; /* +sip.instance as written, or "" */
	uint32_t reg_id;                    /* RFC 5626 reg-id, 0: none */
	int16_t q;                          /* 0..1000, -1: not given */
	int64_t expires;                    /* absolute wall seconds */
	char callid[CP_REG_CALLID_MAX];
	uint32_t cseq;
	char path[CP_REG_PATH_MAX];         /* Path header values joined by ", ", or "" */
	struct sip_addr src;                /* where the REGISTER came from: the next hop */
	uint16_t sport;
	uint8_t transport;                  /* enum sip_transport */
	int64_t updated;                    /* wall seconds of the last refresh (eviction order) */
	uint64_t conn;                      /* TCP/TLS: the connection it came on (cp_stream), 0:
					       none (UDP, gone, or loaded from the store) */
};

struct cp_reg;

/* A response to dst:port. */
typedef void cp_reg_send_fn(void *ctx, const char *buf, size_t len, const struct sip_addr *dst,
		uint16_t port);
/* The best live binding of aor changed (best NULL: none left). */
typedef void cp_reg_push_fn(void *ctx, const char *aor, const struct cp_binding *best);

/*
 * Create the registrar on st (tables created if needed, bindings and
 * nonce keys loaded; a first key made and stored if there is none).
 * NULL with err filled.
 */
struct cp_reg *cp_reg_create(const struct cp_reg_conf *c, struct cp_store *st, int64_t now,
		char *err, size_t errlen);
void cp_reg_free(struct cp_reg *r);
void cp_reg_set_conf(struct cp_reg *r, const struct cp_reg_conf *c);
void cp_reg_set_io(struct cp_reg *r, cp_reg_send_fn *send, cp_reg_push_fn *push, void *ctx);

/*
 * Responses to requests that came over TCP/TLS (transport SIP_TP_TCP or
 * SIP_TP_TLS) go to this callback instead of the send callback: on
 * connection conn, or if it is gone to dst:port (RFC 3261 §18.2.2: the
 * source address and the sent-by port, or 5060/5061). Same ctx as
 * ctx is its own.
 */
typedef void cp_reg_send_stream_fn(void *ctx, const char *buf, size_t len,
		const struct sip_addr *dst, uint16_t port, uint8_t transport, uint64_t conn);
void cp_reg_set_stream_io(struct cp_reg *r, cp_reg_send_stream_fn *send, void *ctx);

/*
 * One datagram from src:sport at wall time now. Returns the status sent
 * (or to be sent after the commit: see cp_reg_pending()), 0 when nothing
 * is sent (a response, an ACK, a retransmission of a request whose answer
 * waits for the commit, garbage).
 */
int cp_reg_input(struct cp_reg *r, const char *buf, size_t len, const struct sip_addr *src,
		uint16_t sport, int64_t now);
/*
 * cp_reg_input() for a message that came over a stream: transport is
 * SIP_TP_TCP or SIP_TP_TLS and conn the connection (bindings record both).
 * transport SIP_TP_UDP and conn 0 is cp_reg_input().
 */
int cp_reg_input_tp(struct cp_reg *r, const char *buf, size_t len, const struct sip_addr *src,
		uint16_t sport, uint8_t transport, uint64_t conn, int64_t now);

/*
 * Connection conn closed. Bindings that came on it with an RFC 5626 flow
 * (+sip.instance and reg-id) are removed: the flow they name is gone and
 * the UA registers a new one. Bindings without reg-id stay until they
 * expire (reached by a new connection to their source: RFC 3261 §18),
 * their connection forgotten. Written in the batch (flush after it).
 * Returns the bindings removed.
 */
unsigned cp_reg_conn_closed(struct cp_reg *r, uint64_t conn, int64_t now);
/*
 * At start-up: stream connections did not survive the restart, so the
 * flow bindings (TCP/TLS with reg-id) loaded from the store go as if their
 * connection had closed. Returns how many.
 */
unsigned cp_reg_drop_flows(struct cp_reg *r, int64_t now);
/* The latest expiry (wall seconds) of the live bindings on conn; 0 if none. */
int64_t cp_reg_conn_expires(const struct cp_reg *r, uint64_t conn, int64_t now);

/* Answers waiting for the commit (plus one if a transaction or a push waits): flush if > 0. */
unsigned cp_reg_pending(const struct cp_reg *r);
/* Commit the batch, send what waited, push changed AORs. Answers sent, or -EIO (500s sent). */
int cp_reg_flush(struct cp_reg *r);
/* Remove bindings expired at now (pushes what changed). Returns how many. */
unsigned cp_reg_expire(struct cp_reg *r, int64_t now);
/* Rotate the nonce key (stored). 0 or -EIO. */
int cp_reg_rotate(struct cp_reg *r, int64_t now);

/* The best live binding of an AOR: highest q (absent counts as 1.0), then the newest. */
const struct cp_binding *cp_reg_best(const struct cp_reg *r, const char *aor, int64_t now);
/* Bindings of aor (expired ones included until cp_reg_expire()); *n their number. NULL: none. */
const struct cp_binding *cp_reg_bindings(const struct cp_reg *r, const char *aor, unsigned *n);
/* AORs with bindings. */
unsigned cp_reg_aors(const struct cp_reg *r);
/* fn for every AOR (in no particular order) with its bindings. */
void cp_reg_foreach(const struct cp_reg *r,
		void (*fn)(void *ctx, const char *aor, const struct cp_binding *b, unsigned n),
		void *ctx);
/* Remove every binding of aor (committed now, pushed). 0, -ENOENT or -EIO. */
int cp_reg_remove(struct cp_reg *r, const char *aor);

/* Counters, declared once. */
#define CP_REG_COUNTERS(X) \
	X(REG_REQUESTS, "REGISTER requests received") \
	X(REG_OK, "REGISTER requests answered 200") \
	X(REG_CHALLENGED, "REGISTER requests answered 401") \
	X(REG_REFUSED, "REGISTER requests answered with another 4xx") \
	X(REG_ERRORS, "REGISTER requests answered 500 (store failures)") \
	X(REG_RETRANS, "retransmissions answered from the cache or dropped while pending") \
	X(REG_COMMITS, "store commits of a batch") \
	X(REG_EXPIRED, "bindings expired") \
	X(REG_PUSHES, "best-binding changes pushed") \
	X(REG_AMPLIFICATION, "UDP answers to unauthenticated requests not sent: more than " \
			"reg_amplification times the request")

enum cp_reg_counter {
#define CP_REG_ENUM(n, h) CP_REG_C_##n,
	CP_REG_COUNTERS(CP_REG_ENUM)
#undef CP_REG_ENUM
	CP_REG_C__COUNT
};

const uint64_t *cp_reg_counters(const struct cp_reg *r);
const char *cp_reg_counter_name(enum cp_reg_counter c);

#endif
