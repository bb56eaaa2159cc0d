/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dialplan lifecycle. A push (or validate, or rollback) becomes a job in a
 * FIFO; one job at a time runs: its base_version is checked when it
 * reaches the head (so of two pushes based on the same version the second
 * gets a conflict), then a worker thread hashes the text (same SHA-256 as
 * the serving plan: a no-op), compiles and serializes it; back on the
 * loop an accepted plan is written to the store first (the store is the
 * truth: a plan the store could not keep is refused), becomes the
 * current plan, and is pushed to every connected dataplane with the
 * gateway states; the call completes when every dataplane has answered.
 * The loop never waits for a compile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cp_app.h"
#include "cp_dns.h"
#include "cp_loop.h"
#include "cp_route.h"
#include "cp_rpc.h"
#include "cp_store.h"
#include "rules.h"

struct job {
	struct cp_app *app;
	struct cp_rpc_req *req;     /* NULL: internal (start-up) */
	char *text;
	size_t len;
	char *source;
	char *note;
	char caller[64];
	bool has_base, dry_run, validate, rollback, startup;
	uint64_t base;
	uint64_t version;           /* assigned when the job starts */
	char cur_sha[65];
	/* results (worker thread) */
	char sha[65];
	bool same;
	struct rules_plan *plan;
	struct rules_errors errs;
	void *blob;
	size_t blob_len;
	uint64_t compile_ms;
	struct job *next;
};

struct cp_plan_queue {
	struct job *head, *tail;
	unsigned n;
	bool running;
	/*
	 * PLAN_PUSHes not answered yet. The next job waits for them: a
	 * dataplane loads one plan at a time (a second push while it loads
	 * would be refused with -EBUSY).
	 */
	unsigned inflight;
};

/* A push to the dataplanes in progress: the call completes when all answered. */
struct fanout {
	struct cp_app *app;
	struct cp_rpc_req *req;
	json_t *result;
	json_t *per_dp;
	unsigned waiting;
};

static void start_next(struct cp_app *app);

static void
sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned len = 0;
	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
job_free(struct job *j)
{
	free(j->text);
	free(j->source);
	free(j->note);
	if (j->plan)
		rules_plan_free(j->plan);
	rules_errors_clear(&j->errs);
	free(j->blob);
	free(j);
}

static json_t *
counts_json(const struct rules_plan *plan)
{
	struct rules_plan_info in;
	rules_plan_info(plan, &in);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rules", (json_int_t)in.n_rules,
			"prefix", (json_int_t)in.n_prefix, "regex", (json_int_t)in.n_regex, "other",
			(json_int_t)in.n_other, "groups", (json_int_t)in.n_groups, "gateways",
			(json_int_t)in.n_gateways, "memory_bytes", (json_int_t)in.mem_bytes);
}

/* ---- worker thread ---- */

static void
compile_work(void *arg)
{
	struct job *j = arg;
	uint64_t t0 = cp_now_ms();

	sha256_hex(j->text, j->len, j->sha);
	j->same = !j->validate && !j->startup && strcmp(j->sha, j->cur_sha) == 0;
	if (j->same)
		return;
	struct rules_compile_opts o = {.version = j->version};
	j->plan = rules_compile_text(j->text, j->len, j->source, &o, &j->errs);
	if (j->plan != NULL && !j->validate && !j->dry_run &&
			rules_plan_serialize(j->plan, &j->blob, &j->blob_len) != 0) {
		rules_plan_free(j->plan);
		j->plan = NULL;
		rules_errors_clear(&j->errs);
	}
	j->compile_ms = cp_now_ms() - t0;
}

/* ---- pushing to dataplanes ---- */

