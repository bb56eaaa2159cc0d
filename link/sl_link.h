/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_LINK_H
#define SL_LINK_H

/*
 * The local link between the control plane and the dataplane(s): a Unix
 * stream socket (each dataplane listens, mode 0600 in a 0750 directory;
 * the control plane connects to every dataplane it is configured with).
 * Both processes run on the same host, so structures travel in host byte
 * order; every frame starts with a header carrying a magic and the
 * protocol version, and a frame of another version is refused (the
 * connection is closed).
 *
 * Every request gets exactly one SL_MSG_RESULT (or the reply named below)
 * with the same seq. A compiled dialplan travels as a memfd passed with
 * SCM_RIGHTS beside SL_MSG_PLAN_PUSH, so large plans need no chunking (the
 * dataplane takes up to its --max-plan-size). Its RESULT comes once the
 * plan is served or refused; replies to requests sent meanwhile may come
 * before it.
 *
 *   control plane                       dataplane
 *   HELLO                 ------------> HELLO_ACK (plan version and sha, bindings,
 *                                                  key fingerprint, ...)
 *   PLAN_PUSH + fd [+ gateway states] -> RESULT (0, or -errno + errors; -EFBIG: larger
 *                                               than --max-plan-size; -EBUSY: another
 *                                               push is still loading)
 *   SYNC_BEGIN            ------------> RESULT    mark-and-sweep re-sync of bindings:
 *   LOC_SET ...           ------------> RESULT    bindings set during the sync are
 *   SYNC_END              ------------> RESULT    marked; SYNC_END removes the others
 *   LOC_SET / LOC_DEL     ------------> RESULT
 *   GW_STATE              ------------> RESULT
 *   GW_ADDRS              ------------> RESULT (0, -ESTALE: not newer than the table served,
 *                                               -EINVAL: malformed)
 *   BRIDGE                ------------> RESULT (0; -ENOTSUP from an older dataplane)
 *   STATS_GET (cursor)    ------------> STATS (a page of counters by name)
 *   ACL_PUSH + fd         ------------> RESULT (0, -EINVAL + "acl:N: what" lines, -EFBIG;
 *                                               -ENOTSUP from an older dataplane)
 *   ACL_GET               ------------> ACL_STATE (the ACL in force: source, version, sha)
 *   SRC_TOP_GET (n)       ------------> SRC_TOP (the per-source limit's top offenders)
 *   PING                  ------------> RESULT
 *
 * Version 2 (this one) against 1: several dataplanes per control plane;
 * bindings re-synced by mark-and-sweep (SYNC_BEGIN/SYNC_END replace
 * LOC_CLEAR, so there is never a window without bindings); PLAN_PUSH may
 * carry the gateway states for the new plan (no window where a down
 * gateway is up); statistics travel by name, paged; HELLO_ACK carries the
 * dataplane's signing-key fingerprint and its process id. GW_ADDRS (added
 * within version 2: an older dataplane answers -ENOTSUP and keeps
 * answering 503 for gateway names) carries the resolved addresses of
 * gateway names. BRIDGE (also within version 2: an older dataplane
 * answers -ENOTSUP and keeps answering 503 for TCP/TLS next hops) says
 * the control plane sends what the fast path cannot (docs/dataplane.md
 * "Transport bridging"): while that connection lasts, the dataplane hands
 * such requests and responses to the kernel side. LOC_SET may carry the
 * binding's Path after the fixed part (struct sl_loc_path, also within
 * version 2: an older dataplane ignores the extra bytes, so its requests
 * to that contact lack the Route set).
 *
 *
 * ACL_PUSH, ACL_GET and SRC_TOP_GET are also within version 2 (an older
 * dataplane answers each with a RESULT of -ENOTSUP). ACL_PUSH carries the
 * text of a peer ACL (dataplane/core/dp_acl.h) in a sealed memfd, or with
 * SL_ACL_CLEAR no memfd: the dataplane compiles it as its --acl file
 * (same parser), swaps it in under RCU, and from then on ignores its
 * --acl file on SIGHUP until a CLEAR puts the file back (or no ACL). A
 * text with errors changes nothing. The control plane pushes its ACL
 * again after every HELLO (docs/security.md "Peer ACLs").
 *
 * The dataplane keeps serving with its last state when the link drops; the
 * control plane re-syncs after reconnecting: HELLO tells it what the
 * dataplane has; it pushes the plan if the SHA-256 or version differs
 * (with the gateway states), else sends every gateway state (GW_STATE),
 * then re-syncs the bindings.
 */

#include <stdint.h>

#define SL_LINK_MAGIC 0x534c4b31u /* "SLK1" */
#define SL_LINK_VERSION 2u
#define SL_LINK_MAX_PAYLOAD (64u * 1024u)

