/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The matcher. Per lookup, cheapest first: the digit and generic indexes
 * (one or two cache lines each), rules without an index, then the regex
 * databases, and a field's database is scanned only if one of its rules
 * could still beat the best candidate so far. Rules are numbered in
 * precedence order, so every comparison is an integer compare. Only the
 * winner's rule, program, substitutions and templates are touched.
 *
 * No allocation, no locks, no system calls: everything variable lives
 * in the caller's scratch and buffers.
 */
#include <errno.h>
#include <string.h>

#include "rules_dix.h"
#include "rules_impl.h"
#include "rules_tmpl.h"

/* ---- scratch ---- */

struct rules_scratch *
rules_scratch_create(const struct rules_plan *plan)
{
	struct rules_scratch *s = calloc(1, sizeof(*s));
	size_t n = plan->n_regex ? plan->n_regex : 1;

	if (s == NULL)
		return NULL;
	s->plan = plan;
	s->gen = 1;
	s->stamp = calloc(n, sizeof(uint32_t));
	s->cand = calloc(n, sizeof(uint32_t));
	/* \0..\9: captures beyond nine are never used by a replacement. */
	s->md = pcre2_match_data_create(10, NULL);
	if (s->stamp == NULL || s->cand == NULL || s->md == NULL)
		goto fail;
	/*
	 * Without JIT, PCRE2 allocates its backtracking frames in the match
	 * data on first use: do that now rather than in a worker's lookup.
	 */
	for (uint64_t i = 0; i < plan->n_pcres; i++)
		(void)pcre2_match(plan->pcre[i], (PCRE2_SPTR) "", 0, 0, 0, s->md, NULL);
	if (plan->hs_proto != NULL && hs_clone_scratch(plan->hs_proto, &s->hs) != HS_SUCCESS)
		goto fail;
	return s;
fail:
	rules_scratch_free(s);
	return NULL;
}

struct rules_scratch *
rules_scratch_clone(const struct rules_scratch *proto)
{
	return rules_scratch_create(proto->plan);
}

void
rules_scratch_free(struct rules_scratch *s)
{
	if (s == NULL)
		return;
	if (s->hs != NULL)
		hs_free_scratch(s->hs);
	pcre2_match_data_free(s->md);
	free(s->stamp);
	free(s->cand);
	free(s);
}

/* ---- one lookup ---- */

struct mctx {
	const struct rules_plan *p;
	struct rules_scratch *s;
	const struct rules_query *q;
	struct rules_trace *tr;
	uint32_t best;
};

static struct rules_view
domain_lc(struct mctx *m)
{
	struct rules_scratch *s = m->s;

	if (!s->dom_ready) {
		struct rules_view d = m->q->domain;
		/* Longer than any host name: kept as is, so it matches nothing lower-cased. */
		if (d.len > sizeof(s->dom_lc)) {
			s->dom = d;
		} else {
			for (uint32_t i = 0; i < d.len; i++) {
				char c = d.p[i];
				s->dom_lc[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			}
			s->dom = (struct rules_view){s->dom_lc, d.len};
		}
		s->dom_ready = true;
	}
	return s->dom;
}

static inline struct rules_view
field_view(struct mctx *m, unsigned f)
{
	const struct rules_query *q = m->q;

	switch (f) {
	case RULES_F_USER:
		return q->user;
	case RULES_F_DOMAIN:
		return domain_lc(m);
	case RULES_F_FROM:
		return q->from;
	default:
		return q->to;
	}
}

struct scan_ctx {
	const struct rules_plan *p;
	struct rules_scratch *s;
};

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
		void *ctx)
{
	struct scan_ctx *c = ctx;
	struct rules_scratch *s = c->s;
	uint32_t prim;

	/* A database from a blob is trusted only as far as its ids are in range. */
	if (id >= c->p->n_regex)
		return 0;
	prim = c->p->regex[id].prim;
	(void)from;
	(void)to;
	(void)flags;
	s->stamp[id] = s->gen;
	if (prim != RV_NONE && (prim & RV_RULE) < s->best_hint)
		s->cand[s->n_cand++] = prim;
	return 0;
}

