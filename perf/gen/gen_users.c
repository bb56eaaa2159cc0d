/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_users.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
load_list(struct gen_source *s, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[256];
	uint32_t cap = 0;
	unsigned ln = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		ln++;
		size_t n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (n >= GEN_USER_MAX || strcspn(line, " \t;@<>\"") != n) {
			snprintf(err, errlen, "%s line %u: not a user part of at most %d characters "
					"without spaces, ';', '@', '<', '>' or quotes", path, ln,
					GEN_USER_MAX - 1);
			fclose(f);
			return -1;
		}
		if (s->n_list == cap) {
			cap = cap ? cap * 2 : 1024;
			void *nl = realloc(s->list, (size_t)cap * GEN_USER_MAX);
			if (nl == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				fclose(f);
				return -1;
			}
			s->list = nl;
		}
		memcpy(s->list[s->n_list++], line, n + 1);
	}
	fclose(f);
	if (s->n_list == 0) {
		snprintf(err, errlen, "%s: no users in the file", path);
		return -1;
	}
	return 0;
}

static int
parse_source(struct gen_source *s, const char *spec, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (spec[0] == '@')
		return load_list(s, spec + 1, err, errlen);
	const char *dash = strchr(spec, '-');
	if (dash == NULL || dash == spec || dash[1] == '\0')
		goto bad;
	char *e;
	errno = 0;
	s->lo = strtoull(spec, &e, 10);
	if (e != dash || errno != 0)
		goto bad;
	s->hi = strtoull(dash + 1, &e, 10);
	if (*e != '\0' || errno != 0 || s->hi < s->lo)
		goto bad;
	s->width = (unsigned)(e - dash - 1);
	if (s->width >= GEN_USER_MAX)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "users '%s': LO-HI (decimal, LO <= HI, at most %d digits) or @FILE",
			spec, GEN_USER_MAX - 1);
	return -1;
}

static void
cuts(struct gen_users *u)
{
	uint64_t acc = 0;
	for (unsigned i = 0; i < u->n; i++) {
		acc += u->weight[i];
		u->cut[i] = (acc << 32) / 100;
	}
	u->cut[u->n - 1] = 1ull << 32;
}

int
gen_users_parse_source(struct gen_users *u, const char *spec, char *err, size_t errlen)
{
	gen_users_free(u);
	if (parse_source(&u->src[0], spec, err, errlen) != 0)
		return -1;
	u->n = 1;
	u->cls[0] = 'o';
	u->weight[0] = 100;
	cuts(u);
	return 0;
}

int
gen_users_parse_mix(struct gen_users *u, const char *spec, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		char cls;
	} kinds[] = {{"redirect", 'r'}, {"forward", 'f'}, {"noroute", 'n'}, {"other", 'o'}};
	char buf[1024];
	unsigned total = 0;

	gen_users_free(u);
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "--mix: too long");
		return -1;
	}
	strcpy(buf, spec);
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *colon = eq ? strchr(eq, ':') : NULL;
		if (eq == NULL || colon == NULL) {
			snprintf(err, errlen, "--mix item '%s': CLASS=PERCENT:SOURCE", item);
			goto fail;
		}
		*eq = *colon = '\0';
		char c = 0;
		for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(item, kinds[k].name) == 0)
				c = kinds[k].cls;
		if (c == 0) {
			snprintf(err, errlen, "--mix: unknown class '%s' (redirect, forward, noroute, "
					"other)", item);
			goto fail;
		}
		for (unsigned k = 0; k < u->n; k++)
			if (u->cls[k] == c) {
				snprintf(err, errlen, "--mix: class '%s' given twice", item);
				goto fail;
			}
		char *e;
		unsigned long w = strtoul(eq + 1, &e, 10);
		if (*e != '\0' || e == eq + 1 || w > 100) {
			snprintf(err, errlen, "--mix %s: percentage '%s' is not 0-100", item, eq + 1);
			goto fail;
		}
		if (u->n == GEN_CLASSES) {
			snprintf(err, errlen, "--mix: at most %d classes", GEN_CLASSES);
			goto fail;
		}
		if (parse_source(&u->src[u->n], colon + 1, err, errlen) != 0)
			goto fail;
		u->cls[u->n] = c;
		u->weight[u->n] = (uint32_t)w;
		u->n++;
		total += (unsigned)w;
	}
	if (u->n == 0 || total != 100) {
		snprintf(err, errlen, "--mix: the percentages add up to %u, not 100", total);
		goto fail;
	}
	cuts(u);
	return 0;
