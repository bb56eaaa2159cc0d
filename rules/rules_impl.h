/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_IMPL_H
#define RULES_IMPL_H

/*
 * Layout of a compiled plan, shared by the compiler, the matcher and the
 * blob code. Not a public interface.
 *
 * A plan is a fixed header (plain data) plus flat arrays that refer to
 * each other by index, never by pointer, so serializing is writing them
 * out and loading is reading them back and checking every index.
 *
 * Rules are stored in precedence order: rule i beats rule j iff i < j.
 * Every index therefore yields rule numbers, and "which candidate wins"
 * is an integer minimum that never touches the rule array.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules.h"
#include "rules_digits.h"
#include "rules_util.h"

/*
 * Encoded candidate ("value"), as stored in the indexes:
 * bits 0-28 rule number; RV_FILT: the rule has further conditions to
 * check; RV_LIST: bits 0-29 are an offset into lists[] instead, where
 * lists[off] is a count followed by that many encoded rules in
 * precedence order (a list ends at its first rule without RV_FILT).
 * RV_DIRECT only in first-level digit tables: the entry is a value, not
 * a block offset.
 */
#define RV_RULE 0x1fffffffu
#define RV_NONE 0x1fffffffu
#define RV_FILT (1u << 29)
#define RV_LIST (1u << 30)
#define RV_LIST_OFF 0x3fffffffu
#define RV_DIRECT (1u << 31)
#define RULES_MAX_RULES (RV_NONE - 1)

/* A string in the plan's pool. */
struct rules_sref {
	uint32_t off;
	uint32_t len;
};

/* Kind of a rule's primary (indexed) condition, in rules_rule.prim. */
enum {
	PK_NONE = 0,
	PK_PREFIX = 1,
	PK_EXACT = 2,
	PK_REGEX = 3,
};

#define PRIM_MAKE(kind, field, arg) \
	((uint32_t)(kind) | (uint32_t)(field) << 2 | (uint32_t)(arg) << 4)
#define PRIM_KIND(p) ((p) & 3u)
#define PRIM_FIELD(p) (((p) >> 2) & 3u)
#define PRIM_ARG(p) ((p) >> 4) /* value length (prefix, exact) or regex number */

/*
 * 16 bytes: a record never straddles a cache line. The priority is not
 * here: rules are in precedence order, so priorities only grow along the
 * array and prio_runs[] holds where each new one starts.
 */
struct rules_rule {
	uint32_t line;
	uint32_t prog; /* index in progs[] */
	uint32_t filt; /* first condition in conds[] still to check; 0: none */
	uint32_t prim; /* PRIM_MAKE() */
};

/* Rules from `first` on (up to the next run) have priority `prio`. */
struct rules_prio_run {
	uint32_t first;
	uint32_t prio;
};

enum {
	OP_STRIP = 1,
	OP_ADD = 2,
	OP_SET = 3,
	OP_SUBST = 4,
};

struct rules_op {
	uint32_t type;
	uint32_t n;          /* strip: count; subst: index in pcres[] */
	struct rules_sref s; /* add, set: text; subst: replacement */
};

#define RULES_NO_Q UINT16_MAX
#define RULES_NO_EXPIRES UINT32_MAX

struct rules_contact {
	struct rules_sref uri; /* template */
	uint32_t expires;      /* RULES_NO_EXPIRES */
	uint16_t q;            /* thousandths, RULES_NO_Q */
	uint16_t pad;
};

/* What a rule does once it wins; shared by every rule that does the same. */
struct rules_prog {
	uint8_t action; /* enum rules_action */
	uint8_t n_ops;
	uint8_t n_contacts;
	uint8_t n_headers;
	uint16_t code;
	uint16_t pad;
	uint32_t group;    /* forward: index in groups[] */
	uint32_t ops;      /* first of n_ops in ops[] */
	uint32_t contacts; /* first of n_contacts in contacts[] */
	uint32_t headers;  /* first of n_headers in hdrs[] (templates) */
	struct rules_sref reason;
	struct rules_sref attrs;
};

