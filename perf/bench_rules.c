/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dialplan benchmark: compile time, memory and lookup cost of generated
 * carrier tables. One JSON line per (case, measurement).
 *
 *   bench_rules [--quick] [--case NAME] [--dump DIR]
 *
 * --dump DIR also writes each generated plan to DIR/NAME.dialplan, to
 * profile or compile it elsewhere.
 *
 * Cases (each in a child process, so memory figures are its own):
 *   regex_10, regex_1k, regex_10k   realistic number-range regexes
 *   prefix_10k, prefix_1m, prefix_10m   random E.164-like prefixes (LCR table)
 *   mixed_1k_1m   1,000 anchored regexes (better priority) + 1,000,000 prefixes
 *   mixed_1k_1m_scan   the same with unanchored regexes: every lookup scans
 * Measurements: "compile" from a file (ns_per_op is per rule; compile_s,
 * plan_mb: the plan's own count of its bytes, rss_mb: resident growth,
 * peak_mb: peak resident growth while compiling; MB here are MiB), and lookups over a fixed set of 11-13 digit numbers:
 * "lookup_uniform" (destinations uniformly spread over the table: every
 * lookup goes to memory), "lookup_zipf" (Zipf s=1 over the table: most
 * traffic to few destinations, as on a real trunk), and "burst_*"
 * (rules_match_burst, 32 queries at a time, as the dataplane calls it).
 * Medians over repeated runs. ns_per_op is thread CPU time per lookup
 * (time while descheduled by other tenants of the machine is not
 * counted; wall_ns_per_op is the wall-clock figure), cycles_per_op that
 * time at the TSC rate (this VM exposes no cycle counter).
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "rules.h"

#define RUNS 7u
#define QUICK_RUNS 3u
#define QUERIES (1u << 18)
#define QUICK_QUERIES (1u << 13)
#define BURST 32u

struct rng {
	uint64_t s;
};

static uint64_t
rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static uint32_t
below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rnd(r) >> 32) * n) >> 32);
}

/* Country codes weighted as they appear in international tables (a sample). */
static const char *const ccs[] = {
	"1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44",
	"45", "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61",
	"62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95",
	"98", "212", "213", "216", "218", "220", "221", "225", "233", "234", "254", "255", "256",
	"260", "263", "351", "352", "353", "354", "355", "356", "357", "358", "359", "370", "371",
	"372", "373", "374", "375", "380", "381", "385", "386", "387", "420", "421", "852", "853",
	"855", "880", "886", "960", "961", "962", "963", "964", "965", "966", "967", "968", "970",
	"971", "972", "973", "974", "975", "976", "977", "992", "993", "994", "995", "996", "998",
};
#define N_CC (sizeof(ccs) / sizeof(ccs[0]))

struct text {
	char *p;
	size_t len;
	size_t cap;
};

static void
tput(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
tput(struct text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->cap - t->len < 512) {
		t->cap = t->cap ? t->cap * 2 : 1 << 20;
		t->p = realloc(t->p, t->cap);
		if (t->p == NULL) {
			fprintf(stderr, "bench_rules: out of memory\n");
			exit(1);
		}
	}
	va_start(ap, fmt);
	t->len += (size_t)vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
}

/* Distinct digit strings (as 64-bit keys) via an open-addressing set. */
struct keyset {
	uint64_t *slot;
	size_t mask;
};

static bool
keyset_add(struct keyset *s, uint64_t k)
{
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 17) & s->mask;

	while (s->slot[i] != 0) {
		if (s->slot[i] == k)
			return false;
		i = (i + 1) & s->mask;
	}
	s->slot[i] = k;
	return true;
}

struct table {
	char (*prefix)[16]; /* "+4930123", NUL-terminated */
	unsigned n;
};

/* n distinct prefixes "+CC..." of 4 to 10 digits. */
static void
gen_prefixes(struct rng *g, struct table *t, unsigned n)
{
	struct keyset ks;
	size_t cap = 1;

	while (cap < (size_t)n * 2)
		cap *= 2;
	ks.slot = calloc(cap, sizeof(uint64_t));
	ks.mask = cap - 1;
	t->prefix = malloc((size_t)n * sizeof(*t->prefix));
	if (ks.slot == NULL || t->prefix == NULL) {
		fprintf(stderr, "bench_rules: out of memory\n");
		exit(1);
	}
	t->n = 0;
	while (t->n < n) {
		const char *cc = ccs[below(g, N_CC)];
		size_t cl = strlen(cc);
		unsigned len = 4 + below(g, 7);
		char *p = t->prefix[t->n];
		uint64_t key = 1;
		if (len <= cl)
			len = (unsigned)cl + 1;
		p[0] = '+';
		memcpy(p + 1, cc, cl);
		for (unsigned i = (unsigned)cl; i < len; i++)
			p[1 + i] = (char)('0' + below(g, 10));
		p[1 + len] = '\0';
		for (unsigned i = 0; i < len; i++)
			key = key * 11 + (uint64_t)(p[1 + i] - '0' + 1);
		if (keyset_add(&ks, key))
			t->n++;
	}
	free(ks.slot);
}

