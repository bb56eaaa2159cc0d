/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_sip.h"

#include "dp_acl.h"
#include "sip_copy.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* addr with every host bit (below prefix) set to ones, or cleared. */
static struct sip_addr
subnet_edge(const struct sip_addr *addr, unsigned prefix, bool ones)
{
	struct sip_addr r = *addr;
	unsigned bits = addr->af == SIP_AF_INET ? 32 : 128;

	for (unsigned b = prefix; b < bits; b++) {
		uint8_t bit = (uint8_t)(0x80u >> (b % 8));
		r.a[b / 8] = ones ? (uint8_t)(r.a[b / 8] | bit) : (uint8_t)(r.a[b / 8] & ~bit);
	}
	return r;
}

int
dp_sip_config_init(struct dp_sip_config *c, const struct sip_addr *addr, unsigned prefix,
		uint16_t port, const struct sip_keyring *keys)
{
	size_t n = 0;
	char txt[48];
	unsigned bits = addr->af == SIP_AF_INET ? 32 : 128;

	c->addr = *addr;
	c->port = port;
	c->keys = keys;
	if (c->transport == SIP_TP_OTHER)
		c->transport = SIP_TP_UDP;
	if (c->no_route_code == 0)
		c->no_route_code = 404;
	if (c->amplification == 0)
		c->amplification = 2;
	if (c->mtu == 0)
		c->mtu = 1500;
	if (prefix > bits)
		return -1;
	/* Point-to-point subnets (RFC 3021 /31, /127) have no network or broadcast address. */
	memset(&c->bcast, 0, sizeof(c->bcast));
	memset(&c->net, 0, sizeof(c->net));
	if (prefix + 1 < bits) {
		c->net = subnet_edge(addr, prefix, false);
		if (addr->af == SIP_AF_INET)
			c->bcast = subnet_edge(addr, prefix, true);
	}

	size_t tl = sip_addr_format(addr, txt, sizeof(txt));
	if (tl == 0)
		return -1;
	if (addr->af == SIP_AF_INET6)
		c->host_buf[n++] = '[';
	memcpy(c->host_buf + n, txt, tl);
	n += tl;
	if (addr->af == SIP_AF_INET6)
		c->host_buf[n++] = ']';
	c->host = sip_str_make(c->host_buf, n);

	int rl = snprintf(c->rr_buf, sizeof(c->rr_buf), "sip:%.*s:%u;lr", (int)n, c->host_buf,
			port);
	if (rl < 0 || (size_t)rl >= sizeof(c->rr_buf))
		return -1;
	c->rr_uri = sip_str_make(c->rr_buf, (size_t)rl);
	return 0;
}

/* ---- helpers ---- */

static inline void
count(const struct dp_sip_env *env, enum dp_counter k)
{
	dp_count(env->cnt, k, 1);
}

/* An already parsed host[:port] is this router (default port 5060). */
static inline bool
is_local_hostport(const struct dp_sip_config *c, const struct sip_addr *a, bool has_port,
		uint16_t port)
{
	uint16_t p = has_port ? port : 5060;
	return a->af != SIP_AF_NONE && sip_addr_eq(a, &c->addr) &&
		(p == c->port || (c->tls_port != 0 && p == c->tls_port));
}

/* The transport a packet arrived over (0 in a dp_pkt_in: UDP). */
static inline uint8_t
in_transport(const struct dp_pkt_in *in)
{
	return in->transport != SIP_TP_OTHER ? in->transport : SIP_TP_UDP;
}

/* A URI's transport: its transport= parameter, else TLS for sips:, else UDP. */
static uint8_t
uri_transport(const struct sip_uri *u)
{
	struct sip_str t;

	if (sip_param_get(u->params, "transport", 9, &t) == 1 && t.len) {
		enum sip_transport tp = sip_transport_lookup(t);
		return tp != SIP_TP_OTHER ? (uint8_t)tp : SIP_TP_UDP;
	}
	return u->scheme_id == SIP_SCHEME_SIPS ? SIP_TP_TLS : SIP_TP_UDP;
}

static bool
uri_is_local(const struct dp_sip_config *c, const struct sip_uri *u)
{
	if (u->scheme_id != SIP_SCHEME_SIP && u->scheme_id != SIP_SCHEME_SIPS)
		return false;
	return is_local_hostport(c, &u->addr, u->has_port, u->port);
}

/* The URI names this router, on either of its addresses. */
static bool
uri_is_ours(const struct dp_sip_env *env, const struct sip_uri *u)
{
	return uri_is_local(env->cfg, u) ||
		(env->cfg_other != NULL && uri_is_local(env->cfg_other, u));
}

/* a is one of c's addresses, or its subnet's broadcast or network address. */
static bool
is_local_or_edge(const struct dp_sip_config *c, const struct sip_addr *a)
{
	return sip_addr_eq(a, &c->addr) || sip_addr_eq(a, &c->bcast) || sip_addr_eq(a, &c->net);
}

/*
 * Nowhere to send anything: broadcast, multicast, loopback, unspecified
 * (RFC 4475 bcast), our own addresses on any port, our subnets' broadcast
 * and network addresses; IPv4-mapped IPv6 forms of all of these too; and
 * port 0 on any address (reserved: a "sent-by" or Route port 0, or a
 * spoofed source port 0, must not make us emit such packets).
 */
static bool
addr_forbidden(const struct dp_sip_env *env, const struct sip_addr *a)
{
	struct sip_addr u = sip_addr_unmapped(a);

	return sip_addr_is_forbidden_dst(&u) || is_local_or_edge(env->cfg, &u) ||
		(env->cfg_other != NULL && is_local_or_edge(env->cfg_other, &u));
}

static inline bool
dst_forbidden(const struct dp_sip_env *env, const struct sip_addr *a, uint16_t port)
{
	return port == 0 || addr_forbidden(env, a);
}

/* Our own Via: our address and port, and a branch we made. */
static bool
via_is_ours(const struct dp_sip_config *c, const struct sip_via *v)
{
	return v->branch.len == SIP_BRANCH_LEN &&
		memcmp(v->branch.p, SIP_BRANCH_COOKIE "sl", 9) == 0 &&
		is_local_hostport(c, &v->addr, v->has_port, v->port);
}

static void
count_status(const struct dp_sip_env *env, unsigned code)
{
	count(env, code < 300 ? DP_C_REPLY_1XX_2XX : code < 400 ? DP_C_REPLY_3XX :
			code < 500 ? DP_C_REPLY_4XX : DP_C_REPLY_5XX_6XX);
	dp_count_status(env->cnt->sent, code);
}

/*
 * Where a reply to this request goes (RFC 3261 §18.2.2, RFC 3581). An
 * unparsable top Via (top->start NULL: a 400 for it) gets the source port.
 */
