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

#include "dp_telemetry.h"
#include "sl_link_io.h"

#define MAX_CLIENTS 4

static struct {
	struct dp_app *app;
	int listen_fd;
	char path[108];
	struct sl_link_file file; /* the socket file we created: the only one we remove */
	int fd[MAX_CLIENTS];
	struct sl_rx *rx[MAX_CLIENTS];
	unsigned oldest;         /* next slot to evict when all are taken */
} lk = {.listen_fd = -1};

static void
drop_client(unsigned i)
{
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
	int s = sl_link_listen(path, &lk.file, err, errlen);
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
		sl_link_unlisten(lk.listen_fd, lk.path, &lk.file);
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
	int rc = rules_swap_load_blob(app->rules, blob, (size_t)pp->size, &errs);
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
		rc = dp_loc_set(lk.app->loc, &b);
	}
	return sl_link_send_result(fd, rx->hdr.seq, rc, NULL, 0);
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
	return sl_link_send_nowait(fd, SL_MSG_HELLO_ACK, rx->hdr.seq, &ack, sizeof(ack), -1);
}

static int
on_stats(int fd, const struct sl_rx *rx)
{
	struct dp_app *app = lk.app;
	unsigned char buf[sizeof(struct sl_stats) + DP_C__COUNT * sizeof(uint64_t)];
	struct sl_stats st = {
		.n = DP_C__COUNT,
		.plan_version = rules_swap_version(app->rules),
		.bindings = dp_loc_count(app->loc),
	};

	memcpy(buf, &st, sizeof(st));
	for (unsigned k = 0; k < DP_C__COUNT; k++) {
		uint64_t v = dp_app_counter(app, k);
		memcpy(buf + sizeof(st) + k * sizeof(v), &v, sizeof(v));
	}
	return sl_link_send_nowait(fd, SL_MSG_STATS, rx->hdr.seq, buf, sizeof(buf), -1);
}

static int
handle(int fd, const struct sl_rx *rx)
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
	case SL_MSG_LOC_CLEAR:
		dp_loc_clear(app->loc);
		return sl_link_send_result(fd, rx->hdr.seq, 0, NULL, 0);
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
			int sent = handle(lk.fd[i], lk.rx[i]);
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
