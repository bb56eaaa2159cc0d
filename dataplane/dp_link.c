/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's end of the control link (link/sl_link.h): a non-blocking
 * Unix socket served from the main lcore's loop. Plans are published with
 * RCU (rules_swap), bindings go into the location table; workers never wait.
 */
#include "dp_link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "dp_keyring.h"
#include "dp_stats.h"
#include "dp_telemetry.h"
#include "sl_link_io.h"

#define MAX_CLIENTS 4

static struct {
	struct dp_app *app;
	int listen_fd;
	char path[108];
	int fd[MAX_CLIENTS];
	struct sl_rx *rx[MAX_CLIENTS];
	unsigned oldest;         /* next slot to evict when all are taken */
	/*
	 * Binding re-sync (mark-and-sweep): every LOC_SET marks its binding
	 * with loc_gen; SYNC_BEGIN starts a new generation, SYNC_END from the
	 * same client removes the bindings of older ones. -1: no sync running.
	 */
	uint32_t loc_gen;
	int sync_owner;
	uint32_t sync_sets;
} lk = {.listen_fd = -1, .sync_owner = -1};

static void
drop_client(unsigned i)
{
	if (lk.sync_owner == (int)i)
		lk.sync_owner = -1; /* its re-sync is abandoned: nothing is swept */
	close(lk.fd[i]);
	lk.fd[i] = -1;
	sl_rx_reset(lk.rx[i]);
}

int
dp_link_init(struct dp_app *app, const char *path, char *err, size_t errlen)
{
	lk.app = app;
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		lk.fd[i] = -1;
		lk.rx[i] = malloc(sizeof(struct sl_rx));
		if (lk.rx[i] == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		sl_rx_init(lk.rx[i]);
	}
	int s = sl_link_listen(path, err, errlen);
	if (s < 0)
		return s;
	lk.listen_fd = s;
	snprintf(lk.path, sizeof(lk.path), "%s", path);
	return 0;
}

void
dp_link_fini(void)
{
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		if (lk.fd[i] >= 0)
			drop_client(i);
		free(lk.rx[i]);
		lk.rx[i] = NULL;
	}
	if (lk.listen_fd >= 0) {
		close(lk.listen_fd);
		unlink(lk.path);
		lk.listen_fd = -1;
	}
}

static int
reply_errors(int fd, uint32_t seq, int status, const struct rules_errors *errs)
{
	char text[4000];
	size_t n = 0;

	for (unsigned i = 0; i < errs->n && n < sizeof(text) - 1; i++) {
		int w = snprintf(text + n, sizeof(text) - n, "%s\n", errs->msg[i]);
		if (w < 0)
			break;
		n += (size_t)w < sizeof(text) - n ? (size_t)w : sizeof(text) - n - 1;
	}
	return sl_link_send_result(fd, seq, status, text, n);
}

/*
 * Load a pushed blob and publish it. With SL_PLAN_GW_STATES the gateway
 * states that follow the header are the control plane's complete view:
 * the new plan starts with them (no window where a down gateway serves);
 * without, it inherits the old plan's.
 */
static int
publish_blob(struct dp_app *app, const void *blob, size_t size, const struct sl_rx *rx,
		struct rules_errors *errs)
{
	const struct sl_plan_push *pp = sl_rx_payload(rx);
	struct rules_plan *plan = rules_plan_load(blob, size, errs);
	if (plan == NULL)
		return -EINVAL;
	if (!(pp->flags & SL_PLAN_GW_STATES))
		return rules_swap_publish(app->rules, plan);
	uint32_t room = (rx->hdr.len - (uint32_t)sizeof(*pp)) / (uint32_t)sizeof(struct sl_gw_state);
	uint32_t n = pp->n_gw < room ? pp->n_gw : room;
	uint32_t *down = malloc((n ? n : 1) * sizeof(*down));
	unsigned nd = 0;
	if (down == NULL) {
		rules_plan_free(plan);
		return -ENOMEM;
	}
	const struct sl_gw_state *g = (const struct sl_gw_state *)(pp + 1);
	for (uint32_t i = 0; i < n; i++) {
		if (!g[i].down)
			continue;
		int id = rules_plan_gateway_find(plan, g[i].host, strnlen(g[i].host,
				sizeof(g[i].host)), g[i].port, g[i].transport);
		if (id >= 0)
			down[nd++] = (uint32_t)id;
	}
	int rc = rules_swap_publish_health(app->rules, plan, down, nd);
	free(down);
	return rc;
}

