/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_msg.h"

#include <stdbool.h>
#include <string.h>

#include "sip_hdr_impl.h"
#include "sip_lex.h"
#include "sip_scan.h"

static const char *const method_names[SIP_METHOD__COUNT] = {
	[SIP_METHOD_UNKNOWN] = "",
#define SIP_METHOD_NAME(m) [SIP_METHOD_##m] = #m,
	SIP_METHODS(SIP_METHOD_NAME)
#undef SIP_METHOD_NAME
};

const char *
sip_method_name(enum sip_method m)
{
	return m < SIP_METHOD__COUNT ? method_names[m] : "";
}

enum sip_method
sip_method_lookup(const char *p, size_t len)
{
	/* Methods are case-sensitive; first byte and length pick one candidate. */
	enum sip_method m = SIP_METHOD_UNKNOWN;

	switch (len) {
	case 3:
		m = p[0] == 'A' ? SIP_METHOD_ACK : p[0] == 'B' ? SIP_METHOD_BYE : SIP_METHOD_UNKNOWN;
		break;
	case 4:
		m = SIP_METHOD_INFO;
		break;
	case 5:
		m = p[0] == 'P' ? SIP_METHOD_PRACK : SIP_METHOD_REFER;
		break;
	case 6:
		m = p[0] == 'I' ? SIP_METHOD_INVITE : p[0] == 'C' ? SIP_METHOD_CANCEL :
			p[0] == 'N' ? SIP_METHOD_NOTIFY : p[0] == 'U' ? SIP_METHOD_UPDATE :
			SIP_METHOD_UNKNOWN;
		break;
	case 7:
		m = p[0] == 'O' ? SIP_METHOD_OPTIONS : p[0] == 'P' ? SIP_METHOD_PUBLISH :
			SIP_METHOD_MESSAGE;
		break;
	case 8:
		m = SIP_METHOD_REGISTER;
		break;
	case 9:
		m = SIP_METHOD_SUBSCRIBE;
		break;
	default:
		return SIP_METHOD_UNKNOWN;
	}
	if (m != SIP_METHOD_UNKNOWN && sip_bytes_eq(p, method_names[m], len))
		return m;
	return SIP_METHOD_UNKNOWN;
}

/* "SIP/" 1*DIGIT "." 1*DIGIT: 1 if it is 2.0, 0 if another version, -1 if not a version. */
static int
parse_version(const char *p, const char *end)
{
	if (end - p == 7 && memcmp(p, "SIP/2.0", 7) == 0) /* what nearly everyone writes */
		return 1;
	if (end - p < 7 || (p[0] | 0x20) != 's' || (p[1] | 0x20) != 'i' || (p[2] | 0x20) != 'p' ||
			p[3] != '/')
		return -1;
	const char *q = p + 4, *major = q;
	q = lex_span(q, end, SIP_C_DIGIT);
	if (q == major || q == end || *q != '.')
		return -1;
	const char *minor = ++q;
	q = lex_span(q, end, SIP_C_DIGIT);
	if (q == minor || q != end)
		return -1;
	return (end - p == 7 && p[4] == '2' && p[6] == '0') ? 1 : 0;
}

static int
parse_response_line(struct sip_msg *m, const char *p, const char *end)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (sp == NULL)
		return -SIP_E_START_LINE;
	int v = parse_version(p, sp);
	if (v < 0)
		return -SIP_E_START_LINE;
	const char *code = sp + 1;
	const char *q = lex_span(code, end, SIP_C_DIGIT);
	if (q - code != 3 || (q < end && *q != ' '))
		return -SIP_E_STATUS_CODE;
	unsigned st = (unsigned)(code[0] - '0') * 100 + (unsigned)(code[1] - '0') * 10 +
		(unsigned)(code[2] - '0');
	if (st < 100 || st > 699)
		return -SIP_E_STATUS_CODE;
	m->status = (uint16_t)st;
	const char *reason = q < end ? q + 1 : q;
	m->reason_off = (uint16_t)(reason - m->buf);
	m->reason_len = (uint16_t)(end - reason);
	return v ? 0 : -SIP_E_VERSION;
}

