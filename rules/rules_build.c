/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The builder: meaning of each rule (regexes, captures, templates, group
 * names), interning of what rules share, then, once the whole plan is in
 * and known good, precedence order and the indexes. A plan with any
 * error is never built: errors are collected for every line first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rules_build.h"
#include "rules_dix.h"
#include "rules_sort.h"

/* ---- hash table of indexes ---- */

typedef bool (*htab_eq_fn)(const void *ctx, uint32_t idx);

static uint32_t
htab_get(const struct htab *t, uint64_t h, htab_eq_fn eq, const void *ctx)
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

static int
htab_put(struct htab *t, uint64_t h, uint32_t idx)
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
static int
intern(struct bld *b, const char *p, size_t n, struct rules_sref *out)
{
	uint64_t h = rules_hash_bytes(p, n, 0);
	struct str_eq_ctx c = {b, p, n};
	uint32_t idx = htab_get(&b->strtab, h, str_eq, &c);
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
	if (htab_put(&b->strtab, h, idx) < 0) {
		b->oom = true;
		return -ENOMEM;
	}
	*out = (struct rules_sref){idx, len};
	return 0;
}

static int
intern_view(struct bld *b, struct rules_view v, struct rules_sref *out)
{
	if (v.len == 0) {
		*out = (struct rules_sref){0, 0};
		return 0;
	}
	return intern(b, v.p, v.len, out);
}

static const char *
pstr(const struct bld *b, struct rules_sref s)
{
	return (const char *)b->pool.p + s.off;
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

struct group_eq_ctx {
	const struct bld *b;
	struct rules_sref name;
};

static bool
group_eq(const void *ctx, uint32_t idx)
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
	if (intern_view(b, group, &gc.name) < 0 || intern(b, lc, host.len, &wc.k.host) < 0)
		return;
	uint64_t gh = rules_mix64(gc.name.off);
	uint32_t gi = htab_get(&b->grouptab, gh, group_eq, &gc);
	if (gi == UINT32_MAX) {
		struct bld_group g = {gc.name, line, b->src_idx, {0}};
		gi = (uint32_t)b->groups.n;
		if (vec_push(&b->groups, sizeof(g), &g) < 0 || htab_put(&b->grouptab, gh, gi) < 0) {
			b->oom = true;
			return;
		}
	}
	uint64_t wh = rules_mix64((uint64_t)wc.k.host.off << 24 | (uint64_t)port << 8 | transport);
	uint32_t wi = htab_get(&b->gwtab, wh, gw_eq, &wc);
	if (wi == UINT32_MAX) {
		struct rules_gw g = {wc.k.host, port, transport, 0};
		wi = (uint32_t)b->gws.n;
		if (vec_push(&b->gws, sizeof(g), &g) < 0 || htab_put(&b->gwtab, wh, wi) < 0) {
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

/* ---- rules ---- */

static void
rerr(struct bld *b, const struct draft *d, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

static void
rerr(struct bld *b, const struct draft *d, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bld_error(b, d->line, "rule %u (priority %u): %s", d->ordinal, d->prio, msg);
}

/* Template: literal text with $user, $ruser, $domain, $from, $to, ${name}, $$. */
static bool
tmpl_ok(struct bld *b, const struct draft *d, const char *what, struct rules_view t)
{
	for (uint32_t i = 0; i < t.len; i++) {
		if (t.p[i] != '$')
			continue;
		size_t used;
		if (rules_tmpl_var(t.p + i, t.len - i, &used) < 0) {
			rerr(b, d, "%s \"%.*s\": unknown variable at \"%.*s\" (use $user, $ruser, "
					"$domain, $from, $to or $$)", what, (int)t.len, t.p,
					(int)(t.len - i > 12 ? 12 : t.len - i), t.p + i);
			return false;
		}
		i += (uint32_t)used - 1;
	}
	return true;
}

struct pcre_eq_ctx {
	const struct bld *b;
	struct rules_sref pat;
	uint32_t caseless;
};

static bool
pcre_eq(const void *ctx, uint32_t idx)
{
	const struct pcre_eq_ctx *c = ctx;
	const struct rules_pcre *rp = (const struct rules_pcre *)c->b->pcres.p + idx;

	return rp->pat.off == c->pat.off && rp->caseless == c->caseless;
}

/*
 * PCRE2 code for pattern (interned); index in pcres[], or -1 with the
 * error reported (unless quiet: the caller has another way).
 */
static int
pcre_for(struct bld *b, const struct draft *d, struct rules_view pat, bool caseless, bool quiet,
		uint32_t *ncap)
{
	struct pcre_eq_ctx c = {b, {0, 0}, caseless};
	int errcode;
	PCRE2_SIZE erroff;

	if (intern_view(b, pat, &c.pat) < 0)
		return -1;
	uint64_t h = rules_mix64(c.pat.off ^ ((uint64_t)caseless << 32));
	uint32_t idx = htab_get(&b->pcretab, h, pcre_eq, &c);
	if (idx != UINT32_MAX) {
		*ncap = ((struct rules_pcre *)b->pcres.p)[idx].ncap;
		return (int)idx;
	}
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pstr(b, c.pat), c.pat.len,
			caseless ? PCRE2_CASELESS : 0, &errcode, &erroff, NULL);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		if (!quiet)
			rerr(b, d, "pattern \"%.*s\": %s at offset %zu", (int)pat.len, pat.p,
					(char *)msg, (size_t)erroff);
		return -1;
	}
	uint32_t cap = 0;
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &cap);
	struct rules_pcre rp = {c.pat, caseless, cap};
	idx = (uint32_t)b->pcres.n;
	if (vec_push(&b->pcres, sizeof(rp), &rp) < 0 ||
			vec_push(&b->pcre_codes, sizeof(code), &code) < 0 ||
			htab_put(&b->pcretab, h, idx) < 0) {
		pcre2_code_free(code);
		b->oom = true;
		return -1;
	}
	*ncap = cap;
	return (int)idx;
}

/* Replacement: text with \0..\9 (captures) and \\ (a backslash). */
static bool
repl_ok(struct bld *b, const struct draft *d, struct rules_view r, uint32_t ncap)
{
	if (r.len > VALUE_MAX || !(r.len == 0 || r.p[0] != '\0')) {
		rerr(b, d, "replacement longer than %d bytes", VALUE_MAX);
		return false;
	}
	for (uint32_t i = 0; i < r.len; i++) {
		if (r.p[i] != '\\')
			continue;
		char e = i + 1 < r.len ? r.p[i + 1] : '\0';
		if (e != '\\' && (e < '0' || e > '9')) {
			rerr(b, d, "replacement \"%.*s\": a backslash must be followed by a digit "
					"(\\0 to \\9) or a backslash", (int)r.len, r.p);
			return false;
		}
		if (r.p[i + 1] != '\\' && (uint32_t)(r.p[i + 1] - '0') > ncap) {
			rerr(b, d, "replacement \"%.*s\" uses \\%c but the pattern has %u group%s",
					(int)r.len, r.p, r.p[i + 1], ncap, ncap == 1 ? "" : "s");
			return false;
		}
		i++;
	}
	return true;
}

static bool
header_ok(struct bld *b, const struct draft *d, struct rules_view h)
{
	uint32_t i = 0;

	while (i < h.len && h.p[i] != ':' && h.p[i] != ' ')
		i++;
	if (i == 0 || i == h.len || h.p[i] != ':' || h.len > 512) {
		rerr(b, d, "header \"%.*s\" is not \"Name: value\"", (int)h.len, h.p);
		return false;
	}
	for (uint32_t j = 0; j < i; j++) {
		unsigned char c = (unsigned char)h.p[j];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				strchr("-.!%*_+`'~", c) != NULL)) {
			rerr(b, d, "header name \"%.*s\" is not a token", (int)i, h.p);
			return false;
		}
	}
	return tmpl_ok(b, d, "header", h);
}

