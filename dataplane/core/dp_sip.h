/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_SIP_H
#define DP_SIP_H

/*
 * The per-packet SIP decision of the dataplane, without DPDK: a UDP payload
 * and its addresses in; an action, the payload to send and where to send it
 * out. The worker loop (dataplane/dp_worker.c) wraps it with L2/L3/L4
 * parsing and building; tests call it directly.
 *
 * Routing policy (docs/dataplane.md):
 *  - responses: the top Via must be ours; it is removed and the response
 *    goes to the next Via (received/rport, RFC 3261 §18.2.2, RFC 3581);
 *  - ACK carrying our To-tag signature: absorbed;
 *  - REGISTER: handed to the control plane (exception path);
 *  - OPTIONS addressed to the router: 200;
 *  - our Route on top: popped (loose routing); strict routers' requests
 *    (R-URI is our Record-Route) get the last Route as R-URI (§16.4);
 *  - a request with a To-tag whose remaining Route or R-URI points elsewhere
 *    is in-dialog: forwarded there (a host name: handed to the control
 *    plane, which resolves it and relays the request with this code);
 *  - everything else (initial requests, CANCEL, ACK for non-2xx, in-dialog
 *    requests of UAs that use us as outbound proxy) is decided by the route
 *    callback: location bindings first, then the dialplan.
 */

#include <stdbool.h>
#include <stdint.h>

#include "dp_counters.h"
#include "dp_scanner.h"
#include "sip.h"

/* What the route callback (location + dialplan) decided. */
enum dp_route_kind {
	DP_ROUTE_NONE = 0, /* nothing matched */
	DP_ROUTE_REDIRECT,
	DP_ROUTE_FORWARD,
	DP_ROUTE_REJECT,
	DP_ROUTE_DROP,
	DP_ROUTE_UNAVAILABLE, /* a forward that cannot be served here: code/reason (503) */
};

#define DP_MAX_CONTACTS 8
/*
 * Limits of requests (docs/dataplane.md "Limits"): a longer Request-URI
 * gets 414, more Via values 400; more than SIP_MAX_HDRS header lines get
 * 400 from the parser.
 */
#define DP_MAX_RURI_LEN 1024u
#define DP_MAX_VIAS 70u

struct dp_query {
	struct sip_str ruri_user;   /* as written (escapes kept) */
	struct sip_str ruri_host;
	struct sip_str from_uri;    /* raw URIs: the callback parses them only if it needs */
	struct sip_str to_uri;
	struct sip_str method;
	const struct sip_addr *src;
	uint64_t callid_hash;
	bool in_dialog;             /* the request has a To-tag */
};

struct dp_route {
	enum dp_route_kind kind;
	uint16_t code;                 /* redirect / reject status */
	struct sip_str reason;         /* reject reason (empty: standard phrase) */
	unsigned n_contacts;           /* redirect: contacts[0..n_contacts) */
	struct sip_addr nh;            /* forward: next hop */
	uint16_t nh_port;
	uint8_t nh_transport;          /* enum sip_transport */
	bool from_location;            /* forward to a registered contact */
	struct sip_str tls_name;       /* forward over TLS: the name to verify (gateway host) */
	struct sip_str ruri;           /* forward: new Request-URI, empty to keep */
	struct sip_str extra;          /* header lines to add, each ending CRLF */
	uint32_t rule;                 /* rule id, for tracing */
	/*
	 * Last, with text: a new lookup clears the members above (dp_sip_begin()),
	 * not these; only contacts[0..n_contacts) are read.
	 */
	struct sip_str contacts[DP_MAX_CONTACTS];
	char text[1536];               /* storage the callback may use for the strings */
};

struct dp_sip_job;
/* Fills j->r for query j->q. Returns 0 (j->r.kind says what), or < 0 on an internal error. */
typedef int (*dp_route_fn)(void *ctx, struct dp_sip_job *j);

/*
 * Who sends what the fast path cannot (dp_sip_config.bridge, flags):
 * forwards to TCP/TLS next hops (gateways, contacts registered over a
 * stream, in-dialog targets), responses whose next Via is TCP/TLS, and
 * forwarded requests larger than DP_BRIDGE_LARGE (RFC 3261 §18.1.1).
 * None set: the dataplane alone answers 503 for TCP/TLS next hops and
 * sends large requests itself (IPv4 fragments).
 */
#define DP_BRIDGE_PUNT 1u     /* a control plane is attached: hand them to the kernel side */
#define DP_BRIDGE_LARGE 2u    /* large UDP requests are sent here (kernel socket: fragments) */
#define DP_BRIDGE_STREAMS 4u  /* TCP/TLS next hops are sent here (a stream sender exists) */
/* A forwarded request larger than this (bytes of SIP) is bridged (RFC 3261 §18.1.1). */
#define DP_BRIDGE_LARGE_LEN 1300u

