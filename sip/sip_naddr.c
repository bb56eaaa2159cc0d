/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_naddr.h"

#include "sip_lex.h"
#include "sip_uri.h"

/*
 * Display name and '<': returns the position of '<', or NULL when the
 * value is a bare addr-spec (then *bare is set) or malformed.
 */
static const char *
display_name(struct sip_naddr *a, const char *p, const char *end, bool *bare)
{
	const char *d = p;

	*bare = false;
	if (*p == '<')
		return p;
	if (*p == '"') {
		p = lex_quoted(p, end);
		if (p == NULL)
			return NULL;
		a->display = sip_str_span(d, p);
		p = lex_lws(p, end);
		return (p < end && *p == '<') ? p : NULL;
	}
	/* *(token LWS) "<", or an addr-spec "scheme:..." */
	const char *t = lex_span(p, end, SIP_C_TOKEN);
	if (t < end && *t == ':' && t > p) {
		*bare = true;
		return NULL;
	}
	for (;;) {
		if (t == p)
			return NULL;
		const char *last = t;
		p = lex_lws(t, end);
		if (p < end && *p == '<') {
			a->display = sip_str_span(d, last);
			return p;
		}
		t = lex_span(p, end, SIP_C_TOKEN);
	}
}

int
sip_naddr_parse_full(struct sip_naddr *a, const char *p, const char *end, unsigned flags,
		const char **next)
{
	bool bare;

	memset(a, 0, sizeof(*a));
	p = lex_lws(p, end);
	a->start = p;
	if (p == end)
		return -SIP_E_NAMEADDR;

	if ((flags & SIP_NADDR_STAR) && *p == '*') {
		const char *q = lex_lws(p + 1, end);
		if (q == end || *q == ';' || *q == ',') {
			a->star = 1;
			a->uri = sip_str_make(p, 1);
			p = q;
			goto params;
		}
	}

	const char *lt = display_name(a, p, end, &bare);
	if (lt != NULL) {
		/*
		 * The first '>' or control: no '>' is an error, and so is LWS (or
		 * any other control) inside <> (RFC 4475 badaspec).
		 */
		const char *gt = lex_find_or_ctl(lt + 1, end, '>');
		if (gt == end || *gt != '>' || gt == lt + 1)
			return -SIP_E_NAMEADDR;
		a->uri = sip_str_span(lt + 1, gt);
		a->bracketed = 1;
		p = gt + 1;
	} else if (bare) {
		if (flags & SIP_NADDR_NEED_BRACKETS)
			return -SIP_E_NAMEADDR;
		/* addr-spec: ends at ';', ',' (lists) or LWS; must not hold '?' (RFC 4475 regbadct). */
		const char *u = p;
		while (p < end && *p != ';' && *p != ' ' && *p != '\t' && *p != '\r' &&
				*p != '\n' && !((flags & SIP_NADDR_LIST) && *p == ','))
			p++;
		a->uri = sip_str_span(u, p);
		if (memchr(u, '?', (size_t)(p - u)) != NULL)
			return -SIP_E_NAMEADDR;
	} else {
		return -SIP_E_NAMEADDR;
	}

params:
	p = lex_lws(p, end);
	if (p < end && *p == ';') {
		struct sip_str s = sip_str_span(p + 1, end);
		struct sip_param prm;
		uint32_t pos = 0;
		int rc;

		while ((rc = sip_param_next(s, &pos, &prm)) == 1) {
			if (SIP_STR_CASEEQ_LIT(prm.name, "tag")) {
				if (!prm.has_value)
					return -SIP_E_NAMEADDR;
				a->tag = prm.value;
				a->has_tag = 1;
			}
		}
		/* pos == 0: a ';' with no parameter after it (RFC 4475 badinv01's junk). */
		if (rc < 0 || pos == 0)
			return -SIP_E_NAMEADDR;
		a->params = sip_str_span(s.p, lex_rtrim(s.p, s.p + pos));
		p = lex_lws(s.p + pos, end);
	}
	a->end = lex_rtrim(a->start, p);
	if (p < end) {
		if (*p != ',' || !(flags & SIP_NADDR_LIST))
			return -SIP_E_NAMEADDR;
		a->more = 1;
		p++;
	}
	*next = p;
	if ((flags & SIP_NADDR_CHECK_URI) && !a->star) {
		struct sip_uri u;
		if (sip_uri_parse(&u, a->uri.p, a->uri.len) != 0)
			return -SIP_E_URI;
	}
	return 0;
}

int
sip_naddr_next(struct sip_cursor *c, struct sip_naddr *a, unsigned flags)
{
	const struct sip_msg *m = c->msg;

	while (c->hdr != SIP_HDR_NONE) {
		const struct sip_hdr *h = &m->hdr[c->hdr];
		struct sip_str val = sip_hdr_value(m, h);
		const char *end = val.p + val.len;

		if (c->pos == NULL) {
			c->pos = val.p;
			if (val.len == 0)
				return -SIP_E_NAMEADDR;
		} else if (c->pos >= end) {
			c->hdr = h->next;
			c->pos = NULL;
			continue;
		}
		const char *next;
		int rc = sip_naddr_parse(a, c->pos, end, flags | SIP_NADDR_LIST, &next);
		if (rc != 0)
			return rc;
		if (a->more && lex_lws(next, end) == end)
			return -SIP_E_NAMEADDR; /* trailing ',' */
		c->pos = next;
		return 1;
	}
	return 0;
}

int
sip_naddr_of(const struct sip_msg *m, enum sip_hdr_type t, struct sip_naddr *a, unsigned flags)
{
	const struct sip_hdr *h = sip_hdr_first(m, t);
	const char *next;

	if (h == NULL)
		return -SIP_E_MISSING_HDR;
	struct sip_str val = sip_hdr_value(m, h);
	return sip_naddr_parse(a, val.p, val.p + val.len, flags & ~(unsigned)SIP_NADDR_LIST, &next);
}
