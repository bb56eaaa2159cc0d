/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel-side SIP socket the registrar and the relay share
 * (control/cp_sipsock.c): one socket per address and port however many
 * users ask, REGISTER to one handler and the rest to the other, a kind
 * nobody handles dropped and counted, the socket closed with its last
 * user; sockaddr conversions both ways (IPv4-mapped sources unmapped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "cp_loop.h"
#include "cp_sipsock.h"

struct seen {
	unsigned n, batches;
	char first[16];
	struct sip_addr src;
	uint16_t sport;
};

static void
on_msg(void *ctx, const char *buf, size_t len, const struct sip_addr *src, uint16_t sport)
{
	struct seen *s = ctx;
	if (s->n++ == 0) {
		size_t k = len < sizeof(s->first) - 1 ? len : sizeof(s->first) - 1;
		memcpy(s->first, buf, k);
		s->first[k] = '\0';
		s->src = *src;
		s->sport = sport;
	}
}

static void
on_done(void *ctx)
{
	((struct seen *)ctx)->batches++;
}

/* A free UDP port on 127.0.0.1 (bound and released: good enough for a test). */
static uint16_t
free_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void
send_text(int fd, uint16_t port, const char *text)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(sendto(fd, text, strlen(text), 0, (struct sockaddr *)&a, sizeof(a)),
			(ssize_t)strlen(text));
}

static void
test_dispatch(void **state)
{
	(void)state;
	char err[256];
	struct cp_loop *l = cp_loop_create();
	struct sip_addr lo = {.af = SIP_AF_INET, .a = {127, 0, 0, 1}};
	uint16_t port = free_port();

	struct cp_sipsock *a = cp_sipsock_get(l, &lo, port, err, sizeof(err));
	assert_non_null(a);
	struct cp_sipsock *b = cp_sipsock_get(l, &lo, port, err, sizeof(err));
	assert_ptr_equal(a, b); /* one socket for one address and port */

	struct seen reg = {0}, other = {0};
	cp_sipsock_handle(a, CP_SIPSOCK_REGISTER, on_msg, on_done, &reg);
	cp_sipsock_handle(a, CP_SIPSOCK_OTHER, on_msg, NULL, &other);

	int c = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ca = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t cl = sizeof(ca);
	assert_int_equal(bind(c, (struct sockaddr *)&ca, sizeof(ca)), 0);
	assert_int_equal(getsockname(c, (struct sockaddr *)&ca, &cl), 0);
	send_text(c, port, "REGISTER sip:example.com SIP/2.0\r\n\r\n");
	send_text(c, port, "BYE sip:x@gw.example.net SIP/2.0\r\n\r\n");
	send_text(c, port, "register sip:example.com SIP/2.0\r\n\r\n"); /* methods are case-sensitive */
	send_text(c, port, "REGISTERX sip:example.com SIP/2.0\r\n\r\n");
	for (int i = 0; i < 200 && reg.n + other.n < 4; i++)
		cp_loop_once(l, 10);
	assert_int_equal(reg.n, 1);
	assert_string_equal(reg.first, "REGISTER sip:ex");
	assert_true(reg.batches >= 1);
	assert_int_equal(other.n, 3);
	assert_string_equal(other.first, "BYE sip:x@gw.ex");
	assert_int_equal(reg.src.af, SIP_AF_INET);
	assert_memory_equal(reg.src.a, lo.a, 4);
	assert_int_equal(reg.sport, ntohs(ca.sin_port));
	assert_int_equal(cp_sipsock_unhandled(a), 0);

	/* Sending goes out from the shared socket's address and port. */
	assert_int_equal(cp_sipsock_send(a, "SIP/2.0 200 OK\r\n\r\n", 19, &reg.src, reg.sport), 0);
	char buf[64];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = -1;
	for (int i = 0; i < 100 && n < 0; i++) {
		n = recvfrom(c, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			usleep(10000);
	}
	assert_int_equal(n, 19);
	assert_int_equal(ntohs(from.sin_port), port);

	/* The relay gone: what it took is dropped and counted; the registrar still served. */
	cp_sipsock_put(a, CP_SIPSOCK_OTHER);
	send_text(c, port, "OPTIONS sip:x@example.com SIP/2.0\r\n\r\n");
	send_text(c, port, "REGISTER sip:example.com SIP/2.0\r\n\r\n");
	for (int i = 0; i < 200 && (reg.n < 2 || cp_sipsock_unhandled(a) < 1); i++)
		cp_loop_once(l, 10);
	assert_int_equal(reg.n, 2);
	assert_int_equal(other.n, 3);
	assert_int_equal(cp_sipsock_unhandled(a), 1);

	/* The last user gone, the port is free again. */
	cp_sipsock_put(a, CP_SIPSOCK_REGISTER);
	int again = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(again, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* ...and a new cp_sipsock_get() on a taken port says why. */
	assert_null(cp_sipsock_get(l, &lo, port, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot bind udp 127.0.0.1:"));
	close(again);
	close(c);
	cp_loop_free(l);
}

static void
test_sockaddr(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct sip_addr v4 = {.af = SIP_AF_INET, .a = {192, 0, 2, 7}}, back;
	struct sip_addr v6 = {.af = SIP_AF_INET6, .a = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
	uint16_t port;

	assert_int_equal(cp_sockaddr_from(&v4, 5060, AF_INET, &ss, &sl), 0);
	assert_int_equal(sl, sizeof(struct sockaddr_in));
	assert_int_equal(cp_sockaddr_to(&ss, &back, &port), 0);
	assert_true(sip_addr_eq(&back, &v4));
	assert_int_equal(port, 5060);
	/* An IPv4 destination on an IPv6 socket goes mapped, and comes back unmapped. */
	assert_int_equal(cp_sockaddr_from(&v4, 5061, AF_INET6, &ss, &sl), 0);
	assert_int_equal(sl, sizeof(struct sockaddr_in6));
	assert_int_equal(((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr[10], 0xff);
	assert_int_equal(cp_sockaddr_to(&ss, &back, &port), 0);
	assert_true(sip_addr_eq(&back, &v4));
	assert_int_equal(port, 5061);
	assert_int_equal(cp_sockaddr_from(&v6, 5062, AF_INET6, &ss, &sl), 0);
	assert_int_equal(cp_sockaddr_to(&ss, &back, &port), 0);
	assert_true(sip_addr_eq(&back, &v6));
	/* No IPv6 destination on an IPv4 socket. */
	assert_int_not_equal(cp_sockaddr_from(&v6, 5060, AF_INET, &ss, &sl), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_sockaddr),
	};
	return cmocka_run_group_tests_name("cp_sipsock", tests, NULL, NULL);
}
