/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_sign.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <sodium/crypto_shorthash_siphash24.h>
#include <sodium/utils.h>

#include "sip_chars.h"
#include "sip_copy.h"
#include "sip_lex.h"
#include "sip_validate.h"

/*
 * The MAC input: a domain byte, then each field as a 16-bit length and its
 * bytes (an injective encoding: no two field lists give the same input).
 * A field longer than MAC_FIELD_MAX is replaced by its SipHash under the
 * inner key, marked by the length 0xffff, so the buffer stays small and on
 * the stack whatever the message holds.
 */
#define MAC_BUF 512
#define MAC_FIELD_MAX 112
#define MAC_LONG 0xffffu

enum mac_domain {
	MAC_BRANCH = 'B',
	MAC_TOTAG = 'T',
	MAC_RR_UP = 'U',
	MAC_RR_DOWN = 'D',
	MAC_FINGERPRINT = 'F',
	MAC_INNER_KEY = 'K',
};

struct mac_in {
	const struct sip_key *k;
	size_t n;
	uint8_t b[MAC_BUF];
};

static inline void
mac_begin(struct mac_in *m, const struct sip_key *k, enum mac_domain d)
{
	m->k = k;
	m->b[0] = (uint8_t)d;
	m->n = 1;
}

static void
mac_put(struct mac_in *m, const void *p, size_t len)
{
	/* Every call site puts at most 8 fields: 8 * (2 + MAC_FIELD_MAX) + 1 < MAC_BUF. */
	if (len > MAC_FIELD_MAX) {
		m->b[m->n++] = MAC_LONG >> 8;
		m->b[m->n++] = MAC_LONG & 0xff;
		crypto_shorthash_siphash24(m->b + m->n, p, len, m->k->inner);
		m->n += crypto_shorthash_siphash24_BYTES;
		return;
	}
	m->b[m->n++] = (uint8_t)(len >> 8);
	m->b[m->n++] = (uint8_t)len;
	sip_copy(m->b + m->n, p, len); /* inline: fields are short */
	m->n += len;
}

static inline void
mac_str(struct mac_in *m, struct sip_str s)
{
	mac_put(m, s.p, s.len);
}

static inline void
mac_u32(struct mac_in *m, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	mac_put(m, b, sizeof(b));
}

static inline void
mac_addr(struct mac_in *m, const struct sip_addr *a)
{
	mac_put(m, a->a, a->af == SIP_AF_INET ? 4 : a->af == SIP_AF_INET6 ? 16 : 0);
}

/* 8 bytes as 16 lower-case hex digits. */
static inline void
hex16(const uint8_t t[8], char out[16])
{
#ifdef __SSE2__
	/* Nibbles interleaved high, low, then '0'..'9' or 'a'..'f': no table, no loop. */
	uint64_t v;
	memcpy(&v, t, 8);
	__m128i x = _mm_cvtsi64_si128((long long)v);
	__m128i mask = _mm_set1_epi8(0x0f);
	__m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), mask);
	__m128i lo = _mm_and_si128(x, mask);
	__m128i n = _mm_unpacklo_epi8(hi, lo);
	__m128i letters = _mm_and_si128(_mm_cmpgt_epi8(n, _mm_set1_epi8(9)), _mm_set1_epi8(39));
	__m128i c = _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8('0')), letters);
	_mm_storeu_si128((__m128i *)(void *)out, c);
#else
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < 8; i++) {
		out[2 * i] = hex[t[i] >> 4];
		out[2 * i + 1] = hex[t[i] & 0xf];
	}
#endif
}

/* The tag as 16 lower-case hex digits. */
static void
mac_end(struct mac_in *m, char out[16])
{
	uint8_t t[crypto_shorthash_siphash24_BYTES];

	crypto_shorthash_siphash24(t, m->b, m->n, m->k->k);
	hex16(t, out);
}

/* ---- keys ---- */

