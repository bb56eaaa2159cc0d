/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_BUILD_H
#define RULES_BUILD_H

/*
 * The compiler: rules_parse.c turns lines into drafts (syntax), the
 * builder checks their meaning (rules_check.c), interns what rules share
 * (rules_bld.c) and, once every line is in, sorts rules by precedence
 * and builds the indexes (rules_index.c, rules_finish.c). The Kamailio
 * importer feeds the same builder. Regex literal prefixes: rules_relit.c.
 */

#include <stdbool.h>
#include <stdint.h>

#include "rules_impl.h"
#include "rules_util.h"

#define DRAFT_CONDS 16
#define DRAFT_OPS 8
#define DRAFT_HEADERS 8
#define DRAFT_CIDRS 32
/* Longest value of a prefix, exact, add or set clause. */
#define VALUE_MAX 255

struct draft_cond {
	uint8_t type;  /* CT_* */
	uint8_t field;
	uint16_t pad;
	uint32_t n;    /* len */
	struct rules_view v;
	uint32_t cidr_first, cidr_n; /* into draft.cidr */
};

struct draft_op {
	uint32_t type;     /* OP_* */
	uint32_t n;        /* strip count */
	struct rules_view s;   /* text or replacement */
	struct rules_view pat; /* subst pattern; {NULL,0} for repl (the rule's own regex) */
	bool own;          /* repl: use the rule's user regex */
};

struct draft_contact {
	struct rules_view uri;
	uint32_t expires;
	uint16_t q;
};

/* One parsed rule line, views into the line buffer. */
struct draft {
	uint32_t line;
	uint32_t ordinal;
	uint32_t prio;
	unsigned n_conds;
	struct draft_cond cond[DRAFT_CONDS];
	unsigned n_ops;
	struct draft_op op[DRAFT_OPS];
	uint8_t action;
	uint16_t code;
	struct rules_view reason;
	struct rules_view group;
	unsigned n_contacts;
	struct draft_contact contact[RULES_MAX_CONTACTS];
	unsigned n_headers;
	struct rules_view header[DRAFT_HEADERS];
	struct rules_view attrs;
	unsigned n_cidr;
	struct rules_cidr cidr[DRAFT_CIDRS];
};

/* Open-addressing table of indexes keyed by 64-bit hashes; equality is the caller's. */
struct htab {
	uint32_t *slot; /* index + 1; 0 = empty */
	uint64_t *hash;
	size_t mask;
	size_t n;
};

struct bld_group {
	struct rules_sref name;
	uint32_t line;
	uint32_t src_idx;
	struct vec members; /* struct rules_member */
};

/* A generic-index value waiting for its rule's precedence. */
struct gval {
	struct rules_sref s;
	uint8_t field;
	uint8_t kind;
};

/* Where a program was first used, for messages about it. */
struct prog_site {
	uint32_t src_idx;
	uint32_t line;
	uint32_t ordinal;
	uint32_t prio;
};

/* A rule until precedence is known (32 bytes: millions of them are held at once). */
struct trule {
	uint64_t key;  /* digit index: value key; generic: index in gvals */
	uint32_t prio;
	uint32_t line;
	uint32_t prog;
	uint32_t filt;
	uint32_t prim;
	uint16_t spec; /* 2 * length of the longest prefix/exact value, + 1 if exact */
	uint8_t ix;    /* IX_* */
	uint8_t flags; /* TR_* */
};

enum {
	IX_NONE = 0,
	IX_DIGIT = 1,
	IX_GEN = 2,
	IX_REGEX = 3,
	IX_RELIT = 4, /* a regex indexed by the literal prefixes its matches start with */
};

/* Literal prefixes of a regex rule (IX_RELIT): relit_strs[first..first+n). */
struct relit {
	uint32_t first;
	uint32_t n;
	uint8_t field;
};

/* Most literal prefixes one regex is indexed under, and their longest length. */
#define RELIT_MAX 16
#define RELIT_LEN 63

#define TR_FILTERED 1u
#define TR_SRC1 2u /* from the second source (an import's table after its preamble) */

