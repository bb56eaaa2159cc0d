/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP addresses as SIP writes them: parsing without NUL terminators,
 * formatting (RFC 5952 compression) and round trips, destinations a
 * response must never be sent to.
 */
#include <stdio.h>
#include <string.h>

#include "sip_test.h"

struct v4_case {
	const char *name;
	const char *text;
	int ok;
	uint8_t a[4];
};

static const struct v4_case v4_cases[] = {
	{"documentation", "192.0.2.1", 1, {192, 0, 2, 1}},
	{"zeros", "0.0.0.0", 1, {0, 0, 0, 0}},
	{"broadcast", "255.255.255.255", 1, {255, 255, 255, 255}},
	{"leading zeros", "010.002.003.004", 1, {10, 2, 3, 4}},
	{"octet 256", "256.0.0.1", 0, {0}},
	{"four digits", "1234.1.1.1", 0, {0}},
	{"three parts", "1.2.3", 0, {0}},
	{"five parts", "1.2.3.4.5", 0, {0}},
	{"empty part", "1..2.3", 0, {0}},
	{"trailing dot", "1.2.3.4.", 0, {0}},
	{"trailing space", "1.2.3.4 ", 0, {0}},
	{"sign", "1.2.3.-4", 0, {0}},
	{"letters", "a.b.c.d", 0, {0}},
	{"empty", "", 0, {0}},
};

static void
run_v4_case(void **state)
{
	const struct v4_case *c = *state;
	size_t len = strlen(c->text);
	const char *p = guard_put(test_slot(0), c->text, len);
	uint8_t a[4];

	assert_int_equal(sip_ipv4_parse(p, len, a), c->ok ? 0 : -1);
	if (c->ok)
		assert_memory_equal(a, c->a, 4);
}

struct v6_case {
	const char *name;
	const char *text;
	int strict_ok;     /* RFC 4291 text */
	int lenient_ok;    /* RFC 3261 ABNF (three colons before a dotted quad) */
	const char *same_as; /* strict text of the same address, or NULL */
};

static const struct v6_case v6_cases[] = {
	{"unspecified", "::", 1, 1, "0:0:0:0:0:0:0:0"},
	{"loopback", "::1", 1, 1, "0:0:0:0:0:0:0:1"},
	{"compressed", "2001:db8::1", 1, 1, "2001:db8:0:0:0:0:0:1"},
	{"full", "1:2:3:4:5:6:7:8", 1, 1, NULL},
	{"trailing gap", "1::", 1, 1, "1:0:0:0:0:0:0:0"},
	{"upper-case hex", "2001:DB8::A", 1, 1, "2001:db8::a"},
	{"IPv4-mapped", "::ffff:192.0.2.1", 1, 1, "::ffff:c000:201"},
	{"IPv4 tail, no gap", "1:2:3:4:5:6:1.2.3.4", 1, 1, "1:2:3:4:5:6:102:304"},
	{"RFC 5118 two colons", "2001:db8::192.0.2.1", 1, 1, "2001:db8::c000:201"},
	{"RFC 5118 three colons", "2001:db8:::192.0.2.1", 0, 1, "2001:db8::192.0.2.1"},
	{"port-ambiguous (RFC 5118)", "2001:db8::10:5070", 1, 1, "2001:db8:0:0:0:0:10:5070"},
	{"one colon", ":", 0, 0, NULL},
	{"three colons alone", ":::", 0, 0, NULL},
	{"nine groups", "1:2:3:4:5:6:7:8:9", 0, 0, NULL},
	{"eight groups and a gap", "1:2:3:4:5:6:7:8::", 0, 0, NULL},
	{"two gaps", "1::2::3", 0, 0, NULL},
	{"five hex digits", "12345::", 0, 0, NULL},
	{"bad digit", "g::", 0, 0, NULL},
	{"trailing colon", "1:", 0, 0, NULL},
	{"leading colon", ":1", 0, 0, NULL},
	{"IPv4 tail too late", "1:2:3:4:5:6:7:1.2.3.4", 0, 0, NULL},
	{"bad IPv4 tail", "::1.2.3.4.5", 0, 0, NULL},
	{"seven groups, no gap", "1:2:3:4:5:6:7", 0, 0, NULL},
	{"brackets", "[::1]", 0, 0, NULL},
	{"empty", "", 0, 0, NULL},
};

