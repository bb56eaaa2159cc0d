/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RULES_SWAP_H
#define RULES_SWAP_H

/*
 * Publishing plans to many reader threads.
 *
 * An instance is what workers use: a plan, one scratch per worker
 * (allocated before publication, so workers never allocate) and the
 * health flags of the plan's gateways. The swap helper holds the current
 * instance behind one pointer: readers load it with acquire semantics and
 * see the old or the new instance, never a mix. A publisher builds the new
 * instance beside the old one, stores the pointer, waits for every reader
 * to pass a quiescent point (pluggable: rules_qsbr here, rte_rcu_qsbr in
 * the dataplane) and only then frees the old one. Publishers are
 * serialized by a mutex; anything that fails before the pointer store
 * leaves the old instance serving.
 *
 * A request whose retransmission is matched against the next plan may
 * take another route: that is the documented effect of a table change
 * on a stateless router (RFC 3261 §16.11).
 */

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"

struct rules_inst;

/*
 * An instance of plan for n_workers worker threads. Takes ownership of
 * plan on success only. NULL on error (plan untouched).
 */
struct rules_inst *rules_inst_create(struct rules_plan *plan, unsigned n_workers);
/* Free the instance and its plan. Only once no reader can hold it. */
void rules_inst_free(struct rules_inst *inst);

const struct rules_plan *rules_inst_plan(const struct rules_inst *inst);
unsigned rules_inst_workers(const struct rules_inst *inst);

/*
 * rules_match() / rules_match_burst() with worker's scratch and the
 * instance's gateway health. worker < rules_inst_workers(); each worker
 * id is used by one thread at a time. -EINVAL for a bad worker id.
 */
int rules_inst_match(const struct rules_inst *inst, unsigned worker,
		const struct rules_query *q, struct rules_result *r, char *buf, size_t cap);
unsigned rules_inst_match_burst(const struct rules_inst *inst, unsigned worker,
		const struct rules_query *q, unsigned n, struct rules_result *r, char *bufs,
		size_t buf_size);

/*
 * Mark gateway id down or up. Safe while workers match: one atomic word
 * update. 0 or -ENOENT.
 */
int rules_inst_gw_set(struct rules_inst *inst, uint32_t id, bool down);
/* Is gateway id down? false for an unknown id. */
bool rules_inst_gw_is_down(const struct rules_inst *inst, uint32_t id);
/* Copy the health of every gateway of src that dst also has (same host, port, transport). */
void rules_inst_gw_copy(struct rules_inst *dst, const struct rules_inst *src);

/*
 * How a publisher waits for readers. synchronize(ctx) returns once every
 * reader has passed a quiescent point after the call began. With DPDK:
 * a function calling rte_rcu_qsbr_synchronize(v, RTE_QSBR_THRID_INVALID).
 */
struct rules_rcu_ops {
	void (*synchronize)(void *ctx);
	void *ctx;
};

struct rules_swap;

/* Helper for n_workers readers; ops is copied. NULL on error. */
struct rules_swap *rules_swap_create(unsigned n_workers, const struct rules_rcu_ops *ops);
/* Free the helper and the current instance. Only once no reader can hold it. */
void rules_swap_free(struct rules_swap *sw);

/*
 * Reader: the current instance, or NULL before the first publication.
 * Valid until the reader's next quiescent point. Wait-free.
 */
const struct rules_inst *rules_swap_current(const struct rules_swap *sw);

/*
 * Publish plan (ownership passes to the helper, also on failure): build
 * its instance, carry over gateway health, give it a version, swap the
 * pointer, wait for readers, free the old instance.
 * Versions are monotonic: a plan with version 0 gets the current version
 * + 1; a plan with a version <= the current one is refused (-ESTALE), so
 * two control planes pushing at once cannot roll the dataplane back.
 * Returns 0, -ESTALE or -ENOMEM; on error the old instance keeps serving.
 */
int rules_swap_publish(struct rules_swap *sw, struct rules_plan *plan);

/*
 * As rules_swap_publish(), but gateway health comes from down[] (gateway
 * numbers of plan that start down; every other one starts up) instead of
 * the old instance: a control plane's complete view, in force from the
 * first packet the new plan sees.
 */
int rules_swap_publish_health(struct rules_swap *sw, struct rules_plan *plan,
		const uint32_t *down, unsigned n_down);

/* Compile path and publish it. Compile errors go to errs (-EINVAL). */
int rules_swap_load_file(struct rules_swap *sw, const char *path,
		const struct rules_compile_opts *opts, struct rules_errors *errs);
/* Load a serialized plan and publish it. Load errors go to errs (-EINVAL). */
int rules_swap_load_blob(struct rules_swap *sw, const void *blob, size_t len,
		struct rules_errors *errs);

/*
 * Version of the current plan, 0 before the first publication. Never
 * waits for a publication in progress.
 */
uint64_t rules_swap_version(struct rules_swap *sw);
/*
 * The same, and the current plan's SHA-256 (hex, "" before the first
 * publication) into sha256 (may be NULL), for threads that are not RCU
 * readers: nothing of the instance is touched, so a publication on
 * another thread cannot free it under the caller. Never waits for a
 * publication in progress.
 */
uint64_t rules_swap_current_id(struct rules_swap *sw, char sha256[65]);
/* Gateways marked down in the current plan; the same guarantees. */
unsigned rules_swap_gw_down(struct rules_swap *sw);

/*
 * The gateways of the current plan, for a thread that is not a registered
 * reader (the dataplane's main lcore pins their next hops): fn(ctx, gw) for
 * each, under the publishers' lock, if the version differs from *version.
 * Never waits for the lock (a publication in progress: try again later).
 * Returns 1 and updates *version when it enumerated, 0 when the version is
 * *version, -EBUSY when the lock is held. gw views are valid during fn only.
 */
int rules_swap_gateways(struct rules_swap *sw, uint64_t *version,
		void (*fn)(void *ctx, const struct rules_gateway *gw), void *ctx);

/*
 * Mark a gateway down or up in the current instance, by address, under
 * the publishers' lock so a concurrent publication cannot lose the
 * change (the new instance copies health after taking the same lock).
 * 0 or -ENOENT (no such gateway in the current plan, or no plan).
 */
int rules_swap_gw_set(struct rules_swap *sw, const char *host, uint16_t port, uint8_t transport,
		bool down);

#endif
