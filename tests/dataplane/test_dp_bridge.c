/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport bridging in the shared decision (dataplane/core/dp_sip.c,
 * docs/dataplane.md "Transport bridging"): what the fast path cannot send
 * (TCP/TLS next hops, responses whose next Via is TCP/TLS, requests over
 * 1300 bytes) is answered 503 by a dataplane alone, handed to the kernel
 * side when a control plane is attached (DP_BRIDGE_PUNT), and sent by the
 * control plane (DP_BRIDGE_LARGE, DP_BRIDGE_STREAMS) with one Record-Route
 * per side (RFC 5658). One table of (request, bridge flags) -> (action,
 * status, counter, transport, lines); then responses, stream input and
 * in-dialog requests through a double Route with transport parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp_sip.h"
#include "guard.h"

#define ROUTER "10.0.0.1"
#define CLIENT "192.0.2.10"
#define GW "10.0.0.20"

static struct dp_sip_config cfg;
static struct sip_keyring keys;
static struct dp_counters cnt;
static struct guard_buf gin, gout;
static char outbuf[16384];

/* Routes by R-URI user: the transports a plan or a binding can name. */
static int
fake_route(void *ctx, struct dp_sip_job *j)
{
	const struct dp_query *q = &j->q;
	struct dp_route *r = &j->r;
	(void)ctx;
	r->kind = DP_ROUTE_FORWARD;
	sip_addr_parse(SIP_STR_LIT(GW), &r->nh);
	r->nh_port = 5060;
	r->nh_transport = SIP_TP_UDP;
	if (SIP_STR_EQ_LIT(q->ruri_user, "tcpgw")) {
		r->nh_transport = SIP_TP_TCP;
	} else if (SIP_STR_EQ_LIT(q->ruri_user, "tlsgw")) {
		r->nh_transport = SIP_TP_TLS;
		r->nh_port = 5061;
		r->tls_name = SIP_STR_LIT("gw.example.net");
	} else if (SIP_STR_EQ_LIT(q->ruri_user, "tcpreg")) {
		r->nh_transport = SIP_TP_TCP;
		r->from_location = true;
		r->ruri = SIP_STR_LIT("sip:tcpreg@192.0.2.50:40000;transport=tcp");
		sip_addr_parse(SIP_STR_LIT("192.0.2.50"), &r->nh);
		r->nh_port = 40000;
	} else if (!SIP_STR_EQ_LIT(q->ruri_user, "udpgw")) {
		r->kind = DP_ROUTE_NONE;
	}
	return 0;
}

static struct dp_sip_env env = {.cfg = &cfg, .route = fake_route, .cnt = &cnt};

