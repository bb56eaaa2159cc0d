/* SPDX-License-Identifier: BSD-3-Clause */
/* Templates: their variables, and their segments (rules_tmpl.h). */
#include "rules_tmpl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_impl.h"

int
rules_tmpl_var(const char *p, size_t n, size_t *used)
{
	static const struct {
		const char *name;
		size_t len;
		int var;
	} vars[] = {
		{"ruser", 5, TV_RUSER}, {"user", 4, TV_USER}, {"domain", 6, TV_DOMAIN},
		{"from", 4, TV_FROM}, {"to", 2, TV_TO},
	};
	bool brace;

	if (n < 2 || p[0] != '$')
		return -1;
	if (p[1] == '$') {
		*used = 2;
		return TV_DOLLAR;
	}
	brace = p[1] == '{';
	p += 1 + brace;
	n -= 1 + brace;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if (n < vars[i].len || memcmp(p, vars[i].name, vars[i].len) != 0)
			continue;
		if (brace) {
			if (n == vars[i].len || p[vars[i].len] != '}')
				return -1;
			*used = vars[i].len + 3;
			return vars[i].var;
		}
		/* "$userx" is not "$user" followed by "x": ask for braces instead. */
		if (n > vars[i].len) {
			char c = p[vars[i].len];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					(c >= '0' && c <= '9') || c == '_')
				return -1;
		}
		*used = vars[i].len + 1;
		return vars[i].var;
	}
	return -1;
}

/* Segments being built: the text of the open literal starts at lit. */
struct tbuild {
	struct vec text; /* char */
	struct vec segs; /* struct rules_tseg */
	size_t lit;
};

static int
text(struct tbuild *tb, const char *s, size_t n)
{
	char *d = n != 0 ? vec_grow(&tb->text, 1, n) : NULL;

	if (n != 0 && d == NULL)
		return -ENOMEM;
	if (n != 0)
		memcpy(d, s, n);
	return 0;
}

/* Close the open literal with variable var (TV_END: the template's end). */
static int
cut(struct tbuild *tb, uint32_t var)
{
	struct rules_tseg sg = {(uint32_t)tb->lit, (uint32_t)(tb->text.n - tb->lit), var};

	if (tb->text.n > UINT32_MAX || vec_push(&tb->segs, sizeof(sg), &sg) < 0)
		return -ENOMEM;
	tb->lit = tb->text.n;
	return 0;
}

/* Template t between the literals pre and post, as segments; *first is its first. */
static int
add(struct tbuild *tb, const char *pre, size_t pre_len, struct rules_view t, const char *post,
		size_t post_len, uint32_t *first)
{
	uint32_t i = 0, lit = 0;

	*first = (uint32_t)tb->segs.n;
	if (text(tb, pre, pre_len) < 0)
		return -ENOMEM;
	while (i < t.len) {
		const char *d = memchr(t.p + i, '$', t.len - i);
		if (d == NULL)
			break;
		i = (uint32_t)(d - t.p);
		if (text(tb, t.p + lit, i - lit) < 0)
			return -ENOMEM;
		size_t used = 1;
		int var = rules_tmpl_var(t.p + i, t.len - i, &used);
		if (var < 0 || var == TV_DOLLAR) {
			/*
			 * "$$", and what the compiler would have refused, are text
			 * (rules_tmpl_var() leaves used at 1 when it returns -1).
			 */
			if (text(tb, "$", 1) < 0)
				return -ENOMEM;
		} else if (cut(tb, (uint32_t)var) < 0) {
			return -ENOMEM;
		}
		i += (uint32_t)used;
		lit = i;
	}
	if (text(tb, t.p + lit, t.len - lit) < 0 || text(tb, post, post_len) < 0)
		return -ENOMEM;
	return cut(tb, TV_END);
}

/* ">", then RFC 3261 ";q=" (thousandths: 1, 0, 0.5, 0.25, 0.125) and ";expires=". */
static size_t
contact_params(const struct rules_contact *c, char *out, size_t cap)
{
	size_t n = 1;

	out[0] = '>';
	if (c->q != RULES_NO_Q) {
		char t[6] = {'0', '.', 0, 0, 0, 0};
		size_t k = 1;
		if (c->q >= 1000) {
			t[0] = '1';
		} else if (c->q != 0) {
			t[2] = (char)('0' + c->q / 100);
			t[3] = (char)('0' + c->q / 10 % 10);
			t[4] = (char)('0' + c->q % 10);
			/* 1..999 has a digit that is not 0: at least "0.N" stays. */
			for (k = 5; k > 3 && t[k - 1] == '0'; k--)
				;
		}
		t[k] = '\0';
		n += (size_t)snprintf(out + n, cap - n, ";q=%s", t);
	}
	if (c->expires != RULES_NO_EXPIRES)
		n += (size_t)snprintf(out + n, cap - n, ";expires=%u", (unsigned)c->expires);
	return n;
}

int
rules_tmpl_compile(struct rules_plan *p)
{
	struct tbuild tb = {0};
	uint32_t *ct = calloc(p->n_contacts + 1, sizeof(uint32_t));
	uint32_t *hd = calloc(p->n_hdrs + 1, sizeof(uint32_t));

	if (ct == NULL || hd == NULL)
		goto nomem;
	for (uint64_t i = 0; i < p->n_contacts; i++) {
		char post[64];
		size_t n = contact_params(&p->contacts[i], post, sizeof(post));
		if (add(&tb, "<", 1, rules_sview(p, p->contacts[i].uri), post, n, &ct[i]) < 0)
			goto nomem;
	}
	for (uint64_t i = 0; i < p->n_hdrs; i++)
		if (add(&tb, "", 0, rules_sview(p, p->hdrs[i]), "\r\n", 2, &hd[i]) < 0)
			goto nomem;
	/* Never an empty allocation: a plan with no templates still has valid pointers. */
	if (text(&tb, "", 1) < 0)
		goto nomem;
	vec_shrink(&tb.text, 1);
	vec_shrink(&tb.segs, sizeof(struct rules_tseg));
	p->tpool = tb.text.p;
	p->tsegs = tb.segs.p;
	p->tmpl_ct = ct;
	p->tmpl_hdr = hd;
	p->tmpl_bytes = tb.text.n + tb.segs.n * sizeof(struct rules_tseg) +
		(p->n_contacts + p->n_hdrs + 2) * sizeof(uint32_t);
	return 0;
nomem:
	vec_free(&tb.text);
	vec_free(&tb.segs);
	free(ct);
	free(hd);
	return -ENOMEM;
}
