/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_H
#define RULES_H

/*
 * The dialplan engine (librules): a text language compiled into an
 * immutable plan, a matcher for the packet path, a serialized form that
 * crosses process boundaries, and the pieces needed to replace a plan
 * while worker threads keep matching (rules_swap.h, rules_qsbr.h).
 *
 * Life of a plan:
 *   control plane: rules_compile_file() -> rules_plan_serialize() -> socket
 *   dataplane:     rules_plan_load() -> rules_swap_publish() -> workers
 *                  call rules_inst_match() on rules_swap_current()
 *
 * The language is documented in docs/dialplan.md. No DPDK, no sip/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- small shared types ---- */

/* A view: bytes not owned by the holder and never NUL-terminated. */
struct rules_view {
	const char *p;
	uint32_t len;
};

/* String fields a condition can look at. */
enum rules_field {
	RULES_F_USER = 0,   /* Request-URI user (the default) */
	RULES_F_DOMAIN = 1, /* Request-URI host, compared case-insensitively */
	RULES_F_FROM = 2,   /* From URI user */
	RULES_F_TO = 3,     /* To URI user */
	RULES_F__COUNT
};

enum rules_action {
	RULES_ACT_NONE = 0,     /* no rule matched */
	RULES_ACT_PASS = 1,     /* matched: rewrite and attributes only, caller decides */
	RULES_ACT_REDIRECT = 2, /* answer 3xx with Contacts */
	RULES_ACT_FORWARD = 3,  /* forward to a gateway of a group */
	RULES_ACT_REJECT = 4,   /* answer with code and reason */
	RULES_ACT_DROP = 5,     /* discard silently */
};

enum rules_transport {
	RULES_TP_UDP = 0,
	RULES_TP_TCP = 1,
	RULES_TP_TLS = 2,
};

/* Most Contacts a redirect rule may carry. */
#define RULES_MAX_CONTACTS 8
/* Longest value a transformation may produce (the rewritten user). */
#define RULES_VALUE_MAX 256
/* rules_result.rule when nothing matched. */
#define RULES_NO_RULE UINT32_MAX
/* rules_result.gw: the action is not forward, or every gateway is down. */
#define RULES_GW_NONE (-1)
#define RULES_GW_ALL_DOWN (-2)

/* ---- errors ---- */

/*
 * Errors of a compile, import or load, each "source:line: message", sorted
 * by line. Zero-initialise; release with rules_errors_clear().
 */
struct rules_errors {
	unsigned n;     /* messages in msg[] */
	unsigned total; /* errors found; > n when the limit cut the list */
	char **msg;
};

/* Free the messages and reset to empty. */
void rules_errors_clear(struct rules_errors *e);
/* Print every message, one per line. */
void rules_errors_print(const struct rules_errors *e, FILE *out);

/* ---- files ---- */

/*
 * Open a dialplan, Kamailio table or preamble for reading: regular files
 * only. A FIFO without a writer, or a device, would block the reader (the
 * start-up load, a SIGHUP reload) forever: the path is checked before the
 * open, opened non-blocking, and the descriptor checked again. Returns the
 * descriptor (close-on-exec), or -errno with the reason in why ("is a
 * FIFO, not a regular file", or strerror()'s text).
 */
int rules_open_file(const char *path, char *why, size_t whylen);

/* ---- compiling ---- */

struct rules_compile_opts {
	const char *name;    /* plan name; NULL: the `plan` directive, else the source name */
	uint64_t version;    /* 0: the `version` directive, else left to the publisher */
	unsigned max_errors; /* messages kept (all are counted); 0: 1000 */
};

struct rules_plan;

/*
 * Compile the dialplan text in the file at path. The file is read once,
 * streaming, and its SHA-256 becomes the plan's checksum.
 * opts may be NULL. errs may be NULL (errors are then only counted away).
 * Returns the plan, or NULL when the plan has any error (all of them are
 * in errs) or on a system error (errno-style message in errs).
 */
struct rules_plan *rules_compile_file(const char *path, const struct rules_compile_opts *opts,
		struct rules_errors *errs);

/*
 * As rules_compile_file() for text[0..len) held in memory; source names it
 * in messages ("source:line: ...").
 */
struct rules_plan *rules_compile_text(const char *text, size_t len, const char *source,
		const struct rules_compile_opts *opts, struct rules_errors *errs);

/* Kamailio `dialplan` table import (mapping in docs/dialplan.md). */
struct rules_kamailio_opts {
	int dpid;             /* rows of this dialplan id are imported, others skipped; < 0: the
	                       * table must hold one dialplan id only, and that is imported */
	const char *action;   /* clauses added to every row, e.g. "forward pstn"; NULL: "pass" */
	const char *preamble; /* dialplan text read before the rows (groups, plan name), or NULL */
};

