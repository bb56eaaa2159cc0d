/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_exercise.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "sip.h"

/* Builders add at most a few hundred bytes; this leaves ample room. */
#define OUT_SLACK 2048u
/* More lines than sip_parse() ever asks the scanner for. */
#define SCAN_MAX_CAP 256u

struct ctx {
	const char *buf;
	size_t len;
	const struct sip_exercise_opts *o;
	struct sip_exercise_result *r;
	char *outs[2]; /* malloc'd outputs when no guard buffer is given */
	struct sip_keyring keys; /* from o->secret */
};

__attribute__((format(printf, 2, 3))) static int
fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->r->why, sizeof(c->r->why), fmt, ap);
	va_end(ap);
	return -1;
}

#define CHECK(c, cond, ...)                                                                \
	do {                                                                               \
		if (!(cond))                                                               \
			return fail((c), __VA_ARGS__);                                     \
	} while (0)

/* A view lies inside [base, base + len) (empty views may point anywhere). */
static bool
view_in(struct sip_str s, const char *base, size_t len)
{
	uintptr_t p = (uintptr_t)s.p, b = (uintptr_t)base;
	return s.len == 0 || (p >= b && p - b <= len && s.len <= len - (p - b));
}

#define CHECK_VIEW(c, s, what) \
	CHECK((c), view_in((s), (c)->buf, (c)->len), "%s: view outside the input", (what))

/*
 * Output buffer of cap bytes: fenced by the guard page when the caller gave
 * one (slot 0 only, the one whose result is parsed), else malloc'd (ASan
 * fences it). slot 1 holds a second build to compare with the first.
 */
static char *
out_buf(struct ctx *c, unsigned slot, size_t cap)
{
	if (c->o->out != NULL && slot == 0)
		return guard_room(c->o->out, cap);
	free(c->outs[slot]);
	c->outs[slot] = malloc(cap ? cap : 1);
	if (c->outs[slot] == NULL)
		return NULL;
	memset(c->outs[slot], GUARD_FILL, cap);
	/* Zero bytes of room: one past a 1-byte block, so any write is an overflow. */
	return cap ? c->outs[slot] : c->outs[slot] + 1;
}

/* ---- scanner oracle ---- */

int
sip_scan_compare(const struct sip_scanner *sc, const char *buf, uint32_t start, uint32_t len,
		unsigned cap, char *why, size_t why_len)
{
	struct sip_line a[SCAN_MAX_CAP], b[SCAN_MAX_CAP];
	uint32_t body_a = 0xdeadbeef, body_b = 0xdeadbeef;

	if (cap > SCAN_MAX_CAP)
		cap = SCAN_MAX_CAP;
	/* Same poison on both sides: entries a variant must not write stay equal. */
	memset(a, 0xa5, sizeof(a));
	memset(b, 0xa5, sizeof(b));
	int ra = sip_scan_scalar(buf, start, len, a, cap, &body_a);
	int rb = sc->scan(buf, start, len, b, cap, &body_b);
	if (ra != rb) {
		snprintf(why, why_len, "%s: returned %d, scalar %d (start %u len %u cap %u)",
				sc->name, rb, ra, start, len, cap);
		return -1;
	}
	if (body_a != body_b) {
		snprintf(why, why_len, "%s: body %" PRIu32 ", scalar %" PRIu32
				" (start %u len %u cap %u)", sc->name, body_b, body_a, start, len,
				cap);
		return -1;
	}
	for (unsigned i = 0; i < cap; i++) {
		if (memcmp(&a[i], &b[i], sizeof(a[i])) != 0) {
			snprintf(why, why_len, "%s: line %u is {%u,%u,%u}, scalar {%u,%u,%u}"
					" (start %u len %u cap %u)", sc->name, i, b[i].start,
					b[i].colon, b[i].lf, a[i].start, a[i].colon, a[i].lf,
					start, len, cap);
			return -1;
		}
	}
	return 0;
}

/* Everything sip_parse() leaves in a sip_msg, compared field by field. */
static int
msg_diff(const struct sip_msg *a, const struct sip_msg *b)
{
	if (a->len != b->len || a->skip != b->skip || a->hdr_start != b->hdr_start ||
			a->body != b->body || a->body_len != b->body_len || a->flags != b->flags ||
			a->method != b->method || a->n_hdrs != b->n_hdrs ||
			a->status != b->status || a->method_off != b->method_off ||
			a->method_len != b->method_len || a->ruri_off != b->ruri_off ||
			a->ruri_len != b->ruri_len || a->reason_off != b->reason_off ||
			a->reason_len != b->reason_len || a->start_end != b->start_end ||
			memcmp(a->first, b->first, sizeof(a->first)) != 0)
		return 1;
	for (unsigned i = 0; i < a->n_hdrs; i++) {
		const struct sip_hdr *x = &a->hdr[i], *y = &b->hdr[i];
		if (x->name != y->name || x->colon != y->colon || x->lf != y->lf ||
				x->type != y->type || x->next != y->next)
			return 1;
	}
	return 0;
}

