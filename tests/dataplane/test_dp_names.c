/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Resolved gateway names in the dataplane (dataplane/core/dp_names.c):
 * GW_ADDRS payloads checked (sl_gw_addrs_parse()), the target pick
 * (lowest priority that is up, RFC 2782 weights with the Call-ID hash,
 * the same target for the same hash), publication (versions only grow,
 * the old table freed after the grace period), and the route a plan
 * gateway named by host gets (dp_route_from_result()).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dp_names.h"
#include "dp_route.h"
#include "sl_link_io.h"

struct tgt {
	const char *ip;
	uint16_t port, prio, weight;
	uint8_t down;
};

/* A GW_ADDRS payload with one name carrying targets t[0..n). Returns its length. */
static uint32_t
payload(void *buf, uint64_t version, const char *host, const struct tgt *t, unsigned n)
{
	struct sl_gw_addrs *h = buf;
	struct sl_gw_name *gn = (struct sl_gw_name *)(h + 1);
	struct sl_gw_target *gt = (struct sl_gw_target *)(gn + 1);
	memset(buf, 0, sizeof(*h) + sizeof(*gn) + n * sizeof(*gt));
	h->version = version;
	h->n_names = 1;
	h->n_targets = n;
	snprintf(gn->host, sizeof(gn->host), "%s", host);
	gn->port = 5060;
	gn->count = (uint16_t)n;
	for (unsigned i = 0; i < n; i++) {
		struct sip_addr a;
		assert_int_equal(sip_addr_parse(sip_str_make(t[i].ip, strlen(t[i].ip)), &a), 0);
		gt[i].af = a.af == SIP_AF_INET ? 4 : 6;
		memcpy(gt[i].addr, a.a, 16);
		gt[i].port = t[i].port;
		gt[i].priority = t[i].prio;
		gt[i].weight = t[i].weight;
		gt[i].down = t[i].down;
	}
	return (uint32_t)(sizeof(*h) + sizeof(*gn) + n * sizeof(*gt));
}

static _Alignas(8) unsigned char buf[SL_LINK_MAX_PAYLOAD];

static struct dp_names *
table(uint64_t version, const struct tgt *t, unsigned n)
{
	char err[96];
	uint32_t len = payload(buf, version, "carrier.test", t, n);
	struct dp_names *nt = dp_names_from_link(buf, len, err, sizeof(err));
	assert_non_null(nt);
	return nt;
}

static void
test_parse_refuses(void **state)
{
	(void)state;
	const struct tgt t[] = {{"192.0.2.1", 5060, 10, 1, 0}, {"192.0.2.2", 5060, 20, 1, 0}};
	struct sl_gw_addrs h;
	const struct sl_gw_name *n;
	const struct sl_gw_target *g;
	uint32_t len = payload(buf, 1, "carrier.test", t, 2);
	assert_int_equal(sl_gw_addrs_parse(buf, len, &h, &n, &g), 0);
	assert_int_equal(h.n_targets, 2);
	/* Short, long, truncated header. */
	assert_int_equal(sl_gw_addrs_parse(buf, len - 1, &h, &n, &g), -EINVAL);
	assert_int_equal(sl_gw_addrs_parse(buf, len + 1, &h, &n, &g), -EINVAL);
	assert_int_equal(sl_gw_addrs_parse(buf, 8, &h, &n, &g), -EINVAL);
	/* Targets past the table. */
	struct sl_gw_name *gn = (struct sl_gw_name *)(buf + sizeof(struct sl_gw_addrs));
	gn->first = 1;
	assert_int_equal(sl_gw_addrs_parse(buf, len, &h, &n, &g), -EINVAL);
	gn->first = 0;
	/* A host without its NUL, an empty one, an unknown transport. */
	memset(gn->host, 'a', sizeof(gn->host));
	assert_int_equal(sl_gw_addrs_parse(buf, len, &h, &n, &g), -EINVAL);
	gn->host[0] = '\0';
	assert_int_equal(sl_gw_addrs_parse(buf, len, &h, &n, &g), -EINVAL);
	snprintf(gn->host, sizeof(gn->host), "x.test");
	gn->transport = 3;
	assert_int_equal(sl_gw_addrs_parse(buf, len, &h, &n, &g), -EINVAL);
	gn->transport = 0;
	/* A target of no family. */
	struct sl_gw_target *gt = (struct sl_gw_target *)(gn + 1);
	gt[1].af = 5;
	assert_int_equal(sl_gw_addrs_parse(buf, len, &h, &n, &g), -EINVAL);
	gt[1].af = 4;
	/* Counts beyond the limits. */
	((struct sl_gw_addrs *)buf)->n_names = SL_GW_MAX_NAMES + 1;
	assert_int_equal(sl_gw_addrs_parse(buf, len, &h, &n, &g), -EINVAL);
	char err[96];
	assert_null(dp_names_from_link(buf, len, err, sizeof(err)));
	assert_non_null(strstr(err, "GW_ADDRS"));
}

