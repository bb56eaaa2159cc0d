/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_sipsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp_loop.h"

/* Largest datagram read (a UDP datagram's maximum). */
#define RX_MAX 65536
/* Datagrams read per wake-up: the loop's other work goes on under a flood. */
#define RX_BUDGET 256
/* Sockets per process: the registrar's and the relay's, IPv4 and IPv6. */
#define SOCKS_MAX 4

struct cp_sipsock {
	struct cp_loop *loop;
	struct sip_addr addr;
	uint16_t port;
	int fd, family;
	struct {
		cp_sipsock_fn *fn;
		cp_sipsock_done_fn *done;
		void *ctx;
	} h[CP_SIPSOCK__KINDS];
	uint64_t unhandled;
};

static struct cp_sipsock *socks[SOCKS_MAX];
static char rx_buf[RX_MAX];

int
cp_sockaddr_from(const struct sip_addr *a, uint16_t port, int family,
		struct sockaddr_storage *ss, socklen_t *len)
{
	/*
	 * Built as the real types and copied in: writing through a cast of
	 * the storage is a strict-aliasing violation -O3 with LTO exploits.
	 */
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET && a->af == SIP_AF_INET) {
		struct sockaddr_in x;
		memset(&x, 0, sizeof(x));
		x.sin_family = AF_INET;
		x.sin_port = htons(port);
		memcpy(&x.sin_addr, a->a, 4);
		memcpy(ss, &x, sizeof(x));
		*len = sizeof(x);
		return 0;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 x;
		memset(&x, 0, sizeof(x));
		x.sin6_family = AF_INET6;
		x.sin6_port = htons(port);
		if (a->af == SIP_AF_INET) {
			x.sin6_addr.s6_addr[10] = 0xff;
			x.sin6_addr.s6_addr[11] = 0xff;
			memcpy(&x.sin6_addr.s6_addr[12], a->a, 4);
		} else {
			memcpy(&x.sin6_addr, a->a, 16);
		}
		memcpy(ss, &x, sizeof(x));
		*len = sizeof(x);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int
cp_sockaddr_to(const struct sockaddr_storage *ss, struct sip_addr *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		struct sockaddr_in x;
		memcpy(&x, ss, sizeof(x));
		a->af = SIP_AF_INET;
		memcpy(a->a, &x.sin_addr, 4);
		*port = ntohs(x.sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 x;
		memcpy(&x, ss, sizeof(x));
		a->af = SIP_AF_INET6;
		memcpy(a->a, &x.sin6_addr, 16);
		*a = sip_addr_unmapped(a);
		*port = ntohs(x.sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* RFC 3261 methods are case-sensitive: "REGISTER" and a space start the request line. */
static enum cp_sipsock_kind
kind_of(const char *buf, size_t len)
{
	return len > 9 && memcmp(buf, "REGISTER ", 9) == 0 ? CP_SIPSOCK_REGISTER : CP_SIPSOCK_OTHER;
}

static void
on_readable(struct cp_loop *l, int fd, unsigned events, void *ctx)
{
	struct cp_sipsock *s = ctx;
	bool got[CP_SIPSOCK__KINDS] = {false};
	(void)l;
	(void)events;

	for (int i = 0; i < RX_BUDGET; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, rx_buf, sizeof(rx_buf), MSG_DONTWAIT,
				(struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		struct sip_addr src;
		uint16_t sport;
		enum cp_sipsock_kind k = kind_of(rx_buf, (size_t)n);
		if (cp_sockaddr_to(&from, &src, &sport) != 0 || s->h[k].fn == NULL) {
			s->unhandled++;
			continue;
		}
		s->h[k].fn(s->h[k].ctx, rx_buf, (size_t)n, &src, sport);
		got[k] = true;
	}
	for (int k = 0; k < CP_SIPSOCK__KINDS; k++)
		if (got[k] && s->h[k].done != NULL)
			s->h[k].done(s->h[k].ctx);
}

static int
open_bound(struct cp_sipsock *s, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[64];
	int one = 1, rcv = 4 << 20;

	host[sip_addr_format(&s->addr, host, sizeof(host) - 1)] = '\0';
	s->family = s->addr.af == SIP_AF_INET ? AF_INET : AF_INET6;
	if (cp_sockaddr_from(&s->addr, s->port, s->family, &ss, &sl) != 0) {
		snprintf(err, errlen, "%s: not an address", host);
		return -EINVAL;
	}
	s->fd = socket(s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	/* The address lives on the dataplane's tap, which may not exist yet: bind anyway. */
	if (s->family == AF_INET)
		setsockopt(s->fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	else
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(s->fd, (struct sockaddr *)&ss, sl) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot bind udp %s:%u: %s", host, s->port, strerror(e));
		return -e;
	}
	if (cp_loop_add_fd(s->loop, s->fd, CP_READ, on_readable, s) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void
sock_free(struct cp_sipsock *s)
{
	for (int i = 0; i < SOCKS_MAX; i++)
		if (socks[i] == s)
			socks[i] = NULL;
	if (s->fd >= 0) {
		cp_loop_del_fd(s->loop, s->fd);
		close(s->fd);
	}
	free(s);
}

struct cp_sipsock *
cp_sipsock_get(struct cp_loop *l, const struct sip_addr *addr, uint16_t port, char *err,
		size_t errlen)
{
	int slot = -1;
	for (int i = 0; i < SOCKS_MAX; i++) {
		struct cp_sipsock *s = socks[i];
		if (s == NULL) {
			if (slot < 0)
				slot = i;
			continue;
		}
		if (s->loop == l && s->port == port && sip_addr_eq(&s->addr, addr))
			return s;
	}
	if (slot < 0) {
		snprintf(err, errlen, "too many SIP sockets");
		return NULL;
	}
	struct cp_sipsock *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->loop = l;
	s->addr = *addr;
	s->port = port;
	s->fd = -1;
	if (open_bound(s, err, errlen) != 0) {
		sock_free(s);
		return NULL;
	}
	socks[slot] = s;
	return s;
}

void
cp_sipsock_handle(struct cp_sipsock *s, enum cp_sipsock_kind k, cp_sipsock_fn *fn,
		cp_sipsock_done_fn *done, void *ctx)
{
	s->h[k].fn = fn;
	s->h[k].done = done;
	s->h[k].ctx = ctx;
}

void
cp_sipsock_put(struct cp_sipsock *s, enum cp_sipsock_kind k)
{
	if (s == NULL)
		return;
	cp_sipsock_handle(s, k, NULL, NULL, NULL);
	for (int i = 0; i < CP_SIPSOCK__KINDS; i++)
		if (s->h[i].fn != NULL)
			return;
	sock_free(s);
}

int
cp_sipsock_send(struct cp_sipsock *s, const char *buf, size_t len, const struct sip_addr *dst,
		uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (cp_sockaddr_from(dst, port, s->family, &ss, &sl) != 0)
		return -EAFNOSUPPORT;
	if (sendto(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, sl) !=
			(ssize_t)len)
		return -errno;
	return 0;
}

uint64_t
cp_sipsock_unhandled(const struct cp_sipsock *s)
{
	return s->unhandled;
}
