/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_ACL_LPM_H
#define DP_ACL_LPM_H

/*
 * The peer ACL in the dataplane: the groups of dataplane/core/dp_acl.h
 * indexed by DPDK's rte_lpm (IPv4) and rte_lpm6 (IPv6), published to the
 * workers under RCU like the dialplan: --acl FILE at start, again on
 * SIGHUP (a file with an error keeps the old table and says why), or the
 * text the control plane pushes (link ACL_PUSH), which then serves until
 * the control plane clears it: SIGHUP leaves a pushed ACL alone.
 * Everything here but dp_acl_cb() runs on the main lcore.
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

/*
 * Load app->opt.acl and publish it (the old one freed after the workers'
 * grace period). 0 or -1. With a pushed ACL serving, says so and returns 0.
 */
int dp_acl_reload(struct dp_app *app, char *err, size_t errlen);
/*
 * Compile text (the parser of --acl files) and publish it as the pushed
 * ACL of that version. 0, or -EINVAL with every error in errs (nothing
 * changed), -ENOMEM with the reason in errs->msg[0].
 */
int dp_acl_push(struct dp_app *app, const char *text, size_t len, uint64_t version,
		struct dp_acl_errors *errs);
/* Drop the pushed ACL: the --acl file again (or none). 0, or -EINVAL (the file is broken). */
int dp_acl_unpush(struct dp_app *app, char *err, size_t errlen);
struct sl_acl_state;
/* The ACL in force (ACL_STATE). */
void dp_acl_state(struct sl_acl_state *st);
/* At shutdown, after the workers stopped. */
void dp_acl_release(struct dp_app *app);

#endif