/* Scan field f's database once per lookup: stamps for filters, candidates for rules. */
static void
scan_field(struct mctx *m, unsigned f)
{
	struct rules_scratch *s = m->s;
	struct scan_ctx c = {m->p, s};

	if (s->scanned & (1u << f))
		return;
	s->scanned |= 1u << f;
	s->cand_start[f] = s->n_cand;
	s->best_hint = m->tr != NULL ? UINT32_MAX : m->best;
	struct rules_view v = field_view(m, f);
	hs_error_t e = hs_scan(m->p->hs[f], v.p != NULL ? v.p : "", v.len, 0, s->hs, on_match, &c);
	if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
		s->scan_err = -EINVAL;
	s->cand_end[f] = s->n_cand;
}

static bool
method_in(struct rules_view m, const char *list, uint32_t len)
{
	uint32_t st = 0;

	for (uint32_t i = 0; i <= len; i++) {
		if (i < len && list[i] != ',')
			continue;
		if (i - st == m.len && memcmp(list + st, m.p, m.len) == 0)
			return true;
		st = i + 1;
	}
	return false;
}

static bool
cidr_in(const struct rules_query *q, const struct rules_cidr *c)
{
	unsigned full = c->bits / 8, rem = c->bits % 8;

	if (q->src_af != c->af)
		return false;
	if (memcmp(q->src, c->a, full) != 0)
		return false;
	if (rem == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rem));
	return (q->src[full] & mask) == c->a[full];
}

static bool
cond_ok(struct mctx *m, const struct rules_cond *c)
{
	const struct rules_plan *p = m->p;
	struct rules_view v;

	switch (c->type) {
	case CT_PREFIX:
		v = field_view(m, c->field);
		return v.len >= c->s.len && memcmp(v.p, rules_str(p, c->s), c->s.len) == 0;
	case CT_EXACT:
		v = field_view(m, c->field);
		return v.len == c->s.len && memcmp(v.p, rules_str(p, c->s), c->s.len) == 0;
	case CT_REGEX:
		scan_field(m, c->field);
		return m->s->stamp[c->n] == m->s->gen;
	case CT_LEN:
		return field_view(m, c->field).len == c->n;
	case CT_SRC:
		for (uint32_t i = 0; i < c->n; i++)
			if (cidr_in(m->q, &p->cidrs[c->s.off + i]))
				return true;
		return false;
	case CT_METHOD:
		return method_in(m->q->method, rules_str(p, c->s), c->s.len);
	default:
		return false;
	}
}

/* The rule's own regex failed (a rule indexed by the regex's literal prefix). */
#define FAIL_PRIMARY UINT32_MAX

/*
 * 0 if every further condition of rule r holds, else the index of the
 * first that fails (FAIL_PRIMARY for its indexing regex).
 */
static uint32_t
filters_fail(struct mctx *m, uint32_t r)
{
	const struct rules_rule *ru = &m->p->rules[r];
	uint32_t i = ru->filt;

	if (PRIM_KIND(ru->prim) == PK_REGEX) {
		uint32_t re = PRIM_ARG(ru->prim);
		const struct rules_regex *rx = &m->p->regex[re];
		if (rx->pcre != UINT32_MAX) {
			/*
			 * Found by the literal prefix of its regex: check that regex
			 * alone, far cheaper than scanning every regex of the field
			 * (and it leaves the caches to the lookups in flight).
			 */
			struct rules_view v = field_view(m, rx->field);
			const struct rules_digits *dg = &m->p->digits[rx->pcre];
			int hit = dg->ok ? rules_digits_match(dg, v.p != NULL ? v.p : "", v.len) : -1;
			if (hit == 0 || (hit < 0 && pcre2_match(m->p->pcre[rx->pcre],
					(PCRE2_SPTR)(v.p != NULL ? v.p : ""), v.len, 0, 0, m->s->md,
					NULL) < 0))
				return FAIL_PRIMARY;
		} else {
			/* Found by the scan: its stamp is set. */
			scan_field(m, rx->field);
			if (m->s->stamp[re] != m->s->gen)
				return FAIL_PRIMARY;
		}
	}
	if (i == 0)
		return 0;
	for (;; i++) {
		const struct rules_cond *c = &m->p->conds[i];
		if (!cond_ok(m, c))
			return i;
		if (c->last)
			return 0;
	}
}