enum {
	CT_PREFIX = 1,
	CT_EXACT = 2,
	CT_REGEX = 3,
	CT_LEN = 4,
	CT_SRC = 5,
	CT_METHOD = 6,
};

/* A condition checked after an index produced the rule as a candidate. */
struct rules_cond {
	uint8_t type;
	uint8_t field;
	uint8_t last; /* last condition of its rule */
	uint8_t pad;
	uint32_t n;   /* len: length; regex: regex number; src: number of cidrs */
	struct rules_sref s; /* prefix, exact: value; method: list; src: .off = first cidr */
};

struct rules_cidr {
	uint8_t af;
	uint8_t bits;
	uint8_t pad[2];
	uint8_t a[16];
};

/*
 * A regular-expression condition; its number is its Hyperscan id. A rule
 * indexed by the literal prefix of its regex checks that regex alone with
 * PCRE2 (pcre), not by scanning the field's whole database.
 */
struct rules_regex {
	struct rules_sref pat; /* NUL-terminated in the pool */
	uint32_t prim;         /* encoded rule when the scan finds its rule, RV_NONE otherwise */
	uint32_t pcre;         /* index in pcres[] for the single check, UINT32_MAX: none */
	uint32_t line;
	uint8_t field;
	uint8_t src; /* source index, for messages */
	uint8_t pad[2];
};

/* A pattern compiled with PCRE2: substitutions, single regex checks. */
struct rules_pcre {
	struct rules_sref pat; /* NUL-terminated */
	uint32_t caseless;     /* compiled with PCRE2_CASELESS (domain regexes) */
	uint32_t ncap;
};

/* Generic index entry: a prefix or exact value outside the digit alphabet. */
struct rules_gent {
	uint64_t key;
	struct rules_sref s;
	uint8_t field;
	uint8_t kind; /* PK_PREFIX or PK_EXACT */
	uint16_t pad;
	uint32_t value;
};

struct rules_gw {
	struct rules_sref host;
	uint16_t port;
	uint8_t transport;
	uint8_t pad;
};

/* A gateway host written as a canonical dotted quad ("192.0.2.1", not "192.0.2.01"). */
struct rules_gw_ipv4 {
	uint8_t a[4]; /* network order */
	bool ok;
};

struct rules_member {
	uint32_t gw;
	uint32_t weight;
};

struct rules_group {
	struct rules_sref name;
	uint32_t first; /* first of n in members[] */
	uint32_t n;
	uint32_t total; /* sum of weights */
	uint32_t pad;
};

/*
 * Digit index of one field (rules_dix.c): prefix and exact values over
 * "0-9+*#", up to 15 symbols, as ranges of 64-bit keys (16 nibbles, first
 * symbol most significant, 0 = end of string), flattened into sorted
 * boundaries with the winning candidate of each elementary range. A
 * first-level table indexed by the first `depth` symbols (mixed radix
 * over the symbols actually used at each position) leads to a small
 * sorted block, so a lookup touches one line of the table and one or
 * two lines of a block.
 */
#define DIX_POS 16
#define DIX_OTHER 14 /* nibble of a byte outside the alphabet */

struct rules_dix {
	uint32_t n_l1;    /* entries in the first level; 0: no index on this field */
	uint32_t depth;   /* symbols the first level looks at */
	uint64_t l1_off;  /* first entry in l1[] */
	uint64_t ar_off;  /* leaf offsets are relative to arena[ar_off] */
	uint64_t nd_off;  /* node numbers are relative to nodes[16 * nd_off] */
	uint64_t n_bound; /* boundaries (statistics) */
	uint32_t cmul[DIX_POS][16]; /* class of nibble at position, times the position's weight */
};

