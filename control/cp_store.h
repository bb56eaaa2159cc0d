/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_STORE_H
#define CP_STORE_H

/*
 * The control plane's embedded store: one SQLite database in WAL mode
 * (readers never block the writer; a crash loses no committed
 * transaction, synchronous=FULL). It keeps the dialplan history and the
 * gateways' administrative states, the peer ACLs set over the control
 * socket (acl.set), and grows by migrations: the schema
 * version is SQLite's user_version, and cp_store_open() applies every
 * migration of the table in cp_store.c above it, each in a transaction.
 * Later modules (registrations, subscribers, nonce keys) append theirs.
 *
 * Calls run on the event loop and are short (one small transaction each);
 * errors are 0 / -errno style (-EIO for an SQLite failure, with the
 * message in cp_store_errmsg()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cp_store;

/* Schema version this build writes. */
#define CP_STORE_SCHEMA 2

/* Open (creating) the database at path (":memory:" for tests). NULL with err filled. */
struct cp_store *cp_store_open(const char *path, char *err, size_t errlen);
void cp_store_close(struct cp_store *st);
/* Last SQLite error message. */
const char *cp_store_errmsg(const struct cp_store *st);
/*
 * The SQLite handle, for modules that keep their own tables beside the
 * migrations (they create them with IF NOT EXISTS and version them in
 * `meta`): cp_subscribers.c, cp_regstore.c. Owned by st.
 */
struct sqlite3;
struct sqlite3 *cp_store_db(struct cp_store *st);
/* user_version of the open database. */
int cp_store_schema(const struct cp_store *st);

/* One accepted dialplan. Strings are owned by the record (cp_store_plan_clear()). */
struct cp_plan_rec {
	uint64_t version;
	char sha256[65];
	int64_t created;       /* wall-clock seconds */
	char *caller;          /* "uid 0 pid 123" */
	char *source;          /* file name or "text" */
	char *note;            /* "rollback to 3", or NULL */
	uint32_t rules;
	char *text;
	size_t text_len;
};

void cp_store_plan_clear(struct cp_plan_rec *r);

/*
 * Add r (its version above every stored one) and keep only the newest
 * `keep` versions. 0, -EEXIST (version not above the newest) or -EIO.
 */
int cp_store_plan_add(struct cp_store *st, const struct cp_plan_rec *r, unsigned keep);
/* Version version (0: the newest) into r, text included. 0, -ENOENT or -EIO. */
int cp_store_plan_get(struct cp_store *st, uint64_t version, struct cp_plan_rec *r);
/*
 * Versions below `before` (0: from the newest), newest first, at most
 * limit, without their text: cb(r, ctx) for each. Returns how many, or -EIO.
 */
int cp_store_plan_list(struct cp_store *st, uint64_t before, unsigned limit,
		void (*cb)(const struct cp_plan_rec *r, void *ctx), void *ctx);
/* Versions stored. */
int cp_store_plan_count(struct cp_store *st);

/*
 * Highest version ever assigned (kept apart from the history, which
 * forgets old ones): versions only grow across restarts.
 */
uint64_t cp_store_version_max(struct cp_store *st);
int cp_store_version_bump(struct cp_store *st, uint64_t version);

/* Administrative state of a gateway (host, port, transport as in the dialplan). */
enum cp_admin {
	CP_ADMIN_AUTO = 0, /* follow the probes */
	CP_ADMIN_UP = 1,   /* forced up */
	CP_ADMIN_DOWN = 2, /* forced down */
};

const char *cp_admin_name(enum cp_admin a);
/* "auto", "up", "down" -> 0 and *a, or -EINVAL. */
int cp_admin_parse(const char *s, enum cp_admin *a);

/* Persist a state (auto removes the row). 0 or -EIO. */
int cp_store_gw_set(struct cp_store *st, const char *host, uint16_t port, uint8_t transport,
		enum cp_admin admin, const char *caller);
/* Every stored non-auto state: cb for each. Returns how many, or -EIO. */
int cp_store_gw_list(struct cp_store *st,
		void (*cb)(const char *host, uint16_t port, uint8_t transport, enum cp_admin admin,
			int64_t changed, const char *caller, void *ctx), void *ctx);

/* One peer ACL set with acl.set (or cleared with acl.clear). Owned strings. */
struct cp_acl_rec {
	uint64_t version;      /* only grows */
	char sha256[65];       /* of the text ("" when cleared) */
	int64_t created;       /* wall-clock seconds */
	char *caller;
	bool cleared;          /* acl.clear: the file ACLs (relay_acl, --acl) serve again */
	uint32_t entries;
	char *text;            /* NUL-terminated; text_len bytes */
	size_t text_len;
};

void cp_store_acl_clear(struct cp_acl_rec *r);
/* Add r (a version above every stored one); keep the newest `keep`. 0, -EEXIST or -EIO. */
int cp_store_acl_add(struct cp_store *st, const struct cp_acl_rec *r, unsigned keep);
/* The newest into r (text included). 0, -ENOENT (none ever set), -ENOMEM or -EIO. */
int cp_store_acl_get(struct cp_store *st, struct cp_acl_rec *r);

#endif