enum sl_msg_type {
	SL_MSG_HELLO = 1,
	SL_MSG_HELLO_ACK = 2,
	SL_MSG_RESULT = 3,
	SL_MSG_PLAN_PUSH = 4,
	SL_MSG_LOC_SET = 5,
	SL_MSG_LOC_DEL = 6,
	/* 7 was LOC_CLEAR (version 1): replaced by SYNC_BEGIN/SYNC_END */
	SL_MSG_GW_STATE = 8,
	SL_MSG_STATS_GET = 9,
	SL_MSG_STATS = 10,
	SL_MSG_PING = 11,
	SL_MSG_SYNC_BEGIN = 12,
	SL_MSG_SYNC_END = 13,
	SL_MSG_GW_ADDRS = 14,
	SL_MSG_BRIDGE = 15,
	SL_MSG_ACL_PUSH = 16,
	SL_MSG_ACL_GET = 17,
	SL_MSG_ACL_STATE = 18,
	SL_MSG_SRC_TOP_GET = 19,
	SL_MSG_SRC_TOP = 20,
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

/* Bytes of the signing-key fingerprint. */
#define SL_KEY_FP_LEN 8

struct sl_hello_ack {
	uint64_t plan_version;
	char plan_sha256[65];
	char pad[7];
	uint32_t bindings;
	uint32_t lcores;
	uint64_t uptime_s;
	/*
	 * Fingerprint of the key that signs branches, To-tags and
	 * Record-Routes: a one-way function of it, never the key. Dataplanes
	 * of one deployment must show the same one.
	 */
	uint8_t key_fp[SL_KEY_FP_LEN];
	uint32_t pid;
	uint32_t gateways_down;  /* in the current plan */
	char name[32];           /* the dataplane's name for logs and labels (its tap) */
};

/* Reply to every request but HELLO and STATS_GET. */
struct sl_result {
	int32_t status;  /* 0, or -errno */
	uint32_t len;    /* bytes of text that follow (errors, "file:line: ..." lines) */
	/* char text[len] */
};

/* sl_plan_push.flags */
#define SL_PLAN_GW_STATES 1u  /* n_gw sl_gw_state follow: the complete set of down gateways */

/* The blob (rules_plan_serialize()) is in the memfd passed with the frame. */
struct sl_plan_push {
	uint64_t size;   /* bytes of the blob in the memfd */
	char name[64];   /* for logs */
	uint32_t flags;  /* SL_PLAN_* */
	uint32_t n_gw;   /* with SL_PLAN_GW_STATES: gateway states that follow */
	/* struct sl_gw_state gw[n_gw]: applied to the new plan before it serves */
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

/*
 * Optional tail of LOC_SET (hdr.len > sizeof(struct sl_loc_set)): the
 * Path (RFC 3327) of the binding, its values joined by ", ", sent as the
 * Route set of requests to the contact. len <= SL_LOC_PATH_MAX; the
 * frame holds exactly sizeof(struct sl_loc_set) + 4 + len bytes.
 */
#define SL_LOC_PATH_MAX 512u

struct sl_loc_path {
	uint32_t len;
	/* char path[len] */
};

/* BRIDGE: what the control plane sends for the dataplane (SL_BRIDGE_*), 0: nothing. */
struct sl_bridge {
	uint32_t flags;
	uint32_t pad;
};

#define SL_BRIDGE_TRANSPORTS 1u /* TCP/TLS next hops, TCP/TLS response Vias, large requests */

struct sl_loc_del {
	char aor[128];
};

/* SYNC_BEGIN / SYNC_END: one sync at a time per connection. */
struct sl_sync {
	uint32_t what;       /* SL_SYNC_* */
	uint32_t count;      /* SYNC_END: LOC_SETs sent since SYNC_BEGIN (a check) */
};

#define SL_SYNC_BINDINGS 1u

struct sl_gw_state {
	char host[64];   /* gateway host as written in the dialplan */
	uint16_t port;
	uint8_t transport;  /* enum rules_transport */
	uint8_t down;       /* 1: down, 0: up */
};

/*
 * GW_ADDRS: the control plane's complete table of resolved gateway names
 * (RFC 3263, docs/control.md), replacing the previous table at once (so a
 * refresh never leaves a name without addresses). Names are keyed as in
 * the plan (host as written, port, transport); a plan gateway whose host
 * is not an IP literal is looked up here by the fast path. Layout:
 * struct sl_gw_addrs, n_names struct sl_gw_name, n_targets struct
 * sl_gw_target; name i owns targets [first, first + count). Checked by
 * sl_gw_addrs_parse() before anything is used.
 */
struct sl_gw_addrs {
	uint64_t version;    /* only grows (the control plane's wall-clock ms or more) */
	uint32_t n_names;    /* <= SL_GW_MAX_NAMES */
	uint32_t n_targets;  /* <= SL_GW_MAX_TARGETS */
};

#define SL_GW_MAX_NAMES 256u
#define SL_GW_MAX_TARGETS 1024u

struct sl_gw_name {
	char host[64];       /* NUL-terminated, non-empty */
	uint16_t port;
	uint8_t transport;   /* enum rules_transport */
	uint8_t pad;
	uint16_t first;
	uint16_t count;      /* 0: no address (requests to it get 503) */
};

struct sl_gw_target {
	uint8_t af;          /* 4 or 6 */
	uint8_t down;        /* 1: its probes say down */
	uint16_t port;
	uint16_t priority;   /* RFC 2782: lower first; the next one only when all of these are down */
	uint16_t weight;     /* RFC 2782 weight within its priority */
	uint8_t addr[16];    /* network order; IPv4 in addr[0..3] */
};

/* sl_acl_push.flags */
#define SL_ACL_CLEAR 1u  /* no text: back to the --acl file (or none) */

/* Largest ACL text a dataplane takes (dp_acl_load()'s limit for a file). */
#define SL_ACL_MAX_TEXT (64u << 20)

/* ACL_PUSH: the text (size bytes, not NUL-terminated) is in the memfd passed with the frame. */
struct sl_acl_push {
	uint64_t size;
	uint64_t version;    /* the control plane's ACL version (for logs and ACL_STATE) */
	uint32_t flags;      /* SL_ACL_* */
	uint32_t pad;
};

/* sl_acl_state.source */
#define SL_ACL_NONE 0u     /* no ACL: every source allowed */
#define SL_ACL_FILE 1u     /* --acl FILE */
#define SL_ACL_PUSHED 2u   /* ACL_PUSH */

/* ACL_STATE: the ACL in force. */
struct sl_acl_state {
	uint64_t version;    /* PUSHED: as pushed; FILE: loads so far; NONE: 0 */
	char sha256[65];     /* hex SHA-256 of the text compiled ("" for NONE) */
	uint8_t source;      /* SL_ACL_* */
	uint8_t dflt;        /* enum dp_acl_verdict for sources no entry covers */
	uint8_t pad[5];
	uint32_t entries;
	uint32_t pad2;
};

/* SRC_TOP_GET: at most n (1..SL_SRC_TOP_MAX) sources. */
struct sl_src_top_get {
	uint32_t n;
	uint32_t pad;
};

#define SL_SRC_TOP_MAX 64u

/*
 * SRC_TOP: the per-source limit (--src-rate; rate 0: off) and its tables
 * summed over the RX lcores, then n struct sl_src_entry, most drops first.
 */
struct sl_src_top {
	uint32_t rate, burst, ban_s;
	uint32_t n;
	uint64_t tracked, capacity, table_bytes;
};

struct sl_src_entry {
	uint8_t af;          /* 4 or 6 */
	uint8_t pad[3];
	uint32_t bans;
	uint32_t ban_left_ms;  /* 0: not banned now */
	uint32_t pad2;
	uint64_t drops;
	uint8_t addr[16];    /* network order; IPv4 in addr[0..3] */
};

/* STATS_GET: the page starting at cursor (0: the first). */
struct sl_stats_get {
	uint32_t cursor;
	uint32_t flags;      /* SL_STATS_* */
};

#define SL_STATS_PER_WORKER 1u  /* also every counter per worker */

/* STATS: header, then n records. */
struct sl_stats {
	uint32_t n;          /* records in this page */
	uint32_t next;       /* cursor of the next page; 0: this was the last */
	uint64_t plan_version;
	uint64_t bindings;
	/* struct sl_stat records, each followed by its name */
};

/* sl_stat.kind */
#define SL_STAT_COUNTER 0u   /* only grows (until the dataplane restarts) */
#define SL_STAT_GAUGE 1u     /* a current value */
/* sl_stat.worker for process-wide values and sums over the workers */
#define SL_STAT_ALL 0xffffu

struct sl_stat {
	uint64_t value;
	uint16_t worker;     /* worker id, or SL_STAT_ALL */
	uint16_t code;       /* SIP status for the per-status tables ("sent", "relayed"), else 0 */
	uint8_t kind;        /* SL_STAT_COUNTER or SL_STAT_GAUGE */
	uint8_t name_len;    /* bytes of name after this struct (no NUL), then padding to 8 */
	uint8_t pad[2];
};

/* Size of a record with a name of n bytes (8-byte aligned). */
#define SL_STAT_SIZE(n) ((sizeof(struct sl_stat) + (n) + 7u) & ~7u)

#endif
