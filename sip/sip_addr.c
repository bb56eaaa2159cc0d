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

/*
 * ipv4_octet() for p with at least 4 readable bytes: the digits are loaded
 * up front, without a bounds check per digit.
 */
static inline int
ipv4_octet4(const char **pp, uint8_t *out)
{
	const unsigned char *p = (const unsigned char *)*pp;
	unsigned d0 = (unsigned)p[0] - '0', d1 = (unsigned)p[1] - '0', d2 = (unsigned)p[2] - '0';

	if (d0 > 9)
		return -1;
	if (d1 > 9) {
		*out = (uint8_t)d0;
		*pp += 1;
		return 0;
	}
	if (d2 > 9) {
		*out = (uint8_t)(d0 * 10 + d1);
		*pp += 2;
		return 0;
	}
	unsigned v = d0 * 100 + d1 * 10 + d2;
	if (v > 255 || (unsigned)p[3] - '0' <= 9)
		return -1;
	*out = (uint8_t)v;
	*pp += 3;
	return 0;
}

int
sip_ipv4_scan(const char **pp, const char *end, uint8_t out[4])
{
	const char *p = *pp;

	/*
	 * With 16 bytes left no read can reach end: an octet starts at most
	 * 4 * 3 = 12 bytes in and looks at 4 bytes. The common case in a Via
	 * or Contact, where the address is followed by ":port;params".
	 */
	if (end - p >= 16) {
		for (int part = 0; part < 3; part++) {
			if (ipv4_octet4(&p, &out[part]) != 0 || *p != '.')
				return -1;
			p++;
		}
		if (ipv4_octet4(&p, &out[3]) != 0)
			return -1;
		*pp = p;
		return 0;
	}
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

/*
 * "0" .. "255": each octet's digits padded to 3 bytes, then its length.
 * An IPv4 address is four 4-byte loads and stores (format_text()).
 */
static const char octet_text[256][4] = {
	"0\0\0\1", "1\0\0\1", "2\0\0\1", "3\0\0\1", "4\0\0\1", "5\0\0\1", "6\0\0\1", "7\0\0\1",
	"8\0\0\1", "9\0\0\1", "10\0\2", "11\0\2", "12\0\2", "13\0\2", "14\0\2", "15\0\2",
	"16\0\2", "17\0\2", "18\0\2", "19\0\2", "20\0\2", "21\0\2", "22\0\2", "23\0\2", "24\0\2",
	"25\0\2", "26\0\2", "27\0\2", "28\0\2", "29\0\2", "30\0\2", "31\0\2", "32\0\2", "33\0\2",
	"34\0\2", "35\0\2", "36\0\2", "37\0\2", "38\0\2", "39\0\2", "40\0\2", "41\0\2", "42\0\2",
	"43\0\2", "44\0\2", "45\0\2", "46\0\2", "47\0\2", "48\0\2", "49\0\2", "50\0\2", "51\0\2",
	"52\0\2", "53\0\2", "54\0\2", "55\0\2", "56\0\2", "57\0\2", "58\0\2", "59\0\2", "60\0\2",
	"61\0\2", "62\0\2", "63\0\2", "64\0\2", "65\0\2", "66\0\2", "67\0\2", "68\0\2", "69\0\2",
	"70\0\2", "71\0\2", "72\0\2", "73\0\2", "74\0\2", "75\0\2", "76\0\2", "77\0\2", "78\0\2",
	"79\0\2", "80\0\2", "81\0\2", "82\0\2", "83\0\2", "84\0\2", "85\0\2", "86\0\2", "87\0\2",
	"88\0\2", "89\0\2", "90\0\2", "91\0\2", "92\0\2", "93\0\2", "94\0\2", "95\0\2", "96\0\2",
	"97\0\2", "98\0\2", "99\0\2", "100\3", "101\3", "102\3", "103\3", "104\3", "105\3",
	"106\3", "107\3", "108\3", "109\3", "110\3", "111\3", "112\3", "113\3", "114\3", "115\3",
	"116\3", "117\3", "118\3", "119\3", "120\3", "121\3", "122\3", "123\3", "124\3", "125\3",
	"126\3", "127\3", "128\3", "129\3", "130\3", "131\3", "132\3", "133\3", "134\3", "135\3",
	"136\3", "137\3", "138\3", "139\3", "140\3", "141\3", "142\3", "143\3", "144\3", "145\3",
	"146\3", "147\3", "148\3", "149\3", "150\3", "151\3", "152\3", "153\3", "154\3", "155\3",
	"156\3", "157\3", "158\3", "159\3", "160\3", "161\3", "162\3", "163\3", "164\3", "165\3",
	"166\3", "167\3", "168\3", "169\3", "170\3", "171\3", "172\3", "173\3", "174\3", "175\3",
	"176\3", "177\3", "178\3", "179\3", "180\3", "181\3", "182\3", "183\3", "184\3", "185\3",
	"186\3", "187\3", "188\3", "189\3", "190\3", "191\3", "192\3", "193\3", "194\3", "195\3",
	"196\3", "197\3", "198\3", "199\3", "200\3", "201\3", "202\3", "203\3", "204\3", "205\3",
	"206\3", "207\3", "208\3", "209\3", "210\3", "211\3", "212\3", "213\3", "214\3", "215\3",
	"216\3", "217\3", "218\3", "219\3", "220\3", "221\3", "222\3", "223\3", "224\3", "225\3",
	"226\3", "227\3", "228\3", "229\3", "230\3", "231\3", "232\3", "233\3", "234\3", "235\3",
	"236\3", "237\3", "238\3", "239\3", "240\3", "241\3", "242\3", "243\3", "244\3", "245\3",
	"246\3", "247\3", "248\3", "249\3", "250\3", "251\3", "252\3", "253\3", "254\3", "255\3"
};

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
			/*
			 * Three digit bytes per octet, then advance by its length: the
			 * bytes past a short octet are overwritten by what follows, and
			 * the last octet's end at most at out[14] (cap >= 15).
			 */
			for (int i = 0; i < 4; i++) {
				const char *t = octet_text[a->a[i]];
				memcpy(out + n, t, 3);
				n += (unsigned char)t[3];
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
