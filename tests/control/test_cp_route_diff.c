/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One decision, two processes (issue 10 point 1): one corpus of messages
 * run through
 *   (a) the dataplane worker's decision: dp_sip_begin() + dp_route_burst()
 *       + dp_sip_finish() with the configuration dp_options_sip_config()
 *       builds (as dataplane/dp_setup.c does), the plan loaded from the
 *       serialized blob, bindings decoded from LOC_SET frames;
 *   (b) the control plane's relay (cp_relay.c) with its router (cp_route.c)
 *       given the same blob, the same LOC_SET frames and the same secret
 *       file,
 * must give identical actions and identical bytes (branches, To-tags,
 * Record-Route signatures) to the same destination. The documented
 * differences (docs/dataplane.md "Transport bridging") are asserted
 * explicitly: where an attached dataplane punts a TCP/TLS next hop or a
 * large request, the control plane sends it, byte for byte what the
 * dataplane's own code builds with the bridge capability; without a
 * stream sender the control plane answers exactly the dataplane's 503.
 * The corpus: the RFC 4475/5118 torture messages ($SIPLINE_CORPUS) plus
 * generated requests (redirect, UDP/TCP/TLS gateways, registered contacts
 * over UDP/TCP and with a Path, rejects, drops, no route, CANCEL, OPTIONS,
 * in-dialog through our signed Route, responses to what was forwarded).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "corpus.h"
#include "cp_loop.h"
#include "cp_relay.h"
#include "cp_route.h"
#include "dp_keys.h"
#include "dp_options.h"
#include "dp_route.h"
#include "rules.h"
#include "rules_swap.h"
#include "sl_link.h"

#define ROUTER "10.0.0.1"
#define CLIENT "192.0.2.10"
#define NOW 1000000u
#define KEY "00112233445566778899aabbccddeeff"

static const char plan_text[] =
	"plan diff\n"
	"group gw 10.0.0.20:5080\n"
	"group tcp 10.0.0.21:5060;transport=tcp\n"
	"group tls 10.0.0.22:5061;transport=tls\n"
	"10 prefix 302 redirect 302 contact sip:+4930111@gw1.example.net\n"
	"10 prefix 100 forward gw\n"
	"10 prefix 101 forward tcp\n"
	"10 prefix 104 forward tls\n"
	"10 prefix 403 reject 403 \"Barred\"\n"
	"10 prefix 666 drop\n";

/* ---- the two sides ---- */

static uint16_t port;
static char key_path[64];
static void *blob;
static size_t blob_len;

/* (a) the dataplane's */
static struct dp_sip_config dcfg4, dcfg6;
static struct sip_keyring dkeys;
static struct dp_counters dcnt;
static struct rules_swap *dsw;
static struct dp_loc *dloc;
static struct dp_route_scratch dscratch;
static struct dp_sip_job djob;

/* (b) the control plane's */
static struct cp_loop *loop;
static struct cp_relay *relay;
static struct cp_route *route;

/* What one side did with a message. */
struct outcome {
	enum dp_action act;         /* DP_ACT_SEND, DROP or EXCEPTION */
	int why;                    /* the PUNT_ / EXC_ counter of an exception, else -1 */
	char buf[16384];
	uint32_t len;
	struct sip_addr dst;
	uint16_t dport;
	uint8_t transport;
	char tls_name[256];
};

static struct outcome *cap;     /* where the relay's hooks write */

static void
no_sync(void *ctx)
{
	(void)ctx;
}

static int
fake_udp(void *ctx, const char *buf, size_t len, const struct sip_addr *dst, uint16_t dport)
{
	(void)ctx;
	assert_non_null(cap);
	assert_int_equal(cap->act, DP_ACT_DROP); /* one output per input */
	assert_true(len < sizeof(cap->buf));
	memcpy(cap->buf, buf, len);
	cap->len = (uint32_t)len;
	cap->dst = *dst;
	cap->dport = dport;
	cap->transport = SIP_TP_UDP;
	cap->act = DP_ACT_SEND;
	return 0;
}

static int
fake_stream(void *ctx, uint8_t transport, const struct sip_addr *dst, uint16_t dport,
		const char *tls_name, const char *buf, size_t len)
{
	(void)ctx;
	assert_non_null(cap);
	assert_int_equal(cap->act, DP_ACT_DROP);
	assert_true(len < sizeof(cap->buf));
	memcpy(cap->buf, buf, len);
	cap->len = (uint32_t)len;
	cap->dst = *dst;
	cap->dport = dport;
	cap->transport = transport;
	snprintf(cap->tls_name, sizeof(cap->tls_name), "%s", tls_name);
	cap->act = DP_ACT_SEND;
	return 0;
}

/* LOC_SET frames as the registrar pushes them (the Path tail when there is one). */
struct loc_frame {
	struct sl_loc_set ls;
	struct sl_loc_path lp;
	char path[SL_LOC_PATH_MAX];
};

static uint32_t
loc_frame(struct loc_frame *f, const char *aor, const char *contact, const char *addr,
		uint16_t p, uint8_t tp, const char *path)
{
	struct sip_addr a;
	memset(f, 0, sizeof(*f));
	snprintf(f->ls.aor, sizeof(f->ls.aor), "%s", aor);
	snprintf(f->ls.contact, sizeof(f->ls.contact), "%s", contact);
	assert_int_equal(sip_addr_parse(sip_str_make(addr, strlen(addr)), &a), 0);
	f->ls.af = a.af == SIP_AF_INET ? 4 : 6;
	memcpy(f->ls.addr, a.a, 16);
	f->ls.port = p;
	f->ls.transport = tp;
	if (path == NULL)
		return sizeof(f->ls);
	f->lp.len = (uint32_t)strlen(path);
	memcpy(f->path, path, f->lp.len);
	return (uint32_t)(sizeof(f->ls) + sizeof(f->lp) + f->lp.len);
}

