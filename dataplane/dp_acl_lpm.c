/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_acl_lpm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wvla"
#include <rte_lpm.h>
#pragma GCC diagnostic pop
#include <rte_lpm6.h>
#include <rte_rcu_qsbr.h>

#include "dp_app.h"
#include "sl_link.h"

struct dp_acl_table {
	struct dp_acl acl;
	struct rte_lpm *lpm4;   /* next hop: the group */
	struct rte_lpm6 *lpm6;
};

void
dp_acl_table_free(struct dp_acl_table *t)
{
	if (t == NULL)
		return;
	rte_lpm_free(t->lpm4);
	rte_lpm6_free(t->lpm6);
	dp_acl_clear(&t->acl);
	free(t);
}

struct dp_acl_table *
dp_acl_table_build(struct dp_acl *acl, int socket, char *err, size_t errlen)
{
	static unsigned seq;
	char name[RTE_LPM_NAMESIZE];
	struct dp_acl_table *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->acl = *acl;
	memset(acl, 0, sizeof(*acl));
	uint32_t n4 = 0, n6 = 0;
	for (uint32_t i = 0; i < t->acl.n_groups; i++)
		*(t->acl.groups[i].net.af == SIP_AF_INET ? &n4 : &n6) += 1;
	unsigned id = __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED);
	snprintf(name, sizeof(name), "acl4_%u", id);
	/* A prefix longer than /24 needs a tbl8 of its own at most. */
	struct rte_lpm_config c4 = {.max_rules = n4 ? n4 : 1, .number_tbl8s = n4 + 256};
	t->lpm4 = rte_lpm_create(name, socket, &c4);
	snprintf(name, sizeof(name), "acl6_%u", id);
	/* An IPv6 prefix needs at most one tbl8 per byte past the first three (13). */
	struct rte_lpm6_config c6 = {.max_rules = n6 ? n6 : 1, .number_tbl8s = n6 * 13 + 256};
	t->lpm6 = rte_lpm6_create(name, socket, &c6);
	if (t->lpm4 == NULL || t->lpm6 == NULL) {
		snprintf(err, errlen, "cannot create the ACL's LPM tables: %s", rte_strerror(rte_errno));
		dp_acl_table_free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < t->acl.n_groups; i++) {
		const struct dp_acl_group *g = &t->acl.groups[i];
		int rc;
		if (g->net.af == SIP_AF_INET) {
			uint32_t ip = (uint32_t)g->net.a[0] << 24 | (uint32_t)g->net.a[1] << 16 |
					(uint32_t)g->net.a[2] << 8 | g->net.a[3];
			/* rte_lpm takes depth 1-32: /0 (everything) is the default's business below. */
			rc = g->plen == 0 ? 0 : rte_lpm_add(t->lpm4, ip, g->plen, i);
		} else {
			rc = g->plen == 0 ? 0 : rte_lpm6_add(t->lpm6, g->net.a, g->plen, i);
		}
		if (rc != 0) {
			snprintf(err, errlen, "line %u: cannot add the prefix to the LPM table: %s "
					"(too many nested prefixes?)", g->line, rte_strerror(-rc));
			dp_acl_table_free(t);
			return NULL;
		}
	}
	return t;
}

/* The group of the /0 entry of a family, if there is one (it is not in the LPM). */
static uint32_t
zero_group(const struct dp_acl *acl, uint8_t af)
{
	for (uint32_t i = 0; i < acl->n_groups && acl->groups[i].plen == 0; i++)
		if (acl->groups[i].net.af == af)
			return i;
	for (uint32_t i = 0; i < acl->n_groups; i++)
		if (acl->groups[i].net.af == af && acl->groups[i].plen == 0)
			return i;
	return DP_ACL_NO_GROUP;
}

uint8_t
dp_acl_table_verdict(const struct dp_acl_table *t, const struct sip_addr *a, uint16_t sport)
{
	uint32_t g;
	int rc;
	if (a->af == SIP_AF_INET) {
		uint32_t ip = (uint32_t)a->a[0] << 24 | (uint32_t)a->a[1] << 16 |
				(uint32_t)a->a[2] << 8 | a->a[3];
		rc = rte_lpm_lookup(t->lpm4, ip, &g);
	} else {
		rc = rte_lpm6_lookup(t->lpm6, a->a, &g);
	}
	if (rc != 0)
		g = zero_group(&t->acl, a->af);
	return dp_acl_group_verdict(&t->acl, g, sport);
}

uint32_t
dp_acl_table_entries(const struct dp_acl_table *t)
{
	return t->acl.n_entries;
}

uint8_t
dp_acl_cb(void *ctx, const struct sip_addr *src, uint16_t sport)
{
	const struct dp_app *app = ctx;
	const struct dp_acl_table *t = __atomic_load_n(&app->acl, __ATOMIC_ACQUIRE);
	return t != NULL ? dp_acl_table_verdict(t, src, sport) : DP_ACL_ALLOW;
}

/*
 * What serves, for ACL_STATE and the SIGHUP rule (a pushed ACL wins over
 * the file). Main lcore only: SIGHUP reloads and the link both run there.
 */
static struct {
	uint8_t source;        /* SL_ACL_* */
	uint64_t version;      /* pushed: the control plane's; file: loads so far */
	uint64_t file_loads;
	char sha256[65];
	uint32_t entries;
	uint8_t dflt;
} cur;

/* Publish t (NULL: no ACL); the old table is freed after the workers' grace period. */
static void
swap_in(struct dp_app *app, struct dp_acl_table *t)
{
	struct dp_acl_table *old = __atomic_exchange_n(&app->acl, t, __ATOMIC_ACQ_REL);
	if (old != NULL) {
		/* Every worker past a quiescent point no longer reads the old table. */
		if (app->qsbr != NULL)
			rte_rcu_qsbr_synchronize(app->qsbr, RTE_QSBR_THRID_INVALID);
		dp_acl_table_free(old);
	}
}

