/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar in the daemon: its UDP socket on the router's kernel side
 * (REGISTER reaches the kernel through the dataplane's exception path:
 * dp_sip.c hands every REGISTER to the tap), the group-commit, expiry
 * and nonce-rotation timers, the pushes of best bindings to every
 * dataplane (LOC_SET / LOC_DEL, and all of them during a re-sync), and
 * the subscribers.* and location.* methods.
 *
 * The registrar has its own SQLite connection to the store: its batch
 * holds a write transaction for up to store_batch, and other writers
 * (dialplan pushes, subscribers.add) wait for it (busy timeout) instead
 * of finding a transaction of someone else's open on their connection.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cp_app.h"
#include "cp_loop.h"
#include "cp_metrics.h"
#include "cp_registrar.h"
#include "cp_route.h"
#include "cp_rpc.h"
#include "cp_sipsock.h"
#include "cp_store.h"
#include "cp_subscribers.h"
#include "sip.h"

struct cp_regsrv {
	struct cp_app *app;
	struct cp_store *st;        /* the registrar's own connection */
	struct cp_reg *reg;
	struct cp_sipsock *sock;    /* NULL: no registrar socket */
	uint64_t flush_timer, expire_timer, rotate_timer;
};

static int
reg_conf(const struct cp_config *c, struct cp_reg_conf *rc, char *err, size_t errlen)
{
	cp_reg_conf_defaults(rc);
	snprintf(rc->domains, sizeof(rc->domains), "%s", c->reg_domains);
	rc->auth = c->reg_auth;
	if (cp_digest_algs_parse(c->reg_algorithms, &rc->authc.algs) != 0) {
		snprintf(err, errlen, "reg_algorithms: '%s': a list of sha-512-256, sha-256, md5",
				c->reg_algorithms);
		return -EINVAL;
	}
	rc->authc.nonce_lifetime = (uint32_t)(c->nonce_lifetime_ms / 1000);
	rc->nonce_rotate_s = (uint32_t)(c->nonce_rotate_ms / 1000);
	if (rc->nonce_rotate_s <= rc->authc.nonce_lifetime) {
		snprintf(err, errlen,
			"nonce_rotate (%u s) must be longer than nonce_lifetime (%u s): "
			"a nonce must outlive at most one rotation",
			rc->nonce_rotate_s, rc->authc.nonce_lifetime);
		return -EINVAL;
	}
	rc->nonce_window = c->nonce_window;
	rc->default_expires = c->reg_default_expires;
	rc->min_expires = c->reg_min_expires;
	rc->max_expires = c->reg_max_expires;
	if (rc->min_expires > rc->max_expires) {
		snprintf(err, errlen, "reg_min_expires is above reg_max_expires");
		return -EINVAL;
	}
	rc->max_contacts = c->reg_max_contacts;
	if (strcmp(c->reg_overflow, "evict") == 0) {
		rc->evict_oldest = true;
	} else if (strcmp(c->reg_overflow, "reject") != 0) {
		snprintf(err, errlen, "reg_overflow: '%s' is not reject or evict", c->reg_overflow);
		return -EINVAL;
	}
	rc->retrans_window_s = (uint32_t)(c->reg_retrans_window_ms / 1000);
	rc->flow_timer = c->reg_flow_timer;
	rc->amplification = c->reg_amplification;
	return 0;
}

int
cp_regsrv_check(const struct cp_config *c, char *err, size_t errlen)
{
	struct cp_reg_conf rc;
	return reg_conf(c, &rc, err, errlen);
}

/* ---- pushes to the dataplanes ---- */

static void
on_ignore(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	(void)dp;
	(void)rx;
	(void)arg;
}

/* A LOC_SET frame: the fixed part, then the binding's Path (link/sl_link.h), if any. */
struct loc_frame {
	struct sl_loc_set ls;
	struct sl_loc_path lp;
	char path[SL_LOC_PATH_MAX];
};
_Static_assert(offsetof(struct loc_frame, lp) == sizeof(struct sl_loc_set), "Path tail follows");
_Static_assert(CP_REG_PATH_MAX <= SL_LOC_PATH_MAX + 1, "a stored Path fits the tail");

