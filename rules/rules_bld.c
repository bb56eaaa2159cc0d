/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The builder object and what rules share: a small open-addressing hash
 * table, the string pool where equal strings are interned once, the
 * directives (name, version, tiebreak) and gateway groups. The rule
 * checks (rules_check.c), the indexes (rules_index.c) and bld_finish()
 * (rules_finish.c) work on the same struct bld.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rules_bld_int.h"

/* ---- hash table of indexes ---- */

uint32_t
bld_htab_get(const struct htab *t, uint64_t h, htab_eq_fn eq, const void *ctx)
{
	if (t->slot == NULL)
		return UINT32_MAX;
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		if (t->slot[i] == 0)
			return UINT32_MAX;
		if (t->hash[i] == h && eq(ctx, t->slot[i] - 1))
			return t->slot[i] - 1;
	}
}

int
bld_htab_put(struct htab *t, uint64_t h, uint32_t idx)
{
	if (t->slot == NULL || (t->n + 1) * 2 > t->mask + 1) {
		size_t cap = t->slot == NULL ? 64 : (t->mask + 1) * 2;
		uint32_t *slot = calloc(cap, sizeof(*slot));
		uint64_t *hash = calloc(cap, sizeof(*hash));
		if (slot == NULL || hash == NULL) {
			free(slot);
			free(hash);
			return -ENOMEM;
		}
		for (size_t i = 0; t->slot != NULL && i <= t->mask; i++) {
			if (t->slot[i] == 0)
				continue;
			size_t j = t->hash[i] & (cap - 1);
			while (slot[j] != 0)
				j = (j + 1) & (cap - 1);
			slot[j] = t->slot[i];
			hash[j] = t->hash[i];
		}
		free(t->slot);
		free(t->hash);
		t->slot = slot;
		t->hash = hash;
		t->mask = cap - 1;
	}
	size_t i = h & t->mask;
	while (t->slot[i] != 0)
		i = (i + 1) & t->mask;
	t->slot[i] = idx + 1;
	t->hash[i] = h;
	t->n++;
	return 0;
}

static void
htab_free(struct htab *t)
{
	free(t->slot);
	free(t->hash);
	memset(t, 0, sizeof(*t));
}

/* ---- builder basics ---- */

struct bld *
bld_new(const char *source, const struct rules_compile_opts *opts)
{
	struct bld *b = calloc(1, sizeof(*b));
	struct rules_cond dummy = {0};
	char nul = '\0';

	if (b == NULL)
		return NULL;
	snprintf(b->plan_source, sizeof(b->plan_source), "%s", source);
	snprintf(b->src_name[0], sizeof(b->src_name[0]), "%s", source);
	b->source = b->src_name[0];
	if (opts != NULL)
		b->opts = *opts;
	errlist_init(&b->errs, b->opts.max_errors);
	b->sha = EVP_MD_CTX_new();
	/* Offset 0 of the pool is the empty string; condition 0 means "no filters". */
	if (b->sha == NULL || EVP_DigestInit_ex(b->sha, EVP_sha256(), NULL) != 1 ||
			vec_push(&b->pool, 1, &nul) < 0 ||
			vec_push(&b->conds, sizeof(dummy), &dummy) < 0) {
		bld_free(b);
		return NULL;
	}
	return b;
}

void
bld_free(struct bld *b)
{
	if (b == NULL)
		return;
	EVP_MD_CTX_free(b->sha);
	errlist_free(&b->errs);
	struct bld_group *g = b->groups.p;
	for (size_t i = 0; i < b->groups.n; i++)
		vec_free(&g[i].members);
	pcre2_code **pc = b->pcre_codes.p;
	for (size_t i = 0; i < b->pcre_codes.n; i++)
		pcre2_code_free(pc[i]);
	struct vec *vs[] = {&b->pool, &b->progs, &b->ops, &b->contacts, &b->hdrs, &b->conds,
		&b->cidrs, &b->regex, &b->pcres, &b->pcre_codes, &b->gws, &b->groups, &b->trules,
		&b->gvals, &b->relits, &b->relit_strs, &b->progkey, &b->progkey_off, &b->prog_group,
		&b->prog_line};
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
		vec_free(vs[i]);
	htab_free(&b->strtab);
	htab_free(&b->progtab);
	htab_free(&b->gwtab);
	htab_free(&b->grouptab);
	htab_free(&b->pcretab);
	free(b);
}

