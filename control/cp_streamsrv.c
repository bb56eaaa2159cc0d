/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP over TCP and TLS in the daemon: the listeners from the configuration,
 * the TLS contexts, REGISTER from streams into the registrar (responses
 * back on the same connection), the connection life cycle tied to the
 * bindings (a connection a live binding uses is not idle-closed; a closed
 * one drops its RFC 5626 flow bindings), and the tls.* and connections.*
 * methods. Other messages go to the relay (cp_relay_input_stream()),
 * which routes them with the dataplane's code, and the relay's TCP/TLS
 * next hops leave through cp_stream_send(); without a relay they are
 * answered 503.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_app.h"
#include "cp_loop.h"
#include "cp_metrics.h"
#include "cp_registrar.h"
#include "cp_relay.h"
#include "cp_rpc.h"
#include "cp_stream.h"
#include "cp_tls.h"
#include "sip.h"

struct cp_streamsrv {
	struct cp_app *app;
	struct cp_stream *st;
	struct cp_tls *tls;        /* NULL: TLS not configured */
	struct cp_tls_conf tc;     /* what the contexts were built from */
	char listening[512];       /* for logs and connections.list */
};

static void
stream_conf(const struct cp_config *c, struct cp_stream_conf *sc)
{
	cp_stream_conf_defaults(sc);
	sc->max_conns = c->stream_max_conns;
	sc->max_per_source = c->stream_max_per_source;
	sc->idle_ms = c->stream_idle_timeout_ms;
	sc->first_byte_ms = c->stream_first_byte_timeout_ms;
	sc->msg_ms = c->stream_message_timeout_ms;
	sc->handshake_ms = c->tls_handshake_timeout_ms;
	sc->max_msg = (size_t)c->stream_max_message;
	sc->max_header = (size_t)c->stream_max_header;
	sc->max_wq = (size_t)c->stream_write_queue;
}

static int
tls_conf(const struct cp_config *c, struct cp_tls_conf *tc, char *err, size_t errlen)
{
	cp_tls_conf_defaults(tc);
	snprintf(tc->cert, sizeof(tc->cert), "%s", c->tls_cert);
	snprintf(tc->key, sizeof(tc->key), "%s", c->tls_key);
	snprintf(tc->ca, sizeof(tc->ca), "%s", c->tls_ca);
	snprintf(tc->min_version, sizeof(tc->min_version), "%s", c->tls_min_version);
	snprintf(tc->ciphers, sizeof(tc->ciphers), "%s", c->tls_ciphers);
	snprintf(tc->ciphersuites, sizeof(tc->ciphersuites), "%s", c->tls_ciphersuites);
	snprintf(tc->groups, sizeof(tc->groups), "%s", c->tls_groups);
	snprintf(tc->client_allow, sizeof(tc->client_allow), "%s", c->tls_client_allow);
	tc->verify_server = c->tls_verify_server;
	if (cp_tls_verify_parse(c->tls_client_verify, &tc->verify_client) != 0) {
		snprintf(err, errlen, "tls_client_verify: '%s' is not none, optional or required",
				c->tls_client_verify);
		return -EINVAL;
	}
	if (strcmp(tc->min_version, "1.2") != 0 && strcmp(tc->min_version, "1.3") != 0) {
		snprintf(err, errlen, "tls_min_version: '%s' is not 1.2 or 1.3", tc->min_version);
		return -EINVAL;
	}
	return 0;
}

