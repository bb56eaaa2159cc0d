/* SPDX-License-Identifier: BSD-3-Clause */
#include "guard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int
guard_init(struct guard_buf *g, size_t cap)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t usable = (cap + page - 1) / page * page;

	if (usable == 0)
		usable = page;
	g->map_len = usable + 2 * page;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		return -errno;
	}
	g->lo = g->map + page;
	g->end = g->lo + usable;
	if (mprotect(g->map, page, PROT_NONE) != 0 || mprotect(g->end, page, PROT_NONE) != 0) {
		int err = -errno;
		munmap(g->map, g->map_len);
		g->map = NULL;
		return err;
	}
	return 0;
}

void
guard_fini(struct guard_buf *g)
{
	if (g->map != NULL)
		munmap(g->map, g->map_len);
	g->map = NULL;
}

size_t
guard_cap(const struct guard_buf *g)
{
	return (size_t)(g->end - g->lo);
}

/* A placement that does not fit is a bug in the test itself: stop loudly. */
static void
check_fits(const struct guard_buf *g, size_t len)
{
	if (g->map == NULL || len > guard_cap(g)) {
		fprintf(stderr, "guard: %zu bytes do not fit in %zu\n", len,
				g->map ? guard_cap(g) : 0);
		abort();
	}
}

char *
guard_put(struct guard_buf *g, const void *src, size_t len)
{
	check_fits(g, len);
	char *p = g->end - len;
	if (len)
		memcpy(p, src, len);
	return p;
}

char *
guard_put_front(struct guard_buf *g, const void *src, size_t len)
{
	check_fits(g, len);
	if (len)
		memcpy(g->lo, src, len);
	return g->lo;
}

char *
guard_room(struct guard_buf *g, size_t len)
{
	check_fits(g, len);
	char *p = g->end - len;
	memset(p, GUARD_FILL, len);
	return p;
}
