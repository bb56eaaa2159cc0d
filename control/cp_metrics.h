/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_METRICS_H
#define CP_METRICS_H

/*
 * Prometheus text exposition format (version 0.0.4): a pure renderer
 * (unit-tested: names checked, label values and help escaped, families
 * grouped) and a small HTTP endpoint on libmicrohttpd, driven by the
 * control plane's event loop (MHD's epoll descriptor in our loop, no
 * thread of its own), so rendering reads the loop's state without locks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cp_prom {
	char *buf;
	size_t len, cap;
	int err;            /* first error (-ENOMEM, -EINVAL for a bad name); later calls no-ops */
	char family[128];   /* the family being written: samples must belong to it */
};

void cp_prom_init(struct cp_prom *p);
/* The text (NUL-terminated) handed to the caller, who frees it; the builder is reset. */
char *cp_prom_take(struct cp_prom *p, size_t *len);
void cp_prom_free(struct cp_prom *p);

/* Whether name is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
bool cp_prom_name_ok(const char *name);

/*
 * Start a family: "# HELP name help" and "# TYPE name type" (type: counter,
 * gauge, untyped). Samples that follow must be name (or name_* for
 * summaries/histograms, unused here).
 */
void cp_prom_family(struct cp_prom *p, const char *name, const char *type, const char *help);
/*
 * One sample of the current family. labels: NULL, or pairs key, value,
 * ..., NULL. Values escaped (\\, \", \n).
 */
void cp_prom_u64(struct cp_prom *p, const char *const *labels, uint64_t v);
/* A counter family "sipline_control_<name in lower case>_total" and its value. */
void cp_prom_counter(struct cp_prom *p, const char *name, const char *help, uint64_t v);
void cp_prom_f64(struct cp_prom *p, const char *const *labels, double v);

/* ---- HTTP ---- */

struct cp_loop;
struct cp_metrics;

/* Renders the whole page (malloc()ed text), or NULL on error. */
typedef char *cp_metrics_render_fn(void *ctx, size_t *len);

/*
 * Serve GET /metrics on addr ("127.0.0.1:9470", "[::1]:9470"). NULL with
 * err filled (bad address, port in use).
 */
struct cp_metrics *cp_metrics_start(struct cp_loop *l, const char *addr,
		cp_metrics_render_fn *render, void *ctx, char *err, size_t errlen);
void cp_metrics_stop(struct cp_metrics *m);

#endif
