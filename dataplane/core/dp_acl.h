/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_ACL_H
#define DP_ACL_H

/*
 * Peer access lists (docs/security.md "Peer ACLs"): which sources may have
 * requests routed, and which may also REGISTER. A text file, one entry per
 * line:
 *
 *   default allow|deny [403|drop]      sources no entry covers (allow)
 *   allow PREFIX [port N] [register]   requests routed; with `register`, also REGISTER
 *   deny PREFIX [port N] [403|drop]    refused: 403 Forbidden (default) or silence
 *
 * PREFIX is an IPv4 or IPv6 network (192.0.2.0/24, 2001:db8::/32, a bare
 * address is a host). The longest prefix covering the source wins; among
 * entries of that prefix, one naming the source port beats one without a
 * port; if neither applies (only other ports are named), the next longest
 * prefix decides. Responses are never filtered (our Via signature decides
 * who may send them), and neither are ACKs the router absorbs.
 *
 * This half has no DPDK: it parses the file and builds the groups (one per
 * distinct prefix, each with its ports and the next covering group); the
 * dataplane indexes the groups with DPDK's rte_lpm/rte_lpm6
 * (dataplane/dp_acl.c). dp_acl_lookup_ref() is the same decision by a
 * linear scan: the specification the LPM path is tested against.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_addr.h"

enum dp_acl_verdict {
	DP_ACL_ALLOW = 0,     /* requests routed; REGISTER refused (403) */
	DP_ACL_REGISTER,      /* requests routed and REGISTER allowed */
	DP_ACL_DENY_403,
	DP_ACL_DENY_DROP,
};

#define DP_ACL_MAX_ENTRIES 1000000u
#define DP_ACL_NO_GROUP UINT32_MAX

struct dp_acl_port {
	uint16_t port;
	uint8_t verdict;
	uint32_t line;        /* of its entry (acl.test, messages) */
};

/* All entries of one prefix. */
struct dp_acl_group {
	struct sip_addr net;
	uint8_t plen;
	bool has_any;         /* an entry without a port */
	uint8_t any_verdict;
	uint32_t first_port;  /* into dp_acl.ports */
	uint32_t n_ports;
	uint32_t parent;      /* the longest group covering this one, or DP_ACL_NO_GROUP */
	uint32_t line;        /* of its first entry (for messages) */
	uint32_t any_line;    /* of the entry without a port (has_any) */
};

/* A run of groups of one family and prefix length (groups are sorted by family, length, net). */
struct dp_acl_run {
	uint8_t af;
	uint8_t plen;
	uint32_t first, n;
};

struct dp_acl {
	uint8_t dflt;            /* verdict for sources no entry covers */
	uint32_t dflt_line;      /* line of the `default` statement; 0: implicit (allow) */
	uint32_t n_groups;
	struct dp_acl_group *groups;
	uint32_t n_runs;         /* longest prefix first within a family */
	struct dp_acl_run *runs;
	uint32_t n_ports;
	struct dp_acl_port *ports;
	uint32_t n_entries;
};

/* Errors of one parse: the first DP_ACL_MAX_ERRORS messages kept, total counts all. */
#define DP_ACL_MAX_ERRORS 32u
#define DP_ACL_ERROR_LEN 200u

struct dp_acl_errors {
	unsigned n;       /* messages in msg */
	unsigned total;   /* errors found (may exceed n) */
	char msg[DP_ACL_MAX_ERRORS][DP_ACL_ERROR_LEN]; /* "name:line: what" */
};

/*
 * Parse text (len bytes; name for messages). 0 with *acl filled, or -1
 * with errs holding every error found (each line is checked; nothing is
 * kept from a text with an error). errs may be NULL.
 */
int dp_acl_parse_all(const char *text, size_t len, const char *name, struct dp_acl *acl,
		struct dp_acl_errors *errs);
/* The same with the first error only, in err ("name:line: what"). */
int dp_acl_parse(const char *text, size_t len, const char *name, struct dp_acl *acl, char *err,
		size_t errlen);
/* A file's text (malloc()ed, at most 64 MiB; *len set), or NULL with err. */
char *dp_acl_read(const char *path, size_t *len, char *err, size_t errlen);
/* Read and parse a file. */
int dp_acl_load(const char *path, struct dp_acl *acl, char *err, size_t errlen);
void dp_acl_clear(struct dp_acl *acl);

/* The verdict of group g (DP_ACL_NO_GROUP: the default) for source port sport, walking up. */
uint8_t dp_acl_group_verdict(const struct dp_acl *acl, uint32_t g, uint16_t sport);

/* The longest group covering a, by a linear scan (DP_ACL_NO_GROUP: none). */
uint32_t dp_acl_find_ref(const struct dp_acl *acl, const struct sip_addr *a);

static inline uint8_t
dp_acl_lookup_ref(const struct dp_acl *acl, const struct sip_addr *a, uint16_t sport)
{
	return dp_acl_group_verdict(acl, dp_acl_find_ref(acl, a), sport);
}

/*
 * The same without DPDK in O(lengths x log n): a binary search per prefix
 * length present, longest first (the control plane's relay uses it).
 */
uint32_t dp_acl_find(const struct dp_acl *acl, const struct sip_addr *a);

static inline uint8_t
dp_acl_lookup(const struct dp_acl *acl, const struct sip_addr *a, uint16_t sport)
{
	return dp_acl_group_verdict(acl, dp_acl_find(acl, a), sport);
}

/*
 * dp_acl_lookup() saying which entry decided: *line is its line in the
 * text, or dflt_line when no entry applies (0: the implicit default).
 */
uint8_t dp_acl_explain(const struct dp_acl *acl, const struct sip_addr *a, uint16_t sport,
		uint32_t *line);

/* Does a verdict let a request through (is_register: a REGISTER)? */
static inline bool
dp_acl_permits(uint8_t v, bool is_register)
{
	return v == DP_ACL_REGISTER || (v == DP_ACL_ALLOW && !is_register);
}

const char *dp_acl_verdict_name(uint8_t v);

/*
 * Hex SHA-256 of an ACL text (out: 64 digits and a NUL; "" if libcrypto
 * fails). The control plane and the dataplane both report it, and compare
 * them: one function, so the two always agree.
 */
void dp_acl_sha256(const char *text, size_t len, char out[65]);

#endif
