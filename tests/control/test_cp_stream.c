/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP streams (control/cp_stream.c) on a real event loop and loopback
 * sockets: REGISTER and other messages to their handlers with the peer,
 * 503 without a handler, CRLF pings, replies on a connection, 400 and
 * close on a missing Content-Length; the per-source limit, the first-byte
 * and message time-outs, the write-queue bound; outgoing TCP (connection
 * reused, answers to the handler, close reported); outgoing TLS to a TLS
 * listener in the same loop with the RFC 5922 name checked (right name:
 * delivered; wrong name: refused); IPv6. Certificates are made here.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cp_loop.h"
#include "cp_stream.h"
#include "cp_tls.h"
#include "sip.h"

#define MSG(method, extra) \
	method " sip:example.com SIP/2.0\r\n" \
	"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKt1\r\n" \
	"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n" \
	"Call-ID: t1\r\nCSeq: 1 " method "\r\nMax-Forwards: 70\r\n" extra "\r\n"

struct seen {
	unsigned n;
	char last[2048];
	struct cp_stream_peer peer;
	unsigned closed;
	uint64_t closed_id;
};

static void
on_msg(void *ctx, const char *buf, size_t len, const struct cp_stream_peer *p)
{
	struct seen *s = ctx;
	s->n++;
	size_t k = len < sizeof(s->last) - 1 ? len : sizeof(s->last) - 1;
	memcpy(s->last, buf, k);
	s->last[k] = '\0';
	s->peer = *p;
}

static void
on_closed(void *ctx, uint64_t conn, uint8_t tp)
{
	struct seen *s = ctx;
	(void)tp;
	s->closed++;
	s->closed_id = conn;
}

static uint16_t
free_port(int family)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	int fd = socket(family, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, sl), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	close(fd);
	return ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
			((struct sockaddr_in6 *)&ss)->sin6_port);
}

static struct sip_addr
addr(const char *s)
{
	struct sip_addr a;
	assert_int_equal(sip_addr_parse(sip_str_make(s, strlen(s)), &a), 0);
	return a;
}

/* A non-blocking client socket connected to ip:port (the loop accepts meanwhile). */
static int
client(struct cp_loop *l, const char *ip, uint16_t port)
{
	int v6 = strchr(ip, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t sl;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, ip, &a->sin_addr);
		sl = sizeof(*a);
	}
	int rc = connect(fd, (struct sockaddr *)&ss, sl);
	assert_true(rc == 0 || errno == EINPROGRESS);
	for (int i = 0; i < 20; i++)
		cp_loop_once(l, 5);
	return fd;
}

static void
spin(struct cp_loop *l, int ms)
{
	uint64_t end = cp_now_ms() + (uint64_t)ms;
	while (cp_now_ms() < end)
		cp_loop_once(l, 5);
}

/* Turn the loop until *v reaches want or ms pass (slow hosts, valgrind). */
static void
wait_for(struct cp_loop *l, const volatile uint64_t *v, uint64_t want, int ms)
{
	uint64_t end = cp_now_ms() + (uint64_t)ms;
	while (*v < want && cp_now_ms() < end)
		cp_loop_once(l, 5);
}

static void
wait_n(struct cp_loop *l, const unsigned *v, unsigned want, int ms)
{
	uint64_t end = cp_now_ms() + (uint64_t)ms;
	while (*v < want && cp_now_ms() < end)
		cp_loop_once(l, 5);
}

/* Everything readable on fd within ms (the loop turning meanwhile); eof set on EOF. */
static size_t
read_all(struct cp_loop *l, int fd, char *buf, size_t cap, int ms, bool *eof)
{
	size_t n = 0;
	uint64_t end = cp_now_ms() + (uint64_t)ms;
	*eof = false;
	while (cp_now_ms() < end && n < cap - 1) {
		cp_loop_once(l, 5);
		ssize_t r = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT);
		if (r == 0) {
			*eof = true;
			break;
		}
		if (r > 0)
			n += (size_t)r;
	}
	buf[n] = '\0';
	return n;
}

static void
send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static struct cp_stream_conf
small_conf(void)
{
	struct cp_stream_conf c;
	cp_stream_conf_defaults(&c);
	c.max_per_source = 3;
	c.first_byte_ms = 400;
	c.msg_ms = 400;
	c.handshake_ms = 2000;
	c.max_wq = 4096;
	return c;
}