/*
 * Entries of the first level and of nodes (32 bits): RV_DIRECT | value;
 * DIX_E_NODE | node number (nodes[16 * number ...], one 64-byte line of
 * 16 child entries, one per value of the next nibble; children always
 * have higher numbers than their node); or a leaf offset in arena[]
 * (32-bit words), with DIX_E_SPAN when the leaf crosses a cache line (so
 * a prefetch asks for exactly the lines a lookup reads). Offsets and
 * numbers are relative to the field's ar_off and nd_off.
 * Leaf: w[0] = key count c (| DIX_WIDE), w[1] = entry value (the
 * candidate before the first key), then c keys and c values. Keys are the
 * 8 nibbles after the ones the leaf's keys share (32 bits, exact because
 * their later nibbles are zero), or whole 64-bit keys (two words, low
 * first) in a DIX_WIDE leaf. The candidate of x is the value of the last
 * key <= x.
 */
#define DIX_E_SPAN (1u << 30)
#define DIX_E_NODE (1u << 29)
#define DIX_E_OFF 0x1fffffffu

#define RULES_NAME_MAX 64
#define RULES_SOURCE_MAX 128

enum {
	TIEBREAK_SPECIFIC = 0,
	TIEBREAK_LINE = 1,
};

/* Everything of a plan that is not an array: serialized as is. */
struct rules_hdr {
	char name[RULES_NAME_MAX];
	char source[RULES_SOURCE_MAX];
	uint64_t version;
	uint8_t sha256[32];
	uint32_t n_prefix;
	uint32_t n_other;
	uint32_t tiebreak;
	uint32_t fields_dix;               /* fields with a digit index */
	uint32_t fields_gen;               /* fields with generic entries */
	uint32_t fields_re;                /* fields with regular expressions */
	uint32_t re_min[RULES_F__COUNT];   /* best rule among a field's regex-indexed rules */
	uint32_t re_filters[RULES_F__COUNT]; /* regexes of the field used as filters */
	uint64_t gen_plen[RULES_F__COUNT]; /* generic prefix lengths: bit L-1 */
	uint32_t gen_exact[RULES_F__COUNT];
	uint32_t gtab_mask;                /* generic hash table size - 1 */
	uint32_t pad;
	uint64_t hs_off[RULES_F__COUNT];   /* each field's serialized database in hsdb[] */
	uint64_t hs_len[RULES_F__COUNT];
	struct rules_dix dix[RULES_F__COUNT];
};

/* The arrays: name, element type. Order is the blob's section order. */
#define RULES_SECTIONS(X) \
	X(rules, struct rules_rule) \
	X(prio_runs, struct rules_prio_run) \
	X(progs, struct rules_prog) \
	X(ops, struct rules_op) \
	X(contacts, struct rules_contact) \
	X(hdrs, struct rules_sref) \
	X(conds, struct rules_cond) \
	X(cidrs, struct rules_cidr) \
	X(regex, struct rules_regex) \
	X(pcres, struct rules_pcre) \
	X(lists, uint32_t) \
	X(unidx, uint32_t) \
	X(gents, struct rules_gent) \
	X(gtab, uint32_t) \
	X(l1, uint32_t) \
	X(arena, uint32_t) \
	X(nodes, uint32_t) \
	X(gws, struct rules_gw) \
	X(members, struct rules_member) \
	X(groups, struct rules_group) \
	X(pool, char) \
	X(hsdb, char)

struct rules_tseg;

struct rules_plan {
	struct rules_hdr h;
#define RULES_SEC_FIELD(name, type) type *name; uint64_t n_##name;
	RULES_SECTIONS(RULES_SEC_FIELD)
#undef RULES_SEC_FIELD
	/* Built from the arrays at compile or load time; not serialized. */
	hs_database_t *hs[RULES_F__COUNT];
	pcre2_code **pcre;
	struct rules_digits *digits; /* per pcres[]: answered without PCRE2 when .ok */
	hs_scratch_t *hs_proto;   /* prototype every scratch clones */
	size_t mem_bytes;
	bool pipeline;            /* index tables past cache size: bursts prefetch ahead */
	uint32_t fields_read;     /* RULES_F_* bits any condition or template may read */
	struct rules_gw_ipv4 *gw_ipv4; /* per gws[]: the host as an IPv4 address, if it is one */
	/* Contact and header templates cut at their variables (rules_tmpl.h). */
	char *tpool;
	struct rules_tseg *tsegs;
	uint32_t *tmpl_ct;  /* per contacts[]: its first segment */
	uint32_t *tmpl_hdr; /* per hdrs[]: its first segment */
	size_t tmpl_bytes;
};

