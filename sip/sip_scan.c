/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_scan.h"

#include <stdlib.h>
#include <string.h>

static int
always(void)
{
	return 1;
}

static int
has_sse42(void)
{
	return __builtin_cpu_supports("sse4.2");
}

static int
has_avx2(void)
{
	return __builtin_cpu_supports("avx2");
}

static int
has_avx512(void)
{
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
}

/* Ordered worst to best; selection takes the last supported one. */
static const struct sip_scanner scanners[] = {
	{"scalar", sip_scan_scalar, always},
	{"sse42", sip_scan_sse42, has_sse42},
	{"avx2", sip_scan_avx2, has_avx2},
	{"avx512", sip_scan_avx512, has_avx512},
};
#define N_SCANNERS (sizeof(scanners) / sizeof(scanners[0]))

static const struct sip_scanner *active = &scanners[0];
sip_scan_fn sip_scan_active_fn = sip_scan_scalar;

const struct sip_scanner *
sip_scanners(unsigned *n)
{
	*n = N_SCANNERS;
	return scanners;
}

const struct sip_scanner *
sip_scanner_by_name(const char *name)
{
	for (unsigned i = 0; i < N_SCANNERS; i++)
		if (strcmp(scanners[i].name, name) == 0)
			return &scanners[i];
	return NULL;
}

const struct sip_scanner *
sip_scanner_active(void)
{
	return active;
}

int
sip_scanner_select(const char *name)
{
	const struct sip_scanner *s = NULL;

	if (name == NULL || strcmp(name, "best") == 0) {
		for (unsigned i = 0; i < N_SCANNERS; i++)
			if (scanners[i].supported())
				s = &scanners[i];
	} else {
		s = sip_scanner_by_name(name);
		if (s == NULL || !s->supported())
			return -1;
	}
	active = s;
	sip_scan_active_fn = s->scan;
	return 0;
}

/* Start-up choice; SIPLINE_SCANNER=<name> overrides it (tests, benchmarks). */
__attribute__((constructor)) static void
scanner_init(void)
{
	__builtin_cpu_init();
	const char *env = getenv("SIPLINE_SCANNER");
	if (env == NULL || sip_scanner_select(env) != 0)
		sip_scanner_select("best");
}
