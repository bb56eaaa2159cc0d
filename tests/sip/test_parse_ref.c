/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sip_parse() against the reference (parse_reference.c): the parser as it
 * was at commit f266a80, kept as the oracle for optimisations of the parse
 * pass, which must not change a single result. For every scanner variant
 * the CPU has, both must return the same value and leave the same struct
 * sip_msg: every member before hdr[] byte for byte (same poison on both
 * sides beforehand, so a member one writes and the other does not differs)
 * and hdr[0..n_hdrs). Datagram and stream framing; inputs flush against the
 * back guard page. Inputs: the corpus and captures, every truncation of the
 * RFC messages, random edits biased to the bytes the header index looks at
 * (CR, LF, ':', SP, HTAB), header names cut at every length, line counts
 * around SIP_MAX_HDRS, folding, empty lines and leading CRLFs.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_reference.h"
#include "sip_test.h"

#define SEED 0xf05edf05edull
/* Random edited messages per variant (each parsed as a datagram and a stream). */
#define MUTATIONS 200000u

static unsigned compared;

static void
same(const char *input, size_t len)
{
	static struct sip_msg a, b;
	static const unsigned modes[] = {0, SIP_PARSE_STREAM};
	const char *p = guard_put(test_slot(0), input, len);

	for (unsigned f = 0; f < 2; f++) {
		memset(&a, 0xa5, sizeof(a));
		memset(&b, 0xa5, sizeof(b));
		int ra = sip_parse_reference(&a, p, len, modes[f]);
		int rb = sip_parse(&b, p, len, modes[f]);
		compared++;
		if (ra == rb && memcmp(&a, &b, offsetof(struct sip_msg, hdr)) == 0 &&
				memcmp(a.hdr, b.hdr, a.n_hdrs * sizeof(a.hdr[0])) == 0)
			continue;
		char esc[512];
		test_escape(input, len < 120 ? len : 120, esc, sizeof(esc));
		fail_msg("%s %s: sip_parse %d, reference %d; n_hdrs %u/%u flags %#x/%#x "
				"hdr_start %u/%u body %u/%u; input (%zu bytes) \"%s\"",
				sip_scanner_active()->name, f ? "stream" : "datagram", rb, ra,
				b.n_hdrs, a.n_hdrs, b.flags, a.flags, b.hdr_start, a.hdr_start,
				b.body, a.body, len, esc);
	}
}

static const struct test_msg *
messages(size_t *n)
{
	const struct test_msg *v = test_messages(n);
	if (*n == 0)
		test_no_corpus();
	return v;
}

static void
t_corpus(void)
{
	size_t n;
	const struct test_msg *v = messages(&n);

	for (size_t i = 0; i < n; i++) {
		size_t len = v[i].len > TEST_BUF_CAP ? TEST_BUF_CAP : v[i].len;
		same(v[i].buf, len);
		if (v[i].kind == MSG_CAPTURE)
			continue;
		for (size_t cut = 0; cut < len; cut++)
			same(v[i].buf, cut);
	}
}

/* test_mutate(), plus edits that only touch the bytes the header index reads. */
static void
edit(struct rng *r, char *msg, size_t *len, size_t cap)
{
	static const char specials[] = "\r\n:: \t";
	size_t l = *len;
	size_t at = l ? rng_below(r, (uint32_t)l) : 0;

	switch (rng_below(r, 4)) {
	case 0:
		test_mutate(r, msg, len, cap);
		break;
	case 1: /* replace with a special byte */
		if (l)
			msg[at] = specials[rng_below(r, sizeof(specials) - 1)];
		break;
	case 2: /* insert a line start: CRLF then SP/HTAB (fold), CRLF (empty line) or ':' */
		if (l + 3 <= cap) {
			static const char *const ins[] = {"\r\n ", "\r\n\t", "\r\n", "\n", "\r\n:",
				" :", "\t:"};
			const char *s = ins[rng_below(r, sizeof(ins) / sizeof(ins[0]))];
			size_t k = strlen(s);
			memmove(msg + at + k, msg + at, l - at);
			memcpy(msg + at, s, k);
			*len = l + k;
		}
		break;
	default: /* delete one byte */
		if (l) {
			memmove(msg + at, msg + at + 1, l - at - 1);
			*len = l - 1;
		}
		break;
	}
}

static void
t_mutations(void)
{
	static char work[SIP_MAX_MSG + 1024];
	struct rng r;
	size_t n;
	const struct test_msg *v = messages(&n);

	rng_seed(&r, SEED);
	for (unsigned k = 0; k < MUTATIONS; k++) {
		const struct test_msg *m = &v[rng_below(&r, (uint32_t)n)];
		size_t len = m->len < sizeof(work) ? m->len : sizeof(work);
		memcpy(work, m->buf, len);
		for (unsigned e = 1 + rng_below(&r, 6); e > 0; e--)
			edit(&r, work, &len, sizeof(work));
		same(work, len);
	}
}

/* Start line, then the given header lines, then (if end) the empty line. */
static size_t
msg_with(char *out, size_t cap, const char *lead, const char *const *lines, unsigned n,
		bool end)
{
	size_t len = 0;
	int w = snprintf(out, cap, "%sINVITE sip:a@b SIP/2.0\r\n", lead);

	len = (size_t)w;
	for (unsigned i = 0; i < n; i++) {
		size_t k = strlen(lines[i]);
		assert_true(len + k + 2 <= cap);
		memcpy(out + len, lines[i], k);
		len += k;
		out[len++] = '\r';
		out[len++] = '\n';
	}
	if (end) {
		assert_true(len + 2 <= cap);
		out[len++] = '\r';
		out[len++] = '\n';
	}
	return len;
}