struct prog_eq_ctx {
	const struct bld *b;
	const uint32_t *key;
	size_t n;
};

static bool
prog_eq(const void *ctx, uint32_t idx)
{
	const struct prog_eq_ctx *c = ctx;
	const uint64_t *off = c->b->progkey_off.p;
	const uint32_t *all = c->b->progkey.p;
	uint64_t end = idx + 1 < c->b->progkey_off.n ? off[idx + 1] : c->b->progkey.n;

	return end - off[idx] == c->n && memcmp(all + off[idx], c->key, c->n * 4) == 0;
}

/*
 * The rule's program, shared with every rule that does exactly the same:
 * a canonical encoding of the (interned) parts is looked up first.
 */
static int
intern_prog(struct bld *b, const struct draft *d, const struct rules_op *ops, unsigned n_ops,
		const struct rules_contact *ct, const struct rules_sref *hd,
		struct rules_sref group, struct rules_sref reason, struct rules_sref attrs,
		uint32_t *out)
{
	uint32_t key[16 + DRAFT_OPS * 4 + RULES_MAX_CONTACTS * 4 + DRAFT_HEADERS * 2];
	size_t k = 0;

	key[k++] = d->action;
	key[k++] = d->code;
	key[k++] = group.off;
	key[k++] = reason.off;
	key[k++] = reason.len;
	key[k++] = attrs.off;
	key[k++] = attrs.len;
	key[k++] = n_ops;
	for (unsigned i = 0; i < n_ops; i++) {
		key[k++] = ops[i].type;
		key[k++] = ops[i].n;
		key[k++] = ops[i].s.off;
		key[k++] = ops[i].s.len;
	}
	key[k++] = d->n_contacts;
	for (unsigned i = 0; i < d->n_contacts; i++) {
		key[k++] = ct[i].uri.off;
		key[k++] = ct[i].uri.len;
		key[k++] = ct[i].expires;
		key[k++] = ct[i].q;
	}
	key[k++] = d->n_headers;
	for (unsigned i = 0; i < d->n_headers; i++) {
		key[k++] = hd[i].off;
		key[k++] = hd[i].len;
	}
	uint64_t h = rules_hash_bytes(key, k * 4, 1);
	struct prog_eq_ctx c = {b, key, k};
	uint32_t idx = htab_get(&b->progtab, h, prog_eq, &c);
	if (idx != UINT32_MAX) {
		*out = idx;
		return 0;
	}
	struct rules_prog p = {0};
	p.action = d->action;
	p.n_ops = (uint8_t)n_ops;
	p.n_contacts = (uint8_t)d->n_contacts;
	p.n_headers = (uint8_t)d->n_headers;
	p.code = d->code;
	p.group = UINT32_MAX;
	p.ops = (uint32_t)b->ops.n;
	p.contacts = (uint32_t)b->contacts.n;
	p.headers = (uint32_t)b->hdrs.n;
	p.reason = reason;
	p.attrs = attrs;
	uint64_t koff = b->progkey.n;
	struct prog_site site = {b->src_idx, d->line, d->ordinal, d->prio};
	idx = (uint32_t)b->progs.n;
	void *kp = vec_grow(&b->progkey, 4, k);
	if (kp == NULL)
		goto oom;
	memcpy(kp, key, k * 4);
	for (unsigned i = 0; i < n_ops; i++)
		if (vec_push(&b->ops, sizeof(ops[i]), &ops[i]) < 0)
			goto oom;
	for (unsigned i = 0; i < d->n_contacts; i++)
		if (vec_push(&b->contacts, sizeof(ct[i]), &ct[i]) < 0)
			goto oom;
	for (unsigned i = 0; i < d->n_headers; i++)
		if (vec_push(&b->hdrs, sizeof(hd[i]), &hd[i]) < 0)
			goto oom;
	if (vec_push(&b->progs, sizeof(p), &p) < 0 || vec_push(&b->progkey_off, 8, &koff) < 0 ||
			vec_push(&b->prog_group, sizeof(group), &group) < 0 ||
			vec_push(&b->prog_line, sizeof(site), &site) < 0 ||
			htab_put(&b->progtab, h, idx) < 0)
		goto oom;
	*out = idx;
	return 0;
oom:
	b->oom = true;
	return -ENOMEM;
}

