/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RFC 4475 and RFC 5118 torture messages, one row per file with the
 * verdict ../shared/corpus/SOURCES.md lists and spot checks of the fields
 * a parser gets wrong. Every row runs under every scanner variant (a
 * variant this CPU lacks is reported as skipped), with the message flush
 * against a guard page, then again flush against a front guard page, and
 * finally through the invariant checker (every parser, every builder).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_exercise.h"
#include "sip_test.h"

#define SECRET 0x73697074657374ull

/* ---- fields a row can spot-check ---- */

#define FIELDS(X) \
	X(METHOD) X(METHOD_ID) X(STATUS) X(REASON) \
	X(RURI) X(RURI_SCHEME) X(RURI_USER) X(RURI_USER_UNESC) X(RURI_PASSWORD) X(RURI_HOST) \
	X(RURI_HOST_TYPE) X(RURI_PORT) X(RURI_PARAMS) \
	X(VIA_COUNT) X(VIA_HOSTS) X(VIA_TRANSPORTS) X(VIA_BRANCHES) X(VIA_SENT_BY) \
	X(VIA_BRANCH) X(VIA_RECEIVED) X(VIA_RPORT) X(VIA_PORT) \
	X(FROM_DISPLAY) X(FROM_URI) X(FROM_TAG) X(FROM_USER_UNESC) \
	X(TO_DISPLAY) X(TO_URI) X(TO_TAG) X(TO_USER_UNESC) \
	X(CALLID) X(CSEQ_NUM) X(CSEQ_METHOD) X(MAX_FORWARDS) \
	X(CONTENT_LENGTH) X(BODY_LEN) X(MSG_LEN) \
	X(CONTACT_COUNT) X(CONTACT_URIS) X(CONTACT_PARAM_NAMES) X(CONTACT_URI_PARAMS) \
	X(CONTACT_URI_PARAMS_UNESC) X(CONTACT_URI_HEADERS)

enum field {
	F_END = 0,
#define FIELD_ENUM(f) F_##f,
	FIELDS(FIELD_ENUM)
#undef FIELD_ENUM
};

static const char *const field_names[] = {
	"END",
#define FIELD_NAME(f) #f,
	FIELDS(FIELD_NAME)
#undef FIELD_NAME
};

/* want == NULL: the field must be absent. Lengths come from sizeof, so values may hold NULs. */
struct fcheck {
	enum field f;
	const char *want;
	size_t want_len;
};
#define F(f, lit) {F_##f, (lit), sizeof(lit) - 1}
#define F_NONE(f) {F_##f, NULL, 0}
#define CHECKS(...) ((const struct fcheck[]){__VA_ARGS__, {F_END, NULL, 0}})

struct text {
	char b[4096];
	size_t n;
};

