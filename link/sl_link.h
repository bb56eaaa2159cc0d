/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_LINK_H
#define SL_LINK_H

/*
 * The local link between the control plane and the dataplane: a Unix stream
 * socket (the dataplane listens, mode 0600 in a 0750 directory; the control
 * plane connects). Both processes run on the same host, so structures travel
 * in host byte order; every frame starts with a header carrying a magic and
 * the protocol version, and a peer of another version is refused at HELLO.
 *
 * Every request gets exactly one SL_MSG_RESULT (or the reply named below)
 * with the same seq. A compiled dialplan travels as a memfd passed with
 * SCM_RIGHTS beside SL_MSG_PLAN_PUSH, so large plans need no chunking (the
 * dataplane takes up to its --max-plan-size). Its RESULT comes once the
 * plan is served or refused; replies to requests sent meanwhile may come
 * before it.
 *
 *   control plane                       dataplane
 *   HELLO                 ------------> HELLO_ACK (plan version, sha, bindings)
 *   PLAN_PUSH + fd        ------------> RESULT (0, or -errno + errors; -EFBIG: larger
 *                                               than --max-plan-size; -EBUSY: another
 *                                               push is still loading)
 *   LOC_CLEAR / LOC_SET / LOC_DEL ----> RESULT
 *   GW_STATE              ------------> RESULT
 *   STATS_GET             ------------> STATS
 *   PING                  ------------> RESULT
 *
 * The dataplane keeps serving with its last state when the link drops; the
 * control plane re-syncs after reconnecting (HELLO tells it what the
 * dataplane has: it pushes the plan if the SHA-256 differs, then
 * LOC_CLEAR and every binding).
 */

#include <stdint.h>

#define SL_LINK_MAGIC 0x534c4b31u /* "SLK1" */
#define SL_LINK_VERSION 1u
#define SL_LINK_MAX_PAYLOAD (64u * 1024u)

enum sl_msg_type {
	SL_MSG_HELLO = 1,
	SL_MSG_HELLO_ACK = 2,
	SL_MSG_RESULT = 3,
	SL_MSG_PLAN_PUSH = 4,
	SL_MSG_LOC_SET = 5,
	SL_MSG_LOC_DEL = 6,
	SL_MSG_LOC_CLEAR = 7,
	SL_MSG_GW_STATE = 8,
	SL_MSG_STATS_GET = 9,
	SL_MSG_STATS = 10,
	SL_MSG_PING = 11,
};

struct sl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;   /* enum sl_msg_type */
	uint32_t seq;    /* echoed in the reply */
	uint32_t len;    /* payload bytes after this header, <= SL_LINK_MAX_PAYLOAD */
};

struct sl_hello {
	char who[32];    /* "sipline-control 0.1" */
};

struct sl_hello_ack {
	uint64_t plan_version;
	char plan_sha256[65];
	char pad[7];
	uint32_t bindings;
	uint32_t lcores;
	uint64_t uptime_s;
};

/* Reply to every request but HELLO and STATS_GET. */
struct sl_result {
	int32_t status;  /* 0, or -errno */
	uint32_t len;    /* bytes of text that follow (errors, "file:line: ..." lines) */
	/* char text[len] */
};

/* The blob (rules_plan_serialize()) is in the memfd passed with the frame. */
struct sl_plan_push {
	uint64_t size;   /* bytes of the blob in the memfd */
	char name[64];   /* for logs */
};

struct sl_loc_set {
	char aor[128];       /* "user@domain" (domain lower-case), or "user@" for any domain */
	char contact[256];   /* Request-URI to use */
	uint8_t af;          /* 4 or 6 */
	uint8_t transport;   /* enum sip_transport: the fast path serves UDP only */
	uint16_t port;
	uint8_t addr[16];    /* next hop */
	uint64_t expires;    /* absolute seconds (CLOCK_REALTIME); 0: never */
};

struct sl_loc_del {
	char aor[128];
};

struct sl_gw_state {
	char host[64];   /* gateway host as written in the dialplan */
	uint16_t port;
	uint8_t transport;  /* enum rules_transport */
	uint8_t down;       /* 1: down, 0: up */
};

/* STATS: counters in dataplane/core/dp_counters.h order, summed over workers. */
struct sl_stats {
	uint32_t n;          /* counters that follow */
	uint32_t pad;
	uint64_t plan_version;
	uint64_t bindings;
	/* uint64_t value[n] */
};

#endif
