/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stream framing (control/cp_frame.c): every case is a byte stream and the
 * events it must produce, written as a transcript ("M<len>" a message of
 * that length with its bytes checked, "P" a ping, "E<code>" an error).
 * Each stream is fed whole, split in two at every byte position, split in
 * three at many positions, and one byte at a time: the transcript must be
 * the same every time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cp_frame.h"

#define REG(cl, body) \
	"REGISTER sip:example.com SIP/2.0\r\n" \
	"Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK1\r\n" \
	"Call-ID: a\r\nCSeq: 1 REGISTER\r\n" cl "\r\n" body

struct tr {
	char log[4096];
	size_t n;
	const char *stream;    /* where the messages should come from */
	size_t slen;
	size_t expect_off;     /* the next message's expected offset in the stream */
};

static void
tr_add(struct tr *t, const char *s)
{
	size_t k = strlen(s);
	assert_true(t->n + k < sizeof(t->log));
	memcpy(t->log + t->n, s, k + 1);
	t->n += k;
}

/* Drain every event; messages are checked against the stream (they must be its bytes). */
static int
drain(struct cp_frame *f, struct tr *t)
{
	for (;;) {
		const char *m;
		size_t len;
		char ev[32];
		int rc = cp_frame_next(f, &m, &len);
		if (rc == CP_FRAME_NONE)
			return 0;
		if (rc == CP_FRAME_PING) {
			tr_add(t, "P ");
			continue;
		}
		if (rc == CP_FRAME_MSG) {
			/* Its bytes are somewhere after the previous one in the stream. */
			const char *at = NULL;
			for (size_t o = t->expect_off; o + len <= t->slen; o++)
				if (memcmp(t->stream + o, m, len) == 0) {
					at = t->stream + o;
					break;
				}
			assert_non_null(at);
			t->expect_off = (size_t)(at - t->stream) + len;
			snprintf(ev, sizeof(ev), "M%zu ", len);
			tr_add(t, ev);
			continue;
		}
		snprintf(ev, sizeof(ev), "E%d", rc);
		tr_add(t, ev);
		/* Sticky. */
		assert_int_equal(cp_frame_next(f, &m, &len), rc);
		return rc;
	}
}

/* Feed s in pieces ending at cuts[0..nc) (ascending), then the rest. */
static void
run_cuts(const char *s, size_t n, const size_t *cuts, size_t nc, size_t max_msg, size_t max_hdr,
		struct tr *t)
{
	struct cp_frame f;
	size_t pos = 0;
	memset(t, 0, sizeof(*t));
	t->stream = s;
	t->slen = n;
	cp_frame_init(&f, max_msg, max_hdr);
	for (size_t i = 0; i <= nc; i++) {
		size_t end = i < nc ? cuts[i] : n;
		if (end < pos)
			continue;
		size_t want = end - pos;
		size_t took = cp_frame_feed(&f, s + pos, want);
		pos += took;
		if (drain(&f, t) != 0 || took < want)
			break;
	}
	cp_frame_fini(&f);
}

static void
check_stream(const char *s, size_t n, size_t max_msg, size_t max_hdr, const char *want)
{
	struct tr whole, t;
	run_cuts(s, n, NULL, 0, max_msg, max_hdr, &whole);
	if (strcmp(whole.log, want) != 0)
		fail_msg("whole: got '%s', want '%s'", whole.log, want);
	/* Two pieces, every position. */
	for (size_t c = 0; c <= n; c++) {
		run_cuts(s, n, &c, 1, max_msg, max_hdr, &t);
		if (strcmp(t.log, want) != 0)
			fail_msg("split at %zu: got '%s', want '%s'", c, t.log, want);
	}
	/* Three pieces, a spread of positions. */
	for (size_t a = 0; a <= n; a += 7)
		for (size_t b = a; b <= n; b += 13) {
			size_t cuts[2] = {a, b};
			run_cuts(s, n, cuts, 2, max_msg, max_hdr, &t);
			if (strcmp(t.log, want) != 0)
				fail_msg("split at %zu,%zu: got '%s', want '%s'", a, b, t.log, want);
		}
	/* One byte at a time (slow sender). */
	size_t *cuts = malloc((n + 1) * sizeof(*cuts));
	assert_non_null(cuts);
	for (size_t i = 0; i <= n; i++)
		cuts[i] = i;
	run_cuts(s, n, cuts, n + 1, max_msg, max_hdr, &t);
	free(cuts);
	if (strcmp(t.log, want) != 0)
		fail_msg("byte by byte: got '%s', want '%s'", t.log, want);
}

struct fcase {
	const char *name;
	const char *stream;
	size_t max_msg, max_hdr;
	const char *want;
};

