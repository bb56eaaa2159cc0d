/* SPDX-License-Identifier: BSD-3-Clause */
/* sipline's option parser: every option, config files with line numbers, precise errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp_options.h"

static int
parse(struct dp_options *o, char *err, const char *a0, ...)
{
	char *argv[64] = {(char *)"sipline"};
	int argc = 1;
	va_list ap;

	va_start(ap, a0);
	for (const char *a = a0; a != NULL && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	dp_options_defaults(o);
	return dp_options_parse(o, argc, argv, err, 256);
}

static void
test_full(void **state)
{
	struct dp_options o;
	char err[256];
	(void)state;

	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", "--addr=2001:db8::1/64",
				 "--port", "5070", "--wire-port", "1", "--dialplan", "/tmp/x.conf",
				 "--dialplan-format", "kamailio", "--record-route", "--relay-in-dialog", "--secret",
				 "00112233445566778899aabbccddeeff", "--secret-grace", "600", "--no-route-code", "480", "--spread", "callid",
				 "--tap", "sipx0", "--neighbor", "192.0.2.9=02:00:00:00:00:09",
				 "--link", "/tmp/dp.sock", "--stats-interval", "5",
				 "--udp-checksum", "off", NULL), 0);
	assert_int_equal(o.addr4.af, SIP_AF_INET);
	assert_int_equal(o.prefix4, 24);
	assert_int_equal(o.addr6.af, SIP_AF_INET6);
	assert_int_equal(o.prefix6, 64);
	assert_int_equal(o.port, 5070);
	assert_int_equal(o.wire_port, 1);
	assert_string_equal(o.dialplan, "/tmp/x.conf");
	assert_int_equal(o.dialplan_format, DP_PLAN_KAMAILIO);
	assert_true(o.record_route);
	assert_true(o.relay_in_dialog);
	assert_true(o.secret_set);
	assert_int_equal(o.secret[0], 0x00);
	assert_int_equal(o.secret[15], 0xff);
	assert_int_equal(o.secret_grace, 600);
	assert_int_equal(o.no_route_code, 480);
	assert_int_equal(o.spread, DP_SPREAD_CALLID);
	assert_string_equal(o.tap, "sipx0");
	assert_int_equal(o.n_neigh, 1);
	assert_int_equal(o.neigh[0].mac[5], 9);
	assert_string_equal(o.link, "/tmp/dp.sock");
	assert_int_equal(o.stats_interval, 5);
	assert_false(o.udp_checksum);
}

static void
test_overload(void **state)
{
	struct dp_options o;
	char err[256];
	(void)state;

	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", NULL), 0);
	assert_true(o.overload_shed);
	assert_false(o.overload_reply);
	assert_int_equal(o.retry_after, DP_RETRY_AFTER_DEFAULT);
	assert_int_equal(o.overload_reply_rate, DP_OVERLOAD_REPLY_RATE_DEFAULT);
	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", "--overload-shed", "off",
				 "--overload-reply", "503", "--retry-after", "30",
				 "--overload-reply-rate", "50", NULL), 0);
	assert_false(o.overload_shed);
	assert_true(o.overload_reply);
	assert_int_equal(o.retry_after, 30);
	assert_int_equal(o.overload_reply_rate, 50);
	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", "--overload-reply", "drop",
				 "--overload-shed", "on", NULL), 0);
	assert_true(o.overload_shed);
	assert_false(o.overload_reply);

	static const char *const bad[][3] = {
		{"--overload-shed", "yes", "--overload-shed yes: on or off"},
		{"--overload-reply", "486", "--overload-reply 486: drop or 503"},
		{"--retry-after", "0", "--retry-after 0: 1 to 86400 seconds"},
		{"--retry-after", "86401", "--retry-after 86401: 1 to 86400 seconds"},
		{"--overload-reply-rate", "0", "--overload-reply-rate 0: 1 to 10000000 replies"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", bad[i][0], bad[i][1], NULL),
				-1);
		assert_string_equal(err, bad[i][2]);
	}
}

static void
test_kamailio(void **state)
{
	struct dp_options o;
	char err[256];
	(void)state;

	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", NULL), 0);
	assert_int_equal(o.kamailio_dpid, -1);
	assert_string_equal(o.kamailio_action, "");
	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", "--dialplan-format", "kamailio",
				 "--kamailio-dpid", "7", "--kamailio-action", "forward pstn",
				 "--kamailio-preamble", "/etc/sipline/pre.dialplan", NULL), 0);
	assert_int_equal(o.kamailio_dpid, 7);
	assert_string_equal(o.kamailio_action, "forward pstn");
	assert_string_equal(o.kamailio_preamble, "/etc/sipline/pre.dialplan");
	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", "--kamailio-dpid", "x", NULL), -1);
	assert_non_null(strstr(err, "--kamailio-dpid x"));
}

struct bad_case {
	const char *name;
	const char *args[4];
	const char *expect; /* substring of the message */
};

