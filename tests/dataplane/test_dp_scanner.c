/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scanner signatures (dataplane/core/dp_scanner.c): the built-in list,
 * custom signatures per header, where the header sits, its case and
 * compact form, several instances, and the raw scan of unindexable
 * messages. Every message sits flush against a guard page.
 *
 * The prefilter (dp_scanner_impl.h) against the exact path: random and
 * default signature sets, random values with signatures planted at every
 * offset in any case; every variant of the filter (scalar, AVX2) agrees
 * with the scalar one and never misses a signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dp_scanner.h"
#include "dp_scanner_impl.h"
#include "guard.h"

static struct guard_buf g;

/* A request; ua/from/to are whole header lines or "" (the defaults stand in). */
static const char *
msg(const char *before, const char *from, const char *to, const char *after)
{
	static char buf[2048];
	snprintf(buf, sizeof(buf),
			"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n"
			"%s"
			"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1\r\n"
			"%s"
			"%s"
			"Call-ID: 1@198.51.100.7\r\n"
			"CSeq: 1 OPTIONS\r\n"
			"%s"
			"Content-Length: 0\r\n"
			"\r\n",
			before,
			*from ? from : "From: \"100\" <sip:100@198.51.100.7>;tag=1\r\n",
			*to ? to : "To: <sip:100@192.0.2.1>\r\n", after);
	return buf;
}

struct scan_case {
	const char *name;
	const char *before, *from, *to, *after;
	bool hit;
};

#define X10 "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10

static const struct scan_case default_cases[] = {
	{"clean", "", "", "", "User-Agent: Linphone/5.2\r\n", false},
	{"no user agent", "", "", "", "", false},
	{"friendly-scanner last", "", "", "", "User-Agent: friendly-scanner\r\n", true},
	{"friendly-scanner first", "User-Agent: friendly-scanner\r\n", "", "", "", true},
	{"upper case", "", "", "", "User-Agent: FRIENDLY-SCANNER\r\n", true},
	{"header name any case", "", "", "", "user-agent: sipcli/v1.8\r\n", true},
	{"inside a longer value", "", "", "", "User-Agent: Mozilla (sipvicious 0.3)\r\n", true},
	{"sip-scan", "", "", "", "User-Agent: sip-scan\r\n", true},
	{"VaxSIPUserAgent", "", "", "", "User-Agent: VaxSIPUserAgent/3.1\r\n", true},
	{"second User-Agent", "", "", "", "User-Agent: Polycom\r\nUser-Agent: sundayddr\r\n",
		true},
	{"folded value", "", "", "", "User-Agent: a\r\n  friendly-scanner\r\n", true},
	{"sipvicious in From", "", "From: \"sipvicious\"<sip:100@1.1.1.1>;tag=x\r\n", "", "",
		true},
	{"compact From", "", "f: <sip:sipvicious@1.1.1.1>;tag=x\r\n", "", "", true},
	{"compact To", "", "", "t: \"friendly-scanner\" <sip:1@1.1.1.1>\r\n", "", true},
	{"iWar applies to User-Agent only", "", "", "To: <sip:iwar@192.0.2.1>\r\n", "", false},
	{"iWar as User-Agent", "", "", "", "User-Agent: iWar\r\n", true},
	{"in another header: not looked at", "", "", "", "Subject: friendly-scanner\r\n", false},
	{"split by a line: no match", "", "", "", "User-Agent: friendly-\r\nX: scanner\r\n",
		false},
	/* One vectored scan sees User-Agent, From, To back to back: no match across them. */
	{"across User-Agent and From: no match", "User-Agent: abc sipvi\r\n",
		"From: cious <sip:100@198.51.100.7>;tag=1\r\n", "", "", false},
	{"across From and To: no match", "", "From: <sip:100@198.51.100.7>;tag=1 sipc\r\n",
		"To: li <sip:1@192.0.2.1>\r\n", "", false},
	{"nine User-Agents, the last one", "", "", "",
		"User-Agent: a\r\nUser-Agent: b\r\nUser-Agent: c\r\nUser-Agent: d\r\n"
		"User-Agent: e\r\nUser-Agent: f\r\nUser-Agent: g\r\nUser-Agent: h\r\n"
		"User-Agent: pplsip\r\n", true},
	/* A value too long for the shared buffer is scanned alone: all of it. */
	{"past byte 512 of a long value", "", "", "",
		"User-Agent: " X100 X100 X100 X100 X100 X100 "friendly-scanner\r\n", true},
	{"across byte 512 of a long value", "", "", "",
		"User-Agent: " X100 X100 X100 X100 X100 "xxxxxxxxsipvicious" X100 "\r\n", true},
	{"long value, none", "", "", "", "User-Agent: " X100 X100 X100 X100 X100 X100 "\r\n",
		false},
};

