/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stream framing (cp_frame.h). The search for the end of the header section
 * resumes where the last one stopped, so a message dribbled one byte at a
 * time costs linear time, not quadratic.
 */
#include "cp_frame.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The buffer an idle connection keeps (it shrinks back to this after a large message). */
#define FRAME_IDLE_CAP 4096u
/* Digits of a Content-Length beyond which it is simply "too large". */
#define CL_SATURATE ((size_t)1 << 40)

void
cp_frame_init(struct cp_frame *f, size_t max_msg, size_t max_header)
{
	memset(f, 0, sizeof(*f));
	f->max_msg = max_msg ? max_msg : CP_FRAME_MAX_MSG;
	f->max_header = max_header ? max_header : CP_FRAME_MAX_HEADER;
	if (f->max_header > f->max_msg)
		f->max_header = f->max_msg;
}

void
cp_frame_fini(struct cp_frame *f)
{
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
}

/* Drop the message or ping returned last time; shrink a buffer grown for a large one. */
static void
drop_consumed(struct cp_frame *f)
{
	if (f->consumed == 0)
		return;
	f->len -= f->consumed;
	if (f->len)
		memmove(f->buf, f->buf + f->consumed, f->len);
	f->consumed = 0;
	f->scan = 0;
	f->hdr_len = 0;
	f->body_len = 0;
	if (f->cap > FRAME_IDLE_CAP && f->len <= FRAME_IDLE_CAP / 2) {
		char *nb = realloc(f->buf, FRAME_IDLE_CAP);
		if (nb != NULL) {
			f->buf = nb;
			f->cap = FRAME_IDLE_CAP;
		}
	}
}

/*
 * The most bytes the buffer may hold: a whole message plus the CRLFs that
 * may precede it (4 bytes more: the framer strips them as they come, so a
 * few suffice to see a ping or the start of the next message).
 */
static size_t
limit(const struct cp_frame *f)
{
	return f->max_msg + 4;
}

size_t
cp_frame_space(struct cp_frame *f, char **p)
{
	drop_consumed(f);
	if (f->len == f->cap) {
		size_t lim = limit(f);
		if (f->cap >= lim)
			return 0;
		size_t nc = f->cap ? f->cap * 2 : FRAME_IDLE_CAP;
		if (nc > lim)
			nc = lim;
		char *nb = realloc(f->buf, nc);
		if (nb == NULL)
			return 0;
		f->buf = nb;
		f->cap = nc;
	}
	*p = f->buf + f->len;
	return f->cap - f->len;
}

void
cp_frame_commit(struct cp_frame *f, size_t n)
{
	f->len += n;
}

size_t
cp_frame_feed(struct cp_frame *f, const char *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		char *dst;
		size_t room = cp_frame_space(f, &dst);
		if (room == 0)
			break;
		size_t k = n - done < room ? n - done : room;
		memcpy(dst, p + done, k);
		cp_frame_commit(f, k);
		done += k;
	}
	return done;
}

