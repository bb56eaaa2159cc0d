/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_QSBR_H
#define RULES_QSBR_H

/*
 * Quiescent-state-based reclamation without DPDK's EAL, for the control
 * plane and the tests. Same model as rte_rcu_qsbr: each reader thread
 * owns a slot; between two quiescent reports it may hold pointers to
 * shared data; a writer that unpublished something calls synchronize and
 * may free it once that returns, because every online reader has since
 * reported a quiescent state (and so dropped the old pointers).
 *
 * Readers never block and never write shared lines other than their own
 * slot. The dataplane uses rte_rcu_qsbr instead through struct
 * rules_rcu_ops (rules_swap.h).
 */

#include <stdint.h>

struct rules_qsbr;

/* Room for max_readers slots, numbered 0..max_readers-1. NULL on error. */
struct rules_qsbr *rules_qsbr_create(unsigned max_readers);
void rules_qsbr_free(struct rules_qsbr *q);

/*
 * Claim or release slot id for the calling thread. A registered reader is
 * offline until rules_qsbr_online(). 0, -EINVAL (bad id) or -EBUSY (taken).
 */
int rules_qsbr_register(struct rules_qsbr *q, unsigned id);
int rules_qsbr_unregister(struct rules_qsbr *q, unsigned id);

/* From now on the writer waits for this reader (call before reading shared data). */
void rules_qsbr_online(struct rules_qsbr *q, unsigned id);
/* The reader holds no shared pointer and will not, until it goes online again. */
void rules_qsbr_offline(struct rules_qsbr *q, unsigned id);
/* The reader holds no pointer obtained before this call. Cheap: one load, one store. */
void rules_qsbr_quiescent(struct rules_qsbr *q, unsigned id);

/*
 * Writer: return once every reader that was online when called has
 * reported a quiescent state or gone offline. Sleeps while waiting; never
 * call it from a reader slot that is online (it would wait for itself).
 */
void rules_qsbr_synchronize(struct rules_qsbr *q);

/* rules_qsbr_synchronize() as a rules_rcu_ops.synchronize callback (ctx = q). */
void rules_qsbr_sync_cb(void *ctx);

#endif
