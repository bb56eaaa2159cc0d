/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scalar scanner is the specification: every SIMD variant must return
 * the same value, the same line records and the same *body for every input
 * (STYLE.md rule 3). Inputs: the whole corpus, truncations at every length,
 * random mutations, random inputs of every length 0..200, and inputs built
 * to hit block boundaries and line-count limits; all flush against a guard
 * page, at start offsets 0 and not 0, at every alignment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_exercise.h"
#include "sip_test.h"

#define SEED 0x5ca11ab1e5eedull
/* Random mutations per message (RFC and seed files; a few per capture payload). */
#define MUTATIONS 400u
#define CAPTURE_MUTATIONS 16u
/* Random inputs per length in 0..RANDOM_MAX_LEN. */
#define RANDOM_PER_LEN 200u
#define RANDOM_MAX_LEN 200u
#define CAP (SIP_MAX_HDRS + 1)

struct scan_run {
	const char *name;
	const char *variant;
	void (*fn)(const struct sip_scanner *sc);
};

/* Compare at start 0 with the input flush against the guard page. */
static void
same(const struct sip_scanner *sc, const char *input, size_t len, unsigned cap)
{
	char why[512];
	const char *p = guard_put(test_slot(0), input, len);

	if (sip_scan_compare(sc, p, 0, (uint32_t)len, cap, why, sizeof(why)) != 0)
		fail_msg("%s", why);
}

/*
 * The same input after a prefix of k junk bytes, scanned from start k: the
 * scan start is not 0 and, as k varies, the data takes every alignment.
 */
