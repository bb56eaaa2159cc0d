/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_test_eal.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>

int
dp_test_eal_start(const char *prog, const char *name, unsigned mem_mb, bool no_telemetry)
{
	char argv0[64], prefix[64], mem[16];
	snprintf(argv0, sizeof(argv0), "%s", prog);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s%d", name, (int)getpid());
	snprintf(mem, sizeof(mem), "%u", mem_mb);
	char *eal[] = {argv0, "--no-huge", "-m", mem, "--no-pci", prefix, "-l", "0",
		"--log-level=error", NULL, NULL};
	int argc = 9;
	if (no_telemetry)
		eal[argc++] = "--no-telemetry";
	if (rte_eal_init(argc, eal) < 0) {
		fprintf(stderr, "%s: EAL did not start\n", prog);
		return -1;
	}
	return 0;
}

void
dp_test_eal_stop(const char *prog, const char *name)
{
	rte_eal_cleanup();
	/* The runtime directory EAL made (/var/run/dpdk/PREFIX, or under $XDG_RUNTIME_DIR). */
	char cmd[512];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/%s%d '%s/dpdk/%s%d'", name, (int)getpid(),
			xdg && getuid() != 0 ? xdg : "/nonexistent", name, (int)getpid());
	if (system(cmd) != 0)
		fprintf(stderr, "%s: could not remove the DPDK runtime directory\n", prog);
}
