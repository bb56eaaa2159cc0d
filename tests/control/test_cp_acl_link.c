/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * acl.* and limits.* through the real methods (control/cp_acl_app.c) on a
 * real event loop, against two fake dataplanes on the control link: a
 * current one (compiles ACL_PUSH with the dataplane's parser, answers
 * ACL_GET and SRC_TOP_GET) and an older one (answers every new message
 * with -ENOTSUP). Checked: a broken text is refused with every line and
 * nothing is pushed; an accepted one is pushed, reported per dataplane
 * (ok / unsupported); acl.list shows each dataplane's SHA-256; limits.top
 * with the limit off is an answer, not an error; after a restart of the
 * control plane the stored ACL is pushed again at HELLO; acl.clear sends
 * a CLEAR.
 */
#include <setjmp.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "cp_acl.h"
#include "cp_app.h"
#include "cp_loop.h"
#include "cp_rpc.h"
#include "cp_store.h"
#include "cp_test.h"
#include "sl_link_io.h"

static const char ACL_OK[] = "default deny drop\nallow 192.0.2.0/24 register\n";
static const char ACL_BAD[] = "allow 192.0.2.1/24\nallow 192.0.2.0/24\nnope\nallow 192.0.2.0/24\n";

/* ---- a fake dataplane: one thread, one client at a time ---- */

struct fake {
	char path[108];
	bool old;                 /* an older dataplane: -ENOTSUP for the ACL and SRC_TOP messages */
	int lfd;
	pthread_t th;
	volatile int stop;
	pthread_mutex_t mu;
	/* what it got (under mu) */
	unsigned pushes, clears;
	char text[256];
	char sha[65];
};

