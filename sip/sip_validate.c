/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_validate.h"

#include "sip_lex.h"
#include "sip_naddr.h"
#include "sip_scalar.h"
#include "sip_uri.h"
#include "sip_via.h"

static int
verdict(const struct sip_msg *m, struct sip_verdict *v, int err, enum sip_hdr_type hdr)
{
	v->err = err;
	v->hdr = (uint8_t)hdr;
	v->status = (err != 0 && sip_is_request(m)) ? (uint16_t)sip_err_status(err) : 0;
	return err;
}

static const enum sip_hdr_type required[] = {
	SIP_HDR_VIA, SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID, SIP_HDR_CSEQ,
};

static const enum sip_hdr_type single[] = {
	SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID, SIP_HDR_CSEQ, SIP_HDR_MAX_FORWARDS,
	SIP_HDR_EXPIRES,
};

/* Every value of a list header parses. */
static int
check_list(const struct sip_msg *m, enum sip_hdr_type t, unsigned flags)
{
	struct sip_cursor c;
	struct sip_naddr a;
	int rc;

	sip_cursor_init(&c, m, t);
	while ((rc = sip_naddr_next(&c, &a, flags)) == 1)
		;
	return rc;
}

static int
check_vias(const struct sip_msg *m)
{
	struct sip_cursor c;
	struct sip_via via;
	int rc;

	sip_cursor_init(&c, m, SIP_HDR_VIA);
	while ((rc = sip_via_next(&c, &via)) == 1)
		;
	return rc;
}

static int
check_ruri(const struct sip_msg *m, struct sip_verdict *v, struct sip_uri *u)
{
	if (sip_uri_parse(u, m->buf + m->ruri_off, m->ruri_len) != 0)
		return verdict(m, v, -SIP_E_REQUEST_URI, SIP_HDR_OTHER);
	if (u->scheme_id == SIP_SCHEME_OTHER)
		return verdict(m, v, -SIP_E_SCHEME, SIP_HDR_OTHER);
	/* A proxy must not turn ?headers into real headers (RFC 4475 escruri): refuse them. */
	if (u->headers.p != NULL)
		return verdict(m, v, -SIP_E_URI_HEADERS, SIP_HDR_OTHER);
	return 0;
}

int
sip_validate(const struct sip_msg *m, int rc, unsigned flags, struct sip_verdict *v)
{
	struct sip_fields f;
	return sip_inspect(m, rc, flags, v, &f);
}

int
sip_inspect(const struct sip_msg *m, int rc, unsigned flags, struct sip_verdict *v,
		struct sip_fields *f)
{
	bool strict = (flags & SIP_VAL_STRICT) != 0;
	unsigned uri_check = strict ? SIP_NADDR_CHECK_URI : 0;
	uint32_t u32;
	int err;

	if (rc < 0)
		return verdict(m, v, rc, rc == -SIP_E_CL_DUP || rc == -SIP_E_CL_SYNTAX ||
				rc == -SIP_E_BODY_SHORT ? SIP_HDR_CONTENT_LENGTH : SIP_HDR_OTHER);

	for (unsigned i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (m->first[required[i]] == SIP_HDR_NONE)
			return verdict(m, v, -SIP_E_MISSING_HDR, required[i]);
	for (unsigned i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
		const struct sip_hdr *h = sip_hdr_first(m, single[i]);
		if (h != NULL && h->next != SIP_HDR_NONE)
			return verdict(m, v, -SIP_E_DUP_HDR, single[i]);
	}

	if (sip_via_top(m, &f->top) != 0 || (strict && check_vias(m) != 0))
		return verdict(m, v, -SIP_E_VIA, SIP_HDR_VIA);
	if ((err = sip_naddr_of(m, SIP_HDR_FROM, &f->from, uri_check)) != 0)
		return verdict(m, v, err, SIP_HDR_FROM);
	if ((err = sip_naddr_of(m, SIP_HDR_TO, &f->to, uri_check)) != 0)
		return verdict(m, v, err, SIP_HDR_TO);
	/*
	 * A stateless forwarder only hashes the Call-ID: it must be one word
	 * without LWS; strict mode also checks its characters.
	 */
	if (sip_msg_callid(m, &f->callid) != 0 || f->callid.len == 0 ||
			lex_has_ctl_or_sp(f->callid.p, f->callid.len) ||
			(strict && sip_callid_check(f->callid) != 0))
		return verdict(m, v, -SIP_E_CALLID, SIP_HDR_CALL_ID);
	if (sip_msg_cseq(m, &f->cseq) != 0)
		return verdict(m, v, -SIP_E_CSEQ, SIP_HDR_CSEQ);
	rc = sip_msg_max_forwards(m, &f->max_forwards);
	if (rc < 0)
		return verdict(m, v, -SIP_E_MAX_FORWARDS, SIP_HDR_MAX_FORWARDS);
	f->has_max_forwards = rc == 1;
	if (sip_msg_expires(m, &u32) < 0)
		return verdict(m, v, -SIP_E_EXPIRES, SIP_HDR_EXPIRES);
	if (strict) {
		if ((err = check_list(m, SIP_HDR_CONTACT, SIP_NADDR_STAR | SIP_NADDR_CHECK_URI)) < 0)
			return verdict(m, v, err, SIP_HDR_CONTACT);
		if ((err = check_list(m, SIP_HDR_ROUTE, SIP_NADDR_NEED_BRACKETS)) < 0)
			return verdict(m, v, err, SIP_HDR_ROUTE);
		if ((err = check_list(m, SIP_HDR_RECORD_ROUTE, SIP_NADDR_NEED_BRACKETS)) < 0)
			return verdict(m, v, err, SIP_HDR_RECORD_ROUTE);
	}

	if (sip_is_request(m)) {
		struct sip_str method = sip_msg_method(m);
		if (!sip_str_eq(f->cseq.method, method))
			return verdict(m, v, m->method == SIP_METHOD_UNKNOWN ?
					-SIP_E_CSEQ_UNKNOWN : -SIP_E_CSEQ_METHOD, SIP_HDR_CSEQ);
		if (check_ruri(m, v, &f->ruri) != 0)
			return v->err;
	}
	return verdict(m, v, 0, SIP_HDR_OTHER);
}

int
sip_proxy_check(const struct sip_msg *m, struct sip_verdict *v)
{
	uint32_t mf;

	if (sip_msg_max_forwards(m, &mf) == 1 && mf == 0)
		return verdict(m, v, -SIP_E_TOO_MANY_HOPS, SIP_HDR_MAX_FORWARDS);
	if (m->first[SIP_HDR_PROXY_REQUIRE] != SIP_HDR_NONE)
		return verdict(m, v, -SIP_E_BAD_EXTENSION, SIP_HDR_PROXY_REQUIRE);
	return verdict(m, v, 0, SIP_HDR_OTHER);
}