static void
loc_set_of(const char *aor, const struct cp_binding *b, struct sl_loc_set *ls)
{
	memset(ls, 0, sizeof(*ls));
	snprintf(ls->aor, sizeof(ls->aor), "%s", aor);
	snprintf(ls->contact, sizeof(ls->contact), "%s", b->contact);
	ls->af = b->src.af == SIP_AF_INET6 ? 6 : 4;
	memcpy(ls->addr, b->src.a, sizeof(ls->addr));
	ls->port = b->sport;
	ls->transport = b->transport;
	ls->expires = (uint64_t)b->expires;
}

/* The frame's length. */
static uint32_t
loc_frame_of(const char *aor, const struct cp_binding *b, struct loc_frame *f)
{
	size_t pl = strnlen(b->path, sizeof(b->path));

	loc_set_of(aor, b, &f->ls);
	if (pl == 0 || pl > SL_LOC_PATH_MAX)
		return sizeof(f->ls);
	f->lp.len = (uint32_t)pl;
	memcpy(f->path, b->path, pl);
	return (uint32_t)(sizeof(f->ls) + sizeof(f->lp) + pl);
}

static void
push(void *ctx, const char *aor, const struct cp_binding *best)
{
	struct cp_regsrv *s = ctx;
	struct cp_app *app = s->app;
	struct loc_frame f;
	uint32_t flen = best != NULL ? loc_frame_of(aor, best, &f) : 0;
	/* The relay's router gets exactly what the dataplanes get (cp_route.h). */
	if (app->route != NULL) {
		if (best != NULL)
			cp_route_loc_set(app->route, &f.ls, flen);
		else
			cp_route_loc_del(app->route, aor);
	}
	for (unsigned i = 0; i < cp_dps_count(app->dps); i++) {
		struct cp_dp *dp = cp_dps_get(app->dps, i);
		enum cp_dp_state st = cp_dp_info(dp)->state;
		if (st != CP_DP_SYNC && st != CP_DP_READY)
			continue; /* it gets everything at its re-sync */
		if (best != NULL) {
			cp_dp_request(dp, SL_MSG_LOC_SET, &f, flen, -1,
				app->cfg.push_timeout_ms, on_ignore, NULL);
		} else {
			struct sl_loc_del ld;
			memset(&ld, 0, sizeof(ld));
			snprintf(ld.aor, sizeof(ld.aor), "%s", aor);
			cp_dp_request(dp, SL_MSG_LOC_DEL, &ld, sizeof(ld), -1,
				app->cfg.push_timeout_ms, on_ignore, NULL);
		}
	}
}

/*
 * The re-sync of one dataplane's bindings, paced: at most SYNC_WINDOW
 * LOC_SETs in flight (the link's write queue is bounded, and a million
 * AORs would not fit in it), the next ones sent as answers come back,
 * then done(). The AORs are a snapshot of the keys taken at the start;
 * each one's best binding is read when it is sent (an AOR gone meanwhile
 * is skipped; one registered meanwhile was pushed by push(), which marks
 * it for the sweep as well). A dropped connection abandons the sync.
 */
#define SYNC_WINDOW 256u

struct resync {
	struct cp_app *app;
	struct cp_dp *dp;
	uint64_t connects;          /* the connection the sync belongs to */
	char (*keys)[CP_REG_AOR_MAX + 1];
	unsigned n, next, inflight, sent;
	bool aborted;
	void (*done)(struct cp_app *app, struct cp_dp *dp, unsigned n);
};

struct keys_ctx {
	struct resync *rs;
	unsigned cap;
};

static void
collect(void *ctx, const char *aor, const struct cp_binding *b, unsigned n)
{
	struct keys_ctx *kc = ctx;
	(void)b;
	(void)n;
	if (kc->rs->n == kc->cap)
		return;
	snprintf(kc->rs->keys[kc->rs->n++], CP_REG_AOR_MAX + 1, "%s", aor);
}

static void resync_pump(struct resync *rs);