static int
parse_request_line(struct sip_msg *m, const char *p, const char *end)
{
	/*
	 * The method: a token up to the first SP. A method the table knows is
	 * a token already (its canonical bytes, case-sensitive), so only an
	 * unknown one is checked byte by byte.
	 */
	const char *q = lex_find(p, end, ' ');
	if (q == p || q == end)
		return -SIP_E_START_LINE;
	enum sip_method method = sip_method_lookup(p, (size_t)(q - p));
	if (method == SIP_METHOD_UNKNOWN && lex_span(p, q, SIP_C_TOKEN) != q)
		return -SIP_E_START_LINE;
	m->method_off = (uint16_t)(p - m->buf);
	m->method_len = (uint16_t)(q - p);
	m->method = (uint8_t)method;

	/*
	 * The version is the line's last element, after the last SP: taking it
	 * from the end spares a byte loop over the Request-URI. Exactly one SP
	 * separates the elements (RFC 4475 lwsstart, trws); LWS inside the
	 * Request-URI (lwsruri) is refused when the URI is parsed.
	 */
	const char *uri = q + 1;
	const char *sp = end;
	/*
	 * The last SP, scanning back from the end. Nearly every request ends in
	 * "SIP/2.0", which holds no SP: the scan may start before it.
	 */
	if (end - uri >= 7 && memcmp(end - 7, "SIP/2.0", 7) == 0)
		sp = end - 7;
	while (sp > uri && sp[-1] != ' ')
		sp--;
	if (sp == uri)
		return -SIP_E_START_LINE;
	int v = parse_version(sp, end);
	sp--;
	if (v < 0 || sp == uri || *uri == ' ' || sp[-1] == ' ')
		return -SIP_E_START_LINE;
	m->ruri_off = (uint16_t)(uri - m->buf);
	m->ruri_len = (uint16_t)(sp - uri);
	return v ? 0 : -SIP_E_VERSION;
}

static int
parse_start_line(struct sip_msg *m, const struct sip_line *l)
{
	const char *p = m->buf + l->start;
	const char *end = m->buf + l->lf;

	if (end > p && end[-1] == '\r')
		end--;
	m->start_end = l->lf;
	if (end - p >= 4 && memcmp(p, "SIP/", 4) == 0)
		return parse_response_line(m, p, end);
	m->flags |= SIP_MSG_REQUEST;
	return parse_request_line(m, p, end);
}

/*
 * An unknown header name must be a token. Out of line and cold: it is rare,
 * and the inlined SIMD span took registers from the index loop.
 */
static __attribute__((noinline, cold)) bool
name_is_token(const char *p, const char *ne)
{
	return ne > p && lex_span(p, ne, SIP_C_TOKEN) == ne;
}

/* link[] of index_headers() before any header: each type's m->first[t]. */
static const uint16_t first_links[SIP_HDR__COUNT] = {
#define FIRST_LINK(e, name, compact, kind) \
	[SIP_HDR_##e] = (uint16_t)(offsetof(struct sip_msg, first) + SIP_HDR_##e),
	SIP_HEADERS(FIRST_LINK)
#undef FIRST_LINK
};
_Static_assert(sizeof(struct sip_msg) <= UINT16_MAX, "index_headers() links by 16-bit offset");

/*
 * Build the header index from lines[1..n). Returns 0 or the first error.
 * A second pass over the scanner's line array on purpose: doing this work
 * inside the scanner's bit loop (one pass, no array) was measured in
 * December and cost as much as it saved, because the loop then runs out of
 * registers; the array stays in L1 and reading it back is cheap.
 */
static int
index_headers(struct sip_msg *m, const struct sip_line *lines, unsigned n, const char *limit)
{
	/*
	 * Where the next header of each type is linked: the byte offset in *m
	 * of m->first[t] until one is seen, then of the last one's next. One
	 * store either way, where a branch on "first of its type" was
	 * mispredicted 2.7 times a message (callgrind's branch simulation).
	 */
	uint16_t link[SIP_HDR__COUNT];
	uint8_t *base = (uint8_t *)m;
	struct sip_hdr *prev = NULL;
	int err = 0;

	memcpy(link, first_links, sizeof(link));
	for (unsigned i = 1; i < n; i++) {
		const struct sip_line *l = &lines[i];
		const char *p = m->buf + l->start;

		/* One compare for the common case: a name starts above SP. */
		if ((unsigned char)*p <= ' ' && (*p == ' ' || *p == '\t')) {
			/* Folded continuation of the previous header (RFC 3261 §7.3.1). */
			if (prev == NULL) {
				err = err ? err : -SIP_E_HDR_LINE;
				continue;
			}
			prev->lf = l->lf;
			m->flags |= SIP_MSG_FOLDED;
			continue;
		}
		prev = NULL;
		if (l->colon == SIP_SCAN_NO_COLON) {
			err = err ? err : -SIP_E_HDR_LINE;
			continue;
		}
		/*
		 * Blanks before the colon are rare: one compare skips the loop.
		 * ne[-1] is inside buf even for an empty name (the previous
		 * line's LF), and the loop then sees ne == p.
		 */
		const char *ne = m->buf + l->colon;
		if ((unsigned char)ne[-1] <= ' ')
			while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
		size_t nlen = (size_t)(ne - p);
		/* Inline only the common case, a name far from the end of buf. */
		enum sip_hdr_type t = limit - p >= NAME_MAX_LEN ?
			sip_hdr_lookup_inline(p, nlen, limit) : sip_hdr_lookup(p, nlen, limit);
		if (t == SIP_HDR_OTHER && !name_is_token(p, ne)) {
			err = err ? err : -SIP_E_HDR_LINE;
			continue;
		}

		unsigned idx = m->n_hdrs++;
		struct sip_hdr *h = &m->hdr[idx];
		h->name = l->start;
		h->colon = l->colon;
		h->lf = l->lf;
		h->type = (uint8_t)t;
		h->next = SIP_HDR_NONE;
		base[link[t]] = (uint8_t)idx;
		link[t] = (uint16_t)(offsetof(struct sip_msg, hdr) + idx * sizeof(*h) +
				offsetof(struct sip_hdr, next));
		prev = h;
	}
	return err;
}

static int
frame_body(struct sip_msg *m, uint32_t body, size_t len, unsigned flags)
{
	const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_CONTENT_LENGTH);

	m->body = body;
	if (h == NULL) {
		if (flags & SIP_PARSE_STREAM)
			return -SIP_E_CL_MISSING;
		m->flags |= SIP_MSG_NO_CL;
		m->body_len = (uint32_t)(len - body);
		m->len = (uint32_t)len;
		return 0;
	}
	if (h->next != SIP_HDR_NONE)
		return -SIP_E_CL_DUP;

	struct sip_str v = sip_hdr_value(m, h);
	uint64_t cl;
	if (lex_uint(v.p, v.p + v.len, SIP_MAX_MSG, &cl) != 0)
		return -SIP_E_CL_SYNTAX;
	if (body + cl > len) {
		if (!(flags & SIP_PARSE_STREAM))
			return -SIP_E_BODY_SHORT;
		/* A stream message must fit in 64 KiB: waiting for more would wait forever. */
		return body + cl > SIP_MAX_MSG ? -SIP_E_TOO_LARGE : -SIP_E_INCOMPLETE;
	}
	m->body_len = (uint32_t)cl;
	m->len = body + (uint32_t)cl;
	return 0;
}