static void
lower(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i]);
}

static int
add_regex(struct bld *b, const struct draft *d, const struct draft_cond *c, uint32_t *no)
{
	struct rules_regex re = {0};
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;

	if (c->v.len > 4096) {
		rerr(b, d, "regex longer than 4096 bytes");
		return -1;
	}
	if (memchr(c->v.p, '\0', c->v.len) != NULL) {
		rerr(b, d, "NUL byte in regex");
		return -1;
	}
	if (intern_view(b, c->v, &re.pat) < 0)
		return -1;
	/* Checked one by one so every bad pattern is reported, not only the first. */
	if (hs_expression_info(pstr(b, re.pat), rules_hs_flags(c->field), &info, &cerr) !=
			HS_SUCCESS) {
		rerr(b, d, "regex \"%.*s\": %s", (int)c->v.len, c->v.p,
				cerr != NULL ? cerr->message : "rejected by Hyperscan");
		hs_free_compile_error(cerr);
		return -1;
	}
	free(info);
	re.prim = RV_NONE;
	re.pcre = UINT32_MAX;
	re.line = d->line;
	re.src = (uint8_t)b->src_idx;
	re.field = c->field;
	*no = (uint32_t)b->regex.n;
	if (vec_push(&b->regex, sizeof(re), &re) < 0) {
		b->oom = true;
		return -1;
	}
	return 0;
}

/* ---- literal prefixes of regexes ---- */

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