static const struct bad_case bad[] = {
	{"no address", {"--port", "5060"}, "--addr is required"},
	{"address without prefix", {"--addr", "192.0.2.1"}, "expected IP/PREFIX"},
	{"broadcast address", {"--addr", "255.255.255.255/32"}, "not a unicast"},
	{"bad prefix", {"--addr", "192.0.2.1/33"}, "bad prefix"},
	{"port zero", {"--addr", "192.0.2.1/24", "--port", "0"}, "not a port number"},
	{"port text", {"--addr", "192.0.2.1/24", "--port", "sip"}, "not a port number"},
	{"unknown option", {"--addr", "192.0.2.1/24", "--frobnicate"}, "unknown option --frobnicate"},
	{"missing value", {"--addr", "192.0.2.1/24", "--dialplan"}, "--dialplan needs a value"},
	{"spread", {"--addr", "192.0.2.1/24", "--spread", "random"}, "rss or callid"},
	{"secret", {"--addr", "192.0.2.1/24", "--secret", "xyz"}, "32 hex digits"},
	{"secret: 64 bits is too short", {"--addr", "192.0.2.1/24", "--secret", "00ff00ff00ff00ff"},
		"32 hex digits"},
	{"secret: all zero", {"--addr", "192.0.2.1/24", "--secret",
		"00000000000000000000000000000000"}, "weak key"},
	{"secret: all ones", {"--addr", "192.0.2.1/24", "--secret",
		"ffffffffffffffffffffffffffffffff"}, "weak key"},
	{"secret: a short pattern", {"--addr", "192.0.2.1/24", "--secret",
		"0101010101010101abababababababab"}, "weak key"},
	{"secret grace", {"--addr", "192.0.2.1/24", "--secret-grace", "-1"}, "seconds"},
	{"neighbor", {"--addr", "192.0.2.1/24", "--neighbor", "1.2.3.4"}, "expected IP=MAC"},
	{"stray argument", {"--addr", "192.0.2.1/24", "extra"}, "unexpected argument 'extra'"},
	{"no-route code", {"--addr", "192.0.2.1/24", "--no-route-code", "200"}, "300..699"},
	{"max plan size 0", {"--addr", "192.0.2.1/24", "--max-plan-size", "0"}, "--max-plan-size 0"},
	{"max plan size unit", {"--addr", "192.0.2.1/24", "--max-plan-size", "5T"}, "K, M or G"},
	{"max plan size huge", {"--addr", "192.0.2.1/24", "--max-plan-size", "2048G"}, "1 to 1T"},
	{"max plan size sign", {"--addr", "192.0.2.1/24", "--max-plan-size", "-1"}, "K, M or G"},
};

static void
test_max_plan_size(void **state)
{
	static const struct {
		const char *arg;
		uint64_t want;
	} ok[] = {
		{"4096", 4096}, {"512K", 512ull << 10}, {"600m", 600ull << 20}, {"2G", 2ull << 30},
		{"1024G", 1ull << 40},
	};
	struct dp_options o;
	char err[256];
	(void)state;

	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", NULL), 0);
	assert_true(o.max_plan_size == DP_DEFAULT_MAX_PLAN_SIZE);
	/* The default holds a 10M-prefix plan (~436 MiB). */
	assert_true(o.max_plan_size >= 436ull << 20);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", "--max-plan-size", ok[i].arg,
					 NULL), 0);
		assert_true(o.max_plan_size == ok[i].want);
	}
}