void
bld_set_source(struct bld *b, const char *source, unsigned src_idx)
{
	snprintf(b->src_name[src_idx], sizeof(b->src_name[src_idx]), "%s", source);
	b->source = b->src_name[src_idx];
	b->src_idx = src_idx;
}

void
bld_digest(struct bld *b, const void *p, size_t n)
{
	if (EVP_DigestUpdate(b->sha, p, n) != 1)
		b->oom = true;
}

void
bld_error(struct bld *b, uint32_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(&b->errs, b->source, b->src_idx, line, fmt, ap);
	va_end(ap);
}

unsigned
rules_hs_flags(unsigned field)
{
	/* Hosts are case-insensitive (RFC 3261 §19.1.4); users are not. */
	return HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY |
		(field == RULES_F_DOMAIN ? HS_FLAG_CASELESS : 0);
}

/* ---- pool strings, interned: equal strings get equal offsets ---- */

struct str_eq_ctx {
	const struct bld *b;
	const char *p;
	size_t n;
};

static bool
str_eq(const void *ctx, uint32_t idx)
{
	const struct str_eq_ctx *c = ctx;
	const char *pool = c->b->pool.p;
	/* idx is the pool offset; its length sits right after the string's NUL. */
	uint32_t len;
	memcpy(&len, pool + idx - sizeof(len), sizeof(len));
	return len == c->n && memcmp(pool + idx, c->p, c->n) == 0;
}

/*
 * Pool layout of an interned string: 4-byte length, bytes, NUL. The
 * length prefix lets equality checks run without a side table.
 */
int
bld_intern(struct bld *b, const char *p, size_t n, struct rules_sref *out)
{
	uint64_t h = rules_hash_bytes(p, n, 0);
	struct str_eq_ctx c = {b, p, n};
	uint32_t idx = bld_htab_get(&b->strtab, h, str_eq, &c);
	uint32_t len = (uint32_t)n;

	if (idx != UINT32_MAX) {
		*out = (struct rules_sref){idx, len};
		return 0;
	}
	if (b->pool.n + n + 5 > UINT32_MAX) {
		b->oom = true;
		return -E2BIG;
	}
	/* p may point into the pool itself: copy before growing. */
	char tmp[VALUE_MAX + 1];
	char *heap = NULL;
	const char *src = p;
	if (n <= VALUE_MAX) {
		memcpy(tmp, p, n);
		src = tmp;
	} else {
		heap = malloc(n);
		if (heap == NULL) {
			b->oom = true;
			return -ENOMEM;
		}
		memcpy(heap, p, n);
		src = heap;
	}
	char *dst = vec_grow(&b->pool, 1, n + 5);
	if (dst == NULL) {
		free(heap);
		b->oom = true;
		return -ENOMEM;
	}
	memcpy(dst, &len, 4);
	memcpy(dst + 4, src, n);
	dst[4 + n] = '\0';
	free(heap);
	idx = (uint32_t)(dst + 4 - (char *)b->pool.p);
	if (bld_htab_put(&b->strtab, h, idx) < 0) {
		b->oom = true;
		return -ENOMEM;
	}
	*out = (struct rules_sref){idx, len};
	return 0;
}

int
bld_intern_view(struct bld *b, struct rules_view v, struct rules_sref *out)
{
	if (v.len == 0) {
		*out = (struct rules_sref){0, 0};
		return 0;
	}
	return bld_intern(b, v.p, v.len, out);
}

/* ---- directives ---- */

