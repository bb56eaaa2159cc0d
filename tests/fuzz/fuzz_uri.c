/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the URI parser and the other value parsers. The
 * input is one header value (or a URI, a name, an address); every parser
 * reads it and these must hold:
 *  - no view leaves the input, no cursor goes backwards or past the end;
 *  - a SIP URI's user part always unescapes, and its host[:port] reads the
 *    same through sip_hostport_parse();
 *  - an IPv6 text the strict parser takes, the lenient one takes the same;
 *    any address that parses formats and parses back to itself;
 *  - header-name and method lookups agree with naive references;
 *  - the URI, Via and name-addr fast paths return exactly the full
 *    parser's fields, or decline.
 * A broken invariant aborts, so libFuzzer saves the input.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip.h"
#include "sip_exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *in_p;
static size_t in_len;

static void
broken(const char *what)
{
	fprintf(stderr, "fuzz_uri: invariant broken: %s\n", what);
	abort();
}

static void
in_input(struct sip_str s, const char *what)
{
	uintptr_t p = (uintptr_t)s.p, b = (uintptr_t)in_p;
	if (s.len != 0 && (p < b || p - b > in_len || s.len > in_len - (p - b)))
		broken(what);
}

static void
params(struct sip_str s, const char *what)
{
	struct sip_param prm;
	uint32_t pos = 0, last = 0;
	char tmp[4096];

	while (sip_param_next(s, &pos, &prm) == 1) {
		if (pos <= last && last != 0)
			broken("parameter cursor went backwards");
		if (pos > s.len)
			broken("parameter cursor past the end");
		last = pos;
		in_input(prm.name, what);
		in_input(prm.value, what);
		if (prm.name.len <= sizeof(tmp))
			(void)sip_unescape(tmp, sizeof(tmp), prm.name);
	}
}