static void
run_v6_case(void **state)
{
	const struct v6_case *c = *state;
	size_t len = strlen(c->text);
	const char *p = guard_put(test_slot(0), c->text, len);
	uint8_t a[16], b[16];

	assert_int_equal(sip_ipv6_parse(p, len, a, true), c->strict_ok ? 0 : -1);
	assert_int_equal(sip_ipv6_parse(p, len, a, false), c->lenient_ok ? 0 : -1);
	if (c->same_as != NULL) {
		assert_int_equal(sip_ipv6_parse(c->same_as, strlen(c->same_as), b, true), 0);
		assert_memory_equal(a, b, 16);
	}
}

struct fmt_case {
	const char *name;
	const char *in;
	const char *out;   /* canonical text */
};

static const struct fmt_case fmt_cases[] = {
	{"IPv4", "192.0.2.1", "192.0.2.1"},
	{"IPv4 zeros", "0.0.0.0", "0.0.0.0"},
	{"IPv4 leading zeros", "010.0.0.1", "10.0.0.1"},
	{"IPv4 broadcast", "255.255.255.255", "255.255.255.255"},
	{"IPv6 in brackets", "[2001:db8::1]", "2001:db8::1"},
	{"IPv6 full", "2001:db8:0:0:0:0:0:1", "2001:db8::1"},
	{"IPv6 unspecified", "::", "::"},
	{"IPv6 loopback", "::1", "::1"},
	{"IPv6 trailing zeros", "1:0:0:0:0:0:0:0", "1::"},
	{"IPv6 first longest run", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
	{"IPv6 longest run wins", "1:0:0:2:0:0:0:3", "1:0:0:2::3"},
	{"IPv6 lone zero not compressed", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
	{"IPv6 lower case, no leading zeros", "2001:0DB8::000A", "2001:db8::a"},
	{"IPv6 no zeros", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
};

static void
run_fmt_case(void **state)
{
	const struct fmt_case *c = *state;
	struct sip_addr a, b;
	size_t want = strlen(c->out);
	char *out;

	assert_int_equal(sip_addr_parse(sip_str_make(c->in, strlen(c->in)), &a), 0);
	/* Exactly enough room, flush against a guard page; one byte less is refused. */
	out = guard_room(test_out(), want);
	assert_int_equal(sip_addr_format(&a, out, want), want);
	assert_memory_equal(out, c->out, want);
	assert_int_equal(sip_addr_parse(sip_str_make(out, want), &b), 0);
	assert_true(sip_addr_eq(&a, &b));
	out = guard_room(test_out(), want - 1);
	assert_int_equal(sip_addr_format(&a, out, want - 1), 0);
	/* With room for it, the text is terminated (a buffer full of junk before). */
	char room[64];
	memset(room, 'x', sizeof(room));
	assert_true(sip_addr_format(&a, room, want + 1) == want);
	assert_int_equal(room[want], '\0');
}

/* sip_ipv4_scan() before its 16-bytes-left fast path: the specification. */
static int
ref_octet(const char **pp, const char *end, uint8_t *out)
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

static int
ref_ipv4_scan(const char **pp, const char *end, uint8_t out[4])
{
	const char *p = *pp;

	for (int part = 0; part < 3; part++) {
		if (ref_octet(&p, end, &out[part]) != 0 || p == end || *p != '.')
			return -1;
		p++;
	}
	if (ref_octet(&p, end, &out[3]) != 0)
		return -1;
	*pp = p;
	return 0;
}

/*
 * Random near-addresses (octets of 0..4 digits, values past 255, missing
 * or doubled dots, other bytes) followed by 0..24 bytes of ":5060;..." so
 * that both the fast path (16 bytes left) and the padded copy run, flush
 * against a guard page or followed by digits past end: same verdict, same
 * end, same octets.
 */
static void
ipv4_scan_reference(void **state)
{
	static const char tail[] = ":5060;branch=z9hG4bK776a";
	struct rng r;
	char buf[64], esc[256];

	(void)state;
	rng_seed(&r, 0x1b4a11ull);
	for (unsigned i = 0; i < 200000; i++) {
		size_t n = 0;
		unsigned parts = 3 + rng_below(&r, 3);
		for (unsigned k = 0; k < parts; k++) {
			unsigned nd = rng_below(&r, 5);
			for (unsigned d = 0; d < nd; d++)
				buf[n++] = (char)(rng_below(&r, 4) == 0 ? '2' + rng_below(&r, 4) :
						'0' + rng_below(&r, 10));
			if (k + 1 < parts)
				buf[n++] = rng_below(&r, 20) == 0 ? "x:/"[rng_below(&r, 3)] : '.';
		}
		size_t nt = rng_below(&r, sizeof(tail));
		if (nt > 0 && rng_below(&r, 4) == 0)
			buf[n++] = "0.a"[rng_below(&r, 3)];
		memcpy(buf + n, tail, nt);
		n += nt;
		/*
		 * Half the time end is not the buffer's: digits and dots follow
		 * it (an address ending a URI inside a longer line), which must
		 * not count.
		 */
		size_t after = rng_below(&r, 2) ? rng_below(&r, 5) : 0;
		memcpy(buf + n, "9.9.9", after);
		const char *b = guard_put(test_slot(0), buf, n + after);
		const char *p = b, *q = b;
		uint8_t got[4] = {0}, want[4] = {0};
		int rc = sip_ipv4_scan(&p, b + n, got);
		int want_rc = ref_ipv4_scan(&q, b + n, want);
		if (rc != want_rc || p != q || (rc == 0 && memcmp(got, want, 4) != 0))
			fail_msg("\"%s\": rc %d end %td, want rc %d end %td",
					test_escape(buf, n, esc, sizeof(esc)), rc, p - b, want_rc,
					q - b);
	}
}

static void
addr_parse_misc(void **state)
{
	struct sip_addr a, b;
	(void)state;

	assert_int_equal(sip_addr_parse(SIP_STR_LIT("2001:db8:::192.0.2.1"), &a), -1);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT(""), &a), -1);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("[]"), &a), -1);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("[::1"), &a), -1);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("example.com"), &a), -1);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("192.0.2.1"), &a), 0);
	assert_int_equal(a.af, SIP_AF_INET);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("::ffff:192.0.2.1"), &b), 0);
	assert_int_equal(b.af, SIP_AF_INET6);
	/* An IPv4-mapped IPv6 address is another address family, not equal. */
	assert_false(sip_addr_eq(&a, &b));
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("[2001:db8::9:255]"), &a), 0);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("2001:db8::9:255"), &b), 0);
	assert_true(sip_addr_eq(&a, &b));
	struct sip_addr none = {.af = SIP_AF_NONE};
	char out[64];
	assert_int_equal(sip_addr_format(&none, out, sizeof(out)), 0);
}

