/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The URIs carriers write, parsed in one pass: "sip:" or "sips:" (any case),
 * an optional user part without escapes or password, an IPv4 dotted quad or
 * a host name, an optional ":port", then *(";" name ["=" value]) to the end;
 * and "tel:" numbers with the same parameters. Anything else -- escapes, a
 * password, IPv6 references, "?headers", other schemes, bad syntax -- is
 * left to the full parser (sip_uri_parse_full()), which stays the
 * specification: the fast path either returns exactly what the full parser
 * would, or declines. sip_uri_fast_compare() (tests/common/sip_exercise.c)
 * holds both to that in the unit tests (tests/sip/test_uri.c), the corpus
 * runs and the fuzzers.
 *
 * The full parser starts with a memset() of the whole struct; the fast path
 * writes every member instead (absent views as {NULL, 0}, addr zeroed
 * before the IPv4 scan writes into it). Padding is left as it was: nothing
 * reads it, and the compare checks members, not bytes.
 */
#include "sip_uri.h"

#include "sip_fast.h"
#include "sip_lex.h"

/* Bytes of a URI parameter name or value without escapes (check_uri_params()'s class). */
#define FAST_URI_PARAM_CLS (SIP_C_UNRESERVED | SIP_C_PARAM)
/* Bytes of a user part without escapes (parse_sip()'s class). */
#define FAST_URI_USER_CLS (SIP_C_UNRESERVED | SIP_C_USER)
/* Four bytes as one word (constant-folded for literals; any byte order). */
static inline uint32_t
load4(const char *s)
{
	uint32_t v;
	memcpy(&v, s, 4);
	return v;
}

/*
 * The host at h as sip_hostport_parse() reads it without brackets: the byte
 * after it, with u->host, host_type and addr set as the full parser sets
 * them (addr included when a host name starts like an IPv4 address: the
 * scan's partial writes stay, as they do there). *ok is false when the full
 * parser would refuse that host (empty, all digits and dots, a leading '-'
 * or '.').
 */
__attribute__((always_inline)) static inline const char *
fast_host(struct sip_uri *u, const char *h, const char *end, bool *ok)
{
	const char *p = h;
	unsigned alpha;

	memset(&u->addr, 0, sizeof(u->addr));
	if (p < end && (unsigned char)(*p - '0') <= 9 && sip_ipv4_scan(&p, end, u->addr.a) == 0 &&
			(p == end || !sip_is((unsigned char)*p, SIP_C_HOST))) {
		u->host = sip_str_span(h, p);
		u->addr.af = SIP_AF_INET;
		u->host_type = SIP_HOST_IPV4;
		*ok = true;
		return p;
	}
	p = lex_hostname(h, end, &alpha);
	u->host = sip_str_span(h, p);
	u->host_type = SIP_HOST_NAME;
	*ok = alpha && h[0] != '-' && h[0] != '.';
	return p;
}

/* The parameters from the ';' at p to end, without escapes: 0, or 1 to decline. */
__attribute__((always_inline)) static inline int
fast_params(const char *p, const char *end)
{
	do {
		const char *n = ++p;
		p = lex_span(p, end, FAST_URI_PARAM_CLS);
		if (p == n)
			return 1;
		if (p < end && *p == '=') {
			const char *v = ++p;
			p = lex_span(p, end, FAST_URI_PARAM_CLS);
			if (p == v)
				return 1;
		}
	} while (p < end && *p == ';');
	return p == end ? 0 : 1;
}

/* What follows the host or number at p: nothing, or ";params" to the end. 0, or 1 to decline. */
__attribute__((always_inline)) static inline int
fast_tail(struct sip_uri *u, const char *p, const char *end)
{
	u->params = SIP_STR_NULL;
	if (p == end)
		return 0;
	if (*p != ';' || fast_params(p, end) != 0)
		return 1;
	u->params = sip_str_span(p + 1, end);
	return 0;
}

