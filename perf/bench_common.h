/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

/*
 * Shared by the benchmarks in perf/: timing with the TSC and the monotonic
 * clock, medians over repeated runs, one JSON line per result.
 * Benchmarks never assert on time; they report it.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

struct bench_sample {
	double ns_per_op;
	double cycles_per_op;
};

static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * CPU time of the calling thread: time the VM or the scheduler took the
 * thread off its CPU is not counted (the machine is shared and noisy).
 */
static inline uint64_t
bench_thread_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* TSC ticks per ns, measured once against the monotonic clock over 50 ms. */
static inline double
bench_tsc_per_ns(void)
{
	static double r;
	if (r == 0) {
		uint64_t t0 = bench_now_ns(), c0 = __rdtsc();
		struct timespec d = {0, 50 * 1000 * 1000};
		nanosleep(&d, NULL);
		r = (double)(__rdtsc() - c0) / (double)(bench_now_ns() - t0);
	}
	return r;
}

static inline uint64_t
bench_tsc(void)
{
	unsigned aux;
	return __rdtscp(&aux);
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of n samples (sorts them). */
static inline double
bench_median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * What the figures were measured on, read at run time: the CPU's model
 * name (/proc/cpuinfo), and how this program was built (BENCH_BUILD, set by
 * perf/meson.build: compiler, optimisation level, LTO, -march).
 */
#ifndef BENCH_BUILD
#define BENCH_BUILD "unknown"
#endif

static inline const char *
bench_cpu_model(void)
{
	static char model[128];
	if (model[0] != '\0')
		return model;
	snprintf(model, sizeof(model), "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], name[80] = "unknown", fam[16] = "?", mod[16] = "?";
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *c = strchr(line, ':');
		if (c == NULL)
			continue;
		c += strspn(c + 1, " \t") + 1;
		c[strcspn(c, "\n")] = '\0';
		/* JSON-safe: quotes and backslashes become spaces */
		for (char *q = c; *q != '\0'; q++)
			if (*q == '"' || *q == '\\')
				*q = ' ';
		if (strncmp(line, "model name", 10) == 0)
			snprintf(name, sizeof(name), "%s", c);
		else if (strncmp(line, "cpu family", 10) == 0)
			snprintf(fam, sizeof(fam), "%s", c);
		else if (strncmp(line, "model\t", 6) == 0)
			snprintf(mod, sizeof(mod), "%s", c);
		else if (line[0] == '\n' || strncmp(line, "power management", 16) == 0)
			break; /* the first CPU's block is enough */
	}
	snprintf(model, sizeof(model), "%s (family %s, model %s)", name, fam, mod);
	if (f != NULL)
		fclose(f);
	return model;
}

/*
 * The JSON fields every benchmark line carries about the machine and the
 * build, after the leading '{...': ,"cpu":..,"tsc_hz":..,"build":..,
 * "cycles_are":"tsc" (this VM exposes no cycle counter: cycles_per_op is
 * time x the TSC rate, not core clock cycles).
 */
static inline void
bench_print_machine(FILE *out, double tsc_hz)
{
	fprintf(out, ",\"cpu\":\"%s\",\"tsc_hz\":%.0f,\"build\":\"%s\",\"cycles_are\":\"tsc\"",
			bench_cpu_model(), tsc_hz, BENCH_BUILD);
}

/* Prevents the compiler from discarding a result. */
static inline void
bench_keep(uint64_t v)
{
	__asm__ volatile("" : : "r"(v) : "memory");
}

/* True if argv holds flag. */
static inline int
bench_has_flag(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return 1;
	return 0;
}

#endif
