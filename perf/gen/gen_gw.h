/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_GW_H
#define GEN_GW_H

/*
 * The gateway side of sipline-gen: a request the router forwarded arrives;
 * check what the router did to it (its Via on top of ours, Max-Forwards
 * one less than we sent) and answer it statelessly (the Via lines, From,
 * To with a tag, Call-ID and CSeq copied, RFC 3261 §8.2.6).
 */

#include <stdbool.h>
#include <stdint.h>

struct gen_gw_check {
	unsigned vias;         /* Via values (header lines, comma-separated values counted) */
	int max_forwards;      /* -1: none */
	uint32_t branch_hash;  /* of the top Via's branch parameter (0: none) */
	bool top_is_router;    /* the top Via's sent-by is not ours */
};

/* Inspect a forwarded request; our_sent_by: the generator's "ip:port" as it wrote it. */
void gen_gw_inspect(const char *p, uint32_t len, const char *our_sent_by, struct gen_gw_check *c);

/*
 * The response (status, reason) to the request p[0..len) into out (cap
 * bytes): its length, or 0 if the request lacks a header a response needs
 * or out is too small.
 */
uint32_t gen_gw_answer(const char *p, uint32_t len, uint16_t status, char *out, uint32_t cap);

#endif
