/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publication: QSBR semantics, the swap helper's rules (monotonic
 * versions, failed loads leave the old plan serving, health carried
 * over), and a stress test: reader threads matching without pause while
 * a writer publishes hundreds of plans. Every reader checks that what it
 * gets comes from one plan (never a mix); ASan catches a plan freed too
 * early, TSan a missing happens-before.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "rules_qsbr.h"
#include "rules_test.h"

static void
test_qsbr_basics(void **state)
{
	struct rules_qsbr *q = rules_qsbr_create(4);

	(void)state;
	assert_non_null(q);
	assert_null(rules_qsbr_create(0));
	assert_int_equal(rules_qsbr_register(q, 4), -EINVAL);
	assert_int_equal(rules_qsbr_register(q, 1), 0);
	assert_int_equal(rules_qsbr_register(q, 1), -EBUSY);
	/* Registered but offline: the writer does not wait. */
	rules_qsbr_synchronize(q);
	rules_qsbr_online(q, 1);
	rules_qsbr_quiescent(q, 1);
	rules_qsbr_offline(q, 1);
	rules_qsbr_synchronize(q);
	assert_int_equal(rules_qsbr_unregister(q, 1), 0);
	assert_int_equal(rules_qsbr_register(q, 1), 0);
	rules_qsbr_free(q);
}

struct waiter {
	struct rules_qsbr *q;
	volatile int reported;
};

static void *
slow_reader(void *arg)
{
	struct waiter *w = arg;
	struct timespec ts = {0, 100 * 1000 * 1000};

	nanosleep(&ts, NULL);
	__atomic_store_n(&w->reported, 1, __ATOMIC_SEQ_CST);
	rules_qsbr_quiescent(w->q, 0);
	return NULL;
}

static void
test_qsbr_waits(void **state)
{
	struct waiter w = {rules_qsbr_create(2), 0};
	pthread_t th;

	(void)state;
	assert_int_equal(rules_qsbr_register(w.q, 0), 0);
	rules_qsbr_online(w.q, 0);
	assert_int_equal(pthread_create(&th, NULL, slow_reader, &w), 0);
	/* Returns only after the online reader reported. */
	rules_qsbr_synchronize(w.q);
	assert_int_equal(__atomic_load_n(&w.reported, __ATOMIC_SEQ_CST), 1);
	pthread_join(th, NULL);
	rules_qsbr_free(w.q);
}

static struct rules_plan *
gen_plan(unsigned gen, uint64_t version)
{
	char text[1024];
	int n = snprintf(text, sizeof(text),
		"plan gen-%u\n"
		"group g 192.0.2.%u 192.0.2.200\n"
		"10 regex ^\\+49(1[5-7][0-9]+)$ repl %u\\1 "
		"redirect contact sip:$user@gen%u.example\n"
		"20 prefix +49 strip 1 forward g attrs gen=%u\n"
		"30 prefix +%u pass attrs gen=%u\n"
		"40 pass attrs gen=%u\n", gen, 1 + gen % 100, gen, gen, gen, gen % 7, gen, gen);
	struct rules_compile_opts o = {.version = version};

	return rules_compile_text(text, (size_t)n, "stress", &o, NULL);
}

