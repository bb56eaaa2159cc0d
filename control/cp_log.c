/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>

#include "cp_app.h"

/* One line on stderr: journald (or the test's log) adds the time. */
void
cp_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sipline-control: %s\n", line);
	fflush(stderr);
}
