/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_uri.h"

#include <string.h>

#include "sip_addr.h"
#include "sip_err.h"
#include "sip_lex.h"

enum sip_scheme
sip_scheme_lookup(struct sip_str s)
{
	if (SIP_STR_CASEEQ_LIT(s, "sip"))
		return SIP_SCHEME_SIP;
	if (SIP_STR_CASEEQ_LIT(s, "sips"))
		return SIP_SCHEME_SIPS;
	if (SIP_STR_CASEEQ_LIT(s, "tel"))
		return SIP_SCHEME_TEL;
	return SIP_SCHEME_OTHER;
}

const char *
sip_hostport_parse(struct sip_uri *u, const char *p, const char *end, bool lws_colon)
{
	const char *h = p;

	if (p < end && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));
		if (rb == NULL || sip_ipv6_parse(p + 1, (size_t)(rb - p - 1), u->addr.a, false) != 0)
			return NULL;
		u->addr.af = SIP_AF_INET6;
		u->host = sip_str_span(p + 1, rb);
		u->host_type = SIP_HOST_IPV6;
		p = rb + 1;
	} else if (p < end && (unsigned char)(*p - '0') <= 9 && sip_ipv4_scan(&p, end, u->addr.a) == 0 &&
			(p == end || !sip_is((unsigned char)*p, SIP_C_HOST))) {
		/* The common case in carrier traffic: an IPv4 address, read in one pass. */
		u->host = sip_str_span(h, p);
		u->addr.af = SIP_AF_INET;
		u->host_type = SIP_HOST_IPV4;
	} else {
		p = h; /* not a whole IPv4 address: read it as a host name */
		/* One pass: hostname characters, noting whether all are digits and dots. */
		unsigned alpha;
		p = lex_hostname(p, end, &alpha);
		if (p == h)
			return NULL;
		u->host = sip_str_span(h, p);
		if (!alpha) {
			/* All digits and dots: it must be an IPv4 address (a toplabel starts with ALPHA). */
			if (sip_ipv4_parse(h, (size_t)(p - h), u->addr.a) != 0)
				return NULL;
			u->addr.af = SIP_AF_INET;
			u->host_type = SIP_HOST_IPV4;
		} else {
			if (h[0] == '-' || h[0] == '.')
				return NULL;
			u->host_type = SIP_HOST_NAME;
		}
	}
	const char *c = lws_colon ? lex_lws(p, end) : p;
	if (c < end && *c == ':') {
		p = lws_colon ? lex_lws(c + 1, end) : c + 1;
		const char *d = p;
		uint64_t port;
		p = lex_span(p, end, SIP_C_DIGIT);
		if (lex_uint(d, p, 65535, &port) != 0)
			return NULL;
		u->port = (uint16_t)port;
		u->has_port = 1;
	}
	u->hostport = sip_str_span(h, p);
	return p;
}

/* uri-parameters: *( ";" pname [ "=" pvalue ] ), up to '?' or end. */
static const char *
check_uri_params(const char *p, const char *end)
{
	while (p < end && *p == ';') {
		const char *n = ++p;
		p = sip_span_escaped(p, end, SIP_C_UNRESERVED | SIP_C_PARAM);
		if (p == NULL || p == n)
			return NULL;
		if (p < end && *p == '=') {
			const char *v = ++p;
			p = sip_span_escaped(p, end, SIP_C_UNRESERVED | SIP_C_PARAM);
			if (p == NULL || p == v)
				return NULL;
		}
	}
	return p;
}

/* headers: hname "=" hvalue *( "&" hname "=" hvalue ) */
static int
check_uri_headers(const char *p, const char *end)
{
	for (;;) {
		const char *n = p;
		p = sip_span_escaped(p, end, SIP_C_UNRESERVED | SIP_C_HNV);
		if (p == NULL || p == n || p == end || *p != '=')
			return -1;
		p = sip_span_escaped(p + 1, end, SIP_C_UNRESERVED | SIP_C_HNV);
		if (p == NULL)
			return -1;
		if (p == end)
			return 0;
		if (*p != '&')
			return -1;
		p++;
	}
}

static int
parse_sip(struct sip_uri *u, const char *p, const char *end)
{
	const char *at = lex_find(p, end, '@');

	if (at != end) {
		const char *q = sip_span_escaped(p, at, SIP_C_UNRESERVED | SIP_C_USER);
		if (q == NULL || q == p)
			return -1;
		u->user = sip_str_span(p, q);
		u->has_user = 1;
		if (q < at) {
			if (*q != ':')
				return -1;
			const char *pw = q + 1;
			q = sip_span_escaped(pw, at, SIP_C_UNRESERVED | SIP_C_PASSWORD);
			if (q != at)
				return -1;
			u->password = sip_str_span(pw, at);
		}
		p = at + 1;
	}
	p = sip_hostport_parse(u, p, end, false);
	if (p == NULL)
		return -1;
	if (p < end && *p == ';') {
		const char *ps = p + 1;
		p = check_uri_params(p, end);
		if (p == NULL)
			return -1;
		u->params = sip_str_span(ps, p);
	}
	if (p < end && *p == '?') {
		u->headers = sip_str_span(p + 1, end);
		return check_uri_headers(p + 1, end);
	}
	return p == end ? 0 : -1;
}

