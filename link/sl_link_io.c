/* SPDX-License-Identifier: BSD-3-Clause */
#include "sl_link_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

void
sl_rx_init(struct sl_rx *rx)
{
	rx->have = 0;
	rx->fd = -1;
}

void
sl_rx_reset(struct sl_rx *rx)
{
	if (rx->fd >= 0)
		close(rx->fd);
	sl_rx_init(rx);
}

static int
take_fd(struct msghdr *msg, struct sl_rx *rx)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int fds[4];
		if (n > 4)
			n = 4;
		memcpy(fds, CMSG_DATA(c), (size_t)n * sizeof(int));
		for (int i = 0; i < n; i++) {
			/* One descriptor per frame: keep the first, close any extra. */
			if (rx->fd < 0)
				rx->fd = fds[i];
			else
				close(fds[i]);
		}
	}
	return 0;
}

int
sl_link_recv(int sock, struct sl_rx *rx)
{
	for (;;) {
		uint32_t want;
		if (rx->have < sizeof(struct sl_hdr)) {
			want = (uint32_t)sizeof(struct sl_hdr) - rx->have;
		} else {
			if (rx->hdr.magic != SL_LINK_MAGIC || rx->hdr.version != SL_LINK_VERSION ||
					rx->hdr.len > SL_LINK_MAX_PAYLOAD)
				return -EPROTO;
			want = (uint32_t)sizeof(struct sl_hdr) + rx->hdr.len - rx->have;
			if (want == 0)
				return 1;
		}
		union {
			char c[CMSG_SPACE(sizeof(int) * 4)];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = {.iov_base = rx->buf + rx->have, .iov_len = want};
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.c, .msg_controllen = sizeof(ctl.c),
		};
		ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		take_fd(&msg, rx);
		rx->have += (uint32_t)n;
	}
}

static int
link_send(int sock, uint16_t type, uint32_t seq, const void *payload, uint32_t len, int fd,
		bool wait)
{
	struct sl_hdr h = {
		.magic = SL_LINK_MAGIC, .version = SL_LINK_VERSION, .type = type, .seq = seq,
		.len = len,
	};
	struct iovec iov[2] = {
		{.iov_base = &h, .iov_len = sizeof(h)},
		{.iov_base = (void *)(uintptr_t)payload, .iov_len = len},
	};
	union {
		char c[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	size_t total = sizeof(h) + len, sent = 0;

	if (len > SL_LINK_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.c;
		msg.msg_controllen = sizeof(ctl.c);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sent < total) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL | (wait ? 0 : MSG_DONTWAIT));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (!wait)
					return -EAGAIN;
				struct pollfd p = {.fd = sock, .events = POLLOUT};
				poll(&p, 1, 1000);
				continue;
			}
			return -errno;
		}
		sent += (size_t)n;
		/* The descriptor went with the first byte; advance the iovecs past what was sent. */
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		while (n > 0 && msg.msg_iovlen > 0) {
			if ((size_t)n >= msg.msg_iov[0].iov_len) {
				n -= (ssize_t)msg.msg_iov[0].iov_len;
				msg.msg_iov++;
				msg.msg_iovlen--;
			} else {
				msg.msg_iov[0].iov_base = (char *)msg.msg_iov[0].iov_base + n;
				msg.msg_iov[0].iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return 0;
}

int
sl_link_send(int sock, uint16_t type, uint32_t seq, const void *payload, uint32_t len, int fd)
{
	return link_send(sock, type, seq, payload, len, fd, true);
}

int
sl_link_send_nowait(int sock, uint16_t type, uint32_t seq, const void *payload, uint32_t len,
		int fd)
{
	return link_send(sock, type, seq, payload, len, fd, false);
}

int
sl_link_send_result(int sock, uint32_t seq, int32_t status, const char *text, size_t len)
{
	unsigned char buf[sizeof(struct sl_result) + 4096];
	struct sl_result r = {.status = status};

	if (len > sizeof(buf) - sizeof(r))
		len = sizeof(buf) - sizeof(r);
	r.len = (uint32_t)len;
	memcpy(buf, &r, sizeof(r));
	if (len)
		memcpy(buf + sizeof(r), text, len);
	return sl_link_send_nowait(sock, SL_MSG_RESULT, seq, buf, (uint32_t)(sizeof(r) + len), -1);
}

static int
fill_addr(struct sockaddr_un *sa, const char *path, char *err, size_t errlen)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		snprintf(err, errlen, "%s: path longer than %zu bytes", path,
				sizeof(sa->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

/* mkdir -p of path's directory, new directories with mode 0750. */
static int
make_parent(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static const char *
file_kind(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a socket";
}

/*
 * Make room for our socket at path: nothing there, or a socket nobody
 * answers on any more (a previous run's), which is removed. Anything else
 * is refused: --link naming a file by mistake must not delete it, and a
 * symbolic link is not followed (not even to a socket).
 */
static int
claim_path(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		snprintf(err, errlen, "%s: cannot check what is there: %s", path, strerror(errno));
		return rc;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is %s, not a socket: refusing to replace it "
				"(remove it, or give --link another path)", path,
				file_kind(st.st_mode));
		return -EEXIST;
	}
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		rc = connect(probe, (const struct sockaddr *)sa, sizeof(*sa));
		close(probe);
		if (rc == 0) {
			snprintf(err, errlen, "%s: another process is listening there", path);
			return -EADDRINUSE;
		}
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot remove the stale socket: %s", path,
				strerror(errno));
		return rc;
	}
	return 0;
}

