/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_test.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap.h"

int
run_rows(const char *group, const void *rows, size_t n, size_t row_size, CMUnitTestFunction fn)
{
	struct CMUnitTest *t = calloc(n ? n : 1, sizeof(*t));
	int failed;

	if (t == NULL) {
		fprintf(stderr, "%s: out of memory\n", group);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const void *row = (const char *)rows + i * row_size;
		t[i].name = *(const char *const *)row;
		t[i].test_func = fn;
		t[i].initial_state = (void *)(uintptr_t)row;
	}
	failed = _cmocka_run_group_tests(group, t, n, NULL, NULL);
	free(t);
	return failed;
}

int
test_variant_supported(const struct sip_scanner *s)
{
	const char *mask = getenv("SIPLINE_TEST_SKIP_VARIANTS");

	if (mask != NULL) {
		size_t n = strlen(s->name);
		for (const char *p = mask; (p = strstr(p, s->name)) != NULL; p += n)
			if ((p == mask || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
				return 0;
	}
	return s->supported();
}

void
test_use_variant(const char *name)
{
	const struct sip_scanner *s = sip_scanner_by_name(name);

	assert_non_null(s);
	if (!test_variant_supported(s)) {
		print_message("scanner %s: not supported by this CPU, skipped\n", name);
		skip();
	}
	assert_int_equal(sip_scanner_select(name), 0);
	assert_string_equal(sip_scanner_active()->name, name);
}

static struct guard_buf slots[TEST_SLOTS], out_buf;

static struct guard_buf *
ready(struct guard_buf *g)
{
	if (g->map == NULL && guard_init(g, TEST_BUF_CAP) != 0)
		fail_msg("cannot map a guard-page buffer");
	return g;
}

struct guard_buf *
test_slot(unsigned slot)
{
	assert_true(slot < TEST_SLOTS);
	return ready(&slots[slot]);
}

struct guard_buf *
test_out(void)
{
	return ready(&out_buf);
}

int
test_parse_slot(unsigned slot, struct sip_msg *m, const char *text, size_t len)
{
	const char *p = guard_put(test_slot(slot), text, len);
	return sip_parse(m, p, len, 0);
}

void
test_corpus_read(const char *rel, char **buf, size_t *len)
{
	if (corpus_dir() == NULL) {
		fail_msg("SIPLINE_CORPUS is not set (meson sets it to ../shared/corpus): cannot read %s",
				rel);
	}
	int rc = corpus_read(rel, buf, len);
	if (rc != 0)
		fail_msg("cannot read corpus file %s/%s: %s", corpus_dir(), rel, strerror(-rc));
}

const char *
test_escape(const char *p, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 5 < cap; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\r') {
			n += (size_t)snprintf(out + n, cap - n, "\\r");
		} else if (c == '\n') {
			n += (size_t)snprintf(out + n, cap - n, "\\n");
		} else if (c == '\\') {
			n += (size_t)snprintf(out + n, cap - n, "\\\\");
		} else if (c < 0x20 || c >= 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	return out;
}

void
test_assert_view(struct sip_str got, const char *want, size_t want_len, const char *expr,
		const char *file, int line)
{
	char a[1024], b[1024];

	if (got.len == want_len && (want_len == 0 || memcmp(got.p, want, want_len) == 0))
		return;
	if (got.p == NULL && got.len == 0 && want_len == 0)
		return;
	print_error("%s:%d: %s is \"%s\" (%u bytes), want \"%s\" (%zu bytes)\n", file, line,
			expr, got.p ? test_escape(got.p, got.len, a, sizeof(a)) : "(null)", got.len,
			test_escape(want, want_len, b, sizeof(b)), want_len);
	fail();
}

/* Offset just past the empty line ending the headers, or 0. */
static size_t
header_end(const char *p, size_t len)
{
	const char *e = memmem(p, len, "\r\n\r\n", 4);
	return e ? (size_t)(e - p) + 4 : 0;
}

/*
 * The RFC 5118 archive is not wire format (SOURCES.md): every line ends in a
 * bare LF, ipv6-bug-abnf-3-colons and ipv6-correct-abnf-2-colons lack the
 * empty line that closes the headers, and ipv6-in-sdp / mult-ip-in-sdp carry
 * a Content-Length that matches no version of their body. To test what a
 * peer would send we build the datagram: every LF becomes CRLF (the SDP
 * body too, as SDP uses CRLF), a missing closing CRLF is added, and
 * Content-Length is recomputed for the body that follows.
 */
size_t
test_make_wire(enum test_wire w, const char *raw, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	if (w == WIRE_RAW || w == WIRE_ADD_CRLF) {
		assert_true(len + 2 <= cap);
		memcpy(out, raw, len);
		n = len;
		if (w == WIRE_ADD_CRLF) {
			memcpy(out + n, CRLF, 2);
			n += 2;
		}
		return n;
	}
	assert_null(memchr(raw, '\r', len)); /* the archive has bare LFs only */
	char *tmp = malloc(2 * len + 2);
	assert_non_null(tmp);
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n')
			tmp[n++] = '\r';
		tmp[n++] = raw[i];
	}
	if (w == WIRE_CRLF_ONLY) {
		assert_true(n <= cap);
		memcpy(out, tmp, n);
		free(tmp);
		return n;
	}
	if (header_end(tmp, n) == 0) {
		memcpy(tmp + n, CRLF, 2);
		n += 2;
	}
	size_t hend = header_end(tmp, n), body = n - hend;
	const char *cl = memmem(tmp, hend, "\r\nContent-Length:", 17);
	size_t o = 0;
	if (cl == NULL) {
		assert_true(n <= cap);
		memcpy(out, tmp, n);
		o = n;
	} else {
		const char *v = cl + 17, *ve;
		while (*v == ' ')
			v++;
		for (ve = v; *ve >= '0' && *ve <= '9'; ve++)
			;
		char num[24];
		int nl = snprintf(num, sizeof(num), "%zu", body);
		size_t head = (size_t)(v - tmp), tail = n - (size_t)(ve - tmp);
		assert_true(head + (size_t)nl + tail <= cap);
		memcpy(out, tmp, head);
		memcpy(out + head, num, (size_t)nl);
		memcpy(out + head + nl, ve, tail);
		o = head + (size_t)nl + tail;
	}
	free(tmp);
	return o;
}

/* ---- the whole corpus as a list of messages ---- */

struct msg_list {
	struct test_msg *v;
	size_t n, room;
};

__attribute__((format(printf, 5, 6))) static struct test_msg *
msg_add(struct msg_list *l, enum test_msg_kind kind, const char *buf, size_t len,
		const char *fmt, ...)
{
	va_list ap;

	if (l->n == l->room) {
		l->room = l->room ? 2 * l->room : 256;
		l->v = realloc(l->v, l->room * sizeof(*l->v));
		assert_non_null(l->v);
	}
	struct test_msg *t = &l->v[l->n++];
	va_start(ap, fmt);
	vsnprintf(t->name, sizeof(t->name), fmt, ap);
	va_end(ap);
	t->kind = kind;
	t->len = len;
	t->buf = malloc(len ? len : 1);
	assert_non_null(t->buf);
	memcpy(t->buf, buf, len);
	return t;
}

static void
add_dir(struct msg_list *l, const char *sub, enum test_msg_kind kind, bool wire_5118)
{
	char **names, path[256];
	size_t n;

	if (corpus_list(sub, "", &names, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char *raw;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", sub, names[i]);
		if (corpus_read(path, &raw, &len) != 0)
			continue;
		msg_add(l, kind, raw, len, "%s", path);
		if (wire_5118) {
			char *w = malloc(2 * len + 64);
			assert_non_null(w);
			size_t wl = test_make_wire(WIRE_5118, raw, len, w, 2 * len + 64);
			msg_add(l, kind, w, wl, "%s (wire)", path);
			free(w);
		}
		free(raw);
	}
	corpus_list_free(names, n);
}

struct capture_ctx {
	struct msg_list *l;
	const char *file;
};

static void
on_udp(const struct pcap_udp *u, void *arg)
{
	struct capture_ctx *c = arg;

	/* Payloads above the datagram limit are not SIP; zero-length ones are keep-alives. */
	if (u->len <= SIP_MAX_MSG)
		msg_add(c->l, MSG_CAPTURE, (const char *)u->payload, u->len, "pcap/%s#%u", c->file,
				u->index);
}

static void
add_captures(struct msg_list *l)
{
	char **names, path[256];
	size_t n;

	if (corpus_list("pcap", "", &names, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct capture_ctx c = {l, names[i]};
		char *raw;
		size_t len;
		snprintf(path, sizeof(path), "pcap/%s", names[i]);
		if (corpus_read(path, &raw, &len) != 0)
			continue;
		pcap_udp_foreach((const uint8_t *)raw, len, on_udp, &c);
		free(raw);
	}
	corpus_list_free(names, n);
}

const struct test_msg *
test_messages(size_t *n)
{
	static struct msg_list l;
	static bool loaded;

	if (!loaded && corpus_dir() != NULL) {
		add_dir(&l, "rfc4475", MSG_RFC, false);
		add_dir(&l, "rfc5118", MSG_RFC, true);
		add_dir(&l, "fuzz/pjproject-fuzz-sip-seed", MSG_SEED, false);
		add_dir(&l, "fuzz/profuzzbench-kamailio", MSG_SEED, false);
		add_captures(&l);
	}
	loaded = true;
	*n = l.n;
	return l.v;
}

/* ---- mutations ---- */

void
test_mutate(struct rng *r, char *msg, size_t *len, size_t cap)
{
	static const char specials[] = "\n:\r \t";
	size_t l = *len;
	size_t at = l ? rng_below(r, (uint32_t)l) : 0;

	switch (rng_below(r, 7)) {
	case 0: /* flip a bit */
		if (l)
			msg[at] ^= (char)(1u << rng_below(r, 8));
		break;
	case 1: /* a random byte */
		if (l)
			msg[at] = (char)rng_below(r, 256);
		break;
	case 2: /* insert one of the bytes the scanner looks at */
		if (l + 1 <= cap) {
			memmove(msg + at + 1, msg + at, l - at);
			msg[at] = specials[rng_below(r, sizeof(specials) - 1)];
			*len = l + 1;
		}
		break;
	case 3: /* delete a run */
		if (l) {
			size_t d = 1 + rng_below(r, (uint32_t)(l - at < 16 ? l - at : 16));
			memmove(msg + at, msg + at + d, l - at - d);
			*len = l - d;
		}
		break;
	case 4: /* duplicate a run: long runs of header lines */
		if (l) {
			size_t d = 1 + rng_below(r, (uint32_t)(l - at < 200 ? l - at : 200));
			unsigned times = 1 + rng_below(r, 8);
			for (unsigned t = 0; t < times && *len + d <= cap; t++) {
				memmove(msg + at + d, msg + at, *len - at);
				*len += d;
			}
		}
		break;
	case 5: /* truncate */
		*len = at;
		break;
	default: /* CRLF becomes LF, or the other way round */
		if (l && msg[at] == '\r') {
			memmove(msg + at, msg + at + 1, l - at - 1);
			*len = l - 1;
		} else if (l + 1 <= cap) {
			memmove(msg + at + 1, msg + at, l - at);
			msg[at] = '\r';
			*len = l + 1;
		}
		break;
	}
}

size_t
test_mutate_value(struct rng *r, const char *seed, char *buf, size_t cap)
{
	static const char alphabet[] = " \t\r\n;,=\"[]:%/.@<>aZb09-_!~*'()&+$?\\\x80\xff";
	size_t n = strlen(seed);

	if (n > cap)
		n = cap;
	memcpy(buf, seed, n);
	for (unsigned k = 1 + rng_below(r, 3); k > 0; k--) {
		size_t at = rng_below(r, (uint32_t)n + 1);
		char ch = alphabet[rng_below(r, sizeof(alphabet) - 1)];
		switch (rng_below(r, 3)) {
		case 0: /* replace */
			if (at < n)
				buf[at] = ch;
			break;
		case 1: /* insert */
			if (n < cap) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = ch;
				n++;
			}
			break;
		default: /* delete */
			if (at < n) {
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
			break;
		}
	}
	return n;
}

unsigned
test_mutate_values(const char *const *seeds, size_t n, unsigned runs, uint64_t seed,
		test_value_check check)
{
	struct rng r;
	char buf[256];
	unsigned engaged = 0;

	rng_seed(&r, seed);
	for (unsigned i = 0; i < runs; i++) {
		size_t len = test_mutate_value(&r, seeds[rng_below(&r, (uint32_t)n)], buf, sizeof(buf));
		char *v = malloc(len ? len : 1);
		assert_non_null(v);
		memcpy(v, buf, len);
		if (check(v, v + len, &engaged) != 0)
			fail_msg("mutation %u of seed 0x%" PRIx64 " disagrees", i, seed);
		free(v);
	}
	return engaged;
}
