/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_SCANNER_H
#define DP_SCANNER_H

/*
 * Scanner signatures: case-insensitive substrings of User-Agent, From or To
 * (friendly-scanner, sipvicious...), compiled once into one Hyperscan
 * literal database at start-up. A message that carries one is dropped
 * without any reply (dp_sip_begin(), right after parsing, before anything
 * can answer). The database is read-only and shared; each worker scans
 * with its own scratch (never shared). Matching never allocates. A
 * prefilter built from the same signatures (dp_scanner_impl.h) keeps the
 * values that cannot hold one, nearly all of them, away from Hyperscan.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_msg.h"

/* Headers a signature applies to (a bit mask). */
enum {
	DP_SCAN_UA = 1u << 0,   /* User-Agent */
	DP_SCAN_FROM = 1u << 1, /* From (f) */
	DP_SCAN_TO = 1u << 2,   /* To (t) */
	DP_SCAN_ALL = DP_SCAN_UA | DP_SCAN_FROM | DP_SCAN_TO,
};

#define DP_SCANNER_MAX_PATS 64
#define DP_SCANNER_PAT_LEN 128

struct dp_scanner_pat {
	const char *text;  /* a literal, matched anywhere in the value, any case */
	unsigned hdrs;     /* DP_SCAN_* */
};

/* The built-in list (docs/security.md), for every header. */
extern const struct dp_scanner_pat dp_scanner_defaults[];
extern const unsigned dp_scanner_n_defaults;

struct dp_scanner;
struct dp_scanner_scratch;

/*
 * Compile n signatures (1..DP_SCANNER_MAX_PATS, non-empty, shorter than
 * DP_SCANNER_PAT_LEN). NULL on failure, with the offending pattern and
 * Hyperscan's reason in err.
 */
struct dp_scanner *dp_scanner_build(const struct dp_scanner_pat *pats, unsigned n, char *err,
		size_t errlen);
void dp_scanner_free(struct dp_scanner *s);
unsigned dp_scanner_count(const struct dp_scanner *s);

/* A scratch for one thread (allocated at start-up). NULL on failure. */
struct dp_scanner_scratch *dp_scanner_scratch_new(const struct dp_scanner *s);
void dp_scanner_scratch_free(struct dp_scanner_scratch *sc);

/*
 * Whether a parsed message (its header index usable: SIP_MSG_HDRS_OK)
 * carries a signature in a header the signature applies to; every
 * instance of User-Agent, From and To is looked at.
 */
bool dp_scanner_match_msg(const struct dp_scanner *s, struct dp_scanner_scratch *sc,
		const struct sip_msg *m);

/*
 * Whether raw bytes hold any signature (whatever header it applies to):
 * for messages too broken to index, where we cannot tell headers apart.
 */
bool dp_scanner_match_raw(const struct dp_scanner *s, struct dp_scanner_scratch *sc,
		const char *p, size_t len);

#endif