static void
t_tcp_in(void **state)
{
	(void)state;
	struct cp_loop *l = cp_loop_create();
	struct cp_stream_conf c = small_conf();
	struct cp_stream *st = cp_stream_create(l, &c);
	struct seen reg = {0}, other = {0}, cl = {0};
	char err[256], buf[4096];
	bool eof;
	uint16_t port = free_port(AF_INET);
	struct sip_addr lo = addr("127.0.0.1");
	assert_int_equal(cp_stream_listen(st, SIP_TP_TCP, &lo, port, err, sizeof(err)), 0);
	cp_stream_handle_register(st, on_msg, &reg);
	cp_stream_on_close(st, on_closed, &cl);

	/* No other handler: 503. A ping: CRLF. REGISTER: to its handler. */
	int fd = client(l, "127.0.0.1", port);
	send_str(fd, "\r\n\r\n" MSG("OPTIONS", "Content-Length: 0\r\n")
			MSG("REGISTER", "l: 2\r\n") "ab");
	read_all(l, fd, buf, sizeof(buf), 300, &eof);
	assert_false(eof);
	assert_memory_equal(buf, "\r\n", 2);
	assert_non_null(strstr(buf, "SIP/2.0 503 Service Unavailable\r\n"));
	assert_non_null(strstr(buf, "CSeq: 1 OPTIONS\r\n"));
	assert_int_equal(reg.n, 1);
	assert_non_null(strstr(reg.last, "\r\n\r\nab"));
	assert_int_equal(reg.peer.transport, SIP_TP_TCP);
	assert_true(reg.peer.conn > 0);
	assert_true(sip_addr_eq(&reg.peer.addr, &lo));
	const uint64_t *cnt = cp_stream_counters(st);
	assert_int_equal(cnt[CP_STREAM_C_STREAM_503], 1);
	assert_int_equal(cnt[CP_STREAM_C_STREAM_PINGS], 1);

	/* Now with a handler for the rest; a reply on the connection. */
	cp_stream_handle(st, on_msg, &other);
	send_str(fd, MSG("OPTIONS", "Content-Length: 0\r\n"));
	spin(l, 100);
	assert_int_equal(other.n, 1);
	assert_int_equal(other.peer.conn, reg.peer.conn);
	assert_int_equal(cp_stream_reply(st, reg.peer.conn, "hello", 5), 0);
	read_all(l, fd, buf, sizeof(buf), 100, &eof);
	assert_string_equal(buf, "hello");
	assert_int_equal(cp_stream_reply(st, 999999, "x", 1), -ENOTCONN);

	/* No Content-Length: 400, closed, the close reported. */
	send_str(fd, MSG("REGISTER", ""));
	read_all(l, fd, buf, sizeof(buf), 500, &eof);
	assert_non_null(strstr(buf, "SIP/2.0 400 Content-Length Required On Streams\r\n"));
	assert_true(eof);
	assert_int_equal(cl.closed, 1);
	assert_int_equal(cl.closed_id, reg.peer.conn);
	assert_int_equal(cp_stream_reply(st, reg.peer.conn, "x", 1), -ENOTCONN);
	close(fd);

	/* Too large (Content-Length beyond max_msg, no Max-Forwards): 513 all the same, closed. */
	fd = client(l, "127.0.0.1", port);
	send_str(fd, "REGISTER sip:example.com SIP/2.0\r\n"
			"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKbig\r\n"
			"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
			"Call-ID: big\r\nCSeq: 1 REGISTER\r\nContent-Length: 99999999\r\n\r\n");
	read_all(l, fd, buf, sizeof(buf), 500, &eof);
	assert_non_null(strstr(buf, "SIP/2.0 513 "));
	assert_non_null(strstr(buf, "Call-ID: big\r\n"));
	assert_true(eof);
	assert_int_equal(cnt[CP_STREAM_C_STREAM_TOO_LARGE], 1);
	close(fd);

	/* Write queue bound: a reply larger than it closes the connection. */
	fd = client(l, "127.0.0.1", port);
	send_str(fd, MSG("REGISTER", "Content-Length: 0\r\n"));
	spin(l, 100);
	static char big[5000];
	memset(big, 'x', sizeof(big));
	assert_int_equal(cp_stream_reply(st, reg.peer.conn, big, sizeof(big)), -ENOBUFS);
	assert_int_equal(cnt[CP_STREAM_C_STREAM_WQ_OVERFLOW], 1);
	close(fd);

	cp_stream_free(st);
	cp_loop_free(l);
}