struct bld {
	const char *source; /* name of the current source, for messages */
	unsigned src_idx;
	char plan_source[RULES_SOURCE_MAX];
	char src_name[2][RULES_SOURCE_MAX]; /* by source index */
	struct rules_compile_opts opts;
	struct errlist errs;
	void *sha; /* EVP_MD_CTX */
	bool oom;
	uint32_t n_rule_lines;

	char name[RULES_NAME_MAX];
	bool have_name;
	uint64_t version;
	uint32_t tiebreak;
	bool tiebreak_line_seen;

	struct vec pool;
	struct vec progs;
	struct vec ops;
	struct vec contacts;
	struct vec hdrs;
	struct vec conds;
	struct vec cidrs;
	struct vec regex;
	struct vec pcres;
	struct vec pcre_codes; /* pcre2_code *, parallel to pcres */
	struct vec gws;
	struct vec groups;     /* struct bld_group */
	struct vec trules;
	struct vec gvals;
	struct vec relits;     /* struct relit */
	struct vec relit_strs; /* struct rules_sref */

	struct htab strtab;
	struct htab progtab;
	struct htab gwtab;
	struct htab grouptab;
	struct htab pcretab;
	struct vec progkey;    /* uint32_t: canonical encodings of programs */
	struct vec progkey_off; /* uint64_t: start of each program's encoding */
	struct vec prog_group; /* struct rules_sref: group name of a forward program */
	struct vec prog_line;  /* struct prog_site: the first rule using the program */
};

/* A builder for a plan named after source. NULL on allocation failure. */
RULES_INTERNAL struct bld *bld_new(const char *source, const struct rules_compile_opts *opts);
RULES_INTERNAL void bld_free(struct bld *b);
/* Switch the source named in messages (an import's preamble is 0, its table 1). */
RULES_INTERNAL void bld_set_source(struct bld *b, const char *source, unsigned src_idx);
/* Add bytes to the plan's checksum. */
RULES_INTERNAL void bld_digest(struct bld *b, const void *p, size_t n);
/* Record an error at line of the current source. */
RULES_INTERNAL void bld_error(struct bld *b, uint32_t line, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

/* Parse one line (rules_parse.c). The line is writable (quotes are undone in place). */
RULES_INTERNAL void bld_line(struct bld *b, char *line, size_t len, uint32_t lineno);
/* Feed text line by line: digests it and calls bld_line(). */
RULES_INTERNAL void bld_feed_text(struct bld *b, const char *text, size_t len);
/* Feed a file, streaming. 0 or -errno (reported in the builder's errors). */
RULES_INTERNAL int bld_feed_file(struct bld *b, const char *path);

/* Directives and lines, called by the parser. */
RULES_INTERNAL void bld_set_name(struct bld *b, struct rules_view name, uint32_t line);
RULES_INTERNAL void bld_set_version(struct bld *b, uint64_t version);
RULES_INTERNAL void bld_set_tiebreak(struct bld *b, uint32_t tiebreak, uint32_t line);
RULES_INTERNAL void bld_add_gateway(struct bld *b, struct rules_view group, struct rules_view host,
		uint16_t port, uint8_t transport, uint32_t weight, uint32_t line);
RULES_INTERNAL void bld_add_rule(struct bld *b, struct draft *d);

/* Validate everything, build the plan and free the builder. NULL on any error. */
RULES_INTERNAL struct rules_plan *bld_finish(struct bld *b, struct rules_errors *errs);

/* Hyperscan flags of a regex on field. */
RULES_INTERNAL unsigned rules_hs_flags(unsigned field);

/*
 * Literal strings every match of regex pat[0..n) starts with, when it is
 * anchored (^) and begins with literal characters and/or groups of
 * literal alternatives: "^(00|\\+)49[0-9]+" gives "0049" and "+49". Up to
 * max strings of at most RELIT_LEN bytes into lit; returns how many, or
 * 0 when the regex can start anywhere or with anything (not indexable).
 */
RULES_INTERNAL unsigned rules_regex_literals(const char *pat, size_t n, char lit[][RELIT_LEN + 1],
		unsigned max);

#endif