static void
push_binding(const char *aor, const char *contact, const char *addr, uint16_t p, uint8_t tp,
		const char *path)
{
	struct loc_frame f;
	struct dp_binding b;
	char err[96];
	uint32_t len = loc_frame(&f, aor, contact, addr, p, tp, path);

	/* What dataplane/dp_link.c does with the frame, and what the relay's router does. */
	assert_int_equal(dp_loc_from_link(&f, len, &b, err, sizeof(err)), 0);
	assert_int_equal(dp_loc_set(dloc, &b), 0);
	assert_int_equal(cp_route_loc_set(route, &f.ls, len), 0);
}

static int
setup(void **state)
{
	struct dp_options o;
	struct dp_key_file kf;
	struct rules_errors errs;
	char err[256];
	(void)state;

	/* The same secret file for both (the relay reads it; so does the dataplane). */
	snprintf(key_path, sizeof(key_path), "/tmp/sipline-diff-key.%d", (int)getpid());
	int fd = open(key_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, KEY "\n", 33), 33);
	close(fd);
	assert_int_equal(dp_key_file_read(key_path, &kf, err, sizeof(err)), 0);
	dp_keyring_next(NULL, &kf, &dkeys);

	/* The dataplane's configuration, as dp_setup.c builds it. */
	port = (uint16_t)(20000 + getpid() % 20000);
	dp_options_defaults(&o);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT(ROUTER), &o.addr4), 0);
	o.prefix4 = 24;
	o.port = port;
	o.record_route = true;
	if (dp_options_sip_config(&o, &dkeys, &dcfg4, &dcfg6, err, sizeof(err)) != 0)
		fail_msg("%s", err);

	/* One compiled plan, serialized: the blob both load. */
	memset(&errs, 0, sizeof(errs));
	struct rules_plan *plan = rules_compile_text(plan_text, sizeof(plan_text) - 1, "diff",
			NULL, &errs);
	if (plan == NULL)
		rules_errors_print(&errs, stderr);
	assert_non_null(plan);
	assert_int_equal(rules_plan_serialize(plan, &blob, &blob_len), 0);
	rules_plan_free(plan);
	const struct rules_rcu_ops ops = {.synchronize = no_sync};
	dsw = rules_swap_create(1, &ops);
	assert_non_null(dsw);
	assert_int_equal(rules_swap_load_blob(dsw, blob, blob_len, &errs), 0);
	dloc = dp_loc_create(64, no_sync, NULL);
	assert_non_null(dloc);

	/* The control plane: relay on the same address, port and key; its router. */
	loop = cp_loop_create();
	assert_non_null(loop);
	route = cp_route_create(64);
	assert_non_null(route);
	cp_route_set_clock(route, NOW);
	if (cp_route_set_plan(route, blob, blob_len, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	struct cp_relay_conf rc = {.port = port, .record_route = true, .no_route_code = 404};
	snprintf(rc.addr, sizeof(rc.addr), ROUTER "/24");
	snprintf(rc.secret_file, sizeof(rc.secret_file), "%s", key_path);
	relay = cp_relay_create(loop, NULL, &rc, err, sizeof(err));
	if (relay == NULL)
		fail_msg("relay: %s", err);
	cp_relay_set_route(relay, cp_route_lookup, route);
	cp_relay_set_udp_sender(relay, fake_udp, NULL);

	/* The same pushed bindings. */
	push_binding("alice@" ROUTER, "sip:alice@192.0.2.7:5062", "192.0.2.7", 5062, SIP_TP_UDP,
			NULL);
	push_binding("bob@" ROUTER, "sip:bob@192.0.2.8:40000;transport=tcp", "192.0.2.8", 40000,
			SIP_TP_TCP, NULL);
	push_binding("carol@" ROUTER, "sip:carol@192.0.2.9", "192.0.2.30", 5060, SIP_TP_UDP,
			"<sip:192.0.2.30;lr>, <sip:edge2.example.net;lr>");
	push_binding("dave@" ROUTER, "sips:dave@192.0.2.11:40001", "192.0.2.11", 40001,
			SIP_TP_TLS, NULL);
	assert_int_equal(cp_route_bindings(route), 4);
	assert_int_equal(dp_loc_count(dloc), 4);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cp_relay_free(relay);
	cp_route_free(route);
	cp_loop_free(loop);
	rules_swap_free(dsw);
	dp_loc_free(dloc);
	free(blob);
	unlink(key_path);
	return 0;
}

/* The PUNT_/EXC_ counter that moved between before and after, or -1. */
static int
exception_reason(const struct dp_counters *before, const struct dp_counters *after)
{
	static const enum dp_counter why[] = {
		DP_C_EXC_REGISTER, DP_C_PUNT_NEEDS_DNS, DP_C_PUNT_GATEWAY_TRANSPORT,
		DP_C_PUNT_CONTACT_TRANSPORT, DP_C_PUNT_DIALOG_TRANSPORT, DP_C_PUNT_LARGE_REQUEST,
		DP_C_PUNT_RESPONSE_TRANSPORT,
	};
	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (after->v[why[i]] != before->v[why[i]])
			return (int)why[i];
	return -1;
}

/* (a): the worker's three steps, with bridge flags as the link set them. */
static void
dp_decide(const char *msg, size_t len, const struct sip_addr *src, uint16_t sport,
		unsigned bridge, struct outcome *o)
{
	struct dp_sip_env env = {.cfg = &dcfg4, .cnt = &dcnt};
	struct dp_pkt_in in = {.payload = msg, .len = (uint32_t)len, .src = *src, .sport = sport};
	struct dp_pkt_out out = {.buf = o->buf, .cap = sizeof(o->buf)};
	struct dp_sip_job *pj = &djob;
	struct dp_router rt = {.loc = dloc, .rules = dsw};
	static struct dp_counters before;

	memset(o, 0, sizeof(*o));
	before = dcnt;
	dcfg4.bridge = (uint8_t)bridge;
	enum dp_action a = dp_sip_begin(&env, &in, &out, &djob);
	if (a == DP_ACT_ROUTE) {
		dp_route_burst(&rt, &dscratch, NOW, &pj, 1);
		a = dp_sip_finish(&env, &djob);
	}
	dcfg4.bridge = 0;
	o->act = a;
	o->why = a == DP_ACT_EXCEPTION ? exception_reason(&before, &dcnt) : -1;
	if (a == DP_ACT_SEND) {
		o->len = out.len;
		o->dst = out.dst;
		o->dport = out.dport;
		o->transport = out.transport;
		snprintf(o->tls_name, sizeof(o->tls_name), "%.*s", (int)out.tls_name.len,
				out.tls_name.p ? out.tls_name.p : "");
	}
}

/* (b): a datagram into the relay (as the kernel hands it the punted packet). */
static void
cp_decide(const char *msg, size_t len, const struct sip_addr *src, uint16_t sport, bool streams,
		struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->act = DP_ACT_DROP;
	o->why = -1;
	cp_relay_set_stream_sender(relay, streams ? fake_stream : NULL, NULL);
	cap = o;
	cp_relay_input_udp(relay, msg, len, src, sport);
	cap = NULL;
}

static bool
same_output(const struct outcome *a, const struct outcome *b)
{
	return a->act == b->act && a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0 &&
		sip_addr_eq(&a->dst, &b->dst) && a->dport == b->dport &&
		a->transport == b->transport && strcmp(a->tls_name, b->tls_name) == 0;
}

/* What the corpus exercised: each must be seen, or the test proves nothing. */
enum seen {
	SEEN_SAME_SEND, SEEN_SAME_DROP, SEEN_REGISTER, SEEN_BRIDGE_GW, SEEN_BRIDGE_CONTACT,
	SEEN_BRIDGE_LARGE, SEEN_BRIDGE_RESPONSE, SEEN_BRIDGE_DIALOG, SEEN_REDIRECT, SEEN_FORWARD,
	SEEN_IN_DIALOG, SEEN_RESPONSE, SEEN_PATH, SEEN__N
};
static unsigned seen[SEEN__N];
static const char *const seen_name[SEEN__N] = {
	"same send", "same drop", "REGISTER", "bridged gateway", "bridged contact",
	"bridged large request", "bridged response", "bridged in-dialog", "redirect",
	"forward", "in-dialog forward", "response forward", "Route from Path",
};

static struct outcome d, c, d0, c0, dbr;

/*
 * Compare both sides on one message; returns the dataplane's outcome
 * (attached) in d for callers that build on it.
 */
static void
compare(const char *name, const char *msg, size_t len, const char *src_txt, uint16_t sport)
{
	struct sip_addr src;
	assert_int_equal(sip_addr_parse(sip_str_make(src_txt, strlen(src_txt)), &src), 0);

	/* Attached dataplane vs. the relay with a stream sender. */
	dp_decide(msg, len, &src, sport, DP_BRIDGE_PUNT, &d);
	cp_decide(msg, len, &src, sport, true, &c);
	switch (d.act) {
	case DP_ACT_SEND:
		if (!same_output(&d, &c))
			fail_msg("%s: the dataplane sent\n%.*s\nthe control plane %s\n%.*s", name,
					(int)d.len, d.buf, c.act == DP_ACT_SEND ? "sent" : "did not",
					(int)c.len, c.buf);
		seen[SEEN_SAME_SEND]++;
		if (strncmp(d.buf, "SIP/2.0 3", 9) == 0)
			seen[SEEN_REDIRECT]++;
		if (strncmp(d.buf, "SIP/2.0", 7) != 0 && memmem(d.buf, d.len, "Record-Route:", 13))
			seen[SEEN_FORWARD]++;
		if (memmem(d.buf, d.len, "Route: <sip:192.0.2.30;lr>", 26) != NULL)
			seen[SEEN_PATH]++;
		break;
	case DP_ACT_DROP:
		if (c.act != DP_ACT_DROP)
			fail_msg("%s: the dataplane dropped it, the control plane sent\n%.*s", name,
					(int)c.len, c.buf);
		seen[SEEN_SAME_DROP]++;
		break;
	case DP_ACT_EXCEPTION:
		if (d.why == DP_C_EXC_REGISTER || d.why == DP_C_PUNT_NEEDS_DNS) {
			/* The registrar's; a name the relay cannot resolve here (no DNS): dropped. */
			if (c.act != DP_ACT_DROP)
				fail_msg("%s: REGISTER or name: the relay sent it", name);
			seen[SEEN_REGISTER]++;
			break;
		}
		/*
		 * The documented difference: the control plane sends what the
		 * attached dataplane punts, exactly as the dataplane's code
		 * builds it with the bridge capability.
		 */
		dp_decide(msg, len, &src, sport, DP_BRIDGE_LARGE | DP_BRIDGE_STREAMS, &dbr);
		if (c.act != DP_ACT_SEND || !same_output(&dbr, &c))
			fail_msg("%s: punted (%s) but the control plane %s\n%.*s", name,
					d.why >= 0 ? dp_counter_name((enum dp_counter)d.why) : "?",
					c.act == DP_ACT_SEND ? "sent other bytes" : "did not send",
					(int)c.len, c.buf);
		if (d.why == DP_C_PUNT_LARGE_REQUEST) {
			assert_int_equal(c.transport, SIP_TP_UDP);
			assert_true(c.len > DP_BRIDGE_LARGE_LEN);
			seen[SEEN_BRIDGE_LARGE]++;
		} else {
			assert_true(c.transport == SIP_TP_TCP || c.transport == SIP_TP_TLS);
			seen[d.why == DP_C_PUNT_GATEWAY_TRANSPORT ? SEEN_BRIDGE_GW :
				d.why == DP_C_PUNT_CONTACT_TRANSPORT ? SEEN_BRIDGE_CONTACT :
				d.why == DP_C_PUNT_DIALOG_TRANSPORT ? SEEN_BRIDGE_DIALOG :
				SEEN_BRIDGE_RESPONSE]++;
		}
		break;
	default:
		fail_msg("%s: action %d", name, d.act);
	}

	/*
	 * A dataplane alone vs. the relay without a stream sender: identical,
	 * 503 for TCP/TLS next hops included (large requests: both send).
	 */
	dp_decide(msg, len, &src, sport, 0, &d0);
	cp_decide(msg, len, &src, sport, false, &c0);
	if (d0.act == DP_ACT_EXCEPTION) {
		if (c0.act != DP_ACT_DROP)
			fail_msg("%s: alone: REGISTER or name, but the relay sent it", name);
	} else {
		/*
		 * A response to a TCP/TLS Via: the dataplane alone sends it over UDP
		 * (the worker's only transport), so does a relay without a stream
		 * sender (its UDP socket): compared as UDP.
		 */
		if (d0.act == DP_ACT_SEND && d0.transport != SIP_TP_UDP)
			d0.transport = SIP_TP_UDP;
		if (!(d0.act == DP_ACT_SEND ? same_output(&d0, &c0) : c0.act == DP_ACT_DROP))
			fail_msg("%s: alone: the dataplane %s\n%.*s\nthe relay %s\n%.*s", name,
					d0.act == DP_ACT_SEND ? "sent" : "dropped it", (int)d0.len,
					d0.buf, c0.act == DP_ACT_SEND ? "sent" : "dropped it",
					(int)c0.len, c0.buf);
	}
	/* Put d back: callers build on the attached outcome. */
	dp_decide(msg, len, &src, sport, DP_BRIDGE_PUNT, &d);
}

/* ---- the corpus ---- */

static void
test_torture_corpus(void **state)
{
	char **names;
	size_t n;
	(void)state;

	if (corpus_dir() == NULL)
		fail_msg("SIPLINE_CORPUS is not set (meson sets it to ../shared/corpus)");
	const char *subs[] = {"rfc4475", "rfc5118"};
	unsigned total = 0;
	for (size_t s = 0; s < 2; s++) {
		assert_int_equal(corpus_list(subs[s], ".sip", &names, &n), 0);
		assert_true(n > 0);
		for (size_t i = 0; i < n; i++) {
			char path[256], *buf;
			size_t len;
			snprintf(path, sizeof(path), "%s/%s", subs[s], names[i]);
			assert_int_equal(corpus_read(path, &buf, &len), 0);
			compare(path, buf, len, CLIENT, 5062);
			free(buf);
			total++;
		}
		corpus_list_free(names, n);
	}
	assert_true(total >= 60);
	assert_true(seen[SEEN_SAME_SEND] > 0);
	assert_true(seen[SEEN_SAME_DROP] > 0);
}

static const char *
request(const char *method, const char *user, const char *to_tag, const char *extra,
		size_t body)
{
	static char buf[8192], b[4096];
	assert_true(body < sizeof(b));
	memset(b, 's', body);
	b[body] = '\0';
	snprintf(buf, sizeof(buf),
			"%s sip:%s@" ROUTER " SIP/2.0\r\n"
			"Via: SIP/2.0/UDP " CLIENT ":5062;rport;branch=z9hG4bK-%s-1\r\n"
			"Max-Forwards: 70\r\n"
			"From: \"Alice\" <sip:alice@" CLIENT ">;tag=a1\r\n"
			"To: <sip:%s@" ROUTER ">%s%s\r\n"
			"Call-ID: diff-%s@" CLIENT "\r\n"
			"CSeq: 1 %s\r\n"
			"Contact: <sip:alice@" CLIENT ":5062>\r\n"
			"%s"
			"Content-Length: %zu\r\n"
			"\r\n%s",
			method, user, user, user, to_tag ? ";tag=" : "", to_tag ? to_tag : "", user,
			method, extra ? extra : "", body, b);
	return buf;
}

/* A response from the next hop to the request forwarded in fwd. */
static const char *
response_to(const char *fwd, size_t len, const char *status_line)
{
	static char buf[8192];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s\r\n", status_line);
	const char *p = (const char *)memmem(fwd, len, "\r\n", 2) + 2;
	while (p < fwd + len && *p != '\r') {
		const char *e = (const char *)memmem(p, (size_t)(fwd + len - p), "\r\n", 2) + 2;
		if (strncmp(p, "Via:", 4) == 0 || strncmp(p, "From:", 5) == 0 ||
				strncmp(p, "Call-ID:", 8) == 0 || strncmp(p, "CSeq:", 5) == 0 ||
				strncmp(p, "Record-Route:", 13) == 0) {
			memcpy(buf + n, p, (size_t)(e - p));
			n += (size_t)(e - p);
		} else if (strncmp(p, "To:", 3) == 0) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%.*s;tag=callee1\r\n",
					(int)(e - p - 2), p);
		}
		p = e;
	}
	snprintf(buf + n, sizeof(buf) - n,
			"Contact: <sip:callee@10.0.0.20:5080>\r\nContent-Length: 0\r\n\r\n");
	return buf;
}