static int
on_plan_push(int fd, const struct sl_rx *rx)
{
	struct dp_app *app = lk.app;
	const struct sl_plan_push *pp = sl_rx_payload(rx);
	struct rules_errors errs = {0};
	struct stat st;
	const char *msg;

	if (rx->hdr.len < sizeof(*pp) || rx->fd < 0) {
		msg = "PLAN_PUSH needs its payload and a memfd";
		return sl_link_send_result(fd, rx->hdr.seq, -EINVAL, msg, strlen(msg));
	}
	if (fstat(rx->fd, &st) != 0 || (uint64_t)st.st_size < pp->size || pp->size == 0) {
		msg = "PLAN_PUSH: the memfd is smaller than the announced blob";
		return sl_link_send_result(fd, rx->hdr.seq, -EINVAL, msg, strlen(msg));
	}
	/*
	 * Read, not mapped: a client that shrank the memfd after sending it
	 * would make a mapping fault (SIGBUS); a short read is only an error.
	 */
	void *blob = pp->size <= SIZE_MAX ? malloc((size_t)pp->size) : NULL;
	if (blob == NULL) {
		msg = "PLAN_PUSH: no memory for the blob";
		return sl_link_send_result(fd, rx->hdr.seq, -ENOMEM, msg, strlen(msg));
	}
	size_t got = 0;
	while (got < pp->size) {
		ssize_t r = pread(rx->fd, (char *)blob + got, (size_t)pp->size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < pp->size) {
		free(blob);
		msg = "PLAN_PUSH: the memfd shrank while being read";
		return sl_link_send_result(fd, rx->hdr.seq, -EINVAL, msg, strlen(msg));
	}
	int rc = publish_blob(app, blob, (size_t)pp->size, rx, &errs);
	free(blob);
	if (rc != 0) {
		fprintf(stderr, "sipline: plan push refused (%s); the current plan keeps serving\n",
				strerror(-rc));
		rules_errors_print(&errs, stderr);
		int sent = reply_errors(fd, rx->hdr.seq, rc, &errs);
		rules_errors_clear(&errs);
		return sent;
	}
	/* The main lcore is the only writer: the current instance cannot go away under us. */
	struct rules_plan_info info;
	rules_plan_info(rules_inst_plan(rules_swap_current(app->rules)), &info);
	char name[65];
	snprintf(name, sizeof(name), "%.64s", pp->name);
	dp_telemetry_set_plan(info.name ? info.name : name, info.sha256, "control link",
			info.n_rules);
	printf("sipline: dialplan pushed: version %llu, %u rules, sha256 %s\n",
			(unsigned long long)rules_swap_version(app->rules), info.n_rules, info.sha256);
	fflush(stdout);
	return sl_link_send_result(fd, rx->hdr.seq, 0, NULL, 0);
}

static int
on_loc_set(int fd, const struct sl_rx *rx)
{
	const struct sl_loc_set *ls = sl_rx_payload(rx);
	struct dp_binding b;
	int rc = -EINVAL;

	if (rx->hdr.len >= sizeof(*ls) && (ls->af == 4 || ls->af == 6)) {
		memset(&b, 0, sizeof(b));
		b.aor_len = (uint16_t)strnlen(ls->aor, sizeof(ls->aor));
		memcpy(b.aor, ls->aor, b.aor_len);
		b.contact_len = (uint16_t)strnlen(ls->contact, sizeof(ls->contact));
		memcpy(b.contact, ls->contact, b.contact_len);
		b.nh.af = ls->af == 4 ? SIP_AF_INET : SIP_AF_INET6;
		memcpy(b.nh.a, ls->addr, 16);
		b.port = ls->port ? ls->port : 5060;
		b.transport = ls->transport;
		b.expires = ls->expires;
		b.mark = lk.loc_gen;
		rc = dp_loc_set(lk.app->loc, &b);
		if (rc == 0 && lk.sync_owner >= 0)
			lk.sync_sets++;
	}
	return sl_link_send_result(fd, rx->hdr.seq, rc, NULL, 0);
}

/*
 * Fingerprint of the key that signs branches, To-tags and Record-Routes
 * (sip_key_fingerprint(): 16 hex digits, nothing about the key), as the
 * 8 bytes HELLO_ACK carries. A key rotated later (SIGHUP) shows at the
 * next HELLO.
 */
static void
key_fingerprint(const struct dp_app *app, uint8_t out[SL_KEY_FP_LEN])
{
	char hex[SIP_KEY_FP_LEN + 1];
	_Static_assert(SIP_KEY_FP_LEN == 2 * SL_KEY_FP_LEN, "16 hex digits, 8 bytes");
	dp_keys_fingerprint(app, hex);
	for (unsigned i = 0; i < SL_KEY_FP_LEN; i++) {
		unsigned v = 0;
		for (unsigned k = 0; k < 2; k++) {
			char c = hex[2 * i + k];
			v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 :
					c - '0');
		}
		out[i] = (uint8_t)v;
	}
}