static void
t_put(struct text *t, const char *p, size_t n)
{
	assert_true(t->n + n < sizeof(t->b));
	if (n == 0)
		return; /* absent views are {NULL, 0} */
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void
t_str(struct text *t, struct sip_str s)
{
	t_put(t, s.p, s.len);
}

static void
t_num(struct text *t, unsigned long v)
{
	char num[24];
	t_put(t, num, (size_t)snprintf(num, sizeof(num), "%lu", v));
}

static void
t_sep(struct text *t, char sep)
{
	if (t->n)
		t_put(t, &sep, 1);
}

static void
t_unesc(struct text *t, struct sip_str s)
{
	char tmp[1024];
	int n = sip_unescape(tmp, sizeof(tmp), s);
	assert_true(n >= 0);
	t_put(t, tmp, (size_t)n);
}

/* Parameters of s, each "name[=value]" unescaped once, joined by ';'. */
static void
t_params_unesc(struct text *t, struct sip_str s)
{
	struct sip_param prm;
	uint32_t pos = 0;
	int rc;

	while ((rc = sip_param_next(s, &pos, &prm)) == 1) {
		t_sep(t, ';');
		t_unesc(t, prm.name);
		if (prm.has_value) {
			t_put(t, "=", 1);
			t_unesc(t, prm.value);
		}
	}
	assert_int_equal(rc, 0);
}

static const char *
host_type_name(unsigned t)
{
	static const char *const names[] = {"none", "name", "ipv4", "ipv6"};
	return t < 4 ? names[t] : "?";
}

static void
uri_of(struct sip_str s, struct sip_uri *u)
{
	assert_int_equal(sip_uri_parse(u, s.p, s.len), 0);
}

/* Value of field f of m into t; false if the message does not have it. */
static bool
field_get(const struct sip_msg *m, enum field f, struct text *t)
{
	struct sip_uri u;
	struct sip_naddr a;
	struct sip_cursor cur;
	struct sip_via v;
	struct sip_cseq cs;
	struct sip_str s;
	uint32_t u32;
	int rc, n = 0;

	t->n = 0;
	switch (f) {
	case F_METHOD:
		if (!sip_is_request(m))
			return false;
		t_str(t, sip_msg_method(m));
		return true;
	case F_METHOD_ID:
		if (!sip_is_request(m))
			return false;
		if (m->method == SIP_METHOD_UNKNOWN)
			t_put(t, "UNKNOWN", 7);
		else
			t_put(t, sip_method_name(m->method), strlen(sip_method_name(m->method)));
		return true;
	case F_STATUS:
		if (sip_is_request(m))
			return false;
		t_num(t, m->status);
		return true;
	case F_REASON:
		if (sip_is_request(m))
			return false;
		t_str(t, sip_msg_reason(m));
		return true;
	case F_RURI:
	case F_RURI_SCHEME:
	case F_RURI_USER:
	case F_RURI_USER_UNESC:
	case F_RURI_PASSWORD:
	case F_RURI_HOST:
	case F_RURI_HOST_TYPE:
	case F_RURI_PORT:
	case F_RURI_PARAMS:
		if (!sip_is_request(m))
			return false;
		if (f == F_RURI) {
			t_str(t, sip_msg_ruri(m));
			return true;
		}
		uri_of(sip_msg_ruri(m), &u);
		switch (f) {
		case F_RURI_SCHEME:
			t_str(t, u.scheme);
			return true;
		case F_RURI_USER:
		case F_RURI_USER_UNESC:
			if (!u.has_user)
				return false;
			if (f == F_RURI_USER)
				t_str(t, u.user);
			else
				t_unesc(t, u.user);
			return true;
		case F_RURI_PASSWORD:
			t_str(t, u.password);
			return u.password.p != NULL;
		case F_RURI_HOST:
			t_str(t, u.host);
			return true;
		case F_RURI_HOST_TYPE:
			t_put(t, host_type_name(u.host_type), strlen(host_type_name(u.host_type)));
			return true;
		case F_RURI_PORT:
			t_num(t, u.port);
			return u.has_port;
		default:
			t_str(t, u.params);
			return u.params.p != NULL;
		}
	case F_VIA_COUNT:
	case F_VIA_HOSTS:
	case F_VIA_TRANSPORTS:
	case F_VIA_BRANCHES:
		sip_cursor_init(&cur, m, SIP_HDR_VIA);
		while ((rc = sip_via_next(&cur, &v)) == 1) {
			n++;
			if (f == F_VIA_COUNT)
				continue;
			t_sep(t, '|');
			t_str(t, f == F_VIA_HOSTS ? v.host : f == F_VIA_TRANSPORTS ? v.transport :
					v.branch);
		}
		assert_int_equal(rc, 0);
		if (f == F_VIA_COUNT)
			t_num(t, (unsigned long)n);
		return true;
	case F_VIA_SENT_BY:
	case F_VIA_BRANCH:
	case F_VIA_RECEIVED:
	case F_VIA_RPORT:
	case F_VIA_PORT:
		assert_int_equal(sip_via_top(m, &v), 0);
		switch (f) {
		case F_VIA_SENT_BY:
			t_str(t, v.sent_by);
			return true;
		case F_VIA_BRANCH:
			t_str(t, v.branch);
			return v.has_branch;
		case F_VIA_RECEIVED:
			t_str(t, v.received);
			return v.has_received;
		case F_VIA_RPORT:
			t_str(t, v.rport);
			return v.has_rport;
		default:
			t_num(t, v.port);
			return v.has_port;
		}
	case F_FROM_DISPLAY:
	case F_FROM_URI:
	case F_FROM_TAG:
	case F_FROM_USER_UNESC:
	case F_TO_DISPLAY:
	case F_TO_URI:
	case F_TO_TAG:
	case F_TO_USER_UNESC: {
		bool from = f == F_FROM_DISPLAY || f == F_FROM_URI || f == F_FROM_TAG ||
			f == F_FROM_USER_UNESC;
		assert_int_equal(sip_naddr_of(m, from ? SIP_HDR_FROM : SIP_HDR_TO, &a, 0), 0);
		if (f == F_FROM_DISPLAY || f == F_TO_DISPLAY) {
			t_str(t, a.display);
			return a.display.len > 0;
		}
		if (f == F_FROM_URI || f == F_TO_URI) {
			t_str(t, a.uri);
			return true;
		}
		if (f == F_FROM_TAG || f == F_TO_TAG) {
			t_str(t, a.tag);
			return a.has_tag;
		}
		uri_of(a.uri, &u);
		t_unesc(t, u.user);
		return u.has_user;
	}
	case F_CALLID:
		assert_int_equal(sip_msg_callid(m, &s), 0);
		t_str(t, s);
		return true;
	case F_CSEQ_NUM:
	case F_CSEQ_METHOD:
		assert_int_equal(sip_msg_cseq(m, &cs), 0);
		if (f == F_CSEQ_NUM)
			t_num(t, cs.seq);
		else
			t_str(t, cs.method);
		return true;
	case F_MAX_FORWARDS:
		rc = sip_msg_max_forwards(m, &u32);
		assert_true(rc >= 0);
		t_num(t, u32);
		return rc == 1;
	case F_CONTENT_LENGTH: {
		const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_CONTENT_LENGTH);
		if (h == NULL)
			return false;
		t_str(t, sip_hdr_value(m, h));
		return true;
	}
	case F_BODY_LEN:
		t_num(t, m->body_len);
		return true;
	case F_MSG_LEN:
		t_num(t, m->len);
		return true;
	case F_CONTACT_COUNT:
	case F_CONTACT_URIS:
	case F_CONTACT_PARAM_NAMES:
		sip_cursor_init(&cur, m, SIP_HDR_CONTACT);
		while ((rc = sip_naddr_next(&cur, &a, SIP_NADDR_STAR)) == 1) {
			n++;
			if (f == F_CONTACT_URIS) {
				t_sep(t, '|');
				t_str(t, a.uri);
			} else if (f == F_CONTACT_PARAM_NAMES) {
				struct sip_param prm;
				uint32_t pos = 0;
				if (n > 1)
					t_put(t, "|", 1);
				for (int k = 0; sip_param_next(a.params, &pos, &prm) == 1; k++) {
					if (k)
						t_put(t, ",", 1);
					t_str(t, prm.name);
				}
			}
		}
		assert_int_equal(rc, 0);
		if (f == F_CONTACT_COUNT)
			t_num(t, (unsigned long)n);
		return true;
	case F_CONTACT_URI_PARAMS:
	case F_CONTACT_URI_PARAMS_UNESC:
	case F_CONTACT_URI_HEADERS:
		sip_cursor_init(&cur, m, SIP_HDR_CONTACT);
		if (sip_naddr_next(&cur, &a, SIP_NADDR_STAR) != 1)
			return false;
		uri_of(a.uri, &u);
		if (f == F_CONTACT_URI_HEADERS) {
			t_str(t, u.headers);
			return u.headers.p != NULL;
		}
		if (u.params.p == NULL)
			return false;
		if (f == F_CONTACT_URI_PARAMS)
			t_str(t, u.params);
		else
			t_params_unesc(t, u.params);
		return true;
	case F_END:
		break;
	}
	fail_msg("unknown field %d", f);
	return false;
}

