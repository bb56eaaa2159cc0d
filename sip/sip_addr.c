/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_addr.h"

#include <string.h>

#include "sip_chars.h"

/* 1 to 3 digits, value <= 255. */
static inline int
ipv4_octet(const char **pp, const char *end, uint8_t *out)
{
	const char *p = *pp;
	unsigned v;

	if (p == end || (unsigned char)(*p - '0') > 9)
		return -1;
	v = (unsigned)(*p++ - '0');
	if (p < end && (unsigned char)(*p - '0') <= 9) {
		v = v * 10 + (unsigned)(*p++ - '0');
		if (p < end && (unsigned char)(*p - '0') <= 9) {
			v = v * 10 + (unsigned)(*p++ - '0');
			if (v > 255 || (p < end && (unsigned char)(*p - '0') <= 9))
				return -1;
		}
	}
	*out = (uint8_t)v;
	*pp = p;
	return 0;
}

int
sip_ipv4_scan(const char **pp, const char *end, uint8_t out[4])
{
	const char *p = *pp;

	for (int part = 0; part < 3; part++) {
		if (ipv4_octet(&p, end, &out[part]) != 0 || p == end || *p != '.')
			return -1;
		p++;
	}
	if (ipv4_octet(&p, end, &out[3]) != 0)
		return -1;
	*pp = p;
	return 0;
}

int
sip_ipv4_parse(const char *p, size_t len, uint8_t out[4])
{
	const char *end = p + len;
	return sip_ipv4_scan(&p, end, out) == 0 && p == end ? 0 : -1;
}

int
sip_ipv6_parse(const char *p, size_t len, uint8_t out[16], bool strict)
{
	const char *end = p + len;
	uint16_t words[8];
	int n = 0, gap = -1;

	if (len < 2)
		return -1;
	if (p[0] == ':') {
		if (p[1] != ':')
			return -1;
		gap = 0;
		p += 2;
	}
	while (p < end) {
		/* An IPv4 tail: digits up to a '.' before any ':'. */
		const char *q = p;
		while (q < end && sip_is((unsigned char)*q, SIP_C_HEX))
			q++;
		if (q < end && *q == '.') {
			if (n > 6)
				return -1;
			if (sip_ipv4_parse(p, (size_t)(end - p), (uint8_t *)&words[n]) != 0)
				return -1;
			n += 2;
			p = end;
			break;
		}
		if (q == p || q - p > 4 || n == 8)
			return -1;
		unsigned v = 0;
		for (; p < q; p++)
			v = (v << 4) | (unsigned)sip_hexval((unsigned char)*p);
		words[n++] = (uint16_t)(((v & 0xff) << 8) | (v >> 8)); /* network order */
		if (p == end)
			break;
		if (*p != ':')
			return -1;
		p++;
		if (p < end && *p == ':') {
			if (gap >= 0)
				return -1;
			gap = n;
			p++;
			/* RFC 5118 §4.10: tolerate ":::" before a dotted quad. */
			if (!strict && p < end && *p == ':') {
				const char *r = p + 1;
				while (r < end && *r >= '0' && *r <= '9')
					r++;
				if (r < end && *r == '.')
					p++;
			}
		} else if (p == end) {
			return -1; /* trailing single ':' */
		}
	}
	if (gap < 0 && n != 8)
		return -1;
	if (gap >= 0 && n > 7)
		return -1;
	memset(out, 0, 16);
	if (gap < 0) {
		memcpy(out, words, 16);
	} else {
		memcpy(out, words, (size_t)gap * 2);
		memcpy(out + 16 - (size_t)(n - gap) * 2, &words[gap], (size_t)(n - gap) * 2);
	}
	return 0;
}

int
sip_addr_parse(struct sip_str s, struct sip_addr *out)
{
	const char *p = s.p;
	size_t len = s.len;

	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p++;
		len -= 2;
	}
	if (memchr(p, ':', len) != NULL) {
		out->af = SIP_AF_INET6;
		return sip_ipv6_parse(p, len, out->a, true);
	}
	memset(out->a, 0, sizeof(out->a));
	out->af = SIP_AF_INET;
	return sip_ipv4_parse(p, len, out->a);
}