static bool
match_text(const struct dp_scanner *s, struct dp_scanner_scratch *sc, const char *text)
{
	struct sip_msg m;
	size_t len = strlen(text);
	const char *p = guard_put(&g, text, len);
	assert_true(sip_parse(&m, p, len, 0) > 0);
	return dp_scanner_match_msg(s, sc, &m);
}

static void
run_cases(const struct dp_scanner *s, const struct scan_case *c, size_t n)
{
	struct dp_scanner_scratch *sc = dp_scanner_scratch_new(s);
	assert_non_null(sc);
	for (size_t i = 0; i < n; i++) {
		bool hit = match_text(s, sc, msg(c[i].before, c[i].from, c[i].to, c[i].after));
		if (hit != c[i].hit)
			fail_msg("%s: %s, expected %s", c[i].name, hit ? "match" : "no match",
					c[i].hit ? "match" : "no match");
	}
	dp_scanner_scratch_free(sc);
}

static void
test_defaults(void **state)
{
	char err[256];
	(void)state;
	struct dp_scanner *s = dp_scanner_build(dp_scanner_defaults, dp_scanner_n_defaults, err,
			sizeof(err));
	assert_non_null(s);
	assert_true(dp_scanner_count(s) >= 5);
	run_cases(s, default_cases, sizeof(default_cases) / sizeof(default_cases[0]));
	dp_scanner_free(s);
}

static const struct dp_scanner_pat custom[] = {
	{"EvilDialer", DP_SCAN_UA},
	{"999@", DP_SCAN_FROM},
	{"probe.invalid", DP_SCAN_TO},
	{"a.b*c", DP_SCAN_ALL}, /* literal: no regex meaning */
};

static const struct scan_case custom_cases[] = {
	{"custom UA", "", "", "", "User-Agent: evildialer 1.0\r\n", true},
	{"default no longer there", "", "", "", "User-Agent: friendly-scanner\r\n", false},
	{"From-only signature in From", "", "From: <sip:999@1.1.1.1>;tag=1\r\n", "", "", true},
	{"From-only signature in To", "", "", "To: <sip:999@192.0.2.1>\r\n", "", false},
	{"To-only signature in To", "", "", "To: <sip:x@probe.invalid>\r\n", "", true},
	{"To-only signature in UA", "", "", "", "User-Agent: probe.invalid\r\n", false},
	{"literal dot and star", "", "", "", "User-Agent: a.b*c\r\n", true},
	{"no regex meaning", "", "", "", "User-Agent: aXbbbc\r\n", false},
};

static void
test_custom(void **state)
{
	char err[256];
	(void)state;
	struct dp_scanner *s = dp_scanner_build(custom, 4, err, sizeof(err));
	assert_non_null(s);
	run_cases(s, custom_cases, sizeof(custom_cases) / sizeof(custom_cases[0]));
	dp_scanner_free(s);
}

static void
test_build_errors(void **state)
{
	char err[256] = "";
	char big[DP_SCANNER_PAT_LEN + 1];
	(void)state;
	assert_null(dp_scanner_build(custom, 0, err, sizeof(err)));
	assert_null(dp_scanner_build((struct dp_scanner_pat[]){{"", DP_SCAN_UA}}, 1, err,
			sizeof(err)));
	assert_non_null(strstr(err, "signature 1"));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(dp_scanner_build((struct dp_scanner_pat[]){{"ok", DP_SCAN_UA},
			{big, DP_SCAN_UA}}, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "signature 2"));
	assert_null(dp_scanner_build((struct dp_scanner_pat[]){{"x", 0}}, 1, err, sizeof(err)));
}

