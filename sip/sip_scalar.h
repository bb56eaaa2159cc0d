/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_SCALAR_H
#define SIP_SCALAR_H

/* Single-value headers with simple grammars: CSeq, Max-Forwards, Expires, Call-ID. */

#include <stdint.h>

#include "sip_msg.h"
#include "sip_str.h"

struct sip_cseq {
	uint32_t seq;          /* 0 .. 2^32-1 (RFC 3261 §8.1.1.5) */
	struct sip_str method;
	uint8_t method_id;     /* enum sip_method */
};

/* CSeq value "1*DIGIT LWS Method": 0 or -SIP_E_CSEQ (syntax, or seq >= 2^32). */
int sip_cseq_parse(struct sip_str v, struct sip_cseq *out);
/* The message's CSeq: 0, -SIP_E_MISSING_HDR or -SIP_E_CSEQ. */
int sip_msg_cseq(const struct sip_msg *m, struct sip_cseq *out);

/*
 * Max-Forwards: 1 and *out (0..255) if present, 0 if absent,
 * -SIP_E_MAX_FORWARDS if malformed or above 255.
 */
int sip_msg_max_forwards(const struct sip_msg *m, uint32_t *out);

/*
 * Expires (delta-seconds): 1 and *out if present, 0 if absent, -SIP_E_EXPIRES
 * if malformed. Values above 2^32-1 are clamped to it (RFC 3261 §20.19).
 */
int sip_msg_expires(const struct sip_msg *m, uint32_t *out);
/* Same rule for a delta-seconds string (Contact expires param). 0 or -1. */
int sip_delta_seconds(struct sip_str v, uint32_t *out);

/* Call-ID value (word ["@" word]): 0 or -SIP_E_CALLID. */
int sip_callid_check(struct sip_str v);
/* The message's Call-ID value: 0 or -SIP_E_MISSING_HDR. */
int sip_msg_callid(const struct sip_msg *m, struct sip_str *out);

#endif
