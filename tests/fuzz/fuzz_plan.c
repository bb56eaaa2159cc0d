/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the dialplan compiler (rules/): what a hostile or
 * broken dialplan push (`siplinectl dialplan.push`, a SIGHUP reload) can do.
 * The input is the dialplan text; an input that starts with the line
 * "#kamailio" is a Kamailio dialplan table instead (db_text or CSV, as
 * `--kamailio-dialplan` imports it, with a preamble that defines a gateway
 * group and "forward pstn" as every row's action), read from a memfd.
 *
 * Whatever the text:
 *   - it compiles, or it is refused with at least one message, each of the
 *     form "SOURCE:LINE: ..." with LINE a line of the text (or one past its
 *     end), or "SOURCE: ..." for the plan as a whole (SOURCE: "fuzz", or
 *     the table's path or "preamble");
 *   - a Kamailio table that imports converts to dialplan text
 *     (rules_kamailio_convert(), what an operator reviews), a converted
 *     table compiles exactly when it imports, and the two plans decide the
 *     same (rule numbers and lines aside);
 *   - a plan that compiled survives the trip the control plane makes it
 *     take to the dataplane: serialized, loaded, serialized again, the
 *     two blobs are the same bytes;
 *   - the loaded plan decides like the compiled one, and rules_match_burst()
 *     (the dataplane's path, its prefetching pipeline forced on for the
 *     compiled plan, off for the loaded one) like rules_match() one query
 *     at a time, on numbers taken from the text and a few fixed queries: same
 *     error, rule, line, action, code, rewritten user, Contacts, headers,
 *     gateway;
 *   - every view a result holds lies in the result buffer, the query or
 *     the plan's own strings, and has a length within RULES_VALUE_MAX or
 *     the buffer.
 * Nothing leaks (the sanitizers' leak check). A broken invariant aborts, so
 * libFuzzer saves the input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rules.h"
#include "rules_impl.h" /* plan->pipeline, to force the burst pipeline on small plans */

#define MAXQ 12
#define BUF 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *why)
{
	fprintf(stderr, "fuzz_plan: invariant broken: %s\n", why);
	abort();
}

/* Each message names a source and, if it has one, a line of the text. */
static void
check_errors(const struct rules_errors *e, const char *text, size_t len, const char *source)
{
	unsigned lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (e->total == 0 || e->n == 0)
		fail("plan refused without a message");
	for (unsigned i = 0; i < e->n; i++) {
		const char *m = e->msg[i];
		/* The list cut at max_errors ends with a count of the rest. */
		if (i == e->n - 1 && e->n > 1 && strncmp(m, "... and ", 8) == 0)
			continue;
		size_t sl = strlen(source);
		if (strncmp(m, "preamble:", 9) == 0)
			continue; /* the fixed preamble of a table: its lines are not the input's */
		if (strncmp(m, source, sl) != 0 || m[sl] != ':') {
			fprintf(stderr, "fuzz_plan: message: %s\n", m);
			fail("message without its source");
		}
		if (m[sl + 1] == ' ')
			continue;
		char *end;
		unsigned long line = strtoul(m + sl + 1, &end, 10);
		if (end == m + sl + 1 || *end != ':' || line == 0 || line > lines + 1) {
			fprintf(stderr, "fuzz_plan: message: %s\n", m);
			fail("message with a line outside the text");
		}
	}
}

/* Numbers the rules may know: runs of the digit alphabet in the text. */
static unsigned
queries_from(const char *text, size_t len, char users[][40], unsigned max)
{
	static const char *fixed[] = {"+4930123456", "112", "", "0049891234567", "+1"};
	unsigned n = 0;

	for (unsigned i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && n < max; i++)
		snprintf(users[n++], 40, "%s", fixed[i]);
	for (size_t i = 0; i < len && n < max;) {
		size_t j = i;
		while (j < len && strchr("0123456789+*#", text[j]) != NULL && text[j] != '\0')
			j++;
		if (j - i >= 2) {
			/* The run, completed to a plausible number length. */
			size_t k = j - i < 20 ? j - i : 20;
			memcpy(users[n], text + i, k);
			memcpy(users[n] + k, "4567890123", 10);
			users[n][k + 10] = '\0';
			n++;
		}
		i = j + 1;
	}
	return n;
}

static bool
view_eq(struct rules_view a, struct rules_view b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void
check_view(struct rules_view v, const char *buf, const struct rules_query *q)
{
	if (v.len == 0)
		return;
	if (v.p == NULL)
		fail("a view with a length and no bytes");
	if (v.p >= buf && v.p < buf + BUF) {
		if (v.p + v.len > buf + BUF)
			fail("a view past the result buffer");
		return;
	}
	if (v.p >= q->user.p && v.p < q->user.p + q->user.len) {
		if (v.p + v.len > q->user.p + q->user.len)
			fail("a view past the query's user");
		return;
	}
	/* Else the plan's strings: at least bounded. */
	if (v.len > 64 * 1024)
		fail("an implausibly long view into the plan");
}

static void
check_result(const struct rules_result *r, const char *buf, const struct rules_query *q)
{
	if (r->n_contacts > RULES_MAX_CONTACTS)
		fail("more Contacts than a result holds");
	check_view(r->user, buf, q);
	check_view(r->reason, buf, q);
	check_view(r->headers, buf, q);
	check_view(r->gw_host, buf, q);
	check_view(r->attrs, buf, q);
	for (unsigned i = 0; i < r->n_contacts; i++)
		check_view(r->contact[i], buf, q);
	if (r->user.len > RULES_VALUE_MAX)
		fail("a rewritten user longer than RULES_VALUE_MAX");
}

static void
same_decision(const struct rules_result *a, const struct rules_result *b, const char *what,
		bool numbers)
{
	bool same = a->err == b->err && a->action == b->action &&
		(!numbers || (a->rule == b->rule && a->line == b->line)) &&
		a->prio == b->prio && a->code == b->code &&
		a->n_contacts == b->n_contacts && a->gw == b->gw && a->gw_port == b->gw_port &&
		a->gw_transport == b->gw_transport && view_eq(a->user, b->user) &&
		view_eq(a->reason, b->reason) && view_eq(a->headers, b->headers) &&
		view_eq(a->gw_host, b->gw_host) && view_eq(a->attrs, b->attrs);
	for (unsigned i = 0; same && i < a->n_contacts && i < RULES_MAX_CONTACTS; i++)
		same = view_eq(a->contact[i], b->contact[i]);
	if (!same) {
		fprintf(stderr, "fuzz_plan: %s: rule %u/%u line %u/%u action %d/%d err %d/%d\n",
				what, a->rule, b->rule, a->line, b->line, (int)a->action,
				(int)b->action, a->err, b->err);
		fail(what);
	}
}

static void
same_result(const struct rules_result *a, const struct rules_result *b, const char *what)
{
	same_decision(a, b, what, true);
}

/* Every query through plan p one at a time into ra, and as one burst into rb. */
static void
match_all(const struct rules_plan *p, const struct rules_query *q, unsigned n,
		struct rules_result *ra, char (*bufa)[BUF], struct rules_result *rb, char *bufb)
{
	struct rules_scratch *s = rules_scratch_create(p);
	if (s == NULL)
		fail("no scratch for a compiled plan");
	for (unsigned i = 0; i < n; i++) {
		memset(&ra[i], 0, sizeof(ra[i]));
		ra[i].err = rules_match(p, s, &q[i], NULL, &ra[i], bufa[i], BUF);
		check_result(&ra[i], bufa[i], &q[i]);
	}
	memset(rb, 0, n * sizeof(*rb));
	if (rules_match_burst(p, s, q, n, NULL, rb, bufb, BUF) != n)
		fail("a burst not matched whole");
	for (unsigned i = 0; i < n; i++) {
		check_result(&rb[i], bufb + (size_t)i * BUF, &q[i]);
		same_result(&ra[i], &rb[i], "burst and single match differ");
	}
	rules_scratch_free(s);
}

static const char preamble[] =
	"plan kamailio\ngroup pstn 192.0.2.10:5060;weight=1 192.0.2.11:5060;weight=1\n";

/*
 * The table in a memfd (a regular file, as the importer requires), imported
 * and converted; the conversion compiled. Returns the imported plan, its
 * source name in path, and in *conv the converted one (NULL if refused).
 */
static struct rules_plan *
import_table(const char *text, size_t len, char path[64], struct rules_errors *errs,
		struct rules_plan **conv)
{
	struct rules_kamailio_opts kopts = {.dpid = -1, .action = "forward pstn",
		.preamble = preamble};
	struct rules_compile_opts opts = {.max_errors = 20};
	int fd = memfd_create("fuzz_plan", MFD_CLOEXEC);

	*conv = NULL;
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		fail("memfd");
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	struct rules_plan *p = rules_import_kamailio(path, &kopts, &opts, errs);

	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	struct rules_errors cerrs = {0};
	if (f == NULL)
		fail("memstream");
	int rc = rules_kamailio_convert(path, &kopts, f, &cerrs);
	fclose(f);
	/* The conversion checks rows, not regexes: it may pass a table the import refuses. */
	if (p != NULL && rc != 0)
		fail("a table imports, but does not convert");
	if (rc == 0) {
		*conv = rules_compile_text(out, outlen, "converted", &opts, &cerrs);
		if ((*conv == NULL) != (p == NULL)) {
			rules_errors_print(&cerrs, stderr);
			fail("a table imports, but its conversion does not compile (or the reverse)");
		}
	}
	rules_errors_clear(&cerrs);
	free(out);
	close(fd);
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct rules_errors errs = {0};
	struct rules_compile_opts opts = {.max_errors = 20};
	struct rules_plan *p, *conv = NULL;
	char source[64] = "fuzz";

	if (size > 64 * 1024)
		return 0;
	if (size >= 10 && memcmp(text, "#kamailio\n", 10) == 0) {
		text += 10;
		size -= 10;
		p = import_table(text, size, source, &errs, &conv);
	} else {
		p = rules_compile_text(text, size, source, &opts, &errs);
	}
	if (p == NULL) {
		check_errors(&errs, text, size, source);
		rules_errors_clear(&errs);
		return 0;
	}
	if (errs.total != 0)
		fail("a plan compiled with errors");

	void *blob = NULL, *blob2 = NULL;
	size_t len = 0, len2 = 0;
	if (rules_plan_serialize(p, &blob, &len) != 0)
		fail("a compiled plan does not serialize");
	struct rules_plan *lp = rules_plan_load(blob, len, &errs);
	if (lp == NULL) {
		rules_errors_print(&errs, stderr);
		fail("a serialized plan does not load");
	}
	if (rules_plan_serialize(lp, &blob2, &len2) != 0 || len2 != len ||
			memcmp(blob, blob2, len) != 0)
		fail("a loaded plan serializes to other bytes");

	static char users[MAXQ][40];
	static struct rules_query q[MAXQ];
	static struct rules_result ra[MAXQ], rb[MAXQ], la[MAXQ], lb[MAXQ];
	static char bufa[MAXQ][BUF], bufb[MAXQ * BUF], bufla[MAXQ][BUF], buflb[MAXQ * BUF];
	unsigned n = queries_from(text, size, users, MAXQ);
	for (unsigned i = 0; i < n; i++) {
		memset(&q[i], 0, sizeof(q[i]));
		q[i].user = (struct rules_view){users[i], (uint32_t)strlen(users[i])};
		q[i].domain = (struct rules_view){"example.com", 11};
		q[i].from = (struct rules_view){i % 3 ? users[(i + 1) % n] : "anonymous",
			i % 3 ? (uint32_t)strlen(users[(i + 1) % n]) : 9};
		q[i].method = (struct rules_view){i % 2 ? "INVITE" : "MESSAGE", i % 2 ? 6 : 7};
		q[i].src_af = i % 4 == 3 ? 6 : 4;
		q[i].src[0] = (uint8_t)(i % 4 == 1 ? 198 : 10);
		q[i].src[1] = (uint8_t)(i % 4 == 1 ? 51 : 0);
		q[i].src[2] = (uint8_t)(i % 4 == 1 ? 100 : 0);
		q[i].src[3] = (uint8_t)(i + 1);
		q[i].callid_hash = 0x9e3779b97f4a7c15ull * (i + 1);
	}
	/*
	 * Bursts are pipelined only for plans past L2 size; the compiled plan
	 * is made to use the pipeline (as tests/rules does), the loaded one not.
	 */
	p->pipeline = true;
	match_all(p, q, n, ra, bufa, rb, bufb);
	match_all(lp, q, n, la, bufla, lb, buflb);
	for (unsigned i = 0; i < n; i++)
		same_result(&ra[i], &la[i], "the loaded plan decides otherwise");
	if (conv != NULL) {
		match_all(conv, q, n, la, bufla, lb, buflb);
		for (unsigned i = 0; i < n; i++)
			same_decision(&ra[i], &la[i], "a table decides otherwise converted", false);
		rules_plan_free(conv);
	}

	rules_plan_free(lp);
	rules_plan_free(p);
	free(blob);
	free(blob2);
	rules_errors_clear(&errs);
	return 0;
}
