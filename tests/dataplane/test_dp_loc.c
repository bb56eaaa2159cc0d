/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Location table of the dataplane (dataplane/core/dp_loc.c): set, replace,
 * delete, domain fallback, expiry, capacity, and readers running while a
 * writer churns bindings (each binding names its own AOR, so a reader that
 * ever sees a binding under the wrong key, or freed memory, fails; run
 * under ASan and TSan).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "aor_cases.h"
#include "dp_loc.h"

/* Single-threaded tests: nobody to wait for. */
static void
no_sync(void *ctx)
{
	(void)ctx;
}

static struct dp_binding
binding(const char *aor, const char *contact, const char *ip, uint16_t port, uint64_t expires)
{
	struct dp_binding b;
	memset(&b, 0, sizeof(b));
	b.aor_len = (uint16_t)strlen(aor);
	memcpy(b.aor, aor, b.aor_len);
	b.contact_len = (uint16_t)strlen(contact);
	memcpy(b.contact, contact, b.contact_len);
	assert_int_equal(sip_addr_parse(sip_str_make(ip, strlen(ip)), &b.nh), 0);
	b.port = port;
	b.expires = expires;
	return b;
}

static void
test_set_lookup_replace_delete(void **state)
{
	(void)state;
	struct dp_loc *l = dp_loc_create(64, no_sync, NULL);
	/*
	 * An explicit return: with LTO (the release build) GCC 12 otherwise
	 * warns on the atomic loads of l below, following a NULL path that
	 * cmocka's assert does not end.
	 */
	if (l == NULL) {
		fail_msg("dp_loc_create failed");
		return;
	}

	struct dp_binding b = binding("alice@example.net", "sip:alice@192.0.2.7:5062", "192.0.2.7",
			5062, 0);
	assert_int_equal(dp_loc_set(l, &b), 0);
	assert_int_equal(dp_loc_count(l), 1);

	/* The domain is compared case-insensitively. */
	const struct dp_binding *r = dp_loc_lookup(l, SIP_STR_LIT("alice"),
			SIP_STR_LIT("EXAMPLE.net"), 100);
	assert_non_null(r);
	assert_int_equal(r->port, 5062);
	assert_null(dp_loc_lookup(l, SIP_STR_LIT("Alice"), SIP_STR_LIT("example.net"), 100));
	assert_null(dp_loc_lookup(l, SIP_STR_LIT("alice"), SIP_STR_LIT("example.org"), 100));

	/* Replace: same AOR, new contact; the old binding is retired, then reclaimed. */
	b = binding("alice@example.net", "sip:alice@192.0.2.8", "192.0.2.8", 5060, 0);
	assert_int_equal(dp_loc_set(l, &b), 0);
	assert_int_equal(dp_loc_count(l), 1);
	r = dp_loc_lookup(l, SIP_STR_LIT("alice"), SIP_STR_LIT("example.net"), 100);
	assert_int_equal(r->port, 5060);
	assert_int_equal(dp_loc_reclaim(l), 1);

	assert_int_equal(dp_loc_del(l, "alice@example.net", 17), 0);
	assert_int_equal(dp_loc_del(l, "alice@example.net", 17), -ENOENT);
	assert_null(dp_loc_lookup(l, SIP_STR_LIT("alice"), SIP_STR_LIT("example.net"), 100));
	assert_int_equal(dp_loc_count(l), 0);
	dp_loc_free(l);
}

static void
test_any_domain_and_expiry(void **state)
{
	(void)state;
	struct dp_loc *l = dp_loc_create(64, no_sync, NULL);

	/* "user@" binds the user under any domain (calls to the router's IP). */
	struct dp_binding b = binding("4930123@", "sip:4930123@10.0.0.9", "10.0.0.9", 5060, 0);
	assert_int_equal(dp_loc_set(l, &b), 0);
	assert_non_null(dp_loc_lookup(l, SIP_STR_LIT("4930123"), SIP_STR_LIT("10.0.0.1"), 1));

	/* Expired bindings are not served. */
	b = binding("bob@example.net", "sip:bob@10.0.0.10", "10.0.0.10", 5060, 1000);
	assert_int_equal(dp_loc_set(l, &b), 0);
	assert_non_null(dp_loc_lookup(l, SIP_STR_LIT("bob"), SIP_STR_LIT("example.net"), 999));
	assert_null(dp_loc_lookup(l, SIP_STR_LIT("bob"), SIP_STR_LIT("example.net"), 1001));

	dp_loc_clear(l);
	assert_int_equal(dp_loc_count(l), 0);
	assert_null(dp_loc_lookup(l, SIP_STR_LIT("4930123"), SIP_STR_LIT("x"), 1));
	dp_loc_free(l);
}