/* Every case is refused (-1) with its message. */
static void
check_bad(const struct bad_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct dp_options o;
		char err[256] = "";
		const char *const *a = c[i].args;
		int rc = parse(&o, err, a[0], a[1], a[2], a[3], NULL);
		if (rc != -1 || strstr(err, c[i].expect) == NULL)
			fail_msg("%s: rc %d, message '%s', expected '%s'", c[i].name, rc, err,
					c[i].expect);
	}
}

/* What --help prints (caller frees). */
static char *
usage_text(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	dp_options_usage(f, "sipline");
	fclose(f);
	return text;
}

static void
test_errors(void **state)
{
	(void)state;
	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

/* The neighbour table's options: defaults, values, limits, --help, config files. */
static const struct bad_case bad_neigh[] = {
	{"capacity below 64", {"--addr", "192.0.2.1/24", "--neigh-capacity", "63"}, "64 to"},
	{"capacity too large", {"--addr", "192.0.2.1/24", "--neigh-capacity", "4194305"}, "64 to"},
	{"capacity text", {"--addr", "192.0.2.1/24", "--neigh-capacity", "lots"},
	 "--neigh-capacity lots"},
	{"idle zero", {"--addr", "192.0.2.1/24", "--neigh-idle", "0"}, "1 to 86400 seconds"},
	{"idle negative", {"--addr", "192.0.2.1/24", "--neigh-idle", "-5"}, "1 to 86400 seconds"},
	{"rate zero", {"--addr", "192.0.2.1/24", "--neigh-rate", "0"}, "--neigh-rate 0: 1 to"},
	{"kernel rate zero", {"--addr", "192.0.2.1/24", "--neigh-kernel-rate", "0"},
	 "--neigh-kernel-rate 0: 1 to"},
	{"kernel rate missing", {"--addr", "192.0.2.1/24", "--neigh-kernel-rate"},
	 "--neigh-kernel-rate needs a value"},
};

/* Reassembly's options: defaults, values, 0 (off), limits, --help. */
static const struct bad_case bad_frag[] = {
	{"flows too many", {"--addr", "192.0.2.1/24", "--frag-flows", "1048577"},
	 "--frag-flows 1048577: 0 to 1048576"},
	{"flows text", {"--addr", "192.0.2.1/24", "--frag-flows", "many"}, "--frag-flows many"},
	{"timeout zero", {"--addr", "192.0.2.1/24", "--frag-timeout", "0"},
	 "--frag-timeout 0: 1 to 60000 milliseconds"},
	{"timeout too long", {"--addr", "192.0.2.1/24", "--frag-timeout", "60001"}, "1 to 60000"},
	{"timeout missing", {"--addr", "192.0.2.1/24", "--frag-timeout"},
	 "--frag-timeout needs a value"},
};

static void
test_frag(void **state)
{
	struct dp_options o;
	char err[256];
	(void)state;

	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", NULL), 0);
	assert_int_equal(o.frag_flows, 2048);
	assert_int_equal(o.frag_timeout_ms, 2000);
	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", "--frag-flows", "0",
				 "--frag-timeout", "250", NULL), 0);
	assert_int_equal(o.frag_flows, 0);
	assert_int_equal(o.frag_timeout_ms, 250);
	check_bad(bad_frag, sizeof(bad_frag) / sizeof(bad_frag[0]));
	char *text = usage_text();
	assert_non_null(strstr(text, "--frag-flows N           IPv4 datagrams reassembled at once "
				     "per RX lcore (default\n                           2048;"));
	assert_non_null(strstr(text, "(default 2000)"));
	free(text);
}

