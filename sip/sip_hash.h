/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_HASH_H
#define SIP_HASH_H

/*
 * A fast, well-mixed, non-cryptographic 64-bit hash: for choices that must
 * follow a value (a call's gateway and worker by Call-ID) and for tables.
 * Never for anything that decides what we accept as ours: that is what
 * the keyed MACs of sip_sign.h are for.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_str.h"

/* Keyed 64-bit hash (not cryptographic; fast, well mixed). */
uint64_t sip_hash64(const void *p, size_t len, uint64_t seed);

static inline uint64_t
sip_hash_str(struct sip_str s, uint64_t seed)
{
	return sip_hash64(s.p, s.len, seed);
}

/* Hash of a Call-ID value, for choices that must follow the call (gateway, worker). */
static inline uint64_t
sip_callid_hash(struct sip_str callid)
{
	return sip_hash64(callid.p, callid.len, 0x5349504c494e4531ull);
}

#endif
