/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_hash.h"

#include <string.h>

#include "sip_naddr.h"
#include "sip_scalar.h"
#include "sip_validate.h"

#define K0 0xa0761d6478bd642full
#define K1 0xe7037ed1a0b428dbull
#define K2 0x8ebc6af09c88c6e3ull
#define K3 0x589965cc75374cc3ull

/* 64x64 -> 128 multiply folded back to 64 bits: the mixing step. */
static inline uint64_t
mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t
rd64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

uint64_t
sip_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ mix(len ^ K0, K1);

	while (len >= 16) {
		h = mix(rd64(p) ^ K1 ^ h, rd64(p + 8) ^ K2);
		p += 16;
		len -= 16;
	}
	if (len >= 8) {
		h = mix(rd64(p) ^ K1 ^ h, K3);
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t t = 0;
		memcpy(&t, p, len);
		h = mix(t ^ K2 ^ h, K3 ^ len);
	}
	return mix(h ^ K0, K1 ^ seed);
}

static void
put_hex64(char *o, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--) {
		o[i] = hex[v & 0xf];
		v >>= 4;
	}
}

/* Top Via identity: branch with cookie, else sent-by (RFC 2543). */
static uint64_t
hash_top_via(const struct sip_via *top, uint64_t h)
{
	h = sip_hash_str(top->sent_by, h);
	if (top->has_branch)
		h = sip_hash_str(top->branch, h);
	return h;
}

static int
from_tag(const struct sip_msg *m, struct sip_str *tag)
{
	struct sip_naddr a;
	int rc = sip_naddr_of(m, SIP_HDR_FROM, &a, 0);
	if (rc != 0)
		return rc;
	*tag = a.tag;
	return 0;
}

/*
 * The Request-URI, which RFC 3261 §16.11 lists for RFC 2543 peers, is left
 * out: everything hashed here comes back in the responses (the previous
 * hop's Via below ours, From-tag, Call-ID, CSeq), so a response's branch
 * can be checked (sip_branch_is_ours_f()).
 */
static uint64_t
branch_hash(const struct sip_via *top, struct sip_str from_tag, struct sip_str callid,
		uint32_t cseq, uint64_t secret)
{
	uint64_t h = secret ^ 0x6272616e6368ull; /* domain: "branch" */

	h = hash_top_via(top, h);
	if (!sip_branch_is_3261(top->branch)) {
		h = sip_hash_str(from_tag, h);
		h = sip_hash_str(callid, h);
		h = sip_hash64(&cseq, sizeof(cseq), h);
	}
	return h;
}

int
sip_branch_make(const struct sip_msg *m, const struct sip_via *top, uint64_t secret,
		char out[SIP_BRANCH_LEN])
{
	struct sip_str tag = SIP_STR_NULL, callid = SIP_STR_NULL;
	struct sip_cseq cs = {0};
	int rc;

	if (!sip_branch_is_3261(top->branch) &&
			((rc = from_tag(m, &tag)) != 0 || (rc = sip_msg_callid(m, &callid)) != 0 ||
			 (rc = sip_msg_cseq(m, &cs)) != 0))
		return rc;
	uint64_t h = branch_hash(top, tag, callid, cs.seq, secret);
	memcpy(out, SIP_BRANCH_COOKIE "sl", 9);
	put_hex64(out + 9, h);
	return 0;
}

static uint64_t
totag_hash_of(struct sip_str callid, struct sip_str from_tag, const struct sip_via *top,
		uint64_t secret)
{
	uint64_t h = secret ^ 0x746f746167ull; /* domain: "totag" */
	h = sip_hash_str(callid, h);
	h = sip_hash_str(from_tag, h);
	return hash_top_via(top, h);
}

static int
totag_hash(const struct sip_msg *m, const struct sip_via *top, uint64_t secret, uint64_t *out)
{
	struct sip_str tag, callid;
	int rc;

	if ((rc = from_tag(m, &tag)) != 0 || (rc = sip_msg_callid(m, &callid)) != 0)
		return rc;
	*out = totag_hash_of(callid, tag, top, secret);
	return 0;
}

int
sip_totag_make(const struct sip_msg *m, const struct sip_via *top, uint64_t secret,
		char out[SIP_TOTAG_LEN])
{
	uint64_t h;
	int rc = totag_hash(m, top, secret, &h);
	if (rc != 0)
		return rc;
	out[0] = 's';
	out[1] = 'l';
	put_hex64(out + 2, h);
	return 0;
}

bool
sip_totag_is_ours(const struct sip_msg *m, const struct sip_via *top, uint64_t secret)
{
	struct sip_naddr to;
	char mine[SIP_TOTAG_LEN];

	if (sip_naddr_of(m, SIP_HDR_TO, &to, 0) != 0 || to.tag.len != SIP_TOTAG_LEN ||
			to.tag.p[0] != 's' || to.tag.p[1] != 'l')
		return false;
	if (sip_totag_make(m, top, secret, mine) != 0)
		return false;
	return memcmp(mine, to.tag.p, SIP_TOTAG_LEN) == 0;
}

/* ---- from parsed fields ---- */

int
sip_branch_make_f(const struct sip_msg *m, const struct sip_fields *f, uint64_t secret,
		char out[SIP_BRANCH_LEN])
{
	(void)m;
	uint64_t h = branch_hash(&f->top, f->from.tag, f->callid, f->cseq.seq, secret);
	memcpy(out, SIP_BRANCH_COOKIE "sl", 9);
	put_hex64(out + 9, h);
	return 0;
}

bool
sip_branch_is_ours_f(struct sip_str branch, const struct sip_via *prev,
		const struct sip_fields *f, uint64_t secret)
{
	char want[SIP_BRANCH_LEN];

	if (branch.len != SIP_BRANCH_LEN)
		return false;
	memcpy(want, SIP_BRANCH_COOKIE "sl", 9);
	put_hex64(want + 9, branch_hash(prev, f->from.tag, f->callid, f->cseq.seq, secret));
	return memcmp(want, branch.p, SIP_BRANCH_LEN) == 0;
}

void
sip_rrsig_make(struct sip_str callid, struct sip_str tag, uint64_t secret,
		char out[SIP_RRSIG_LEN])
{
	uint64_t h = secret ^ 0x72727369676eull; /* domain: "rrsign" */
	h = sip_hash_str(callid, h);
	put_hex64(out, sip_hash_str(tag, h));
}

void
sip_totag_make_f(const struct sip_fields *f, uint64_t secret, char out[SIP_TOTAG_LEN])
{
	out[0] = 's';
	out[1] = 'l';
	put_hex64(out + 2, totag_hash_of(f->callid, f->from.tag, &f->top, secret));
}

bool
sip_totag_is_ours_f(const struct sip_fields *f, uint64_t secret)
{
	char mine[SIP_TOTAG_LEN];

	if (f->to.tag.len != SIP_TOTAG_LEN || f->to.tag.p[0] != 's' || f->to.tag.p[1] != 'l')
		return false;
	sip_totag_make_f(f, secret, mine);
	return memcmp(mine, f->to.tag.p, SIP_TOTAG_LEN) == 0;
}
