/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * translate/explain for the control socket: the matcher's own code run
 * with tracing (rules_match_trace), turned into fields and prose.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules_impl.h"

static const char *const field_names[RULES_F__COUNT] = {"user", "domain", "from", "to"};

struct text {
	char *p;
	size_t cap;
	size_t len;
};

static void
tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->cap == 0 || t->len >= t->cap - 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < t->cap - t->len ? (size_t)n : t->cap - t->len - 1;
}

static void
describe_cond(const struct rules_plan *p, const struct rules_cond *c, struct text *t)
{
	switch (c->type) {
	case CT_PREFIX:
	case CT_EXACT:
		tprintf(t, "%s %s \"%s\"", field_names[c->field],
				c->type == CT_PREFIX ? "prefix" : "exact", rules_str(p, c->s));
		break;
	case CT_REGEX:
		tprintf(t, "%s regex \"%s\"", field_names[c->field],
				rules_str(p, p->regex[c->n].pat));
		break;
	case CT_LEN:
		tprintf(t, "%s len %u", field_names[c->field], c->n);
		break;
	case CT_SRC:
		tprintf(t, "src ");
		for (uint32_t i = 0; i < c->n; i++) {
			const struct rules_cidr *a = &p->cidrs[c->s.off + i];
			char s[INET6_ADDRSTRLEN];
			inet_ntop(a->af == 4 ? AF_INET : AF_INET6, a->a, s, sizeof(s));
			tprintf(t, "%s%s/%u", i ? "," : "", s, a->bits);
		}
		break;
	case CT_METHOD:
		tprintf(t, "method %s", rules_str(p, c->s));
		break;
	default:
		tprintf(t, "?");
		break;
	}
}

static struct rules_view
qfield(const struct rules_query *q, unsigned f)
{
	return f == RULES_F_USER ? q->user : f == RULES_F_DOMAIN ? q->domain :
		f == RULES_F_FROM ? q->from : q->to;
}

/* The winner's conditions, as they matched. */
static void
describe_rule(const struct rules_plan *p, const struct rules_query *q, uint32_t r,
		struct text *t)
{
	const struct rules_rule *ru = &p->rules[r];
	unsigned kind = PRIM_KIND(ru->prim), f = PRIM_FIELD(ru->prim);
	bool any = false;

	if (kind == PK_PREFIX || kind == PK_EXACT) {
		/* The index value is not stored: it is the first bytes of the field. */
		struct rules_view v = qfield(q, f);
		uint32_t n = PRIM_ARG(ru->prim);
		char val[256];
		for (uint32_t i = 0; i < n && i < v.len && i < sizeof(val) - 1; i++)
			val[i] = (char)(f == RULES_F_DOMAIN && v.p[i] >= 'A' && v.p[i] <= 'Z' ?
					v.p[i] + 32 : v.p[i]);
		val[n < sizeof(val) - 1 ? n : sizeof(val) - 1] = '\0';
		tprintf(t, "%s %s \"%s\"", field_names[f], kind == PK_PREFIX ? "prefix" : "exact",
				val);
		if (kind == PK_PREFIX)
			tprintf(t, " (%u character%s)", n, n == 1 ? "" : "s");
		any = true;
	} else if (kind == PK_REGEX) {
		tprintf(t, "%s regex \"%s\"", field_names[f],
				rules_str(p, p->regex[PRIM_ARG(ru->prim)].pat));
		any = true;
	}
	for (uint32_t i = ru->filt; ru->filt != 0; i++) {
		tprintf(t, "%s", any ? "; " : "");
		describe_cond(p, &p->conds[i], t);
		any = true;
		if (p->conds[i].last)
			break;
	}
	if (!any)
		tprintf(t, "no conditions (matches everything)");
}

static void
put_view(struct text *t, const char *name, struct rules_view v)
{
	tprintf(t, " %s \"%.*s\"", name, (int)v.len, v.p != NULL ? v.p : "");
}

int
rules_explain(const struct rules_plan *p, const struct rules_query *q, const uint64_t *gw_down,
		struct rules_explain *ex, char *text, size_t cap)
{
	struct rules_trace tr;
	struct rules_scratch *s;
	struct text t = {text, cap, 0};
	struct text why = {ex->why, sizeof(ex->why), 0};
	int rc;