fail:
	gen_users_free(u);
	return -1;
}

void
gen_users_free(struct gen_users *u)
{
	for (unsigned i = 0; i < GEN_CLASSES; i++)
		free(u->src[i].list);
	memset(u, 0, sizeof(*u));
}

unsigned
gen_users_max_len(const struct gen_users *u)
{
	unsigned m = 0;
	for (unsigned i = 0; i < u->n; i++) {
		const struct gen_source *s = &u->src[i];
		if (s->n_list == 0) {
			if (s->width > m)
				m = s->width;
			continue;
		}
		for (uint32_t k = 0; k < s->n_list; k++)
			if (strlen(s->list[k]) > m)
				m = (unsigned)strlen(s->list[k]);
	}
	return m;
}

unsigned
gen_users_fixed_width(const struct gen_users *u)
{
	unsigned w = 0;
	for (unsigned i = 0; i < u->n; i++) {
		const struct gen_source *s = &u->src[i];
		for (uint32_t k = 0; k < (s->n_list ? s->n_list : 1); k++) {
			unsigned l = s->n_list ? (unsigned)strlen(s->list[k]) : s->width;
			if (w != 0 && l != w)
				return 0;
			w = l;
		}
	}
	return w;
}

/* The 8 decimal digits of x < 10^8 as 8 characters (little-endian word), SWAR. */
static inline uint64_t
digits8(uint64_t x)
{
	/* Two lanes of 4 digits (32 bits each), the first digits in the low lane. */
	uint64_t v = x / 10000 | (x % 10000) << 32;
	/* Each lane / 100 (10486 / 2^20, exact below 10^4), then quotient and remainder as 16-bit lanes. */
	uint64_t q = ((v * 10486) >> 20) & 0x0000007f0000007full;
	v = (v - q * 100) << 16 | q;
	/* Each 16-bit lane / 10 (103 / 2^10, exact below 100), tens in the lower byte. */
	uint64_t t = ((v * 103) >> 10) & 0x000f000f000f000full;
	v = (v - t * 10) << 8 | t;
	return v + 0x3030303030303030ull;
}

void
gen_digits(char *buf, uint64_t x, unsigned width)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	int k = (int)width;
	/* Eight digits at a time from the right, then two (multiplies, not divisions). */
	while (k >= 8) {
		uint64_t d = digits8(x % 100000000u);
		memcpy(buf + k - 8, &d, 8);
		x /= 100000000u;
		k -= 8;
	}
	while (k >= 2) {
		memcpy(buf + k - 2, pairs + 2 * (x % 100), 2);
		x /= 100;
		k -= 2;
	}
	if (k == 1)
		buf[0] = (char)('0' + x % 10);
}

unsigned
gen_users_draw(const struct gen_users *u, uint64_t *rng, char *buf, char *cls)
{
	uint64_t r = gen_rand(rng);
	uint64_t pick = r >> 32;
	unsigned i = 0;
	while (i + 1 < u->n && pick >= u->cut[i])
		i++;
	*cls = u->cls[i];
	const struct gen_source *s = &u->src[i];
	uint64_t r2 = gen_rand(rng);
	if (s->n_list != 0) {
		const char *p = s->list[(uint64_t)(((unsigned __int128)r2 * s->n_list) >> 64)];
		unsigned n = (unsigned)strlen(p);
		memcpy(buf, p, n);
		return n;
	}
	uint64_t span = s->hi - s->lo + 1; /* 0: the whole 64-bit range */
	/* r2 * span / 2^64: uniform enough, and no division. */
	uint64_t x = s->lo + (span ? (uint64_t)(((unsigned __int128)r2 * span) >> 64) : r2);
	gen_digits(buf, x, s->width);
	return s->width;
}
