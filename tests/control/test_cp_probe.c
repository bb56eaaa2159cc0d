/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Gateway health (control/cp_probe.c): the state machine as tables
 * (outcomes in, state out), the jitter bounds, accepted codes, and the
 * prober on the event loop against a UDP "gateway" on 127.0.0.1 that
 * answers, stops answering, answers again, and is not probed while
 * probing is paused.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "cp_config.h"
#include "cp_loop.h"
#include "cp_probe.h"
#include "rules.h"

static struct cp_probe_conf
conf(unsigned down, unsigned up)
{
	struct cp_probe_conf c = {.enabled = true, .interval_ms = 1000, .jitter_pct = 10,
		.timeout_ms = 200, .down_after = down, .up_after = up};
	assert_int_equal(cp_config_parse_codes("200-299", c.codes), 0);
	return c;
}

struct fsm_case {
	const char *name;
	unsigned down, up;
	int codes[12];       /* outcomes, 0 = timeout; ends at -1 */
	const char *states;  /* state after each outcome: u/d */
};

static const struct fsm_case fsm[] = {
	{"new gateways start up; one failure is not enough", 3, 2, {0, -1}, "u"},
	{"down after 3 failures in a row", 3, 2, {0, 0, 0, -1}, "uud"},
	{"a success resets the failure count", 3, 2, {0, 0, 200, 0, 0, 0, -1}, "uuuuud"},
	{"up after 2 successes in a row", 3, 2, {0, 0, 0, 200, 200, -1}, "uuddu"},
	{"a failure resets the success count", 3, 2, {0, 0, 0, 200, 0, 200, 200, -1}, "uudddd" "u"},
	{"503 is a failure (2xx only by default)", 2, 1, {503, 503, 200, -1}, "udu"},
	{"404 is a failure", 1, 1, {404, 200, -1}, "du"},
	{"1 and 1: every outcome flips", 1, 1, {0, 200, 0, 200, -1}, "dudu"},
	{"100 is no final answer: a failure", 1, 1, {100, -1}, "d"},
};

static void
test_state_machine(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fsm) / sizeof(fsm[0]); i++) {
		const struct fsm_case *t = &fsm[i];
		struct cp_probe_conf c = conf(t->down, t->up);
		struct cp_probe_state s = {0};
		for (unsigned k = 0; t->codes[k] >= 0; k++) {
			bool was = s.down;
			bool changed = cp_probe_feed(&s, &c, t->codes[k]);
			char got = s.down ? 'd' : 'u';
			if (got != t->states[k])
				fail_msg("%s: after outcome %u (%d): %c, expected %c", t->name, k,
						t->codes[k], got, t->states[k]);
			if (changed != (was != s.down))
				fail_msg("%s: outcome %u: change reported wrongly", t->name, k);
		}
	}
}

static void
test_accepted_codes(void **state)
{
	(void)state;
	struct cp_probe_conf c = conf(1, 1);
	assert_int_equal(cp_config_parse_codes("200-299,403-404", c.codes), 0);
	assert_true(cp_probe_code_ok(&c, 200));
	assert_true(cp_probe_code_ok(&c, 299));
	assert_true(cp_probe_code_ok(&c, 404));
	assert_false(cp_probe_code_ok(&c, 402));
	assert_false(cp_probe_code_ok(&c, 0));
	assert_false(cp_probe_code_ok(&c, 700));
	struct cp_probe_state s = {0};
	assert_false(cp_probe_feed(&s, &c, 404));
	assert_false(s.down);
	uint64_t bits[10];
	assert_int_equal(cp_config_parse_codes("99", bits), -EINVAL);
	assert_int_equal(cp_config_parse_codes("300-200", bits), -EINVAL);
	assert_int_equal(cp_config_parse_codes("200,", bits), 0);
	assert_int_equal(cp_config_parse_codes("2xx", bits), -EINVAL);
	assert_int_equal(cp_config_parse_codes("", bits), -EINVAL);
}

