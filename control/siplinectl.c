/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplinectl: the operator's command line for sipline-control's control
 * socket (JSON-RPC 2.0, one JSON text per line).
 *
 *   siplinectl [-s SOCKET] [-t TIMEOUT] [--json] GROUP VERB [ARG...] [key=value...]
 *   siplinectl call METHOD ['{"param": ...}' | '[...]']
 *   siplinectl methods | help [GROUP|METHOD]
 *
 * It knows no method by heart: it asks system.methodHelp for the
 * parameters of the method it calls and converts key=value (and bare
 * arguments, in the method's parameter order) to their types. Two
 * conveniences: `dialplan push|validate FILE` and `subscribers import
 * FILE` and `acl set FILE` send the file's text (read here, as the caller;
 * "-" reads stdin), and paged lists
 * are fetched page by page.
 *
 * Exit status: 0 ok, 1 the call returned an error, 2 usage, 3 cannot
 * connect (or the daemon did not answer within TIMEOUT).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_SOCKET "/run/sipline/control.sock"
#define EXIT_RPC 1
#define EXIT_USAGE 2
#define EXIT_CONNECT 3

static const char *sock_path = DEFAULT_SOCKET;
static int timeout_s = 300;
static bool json_out;
static int sock = -1;
static int next_id = 1;
static char *rbuf;
static size_t rlen, rcap;

static const char *const groups[][2] = {
	{"core", "version | uptime | health"},
	{"dialplan", "validate FILE | push FILE [base_version=N] [dry_run=true] [note=TEXT] |\n"
		"              status | show [VERSION] | history | rollback VERSION |\n"
		"              explain user=NUMBER [domain=..] [from=..] [to=..] [method=..] [source=IP]"},
	{"gateways", "list | set HOST up|down|auto [port=N] [transport=udp|tcp|tls] |\n"
		"              probe [HOST] | probing [true|false]"},
	{"stats", "[get] [dataplane=PATH|N] [workers=true] | reset"},
	{"acl", "set FILE [dry_run=true] | clear | list | test IP[:PORT] [method=REGISTER]"},
	{"limits", "top [N] | get"},
};

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: siplinectl [-s SOCKET] [-t TIMEOUT] [--json] GROUP VERB [ARG...] [key=value...]\n"
		"       siplinectl call METHOD ['{\"param\": value}']\n"
		"       siplinectl methods | help [GROUP|METHOD] | GROUP --help\n"
		"\n"
		"  -s, --socket PATH   control socket (default %s)\n"
		"  -t, --timeout SEC   wait at most SEC for an answer (default 300: compiles take time)\n"
		"  -j, --json          print the JSON result (for scripts)\n"
		"\nGroups:\n", DEFAULT_SOCKET);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		fprintf(out, "  %-10s  %s\n", groups[i][0], groups[i][1]);
	fprintf(out, "\nExit status: 0 ok, 1 the call failed, 2 usage, 3 cannot connect or no "
			"answer in time.\nSee docs/control.md.\n");
}

/* ---- the connection ---- */

static int
connect_sock(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "siplinectl: %s: path too long\n", sock_path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "siplinectl: cannot connect to %s: %s%s\n", sock_path, strerror(errno),
				errno == EACCES ? " (root or the socket's group only)" :
				errno == ENOENT || errno == ECONNREFUSED ? " (is sipline-control running?)" :
				"");
		return -1;
	}
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Send one request and read one answer line. progress: show elapsed time
 * on a terminal while waiting. Returns the parsed answer or NULL (exit 3).
 */