static void
fake_serve(struct fake *f, int c)
{
	struct sl_rx *rx = malloc(sizeof(*rx));
	sl_rx_init(rx);
	while (!f->stop) {
		struct pollfd p = {.fd = c, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int rc;
		while ((rc = sl_link_recv(c, rx)) == 1) {
			uint16_t t = rx->hdr.type;
			uint32_t seq = rx->hdr.seq;
			if (t == SL_MSG_HELLO) {
				struct sl_hello_ack ack;
				memset(&ack, 0, sizeof(ack));
				ack.pid = 1;
				ack.lcores = 1;
				sl_link_send(c, SL_MSG_HELLO_ACK, seq, &ack, sizeof(ack), -1);
			} else if (t == SL_MSG_STATS_GET) {
				struct sl_stats st = {0};
				sl_link_send(c, SL_MSG_STATS, seq, &st, sizeof(st), -1);
			} else if (f->old && (t == SL_MSG_ACL_PUSH || t == SL_MSG_ACL_GET ||
					t == SL_MSG_SRC_TOP_GET)) {
				sl_link_send_result(c, seq, -ENOTSUP, "unknown message type", 20);
			} else if (t == SL_MSG_ACL_PUSH) {
				struct sl_acl_push ap;
				memcpy(&ap, sl_rx_payload(rx), sizeof(ap));
				pthread_mutex_lock(&f->mu);
				if (ap.flags & SL_ACL_CLEAR) {
					f->clears++;
					f->sha[0] = '\0';
				} else {
					char buf[256] = "";
					ssize_t n = pread(rx->fd, buf, sizeof(buf) - 1, 0);
					assert_int_equal(n, (ssize_t)ap.size);
					buf[n] = '\0';
					f->pushes++;
					snprintf(f->text, sizeof(f->text), "%s", buf);
					dp_acl_sha256(buf, (size_t)n, f->sha);
				}
				pthread_mutex_unlock(&f->mu);
				sl_link_send_result(c, seq, 0, NULL, 0);
			} else if (t == SL_MSG_ACL_GET) {
				struct sl_acl_state st;
				memset(&st, 0, sizeof(st));
				pthread_mutex_lock(&f->mu);
				st.source = f->sha[0] ? SL_ACL_PUSHED : SL_ACL_NONE;
				snprintf(st.sha256, sizeof(st.sha256), "%s", f->sha);
				pthread_mutex_unlock(&f->mu);
				sl_link_send(c, SL_MSG_ACL_STATE, seq, &st, sizeof(st), -1);
			} else if (t == SL_MSG_SRC_TOP_GET) {
				struct sl_src_top h = {0}; /* --src-rate off */
				sl_link_send(c, SL_MSG_SRC_TOP, seq, &h, sizeof(h), -1);
			} else {
				sl_link_send_result(c, seq, 0, NULL, 0);
			}
			sl_rx_reset(rx);
		}
		if (rc < 0)
			break;
	}
	free(rx);
	close(c);
}

static void *
fake_thread(void *arg)
{
	struct fake *f = arg;
	while (!f->stop) {
		struct pollfd p = {.fd = f->lfd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(f->lfd, NULL, NULL);
		if (c >= 0)
			fake_serve(f, c);
	}
	return NULL;
}

static void
fake_start(struct fake *f, const char *path, bool old)
{
	char err[200];
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->old = old;
	pthread_mutex_init(&f->mu, NULL);
	f->lfd = sl_link_listen(path, NULL, err, sizeof(err));
	if (f->lfd < 0)
		fail_msg("listen %s: %s", path, err);
	assert_int_equal(pthread_create(&f->th, NULL, fake_thread, f), 0);
}

static void
fake_stop(struct fake *f)
{
	f->stop = 1;
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(f->path);
	pthread_mutex_destroy(&f->mu);
}

static unsigned
fake_count(struct fake *f, bool clears)
{
	pthread_mutex_lock(&f->mu);
	unsigned n = clears ? f->clears : f->pushes;
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* ---- the control plane ---- */

static void
on_hello(struct cp_dp *dp, void *ctx)
{
	/* As main.c, without the plan and bindings re-sync (no registrar here). */
	cp_acl_resync(ctx, dp);
	cp_dp_set_ready(dp);
}

static char dir[64], store[96], paths[2][256];

static struct cp_app *
app_new(void)
{
	char err[256];
	struct cp_app *app = cp_test_app_new(store);
	struct cp_dp_conf dc = {.reconnect_min_ms = 50, .reconnect_max_ms = 200,
		.stats_poll_ms = 60000};
	struct cp_dp_ops ops = {.on_hello = on_hello, .ctx = app};
	app->dps = cp_dps_create(app->loop, &dc, &ops);
	assert_int_equal(cp_acl_start(app, err, sizeof(err)), 0);
	assert_int_equal(cp_dps_set_paths(app->dps, paths, 2), 0);
	for (int i = 0; cp_dps_ready(app->dps) < 2 && i < 500; i++)
		cp_loop_once(app->loop, 10);
	assert_int_equal(cp_dps_ready(app->dps), 2);
	return app;
}

static void
app_free(struct cp_app *app)
{
	cp_dps_free(app->dps);
	cp_acl_stop(app);
	cp_test_app_free(app);
}

/* Call method and wait for its answer (cp_test_call()). */
static json_t *
call(struct cp_app *app, const char *method, json_t *params)
{
	return cp_test_call(app, method, params, 1000);
}

static json_t *
result(json_t *a)
{
	json_t *r = json_object_get(a, "result");
	if (r == NULL)
		fail_msg("expected a result, got %s", json_dumps(a, JSON_COMPACT));
	return r;
}

/* The entry of dataplanes[] for path. */
static json_t *
dp_of(json_t *r, const char *path)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(r, "dataplanes"), i, d)
		if (strcmp(json_string_value(json_object_get(d, "dataplane")), path) == 0)
			return d;
	fail_msg("no dataplane %s in %s", path, json_dumps(r, JSON_COMPACT));
	return NULL;
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "(null)";
}

static void
test_push_report_resync_clear(void **state)
{
	struct fake cur, old;
	char sha[65];
	(void)state;

	snprintf(dir, sizeof(dir), "/tmp/test_cp_acl_link.%d", (int)getpid());
	snprintf(store, sizeof(store), "%s/control.db", dir);
	snprintf(paths[0], sizeof(paths[0]), "%s/dp0.sock", dir);
	snprintf(paths[1], sizeof(paths[1]), "%s/dp1.sock", dir);
	fake_start(&cur, paths[0], false);
	fake_start(&old, paths[1], true);
	dp_acl_sha256(ACL_OK, strlen(ACL_OK), sha);

	struct cp_app *app = app_new();
	/* Never set: nothing pushed at HELLO (the dataplanes' files serve). */
	assert_int_equal(fake_count(&cur, false) + fake_count(&cur, true), 0);

	/* A broken text: every error with its line; nothing stored or pushed. */
	json_t *a = call(app, "acl.set", json_pack("{s:s}", "text", ACL_BAD));
	json_t *e = json_object_get(a, "error");
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "code")), CP_RPC_COMPILE_ERROR);
	json_t *errs = json_object_get(json_object_get(e, "data"), "errors");
	assert_int_equal(json_array_size(errs), 3);
	assert_non_null(strstr(json_string_value(json_array_get(errs, 0)), "acl:1: "));
	assert_non_null(strstr(json_string_value(json_array_get(errs, 1)), "acl:3: "));
	assert_non_null(strstr(json_string_value(json_array_get(errs, 2)), "acl:4: the same prefix as line 2"));
	json_decref(a);
	assert_int_equal(fake_count(&cur, false), 0);

	/* Accepted: pushed; the older dataplane is reported as such. */
	a = call(app, "acl.set", json_pack("{s:s}", "text", ACL_OK));
	json_t *r = result(a);
	assert_int_equal(json_integer_value(json_object_get(r, "version")), 1);
	assert_string_equal(str(r, "sha256"), sha);
	assert_string_equal(str(dp_of(r, paths[0]), "result"), "ok");
	assert_string_equal(str(dp_of(r, paths[1]), "result"), "unsupported");
	json_decref(a);
	assert_int_equal(fake_count(&cur, false), 1);
	assert_string_equal(cur.text, ACL_OK);

	/* acl.list: the entries, and each dataplane's SHA-256. */
	a = call(app, "acl.list", NULL);
	r = result(a);
	assert_string_equal(str(r, "source"), "pushed");
	assert_int_equal(json_array_size(json_object_get(r, "items")), 1);
	assert_string_equal(str(json_array_get(json_object_get(r, "items"), 0), "prefix"),
			"192.0.2.0/24");
	assert_string_equal(str(dp_of(r, paths[0]), "sha256"), sha);
	assert_true(json_is_true(json_object_get(dp_of(r, paths[0]), "agrees")));
	assert_string_equal(str(dp_of(r, paths[1]), "result"), "unsupported");
	json_decref(a);

	/* acl.test on the pushed list. */
	a = call(app, "acl.test", json_pack("{s:s, s:s}", "source", "192.0.2.9:5070", "method",
			"REGISTER"));
	r = result(a);
	assert_string_equal(str(r, "verdict"), "allow register");
	assert_int_equal(json_integer_value(json_object_get(r, "line")), 2);
	assert_true(json_is_true(json_object_get(r, "permitted")));
	json_decref(a);
	a = call(app, "acl.test", json_pack("{s:s}", "source", "nonsense"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "error"), "code")),
			CP_RPC_INVALID_PARAMS);
	json_decref(a);

	/* limits.top with the limit off: an answer. */
	a = call(app, "limits.top", json_pack("{s:i}", "n", 5));
	r = result(a);
	assert_int_equal(json_array_size(json_object_get(r, "top")), 0);
	assert_true(json_is_false(json_object_get(dp_of(r, paths[0]), "enabled")));
	assert_string_equal(str(dp_of(r, paths[1]), "result"), "unsupported");
	json_decref(a);

	/* A control plane restarted pushes the stored ACL again at HELLO. */
	app_free(app);
	app = app_new();
	for (int i = 0; fake_count(&cur, false) < 2 && i < 300; i++)
		cp_loop_once(app->loop, 10);
	assert_int_equal(fake_count(&cur, false), 2);
	assert_string_equal(cur.text, ACL_OK);

	/* acl.clear: a CLEAR to the dataplanes, version 2. */
	a = call(app, "acl.clear", NULL);
	r = result(a);
	assert_int_equal(json_integer_value(json_object_get(r, "version")), 2);
	assert_string_equal(str(r, "source"), "none");
	assert_string_equal(str(dp_of(r, paths[0]), "result"), "ok");
	json_decref(a);
	assert_int_equal(fake_count(&cur, true), 1);

	app_free(app);
	fake_stop(&cur);
	fake_stop(&old);
	char p[160];
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_report_resync_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