/* PLAN_PUSH payload with the complete set of down gateways. malloc()ed; *len set. */
static void *
plan_push_payload(struct cp_app *app, uint32_t *len)
{
	unsigned n = cp_probe_count(app->probe), down = 0;
	size_t max_gw = (SL_LINK_MAX_PAYLOAD - sizeof(struct sl_plan_push)) /
		sizeof(struct sl_gw_state);
	struct sl_plan_push *pp = calloc(1, sizeof(*pp) + n * sizeof(struct sl_gw_state));
	if (pp == NULL)
		return NULL;
	pp->size = app->cur.blob_len;
	snprintf(pp->name, sizeof(pp->name), "%s v%llu", app->cur.source ? app->cur.source : "",
			(unsigned long long)app->cur.version);
	struct sl_gw_state *gs = (struct sl_gw_state *)(pp + 1);
	for (unsigned i = 0; i < n && down < max_gw; i++) {
		const struct cp_gw *g = cp_probe_gw(app->probe, i);
		if (!cp_gw_down(g))
			continue;
		snprintf(gs[down].host, sizeof(gs[down].host), "%s", g->host);
		gs[down].port = g->port;
		gs[down].transport = g->transport;
		gs[down].down = 1;
		down++;
	}
	pp->flags = SL_PLAN_GW_STATES;
	pp->n_gw = down;
	*len = (uint32_t)(sizeof(*pp) + down * sizeof(struct sl_gw_state));
	return pp;
}

static void
fanout_done(struct fanout *f)
{
	if (f->req != NULL) {
		json_object_set_new(f->result, "dataplanes", f->per_dp);
		cp_rpc_result(f->req, f->result);
	} else {
		json_decref(f->result);
		json_decref(f->per_dp);
	}
	free(f);
}

struct dp_push {
	struct cp_app *app;
	struct fanout *f;           /* NULL: a re-sync push */
	uint64_t version;
	char sha256[65];
};

static void send_gw(struct cp_app *app, struct cp_dp *dp, const struct cp_gw *g);

static void
on_push_reply(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	struct dp_push *p = arg;
	struct cp_app *app = p->app;
	const char *text;
	uint32_t tl;
	int st = cp_dp_result(rx, &text, &tl);
	const char *path = cp_dp_info(dp)->path;
	json_t *r;

	/*
	 * The path is the configuration's bytes and a refusal the dataplane's
	 * text: quoted as valid UTF-8, or the answer would lose this dataplane.
	 */
	if (rx == NULL) {
		r = json_pack("{s:o, s:s, s:s}", "dataplane", cp_rpc_string(path), "result", "lost",
				"error", "the link dropped before the dataplane answered");
	} else if (st != 0) {
		r = json_pack("{s:o, s:s, s:o}", "dataplane", cp_rpc_string(path), "result",
				"refused", "error", tl ? cp_rpc_stringn(text, tl) :
				cp_rpc_string(strerror(-st)));
	} else {
		r = json_pack("{s:o, s:s}", "dataplane", cp_rpc_string(path), "result", "ok");
	}
	if (p->f != NULL) {
		app->cnt[st == 0 && rx ? CP_C_DATAPLANE_PUSH_OK : CP_C_DATAPLANE_PUSH_FAILED]++;
		json_array_append_new(p->f->per_dp, r);
		if (--p->f->waiting == 0)
			fanout_done(p->f);
	} else {
		json_decref(r);
	}
	if (rx != NULL && st != 0)
		cp_log("dataplane %s refused plan version %llu: %s%.*s", path,
				(unsigned long long)p->version, tl ? "" : strerror(-st), (int)tl, text);
	/*
	 * The push carried the gateway states as they were when it was sent; a
	 * change while the dataplane loaded the plan may have gone to the old
	 * plan. Send them all again now that the new one serves (a few frames).
	 */
	if (rx != NULL && st == 0) {
		cp_dp_note_plan(dp, p->version, p->sha256);
		for (unsigned i = 0; app->probe != NULL && i < cp_probe_count(app->probe); i++)
			send_gw(app, dp, cp_probe_gw(app->probe, i));
	}
	free(p);
	if (app->pq != NULL && --app->pq->inflight == 0)
		start_next(app);
}

static int
push_to(struct cp_app *app, struct cp_dp *dp, struct fanout *f)
{
	uint32_t len;
	void *payload = plan_push_payload(app, &len);
	struct dp_push *p = malloc(sizeof(*p));
	int rc = -ENOMEM;
	if (payload != NULL && p != NULL) {
		p->app = app;
		p->f = f;
		p->version = app->cur.version;
		snprintf(p->sha256, sizeof(p->sha256), "%s", app->cur.sha256);
		rc = cp_dp_request(dp, SL_MSG_PLAN_PUSH, payload, len, app->cur.memfd,
				app->cfg.push_timeout_ms, on_push_reply, p);
	}
	free(payload);
	if (rc != 0)
		free(p);
	else
		app->pq->inflight++;
	return rc;
}

