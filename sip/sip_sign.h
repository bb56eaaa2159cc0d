/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_SIGN_H
#define SIP_SIGN_H

/*
 * The signatures a stateless element puts in what it sends, and checks in
 * what comes back, instead of keeping state: the branch of the Via we add
 * to a forwarded request (RFC 3261 §16.11), the To-tag of our own replies
 * (§8.2.7) and the ";sl=" parameter of our Record-Route.
 *
 * Each is a MAC: SipHash-2-4 (libsodium's crypto_shorthash) with a 128-bit
 * key over a canonical, length-prefixed encoding of exactly the fields that
 * decide what we later accept or where we send: 64 bits, written as 16 hex
 * digits. An attacker who sees any number of our tags learns
 * nothing about the key; forging one for new inputs succeeds with
 * probability 2^-64 per attempt. Verification compares in constant time
 * and accepts the previous key during a rotation (struct sip_keyring).
 *
 * What is signed (docs/security.md has the reasoning):
 *  - branch: the previous hop's Via identity (its branch when it carries
 *    the RFC 3261 cookie; else its sent-by, From-tag, Call-ID and CSeq
 *    number), its transport, and the origin: the source address and port
 *    the request came from, which we write into that Via as received and
 *    rport. A response is relayed only if our branch verifies against its
 *    second Via's received and rport, which is then where it goes: no
 *    forged or replayed response can be sent anywhere else. The method is
 *    not signed: an INVITE, its retransmission, its CANCEL and the ACK for
 *    a non-2xx response get the same branch.
 *  - To-tag: Call-ID, From-tag and the top Via identity, which the ACK for
 *    our 3xx-6xx repeats (so we absorb it).
 *  - Record-Route: the dialog (Call-ID and its tags), the direction, and the
 *    remote target of that direction (the URI the request is relayed to).
 *
 * No allocation, no system calls (libsip's promise).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_addr.h"
#include "sip_str.h"
#include "sip_via.h"

#define SIP_KEY_LEN 16

/* A signing key; sip_key_set() derives the inner key used for long fields. */
struct sip_key {
	uint8_t k[SIP_KEY_LEN];
	uint8_t inner[SIP_KEY_LEN];
};

/*
 * The keys a verifier accepts. cur signs; prev, if set, is still accepted
 * (a key rotation's grace period: live dialogs keep working).
 */
struct sip_keyring {
	struct sip_key cur;
	struct sip_key prev;
	bool has_prev;
};

/* Install raw key bytes. */
void sip_key_set(struct sip_key *k, const uint8_t raw[SIP_KEY_LEN]);

/*
 * Raw key bytes from 32 hex digits. Returns 0, -1 if the text is not
 * exactly 32 hex digits, -2 if the key is weak (sip_key_is_weak()).
 */
int sip_key_parse_hex(const char *p, size_t len, uint8_t raw[SIP_KEY_LEN]);

/*
 * A key nobody should use: all bytes alike (0, all ones...) or fewer than
 * six distinct hex digits (a random key has about fifteen).
 */
bool sip_key_is_weak(const uint8_t raw[SIP_KEY_LEN]);

/*
 * Public fingerprint (16 hex digits): equal for equal keys, says nothing
 * about the key. Processes that must sign alike compare it.
 */
#define SIP_KEY_FP_LEN 16
void sip_key_fingerprint(const struct sip_key *k, char out[SIP_KEY_FP_LEN]);

/* Where a request came from, and so where its responses go back. */
struct sip_origin {
	struct sip_addr addr;
	uint16_t port;
};

/* "z9hG4bK" "sl" 16 hex digits */
#define SIP_BRANCH_LEN 25
/* "sl" 16 hex digits */
#define SIP_TOTAG_LEN 18
/* 16 hex digits, in ";sl=" of our Record-Route */
#define SIP_RRSIG_LEN 16

struct sip_fields;

/*
 * Branch for the Via we add to a request forwarded statelessly: f from
 * sip_inspect() of the request (f->top is the previous hop's Via), from
 * the request's source (which the forwarded Via carries as received/rport).
 */
void sip_branch_sign(const struct sip_fields *f, const struct sip_origin *from,
		const struct sip_key *k, char out[SIP_BRANCH_LEN]);

/*
 * A response may be relayed: its top Via branch is the one we gave the
 * request whose Via is now the response's second one, prev, and to (from
 * sip_via_origin() of prev) is where that request came from. f: fields of
 * the response (From-tag, Call-ID, CSeq for RFC 2543 peers).
 */
bool sip_branch_verify(struct sip_str branch, const struct sip_via *prev,
		const struct sip_origin *to, const struct sip_fields *f, const struct sip_keyring *kr);

/*
 * Where a response goes, from the Via below ours: its received and rport,
 * which we wrote when we forwarded the request. 0, or -1 when either is
 * missing or unusable (then it is not a Via we forwarded).
 */
int sip_via_origin(const struct sip_via *v, struct sip_origin *o);

/* To-tag for our stateless reply to a request (f from sip_inspect()). */
void sip_totag_sign(const struct sip_fields *f, const struct sip_key *k,
		char out[SIP_TOTAG_LEN]);
/* The request (an ACK) carries in its To the tag we gave its INVITE. */
bool sip_totag_verify(const struct sip_fields *f, const struct sip_keyring *kr);

/*
 * Record-Route signatures. Our Record-Route in an initial request carries
 * the "up" signature: requests of the callee towards the caller, bound to
 * the caller's side target (the Record-Route below ours, else the caller's
 * Contact). In the responses that create the dialog we re-sign it "down":
 * requests of the caller towards the callee, bound to the callee's side
 * target (the Record-Route above ours, else the callee's Contact) and to
 * the callee's tag. callid and tags as written; target a URI as written.
 */
void sip_rrsig_up(struct sip_str callid, struct sip_str caller_tag, struct sip_str target,
		const struct sip_key *k, char out[SIP_RRSIG_LEN]);
void sip_rrsig_down(struct sip_str callid, struct sip_str caller_tag, struct sip_str callee_tag,
		struct sip_str target, const struct sip_key *k, char out[SIP_RRSIG_LEN]);

/*
 * An in-dialog request (Call-ID, From-tag, To-tag) relayed to target
 * carries a signature we gave its dialog for that direction and target.
 */
bool sip_rrsig_verify(struct sip_str sig, struct sip_str callid, struct sip_str from_tag,
		struct sip_str to_tag, struct sip_str target, const struct sip_keyring *kr);

#endif
