/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipline-gen's pure parts: template expansion (every field, sizes),
 * pacing arithmetic, the histogram, reply matching, frames (checked with
 * DPDK's own verifiers), users and the gateway's answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_ip.h>

#include "dp_cksum.h"
#include "gen_frame.h"
#include "gen_gw.h"
#include "gen_hist.h"
#include "gen_match.h"
#include "gen_pace.h"
#include "gen_pkt.h"
#include "gen_tmpl.h"
#include "gen_users.h"

static char err[512];

static uint32_t
expand_one(struct gen_tmpl *t, uint64_t seq, uint64_t tsc, char cls, const char *user, char *buf,
		uint32_t cap)
{
	/* Users must be readable for 16 bytes (gen_vars). */
	char u[GEN_USER_MAX] = {0};
	snprintf(u, sizeof(u), "%s", user);
	struct gen_vars v = {.seq = seq, .tsc = tsc, .cls = cls, .user = u,
		.user_len = (uint32_t)strlen(user)};
	return gen_tmpl_expand(t, &v, buf, cap);
}

static void
tmpl_fields(void **state)
{
	(void)state;
	static struct gen_tmpl t;
	const char text[] = "MESSAGE sip:$user@$dst_ip:$dst_port SIP/2.0\n"
		"Via: SIP/2.0/UDP $src_ip:$src_port;branch=$branch\n"
		"From: <sip:a@b>;tag=$fromtag\n"
		"Call-ID: $callid\n"
		"X-Seq: $seq costs $$5\n"
		"Content-Length: $len\n"
		"\n"
		"seq=$seq user=$user\n";
	gen_tmpl_set_addrs(&t, "192.0.2.10", 5080, "192.0.2.1", 5060);
	assert_int_equal(gen_tmpl_compile(&t, text, sizeof(text) - 1, err, sizeof(err)), 0);
	char buf[2048];
	uint32_t n = expand_one(&t, 0x1234, 0xabcdef, 'r', "4930123", buf, sizeof(buf));
	assert_true(n > 0);
	buf[n] = '\0';
	const char want[] = "MESSAGE sip:4930123@192.0.2.1:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.10:5080;branch=z9hG4bKsg0000000000001234\r\n"
		"From: <sip:a@b>;tag=t0000000000001234\r\n"
		"Call-ID: sgr000000000000123400000000" "00abcdef@192.0.2.10\r\n"
		"X-Seq: 4660 costs $5\r\n"
		"Content-Length: 23\r\n"
		"\r\n"
		"seq=4660 user=4930123\r\n";
	assert_string_equal(buf, want);
	/* The body's length is what Content-Length says. */
	const char *body = strstr(buf, "\r\n\r\n") + 4;
	assert_int_equal(strlen(body), 23);
	/* Too small a buffer: 0, never a partial message. */
	assert_int_equal(expand_one(&t, 1, 1, 'r', "1", buf, 40), 0);
}

static void
tmpl_errors(void **state)
{
	(void)state;
	static struct gen_tmpl t;
	const char bad[] = "INVITE sip:x SIP/2.0\nVia: $nope\n\n";
	assert_int_equal(gen_tmpl_compile(&t, bad, sizeof(bad) - 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2 column 6"));
	assert_non_null(strstr(err, "$nope"));
	const char nobody[] = "INVITE sip:x SIP/2.0\r\nVia: x\r\n";
	assert_int_equal(gen_tmpl_compile(&t, nobody, sizeof(nobody) - 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty line"));
	const char lenbody[] = "A\r\n\r\n$len";
	assert_int_equal(gen_tmpl_compile(&t, lenbody, sizeof(lenbody) - 1, err, sizeof(err)), -1);
	assert_int_equal(gen_tmpl_builtin_by_name(&t, "bye", 0, 10, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown template"));
	/* Smaller than the natural size: refused with the range that works. */
	assert_int_equal(gen_tmpl_builtin(&t, GEN_T_INVITE, 200, 10, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "can be reached"));
}

static void
tmpl_sizes(void **state)
{
	(void)state;
	static struct gen_tmpl t;
	char buf[GEN_MSG_MAX];
	static const unsigned sizes[] = {470, 490, 500, 600, 601, 999, 1000, 1001, 1400, 4000};
	gen_tmpl_set_addrs(&t, "198.51.100.7", 5080, "198.51.100.1", 5060);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(gen_tmpl_builtin(&t, GEN_T_INVITE, sizes[i], 10, err, sizeof(err)), 0);
		uint32_t n = expand_one(&t, 77, 1, 'f', "4930000001", buf, sizeof(buf));
		assert_int_equal(n, sizes[i]);
		buf[n] = '\0';
		/* Content-Length equals the body in every size. */
		/* (small sizes use the compact header forms: "l:") */
		const char *cl = strstr(buf, "Content-Length: ");
		const char *cv = cl ? cl + 16 : strstr(buf, "\r\nl: ");
		const char *body = strstr(buf, "\r\n\r\n");
		assert_non_null(cv);
		assert_non_null(body);
		if (cl == NULL)
			cv += 5;
		assert_int_equal(strtoul(cv, NULL, 10), n - (uint32_t)(body + 4 - buf));
	}
	assert_int_equal(gen_tmpl_builtin(&t, GEN_T_OPTIONS, 500, 10, err, sizeof(err)), 0);
	assert_int_equal(expand_one(&t, 1, 1, 'o', "4930000001", buf, sizeof(buf)), 500);
	assert_int_equal(gen_tmpl_builtin(&t, GEN_T_REGISTER, 0, 10, err, sizeof(err)), 0);
	uint32_t n = expand_one(&t, 1, 1, 'o', "alice", buf, sizeof(buf));
	buf[n] = '\0';
	assert_non_null(strstr(buf, "REGISTER sip:198.51.100.1:5060 SIP/2.0\r\n"));
	assert_non_null(strstr(buf, "Contact: <sip:alice@198.51.100.7:5080>"));
}

/* The prepared path (prototype + rewrites) writes exactly what the generic expansion does. */
static void
tmpl_prepared(void **state)
{
	(void)state;
	static struct gen_tmpl t, g;
	static char a[GEN_MSG_MAX], b[GEN_MSG_MAX];
	const char text[] = "INVITE sip:$user@$dst_ip SIP/2.0\r\nVia: SIP/2.0/UDP $src_ip:$src_port"
		";branch=$branch\r\nFrom: <sip:$user@x>;tag=$fromtag\r\nCall-ID: $callid\r\n"
		"Content-Length: $len\r\n\r\nu=$user i=$callid b=$branch\r\n";
	gen_tmpl_set_addrs(&t, "203.0.113.9", 5999, "203.0.113.1", 5060);
	gen_tmpl_set_addrs(&g, "203.0.113.9", 5999, "203.0.113.1", 5060);
	assert_int_equal(gen_tmpl_compile(&t, text, sizeof(text) - 1, err, sizeof(err)), 0);
	assert_int_equal(gen_tmpl_compile(&g, text, sizeof(text) - 1, err, sizeof(err)), 0);
	assert_true(gen_tmpl_prepare(&t, 8));
	assert_false(g.fixed);
	uint64_t rng = 99;
	for (int i = 0; i < 2000; i++) {
		char user[GEN_USER_MAX] = {0};
		snprintf(user, sizeof(user), "%08u", (unsigned)(gen_rand(&rng) % 100000000));
		uint64_t seq = gen_rand(&rng), tsc = gen_rand(&rng);
		char cls = "rfno"[i % 4];
		uint32_t na = expand_one(&t, seq, tsc, cls, user, a, sizeof(a));
		uint32_t nb = expand_one(&g, seq, tsc, cls, user, b, sizeof(b));
		assert_true(na > 0);
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, na);
		/* The incremental checksum sums equal a full one (folded). */
		assert_int_equal(dp_cksum_fold(gen_tmpl_sum(&t, a)), dp_cksum_fold(dp_cksum_add(a, na, 0)));
		struct gen_vars v = {.seq = seq, .tsc = tsc, .cls = cls, .user = user, .user_len = 8};
		uint64_t s2;
		assert_int_equal(gen_tmpl_expand_sum(&t, &v, b, sizeof(b), &s2), na);
		assert_memory_equal(a, b, na);
		assert_int_equal(dp_cksum_fold(s2), dp_cksum_fold(dp_cksum_add(a, na, 0)));
	}
	/* A user of another width is refused, not written over its neighbours. */
	assert_int_equal(expand_one(&t, 1, 1, 'r', "123", a, sizeof(a)), 0);
	/* $seq (decimal, varying width) cannot be prepared; the built-ins can. */
	const char seqt[] = "A $seq\r\n\r\n";
	assert_int_equal(gen_tmpl_compile(&t, seqt, sizeof(seqt) - 1, err, sizeof(err)), 0);
	assert_false(gen_tmpl_prepare(&t, 8));
	for (int w = GEN_T_INVITE; w <= GEN_T_RESPONSE; w++) {
		assert_int_equal(gen_tmpl_builtin(&t, (enum gen_builtin)w, w == 0 ? 700 : 0, 10, err,
				sizeof(err)), 0);
		assert_int_equal(gen_tmpl_builtin(&g, (enum gen_builtin)w, w == 0 ? 700 : 0, 10, err,
				sizeof(err)), 0);
		assert_true(gen_tmpl_prepare(&t, 10));
		uint32_t na = expand_one(&t, 77, 88, 'f', "4930000001", a, sizeof(a));
		uint32_t nb = expand_one(&g, 77, 88, 'f', "4930000001", b, sizeof(b));
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, na);
	}
}

static void
pace_rates(void **state)
{
	(void)state;
	/* Over one simulated second in 1 µs steps, the rate is met to one packet (well within 1%). */
	static const uint64_t rates[] = {10000, 123457, 1000000, 9999999};
	const uint64_t hz = 2600000000ull;
	for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct gen_pace p;
		gen_pace_init(&p, hz, rates[i], 1000, 1u << 30);
		uint64_t sent = 0;
		for (uint64_t t = 1000; t < 1000 + hz; t += hz / 1000000) {
			uint32_t k = gen_pace_ready(&p, t, 1u << 30);
			gen_pace_sent(&p, k);
			sent += k;
		}
		/* The last tick of the second. */
		sent += gen_pace_ready(&p, 1000 + hz - 1, 1u << 30);
		assert_true(sent >= rates[i] - 1 && sent <= rates[i] + 1);
		assert_int_equal(p.skipped, 0);
	}
	/* Nothing before t0; packet n due at t0 + n*hz/rate exactly. */
	struct gen_pace p;
	gen_pace_init(&p, 1000000000ull, 1000, 5000, 8);
	assert_int_equal(gen_pace_ready(&p, 4999, 32), 0);
	assert_int_equal(gen_pace_ready(&p, 5000, 32), 1);
	assert_int_equal(gen_pace_due(&p, 3), 5000 + 3000000);
	/* A late sender gives up all but `slack` packets, and counts them. */
	gen_pace_init(&p, 1000000000ull, 1000, 0, 8);
	uint32_t k = gen_pace_ready(&p, 1000000000ull - 1, 1000); /* 1000 due */
	assert_int_equal(k, 8);
	assert_int_equal(p.skipped, 992);
	/* Bursts are capped by max. */
	gen_pace_init(&p, 1000000000ull, 1000, 0, 64);
	assert_int_equal(gen_pace_ready(&p, 50000000, 4), 4);
	/* Flat out: always max. */
	gen_pace_init(&p, 1000000000ull, 0, 0, 8);
	assert_int_equal(gen_pace_ready(&p, 0, 17), 17);
}

static void
hist_percentiles(void **state)
{
	(void)state;
	static struct gen_hist h, h2;
	gen_hist_reset(&h);
	gen_hist_reset(&h2);
	assert_int_equal(gen_hist_percentile(&h, 50), 0);
	for (uint64_t v = 1; v <= 1000000; v++)
		gen_hist_add(v % 2 ? &h : &h2, v);
	gen_hist_merge(&h, &h2);
	assert_int_equal(h.n, 1000000);
	assert_int_equal(h.max, 1000000);
	assert_int_equal(h.min, 1);
	static const double ps[] = {50, 90, 99, 99.9};
	uint64_t prev = 0;
	for (unsigned i = 0; i < 4; i++) {
		double want = ps[i] / 100 * 1e6;
		double got = (double)gen_hist_percentile(&h, ps[i]);
		assert_true(got >= want * (1 - 1.0 / 16) && got <= want * (1 + 1.0 / 16));
		assert_true((uint64_t)got >= prev);
		prev = (uint64_t)got;
	}
	assert_int_equal(gen_hist_percentile(&h, 100), 1000000);
	/* Every value lies in its bucket's bounds; buckets tile the line. */
	for (uint64_t v = 0; v < 5000000; v = v * 3 / 2 + 1) {
		unsigned b = gen_hist_bucket(v);
		assert_true(gen_hist_lower(b) <= v && v <= gen_hist_upper(b));
		assert_int_equal(gen_hist_lower(b + 1), gen_hist_upper(b) + 1);
	}
	assert_int_equal(gen_hist_bucket(UINT64_MAX), GEN_HIST_BUCKETS - 1);
	/* A tail: 1% at 10 ms shows in p99.9, not in p50. */
	gen_hist_reset(&h);
	for (int i = 0; i < 9900; i++)
		gen_hist_add(&h, 20000);
	for (int i = 0; i < 100; i++)
		gen_hist_add(&h, 10000000);
	assert_true(gen_hist_percentile(&h, 50) < 22000);
	assert_true(gen_hist_percentile(&h, 99.9) > 9000000);
}

static void
match_replies(void **state)
{
	(void)state;
	char cid[64];
	char msg[512];
	struct gen_msg m;
	/* Every hex digit, both ways. */
	char hx[17] = {0};
	uint64_t back;
	gen_hex16(hx, 0x0123456789abcdefull);
	assert_string_equal(hx, "0123456789abcdef");
	gen_hex16(hx, 0xfedcba9876543210ull);
	assert_string_equal(hx, "fedcba9876543210");
	assert_int_equal(gen_unhex16(hx, &back), 0);
	assert_int_equal(back, 0xfedcba9876543210ull);
	hx[5] = 'G';
	assert_int_equal(gen_unhex16(hx, &back), -1);
	memcpy(cid, "sgr", 3);
	gen_hex16(cid + 3, 0x42);
	gen_hex16(cid + 19, 0x1122334455667788ull);
	snprintf(cid + 35, sizeof(cid) - 35, "@10.0.0.1");
	snprintf(msg, sizeof(msg), "SIP/2.0 302 Moved Temporarily\r\nVia: SIP/2.0/UDP x\r\n"
			"Call-ID: %s\r\nContact: <sip:1@gw>\r\n\r\n", cid);
	assert_int_equal(gen_match(msg, (uint32_t)strlen(msg), &m), GEN_K_3XX);
	assert_int_equal(m.status, 302);
	assert_int_equal(m.seq, 0x42);
	assert_int_equal(m.tsc, 0x1122334455667788ull);
	assert_int_equal(m.cls, 'r');
	/* The compact form and odd spacing. */
	snprintf(msg, sizeof(msg), "SIP/2.0 404 Not Found\r\nv: SIP/2.0/UDP x\r\ni :  %s\r\n\r\n",
			cid);
	assert_int_equal(gen_match(msg, (uint32_t)strlen(msg), &m), GEN_K_4XX);
	assert_int_equal(m.seq, 0x42);
	/* A request of ours (a forwarded INVITE on the gateway side). */
	snprintf(msg, sizeof(msg), "INVITE sip:1@gw SIP/2.0\r\nCall-ID: %s\r\n\r\n", cid);
	assert_int_equal(gen_match(msg, (uint32_t)strlen(msg), &m), GEN_K_REQUEST);
	/* Someone else's Call-ID, a Call-ID in the body only, garbage. */
	snprintf(msg, sizeof(msg), "SIP/2.0 200 OK\r\nCall-ID: abc@host\r\n\r\n");
	assert_int_equal(gen_match(msg, (uint32_t)strlen(msg), &m), GEN_K_FOREIGN);
	snprintf(msg, sizeof(msg), "SIP/2.0 200 OK\r\nX: y\r\n\r\nCall-ID: %s\r\n", cid);
	assert_int_equal(gen_match(msg, (uint32_t)strlen(msg), &m), GEN_K_FOREIGN);
	assert_int_equal(gen_match("SIP/2.0 2x0 OK\r\n\r\n", 18, &m), GEN_K_GARBAGE);
	assert_int_equal(gen_match("hello", 5, &m), GEN_K_GARBAGE);
	/* A truncated Call-ID is not ours. */
	snprintf(msg, sizeof(msg), "SIP/2.0 302 x\r\nCall-ID: %.20s", cid);
	assert_int_equal(gen_match(msg, (uint32_t)strlen(msg), &m), GEN_K_FOREIGN);

	/* First answers vs duplicates; a re-sent number forgets its old answer. */
	struct gen_seen s;
	assert_int_equal(gen_seen_init(&s, 10), 0);
	gen_seen_sent(&s, 5);
	assert_true(gen_seen_answer(&s, 5));
	assert_false(gen_seen_answer(&s, 5));
	assert_true(gen_seen_answer(&s, 6));
	gen_seen_sent(&s, 5 + 1024);
	assert_true(gen_seen_answer(&s, 5 + 1024));
	gen_seen_free(&s);

	/* Expected answers per class; the gateway's mix is deterministic and close to its weights. */
	struct gen_expect e = {.noroute = 404, .gw_codes = {200, 486, 503}, .gw_weights = {90, 5, 5},
		.gw_n = 3};
	assert_true(gen_expected(&e, 'r', 1, 302));
	assert_false(gen_expected(&e, 'r', 1, 404));
	assert_true(gen_expected(&e, 'n', 1, 404));
	assert_false(gen_expected(&e, 'n', 1, 403));
	assert_true(gen_expected(&e, 'o', 1, 500));
	unsigned c200 = 0, c486 = 0, c503 = 0;
	for (uint64_t q = 0; q < 100000; q++) {
		uint16_t st = gen_gw_status(&e, q);
		c200 += st == 200;
		c486 += st == 486;
		c503 += st == 503;
		assert_true(gen_expected(&e, 'f', q, st));
	}
	assert_int_equal(c200 + c486 + c503, 100000);
	assert_true(c200 > 89000 && c200 < 91000);
	assert_true(c486 > 4500 && c486 < 5500);
}

/* Whole-frame prototypes: the same bytes as template + headers built each time. */
static void
frame_prototype(void **state)
{
	(void)state;
	static struct gen_tmpl t;
	static struct gen_frame fr;
	static uint8_t a[GEN_HDR6 + GEN_MSG_MAX + 8], b[GEN_HDR6 + GEN_MSG_MAX + 8];
	struct gen_flow f = {.dport = 5060,
		.src_mac = {2, 0, 0, 0, 0, 1}, .dst_mac = {2, 0, 0, 0, 0, 2},
		.src_ip = {192, 0, 2, 10}, .dst_ip = {192, 0, 2, 1}};
	uint64_t rng = 7;

	assert_int_equal(gen_tmpl_builtin(&t, GEN_T_INVITE, 0, 10, err, sizeof(err)), 0);
	/* Not prepared: no prototype. */
	assert_int_equal(gen_frame_prepare(&fr, &t, &f), -1);
	for (int tpl = GEN_T_INVITE; tpl <= GEN_T_RESPONSE; tpl++) {
		for (int v6 = 0; v6 < 2; v6++) {
			f.v6 = v6;
			if (v6) {
				static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};
				static const uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
				memcpy(f.src_ip, s6, 16);
				memcpy(f.dst_ip, d6, 16);
			}
			assert_int_equal(gen_tmpl_builtin(&t, (enum gen_builtin)tpl,
					tpl == GEN_T_INVITE ? 601 : 0, 10, err, sizeof(err)), 0);
			assert_true(gen_tmpl_prepare(&t, 10));
			assert_int_equal(gen_frame_prepare(&fr, &t, &f), 0);
			for (int i = 0; i < 3000; i++) {
				char user[GEN_USER_MAX] = {0};
				snprintf(user, sizeof(user), "%010llu",
						(unsigned long long)(gen_rand(&rng) % 10000000000ull));
				struct gen_vars v = {.seq = gen_rand(&rng), .tsc = gen_rand(&rng),
					.cls = "rfno"[i % 4], .user = user, .user_len = 10};
				/* Every port and source, 0 and 0xffff included. */
				uint16_t sport = i < 2 ? (uint16_t)(i * 0xffff) : (uint16_t)gen_rand(&rng);
				uint16_t src16 = i < 4 ? (uint16_t)((i & 1) * 0xffff) : (uint16_t)gen_rand(&rng);
				uint16_t id = (uint16_t)gen_rand(&rng);
				/* The reference: the template expanded, the headers written. */
				struct gen_flow g = f;
				unsigned last = v6 ? 14 : 2;
				g.sport = sport;
				g.src_ip[last] = (uint8_t)(src16 >> 8);
				g.src_ip[last + 1] = (uint8_t)src16;
				uint64_t sum;
				uint32_t pl = gen_tmpl_expand_sum(&t, &v, (char *)a + gen_hdr_len(&g),
						GEN_MSG_MAX + 8, &sum);
				assert_true(pl > 0);
				uint32_t na = gen_pkt_finish(a, &g, pl, true, id);
				uint32_t nb = gen_frame_build(&fr, &t, &v, sport, src16, id, b);
				assert_int_equal(na, nb);
				assert_memory_equal(a, b, na);
				if (!v6) {
					const struct rte_ipv4_hdr *ip = (const void *)(b + 14);
					assert_int_equal(rte_ipv4_cksum(ip), 0);
					assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, ip + 1), 0);
				} else {
					const struct rte_ipv6_hdr *ip = (const void *)(b + 14);
					assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, ip + 1), 0);
				}
			}
		}
		memcpy(f.src_ip, (uint8_t[]){192, 0, 2, 10}, 4);
		memset(f.src_ip + 4, 0, 12);
		memcpy(f.dst_ip, (uint8_t[]){192, 0, 2, 1}, 4);
		memset(f.dst_ip + 4, 0, 12);
	}
}