static const char msg_body[] = REG("Content-Length: 5\r\n", "hello");
static const char msg_nobody[] = REG("Content-Length: 0\r\n", "");

static char want_buf[256];

static const char *
w2(size_t a, size_t b)
{
	snprintf(want_buf, sizeof(want_buf), "M%zu M%zu ", a, b);
	return want_buf;
}

static void
t_single(void **state)
{
	(void)state;
	char want[32];
	snprintf(want, sizeof(want), "M%zu ", strlen(msg_body));
	check_stream(msg_body, strlen(msg_body), 0, 0, want);
	snprintf(want, sizeof(want), "M%zu ", strlen(msg_nobody));
	check_stream(msg_nobody, strlen(msg_nobody), 0, 0, want);
}

static void
t_pipelined(void **state)
{
	(void)state;
	char s[1024];
	int n = snprintf(s, sizeof(s), "%s%s", msg_body, msg_nobody);
	check_stream(s, (size_t)n, 0, 0, w2(strlen(msg_body), strlen(msg_nobody)));
	/* A body that looks like a header section end, and CRLFs inside the body. */
	static const char tricky[] = REG("Content-Length: 8\r\n", "\r\n\r\n\r\n\r\n");
	n = snprintf(s, sizeof(s), "%s%s", tricky, msg_nobody);
	check_stream(s, (size_t)n, 0, 0, w2(strlen(tricky), strlen(msg_nobody)));
}

static void
t_crlf(void **state)
{
	(void)state;
	char s[1024], want[128];
	size_t a = strlen(msg_body), b = strlen(msg_nobody);
	/* Leading CRLF skipped; a ping between two messages; two pings in a row; a lone CRLF. */
	int n = snprintf(s, sizeof(s), "\r\n%s\r\n\r\n%s\r\n\r\n\r\n\r\n\r\n", msg_body, msg_nobody);
	snprintf(want, sizeof(want), "M%zu P M%zu P P ", a, b);
	check_stream(s, (size_t)n, 0, 0, want);
	check_stream("\r\n\r\n", 4, 0, 0, "P ");
	check_stream("\r\n", 2, 0, 0, "");
	/* CRLF then a message: skipped, not a ping. */
	n = snprintf(s, sizeof(s), "\r\n%s", msg_nobody);
	snprintf(want, sizeof(want), "M%zu ", b);
	check_stream(s, (size_t)n, 0, 0, want);
}

static void
t_length_forms(void **state)
{
	(void)state;
	static const struct {
		const char *name, *stream;
		size_t body;
	} ok[] = {
		{"compact l", REG("l: 3\r\n", "abc"), 3},
		{"compact L", REG("L:3\r\n", "abc"), 3},
		{"space before colon", REG("Content-Length : 2\r\n", "ab"), 2},
		{"case", REG("content-LENGTH:\t4 \r\n", "abcd"), 4},
		{"folded", REG("Content-Length:\r\n 3\r\n", "abc"), 3},
		{"twice the same", REG("Content-Length: 1\r\nl: 1\r\n", "x"), 1},
		{"leading zeros", REG("Content-Length: 0003\r\n", "abc"), 3},
		{"lookalike header", REG("Content-Lengthy: 9\r\nContent-Length: 1\r\n", "x"), 1},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char want[32];
		size_t cl = 99;
		const char *s = ok[i].stream;
		const char *e = strstr(s, "\r\n\r\n");
		assert_non_null(e);
		int rc = cp_frame_content_length(s, (size_t)(e + 4 - s), &cl);
		if (rc != 0 || cl != ok[i].body)
			fail_msg("%s: rc %d cl %zu", ok[i].name, rc, cl);
		snprintf(want, sizeof(want), "M%zu ", strlen(s));
		check_stream(s, strlen(s), 0, 0, want);
	}
}