struct dst_case {
	const char *name;
	const char *addr;
	int forbidden;
};

static const struct dst_case dst_cases[] = {
	{"this network", "0.0.0.0", 1},
	{"this network, any host", "0.1.2.3", 1},
	{"loopback", "127.0.0.1", 1},
	{"loopback, any", "127.255.0.9", 1},
	{"multicast low", "224.0.0.1", 1},
	{"multicast high", "239.255.255.255", 1},
	{"class E", "240.0.0.1", 1},
	{"limited broadcast (bcast)", "255.255.255.255", 1},
	{"documentation", "192.0.2.1", 0},
	{"private", "10.0.0.1", 0},
	{"last before multicast", "223.255.255.255", 0},
	{"IPv6 multicast", "ff02::1", 1},
	{"IPv6 unspecified", "::", 1},
	{"IPv6 loopback", "::1", 1},
	{"IPv6 documentation", "2001:db8::1", 0},
	{"IPv6 link-local", "fe80::1", 0},
	/* A dual-stack socket sends to the IPv4 address inside an IPv4-mapped one. */
	{"IPv4-mapped broadcast", "::ffff:255.255.255.255", 1},
	{"IPv4-mapped loopback", "::ffff:127.0.0.1", 1},
	{"IPv4-mapped multicast", "::ffff:224.0.0.1", 1},
	{"IPv4-mapped this network", "::ffff:0.0.0.1", 1},
	{"IPv4-mapped unicast", "::ffff:192.0.2.1", 0},
	{"IPv4-compatible (deprecated, RFC 4291)", "::192.0.2.1", 1},
	{"IPv4-compatible broadcast", "::255.255.255.255", 1},
};

static void
run_dst_case(void **state)
{
	const struct dst_case *c = *state;
	struct sip_addr a;

	assert_int_equal(sip_addr_parse(sip_str_make(c->addr, strlen(c->addr)), &a), 0);
	assert_int_equal(sip_addr_is_forbidden_dst(&a), c->forbidden);
}

