/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_dp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cp_loop.h"

/* Bytes of requests queued for one dataplane before cp_dp_request() says -ENOBUFS. */
#define WQ_MAX (8u * 1024 * 1024)
/* HELLO and small requests: a dataplane that does not answer within this is stuck. */
#define HELLO_TIMEOUT_MS 10000
/* Statistics pages: the answer waits for a main lcore that may be busy. */
#define STATS_TIMEOUT_MS 20000
/* STATS pages: at most this many per read (a runaway cursor cannot loop forever). */
#define STATS_MAX_PAGES 64

struct out {
	struct out *next;
	int fd;           /* sent with the first byte, then closed; -1 */
	size_t len, off;
	unsigned char buf[];
};

struct pend {
	struct pend *next;
	uint32_t seq;
	uint64_t deadline;
	cp_dp_reply_fn *cb;
	void *arg;
};

struct cp_dp {
	struct cp_dps *set;
	unsigned idx;
	char path[256];
	int fd;
	struct cp_dp_info info;
	struct sl_rx *rx;
	struct out *wq_head, *wq_tail;
	size_t wq_bytes;
	struct pend *pend_head, *pend_tail;
	uint32_t seq;
	uint64_t backoff_ms;
	uint64_t reconnect_timer;
	uint64_t check_timer;
	uint64_t stats_timer;
	bool stats_busy;
	struct cp_dp_stats next_stats;  /* pages being read */
	unsigned stats_pages;
	bool gone;                      /* removed from the set: freed when idle */
};

struct cp_dps {
	struct cp_loop *loop;
	struct cp_dp_conf conf;
	struct cp_dp_ops ops;
	struct cp_dp **dp;
	unsigned n;
	bool have_fp;
	uint8_t fp[SL_KEY_FP_LEN];
	/* cp_dps_expect_key(): the fingerprint every dataplane must show, and whose it is. */
	bool expect;
	uint8_t expect_fp[SL_KEY_FP_LEN];
	char expect_what[96];
};

static void dp_connect(struct cp_dp *dp);
static void dp_down(struct cp_dp *dp, const char *why);

const char *
cp_dp_state_name(enum cp_dp_state s)
{
	switch (s) {
	case CP_DP_DOWN: return "down";
	case CP_DP_HELLO: return "connecting";
	case CP_DP_SYNC: return "syncing";
	case CP_DP_READY: return "ready";
	}
	return "?";
}

void
cp_dp_stats_clear(struct cp_dp_stats *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

__attribute__((format(printf, 2, 3))) static void
dlog(struct cp_dp *dp, const char *fmt, ...)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "dataplane %s: ", dp->path);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (dp->set->ops.log)
		dp->set->ops.log(msg, dp->set->ops.ctx);
}

static void
set_state(struct cp_dp *dp, enum cp_dp_state s)
{
	if (dp->info.state != s)
		dp->info.since = cp_wall_s();
	dp->info.state = s;
}

/* ---- writing ---- */

static void
update_events(struct cp_dp *dp)
{
	if (dp->fd >= 0)
		cp_loop_mod_fd(dp->set->loop, dp->fd, CP_READ | (dp->wq_head ? CP_WRITE : 0));
}