	memset(ex, 0, sizeof(*ex));
	memset(&tr, 0, sizeof(tr));
	if (cap > 0)
		text[0] = '\0';
	s = rules_scratch_create(p);
	if (s == NULL)
		return -ENOMEM;
	tr.step = ex->step;
	rc = rules_match_trace(p, s, q, gw_down, &ex->res, ex->buf, sizeof(ex->buf), &tr);
	rules_scratch_free(s);
	ex->n_steps = tr.n_steps;
	struct rules_result *r = &ex->res;
	for (unsigned i = 0; i < tr.n_cands; i++) {
		struct rules_explain_cand *c = &ex->cand[ex->n_cands++];
		struct text o = {c->outcome, sizeof(c->outcome), 0};
		const struct rules_rule *ru = &p->rules[tr.cand[i].rule];
		c->rule = tr.cand[i].rule;
		c->line = ru->line;
		c->prio = rules_prio(p, c->rule);
		if (tr.cand[i].failed == UINT32_MAX) {
			/* Found by the literal prefix of its regex; the regex itself failed. */
			tprintf(&o, "regex \"%s\": did not match",
					rules_str(p, p->regex[PRIM_ARG(ru->prim)].pat));
		} else if (tr.cand[i].failed != 0) {
			describe_cond(p, &p->conds[tr.cand[i].failed], &o);
			tprintf(&o, ": did not match");
		} else if (c->rule == r->rule) {
			tprintf(&o, "won");
		} else {
			tprintf(&o, "matched, lost on precedence to rule %u", r->rule);
		}
	}
	if (r->rule != RULES_NO_RULE)
		describe_rule(p, q, r->rule, &why);

	tprintf(&t, "query:");
	put_view(&t, "user", q->user);
	put_view(&t, "domain", q->domain);
	put_view(&t, "from", q->from);
	put_view(&t, "to", q->to);
	put_view(&t, "method", q->method);
	if (q->src_af == 4 || q->src_af == 6) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(q->src_af == 4 ? AF_INET : AF_INET6, q->src, a, sizeof(a));
		tprintf(&t, " src %s", a);
	}
	tprintf(&t, "\nplan: %s version %llu\n", p->h.name, (unsigned long long)p->h.version);
	if (r->rule == RULES_NO_RULE) {
		tprintf(&t, "result: no rule matched\n");
	} else {
		tprintf(&t, "matched: rule %u at %s:%u, priority %u\n", r->rule, p->h.source,
				r->line, r->prio);
		tprintf(&t, "why: %s\n", ex->why);
	}
	if (ex->n_cands > 1) {
		tprintf(&t, "candidates:\n");
		for (unsigned i = 0; i < ex->n_cands; i++)
			tprintf(&t, "  rule %u (line %u, priority %u): %s\n", ex->cand[i].rule,
					ex->cand[i].line, ex->cand[i].prio, ex->cand[i].outcome);
	}
	if (r->rule != RULES_NO_RULE) {
		tprintf(&t, "user: \"%.*s\"\n", (int)q->user.len,
				q->user.p != NULL ? q->user.p : "");
		for (unsigned i = 0; i < ex->n_steps; i++)
			tprintf(&t, "  %s %s -> \"%s\"\n", ex->step[i].op, ex->step[i].arg,
					ex->step[i].value);
		if (rc == 0 && ex->n_steps > 0)
			tprintf(&t, "  result \"%.*s\"\n", (int)r->user.len, r->user.p);
		tprintf(&t, "action: %s", rules_action_name(r->action));
		switch (r->action) {
		case RULES_ACT_REDIRECT:
		case RULES_ACT_REJECT:
			tprintf(&t, " %u %.*s", r->code, (int)r->reason.len, r->reason.p);
			break;
		case RULES_ACT_FORWARD:
			tprintf(&t, " group %s", rules_str(p,
					p->groups[p->progs[p->rules[r->rule].prog].group].name));
			break;
		default:
			break;
		}
		tprintf(&t, "\n");
		for (unsigned i = 0; i < r->n_contacts; i++)
			tprintf(&t, "  Contact: %.*s\n", (int)r->contact[i].len, r->contact[i].p);
		if (r->action == RULES_ACT_FORWARD) {
			if (r->gw == RULES_GW_ALL_DOWN)
				tprintf(&t, "  target: every gateway of the group is down\n");
			else
				tprintf(&t, "  target: gateway %d %.*s:%u;transport=%s\n", r->gw,
						(int)r->gw_host.len, r->gw_host.p, r->gw_port,
						rules_transport_name(
							(enum rules_transport)r->gw_transport));
		}
		if (r->headers.len > 0)
			tprintf(&t, "  headers: %.*s\n", (int)(r->headers.len - 2), r->headers.p);
		if (r->attrs.len > 0)
			tprintf(&t, "  attrs: %.*s\n", (int)r->attrs.len, r->attrs.p);
	}
	if (rc < 0)
		tprintf(&t, "error: %s\n", rc == -ENOSPC ? "result does not fit (value too long)" :
				"lookup failed");
	return rc;
}