static void
reply_destination(const struct dp_pkt_in *in, const struct sip_via *top, struct dp_pkt_out *out)
{
	out->dst = in->src;
	/* Over a stream the reply goes back on the request's connection (cp_relay.c). */
	if (top->start == NULL || top->has_rport || in_transport(in) != SIP_TP_UDP)
		out->dport = in->sport;
	else
		out->dport = top->has_port ? top->port : 5060;
	out->transport = in_transport(in);
	out->tls_name = SIP_STR_NULL;
	out->is_reply = 1;
}

/*
 * Build a stateless reply; act is the action counter, counted when the
 * reply goes out (otherwise the drop's own counter is). Contacts are
 * dropped from the end until the reply is at most cfg->amplification times
 * the request (the source of a UDP request is unverified: never reflect
 * much more than we received).
 */
/* What a stateless reply says. */
struct reply {
	enum dp_counter act;            /* counted when the reply goes out */
	unsigned code;
	struct sip_str reason;          /* empty: the standard phrase */
	const struct sip_str *contacts; /* redirect */
	unsigned n_contacts;
	struct sip_str extra;           /* header lines, each ending in CRLF */
};

static enum dp_action
reply(const struct dp_sip_env *env, const struct dp_pkt_in *in, const struct sip_msg *m,
		const struct sip_fields *f, const struct reply *rp, struct dp_pkt_out *out)
{
	enum dp_counter act = rp->act;
	unsigned code = rp->code;
	struct sip_str reason = rp->reason, extra = rp->extra;
	const struct sip_str *contacts = rp->contacts;
	unsigned n_contacts = rp->n_contacts;

	const struct dp_sip_config *c = env->cfg;
	char tag[SIP_TOTAG_LEN];
	char hdrs[512];
	size_t hl = 0;
	uint32_t limit = in->len * c->amplification;

	/* Where it goes first: the sent-by port may be 0 where the source's is not. */
	reply_destination(in, &f->top, out);
	if (dst_forbidden(env, &out->dst, out->dport)) {
		/* A spoofed source (the wire port drops these before they get here). */
		count(env, DP_C_DROP_FORBIDDEN_DST);
		return DP_ACT_DROP;
	}
	sip_totag_sign(f, &dp_sip_keys(c)->cur, tag);
	if (extra.len + c->server.len <= sizeof(hdrs)) {
		/* Empty views may be {NULL, 0}: memcpy() must not see a NULL. */
		if (extra.len)
			memcpy(hdrs, extra.p, extra.len);
		if (c->server.len)
			memcpy(hdrs + extra.len, c->server.p, c->server.len);
		hl = extra.len + c->server.len;
	}
	struct sip_reply_opts o = {
		.code = (uint16_t)code,
		.reason = reason,
		.top = f->top.start ? &f->top : NULL,
		.to = &f->to,
		.src = f->top.start ? &in->src : NULL,
		.src_port = in->sport,
		.to_tag = f->to.start ? sip_str_make(tag, sizeof(tag)) : SIP_STR_NULL,
		.contacts = contacts,
		.n_contacts = n_contacts,
		.extra = sip_str_make(hdrs, hl),
	};
	for (;;) {
		int len = sip_build_reply(out->buf, out->cap, m, &o);
		if (len > 0 && (uint32_t)len <= limit) {
			out->len = (uint32_t)len;
			break;
		}
		if (o.n_contacts <= 1 || (len < 0 && len != -SIP_E_NOSPACE)) {
			count(env, len < 0 ? DP_C_DROP_BUILD : DP_C_DROP_AMPLIFICATION);
			return DP_ACT_DROP;
		}
		o.n_contacts--;
	}
	count(env, act);
	count_status(env, code);
	return DP_ACT_SEND;
}

/* A request that failed validation: answer it if we can, else drop it. */
static enum dp_action
reply_error(const struct dp_sip_env *env, const struct dp_pkt_in *in, const struct sip_msg *m,
		const struct sip_verdict *v, struct dp_pkt_out *out)
{
	struct sip_fields f;
	char warn[160];

	/*
	 * We need the headers a reply copies: Via, From, To, Call-ID, CSeq. A
	 * top Via we cannot parse (the reason for a 400, RFC 4475 badinv01) is
	 * copied as it is and the reply goes to the source address and port.
	 */
	if (m->first[SIP_HDR_VIA] == SIP_HDR_NONE || sip_via_top(m, &f.top) != 0)
		memset(&f.top, 0, sizeof(f.top));
	/*
	 * From and To that do not parse (RFC 4475 badaspec, quotbal, baddn) are
	 * still copied as they are; the To then gets no tag (we cannot know
	 * where its value ends), so the ACK for this 400 is simply not ours.
	 */
	if (sip_naddr_of(m, SIP_HDR_FROM, &f.from, 0) != 0)
		memset(&f.from, 0, sizeof(f.from));
	if (sip_naddr_of(m, SIP_HDR_TO, &f.to, 0) != 0)
		memset(&f.to, 0, sizeof(f.to));
	if (v->status == 0 || !(m->flags & SIP_MSG_HDRS_OK) || m->first[SIP_HDR_VIA] == SIP_HDR_NONE ||
			m->first[SIP_HDR_FROM] == SIP_HDR_NONE || m->first[SIP_HDR_TO] == SIP_HDR_NONE ||
			sip_msg_callid(m, &f.callid) != 0 || !sip_hdr_first(m, SIP_HDR_CSEQ)) {
		count(env, DP_C_DROP_BAD_REQUEST_SILENT);
		return DP_ACT_DROP;
	}
	/* TOO_LARGE here is the dataplane's buffer (dp_sip_too_large()), not SIP's 64 KiB. */
	bool large = v->err == -SIP_E_TOO_LARGE;
	const char *what = large ? "message larger than this server's buffer" :
		sip_err_text(v->err);
	const char *hdr = sip_hdr_name((enum sip_hdr_type)v->hdr);
	int wl = snprintf(warn, sizeof(warn), "Warning: 399 %.*s \"%s%s%s\"\r\n",
			(int)env->cfg->host.len, env->cfg->host.p, what, *hdr ? ": " : "", hdr);
	if (wl < 0 || (size_t)wl >= sizeof(warn))
		wl = 0;
	/*
	 * Several values of a single-value header (RFC 4475 multi01): 400. The
	 * reply copies the first of each, as every other reply does, and its
	 * To-tag signs the first Call-ID (the one the ACK will carry).
	 */
	enum dp_counter act = v->err == -SIP_E_DUP_HDR ? DP_C_ACT_DUP_HEADER :
		large ? DP_C_ACT_TOO_LARGE : DP_C_ACT_ERROR_REPLY;
	return reply(env, in, m, &f, &(struct reply){
		.act = act, .code = v->status,
		.extra = sip_str_make(warn, (size_t)wl)}, out);
}