int
sip_parse_compare(const struct sip_scanner *sc, const char *buf, size_t len, char *why,
		size_t why_len)
{
	const struct sip_scanner *was = sip_scanner_active();
	struct sip_msg a, b;
	int ra, rb;

	/* Members sip_parse() does not reset on every path must start equal. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	sip_scanner_select("scalar");
	ra = sip_parse(&a, buf, len, 0);
	sip_scanner_select(sc->name);
	rb = sip_parse(&b, buf, len, 0);
	sip_scanner_select(was->name);
	if (ra != rb || msg_diff(&a, &b)) {
		snprintf(why, why_len, "sip_parse with %s: %d, scalar %d, messages differ",
				sc->name, rb, ra);
		return -1;
	}
	return 0;
}

static int
check_scanners(struct ctx *c)
{
	const struct sip_scanner *all;
	unsigned n;

	all = sip_scanners(&n);
	for (unsigned i = 0; i < n; i++) {
		if (!all[i].supported())
			continue;
		uint32_t len = c->len > SIP_MAX_MSG ? SIP_MAX_MSG : (uint32_t)c->len;
		for (uint32_t start = 0; start < 3 && start <= len; start++)
			if (sip_scan_compare(&all[i], c->buf, start, len, SIP_MAX_HDRS + 1,
					c->r->why, sizeof(c->r->why)) != 0)
				return -1;
		if (sip_parse_compare(&all[i], c->buf, c->len, c->r->why, sizeof(c->r->why)) != 0)
			return -1;
	}
	return 0;
}

/* ---- parse ---- */

static int
check_index(struct ctx *c, const struct sip_msg *m)
{
	unsigned seen = 0;

	CHECK(c, m->n_hdrs <= SIP_MAX_HDRS, "n_hdrs %u", m->n_hdrs);
	for (unsigned i = 0; i < m->n_hdrs; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		CHECK(c, h->name < h->colon && h->colon < h->lf && h->lf < c->len,
				"header %u: name %u colon %u lf %u", i, h->name, h->colon, h->lf);
		CHECK(c, h->type < SIP_HDR__COUNT, "header %u: type %u", i, h->type);
		struct sip_str name = sip_hdr_name_str(m, h);
		CHECK(c, sip_hdr_lookup(name.p, name.len, c->buf + c->len) == h->type,
				"header %u: name lookup differs from the index", i);
		struct sip_str v = sip_hdr_value(m, h);
		CHECK(c, v.p > c->buf + h->colon && v.p + v.len <= c->buf + h->lf + 1,
				"header %u: value outside its line", i);
		/* The inline common case and the general rule agree (sip_msg.h). */
		struct sip_str vf = sip_hdr_value_full(m, h);
		CHECK(c, v.p == vf.p && v.len == vf.len,
				"header %u: sip_hdr_value() differs from sip_hdr_value_full()", i);
	}
	for (unsigned t = 0; t < SIP_HDR__COUNT; t++) {
		int last = -1;
		for (unsigned i = m->first[t]; i != SIP_HDR_NONE; i = m->hdr[i].next) {
			CHECK(c, i < m->n_hdrs && (int)i > last && m->hdr[i].type == t,
					"type %u: broken chain at %u", t, i);
			last = (int)i;
			seen++;
		}
	}
	CHECK(c, seen == m->n_hdrs, "chains hold %u headers of %u", seen, m->n_hdrs);
	return 0;
}

static int
check_parse(struct ctx *c, const struct sip_msg *m, int rc)
{
	CHECK(c, rc != 0, "sip_parse returned 0");
	if (c->len > SIP_MAX_MSG) {
		CHECK(c, rc == -SIP_E_TOO_LARGE, "oversized datagram: %d", rc);
		return 0;
	}
	if (rc < 0) {
		CHECK(c, -rc < SIP_E__COUNT && rc != -SIP_E_NOSPACE && rc != -SIP_E_INCOMPLETE,
				"sip_parse: unexpected error %d", rc);
	} else {
		CHECK(c, (uint32_t)rc == m->len && m->len <= c->len, "rc %d len %u of %zu", rc,
				m->len, c->len);
		CHECK(c, m->body + m->body_len == m->len && m->skip < m->body &&
				m->hdr_start <= m->body,
				"framing: skip %u hdrs %u body %u+%u len %u", m->skip,
				m->hdr_start, m->body, m->body_len, m->len);
		CHECK(c, (m->flags & (SIP_MSG_START_OK | SIP_MSG_HDRS_OK)) ==
				(SIP_MSG_START_OK | SIP_MSG_HDRS_OK), "flags %#x", m->flags);
		if (sip_is_request(m)) {
			CHECK(c, m->method_len > 0 && m->ruri_len > 0, "empty method or R-URI");
			CHECK_VIEW(c, sip_msg_ruri(m), "R-URI");
		} else {
			CHECK(c, m->status >= 100 && m->status <= 699, "status %u", m->status);
			CHECK_VIEW(c, sip_msg_reason(m), "reason");
		}
	}
	if (m->flags & SIP_MSG_HDRS_OK)
		return check_index(c, m);
	return 0;
}

/* Stream framing agrees with datagram framing; a prefix is never a message. */
static int
check_stream(struct ctx *c, int rc)
{
	struct sip_msg ms;

	if (c->len > SIP_MAX_MSG)
		return 0;
	int rs = sip_parse(&ms, c->buf, c->len, SIP_PARSE_STREAM);
	CHECK(c, rs <= 0 || rs == rc, "stream %d, datagram %d", rs, rc);
	if (rs <= 0)
		return 0;
	uint32_t cuts[] = {0, (uint32_t)rs - 1, (uint32_t)rs / 2, ms.body - 1, ms.body};
	for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct sip_msg mp;
		if (cuts[i] >= (uint32_t)rs)
			continue;
		int rp = sip_parse(&mp, c->buf, cuts[i], SIP_PARSE_STREAM);
		CHECK(c, rp == -SIP_E_INCOMPLETE, "stream prefix of %u bytes: %d", cuts[i], rp);
	}
	return 0;
}

/* ---- structured parsers ---- */

static int
check_addr_roundtrip(struct ctx *c, const struct sip_addr *a, const char *what)
{
	char t[64];
	struct sip_addr b;

	size_t n = sip_addr_format(a, t, sizeof(t));
	CHECK(c, n > 0, "%s: address does not format", what);
	CHECK(c, sip_addr_parse(sip_str_make(t, n), &b) == 0 && sip_addr_eq(a, &b),
			"%s: address does not round-trip (%.*s)", what, (int)n, t);
	CHECK(c, sip_addr_format(a, t, n - 1) == 0, "%s: format ignored its capacity", what);
	return 0;
}