static void
test_raw(void **state)
{
	char err[256];
	(void)state;
	struct dp_scanner *s = dp_scanner_build(dp_scanner_defaults, dp_scanner_n_defaults, err,
			sizeof(err));
	struct dp_scanner_scratch *sc = dp_scanner_scratch_new(s);
	const char bad[] = "INVITE sip:1@2 SIP/2.0\r\nUser-Agent friendly-SCANNER\r\n\r\n";
	const char clean[] = "INVITE sip:1@2 SIP/2.0\r\nUser-Agent Linphone\r\n\r\n";
	assert_true(dp_scanner_match_raw(s, sc, guard_put(&g, bad, sizeof(bad) - 1),
			sizeof(bad) - 1));
	assert_false(dp_scanner_match_raw(s, sc, guard_put(&g, clean, sizeof(clean) - 1),
			sizeof(clean) - 1));
	/* Flush against the guard page: the last byte of a signature is the last byte. */
	assert_true(dp_scanner_match_raw(s, sc, guard_put(&g, "xxsipcli", 8), 8));
	assert_false(dp_scanner_match_raw(s, sc, guard_put(&g, "xxsipcl", 7), 7));
	assert_false(dp_scanner_match_raw(s, sc, guard_put(&g, "", 0), 0));
	dp_scanner_scratch_free(sc);
	dp_scanner_free(s);
}

/* ---- The prefilter against the exact path ---- */

