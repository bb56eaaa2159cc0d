/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's per-packet SIP decision (dataplane/core/dp_sip.c) with a
 * fake route callback: redirect, forward, reject, drop, ACK absorption,
 * CANCEL, response forwarding, OPTIONS, proxy checks, route sets, strict
 * routing, amplification limits, and the RFC 4475 corpus end to end.
 * Every input sits flush against a guard page.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corpus.h"
#include "dp_acl.h"
#include "dp_sip.h"
#include "guard.h"

#define ROUTER "10.0.0.1"
#define CLIENT "192.0.2.10"
#define GW "10.0.0.20"

static struct dp_sip_config cfg, cfg6;
static struct sip_keyring keys;
static struct dp_counters cnt;
static struct guard_buf gin, gout;
static char outbuf[8192];

/* The method of the last query (what a dialplan's method condition sees). */
static char last_method[16];

/* Routes by R-URI user prefix. */
static int
fake_route(void *ctx, struct dp_sip_job *j)
{
	const struct dp_query *q = &j->q;
	struct dp_route *r = &j->r;
	(void)ctx;
	snprintf(last_method, sizeof(last_method), "%.*s", (int)q->method.len, q->method.p);
	if (SIP_STR_EQ_LIT(q->ruri_user, "invonly")) {
		/* "method INVITE forward", anything else rejected. */
		if (SIP_STR_EQ_LIT(q->method, "INVITE")) {
			r->kind = DP_ROUTE_FORWARD;
			sip_addr_parse(SIP_STR_LIT(GW), &r->nh);
			r->nh_port = 5080;
		} else {
			r->kind = DP_ROUTE_REJECT;
			r->code = 405;
			r->reason = SIP_STR_LIT("Method Not Allowed");
		}
	} else if (q->ruri_user.len >= 3 && memcmp(q->ruri_user.p, "302", 3) == 0) {
		r->kind = DP_ROUTE_REDIRECT;
		r->code = 302;
		r->contacts[0] = SIP_STR_LIT("<sip:+4930111@gw1.example.net>;q=0.5");
		r->contacts[1] = SIP_STR_LIT("<sip:+4930111@gw2.example.net>;q=0.1;expires=60");
		r->n_contacts = 2;
	} else if (q->ruri_user.len >= 3 && memcmp(q->ruri_user.p, "fwd", 3) == 0) {
		r->kind = DP_ROUTE_FORWARD;
		sip_addr_parse(SIP_STR_LIT(GW), &r->nh);
		r->nh_port = 5080;
		r->ruri = SIP_STR_LIT("sip:4930222@" GW ":5080");
		r->extra = SIP_STR_LIT("X-Route: fwd\r\n");
	} else if (SIP_STR_EQ_LIT(q->ruri_user, "v6gw")) {
		r->kind = DP_ROUTE_FORWARD;
		sip_addr_parse(SIP_STR_LIT("fd00::20"), &r->nh);
		r->nh_port = 5080;
	} else if (SIP_STR_EQ_LIT(q->ruri_user, "reject")) {
		r->kind = DP_ROUTE_REJECT;
		r->code = 403;
		r->reason = SIP_STR_LIT("Forbidden by policy");
	} else if (SIP_STR_EQ_LIT(q->ruri_user, "down")) {
		r->kind = DP_ROUTE_UNAVAILABLE;
		r->code = 503;
		r->reason = SIP_STR_LIT("All Gateways Down");
	} else if (SIP_STR_EQ_LIT(q->ruri_user, "drop")) {
		r->kind = DP_ROUTE_DROP;
	} else if (SIP_STR_EQ_LIT(q->ruri_user, "loop")) {
		r->kind = DP_ROUTE_REDIRECT;
		r->contacts[0] = SIP_STR_LIT("<sip:loop@" ROUTER ">");
		r->n_contacts = 1;
	} else if (SIP_STR_EQ_LIT(q->ruri_user, "loopq")) {
		/* The Request-URI itself, bracketed with parameters or bare: never a target. */
		r->kind = DP_ROUTE_REDIRECT;
		r->contacts[0] = SIP_STR_LIT("<sip:loopq@" ROUTER ">;q=0.9;expires=60");
		r->contacts[1] = SIP_STR_LIT("sip:loopq@" ROUTER);
		r->contacts[2] = SIP_STR_LIT("\"Loop\" <sip:loopq@" ROUTER ">");
		r->n_contacts = 3;
	} else if (SIP_STR_EQ_LIT(q->ruri_user, "loopnear")) {
		/* Near misses of the Request-URI, each a target; then the URI itself. */
		r->kind = DP_ROUTE_REDIRECT;
		r->contacts[0] = SIP_STR_LIT("<sip:loopnear@" ROUTER ":5060>");
		r->contacts[1] = SIP_STR_LIT("<sip:loopnear@" ROUTER ";lr>;q=0.5");
		r->contacts[2] = SIP_STR_LIT("<sip:loopnexr@" ROUTER ">");
		r->contacts[3] = SIP_STR_LIT("<sip:loopnear@" ROUTER "0>");
		r->contacts[4] = SIP_STR_LIT("<sip:loopnear@" ROUTER ">;q=0.1");
		r->n_contacts = 5;
	} else if (SIP_STR_EQ_LIT(q->ruri_user, "many")) {
		r->kind = DP_ROUTE_REDIRECT;
		for (unsigned i = 0; i < DP_MAX_CONTACTS; i++)
			r->contacts[i] = SIP_STR_LIT("<sip:+493011122233344455566677788899900@"
						     "a-rather-long-gateway-name.example.net:5060;"
						     "transport=udp>;q=0.5;expires=3600");
		r->n_contacts = DP_MAX_CONTACTS;
	}
	return 0;
}

/* A resolver that knows host.example.com only. */
static char resolved_host[64];

static int
fake_resolve(void *ctx, struct sip_str host, bool sips, bool has_port, uint16_t port,
		struct sip_addr *a, uint16_t *out_port)
{
	(void)ctx;
	(void)sips;
	(void)has_port;
	(void)port;
	snprintf(resolved_host, sizeof(resolved_host), "%.*s", (int)host.len, host.p);
	if (!sip_str_eq(host, SIP_STR_LIT("host.example.com")))
		return -EAGAIN;
	*out_port = 5080;
	return sip_addr_parse(SIP_STR_LIT("10.0.0.31"), a);
}

static struct dp_sip_env env = {
	.cfg = &cfg,
	.route = fake_route,
	.cnt = &cnt,
};

static int
setup(void **state)
{
	struct sip_addr a;
	(void)state;
	uint8_t raw[SIP_KEY_LEN];
	assert_int_equal(sip_key_parse_hex(SIP_STR_LIT("00112233445566778899aabbccddeeff").p, 32,
			raw), 0);
	sip_key_set(&keys.cur, raw);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT(ROUTER), &a), 0);
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(dp_sip_config_init(&cfg, &a, 24, 5060, &keys), 0);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT("fd00::1"), &a), 0);
	memset(&cfg6, 0, sizeof(cfg6));
	assert_int_equal(dp_sip_config_init(&cfg6, &a, 64, 5060, &keys), 0);
	assert_int_equal(guard_init(&gin, 16384), 0);
	assert_int_equal(guard_init(&gout, 16384), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	guard_fini(&gin);
	guard_fini(&gout);
	return 0;
}

static int
reset(void **state)
{
	(void)state;
	memset(&cnt, 0, sizeof(cnt));
	env.cfg_other = NULL;
	cfg.record_route = cfg6.record_route = false;
	cfg.relay_in_dialog = cfg6.relay_in_dialog = false;
	return 0;
}

#define CALLID "call-1@" CLIENT

/* "<URI;sl=SIG>": our Record-Route as the caller uses it (sip_rrsig_down()). */
static const char *
route_down(const char *uri, const char *caller_tag, const char *callee_tag, const char *target)
{
	static char buf[4][256];
	static unsigned next;
	char sig[SIP_RRSIG_LEN];
	char *b = buf[next++ % 4];

	sip_rrsig_down(SIP_STR_LIT(CALLID), sip_str_make(caller_tag, strlen(caller_tag)),
			sip_str_make(callee_tag, strlen(callee_tag)),
			sip_str_make(target, strlen(target)), &keys.cur, sig);
	snprintf(b, sizeof(buf[0]), "<%s;sl=%.*s>", uri, SIP_RRSIG_LEN, sig);
	return b;
}

/* The same as the callee uses it (sip_rrsig_up(), as put in the INVITE). */
static const char *
route_up(const char *uri, const char *caller_tag, const char *target)
{
	static char buf[4][256];
	static unsigned next;
	char sig[SIP_RRSIG_LEN];
	char *b = buf[next++ % 4];

	sip_rrsig_up(SIP_STR_LIT(CALLID), sip_str_make(caller_tag, strlen(caller_tag)),
			sip_str_make(target, strlen(target)), &keys.cur, sig);
	snprintf(b, sizeof(buf[0]), "<%s;sl=%.*s>", uri, SIP_RRSIG_LEN, sig);
	return b;
}

/* Run the handler on text from src:sport; output copied to outbuf (NUL-terminated). */
static enum dp_action
run(const char *text, size_t len, const char *src, uint16_t sport, struct dp_pkt_out *out)
{
	struct dp_pkt_in in = {.len = (uint32_t)len, .sport = sport};
	assert_int_equal(sip_addr_parse(sip_str_make(src, strlen(src)), &in.src), 0);
	in.payload = guard_put(&gin, text, len);
	memset(out, 0, sizeof(*out));
	out->cap = 4096;
	out->buf = guard_room(&gout, out->cap);
	enum dp_action a = dp_sip_handle(&env, &in, out);
	if (a == DP_ACT_SEND) {
		assert_true(out->len < sizeof(outbuf));
		memcpy(outbuf, out->buf, out->len);
		outbuf[out->len] = '\0';
	}
	return a;
}

static enum dp_action
run_str(const char *text, struct dp_pkt_out *out)
{
	return run(text, strlen(text), CLIENT, 5062, out);
}

