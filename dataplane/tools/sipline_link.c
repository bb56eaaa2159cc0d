/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipline-link: talk to a running dataplane over the control link, the way
 * the control plane does. For tests, scripts and operators who run the
 * dataplane alone.
 *
 *   sipline-link [--socket PATH] COMMAND ...
 *     hello                          what the dataplane serves
 *     push FILE [--kamailio]         compile FILE and publish it (memfd + SCM_RIGHTS)
 *     compile FILE OUT [--kamailio]  compile FILE into the blob a push sends (no socket)
 *     push-blob BLOB                 publish a blob written by compile, as it is
 *     loc-set AOR CONTACT IP[:PORT] [EXPIRES_S]
 *     loc-del AOR
 *     loc-clear                      an empty binding re-sync (SYNC_BEGIN, SYNC_END)
 *     gw HOST PORT up|down [udp|tcp|tls]
 *     stats [--workers]              counters by name, one "name value" per line
 *                                    (per worker "name{worker=N} value", per status
 *                                    "sent{code=302} value")
 *
 * Operators use siplinectl (through sipline-control); this tool speaks the
 * link protocol directly, for tests and for a dataplane run alone.
 *     ping
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dp_acl.h"
#include "dp_counters.h"
#include "rules.h"
#include "sip_addr.h"
#include "sl_link_io.h"

#define DEFAULT_SOCKET "/run/sipline/dataplane.sock"
#define TIMEOUT_MS 30000

static struct sl_rx reply;

static int
usage(void)
{
	fprintf(stderr,
		"usage: sipline-link [--socket PATH] COMMAND\n"
		"  hello | ping | stats [--workers] | loc-clear\n"
		"  push FILE [--kamailio]\n"
		"  compile FILE OUT [--kamailio]\n"
		"  push-blob BLOB\n"
		"  loc-set AOR CONTACT IP[:PORT] [EXPIRES_S]\n"
		"  loc-del AOR\n"
		"  gw HOST PORT up|down [udp|tcp|tls]\n"
		"  acl-push FILE | acl-clear | acl-get | src-top [N]\n");
	return 2;
}

/* Print a RESULT; its status as exit code (0 ok, 1 refused). */
static int
result(const char *what)
{
	if (reply.hdr.type != SL_MSG_RESULT || reply.hdr.len < sizeof(struct sl_result)) {
		fprintf(stderr, "sipline-link: %s: unexpected reply type %u\n", what,
				reply.hdr.type);
		return 1;
	}
	const struct sl_result *r = sl_rx_payload(&reply);
	const char *text = (const char *)(r + 1);
	uint32_t tl = r->len <= reply.hdr.len - sizeof(*r) ? r->len : 0;
	if (r->status != 0) {
		fprintf(stderr, "sipline-link: %s refused: %s\n%.*s", what, strerror(-r->status),
				(int)tl, text);
		return 1;
	}
	printf("%s: ok\n", what);
	return 0;
}

static int
call(int s, uint16_t type, const void *p, uint32_t len, int fd, const char *what)
{
	int rc = sl_link_call(s, type, p, len, fd, &reply, TIMEOUT_MS);
	if (rc != 0) {
		fprintf(stderr, "sipline-link: %s: %s\n", what, strerror(-rc));
		return -1;
	}
	return 0;
}

/* Compile path into a serialized plan (malloc'd). 0, or 1 with the errors printed. */
static int
compile_blob(const char *path, int kamailio, void **blob, size_t *len)
{
	struct rules_errors errs = {0};
	struct rules_plan *plan = kamailio ? rules_import_kamailio(path, NULL, NULL, &errs) :
		rules_compile_file(path, NULL, &errs);

	if (plan == NULL) {
		fprintf(stderr, "sipline-link: %s: %u error(s)\n", path, errs.total);
		rules_errors_print(&errs, stderr);
		rules_errors_clear(&errs);
		return 1;
	}
	if (rules_plan_serialize(plan, blob, len) != 0) {
		fprintf(stderr, "sipline-link: out of memory serializing %s\n", path);
		rules_plan_free(plan);
		return 1;
	}
	rules_plan_free(plan);
	return 0;
}

