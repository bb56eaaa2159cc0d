/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_err.h"
#include "sip_scan.h"

/* The specification of the scanner: one byte at a time, nothing clever. */
int
sip_scan_scalar(const char *buf, uint32_t start, uint32_t len, struct sip_line *lines,
		unsigned cap, uint32_t *body)
{
	uint32_t line_start = start;
	uint32_t colon = SIP_SCAN_NO_COLON;
	unsigned n = 0;

	for (uint32_t i = start; i < len; i++) {
		char c = buf[i];

		if (c == ':') {
			if (colon == SIP_SCAN_NO_COLON)
				colon = i;
			continue;
		}
		if (c != '\n')
			continue;
		if (i == line_start || (i == line_start + 1 && buf[line_start] == '\r')) {
			*body = i + 1;
			return (int)n;
		}
		if (n == cap)
			return -SIP_E_TOO_MANY_HDRS;
		lines[n++] = (struct sip_line){
			.start = (uint16_t)line_start, .colon = (uint16_t)colon, .lf = (uint16_t)i};
		line_start = i + 1;
		colon = SIP_SCAN_NO_COLON;
	}
	*body = 0;
	return (int)n;
}
