/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_SCANNER_IMPL_H
#define DP_SCANNER_IMPL_H

/*
 * Inside the scanner (dp_scanner.c, dp_scanner_pf*.c and their tests): the
 * prefilter that spares Hyperscan's fixed per-call cost on the values that
 * cannot match (nearly all of them), and the exact path behind it.
 *
 * The prefilter is Teddy-like (Hyperscan's own small-literal matcher): each
 * signature contributes one window of up to DP_SCANNER_PF_W bytes, the
 * rarest-looking one (not the prefix: "sip" starts five of the defaults and
 * every From), and sits in one of 8 buckets. Per window byte j, a bucket bit
 * is set for a byte's low nibble and for its high nibble, for both ASCII
 * cases of the signature's byte (they share the low nibble, so folding adds
 * no other byte). A value start i is a candidate when
 *
 *   AND over j of byte[j][value[i + j]] != 0,  bytes past the end read as NUL,
 *
 * and a value is a candidate when one of its starts is. Every value holding
 * a signature (any case) is a candidate: an exact superset. Candidates that
 * hold none (bucket mates, nibble cross products) only cost the exact scan.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_scanner.h"

#define DP_SCANNER_PF_W 3 /* window bytes per signature */
#define DP_SCANNER_PF_BUCKETS 8

struct dp_scanner_pf {
	/* Bucket bits by low nibble (lo) and high nibble (hi), per window byte. */
	uint8_t lo[DP_SCANNER_PF_W][16];
	uint8_t hi[DP_SCANNER_PF_W][16];
	/* lo & hi for every byte: the scalar variant's tables. */
	uint8_t byte[DP_SCANNER_PF_W][256];
	/* Some start within W - 1 bytes of the end can be a candidate (NUL accepted). */
	bool tail;
};

/* Fill f from n valid signatures (checked by dp_scanner_build()). */
void dp_scanner_pf_build(struct dp_scanner_pf *f, const struct dp_scanner_pat *pats,
		unsigned n);

/* Whether start i (< len) of u[0..len) is a candidate: the definition above. */
static inline bool
dp_scanner_pf_at(const struct dp_scanner_pf *f, const uint8_t *u, size_t len, size_t i)
{
	unsigned m = f->byte[0][u[i]];

	for (size_t j = 1; j < DP_SCANNER_PF_W && m != 0; j++)
		m &= f->byte[j][i + j < len ? u[i + j] : 0];
	return m != 0;
}

/*
 * Whether p[0..len) holds a candidate. Every variant answers exactly what
 * the scalar one (the specification) answers, and reads only p[0..len).
 */
bool dp_scanner_pf_scalar(const struct dp_scanner_pf *f, const char *p, size_t len);
bool dp_scanner_pf_avx2(const struct dp_scanner_pf *f, const char *p, size_t len);

/* The variant in use, chosen before main() from the CPU. */
extern bool (*dp_scanner_pf)(const struct dp_scanner_pf *f, const char *p, size_t len);

/* The variant in use ("avx2", "scalar"), and a way to force one (tests): 0 or -1. */
const char *dp_scanner_pf_variant(void);
int dp_scanner_pf_use(const char *name);

/* The filter of a built scanner (tests). */
const struct dp_scanner_pf *dp_scanner_filter(const struct dp_scanner *s);

/*
 * dp_scanner_match_msg() and dp_scanner_match_raw() without the prefilter:
 * what they fall back to on a candidate, and their oracle in the tests.
 */
bool dp_scanner_match_msg_exact(const struct dp_scanner *s, struct dp_scanner_scratch *sc,
		const struct sip_msg *m);
bool dp_scanner_match_raw_exact(const struct dp_scanner *s, struct dp_scanner_scratch *sc,
		const char *p, size_t len);

#endif
