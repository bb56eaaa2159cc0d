/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_SIP_EXERCISE_H
#define TEST_SIP_EXERCISE_H

/*
 * Run every part of libsip over one input and check the invariants that
 * must hold for ANY input, valid or not:
 *  - sip_parse() returns a length consistent with its framing, or a known
 *    error; the header index is well formed; stream and datagram framing
 *    agree; every view points inside the input;
 *  - strict validation never accepts what the default validation refuses;
 *    the status of a verdict is the one of its error;
 *  - every structured parser (Via, name-addr, URI, parameters, scalars,
 *    addresses) runs on every header it applies to without leaving bounds;
 *  - on a message that validates, every builder succeeds, its output
 *    re-parses and validates and carries what it must, building is
 *    deterministic, and a too small output buffer gives -SIP_E_NOSPACE.
 * Shared by the unit tests (corpus, mutations) and the libFuzzer targets,
 * so both check exactly the same things.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guard_buf;

struct sip_exercise_opts {
	uint64_t secret;          /* seed of the signing key (branches, To-tags) */
	bool scanners;            /* compare every supported scanner with the scalar one */
	bool nospace;             /* builders: also try output buffers that are too small */
	struct guard_buf *out;    /* fenced output buffer (>= 72 KiB), or NULL to malloc */
};

struct sip_exercise_result {
	int parse_rc;     /* sip_parse() of the input as a datagram */
	int strict_err;   /* sip_validate(SIP_VAL_STRICT) */
	int proxy_err;    /* sip_proxy_check(), requests that validate; else 0 */
	unsigned builds;  /* builder outputs produced and checked */
	char why[400];    /* the invariant that broke, when sip_exercise() returns -1 */
};

/* 0 if every invariant held, -1 with r->why set otherwise. */
int sip_exercise(const char *buf, size_t len, const struct sip_exercise_opts *o,
		struct sip_exercise_result *r);

/*
 * Compare scanner sc with sip_scan_scalar() on buf[start..len) with room
 * for cap lines: return value, every line record and *body. 0 if equal,
 * -1 with why[0..why_len) describing the first difference.
 */
struct sip_scanner;
int sip_scan_compare(const struct sip_scanner *sc, const char *buf, uint32_t start, uint32_t len,
		unsigned cap, char *why, size_t why_len);

/*
 * sip_parse() of buf[0..len) with scanner sc against the scalar scanner:
 * return value and every member of struct sip_msg. Restores the active
 * scanner. 0 if equal, -1 with why set.
 */
int sip_parse_compare(const struct sip_scanner *sc, const char *buf, size_t len, char *why,
		size_t why_len);

/*
 * The Via fast path against the full parser on one value at p (up to end):
 * where sip_via_parse_fast() takes the value, every field and the cursor
 * must be the full parser's. 0 if they agree (*engaged: the fast path took
 * it), -1 with why set.
 */
int sip_via_fast_compare(const char *p, const char *end, bool *engaged, char *why,
		size_t why_len);

/* The same for the name-addr fast path, with sip_naddr_parse()'s flags. */
int sip_naddr_fast_compare(const char *p, const char *end, unsigned flags, bool *engaged,
		char *why, size_t why_len);

/* The same for the URI fast path on the URI p[0..len) (sip_uri_parse()'s arguments). */
int sip_uri_fast_compare(const char *p, size_t len, bool *engaged, char *why, size_t why_len);

#endif
