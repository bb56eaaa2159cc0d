/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-RPC 2.0 parsing and dispatch (control/cp_rpc.c): a table of named
 * cases, each a request line and the exact answer expected (or none),
 * plus asynchronous completion, batches waiting for it, and paging.
 */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cp_rpc.h"

/* ---- test methods ---- */

static const struct cp_rpc_param echo_params[] = {
	{"a", CP_T_INT, true, "a number"},
	{"b", CP_T_STRING, false, "a string"},
	{"c", CP_T_BOOL, false, "a flag"},
	{NULL, 0, false, NULL},
};

static void
m_echo(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	(void)ctx;
	cp_rpc_result(req, json_deep_copy(params));
}

static const struct cp_rpc_param code_params[] = {
	{"code", CP_T_INT, true, "error code to answer with"},
	{NULL, 0, false, NULL},
};

static void
m_fail(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	(void)ctx;
	int code = (int)cp_rpc_int(params, "code", 0);
	cp_rpc_error(req, code, NULL, code == CP_RPC_VERSION_CONFLICT ?
			json_pack("{s:i, s:s}", "version", 7, "sha256", "ab") : NULL);
}

/* A method whose message quotes raw bytes that are not UTF-8. */
static void
m_raw(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	(void)params;
	(void)ctx;
	cp_rpc_errorf(req, -32000, NULL, "bad %s bytes", "\xff\xfe\xc0\xaf\xed\xa0\x80\xe2\x82");
}

/* Completed later by the test (held in `held`). */
static struct cp_rpc_req *held[4];
static unsigned n_held;

static void
m_later(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	(void)params;
	(void)ctx;
	held[n_held++] = req;
}

static const struct cp_rpc_param page_params[] = {
	CP_RPC_PAGE_PARAMS,
	{NULL, 0, false, NULL},
};

static void
m_page(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	uint64_t cursor;
	size_t limit;
	(void)ctx;
	if (cp_rpc_page_args(req, params, &cursor, &limit) != 0)
		return;
	json_t *all = json_array();
	for (int i = 0; i < 25; i++)
		json_array_append_new(all, json_integer(i));
	cp_rpc_result(req, cp_rpc_page(all, cursor, limit));
}

static unsigned logged;

static void
log_fn(const struct cp_rpc_peer *peer, const char *method, const json_t *params, void *ctx)
{
	(void)peer;
	(void)params;
	(void)ctx;
	assert_string_equal(method, "t.state");
	logged++;
}

static const struct cp_rpc_method methods[] = {
	{"t.echo", "echo the parameters", echo_params, false, m_echo},
	{"t.fail", "answer with an error", code_params, false, m_fail},
	{"t.later", "answer when the test says", NULL, false, m_later},
	{"t.page", "25 numbers, paged", page_params, false, m_page},
	{"t.state", "a state-changing call (logged)", NULL, true, m_echo},
	{"t.raw", "an error quoting bytes that are not UTF-8", NULL, false, m_raw},
};

/* ---- the output side ---- */

static char out[65536];
static unsigned n_out;

static void
on_send(void *ctx, struct cp_rpc_batch *b, const char *text, size_t len)
{
	(void)ctx;
	(void)b;
	assert_true(len < sizeof(out));
	memcpy(out, text, len);
	out[len] = '\0';
	n_out++;
}

static struct cp_rpc *
make(void)
{
	struct cp_rpc *rpc = cp_rpc_create();
	assert_non_null(rpc);
	assert_int_equal(cp_rpc_register(rpc, methods, sizeof(methods) / sizeof(methods[0]), NULL),
			0);
	cp_rpc_set_log(rpc, log_fn, NULL);
	return rpc;
}

/* Run one line; returns the answer ("" when none). */
static const char *
run(struct cp_rpc *rpc, const char *line)
{
	static const struct cp_rpc_peer peer = {0, 0, 1};
	n_out = 0;
	out[0] = '\0';
	struct cp_rpc_batch *b = cp_rpc_handle(rpc, line, strlen(line), &peer, on_send, NULL);
	assert_null(b);
	assert_true(n_out <= 1);
	return out;
}

