/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's end of the control link (link/sl_link.h): a non-blocking
 * Unix socket served from the main lcore's loop. Plans are published with
 * RCU (rules_swap), bindings go into the location table; workers never wait.
 *
 * A pushed plan can be hundreds of megabytes: reading, checking and
 * publishing it is done by a thread of its own, one push at a time, while
 * the main lcore keeps serving ARP, the kernel's traffic and the link. Its
 * RESULT is sent by the main lcore once the thread is done. A push while
 * another is loading is refused (-EBUSY), and a blob larger than
 * --max-plan-size is refused before a byte of it is read (-EFBIG).
 */
#include "dp_link.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "dp_acl_lpm.h"
#include "dp_keyring.h"
#include "dp_setup.h"
#include "dp_stats.h"
#include "dp_telemetry.h"
#include "sl_link_io.h"

#define MAX_CLIENTS 4
/* Room for the errors of a refused push in its RESULT. */
#define RESULT_TEXT 4000

static struct {
	struct dp_app *app;
	int listen_fd;
	char path[108];
	struct sl_link_file file; /* the socket file we created: the only one we remove */
	int fd[MAX_CLIENTS];
	uint64_t conn[MAX_CLIENTS]; /* connection number in each slot */
	uint64_t next_conn;
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
	/* Clients that said BRIDGE (SL_BRIDGE_TRANSPORTS): the fast path punts to them. */
	bool bridge[MAX_CLIENTS];
} lk = {.listen_fd = -1, .sync_owner = -1};

/*
 * The plan push being loaded. The main lcore fills the request and starts
 * the thread; the thread fills the answer and sets done; the main lcore
 * joins it and sends the RESULT to the connection that asked, if it is
 * still there. Nothing else is shared.
 */
static struct {
	pthread_t th;
	bool running;            /* a thread to join (main lcore only) */
	int done;                /* the thread finished: answer ready (release/acquire) */
	/* request */
	int fd;                  /* the memfd (our duplicate), closed by the thread */
	uint64_t size;
	char name[65];
	unsigned slot;
	uint64_t conn;
	uint32_t seq;
	/*
	 * With SL_PLAN_GW_STATES: the control plane's complete view of the
	 * gateways (malloc'd copy), applied to the new plan before it serves.
	 */
	struct sl_gw_state *gw;
	uint32_t n_gw;
	bool with_gw;
	/* answer */
	int status;
	char text[RESULT_TEXT];
	size_t len;
} push;

/*
 * Publish whether a connected control plane bridges transports: the
 * workers' dp_sip_config.bridge (DP_BRIDGE_PUNT), one relaxed store per
 * family (a packet decided just before sees the old value: harmless).
 */
static void
bridge_update(void)
{
	bool on = false;

	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		on = on || (lk.fd[i] >= 0 && lk.bridge[i]);
	uint8_t v = on ? DP_BRIDGE_PUNT : 0;
	if (__atomic_load_n(&lk.app->sip4.bridge, __ATOMIC_RELAXED) != v) {
		printf("sipline: transport bridging %s\n", on ? "on: TCP/TLS next hops and "
				"large requests go to the control plane" : "off: TCP/TLS next hops get 503");
		fflush(stdout);
	}
	__atomic_store_n(&lk.app->sip4.bridge, v, __ATOMIC_RELAXED);
	__atomic_store_n(&lk.app->sip6.bridge, v, __ATOMIC_RELAXED);
}

static void
drop_client(unsigned i)
{
	if (lk.bridge[i]) {
		lk.bridge[i] = false;
		bridge_update(); /* lk.bridge[i] is off: this client no longer counts */
	}
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
	int s = sl_link_listen(path, &lk.file, err, errlen);
	if (s < 0)
		return s;
	lk.listen_fd = s;
	snprintf(lk.path, sizeof(lk.path), "%s", path);
	return 0;
}

bool
dp_link_fini(void)
{
	bool lingering = false;

	/* dp_setup_close_publish() ran: a push still loading can no longer publish. */
	if (push.running) {
		if (__atomic_load_n(&push.done, __ATOMIC_ACQUIRE)) {
			pthread_join(push.th, NULL);
			push.running = false;
		} else {
			printf("sipline: plan push abandoned (still loading)\n");
			lingering = true;
		}
	}
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
	return lingering;
}

