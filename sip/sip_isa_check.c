/* SPDX-License-Identifier: BSD-3-Clause */
/* The start-up check of the build's ISA level (meson -Dmarch). */
#include <unistd.h>

#ifdef SIPLINE_MARCH
/*
 * The build's ISA level (meson -Dmarch=x86-64-v3...): the compiler may use
 * it in any function, so check it before main() and before our other
 * constructors (priority 101 runs first), in a function built for the
 * baseline. Its own library (sip/meson.build): libsip.a stays free of
 * system calls (tests/sip/check_symbols.sh), and sip_dep links this one
 * whole into every program that uses libsip.
 */
__attribute__((constructor(101), target("arch=x86-64"))) static void
march_check(void)
{
	static const char msg[] = "sipline: built for " SIPLINE_MARCH
		" (meson -Dmarch), which this CPU does not support\n";

	__builtin_cpu_init();
	if (!__builtin_cpu_supports(SIPLINE_MARCH)) {
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(70);
		_exit(70);
	}
}
#endif