void
bld_add_rule(struct bld *b, struct draft *d)
{
	struct rules_op ops[DRAFT_OPS];
	struct rules_contact ct[RULES_MAX_CONTACTS];
	struct rules_sref hd[DRAFT_HEADERS];
	struct rules_sref group = {0, 0}, reason = {0, 0}, attrs = {0, 0};
	struct trule tr = {0};
	uint32_t re_no[DRAFT_CONDS];
	bool ok = true;
	int prim = -1, best_spec = -1, user_re = -1;

	if (b->trules.n >= RULES_MAX_RULES) {
		rerr(b, d, "too many rules");
		return;
	}
	/* Conditions: pick the index (the longest prefix/exact value, else a regex). */
	for (unsigned i = 0; i < d->n_conds; i++) {
		struct draft_cond *c = &d->cond[i];
		if (c->type == CT_REGEX) {
			if (add_regex(b, d, c, &re_no[i]) < 0)
				ok = false;
			else if (c->field == RULES_F_USER && user_re < 0)
				user_re = (int)i;
			continue;
		}
		if (c->type != CT_PREFIX && c->type != CT_EXACT)
			continue;
		if (c->type == CT_PREFIX && c->v.len > GEN_MAX_PREFIX) {
			rerr(b, d, "prefix \"%.*s\" longer than %d bytes (use exact or regex)",
					(int)c->v.len, c->v.p, GEN_MAX_PREFIX);
			ok = false;
			continue;
		}
		int spec = 2 * (int)c->v.len + (c->type == CT_EXACT);
		if (spec > best_spec || (spec == best_spec && c->field < d->cond[prim].field)) {
			best_spec = spec;
			prim = (int)i;
		}
	}
	if (prim < 0) {
		for (unsigned i = 0; i < d->n_conds && prim < 0; i++)
			if (d->cond[i].type == CT_REGEX && d->cond[i].field == RULES_F_USER)
				prim = (int)i;
		for (unsigned i = 0; i < d->n_conds && prim < 0; i++)
			if (d->cond[i].type == CT_REGEX)
				prim = (int)i;
	}
	/* Transformations. */
	for (unsigned i = 0; i < d->n_ops; i++) {
		struct draft_op *o = &d->op[i];
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].type = o->type;
		ops[i].n = o->n;
		if (o->type == OP_ADD || o->type == OP_SET) {
			if (intern_view(b, o->s, &ops[i].s) < 0)
				ok = false;
			continue;
		}
		if (o->type != OP_SUBST)
			continue;
		struct rules_view pat = o->pat;
		if (o->own) {
			if (user_re < 0) {
				rerr(b, d, "'repl' needs a user regex in the same rule "
						"(or use subst)");
				ok = false;
				continue;
			}
			pat = d->cond[user_re].v;
		}
		uint32_t ncap = 0;
		int pc = pcre_for(b, d, pat, false, false, &ncap);
		if (pc < 0 || !repl_ok(b, d, o->s, ncap) || intern_view(b, o->s, &ops[i].s) < 0) {
			ok = false;
			continue;
		}
		ops[i].n = (uint32_t)pc;
	}
	/* Action and attributes. */
	for (unsigned i = 0; i < d->n_contacts; i++) {
		struct draft_contact *c = &d->contact[i];
		memset(&ct[i], 0, sizeof(ct[i]));
		ct[i].expires = c->expires;
		ct[i].q = c->q;
		bool bad = c->uri.len == 0 || c->uri.len > 512;
		for (uint32_t j = 0; j < c->uri.len && !bad; j++)
			bad = c->uri.p[j] == '<' || c->uri.p[j] == '>' || c->uri.p[j] == ' ' ||
				(unsigned char)c->uri.p[j] < 0x20;
		if (bad) {
			rerr(b, d, "contact \"%.*s\" must be a URI without spaces or angle "
					"brackets", (int)c->uri.len, c->uri.p);
			ok = false;
		} else if (!tmpl_ok(b, d, "contact", c->uri) ||
				intern_view(b, c->uri, &ct[i].uri) < 0) {
			ok = false;
		}
	}
	for (unsigned i = 0; i < d->n_headers; i++)
		if (!header_ok(b, d, d->header[i]) || intern_view(b, d->header[i], &hd[i]) < 0)
			ok = false;
	if (intern_view(b, d->group, &group) < 0 || intern_view(b, d->reason, &reason) < 0 ||
			intern_view(b, d->attrs, &attrs) < 0)
		ok = false;
	if (!ok)
		return;
	if (intern_prog(b, d, ops, d->n_ops, ct, hd, group, reason, attrs, &tr.prog) < 0)
		return;

	/* The index condition. */
	tr.prio = d->prio;
	tr.line = d->line;
	tr.flags = b->src_idx ? TR_SRC1 : 0;
	if (prim >= 0 && d->cond[prim].type != CT_REGEX) {
		struct draft_cond *c = &d->cond[prim];
		unsigned kind = c->type == CT_PREFIX ? PK_PREFIX : PK_EXACT;
		char lc[VALUE_MAX];
		const char *v = c->v.p;
		if (c->field == RULES_F_DOMAIN) {
			lower(lc, c->v.p, c->v.len);
			v = lc;
		}
		tr.spec = (uint16_t)best_spec;
		tr.prim = PRIM_MAKE(kind, c->field, c->v.len);
		if (dix_value_key(v, c->v.len, &tr.key) == 0) {
			tr.ix = IX_DIGIT;
		} else {
			struct gval g = {{0, 0}, c->field, (uint8_t)kind};
			if (intern(b, v, c->v.len, &g.s) < 0)
				return;
			tr.ix = IX_GEN;
			tr.key = b->gvals.n;
			if (vec_push(&b->gvals, sizeof(g), &g) < 0) {
				b->oom = true;
				return;
			}
		}
	} else if (prim >= 0) {
		struct draft_cond *c = &d->cond[prim];
		char lit[RELIT_MAX][RELIT_LEN + 1];
		unsigned nl = rules_regex_literals(c->v.p, c->v.len, lit, RELIT_MAX);
		uint32_t ncap;
		int pc = -1;
		tr.prim = PRIM_MAKE(PK_REGEX, c->field, re_no[prim]);
		tr.ix = IX_REGEX;
		/* Checked alone with PCRE2; if PCRE2 cannot read it, the scan finds it. */
		if (nl > 0)
			pc = pcre_for(b, d, c->v, c->field == RULES_F_DOMAIN, true, &ncap);
		if (pc >= 0) {
			((struct rules_regex *)b->regex.p)[re_no[prim]].pcre = (uint32_t)pc;
			/*
			 * Indexed by its literal prefixes, checked by its regex: the
			 * regex database is only scanned when some candidate needs it.
			 */
			struct relit rl = {(uint32_t)b->relit_strs.n, nl, c->field};
			for (unsigned k = 0; k < nl; k++) {
				struct rules_sref sr;
				size_t ll = strlen(lit[k]);
				if (c->field == RULES_F_DOMAIN)
					lower(lit[k], lit[k], ll);
				if (intern(b, lit[k], ll, &sr) < 0 ||
						vec_push(&b->relit_strs, sizeof(sr), &sr) < 0) {
					b->oom = true;
					return;
				}
			}
			tr.ix = IX_RELIT;
			tr.key = b->relits.n;
			tr.flags |= TR_FILTERED;
			if (vec_push(&b->relits, sizeof(rl), &rl) < 0) {
				b->oom = true;
				return;
			}
		}
	} else {
		tr.ix = IX_NONE;
	}
	/* Everything else is checked after the index names the rule. */
	size_t first = b->conds.n;
	for (unsigned i = 0; i < d->n_conds; i++) {
		struct draft_cond *c = &d->cond[i];
		struct rules_cond rc = {0};
		if ((int)i == prim)
			continue;
		rc.type = c->type;
		rc.field = c->field;
		switch (c->type) {
		case CT_PREFIX:
		case CT_EXACT: {
			char lc[VALUE_MAX];
			const char *v = c->v.p;
			if (c->field == RULES_F_DOMAIN) {
				lower(lc, c->v.p, c->v.len);
				v = lc;
			}
			if (intern(b, v, c->v.len, &rc.s) < 0)
				return;
			break;
		}
		case CT_REGEX:
			rc.n = re_no[i];
			break;
		case CT_LEN:
			rc.n = c->n;
			break;
		case CT_SRC:
			rc.n = c->cidr_n;
			rc.s.off = (uint32_t)b->cidrs.n;
			for (uint32_t j = 0; j < c->cidr_n; j++)
				if (vec_push(&b->cidrs, sizeof(struct rules_cidr),
						&d->cidr[c->cidr_first + j]) < 0) {
					b->oom = true;
					return;
				}
			break;
		case CT_METHOD:
			if (intern_view(b, c->v, &rc.s) < 0)
				return;
			break;
		default:
			break;
		}
		if (vec_push(&b->conds, sizeof(rc), &rc) < 0) {
			b->oom = true;
			return;
		}
	}
	if (b->conds.n > first) {
		((struct rules_cond *)b->conds.p)[b->conds.n - 1].last = 1;
		tr.filt = (uint32_t)first;
		tr.flags |= TR_FILTERED;
	}
	if (vec_push(&b->trules, sizeof(tr), &tr) < 0)
		b->oom = true;
}