/* Send what the socket takes. 0, or -errno when the connection is broken. */
static int
flush(struct cp_dp *dp)
{
	while (dp->wq_head != NULL) {
		struct out *o = dp->wq_head;
		struct iovec iov = {.iov_base = o->buf + o->off, .iov_len = o->len - o->off};
		union {
			char c[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		if (o->fd >= 0) {
			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.c;
			msg.msg_controllen = sizeof(ctl.c);
			struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &o->fd, sizeof(int));
		}
		ssize_t n = sendmsg(dp->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		if (o->fd >= 0) {
			/* The descriptor went with the first byte. */
			close(o->fd);
			o->fd = -1;
		}
		o->off += (size_t)n;
		dp->wq_bytes -= (size_t)n;
		if (o->off == o->len) {
			dp->wq_head = o->next;
			if (dp->wq_head == NULL)
				dp->wq_tail = NULL;
			free(o);
		}
	}
	update_events(dp);
	return 0;
}

static void
wq_clear(struct cp_dp *dp)
{
	while (dp->wq_head != NULL) {
		struct out *o = dp->wq_head;
		dp->wq_head = o->next;
		if (o->fd >= 0)
			close(o->fd);
		free(o);
	}
	dp->wq_tail = NULL;
	dp->wq_bytes = 0;
}

int
cp_dp_request(struct cp_dp *dp, uint16_t type, const void *payload, uint32_t len, int fd,
		uint64_t timeout_ms, cp_dp_reply_fn *cb, void *arg)
{
	if (dp->fd < 0 || dp->info.state == CP_DP_DOWN)
		return -ENOTCONN;
	if (len > SL_LINK_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (dp->wq_bytes + sizeof(struct sl_hdr) + len > WQ_MAX)
		return -ENOBUFS;
	struct out *o = malloc(sizeof(*o) + sizeof(struct sl_hdr) + len);
	struct pend *p = malloc(sizeof(*p));
	if (o == NULL || p == NULL) {
		free(o);
		free(p);
		return -ENOMEM;
	}
	o->fd = -1;
	if (fd >= 0) {
		o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (o->fd < 0) {
			int rc = -errno;
			free(o);
			free(p);
			return rc;
		}
	}
	uint32_t seq = ++dp->seq;
	struct sl_hdr h = {.magic = SL_LINK_MAGIC, .version = SL_LINK_VERSION, .type = type,
		.seq = seq, .len = len};
	memcpy(o->buf, &h, sizeof(h));
	if (len)
		memcpy(o->buf + sizeof(h), payload, len);
	o->len = sizeof(h) + len;
	o->off = 0;
	o->next = NULL;
	if (dp->wq_tail)
		dp->wq_tail->next = o;
	else
		dp->wq_head = o;
	dp->wq_tail = o;
	dp->wq_bytes += o->len;

	p->seq = seq;
	p->deadline = cp_now_ms() + timeout_ms;
	p->cb = cb;
	p->arg = arg;
	p->next = NULL;
	if (dp->pend_tail)
		dp->pend_tail->next = p;
	else
		dp->pend_head = p;
	dp->pend_tail = p;
	update_events(dp);
	return 0;
}

int
cp_dp_memfd(const char *name, const void *p, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, (const char *)p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int rc = w < 0 ? -errno : -EIO;
			close(fd);
			return rc;
		}
		off += (size_t)w;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	return fd;
}

int
cp_dp_result(const struct sl_rx *rx, const char **text, uint32_t *len)
{
	*text = "";
	*len = 0;
	if (rx == NULL || rx->hdr.type != SL_MSG_RESULT || rx->hdr.len < sizeof(struct sl_result))
		return -EPROTO;
	const struct sl_result *r = sl_rx_payload(rx);
	if (r->len <= rx->hdr.len - sizeof(*r)) {
		*text = (const char *)(r + 1);
		*len = r->len;
	}
	return r->status;
}

/* ---- reading ---- */

static void
fail_pending(struct cp_dp *dp)
{
	/* Callbacks may queue new requests (to a dead connection: refused), so detach first. */
	struct pend *p = dp->pend_head;
	dp->pend_head = dp->pend_tail = NULL;
	while (p != NULL) {
		struct pend *next = p->next;
		if (p->cb)
			p->cb(dp, NULL, p->arg);
		free(p);
		p = next;
	}
}

static void
dispatch(struct cp_dp *dp, const struct sl_rx *rx)
{
	struct pend **pp = &dp->pend_head, *prev = NULL;
	while (*pp != NULL && (*pp)->seq != rx->hdr.seq) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	struct pend *p = *pp;
	if (p == NULL)
		return; /* a late answer to a request that timed out */
	*pp = p->next;
	if (dp->pend_tail == p)
		dp->pend_tail = prev;
	if (p->cb)
		p->cb(dp, rx, p->arg);
	free(p);
}

static void
on_io(struct cp_loop *l, int fd, unsigned events, void *ctx)
{
	struct cp_dp *dp = ctx;
	(void)l;
	(void)fd;

	if (events & CP_WRITE) {
		int rc = flush(dp);
		if (rc != 0) {
			char why[96];
			snprintf(why, sizeof(why), "write: %s", strerror(-rc));
			dp_down(dp, why);
			return;
		}
	}
	if (!(events & CP_READ))
		return;
	for (int budget = 0; budget < 64; budget++) {
		int rc = sl_link_recv(dp->fd, dp->rx);
		if (rc == 0)
			return;
		if (rc < 0) {
			dp_down(dp, rc == -EPIPE ? "the dataplane closed the link" :
					rc == -EPROTO ? "protocol error (another link version?)" :
					strerror(-rc));
			return;
		}
		/* The callback may drop the connection (dp->rx stays valid: freed with dp). */
		unsigned gen = (unsigned)dp->info.connects;
		dispatch(dp, dp->rx);
		sl_rx_reset(dp->rx);
		if (dp->fd < 0 || gen != dp->info.connects)
			return;
	}
}

/* ---- connection life ---- */

static int64_t
on_reconnect(struct cp_loop *l, void *ctx)
{
	struct cp_dp *dp = ctx;
	(void)l;
	dp->reconnect_timer = 0;
	dp_connect(dp);
	return -1;
}

static void
schedule_reconnect(struct cp_dp *dp)
{
	const struct cp_dp_conf *c = &dp->set->conf;
	if (dp->gone || dp->reconnect_timer)
		return;
	dp->backoff_ms = dp->backoff_ms ? dp->backoff_ms * 2 : c->reconnect_min_ms;
	if (dp->backoff_ms > c->reconnect_max_ms)
		dp->backoff_ms = c->reconnect_max_ms;
	dp->reconnect_timer = cp_timer_add(dp->set->loop, (int64_t)dp->backoff_ms, on_reconnect,
			dp);
}

static void
dp_down(struct cp_dp *dp, const char *why)
{
	bool was_up = dp->info.state != CP_DP_DOWN;
	if (dp->fd >= 0) {
		cp_loop_del_fd(dp->set->loop, dp->fd);
		close(dp->fd);
		dp->fd = -1;
	}
	wq_clear(dp);
	sl_rx_reset(dp->rx);
	dp->stats_busy = false;
	cp_dp_stats_clear(&dp->next_stats);
	set_state(dp, CP_DP_DOWN);
	bool repeated = why != NULL && strcmp(why, dp->info.last_error) == 0;
	if (why != NULL)
		snprintf(dp->info.last_error, sizeof(dp->info.last_error), "%s", why);
	if (was_up) {
		if (!repeated)
			dlog(dp, "link down: %s", why ? why : "closed");
		fail_pending(dp);
		if (dp->set->ops.on_down)
			dp->set->ops.on_down(dp, dp->set->ops.ctx);
	} else {
		fail_pending(dp);
	}
	schedule_reconnect(dp);
}

void
cp_dp_fail(struct cp_dp *dp, const char *why)
{
	dp_down(dp, why);
}

static void
on_hello_ack(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	struct cp_dps *s = dp->set;
	(void)arg;
	if (rx == NULL)
		return; /* dropped: dp_down() already ran or will */
	if (rx->hdr.type != SL_MSG_HELLO_ACK || rx->hdr.len < sizeof(struct sl_hello_ack)) {
		dp_down(dp, "HELLO not answered with HELLO_ACK");
		return;
	}
	memcpy(&dp->info.hello, sl_rx_payload(rx), sizeof(dp->info.hello));
	dp->info.hello.plan_sha256[64] = '\0';
	dp->info.hello.name[sizeof(dp->info.hello.name) - 1] = '\0';
	char fp[2 * SL_KEY_FP_LEN + 1], ref[2 * SL_KEY_FP_LEN + 1];
	for (unsigned i = 0; i < SL_KEY_FP_LEN; i++)
		snprintf(fp + 2 * i, 3, "%02x", dp->info.hello.key_fp[i]);
	/*
	 * Our own signing key (the relay's): what we sign must verify there
	 * and the other way round, so another key is refused whatever
	 * key_mismatch says.
	 */
	if (s->expect && memcmp(s->expect_fp, dp->info.hello.key_fp, SL_KEY_FP_LEN) != 0) {
		char want[2 * SL_KEY_FP_LEN + 1], why[sizeof(dp->info.last_error)];
		for (unsigned i = 0; i < SL_KEY_FP_LEN; i++)
			snprintf(want + 2 * i, 3, "%02x", s->expect_fp[i]);
		dp->info.key_mismatch = true;
		snprintf(why, sizeof(why), "refused: signing-key fingerprint %s, not the relay's %s",
				fp, want);
		/* The whole story once per distinct failure (reconnections repeat it). */
		if (strcmp(why, dp->info.last_error) != 0)
			dlog(dp, "refused: signing-key fingerprint %s is not %s of %s: what the relay "
					"signs (branches, To-tags, Record-Routes) would not verify there; give "
					"both the same --secret-file", fp, want, s->expect_what);
		dp_down(dp, why);
		return;
	}
	/*
	 * The reference is the key of the dataplanes connected now (a
	 * dataplane restarted with a new random key alone is fine); with none,
	 * this one sets it.
	 */
	dp->info.key_mismatch = false;
	s->have_fp = false;
	for (unsigned i = 0; i < s->n; i++) {
		const struct cp_dp *o = s->dp[i];
		if (o != dp && (o->info.state == CP_DP_SYNC || o->info.state == CP_DP_READY)) {
			memcpy(s->fp, o->info.hello.key_fp, SL_KEY_FP_LEN);
			s->have_fp = true;
			break;
		}
	}
	for (unsigned i = 0; i < SL_KEY_FP_LEN; i++)
		snprintf(ref + 2 * i, 3, "%02x", s->fp[i]);
	if (!s->have_fp) {
		memcpy(s->fp, dp->info.hello.key_fp, SL_KEY_FP_LEN);
		s->have_fp = true;
	} else if (memcmp(s->fp, dp->info.hello.key_fp, SL_KEY_FP_LEN) != 0) {
		dp->info.key_mismatch = true;
		if (s->conf.key_refuse) {
			char why[160];
			snprintf(why, sizeof(why), "signing-key fingerprint %s differs from the other "
					"dataplanes' %s (key_mismatch refuse): give every node the same key",
					fp, ref);
			dp_down(dp, why);
			return;
		}
		dlog(dp, "WARNING: signing-key fingerprint %s differs from the other dataplanes' "
				"%s: branches, To-tags and Record-Routes will not match across nodes; give "
				"every node the same key", fp, ref);
	}
	dp->backoff_ms = 0;
	dlog(dp, "connected (pid %u, %s): plan version %llu sha256 %.16s..., %u bindings, "
			"%u lcores, key fingerprint %s", dp->info.hello.pid, dp->info.hello.name,
			(unsigned long long)dp->info.hello.plan_version,
			dp->info.hello.plan_sha256[0] ? dp->info.hello.plan_sha256 : "(none)",
			dp->info.hello.bindings, dp->info.hello.lcores, fp);
	set_state(dp, CP_DP_SYNC);
	if (s->ops.on_hello)
		s->ops.on_hello(dp, s->ops.ctx);
	else
		cp_dp_set_ready(dp);
}

static void
dp_connect(struct cp_dp *dp)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char why[200];

	if (dp->fd >= 0 || dp->gone)
		return;
	if (strlen(dp->path) >= sizeof(sa.sun_path)) {
		dp_down(dp, "socket path too long");
		return;
	}
	memcpy(sa.sun_path, dp->path, strlen(dp->path));
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		snprintf(why, sizeof(why), "socket: %s", strerror(errno));
		dp_down(dp, why);
		return;
	}
	/* A Unix socket connects at once or fails at once (EAGAIN: backlog full, retried). */
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(why, sizeof(why), "cannot connect: %s", strerror(errno));
		close(s);
		if (strcmp(why, dp->info.last_error) != 0)
			dlog(dp, "%s (retrying)", why);
		dp_down(dp, why);
		return;
	}
	dp->fd = s;
	dp->info.connects++;
	sl_rx_init(dp->rx);
	if (cp_loop_add_fd(dp->set->loop, s, CP_READ, on_io, dp) != 0) {
		dp_down(dp, "cannot watch the socket");
		return;
	}
	set_state(dp, CP_DP_HELLO);
	struct sl_hello h;
	memset(&h, 0, sizeof(h));
	snprintf(h.who, sizeof(h.who), "sipline-control");
	if (cp_dp_request(dp, SL_MSG_HELLO, &h, sizeof(h), -1, HELLO_TIMEOUT_MS, on_hello_ack,
			NULL) != 0)
		dp_down(dp, "cannot queue HELLO");
}