static void
t_names(void)
{
	static const char *const names[] = {"Via", "v", "Content-Length", "l", "Max-Forwards",
		"Call-ID", "CSeq", "Proxy-Authorization", "P-Asserted-Identity",
		"Authentication-Info", "Proxy-Authenticate", "WWW-Authenticate", "Route",
		"Record-Route", "X-Not-Known-But-Quite-Long-Name", "Accept-Encoding", "k", "f"};
	static const char *const seps[] = {":", " :", "\t:", " \t :", "", "::", ":x"};
	char line[128], msg[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t nl = strlen(names[i]);
		for (size_t cut = 0; cut <= nl; cut++) {
			for (size_t s = 0; s < sizeof(seps) / sizeof(seps[0]); s++) {
				snprintf(line, sizeof(line), "%.*s%s v", (int)cut, names[i], seps[s]);
				const char *lines[] = {"Via: SIP/2.0/UDP h;branch=z9hG4bK1", line,
					line, "Content-Length: 0"};
				for (unsigned e = 0; e < 2; e++) {
					size_t len = msg_with(msg, sizeof(msg), "", lines, 4, e);
					same(msg, len);
					/* The name at the very end of the buffer: lookup limit. */
					len = msg_with(msg, sizeof(msg), "", lines, 2, false);
					for (size_t c = 0; c <= 2 + strlen(line); c++)
						same(msg, len - c);
				}
			}
		}
	}
}

static void
t_shapes(void)
{
	static const char *const leads[] = {"", "\r\n", "\n\n\r\n", "\r"};
	static const char *const odd[] = {" folded", "\tfolded", "", "no colon", ": empty name",
		"Via : x", "Via\t: x", "Bad Name: x", "Via: a", "  ", "\t", "\r", ":", "v:x"};
	const char *lines[140];
	static char msg[SIP_MAX_MSG];
	struct rng r;

	rng_seed(&r, SEED ^ 1);
	/* Line counts around SIP_MAX_HDRS, some of them folded or bad. */
	for (unsigned n = SIP_MAX_HDRS - 3; n <= SIP_MAX_HDRS + 3; n++) {
		for (unsigned trial = 0; trial < 40; trial++) {
			for (unsigned i = 0; i < n; i++)
				lines[i] = trial == 0 || rng_below(&r, 8) ? "Via: SIP/2.0/UDP h" :
					odd[rng_below(&r, sizeof(odd) / sizeof(odd[0]))];
			for (unsigned e = 0; e < 2; e++) {
				const char *lead = leads[rng_below(&r, 4)];
				size_t len = msg_with(msg, sizeof(msg), lead, lines, n, e);
				same(msg, len);
				same(msg, len - 1);
			}
		}
	}
	/* Every pair of odd lines, after and before a good header. */
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		for (size_t j = 0; j < sizeof(odd) / sizeof(odd[0]); j++) {
			const char *l1[] = {odd[i], odd[j], "Content-Length: 0"};
			const char *l2[] = {"To: <sip:x@y>", odd[i], odd[j]};
			for (unsigned e = 0; e < 2; e++) {
				for (size_t k = 0; k < 4; k++) {
					size_t len = msg_with(msg, sizeof(msg), leads[k], l1, 3, e);
					same(msg, len);
					len = msg_with(msg, sizeof(msg), leads[k], l2, 3, e);
					same(msg, len);
				}
			}
		}
	}
	/* Nothing, line ends only, a start line alone. */
	same("", 0);
	same("\r\n\r\n", 4);
	same("INVITE sip:a@b SIP/2.0", 22);
	same("INVITE sip:a@b SIP/2.0\n", 23);
	same("INVITE sip:a@b SIP/2.0\r\n\r\n", 26);
	same("SIP/2.0 200 OK\r\n\tx\r\n\r\n", 22);
}

struct ref_run {
	const char *name;
	const char *variant;
	void (*fn)(void);
};

static void
run_ref(void **state)
{
	const struct ref_run *run = *state;

	test_use_variant(run->variant);
	compared = 0;
	run->fn();
	print_message("%s: %u parses compared\n", run->name, compared);
}

int
test_group_parse_ref(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} kinds[] = {
		{"corpus", t_corpus},
		{"mutations", t_mutations},
		{"names", t_names},
		{"shapes", t_shapes},
	};
	const unsigned n_kinds = sizeof(kinds) / sizeof(kinds[0]);
	unsigned n_sc;
	const struct sip_scanner *sc = sip_scanners(&n_sc);
	struct ref_run runs[16 * 4];
	char names[16 * 4][64];
	size_t n = 0;

	for (unsigned s = 0; s < n_sc && s < 16; s++) {
		for (unsigned k = 0; k < n_kinds; k++) {
			snprintf(names[n], sizeof(names[n]), "%s/%s", sc[s].name, kinds[k].name);
			runs[n] = (struct ref_run){names[n], sc[s].name, kinds[k].fn};
			n++;
		}
	}
	int failed = run_rows("parse_ref", runs, n, sizeof(runs[0]), run_ref);
	sip_scanner_select("best");
	return failed;
}