static json_t *
roundtrip(json_t *req, const char *progress)
{
	char *text = json_dumps(req, JSON_COMPACT);
	if (text == NULL)
		return NULL;
	size_t len = strlen(text), off = 0;
	text[len] = '\0';
	while (off < len) {
		ssize_t n = send(sock, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "siplinectl: send: %s\n", strerror(errno));
			free(text);
			return NULL;
		}
		off += (size_t)n;
	}
	free(text);
	if (send(sock, "\n", 1, MSG_NOSIGNAL) != 1) {
		fprintf(stderr, "siplinectl: send: %s\n", strerror(errno));
		return NULL;
	}
	double t0 = now_s();
	bool tty = progress != NULL && isatty(2);
	bool shown = false;
	for (;;) {
		char *nl = rlen ? memchr(rbuf, '\n', rlen) : NULL;
		if (nl != NULL) {
			json_error_t je;
			size_t ln = (size_t)(nl - rbuf);
			json_t *ans = json_loadb(rbuf, ln, 0, &je);
			memmove(rbuf, nl + 1, rlen - ln - 1);
			rlen -= ln + 1;
			if (shown)
				fprintf(stderr, "\r%*s\r", 60, "");
			if (ans == NULL)
				fprintf(stderr, "siplinectl: unreadable answer: %s\n", je.text);
			return ans;
		}
		double left = timeout_s - (now_s() - t0);
		if (left <= 0) {
			if (shown)
				fputc('\n', stderr);
			fprintf(stderr, "siplinectl: no answer within %d s (-t to wait longer)\n",
					timeout_s);
			return NULL;
		}
		struct pollfd p = {.fd = sock, .events = POLLIN};
		int r = poll(&p, 1, left > 0.5 ? 500 : (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR)
			return NULL;
		if (tty && now_s() - t0 >= 1.0) {
			static const char spin[] = "|/-\\";
			fprintf(stderr, "\r%c %s... %.0f s", spin[(int)(now_s() * 4) % 4], progress,
					now_s() - t0);
			shown = true;
		}
		if (r <= 0)
			continue;
		if (rcap - rlen < 65536) {
			size_t cap = rcap ? rcap * 2 : 131072;
			char *b = realloc(rbuf, cap);
			if (b == NULL)
				return NULL;
			rbuf = b;
			rcap = cap;
		}
		ssize_t n = recv(sock, rbuf + rlen, rcap - rlen, 0);
		if (n == 0) {
			fprintf(stderr, "siplinectl: the daemon closed the connection\n");
			return NULL;
		}
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "siplinectl: recv: %s\n", strerror(errno));
			return NULL;
		}
		if (n > 0)
			rlen += (size_t)n;
	}
}

/* Call method; *result gets the result (new reference) or NULL; returns an exit status. */
static int
call(const char *method, json_t *params, json_t **result, bool quiet, const char *progress)
{
	json_t *req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", next_id++, "method",
			method);
	*result = NULL;
	if (req == NULL) {
		/* JSON carries only UTF-8 (jansson refuses other bytes). */
		fprintf(stderr, "siplinectl: %s: not a method name (not valid UTF-8)\n", method);
		return EXIT_USAGE;
	}
	if (params != NULL)
		json_object_set(req, "params", params);
	json_t *ans = roundtrip(req, progress);
	json_decref(req);
	*result = NULL;
	if (ans == NULL)
		return EXIT_CONNECT;
	json_t *err = json_object_get(ans, "error");
	if (err != NULL) {
		if (!quiet) {
			if (json_out) {
				char *t = json_dumps(err, JSON_INDENT(2));
				fprintf(stdout, "%s\n", t ? t : "");
				free(t);
			} else {
				fprintf(stderr, "siplinectl: %s: %s (%lld)\n", method,
						json_string_value(json_object_get(err, "message")),
						(long long)json_integer_value(json_object_get(err, "code")));
				json_t *data = json_object_get(err, "data");
				json_t *errs = json_object_get(data, "errors");
				size_t i;
				json_t *e;
				json_array_foreach(errs, i, e)
					fprintf(stderr, "%s\n", json_string_value(e));
				if (json_object_get(data, "version") != NULL)
					fprintf(stderr, "serving: version %lld, sha256 %s\n",
							(long long)json_integer_value(json_object_get(data,
								"version")),
							json_string_value(json_object_get(data, "sha256")));
			}
		}
		json_decref(ans);
		return EXIT_RPC;
	}
	*result = json_incref(json_object_get(ans, "result"));
	json_decref(ans);
	return 0;
}

/* ---- output ---- */