/* Each AOR's best binding into the relay's router, at start-up (push() does it after). */
static void
seed_route(void *ctx, const char *aor, const struct cp_binding *b, unsigned n)
{
	struct cp_regsrv *s = ctx;
	(void)b;
	(void)n;
	const struct cp_binding *best = cp_reg_best(s->reg, aor, cp_wall_s());
	if (best != NULL) {
		struct loc_frame f;
		uint32_t flen = loc_frame_of(aor, best, &f);
		cp_route_loc_set(s->app->route, &f.ls, flen);
	}
}

static void
resync_free(struct resync *rs)
{
	free(rs->keys);
	free(rs);
}

static void
on_sync_set(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	struct resync *rs = arg;
	(void)dp;
	rs->inflight--;
	if (rx == NULL)
		rs->aborted = true; /* the connection is gone: dp may be too */
	if (rs->aborted) {
		if (rs->inflight == 0)
			resync_free(rs);
		return;
	}
	resync_pump(rs);
}

static void
resync_pump(struct resync *rs)
{
	struct cp_app *app = rs->app;
	const struct cp_dp_info *in = cp_dp_info(rs->dp);
	if (in->connects != rs->connects || (in->state != CP_DP_SYNC && in->state != CP_DP_READY)) {
		rs->aborted = true;
		if (rs->inflight == 0)
			resync_free(rs);
		return;
	}
	int64_t now = cp_wall_s();
	while (rs->inflight < SYNC_WINDOW && rs->next < rs->n) {
		const char *aor = rs->keys[rs->next++];
		const struct cp_binding *best = app->reg && app->reg->reg ?
			cp_reg_best(app->reg->reg, aor, now) : NULL;
		if (best == NULL)
			continue;
		struct loc_frame f;
		uint32_t flen = loc_frame_of(aor, best, &f);
		if (cp_dp_request(rs->dp, SL_MSG_LOC_SET, &f, flen, -1,
				app->cfg.push_timeout_ms, on_sync_set, rs) != 0) {
			rs->next--; /* the queue is full: retried when an answer comes */
			if (rs->inflight == 0) {
				cp_dp_fail(rs->dp, "cannot queue the binding re-sync");
				rs->aborted = true;
				resync_free(rs);
			}
			return;
		}
		rs->inflight++;
		rs->sent++;
	}
	if (rs->next == rs->n && rs->inflight == 0) {
		rs->done(app, rs->dp, rs->sent);
		resync_free(rs);
	}
}

void
cp_regsrv_sync(struct cp_app *app, struct cp_dp *dp,
		void (*done)(struct cp_app *app, struct cp_dp *dp, unsigned n))
{
	struct cp_regsrv *s = app->reg;
	unsigned n = s && s->reg ? cp_reg_aors(s->reg) : 0;
	struct resync *rs = calloc(1, sizeof(*rs));
	if (rs != NULL && n > 0)
		rs->keys = calloc(n, sizeof(*rs->keys));
	if (rs == NULL || (n > 0 && rs->keys == NULL)) {
		free(rs);
		cp_log("dataplane %s: binding re-sync: out of memory", cp_dp_info(dp)->path);
		cp_dp_fail(dp, "out of memory for the binding re-sync");
		return;
	}
	rs->app = app;
	rs->dp = dp;
	rs->connects = cp_dp_info(dp)->connects;
	rs->done = done;
	if (n > 0) {
		struct keys_ctx kc = {.rs = rs, .cap = n};
		cp_reg_foreach(s->reg, collect, &kc);
	}
	resync_pump(rs);
}

static const char *const reg_help[] = {
#define CP_REG_HELP(n, h) h,
	CP_REG_COUNTERS(CP_REG_HELP)
#undef CP_REG_HELP
};

void
cp_regsrv_metrics(struct cp_app *app, struct cp_prom *p)
{
	struct cp_regsrv *s = app->reg;
	if (s == NULL || s->reg == NULL)
		return;
	const uint64_t *c = cp_reg_counters(s->reg);
	for (int i = 0; i < CP_REG_C__COUNT; i++)
		cp_prom_counter(p, cp_reg_counter_name(i), reg_help[i], c[i]);
	cp_prom_family(p, "sipline_control_registered_aors", "gauge",
			"addresses-of-record with at least one binding");
	cp_prom_u64(p, NULL, cp_reg_aors(s->reg));
}

/* ---- the socket ---- */