static void
gen_groups(struct text *tx)
{
	for (unsigned i = 0; i < 16; i++)
		tput(tx, "group g%u 192.0.2.%u:5060;weight=2 198.51.100.%u:5060;weight=1\n", i,
				i + 1, i + 1);
}

static void
gen_prefix_rules(struct rng *g, struct text *tx, const struct table *t)
{
	for (unsigned i = 0; i < t->n; i++) {
		if (below(g, 10) == 0)
			tput(tx, "100 prefix %s redirect contact sip:$user@gw%u.example.net\n",
					t->prefix[i], below(g, 16));
		else
			tput(tx, "100 prefix %s forward g%u\n", t->prefix[i], below(g, 16));
	}
}

/*
 * Number-range regexes as carriers write them, anchored at the start.
 * unanchored: the same without the '^', so no literal prefix can stand
 * in for them and every lookup must scan the regex database (worst case).
 */
static void
gen_regex_rules(struct rng *g, struct text *tx, unsigned n, unsigned prio, bool unanchored)
{
	for (unsigned i = 0; i < n; i++) {
		const char *cc = ccs[below(g, N_CC)];
		unsigned a = below(g, 1000), b = below(g, 1000), c = below(g, 1000);
		unsigned kind = below(g, 5);
		tput(tx, "%u regex ", prio);
		size_t at = tx->len;
		switch (kind) {
		case 0:
			tput(tx, "^\\+%s(%03u|%03u|%03u)[0-9]{6,8}$", cc, a, b, c);
			break;
		case 1:
			tput(tx, "^\\+%s1[%u-9][0-9]{7,9}$", cc, a % 9);
			break;
		case 2:
			tput(tx, "^(00|\\+)%s%03u[0-9]*$", cc, a);
			break;
		case 3:
			tput(tx, "^\\+%s(9|8)0%u[0-9]{5,7}$", cc, a % 10);
			break;
		default:
			tput(tx, "^\\+%s%02u[2-9][0-9]{%u,%u}$", cc, a % 100, 4 + b % 3, 7 + c % 3);
			break;
		}
		if (unanchored && tx->p[at] == '^')
			tx->p[at] = '.';
		/* Some rules rewrite with a capture (the patterns with a group). */
		if ((kind == 0 || kind == 3) && below(g, 3) == 0)
			tput(tx, " repl 00\\1 forward g%u\n", below(g, 16));
		else
			tput(tx, " redirect contact sip:$user@re%u.example.net\n", below(g, 16));
	}
}

/* Numbers dialled: a table prefix completed to 11-13 digits, or any E.164-like number. */
static char (*gen_numbers(struct rng *g, const struct table *t, unsigned n, bool zipf))[16]
{
	char (*u)[16] = malloc((size_t)n * 16);
	double ln = t->n ? log((double)t->n + 1) : 0;

	if (u == NULL)
		exit(1);
	for (unsigned i = 0; i < n; i++) {
		size_t l;
		if (t->n > 0 && below(g, 20) != 0) {
			unsigned k;
			if (zipf)
				k = (unsigned)(exp((double)(rnd(g) >> 11) / 9007199254740992.0 *
						ln)) - 1;
			else
				k = below(g, t->n);
			if (k >= t->n)
				k = t->n - 1;
			strcpy(u[i], t->prefix[k]);
		} else {
			snprintf(u[i], 16, "+%s", ccs[below(g, N_CC)]);
		}
		l = strlen(u[i]);
		unsigned total = 12 + below(g, 3);
		while (l < total && l < 15)
			u[i][l++] = (char)('0' + below(g, 10));
		u[i][l] = '\0';
	}
	return u;
}

static size_t
rss_bytes(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* Peak resident size since the last reset (VmHWM). */
static size_t
hwm_bytes(void)
{
	char line[256];
	size_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static void
hwm_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f != NULL) {
		fputs("5", f);
		fclose(f);
	}
}

