/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_VALIDATE_H
#define SIP_VALIDATE_H

/*
 * What a proxy or a stateless UAS must check before acting on a message
 * (RFC 3261 §8.2, §16.3, §18.3). Each refusal names the error, the status
 * a request gets for it (0: drop) and the header it is about.
 */

#include <stdint.h>

#include "sip_msg.h"
#include "sip_naddr.h"
#include "sip_scalar.h"
#include "sip_uri.h"
#include "sip_via.h"

struct sip_verdict {
	int err;         /* 0 or a negative enum sip_err */
	uint16_t status; /* status for a request; 0 = accept (err 0) or drop */
	uint8_t hdr;     /* enum sip_hdr_type concerned, SIP_HDR_OTHER if none */
};

enum {
	/*
	 * Check every value of Via, Contact, Route and Record-Route and the URIs
	 * in From/To/Contact. Without it only what a stateless forwarder reads is
	 * checked: top Via, From/To (tags), Call-ID, CSeq, Max-Forwards, R-URI.
	 */
	SIP_VAL_STRICT = 1 << 0,
};

/* What validation parsed on the way, for the caller to reuse. */
struct sip_fields {
	struct sip_via top;     /* topmost Via value */
	struct sip_naddr from;
	struct sip_naddr to;
	struct sip_cseq cseq;
	struct sip_str callid;
	struct sip_uri ruri;    /* requests */
	uint32_t max_forwards;  /* valid if has_max_forwards */
	uint8_t has_max_forwards;
};

/*
 * Validate m, given rc, the value sip_parse() returned for it.
 * Returns v->err (0 if the message may be processed).
 */
int sip_validate(const struct sip_msg *m, int rc, unsigned flags, struct sip_verdict *v);

/*
 * sip_validate() that also returns the parsed fields in *f. When it returns
 * 0 every member of *f is set; on error only those checked before it.
 */
int sip_inspect(const struct sip_msg *m, int rc, unsigned flags, struct sip_verdict *v,
		struct sip_fields *f);

/*
 * Proxy checks before forwarding a valid request: Max-Forwards 0 gives
 * 483 (RFC 3261 §16.3 step 3); any Proxy-Require gives 420 (step 6: we
 * support no extension that a proxy must understand). Returns v->err.
 */
int sip_proxy_check(const struct sip_msg *m, struct sip_verdict *v);

#endif