/* One "ADDR:PORT" or "[ADDR]:PORT". 0 or -EINVAL. */
static int
parse_hostport(const char *spec, size_t n, struct sip_addr *a, uint16_t *port)
{
	char host[64];
	const char *colon = NULL;
	for (size_t i = n; i > 0; i--)
		if (spec[i - 1] == ':') {
			colon = spec + i - 1;
			break;
		}
	if (colon == NULL || colon == spec)
		return -EINVAL;
	size_t hl = (size_t)(colon - spec), pl = n - hl - 1;
	if (hl >= sizeof(host) || pl == 0 || pl > 5)
		return -EINVAL;
	unsigned long p = 0;
	for (size_t i = 0; i < pl; i++) {
		if (colon[1 + i] < '0' || colon[1 + i] > '9')
			return -EINVAL;
		p = p * 10 + (unsigned long)(colon[1 + i] - '0');
	}
	if (p == 0 || p > 65535)
		return -EINVAL;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	char *h = host;
	if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
		h[hl - 1] = '\0';
		h++;
	}
	if (sip_addr_parse(sip_str_make(h, strlen(h)), a) != 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/*
 * The addresses a listen option names: the list, or for "auto" the
 * registrar's address (else the relay's) with its port (TCP) or 5061
 * (TLS). fn for each; 0 or -EINVAL with a message.
 */
static int
each_listen(const struct cp_config *c, const char *opt, const char *v, bool tls,
		int (*fn)(void *ctx, const struct sip_addr *a, uint16_t port), void *ctx, char *err,
		size_t errlen)
{
	struct sip_addr a;
	uint16_t port;
	if (strcmp(v, "off") == 0 || v[0] == '\0')
		return 0;
	if (strcmp(v, "auto") == 0) {
		if (tls && c->tls_cert[0] == '\0')
			return 0;
		if (strcmp(c->registrar, "off") != 0 && c->registrar[0] != '\0') {
			if (parse_hostport(c->registrar, strlen(c->registrar), &a, &port) != 0)
				return 0; /* cp_regsrv_check reports it */
		} else if (c->relay && c->relay_addr[0]) {
			/* relay_addr is ADDR/PREFIX, as sipline --addr. */
			size_t al = strcspn(c->relay_addr, "/");
			if (sip_addr_parse(sip_str_make(c->relay_addr, al), &a))
				return 0;
			port = (uint16_t)c->relay_port;
		} else {
			return 0;
		}
		return fn(ctx, &a, tls ? 5061 : port);
	}
	const char *p = v;
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n > 0) {
			if (parse_hostport(p, n, &a, &port) != 0) {
				snprintf(err, errlen, "%s: '%.*s' is not ADDR:PORT ([ADDR]:PORT for IPv6)",
						opt, (int)n, p);
				return -EINVAL;
			}
			int rc = fn(ctx, &a, port);
			if (rc != 0)
				return rc;
		}
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return 0;
}

static int
count_one(void *ctx, const struct sip_addr *a, uint16_t port)
{
	(void)a;
	(void)port;
	(*(unsigned *)ctx)++;
	return 0;
}

int
cp_streamsrv_check(const struct cp_config *c, char *err, size_t errlen)
{
	struct cp_tls_conf tc;
	unsigned n = 0;
	if (tls_conf(c, &tc, err, errlen) != 0)
		return -EINVAL;
	if (each_listen(c, "tcp_listen", c->tcp_listen, false, count_one, &n, err, errlen) != 0 ||
			each_listen(c, "tls_listen", c->tls_listen, true, count_one, &n, err,
				errlen) != 0)
		return -EINVAL;
	if (strcmp(c->tls_listen, "auto") != 0 && strcmp(c->tls_listen, "off") != 0 &&
			c->tls_listen[0] && c->tls_cert[0] == '\0') {
		snprintf(err, errlen, "tls_listen needs tls_cert (and tls_key)");
		return -EINVAL;
	}
	if (c->stream_max_header > c->stream_max_message) {
		snprintf(err, errlen, "stream_max_header is above stream_max_message");
		return -EINVAL;
	}
	return 0;
}

/* ---- registrar over streams ---- */

static void
on_register(void *ctx, const char *buf, size_t len, const struct cp_stream_peer *peer)
{
	struct cp_streamsrv *s = ctx;
	struct cp_reg *r = cp_regsrv_reg(s->app);
	if (r == NULL)
		return;
	cp_reg_input_tp(r, buf, len, &peer->addr, peer->port, peer->transport, peer->conn,
			cp_wall_s());
	cp_regsrv_kick(s->app);
}

