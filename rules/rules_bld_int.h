/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_BLD_INT_H
#define RULES_BLD_INT_H

/*
 * Shared by the builder's own files only (rules_bld.c, rules_check.c,
 * rules_index.c, rules_finish.c): the hash table, interning and the
 * steps of bld_finish(). The parser and the importer use rules_build.h.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules_build.h"

/* Does entry idx of the table's owner equal the key in ctx? */
typedef bool (*htab_eq_fn)(const void *ctx, uint32_t idx);

/* The index stored under hash h for which eq() holds, or UINT32_MAX. */
RULES_INTERNAL uint32_t bld_htab_get(const struct htab *t, uint64_t h, htab_eq_fn eq,
		const void *ctx);
/* Store idx under hash h; the caller has checked it is not there. 0 or -ENOMEM. */
RULES_INTERNAL int bld_htab_put(struct htab *t, uint64_t h, uint32_t idx);

/* Intern p[0..n) in the pool: equal strings get equal offsets. 0, or -errno with b->oom set. */
RULES_INTERNAL int bld_intern(struct bld *b, const char *p, size_t n, struct rules_sref *out);
/* bld_intern() of a view; the empty view is {0, 0}, the pool's empty string. */
RULES_INTERNAL int bld_intern_view(struct bld *b, struct rules_view v, struct rules_sref *out);

/* The NUL-terminated pool string s. */
static inline const char *
bld_pstr(const struct bld *b, struct rules_sref s)
{
	return (const char *)b->pool.p + s.off;
}

/* Key of a lookup in b->grouptab; names are interned, so offsets compare. */
struct group_eq_ctx {
	const struct bld *b;
	struct rules_sref name;
};

/* htab_eq_fn of b->grouptab (ctx is a struct group_eq_ctx). */
RULES_INTERNAL bool bld_group_eq(const void *ctx, uint32_t idx);

/*
 * Compile each field's regexes into one Hyperscan database in p. 0;
 * -EINVAL with the failing regex reported; -ENOMEM.
 */
RULES_INTERNAL int bld_compile_hs(struct bld *b, struct rules_plan *p);

/*
 * Sort the rules into precedence order and build every index of p; the
 * rule records move into p. 0, -ENOMEM, or another -errno when the plan
 * is too large for its tables.
 */
RULES_INTERNAL int bld_build_indexes(struct bld *b, struct rules_plan *p);

#endif
