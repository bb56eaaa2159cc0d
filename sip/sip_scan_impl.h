/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_SCAN_IMPL_H
#define SIP_SCAN_IMPL_H

/*
 * The part every SIMD variant shares: given, for a 64-byte block, one bit
 * per byte that is LF and one per byte that is ':', emit lines in order.
 * Included by each variant's file; never by users of sip/.
 */

#include <string.h>

#include "sip_err.h"
#include "sip_scan.h"

#define SCAN_BLOCK 64

struct scan_state {
	const char *buf;
	struct sip_line *lines;
	unsigned n;
	unsigned cap;
	uint32_t line_start;
	uint32_t colon;
};

/*
 * Consume one block's masks; base is the offset of the block's first byte.
 * Returns 1 when the empty line was found (*body set), 0 to go on, or a
 * negative error.
 */
static inline int
scan_masks(struct scan_state *s, uint64_t lf, uint64_t co, uint32_t base, uint32_t *body)
{
	while (lf) {
		unsigned t = (unsigned)__builtin_ctzll(lf);
		uint32_t pos = base + t;
		uint32_t ls = s->line_start;

		if (s->colon == SIP_SCAN_NO_COLON) {
			uint64_t before = co & ((1ull << t) - 1);
			if (before)
				s->colon = base + (uint32_t)__builtin_ctzll(before);
		}
		/* pos >= ls: one compare for "nothing" or "one byte" before the LF. */
		if (pos - ls <= 1 && (pos == ls || s->buf[ls] == '\r')) {
			*body = pos + 1;
			return 1;
		}
		if (s->n == s->cap)
			return -SIP_E_TOO_MANY_HDRS;
		s->lines[s->n++] = (struct sip_line){
			.start = (uint16_t)ls, .colon = (uint16_t)s->colon, .lf = (uint16_t)pos};
		s->line_start = pos + 1;
		s->colon = SIP_SCAN_NO_COLON;
		co &= ~(lf ^ (lf - 1)); /* drop colons at or before this LF (~blsmsk) */
		lf &= lf - 1;
	}
	if (s->colon == SIP_SCAN_NO_COLON && co)
		s->colon = base + (uint32_t)__builtin_ctzll(co);
	return 0;
}

/*
 * Run masks_fn over buf[start..len) in 64-byte blocks. The last partial
 * block is copied into a zeroed local block so no load crosses len.
 */
#define SCAN_DRIVER(masks_fn)                                                              \
	struct scan_state s = {.buf = buf, .lines = lines, .cap = cap,                     \
		.line_start = start, .colon = SIP_SCAN_NO_COLON};                          \
	uint32_t off = start;                                                              \
	int rc;                                                                            \
	for (; off + SCAN_BLOCK <= len; off += SCAN_BLOCK) {                               \
		uint64_t lf, co;                                                           \
		masks_fn(buf + off, &lf, &co);                                             \
		rc = scan_masks(&s, lf, co, off, body);                                    \
		if (rc)                                                                    \
			return rc < 0 ? rc : (int)s.n;                                     \
	}                                                                                  \
	if (off < len) {                                                                   \
		char tail[SCAN_BLOCK] __attribute__((aligned(64))) = {0};                  \
		uint64_t lf, co;                                                           \
		memcpy(tail, buf + off, len - off);                                        \
		masks_fn(tail, &lf, &co);                                                  \
		rc = scan_masks(&s, lf, co, off, body);                                    \
		if (rc)                                                                    \
			return rc < 0 ? rc : (int)s.n;                                     \
	}                                                                                  \
	*body = 0;                                                                         \
	return (int)s.n;

#endif