static int
check_params(struct ctx *c, struct sip_str s, const char *what)
{
	struct sip_param prm;
	uint32_t pos = 0, guard = 0;
	int rc;

	while ((rc = sip_param_next(s, &pos, &prm)) == 1) {
		CHECK(c, ++guard <= s.len, "%s: parameter loop does not advance", what);
		CHECK(c, prm.name.len > 0 && view_in(prm.name, s.p, s.len) &&
				view_in(prm.value, s.p, s.len), "%s: parameter view", what);
		CHECK(c, pos <= s.len, "%s: parameter cursor past the end", what);
	}
	return 0;
}

static int
check_uri(struct ctx *c, struct sip_str s, const char *what)
{
	struct sip_uri u;
	char tmp[SIP_MAX_MSG];
	bool engaged;

	if (sip_uri_fast_compare(s.p, s.len, &engaged, tmp, sizeof(tmp)) != 0)
		return fail(c, "%s: %s", what, tmp);
	if (sip_uri_parse(&u, s.p, s.len) != 0)
		return 0;
	struct sip_str views[] = {u.scheme, u.user, u.password, u.host, u.hostport, u.params,
		u.headers, u.opaque};
	for (unsigned i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		CHECK(c, view_in(views[i], s.p, s.len), "%s: URI view %u outside the URI", what, i);
	if (u.scheme_id == SIP_SCHEME_SIP || u.scheme_id == SIP_SCHEME_SIPS) {
		/* The parser checked every escape of the user part: decoding cannot fail. */
		int n = sip_unescape(tmp, u.user.len, u.user);
		CHECK(c, n >= 0 && (uint32_t)n <= u.user.len, "%s: user does not unescape", what);
		CHECK(c, u.host.len > 0 && view_in(u.host, u.hostport.p, u.hostport.len),
				"%s: host outside hostport", what);
		struct sip_addr a;
		if (u.host_type == SIP_HOST_IPV4) {
			CHECK(c, sip_addr_parse(u.host, &a) == 0, "%s: IPv4 host", what);
			if (check_addr_roundtrip(c, &a, what))
				return -1;
		} else if (u.host_type == SIP_HOST_IPV6) {
			CHECK(c, sip_ipv6_parse(u.host.p, u.host.len, a.a, false) == 0,
					"%s: IPv6 host", what);
		}
		if (check_params(c, u.params, what))
			return -1;
	}
	return 0;
}

static int
check_naddr(struct ctx *c, const struct sip_naddr *a, const char *what)
{
	CHECK(c, view_in(a->display, c->buf, c->len) && view_in(a->uri, c->buf, c->len) &&
			view_in(a->params, c->buf, c->len) && view_in(a->tag, c->buf, c->len) &&
			a->start <= a->end, "%s: name-addr view outside the input", what);
	if (!a->star && check_uri(c, a->uri, what))
		return -1;
	return check_params(c, a->params, what);
}

/* Where the cursor's next value starts and its line ends; false when none is left. */
static bool
cursor_peek(const struct sip_msg *m, const struct sip_cursor *cur, const char **at,
		const char **end)
{
	const struct sip_hdr *h = sip_cursor_hdr(cur);
	const char *p = cur->pos;

	while (h != NULL) {
		struct sip_str val = sip_hdr_value(m, h);
		if (p == NULL)
			p = val.p;
		if (p < val.p + val.len) {
			*at = p;
			*end = val.p + val.len;
			return true;
		}
		h = h->next != SIP_HDR_NONE ? &m->hdr[h->next] : NULL;
		p = NULL;
	}
	return false;
}

static int
walk_list(struct ctx *c, const struct sip_msg *m, enum sip_hdr_type t, unsigned flags)
{
	struct sip_cursor cur;
	struct sip_naddr a;
	unsigned n = 0;

	sip_cursor_init(&cur, m, t);
	for (;;) {
		const char *at, *end;
		if (cursor_peek(m, &cur, &at, &end)) {
			bool engaged;
			char why[300];
			if (sip_naddr_fast_compare(at, end, flags | SIP_NADDR_LIST, &engaged, why,
					sizeof(why)) != 0)
				return fail(c, "%s", why);
		}
		if (sip_naddr_next(&cur, &a, flags) != 1)
			break;
		CHECK(c, ++n <= c->len, "%s: cursor does not advance", sip_hdr_name(t));
		if (check_naddr(c, &a, sip_hdr_name(t)))
			return -1;
	}
	return 0;
}

static bool
same_view(struct sip_str a, struct sip_str b)
{
	return a.p == b.p && a.len == b.len;
}

int
sip_via_fast_compare(const char *p, const char *end, bool *engaged, char *why, size_t why_len)
{
	struct sip_via f, s;
	const char *nf = NULL, *ns = NULL;
	int rs = sip_via_parse_full(&s, p, end, &ns);
	int rf = sip_via_parse_fast(&f, p, end, &nf);

	*engaged = rf == 0;
	if (rf == 1)
		return 0;
	const char *bad = NULL;
	if (rf != 0)
		bad = "returned neither 0 nor 1";
	else if (rs != 0)
		bad = "took a value the full parser refuses";
	else if (nf != ns || f.start != s.start || f.end != s.end)
		bad = "cursor or bounds";
	else if (!same_view(f.protocol, s.protocol) || !same_view(f.version, s.version) ||
			!same_view(f.transport, s.transport) || f.transport_id != s.transport_id)
		bad = "sent-protocol";
	else if (!same_view(f.sent_by, s.sent_by) || !same_view(f.host, s.host) ||
			f.host_type != s.host_type || f.port != s.port || f.has_port != s.has_port ||
			f.addr.af != s.addr.af || memcmp(f.addr.a, s.addr.a, sizeof(f.addr.a)) != 0)
		bad = "sent-by";
	else if (!same_view(f.params, s.params) || f.more != s.more)
		bad = "parameters or list";
	else if (!same_view(f.branch, s.branch) || f.has_branch != s.has_branch ||
			!same_view(f.received, s.received) || f.has_received != s.has_received ||
			!same_view(f.rport, s.rport) || f.has_rport != s.has_rport ||
			f.rport_name_end != s.rport_name_end || !same_view(f.maddr, s.maddr) ||
			f.has_maddr != s.has_maddr || !same_view(f.ttl, s.ttl))
		bad = "branch, received, rport, maddr or ttl";
	if (bad == NULL)
		return 0;
	snprintf(why, why_len, "Via fast path differs from the full parser (%s) on \"%.*s\"",
			bad, (int)(end - p > 120 ? 120 : end - p), p);
	return -1;
}

int
sip_naddr_fast_compare(const char *p, const char *end, unsigned flags, bool *engaged, char *why,
		size_t why_len)
{
	struct sip_naddr f, s;
	const char *nf = NULL, *ns = NULL;
	int rs = sip_naddr_parse_full(&s, p, end, flags, &ns);
	int rf = sip_naddr_parse_fast(&f, p, end, flags, &nf);

	*engaged = rf == 0;
	if (rf == 1)
		return 0;
	const char *bad = NULL;
	if (rf != 0)
		bad = "returned neither 0 nor 1";
	else if (rs != 0)
		bad = "took a value the full parser refuses";
	else if (nf != ns || f.start != s.start || f.end != s.end || f.more != s.more)
		bad = "cursor or bounds";
	else if (!same_view(f.display, s.display))
		bad = "display name";
	else if (!same_view(f.uri, s.uri) || f.bracketed != s.bracketed || f.star != s.star)
		bad = "URI";
	else if (!same_view(f.params, s.params) || !same_view(f.tag, s.tag) ||
			f.has_tag != s.has_tag)
		bad = "parameters or tag";
	if (bad == NULL)
		return 0;
	snprintf(why, why_len,
			"name-addr fast path differs from the full parser (%s, flags %u) on \"%.*s\"",
			bad, flags, (int)(end - p > 120 ? 120 : end - p), p);
	return -1;
}

int
sip_uri_fast_compare(const char *p, size_t len, bool *engaged, char *why, size_t why_len)
{
	struct sip_uri f, s;

	/*
	 * Different poison in each: a member the fast path leaves unset cannot
	 * match the full parser's by chance. Members are compared one by one,
	 * never the padding, which neither parser promises anything about.
	 */
	memset(&f, 0xa5, sizeof(f));
	memset(&s, 0x5a, sizeof(s));
	int rs = sip_uri_parse_full(&s, p, len);
	int rf = sip_uri_parse_fast(&f, p, len);

	*engaged = rf == 0;
	if (rf == 1)
		return 0;
	const char *bad = NULL;
	if (rf != 0)
		bad = "returned neither 0 nor 1";
	else if (rs != 0)
		bad = "took a URI the full parser refuses";
	else if (!same_view(f.scheme, s.scheme) || f.scheme_id != s.scheme_id ||
			!same_view(f.opaque, s.opaque))
		bad = "scheme";
	else if (!same_view(f.user, s.user) || f.has_user != s.has_user ||
			!same_view(f.password, s.password))
		bad = "user part";
	else if (!same_view(f.host, s.host) || f.host_type != s.host_type ||
			!same_view(f.hostport, s.hostport) || f.port != s.port ||
			f.has_port != s.has_port)
		bad = "host[:port]";
	else if (f.addr.af != s.addr.af || memcmp(f.addr.a, s.addr.a, sizeof(f.addr.a)) != 0)
		bad = "address";
	else if (!same_view(f.params, s.params) || !same_view(f.headers, s.headers))
		bad = "parameters or headers";
	if (bad == NULL)
		return 0;
	snprintf(why, why_len, "URI fast path differs from the full parser (%s) on \"%.*s\"", bad,
			(int)(len > 120 ? 120 : len), p);
	return -1;
}

static int
walk_vias(struct ctx *c, const struct sip_msg *m)
{
	struct sip_cursor cur;
	struct sip_via v;
	unsigned n = 0;

	sip_cursor_init(&cur, m, SIP_HDR_VIA);
	for (;;) {
		/* The fast path, wherever the cursor is about to parse a value. */
		const char *at, *end;
		if (cursor_peek(m, &cur, &at, &end)) {
			bool engaged;
			char why[300];
			if (sip_via_fast_compare(at, end, &engaged, why, sizeof(why)) != 0)
				return fail(c, "%s", why);
		}
		if (sip_via_next(&cur, &v) != 1)
			break;
		CHECK(c, ++n <= c->len, "Via: cursor does not advance");
		struct sip_str views[] = {v.protocol, v.version, v.transport, v.sent_by, v.host,
			v.params, v.branch, v.received, v.rport, v.maddr, v.ttl};
		for (unsigned i = 0; i < sizeof(views) / sizeof(views[0]); i++)
			CHECK_VIEW(c, views[i], "Via");
		CHECK(c, v.start <= v.end && view_in(v.host, v.sent_by.p, v.sent_by.len),
				"Via: host outside sent-by");
		struct sip_addr a;
		if (v.host_type == SIP_HOST_IPV4)
			CHECK(c, sip_addr_parse(v.host, &a) == 0, "Via: IPv4 sent-by");
		if (v.has_received && sip_addr_parse(v.received, &a) == 0 &&
				check_addr_roundtrip(c, &a, "Via received"))
			return -1;
		if (check_params(c, v.params, "Via"))
			return -1;
	}
	return 0;
}

static int
walk_headers(struct ctx *c, const struct sip_msg *m)
{
	struct sip_naddr a;
	const char *next;

	for (unsigned i = 0; i < m->n_hdrs; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		struct sip_str v = sip_hdr_value(m, h);
		const char *end = v.p + v.len;
		struct sip_cseq cs;
		uint32_t u32;

		switch (h->type) {
		case SIP_HDR_FROM:
		case SIP_HDR_TO:
		case SIP_HDR_REFER_TO:
		case SIP_HDR_REFERRED_BY:
			if (sip_naddr_parse(&a, v.p, end, SIP_NADDR_CHECK_URI, &next) == 0 &&
					check_naddr(c, &a, sip_hdr_name(h->type)))
				return -1;
			for (unsigned fl = 0; fl <= SIP_NADDR_CHECK_URI; fl += SIP_NADDR_CHECK_URI) {
				bool engaged;
				char why[300];
				if (sip_naddr_fast_compare(v.p, end, fl, &engaged, why, sizeof(why)))
					return fail(c, "%s", why);
			}
			break;
		case SIP_HDR_CSEQ:
			if (sip_cseq_parse(v, &cs) == 0)
				CHECK_VIEW(c, cs.method, "CSeq method");
			break;
		case SIP_HDR_CALL_ID:
			(void)sip_callid_check(v);
			break;
		case SIP_HDR_EXPIRES:
		case SIP_HDR_MIN_EXPIRES:
			(void)sip_delta_seconds(v, &u32);
			break;
		default:
			break;
		}
	}
	if (walk_vias(c, m) || walk_list(c, m, SIP_HDR_CONTACT, SIP_NADDR_STAR) ||
			walk_list(c, m, SIP_HDR_ROUTE, SIP_NADDR_NEED_BRACKETS) ||
			walk_list(c, m, SIP_HDR_RECORD_ROUTE, SIP_NADDR_NEED_BRACKETS) ||
			walk_list(c, m, SIP_HDR_PATH, SIP_NADDR_NEED_BRACKETS) ||
			walk_list(c, m, SIP_HDR_P_ASSERTED_IDENTITY, 0) ||
			walk_list(c, m, SIP_HDR_DIVERSION, 0))
		return -1;
	if ((m->flags & SIP_MSG_START_OK) && sip_is_request(m))
		return check_uri(c, sip_msg_ruri(m), "R-URI");
	return 0;
}

/* ---- validation ---- */

static int
check_verdict(struct ctx *c, const struct sip_msg *m, const struct sip_verdict *v, int err,
		const char *what)
{
	unsigned want = (err != 0 && sip_is_request(m)) ? sip_err_status(err) : 0;
	CHECK(c, v->err == err, "%s: verdict err %d, returned %d", what, v->err, err);
	CHECK(c, v->status == want, "%s: status %u for %s, want %u", what, v->status,
			sip_err_name(err), want);
	return 0;
}

static int
count_values(const struct sip_msg *m, enum sip_hdr_type t)
{
	struct sip_cursor cur;
	int n = 0, rc;

	sip_cursor_init(&cur, m, t);
	if (t == SIP_HDR_VIA) {
		struct sip_via v;
		while ((rc = sip_via_next(&cur, &v)) == 1)
			n++;
	} else {
		struct sip_naddr a;
		while ((rc = sip_naddr_next(&cur, &a, SIP_NADDR_STAR)) == 1)
			n++;
	}
	return rc < 0 ? -1 : n;
}

/* ---- builders ---- */

/* Parse a builder's output; 1 if it is to be checked, 0 if past the parser's limits. */
static int
reparse(struct ctx *c, struct sip_msg *m2, const char *out, int n, const char *what)
{
	int rc = sip_parse(m2, out, (size_t)n, 0);
	/* Adding lines to a message at the limits may push it over them. */
	if (rc == -SIP_E_TOO_MANY_HDRS || rc == -SIP_E_TOO_LARGE)
		return 0;
	if (rc != n)
		return fail(c, "%s: output does not re-parse: %d (%s) of %d", what, rc,
				sip_err_name(rc), n);
	struct sip_verdict v;
	int err = sip_validate(m2, rc, SIP_VAL_STRICT, &v);
	CHECK(c, err == 0, "%s: output does not validate: %s", what, sip_err_name(err));
	return 1;
}

/*
 * Every header line of m that the edit leaves alone (keep() says which)
 * appears byte for byte in out, in the same order.
 */
static int
check_copied(struct ctx *c, const struct sip_msg *m, const char *out, int n,
		bool (*keep)(const struct sip_msg *, unsigned, const void *), const void *arg,
		const char *what)
{
	const char *pos = out, *end = out + n;

	for (unsigned i = 0; i < m->n_hdrs; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		if (!keep(m, i, arg))
			continue;
		size_t hl = sip_hdr_end(h) - h->name;
		const char *f = memmem(pos, (size_t)(end - pos), m->buf + h->name, hl);
		CHECK(c, f != NULL, "%s: header line %u not copied byte for byte", what, i);
		pos = f + hl;
	}
	return 0;
}

struct fwd_keep {
	const struct sip_hdr *route_hdr;
};

static bool
fwd_keep(const struct sip_msg *m, unsigned i, const void *arg)
{
	const struct fwd_keep *k = arg;
	const struct sip_hdr *h = &m->hdr[i];

	if (h == sip_hdr_first(m, SIP_HDR_VIA) || h->type == SIP_HDR_MAX_FORWARDS)
		return false;
	return h != k->route_hdr;
}

static int
nospace(struct ctx *c, int n, int (*build)(char *, size_t, const void *), const void *arg,
		const char *what)
{
	size_t caps[] = {0, (size_t)n - 1, (size_t)n / 2};

	if (!c->o->nospace)
		return 0;
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char *o = out_buf(c, 0, caps[i]);
		CHECK(c, o != NULL, "out of memory");
		int rc = build(o, caps[i], arg);
		CHECK(c, rc == -SIP_E_NOSPACE, "%s: %d bytes into %zu: %d", what, n, caps[i], rc);
	}
	return 0;
}