static void
same_at(const struct sip_scanner *sc, const char *input, size_t len, unsigned k, struct rng *r)
{
	static char tmp[TEST_BUF_CAP];
	char why[512];

	assert_true(len + k <= sizeof(tmp) && len + k <= SIP_MAX_MSG);
	/* The prefix holds LFs and colons that a scan starting at k must ignore. */
	for (unsigned i = 0; i < k; i++)
		tmp[i] = "\n:\r a"[rng_below(r, 5)];
	memcpy(tmp + k, input, len);
	const char *p = guard_put(test_slot(0), tmp, len + k);
	if (sip_scan_compare(sc, p, k, (uint32_t)(len + k), CAP, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	/* And flush against the front guard page, so a read before start faults. */
	p = guard_put_front(test_slot(1), tmp, len + k);
	if (sip_scan_compare(sc, p, k, (uint32_t)(len + k), CAP, why, sizeof(why)) != 0)
		fail_msg("%s (front)", why);
}

static void
same_parse(const struct sip_scanner *sc, const char *input, size_t len)
{
	char why[512];
	const char *p = guard_put(test_slot(0), input, len);

	if (sip_parse_compare(sc, p, len, why, sizeof(why)) != 0)
		fail_msg("%s", why);
}

static const struct test_msg *
messages(size_t *n)
{
	const struct test_msg *v = test_messages(n);
	if (*n == 0) {
		test_no_corpus();
	}
	return v;
}

static void
t_corpus(const struct sip_scanner *sc)
{
	struct rng r;
	size_t n;
	const struct test_msg *v = messages(&n);

	rng_seed(&r, SEED);
	for (size_t i = 0; i < n; i++) {
		size_t len = v[i].len > SIP_MAX_MSG - 64 ? SIP_MAX_MSG - 64 : v[i].len;
		same(sc, v[i].buf, len, CAP);
		same_parse(sc, v[i].buf, len);
		/* Every alignment for the RFC messages; a few for the rest. */
		unsigned ks = v[i].kind == MSG_CAPTURE ? 3 : 64;
		for (unsigned k = 1; k <= ks; k++)
			same_at(sc, v[i].buf, len, k, &r);
	}
}

static void
t_truncations(const struct sip_scanner *sc)
{
	size_t n;
	const struct test_msg *v = messages(&n);

	for (size_t i = 0; i < n; i++) {
		if (v[i].kind == MSG_CAPTURE)
			continue;
		for (size_t len = 0; len <= v[i].len && len <= SIP_MAX_MSG; len++)
			same(sc, v[i].buf, len, CAP);
	}
}

static void
t_mutations(const struct sip_scanner *sc)
{
	static char work[SIP_MAX_MSG];
	struct rng r;
	size_t n;
	const struct test_msg *v = messages(&n);

	rng_seed(&r, SEED);
	for (size_t i = 0; i < n; i++) {
		unsigned rounds = v[i].kind == MSG_CAPTURE ? CAPTURE_MUTATIONS : MUTATIONS;
		for (unsigned k = 0; k < rounds; k++) {
			size_t len = v[i].len < sizeof(work) ? v[i].len : sizeof(work);
			memcpy(work, v[i].buf, len);
			unsigned edits = 1 + rng_below(&r, 4);
			for (unsigned e = 0; e < edits; e++)
				test_mutate(&r, work, &len, sizeof(work));
			same(sc, work, len, CAP);
			same_parse(sc, work, len);
			same_at(sc, work, len < SIP_MAX_MSG - 64 ? len : SIP_MAX_MSG - 64,
					1 + rng_below(&r, 63), &r);
		}
	}
}

static void
t_random(const struct sip_scanner *sc)
{
	/* Mostly the bytes that matter, so lines, colons and empty lines are common. */
	static const char alphabet[] = "\n\n\r\r::  ab";
	char in[RANDOM_MAX_LEN];
	struct rng r;

	rng_seed(&r, SEED);
	for (unsigned len = 0; len <= RANDOM_MAX_LEN; len++) {
		for (unsigned k = 0; k < RANDOM_PER_LEN; k++) {
			for (unsigned i = 0; i < len; i++)
				in[i] = (k & 1) ? (char)rng_below(&r, 256) :
					alphabet[rng_below(&r, sizeof(alphabet) - 1)];
			same(sc, in, len, CAP);
			same(sc, in, len, rng_below(&r, 6)); /* tiny capacities */
			same_parse(sc, in, len);
		}
	}
}

/* Lines "X: v" of lengths chosen so LFs, CRs and colons land on block edges. */
static size_t
build_lines(char *out, size_t cap, unsigned n_lines, unsigned line_len, bool crlf, bool end)
{
	size_t n = 0;

	for (unsigned i = 0; i < n_lines && n + line_len + 4 <= cap; i++) {
		unsigned body = line_len > 3 ? line_len - 3 : 0;
		out[n++] = 'X';
		out[n++] = ':';
		for (unsigned j = 0; j < body; j++)
			out[n++] = (j == body / 2) ? ':' : 'v';
		if (crlf)
			out[n++] = '\r';
		out[n++] = '\n';
	}
	if (end && n + 2 <= cap) {
		if (crlf)
			out[n++] = '\r';
		out[n++] = '\n';
	}
	return n;
}

static void
t_limits(const struct sip_scanner *sc)
{
	static char big[SIP_MAX_MSG];
	size_t len;

	/* Line counts around the capacity, with and without the closing empty line. */
	for (unsigned lines = CAP - 2; lines <= CAP + 2; lines++) {
		for (unsigned e = 0; e < 2; e++) {
			len = build_lines(big, sizeof(big), lines, 12, true, e);
			same(sc, big, len, CAP);
			same(sc, big, len, lines);
			same(sc, big, len, lines - 1);
		}
	}
	/* Every line length 1..130 puts LF, CR and ':' at every block offset. */
	for (unsigned ll = 1; ll <= 130; ll++) {
		for (unsigned f = 0; f < 4; f++) {
			len = build_lines(big, sizeof(big), 20, ll, f & 1, f & 2);
			same(sc, big, len, CAP);
			for (size_t cut = len > 70 ? len - 70 : 0; cut <= len; cut++)
				same(sc, big, cut, CAP);
		}
	}
	/* The largest datagram: one line, then one colon at the very end. */
	memset(big, 'a', sizeof(big));
	same(sc, big, sizeof(big), CAP);
	big[sizeof(big) - 1] = ':';
	same(sc, big, sizeof(big), CAP);
	big[sizeof(big) - 1] = '\n';
	big[sizeof(big) - 2] = ':';
	same(sc, big, sizeof(big), CAP);
	/* An empty line whose CR ends one block and whose LF starts the next. */
	memset(big, 'a', 200);
	big[62] = '\n';
	big[63] = '\r';
	big[64] = '\n';
	same(sc, big, 200, CAP);
	same(sc, big, 64, CAP);
	/* Nothing but line ends, and nothing at all. */
	memset(big, '\n', 300);
	same(sc, big, 300, CAP);
	same(sc, big, 0, CAP);
	/* Many lines near the maximum length: the line limit hits first. */
	len = build_lines(big, sizeof(big), 5000, 13, true, true);
	same(sc, big, len, CAP);
	same_parse(sc, big, len);
}

static void
run_scan(void **state)
{
	const struct scan_run *run = *state;
	const struct sip_scanner *sc = sip_scanner_by_name(run->variant);

	test_use_variant(run->variant);
	run->fn(sc);
}

static void
selection(void **state)
{
	unsigned n;
	const struct sip_scanner *all = sip_scanners(&n);
	const struct sip_scanner *best = NULL;
	(void)state;

	assert_int_equal(n, 4);
	assert_string_equal(all[0].name, "scalar");
	assert_true(all[0].supported());
	for (unsigned i = 0; i < n; i++) {
		assert_ptr_equal(sip_scanner_by_name(all[i].name), &all[i]);
		if (all[i].supported())
			best = &all[i];
	}
	/* What sip/ chose at start-up, before any test selected a variant. */
	const char *env = getenv("SIPLINE_SCANNER");
	const struct sip_scanner *forced = env ? sip_scanner_by_name(env) : NULL;
	assert_non_null(test_startup_scanner);
	if (forced != NULL && forced->supported())
		assert_ptr_equal(test_startup_scanner, forced);
	else
		assert_ptr_equal(test_startup_scanner, best);
	assert_null(sip_scanner_by_name("avx1024"));
	assert_int_equal(sip_scanner_select("avx1024"), -1);
	assert_int_equal(sip_scanner_select("scalar"), 0);
	assert_ptr_equal(sip_scan_active_fn, sip_scan_scalar);
	assert_int_equal(sip_scanner_select("best"), 0);
	assert_ptr_equal(sip_scanner_active(), best);
	assert_ptr_equal(sip_scan_active_fn, best->scan);
	print_message("best scanner on this CPU: %s\n", best->name);
}

int
test_group_scan(void)
{
	static const struct {
		const char *name;
		void (*fn)(const struct sip_scanner *sc);
	} kinds[] = {
		{"corpus", t_corpus},
		{"truncations", t_truncations},
		{"mutations", t_mutations},
		{"random", t_random},
		{"limits", t_limits},
	};
	const unsigned n_kinds = sizeof(kinds) / sizeof(kinds[0]);
	unsigned n_sc;
	const struct sip_scanner *sc = sip_scanners(&n_sc);
	struct scan_run runs[16 * 8];
	char names[16 * 8][64];
	size_t n = 0;

	/* Every variant but the oracle itself. */
	for (unsigned s = 0; s < n_sc && s < 16; s++) {
		if (strcmp(sc[s].name, "scalar") == 0)
			continue;
		for (unsigned k = 0; k < n_kinds; k++) {
			snprintf(names[n], sizeof(names[n]), "%s/%s", sc[s].name, kinds[k].name);
			runs[n] = (struct scan_run){names[n], sc[s].name, kinds[k].fn};
			n++;
		}
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(selection),
	};
	int failed = cmocka_run_group_tests_name("scan_selection", tests, NULL, NULL);
	failed += run_rows("scan", runs, n, sizeof(runs[0]), run_scan);
	sip_scanner_select("best");
	return failed;
}