static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* TSC ticks per nanosecond, measured against the monotonic clock. */
static double
tsc_ghz(void)
{
	uint64_t t0 = bench_now_ns(), c0 = bench_tsc();
	struct timespec ts = {0, 50 * 1000 * 1000};

	nanosleep(&ts, NULL);
	return (double)(bench_tsc() - c0) / (double)(bench_now_ns() - t0);
}

struct ctx {
	bool quick;
	unsigned runs;
	unsigned queries;
	const char *name;
	double ghz;
	const char *dump;
};

static void
dump(const struct ctx *c, const struct text *tx)
{
	char path[1024];
	FILE *f;

	if (c->dump == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s.dialplan", c->dump, c->name);
	f = fopen(path, "w");
	if (f == NULL || fwrite(tx->p, 1, tx->len, f) != tx->len)
		fprintf(stderr, "bench_rules: cannot write %s\n", path);
	if (f != NULL)
		fclose(f);
}

/*
 * Compile the generated plan as an operator would: from a file. The text is
 * written to a temporary file and freed first, so rss_mb (resident growth,
 * the plan as it sits in memory) and peak_mb (peak resident growth while
 * compiling) count the compiler and the plan, not the generator's text.
 */
static struct rules_plan *
compile(const struct ctx *c, struct text *tx, unsigned rules)
{
	struct rules_errors e = {0};
	struct rules_plan_info in;
	char path[1024];
	size_t rss0, rss1;
	uint64_t t0, t1, c0, c1;

	dump(c, tx);
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/bench_rules_XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL || fwrite(tx->p, 1, tx->len, f) != tx->len || fclose(f) != 0) {
		fprintf(stderr, "bench_rules: cannot write the plan to %s\n", path);
		exit(1);
	}
	free(tx->p);
	tx->p = NULL;
	hwm_reset();
	rss0 = rss_bytes();
	t0 = bench_now_ns();
	c0 = cpu_ns();
	struct rules_plan *p = rules_compile_file(path, NULL, &e);
	c1 = cpu_ns();
	t1 = bench_now_ns();
	unlink(path);
	if (p == NULL) {
		rules_errors_print(&e, stderr);
		fprintf(stderr, "bench_rules: %s does not compile\n", c->name);
		exit(1);
	}
	rules_errors_clear(&e);
	size_t peak = hwm_bytes();
	rss1 = rss_bytes();
	rules_plan_info(p, &in);
	double ns = (double)(c1 - c0) / rules;
	printf("{\"bench\":\"rules\",\"case\":\"%s/compile\",\"ns_per_op\":%.1f,\"mpps\":%.3f,"
		"\"cycles_per_op\":%.0f,\"rules\":%u,\"compile_s\":%.3f,\"wall_s\":%.3f,"
		"\"plan_mb\":%.1f,\"rss_mb\":%.1f,\"peak_mb\":%.1f", c->name, ns, 1000.0 / ns,
		ns * c->ghz, rules, (double)(c1 - c0) / 1e9, (double)(t1 - t0) / 1e9,
		(double)in.mem_bytes / 1048576.0,
		rss1 > rss0 ? (double)(rss1 - rss0) / 1048576.0 : 0.0,
		peak > rss0 ? (double)(peak - rss0) / 1048576.0 : 0.0);
	bench_print_machine(stdout, c->ghz * 1e9);
	printf("}\n");
	fflush(stdout);
	return p;
}

