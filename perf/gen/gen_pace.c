/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_pace.h"

void
gen_pace_init(struct gen_pace *p, uint64_t hz, uint64_t rate, uint64_t t0, uint32_t slack)
{
	p->hz = hz;
	p->rate = rate;
	p->t0 = t0;
	p->n = 0;
	p->skipped = 0;
	p->slack = slack ? slack : 1;
}

uint32_t
gen_pace_ready(struct gen_pace *p, uint64_t now, uint32_t max)
{
	if (p->rate == 0)
		return max;
	if (now < p->t0)
		return 0;
	/* Packets due by now: those with t0 + n*hz/rate <= now. */
	uint64_t due = (uint64_t)(((unsigned __int128)(now - p->t0) * p->rate) / p->hz) + 1;
	if (due <= p->n)
		return 0;
	uint64_t behind = due - p->n;
	if (behind > p->slack) {
		p->skipped += behind - p->slack;
		p->n += behind - p->slack;
		behind = p->slack;
	}
	return behind < max ? (uint32_t)behind : max;
}
