/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_nl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

int
dp_nl_open(const unsigned *groups, unsigned n, int rcvbuf)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int fd, one = 1, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	/*
	 * Groups are joined before any dump is requested, so no change between
	 * the dump and the first notification can be missed.
	 */
	for (unsigned i = 0; i < n; i++) {
		int g = (int)groups[i];

		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0)
			goto fail;
	}
	if (rcvbuf > 0) {
		/* FORCE (root) goes past net.core.rmem_max; the plain option is the fallback. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
				setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
			goto fail;
	}
	/* Let the kernel filter dumps by ifindex (4.20+); callers filter again anyway. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	return fd;
fail:
	ret = -errno;
	close(fd);
	return ret;
}

void *
dp_nl_init(struct dp_nl_req *r, uint16_t type, uint16_t flags, uint32_t seq, size_t famlen)
{
	memset(r->buf, 0, NLMSG_SPACE(famlen));
	r->nh.nlmsg_len = NLMSG_LENGTH(famlen);
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->nh.nlmsg_seq = seq;
	return NLMSG_DATA(&r->nh);
}

int
dp_nl_put(struct dp_nl_req *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->nh.nlmsg_len);
	struct rtattr *a;

	if (off + RTA_SPACE(len) > sizeof(r->buf))
		return -ENOSPC;
	a = (struct rtattr *)(void *)(r->buf + off);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return 0;
}

int
dp_nl_send(int fd, const struct dp_nl_req *r)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	ssize_t n;

	do {
		n = sendto(fd, r->buf, r->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)r->nh.nlmsg_len ? 0 : -EIO;
}

static int64_t
nl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
dp_nl_transact(int fd, struct dp_nl_req *r, int timeout_ms)
{
	int64_t end = nl_now_ms() + timeout_ms;
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int ret;

	r->nh.nlmsg_flags |= NLM_F_ACK;
	ret = dp_nl_send(fd, r);
	if (ret != 0)
		return ret;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = end - nl_now_ms();
		ssize_t len;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, len);
				nh = NLMSG_NEXT(nh, len)) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			if (nh->nlmsg_type != NLMSG_ERROR || nh->nlmsg_seq != r->nh.nlmsg_seq)
				continue;
			return e->error;
		}
	}
}

int
dp_nl_sysctl(const char *family, const char *ifname, const char *key, const char *val)
{
	char path[160];
	size_t len = strlen(val);
	ssize_t n;
	int fd, ret = 0;

	if ((size_t)snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, ifname,
			key) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}