size_t
cp_frame_pending(const struct cp_frame *f)
{
	return f->len - f->consumed;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_token(unsigned char c)
{
	/* RFC 3261 token characters. */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-.!%*_+`'~", c) != NULL;
}

/*
 * The value of one Content-Length header, possibly folded over several
 * lines: SWS 1*DIGIT SWS. v[0..n) may contain CRLF + WS (folds). 0 or -EINVAL.
 */
static int
parse_cl_value(const char *v, size_t n, size_t *out)
{
	size_t i = 0, x = 0, digits = 0;
	while (i < n && (is_ws(v[i]) || v[i] == '\r' || v[i] == '\n'))
		i++;
	while (i < n && v[i] >= '0' && v[i] <= '9') {
		if (x < CL_SATURATE)
			x = x * 10 + (size_t)(v[i] - '0');
		digits++;
		i++;
	}
	while (i < n && (is_ws(v[i]) || v[i] == '\r' || v[i] == '\n'))
		i++;
	if (digits == 0 || i != n)
		return -EINVAL;
	*out = x;
	return 0;
}

int
cp_frame_content_length(const char *hdr, size_t n, size_t *cl)
{
	size_t p = 0;
	bool found = false, first = true;
	size_t val = 0;

	while (p < n) {
		/* One header: a line and its continuation lines. */
		size_t s = p, e = p;
		for (;;) {
			while (e + 1 < n && !(hdr[e] == '\r' && hdr[e + 1] == '\n'))
				e++;
			if (e + 1 >= n) {
				e = n;
				break;
			}
			/* A following line starting with SP/HT continues this one. */
			if (!first && e + 2 < n && is_ws(hdr[e + 2])) {
				e += 2;
				continue;
			}
			break;
		}
		size_t next = e + 2 <= n ? e + 2 : n;
		if (first) {
			first = false; /* the start line */
			p = next;
			continue;
		}
		if (e == s) /* the empty line ending the section */
			break;
		size_t k = s;
		while (k < e && is_token((unsigned char)hdr[k]))
			k++;
		size_t nl = k - s;
		while (k < e && is_ws(hdr[k]))
			k++;
		if (k < e && hdr[k] == ':' &&
				((nl == 14 && strncasecmp(hdr + s, "content-length", 14) == 0) ||
				(nl == 1 && (hdr[s] == 'l' || hdr[s] == 'L')))) {
			size_t v;
			if (parse_cl_value(hdr + k + 1, e - k - 1, &v) != 0)
				return -EINVAL;
			if (found && v != val)
				return -EINVAL;
			found = true;
			val = v;
		}
		p = next;
	}
	if (!found)
		return -ENOENT;
	*cl = val;
	return 0;
}

int
cp_frame_next(struct cp_frame *f, const char **msg, size_t *len)
{
	*msg = NULL;
	*len = 0;
	if (f->err)
		return f->err;
	drop_consumed(f);

	/* At a message boundary: a ping, or CRLFs to skip. */
	while (f->hdr_len == 0 && f->scan == 0 && f->len >= 2 && f->buf[0] == '\r' &&
			f->buf[1] == '\n') {
		if (f->len < 4) {
			if (f->len == 3 && f->buf[2] != '\r')
				goto skip2;
			return CP_FRAME_NONE; /* maybe a ping in two pieces */
		}
		if (f->buf[2] == '\r' && f->buf[3] == '\n') {
			f->consumed = 4;
			return CP_FRAME_PING;
		}
	skip2:
		f->len -= 2;
		memmove(f->buf, f->buf + 2, f->len);
	}
	if (f->len == 1 && f->buf[0] == '\r')
		return CP_FRAME_NONE;

	if (f->hdr_len == 0) {
		size_t i = f->scan >= 3 ? f->scan - 3 : 0;
		const char *end = NULL;
		while (i + 4 <= f->len) {
			const char *cr = memchr(f->buf + i, '\r', f->len - i - 3);
			if (cr == NULL) {
				i = f->len - 3;
				break;
			}
			if (cr[1] == '\n' && cr[2] == '\r' && cr[3] == '\n') {
				end = cr + 4;
				break;
			}
			i = (size_t)(cr - f->buf) + 1;
		}
		if (end == NULL) {
			f->scan = f->len;
			if (f->len >= f->max_header) {
				f->err = CP_FRAME_E_HEADER;
				return f->err;
			}
			return CP_FRAME_NONE;
		}
		size_t hl = (size_t)(end - f->buf);
		if (hl > f->max_header) {
			f->err = CP_FRAME_E_HEADER;
			return f->err;
		}
		f->hdr_len = hl;
		int rc = cp_frame_content_length(f->buf, hl, &f->body_len);
		*msg = f->buf;
		*len = hl;
		if (rc != 0) {
			f->err = CP_FRAME_E_LENGTH;
			return f->err;
		}
		if (f->body_len > f->max_msg || hl + f->body_len > f->max_msg) {
			f->err = CP_FRAME_E_TOO_LARGE;
			return f->err;
		}
		*msg = NULL;
		*len = 0;
	}
	size_t total = f->hdr_len + f->body_len;
	if (f->len < total)
		return CP_FRAME_NONE;
	f->consumed = total;
	*msg = f->buf;
	*len = total;
	return CP_FRAME_MSG;
}
