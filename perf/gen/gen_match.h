/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_MATCH_H
#define GEN_MATCH_H

/*
 * What came back, matched to what was sent without any per-request table
 * walk: the Call-ID the generator wrote (gen_tmpl.h) carries the request's
 * class, sequence number and send time, so a reply names its request.
 * A bitmap over a window of sequence numbers tells first answers from
 * duplicates (retransmissions answered twice, a router that answers twice).
 */

#include <stdbool.h>
#include <stdint.h>

enum gen_kind {
	GEN_K_1XX = 0,
	GEN_K_2XX,
	GEN_K_3XX,
	GEN_K_4XX,
	GEN_K_5XX,
	GEN_K_6XX,
	GEN_K_REQUEST,   /* a request (on the gateway side: a forwarded one) */
	GEN_K_FOREIGN,   /* SIP, but not one of ours (no Call-ID of ours) */
	GEN_K_GARBAGE,   /* not SIP */
	GEN_K__N
};

struct gen_msg {
	enum gen_kind kind;
	uint16_t status;     /* responses */
	char cls;            /* from the Call-ID */
	uint64_t seq, tsc;   /* from the Call-ID */
	const char *callid; /* the Call-ID value (36 bytes + "@host") */
};

/* Classify the payload p[0..len) and read our Call-ID out of it. */
enum gen_kind gen_match(const char *p, uint32_t len, struct gen_msg *m);

/*
 * The final status expected for a class: 'r' 3xx, 'f' what the gateway
 * answers for that sequence number (gw_status), 'n' the no-route status,
 * 'o' any (0).
 */
struct gen_expect {
	uint16_t noroute;              /* 404 by default */
	uint16_t gw_codes[3];          /* gateway answers: codes and per-cent weights */
	uint8_t gw_weights[3];
	unsigned gw_n;
};

/* The gateway's answer for sequence number seq (deterministic: both sides compute it). */
uint16_t gen_gw_status(const struct gen_expect *e, uint64_t seq);
/* Does status answer a request of class cls as expected? */
bool gen_expected(const struct gen_expect *e, char cls, uint64_t seq, uint16_t status);

/* First answers vs duplicates over a window of 2^bits sequence numbers. */
struct gen_seen {
	uint64_t *bits;
	uint64_t mask;
};

int gen_seen_init(struct gen_seen *s, unsigned bits);
void gen_seen_free(struct gen_seen *s);

/* A request with this number left: forget any old answer in its slot. */
static inline void
gen_seen_sent(struct gen_seen *s, uint64_t seq)
{
	uint64_t i = seq & s->mask;
	__atomic_fetch_and(&s->bits[i >> 6], ~(1ull << (i & 63)), __ATOMIC_RELAXED);
}

/* An answer for seq: true if it is the first. */
static inline bool
gen_seen_answer(struct gen_seen *s, uint64_t seq)
{
	uint64_t i = seq & s->mask;
	uint64_t bit = 1ull << (i & 63);
	return (__atomic_fetch_or(&s->bits[i >> 6], bit, __ATOMIC_RELAXED) & bit) == 0;
}

#endif