/*
 * Whether the workers consult the ACL (dp_sip_env.acl): set at start-up
 * with --acl (dp_setup.c), switched here when the control plane pushes an
 * ACL to a dataplane started without one, or clears it. NULL means "no
 * ACL" to the fast path (every source routed; under overload no source is
 * a known peer, dp_sip_overload()), so a dataplane that never had an ACL
 * pays nothing for it. The context is stored before the function, both
 * with release stores: a worker sees NULL or a callable pair; a packet
 * decided just before the switch used the old setting.
 */
static void
workers_acl(struct dp_app *app, bool on)
{
	for (unsigned i = 0; i < app->n_lcores; i++) {
		struct dp_worker *w = app->w[i];
		if (w == NULL)
			continue;
		__atomic_store_n(&w->env4.acl_ctx, (void *)app, __ATOMIC_RELEASE);
		__atomic_store_n(&w->env6.acl_ctx, (void *)app, __ATOMIC_RELEASE);
		__atomic_store_n(&w->env4.acl, on ? dp_acl_cb : NULL, __ATOMIC_RELEASE);
		__atomic_store_n(&w->env6.acl, on ? dp_acl_cb : NULL, __ATOMIC_RELEASE);
	}
}

/* Build acl (taken over) and publish it as source. 0 or -1 with err. */
static int
install(struct dp_app *app, struct dp_acl *acl, uint8_t source, uint64_t version,
		const char *sha256, char *err, size_t errlen)
{
	uint32_t n = acl->n_entries;
	uint8_t dflt = acl->dflt;
	struct dp_acl_table *t = dp_acl_table_build(acl, (int)rte_socket_id(), err, errlen);
	if (t == NULL) {
		dp_acl_clear(acl);
		return -1;
	}
	swap_in(app, t);
	workers_acl(app, true); /* the table first: a worker that calls finds it */
	cur.source = source;
	cur.version = version;
	snprintf(cur.sha256, sizeof(cur.sha256), "%s", sha256);
	cur.entries = n;
	cur.dflt = dflt;
	return 0;
}

int
dp_acl_reload(struct dp_app *app, char *err, size_t errlen)
{
	if (cur.source == SL_ACL_PUSHED) {
		printf("sipline: the control plane's ACL (version %llu) serves: --acl %s is not "
				"reloaded (acl.clear puts it back)\n", (unsigned long long)cur.version,
				app->opt.acl);
		fflush(stdout);
		return 0;
	}
	struct dp_acl acl;
	char sha[65];
	size_t len;
	char *text = dp_acl_read(app->opt.acl, &len, err, errlen);
	if (text == NULL)
		return -1;
	int rc = dp_acl_parse(text, len, app->opt.acl, &acl, err, errlen);
	if (rc == 0)
		dp_acl_sha256(text, len, sha);
	free(text);
	if (rc != 0 || install(app, &acl, SL_ACL_FILE, cur.file_loads + 1, sha, err, errlen) != 0)
		return -1;
	cur.file_loads++;
	printf("sipline: ACL %s loaded: %u entries, default %s\n", app->opt.acl, cur.entries,
			dp_acl_verdict_name(cur.dflt));
	fflush(stdout);
	return 0;
}

int
dp_acl_push(struct dp_app *app, const char *text, size_t len, uint64_t version,
		struct dp_acl_errors *errs)
{
	struct dp_acl acl;
	char sha[65];
	if (dp_acl_parse_all(text, len, "acl", &acl, errs) != 0) {
		fprintf(stderr, "sipline: ACL push (version %llu) refused (%u errors); the old ACL "
				"keeps serving\n", (unsigned long long)version, errs->total);
		return -EINVAL;
	}
	dp_acl_sha256(text, len, sha);
	errs->n = errs->total = 0;
	if (install(app, &acl, SL_ACL_PUSHED, version, sha, errs->msg[0],
			sizeof(errs->msg[0])) != 0) {
		errs->n = errs->total = 1;
		return -ENOMEM;
	}
	printf("sipline: ACL version %llu pushed: %u entries, default %s, sha256 %s\n",
			(unsigned long long)version, cur.entries, dp_acl_verdict_name(cur.dflt), sha);
	fflush(stdout);
	return 0;
}

int
dp_acl_unpush(struct dp_app *app, char *err, size_t errlen)
{
	if (cur.source != SL_ACL_PUSHED)
		return 0;
	if (app->opt.acl[0] != '\0') {
		cur.source = SL_ACL_FILE; /* so the reload reads the file */
		if (dp_acl_reload(app, err, errlen) != 0) {
			cur.source = SL_ACL_PUSHED; /* the pushed table still serves */
			return -EINVAL;
		}
		return 0;
	}
	workers_acl(app, false);
	swap_in(app, NULL);
	cur.source = SL_ACL_NONE;
	cur.version = 0;
	cur.sha256[0] = '\0';
	cur.entries = 0;
	cur.dflt = DP_ACL_ALLOW;
	printf("sipline: the control plane cleared its ACL: every source allowed\n");
	fflush(stdout);
	return 0;
}

void
dp_acl_state(struct sl_acl_state *st)
{
	memset(st, 0, sizeof(*st));
	st->source = cur.source;
	st->version = cur.version;
	snprintf(st->sha256, sizeof(st->sha256), "%s", cur.sha256);
	st->entries = cur.entries;
	st->dflt = cur.dflt;
}

void
dp_acl_release(struct dp_app *app)
{
	dp_acl_table_free(app->acl);
	app->acl = NULL;
}
