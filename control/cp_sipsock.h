/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_SIPSOCK_H
#define CP_SIPSOCK_H

/*
 * The control plane's SIP sockets on the router's kernel side: UDP sockets
 * bound to the router's SIP address (on the dataplane's tap; bound with
 * IP_FREEBIND, so before the tap exists too), where the dataplane's
 * exception path delivers what it hands to the kernel: REGISTER (the
 * registrar, cp_regsrv.c) and requests to host names (the relay,
 * cp_relay.c). Both usually listen on the same address and port, which one
 * socket can serve and two cannot (the kernel would deliver each datagram
 * to one of them): so there is one socket per address and port, and it
 * hands REGISTER requests to one handler and everything else to the other.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sip_addr.h"

struct cp_loop;
struct cp_sipsock;

/* A datagram from src:sport (IPv4-mapped sources unmapped). */
typedef void cp_sipsock_fn(void *ctx, const char *buf, size_t len, const struct sip_addr *src,
		uint16_t sport);
/* Called once after each batch of datagrams read in one wake-up. */
typedef void cp_sipsock_done_fn(void *ctx);

enum cp_sipsock_kind {
	CP_SIPSOCK_REGISTER = 0, /* requests whose method is REGISTER */
	CP_SIPSOCK_OTHER,        /* everything else */
	CP_SIPSOCK__KINDS
};

/*
 * The socket for addr:port in the loop, opened and bound on first use and
 * shared after (at most a few per process). NULL with err set.
 */
struct cp_sipsock *cp_sipsock_get(struct cp_loop *l, const struct sip_addr *addr, uint16_t port,
		char *err, size_t errlen);
/* Who gets which datagrams; fn NULL: that kind is dropped (and counted). */
void cp_sipsock_handle(struct cp_sipsock *s, enum cp_sipsock_kind k, cp_sipsock_fn *fn,
		cp_sipsock_done_fn *done, void *ctx);
/* Give up one user's handler; the socket closes with its last handler. */
void cp_sipsock_put(struct cp_sipsock *s, enum cp_sipsock_kind k);
/* Send buf to dst:port (an IPv4 destination on an IPv6 socket goes mapped). 0 or -errno. */
int cp_sipsock_send(struct cp_sipsock *s, const char *buf, size_t len, const struct sip_addr *dst,
		uint16_t port);
/* Datagrams no handler took. */
uint64_t cp_sipsock_unhandled(const struct cp_sipsock *s);

/* sockaddr <-> sip_addr for the control plane's sockets. */
int cp_sockaddr_from(const struct sip_addr *a, uint16_t port, int family,
		struct sockaddr_storage *ss, socklen_t *len);
int cp_sockaddr_to(const struct sockaddr_storage *ss, struct sip_addr *a, uint16_t *port);

#endif