int
sip_parse(struct sip_msg *m, const char *buf, size_t len, unsigned flags)
{
	struct sip_line lines[SIP_MAX_HDRS + 1];
	uint32_t skip = 0, body = 0;
	int err, rc;

	m->buf = buf;
	m->len = 0;
	m->flags = 0;
	m->method = SIP_METHOD_UNKNOWN;
	m->n_hdrs = 0;
	m->status = 0;
	m->method_len = m->ruri_len = m->reason_len = 0;
	m->body = m->body_len = 0;
	memset(m->first, SIP_HDR_NONE, sizeof(m->first));

	if (len > SIP_MAX_MSG) {
		if (!(flags & SIP_PARSE_STREAM))
			return -SIP_E_TOO_LARGE;
		len = SIP_MAX_MSG; /* a stream message must fit in its first 64 KiB */
	}
	/* CRLFs before the start line are ignored (RFC 3261 §7.5; keep-alives). */
	while (skip < len && (buf[skip] == '\r' || buf[skip] == '\n'))
		skip++;
	m->skip = skip;
	if (skip == len)
		return (flags & SIP_PARSE_STREAM) ? -SIP_E_INCOMPLETE : -SIP_E_EMPTY;

	rc = sip_scan_active_fn(buf, skip, (uint32_t)len, lines, SIP_MAX_HDRS + 1, &body);
	if (rc < 0)
		return (flags & SIP_PARSE_STREAM) && len == SIP_MAX_MSG ? -SIP_E_TOO_LARGE : rc;
	if (body == 0 && (flags & SIP_PARSE_STREAM))
		return len == SIP_MAX_MSG ? -SIP_E_TOO_LARGE : -SIP_E_INCOMPLETE;
	if (rc == 0)
		return -SIP_E_START_LINE;

	unsigned n = (unsigned)rc;
	err = parse_start_line(m, &lines[0]);
	if (err == 0)
		m->flags |= SIP_MSG_START_OK;
	m->hdr_start = n > 1 ? lines[1].start : lines[0].lf + 1u;

	rc = index_headers(m, lines, n, buf + len);
	err = err ? err : rc;
	m->flags |= SIP_MSG_HDRS_OK;

	if (body == 0) {
		/* Datagram without the empty line ending its headers (RFC 4475 baddn). */
		m->body = m->hdr_start;
		m->len = (uint32_t)len;
		return err ? err : -SIP_E_NO_END;
	}
	rc = frame_body(m, body, len, flags);
	err = err ? err : rc;
	return err ? err : (int)m->len;
}

struct sip_str
sip_hdr_value_full(const struct sip_msg *m, const struct sip_hdr *h)
{
	const char *end = m->buf + h->lf;
	const char *p = lex_lws(m->buf + h->colon + 1, end);

	end = lex_rtrim(p, end);
	return sip_str_span(p, end);
}

unsigned
sip_hdr_count(const struct sip_msg *m, enum sip_hdr_type t)
{
	unsigned n = 0;
	for (const struct sip_hdr *h = sip_hdr_first(m, t); h; h = sip_hdr_next(m, h))
		n++;
	return n;
}