/*
 * Requests past their deadline are failed (their callbacks get NULL; a
 * late answer is then ignored). A dataplane that does not answer HELLO is
 * dropped and retried; later requests only fail: a main lcore starved for
 * a while must not cost a re-sync.
 */
static int64_t
on_check(struct cp_loop *l, void *ctx)
{
	struct cp_dp *dp = ctx;
	uint64_t now = cp_now_ms();
	(void)l;
	if (dp->info.state == CP_DP_HELLO && dp->pend_head != NULL &&
			now >= dp->pend_head->deadline) {
		dp_down(dp, "no answer to HELLO in time");
		return 500;
	}
	for (struct pend **pp = &dp->pend_head, *prev = NULL; *pp != NULL;) {
		struct pend *p = *pp;
		if (now < p->deadline) {
			prev = p;
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		if (dp->pend_tail == p)
			dp->pend_tail = prev;
		dlog(dp, "a request (seq %u) got no answer in time", p->seq);
		if (p->cb)
			p->cb(dp, NULL, p->arg);
		free(p);
		if (dp->fd < 0)
			break; /* the callback dropped the link */
	}
	return 500;
}

/* ---- counters ---- */

static void stats_page(struct cp_dp *dp, uint32_t cursor);

static void
on_stats(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	(void)arg;
	if (rx == NULL) {
		dp->stats_busy = false;
		cp_dp_stats_clear(&dp->next_stats);
		return;
	}
	const struct sl_stats *h = sl_rx_payload(rx);
	if (rx->hdr.type != SL_MSG_STATS || rx->hdr.len < sizeof(*h)) {
		dp->stats_busy = false;
		cp_dp_stats_clear(&dp->next_stats);
		return;
	}
	const unsigned char *p = (const unsigned char *)(h + 1);
	const unsigned char *end = (const unsigned char *)h + rx->hdr.len;
	struct cp_dp_stats *ns = &dp->next_stats;
	struct cp_dp_stat *v = realloc(ns->v, (ns->n + h->n) * sizeof(*v));
	if (v == NULL) {
		dp->stats_busy = false;
		cp_dp_stats_clear(ns);
		return;
	}
	ns->v = v;
	for (uint32_t i = 0; i < h->n; i++) {
		struct sl_stat st;
		if ((size_t)(end - p) < sizeof(st))
			break;
		memcpy(&st, p, sizeof(st));
		if ((size_t)(end - p) < SL_STAT_SIZE(st.name_len))
			break;
		struct cp_dp_stat *o = &ns->v[ns->n++];
		unsigned nl = st.name_len < sizeof(o->name) - 1 ? st.name_len : sizeof(o->name) - 1;
		memcpy(o->name, p + sizeof(st), nl);
		o->name[nl] = '\0';
		o->worker = st.worker;
		o->code = st.code;
		o->kind = st.kind;
		o->value = st.value;
		p += SL_STAT_SIZE(st.name_len);
	}
	ns->plan_version = h->plan_version;
	ns->bindings = h->bindings;
	if (h->next != 0 && ++dp->stats_pages < STATS_MAX_PAGES) {
		stats_page(dp, h->next);
		return;
	}
	ns->when = cp_wall_s();
	cp_dp_stats_clear(&dp->info.stats);
	dp->info.stats = *ns;
	dp->info.stats_reads++;
	memset(ns, 0, sizeof(*ns));
	dp->stats_busy = false;
}

static void
stats_page(struct cp_dp *dp, uint32_t cursor)
{
	struct sl_stats_get g = {.cursor = cursor, .flags = SL_STATS_PER_WORKER};
	if (cp_dp_request(dp, SL_MSG_STATS_GET, &g, sizeof(g), -1, STATS_TIMEOUT_MS, on_stats,
			NULL) != 0) {
		dp->stats_busy = false;
		cp_dp_stats_clear(&dp->next_stats);
	}
}

void
cp_dp_poll_stats(struct cp_dp *dp)
{
	if (dp->stats_busy || dp->info.state == CP_DP_DOWN || dp->info.state == CP_DP_HELLO)
		return;
	dp->stats_busy = true;
	dp->stats_pages = 0;
	cp_dp_stats_clear(&dp->next_stats);
	stats_page(dp, 0);
}

static int64_t
on_stats_timer(struct cp_loop *l, void *ctx)
{
	struct cp_dp *dp = ctx;
	(void)l;
	cp_dp_poll_stats(dp);
	return (int64_t)dp->set->conf.stats_poll_ms;
}

/* ---- the set ---- */

static struct cp_dp *
dp_new(struct cp_dps *s, const char *path)
{
	struct cp_dp *dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return NULL;
	dp->rx = malloc(sizeof(*dp->rx));
	if (dp->rx == NULL) {
		free(dp);
		return NULL;
	}
	sl_rx_init(dp->rx);
	dp->set = s;
	dp->fd = -1;
	snprintf(dp->path, sizeof(dp->path), "%s", path);
	dp->info.path = dp->path;
	dp->info.since = cp_wall_s();
	dp->check_timer = cp_timer_add(s->loop, 500, on_check, dp);
	dp->stats_timer = cp_timer_add(s->loop, (int64_t)s->conf.stats_poll_ms, on_stats_timer,
			dp);
	return dp;
}

static void
dp_free(struct cp_dp *dp)
{
	dp->gone = true;
	if (dp->reconnect_timer)
		cp_timer_del(dp->set->loop, dp->reconnect_timer);
	cp_timer_del(dp->set->loop, dp->check_timer);
	cp_timer_del(dp->set->loop, dp->stats_timer);
	dp->reconnect_timer = 0;
	if (dp->fd >= 0) {
		cp_loop_del_fd(dp->set->loop, dp->fd);
		close(dp->fd);
		dp->fd = -1;
	}
	wq_clear(dp);
	fail_pending(dp);
	sl_rx_reset(dp->rx);
	free(dp->rx);
	cp_dp_stats_clear(&dp->info.stats);
	cp_dp_stats_clear(&dp->next_stats);
	free(dp);
}

struct cp_dps *
cp_dps_create(struct cp_loop *l, const struct cp_dp_conf *conf, const struct cp_dp_ops *ops)
{
	struct cp_dps *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->loop = l;
	s->conf = *conf;
	s->ops = *ops;
	return s;
}

void
cp_dps_free(struct cp_dps *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->n; i++)
		dp_free(s->dp[i]);
	free(s->dp);
	free(s);
}

