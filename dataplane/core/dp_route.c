/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_route.h"

#include <string.h>

#include "sip_build.h"
#include "sip_hash.h"
#include "sip_hdr.h"
#include "sip_scan.h"

struct rules_view
dp_uri_user(struct sip_str uri)
{
	const char *colon = memchr(uri.p, ':', uri.len);
	struct rules_view v = {NULL, 0};

	if (colon == NULL)
		return v;
	const char *p = colon + 1, *end = uri.p + uri.len;
	const char *at;
	if (colon - uri.p == 3 && (uri.p[0] | 0x20) == 't' && (uri.p[1] | 0x20) == 'e' &&
			(uri.p[2] | 0x20) == 'l') {
		/* tel:+4930...;params: the number is the user */
		at = memchr(p, ';', (size_t)(end - p));
		if (at == NULL)
			at = end;
	} else {
		/* '@' is allowed only in userinfo (RFC 3261 §25.1): none, no user part. */
		at = memchr(p, '@', (size_t)(end - p));
		if (at == NULL)
			return v;
	}
	v.p = p;
	v.len = (uint32_t)(at - p);
	return v;
}

static inline struct sip_str
view(struct rules_view v)
{
	return sip_str_make(v.p, v.len);
}

struct sip_str
dp_gateway_ruri(char *buf, size_t cap, struct rules_view user, const struct sip_addr *nh,
		uint16_t port)
{
	char host[48];
	size_t hl = sip_addr_format(nh, host, sizeof(host));
	size_t need = 4 + user.len + 1 + hl + 2 + 6;
	size_t n = 0;

	if (hl == 0 || need > cap)
		return SIP_STR_NULL;
	memcpy(buf, "sip:", 4);
	n = 4;
	if (user.len) {
		memcpy(buf + n, user.p, user.len);
		n += user.len;
		buf[n++] = '@';
	}
	if (nh->af == SIP_AF_INET6)
		buf[n++] = '[';
	memcpy(buf + n, host, hl);
	n += hl;
	if (nh->af == SIP_AF_INET6)
		buf[n++] = ']';
	if (port != 5060) {
		buf[n++] = ':';
		n += sip_fmt_u32(buf + n, port);
	}
	return sip_str_make(buf, n);
}

/* A forward we cannot serve from the fast path. */
static void
unavailable(struct dp_route *r, uint16_t code, const char *reason)
{
	r->kind = DP_ROUTE_UNAVAILABLE;
	r->code = code;
	r->reason = sip_str_make(reason, strlen(reason));
}

bool
dp_route_location(const struct dp_loc *loc, const struct dp_query *q, uint64_t now,
		struct dp_route *r)
{
	const struct dp_binding *b = loc != NULL ?
		dp_loc_lookup(loc, q->ruri_user, q->ruri_host, now) : NULL;

	if (b == NULL)
		return false;
	/*
	 * A contact registered over TCP/TLS is forwarded like any other: its
	 * connection is the control plane's, so dp_sip_finish() bridges it
	 * (or answers 503 when no control plane is attached).
	 */
	r->kind = DP_ROUTE_FORWARD;
	r->from_location = true;
	r->nh = b->nh;
	r->nh_port = b->port;
	r->nh_transport = b->transport ? b->transport : SIP_TP_UDP;
	r->ruri = sip_str_make(b->contact, b->contact_len);
	if (b->path_len != 0) {
		/* RFC 3327: the registered Path becomes the request's Route set, in order. */
		size_t n = 0;
		memcpy(r->text, "Route: ", 7);
		n = 7;
		memcpy(r->text + n, b->path, b->path_len);
		n += b->path_len;
		memcpy(r->text + n, "\r\n", 2);
		n += 2;
		r->extra = sip_str_make(r->text, n);
	}
	return true;
}

void
dp_rules_query(const struct dp_query *q, uint32_t fields, struct rules_query *rq)
{
	static const struct rules_view none = {NULL, 0};

	/* Member by member: a compound literal clears all 112 bytes first (`rep stosq`). */
	rq->user = (struct rules_view){q->ruri_user.p, q->ruri_user.len};
	rq->domain = (struct rules_view){q->ruri_host.p, q->ruri_host.len};
	rq->from = fields & 1u << RULES_F_FROM ? dp_uri_user(q->from_uri) : none;
	rq->to = fields & 1u << RULES_F_TO ? dp_uri_user(q->to_uri) : none;
	rq->method = (struct rules_view){q->method.p, q->method.len};
	rq->src_af = q->src->af;
	memcpy(rq->src, q->src->a, sizeof(rq->src));
	rq->callid_hash = q->callid_hash;
}

/* sip:USER@NAME[:PORT]: a gateway named by host keeps its name in the Request-URI. */
static struct sip_str
name_ruri(char *buf, size_t cap, struct rules_view user, struct rules_view host, uint16_t port)
{
	size_t n = 0;

	if (4 + user.len + 1 + host.len + 6 > cap)
		return SIP_STR_NULL;
	memcpy(buf, "sip:", 4);
	n = 4;
	if (user.len) {
		memcpy(buf + n, user.p, user.len);
		n += user.len;
		buf[n++] = '@';
	}
	memcpy(buf + n, host.p, host.len);
	n += host.len;
	if (port != 5060) {
		buf[n++] = ':';
		n += sip_fmt_u32(buf + n, port);
	}
	return sip_str_make(buf, n);
}