struct fwd_call {
	const struct sip_msg *m;
	const struct sip_fwd_opts *o;
};

static int
fwd_build(char *out, size_t cap, const void *arg)
{
	const struct fwd_call *f = arg;
	return sip_build_request_fwd(out, cap, f->m, f->o);
}

static int
check_fwd(struct ctx *c, const struct sip_msg *m, const struct sip_fields *fs, bool rewrite)
{
	static const uint8_t src4[4] = {198, 51, 100, 7};
	static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
	static const char new_ruri[] = "sip:rewritten@192.0.2.50:5070";
	char branch[SIP_BRANCH_LEN], branch2[SIP_BRANCH_LEN];
	struct sip_addr src = {.af = rewrite ? SIP_AF_INET6 : SIP_AF_INET};
	struct sip_cursor rc_cur;
	struct sip_naddr route;
	struct fwd_keep keep = {NULL};
	struct sip_msg m2;
	struct sip_fields f2;
	struct sip_verdict v2;
	struct sip_via old_top;
	int rc;

	memcpy(src.a, rewrite ? src6 : src4, rewrite ? 16 : 4);
	const struct sip_origin from = {.addr = src, .port = 5062};
	sip_branch_sign(fs, &from, &c->keys.cur, branch);
	sip_branch_sign(fs, &from, &c->keys.cur, branch2);
	CHECK(c, memcmp(branch, branch2, SIP_BRANCH_LEN) == 0, "branch is not deterministic");

	struct sip_fwd_opts fo = {
		.top = &fs->top,
		.via_host = rewrite ? SIP_STR_LIT("[2001:db8::99]") : SIP_STR_LIT("192.0.2.99"),
		.via_port = rewrite ? 5080 : 5060,
		.via_tp = rewrite ? SIP_TP_TCP : SIP_TP_UDP,
		.branch = branch,
		.src = &src,
		.src_port = 5062,
	};
	if (rewrite) {
		fo.ruri = SIP_STR_LIT(new_ruri);
		fo.record_route = SIP_STR_LIT("sip:192.0.2.99;lr");
		sip_cursor_init(&rc_cur, m, SIP_HDR_ROUTE);
		if (sip_naddr_next(&rc_cur, &route, SIP_NADDR_NEED_BRACKETS) == 1) {
			fo.route = &route;
			fo.route_hdr = sip_cursor_hdr(&rc_cur);
			/* A Route line loses its first value; drop it from the copy check. */
			keep.route_hdr = fo.route_hdr;
		}
	}
	struct fwd_call call = {m, &fo};
	size_t cap = c->len + OUT_SLACK;
	char *out = out_buf(c, 0, cap);
	CHECK(c, out != NULL, "out of memory");
	int n = sip_build_request_fwd(out, cap, m, &fo);
	CHECK(c, n > 0, "request_fwd failed: %s", sip_err_name(n));
	char *again = out_buf(c, 1, (size_t)n);
	CHECK(c, again != NULL, "out of memory");
	CHECK(c, sip_build_request_fwd(again, (size_t)n, m, &fo) == n &&
			memcmp(out, again, (size_t)n) == 0, "request_fwd: exact fit differs");
	c->r->builds++;

	if (check_copied(c, m, out, n, fwd_keep, &keep, "request_fwd"))
		return -1;
	if ((rc = reparse(c, &m2, out, n, "request_fwd")) <= 0)
		return rc;
	CHECK(c, sip_inspect(&m2, n, SIP_VAL_STRICT, &v2, &f2) == 0, "request_fwd: inspect");

	/* Our Via on top with the deterministic branch. */
	char sent_by[64];
	int sl = snprintf(sent_by, sizeof(sent_by), "%.*s:%u", (int)fo.via_host.len,
			fo.via_host.p, fo.via_port);
	CHECK(c, sip_str_eq(f2.top.sent_by, sip_str_make(sent_by, (size_t)sl)) &&
			sip_str_eq(f2.top.branch, sip_str_make(branch, SIP_BRANCH_LEN)),
			"request_fwd: top Via is not ours");
	CHECK(c, count_values(&m2, SIP_HDR_VIA) == count_values(m, SIP_HDR_VIA) + 1,
			"request_fwd: Via count");

	/* The previous top Via: same sent-by and branch, received/rport as RFC 3581 says. */
	struct sip_cursor vc;
	sip_cursor_init(&vc, &m2, SIP_HDR_VIA);
	CHECK(c, sip_via_next(&vc, &old_top) == 1 && sip_via_next(&vc, &old_top) == 1,
			"request_fwd: second Via");
	CHECK(c, sip_str_eq(old_top.sent_by, fs->top.sent_by) &&
			sip_str_eq(old_top.branch, fs->top.branch),
			"request_fwd: old top Via changed");
	/* received and rport are the source, whatever the sender wrote there. */
	struct sip_origin back;
	CHECK(c, sip_via_origin(&old_top, &back) == 0 && sip_addr_eq(&back.addr, &src) &&
			back.port == 5062, "request_fwd: received/rport are not the source");
	/* A response carrying that Via below ours verifies, and goes back there only. */
	CHECK(c, sip_branch_verify(f2.top.branch, &old_top, &back, &f2, &c->keys),
			"request_fwd: our branch does not verify against the Via below it");
	back.port ^= 1;
	CHECK(c, !sip_branch_verify(f2.top.branch, &old_top, &back, &f2, &c->keys),
			"request_fwd: our branch verifies for another destination");

	/* Max-Forwards decremented, or 70. */
	uint32_t mf = fs->has_max_forwards ? fs->max_forwards - 1 : 70;
	CHECK(c, f2.has_max_forwards && f2.max_forwards == mf, "request_fwd: Max-Forwards");
	/* Transaction and dialog identifiers untouched; the framed body byte for byte. */
	CHECK(c, f2.cseq.seq == fs->cseq.seq && sip_str_eq(f2.cseq.method, fs->cseq.method) &&
			sip_str_eq(f2.callid, fs->callid) &&
			sip_str_eq(f2.from.tag, fs->from.tag) && sip_str_eq(f2.to.tag, fs->to.tag),
			"request_fwd: CSeq/Call-ID/tags changed");
	CHECK(c, !(m2.flags & SIP_MSG_NO_CL) && m2.body_len == m->body_len &&
			memcmp(out + m2.body, m->buf + m->body, m->body_len) == 0,
			"request_fwd: body not carried exactly");
	CHECK(c, sip_str_eq(sip_msg_method(&m2), sip_msg_method(m)), "request_fwd: method");
	CHECK(c, sip_str_eq(sip_msg_ruri(&m2), rewrite ? fo.ruri : sip_msg_ruri(m)),
			"request_fwd: Request-URI");
	if (rewrite) {
		const struct sip_hdr *rr = sip_hdr_first(&m2, SIP_HDR_RECORD_ROUTE);
		CHECK(c, rr != NULL && SIP_STR_EQ_LIT(sip_hdr_value(&m2, rr),
				"<sip:192.0.2.99;lr>"), "request_fwd: Record-Route");
		if (fo.route != NULL)
			CHECK(c, count_values(&m2, SIP_HDR_ROUTE) ==
					count_values(m, SIP_HDR_ROUTE) - 1,
					"request_fwd: Route not popped");
	}
	return nospace(c, n, fwd_build, &call, "request_fwd");
}

