/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus text rendering (control/cp_metrics.c): exact output, escaping, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cp_metrics.h"

static void
test_render(void **state)
{
	struct cp_prom p;
	size_t len;
	(void)state;
	cp_prom_init(&p);
	cp_prom_family(&p, "sipline_x_total", "counter", "things\nwith a \\ in help");
	const char *l1[] = {"dataplane", "/run/a \"b\"\n", "worker", "0", NULL};
	cp_prom_u64(&p, NULL, 18446744073709551615ull);
	cp_prom_u64(&p, l1, 7);
	cp_prom_family(&p, "sipline_y", "gauge", "a value");
	cp_prom_f64(&p, NULL, 0.25);
	char *t = cp_prom_take(&p, &len);
	assert_non_null(t);
	assert_string_equal(t,
		"# HELP sipline_x_total things\\nwith a \\\\ in help\n"
		"# TYPE sipline_x_total counter\n"
		"sipline_x_total 18446744073709551615\n"
		"sipline_x_total{dataplane=\"/run/a \\\"b\\\"\\n\",worker=\"0\"} 7\n"
		"# HELP sipline_y a value\n"
		"# TYPE sipline_y gauge\n"
		"sipline_y 0.25\n");
	assert_int_equal(len, strlen(t));
	free(t);
}

struct bad_case {
	const char *name;
	const char *family;
	const char *type;
	const char *label;
};

static const struct bad_case bad[] = {
	{"name starting with a digit", "9x", "counter", "a"},
	{"name with a dash", "sipline-x", "counter", "a"},
	{"empty name", "", "gauge", "a"},
	{"unknown type", "sipline_x", "summary_ish", "a"},
	{"label with a colon", "sipline_x", "gauge", "a:b"},
	{"reserved label", "sipline_x", "gauge", "__name"},
	{"label with a dot", "sipline_x", "gauge", "a.b"},
};

static void
test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cp_prom p;
		size_t len;
		cp_prom_init(&p);
		cp_prom_family(&p, bad[i].family, bad[i].type, "h");
		const char *l[] = {bad[i].label, "v", NULL};
		cp_prom_u64(&p, l, 1);
		char *t = cp_prom_take(&p, &len);
		if (t != NULL)
			fail_msg("%s: rendered %s", bad[i].name, t);
	}
	/* A sample before any family. */
	struct cp_prom p;
	size_t len;
	cp_prom_init(&p);
	cp_prom_u64(&p, NULL, 1);
	assert_null(cp_prom_take(&p, &len));
	assert_true(cp_prom_name_ok("sipline_dataplane_rx_pkts_total"));
	assert_true(cp_prom_name_ok("a:b_c"));
	assert_false(cp_prom_name_ok("a b"));
}

static void
test_special_values(void **state)
{
	struct cp_prom p;
	size_t len;
	(void)state;
	cp_prom_init(&p);
	cp_prom_family(&p, "x", "gauge", "");
	cp_prom_f64(&p, NULL, 1.0 / 0.0);
	cp_prom_f64(&p, NULL, -1.0 / 0.0);
	cp_prom_f64(&p, NULL, 0.0 / 0.0);
	char *t = cp_prom_take(&p, &len);
	assert_string_equal(t, "# HELP x \n# TYPE x gauge\nx +Inf\nx -Inf\nx NaN\n");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_special_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
