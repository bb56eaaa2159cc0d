/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the control socket's JSON-RPC handler (cp_rpc.c). Any
 * line must give at most one answer, and that answer must be a JSON
 * text: one response object, or an array of them for a batch, each with
 * "jsonrpc": "2.0" and exactly one of result or error. Methods cover
 * typed parameters, paging, errors with data, and calls completed later
 * (some before the batch is detached, some after).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cp_rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cp_rpc_param p_all[] = {
	{"s", CP_T_STRING, false, ""},
	{"i", CP_T_INT, false, ""},
	{"b", CP_T_BOOL, false, ""},
	{"o", CP_T_OBJECT, false, ""},
	{"a", CP_T_ARRAY, false, ""},
	{"x", CP_T_ANY, false, ""},
	{"r", CP_T_INT, true, ""},
	{NULL, 0, false, NULL},
};
static const struct cp_rpc_param p_page[] = {
	CP_RPC_PAGE_PARAMS,
	{NULL, 0, false, NULL},
};

static void
m_echo(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	(void)ctx;
	cp_rpc_result(req, json_deep_copy(params));
}

static void
m_err(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	(void)ctx;
	cp_rpc_errorf(req, (int)cp_rpc_int(params, "r", -32000), json_pack("{s:s}", "s",
			cp_rpc_str(params, "s", "")), "error %lld", (long long)cp_rpc_int(params, "i", 0));
}

static void
m_page(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	uint64_t cursor;
	size_t limit;
	(void)ctx;
	if (cp_rpc_page_args(req, params, &cursor, &limit) != 0)
		return;
	json_t *all = json_array();
	for (int i = 0; i < 7; i++)
		json_array_append_new(all, json_integer(i));
	cp_rpc_result(req, cp_rpc_page(all, cursor, limit));
}

static struct cp_rpc_req *held[CP_RPC_MAX_BATCH + 1];
static unsigned n_held;

static void
m_later(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	(void)params;
	(void)ctx;
	held[n_held++] = req;
}

static const struct cp_rpc_method methods[] = {
	{"f.echo", "", p_all, false, m_echo},
	{"f.err", "", p_all, true, m_err},
	{"f.page", "", p_page, false, m_page},
	{"f.later", "", NULL, false, m_later},
};

static unsigned answers;

static void
check_response(const json_t *r)
{
	if (!json_is_object(r))
		abort();
	const json_t *v = json_object_get(r, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
		abort();
	if ((json_object_get(r, "result") != NULL) == (json_object_get(r, "error") != NULL))
		abort();
	if (json_object_get(r, "id") == NULL)
		abort();
	const json_t *e = json_object_get(r, "error");
	if (e != NULL && (!json_is_integer(json_object_get(e, "code")) ||
			!json_is_string(json_object_get(e, "message"))))
		abort();
}

static void
on_send(void *ctx, struct cp_rpc_batch *b, const char *text, size_t len)
{
	(void)ctx;
	(void)b;
	answers++;
	json_t *j = json_loadb(text, len, 0, NULL);
	if (j == NULL)
		abort();
	if (json_is_array(j)) {
		if (json_array_size(j) == 0)
			abort();
		for (size_t i = 0; i < json_array_size(j); i++)
			check_response(json_array_get(j, i));
	} else {
		check_response(j);
	}
	json_decref(j);
}

static struct cp_rpc *rpc;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cp_rpc_peer peer = {0, 0, 1};
	if (rpc == NULL) {
		rpc = cp_rpc_create();
		if (rpc == NULL || cp_rpc_register(rpc, methods, 4, NULL) != 0)
			abort();
	}
	answers = 0;
	n_held = 0;
	struct cp_rpc_batch *b = cp_rpc_handle(rpc, (const char *)data, size, &peer, on_send, NULL);
	if (b == NULL && n_held != 0)
		abort(); /* pending calls, but the batch claims to be complete */
	/* The first half of the pending calls complete, then (odd sizes) the client leaves. */
	unsigned half = n_held / 2;
	for (unsigned i = 0; i < half; i++)
		cp_rpc_result(held[i], json_integer(i));
	if (size & 1)
		cp_rpc_batch_detach(b);
	for (unsigned i = half; i < n_held; i++)
		cp_rpc_error(held[i], CP_RPC_BUSY, NULL, NULL);
	if (answers > 1)
		abort(); /* one line, one answer at most */
	return 0;
}
