/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_GUARD_H
#define TEST_GUARD_H

/*
 * Buffers fenced by PROT_NONE pages, so that a parser reading (or a builder
 * writing) one byte outside the bytes it was given faults at once instead
 * of silently using whatever follows in the heap (picohttpparser's trick).
 *
 *   [guard page][usable pages ........................ data][guard page]
 *
 * guard_put() copies an input so that its last byte is the last byte before
 * the back guard page; guard_put_front() so that its first byte is the first
 * byte after the front guard page (catches reads before the start).
 * A guard_buf is reused for many inputs: placing costs one memcpy.
 */

#include <stddef.h>

struct guard_buf {
	char *map;      /* the whole mapping, guards included */
	size_t map_len;
	char *lo;       /* first usable byte, just after the front guard */
	char *end;      /* first byte of the back guard */
};

/* Map a buffer with room for cap bytes between two guard pages. 0 or -errno. */
int guard_init(struct guard_buf *g, size_t cap);
void guard_fini(struct guard_buf *g);

/* Usable bytes (>= the cap given to guard_init()). */
size_t guard_cap(const struct guard_buf *g);

/* Copy src[0..len) to end right before the back guard; returns where it starts. */
char *guard_put(struct guard_buf *g, const void *src, size_t len);

/* Copy src[0..len) to start right after the front guard. */
char *guard_put_front(struct guard_buf *g, const void *src, size_t len);

/*
 * len writable bytes ending right before the back guard, filled with a
 * known pattern (GUARD_FILL): an output buffer that a builder cannot
 * overrun without faulting.
 */
char *guard_room(struct guard_buf *g, size_t len);

#define GUARD_FILL 0xa5

#endif
