/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_REASM_H
#define DP_REASM_H

/*
 * IPv4 reassembly of UDP datagrams to our address, per RX lcore (never
 * shared, never locked): DPDK's rte_ip_frag table, with what it does not
 * refuse by itself refused in front of it (docs/security.md "Fragments"):
 *
 *  - tiny fragments: a fragment with more fragments after it carrying fewer
 *    than DP_FRAG_MIN_PAYLOAD bytes, and a first fragment too short for the
 *    UDP header (drop_frag_tiny);
 *  - datagrams past cfg.max_dgram (drop_frag_too_big, from the fragment
 *    whose end says so);
 *  - exact duplicates of a fragment seen within the timeout are dropped
 *    alone (drop_frag_duplicate), the train kept: rte_ip_frag would
 *    otherwise refuse the train, and a network may duplicate packets;
 *  - everything else rte_ip_frag finds inconsistent (overlaps, a hole,
 *    more than RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments, a second first or
 *    last fragment) loses the whole train (drop_frag_overlap, every
 *    fragment of it counted);
 *  - trains not completed within cfg.timeout_ms are freed
 *    (drop_frag_timeout); a full table or cfg.max_held fragments waiting
 *    refuse new fragments (drop_frag_table_full).
 *
 * frag_held is a gauge: fragments waiting now (0 when no entry is in use).
 *
 * A reassembled datagram comes out as one single-segment frame, as if it
 * had arrived whole (IP header rewritten, checksum recomputed), when it
 * fits the mbuf's buffer (DP_MBUF_DATA_ROOM); larger ones come out as
 * their head: the first buffer-full of bytes, the UDP checksum verified
 * over the whole datagram here and the mbuf flagged dp_pkt_head_flag, so
 * that dp_pkt_classify() says DP_PKT_SIP_HEAD (a request gets 513).
 * Larger datagrams that are not SIP to our port are dropped
 * (drop_frag_too_big).
 */

#include <stdint.h>

#include <rte_mbuf.h>

#include "dp_counters.h"

/* The largest IP datagram reassembled (--frag-flows, --frag-timeout: dp_options.h). */
#define DP_FRAG_MAX_DGRAM 65535u
/*
 * Payload of a fragment that is not the last below which it is refused.
 * Fragments of a 576-byte MTU path (RFC 791's minimum every host accepts)
 * carry 552 bytes; attacks on reassembly use 8 to a few dozen.
 */
#define DP_FRAG_MIN_PAYLOAD 256u

struct dp_reasm_cfg {
	uint32_t flows;       /* datagrams being reassembled at once (table entries) */
	uint32_t timeout_ms;  /* a train not complete after this is freed */
	uint32_t max_dgram;   /* largest IP datagram (header included) reassembled */
	uint32_t max_held;    /* fragments held at once (bounds the mbufs a flood can pin) */
	uint64_t hz;          /* TSC frequency */
	int socket;
};

struct dp_reasm;

/* A reassembler, or NULL (rte_errno: the table could not be made). */
struct dp_reasm *dp_reasm_new(const struct dp_reasm_cfg *cfg);
void dp_reasm_free(struct dp_reasm *r);

/*
 * Register the mbuf flag of heads of datagrams larger than a buffer
 * (dp_pkt_head_flag). Once per process, before reassembling. 0 or -rte_errno.
 */
int dp_reasm_init_flag(void);

/*
 * Free the trains older than the timeout (at tsc) and what the table put
 * aside; once per burst. Counts drop_frag_timeout into c.
 */
void dp_reasm_tick(struct dp_reasm *r, uint64_t tsc, struct dp_counters *c);

/*
 * One IPv4 fragment m (dp_pkt_classify() said DP_PKT_FRAG: IP header at
 * l2 bytes into m, valid, to our address, UDP). The reassembler owns m
 * from here. Returns NULL (held, or dropped and counted into c), or the
 * reassembled datagram as one frame (see above) for classification.
 */
struct rte_mbuf *dp_reasm_input(struct dp_reasm *r, struct rte_mbuf *m, uint16_t l2,
		uint16_t sip_port_be, uint64_t tsc, struct dp_counters *c);

/* Fragments held now (frag_held of this reassembler). */
uint64_t dp_reasm_held(const struct dp_reasm *r);

#endif