static int
setup(void **state)
{
	struct sip_addr a;
	uint8_t raw[SIP_KEY_LEN];
	(void)state;
	assert_int_equal(sip_key_parse_hex("00112233445566778899aabbccddeeff", 32, raw), 0);
	sip_key_set(&keys.cur, raw);
	assert_int_equal(sip_addr_parse(SIP_STR_LIT(ROUTER), &a), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.tls_port = 5061;
	assert_int_equal(dp_sip_config_init(&cfg, &a, 24, 5060, &keys), 0);
	assert_int_equal(cfg.transport, SIP_TP_UDP); /* the default */
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

/* Run text from src:sport over transport tp; the output copied to outbuf. */
static enum dp_action
run(const char *text, const char *src, uint16_t sport, uint8_t tp, struct dp_pkt_out *out)
{
	size_t len = strlen(text);
	struct dp_pkt_in in = {.len = (uint32_t)len, .sport = sport, .transport = tp};
	assert_int_equal(sip_addr_parse(sip_str_make(src, strlen(src)), &in.src), 0);
	in.payload = guard_put(&gin, text, len);
	memset(out, 0, sizeof(*out));
	out->cap = sizeof(outbuf) - 1;
	out->buf = guard_room(&gout, out->cap);
	outbuf[0] = '\0';
	enum dp_action a = dp_sip_handle(&env, &in, out);
	if (a == DP_ACT_SEND) {
		memcpy(outbuf, out->buf, out->len);
		outbuf[out->len] = '\0';
	}
	return a;
}

/* An INVITE to sip:USER@ROUTER with a body of body_len bytes, Via over via_tp. */
static const char *
invite(const char *user, size_t body_len, const char *via_tp)
{
	static char buf[8192], body[4096];
	assert_true(body_len < sizeof(body));
	memset(body, 'a', body_len);
	body[body_len] = '\0';
	snprintf(buf, sizeof(buf),
			"INVITE sip:%s@" ROUTER " SIP/2.0\r\n"
			"Via: SIP/2.0/%s " CLIENT ":5062;rport;branch=z9hG4bKcli1\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:alice@" CLIENT ">;tag=a1\r\n"
			"To: <sip:%s@" ROUTER ">\r\n"
			"Call-ID: bridge-1@" CLIENT "\r\n"
			"CSeq: 1 INVITE\r\n"
			"Contact: <sip:alice@" CLIENT ":5062>\r\n"
			"Content-Type: text/plain\r\n"
			"Content-Length: %zu\r\n"
			"\r\n%s",
			user, via_tp, user, body_len, body);
	return buf;
}

#define N_LINES 3

struct bridge_case {
	const char *name;
	const char *user;
	size_t body;               /* body bytes (1400: over DP_BRIDGE_LARGE_LEN) */
	unsigned bridge;           /* DP_BRIDGE_* */
	enum dp_action act;
	uint16_t status;           /* a reply's status, 0: forwarded or nothing sent */
	enum dp_counter counter;   /* incremented once */
	uint8_t transport;         /* of what is sent */
	const char *lines[N_LINES]; /* each must be in the output */
};

#define ALONE 0u
#define ATTACHED DP_BRIDGE_PUNT
#define CP_NOSTREAM DP_BRIDGE_LARGE
#define CP (DP_BRIDGE_LARGE | DP_BRIDGE_STREAMS)
#define RR_UDP "<sip:" ROUTER ":5060;lr;sl="
#define RR_TCP "<sip:" ROUTER ":5060;transport=tcp;lr;sl="
#define RR_TLS "<sip:" ROUTER ":5061;transport=tls;lr;sl="

static const struct bridge_case cases[] = {
	{"TCP gateway, dataplane alone: 503", "tcpgw", 0, ALONE, DP_ACT_SEND, 503,
		DP_C_ACT_UNAVAILABLE, SIP_TP_UDP,
		{"SIP/2.0 503 Gateway Transport Not In Fast Path\r\n"}},
	{"TCP gateway, control plane attached: punted", "tcpgw", 0, ATTACHED, DP_ACT_EXCEPTION, 0,
		DP_C_PUNT_GATEWAY_TRANSPORT, 0, {NULL}},
	{"TCP gateway, control plane without a stream sender: 503", "tcpgw", 0, CP_NOSTREAM,
		DP_ACT_SEND, 503, DP_C_ACT_UNAVAILABLE, SIP_TP_UDP,
		{"SIP/2.0 503 Gateway Transport Not In Fast Path\r\n"}},
	{"TCP gateway, control plane: sent over TCP, one Record-Route per side", "tcpgw", 0, CP,
		DP_ACT_SEND, 0, DP_C_ACT_FORWARD, SIP_TP_TCP,
		{"Via: SIP/2.0/TCP " ROUTER ":5060;branch=z9hG4bKsl", "Record-Route: " RR_TCP,
			">, " RR_UDP}},
	{"TLS gateway, control plane: TLS port in Via and Record-Route", "tlsgw", 0, CP,
		DP_ACT_SEND, 0, DP_C_ACT_FORWARD, SIP_TP_TLS,
		{"Via: SIP/2.0/TLS " ROUTER ":5061;branch=z9hG4bKsl", "Record-Route: " RR_TLS,
			">, " RR_UDP}},
	{"TLS gateway, attached: punted", "tlsgw", 0, ATTACHED, DP_ACT_EXCEPTION, 0,
		DP_C_PUNT_GATEWAY_TRANSPORT, 0, {NULL}},
	{"contact over TCP, alone: 503", "tcpreg", 0, ALONE, DP_ACT_SEND, 503,
		DP_C_ACT_UNAVAILABLE, SIP_TP_UDP,
		{"SIP/2.0 503 Contact Transport Not In Fast Path\r\n"}},
	{"contact over TCP, attached: punted", "tcpreg", 0, ATTACHED, DP_ACT_EXCEPTION, 0,
		DP_C_PUNT_CONTACT_TRANSPORT, 0, {NULL}},
	{"contact over TCP, control plane: sent", "tcpreg", 0, CP, DP_ACT_SEND, 0,
		DP_C_ACT_LOCATION, SIP_TP_TCP,
		{"INVITE sip:tcpreg@192.0.2.50:40000;transport=tcp SIP/2.0\r\n",
			"Via: SIP/2.0/TCP " ROUTER ":5060;"}},
	{"UDP gateway, small: the fast path sends it", "udpgw", 100, ATTACHED, DP_ACT_SEND, 0,
		DP_C_ACT_FORWARD, SIP_TP_UDP, {"Record-Route: " RR_UDP, "Via: SIP/2.0/UDP "}},
	{"UDP gateway, 1400-byte body, alone: sent (fragments)", "udpgw", 1400, ALONE,
		DP_ACT_SEND, 0, DP_C_ACT_FORWARD, SIP_TP_UDP, {"Via: SIP/2.0/UDP "}},
	{"UDP gateway, 1400-byte body, attached: punted", "udpgw", 1400, ATTACHED,
		DP_ACT_EXCEPTION, 0, DP_C_PUNT_LARGE_REQUEST, 0, {NULL}},
	{"UDP gateway, 1400-byte body, control plane: sent over UDP", "udpgw", 1400, CP,
		DP_ACT_SEND, 0, DP_C_ACT_FORWARD, SIP_TP_UDP, {"Via: SIP/2.0/UDP "}},
	{"no route: 404 whatever the bridge", "nobody", 0, CP, DP_ACT_SEND, 404,
		DP_C_ACT_NO_ROUTE, SIP_TP_UDP, {"SIP/2.0 404 Not Found\r\n"}},
};

static void
test_table(void **state)
{
	(void)state;
	cfg.record_route = true;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bridge_case *c = &cases[i];
		struct dp_pkt_out out;
		memset(&cnt, 0, sizeof(cnt));
		cfg.bridge = (uint8_t)c->bridge;
		enum dp_action a = run(invite(c->user, c->body, "UDP"), CLIENT, 5062, SIP_TP_UDP,
				&out);
		if (a != c->act)
			fail_msg("%s: action %d, expected %d\n%s", c->name, a, c->act, outbuf);
		if (cnt.v[c->counter] != 1)
			fail_msg("%s: counter %s is %llu, expected 1", c->name,
					dp_counter_name(c->counter),
					(unsigned long long)cnt.v[c->counter]);
		if (a != DP_ACT_SEND)
			continue;
		if (c->status != 0) {
			char st[16];
			snprintf(st, sizeof(st), "SIP/2.0 %u ", c->status);
			if (strncmp(outbuf, st, strlen(st)) != 0 || !out.is_reply)
				fail_msg("%s: expected a %u reply:\n%s", c->name, c->status, outbuf);
		} else if (out.is_reply) {
			fail_msg("%s: expected a forward:\n%s", c->name, outbuf);
		}
		if (out.transport != c->transport)
			fail_msg("%s: transport %u, expected %u", c->name, out.transport,
					c->transport);
		for (unsigned k = 0; k < N_LINES && c->lines[k] != NULL; k++)
			if (strstr(outbuf, c->lines[k]) == NULL)
				fail_msg("%s: '%s' missing in\n%s", c->name, c->lines[k], outbuf);
		if (out.transport == SIP_TP_TLS &&
				!sip_str_eq(out.tls_name, SIP_STR_LIT("gw.example.net")))
			fail_msg("%s: TLS name '%.*s'", c->name, (int)out.tls_name.len,
					out.tls_name.p);
	}
	cfg.bridge = 0;
	cfg.record_route = false;
}

/* A response to the request in fwd (our output), from its recipient. */
static const char *
response_to(const char *fwd, const char *status_line)
{
	static char buf[8192];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s\r\n", status_line);
	const char *p = strstr(fwd, "\r\n") + 2;
	while (*p != '\r') {
		const char *e = strstr(p, "\r\n") + 2;
		if (strncmp(p, "Via:", 4) == 0 || strncmp(p, "From:", 5) == 0 ||
				strncmp(p, "Call-ID:", 8) == 0 || strncmp(p, "CSeq:", 5) == 0 ||
				strncmp(p, "Record-Route:", 13) == 0) {
			memcpy(buf + n, p, (size_t)(e - p));
			n += (size_t)(e - p);
		} else if (strncmp(p, "To:", 3) == 0) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%.*s;tag=b1\r\n",
					(int)(e - p - 2), p);
		}
		p = e;
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			"Contact: <sip:bob@" GW ":5060;transport=tcp>\r\nContent-Length: 0\r\n\r\n");
	return buf;
}