static void
trace_cand(struct rules_trace *tr, uint32_t r, uint32_t failed)
{
	if (tr->n_cands < RULES_EXPLAIN_CANDS) {
		tr->cand[tr->n_cands].rule = r;
		tr->cand[tr->n_cands].failed = failed;
		tr->n_cands++;
	}
}

/* Candidate v (one encoded rule): does it hold, and is it the best so far? */
static inline bool
consider(struct mctx *m, uint32_t v)
{
	uint32_t r = v & RV_RULE;
	uint32_t failed = 0;

	if (r >= m->best && m->tr == NULL)
		return false;
	if (v & RV_FILT)
		failed = filters_fail(m, r);
	if (m->tr != NULL)
		trace_cand(m->tr, r, failed);
	if (failed != 0)
		return false;
	if (r < m->best)
		m->best = r;
	return true;
}

static inline void
consider_value(struct mctx *m, uint32_t v)
{
	if (v == RV_NONE)
		return;
	if (!(v & RV_LIST)) {
		consider(m, v);
		return;
	}
	const uint32_t *l = m->p->lists + (v & RV_LIST_OFF);
	for (uint32_t i = 0; i < l[0]; i++) {
		/* In precedence order: the first that holds is the best of the list. */
		if (consider(m, l[1 + i]) && m->tr == NULL)
			return;
		if ((l[1 + i] & RV_RULE) >= m->best && m->tr == NULL)
			return;
	}
}

static void
probe_generic(struct mctx *m, unsigned f)
{
	const struct rules_plan *p = m->p;
	struct rules_view v = field_view(m, f);
	uint64_t plen = p->h.gen_plen[f];
	uint64_t h = gen_hash_start(f);

	for (uint32_t l = 1; l <= v.len; l++) {
		h = gen_hash_step(h, (unsigned char)v.p[l - 1]);
		unsigned kind;
		if (l <= 64 && (plen & (1ull << (l - 1))))
			kind = PK_PREFIX;
		else if (l == v.len && p->h.gen_exact[f])
			kind = PK_EXACT;
		else
			continue;
		for (;;) {
			uint64_t key = gen_hash_final(h, l, kind);
			for (uint32_t i = (uint32_t)key & p->h.gtab_mask; p->gtab[i] != 0;
					i = (i + 1) & p->h.gtab_mask) {
				const struct rules_gent *e = &p->gents[p->gtab[i] - 1];
				if (e->key == key && e->field == f && e->kind == kind &&
						e->s.len == l &&
						memcmp(rules_str(p, e->s), v.p, l) == 0) {
					consider_value(m, e->value);
					break;
				}
			}
			/* At the full length both a prefix and an exact value may exist. */
			if (kind == PK_PREFIX && l == v.len && p->h.gen_exact[f]) {
				kind = PK_EXACT;
				continue;
			}
			break;
		}
	}
}

/* The user field's digit-index candidate, found ahead of the match (bursts). */
struct pre {
	uint32_t value;
};

static inline void
find_best(struct mctx *m, const struct pre *pre)
{
	const struct rules_plan *p = m->p;
	uint32_t fields = p->h.fields_dix;

	while (fields != 0) {
		unsigned f = (unsigned)__builtin_ctz(fields);
		const struct rules_dix *dx = &p->h.dix[f];
		fields &= fields - 1;
		if (pre != NULL && f == RULES_F_USER) {
			consider_value(m, pre->value);
		} else {
			struct rules_view v = field_view(m, f);
			uint64_t x;
			uint32_t t = dix_locate(dx, v.p, v.len, &x);
			consider_value(m, dix_find(p, dx, x, t));
		}
	}
	fields = p->h.fields_gen;
	while (fields != 0) {
		unsigned f = (unsigned)__builtin_ctz(fields);
		fields &= fields - 1;
		probe_generic(m, f);
	}
	for (uint64_t i = 0; i < p->n_unidx; i++) {
		uint32_t v = p->unidx[i];
		if ((v & RV_RULE) >= m->best && m->tr == NULL)
			break;
		if (consider(m, v) && m->tr == NULL)
			break;
	}
	fields = p->h.fields_re;
	while (fields != 0) {
		unsigned f = (unsigned)__builtin_ctz(fields);
		fields &= fields - 1;
		/* Skip the scan when none of this field's regex rules can win any more. */
		if (p->h.re_min[f] == RV_NONE || (p->h.re_min[f] >= m->best && m->tr == NULL))
			continue;
		scan_field(m, f);
		for (uint32_t i = m->s->cand_start[f]; i < m->s->cand_end[f]; i++)
			consider(m, m->s->cand[i]);
	}
}

