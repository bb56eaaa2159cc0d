/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_DIX_H
#define RULES_DIX_H

/*
 * Prefix and exact indexes (see struct rules_dix in rules_impl.h):
 * the digit index for values over "0-9+*#" of up to 15 symbols, and a
 * hash of (field, kind, value) for everything else, probed once per
 * prefix length the plan uses.
 */

#include <string.h>

#include "rules_impl.h"
#include "rules_util.h"

/* Longest value the digit index holds; longer ones go to the generic index. */
#define DIX_MAX_LEN 15
/* Longest prefix the generic index holds (a bit per length in a 64-bit mask). */
#define GEN_MAX_PREFIX 64

/*
 * A prefix or exact value for the digit index builder: 12 bytes, as
 * millions are held at once. The length is where the key's zero nibbles
 * begin; the kind is the top bit of the value (never set in a value).
 */
struct dix_ent {
	uint64_t start; /* key of the value (dix_value_key()) */
	uint32_t value; /* encoded rule (RV_FILT when it has filters) | DIX_ENT_EXACT */
} __attribute__((packed));

#define DIX_ENT_EXACT 0x80000000u

/*
 * Key of s[0..len) if every byte is in the digit alphabet and len <=
 * DIX_MAX_LEN: 0 and *key set; else -1.
 */
RULES_INTERNAL int dix_value_key(const char *s, size_t len, uint64_t *key);

/*
 * Build the digit index of one field from n entries (sorted here, in
 * place). Appends to l1, arena, nodes and lists (all uint32_t; nodes
 * 64-byte aligned) and fills dx. 0, -ENOMEM or -E2BIG (tables too large).
 */
RULES_INTERNAL int dix_build(struct rules_dix *dx, struct dix_ent *e, size_t n, struct vec *l1,
		struct vec *arena, struct vec *nodes, struct vec *lists);

/* Running hash of a generic value: start, one step per byte, final per length. */
static inline uint64_t
gen_hash_start(unsigned field)
{
	return 0xcbf29ce484222325ull ^ ((uint64_t)(field + 1) * 0x9e3779b97f4a7c15ull);
}

static inline uint64_t
gen_hash_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ull;
}

static inline uint64_t
gen_hash_final(uint64_t h, uint32_t len, unsigned kind)
{
	return rules_mix64(h ^ ((uint64_t)len << 8 | kind));
}

/* Most keys in a leaf (8 + 7 * 8 bytes: one line); more are split by 16-way nodes. */
#define DIX_LEAF_MAX 7
/* A leaf with whole 64-bit keys (in its first word, above the count). */
#define DIX_WIDE 0x40000000u
#define DIX_COUNT 0xffu

/* The 8 nibbles of x from position pos (pos < DIX_POS). */
static inline uint32_t
dix_window(uint64_t x, unsigned pos)
{
	return (uint32_t)((x << (4 * pos)) >> 32);
}

/* Candidate of key x in the leaf at w whose keys share the nibbles before pos. */
static inline uint32_t
dix_leaf(const uint32_t *w, uint64_t x, unsigned pos)
{
	uint32_t c = w[0] & DIX_COUNT;
	uint32_t i = 0;

	if (!(w[0] & DIX_WIDE)) {
		uint32_t xw = dix_window(x, pos);
		/*
		 * Always DIX_LEAF_MAX compares, the ones past c masked off: no
		 * mispredicted loop exit. The words read past a short leaf are
		 * its values or the next record (the arena is padded at its end).
		 */
		for (uint32_t j = 0; j < DIX_LEAF_MAX; j++)
			i += (j < c) & (w[2 + j] <= xw);
		return i == 0 ? w[1] : w[2 + c + i - 1];
	}
	for (uint32_t j = 0; j < c; j++)
		i += ((uint64_t)w[3 + 2 * j] << 32 | w[2 + 2 * j]) <= x;
	return i == 0 ? w[1] : w[2 + 2 * c + i - 1];
}

/*
 * Key of s (the reference): one nibble per byte for the first 16 bytes,
 * stopping after the first byte outside the alphabet (DIX_OTHER).
 */
static inline uint64_t
dix_key_scalar(const char *s, uint32_t n)
{
	uint64_t x = 0;
	uint32_t m = n < DIX_POS ? n : DIX_POS;

	for (uint32_t i = 0; i < m; i++) {
		unsigned c = rules_dix_code[(unsigned char)s[i]];
		x |= (uint64_t)c << (60 - 4 * i);
		/* Nothing in the index continues past a foreign byte. */
		if (c == DIX_OTHER)
			break;
	}
	return x;
}

#if defined(__x86_64__)
#include <emmintrin.h>

/*
 * The first n <= 8 bytes of s, little-endian, zero above, from loads that
 * stay inside s[0..n) (overlapping when n is not a power of two). Not a
 * copy through the stack: a wide load of narrow stores stalls.
 */
static inline uint64_t
dix_bytes(const char *s, uint32_t n)
{
	uint64_t a, b;
	uint32_t a4, b4;
	uint16_t a2;

	if (n >= 8) {
		memcpy(&a, s, 8);
		return a;
	}
	if (n >= 4) {
		memcpy(&a4, s, 4);
		memcpy(&b4, s + n - 4, 4);
		/* b4 holds bytes n-4..n-1; keep those above byte 3. */
		return a4 | (uint64_t)b4 << (8 * (n - 4));
	}
	if (n >= 2) {
		memcpy(&a2, s, 2);
		b = (unsigned char)s[n - 1];
		return a2 | b << (8 * (n - 1));
	}
	return n ? (unsigned char)s[0] : 0;
}

