/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_TEST_H
#define CP_TEST_H

/*
 * What the control plane's tests share (tests/control/cp_test.c): calling a
 * method the way a client does, on a real event loop. Fails the running
 * cmocka test on an error; include <cmocka.h>'s prerequisites first.
 */

#include <sys/types.h>

#include <jansson.h>

#include "cp_app.h"
#include "cp_rpc.h"

/*
 * An application with what every method needs and nothing started: the
 * default config, an event loop, the store at path (":memory:" works) and
 * an RPC table without methods. Fails the test if the store does not open.
 */
struct cp_app *cp_test_app_new(const char *path);
/*
 * Free what cp_test_app_new() made (loop, RPC, store, app), after the test
 * stopped the modules it started on them.
 */
void cp_test_app_free(struct cp_app *app);

/*
 * Hand a JSON-RPC request for method (params: stolen; NULL is {}) to
 * app->rpc as process pid; the answer goes to send(ctx), now or later.
 * Does not wait.
 */
void cp_test_send(struct cp_app *app, const char *method, json_t *params, pid_t pid,
		cp_rpc_send_fn *send, void *ctx);
/*
 * Send a JSON-RPC request for method (params: stolen; NULL is {}) to
 * app->rpc as pid 42, and turn app->loop (10 ms each) until it is answered,
 * at most turns times. Returns the parsed answer (caller decrefs); fails
 * the test when none came.
 */
json_t *cp_test_call(struct cp_app *app, const char *method, json_t *params, unsigned turns);

#endif
