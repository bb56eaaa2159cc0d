/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_STR_H
#define SIP_STR_H

/*
 * Views into a caller's buffer. Nothing in sip/ copies message bytes except
 * the builders, which write into a buffer the caller provides.
 * Views are never NUL-terminated: message bytes may contain NULs (RFC 4475
 * intmeth) and must never be treated as C strings.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sip_str {
	const char *p;
	uint32_t len;
};

#define SIP_STR_NULL ((struct sip_str){NULL, 0})
/* A view of a string literal. */
#define SIP_STR_LIT(s) ((struct sip_str){(s), sizeof(s) - 1})

static inline struct sip_str
sip_str_make(const char *p, size_t len)
{
	return (struct sip_str){p, (uint32_t)len};
}

static inline struct sip_str
sip_str_span(const char *p, const char *end)
{
	return (struct sip_str){p, (uint32_t)(end - p)};
}

/*
 * Whether a[0..n) equals b[0..n): up to 16 bytes in at most four loads
 * each, overlapping, never outside [a, a+n) or [b, b+n); longer spans go
 * to memcmp(). Tokens (methods, CSeq methods, literals) are short, and the
 * libc call costs more than the compare.
 */
static inline bool
sip_bytes_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	if (n > 16)
		return memcmp(a, b, n) == 0;
	if (n >= 8) {
		uint64_t x0, y0, x1, y1;
		memcpy(&x0, x, 8);
		memcpy(&y0, y, 8);
		memcpy(&x1, x + n - 8, 8);
		memcpy(&y1, y + n - 8, 8);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	if (n >= 4) {
		uint32_t x0, y0, x1, y1;
		memcpy(&x0, x, 4);
		memcpy(&y0, y, 4);
		memcpy(&x1, x + n - 4, 4);
		memcpy(&y1, y + n - 4, 4);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	if (n == 0)
		return true;
	/* 1..3 bytes: indexes 0, n/2 and n-1 cover them all. */
	return x[0] == y[0] && x[n / 2] == y[n / 2] && x[n - 1] == y[n - 1];
}

static inline bool
sip_str_eq(struct sip_str a, struct sip_str b)
{
	return a.len == b.len && sip_bytes_eq(a.p, b.p, a.len);
}

static inline bool
sip_str_eq_lit(struct sip_str a, const char *lit, size_t len)
{
	return a.len == len && sip_bytes_eq(a.p, lit, len);
}

/*
 * ASCII case-insensitive equality (SIP tokens, header names, schemes).
 * Inline: most calls compare against a short literal and fail on length.
 */
static inline bool
sip_str_caseeq(struct sip_str a, const char *b, size_t blen)
{
	if (a.len != blen)
		return false;
	for (size_t i = 0; i < blen; i++) {
		unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b[i];
		if (x != y && ((x | 0x20) != (y | 0x20) || (unsigned char)((x | 0x20) - 'a') > 25))
			return false;
	}
	return true;
}

/* Offset of v inside a message buffer (views always point into it). */
static inline uint32_t
sip_str_off(struct sip_str v, const char *buf)
{
	return (uint32_t)(v.p - buf);
}

#define SIP_STR_CASEEQ_LIT(s, lit) sip_str_caseeq((s), (lit), sizeof(lit) - 1)
#define SIP_STR_EQ_LIT(s, lit) sip_str_eq_lit((s), (lit), sizeof(lit) - 1)

#endif