struct reply_call {
	const struct sip_msg *m;
	const struct sip_reply_opts *o;
};

static int
reply_build(char *out, size_t cap, const void *arg)
{
	const struct reply_call *r = arg;
	return sip_build_reply(out, cap, r->m, r->o);
}

static int
check_reply(struct ctx *c, const struct sip_msg *m, const struct sip_fields *fs, unsigned code)
{
	static const uint8_t src4[4] = {198, 51, 100, 7};
	static const struct sip_str contacts[] = {
		SIP_STR_LIT("<sip:a@192.0.2.1>;q=0.5"),
		SIP_STR_LIT("<sip:b@192.0.2.2:5070;transport=tcp>;q=0.1;expires=60"),
	};
	struct sip_addr src = {.af = SIP_AF_INET};
	char tag[SIP_TOTAG_LEN];
	struct sip_msg m2;
	struct sip_fields f2;
	struct sip_verdict v2;
	int rc;

	memcpy(src.a, src4, 4);
	sip_totag_sign(fs, &c->keys.cur, tag);
	bool redirect = code >= 300 && code < 400;
	struct sip_reply_opts ro = {
		.code = (uint16_t)code,
		.top = &fs->top,
		.src = &src,
		.src_port = 5062,
		.to_tag = sip_str_make(tag, SIP_TOTAG_LEN),
		.contacts = redirect ? contacts : NULL,
		.n_contacts = redirect ? 2 : 0,
		.extra = SIP_STR_LIT("Server: sipline\r\n"),
	};
	struct reply_call call = {m, &ro};
	size_t cap = c->len + OUT_SLACK;
	char *out = out_buf(c, 0, cap);
	CHECK(c, out != NULL, "out of memory");
	int n = sip_build_reply(out, cap, m, &ro);
	CHECK(c, n > 0, "reply %u failed: %s", code, sip_err_name(n));
	char *again = out_buf(c, 1, (size_t)n);
	CHECK(c, again != NULL, "out of memory");
	CHECK(c, sip_build_reply(again, (size_t)n, m, &ro) == n &&
			memcmp(out, again, (size_t)n) == 0, "reply: exact fit differs");
	/* Handing over the To that sip_inspect() parsed changes nothing. */
	struct sip_reply_opts ro_to = ro;
	ro_to.to = &fs->to;
	CHECK(c, sip_build_reply(again, (size_t)n, m, &ro_to) == n &&
			memcmp(out, again, (size_t)n) == 0, "reply: with a parsed To differs");
	c->r->builds++;

	if ((rc = reparse(c, &m2, out, n, "reply")) <= 0)
		return rc;
	CHECK(c, !sip_is_request(&m2) && m2.status == code, "reply: status line");
	CHECK(c, sip_inspect(&m2, n, SIP_VAL_STRICT, &v2, &f2) == 0, "reply: inspect");
	CHECK(c, count_values(&m2, SIP_HDR_VIA) == count_values(m, SIP_HDR_VIA) &&
			sip_str_eq(f2.top.sent_by, fs->top.sent_by) &&
			sip_str_eq(f2.top.branch, fs->top.branch), "reply: Vias");
	CHECK(c, f2.cseq.seq == fs->cseq.seq && sip_str_eq(f2.cseq.method, fs->cseq.method) &&
			sip_str_eq(f2.callid, fs->callid) && sip_str_eq(f2.from.tag, fs->from.tag),
			"reply: CSeq/Call-ID/From-tag");
	CHECK(c, f2.to.has_tag && sip_str_eq(f2.to.tag, fs->to.has_tag ? fs->to.tag : ro.to_tag),
			"reply: To-tag");
	/* The ACK for this reply carries the same Call-ID, From-tag, top Via and To-tag. */
	bool ours = !fs->to.has_tag || sip_totag_verify(fs, &c->keys);
	CHECK(c, sip_totag_verify(&f2, &c->keys) == ours, "reply: To-tag signature");
	CHECK(c, count_values(&m2, SIP_HDR_CONTACT) == (redirect ? 2 : 0), "reply: Contacts");
	CHECK(c, m2.body_len == 0 && !(m2.flags & SIP_MSG_NO_CL), "reply: Content-Length");
	return nospace(c, n, reply_build, &call, "reply");
}

