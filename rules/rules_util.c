/* SPDX-License-Identifier: BSD-3-Clause */
#include "rules_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *
file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

int
rules_open_file(const char *path, char *why, size_t whylen)
{
	struct stat st, fst;
	int fd, rc;

	/* stat() first: opening a device may have effects of its own (a tape rewinds). */
	if (stat(path, &st) != 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		goto not_regular;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return rc;
	}
	/* Replaced between the two calls: check what was opened. */
	if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode)) {
		st = fst;
		close(fd);
		goto not_regular;
	}
	return fd;
not_regular:
	snprintf(why, whylen, "is %s, not a regular file", file_kind(st.st_mode));
	return -EINVAL;
}

int
vec_init_big(struct vec *v, size_t esz, size_t cap)
{
	memset(v, 0, sizeof(*v));
	v->p = rules_big_alloc(cap * esz);
	if (v->p == NULL)
		return -ENOMEM;
	v->cap = cap;
	v->big = true;
	return 0;
}

int
vec_reserve(struct vec *v, size_t esz, size_t more)
{
	if (v->n + more <= v->cap)
		return 0;
	if (v->big)
		return -ENOMEM;
	size_t cap = v->cap ? v->cap : 16;
	while (cap < v->n + more)
		cap += cap / 2 + 16;
	void *p = realloc(v->p, cap * esz);
	if (p == NULL)
		return -ENOMEM;
	v->p = p;
	v->cap = cap;
	return 0;
}

int
vec_push(struct vec *v, size_t esz, const void *e)
{
	if (vec_reserve(v, esz, 1) < 0)
		return -ENOMEM;
	memcpy((char *)v->p + v->n * esz, e, esz);
	v->n++;
	return 0;
}

void *
vec_grow(struct vec *v, size_t esz, size_t n)
{
	if (vec_reserve(v, esz, n) < 0)
		return NULL;
	void *p = (char *)v->p + v->n * esz;
	v->n += n;
	return p;
}

void
vec_shrink(struct vec *v, size_t esz)
{
	if (v->n == v->cap || v->big)
		return;
	if (v->n == 0) {
		vec_free(v);
		return;
	}
	void *p = realloc(v->p, v->n * esz);
	if (p != NULL) {
		v->p = p;
		v->cap = v->n;
	}
}

void
vec_free(struct vec *v)
{
	if (v->big)
		rules_big_free(v->p, v->cap);
	else
		free(v->p);
	v->p = NULL;
	v->n = 0;
	v->cap = 0;
	v->big = false;
}

#define HUGE_SZ (2u << 20)

void *
rules_big_alloc(size_t bytes)
{
	/* Line-aligned, so a record's cache lines are known when it is built. */
	if (bytes < HUGE_SZ)
		return aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	size_t sz = (bytes + HUGE_SZ - 1) & ~(size_t)(HUGE_SZ - 1);
	void *p = aligned_alloc(HUGE_SZ, sz);
	if (p == NULL)
		return NULL;
	/* Advice only: without transparent huge pages the table still works. */
	(void)madvise(p, sz, MADV_HUGEPAGE);
	return p;
}

void
rules_big_free(void *p, size_t bytes)
{
	(void)bytes;
	free(p);
}

void
errlist_init(struct errlist *el, unsigned max)
{
	memset(el, 0, sizeof(*el));
	el->max = max ? max : 1000;
}

void
errlist_vadd(struct errlist *el, const char *source, unsigned src_idx, uint32_t line,
		const char *fmt, va_list ap)
{
	char text[1024];
	char *msg = NULL;
	int n;

	el->total++;
	if (el->items.n >= el->max)
		return;
	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		return;
	if (line != 0)
		n = asprintf(&msg, "%s:%u: %s", source, line, text);
	else
		n = asprintf(&msg, "%s: %s", source, text);
	if (n < 0)
		return;
	struct err_item it = {(uint64_t)src_idx << 32 | line, msg};
	if (vec_push(&el->items, sizeof(it), &it) < 0)
		free(msg);
}

void
errlist_add(struct errlist *el, const char *source, unsigned src_idx, uint32_t line,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(el, source, src_idx, line, fmt, ap);
	va_end(ap);
}

static int
err_cmp(const void *a, const void *b)
{
	const struct err_item *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return 0;
}

void
errlist_finish(struct errlist *el, struct rules_errors *out)
{
	struct err_item *it = el->items.p;
	size_t n = el->items.n;

	/* qsort is not stable: a stable insertion sort keeps same-line order. */
	for (size_t i = 1; i < n; i++) {
		struct err_item t = it[i];
		size_t j = i;
		while (j > 0 && err_cmp(&it[j - 1], &t) > 0) {
			it[j] = it[j - 1];
			j--;
		}
		it[j] = t;
	}
	if (out == NULL) {
		errlist_free(el);
		return;
	}
	unsigned extra = el->total > n ? el->total - (unsigned)n : 0;
	if (n == 0 && extra == 0) {
		errlist_free(el);
		return;
	}
	char **msg = realloc(out->msg, (out->n + n + 1) * sizeof(char *));
	if (msg == NULL) {
		out->total += el->total;
		errlist_free(el);
		return;
	}
	out->msg = msg;
	for (size_t i = 0; i < n; i++)
		out->msg[out->n++] = it[i].msg;
	if (extra != 0 && asprintf(&out->msg[out->n], "... and %u more errors not shown",
			extra) >= 0)
		out->n++;
	out->total += el->total;
	el->items.n = 0;
	errlist_free(el);
}

void
errlist_free(struct errlist *el)
{
	struct err_item *it = el->items.p;

	for (size_t i = 0; i < el->items.n; i++)
		free(it[i].msg);
	vec_free(&el->items);
	el->total = 0;
}

void
rules_errors_clear(struct rules_errors *e)
{
	if (e == NULL)
		return;
	for (unsigned i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
	e->total = 0;
}

void
rules_errors_print(const struct rules_errors *e, FILE *out)
{
	for (unsigned i = 0; i < e->n; i++)
		fprintf(out, "%s\n", e->msg[i]);
}

uint64_t
rules_hash_bytes(const void *p, size_t len, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return rules_mix64(h ^ len);
}

void
rules_hex(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}
