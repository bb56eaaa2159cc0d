/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shape ^LITERAL[0-9]{m,n}$ recognised in a regex's text (see
 * rules_digits.h). Anything this parser does not fully understand is left
 * to PCRE2: it accepts a small, exact subset of the syntax.
 */
#include "rules_digits.h"

#include <ctype.h>

/* A decimal number at *p (at most 5 digits, <= 65534). */
static bool
num(const char **p, const char *end, uint16_t *out)
{
	unsigned v = 0, n = 0;
	while (*p < end && isdigit((unsigned char)**p) && n < 5) {
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
		n++;
	}
	if (n == 0 || v >= RULES_DIGITS_UNBOUNDED)
		return false;
	*out = (uint16_t)v;
	return true;
}

bool
rules_digits_compile(const char *pat, size_t len, bool caseless, struct rules_digits *d)
{
	const char *p = pat, *end = pat + len;

	memset(d, 0, sizeof(*d));
	if (len < 2 || *p++ != '^' || end[-1] != '$')
		return false;
	end--; /* the final '$' */
	if (end > p && end[-1] == '\\')
		return false; /* "\$": a literal dollar, not the anchor */

	/* The literal: characters with no meaning, or an escaped punctuation mark. */
	while (p < end) {
		char c = *p;
		if (c == '\\' && p + 1 < end && ispunct((unsigned char)p[1])) {
			c = p[1];
			p += 2;
		} else if (isalnum((unsigned char)c) || c == '@' || c == '-' || c == '_' ||
				c == '~' || c == '%' || c == '!' || c == '=' || c == '&' ||
				c == ',' || c == ';' || c == '/' || c == '#' || c == '\'' ||
				c == '"' || c == ':' || c == '<' || c == '>' || c == '`') {
			/* the digit class comes next, or a repeat applies to this char */
			if (p + 1 < end && (p[1] == '{' || p[1] == '*' || p[1] == '+' ||
					p[1] == '?'))
				return false;
			p++;
		} else {
			break;
		}
		if (caseless && isalpha((unsigned char)c))
			return false;
		if (d->lit_len == RULES_DIGITS_LIT_MAX)
			return false;
		d->lit[d->lit_len++] = c;
	}
	/* A repeat after an escaped literal applies to it: not ours. */
	if (p < end && p > pat + 1 && p[-2] == '\\' && (*p == '{' || *p == '*' || *p == '+' ||
			*p == '?'))
		return false;

	/* The digit class, if any. */
	if (p == end) {
		d->min = d->max = 0;
		d->ok = 1;
		return true;
	}
	if (end - p >= 5 && memcmp(p, "[0-9]", 5) == 0)
		p += 5;
	else if (end - p >= 2 && memcmp(p, "\\d", 2) == 0)
		p += 2;
	else
		return false;

	/* Its repeat. */
	if (p == end) {
		d->min = d->max = 1;
	} else if (*p == '*' && p + 1 == end) {
		d->min = 0;
		d->max = RULES_DIGITS_UNBOUNDED;
		p++;
	} else if (*p == '+' && p + 1 == end) {
		d->min = 1;
		d->max = RULES_DIGITS_UNBOUNDED;
		p++;
	} else if (*p == '{') {
		p++;
		if (!num(&p, end, &d->min))
			return false;
		if (p < end && *p == '}') {
			d->max = d->min;
		} else if (p < end && *p == ',') {
			p++;
			if (p < end && *p == '}')
				d->max = RULES_DIGITS_UNBOUNDED;
			else if (!num(&p, end, &d->max) || d->max < d->min)
				return false;
		} else {
			return false;
		}
		if (p >= end || *p != '}')
			return false;
		p++;
	} else {
		return false;
	}
	if (p != end)
		return false;
	d->ok = 1;
	return true;
}
