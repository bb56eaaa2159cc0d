/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sip_parse() framing and start lines, the header index and the header
 * name lookup (long and compact names, any case, odd bytes, names that end
 * where the buffer ends), methods and the error table.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_test.h"

#define REQ "OPTIONS sip:a@example.com SIP/2.0" CRLF
#define HDRS "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx" CRLF \
	"From: <sip:b@example.com>;tag=1" CRLF "To: <sip:a@example.com>" CRLF \
	"Call-ID: c1" CRLF "CSeq: 1 OPTIONS" CRLF

/* ---- framing and start lines ---- */

struct parse_case {
	const char *name;
	const char *text;
	size_t len;
	unsigned flags;  /* SIP_PARSE_* */
	int want;        /* > 0: bytes consumed; < 0: the error */
	int body_len;    /* -1: not checked */
	int skip;        /* -1: not checked */
};

#define T(s) .text = (s), .len = sizeof(s) - 1
#define OK(n) .want = (n)
#define ERR(e) .want = -SIP_E_##e
#define NOCHK .body_len = -1, .skip = -1

static const struct parse_case parse_cases[] = {
	{"minimal request", T(REQ HDRS CRLF), OK(sizeof(REQ HDRS CRLF) - 1), .body_len = 0,
		.skip = 0},
	{"leading CRLFs are skipped", T(CRLF CRLF REQ HDRS CRLF),
		OK(sizeof(CRLF CRLF REQ HDRS CRLF) - 1), .body_len = 0, .skip = 4},
	{"bare LF line ends", T("OPTIONS sip:a@example.com SIP/2.0\nVia: SIP/2.0/UDP h\n\n"),
		OK(sizeof("OPTIONS sip:a@example.com SIP/2.0\nVia: SIP/2.0/UDP h\n\n") - 1),
		.body_len = 0, .skip = 0},
	{"keep-alive (datagram)", T(CRLF CRLF), ERR(EMPTY), NOCHK},
	{"keep-alive (stream)", T(CRLF CRLF), .flags = SIP_PARSE_STREAM, ERR(INCOMPLETE), NOCHK},
	{"empty datagram", .text = "", .len = 0, ERR(EMPTY), NOCHK},
	{"no line end at all", T("OPTIONS sip:a@example.com SIP/2.0"), ERR(START_LINE), NOCHK},
	{"no line end (stream)", T("OPTIONS sip:a@example.com SIP/2.0"),
		.flags = SIP_PARSE_STREAM, ERR(INCOMPLETE), NOCHK},
	{"headers not closed", T(REQ HDRS), ERR(NO_END), NOCHK},
	{"header without colon", T(REQ HDRS "Bogus" CRLF CRLF), ERR(HDR_LINE), NOCHK},
	{"fold before any header", T(REQ " folded" CRLF HDRS CRLF), ERR(HDR_LINE), NOCHK},
	{"empty header name", T(REQ HDRS ": v" CRLF CRLF), ERR(HDR_LINE), NOCHK},
	{"space inside a header name", T(REQ HDRS "Max Forwards: 1" CRLF CRLF), ERR(HDR_LINE),
		NOCHK},
	{"CR inside a header name", T(REQ HDRS "Via\r: SIP/2.0/UDP h" CRLF CRLF), ERR(HDR_LINE),
		NOCHK},
	{"NUL inside a header value", T(REQ HDRS "X-Bin: a\0b" CRLF CRLF),
		OK(sizeof(REQ HDRS "X-Bin: a\0b" CRLF CRLF) - 1), NOCHK},
	{"Content-Length with leading zeros", T(REQ HDRS "Content-Length: 0005" CRLF CRLF "abcde"),
		OK(sizeof(REQ HDRS "Content-Length: 0005" CRLF CRLF "abcde") - 1), .body_len = 5,
		.skip = 0},
	{"Content-Length with LWS", T(REQ HDRS "l :  5  " CRLF CRLF "abcde"),
		OK(sizeof(REQ HDRS "l :  5  " CRLF CRLF "abcde") - 1), .body_len = 5, .skip = 0},
	{"trailing octets dropped", T(REQ HDRS "l: 2" CRLF CRLF "abcde"),
		OK(sizeof(REQ HDRS "l: 2" CRLF CRLF) - 1 + 2), .body_len = 2, .skip = 0},
	{"no Content-Length: body is the rest", T(REQ HDRS CRLF "abcde"),
		OK(sizeof(REQ HDRS CRLF "abcde") - 1), .body_len = 5, .skip = 0},
	{"Content-Length above 65535", T(REQ HDRS "l: 65536" CRLF CRLF), ERR(CL_SYNTAX), NOCHK},
	{"Content-Length 65535, short body", T(REQ HDRS "l: 65535" CRLF CRLF), ERR(BODY_SHORT),
		NOCHK},
	{"Content-Length not a number", T(REQ HDRS "l: 5a" CRLF CRLF "abcde"), ERR(CL_SYNTAX),
		NOCHK},
	{"Content-Length negative", T(REQ HDRS "l: -1" CRLF CRLF), ERR(CL_SYNTAX), NOCHK},
	{"Content-Length empty", T(REQ HDRS "l:" CRLF CRLF), ERR(CL_SYNTAX), NOCHK},
	{"Content-Length twice", T(REQ HDRS "l: 0" CRLF "Content-Length: 0" CRLF CRLF),
		ERR(CL_DUP), NOCHK},
	{"body shorter than Content-Length", T(REQ HDRS "l: 9" CRLF CRLF "abc"),
		ERR(BODY_SHORT), NOCHK},
	{"body shorter (stream)", T(REQ HDRS "l: 9" CRLF CRLF "abc"), .flags = SIP_PARSE_STREAM,
		ERR(INCOMPLETE), NOCHK},
	{"no Content-Length (stream)", T(REQ HDRS CRLF), .flags = SIP_PARSE_STREAM,
		ERR(CL_MISSING), NOCHK},
	{"two messages on a stream", T(REQ HDRS "l: 1" CRLF CRLF "x" REQ HDRS "l: 0" CRLF CRLF),
		.flags = SIP_PARSE_STREAM, OK(sizeof(REQ HDRS "l: 1" CRLF CRLF "x") - 1),
		.body_len = 1, .skip = 0},
	{"response without reason phrase", T("SIP/2.0 200" CRLF HDRS CRLF),
		OK(sizeof("SIP/2.0 200" CRLF HDRS CRLF) - 1), .body_len = 0, .skip = 0},
	{"status 99", T("SIP/2.0 099 Low" CRLF HDRS CRLF), ERR(STATUS_CODE), NOCHK},
	{"status 700", T("SIP/2.0 700 High" CRLF HDRS CRLF), ERR(STATUS_CODE), NOCHK},
	{"status of two digits", T("SIP/2.0 20 OK" CRLF HDRS CRLF), ERR(STATUS_CODE), NOCHK},
	{"status glued to the reason", T("SIP/2.0 200OK" CRLF HDRS CRLF), ERR(STATUS_CODE), NOCHK},
	{"response version 3.0", T("SIP/3.0 200 OK" CRLF HDRS CRLF), ERR(VERSION), NOCHK},
	{"request version 2.1", T("OPTIONS sip:a@example.com SIP/2.1" CRLF HDRS CRLF),
		ERR(VERSION), NOCHK},
	{"version without a dot", T("OPTIONS sip:a@example.com SIP/20" CRLF HDRS CRLF),
		ERR(START_LINE), NOCHK},
	{"version in lower case", T("OPTIONS sip:a@example.com sip/2.0" CRLF HDRS CRLF),
		OK(sizeof("OPTIONS sip:a@example.com sip/2.0" CRLF HDRS CRLF) - 1), NOCHK},
	{"method with a non-token byte", T("OPT@ONS sip:a@example.com SIP/2.0" CRLF HDRS CRLF),
		ERR(START_LINE), NOCHK},
	{"tab between method and URI", T("OPTIONS\tsip:a@example.com SIP/2.0" CRLF HDRS CRLF),
		ERR(START_LINE), NOCHK},
	{"tab between URI and version", T("OPTIONS sip:a@example.com\tSIP/2.0" CRLF HDRS CRLF),
		ERR(START_LINE), NOCHK},
	{"no version", T("OPTIONS sip:a@example.com" CRLF HDRS CRLF), ERR(START_LINE), NOCHK},
	{"empty Request-URI", T("OPTIONS  SIP/2.0" CRLF HDRS CRLF), ERR(START_LINE), NOCHK},
	{"start line only", T(REQ CRLF), OK(sizeof(REQ CRLF) - 1), .body_len = 0, .skip = 0},
};

