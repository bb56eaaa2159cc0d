/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * acl.* and limits.* on the control socket, wired to the app: the ACL
 * state of cp_acl.h applied to the relay and pushed to the dataplanes
 * (link ACL_PUSH, again after every HELLO), and the dataplanes' ACL and
 * per-source limit read over the link (ACL_GET, SRC_TOP_GET).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cp_acl.h"
#include "cp_app.h"
#include "cp_relay.h"
#include "cp_rpc.h"
#include "cp_store.h"

/* ---- the relay ---- */

int
cp_acl_apply_relay(struct cp_app *app, char *err, size_t errlen)
{
	if (app->relay == NULL)
		return 0;
	if (app->acl != NULL && app->acl->pushed)
		return cp_relay_set_acl_text(app->relay, app->acl->text, app->acl->text_len, err,
				errlen);
	return cp_relay_set_acl(app->relay, app->cfg.relay_acl, err, errlen);
}

/* ---- fan-out to the dataplanes ---- */

/* One call answered by every dataplane: each answer goes into per_dp, then finish. */
struct fan {
	struct cp_app *app;
	struct cp_rpc_req *req;
	json_t *result;
	json_t *per_dp;
	unsigned waiting;
	void (*finish)(struct fan *f);
};

struct fan_call {
	struct fan *f;
	json_t *(*decode)(struct fan *f, struct cp_dp *dp, const struct sl_rx *rx);
};

static void
fan_release(struct fan *f)
{
	if (--f->waiting != 0)
		return;
	if (f->finish != NULL)
		f->finish(f);
	json_object_set_new(f->result, "dataplanes", f->per_dp);
	cp_rpc_result(f->req, f->result);
	free(f);
}

static json_t *
dp_entry(struct cp_dp *dp, const char *result, const char *error)
{
	/* The path is the configuration's bytes: quoted as valid UTF-8 (cp_rpc_string()). */
	json_t *o = json_pack("{s:o, s:s}", "dataplane", cp_rpc_string(cp_dp_info(dp)->path),
			"result", result);
	if (error != NULL)
		json_object_set_new(o, "error", cp_rpc_string(error));
	return o;
}

static void
on_fan_reply(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	struct fan_call *c = arg;
	struct fan *f = c->f;
	json_t *o;
	if (rx == NULL) {
		o = dp_entry(dp, "lost", "the link dropped or the dataplane did not answer");
	} else if (rx->hdr.type == SL_MSG_RESULT) {
		const char *text;
		uint32_t tl;
		int st = cp_dp_result(rx, &text, &tl);
		if (st == -ENOTSUP) {
			o = dp_entry(dp, "unsupported", "an older dataplane: it does not know this "
					"message");
		} else if (st != 0) {
			o = dp_entry(dp, "refused", NULL);
			json_object_set_new(o, "error", tl ? cp_rpc_stringn(text, tl) :
					cp_rpc_string(strerror(-st)));
			/* decode NULL: an ACL_PUSH (the only call answered by a bare RESULT). */
			f->app->cnt[CP_C_DATAPLANE_ACL_PUSH_FAILED] += c->decode == NULL;
		} else {
			o = c->decode ? c->decode(f, dp, rx) : dp_entry(dp, "ok", NULL);
			f->app->cnt[CP_C_DATAPLANE_ACL_PUSH_OK] += c->decode == NULL;
		}
	} else {
		o = c->decode ? c->decode(f, dp, rx) : dp_entry(dp, "refused", "unexpected reply");
	}
	if (o != NULL)
		json_array_append_new(f->per_dp, o);
	free(c);
	fan_release(f);
}

/*
 * Send one request to every connected dataplane (fd: a memfd to pass, or
 * -1); answers decoded by decode (NULL: a RESULT). Completes req.
 */
