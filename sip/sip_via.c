/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_via.h"

#include "sip_lex.h"
#include "sip_uri.h"

enum sip_transport
sip_transport_lookup(struct sip_str s)
{
	if (SIP_STR_CASEEQ_LIT(s, "UDP"))
		return SIP_TP_UDP;
	if (SIP_STR_CASEEQ_LIT(s, "TCP"))
		return SIP_TP_TCP;
	if (SIP_STR_CASEEQ_LIT(s, "TLS"))
		return SIP_TP_TLS;
	if (SIP_STR_CASEEQ_LIT(s, "SCTP"))
		return SIP_TP_SCTP;
	if (SIP_STR_CASEEQ_LIT(s, "WS"))
		return SIP_TP_WS;
	if (SIP_STR_CASEEQ_LIT(s, "WSS"))
		return SIP_TP_WSS;
	return SIP_TP_OTHER;
}

/* token SWS "/" SWS: returns after the slash, or NULL. */
static const char *
proto_part(const char *p, const char *end, struct sip_str *out, bool slash)
{
	const char *t = p;
	p = lex_span(p, end, SIP_C_TOKEN);
	if (p == t)
		return NULL;
	*out = sip_str_span(t, p);
	if (!slash)
		return p;
	p = lex_lws(p, end);
	if (p == end || *p != '/')
		return NULL;
	return lex_lws(p + 1, end);
}

static int
via_params(struct sip_via *v, const char *p, const char *end, const char **stop)
{
	struct sip_str s = sip_str_span(p, end);
	struct sip_param prm;
	uint32_t pos = 0;
	int rc;

	while ((rc = sip_param_next(s, &pos, &prm)) == 1) {
		struct sip_str n = prm.name;
		if (SIP_STR_CASEEQ_LIT(n, "branch")) {
			if (!prm.has_value)
				return -1;
			v->branch = prm.value;
			v->has_branch = 1;
		} else if (SIP_STR_CASEEQ_LIT(n, "received")) {
			if (!prm.has_value)
				return -1;
			v->received = prm.value;
			v->has_received = 1;
		} else if (SIP_STR_CASEEQ_LIT(n, "rport")) {
			v->rport = prm.value;
			v->rport_name_end = n.p + n.len;
			v->has_rport = 1;
		} else if (SIP_STR_CASEEQ_LIT(n, "maddr")) {
			v->maddr = prm.value;
			v->has_maddr = 1;
		} else if (SIP_STR_CASEEQ_LIT(n, "ttl")) {
			v->ttl = prm.value;
		}
	}
	/* pos == 0: nothing after the ';' (RFC 3261 §20.42: each SEMI introduces a via-param). */
	if (rc < 0 || pos == 0)
		return -1;
	*stop = lex_lws(s.p + pos, end);
	return 0;
}

int
sip_via_parse_full(struct sip_via *v, const char *p, const char *end, const char **next)
{
	struct sip_uri hp;

	memset(v, 0, sizeof(*v));
	p = lex_lws(p, end);
	v->start = p;
	if (end - p > 8 && (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p' &&
			memcmp(p + 3, "/2.0/", 5) == 0) {
		/* "SIP/2.0/" without LWS, as nearly every Via is written. */
		v->protocol = sip_str_make(p, 3);
		v->version = sip_str_make(p + 4, 3);
		if ((p = proto_part(p + 8, end, &v->transport, false)) == NULL)
			return -SIP_E_VIA;
	} else if ((p = proto_part(p, end, &v->protocol, true)) == NULL ||
			(p = proto_part(p, end, &v->version, true)) == NULL ||
			(p = proto_part(p, end, &v->transport, false)) == NULL) {
		return -SIP_E_VIA;
	}
	v->transport_id = (uint8_t)sip_transport_lookup(v->transport);

	const char *q = lex_lws(p, end);
	if (q == p || q == end)
		return -SIP_E_VIA; /* LWS is required before sent-by */
	memset(&hp, 0, sizeof(hp));
	p = sip_hostport_parse(&hp, q, end, true);
	if (p == NULL)
		return -SIP_E_VIA;
	v->sent_by = sip_str_span(q, p);
	v->host = hp.host;
	v->addr = hp.addr;
	v->host_type = hp.host_type;
	v->port = hp.port;
	v->has_port = hp.has_port;

	const char *stop = lex_lws(p, end);
	if (stop < end && *stop == ';') {
		v->params = sip_str_span(stop + 1, end);
		if (via_params(v, stop + 1, end, &stop) != 0)
			return -SIP_E_VIA;
		v->params.len = (uint32_t)(lex_rtrim(v->params.p, stop) - v->params.p);
	}
	if (stop < end && *stop != ',')
		return -SIP_E_VIA;
	v->end = lex_rtrim(v->start, stop);
	v->more = stop < end;
	*next = stop < end ? stop + 1 : end;
	return 0;
}

void
sip_cursor_init(struct sip_cursor *c, const struct sip_msg *m, enum sip_hdr_type t)
{
	c->msg = m;
	c->hdr = m->first[t];
	c->pos = NULL;
}

const struct sip_hdr *
sip_cursor_hdr(const struct sip_cursor *c)
{
	return c->hdr == SIP_HDR_NONE ? NULL : &c->msg->hdr[c->hdr];
}

int
sip_via_next(struct sip_cursor *c, struct sip_via *v)
{
	const struct sip_msg *m = c->msg;

	while (c->hdr != SIP_HDR_NONE) {
		const struct sip_hdr *h = &m->hdr[c->hdr];
		struct sip_str val = sip_hdr_value(m, h);
		const char *end = val.p + val.len;

		if (c->pos == NULL) {
			c->pos = val.p;
			if (val.len == 0)
				return -SIP_E_VIA;
		} else if (c->pos >= end) {
			c->hdr = h->next;
			c->pos = NULL;
			continue;
		}
		const char *next;
		if (sip_via_parse(v, c->pos, end, &next) != 0)
			return -SIP_E_VIA;
		if (v->more && lex_lws(next, end) == end)
			return -SIP_E_VIA; /* trailing ',' */
		c->pos = next;
		return 1;
	}
	return 0;
}

int
sip_via_top(const struct sip_msg *m, struct sip_via *v)
{
	const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_VIA);
	const char *next;

	if (h == NULL)
		return -SIP_E_MISSING_HDR;
	struct sip_str val = sip_hdr_value(m, h);
	return sip_via_parse(v, val.p, val.p + val.len, &next);
}

unsigned
sip_via_count(const struct sip_msg *m, unsigned limit)
{
	unsigned n = 0;

	for (const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_VIA); h != NULL && n <= limit;
			h = sip_hdr_next(m, h))
		n += 1 + lex_count(m->buf + h->colon + 1, m->buf + h->lf, ',');
	return n;
}