/* ---- finishing ---- */

static inline bool
trule_less_specific(const struct trule *a, const struct trule *b)
{
	if (a->prio != b->prio)
		return a->prio < b->prio;
	if (a->spec != b->spec)
		return a->spec > b->spec;
	if ((a->flags & TR_SRC1) != (b->flags & TR_SRC1))
		return (a->flags & TR_SRC1) < (b->flags & TR_SRC1);
	return a->line < b->line;
}

static inline bool
trule_less_line(const struct trule *a, const struct trule *b)
{
	if (a->prio != b->prio)
		return a->prio < b->prio;
	if ((a->flags & TR_SRC1) != (b->flags & TR_SRC1))
		return (a->flags & TR_SRC1) < (b->flags & TR_SRC1);
	return a->line < b->line;
}

RULES_DEFINE_SORT(sort_specific, struct trule, trule_less_specific)
RULES_DEFINE_SORT(sort_line, struct trule, trule_less_line)

struct gtmp {
	uint32_t off; /* pool offset: equal strings have equal offsets */
	uint32_t len;
	uint8_t field;
	uint8_t kind;
	uint16_t pad;
	uint32_t value;
};

static inline bool
gtmp_less(const struct gtmp *a, const struct gtmp *b)
{
	if (a->field != b->field)
		return a->field < b->field;
	if (a->kind != b->kind)
		return a->kind < b->kind;
	if (a->off != b->off)
		return a->off < b->off;
	return (a->value & RV_RULE) < (b->value & RV_RULE);
}

RULES_DEFINE_SORT(sort_gtmp, struct gtmp, gtmp_less)

static int
build_generic(struct bld *b, struct rules_plan *p, struct gtmp *g, size_t n, struct vec *lists)
{
	struct vec gents = {0};
	size_t cap = 16;

	sort_gtmp(g, n);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && g[j].field == g[i].field && g[j].kind == g[i].kind &&
				g[j].off == g[i].off)
			j++;
		/* A list ends at its first rule without further conditions. */
		size_t k = i;
		while (k < j && (g[k].value & RV_FILT))
			k++;
		size_t cnt = (k < j ? k + 1 : j) - i;
		struct rules_gent e = {0};
		if (cnt == 1) {
			e.value = g[i].value;
		} else {
			if (lists->n + cnt + 1 > RV_LIST_OFF)
				return -E2BIG;
			uint32_t *l = vec_grow(lists, 4, cnt + 1);
			if (l == NULL)
				return -ENOMEM;
			l[0] = (uint32_t)cnt;
			for (size_t x = 0; x < cnt; x++)
				l[1 + x] = g[i + x].value;
			e.value = RV_LIST | (uint32_t)(lists->n - cnt - 1);
		}
		const char *s = pstr(b, (struct rules_sref){g[i].off, g[i].len});
		uint64_t h = gen_hash_start(g[i].field);
		for (uint32_t x = 0; x < g[i].len; x++)
			h = gen_hash_step(h, (unsigned char)s[x]);
		e.key = gen_hash_final(h, g[i].len, g[i].kind);
		e.s = (struct rules_sref){g[i].off, g[i].len};
		e.field = g[i].field;
		e.kind = g[i].kind;
		if (vec_push(&gents, sizeof(e), &e) < 0)
			return -ENOMEM;
		if (e.kind == PK_PREFIX)
			p->h.gen_plen[e.field] |= 1ull << (e.s.len - 1);
		else
			p->h.gen_exact[e.field] = 1;
		p->h.fields_gen |= 1u << e.field;
		i = j;
	}
	while (cap < gents.n * 2)
		cap *= 2;
	uint32_t *tab = calloc(cap, sizeof(*tab));
	if (tab == NULL) {
		vec_free(&gents);
		return -ENOMEM;
	}
	struct rules_gent *ge = gents.p;
	for (size_t i = 0; i < gents.n; i++) {
		size_t s = ge[i].key & (cap - 1);
		while (tab[s] != 0)
			s = (s + 1) & (cap - 1);
		tab[s] = (uint32_t)i + 1;
	}
	vec_shrink(&gents, sizeof(*ge));
	p->gents = gents.p;
	p->n_gents = gents.n;
	p->gtab = tab;
	p->n_gtab = cap;
	p->h.gtab_mask = (uint32_t)(cap - 1);
	return 0;
}

