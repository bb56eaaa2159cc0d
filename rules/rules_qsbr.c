/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QSBR: a global token the writer advances; each reader copies it into
 * its own slot at every quiescent point (0 = offline). The writer that
 * advanced the token to T waits until every slot is 0 or >= T. Slots are
 * a cache line each so readers never share a written line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules_qsbr.h"

#define LINE 64

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

struct slot {
	uint64_t seen;       /* token at the last quiescent point; 0: offline */
	uint32_t registered;
	char pad[LINE - 12];
};

struct rules_qsbr {
	uint64_t token;
	char pad[LINE - 8];
	unsigned n;
	struct slot slot[];
};

struct rules_qsbr *
rules_qsbr_create(unsigned max_readers)
{
	struct rules_qsbr *q;
	size_t sz = sizeof(*q) + (size_t)max_readers * sizeof(struct slot);

	if (max_readers == 0)
		return NULL;
	sz = (sz + LINE - 1) & ~(size_t)(LINE - 1);
	q = aligned_alloc(LINE, sz);
	if (q == NULL)
		return NULL;
	memset(q, 0, sz);
	q->token = 1;
	q->n = max_readers;
	return q;
}

void
rules_qsbr_free(struct rules_qsbr *q)
{
	free(q);
}

int
rules_qsbr_register(struct rules_qsbr *q, unsigned id)
{
	uint32_t expect = 0;

	if (id >= q->n)
		return -EINVAL;
	if (!__atomic_compare_exchange_n(&q->slot[id].registered, &expect, 1, false,
			__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return -EBUSY;
	return 0;
}

int
rules_qsbr_unregister(struct rules_qsbr *q, unsigned id)
{
	if (id >= q->n)
		return -EINVAL;
	rules_qsbr_offline(q, id);
	__atomic_store_n(&q->slot[id].registered, 0, __ATOMIC_RELEASE);
	return 0;
}

void
rules_qsbr_online(struct rules_qsbr *q, unsigned id)
{
	uint64_t t = __atomic_load_n(&q->token, __ATOMIC_ACQUIRE);

	/*
	 * The slot store must be visible before this reader loads any shared
	 * pointer, or a writer could miss it and free what it is about to use.
	 * Seq-cst here and on the writer's side (token, slot loads) and on the
	 * pointer (rules_swap_current) rules that out without fences, which
	 * ThreadSanitizer does not model; on x86 only this store costs (xchg).
	 */
	__atomic_store_n(&q->slot[id].seen, t, __ATOMIC_SEQ_CST);
}

void
rules_qsbr_offline(struct rules_qsbr *q, unsigned id)
{
	/* Release: every read of shared data happens before the slot says "offline". */
	__atomic_store_n(&q->slot[id].seen, 0, __ATOMIC_RELEASE);
}

void
rules_qsbr_quiescent(struct rules_qsbr *q, unsigned id)
{
	uint64_t t = __atomic_load_n(&q->token, __ATOMIC_ACQUIRE);

	/* Release: reads of the old data happen before the writer can see this. */
	__atomic_store_n(&q->slot[id].seen, t, __ATOMIC_RELEASE);
}

void
rules_qsbr_synchronize(struct rules_qsbr *q)
{
	/*
	 * Seq-cst: the caller's unpublishing store is ordered before the new
	 * token, so a reader that reports this token cannot hold the old pointer.
	 */
	uint64_t t = __atomic_add_fetch(&q->token, 1, __ATOMIC_SEQ_CST);

	for (unsigned i = 0; i < q->n; i++) {
		unsigned spins = 0;
		for (;;) {
			if (!__atomic_load_n(&q->slot[i].registered, __ATOMIC_ACQUIRE))
				break;
			/* Seq-cst: pairs with rules_qsbr_online()'s store (see there). */
			uint64_t s = __atomic_load_n(&q->slot[i].seen, __ATOMIC_SEQ_CST);
			if (s == 0 || s >= t)
				break;
			if (++spins < 64) {
				cpu_relax();
				continue;
			}
			struct timespec ts = {0, 50000};
			nanosleep(&ts, NULL);
		}
	}
}

void
rules_qsbr_sync_cb(void *ctx)
{
	rules_qsbr_synchronize(ctx);
}