static void
t_limits(void **state)
{
	(void)state;
	struct cp_loop *l = cp_loop_create();
	struct cp_stream_conf c = small_conf();
	struct cp_stream *st = cp_stream_create(l, &c);
	struct seen reg = {0};
	char err[256], buf[512];
	bool eof;
	uint16_t port = free_port(AF_INET);
	struct sip_addr lo = addr("127.0.0.1");
	assert_int_equal(cp_stream_listen(st, SIP_TP_TCP, &lo, port, err, sizeof(err)), 0);
	cp_stream_handle_register(st, on_msg, &reg);
	const uint64_t *cnt = cp_stream_counters(st);

	/* Per source: 3 kept, the 4th closed at once. */
	int fds[4];
	/* The first one begins a message at once: the message time-out is its fate. */
	fds[0] = client(l, "127.0.0.1", port);
	send_str(fds[0], "REG");
	for (int i = 1; i < 4; i++)
		fds[i] = client(l, "127.0.0.1", port);
	spin(l, 50);
	assert_int_equal(cp_stream_count(st), 3);
	assert_int_equal(cnt[CP_STREAM_C_STREAM_REFUSED_SOURCE], 1);
	read_all(l, fds[3], buf, sizeof(buf), 100, &eof);
	assert_true(eof);
	/* Silent ones close after the first-byte time-out (400 ms, checked every 250). */
	read_all(l, fds[1], buf, sizeof(buf), 1500, &eof);
	assert_true(eof);
	read_all(l, fds[2], buf, sizeof(buf), 500, &eof);
	assert_true(eof);
	assert_int_equal(cnt[CP_STREAM_C_STREAM_TIMEOUT_FIRST_BYTE], 2);
	/* The dribbler: one byte every 100 ms, closed by the message time-out. */
	const char *m = MSG("REGISTER", "Content-Length: 0\r\n");
	size_t sent = 3;
	eof = false;
	for (; sent < strlen(m) && !eof; sent++) {
		if (send(fds[0], m + sent, 1, MSG_NOSIGNAL) != 1)
			break;
		read_all(l, fds[0], buf, sizeof(buf), 100, &eof);
	}
	assert_true(sent < strlen(m));
	assert_int_equal(cnt[CP_STREAM_C_STREAM_TIMEOUT_MESSAGE], 1);
	assert_int_equal(reg.n, 0);
	assert_int_equal(cp_stream_count(st), 0);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	cp_stream_free(st);
	cp_loop_free(l);
}

static uint64_t pin_until_ms, pinned_conn;

static uint64_t
bound_fn(void *ctx, uint64_t conn)
{
	uint64_t *asked = ctx;
	*asked = conn;
	return conn == pinned_conn ? pin_until_ms : 0;
}

/* The idle time-out spares a connection a binding uses, until the binding expires. */
static void
t_idle_pinned(void **state)
{
	(void)state;
	struct cp_loop *l = cp_loop_create();
	struct cp_stream_conf c = small_conf();
	c.idle_ms = 300;
	struct cp_stream *st = cp_stream_create(l, &c);
	struct seen reg = {0};
	char err[256], buf[256];
	bool eof;
	uint64_t asked = 0;
	uint16_t port = free_port(AF_INET);
	struct sip_addr lo = addr("127.0.0.1");
	assert_int_equal(cp_stream_listen(st, SIP_TP_TCP, &lo, port, err, sizeof(err)), 0);
	cp_stream_handle_register(st, on_msg, &reg);
	cp_stream_bound(st, bound_fn, &asked);
	int a = client(l, "127.0.0.1", port), b = client(l, "127.0.0.1", port);
	send_str(a, MSG("REGISTER", "Content-Length: 0\r\n"));
	spin(l, 50);
	uint64_t conn_a = reg.peer.conn;
	pinned_conn = conn_a;
	send_str(b, MSG("REGISTER", "Content-Length: 0\r\n"));
	spin(l, 50);
	/* a is bound for 1.2 s more, b is not. */
	pin_until_ms = cp_now_ms() + 1200;
	read_all(l, b, buf, sizeof(buf), 900, &eof);
	assert_true(eof);           /* b: idle-closed */
	assert_true(asked != 0);
	read_all(l, a, buf, sizeof(buf), 10, &eof);
	assert_false(eof);          /* a: still open past its idle time-out */
	assert_int_equal(cp_stream_reply(st, conn_a, "x", 1), 0);
	pin_until_ms = 0;           /* the binding expired (asked again when the pin ends) */
	read_all(l, a, buf, sizeof(buf), 2500, &eof);
	assert_true(eof);
	assert_int_equal(cp_stream_counters(st)[CP_STREAM_C_STREAM_TIMEOUT_IDLE], 2);
	close(a);
	close(b);
	cp_stream_free(st);
	cp_loop_free(l);
}