static void
run_parse_case(void **state)
{
	const struct parse_case *c = *state;
	struct sip_msg m;
	const char *p = guard_put(test_slot(0), c->text, c->len);
	int rc = sip_parse(&m, p, c->len, c->flags);

	if (rc != c->want)
		fail_msg("returned %d (%s), want %d (%s)", rc, rc < 0 ? sip_err_name(rc) : "length",
				c->want, c->want < 0 ? sip_err_name(c->want) : "length");
	if (c->body_len >= 0)
		assert_int_equal(m.body_len, c->body_len);
	if (c->skip >= 0)
		assert_int_equal(m.skip, c->skip);
	/* Same answer with the message flush against the front guard page. */
	p = guard_put_front(test_slot(1), c->text, c->len);
	assert_int_equal(sip_parse(&m, p, c->len, c->flags), c->want);
}

/* ---- limits ---- */

static size_t
with_headers(char *out, size_t cap, unsigned n_extra)
{
	size_t n = (size_t)snprintf(out, cap, "%s%s", REQ, HDRS);
	for (unsigned i = 0; i < n_extra; i++)
		n += (size_t)snprintf(out + n, cap - n, "X-H%u: %u" CRLF, i, i);
	n += (size_t)snprintf(out + n, cap - n, CRLF);
	return n;
}