/* Push the current plan to every connected dataplane; f collects the answers. */
static void
push_all(struct cp_app *app, struct fanout *f)
{
	unsigned n = cp_dps_count(app->dps);
	f->waiting = 1; /* held until every request is queued */
	for (unsigned i = 0; i < n; i++) {
		struct cp_dp *dp = cp_dps_get(app->dps, i);
		const struct cp_dp_info *in = cp_dp_info(dp);
		if (in->state != CP_DP_SYNC && in->state != CP_DP_READY) {
			json_array_append_new(f->per_dp, json_pack("{s:o, s:s, s:o}", "dataplane",
					cp_rpc_string(in->path), "result", "unavailable", "error",
					cp_rpc_string(in->last_error[0] ? in->last_error :
						cp_dp_state_name(in->state))));
			continue;
		}
		f->waiting++;
		int rc = push_to(app, dp, f);
		if (rc != 0) {
			f->waiting--;
			json_array_append_new(f->per_dp, json_pack("{s:o, s:s, s:o}", "dataplane",
					cp_rpc_string(in->path), "result", "unavailable", "error",
					cp_rpc_string(strerror(-rc))));
		}
	}
	if (--f->waiting == 0)
		fanout_done(f);
}

/* ---- the current plan ---- */

struct admin_key {
	const char *host;
	uint16_t port;
	uint8_t transport;
	enum cp_admin admin;
};

static void
admin_match(const char *host, uint16_t port, uint8_t transport, enum cp_admin admin,
		int64_t changed, const char *caller, void *ctx)
{
	struct admin_key *k = ctx;
	(void)changed;
	(void)caller;
	if (port == k->port && transport == k->transport && strcmp(host, k->host) == 0)
		k->admin = admin;
}

/* The stored admin state of a gateway (the store holds the few non-auto ones). */
static enum cp_admin
admin_of(const char *host, uint16_t port, uint8_t transport, void *ctx)
{
	struct cp_app *app = ctx;
	struct admin_key k = {host, port, transport, CP_ADMIN_AUTO};
	cp_store_gw_list(app->store, admin_match, &k);
	return k.admin;
}

/* Make j's plan the current one (j's plan, blob and text move to app->cur). */
static int
install(struct cp_app *app, struct job *j)
{
	int fd = cp_dp_memfd("sipline-plan", j->blob, j->blob_len);
	if (fd < 0)
		return fd;
	struct cp_plan_cur *c = &app->cur;
	if (c->plan)
		rules_plan_free(c->plan);
	if (c->memfd >= 0)
		close(c->memfd);
	free(c->caller);
	free(c->source);
	free(c->text);
	struct rules_plan_info in;
	rules_plan_info(j->plan, &in);
	c->version = j->version;
	snprintf(c->sha256, sizeof(c->sha256), "%s", j->sha);
	c->plan = j->plan;
	c->memfd = fd;
	c->blob_len = j->blob_len;
	c->rules = in.n_rules;
	c->text = j->text;
	c->text_len = j->len;
	c->source = j->source;
	if (!j->startup) {
		c->caller = strdup(j->caller);
		c->created = cp_wall_s();
	}
	j->plan = NULL;
	j->text = NULL;
	j->source = NULL;
	/* The relay's router serves the very blob the dataplanes get (cp_route.h). */
	if (app->route != NULL) {
		char err[256];
		if (cp_route_set_plan(app->route, j->blob, j->blob_len, err, sizeof(err)) != 0)
			cp_log("%s", err);
	}
	free(j->blob);
	j->blob = NULL;
	cp_probe_set_plan(app->probe, c->plan, admin_of, app);
	if (app->dns != NULL)
		cp_dns_set_plan(app->dns, c->plan);
	/* The gateway states the dataplanes get with the plan. */
	for (unsigned i = 0; app->route != NULL && i < cp_probe_count(app->probe); i++) {
		const struct cp_gw *g = cp_probe_gw(app->probe, i);
		cp_route_gw_set(app->route, g->host, g->port, g->transport, cp_gw_down(g));
	}
	return 0;
}