static void
test_neigh(void **state)
{
	char path[] = "/tmp/sipline-neigh-XXXXXX";
	struct dp_options o;
	char err[256];
	(void)state;

	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", NULL), 0);
	assert_int_equal(o.neigh_capacity, 65536);
	assert_int_equal(o.neigh_idle, 60);
	assert_int_equal(o.neigh_rate, 100);
	assert_int_equal(o.neigh_kernel_rate, 200);
	assert_int_equal(parse(&o, err, "--addr", "192.0.2.1/24", "--neigh-capacity", "1024",
				 "--neigh-idle=5", "--neigh-rate", "20", "--neigh-kernel-rate", "7",
				 NULL), 0);
	assert_int_equal(o.neigh_capacity, 1024);
	assert_int_equal(o.neigh_idle, 5);
	assert_int_equal(o.neigh_rate, 20);
	assert_int_equal(o.neigh_kernel_rate, 7);

	check_bad(bad_neigh, sizeof(bad_neigh) / sizeof(bad_neigh[0]));

	/* --help lists every one with its default. */
	char *text = usage_text();
	assert_non_null(strstr(text, "--neigh-capacity N       destinations in the neighbour table "
				     "(default 65536)"));
	assert_non_null(strstr(text, "--neigh-idle SEC"));
	assert_non_null(strstr(text, "(default 60)"));
	assert_non_null(strstr(text, "--neigh-rate N"));
	assert_non_null(strstr(text, "--neigh-kernel-rate N"));
	free(text);

	/* And in a config file, with a line number on error. */
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char conf[] = "addr 10.0.0.1/24\nneigh-idle 30\nneigh-capacity 10\n";
	assert_int_equal(write(fd, conf, sizeof(conf) - 1), (ssize_t)(sizeof(conf) - 1));
	close(fd);
	assert_int_equal(parse(&o, err, "--config", path, NULL), -1);
	assert_non_null(strstr(err, ":3: --neigh-capacity 10: 64 to"));
	assert_int_equal(o.neigh_idle, 30);
	unlink(path);
}

static void
test_config_file(void **state)
{
	char path[] = "/tmp/sipline-opts-XXXXXX";
	struct dp_options o;
	char err[256];
	(void)state;

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char good[] = "# sipline options\n"
			    "addr 10.0.0.1/24   # the wire\n"
			    "\n"
			    "--record-route\n"
			    "dialplan /etc/sipline/plan.conf\n";
	assert_int_equal(write(fd, good, sizeof(good) - 1), (ssize_t)(sizeof(good) - 1));
	close(fd);
	assert_int_equal(parse(&o, err, "--config", path, "--port", "5080", NULL), 0);
	assert_int_equal(o.addr4.a[3], 1);
	assert_true(o.record_route);
	assert_string_equal(o.dialplan, "/etc/sipline/plan.conf");
	assert_int_equal(o.port, 5080);

	fd = open(path, O_WRONLY | O_TRUNC);
	const char bad_file[] = "addr 10.0.0.1/24\nport 99999\n";
	assert_int_equal(write(fd, bad_file, sizeof(bad_file) - 1), (ssize_t)(sizeof(bad_file) - 1));
	close(fd);
	assert_int_equal(parse(&o, err, "--config", path, NULL), -1);
	char want[128];
	snprintf(want, sizeof(want), "%s:2: --port 99999", path);
	if (strstr(err, want) == NULL)
		fail_msg("message '%s' does not name %s", err, want);

	fd = open(path, O_WRONLY | O_TRUNC);
	const char flag_value[] = "record-route yes\n";
	assert_int_equal(write(fd, flag_value, sizeof(flag_value) - 1),
			(ssize_t)(sizeof(flag_value) - 1));
	close(fd);
	assert_int_equal(parse(&o, err, "--config", path, NULL), -1);
	assert_non_null(strstr(err, ":1: --record-route takes no value"));
	unlink(path);

	assert_int_equal(parse(&o, err, "--config", "/nonexistent/sipline.conf", NULL), -1);
	assert_non_null(strstr(err, "No such file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_kamailio),
		cmocka_unit_test(test_overload),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_max_plan_size),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_neigh),
		cmocka_unit_test(test_frag),
	};
	return cmocka_run_group_tests_name("dp_options", tests, NULL, NULL);
}