static void
t_tcp_out(void **state)
{
	(void)state;
	struct cp_loop *l = cp_loop_create();
	struct cp_stream_conf c = small_conf();
	struct cp_stream *st = cp_stream_create(l, &c);
	struct seen other = {0}, cl = {0};
	char buf[2048];
	bool eof;
	cp_stream_handle(st, on_msg, &other);
	cp_stream_on_close(st, on_closed, &cl);
	/* A plain server socket of the test. */
	uint16_t port = free_port(AF_INET);
	int srv = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(srv, 8), 0);
	struct sip_addr lo = addr("127.0.0.1");

	int64_t id = cp_stream_send(st, SIP_TP_TCP, &lo, port, NULL, "first ", 6);
	assert_true(id > 0);
	int64_t id2 = cp_stream_send(st, SIP_TP_TCP, &lo, port, NULL, "second", 6);
	assert_int_equal(id2, id); /* the same connection, still connecting */
	spin(l, 50);
	int fd = accept(srv, NULL, NULL);
	assert_true(fd >= 0);
	read_all(l, fd, buf, sizeof(buf), 100, &eof);
	assert_string_equal(buf, "first second");
	/* Its answer comes to the handler with the connection's id. */
	send_str(fd, "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP x;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n");
	spin(l, 100);
	assert_int_equal(other.n, 1);
	assert_int_equal(other.peer.conn, (uint64_t)id);
	assert_int_equal(other.peer.port, port);
	/* A response with no handler would be dropped, not answered: here it reached the handler. */
	close(fd);
	spin(l, 100);
	assert_int_equal(cl.closed, 1);
	assert_int_equal(cl.closed_id, (uint64_t)id);
	/* Nobody listening any more: the connect fails and is counted. */
	close(srv);
	assert_true(cp_stream_send(st, SIP_TP_TCP, &lo, port, NULL, "x", 1) > 0);
	spin(l, 200);
	assert_int_equal(cp_stream_counters(st)[CP_STREAM_C_STREAM_CONNECT_FAILED], 1);
	assert_int_equal(cp_stream_send(st, SIP_TP_UDP, &lo, port, NULL, "x", 1),
			-EPROTONOSUPPORT);
	assert_int_equal(cp_stream_send(st, SIP_TP_TLS, &lo, port, "x", "x", 1),
			-EPROTONOSUPPORT); /* no TLS configured */
	cp_stream_free(st);
	cp_loop_free(l);
}

/* ---- TLS ---- */

static char dir[64];

static void
write_pem(const char *name, X509 *x, EVP_PKEY *k)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	if (x != NULL)
		assert_int_equal(PEM_write_X509(f, x), 1);
	if (k != NULL)
		assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

/* A self-signed certificate for sip:example.com that is also its own CA. */
static void
make_files(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_cp_stream.XXXXXX");
	assert_non_null(mkdtemp(dir));
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1,
			0);
	X509_set_issuer_name(x, n);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	const char *exts[][2] = {{"subjectAltName", "URI:sip:example.com"},
		{"basicConstraints", "critical,CA:TRUE"}};
	for (int i = 0; i < 2; i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	write_pem("cert.pem", x, NULL);
	write_pem("key.pem", NULL, k);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
remove_files(void)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/cert.pem", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/key.pem", dir);
	unlink(p);
	rmdir(dir);
}

