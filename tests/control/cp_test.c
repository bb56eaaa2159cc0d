/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cp_loop.h"
#include "cp_rpc.h"
#include "cp_store.h"

struct cp_app *
cp_test_app_new(const char *path)
{
	char err[256];
	struct cp_app *app = calloc(1, sizeof(*app));
	assert_non_null(app);
	cp_config_defaults(&app->cfg);
	app->cur.memfd = -1;
	app->loop = cp_loop_create();
	app->store = cp_store_open(path, err, sizeof(err));
	assert_non_null(app->store);
	app->rpc = cp_rpc_create();
	return app;
}

void
cp_test_app_free(struct cp_app *app)
{
	cp_loop_free(app->loop);
	cp_rpc_free(app->rpc);
	cp_store_close(app->store);
	free(app);
}

struct answer {
	json_t *j;
};

static void
on_send(void *ctx, struct cp_rpc_batch *b, const char *text, size_t len)
{
	struct answer *a = ctx;
	(void)b;
	a->j = json_loadb(text, len, 0, NULL);
	assert_non_null(a->j);
}

void
cp_test_send(struct cp_app *app, const char *method, json_t *params, pid_t pid,
		cp_rpc_send_fn *send, void *ctx)
{
	/* cp_rpc_handle() copies the peer into each request it keeps. */
	const struct cp_rpc_peer peer = {0, 0, pid};
	json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method",
			method, "params", params ? params : json_object());
	char *line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	cp_rpc_handle(app->rpc, line, strlen(line), &peer, send, ctx);
	free(line);
}

json_t *
cp_test_call(struct cp_app *app, const char *method, json_t *params, unsigned turns)
{
	struct answer a = {NULL};
	cp_test_send(app, method, params, 42, on_send, &a);
	for (unsigned i = 0; a.j == NULL && i < turns; i++)
		cp_loop_once(app->loop, 10);
	assert_non_null(a.j);
	return a.j;
}
