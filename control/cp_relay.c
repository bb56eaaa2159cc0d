/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cp_app.h"
#include "cp_dns.h"
#include "cp_loop.h"
#include "cp_sipsock.h"
#include "dp_acl.h"
#include "dp_keys.h"
#include "dp_sip.h"

#define HELD_MAX 256            /* requests waiting for a name at once */
#define HELD_MS 5000            /* and for at most this long */
#define PKT_MAX 65535

/* Where a message came from: UDP, or a stream connection. */
struct origin {
	struct sip_addr src;
	uint16_t sport;
	uint8_t transport;          /* enum sip_transport */
	uint64_t conn_id;           /* streams */
};

/* A request waiting for its next hop's name. */
struct held {
	struct held *next;
	char host[64];
	uint64_t until;
	struct origin from;
	uint32_t len;
	char data[];
};

struct cp_relay {
	struct cp_loop *loop;
	struct cp_dns *dns;
	struct cp_sipsock *sock;   /* shared with the registrar on the same address */
	struct sip_keyring ring;
	struct dp_sip_config cfg;
	struct dp_counters cnt;
	struct dp_acl acl;         /* peer ACL (has_acl), as the dataplane's --acl */
	bool has_acl;
	struct held *held;
	unsigned n_held;
	bool pending;               /* the run in progress started a resolution */
	char pending_host[64];
	uint64_t tick;
	uint64_t flush;             /* one-shot timer running the held requests */
	char resolved[16][64];      /* names resolved since the last flush */
	unsigned n_resolved;
	struct cp_relay_totals tot;
	cp_relay_route_fn *route;
	void *route_ctx;
	cp_relay_stream_fn *stream;
	void *stream_ctx;
	cp_relay_reply_fn *reply;
	void *reply_ctx;
	int (*udp)(void *ctx, const char *buf, size_t len, const struct sip_addr *dst,
			uint16_t port);
	void *udp_ctx;
	char in[PKT_MAX + 1];
	char out[PKT_MAX + 1];
};

static int
resolve(void *ctx, struct sip_str host, bool sips, bool has_port, uint16_t port,
		struct sip_addr *a, uint16_t *out_port)
{
	struct cp_relay *r = ctx;
	char h[64];

	/* SIPS needs TLS: only with a stream sender; relayed over UDP, never. */
	if ((sips && r->stream == NULL) || host.len == 0 || host.len >= sizeof(h))
		return -EPROTONOSUPPORT;
	if (r->dns == NULL)
		return -EHOSTUNREACH;
	memcpy(h, host.p, host.len);
	h[host.len] = '\0';
	int rc = cp_dns_lookup(r->dns, h, has_port ? port : sips ? 5061 : 5060, a, out_port);
	if (rc == -EAGAIN) {
		r->pending = true;
		memcpy(r->pending_host, h, host.len + 1);
	}
	return rc;
}

/* Send what the decision built: UDP from our socket, TCP/TLS through the hooks. */
static int
send_out(struct cp_relay *r, const struct dp_pkt_out *out, const struct origin *from)
{
	bool stream_reply = out->is_reply && from->transport == out->transport;
	/*
	 * TCP/TLS without a stream sender reaches here only as a response to a
	 * TCP/TLS Via (requests get 503 from the decision): sent over UDP, as a
	 * dataplane alone does, and counted.
	 */
	if (out->transport != SIP_TP_UDP && out->transport != SIP_TP_OTHER && r->stream == NULL &&
			!(stream_reply && r->reply != NULL)) {
		r->tot.no_stream++;
		if (!stream_reply)
			return r->udp != NULL ?
				r->udp(r->udp_ctx, out->buf, out->len, &out->dst, out->dport) :
				cp_sipsock_send(r->sock, out->buf, out->len, &out->dst, out->dport);
		return -EPROTONOSUPPORT;
	}
	if (out->transport == SIP_TP_UDP || out->transport == SIP_TP_OTHER) {
		if (r->udp != NULL)
			return r->udp(r->udp_ctx, out->buf, out->len, &out->dst, out->dport);
		return cp_sipsock_send(r->sock, out->buf, out->len, &out->dst, out->dport);
	}
	/* Our own reply to a request over a stream: on its connection. */
	if (stream_reply && r->reply != NULL) {
		r->tot.stream_out++;
		return r->reply(r->reply_ctx, from->conn_id, out->buf, out->len);
	}
	char name[256];
	size_t nl = out->tls_name.len < sizeof(name) ? out->tls_name.len : 0;
	if (nl)
		memcpy(name, out->tls_name.p, nl);
	name[nl] = '\0';
	int rc = r->stream(r->stream_ctx, out->transport, &out->dst, out->dport, name, out->buf,
			out->len);
	if (rc == 0)
		r->tot.stream_out++;
	else
		r->tot.no_stream++;
	return rc;
}