static void
t_tls(void **state)
{
	(void)state;
	char err[1024];
	make_files();
	struct cp_tls_conf tc;
	cp_tls_conf_defaults(&tc);
	snprintf(tc.cert, sizeof(tc.cert), "%s/cert.pem", dir);
	snprintf(tc.key, sizeof(tc.key), "%s/key.pem", dir);
	snprintf(tc.ca, sizeof(tc.ca), "%s/cert.pem", dir);
	tc.verify_client = CP_TLS_VERIFY_REQUIRED;  /* the client offers the same certificate */
	snprintf(tc.client_allow, sizeof(tc.client_allow), "example.com");
	struct cp_tls *tls = cp_tls_create(&tc, err, sizeof(err));
	if (tls == NULL)
		fail_msg("cp_tls_create: %s", err);

	struct cp_loop *l = cp_loop_create();
	struct cp_stream_conf c = small_conf();
	struct cp_stream *srv = cp_stream_create(l, &c), *cli = cp_stream_create(l, &c);
	cp_stream_set_tls(srv, tls);
	cp_stream_set_tls(cli, tls);
	struct seen got = {0}, back = {0};
	cp_stream_handle(srv, on_msg, &got);
	cp_stream_handle(cli, on_msg, &back);
	uint16_t port = free_port(AF_INET);
	struct sip_addr lo = addr("127.0.0.1");
	assert_int_equal(cp_stream_listen(srv, SIP_TP_TLS, &lo, port, err, sizeof(err)), 0);

	/* The right name: delivered over TLS, the client's identity seen. */
	const char *m = MSG("OPTIONS", "Content-Length: 0\r\n");
	int64_t id = cp_stream_send(cli, SIP_TP_TLS, &lo, port, "example.com", m, strlen(m));
	assert_true(id > 0);
	wait_n(l, &got.n, 1, 10000);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.last, m);
	assert_int_equal(got.peer.transport, SIP_TP_TLS);
	assert_string_equal(got.peer.tls_peer, "example.com");
	/* The answer comes back on the same connection. */
	const char *r = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS x;branch=z9hG4bK1\r\nl: 0\r\n\r\n";
	assert_int_equal(cp_stream_reply(srv, got.peer.conn, r, strlen(r)), 0);
	wait_n(l, &back.n, 1, 5000);
	assert_int_equal(back.n, 1);
	assert_int_equal(back.peer.conn, (uint64_t)id);
	/*
	 * The server side reuses the incoming connection for the name its client
	 * certificate proved (example.com), and for no other name.
	 */
	assert_int_equal(cp_stream_send(srv, SIP_TP_TLS, &lo, got.peer.port, "example.com", r,
			strlen(r)), (int64_t)got.peer.conn);
	int64_t other_id = cp_stream_send(srv, SIP_TP_TLS, &lo, got.peer.port, "other.example", r,
			strlen(r));
	assert_true(other_id > 0 && other_id != (int64_t)got.peer.conn);
	assert_int_equal(cp_stream_close(srv, (uint64_t)other_id), 0);
	wait_n(l, &back.n, 2, 5000);
	assert_int_equal(back.n, 2);
	/* Sent again with the same name: the same connection. */
	assert_int_equal(cp_stream_send(cli, SIP_TP_TLS, &lo, port, "example.com", m, strlen(m)),
			id);

	/* The wrong name: a new connection, refused after the handshake (RFC 5922). */
	unsigned before = got.n;
	int64_t id2 = cp_stream_send(cli, SIP_TP_TLS, &lo, port, "other.example", m, strlen(m));
	assert_true(id2 > 0 && id2 != id);
	wait_for(l, &cp_stream_counters(cli)[CP_STREAM_C_STREAM_TLS_FAILED], 1, 10000);
	wait_n(l, &got.n, before + 1, 2000);
	spin(l, 100);
	assert_int_equal(got.n, before + 1); /* only the resend on the good connection */
	assert_int_equal(cp_stream_counters(cli)[CP_STREAM_C_STREAM_TLS_FAILED], 1);
	assert_int_equal(cp_stream_reply(cli, (uint64_t)id2, "x", 1), -ENOTCONN);

	cp_stream_free(cli);
	cp_stream_free(srv);
	cp_loop_free(l);
	cp_tls_free(tls);
	remove_files();
}

static void
t_ipv6(void **state)
{
	(void)state;
	struct cp_loop *l = cp_loop_create();
	struct cp_stream_conf c = small_conf();
	struct cp_stream *st = cp_stream_create(l, &c);
	struct seen reg = {0};
	char err[256];
	uint16_t port = free_port(AF_INET6);
	struct sip_addr lo6 = addr("::1");
	assert_int_equal(cp_stream_listen(st, SIP_TP_TCP, &lo6, port, err, sizeof(err)), 0);
	cp_stream_handle_register(st, on_msg, &reg);
	int fd = client(l, "::1", port);
	send_str(fd, MSG("REGISTER", "Content-Length: 0\r\n"));
	spin(l, 100);
	assert_int_equal(reg.n, 1);
	assert_true(sip_addr_eq(&reg.peer.addr, &lo6));
	close(fd);
	cp_stream_free(st);
	cp_loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_tcp_in),
		cmocka_unit_test(t_limits),
		cmocka_unit_test(t_idle_pinned),
		cmocka_unit_test(t_tcp_out),
		cmocka_unit_test(t_tls),
		cmocka_unit_test(t_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
