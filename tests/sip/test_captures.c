/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Real traffic and fuzz seeds: every UDP payload of the corpus captures and
 * every seed file goes through the invariant checker (all parsers, all
 * builders on what validates), flush against guard pages, with every
 * scanner variant compared against the scalar one on the way. There is no
 * verdict to expect here; what must hold is what holds for any input.
 */
#include <stdio.h>
#include <string.h>

#include "sip_exercise.h"
#include "sip_test.h"

struct capture_row {
	const char *name;
	enum test_msg_kind kind;
	const char *file_prefix; /* only messages whose name starts with this */
	unsigned min_accepted;   /* at least this many must validate (strict) */
};

static void
run_capture(void **state)
{
	const struct capture_row *row = *state;
	struct sip_exercise_opts xo = {.secret = 7, .scanners = true, .nospace = true,
		.out = test_out()};
	struct sip_exercise_result xr;
	unsigned seen = 0, accepted = 0, built = 0;
	size_t n;
	const struct test_msg *v = test_messages(&n);

	if (n == 0) {
		test_no_corpus();
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].kind != row->kind || strncmp(v[i].name, row->file_prefix,
				strlen(row->file_prefix)) != 0)
			continue;
		seen++;
		const char *p = guard_put(test_slot(0), v[i].buf, v[i].len);
		if (sip_exercise(p, v[i].len, &xo, &xr) != 0)
			fail_msg("%s: %s", v[i].name, xr.why);
		accepted += xr.strict_err == 0;
		built += xr.builds;
	}
	print_message("%s: %u messages, %u valid, %u builder outputs checked\n", row->name, seen,
			accepted, built);
	assert_true(seen > 0);
	assert_true(accepted >= row->min_accepted);
}

/* Every SIP message in these captures is well formed, except in the zeek negatives. */
static const struct capture_row rows[] = {
	{"rfc", MSG_RFC, "rfc", 44},
	{"pjproject seeds", MSG_SEED, "fuzz/pjproject", 11},
	{"kamailio seed", MSG_SEED, "fuzz/profuzzbench", 1},
	{"zeek wireshark sample", MSG_CAPTURE, "pcap/zeek_wireshark", 81},
	{"zeek junk before request", MSG_CAPTURE, "pcap/zeek_sip-junk", 0},
	{"zeek long paths", MSG_CAPTURE, "pcap/zeek_sip-long", 2},
	{"zeek invalid Content-Length", MSG_CAPTURE, "pcap/zeek_invalid", 0},
	{"ndpi", MSG_CAPTURE, "pcap/ndpi_", 181},
	{"peafowl", MSG_CAPTURE, "pcap/peafowl", 81},
	{"wireshark samples", MSG_CAPTURE, "pcap/wsample", 12},
	{"profuzzbench kamailio", MSG_CAPTURE, "pcap/profuzzbench", 16},
};

/*
 * The RFC messages and seeds, mutated (a fixed-seed mini fuzzer): the same
 * invariants must hold for the broken variants, which reach error paths the
 * corpus alone does not.
 */
#define MUTATION_SEED 0x6d757461746521ull
#define MUTATIONS_PER_MSG 300u

static void
mutations(void **state)
{
	static char work[SIP_MAX_MSG];
	struct sip_exercise_opts xo = {.secret = 7, .scanners = true, .nospace = true,
		.out = test_out()};
	struct sip_exercise_result xr;
	unsigned runs = 0, valid = 0, built = 0;
	struct rng r;
	size_t n;
	const struct test_msg *v = test_messages(&n);
	(void)state;

	if (n == 0)
		test_no_corpus();
	rng_seed(&r, MUTATION_SEED);
	for (size_t i = 0; i < n; i++) {
		if (v[i].kind == MSG_CAPTURE)
			continue;
		for (unsigned k = 0; k < MUTATIONS_PER_MSG; k++) {
			size_t len = v[i].len < sizeof(work) ? v[i].len : sizeof(work);
			memcpy(work, v[i].buf, len);
			unsigned edits = 1 + rng_below(&r, 3);
			for (unsigned e = 0; e < edits; e++)
				test_mutate(&r, work, &len, sizeof(work));
			const char *p = guard_put(test_slot(0), work, len);
			if (sip_exercise(p, len, &xo, &xr) != 0)
				fail_msg("%s, mutation %u (seed %#llx): %s", v[i].name, k,
						(unsigned long long)MUTATION_SEED, xr.why);
			runs++;
			valid += xr.strict_err == 0;
			built += xr.builds;
		}
	}
	print_message("%u mutants, %u valid, %u builder outputs checked\n", runs, valid, built);
	/* Most single edits leave a message valid: the builders really ran. */
	assert_true(built > runs / 10);
}

int
test_group_captures(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mutations),
	};
	int failed = RUN_ROWS("captures", rows, run_capture);
	return failed + cmocka_run_group_tests_name("captures_mutated", tests, NULL, NULL);
}
