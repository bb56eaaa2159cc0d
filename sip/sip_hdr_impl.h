/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_HDR_IMPL_H
#define SIP_HDR_IMPL_H

/*
 * The header-name lookup, inline: sip_parse() classifies every header line
 * with it. Internal to sip/; the table is built by sip_hdr.c at start-up.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sip_hdr.h"

/*
 * Long names: a table indexed by a key made of the length and the first and
 * last bytes (case-folded), one slot per key; a hit is confirmed by comparing
 * the name, read as up to three case-folded 64-bit words, with the canonical
 * one. fold() sets bit 5 only in bytes that have bit 6 set, so for canonical
 * names (letters and '-') folded equality is exactly ASCII case-insensitive
 * equality: CR (0x0d) does not turn into '-' (0x2d) as "| 0x20" would.
 */
#define NAME_WORDS 3
#define NAME_MAX_LEN (NAME_WORDS * 8)
#define TABLE_BITS 7
#define TABLE_SIZE (1u << TABLE_BITS)

struct name_slot {
	uint64_t w[NAME_WORDS];
	uint8_t len;
	uint8_t type; /* SIP_HDR_OTHER marks an empty slot */
};

extern struct name_slot sip_hdr_name_table[TABLE_SIZE];
extern uint8_t sip_hdr_compact_table[256];

static inline uint64_t
fold(uint64_t w)
{
	return w | ((w & 0x4040404040404040ull) >> 1);
}

static inline uint64_t
load64(const char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

static inline unsigned
name_key(const char *name, size_t len)
{
	unsigned c0 = (unsigned char)name[0] | 0x20u;
	unsigned c1 = (unsigned char)name[len - 1] | 0x20u;
	/* Multipliers chosen so that no two known names share a key (no probing). */
	return ((unsigned)len * 3u + c0 * 35u + c1 * 3u) & (TABLE_SIZE - 1);
}

static inline uint64_t
low_bytes(size_t n)
{
	return n >= 8 ? ~0ull : (1ull << (8 * n)) - 1;
}

/*
 * Name as three folded words, bytes past len zeroed. Reads 24 bytes from
 * name when they lie before limit, else copies: never reads at or past limit.
 */
static inline void
name_words(const char *name, size_t len, const char *limit, uint64_t w[NAME_WORDS])
{
	if (limit - name >= NAME_MAX_LEN) {
		w[0] = fold(load64(name)) & low_bytes(len);
		w[1] = len > 8 ? fold(load64(name + 8)) & low_bytes(len - 8) : 0;
		w[2] = len > 16 ? fold(load64(name + 16)) & low_bytes(len - 16) : 0;
	} else {
		char tmp[NAME_MAX_LEN] = {0};
		memcpy(tmp, name, len);
		w[0] = fold(load64(tmp));
		w[1] = fold(load64(tmp + 8));
		w[2] = fold(load64(tmp + 16));
	}
}

/*
 * Known names never share a key (sip_hdr.c checks at start-up), so a name
 * is either in its home slot or unknown: one slot is read, and the words
 * past the first are loaded and compared only when the name is that long.
 */
static inline enum sip_hdr_type
sip_hdr_lookup_inline(const char *name, size_t len, const char *limit)
{
	if (len == 1)
		return (enum sip_hdr_type)sip_hdr_compact_table[(unsigned char)name[0]];
	if (len == 0 || len > NAME_MAX_LEN)
		return SIP_HDR_OTHER;

	const struct name_slot *s = &sip_hdr_name_table[name_key(name, len)];
	/* Read with the length: the slot's address need not live past the compares. */
	enum sip_hdr_type type = (enum sip_hdr_type)s->type;
	if (s->len != len) /* an empty slot's length is 0 */
		return SIP_HDR_OTHER;
	if (limit - name >= NAME_MAX_LEN) {
		if ((fold(load64(name)) & low_bytes(len)) != s->w[0])
			return SIP_HDR_OTHER;
		if (len > 8 && (fold(load64(name + 8)) & low_bytes(len - 8)) != s->w[1])
			return SIP_HDR_OTHER;
		if (len > 16 && (fold(load64(name + 16)) & low_bytes(len - 16)) != s->w[2])
			return SIP_HDR_OTHER;
		return type;
	}
	uint64_t w[NAME_WORDS];
	name_words(name, len, limit, w);
	return s->w[0] == w[0] && s->w[1] == w[1] && s->w[2] == w[2] ?
		(enum sip_hdr_type)s->type : SIP_HDR_OTHER;
}

#endif