/* errs as RESULT text: one message per line, cut to RESULT_TEXT. */
static size_t
format_errors(char *text, size_t cap, const struct rules_errors *errs)
{
	size_t n = 0;

	for (unsigned i = 0; i < errs->n && n < cap - 1; i++) {
		int w = snprintf(text + n, cap - n, "%s\n", errs->msg[i]);
		if (w < 0)
			break;
		n += (size_t)w < cap - n ? (size_t)w : cap - n - 1;
	}
	return n;
}

static void
push_answer(int status, const char *fmt, ...)
{
	va_list ap;
	int w;

	push.status = status;
	va_start(ap, fmt);
	w = vsnprintf(push.text, sizeof(push.text), fmt, ap);
	va_end(ap);
	push.len = w < 0 ? 0 : (size_t)w < sizeof(push.text) ? (size_t)w : sizeof(push.text) - 1;
}

/*
 * The push thread: read the blob (read, not mapped: a client that shrank
 * the memfd after sending it would make a mapping fault, SIGBUS; a short
 * read is only an error), check and rebuild the plan, publish it.
 */
static void *
push_thread(void *arg)
{
	struct dp_app *app = arg;
	struct rules_errors errs = {0};
	struct rules_plan *plan = NULL;
	size_t got = 0;
	void *blob = push.size <= SIZE_MAX ? malloc((size_t)push.size) : NULL;

	if (blob == NULL) {
		push_answer(-ENOMEM, "PLAN_PUSH: no memory for a blob of %llu bytes",
				(unsigned long long)push.size);
		goto out;
	}
	while (got < push.size) {
		ssize_t r = pread(push.fd, (char *)blob + got, (size_t)push.size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(push.fd);
	push.fd = -1;
	if (got < push.size) {
		push_answer(-EINVAL, "PLAN_PUSH: the memfd shrank while being read");
		goto out;
	}
	plan = rules_plan_load(blob, (size_t)push.size, &errs);
	free(blob);
	blob = NULL;
	if (plan == NULL) {
		fprintf(stderr, "sipline: plan push refused; the current plan keeps serving\n");
		rules_errors_print(&errs, stderr);
		push.status = -EINVAL;
		push.len = format_errors(push.text, sizeof(push.text), &errs);
		goto out;
	}
	/* Read before publishing: from then on the plan is the swap's, freed by a later one. */
	struct rules_plan_info info;
	char name[65], sha[65];
	rules_plan_info(plan, &info);
	snprintf(name, sizeof(name), "%.64s", info.name ? info.name : push.name);
	snprintf(sha, sizeof(sha), "%s", info.sha256);
	uint32_t n_rules = info.n_rules;
	/* Gateways down in the control plane's view start down: no window where they serve. */
	uint32_t *down = NULL;
	unsigned nd = 0;
	if (push.with_gw && push.n_gw > 0) {
		down = malloc(push.n_gw * sizeof(*down));
		if (down == NULL) {
			rules_plan_free(plan);
			push_answer(-ENOMEM, "PLAN_PUSH: no memory for the gateway states");
			goto out;
		}
		for (uint32_t i = 0; i < push.n_gw; i++) {
			const struct sl_gw_state *g = &push.gw[i];
			int id = g->down ? rules_plan_gateway_find(plan, g->host,
					strnlen(g->host, sizeof(g->host)), g->port, g->transport) : -1;
			if (id >= 0)
				down[nd++] = (uint32_t)id;
		}
	}
	int rc = dp_setup_publish_health(app, plan, down, nd, push.with_gw);
	free(down);
	if (rc != 0) {
		fprintf(stderr, "sipline: plan push not published (%s); the current plan keeps "
				"serving\n", strerror(-rc));
		push_answer(rc, "PLAN_PUSH: not published: %s", rc == -ECANCELED ?
				"the dataplane is shutting down" : strerror(-rc));
		goto out;
	}
	dp_telemetry_set_plan(name, sha, "control link", n_rules);
	printf("sipline: dialplan pushed: version %llu, %u rules, sha256 %s\n",
			(unsigned long long)rules_swap_version(app->rules), n_rules, sha);
	fflush(stdout);
	push_answer(0, "%s", "");
out:
	free(blob);
	if (push.fd >= 0) {
		close(push.fd);
		push.fd = -1;
	}
	rules_errors_clear(&errs);
	free(push.gw);
	push.gw = NULL;
	__atomic_store_n(&push.done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Check what can be checked at once, then hand the blob to the push
 * thread. Returns what sl_link_send_result() returned for an immediate
 * refusal, or 0 (the RESULT comes later, from push_collect()).
 */
static int
on_plan_push(unsigned slot, const struct sl_rx *rx)
{
	struct dp_app *app = lk.app;
	const struct sl_plan_push *pp = sl_rx_payload(rx);
	int fd = lk.fd[slot];
	struct stat st;
	char msg[160];
	int rc;

	if (rx->hdr.len < sizeof(*pp) || rx->fd < 0 || pp->size == 0) {
		rc = -EINVAL;
		snprintf(msg, sizeof(msg), "PLAN_PUSH needs its payload and a memfd");
		goto refuse;
	}
	if (pp->size > app->opt.max_plan_size) {
		rc = -EFBIG;
		snprintf(msg, sizeof(msg), "PLAN_PUSH: a blob of %llu bytes is larger than "
				"--max-plan-size (%llu bytes)", (unsigned long long)pp->size,
				(unsigned long long)app->opt.max_plan_size);
		goto refuse;
	}
	if (fstat(rx->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(msg, sizeof(msg), "PLAN_PUSH: the descriptor is not a memfd");
		goto refuse;
	}
	if ((uint64_t)st.st_size < pp->size) {
		rc = -EINVAL;
		snprintf(msg, sizeof(msg), "PLAN_PUSH: the memfd is smaller than the announced blob");
		goto refuse;
	}
	if (push.running) {
		rc = -EBUSY;
		snprintf(msg, sizeof(msg), "PLAN_PUSH: another push is being loaded; push again "
				"once it is answered");
		goto refuse;
	}
	push.fd = fcntl(rx->fd, F_DUPFD_CLOEXEC, 0);
	if (push.fd < 0) {
		rc = -errno;
		snprintf(msg, sizeof(msg), "PLAN_PUSH: cannot keep the memfd: %s", strerror(errno));
		goto refuse;
	}
	push.with_gw = (pp->flags & SL_PLAN_GW_STATES) != 0;
	push.n_gw = 0;
	push.gw = NULL;
	if (push.with_gw) {
		uint32_t room = (rx->hdr.len - (uint32_t)sizeof(*pp)) /
			(uint32_t)sizeof(struct sl_gw_state);
		push.n_gw = pp->n_gw < room ? pp->n_gw : room;
		push.gw = malloc((push.n_gw ? push.n_gw : 1) * sizeof(*push.gw));
		if (push.gw == NULL) {
			close(push.fd);
			push.fd = -1;
			rc = -ENOMEM;
			snprintf(msg, sizeof(msg), "PLAN_PUSH: no memory for the gateway states");
			goto refuse;
		}
		memcpy(push.gw, pp + 1, push.n_gw * sizeof(*push.gw));
	}
	push.size = pp->size;
	snprintf(push.name, sizeof(push.name), "%.*s", (int)strnlen(pp->name, sizeof(pp->name)),
			pp->name);
	push.slot = slot;
	push.conn = lk.conn[slot];
	push.seq = rx->hdr.seq;
	push.done = 0;
	rc = pthread_create(&push.th, NULL, push_thread, app);
	if (rc != 0) {
		close(push.fd);
		push.fd = -1;
		free(push.gw);
		push.gw = NULL;
		snprintf(msg, sizeof(msg), "PLAN_PUSH: cannot start the loading thread: %s",
				strerror(rc));
		rc = -rc;
		goto refuse;
	}
	push.running = true;
	return 0;
refuse:
	return sl_link_send_result(fd, rx->hdr.seq, rc, msg, strlen(msg));
}

/* A finished push: join its thread and answer the connection that asked, if still there. */
static unsigned
push_collect(void)
{
	if (!push.running || !__atomic_load_n(&push.done, __ATOMIC_ACQUIRE))
		return 0;
	pthread_join(push.th, NULL);
	push.running = false;
	unsigned i = push.slot;
	if (lk.fd[i] >= 0 && lk.conn[i] == push.conn &&
			sl_link_send_result(lk.fd[i], push.seq, push.status, push.text, push.len) < 0)
		drop_client(i);
	return 1;
}

static int
on_loc_set(int fd, const struct sl_rx *rx)
{
	struct dp_binding b;
	char msg[96];
	/* The same decoder as the control plane's router (dp_loc_from_link()). */
	int rc = dp_loc_from_link(sl_rx_payload(rx), rx->hdr.len, &b, msg, sizeof(msg));

	if (rc != 0)
		return sl_link_send_result(fd, rx->hdr.seq, rc, msg, strlen(msg));
	b.mark = lk.loc_gen;
	rc = dp_loc_set(lk.app->loc, &b);
	if (rc == 0 && lk.sync_owner >= 0)
		lk.sync_sets++;
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

	memset(&ack, 0, sizeof(ack));
	/*
	 * Not from the current instance: the main lcore is no RCU reader, and a
	 * reload or push thread may publish and free it meanwhile.
	 */
	ack.plan_version = rules_swap_current_id(app->rules, ack.plan_sha256);
	ack.bindings = dp_loc_count(app->loc);
	ack.lcores = app->n_lcores;
	ack.uptime_s = (rte_rdtsc() - app->start_tsc) / rte_get_tsc_hz();
	key_fingerprint(app, ack.key_fp);
	ack.pid = (uint32_t)getpid();
	snprintf(ack.name, sizeof(ack.name), "%s", app->opt.tap);
	ack.gateways_down = rules_swap_gw_down(app->rules);
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

/*
 * ACL_PUSH: compile and publish on the main lcore (the parser of --acl
 * files, the table built beside the old one, swapped under RCU). A large
 * list holds the main lcore for its compile (as a SIGHUP reload does);
 * the workers keep forwarding meanwhile.
 */
static int
on_acl_push(int fd, const struct sl_rx *rx)
{
	const struct sl_acl_push *ap = sl_rx_payload(rx);
	static struct dp_acl_errors errs;
	static char text[RESULT_TEXT];
	char msg[160];
	size_t tl = 0;
	int rc;

	if (rx->hdr.len < sizeof(*ap)) {
		snprintf(msg, sizeof(msg), "ACL_PUSH: short payload");
		return sl_link_send_result(fd, rx->hdr.seq, -EINVAL, msg, strlen(msg));
	}
	if (ap->flags & SL_ACL_CLEAR) {
		rc = dp_acl_unpush(lk.app, msg, sizeof(msg));
		return sl_link_send_result(fd, rx->hdr.seq, rc, rc ? msg : NULL, rc ? strlen(msg) : 0);
	}
	struct stat st;
	if (ap->size > SL_ACL_MAX_TEXT) {
		snprintf(msg, sizeof(msg), "ACL_PUSH: %llu bytes is more than %u",
				(unsigned long long)ap->size, SL_ACL_MAX_TEXT);
		return sl_link_send_result(fd, rx->hdr.seq, -EFBIG, msg, strlen(msg));
	}
	if (rx->fd < 0 || fstat(rx->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
			(uint64_t)st.st_size < ap->size) {
		snprintf(msg, sizeof(msg), "ACL_PUSH needs a memfd holding the text");
		return sl_link_send_result(fd, rx->hdr.seq, -EINVAL, msg, strlen(msg));
	}
	char *buf = malloc(ap->size ? (size_t)ap->size : 1);
	size_t got = 0;
	while (buf != NULL && got < ap->size) {
		ssize_t r = pread(rx->fd, buf + got, (size_t)ap->size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (buf == NULL || got < ap->size) {
		free(buf);
		snprintf(msg, sizeof(msg), "ACL_PUSH: cannot read the memfd");
		return sl_link_send_result(fd, rx->hdr.seq, buf ? -EINVAL : -ENOMEM, msg,
				strlen(msg));
	}
	rc = dp_acl_push(lk.app, buf, got, ap->version, &errs);
	free(buf);
	/* Every error, one per line, as far as the RESULT has room. */
	for (unsigned i = 0; rc != 0 && i < errs.n && tl < sizeof(text) - 1; i++) {
		int w = snprintf(text + tl, sizeof(text) - tl, "%s\n", errs.msg[i]);
		if (w < 0)
			break;
		tl += (size_t)w < sizeof(text) - tl ? (size_t)w : sizeof(text) - tl - 1;
	}
	return sl_link_send_result(fd, rx->hdr.seq, rc, text, tl);
}

/* SRC_TOP: the top offenders of the per-source limit (dp_src_top(), as /sipline/src_top). */
static int
on_src_top(int fd, const struct sl_rx *rx)
{
	struct sl_src_top_get g = {.n = 10};
	struct dp_srclimit_top top[SL_SRC_TOP_MAX];
	struct dp_src_top_info info;
	unsigned char buf[sizeof(struct sl_src_top) + SL_SRC_TOP_MAX * sizeof(struct sl_src_entry)];

	if (rx->hdr.len >= sizeof(g))
		memcpy(&g, sl_rx_payload(rx), sizeof(g));
	if (g.n == 0 || g.n > SL_SRC_TOP_MAX)
		g.n = SL_SRC_TOP_MAX;
	unsigned n = dp_src_top(lk.app, g.n, top, &info);
	struct sl_src_top h = {.rate = info.rate, .burst = info.burst, .ban_s = info.ban_s,
		.n = n, .tracked = info.tracked, .capacity = info.capacity,
		.table_bytes = info.bytes};
	memcpy(buf, &h, sizeof(h));
	for (unsigned i = 0; i < n; i++) {
		struct sl_src_entry e;
		memset(&e, 0, sizeof(e));
		e.af = top[i].src.af;
		memcpy(e.addr, top[i].src.a, sizeof(e.addr));
		e.drops = top[i].drops;
		e.bans = top[i].bans;
		e.ban_left_ms = top[i].ban_left_ms;
		memcpy(buf + sizeof(h) + i * sizeof(e), &e, sizeof(e));
	}
	return sl_link_send_nowait(fd, SL_MSG_SRC_TOP, rx->hdr.seq, buf,
			(uint32_t)(sizeof(h) + n * sizeof(struct sl_src_entry)), -1);
}

/* Serve one request of the client in slot i; returns what sending its reply returned. */
static int
handle(unsigned i, const struct sl_rx *rx)
{
	struct dp_app *app = lk.app;
	const void *p = sl_rx_payload(rx);
	int fd = lk.fd[i];
	int rc;

	switch (rx->hdr.type) {
	case SL_MSG_HELLO:
		return on_hello(fd, rx);
	case SL_MSG_PLAN_PUSH:
		return on_plan_push(i, rx);
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
		return on_sync(fd, i, rx);
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
	case SL_MSG_GW_ADDRS: {
		char msg[96];
		struct dp_names *nt = dp_names_from_link(p, rx->hdr.len, msg, sizeof(msg));
		if (nt == NULL)
			return sl_link_send_result(fd, rx->hdr.seq, -EINVAL, msg, strlen(msg));
		uint64_t v = nt->version;
		unsigned nn = nt->n_names, ntg = nt->n_targets;
		/* Workers see the old table or the new one; the old is freed after them. */
		rc = dp_names_publish(&app->names, nt);
		if (rc == 0) {
			printf("sipline: gateway names: table %llu, %u names, %u targets\n",
					(unsigned long long)v, nn, ntg);
			fflush(stdout);
		}
		return sl_link_send_result(fd, rx->hdr.seq, rc, NULL, 0);
	}
	case SL_MSG_STATS_GET:
		return on_stats(fd, rx);
	case SL_MSG_PING:
		return sl_link_send_result(fd, rx->hdr.seq, 0, NULL, 0);
	case SL_MSG_ACL_PUSH:
		return on_acl_push(fd, rx);
	case SL_MSG_ACL_GET: {
		struct sl_acl_state st;
		dp_acl_state(&st);
		return sl_link_send_nowait(fd, SL_MSG_ACL_STATE, rx->hdr.seq, &st, sizeof(st), -1);
	}
	case SL_MSG_SRC_TOP_GET:
		return on_src_top(fd, rx);
	case SL_MSG_BRIDGE: {
		const struct sl_bridge *bg = p;
		if (rx->hdr.len < sizeof(*bg))
			return sl_link_send_result(fd, rx->hdr.seq, -EINVAL, NULL, 0);
		lk.bridge[i] = (bg->flags & SL_BRIDGE_TRANSPORTS) != 0;
		bridge_update();
		return sl_link_send_result(fd, rx->hdr.seq, 0, NULL, 0);
	}
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
	work += push_collect();
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
		lk.conn[i] = ++lk.next_conn;
		sl_rx_init(lk.rx[i]);
		work++;
	}
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		if (lk.fd[i] < 0)
			continue;
		int rc;
		while ((rc = sl_link_recv(lk.fd[i], lk.rx[i])) == 1) {
			int sent = handle(i, lk.rx[i]);
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
