/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Via every carrier element writes, parsed in one straight pass:
 * "SIP/2.0/" transport SP host[:port] *(";" name ["=" token]) up to the end
 * of the value or a ','. Anything else -- LWS other than the one SP, quoted
 * or bracketed parameter values, empty names, bad syntax -- is left to the
 * full parser (sip_via_parse_full()), which stays the specification: the
 * fast path either returns exactly what the full parser would, or declines.
 * sip_via_fast_compare() (tests/common/sip_exercise.c) holds both to that in
 * the unit tests (tests/sip/test_via.c), the corpus runs and the fuzzers.
 */
#include "sip_via.h"

#include "sip_copy.h"
#include "sip_fast.h"

/* The parameters after the first ';' at p; 0 with *stop at ',' or end, 1 to decline. */
__attribute__((always_inline)) static inline int
fast_params(struct sip_via *v, const char *p, const char *end, const char **stop)
{
	struct sip_param prm;

	for (;;) {
		if (sip_fast_param(&p, end, &prm) < 0)
			return 1;
		struct sip_str name = prm.name;
		switch (name.len) {
		case 3:
			if (SIP_STR_CASEEQ_LIT(name, "ttl"))
				v->ttl = prm.value;
			break;
		case 5:
			if (SIP_STR_CASEEQ_LIT(name, "rport")) {
				v->rport = prm.value;
				v->rport_name_end = name.p + name.len;
				v->has_rport = 1;
			} else if (SIP_STR_CASEEQ_LIT(name, "maddr")) {
				v->maddr = prm.value;
				v->has_maddr = 1;
			}
			break;
		case 6:
			if (SIP_STR_CASEEQ_LIT(name, "branch")) {
				if (!prm.has_value)
					return 1;
				v->branch = prm.value;
				v->has_branch = 1;
			}
			break;
		case 8:
			if (SIP_STR_CASEEQ_LIT(name, "received")) {
				if (!prm.has_value)
					return 1;
				v->received = prm.value;
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
	sip_zero(v, sizeof(*v));
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
	p = q;
	if ((unsigned char)(*p - '0') <= 9 && sip_ipv4_scan(&p, end, v->addr.a) == 0 &&
			(p == end || !sip_is((unsigned char)*p, SIP_C_HOST))) {
		/* IPv4 sent-by, as sip_hostport_parse() reads it, straight into *v. */
		v->host = sip_str_span(q, p);
		v->addr.af = SIP_AF_INET;
		v->host_type = SIP_HOST_IPV4;
		if (p < end && *p == ':') {
			p++;
			if (sip_fast_port(&p, end, &v->port) != 0)
				return 1;
			v->has_port = 1;
		}
	} else {
		memset(&hp, 0, sizeof(hp));
		p = sip_hostport_parse(&hp, q, end, true);
		if (p == NULL)
			return 1;
		v->host = hp.host;
		v->addr = hp.addr;
		v->host_type = hp.host_type;
		v->port = hp.port;
		v->has_port = hp.has_port;
	}
	if (!sip_fast_no_lws(p, end))
		return 1;
	v->sent_by = sip_str_span(q, p);

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
