/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_build.h"

#include <string.h>

#include "sip_copy.h"
#include "sip_lex.h"
#include "sip_scalar.h"
#include "sip_uri.h"

/* ---- small writers (no snprintf on the fast path) ---- */

/* "00" .. "99": numbers are written two digits per division. */
static const char digits2[200] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

unsigned
sip_fmt_u32(char *o, uint32_t v)
{
	/* Per packet (ports, Max-Forwards, lengths, status codes): no digit loop. */
	unsigned n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 :
		v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
	char *p = o + n;

	while (v >= 100) {
		unsigned r = v % 100;
		v /= 100;
		p -= 2;
		memcpy(p, digits2 + 2 * r, 2);
	}
	if (v >= 10)
		memcpy(p - 2, digits2 + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	return n;
}

struct wbuf {
	char *p;
	char *end;
	bool full;
};

static inline void
w_put(struct wbuf *w, const void *s, size_t n)
{
	if ((size_t)(w->end - w->p) < n) {
		w->full = true;
		return;
	}
	/* Empty optional views are SIP_STR_NULL: sip_copy() reads nothing when n == 0. */
	sip_copy(w->p, s, n);
	w->p += n;
}

#define W_LIT(w, lit) w_put((w), (lit), sizeof(lit) - 1)

static inline void
w_str(struct wbuf *w, struct sip_str s)
{
	w_put(w, s.p, s.len);
}

static inline void
w_u32(struct wbuf *w, uint32_t v)
{
	char t[10];
	unsigned n = sip_fmt_u32(t, v);

	if ((size_t)(w->end - w->p) < n) {
		w->full = true;
		return;
	}
	memcpy(w->p, t, n);
	w->p += n;
}

/* ---- edit lists ---- */

int
sip_edits_add(struct sip_edits *es, uint32_t off, uint32_t del, const char *ins, uint32_t ins_len)
{
	if (es->n == SIP_MAX_EDITS)
		return -SIP_E_NOSPACE;
	es->e[es->n++] = (struct sip_edit){.off = off, .del = del, .ins_len = ins_len, .ins = ins};
	return 0;
}

char *
sip_edits_text(struct sip_edits *es, uint32_t n)
{
	if (SIP_EDIT_TEXT - es->used < n)
		return NULL;
	char *p = es->text + es->used;
	es->used += n;
	return p;
}

int
sip_edits_apply(struct sip_edits *es, const char *src, uint32_t from, uint32_t to, char *out,
		size_t cap)
{
	struct wbuf w = {out, out + cap, false};
	uint32_t pos = from;

	/* Stable insertion sort by offset: few edits, mostly in order already. */
	for (unsigned i = 1; i < es->n; i++) {
		if (es->e[i - 1].off <= es->e[i].off)
			continue; /* in place: no copy out and back */
		struct sip_edit e = es->e[i];
		unsigned j = i;
		while (j > 0 && es->e[j - 1].off > e.off) {
			es->e[j] = es->e[j - 1];
			j--;
		}
		es->e[j] = e;
	}
	for (unsigned i = 0; i < es->n; i++) {
		const struct sip_edit *e = &es->e[i];
		if (e->off < pos || e->off + e->del > to)
			return -SIP_E_NOSPACE; /* overlapping or out of range: a caller bug */
		w_put(&w, src + pos, e->off - pos);
		w_put(&w, e->ins, e->ins_len);
		pos = e->off + e->del;
	}
	w_put(&w, src + pos, to - pos);
	return w.full ? -SIP_E_NOSPACE : (int)(w.p - out);
}

/* ---- edits on a received request ---- */

int
sip_edit_via_received(struct sip_edits *es, const struct sip_msg *m, const struct sip_via *top,
		const struct sip_addr *src, uint16_t src_port)
{
	bool need = top->has_rport;
	int rc;

	if (!need)
		need = top->addr.af == SIP_AF_NONE || !sip_addr_eq(&top->addr, src);
	if (top->has_rport && top->rport.len == 0) {
		char *t = sip_edits_text(es, 6);
		if (t == NULL)
			return -SIP_E_NOSPACE;
		t[0] = '=';
		unsigned n = 1 + sip_fmt_u32(t + 1, src_port);
		rc = sip_edits_add(es, (uint32_t)(top->rport_name_end - m->buf), 0, t, n);
		if (rc)
			return rc;
	}
	if (!need)
		return 0;

	char *t = sip_edits_text(es, 10 + 40);
	if (t == NULL)
		return -SIP_E_NOSPACE;
	if (top->has_received) {
		size_t n = sip_addr_format(src, t, 40);
		return sip_edits_add(es, sip_str_off(top->received, m->buf), top->received.len, t,
				(uint32_t)n);
	}
	memcpy(t, ";received=", 10);
	size_t n = 10 + sip_addr_format(src, t + 10, 40);
	return sip_edits_add(es, (uint32_t)(top->end - m->buf), 0, t, (uint32_t)n);
}

int
sip_edit_via_source(struct sip_edits *es, const struct sip_msg *m, const struct sip_via *top,
		const struct sip_addr *src, uint16_t src_port)
{
	char addr[40];
	char port[6];
	size_t al = sip_addr_format(src, addr, sizeof(addr));
	unsigned pl = sip_fmt_u32(port, src_port);
	int rc;

	if (al == 0)
		return -SIP_E_NOSPACE;
	/* Values given by the sender are replaced (the parser keeps the last of each). */
	if (top->has_received) {
		char *t = sip_edits_text(es, (uint32_t)al);
		if (t == NULL)
			return -SIP_E_NOSPACE;
		memcpy(t, addr, al);
		rc = sip_edits_add(es, sip_str_off(top->received, m->buf), top->received.len, t,
				(uint32_t)al);
		if (rc)
			return rc;
	}
	if (top->has_rport) {
		/* ";rport" or ";rport=N": from the end of the name to the end of the value. */
		char *t = sip_edits_text(es, 1 + pl);
		if (t == NULL)
			return -SIP_E_NOSPACE;
		t[0] = '=';
		memcpy(t + 1, port, pl);
		uint32_t from = (uint32_t)(top->rport_name_end - m->buf);
		uint32_t to = top->rport.len ? sip_str_off(top->rport, m->buf) + top->rport.len : from;
		rc = sip_edits_add(es, from, to - from, t, 1 + pl);
		if (rc)
			return rc;
	}
	if (top->has_received && top->has_rport)
		return 0;
	/* Whatever is missing goes at the end of the value, in one insertion. */
	char *t = sip_edits_text(es, 10 + (uint32_t)al + 7 + pl);
	size_t n = 0;
	if (t == NULL)
		return -SIP_E_NOSPACE;
	if (!top->has_received) {
		memcpy(t, ";received=", 10);
		memcpy(t + 10, addr, al);
		n = 10 + al;
	}
	if (!top->has_rport) {
		memcpy(t + n, ";rport=", 7);
		memcpy(t + n + 7, port, pl);
		n += 7 + pl;
	}
	return sip_edits_add(es, (uint32_t)(top->end - m->buf), 0, t, (uint32_t)n);
}

int
sip_edit_remove_value(struct sip_edits *es, const struct sip_msg *m, const struct sip_hdr *h,
		const char *value_start, const char *value_end, bool more)
{
	struct sip_str val = sip_hdr_value(m, h);
	const char *hend = val.p + val.len;

	if (value_start == val.p && !more)
		return sip_edits_add(es, h->name, sip_hdr_end(h) - h->name, NULL, 0);
	if (more) {
		/* "A , B" -> "B": drop the value, its comma and the LWS after it. */
		const char *p = lex_lws(value_end, hend);
		if (p == hend || *p != ',')
			return -SIP_E_NOSPACE;
		p = lex_lws(p + 1, hend);
		return sip_edits_add(es, (uint32_t)(value_start - m->buf),
				(uint32_t)(p - value_start), NULL, 0);
	}
	/* Last value of several: "A , B" -> "A": drop from the comma before it. */
	const char *p = value_start;
	while (p > val.p && p[-1] != ',')
		p--;
	if (p == val.p)
		return -SIP_E_NOSPACE;
	p--;
	while (p > val.p && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r' || p[-1] == '\n'))
		p--;
	return sip_edits_add(es, (uint32_t)(p - m->buf), (uint32_t)(value_end - p), NULL, 0);
}

/* ---- request forwarding ---- */

static const char *const transport_names[] = {
	[SIP_TP_OTHER] = "UDP", [SIP_TP_UDP] = "UDP", [SIP_TP_TCP] = "TCP",
	[SIP_TP_TLS] = "TLS", [SIP_TP_SCTP] = "SCTP", [SIP_TP_WS] = "WS", [SIP_TP_WSS] = "WSS",
};

int
sip_build_request_fwd(char *out, size_t cap, const struct sip_msg *m, const struct sip_fwd_opts *o)
{
	struct sip_edits es;
	/* Our Via, two Record-Routes and the extra lines (a dialplan's, a Route set from a Path). */
	char head[2048];
	struct wbuf w = {head, head + sizeof(head), false};
	const struct sip_hdr *mf = sip_hdr_first(m, SIP_HDR_MAX_FORWARDS);
	const char *tp = transport_names[o->via_tp <= SIP_TP_WSS ? o->via_tp : SIP_TP_UDP];
	char mfbuf[4];
	int rc;

	sip_edits_init(&es);

	/* Lines added on top, in order: our Via, Record-Route, missing headers. */
	W_LIT(&w, "Via: SIP/2.0/");
	w_put(&w, tp, strlen(tp));
	W_LIT(&w, " ");
	w_str(&w, o->via_host);
	W_LIT(&w, ":");
	w_u32(&w, o->via_port);
	W_LIT(&w, ";branch=");
	w_put(&w, o->branch, SIP_BRANCH_LEN);
	W_LIT(&w, "\r\n");
	if (o->record_route.len) {
		W_LIT(&w, "Record-Route: <");
		w_str(&w, o->record_route);
		if (o->record_route2.len) {
			W_LIT(&w, ">, <");
			w_str(&w, o->record_route2);
		}
		W_LIT(&w, ">\r\n");
	}
	w_str(&w, o->extra);
	if (mf == NULL)
		W_LIT(&w, "Max-Forwards: 70\r\n");
	if (m->flags & SIP_MSG_NO_CL) {
		W_LIT(&w, "Content-Length: ");
		w_u32(&w, m->body_len);
		W_LIT(&w, "\r\n");
	}
	if (w.full)
		return -SIP_E_NOSPACE;
	if ((rc = sip_edits_add(&es, m->hdr_start, 0, head, (uint32_t)(w.p - head))) != 0)
		return rc;

	if (o->ruri.len &&
			(rc = sip_edits_add(&es, m->ruri_off, m->ruri_len, o->ruri.p, o->ruri.len)) != 0)
		return rc;
	if ((rc = sip_edit_via_source(&es, m, o->top, o->src, o->src_port)) != 0)
		return rc;
	if (mf != NULL) {
		struct sip_str v = sip_hdr_value(m, mf);
		uint32_t n;
		if (sip_msg_max_forwards(m, &n) != 1 || n == 0)
			return -SIP_E_MAX_FORWARDS;
		unsigned len = sip_fmt_u32(mfbuf, n - 1);
		if ((rc = sip_edits_add(&es, sip_str_off(v, m->buf), v.len, mfbuf, len)) != 0)
			return rc;
	}
	if (o->route != NULL && o->route2 != NULL && o->route2_hdr == o->route_hdr) {
		/* Two consecutive values of one line: remove them as one span. */
		if ((rc = sip_edit_remove_value(&es, m, o->route_hdr, o->route->start,
				 o->route2->end, o->route2->more)) != 0)
			return rc;
	} else {
		if (o->route != NULL &&
				(rc = sip_edit_remove_value(&es, m, o->route_hdr, o->route->start,
					 o->route->end, o->route->more)) != 0)
			return rc;
		if (o->route2 != NULL &&
				(rc = sip_edit_remove_value(&es, m, o->route2_hdr, o->route2->start,
					 o->route2->end, o->route2->more)) != 0)
			return rc;
	}
	return sip_edits_apply(&es, m->buf, m->skip, m->len, out, cap);
}

/* ---- response forwarding ---- */

static int
next_hop(const struct sip_via *v, struct sip_next_hop *hop)
{
	memset(hop, 0, sizeof(*hop));
	hop->transport = v->transport_id;
	hop->port = v->transport_id == SIP_TP_TLS ? 5061 : 5060;

	/*
	 * maddr is ignored: RFC 3261 §18.2.2 lets it steer responses anywhere,
	 * which no element facing untrusted peers should allow.
	 */
	if (v->has_received) {
		if (sip_addr_parse(v->received, &hop->addr) != 0)
			return -SIP_E_VIA;
	} else if (v->host_type == SIP_HOST_IPV4 || v->host_type == SIP_HOST_IPV6) {
		hop->addr = v->addr;
	} else {
		hop->need_dns = 1;
		hop->host = v->host;
	}
	if (v->has_rport && v->rport.len) {
		uint64_t port;
		if (lex_uint(v->rport.p, v->rport.p + v->rport.len, 65535, &port) != 0 || port == 0)
			return -SIP_E_VIA;
		hop->port = (uint16_t)port;
	} else if (v->has_port) {
		if (v->port == 0)
			return -SIP_E_VIA;
		hop->port = v->port;
	}
	return 0;
}

int
sip_build_response_fwd(char *out, size_t cap, const struct sip_msg *m, const struct sip_via *top,
		struct sip_edits *edits, struct sip_next_hop *hop)
{
	struct sip_edits local;
	struct sip_edits *es = edits;
	struct sip_cursor c;
	struct sip_via first, second;
	int rc;

	sip_cursor_init(&c, m, SIP_HDR_VIA);
	if (sip_via_next(&c, &first) != 1 || first.start != top->start)
		return -SIP_E_VIA;
	const struct sip_hdr *h = sip_cursor_hdr(&c);
	if (sip_via_next(&c, &second) != 1)
		return -SIP_E_VIA;
	if ((rc = next_hop(&second, hop)) != 0)
		return rc;

	if (es == NULL) {
		es = &local;
		sip_edits_init(es);
	}
	if ((rc = sip_edit_remove_value(es, m, h, top->start, top->end, top->more)) != 0)
		return rc;
	return sip_edits_apply(es, m->buf, m->skip, m->len, out, cap);
}

/* ---- stateless responses ---- */

/* Standard reason phrases (RFC 3261 §21 and the ones we send). */
#define SIP_REASONS(X) \
	X(100, "Trying") \
	X(180, "Ringing") \
	X(183, "Session Progress") \
	X(200, "OK") \
	X(202, "Accepted") \
	X(300, "Multiple Choices") \
	X(301, "Moved Permanently") \
	X(302, "Moved Temporarily") \
	X(305, "Use Proxy") \
	X(380, "Alternative Service") \
	X(400, "Bad Request") \
	X(401, "Unauthorized") \
	X(403, "Forbidden") \
	X(404, "Not Found") \
	X(405, "Method Not Allowed") \
	X(408, "Request Timeout") \
	X(410, "Gone") \
	X(413, "Request Entity Too Large") \
	X(414, "Request-URI Too Long") \
	X(415, "Unsupported Media Type") \
	X(416, "Unsupported URI Scheme") \
	X(420, "Bad Extension") \
	X(421, "Extension Required") \
	X(423, "Interval Too Brief") \
	X(480, "Temporarily Unavailable") \
	X(481, "Call/Transaction Does Not Exist") \
	X(482, "Loop Detected") \
	X(483, "Too Many Hops") \
	X(484, "Address Incomplete") \
	X(485, "Ambiguous") \
	X(486, "Busy Here") \
	X(487, "Request Terminated") \
	X(488, "Not Acceptable Here") \
	X(500, "Server Internal Error") \
	X(501, "Not Implemented") \
	X(502, "Bad Gateway") \
	X(503, "Service Unavailable") \
	X(504, "Server Time-out") \
	X(505, "Version Not Supported") \
	X(513, "Message Too Large") \
	X(600, "Busy Everywhere") \
	X(603, "Decline") \
	X(604, "Does Not Exist Anywhere") \
	X(606, "Not Acceptable")

const char *
sip_reason_phrase(unsigned code)
{
	switch (code) {
#define SIP_REASON_CASE(c, phrase) case c: return phrase;
	SIP_REASONS(SIP_REASON_CASE)
#undef SIP_REASON_CASE
	default: return "";
	}
}

/*
 * "SIP/2.0 302 Moved Temporarily\r\n", prebuilt for every code with a
 * standard phrase: a reply's status line is one copy. NULL for others.
 */
static const char *
status_line(unsigned code, size_t *len)
{
	switch (code) {
#define SIP_STATUS_CASE(c, phrase) \
	case c: *len = sizeof("SIP/2.0 " #c " " phrase "\r\n") - 1; \
		return "SIP/2.0 " #c " " phrase "\r\n";
	SIP_REASONS(SIP_STATUS_CASE)
#undef SIP_STATUS_CASE
	default: return NULL;
	}
}

static inline void
w_line(struct wbuf *w, const struct sip_msg *m, const struct sip_hdr *h)
{
	w_put(w, m->buf + h->name, sip_hdr_end(h) - h->name);
}

/*
 * Header h and the headers of its type right after it in the message, in
 * one copy (a peer's Vias are usually one block). Returns the last copied.
 */
static inline const struct sip_hdr *
w_run(struct wbuf *w, const struct sip_msg *m, const struct sip_hdr *h)
{
	const struct sip_hdr *last = h, *n;

	while ((n = sip_hdr_next(m, last)) != NULL && n->name == sip_hdr_end(last))
		last = n;
	w_put(w, m->buf + h->name, sip_hdr_end(last) - h->name);
	return last;
}

int
sip_build_reply(char *out, size_t cap, const struct sip_msg *m, const struct sip_reply_opts *o)
{
	struct wbuf w = {out, out + cap, false};
	const struct sip_hdr *from = sip_hdr_first(m, SIP_HDR_FROM);
	const struct sip_hdr *to = sip_hdr_first(m, SIP_HDR_TO);
	const struct sip_hdr *callid = sip_hdr_first(m, SIP_HDR_CALL_ID);
	const struct sip_hdr *cseq = sip_hdr_first(m, SIP_HDR_CSEQ);
	const struct sip_hdr *via = sip_hdr_first(m, SIP_HDR_VIA);
	struct sip_naddr parsed;
	const struct sip_naddr *toa = o->to;
	int rc;

	if (!from || !to || !callid || !cseq || !via || o->code < 100 || o->code > 699)
		return -SIP_E_MISSING_HDR;
	if (toa == NULL) {
		if ((rc = sip_naddr_of(m, SIP_HDR_TO, &parsed, 0)) != 0)
			return rc;
		toa = &parsed;
	}

	size_t sl_len;
	const char *sl = o->reason.len ? NULL : status_line(o->code, &sl_len);
	if (sl != NULL) {
		w_put(&w, sl, sl_len);
	} else {
		W_LIT(&w, "SIP/2.0 ");
		w_u32(&w, o->code);
		W_LIT(&w, " ");
		w_str(&w, o->reason);
		W_LIT(&w, "\r\n");
	}

	/* Vias in order; the top one gets received/rport (§18.2.1). */
	for (const struct sip_hdr *h = via; h; h = sip_hdr_next(m, h)) {
		if (h != via || o->top == NULL || o->src == NULL) {
			h = w_run(&w, m, h);
			continue;
		}
		struct sip_edits es;
		sip_edits_init(&es);
		if ((rc = sip_edit_via_received(&es, m, o->top, o->src, o->src_port)) != 0)
			return rc;
		if (w.full)
			return -SIP_E_NOSPACE;
		rc = sip_edits_apply(&es, m->buf, h->name, sip_hdr_end(h), w.p,
				(size_t)(w.end - w.p));
		if (rc < 0)
			return rc;
		w.p += rc;
	}
	w_line(&w, m, from);
	if (toa->has_tag || o->to_tag.len == 0) {
		w_line(&w, m, to);
	} else {
		const char *e = toa->end;
		w_put(&w, m->buf + to->name, (size_t)(e - (m->buf + to->name)));
		W_LIT(&w, ";tag=");
		w_str(&w, o->to_tag);
		w_put(&w, e, (size_t)(m->buf + sip_hdr_end(to) - e));
	}
	w_line(&w, m, callid);
	w_line(&w, m, cseq);
	if (o->n_contacts) {
		W_LIT(&w, "Contact: ");
		for (unsigned i = 0; i < o->n_contacts; i++) {
			if (i)
				W_LIT(&w, ", ");
			w_str(&w, o->contacts[i]);
		}
		W_LIT(&w, "\r\n");
	}
	w_str(&w, o->extra);
	W_LIT(&w, "Content-Length: 0\r\n\r\n");
	return w.full ? -SIP_E_NOSPACE : (int)(w.p - out);
}
