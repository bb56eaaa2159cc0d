/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_aor.h"

#include "sip_chars.h"

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
sip_aor_key(char *out, size_t cap, struct sip_str user, struct sip_str host)
{
	static const char HEX[] = "0123456789ABCDEF";
	size_t n = 0;

	for (uint32_t i = 0; i < user.len; i++) {
		unsigned char c = (unsigned char)user.p[i];
		int h, l;
		if (c == '%' && i + 2 < user.len &&
				(h = hexval((unsigned char)user.p[i + 1])) >= 0 &&
				(l = hexval((unsigned char)user.p[i + 2])) >= 0) {
			unsigned char d = (unsigned char)(h << 4 | l);
			i += 2;
			if (sip_is(d, SIP_C_UNRESERVED)) {
				if (n >= cap)
					return -1;
				out[n++] = (char)d;
			} else {
				if (n + 3 > cap)
					return -1;
				out[n++] = '%';
				out[n++] = HEX[d >> 4];
				out[n++] = HEX[d & 15];
			}
			continue;
		}
		if (n >= cap)
			return -1;
		out[n++] = (char)c;
	}
	if (n + 1 + host.len > cap)
		return -1;
	out[n++] = '@';
	for (uint32_t i = 0; i < host.len; i++) {
		char c = host.p[i];
		out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	return (int)n;
}
