/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_SPAN_VARIANTS_H
#define TEST_SPAN_VARIANTS_H

/*
 * sip_span.h and sip_lex.h compiled once per ISA (span_variants.c, built three times with
 * its own flags whatever -Dmarch the tree has), so the test runs every
 * vector path and the scalar one on any build.
 */

typedef const char *(*span_fn)(const char *p, const char *end);

struct span_variant {
	const char *name;  /* scalar, ssse3, avx2 */
	const char *isa;   /* what the compiler was given: "avx2", "ssse3" or "none" */
	/* Indexed by enum sip_span_set. */
	span_fn span[SIP_SPAN_N];
	span_fn escaped[SIP_SPAN_N];
	/* lex_find_or_ctl(p, end, '>') (SSE2 in every variant but the tail under 8 bytes). */
	span_fn find_gt_or_ctl;
	/* lex_find(p, end, '>'). */
	span_fn find_gt;
	/* lex_count(p, end, '>'). */
	unsigned (*count_gt)(const char *p, const char *end);
	/* lex_uint_span(p, end, 65535, &v): the end, with v, or NULL. */
	const char *(*uint_span)(const char *p, const char *end, uint64_t *v);
};

extern const struct span_variant span_variant_scalar;
extern const struct span_variant span_variant_ssse3;
extern const struct span_variant span_variant_avx2;

#endif