/* The peer ACL's verdict (a binary search per prefix length: no DPDK here). */
static uint8_t
acl_verdict(void *ctx, const struct sip_addr *src, uint16_t sport)
{
	const struct cp_relay *r = ctx;
	return dp_acl_lookup(&r->acl, src, sport);
}

int
cp_relay_set_acl(struct cp_relay *r, const char *path, char *err, size_t errlen)
{
	struct dp_acl acl = {0};
	if (path[0] != '\0' && dp_acl_load(path, &acl, err, errlen) != 0)
		return -1;
	dp_acl_clear(&r->acl);
	r->acl = acl;
	r->has_acl = path[0] != '\0';
	return 0;
}

int
cp_relay_set_acl_text(struct cp_relay *r, const char *text, size_t len, char *err,
		size_t errlen)
{
	struct dp_acl acl = {0};
	if (dp_acl_parse(text, len, "acl", &acl, err, errlen) != 0)
		return -1;
	dp_acl_clear(&r->acl);
	r->acl = acl;
	r->has_acl = true;
	return 0;
}

/* Run one message through the dataplane's code; held says it was held already. */
static void
run(struct cp_relay *r, const char *p, uint32_t len, const struct origin *from, bool held)
{
	struct dp_sip_env env = {.cfg = &r->cfg, .resolve = resolve, .resolve_ctx = r,
		.route = r->route, .route_ctx = r->route_ctx, .cnt = &r->cnt,
		.acl = r->has_acl ? acl_verdict : NULL, .acl_ctx = r};
	struct dp_pkt_in in = {.payload = p, .len = len, .src = from->src, .sport = from->sport,
		.transport = from->transport};
	struct dp_pkt_out out = {.buf = r->out, .cap = PKT_MAX};

	r->pending = false;
	enum dp_action a = dp_sip_handle(&env, &in, &out);
	if (a == DP_ACT_SEND) {
		if (send_out(r, &out, from) == 0) {
			r->tot.relayed++;
			if (!out.is_reply && out.transport == SIP_TP_UDP &&
					out.len > DP_BRIDGE_LARGE_LEN && memcmp(out.buf, "SIP/", 4) != 0)
				r->tot.large_udp++; /* a request (responses start "SIP/2.0") */
		} else {
			r->tot.dropped++;
		}
		return;
	}
	if (a == DP_ACT_DROP && r->pending && !held && r->n_held < HELD_MAX) {
		struct held *h = malloc(sizeof(*h) + len);
		if (h != NULL) {
			snprintf(h->host, sizeof(h->host), "%s", r->pending_host);
			h->until = cp_now_ms() + HELD_MS;
			h->from = *from;
			h->len = len;
			memcpy(h->data, p, len);
			h->next = r->held;
			r->held = h;
			r->n_held++;
			r->tot.held++;
			return;
		}
	}
	/* Not ours to relay (REGISTER, a request the dataplane would not punt), or unresolved. */
	r->tot.dropped++;
}

static void
on_request(void *ctx, const char *buf, size_t len, const struct sip_addr *src, uint16_t sport)
{
	struct cp_relay *r = ctx;
	if (len > PKT_MAX) {
		r->tot.dropped++;
		return;
	}
	memcpy(r->in, buf, len);
	r->tot.received++;
	struct origin from = {.src = *src, .sport = sport, .transport = SIP_TP_UDP};
	run(r, r->in, (uint32_t)len, &from, false);
}

void
cp_relay_input_udp(struct cp_relay *r, const char *buf, size_t len, const struct sip_addr *src,
		uint16_t sport)
{
	on_request(r, buf, len, src, sport);
}