static void
uri(const char *p, size_t len)
{
	struct sip_uri u, h;
	char tmp[4096];
	bool engaged;

	if (sip_uri_fast_compare(p, len, &engaged, tmp, sizeof(tmp)) != 0)
		broken(tmp);
	if (sip_uri_parse(&u, p, len) != 0)
		return;
	struct sip_str views[] = {u.scheme, u.user, u.password, u.host, u.hostport, u.params,
		u.headers, u.opaque};
	for (unsigned i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		in_input(views[i], "URI view");
	if (u.scheme_id != SIP_SCHEME_SIP && u.scheme_id != SIP_SCHEME_SIPS)
		return;
	if (u.user.len <= sizeof(tmp) && sip_unescape(tmp, sizeof(tmp), u.user) < 0)
		broken("a parsed user part does not unescape");
	memset(&h, 0, sizeof(h));
	const char *e = sip_hostport_parse(&h, u.hostport.p, u.hostport.p + u.hostport.len, false);
	if (e != u.hostport.p + u.hostport.len || !sip_str_eq(h.host, u.host) ||
			h.host_type != u.host_type || h.has_port != u.has_port || h.port != u.port)
		broken("hostport reads differently on its own");
	params(u.params, "URI parameter");
}

static void
naddr(const char *p, size_t len, unsigned flags)
{
	struct sip_naddr a;
	const char *next;
	bool engaged;
	char why[300];

	if (sip_naddr_fast_compare(p, p + len, flags, &engaged, why, sizeof(why)) != 0)
		broken(why);
	if (sip_naddr_parse(&a, p, p + len, flags, &next) != 0)
		return;
	in_input(a.display, "display");
	in_input(a.uri, "name-addr URI");
	in_input(a.params, "name-addr params");
	in_input(a.tag, "tag");
	if (next < p || next > p + len || a.end < a.start)
		broken("name-addr cursor");
	if (!a.star)
		uri(a.uri.p, a.uri.len);
	params(a.params, "header parameter");
}

static void
via(const char *p, size_t len)
{
	struct sip_via v;
	const char *next, *end = p + len;
	unsigned n = 0;

	/* Every value of a Via header line, as the cursor would walk it. */
	for (;;) {
		bool engaged;
		char why[300];
		if (p < end && sip_via_fast_compare(p, end, &engaged, why, sizeof(why)) != 0)
			broken(why);
		if (p >= end || sip_via_parse(&v, p, end, &next) != 0)
			break;
		struct sip_str views[] = {v.protocol, v.version, v.transport, v.sent_by, v.host,
			v.params, v.branch, v.received, v.rport, v.maddr, v.ttl};
		for (unsigned i = 0; i < sizeof(views) / sizeof(views[0]); i++)
			in_input(views[i], "Via view");
		if (next <= p || next > end || ++n > len)
			broken("Via cursor");
		params(v.params, "Via parameter");
		p = next;
	}
}

static void
roundtrip(const struct sip_addr *a)
{
	struct sip_addr b;
	char t[64];
	size_t n = sip_addr_format(a, t, sizeof(t));

	if (n == 0 || sip_addr_parse(sip_str_make(t, n), &b) != 0 || !sip_addr_eq(a, &b))
		broken("address does not round-trip");
	if (sip_addr_format(a, t, n - 1) != 0)
		broken("address format ignored its capacity");
}

static void
addresses(const char *p, size_t len)
{
	struct sip_addr a;
	uint8_t s6[16], l6[16], v4[4];

	if (sip_addr_parse(sip_str_make(p, len), &a) == 0)
		roundtrip(&a);
	if (sip_ipv6_parse(p, len, s6, true) == 0) {
		if (sip_ipv6_parse(p, len, l6, false) != 0 || memcmp(s6, l6, 16) != 0)
			broken("lenient IPv6 parse differs from the strict one");
		a.af = SIP_AF_INET6;
		memcpy(a.a, s6, 16);
		roundtrip(&a);
	}
	if (sip_ipv4_parse(p, len, v4) == 0) {
		memset(&a, 0, sizeof(a));
		a.af = SIP_AF_INET;
		memcpy(a.a, v4, 4);
		roundtrip(&a);
	}
}

/* Naive reference: a case-insensitive comparison with every name in the table. */
static enum sip_hdr_type
naive_hdr(const char *p, size_t len)
{
#define NAIVE_ROW(e, name, compact, kind)                                                  \
	if (SIP_HDR_##e != SIP_HDR_OTHER) {                                                \
		if (len == sizeof(name) - 1 && strncasecmp(p, name, len) == 0)            \
			return SIP_HDR_##e;                                                \
		if ((compact) && len == 1 && tolower((unsigned char)p[0]) == (compact))    \
			return SIP_HDR_##e;                                                \
	}
	SIP_HEADERS(NAIVE_ROW)
#undef NAIVE_ROW
	return SIP_HDR_OTHER;
}

static void
lookups(const char *p, size_t len)
{
	if (sip_hdr_lookup(p, len, p + len) != naive_hdr(p, len))
		broken("header-name lookup differs from the naive one");
	enum sip_method m = sip_method_lookup(p, len);
	for (int i = 1; i < SIP_METHOD__COUNT; i++) {
		const char *name = sip_method_name(i);
		bool eq = strlen(name) == len && memcmp(name, p, len) == 0;
		if (eq != (m == (enum sip_method)i))
			broken("method lookup differs from the naive one");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct sip_cseq cs;
	uint32_t u32;
	char *tmp;

	in_p = p;
	in_len = size;
	uri(p, size);
	naddr(p, size, 0);
	naddr(p, size, SIP_NADDR_LIST | SIP_NADDR_STAR | SIP_NADDR_CHECK_URI);
	naddr(p, size, SIP_NADDR_NEED_BRACKETS);
	via(p, size);
	params(sip_str_make(p, size), "parameter");
	addresses(p, size);
	lookups(p, size);
	if (sip_cseq_parse(sip_str_make(p, size), &cs) == 0)
		in_input(cs.method, "CSeq method");
	(void)sip_callid_check(sip_str_make(p, size));
	(void)sip_delta_seconds(sip_str_make(p, size), &u32);
	/* Unescaping never writes past its capacity (exactly size bytes, fenced by ASan). */
	tmp = malloc(size ? size : 1);
	if (tmp != NULL) {
		int n = sip_unescape(tmp, size, sip_str_make(p, size));
		if (n > (int)size)
			broken("unescape longer than its input");
		free(tmp);
	}
	return 0;
}