/* ---- responses ---- */

/* The first value of a name-addr list header (Contact, Record-Route): its URI, or empty. */
static struct sip_str
first_uri(const struct sip_msg *m, enum sip_hdr_type t)
{
	struct sip_cursor cur;
	struct sip_naddr a;

	sip_cursor_init(&cur, m, t);
	if (sip_naddr_next(&cur, &a, 0) != 1 || a.star)
		return SIP_STR_NULL;
	return a.uri;
}

/* Our Record-Route entries a response may carry (spirals, RFC 5658 pairs). */
#define DP_MAX_OWN_RR 4

/*
 * A response that creates a dialog (1xx with a To-tag, 2xx) carries the
 * Record-Route set the caller will use. Our entries in it were signed "up"
 * (for the callee's requests); re-sign each "down" for the caller's: bound
 * to the callee's tag and to the callee-side target, the nearest entry
 * above ours that is not ours, else the response's Contact (RFC 3261
 * §16.7 step 4 allows a proxy to rewrite its own Record-Route).
 */
static int
resign_record_route(const struct dp_sip_env *env, const struct sip_msg *m,
		const struct sip_fields *f, struct sip_edits *es)
{
	struct sip_str sig[DP_MAX_OWN_RR], target[DP_MAX_OWN_RR];
	struct sip_str above = SIP_STR_NULL;
	struct sip_cursor cur;
	struct sip_naddr a;
	struct sip_uri u;
	unsigned n = 0;
	int rc;

	if (m->status < 101 || m->status > 299 || !f->to.has_tag)
		return 0;
	sip_cursor_init(&cur, m, SIP_HDR_RECORD_ROUTE);
	while ((rc = sip_naddr_next(&cur, &a, SIP_NADDR_NEED_BRACKETS)) == 1) {
		struct sip_str v;
		bool ours = sip_uri_parse(&u, a.uri.p, a.uri.len) == 0 && uri_is_ours(env, &u) &&
			sip_param_get(u.params, "sl", 2, &v) == 1 && v.len == SIP_RRSIG_LEN;
		if (!ours) {
			above = a.uri;
			continue;
		}
		if (n == DP_MAX_OWN_RR)
			return -1;
		sig[n] = v;
		target[n++] = above; /* empty: the Contact, found below if needed */
	}
	if (rc < 0)
		return -1;
	if (n == 0)
		return 0;
	const struct sip_keyring *kr = dp_sip_keys(env->cfg);
	struct sip_str contact = SIP_STR_NULL;
	bool have_contact = false;
	for (unsigned i = 0; i < n; i++) {
		char *t = sip_edits_text(es, SIP_RRSIG_LEN);
		if (t == NULL)
			return -1;
		if (target[i].len == 0 && !have_contact) {
			contact = first_uri(m, SIP_HDR_CONTACT);
			have_contact = true;
		}
		struct sip_str tg = target[i].len ? target[i] : contact;
		sip_rrsig_down(f->callid, f->from.tag, f->to.tag, tg, &kr->cur, t);
		if (sip_edits_add(es, sip_str_off(sig[i], m->buf), SIP_RRSIG_LEN, t,
				SIP_RRSIG_LEN) != 0)
			return -1;
	}
	return 0;
}

static enum dp_action
handle_response(const struct dp_sip_env *env, const struct sip_msg *m, int rc,
		struct dp_pkt_out *out)
{
	struct sip_verdict v;
	struct sip_fields f;
	struct sip_next_hop hop;
	struct sip_origin to;
	struct sip_edits es;

	count(env, DP_C_RX_RESPONSES);
	if (sip_inspect(m, rc, 0, &v, &f) != 0) {
		count(env, DP_C_DROP_BAD_RESPONSE);
		return DP_ACT_DROP;
	}
	/*
	 * Ours: our address and a branch we made for the request whose top Via
	 * is now the second one, to be sent back where that request came from
	 * (its received and rport, which we wrote). Anything else naming us is
	 * forged, or replayed towards another destination: dropped.
	 */
	struct sip_cursor cur;
	struct sip_via first, prev;
	sip_cursor_init(&cur, m, SIP_HDR_VIA);
	if (!via_is_ours(env->cfg, &f.top)) {
		count(env, DP_C_DROP_RESPONSE_NOT_OURS);
		return DP_ACT_DROP;
	}
	if (sip_via_next(&cur, &first) != 1 || sip_via_next(&cur, &prev) != 1) {
		count(env, DP_C_DROP_RESPONSE_NO_VIA);
		return DP_ACT_DROP;
	}
	if (sip_via_origin(&prev, &to) != 0 ||
			!sip_branch_verify(f.top.branch, &prev, &to, &f, dp_sip_keys(env->cfg))) {
		count(env, DP_C_DROP_RESPONSE_FORGED);
		return DP_ACT_DROP;
	}
	sip_edits_init(&es);
	if (env->cfg->record_route && m->first[SIP_HDR_RECORD_ROUTE] != SIP_HDR_NONE &&
			resign_record_route(env, m, &f, &es) != 0) {
		count(env, DP_C_DROP_BAD_RESPONSE);
		return DP_ACT_DROP;
	}
	int len = sip_build_response_fwd(out->buf, out->cap, m, &f.top, &es, &hop);
	if (len < 0) {
		count(env, len == -SIP_E_NOSPACE ? DP_C_DROP_BUILD : DP_C_DROP_RESPONSE_NO_VIA);
		return DP_ACT_DROP;
	}
	/* RFC 4475 bcast: never to broadcast, multicast, loopback or ourselves. */
	if (dst_forbidden(env, &to.addr, to.port)) {
		count(env, DP_C_DROP_FORBIDDEN_DST);
		return DP_ACT_DROP;
	}
	/*
	 * The next Via is TCP/TLS: its connection is the control plane's.
	 * Attached, it gets the response; alone, we send it over UDP as
	 * before (the best we can do).
	 */
	unsigned br = dp_sip_bridge(env->cfg);
	if ((hop.transport == SIP_TP_TCP || hop.transport == SIP_TP_TLS) &&
			!(br & DP_BRIDGE_STREAMS) && (br & DP_BRIDGE_PUNT)) {
		count(env, DP_C_PUNT_RESPONSE_TRANSPORT);
		return DP_ACT_EXCEPTION;
	}
	out->tls_name = SIP_STR_NULL;
	out->len = (uint32_t)len;
	out->dst = sip_addr_unmapped(&to.addr);
	out->dport = to.port;
	out->transport = hop.transport;
	out->is_reply = 0;
	count(env, DP_C_ACT_RESPONSE_FWD);
	dp_count_status(env->cnt->relayed, m->status);
	return DP_ACT_SEND;
}