/*
 * Compile a Kamailio dialplan table exported as db_text (header line
 * "id(int,auto) dpid(int) ...", ':'-separated rows) or CSV with a header
 * row. The format is detected from the first line. Errors name the line
 * of the row. kopts may be NULL: dpid -1, action "pass", no preamble.
 * Returns the plan or NULL as rules_compile_file().
 */
struct rules_plan *rules_import_kamailio(const char *path, const struct rules_kamailio_opts *kopts,
		const struct rules_compile_opts *opts, struct rules_errors *errs);

/*
 * Write the sipline dialplan text equivalent to the Kamailio table at path
 * (what rules_import_kamailio() compiles) to out, one rule per row, so an
 * operator can review and keep it. kopts as rules_import_kamailio().
 * Returns 0, or -EINVAL with errs filled when a row cannot be converted,
 * or another -errno.
 */
int rules_kamailio_convert(const char *path, const struct rules_kamailio_opts *kopts, FILE *out,
		struct rules_errors *errs);

void rules_plan_free(struct rules_plan *plan);

/* ---- plan metadata ---- */

struct rules_plan_info {
	const char *name;
	const char *source;   /* file name or source name given to the compiler */
	uint64_t version;     /* 0 until set by the compiler options or the publisher */
	char sha256[65];      /* hex SHA-256 of the source (imports: preamble, options, table) */
	uint32_t n_rules;
	uint32_t n_prefix;    /* rules indexed by a prefix or exact value */
	uint32_t n_regex;     /* regular expressions (Hyperscan) */
	uint32_t n_other;     /* rules with neither (source address, method, catch-all) */
	uint32_t n_groups;
	uint32_t n_gateways;
	size_t mem_bytes;     /* memory held by the plan, Hyperscan databases included */
};

void rules_plan_info(const struct rules_plan *plan, struct rules_plan_info *info);
/*
 * The query fields (1 << RULES_F_*) a match of this plan may read: a
 * condition on the field or a template naming it ($from, ${to}...). A
 * caller may leave the others empty (a dataplane skips extracting the
 * From and To users when no rule looks at them). A superset, never less.
 */
uint32_t rules_plan_fields_read(const struct rules_plan *plan);
/* Set the version (before the plan is published). */
void rules_plan_set_version(struct rules_plan *plan, uint64_t version);

struct rules_gateway {
	struct rules_view host; /* name or address text, IPv6 without brackets */
	uint16_t port;
	uint8_t transport;      /* enum rules_transport */
};

/* Gateways are numbered 0..n_gateways-1 across all groups. 0 or -ENOENT. */
int rules_plan_gateway(const struct rules_plan *plan, uint32_t id, struct rules_gateway *gw);
/* Number of the gateway host:port;transport, or -ENOENT. */
int rules_plan_gateway_find(const struct rules_plan *plan, const char *host, size_t host_len,
		uint16_t port, uint8_t transport);

/* ---- serialized form ---- */

/*
 * Serialize plan into one malloc()ed blob (the compiled tables and the
 * Hyperscan databases). Blobs are native-endian and tied to this library
 * version; a Hyperscan database also needs a CPU with the features of the
 * machine that compiled it. Returns 0 and sets *blob and *len, or -ENOMEM.
 */
int rules_plan_serialize(const struct rules_plan *plan, void **blob, size_t *len);

/*
 * Rebuild a plan from a blob (copied; the caller keeps its buffer).
 * Every table is checked before use: a truncated, corrupt or foreign blob
 * is refused with a message in errs, never dereferenced. NULL on error.
 */
struct rules_plan *rules_plan_load(const void *blob, size_t len, struct rules_errors *errs);

/* ---- matching ---- */

/*
 * What the matcher looks at. Views point into the packet; an absent field
 * is {NULL, 0}. src_af 0 means no source address (src conditions fail).
 */
struct rules_query {
	struct rules_view user;   /* Request-URI user */
	struct rules_view domain; /* Request-URI host */
	struct rules_view from;   /* From URI user */
	struct rules_view to;     /* To URI user */
	struct rules_view method; /* request method token (case-sensitive) */
	uint8_t src_af;           /* 0, 4 or 6 */
	uint8_t src[16];          /* network order; IPv4 in src[0..3] */
	uint64_t callid_hash;     /* hash of the Call-ID: picks the gateway */
};

/*
 * What the winning rule decided. Views point into the caller's buffer
 * (contacts, headers, a user built by a transformation), into the query
 * (a user left as it was or only stripped) or into the plan (reason,
 * gateway host, attrs, a user set by `set`): plan views stay valid while
 * the plan does, that is until the reader's next quiescent point.
 */