void
sip_key_set(struct sip_key *k, const uint8_t raw[SIP_KEY_LEN])
{
	uint8_t t[crypto_shorthash_siphash24_BYTES];

	memcpy(k->k, raw, SIP_KEY_LEN);
	/* inner = two PRF outputs of the key on fixed inputs: independent of it for an attacker. */
	for (unsigned half = 0; half < 2; half++) {
		const uint8_t in[2] = {MAC_INNER_KEY, (uint8_t)half};
		crypto_shorthash_siphash24(t, in, sizeof(in), k->k);
		memcpy(k->inner + half * sizeof(t), t, sizeof(t));
	}
}

bool
sip_key_is_weak(const uint8_t raw[SIP_KEY_LEN])
{
	unsigned seen = 0, distinct = 0;

	for (unsigned i = 0; i < SIP_KEY_LEN; i++)
		seen |= 1u << (raw[i] >> 4) | 1u << (raw[i] & 0xf);
	for (unsigned d = 0; d < 16; d++)
		distinct += (seen >> d) & 1;
	return distinct < 6;
}

int
sip_key_parse_hex(const char *p, size_t len, uint8_t raw[SIP_KEY_LEN])
{
	if (len != 2 * SIP_KEY_LEN)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = sip_hexval((unsigned char)p[i]);
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			raw[i / 2] = (uint8_t)(v << 4);
		else
			raw[i / 2] |= (uint8_t)v;
	}
	return sip_key_is_weak(raw) ? -2 : 0;
}

void
sip_key_fingerprint(const struct sip_key *k, char out[SIP_KEY_FP_LEN])
{
	struct mac_in m;

	mac_begin(&m, k, MAC_FINGERPRINT);
	mac_put(&m, "sipline key fingerprint", 23);
	mac_end(&m, out);
}

