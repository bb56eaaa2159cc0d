/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>

#include "rules_test.h"

struct tp
rt_compile(const char *text)
{
	struct rules_errors e = {0};
	struct tp t = {0};

	t.p = rules_compile_text(text, strlen(text), "test", NULL, &e);
	if (t.p == NULL) {
		rules_errors_print(&e, stderr);
		rules_errors_clear(&e);
		fail_msg("plan does not compile");
	}
	rules_errors_clear(&e);
	t.s = rules_scratch_create(t.p);
	assert_non_null(t.s);
	return t;
}

struct rules_errors
rt_compile_fail(const char *text)
{
	struct rules_errors e = {0};
	struct rules_plan *p = rules_compile_text(text, strlen(text), "test", NULL, &e);

	if (p != NULL) {
		rules_plan_free(p);
		fail_msg("plan compiled but should not have");
	}
	return e;
}

void
rt_free(struct tp *t)
{
	rules_scratch_free(t->s);
	rules_plan_free(t->p);
	t->s = NULL;
	t->p = NULL;
}

static struct rules_view
view(const char *s)
{
	return (struct rules_view){s, s != NULL ? (uint32_t)strlen(s) : 0};
}

void
rt_query(struct rules_query *q, const struct tq *t)
{
	memset(q, 0, sizeof(*q));
	q->user = view(t->user);
	q->domain = view(t->domain);
	q->from = view(t->from);
	q->to = view(t->to);
	q->method = view(t->method != NULL ? t->method : "INVITE");
	q->callid_hash = t->callid;
	if (t->src != NULL)
		assert_int_equal(rules_addr_parse(t->src, &q->src_af, q->src), 0);
}

int
rt_match(struct tp *t, const struct tq *in, struct rules_result *r, char *buf, size_t cap)
{
	struct rules_query q;

	rt_query(&q, in);
	return rules_match(t->p, t->s, &q, NULL, r, buf, cap);
}

uint32_t
rt_line(struct tp *t, const char *user)
{
	struct tq in = {.user = user};
	struct rules_result r;
	char buf[1024];

	assert_int_equal(rt_match(t, &in, &r, buf, sizeof(buf)), 0);
	return r.line;
}

void
rt_run_winner_case(void **state)
{
	const struct rt_winner_case *c = *state;
	struct tp t = rt_compile(c->plan);
	struct rules_result r;
	char buf[512];

	assert_int_equal(rt_match(&t, &c->q, &r, buf, sizeof(buf)), 0);
	if (r.line != c->line)
		fail_msg("%s: winner line %u, want %u", c->name, r.line, c->line);
	if (c->line == 0)
		assert_int_equal(r.action, RULES_ACT_NONE);
	rt_free(&t);
}