static int
on_hello(int fd, const struct sl_rx *rx)
{
	struct dp_app *app = lk.app;
	struct sl_hello_ack ack;
	const struct rules_inst *inst = rules_swap_current(app->rules);

	memset(&ack, 0, sizeof(ack));
	ack.plan_version = rules_swap_version(app->rules);
	if (inst != NULL) {
		struct rules_plan_info info;
		rules_plan_info(rules_inst_plan(inst), &info);
		memcpy(ack.plan_sha256, info.sha256, sizeof(ack.plan_sha256));
	}
	ack.bindings = dp_loc_count(app->loc);
	ack.lcores = app->n_lcores;
	ack.uptime_s = (rte_rdtsc() - app->start_tsc) / rte_get_tsc_hz();
	key_fingerprint(app, ack.key_fp);
	ack.pid = (uint32_t)getpid();
	snprintf(ack.name, sizeof(ack.name), "%s", app->opt.tap);
	if (inst != NULL) {
		struct rules_plan_info info;
		rules_plan_info(rules_inst_plan(inst), &info);
		for (uint32_t i = 0; i < info.n_gateways; i++)
			ack.gateways_down += rules_inst_gw_is_down(inst, i);
	}
	return sl_link_send_nowait(fd, SL_MSG_HELLO_ACK, rx->hdr.seq, &ack, sizeof(ack), -1);
}

/* A STATS page being filled: records from position cursor on, until full. */
struct stats_page {
	unsigned char *buf;
	size_t len;
	uint32_t pos, cursor, n, next;
};

static int
page_add(const char *name, unsigned worker, unsigned code, enum dp_stat_kind kind,
		uint64_t value, void *ctx)
{
	struct stats_page *p = ctx;
	uint32_t pos = p->pos++;
	size_t nl = strlen(name);
	if (pos < p->cursor || (code != 0 && value == 0))
		return 0;
	if (nl > 255)
		nl = 255;
	size_t sz = SL_STAT_SIZE(nl);
	if (p->len + sz > SL_LINK_MAX_PAYLOAD) {
		p->next = pos; /* resume here */
		return 1;
	}
	struct sl_stat st = {.value = value, .worker = (uint16_t)worker, .code = (uint16_t)code,
		.kind = kind == DP_STAT_GAUGE ? SL_STAT_GAUGE : SL_STAT_COUNTER,
		.name_len = (uint8_t)nl};
	memset(p->buf + p->len, 0, sz);
	memcpy(p->buf + p->len, &st, sizeof(st));
	memcpy(p->buf + p->len + sizeof(st), name, nl);
	p->len += sz;
	p->n++;
	return 0;
}

/* STATS: counters by name, a page at a time (sl_link.h). */
static int
on_stats(int fd, const struct sl_rx *rx)
{
	struct dp_app *app = lk.app;
	static unsigned char buf[SL_LINK_MAX_PAYLOAD];
	struct sl_stats_get g = {0};
	struct stats_page p = {.buf = buf, .len = sizeof(struct sl_stats)};

	if (rx->hdr.len >= sizeof(g))
		memcpy(&g, sl_rx_payload(rx), sizeof(g));
	p.cursor = g.cursor;
	dp_stats_snapshot(app, DP_STATS_STATUS | (g.flags & SL_STATS_PER_WORKER ?
			DP_STATS_WORKERS : 0), page_add, &p);
	struct sl_stats st = {
		.n = p.n,
		.next = p.next,
		.plan_version = rules_swap_version(app->rules),
		.bindings = dp_loc_count(app->loc),
	};
	memcpy(buf, &st, sizeof(st));
	return sl_link_send_nowait(fd, SL_MSG_STATS, rx->hdr.seq, buf, (uint32_t)p.len, -1);
}