/* Compare JSON texts structurally (member order does not matter). */
static void
assert_json(const char *got, const char *want, const char *name)
{
	if (*want == '\0') {
		if (*got != '\0')
			fail_msg("%s: expected no answer, got %s", name, got);
		return;
	}
	json_t *g = json_loads(got, JSON_DECODE_ANY, NULL);
	json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
	if (w == NULL)
		fail_msg("%s: the expected text is not JSON: %s", name, want);
	if (g == NULL || !json_equal(g, w))
		fail_msg("%s:\n  got  %s\n  want %s", name, got, want);
	json_decref(g);
	json_decref(w);
}

/* The answer's error code (0 if it is a result). */
static int
error_code(const char *text)
{
	json_t *a = json_loads(text, 0, NULL);
	assert_non_null(a);
	int c = (int)json_integer_value(json_object_get(json_object_get(a, "error"), "code"));
	json_decref(a);
	return c;
}

/* ---- the tables: JSON written with ' for " (none of the cases needs a real ') ---- */

static const char *
q(const char *s)
{
	static char buf[8192];
	size_t i;
	for (i = 0; s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = s[i] == '\'' ? '"' : s[i];
	buf[i] = '\0';
	return buf;
}

struct exact_case {
	const char *name;
	const char *in;
	const char *want;   /* exact JSON answer; "" for none */
};

static const struct exact_case exact[] = {
	{"named params", "{'jsonrpc':'2.0','id':1,'method':'t.echo','params':{'a':5,'b':'x'}}",
		"{'jsonrpc':'2.0','id':1,'result':{'a':5,'b':'x'}}"},
	{"named params in another order", "{'params':{'c':true,'a':1},'method':'t.echo',"
		"'id':'s','jsonrpc':'2.0'}",
		"{'jsonrpc':'2.0','id':'s','result':{'a':1,'c':true}}"},
	{"positional params", "{'jsonrpc':'2.0','id':2,'method':'t.echo','params':[3,'y',false]}",
		"{'jsonrpc':'2.0','id':2,'result':{'a':3,'b':'y','c':false}}"},
	{"positional, fewer than declared", "{'jsonrpc':'2.0','id':3,'method':'t.echo',"
		"'params':[4]}",
		"{'jsonrpc':'2.0','id':3,'result':{'a':4}}"},
	{"null id is answered", "{'jsonrpc':'2.0','id':null,'method':'t.echo','params':{'a':1}}",
		"{'jsonrpc':'2.0','id':null,'result':{'a':1}}"},
	{"notification: no answer", "{'jsonrpc':'2.0','method':'t.echo','params':{'a':1}}", ""},
	{"notification of an unknown method: no answer", "{'jsonrpc':'2.0','method':'nope'}", ""},
	{"batch", "[{'jsonrpc':'2.0','id':1,'method':'t.echo','params':{'a':1}},"
		"{'jsonrpc':'2.0','method':'t.echo','params':{'a':2}},"
		"{'jsonrpc':'2.0','id':3,'method':'nope'},5]",
		"[{'jsonrpc':'2.0','id':1,'result':{'a':1}},"
		"{'jsonrpc':'2.0','id':3,'error':{'code':-32601,"
		"'message':'no method \\u0027nope\\u0027 (system.listMethods lists them)'}},"
		"{'jsonrpc':'2.0','id':null,'error':{'code':-32600,"
		"'message':'a request must be an object'}}]"},
	{"batch of notifications: no answer", "[{'jsonrpc':'2.0','method':'t.echo',"
		"'params':{'a':1}}]", ""},
	{"empty batch", "[]",
		"{'jsonrpc':'2.0','id':null,'error':{'code':-32600,'message':'empty batch'}}"},
	{"version conflict carries the current version", "{'jsonrpc':'2.0','id':9,"
		"'method':'t.fail','params':{'code':-32001}}",
		"{'jsonrpc':'2.0','id':9,'error':{'code':-32001,'message':'Version conflict',"
		"'data':{'version':7,'sha256':'ab'}}}"},
	/*
	 * Messages are valid UTF-8 whatever they quote: a name cut inside a
	 * character by "%.64s" (63 bytes, then the two of U+017A), and bytes
	 * that begin no character (0xff, 0xfe, an overlong '/', a surrogate, a
	 * character cut at the end), each a '?'.
	 */
	{"method name cut inside a character", "{'jsonrpc':'2.0','id':4,'method':'"
		"system.listMethods;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;\xc5\xba" "ds'}",
		"{'jsonrpc':'2.0','id':4,'error':{'code':-32601,'message':'no method \\u0027"
		"system.listMethods;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;?\\u0027 "
		"(system.listMethods lists them)'}}"},
	{"message quoting bytes that are not UTF-8", "{'jsonrpc':'2.0','id':5,'method':'t.raw'}",
		"{'jsonrpc':'2.0','id':5,'error':{'code':-32000,"
		"'message':'bad ????????? bytes'}}"},
	{"system.methodHelp", "{'jsonrpc':'2.0','id':1,'method':'system.methodHelp',"
		"'params':['t.fail']}",
		"{'jsonrpc':'2.0','id':1,'result':{'name':'t.fail',"
		"'summary':'answer with an error','changes_state':false,"
		"'params':[{'name':'code','type':'integer','required':true,"
		"'help':'error code to answer with'}]}}"},
};

static void
test_exact(void **state)
{
	(void)state;
	struct cp_rpc *rpc = make();
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
	{
		char want[8192];
		snprintf(want, sizeof(want), "%s", q(exact[i].want));
		assert_json(run(rpc, q(exact[i].in)), want, exact[i].name);
	}
	cp_rpc_free(rpc);
}

struct code_case {
	const char *name;
	const char *in;
	int code;
};

static const struct code_case codes[] = {
	{"not JSON", "{'jsonrpc':", CP_RPC_PARSE_ERROR},
	{"trailing garbage", "{'jsonrpc':'2.0','id':1,'method':'t.echo'} x", CP_RPC_PARSE_ERROR},
	{"duplicate member", "{'jsonrpc':'2.0','id':1,'id':2,"
		"'method':'t.echo'}", CP_RPC_PARSE_ERROR},
	{"a number", "42", CP_RPC_INVALID_REQUEST},
	{"a string", "'x'", CP_RPC_INVALID_REQUEST},
	{"no jsonrpc", "{'id':1,'method':'t.echo'}", CP_RPC_INVALID_REQUEST},
	{"jsonrpc 1.0", "{'jsonrpc':'1.0','id':1,'method':'t.echo'}", CP_RPC_INVALID_REQUEST},
	{"method a number", "{'jsonrpc':'2.0','id':1,'method':5}", CP_RPC_INVALID_REQUEST},
	{"params a string", "{'jsonrpc':'2.0','id':1,'method':'t.echo',"
		"'params':'a'}", CP_RPC_INVALID_REQUEST},
	{"id an object", "{'jsonrpc':'2.0','id':{},'method':'t.echo'}", CP_RPC_INVALID_REQUEST},
	{"unknown member", "{'jsonrpc':'2.0','id':1,'method':'t.echo',"
		"'x':1}", CP_RPC_INVALID_REQUEST},
	{"unknown method", "{'jsonrpc':'2.0','id':1,'method':'no.such'}", CP_RPC_METHOD_NOT_FOUND},
	{"missing required", "{'jsonrpc':'2.0','id':1,'method':'t.echo',"
		"'params':{}}", CP_RPC_INVALID_PARAMS},
	{"no params, one required", "{'jsonrpc':'2.0','id':1,"
		"'method':'t.echo'}", CP_RPC_INVALID_PARAMS},
	{"wrong type", "{'jsonrpc':'2.0','id':1,'method':'t.echo',"
		"'params':{'a':'1'}}", CP_RPC_INVALID_PARAMS},
	{"real for an integer", "{'jsonrpc':'2.0','id':1,'method':'t.echo',"
		"'params':{'a':1.5}}", CP_RPC_INVALID_PARAMS},
	{"unknown parameter", "{'jsonrpc':'2.0','id':1,'method':'t.echo','params':{'a':1,"
		"'z':1}}", CP_RPC_INVALID_PARAMS},
	{"too many positional", "{'jsonrpc':'2.0','id':1,'method':'t.echo','params':[1,'b',"
		"true,4]}", CP_RPC_INVALID_PARAMS},
	{"positional wrong type", "{'jsonrpc':'2.0','id':1,'method':'t.echo',"
		"'params':[true]}", CP_RPC_INVALID_PARAMS},
	{"internal error", "{'jsonrpc':'2.0','id':1,'method':'t.fail',"
		"'params':{'code':-32603}}", CP_RPC_INTERNAL_ERROR},
	{"compile error", "{'jsonrpc':'2.0','id':1,'method':'t.fail',"
		"'params':{'code':-32000}}", CP_RPC_COMPILE_ERROR},
	{"busy", "{'jsonrpc':'2.0','id':1,'method':'t.fail',"
		"'params':{'code':-32002}}", CP_RPC_BUSY},
	{"dataplane unavailable", "{'jsonrpc':'2.0','id':1,'method':'t.fail',"
		"'params':{'code':-32003}}", CP_RPC_DATAPLANE_UNAVAILABLE},
	{"not found", "{'jsonrpc':'2.0','id':1,'method':'t.fail',"
		"'params':{'code':-32004}}", CP_RPC_NOT_FOUND},
	{"store error", "{'jsonrpc':'2.0','id':1,'method':'t.fail',"
		"'params':{'code':-32005}}", CP_RPC_STORE_ERROR},
	{"methodHelp of nothing", "{'jsonrpc':'2.0','id':1,'method':'system.methodHelp',"
		"'params':{'method':'x'}}", CP_RPC_NOT_FOUND},
	{"bad cursor", "{'jsonrpc':'2.0','id':1,'method':'t.page',"
		"'params':{'cursor':'x1'}}", CP_RPC_INVALID_PARAMS},
	{"negative cursor", "{'jsonrpc':'2.0','id':1,'method':'t.page',"
		"'params':{'cursor':'-1'}}", CP_RPC_INVALID_PARAMS},
	{"limit 0", "{'jsonrpc':'2.0','id':1,'method':'t.page',"
		"'params':{'limit':0}}", CP_RPC_INVALID_PARAMS},
	{"limit too large", "{'jsonrpc':'2.0','id':1,'method':'t.page',"
		"'params':{'limit':100000}}", CP_RPC_INVALID_PARAMS},
};

/* cp_rpc_string(): valid UTF-8 kept, each byte that begins no character a '?'. */
static void
test_utf8_strings(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"plain", "plain"},
		{"na\xc3\xafve \xc5\xba \xf0\x9f\x98\x80 \xe2\x82\xac", /* 2, 3 and 4 bytes */
			"na\xc3\xafve \xc5\xba \xf0\x9f\x98\x80 \xe2\x82\xac"},
		{"a\xff" "b\xfe", "a?b?"},
		{"cut \xe2\x82", "cut ??"},                       /* a character cut at the end */
		{"cut \xc5'", "cut ?'"},                           /* ... or before a quote */
		{"overlong \xc0\xaf \xe0\x80\xaf", "overlong ?? ???"}, /* '/' in 2 and 3 bytes */
		{"surrogate \xed\xa0\x80", "surrogate ???"},
		{"past U+10FFFF \xf4\x90\x80\x80", "past U+10FFFF ????"},
		{"overlong in 4 \xf0\x8f\xbf\xbf", "overlong in 4 ????"},
		{"stray \x80\xbf", "stray ??"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = cp_rpc_string(cases[i].in);
		assert_non_null(j);
		assert_string_equal(json_string_value(j), cases[i].want);
		json_decref(j);
	}
	/* Longer than a message when repaired: cut, still a string. */
	char big[700];
	memset(big, 0xff, sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_t *j = cp_rpc_string(big);
	assert_non_null(j);
	assert_int_equal(strlen(json_string_value(j)), CP_RPC_MSG_MAX - 1);
	assert_int_equal(strspn(json_string_value(j), "?"), CP_RPC_MSG_MAX - 1);
	json_decref(j);
	/* A character that would not fit whole is left out, not cut. */
	memset(big, 0xff, CP_RPC_MSG_MAX - 2);
	memcpy(big + CP_RPC_MSG_MAX - 2, "\xf0\x9f\x98\x80", 5);
	j = cp_rpc_string(big);
	assert_non_null(j);
	assert_int_equal(strlen(json_string_value(j)), CP_RPC_MSG_MAX - 2);
	assert_int_equal(strspn(json_string_value(j), "?"), CP_RPC_MSG_MAX - 2);
	json_decref(j);
}

/* cp_rpc_stringn(): a length, NUL bytes kept, and no cut however long. */
static void
test_utf8_stringn(void **state)
{
	(void)state;
	json_t *j = cp_rpc_stringn("a\xff\0b\xe2\x82\xac" "c\xe2\x82", 9);
	assert_non_null(j);
	assert_int_equal(json_string_length(j), 9);
	assert_memory_equal(json_string_value(j), "a?\0b\xe2\x82\xac" "c?", 9);
	json_decref(j);
	/* The length is what counts: a character cut by it is repaired. */
	j = cp_rpc_stringn("x\xc3\xa9", 2);
	assert_non_null(j);
	assert_string_equal(json_string_value(j), "x?");
	json_decref(j);
	/* A dialplan's text: longer than a message, kept whole. */
	size_t n = 3 * CP_RPC_MSG_MAX;
	char *big = malloc(n);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = i % 100 == 99 ? '\xe9' : 'a'; /* Latin-1 e acute */
	big[n - 1] = '\xc3'; /* cut at the end */
	j = cp_rpc_stringn(big, n);
	assert_non_null(j);
	assert_int_equal(json_string_length(j), n);
	assert_int_equal(json_string_value(j)[99], '?');
	assert_int_equal(json_string_value(j)[n - 1], '?');
	assert_int_equal(json_string_value(j)[n - 2], 'a');
	json_decref(j);
	free(big);
	j = cp_rpc_stringn(NULL, 0);
	assert_string_equal(json_string_value(j), "");
	json_decref(j);
	assert_null(cp_rpc_string(NULL));
}

static void
test_codes(void **state)
{
	(void)state;
	struct cp_rpc *rpc = make();
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *a = run(rpc, q(codes[i].in));
		if (*a == '\0')
			fail_msg("%s: no answer", codes[i].name);
		int c = error_code(a);
		if (c != codes[i].code)
			fail_msg("%s: code %d, expected %d (%s)", codes[i].name, c, codes[i].code, a);
		/* Every error has a message. */
		json_t *j = json_loads(a, 0, NULL);
		assert_true(json_is_string(json_object_get(json_object_get(j, "error"), "message")));
		json_decref(j);
	}
	cp_rpc_free(rpc);
}