/* ---- applying the winner ---- */

struct wbuf {
	char *p;
	size_t cap;
	size_t len;
	bool full;
};

static inline void
put(struct wbuf *w, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (w->len + n > w->cap) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

/*
 * Template segments from sg on (rules_tmpl.h), up to the one that ends
 * the template; returns the segment after it.
 */
static const struct rules_tseg *
render(struct wbuf *w, const struct rules_plan *p, const struct rules_tseg *sg,
		const struct rules_query *q, struct rules_view user)
{
	for (;; sg++) {
		put(w, p->tpool + sg->off, sg->len);
		struct rules_view v;
		switch (sg->var) {
		case TV_USER:
			v = user;
			break;
		case TV_RUSER:
			v = q->user;
			break;
		case TV_DOMAIN:
			v = q->domain;
			break;
		case TV_FROM:
			v = q->from;
			break;
		case TV_TO:
			v = q->to;
			break;
		default:
			return sg + 1;
		}
		put(w, v.p, v.len);
	}
}

static void
trace_step(struct rules_trace *tr, const char *op, const char *arg, size_t arg_len,
		struct rules_view val)
{
	if (tr == NULL || tr->n_steps >= RULES_EXPLAIN_STEPS)
		return;
	struct rules_explain_step *st = &tr->step[tr->n_steps++];
	snprintf(st->op, sizeof(st->op), "%s", op);
	snprintf(st->arg, sizeof(st->arg), "%.*s", (int)arg_len, arg);
	snprintf(st->value, sizeof(st->value), "%.*s", (int)val.len, val.p != NULL ? val.p : "");
}

/*
 * Kamailio dialplan semantics: when the pattern matches, the value
 * becomes the replacement with \N taken from the captures; otherwise it
 * is unchanged. Returns 1 if it matched, 0 if not, -ENOSPC.
 */
static int
subst(const struct rules_plan *p, struct rules_scratch *s, const struct rules_op *op,
		struct rules_view in, char *out, struct rules_view *res)
{
	int rc = pcre2_match(p->pcre[op->n], (PCRE2_SPTR)(in.p != NULL ? in.p : ""), in.len, 0, 0,
			s->md, NULL);
	struct rules_view r = rules_sview(p, op->s);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
	uint32_t ng = rc > 0 ? (uint32_t)rc : 10;
	size_t n = 0;

	/* No match, or a matching error (limits): the value stays as it is. */
	if (rc < 0)
		return 0;
	for (uint32_t i = 0; i < r.len; i++) {
		const char *src = r.p + i;
		size_t len = 1;
		if (r.p[i] == '\\') {
			i++;
			if (r.p[i] == '\\') {
				src = r.p + i;
			} else {
				uint32_t g = (uint32_t)(r.p[i] - '0');
				/* A group that did not take part is empty (PCRE2 unset). */
				if (g < ng && ov[2 * g] != PCRE2_UNSET) {
					src = in.p + ov[2 * g];
					len = ov[2 * g + 1] - ov[2 * g];
				} else {
					len = 0;
				}
			}
		}
		if (n + len > RULES_VALUE_MAX)
			return -ENOSPC;
		memcpy(out + n, src, len);
		n += len;
	}
	*res = (struct rules_view){out, (uint32_t)n};
	return 1;
}

static int
transform(const struct rules_plan *p, struct rules_scratch *s, const struct rules_prog *pg,
		struct rules_view in, struct rules_view *out, struct rules_trace *tr)
{
	struct rules_view cur = in;
	unsigned k = 0;

	for (unsigned i = 0; i < pg->n_ops; i++) {
		const struct rules_op *op = &p->ops[pg->ops + i];
		char *dst = s->val[k];
		switch (op->type) {
		case OP_STRIP: {
			uint32_t n = op->n < cur.len ? op->n : cur.len;
			/* An absent user is {NULL, 0}: never offset a null pointer. */
			if (n > 0) {
				cur.p += n;
				cur.len -= n;
			}
			if (tr != NULL) {
				char a[12];
				int an = snprintf(a, sizeof(a), "%u", op->n);
				trace_step(tr, "strip", a, (size_t)an, cur);
			}
			break;
		}
		case OP_ADD:
			if (op->s.len + cur.len > RULES_VALUE_MAX)
				return -ENOSPC;
			memcpy(dst, rules_str(p, op->s), op->s.len);
			if (cur.len != 0)
				memmove(dst + op->s.len, cur.p, cur.len);
			cur = (struct rules_view){dst, op->s.len + cur.len};
			k ^= 1;
			trace_step(tr, "add", rules_str(p, op->s), op->s.len, cur);
			break;
		case OP_SET:
			cur = rules_sview(p, op->s);
			trace_step(tr, "set", rules_str(p, op->s), op->s.len, cur);
			break;
		case OP_SUBST: {
			int rc = subst(p, s, op, cur, dst, &cur);
			if (rc < 0)
				return rc;
			if (rc > 0)
				k ^= 1;
			if (tr != NULL) {
				char a[96];
				int an = snprintf(a, sizeof(a), "%s -> %s%s",
						rules_str(p, p->pcres[op->n].pat),
						rules_str(p, op->s),
						rc > 0 ? "" : " (no match: unchanged)");
				trace_step(tr, "subst", a, an > 0 ? (size_t)an : 0, cur);
			}
			break;
		}
		default:
			break;
		}
	}
	*out = cur;
	return 0;
}

static inline bool
gw_is_down(const uint64_t *down, uint32_t gw)
{
	if (down == NULL)
		return false;
	/* Written by the health tracker at any time: a relaxed atomic read is enough. */
	return (__atomic_load_n(&down[gw / 64], __ATOMIC_RELAXED) >> (gw % 64)) & 1;
}

/* Member with weighted position x < total. */
static uint32_t
pick(const struct rules_member *m, uint32_t n, uint32_t x, const uint64_t *down, bool up_only)
{
	for (uint32_t i = 0; i < n; i++) {
		if (up_only && gw_is_down(down, m[i].gw))
			continue;
		if (x < m[i].weight)
			return i;
		x -= m[i].weight;
	}
	return n - 1;
}

/*
 * Gateway by hash of the Call-ID, never at random: retransmissions,
 * CANCEL and ACK follow the INVITE. First choice over all members (so
 * calls to healthy gateways never move when another one fails); if that
 * one is down, a second hash over the members that are up.
 */
static void
choose_gw(const struct rules_plan *p, const struct rules_prog *pg, const struct rules_query *q,
		const uint64_t *down, struct rules_result *r)
{
	const struct rules_group *g = &p->groups[pg->group];
	const struct rules_member *m = &p->members[g->first];
	uint64_t h = rules_mix64(q->callid_hash ^ ((uint64_t)pg->group << 32));
	uint32_t i = pick(m, g->n, (uint32_t)(((h >> 32) * g->total) >> 32), down, false);

	if (gw_is_down(down, m[i].gw)) {
		uint32_t up = 0;
		for (uint32_t j = 0; j < g->n; j++)
			if (!gw_is_down(down, m[j].gw))
				up += m[j].weight;
		if (up == 0) {
			r->gw = RULES_GW_ALL_DOWN;
			return;
		}
		h = rules_mix64(h + 0x9e3779b97f4a7c15ull);
		i = pick(m, g->n, (uint32_t)(((h >> 32) * up) >> 32), down, true);
	}
	const struct rules_gw *gw = &p->gws[m[i].gw];
	r->gw = (int32_t)m[i].gw;
	r->gw_host = rules_sview(p, gw->host);
	r->gw_ipv4 = p->gw_ipv4[m[i].gw].ok ? p->gw_ipv4[m[i].gw].a : NULL;
	r->gw_port = gw->port;
	r->gw_transport = gw->transport;
}

/* The text of a well-known status code, with its length (no strlen() per decision). */
#define REASON(s) ((struct rules_view){(s), sizeof(s) - 1})

static struct rules_view
default_reason(unsigned code)
{
	switch (code) {
	case 300: return REASON("Multiple Choices");
	case 301: return REASON("Moved Permanently");
	case 302: return REASON("Moved Temporarily");
	case 305: return REASON("Use Proxy");
	case 380: return REASON("Alternative Service");
	case 400: return REASON("Bad Request");
	case 403: return REASON("Forbidden");
	case 404: return REASON("Not Found");
	case 410: return REASON("Gone");
	case 480: return REASON("Temporarily Unavailable");
	case 484: return REASON("Address Incomplete");
	case 486: return REASON("Busy Here");
	case 488: return REASON("Not Acceptable Here");
	case 500: return REASON("Server Internal Error");
	case 502: return REASON("Bad Gateway");
	case 503: return REASON("Service Unavailable");
	case 603: return REASON("Decline");
	case 604: return REASON("Does Not Exist Anywhere");
	default:
		return code < 400 ? REASON("Redirection") : code < 500 ? REASON("Request Failure") :
			code < 600 ? REASON("Server Failure") : REASON("Global Failure");
	}
}

#undef REASON

static int
apply(struct mctx *m, const uint64_t *gw_down, struct rules_result *r, char *buf, size_t cap)
{
	const struct rules_plan *p = m->p;
	const struct rules_rule *ru = &p->rules[m->best];
	const struct rules_prog *pg = &p->progs[ru->prog];
	struct wbuf w = {buf, cap, 0, false};
	struct rules_view user;
	int rc;

	r->rule = m->best;
	r->line = ru->line;
	r->prio = rules_prio(p, m->best);
	r->action = (enum rules_action)pg->action;
	r->code = pg->code;
	if (pg->action == RULES_ACT_REDIRECT || pg->action == RULES_ACT_REJECT) {
		r->reason = pg->reason.len != 0 ? rules_sview(p, pg->reason) :
			default_reason(pg->code);
	}
	r->attrs = rules_sview(p, pg->attrs);
	rc = transform(p, m->s, pg, m->q->user, &user, m->tr);
	if (rc < 0)
		return rc;
	/*
	 * Only a value built in the scratch must be copied out: otherwise it
	 * is (part of) the query's user or a plan string, both of which
	 * outlive the result.
	 */
	const char *val = (const char *)m->s->val; /* both buffers, as one object */
	if (user.p >= val && user.p < val + sizeof(m->s->val)) {
		put(&w, user.p, user.len);
		user = (struct rules_view){buf, (uint32_t)w.len};
	}
	r->user = user;
	/* A program's contacts (and headers) are consecutive, and so are their segments. */
	const struct rules_tseg *sg = pg->n_contacts ? p->tsegs + p->tmpl_ct[pg->contacts] : NULL;
	for (unsigned i = 0; i < pg->n_contacts; i++) {
		size_t st = w.len;
		sg = render(&w, p, sg, m->q, user);
		r->contact[i] = (struct rules_view){buf + st, (uint32_t)(w.len - st)};
	}
	r->n_contacts = pg->n_contacts;
	size_t hst = w.len;
	sg = pg->n_headers ? p->tsegs + p->tmpl_hdr[pg->headers] : NULL;
	for (unsigned i = 0; i < pg->n_headers; i++)
		sg = render(&w, p, sg, m->q, user);
	r->headers = (struct rules_view){buf + hst, (uint32_t)(w.len - hst)};
	if (pg->action == RULES_ACT_FORWARD)
		choose_gw(p, pg, m->q, gw_down, r);
	if (w.full) {
		r->n_contacts = 0;
		r->headers = (struct rules_view){NULL, 0};
		r->user = (struct rules_view){NULL, 0};
		return -ENOSPC;
	}
	return 0;
}

static inline void
result_init(struct rules_result *r)
{
	r->err = 0;
	r->action = RULES_ACT_NONE;
	r->rule = RULES_NO_RULE;
	r->line = 0;
	r->prio = 0;
	r->code = 0;
	r->reason = (struct rules_view){NULL, 0};
	r->user = (struct rules_view){NULL, 0};
	r->n_contacts = 0;
	r->gw = RULES_GW_NONE;
	r->gw_host = (struct rules_view){NULL, 0};
	r->gw_ipv4 = NULL;
	r->gw_port = 0;
	r->gw_transport = 0;
	r->headers = (struct rules_view){NULL, 0};
	r->attrs = (struct rules_view){NULL, 0};
}

static inline __attribute__((always_inline)) int
match_core(const struct rules_plan *p, struct rules_scratch *s, const struct rules_query *q,
		const uint64_t *gw_down, struct rules_result *r, char *buf, size_t cap,
		struct rules_trace *tr, const struct pre *pre)
{
	struct mctx m = {p, s, q, tr, RV_NONE};

	result_init(r);
	if (s->plan != p)
		return -EINVAL;
	if (++s->gen == 0) {
		/* Once per 2^32 lookups: old stamps could alias the new counter. */
		memset(s->stamp, 0, (p->n_regex ? p->n_regex : 1) * sizeof(uint32_t));
		s->gen = 1;
	}
	s->scanned = 0;
	s->n_cand = 0;
	s->dom_ready = false;
	s->scan_err = 0;
	find_best(&m, pre);
	if (s->scan_err != 0)
		return s->scan_err;
	if (m.best == RV_NONE)
		return 0;
	return apply(&m, gw_down, r, buf, cap);
}

int
rules_match(const struct rules_plan *plan, struct rules_scratch *s, const struct rules_query *q,
		const uint64_t *gw_down, struct rules_result *r, char *buf, size_t cap)
{
	return match_core(plan, s, q, gw_down, r, buf, cap, NULL, NULL);
}

int
rules_match_trace(const struct rules_plan *p, struct rules_scratch *s,
		const struct rules_query *q, const uint64_t *gw_down, struct rules_result *r,
		char *buf, size_t cap, struct rules_trace *tr)
{
	return match_core(p, s, q, gw_down, r, buf, cap, tr, NULL);
}

/*
 * Software pipeline of a burst: query i is located and its first-level
 * entry requested at step i; from step i + AHEAD on, each stage reads what
 * the previous one requested and requests the next line (a node's child,
 * then the leaf, then the winner's rule record), AHEAD steps apart; query
 * i is matched at step i + (WALK_STAGES + 2) * AHEAD. Every line has a few
 * matches' worth of time to arrive and the misses of consecutive queries
 * overlap. Walks deeper than WALK_STAGES records finish at match time.
 */
#define AHEAD 4
#define WALK_STAGES 4
/* Locate, first level, the walk stages, the candidate list stage, match. */
#define STAGES (WALK_STAGES + 3)
/*
 * Walks in flight: more than STAGES * AHEAD, and a power of two, so that a
 * slot's index is a mask (a modulo by 29 costs a multiply and shifts, and
 * the loop takes seven of them a query).
 */
#define RING 32
_Static_assert(RING > STAGES * AHEAD && (RING & (RING - 1)) == 0, "ring size");
/* Rules at the head of a candidate list whose records are requested ahead. */
#define LIST_PREFETCH 3

/* Where a query's walk through the user field's digit index stands. */
struct walk {
	uint64_t x;
	uint32_t e;   /* first-level slot, then the record to read */
	uint32_t pos; /* nibble a node at e splits on */
	uint32_t value;
	bool done;
};

/*
 * Request the rule record of candidate v, or the line of its candidate
 * list (whose rules are requested a stage later). A macro, not a
 * function: GCC judges a function that only prefetches to have no
 * effect and deletes calls to it.
 */
#define PREFETCH_RULE(p, v) do { \
	if ((v) == RV_NONE) \
		break; \
	if ((v) & RV_LIST) \
		__builtin_prefetch(&(p)->lists[(v) & RV_LIST_OFF]); \
	else \
		__builtin_prefetch(&(p)->rules[(v) & RV_RULE]); \
} while (0)