static size_t
put_dec(char *o, unsigned v)
{
	char t[4];
	size_t n = 0, i = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		o[i++] = t[--n];
	return i;
}

static size_t format_text(const struct sip_addr *a, char *out, size_t cap);

size_t
sip_addr_format(const struct sip_addr *a, char *out, size_t cap)
{
	size_t n = format_text(a, out, cap);
	/* Terminated when there is room: callers that print the buffer are safe. */
	if (n < cap)
		out[n] = '\0';
	return n;
}

static size_t
format_text(const struct sip_addr *a, char *out, size_t cap)
{
	char tmp[48];
	size_t n = 0;

	if (a->af == SIP_AF_INET) {
		/* Per packet (received=, gateway URIs): straight-line, no loops over digits. */
		if (cap < 15) {
			for (int i = 0; i < 4; i++) {
				n += put_dec(tmp + n, a->a[i]);
				if (i < 3)
					tmp[n++] = '.';
			}
		} else {
			for (int i = 0; i < 4; i++) {
				unsigned v = a->a[i];
				if (v >= 100) {
					out[n++] = (char)('0' + v / 100);
					out[n++] = (char)('0' + v / 10 % 10);
				} else if (v >= 10) {
					out[n++] = (char)('0' + v / 10);
				}
				out[n++] = (char)('0' + v % 10);
				if (i < 3)
					out[n++] = '.';
			}
			return n;
		}
	} else if (a->af == SIP_AF_INET6) {
		/* Longest run of zero words (>= 2) becomes "::" (RFC 5952). */
		int best = -1, best_len = 0;
		for (int i = 0; i < 8;) {
			int j = i;
			while (j < 8 && a->a[2 * j] == 0 && a->a[2 * j + 1] == 0)
				j++;
			if (j - i > best_len && j - i >= 2) {
				best = i;
				best_len = j - i;
			}
			i = j > i ? j : i + 1;
		}
		static const char hex[] = "0123456789abcdef";
		for (int i = 0; i < 8; i++) {
			if (i == best) {
				tmp[n++] = ':';
				if (i == 0)
					tmp[n++] = ':';
				i += best_len - 1;
				continue;
			}
			unsigned w = ((unsigned)a->a[2 * i] << 8) | a->a[2 * i + 1];
			int started = 0;
			for (int s = 12; s >= 0; s -= 4) {
				unsigned d = (w >> s) & 0xf;
				if (d || started || s == 0) {
					tmp[n++] = hex[d];
					started = 1;
				}
			}
			if (i < 7)
				tmp[n++] = ':';
		}
	} else {
		return 0;
	}
	if (n > cap)
		return 0;
	memcpy(out, tmp, n);
	return n;
}

struct sip_addr
sip_addr_unmapped(const struct sip_addr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct sip_addr r = *a;

	if (a->af == SIP_AF_INET6 && memcmp(a->a, mapped, sizeof(mapped)) == 0) {
		memset(&r, 0, sizeof(r));
		r.af = SIP_AF_INET;
		memcpy(r.a, a->a + 12, 4);
	}
	return r;
}

bool
sip_addr_is_forbidden_dst(const struct sip_addr *a)
{
	static const uint8_t zero[16];
	struct sip_addr u = sip_addr_unmapped(a);

	if (u.af == SIP_AF_INET) {
		/* this-network, loopback, multicast, class E, broadcast */
		return u.a[0] == 0 || u.a[0] == 127 || u.a[0] >= 224;
	}
	if (u.af == SIP_AF_INET6) {
		if (u.a[0] == 0xff) /* multicast */
			return true;
		/* unspecified, loopback, IPv4-compatible (::/96, deprecated by RFC 4291) */
		return memcmp(u.a, zero, 12) == 0;
	}
	return true;
}