/* The rest of a SIP/SIPS URI after "scheme:" at q: 0, or 1 to decline. */
static int
fast_sip(struct sip_uri *u, const char *q, const char *end)
{
	const char *h = q, *p;
	bool ok;

	/*
	 * Read a host first: most URIs in a Route have no user part. A host
	 * ends at ':', ';' or the end; at any other byte what was read is a
	 * user part if an '@' follows (the full parser splits at the first
	 * '@', and no byte the fast path reads after a host can be one). A
	 * first byte no host starts with ('+' of a number) goes straight to
	 * the user part.
	 */
	p = q;
	ok = false;
	if (q < end && sip_is((unsigned char)*q, SIP_C_HOST))
		p = fast_host(u, q, end, &ok);
	if (p == q || (p < end && *p != ':' && *p != ';')) {
		if (p < end && *p != '@')
			p = lex_span(p, end, FAST_URI_USER_CLS);
		if (p == q || p == end || *p != '@')
			return 1;
		u->user = sip_str_span(q, p);
		u->has_user = 1;
		h = p + 1;
		p = fast_host(u, h, end, &ok);
		if (p < end && *p != ':' && *p != ';')
			return 1;
	} else {
		u->user = SIP_STR_NULL;
		u->has_user = 0;
	}
	if (!ok)
		return 1;
	u->port = 0;
	u->has_port = 0;
	if (p < end && *p == ':') {
		p++;
		if (sip_fast_port(&p, end, &u->port) != 0)
			return 1;
		u->has_port = 1;
	}
	u->hostport = sip_str_span(h, p);
	return fast_tail(u, p, end);
}

/* The rest of a TEL URI after "tel:" at q, as parse_tel() reads it: 0, or 1 to decline. */
static int
fast_tel(struct sip_uri *u, const char *q, const char *end)
{
	const char *n = q, *p = q;

	if (p < end && *p == '+')
		p++;
	while (p < end && (sip_is((unsigned char)*p, SIP_C_HEX) || *p == '*' || *p == '#' ||
			*p == '-' || *p == '.' || *p == '(' || *p == ')'))
		p++;
	if (p == n || (p == n + 1 && *n == '+'))
		return 1;
	u->user = sip_str_span(n, p);
	u->has_user = 0;
	u->host = SIP_STR_NULL;
	u->hostport = SIP_STR_NULL;
	memset(&u->addr, 0, sizeof(u->addr));
	u->host_type = SIP_HOST_NONE;
	u->port = 0;
	u->has_port = 0;
	return fast_tail(u, p, end);
}

/* 0 and the same *u as sip_uri_parse_full(), or 1: not a common form. */
static int
uri_fast(struct sip_uri *u, const char *p, size_t len)
{
	const char *end = p + len, *q;
	uint8_t id;

	/*
	 * The scheme, any case (sip_scheme_lookup()): "sip:", "sips:", "tel:" as
	 * one 4-byte compare. Setting bit 5 maps exactly 'S' and 's' (and so on
	 * for each letter) to the lower-case letter; ':' is compared as is.
	 */
	if (len < 4)
		return 1;
	uint32_t w = load4(p);
	const uint32_t lower3 = load4("\x20\x20\x20\x00"), lower4 = load4("\x20\x20\x20\x20");
	if ((w | lower3) == load4("sip:")) {
		id = SIP_SCHEME_SIP;
		q = p + 3;
	} else if ((w | lower4) == load4("sips") && len > 4 && p[4] == ':') {
		id = SIP_SCHEME_SIPS;
		q = p + 4;
	} else if ((w | lower3) == load4("tel:")) {
		id = SIP_SCHEME_TEL;
		q = p + 3;
	} else {
		return 1;
	}
	u->scheme = sip_str_span(p, q);
	u->scheme_id = id;
	q++;
	u->opaque = sip_str_span(q, end);
	u->password = SIP_STR_NULL;
	u->headers = SIP_STR_NULL;
	return id == SIP_SCHEME_TEL ? fast_tel(u, q, end) : fast_sip(u, q, end);
}

int
sip_uri_parse(struct sip_uri *u, const char *p, size_t len)
{
	if (uri_fast(u, p, len) == 0)
		return 0;
	return sip_uri_parse_full(u, p, len);
}

int
sip_uri_parse_fast(struct sip_uri *u, const char *p, size_t len)
{
	return uri_fast(u, p, len);
}
