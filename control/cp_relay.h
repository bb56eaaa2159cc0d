/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_RELAY_H
#define CP_RELAY_H

/*
 * The control plane's stateless relay: what the dataplane hands to the
 * kernel side (requests whose next hop is a host name, punt_needs_dns;
 * everything it bridges, docs/dataplane.md "Transport bridging") arrives
 * here on a UDP socket bound to the router's SIP address and port, and
 * messages over TCP/TLS arrive through cp_relay_input_stream(). The relay
 * runs the dataplane's own decision code (dp_sip_handle(), dataplane/core)
 * with the dataplane's routing state (the route callback: cp_route.h,
 * the same plan, bindings and gateway names), a resolver (cp_dns_lookup())
 * and the bridge capability (DP_BRIDGE_LARGE, and DP_BRIDGE_STREAMS once a
 * stream sender is set), so the decision, the edits, the Via and its
 * signed branch are the dataplane's. UDP leaves from the same address and
 * port (back through the dataplane, which routes the responses like any
 * other: no state here); TCP/TLS leaves through the stream sender. A
 * request whose name is being resolved is held (bounded) and run again
 * when the answer comes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_addr.h"

struct cp_loop;
struct cp_dns;

struct cp_relay_conf {
	char addr[64];             /* the router's address and prefix, as sipline --addr */
	uint16_t port;             /* its SIP port */
	char secret_file[256];     /* the dataplane's --secret-file: the same signing key */
	bool relay_in_dialog;      /* as sipline --relay-in-dialog */
	bool record_route;         /* as sipline --record-route */
	uint16_t no_route_code;    /* as sipline --no-route-code (0: 404) */
	uint16_t tls_port;         /* our TLS port in Record-Routes with transport=tls (0: port) */
	char acl[256];             /* peer ACL file (dp_acl.h) as sipline --acl, "" none */
};

struct cp_relay_totals {
	uint64_t received, relayed, held, dropped;
	uint64_t unresolved;       /* of dropped: the name had no address (drop_unresolved) */
	uint64_t stream_in;        /* of received: over TCP/TLS (cp_relay_input_stream()) */
	uint64_t stream_out;       /* of relayed: sent through the stream sender or reply hook */
	uint64_t large_udp;        /* of relayed: UDP requests over DP_BRIDGE_LARGE_LEN bytes */
	uint64_t no_stream;        /* for a stream, but no sender (a response: sent over UDP as a
	                            * dataplane alone does), or the send failed */
};

struct dp_sip_job;

/*
 * Sends buf to dst:port over transport (enum sip_transport: TCP or TLS),
 * reusing a connection to dst:port or opening one; tls_name: the name to
 * verify for TLS (NUL-terminated, "" for none). 0 or -errno. Shaped as
 * cp_stream_send() (control/cp_stream.h) with its struct cp_stream as ctx.
 */
typedef int cp_relay_stream_fn(void *ctx, uint8_t transport, const struct sip_addr *dst,
		uint16_t port, const char *tls_name, const char *buf, size_t len);
/* Sends a reply back on the connection a request came in on. 0 or -errno. */
typedef int cp_relay_reply_fn(void *ctx, uint64_t conn_id, const char *buf, size_t len);
/* The route callback: dp_route_fn (dp_sip.h), e.g. cp_route_lookup() with a cp_route. */
typedef int cp_relay_route_fn(void *ctx, struct dp_sip_job *j);

/* Where a message over a stream came from (as cp_stream's incoming-message handler gets it). */
struct cp_relay_peer {
	struct sip_addr addr;
	uint16_t port;
	uint8_t transport;         /* enum sip_transport: SIP_TP_TCP or SIP_TP_TLS */
	uint64_t conn_id;
};

struct cp_relay;

/* Socket bound, key read. NULL with err set. */
struct cp_relay *cp_relay_create(struct cp_loop *l, struct cp_dns *dns,
		const struct cp_relay_conf *c, char *err, size_t errlen);
void cp_relay_free(struct cp_relay *r);
void cp_relay_totals(const struct cp_relay *r, struct cp_relay_totals *t);
/*
 * Re-read the peer ACL file (path, "" none): 0, or -1 with err (the old
 * list stays). Requests over TCP/TLS get the verdicts UDP requests get in
 * the dataplane (the relay re-checks punted ones: the same file, the same
 * answer).
 */
int cp_relay_set_acl(struct cp_relay *r, const char *path, char *err, size_t errlen);
/* The same from a text (acl.set): 0, or -1 with err (the old list stays). */
int cp_relay_set_acl_text(struct cp_relay *r, const char *text, size_t len, char *err,
		size_t errlen);

/*
 * The routing of requests not decided by their Route set (location
 * bindings, dialplan): fn NULL answers them with the no-route code.
 */
void cp_relay_set_route(struct cp_relay *r, cp_relay_route_fn *fn, void *ctx);
/*
 * TCP/TLS next hops leave through fn (NULL: they get 503, as from a
 * dataplane without a control plane). Replies to requests that came over a
 * stream go back through reply (NULL: through fn to the source address).
 */
void cp_relay_set_stream_sender(struct cp_relay *r, cp_relay_stream_fn *fn, void *ctx);
void cp_relay_set_reply_sender(struct cp_relay *r, cp_relay_reply_fn *fn, void *ctx);
/*
 * A request or response that arrived over TCP/TLS (framed: one message).
 * Decided and sent like a UDP one; a UDP next hop leaves through the UDP
 * socket with the same branch rules.
 */
void cp_relay_input_stream(struct cp_relay *r, const char *buf, size_t len,
		const struct cp_relay_peer *peer);
/* A datagram as the UDP socket would hand it (tests). */
void cp_relay_input_udp(struct cp_relay *r, const char *buf, size_t len,
		const struct sip_addr *src, uint16_t sport);
/* The fingerprint of the relay's signing key (as HELLO_ACK carries it). */
void cp_relay_key_fp(const struct cp_relay *r, uint8_t fp[8]);
/* The relay's decision counters (the dataplane's names, dp_counters.h). */
const struct dp_counters *cp_relay_counters(const struct cp_relay *r);
/*
 * Tests: send UDP through fn instead of the socket (the socket is still
 * bound). fn(ctx, buf, len, dst, port) returns 0 or -errno.
 */
void cp_relay_set_udp_sender(struct cp_relay *r,
		int (*fn)(void *ctx, const char *buf, size_t len, const struct sip_addr *dst,
				uint16_t port), void *ctx);

#endif