struct gen_case {
	const char *name;
	const char *method;
	const char *user;
	size_t body;
	bool respond;              /* also run the next hop's 200 to what was forwarded */
};

static const struct gen_case gen_cases[] = {
	{"redirect", "INVITE", "302555", 0, false},
	{"forward to the UDP gateway", "INVITE", "100555", 200, true},
	{"forward to the TCP gateway", "INVITE", "101555", 0, false},
	{"forward to the TLS gateway", "INVITE", "104555", 0, false},
	{"forward of 1400 bytes", "INVITE", "100556", 1400, true},
	{"reject", "INVITE", "403555", 0, false},
	{"drop", "INVITE", "666555", 0, false},
	{"no route", "INVITE", "555", 0, false},
	{"CANCEL of a rejected call", "CANCEL", "403555", 0, false},
	{"MESSAGE forwarded", "MESSAGE", "100557", 30, true},
	{"registered over UDP", "INVITE", "alice", 0, true},
	{"registered over TCP", "INVITE", "bob", 0, false},
	{"registered over TLS", "INVITE", "dave", 0, false},
	{"registered behind a Path", "INVITE", "carol", 0, true},
	{"REGISTER: the registrar's", "REGISTER", "alice", 0, false},
	{"OPTIONS to the router", "OPTIONS", "", 0, false},
};