struct dp_sip_config {
	struct sip_addr addr;        /* the router's address on this port */
	struct sip_addr bcast;       /* its subnet's broadcast address (IPv4), af NONE if none */
	struct sip_addr net;         /* its subnet's network address (IPv4; IPv6 subnet-router
	                              * anycast), af NONE if none (/31, /32, /127, /128) */
	struct sip_str host;         /* its text in URIs: "192.0.2.1" or "[2001:db8::1]" */
	uint16_t port;               /* SIP port (UDP; TCP on the same in the control plane) */
	uint16_t tls_port;           /* TLS port of Record-Routes with transport=tls (0: port) */
	/*
	 * Our transport on this side when nothing says otherwise: the Via of
	 * forwarded requests and the Record-Route (";transport=tcp" etc. when
	 * not UDP). SIP_TP_UDP by default (dp_sip_config_init()); a request's
	 * own next-hop transport overrides it for the Via.
	 */
	uint8_t transport;
	/*
	 * DP_BRIDGE_* flags. The dataplane's link thread sets DP_BRIDGE_PUNT
	 * while a control plane that bridges is attached; workers read it with
	 * a relaxed atomic load (dp_sip_bridge()).
	 */
	uint8_t bridge;
	/*
	 * Keys of branches, To-tags and Record-Route signatures; equal on all
	 * nodes of a cluster. Replaced as a whole on rotation (an atomic pointer
	 * store; the old ring is freed after a grace period): read it once per
	 * packet with dp_sip_keys().
	 */
	const struct sip_keyring *keys;
	bool record_route;           /* add Record-Route to forwarded initial requests */
	/*
	 * Relay in-dialog requests that carry no Record-Route of ours (UAs using
	 * the router as outbound proxy without Record-Route). Off: only dialogs
	 * whose Route holds our signature are relayed; others get 403.
	 */
	bool relay_in_dialog;
	uint16_t no_route_code;      /* reply when nothing matches (404) */
	unsigned amplification;      /* a reply may be at most this many times the request */
	uint16_t mtu;                /* wire MTU (1500): IPv6 packets are not fragmented here */
	struct sip_str server;       /* "Server: ..." line for our replies, or empty */
	char host_buf[48];
	char rr_buf[80];             /* "sip:HOST:PORT;lr" */
	struct sip_str rr_uri;
};

/*
 * Fill derived fields (host text, Record-Route URI, subnet broadcast and
 * network addresses) from addr/prefix and port. 0 or -1.
 */
int dp_sip_config_init(struct dp_sip_config *c, const struct sip_addr *addr, unsigned prefix,
		uint16_t port, const struct sip_keyring *keys);

static inline unsigned
dp_sip_bridge(const struct dp_sip_config *c)
{
	return __atomic_load_n(&c->bridge, __ATOMIC_RELAXED);
}

static inline const struct sip_keyring *
dp_sip_keys(const struct dp_sip_config *c)
{
	return __atomic_load_n(&c->keys, __ATOMIC_ACQUIRE);
}

/*
 * A next hop named by host (an in-dialog Route or Request-URI): host, the
 * URI's scheme (sips) and port (has_port, port). Returns 0 with *a and
 * *out_port set, or < 0: the request is dropped (-EAGAIN: a resolution
 * started; the caller may hold the packet and run it again).
 */
typedef int (*dp_resolve_fn)(void *ctx, struct sip_str host, bool sips, bool has_port,
		uint16_t port, struct sip_addr *a, uint16_t *out_port);

struct dp_sip_env {
	const struct dp_sip_config *cfg;        /* the family the packet arrived in */
	const struct dp_sip_config *cfg_other;  /* the other family's, or NULL */
	dp_route_fn route;
	void *route_ctx;
	/*
	 * NULL in the dataplane (no DNS in the fast path): a request to a host
	 * name is handed to the kernel side (DP_ACT_EXCEPTION, punt_needs_dns),
	 * where the control plane's relay (control/cp_relay.c) runs this same
	 * code with a resolver.
	 */
	dp_resolve_fn resolve;
	void *resolve_ctx;
	struct dp_counters *cnt;
	/*
	 * Scanner signatures (NULL: none) and this worker's scratch for them:
	 * a message carrying one is dropped before anything can answer it.
	 */
	const struct dp_scanner *scanner;
	struct dp_scanner_scratch *scan_scratch;
	/*
	 * Peer ACL (dp_acl.h), NULL: none. Returns the verdict (enum
	 * dp_acl_verdict) for a request's source address and port.
	 */
	uint8_t (*acl)(void *ctx, const struct sip_addr *src, uint16_t sport);
	void *acl_ctx;
};