static uint64_t
next_version(struct cp_app *app)
{
	uint64_t v = cp_store_version_max(app->store);
	if (app->cur.version > v)
		v = app->cur.version;
	for (unsigned i = 0; i < cp_dps_count(app->dps); i++) {
		uint64_t d = cp_dp_info(cp_dps_get(app->dps, i))->hello.plan_version;
		if (d > v)
			v = d;
	}
	return v + 1;
}

/* The i-th message of a struct rules_errors, for cp_rpc_errors_json(). */
static const char *
error_msg(const void *e, unsigned i)
{
	return ((const struct rules_errors *)e)->msg[i];
}

static void
finish_job(struct cp_app *app, struct job *j)
{
	struct cp_rpc_req *req = j->req;

	if (j->startup) {
		if (j->plan == NULL) {
			cp_log("dialplan version %llu from the store does not compile (%u errors); "
					"dataplanes keep what they serve", (unsigned long long)j->version,
					j->errs.total);
			for (unsigned i = 0; i < j->errs.n; i++)
				cp_log("  %s", j->errs.msg[i]);
			return;
		}
		char *caller = app->cur.caller;
		int64_t created = app->cur.created;
		app->cur.caller = NULL;
		if (install(app, j) != 0) {
			cp_log("cannot keep the compiled plan: %s", strerror(errno));
			return;
		}
		app->cur.caller = caller;
		app->cur.created = created;
		cp_log("dialplan version %llu compiled (%u rules, %llu ms): serving it to the "
				"dataplanes", (unsigned long long)app->cur.version, app->cur.rules,
				(unsigned long long)j->compile_ms);
		for (unsigned i = 0; i < cp_dps_count(app->dps); i++) {
			struct cp_dp *dp = cp_dps_get(app->dps, i);
			enum cp_dp_state s = cp_dp_info(dp)->state;
			if (s == CP_DP_SYNC || s == CP_DP_READY)
				cp_plan_resync(app, dp);
		}
		return;
	}
	if (j->same) {
		app->cnt[CP_C_DIALPLAN_NOOP]++;
		json_t *r = json_pack("{s:I, s:s, s:b, s:s}", "version", (json_int_t)app->cur.version,
				"sha256", app->cur.sha256, "changed", 0, "message",
				"this text is the serving plan: nothing to do");
		json_object_set_new(r, "dataplanes", json_array());
		cp_rpc_result(req, r);
		return;
	}
	if (j->plan == NULL) {
		app->cnt[CP_C_DIALPLAN_REFUSED]++;
		json_t *data = cp_rpc_errors_json(&j->errs, j->errs.n, j->errs.total, error_msg);
		cp_rpc_errorf(req, CP_RPC_COMPILE_ERROR, data,
				"%s: %u error(s); nothing changed", j->source, j->errs.total);
		return;
	}
	json_t *counts = counts_json(j->plan);
	json_object_set_new(counts, "sha256", json_string(j->sha));
	json_object_set_new(counts, "compile_ms", json_integer((json_int_t)j->compile_ms));
	if (j->validate || j->dry_run) {
		json_object_set_new(counts, "changed", json_false());
		if (j->dry_run) {
			json_object_set_new(counts, "dry_run", json_true());
			json_object_set_new(counts, "version", json_integer((json_int_t)j->version));
		}
		cp_rpc_result(req, counts);
		return;
	}
	/* Accepted: the store first (a plan it cannot keep would be lost at restart). */
	struct cp_plan_rec rec = {
		.version = j->version, .created = cp_wall_s(), .caller = j->caller,
		.source = j->source, .note = j->note, .text = j->text, .text_len = j->len,
	};
	struct rules_plan_info in;
	rules_plan_info(j->plan, &in);
	rec.rules = in.n_rules;
	snprintf(rec.sha256, sizeof(rec.sha256), "%s", j->sha);
	int rc = cp_store_plan_add(app->store, &rec, app->cfg.history);
	if (rc != 0) {
		app->cnt[CP_C_DIALPLAN_REFUSED]++;
		json_decref(counts);
		cp_rpc_errorf(req, CP_RPC_STORE_ERROR, NULL, "the store refused version %llu: %s; "
				"nothing changed", (unsigned long long)j->version,
				cp_store_errmsg(app->store));
		return;
	}
	if ((rc = install(app, j)) != 0) {
		json_decref(counts);
		cp_rpc_errorf(req, CP_RPC_INTERNAL_ERROR, NULL, "cannot hold the plan: %s",
				strerror(-rc));
		return;
	}
	app->cnt[CP_C_DIALPLAN_PUSHES]++;
	if (j->rollback)
		app->cnt[CP_C_DIALPLAN_ROLLBACKS]++;
	cp_log("dialplan version %llu accepted from %s (%s%s%s, %u rules, sha256 %s, "
			"compiled in %llu ms)", (unsigned long long)app->cur.version, j->caller,
			app->cur.source, j->note ? ", " : "", j->note ? j->note : "", app->cur.rules,
			app->cur.sha256, (unsigned long long)j->compile_ms);
	json_object_set_new(counts, "version", json_integer((json_int_t)app->cur.version));
	json_object_set_new(counts, "changed", json_true());
	struct fanout *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		json_decref(counts);
		cp_rpc_error(req, CP_RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	f->app = app;
	f->req = req;
	f->result = counts;
	f->per_dp = json_array();
	push_all(app, f);
}

static void
compile_done(struct cp_loop *l, void *arg)
{
	struct job *j = arg;
	struct cp_app *app = j->app;
	(void)l;
	app->pq->running = false;
	if (!app->stopping)
		finish_job(app, j);
	else if (j->req != NULL)
		cp_rpc_error(j->req, CP_RPC_BUSY, "shutting down", NULL);
	job_free(j);
	start_next(app);
}

static void
start_next(struct cp_app *app)
{
	struct cp_plan_queue *q = app->pq;
	if (app->stopping)
		return;
	while (!q->running && q->inflight == 0 && q->head != NULL) {
		struct job *j = q->head;
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->n--;
		if (j->has_base && j->base != app->cur.version) {
			app->cnt[CP_C_DIALPLAN_REFUSED]++;
			cp_rpc_errorf(j->req, CP_RPC_VERSION_CONFLICT,
					json_pack("{s:I, s:s}", "version", (json_int_t)app->cur.version,
						"sha256", app->cur.sha256),
					"base_version %llu is not the serving version %llu: re-read it "
					"(dialplan.status) and push again",
					(unsigned long long)j->base, (unsigned long long)app->cur.version);
			job_free(j);
			continue;
		}
		if (!j->startup)
			j->version = next_version(app);
		snprintf(j->cur_sha, sizeof(j->cur_sha), "%s", app->cur.sha256);
		int rc = cp_loop_work(app->loop, compile_work, compile_done, j);
		if (rc != 0) {
			if (j->req)
				cp_rpc_errorf(j->req, CP_RPC_INTERNAL_ERROR, NULL,
						"cannot start the compile thread: %s", strerror(-rc));
			job_free(j);
			continue;
		}
		q->running = true;
	}
}

static void
enqueue(struct cp_app *app, struct job *j)
{
	struct cp_plan_queue *q = app->pq;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
	start_next(app);
}

void
cp_plan_submit(struct cp_app *app, const struct cp_push *p, struct cp_rpc_req *req)
{
	struct cp_plan_queue *q = app->pq;
	if (q->n >= app->cfg.push_queue) {
		cp_rpc_errorf(req, CP_RPC_BUSY, NULL, "%u pushes are waiting already (push_queue); "
				"try again when they are done", q->n);
		return;
	}
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL || (j->text = malloc(p->len + 1)) == NULL ||
			(j->source = strdup(p->source ? p->source : "text")) == NULL ||
			(p->note != NULL && (j->note = strdup(p->note)) == NULL)) {
		if (j)
			job_free(j);
		cp_rpc_error(req, CP_RPC_INTERNAL_ERROR, "out of memory", NULL);
		return;
	}
	memcpy(j->text, p->text, p->len);
	j->text[p->len] = '\0';
	j->len = p->len;
	j->app = app;
	j->req = req;
	j->has_base = p->has_base;
	j->base = p->base_version;
	j->dry_run = p->dry_run;
	j->validate = p->validate;
	j->rollback = p->rollback;
	cp_rpc_peer_name(cp_rpc_req_peer(req), j->caller, sizeof(j->caller));
	enqueue(app, j);
}