void
cp_dps_set_conf(struct cp_dps *s, const struct cp_dp_conf *conf)
{
	s->conf = *conf;
}

int
cp_dps_set_paths(struct cp_dps *s, char paths[][256], unsigned n)
{
	struct cp_dp **nd = calloc(n ? n : 1, sizeof(*nd));
	if (nd == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < s->n; k++) {
			if (s->dp[k] != NULL && strcmp(s->dp[k]->path, paths[i]) == 0) {
				nd[i] = s->dp[k];
				s->dp[k] = NULL;
				break;
			}
		}
	}
	for (unsigned k = 0; k < s->n; k++) {
		if (s->dp[k] != NULL) {
			dlog(s->dp[k], "removed from the configuration: disconnecting");
			dp_free(s->dp[k]);
		}
	}
	free(s->dp);
	s->dp = nd;
	s->n = n;
	for (unsigned i = 0; i < n; i++) {
		if (nd[i] == NULL) {
			nd[i] = dp_new(s, paths[i]);
			if (nd[i] == NULL)
				return -ENOMEM;
			nd[i]->idx = i;
			dp_connect(nd[i]);
		}
		nd[i]->idx = i;
	}
	return 0;
}

unsigned
cp_dps_count(const struct cp_dps *s)
{
	return s->n;
}

