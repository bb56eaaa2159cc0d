/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: JSON-RPC 2.0 (cp_rpc.c) over a Unix stream socket,
 * one JSON text per line each way. Access is the file system's: the
 * socket is mode 0660 (socket_mode) owned by root and socket_group, in a
 * directory of mode 0750 of the same group. Every client is bounded:
 * a request line longer than max_request is answered with an error and
 * the client disconnected (at most max_request + one read is ever held);
 * answers queue up to max_write_queue bytes, past which a client that
 * does not read is disconnected. The loop never blocks on a client.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cp_app.h"
#include "cp_loop.h"
#include "cp_rpc.h"

#define READ_CHUNK 65536

struct wbuf {
	struct wbuf *next;
	size_t len, off;
	char data[];
};

struct conn {
	struct cp_rpcsrv *srv;
	struct conn *next;
	int fd;
	struct cp_rpc_peer peer;
	char *rbuf;
	size_t rlen, rcap;
	struct wbuf *wq, *wq_tail;
	size_t wq_bytes;
	struct cp_rpc_batch **pend;   /* batches waiting for asynchronous calls */
	unsigned n_pend, cap_pend;
	bool closing;                 /* answer queued; close once it is written */
	bool dead;
	unsigned busy;                /* inside a callback: free later */
};

struct cp_rpcsrv {
	struct cp_app *app;
	struct cp_rpcsrv_conf c;
	char path[256];
	int lfd;
	struct conn *conns;
	unsigned n;
};

static void conn_close(struct conn *c);