static void
test_generated(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gen_cases) / sizeof(gen_cases[0]); i++) {
		const struct gen_case *g = &gen_cases[i];
		const char *msg;
		char opt[512];
		if (g->user[0] == '\0') {
			snprintf(opt, sizeof(opt), "OPTIONS sip:" ROUTER " SIP/2.0\r\n"
					"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKopt\r\n"
					"Max-Forwards: 70\r\nFrom: <sip:a@" CLIENT ">;tag=o1\r\n"
					"To: <sip:" ROUTER ">\r\nCall-ID: opt@" CLIENT "\r\n"
					"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
			msg = opt;
		} else {
			msg = request(g->method, g->user, NULL, NULL, g->body);
		}
		compare(g->name, msg, strlen(msg), CLIENT, 5062);
		if (!g->respond)
			continue;
		/* The response to what was sent: the attached dataplane's output. */
		static char fwd[16384];
		const struct outcome *src = d.act == DP_ACT_SEND ? &d : &c;
		assert_int_equal(src->act, DP_ACT_SEND);
		memcpy(fwd, src->buf, src->len);
		size_t fl = src->len;
		char from[48];
		from[sip_addr_format(&src->dst, from, sizeof(from) - 1)] = '\0'; /* not terminated */
		uint16_t fport = src->dport;
		const char *resp = response_to(fwd, fl, "SIP/2.0 200 OK");
		char rname[128];
		snprintf(rname, sizeof(rname), "%s: its 200", g->name);
		compare(rname, resp, strlen(resp), from, fport);
		seen[SEEN_RESPONSE]++;
	}
}

