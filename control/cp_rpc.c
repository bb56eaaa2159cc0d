/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_rpc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reg {
	const struct cp_rpc_method *m;
	void *ctx;
};

struct cp_rpc {
	struct reg *reg;
	size_t n, cap;
	cp_rpc_log_fn *log;
	void *log_ctx;
};

/*
 * The answer to one input line. out holds one response per call that has
 * an id (an array for a batch); pending counts calls not completed yet.
 */
struct cp_rpc_batch {
	bool is_batch;
	bool detached;
	unsigned pending;
	unsigned started;    /* 1 while cp_rpc_handle() runs: no send before it returns */
	json_t *out;         /* array of responses */
	cp_rpc_send_fn *send;
	void *ctx;
};

struct cp_rpc_req {
	struct cp_rpc_batch *b;
	json_t *id;          /* NULL for a notification */
	const struct cp_rpc_method *m;
	struct cp_rpc_peer peer;
	bool done;
};

const char *
cp_rpc_code_message(int code)
{
	switch (code) {
	case CP_RPC_PARSE_ERROR: return "Parse error";
	case CP_RPC_INVALID_REQUEST: return "Invalid Request";
	case CP_RPC_METHOD_NOT_FOUND: return "Method not found";
	case CP_RPC_INVALID_PARAMS: return "Invalid params";
	case CP_RPC_INTERNAL_ERROR: return "Internal error";
	case CP_RPC_COMPILE_ERROR: return "Dialplan compile error";
	case CP_RPC_VERSION_CONFLICT: return "Version conflict";
	case CP_RPC_BUSY: return "Busy";
	case CP_RPC_DATAPLANE_UNAVAILABLE: return "Dataplane unavailable";
	case CP_RPC_NOT_FOUND: return "Not found";
	case CP_RPC_STORE_ERROR: return "Store error";
	default: return "Server error";
	}
}

const char *
cp_rpc_type_name(enum cp_rpc_type t)
{
	switch (t) {
	case CP_T_STRING: return "string";
	case CP_T_INT: return "integer";
	case CP_T_BOOL: return "boolean";
	case CP_T_OBJECT: return "object";
	case CP_T_ARRAY: return "array";
	case CP_T_ANY: return "any";
	}
	return "?";
}

static void sys_list(struct cp_rpc_req *req, json_t *params, void *ctx);
static void sys_help(struct cp_rpc_req *req, json_t *params, void *ctx);

static const struct cp_rpc_param help_params[] = {
	{"method", CP_T_STRING, true, "a method name"},
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_method system_methods[] = {
	{"system.listMethods", "names of every method", NULL, false, sys_list},
	{"system.methodHelp", "what a method does and its parameters", help_params, false,
		sys_help},
};

struct cp_rpc *
cp_rpc_create(void)
{
	struct cp_rpc *rpc = calloc(1, sizeof(struct cp_rpc));
	if (rpc == NULL)
		return NULL;
	if (cp_rpc_register(rpc, system_methods, 2, rpc) != 0) {
		cp_rpc_free(rpc);
		return NULL;
	}
	return rpc;
}

void
cp_rpc_free(struct cp_rpc *rpc)
{
	if (rpc == NULL)
		return;
	free(rpc->reg);
	free(rpc);
}

void
cp_rpc_set_log(struct cp_rpc *rpc, cp_rpc_log_fn *fn, void *ctx)
{
	rpc->log = fn;
	rpc->log_ctx = ctx;
}

static const struct reg *
find(const struct cp_rpc *rpc, const char *name)
{
	for (size_t i = 0; i < rpc->n; i++)
		if (strcmp(rpc->reg[i].m->name, name) == 0)
			return &rpc->reg[i];
	return NULL;
}

const struct cp_rpc_method *
cp_rpc_find(const struct cp_rpc *rpc, const char *name)
{
	const struct reg *r = find(rpc, name);
	return r ? r->m : NULL;
}

int
cp_rpc_register(struct cp_rpc *rpc, const struct cp_rpc_method *tab, size_t n, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		unsigned np = 0;
		if (tab[i].name == NULL || tab[i].fn == NULL)
			return -EINVAL;
		while (tab[i].params != NULL && tab[i].params[np].name != NULL)
			np++;
		if (np > CP_RPC_MAX_PARAMS)
			return -EINVAL;
		if (find(rpc, tab[i].name) != NULL)
			return -EEXIST;
		for (size_t j = 0; j < i; j++)
			if (strcmp(tab[i].name, tab[j].name) == 0)
				return -EEXIST;
	}
	if (rpc->n + n > rpc->cap) {
		size_t cap = rpc->cap ? rpc->cap : 32;
		while (cap < rpc->n + n)
			cap *= 2;
		struct reg *r = realloc(rpc->reg, cap * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		rpc->reg = r;
		rpc->cap = cap;
	}
	for (size_t i = 0; i < n; i++)
		rpc->reg[rpc->n++] = (struct reg){.m = &tab[i], .ctx = ctx};
	return 0;
}

static void
sys_list(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	const struct cp_rpc *rpc = ctx;
	json_t *a = json_array();
	(void)params;
	for (size_t i = 0; i < rpc->n; i++)
		json_array_append_new(a, json_string(rpc->reg[i].m->name));
	cp_rpc_result(req, a);
}

static void
sys_help(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	const struct cp_rpc *rpc = ctx;
	const char *name = cp_rpc_str(params, "method", "");
	const struct cp_rpc_method *m = cp_rpc_find(rpc, name);
	if (m == NULL) {
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, "no method '%.64s'", name);
		return;
	}
	json_t *ps = json_array();
	for (const struct cp_rpc_param *p = m->params; p != NULL && p->name != NULL; p++)
		json_array_append_new(ps, json_pack("{s:s, s:s, s:b, s:s}", "name", p->name,
				"type", cp_rpc_type_name(p->type), "required", p->required,
				"help", p->help ? p->help : ""));
	cp_rpc_result(req, json_pack("{s:s, s:s, s:o, s:b}", "name", m->name, "summary",
			m->summary ? m->summary : "", "params", ps, "changes_state",
			m->changes_state));
}

