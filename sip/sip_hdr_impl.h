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
 * last bytes (case-folded), one slot per key. A hit is confirmed by reading
 * the name as up to three 64-bit words and comparing each, xor'ed with the
 * canonical word, under the slot's mask: the mask is zero past the name's
 * length and clears bit 5 only where the canonical byte is a letter, so a
 * letter matches in either case (0x41 ^ 0x61 == 0x20) and every other byte,
 * '-' included, must be exact. No folding, no length-dependent shifts: a
 * known name costs its key, one slot and two or three xor-and steps.
 */
#define NAME_WORDS 3
#define NAME_MAX_LEN (NAME_WORDS * 8)
#define TABLE_BITS 7
#define TABLE_SIZE (1u << TABLE_BITS)

/* One cache line: a lookup touches one line of the table. */
struct name_slot {
	uint64_t w[NAME_WORDS];    /* canonical name, zero past len */
	uint64_t mask[NAME_WORDS]; /* bytes that count, bit 5 ignored in letters */
	uint8_t len;
	uint8_t type; /* SIP_HDR_OTHER marks an empty slot */
} __attribute__((aligned(64)));

extern struct name_slot sip_hdr_name_table[TABLE_SIZE];
extern uint8_t sip_hdr_compact_table[256];

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

/* Nonzero when word i of the name differs from the slot's under its mask. */
static inline uint64_t
name_diff(const struct name_slot *s, unsigned i, uint64_t word)
{
	return (word ^ s->w[i]) & s->mask[i];
}

/*
 * Known names never share a key (sip_hdr.c checks at start-up), so a name
 * is either in its home slot or unknown: one slot is read. Far from limit
 * the first two words are read whatever the length (their masks are zero
 * past it), the third only for names longer than 16 bytes; near limit the
 * name is copied first, so no byte at or past limit is read.
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
	const char *p = name;
	char tmp[NAME_MAX_LEN];
	if (limit - name < NAME_MAX_LEN) {
		memset(tmp, 0, sizeof(tmp));
		memcpy(tmp, name, len);
		p = tmp;
	}
	uint64_t d = name_diff(s, 0, load64(p)) | name_diff(s, 1, load64(p + 8));
	if (len > 16)
		d |= name_diff(s, 2, load64(p + 16));
	return d == 0 ? type : SIP_HDR_OTHER;
}

#endif