/*
 * A caller over TCP (the control plane took its INVITE from a stream) to a
 * UDP gateway: the INVITE leaves over UDP with both Record-Routes; the
 * gateway's response comes back over UDP to the dataplane, whose next Via
 * is TCP: punted when attached, sent as before alone, and sent through the
 * stream by the control plane (to the connection's address and port).
 */
static void
test_stream_caller(void **state)
{
	struct dp_pkt_out out;
	static char fwd[sizeof(outbuf)];
	(void)state;

	cfg.record_route = true;
	cfg.bridge = CP;
	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(run(invite("udpgw", 0, "TCP"), CLIENT, 40123, SIP_TP_TCP, &out),
			DP_ACT_SEND);
	assert_int_equal(out.transport, SIP_TP_UDP);
	assert_false(out.is_reply);
	assert_non_null(strstr(outbuf, "Via: SIP/2.0/UDP " ROUTER ":5060;branch=z9hG4bKsl"));
	/* Egress (UDP) side on top, then the ingress (TCP) side. */
	assert_non_null(strstr(outbuf, "Record-Route: " RR_UDP));
	assert_non_null(strstr(outbuf, ">, " RR_TCP));
	/* The caller's Via gets the connection's port in rport and its address in received. */
	assert_non_null(strstr(outbuf, "Via: SIP/2.0/TCP " CLIENT ":5062;rport=40123;"
				"branch=z9hG4bKcli1;received=" CLIENT "\r\n"));
	snprintf(fwd, sizeof(fwd), "%s", outbuf);

	const char *resp = response_to(fwd, "SIP/2.0 180 Ringing");
	cfg.bridge = ATTACHED;
	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(run(resp, GW, 5060, SIP_TP_UDP, &out), DP_ACT_EXCEPTION);
	assert_int_equal(cnt.v[DP_C_PUNT_RESPONSE_TRANSPORT], 1);

	cfg.bridge = ALONE;
	assert_int_equal(run(resp, GW, 5060, SIP_TP_UDP, &out), DP_ACT_SEND);
	assert_int_equal(out.transport, SIP_TP_TCP); /* the worker sends it over UDP anyway */

	cfg.bridge = CP;
	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(run(resp, GW, 5060, SIP_TP_UDP, &out), DP_ACT_SEND);
	assert_int_equal(out.transport, SIP_TP_TCP);
	assert_int_equal(out.dport, 40123);
	assert_int_equal(cnt.v[DP_C_ACT_RESPONSE_FWD], 1);
	assert_null(strstr(outbuf, "z9hG4bKsl")); /* our Via popped */

	/* Our own reply to a stream request goes back on it (the relay's reply hook). */
	assert_int_equal(run(invite("nobody", 0, "TCP"), CLIENT, 40123, SIP_TP_TCP, &out),
			DP_ACT_SEND);
	assert_true(out.is_reply);
	assert_int_equal(out.transport, SIP_TP_TCP);
	assert_int_equal(out.dport, 40123);
	cfg.bridge = 0;
	cfg.record_route = false;
}