static void
send_to(void *ctx, const char *buf, size_t len, const struct sip_addr *dst, uint16_t port)
{
	struct cp_regsrv *s = ctx;
	if (s->sock != NULL)
		(void)cp_sipsock_send(s->sock, buf, len, dst, port);
}

static int64_t
on_flush(struct cp_loop *l, void *ctx)
{
	struct cp_regsrv *s = ctx;
	(void)l;
	s->flush_timer = 0;
	if (cp_reg_flush(s->reg) < 0)
		cp_log("registrar: store commit failed (%s): the batch was answered 500",
				cp_store_errmsg(s->st));
	return -1;
}

static void
after_input(struct cp_regsrv *s)
{
	if (cp_reg_pending(s->reg) == 0)
		return;
	uint64_t ms = s->app->cfg.store_batch_ms;
	if (ms == 0) {
		on_flush(s->app->loop, s);
		return;
	}
	if (s->flush_timer == 0)
		s->flush_timer = cp_timer_add(s->app->loop, (int64_t)ms, on_flush, s);
	if (s->flush_timer == 0)
		on_flush(s->app->loop, s);
}

static void
on_register(void *ctx, const char *buf, size_t len, const struct sip_addr *src, uint16_t sport)
{
	struct cp_regsrv *s = ctx;
	cp_reg_input(s->reg, buf, len, src, sport, cp_wall_s());
}

static void
on_batch(void *ctx)
{
	after_input(ctx);
}

static int64_t
on_expire(struct cp_loop *l, void *ctx)
{
	struct cp_regsrv *s = ctx;
	(void)l;
	cp_reg_expire(s->reg, cp_wall_s());
	after_input(s);
	return 1000;
}

static int64_t
on_rotate(struct cp_loop *l, void *ctx)
{
	struct cp_regsrv *s = ctx;
	(void)l;
	if (cp_reg_rotate(s->reg, cp_wall_s()) != 0)
		cp_log("registrar: nonce key rotation not stored: %s", cp_store_errmsg(s->st));
	after_input(s);
	return (int64_t)s->app->cfg.nonce_rotate_ms;
}

static int
open_socket(struct cp_regsrv *s, const char *spec, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	struct sip_addr a;
	if (colon == NULL || colon == spec) {
		snprintf(err, errlen, "registrar: '%s' is not ADDR:PORT", spec);
		return -EINVAL;
	}
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	size_t hl = (size_t)(colon - spec);
	if (*end != '\0' || port == 0 || port > 65535 || hl >= sizeof(host)) {
		snprintf(err, errlen, "registrar: '%s' is not ADDR:PORT", spec);
		return -EINVAL;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	char *h = host;
	if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
		h[hl - 1] = '\0';
		h++;
	}
	if (sip_addr_parse(sip_str_make(h, strlen(h)), &a) != 0) {
		snprintf(err, errlen, "registrar: '%s' is not an IP address", h);
		return -EINVAL;
	}
	/* Shared with the relay when it listens on the same address (cp_sipsock.h). */
	char why[200];
	s->sock = cp_sipsock_get(s->app->loop, &a, (uint16_t)port, why, sizeof(why));
	if (s->sock == NULL) {
		snprintf(err, errlen, "registrar: %s", why);
		return -EADDRINUSE;
	}
	cp_sipsock_handle(s->sock, CP_SIPSOCK_REGISTER, on_register, on_batch, s);
	return 0;
}

/* ---- location.* ---- */

static json_t *
binding_json(const char *aor, const struct cp_binding *b, int64_t now, bool best)
{
	char src[64];
	size_t n = sip_addr_format(&b->src, src, sizeof(src));
	src[n < sizeof(src) ? n : 0] = '\0';
	/*
	 * What the client registered is quoted as valid UTF-8 (cp_rpc_string()):
	 * SIP lets a Call-ID or a Contact carry any byte above 0x7f, and a
	 * binding jansson refused would vanish from location.list.
	 */
	json_t *o = json_pack("{s:o, s:o, s:I, s:s, s:i, s:o, s:I, s:b}", "aor",
		cp_rpc_string(aor), "contact", cp_rpc_string(b->contact), "expires",
		(json_int_t)(b->expires - now), "source", src, "port", b->sport, "call_id",
		cp_rpc_string(b->callid), "cseq", (json_int_t)b->cseq, "best", best);
	if (b->q >= 0)
		json_object_set_new(o, "q", json_real(b->q / 1000.0));
	if (b->path[0])
		json_object_set_new(o, "path", cp_rpc_string(b->path));
	if (b->instance[0])
		json_object_set_new(o, "instance", cp_rpc_string(b->instance));
	if (b->reg_id)
		json_object_set_new(o, "reg_id", json_integer(b->reg_id));
	json_object_set_new(o, "transport", json_string(b->transport == SIP_TP_TCP ? "tcp" :
		b->transport == SIP_TP_TLS ? "tls" : "udp"));
	if (b->conn)
		json_object_set_new(o, "connection", json_integer((json_int_t)b->conn));
	return o;
}

