/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_DP_H
#define CP_DP_H

/*
 * The control plane's side of the control link (link/sl_link.h) to each
 * configured dataplane: non-blocking connections on the event loop,
 * reconnection with exponential back-off, requests with callbacks matched
 * by sequence number, a bounded write queue, HELLO and the signing-key
 * fingerprint check, and a periodic read of the counters (by name). What
 * to re-send after a (re)connection is the owner's business: its on_hello
 * callback runs once HELLO_ACK is in, and it calls cp_dp_set_ready() when
 * its re-sync requests are answered.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl_link.h"
#include "sl_link_io.h"

struct cp_loop;
struct cp_dp;
struct cp_dps;

enum cp_dp_state {
	CP_DP_DOWN = 0,     /* not connected; a reconnection is scheduled */
	CP_DP_HELLO,        /* connected, HELLO sent */
	CP_DP_SYNC,         /* HELLO_ACK in; the owner re-syncs */
	CP_DP_READY,        /* in sync */
};

const char *cp_dp_state_name(enum cp_dp_state s);

/* One counter of a dataplane, from its last STATS pages. */
struct cp_dp_stat {
	char name[48];
	uint16_t worker;     /* SL_STAT_ALL for sums and process-wide values */
	uint16_t code;
	uint8_t kind;        /* SL_STAT_COUNTER / SL_STAT_GAUGE */
	uint64_t value;
};

struct cp_dp_stats {
	struct cp_dp_stat *v;
	unsigned n;
	uint64_t plan_version;
	uint64_t bindings;
	int64_t when;        /* wall seconds of the read; 0: never */
};

void cp_dp_stats_clear(struct cp_dp_stats *s);

/* What a dataplane is, as far as the control plane knows. */
struct cp_dp_info {
	const char *path;
	enum cp_dp_state state;
	struct sl_hello_ack hello;  /* valid from CP_DP_SYNC on (and after a disconnect) */
	bool key_mismatch;
	uint64_t connects;          /* successful connections so far */
	int64_t since;              /* wall seconds of the current state */
	char last_error[160];
	struct cp_dp_stats stats;   /* last counters read */
	uint64_t stats_reads;       /* complete reads so far */
};

struct cp_dp_ops {
	/* HELLO_ACK accepted: re-sync the dataplane (state CP_DP_SYNC). */
	void (*on_hello)(struct cp_dp *dp, void *ctx);
	/* The connection dropped (state CP_DP_DOWN). */
	void (*on_down)(struct cp_dp *dp, void *ctx);
	/* A log line. */
	void (*log)(const char *msg, void *ctx);
	void *ctx;
};

struct cp_dp_conf {
	uint64_t reconnect_min_ms, reconnect_max_ms;
	uint64_t stats_poll_ms;
	bool key_refuse;            /* disconnect a dataplane whose key fingerprint differs */
};

struct cp_dps *cp_dps_create(struct cp_loop *l, const struct cp_dp_conf *conf,
		const struct cp_dp_ops *ops);
/* Closes every connection; pending callbacks get NULL replies. */
void cp_dps_free(struct cp_dps *s);
void cp_dps_set_conf(struct cp_dps *s, const struct cp_dp_conf *conf);
/*
 * Make the set of dataplanes paths[0..n): connections to paths no longer
 * there are closed, new ones started. 0 or -ENOMEM.
 */
int cp_dps_set_paths(struct cp_dps *s, char paths[][256], unsigned n);
unsigned cp_dps_count(const struct cp_dps *s);
struct cp_dp *cp_dps_get(struct cp_dps *s, unsigned i);
/* By path, or by index written as a number. NULL if none. */
struct cp_dp *cp_dps_find(struct cp_dps *s, const char *name);
/* Dataplanes in CP_DP_READY. */
unsigned cp_dps_ready(const struct cp_dps *s);
/*
 * The control plane signs with this key too (its relay): a dataplane whose
 * HELLO_ACK shows another fingerprint is disconnected (and retried) with
 * the reason in its last_error and the log. what names the key ("relay_secret_file
 * /etc/..."); fp NULL: no such check.
 */
void cp_dps_expect_key(struct cp_dps *s, const uint8_t fp[SL_KEY_FP_LEN], const char *what);
/* The reference key fingerprint (the first seen); false if none yet. */
bool cp_dps_key_fp(const struct cp_dps *s, uint8_t fp[SL_KEY_FP_LEN]);

const struct cp_dp_info *cp_dp_info(const struct cp_dp *dp);
unsigned cp_dp_index(const struct cp_dp *dp);
/* Owner: the dataplane published this plan (its HELLO_ACK fields follow). */
void cp_dp_note_plan(struct cp_dp *dp, uint64_t version, const char *sha256);
/* Owner: re-sync done. */
void cp_dp_set_ready(struct cp_dp *dp);
/* Owner: the re-sync failed; drop the connection and retry later. */
void cp_dp_fail(struct cp_dp *dp, const char *why);
/* Read the counters now (also done every stats_poll). */
void cp_dp_poll_stats(struct cp_dp *dp);

/*
 * The reply to a request: rx is the frame (SL_MSG_RESULT, HELLO_ACK or
 * STATS), or NULL when the request was lost (connection dropped, or no
 * answer within its timeout).
 */
typedef void cp_dp_reply_fn(struct cp_dp *dp, const struct sl_rx *rx, void *arg);

/*
 * Queue a request; fd (or -1) travels with it and is duplicated (the
 * caller keeps its own). 0, -ENOTCONN (not connected), -ENOBUFS (write
 * queue full) or -ENOMEM. On error cb is not called.
 */
int cp_dp_request(struct cp_dp *dp, uint16_t type, const void *payload, uint32_t len, int fd,
		uint64_t timeout_ms, cp_dp_reply_fn *cb, void *arg);
/*
 * A sealed memfd (called name) holding p[0..len), to pass as a request's
 * fd: sealed, so the dataplane can trust its size and content. The fd
 * (caller closes) or -errno.
 */
int cp_dp_memfd(const char *name, const void *p, size_t len);

/* A RESULT's status and text; -EPROTO for a frame that is not a RESULT. */
int cp_dp_result(const struct sl_rx *rx, const char **text, uint32_t *len);

#endif
