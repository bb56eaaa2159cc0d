/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipline-control's configuration (control/cp_config.c): every kind of
 * value, errors with file:line, checks across options, the options a
 * reload keeps until a restart.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cp_app.h"
#include "cp_config.h"

static void
test_defaults(void **state)
{
	struct cp_config c;
	char err[256];
	(void)state;
	cp_config_defaults(&c);
	assert_string_equal(c.socket, "/run/sipline/control.sock");
	assert_int_equal(c.socket_mode, 0660);
	assert_int_equal(c.history, 50);
	assert_int_equal(c.max_request, 64u << 20);
	assert_int_equal(c.probe_interval_ms, 10000);
	assert_int_equal(c.probe_timeout_ms, 2000);
	assert_int_equal(c.reconnect_min_ms, 200);
	assert_true(c.probe);
	assert_int_equal(c.key_mismatch, CP_KEY_REFUSE);
	assert_string_equal(c.metrics, "127.0.0.1:9470");
	assert_int_equal(c.n_dataplanes, 0); /* main() adds the default when none is given */
	assert_int_equal(cp_config_check(&c, err, sizeof(err)), 0);
}

struct set_case {
	const char *line;
	int rc;
	const char *msg; /* part of the error */
};

static const struct set_case sets[] = {
	{"history 7", 0, NULL},
	{"history=8", 0, NULL},
	{"  history   9  ", 0, NULL},
	{"history 0", -EINVAL, "history: '0' is not a whole number in 1..100000"},
	{"history -1", -EINVAL, "not a whole number"},
	{"history 5x", -EINVAL, "not a whole number"},
	{"history", -EINVAL, "history needs a value"},
	{"max_request 2M", 0, NULL},
	{"max_request 10", -EINVAL, "not a size"},
	{"max_request 2T", -EINVAL, "not a size"},
	{"probe_timeout 0.5", 0, NULL},
	{"probe_timeout .5", -EINVAL, "not a number of seconds"},
	{"probe_timeout 0.01", -EINVAL, "not a number of seconds"},
	{"probe off", 0, NULL},
	{"probe maybe", -EINVAL, "not on or off"},
	{"socket_mode 0640", 0, NULL},
	{"socket_mode 0999", -EINVAL, "not an octal mode"},
	{"key_mismatch warn", 0, NULL},
	{"key_mismatch ignore", -EINVAL, "not warn or refuse"},
	{"probe_codes 200-299,404", 0, NULL},
	{"probe_codes 2xx", -EINVAL, "not a list of codes"},
	{"nonsense 1", -EINVAL, "unknown option 'nonsense'"},
	{"socket_group", 0, NULL},
};

static void
test_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct cp_config c;
		char err[256] = "";
		cp_config_defaults(&c);
		int rc = cp_config_set(&c, sets[i].line, "t:1", err, sizeof(err));
		if (rc != sets[i].rc)
			fail_msg("'%s': %d, expected %d (%s)", sets[i].line, rc, sets[i].rc, err);
		if (sets[i].msg != NULL && (strstr(err, sets[i].msg) == NULL ||
				strncmp(err, "t:1: ", 5) != 0))
			fail_msg("'%s': message '%s' lacks 't:1: ...%s'", sets[i].line, err,
					sets[i].msg);
	}
	struct cp_config c;
	char err[256];
	cp_config_defaults(&c);
	assert_int_equal(cp_config_set(&c, "max_request 2M", "x", err, sizeof(err)), 0);
	assert_int_equal(c.max_request, 2u << 20);
	assert_int_equal(cp_config_set(&c, "probe_timeout 0.5", "x", err, sizeof(err)), 0);
	assert_int_equal(c.probe_timeout_ms, 500);
}

static void
test_file(void **state)
{
	char path[] = "/tmp/test_cp_config.XXXXXX", err[512];
	(void)state;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "# a comment\n\nhistory 3   # trailing comment\ndataplane /run/a.sock\n"
			"dataplane /run/b.sock\nprobe_interval 1\nprobe_timeout 2\n");
	fclose(f);
	struct cp_config c;
	cp_config_defaults(&c);
	assert_int_equal(cp_config_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.history, 3);
	assert_int_equal(c.n_dataplanes, 2);
	assert_string_equal(c.dataplane[1], "/run/b.sock");
	/* The timeout must be shorter than the interval. */
	assert_int_equal(cp_config_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "probe_timeout"));

	/* An error names file:line; a dataplane given twice is one. */
	f = fopen(path, "w");
	fprintf(f, "dataplane /run/a.sock\nhistory 3\ndataplane /run/a.sock\n");
	fclose(f);
	cp_config_defaults(&c);
	assert_int_equal(cp_config_load(&c, path, err, sizeof(err)), -EINVAL);
	char want[256];
	snprintf(want, sizeof(want), "%s:3: dataplane: /run/a.sock given twice", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_int_equal(cp_config_load(&c, path, err, sizeof(err)), -ENOENT);
}