/* Our Record-Route as the caller's in-dialog requests carry it (sip_rrsig_down()). */
static const char *
route_down(const char *uri, const char *callid, const char *target)
{
	static char buf[2][256];
	static unsigned next;
	char sig[SIP_RRSIG_LEN];
	char *b = buf[next++ % 2];

	sip_rrsig_down(sip_str_make(callid, strlen(callid)), SIP_STR_LIT("a1"),
			SIP_STR_LIT("b1"), sip_str_make(target, strlen(target)), &dkeys.cur, sig);
	snprintf(b, sizeof(buf[0]), "<%s;sl=%.*s>", uri, SIP_RRSIG_LEN, sig);
	return b;
}

/*
 * In-dialog requests with our signed Route: to a UDP target (both send,
 * identical), and through an RFC 5658 pair whose second entry says TCP
 * (the attached dataplane punts; the relay sends over TCP); a forged
 * signature (both answer 403).
 */
static void
test_in_dialog(void **state)
{
	char msg[2048], rr1[128], rr2[128], rset[600];
	(void)state;

	snprintf(rr1, sizeof(rr1), "sip:" ROUTER ":%u;lr", port);
	snprintf(rr2, sizeof(rr2), "sip:" ROUTER ":%u;transport=tcp;lr", port);
	const struct {
		const char *name, *target, *callid;
		bool pair, forged;
	} cases[] = {
		{"in-dialog BYE to a UDP target", "sip:bob@10.0.0.20:5080", "dlg1@" CLIENT, false,
			false},
		{"in-dialog BYE through a UDP/TCP pair", "sip:bob@192.0.2.8:40000",
			"dlg2@" CLIENT, true, false},
		{"in-dialog BYE with a forged Route", "sip:bob@10.0.0.20:5080", "dlg3@" CLIENT,
			false, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r1 = route_down(rr1, cases[i].callid,
				cases[i].forged ? "sip:elsewhere@10.9.9.9" : cases[i].target);
		if (cases[i].pair)
			snprintf(rset, sizeof(rset), "Route: %s, <%s>\r\n", r1, rr2);
		else
			snprintf(rset, sizeof(rset), "Route: %s\r\n", r1);
		snprintf(msg, sizeof(msg),
				"BYE %s SIP/2.0\r\n"
				"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKbye%zu\r\n"
				"Max-Forwards: 70\r\n"
				"%s"
				"From: <sip:alice@" CLIENT ">;tag=a1\r\n"
				"To: <sip:bob@" ROUTER ">;tag=b1\r\n"
				"Call-ID: %s\r\n"
				"CSeq: 2 BYE\r\n"
				"Content-Length: 0\r\n\r\n",
				cases[i].target, i, rset, cases[i].callid);
		compare(cases[i].name, msg, strlen(msg), CLIENT, 5062);
		if (!cases[i].pair && !cases[i].forged) {
			assert_int_equal(d.act, DP_ACT_SEND);
			assert_false(memmem(d.buf, d.len, "Route:", 6) != NULL);
			seen[SEEN_IN_DIALOG]++;
		}
		if (cases[i].forged)
			assert_int_equal(strncmp(d.buf, "SIP/2.0 403 ", 12), 0);
	}
}

/*
 * A caller over TCP: the relay takes its INVITE from a stream and sends it
 * to the UDP gateway (one Record-Route per side); the gateway's response
 * reaches the dataplane over UDP with a TCP Via next: the attached
 * dataplane punts it, the relay sends it back through the stream.
 */
static void
test_stream_caller(void **state)
{
	static struct outcome fwd;
	struct sip_addr peer;
	(void)state;

	char msg[2048];
	snprintf(msg, sizeof(msg), "%s", request("INVITE", "100558", NULL, NULL, 0));
	char *udp = strstr(msg, "SIP/2.0/UDP");
	assert_non_null(udp);
	memcpy(udp, "SIP/2.0/TCP", 11);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT(CLIENT), &peer), 0);
	struct cp_relay_peer p = {.addr = peer, .port = 40123, .transport = SIP_TP_TCP,
		.conn_id = 7};
	memset(&fwd, 0, sizeof(fwd));
	fwd.act = DP_ACT_DROP;
	cp_relay_set_stream_sender(relay, fake_stream, NULL);
	cap = &fwd;
	cp_relay_input_stream(relay, msg, strlen(msg), &p);
	cap = NULL;
	assert_int_equal(fwd.act, DP_ACT_SEND);
	assert_int_equal(fwd.transport, SIP_TP_UDP);
	assert_non_null(memmem(fwd.buf, fwd.len, ";transport=tcp;lr;sl=", 21));

	const char *resp = response_to(fwd.buf, fwd.len, "SIP/2.0 180 Ringing");
	compare("the 180 to a caller over TCP", resp, strlen(resp), "10.0.0.20", 5080);
	assert_int_equal(d.act, DP_ACT_EXCEPTION);
	assert_int_equal(c.transport, SIP_TP_TCP);
	assert_int_equal(c.dport, 40123);
	assert_true(sip_addr_eq(&c.dst, &peer));
}