/* xorshift64*: reproducible; a failure names its seed. */
static uint64_t rng;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static unsigned
rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static uint8_t
flip_case(uint8_t c)
{
	if (c >= 'a' && c <= 'z')
		return (uint8_t)(c - 32);
	if (c >= 'A' && c <= 'Z')
		return (uint8_t)(c + 32);
	return c;
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* The oracle: whether hay holds needle, ASCII case ignored. */
static bool
has_caseless(const uint8_t *hay, size_t hlen, const char *needle)
{
	size_t nlen = strlen(needle);

	for (size_t i = 0; i + nlen <= hlen; i++) {
		size_t j = 0;
		while (j < nlen && lower(hay[i + j]) == lower((uint8_t)needle[j]))
			j++;
		if (j == nlen)
			return true;
	}
	return false;
}

static bool
has_any(const struct dp_scanner_pat *pats, unsigned n, unsigned hdr, const uint8_t *p,
		size_t len)
{
	for (unsigned i = 0; i < n; i++)
		if ((pats[i].hdrs & hdr) && has_caseless(p, len, pats[i].text))
			return true;
	return false;
}

/* Value bytes a header line can hold (no CR, LF, NUL), letters and SIP punctuation first. */
static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "0123456789:@.;=<>\"-_/+ \t!#$%&'()*,?[]^`{|}~\x80\xc3\xa9\xff";

struct pat_set {
	struct dp_scanner_pat pat[DP_SCANNER_MAX_PATS];
	char text[DP_SCANNER_MAX_PATS][21];
	unsigned n;
};

/* 1..64 literals of 1..20 bytes, any case, any headers. */
static void
random_pats(struct pat_set *ps)
{
	ps->n = 1 + rnd_below(DP_SCANNER_MAX_PATS);
	for (unsigned i = 0; i < ps->n; i++) {
		unsigned len = 1 + rnd_below(20);
		/* Most short ones would make every value a candidate: fewer of them. */
		if (len < 3 && rnd_below(4) != 0)
			len += 3;
		for (unsigned j = 0; j < len; j++) {
			char c = alphabet[rnd_below(sizeof(alphabet) - 1)];
			ps->text[i][j] = c == ' ' || c == '\t' ? 'x' : c;
		}
		ps->text[i][len] = '\0';
		ps->pat[i].text = ps->text[i];
		ps->pat[i].hdrs = 1 + rnd_below(DP_SCAN_ALL);
	}
}

static void
default_pats(struct pat_set *ps)
{
	ps->n = dp_scanner_n_defaults;
	for (unsigned i = 0; i < ps->n; i++)
		ps->pat[i] = dp_scanner_defaults[i];
}

/* A signature in random case at p (20 bytes of room), mutated at times; its length. */
static size_t
plant(const struct pat_set *ps, uint8_t *p)
{
	const char *t = ps->pat[rnd_below(ps->n)].text;
	size_t len = strlen(t);
	unsigned how = rnd_below(8);

	for (size_t j = 0; j < len; j++)
		p[j] = rnd_below(2) ? flip_case((uint8_t)t[j]) : (uint8_t)t[j];
	if (how == 0 && len > 1)
		p[rnd_below((unsigned)len)] = (uint8_t)alphabet[rnd_below(sizeof(alphabet) - 1)];
	return len;
}

/*
 * A value of 0..max bytes: filler from the alphabet or from the signatures'
 * bytes (near misses), with signatures planted anywhere, at either end, or
 * nowhere. With raw, any byte (CR, LF, NUL too).
 */
static size_t
random_value(const struct pat_set *ps, uint8_t *v, size_t max, bool raw)
{
	size_t len = rnd_below(4) == 0 ? rnd_below((unsigned)max + 1) : rnd_below(80);
	unsigned plants = rnd_below(3) == 0 ? 0 : 1 + rnd_below(3);

	for (size_t i = 0; i < len; i++) {
		if (raw && rnd_below(8) == 0)
			v[i] = (uint8_t)rnd();
		else if (rnd_below(2)) {
			const char *t = ps->pat[rnd_below(ps->n)].text;
			v[i] = flip_case((uint8_t)t[rnd_below((unsigned)strlen(t))]);
		} else
			v[i] = (uint8_t)alphabet[rnd_below(sizeof(alphabet) - 1)];
	}
	for (unsigned k = 0; k < plants && len >= 20; k++) {
		uint8_t sig[20];
		size_t pl = plant(ps, sig);
		unsigned where = rnd_below(3);
		/* At the start, flush with the end, or anywhere between. */
		size_t at = where == 0 ? 0 : where == 1 ? len - pl :
			rnd_below((unsigned)(len - pl + 1));
		memcpy(v + at, sig, pl);
	}
	return len;
}

/* The filter variants; the CPU may lack some (dp_scanner_pf_use() says). */
static const char *const variants[] = {"scalar", "avx2"};
static bool have_avx2;

/* Every filter variant on p[0..len), against the scalar one and the oracle. */
static void
check_filter(const struct pat_set *ps, const struct dp_scanner *s, const uint8_t *v, size_t len,
		uint64_t seed)
{
	const struct dp_scanner_pf *f = dp_scanner_filter(s);
	bool want = has_any(ps->pat, ps->n, DP_SCAN_ALL, v, len);
	const char *at[2];

	at[0] = guard_put(&g, v, len);
	bool spec = dp_scanner_pf_scalar(f, at[0], len);
	if (want && !spec)
		fail_msg("seed %llu: scalar filter misses a signature (len %zu)",
				(unsigned long long)seed, len);
	at[1] = guard_put_front(&g, v, len);
	for (unsigned w = 0; w < 2; w++)
		if (dp_scanner_pf_scalar(f, at[w], len) != spec ||
				(have_avx2 && dp_scanner_pf_avx2(f, at[w], len) != spec))
			fail_msg("seed %llu: filter variants disagree (len %zu, %s)",
					(unsigned long long)seed, len, w ? "front" : "back");
}

/* Filter alone: every signature, at every offset, in any case, is a candidate. */
static void
test_filter_superset(void **state)
{
	char err[256];
	uint8_t v[700];
	(void)state;
	for (unsigned set = 0; set < 40; set++) {
		struct pat_set ps;
		uint64_t seed = rng; /* named on failure: the set's first state */
		if (set == 0)
			default_pats(&ps);
		else
			random_pats(&ps);
		struct dp_scanner *s = dp_scanner_build(ps.pat, ps.n, err, sizeof(err));
		assert_non_null(s);
		/*
		 * Each signature at every offset of values of its length to 99
		 * bytes, then random values (any byte) of 0..600.
		 */
		for (unsigned i = 0; i < ps.n; i++) {
			size_t pl = strlen(ps.pat[i].text);
			for (unsigned len = (unsigned)pl; len < 100; len += 1 + rnd_below(24)) {
				for (size_t at = 0; at + pl <= len; at++) {
					for (size_t k = 0; k < len; k++)
						v[k] = (uint8_t)alphabet[rnd_below(
								sizeof(alphabet) - 1)];
					for (size_t j = 0; j < pl; j++)
						v[at + j] = rnd_below(2) ? flip_case(
								(uint8_t)ps.pat[i].text[j]) :
							(uint8_t)ps.pat[i].text[j];
					check_filter(&ps, s, v, len, seed);
				}
			}
		}
		for (unsigned k = 0; k < 200; k++) {
			size_t len = random_value(&ps, v, 600, true);
			check_filter(&ps, s, v, len, seed);
		}
		dp_scanner_free(s);
	}
}

/* A request with 0..3 User-Agents, From and To (long or compact), values from vals. */
static size_t
put_msg(char *out, size_t cap, const uint8_t *const *vals, const size_t *lens, unsigned n_ua,
		bool compact)
{
	size_t n = 0;
#define PUT(...) (n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__))
#define VAL(i) (n += (memcpy(out + n, vals[i], lens[i]), lens[i]))
	PUT("OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1\r\n");
	for (unsigned i = 0; i < n_ua; i++) {
		PUT("User-Agent: ");
		VAL(2 + i);
		PUT("\r\n");
	}
	PUT(compact ? "f: " : "From: ");
	VAL(0);
	PUT(compact ? "\r\nt: " : "\r\nTo: ");
	VAL(1);
	PUT("\r\nCall-ID: 1@198.51.100.7\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
#undef VAL
#undef PUT
	return n;
}

/* The oracle for a parsed message: what dp_scanner_match_msg() must say. */
static bool
oracle_msg(const struct pat_set *ps, const struct sip_msg *m)
{
	static const struct {
		enum sip_hdr_type t;
		unsigned bit;
	} which[] = {
		{SIP_HDR_USER_AGENT, DP_SCAN_UA},
		{SIP_HDR_FROM, DP_SCAN_FROM},
		{SIP_HDR_TO, DP_SCAN_TO},
	};
	for (unsigned w = 0; w < 3; w++)
		for (const struct sip_hdr *h = sip_hdr_first(m, which[w].t); h != NULL;
				h = sip_hdr_next(m, h)) {
			struct sip_str v = sip_hdr_value(m, h);
			if (has_any(ps->pat, ps->n, which[w].bit, (const uint8_t *)v.p, v.len))
				return true;
		}
	return false;
}

/* match_msg and match_raw, filtered, against their exact paths and the oracle. */
static void
test_filtered_equals_exact(void **state)
{
	char err[256];
	static uint8_t val[5][700];
	static char text[4096];
	unsigned parsed = 0, hits = 0;
	(void)state;
	for (unsigned set = 0; set < 60; set++) {
		struct pat_set ps;
		uint64_t seed = rng;
		if (set < 10)
			default_pats(&ps);
		else
			random_pats(&ps);
		struct dp_scanner *s = dp_scanner_build(ps.pat, ps.n, err, sizeof(err));
		assert_non_null(s);
		struct dp_scanner_scratch *sc = dp_scanner_scratch_new(s);
		assert_non_null(sc);
		for (unsigned k = 0; k < 500; k++) {
			const uint8_t *vals[5];
			size_t lens[5];
			struct sip_msg m;
			unsigned n_ua = rnd_below(4);
			for (unsigned i = 0; i < 5; i++) {
				lens[i] = random_value(&ps, val[i], 600, false);
				vals[i] = val[i];
			}
			size_t len = put_msg(text, sizeof(text), vals, lens, n_ua, rnd_below(2));
			const char *p = guard_put(&g, text, len);
			(void)sip_parse(&m, p, len, 0);
			bool raw_want = has_any(ps.pat, ps.n, DP_SCAN_ALL, (const uint8_t *)p, len);
			if (dp_scanner_match_raw_exact(s, sc, p, len) != raw_want)
				fail_msg("seed %llu: exact raw scan is wrong", (unsigned long long)seed);
			bool want = false;
			if (m.flags & SIP_MSG_HDRS_OK) {
				want = oracle_msg(&ps, &m);
				if (dp_scanner_match_msg_exact(s, sc, &m) != want)
					fail_msg("seed %llu: exact path says %d, oracle %d",
							(unsigned long long)seed, !want, want);
				parsed++;
				hits += want;
			}
			for (unsigned w = 0; w < 2; w++) {
				if (dp_scanner_pf_use(variants[w]) != 0)
					continue;
				if ((m.flags & SIP_MSG_HDRS_OK) && dp_scanner_match_msg(s, sc, &m) != want)
					fail_msg("seed %llu, %s: filtered message scan differs",
							(unsigned long long)seed, variants[w]);
				if (dp_scanner_match_raw(s, sc, p, len) != raw_want)
					fail_msg("seed %llu, %s: filtered raw scan differs",
							(unsigned long long)seed, variants[w]);
			}
		}
		dp_scanner_scratch_free(sc);
		dp_scanner_free(s);
	}
	dp_scanner_pf_use(have_avx2 ? "avx2" : "scalar");
	/* The generator must reach both answers, through the parser. */
	assert_true(parsed > 60 * 500 / 2);
	assert_true(hits > parsed / 10 && hits < parsed * 9 / 10);
}

static int
setup(void **state)
{
	(void)state;
	rng = 0x5eed5ca9f11e7ull;
	have_avx2 = strcmp(dp_scanner_pf_variant(), "avx2") == 0;
	return guard_init(&g, 8192);
}

static int
teardown(void **state)
{
	(void)state;
	guard_fini(&g);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_custom),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_filter_superset),
		cmocka_unit_test(test_filtered_equals_exact),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