/* ---- responses ---- */

static json_t *
response(json_t *id)
{
	json_t *r = json_object();
	json_object_set_new(r, "jsonrpc", json_string("2.0"));
	json_object_set(r, "id", id ? id : json_null());
	return r;
}

/*
 * text[0..len) as valid UTF-8 (RFC 3629) in out[0..cap), which json_string()
 * requires; returns the bytes written (out is also NUL-terminated, so cap
 * must be at least 1). Messages quote what a client sent, cut to a length
 * ("%.64s") that can fall inside a character, and results quote what SIP
 * peers, certificates, DNS answers, dataplanes and files sent: every byte
 * that does not begin a well-formed character (a cut one, an overlong form,
 * a surrogate, past U+10FFFF) becomes '?'. A NUL byte is kept (U+0000 is a
 * character; json_stringn() takes it). Stops before a character that would
 * not fit.
 */
static size_t
utf8_repair(const char *text, size_t len, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	size_t n = 0;

	while (p < end && n + 1 < cap) {
		unsigned c = p[0], c1 = p + 1 < end ? p[1] : 0;
		size_t clen = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 :
			c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		bool ok = clen != 0 && clen <= (size_t)(end - p) &&
			!(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 > 0x9f) &&
			!(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 > 0x8f);
		for (size_t i = 1; ok && i < clen; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok) {
			out[n++] = '?';
			p++;
			continue;
		}
		if (n + clen >= cap)
			break;
		memcpy(out + n, p, clen);
		n += clen;
		p += clen;
	}
	out[n] = '\0';
	return n;
}

json_t *
cp_rpc_string(const char *text)
{
	if (text == NULL)
		return NULL;
	json_t *j = json_string(text);
	if (j == NULL) {
		char fixed[CP_RPC_MSG_MAX];
		size_t n = utf8_repair(text, strlen(text), fixed, sizeof(fixed));
		j = json_stringn(fixed, n);
	}
	return j;
}

json_t *
cp_rpc_stringn(const char *text, size_t len)
{
	if (text == NULL)
		return len == 0 ? json_string("") : NULL;
	json_t *j = json_stringn(text, len);
	if (j == NULL && len < SIZE_MAX) {
		/* A repair is never longer: each byte becomes itself or one '?'. */
		char *fixed = malloc(len + 1);
		if (fixed == NULL)
			return NULL;
		size_t n = utf8_repair(text, len, fixed, len + 1);
		j = json_stringn(fixed, n);
		free(fixed);
	}
	return j;
}