/* Constant-time comparison of n bytes (no early exit on the first difference). */
static inline bool
same(const char *a, const char *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

/* ---- branch ---- */

/*
 * The previous hop's Via identity: its transport and branch with the RFC
 * 3261 cookie, else (RFC 2543) its sent-by with From-tag, Call-ID and
 * CSeq number; then the origin.
 */
static void
branch_tag(const struct sip_via *prev, const struct sip_fields *f, const struct sip_origin *o,
		const struct sip_key *k, char out[16])
{
	struct mac_in m;

	mac_begin(&m, k, MAC_BRANCH);
	mac_put(&m, &prev->transport_id, 1);
	if (sip_branch_is_3261(prev->branch)) {
		/* Unique per transaction of its sender (§8.1.1.7); the origin says which sender. */
		mac_str(&m, prev->branch);
	} else {
		mac_str(&m, prev->sent_by);
		mac_str(&m, f->from.tag);
		mac_str(&m, f->callid);
		mac_u32(&m, f->cseq.seq);
	}
	mac_addr(&m, &o->addr);
	mac_put(&m, (const uint8_t[]){(uint8_t)(o->port >> 8), (uint8_t)o->port}, 2);
	mac_end(&m, out);
}

void
sip_branch_sign(const struct sip_fields *f, const struct sip_origin *from, const struct sip_key *k,
		char out[SIP_BRANCH_LEN])
{
	memcpy(out, SIP_BRANCH_COOKIE "sl", 9);
	branch_tag(&f->top, f, from, k, out + 9);
}

bool
sip_branch_verify(struct sip_str branch, const struct sip_via *prev, const struct sip_origin *to,
		const struct sip_fields *f, const struct sip_keyring *kr)
{
	char want[16];

	if (branch.len != SIP_BRANCH_LEN || memcmp(branch.p, SIP_BRANCH_COOKIE "sl", 9) != 0)
		return false;
	branch_tag(prev, f, to, &kr->cur, want);
	if (same(want, branch.p + 9, 16))
		return true;
	if (!kr->has_prev)
		return false;
	branch_tag(prev, f, to, &kr->prev, want);
	return same(want, branch.p + 9, 16);
}

int
sip_via_origin(const struct sip_via *v, struct sip_origin *o)
{
	uint64_t port;

	if (!v->has_received || !v->has_rport || v->rport.len == 0 ||
			sip_addr_parse(v->received, &o->addr) != 0 ||
			lex_uint(v->rport.p, v->rport.p + v->rport.len, 65535, &port) != 0 || port == 0)
		return -1;
	o->port = (uint16_t)port;
	return 0;
}

/* ---- To-tag ---- */

static void
totag_tag(const struct sip_fields *f, const struct sip_key *k, char out[16])
{
	struct mac_in m;

	mac_begin(&m, k, MAC_TOTAG);
	mac_str(&m, f->callid);
	mac_str(&m, f->from.tag);
	/* The top Via's branch names the transaction; without the cookie, its sent-by too. */
	if (!sip_branch_is_3261(f->top.branch))
		mac_str(&m, f->top.sent_by);
	mac_str(&m, f->top.branch);
	mac_end(&m, out);
}

void
sip_totag_sign(const struct sip_fields *f, const struct sip_key *k, char out[SIP_TOTAG_LEN])
{
	out[0] = 's';
	out[1] = 'l';
	totag_tag(f, k, out + 2);
}

bool
sip_totag_verify(const struct sip_fields *f, const struct sip_keyring *kr)
{
	struct sip_str t = f->to.tag;
	char want[16];

	if (t.len != SIP_TOTAG_LEN || t.p[0] != 's' || t.p[1] != 'l')
		return false;
	totag_tag(f, &kr->cur, want);
	if (same(want, t.p + 2, 16))
		return true;
	if (!kr->has_prev)
		return false;
	totag_tag(f, &kr->prev, want);
	return same(want, t.p + 2, 16);
}

/* ---- Record-Route ---- */

void
sip_rrsig_up(struct sip_str callid, struct sip_str caller_tag, struct sip_str target,
		const struct sip_key *k, char out[SIP_RRSIG_LEN])
{
	struct mac_in m;

	mac_begin(&m, k, MAC_RR_UP);
	mac_str(&m, callid);
	mac_str(&m, caller_tag);
	mac_str(&m, target);
	mac_end(&m, out);
}

void
sip_rrsig_down(struct sip_str callid, struct sip_str caller_tag, struct sip_str callee_tag,
		struct sip_str target, const struct sip_key *k, char out[SIP_RRSIG_LEN])
{
	struct mac_in m;

	mac_begin(&m, k, MAC_RR_DOWN);
	mac_str(&m, callid);
	mac_str(&m, caller_tag);
	mac_str(&m, callee_tag);
	mac_str(&m, target);
	mac_end(&m, out);
}

static bool
rrsig_verify_key(struct sip_str sig, struct sip_str callid, struct sip_str from_tag,
		struct sip_str to_tag, struct sip_str target, const struct sip_key *k)
{
	char want[SIP_RRSIG_LEN];

	/* From the caller: From-tag is the caller's, To-tag the callee's. */
	sip_rrsig_down(callid, from_tag, to_tag, target, k, want);
	if (same(want, sig.p, SIP_RRSIG_LEN))
		return true;
	/* From the callee: its To-tag is the caller's tag. */
	sip_rrsig_up(callid, to_tag, target, k, want);
	return same(want, sig.p, SIP_RRSIG_LEN);
}

bool
sip_rrsig_verify(struct sip_str sig, struct sip_str callid, struct sip_str from_tag,
		struct sip_str to_tag, struct sip_str target, const struct sip_keyring *kr)
{
	if (sig.len != SIP_RRSIG_LEN || to_tag.len == 0)
		return false;
	if (rrsig_verify_key(sig, callid, from_tag, to_tag, target, &kr->cur))
		return true;
	return kr->has_prev && rrsig_verify_key(sig, callid, from_tag, to_tag, target, &kr->prev);
}
