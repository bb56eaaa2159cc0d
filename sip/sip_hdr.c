/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_hdr.h"

#include <string.h>

#include "sip_chars.h"

static const struct {
	const char *name;
	unsigned char compact;
	unsigned char kind;
} hdr_info[SIP_HDR__COUNT] = {
#define SIP_HDR_ROW(e, n, c, k) [SIP_HDR_##e] = {n, c, SIP_HDR_KIND_##k},
	SIP_HEADERS(SIP_HDR_ROW)
#undef SIP_HDR_ROW
};

const char *
sip_hdr_name(enum sip_hdr_type t)
{
	return t < SIP_HDR__COUNT ? hdr_info[t].name : "";
}

enum sip_hdr_kind
sip_hdr_kind(enum sip_hdr_type t)
{
	return t < SIP_HDR__COUNT ? (enum sip_hdr_kind)hdr_info[t].kind : SIP_HDR_KIND_OPAQUE;
}

/*
 * Long names: the name (at most 24 bytes) is read as three 64-bit words,
 * case-folded and hashed into an open-addressed table built at start-up.
 * fold() sets bit 5 only in bytes that have bit 6 set, so for canonical names
 * (letters and '-') folded equality is exactly ASCII case-insensitive
 * equality: CR (0x0d) does not turn into '-' (0x2d) as a plain "| 0x20" would.
 */
#define NAME_WORDS 3
#define NAME_MAX_LEN (NAME_WORDS * 8)
#define TABLE_BITS 8
#define TABLE_SIZE (1u << TABLE_BITS)

struct name_slot {
	uint64_t w[NAME_WORDS];
	uint8_t len;
	uint8_t type; /* SIP_HDR_OTHER marks an empty slot */
};

static struct name_slot name_table[TABLE_SIZE];
static uint8_t compact_table[128];

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

static inline uint64_t
len_mask(size_t len, unsigned word)
{
	size_t lo = (size_t)word * 8;
	if (len <= lo)
		return 0;
	if (len - lo >= 8)
		return ~0ull;
	return (1ull << (8 * (len - lo))) - 1;
}

static inline unsigned
name_hash(const uint64_t w[NAME_WORDS], size_t len)
{
	uint64_t h = w[0] * 0x9e3779b97f4a7c15ull;
	h ^= w[1] * 0xc2b2ae3d27d4eb4full;
	h ^= w[2] * 0x165667b19e3779f9ull;
	h ^= len * 0x27d4eb2f165667c5ull;
	return (unsigned)(h >> (64 - TABLE_BITS));
}

static void
name_words(const char *name, size_t len, const char *limit, uint64_t w[NAME_WORDS])
{
	if (limit - name >= NAME_MAX_LEN) {
		for (unsigned i = 0; i < NAME_WORDS; i++)
			w[i] = fold(load64(name + 8 * i)) & len_mask(len, i);
	} else {
		char tmp[NAME_MAX_LEN] = {0};
		memcpy(tmp, name, len);
		for (unsigned i = 0; i < NAME_WORDS; i++)
			w[i] = fold(load64(tmp + 8 * i));
	}
}

__attribute__((constructor)) static void
hdr_table_init(void)
{
	for (unsigned t = 1; t < SIP_HDR__COUNT; t++) {
		const char *n = hdr_info[t].name;
		size_t len = strlen(n);
		uint64_t w[NAME_WORDS];
		char tmp[NAME_MAX_LEN] = {0};

		memcpy(tmp, n, len);
		for (unsigned i = 0; i < NAME_WORDS; i++)
			w[i] = fold(load64(tmp + 8 * i));
		unsigned h = name_hash(w, len);
		while (name_table[h].type != SIP_HDR_OTHER)
			h = (h + 1) & (TABLE_SIZE - 1);
		memcpy(name_table[h].w, w, sizeof(w));
		name_table[h].len = (uint8_t)len;
		name_table[h].type = (uint8_t)t;

		unsigned char c = hdr_info[t].compact;
		if (c) {
			compact_table[c] = (uint8_t)t;
			compact_table[c - 'a' + 'A'] = (uint8_t)t;
		}
	}
}

enum sip_hdr_type
sip_hdr_lookup(const char *name, size_t len, const char *limit)
{
	if (len == 1) {
		unsigned char c = (unsigned char)name[0];
		return c < 128 ? (enum sip_hdr_type)compact_table[c] : SIP_HDR_OTHER;
	}
	if (len == 0 || len > NAME_MAX_LEN)
		return SIP_HDR_OTHER;

	uint64_t w[NAME_WORDS];
	name_words(name, len, limit, w);
	for (unsigned h = name_hash(w, len);; h = (h + 1) & (TABLE_SIZE - 1)) {
		const struct name_slot *s = &name_table[h];
		if (s->type == SIP_HDR_OTHER)
			return SIP_HDR_OTHER;
		if (s->len == len && s->w[0] == w[0] && s->w[1] == w[1] && s->w[2] == w[2])
			return (enum sip_hdr_type)s->type;
	}
}
