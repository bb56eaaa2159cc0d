/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The methods of the control socket (part 1: core, dialplan, gateways,
 * stats) and the Prometheus page. Each method is the one action function
 * for its operation: siplinectl and automation call the same thing.
 * Later parts register their own tables (location.*, subscribers.*, ...)
 * with cp_rpc_register().
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cp_app.h"
#include "cp_dns.h"
#include "cp_relay.h"
#include "cp_loop.h"
#include "cp_metrics.h"
#include "cp_rpc.h"
#include "cp_store.h"
#include "rules.h"
#include "sip_hash.h"

#ifndef SIPLINE_VERSION
#define SIPLINE_VERSION "0.1.0"
#endif

static const char *const counter_names[] = {
#define CP_COUNTER_NAME(n, h) #n,
	CP_COUNTERS(CP_COUNTER_NAME)
#undef CP_COUNTER_NAME
};

static const char *const counter_help[] = {
#define CP_COUNTER_HELP(n, h) h,
	CP_COUNTERS(CP_COUNTER_HELP)
#undef CP_COUNTER_HELP
};

const char *
cp_counter_name(enum cp_counter c)
{
	static char lower[CP_C__COUNT][48];
	if ((unsigned)c >= CP_C__COUNT)
		return "?";
	if (lower[c][0] == '\0') {
		const char *s = counter_names[c];
		size_t i;
		for (i = 0; s[i] && i < sizeof(lower[c]) - 1; i++)
			lower[c][i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
		lower[c][i] = '\0';
	}
	return lower[c];
}

const char *
cp_counter_help(enum cp_counter c)
{
	return (unsigned)c < CP_C__COUNT ? counter_help[c] : "?";
}

static char *
hex_fp(const uint8_t *fp, char out[2 * SL_KEY_FP_LEN + 1])
{
	for (unsigned i = 0; i < SL_KEY_FP_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", fp[i]);
	return out;
}

/* ---- core ---- */

static void
m_version(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	(void)params;
	(void)ctx;
	cp_rpc_result(req, json_pack("{s:s, s:s, s:i, s:i}", "name", "sipline-control",
			"version", SIPLINE_VERSION, "link_version", SL_LINK_VERSION, "store_schema",
			CP_STORE_SCHEMA));
}

static void
m_uptime(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	(void)params;
	cp_rpc_result(req, json_pack("{s:I, s:I}", "started", (json_int_t)app->started,
			"uptime_s", (json_int_t)((cp_now_ms() - app->started_ms) / 1000u)));
}

static json_t *
dp_json(struct cp_app *app, const struct cp_dp_info *in)
{
	char fp[2 * SL_KEY_FP_LEN + 1];
	bool known = in->hello.plan_version != 0 || in->hello.pid != 0;
	/*
	 * The path is the configuration file's bytes, the rest what the
	 * dataplane sent on the link: quoted as valid UTF-8 (cp_rpc_string()).
	 */
	json_t *o = json_pack("{s:o, s:s, s:I, s:I}", "dataplane", cp_rpc_string(in->path),
			"state", cp_dp_state_name(in->state), "since", (json_int_t)in->since, "connects",
			(json_int_t)in->connects);
	if (known) {
		json_object_set_new(o, "name", cp_rpc_string(in->hello.name));
		json_object_set_new(o, "pid", json_integer(in->hello.pid));
		json_object_set_new(o, "plan_version", json_integer((json_int_t)in->hello.plan_version));
		json_object_set_new(o, "plan_sha256", cp_rpc_string(in->hello.plan_sha256));
		json_object_set_new(o, "lcores", json_integer(in->hello.lcores));
		json_object_set_new(o, "key_fingerprint", json_string(hex_fp(in->hello.key_fp, fp)));
		json_object_set_new(o, "key_mismatch", json_boolean(in->key_mismatch));
		json_object_set_new(o, "in_sync", json_boolean(in->state == CP_DP_READY &&
				app->cur.version != 0 && in->hello.plan_version <= app->cur.version));
	}
	if (in->last_error[0])
		json_object_set_new(o, "last_error", cp_rpc_string(in->last_error));
	return o;
}

static void
m_health(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	json_t *dps = json_array();
	unsigned n = cp_dps_count(app->dps), ready = cp_dps_ready(app->dps);
	(void)params;
	for (unsigned i = 0; i < n; i++) {
		const struct cp_dp_info *in = cp_dp_info(cp_dps_get(app->dps, i));
		json_t *o = dp_json(app, in);
		json_array_append_new(dps, o);
	}
	unsigned down = cp_probe_down_count(app->probe);
	const char *status = ready == n && n > 0 && down == 0 ? "ok" : ready > 0 ? "degraded" :
		"down";
	cp_rpc_result(req, json_pack("{s:s, s:I, s:I, s:o, s:I, s:I, s:I, s:b}", "status",
			status, "plan_version", (json_int_t)app->cur.version, "dataplanes_ready",
			(json_int_t)ready, "dataplanes", dps, "gateways",
			(json_int_t)cp_probe_count(app->probe), "gateways_down", (json_int_t)down,
			"clients", (json_int_t)(app->srv ? cp_rpcsrv_clients(app->srv) : 0),
			"probing", cp_probe_conf(app->probe)->enabled));
}

/* ---- dialplan ---- */

/*
 * Text of a push: `text` (with an optional `source` name for messages),
 * or `path`, a file under dialplan_dir read by the daemon. Returns the
 * text (malloc()ed) or NULL with req completed.
 */
static char *
push_text(struct cp_app *app, struct cp_rpc_req *req, json_t *params, size_t *len,
		char *source, size_t srccap)
{
	const char *text = cp_rpc_str(params, "text", NULL);
	const char *path = cp_rpc_str(params, "path", NULL);
	if ((text == NULL) == (path == NULL)) {
		cp_rpc_error(req, CP_RPC_INVALID_PARAMS, "give either text or path", NULL);
		return NULL;
	}
	if (text != NULL) {
		const json_t *t = json_object_get(params, "text");
		*len = json_string_length(t);
		snprintf(source, srccap, "%s", cp_rpc_str(params, "source", "text"));
		char *c = malloc(*len + 1);
		if (c == NULL) {
			cp_rpc_error(req, CP_RPC_INTERNAL_ERROR, "out of memory", NULL);
			return NULL;
		}
		memcpy(c, json_string_value(t), *len);
		c[*len] = '\0';
		return c;
	}
	/* A path: only inside dialplan_dir (the daemon runs as root; the caller may not). */
	char real[PATH_MAX], dir[PATH_MAX];
	if (realpath(path, real) == NULL) {
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (realpath(app->cfg.dialplan_dir, dir) == NULL ||
			strncmp(real, dir, strlen(dir)) != 0 || real[strlen(dir)] != '/') {
		cp_rpc_errorf(req, CP_RPC_INVALID_PARAMS, NULL, "%s: not under dialplan_dir %s "
				"(send the text instead: siplinectl does)", path, app->cfg.dialplan_dir);
		return NULL;
	}
	int fd = open(real, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
			(uint64_t)st.st_size > app->cfg.max_request) {
		cp_rpc_errorf(req, CP_RPC_INVALID_PARAMS, NULL, "%s: not a readable file of at most "
				"max_request bytes", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char *c = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (c != NULL && got < (size_t)st.st_size) {
		ssize_t r = read(fd, c + got, (size_t)st.st_size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (c == NULL) {
		cp_rpc_error(req, CP_RPC_INTERNAL_ERROR, "out of memory", NULL);
		return NULL;
	}
	c[got] = '\0';
	*len = got;
	snprintf(source, srccap, "%s", path);
	return c;
}

static void
m_validate(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	char source[256];
	size_t len;
	char *text = push_text(app, req, params, &len, source, sizeof(source));
	if (text == NULL)
		return;
	struct cp_push p = {.text = text, .len = len, .source = source, .validate = true};
	cp_plan_submit(app, &p, req);
	free(text);
}

static void
m_push(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	char source[256];
	size_t len;
	int64_t base = cp_rpc_int(params, "base_version", -1);
	if (json_object_get(params, "base_version") != NULL && base < 0) {
		cp_rpc_error(req, CP_RPC_INVALID_PARAMS, "base_version must be >= 0", NULL);
		return;
	}
	char *text = push_text(app, req, params, &len, source, sizeof(source));
	if (text == NULL)
		return;
	struct cp_push p = {.text = text, .len = len, .source = source,
		.has_base = base >= 0, .base_version = base >= 0 ? (uint64_t)base : 0,
		.dry_run = cp_rpc_bool(params, "dry_run", false),
		.note = cp_rpc_str(params, "note", NULL)};
	cp_plan_submit(app, &p, req);
	free(text);
}

static json_t *
rec_json(const struct cp_plan_rec *r)
{
	/* The source is a file name, or a client's name cut to 255 bytes: maybe in a character. */
	json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:o, s:I}", "version", (json_int_t)r->version,
			"sha256", r->sha256, "created", (json_int_t)r->created, "caller",
			r->caller ? r->caller : "", "source", cp_rpc_string(r->source ? r->source : ""),
			"rules", (json_int_t)r->rules);
	if (r->note != NULL)
		json_object_set_new(o, "note", json_string(r->note));
	return o;
}

static void
m_status(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	struct cp_plan_cur *c = &app->cur;
	json_t *dps = json_array();
	(void)params;
	for (unsigned i = 0; i < cp_dps_count(app->dps); i++)
		json_array_append_new(dps, dp_json(app, cp_dp_info(cp_dps_get(app->dps, i))));
	json_t *o = json_pack("{s:I, s:s, s:I, s:I, s:s, s:o, s:I, s:b, s:I, s:I, s:o}",
			"version", (json_int_t)c->version, "sha256", c->sha256, "created",
			(json_int_t)c->created, "age_s",
			(json_int_t)(c->created ? cp_wall_s() - c->created : 0), "caller",
			c->caller ? c->caller : "", "source", cp_rpc_string(c->source ? c->source : ""),
			"rules",
			(json_int_t)c->rules, "compiled", c->plan != NULL, "pushes_pending",
			(json_int_t)cp_plan_busy(app), "history",
			(json_int_t)cp_store_plan_count(app->store), "dataplanes", dps);
	if (c->plan != NULL) {
		struct rules_plan_info in;
		rules_plan_info(c->plan, &in);
		/* A dialplan read from a file (path) may be in any encoding. */
		json_object_set_new(o, "name", cp_rpc_string(in.name ? in.name : ""));
		json_object_set_new(o, "gateways", json_integer(in.n_gateways));
		json_object_set_new(o, "memory_bytes", json_integer((json_int_t)in.mem_bytes));
	}
	cp_rpc_result(req, o);
}

static void
m_show(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	struct cp_plan_rec r;
	int64_t v = cp_rpc_int(params, "version", 0);
	if (v < 0) {
		cp_rpc_error(req, CP_RPC_INVALID_PARAMS, "version must be >= 0", NULL);
		return;
	}
	int rc = cp_store_plan_get(app->store, (uint64_t)v, &r);
	if (rc == -ENOENT) {
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, v ? "no version %lld in the history "
				"(dialplan.history lists what is kept)" : "no dialplan pushed yet",
				(long long)v);
		return;
	}
	if (rc != 0) {
		cp_rpc_errorf(req, CP_RPC_STORE_ERROR, NULL, "%s", cp_store_errmsg(app->store));
		return;
	}
	json_t *o = rec_json(&r);
	json_object_set_new(o, "text", cp_rpc_stringn(r.text, r.text_len));
	json_object_set_new(o, "serving", json_boolean(r.version == app->cur.version));
	cp_store_plan_clear(&r);
	cp_rpc_result(req, o);
}

static void
hist_cb(const struct cp_plan_rec *r, void *ctx)
{
	json_array_append_new(ctx, rec_json(r));
}

static void
m_history(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	uint64_t cursor;
	size_t limit;
	if (cp_rpc_page_args(req, params, &cursor, &limit) != 0)
		return;
	/* The cursor is the version to continue below (versions are the order). */
	json_t *items = json_array();
	int n = cp_store_plan_list(app->store, cursor, (unsigned)limit + 1, hist_cb, items);
	if (n < 0) {
		json_decref(items);
		cp_rpc_errorf(req, CP_RPC_STORE_ERROR, NULL, "%s", cp_store_errmsg(app->store));
		return;
	}
	json_t *next = json_null();
	if ((size_t)n > limit) {
		json_t *last = json_array_get(items, limit - 1);
		char buf[24];
		snprintf(buf, sizeof(buf), "%lld",
				(long long)json_integer_value(json_object_get(last, "version")));
		next = json_string(buf);
		json_array_remove(items, limit);
	}
	cp_rpc_result(req, json_pack("{s:o, s:o, s:I, s:I}", "items", items, "next_cursor", next,
			"total", (json_int_t)cp_store_plan_count(app->store), "serving",
			(json_int_t)app->cur.version));
}

static void
m_rollback(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	struct cp_plan_rec r;
	int64_t v = cp_rpc_int(params, "version", 0);
	int64_t base = cp_rpc_int(params, "base_version", -1);
	if (v <= 0) {
		cp_rpc_error(req, CP_RPC_INVALID_PARAMS, "version must be > 0", NULL);
		return;
	}
	int rc = cp_store_plan_get(app->store, (uint64_t)v, &r);
	if (rc == -ENOENT) {
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, "no version %lld in the history",
				(long long)v);
		return;
	}
	if (rc != 0) {
		cp_rpc_errorf(req, CP_RPC_STORE_ERROR, NULL, "%s", cp_store_errmsg(app->store));
		return;
	}
	char note[64];
	snprintf(note, sizeof(note), "rollback to %lld", (long long)v);
	struct cp_push p = {.text = r.text, .len = r.text_len, .source = r.source, .note = note,
		.rollback = true, .has_base = base >= 0,
		.base_version = base >= 0 ? (uint64_t)base : 0};
	cp_plan_submit(app, &p, req);
	cp_store_plan_clear(&r);
}

static void
m_explain(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	struct rules_query q;
	if (app->cur.plan == NULL) {
		cp_rpc_error(req, CP_RPC_NOT_FOUND, app->cur.version ? "the plan is still compiling" :
				"no dialplan pushed yet", NULL);
		return;
	}
	memset(&q, 0, sizeof(q));
	const char *f[5] = {cp_rpc_str(params, "user", NULL), cp_rpc_str(params, "domain", NULL),
		cp_rpc_str(params, "from", NULL), cp_rpc_str(params, "to", NULL),
		cp_rpc_str(params, "method", "INVITE")};
	struct rules_view *v[5] = {&q.user, &q.domain, &q.from, &q.to, &q.method};
	for (unsigned i = 0; i < 5; i++)
		if (f[i] != NULL)
			*v[i] = (struct rules_view){f[i], (uint32_t)strlen(f[i])};
	const char *src = cp_rpc_str(params, "source", NULL);
	if (src != NULL && rules_addr_parse(src, &q.src_af, q.src) != 0) {
		cp_rpc_errorf(req, CP_RPC_INVALID_PARAMS, NULL, "source '%.64s' is not an IP address",
				src);
		return;
	}
	const char *cid = cp_rpc_str(params, "callid", NULL);
	if (cid != NULL)
		/* The dataplane's own hash: the same member of a group is chosen. */
		q.callid_hash = sip_callid_hash(sip_str_make(cid, strlen(cid)));
	struct rules_explain *ex = calloc(1, sizeof(*ex));
	char *text = malloc(8192);
	uint64_t *down = cp_plan_gw_bitmap(app);
	if (ex == NULL || text == NULL) {
		free(ex);
		free(text);
		free(down);
		cp_rpc_error(req, CP_RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	int rc = rules_explain(app->cur.plan, &q, down, ex, text, 8192);
	free(down);
	if (rc != 0 && rc != -ENOSPC) {
		cp_rpc_errorf(req, CP_RPC_INTERNAL_ERROR, NULL, "explain: %s", strerror(-rc));
	} else {
		const struct rules_result *r = &ex->res;
		/*
		 * The explanation quotes the plan (maybe a file in any encoding)
		 * and is cut to the buffer; a rewritten user or a contact may hold
		 * any byte (a capture taken inside a character, a registered
		 * Contact): all as valid UTF-8.
		 */
		json_t *o = json_pack("{s:I, s:s, s:o, s:o}", "plan_version",
				(json_int_t)app->cur.version, "action", rules_action_name(r->action),
				"explain", cp_rpc_stringn(text, strlen(text)), "user",
				cp_rpc_stringn(r->user.p ? r->user.p : "", r->user.p ? r->user.len : 0));
		if (r->rule != RULES_NO_RULE) {
			json_object_set_new(o, "rule", json_integer(r->rule));
			json_object_set_new(o, "line", json_integer(r->line));
			json_object_set_new(o, "priority", json_integer(r->prio));
		}
		if (r->code)
			json_object_set_new(o, "code", json_integer(r->code));
		if (r->action == RULES_ACT_FORWARD && r->gw >= 0) {
			char gw[96];
			snprintf(gw, sizeof(gw), "%.*s:%u;%s", (int)r->gw_host.len, r->gw_host.p,
					r->gw_port, rules_transport_name(r->gw_transport));
			json_object_set_new(o, "gateway", json_string(gw));
		}
		json_t *cs = json_array();
		for (unsigned i = 0; i < r->n_contacts; i++)
			json_array_append_new(cs, cp_rpc_stringn(r->contact[i].p, r->contact[i].len));
		json_object_set_new(o, "contacts", cs);
		cp_rpc_result(req, o);
	}
	free(ex);
	free(text);
}

/* ---- gateways ---- */

static json_t *
gw_json(const struct cp_gw *g)
{
	json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "host", g->host, "port",
			g->port, "transport", rules_transport_name(g->transport), "state",
			cp_gw_down(g) ? "down" : "up", "admin", cp_admin_name(g->admin), "health",
			g->probed != CP_GW_PROBED ? "unknown" : g->st.down ? "down" : "up", "probe",
			cp_gw_probe_name(g->probed));
	if (g->probed == CP_GW_PROBED) {
		json_object_set_new(o, "probes_sent", json_integer((json_int_t)g->st.sent));
		json_object_set_new(o, "probes_failed", json_integer((json_int_t)g->st.failed));
		json_object_set_new(o, "fails_in_a_row", json_integer(g->st.fails));
		if (g->st.last_wall) {
			json_object_set_new(o, "last_probe", json_integer(g->st.last_wall));
			json_object_set_new(o, "last_code", json_integer(g->st.last_code));
			if (g->st.last_code > 0)
				json_object_set_new(o, "latency_ms",
						json_real((double)g->st.last_rtt_us / 1000.0));
		}
	}
	json_object_set_new(o, "transitions", json_integer((json_int_t)g->transitions));
	if (g->changed_ms != 0)
		json_object_set_new(o, "changed_at", json_real((double)g->changed_ms / 1000.0));
	return o;
}

static void
m_gw_list(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	uint64_t cursor;
	size_t limit;
	if (cp_rpc_page_args(req, params, &cursor, &limit) != 0)
		return;
	json_t *all = json_array();
	for (unsigned i = 0; i < cp_probe_count(app->probe); i++) {
		const struct cp_gw *g = cp_probe_gw(app->probe, i);
		json_t *o = gw_json(g);
		json_t *dns = app->dns ? cp_dns_gw_json(app->dns, g->host, g->port, g->transport) :
			NULL;
		if (dns != NULL)
			json_object_set_new(o, "dns", dns);
		json_array_append_new(all, o);
	}
	json_t *r = cp_rpc_page(all, cursor, limit);
	json_object_set_new(r, "probing", json_boolean(cp_probe_conf(app->probe)->enabled));
	cp_rpc_result(req, r);
}

/* host, port (default 5060), transport (default udp) -> the gateway, or NULL with req failed. */
static struct cp_gw *
gw_arg(struct cp_app *app, struct cp_rpc_req *req, json_t *params, uint8_t *tp, uint16_t *port)
{
	const char *host = cp_rpc_str(params, "host", "");
	int64_t p = cp_rpc_int(params, "port", 5060);
	const char *t = cp_rpc_str(params, "transport", "udp");
	if (p < 1 || p > 65535) {
		cp_rpc_error(req, CP_RPC_INVALID_PARAMS, "port must be 1..65535", NULL);
		return NULL;
	}
	if (strcmp(t, "udp") == 0)
		*tp = RULES_TP_UDP;
	else if (strcmp(t, "tcp") == 0)
		*tp = RULES_TP_TCP;
	else if (strcmp(t, "tls") == 0)
		*tp = RULES_TP_TLS;
	else {
		cp_rpc_error(req, CP_RPC_INVALID_PARAMS, "transport must be udp, tcp or tls", NULL);
		return NULL;
	}
	*port = (uint16_t)p;
	struct cp_gw *g = cp_probe_find(app->probe, host, *port, *tp);
	if (g == NULL)
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, "no gateway %.64s:%u;%s in the serving "
				"plan (gateways.list)", host, *port, t);
	return g;
}

static void
m_gw_set(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	enum cp_admin a;
	uint8_t tp;
	uint16_t port;
	if (cp_admin_parse(cp_rpc_str(params, "state", ""), &a) != 0) {
		cp_rpc_error(req, CP_RPC_INVALID_PARAMS, "state must be up, down or auto", NULL);
		return;
	}
	struct cp_gw *g = gw_arg(app, req, params, &tp, &port);
	if (g == NULL)
		return;
	char who[64];
	cp_rpc_peer_name(cp_rpc_req_peer(req), who, sizeof(who));
	/* Persisted first: an admin state the store did not keep would vanish at restart. */
	if (cp_store_gw_set(app->store, g->host, port, tp, a, who) != 0) {
		cp_rpc_errorf(req, CP_RPC_STORE_ERROR, NULL, "%s; nothing changed",
				cp_store_errmsg(app->store));
		return;
	}
	cp_probe_set_admin(app->probe, g, a);
	cp_rpc_result(req, gw_json(g));
}

static void
m_gw_probe(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	struct cp_gw *g = NULL;
	uint8_t tp;
	uint16_t port;
	if (json_object_get(params, "host") != NULL && (g = gw_arg(app, req, params, &tp,
			&port)) == NULL)
		return;
	unsigned n = cp_probe_now(app->probe, g);
	cp_rpc_result(req, json_pack("{s:I}", "sent", (json_int_t)n));
}

static void
m_gw_probing(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	struct cp_probe_conf c = *cp_probe_conf(app->probe);
	const json_t *e = json_object_get(params, "enabled");
	if (e != NULL) {
		c.enabled = json_is_true(e);
		cp_probe_set_conf(app->probe, &c);
		if (app->dns != NULL) /* the resolved targets of gateway names too */
			cp_dns_set_probe_conf(app->dns, &c);
		cp_log("gateway probing %s", c.enabled ? "resumed" : "paused");
	}
	cp_rpc_result(req, json_pack("{s:b}", "probing", c.enabled));
}

/* ---- stats ---- */

/* Value of v minus its reset baseline (a dataplane that restarted has no baseline). */
static uint64_t
since_reset(const struct cp_dp_stats *base, const struct cp_dp_stat *v)
{
	if (v->kind != SL_STAT_COUNTER)
		return v->value;
	for (unsigned i = 0; i < base->n; i++) {
		const struct cp_dp_stat *b = &base->v[i];
		if (b->worker == v->worker && b->code == v->code && strcmp(b->name, v->name) == 0)
			return v->value >= b->value ? v->value - b->value : v->value;
	}
	return v->value;
}

static void
stats_reply(struct cp_app *app, struct cp_rpc_req *req, const char *only, bool workers)
{
	json_t *dps = json_array(), *total = json_object(), *ctl = json_object();
	for (unsigned i = 0; i < cp_dps_count(app->dps); i++) {
		struct cp_dp *dp = cp_dps_get(app->dps, i);
		const struct cp_dp_info *in = cp_dp_info(dp);
		if (only != NULL && cp_dps_find(app->dps, only) != dp)
			continue;
		json_t *c = json_object(), *sent = json_object(), *rel = json_object();
		json_t *pw = json_object();
		for (unsigned k = 0; k < in->stats.n; k++) {
			const struct cp_dp_stat *v = &in->stats.v[k];
			uint64_t x = since_reset(&app->base[i], v);
			char code[8];
			if (v->code != 0) {
				snprintf(code, sizeof(code), "%u", v->code);
				if (v->worker == SL_STAT_ALL)
					json_object_set_new(strcmp(v->name, "sent") == 0 ? sent : rel, code,
							json_integer((json_int_t)x));
				continue;
			}
			if (v->worker != SL_STAT_ALL) {
				if (workers) {
					char w[16];
					snprintf(w, sizeof(w), "%u", v->worker);
					json_t *o = json_object_get(pw, w);
					if (o == NULL)
						json_object_set_new(pw, w, o = json_object());
					json_object_set_new(o, v->name, json_integer((json_int_t)x));
				}
				continue;
			}
			json_object_set_new(c, v->name, json_integer((json_int_t)x));
			if (v->kind == SL_STAT_COUNTER) {
				json_t *t = json_object_get(total, v->name);
				json_object_set_new(total, v->name, json_integer((json_int_t)x +
						(t ? json_integer_value(t) : 0)));
			}
		}
		json_t *o = json_pack("{s:o, s:s, s:I, s:o, s:o, s:o}", "dataplane",
				cp_rpc_string(in->path),
				"state", cp_dp_state_name(in->state), "read_at", (json_int_t)in->stats.when,
				"counters", c, "sent", sent, "relayed", rel);
		if (workers)
			json_object_set_new(o, "workers", pw);
		else
			json_decref(pw);
		json_array_append_new(dps, o);
	}
	for (unsigned k = 0; k < CP_C__COUNT; k++)
		json_object_set_new(ctl, cp_counter_name(k),
				json_integer((json_int_t)(app->cnt[k] - app->cnt_base[k])));
	struct cp_probe_totals t;
	cp_probe_totals(app->probe, &t);
	json_object_set_new(ctl, "probes_sent", json_integer((json_int_t)t.sent));
	json_object_set_new(ctl, "probes_ok", json_integer((json_int_t)t.ok));
	json_object_set_new(ctl, "probes_failed", json_integer((json_int_t)t.failed));
	json_object_set_new(ctl, "plan_version", json_integer((json_int_t)app->cur.version));
	json_object_set_new(ctl, "gateways_down",
			json_integer(cp_probe_down_count(app->probe)));
	if (app->dns != NULL) {
		struct cp_dns_totals dt;
		cp_dns_totals(app->dns, &dt);
		json_object_set_new(ctl, "dns", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				"resolutions", (json_int_t)dt.resolutions, "failures",
				(json_int_t)dt.failures, "stale", (json_int_t)dt.stale, "expired",
				(json_int_t)dt.expired, "refused", (json_int_t)dt.refused, "pushes",
				(json_int_t)dt.pushes, "table_version", (json_int_t)dt.version));
	}
	if (app->relay != NULL) {
		struct cp_relay_totals rt;
		cp_relay_totals(app->relay, &rt);
		json_object_set_new(ctl, "relay", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
				"s:I, s:I}",
				"received", (json_int_t)rt.received, "relayed", (json_int_t)rt.relayed,
				"held", (json_int_t)rt.held, "dropped", (json_int_t)rt.dropped,
				"unresolved", (json_int_t)rt.unresolved,
				"stream_in", (json_int_t)rt.stream_in, "stream_out", (json_int_t)rt.stream_out,
				"large_udp", (json_int_t)rt.large_udp, "no_stream", (json_int_t)rt.no_stream));
	}
	cp_rpc_result(req, json_pack("{s:o, s:o, s:o}", "dataplanes", dps, "total", total,
			"control", ctl));
}

/* stats.get waits (at most ~2 s) for a fresh read of every connected dataplane. */
struct stats_wait {
	struct cp_app *app;
	struct cp_rpc_req *req;
	char only[256];
	bool has_only, workers;
	unsigned polls;
	uint64_t reads0[CP_MAX_DATAPLANES];
};

static int64_t
stats_check(struct cp_loop *l, void *ctx)
{
	struct stats_wait *w = ctx;
	struct cp_app *app = w->app;
	bool waiting = false;
	(void)l;
	for (unsigned i = 0; i < cp_dps_count(app->dps) && i < CP_MAX_DATAPLANES; i++) {
		const struct cp_dp_info *in = cp_dp_info(cp_dps_get(app->dps, i));
		if ((in->state == CP_DP_READY || in->state == CP_DP_SYNC) &&
				in->stats_reads == w->reads0[i])
			waiting = true;
	}
	if (waiting && ++w->polls < 100)
		return 20;
	stats_reply(app, w->req, w->has_only ? w->only : NULL, w->workers);
	free(w);
	return -1;
}

static void
m_stats_get(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	const char *only = cp_rpc_str(params, "dataplane", NULL);
	if (only != NULL && cp_dps_find(app->dps, only) == NULL) {
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, "no dataplane '%.64s'", only);
		return;
	}
	struct stats_wait *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		cp_rpc_error(req, CP_RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	w->app = app;
	w->req = req;
	w->workers = cp_rpc_bool(params, "workers", false);
	if (only != NULL) {
		w->has_only = true;
		snprintf(w->only, sizeof(w->only), "%s", only);
	}
	for (unsigned i = 0; i < cp_dps_count(app->dps) && i < CP_MAX_DATAPLANES; i++) {
		struct cp_dp *dp = cp_dps_get(app->dps, i);
		w->reads0[i] = cp_dp_info(dp)->stats_reads;
		cp_dp_poll_stats(dp);
	}
	if (cp_timer_add(app->loop, 10, stats_check, w) == 0) {
		free(w);
		cp_rpc_error(req, CP_RPC_INTERNAL_ERROR, "out of memory", NULL);
	}
}

static void
m_stats_reset(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_app *app = ctx;
	(void)params;
	for (unsigned i = 0; i < cp_dps_count(app->dps) && i < CP_MAX_DATAPLANES; i++) {
		const struct cp_dp_stats *s = &cp_dp_info(cp_dps_get(app->dps, i))->stats;
		cp_dp_stats_clear(&app->base[i]);
		if (s->n > 0 && (app->base[i].v = malloc(s->n * sizeof(*s->v))) != NULL) {
			memcpy(app->base[i].v, s->v, s->n * sizeof(*s->v));
			app->base[i].n = s->n;
		}
	}
	memcpy(app->cnt_base, app->cnt, sizeof(app->cnt));
	cp_rpc_result(req, json_pack("{s:s}", "message", "stats.get counts from now on "
			"(Prometheus keeps the raw counters)"));
}

/* ---- the tables ---- */

static const struct cp_rpc_param p_text[] = {
	{"text", CP_T_STRING, false, "dialplan text (or path)"},
	{"path", CP_T_STRING, false, "file under dialplan_dir read by the daemon (or text)"},
	{"source", CP_T_STRING, false, "name used in error messages and the history"},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_push[] = {
	{"text", CP_T_STRING, false, "dialplan text (or path)"},
	{"path", CP_T_STRING, false, "file under dialplan_dir read by the daemon (or text)"},
	{"source", CP_T_STRING, false, "name used in error messages and the history"},
	{"base_version", CP_T_INT, false, "refuse (version conflict) unless this is the serving "
		"version"},
	{"dry_run", CP_T_BOOL, false, "compile and report, change nothing"},
	{"note", CP_T_STRING, false, "a note kept in the history"},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_version[] = {
	{"version", CP_T_INT, false, "a version from dialplan.history (default: the serving one)"},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_rollback[] = {
	{"version", CP_T_INT, true, "the version whose text becomes the new version"},
	{"base_version", CP_T_INT, false, "refuse unless this is the serving version"},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_page[] = {
	CP_RPC_PAGE_PARAMS,
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_explain[] = {
	{"user", CP_T_STRING, false, "Request-URI user"},
	{"domain", CP_T_STRING, false, "Request-URI host"},
	{"from", CP_T_STRING, false, "From URI user"},
	{"to", CP_T_STRING, false, "To URI user"},
	{"method", CP_T_STRING, false, "request method (default INVITE)"},
	{"source", CP_T_STRING, false, "source IP address"},
	{"callid", CP_T_STRING, false, "a Call-ID: picks the member of a group as the dataplane "
		"does"},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_gw_set[] = {
	{"host", CP_T_STRING, true, "gateway host as in the dialplan"},
	{"state", CP_T_STRING, true, "up, down (forced) or auto (follow the probes)"},
	{"port", CP_T_INT, false, "gateway port (default 5060)"},
	{"transport", CP_T_STRING, false, "udp (default), tcp or tls"},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_gw_probe[] = {
	{"host", CP_T_STRING, false, "one gateway (default: all)"},
	{"port", CP_T_INT, false, "its port (default 5060)"},
	{"transport", CP_T_STRING, false, "its transport (default udp)"},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_probing[] = {
	{"enabled", CP_T_BOOL, false, "true: probe; false: pause (omit to read)"},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_stats[] = {
	{"dataplane", CP_T_STRING, false, "one dataplane (its socket path or index)"},
	{"workers", CP_T_BOOL, false, "also per-worker counters"},
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_method methods[] = {
	{"core.version", "version of sipline-control, link protocol and store schema", NULL,
		false, m_version},
	{"core.uptime", "start time and uptime", NULL, false, m_uptime},
	{"core.health", "dataplanes connected and their plans, gateways down", NULL, false,
		m_health},
	{"dialplan.validate", "compile a dialplan: rule counts, or every error with file:line",
		p_text, false, m_validate},
	{"dialplan.push", "compile, keep and publish a dialplan as a new version", p_push, true,
		m_push},
	{"dialplan.status", "the serving version, its SHA-256 and each dataplane's", NULL, false,
		m_status},
	{"dialplan.show", "text of a version", p_version, false, m_show},
	{"dialplan.history", "versions kept, newest first (paged)", p_page, false, m_history},
	{"dialplan.rollback", "push the text of an old version as a new version", p_rollback,
		true, m_rollback},
	{"dialplan.explain", "which rule a request matches, why, and what it does", p_explain,
		false, m_explain},
	{"gateways.list", "gateways of the plan: state, admin, health, last probe (paged)",
		p_page, false, m_gw_list},
	{"gateways.set", "administrative state of a gateway: up, down or auto (persisted)",
		p_gw_set, true, m_gw_set},
	{"gateways.probe", "probe a gateway (or all) now", p_gw_probe, false, m_gw_probe},
	{"gateways.probing", "pause or resume probing", p_probing, true, m_gw_probing},
	{"stats.get", "dataplane counters by name (each and summed) and the control plane's",
		p_stats, false, m_stats_get},
	{"stats.reset", "stats.get counts from zero again (Prometheus is not affected)", NULL,
		true, m_stats_reset},
};

static void
log_call(const struct cp_rpc_peer *peer, const char *method, const json_t *params, void *ctx)
{
	char who[64], brief[200] = "";
	size_t n = 0;
	const char *k;
	json_t *v;
	(void)ctx;
	cp_rpc_peer_name(peer, who, sizeof(who));
	/* Parameter names and short values (never a whole dialplan text). */
	json_object_foreach((json_t *)params, k, v) {
		int w;
		/* Secrets (subscribers.add) never reach a log, not even their length. */
		if (strcmp(k, "password") == 0 || strncmp(k, "ha1", 3) == 0)
			w = snprintf(brief + n, sizeof(brief) - n, " %s=(secret)", k);
		else if (json_is_string(v) && json_string_length(v) <= 64 && strcmp(k, "text") != 0 &&
				strpbrk(json_string_value(v), "\r\n") == NULL)
			w = snprintf(brief + n, sizeof(brief) - n, " %s=%s", k, json_string_value(v));
		else if (json_is_integer(v))
			w = snprintf(brief + n, sizeof(brief) - n, " %s=%lld", k,
					(long long)json_integer_value(v));
		else if (json_is_boolean(v))
			w = snprintf(brief + n, sizeof(brief) - n, " %s=%s", k,
					json_is_true(v) ? "true" : "false");
		else if (json_is_string(v))
			w = snprintf(brief + n, sizeof(brief) - n, " %s=(%zu bytes)", k,
					json_string_length(v));
		else
			w = snprintf(brief + n, sizeof(brief) - n, " %s=...", k);
		if (w < 0 || (size_t)w >= sizeof(brief) - n)
			break;
		n += (size_t)w;
	}
	cp_log("call %s by %s:%s", method, who, brief);
}

int
cp_methods_register(struct cp_app *app)
{
	cp_rpc_set_log(app->rpc, log_call, app);
	return cp_rpc_register(app->rpc, methods, sizeof(methods) / sizeof(methods[0]), app);
}

/* ---- Prometheus ---- */

char *
cp_metrics_render(void *ctx, size_t *len)
{
	struct cp_app *app = ctx;
	struct cp_prom p;
	char name[128], help[160], w[16], code[8], ver[24];
	cp_prom_init(&p);

	for (unsigned k = 0; k < CP_C__COUNT; k++) {
		snprintf(name, sizeof(name), "sipline_control_%s_total", cp_counter_name(k));
		cp_prom_family(&p, name, "counter", cp_counter_help(k));
		cp_prom_u64(&p, NULL, app->cnt[k]);
	}
	cp_regsrv_metrics(app, &p);
	cp_streamsrv_metrics(app, &p);
	struct cp_probe_totals t;
	cp_probe_totals(app->probe, &t);
	cp_prom_family(&p, "sipline_control_probes_total", "counter",
			"gateway OPTIONS probes by outcome");
	const char *l_ok[] = {"outcome", "ok", NULL}, *l_fail[] = {"outcome", "failed", NULL};
	const char *l_sent[] = {"outcome", "sent", NULL};
	cp_prom_u64(&p, l_sent, t.sent);
	cp_prom_u64(&p, l_ok, t.ok);
	cp_prom_u64(&p, l_fail, t.failed);
	if (app->dns != NULL) {
		struct cp_dns_totals dt;
		cp_dns_totals(app->dns, &dt);
		cp_prom_family(&p, "sipline_control_dns_total", "counter",
				"gateway name resolutions and what came of them");
		const char *o_res[] = {"outcome", "resolved", NULL};
		const char *o_fail[] = {"outcome", "failed", NULL};
		const char *o_stale[] = {"outcome", "stale", NULL};
		const char *o_exp[] = {"outcome", "expired", NULL};
		const char *o_ref[] = {"outcome", "refused_address", NULL};
		cp_prom_u64(&p, o_res, dt.resolutions - dt.failures);
		cp_prom_u64(&p, o_fail, dt.failures);
		cp_prom_u64(&p, o_stale, dt.stale);
		cp_prom_u64(&p, o_exp, dt.expired);
		cp_prom_u64(&p, o_ref, dt.refused);
	}
	cp_prom_family(&p, "sipline_control_uptime_seconds", "gauge", "seconds since start");
	cp_prom_u64(&p, NULL, (cp_now_ms() - app->started_ms) / 1000u);
	cp_prom_family(&p, "sipline_control_plan_version", "gauge",
			"dialplan version the control plane serves (0: none)");
	cp_prom_u64(&p, NULL, app->cur.version);
	cp_prom_family(&p, "sipline_control_plan_age_seconds", "gauge",
			"seconds since the serving dialplan was pushed");
	cp_prom_u64(&p, NULL, app->cur.created ? (uint64_t)(cp_wall_s() - app->cur.created) : 0);
	cp_prom_family(&p, "sipline_control_plan_rules", "gauge", "rules of the serving dialplan");
	cp_prom_u64(&p, NULL, app->cur.rules);
	cp_prom_family(&p, "sipline_control_gateway_up", "gauge",
			"effective gateway state: 1 up, 0 down");
	for (unsigned i = 0; i < cp_probe_count(app->probe); i++) {
		const struct cp_gw *g = cp_probe_gw(app->probe, i);
		char port[8];
		snprintf(port, sizeof(port), "%u", g->port);
		const char *l[] = {"host", g->host, "port", port, "transport",
			rules_transport_name(g->transport), "admin", cp_admin_name(g->admin), NULL};
		cp_prom_u64(&p, l, cp_gw_down(g) ? 0 : 1);
	}
	cp_prom_family(&p, "sipline_control_gateway_latency_seconds", "gauge",
			"round trip of the last answered probe");
	for (unsigned i = 0; i < cp_probe_count(app->probe); i++) {
		const struct cp_gw *g = cp_probe_gw(app->probe, i);
		char port[8];
		if (g->probed != CP_GW_PROBED || g->st.last_code <= 0)
			continue;
		snprintf(port, sizeof(port), "%u", g->port);
		const char *l[] = {"host", g->host, "port", port, "transport",
			rules_transport_name(g->transport), NULL};
		cp_prom_f64(&p, l, (double)g->st.last_rtt_us / 1e6);
	}
	unsigned n = cp_dps_count(app->dps);
	cp_prom_family(&p, "sipline_dataplane_up", "gauge",
			"1 when the control link to the dataplane is in sync");
	for (unsigned i = 0; i < n; i++) {
		const struct cp_dp_info *in = cp_dp_info(cp_dps_get(app->dps, i));
		const char *l[] = {"dataplane", in->path, NULL};
		cp_prom_u64(&p, l, in->state == CP_DP_READY);
	}
	cp_prom_family(&p, "sipline_dataplane_plan_version", "gauge",
			"dialplan version the dataplane serves");
	for (unsigned i = 0; i < n; i++) {
		const struct cp_dp_info *in = cp_dp_info(cp_dps_get(app->dps, i));
		const char *l[] = {"dataplane", in->path, NULL};
		cp_prom_u64(&p, l, in->stats.when ? in->stats.plan_version : in->hello.plan_version);
	}
	/*
	 * Dataplane counters: one family per name (first seen order), samples
	 * of every dataplane under it; per-worker values carry a worker label,
	 * the per-status tables a code label.
	 */
	for (unsigned i = 0; i < n; i++) {
		const struct cp_dp_info *in = cp_dp_info(cp_dps_get(app->dps, i));
		for (unsigned k = 0; k < in->stats.n; k++) {
			const struct cp_dp_stat *v = &in->stats.v[k];
			bool seen = false;
			/* Already written under an earlier dataplane or an earlier record? */
			for (unsigned j = 0; j <= i && !seen; j++) {
				const struct cp_dp_info *o = cp_dp_info(cp_dps_get(app->dps, j));
				unsigned lim = j == i ? k : o->stats.n;
				for (unsigned m = 0; m < lim && !seen; m++)
					seen = strcmp(o->stats.v[m].name, v->name) == 0;
			}
			if (seen)
				continue;
			bool counter = v->kind == SL_STAT_COUNTER;
			if (strcmp(v->name, "sent") == 0 || strcmp(v->name, "relayed") == 0)
				snprintf(name, sizeof(name), "sipline_dataplane_responses_%s_total", v->name);
			else if (!counter && strlen(v->name) > 2 &&
					strcmp(v->name + strlen(v->name) - 2, "_s") == 0)
				/* Prometheus spells units out: uptime_s -> uptime_seconds. */
				snprintf(name, sizeof(name), "sipline_dataplane_%.*s_seconds",
						(int)strlen(v->name) - 2, v->name);
			else
				snprintf(name, sizeof(name), "sipline_dataplane_%s%s", v->name,
						counter ? "_total" : "");
			snprintf(help, sizeof(help), "dataplane %s %s", counter ? "counter" : "value",
					v->name);
			cp_prom_family(&p, name, counter ? "counter" : "gauge", help);
			for (unsigned j = i; j < n; j++) {
				const struct cp_dp_info *o = cp_dp_info(cp_dps_get(app->dps, j));
				for (unsigned m = 0; m < o->stats.n; m++) {
					const struct cp_dp_stat *x = &o->stats.v[m];
					if (strcmp(x->name, v->name) != 0)
						continue;
					const char *l[8] = {"dataplane", o->path, NULL};
					unsigned nl = 2;
					if (x->worker != SL_STAT_ALL) {
						snprintf(w, sizeof(w), "%u", x->worker);
						l[nl++] = "worker";
						l[nl++] = w;
					}
					if (x->code != 0) {
						snprintf(code, sizeof(code), "%u", x->code);
						l[nl++] = "status";
						l[nl++] = code;
					}
					l[nl] = NULL;
					cp_prom_u64(&p, l, x->value);
				}
			}
		}
	}
	snprintf(ver, sizeof(ver), "%s", SIPLINE_VERSION);
	cp_prom_family(&p, "sipline_control_build_info", "gauge", "build of sipline-control");
	const char *lb[] = {"version", ver, NULL};
	cp_prom_u64(&p, lb, 1);
	return cp_prom_take(&p, len);
}