static void
test_capacity_and_bad_input(void **state)
{
	(void)state;
	struct dp_loc *l = dp_loc_create(16, no_sync, NULL);
	char aor[32];
	unsigned ok = 0;
	int rc = 0;

	for (unsigned i = 0; i < 64 && rc == 0; i++) {
		snprintf(aor, sizeof(aor), "u%u@d", i);
		struct dp_binding b = binding(aor, "sip:x@1.2.3.4", "1.2.3.4", 5060, 0);
		rc = dp_loc_set(l, &b);
		ok += rc == 0;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_int_equal(ok, 12); /* 3/4 of 16 slots */

	struct dp_binding e = binding("x@y", "sip:x@1.2.3.4", "1.2.3.4", 5060, 0);
	e.aor_len = 0;
	assert_int_equal(dp_loc_set(l, &e), -EINVAL);

	char key[DP_AOR_MAX];
	char longuser[200];
	memset(longuser, 'a', sizeof(longuser));
	assert_int_equal(dp_loc_key(key, sip_str_make(longuser, sizeof(longuser)),
				 SIP_STR_LIT("d")), -1);
	assert_null(dp_loc_lookup(l, sip_str_make(longuser, sizeof(longuser)), SIP_STR_LIT("d"), 0));
	dp_loc_free(l);
}

/* ---- concurrent readers ---- */

#include "rules_qsbr.h"

#define READERS 2
#define AORS 200
#define ROUNDS 20000

static struct dp_loc *shared;
static struct rules_qsbr *qs;
static volatile int stop;
static unsigned long long seen[READERS];
static pthread_barrier_t start;

static void *
reader(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	char user[16];
	unsigned k = id;

	rules_qsbr_register(qs, id);
	rules_qsbr_online(qs, id);
	pthread_barrier_wait(&start);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		int n = snprintf(user, sizeof(user), "u%u", k++ % AORS);
		const struct dp_binding *b = dp_loc_lookup(shared, sip_str_make(user, (size_t)n),
				SIP_STR_LIT("d"), 0);
		if (b != NULL) {
			/* The binding must be the one of this AOR: its contact repeats the user. */
			if (b->aor_len != (uint16_t)(n + 2) || memcmp(b->aor, user, (size_t)n) != 0 ||
					memcmp(b->contact + 4, user, (size_t)n) != 0)
				abort();
			__atomic_add_fetch(&seen[id], 1, __ATOMIC_RELAXED);
		}
		rules_qsbr_quiescent(qs, id);
	}
	rules_qsbr_offline(qs, id);
	rules_qsbr_unregister(qs, id);
	return NULL;
}

/* Mark-and-sweep re-sync: what was set with the new mark stays, the rest goes. */
static void
test_sweep(void **state)
{
	(void)state;
	struct dp_loc *l = dp_loc_create(64, no_sync, NULL);
	assert_non_null(l);
	struct dp_binding a = binding("a@x", "sip:a@192.0.2.1", "192.0.2.1", 5060, 0);
	struct dp_binding b = binding("b@x", "sip:b@192.0.2.2", "192.0.2.2", 5060, 0);
	struct dp_binding c = binding("c@x", "sip:c@192.0.2.3", "192.0.2.3", 5060, 0);
	a.mark = b.mark = c.mark = 1;
	assert_int_equal(dp_loc_set(l, &a), 0);
	assert_int_equal(dp_loc_set(l, &b), 0);
	assert_int_equal(dp_loc_set(l, &c), 0);
	/* Re-sync 2 sends a and c only: b is swept, a and c never disappear. */
	a.mark = c.mark = 2;
	assert_int_equal(dp_loc_set(l, &a), 0);
	assert_non_null(dp_loc_lookup(l, SIP_STR_LIT("b"), SIP_STR_LIT("x"), 0));
	assert_int_equal(dp_loc_set(l, &c), 0);
	assert_int_equal(dp_loc_sweep(l, 2), 1);
	assert_int_equal(dp_loc_count(l), 2);
	assert_non_null(dp_loc_lookup(l, SIP_STR_LIT("a"), SIP_STR_LIT("x"), 0));
	assert_null(dp_loc_lookup(l, SIP_STR_LIT("b"), SIP_STR_LIT("x"), 0));
	assert_non_null(dp_loc_lookup(l, SIP_STR_LIT("c"), SIP_STR_LIT("x"), 0));
	/* An empty re-sync removes everything. */
	assert_int_equal(dp_loc_sweep(l, 3), 2);
	assert_int_equal(dp_loc_count(l), 0);
	dp_loc_reclaim(l);
	dp_loc_free(l);
}