/* ---- requests ---- */

/*
 * Route set processing (RFC 3261 §16.4): pop our Route if it is on top;
 * if the R-URI is ours and Routes remain, a strict router sent us this:
 * the last Route becomes the R-URI.
 */
static int
route_set(const struct dp_sip_env *env, const struct sip_msg *m, bool ruri_local,
		struct dp_route_set *rs)
{
	struct sip_cursor cur;
	struct sip_naddr a;
	struct sip_uri u;
	int rc, n = 0;

	/* pop and pop2 are read only when their header is set: not cleared. */
	rs->pop_hdr = rs->pop2_hdr = NULL;
	rs->pop_params = rs->next_uri = rs->strict_ruri = SIP_STR_NULL;
	sip_cursor_init(&cur, m, SIP_HDR_ROUTE);
	while ((rc = sip_naddr_next(&cur, &a, SIP_NADDR_NEED_BRACKETS)) == 1) {
		bool ours = (n == 0 || (n == 1 && rs->pop_hdr != NULL)) &&
			sip_uri_parse(&u, a.uri.p, a.uri.len) == 0 && uri_is_ours(env, &u);
		if (ours && n == 0) {
			rs->pop = a;
			rs->pop_hdr = sip_cursor_hdr(&cur);
			rs->pop_params = u.params;
		} else if (ours) {
			/* Our second Record-Route (we changed address family on the way). */
			rs->pop2 = a;
			rs->pop2_hdr = sip_cursor_hdr(&cur);
		} else if (rs->next_uri.len == 0) {
			rs->next_uri = a.uri;
		}
		if (ruri_local && rs->pop_hdr == NULL && a.more == 0 &&
				sip_hdr_next(m, sip_cursor_hdr(&cur)) == NULL) {
			/* last value of the last Route header */
			rs->strict_ruri = a.uri;
			rs->pop = a;
			rs->pop_hdr = sip_cursor_hdr(&cur);
			rs->pop_params = SIP_STR_NULL; /* ours is the Request-URI */
		}
		n++;
	}
	if (rs->strict_ruri.len && n == 1)
		rs->next_uri = SIP_STR_NULL;
	return rc;
}

/* Room for signed_rr(): "sip:" host ":" port ";transport=" tp ";lr;sl=" SIG. */
#define DP_RR_MAX (4 + sizeof(((struct dp_sip_config *)0)->host_buf) + 6 + 14 + 7 + \
		SIP_RRSIG_LEN)

/*
 * "sip:HOST:PORT;lr;sl=SIG" (UDP) or "sip:HOST:PORT;transport=tcp;lr;sl=SIG"
 * into buf (DP_RR_MAX bytes): our Record-Route on the side of transport tp
 * (RFC 5658: one entry per side when we bridge). TLS names the TLS port.
 */
static struct sip_str
signed_rr(const struct dp_sip_config *c, uint8_t tp, const char sig[SIP_RRSIG_LEN], char *buf)
{
	size_t n = 0;

	if (tp == SIP_TP_UDP) {
		memcpy(buf, c->rr_uri.p, c->rr_uri.len);
		n = c->rr_uri.len;
	} else {
		const char *name = tp == SIP_TP_TLS ? "tls" : tp == SIP_TP_TCP ? "tcp" : "udp";
		uint16_t port = tp == SIP_TP_TLS && c->tls_port != 0 ? c->tls_port : c->port;
		memcpy(buf, "sip:", 4);
		n = 4;
		memcpy(buf + n, c->host.p, c->host.len);
		n += c->host.len;
		buf[n++] = ':';
		n += sip_fmt_u32(buf + n, port);
		memcpy(buf + n, ";transport=", 11);
		n += 11;
		memcpy(buf + n, name, 3);
		n += 3;
		memcpy(buf + n, ";lr", 3);
		n += 3;
	}
	memcpy(buf + n, ";sl=", 4);
	memcpy(buf + n + 4, sig, SIP_RRSIG_LEN);
	return sip_str_make(buf, n + 4 + SIP_RRSIG_LEN);
}

/*
 * The request belongs to a dialog we record-routed and goes where that
 * dialog's route set sends it from this side: our Route (or, from a strict
 * router, the Request-URI) carries the signature we gave the dialog for
 * this direction and this target (sip_rrsig_verify()).
 */
static bool
dialog_is_ours(const struct dp_sip_config *c, const struct sip_fields *f, struct sip_str params,
		struct sip_str target)
{
	struct sip_str sig;

	if (sip_param_get(params, "sl", 2, &sig) != 1)
		return false;
	return sip_rrsig_verify(sig, f->callid, f->from.tag, f->to.tag, target, dp_sip_keys(c));
}

/*
 * What our Record-Route in an initial request is bound to for the callee's
 * requests: the caller's side of the route set, i.e. the topmost
 * Record-Route already there, else the caller's Contact.
 */
static struct sip_str
caller_side_target(const struct sip_msg *m)
{
	struct sip_str t = first_uri(m, SIP_HDR_RECORD_ROUTE);
	return t.len ? t : first_uri(m, SIP_HDR_CONTACT);
}

/* Where a forward goes: next hop, its transport, and why it would be bridged. */
struct hop {
	const struct sip_addr *addr;
	uint16_t port;
	uint8_t transport;          /* enum sip_transport; 0: the config's */
	struct sip_str tls_name;
	enum dp_counter punt;       /* counter of a TCP/TLS hop handed to the control plane */
	const char *reason;         /* 503 reason for it without a control plane */
};

/*
 * Forward m to the hop. TCP/TLS hops and large requests are bridged
 * (DP_BRIDGE_*): sent here, handed to the control plane, or (TCP/TLS
 * alone) answered 503.
 */
static enum dp_action
forward(const struct dp_sip_env *env, const struct dp_pkt_in *in, const struct sip_msg *m,
		const struct sip_fields *f, const struct dp_route_set *rs,
		const struct hop *hp, struct sip_str ruri,
		struct sip_str extra, bool record_route,
		struct dp_pkt_out *out)
{
	const struct sip_addr *nh_in = hp->addr;
	uint16_t nh_port = hp->port;
	const struct dp_sip_config *c = env->cfg;
	char branch[SIP_BRANCH_LEN];
	struct sip_addr dst = sip_addr_unmapped(nh_in);
	const struct sip_addr *nh = &dst;