static inline void
walk_found(const struct rules_plan *p, struct walk *w, uint32_t v)
{
	w->value = v;
	w->done = true;
	PREFETCH_RULE(p, v);
}

/* Take entry e of the walk: a value ends it, a record is requested. */
static inline void
walk_entry(const struct rules_plan *p, const struct rules_dix *dx, struct walk *w, uint32_t e)
{
	if (e & RV_DIRECT) {
		walk_found(p, w, e & ~RV_DIRECT);
		return;
	}
	w->e = e;
	DIX_PREFETCH(p, dx, e);
}

/* Read the record the walk is at (requested a stage ago) and request the next one. */
static inline void
walk_step(const struct rules_plan *p, const struct rules_dix *dx, struct walk *w)
{
	if (w->done)
		return;
	uint32_t e = w->e;
	if (!(e & DIX_E_NODE)) {
		walk_found(p, w, dix_leaf(p->arena + dx->ar_off + (e & DIX_E_OFF), w->x, w->pos));
		return;
	}
	if (w->pos >= DIX_POS) {
		walk_found(p, w, RV_NONE);
		return;
	}
	e = p->nodes[16 * (dx->nd_off + (e & DIX_E_OFF)) + ((w->x >> (60 - 4 * w->pos)) & 15)];
	w->pos++;
	walk_entry(p, dx, w, e);
}

