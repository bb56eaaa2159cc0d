/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Literal prefixes of anchored regexes: every match of "^(00|\\+)49[0-9]+"
 * starts with "0049" or "+49", so such a rule is indexed like a prefix
 * rule and its regex is only checked when the index names it as a
 * candidate. Pure string code without builder state, tested directly by
 * tests/rules/test_oracle.c.
 */
#include <stdbool.h>
#include <string.h>

#include "rules_build.h"

static bool
re_meta(char c)
{
	return strchr("\\^$.|?*+()[]{}", c) != NULL;
}

static bool
re_quant(char c)
{
	return c == '?' || c == '*' || c == '+' || c == '{';
}

/* One literal character at p[i] (plain or backslash-punctuation): its byte and length. */
static int
re_literal(const char *p, size_t n, size_t i, char *ch)
{
	unsigned char c = (unsigned char)p[i];

	if (c == '\\') {
		if (i + 1 >= n)
			return 0;
		unsigned char e = (unsigned char)p[i + 1];
		/* \d, \x41, \Q and friends are not literals; escaped punctuation is. */
		if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9') ||
				e < 0x21 || e >= 0x7f)
			return 0;
		*ch = (char)e;
		return 2;
	}
	if (re_meta((char)c) || c < 0x21 || c >= 0x7f)
		return 0;
	*ch = (char)c;
	return 1;
}

/* Is there a '|' outside every group and class? Then no prefix is shared by all matches. */
static bool
re_top_alternation(const char *p, size_t n)
{
	int depth = 0;
	bool cls = false;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\\') {
			i++;
			continue;
		}
		if (cls) {
			if (c == ']')
				cls = false;
			continue;
		}
		if (c == '[') {
			cls = true;
			/* A ']' right after '[' or '[^' is literal. */
			if (i + 1 < n && p[i + 1] == '^')
				i++;
			if (i + 1 < n && p[i + 1] == ']')
				i++;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			depth--;
		} else if (c == '|' && depth == 0) {
			return true;
		}
	}
	return false;
}

unsigned
rules_regex_literals(const char *p, size_t n, char lit[][RELIT_LEN + 1], unsigned max)
{
	size_t len[RELIT_MAX];
	unsigned cnt = 1;
	size_t i = 1;

	if (max > RELIT_MAX)
		max = RELIT_MAX;
	if (n < 2 || p[0] != '^' || max == 0 || re_top_alternation(p, n))
		return 0;
	len[0] = 0;
	while (i < n && len[0] < RELIT_LEN) {
		char ch;
		int k = re_literal(p, n, i, &ch);
		if (k > 0) {
			/* A quantified character may be absent or repeated: stop before it. */
			if (i + (size_t)k < n && re_quant(p[i + (size_t)k]))
				break;
			for (unsigned j = 0; j < cnt; j++)
				if (len[j] < RELIT_LEN)
					lit[j][len[j]++] = ch;
			i += (size_t)k;
			continue;
		}
		if (p[i] != '(')
			break;
		/* A group of literal alternatives, "(a|b)" or "(?:a|b)", not quantified. */
		char alt[RELIT_MAX][RELIT_LEN + 1];
		size_t alen[RELIT_MAX];
		unsigned na = 1;
		size_t j = i + 1;
		bool ok = true;
		if (j + 1 < n && p[j] == '?' && p[j + 1] == ':')
			j += 2;
		alen[0] = 0;
		while (j < n && p[j] != ')') {
			if (p[j] == '|') {
				if (na == RELIT_MAX) {
					ok = false;
					break;
				}
				alen[na++] = 0;
				j++;
				continue;
			}
			k = re_literal(p, n, j, &ch);
			if (k == 0 || (j + (size_t)k < n && re_quant(p[j + (size_t)k])) ||
					alen[na - 1] == RELIT_LEN) {
				ok = false;
				break;
			}
			alt[na - 1][alen[na - 1]++] = ch;
			j += (size_t)k;
		}
		if (!ok || j >= n || (j + 1 < n && re_quant(p[j + 1])) || cnt * na > max)
			break;
		for (unsigned a = 0; a < na; a++)
			if (alen[a] == 0)
				ok = false;
		if (!ok)
			break;
		/* Every current prefix times every alternative. */
		char nl[RELIT_MAX][RELIT_LEN + 1];
		size_t nlen[RELIT_MAX];
		unsigned nc = 0;
		for (unsigned x = 0; x < cnt; x++) {
			for (unsigned a = 0; a < na; a++) {
				size_t l = len[x] + alen[a] > RELIT_LEN ? RELIT_LEN - len[x] :
					alen[a];
				memcpy(nl[nc], lit[x], len[x]);
				memcpy(nl[nc] + len[x], alt[a], l);
				nlen[nc] = len[x] + l;
				nc++;
			}
		}
		for (unsigned x = 0; x < nc; x++) {
			memcpy(lit[x], nl[x], nlen[x]);
			len[x] = nlen[x];
		}
		cnt = nc;
		i = j + 1;
	}
	for (unsigned x = 0; x < cnt; x++) {
		if (len[x] == 0)
			return 0;
		lit[x][len[x]] = '\0';
	}
	return cnt;
}