	/*
	 * A source we could never answer (spoofed: ours, a broadcast...) would
	 * have the next hop's responses dropped here anyway: do not bother it.
	 */
	if (dst_forbidden(env, &in->src, in->sport)) {
		count(env, DP_C_DROP_FORBIDDEN_DST);
		return DP_ACT_DROP;
	}
	if (dst_forbidden(env, nh, nh_port)) {
		/* Ourselves on the SIP port is a loop; anything else of ours is forbidden. */
		bool loop = nh_port == c->port && (sip_addr_eq(nh, &c->addr) ||
				(env->cfg_other != NULL && sip_addr_eq(nh, &env->cfg_other->addr)));
		count(env, loop ? DP_C_DROP_LOOP : DP_C_DROP_FORBIDDEN_DST);
		return DP_ACT_DROP;
	}
	/*
	 * Our Via (and Record-Route) must name the address the next hop will
	 * answer to: the one of its family. Crossing families, we record-route
	 * on both sides (RFC 5658): the egress address first, then the ingress.
	 */
	const struct dp_sip_config *eg = nh->af == c->addr.af ? c : env->cfg_other;
	if (eg == NULL || eg->addr.af != nh->af) {
		count(env, DP_C_DROP_NO_FAMILY);
		return DP_ACT_DROP;
	}
	/* TCP/TLS: sent here only with a stream sender; else punted, else 503. */
	unsigned br = dp_sip_bridge(c);
	uint8_t etp = hp->transport != SIP_TP_OTHER ? hp->transport : eg->transport;
	uint8_t itp = in_transport(in);
	/* SCTP, WS, WSS: no process of ours speaks them. */
	const char *cannot = etp != SIP_TP_UDP && etp != SIP_TP_TCP && etp != SIP_TP_TLS ?
		"Transport Not Supported" : NULL;
	if (cannot == NULL && etp != SIP_TP_UDP && !(br & DP_BRIDGE_STREAMS)) {
		if (br & DP_BRIDGE_PUNT) {
			count(env, hp->punt);
			return DP_ACT_EXCEPTION;
		}
		cannot = hp->reason;
	}
	if (cannot != NULL) {
		if (m->method == SIP_METHOD_ACK) {
			count(env, DP_C_DROP_ACK_UNROUTABLE);
			return DP_ACT_DROP;
		}
		return reply(env, in, m, f, &(struct reply){
			.act = DP_C_ACT_UNAVAILABLE, .code = 503,
			.reason = sip_str_make(cannot, strlen(cannot))}, out);
	}
	const struct sip_keyring *kr = dp_sip_keys(c);
	const struct sip_origin from = {.addr = in->src, .port = in->sport};
	sip_branch_sign(f, &from, &kr->cur, branch);
	/*
	 * Our Record-Route carries the dialog's signature for the callee
	 * (sip_rrsig_up()). Changing family or transport, one entry per side
	 * (RFC 5658): the egress side on top, then the ingress side.
	 */
	char rr1[DP_RR_MAX], rr2[DP_RR_MAX];
	struct sip_str rrs1 = SIP_STR_NULL, rrs2 = SIP_STR_NULL;
	if (record_route) {
		char sig[SIP_RRSIG_LEN];
		sip_rrsig_up(f->callid, f->from.tag, caller_side_target(m), &kr->cur, sig);
		rrs1 = signed_rr(eg, etp, sig, rr1);
		if (eg != c || etp != itp)
			rrs2 = signed_rr(c, itp, sig, rr2);
	}
	struct sip_fwd_opts o = {
		.top = &f->top,
		.via_host = eg->host,
		.via_port = etp == SIP_TP_TLS && eg->tls_port != 0 ? eg->tls_port : eg->port,
		.via_tp = (enum sip_transport)etp,
		.branch = branch,
		.src = &in->src,
		.src_port = in->sport,
		.ruri = ruri,
		.record_route = rrs1,
		.record_route2 = rrs2,
		.extra = extra,
		.route_hdr = rs ? rs->pop_hdr : NULL,
		.route = rs && rs->pop_hdr ? &rs->pop : NULL,
		.route2_hdr = rs ? rs->pop2_hdr : NULL,
		.route2 = rs && rs->pop2_hdr ? &rs->pop2 : NULL,
	};
	int len = sip_build_request_fwd(out->buf, out->cap, m, &o);
	/*
	 * RFC 3261 §18.1.1: a request over 1300 bytes should not go as one UDP
	 * datagram from the fast path; an attached control plane sends it from
	 * a kernel socket (which fragments). Too large for our buffer: the
	 * same (its buffer is larger).
	 */
	if (etp == SIP_TP_UDP && (br & DP_BRIDGE_PUNT) && !(br & DP_BRIDGE_LARGE) &&
			(len > (int)DP_BRIDGE_LARGE_LEN || len == -SIP_E_NOSPACE)) {
		count(env, DP_C_PUNT_LARGE_REQUEST);
		return DP_ACT_EXCEPTION;
	}
	/* IPv6 is not fragmented on the way (and we do not fragment it): too big is too big. */
	if (len > 0 && etp == SIP_TP_UDP && !(br & DP_BRIDGE_LARGE) && nh->af == SIP_AF_INET6 &&
			(uint32_t)len + 48 > c->mtu)
		len = -SIP_E_NOSPACE;
	if (len == -SIP_E_NOSPACE && m->method != SIP_METHOD_ACK) {
		/* Too large to forward over UDP from here: say so rather than let it time out. */
		return reply(env, in, m, f, &(struct reply){
			.act = DP_C_ACT_ERROR_REPLY, .code = 513}, out);
	}
	if (len < 0) {
		count(env, DP_C_DROP_BUILD);
		return DP_ACT_DROP;
	}
	out->len = (uint32_t)len;
	out->dst = *nh;
	out->dport = nh_port;
	out->transport = etp;
	out->tls_name = etp == SIP_TP_TLS ? hp->tls_name : SIP_STR_NULL;
	out->is_reply = 0;
	return DP_ACT_SEND;
}

/*
 * Forward to a URI's host:port. A host name is never resolved here: the
 * dataplane punts the request to the control plane (env->resolve NULL),
 * whose relay runs this with a resolver.
 */
static enum dp_action
forward_to_uri(const struct dp_sip_env *env, const struct dp_pkt_in *in, const struct sip_msg *m,
		const struct sip_fields *f, const struct dp_route_set *rs, struct sip_str uri,
		struct sip_str new_ruri, struct dp_pkt_out *out)
{
	struct sip_uri u;
	struct sip_addr a;
	struct sip_str maddr;

