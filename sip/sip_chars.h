/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_CHARS_H
#define SIP_CHARS_H

/*
 * Character classes of the RFC 3261 grammar, one table for all of them.
 * Each byte value maps to a set of class bits; a byte >= 0x80 belongs to
 * UTF8 only (allowed in quoted strings, reason phrases and opaque values).
 */

#include <stdint.h>

enum {
	SIP_C_TOKEN = 1 << 0,    /* token: alphanum - . ! % * _ + ` ' ~ */
	SIP_C_UNRESERVED = 1 << 1, /* alphanum mark: - _ . ! ~ * ' ( ) */
	SIP_C_USER = 1 << 2,     /* user-unreserved: & = + $ , ; ? / */
	SIP_C_PARAM = 1 << 3,    /* param-unreserved: [ ] / : & + $ */
	SIP_C_HNV = 1 << 4,      /* hnv-unreserved: [ ] / ? : + $ */
	SIP_C_WORD = 1 << 5,     /* Call-ID word: token plus ( ) < > : \ " / [ ] ? { } */
	SIP_C_HOST = 1 << 6,     /* hostname: alphanum - . */
	SIP_C_DIGIT = 1 << 7,
	SIP_C_HEX = 1 << 8,
	SIP_C_PASSWORD = 1 << 9, /* & = + $ , */
	SIP_C_WSP = 1 << 10,     /* SP HT */
	SIP_C_ALPHA = 1 << 11,
	SIP_C_SCHEME = 1 << 12,  /* alphanum + - . */
	SIP_C_UTF8 = 1 << 13,    /* bytes 0x80..0xff */
};

extern const uint16_t sip_char_class[256];

/*
 * The class sets spanned with SIMD (sip_span.h: lex_span(), sip_span_escaped()),
 * each with its nibble tables; any other set takes the scalar loop. Only sets
 * whose spans are often 8 bytes or more are here: TOKEN, DIGIT and SCHEME
 * spans (methods, "SIP", "UDP", ports, "sip") are 1 to 6 bytes, where the
 * vector set-up costs more than it saves (callgrind on bench_pipeline: TOKEN
 * +20 instructions per message). X(name, classes).
 */
#define SIP_SPAN_SETS(X) \
	X(WORD, SIP_C_WORD) \
	X(URI_PARAM, SIP_C_UNRESERVED | SIP_C_PARAM) \
	X(URI_HNV, SIP_C_UNRESERVED | SIP_C_HNV) \
	X(URI_USER, SIP_C_UNRESERVED | SIP_C_USER) \
	X(URI_PASSWORD, SIP_C_UNRESERVED | SIP_C_PASSWORD) \
	X(PARAM, SIP_C_TOKEN | SIP_C_UNRESERVED | SIP_C_PARAM)

#define SIP_SPAN_ENUM(name, cls) SIP_SPAN_##name,
enum sip_span_set { SIP_SPAN_SETS(SIP_SPAN_ENUM) SIP_SPAN_N };
#undef SIP_SPAN_ENUM

/* Per set: entry lo has bit h set when byte (h << 4 | lo) < 0x80 is in the set. */
extern const uint8_t sip_span_nib[SIP_SPAN_N][16];

static inline int
sip_is(unsigned char c, unsigned cls)
{
	return (sip_char_class[c] & cls) != 0;
}

static inline int
sip_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static inline int
sip_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

#endif