static void
header_count_limit(void **state)
{
	static char buf[32768];
	struct sip_msg m;
	(void)state;

	/* HDRS holds 5 headers; the scanner takes the start line plus SIP_MAX_HDRS lines. */
	size_t n = with_headers(buf, sizeof(buf), SIP_MAX_HDRS - 5);
	assert_int_equal(test_parse(&m, buf, n), (int)n);
	assert_int_equal(m.n_hdrs, SIP_MAX_HDRS);
	n = with_headers(buf, sizeof(buf), SIP_MAX_HDRS - 4);
	assert_int_equal(test_parse(&m, buf, n), -SIP_E_TOO_MANY_HDRS);
	assert_int_equal(sip_err_status(-SIP_E_TOO_MANY_HDRS), 400);
	/* Folded lines count as lines too. */
	n = with_headers(buf, sizeof(buf), SIP_MAX_HDRS - 5);
	memmove(buf + n - 2 + 7, buf + n - 2, 2);
	memcpy(buf + n - 2, " fold" CRLF, 7);
	n += 7;
	assert_int_equal(test_parse(&m, buf, n), -SIP_E_TOO_MANY_HDRS);
}

/* A stream message that cannot fit in 64 KiB is refused, not waited for. */
static void
stream_too_large(void **state)
{
	static char buf[SIP_MAX_MSG + 4096];
	struct sip_msg m;
	(void)state;

	size_t h = (size_t)snprintf(buf, sizeof(buf), "%s%sContent-Length: 65500" CRLF CRLF, REQ,
			HDRS);
	memset(buf + h, 'b', sizeof(buf) - h);
	/* Whatever the stream holds so far, the message can never be complete. */
	size_t holds[] = {h, h + 100, SIP_MAX_MSG, sizeof(buf)};
	for (size_t i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
		const char *p = guard_put(test_slot(0), buf, holds[i]);
		assert_int_equal(sip_parse(&m, p, holds[i], SIP_PARSE_STREAM), -SIP_E_TOO_LARGE);
	}
	/* The largest message that fits is framed. */
	size_t cl = SIP_MAX_MSG - h - 1;
	h = (size_t)snprintf(buf, sizeof(buf), "%s%sContent-Length: %05zu" CRLF CRLF, REQ, HDRS, cl);
	memset(buf + h, 'b', sizeof(buf) - h);
	const char *p = guard_put(test_slot(0), buf, sizeof(buf));
	assert_int_equal(sip_parse(&m, p, sizeof(buf), SIP_PARSE_STREAM), (int)(h + cl));
	p = guard_put(test_slot(0), buf, h + cl - 1);
	assert_int_equal(sip_parse(&m, p, h + cl - 1, SIP_PARSE_STREAM), -SIP_E_INCOMPLETE);
}