static void
test_swap_rules(void **state)
{
	struct rules_qsbr *q = rules_qsbr_create(2);
	struct rules_rcu_ops ops = {rules_qsbr_sync_cb, q};
	struct rules_swap *sw = rules_swap_create(2, &ops);
	struct rules_errors e = {0};

	(void)state;
	assert_non_null(sw);
	assert_null(rules_swap_create(0, &ops));
	assert_null(rules_swap_current(sw));
	assert_int_equal(rules_swap_version(sw), 0);
	char sha[65] = "x";
	assert_int_equal(rules_swap_current_id(sw, sha), 0);
	assert_string_equal(sha, "");
	assert_int_equal(rules_swap_publish(sw, gen_plan(1, 0)), 0);
	assert_int_equal(rules_swap_version(sw), 1);
	const struct rules_inst *in = rules_swap_current(sw);
	assert_non_null(in);
	struct rules_plan_info info;
	rules_plan_info(rules_inst_plan(in), &info);
	assert_int_equal(info.version, 1);
	assert_string_equal(info.name, "gen-1");
	assert_int_equal(rules_swap_publish(sw, gen_plan(2, 10)), 0);
	assert_int_equal(rules_swap_version(sw), 10);
	/* Older or equal versions are refused; the current plan keeps serving. */
	assert_int_equal(rules_swap_publish(sw, gen_plan(3, 10)), -ESTALE);
	assert_int_equal(rules_swap_publish(sw, gen_plan(3, 5)), -ESTALE);
	rules_plan_info(rules_inst_plan(rules_swap_current(sw)), &info);
	assert_string_equal(info.name, "gen-2");
	/* The id of the plan served, copied at the swap: readable without the instance. */
	assert_int_equal(rules_swap_current_id(sw, sha), 10);
	assert_string_equal(sha, info.sha256);
	/* A bad plan never half-loads. */
	const char *bad = "/tmp/rules_bad_plan.dialplan";
	FILE *f = fopen(bad, "w");
	assert_non_null(f);
	fputs("10 prefix 1 forward nowhere\n", f);
	fclose(f);
	assert_int_equal(rules_swap_load_file(sw, bad, NULL, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	rules_errors_clear(&e);
	unlink(bad);
	assert_int_equal(rules_swap_load_blob(sw, "garbage", 7, &e), -EINVAL);
	rules_errors_clear(&e);
	assert_int_equal(rules_swap_version(sw), 10);
	/* Health set through the helper follows the gateway into the next plan. */
	assert_int_equal(rules_swap_gw_set(sw, "192.0.2.200", 5060, RULES_TP_UDP, true), 0);
	assert_int_equal(rules_swap_gw_set(sw, "192.0.2.99", 5060, RULES_TP_UDP, true), -ENOENT);
	struct rules_plan *p = gen_plan(4, 0);
	void *blob;
	size_t len;
	assert_int_equal(rules_plan_serialize(p, &blob, &len), 0);
	rules_plan_free(p);
	assert_int_equal(rules_swap_load_blob(sw, blob, len, &e), 0);
	free(blob);
	assert_int_equal(rules_swap_version(sw), 11);
	in = rules_swap_current(sw);
	int id = rules_plan_gateway_find(rules_inst_plan(in), "192.0.2.200", 11, 5060,
			RULES_TP_UDP);
	assert_true(id >= 0);
	assert_true(rules_inst_gw_is_down(in, (uint32_t)id));
	rules_swap_free(sw);
	rules_qsbr_free(q);
}

/* ---- stress ---- */

#define READERS 3
#define SWAPS 300

struct stress {
	struct rules_swap *sw;
	struct rules_qsbr *q;
	int stop;
	uint64_t lookups[READERS];
	uint64_t versions_seen[READERS];
	uint64_t cur_version[READERS]; /* what each reader matched against last */
	int errors;
	/* The instance a publish replaces: still alive when the writer synchronizes. */
	const struct rules_inst *replaced;
	unsigned syncs, replaced_alive;
};

/*
 * The publisher's grace period, checked: when it starts waiting for the
 * readers, the plan being replaced must not have been freed yet (under
 * ASan reading it would fault; otherwise its name would be garbage).
 */
static void
checking_sync(void *ctx)
{
	struct stress *st = ctx;
	unsigned gen;

	st->syncs++;
	if (st->replaced != NULL) {
		struct rules_plan_info info;
		rules_plan_info(rules_inst_plan(st->replaced), &info);
		if (sscanf(info.name, "gen-%u", &gen) == 1)
			st->replaced_alive++;
	}
	rules_qsbr_synchronize(st->q);
}

struct reader_arg {
	struct stress *st;
	unsigned id;
};

/* Everything in one result must come from the plan of the instance it was matched against. */
static bool
consistent(const struct rules_inst *in, const struct rules_result *r, const char *user)
{
	struct rules_plan_info info;
	char want[64];
	unsigned gen;

	rules_plan_info(rules_inst_plan(in), &info);
	if (sscanf(info.name, "gen-%u", &gen) != 1)
		return false;
	if (r->action == RULES_ACT_REDIRECT) {
		snprintf(want, sizeof(want), "<sip:%u%s@gen%u.example>", gen, user + 3, gen);
		return r->contact[0].len == strlen(want) &&
			memcmp(r->contact[0].p, want, r->contact[0].len) == 0;
	}
	snprintf(want, sizeof(want), "gen=%u", gen);
	return r->attrs.len == strlen(want) && memcmp(r->attrs.p, want, r->attrs.len) == 0;
}

static void *
reader(void *arg)
{
	struct reader_arg *a = arg;
	struct stress *st = a->st;
	static const char *const users[] = {"+4915112345", "+4989123", "+1555", "+3312", "x"};
	uint64_t last = 0, n = 0, seen = 0;

	if (rules_qsbr_register(st->q, a->id) != 0) {
		__atomic_fetch_add(&st->errors, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	rules_qsbr_online(st->q, a->id);
	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		const struct rules_inst *in = rules_swap_current(st->sw);
		if (in != NULL) {
			struct rules_query q[5];
			struct rules_result r[5];
			static __thread char bufs[5][512];
			memset(q, 0, sizeof(q));
			for (unsigned i = 0; i < 5; i++) {
				q[i].user = (struct rules_view){users[i],
					(uint32_t)strlen(users[i])};
				q[i].callid_hash = n * 7919 + i;
			}
			/* The dataplane's burst path and the single lookup, in turn. */
			if (n % 2)
				rules_inst_match_burst(in, a->id, q, 5, r, bufs[0],
						sizeof(bufs[0]));
			else
				for (unsigned i = 0; i < 5; i++)
					r[i].err = rules_inst_match(in, a->id, &q[i], &r[i],
							bufs[i], sizeof(bufs[i]));
			for (unsigned i = 0; i < 5; i++) {
				if (r[i].err != 0 || !consistent(in, &r[i], users[i]))
					__atomic_fetch_add(&st->errors, 1, __ATOMIC_RELAXED);
				n++;
			}
			struct rules_plan_info info;
			rules_plan_info(rules_inst_plan(in), &info);
			if (info.version < last)
				__atomic_fetch_add(&st->errors, 1, __ATOMIC_RELAXED);
			if (info.version != last)
				seen++;
			last = info.version;
			__atomic_store_n(&st->cur_version[a->id], last, __ATOMIC_RELEASE);
		}
		/* Between bursts the worker holds nothing: its quiescent point. */
		rules_qsbr_quiescent(st->q, a->id);
	}
	rules_qsbr_offline(st->q, a->id);
	rules_qsbr_unregister(st->q, a->id);
	st->lookups[a->id] = n;
	st->versions_seen[a->id] = seen;
	return NULL;
}

/* Wait (up to 20 s) until every reader has matched against version v or later. */
static void
wait_readers_at(struct stress *st, uint64_t v)
{
	struct timespec ts = {0, 1000 * 1000};

	for (unsigned ms = 0; ms < 20000; ms++) {
		unsigned at = 0;
		for (unsigned i = 0; i < READERS; i++)
			at += __atomic_load_n(&st->cur_version[i], __ATOMIC_ACQUIRE) >= v;
		if (at == READERS)
			return;
		nanosleep(&ts, NULL);
	}
	fail_msg("readers did not reach plan version %llu within 20 s", (unsigned long long)v);
}

static void
test_stress(void **state)
{
	struct stress st = {0};
	struct reader_arg args[READERS];
	pthread_t th[READERS];
	void *blob = NULL;
	size_t len = 0;

	(void)state;
	st.q = rules_qsbr_create(READERS);
	struct rules_rcu_ops ops = {checking_sync, &st};
	st.sw = rules_swap_create(READERS, &ops);
	assert_non_null(st.sw);
	assert_int_equal(rules_swap_publish(st.sw, gen_plan(0, 0)), 0);
	for (unsigned i = 0; i < READERS; i++) {
		args[i] = (struct reader_arg){&st, i};
		assert_int_equal(pthread_create(&th[i], NULL, reader, &args[i]), 0);
	}
	for (unsigned g = 1; g <= SWAPS; g++) {
		if (g % 30 == 1)
			wait_readers_at(&st, g); /* every reader matched with plan g: they overlap */
		struct rules_plan *p = gen_plan(g, 0);
		assert_non_null(p);
		st.replaced = rules_swap_current(st.sw);
		if (g % 3 == 0) {
			/* Through the serialized form, as the dataplane receives plans. */
			assert_int_equal(rules_plan_serialize(p, &blob, &len), 0);
			rules_plan_free(p);
			assert_int_equal(rules_swap_load_blob(st.sw, blob, len, NULL), 0);
			free(blob);
		} else {
			assert_int_equal(rules_swap_publish(st.sw, p), 0);
		}
		if (g % 50 == 0) {
			/* Failed loads in between change nothing. */
			assert_int_equal(rules_swap_load_blob(st.sw, "junk", 4, NULL), -EINVAL);
			assert_int_equal(rules_swap_publish(st.sw, gen_plan(g, 1)), -ESTALE);
		}
		rules_swap_gw_set(st.sw, "192.0.2.200", 5060, RULES_TP_UDP, g % 2);
	}
	__atomic_store_n(&st.stop, 1, __ATOMIC_RELEASE);
	uint64_t total = 0;
	for (unsigned i = 0; i < READERS; i++) {
		pthread_join(th[i], NULL);
		total += st.lookups[i];
	}
	assert_int_equal(st.errors, 0);
	assert_int_equal(rules_swap_version(st.sw), SWAPS + 1);
	print_message("stress: %u swaps, %llu lookups by %d readers, versions seen %llu %llu %llu\n",
			SWAPS, (unsigned long long)total, READERS,
			(unsigned long long)st.versions_seen[0], (unsigned long long)st.versions_seen[1],
			(unsigned long long)st.versions_seen[2]);
	/* Each reader matched through at least 10 of the swaps (the writer waited for it). */
	for (unsigned i = 0; i < READERS; i++)
		assert_true(st.versions_seen[i] >= SWAPS / 30);
	/* Every publish that replaced a plan waited for the readers before freeing it. */
	assert_true(st.syncs >= SWAPS);
	assert_int_equal(st.replaced_alive, st.syncs);
	rules_swap_free(st.sw);
	rules_qsbr_free(st.q);
}

int
test_group_swap(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_qsbr_basics),
		cmocka_unit_test(test_qsbr_waits),
		cmocka_unit_test(test_swap_rules),
		cmocka_unit_test(test_stress),
	};
	return cmocka_run_group_tests_name("swap", t, NULL, NULL);
}
