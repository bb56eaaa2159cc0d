/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_TEST_EAL_H
#define DP_TEST_EAL_H

/*
 * EAL for the DPDK unit tests (tests/dpdk): no hugepages, no PCI, lcore 0,
 * errors only, its runtime files under a prefix of its own (name and the
 * pid), so tests run in parallel and leave nothing behind.
 */

#include <stdbool.h>

/*
 * Start EAL with mem_mb MB of memory (no_telemetry: also --no-telemetry).
 * prog names the test in messages. 0, or -1 after saying so on stderr.
 */
int dp_test_eal_start(const char *prog, const char *name, unsigned mem_mb, bool no_telemetry);
/* rte_eal_cleanup(), then remove the runtime directory EAL made for name. */
void dp_test_eal_stop(const char *prog, const char *name);

#endif