static unsigned kept;

static void
on_keep(const char *msg, void *ctx)
{
	(void)ctx;
	assert_non_null(strstr(msg, "next restart"));
	kept++;
}

static void
test_reload_keeps_restart_options(void **state)
{
	struct cp_config old, nc;
	char err[256];
	(void)state;
	cp_config_defaults(&old);
	cp_config_defaults(&nc);
	assert_int_equal(cp_config_set(&nc, "socket /tmp/x.sock", "x", err, sizeof(err)), 0);
	assert_int_equal(cp_config_set(&nc, "store /tmp/x.db", "x", err, sizeof(err)), 0);
	assert_int_equal(cp_config_set(&nc, "history 9", "x", err, sizeof(err)), 0);
	cp_config_keep_restart_only(&nc, &old, on_keep, NULL);
	assert_int_equal(kept, 2);
	assert_string_equal(nc.socket, old.socket);
	assert_string_equal(nc.store, old.store);
	assert_int_equal(nc.history, 9); /* applied at once */
}

/* SIP over TCP/TLS: the documented defaults and the checks across its options. */
static void
test_streams(void **state)
{
	struct cp_config c;
	char err[256];
	(void)state;
	cp_config_defaults(&c);
	assert_string_equal(c.tcp_listen, "auto");
	assert_string_equal(c.tls_listen, "auto");
	assert_int_equal(c.stream_max_conns, 4096);
	assert_int_equal(c.stream_max_per_source, 64);
	assert_int_equal(c.stream_idle_timeout_ms, 180000);
	assert_int_equal(c.stream_first_byte_timeout_ms, 10000);
	assert_int_equal(c.stream_message_timeout_ms, 10000);
	assert_int_equal(c.tls_handshake_timeout_ms, 10000);
	assert_int_equal(c.stream_max_message, 65535);
	assert_int_equal(c.stream_max_header, 16384);
	assert_int_equal(c.stream_write_queue, 256 * 1024);
	assert_string_equal(c.tls_client_verify, "none");
	assert_string_equal(c.tls_min_version, "1.2");
	assert_true(c.tls_verify_server);
	assert_int_equal(cp_streamsrv_check(&c, err, sizeof(err)), 0);

	static const struct {
		const char *line;
		const char *msg; /* NULL: accepted */
	} cases[] = {
		{"tcp_listen [::1]:5060,127.0.0.1:5070", NULL},
		{"tcp_listen off", NULL},
		{"tcp_listen 127.0.0.1", "tcp_listen: '127.0.0.1' is not ADDR:PORT"},
		{"tcp_listen 127.0.0.1:0", "is not ADDR:PORT"},
		{"tcp_listen example.com:5060", "is not ADDR:PORT"},
		{"tls_listen 127.0.0.1:5061", "tls_listen needs tls_cert"},
		{"tls_client_verify maybe", "tls_client_verify: 'maybe' is not none, optional or required"},
		{"tls_client_verify required", NULL},
		{"tls_min_version 1.1", "tls_min_version: '1.1' is not 1.2 or 1.3"},
		{"tls_min_version 1.3", NULL},
		{"stream_max_header 64k", "stream_max_header is above stream_max_message"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cp_config_defaults(&c);
		assert_int_equal(cp_config_set(&c, cases[i].line, "-o", err, sizeof(err)), 0);
		err[0] = '\0';
		int rc = cp_streamsrv_check(&c, err, sizeof(err));
		if (cases[i].msg == NULL && rc != 0)
			fail_msg("%s: refused: %s", cases[i].line, err);
		if (cases[i].msg != NULL && (rc != -EINVAL || strstr(err, cases[i].msg) == NULL))
			fail_msg("%s: got %d '%s', want '%s'", cases[i].line, rc, err, cases[i].msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_reload_keeps_restart_options),
		cmocka_unit_test(test_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