struct dp_pkt_in {
	const char *payload;
	uint32_t len;
	struct sip_addr src;
	uint16_t sport;
	uint8_t transport;  /* enum sip_transport it arrived over; 0: UDP */
};

enum dp_action {
	DP_ACT_DROP = 0,   /* counted; nothing to send */
	DP_ACT_SEND,       /* send out->buf[0..len) to out->dst:out->dport */
	DP_ACT_EXCEPTION,  /* hand the original packet to the kernel */
	DP_ACT_ROUTE,      /* dp_sip_begin(): look up job->q, then dp_sip_finish() */
};

struct dp_pkt_out {
	char *buf;          /* caller's buffer */
	uint32_t cap;
	uint32_t len;
	struct sip_addr dst;
	uint16_t dport;
	uint8_t transport;  /* enum sip_transport of the next hop */
	uint8_t is_reply;   /* a reply to the source (vs. forwarded): over in->transport */
	struct sip_str tls_name; /* transport TLS: the name to verify (empty: the address) */
};

/* Route set processing state (RFC 3261 §16.4), between the two halves. */
struct dp_route_set {
	const struct sip_hdr *pop_hdr; /* Route value to remove, or NULL */
	struct sip_naddr pop;
	struct sip_str pop_params;     /* its URI's parameters (our ";sl=" signature) */
	const struct sip_hdr *pop2_hdr; /* the next one, also ours (double Record-Route) */
	struct sip_naddr pop2;
	struct sip_str next_uri;       /* first Route left after ours, or empty */
	struct sip_str strict_ruri;    /* §16.4: R-URI replaced by the last Route */
};

/*
 * One packet's decision in progress. Large (it holds the parsed message):
 * workers keep one per packet of a burst in their own state, never on a
 * worker's stack; views in it point into the packet.
 */
struct dp_sip_job {
	struct sip_msg m;
	struct sip_fields f;
	struct dp_route_set rs;
	const struct dp_pkt_in *in;
	struct dp_pkt_out *out;
	int rc;                 /* sip_parse()'s return */
	struct dp_query q;      /* set when dp_sip_begin() returns DP_ACT_ROUTE */
	struct dp_route r;      /* the caller fills it, then calls dp_sip_finish() */
};

/*
 * First half of the decision: parse, validate, and everything that needs no
 * lookup (responses, ACK absorption, OPTIONS, errors, in-dialog routing).
 * Returns the action, or DP_ACT_ROUTE: then j->q is to be looked up into
 * j->r (location bindings, dialplan) and dp_sip_finish() called. This lets
 * a worker look up a whole burst at once (prefetching the dialplan's lines).
 */
enum dp_action dp_sip_begin(const struct dp_sip_env *env, const struct dp_pkt_in *in,
		struct dp_pkt_out *out, struct dp_sip_job *j);
/*
 * A request larger than the dataplane's buffer, of which in holds the head
 * (the first buffer-full, headers included; dp_reasm.c): 513 Message Too
 * Large (RFC 3261 §21.5.14) if its headers can be answered and it is not
 * an ACK; else dropped (drop_too_large). Replies copy only the head's
 * headers and are bounded like every reply (amplification).
 */
enum dp_action dp_sip_too_large(const struct dp_sip_env *env, const struct dp_pkt_in *in,
		struct dp_pkt_out *out, struct dp_sip_job *j);

/* Second half: apply j->r. Returns DP_ACT_DROP or DP_ACT_SEND. */
enum dp_action dp_sip_finish(const struct dp_sip_env *env, struct dp_sip_job *j);

/*
 * Both halves for one payload, looking up with env->route. Never allocates,
 * never blocks (but uses a large stack frame: for tests and slow paths).
 */
enum dp_action dp_sip_handle(const struct dp_sip_env *env, const struct dp_pkt_in *in,
		struct dp_pkt_out *out);

/*
 * A request shed under overload (dp_overload.h), when shed requests are
 * answered: 503 with the Retry-After header line retry_after ("Retry-After:
 * N\r\n") to a parsed, valid request other than ACK whose source the peer
 * ACL allows (no ACL: nobody is a known peer); anything else is dropped
 * (drop_overload). j is storage only. Scanners get nothing, as always.
 */
enum dp_action dp_sip_overload(const struct dp_sip_env *env, const struct dp_pkt_in *in,
		struct dp_pkt_out *out, struct dp_sip_job *j, struct sip_str retry_after);

#endif