/* Compile each field's regexes into one block-mode database. */
static int
compile_hs(struct bld *b, struct rules_plan *p)
{
	const struct rules_regex *re = b->regex.p;
	size_t n = b->regex.n;
	const char **expr = malloc((n + 1) * sizeof(*expr));
	unsigned *flags = malloc((n + 1) * sizeof(*flags));
	unsigned *ids = malloc((n + 1) * sizeof(*ids));
	int rc = 0;

	if (expr == NULL || flags == NULL || ids == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned f = 0; f < RULES_F__COUNT; f++) {
		unsigned k = 0;
		for (size_t i = 0; i < n; i++) {
			if (re[i].field != f)
				continue;
			expr[k] = pstr(b, re[i].pat);
			flags[k] = rules_hs_flags(f);
			ids[k] = (unsigned)i;
			k++;
		}
		if (k == 0)
			continue;
		hs_compile_error_t *cerr = NULL;
		if (hs_compile_multi(expr, flags, ids, k, HS_MODE_BLOCK, NULL, &p->hs[f], &cerr) !=
				HS_SUCCESS) {
			if (cerr != NULL && cerr->expression >= 0) {
				const struct rules_regex *bad = &re[ids[cerr->expression]];
				errlist_add(&b->errs, b->src_name[bad->src], bad->src,
						bad->line, "regex \"%s\": %s", pstr(b, bad->pat),
						cerr->message);
			} else {
				errlist_add(&b->errs, b->src_name[0], 0, 0, "regex database: %s",
						cerr != NULL ? cerr->message : "Hyperscan failed");
			}
			hs_free_compile_error(cerr);
			rc = -EINVAL;
			goto out;
		}
		p->h.fields_re |= 1u << f;
	}
out:
	free(expr);
	free(flags);
	free(ids);
	return rc;
}

static int
resolve_groups(struct bld *b, struct rules_plan *p)
{
	struct bld_group *bg = b->groups.p;
	struct vec members = {0};
	int rc = 0;

	p->groups = calloc(b->groups.n + 1, sizeof(struct rules_group));
	if (p->groups == NULL)
		return -ENOMEM;
	p->n_groups = b->groups.n;
	for (size_t i = 0; i < b->groups.n; i++) {
		struct rules_group *g = &p->groups[i];
		const struct rules_member *m = bg[i].members.p;
		g->name = bg[i].name;
		g->first = (uint32_t)members.n;
		g->n = (uint32_t)bg[i].members.n;
		for (size_t j = 0; j < bg[i].members.n; j++) {
			g->total += m[j].weight;
			if (vec_push(&members, sizeof(m[j]), &m[j]) < 0) {
				vec_free(&members);
				return -ENOMEM;
			}
		}
	}
	p->members = members.p;
	p->n_members = members.n;
	struct rules_prog *pg = b->progs.p;
	const struct rules_sref *gname = b->prog_group.p;
	const struct prog_site *site = b->prog_line.p;
	for (size_t i = 0; i < b->progs.n; i++) {
		if (pg[i].action != RULES_ACT_FORWARD)
			continue;
		struct group_eq_ctx c = {b, gname[i]};
		uint32_t gi = htab_get(&b->grouptab, rules_mix64(gname[i].off), group_eq, &c);
		if (gi == UINT32_MAX) {
			errlist_add(&b->errs, b->src_name[site[i].src_idx], site[i].src_idx,
					site[i].line, "rule %u (priority %u): forward to unknown "
					"group \"%s\" (define it with: group %s HOST...)",
					site[i].ordinal, site[i].prio, pstr(b, gname[i]),
					pstr(b, gname[i]));
			rc = -EINVAL;
			continue;
		}
		pg[i].group = gi;
	}
	return rc;
}

/* Move a builder array into the plan. */
#define TAKE(p, b, name, type) do { \
	vec_shrink(&(b)->name, sizeof(type)); \
	(p)->name = (b)->name.p; \
	(p)->n_##name = (b)->name.n; \
	(b)->name.p = NULL; \
	(b)->name.n = (b)->name.cap = 0; \
} while (0)

/* Upper bound of a digit index's first level for n entries (see choose_geometry()). */
static uint64_t
l1_bound(size_t n)
{
	uint64_t l = 2 * (uint64_t)n;

	return l < 256 ? 256 : l > (1u << 23) ? (1u << 23) : l;
}

