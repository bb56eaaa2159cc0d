/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the stream framer (control/cp_frame.c): the input is
 * a byte stream; its first byte seeds the sizes of the reads it is cut into.
 *  - every message handed out lies inside the framer's buffer, has a
 *    header section ending in CRLFCRLF and exactly Content-Length bytes of
 *    body after it, and is at most max_msg long;
 *  - the events (messages with their bytes, pings, the error) are the same
 *    whether the stream comes whole or in pieces;
 *  - nothing reads outside the input (ASan).
 * A broken invariant aborts, so libFuzzer saves the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSG 2048u
#define MAX_HDR 1024u

static void
broken(const char *what)
{
	fprintf(stderr, "fuzz_frame: invariant broken: %s\n", what);
	abort();
}

/* A transcript: a hash over the events, their kinds and message bytes. */
struct tr {
	uint64_t h;
	unsigned events;
	int err;
};

static void
mix(struct tr *t, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		t->h ^= b[i];
		t->h *= 0x100000001b3ull;
	}
}

static int
drain(struct cp_frame *f, struct tr *t)
{
	for (;;) {
		const char *m;
		size_t len;
		int rc = cp_frame_next(f, &m, &len);
		if (rc == CP_FRAME_NONE)
			return 0;
		t->events++;
		mix(t, &rc, sizeof(rc));
		if (rc == CP_FRAME_PING)
			continue;
		if (rc == CP_FRAME_MSG) {
			if (m != f->buf || len > f->len || len > MAX_MSG)
				broken("message outside the buffer or too long");
			const char *e = NULL;
			for (size_t i = 0; i + 4 <= len; i++)
				if (memcmp(m + i, "\r\n\r\n", 4) == 0) {
					e = m + i + 4;
					break;
				}
			if (e == NULL)
				broken("message without the end of its header section");
			size_t cl;
			if (cp_frame_content_length(m, (size_t)(e - m), &cl) != 0 ||
					(size_t)(e - m) + cl != len)
				broken("message length is not header + Content-Length");
			mix(t, m, len);
			continue;
		}
		if (m != NULL && (m != f->buf || len > f->len))
			broken("error header outside the buffer");
		t->err = rc;
		return rc;
	}
}

static void
run(const uint8_t *d, size_t n, unsigned seed, struct tr *t)
{
	struct cp_frame f;
	size_t pos = 0;
	memset(t, 0, sizeof(*t));
	t->h = 0xcbf29ce484222325ull;
	cp_frame_init(&f, MAX_MSG, MAX_HDR);
	while (pos < n) {
		size_t k = seed == 0 ? n - pos : 1 + (seed * 7 + pos * 13) % (seed + 1);
		if (k > n - pos)
			k = n - pos;
		size_t took = cp_frame_feed(&f, (const char *)d + pos, k);
		pos += took;
		if (drain(&f, t) != 0)
			break;
		if (took == 0) {
			/* Drained and still full: the framer must have reported an error. */
			broken("buffer full without an error");
		}
	}
	cp_frame_fini(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned seed = data[0];
	struct tr whole, cut;
	run(data + 1, size - 1, 0, &whole);
	run(data + 1, size - 1, seed | 1, &cut);
	if (whole.h != cut.h || whole.events != cut.events || whole.err != cut.err)
		broken("events differ between a whole and a cut stream");
	return 0;
}
