/* SPDX-License-Identifier: BSD-3-Clause */
#include "rules_swap.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rules_impl.h"

struct rules_inst {
	struct rules_plan *plan;
	unsigned n_workers;
	struct rules_scratch **scratch; /* one per worker, allocated apart: no shared lines */
	uint64_t *gw_down;              /* bit per gateway; atomic word updates */
	size_t n_words;
};

struct rules_inst *
rules_inst_create(struct rules_plan *plan, unsigned n_workers)
{
	struct rules_inst *in;

	if (n_workers == 0)
		return NULL;
	in = calloc(1, sizeof(*in));
	if (in == NULL)
		return NULL;
	in->plan = plan;
	in->n_workers = n_workers;
	in->n_words = (plan->n_gws + 63) / 64;
	in->gw_down = calloc(in->n_words ? in->n_words : 1, sizeof(uint64_t));
	in->scratch = calloc(n_workers, sizeof(*in->scratch));
	if (in->gw_down == NULL || in->scratch == NULL)
		goto fail;
	/* Every worker's scratch exists before publication: workers never allocate. */
	in->scratch[0] = rules_scratch_create(plan);
	for (unsigned i = 1; i < n_workers && in->scratch[0] != NULL; i++)
		if ((in->scratch[i] = rules_scratch_clone(in->scratch[0])) == NULL)
			goto fail;
	if (in->scratch[0] == NULL)
		goto fail;
	return in;
fail:
	/* The plan stays the caller's on failure. */
	for (unsigned i = 0; in->scratch != NULL && i < n_workers; i++)
		rules_scratch_free(in->scratch[i]);
	free(in->scratch);
	free(in->gw_down);
	free(in);
	return NULL;
}

void
rules_inst_free(struct rules_inst *in)
{
	if (in == NULL)
		return;
	for (unsigned i = 0; i < in->n_workers; i++)
		rules_scratch_free(in->scratch[i]);
	free(in->scratch);
	free(in->gw_down);
	rules_plan_free(in->plan);
	free(in);
}

const struct rules_plan *
rules_inst_plan(const struct rules_inst *in)
{
	return in->plan;
}

unsigned
rules_inst_workers(const struct rules_inst *in)
{
	return in->n_workers;
}

int
rules_inst_match(const struct rules_inst *in, unsigned worker, const struct rules_query *q,
		struct rules_result *r, char *buf, size_t cap)
{
	if (worker >= in->n_workers)
		return -EINVAL;
	return rules_match(in->plan, in->scratch[worker], q, in->gw_down, r, buf, cap);
}

unsigned
rules_inst_match_burst(const struct rules_inst *in, unsigned worker, const struct rules_query *q,
		unsigned n, struct rules_result *r, char *bufs, size_t buf_size)
{
	if (worker >= in->n_workers) {
		for (unsigned i = 0; i < n; i++)
			r[i].err = -EINVAL;
		return n;
	}
	return rules_match_burst(in->plan, in->scratch[worker], q, n, in->gw_down, r, bufs,
			buf_size);
}

int
rules_inst_gw_set(struct rules_inst *in, uint32_t id, bool down)
{
	if (id >= in->plan->n_gws)
		return -ENOENT;
	uint64_t bit = 1ull << (id % 64);
	if (down)
		__atomic_fetch_or(&in->gw_down[id / 64], bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&in->gw_down[id / 64], ~bit, __ATOMIC_RELAXED);
	return 0;
}

bool
rules_inst_gw_is_down(const struct rules_inst *in, uint32_t id)
{
	if (id >= in->plan->n_gws)
		return false;
	return (__atomic_load_n(&in->gw_down[id / 64], __ATOMIC_RELAXED) >> (id % 64)) & 1;
}

void
rules_inst_gw_copy(struct rules_inst *dst, const struct rules_inst *src)
{
	for (uint32_t i = 0; i < src->plan->n_gws; i++) {
		if (!rules_inst_gw_is_down(src, i))
			continue;
		struct rules_gateway g;
		rules_plan_gateway(src->plan, i, &g);
		int j = rules_plan_gateway_find(dst->plan, g.host.p, g.host.len, g.port,
				g.transport);
		if (j >= 0)
			rules_inst_gw_set(dst, (uint32_t)j, true);
	}
}

struct rules_swap {
	struct rules_inst *cur; /* published: atomic loads and stores only */
	pthread_mutex_t lock;   /* serializes publishers and health updates */
	unsigned n_workers;
	struct rules_rcu_ops ops;
	uint64_t version;
	/*
	 * What is published, for threads that are not RCU readers: copied at
	 * the swap under id_lock, which is never held while waiting for readers.
	 */
	pthread_mutex_t id_lock;
	uint64_t id_version;
	char id_sha256[65];
	unsigned id_gw_down;    /* gateways marked down in the current instance */
};

/* Gateways of inst marked down (publishers' lock held). */
static unsigned
count_down(const struct rules_inst *inst)
{
	struct rules_plan_info info;
	unsigned n = 0;

	rules_plan_info(rules_inst_plan(inst), &info);
	for (uint32_t i = 0; i < info.n_gateways; i++)
		n += rules_inst_gw_is_down(inst, i);
	return n;
}

struct rules_swap *
rules_swap_create(unsigned n_workers, const struct rules_rcu_ops *ops)
{
	struct rules_swap *sw;

	if (n_workers == 0 || ops == NULL || ops->synchronize == NULL)
		return NULL;
	sw = calloc(1, sizeof(*sw));
	if (sw == NULL)
		return NULL;
	if (pthread_mutex_init(&sw->lock, NULL) != 0) {
		free(sw);
		return NULL;
	}
	if (pthread_mutex_init(&sw->id_lock, NULL) != 0) {
		pthread_mutex_destroy(&sw->lock);
		free(sw);
		return NULL;
	}
	sw->n_workers = n_workers;
	sw->ops = *ops;
	return sw;
}

