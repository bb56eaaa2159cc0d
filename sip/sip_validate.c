/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_validate.h"

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
check_ruri(const struct sip_msg *m, struct sip_verdict *v)
{
	struct sip_uri u;

	if (sip_uri_parse(&u, m->buf + m->ruri_off, m->ruri_len) != 0)
		return verdict(m, v, -SIP_E_REQUEST_URI, SIP_HDR_OTHER);
	if (u.scheme_id == SIP_SCHEME_OTHER)
		return verdict(m, v, -SIP_E_SCHEME, SIP_HDR_OTHER);
	/* A proxy must not turn ?headers into real headers (RFC 4475 escruri): refuse them. */
	if (u.headers.p != NULL)
		return verdict(m, v, -SIP_E_URI_HEADERS, SIP_HDR_OTHER);
	return 0;
}

int
sip_validate(const struct sip_msg *m, int rc, unsigned flags, struct sip_verdict *v)
{
	bool strict = (flags & SIP_VAL_STRICT) != 0;
	unsigned uri_check = strict ? SIP_NADDR_CHECK_URI : 0;
	struct sip_naddr a;
	struct sip_cseq cs;
	struct sip_str callid;
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

	if (strict) {
		if (check_vias(m) != 0)
			return verdict(m, v, -SIP_E_VIA, SIP_HDR_VIA);
	} else {
		struct sip_via top;
		if (sip_via_top(m, &top) != 0)
			return verdict(m, v, -SIP_E_VIA, SIP_HDR_VIA);
	}
	if ((err = sip_naddr_of(m, SIP_HDR_FROM, &a, uri_check)) != 0)
		return verdict(m, v, err, SIP_HDR_FROM);
	if ((err = sip_naddr_of(m, SIP_HDR_TO, &a, uri_check)) != 0)
		return verdict(m, v, err, SIP_HDR_TO);
	if (sip_msg_callid(m, &callid) != 0 || sip_callid_check(callid) != 0)
		return verdict(m, v, -SIP_E_CALLID, SIP_HDR_CALL_ID);
	if (sip_msg_cseq(m, &cs) != 0)
		return verdict(m, v, -SIP_E_CSEQ, SIP_HDR_CSEQ);
	if (sip_msg_max_forwards(m, &u32) < 0)
		return verdict(m, v, -SIP_E_MAX_FORWARDS, SIP_HDR_MAX_FORWARDS);
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
		if (!sip_str_eq(cs.method, method))
			return verdict(m, v, m->method == SIP_METHOD_UNKNOWN ?
					-SIP_E_CSEQ_UNKNOWN : -SIP_E_CSEQ_METHOD, SIP_HDR_CSEQ);
		if (check_ruri(m, v) != 0)
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