static void
check_fields(const struct sip_msg *m, const struct fcheck *checks)
{
	char a[1024], b[1024];
	struct text t;

	for (const struct fcheck *c = checks; c != NULL && c->f != F_END; c++) {
		bool present = field_get(m, c->f, &t);
		if (c->want == NULL) {
			if (present)
				fail_msg("%s: \"%s\", want none", field_names[c->f],
						test_escape(t.b, t.n, a, sizeof(a)));
			continue;
		}
		if (!present)
			fail_msg("%s: absent, want \"%s\"", field_names[c->f],
					test_escape(c->want, c->want_len, b, sizeof(b)));
		if (t.n != c->want_len || memcmp(t.b, c->want, t.n) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", field_names[c->f],
					test_escape(t.b, t.n, a, sizeof(a)),
					test_escape(c->want, c->want_len, b, sizeof(b)));
	}
}

/* ---- checks that are not a field ---- */

struct corpus_ctx {
	const char *raw;
	size_t raw_len;
	const char *buf;  /* the wire form, flush against a guard page */
	size_t len;
	const struct sip_msg *m;
};

static const struct sip_hdr *
find_other(const struct sip_msg *m, const char *name)
{
	for (const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_OTHER); h; h = sip_hdr_next(m, h))
		if (sip_str_caseeq(sip_hdr_name_str(m, h), name, strlen(name)))
			return h;
	return NULL;
}

static void
extra_wsinv(const struct corpus_ctx *x)
{
	const struct sip_msg *m = x->m;
	const struct sip_hdr *h;

	assert_true(m->flags & SIP_MSG_FOLDED);
	/* Unknown headers stay opaque: the fold is kept inside the value. */
	assert_non_null(h = find_other(m, "NewFangledHeader"));
	assert_view(sip_hdr_value(m, h), "newfangled value" CRLF " continued newfangled value");
	assert_non_null(h = find_other(m, "UnknownHeaderWithUnusualValue"));
	assert_view(sip_hdr_value(m, h), ";;,,;;,;");
	/* "s :" is an empty Subject, found under its compact name. */
	assert_non_null(h = sip_hdr_first(m, SIP_HDR_SUBJECT));
	assert_int_equal(sip_hdr_value(m, h).len, 0);
	assert_view(sip_hdr_name_str(m, h), "s");
	assert_int_equal(sip_hdr_count(m, SIP_HDR_VIA), 2);
	assert_int_equal(sip_hdr_count(m, SIP_HDR_ROUTE), 1);
}

static void
extra_esc02(const struct corpus_ctx *x)
{
	/* "C%6Fntact" is an unknown header (escapes mean nothing in names). */
	assert_non_null(find_other(x->m, "C%6Fntact"));
	assert_int_equal(x->m->method, SIP_METHOD_UNKNOWN);
}

static void
extra_longreq(const struct corpus_ctx *x)
{
	const struct sip_hdr *h = sip_hdr_first(x->m, SIP_HDR_OTHER);

	/* Via under every spelling: "Via", "v", "V", "ViA", "V :", "Via  :"... */
	assert_int_equal(sip_hdr_count(x->m, SIP_HDR_VIA), 34);
	assert_non_null(h);
	assert_true(sip_hdr_name_str(x->m, h).len > 24); /* longer than any known name */
}

static void
extra_dblreq(const struct corpus_ctx *x)
{
	static const char inv[] = "INVITE sip:joe@example.com SIP/2.0";
	const struct sip_msg *m = x->m;

	/* The REGISTER ends at its empty line (Content-Length 0); the INVITE is noise. */
	assert_true(m->len < x->len);
	assert_null(memmem(x->buf, m->len, inv, sizeof(inv) - 1));
	assert_non_null(memmem(x->buf + m->len, x->len - m->len, inv, sizeof(inv) - 1));
}

static void
extra_mpart01(const struct corpus_ctx *x)
{
	const struct sip_msg *m = x->m;
	const char *b = m->buf + m->body;
	unsigned bare_cr = 0, bare_lf = 0;

	assert_int_equal(m->body + m->body_len, x->len);
	assert_memory_equal(b, x->raw + x->raw_len - 553, 553);
	assert_non_null(memchr(b, '\0', m->body_len));
	for (uint32_t i = 0; i < m->body_len; i++) {
		if (b[i] == '\r' && (i + 1 == m->body_len || b[i + 1] != '\n'))
			bare_cr++;
		if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r'))
			bare_lf++;
	}
	assert_int_equal(bare_cr, 5);
	assert_int_equal(bare_lf, 3);
}