void
rules_swap_free(struct rules_swap *sw)
{
	if (sw == NULL)
		return;
	rules_inst_free(sw->cur);
	pthread_mutex_destroy(&sw->id_lock);
	pthread_mutex_destroy(&sw->lock);
	free(sw);
}

const struct rules_inst *
rules_swap_current(const struct rules_swap *sw)
{
	/* Seq-cst for rules_qsbr_online()'s ordering; a plain load on x86. */
	return __atomic_load_n(&sw->cur, __ATOMIC_SEQ_CST);
}

static int
publish(struct rules_swap *sw, struct rules_plan *plan, bool set_health, const uint32_t *down,
		unsigned n_down)
{
	struct rules_inst *in, *old;
	uint64_t v;

	if (plan == NULL)
		return -EINVAL;
	pthread_mutex_lock(&sw->lock);
	v = plan->h.version;
	if (v == 0) {
		v = sw->version + 1;
	} else if (v <= sw->version) {
		pthread_mutex_unlock(&sw->lock);
		rules_plan_free(plan);
		return -ESTALE;
	}
	in = rules_inst_create(plan, sw->n_workers);
	if (in == NULL) {
		pthread_mutex_unlock(&sw->lock);
		rules_plan_free(plan);
		return -ENOMEM;
	}
	plan->h.version = v;
	old = sw->cur;
	if (set_health) {
		for (unsigned i = 0; i < n_down; i++)
			rules_inst_gw_set(in, down[i], true);
	} else if (old != NULL) {
		rules_inst_gw_copy(in, old);
	}
	/* Everything above is written before the pointer: readers see a whole instance. */
	__atomic_store_n(&sw->cur, in, __ATOMIC_SEQ_CST);
	sw->version = v;
	struct rules_plan_info info;
	rules_plan_info(plan, &info);
	unsigned gw_down = count_down(in);
	pthread_mutex_lock(&sw->id_lock);
	sw->id_version = v;
	memcpy(sw->id_sha256, info.sha256, sizeof(sw->id_sha256));
	sw->id_gw_down = gw_down;
	pthread_mutex_unlock(&sw->id_lock);
	if (old != NULL) {
		sw->ops.synchronize(sw->ops.ctx);
		rules_inst_free(old);
	}
	pthread_mutex_unlock(&sw->lock);
	return 0;
}

int
rules_swap_publish(struct rules_swap *sw, struct rules_plan *plan)
{
	return publish(sw, plan, false, NULL, 0);
}

int
rules_swap_publish_health(struct rules_swap *sw, struct rules_plan *plan, const uint32_t *down,
		unsigned n_down)
{
	return publish(sw, plan, true, down, n_down);
}

int
rules_swap_load_file(struct rules_swap *sw, const char *path, const struct rules_compile_opts *opts,
		struct rules_errors *errs)
{
	struct rules_plan *p = rules_compile_file(path, opts, errs);

	if (p == NULL)
		return -EINVAL;
	return rules_swap_publish(sw, p);
}

int
rules_swap_load_blob(struct rules_swap *sw, const void *blob, size_t len,
		struct rules_errors *errs)
{
	struct rules_plan *p = rules_plan_load(blob, len, errs);

	if (p == NULL)
		return -EINVAL;
	return rules_swap_publish(sw, p);
}

uint64_t
rules_swap_version(struct rules_swap *sw)
{
	return rules_swap_current_id(sw, NULL);
}

uint64_t
rules_swap_current_id(struct rules_swap *sw, char sha256[65])
{
	uint64_t v;

	pthread_mutex_lock(&sw->id_lock);
	v = sw->id_version;
	if (sha256 != NULL)
		memcpy(sha256, sw->id_sha256, 65);
	pthread_mutex_unlock(&sw->id_lock);
	return v;
}

unsigned
rules_swap_gw_down(struct rules_swap *sw)
{
	unsigned n;

	pthread_mutex_lock(&sw->id_lock);
	n = sw->id_gw_down;
	pthread_mutex_unlock(&sw->id_lock);
	return n;
}

int
rules_swap_gateways(struct rules_swap *sw, uint64_t *version,
		void (*fn)(void *ctx, const struct rules_gateway *gw), void *ctx)
{
	struct rules_plan_info info;
	struct rules_gateway g;

	if (pthread_mutex_trylock(&sw->lock) != 0)
		return -EBUSY;
	if (sw->version == *version) {
		pthread_mutex_unlock(&sw->lock);
		return 0;
	}
	*version = sw->version;
	if (sw->cur != NULL) {
		rules_plan_info(sw->cur->plan, &info);
		for (uint32_t i = 0; i < info.n_gateways; i++)
			if (rules_plan_gateway(sw->cur->plan, i, &g) == 0)
				fn(ctx, &g);
	}
	pthread_mutex_unlock(&sw->lock);
	return 1;
}

int
rules_swap_gw_set(struct rules_swap *sw, const char *host, uint16_t port, uint8_t transport,
		bool down)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&sw->lock);
	if (sw->cur != NULL) {
		int id = rules_plan_gateway_find(sw->cur->plan, host, strlen(host), port,
				transport);
		if (id >= 0)
			rc = rules_inst_gw_set(sw->cur, (uint32_t)id, down);
		unsigned gw_down = count_down(sw->cur);
		pthread_mutex_lock(&sw->id_lock);
		sw->id_gw_down = gw_down;
		pthread_mutex_unlock(&sw->id_lock);
	}
	pthread_mutex_unlock(&sw->lock);
	return rc;
}