/* SYNC_BEGIN / SYNC_END of the binding re-sync. */
static int
on_sync(int fd, unsigned client, const struct sl_rx *rx)
{
	struct sl_sync sy = {0};
	const char *msg = NULL;
	int rc = 0;

	if (rx->hdr.len >= sizeof(sy))
		memcpy(&sy, sl_rx_payload(rx), sizeof(sy));
	if (!(sy.what & SL_SYNC_BINDINGS)) {
		msg = "nothing to sync (what)";
		rc = -EINVAL;
	} else if (rx->hdr.type == SL_MSG_SYNC_BEGIN) {
		lk.loc_gen++;
		lk.sync_owner = (int)client;
		lk.sync_sets = 0;
	} else if (lk.sync_owner != (int)client) {
		msg = "SYNC_END without this client's SYNC_BEGIN";
		rc = -EINVAL;
	} else {
		unsigned gone = dp_loc_sweep(lk.app->loc, lk.loc_gen);
		printf("sipline: bindings re-synced: %u set, %u removed, %u in the table\n",
				lk.sync_sets, gone, dp_loc_count(lk.app->loc));
		fflush(stdout);
		lk.sync_owner = -1;
	}
	return sl_link_send_result(fd, rx->hdr.seq, rc, msg, msg ? strlen(msg) : 0);
}

static int
handle(int fd, unsigned client, const struct sl_rx *rx)
{
	struct dp_app *app = lk.app;
	const void *p = sl_rx_payload(rx);
	int rc;

	switch (rx->hdr.type) {
	case SL_MSG_HELLO:
		return on_hello(fd, rx);
	case SL_MSG_PLAN_PUSH:
		return on_plan_push(fd, rx);
	case SL_MSG_LOC_SET:
		return on_loc_set(fd, rx);
	case SL_MSG_LOC_DEL: {
		const struct sl_loc_del *d = p;
		rc = rx->hdr.len >= sizeof(*d) ?
			dp_loc_del(app->loc, d->aor, strnlen(d->aor, sizeof(d->aor))) : -EINVAL;
		return sl_link_send_result(fd, rx->hdr.seq, rc, NULL, 0);
	}
	case SL_MSG_SYNC_BEGIN:
	case SL_MSG_SYNC_END:
		return on_sync(fd, client, rx);
	case SL_MSG_GW_STATE: {
		const struct sl_gw_state *g = p;
		char host[sizeof(g->host) + 1];
		rc = -EINVAL;
		if (rx->hdr.len >= sizeof(*g)) {
			/* The host travels in a fixed field: make it a C string here. */
			snprintf(host, sizeof(host), "%.*s", (int)strnlen(g->host, sizeof(g->host)),
					g->host);
			rc = rules_swap_gw_set(app->rules, host, g->port, g->transport, g->down != 0);
		}
		return sl_link_send_result(fd, rx->hdr.seq, rc, NULL, 0);
	}
	case SL_MSG_STATS_GET:
		return on_stats(fd, rx);
	case SL_MSG_PING:
		return sl_link_send_result(fd, rx->hdr.seq, 0, NULL, 0);
	default: {
		const char *msg = "unknown message type";
		return sl_link_send_result(fd, rx->hdr.seq, -ENOTSUP, msg, strlen(msg));
	}
	}
}

unsigned
dp_link_poll(void)
{
	unsigned work = 0;

	if (lk.listen_fd < 0)
		return 0;
	for (;;) {
		int c = accept4(lk.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0)
			break;
		unsigned i = 0;
		while (i < MAX_CLIENTS && lk.fd[i] >= 0)
			i++;
		if (i == MAX_CLIENTS) {
			/*
			 * Full: the oldest connection goes, so idle or stuck clients can
			 * never lock the control plane out (a live one reconnects).
			 */
			i = lk.oldest;
			lk.oldest = (lk.oldest + 1) % MAX_CLIENTS;
			drop_client(i);
		}
		lk.fd[i] = c;
		sl_rx_init(lk.rx[i]);
		work++;
	}
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		if (lk.fd[i] < 0)
			continue;
		int rc;
		while ((rc = sl_link_recv(lk.fd[i], lk.rx[i])) == 1) {
			int sent = handle(lk.fd[i], i, lk.rx[i]);
			sl_rx_reset(lk.rx[i]);
			work++;
			if (sent < 0) {
				/* It does not read its replies (or left): never wait for it. */
				rc = sent;
				break;
			}
		}
		if (rc < 0)
			drop_client(i); /* closed, stuck, or spoke another protocol */
	}
	return work;
}