void
dp_route_from_result(const struct rules_result *res, const struct dp_names *names,
		uint64_t callid_hash, struct dp_route *r, char *buf, size_t cap)
{
	r->rule = res->rule;
	r->extra = view(res->headers);

	switch (res->action) {
	case RULES_ACT_REDIRECT:
		r->kind = DP_ROUTE_REDIRECT;
		r->code = res->code;
		r->n_contacts = res->n_contacts < DP_MAX_CONTACTS ? res->n_contacts :
			DP_MAX_CONTACTS;
		for (unsigned i = 0; i < r->n_contacts; i++)
			r->contacts[i] = view(res->contact[i]);
		return;
	case RULES_ACT_REJECT:
		r->kind = DP_ROUTE_REJECT;
		r->code = res->code;
		r->reason = view(res->reason);
		return;
	case RULES_ACT_DROP:
		r->kind = DP_ROUTE_DROP;
		return;
	case RULES_ACT_FORWARD:
		break;
	case RULES_ACT_NONE:
	case RULES_ACT_PASS:
	default:
		r->kind = DP_ROUTE_NONE;
		return;
	}

	/* Forward: a gateway chosen by Call-ID hash among those up. */
	if (res->gw < 0) {
		unavailable(r, 503, "All Gateways Down");
		return;
	}
	/*
	 * TCP/TLS next hops are the control plane's (kernel sockets): the
	 * route names them; dp_sip_finish() bridges or answers 503.
	 */
	uint8_t tp = res->gw_transport == RULES_TP_TCP ? SIP_TP_TCP :
		res->gw_transport == RULES_TP_TLS ? SIP_TP_TLS : SIP_TP_UDP;
	if (tp == SIP_TP_TLS)
		r->tls_name = view(res->gw_host);
	if (res->gw_ipv4 != NULL) {
		/* A dotted quad the plan already read: its text is the Request-URI's host. */
		r->kind = DP_ROUTE_FORWARD;
		r->nh = (struct sip_addr){.af = SIP_AF_INET};
		memcpy(r->nh.a, res->gw_ipv4, 4);
		r->nh_port = res->gw_port;
		r->nh_transport = tp;
		r->ruri = name_ruri(buf, cap, res->user, res->gw_host, res->gw_port);
		return;
	}
	if (sip_addr_parse(view(res->gw_host), &r->nh) != 0) {
		/* A name: the addresses the control plane resolved for it (dp_names.h). */
		const struct dp_name *n = dp_names_find(names, res->gw_host.p, res->gw_host.len,
				res->gw_port, res->gw_transport);
		/* Another mix of the hash than the group's choice: targets spread too. */
		const struct dp_name_target *t = n == NULL ? NULL : dp_names_pick(names, n,
				(callid_hash ^ (callid_hash >> 29)) * 0x9e3779b97f4a7c15ull >> 16);
		if (t == NULL) {
			unavailable(r, 503, n == NULL || n->count == 0 ? "Gateway Not Resolved" :
					"All Gateway Targets Down");
			return;
		}
		r->kind = DP_ROUTE_FORWARD;
		r->nh = t->addr;
		r->nh_port = t->port;
		r->nh_transport = tp;
		r->ruri = name_ruri(buf, cap, res->user, res->gw_host, res->gw_port);
		return;
	}
	r->kind = DP_ROUTE_FORWARD;
	r->nh_port = res->gw_port;
	r->nh_transport = tp;
	r->ruri = dp_gateway_ruri(buf, cap, res->user, &r->nh, res->gw_port);
}

void
dp_route_burst(const struct dp_router *rt, struct dp_route_scratch *s, uint64_t now,
		struct dp_sip_job **jobs, unsigned n)
{
	const struct rules_inst *inst = rt->rules != NULL ? rules_swap_current(rt->rules) : NULL;
	const struct dp_names *names = dp_names_current(rt->names);
	/* The From and To users are looked for only when some rule reads them. */
	uint32_t fields = inst != NULL ? rules_plan_fields_read(rules_inst_plan(inst)) : 0;
	unsigned k = 0;

	/* Bindings first; the rest goes to the dialplan in one burst. */
	for (unsigned i = 0; i < n; i++) {
		if (dp_route_location(rt->loc, &jobs[i]->q, now, &jobs[i]->r))
			continue;
		if (inst != NULL) {
			dp_rules_query(&jobs[i]->q, fields, &s->rq[k]);
			s->job[k++] = jobs[i];
		}
	}
	if (k == 0)
		return;
	/*
	 * One call for the whole burst: the engine prefetches the next queries'
	 * table lines while it works on the current one, so the cache misses of
	 * a large plan overlap instead of adding up.
	 */
	rules_inst_match_burst(inst, s->tid, s->rq, k, s->rr, s->buf[0], sizeof(s->buf[0]));
	for (unsigned i = 0; i < k; i++) {
		struct dp_route *r = &s->job[i]->r;
		if (s->rr[i].err < 0)
			continue; /* no route: the default reply */
		dp_route_from_result(&s->rr[i], names, s->job[i]->q.callid_hash, r, r->text,
				sizeof(r->text));
	}
}

uint64_t
dp_callid_peek(const char *p, uint32_t len)
{
	struct sip_line lines[SIP_MAX_HDRS + 1];
	uint32_t body;
	int n = sip_scan_active_fn(p, 0, len, lines, SIP_MAX_HDRS + 1, &body);

	for (int i = 1; i < n; i++) {
		const struct sip_line *l = &lines[i];
		if (l->colon == SIP_SCAN_NO_COLON)
			continue;
		if (sip_hdr_lookup(p + l->start, (size_t)(l->colon - l->start), p + len) !=
				SIP_HDR_CALL_ID)
			continue;
		const char *v = p + l->colon + 1, *e = p + l->lf;
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		return sip_callid_hash(sip_str_span(v, e));
	}
	return 0;
}
