/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' route callback: location bindings (pushed by the control
 * plane) first, then the dialplan (rules engine, current instance under
 * RCU). Runs per packet: no allocation, no locks, no system calls.
 */
#include <string.h>

#include "dp_app.h"

/* Coarse wall clock in seconds, written by the main lcore once per loop. */
uint64_t dp_now_seconds;

/* User part of a From/To URI without a full parse: between "scheme:" and '@'. */
static struct rules_view
uri_user(struct sip_str uri)
{
	const char *colon = memchr(uri.p, ':', uri.len);
	struct rules_view v = {NULL, 0};

	if (colon == NULL)
		return v;
	const char *p = colon + 1, *end = uri.p + uri.len;
	const char *at = memchr(p, '@', (size_t)(end - p));
	if (at == NULL) {
		/* tel:+4930...;params */
		const char *semi = memchr(p, ';', (size_t)(end - p));
		at = semi ? semi : end;
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

/* The Request-URI for a forward: sip:USER@HOST[:PORT] (IPv6 hosts in brackets). */
static struct sip_str
gateway_ruri(char *buf, size_t cap, struct rules_view user, const struct sip_addr *nh,
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
	}
	if (user.len)
		buf[n++] = '@';
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

/* Registered contacts win over the dialplan (an INVITE to a registered AOR). */
static bool
route_location(const struct dp_app *app, const struct dp_query *q, struct dp_route *r)
{
	uint64_t now = __atomic_load_n(&dp_now_seconds, __ATOMIC_RELAXED);
	const struct dp_binding *b = dp_loc_lookup(app->loc, q->ruri_user, q->ruri_host, now);

	if (b == NULL)
		return false;
	if (b->transport != SIP_TP_UDP) {
		/* A contact registered over TCP/TLS: its connection is the control plane's. */
		unavailable(r, 503, "Contact Transport Not In Fast Path");
		return true;
	}
	r->kind = DP_ROUTE_FORWARD;
	r->from_location = true;
	r->nh = b->nh;
	r->nh_port = b->port;
	r->nh_transport = b->transport;
	r->ruri = sip_str_make(b->contact, b->contact_len);
	return true;
}

static void
make_query(const struct dp_query *q, struct rules_query *rq)
{
	*rq = (struct rules_query){
		.user = {q->ruri_user.p, q->ruri_user.len},
		.domain = {q->ruri_host.p, q->ruri_host.len},
		.from = uri_user(q->from_uri),
		.to = uri_user(q->to_uri),
		.method = {q->method.p, q->method.len},
		.src_af = q->src->af,
		.callid_hash = q->callid_hash,
	};
	memcpy(rq->src, q->src->a, sizeof(rq->src));
}

/*
 * What the dialplan decided, as a dp_route. ruri_buf holds the gateway
 * Request-URI of a forward (views in r point into it and into the engine's
 * buffer, valid until the next burst).
 */
static void
route_from_result(const struct rules_result *res, struct dp_route *r, char *ruri_buf,
		size_t ruri_cap)
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
	if (res->gw_transport != RULES_TP_UDP) {
		/* TCP/TLS next hops are the control plane's (kernel sockets), not the fast path's. */
		unavailable(r, 503, "Gateway Transport Not In Fast Path");
		return;
	}
	if (sip_addr_parse(view(res->gw_host), &r->nh) != 0) {
		unavailable(r, 503, "Gateway Not Resolved");
		return;
	}
	r->kind = DP_ROUTE_FORWARD;
	r->nh_port = res->gw_port;
	r->nh_transport = SIP_TP_UDP;
	r->ruri = gateway_ruri(ruri_buf, ruri_cap, res->user, &r->nh, res->gw_port);
}

/* r->text: the first part for the engine's strings, the rest for our Request-URI. */
enum { RULES_TEXT = sizeof(((struct dp_route *)0)->text) - 320 };

int
dp_route_lookup(void *ctx, const struct dp_query *q, struct dp_route *r)
{
	struct dp_worker *w = ctx;
	struct dp_app *app = w->app;

	if (route_location(app, q, r))
		return 0;
	const struct rules_inst *inst = rules_swap_current(app->rules);
	if (inst == NULL)
		return 0;

	struct rules_query rq;
	struct rules_result res;
	make_query(q, &rq);
	int rc = rules_inst_match(inst, w->id, &rq, &res, r->text, RULES_TEXT);
	if (rc < 0)
		return rc;
	route_from_result(&res, r, r->text + RULES_TEXT, sizeof(r->text) - RULES_TEXT);
	return 0;
}

void
dp_route_burst(struct dp_worker *w, struct dp_sip_job **jobs, unsigned n)
{
	struct dp_app *app = w->app;
	const struct rules_inst *inst = rules_swap_current(app->rules);
	unsigned k = 0;

	/* Bindings first; the rest goes to the dialplan in one burst. */
	for (unsigned i = 0; i < n; i++) {
		if (route_location(app, &jobs[i]->q, &jobs[i]->r))
			continue;
		if (inst != NULL) {
			make_query(&jobs[i]->q, &w->rq[k]);
			w->rq_job[k++] = jobs[i];
		}
	}
	if (k == 0)
		return;
	/*
	 * One call for the whole burst: the engine prefetches the next queries'
	 * table lines while it works on the current one, so the cache misses of
	 * a large plan overlap instead of adding up.
	 */
	rules_inst_match_burst(inst, w->id, w->rq, k, w->rr, w->rbuf[0], sizeof(w->rbuf[0]));
	for (unsigned i = 0; i < k; i++) {
		struct dp_route *r = &w->rq_job[i]->r;
		if (w->rr[i].err < 0)
			continue; /* no route: the default reply */
		route_from_result(&w->rr[i], r, r->text, sizeof(r->text));
	}
}
