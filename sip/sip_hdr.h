/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_HDR_H
#define SIP_HDR_H

#include <stddef.h>

/*
 * Header types known to the parser: one table for long and compact names.
 * X(enum suffix, long name, compact letter or 0, kind)
 * kind: SINGLE (one value per message), LIST (comma-separated values, may
 * repeat), OPAQUE (neither; never split on commas).
 * Names not listed are indexed as SIP_HDR_OTHER and kept opaque.
 */

#define SIP_HEADERS(X) \
	X(OTHER, "", 0, OPAQUE) \
	X(VIA, "Via", 'v', LIST) \
	X(FROM, "From", 'f', SINGLE) \
	X(TO, "To", 't', SINGLE) \
	X(CALL_ID, "Call-ID", 'i', SINGLE) \
	X(CSEQ, "CSeq", 0, SINGLE) \
	X(MAX_FORWARDS, "Max-Forwards", 0, SINGLE) \
	X(CONTENT_LENGTH, "Content-Length", 'l', SINGLE) \
	X(CONTENT_TYPE, "Content-Type", 'c', SINGLE) \
	X(CONTACT, "Contact", 'm', LIST) \
	X(ROUTE, "Route", 0, LIST) \
	X(RECORD_ROUTE, "Record-Route", 0, LIST) \
	X(EXPIRES, "Expires", 0, SINGLE) \
	X(MIN_EXPIRES, "Min-Expires", 0, SINGLE) \
	X(REQUIRE, "Require", 0, LIST) \
	X(PROXY_REQUIRE, "Proxy-Require", 0, LIST) \
	X(SUPPORTED, "Supported", 'k', LIST) \
	X(UNSUPPORTED, "Unsupported", 0, LIST) \
	X(ALLOW, "Allow", 0, LIST) \
	X(ACCEPT, "Accept", 0, LIST) \
	X(PATH, "Path", 0, LIST) \
	X(SUBJECT, "Subject", 's', OPAQUE) \
	X(EVENT, "Event", 'o', OPAQUE) \
	X(ALLOW_EVENTS, "Allow-Events", 'u', LIST) \
	X(REFER_TO, "Refer-To", 'r', OPAQUE) \
	X(REFERRED_BY, "Referred-By", 'b', OPAQUE) \
	X(SESSION_EXPIRES, "Session-Expires", 'x', OPAQUE) \
	X(ACCEPT_CONTACT, "Accept-Contact", 'a', LIST) \
	X(REJECT_CONTACT, "Reject-Contact", 'j', LIST) \
	X(REQUEST_DISPOSITION, "Request-Disposition", 'd', LIST) \
	X(CONTENT_ENCODING, "Content-Encoding", 'e', LIST) \
	X(IDENTITY, "Identity", 'y', OPAQUE) \
	X(IDENTITY_INFO, "Identity-Info", 'n', OPAQUE) \
	X(AUTHORIZATION, "Authorization", 0, OPAQUE) \
	X(PROXY_AUTHORIZATION, "Proxy-Authorization", 0, OPAQUE) \
	X(WWW_AUTHENTICATE, "WWW-Authenticate", 0, OPAQUE) \
	X(PROXY_AUTHENTICATE, "Proxy-Authenticate", 0, OPAQUE) \
	X(USER_AGENT, "User-Agent", 0, OPAQUE) \
	X(SERVER, "Server", 0, OPAQUE) \
	X(RETRY_AFTER, "Retry-After", 0, OPAQUE) \
	X(DATE, "Date", 0, OPAQUE) \
	X(WARNING, "Warning", 0, LIST) \
	X(P_ASSERTED_IDENTITY, "P-Asserted-Identity", 0, LIST) \
	X(DIVERSION, "Diversion", 0, LIST) \
	X(RSEQ, "RSeq", 0, SINGLE) \
	X(RACK, "RAck", 0, SINGLE)

enum sip_hdr_type {
#define SIP_HDR_ENUM(e, name, compact, kind) SIP_HDR_##e,
	SIP_HEADERS(SIP_HDR_ENUM)
#undef SIP_HDR_ENUM
	SIP_HDR__COUNT
};

enum sip_hdr_kind {
	SIP_HDR_KIND_OPAQUE,
	SIP_HDR_KIND_SINGLE,
	SIP_HDR_KIND_LIST,
};

/* Canonical long name of a type ("" for OTHER). */
const char *sip_hdr_name(enum sip_hdr_type t);
enum sip_hdr_kind sip_hdr_kind(enum sip_hdr_type t);

/*
 * Type of the header named name[0..len). limit is one past the last byte of
 * the buffer the name lives in: the lookup may read (not use) bytes up to
 * limit, never beyond. Case-insensitive; long and compact names.
 */
enum sip_hdr_type sip_hdr_lookup(const char *name, size_t len, const char *limit);

#endif
