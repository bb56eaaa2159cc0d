/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_RPC_H
#define CP_RPC_H

/*
 * JSON-RPC 2.0 without sockets: a line of text in, zero or one line of
 * text out (now or later). Requests, notifications and batches; methods
 * come from tables that modules register, each method with its parameters
 * described once (name, type, required, help) so that dispatch checks
 * them, system.methodHelp shows them and siplinectl converts key=value
 * arguments with them. Parameters may be named (any order) or positional
 * (the table's order); handlers always see an object.
 *
 * A handler completes its call exactly once, with cp_rpc_result() or
 * cp_rpc_error(), either before returning or later from the event loop
 * (a dialplan compile). A batch is answered when its last call completes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

/* Error codes: JSON-RPC 2.0's, then ours (the server range -32000..-32099). */
enum cp_rpc_code {
	CP_RPC_PARSE_ERROR = -32700,      /* not JSON */
	CP_RPC_INVALID_REQUEST = -32600,  /* JSON, but not a request object */
	CP_RPC_METHOD_NOT_FOUND = -32601,
	CP_RPC_INVALID_PARAMS = -32602,   /* unknown, missing or mistyped parameter */
	CP_RPC_INTERNAL_ERROR = -32603,
	CP_RPC_COMPILE_ERROR = -32000,    /* data: {"errors": ["file:line: message", ...], "total"} */
	CP_RPC_VERSION_CONFLICT = -32001, /* data: {"version": current, "sha256": current} */
	CP_RPC_BUSY = -32002,             /* too many pushes queued; try again */
	CP_RPC_DATAPLANE_UNAVAILABLE = -32003, /* no dataplane connected (where one is needed) */
	CP_RPC_NOT_FOUND = -32004,        /* no such version, gateway, dataplane... */
	CP_RPC_STORE_ERROR = -32005,      /* the embedded store failed; nothing changed */
};

/* Message of a code ("Parse error"). Never NULL. */
const char *cp_rpc_code_message(int code);

enum cp_rpc_type {
	CP_T_STRING,
	CP_T_INT,
	CP_T_BOOL,
	CP_T_OBJECT,
	CP_T_ARRAY,
	CP_T_ANY,
};

/* Name of a type ("string"). */
const char *cp_rpc_type_name(enum cp_rpc_type t);

struct cp_rpc_param {
	const char *name;
	enum cp_rpc_type type;
	bool required;
	const char *help;
};

/* Most parameters a method may declare. */
#define CP_RPC_MAX_PARAMS 12

/* Who called: from SO_PEERCRED on the socket (uid/gid/pid -1 when unknown). */
struct cp_rpc_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

struct cp_rpc_req;

/*
 * A method. params: the object of named parameters after checking (absent
 * optional ones are missing from it). Complete req exactly once.
 */
typedef void cp_rpc_handler(struct cp_rpc_req *req, json_t *params, void *ctx);

struct cp_rpc_method {
	const char *name;       /* "group.verb" */
	const char *summary;    /* one line for system.methodHelp and siplinectl --help */
	const struct cp_rpc_param *params; /* terminated by an entry with name NULL; may be NULL */
	bool changes_state;     /* logged with the caller's uid/pid */
	cp_rpc_handler *fn;
};

struct cp_rpc;

/* Log hook: called for every state-changing call before its handler runs. */
typedef void cp_rpc_log_fn(const struct cp_rpc_peer *peer, const char *method,
		const json_t *params, void *ctx);

/*
 * Output of one input line: text is one JSON text without a newline (the
 * caller adds it). batch identifies the line's pending answer (see
 * cp_rpc_handle()); it is freed after this call.
 */
struct cp_rpc_batch;
typedef void cp_rpc_send_fn(void *ctx, struct cp_rpc_batch *batch, const char *text, size_t len);

struct cp_rpc *cp_rpc_create(void);
void cp_rpc_free(struct cp_rpc *rpc);
void cp_rpc_set_log(struct cp_rpc *rpc, cp_rpc_log_fn *fn, void *ctx);

/*
 * Register n methods of a module (the table must outlive rpc); ctx goes to
 * their handlers. Also checks the tables: 0, -EEXIST (a name already
 * registered) or -EINVAL (too many parameters, no handler).
 */
int cp_rpc_register(struct cp_rpc *rpc, const struct cp_rpc_method *tab, size_t n, void *ctx);
/* The method called name, or NULL. */
const struct cp_rpc_method *cp_rpc_find(const struct cp_rpc *rpc, const char *name);

/* Largest batch accepted (more elements: Invalid Request). */
#define CP_RPC_MAX_BATCH 256