unsigned
rules_match_burst(const struct rules_plan *p, struct rules_scratch *s,
		const struct rules_query *q, unsigned n, const uint64_t *gw_down,
		struct rules_result *r, char *bufs, size_t buf_size)
{
	const struct rules_dix *dx = &p->h.dix[RULES_F_USER];
	struct walk w[RING];

	if (!(p->h.fields_dix & (1u << RULES_F_USER)) || !p->pipeline) {
		for (unsigned i = 0; i < n; i++)
			r[i].err = match_core(p, s, &q[i], gw_down, &r[i], bufs + i * buf_size,
					buf_size, NULL, NULL);
		return n;
	}
	for (unsigned i = 0; i < n + STAGES * AHEAD; i++) {
		/* Oldest first: a ring slot is reused only after its query was matched. */
		if (i >= STAGES * AHEAD) {
			unsigned j = i - STAGES * AHEAD;
			struct walk *m = &w[j % RING];
			while (!m->done)
				walk_step(p, dx, m);
			struct pre pr = {m->value};
			r[j].err = match_core(p, s, &q[j], gw_down, &r[j], bufs + j * buf_size,
					buf_size, NULL, &pr);
		}
		if (i >= (STAGES - 1) * AHEAD && i - (STAGES - 1) * AHEAD < n) {
			/* A list arrived: request the records of its first rules. */
			const struct walk *l = &w[(i - (STAGES - 1) * AHEAD) % RING];
			if (l->done && l->value != RV_NONE && (l->value & RV_LIST)) {
				/*
				 * The first rules may win if their conditions hold; the
				 * last one (no further conditions) wins otherwise.
				 */
				const uint32_t *lst = p->lists + (l->value & RV_LIST_OFF);
				for (uint32_t k = 0; k < lst[0] && k < LIST_PREFETCH; k++)
					__builtin_prefetch(&p->rules[lst[1 + k] & RV_RULE]);
				__builtin_prefetch(&p->rules[lst[lst[0]] & RV_RULE]);
			}
		}
		for (unsigned st = WALK_STAGES; st >= 1; st--) {
			unsigned d = (st + 1) * AHEAD;
			if (i >= d && i - d < n)
				walk_step(p, dx, &w[(i - d) % RING]);
		}
		if (i >= AHEAD && i - AHEAD < n) {
			struct walk *b = &w[(i - AHEAD) % RING];
			walk_entry(p, dx, b, p->l1[dx->l1_off + b->e]);
		}
		if (i < n) {
			struct walk *a = &w[i % RING];
			a->e = dix_locate(dx, q[i].user.p, q[i].user.len, &a->x);
			a->pos = dx->depth;
			a->done = false;
			__builtin_prefetch(dix_l1_addr(p, dx, a->e));
		}
	}
	return n;
}