unsigned
cp_plan_busy(const struct cp_app *app)
{
	return app->pq->n + app->pq->running + (app->pq->inflight > 0);
}

int
cp_plan_init(struct cp_app *app, char *err, size_t errlen)
{
	struct cp_plan_rec r;
	app->cur.memfd = -1;
	app->pq = calloc(1, sizeof(*app->pq));
	if (app->pq == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = cp_store_plan_get(app->store, 0, &r);
	if (rc == -ENOENT)
		return 0; /* a new deployment: no plan until the first push */
	if (rc != 0) {
		snprintf(err, errlen, "store: cannot read the newest dialplan: %s",
				cp_store_errmsg(app->store));
		return rc;
	}
	/* Serve its text and history at once; the compiled form follows from the worker. */
	app->cur.version = r.version;
	snprintf(app->cur.sha256, sizeof(app->cur.sha256), "%s", r.sha256);
	app->cur.created = r.created;
	app->cur.caller = r.caller;
	app->cur.rules = r.rules;
	app->cur.text = NULL;
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		cp_store_plan_clear(&r);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	j->app = app;
	j->startup = true;
	j->version = r.version;
	j->text = r.text;
	j->len = r.text_len;
	j->source = r.source;
	snprintf(j->caller, sizeof(j->caller), "%s", r.caller ? r.caller : "");
	free(r.note);
	cp_log("dialplan version %llu (sha256 %s) from the store: compiling", 
			(unsigned long long)r.version, r.sha256);
	enqueue(app, j);
	return 0;
}

void
cp_plan_fini(struct cp_app *app)
{
	struct cp_plan_cur *c = &app->cur;
	if (app->pq != NULL) {
		while (app->pq->head != NULL) {
			struct job *j = app->pq->head;
			app->pq->head = j->next;
			if (j->req)
				cp_rpc_error(j->req, CP_RPC_BUSY, "shutting down", NULL);
			job_free(j);
		}
		free(app->pq);
		app->pq = NULL;
	}
	if (c->plan)
		rules_plan_free(c->plan);
	if (c->memfd >= 0)
		close(c->memfd);
	free(c->caller);
	free(c->source);
	free(c->text);
	memset(c, 0, sizeof(*c));
	c->memfd = -1;
}

/* ---- re-sync of one dataplane ---- */

static void
on_sync_end(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	struct cp_app *app = arg;
	if (rx == NULL)
		return;
	int st = cp_dp_result(rx, &(const char *){NULL}, &(uint32_t){0});
	if (st != 0)
		cp_log("dataplane %s: binding re-sync refused: %s", cp_dp_info(dp)->path,
				strerror(-st));
	app->cnt[CP_C_DATAPLANE_RESYNCS]++;
	cp_dp_set_ready(dp);
}

static void
on_ignore(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	(void)dp;
	(void)rx;
	(void)arg;
}

/*
 * Bindings: mark-and-sweep. Every binding the control plane holds (the
 * best of each AOR, cp_regsrv_sync(), paced by the answers) is sent
 * between SYNC_BEGIN and SYNC_END; the dataplane then drops the ones not sent, so bindings left
 * by an earlier control plane or a test tool go, and there is never a
 * moment without the registered ones.
 */
static void
sync_done(struct cp_app *app, struct cp_dp *dp, unsigned n)
{
	struct sl_sync s = {.what = SL_SYNC_BINDINGS, .count = n};
	if (cp_dp_request(dp, SL_MSG_SYNC_END, &s, sizeof(s), -1, app->cfg.push_timeout_ms,
			on_sync_end, app) != 0)
		cp_dp_fail(dp, "cannot queue the binding re-sync");
}

static void
sync_bindings(struct cp_app *app, struct cp_dp *dp)
{
	struct sl_sync s = {.what = SL_SYNC_BINDINGS};
	if (cp_dp_request(dp, SL_MSG_SYNC_BEGIN, &s, sizeof(s), -1, app->cfg.push_timeout_ms,
			on_ignore, NULL) != 0) {
		cp_dp_fail(dp, "cannot queue the binding re-sync");
		return;
	}
	cp_regsrv_sync(app, dp, sync_done);
}

static void
send_gw(struct cp_app *app, struct cp_dp *dp, const struct cp_gw *g)
{
	struct sl_gw_state s;
	memset(&s, 0, sizeof(s));
	snprintf(s.host, sizeof(s.host), "%s", g->host);
	s.port = g->port;
	s.transport = g->transport;
	s.down = cp_gw_down(g);
	if (cp_dp_request(dp, SL_MSG_GW_STATE, &s, sizeof(s), -1, app->cfg.push_timeout_ms,
			on_ignore, NULL) == 0)
		app->cnt[CP_C_GW_STATE_SENT]++;
}

static void
on_bridge_reply(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	const char *text;
	uint32_t tl;
	(void)arg;
	if (rx == NULL)
		return;
	int st = cp_dp_result(rx, &text, &tl);
	if (st == -ENOTSUP)
		cp_log("dataplane %s does not know BRIDGE (older): it answers 503 for TCP/TLS next "
				"hops instead of handing them to the relay", cp_dp_info(dp)->path);
	else if (st != 0)
		cp_log("dataplane %s refused BRIDGE: %s", cp_dp_info(dp)->path, strerror(-st));
}

/*
 * Tell the dataplane whether we send what its fast path cannot (TCP/TLS
 * next hops, large requests): with a relay, yes (link/sl_link.h BRIDGE).
 */
static void
send_bridge(struct cp_app *app, struct cp_dp *dp)
{
	struct sl_bridge b = {.flags = app->relay != NULL ? SL_BRIDGE_TRANSPORTS : 0};
	if (b.flags == 0)
		return; /* the dataplane's default: nothing bridged */
	cp_dp_request(dp, SL_MSG_BRIDGE, &b, sizeof(b), -1, app->cfg.push_timeout_ms,
			on_bridge_reply, NULL);
}

void
cp_plan_resync(struct cp_app *app, struct cp_dp *dp)
{
	const struct cp_dp_info *in = cp_dp_info(dp);
	struct cp_plan_cur *c = &app->cur;

	/* Names' addresses first: a named gateway is never up there without them. */
	if (app->dns != NULL)
		cp_dns_resync(app->dns, dp);
	if (c->plan != NULL && (strcmp(in->hello.plan_sha256, c->sha256) != 0 ||
			in->hello.plan_version != c->version)) {
		if (in->hello.plan_version > c->version)
			cp_log("dataplane %s serves version %llu, newer than ours (%llu): it keeps it "
					"until the next push", in->path,
					(unsigned long long)in->hello.plan_version,
					(unsigned long long)c->version);
		else if (push_to(app, dp, NULL) != 0)
			cp_dp_fail(dp, "cannot queue the plan push");
		else
			cp_log("dataplane %s: pushing plan version %llu (it had %llu)", in->path,
					(unsigned long long)c->version,
					(unsigned long long)in->hello.plan_version);
	} else {
		/* Same plan: only the gateway states may differ. */
		for (unsigned i = 0; i < cp_probe_count(app->probe); i++)
			send_gw(app, dp, cp_probe_gw(app->probe, i));
	}
	send_bridge(app, dp);
	sync_bindings(app, dp);
}

void
cp_plan_gw_broadcast(struct cp_app *app, const struct cp_gw *g)
{
	if (app->route != NULL)
		cp_route_gw_set(app->route, g->host, g->port, g->transport, cp_gw_down(g));
	for (unsigned i = 0; i < cp_dps_count(app->dps); i++) {
		struct cp_dp *dp = cp_dps_get(app->dps, i);
		enum cp_dp_state s = cp_dp_info(dp)->state;
		if (s == CP_DP_SYNC || s == CP_DP_READY)
			send_gw(app, dp, g);
	}
}

uint64_t *
cp_plan_gw_bitmap(struct cp_app *app)
{
	struct rules_plan_info in;
	if (app->cur.plan == NULL)
		return NULL;
	rules_plan_info(app->cur.plan, &in);
	uint64_t *bits = calloc((in.n_gateways + 63) / 64 + 1, sizeof(uint64_t));
	if (bits == NULL)
		return NULL;
	for (uint32_t i = 0; i < in.n_gateways; i++) {
		struct rules_gateway rg;
		char host[64];
		if (rules_plan_gateway(app->cur.plan, i, &rg) != 0)
			continue;
		snprintf(host, sizeof(host), "%.*s", (int)rg.host.len, rg.host.p);
		const struct cp_gw *g = cp_probe_find(app->probe, host, rg.port, rg.transport);
		if (g != NULL && cp_gw_down(g))
			bits[i / 64] |= 1ull << (i % 64);
	}
	return bits;
}