/* What explain wants to know about a lookup (rules_explain.c). */
struct rules_trace {
	unsigned n_cands;
	struct {
		uint32_t rule;
		uint32_t failed; /* first condition (index in conds[]) that failed, 0: none */
	} cand[RULES_EXPLAIN_CANDS];
	unsigned n_steps;
	struct rules_explain_step *step; /* RULES_EXPLAIN_STEPS of them */
};

/*
 * Per-thread working memory. Regex matches are recorded by stamping:
 * stamp[i] == gen means regex i matched in the current lookup, so nothing
 * is cleared between lookups.
 */
struct rules_scratch {
	const struct rules_plan *plan;
	hs_scratch_t *hs;
	pcre2_match_data *md;
	uint32_t gen;
	uint32_t *stamp;    /* per regex */
	uint32_t *cand;     /* regex-indexed candidates found by the scans */
	uint32_t n_cand;
	uint32_t cand_start[RULES_F__COUNT];
	uint32_t cand_end[RULES_F__COUNT];
	uint32_t scanned;   /* fields scanned in this lookup */
	uint32_t best_hint; /* best rule so far, for the scan callback's pruning */
	int scan_err;
	bool dom_ready;
	struct rules_view dom; /* lower-cased domain */
	char dom_lc[256];
	char val[2][RULES_VALUE_MAX];
};

/*
 * The matcher with tracing (explain): no pruning, every candidate and
 * every transformation step recorded in tr.
 */
RULES_INTERNAL int rules_match_trace(const struct rules_plan *p, struct rules_scratch *s,
		const struct rules_query *q, const uint64_t *gw_down, struct rules_result *r,
		char *buf, size_t cap, struct rules_trace *tr);

/* Priority of rule r (a search over the runs: few, and in cache). */
static inline uint32_t
rules_prio(const struct rules_plan *p, uint32_t r)
{
	const struct rules_prio_run *run = p->prio_runs;
	uint64_t lo = 0, n = p->n_prio_runs;

	while (n > 1) {
		uint64_t half = n / 2;
		if (run[lo + half].first <= r)
			lo += half;
		n -= half;
	}
	return n == 0 ? 0 : run[lo].prio;
}

static inline const char *
rules_str(const struct rules_plan *p, struct rules_sref s)
{
	return p->pool + s.off;
}

static inline struct rules_view
rules_sview(const struct rules_plan *p, struct rules_sref s)
{
	return (struct rules_view){p->pool + s.off, s.len};
}

/* Byte -> digit-index symbol nibble (rules_dix.c). */
RULES_INTERNAL extern const uint8_t rules_dix_code[256];

/*
 * Template variable at p[0] == '$': its number (TV_*), with *used set to
 * the bytes it takes; -1 if malformed (rules_match.c).
 */
enum {
	TV_USER = 0,   /* the rewritten user */
	TV_RUSER = 1,  /* the Request-URI user as received */
	TV_DOMAIN = 2,
	TV_FROM = 3,
	TV_TO = 4,
	TV_DOLLAR = 5, /* "$$" */
};

RULES_INTERNAL int rules_tmpl_var(const char *p, size_t n, size_t *used);

/* Recompute a blob's checksum after editing it in place (tests of the loader's checks). */
RULES_INTERNAL int rules_blob_reseal(void *blob, size_t len);

/* Plan internals used across files. */
RULES_INTERNAL int rules_plan_prepare(struct rules_plan *p, char *err, size_t errlen);
RULES_INTERNAL size_t rules_plan_mem(const struct rules_plan *p);

#endif