/*
 * The AOR key table shared with the registrar's tests: the key built here
 * is the table's, and a binding stored under a row's key is found through
 * that row's user and host as written, never through another row's.
 */
static void
test_aor_key_table(void **state)
{
	(void)state;
	for (unsigned i = 0; i < AOR_CASES; i++) {
		const struct aor_case *c = &aor_cases[i];
		char key[DP_AOR_MAX];
		int n = dp_loc_key(key, sip_str_make(c->user, strlen(c->user)),
				sip_str_make(c->host, strlen(c->host)));
		if (n != (int)strlen(c->key) || memcmp(key, c->key, (size_t)n) != 0)
			fail_msg("case \"%s\": key \"%.*s\", expected \"%s\"", c->name, n > 0 ? n : 0,
					key, c->key);
	}
	for (unsigned i = 0; i < AOR_CASES; i++) {
		struct dp_loc *l = dp_loc_create(64, no_sync, NULL);
		struct dp_binding b = binding(aor_cases[i].key, "sip:x@192.0.2.9", "192.0.2.9", 5060,
				0);
		assert_int_equal(dp_loc_set(l, &b), 0);
		for (unsigned j = 0; j < AOR_CASES; j++) {
			const struct aor_case *c = &aor_cases[j];
			const struct dp_binding *got = dp_loc_lookup(l,
					sip_str_make(c->user, strlen(c->user)),
					sip_str_make(c->host, strlen(c->host)), 1000);
			bool same = strcmp(c->key, aor_cases[i].key) == 0;
			if ((got != NULL) != same)
				fail_msg("binding of \"%s\" %s through \"%s\"", aor_cases[i].name,
						same ? "not found" : "found", c->name);
		}
		dp_loc_reclaim(l);
		dp_loc_free(l);
	}
}

static void
test_concurrent_churn(void **state)
{
	(void)state;
	pthread_t t[READERS];
	char aor[32], contact[64];

	qs = rules_qsbr_create(READERS);
	assert_non_null(qs);
	shared = dp_loc_create(1024, rules_qsbr_sync_cb, qs);
	assert_non_null(shared);
	assert_int_equal(pthread_barrier_init(&start, NULL, READERS + 1), 0);
	for (unsigned i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, (void *)(uintptr_t)i), 0);
	pthread_barrier_wait(&start);

	/*
	 * Churn for at least ROUNDS updates and until every reader has found
	 * bindings many times (a busy machine may start them late), at most 20 s.
	 */
	time_t deadline = time(NULL) + 20;
	for (unsigned r = 0;; r++) {
		if (r >= ROUNDS) {
			bool enough = true;
			for (unsigned i = 0; i < READERS; i++)
				enough &= __atomic_load_n(&seen[i], __ATOMIC_RELAXED) >= 1000;
			if (enough || time(NULL) > deadline)
				break;
		}
		unsigned k = (r * 7919u) % AORS;
		snprintf(aor, sizeof(aor), "u%u@d", k);
		if (r % 3 == 2) {
			dp_loc_del(shared, aor, strlen(aor));
		} else {
			snprintf(contact, sizeof(contact), "sip:u%u@10.0.%u.%u", k, r % 250, k % 250);
			struct dp_binding b = binding(aor, contact, "10.0.0.1", 5060, 0);
			assert_int_equal(dp_loc_set(shared, &b), 0);
		}
		if (r % 64 == 0)
			dp_loc_reclaim(shared);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < READERS; i++)
		pthread_join(t[i], NULL);
	dp_loc_reclaim(shared);
	for (unsigned i = 0; i < READERS; i++)
		assert_true(seen[i] >= 1000);
	pthread_barrier_destroy(&start);
	dp_loc_free(shared);
	rules_qsbr_free(qs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_lookup_replace_delete),
		cmocka_unit_test(test_any_domain_and_expiry),
		cmocka_unit_test(test_capacity_and_bad_input),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_aor_key_table),
		cmocka_unit_test(test_concurrent_churn),
	};
	return cmocka_run_group_tests_name("dp_loc", tests, NULL, NULL);
}
