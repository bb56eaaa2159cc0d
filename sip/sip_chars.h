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