static void
test_batch_too_large(void **state)
{
	(void)state;
	struct cp_rpc *rpc = make();
	size_t cap = (CP_RPC_MAX_BATCH + 2) * 64;
	char *line = malloc(cap);
	size_t n = 0;
	line[n++] = '[';
	for (int i = 0; i <= CP_RPC_MAX_BATCH; i++)
		n += (size_t)snprintf(line + n, cap - n, "%s{\"jsonrpc\":\"2.0\",\"method\":\"t.echo\"}",
				i ? "," : "");
	line[n++] = ']';
	line[n] = '\0';
	assert_int_equal(error_code(run(rpc, line)), CP_RPC_INVALID_REQUEST);
	free(line);
	cp_rpc_free(rpc);
}

static void
test_list_and_duplicates(void **state)
{
	(void)state;
	struct cp_rpc *rpc = make();
	const char *a = run(rpc, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.listMethods\"}");
	json_t *j = json_loads(a, 0, NULL);
	json_t *r = json_object_get(j, "result");
	assert_int_equal(json_array_size(r), 2 + sizeof(methods) / sizeof(methods[0]));
	json_decref(j);
	/* A module cannot take a name already registered. */
	assert_int_equal(cp_rpc_register(rpc, methods, 1, NULL), -EEXIST);
	cp_rpc_free(rpc);
}