/* RFC 3966: global-number ("+" digits and visual separators) or local-number. */
static int
parse_tel(struct sip_uri *u, const char *p, const char *end)
{
	const char *n = p;

	if (p < end && *p == '+')
		p++;
	while (p < end && (sip_is((unsigned char)*p, SIP_C_HEX) || *p == '*' || *p == '#' ||
			*p == '-' || *p == '.' || *p == '(' || *p == ')'))
		p++;
	if (p == n || (p == n + 1 && *n == '+'))
		return -1;
	u->user = sip_str_span(n, p);
	if (p < end && *p == ';') {
		const char *ps = p + 1;
		p = check_uri_params(p, end);
		if (p == NULL)
			return -1;
		u->params = sip_str_span(ps, p);
	}
	return p == end ? 0 : -1;
}

int
sip_uri_parse_full(struct sip_uri *u, const char *p, size_t len)
{
	const char *end = p + len;
	const char *q;

	memset(u, 0, sizeof(*u));
	if (len == 0 || !sip_is((unsigned char)*p, SIP_C_ALPHA))
		return -SIP_E_URI;
	q = lex_span(p, end, SIP_C_SCHEME);
	if (q == end || *q != ':')
		return -SIP_E_URI;
	u->scheme = sip_str_span(p, q);
	u->scheme_id = (uint8_t)sip_scheme_lookup(u->scheme);
	q++;
	u->opaque = sip_str_span(q, end);

	switch (u->scheme_id) {
	case SIP_SCHEME_SIP:
	case SIP_SCHEME_SIPS:
		return parse_sip(u, q, end) == 0 ? 0 : -SIP_E_URI;
	case SIP_SCHEME_TEL:
		return parse_tel(u, q, end) == 0 ? 0 : -SIP_E_URI;
	default:
		/* absoluteURI: anything printable but LWS, quotes and angle brackets. */
		if (q == end)
			return -SIP_E_URI;
		for (; q < end; q++) {
			unsigned char c = (unsigned char)*q;
			if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == 0x7f)
				return -SIP_E_URI;
		}
		return 0;
	}
}

int
sip_param_next(struct sip_str s, uint32_t *pos, struct sip_param *out)
{
	/* An absent view is {NULL, 0} (u.params without ';'): NULL + 0 is undefined in C. */
	if (s.len == 0)
		return 0;
	const char *p = s.p + *pos;
	const char *end = s.p + s.len;

	p = lex_lws(p, end);
	if (p == end)
		return 0;
	if (*pos != 0) {
		/* Every parameter after the first is introduced by ';'; ',' ends a list value. */
		if (*p == ',') {
			*pos = (uint32_t)(p - s.p);
			return 0;
		}
		if (*p != ';')
			return -1;
		p = lex_lws(p + 1, end);
	}
	const char *n = p;
	p = sip_span_escaped(p, end, SIP_C_TOKEN | SIP_C_UNRESERVED | SIP_C_PARAM);
	if (p == NULL || p == n)
		return -1;
	out->name = sip_str_span(n, p);
	out->has_value = false;
	out->value = sip_str_make(p, 0);
	p = lex_lws(p, end);
	if (p < end && *p == '=') {
		p = lex_lws(p + 1, end);
		const char *v = p;
		if (p < end && *p == '"') {
			p = lex_quoted(p, end);
		} else if (p < end && *p == '[') {
			const char *rb = memchr(p, ']', (size_t)(end - p));
			p = rb ? rb + 1 : NULL;
		} else {
			p = sip_span_escaped(p, end, SIP_C_TOKEN | SIP_C_UNRESERVED | SIP_C_PARAM);
			if (p == v)
				p = NULL;
		}
		if (p == NULL)
			return -1;
		out->value = sip_str_span(v, p);
		out->has_value = true;
		p = lex_lws(p, end);
	}
	if (p < end && *p != ';' && *p != ',')
		return -1;
	*pos = (uint32_t)(p - s.p); /* > 0: a name was consumed */
	return 1;
}

int
sip_param_get(struct sip_str s, const char *name, size_t nlen, struct sip_str *val)
{
	struct sip_param prm;
	uint32_t pos = 0;
	int rc;

	while ((rc = sip_param_next(s, &pos, &prm)) == 1) {
		if (sip_str_caseeq(prm.name, name, nlen)) {
			*val = prm.value;
			return 1;
		}
	}
	return rc;
}

int
sip_unescape(char *dst, size_t cap, struct sip_str src)
{
	size_t n = 0;

	for (uint32_t i = 0; i < src.len; i++) {
		char c = src.p[i];
		if (c == '%') {
			if (src.len - i < 3)
				return -1;
			int hi = sip_hexval((unsigned char)src.p[i + 1]);
			int lo = sip_hexval((unsigned char)src.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (n == cap)
			return -1;
		dst[n++] = c;
	}
	return (int)n;
}
