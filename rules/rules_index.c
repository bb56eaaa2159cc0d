/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The indexes, built once the whole plan is in and known good: rules are
 * sorted into precedence order, then each goes to its field's digit index
 * (rules_dix.c), the generic hash table of other prefix and exact values,
 * or the unindexed list; each field's regexes become one Hyperscan
 * database.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules_bld_int.h"
#include "rules_dix.h"
#include "rules_sort.h"

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
		const char *s = bld_pstr(b, (struct rules_sref){g[i].off, g[i].len});
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
int
bld_compile_hs(struct bld *b, struct rules_plan *p)
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
			expr[k] = bld_pstr(b, re[i].pat);
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
						bad->line, "regex \"%s\": %s",
						bld_pstr(b, bad->pat), cerr->message);
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

/* Upper bound of a digit index's first level for n entries (see choose_geometry()). */
static uint64_t
l1_bound(size_t n)
{
	uint64_t l = 2 * (uint64_t)n;

	return l < 256 ? 256 : l > (1u << 23) ? (1u << 23) : l;
}

int
bld_build_indexes(struct bld *b, struct rules_plan *p)
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
				if (dix_value_key(bld_pstr(b, sr), sr.len, &key) == 0) {
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