static void
extra_unreason(const struct corpus_ctx *x)
{
	struct sip_str r = sip_msg_reason(x->m);
	unsigned high = 0;

	for (uint32_t i = 0; i < r.len; i++)
		high += (unsigned char)r.p[i] >= 0x80;
	assert_int_equal(high, 54);
	assert_int_equal(r.len, 86 - 12); /* the start line minus "SIP/2.0 200 " */
}

static void
extra_noreason(const struct corpus_ctx *x)
{
	assert_memory_equal(x->buf, "SIP/2.0 100 " CRLF, 14);
	assert_int_equal(x->m->reason_len, 0);
}

static void
extra_bcast(const struct corpus_ctx *x)
{
	struct sip_next_hop hop;
	struct sip_via top;
	struct sip_msg m2;
	char out[1024];

	assert_int_equal(sip_via_top(x->m, &top), 0);
	int n = sip_build_response_fwd(out, sizeof(out), x->m, &top, NULL, &hop);
	assert_true(n > 0);
	/* The next hop is the broadcast address: the caller must refuse to send there. */
	assert_int_equal(hop.addr.af, SIP_AF_INET);
	assert_memory_equal(hop.addr.a, ((const uint8_t[]){255, 255, 255, 255}), 4);
	assert_int_equal(hop.port, 5060);
	assert_false(hop.need_dns);
	assert_true(sip_addr_is_forbidden_dst(&hop.addr));
	assert_int_equal(test_parse_slot(2, &m2, out, (size_t)n), n);
	assert_int_equal(sip_hdr_count(&m2, SIP_HDR_VIA), 1);
}

static void
extra_inv2543(const struct corpus_ctx *x)
{
	/* No Content-Length: the body is the rest of the datagram. */
	assert_true(x->m->flags & SIP_MSG_NO_CL);
	assert_int_equal(x->m->body + x->m->body_len, x->len);
	assert_int_equal(x->m->len, x->len);
}

static void
extra_badbranch(const struct corpus_ctx *x)
{
	struct sip_via top;

	assert_int_equal(sip_via_top(x->m, &top), 0);
	/* The cookie alone is no RFC 3261 branch: RFC 2543 matching applies. */
	assert_false(sip_branch_is_3261(top.branch));
}

static void
expect_received(const struct sip_msg *m, const char *text)
{
	struct sip_via top;
	struct sip_addr a, want;

	assert_int_equal(sip_via_top(m, &top), 0);
	assert_int_equal(sip_addr_parse(top.received, &a), 0);
	assert_int_equal(sip_addr_parse(sip_str_make(text, strlen(text)), &want), 0);
	assert_true(sip_addr_eq(&a, &want));
}

static void
extra_received6(const struct corpus_ctx *x)
{
	expect_received(x->m, "2001:db8::9:255");
}

static void
extra_mult_ip_hdr(const struct corpus_ctx *x)
{
	struct sip_cursor c;
	struct sip_via v;

	sip_cursor_init(&c, x->m, SIP_HDR_VIA);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sip_via_next(&c, &v), 1);
	assert_int_equal(v.transport_id, SIP_TP_TCP);
	assert_int_equal(v.host_type, SIP_HOST_IPV6);
	assert_view(v.received, "192.0.2.200");
	assert_int_equal(sip_via_next(&c, &v), 0);
}

static void
extra_3colons(const struct corpus_ctx *x)
{
	struct sip_uri u;
	uint8_t a[16], b[16];

	assert_int_equal(sip_uri_parse(&u, x->m->buf + x->m->ruri_off, x->m->ruri_len), 0);
	/* Tolerated (RFC 5118 §4.10) and read as the two-colon form; strict parsing refuses it. */
	assert_int_equal(sip_ipv6_parse(u.host.p, u.host.len, a, false), 0);
	assert_int_equal(sip_ipv6_parse("2001:db8::192.0.2.1", 19, b, true), 0);
	assert_memory_equal(a, b, 16);
	assert_int_equal(sip_ipv6_parse(u.host.p, u.host.len, a, true), -1);
}

/* ---- the table ---- */

enum outcome {
	ACCEPT,   /* parses and validates; requests pass the proxy checks */
	REJECT,   /* a request refused with status */
	DROP,     /* a response refused: no status, dropped */
	PROXY,    /* parses and validates; the proxy check refuses it with status */
};

enum set { RFC4475, RFC5118 };

struct corpus_case {
	const char *name;         /* file name without ".sip" (plus a note for derived rows) */
	const char *file;
	enum set set;
	enum test_wire wire;
	enum outcome outcome;
	uint16_t status;          /* REJECT, PROXY */
	int err;                  /* REJECT, DROP, PROXY: the expected error */
	bool parses;              /* REJECT/DROP: sip_parse() succeeds, validation refuses */
	const struct fcheck *checks;
	void (*extra)(const struct corpus_ctx *x);
};

#define R4475(n) .name = n, .file = n, .set = RFC4475, .wire = WIRE_RAW
#define R5118(n) .name = n, .file = n, .set = RFC5118, .wire = WIRE_5118
#define REJ(st, e) .outcome = REJECT, .status = st, .err = -SIP_E_##e
#define DROPPED(e) .outcome = DROP, .err = -SIP_E_##e
#define PROXIED(st, e) .outcome = PROXY, .status = st, .err = -SIP_E_##e