struct list_ctx {
	json_t *all;
	int64_t now;
	const struct cp_reg *reg;
};

static void
list_one(void *ctx, const char *aor, const struct cp_binding *b, unsigned n)
{
	struct list_ctx *lc = ctx;
	const struct cp_binding *best = cp_reg_best(lc->reg, aor, lc->now);
	for (unsigned i = 0; i < n; i++)
		if (b[i].expires > lc->now)
			json_array_append_new(
				lc->all, binding_json(aor, &b[i], lc->now, &b[i] == best));
}

static int
cmp_aor(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "aor")),
			json_string_value(json_object_get(y, "aor")));
	return c ? c : strcmp(json_string_value(json_object_get(x, "contact")),
			json_string_value(json_object_get(y, "contact")));
}

static void
m_loc_list(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_regsrv *s = ctx;
	uint64_t cursor;
	size_t limit;
	if (cp_rpc_page_args(req, params, &cursor, &limit) != 0)
		return;
	struct list_ctx lc = {.all = json_array(), .now = cp_wall_s(), .reg = s->reg};
	cp_reg_foreach(s->reg, list_one, &lc);
	/* A stable order for paging. */
	cp_rpc_result(req, cp_rpc_page(cp_rpc_sorted(lc.all, cmp_aor), cursor, limit));
}

static void
m_loc_lookup(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_regsrv *s = ctx;
	const char *aor = cp_rpc_str(params, "aor", "");
	int64_t now = cp_wall_s();
	const struct cp_binding *best = cp_reg_best(s->reg, aor, now);
	if (best == NULL) {
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, "no live binding for %s (the key is "
				"user@domain, domain in lower case)", aor);
		return;
	}
	unsigned n;
	const struct cp_binding *b = cp_reg_bindings(s->reg, aor, &n);
	json_t *all = json_array();
	for (unsigned i = 0; i < n; i++)
		if (b[i].expires > now)
			json_array_append_new(all, binding_json(aor, &b[i], now, &b[i] == best));
	cp_rpc_result(req, json_pack("{s:s, s:o, s:o}", "aor", aor, "best",
			binding_json(aor, best, now, true), "bindings", all));
}

static void
m_loc_remove(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_regsrv *s = ctx;
	const char *aor = cp_rpc_str(params, "aor", "");
	int rc = cp_reg_remove(s->reg, aor);
	if (rc == -ENOENT)
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, "no binding for %s", aor);
	else if (rc != 0)
		cp_rpc_errorf(req, CP_RPC_STORE_ERROR, NULL, "store: %s", cp_store_errmsg(s->st));
	else
		cp_rpc_result(req, json_pack("{s:b}", "removed", 1));
}

static void
m_reg_stats(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_regsrv *s = ctx;
	(void)params;
	json_t *o = json_object();
	const uint64_t *c = cp_reg_counters(s->reg);
	for (int i = 0; i < CP_REG_C__COUNT; i++) {
		char name[48];
		const char *n = cp_reg_counter_name(i);
		size_t k;
		for (k = 0; n[k] && k < sizeof(name) - 1; k++)
			name[k] = (char)(n[k] >= 'A' && n[k] <= 'Z' ? n[k] + 32 : n[k]);
		name[k] = '\0';
		json_object_set_new(o, name, json_integer((json_int_t)c[i]));
	}
	json_object_set_new(o, "aors", json_integer(cp_reg_aors(s->reg)));
	json_object_set_new(o, "listening", json_boolean(s->sock != NULL));
	cp_rpc_result(req, o);
}

