/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_ACL_H
#define CP_ACL_H

/*
 * The peer ACL set over the control socket (acl.set / acl.clear): kept in
 * the store, applied to the relay and pushed to every dataplane (link
 * ACL_PUSH), like the dialplan. The text is the --acl file format and is
 * compiled by the dataplane's own parser (dataplane/core/dp_acl.h), so a
 * text the control plane accepts is one every dataplane accepts, and
 * acl.test gives the verdict the dataplane gives.
 *
 * Precedence (docs/security.md "Peer ACLs"): a set ACL replaces the file
 * ACLs (the control plane's relay_acl, each dataplane's --acl) until
 * acl.clear; then the files serve again. An empty text is a set ACL with
 * no entries (every source allowed), not a clear.
 *
 * This half is pure (no event loop): the state, its store records and the
 * lookups, so the unit tests reach it; cp_acl_app.c wires it to the app.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_acl.h"

struct cp_store;

/* ACL versions the store keeps. */
#define CP_ACL_KEEP 10

enum cp_acl_source {
	CP_ACL_NONE = 0,     /* no ACL anywhere: every source allowed */
	CP_ACL_FILE,         /* the relay_acl file (the dataplanes' --acl) */
	CP_ACL_PUSHED,       /* acl.set */
};

const char *cp_acl_source_name(enum cp_acl_source s);

struct cp_acl {
	bool pushed;           /* an acl.set text serves (else the files) */
	uint64_t version;      /* of the newest record (0: none ever) */
	char sha256[65];       /* of the pushed text */
	int64_t created;
	char *caller;
	char *text;            /* the pushed text (NUL-terminated), or NULL */
	size_t text_len;
	struct dp_acl acl;     /* compiled pushed text */
};

/* Load the newest record of the store into a (zeroed first). 0 or -errno with err. */
int cp_acl_open(struct cp_acl *a, struct cp_store *st, char *err, size_t errlen);
void cp_acl_free(struct cp_acl *a);

/*
 * Compile text; on success store it as a new version and make it the
 * pushed ACL. 0; -EINVAL with every error in errs (nothing changed);
 * -EIO (the store failed: nothing changed; message in err).
 */
int cp_acl_set(struct cp_acl *a, struct cp_store *st, const char *text, size_t len,
		const char *caller, struct dp_acl_errors *errs, char *err, size_t errlen);
/* Drop the pushed ACL (a record with cleared set). 0, or -EIO with err. */
int cp_acl_clear(struct cp_acl *a, struct cp_store *st, const char *caller, char *err,
		size_t errlen);

/*
 * The ACL the control plane applies: the pushed one, else the file at
 * path ("" none) compiled into *tmp (cleared by the caller with
 * dp_acl_clear()). NULL with *src CP_ACL_NONE when there is none, or with
 * err set when the file cannot be read or parsed.
 */
const struct dp_acl *cp_acl_effective(const struct cp_acl *a, const char *path,
		struct dp_acl *tmp, enum cp_acl_source *src, char *err, size_t errlen);

/* acl.test's source: "ip", "ip:port", "[ipv6]:port" or a bare IPv6 address (port 5060). 0 or -1. */
int cp_acl_parse_source(const char *s, struct sip_addr *a, uint16_t *port);

/* One entry of a compiled ACL, in text order. */
struct cp_acl_entry {
	struct sip_addr net;
	uint8_t plen;
	uint16_t port;         /* 0: any */
	uint8_t verdict;       /* enum dp_acl_verdict */
	uint32_t line;
};

/* The entries of acl sorted by line (malloc()ed, *n set; NULL with *n 0 if none or no memory). */
struct cp_acl_entry *cp_acl_entries(const struct dp_acl *acl, uint32_t *n);

#endif