static const struct corpus_case cases[] = {
	/* RFC 4475 §3.1.1: valid messages. */
	{R4475("wsinv"), .checks = CHECKS(F(METHOD, "INVITE"), F(METHOD_ID, "INVITE"),
		F(RURI_USER, "vivekg"), F(RURI_HOST, "chair-dnrc.example.com"),
		F_NONE(RURI_PORT), F(RURI_PARAMS, "unknownparam"),
		F(TO_URI, "sip:vivekg@chair-dnrc.example.com"), F(TO_TAG, "1918181833n"),
		F(FROM_DISPLAY, "\"J Rosenberg \\\\\\\"\""), F(FROM_TAG, "98asjd8"),
		F(CALLID, "wsinv.ndaksdj@192.0.2.1"), F(CSEQ_NUM, "9"), F(CSEQ_METHOD, "INVITE"),
		F(MAX_FORWARDS, "68"), F(CONTENT_LENGTH, "150"), F(BODY_LEN, "150"),
		F(VIA_COUNT, "3"), F(VIA_HOSTS, "192.0.2.2|spindle.example.com|192.168.255.111"),
		F(VIA_TRANSPORTS, "UDP|TCP|UDP"),
		F(VIA_BRANCHES, "390skdjuw|z9hG4bK9ikj8|z9hG4bK30239"),
		F(CONTACT_COUNT, "1"), F(CONTACT_URIS, "sip:jdrosen@example.com"),
		F(CONTACT_PARAM_NAMES, "newparam,secondparam,q")),
		.extra = extra_wsinv},
	{R4475("intmeth"), .checks = CHECKS(
		F(METHOD, "!interesting-Method0123456789_*+`.%indeed'~"), F(METHOD_ID, "UNKNOWN"),
		F(RURI_USER, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"),
		F(RURI_PASSWORD, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"),
		F(RURI_HOST, "example.com"),
		/* Binary display name: quoted-pairs of BEL, NUL and DEL. */
		F(TO_DISPLAY, "\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\""),
		F(FROM_DISPLAY, "token1~` token2'+_ token3*%!.-"),
		F(FROM_TAG, "_token~1'+`*%!-."),
		F(CALLID, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"),
		F(CSEQ_NUM, "139122385"),
		F(CSEQ_METHOD, "!interesting-Method0123456789_*+`.%indeed'~"),
		F(MAX_FORWARDS, "255"), F(CONTENT_LENGTH, "0"), F(BODY_LEN, "0"))},
	{R4475("esc01"), .checks = CHECKS(F(RURI_USER, "sips%3Auser%40example.com"),
		F(RURI_USER_UNESC, "sips:user@example.com"), F(RURI_HOST, "example.net"),
		F(TO_URI, "sip:%75se%72@example.com"), F(TO_USER_UNESC, "user"),
		F(FROM_USER_UNESC, "I have spaces"),
		F(CONTACT_URIS, "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31"),
		/* One decoding only: %25%34%31 is "%41", not "A". */
		F(CONTACT_URI_PARAMS_UNESC, "lr;name=value%41"), F(BODY_LEN, "150"))},
	{R4475("escnull"), .checks = CHECKS(F(METHOD, "REGISTER"),
		F(TO_USER_UNESC, "null-\0-null"), F(FROM_USER_UNESC, "null-\0-null"),
		F(CONTACT_COUNT, "2"),
		F(CONTACT_URIS, "sip:%00@host5.example.com|sip:%00%00@host5.example.com"),
		F(CONTENT_LENGTH, "0"))},
	{R4475("esc02"), .checks = CHECKS(F(METHOD, "RE%47IST%45R"), F(METHOD_ID, "UNKNOWN"),
		F(CSEQ_METHOD, "RE%47IST%45R"), F(TO_DISPLAY, "\"%Z%45\""),
		F(VIA_BRANCH, "z9hG4bK209%fzsnel234"), F(VIA_TRANSPORTS, "TCP"),
		F(CONTACT_COUNT, "2"),
		F(CONTACT_URIS, "sip:alias1@host1.example.com|sip:alias3@host3.example.com")),
		.extra = extra_esc02},
	{R4475("lwsdisp"), .checks = CHECKS(F(FROM_DISPLAY, "caller"),
		F(FROM_URI, "sip:caller@example.com"), F(FROM_TAG, "323"))},
	{R4475("longreq"), .checks = CHECKS(F(METHOD, "INVITE"), F(VIA_COUNT, "34"),
		F(VIA_SENT_BY, "sip33.example.com"), F_NONE(VIA_BRANCH), F(CSEQ_NUM, "3882340"),
		F(MAX_FORWARDS, "70"), F(CONTACT_COUNT, "1"), F(CONTENT_LENGTH, "150"),
		F(BODY_LEN, "150"), F(MSG_LEN, "3515")),
		.extra = extra_longreq},
	{R4475("dblreq"), .checks = CHECKS(F(METHOD, "REGISTER"), F(MSG_LEN, "300"),
		F(BODY_LEN, "0"), F(CALLID, "dblreq.0ha0isndaksdj99sdfafnl3lk233412"),
		F(CONTACT_URIS, "sip:j.user@host.example.com")),
		.extra = extra_dblreq},
	{R4475("semiuri"), .checks = CHECKS(F(METHOD, "OPTIONS"),
		F(RURI_USER, "user;par=u%40example.net"),
		F(RURI_USER_UNESC, "user;par=u@example.net"), F(RURI_HOST, "example.com"),
		F_NONE(RURI_PARAMS), F_NONE(RURI_PASSWORD))},
	{R4475("transports"), .checks = CHECKS(F(VIA_COUNT, "5"),
		F(VIA_TRANSPORTS, "UDP|SCTP|TLS|UNKNOWN|TCP"),
		F(CALLID, "transports.kijh4akdnaqjkwendsasfdj"))},
	{R4475("mpart01"), .checks = CHECKS(F(METHOD, "MESSAGE"), F(CONTENT_LENGTH, "553"),
		F(BODY_LEN, "553"), F(MSG_LEN, "1290"), F(VIA_HOSTS, "127.0.0.1"),
		F(VIA_PORT, "5070"), F(VIA_RPORT, "")),
		.extra = extra_mpart01},
	{R4475("unreason"), .checks = CHECKS(F(STATUS, "200"), F_NONE(METHOD), F(BODY_LEN, "154")),
		.extra = extra_unreason},
	{R4475("noreason"), .checks = CHECKS(F(STATUS, "100"), F(REASON, ""), F(VIA_COUNT, "1")),
		.extra = extra_noreason},

	/* RFC 4475 §3.1.2: invalid messages. */
	{R4475("badinv01"), REJ(400, VIA), .parses = true},
	{R4475("clerr"), REJ(400, BODY_SHORT)},
	{R4475("ncl"), REJ(400, CL_SYNTAX)},
	{R4475("scalar02"), REJ(400, CSEQ), .parses = true},
	{R4475("scalarlg"), DROPPED(CSEQ), .parses = true},
	{R4475("quotbal"), REJ(400, NAMEADDR), .parses = true},
	{R4475("ltgtruri"), REJ(400, REQUEST_URI), .parses = true},
	{R4475("lwsruri"), REJ(400, REQUEST_URI), .parses = true},
	{R4475("lwsstart"), REJ(400, START_LINE)},
	{R4475("trws"), REJ(400, START_LINE)},
	{R4475("escruri"), REJ(400, URI_HEADERS), .parses = true},
	/* Only invalid if Date is used; a router ignores Date and forwards. */
	{R4475("baddate"), .checks = CHECKS(F(METHOD, "INVITE"), F(BODY_LEN, "150"))},
	{R4475("regbadct"), REJ(400, NAMEADDR), .parses = true},
	{R4475("badaspec"), REJ(400, NAMEADDR), .parses = true},
	/* The archive copy has no empty line after the headers: refused for framing. */
	{R4475("baddn"), REJ(400, NO_END)},
	{.name = "baddn (closed with CRLF)", .file = "baddn", .set = RFC4475,
		.wire = WIRE_ADD_CRLF, REJ(400, NAMEADDR), .parses = true},
	{R4475("badvers"), REJ(505, VERSION)},
	{R4475("mismatch01"), REJ(400, CSEQ_METHOD), .parses = true},
	{R4475("mismatch02"), REJ(501, CSEQ_UNKNOWN), .parses = true},
	{R4475("bigcode"), DROPPED(STATUS_CODE)},

	/* RFC 4475 §3.2 - §3.4: transaction, application and compatibility layers. */
	{R4475("badbranch"), .checks = CHECKS(F(VIA_BRANCH, "z9hG4bK")),
		.extra = extra_badbranch},
	{R4475("insuf"), REJ(400, MISSING_HDR), .parses = true},
	{R4475("unkscm"), REJ(416, SCHEME), .parses = true},
	{R4475("novelsc"), REJ(416, SCHEME), .parses = true},
	{R4475("unksm2"), .checks = CHECKS(F(TO_URI, "isbn:2983792873"),
		F(FROM_URI, "http://www.example.com"), F(CONTACT_URIS, "name:John_Smith"))},
	{R4475("bext01"), PROXIED(420, BAD_EXTENSION)},
	{R4475("invut"), .checks = CHECKS(F(BODY_LEN, "40"))},
	{R4475("regaut01"), .checks = CHECKS(F(METHOD, "REGISTER"), F(CONTENT_LENGTH, "0"))},
	{R4475("multi01"), REJ(400, DUP_HDR), .parses = true},
	{R4475("mcl01"), REJ(400, CL_DUP)},
	{R4475("bcast"), .checks = CHECKS(F(STATUS, "200"),
		F(VIA_HOSTS, "192.0.2.198|255.255.255.255")),
		.extra = extra_bcast},
	{R4475("zeromf"), PROXIED(483, TOO_MANY_HOPS), .checks = CHECKS(F(MAX_FORWARDS, "0"))},
	/* No <>: unknownparam is a Contact parameter, not a URI parameter. */
	{R4475("cparam01"), .checks = CHECKS(F(CONTACT_URIS, "sip:+19725552222@gw1.example.net"),
		F(CONTACT_PARAM_NAMES, "unknownparam"), F_NONE(CONTACT_URI_PARAMS))},
	{R4475("cparam02"), .checks = CHECKS(
		F(CONTACT_URIS, "sip:+19725552222@gw1.example.net;unknownparam"),
		F(CONTACT_PARAM_NAMES, ""), F(CONTACT_URI_PARAMS, "unknownparam"))},
	{R4475("regescrt"), .checks = CHECKS(F(CONTACT_COUNT, "1"),
		F(CONTACT_URI_HEADERS, "Route=%3Csip:sip.example.com%3E"), F(CONTENT_LENGTH, "0"))},
	{R4475("sdp01"), .checks = CHECKS(F(BODY_LEN, "150"))},
	{R4475("inv2543"), .checks = CHECKS(F_NONE(VIA_BRANCH), F_NONE(FROM_TAG),
		F_NONE(CONTENT_LENGTH), F_NONE(MAX_FORWARDS), F(BODY_LEN, "105"),
		F(VIA_SENT_BY, "iftgw.example.com")),
		.extra = extra_inv2543},

	/* RFC 5118, as datagrams (test_make_wire()). IPv6 hosts are reported without brackets. */
	{R5118("ipv6-good"), .checks = CHECKS(F(RURI_HOST, "2001:db8::10"),
		F(RURI_HOST_TYPE, "ipv6"), F_NONE(RURI_PORT), F_NONE(RURI_USER),
		F(VIA_HOSTS, "2001:db8::9:1"), F(VIA_SENT_BY, "[2001:db8::9:1]"),
		F(CONTACT_URIS, "sip:caller@[2001:db8::1]"))},
	{R5118("ipv6-bad"), REJ(400, REQUEST_URI), .parses = true},
	/* Well formed, and the port is part of the address: there is NO port. */
	{R5118("port-ambiguous"), .checks = CHECKS(F(RURI_HOST, "2001:db8::10:5070"),
		F(RURI_HOST_TYPE, "ipv6"), F_NONE(RURI_PORT))},
	{R5118("port-unambiguous"), .checks = CHECKS(F(RURI_HOST, "2001:db8::10"),
		F(RURI_PORT, "5070"))},
	{R5118("via-received-param-with-delim"), .checks = CHECKS(
		F(VIA_RECEIVED, "[2001:db8::9:255]"), F(VIA_BRANCH, "z9hG4bKas3-111"))},
	{R5118("via-received-param-no-delim"), .checks = CHECKS(
		F(VIA_RECEIVED, "2001:db8::9:255"), F(VIA_BRANCH, "z9hG4bKas3"))},
	{R5118("ipv6-in-sdp"), .checks = CHECKS(F(CONTENT_LENGTH, "251"), F(BODY_LEN, "251"),
		F(RURI_HOST, "2001:db8::10"), F(VIA_HOSTS, "2001:db8::20"))},
	{R5118("mult-ip-in-header"), .checks = CHECKS(F(METHOD, "BYE"), F(VIA_COUNT, "3"),
		F(VIA_HOSTS, "2001:db8::9:1|192.0.2.1|2001:db8::9:255"), F(VIA_PORT, "6050"))},
	{R5118("mult-ip-in-sdp"), .checks = CHECKS(F(CONTENT_LENGTH, "189"), F(BODY_LEN, "189"))},
	{R5118("ipv4-mapped-ipv6"), .checks = CHECKS(
		F(VIA_HOSTS, "::ffff:192.0.2.10|::ffff:192.0.2.2"), F(VIA_PORT, "19823"),
		F(CONTACT_URIS, "sip:ted@[::ffff:192.0.2.2]"), F(BODY_LEN, "245"))},
	{R5118("ipv6-bug-abnf-3-colons"), .checks = CHECKS(F(RURI_HOST, "2001:db8:::192.0.2.1"),
		F(RURI_HOST_TYPE, "ipv6"), F(TO_URI, "sip:user@[2001:db8:::192.0.2.1]"))},
	{R5118("ipv6-correct-abnf-2-colons"), .checks = CHECKS(
		F(RURI_HOST, "2001:db8::192.0.2.1"), F(RURI_HOST_TYPE, "ipv6"))},

	/* The RFC 5118 archive bytes with only CRLF added fail exactly on its quirks. */
	{.name = "ipv6-in-sdp (archive Content-Length 268)", .file = "ipv6-in-sdp",
		.set = RFC5118, .wire = WIRE_CRLF_ONLY, REJ(400, BODY_SHORT)},
	{.name = "ipv6-bug-abnf-3-colons (archive, no empty line)",
		.file = "ipv6-bug-abnf-3-colons", .set = RFC5118, .wire = WIRE_CRLF_ONLY,
		REJ(400, NO_END)},
};

static const struct {
	const char *file;
	void (*extra)(const struct corpus_ctx *x);
} extras_by_file[] = {
	{"via-received-param-with-delim", extra_received6},
	{"via-received-param-no-delim", extra_received6},
	{"mult-ip-in-header", extra_mult_ip_hdr},
	{"ipv6-bug-abnf-3-colons", extra_3colons},
};

/* ---- running a row ---- */

struct corpus_run {
	const char *name; /* "variant/row" */
	const struct corpus_case *c;
	const char *variant;
};

static void
check_outcome(const struct corpus_case *c, const struct sip_msg *m, int rc,
		const struct sip_verdict *v)
{
	struct sip_verdict pv;

	switch (c->outcome) {
	case ACCEPT:
		if (v->err != 0)
			fail_msg("refused: %s (%s), parse %d", sip_err_name(v->err),
					sip_err_text(v->err), rc);
		assert_true(rc > 0);
		assert_int_equal(v->status, 0);
		if (sip_is_request(m)) {
			assert_int_equal(sip_proxy_check(m, &pv), 0);
			assert_int_equal(pv.status, 0);
		}
		break;
	case PROXY:
		assert_true(rc > 0);
		assert_int_equal(v->err, 0);
		assert_true(sip_is_request(m));
		assert_int_equal(sip_proxy_check(m, &pv), c->err);
		assert_int_equal(pv.status, c->status);
		break;
	case REJECT:
	case DROP:
		if (v->err != c->err)
			fail_msg("verdict %s, want %s", sip_err_name(v->err), sip_err_name(c->err));
		if (c->outcome == REJECT) {
			assert_true(sip_is_request(m));
			assert_int_equal(v->status, c->status);
		} else {
			assert_false(sip_is_request(m));
			assert_int_equal(v->status, 0);
		}
		if (c->parses)
			assert_true(rc > 0);
		else
			assert_int_equal(rc, c->err);
		break;
	}
}

static void
run_case(void **state)
{
	const struct corpus_run *run = *state;
	const struct corpus_case *c = run->c;
	struct sip_msg m, m2;
	struct sip_verdict v, v2;
	struct sip_fields f;
	struct sip_exercise_result xr;
	char path[128], *raw, *wire;
	size_t raw_len;

	test_use_variant(run->variant);
	snprintf(path, sizeof(path), "%s/%s.sip", c->set == RFC4475 ? "rfc4475" : "rfc5118",
			c->file);
	test_corpus_read(path, &raw, &raw_len);
	size_t cap = 2 * raw_len + 64;
	wire = malloc(cap);
	assert_non_null(wire);
	size_t len = test_make_wire(c->wire, raw, raw_len, wire, cap);

	/* Flush against the back guard page: an over-read faults. */
	const char *buf = guard_put(test_slot(0), wire, len);
	int rc = sip_parse(&m, buf, len, 0);
	sip_inspect(&m, rc, SIP_VAL_STRICT, &v, &f);
	check_outcome(c, &m, rc, &v);

	/* Flush against the front guard page: an under-read faults. Same verdict. */
	const char *front = guard_put_front(test_slot(1), wire, len);
	assert_int_equal(sip_parse(&m2, front, len, 0), rc);
	assert_int_equal(sip_validate(&m2, rc, SIP_VAL_STRICT, &v2), v.err);

	if (c->checks != NULL)
		check_fields(&m, c->checks);
	struct corpus_ctx x = {raw, raw_len, buf, len, &m};
	if (c->extra != NULL)
		c->extra(&x);
	if (c->wire == WIRE_5118)
		for (size_t i = 0; i < sizeof(extras_by_file) / sizeof(extras_by_file[0]); i++)
			if (strcmp(extras_by_file[i].file, c->file) == 0)
				extras_by_file[i].extra(&x);

	/* Every parser and builder on it, outputs fenced by a guard page too. */
	struct sip_exercise_opts xo = {.secret = SECRET, .nospace = true, .out = test_out()};
	if (sip_exercise(buf, len, &xo, &xr) != 0)
		fail_msg("invariant: %s", xr.why);
	if (c->outcome == ACCEPT && sip_is_request(&m))
		assert_int_equal(xr.builds, 3); /* two forwards and a 302 */
	free(wire);
	free(raw);
}

/* Every corpus file has a row, so a new file cannot go untested. */
static void
every_file_has_a_row(void **state)
{
	static const char *const sets[] = {"rfc4475", "rfc5118"};
	(void)state;

	if (corpus_dir() == NULL)
		test_no_corpus();
	for (unsigned s = 0; s < 2; s++) {
		char **names;
		size_t n;
		assert_int_equal(corpus_list(sets[s], ".sip", &names, &n), 0);
		assert_int_equal(n, s == 0 ? 49 : 12);
		for (size_t i = 0; i < n; i++) {
			size_t j, flen = strlen(names[i]) - 4;
			for (j = 0; j < sizeof(cases) / sizeof(cases[0]); j++)
				if (cases[j].set == s && strlen(cases[j].file) == flen &&
						memcmp(cases[j].file, names[i], flen) == 0)
					break;
			if (j == sizeof(cases) / sizeof(cases[0]))
				fail_msg("%s/%s has no row", sets[s], names[i]);
		}
		corpus_list_free(names, n);
	}
}

int
test_group_corpus(void)
{
	const struct sip_scanner *sc;
	unsigned n_sc, n_cases = sizeof(cases) / sizeof(cases[0]);
	int failed;

	const struct CMUnitTest meta[] = {
		cmocka_unit_test(every_file_has_a_row),
	};
	failed = cmocka_run_group_tests_name("corpus_files", meta, NULL, NULL);

	sc = sip_scanners(&n_sc);
	struct corpus_run *runs = calloc((size_t)n_sc * n_cases, sizeof(*runs));
	char *names = calloc((size_t)n_sc * n_cases, 96);
	assert_non_null(runs);
	assert_non_null(names);
	for (unsigned s = 0; s < n_sc; s++) {
		for (unsigned i = 0; i < n_cases; i++) {
			struct corpus_run *r = &runs[s * n_cases + i];
			char *name = names + (size_t)(s * n_cases + i) * 96;
			snprintf(name, 96, "%s/%s", sc[s].name, cases[i].name);
			r->name = name;
			r->c = &cases[i];
			r->variant = sc[s].name;
		}
	}
	failed += run_rows("corpus", runs, (size_t)n_sc * n_cases, sizeof(*runs), run_case);
	free(names);
	free(runs);
	sip_scanner_select("best");
	return failed;
}
