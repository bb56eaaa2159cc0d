/* SPDX-License-Identifier: BSD-3-Clause */
#include "rules_dix.h"

#include <errno.h>
#include <string.h>

#include "rules_sort.h"

/*
 * Symbol nibbles: 0 is the end of the string, so a shorter string sorts
 * before its extensions and a prefix P covers exactly the keys from P's
 * key up to the key of P with its last symbol incremented. Every other
 * byte maps to DIX_OTHER, above every symbol and every incremented
 * symbol ('#' + 1 == DIX_OTHER, which can only appear as a range end).
 */
/* Nibble of byte x; a constant expression so both tables are built at compile time. */
#define SYM(x) ((x) >= '0' && (x) <= '9' ? (x) - '0' + 1 : (x) == '+' ? 11 : \
		(x) == '*' ? 12 : (x) == '#' ? 13 : 0)
#define CODE(x) (SYM(x) ? SYM(x) : DIX_OTHER)
#define ROW(f, b) f(b), f(b + 1), f(b + 2), f(b + 3), f(b + 4), f(b + 5), f(b + 6), \
		f(b + 7), f(b + 8), f(b + 9), f(b + 10), f(b + 11), f(b + 12), f(b + 13), \
		f(b + 14), f(b + 15)
#define TABLE(f) ROW(f, 0), ROW(f, 16), ROW(f, 32), ROW(f, 48), ROW(f, 64), ROW(f, 80), \
		ROW(f, 96), ROW(f, 112), ROW(f, 128), ROW(f, 144), ROW(f, 160), ROW(f, 176), \
		ROW(f, 192), ROW(f, 208), ROW(f, 224), ROW(f, 240)

static const uint8_t sym_of[256] = {TABLE(SYM)};
const uint8_t rules_dix_code[256] = {TABLE(CODE)};

int
dix_value_key(const char *s, size_t len, uint64_t *key)
{
	uint64_t x = 0;

	if (len == 0 || len > DIX_MAX_LEN)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned c = sym_of[(unsigned char)s[i]];
		if (c == 0)
			return -1;
		x |= (uint64_t)c << (60 - 4 * i);
	}
	*key = x;
	return 0;
}

static inline bool
ent_exact(const struct dix_ent *e)
{
	return (e->value & DIX_ENT_EXACT) != 0;
}

static inline uint32_t
ent_value(const struct dix_ent *e)
{
	return e->value & ~DIX_ENT_EXACT;
}

/* End of the range of keys a value covers: the point after it, or after its last extension. */
static inline uint64_t
ent_end(const struct dix_ent *e)
{
	if (ent_exact(e))
		return e->start + 1;
	/* The last symbol is the lowest non-zero nibble; bump it. */
	unsigned last = (unsigned)__builtin_ctzll(e->start) / 4;
	return e->start + (1ull << (4 * last));
}

static inline bool
ent_less(const struct dix_ent *a, const struct dix_ent *b)
{
	if (a->start != b->start)
		return a->start < b->start;
	/* Same start means the same string: the prefix range encloses the exact point. */
	if (ent_exact(a) != ent_exact(b))
		return !ent_exact(a);
	return (a->value & RV_RULE) < (b->value & RV_RULE);
}

RULES_DEFINE_SORT(sort_ents, struct dix_ent, ent_less)

/* Where boundaries go: a first-level slot each, blocks in the arena. */
struct bucket_writer {
	struct rules_dix *dx;
	uint32_t *l1;
	struct vec *arena;
	struct vec *nodes;
	uint64_t ar_base;
	uint64_t nd_base;
	uint32_t n_l1;
	uint32_t next_t;   /* first slot not yet written */
	uint32_t cur_t;    /* slot of the open block, UINT32_MAX: none */
	uint32_t entry;    /* value before the open block */
	uint32_t last;     /* value of the last boundary written */
	struct vec keys;   /* uint64_t, the open block */
	struct vec vals;   /* uint32_t */
};

static uint32_t
slot_of(const struct rules_dix *dx, uint64_t k)
{
	uint32_t t = 0;

	for (uint32_t i = 0; i < dx->depth; i++)
		t += dx->cmul[i][(k >> (60 - 4 * i)) & 15];
	return t;
}