static void
test_jitter_bounds(void **state)
{
	(void)state;
	struct cp_probe_conf c = conf(1, 1);
	uint64_t lo = UINT64_MAX, hi = 0;
	uint32_t x = 12345;
	for (int i = 0; i < 100000; i++) {
		x = x * 1664525u + 1013904223u;
		uint64_t d = cp_probe_delay(&c, x);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	/* 1000 ms +- 10 %, both ends reached. */
	assert_int_equal(lo, 900);
	assert_int_equal(hi, 1100);
	assert_int_equal(cp_probe_delay(&c, 0), 900);
	assert_int_equal(cp_probe_delay(&c, 200), 1100);
	c.jitter_pct = 0;
	assert_int_equal(cp_probe_delay(&c, 777), 1000);
	c.jitter_pct = 50;
	c.interval_ms = 10;
	for (uint32_t r = 0; r < 100; r++) {
		uint64_t d = cp_probe_delay(&c, r);
		assert_true(d >= 5 && d <= 15);
	}
}

/* ---- on the loop, against a UDP gateway on 127.0.0.1 ---- */

static int gw_fd;
static bool gw_answers;
static unsigned gw_seen;
static unsigned changes;

/* Answer an OPTIONS with 200, copying Via, From, To, Call-ID and CSeq. */
static void
on_gw(struct cp_loop *l, int fd, unsigned events, void *ctx)
{
	char buf[4096], out[4096];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	(void)l;
	(void)events;
	(void)ctx;
	ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
	if (n <= 0)
		return;
	buf[n] = '\0';
	assert_true(strncmp(buf, "OPTIONS sip:127.0.0.1:", 22) == 0);
	gw_seen++;
	if (!gw_answers)
		return;
	size_t o = (size_t)snprintf(out, sizeof(out), "SIP/2.0 200 OK\r\n");
	for (char *line = strtok(buf, "\r\n"); line != NULL; line = strtok(NULL, "\r\n"))
		if (!strncmp(line, "Via:", 4) || !strncmp(line, "From:", 5) ||
				!strncmp(line, "To:", 3) || !strncmp(line, "Call-ID:", 8) ||
				!strncmp(line, "CSeq:", 5))
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\r\n", line);
	o += (size_t)snprintf(out + o, sizeof(out) - o, "Content-Length: 0\r\n\r\n");
	sendto(fd, out, o, 0, (struct sockaddr *)&from, fl);
}

static void
on_change(struct cp_gw *g, const char *why, void *ctx)
{
	(void)g;
	(void)why;
	(void)ctx;
	changes++;
}

static void
run_for(struct cp_loop *l, unsigned ms)
{
	uint64_t end = cp_now_ms() + ms;
	while (cp_now_ms() < end)
		cp_loop_once(l, 10);
}

/*
 * Run until the gateway is down (or up), or ms passed; returns whether it is.
 * The bounds are generous: what is checked is how many probes it took,
 * not how fast a loaded machine scheduled the loop.
 */
static bool
run_until(struct cp_loop *l, unsigned ms, struct cp_gw *g, bool down)
{
	uint64_t end = cp_now_ms() + ms;
	while (cp_now_ms() < end) {
		if (cp_gw_down(g) == down)
			return true;
		cp_loop_once(l, 10);
	}
	return cp_gw_down(g) == down;
}

static void
test_prober(void **state)
{
	char err[256], text[256];
	(void)state;
	struct cp_loop *l = cp_loop_create();
	assert_non_null(l);

	gw_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	assert_int_equal(bind(gw_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(gw_fd, (struct sockaddr *)&a, &al), 0);
	assert_int_equal(cp_loop_add_fd(l, gw_fd, CP_READ, on_gw, NULL), 0);

	snprintf(text, sizeof(text), "group g 127.0.0.1:%u 192.0.2.9:5060;transport=tcp gw.example.net\n"
			"10 prefix 1 forward g\n", ntohs(a.sin_port));
	struct rules_errors errs = {0};
	struct rules_plan *plan = rules_compile_text(text, strlen(text), "t", NULL, &errs);
	assert_non_null(plan);

	/* Paused at first: nothing is sent. */
	struct cp_probe_conf c = conf(2, 2);
	c.enabled = false;
	c.interval_ms = 100;
	c.timeout_ms = 60;
	struct cp_probe_sockets ps = {"127.0.0.1", "off", 0};
	struct cp_probe *p = cp_probe_create(l, &c, &ps, on_change, NULL, err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(cp_probe_set_plan(p, plan, NULL, NULL), 0);
	assert_int_equal(cp_probe_count(p), 3);
	struct cp_gw *g = cp_probe_gw(p, 0);
	assert_int_equal(g->probed, CP_GW_PROBED);
	assert_int_equal(cp_probe_gw(p, 1)->probed, CP_GW_NOT_UDP);
	assert_int_equal(cp_probe_gw(p, 2)->probed, CP_GW_NOT_ADDRESS);
	assert_false(cp_gw_down(g));
	run_for(l, 400);
	assert_int_equal(gw_seen, 0);

	/* Resumed, answering: probes flow, the gateway stays up. */
	gw_answers = true;
	c.enabled = true;
	cp_probe_set_conf(p, &c);
	for (uint64_t end = cp_now_ms() + 10000; gw_seen < 3 && cp_now_ms() < end;)
		cp_loop_once(l, 10);
	assert_true(gw_seen >= 3);
	assert_false(cp_gw_down(g));
	assert_int_equal(g->st.last_code, 200);
	assert_int_equal(changes, 0);

	/*
	 * Silent: down after 2 unanswered probes (a third if one was in flight
	 * and still answered), and one change.
	 */
	gw_answers = false;
	uint64_t sent0 = g->st.sent;
	assert_true(run_until(l, 10000, g, true));
	assert_int_equal(g->st.fails, 2);
	assert_in_range(g->st.sent - sent0, 2, 3);
	assert_int_equal(changes, 1);
	/* Answering again: up after 2 answers. */
	gw_answers = true;
	sent0 = g->st.sent;
	assert_true(run_until(l, 10000, g, false));
	assert_int_equal(g->st.oks, 2);
	assert_in_range(g->st.sent - sent0, 2, 3);
	assert_int_equal(changes, 2);

	/* Admin state wins over health, and counts as a change. */
	cp_probe_set_admin(p, g, CP_ADMIN_DOWN);
	assert_true(cp_gw_down(g));
	assert_int_equal(changes, 3);
	assert_int_equal(cp_probe_down_count(p), 1);
	cp_probe_set_admin(p, g, CP_ADMIN_AUTO);
	assert_false(cp_gw_down(g));

	/* A new plan keeps the state of the gateways it shares. */
	g->st.down = true;
	g->admin = CP_ADMIN_AUTO;
	struct rules_plan *plan2 = rules_compile_text(text, strlen(text), "t2", NULL, &errs);
	assert_int_equal(cp_probe_set_plan(p, plan2, NULL, NULL), 0);
	assert_true(cp_gw_down(cp_probe_gw(p, 0)));

	cp_probe_free(p);
	rules_plan_free(plan);
	rules_plan_free(plan2);
	cp_loop_del_fd(l, gw_fd);
	close(gw_fd);
	cp_loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_accepted_codes),
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_prober),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