/* What the relay answered on a stream connection. */
static char acl_reply[2048];
static uint64_t acl_reply_conn;

static int
capture_reply(void *ctx, uint64_t conn_id, const char *buf, size_t len)
{
	(void)ctx;
	acl_reply_conn = conn_id;
	snprintf(acl_reply, sizeof(acl_reply), "%.*s", (int)len, buf);
	return 0;
}

/*
 * The peer ACL in the relay (relay_acl): a caller over TCP the list denies
 * gets the dataplane's 403 on its connection and nothing is forwarded; a
 * broken file keeps the old list; a text set with acl.set replaces it (and
 * a broken text keeps it); no list lets it through again.
 */
static void
test_stream_acl(void **state)
{
	static struct outcome fwd;
	struct sip_addr peer;
	char path[] = "/tmp/test_cp_route_diff_acl.XXXXXX";
	char err[512];
	(void)state;

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *acl = "default allow\ndeny " CLIENT " 403\n";
	assert_int_equal(write(fd, acl, strlen(acl)), (ssize_t)strlen(acl));
	close(fd);
	assert_int_equal(cp_relay_set_acl(relay, path, err, sizeof(err)), 0);

	char msg[2048];
	snprintf(msg, sizeof(msg), "%s", request("INVITE", "100558", NULL, NULL, 0));
	memcpy(strstr(msg, "SIP/2.0/UDP"), "SIP/2.0/TCP", 11);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT(CLIENT), &peer), 0);
	struct cp_relay_peer p = {.addr = peer, .port = 40124, .transport = SIP_TP_TCP,
		.conn_id = 9};
	memset(&fwd, 0, sizeof(fwd));
	fwd.act = DP_ACT_DROP;
	acl_reply[0] = '\0';
	cp_relay_set_stream_sender(relay, fake_stream, NULL);
	cp_relay_set_reply_sender(relay, capture_reply, NULL);
	cap = &fwd;
	cp_relay_input_stream(relay, msg, strlen(msg), &p);
	assert_int_equal(fwd.act, DP_ACT_DROP); /* nothing forwarded */
	assert_non_null(strstr(acl_reply, "SIP/2.0 403 Forbidden (ACL)\r\n"));
	assert_int_equal(acl_reply_conn, 9);

	/* A broken file: refused with file:line, the old list stays. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	const char *bad = "deny 10.0.0.1/8\n";
	assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	assert_int_equal(cp_relay_set_acl(relay, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: '10.0.0.1/8' has host bits set"));
	acl_reply[0] = '\0';
	cp_relay_input_stream(relay, msg, strlen(msg), &p);
	assert_non_null(strstr(acl_reply, "403 Forbidden (ACL)"));

	/* A text set with acl.set replaces the file's list: silence now, nothing forwarded. */
	const char *pushed = "default allow\ndeny " CLIENT " drop\n";
	assert_int_equal(cp_relay_set_acl_text(relay, pushed, strlen(pushed), err, sizeof(err)), 0);
	acl_reply[0] = '\0';
	cp_relay_input_stream(relay, msg, strlen(msg), &p);
	assert_int_equal(fwd.act, DP_ACT_DROP);
	assert_int_equal(acl_reply[0], '\0');
	/* A broken text: refused with its line, the pushed list stays. */
	assert_int_equal(cp_relay_set_acl_text(relay, "nope\n", 5, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "acl:1: 'nope'"));
	cp_relay_input_stream(relay, msg, strlen(msg), &p);
	assert_int_equal(fwd.act, DP_ACT_DROP);
	assert_int_equal(acl_reply[0], '\0');

	/* No list: the same request is forwarded. */
	assert_int_equal(cp_relay_set_acl(relay, "", err, sizeof(err)), 0);
	acl_reply[0] = '\0';
	cp_relay_input_stream(relay, msg, strlen(msg), &p);
	cap = NULL;
	assert_int_equal(fwd.act, DP_ACT_SEND);
	assert_int_equal(acl_reply[0], '\0');
	cp_relay_set_reply_sender(relay, NULL, NULL);
	unlink(path);
}