static void
conn_free(struct conn *c)
{
	struct cp_rpcsrv *s = c->srv;
	for (struct conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->n--;
	while (c->wq != NULL) {
		struct wbuf *w = c->wq;
		c->wq = w->next;
		free(w);
	}
	for (unsigned i = 0; i < c->n_pend; i++)
		cp_rpc_batch_detach(c->pend[i]);
	free(c->pend);
	free(c->rbuf);
	free(c);
}

static void
conn_close(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	cp_loop_del_fd(c->srv->app->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	if (c->busy == 0)
		conn_free(c);
}

static void
drop(struct conn *c, const char *why)
{
	char who[64];
	cp_rpc_peer_name(&c->peer, who, sizeof(who));
	cp_log("control socket: client %s disconnected: %s", who, why);
	c->srv->app->cnt[CP_C_RPC_CLIENTS_DROPPED]++;
	conn_close(c);
}

static void
flush(struct conn *c)
{
	while (c->wq != NULL) {
		struct wbuf *w = c->wq;
		ssize_t n = send(c->fd, w->data + w->off, w->len - w->off,
				MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_close(c);
			return;
		}
		w->off += (size_t)n;
		c->wq_bytes -= (size_t)n;
		if (w->off == w->len) {
			c->wq = w->next;
			if (c->wq == NULL)
				c->wq_tail = NULL;
			free(w);
		}
	}
	if (c->wq == NULL && c->closing) {
		conn_close(c);
		return;
	}
	cp_loop_mod_fd(c->srv->app->loop, c->fd, (c->closing ? 0 : CP_READ) |
			(c->wq ? CP_WRITE : 0));
}

static void
queue_text(struct conn *c, const char *text, size_t len)
{
	if (c->dead)
		return;
	if (c->wq_bytes + len + 1 > c->srv->c.max_write_queue) {
		drop(c, "its unread answers exceed max_write_queue");
		return;
	}
	struct wbuf *w = malloc(sizeof(*w) + len + 1);
	if (w == NULL) {
		drop(c, "out of memory for its answer");
		return;
	}
	memcpy(w->data, text, len);
	w->data[len] = '\n';
	w->len = len + 1;
	w->off = 0;
	w->next = NULL;
	if (c->wq_tail)
		c->wq_tail->next = w;
	else
		c->wq = w;
	c->wq_tail = w;
	c->wq_bytes += w->len;
	flush(c);
}

static void
on_answer(void *ctx, struct cp_rpc_batch *b, const char *text, size_t len)
{
	struct conn *c = ctx;
	for (unsigned i = 0; i < c->n_pend; i++) {
		if (c->pend[i] == b) {
			c->pend[i] = c->pend[--c->n_pend];
			break;
		}
	}
	/* Errors are counted from the text: cheap and exact for a single call. */
	if (strstr(text, "\"error\":") != NULL)
		c->srv->app->cnt[CP_C_RPC_ERRORS]++;
	c->busy++;
	queue_text(c, text, len);
	c->busy--;
	if (c->dead && c->busy == 0)
		conn_free(c);
}

static void
handle_line(struct conn *c, const char *line, size_t len)
{
	c->srv->app->cnt[CP_C_RPC_REQUESTS]++;
	struct cp_rpc_batch *b = cp_rpc_handle(c->srv->app->rpc, line, len, &c->peer, on_answer,
			c);
	if (b == NULL || c->dead)
		return;
	if (c->n_pend == c->cap_pend) {
		unsigned n = c->cap_pend ? c->cap_pend * 2 : 4;
		struct cp_rpc_batch **p = realloc(c->pend, n * sizeof(*p));
		if (p == NULL) {
			cp_rpc_batch_detach(b);
			drop(c, "out of memory");
			return;
		}
		c->pend = p;
		c->cap_pend = n;
	}
	c->pend[c->n_pend++] = b;
}

static void
too_large(struct conn *c)
{
	char msg[200];
	int n = snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,"
			"\"message\":\"request longer than max_request (%llu bytes): disconnected\"}}",
			CP_RPC_INVALID_REQUEST, (unsigned long long)c->srv->c.max_request);
	char who[64];
	cp_rpc_peer_name(&c->peer, who, sizeof(who));
	cp_log("control socket: client %s sent a request longer than %llu bytes: disconnecting",
			who, (unsigned long long)c->srv->c.max_request);
	c->srv->app->cnt[CP_C_RPC_CLIENTS_DROPPED]++;
	c->srv->app->cnt[CP_C_RPC_ERRORS]++;
	free(c->rbuf);
	c->rbuf = NULL;
	c->rlen = c->rcap = 0;
	c->closing = true;
	queue_text(c, msg, (size_t)n);
}

static void
on_readable(struct conn *c)
{
	for (int budget = 0; budget < 16 && !c->dead && !c->closing; budget++) {
		if (c->rcap - c->rlen < READ_CHUNK) {
			size_t cap = c->rcap ? c->rcap * 2 : READ_CHUNK * 2;
			char *b = realloc(c->rbuf, cap);
			if (b == NULL) {
				drop(c, "out of memory");
				return;
			}
			c->rbuf = b;
			c->rcap = cap;
		}
		ssize_t n = recv(c->fd, c->rbuf + c->rlen, READ_CHUNK, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(c);
			return;
		}
		if (n == 0) {
			/* Half-close: answers still pending go nowhere; the client left. */
			conn_close(c);
			return;
		}
		size_t scan = c->rlen;
		c->rlen += (size_t)n;
		size_t start = 0;
		for (size_t i = scan; i < c->rlen && !c->dead && !c->closing; i++) {
			if (c->rbuf[i] != '\n')
				continue;
			size_t e = i;
			if (e > start && c->rbuf[e - 1] == '\r')
				e--;
			if (e - start > c->srv->c.max_request) {
				too_large(c);
				return;
			}
			if (e > start)
				handle_line(c, c->rbuf + start, e - start);
			start = i + 1;
		}
		if (c->dead || c->closing)
			return;
		memmove(c->rbuf, c->rbuf + start, c->rlen - start);
		c->rlen -= start;
		if (c->rlen > c->srv->c.max_request) {
			too_large(c);
			return;
		}
		/* Keep the buffer from growing past what a request may need. */
		if (c->rcap > 4 * READ_CHUNK && c->rlen < READ_CHUNK) {
			char *b = realloc(c->rbuf, 2 * READ_CHUNK);
			if (b != NULL) {
				c->rbuf = b;
				c->rcap = 2 * READ_CHUNK;
			}
		}
	}
}

static void
on_conn(struct cp_loop *l, int fd, unsigned events, void *ctx)
{
	struct conn *c = ctx;
	(void)l;
	(void)fd;
	c->busy++;
	if (events & CP_WRITE)
		flush(c);
	if (!c->dead && (events & CP_READ))
		on_readable(c);
	c->busy--;
	if (c->dead && c->busy == 0)
		conn_free(c);
}

static void
on_accept(struct cp_loop *l, int fd, unsigned events, void *ctx)
{
	struct cp_rpcsrv *s = ctx;
	(void)events;
	for (int i = 0; i < 64; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		if (s->n >= s->c.max_clients) {
			static const char full[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
				"-32002,\"message\":\"too many clients (max_clients)\"}}\n";
			if (send(cfd, full, sizeof(full) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
				/* It is being refused anyway. */
			}
			close(cfd);
			s->app->cnt[CP_C_RPC_CLIENTS_REFUSED]++;
			continue;
		}
		struct conn *c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(cfd);
			continue;
		}
		c->srv = s;
		c->fd = cfd;
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0) {
			c->peer.uid = cred.uid;
			c->peer.gid = cred.gid;
			c->peer.pid = cred.pid;
		} else {
			c->peer.uid = (uid_t)-1;
			c->peer.gid = (gid_t)-1;
			c->peer.pid = -1;
		}
		if (cp_loop_add_fd(l, cfd, CP_READ, on_conn, c) != 0) {
			close(cfd);
			free(c);
			continue;
		}
		c->next = s->conns;
		s->conns = c;
		s->n++;
	}
}

/* mkdir -p of path's directory; the last level gets mode 0750 and gid. */
static int
make_dir(const char *path, gid_t gid, char *err, size_t errlen)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		int rc = -errno;
		snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
		return rc;
	}
	if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) != 0) {
		int rc = -errno;
		snprintf(err, errlen, "%s: cannot give it to the socket group: %s", dir,
				strerror(errno));
		return rc;
	}
	return 0;
}

