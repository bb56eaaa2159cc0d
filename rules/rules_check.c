/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Meaning of each rule line: regexes (Hyperscan and PCRE2 must accept
 * them), substitutions and their captures, templates, headers and
 * contacts; then the rule's program, interned so that rules doing the
 * same share one, and the condition that indexes it. Errors name the rule
 * and are collected for every line: a plan with any error is never built.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rules_bld_int.h"
#include "rules_dix.h"

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

	if (bld_intern_view(b, pat, &c.pat) < 0)
		return -1;
	uint64_t h = rules_mix64(c.pat.off ^ ((uint64_t)caseless << 32));
	uint32_t idx = bld_htab_get(&b->pcretab, h, pcre_eq, &c);
	if (idx != UINT32_MAX) {
		*ncap = ((struct rules_pcre *)b->pcres.p)[idx].ncap;
		return (int)idx;
	}
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)bld_pstr(b, c.pat), c.pat.len,
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
			bld_htab_put(&b->pcretab, h, idx) < 0) {
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
	uint32_t idx = bld_htab_get(&b->progtab, h, prog_eq, &c);
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
			bld_htab_put(&b->progtab, h, idx) < 0)
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
	if (bld_intern_view(b, c->v, &re.pat) < 0)
		return -1;
	/* Checked one by one so every bad pattern is reported, not only the first. */
	if (hs_expression_info(bld_pstr(b, re.pat), rules_hs_flags(c->field), &info, &cerr) !=
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
			if (bld_intern_view(b, o->s, &ops[i].s) < 0)
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
		if (pc < 0 || !repl_ok(b, d, o->s, ncap) ||
				bld_intern_view(b, o->s, &ops[i].s) < 0) {
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
				bld_intern_view(b, c->uri, &ct[i].uri) < 0) {
			ok = false;
		}
	}
	for (unsigned i = 0; i < d->n_headers; i++)
		if (!header_ok(b, d, d->header[i]) || bld_intern_view(b, d->header[i], &hd[i]) < 0)
			ok = false;
	if (bld_intern_view(b, d->group, &group) < 0 ||
			bld_intern_view(b, d->reason, &reason) < 0 ||
			bld_intern_view(b, d->attrs, &attrs) < 0)
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
			if (bld_intern(b, v, c->v.len, &g.s) < 0)
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
				if (bld_intern(b, lit[k], ll, &sr) < 0 ||
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
			if (bld_intern(b, v, c->v.len, &rc.s) < 0)
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
			if (bld_intern_view(b, c->v, &rc.s) < 0)
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