static void
frames(void **state)
{
	(void)state;
	uint8_t frame[2048];
	const char payload[] = "OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n!"; /* odd length */
	struct gen_flow f = {.sport = 5080, .dport = 5060,
		.src_mac = {2, 0, 0, 0, 0, 1}, .dst_mac = {2, 0, 0, 0, 0, 2},
		.src_ip = {192, 0, 2, 10}, .dst_ip = {192, 0, 2, 1}};
	for (int v6 = 0; v6 < 2; v6++) {
		f.v6 = v6;
		if (v6) {
			static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};
			static const uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
			memcpy(f.src_ip, s6, 16);
			memcpy(f.dst_ip, d6, 16);
		}
		unsigned hl = gen_hdr_len(&f);
		memcpy(frame + hl, payload, sizeof(payload) - 1);
		uint32_t n = gen_pkt_finish(frame, &f, sizeof(payload) - 1, true, 7);
		assert_int_equal(n, hl + sizeof(payload) - 1);
		/* DPDK's verifiers agree. */
		if (!v6) {
			const struct rte_ipv4_hdr *ip = (const void *)(frame + 14);
			assert_int_equal(rte_ipv4_cksum(ip), 0);
			assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, ip + 1), 0);
		} else {
			const struct rte_ipv6_hdr *ip = (const void *)(frame + 14);
			assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, ip + 1), 0);
		}
		/* With the payload's sum given: the same frame. */
		uint8_t frame2[2048];
		memcpy(frame2 + hl, payload, sizeof(payload) - 1);
		assert_int_equal(gen_pkt_finish_sum(frame2, &f, sizeof(payload) - 1,
				dp_cksum_add(payload, sizeof(payload) - 1, 0), 7), n);
		assert_memory_equal(frame, frame2, n);
		struct gen_rx rx;
		assert_int_equal(gen_pkt_parse(frame, n, true, &rx), 0);
		assert_int_equal(rx.v6, v6);
		assert_int_equal(rx.sport, 5080);
		assert_int_equal(rx.dport, 5060);
		assert_int_equal(rx.len, sizeof(payload) - 1);
		assert_memory_equal(rx.payload, payload, rx.len);
		assert_memory_equal(rx.src_ip, f.src_ip, v6 ? 16 : 4);
		/* One flipped payload byte fails the UDP checksum; unverified it parses. */
		frame[hl + 3] ^= 0x20;
		assert_int_equal(gen_pkt_parse(frame, n, true, &rx), -1);
		assert_int_equal(gen_pkt_parse(frame, n, false, &rx), 0);
		/* Truncated frames are refused. */
		assert_int_equal(gen_pkt_parse(frame, hl - 1, false, &rx), -1);
	}
	/* ARP: a request parsed, answered, and the answer recognised. */
	uint8_t req[64], rep[64], mac[6];
	const uint8_t me[6] = {2, 0, 0, 0, 0, 9}, them[6] = {2, 0, 0, 0, 0, 8};
	const uint8_t ip_me[4] = {10, 0, 0, 9}, ip_them[4] = {10, 0, 0, 8};
	uint32_t n = gen_arp_request(them, ip_them, ip_me, req);
	struct gen_rx rx;
	assert_int_equal(gen_pkt_parse(req, n, true, &rx), 0);
	assert_true(rx.arp_request);
	assert_memory_equal(rx.dst_ip, ip_me, 4);
	n = gen_arp_reply(&rx, req, me, rep);
	assert_true(gen_arp_is_reply_from(rep, n, ip_me, mac));
	assert_memory_equal(mac, me, 6);
	assert_memory_equal(rep, them, 6);
	assert_false(gen_arp_is_reply_from(rep, n, ip_them, mac));
}

