/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Via every carrier element writes, parsed in one straight pass:
 * "SIP/2.0/" transport SP host[:port] *(";" name ["=" token]) up to the end
 * of the value or a ','. Anything else -- LWS other than the one SP, quoted
 * or bracketed parameter values, empty names, bad syntax -- is left to the
 * full parser (sip_via_parse_full()), which stays the specification: the
 * fast path either returns exactly what the full parser would, or declines.
 * tests/sip/test_via_fast.c and tests/fuzz/fuzz_via.c hold both to that.
 */
#include "sip_via.h"

#include "sip_lex.h"
#include "sip_uri.h"

/* Bytes of a via-param name or token value (span_escaped()'s class; '%' is a token byte). */
#define PARAM_CLS (SIP_C_TOKEN | SIP_C_UNRESERVED | SIP_C_PARAM)

/* Whether p is at the end or at a byte that is not LWS (lex_lws() would not move). */
static inline bool
no_lws(const char *p, const char *end)
{
	return p == end || (unsigned char)*p > ' ';
}

/* The parameters after the first ';' at p; 0 with *stop at ',' or end, 1 to decline. */
static int
fast_params(struct sip_via *v, const char *p, const char *end, const char **stop)
{
	for (;;) {
		const char *n = p;
		p = lex_span(p, end, PARAM_CLS);
		if (p == n)
			return 1;
		const char *ne = p;
		struct sip_str val = sip_str_make(p, 0);
		bool has_value = false;
		if (p < end && *p == '=') {
			/* '[' opens an IPv6 value the full parser reads up to its ']'. */
			if (end - p < 2 || p[1] == '[')
				return 1;
			const char *s = ++p;
			p = lex_span(p, end, PARAM_CLS);
			if (p == s)
				return 1; /* empty, quoted, [IPv6], LWS: the full parser's */
			val = sip_str_span(s, p);
			has_value = true;
		}
		if (p < end && *p != ';' && *p != ',')
			return 1;

		struct sip_str name = sip_str_span(n, ne);
		switch (name.len) {
		case 3:
			if (SIP_STR_CASEEQ_LIT(name, "ttl"))
				v->ttl = val;
			break;
		case 5:
			if (SIP_STR_CASEEQ_LIT(name, "rport")) {
				v->rport = val;
				v->rport_name_end = ne;
				v->has_rport = 1;
			} else if (SIP_STR_CASEEQ_LIT(name, "maddr")) {
				v->maddr = val;
				v->has_maddr = 1;
			}
			break;
		case 6:
			if (SIP_STR_CASEEQ_LIT(name, "branch")) {
				if (!has_value)
					return 1;
				v->branch = val;
				v->has_branch = 1;
			}
			break;
		case 8:
			if (SIP_STR_CASEEQ_LIT(name, "received")) {
				if (!has_value)
					return 1;
				v->received = val;
				v->has_received = 1;
			}
			break;
		default:
			break;
		}
		if (p == end || *p == ',') {
			*stop = p;
			return 0;
		}
		p++; /* ';' */
	}
}

/* 0 and the same *v and *next as sip_via_parse_full(), or 1: not the common form. */
static int
via_fast(struct sip_via *v, const char *p, const char *end, const char **next)
{
	struct sip_uri hp;

	if (end - p <= 9 || (p[0] | 0x20) != 's' || (p[1] | 0x20) != 'i' || (p[2] | 0x20) != 'p' ||
			memcmp(p + 3, "/2.0/", 5) != 0)
		return 1;
	memset(v, 0, sizeof(*v));
	v->start = p;
	v->protocol = sip_str_make(p, 3);
	v->version = sip_str_make(p + 4, 3);
	const char *t = p + 8;
	p = lex_span(t, end, SIP_C_TOKEN);
	if (p == t || end - p < 2 || p[0] != ' ' || (unsigned char)p[1] <= ' ')
		return 1;
	v->transport = sip_str_span(t, p);
	v->transport_id = (uint8_t)sip_transport_lookup(v->transport);

	const char *q = p + 1;
	memset(&hp, 0, sizeof(hp));
	p = sip_hostport_parse(&hp, q, end, true);
	if (p == NULL || !no_lws(p, end))
		return 1;
	v->sent_by = sip_str_span(q, p);
	v->host = hp.host;
	v->addr = hp.addr;
	v->host_type = hp.host_type;
	v->port = hp.port;
	v->has_port = hp.has_port;

	const char *stop = p;
	if (p < end && *p == ';') {
		if (fast_params(v, p + 1, end, &stop) != 0)
			return 1;
		v->params = sip_str_span(p + 1, lex_rtrim(p + 1, stop));
	} else if (p < end && *p != ',') {
		return 1;
	}
	v->end = lex_rtrim(v->start, stop);
	v->more = stop < end;
	*next = stop < end ? stop + 1 : end;
	return 0;
}

int
sip_via_parse(struct sip_via *v, const char *p, const char *end, const char **next)
{
	if (via_fast(v, p, end, next) == 0)
		return 0;
	return sip_via_parse_full(v, p, end, next);
}

int
sip_via_parse_fast(struct sip_via *v, const char *p, const char *end, const char **next)
{
	return via_fast(v, p, end, next);
}
