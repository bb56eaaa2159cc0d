/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules_swap.h"
#include "sl_link.h"

struct cp_route {
	struct dp_router rt;
	struct rules_swap *rules;
	struct dp_loc *loc;
	struct dp_names_ref names;
	uint64_t clock;                  /* fixed clock for tests; 0: wall clock */
	struct dp_route_scratch scratch; /* one reader: tid 0 */
};

/* One thread reads and writes: every reader is past its quiescent point. */
static void
no_wait(void *ctx)
{
	(void)ctx;
}

struct cp_route *
cp_route_create(unsigned capacity)
{
	struct cp_route *r = calloc(1, sizeof(*r));
	const struct rules_rcu_ops ops = {.synchronize = no_wait};

	if (r == NULL)
		return NULL;
	r->rules = rules_swap_create(1, &ops);
	r->loc = dp_loc_create(capacity, no_wait, NULL);
	if (r->rules == NULL || r->loc == NULL) {
		cp_route_free(r);
		return NULL;
	}
	r->names.sync = no_wait;
	r->rt = (struct dp_router){.loc = r->loc, .rules = r->rules, .names = &r->names};
	r->scratch.tid = 0;
	return r;
}

void
cp_route_free(struct cp_route *r)
{
	if (r == NULL)
		return;
	if (r->rules != NULL)
		rules_swap_free(r->rules);
	if (r->loc != NULL)
		dp_loc_free(r->loc);
	dp_names_free(r->names.cur);
	free(r);
}

int
cp_route_set_plan(struct cp_route *r, const void *blob, size_t len, char *err, size_t errlen)
{
	struct rules_errors errs;

	memset(&errs, 0, sizeof(errs));
	int rc = rules_swap_load_blob(r->rules, blob, len, &errs);
	if (rc != 0)
		snprintf(err, errlen, "router: plan not loaded: %s%s%s", strerror(-rc),
				errs.n ? ": " : "", errs.n ? errs.msg[0] : "");
	rules_errors_clear(&errs);
	return rc;
}

int
cp_route_gw_set(struct cp_route *r, const char *host, uint16_t port, uint8_t transport,
		bool down)
{
	return rules_swap_gw_set(r->rules, host, port, transport, down);
}

int
cp_route_loc_set(struct cp_route *r, const struct sl_loc_set *ls, size_t len)
{
	struct dp_binding b;
	char err[96];
	/* Decoded as the dataplane decodes a LOC_SET. */
	int rc = dp_loc_from_link(ls, len, &b, err, sizeof(err));

	if (rc != 0)
		return rc;
	rc = dp_loc_set(r->loc, &b);
	dp_loc_reclaim(r->loc);
	return rc;
}

int
cp_route_loc_del(struct cp_route *r, const char *aor)
{
	int rc = dp_loc_del(r->loc, aor, strnlen(aor, DP_AOR_MAX));
	dp_loc_reclaim(r->loc);
	return rc;
}

int
cp_route_names(struct cp_route *r, const void *payload, uint32_t len, char *err, size_t errlen)
{
	struct dp_names *nt = dp_names_from_link(payload, len, err, errlen);
	if (nt == NULL)
		return -EINVAL;
	return dp_names_publish(&r->names, nt);
}

unsigned
cp_route_bindings(const struct cp_route *r)
{
	return dp_loc_count(r->loc);
}

uint64_t
cp_route_plan_version(struct cp_route *r)
{
	return rules_swap_version(r->rules);
}

void
cp_route_set_clock(struct cp_route *r, uint64_t now)
{
	r->clock = now;
}

int
cp_route_lookup(void *ctx, struct dp_sip_job *j)
{
	struct cp_route *r = ctx;
	uint64_t now = r->clock;

	if (now == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (uint64_t)ts.tv_sec;
	}
	dp_route_burst(&r->rt, &r->scratch, now, &j, 1);
	return 0;
}