static void
users(void **state)
{
	(void)state;
	struct gen_users u = {0};
	char buf[GEN_USER_MAX];
	char cls;
	uint64_t rng = 12345;
	assert_int_equal(gen_users_parse_source(&u, "0100-0199", err, sizeof(err)), 0);
	for (int i = 0; i < 1000; i++) {
		unsigned n = gen_users_draw(&u, &rng, buf, &cls);
		assert_int_equal(n, 4);
		assert_int_equal(cls, 'o');
		buf[n] = '\0';
		unsigned long v = strtoul(buf, NULL, 10);
		assert_true(v >= 100 && v <= 199);
		assert_int_equal(buf[0], '0');
	}
	assert_int_equal(gen_users_max_len(&u), 4);
	assert_int_equal(gen_users_fixed_width(&u), 4);
	assert_int_equal(gen_users_parse_mix(&u, "redirect=70:3020000000-3029999999,"
			"forward=25:1000000000-1009999999,noroute=5:9990000000-9999999999", err,
			sizeof(err)), 0);
	assert_int_equal(gen_users_fixed_width(&u), 10);
	unsigned count[3] = {0};
	for (int i = 0; i < 100000; i++) {
		unsigned n = gen_users_draw(&u, &rng, buf, &cls);
		assert_int_equal(n, 10);
		switch (cls) {
		case 'r':
			count[0]++;
			assert_memory_equal(buf, "302", 3);
			break;
		case 'f':
			count[1]++;
			assert_memory_equal(buf, "100", 3);
			break;
		case 'n':
			count[2]++;
			assert_memory_equal(buf, "999", 3);
			break;
		default:
			fail();
		}
	}
	assert_true(count[0] > 69000 && count[0] < 71000);
	assert_true(count[1] > 24000 && count[1] < 26000);
	assert_true(count[2] > 4500 && count[2] < 5500);
	assert_int_equal(gen_users_parse_mix(&u, "redirect=70:1-2,forward=20:1-2", err, sizeof(err)),
			-1);
	assert_non_null(strstr(err, "add up to 90"));
	assert_int_equal(gen_users_parse_mix(&u, "bogus=100:1-2", err, sizeof(err)), -1);
	assert_int_equal(gen_users_parse_source(&u, "9-1", err, sizeof(err)), -1);
	assert_int_equal(gen_users_parse_source(&u, "@/nonexistent/users", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/users"));
	gen_users_free(&u);
}

static void
gateway(void **state)
{
	(void)state;
	const char fwd[] = "INVITE sip:100@192.0.2.20:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-router-1\r\n"
		"Via: SIP/2.0/UDP 192.0.2.10:5080;branch=z9hG4bKsg1;rport=5080\r\n"
		"Max-Forwards: 69\r\n"
		"From: <sip:gen@192.0.2.10>;tag=t1\r\n"
		"To: <sip:100@192.0.2.1>\r\n"
		"Call-ID: sgf1@x\r\n"
		"CSeq: 1 INVITE\r\n"
		"Record-Route: <sip:192.0.2.1;lr>\r\n"
		"Content-Length: 0\r\n\r\n";
	struct gen_gw_check c;
	gen_gw_inspect(fwd, sizeof(fwd) - 1, "192.0.2.10:5080", &c);
	assert_int_equal(c.vias, 2);
	assert_int_equal(c.max_forwards, 69);
	assert_true(c.top_is_router);
	assert_int_not_equal(c.branch_hash, 0);
	/* Our own Via on top (not forwarded by a router): seen. */
	const char raw[] = "INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5080;branch=z9hG4bKsg1"
		"\r\nMax-Forwards: 70\r\n\r\n";
	gen_gw_inspect(raw, sizeof(raw) - 1, "192.0.2.10:5080", &c);
	assert_false(c.top_is_router);
	assert_int_equal(c.vias, 1);
	assert_int_equal(c.max_forwards, 70);
	char out[1024];
	uint32_t n = gen_gw_answer(fwd, sizeof(fwd) - 1, 486, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "SIP/2.0 486 Busy Here\r\n"));
	assert_non_null(strstr(out, "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-router-1\r\n"
			"Via: SIP/2.0/UDP 192.0.2.10:5080"));
	assert_non_null(strstr(out, "To: <sip:100@192.0.2.1>;tag=gw1\r\n"));
	assert_null(strstr(out, "Record-Route"));
	assert_non_null(strstr(out, "Content-Length: 0\r\n\r\n"));
	/* No Call-ID: no answer. */
	const char bad[] = "INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP a\r\nFrom: a\r\nTo: b\r\n"
		"CSeq: 1 INVITE\r\n\r\n";
	assert_int_equal(gen_gw_answer(bad, sizeof(bad) - 1, 200, out, sizeof(out)), 0);
	/* Too small a buffer: 0. */
	assert_int_equal(gen_gw_answer(fwd, sizeof(fwd) - 1, 200, out, 60), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tmpl_fields),
		cmocka_unit_test(frame_prototype),
		cmocka_unit_test(tmpl_errors),
		cmocka_unit_test(tmpl_sizes),
		cmocka_unit_test(tmpl_prepared),
		cmocka_unit_test(pace_rates),
		cmocka_unit_test(hist_percentiles),
		cmocka_unit_test(match_replies),
		cmocka_unit_test(frames),
		cmocka_unit_test(users),
		cmocka_unit_test(gateway),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
