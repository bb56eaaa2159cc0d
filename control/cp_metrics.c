/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_metrics.h"

#include "cp_sipsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "cp_loop.h"

/* ---- rendering ---- */

void
cp_prom_init(struct cp_prom *p)
{
	memset(p, 0, sizeof(*p));
}

void
cp_prom_free(struct cp_prom *p)
{
	free(p->buf);
	cp_prom_init(p);
}

char *
cp_prom_take(struct cp_prom *p, size_t *len)
{
	char *b = p->buf;
	if (p->err != 0 || b == NULL) {
		cp_prom_free(p);
		return NULL;
	}
	*len = p->len;
	cp_prom_init(p);
	return b;
}

static void
put(struct cp_prom *p, const char *s, size_t n)
{
	if (p->err)
		return;
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		while (cap < p->len + n + 1)
			cap *= 2;
		char *b = realloc(p->buf, cap);
		if (b == NULL) {
			p->err = -ENOMEM;
			return;
		}
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void
puts_(struct cp_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void
putf(struct cp_prom *p, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		p->err = p->err ? p->err : -EINVAL;
		return;
	}
	put(p, tmp, (size_t)n);
}

bool
cp_prom_name_ok(const char *name)
{
	if (name == NULL || *name == '\0')
		return false;
	for (const char *c = name; *c; c++) {
		bool alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' ||
			*c == ':';
		if (!alpha && !(c != name && *c >= '0' && *c <= '9'))
			return false;
	}
	return true;
}

static bool
label_name_ok(const char *name)
{
	/* Label names: [a-zA-Z_][a-zA-Z0-9_]*, and __ is reserved. */
	if (!cp_prom_name_ok(name) || strchr(name, ':') != NULL)
		return false;
	return strncmp(name, "__", 2) != 0;
}

/* help: escape \ and newline; label values also ". */
static void
escaped(struct cp_prom *p, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(p, "\\\\");
		else if (*s == '\n')
			puts_(p, "\\n");
		else if (quote && *s == '"')
			puts_(p, "\\\"");
		else
			put(p, s, 1);
	}
}

void
cp_prom_family(struct cp_prom *p, const char *name, const char *type, const char *help)
{
	if (!cp_prom_name_ok(name) || strlen(name) >= sizeof(p->family) ||
			(strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "untyped"))) {
		p->err = p->err ? p->err : -EINVAL;
		return;
	}
	snprintf(p->family, sizeof(p->family), "%s", name);
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	escaped(p, help ? help : "", false);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
}

static void
sample_head(struct cp_prom *p, const char *const *labels)
{
	if (p->family[0] == '\0') {
		p->err = p->err ? p->err : -EINVAL;
		return;
	}
	puts_(p, p->family);
	if (labels != NULL && labels[0] != NULL) {
		puts_(p, "{");
		for (unsigned i = 0; labels[i] != NULL; i += 2) {
			if (labels[i + 1] == NULL || !label_name_ok(labels[i])) {
				p->err = p->err ? p->err : -EINVAL;
				return;
			}
			if (i)
				puts_(p, ",");
			puts_(p, labels[i]);
			puts_(p, "=\"");
			escaped(p, labels[i + 1], true);
			puts_(p, "\"");
		}
		puts_(p, "}");
	}
}

void
cp_prom_u64(struct cp_prom *p, const char *const *labels, uint64_t v)
{
	sample_head(p, labels);
	putf(p, " %" PRIu64 "\n", v);
}

void
cp_prom_counter(struct cp_prom *p, const char *name, const char *help, uint64_t v)
{
	char full[96];
	size_t k = (size_t)snprintf(full, sizeof(full), "sipline_control_");
	for (size_t j = 0; name[j] && k < sizeof(full) - 7; j++)
		full[k++] = (char)(name[j] >= 'A' && name[j] <= 'Z' ? name[j] + 32 : name[j]);
	snprintf(full + k, sizeof(full) - k, "_total");
	cp_prom_family(p, full, "counter", help);
	cp_prom_u64(p, NULL, v);
}

void
cp_prom_f64(struct cp_prom *p, const char *const *labels, double v)
{
	sample_head(p, labels);
	if (isnan(v))
		puts_(p, " NaN\n");
	else if (isinf(v))
		puts_(p, v > 0 ? " +Inf\n" : " -Inf\n");
	else
		putf(p, " %.17g\n", v);
}

