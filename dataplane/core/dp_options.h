/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_OPTIONS_H
#define DP_OPTIONS_H

/*
 * sipline's own options (after EAL's and "--"), from the command line and
 * from --config files. docs/dataplane.md lists them; dp_options_usage()
 * prints the same list.
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dp_scanner.h"
#include "sip_addr.h"

#define DP_MAX_STATIC_NEIGH 32
/* --max-plan-size default: a 10M-prefix plan (~436 MiB) with room to grow. */
#define DP_DEFAULT_MAX_PLAN_SIZE (1ull << 30)
#define DP_NEIGH_CAPACITY_DEFAULT 65536
#define DP_NEIGH_CAPACITY_MAX (1u << 22)
#define DP_NEIGH_IDLE_DEFAULT 60
#define DP_NEIGH_RATE_DEFAULT 100
#define DP_NEIGH_KERNEL_RATE_DEFAULT 200
/* Per-source limits: off unless --src-rate (docs/security.md says why). */
#define DP_SRC_BAN_DEFAULT 60
#define DP_SRC_TABLE_DEFAULT 65536

enum dp_spread {
	DP_SPREAD_RSS = 0,  /* one RX queue per worker, NIC RSS */
	DP_SPREAD_CALLID,   /* one RX queue, spread in software by Call-ID hash */
};

enum dp_plan_format {
	DP_PLAN_NATIVE = 0,
	DP_PLAN_KAMAILIO,
};

struct dp_static_neigh {
	struct sip_addr ip;
	uint8_t mac[6];
};

struct dp_options {
	struct sip_addr addr4, addr6;  /* af NONE when not given */
	uint8_t prefix4, prefix6;
	uint16_t port;
	uint16_t wire_port;
	char dialplan[PATH_MAX];       /* empty: none */
	char acl[PATH_MAX];            /* peer ACL file (dp_acl.h), empty: none */
	enum dp_plan_format dialplan_format;
	int kamailio_dpid;             /* -1: the table's only dpid */
	char kamailio_action[256];     /* clauses for every row ("forward pstn"); empty: pass */
	char kamailio_preamble[PATH_MAX]; /* dialplan text read before the rows; empty: none */
	bool record_route;
	bool relay_in_dialog;
	bool secret_set;               /* --secret given (deprecated: visible in ps) */
	uint8_t secret[16];            /* its key (SIP_KEY_LEN bytes) */
	char secret_file[PATH_MAX];    /* --secret-file; empty: none */
	unsigned secret_grace;         /* seconds a rotated-out key is still accepted */
	uint16_t no_route_code;
	enum dp_spread spread;
	char tap[16];
	bool no_exception;
	unsigned n_neigh;
	struct dp_static_neigh neigh[DP_MAX_STATIC_NEIGH];
	unsigned neigh_capacity;       /* destinations in the neighbour table */
	unsigned neigh_idle;           /* seconds before an unused, unpinned destination expires */
	unsigned neigh_rate;           /* route queries + ARP/ND resolutions started per second */
	unsigned neigh_kernel_rate;    /* per worker: packets per second sent via the kernel */
	char link[108];                /* sun_path */
	uint64_t max_plan_size;        /* bytes: larger plan pushes are refused */
	/* Scanner signatures: the defaults (unless --no-default-scanners) and these. */
	bool no_default_scanners;
	unsigned n_scanner;
	char scanner_text[DP_SCANNER_MAX_PATS][DP_SCANNER_PAT_LEN];
	uint8_t scanner_hdrs[DP_SCANNER_MAX_PATS];  /* DP_SCAN_* */
	/* Per-source rate limit (per RX lcore); src_rate 0: off. */
	unsigned src_rate;             /* packets per second per source */
	unsigned src_burst;            /* bucket depth; 0: src_rate */
	unsigned src_ban;              /* seconds a source over its rate is dropped */
	unsigned src_table;            /* sources tracked per lcore */
	/* Overload (dp_overload.h): shed new requests unparsed when a worker falls behind. */
	bool overload_shed;            /* default on */
	bool overload_reply;           /* answer shed requests from allowed peers with 503 */
	unsigned retry_after;          /* seconds, in the 503's Retry-After */
	unsigned overload_reply_rate;  /* 503s per second per worker at most; more are dropped */
	unsigned stats_interval;
	bool udp_checksum;
	bool help;
};

#define DP_RETRY_AFTER_DEFAULT 5u
#define DP_OVERLOAD_REPLY_RATE_DEFAULT 2000u

/* Defaults (port 5060, tap "sl0", link path, checksums on...). */
void dp_options_defaults(struct dp_options *o);

/*
 * Parse argv[0..argc) (argv[0] is the program name). --config FILE is read
 * where it appears; later options override earlier ones. Returns 0, or -1
 * with a message naming the option (and file:line for config files) in err.
 * Checks that the result is complete (an address is required unless --help).
 */
int dp_options_parse(struct dp_options *o, int argc, char **argv, char *err, size_t errlen);

/* Read options from a file: one "option value" per line, '#' starts a comment. */
int dp_options_load(struct dp_options *o, const char *path, char *err, size_t errlen);

void dp_options_usage(FILE *f, const char *prog);

/*
 * The scanner signatures in effect: the defaults (unless
 * --no-default-scanners), then --scanner-ua/--scanner-from/--scanner-to.
 * out has room for DP_SCANNER_MAX_PATS; its texts point into o or the
 * default table. Returns how many (0: scanner blocking off).
 */
unsigned dp_options_scanners(const struct dp_options *o, struct dp_scanner_pat *out);

struct dp_sip_config;
struct sip_keyring;
/*
 * The per-family SIP configurations the workers decide with (dp_sip.h),
 * from the options: c4 and c6 for the families given (the other left
 * untouched). The dataplane's start-up and the tests of "one decision in
 * two processes" build them with this one function. 0, or -1 with err.
 */
int dp_options_sip_config(const struct dp_options *o, const struct sip_keyring *keys,
		struct dp_sip_config *c4, struct dp_sip_config *c6, char *err, size_t errlen);

#endif
