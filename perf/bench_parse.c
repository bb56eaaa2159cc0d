/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser benchmark: scanner alone, sip_parse(), the proxy fast path (parse +
 * validation of what a stateless forwarder reads + proxy checks) and strict
 * validation, for four realistic messages and every scanner variant this
 * CPU runs. One JSON line per (message, case, variant). Times are thread CPU
 * time (the scheduler's gaps excluded), medians over runs; cycles are that
 * time at the TSC rate (this VM exposes no cycle counter).
 *
 * Besides the four fixed messages, "mix" rotates over MIX_N generated
 * INVITEs (perf/bench_gen.h: 400 to 1,200 bytes, 1 to 5 Vias, with and
 * without Route/Record-Route, several sources, distinct numbers), about
 * 1.6 MB apart in total, so neither the branch predictor nor L1 has
 * learnt the message: the figure closest to a worker's.
 *
 *   bench_parse [--quick] [--variant NAME] [--case scan|parse|proxy|strict]
 *               [--message NAME]
 */
#include <stdbool.h>

#include "bench_common.h"
#include "bench_gen.h"
#include "bench_messages.h"
#include "sip.h"

#define ITERS 500000u
#define QUICK_ITERS 20000u
#define RUNS 7u
#define QUICK_RUNS 3u

#define MIX_N 1024u
#define MIX_STRIDE 1600u

struct message {
	const char *name;
	const char *text;
	size_t len;
};

/* The rotating set: MIX_N messages, MIX_STRIDE bytes apart in mix_buf. */
static char *mix_buf;
static struct message mix[MIX_N];

static void
make_mix(void)
{
	uint64_t rs = 0x51b1e5eedull;
	struct bench_gen_msg info;
	char num[16];

	mix_buf = malloc((size_t)MIX_N * MIX_STRIDE);
	if (mix_buf == NULL)
		abort();
	for (unsigned i = 0; i < MIX_N; i++) {
		char *p = mix_buf + (size_t)i * MIX_STRIDE;
		size_t len = bench_gen_invite(p, MIX_STRIDE, 13, 400 + bench_rnd(&rs) % 801, &rs,
				&info);
		snprintf(num, sizeof(num), "+%012" PRIu64, (uint64_t)(bench_rnd(&rs) % 1000000000000ull));
		bench_gen_set_number(p, &info, num);
		mix[i] = (struct message){"mix", p, len};
	}
}

static const struct message messages[] = {
	{"invite600", bench_invite600, sizeof(bench_invite600) - 1},
	{"invite1000_5via", bench_invite1000, sizeof(bench_invite1000) - 1},
	{"ok200", bench_ok200, sizeof(bench_ok200) - 1},
	{"register", bench_register, sizeof(bench_register) - 1},
};

enum bench_case { CASE_SCAN, CASE_PARSE, CASE_PROXY, CASE_STRICT };
static const char *const case_names[] = {"scan", "parse", "proxy", "strict"};

/* One operation of case c on message msg; returns something to keep. */
static inline uint64_t
run_once(enum bench_case c, const struct message *msg, struct sip_msg *m)
{
	struct sip_line lines[SIP_MAX_HDRS + 1];
	struct sip_verdict v;
	struct sip_fields f;
	uint32_t body;
	int rc;

	switch (c) {
	case CASE_SCAN:
		return (uint64_t)sip_scan_active_fn(msg->text, 0, (uint32_t)msg->len, lines,
				SIP_MAX_HDRS + 1, &body) + body;
	case CASE_PARSE:
		return (uint64_t)sip_parse(m, msg->text, msg->len, 0);
	case CASE_PROXY:
		rc = sip_parse(m, msg->text, msg->len, 0);
		sip_inspect(m, rc, 0, &v, &f);
		if (v.err == 0 && sip_is_request(m))
			sip_proxy_check(m, &v);
		return (uint64_t)v.err + f.cseq.seq + f.top.branch.len + f.ruri.user.len;
	case CASE_STRICT:
		rc = sip_parse(m, msg->text, msg->len, 0);
		return (uint64_t)sip_validate(m, rc, SIP_VAL_STRICT, &v);
	}
	free(mix_buf);
	return 0;
}

/* n messages at msg, taken in turn (n = 1: the same message every time). */
static void
bench_one(const char *variant, const struct message *msg, unsigned n, enum bench_case c,
		unsigned iters, unsigned runs)
{
	static struct sip_msg m;
	double ns[RUNS], cyc[RUNS];
	uint64_t keep = 0;
	size_t bytes = 0;

	/* Sanity: every message must be valid, else we would time an error path. */
	for (unsigned k = 0; k < n; k++) {
		struct sip_verdict v;
		int rc = sip_parse(&m, msg[k].text, msg[k].len, 0);
		if (sip_validate(&m, rc, SIP_VAL_STRICT, &v) != 0) {
			fprintf(stderr, "bench_parse: %s #%u does not validate: %s\n", msg[k].name, k,
					sip_err_text(v.err));
			exit(1);
		}
		bytes += msg[k].len;
	}
	for (unsigned i = 0; i < iters / 10; i++) /* warm up */
		keep += run_once(c, &msg[i % n], &m);
	for (unsigned r = 0; r < runs; r++) {
		uint64_t t0 = bench_thread_ns();
		for (unsigned i = 0, k = 0; i < iters; i++) {
			keep += run_once(c, &msg[k], &m);
			k = k + 1 == n ? 0 : k + 1;
		}
		uint64_t t1 = bench_thread_ns();
		ns[r] = (double)(t1 - t0) / iters;
		cyc[r] = ns[r] * bench_tsc_per_ns(); /* no cycle counter in this VM: TSC-equivalent */
	}
	bench_keep(keep);
	double mns = bench_median(ns, runs), mcyc = bench_median(cyc, runs);
	printf("{\"bench\":\"parse\",\"case\":\"%s/%s\",\"variant\":\"%s\",\"bytes\":%zu,"
	       "\"messages\":%u,\"ns_per_op\":%.1f,\"cycles_per_op\":%.0f,\"mpps\":%.2f,"
	       "\"iters\":%u,\"runs\":%u",
			msg->name, case_names[c], variant, bytes / n, n, mns, mcyc, 1000.0 / mns, iters,
			runs);
	bench_print_machine(stdout, bench_tsc_per_ns() * 1e9);
	printf("}\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	bool quick = bench_has_flag(argc, argv, "--quick");
	const char *only = NULL, *only_case = NULL, *only_msg = NULL;
	unsigned n;
	const struct sip_scanner *sc = sip_scanners(&n);

	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--variant") == 0)
			only = argv[i + 1];
		else if (strcmp(argv[i], "--case") == 0)
			only_case = argv[i + 1];
		else if (strcmp(argv[i], "--message") == 0)
			only_msg = argv[i + 1];
	make_mix();

	for (unsigned s = 0; s < n; s++) {
		if (!sc[s].supported() || (only && strcmp(only, sc[s].name) != 0))
			continue;
		sip_scanner_select(sc[s].name);
		unsigned n_fixed = sizeof(messages) / sizeof(messages[0]);
		for (unsigned k = 0; k <= n_fixed; k++) {
			const struct message *msg = k < n_fixed ? &messages[k] : mix;
			if (only_msg != NULL && strcmp(only_msg, msg->name) != 0)
				continue;
			for (unsigned c = CASE_SCAN; c <= CASE_STRICT; c++)
				if (!only_case || strcmp(only_case, case_names[c]) == 0)
					bench_one(sc[s].name, msg, k < n_fixed ? 1 : MIX_N, c,
							quick ? QUICK_ITERS : ITERS, quick ? QUICK_RUNS : RUNS);
		}
	}
	free(mix_buf);
	return 0;
}
