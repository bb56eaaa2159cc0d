/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registrar's cost per REGISTER, in process (no sockets): REGISTER
 * texts go to cp_reg_input(), answers to a callback that drops them, and
 * cp_reg_flush() commits every `batch` registrations (group commit: one
 * fsync per batch, synchronous=FULL, WAL). Cases:
 *   noauth/batchN     a registration per AOR, round robin over the users
 *   digest-sha256/batchN  the challenge and the answer (two REGISTERs; the
 *                     client's digest computation is counted too)
 *   retransmission    a REGISTER answered from the retransmission cache
 * The store lives in --dir (default /var/tmp: a disk, where fsync costs
 * what it costs; /tmp may be tmpfs). One JSON line per case.
 *
 *   bench_registrar [--quick] [--dir DIR] [--users N]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench_common.h"
#include "cp_digest.h"
#include "cp_registrar.h"
#include "cp_store.h"
#include "cp_subscribers.h"
#include "sip.h"

static unsigned long answers;

static void
drop(void *ctx, const char *buf, size_t len, const struct sip_addr *dst, uint16_t port)
{
	char *last = ctx;
	(void)dst;
	(void)port;
	size_t n = len < 4095 ? len : 4095;
	memcpy(last, buf, n);
	last[n] = '\0';
	answers++;
}

static void
nopush(void *ctx, const char *aor, const struct cp_binding *best)
{
	(void)ctx;
	(void)aor;
	(void)best;
}

static int
msg(char *out, size_t cap, unsigned user, unsigned cseq, const char *auth)
{
	return snprintf(out, cap,
		"REGISTER sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.10:5062;rport;branch=z9hG4bKu%uc%u\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:u%u@example.com>;tag=f%u\r\n"
		"To: <sip:u%u@example.com>\r\nCall-ID: bench-%u\r\nCSeq: %u REGISTER\r\n"
		"Contact: <sip:u%u@192.0.2.10:5062>;expires=3600\r\n%s"
		"User-Agent: bench\r\nContent-Length: 0\r\n\r\n",
		user, cseq, user, user, user, user, cseq, user, auth);
}

struct run {
	struct cp_reg *r;
	struct cp_store *st;
	char path[256];
	char last[4096];
};

static void
open_run(struct run *x, const char *dir, bool auth, unsigned users)
{
	char err[256];
	struct cp_reg_conf c;
	snprintf(x->path, sizeof(x->path), "%s/bench_registrar.%d.db", dir, (int)getpid());
	unlink(x->path);
	x->st = cp_store_open(x->path, err, sizeof(err));
	if (x->st == NULL) {
		fprintf(stderr, "bench_registrar: %s\n", err);
		exit(1);
	}
	cp_reg_conf_defaults(&c);
	snprintf(c.domains, sizeof(c.domains), "example.com");
	c.auth = auth;
	c.authc.algs = 1u << CP_DIG_SHA256;
	c.nonce_window = 1u << 20;
	x->r = cp_reg_create(&c, x->st, 1765000000, err, sizeof(err));
	if (x->r == NULL) {
		fprintf(stderr, "bench_registrar: %s\n", err);
		exit(1);
	}
	cp_reg_set_io(x->r, drop, nopush, x->last);
	if (auth) {
		/* Subscribers in one transaction (setup, not measured). */
		struct cp_subscriber s;
		sqlite3_exec(cp_store_db(x->st), "BEGIN", NULL, NULL, NULL);
		char u[32];
		for (unsigned i = 0; i < users; i++) {
			snprintf(u, sizeof(u), "u%u", i);
			cp_sub_from_password(&s, u, "example.com", "pw");
			cp_sub_put(x->st, &s);
		}
		sqlite3_exec(cp_store_db(x->st), "COMMIT", NULL, NULL, NULL);
	}
}

static void
close_run(struct run *x)
{
	char p[300];
	cp_reg_free(x->r);
	cp_store_close(x->st);
	unlink(x->path);
	snprintf(p, sizeof(p), "%s-wal", x->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", x->path);
	unlink(p);
}

static void
report(const char *c, unsigned long ops, uint64_t ns, uint64_t cpu_ns, unsigned batch,
		const char *fs)
{
	double per = (double)ns / (double)ops;
	printf("{\"bench\":\"registrar\",\"case\":\"%s\",\"ops\":%lu,\"batch\":%u,"
	       "\"ns_per_op\":%.0f,\"cpu_ns_per_op\":%.0f,\"cycles_per_op\":%.0f,"
	       "\"mpps\":%.6f,\"registrations_per_s\":%.0f,\"store_fs\":\"%s\"}\n",
		c, ops, batch, per, (double)cpu_ns / (double)ops, per * bench_tsc_per_ns(),
		1e3 / per, (double)ops * 1e9 / (double)ns, fs);
	fflush(stdout);
}

static void
bench_noauth(const char *dir, unsigned users, unsigned n, unsigned batch, const char *fs)
{
	struct run x;
	struct sip_addr src;
	char buf[2048];
	char name[64];
	sip_addr_parse(SIP_STR_LIT("192.0.2.10"), &src);
	open_run(&x, dir, false, users);
	uint64_t t0 = bench_now_ns(), c0 = bench_thread_ns();
	for (unsigned i = 0; i < n; i++) {
		unsigned u = i % users;
		int len = msg(buf, sizeof(buf), u, 1 + i / users, "");
		if (cp_reg_input(x.r, buf, (size_t)len, &src, 5062, 1765000000 + i / 1000) != 200) {
			fprintf(stderr, "bench_registrar: not 200:\n%s\n", x.last);
			exit(1);
		}
		if ((i + 1) % batch == 0)
			cp_reg_flush(x.r);
	}
	cp_reg_flush(x.r);
	uint64_t t1 = bench_now_ns(), c1 = bench_thread_ns();
	snprintf(name, sizeof(name), "noauth/batch%u", batch);
	report(name, n, t1 - t0, c1 - c0, batch, fs);
	/* Retransmissions of the last request: answered from the cache. */
	int len = msg(buf, sizeof(buf), (n - 1) % users, 1 + (n - 1) / users, "");
	t0 = bench_now_ns();
	c0 = bench_thread_ns();
	for (unsigned i = 0; i < n; i++)
		cp_reg_input(x.r, buf, (size_t)len, &src, 5062, 1765000000 + (n - 1) / 1000);
	t1 = bench_now_ns();
	c1 = bench_thread_ns();
	if (batch == 64)
		report("retransmission", n, t1 - t0, c1 - c0, 0, fs);
	close_run(&x);
}

static void
bench_digest(const char *dir, unsigned users, unsigned n, unsigned batch, const char *fs)
{
	struct run x;
	struct sip_addr src;
	char buf[2048], auth[1024], name[64];
	sip_addr_parse(SIP_STR_LIT("192.0.2.10"), &src);
	open_run(&x, dir, true, users);
	uint64_t t0 = bench_now_ns(), c0 = bench_thread_ns();
	for (unsigned i = 0; i < n; i++) {
		unsigned u = i % users, cseq = 1 + 2 * (i / users);
		int64_t now = 1765000000 + i / 1000;
		int len = msg(buf, sizeof(buf), u, cseq, "");
		if (cp_reg_input(x.r, buf, (size_t)len, &src, 5062, now) != 401) {
			fprintf(stderr, "bench_registrar: not 401:\n%s\n", x.last);
			exit(1);
		}
		const char *p = strstr(x.last, "nonce=\"");
		char nonce[CP_NONCE_LEN + 1], user[16], ha1[CP_DIG_HEX_MAX], resp[CP_DIG_HEX_MAX];
		memcpy(nonce, p + 7, CP_NONCE_LEN);
		nonce[CP_NONCE_LEN] = '\0';
		snprintf(user, sizeof(user), "u%u", u);
		/* The client's side: what a phone computes. */
		cp_digest_ha1(CP_DIG_SHA256, sip_str_make(user, strlen(user)),
				SIP_STR_LIT("example.com"), SIP_STR_LIT("pw"), ha1);
		cp_digest_response(CP_DIG_SHA256, sip_str_make(ha1, 64),
				sip_str_make(nonce, CP_NONCE_LEN), SIP_STR_LIT("00000001"),
				SIP_STR_LIT("abc"), SIP_STR_LIT("auth"), SIP_STR_LIT("REGISTER"),
				SIP_STR_LIT("sip:example.com"), resp);
		snprintf(auth, sizeof(auth), "Authorization: Digest username=\"%s\", "
				"realm=\"example.com\", nonce=\"%s\", uri=\"sip:example.com\", "
				"response=\"%s\", algorithm=SHA-256, cnonce=\"abc\", qop=auth, "
				"nc=00000001\r\n", user, nonce, resp);
		len = msg(buf, sizeof(buf), u, cseq + 1, auth);
		if (cp_reg_input(x.r, buf, (size_t)len, &src, 5062, now) != 200) {
			fprintf(stderr, "bench_registrar: not 200:\n%s\n", x.last);
			exit(1);
		}
		if ((i + 1) % batch == 0)
			cp_reg_flush(x.r);
	}
	cp_reg_flush(x.r);
	uint64_t t1 = bench_now_ns(), c1 = bench_thread_ns();
	snprintf(name, sizeof(name), "digest-sha256/batch%u", batch);
	report(name, n, t1 - t0, c1 - c0, batch, fs);
	close_run(&x);
}

int
main(int argc, char **argv)
{
	const char *dir = "/var/tmp";
	unsigned users = 10000, n = 100000;
	bool quick = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--users") == 0 && i + 1 < argc)
			users = (unsigned)strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr,
				"usage: bench_registrar [--quick] [--dir DIR] [--users N]\n");
			return 2;
		}
	}
	if (quick) {
		users = 200;
		n = 2000;
	}
	struct statfs sf;
	const char *fs = "other";
	if (statfs(dir, &sf) == 0)
		fs = sf.f_type == 0x01021994 ? "tmpfs" : sf.f_type == 0xEF53 ? "ext4" :
			sf.f_type == 0x794c7630 ? "overlayfs" : sf.f_type == 0x9123683E ? "btrfs" :
			sf.f_type == 0x58465342 ? "xfs" : "other";
	/* One commit per REGISTER costs an fsync each: fewer of them. */
	bench_noauth(dir, users, quick ? 200 : 2000, 1, fs);
	bench_noauth(dir, users, n, 64, fs);
	bench_digest(dir, users, n / 2, 64, fs);
	return 0;
}