static void
fan_out(struct cp_app *app, struct cp_rpc_req *req, json_t *result, uint16_t type,
		const void *payload, uint32_t len, int fd,
		json_t *(*decode)(struct fan *f, struct cp_dp *dp, const struct sl_rx *rx),
		void (*finish)(struct fan *f))
{
	struct fan *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		json_decref(result);
		cp_rpc_error(req, CP_RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	*f = (struct fan){.app = app, .req = req, .result = result, .per_dp = json_array(),
		.waiting = 1, .finish = finish};
	for (unsigned i = 0; i < cp_dps_count(app->dps); i++) {
		struct cp_dp *dp = cp_dps_get(app->dps, i);
		const struct cp_dp_info *in = cp_dp_info(dp);
		if (in->state != CP_DP_SYNC && in->state != CP_DP_READY) {
			json_array_append_new(f->per_dp, dp_entry(dp, "unavailable",
					in->last_error[0] ? in->last_error : cp_dp_state_name(in->state)));
			continue;
		}
		struct fan_call *c = malloc(sizeof(*c));
		int rc = -ENOMEM;
		if (c != NULL) {
			*c = (struct fan_call){.f = f, .decode = decode};
			rc = cp_dp_request(dp, type, payload, len, fd, app->cfg.push_timeout_ms,
					on_fan_reply, c);
		}
		if (rc != 0) {
			free(c);
			json_array_append_new(f->per_dp, dp_entry(dp, "unavailable", strerror(-rc)));
			continue;
		}
		f->waiting++;
	}
	fan_release(f);
}

/* ---- ACL_PUSH ---- */

/* The ACL_PUSH of the current state: the text (memfd in *fd) or a CLEAR (*fd -1). */
static int
acl_push_frame(const struct cp_acl *a, struct sl_acl_push *p, int *fd)
{
	memset(p, 0, sizeof(*p));
	p->version = a->version;
	*fd = -1;
	if (!a->pushed) {
		p->flags = SL_ACL_CLEAR;
		return 0;
	}
	p->size = a->text_len;
	*fd = cp_dp_memfd("sipline-acl", a->text, a->text_len);
	return *fd < 0 ? *fd : 0;
}

static void
on_resync_reply(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	struct cp_app *app = arg;
	const char *text;
	uint32_t tl;
	if (rx == NULL)
		return;
	int st = cp_dp_result(rx, &text, &tl);
	if (st == -ENOTSUP) {
		if (app->acl->pushed)
			cp_log("dataplane %s does not know ACL_PUSH (older): it keeps its --acl file, "
					"not the ACL set with acl.set", cp_dp_info(dp)->path);
		return;
	}
	app->cnt[st == 0 ? CP_C_DATAPLANE_ACL_PUSH_OK : CP_C_DATAPLANE_ACL_PUSH_FAILED]++;
	if (st != 0)
		cp_log("dataplane %s refused ACL version %llu: %.*s", cp_dp_info(dp)->path,
				(unsigned long long)app->acl->version, tl ? (int)tl : 0, text);
}

void
cp_acl_resync(struct cp_app *app, struct cp_dp *dp)
{
	struct sl_acl_push p;
	int fd;
	/*
	 * Never set: the dataplane's --acl file is the whole story. Else the
	 * text, or a CLEAR (a dataplane that kept a pushed ACL from before an
	 * acl.clear goes back to its file).
	 */
	if (app->acl == NULL || app->acl->version == 0)
		return;
	if (acl_push_frame(app->acl, &p, &fd) != 0) {
		cp_log("dataplane %s: cannot send the ACL: %s", cp_dp_info(dp)->path,
				strerror(-fd));
		return;
	}
	if (cp_dp_request(dp, SL_MSG_ACL_PUSH, &p, sizeof(p), fd, app->cfg.push_timeout_ms,
			on_resync_reply, app) != 0)
		cp_dp_fail(dp, "cannot queue the ACL push");
	if (fd >= 0)
		close(fd);
}

/* ---- methods ---- */

static json_t *
state_json(const struct cp_app *app)
{
	const struct cp_acl *a = app->acl;
	enum cp_acl_source src = a->pushed ? CP_ACL_PUSHED : app->cfg.relay_acl[0] ? CP_ACL_FILE :
		CP_ACL_NONE;
	json_t *o = json_pack("{s:s, s:I}", "source", cp_acl_source_name(src), "version",
			(json_int_t)a->version);
	if (a->pushed) {
		json_object_set_new(o, "sha256", json_string(a->sha256));
		json_object_set_new(o, "entries", json_integer(a->acl.n_entries));
		json_object_set_new(o, "default", json_string(dp_acl_verdict_name(a->acl.dflt)));
	}
	if (a->version != 0) {
		json_object_set_new(o, "created", json_integer((json_int_t)a->created));
		json_object_set_new(o, "caller", json_string(a->caller ? a->caller : ""));
	}
	if (src == CP_ACL_FILE)
		json_object_set_new(o, "file", cp_rpc_string(app->cfg.relay_acl));
	return o;
}

/* Apply the new state to the relay and push it to every dataplane; completes req. */
static void
publish(struct cp_app *app, struct cp_rpc_req *req)
{
	char why[400];
	struct sl_acl_push p;
	int fd;
	json_t *r = state_json(app);

	if (cp_acl_apply_relay(app, why, sizeof(why)) != 0) {
		/* Only the file can fail here (a pushed text compiled already). */
		cp_log("relay ACL: %s", why);
		json_object_set_new(r, "relay_error", cp_rpc_string(why)); /* quotes the file */
	}
	if (acl_push_frame(app->acl, &p, &fd) != 0) {
		json_object_set_new(r, "push_error", cp_rpc_string(strerror(-fd)));
		json_object_set_new(r, "dataplanes", json_array());
		cp_rpc_result(req, r);
		return;
	}
	fan_out(app, req, r, SL_MSG_ACL_PUSH, &p, sizeof(p), fd, NULL, NULL);
	if (fd >= 0)
		close(fd);
}

/* The i-th message of a struct dp_acl_errors, for cp_rpc_errors_json(). */
static const char *
error_msg(const void *e, unsigned i)
{
	return ((const struct dp_acl_errors *)e)->msg[i];
}

static void
m_acl_set(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	const char *text = cp_rpc_str(params, "text", "");
	size_t len = json_string_length(json_object_get(params, "text"));
	char who[64], err[300];
	static struct dp_acl_errors errs;

	if (cp_rpc_bool(params, "dry_run", false)) {
		struct dp_acl acl;
		if (dp_acl_parse_all(text, len, "acl", &acl, &errs) != 0) {
			cp_rpc_errorf(req, CP_RPC_COMPILE_ERROR,
					cp_rpc_errors_json(&errs, errs.n, errs.total, error_msg),
					"acl: %u error(s); nothing changed", errs.total);
			return;
		}
		char sha[65];
		dp_acl_sha256(text, len, sha);
		cp_rpc_result(req, json_pack("{s:b, s:I, s:s, s:s}", "changed", 0, "entries",
				(json_int_t)acl.n_entries, "default", dp_acl_verdict_name(acl.dflt),
				"sha256", sha));
		dp_acl_clear(&acl);
		return;
	}
	cp_rpc_peer_name(cp_rpc_req_peer(req), who, sizeof(who));
	int rc = cp_acl_set(app->acl, app->store, text, len, who, &errs, err, sizeof(err));
	if (rc == -EINVAL) {
		app->cnt[CP_C_ACL_REFUSED]++;
		cp_rpc_errorf(req, CP_RPC_COMPILE_ERROR,
				cp_rpc_errors_json(&errs, errs.n, errs.total, error_msg),
				"acl: %u error(s); nothing changed", errs.total);
		return;
	}
	if (rc != 0) {
		cp_rpc_errorf(req, rc == -EIO ? CP_RPC_STORE_ERROR : CP_RPC_INTERNAL_ERROR, NULL,
				"%s; nothing changed", err);
		return;
	}
	app->cnt[CP_C_ACL_SETS]++;
	cp_log("ACL version %llu set by %s: %u entries, default %s, sha256 %s",
			(unsigned long long)app->acl->version, who, app->acl->acl.n_entries,
			dp_acl_verdict_name(app->acl->acl.dflt), app->acl->sha256);
	publish(app, req);
}

static void
m_acl_clear(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	char who[64], err[300];
	(void)params;

	cp_rpc_peer_name(cp_rpc_req_peer(req), who, sizeof(who));
	int rc = cp_acl_clear(app->acl, app->store, who, err, sizeof(err));
	if (rc != 0) {
		cp_rpc_errorf(req, rc == -EIO ? CP_RPC_STORE_ERROR : CP_RPC_INTERNAL_ERROR, NULL,
				"%s; nothing changed", err);
		return;
	}
	app->cnt[CP_C_ACL_SETS]++;
	cp_log("ACL cleared by %s (version %llu): the files serve again", who,
			(unsigned long long)app->acl->version);
	publish(app, req);
}

static const char *
acl_source_link(uint8_t s)
{
	return s == SL_ACL_PUSHED ? "pushed" : s == SL_ACL_FILE ? "file" : "none";
}

static json_t *
decode_acl_state(struct fan *f, struct cp_dp *dp, const struct sl_rx *rx)
{
	struct sl_acl_state st;
	if (rx->hdr.type != SL_MSG_ACL_STATE || rx->hdr.len < sizeof(st))
		return dp_entry(dp, "refused", "unexpected reply to ACL_GET");
	memcpy(&st, sl_rx_payload(rx), sizeof(st));
	st.sha256[sizeof(st.sha256) - 1] = '\0';
	json_t *o = dp_entry(dp, "ok", NULL);
	json_object_set_new(o, "source", json_string(acl_source_link(st.source)));
	json_object_set_new(o, "version", json_integer((json_int_t)st.version));
	json_object_set_new(o, "sha256", cp_rpc_string(st.sha256)); /* the dataplane's bytes */
	json_object_set_new(o, "entries", json_integer(st.entries));
	json_object_set_new(o, "default", json_string(dp_acl_verdict_name(st.dflt)));
	const struct cp_acl *a = f->app->acl;
	/* Agrees: serves the pushed text (same SHA-256), or no pushed ACL on either side. */
	bool agrees = a->pushed ? st.source == SL_ACL_PUSHED && strcmp(st.sha256, a->sha256) == 0 :
		st.source != SL_ACL_PUSHED;
	json_object_set_new(o, "agrees", json_boolean(agrees));
	return o;
}

static json_t *
entry_json(const struct cp_acl_entry *e)
{
	char net[64];
	size_t l = sip_addr_format(&e->net, net, sizeof(net) - 8);
	snprintf(net + l, sizeof(net) - l, "/%u", e->plen);
	json_t *o = json_pack("{s:I, s:s, s:s}", "line", (json_int_t)e->line, "prefix", net,
			"verdict", dp_acl_verdict_name(e->verdict));
	if (e->port != 0)
		json_object_set_new(o, "port", json_integer(e->port));
	return o;
}

static void
m_acl_list(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	uint64_t cursor;
	size_t limit;
	struct dp_acl tmp;
	enum cp_acl_source src;
	char err[400];
	uint32_t n = 0;

	if (cp_rpc_page_args(req, params, &cursor, &limit) != 0)
		return;
	const struct dp_acl *acl = cp_acl_effective(app->acl, app->cfg.relay_acl, &tmp, &src,
			err, sizeof(err));
	json_t *r = state_json(app);
	if (acl == NULL && err[0] != '\0')
		json_object_set_new(r, "file_error", cp_rpc_string(err)); /* quotes the file */
	if (acl != NULL)
		json_object_set_new(r, "default", json_string(dp_acl_verdict_name(acl->dflt)));
	struct cp_acl_entry *es = cp_acl_entries(acl, &n);
	json_t *items = json_array();
	for (uint64_t i = cursor; i < n && i < cursor + limit; i++)
		json_array_append_new(items, entry_json(&es[i]));
	free(es);
	dp_acl_clear(&tmp);
	cp_rpc_page_set(r, items, cursor, limit, n);
	fan_out(app, req, r, SL_MSG_ACL_GET, NULL, 0, -1, decode_acl_state, NULL);
}

static void
m_acl_test(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	const char *source = cp_rpc_str(params, "source", "");
	const char *method = cp_rpc_str(params, "method", "INVITE");
	struct sip_addr a;
	uint16_t port;
	struct dp_acl tmp;
	enum cp_acl_source src;
	char err[400];
	uint32_t line = 0;

	if (cp_acl_parse_source(source, &a, &port) != 0) {
		cp_rpc_errorf(req, CP_RPC_INVALID_PARAMS, NULL, "source '%.64s': ip, ip:port or "
				"[ipv6]:port", source);
		return;
	}
	const struct dp_acl *acl = cp_acl_effective(app->acl, app->cfg.relay_acl, &tmp, &src,
			err, sizeof(err));
	if (acl == NULL && err[0] != '\0') {
		cp_rpc_errorf(req, CP_RPC_INTERNAL_ERROR, NULL, "relay_acl: %s", err);
		return;
	}
	/* The dataplane's lookup (dp_acl_lookup() with the deciding line). */
	uint8_t v = acl ? dp_acl_explain(acl, &a, port, &line) : DP_ACL_ALLOW;
	bool reg = strcasecmp(method, "REGISTER") == 0;
	bool ok = dp_acl_permits(v, reg);
	const char *what = ok ? "routed" : v == DP_ACL_DENY_DROP ? "dropped (no answer)" :
		"403 Forbidden";
	char addr[48];
	size_t al = sip_addr_format(&a, addr, sizeof(addr) - 1);
	addr[al] = '\0';
	json_t *r = json_pack("{s:s, s:i, s:s, s:s, s:b, s:s, s:s}", "source", addr, "port", port,
			"method", method, "verdict", dp_acl_verdict_name(v), "permitted", ok, "outcome",
			what, "acl_source", cp_acl_source_name(src));
	json_object_set_new(r, "line", line ? json_integer(line) : json_null());
	json_object_set_new(r, "decided_by", json_string(line == 0 ? "implicit default (allow)" :
			acl && line == acl->dflt_line ? "default" : "entry"));
	dp_acl_clear(&tmp);
	cp_rpc_result(req, r);
}

/* ---- limits ---- */

static json_t *
decode_src_top(struct fan *f, struct cp_dp *dp, const struct sl_rx *rx)
{
	struct sl_src_top h;
	(void)f;
	if (rx->hdr.type != SL_MSG_SRC_TOP || rx->hdr.len < sizeof(h))
		return dp_entry(dp, "refused", "unexpected reply to SRC_TOP_GET");
	memcpy(&h, sl_rx_payload(rx), sizeof(h));
	if (h.n > SL_SRC_TOP_MAX || rx->hdr.len < sizeof(h) + h.n * sizeof(struct sl_src_entry))
		return dp_entry(dp, "refused", "malformed SRC_TOP");
	json_t *o = dp_entry(dp, "ok", NULL);
	json_object_set_new(o, "enabled", json_boolean(h.rate != 0));
	json_object_set_new(o, "rate", json_integer(h.rate));
	json_object_set_new(o, "burst", json_integer(h.burst));
	json_object_set_new(o, "ban_s", json_integer(h.ban_s));
	json_object_set_new(o, "tracked", json_integer((json_int_t)h.tracked));
	json_object_set_new(o, "capacity", json_integer((json_int_t)h.capacity));
	json_object_set_new(o, "table_bytes", json_integer((json_int_t)h.table_bytes));
	json_t *top = json_array();
	for (uint32_t i = 0; i < h.n; i++) {
		struct sl_src_entry e;
		memcpy(&e, (const char *)sl_rx_payload(rx) + sizeof(h) + i * sizeof(e), sizeof(e));
		struct sip_addr a = {.af = e.af};
		memcpy(a.a, e.addr, sizeof(a.a));
		char addr[48];
		size_t al = sip_addr_format(&a, addr, sizeof(addr) - 1);
		addr[al] = '\0';
		json_array_append_new(top, json_pack("{s:s, s:I, s:I, s:I}", "src", addr, "drops",
				(json_int_t)e.drops, "bans", (json_int_t)e.bans, "ban_left_ms",
				(json_int_t)e.ban_left_ms));
	}
	json_object_set_new(o, "top", top);
	return o;
}

/* limits.top: the sources of every dataplane summed, most drops first, cut to n. */
static void
merge_top(struct fan *f)
{
	json_t *all = json_array();
	size_t i, j;
	json_t *d;
	int64_t n = json_integer_value(json_object_get(f->result, "n"));
	json_array_foreach(f->per_dp, i, d) {
		json_t *e;
		json_array_foreach(json_object_get(d, "top"), j, e) {
			const char *src = json_string_value(json_object_get(e, "src"));
			json_t *m = NULL, *x;
			size_t k;
			json_array_foreach(all, k, x)
				if (strcmp(json_string_value(json_object_get(x, "src")), src) == 0)
					m = x;
			if (m == NULL) {
				json_array_append_new(all, json_deep_copy(e));
				continue;
			}
			json_object_set_new(m, "drops", json_integer(json_integer_value(
					json_object_get(m, "drops")) + json_integer_value(
					json_object_get(e, "drops"))));
			json_object_set_new(m, "bans", json_integer(json_integer_value(
					json_object_get(m, "bans")) + json_integer_value(
					json_object_get(e, "bans"))));
		}
	}
	/* Insertion sort by drops (at most 64 per dataplane). */
	size_t cnt = json_array_size(all);
	json_t *sorted = json_array();
	for (size_t taken = 0; taken < cnt && (int64_t)taken < n; taken++) {
		size_t best = 0;
		json_int_t bd = -1;
		json_t *x;
		json_array_foreach(all, i, x) {
			json_int_t v = json_integer_value(json_object_get(x, "drops"));
			if (v > bd) {
				bd = v;
				best = i;
			}
		}
		json_array_append(sorted, json_array_get(all, best));
		json_array_remove(all, best);
	}
	json_decref(all);
	json_object_set_new(f->result, "top", sorted);
}

static void
m_limits_top(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	int64_t n = cp_rpc_int(params, "n", 10);
	if (n < 1 || n > (int64_t)SL_SRC_TOP_MAX) {
		cp_rpc_errorf(req, CP_RPC_INVALID_PARAMS, NULL, "n must be 1..%u", SL_SRC_TOP_MAX);
		return;
	}
	struct sl_src_top_get g = {.n = (uint32_t)n};
	fan_out(app, req, json_pack("{s:I}", "n", (json_int_t)n), SL_MSG_SRC_TOP_GET, &g,
			sizeof(g), -1, decode_src_top, merge_top);
}

/* limits.get: each dataplane's configuration and table, without the sources. */
static void
drop_tops(struct fan *f)
{
	size_t i;
	json_t *d;
	json_array_foreach(f->per_dp, i, d)
		json_object_del(d, "top");
}

static void
m_limits_get(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	struct sl_src_top_get g = {.n = 1};
	(void)params;
	fan_out(app, req, json_object(), SL_MSG_SRC_TOP_GET, &g, sizeof(g), -1, decode_src_top,
			drop_tops);
}

static const struct cp_rpc_param p_acl_set[] = {
	{"text", CP_T_STRING, true, "the ACL, as an --acl file (docs/security.md)"},
	{"dry_run", CP_T_BOOL, false, "compile only: nothing stored or pushed"},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_acl_list[] = {
	CP_RPC_PAGE_PARAMS,
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_acl_test[] = {
	{"source", CP_T_STRING, true, "ip, ip:port or [ipv6]:port (port default 5060)"},
	{"method", CP_T_STRING, false, "request method (default INVITE; REGISTER needs register)"},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_limits_top[] = {
	{"n", CP_T_INT, false, "how many sources (default 10, at most 64)"},
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_method methods[] = {
	{"acl.set", "compile, keep and push a peer ACL; it replaces the --acl/relay_acl files",
		p_acl_set, true, m_acl_set},
	{"acl.clear", "drop the ACL set with acl.set: the files serve again", NULL, true,
		m_acl_clear},
	{"acl.list", "the ACL in force (entries, paged) and each dataplane's SHA-256",
		p_acl_list, false, m_acl_list},
	{"acl.test", "the verdict the ACL gives a source, and the line that decides", p_acl_test,
		false, m_acl_test},
	{"limits.top", "sources the per-source limit dropped most, from every dataplane",
		p_limits_top, false, m_limits_top},
	{"limits.get", "each dataplane's per-source limit: rate, burst, ban, table", NULL, false,
		m_limits_get},
};

int
cp_acl_start(struct cp_app *app, char *err, size_t errlen)
{
	app->acl = calloc(1, sizeof(*app->acl));
	if (app->acl == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = cp_acl_open(app->acl, app->store, err, errlen);
	if (rc != 0)
		return rc;
	if (app->acl->pushed) {
		char why[400];
		cp_log("ACL version %llu (set %lld by %s) serves: %u entries, sha256 %s",
				(unsigned long long)app->acl->version, (long long)app->acl->created,
				app->acl->caller ? app->acl->caller : "", app->acl->acl.n_entries,
				app->acl->sha256);
		if (cp_acl_apply_relay(app, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "relay ACL: %s", why);
			return -EINVAL;
		}
	}
	return cp_rpc_register(app->rpc, methods, sizeof(methods) / sizeof(methods[0]), app);
}

void
cp_acl_stop(struct cp_app *app)
{
	if (app->acl == NULL)
		return;
	cp_acl_free(app->acl);
	free(app->acl);
	app->acl = NULL;
}