static void
size_limit(void **state)
{
	static char buf[SIP_MAX_MSG + 1];
	struct sip_msg m;
	(void)state;

	size_t h = (size_t)snprintf(buf, sizeof(buf), "%s%s" CRLF, REQ, HDRS);
	memset(buf + h, 'b', sizeof(buf) - h);
	assert_int_equal(test_parse(&m, buf, SIP_MAX_MSG), SIP_MAX_MSG);
	assert_int_equal(m.body_len, SIP_MAX_MSG - h);
	assert_int_equal(test_parse(&m, buf, SIP_MAX_MSG + 1), -SIP_E_TOO_LARGE);
	assert_int_equal(sip_err_status(-SIP_E_TOO_LARGE), 513);
}

/* ---- the header index ---- */

/*
 * sip_hdr_value() answers "Name: value\r\n" inline and everything else
 * through sip_hdr_value_full(): one row per way a line can leave the
 * common case, each checked against the expected value and the general rule.
 */
static const struct {
	const char *name;
	const char *line; /* one header line, CRLF or LF included */
	const char *want;
} value_rows[] = {
	{"common", "X-A: value\r\n", "value"},
	{"one byte", "X-A: v\r\n", "v"},
	{"no space", "X-A:value\r\n", "value"},
	{"two spaces", "X-A:  value\r\n", "value"},
	{"tab", "X-A:\tvalue\r\n", "value"},
	{"trailing space", "X-A: value \r\n", "value"},
	{"trailing tab", "X-A: value\t\r\n", "value"},
	{"bare LF", "X-A: value\n", "value"},
	{"empty", "X-A:\r\n", ""},
	{"space only", "X-A: \r\n", ""},
	{"two spaces only", "X-A:  \r\n", ""},
	{"folded", "X-A: a\r\n b\r\n", "a\r\n b"},
	{"folded, starts on the next line", "X-A:\r\n b\r\n", "b"},
	{"space before the colon", "X-A : value\r\n", "value"},
};

static void
value_fast_and_full_agree(void **state)
{
	char buf[256];
	struct sip_msg m;
	(void)state;

	for (size_t i = 0; i < sizeof(value_rows) / sizeof(value_rows[0]); i++) {
		int n = snprintf(buf, sizeof(buf), REQ HDRS "%s" CRLF, value_rows[i].line);
		const char *p = guard_put(test_slot(0), buf, (size_t)n);
		if (sip_parse(&m, p, (size_t)n, 0) < 0)
			fail_msg("%s: does not parse", value_rows[i].name);
		const struct sip_hdr *h = sip_hdr_first(&m, SIP_HDR_OTHER);
		assert_non_null(h);
		struct sip_str v = sip_hdr_value(&m, h), f = sip_hdr_value_full(&m, h);
		if (v.p != f.p || v.len != f.len || v.len != strlen(value_rows[i].want) ||
				memcmp(v.p, value_rows[i].want, v.len) != 0)
			fail_msg("%s: inline \"%.*s\", full \"%.*s\", want \"%s\"",
					value_rows[i].name, (int)v.len, v.p, (int)f.len, f.p,
					value_rows[i].want);
	}
}

static void
index_and_values(void **state)
{
	static const char msg[] = REQ HDRS
		"Route  :  <sip:r1>" CRLF
		"X-Empty:" CRLF
		"X-Fold: a" CRLF "\t b" CRLF "  c  " CRLF
		"route: <sip:r2>" CRLF
		"v: SIP/2.0/UDP h2" CRLF CRLF;
	struct sip_msg m;
	const struct sip_hdr *h;
	(void)state;

	assert_int_equal(PARSE_LIT(&m, msg), (int)sizeof(msg) - 1);
	assert_true(m.flags & SIP_MSG_FOLDED);
	assert_int_equal(m.n_hdrs, 10);
	assert_int_equal(sip_hdr_count(&m, SIP_HDR_ROUTE), 2);
	assert_int_equal(sip_hdr_count(&m, SIP_HDR_VIA), 2);
	assert_int_equal(sip_hdr_count(&m, SIP_HDR_OTHER), 2);
	assert_int_equal(sip_hdr_count(&m, SIP_HDR_CONTACT), 0);
	assert_null(sip_hdr_first(&m, SIP_HDR_CONTACT));

	h = sip_hdr_first(&m, SIP_HDR_ROUTE);
	assert_view(sip_hdr_name_str(&m, h), "Route");
	assert_view(sip_hdr_value(&m, h), "<sip:r1>");
	h = sip_hdr_next(&m, h);
	assert_view(sip_hdr_name_str(&m, h), "route");
	assert_view(sip_hdr_value(&m, h), "<sip:r2>");
	assert_null(sip_hdr_next(&m, h));

	h = sip_hdr_first(&m, SIP_HDR_OTHER);
	assert_view(sip_hdr_value(&m, h), "");
	h = sip_hdr_next(&m, h);
	/* A folded value keeps its folds; only the ends are trimmed. */
	assert_view(sip_hdr_value(&m, h), "a" CRLF "\t b" CRLF "  c");
	assert_int_equal(m.buf[sip_hdr_end(h) - 1], '\n');
	assert_int_equal(sip_hdr_end(h), (uint32_t)(strstr(msg, "route:") - msg));

	h = sip_hdr_next(&m, sip_hdr_first(&m, SIP_HDR_VIA));
	assert_view(sip_hdr_name_str(&m, h), "v");
}