static void
test_state_changes_logged(void **state)
{
	(void)state;
	struct cp_rpc *rpc = make();
	logged = 0;
	run(rpc, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t.echo\",\"params\":{\"a\":1}}");
	assert_int_equal(logged, 0);
	run(rpc, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t.state\"}");
	assert_int_equal(logged, 1);
	/* Refused before dispatch: nothing changed, nothing logged. */
	run(rpc, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t.state\",\"params\":{\"x\":1}}");
	assert_int_equal(logged, 1);
	cp_rpc_free(rpc);
}

static void
test_paging(void **state)
{
	(void)state;
	struct cp_rpc *rpc = make();
	char line[256], cursor[32] = "";
	int seen = 0, pages = 0;
	for (;;) {
		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t.page\","
				"\"params\":{\"limit\":10%s%s%s}}", *cursor ? ",\"cursor\":\"" : "", cursor,
				*cursor ? "\"" : "");
		json_t *j = json_loads(run(rpc, line), 0, NULL);
		json_t *r = json_object_get(j, "result");
		assert_non_null(r);
		assert_int_equal(json_integer_value(json_object_get(r, "total")), 25);
		json_t *items = json_object_get(r, "items");
		for (size_t i = 0; i < json_array_size(items); i++)
			assert_int_equal(json_integer_value(json_array_get(items, i)), seen++);
		pages++;
		json_t *next = json_object_get(r, "next_cursor");
		if (json_is_null(next)) {
			json_decref(j);
			break;
		}
		snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
		json_decref(j);
	}
	assert_int_equal(seen, 25);
	assert_int_equal(pages, 3);
	/* Past the end: an empty page, no next cursor. */
	json_t *j = json_loads(run(rpc, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t.page\","
			"\"params\":{\"cursor\":\"99\"}}"), 0, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "result"), "items")), 0);
	assert_true(json_is_null(json_object_get(json_object_get(j, "result"), "next_cursor")));
	json_decref(j);
	cp_rpc_free(rpc);
}