/* Wall-clock times are shown as local date and time. */
static bool
is_time_key(const char *k)
{
	return k != NULL && (!strcmp(k, "created") || !strcmp(k, "since") ||
			!strcmp(k, "last_probe") || !strcmp(k, "started") || !strcmp(k, "read_at"));
}

static char *
scalar_k(const char *key, const json_t *v)
{
	if (is_time_key(key) && json_is_integer(v) && !json_out) {
		char buf[32];
		time_t t = (time_t)json_integer_value(v);
		struct tm tm;
		if (t == 0)
			return strdup("-");
		localtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
		return strdup(buf);
	}
	return NULL;
}

static char *
scalar(const json_t *v)
{
	char buf[64];
	switch (json_typeof(v)) {
	case JSON_STRING: return strdup(json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return strdup(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.3f", json_real_value(v));
		return strdup(buf);
	case JSON_TRUE: return strdup("yes");
	case JSON_FALSE: return strdup("no");
	case JSON_NULL: return strdup("-");
	default: return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
}

/* An aligned table of an array of objects: columns are the scalar keys, first seen first. */
static void
table(const json_t *rows, const char *indent)
{
	const char *cols[32];
	size_t ncol = 0, w[32] = {0};
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row) {
		const char *k;
		json_t *v;
		json_object_foreach(row, k, v) {
			if (json_is_object(v) || json_is_array(v))
				continue;
			size_t c;
			for (c = 0; c < ncol; c++)
				if (strcmp(cols[c], k) == 0)
					break;
			if (c == ncol && ncol < 32) {
				cols[ncol] = k;
				w[ncol++] = strlen(k);
			}
		}
	}
	json_array_foreach(rows, i, row) {
		for (size_t c = 0; c < ncol; c++) {
			json_t *v = json_object_get(row, cols[c]);
			char *s = v ? scalar_k(cols[c], v) : NULL;
			if (s == NULL)
				s = v ? scalar(v) : strdup("");
			if (s && strlen(s) > w[c])
				w[c] = strlen(s) > 64 ? 64 : strlen(s);
			free(s);
		}
	}
	printf("%s", indent);
	for (size_t c = 0; c < ncol; c++) {
		char up[64];
		size_t k;
		for (k = 0; cols[c][k] && k < sizeof(up) - 1; k++)
			up[k] = (char)(cols[c][k] >= 'a' && cols[c][k] <= 'z' ? cols[c][k] - 32 :
					cols[c][k]);
		up[k] = '\0';
		printf("%-*s%s", (int)w[c], up, c + 1 < ncol ? "  " : "\n");
	}
	json_array_foreach(rows, i, row) {
		printf("%s", indent);
		for (size_t c = 0; c < ncol; c++) {
			json_t *v = json_object_get(row, cols[c]);
			char *s = v ? scalar_k(cols[c], v) : NULL;
			if (s == NULL)
				s = v ? scalar(v) : strdup("");
			printf("%-*.*s%s", (int)w[c], 64, s ? s : "", c + 1 < ncol ? "  " : "\n");
			free(s);
		}
	}
}

static void
show_object(const json_t *o, const char *indent)
{
	const char *k;
	json_t *v;
	size_t w = 0;
	json_object_foreach((json_t *)o, k, v)
		if (!json_is_object(v) && !json_is_array(v) && strlen(k) > w)
			w = strlen(k);
	json_object_foreach((json_t *)o, k, v) {
		if (json_is_object(v) || json_is_array(v))
			continue;
		char *s = scalar_k(k, v);
		if (s == NULL)
			s = scalar(v);
		printf("%s%-*s  %s\n", indent, (int)w, k, s ? s : "");
		free(s);
	}
	json_object_foreach((json_t *)o, k, v) {
		if (json_is_array(v)) {
			printf("%s%s:\n", indent, k);
			if (json_array_size(v) == 0) {
				printf("%s  (none)\n", indent);
			} else if (json_is_object(json_array_get(v, 0))) {
				char in[32];
				snprintf(in, sizeof(in), "%s  ", indent);
				table(v, in);
			} else {
				size_t i;
				json_t *e;
				json_array_foreach(v, i, e) {
					char *s = scalar(e);
					printf("%s  %s\n", indent, s ? s : "");
					free(s);
				}
			}
		} else if (json_is_object(v)) {
			char in[32];
			printf("%s%s:\n", indent, k);
			snprintf(in, sizeof(in), "%s  ", indent);
			show_object(v, in);
		}
	}
}

/* stats.get: one row per counter, a column per dataplane and the total. */
static void
show_stats(const json_t *r)
{
	const json_t *dps = json_object_get(r, "dataplanes");
	const json_t *total = json_object_get(r, "total");
	size_t n = json_array_size(dps), i;
	const char *k;
	json_t *v;
	size_t w = 8;

	json_object_foreach((json_t *)total, k, v)
		if (strlen(k) > w)
			w = strlen(k);
	for (i = 0; i < n; i++) {
		const json_t *d = json_array_get(dps, i);
		json_object_foreach(json_object_get(d, "counters"), k, v)
			if (strlen(k) > w)
				w = strlen(k);
	}
	printf("%-*s", (int)w, "COUNTER");
	for (i = 0; i < n; i++)
		printf("  %14s", n > 1 ? "" : "VALUE");
	if (n > 1)
		printf("  %14s", "TOTAL");
	printf("\n");
	if (n > 1) {
		for (i = 0; i < n; i++)
			printf("%s dataplane %zu: %s (%s)\n", i ? "" : "#", i,
					json_string_value(json_object_get(json_array_get(dps, i), "dataplane")),
					json_string_value(json_object_get(json_array_get(dps, i), "state")));
	}
	const json_t *first = json_object_get(json_array_get(dps, 0), "counters");
	json_object_foreach((json_t *)first, k, v) {
		printf("%-*s", (int)w, k);
		for (i = 0; i < n; i++) {
			json_t *x = json_object_get(json_object_get(json_array_get(dps, i), "counters"),
					k);
			printf("  %14lld", x ? (long long)json_integer_value(x) : 0LL);
		}
		if (n > 1) {
			json_t *t = json_object_get(total, k);
			if (t)
				printf("  %14lld", (long long)json_integer_value(t));
		}
		printf("\n");
	}
	for (i = 0; i < n; i++) {
		const json_t *d = json_array_get(dps, i);
		const char *tbl[2] = {"sent", "relayed"};
		for (int t = 0; t < 2; t++) {
			json_t *codes = json_object_get(d, tbl[t]);
			if (json_object_size(codes) == 0)
				continue;
			printf("%s (dataplane %zu):", tbl[t], i);
			json_object_foreach(codes, k, v)
				printf(" %s=%lld", k, (long long)json_integer_value(v));
			printf("\n");
		}
	}
	printf("\ncontrol plane:\n");
	show_object(json_object_get(r, "control"), "  ");
}

static void
output(const char *method, const json_t *r)
{
	if (json_out) {
		char *t = json_dumps(r, JSON_INDENT(2) | JSON_ENCODE_ANY);
		printf("%s\n", t ? t : "null");
		free(t);
		return;
	}
	if (strcmp(method, "dialplan.show") == 0) {
		const char *t = json_string_value(json_object_get(r, "text"));
		fputs(t ? t : "", stdout);
		return;
	}
	if (strcmp(method, "dialplan.explain") == 0) {
		const char *t = json_string_value(json_object_get(r, "explain"));
		fputs(t ? t : "", stdout);
		if (t && *t && t[strlen(t) - 1] != '\n')
			putchar('\n');
		return;
	}
	if (strcmp(method, "stats.get") == 0) {
		show_stats(r);
		return;
	}
	if (strcmp(method, "acl.list") == 0 || strcmp(method, "limits.top") == 0) {
		/* The state, the entries (or sources), then what each dataplane says. */
		const char *list = strcmp(method, "acl.list") == 0 ? "items" : "top";
		const char *k;
		json_t *v, *rest = json_object();
		json_object_foreach((json_t *)r, k, v)
			if (strcmp(k, list) != 0 && strcmp(k, "dataplanes") != 0 &&
					strcmp(k, "next_cursor") != 0)
				json_object_set(rest, k, v);
		show_object(rest, "");
		json_decref(rest);
		json_t *items = json_object_get(r, list);
		printf("\n%s:\n", strcmp(list, "items") == 0 ? "entries" : "top sources");
		if (json_array_size(items) == 0)
			printf("  (none)\n");
		else
			table(items, "  ");
		json_t *dps = json_object_get(r, "dataplanes");
		printf("\ndataplanes:\n");
		if (json_array_size(dps) == 0)
			printf("  (none)\n");
		else
			table(dps, "  ");
		return;
	}
	if (json_is_object(r) && json_is_array(json_object_get(r, "items"))) {
		json_t *items = json_object_get(r, "items");
		if (json_array_size(items) == 0)
			printf("(none)\n");
		else
			table(items, "");
		return;
	}
	if (json_is_object(r)) {
		show_object(r, "");
		return;
	}
	if (json_is_array(r)) {
		size_t i;
		json_t *e;
		json_array_foreach(r, i, e) {
			char *s = scalar(e);
			printf("%s\n", s ? s : "");
			free(s);
		}
		return;
	}
	char *s = scalar(r);
	printf("%s\n", s ? s : "");
	free(s);
}

/* ---- arguments ---- */

static json_t *
convert(const char *type, const char *name, const char *val)
{
	if (strcmp(type, "integer") == 0) {
		char *end;
		errno = 0;
		long long x = strtoll(val, &end, 10);
		if (*val == '\0' || *end != '\0' || errno) {
			fprintf(stderr, "siplinectl: %s=%s: not an integer\n", name, val);
			return NULL;
		}
		return json_integer(x);
	}
	if (strcmp(type, "boolean") == 0) {
		if (!strcmp(val, "true") || !strcmp(val, "yes") || !strcmp(val, "on") ||
				!strcmp(val, "1"))
			return json_true();
		if (!strcmp(val, "false") || !strcmp(val, "no") || !strcmp(val, "off") ||
				!strcmp(val, "0"))
			return json_false();
		fprintf(stderr, "siplinectl: %s=%s: not true or false\n", name, val);
		return NULL;
	}
	if (strcmp(type, "string") == 0) {
		json_t *s = json_string(val);
		if (s == NULL)
			/* Said, not replaced: the caller should know what is sent. */
			fprintf(stderr, "siplinectl: %s: not valid UTF-8 (JSON carries only UTF-8)\n",
					name);
		return s;
	}
	json_error_t je;
	json_t *v = json_loads(val, JSON_DECODE_ANY, &je);
	if (v == NULL)
		fprintf(stderr, "siplinectl: %s=%s: not JSON: %s\n", name, val, je.text);
	return v;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (f == NULL) {
		fprintf(stderr, "siplinectl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);
	while (b != NULL) {
		if (cap - n < 65536) {
			char *nb = realloc(b, cap *= 2);
			if (nb == NULL) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
		}
		size_t r = fread(b + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "siplinectl: %s: read error\n", path);
		free(b);
		b = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (b != NULL) {
		b[n] = '\0';
		*len = n;
	}
	return b;
}

/* Method of GROUP VERB ("stats" alone is stats.get). */
static void
method_name(const char *group, const char *verb, char *out, size_t cap)
{
	snprintf(out, cap, "%s.%s", group, verb ? verb : "get");
}

static int
group_help(const char *group)
{
	json_t *names;
	int rc = call("system.listMethods", NULL, &names, false, NULL);
	if (rc != 0)
		return rc;
	size_t glen = strlen(group), i;
	json_t *n;
	int shown = 0;
	json_array_foreach(names, i, n) {
		const char *m = json_string_value(n);
		if (strncmp(m, group, glen) != 0 || (m[glen] != '.' && m[glen] != '\0'))
			continue;
		json_t *h, *p = json_pack("{s:s}", "method", m);
		if (call("system.methodHelp", p, &h, true, NULL) == 0) {
			printf("%s%s  %s\n", shown ? "\n" : "", m,
					json_string_value(json_object_get(h, "summary")));
			size_t k;
			json_t *pp;
			json_array_foreach(json_object_get(h, "params"), k, pp)
				printf("    %s%-14s %-8s %s\n",
						json_is_true(json_object_get(pp, "required")) ? "*" : " ",
						json_string_value(json_object_get(pp, "name")),
						json_string_value(json_object_get(pp, "type")),
						json_string_value(json_object_get(pp, "help")));
			json_decref(h);
			shown++;
		}
		json_decref(p);
	}
	json_decref(names);
	if (shown == 0) {
		fprintf(stderr, "siplinectl: no method in group '%s' (siplinectl methods)\n", group);
		return EXIT_USAGE;
	}
	printf("\n(* required; give parameters as key=value, or bare in the order shown)\n");
	return 0;
}

/* Fetch every page of a paged list into one result. */
static int
call_paged(const char *method, json_t *params, json_t **result, const char *progress)
{
	int rc = call(method, params, result, false, progress);
	if (rc != 0 || json_object_get(params, "cursor") != NULL)
		return rc;
	while (json_is_string(json_object_get(*result, "next_cursor"))) {
		json_t *p2 = json_deep_copy(params), *more;
		json_object_set(p2, "cursor", json_object_get(*result, "next_cursor"));
		rc = call(method, p2, &more, false, progress);
		json_decref(p2);
		if (rc != 0)
			return rc;
		json_array_extend(json_object_get(*result, "items"), json_object_get(more, "items"));
		json_object_set(*result, "next_cursor", json_object_get(more, "next_cursor"));
		json_decref(more);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "-s") || !strcmp(a, "--socket")) && i + 1 < argc) {
			sock_path = argv[++i];
		} else if ((!strcmp(a, "-t") || !strcmp(a, "--timeout")) && i + 1 < argc) {
			timeout_s = atoi(argv[++i]);
			if (timeout_s <= 0) {
				fprintf(stderr, "siplinectl: -t needs a positive number of seconds\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json_out = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "siplinectl: unknown option %s\n", a);
			usage(stderr);
			return EXIT_USAGE;
		} else {
			break;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *group = argv[i++];
	char method[128];
	json_t *params = NULL;
	int rc;

	if (strcmp(group, "call") == 0) {
		if (i >= argc || i + 2 < argc) {
			fprintf(stderr, "usage: siplinectl call METHOD ['{json params}']\n");
			return EXIT_USAGE;
		}
		snprintf(method, sizeof(method), "%s", argv[i]);
		if (i + 1 < argc) {
			json_error_t je;
			params = json_loads(argv[i + 1], 0, &je);
			if (params == NULL) {
				fprintf(stderr, "siplinectl: params: not JSON: %s\n", je.text);
				return EXIT_USAGE;
			}
		}
		if (connect_sock() != 0)
			return EXIT_CONNECT;
		json_t *r;
		rc = call(method, params, &r, false, "waiting");
		if (rc == 0) {
			bool saved = json_out;
			json_out = true; /* a raw call prints raw JSON */
			output(method, r);
			json_out = saved;
		}
		json_decref(r);
		json_decref(params);
		return rc;
	}
	if (strcmp(group, "methods") == 0) {
		snprintf(method, sizeof(method), "system.listMethods");
	} else if (strcmp(group, "help") == 0) {
		if (connect_sock() != 0)
			return EXIT_CONNECT;
		if (i >= argc) {
			usage(stdout);
			return 0;
		}
		return group_help(argv[i]);
	} else {
		const char *verb = i < argc && strchr(argv[i], '=') == NULL &&
			strcmp(argv[i], "--help") != 0 && strcmp(argv[i], "-h") != 0 ? argv[i++] : NULL;
		if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
			if (connect_sock() != 0)
				return EXIT_CONNECT;
			return group_help(group);
		}
		if (verb == NULL && strcmp(group, "stats") != 0) {
			fprintf(stderr, "siplinectl: %s needs a verb (siplinectl %s --help)\n", group,
					group);
			return EXIT_USAGE;
		}
		method_name(group, verb, method, sizeof(method));
	}
	if (connect_sock() != 0)
		return EXIT_CONNECT;

	/* The method's parameters, to convert the arguments. */
	json_t *help = NULL;
	if (strcmp(method, "system.listMethods") != 0) {
		json_t *hp = json_pack("{s:s}", "method", method);
		rc = call("system.methodHelp", hp, &help, true, NULL);
		json_decref(hp);
		if (rc == EXIT_CONNECT)
			return rc;
		if (rc != 0) {
			fprintf(stderr, "siplinectl: no method %s (siplinectl %s --help, siplinectl "
					"methods)\n", method, group);
			return EXIT_USAGE;
		}
	}
	json_t *plist = json_object_get(help, "params");
	params = json_object();
	bool dialplan_file = !strcmp(method, "dialplan.push") || !strcmp(method, "dialplan.validate");
	bool file_push = dialplan_file || !strcmp(method, "subscribers.import") ||
		!strcmp(method, "acl.set");
	size_t next_pos = 0;
	/* Two passes: key=value first, then bare arguments fill the parameters left, in order. */
	for (int pass = 0; pass < 2; pass++) {
		for (int k = i; k < argc; k++) {
			const char *a = argv[k], *eq = strchr(a, '=');
			char name[64];
			const char *val;
			bool bare = eq == NULL || (file_push && strncmp(a, "file=", 5) == 0);
			if (bare != (pass == 1))
				continue;
			if (file_push && bare) {
				const char *path = eq ? eq + 1 : a;
				size_t len;
				char *text = read_file(path, &len);
				if (text == NULL)
					return EXIT_USAGE;
				/*
				 * JSON carries only UTF-8: a file in another encoding
				 * is refused here, not sent without its text.
				 */
				json_t *t = json_stringn(text, len);
				free(text);
				if (t == NULL) {
					fprintf(stderr, "siplinectl: %s: not valid UTF-8 text (convert it, "
							"e.g. iconv -t UTF-8)\n", path);
					return EXIT_USAGE;
				}
				json_object_set_new(params, "text", t);
				if (dialplan_file) {
					/* Only a name for messages: a name in another encoding is "file". */
					json_t *src = json_string(strcmp(path, "-") ? path : "stdin");
					json_object_set_new(params, "source", src ? src : json_string("file"));
				}
				continue;
			}
			if (!bare) {
				snprintf(name, sizeof(name), "%.*s", (int)(eq - a), a);
				val = eq + 1;
			} else {
				const json_t *p = NULL;
				while ((p = json_array_get(plist, next_pos)) != NULL &&
						json_object_get(params,
							json_string_value(json_object_get(p, "name"))))
					next_pos++;
				if (p == NULL) {
					fprintf(stderr, "siplinectl: %s: too many arguments at '%s'\n",
							method, a);
					return EXIT_USAGE;
				}
				snprintf(name, sizeof(name), "%s",
						json_string_value(json_object_get(p, "name")));
				val = a;
				next_pos++;
			}
			const char *type = NULL;
			size_t n;
			json_t *p;
			json_array_foreach(plist, n, p)
				if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
					type = json_string_value(json_object_get(p, "type"));
			if (type == NULL) {
				fprintf(stderr, "siplinectl: %s has no parameter '%s' (siplinectl %s "
						"--help)\n", method, name, group);
				return EXIT_USAGE;
			}
			json_t *v = convert(type, name, val);
			if (v == NULL)
				return EXIT_USAGE;
			json_object_set_new(params, name, v);
		}
	}
	json_decref(help);

	json_t *r = NULL;
	const char *progress = !strcmp(method, "dialplan.push") ||
		!strcmp(method, "dialplan.validate") || !strcmp(method, "dialplan.rollback") ?
		"compiling and pushing" : "waiting";
	if (json_object_get(plist, "cursor") == NULL && (!strcmp(method, "dialplan.history") ||
			!strcmp(method, "gateways.list") || !strcmp(method, "acl.list")))
		rc = call_paged(method, params, &r, progress);
	else
		rc = call(method, json_object_size(params) ? params : NULL, &r, false, progress);
	if (rc == 0)
		output(method, r);
	json_decref(r);
	json_decref(params);
	free(rbuf);
	close(sock);
	return rc;
}
