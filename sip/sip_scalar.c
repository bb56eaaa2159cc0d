/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_scalar.h"

#include "sip_lex.h"

int
sip_cseq_parse(struct sip_str v, struct sip_cseq *out)
{
	const char *end = v.p + v.len;
	uint64_t seq;

	const char *p = lex_uint_span(v.p, end, UINT32_MAX, &seq);
	if (p == NULL)
		return -SIP_E_CSEQ;
	const char *q = lex_lws(p, end);
	if (q == p || q == end)
		return -SIP_E_CSEQ;
	/* A method the table knows is a token: only an unknown one is spanned. */
	enum sip_method method = sip_method_lookup(q, (size_t)(end - q));
	if (method == SIP_METHOD_UNKNOWN && lex_span(q, end, SIP_C_TOKEN) != end)
		return -SIP_E_CSEQ;
	out->seq = (uint32_t)seq;
	out->method = sip_str_span(q, end);
	out->method_id = (uint8_t)method;
	return 0;
}

int
sip_msg_cseq(const struct sip_msg *m, struct sip_cseq *out)
{
	const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_CSEQ);
	if (h == NULL)
		return -SIP_E_MISSING_HDR;
	return sip_cseq_parse(sip_hdr_value(m, h), out);
}

int
sip_msg_max_forwards(const struct sip_msg *m, uint32_t *out)
{
	const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_MAX_FORWARDS);
	uint64_t v;

	if (h == NULL)
		return 0;
	struct sip_str s = sip_hdr_value(m, h);
	if (lex_uint(s.p, s.p + s.len, 255, &v) != 0)
		return -SIP_E_MAX_FORWARDS;
	*out = (uint32_t)v;
	return 1;
}

int
sip_delta_seconds(struct sip_str v, uint32_t *out)
{
	uint64_t x = 0;

	if (v.len == 0)
		return -1;
	for (uint32_t i = 0; i < v.len; i++) {
		unsigned d = (unsigned)(unsigned char)v.p[i] - '0';
		if (d > 9)
			return -1;
		if (x <= UINT32_MAX)
			x = x * 10 + d;
	}
	*out = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
	return 0;
}

int
sip_msg_expires(const struct sip_msg *m, uint32_t *out)
{
	const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_EXPIRES);
	if (h == NULL)
		return 0;
	return sip_delta_seconds(sip_hdr_value(m, h), out) == 0 ? 1 : -SIP_E_EXPIRES;
}

int
sip_callid_check(struct sip_str v)
{
	const char *p = v.p, *end = v.p + v.len;
	const char *w = p;

	p = lex_span(p, end, SIP_C_WORD);
	if (p == w)
		return -SIP_E_CALLID;
	if (p < end && *p == '@') {
		w = ++p;
		p = lex_span(p, end, SIP_C_WORD);
		if (p == w)
			return -SIP_E_CALLID;
	}
	return p == end ? 0 : -SIP_E_CALLID;
}

int
sip_msg_callid(const struct sip_msg *m, struct sip_str *out)
{
	const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_CALL_ID);
	if (h == NULL)
		return -SIP_E_MISSING_HDR;
	*out = sip_hdr_value(m, h);
	return 0;
}