/* A registrar response: on its connection, or a new one to received:sent-by port. */
static void
reg_send(void *ctx, const char *buf, size_t len, const struct sip_addr *dst, uint16_t port,
		uint8_t transport, uint64_t conn)
{
	struct cp_streamsrv *s = ctx;
	if (cp_stream_reply(s->st, conn, buf, len) == 0)
		return;
	(void)cp_stream_send(s->st, transport, dst, port, NULL, buf, len);
}

static void
on_closed(void *ctx, uint64_t conn, uint8_t transport)
{
	struct cp_streamsrv *s = ctx;
	struct cp_reg *r = cp_regsrv_reg(s->app);
	(void)transport;
	if (r != NULL && cp_reg_conn_closed(r, conn, cp_wall_s()) > 0)
		cp_regsrv_kick(s->app);
}

static uint64_t
bound_until(void *ctx, uint64_t conn)
{
	struct cp_streamsrv *s = ctx;
	struct cp_reg *r = cp_regsrv_reg(s->app);
	int64_t now = cp_wall_s();
	int64_t exp = r != NULL ? cp_reg_conn_expires(r, conn, now) : 0;
	if (exp <= now)
		return 0;
	return cp_now_ms() + (uint64_t)(exp - now) * 1000u;
}

/* ---- methods ---- */

static void
m_tls_list(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_streamsrv *s = ctx;
	(void)params;
	if (s->tls == NULL) {
		cp_rpc_result(req, json_pack("{s:b, s:[]}", "enabled", 0, "certificates"));
		return;
	}
	json_t *certs = cp_tls_list_json(s->tls);
	/*
	 * The configuration's bytes: a reload that refused tls_client_verify
	 * still left them in app->cfg, so quoted as valid UTF-8.
	 */
	cp_rpc_result(req, json_pack("{s:b, s:I, s:o, s:o, s:o}", "enabled", 1, "generation",
		(json_int_t)cp_tls_generation(s->tls), "client_verify",
		cp_rpc_string(s->app->cfg.tls_client_verify), "min_version",
		cp_rpc_string(s->tc.min_version), "certificates", certs ? certs : json_array()));
}

static void
m_tls_reload(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_streamsrv *s = ctx;
	struct cp_tls_conf tc = s->tc;
	char err[1024];
	if (s->tls == NULL) {
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, "TLS is not configured");
		return;
	}
	snprintf(tc.cert, sizeof(tc.cert), "%s", cp_rpc_str(params, "cert", s->tc.cert));
	snprintf(tc.key, sizeof(tc.key), "%s", cp_rpc_str(params, "key", s->tc.key));
	snprintf(tc.ca, sizeof(tc.ca), "%s", cp_rpc_str(params, "ca", s->tc.ca));
	if (cp_tls_reload(s->tls, &tc, err, sizeof(err)) != 0) {
		cp_log("tls.reload refused, the old certificate stays: %s", err);
		cp_rpc_errorf(req, CP_RPC_INVALID_PARAMS, NULL, "%s", err);
		return;
	}
	s->tc = tc;
	cp_log("tls.reload: certificate %s, key %s, CA %s loaded (generation %llu)", tc.cert,
			tc.key[0] ? tc.key : tc.cert, tc.ca[0] ? tc.ca : "system",
			(unsigned long long)cp_tls_generation(s->tls));
	json_t *certs = cp_tls_list_json(s->tls);
	cp_rpc_result(req, json_pack("{s:I, s:o}", "generation",
		(json_int_t)cp_tls_generation(s->tls), "certificates", certs ? certs : json_array()));
}

struct conns_ctx {
	json_t *all;
	json_t *aors;              /* conn id (string) -> [aor...] */
};

static void
aors_of(void *ctx, const char *aor, const struct cp_binding *b, unsigned n)
{
	json_t *map = ctx;
	int64_t now = cp_wall_s();
	for (unsigned i = 0; i < n; i++) {
		if (b[i].conn == 0 || b[i].expires <= now)
			continue;
		char k[24];
		snprintf(k, sizeof(k), "%llu", (unsigned long long)b[i].conn);
		json_t *a = json_object_get(map, k);
		if (a == NULL) {
			a = json_array();
			json_object_set_new(map, k, a);
		}
		json_array_append_new(a, cp_rpc_string(aor)); /* what a REGISTER named */
	}
}

