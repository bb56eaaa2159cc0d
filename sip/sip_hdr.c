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

#include "sip_hdr_impl.h"

struct name_slot sip_hdr_name_table[TABLE_SIZE];
uint8_t sip_hdr_compact_table[256];

__attribute__((constructor)) static void
hdr_table_init(void)
{
	for (unsigned t = 1; t < SIP_HDR__COUNT; t++) {
		const char *n = hdr_info[t].name;
		size_t len = strlen(n);
		struct name_slot *slot = &sip_hdr_name_table[name_key(n, len)];

		/* A shared key would hide a name (lookups read the home slot only): a build bug. */
		if (slot->type != SIP_HDR_OTHER || len > NAME_MAX_LEN)
			__builtin_trap();
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)n[i];
			unsigned word = (unsigned)(i / 8), shift = (unsigned)(i % 8) * 8;
			/* Letters match in either case: bit 5 is the only one that differs. */
			uint64_t keep = (c | 0x20u) >= 'a' && (c | 0x20u) <= 'z' ? 0xdfu : 0xffu;
			slot->w[word] |= (uint64_t)c << shift;
			slot->mask[word] |= keep << shift;
		}
		slot->len = (uint8_t)len;
		slot->type = (uint8_t)t;

		unsigned char c = hdr_info[t].compact;
		if (c) {
			sip_hdr_compact_table[c] = (uint8_t)t;
			sip_hdr_compact_table[c - 'a' + 'A'] = (uint8_t)t;
		}
	}
}

enum sip_hdr_type
sip_hdr_lookup(const char *name, size_t len, const char *limit)
{
	return sip_hdr_lookup_inline(name, len, limit);
}
