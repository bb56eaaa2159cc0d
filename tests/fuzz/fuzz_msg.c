/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the message parser: the input is one datagram.
 * sip_exercise() parses it, validates it both ways, runs every structured
 * parser on every header, compares every scanner variant this CPU has with
 * the scalar one, and on a message that validates runs every builder and
 * checks its output (re-parse, validation, content, exact fit, too-small
 * buffers). A broken invariant aborts, so libFuzzer saves the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sip_exercise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Outputs are malloc'd at their exact capacity: ASan fences them. */
	static const struct sip_exercise_opts opts = {
		.secret = 0x66757a7a,
		.scanners = true,
		.nospace = true,
	};
	struct sip_exercise_result r;

	if (sip_exercise((const char *)data, size, &opts, &r) != 0) {
		fprintf(stderr, "fuzz_msg: invariant broken: %s\n", r.why);
		abort();
	}
	return 0;
}