	if (sip_uri_parse(&u, uri.p, uri.len) != 0 ||
			(u.scheme_id != SIP_SCHEME_SIP && u.scheme_id != SIP_SCHEME_SIPS)) {
		count(env, DP_C_DROP_BAD_REQUEST_SILENT);
		return DP_ACT_DROP;
	}
	struct sip_str host = u.host;
	if (sip_param_get(u.params, "maddr", 5, &maddr) == 1 && maddr.len)
		host = maddr;
	/*
	 * The transport on the far side: our second Route entry's (RFC 5658
	 * double Record-Route: it names the side the request leaves from),
	 * else the target's own.
	 */
	uint8_t tp = uri_transport(&u);
	struct sip_uri u2;
	struct sip_str t2;
	if (rs != NULL && rs->pop2_hdr != NULL &&
			sip_uri_parse(&u2, rs->pop2.uri.p, rs->pop2.uri.len) == 0 &&
			sip_param_get(u2.params, "transport", 9, &t2) == 1)
		tp = uri_transport(&u2);
	uint16_t port = u.has_port ? u.port : (tp == SIP_TP_TLS ? 5061 : 5060);
	if (sip_addr_parse(host, &a) != 0) {
		if (env->resolve == NULL) {
			count(env, DP_C_PUNT_NEEDS_DNS);
			return DP_ACT_EXCEPTION;
		}
		if (env->resolve(env->resolve_ctx, host, u.scheme_id == SIP_SCHEME_SIPS, u.has_port,
				u.port, &a, &port) != 0) {
			count(env, DP_C_DROP_UNRESOLVED);
			return DP_ACT_DROP;
		}
	}
	struct hop hp = {.addr = &a, .port = port, .transport = tp,
		.tls_name = tp == SIP_TP_TLS ? host : SIP_STR_NULL,
		.punt = DP_C_PUNT_DIALOG_TRANSPORT, .reason = "Transport Not In Fast Path"};
	return forward(env, in, m, f, rs, &hp, new_ruri, SIP_STR_NULL, false, out);
}

static bool
contact_is_ruri(struct sip_str contact, struct sip_str ruri)
{
	if (contact.len > 0 && contact.p[0] == '<') {
		/*
		 * What the dialplan writes, "<uri>" and parameters: the URI ends
		 * at the first '>', so it is the Request-URI only if a '>' follows
		 * that many bytes, none comes earlier, and the bytes are the same.
		 */
		if (contact.len < ruri.len + 2 || contact.p[1 + ruri.len] != '>' ||
				memcmp(contact.p + 1, ruri.p, ruri.len) != 0)
			return false;
		return memchr(ruri.p, '>', ruri.len) == NULL;
	}
	const char *lt = memchr(contact.p, '<', contact.len);
	const char *gt = lt ? memchr(lt, '>', contact.len - (size_t)(lt - contact.p)) : NULL;
	struct sip_str uri = gt ? sip_str_span(lt + 1, gt) : contact;
	return sip_str_eq(uri, ruri);
}

static enum dp_action
apply_route(const struct dp_sip_env *env, const struct dp_pkt_in *in, const struct sip_msg *m,
		const struct sip_fields *f, const struct dp_route_set *rs, struct dp_route *r,
		struct dp_pkt_out *out)
{
	bool cancel = m->method == SIP_METHOD_CANCEL;
	bool ack = m->method == SIP_METHOD_ACK;
	struct sip_str ruri = sip_msg_ruri(m);

	switch (r->kind) {
	case DP_ROUTE_FORWARD: {
		struct hop hp = {.addr = &r->nh, .port = r->nh_port, .transport = r->nh_transport,
			.tls_name = r->tls_name,
			.punt = r->from_location ? DP_C_PUNT_CONTACT_TRANSPORT :
				DP_C_PUNT_GATEWAY_TRANSPORT,
			.reason = r->from_location ? "Contact Transport Not In Fast Path" :
				"Gateway Transport Not In Fast Path"};
		enum dp_action a = forward(env, in, m, f, rs, &hp, r->ruri, r->extra,
				env->cfg->record_route && !ack && !cancel, out);
		if (a == DP_ACT_SEND && !out->is_reply) /* not the 513 for an oversized one */
			count(env, r->from_location ? DP_C_ACT_LOCATION : DP_C_ACT_FORWARD);
		return a;
	}
	case DP_ROUTE_DROP:
		count(env, DP_C_ACT_DROP_RULE);
		return DP_ACT_DROP;
	case DP_ROUTE_REDIRECT:
	case DP_ROUTE_REJECT:
	case DP_ROUTE_UNAVAILABLE:
	case DP_ROUTE_NONE:
		break;
	}
	if (ack) {
		/* An ACK that is not ours and has nowhere to be forwarded. */
		count(env, DP_C_DROP_ACK_UNROUTABLE);
		return DP_ACT_DROP;
	}
	if (cancel) {
		/* We answered the INVITE ourselves (final response): the CANCEL is moot. */
		return reply(env, in, m, f, &(struct reply){
			.act = DP_C_ACT_CANCEL_REPLY, .code = 200}, out);
	}
	if (r->kind == DP_ROUTE_REDIRECT) {
		/* Never redirect to the Request-URI itself (RFC 3261 §8.3). */
		struct sip_str keep[DP_MAX_CONTACTS];
		unsigned n = 0;
		for (unsigned i = 0; i < r->n_contacts && i < DP_MAX_CONTACTS; i++)
			if (!contact_is_ruri(r->contacts[i], ruri))
				keep[n++] = r->contacts[i];
		if (n == 0) {
			count(env, DP_C_DROP_LOOP);
			return DP_ACT_DROP;
		}
		return reply(env, in, m, f, &(struct reply){
			.act = DP_C_ACT_REDIRECT, .code = r->code ? r->code : 302, .contacts = keep,
			.n_contacts = n, .extra = r->extra}, out);
	}
	if (r->kind == DP_ROUTE_REJECT) {
		return reply(env, in, m, f, &(struct reply){
			.act = DP_C_ACT_REJECT, .code = r->code, .reason = r->reason,
			.extra = r->extra}, out);
	}
	if (r->kind == DP_ROUTE_UNAVAILABLE) {
		return reply(env, in, m, f, &(struct reply){
			.act = DP_C_ACT_UNAVAILABLE, .code = r->code, .reason = r->reason}, out);
	}
	return reply(env, in, m, f, &(struct reply){
		.act = DP_C_ACT_NO_ROUTE, .code = env->cfg->no_route_code}, out);
}

static const char options_hdrs[] =
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
	"Accept: application/sdp\r\n";

