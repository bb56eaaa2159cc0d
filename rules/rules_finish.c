/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The end of a build: forward actions are resolved to their gateway
 * groups, then, only if no line had an error, the regexes are compiled,
 * the indexes built, the builder's arrays moved into the plan and the
 * plan prepared like a loaded one (rules_plan_prepare()). On any error
 * the builder and the partial plan are freed and the errors returned:
 * nothing is half-built.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rules_bld_int.h"

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
		uint32_t gi = bld_htab_get(&b->grouptab, rules_mix64(gname[i].off), bld_group_eq,
				&c);
		if (gi == UINT32_MAX) {
			errlist_add(&b->errs, b->src_name[site[i].src_idx], site[i].src_idx,
					site[i].line, "rule %u (priority %u): forward to unknown "
					"group \"%s\" (define it with: group %s HOST...)",
					site[i].ordinal, site[i].prio, bld_pstr(b, gname[i]),
					bld_pstr(b, gname[i]));
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
	rc = bld_compile_hs(b, p);
	if (rc < 0) {
		if (rc == -ENOMEM)
			b->oom = true; /* reported as "out of memory" below */
		goto fail;
	}
	rc = bld_build_indexes(b, p);
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
