/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_DIGITS_H
#define RULES_DIGITS_H

/*
 * Regexes of the shape carriers write for number ranges,
 * ^LITERAL[0-9]{m,n}$ (also {m}, *, +, \d, and no repeat), answered by a
 * literal compare, a length check and a digit-class check instead of
 * pcre2_match() (~600 instructions). Only the single-regex check of a rule
 * found by its literal prefix uses it: that check needs no captures (a
 * substitution runs its own match). PCRE2 stays the specification:
 * tests/rules/test_digits.c runs both on generated patterns and subjects.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rules_util.h"

#define RULES_DIGITS_LIT_MAX 27
#define RULES_DIGITS_UNBOUNDED UINT16_MAX

struct rules_digits {
	uint8_t ok;       /* the pattern has the shape: the fields below answer it */
	uint8_t lit_len;
	uint16_t min;     /* digits after the literal */
	uint16_t max;     /* RULES_DIGITS_UNBOUNDED: no upper bound */
	char lit[RULES_DIGITS_LIT_MAX];
};

/*
 * Recognise pat[0..len) (PCRE2 syntax, compiled without options, or
 * caseless when the literal holds no letter). False: not that shape (d->ok
 * is 0), PCRE2 must answer.
 */
RULES_INTERNAL bool rules_digits_compile(const char *pat, size_t len, bool caseless,
		struct rules_digits *d);

/*
 * Does s[0..len) match d (d->ok)? Same answer as pcre2_match() of the
 * pattern. A subject ending in '\n' is left to PCRE2 ($ also matches
 * before a final newline): -1, else 1 or 0.
 */
static inline int
rules_digits_match(const struct rules_digits *d, const char *s, size_t len)
{
	if (len != 0 && s[len - 1] == '\n')
		return -1;
	if (len < (size_t)d->lit_len + d->min || (d->max != RULES_DIGITS_UNBOUNDED &&
			len > (size_t)d->lit_len + d->max))
		return 0;
	if (memcmp(s, d->lit, d->lit_len) != 0)
		return 0;
	for (size_t i = d->lit_len; i < len; i++)
		if ((unsigned)(s[i] - '0') > 9)
			return 0;
	return 1;
}

#endif