static enum dp_action
handle_request(const struct dp_sip_env *env, struct dp_sip_job *j)
{
	const struct dp_sip_config *c = env->cfg;
	const struct dp_pkt_in *in = j->in;
	struct dp_pkt_out *out = j->out;
	const struct sip_msg *m = &j->m;
	struct sip_fields *f = &j->f;
	struct dp_route_set *rs = &j->rs;
	struct sip_verdict v;
	int rc = j->rc;

	count(env, DP_C_RX_REQUESTS);
	if (sip_inspect(m, rc, 0, &v, f) != 0)
		return reply_error(env, in, m, &v, out);
	/* Limits (docs/dataplane.md "Limits"): answered, never forwarded. */
	if (m->ruri_len > DP_MAX_RURI_LEN || sip_via_count(m, DP_MAX_VIAS) > DP_MAX_VIAS) {
		bool ruri = m->ruri_len > DP_MAX_RURI_LEN;
		if (m->method == SIP_METHOD_ACK) {
			count(env, DP_C_DROP_ACK_UNROUTABLE);
			return DP_ACT_DROP;
		}
		return reply(env, in, m, f, &(struct reply){
			.act = ruri ? DP_C_ACT_RURI_TOO_LONG : DP_C_ACT_TOO_MANY_VIAS,
			.code = ruri ? 414 : 400,
			.reason = ruri ? SIP_STR_NULL : SIP_STR_LIT("Too Many Via Headers")}, out);
	}
	/* The peer ACL: before anything is routed or handed to the kernel (REGISTER). */
	if (env->acl != NULL) {
		uint8_t av = env->acl(env->acl_ctx, &in->src, in->sport);
		if (!dp_acl_permits(av, m->method == SIP_METHOD_REGISTER)) {
			if (av == DP_ACL_DENY_DROP || m->method == SIP_METHOD_ACK) {
				count(env, DP_C_DROP_ACL);
				return DP_ACT_DROP;
			}
			return reply(env, in, m, f, &(struct reply){.act = DP_C_ACT_ACL_REJECT,
				.code = 403, .reason = SIP_STR_LIT("Forbidden (ACL)")}, out);
		}
	}

	if (m->method == SIP_METHOD_ACK && f->to.has_tag && sip_totag_verify(f, dp_sip_keys(c))) {
		count(env, DP_C_ACT_ACK_ABSORBED);
		return DP_ACT_DROP;
	}
	if (m->method == SIP_METHOD_REGISTER) {
		count(env, DP_C_EXC_REGISTER);
		return DP_ACT_EXCEPTION;
	}

	bool ruri_local = uri_is_ours(env, &f->ruri);
	if (m->method == SIP_METHOD_OPTIONS && ruri_local && !f->ruri.has_user && !f->to.has_tag) {
		return reply(env, in, m, f, &(struct reply){
			.act = DP_C_ACT_OPTIONS_REPLY, .code = 200,
			.extra = SIP_STR_LIT(options_hdrs)}, out);
	}
	/* RFC 3261 §16.3 steps 3 and 6 (sip_proxy_check()), from the parsed fields. */
	if ((f->has_max_forwards && f->max_forwards == 0) ||
			m->first[SIP_HDR_PROXY_REQUIRE] != SIP_HDR_NONE) {
		bool hops = f->has_max_forwards && f->max_forwards == 0;
		v.err = hops ? -SIP_E_TOO_MANY_HOPS : -SIP_E_BAD_EXTENSION;
		v.status = hops ? 483 : 420;
		char unsup[256];
		struct sip_str extra = SIP_STR_NULL;
		const struct sip_hdr *pr = sip_hdr_first(m, SIP_HDR_PROXY_REQUIRE);
		if (v.err == -SIP_E_BAD_EXTENSION && pr != NULL) {
			struct sip_str val = sip_hdr_value(m, pr);
			int n = snprintf(unsup, sizeof(unsup), "Unsupported: %.*s\r\n", (int)val.len,
					val.p);
			if (n > 0 && (size_t)n < sizeof(unsup))
				extra = sip_str_make(unsup, (size_t)n);
		}
		if (m->method == SIP_METHOD_ACK) {
			count(env, DP_C_DROP_ACK_UNROUTABLE);
			return DP_ACT_DROP;
		}
		return reply(env, in, m, f, &(struct reply){
			.act = DP_C_ACT_ERROR_REPLY, .code = v.status, .extra = extra}, out);
	}

	/* Only a URI without a user part can be a Record-Route of ours (strict routing). */
	if (route_set(env, m, ruri_local && !f->ruri.has_user, rs) < 0) {
		v.err = -SIP_E_NAMEADDR;
		v.hdr = SIP_HDR_ROUTE;
		v.status = 400;
		return reply_error(env, in, m, &v, out);
	}
	/*
	 * In-dialog and pre-routed requests follow the Route set, else the
	 * Request-URI, past the dialplan: only for dialogs we record-routed
	 * (the signature in our Route, or in the Request-URI a strict router
	 * made of it), unless --relay-in-dialog. An ACK does so when it came
	 * with a Route (ACK for a record-routed 2xx), or, relaying, when its
	 * Request-URI is not ours (the 2xx's Contact); otherwise it is the ACK
	 * for a non-2xx response and must follow its INVITE (RFC 3261 §16.11):
	 * the dialplan decides.
	 */
	bool in_dialog = rs->strict_ruri.len != 0 || (m->method == SIP_METHOD_ACK ?
		(rs->pop_hdr != NULL || rs->next_uri.len != 0 ||
		 /* relaying: the ACK of a 2xx goes to its remote target, not to us */
		 (c->relay_in_dialog && f->to.has_tag && !ruri_local)) :
		(f->to.has_tag && (rs->next_uri.len != 0 || !ruri_local)));
	if (in_dialog) {
		/* Where it goes: the next Route, else the (strict router's: last Route) target. */
		struct sip_str target = rs->next_uri.len ? rs->next_uri :
			rs->strict_ruri.len ? rs->strict_ruri : sip_msg_ruri(m);
		if (!c->relay_in_dialog && !dialog_is_ours(c, f,
				rs->strict_ruri.len ? f->ruri.params : rs->pop_params, target)) {
			if (m->method == SIP_METHOD_ACK) {
				count(env, DP_C_DROP_NOT_OUR_DIALOG);
				return DP_ACT_DROP;
			}
			return reply(env, in, m, f, &(struct reply){
				.act = DP_C_ACT_DIALOG_REFUSED, .code = 403,
				.reason = SIP_STR_LIT("Dialog Not Routed Here")}, out);
		}
		/* §16.4 strict router: the last Route becomes the Request-URI. */
		enum dp_action a = forward_to_uri(env, in, m, f, rs, target, rs->strict_ruri, out);
		if (a == DP_ACT_SEND && !out->is_reply)
			count(env, DP_C_ACT_IN_DIALOG);
		return a;
	}

	/*
	 * Location bindings, then the dialplan: the caller looks them up (a burst
	 * at a time). CANCEL and the ACK of a non-2xx belong to the INVITE's
	 * transaction: the lookup sees them as the INVITE, so a method condition
	 * cannot send them elsewhere than the INVITE went (RFC 3261 §9.1, §16.11).
	 */
	bool invite_txn = m->method == SIP_METHOD_CANCEL || m->method == SIP_METHOD_ACK;
	j->q = (struct dp_query){
		.ruri_user = f->ruri.user,
		.ruri_host = f->ruri.host,
		.from_uri = f->from.uri,
		.to_uri = f->to.uri,
		.method = invite_txn ? SIP_STR_LIT("INVITE") : sip_msg_method(m),
		.src = &in->src,
		.callid_hash = sip_callid_hash(f->callid),
		.in_dialog = f->to.has_tag,
	};
	/* Everything but the contacts and text storage: the lookup sets only what it uses. */
	sip_zero(&j->r, offsetof(struct dp_route, contacts));
	return DP_ACT_ROUTE;
}

