/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_HASH_H
#define SIP_HASH_H

/*
 * Deterministic identifiers of a stateless element (RFC 3261 §16.11,
 * §8.2.7): our Via branch and our To-tag are functions of the request and a
 * per-deployment secret, so a retransmission, the CANCEL and the ACK for a
 * non-2xx response map to the same values without any state.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_msg.h"
#include "sip_str.h"
#include "sip_via.h"

/* Keyed 64-bit hash (not cryptographic; fast, well mixed). */
uint64_t sip_hash64(const void *p, size_t len, uint64_t seed);

static inline uint64_t
sip_hash_str(struct sip_str s, uint64_t seed)
{
	return sip_hash64(s.p, s.len, seed);
}

/* "z9hG4bK" "sl" 16 hex digits */
#define SIP_BRANCH_LEN 25
/* "sl" 16 hex digits */
#define SIP_TOTAG_LEN 18

/*
 * Branch for the Via we add when forwarding m statelessly. If the top Via
 * branch carries the RFC 3261 cookie it is hashed with the top Via sent-by;
 * otherwise (RFC 2543 peers) From-tag, Call-ID, top Via and CSeq number
 * are. The method is never hashed, so INVITE, its CANCEL and the ACK for a
 * non-2xx response get the same branch; nor is the Request-URI, so a
 * response, which carries all the rest, can be checked against it.
 * Returns 0 or a negative enum sip_err (missing headers).
 */
int sip_branch_make(const struct sip_msg *m, const struct sip_via *top, uint64_t secret,
		char out[SIP_BRANCH_LEN]);

/*
 * To-tag for a stateless response to m: a signature over Call-ID, From-tag
 * and the top Via (branch, or sent-by for RFC 2543 peers). The ACK for that
 * response carries the same three, so sip_totag_is_ours() recognises it.
 */
int sip_totag_make(const struct sip_msg *m, const struct sip_via *top, uint64_t secret,
		char out[SIP_TOTAG_LEN]);
/* m (an ACK) carries in its To the tag we would have given its INVITE. */
bool sip_totag_is_ours(const struct sip_msg *m, const struct sip_via *top, uint64_t secret);

/*
 * The same three from what sip_inspect() already parsed (no re-parsing):
 * the fast path's versions. f must come from sip_inspect() of m.
 */
struct sip_fields;
int sip_branch_make_f(const struct sip_msg *m, const struct sip_fields *f, uint64_t secret,
		char out[SIP_BRANCH_LEN]);
void sip_totag_make_f(const struct sip_fields *f, uint64_t secret, char out[SIP_TOTAG_LEN]);
bool sip_totag_is_ours_f(const struct sip_fields *f, uint64_t secret);

/*
 * A response's top Via branch is one we made: the branch we would have
 * given the request whose top Via was prev (the response's second Via),
 * with the response's From-tag, Call-ID and CSeq (f from sip_inspect() of
 * the response). Stateless proof that we forwarded the request.
 */
bool sip_branch_is_ours_f(struct sip_str branch, const struct sip_via *prev,
		const struct sip_fields *f, uint64_t secret);

/*
 * Signature carried in our Record-Route (";sl=" 16 hex digits): keyed by the
 * Call-ID and the caller's From-tag. In-dialog requests carry it back in
 * their Route (from either side: the tag is then the From- or the To-tag),
 * so the router relays only dialogs it record-routed.
 */
#define SIP_RRSIG_LEN 16
void sip_rrsig_make(struct sip_str callid, struct sip_str tag, uint64_t secret,
		char out[SIP_RRSIG_LEN]);

/* Hash of a Call-ID value, for choices that must follow the call (gateway, worker). */
static inline uint64_t
sip_callid_hash(struct sip_str callid)
{
	return sip_hash64(callid.p, callid.len, 0x5349504c494e4531ull);
}

#endif