static void
t_errors(void **state)
{
	(void)state;
	char big[600];
	int n = snprintf(big, sizeof(big), "%s", REG("Content-Length: 400\r\n", ""));
	memset(big + n, 'x', 400);
	static const struct fcase bad[] = {
		{"no Content-Length", REG("", ""), 0, 0, "E-1"},
		{"not a number", REG("Content-Length: abc\r\n", ""), 0, 0, "E-1"},
		{"trailing junk", REG("Content-Length: 12x\r\n", ""), 0, 0, "E-1"},
		{"empty", REG("Content-Length:\r\n", ""), 0, 0, "E-1"},
		{"negative", REG("Content-Length: -1\r\n", ""), 0, 0, "E-1"},
		{"two numbers", REG("Content-Length: 1 2\r\n", ""), 0, 0, "E-1"},
		{"two values", REG("Content-Length: 1\r\nl: 2\r\n", "xx"), 0, 0, "E-1"},
		{"huge", REG("Content-Length: 99999999999999999999999\r\n", ""), 0, 0, "E-2"},
		{"over max_msg", REG("Content-Length: 70000\r\n", ""), 0, 0, "E-2"},
		{"over a small max", REG("Content-Length: 100\r\n", ""), 200, 0, "E-2"},
		{"header over max_header", REG("Content-Length: 0\r\n", ""), 0, 40, "E-3"},
		{"no end of header", "REGISTER sip:x SIP/2.0\r\nVia: aaaaaaaaaaaaaaaaaaaaaaaa", 0, 30,
			"E-3"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("case %s\n", bad[i].name);
		check_stream(bad[i].stream, strlen(bad[i].stream), bad[i].max_msg, bad[i].max_hdr,
				bad[i].want);
	}
	/* A good message, then a bad one: the first still comes out. */
	char s[1024], want[64];
	n = snprintf(s, sizeof(s), "%s%s", msg_nobody, REG("", ""));
	snprintf(want, sizeof(want), "M%zu E-1", strlen(msg_nobody));
	check_stream(s, (size_t)n, 0, 0, want);
	/* The header is handed out with a Content-Length error (to build the 400). */
	struct cp_frame f;
	const char *m;
	size_t len;
	const char *nocl = REG("", "");
	cp_frame_init(&f, 0, 0);
	cp_frame_feed(&f, nocl, strlen(nocl));
	assert_int_equal(cp_frame_next(&f, &m, &len), CP_FRAME_E_LENGTH);
	assert_int_equal(len, strlen(nocl));
	assert_memory_equal(m, nocl, len);
	cp_frame_fini(&f);
	/* Exactly max_msg is fine; one more is not. */
	size_t total = strlen(REG("Content-Length: 400\r\n", "")) + 400;
	snprintf(want, sizeof(want), "M%zu ", total);
	check_stream(big, total, total, 0, want);
	check_stream(big, total, total - 1, 0, "E-2");
}

static void
t_grow_shrink(void **state)
{
	(void)state;
	/* A 60000-byte body grows the buffer; afterwards an idle framer holds 4 KiB at most. */
	size_t blen = 60000;
	char hdr[256];
	int hl = snprintf(hdr, sizeof(hdr), REG("Content-Length: %zu\r\n", ""), blen);
	size_t n = (size_t)hl + blen + strlen(msg_nobody);
	char *s = malloc(n);
	assert_non_null(s);
	memcpy(s, hdr, (size_t)hl);
	memset(s + hl, 'b', blen);
	memcpy(s + hl + blen, msg_nobody, strlen(msg_nobody));
	struct cp_frame f;
	const char *m;
	size_t len;
	cp_frame_init(&f, 0, 0);
	/* In 1000-byte reads, as a socket would give them. */
	size_t pos = 0, msgs = 0;
	while (pos < n) {
		size_t k = n - pos < 1000 ? n - pos : 1000;
		assert_int_equal(cp_frame_feed(&f, s + pos, k), k);
		pos += k;
		int rc;
		while ((rc = cp_frame_next(&f, &m, &len)) == CP_FRAME_MSG) {
			assert_int_equal(len, msgs == 0 ? (size_t)hl + blen : strlen(msg_nobody));
			msgs++;
		}
		assert_int_equal(rc, CP_FRAME_NONE);
	}
	assert_int_equal(msgs, 2);
	assert_int_equal(cp_frame_pending(&f), 0);
	char *p;
	assert_true(cp_frame_space(&f, &p) > 0);
	assert_true(f.cap <= 4096);
	cp_frame_fini(&f);
	free(s);
}

static void
t_full_buffer(void **state)
{
	(void)state;
	/* A sender that never ends its header: the buffer stops at the limit, the framer says so. */
	struct cp_frame f;
	const char *m;
	size_t len;
	char junk[512];
	memset(junk, 'a', sizeof(junk));
	cp_frame_init(&f, 1000, 0);
	size_t total = 0, took;
	while ((took = cp_frame_feed(&f, junk, sizeof(junk))) > 0)
		total += took;
	assert_true(total <= 1004);
	assert_int_equal(cp_frame_next(&f, &m, &len), CP_FRAME_E_HEADER);
	assert_null(m);
	cp_frame_fini(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_single),
		cmocka_unit_test(t_pipelined),
		cmocka_unit_test(t_crlf),
		cmocka_unit_test(t_length_forms),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_grow_shrink),
		cmocka_unit_test(t_full_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