void
cp_relay_input_stream(struct cp_relay *r, const char *buf, size_t len,
		const struct cp_relay_peer *peer)
{
	if (len > PKT_MAX || (peer->transport != SIP_TP_TCP && peer->transport != SIP_TP_TLS)) {
		r->tot.dropped++;
		return;
	}
	memcpy(r->in, buf, len);
	r->tot.received++;
	r->tot.stream_in++;
	struct origin from = {.src = sip_addr_unmapped(&peer->addr), .sport = peer->port,
		.transport = peer->transport, .conn_id = peer->conn_id};
	run(r, r->in, (uint32_t)len, &from, false);
}

/* Run (or expire) the held requests; host NULL: only expire. */
static void
run_held(struct cp_relay *r, const char *host)
{
	uint64_t now = cp_now_ms();
	struct held **pp = &r->held;
	while (*pp != NULL) {
		struct held *h = *pp;
		bool go = host != NULL && strcmp(h->host, host) == 0;
		if (!go && now < h->until) {
			pp = &h->next;
			continue;
		}
		*pp = h->next;
		r->n_held--;
		if (go) {
			memcpy(r->in, h->data, h->len);
			run(r, r->in, h->len, &h->from, true);
		} else {
			r->tot.dropped++;
		}
		free(h);
	}
}

static int64_t
on_flush(struct cp_loop *l, void *ctx)
{
	struct cp_relay *r = ctx;
	(void)l;
	r->flush = 0;
	unsigned n = r->n_resolved;
	r->n_resolved = 0;
	for (unsigned i = 0; i < n; i++)
		run_held(r, r->resolved[i]);
	return -1;
}

/*
 * A name resolved. Maybe in the middle of a run (c-ares may answer at
 * once): the held requests run from the loop, not from here.
 */
static void
on_resolved(void *ctx, const char *host)
{
	struct cp_relay *r = ctx;
	for (unsigned i = 0; i < r->n_resolved; i++)
		if (strcmp(r->resolved[i], host) == 0)
			return;
	/* More names at once than the list holds: their requests wait for their time-out. */
	if (r->n_resolved < sizeof(r->resolved) / sizeof(r->resolved[0]))
		snprintf(r->resolved[r->n_resolved++], sizeof(r->resolved[0]), "%s", host);
	if (r->flush == 0)
		r->flush = cp_timer_add(r->loop, 0, on_flush, r);
}

static int64_t
on_tick(struct cp_loop *l, void *ctx)
{
	(void)l;
	run_held(ctx, NULL);
	return 500;
}

