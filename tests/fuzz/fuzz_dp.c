/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the dataplane's per-packet SIP decision
 * (dataplane/core/dp_sip.c): what a hostile peer can make the router send.
 * The first three input bytes pick the setup (source address and port,
 * spoofed ones included,
 * Record-Route, relaying of in-dialog requests, a resolver as in the
 * control plane's relay); the rest is the datagram. A fixed route callback
 * answers by the Request-URI's user: redirect (also to ourselves and with
 * contacts long enough to amplify), forward (also to a forbidden next hop),
 * reject, drop, unavailable, or nothing.
 *
 * Whatever the datagram, what goes out must hold:
 *   - it fits the buffer and parses as one whole SIP message;
 *   - a reply to a UDP source is at most cfg.amplification times the
 *     request (no reflection amplification);
 *   - it never goes to a forbidden address (loopback, multicast,
 *     broadcast, unspecified), to port 0, or to an address the setup
 *     gives the router (its own, its subnet's broadcast or network);
 *   - a forwarded request carries our own Via on top, with a branch.
 * A broken invariant aborts, so libFuzzer saves the input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sip.h"
#include "sip_err.h"
#include "sip_msg.h"
#include "sip_via.h"

#define ROUTER "10.0.0.1"
#define GW "10.0.0.20"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dp_sip_config cfg, cfg6;
static struct sip_keyring keys;
static struct dp_counters cnt;
static bool ready;

static void
fail(const char *why)
{
	fprintf(stderr, "fuzz_dp: invariant broken: %s\n", why);
	abort();
}

static void
addr(const char *text, struct sip_addr *a)
{
	if (sip_addr_parse(sip_str_make(text, strlen(text)), a) != 0)
		fail("test address");
}

/* Routes by the Request-URI user's first byte. */
static int
route(void *ctx, struct dp_sip_job *j)
{
	const struct dp_query *q = &j->q;
	struct dp_route *r = &j->r;
	(void)ctx;

	switch (q->ruri_user.len ? q->ruri_user.p[0] : 0) {
	case '3':
		r->kind = DP_ROUTE_REDIRECT;
		r->code = 302;
		r->contacts[0] = SIP_STR_LIT("<sip:+4930111@gw1.example.net>;q=0.5");
		r->contacts[1] = SIP_STR_LIT("sip:" ROUTER);
		r->n_contacts = 2;
		break;
	case 'm':
		r->kind = DP_ROUTE_REDIRECT;
		r->code = 300;
		for (unsigned i = 0; i < DP_MAX_CONTACTS; i++)
			r->contacts[i] = SIP_STR_LIT("<sip:+493011122233344455566677788899900@"
						     "a-rather-long-gateway-name.example.net:5060;"
						     "transport=udp>;q=0.5;expires=3600");
		r->n_contacts = DP_MAX_CONTACTS;
		break;
	case 'f':
		r->kind = DP_ROUTE_FORWARD;
		addr(GW, &r->nh);
		r->nh_port = 5080;
		r->ruri = SIP_STR_LIT("sip:4930222@" GW ":5080");
		r->extra = SIP_STR_LIT("X-Route: fwd\r\n");
		break;
	case 'n':
		/* A plan naming a forbidden next hop: must never be sent to. */
		r->kind = DP_ROUTE_FORWARD;
		addr(q->ruri_user.len > 1 && q->ruri_user.p[1] == 'b' ? "10.0.0.255" :
				q->ruri_user.len > 1 && q->ruri_user.p[1] == 's' ? ROUTER :
				"127.0.0.1", &r->nh);
		r->nh_port = 5060;
		break;
	case 'r':
		r->kind = DP_ROUTE_REJECT;
		r->code = 403;
		r->reason = SIP_STR_LIT("Forbidden by policy");
		break;
	case 'u':
		r->kind = DP_ROUTE_UNAVAILABLE;
		r->code = 503;
		r->reason = SIP_STR_LIT("All Gateways Down");
		break;
	case 'd':
		r->kind = DP_ROUTE_DROP;
		break;
	default:
		break;
	}
	return 0;
}

/* As the control plane's relay: one name resolves, one to ourselves, others wait. */
static int
resolve(void *ctx, struct sip_str host, bool sips, bool has_port, uint16_t port,
		struct sip_addr *a, uint16_t *out_port)
{
	(void)ctx;
	(void)sips;
	*out_port = has_port ? port : 5060;
	if (sip_str_eq(host, SIP_STR_LIT("host.example.com"))) {
		addr("10.0.0.31", a);
		return 0;
	}
	if (sip_str_eq(host, SIP_STR_LIT("self.example.com"))) {
		addr(ROUTER, a);
		return 0;
	}
	return -EAGAIN;
}

static void
setup(void)
{
	static const uint8_t raw[SIP_KEY_LEN] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	struct sip_addr a;

	sip_key_set(&keys.cur, raw);
	addr(ROUTER, &a);
	if (dp_sip_config_init(&cfg, &a, 24, 5060, &keys) != 0)
		fail("config");
	addr("fd00::1", &a);
	if (dp_sip_config_init(&cfg6, &a, 64, 5060, &keys) != 0)
		fail("config6");
	ready = true;
}

/* Sources a datagram claims (spoofed ones too: nothing may answer those). */
static const char *const sources[16] = {
	"192.0.2.10", "10.0.0.20", "10.0.0.77", ROUTER, "127.0.0.1", "10.0.0.255", "fd00::20",
	"2001:db8::10", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "0.0.0.0", "224.0.0.1",
	"10.0.0.0", "::", "::1", "fd00::1",
};

/* One of the addresses this setup gives the router (the other family's only when it has one). */
static bool
ours(const struct dp_sip_env *env, const struct sip_addr *a)
{
	for (const struct dp_sip_config *c = env->cfg; c != NULL;
			c = c == env->cfg ? env->cfg_other : NULL)
		if (sip_addr_eq(a, &c->addr) || sip_addr_eq(a, &c->bcast) || sip_addr_eq(a, &c->net))
			return true;
	return false;
}

static void
check_sent(const struct dp_sip_env *env, const struct dp_pkt_in *in, const struct dp_pkt_out *out)
{
	const struct dp_sip_config *c = env->cfg;
	struct sip_msg m;

	if (out->len == 0 || out->len > out->cap)
		fail("length outside the buffer");
	int rc = sip_parse(&m, out->buf, out->len, 0);
	/*
	 * A reply copies the request's Via, From, To, Call-ID and CSeq lines,
	 * folded ones too, and adds its own: one to a request at our parser's
	 * line limit may pass it (the reply is still SIP; RFC 3261 has no limit).
	 */
	bool beyond_limit = rc == -SIP_E_TOO_MANY_HDRS && out->is_reply;
	if ((rc <= 0 || (uint32_t)rc != out->len) && !beyond_limit)
		fail("what goes out is not one whole SIP message");
	if (out->is_reply && in->transport == SIP_TP_UDP &&
			out->len > (uint64_t)in->len * c->amplification)
		fail("a reply larger than amplification x the request");
	if (out->dport == 0)
		fail("destination port 0");
	struct sip_addr dst = sip_addr_unmapped(&out->dst);
	if (sip_addr_is_forbidden_dst(&dst))
		fail("a forbidden destination");
	if (ours(env, &dst))
		fail("sent to the router itself or its subnet's broadcast or network address");
	if (!out->is_reply && sip_is_request(&m)) {
		struct sip_via v;
		if (sip_via_top(&m, &v) != 0 || !v.has_branch || v.branch.len < 7 ||
				memcmp(v.branch.p, "z9hG4bK", 7) != 0 ||
				!ours(env, &v.addr))
			fail("a forwarded request without our Via on top");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out_buf[4096];

	if (!ready)
		setup();
	if (size < 3)
		return 0;

	uint8_t flags = data[0];
	struct dp_pkt_in in = {.sport = (uint16_t)(data[1] << 8 | data[2])};
	addr(sources[(flags & 7) | (flags >> 4 & 8)], &in.src);
	const struct dp_sip_config *c = in.src.af == SIP_AF_INET6 ? &cfg6 : &cfg;
	cfg.record_route = cfg6.record_route = (flags & 0x08) != 0;
	cfg.relay_in_dialog = cfg6.relay_in_dialog = (flags & 0x10) != 0;

	/* The datagram in a buffer of its own size: ASan fences every byte past it. */
	size_t len = size - 3;
	char *payload = malloc(len ? len : 1);
	if (payload == NULL)
		return 0;
	memcpy(payload, data + 3, len);
	in.payload = payload;
	in.len = (uint32_t)len;

	struct dp_sip_env env = {
		.cfg = c,
		.cfg_other = (flags & 0x20) ? (c == &cfg ? &cfg6 : &cfg) : NULL,
		.route = route,
		.resolve = (flags & 0x40) ? resolve : NULL,
		.cnt = &cnt,
	};
	struct dp_pkt_out out = {.buf = out_buf, .cap = sizeof(out_buf)};
	enum dp_action a = dp_sip_handle(&env, &in, &out);
	switch (a) {
	case DP_ACT_SEND:
		check_sent(&env, &in, &out);
		break;
	case DP_ACT_DROP:
	case DP_ACT_EXCEPTION:
		break;
	default:
		fail("an action other than send, drop or exception");
	}
	free(payload);
	return 0;
}