static void
lookups(const struct ctx *c, const struct rules_plan *p, char (*users)[16], const char *what,
		bool burst)
{
	struct rules_scratch *s = rules_scratch_create(p);
	static struct rules_query q[BURST];
	static struct rules_result r[BURST];
	static char bufs[BURST][512];
	double ns[RUNS], wall[RUNS];
	uint64_t hits = 0;

	if (s == NULL)
		exit(1);
	for (unsigned i = 0; i < BURST; i++) {
		q[i].domain = (struct rules_view){"example.com", 11};
		q[i].from = (struct rules_view){"alice", 5};
		q[i].method = (struct rules_view){"INVITE", 6};
		q[i].src_af = 4;
		q[i].src[0] = 192;
	}
	/* Run 0 warms caches and page tables and is not counted. */
	for (unsigned run = 0; run <= c->runs; run++) {
		uint64_t t0 = bench_now_ns(), c0 = cpu_ns(), keep = 0;
		hits = 0;
		for (unsigned i = 0; i < c->queries; i += BURST) {
			for (unsigned j = 0; j < BURST; j++) {
				q[j].user = (struct rules_view){users[i + j],
					(uint32_t)strlen(users[i + j])};
				q[j].callid_hash = i + j;
			}
			if (burst) {
				rules_match_burst(p, s, q, BURST, NULL, r, bufs[0],
						sizeof(bufs[0]));
				for (unsigned j = 0; j < BURST; j++) {
					keep += r[j].rule;
					hits += r[j].action != RULES_ACT_NONE;
				}
			} else {
				for (unsigned j = 0; j < BURST; j++) {
					rules_match(p, s, &q[j], NULL, &r[0], bufs[0],
							sizeof(bufs[0]));
					keep += r[0].rule;
					hits += r[0].action != RULES_ACT_NONE;
				}
			}
		}
		uint64_t c1 = cpu_ns(), t1 = bench_now_ns();
		bench_keep(keep);
		if (run > 0) {
			ns[run - 1] = (double)(c1 - c0) / c->queries;
			wall[run - 1] = (double)(t1 - t0) / c->queries;
		}
	}
	double m = bench_median(ns, c->runs);
	printf("{\"bench\":\"rules\",\"case\":\"%s/%s\",\"ns_per_op\":%.1f,\"mpps\":%.2f,"
		"\"cycles_per_op\":%.0f,\"wall_ns_per_op\":%.1f,\"queries\":%u,\"runs\":%u,"
		"\"hit_rate\":%.3f", c->name, what, m, 1000.0 / m, m * c->ghz,
		bench_median(wall, c->runs), c->queries, c->runs, (double)hits / c->queries);
	bench_print_machine(stdout, c->ghz * 1e9);
	printf("}\n");
	fflush(stdout);
	rules_scratch_free(s);
}

static void
run_regex(struct ctx *c, unsigned n)
{
	struct rng g = {0x1234 + n};
	struct text tx = {0};
	struct table none = {0};

	gen_groups(&tx);
	gen_regex_rules(&g, &tx, n, 50, false);
	struct rules_plan *p = compile(c, &tx, n);
	char (*users)[16] = gen_numbers(&g, &none, c->queries, false);
	lookups(c, p, users, "lookup", false);
	free(users);
	rules_plan_free(p);
}

static void
run_prefix(struct ctx *c, unsigned n, unsigned n_regex, bool unanchored)
{
	struct rng g = {0x5678 + n + n_regex};
	struct text tx = {0};
	struct table t = {0};

	gen_prefixes(&g, &t, n);
	gen_groups(&tx);
	if (n_regex > 0)
		gen_regex_rules(&g, &tx, n_regex, 50, unanchored);
	gen_prefix_rules(&g, &tx, &t);
	struct rules_plan *p = compile(c, &tx, n + n_regex);
	char (*uni)[16] = gen_numbers(&g, &t, c->queries, false);
	char (*zipf)[16] = gen_numbers(&g, &t, c->queries, true);
	free(t.prefix);
	lookups(c, p, uni, "lookup_uniform", false);
	lookups(c, p, uni, "burst_uniform", true);
	lookups(c, p, zipf, "lookup_zipf", false);
	lookups(c, p, zipf, "burst_zipf", true);
	free(uni);
	free(zipf);
	rules_plan_free(p);
}

struct bcase {
	const char *name;
	unsigned prefixes;
	unsigned regexes;
	bool quick;
	bool unanchored;
};

static const struct bcase cases[] = {
	{"regex_10", 0, 10, true},
	{"regex_1k", 0, 1000, true},
	{"regex_10k", 0, 10000, false},
	{"prefix_10k", 10000, 0, true},
	{"prefix_1m", 1000000, 0, false},
	{"prefix_10m", 10000000, 0, false},
	{"mixed_100_10k", 10000, 100, true},
	{"mixed_1k_1m", 1000000, 1000, false},
	{"mixed_1k_1m_scan", 1000000, 1000, false, true},
};

int
main(int argc, char **argv)
{
	const char *only = NULL;
	int status = 0;

	const char *dumpdir = NULL;

	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--case") == 0)
			only = argv[i + 1];
		if (strcmp(argv[i], "--dump") == 0)
			dumpdir = argv[i + 1];
	}
	bool quick = bench_has_flag(argc, argv, "--quick");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bcase *bc = &cases[i];
		if (only != NULL ? strcmp(only, bc->name) != 0 : quick && !bc->quick)
			continue;
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			struct ctx c = {quick, quick ? QUICK_RUNS : RUNS,
				quick ? QUICK_QUERIES : QUERIES, bc->name, tsc_ghz(), dumpdir};
			if (bc->prefixes == 0)
				run_regex(&c, bc->regexes);
			else
				run_prefix(&c, bc->prefixes, bc->regexes, bc->unanchored);
			_exit(0);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "bench_rules: case %s failed\n", bc->name);
			status = 1;
		}
	}
	return status;
}