struct cp_dp *
cp_dps_get(struct cp_dps *s, unsigned i)
{
	return i < s->n ? s->dp[i] : NULL;
}

struct cp_dp *
cp_dps_find(struct cp_dps *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->dp[i]->path, name) == 0)
			return s->dp[i];
	char *end;
	unsigned long i = strtoul(name, &end, 10);
	if (*name != '\0' && *end == '\0' && i < s->n)
		return s->dp[i];
	return NULL;
}

unsigned
cp_dps_ready(const struct cp_dps *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->n; i++)
		n += s->dp[i]->info.state == CP_DP_READY;
	return n;
}

void
cp_dps_expect_key(struct cp_dps *s, const uint8_t fp[SL_KEY_FP_LEN], const char *what)
{
	s->expect = fp != NULL;
	if (fp != NULL) {
		memcpy(s->expect_fp, fp, SL_KEY_FP_LEN);
		snprintf(s->expect_what, sizeof(s->expect_what), "%s", what);
	}
}

bool
cp_dps_key_fp(const struct cp_dps *s, uint8_t fp[SL_KEY_FP_LEN])
{
	if (s->have_fp)
		memcpy(fp, s->fp, SL_KEY_FP_LEN);
	return s->have_fp;
}

const struct cp_dp_info *
cp_dp_info(const struct cp_dp *dp)
{
	return &dp->info;
}

unsigned
cp_dp_index(const struct cp_dp *dp)
{
	return dp->idx;
}

void
cp_dp_note_plan(struct cp_dp *dp, uint64_t version, const char *sha256)
{
	dp->info.hello.plan_version = version;
	snprintf(dp->info.hello.plan_sha256, sizeof(dp->info.hello.plan_sha256), "%s", sha256);
}

void
cp_dp_set_ready(struct cp_dp *dp)
{
	if (dp->info.state == CP_DP_SYNC) {
		set_state(dp, CP_DP_READY);
		dp->info.last_error[0] = '\0';
		cp_dp_poll_stats(dp);
	}
}