/* Write all of buf to fd. 0 or -1 (errno set). */
static int
write_all(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, (const char *)buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

/* Push len bytes of blob, named name, in a memfd. */
static int
push_blob(int s, const char *name, const void *blob, size_t len)
{
	int fd = memfd_create("sipline-plan", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, blob, len) != 0) {
		fprintf(stderr, "sipline-link: memfd: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	struct sl_plan_push pp = {.size = len};
	snprintf(pp.name, sizeof(pp.name), "%s", name);
	int rc = call(s, SL_MSG_PLAN_PUSH, &pp, sizeof(pp), fd, "push");
	close(fd);
	return rc ? 1 : result("push");
}

static int
cmd_push(int s, const char *path, int kamailio)
{
	void *blob;
	size_t len;

	if (compile_blob(path, kamailio, &blob, &len) != 0)
		return 1;
	int rc = push_blob(s, path, blob, len);
	free(blob);
	return rc;
}

/* compile FILE OUT: the blob a push would send, to push later (push-blob) or to many dataplanes. */
static int
cmd_compile(const char *path, const char *out, int kamailio)
{
	void *blob;
	size_t len;

	if (compile_blob(path, kamailio, &blob, &len) != 0)
		return 1;
	FILE *f = fopen(out, "wb");
	int rc = f == NULL || fwrite(blob, 1, len, f) != len;
	if (f != NULL && fclose(f) != 0)
		rc = 1;
	free(blob);
	if (rc) {
		fprintf(stderr, "sipline-link: %s: %s\n", out, strerror(errno));
		return 1;
	}
	printf("compile: %zu bytes written to %s\n", len, out);
	return 0;
}

static int
cmd_push_blob(int s, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *blob = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "sipline-link: %s: %s\n", path, strerror(errno));
		return 1;
	}
	do {
		if (cap - len < (1u << 20)) {
			cap = cap ? cap * 2 : 1u << 22;
			char *nb = realloc(blob, cap);
			if (nb == NULL) {
				fprintf(stderr, "sipline-link: %s: out of memory\n", path);
				free(blob);
				fclose(f);
				return 1;
			}
			blob = nb;
		}
		n = fread(blob + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	int bad = ferror(f);
	fclose(f);
	if (bad || len == 0) {
		fprintf(stderr, "sipline-link: %s: %s\n", path, bad ? "read error" : "empty");
		free(blob);
		return 1;
	}
	int rc = push_blob(s, path, blob, len);
	free(blob);
	return rc;
}

static int
cmd_loc_set(int s, int argc, char **argv)
{
	struct sl_loc_set ls;
	struct sip_addr a;

	if (argc < 3)
		return usage();
	memset(&ls, 0, sizeof(ls));
	snprintf(ls.aor, sizeof(ls.aor), "%s", argv[0]);
	snprintf(ls.contact, sizeof(ls.contact), "%s", argv[1]);
	/* IPv4, IPv4:PORT, IPv6, [IPv6] or [IPv6]:PORT */
	char host[64];
	snprintf(host, sizeof(host), "%s", argv[2]);
	char *h = host, *port = NULL;
	if (host[0] == '[') {
		char *rb = strchr(host, ']');
		if (rb != NULL) {
			*rb = '\0';
			h = host + 1;
			if (rb[1] == ':')
				port = rb + 2;
			else if (rb[1] != '\0')
				h = host; /* junk after ']': let the address check refuse it */
		}
	} else if (strchr(host, ':') == strrchr(host, ':') && strchr(host, ':') != NULL) {
		port = strchr(host, ':');
		*port++ = '\0';
	}
	ls.port = 5060;
	if (port != NULL) {
		char *e;
		unsigned long v = strtoul(port, &e, 10);
		if (*port == '\0' || *e != '\0' || v == 0 || v > 65535) {
			fprintf(stderr, "sipline-link: %s: bad port\n", argv[2]);
			return 2;
		}
		ls.port = (uint16_t)v;
	}
	if (sip_addr_parse(sip_str_make(h, strlen(h)), &a) != 0) {
		fprintf(stderr, "sipline-link: %s: not an IP address\n", host);
		return 2;
	}
	ls.af = a.af == SIP_AF_INET ? 4 : 6;
	memcpy(ls.addr, a.a, 16);
	ls.transport = 1; /* SIP_TP_UDP */
	if (argc > 3)
		ls.expires = (uint64_t)time(NULL) + strtoull(argv[3], NULL, 10);
	if (call(s, SL_MSG_LOC_SET, &ls, sizeof(ls), -1, "loc-set"))
		return 1;
	return result("loc-set");
}

static int
cmd_stats(int s, bool workers)
{
	uint32_t cursor = 0;
	for (unsigned page = 0; page < 64; page++) {
		struct sl_stats_get g = {.cursor = cursor,
			.flags = workers ? SL_STATS_PER_WORKER : 0};
		if (call(s, SL_MSG_STATS_GET, &g, sizeof(g), -1, "stats"))
			return 1;
		const struct sl_stats *st = sl_rx_payload(&reply);
		if (reply.hdr.type != SL_MSG_STATS || reply.hdr.len < sizeof(*st)) {
			fprintf(stderr, "sipline-link: stats: unexpected reply\n");
			return 1;
		}
		const unsigned char *p = (const unsigned char *)(st + 1);
		const unsigned char *end = (const unsigned char *)st + reply.hdr.len;
		for (uint32_t i = 0; i < st->n; i++) {
			struct sl_stat v;
			if ((size_t)(end - p) < sizeof(v))
				break;
			memcpy(&v, p, sizeof(v));
			if ((size_t)(end - p) < SL_STAT_SIZE(v.name_len))
				break;
			const char *name = (const char *)p + sizeof(v);
			if (v.code != 0)
				printf("%.*s{code=%u} %llu\n", v.name_len, name, v.code,
						(unsigned long long)v.value);
			else if (v.worker != SL_STAT_ALL)
				printf("%.*s{worker=%u} %llu\n", v.name_len, name, v.worker,
						(unsigned long long)v.value);
			else
				printf("%.*s %llu\n", v.name_len, name, (unsigned long long)v.value);
			p += SL_STAT_SIZE(v.name_len);
		}
		cursor = st->next;
		sl_rx_reset(&reply);
		if (cursor == 0)
			return 0;
	}
	fprintf(stderr, "sipline-link: stats: too many pages\n");
	return 1;
}

/* ACL_PUSH of a file's text (the control plane's acl.set, without it). */
static int
cmd_acl_push(int s, const char *path)
{
	char err[300];
	size_t len;
	char *text = dp_acl_read(path, &len, err, sizeof(err));
	if (text == NULL) {
		fprintf(stderr, "sipline-link: %s\n", err);
		return 1;
	}
	int fd = memfd_create("sipline-acl", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, text, len) != 0) {
		fprintf(stderr, "sipline-link: memfd: %s\n", strerror(errno));
		free(text);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	free(text);
	struct sl_acl_push ap = {.size = len, .version = (uint64_t)time(NULL)};
	int rc = call(s, SL_MSG_ACL_PUSH, &ap, sizeof(ap), fd, "acl-push") ? 1 : result("acl-push");
	close(fd);
	return rc;
}

static int
cmd_acl_get(int s)
{
	struct sl_acl_state st;
	if (call(s, SL_MSG_ACL_GET, NULL, 0, -1, "acl-get"))
		return 1;
	if (reply.hdr.type != SL_MSG_ACL_STATE || reply.hdr.len < sizeof(st))
		return result("acl-get"); /* an older dataplane: -ENOTSUP */
	memcpy(&st, sl_rx_payload(&reply), sizeof(st));
	printf("source %s\nversion %llu\nsha256 %.64s\nentries %u\ndefault %s\n",
			st.source == SL_ACL_PUSHED ? "pushed" : st.source == SL_ACL_FILE ? "file" :
			"none", (unsigned long long)st.version, st.sha256, st.entries,
			dp_acl_verdict_name(st.dflt));
	return 0;
}

static int
cmd_src_top(int s, unsigned n)
{
	struct sl_src_top_get g = {.n = n};
	struct sl_src_top h;
	if (call(s, SL_MSG_SRC_TOP_GET, &g, sizeof(g), -1, "src-top"))
		return 1;
	if (reply.hdr.type != SL_MSG_SRC_TOP || reply.hdr.len < sizeof(h))
		return result("src-top");
	memcpy(&h, sl_rx_payload(&reply), sizeof(h));
	if (h.n > SL_SRC_TOP_MAX || reply.hdr.len < sizeof(h) + h.n * sizeof(struct sl_src_entry))
		return 1;
	printf("rate %u\nburst %u\nban_s %u\ntracked %llu\ncapacity %llu\ntable_bytes %llu\n",
			h.rate, h.burst, h.ban_s, (unsigned long long)h.tracked,
			(unsigned long long)h.capacity, (unsigned long long)h.table_bytes);
	for (uint32_t i = 0; i < h.n; i++) {
		struct sl_src_entry e;
		memcpy(&e, (const char *)sl_rx_payload(&reply) + sizeof(h) + i * sizeof(e),
				sizeof(e));
		struct sip_addr a = {.af = e.af};
		char text[48];
		memcpy(a.a, e.addr, sizeof(a.a));
		size_t tl = sip_addr_format(&a, text, sizeof(text) - 1);
		text[tl] = '\0';
		printf("src %s drops %llu bans %u ban_left_ms %u\n", text,
				(unsigned long long)e.drops, e.bans, e.ban_left_ms);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = DEFAULT_SOCKET;
	char err[256];
	int i = 1, rc;

	if (i + 1 < argc && strcmp(argv[i], "--socket") == 0) {
		path = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return usage();
	if (strcmp(argv[i], "compile") == 0) {
		if (i + 2 >= argc)
			return usage();
		return cmd_compile(argv[i + 1], argv[i + 2],
				i + 3 < argc && strcmp(argv[i + 3], "--kamailio") == 0);
	}
	int s = sl_link_connect(path, err, sizeof(err));
	if (s < 0) {
		fprintf(stderr, "sipline-link: %s\n", err);
		return 1;
	}
	const char *cmd = argv[i++];
	struct sl_hello h = {{0}};
	snprintf(h.who, sizeof(h.who), "sipline-link");

	if (strcmp(cmd, "hello") == 0) {
		if (call(s, SL_MSG_HELLO, &h, sizeof(h), -1, "hello"))
			return 1;
		const struct sl_hello_ack *a = sl_rx_payload(&reply);
		if (reply.hdr.type != SL_MSG_HELLO_ACK || reply.hdr.len < sizeof(*a))
			return 1;
		printf("plan_version %llu\nplan_sha256 %.64s\nbindings %u\nlcores %u\nuptime_s %llu\n"
		       "pid %u\nname %.31s\ngateways_down %u\nkey_fp ",
				(unsigned long long)a->plan_version, a->plan_sha256, a->bindings,
				a->lcores, (unsigned long long)a->uptime_s, a->pid, a->name,
				a->gateways_down);
		for (unsigned k = 0; k < SL_KEY_FP_LEN; k++)
			printf("%02x", a->key_fp[k]);
		printf("\n");
		rc = 0;
	} else if (strcmp(cmd, "ping") == 0) {
		rc = call(s, SL_MSG_PING, NULL, 0, -1, "ping") ? 1 : result("ping");
	} else if (strcmp(cmd, "push") == 0 && i < argc) {
		rc = cmd_push(s, argv[i], i + 1 < argc && strcmp(argv[i + 1], "--kamailio") == 0);
	} else if (strcmp(cmd, "push-blob") == 0 && i < argc) {
		rc = cmd_push_blob(s, argv[i]);
	} else if (strcmp(cmd, "loc-set") == 0) {
		rc = cmd_loc_set(s, argc - i, argv + i);
	} else if (strcmp(cmd, "loc-del") == 0 && i < argc) {
		struct sl_loc_del d = {{0}};
		snprintf(d.aor, sizeof(d.aor), "%s", argv[i]);
		rc = call(s, SL_MSG_LOC_DEL, &d, sizeof(d), -1, "loc-del") ? 1 : result("loc-del");
	} else if (strcmp(cmd, "loc-clear") == 0) {
		/* Mark-and-sweep with nothing marked: every binding goes. */
		struct sl_sync sy = {.what = SL_SYNC_BINDINGS};
		rc = call(s, SL_MSG_SYNC_BEGIN, &sy, sizeof(sy), -1, "sync-begin") ? 1 :
			result("sync-begin");
		if (rc == 0)
			rc = call(s, SL_MSG_SYNC_END, &sy, sizeof(sy), -1, "loc-clear") ? 1 :
				result("loc-clear");
	} else if (strcmp(cmd, "gw") == 0 && i + 2 < argc) {
		struct sl_gw_state g = {{0}};
		snprintf(g.host, sizeof(g.host), "%s", argv[i]);
		g.port = (uint16_t)atoi(argv[i + 1]);
		g.down = strcmp(argv[i + 2], "down") == 0;
		const char *tp = i + 3 < argc ? argv[i + 3] : "udp";
		g.transport = strcmp(tp, "tcp") == 0 ? RULES_TP_TCP :
			strcmp(tp, "tls") == 0 ? RULES_TP_TLS : RULES_TP_UDP;
		rc = call(s, SL_MSG_GW_STATE, &g, sizeof(g), -1, "gw") ? 1 : result("gw");
	} else if (strcmp(cmd, "stats") == 0) {
		rc = cmd_stats(s, i < argc && strcmp(argv[i], "--workers") == 0);
	} else if (strcmp(cmd, "acl-push") == 0 && i < argc) {
		rc = cmd_acl_push(s, argv[i]);
	} else if (strcmp(cmd, "acl-clear") == 0) {
		struct sl_acl_push ap = {.flags = SL_ACL_CLEAR};
		rc = call(s, SL_MSG_ACL_PUSH, &ap, sizeof(ap), -1, "acl-clear") ? 1 :
			result("acl-clear");
	} else if (strcmp(cmd, "acl-get") == 0) {
		rc = cmd_acl_get(s);
	} else if (strcmp(cmd, "src-top") == 0) {
		rc = cmd_src_top(s, i < argc ? (unsigned)atoi(argv[i]) : 10);
	} else {
		rc = usage();
	}
	close(s);
	return rc;
}