void
bld_set_name(struct bld *b, struct rules_view name, uint32_t line)
{
	if (b->have_name) {
		bld_error(b, line, "plan name given twice");
		return;
	}
	memcpy(b->name, name.p, name.len);
	b->name[name.len] = '\0';
	b->have_name = true;
}

void
bld_set_version(struct bld *b, uint64_t version)
{
	b->version = version;
}

void
bld_set_tiebreak(struct bld *b, uint32_t tiebreak, uint32_t line)
{
	if (b->n_rule_lines != 0) {
		bld_error(b, line, "tiebreak must come before the first rule");
		return;
	}
	b->tiebreak = tiebreak;
}

bool
bld_group_eq(const void *ctx, uint32_t idx)
{
	const struct group_eq_ctx *c = ctx;
	const struct bld_group *g = (const struct bld_group *)c->b->groups.p + idx;

	return g->name.off == c->name.off;
}

struct gw_key {
	struct rules_sref host;
	uint16_t port;
	uint8_t tp;
};

struct gw_eq_ctx {
	const struct bld *b;
	struct gw_key k;
};

static bool
gw_eq(const void *ctx, uint32_t idx)
{
	const struct gw_eq_ctx *c = ctx;
	const struct rules_gw *g = (const struct rules_gw *)c->b->gws.p + idx;

	return g->host.off == c->k.host.off && g->port == c->k.port && g->transport == c->k.tp;
}

void
bld_add_gateway(struct bld *b, struct rules_view group, struct rules_view host, uint16_t port,
		uint8_t transport, uint32_t weight, uint32_t line)
{
	struct group_eq_ctx gc = {b, {0, 0}};
	struct gw_eq_ctx wc = {b, {{0, 0}, port, transport}};
	char lc[256];

	/* Host names compare case-insensitively: store them lower-cased. */
	for (uint32_t i = 0; i < host.len; i++)
		lc[i] = (char)(host.p[i] >= 'A' && host.p[i] <= 'Z' ? host.p[i] + 32 : host.p[i]);
	if (bld_intern_view(b, group, &gc.name) < 0 || bld_intern(b, lc, host.len, &wc.k.host) < 0)
		return;
	uint64_t gh = rules_mix64(gc.name.off);
	uint32_t gi = bld_htab_get(&b->grouptab, gh, bld_group_eq, &gc);
	if (gi == UINT32_MAX) {
		struct bld_group g = {gc.name, line, b->src_idx, {0}};
		gi = (uint32_t)b->groups.n;
		if (vec_push(&b->groups, sizeof(g), &g) < 0 ||
				bld_htab_put(&b->grouptab, gh, gi) < 0) {
			b->oom = true;
			return;
		}
	}
	uint64_t wh = rules_mix64((uint64_t)wc.k.host.off << 24 | (uint64_t)port << 8 | transport);
	uint32_t wi = bld_htab_get(&b->gwtab, wh, gw_eq, &wc);
	if (wi == UINT32_MAX) {
		struct rules_gw g = {wc.k.host, port, transport, 0};
		wi = (uint32_t)b->gws.n;
		if (vec_push(&b->gws, sizeof(g), &g) < 0 || bld_htab_put(&b->gwtab, wh, wi) < 0) {
			b->oom = true;
			return;
		}
	}
	struct bld_group *g = (struct bld_group *)b->groups.p + gi;
	struct rules_member *m = g->members.p;
	for (size_t i = 0; i < g->members.n; i++) {
		if (m[i].gw == wi) {
			bld_error(b, line, "group %.*s: gateway %.*s:%u;transport=%s listed twice",
					(int)group.len, group.p, (int)host.len, host.p, port,
					rules_transport_name((enum rules_transport)transport));
			return;
		}
	}
	if (g->members.n == 1024) {
		bld_error(b, line, "group %.*s: more than 1024 gateways", (int)group.len, group.p);
		return;
	}
	struct rules_member nm = {wi, weight};
	if (vec_push(&g->members, sizeof(nm), &nm) < 0)
		b->oom = true;
}