static int
build_indexes(struct bld *b, struct rules_plan *p)
{
	struct vec ents[RULES_F__COUNT] = {{0}};
	struct vec gtmp = {0}, unidx = {0}, lists = {0}, l1 = {0}, arena = {0}, runs = {0};
	struct vec nodes = {0};
	uint32_t last_prio = 0;
	size_t n = b->trules.n, cnt[RULES_F__COUNT] = {0};
	struct trule *tr = b->trules.p;
	struct rules_regex *re = b->regex.p;
	int rc = -ENOMEM;

	if (b->tiebreak == TIEBREAK_LINE)
		sort_line(tr, n);
	else
		sort_specific(tr, n);
	for (size_t i = 0; i < n; i++)
		if (tr[i].ix == IX_DIGIT)
			cnt[PRIM_FIELD(tr[i].prim)]++;
	/* Literal prefixes of regexes may go to the digit index too: reserve for all. */
	for (size_t i = 0; i < b->relits.n; i++) {
		const struct relit *rl = (const struct relit *)b->relits.p + i;
		cnt[rl->field] += rl->n;
	}
	uint64_t l1_cap = 0, ar_cap = 0;
	for (unsigned f = 0; f < RULES_F__COUNT; f++) {
		if (cnt[f] == 0)
			continue;
		if (vec_reserve(&ents[f], sizeof(struct dix_ent), cnt[f]) < 0)
			goto out;
		l1_cap += l1_bound(cnt[f]);
		/*
		 * Two boundaries per entry at most; a leaf costs at most 3 words
		 * per key plus 2, a node (16 words) splits at least 8 keys: 8
		 * words per entry bound each. Untouched pages cost nothing.
		 */
		ar_cap += 8 * (uint64_t)cnt[f] + 64;
	}
	if (vec_init_big(&l1, 4, l1_cap + 1) < 0 || vec_init_big(&arena, 4, ar_cap + 1) < 0 ||
			vec_init_big(&nodes, 4, ar_cap + 16) < 0)
		goto out;
	/*
	 * Precedence is known: rule i is the i-th best. Each rule goes to its
	 * index and the 32-byte records are rewritten in place as 20-byte
	 * rules (record i is read before rule i, which ends at or before it).
	 */
	struct rules_rule *out = (struct rules_rule *)(void *)tr;
	for (size_t i = 0; i < n; i++) {
		struct trule t;
		memcpy(&t, &tr[i], sizeof(t));
		uint32_t v = (uint32_t)i | (t.flags & TR_FILTERED ? RV_FILT : 0);
		unsigned f = PRIM_FIELD(t.prim);
		if (t.ix == IX_DIGIT) {
			uint32_t kind = PRIM_KIND(t.prim) == PK_EXACT ? DIX_ENT_EXACT : 0;
			struct dix_ent e = {t.key, v | kind};
			if (vec_push(&ents[f], sizeof(e), &e) < 0)
				goto out;
			p->h.n_prefix++;
		} else if (t.ix == IX_GEN) {
			const struct gval *g = (const struct gval *)b->gvals.p + t.key;
			struct gtmp e = {g->s.off, g->s.len, g->field, g->kind, 0, v};
			if (vec_push(&gtmp, sizeof(e), &e) < 0)
				goto out;
			p->h.n_prefix++;
		} else if (t.ix == IX_REGEX) {
			re[PRIM_ARG(t.prim)].prim = v;
		} else if (t.ix == IX_RELIT) {
			const struct relit *rl = (const struct relit *)b->relits.p + t.key;
			const struct rules_sref *ls = (const struct rules_sref *)b->relit_strs.p;
			for (uint32_t k = 0; k < rl->n; k++) {
				struct rules_sref sr = ls[rl->first + k];
				uint64_t key;
				if (dix_value_key(pstr(b, sr), sr.len, &key) == 0) {
					struct dix_ent e = {key, v};
					if (vec_push(&ents[rl->field], sizeof(e), &e) < 0)
						goto out;
				} else {
					struct gtmp e = {sr.off, sr.len, rl->field, PK_PREFIX, 0,
						v};
					if (vec_push(&gtmp, sizeof(e), &e) < 0)
						goto out;
				}
			}
		} else {
			if (vec_push(&unidx, 4, &v) < 0)
				goto out;
			p->h.n_other++;
		}
		if (i == 0 || t.prio != last_prio) {
			struct rules_prio_run run = {(uint32_t)i, t.prio};
			if (vec_push(&runs, sizeof(run), &run) < 0)
				goto out;
			last_prio = t.prio;
		}
		struct rules_rule r = {t.line, t.prog, t.filt, t.prim};
		memcpy(&out[i], &r, sizeof(r));
	}
	if (n > 0) {
		void *shrunk = realloc(tr, n * sizeof(struct rules_rule));
		if (shrunk != NULL)
			out = shrunk;
		/* The winner's record is read on every lookup: give it huge pages too. */
		void *big = n * sizeof(struct rules_rule) > (2u << 20) ?
			rules_big_alloc(n * sizeof(struct rules_rule)) : NULL;
		if (big != NULL) {
			memcpy(big, out, n * sizeof(struct rules_rule));
			free(out);
			out = big;
		}
	}
	b->trules.p = NULL;
	b->trules.n = b->trules.cap = 0;
	p->rules = out;
	p->n_rules = n;
	vec_shrink(&runs, sizeof(struct rules_prio_run));
	p->prio_runs = runs.p;
	p->n_prio_runs = runs.n;
	runs.p = NULL;
	vec_free(&b->gvals);

	for (unsigned f = 0; f < RULES_F__COUNT; f++) {
		p->h.re_min[f] = RV_NONE;
		if (ents[f].n == 0)
			continue;
		rc = dix_build(&p->h.dix[f], ents[f].p, ents[f].n, &l1, &arena, &nodes, &lists);
		vec_free(&ents[f]);
		if (rc < 0)
			goto out;
		p->h.fields_dix |= 1u << f;
	}
	rc = build_generic(b, p, gtmp.p, gtmp.n, &lists);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < b->regex.n; i++) {
		unsigned f = re[i].field;
		if (re[i].prim == RV_NONE)
			p->h.re_filters[f]++;
		else if ((re[i].prim & RV_RULE) < p->h.re_min[f])
			p->h.re_min[f] = re[i].prim & RV_RULE;
	}
	vec_shrink(&lists, 4);
	vec_shrink(&unidx, 4);
	p->lists = lists.p;
	p->n_lists = lists.n;
	lists.p = NULL;
	p->unidx = unidx.p;
	p->n_unidx = unidx.n;
	unidx.p = NULL;
	p->l1 = l1.p;
	p->n_l1 = l1.n;
	l1.p = NULL;
	/* A leaf is scanned over DIX_LEAF_MAX keys whatever its size: pad the end. */
	if (vec_grow(&arena, sizeof(uint32_t), DIX_LEAF_MAX + 2) == NULL)
		goto out;
	memset((uint32_t *)arena.p + arena.n - DIX_LEAF_MAX - 2, 0,
			(DIX_LEAF_MAX + 2) * sizeof(uint32_t));
	p->arena = arena.p;
	p->n_arena = arena.n;
	arena.p = NULL;
	p->nodes = nodes.p;
	p->n_nodes = nodes.n;
	nodes.p = NULL;
	rc = 0;
