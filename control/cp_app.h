/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_APP_H
#define CP_APP_H

/*
 * sipline-control's process state: one struct owned by the event loop's
 * thread, passed as the context of every method and callback. Modules:
 *   cp_plan.c     dialplan lifecycle (compile off the loop, history, pushes)
 *   cp_methods.c  the JSON-RPC methods (one action function per operation)
 *   cp_rpcsrv.c   the control socket
 *   cp_dns.c      gateway names: RFC 3263 resolution, targets, GW_ADDRS
 *   main.c        start-up, signals, shutdown
 */

#include <stdbool.h>
#include <stdint.h>

#include "cp_config.h"
#include "cp_dp.h"
#include "cp_probe.h"

struct cp_dns;
struct cp_relay;
struct cp_route;
struct cp_loop;
struct cp_rpc;
struct cp_rpcsrv;
struct cp_store;
struct cp_metrics;
struct cp_regsrv;
struct cp_streamsrv;
struct cp_reg;
struct cp_acl;
struct rules_plan;

/* The control plane's own counters, declared once: X(name, help). */
#define CP_COUNTERS(X) \
	X(RPC_REQUESTS, "JSON-RPC calls handled") \
	X(RPC_ERRORS, "JSON-RPC calls answered with an error") \
	X(RPC_CLIENTS_REFUSED, "control socket connections refused (max_clients)") \
	X(RPC_CLIENTS_DROPPED, "control socket clients disconnected (request too large, not reading)") \
	X(DIALPLAN_PUSHES, "dialplan versions accepted") \
	X(DIALPLAN_REFUSED, "dialplan pushes refused (compile errors, conflicts)") \
	X(DIALPLAN_NOOP, "dialplan pushes of the serving text (no new version)") \
	X(DIALPLAN_ROLLBACKS, "rollbacks (each also a push)") \
	X(DATAPLANE_PUSH_OK, "plans published by a dataplane") \
	X(DATAPLANE_PUSH_FAILED, "plan pushes a dataplane refused or did not answer") \
	X(DATAPLANE_CONNECTS, "control link connections established") \
	X(DATAPLANE_DISCONNECTS, "control link connections lost") \
	X(DATAPLANE_RESYNCS, "dataplanes re-synced after connecting") \
	X(GATEWAY_TRANSITIONS, "gateway effective state changes (probes or admin)") \
	X(GW_STATE_SENT, "gateway states sent to dataplanes") \
	X(ACL_SETS, "peer ACLs set or cleared (acl.set, acl.clear)") \
	X(ACL_REFUSED, "acl.set texts refused (errors; nothing changed)") \
	X(DATAPLANE_ACL_PUSH_OK, "ACL pushes a dataplane applied") \
	X(DATAPLANE_ACL_PUSH_FAILED, "ACL pushes a dataplane refused")

enum cp_counter {
#define CP_COUNTER_ENUM(n, h) CP_C_##n,
	CP_COUNTERS(CP_COUNTER_ENUM)
#undef CP_COUNTER_ENUM
	CP_C__COUNT
};

const char *cp_counter_name(enum cp_counter c);
const char *cp_counter_help(enum cp_counter c);

/* The plan being served. */
struct cp_plan_cur {
	uint64_t version;          /* 0: none yet */
	char sha256[65];
	int64_t created;
	char *caller;
	char *source;
	char *text;
	size_t text_len;
	struct rules_plan *plan;   /* compiled (NULL while the start-up compile runs) */
	int memfd;                 /* the serialized plan, for pushes; -1 */
	uint64_t blob_len;
	uint32_t rules;
};

struct cp_plan_queue;

struct cp_app {
	struct cp_config cfg;
	const char *config_path;   /* NULL: defaults and -o only */
	char **overrides;          /* -o option=value, re-applied on reload */
	unsigned n_overrides;
	struct cp_loop *loop;
	struct cp_rpc *rpc;
	struct cp_rpcsrv *srv;
	struct cp_store *store;
	struct cp_dps *dps;
	struct cp_probe *probe;
	struct cp_dns *dns;        /* gateway names (cp_dns.h) */
	struct cp_relay *relay;    /* requests to host names (cp_relay.h), or NULL */
	struct cp_route *route;    /* the dataplanes' routing state, for the relay (cp_route.h) */
	struct cp_metrics *metrics;
	struct cp_regsrv *reg;     /* registrar, subscribers, location (cp_regsrv.c) */
	struct cp_streamsrv *streams; /* SIP over TCP/TLS (cp_streamsrv.c), or NULL */
	int64_t started;           /* wall seconds */
	uint64_t started_ms;       /* monotonic */
	struct cp_plan_cur cur;
	struct cp_plan_queue *pq;
	struct cp_acl *acl;        /* the peer ACL set over the socket (cp_acl.h) */
	uint64_t cnt[CP_C__COUNT];
	/* stats.reset: per dataplane, the values at the reset (name/worker/code order of the read) */
	struct cp_dp_stats base[CP_MAX_DATAPLANES];
	uint64_t cnt_base[CP_C__COUNT];
	bool stopping;
};

/* Log a line to stderr (journald adds the time): "sipline-control: ...". */
void cp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- cp_plan.c ---- */

