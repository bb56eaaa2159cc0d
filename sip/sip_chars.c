/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_chars.h"
#include "sip_str.h"

/* The table is built by the preprocessor so it stays a constant in .rodata. */
#define IN_RANGE(c, a, b) ((c) >= (a) && (c) <= (b))
#define ALPHA(c) (IN_RANGE(c, 'a', 'z') || IN_RANGE(c, 'A', 'Z'))
#define DIGIT(c) IN_RANGE(c, '0', '9')
#define ALNUM(c) (ALPHA(c) || DIGIT(c))
#define ANY2(c, a, b) ((c) == (a) || (c) == (b))
#define ANY4(c, a, b, d, e) (ANY2(c, a, b) || ANY2(c, d, e))

#define TOKEN(c) (ALNUM(c) || ANY4(c, '-', '.', '!', '%') || ANY4(c, '*', '_', '+', '`') || \
		ANY2(c, '\'', '~'))
#define UNRES(c) (ALNUM(c) || ANY4(c, '-', '_', '.', '!') || ANY4(c, '~', '*', '\'', '(') || \
		(c) == ')')
#define USER(c) (ANY4(c, '&', '=', '+', '$') || ANY4(c, ',', ';', '?', '/'))
#define PARAM(c) (ANY4(c, '[', ']', '/', ':') || ANY2(c, '&', '+') || (c) == '$')
#define HNV(c) (ANY4(c, '[', ']', '/', '?') || ANY2(c, ':', '+') || (c) == '$')
#define WORD(c) (TOKEN(c) || ANY4(c, '(', ')', '<', '>') || ANY4(c, ':', '\\', '"', '/') || \
		ANY4(c, '[', ']', '?', '{') || (c) == '}')
#define HOST(c) (ALNUM(c) || ANY2(c, '-', '.'))
#define HEX(c) (DIGIT(c) || IN_RANGE(c, 'a', 'f') || IN_RANGE(c, 'A', 'F'))
#define PASSWD(c) (ANY4(c, '&', '=', '+', '$') || (c) == ',')
#define SCHEME(c) (ALNUM(c) || ANY2(c, '+', '-') || (c) == '.')

#define CLS(c) (uint16_t)( \
	(TOKEN(c) ? SIP_C_TOKEN : 0) | (UNRES(c) ? SIP_C_UNRESERVED : 0) | \
	(USER(c) ? SIP_C_USER : 0) | (PARAM(c) ? SIP_C_PARAM : 0) | \
	(HNV(c) ? SIP_C_HNV : 0) | (WORD(c) ? SIP_C_WORD : 0) | \
	(HOST(c) ? SIP_C_HOST : 0) | (DIGIT(c) ? SIP_C_DIGIT : 0) | \
	(HEX(c) ? SIP_C_HEX : 0) | (PASSWD(c) ? SIP_C_PASSWORD : 0) | \
	(ANY2(c, ' ', '\t') ? SIP_C_WSP : 0) | (ALPHA(c) ? SIP_C_ALPHA : 0) | \
	(SCHEME(c) ? SIP_C_SCHEME : 0) | ((c) >= 0x80 ? SIP_C_UTF8 : 0))

#define R4(c) CLS(c), CLS((c) + 1), CLS((c) + 2), CLS((c) + 3)
#define R16(c) R4(c), R4((c) + 4), R4((c) + 8), R4((c) + 12)
#define R64(c) R16(c), R16((c) + 16), R16((c) + 32), R16((c) + 48)

const uint16_t sip_char_class[256] = {
	R64(0), R64(64), R64(128), R64(192),
};

/*
 * Nibble tables of the span sets (sip_span.h): entry lo of a set holds bit h
 * (h = 0..7) when byte h << 4 | lo is in the set. Bytes >= 0x80 have no bit.
 */
#define NB(s, c, h) ((CLS(c) & (s)) ? 1u << (h) : 0u)
#define NIB(s, l) (uint8_t)(NB(s, (l), 0) | NB(s, 0x10 | (l), 1) | NB(s, 0x20 | (l), 2) | \
		NB(s, 0x30 | (l), 3) | NB(s, 0x40 | (l), 4) | NB(s, 0x50 | (l), 5) | \
		NB(s, 0x60 | (l), 6) | NB(s, 0x70 | (l), 7))
#define NIB4(s, l) NIB(s, l), NIB(s, (l) + 1), NIB(s, (l) + 2), NIB(s, (l) + 3)
#define SPAN_SET(name, cls) [SIP_SPAN_##name] = { NIB4(cls, 0), NIB4(cls, 4), NIB4(cls, 8), \
		NIB4(cls, 12) },

/* The vector span stops at every byte >= 0x80: no set with tables may hold one. */
#define SPAN_NO_UTF8(name, cls) \
	_Static_assert(((cls) & SIP_C_UTF8) == 0, "span set " #name " holds bytes >= 0x80");
SIP_SPAN_SETS(SPAN_NO_UTF8)

_Alignas(16) const uint8_t sip_span_hibit[16] = {
	1, 2, 4, 8, 16, 32, 64, 128, 0, 0, 0, 0, 0, 0, 0, 0,
};

_Alignas(16) const uint8_t sip_span_nib[SIP_SPAN_N][16] = {
	SIP_SPAN_SETS(SPAN_SET)
};
