/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_SUBSCRIBERS_H
#define CP_SUBSCRIBERS_H

/*
 * Subscribers: who may register, as (username, domain) with one HA1 per
 * digest algorithm (HA1 = H(username:realm:password), the realm being the
 * domain). A password is hashed the moment it arrives and never stored.
 * The table lives in the control plane's store (created here, beside the
 * migrations); reads are one indexed SELECT per authentication.
 *
 * Import: Kamailio and OpenSIPS `subscriber` tables exported as CSV, with
 * a header line naming the columns (username, domain, and password or ha1
 * / ha1_sha256 / ha1_sha512t256; other columns ignored), or without one in
 * the tables' default column order (`kamailio`: id, username, domain,
 * password, ha1, ha1b; `opensips`: id, username, domain, password,
 * email_address, ha1, ha1_sha256, ha1_sha512t256, rpid). All rows or none.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cp_digest.h"

struct cp_store;
struct cp_rpc;

#define CP_SUB_USER_MAX 64
#define CP_SUB_DOMAIN_MAX 128

struct cp_subscriber {
	char username[CP_SUB_USER_MAX + 1];
	char domain[CP_SUB_DOMAIN_MAX + 1];    /* lower case */
	char ha1[CP_DIG__COUNT][CP_DIG_HEX_MAX]; /* "" where the algorithm has none */
	int64_t created;
};

/* Create the table if needed. 0 or -EIO. */
int cp_sub_init(struct cp_store *st);

/*
 * Fill s from a password (every algorithm) into s->ha1. username/domain
 * checked (lengths, no control characters, no ':'). 0, -EINVAL or -EIO.
 */
int cp_sub_from_password(struct cp_subscriber *s, const char *username, const char *domain,
		const char *password);

/* Insert or replace. 0 or -EIO. */
int cp_sub_put(struct cp_store *st, const struct cp_subscriber *s);
/* 0, -ENOENT or -EIO. */
int cp_sub_remove(struct cp_store *st, const char *username, const char *domain);
/* Read one (domain compared in lower case). 0, -ENOENT or -EIO. */
int cp_sub_get(struct cp_store *st, struct sip_str username, struct sip_str domain,
		struct cp_subscriber *out);
/* Count (domain NULL: all). */
int cp_sub_count(struct cp_store *st, const char *domain);
/*
 * Up to limit subscribers after offset, ordered by domain then username;
 * cb for each. Returns how many, or -EIO.
 */
int cp_sub_list(struct cp_store *st, const char *domain, uint64_t offset, unsigned limit,
		void (*cb)(const struct cp_subscriber *s, void *ctx), void *ctx);

/*
 * Import CSV text (format "auto", "kamailio" or "opensips") in one
 * transaction. On success *added is the number of rows. On a bad row,
 * nothing is kept, -EINVAL, and err holds "line N: why". -EIO for the store.
 */
int cp_sub_import(struct cp_store *st, const char *text, size_t len, const char *format,
		unsigned *added, char *err, size_t errlen);

/* Register subscribers.add/remove/list/import on rpc (ctx: the store). 0 or -errno. */
int cp_sub_methods_register(struct cp_rpc *rpc, struct cp_store *st);

#endif