out:
	for (unsigned f = 0; f < RULES_F__COUNT; f++)
		vec_free(&ents[f]);
	vec_free(&gtmp);
	vec_free(&unidx);
	vec_free(&lists);
	vec_free(&l1);
	vec_free(&arena);
	vec_free(&nodes);
	vec_free(&runs);
	return rc;
}

struct rules_plan *
bld_finish(struct bld *b, struct rules_errors *errs)
{
	struct rules_plan *p = calloc(1, sizeof(*p));
	unsigned char md[32];
	unsigned mdlen = 0;
	char msg[256];
	int rc;

	if (p == NULL) {
		b->oom = true;
		goto fail;
	}
	if (resolve_groups(b, p) == -ENOMEM)
		b->oom = true;
	if (b->oom)
		goto fail;
	if (b->errs.total != 0)
		goto fail;
	if (compile_hs(b, p) < 0)
		goto fail;
	rc = build_indexes(b, p);
	if (rc < 0) {
		if (rc == -ENOMEM)
			b->oom = true;
		else
			errlist_add(&b->errs, b->src_name[0], 0, 0,
					"plan too large for its tables");
		goto fail;
	}
	if (EVP_DigestFinal_ex(b->sha, md, &mdlen) != 1 || mdlen != 32) {
		b->oom = true;
		goto fail;
	}
	memcpy(p->h.sha256, md, 32);
	snprintf(p->h.source, sizeof(p->h.source), "%s", b->plan_source);
	if (b->opts.name != NULL)
		snprintf(p->h.name, sizeof(p->h.name), "%s", b->opts.name);
	else if (b->have_name)
		snprintf(p->h.name, sizeof(p->h.name), "%s", b->name);
	else
		snprintf(p->h.name, sizeof(p->h.name), "%.63s", b->plan_source);
	p->h.version = b->opts.version ? b->opts.version : b->version;
	p->h.tiebreak = b->tiebreak;

	TAKE(p, b, progs, struct rules_prog);
	TAKE(p, b, ops, struct rules_op);
	TAKE(p, b, contacts, struct rules_contact);
	TAKE(p, b, hdrs, struct rules_sref);
	TAKE(p, b, conds, struct rules_cond);
	TAKE(p, b, cidrs, struct rules_cidr);
	TAKE(p, b, regex, struct rules_regex);
	TAKE(p, b, pcres, struct rules_pcre);
	TAKE(p, b, gws, struct rules_gw);
	TAKE(p, b, pool, char);
	/* The PCRE2 codes compiled while checking are the plan's. */
	p->pcre = b->pcre_codes.p;
	b->pcre_codes.p = NULL;
	b->pcre_codes.n = b->pcre_codes.cap = 0;

	if (rules_plan_prepare(p, msg, sizeof(msg)) < 0) {
		errlist_add(&b->errs, b->src_name[0], 0, 0, "%s", msg);
		goto fail;
	}
	errlist_finish(&b->errs, errs);
	bld_free(b);
	return p;
fail:
	if (b->oom)
		errlist_add(&b->errs, b->src_name[0], 0, 0, "out of memory");
	errlist_finish(&b->errs, errs);
	bld_free(b);
	rules_plan_free(p);
	return NULL;
}