/*
 * In-dialog requests through our two Route entries (RFC 5658): both are
 * popped, and the second one's transport parameter says how the request
 * leaves. Signatures are checked elsewhere: relay_in_dialog here.
 */
static void
test_in_dialog_double_route(void **state)
{
	struct dp_pkt_out out;
	char bye[2048];
	(void)state;

	cfg.relay_in_dialog = true;
	/* The caller's side (UDP) first, then the callee's (TCP): leaves over TCP. */
	snprintf(bye, sizeof(bye),
			"BYE sip:bob@192.0.2.50:40000 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKbye1\r\n"
			"Max-Forwards: 70\r\n"
			"Route: <sip:" ROUTER ":5060;lr>, <sip:" ROUTER ":5060;transport=tcp;lr>\r\n"
			"From: <sip:alice@" CLIENT ">;tag=a1\r\n"
			"To: <sip:bob@" ROUTER ">;tag=b1\r\n"
			"Call-ID: bridge-2@" CLIENT "\r\n"
			"CSeq: 2 BYE\r\n"
			"Content-Length: 0\r\n\r\n");
	cfg.bridge = ALONE;
	memset(&cnt, 0, sizeof(cnt));
	assert_int_equal(run(bye, CLIENT, 5062, SIP_TP_UDP, &out), DP_ACT_SEND);
	assert_non_null(strstr(outbuf, "SIP/2.0 503 Transport Not In Fast Path\r\n"));
	cfg.bridge = ATTACHED;
	assert_int_equal(run(bye, CLIENT, 5062, SIP_TP_UDP, &out), DP_ACT_EXCEPTION);
	assert_int_equal(cnt.v[DP_C_PUNT_DIALOG_TRANSPORT], 1);
	cfg.bridge = CP;
	assert_int_equal(run(bye, CLIENT, 5062, SIP_TP_UDP, &out), DP_ACT_SEND);
	assert_int_equal(out.transport, SIP_TP_TCP);
	assert_int_equal(out.dport, 40000);
	assert_null(strstr(outbuf, "Route:")); /* both of ours popped */
	assert_non_null(strstr(outbuf, "Via: SIP/2.0/TCP " ROUTER ":5060;branch=z9hG4bKsl"));

	/* The callee's side (TCP) first, then the caller's (UDP): leaves over UDP. */
	snprintf(bye, sizeof(bye),
			"BYE sip:alice@" CLIENT ":5062 SIP/2.0\r\n"
			"Via: SIP/2.0/TCP 192.0.2.50:40000;branch=z9hG4bKbye2\r\n"
			"Max-Forwards: 70\r\n"
			"Route: <sip:" ROUTER ":5060;transport=tcp;lr>\r\n"
			"Route: <sip:" ROUTER ":5060;lr>\r\n"
			"From: <sip:bob@" ROUTER ">;tag=b1\r\n"
			"To: <sip:alice@" CLIENT ">;tag=a1\r\n"
			"Call-ID: bridge-2@" CLIENT "\r\n"
			"CSeq: 1 BYE\r\n"
			"Content-Length: 0\r\n\r\n");
	cfg.bridge = ATTACHED;
	assert_int_equal(run(bye, "192.0.2.50", 40000, SIP_TP_UDP, &out), DP_ACT_SEND);
	assert_int_equal(out.transport, SIP_TP_UDP);
	assert_int_equal(out.dport, 5062);
	assert_null(strstr(outbuf, "Route:"));

	/* A WebSocket target: no process of ours speaks it, bridged or not. */
	snprintf(bye, sizeof(bye),
			"BYE sip:bob@192.0.2.50:40000;transport=ws SIP/2.0\r\n"
			"Via: SIP/2.0/UDP " CLIENT ":5062;branch=z9hG4bKbye3\r\n"
			"Max-Forwards: 70\r\n"
			"Route: <sip:" ROUTER ":5060;lr>\r\n"
			"From: <sip:alice@" CLIENT ">;tag=a1\r\n"
			"To: <sip:bob@" ROUTER ">;tag=b1\r\n"
			"Call-ID: bridge-3@" CLIENT "\r\n"
			"CSeq: 3 BYE\r\n"
			"Content-Length: 0\r\n\r\n");
	for (unsigned b = 0; b < 3; b++) {
		cfg.bridge = (uint8_t)(b == 0 ? ALONE : b == 1 ? ATTACHED : CP);
		assert_int_equal(run(bye, CLIENT, 5062, SIP_TP_UDP, &out), DP_ACT_SEND);
		assert_non_null(strstr(outbuf, "SIP/2.0 503 Transport Not Supported\r\n"));
	}
	cfg.bridge = 0;
	cfg.relay_in_dialog = false;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_stream_caller),
		cmocka_unit_test(test_in_dialog_double_route),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