struct rsp_call {
	const struct sip_msg *m;
	const struct sip_via *top;
};

static int
rsp_build(char *out, size_t cap, const void *arg)
{
	const struct rsp_call *r = arg;
	struct sip_next_hop hop;
	return sip_build_response_fwd(out, cap, r->m, r->top, NULL, &hop);
}

static int
check_rsp_fwd(struct ctx *c, const struct sip_msg *m, const struct sip_fields *fs)
{
	struct sip_next_hop hop;
	struct sip_cursor vc;
	struct sip_via second;
	struct sip_msg m2;
	struct sip_fields f2;
	struct sip_verdict v2;
	int rc, nvia = count_values(m, SIP_HDR_VIA);

	size_t cap = c->len + OUT_SLACK;
	char *out = out_buf(c, 0, cap);
	CHECK(c, out != NULL, "out of memory");
	int n = sip_build_response_fwd(out, cap, m, &fs->top, NULL, &hop);
	if (nvia < 2) {
		CHECK(c, n == -SIP_E_VIA, "response_fwd with one Via: %d", n);
		return 0;
	}
	/* The next Via may name no usable address (bad received or rport): refused. */
	if (n == -SIP_E_VIA)
		return 0;
	CHECK(c, n > 0, "response_fwd failed: %s", sip_err_name(n));
	CHECK(c, hop.need_dns ? hop.host.len > 0 : hop.addr.af != SIP_AF_NONE,
			"response_fwd: next hop");
	struct rsp_call call = {m, &fs->top};
	char *again = out_buf(c, 1, (size_t)n);
	CHECK(c, again != NULL, "out of memory");
	CHECK(c, rsp_build(again, (size_t)n, &call) == n && memcmp(out, again, (size_t)n) == 0,
			"response_fwd: exact fit differs");
	c->r->builds++;

	if ((rc = reparse(c, &m2, out, n, "response_fwd")) <= 0)
		return rc;
	CHECK(c, sip_inspect(&m2, n, SIP_VAL_STRICT, &v2, &f2) == 0, "response_fwd: inspect");
	sip_cursor_init(&vc, m, SIP_HDR_VIA);
	CHECK(c, sip_via_next(&vc, &second) == 1 && sip_via_next(&vc, &second) == 1,
			"response_fwd: second Via");
	CHECK(c, count_values(&m2, SIP_HDR_VIA) == nvia - 1 &&
			sip_str_eq(f2.top.sent_by, second.sent_by) &&
			sip_str_eq(f2.top.branch, second.branch),
			"response_fwd: top Via not removed");
	CHECK(c, m2.status == m->status && m2.body_len == m->body_len &&
			memcmp(out + m2.body, m->buf + m->body, m->body_len) == 0,
			"response_fwd: status or body changed");
	return nospace(c, n, rsp_build, &call, "response_fwd");
}