static json_t *
error_response(json_t *id, int code, const char *message, json_t *data)
{
	json_t *r = response(id);
	json_t *e = json_object();
	json_object_set_new(e, "code", json_integer(code));
	json_object_set_new(e, "message",
			cp_rpc_string(message ? message : cp_rpc_code_message(code)));
	if (data != NULL)
		json_object_set_new(e, "data", data);
	json_object_set_new(r, "error", e);
	return r;
}

static void
batch_flush(struct cp_rpc_batch *b)
{
	if (b->pending > 0 || b->started)
		return;
	if (!b->detached && json_array_size(b->out) > 0) {
		json_t *what = b->is_batch ? b->out : json_array_get(b->out, 0);
		char *text = json_dumps(what, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text != NULL) {
			b->send(b->ctx, b, text, strlen(text));
			free(text);
		} else {
			const char *oom = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
					"{\"code\":-32603,\"message\":\"Internal error\"}}";
			b->send(b->ctx, b, oom, strlen(oom));
		}
	}
	json_decref(b->out);
	free(b);
}

static void
complete(struct cp_rpc_req *req, json_t *resp)
{
	struct cp_rpc_batch *b = req->b;
	if (req->done) {
		/* A handler bug: completing twice. Keep the first answer. */
		json_decref(resp);
		return;
	}
	req->done = true;
	if (req->id != NULL)
		json_array_append_new(b->out, resp);
	else
		json_decref(resp);
	json_decref(req->id);
	free(req);
	b->pending--;
	batch_flush(b);
}

void
cp_rpc_result(struct cp_rpc_req *req, json_t *result)
{
	json_t *r = response(req->id);
	json_object_set_new(r, "result", result ? result : json_null());
	complete(req, r);
}

void
cp_rpc_error(struct cp_rpc_req *req, int code, const char *message, json_t *data)
{
	complete(req, error_response(req->id, code, message, data));
}