/*
 * Handle one line (a JSON text). send(ctx, ...) is called once with the
 * answer, now or when the last asynchronous call completes; not at all for
 * notifications. Returns NULL when everything completed already, else the
 * pending batch: the caller calls cp_rpc_batch_detach() on it if its
 * connection goes away first (the answer is then dropped).
 */
struct cp_rpc_batch *cp_rpc_handle(struct cp_rpc *rpc, const char *line, size_t len,
		const struct cp_rpc_peer *peer, cp_rpc_send_fn *send, void *ctx);
void cp_rpc_batch_detach(struct cp_rpc_batch *batch);

/* Complete a call with a result (reference stolen; NULL means JSON null). */
void cp_rpc_result(struct cp_rpc_req *req, json_t *result);
/* Complete a call with an error; data (stolen) may be NULL; message NULL: the code's. */
void cp_rpc_error(struct cp_rpc_req *req, int code, const char *message, json_t *data);
/* printf-style message. */
void cp_rpc_errorf(struct cp_rpc_req *req, int code, json_t *data, const char *fmt, ...)
		__attribute__((format(printf, 4, 5)));

const struct cp_rpc_peer *cp_rpc_req_peer(const struct cp_rpc_req *req);
const char *cp_rpc_req_method(const struct cp_rpc_req *req);
/* "uid 0 pid 1234": for logs and history records. */
void cp_rpc_peer_name(const struct cp_rpc_peer *peer, char *out, size_t cap);

/* ---- parameters ---- */

/* Typed getters of checked parameters; def when absent. */
const char *cp_rpc_str(const json_t *params, const char *name, const char *def);
int64_t cp_rpc_int(const json_t *params, const char *name, int64_t def);
bool cp_rpc_bool(const json_t *params, const char *name, bool def);

/*
 * A JSON string of text, which jansson accepts only as valid UTF-8: text
 * that is not (bytes a SIP peer sent, a quote cut inside a character) has
 * each byte that begins no well-formed character replaced by '?', and is
 * cut to CP_RPC_MSG_MAX - 1 bytes. NULL only when out of memory (or text
 * is NULL). Every C string a result quotes that did not come out of a
 * parsed JSON value or a constant goes through it (or cp_rpc_stringn()):
 * json_string() would return NULL and the member, or with json_pack() the
 * whole object, would be lost.
 */
#define CP_RPC_MSG_MAX 512
json_t *cp_rpc_string(const char *text);
/*
 * The same for text[0..len) (NUL bytes included), not cut: for what may be
 * long (a dialplan's text, an explanation) or is not NUL-terminated (a
 * dataplane's answer, a rewritten user part).
 */
json_t *cp_rpc_stringn(const char *text, size_t len);

/*
 * The data of CP_RPC_COMPILE_ERROR: {"errors": [msg(e, 0) .. msg(e, n - 1)],
 * "total": total}. msg reads the i-th message of e, whatever holds them
 * (the dialplan's and the ACL's error lists differ).
 */
json_t *cp_rpc_errors_json(const void *e, unsigned n, unsigned total,
		const char *(*msg)(const void *e, unsigned i));

/* ---- paging ---- */

/*
 * Paged dumps: a request carries an optional "cursor" (opaque string from
 * the previous page's next_cursor) and "limit"; the result is
 * {"items": [...], "next_cursor": "..." or null, "total": n}.
 * CP_RPC_PAGE_PARAMS adds both parameters to a method's table.
 */
#define CP_RPC_PAGE_DEFAULT 100
#define CP_RPC_PAGE_MAX 1000
#define CP_RPC_PAGE_PARAMS \
	{"cursor", CP_T_STRING, false, "where to continue (next_cursor of the previous page)"}, \
	{"limit", CP_T_INT, false, "items per page (default 100, at most 1000)"}

/*
 * Read cursor and limit: the cursor is a decimal offset. Fails req with
 * Invalid params and returns -EINVAL on a bad cursor or limit.
 */
int cp_rpc_page_args(struct cp_rpc_req *req, const json_t *params, uint64_t *cursor,
		size_t *limit);
/*
 * The page of all (an array; reference stolen) from offset cursor: the
 * result object described above.
 */
json_t *cp_rpc_page(json_t *all, uint64_t cursor, size_t limit);
/*
 * Finish a page in r (any object): set "items" (reference stolen; the
 * items from offset cursor), "next_cursor" and "total" (n, all there are).
 * For a method that builds only the page's items, not all of them.
 */
void cp_rpc_page_set(json_t *r, json_t *items, uint64_t cursor, size_t limit, uint64_t n);
/*
 * all (an array; reference stolen) sorted by cmp (qsort's, over json_t *
 * elements): a stable order for paging. Out of memory: all, unsorted.
 */
json_t *cp_rpc_sorted(json_t *all, int (*cmp)(const void *, const void *));

#endif