/* ---- header name lookup ---- */

struct name_case {
	const char *name;
	enum sip_hdr_type type;
};

static const struct name_case *
all_names(size_t *n)
{
	static struct name_case v[2 * SIP_HDR__COUNT];
	static char compact[SIP_HDR__COUNT][2];
	static size_t count;

	if (count == 0) {
#define NAME_ROW(e, long_name, letter, kind) \
	if (SIP_HDR_##e != SIP_HDR_OTHER) { \
		v[count++] = (struct name_case){long_name, SIP_HDR_##e}; \
		if (letter) { \
			compact[SIP_HDR_##e][0] = (char)(letter); \
			v[count++] = (struct name_case){compact[SIP_HDR_##e], SIP_HDR_##e}; \
		} \
	}
		SIP_HEADERS(NAME_ROW)
#undef NAME_ROW
	}
	*n = count;
	return v;
}

/* Look the name up flush against the guard page, the buffer ending where the name does. */
static enum sip_hdr_type
lookup_at_end(const char *name, size_t len)
{
	const char *p = guard_put(test_slot(2), name, len);
	return sip_hdr_lookup(p, len, p + len);
}

/* Inside a larger buffer, so the lookup may read up to 24 bytes ahead. */
static enum sip_hdr_type
lookup_inside(const char *name, size_t len)
{
	char tmp[64];

	assert_true(len + 32 <= sizeof(tmp));
	memcpy(tmp, name, len);
	memset(tmp + len, 'x', sizeof(tmp) - len);
	tmp[len] = ':';
	return sip_hdr_lookup(tmp, len, tmp + sizeof(tmp));
}

static void
expect_type(const char *name, size_t len, enum sip_hdr_type want)
{
	char esc[128];
	enum sip_hdr_type a = lookup_at_end(name, len), b = lookup_inside(name, len);

	if (a != want || b != want)
		fail_msg("\"%s\": types %d (at end) and %d (inside), want %d",
				test_escape(name, len, esc, sizeof(esc)), a, b, want);
}

static void
names_any_case(void **state)
{
	struct rng r;
	size_t n;
	const struct name_case *v = all_names(&n);
	(void)state;

	rng_seed(&r, 42);
	assert_true(n > 40);
	for (size_t i = 0; i < n; i++) {
		char tmp[32];
		size_t len = strlen(v[i].name);
		unsigned letters = 0;
		for (size_t j = 0; j < len; j++)
			letters += isalpha((unsigned char)v[i].name[j]) != 0;
		/* Every case combination when there are at most 2^12, else 4096 random ones. */
		unsigned combos = letters <= 12 ? 1u << letters : 4096;
		for (unsigned k = 0; k < combos; k++) {
			uint64_t bits = letters <= 12 ? k : rng_next(&r);
			unsigned l = 0;
			for (size_t j = 0; j < len; j++) {
				char c = v[i].name[j];
				if (isalpha((unsigned char)c))
					c = (char)(((bits >> l++) & 1) ? toupper(c) : tolower(c));
				tmp[j] = c;
			}
			expect_type(tmp, len, v[i].type);
		}
		if (len > 1)
			assert_string_equal(sip_hdr_name(v[i].type), v[i].name);
	}
	assert_string_equal(sip_hdr_name(SIP_HDR_OTHER), "");
	assert_int_equal(sip_hdr_kind(SIP_HDR_VIA), SIP_HDR_KIND_LIST);
	assert_int_equal(sip_hdr_kind(SIP_HDR_CSEQ), SIP_HDR_KIND_SINGLE);
	assert_int_equal(sip_hdr_kind(SIP_HDR_SUBJECT), SIP_HDR_KIND_OPAQUE);
}

/*
 * Compact forms from the RFCs that define them, written out here rather
 * than taken from the table under test (RFC 3261 §7.3.3 and §20, 3265 o/u,
 * 3515 r, 3892 b, 4028 x, 3841 a/j/d, 4474 y/n).
 */
static void
compact_names_from_the_rfcs(void **state)
{
	static const struct {
		char letter;
		enum sip_hdr_type type;
		const char *name;
	} compact[] = {
		{'i', SIP_HDR_CALL_ID, "Call-ID"}, {'m', SIP_HDR_CONTACT, "Contact"},
		{'e', SIP_HDR_CONTENT_ENCODING, "Content-Encoding"},
		{'l', SIP_HDR_CONTENT_LENGTH, "Content-Length"},
		{'c', SIP_HDR_CONTENT_TYPE, "Content-Type"}, {'f', SIP_HDR_FROM, "From"},
		{'s', SIP_HDR_SUBJECT, "Subject"}, {'k', SIP_HDR_SUPPORTED, "Supported"},
		{'t', SIP_HDR_TO, "To"}, {'v', SIP_HDR_VIA, "Via"}, {'o', SIP_HDR_EVENT, "Event"},
		{'u', SIP_HDR_ALLOW_EVENTS, "Allow-Events"}, {'r', SIP_HDR_REFER_TO, "Refer-To"},
		{'b', SIP_HDR_REFERRED_BY, "Referred-By"},
		{'x', SIP_HDR_SESSION_EXPIRES, "Session-Expires"},
		{'a', SIP_HDR_ACCEPT_CONTACT, "Accept-Contact"},
		{'j', SIP_HDR_REJECT_CONTACT, "Reject-Contact"},
		{'d', SIP_HDR_REQUEST_DISPOSITION, "Request-Disposition"},
		{'y', SIP_HDR_IDENTITY, "Identity"}, {'n', SIP_HDR_IDENTITY_INFO, "Identity-Info"},
	};
	bool taken[26] = {false};
	(void)state;

	for (size_t i = 0; i < sizeof(compact) / sizeof(compact[0]); i++) {
		char lc = compact[i].letter, uc = (char)toupper(lc);
		taken[lc - 'a'] = true;
		expect_type(&lc, 1, compact[i].type);
		expect_type(&uc, 1, compact[i].type);
		expect_type(compact[i].name, strlen(compact[i].name), compact[i].type);
		assert_string_equal(sip_hdr_name(compact[i].type), compact[i].name);
	}
	/* Letters no RFC assigns stay unknown. */
	for (char lc = 'a'; lc <= 'z'; lc++)
		if (!taken[lc - 'a'])
			expect_type(&lc, 1, SIP_HDR_OTHER);
}

/* Type of a name that may be a known one spelled in another case, else OTHER. */
static enum sip_hdr_type
type_of(const char *name, size_t len)
{
	size_t n;
	const struct name_case *v = all_names(&n);

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i].name);
		bool eq = l == len;
		for (size_t j = 0; eq && j < len; j++) {
			int x = tolower((unsigned char)name[j]);
			eq = x == tolower((unsigned char)v[i].name[j]);
		}
		if (eq)
			return v[i].type;
	}
	return SIP_HDR_OTHER;
}

static void
names_odd_bytes(void **state)
{
	size_t n;
	const struct name_case *v = all_names(&n);
	(void)state;

	for (size_t i = 0; i < n; i++) {
		char tmp[32];
		size_t len = strlen(v[i].name);
		/* Every byte at every position: CR never passes for '-', nor 0x80|c for c. */
		for (size_t j = 0; j < len; j++) {
			for (unsigned b = 0; b < 256; b++) {
				memcpy(tmp, v[i].name, len);
				tmp[j] = (char)b;
				expect_type(tmp, len, type_of(tmp, len));
			}
		}
		/* One byte more, one byte less. */
		memcpy(tmp, v[i].name, len);
		tmp[len] = 'x';
		expect_type(tmp, len + 1, type_of(tmp, len + 1));
		expect_type(tmp, len - 1, type_of(tmp, len - 1));
	}
	expect_type("", 0, SIP_HDR_OTHER);
	expect_type("Unknown-LongLongLongLong-Name", 29, SIP_HDR_OTHER);
	expect_type("Request-Dispositionxxxxx", 24, SIP_HDR_OTHER);
}

static void
name_at_end_of_message(void **state)
{
	size_t n;
	const struct name_case *v = all_names(&n);
	(void)state;

	/* A known header last, so its name ends 4 bytes before the guard page. */
	for (size_t i = 0; i < n; i++) {
		char msg[256];
		struct sip_msg m;
		int len = snprintf(msg, sizeof(msg), "%s%s:0\n\n", REQ, v[i].name);
		assert_int_equal(test_parse(&m, msg, (size_t)len), len);
		assert_int_equal(m.n_hdrs, 1);
		assert_int_equal(m.hdr[0].type, v[i].type);
	}
}

/* ---- methods and errors ---- */

static void
methods(void **state)
{
	(void)state;
	for (int mth = 1; mth < SIP_METHOD__COUNT; mth++) {
		const char *name = sip_method_name(mth);
		size_t len = strlen(name);
		char tmp[16];
		assert_int_equal(sip_method_lookup(name, len), mth);
		/* Methods are case-sensitive (RFC 3261 §7.1). */
		for (size_t i = 0; i < len; i++) {
			memcpy(tmp, name, len);
			tmp[i] = (char)tolower((unsigned char)tmp[i]);
			assert_int_equal(sip_method_lookup(tmp, len), SIP_METHOD_UNKNOWN);
		}
		assert_int_equal(sip_method_lookup(name, len - 1), SIP_METHOD_UNKNOWN);
	}
	assert_int_equal(sip_method_lookup("INVITEX", 7), SIP_METHOD_UNKNOWN);
	assert_int_equal(sip_method_lookup("", 0), SIP_METHOD_UNKNOWN);
	assert_string_equal(sip_method_name(SIP_METHOD_UNKNOWN), "");
	assert_string_equal(sip_method_name(SIP_METHOD__COUNT), "");
}

static void
errors(void **state)
{
	static const struct {
		int err;
		unsigned status;
	} statuses[] = {
		{0, 0}, {-SIP_E_START_LINE, 400}, {-SIP_E_VERSION, 505}, {-SIP_E_STATUS_CODE, 0},
		{-SIP_E_SCHEME, 416}, {-SIP_E_TOO_MANY_HOPS, 483}, {-SIP_E_BAD_EXTENSION, 420},
		{-SIP_E_CSEQ_UNKNOWN, 501}, {-SIP_E_TOO_LARGE, 513}, {-SIP_E_EMPTY, 0},
	};
	(void)state;

	for (int e = 0; e < SIP_E__COUNT; e++) {
		assert_true(strlen(sip_err_name(-e)) > 0);
		assert_true(strlen(sip_err_text(-e)) > 0);
		assert_string_equal(sip_err_name(e), sip_err_name(-e));
	}
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		assert_int_equal(sip_err_status(statuses[i].err), statuses[i].status);
	assert_string_equal(sip_err_name(-SIP_E__COUNT), "UNKNOWN");
	assert_string_equal(sip_err_text(-1000), "unknown error");
	assert_int_equal(sip_err_status(-1000), 0);
}

int
test_group_parse(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_count_limit),
		cmocka_unit_test(size_limit),
		cmocka_unit_test(stream_too_large),
		cmocka_unit_test(index_and_values),
		cmocka_unit_test(value_fast_and_full_agree),
		cmocka_unit_test(names_any_case),
		cmocka_unit_test(compact_names_from_the_rfcs),
		cmocka_unit_test(names_odd_bytes),
		cmocka_unit_test(name_at_end_of_message),
		cmocka_unit_test(methods),
		cmocka_unit_test(errors),
	};
	int failed = RUN_ROWS("parse_cases", parse_cases, run_parse_case);
	return failed + cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
