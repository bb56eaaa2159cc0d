/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_TEST_H
#define CP_TEST_H

/*
 * What the control plane's tests share (tests/control/cp_test.c): calling a
 * method the way a client does, on a real event loop. Fails the running
 * cmocka test on an error; include <cmocka.h>'s prerequisites first.
 */

#include <jansson.h>

#include "cp_app.h"

/*
 * Send a JSON-RPC request for method (params: stolen; NULL is {}) to
 * app->rpc as pid 42, and turn app->loop (10 ms each) until it is answered,
 * at most turns times. Returns the parsed answer (caller decrefs); fails
 * the test when none came.
 */
json_t *cp_test_call(struct cp_app *app, const char *method, json_t *params, unsigned turns);

#endif