void
cp_rpc_errorf(struct cp_rpc_req *req, int code, json_t *data, const char *fmt, ...)
{
	char msg[CP_RPC_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cp_rpc_error(req, code, msg, data);
}

const struct cp_rpc_peer *
cp_rpc_req_peer(const struct cp_rpc_req *req)
{
	return &req->peer;
}

const char *
cp_rpc_req_method(const struct cp_rpc_req *req)
{
	return req->m ? req->m->name : "";
}

void
cp_rpc_peer_name(const struct cp_rpc_peer *peer, char *out, size_t cap)
{
	if (peer == NULL || (int)peer->uid < 0)
		snprintf(out, cap, "unknown");
	else
		snprintf(out, cap, "uid %ld pid %ld", (long)peer->uid, (long)peer->pid);
}

/* ---- parameters ---- */

static bool
type_ok(const json_t *v, enum cp_rpc_type t)
{
	switch (t) {
	case CP_T_STRING: return json_is_string(v);
	case CP_T_INT: return json_is_integer(v);
	case CP_T_BOOL: return json_is_boolean(v);
	case CP_T_OBJECT: return json_is_object(v);
	case CP_T_ARRAY: return json_is_array(v);
	case CP_T_ANY: return true;
	}
	return false;
}

/*
 * The checked, named form of params: a new object, or NULL with msg set.
 * Absent params are an empty object; null params too (some clients send it).
 */
static json_t *
normalize(const struct cp_rpc_method *m, json_t *params, char *msg, size_t cap)
{
	const struct cp_rpc_param *p = m->params;
	unsigned np = 0;
	json_t *out;

	while (p != NULL && p[np].name != NULL)
		np++;
	if (params == NULL || json_is_null(params)) {
		out = json_object();
	} else if (json_is_object(params)) {
		const char *k;
		json_t *v;
		json_object_foreach(params, k, v) {
			unsigned i;
			for (i = 0; i < np; i++)
				if (strcmp(p[i].name, k) == 0)
					break;
			if (i == np) {
				snprintf(msg, cap, "unknown parameter '%.64s'", k);
				return NULL;
			}
		}
		out = json_deep_copy(params);
	} else if (json_is_array(params)) {
		if (json_array_size(params) > np) {
			snprintf(msg, cap, "%zu positional parameters given, %s takes at most %u",
					json_array_size(params), m->name, np);
			return NULL;
		}
		out = json_object();
		for (size_t i = 0; i < json_array_size(params); i++)
			json_object_set(out, p[i].name, json_array_get(params, i));
	} else {
		snprintf(msg, cap, "params must be an object or an array");
		return NULL;
	}
	if (out == NULL) {
		snprintf(msg, cap, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < np; i++) {
		json_t *v = json_object_get(out, p[i].name);
		if (v == NULL) {
			if (p[i].required) {
				snprintf(msg, cap, "missing parameter '%s' (%s)", p[i].name,
						cp_rpc_type_name(p[i].type));
				json_decref(out);
				return NULL;
			}
			continue;
		}
		if (!type_ok(v, p[i].type)) {
			snprintf(msg, cap, "parameter '%s' must be %s %s", p[i].name,
					p[i].type == CP_T_INT || p[i].type == CP_T_OBJECT ||
					p[i].type == CP_T_ARRAY ? "an" : "a", cp_rpc_type_name(p[i].type));
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

const char *
cp_rpc_str(const json_t *params, const char *name, const char *def)
{
	const json_t *v = json_object_get(params, name);
	return json_is_string(v) ? json_string_value(v) : def;
}

int64_t
cp_rpc_int(const json_t *params, const char *name, int64_t def)
{
	const json_t *v = json_object_get(params, name);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

bool
cp_rpc_bool(const json_t *params, const char *name, bool def)
{
	const json_t *v = json_object_get(params, name);
	return json_is_boolean(v) ? json_is_true(v) : def;
}

/* ---- paging ---- */

int
cp_rpc_page_args(struct cp_rpc_req *req, const json_t *params, uint64_t *cursor, size_t *limit)
{
	const char *c = cp_rpc_str(params, "cursor", "");
	int64_t lim = cp_rpc_int(params, "limit", CP_RPC_PAGE_DEFAULT);

	*cursor = 0;
	if (*c != '\0') {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(c, &end, 10);
		if (*end != '\0' || errno != 0 || *c < '0' || *c > '9') {
			cp_rpc_errorf(req, CP_RPC_INVALID_PARAMS, NULL, "bad cursor '%.32s'", c);
			return -EINVAL;
		}
		*cursor = v;
	}
	if (lim < 1 || lim > CP_RPC_PAGE_MAX) {
		cp_rpc_errorf(req, CP_RPC_INVALID_PARAMS, NULL, "limit must be 1..%d",
				CP_RPC_PAGE_MAX);
		return -EINVAL;
	}
	*limit = (size_t)lim;
	return 0;
}

json_t *
cp_rpc_sorted(json_t *all, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(all);
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	json_t *sorted = json_array();
	if (v == NULL || sorted == NULL) {
		free(v);
		json_decref(sorted);
		return all;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(all, i));
	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(sorted, v[i]);
	free(v);
	json_decref(all);
	return sorted;
}

json_t *
cp_rpc_page(json_t *all, uint64_t cursor, size_t limit)
{
	size_t n = json_array_size(all);
	json_t *items = json_array();
	json_t *r = json_object();

	for (uint64_t i = cursor; i < n && i < cursor + limit; i++)
		json_array_append(items, json_array_get(all, (size_t)i));
	cp_rpc_page_set(r, items, cursor, limit, n);
	json_decref(all);
	return r;
}

void
cp_rpc_page_set(json_t *r, json_t *items, uint64_t cursor, size_t limit, uint64_t n)
{
	json_object_set_new(r, "items", items);
	if (cursor + limit < n) {
		char next[24];
		snprintf(next, sizeof(next), "%" PRIu64, cursor + limit);
		json_object_set_new(r, "next_cursor", json_string(next));
	} else {
		json_object_set_new(r, "next_cursor", json_null());
	}
	json_object_set_new(r, "total", json_integer((json_int_t)n));
}

json_t *
cp_rpc_errors_json(const void *e, unsigned n, unsigned total,
		const char *(*msg)(const void *e, unsigned i))
{
	json_t *a = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, cp_rpc_string(msg(e, i)));
	return json_pack("{s:o, s:I}", "errors", a, "total", (json_int_t)total);
}

/* ---- dispatch ---- */

/* One element of a request: a response is queued in b unless it is a notification. */
static void
call_one(struct cp_rpc *rpc, struct cp_rpc_batch *b, json_t *in, const struct cp_rpc_peer *peer)
{
	json_t *id = NULL, *ver, *method, *params;
	char msg[256];

	if (!json_is_object(in)) {
		json_array_append_new(b->out, error_response(NULL, CP_RPC_INVALID_REQUEST,
				"a request must be an object", NULL));
		return;
	}
	id = json_object_get(in, "id");
	if (id != NULL && !json_is_string(id) && !json_is_integer(id) && !json_is_null(id) &&
			!json_is_real(id)) {
		json_array_append_new(b->out, error_response(NULL, CP_RPC_INVALID_REQUEST,
				"id must be a string, a number or null", NULL));
		return;
	}
	ver = json_object_get(in, "jsonrpc");
	method = json_object_get(in, "method");
	params = json_object_get(in, "params");
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
		json_array_append_new(b->out, error_response(id, CP_RPC_INVALID_REQUEST,
				"\"jsonrpc\" must be \"2.0\"", NULL));
		return;
	}
	if (!json_is_string(method)) {
		json_array_append_new(b->out, error_response(id, CP_RPC_INVALID_REQUEST,
				"\"method\" must be a string", NULL));
		return;
	}
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) {
		if (strcmp(k, "jsonrpc") && strcmp(k, "method") && strcmp(k, "params") &&
				strcmp(k, "id")) {
			snprintf(msg, sizeof(msg), "unknown member '%.64s'", k);
			json_array_append_new(b->out, error_response(id, CP_RPC_INVALID_REQUEST,
					msg, NULL));
			return;
		}
	}
	if (params != NULL && !json_is_object(params) && !json_is_array(params) &&
			!json_is_null(params)) {
		json_array_append_new(b->out, error_response(id, CP_RPC_INVALID_REQUEST,
				"\"params\" must be an object or an array", NULL));
		return;
	}
	const struct reg *r = find(rpc, json_string_value(method));
	if (r == NULL) {
		/* Notifications get no answer, not even an error (JSON-RPC 2.0 §4.1). */
		if (id != NULL) {
			snprintf(msg, sizeof(msg), "no method '%.64s' (system.listMethods lists them)",
					json_string_value(method));
			json_array_append_new(b->out, error_response(id, CP_RPC_METHOD_NOT_FOUND,
					msg, NULL));
		}
		return;
	}
	json_t *named = normalize(r->m, params, msg, sizeof(msg));
	if (named == NULL) {
		if (id != NULL)
			json_array_append_new(b->out, error_response(id, CP_RPC_INVALID_PARAMS,
					msg, NULL));
		return;
	}
	struct cp_rpc_req *req = calloc(1, sizeof(*req));
	if (req == NULL) {
		json_decref(named);
		if (id != NULL)
			json_array_append_new(b->out, error_response(id, CP_RPC_INTERNAL_ERROR,
					"out of memory", NULL));
		return;
	}
	req->b = b;
	req->id = id ? json_incref(id) : NULL;
	req->m = r->m;
	req->peer = *peer;
	b->pending++;
	if (r->m->changes_state && rpc->log != NULL)
		rpc->log(peer, r->m->name, named, rpc->log_ctx);
	r->m->fn(req, named, r->ctx);
	json_decref(named);
}

struct cp_rpc_batch *
cp_rpc_handle(struct cp_rpc *rpc, const char *line, size_t len, const struct cp_rpc_peer *peer,
		cp_rpc_send_fn *send, void *ctx)
{
	static const struct cp_rpc_peer nobody = {(uid_t)-1, (gid_t)-1, -1};
	struct cp_rpc_batch *b = calloc(1, sizeof(*b));
	json_error_t jerr;
	json_t *in;

	if (b == NULL)
		return NULL;
	b->out = json_array();
	b->send = send;
	b->ctx = ctx;
	b->started = 1;
	if (peer == NULL)
		peer = &nobody;
	in = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (in == NULL) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s (at byte %d)", jerr.text, jerr.position);
		json_array_append_new(b->out, error_response(NULL, CP_RPC_PARSE_ERROR, msg, NULL));
	} else if (json_is_array(in)) {
		size_t n = json_array_size(in);
		if (n == 0 || n > CP_RPC_MAX_BATCH) {
			json_array_append_new(b->out, error_response(NULL, CP_RPC_INVALID_REQUEST,
					n == 0 ? "empty batch" : "batch too large", NULL));
		} else {
			b->is_batch = true;
			for (size_t i = 0; i < n; i++)
				call_one(rpc, b, json_array_get(in, i), peer);
		}
	} else {
		call_one(rpc, b, in, peer);
	}
	json_decref(in);
	b->started = 0;
	if (b->pending == 0) {
		batch_flush(b);
		return NULL;
	}
	return b;
}

void
cp_rpc_batch_detach(struct cp_rpc_batch *batch)
{
	if (batch != NULL)
		batch->detached = true;
}