static int
check_builders(struct ctx *c, const struct sip_msg *m, const struct sip_fields *fs)
{
	struct sip_verdict pv;

	if (!sip_is_request(m))
		return check_rsp_fwd(c, m, fs);

	int pe = sip_proxy_check(m, &pv);
	c->r->proxy_err = pe;
	if (check_verdict(c, m, &pv, pe, "proxy_check"))
		return -1;
	int want = (fs->has_max_forwards && fs->max_forwards == 0) ? -SIP_E_TOO_MANY_HOPS :
		m->first[SIP_HDR_PROXY_REQUIRE] != SIP_HDR_NONE ? -SIP_E_BAD_EXTENSION : 0;
	CHECK(c, pe == want, "proxy_check: %s, want %s", sip_err_name(pe), sip_err_name(want));
	if (pe == 0 && (check_fwd(c, m, fs, false) || check_fwd(c, m, fs, true)))
		return -1;
	if (pe == -SIP_E_TOO_MANY_HOPS) {
		/* The builder refuses to forward what the proxy check refused. */
		static const char branch[SIP_BRANCH_LEN] = SIP_BRANCH_COOKIE "sl0123456789abcdef";
		struct sip_addr src = {.af = SIP_AF_INET, .a = {192, 0, 2, 1}};
		struct sip_fwd_opts fo = {.top = &fs->top, .via_host = SIP_STR_LIT("192.0.2.99"),
			.via_port = 5060, .branch = branch, .src = &src, .src_port = 5060};
		size_t cap = c->len + OUT_SLACK;
		char *out = out_buf(c, 0, cap);
		CHECK(c, out != NULL, "out of memory");
		CHECK(c, sip_build_request_fwd(out, cap, m, &fo) == -SIP_E_MAX_FORWARDS,
				"request_fwd forwarded Max-Forwards 0");
	}
	return check_reply(c, m, fs, pe ? pv.status : 302);
}