/*
 * dix_key_scalar() with SSE2 (every x86-64 has it): classify 16 bytes at
 * once, cut at the length and after the first foreign byte, pack pairs of
 * codes into bytes, then reverse the nibble order. Never reads past
 * s[n - 1]: shorter inputs are copied into a zeroed buffer first.
 */
static inline uint64_t
dix_key(const char *s, uint32_t n)
{
	static const uint8_t ones[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	__m128i v;

	if (n >= 16)
		v = _mm_loadu_si128((const __m128i *)(const void *)s);
	else
		v = _mm_set_epi64x(n > 8 ? (long long)dix_bytes(s + 8, n - 8) : 0,
				(long long)dix_bytes(s, n < 8 ? n : 8));
	__m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
	__m128i dig = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
	__m128i plus = _mm_cmpeq_epi8(v, _mm_set1_epi8('+'));
	__m128i star = _mm_cmpeq_epi8(v, _mm_set1_epi8('*'));
	__m128i hash = _mm_cmpeq_epi8(v, _mm_set1_epi8('#'));
	__m128i known = _mm_or_si128(_mm_or_si128(dig, plus), _mm_or_si128(star, hash));
	__m128i code = _mm_and_si128(dig, _mm_add_epi8(d, _mm_set1_epi8(1)));
	code = _mm_or_si128(code, _mm_and_si128(plus, _mm_set1_epi8(11)));
	code = _mm_or_si128(code, _mm_and_si128(star, _mm_set1_epi8(12)));
	code = _mm_or_si128(code, _mm_and_si128(hash, _mm_set1_epi8(13)));
	code = _mm_or_si128(code, _mm_andnot_si128(known, _mm_set1_epi8(DIX_OTHER)));
	unsigned unk = ~(unsigned)_mm_movemask_epi8(known) & 0xffffu;
	unsigned lim = n < 16 ? n : 16;
	if (unk != 0 && (unsigned)__builtin_ctz(unk) + 1 < lim)
		lim = (unsigned)__builtin_ctz(unk) + 1;
	code = _mm_and_si128(code, _mm_loadu_si128((const __m128i *)(const void *)
			(ones + 16 - lim)));
	/* 16-bit lane k holds codes 2k and 2k+1: make it the byte (2k) | (2k+1) << 4. */
	__m128i lo = _mm_and_si128(code, _mm_set1_epi16(0x00ff));
	__m128i hi = _mm_and_si128(_mm_srli_epi16(code, 4), _mm_set1_epi16(0x00f0));
	__m128i b = _mm_packus_epi16(_mm_or_si128(lo, hi), _mm_setzero_si128());
	uint64_t y = (uint64_t)_mm_cvtsi128_si64(b);
	/* Code i is nibble i from the bottom; the key wants it 15 - i. */
	y = __builtin_bswap64(y);
	return (y & 0x0f0f0f0f0f0f0f0full) << 4 | ((y >> 4) & 0x0f0f0f0f0f0f0f0full);
}
#else
static inline uint64_t
dix_key(const char *s, uint32_t n)
{
	return dix_key_scalar(s, n);
}
#endif

/* Key and first-level slot of s for field index dx. */
static inline uint32_t
dix_locate(const struct rules_dix *dx, const char *s, uint32_t n, uint64_t *xp)
{
	uint64_t x = dix_key(s, n);
	uint32_t t = 0;

	/*
	 * The slot's digits are independent loads. Positions past the depth
	 * weigh 0, so a fixed count of them costs no mispredicted loop exit.
	 */
	for (uint32_t i = 0; i < 8; i++)
		t += dx->cmul[i][(x >> (60 - 4 * i)) & 15];
	for (uint32_t i = 8; i < dx->depth; i++)
		t += dx->cmul[i][(x >> (60 - 4 * i)) & 15];
	*xp = x;
	return t;
}

/*
 * Request the lines of the record entry e (not RV_DIRECT) leads to. A
 * macro: GCC deletes calls to a function that only prefetches, judging
 * it to have no effect.
 */
#define DIX_PREFETCH(p, dx, e) do { \
	if ((e) & DIX_E_NODE) { \
		__builtin_prefetch((p)->nodes + 16 * ((dx)->nd_off + ((e) & DIX_E_OFF))); \
	} else { \
		const uint32_t *pf_ = (p)->arena + (dx)->ar_off + ((e) & DIX_E_OFF); \
		__builtin_prefetch(pf_); \
		if ((e) & DIX_E_SPAN) \
			__builtin_prefetch(pf_ + 15); \
	} \
} while (0)

/*
 * Candidate value for key x in first-level slot t: the slot holds a value,
 * or leads through nodes (one nibble each) to a leaf.
 */
static inline uint32_t
dix_find(const struct rules_plan *p, const struct rules_dix *dx, uint64_t x, uint32_t t)
{
	uint32_t e = p->l1[dx->l1_off + t];
	unsigned pos = dx->depth;

	for (;;) {
		/* A direct value's bits overlap the other flags: test it first. */
		if (e & RV_DIRECT)
			return e & ~RV_DIRECT;
		if (!(e & DIX_E_NODE))
			return dix_leaf(p->arena + dx->ar_off + (e & DIX_E_OFF), x, pos);
		/* A loaded blob is checked, but never walk past the last symbol. */
		if (pos >= DIX_POS)
			return RV_NONE;
		e = p->nodes[16 * (dx->nd_off + (e & DIX_E_OFF)) + ((x >> (60 - 4 * pos)) & 15)];
		pos++;
	}
}

/* Lines to prefetch for a later dix_find(x, t): the first-level entry. */
static inline const void *
dix_l1_addr(const struct rules_plan *p, const struct rules_dix *dx, uint32_t t)
{
	return &p->l1[dx->l1_off + t];
}

#endif