int
sl_link_listen(const char *path, struct sl_link_file *file, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int rc, s;

	if ((rc = fill_addr(&sa, path, err, errlen)) != 0)
		return rc;
	if ((rc = make_parent(path)) != 0) {
		snprintf(err, errlen, "%s: cannot create its directory: %s", path, strerror(-rc));
		return rc;
	}
	if ((rc = claim_path(path, &sa, err, errlen)) != 0)
		return rc;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket(AF_UNIX): %s", strerror(errno));
		return rc;
	}
	mode_t old = umask(0177); /* the socket is created 0600: control is not world-accessible */
	rc = bind(s, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || listen(s, 8) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot listen: %s", path, strerror(errno));
		close(s);
		return rc;
	}
	if (file != NULL) {
		/* What we created, so that sl_link_unlisten() removes it and nothing else. */
		memset(file, 0, sizeof(*file));
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
			file->dev = st.st_dev;
			file->ino = st.st_ino;
			file->valid = true;
		}
	}
	return s;
}

void
sl_link_unlisten(int fd, const char *path, const struct sl_link_file *file)
{
	struct stat st;

	if (fd >= 0)
		close(fd);
	/* Someone may have put something else there meanwhile: leave that alone. */
	if (file != NULL && file->valid && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
			st.st_dev == file->dev && st.st_ino == file->ino)
		unlink(path);
}

int
sl_link_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int rc, s;

	if ((rc = fill_addr(&sa, path, err, errlen)) != 0)
		return rc;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket(AF_UNIX): %s", strerror(errno));
		return rc;
	}
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot connect: %s (is sipline running?)", path,
				strerror(errno));
		close(s);
		return rc;
	}
	return s;
}

static uint32_t next_seq = 1;

int
sl_link_call(int sock, uint16_t type, const void *payload, uint32_t len, int fd,
		struct sl_rx *reply, int timeout_ms)
{
	uint32_t seq = next_seq++;
	struct timespec t0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = sl_link_send(sock, type, seq, payload, len, fd)) != 0)
		return rc;
	sl_rx_init(reply);
	for (;;) {
		rc = sl_link_recv(sock, reply);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			if (reply->hdr.seq == seq)
				return 0;
			sl_rx_reset(reply); /* a stale reply: skip it */
			continue;
		}
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent >= timeout_ms)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = sock, .events = POLLIN};
		poll(&p, 1, (int)(timeout_ms - spent));
	}
}

int
sl_gw_addrs_parse(const void *p, uint32_t len, struct sl_gw_addrs *h,
		const struct sl_gw_name **names, const struct sl_gw_target **targets)
{
	if (len < sizeof(*h))
		return -EINVAL;
	memcpy(h, p, sizeof(*h));
	if (h->n_names > SL_GW_MAX_NAMES || h->n_targets > SL_GW_MAX_TARGETS)
		return -EINVAL;
	size_t need = sizeof(*h) + (size_t)h->n_names * sizeof(struct sl_gw_name) +
		(size_t)h->n_targets * sizeof(struct sl_gw_target);
	if (len != need)
		return -EINVAL;
	const struct sl_gw_name *n = (const void *)((const char *)p + sizeof(*h));
	const struct sl_gw_target *t = (const void *)(n + h->n_names);
	for (uint32_t i = 0; i < h->n_names; i++) {
		size_t hl = strnlen(n[i].host, sizeof(n[i].host));
		if (hl == 0 || hl == sizeof(n[i].host) || n[i].transport > 2 ||
				(uint32_t)n[i].first + n[i].count > h->n_targets)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < h->n_targets; i++)
		if (t[i].af != 4 && t[i].af != 6)
			return -EINVAL;
	*names = n;
	*targets = t;
	return 0;
}
