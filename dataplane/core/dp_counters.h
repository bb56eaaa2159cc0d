/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_COUNTERS_H
#define DP_COUNTERS_H

/*
 * Every counter of the dataplane, declared once: X(name, description).
 * Workers add to their own per-lcore array (never shared, never locked);
 * readers sum the arrays. Drop reasons start with DROP_; every path that
 * drops or refuses a packet increments exactly one of them.
 */

#include <stdint.h>

#define DP_COUNTERS(X) \
	X(RX_PKTS, "packets received on the SIP ports") \
	X(RX_BYTES, "bytes received on the SIP ports") \
	X(TX_PKTS, "packets sent") \
	X(TX_BYTES, "bytes sent") \
	X(RX_REQUESTS, "SIP requests received") \
	X(RX_RESPONSES, "SIP responses received") \
	X(ACT_REDIRECT, "requests answered with a 3xx redirect") \
	X(ACT_FORWARD, "requests forwarded statelessly") \
	X(ACT_REJECT, "requests rejected by the dialplan") \
	X(ACT_DROP_RULE, "requests silently dropped by a drop rule") \
	X(ACT_NO_ROUTE, "requests matching no route (default reply)") \
	X(ACT_LOCATION, "requests forwarded to a registered contact") \
	X(ACT_IN_DIALOG, "in-dialog requests routed by Route/Request-URI") \
	X(ACT_DIALOG_REFUSED, "in-dialog requests without our Record-Route signature for their target: 403") \
	X(ACT_OPTIONS_REPLY, "OPTIONS to the router answered 200") \
	X(ACT_CANCEL_REPLY, "CANCEL of a redirected/rejected call answered 200") \
	X(ACT_ACK_ABSORBED, "ACKs for our own replies absorbed") \
	X(ACT_RESPONSE_FWD, "responses forwarded to the next Via") \
	X(ACT_ERROR_REPLY, "malformed requests answered 4xx/5xx") \
	X(ACT_DUP_HEADER, "requests repeating a single-value header (Call-ID, CSeq, From, To, Max-Forwards, Expires) answered 400") \
	X(ACT_RURI_TOO_LONG, "requests whose Request-URI is longer than 1024 bytes answered 414") \
	X(ACT_TOO_MANY_VIAS, "requests with more than 70 Via values answered 400") \
	X(ACT_ACL_REJECT, "requests from sources the peer ACL denies answered 403") \
	X(ACT_UNAVAILABLE, "forwards answered 503: gateways down, TCP/TLS without a control plane, not an address") \
	X(EXC_PKTS, "packets handed to the kernel (exception path)") \
	X(EXC_REGISTER, "REGISTER handed to the control plane") \
	X(PUNT_NEEDS_DNS, "in-dialog next hop named by host: punted to the control plane's relay") \
	X(PUNT_GATEWAY_TRANSPORT, "forwards to TCP/TLS gateways: punted to the control plane (bridge)") \
	X(PUNT_CONTACT_TRANSPORT, "requests to contacts registered over TCP/TLS: punted to the control plane") \
	X(PUNT_DIALOG_TRANSPORT, "in-dialog requests whose next hop is TCP/TLS: punted to the control plane") \
	X(PUNT_LARGE_REQUEST, "forwarded requests over 1300 bytes (RFC 3261 18.1.1): punted to the control plane") \
	X(PUNT_RESPONSE_TRANSPORT, "responses whose next Via is TCP/TLS: punted to the control plane") \
	X(EXC_NEIGH_MISS, "built packets sent by the kernel: next-hop MAC unknown") \
	X(EXC_ORDER_HOLD, "built packets sent by the kernel behind earlier ones to a next hop just resolved (order kept)") \
	X(EXC_FRAGMENTED, "packets larger than the wire MTU, sent as IPv4 fragments") \
	X(FRAG_RX, "IPv4 fragments of UDP datagrams to us taken for reassembly") \
	X(FRAG_REASSEMBLED, "datagrams reassembled from IPv4 fragments") \
	X(ACT_TOO_LARGE, "requests larger than the dataplane's buffer answered 513") \
	X(DROP_NOT_SIP, "UDP payload is not SIP") \
	X(DROP_KEEPALIVE, "CRLF keep-alives") \
	X(DROP_SCANNER, "messages carrying a scanner signature (User-Agent/From/To): no reply") \
	X(DROP_ACL, "requests from sources the peer ACL denies silently (and their ACKs)") \
	X(DROP_BAD_REQUEST_SILENT, "malformed requests that cannot be answered") \
	X(DROP_TOO_MANY_HEADERS, "requests with more than 128 header lines (not indexed: cannot be answered)") \
	X(DROP_BAD_RESPONSE, "malformed responses") \
	X(DROP_RESPONSE_NOT_OURS, "responses whose top Via is not ours") \
	X(DROP_RESPONSE_FORGED, "responses naming our Via whose branch does not sign their destination") \
	X(DROP_RESPONSE_NO_VIA, "responses with no Via left after ours") \
	X(DROP_FORBIDDEN_DST, "next hop is broadcast, multicast, loopback, ourselves or our subnet's edge") \
	X(DROP_UNRESOLVED, "next hop named by host that the control plane's relay could not resolve") \
	X(DROP_AMPLIFICATION, "reply would be much larger than the request") \
	X(DROP_LOOP, "request would be sent back to ourselves") \
	X(DROP_NO_FAMILY, "next hop in an address family the router has no address in") \
	X(DROP_BUILD, "output did not fit the buffer") \
	X(DROP_ACK_UNROUTABLE, "ACK with nowhere to go") \
	X(DROP_NOT_OUR_DIALOG, "in-dialog ACK without our Record-Route signature for its target") \
	X(DROP_NO_NEIGHBOR, "next-hop MAC unknown and no exception path to learn it") \
	X(DROP_NEIGH_RATE, "next-hop MAC unknown, the via-kernel budget spent (--neigh-kernel-rate)") \
	X(DROP_NEIGH_FAILED, "next hop unreachable: no route, or it did not answer ARP/ND") \
	X(DROP_NO_EXCEPTION, "for the kernel (ARP, ICMP, TCP, fragments...) but no exception path") \
	X(DROP_L2, "not for our MAC / unsupported L2") \
	X(DROP_L3, "IP header invalid or not for our address") \
	X(DROP_TRUNCATED, "frame shorter than its IP length (port frame size too small) and not a SIP request to us (those get 513)") \
	X(DROP_L4, "UDP header invalid (length)") \
	X(DROP_UDP_CHECKSUM, "UDP checksum wrong, or zero over IPv6 (RFC 8200)") \
	X(DROP_MARTIAN, "source no host sends from (broadcast, multicast, loopback, IPv4-mapped, ours; a group or zero MAC)") \
	X(DROP_TX_FULL, "TX queue full") \
	X(DROP_TX_PREPARE, "frames the wire port's driver refused to checksum (rte_eth_tx_prepare)") \
	X(DROP_SPREAD_FULL, "--spread callid: the worker's ring was full") \
	X(DROP_TOO_BIG, "IPv6 packet larger than the wire MTU (not fragmented here)") \
	X(DROP_TOO_LARGE, "responses, ACKs and unparsable messages larger than the buffer (no 513)") \
	X(DROP_FRAG_TINY, "fragments refused as tiny: not last and under 256 bytes, or a first one without the UDP header") \
	X(DROP_FRAG_TOO_BIG, "fragments past the largest datagram, reassembled datagrams over the buffer not SIP to us") \
	X(DROP_FRAG_DUPLICATE, "exact duplicates of a fragment already taken (the train is kept)") \
	X(DROP_FRAG_OVERLAP, "fragments of trains refused whole: overlap, hole, more than 8 fragments") \
	X(DROP_FRAG_TIMEOUT, "fragments of trains not completed within --frag-timeout") \
	X(DROP_FRAG_TABLE_FULL, "fragments refused: reassembly table or fragment budget full (--frag-flows)") \
	X(DROP_NO_MBUF, "mbuf pool empty") \
	X(DROP_EXC_FULL, "exception path queue full") \
	X(DROP_SRC_RATE, "from a source over --src-rate, or banned for it (--src-ban)") \
	X(SRC_BANS, "bans started: sources over --src-rate") \
	X(SRC_EVICTED, "sources evicted from a full source table (least recently seen)") \
	X(DROP_OVERLOAD, "new requests shed unparsed while the worker could not keep up (--overload-shed)") \
	X(ACT_OVERLOAD_REPLY, "shed requests answered 503 with Retry-After (--overload-reply 503)") \
	X(OVERLOAD_BURSTS, "receive bursts that came back full (a backlog in the RX queue)") \
	X(REPLY_1XX_2XX, "replies sent with status 100-299") \
	X(REPLY_3XX, "replies sent with status 300-399") \
	X(REPLY_4XX, "replies sent with status 400-499") \
	X(REPLY_5XX_6XX, "replies sent with status 500-699")