struct cp_rpcsrv *
cp_rpcsrv_start(struct cp_app *app, const struct cp_rpcsrv_conf *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	gid_t gid = (gid_t)-1;
	int fd = -1, rc;

	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket %s: path longer than %zu bytes", c->path,
				sizeof(sa.sun_path) - 1);
		return NULL;
	}
	if (c->group != NULL && c->group[0] != '\0') {
		struct group *g = getgrnam(c->group);
		if (g == NULL) {
			snprintf(err, errlen, "socket_group: no group '%s'", c->group);
			return NULL;
		}
		gid = g->gr_gid;
	}
	if (make_dir(c->path, gid, err, errlen) != 0)
		return NULL;
	struct cp_rpcsrv *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->app = app;
	s->c = *c;
	s->lfd = -1;
	snprintf(s->path, sizeof(s->path), "%s", c->path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	/* A socket file left by a crashed run is stale when nobody answers on it. */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			snprintf(err, errlen, "socket %s: another sipline-control is listening there",
					c->path);
			goto fail;
		}
		close(probe);
	}
	unlink(c->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* Created without any access, opened up by chmod once its group is right. */
	mode_t old = umask(0777);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "socket %s: cannot listen: %s", c->path, strerror(errno));
		goto fail;
	}
	if ((gid != (gid_t)-1 && chown(c->path, (uid_t)-1, gid) != 0) ||
			chmod(c->path, (mode_t)c->mode) != 0) {
		snprintf(err, errlen, "socket %s: cannot set its group/mode: %s", c->path,
				strerror(errno));
		goto fail;
	}
	s->lfd = fd;
	if (cp_loop_add_fd(app->loop, fd, CP_READ, on_accept, s) != 0) {
		snprintf(err, errlen, "socket %s: cannot watch it", c->path);
		goto fail;
	}
	return s;
fail:
	if (fd >= 0) {
		close(fd);
		unlink(c->path);
	}
	free(s);
	return NULL;
}

void
cp_rpcsrv_set_limits(struct cp_rpcsrv *s, const struct cp_rpcsrv_conf *c)
{
	s->c.max_request = c->max_request;
	s->c.max_write_queue = c->max_write_queue;
	s->c.max_clients = c->max_clients;
}

void
cp_rpcsrv_stop(struct cp_rpcsrv *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL) {
		struct conn *c = s->conns;
		c->busy = 0;
		if (!c->dead)
			conn_close(c);
		else
			conn_free(c);
	}
	if (s->lfd >= 0) {
		cp_loop_del_fd(s->app->loop, s->lfd);
		close(s->lfd);
		unlink(s->path);
	}
	free(s);
}

unsigned
cp_rpcsrv_clients(const struct cp_rpcsrv *s)
{
	return s->n;
}