static void
test_pick_priority_and_failover(void **state)
{
	(void)state;
	struct tgt t[] = {{"192.0.2.2", 5062, 20, 1, 0}, {"192.0.2.1", 5061, 10, 1, 0}};
	struct dp_names *nt = table(1, t, 2);
	const struct dp_name *n = dp_names_find(nt, "carrier.test", 12, 5060, 0);
	assert_non_null(n);
	assert_null(dp_names_find(nt, "carrier.tes", 11, 5060, 0));
	assert_null(dp_names_find(nt, "carrier.test", 12, 5061, 0));
	assert_null(dp_names_find(nt, "carrier.test", 12, 5060, 1));
	for (uint64_t h = 0; h < 1000; h++)
		assert_int_equal(dp_names_pick(nt, n, h * 0x9e3779b97f4a7c15ull)->port, 5061);
	dp_names_free(nt);
	/* The primary down: the next priority. */
	t[1].down = 1;
	nt = table(2, t, 2);
	n = dp_names_find(nt, "carrier.test", 12, 5060, 0);
	for (uint64_t h = 0; h < 1000; h++)
		assert_int_equal(dp_names_pick(nt, n, h * 0x9e3779b97f4a7c15ull)->port, 5062);
	dp_names_free(nt);
	/* All down, none at all. */
	t[0].down = 1;
	nt = table(3, t, 2);
	assert_null(dp_names_pick(nt, dp_names_find(nt, "carrier.test", 12, 5060, 0), 42));
	dp_names_free(nt);
	nt = table(4, t, 0);
	assert_null(dp_names_pick(nt, dp_names_find(nt, "carrier.test", 12, 5060, 0), 42));
	dp_names_free(nt);
}

static void
test_pick_weights(void **state)
{
	(void)state;
	enum { DRAWS = 100000 };
	const struct tgt t[] = {{"192.0.2.1", 1, 10, 75, 0}, {"192.0.2.2", 2, 10, 25, 0},
		{"192.0.2.3", 3, 10, 0, 0}, {"192.0.2.4", 4, 20, 100, 0}};
	struct dp_names *nt = table(1, t, 4);
	const struct dp_name *n = dp_names_find(nt, "carrier.test", 12, 5060, 0);
	unsigned cnt[5] = {0};
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < DRAWS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		const struct dp_name_target *p = dp_names_pick(nt, n, x);
		cnt[p->port]++;
		/* Deterministic: the same hash, the same target (retransmissions, CANCEL, ACK). */
		assert_ptr_equal(dp_names_pick(nt, n, x), p);
	}
	print_message("w75 %u, w25 %u, w0 %u, priority 20: %u\n", cnt[1], cnt[2], cnt[3], cnt[4]);
	assert_int_equal(cnt[4], 0);
	assert_true(cnt[1] > DRAWS * 0.72 && cnt[1] < DRAWS * 0.77);
	assert_true(cnt[2] > DRAWS * 0.22 && cnt[2] < DRAWS * 0.27);
	assert_true(cnt[3] < DRAWS * 0.02);
	dp_names_free(nt);
}

static unsigned syncs;

static void
count_sync(void *ctx)
{
	(void)ctx;
	syncs++;
}

static void
test_publish(void **state)
{
	(void)state;
	const struct tgt t[] = {{"192.0.2.1", 5060, 10, 1, 0}};
	struct dp_names_ref ref = {.sync = count_sync};
	assert_null(dp_names_current(&ref));
	assert_int_equal(dp_names_publish(&ref, table(5, t, 1)), 0);
	assert_int_equal(syncs, 0);
	assert_int_equal(dp_names_current(&ref)->version, 5);
	/* Not newer: refused, the current one stays. */
	assert_int_equal(dp_names_publish(&ref, table(5, t, 1)), -ESTALE);
	assert_int_equal(dp_names_publish(&ref, table(4, t, 1)), -ESTALE);
	assert_int_equal(dp_names_current(&ref)->version, 5);
	assert_int_equal(dp_names_publish(&ref, table(6, t, 1)), 0);
	assert_int_equal(syncs, 1);
	assert_int_equal(ref.version, 6);
	assert_int_equal(ref.n_targets, 1);
	dp_names_free(ref.cur);
}

static void
test_route_named_gateway(void **state)
{
	(void)state;
	const struct tgt t[] = {{"192.0.2.7", 5070, 10, 1, 0}};
	struct dp_names *nt = table(1, t, 1);
	struct rules_result res = {.action = RULES_ACT_FORWARD, .gw = 0,
		.gw_host = {"carrier.test", 12}, .gw_port = 5060, .gw_transport = RULES_TP_UDP,
		.user = {"4930123", 7}};
	struct dp_route r;
	char rb[256];
	memset(&r, 0, sizeof(r));
	dp_route_from_result(&res, nt, 1234, &r, rb, sizeof(rb));
	assert_int_equal(r.kind, DP_ROUTE_FORWARD);
	assert_int_equal(r.nh_port, 5070);
	char ip[48];
	ip[sip_addr_format(&r.nh, ip, sizeof(ip))] = '\0';
	assert_string_equal(ip, "192.0.2.7");
	/* The Request-URI keeps the name (RFC 3263: the target is the domain). */
	assert_int_equal(r.ruri.len, strlen("sip:4930123@carrier.test"));
	assert_memory_equal(r.ruri.p, "sip:4930123@carrier.test", r.ruri.len);
	/* Unknown name, or no table: 503 as before. */
	memset(&r, 0, sizeof(r));
	res.gw_host = (struct rules_view){"other.test", 10};
	dp_route_from_result(&res, nt, 1234, &r, rb, sizeof(rb));
	assert_int_equal(r.kind, DP_ROUTE_UNAVAILABLE);
	assert_int_equal(r.code, 503);
	memset(&r, 0, sizeof(r));
	dp_route_from_result(&res, NULL, 1234, &r, rb, sizeof(rb));
	assert_int_equal(r.kind, DP_ROUTE_UNAVAILABLE);
	dp_names_free(nt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_pick_priority_and_failover),
		cmocka_unit_test(test_pick_weights),
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_route_named_gateway),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