/* An IPv4-mapped address compares as the IPv4 address it stands for once unmapped. */
static void
unmapped(void **state)
{
	struct sip_addr m, v4, v6, u;
	(void)state;

	assert_int_equal(sip_addr_parse(SIP_STR_LIT("[::ffff:10.0.0.1]"), &m), 0);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("10.0.0.1"), &v4), 0);
	assert_false(sip_addr_eq(&m, &v4));
	u = sip_addr_unmapped(&m);
	assert_true(sip_addr_eq(&u, &v4));
	assert_int_equal(u.af, SIP_AF_INET);
	/* Anything else is unchanged. */
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("2001:db8::ffff:a00:1"), &v6), 0);
	u = sip_addr_unmapped(&v6);
	assert_true(sip_addr_eq(&u, &v6));
	u = sip_addr_unmapped(&v4);
	assert_true(sip_addr_eq(&u, &v4));
}

static void
forbidden_without_family(void **state)
{
	struct sip_addr a = {.af = SIP_AF_NONE};
	(void)state;
	assert_true(sip_addr_is_forbidden_dst(&a));
}

/* sip_addr_eq() as it was specified before it became inline integer compares. */
static bool
addr_eq_ref(const struct sip_addr *a, const struct sip_addr *b)
{
	if (a->af != b->af)
		return false;
	return memcmp(a->a, b->a, a->af == SIP_AF_INET ? 4 : 16) == 0;
}

static void
addr_eq_reference(void **state)
{
	static const uint8_t fams[] = {SIP_AF_NONE, SIP_AF_INET, SIP_AF_INET6};
	uint64_t x = 0x2545f4914f6cdd1dull;
	unsigned equal = 0, differ = 0;
	(void)state;

	for (unsigned i = 0; i < 20000; i++) {
		struct sip_addr a, b;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		a.af = fams[x % 3];
		for (unsigned k = 0; k < 16; k++)
			a.a[k] = (uint8_t)(x >> (k * 4));
		b = a;
		/* One change: another family, a byte inside the address, or one past an IPv4's. */
		unsigned what = (unsigned)(x >> 40) % 4, at = (unsigned)(x >> 50) % 16;
		if (what == 1)
			b.af = fams[(x >> 33) % 3];
		else if (what == 2)
			b.a[at] ^= (uint8_t)(1u << ((x >> 60) % 8));
		else if (what == 3)
			b.a[4 + at % 12] ^= 0x5a; /* ignored for IPv4 */
		bool want = addr_eq_ref(&a, &b);
		assert_int_equal(sip_addr_eq(&a, &b), want);
		assert_int_equal(sip_addr_eq(&b, &a), want);
		equal += want;
		differ += !want;
	}
	/* Both answers were exercised, in numbers. */
	assert_true(equal > 5000 && differ > 5000);
}

/* Every octet value in every position, against printf, and the buffer limits. */
static void
ipv4_format_every_octet(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	(void)state;

	for (unsigned pos = 0; pos < 4; pos++) {
		for (unsigned v = 0; v < 256; v++) {
			struct sip_addr a = {.af = SIP_AF_INET};
			char out[16], want[16];
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			for (unsigned k = 0; k < 4; k++)
				a.a[k] = (uint8_t)(x >> (8 * k));
			a.a[pos] = (uint8_t)v;
			int wl = snprintf(want, sizeof(want), "%u.%u.%u.%u", a.a[0], a.a[1], a.a[2],
					a.a[3]);
			memset(out, 'x', sizeof(out));
			size_t n = sip_addr_format(&a, out, sizeof(out));
			assert_int_equal(n, (size_t)wl);
			assert_string_equal(out, want);
			/* Exactly 15 bytes of room: the text, unterminated when it fills them. */
			memset(out, 'x', sizeof(out));
			n = sip_addr_format(&a, out, 15);
			assert_int_equal(n, (size_t)wl);
			assert_memory_equal(out, want, n);
			assert_int_equal(out[15], 'x');
			/* Too little room: 0, as before. */
			if (wl > 7)
				assert_int_equal(sip_addr_format(&a, out, 7), 0);
		}
	}
}

int
test_group_addr(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addr_parse_misc),
		cmocka_unit_test(ipv4_scan_reference),
		cmocka_unit_test(addr_eq_reference),
		cmocka_unit_test(ipv4_format_every_octet),
		cmocka_unit_test(forbidden_without_family),
		cmocka_unit_test(unmapped),
	};
	int failed = RUN_ROWS("ipv4", v4_cases, run_v4_case);
	failed += RUN_ROWS("ipv6", v6_cases, run_v6_case);
	failed += RUN_ROWS("addr_format", fmt_cases, run_fmt_case);
	failed += RUN_ROWS("forbidden_dst", dst_cases, run_dst_case);
	return failed + cmocka_run_group_tests_name("addr_misc", tests, NULL, NULL);
}