struct cp_relay *
cp_relay_create(struct cp_loop *l, struct cp_dns *dns, const struct cp_relay_conf *c, char *err,
		size_t errlen)
{
	struct cp_relay *r = calloc(1, sizeof(*r));
	char addr[64];
	unsigned prefix;
	struct dp_key_file kf;

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->loop = l;
	r->dns = dns;
	const char *slash = strchr(c->addr, '/');
	size_t al = slash ? (size_t)(slash - c->addr) : strlen(c->addr);
	if (al == 0 || al >= sizeof(addr)) {
		snprintf(err, errlen, "relay_addr '%s': ADDR/PREFIX, as sipline --addr", c->addr);
		goto fail;
	}
	memcpy(addr, c->addr, al);
	addr[al] = '\0';
	struct sip_addr a;
	if (sip_addr_parse(sip_str_make(addr, al), &a) != 0) {
		snprintf(err, errlen, "relay_addr '%s': not an IP address", c->addr);
		goto fail;
	}
	prefix = slash ? (unsigned)strtoul(slash + 1, NULL, 10) : (a.af == SIP_AF_INET ? 32 : 128);
	if (c->secret_file[0] == '\0') {
		snprintf(err, errlen, "relay needs relay_secret_file (the dataplane's --secret-file: "
				"its branches must verify there)");
		goto fail;
	}
	if (dp_key_file_read(c->secret_file, &kf, err, errlen) != 0)
		goto fail;
	if (c->acl[0] != '\0') {
		char why[400];
		if (cp_relay_set_acl(r, c->acl, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "relay_acl %s", why);
			goto fail;
		}
	}
	dp_keyring_next(NULL, &kf, &r->ring);
	memset(&kf, 0, sizeof(kf));
	r->cfg.relay_in_dialog = c->relay_in_dialog;
	r->cfg.record_route = c->record_route;
	r->cfg.no_route_code = c->no_route_code;
	r->cfg.tls_port = c->tls_port;
	/* As the dataplane's replies (dp_options_sip_config()): byte for byte the same. */
	r->cfg.server = SIP_STR_LIT("Server: sipline\r\n");
	/* The bridge end: large UDP requests leave from here (the kernel fragments). */
	r->cfg.bridge = DP_BRIDGE_LARGE;
	if (dp_sip_config_init(&r->cfg, &a, prefix, c->port, &r->ring) != 0) {
		snprintf(err, errlen, "relay_addr '%s': bad prefix", c->addr);
		goto fail;
	}
	/* Shared with the registrar when it listens on the same address (cp_sipsock.h). */
	char why[200];
	r->sock = cp_sipsock_get(l, &a, c->port, why, sizeof(why));
	if (r->sock == NULL) {
		snprintf(err, errlen, "relay: %s", why);
		goto fail;
	}
	cp_sipsock_handle(r->sock, CP_SIPSOCK_OTHER, on_request, NULL, r);
	if ((r->tick = cp_timer_add(l, 500, on_tick, r)) == 0) {
		snprintf(err, errlen, "relay: out of memory");
		goto fail;
	}
	if (dns != NULL)
		cp_dns_on_resolved(dns, on_resolved, r);
	return r;
fail:
	cp_relay_free(r);
	return NULL;
}

void
cp_relay_free(struct cp_relay *r)
{
	if (r == NULL)
		return;
	dp_acl_clear(&r->acl);
	if (r->dns != NULL)
		cp_dns_on_resolved(r->dns, NULL, NULL);
	if (r->tick)
		cp_timer_del(r->loop, r->tick);
	if (r->flush)
		cp_timer_del(r->loop, r->flush);
	cp_sipsock_put(r->sock, CP_SIPSOCK_OTHER);
	while (r->held != NULL) {
		struct held *h = r->held;
		r->held = h->next;
		free(h);
	}
	memset(&r->ring, 0, sizeof(r->ring));
	free(r);
}

void
cp_relay_totals(const struct cp_relay *r, struct cp_relay_totals *t)
{
	*t = r->tot;
	t->unresolved = r->cnt.v[DP_C_DROP_UNRESOLVED];
}

void
cp_relay_set_route(struct cp_relay *r, cp_relay_route_fn *fn, void *ctx)
{
	r->route = fn;
	r->route_ctx = ctx;
}

void
cp_relay_set_stream_sender(struct cp_relay *r, cp_relay_stream_fn *fn, void *ctx)
{
	r->stream = fn;
	r->stream_ctx = ctx;
	/* With a sender, TCP/TLS next hops are sent from here; without, they get 503. */
	r->cfg.bridge = (uint8_t)(DP_BRIDGE_LARGE | (fn != NULL ? DP_BRIDGE_STREAMS : 0));
}

void
cp_relay_set_reply_sender(struct cp_relay *r, cp_relay_reply_fn *fn, void *ctx)
{
	r->reply = fn;
	r->reply_ctx = ctx;
}

void
cp_relay_set_udp_sender(struct cp_relay *r,
		int (*fn)(void *ctx, const char *buf, size_t len, const struct sip_addr *dst,
				uint16_t port), void *ctx)
{
	r->udp = fn;
	r->udp_ctx = ctx;
}

void
cp_relay_key_fp(const struct cp_relay *r, uint8_t fp[8])
{
	char hex[SIP_KEY_FP_LEN + 1];

	sip_key_fingerprint(&r->ring.cur, hex);
	for (unsigned i = 0; i < 8; i++) {
		unsigned v = 0;
		for (unsigned k = 0; k < 2; k++) {
			char c = hex[2 * i + k];
			v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 :
					c - '0');
		}
		fp[i] = (uint8_t)v;
	}
}

const struct dp_counters *
cp_relay_counters(const struct cp_relay *r)
{
	return &r->cnt;
}