enum dp_counter {
#define DP_COUNTER_ENUM(name, desc) DP_C_##name,
	DP_COUNTERS(DP_COUNTER_ENUM)
#undef DP_COUNTER_ENUM
	DP_C__COUNT
};

/* Lower-case name ("drop_not_sip") and description of a counter. */
const char *dp_counter_name(enum dp_counter c);
const char *dp_counter_desc(enum dp_counter c);

/* Status codes counted one by one: 100..699. */
#define DP_STATUS_MIN 100u
#define DP_STATUS_N 600u

/*
 * One worker's counters; cache-line aligned so workers never share a line.
 * Besides the named ones, every status code of the replies we send and of
 * the responses we relay.
 */
struct dp_counters {
	uint64_t v[DP_C__COUNT];
	uint64_t sent[DP_STATUS_N];    /* replies we made, by status */
	uint64_t relayed[DP_STATUS_N]; /* responses forwarded, by status */
} __attribute__((aligned(64)));

/*
 * One writer per counter (its worker); readers on other threads load with
 * relaxed atomics. The store is atomic too, so that is not a data race: on
 * x86 both are plain moves.
 */
static inline void
dp_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static inline void
dp_count(struct dp_counters *c, enum dp_counter k, uint64_t n)
{
	dp_add(&c->v[k], n);
}

/* tbl: c->sent or c->relayed. */
static inline void
dp_count_status(uint64_t *tbl, unsigned code)
{
	if (code - DP_STATUS_MIN < DP_STATUS_N)
		dp_add(&tbl[code - DP_STATUS_MIN], 1);
}

#endif
