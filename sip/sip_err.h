/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_ERR_H
#define SIP_ERR_H

/*
 * One table for every way a message can be refused: the enum, the status a
 * request gets for it (0 = drop silently) and the text. Functions in sip/
 * return 0 or a negative enum sip_err. A response with any error is dropped,
 * whatever the table says (RFC 3261 §16.7, RFC 4475 §3.1.2.5/§3.1.2.19).
 */

#define SIP_ERRORS(X) \
	X(OK, 0, "no error") \
	X(INCOMPLETE, 0, "incomplete message (stream transport: read more)") \
	X(EMPTY, 0, "keep-alive or empty datagram") \
	X(TOO_LARGE, 513, "message larger than 65535 bytes") \
	X(START_LINE, 400, "malformed start line") \
	X(REQUEST_URI, 400, "malformed Request-URI") \
	X(VERSION, 505, "SIP version not supported") \
	X(STATUS_CODE, 0, "status code not in 100..699") \
	X(HDR_LINE, 400, "malformed header line") \
	X(TOO_MANY_HDRS, 400, "too many header lines") \
	X(NO_END, 400, "header section not ended by an empty line") \
	X(CL_SYNTAX, 400, "malformed Content-Length") \
	X(CL_DUP, 400, "several Content-Length values") \
	X(CL_MISSING, 400, "Content-Length missing on a stream transport") \
	X(BODY_SHORT, 400, "body shorter than Content-Length") \
	X(MISSING_HDR, 400, "missing mandatory header") \
	X(DUP_HDR, 400, "several values of a single-value header") \
	X(VIA, 400, "malformed Via") \
	X(NAMEADDR, 400, "malformed address (From/To/Contact/Route)") \
	X(URI, 400, "malformed URI") \
	X(CALLID, 400, "malformed Call-ID") \
	X(CSEQ, 400, "malformed or out-of-range CSeq") \
	X(CSEQ_METHOD, 400, "CSeq method differs from the request method") \
	X(CSEQ_UNKNOWN, 501, "unknown method with a CSeq method mismatch") \
	X(MAX_FORWARDS, 400, "malformed or out-of-range Max-Forwards") \
	X(EXPIRES, 400, "malformed Expires") \
	X(SCHEME, 416, "unsupported Request-URI scheme") \
	X(URI_HEADERS, 400, "Request-URI carries ?headers") \
	X(TOO_MANY_HOPS, 483, "Max-Forwards is zero") \
	X(BAD_EXTENSION, 420, "Proxy-Require lists an extension we do not support") \
	X(AUTH, 400, "malformed Authorization credentials") \
	X(NOSPACE, 0, "output buffer too small")

enum sip_err {
#define SIP_ERR_ENUM(name, status, text) SIP_E_##name,
	SIP_ERRORS(SIP_ERR_ENUM)
#undef SIP_ERR_ENUM
	SIP_E__COUNT
};

/* Status a request gets for err (0: drop it). err may be negative. */
unsigned sip_err_status(int err);
/* Human-readable text for err (negative or positive). Never NULL. */
const char *sip_err_text(int err);
/* Short identifier, e.g. "CL_SYNTAX". Never NULL. */
const char *sip_err_name(int err);

#endif