static inline unsigned
nib_at(uint64_t k, unsigned pos)
{
	return (unsigned)(k >> (60 - 4 * pos)) & 15;
}

/*
 * Boundaries keys[0..c) (sharing every nibble before pos) as a leaf of at
 * most DIX_LEAF_MAX keys, or as a node splitting them on the nibble at
 * pos. Sets *out to the entry that leads to them.
 */
static int
write_sub(struct bucket_writer *w, const uint64_t *keys, const uint32_t *vals, size_t c,
		uint32_t entry, unsigned pos, uint32_t *out)
{
	if (c == 0) {
		*out = RV_DIRECT | entry;
		return 0;
	}
	/* Keys are distinct, so past the last nibble a group holds one key. */
	if (c <= DIX_LEAF_MAX || pos >= DIX_POS) {
		uint64_t off = w->arena->n - w->ar_base;
		bool wide = pos >= DIX_POS;
		if (off > DIX_E_OFF)
			return -E2BIG;
		for (size_t i = 0; i < c && !wide; i++)
			wide = (keys[i] << (4 * pos)) << 32 != 0;
		size_t words = 2 + (wide ? 3 : 2) * c;
		uint32_t *r = vec_grow(w->arena, sizeof(uint32_t), words);
		if (r == NULL)
			return -ENOMEM;
		r[0] = (uint32_t)c | (wide ? DIX_WIDE : 0);
		r[1] = entry;
		for (size_t i = 0; i < c; i++) {
			if (wide) {
				r[2 + 2 * i] = (uint32_t)keys[i];
				r[3 + 2 * i] = (uint32_t)(keys[i] >> 32);
			} else {
				r[2 + i] = dix_window(keys[i], pos);
			}
		}
		memcpy(r + 2 + (wide ? 2 : 1) * c, vals, c * sizeof(uint32_t));
		/* The arena is line-aligned: whether the leaf crosses a line is known here. */
		uint64_t at = w->arena->n - words;
		bool span = (at * 4) / 64 != ((at + words) * 4 - 1) / 64;
		*out = (uint32_t)off | (span ? DIX_E_SPAN : 0);
		return 0;
	}
	uint64_t num = w->nodes->n / 16 - w->nd_base;
	if (num > DIX_E_OFF)
		return -E2BIG;
	if (vec_grow(w->nodes, sizeof(uint32_t), 16) == NULL)
		return -ENOMEM;
	uint32_t child[16];
	size_t j = 0;
	for (unsigned nib = 0; nib < 16; nib++) {
		size_t k = j;
		while (k < c && nib_at(keys[k], pos) == nib)
			k++;
		int rc = write_sub(w, keys + j, vals + j, k - j, entry, pos + 1, &child[nib]);
		if (rc < 0)
			return rc;
		if (k > j)
			entry = vals[k - 1];
		j = k;
	}
	/* Children are numbered after their node: a walk cannot loop. */
	memcpy((uint32_t *)w->nodes->p + 16 * (w->nd_base + num), child, sizeof(child));
	*out = (uint32_t)num | DIX_E_NODE;
	return 0;
}

static int
bw_close(struct bucket_writer *w)
{
	uint32_t e;

	if (w->cur_t == UINT32_MAX)
		return 0;
	int rc = write_sub(w, w->keys.p, w->vals.p, w->keys.n, w->entry, w->dx->depth, &e);
	if (rc < 0)
		return rc;
	w->l1[w->cur_t] = e;
	w->next_t = w->cur_t + 1;
	w->cur_t = UINT32_MAX;
	w->keys.n = 0;
	w->vals.n = 0;
	return 0;
}

static void
bw_fill(struct bucket_writer *w, uint32_t upto)
{
	for (uint32_t t = w->next_t; t < upto; t++)
		w->l1[t] = RV_DIRECT | w->last;
	if (upto > w->next_t)
		w->next_t = upto;
}