static void
conn_one(void *ctx, const struct cp_stream_info *i)
{
	struct conns_ctx *cc = ctx;
	char peer[80], local[80], k[24];
	size_t n = sip_addr_format(&i->peer, peer, sizeof(peer) - 8);
	snprintf(peer + n, sizeof(peer) - n, ":%u", i->peer_port);
	n = sip_addr_format(&i->local, local, sizeof(local) - 8);
	snprintf(local + n, sizeof(local) - n, ":%u", i->local_port);
	snprintf(k, sizeof(k), "%llu", (unsigned long long)i->id);
	json_t *aors = json_object_get(cc->aors, k);
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:I, s:I, s:I, s:I, s:o, "
		"s:b}",
		"id", (json_int_t)i->id, "transport", i->transport == SIP_TP_TLS ? "tls" : "tcp",
		"direction", i->outgoing ? "out" : "in", "state", i->state, "peer", peer, "local",
		local, "age", i->age_ms / 1000.0, "idle", i->idle_ms / 1000.0, "rx_bytes",
		(json_int_t)i->rx_bytes, "tx_bytes", (json_int_t)i->tx_bytes, "rx_msgs",
		(json_int_t)i->rx_msgs, "queued", (json_int_t)i->tx_queued, "aors",
		aors ? json_incref(aors) : json_array(), "pinned", i->pinned);
	if (i->transport == SIP_TP_TLS) {
		json_object_set_new(o, "tls_version", json_string(i->tls_version));
		/* A certificate's identity and a client's SNI: any byte, quoted as UTF-8. */
		json_object_set_new(o, "tls_peer", cp_rpc_string(i->tls_peer));
		json_object_set_new(o, "tls_name", cp_rpc_string(i->tls_name));
	}
	json_array_append_new(cc->all, o);
}

static int
cmp_id(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));
	return x < y ? -1 : x > y;
}

static void
m_conn_list(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_streamsrv *s = ctx;
	uint64_t cursor;
	size_t limit;
	if (cp_rpc_page_args(req, params, &cursor, &limit) != 0)
		return;
	struct conns_ctx cc = {.all = json_array(), .aors = json_object()};
	struct cp_reg *r = cp_regsrv_reg(s->app);
	if (r != NULL)
		cp_reg_foreach(r, aors_of, cc.aors);
	cp_stream_foreach(s->st, conn_one, &cc);
	json_decref(cc.aors);
	/* By id (age order), for stable pages. */
	cp_rpc_result(req, cp_rpc_page(cp_rpc_sorted(cc.all, cmp_id), cursor, limit));
}

static void
m_conn_close(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_streamsrv *s = ctx;
	int64_t id = cp_rpc_int(params, "id", 0);
	if (id <= 0 || cp_stream_close(s->st, (uint64_t)id) != 0) {
		cp_rpc_errorf(req, CP_RPC_NOT_FOUND, NULL, "no connection %lld", (long long)id);
		return;
	}
	cp_rpc_result(req, json_pack("{s:b}", "closed", 1));
}

static void
m_conn_stats(struct cp_rpc_req *req, json_t *params, void *ctx)
{
	struct cp_streamsrv *s = ctx;
	(void)params;
	json_t *o = json_object();
	const uint64_t *c = cp_stream_counters(s->st);
	for (int i = 0; i < CP_STREAM_C__COUNT; i++) {
		char name[48];
		const char *n = cp_stream_counter_name(i) + 7; /* "STREAM_" */
		size_t k;
		for (k = 0; n[k] && k < sizeof(name) - 1; k++)
			name[k] = (char)(n[k] >= 'A' && n[k] <= 'Z' ? n[k] + 32 : n[k]);
		name[k] = '\0';
		json_object_set_new(o, name, json_integer((json_int_t)c[i]));
	}
	json_object_set_new(o, "open", json_integer(cp_stream_count(s->st)));
	json_object_set_new(o, "listening", json_string(s->listening));
	cp_rpc_result(req, o);
}