/* An INVITE-like request; fields default when NULL. */
static const char *
request(const char *method, const char *ruri, const char *to_tag, const char *branch,
		const char *extra)
{
	static char buf[16384];
	snprintf(buf, sizeof(buf),
			"%s %s SIP/2.0\r\n"
			"Via: SIP/2.0/UDP " CLIENT ":5062;branch=%s\r\n"
			"Max-Forwards: 70\r\n"
			"From: \"Alice\" <sip:alice@" CLIENT ">;tag=a1\r\n"
			"To: <%s>%s%s\r\n"
			"Call-ID: call-1@" CLIENT "\r\n"
			"CSeq: 1 %s\r\n"
			"%s"
			"Content-Length: 0\r\n"
			"\r\n",
			method, ruri, branch ? branch : "z9hG4bKcli1", ruri, to_tag ? ";tag=" : "",
			to_tag ? to_tag : "", method, extra ? extra : "");
	return buf;
}

static void
parse_out(struct sip_msg *m)
{
	int rc = sip_parse(m, outbuf, strlen(outbuf), 0);
	struct sip_verdict v;
	assert_true(rc > 0);
	assert_int_equal(sip_validate(m, rc, SIP_VAL_STRICT, &v), 0);
}

static void
test_redirect_and_ack(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	struct sip_naddr to;
	(void)state;

	assert_int_equal(run_str(request("INVITE", "sip:302555@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_SEND);
	assert_true(out.is_reply);
	assert_int_equal(out.dport, 5062); /* sent-by port: no rport (§18.2.2) */
	parse_out(&m);
	assert_int_equal(m.status, 302);
	assert_int_equal(sip_hdr_count(&m, SIP_HDR_CONTACT), 1);
	assert_non_null(strstr(outbuf, "Contact: <sip:+4930111@gw1.example.net>;q=0.5, "
					"<sip:+4930111@gw2.example.net>;q=0.1;expires=60\r\n"));
	assert_int_equal(sip_naddr_of(&m, SIP_HDR_TO, &to, 0), 0);
	assert_int_equal(to.tag.len, SIP_TOTAG_LEN);
	assert_int_equal(cnt.v[DP_C_ACT_REDIRECT], 1);
	assert_int_equal(cnt.v[DP_C_REPLY_3XX], 1);

	/* The ACK for it: same branch, Call-ID, From tag; our To-tag. */
	char tag[SIP_TOTAG_LEN + 1];
	memcpy(tag, to.tag.p, SIP_TOTAG_LEN);
	tag[SIP_TOTAG_LEN] = '\0';
	assert_int_equal(run_str(request("ACK", "sip:302555@" ROUTER, tag, NULL, NULL), &out),
			DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_ACT_ACK_ABSORBED], 1);

	/* Another ACK (other tag) is not ours: it follows its INVITE (dialplan says redirect: drop). */
	assert_int_equal(run_str(request("ACK", "sip:302555@" ROUTER, "slother", NULL, NULL),
				 &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_ACT_ACK_ABSORBED], 1);
	assert_int_equal(cnt.v[DP_C_DROP_ACK_UNROUTABLE], 1);

	/* CANCEL of a redirected call: 200. */
	assert_int_equal(run_str(request("CANCEL", "sip:302555@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_SEND);
	parse_out(&m);
	assert_int_equal(m.status, 200);
	assert_int_equal(cnt.v[DP_C_ACT_CANCEL_REPLY], 1);
}

static void
test_reply_rport(void **state)
{
	struct dp_pkt_out out;
	(void)state;
	const char *t = request("INVITE", "sip:reject@" ROUTER, NULL, "z9hG4bKrp;rport", NULL);
	/* From another address than sent-by: received and rport filled in (RFC 3581). */
	assert_int_equal(run(t, strlen(t), "198.51.100.7", 40000, &out), DP_ACT_SEND);
	assert_int_equal(out.dport, 40000);
	assert_non_null(strstr(outbuf, "SIP/2.0 403 Forbidden by policy\r\n"));
	assert_non_null(strstr(outbuf, ";rport=40000;received=198.51.100.7\r\n"));
	assert_int_equal(cnt.v[DP_C_ACT_REJECT], 1);
}

/*
 * Port 0 is reserved: nothing goes to it, whichever field names it (a
 * Via sent-by port for a reply, a spoofed source port with rport or for
 * a forward, a Route or relay target's port: test_relay_forbidden_targets).
 */
static void
test_port_zero(void **state)
{
	struct dp_pkt_out out;
	char t[16384];
	(void)state;

	/* sent-by port 0, no rport: the reply would go to port 0. */
	snprintf(t, sizeof(t), "%s", request("INVITE", "sip:reject@" ROUTER, NULL, NULL, NULL));
	char *port = strstr(t, ":5062;");
	assert_non_null(port);
	memmove(port + 2, port + 5, strlen(port + 5) + 1);
	port[1] = '0';
	assert_non_null(strstr(t, "Via: SIP/2.0/UDP " CLIENT ":0;branch="));
	assert_int_equal(run(t, strlen(t), CLIENT, 5062, &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_FORBIDDEN_DST], 1);
	assert_int_equal(cnt.v[DP_C_ACT_REJECT], 0);

	/* The same with rport: the reply goes to the source port instead. */
	snprintf(t, sizeof(t), "%s", request("INVITE", "sip:reject@" ROUTER, NULL,
			"z9hG4bKp0;rport", NULL));
	assert_int_equal(run(t, strlen(t), CLIENT, 5062, &out), DP_ACT_SEND);
	assert_int_equal(out.dport, 5062);
	assert_int_equal(cnt.v[DP_C_ACT_REJECT], 1);

	/* A spoofed source port 0: neither answered (rport) nor forwarded. */
	assert_int_equal(run(t, strlen(t), CLIENT, 0, &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_FORBIDDEN_DST], 2);
	snprintf(t, sizeof(t), "%s", request("INVITE", "sip:fwd1@" ROUTER, NULL, NULL, NULL));
	assert_int_equal(run(t, strlen(t), CLIENT, 0, &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_FORBIDDEN_DST], 3);
	assert_int_equal(run(t, strlen(t), CLIENT, 5062, &out), DP_ACT_SEND);
	assert_int_equal(out.dport, 5080);
}

static void
test_forward_cancel_retransmission(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	struct sip_via v;
	struct sip_cursor c;
	char first[4096];
	(void)state;

	const char *inv = request("INVITE", "sip:fwd42@" ROUTER, NULL, NULL, NULL);
	assert_int_equal(run_str(inv, &out), DP_ACT_SEND);
	assert_false(out.is_reply);
	assert_int_equal(out.dport, 5080);
	char txt[48];
	assert_int_equal(sip_addr_format(&out.dst, txt, sizeof(txt)), strlen(GW));
	assert_memory_equal(txt, GW, strlen(GW));
	parse_out(&m);
	assert_true(SIP_STR_EQ_LIT(sip_msg_ruri(&m), "sip:4930222@" GW ":5080"));
	assert_non_null(strstr(outbuf, "Max-Forwards: 69\r\n"));
	assert_non_null(strstr(outbuf, "X-Route: fwd\r\n"));
	sip_cursor_init(&c, &m, SIP_HDR_VIA);
	assert_int_equal(sip_via_next(&c, &v), 1);
	assert_true(SIP_STR_EQ_LIT(v.host, ROUTER));
	assert_int_equal(v.branch.len, SIP_BRANCH_LEN);
	assert_int_equal(sip_via_next(&c, &v), 1);
	assert_true(SIP_STR_EQ_LIT(v.branch, "z9hG4bKcli1"));
	assert_int_equal(cnt.v[DP_C_ACT_FORWARD], 1);
	strcpy(first, outbuf);

	/* A retransmission gives the same bytes. */
	assert_int_equal(run_str(inv, &out), DP_ACT_SEND);
	assert_string_equal(first, outbuf);

	/* Its CANCEL goes to the same place with the same branch. */
	assert_int_equal(run_str(request("CANCEL", "sip:fwd42@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_SEND);
	assert_int_equal(out.dport, 5080);
	const char *b1 = strstr(first, ";branch=");
	const char *b2 = strstr(outbuf, ";branch=");
	assert_non_null(b1);
	assert_non_null(b2);
	assert_memory_equal(b1, b2, 8 + SIP_BRANCH_LEN);
	assert_null(strstr(outbuf, "Record-Route"));
}

/*
 * A rule that holds only for INVITE still takes the INVITE's CANCEL and the
 * ACK of its non-2xx: they are looked up as the INVITE. Other methods see
 * their own name.
 */
static void
test_cancel_ack_follow_invite(void **state)
{
	struct dp_pkt_out out;
	char txt[48];
	(void)state;

	assert_int_equal(run_str(request("INVITE", "sip:invonly@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_SEND);
	assert_false(out.is_reply);
	assert_string_equal(last_method, "INVITE");
	assert_int_equal(run_str(request("CANCEL", "sip:invonly@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_SEND);
	assert_false(out.is_reply);
	assert_int_equal(out.dport, 5080);
	assert_string_equal(last_method, "INVITE");
	assert_non_null(strstr(outbuf, "CANCEL sip:invonly@"));
	/* The ACK of a 4xx from downstream: To-tag not ours, no Route. */
	assert_int_equal(run_str(request("ACK", "sip:invonly@" ROUTER, "gw-tag", NULL, NULL), &out),
			DP_ACT_SEND);
	assert_false(out.is_reply);
	assert_int_equal(sip_addr_format(&out.dst, txt, sizeof(txt)), strlen(GW));
	assert_memory_equal(txt, GW, strlen(GW));
	assert_string_equal(last_method, "INVITE");
	assert_int_equal(cnt.v[DP_C_ACT_FORWARD], 3);
	/* An out-of-dialog MESSAGE is matched as what it is. */
	assert_int_equal(run_str(request("MESSAGE", "sip:invonly@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_SEND);
	assert_true(out.is_reply);
	assert_string_equal(last_method, "MESSAGE");
	assert_non_null(strstr(outbuf, "SIP/2.0 405 Method Not Allowed\r\n"));
}

/* Counters: actions only when the reply goes out, every status code, drops by reason. */
static void
test_counters_and_limits(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	static char pad[1600];
	(void)state;

	/* A forward that cannot be served: 503, its own action counter, its status. */
	assert_int_equal(run_str(request("INVITE", "sip:down@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_SEND);
	parse_out(&m);
	assert_int_equal(m.status, 503);
	assert_int_equal(cnt.v[DP_C_ACT_UNAVAILABLE], 1);
	assert_int_equal(cnt.v[DP_C_ACT_REJECT], 0);
	assert_int_equal(cnt.sent[503 - DP_STATUS_MIN], 1);
	assert_int_equal(cnt.v[DP_C_REPLY_5XX_6XX], 1);

	/* IPv6 is not fragmented: a forward past the MTU gets 513, not a forward. */
	env.cfg_other = &cfg6;
	memcpy(pad, "X-Pad: ", 7);
	memset(pad + 7, 'p', 1450);
	memcpy(pad + 1457, "\r\n", 3);
	assert_int_equal(run_str(request("INVITE", "sip:v6gw@" ROUTER, NULL, NULL, pad), &out),
			DP_ACT_SEND);
	assert_true(out.is_reply);
	parse_out(&m);
	assert_int_equal(m.status, 513);
	assert_int_equal(cnt.v[DP_C_ACT_FORWARD], 0);
	assert_int_equal(cnt.v[DP_C_ACT_ERROR_REPLY], 1);
	assert_int_equal(cnt.sent[513 - DP_STATUS_MIN], 1);
	/* The same over IPv4 goes (the worker fragments it). */
	assert_int_equal(run_str(request("INVITE", "sip:fwd9@" ROUTER, NULL, NULL, pad), &out),
			DP_ACT_SEND);
	assert_false(out.is_reply);
	assert_int_equal(cnt.v[DP_C_ACT_FORWARD], 1);

	/* A spoofed broadcast or own source gets nothing, and no action is counted. */
	const char *t = request("INVITE", "sip:302x@" ROUTER, NULL, NULL, NULL);
	assert_int_equal(run(t, strlen(t), "255.255.255.255", 5060, &out), DP_ACT_DROP);
	assert_int_equal(run(t, strlen(t), ROUTER, 5060, &out), DP_ACT_DROP);
	assert_int_equal(run(t, strlen(t), "fd00::1", 5060, &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_FORBIDDEN_DST], 3);
	assert_int_equal(cnt.v[DP_C_ACT_REDIRECT], 0);
	assert_int_equal(cnt.v[DP_C_REPLY_3XX], 0);
	assert_int_equal(run_str(t, &out), DP_ACT_SEND);
	assert_int_equal(cnt.v[DP_C_ACT_REDIRECT], 1);
	assert_int_equal(cnt.sent[302 - DP_STATUS_MIN], 1);
}

/* The n-th Via line of outbuf (1: the first), without "Via: " and CRLF, into b. */
static void
via_line(unsigned n, char *b, size_t cap)
{
	const char *p = outbuf;
	for (unsigned i = 0; i < n; i++) {
		p = strstr(p, "\r\nVia: ");
		assert_non_null(p);
		p += 7;
	}
	const char *e = strstr(p, "\r\n");
	snprintf(b, cap, "%.*s", (int)(e - p), p);
}

/* A response to request(INVITE) from the gateway: our Via with branch, then via2. */
static const char *
response(unsigned code, const char *branch, const char *via2, const char *extra)
{
	static char buf[2048];
	snprintf(buf, sizeof(buf),
			"SIP/2.0 %u Whatever\r\n"
			"Via: SIP/2.0/UDP " ROUTER ":5060;branch=%s\r\n"
			"Via: %s\r\n"
			"From: <sip:alice@" CLIENT ">;tag=a1\r\n"
			"To: <sip:fwd7@" ROUTER ">;tag=gw1\r\n"
			"Call-ID: " CALLID "\r\n"
			"CSeq: 1 INVITE\r\n"
			"%s"
			"Content-Length: 0\r\n\r\n", code, branch, via2, extra ? extra : "");
	return buf;
}

static void
expect_dst(const struct dp_pkt_out *out, const char *addr, uint16_t port)
{
	char txt[48];
	size_t tl = sip_addr_format(&out->dst, txt, sizeof(txt));
	if (tl != strlen(addr) || memcmp(txt, addr, tl) != 0 || out->dport != port)
		fail_msg("sent to %.*s:%u, expected %s:%u", (int)tl, txt, out->dport, addr, port);
}

/*
 * Responses go back only where the request came from: variants of the Via
 * below ours (steered received/rport, maddr, replayed to another source)
 * and of our branch.
 */
struct rsp_case {
	const char *name;
	const char *via2;     /* NULL: the Via as we forwarded it */
	int branch_flip;      /* flip this hex digit of our branch (-1: none) */
	const char *branch;   /* another branch altogether, or NULL */
	enum dp_action action;
	enum dp_counter counter;
};

static const struct rsp_case rsp_cases[] = {
	{"genuine", NULL, -1, NULL, DP_ACT_SEND, DP_C_ACT_RESPONSE_FWD},
	{"received steered", "SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKcli1;received=192.0.2.66"
		";rport=5062", -1, NULL, DP_ACT_DROP, DP_C_DROP_RESPONSE_FORGED},
	{"rport steered", "SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKcli1;received=" CLIENT
		";rport=7777", -1, NULL, DP_ACT_DROP, DP_C_DROP_RESPONSE_FORGED},
	{"maddr added: ignored, still to the source", "SIP/2.0/UDP " CLIENT ":5062"
		";branch=z9hG4bKcli1;maddr=192.0.2.66;received=" CLIENT ";rport=5062", -1, NULL,
		DP_ACT_SEND, DP_C_ACT_RESPONSE_FWD},
	{"no received/rport (not a Via we forwarded)", "SIP/2.0/UDP " CLIENT ":5062"
		";branch=z9hG4bKcli1", -1, NULL, DP_ACT_DROP, DP_C_DROP_RESPONSE_FORGED},
	{"another branch below ours", "SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKcli2;received="
		CLIENT ";rport=5062", -1, NULL, DP_ACT_DROP, DP_C_DROP_RESPONSE_FORGED},
	{"IPv6 destination substituted", "SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKcli1"
		";received=2001:db8::66;rport=5062", -1, NULL, DP_ACT_DROP,
		DP_C_DROP_RESPONSE_FORGED},
	{"broadcast substituted", "SIP/2.0/UDP 255.255.255.255;branch=z9hG4bKcli1"
		";received=255.255.255.255;rport=5062", -1, NULL, DP_ACT_DROP,
		DP_C_DROP_RESPONSE_FORGED},
	{"one digit of our branch changed", NULL, 20, NULL, DP_ACT_DROP, DP_C_DROP_RESPONSE_FORGED},
	{"not our branch format", NULL, -1, "z9hG4bKxx0123456789abcdef", DP_ACT_DROP,
		DP_C_DROP_RESPONSE_NOT_OURS},
};

static void
test_response_steering(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	char branch[SIP_BRANCH_LEN + 1], via2[256];
	(void)state;

	/* Forward an INVITE to learn our branch and the Via below it. */
	assert_int_equal(run_str(request("INVITE", "sip:fwd7@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_SEND);
	memcpy(branch, strstr(outbuf, ";branch=") + 8, SIP_BRANCH_LEN);
	branch[SIP_BRANCH_LEN] = '\0';
	via_line(2, via2, sizeof(via2));
	assert_string_equal(via2, "SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKcli1;received="
			CLIENT ";rport=5062");
	for (size_t i = 0; i < sizeof(rsp_cases) / sizeof(rsp_cases[0]); i++) {
		const struct rsp_case *c = &rsp_cases[i];
		char b[SIP_BRANCH_LEN + 1];
		snprintf(b, sizeof(b), "%s", c->branch ? c->branch : branch);
		if (c->branch_flip >= 0)
			b[c->branch_flip] = b[c->branch_flip] == '0' ? '1' : '0';
		memset(&cnt, 0, sizeof(cnt));
		const char *r = response(180, b, c->via2 ? c->via2 : via2, NULL);
		enum dp_action a = run(r, strlen(r), GW, 5080, &out);
		if (a != c->action || cnt.v[c->counter] != 1)
			fail_msg("%s: action %d, counter %s %llu", c->name, a,
					dp_counter_name(c->counter),
					(unsigned long long)cnt.v[c->counter]);
		if (a == DP_ACT_SEND) {
			expect_dst(&out, CLIENT, 5062);
			parse_out(&m);
			assert_int_equal(sip_hdr_count(&m, SIP_HDR_VIA), 1);
			assert_int_equal(cnt.relayed[180 - DP_STATUS_MIN], 1);
		}
	}
}

/* RFC 4475 bcast: a Via naming the broadcast address gets its responses at the source. */
static void
test_response_broadcast(void **state)
{
	struct dp_pkt_out out;
	char branch[SIP_BRANCH_LEN + 1], via2[256];
	(void)state;

	const char inv[] =
			"INVITE sip:fwd8@" ROUTER " SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23\r\n"
			"Max-Forwards: 70\r\n"
			"Call-ID: c\r\nCSeq: 35 INVITE\r\n"
			"From: sip:user@example.com;tag=11141343\r\n"
			"To: sip:user@example.edu\r\n"
			"Content-Length: 0\r\n\r\n";
	assert_int_equal(run_str(inv, &out), DP_ACT_SEND);
	memcpy(branch, strstr(outbuf, ";branch=") + 8, SIP_BRANCH_LEN);
	branch[SIP_BRANCH_LEN] = '\0';
	via_line(2, via2, sizeof(via2));
	char resp[1024];
	snprintf(resp, sizeof(resp),
			"SIP/2.0 200 OK\r\n"
			"Via: SIP/2.0/UDP " ROUTER ";branch=%s\r\n"
			"Via: %s\r\n"
			"Call-ID: c\r\nCSeq: 35 INVITE\r\n"
			"From: sip:user@example.com;tag=11141343\r\n"
			"To: sip:user@example.edu;tag=2229\r\n"
			"Content-Length: 0\r\n\r\n", branch, via2);
	assert_int_equal(run(resp, strlen(resp), GW, 5080, &out), DP_ACT_SEND);
	expect_dst(&out, CLIENT, 5062);
}

static void
test_options_and_proxy_checks(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	(void)state;

	assert_int_equal(run_str(request("OPTIONS", "sip:" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_SEND);
	parse_out(&m);
	assert_int_equal(m.status, 200);
	assert_non_null(strstr(outbuf, "Allow: INVITE"));
	assert_int_equal(cnt.v[DP_C_ACT_OPTIONS_REPLY], 1);

	/* Max-Forwards 0 to a number: 483. */
	char t[4096];
	strcpy(t, request("INVITE", "sip:fwd1@" ROUTER, NULL, NULL, NULL));
	memcpy(strstr(t, "Max-Forwards: 70"), "Max-Forwards: 00", 16);
	assert_int_equal(run_str(t, &out), DP_ACT_SEND);
	parse_out(&m);
	assert_int_equal(m.status, 483);

	/* Proxy-Require: 420 with Unsupported listing it. */
	assert_int_equal(run_str(request("INVITE", "sip:fwd1@" ROUTER, NULL, NULL,
					 "Proxy-Require: foo, bar\r\n"), &out), DP_ACT_SEND);
	parse_out(&m);
	assert_int_equal(m.status, 420);
	assert_non_null(strstr(outbuf, "Unsupported: foo, bar\r\n"));
}

static void
test_register_goes_to_kernel(void **state)
{
	struct dp_pkt_out out;
	(void)state;
	assert_int_equal(run_str(request("REGISTER", "sip:" ROUTER, NULL, NULL,
					 "Contact: <sip:alice@" CLIENT ":5062>\r\n"), &out),
			DP_ACT_EXCEPTION);
	assert_int_equal(cnt.v[DP_C_EXC_REGISTER], 1);
}

/* The ACL of test_overload_reply: CLIENT allowed (no REGISTER), the rest denied. */
static uint8_t
fake_acl(void *ctx, const struct sip_addr *src, uint16_t sport)
{
	struct sip_addr c;
	(void)ctx;
	(void)sport;
	assert_int_equal(sip_addr_parse(SIP_STR_LIT(CLIENT), &c), 0);
	return sip_addr_eq(src, &c) ? DP_ACL_ALLOW : DP_ACL_DENY_403;
}

/* dp_sip_overload() on text from src: its action, the reply in outbuf. */
static enum dp_action
run_shed(const char *text, const char *src, struct dp_pkt_out *out)
{
	static struct dp_sip_job j;
	struct dp_pkt_in in = {.len = (uint32_t)strlen(text), .sport = 5062};
	assert_int_equal(sip_addr_parse(sip_str_make(src, strlen(src)), &in.src), 0);
	in.payload = guard_put(&gin, text, in.len);
	memset(out, 0, sizeof(*out));
	out->cap = 4096;
	out->buf = guard_room(&gout, out->cap);
	enum dp_action a = dp_sip_overload(&env, &in, out, &j,
			SIP_STR_LIT("Retry-After: 7\r\n"));
	if (a == DP_ACT_SEND) {
		memcpy(outbuf, out->buf, out->len);
		outbuf[out->len] = '\0';
	}
	return a;
}

/* Shed under overload: 503 + Retry-After to allowed peers only, never to ACK or scanners. */
static void
test_overload_reply(void **state)
{
	(void)state;
	struct dp_pkt_out out;
	struct sip_msg m;
	const char *inv = request("INVITE", "sip:3021@" ROUTER, NULL, NULL, NULL);

	/* No ACL: nobody is a known peer. */
	assert_int_equal(run_shed(inv, CLIENT, &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_OVERLOAD], 1);

	env.acl = fake_acl;
	assert_int_equal(run_shed(inv, CLIENT, &out), DP_ACT_SEND);
	assert_int_equal(strncmp(outbuf, "SIP/2.0 503 ", 12), 0);
	parse_out(&m);
	assert_non_null(strstr(outbuf, "\r\nRetry-After: 7\r\n"));
	assert_non_null(strstr(outbuf, "\r\nCall-ID: call-1@" CLIENT "\r\n"));
	assert_non_null(strstr(outbuf, ";tag=")); /* a To-tag, as every stateless reply */
	assert_int_equal(cnt.v[DP_C_ACT_OVERLOAD_REPLY], 1);
	assert_int_equal(cnt.v[DP_C_REPLY_5XX_6XX], 1);

	/* Denied source, ACK, REGISTER without the register right, garbage: dropped. */
	assert_int_equal(run_shed(inv, "198.51.100.7", &out), DP_ACT_DROP);
	assert_int_equal(run_shed(request("ACK", "sip:3021@" ROUTER, NULL, NULL, NULL), CLIENT,
			&out), DP_ACT_DROP);
	assert_int_equal(run_shed(request("REGISTER", "sip:" ROUTER, NULL, NULL, NULL), CLIENT,
			&out), DP_ACT_DROP);
	assert_int_equal(run_shed("this is not SIP\r\n\r\n", CLIENT, &out), DP_ACT_DROP);
	assert_int_equal(run_shed("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", CLIENT, &out),
			DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_OVERLOAD], 6);
	assert_int_equal(cnt.v[DP_C_ACT_OVERLOAD_REPLY], 1);
	env.acl = NULL;
}

static void
test_garbage_and_keepalive(void **state)
{
	struct dp_pkt_out out;
	(void)state;
	assert_int_equal(run("\r\n\r\n", 4, CLIENT, 5062, &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_KEEPALIVE], 1);
	assert_int_equal(run("\0\0\0\0", 4, CLIENT, 5062, &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_NOT_SIP], 1);
	const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(run(http, sizeof(http) - 1, CLIENT, 5062, &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_BAD_REQUEST_SILENT], 1);
}

static void
test_no_route_default(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	(void)state;
	assert_int_equal(run_str(request("INVITE", "sip:unknown@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_SEND);
	parse_out(&m);
	assert_int_equal(m.status, 404);
	assert_int_equal(cnt.v[DP_C_ACT_NO_ROUTE], 1);
	assert_int_equal(run_str(request("INVITE", "sip:drop@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_ACT_DROP_RULE], 1);
}

#define ALICE_CONTACT "sip:alice@" CLIENT ":5062"
#define BOB_CONTACT "sip:bob@10.0.0.30:5070"
#define OUR_RR "sip:" ROUTER ":5060;lr"

/* An in-dialog request with the given tags, Call-ID and Route header (or none). */
static const char *
dialog_request(const char *method, const char *ruri, const char *from_tag, const char *to_tag,
		const char *callid, const char *route)
{
	static char buf[2048];
	snprintf(buf, sizeof(buf),
			"%s %s SIP/2.0\r\n"
			"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKdlg1\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:x@example.com>;tag=%s\r\n"
			"To: <sip:y@example.com>;tag=%s\r\n"
			"Call-ID: %s\r\n"
			"CSeq: 2 %s\r\n"
			"%s%s%s"
			"Content-Length: 0\r\n\r\n",
			method, ruri, from_tag, to_tag, callid, method, route ? "Route: " : "",
			route ? route : "", route ? "\r\n" : "");
	return buf;
}

/*
 * A whole dialog through the router with --record-route: the INVITE's
 * Record-Route is signed for the callee's requests (bound to the caller's
 * Contact), the 200's is re-signed for the caller's (bound to the callee's
 * Contact and tag), and each side's BYE goes to the other's Contact.
 */
static void
test_dialog_signatures(void **state)
{
	struct dp_pkt_out out;
	char branch[SIP_BRANCH_LEN + 1], via2[256], line[400];
	(void)state;

	cfg.record_route = true;
	assert_int_equal(run_str(request("INVITE", "sip:fwd7@" ROUTER, NULL, NULL,
					 "Contact: <" ALICE_CONTACT ">\r\n"), &out), DP_ACT_SEND);
	snprintf(line, sizeof(line), "\r\nRecord-Route: %s\r\n",
			route_up(OUR_RR, "a1", ALICE_CONTACT));
	if (strstr(outbuf, line) == NULL)
		fail_msg("forwarded INVITE lacks %s:\n%s", line, outbuf);
	memcpy(branch, strstr(outbuf, ";branch=") + 8, SIP_BRANCH_LEN);
	branch[SIP_BRANCH_LEN] = '\0';
	via_line(2, via2, sizeof(via2));

	/* The gateway's 200 copies our Record-Route and gives its Contact. */
	char extra[600];
	snprintf(extra, sizeof(extra), "Record-Route: %s\r\nContact: <" BOB_CONTACT ">\r\n",
			route_up(OUR_RR, "a1", ALICE_CONTACT));
	const char *r = response(200, branch, via2, extra);
	assert_int_equal(run(r, strlen(r), GW, 5080, &out), DP_ACT_SEND);
	expect_dst(&out, CLIENT, 5062);
	snprintf(line, sizeof(line), "\r\nRecord-Route: %s\r\n",
			route_down(OUR_RR, "a1", "gw1", BOB_CONTACT));
	if (strstr(outbuf, line) == NULL)
		fail_msg("relayed 200 lacks %s:\n%s", line, outbuf);
	/* A 100 Trying (no To-tag) is relayed untouched. */
	snprintf(extra, sizeof(extra), "Record-Route: %s\r\n",
			route_up(OUR_RR, "a1", ALICE_CONTACT));
	r = response(100, branch, via2, extra);
	char trying[2048];
	snprintf(trying, sizeof(trying), "%s", r);
	memcpy(strstr(trying, ";tag=gw1"), "        ", 8);
	assert_int_equal(run(trying, strlen(trying), GW, 5080, &out), DP_ACT_SEND);
	assert_non_null(strstr(outbuf, route_up(OUR_RR, "a1", ALICE_CONTACT)));

	/* Each side's BYE reaches the other's Contact. */
	const char *bye = dialog_request("BYE", BOB_CONTACT, "a1", "gw1", CALLID,
			route_down(OUR_RR, "a1", "gw1", BOB_CONTACT));
	assert_int_equal(run_str(bye, &out), DP_ACT_SEND);
	expect_dst(&out, "10.0.0.30", 5070);
	bye = dialog_request("BYE", ALICE_CONTACT, "gw1", "a1", CALLID,
			route_up(OUR_RR, "a1", ALICE_CONTACT));
	assert_int_equal(run(bye, strlen(bye), "10.0.0.30", 5070, &out), DP_ACT_SEND);
	expect_dst(&out, CLIENT, 5062);
	assert_int_equal(cnt.v[DP_C_ACT_IN_DIALOG], 2);
}

/*
 * Replays of a dialog's signature: only the target of its direction, with
 * its Call-ID and tags, is relayed; everything else gets 403 (ACK: dropped).
 */
struct dlg_case {
	const char *name;
	const char *method;
	const char *ruri;
	const char *from_tag, *to_tag;
	const char *callid;
	int route;              /* 0 none, 1 caller's (down), 2 callee's (up), 3 other text */
	const char *route_text; /* route 3 */
	const char *route_target; /* what the signature is bound to (NULL: the usual) */
	enum dp_action action;
	unsigned status;        /* SEND: a reply with this status, or 0 for a forward */
	const char *dst;        /* forward: "addr" and port */
	uint16_t port;
	enum dp_counter counter;
};

#define REFUSED DP_ACT_SEND, 403, NULL, 0, DP_C_ACT_DIALOG_REFUSED

static const struct dlg_case dlg_cases[] = {
	{"caller to callee", "BYE", BOB_CONTACT, "a1", "gw1", CALLID, 1, NULL, NULL,
		DP_ACT_SEND, 0, "10.0.0.30", 5070, DP_C_ACT_IN_DIALOG},
	{"callee to caller", "BYE", ALICE_CONTACT, "gw1", "a1", CALLID, 2, NULL, NULL,
		DP_ACT_SEND, 0, CLIENT, 5062, DP_C_ACT_IN_DIALOG},
	{"caller: another user at the callee (toll fraud)", "INVITE",
		"sip:+900555@10.0.0.30:5070", "a1", "gw1", CALLID, 1, NULL, NULL, REFUSED},
	{"caller: another host", "BYE", "sip:bob@10.0.0.31:5070", "a1", "gw1", CALLID, 1, NULL,
		NULL, REFUSED},
	{"caller: another port", "BYE", "sip:bob@10.0.0.30:5071", "a1", "gw1", CALLID, 1, NULL,
		NULL, REFUSED},
	{"caller: maddr added", "BYE", BOB_CONTACT ";maddr=10.0.0.66", "a1", "gw1", CALLID, 1,
		NULL, NULL, REFUSED},
	{"caller: another Call-ID", "BYE", BOB_CONTACT, "a1", "gw1", "call-2@" CLIENT, 1, NULL,
		NULL, REFUSED},
	{"caller: another callee tag", "BYE", BOB_CONTACT, "a1", "gw2", CALLID, 1, NULL, NULL,
		REFUSED},
	{"caller: another caller tag", "BYE", BOB_CONTACT, "a2", "gw1", CALLID, 1, NULL, NULL,
		REFUSED},
	{"caller's signature from the callee's side", "BYE", BOB_CONTACT, "gw1", "a1", CALLID, 1,
		NULL, NULL, REFUSED},
	{"callee: another target", "BYE", "sip:alice@192.0.2.66:5062", "gw1", "a1", CALLID, 2,
		NULL, NULL, REFUSED},
	{"callee: another Call-ID", "BYE", ALICE_CONTACT, "gw1", "a1", "call-2@" CLIENT, 2, NULL,
		NULL, REFUSED},
	{"callee's signature from the caller's side", "BYE", ALICE_CONTACT, "a1", "gw1", CALLID,
		2, NULL, NULL, REFUSED},
	{"no signature", "BYE", BOB_CONTACT, "a1", "gw1", CALLID, 3, "<" OUR_RR ">", NULL,
		REFUSED},
	{"a made-up signature", "BYE", BOB_CONTACT, "a1", "gw1", CALLID, 3,
		"<" OUR_RR ";sl=0123456789abcdef>", NULL, REFUSED},
	{"no Route at all", "INVITE", "sip:+4930999@10.0.0.20:5080", "a1", "x1", CALLID, 0, NULL,
		NULL, REFUSED},
	{"ACK replayed to another target", "ACK", "sip:+900555@10.0.0.30:5070", "a1", "gw1",
		CALLID, 1, NULL, NULL, DP_ACT_DROP, 0, NULL, 0, DP_C_DROP_NOT_OUR_DIALOG},
	/* Signed for a target that is ours or a subnet edge: verified, still never sent. */
	{"our address, another port", "BYE", "sip:x@" ROUTER ":5070", "a1", "gw1", CALLID, 1,
		NULL, "sip:x@" ROUTER ":5070", DP_ACT_DROP, 0, NULL, 0, DP_C_DROP_FORBIDDEN_DST},
	{"IPv4-mapped form of our address", "BYE", "sip:x@[::ffff:" ROUTER "]:5070", "a1", "gw1",
		CALLID, 1, NULL, "sip:x@[::ffff:" ROUTER "]:5070", DP_ACT_DROP, 0, NULL, 0,
		DP_C_DROP_FORBIDDEN_DST},
	{"subnet network address", "BYE", "sip:x@10.0.0.0", "a1", "gw1", CALLID, 1, NULL,
		"sip:x@10.0.0.0", DP_ACT_DROP, 0, NULL, 0, DP_C_DROP_FORBIDDEN_DST},
	{"subnet broadcast", "BYE", "sip:x@10.0.0.255", "a1", "gw1", CALLID, 1, NULL,
		"sip:x@10.0.0.255", DP_ACT_DROP, 0, NULL, 0, DP_C_DROP_FORBIDDEN_DST},
	{"loopback", "BYE", "sip:x@127.0.0.1", "a1", "gw1", CALLID, 1, NULL, "sip:x@127.0.0.1",
		DP_ACT_DROP, 0, NULL, 0, DP_C_DROP_FORBIDDEN_DST},
	{"multicast", "BYE", "sip:x@224.0.1.75", "a1", "gw1", CALLID, 1, NULL,
		"sip:x@224.0.1.75", DP_ACT_DROP, 0, NULL, 0, DP_C_DROP_FORBIDDEN_DST},
};

static void
test_dialog_replays(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	(void)state;

	for (size_t i = 0; i < sizeof(dlg_cases) / sizeof(dlg_cases[0]); i++) {
		const struct dlg_case *c = &dlg_cases[i];
		const char *route = NULL;
		if (c->route == 1)
			route = route_down(OUR_RR, "a1", "gw1", c->route_target ? c->route_target :
					BOB_CONTACT);
		else if (c->route == 2)
			route = route_up(OUR_RR, "a1", c->route_target ? c->route_target :
					ALICE_CONTACT);
		else if (c->route == 3)
			route = c->route_text;
		memset(&cnt, 0, sizeof(cnt));
		const char *t = dialog_request(c->method, c->ruri, c->from_tag, c->to_tag, c->callid,
				route);
		enum dp_action a = run_str(t, &out);
		if (a != c->action || cnt.v[c->counter] != 1)
			fail_msg("%s: action %d, %s = %llu", c->name, a, dp_counter_name(c->counter),
					(unsigned long long)cnt.v[c->counter]);
		if (a != DP_ACT_SEND)
			continue;
		if (c->status) {
			parse_out(&m);
			if (m.status != c->status)
				fail_msg("%s: status %u, expected %u", c->name, m.status, c->status);
		} else {
			assert_false(out.is_reply);
			expect_dst(&out, c->dst, c->port);
			parse_out(&m);
			assert_null(sip_hdr_first(&m, SIP_HDR_ROUTE));
		}
	}
}

/* Even the open relay (--relay-in-dialog) never sends to us or our subnet's edges. */
static void
test_relay_forbidden_targets(void **state)
{
	static const char *const targets[] = {
		"sip:x@" ROUTER ":5070", "sip:x@[::ffff:" ROUTER "]:5070", "sip:x@10.0.0.0",
		"sip:x@10.0.0.255", "sip:x@[fd00::1]:5070", "sip:x@[fd00::]", "sip:x@0.0.0.0",
		"sip:x@[::1]", "sip:x@[::10.0.0.9]", "sip:x@10.0.0.30;maddr=10.0.0.255",
		"sip:x@10.0.0.30:0",
	};
	struct dp_pkt_out out;
	(void)state;

	cfg.relay_in_dialog = true;
	env.cfg_other = &cfg6;
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		memset(&cnt, 0, sizeof(cnt));
		const char *t = dialog_request("BYE", targets[i], "a1", "gw1", CALLID, NULL);
		if (run_str(t, &out) != DP_ACT_DROP || cnt.v[DP_C_DROP_FORBIDDEN_DST] != 1)
			fail_msg("%s: not refused", targets[i]);
	}
	/* A genuine relay target still goes. */
	const char *t = dialog_request("BYE", BOB_CONTACT, "a1", "gw1", CALLID, NULL);
	assert_int_equal(run_str(t, &out), DP_ACT_SEND);
	expect_dst(&out, "10.0.0.30", 5070);
}

static void
test_in_dialog_route(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	char hdr[512];
	(void)state;

	/* Two Routes on one line: only ours goes, the request follows the next one. */
	snprintf(hdr, sizeof(hdr), "Route: %s, <sip:10.0.0.40:5090;lr>\r\n",
			route_down("sip:" ROUTER ";lr", "a1", "gw1", "sip:10.0.0.40:5090;lr"));
	assert_int_equal(run_str(request("BYE", BOB_CONTACT, "gw1", NULL, hdr), &out),
			DP_ACT_SEND);
	expect_dst(&out, "10.0.0.40", 5090);
	assert_non_null(strstr(outbuf, "Route: <sip:10.0.0.40:5090;lr>\r\n"));
	parse_out(&m);
	assert_int_equal(cnt.v[DP_C_ACT_IN_DIALOG], 1);

	/* --relay-in-dialog: relayed without a signature (trusted peers only). */
	cfg.relay_in_dialog = true;
	assert_int_equal(run_str(request("BYE", BOB_CONTACT, "gw1", NULL, NULL), &out),
			DP_ACT_SEND);
	expect_dst(&out, "10.0.0.30", 5070);
	/* The ACK of a 2xx without Record-Route: to the 2xx's Contact, whatever its user. */
	assert_int_equal(run_str(request("ACK", "sip:gw@10.0.0.30:5072", "gw1", NULL, NULL), &out),
			DP_ACT_SEND);
	expect_dst(&out, "10.0.0.30", 5072);
	/* In-dialog to a host name: not resolved in the fast path, punted to the control plane. */
	assert_int_equal(run_str(request("BYE", "sip:bob@host.example.com", "gw1", NULL, NULL),
				 &out), DP_ACT_EXCEPTION);
	assert_int_equal(cnt.v[DP_C_PUNT_NEEDS_DNS], 1);
	/* The control plane's relay runs the same code with a resolver. */
	env.resolve = fake_resolve;
	assert_int_equal(run_str(request("BYE", "sip:bob@host.example.com", "gw1", NULL, NULL),
				 &out), DP_ACT_SEND);
	expect_dst(&out, "10.0.0.31", 5080);
	assert_string_equal(resolved_host, "host.example.com");
	assert_non_null(strstr(outbuf, "BYE sip:bob@host.example.com SIP/2.0\r\n"));
	assert_non_null(strstr(outbuf, "Via: SIP/2.0/UDP " ROUTER ":5060;branch=z9hG4bKsl"));
	assert_int_equal(run_str(request("BYE", "sip:bob@unknown.example.com:5070", "gw1", NULL,
				 NULL), &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_UNRESOLVED], 1);
	env.resolve = NULL;
	cfg.relay_in_dialog = false;

	/* SIPp-style BYE sent to the router itself, no Route: the dialplan decides. */
	assert_int_equal(run_str(request("BYE", "sip:fwd3@" ROUTER ":5060", "gw1", NULL, NULL),
				 &out), DP_ACT_SEND);
	assert_int_equal(out.dport, 5080);
}

static void
test_strict_route(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	char ruri[256];
	(void)state;

	/* A strict router put our Record-Route in the R-URI (§16.4); the target is the last Route. */
	const char *rr = route_down("sip:" ROUTER ":5060;lr", "a1", "gw1", BOB_CONTACT);
	snprintf(ruri, sizeof(ruri), "%.*s", (int)strlen(rr) - 2, rr + 1);
	assert_int_equal(run_str(request("BYE", ruri, "gw1", NULL,
					 "Route: <" BOB_CONTACT ">\r\n"), &out), DP_ACT_SEND);
	expect_dst(&out, "10.0.0.30", 5070);
	parse_out(&m);
	assert_true(SIP_STR_EQ_LIT(sip_msg_ruri(&m), BOB_CONTACT));
	assert_null(sip_hdr_first(&m, SIP_HDR_ROUTE));
	/* Signed for another target: refused. */
	assert_int_equal(run_str(request("BYE", ruri, "gw1", NULL,
					 "Route: <sip:bob@10.0.0.31:5070>\r\n"), &out), DP_ACT_SEND);
	parse_out(&m);
	assert_int_equal(m.status, 403);
	/* Unsigned: refused like any dialog that is not ours. */
	assert_int_equal(run_str(request("BYE", "sip:" ROUTER ":5060;lr", "gw1", NULL,
					 "Route: <" BOB_CONTACT ">\r\n"), &out), DP_ACT_SEND);
	parse_out(&m);
	assert_int_equal(m.status, 403);
}

static void
test_redirect_loop_and_amplification(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	(void)state;

	assert_int_equal(run_str(request("INVITE", "sip:loop@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_LOOP], 1);

	/* The Request-URI with parameters, bare, or with a display name: dropped as well. */
	assert_int_equal(run_str(request("INVITE", "sip:loopq@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_LOOP], 2);
	/* Near misses are targets; only the Request-URI itself is left out. */
	assert_int_equal(run_str(request("INVITE", "sip:loopnear@" ROUTER, NULL, NULL, NULL),
					 &out), DP_ACT_SEND);
	parse_out(&m);
	assert_int_equal(m.status, 302);
	const struct sip_hdr *ch = sip_hdr_first(&m, SIP_HDR_CONTACT);
	assert_non_null(ch);
	struct sip_str cv = sip_hdr_value(&m, ch);
	char contacts[512];
	snprintf(contacts, sizeof(contacts), "%.*s", (int)cv.len, cv.p);
	assert_string_equal(contacts, "<sip:loopnear@" ROUTER ":5060>, "
			"<sip:loopnear@" ROUTER ";lr>;q=0.5, <sip:loopnexr@" ROUTER ">, "
			"<sip:loopnear@" ROUTER "0>");

	/* A small request never gets a reply more than twice its size. */
	const char *t = request("INVITE", "sip:many@" ROUTER, NULL, NULL, NULL);
	size_t tl = strlen(t);
	assert_int_equal(run_str(t, &out), DP_ACT_SEND);
	assert_true(out.len <= 2 * tl);
	parse_out(&m);
	assert_int_equal(m.status, 302);
	unsigned n = 0;
	for (const char *p = outbuf; (p = strstr(p, "a-rather-long")) != NULL; p++)
		n++;
	assert_true(n >= 1 && n < DP_MAX_CONTACTS);
}

/* IPv4 in, IPv6 out (RFC 5658): our Via and Record-Routes name the right sides. */
static void
test_cross_family(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	(void)state;

	/* Without an IPv6 address, an IPv6 next hop cannot be reached. */
	assert_int_equal(run_str(request("INVITE", "sip:v6gw@" ROUTER, NULL, NULL, NULL), &out),
			DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_NO_FAMILY], 1);

	env.cfg_other = &cfg6;
	cfg.record_route = cfg6.record_route = true;
	assert_int_equal(run_str(request("INVITE", "sip:v6gw@" ROUTER, NULL, NULL,
					 "Contact: <" ALICE_CONTACT ">\r\n"), &out), DP_ACT_SEND);
	assert_int_equal(out.dst.af, SIP_AF_INET6);
	assert_int_equal(out.dport, 5080);
	parse_out(&m);
	assert_non_null(strstr(outbuf, "\r\nVia: SIP/2.0/UDP [fd00::1]:5060;branch=z9hG4bKsl"));
	char rr[600];
	snprintf(rr, sizeof(rr), "Record-Route: %s, %s\r\n",
			route_up("sip:[fd00::1]:5060;lr", "a1", ALICE_CONTACT),
			route_up("sip:" ROUTER ":5060;lr", "a1", ALICE_CONTACT));
	assert_non_null(strstr(outbuf, rr));

	/* The caller's BYE comes back with both our Routes: both are popped. */
	char routes[600];
	snprintf(routes, sizeof(routes), "Route: %s, %s\r\n",
			route_down("sip:" ROUTER ":5060;lr", "a1", "gw1", "sip:bob@[fd00::30]:5070"),
			route_down("sip:[fd00::1]:5060;lr", "a1", "gw1", "sip:bob@[fd00::30]:5070"));
	assert_int_equal(run_str(request("BYE", "sip:bob@[fd00::30]:5070", "gw1", NULL, routes),
				 &out), DP_ACT_SEND);
	assert_int_equal(out.dst.af, SIP_AF_INET6);
	assert_int_equal(out.dport, 5070);
	parse_out(&m);
	assert_null(sip_hdr_first(&m, SIP_HDR_ROUTE));
	assert_non_null(strstr(outbuf, "Via: SIP/2.0/UDP [fd00::1]:5060;"));

	/* On two lines, with a third Route after ours: only ours go. */
	snprintf(routes, sizeof(routes), "Route: %s\r\nRoute: %s, <sip:[fd00::40]:5090;lr>\r\n",
			route_down("sip:" ROUTER ":5060;lr", "a1", "gw1", "sip:[fd00::40]:5090;lr"),
			route_down("sip:[fd00::1]:5060;lr", "a1", "gw1", "sip:[fd00::40]:5090;lr"));
	assert_int_equal(run_str(request("BYE", "sip:bob@[fd00::30]:5070", "gw1", NULL, routes),
				 &out), DP_ACT_SEND);
	assert_int_equal(out.dport, 5090);
	assert_non_null(strstr(outbuf, "Route: <sip:[fd00::40]:5090;lr>\r\n"));
	assert_null(strstr(outbuf, ROUTER ":5060;lr"));
	assert_null(strstr(outbuf, "[fd00::1]:5060;lr"));

	env.cfg_other = NULL;
	cfg.record_route = cfg6.record_route = false;
}

static void
test_error_replies(void **state)
{
	struct dp_pkt_out out;
	struct sip_msg m;
	(void)state;
	char t[4096];

	strcpy(t, request("INVITE", "sip:fwd1@" ROUTER, NULL, NULL, NULL));
	memcpy(strstr(t, "SIP/2.0\r\n"), "SIP/7.0", 7);
	assert_int_equal(run_str(t, &out), DP_ACT_SEND);
	parse_out(&m);
	assert_int_equal(m.status, 505);
	assert_non_null(strstr(outbuf, "Warning: 399 " ROUTER " \""));
	assert_int_equal(cnt.v[DP_C_ACT_ERROR_REPLY], 1);
}

/*
 * The head of a datagram larger than the dataplane's buffer
 * (dp_sip_too_large()): a request gets 513 with its headers copied and a
 * To-tag; an ACK, a response, anything that is not a request, gets
 * nothing; a request whose head lacks the headers a reply needs is
 * dropped like any unanswerable request.
 */
struct large_case {
	const char *name;
	const char *text;      /* the head: what the buffer held */
	enum dp_action action;
	unsigned status;       /* of the reply, when sent */
	enum dp_counter counter;
};

#define LARGE_HDRS \
	"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKbig1\r\n" \
	"Max-Forwards: 70\r\nFrom: <sip:alice@" CLIENT ">;tag=a1\r\n" \
	"To: <sip:3021@" ROUTER ">\r\nCall-ID: big@" CLIENT "\r\n"

static const struct large_case large_cases[] = {
	{"INVITE, body cut", "INVITE sip:3021@" ROUTER " SIP/2.0\r\n" LARGE_HDRS
		"CSeq: 1 INVITE\r\nContent-Length: 8000\r\n\r\nv=0\r\n",
		DP_ACT_SEND, 513, DP_C_ACT_TOO_LARGE},
	{"MESSAGE without Content-Length", "MESSAGE sip:3021@" ROUTER " SIP/2.0\r\n" LARGE_HDRS
		"CSeq: 1 MESSAGE\r\n\r\nxxxx", DP_ACT_SEND, 513, DP_C_ACT_TOO_LARGE},
	{"ACK", "ACK sip:3021@" ROUTER " SIP/2.0\r\n" LARGE_HDRS
		"CSeq: 1 ACK\r\nContent-Length: 8000\r\n\r\nv=0\r\n",
		DP_ACT_DROP, 0, DP_C_DROP_TOO_LARGE},
	{"response", "SIP/2.0 200 OK\r\n" LARGE_HDRS "CSeq: 1 INVITE\r\n"
		"Content-Length: 8000\r\n\r\nv=0\r\n", DP_ACT_DROP, 0, DP_C_DROP_TOO_LARGE},
	{"not SIP", "\x16\x03\x01 binary junk", DP_ACT_DROP, 0, DP_C_DROP_TOO_LARGE},
	{"headers cut before CSeq", "INVITE sip:3021@" ROUTER " SIP/2.0\r\n" LARGE_HDRS
		"X-Long: aaaa", DP_ACT_DROP, 0, DP_C_DROP_BAD_REQUEST_SILENT},
};

static void
test_too_large(void **state)
{
	(void)state;
	static struct dp_sip_job j;

	for (size_t i = 0; i < sizeof(large_cases) / sizeof(large_cases[0]); i++) {
		const struct large_case *c = &large_cases[i];
		struct dp_pkt_out out = {.cap = 4096};
		struct dp_pkt_in in = {.len = (uint32_t)strlen(c->text), .sport = 5062};
		memset(&cnt, 0, sizeof(cnt));
		assert_int_equal(sip_addr_parse(SIP_STR_LIT(CLIENT), &in.src), 0);
		in.payload = guard_put(&gin, c->text, in.len);
		out.buf = guard_room(&gout, out.cap);
		enum dp_action a = dp_sip_too_large(&env, &in, &out, &j);
		if (a != c->action || cnt.v[c->counter] != 1)
			fail_msg("%s: action %d, %s = %llu", c->name, a, dp_counter_name(c->counter),
					(unsigned long long)cnt.v[c->counter]);
		if (a != DP_ACT_SEND)
			continue;
		memcpy(outbuf, out.buf, out.len);
		outbuf[out.len] = '\0';
		struct sip_msg m;
		parse_out(&m);
		assert_int_equal(m.status, c->status);
		assert_non_null(strstr(outbuf, "Call-ID: big@" CLIENT "\r\n"));
		assert_non_null(strstr(outbuf, "To: <sip:3021@" ROUTER ">;tag="));
		assert_non_null(strstr(outbuf, "larger than this server's buffer"));
		assert_true(out.is_reply);
		assert_int_equal(cnt.v[DP_C_REPLY_5XX_6XX], 1);
	}
}

/*
 * Limits: a table of (name, request, status, counter). Duplicated
 * single-value headers get 400 (the reply copies the first of each);
 * Request-URIs longer than DP_MAX_RURI_LEN get 414; more than DP_MAX_VIAS
 * Via values (lines or commas) 400. Just under each limit, the request is
 * routed as usual (404 here). More than SIP_MAX_HDRS header lines cannot
 * be indexed, so not answered: dropped, counted on their own.
 */
struct limit_case {
	const char *name;
	const char *extra;     /* header lines added to a plain INVITE */
	unsigned ruri_len;     /* pad the Request-URI user to this length (0: plain) */
	unsigned status;
	enum dp_counter act;
};

static const struct limit_case limit_cases[] = {
	{"two Call-IDs", "Call-ID: other@" CLIENT "\r\n", 0, 400, DP_C_ACT_DUP_HEADER},
	{"two compact Call-IDs", "i: other@" CLIENT "\r\n", 0, 400, DP_C_ACT_DUP_HEADER},
	{"two CSeqs", "CSeq: 2 INVITE\r\n", 0, 400, DP_C_ACT_DUP_HEADER},
	{"two Froms", "From: <sip:bob@" CLIENT ">;tag=b2\r\n", 0, 400, DP_C_ACT_DUP_HEADER},
	{"two Tos", "t: <sip:x@" ROUTER ">\r\n", 0, 400, DP_C_ACT_DUP_HEADER},
	{"two Max-Forwards", "Max-Forwards: 69\r\n", 0, 400, DP_C_ACT_DUP_HEADER},
	{"Request-URI at the limit", NULL, DP_MAX_RURI_LEN, 404, DP_C_ACT_NO_ROUTE},
	{"Request-URI one over", NULL, DP_MAX_RURI_LEN + 1, 414, DP_C_ACT_RURI_TOO_LONG},
	{"Request-URI of 3000", NULL, 3000, 414, DP_C_ACT_RURI_TOO_LONG},
	{"69 more Via lines (70)", "@VIAS69", 0, 404, DP_C_ACT_NO_ROUTE},
	{"70 more Via lines (71)", "@VIAS70", 0, 400, DP_C_ACT_TOO_MANY_VIAS},
	{"71 Vias in one line", "@VIACOMMA70", 0, 400, DP_C_ACT_TOO_MANY_VIAS},
	{"120 other headers (127 in all)", "@HDRS120", 0, 404, DP_C_ACT_NO_ROUTE},
};

static void
limit_extra(const char *spec, char *out, size_t cap)
{
	size_t n = 0;
	unsigned k;
	out[0] = '\0';
	if (spec == NULL)
		return;
	if (sscanf(spec, "@VIAS%u", &k) == 1) {
		for (unsigned i = 0; i < k; i++)
			n += (size_t)snprintf(out + n, cap - n,
					"Via: SIP/2.0/UDP 198.51.100.%u:5060;branch=z9hG4bKv%u\r\n",
					i % 250 + 1, i);
	} else if (sscanf(spec, "@VIACOMMA%u", &k) == 1) {
		n += (size_t)snprintf(out + n, cap - n, "Via: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKc0");
		for (unsigned i = 1; i < k; i++)
			n += (size_t)snprintf(out + n, cap - n,
					", SIP/2.0/UDP 198.51.100.%u;branch=z9hG4bKc%u", i % 250 + 1, i);
		n += (size_t)snprintf(out + n, cap - n, "\r\n");
	} else if (sscanf(spec, "@HDRS%u", &k) == 1) {
		for (unsigned i = 0; i < k; i++)
			n += (size_t)snprintf(out + n, cap - n, "X-H%u: %u\r\n", i, i);
	} else {
		snprintf(out, cap, "%s", spec);
	}
	assert_true(n < cap);
}

static void
test_limits(void **state)
{
	struct dp_pkt_out out;
	char extra[8192], ruri[4096], text[16384];
	(void)state;

	for (size_t i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++) {
		const struct limit_case *c = &limit_cases[i];
		memset(&cnt, 0, sizeof(cnt));
		limit_extra(c->extra, extra, sizeof(extra));
		if (c->ruri_len) {
			/* "sip:" + user + "@" ROUTER, the user padded with digits. */
			size_t fixed = 4 + 1 + strlen(ROUTER);
			assert_true(c->ruri_len > fixed && c->ruri_len < sizeof(ruri));
			memcpy(ruri, "sip:", 4);
			memset(ruri + 4, '7', c->ruri_len - fixed);
			snprintf(ruri + 4 + (c->ruri_len - fixed), sizeof(ruri) - c->ruri_len + fixed,
					"@" ROUTER);
			assert_int_equal(strlen(ruri), c->ruri_len);
		} else {
			snprintf(ruri, sizeof(ruri), "sip:none@" ROUTER);
		}
		snprintf(text, sizeof(text), "%s", request("INVITE", ruri, NULL, NULL, extra));
		struct dp_pkt_in in = {.len = (uint32_t)strlen(text), .sport = 5062};
		assert_int_equal(sip_addr_parse(SIP_STR_LIT(CLIENT), &in.src), 0);
		in.payload = guard_put(&gin, text, in.len);
		memset(&out, 0, sizeof(out));
		out.cap = 16384;
		out.buf = guard_room(&gout, out.cap);
		enum dp_action a = dp_sip_handle(&env, &in, &out);
		if (a != DP_ACT_SEND)
			fail_msg("%s: action %d, expected a reply", c->name, a);
		struct sip_msg m;
		assert_true(sip_parse(&m, out.buf, out.len, 0) > 0);
		if (m.status != c->status)
			fail_msg("%s: status %u, expected %u", c->name, m.status, c->status);
		if (cnt.v[c->act] != 1)
			fail_msg("%s: counter %s = %lu, expected 1", c->name, dp_counter_name(c->act),
					(unsigned long)cnt.v[c->act]);
		/* A reply copies one of each: the first. */
		struct sip_str cid;
		assert_int_equal(sip_msg_callid(&m, &cid), 0);
		assert_true(SIP_STR_EQ_LIT(cid, "call-1@" CLIENT));
		assert_int_equal(sip_hdr_count(&m, SIP_HDR_CALL_ID), 1);
		assert_int_equal(sip_hdr_count(&m, SIP_HDR_CSEQ), 1);
	}
}

static void
test_too_many_headers(void **state)
{
	struct dp_pkt_out out;
	char extra[4096];
	(void)state;
	limit_extra("@HDRS130", extra, sizeof(extra));
	assert_int_equal(run_str(request("INVITE", "sip:none@" ROUTER, NULL, NULL, extra), &out),
			DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_TOO_MANY_HEADERS], 1);
	assert_int_equal(cnt.v[DP_C_DROP_BAD_REQUEST_SILENT], 0);
}

/*
 * Scanners get nothing back, whatever path the same message would take
 * without the signature: each request is run with a clean User-Agent
 * (expected action and status), then with a scanner's (dropped, counted).
 */
struct scanner_case {
	const char *name;
	const char *text;     /* "@UA@" where the User-Agent value goes */
	enum dp_action clean; /* with "Linphone" */
	unsigned status;
};

#define SC_HDRS "Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKsc1\r\n" \
	"From: <sip:100@" CLIENT ">;tag=s1\r\nCall-ID: sc@" CLIENT "\r\n"

static const struct scanner_case scanner_cases[] = {
	{"INVITE redirected", "INVITE sip:302x@" ROUTER " SIP/2.0\r\n" SC_HDRS
		"To: <sip:302x@" ROUTER ">\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		"User-Agent: @UA@\r\nContent-Length: 0\r\n\r\n", DP_ACT_SEND, 302},
	{"INVITE forwarded", "INVITE sip:fwd1@" ROUTER " SIP/2.0\r\n" SC_HDRS
		"To: <sip:fwd1@" ROUTER ">\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		"User-Agent: @UA@\r\nContent-Length: 0\r\n\r\n", DP_ACT_SEND, 0},
	{"OPTIONS to the router", "OPTIONS sip:" ROUTER " SIP/2.0\r\n" SC_HDRS
		"To: <sip:" ROUTER ">\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
		"User-Agent: @UA@\r\nContent-Length: 0\r\n\r\n", DP_ACT_SEND, 200},
	{"REGISTER (kernel)", "REGISTER sip:" ROUTER " SIP/2.0\r\n" SC_HDRS
		"To: <sip:100@" ROUTER ">\r\nCSeq: 1 REGISTER\r\nMax-Forwards: 70\r\n"
		"User-Agent: @UA@\r\nContent-Length: 0\r\n\r\n", DP_ACT_EXCEPTION, 0},
	{"bad version: 505", "INVITE sip:1@" ROUTER " SIP/3.0\r\n" SC_HDRS
		"To: <sip:1@" ROUTER ">\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		"User-Agent: @UA@\r\nContent-Length: 0\r\n\r\n", DP_ACT_SEND, 505},
	{"Max-Forwards 0: 483", "INVITE sip:1@" ROUTER " SIP/2.0\r\n" SC_HDRS
		"To: <sip:1@" ROUTER ">\r\nCSeq: 1 INVITE\r\nMax-Forwards: 0\r\n"
		"User-Agent: @UA@\r\nContent-Length: 0\r\n\r\n", DP_ACT_SEND, 483},
	{"CSeq mismatch: 400", "INVITE sip:1@" ROUTER " SIP/2.0\r\n" SC_HDRS
		"To: <sip:1@" ROUTER ">\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\n"
		"User-Agent: @UA@\r\nContent-Length: 0\r\n\r\n", DP_ACT_SEND, 400},
	{"no route: 404", "INVITE sip:nothing@" ROUTER " SIP/2.0\r\n" SC_HDRS
		"To: <sip:nothing@" ROUTER ">\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		"User-Agent: @UA@\r\nContent-Length: 0\r\n\r\n", DP_ACT_SEND, 404},
	{"short body: 400", "INVITE sip:1@" ROUTER " SIP/2.0\r\n" SC_HDRS
		"To: <sip:1@" ROUTER ">\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
		"User-Agent: @UA@\r\nContent-Length: 500\r\n\r\nv=0\r\n", DP_ACT_SEND, 400},
};

/* text with "@UA@" replaced by ua, into out. */
static void
with_ua(char *out, size_t cap, const char *text, const char *ua)
{
	const char *at = strstr(text, "@UA@");
	assert_non_null(at);
	snprintf(out, cap, "%.*s%s%s", (int)(at - text), text, ua, at + 4);
}

static void
test_scanner_silence(void **state)
{
	struct dp_pkt_out out;
	char text[2048], err[256];
	(void)state;
	struct dp_scanner *sc = dp_scanner_build(dp_scanner_defaults, dp_scanner_n_defaults, err,
			sizeof(err));
	assert_non_null(sc);
	env.scanner = sc;
	env.scan_scratch = dp_scanner_scratch_new(sc);
	assert_non_null(env.scan_scratch);

	for (size_t i = 0; i < sizeof(scanner_cases) / sizeof(scanner_cases[0]); i++) {
		const struct scanner_case *c = &scanner_cases[i];
		with_ua(text, sizeof(text), c->text, "Linphone/5.2");
		enum dp_action a = run_str(text, &out);
		if (a != c->clean)
			fail_msg("%s (clean): action %d, expected %d", c->name, a, c->clean);
		if (c->status != 0) {
			struct sip_msg m;
			assert_true(sip_parse(&m, outbuf, out.len, 0) > 0);
			if (m.status != c->status)
				fail_msg("%s (clean): status %u, expected %u", c->name, m.status,
						c->status);
		}
		static const char *const uas[] = {"friendly-scanner", "SIPVicious 0.3.4",
			"sipcli/v1.8", "VaxSIPUserAgent/3.0"};
		for (size_t u = 0; u < sizeof(uas) / sizeof(uas[0]); u++) {
			uint64_t before = cnt.v[DP_C_DROP_SCANNER];
			with_ua(text, sizeof(text), c->text, uas[u]);
			a = run_str(text, &out);
			if (a != DP_ACT_DROP || cnt.v[DP_C_DROP_SCANNER] != before + 1)
				fail_msg("%s (%s): action %d, not a counted drop", c->name, uas[u], a);
		}
	}
	/* Too broken to index (no header section end): scanned whole, still dropped. */
	const char broken[] = "INVITE sip:1@" ROUTER " SIP/2.0\r\nUser-Agent: friendly-scanner";
	uint64_t before = cnt.v[DP_C_DROP_SCANNER];
	assert_int_equal(run(broken, sizeof(broken) - 1, CLIENT, 5062, &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_SCANNER], before + 1);
	/* Responses with a scanner's signature are dropped too. */
	const char resp[] = "SIP/2.0 200 OK\r\n" SC_HDRS "To: <sip:1@" ROUTER ">;tag=x\r\n"
		"CSeq: 1 OPTIONS\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(run(resp, sizeof(resp) - 1, CLIENT, 5062, &out), DP_ACT_DROP);
	assert_int_equal(cnt.v[DP_C_DROP_SCANNER], before + 2);

	dp_scanner_scratch_free(env.scan_scratch);
	dp_scanner_free(sc);
	env.scanner = NULL;
	env.scan_scratch = NULL;
}

/* RFC 4475 over the handler: the expected action for each message, and no crash. */
struct corpus_case {
	const char *name;
	enum dp_action action;
	unsigned status; /* for replies */
};

static const struct corpus_case corpus_cases[] = {
	{"badvers", DP_ACT_SEND, 505},
	{"unkscm", DP_ACT_SEND, 416},
	{"novelsc", DP_ACT_SEND, 416},
	{"zeromf", DP_ACT_SEND, 483},
	{"bext01", DP_ACT_SEND, 420},
	{"mismatch01", DP_ACT_SEND, 400},
	{"mismatch02", DP_ACT_SEND, 501},
	{"insuf", DP_ACT_DROP, 0},    /* no From/To/Call-ID: no reply can be built */
	{"clerr", DP_ACT_SEND, 400},
	{"ncl", DP_ACT_SEND, 400},
	{"mcl01", DP_ACT_SEND, 400},
	{"multi01", DP_ACT_SEND, 400}, /* two Call-IDs, CSeqs, Froms, Tos: the first of each copied */
	{"longreq", DP_ACT_SEND, 404}, /* 34 Vias, long values: under every limit */
	{"badinv01", DP_ACT_SEND, 400},
	{"bcast", DP_ACT_DROP, 0},    /* response, top Via not ours */
	{"bigcode", DP_ACT_DROP, 0},
	{"scalarlg", DP_ACT_DROP, 0},
	{"noreason", DP_ACT_DROP, 0},
	{"unreason", DP_ACT_DROP, 0},
	{"regescrt", DP_ACT_EXCEPTION, 0},
	{"cparam01", DP_ACT_EXCEPTION, 0},
	{"wsinv", DP_ACT_SEND, 403},  /* To-tag + a Route not ours: not a dialog we route */
	{"intmeth", DP_ACT_SEND, 404},
	{"inv2543", DP_ACT_SEND, 404},
	{"dblreq", DP_ACT_EXCEPTION, 0},
};

static void
test_corpus(void **state)
{
	struct dp_pkt_out out;
	char path[64];
	(void)state;

	if (corpus_dir() == NULL)
		fail_msg("SIPLINE_CORPUS is not set");
	for (size_t i = 0; i < sizeof(corpus_cases) / sizeof(corpus_cases[0]); i++) {
		const struct corpus_case *cc = &corpus_cases[i];
		char *buf;
		size_t len;
		snprintf(path, sizeof(path), "rfc4475/%s.sip", cc->name);
		assert_int_equal(corpus_read(path, &buf, &len), 0);
		enum dp_action a = run(buf, len, CLIENT, 5060, &out);
		if (a != cc->action)
			fail_msg("%s: action %d, expected %d", cc->name, a, cc->action);
		if (a == DP_ACT_SEND && cc->status) {
			struct sip_msg m;
			int rc = sip_parse(&m, outbuf, out.len, 0);
			assert_true(rc > 0);
			if (m.status != cc->status)
				fail_msg("%s: status %u, expected %u", cc->name, m.status, cc->status);
		}
		free(buf);
	}

	/* Every other corpus file: whatever the action, the handler must not crash. */
	char **names;
	size_t n;
	assert_int_equal(corpus_list("rfc4475", ".sip", &names, &n), 0);
	assert_int_equal(n, 49);
	for (size_t i = 0; i < n; i++) {
		char *buf;
		size_t len;
		snprintf(path, sizeof(path), "rfc4475/%s", names[i]);
		assert_int_equal(corpus_read(path, &buf, &len), 0);
		(void)run(buf, len, CLIENT, 5060, &out);
		free(buf);
	}
	corpus_list_free(names, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_redirect_and_ack, reset),
		cmocka_unit_test_setup(test_too_large, reset),
		cmocka_unit_test_setup(test_reply_rport, reset),
		cmocka_unit_test_setup(test_port_zero, reset),
		cmocka_unit_test_setup(test_forward_cancel_retransmission, reset),
		cmocka_unit_test_setup(test_cancel_ack_follow_invite, reset),
		cmocka_unit_test_setup(test_counters_and_limits, reset),
		cmocka_unit_test_setup(test_response_steering, reset),
		cmocka_unit_test_setup(test_response_broadcast, reset),
		cmocka_unit_test_setup(test_options_and_proxy_checks, reset),
		cmocka_unit_test_setup(test_register_goes_to_kernel, reset),
		cmocka_unit_test_setup(test_garbage_and_keepalive, reset),
		cmocka_unit_test_setup(test_overload_reply, reset),
		cmocka_unit_test_setup(test_no_route_default, reset),
		cmocka_unit_test_setup(test_dialog_signatures, reset),
		cmocka_unit_test_setup(test_dialog_replays, reset),
		cmocka_unit_test_setup(test_relay_forbidden_targets, reset),
		cmocka_unit_test_setup(test_in_dialog_route, reset),
		cmocka_unit_test_setup(test_strict_route, reset),
		cmocka_unit_test_setup(test_redirect_loop_and_amplification, reset),
		cmocka_unit_test_setup(test_cross_family, reset),
		cmocka_unit_test_setup(test_error_replies, reset),
		cmocka_unit_test_setup(test_scanner_silence, reset),
		cmocka_unit_test_setup(test_limits, reset),
		cmocka_unit_test_setup(test_too_many_headers, reset),
		cmocka_unit_test_setup(test_corpus, reset),
	};
	return cmocka_run_group_tests_name("dp_sip", tests, setup, teardown);
}