int
sip_exercise(const char *buf, size_t len, const struct sip_exercise_opts *o,
		struct sip_exercise_result *r)
{
	struct ctx c = {.buf = buf, .len = len, .o = o, .r = r};
	uint8_t raw[SIP_KEY_LEN];

	for (unsigned i = 0; i < SIP_KEY_LEN; i++)
		raw[i] = (uint8_t)(o->secret >> (8 * (i % 8)) ^ (i < 8 ? 0 : 0xa5));
	sip_key_set(&c.keys.cur, raw);
	struct sip_verdict vs, vl, vv;
	struct sip_fields fs, fl;
	struct sip_msg m;
	int err = -1;

	memset(r, 0, sizeof(*r));
	memset(&m, 0, sizeof(m));
	int rc = sip_parse(&m, buf, len, 0);
	r->parse_rc = rc;
	if (check_parse(&c, &m, rc) || (o->scanners && check_scanners(&c)) ||
			check_stream(&c, rc))
		goto out;
	if ((m.flags & SIP_MSG_HDRS_OK) && walk_headers(&c, &m))
		goto out;

	int es = sip_inspect(&m, rc, SIP_VAL_STRICT, &vs, &fs);
	int el = sip_inspect(&m, rc, 0, &vl, &fl);
	r->strict_err = es;
	if (check_verdict(&c, &m, &vs, es, "strict") || check_verdict(&c, &m, &vl, el, "default"))
		goto out;
	if (es == 0 && el != 0) {
		fail(&c, "strict validation accepted what the default refused (%s)",
				sip_err_name(el));
		goto out;
	}
	if (rc < 0 && (es != rc || el != rc)) {
		fail(&c, "validation ignored the parse error %s", sip_err_name(rc));
		goto out;
	}
	if (sip_validate(&m, rc, SIP_VAL_STRICT, &vv) != es) {
		fail(&c, "sip_validate and sip_inspect disagree");
		goto out;
	}
	if (es == 0 && check_builders(&c, &m, &fs))
		goto out;
	err = 0;
out:
	free(c.outs[0]);
	free(c.outs[1]);
	return err;
}