/* ---- HTTP (libmicrohttpd in our loop) ---- */

struct cp_metrics {
	struct cp_loop *loop;
	struct MHD_Daemon *d;
	int epfd;
	uint64_t timer;
	cp_metrics_render_fn *render;
	void *ctx;
};

static enum MHD_Result
send_text(struct MHD_Connection *c, unsigned status, const char *type, char *body, size_t len,
		bool owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
			owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
		const char *version, const char *upload, size_t *upload_len, void **state)
{
	struct cp_metrics *m = cls;
	static char not_found[] = "not found: the metrics are at /metrics\n";
	static char not_allowed[] = "only GET\n";
	static char index_page[] = "sipline-control: Prometheus metrics at /metrics\n";
	(void)version;
	(void)upload;

	if (*state == NULL) {
		/* First call for this request: headers only; answer on the second. */
		*state = (void *)1;
		return MHD_YES;
	}
	if (*upload_len != 0) {
		*upload_len = 0; /* a body is ignored (and bounded by MHD's memory limit) */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
				strlen(not_allowed), false);
	if (strcmp(url, "/") == 0)
		return send_text(c, MHD_HTTP_OK, "text/plain", index_page, strlen(index_page), false);
	if (strcmp(url, "/metrics") != 0)
		return send_text(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found),
				false);
	size_t len = 0;
	char *body = m->render(m->ctx, &len);
	if (body == NULL) {
		static char oops[] = "cannot render the metrics\n";
		return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", oops,
				strlen(oops), false);
	}
	return send_text(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
			true);
}

static void
on_ready(struct cp_loop *l, int fd, unsigned events, void *ctx)
{
	struct cp_metrics *m = ctx;
	(void)l;
	(void)fd;
	(void)events;
	MHD_run(m->d);
}

static int64_t
on_timer(struct cp_loop *l, void *ctx)
{
	struct cp_metrics *m = ctx;
	(void)l;
	/* Connection time-outs: MHD checks them when run. */
	MHD_run(m->d);
	return 1000;
}

static int
parse_addr(const char *addr, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[96];
	const char *colon;
	memset(ss, 0, sizeof(*ss));
	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');
		if (rb == NULL || rb[1] != ':' || (size_t)(rb - addr - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - addr - 1), addr + 1);
		colon = rb + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	}
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535)
		goto bad;
	struct sip_addr a;
	socklen_t len;
	if (sip_addr_parse(sip_str_make(host, strlen(host)), &a) == 0 &&
			cp_sockaddr_from(&a, (uint16_t)port, a.af == SIP_AF_INET ? AF_INET : AF_INET6, ss,
					&len) == 0)
		return 0;
bad:
	snprintf(err, errlen, "metrics: '%s' is not ADDRESS:PORT ([IPv6]:PORT for IPv6)", addr);
	return -EINVAL;
}

struct cp_metrics *
cp_metrics_start(struct cp_loop *l, const char *addr, cp_metrics_render_fn *render, void *ctx,
		char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	if (parse_addr(addr, &ss, err, errlen) != 0)
		return NULL;
	struct cp_metrics *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->loop = l;
	m->render = render;
	m->ctx = ctx;
	unsigned flags = MHD_USE_EPOLL | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
			MHD_OPTION_END);
	if (m->d == NULL) {
		snprintf(err, errlen, "metrics: cannot listen on %s (address in use or not local?)",
				addr);
		free(m);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
	m->epfd = di ? di->epoll_fd : -1;
	if (m->epfd < 0 || cp_loop_add_fd(l, m->epfd, CP_READ, on_ready, m) != 0) {
		snprintf(err, errlen, "metrics: libmicrohttpd has no epoll descriptor");
		MHD_stop_daemon(m->d);
		free(m);
		return NULL;
	}
	m->timer = cp_timer_add(l, 1000, on_timer, m);
	return m;
}

void
cp_metrics_stop(struct cp_metrics *m)
{
	if (m == NULL)
		return;
	cp_timer_del(m->loop, m->timer);
	cp_loop_del_fd(m->loop, m->epfd);
	MHD_stop_daemon(m->d);
	free(m);
}