static void
test_async_and_batches(void **state)
{
	(void)state;
	struct cp_rpc *rpc = make();
	static const struct cp_rpc_peer peer = {0, 0, 1};
	const char *one = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"t.later\"}";

	n_held = 0;
	n_out = 0;
	struct cp_rpc_batch *b = cp_rpc_handle(rpc, one, strlen(one), &peer, on_send, NULL);
	assert_non_null(b);
	assert_int_equal(n_out, 0);
	cp_rpc_result(held[0], json_string("done"));
	assert_int_equal(n_out, 1);
	assert_json(out, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"done\"}", "async");

	/* A batch is answered once its last call completes, in one text. */
	const char *batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t.later\"},"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"t.echo\",\"params\":{\"a\":2}},"
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"t.later\"}]";
	n_held = 0;
	n_out = 0;
	b = cp_rpc_handle(rpc, batch, strlen(batch), &peer, on_send, NULL);
	assert_non_null(b);
	assert_int_equal(n_held, 2);
	cp_rpc_result(held[1], json_integer(3));
	assert_int_equal(n_out, 0);
	cp_rpc_error(held[0], CP_RPC_BUSY, NULL, NULL);
	assert_int_equal(n_out, 1);
	json_t *j = json_loads(out, 0, NULL);
	assert_int_equal(json_array_size(j), 3);
	json_decref(j);

	/* Detached (the client left): the answer is dropped, memory freed. */
	n_held = 0;
	n_out = 0;
	b = cp_rpc_handle(rpc, one, strlen(one), &peer, on_send, NULL);
	cp_rpc_batch_detach(b);
	cp_rpc_result(held[0], json_true());
	assert_int_equal(n_out, 0);
	cp_rpc_free(rpc);
}

static int
cmp_int(const void *a, const void *b)
{
	json_int_t x = json_integer_value(*(json_t *const *)a);
	json_int_t y = json_integer_value(*(json_t *const *)b);
	return x < y ? -1 : x > y;
}

/* cp_rpc_sorted(): every element once, in the comparator's order; empty arrays too. */
static void
test_sorted(void **state)
{
	(void)state;
	json_t *all = json_array();
	for (int i = 0; i < 100; i++)
		json_array_append_new(all, json_integer((i * 37) % 100));
	json_t *s = cp_rpc_sorted(all, cmp_int);
	assert_int_equal(json_array_size(s), 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(json_integer_value(json_array_get(s, (size_t)i)), i);
	json_decref(s);
	s = cp_rpc_sorted(json_array(), cmp_int);
	assert_non_null(s);
	assert_int_equal(json_array_size(s), 0);
	json_decref(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_utf8_strings),
		cmocka_unit_test(test_utf8_stringn),
		cmocka_unit_test(test_batch_too_large),
		cmocka_unit_test(test_list_and_duplicates),
		cmocka_unit_test(test_state_changes_logged),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_sorted),
		cmocka_unit_test(test_async_and_batches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