/* Load the newest plan from the store and compile it off the loop. 0 or -errno. */
int cp_plan_init(struct cp_app *app, char *err, size_t errlen);
void cp_plan_fini(struct cp_app *app);
/* A dataplane said HELLO: push the plan if it differs, gateway states, bindings. */
void cp_plan_resync(struct cp_app *app, struct cp_dp *dp);
/* Send one gateway's state to every ready dataplane. */
void cp_plan_gw_broadcast(struct cp_app *app, const struct cp_gw *g);
/* Compile running or queued. */
unsigned cp_plan_busy(const struct cp_app *app);
/* Bitmap of down gateways numbered as in app->cur.plan (for explain); NULL if no plan. */
uint64_t *cp_plan_gw_bitmap(struct cp_app *app);

struct cp_rpc_req;

/* What a push or validate asks for (strings copied by cp_plan_submit()). */
struct cp_push {
	const char *text;
	size_t len;
	const char *source;        /* name in errors and history: "operator.dialplan" */
	const char *note;          /* "rollback to 3", or NULL */
	bool has_base;
	uint64_t base_version;
	bool dry_run;
	bool validate;             /* compile only; never stored */
	bool rollback;
};

/* Queue a push/validate; completes req. */
void cp_plan_submit(struct cp_app *app, const struct cp_push *p, struct cp_rpc_req *req);

/* ---- cp_dns_app.c: the resolver of gateway names, wired to the app ---- */

/* Start it with the app's settings (after app->probe and app->dps). 0 or -errno. */
int cp_dns_app_start(struct cp_app *app, char *err, size_t errlen);
/* After a SIGHUP (app->cfg and the probe settings already updated). */
void cp_dns_app_reload(struct cp_app *app);
void cp_dns_app_stop(struct cp_app *app);

/* ---- cp_methods.c ---- */

/* Register every method of this part. 0 or -errno. */
int cp_methods_register(struct cp_app *app);
/* The Prometheus page (malloc()ed). */
char *cp_metrics_render(void *app, size_t *len);

/* ---- cp_acl_app.c: acl.* and limits.* ---- */

/* Load the stored ACL, apply it to the relay, register the methods (after the relay). */
int cp_acl_start(struct cp_app *app, char *err, size_t errlen);
void cp_acl_stop(struct cp_app *app);
/* A dataplane said HELLO: push the ACL (or a CLEAR) if one was ever set. */
void cp_acl_resync(struct cp_app *app, struct cp_dp *dp);
/* The relay's ACL: the pushed one, else relay_acl. 0, or -1 with err (the old list stays). */
int cp_acl_apply_relay(struct cp_app *app, char *err, size_t errlen);

/* ---- cp_regsrv.c ---- */

/*
 * Registrar, subscribers.* and location.* methods, the registrar's UDP
 * socket and timers (the socket only if `registrar` is not off). 0 or
 * -errno with err filled.
 */
int cp_regsrv_start(struct cp_app *app, char *err, size_t errlen);
void cp_regsrv_stop(struct cp_app *app);
/* Checks of the registrar's options (--check, start-up, SIGHUP). 0 or -EINVAL with a message. */
int cp_regsrv_check(const struct cp_config *c, char *err, size_t errlen);
/* After a SIGHUP: the options that apply at once. */
void cp_regsrv_reconf(struct cp_app *app);
struct cp_prom;
/* The registrar's counters and AOR count for /metrics. */
void cp_regsrv_metrics(struct cp_app *app, struct cp_prom *p);
/*
 * During a binding re-sync of dp (after SYNC_BEGIN): send every AOR's best
 * binding (LOC_SET), paced by the answers, then done(app, dp, how many)
 * (which sends SYNC_END). Without bindings done() runs at once. If the
 * connection drops first, done() never runs.
 */
void cp_regsrv_sync(struct cp_app *app, struct cp_dp *dp,
		void (*done)(struct cp_app *app, struct cp_dp *dp, unsigned n));

/* The registrar (NULL before cp_regsrv_start()) and its group commit after stream input. */
struct cp_reg *cp_regsrv_reg(struct cp_app *app);
void cp_regsrv_kick(struct cp_app *app);

/* ---- cp_streamsrv.c: SIP over TCP/TLS wired to the registrar, tls.*, connections.* ---- */

/* Listeners, TLS, methods (after cp_regsrv_start()). 0 or -errno with err filled. */
int cp_streamsrv_start(struct cp_app *app, char *err, size_t errlen);
void cp_streamsrv_stop(struct cp_app *app);
/* Checks of the stream and TLS options. 0 or -EINVAL with a message. */
int cp_streamsrv_check(const struct cp_config *c, char *err, size_t errlen);
/* After a SIGHUP: limits apply at once (TLS files: tls.reload). */
void cp_streamsrv_reconf(struct cp_app *app);
void cp_streamsrv_metrics(struct cp_app *app, struct cp_prom *p);

/* ---- cp_rpcsrv.c ---- */

struct cp_rpcsrv_conf {
	const char *path;
	const char *group;          /* "" : the process' group */
	unsigned mode;
	uint64_t max_request;
	uint64_t max_write_queue;
	unsigned max_clients;
};

struct cp_rpcsrv *cp_rpcsrv_start(struct cp_app *app, const struct cp_rpcsrv_conf *c,
		char *err, size_t errlen);
void cp_rpcsrv_set_limits(struct cp_rpcsrv *s, const struct cp_rpcsrv_conf *c);
void cp_rpcsrv_stop(struct cp_rpcsrv *s);
unsigned cp_rpcsrv_clients(const struct cp_rpcsrv *s);

#endif