static int
bw_add(struct bucket_writer *w, uint64_t k, uint32_t v)
{
	uint32_t t = slot_of(w->dx, k);

	if (t != w->cur_t) {
		int rc = bw_close(w);
		if (rc < 0)
			return rc;
		bw_fill(w, t);
		w->cur_t = t;
		w->entry = w->last;
	}
	if (vec_push(&w->keys, sizeof(k), &k) < 0 || vec_push(&w->vals, sizeof(v), &v) < 0)
		return -ENOMEM;
	w->last = v;
	w->dx->n_bound++;
	return 0;
}

/*
 * Boundaries arrive in key order; several may share a key (ranges ending
 * together) and only the last value at a key counts, and a boundary that
 * does not change the value is no boundary. One pending boundary is held
 * back until the next key shows up.
 */
struct emitter {
	struct bucket_writer *w;
	bool pending;
	uint64_t pk;
	uint32_t pv;
	uint32_t prev; /* value in force before the pending boundary */
};

static int
emit(struct emitter *em, uint64_t k, uint32_t v)
{
	if (em->pending && em->pk == k) {
		em->pv = v;
		if (v == em->prev)
			em->pending = false;
		return 0;
	}
	if (em->pending) {
		int rc = bw_add(em->w, em->pk, em->pv);
		if (rc < 0)
			return rc;
		em->prev = em->pv;
		em->pending = false;
	}
	if (v == em->prev)
		return 0;
	em->pending = true;
	em->pk = k;
	em->pv = v;
	return 0;
}

static int
emit_flush(struct emitter *em)
{
	if (!em->pending)
		return 0;
	em->pending = false;
	return bw_add(em->w, em->pk, em->pv);
}

/*
 * Candidates of a range nested in a range whose candidates are `outer`:
 * both lists merged in precedence order, cut after the first rule that
 * needs no further check (nothing after it can win).
 */
static int
merge_value(struct vec *lists, struct vec *tmp, uint32_t outer, const struct dix_ent *e,
		size_t n, uint32_t *out)
{
	const uint32_t *a = NULL;
	uint32_t na = 0, one = outer;

	if (outer & RV_LIST) {
		const uint32_t *l = (const uint32_t *)lists->p + (outer & RV_LIST_OFF);
		na = l[0];
		a = l + 1;
	} else if (outer != RV_NONE) {
		na = 1;
		a = &one;
	}
	tmp->n = 0;
	if (vec_reserve(tmp, sizeof(uint32_t), na + n) < 0)
		return -ENOMEM;
	uint32_t *o = tmp->p;
	size_t i = 0, j = 0, k = 0;
	while (i < na || j < n) {
		uint32_t v;
		if (j >= n || (i < na && (a[i] & RV_RULE) < (e[j].value & RV_RULE)))
			v = a[i++];
		else
			v = ent_value(&e[j++]);
		o[k++] = v;
		if (!(v & RV_FILT))
			break;
	}
	if (k == 1) {
		*out = o[0];
		return 0;
	}
	if (k == na && memcmp(o, a, k * sizeof(uint32_t)) == 0) {
		*out = outer;
		return 0;
	}
	uint64_t off = lists->n;
	if (off + k + 1 > RV_LIST_OFF)
		return -E2BIG;
	uint32_t *l = vec_grow(lists, sizeof(uint32_t), k + 1);
	if (l == NULL)
		return -ENOMEM;
	l[0] = (uint32_t)k;
	memcpy(l + 1, tmp->p, k * sizeof(uint32_t));
	*out = RV_LIST | (uint32_t)off;
	return 0;
}

