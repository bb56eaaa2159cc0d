/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_FAST_H
#define SIP_FAST_H

/*
 * Shared by the fast paths (sip_via_fast.c, sip_naddr_fast.c,
 * sip_uri_fast.c): a ":port", and the common form of header parameters,
 * ";name[=token]" with no LWS, quotes or brackets. Internal to sip/. A
 * fast path returns exactly what the full parser would, or declines and
 * leaves the value to it.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sip_lex.h"
#include "sip_str.h"
#include "sip_uri.h"

/* Bytes of a parameter name or token value (span_escaped()'s class; '%' is a token byte). */
#define SIP_FAST_PARAM_CLS (SIP_C_TOKEN | SIP_C_UNRESERVED | SIP_C_PARAM)

/* Whether p is at the end or at a byte that is not LWS (lex_lws() would not move). */
static inline bool
sip_fast_no_lws(const char *p, const char *end)
{
	return p == end || (unsigned char)*p > ' ';
}

/*
 * The digits of a ":port" at *pp (just after its ':'), as
 * sip_hostport_parse() reads them: 0 with *port and *pp after the digits;
 * -1 to decline (no digits, or a value past 65535).
 */
static inline int
sip_fast_port(const char **pp, const char *end, uint16_t *port)
{
	uint64_t v;
	const char *p = lex_uint_span(*pp, end, 65535, &v);

	if (p == NULL)
		return -1;
	*port = (uint16_t)v;
	*pp = p;
	return 0;
}

/*
 * One parameter at *pp (just after its ';'), as sip_param_next() would
 * read it: 1 with *out and *pp at the ';', ',' or end that follows; -1 to
 * decline (an empty name or value, a quoted or bracketed value, LWS, a
 * byte that ends neither). A value left out is {end of the name, 0}.
 */
static inline int
sip_fast_param(const char **pp, const char *end, struct sip_param *out)
{
	const char *p = *pp, *n = p;

	p = lex_span(p, end, SIP_FAST_PARAM_CLS);
	if (p == n)
		return -1;
	out->name = sip_str_span(n, p);
	out->value = sip_str_make(p, 0);
	out->has_value = false;
	if (p < end && *p == '=') {
		/* '[' opens an IPv6 value the full parser reads up to its ']'. */
		if (end - p < 2 || p[1] == '[')
			return -1;
		const char *v = ++p;
		p = lex_span(p, end, SIP_FAST_PARAM_CLS);
		if (p == v)
			return -1; /* empty, quoted, LWS: the full parser's */
		out->value = sip_str_span(v, p);
		out->has_value = true;
	}
	if (p < end && *p != ';' && *p != ',')
		return -1;
	*pp = p;
	return 1;
}

#endif
