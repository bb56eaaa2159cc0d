/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_ACL_LPM_H
#define DP_ACL_LPM_H

/*
 * The peer ACL in the dataplane: the groups of dataplane/core/dp_acl.h
 * indexed by DPDK's rte_lpm (IPv4) and rte_lpm6 (IPv6), published to the
 * workers under RCU like the dialplan: --acl FILE at start, again on
 * SIGHUP (a file with an error keeps the old table and says why).
 */

#include <stddef.h>
#include <stdint.h>

#include "dp_acl.h"

struct dp_app;
struct dp_acl_table;

/* Build a table from acl (taken over: acl is cleared). NULL with err. */
struct dp_acl_table *dp_acl_table_build(struct dp_acl *acl, int socket, char *err, size_t errlen);
void dp_acl_table_free(struct dp_acl_table *t);
uint8_t dp_acl_table_verdict(const struct dp_acl_table *t, const struct sip_addr *a,
		uint16_t sport);
/* Entries and groups of a table (for messages). */
uint32_t dp_acl_table_entries(const struct dp_acl_table *t);

/* dp_sip_env.acl for the workers: the app's current table (ctx: the app). */
uint8_t dp_acl_cb(void *ctx, const struct sip_addr *src, uint16_t sport);

/* Load app->opt.acl and publish it (the old one freed after the workers' grace period). 0 or -1. */
int dp_acl_reload(struct dp_app *app, char *err, size_t errlen);
/* At shutdown, after the workers stopped. */
void dp_acl_release(struct dp_app *app);

#endif