/* First-level geometry: the symbols seen at each position decide the radix. */
static void
choose_geometry(struct rules_dix *dx, const struct dix_ent *e, size_t n)
{
	uint16_t used[DIX_POS] = {0};
	uint32_t base[DIX_POS];
	uint8_t cls[DIX_POS][16];

	for (size_t i = 0; i < n; i++) {
		uint64_t k[2] = {e[i].start, ent_end(&e[i])};
		for (int j = 0; j < 2; j++)
			for (int p = 0; p < DIX_POS; p++)
				used[p] |= (uint16_t)(1u << ((k[j] >> (60 - 4 * p)) & 15));
	}
	for (int p = 0; p < DIX_POS; p++) {
		uint32_t c = 1;
		/* Nibble 0 (end) is always class 0; unused nibbles share the last class. */
		for (int nib = 1; nib < 16; nib++)
			if (used[p] & (1u << nib))
				cls[p][nib] = (uint8_t)c++;
		for (int nib = 1; nib < 16; nib++)
			if (!(used[p] & (1u << nib)))
				cls[p][nib] = (uint8_t)c;
		cls[p][0] = 0;
		base[p] = c + 1;
	}
	/*
	 * Up to two slots per entry (one per boundary) keeps most walks to a
	 * node and a leaf even when a rare symbol widens a position's radix;
	 * the cap bounds the table at 32 MiB for tens of millions.
	 */
	uint64_t limit = 2 * (uint64_t)n;
	if (limit < 256)
		limit = 256;
	if (limit > (1u << 23))
		limit = 1u << 23;
	uint64_t prod = 1;
	uint32_t d = 0;
	while (d < DIX_POS && prod * base[d] <= limit)
		prod *= base[d++];
	dx->depth = d;
	dx->n_l1 = (uint32_t)prod;
	memset(dx->cmul, 0, sizeof(dx->cmul));
	uint64_t mult = 1;
	for (int p = (int)d - 1; p >= 0; p--) {
		for (int nib = 0; nib < 16; nib++)
			dx->cmul[p][nib] = (uint32_t)(cls[p][nib] * mult);
		mult *= base[p];
	}
}

struct frame {
	uint64_t end;
	uint32_t value;
};

int
dix_build(struct rules_dix *dx, struct dix_ent *e, size_t n, struct vec *l1, struct vec *arena,
		struct vec *nodes, struct vec *lists)
{
	struct bucket_writer w = {0};
	struct emitter em = {0};
	struct vec tmp = {0};
	struct frame stack[DIX_POS + 2];
	unsigned sp = 0;
	int rc = 0;

	memset(dx, 0, sizeof(*dx));
	if (n == 0)
		return 0;
	sort_ents(e, n);
	choose_geometry(dx, e, n);
	dx->l1_off = l1->n;
	dx->ar_off = arena->n;
	/* Node blocks are 16 words: keep them on line boundaries. */
	dx->nd_off = nodes->n / 16;
	w.l1 = vec_grow(l1, sizeof(uint32_t), dx->n_l1);
	if (w.l1 == NULL)
		return -ENOMEM;
	w.dx = dx;
	w.arena = arena;
	w.ar_base = arena->n;
	w.nodes = nodes;
	w.nd_base = dx->nd_off;
	w.n_l1 = dx->n_l1;
	w.cur_t = UINT32_MAX;
	w.last = RV_NONE;
	w.entry = RV_NONE;
	em.w = &w;
	em.prev = RV_NONE;

	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && e[j].start == e[i].start && ent_exact(&e[j]) == ent_exact(&e[i]))
			j++;
		uint64_t s = e[i].start, end = ent_end(&e[i]);
		while (sp > 0 && stack[sp - 1].end <= s) {
			sp--;
			rc = emit(&em, stack[sp].end, sp > 0 ? stack[sp - 1].value : RV_NONE);
			if (rc < 0)
				goto out;
		}
		uint32_t v;
		rc = merge_value(lists, &tmp, sp > 0 ? stack[sp - 1].value : RV_NONE, e + i, j - i,
				&v);
		if (rc < 0)
			goto out;
		/* Prefix ranges nest at most once per symbol, plus one exact point. */
		stack[sp].end = end;
		stack[sp].value = v;
		sp++;
		rc = emit(&em, s, v);
		if (rc < 0)
			goto out;
		i = j;
	}
	while (sp > 0) {
		sp--;
		rc = emit(&em, stack[sp].end, sp > 0 ? stack[sp - 1].value : RV_NONE);
		if (rc < 0)
			goto out;
	}
	rc = emit_flush(&em);
	if (rc < 0)
		goto out;
	rc = bw_close(&w);
	if (rc < 0)
		goto out;
	bw_fill(&w, dx->n_l1);
out:
	vec_free(&tmp);
	vec_free(&w.keys);
	vec_free(&w.vals);
	return rc;
}