static const struct cp_rpc_param p_reload[] = {
	{"cert", CP_T_STRING, false, "PEM certificate file (default: the one loaded)"},
	{"key", CP_T_STRING, false, "PEM private key file (default: the one loaded)"},
	{"ca", CP_T_STRING, false, "PEM CA file (default: the one loaded)"},
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_param p_page[] = {
	CP_RPC_PAGE_PARAMS,
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_param p_id[] = {
	{"id", CP_T_INT, true, "connection id (connections.list)"},
	{NULL, 0, false, NULL},
};

static const struct cp_rpc_method methods[] = {
	{"tls.list", "loaded TLS certificates (ours and the CAs): subject, SANs, serial, expiry",
		NULL, false, m_tls_list},
	{"tls.reload", "re-read the TLS certificate, key and CA (a bad one keeps the old; open "
		"connections keep theirs)", p_reload, true, m_tls_reload},
	{"connections.list", "TCP/TLS connections: peer, transport, age, bytes, bound AORs "
		"(paged, oldest first)", p_page, false, m_conn_list},
	{"connections.close", "close a TCP/TLS connection now", p_id, true, m_conn_close},
	{"connections.stats", "TCP/TLS counters (accepted, refused, time-outs, framing errors)",
		NULL, false, m_conn_stats},
};

/* ---- life cycle ---- */

struct listen_ctx {
	struct cp_streamsrv *s;
	uint8_t transport;
	char *err;
	size_t errlen;
};

static int
listen_one(void *ctx, const struct sip_addr *a, uint16_t port)
{
	struct listen_ctx *lc = ctx;
	int rc = cp_stream_listen(lc->s->st, lc->transport, a, port, lc->err, lc->errlen);
	if (rc != 0)
		return rc;
	char host[64];
	size_t hl = sip_addr_format(a, host, sizeof(host) - 1);
	host[hl] = '\0';
	size_t n = strlen(lc->s->listening);
	snprintf(lc->s->listening + n, sizeof(lc->s->listening) - n, "%s%s %s%s%s:%u",
		n ? ", " : "", lc->transport == SIP_TP_TLS ? "tls" : "tcp",
		a->af == SIP_AF_INET6 ? "[" : "", host, a->af == SIP_AF_INET6 ? "]" : "", port);
	return 0;
}

/* ---- the relay over streams: requests routed by the dataplane's code (cp_relay.c) ---- */

/* A request or response from a stream: to the relay, which decides as a dataplane would. */
static void
to_relay(void *ctx, const char *buf, size_t len, const struct cp_stream_peer *peer)
{
	struct cp_streamsrv *s = ctx;
	struct cp_relay_peer p = {.addr = peer->addr, .port = peer->port,
		.transport = peer->transport, .conn_id = peer->conn};
	cp_relay_input_stream(s->app->relay, buf, len, &p);
}

/* What the relay sends over TCP/TLS: a live connection to dst:port, or a new one. */
static int
relay_send(void *ctx, uint8_t transport, const struct sip_addr *dst, uint16_t port,
		const char *tls_name, const char *buf, size_t len)
{
	struct cp_streamsrv *s = ctx;
	int64_t conn = cp_stream_send(s->st, transport, dst, port, tls_name, buf, len);
	return conn < 0 ? (int)conn : 0;
}

/* The relay's own answers to a request that came over a stream: on its connection. */
static int
relay_reply(void *ctx, uint64_t conn, const char *buf, size_t len)
{
	struct cp_streamsrv *s = ctx;
	return cp_stream_reply(s->st, conn, buf, len);
}

int
cp_streamsrv_start(struct cp_app *app, char *err, size_t errlen)
{
	struct cp_stream_conf sc;
	if (cp_streamsrv_check(&app->cfg, err, errlen) != 0)
		return -EINVAL;
	struct cp_streamsrv *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->app = app;
	app->streams = s;
	stream_conf(&app->cfg, &sc);
	s->st = cp_stream_create(app->loop, &sc);
	if (s->st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	tls_conf(&app->cfg, &s->tc, err, errlen);
	s->tls = cp_tls_create(&s->tc, err, errlen);
	if (s->tls == NULL)
		return -EINVAL;
	cp_stream_set_tls(s->st, s->tls);
	cp_stream_handle_register(s->st, on_register, s);
	if (app->relay != NULL) {
		/* Bridging (docs/dataplane.md): streams in, and TCP/TLS next hops out, through the relay. */
		cp_stream_handle(s->st, to_relay, s);
		cp_relay_set_stream_sender(app->relay, relay_send, s);
		cp_relay_set_reply_sender(app->relay, relay_reply, s);
	}
	cp_stream_on_close(s->st, on_closed, s);
	cp_stream_bound(s->st, bound_until, s);
	struct cp_reg *r = cp_regsrv_reg(app);
	if (r != NULL) {
		cp_reg_set_stream_io(r, reg_send, s);
		unsigned n = cp_reg_drop_flows(r, cp_wall_s());
		if (n > 0) {
			cp_log("registrar: %u flow binding(s) over TCP/TLS dropped (their connections "
					"did not survive the restart)", n);
			cp_regsrv_kick(app);
		}
	}
	if (cp_rpc_register(app->rpc, methods, sizeof(methods) / sizeof(methods[0]), s) != 0) {
		snprintf(err, errlen, "cannot register the tls/connections methods");
		return -EEXIST;
	}
	struct listen_ctx lt = {s, SIP_TP_TCP, err, errlen};
	if (each_listen(&app->cfg, "tcp_listen", app->cfg.tcp_listen, false, listen_one, &lt, err,
			errlen) != 0)
		return -EINVAL;
	lt.transport = SIP_TP_TLS;
	if (each_listen(&app->cfg, "tls_listen", app->cfg.tls_listen, true, listen_one, &lt, err,
			errlen) != 0)
		return -EINVAL;
	if (s->listening[0])
		cp_log("SIP streams: listening on %s", s->listening);
	return 0;
}

void
cp_streamsrv_reconf(struct cp_app *app)
{
	struct cp_streamsrv *s = app->streams;
	struct cp_stream_conf sc;
	if (s == NULL || s->st == NULL)
		return;
	stream_conf(&app->cfg, &sc);
	cp_stream_set_conf(s->st, &sc);
	/* TLS settings and files from the configuration: new contexts, or the old ones stay. */
	struct cp_tls_conf tc;
	char err[1024];
	if (tls_conf(&app->cfg, &tc, err, sizeof(err)) != 0 ||
			cp_tls_reload(s->tls, &tc, err, sizeof(err)) != 0) {
		cp_log("SIGHUP: TLS settings not changed: %s", err);
		return;
	}
	s->tc = tc;
}

void
cp_streamsrv_stop(struct cp_app *app)
{
	struct cp_streamsrv *s = app->streams;
	if (s == NULL)
		return;
	struct cp_reg *r = cp_regsrv_reg(app);
	if (r != NULL)
		cp_reg_set_stream_io(r, NULL, NULL);
	if (app->relay != NULL) {
		cp_relay_set_stream_sender(app->relay, NULL, NULL);
		cp_relay_set_reply_sender(app->relay, NULL, NULL);
	}
	cp_stream_free(s->st);
	cp_tls_free(s->tls);
	free(s);
	app->streams = NULL;
}

void
cp_streamsrv_metrics(struct cp_app *app, struct cp_prom *p)
{
	struct cp_streamsrv *s = app->streams;
	if (s == NULL || s->st == NULL)
		return;
	const uint64_t *c = cp_stream_counters(s->st);
	for (int i = 0; i < CP_STREAM_C__COUNT; i++)
		cp_prom_counter(p, cp_stream_counter_name(i), cp_stream_counter_help(i), c[i]);
	cp_prom_family(p, "sipline_control_stream_connections", "gauge",
			"TCP/TLS connections open");
	cp_prom_u64(p, NULL, cp_stream_count(s->st));
}