/* The i-th <...> entry (with its brackets) of the Record-Route line in msg, into out. */
static void
rr_entry(const char *msg, size_t len, unsigned i, char *out, size_t room)
{
	const char *p = memmem(msg, len, "\r\nRecord-Route: ", 16);
	assert_non_null(p);
	const char *eol = strstr(p + 2, "\r\n");
	for (unsigned k = 0;; k++) {
		p = memchr(p, '<', (size_t)(eol - p));
		assert_non_null(p);
		const char *e = memchr(p, '>', (size_t)(eol - p));
		assert_non_null(e);
		if (k == i) {
			assert_true((size_t)(e + 1 - p) < room);
			snprintf(out, room, "%.*s", (int)(e + 1 - p), p);
			return;
		}
		p = e;
	}
}

/*
 * A whole bridged dialog with real signatures (RFC 5658): a UDP caller's
 * INVITE to the TCP gateway leaves the relay over TCP with one Record-Route
 * per side; the gateway's 200 (over TCP) is relayed to the caller with both
 * entries re-signed; the caller's BYE through both entries is punted by the
 * attached dataplane and sent over TCP by the relay (the second entry's
 * transport); the callee's BYE over TCP leaves over UDP to the caller.
 */
static void
test_bridged_dialog(void **state)
{
	static struct outcome inv, ok;
	static char msg[4096], e_tcp[200], e_udp[200];
	struct sip_addr gw;
	const char *callid = "diff-101559@" CLIENT;
	(void)state;

	assert_int_equal(sip_addr_parse(SIP_STR_LIT("10.0.0.21"), &gw), 0);
	cp_relay_set_stream_sender(relay, fake_stream, NULL);
	snprintf(msg, sizeof(msg), "%s", request("INVITE", "101559", NULL, NULL, 0));
	struct sip_addr cl;
	assert_int_equal(sip_addr_parse(SIP_STR_LIT(CLIENT), &cl), 0);
	memset(&inv, 0, sizeof(inv));
	inv.act = DP_ACT_DROP;
	cap = &inv;
	cp_relay_input_udp(relay, msg, strlen(msg), &cl, 5062);
	cap = NULL;
	assert_int_equal(inv.act, DP_ACT_SEND);
	assert_int_equal(inv.transport, SIP_TP_TCP);
	rr_entry(inv.buf, inv.len, 0, e_tcp, sizeof(e_tcp));
	rr_entry(inv.buf, inv.len, 1, e_udp, sizeof(e_udp));
	assert_non_null(strstr(e_tcp, ";transport=tcp;lr;sl="));
	assert_null(strstr(e_udp, "transport="));

	/* The gateway's 200 over TCP: to the caller over UDP, both entries re-signed. */
	const char *resp = response_to(inv.buf, inv.len, "SIP/2.0 200 OK");
	snprintf(msg, sizeof(msg), "%s", resp);
	char *ct = strstr(msg, "Contact: <sip:callee@10.0.0.20:5080>");
	assert_non_null(ct);
	memcpy(ct, "Contact: <sip:callee@10.0.0.21:5060;transport=tcp>\r\nContent-Length: 0\r\n\r\n",
			strlen("Contact: <sip:callee@10.0.0.21:5060;transport=tcp>\r\nContent-Length: "
				"0\r\n\r\n") + 1);
	struct cp_relay_peer p = {.addr = gw, .port = 5060, .transport = SIP_TP_TCP, .conn_id = 9};
	memset(&ok, 0, sizeof(ok));
	ok.act = DP_ACT_DROP;
	cap = &ok;
	cp_relay_input_stream(relay, msg, strlen(msg), &p);
	cap = NULL;
	assert_int_equal(ok.act, DP_ACT_SEND);
	assert_int_equal(ok.transport, SIP_TP_UDP);
	assert_int_equal(ok.dport, 5062);
	char d_tcp[200], d_udp[200];
	rr_entry(ok.buf, ok.len, 0, d_tcp, sizeof(d_tcp));
	rr_entry(ok.buf, ok.len, 1, d_udp, sizeof(d_udp));
	assert_string_not_equal(d_tcp, e_tcp); /* re-signed for the caller's direction */

	/* The caller's BYE: Route is the Record-Route reversed. */
	snprintf(msg, sizeof(msg),
			"BYE sip:callee@10.0.0.21:5060;transport=tcp SIP/2.0\r\n"
			"Via: SIP/2.0/UDP " CLIENT ":5062;rport;branch=z9hG4bKbyeA\r\n"
			"Max-Forwards: 70\r\n"
			"Route: %s, %s\r\n"
			"From: \"Alice\" <sip:alice@" CLIENT ">;tag=a1\r\n"
			"To: <sip:101559@" ROUTER ">;tag=callee1\r\n"
			"Call-ID: %s\r\n"
			"CSeq: 2 BYE\r\n"
			"Content-Length: 0\r\n\r\n", d_udp, d_tcp, callid);
	compare("the caller's BYE through a UDP/TCP pair (signed)", msg, strlen(msg), CLIENT, 5062);
	assert_int_equal(d.act, DP_ACT_EXCEPTION);
	assert_int_equal(d.why, DP_C_PUNT_DIALOG_TRANSPORT);
	assert_int_equal(c.act, DP_ACT_SEND);
	assert_int_equal(c.transport, SIP_TP_TCP);
	assert_true(sip_addr_eq(&c.dst, &gw));
	assert_null(memmem(c.buf, c.len, "Route:", 6));

	/* The callee's BYE over TCP: Route is the Record-Route as it was; leaves over UDP. */
	cp_relay_set_stream_sender(relay, fake_stream, NULL); /* compare() left it unset */
	snprintf(msg, sizeof(msg),
			"BYE sip:alice@" CLIENT ":5062 SIP/2.0\r\n"
			"Via: SIP/2.0/TCP 10.0.0.21:5060;branch=z9hG4bKbyeB\r\n"
			"Max-Forwards: 70\r\n"
			"Route: %s, %s\r\n"
			"From: <sip:101559@" ROUTER ">;tag=callee1\r\n"
			"To: \"Alice\" <sip:alice@" CLIENT ">;tag=a1\r\n"
			"Call-ID: %s\r\n"
			"CSeq: 1 BYE\r\n"
			"Content-Length: 0\r\n\r\n", e_tcp, e_udp, callid);
	static struct outcome bye;
	memset(&bye, 0, sizeof(bye));
	bye.act = DP_ACT_DROP;
	cap = &bye;
	cp_relay_input_stream(relay, msg, strlen(msg), &p);
	cap = NULL;
	if (bye.act != DP_ACT_SEND || strncmp(bye.buf, "BYE ", 4) != 0)
		fail_msg("the callee's BYE was not relayed:\n%.*s", (int)bye.len, bye.buf);
	assert_int_equal(bye.transport, SIP_TP_UDP);
	assert_true(sip_addr_eq(&bye.dst, &cl));
	assert_int_equal(bye.dport, 5062);
	assert_null(memmem(bye.buf, bye.len, "Route:", 6));

	/* The same BYE with the entries' signatures swapped for the caller's: 403. */
	snprintf(msg, sizeof(msg),
			"BYE sip:alice@" CLIENT ":5062 SIP/2.0\r\n"
			"Via: SIP/2.0/TCP 10.0.0.21:5060;branch=z9hG4bKbyeC\r\n"
			"Max-Forwards: 70\r\n"
			"Route: %s, %s\r\n"
			"From: <sip:101559@" ROUTER ">;tag=callee1\r\n"
			"To: \"Alice\" <sip:alice@" CLIENT ">;tag=a1\r\n"
			"Call-ID: %s\r\n"
			"CSeq: 2 BYE\r\n"
			"Content-Length: 0\r\n\r\n", d_tcp, d_udp, callid);
	memset(&bye, 0, sizeof(bye));
	bye.act = DP_ACT_DROP;
	cap = &bye;
	cp_relay_input_stream(relay, msg, strlen(msg), &p);
	cap = NULL;
	assert_int_equal(bye.act, DP_ACT_SEND);
	assert_int_equal(strncmp(bye.buf, "SIP/2.0 403 ", 12), 0);
	assert_int_equal(bye.transport, SIP_TP_TCP);
}

/* Run last: everything the test claims to compare was compared. */
static void
test_coverage(void **state)
{
	(void)state;
	for (unsigned i = 0; i < SEEN__N; i++)
		if (seen[i] == 0)
			fail_msg("nothing in the corpus exercised: %s", seen_name[i]);
	/* The relay counts by the dataplane's names too. */
	const struct dp_counters *rc = cp_relay_counters(relay);
	assert_true(rc->v[DP_C_ACT_FORWARD] > 0);
	assert_true(rc->v[DP_C_ACT_LOCATION] > 0);
	assert_int_equal(rc->v[DP_C_PUNT_GATEWAY_TRANSPORT], 0); /* the relay never punts */
	assert_int_equal(rc->v[DP_C_PUNT_LARGE_REQUEST], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torture_corpus),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_in_dialog),
		cmocka_unit_test(test_stream_caller),
		cmocka_unit_test(test_stream_acl),
		cmocka_unit_test(test_bridged_dialog),
		cmocka_unit_test(test_coverage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