struct rules_result {
	int err;                     /* rules_match_burst(): this query's return value */
	enum rules_action action;
	uint32_t rule;               /* index in the plan, RULES_NO_RULE if none matched */
	uint32_t line;               /* source line of the rule */
	uint32_t prio;
	uint16_t code;               /* 3xx for redirect, 4xx-6xx for reject */
	struct rules_view reason;    /* reject reason phrase */
	struct rules_view user;      /* the rewritten user (the query's view when unchanged) */
	unsigned n_contacts;
	struct rules_view contact[RULES_MAX_CONTACTS]; /* "<sip:...>;q=0.5;expires=60" */
	int32_t gw;                  /* gateway number, RULES_GW_NONE or RULES_GW_ALL_DOWN */
	struct rules_view gw_host;
	/*
	 * gw_host as an IPv4 address (4 bytes, network order) when it is
	 * written as a canonical dotted quad, else NULL: a forwarder need not
	 * parse it again. Points into the plan.
	 */
	const uint8_t *gw_ipv4;
	uint16_t gw_port;
	uint8_t gw_transport;        /* enum rules_transport */
	struct rules_view headers;   /* header lines to add, each ending in CRLF */
	struct rules_view attrs;     /* free-form attributes of the rule */
};

/*
 * Per-thread working memory for one plan: Hyperscan scratch, PCRE2 match
 * data, buffers. Never shared between threads; never used with another plan.
 */
struct rules_scratch;

/* A scratch for plan (allocates). NULL on error. */
struct rules_scratch *rules_scratch_create(const struct rules_plan *plan);
/* Another scratch for the same plan, for another thread (allocates). NULL on error. */
struct rules_scratch *rules_scratch_clone(const struct rules_scratch *proto);
void rules_scratch_free(struct rules_scratch *s);

/*
 * Find the winning rule for q and apply it: lower priority wins, then the
 * longer prefix or exact value, then the earlier line (docs/dialplan.md).
 * gw_down: bit i of word i/64 set when gateway i is down (read with
 * relaxed atomic loads; written by whoever tracks health); NULL: all up.
 * buf/cap: room for the rewritten user, rendered Contacts and headers
 * (RULES_VALUE_MAX + 1 KiB is plenty for usual plans).
 * No allocation, no locks, no system calls.
 * Returns 0 (r->action is RULES_ACT_NONE when nothing matched), -ENOSPC
 * when buf is too small or a value grows past RULES_VALUE_MAX (r->rule
 * and r->action are still set), or -EINVAL on a scratch of another plan.
 */
int rules_match(const struct rules_plan *plan, struct rules_scratch *s,
		const struct rules_query *q, const uint64_t *gw_down, struct rules_result *r,
		char *buf, size_t cap);

/*
 * rules_match() over n queries, overlapping their memory accesses: the
 * prefix tables of a large plan do not fit in cache, and requesting the
 * next queries' lines while matching the current one hides most of that
 * latency (4-6x faster than one at a time on a 1M-prefix plan; plans that
 * fit in cache are matched one by one). bufs holds n buffers of buf_size
 * bytes (query i uses bufs + i * buf_size). Each r[i].err gets that
 * query's return value. Returns n.
 */
unsigned rules_match_burst(const struct rules_plan *plan, struct rules_scratch *s,
		const struct rules_query *q, unsigned n, const uint64_t *gw_down,
		struct rules_result *r, char *bufs, size_t buf_size);

/* ---- explain ---- */

#define RULES_EXPLAIN_STEPS 8
#define RULES_EXPLAIN_CANDS 16

struct rules_explain_step {
	char op[16];                    /* "strip", "add", "set", "subst" */
	char arg[96];                   /* its argument as written */
	char value[RULES_VALUE_MAX];    /* the value after the step */
};

struct rules_explain_cand {
	uint32_t rule;
	uint32_t line;
	uint32_t prio;
	char outcome[96];               /* "won", "method BYE: did not match", ... */
};

/* Structured result of rules_explain(). Large: allocate it, do not put it on a worker stack. */
struct rules_explain {
	struct rules_result res;
	char buf[4096];                 /* what res views point into */
	char why[512];                  /* the winning rule's conditions as they matched */
	unsigned n_steps;
	struct rules_explain_step step[RULES_EXPLAIN_STEPS];
	unsigned n_cands;               /* rules that matched at least their index condition */
	struct rules_explain_cand cand[RULES_EXPLAIN_CANDS];
};

/*
 * Say which rule matched q, why, what it did to the user and what it
 * decided, both as structured fields (ex) and as multi-line text (text,
 * NUL-terminated, truncated to cap). Runs the matcher's own code with
 * tracing and without pruning, so it cannot disagree with rules_match().
 * Allocates: for the control plane, not for workers.
 * Returns 0 or -ENOMEM / -ENOSPC as rules_match().
 */
int rules_explain(const struct rules_plan *plan, const struct rules_query *q,
		const uint64_t *gw_down, struct rules_explain *ex, char *text, size_t cap);

/* ---- helpers ---- */

/* Parse an IPv4 or IPv6 address (no brackets) into af/addr. 0 or -EINVAL. */
int rules_addr_parse(const char *text, uint8_t *af, uint8_t addr[16]);
/* Name of an action ("redirect"). Never NULL. */
const char *rules_action_name(enum rules_action a);
/* Name of a transport ("udp"). Never NULL. */
const char *rules_transport_name(enum rules_transport t);

#endif
