/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The From, To and Contact values carriers write, parsed in one pass:
 * [ "quoted" SP | token *(SP token) SP ] "<" uri ">" or a bare addr-spec,
 * then *(";" name ["=" token]). Anything else -- other LWS, escapes in the
 * display name, quoted or bracketed parameter values, bad syntax, "*" -- is
 * left to the full parser (sip_naddr_parse_full()), which stays the
 * specification: the fast path either returns exactly what the full parser
 * would, or declines. sip_naddr_fast_compare() (tests/common/sip_exercise.c)
 * holds both to that in the unit tests, the corpus runs and the fuzzers.
 */
#include "sip_naddr.h"

#include "sip_fast.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * A quoted display name without escapes or line breaks: the byte after it,
 * or NULL. With SSE2, 16 bytes a step while that many are left (the name is
 * followed by at least "<x:y>" in any message worth the fast path), then the
 * byte loop, which is the definition.
 */
static const char *
quoted(const char *p, const char *end)
{
	p++;
#ifdef __SSE2__
	while (end - p >= 16) {
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(
				_mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('"')),
					_mm_cmpeq_epi8(b, _mm_set1_epi8('\\'))),
				_mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('\r')),
					_mm_cmpeq_epi8(b, _mm_set1_epi8('\n'))));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		if (m != 0) {
			p += __builtin_ctz(m);
			return *p == '"' ? p + 1 : NULL;
		}
		p += 16;
	}
#endif
	for (; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' || *p == '\r' || *p == '\n')
			return NULL;
	}
	return NULL;
}

/* The '<' after a display name ending at p (directly or after one SP), or NULL. */
static const char *
angle_after(const char *p, const char *end)
{
	if (p < end && *p == '<')
		return p;
	if (end - p >= 2 && p[0] == ' ' && p[1] == '<')
		return p + 1;
	return NULL;
}

/*
 * The display name at p: the '<' that follows it (a->display set), or
 * NULL with *bare set for an addr-spec, or NULL to decline.
 */
static const char *
display(struct sip_naddr *a, const char *p, const char *end, bool *bare)
{
	const char *d = p, *lt;

	*bare = false;
	if (*p == '<')
		return p;
	if (*p == '"') {
		const char *q = quoted(p, end);
		if (q == NULL || (lt = angle_after(q, end)) == NULL)
			return NULL;
		a->display = sip_str_span(d, q);
		return lt;
	}
	const char *t = lex_span(p, end, SIP_C_TOKEN);
	if (t < end && *t == ':' && t > p) {
		*bare = true;
		return NULL;
	}
	for (;;) {
		if (t == p)
			return NULL;
		if ((lt = angle_after(t, end)) != NULL) {
			a->display = sip_str_span(d, t);
			return lt;
		}
		if (end - t < 2 || t[0] != ' ' || (unsigned char)t[1] <= ' ')
			return NULL;
		p = t + 1;
		t = lex_span(p, end, SIP_C_TOKEN);
	}
}

/* 0 and the same *a and *next as sip_naddr_parse_full(), or 1: not the common form. */
static int
naddr_fast(struct sip_naddr *a, const char *p, const char *end, unsigned flags,
		const char **next)
{
	bool bare;

	if (p == end || (unsigned char)*p <= ' ' || ((flags & SIP_NADDR_STAR) && *p == '*'))
		return 1;
	memset(a, 0, sizeof(*a));
	a->start = p;
	const char *lt = display(a, p, end, &bare);
	if (lt != NULL) {
		const char *gt = lex_find_or_ctl(lt + 1, end, '>');
		if (gt == end || *gt != '>' || gt == lt + 1)
			return 1;
		a->uri = sip_str_span(lt + 1, gt);
		a->bracketed = 1;
		p = gt + 1;
	} else if (bare && !(flags & SIP_NADDR_NEED_BRACKETS)) {
		const char *u = p;
		while (p < end && *p != ';' && (unsigned char)*p > ' ' &&
				!((flags & SIP_NADDR_LIST) && *p == ','))
			p++;
		a->uri = sip_str_span(u, p);
		if (lex_find(u, p, '?') != p)
			return 1;
	} else {
		return 1;
	}
	if (!sip_fast_no_lws(p, end))
		return 1;

	if (p < end && *p == ';') {
		const char *s = p + 1;
		struct sip_param prm;
		p = s;
		for (;;) {
			if (sip_fast_param(&p, end, &prm) < 0)
				return 1;
			if (SIP_STR_CASEEQ_LIT(prm.name, "tag")) {
				if (!prm.has_value)
					return 1;
				a->tag = prm.value;
				a->has_tag = 1;
			}
			if (p == end || *p == ',')
				break;
			p++; /* ';' */
		}
		a->params = sip_str_span(s, lex_rtrim(s, p));
	}
	a->end = lex_rtrim(a->start, p);
	if (p < end) {
		if (*p != ',' || !(flags & SIP_NADDR_LIST))
			return 1;
		a->more = 1;
		p++;
	}
	if (flags & SIP_NADDR_CHECK_URI) {
		struct sip_uri u;
		if (sip_uri_parse(&u, a->uri.p, a->uri.len) != 0)
			return 1;
	}
	*next = p;
	return 0;
}

int
sip_naddr_parse(struct sip_naddr *a, const char *p, const char *end, unsigned flags,
		const char **next)
{
	if (naddr_fast(a, p, end, flags, next) == 0)
		return 0;
	return sip_naddr_parse_full(a, p, end, flags, next);
}

int
sip_naddr_parse_fast(struct sip_naddr *a, const char *p, const char *end, unsigned flags,
		const char **next)
{
	return naddr_fast(a, p, end, flags, next);
}
