/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_UTIL_H
#define RULES_UTIL_H

/* Helpers of the compiler and loader (control-plane code: may allocate). */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

/*
 * Marks what rules/ files share but the API (rules.h, rules_swap.h,
 * rules_qsbr.h) does not offer. The symbols still link statically, tests
 * call a few of them, but no program or shared object exports them.
 */
#define RULES_INTERNAL __attribute__((visibility("hidden")))

/* A growable array of elements of one size. Zero-initialised is empty. */
struct vec {
	void *p;
	size_t n;
	size_t cap;
	bool big; /* fixed capacity from rules_big_alloc(): never reallocated */
};

/*
 * Start v as a fixed-capacity array of cap elements in huge-page-advised
 * memory (rules_big_alloc()). Pages are only committed when written, so
 * a generous upper bound costs address space, not memory. 0 or -ENOMEM.
 */
RULES_INTERNAL int vec_init_big(struct vec *v, size_t esz, size_t cap);

/* Room for `more` further elements of size esz. 0 or -ENOMEM. */
RULES_INTERNAL int vec_reserve(struct vec *v, size_t esz, size_t more);
/* Append one element (copied from e). 0 or -ENOMEM. */
RULES_INTERNAL int vec_push(struct vec *v, size_t esz, const void *e);
/* Append n uninitialised elements; returns the first, or NULL. */
RULES_INTERNAL void *vec_grow(struct vec *v, size_t esz, size_t n);
/* Give up spare capacity (keeps the contents). */
RULES_INTERNAL void vec_shrink(struct vec *v, size_t esz);
RULES_INTERNAL void vec_free(struct vec *v);

#define VEC_AT(v, type, i) (((type *)(v)->p)[i])

/*
 * Memory for big tables: 2 MiB aligned and advised to use transparent huge
 * pages, because lookups into a table of tens of megabytes would otherwise
 * miss the TLB on almost every access. Sizes are rounded up.
 */
RULES_INTERNAL void *rules_big_alloc(size_t bytes);
RULES_INTERNAL void rules_big_free(void *p, size_t bytes);

/* Collected errors with their line numbers, sorted and formatted at the end. */
struct errlist {
	struct vec items; /* struct err_item */
	unsigned total;
	unsigned max;
};

struct err_item {
	uint64_t line; /* source index << 32 | line; orders preamble before table */
	char *msg;
};

RULES_INTERNAL void errlist_init(struct errlist *el, unsigned max);
/* Record "source:line: message". line 0 omits the line. */
RULES_INTERNAL void errlist_add(struct errlist *el, const char *source, unsigned src_idx,
		uint32_t line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
RULES_INTERNAL void errlist_vadd(struct errlist *el, const char *source, unsigned src_idx,
		uint32_t line, const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
/* Sort by line, move into out (may be NULL) and empty el. */
RULES_INTERNAL void errlist_finish(struct errlist *el, struct rules_errors *out);
RULES_INTERNAL void errlist_free(struct errlist *el);

/* 64-bit hash of bytes (FNV-1a with a final mix); for tables, not security. */
RULES_INTERNAL uint64_t rules_hash_bytes(const void *p, size_t len, uint64_t seed);

static inline uint64_t
rules_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* Hex of n bytes into out (2n + 1 bytes). */
RULES_INTERNAL void rules_hex(const uint8_t *in, size_t n, char *out);

#endif