enum dp_action
dp_sip_begin(const struct dp_sip_env *env, const struct dp_pkt_in *in, struct dp_pkt_out *out,
		struct dp_sip_job *j)
{
	struct sip_msg *m = &j->m;

	j->in = in;
	j->out = out;
	j->rc = sip_parse(m, in->payload, in->len, 0);
	if (j->rc == -SIP_E_EMPTY) {
		count(env, DP_C_DROP_KEEPALIVE);
		return DP_ACT_DROP;
	}
	/*
	 * Scanners get nothing back, whatever they send: this is the first
	 * decision after parsing, before any path that replies (errors,
	 * OPTIONS, dialplan) or hands the packet to the kernel (REGISTER).
	 * A message that did not parse (its header index may be partial or
	 * missing) is scanned whole: the error paths are rare.
	 */
	if (env->scanner != NULL && (j->rc >= 0 ?
			dp_scanner_match_msg(env->scanner, env->scan_scratch, m) :
			dp_scanner_match_raw(env->scanner, env->scan_scratch, in->payload, in->len))) {
		count(env, DP_C_DROP_SCANNER);
		return DP_ACT_DROP;
	}
	if (j->rc == -SIP_E_TOO_MANY_HDRS) {
		/* More header lines than the index holds: nothing indexed, nothing to answer with. */
		count(env, DP_C_DROP_TOO_MANY_HEADERS);
		return DP_ACT_DROP;
	}
	if (!(m->flags & SIP_MSG_REQUEST)) {
		if (!(m->flags & SIP_MSG_START_OK) && j->rc != -SIP_E_VERSION &&
				j->rc != -SIP_E_STATUS_CODE) {
			count(env, DP_C_DROP_NOT_SIP);
			return DP_ACT_DROP;
		}
		return handle_response(env, m, j->rc, out);
	}
	if (m->method_len == 0) {
		count(env, DP_C_DROP_NOT_SIP);
		return DP_ACT_DROP;
	}
	return handle_request(env, j);
}

enum dp_action
dp_sip_too_large(const struct dp_sip_env *env, const struct dp_pkt_in *in,
		struct dp_pkt_out *out, struct dp_sip_job *j)
{
	struct sip_msg *m = &j->m;

	j->in = in;
	j->out = out;
	/* The body is cut short: BODY_SHORT with a usable header index is the usual outcome. */
	j->rc = sip_parse(m, in->payload, in->len, 0);
	if (env->scanner != NULL &&
			dp_scanner_match_raw(env->scanner, env->scan_scratch, in->payload, in->len)) {
		count(env, DP_C_DROP_SCANNER);
		return DP_ACT_DROP;
	}
	if (!(m->flags & SIP_MSG_REQUEST) || !(m->flags & SIP_MSG_START_OK) ||
			m->method_len == 0 || m->method == SIP_METHOD_ACK) {
		count(env, DP_C_DROP_TOO_LARGE);
		return DP_ACT_DROP;
	}
	count(env, DP_C_RX_REQUESTS);
	/* Sources the peer ACL refuses get nothing: a 513 would tell them more than a 403. */
	if (env->acl != NULL &&
			!dp_acl_permits(env->acl(env->acl_ctx, &in->src, in->sport),
				m->method == SIP_METHOD_REGISTER)) {
		count(env, DP_C_DROP_ACL);
		return DP_ACT_DROP;
	}
	struct sip_verdict v = {.err = -SIP_E_TOO_LARGE, .status = 513, .hdr = SIP_HDR_OTHER};
	/* Without Via, From, To, Call-ID and CSeq: drop_bad_request_silent. */
	return reply_error(env, in, m, &v, out);
}

enum dp_action
dp_sip_finish(const struct dp_sip_env *env, struct dp_sip_job *j)
{
	return apply_route(env, j->in, &j->m, &j->f, j->rs.pop_hdr ? &j->rs : NULL, &j->r,
			j->out);
}

enum dp_action
dp_sip_handle(const struct dp_sip_env *env, const struct dp_pkt_in *in, struct dp_pkt_out *out)
{
	struct dp_sip_job j;
	enum dp_action a = dp_sip_begin(env, in, out, &j);

	if (a != DP_ACT_ROUTE)
		return a;
	if (env->route != NULL && env->route(env->route_ctx, &j) < 0)
		j.r.kind = DP_ROUTE_NONE;
	return dp_sip_finish(env, &j);
}

enum dp_action
dp_sip_overload(const struct dp_sip_env *env, const struct dp_pkt_in *in, struct dp_pkt_out *out,
		struct dp_sip_job *j, struct sip_str retry_after)
{
	struct sip_msg *m = &j->m;
	struct sip_verdict v;

	j->rc = sip_parse(m, in->payload, in->len, 0);
	/* Only requests we would have answered, from sources the ACL allows. */
	bool answer = j->rc >= 0 && (m->flags & SIP_MSG_REQUEST) && m->method_len != 0 &&
			m->method != SIP_METHOD_ACK && env->acl != NULL;
	if (answer && env->scanner != NULL &&
			dp_scanner_match_msg(env->scanner, env->scan_scratch, m)) {
		count(env, DP_C_DROP_SCANNER);
		return DP_ACT_DROP;
	}
	if (answer)
		answer = sip_inspect(m, j->rc, 0, &v, &j->f) == 0 &&
				dp_acl_permits(env->acl(env->acl_ctx, &in->src, in->sport),
						m->method == SIP_METHOD_REGISTER);
	if (!answer) {
		count(env, DP_C_DROP_OVERLOAD);
		return DP_ACT_DROP;
	}
	return reply(env, in, m, &j->f, &(struct reply){.act = DP_C_ACT_OVERLOAD_REPLY,
		.code = 503, .extra = retry_after}, out);
}