static const struct cp_rpc_param p_list[] = {
	CP_RPC_PAGE_PARAMS,
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_param p_aor[] = {
	{"aor", CP_T_STRING, true, "user@domain (domain in lower case, as the dataplane keys it)"},
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_method methods[] = {
	{"location.list", "live bindings of every AOR (paged, by AOR)", p_list, false, m_loc_list},
	{"location.lookup", "the bindings of one AOR and the one pushed to the dataplanes", p_aor,
		false, m_loc_lookup},
	{"location.remove", "remove every binding of an AOR (committed, pushed)", p_aor, true,
		m_loc_remove},
	{"location.stats", "registrar counters", NULL, false, m_reg_stats},
};

/* ---- for the stream front end (cp_streamsrv.c) ---- */

struct cp_reg *
cp_regsrv_reg(struct cp_app *app)
{
	return app->reg != NULL ? app->reg->reg : NULL;
}

void
cp_regsrv_kick(struct cp_app *app)
{
	if (app->reg != NULL && app->reg->reg != NULL)
		after_input(app->reg);
}

/* ---- life cycle ---- */

int
cp_regsrv_start(struct cp_app *app, char *err, size_t errlen)
{
	struct cp_reg_conf rc;
	struct cp_regsrv *s;
	if (reg_conf(&app->cfg, &rc, err, errlen) != 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->app = app;
	app->reg = s;
	if (cp_sub_init(app->store) != 0 ||
			cp_sub_methods_register(app->rpc, app->store) != 0) {
		snprintf(err, errlen, "subscribers: %s", cp_store_errmsg(app->store));
		return -EIO;
	}
	s->st = cp_store_open(app->cfg.store, err, errlen);
	if (s->st == NULL)
		return -EIO;
	s->reg = cp_reg_create(&rc, s->st, cp_wall_s(), err, errlen);
	if (s->reg == NULL)
		return -EIO;
	cp_reg_set_io(s->reg, send_to, push, s);
	/* The relay's router starts with the stored registrations' best bindings. */
	if (app->route != NULL)
		cp_reg_foreach(s->reg, seed_route, s);
	if (cp_rpc_register(app->rpc, methods, sizeof(methods) / sizeof(methods[0]), s) != 0) {
		snprintf(err, errlen, "cannot register the location methods");
		return -EEXIST;
	}
	s->expire_timer = cp_timer_add(app->loop, 1000, on_expire, s);
	s->rotate_timer = cp_timer_add(app->loop, (int64_t)app->cfg.nonce_rotate_ms, on_rotate, s);
	if (strcmp(app->cfg.registrar, "off") != 0 && app->cfg.registrar[0] != '\0') {
		int e = open_socket(s, app->cfg.registrar, err, errlen);
		if (e != 0)
			return e;
		cp_log("registrar: listening on udp %s, %u AOR(s) loaded", app->cfg.registrar,
				cp_reg_aors(s->reg));
	}
	return 0;
}

void
cp_regsrv_reconf(struct cp_app *app)
{
	struct cp_regsrv *s = app->reg;
	struct cp_reg_conf rc;
	char err[256];
	if (s == NULL || s->reg == NULL)
		return;
	if (reg_conf(&app->cfg, &rc, err, sizeof(err)) != 0) {
		cp_log("SIGHUP: registrar options not changed: %s", err);
		return;
	}
	cp_reg_set_conf(s->reg, &rc);
}

void
cp_regsrv_stop(struct cp_app *app)
{
	struct cp_regsrv *s = app->reg;
	if (s == NULL)
		return;
	if (s->reg != NULL)
		cp_reg_flush(s->reg); /* answers that waited for the commit go out */
	cp_sipsock_put(s->sock, CP_SIPSOCK_REGISTER);
	if (app->loop != NULL) {
		cp_timer_del(app->loop, s->flush_timer);
		cp_timer_del(app->loop, s->expire_timer);
		cp_timer_del(app->loop, s->rotate_timer);
	}
	cp_reg_free(s->reg);
	cp_store_close(s->st);
	free(s);
	app->reg = NULL;
}
