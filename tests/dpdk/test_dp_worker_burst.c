/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker step (dp_worker_poll()) on a ring port: bursts longer than a
 * group (DP_GROUP, dataplane/dp_app.h) and not a multiple of it, mixing
 * packets that need a dialplan lookup (302, forward) with packets decided
 * alone (OPTIONS to us: 200; keep-alive: dropped; REGISTER without a
 * control plane: dropped). Every output must come out in arrival order,
 * carry the right start line, Call-ID, destination and a valid UDP
 * checksum (DPDK's verifier), and the counters must add up. Again with the
 * port's TX checksum offloads on (dp_app.wire_tx_cksum): every output
 * must ask for them as DPDK says, and be right once completed as a NIC
 * would; and a forward larger than the wire MTU, fragmented here, must
 * ask for none and carry a UDP checksum right over the whole datagram.
 * Its DPDK runtime directory is removed at the end.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dp_app.h"
#include "dp_exc.h"
#include "dp_ring_port.h"
#include "dp_setup.h"
#include "dp_test_eal.h"

#define ROUTER "10.0.0.1"
#define PEER "10.0.0.7"
#define GATEWAY "10.0.0.20"

/* The dataplane's one application state (main.c defines it in sipline). */
struct dp_app dp_app;

static struct rte_ring *rx_ring, *tx_ring;
static struct dp_worker *worker;
/* The port computes IPv4 header and UDP checksums (what dp_app.wire_tx_cksum says). */
static bool tx_offload;
static const struct rte_ether_addr peer_mac = {{0x02, 0, 0, 0, 1, 7}};

/* What packet i of a burst is. */
enum kind { K_REDIRECT, K_FORWARD, K_OPTIONS, K_KEEPALIVE, K_REGISTER, K__COUNT };

static const char plan_text[] =
	"plan worker-burst\n"
	"group gw " GATEWAY ":5080\n"
	"100 prefix +1 redirect contact sip:$user@redir.example.net\n"
	"100 prefix +2 forward gw\n";

static enum kind
kind_of(unsigned burst, unsigned i)
{
	/* Different phases per burst so every kind meets every group position. */
	static const enum kind order[] = {K_REDIRECT, K_FORWARD, K_OPTIONS, K_REDIRECT,
		K_KEEPALIVE, K_FORWARD, K_REGISTER};
	return order[(i + burst) % RTE_DIM(order)];
}

static size_t
payload_of(enum kind k, unsigned burst, unsigned i, char *out, size_t cap)
{
	const char *method = k == K_OPTIONS ? "OPTIONS" : k == K_REGISTER ? "REGISTER" : "INVITE";
	char ruri[96];
	int n;

	if (k == K_KEEPALIVE)
		return (size_t)snprintf(out, cap, "\r\n\r\n");
	if (k == K_OPTIONS || k == K_REGISTER)
		snprintf(ruri, sizeof(ruri), "sip:" ROUTER ":5060");
	else
		snprintf(ruri, sizeof(ruri), "sip:+%c555%02u%02u@" ROUTER ":5060",
				k == K_REDIRECT ? '1' : '2', burst % 100, i);
	n = snprintf(out, cap,
		"%s %s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " PEER ":5060;branch=z9hG4bK-b%ui%u\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:alice@" PEER ">;tag=f%u\r\n"
		"To: <%s>\r\n"
		"Call-ID: burst%u-pkt%u@" PEER "\r\n"
		"CSeq: 1 %s\r\n"
		"Contact: <sip:alice@" PEER ":5060>\r\n"
		"Content-Length: 0\r\n\r\n",
		method, ruri, burst, i, i, ruri, burst, i, method);
	return (size_t)n;
}

static struct rte_mbuf *
frame_of(const char *payload, size_t len, unsigned i)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp_app.pool);
	assert_non_null(m);
	char *d = rte_pktmbuf_append(m, (uint16_t)(DP_HDR_LEN4 + len));
	assert_non_null(d);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)d;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(d, 0, DP_HDR_LEN4);
	eth->dst_addr = dp_app.local.mac;
	eth->src_addr = peer_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + len));
	ip->packet_id = rte_cpu_to_be_16((uint16_t)(i + 1));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	inet_pton(AF_INET, PEER, &ip->src_addr);
	inet_pton(AF_INET, ROUTER, &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = RTE_BE16(5060);
	udp->dst_port = RTE_BE16(5060);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	memcpy(udp + 1, payload, len);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return m;
}

/* The payload of an output frame, NUL-terminated into buf. */
static const char *
out_payload(struct rte_mbuf *m, char *buf, size_t cap, struct rte_ipv4_hdr **ipp,
		struct rte_udp_hdr **udpp)
{
	assert_int_equal(m->nb_segs, 1);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	assert_int_equal(eth->ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV4));
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	size_t len = rte_be_to_cpu_16(udp->dgram_len) - 8u;
	assert_true(len < cap);
	assert_int_equal(rte_pktmbuf_pkt_len(m), DP_HDR_LEN4 + len);
	memcpy(buf, udp + 1, len);
	buf[len] = '\0';
	*ipp = ip;
	*udpp = udp;
	return buf;
}

/*
 * With tx_offload, what the NIC does to an output: after checking that it
 * asks for IPv4 header and UDP checksums with everything DPDK wants (flags,
 * lengths, header checksum 0, the pseudo header's sum in the UDP field),
 * compute them. Without, the frame must ask for nothing.
 */
static void
nic_tx_cksum(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, struct rte_udp_hdr *udp)
{
	uint64_t tx = m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK;

	if (!tx_offload) {
		assert_true(tx == 0);
		return;
	}
	assert_true(tx == (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM));
	assert_int_equal(m->l2_len, RTE_ETHER_HDR_LEN);
	assert_int_equal(m->l3_len, sizeof(*ip));
	assert_int_equal(ip->hdr_checksum, 0);
	assert_int_equal(udp->dgram_cksum, rte_ipv4_phdr_cksum(ip, m->ol_flags));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

static void
run_burst(unsigned burst, unsigned n)
{
	struct rte_mbuf *in[DP_BURST], *out[DP_BURST * 2];
	enum kind kinds[DP_BURST];
	char payload[1024];
	uint64_t keepalive0 = worker->cnt.v[DP_C_DROP_KEEPALIVE];
	uint64_t punted0 = worker->cnt.v[DP_C_DROP_NO_EXCEPTION];
	unsigned n_keepalive = 0, n_register = 0;

	assert_true(n <= DP_BURST);
	for (unsigned i = 0; i < n; i++) {
		kinds[i] = kind_of(burst, i);
		size_t len = payload_of(kinds[i], burst, i, payload, sizeof(payload));
		in[i] = frame_of(payload, len, i);
		n_keepalive += kinds[i] == K_KEEPALIVE;
		n_register += kinds[i] == K_REGISTER;
	}
	assert_int_equal(rte_ring_enqueue_burst(rx_ring, (void **)in, n, NULL), n);
	assert_int_equal(dp_worker_poll(worker), n);
	unsigned n_out = rte_ring_dequeue_burst(tx_ring, (void **)out, RTE_DIM(out), NULL);

	/* One output per packet that is neither a keep-alive nor a REGISTER, in arrival order. */
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (kinds[i] == K_KEEPALIVE || kinds[i] == K_REGISTER)
			continue;
		assert_true(k < n_out);
		struct rte_ipv4_hdr *ip;
		struct rte_udp_hdr *udp;
		const char *p = out_payload(out[k], payload, sizeof(payload), &ip, &udp);
		char callid[64], want_dst[16], dst[16];
		snprintf(callid, sizeof(callid), "\r\nCall-ID: burst%u-pkt%u@" PEER "\r\n", burst, i);
		if (strstr(p, callid) == NULL)
			fail_msg("burst %u output %u: expected packet %u's Call-ID, got:\n%s", burst, k, i,
					p);
		const char *start = kinds[i] == K_REDIRECT ? "SIP/2.0 302 " :
			kinds[i] == K_OPTIONS ? "SIP/2.0 200 " : "INVITE sip:+2555";
		if (strncmp(p, start, strlen(start)) != 0)
			fail_msg("burst %u packet %u (kind %d): starts \"%.20s\"", burst, i, kinds[i], p);
		snprintf(want_dst, sizeof(want_dst), "%s", kinds[i] == K_FORWARD ? GATEWAY : PEER);
		inet_ntop(AF_INET, &ip->dst_addr, dst, sizeof(dst));
		assert_string_equal(dst, want_dst);
		assert_int_equal(rte_be_to_cpu_16(udp->dst_port), kinds[i] == K_FORWARD ? 5080 : 5060);
		if (kinds[i] == K_REDIRECT)
			assert_non_null(strstr(p, "\r\nContact: <sip:+1555"));
		nic_tx_cksum(out[k], ip, udp);
		assert_int_equal(rte_ipv4_cksum(ip), 0); /* over the header with its checksum */
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, udp), 0);
		k++;
	}
	assert_int_equal(n_out, k);
	assert_int_equal(worker->cnt.v[DP_C_DROP_KEEPALIVE] - keepalive0, n_keepalive);
	/* REGISTER goes to the kernel side; without one it is dropped there. */
	assert_int_equal(worker->cnt.v[DP_C_DROP_NO_EXCEPTION] - punted0, n_register);
	rte_pktmbuf_free_bulk(out, n_out);
}

static void
bursts_in_order(void **state)
{
	(void)state;
	/* Full bursts, one group and a bit, less than a group, exactly two groups. */
	const unsigned sizes[] = {DP_BURST, DP_GROUP + 1, DP_GROUP - 1, 2 * DP_GROUP, DP_BURST - 3,
		1};
	for (unsigned b = 0; b < 3 * RTE_DIM(sizes); b++)
		run_burst(b, sizes[b % RTE_DIM(sizes)]);
	/* Nothing left behind on the wire, and every mbuf back in the pool. */
	assert_int_equal(rte_ring_count(tx_ring), 0);
	assert_int_equal(rte_mempool_in_use_count(dp_app.pool), 0);
}

/* The same with the port's checksum offloads on: it sums what the worker leaves to it. */
static void
bursts_in_order_offload(void **state)
{
	dp_app.wire_tx_cksum = DP_TX_CKSUM_IP4 | DP_TX_CKSUM_UDP;
	tx_offload = true;
	bursts_in_order(state);
	dp_app.wire_tx_cksum = 0;
	tx_offload = false;
}

/*
 * A forward that grows past the wire MTU is fragmented by the worker
 * (dp_frag_ipv4()): no port sums across fragments, so even with the
 * offloads on it asks for none, every fragment's header checksum is right
 * and the UDP checksum is right over the reassembled datagram.
 */
static void
oversize_forward_offload(void **state)
{
	(void)state;
	static char payload[3000], dgram[3000];
	struct rte_mbuf *out[DP_FRAG_MAX + 1];
	uint64_t fragmented0 = worker->cnt.v[DP_C_EXC_FRAGMENTED];
	int len;

	dp_app.wire_tx_cksum = DP_TX_CKSUM_IP4 | DP_TX_CKSUM_UDP;
	len = snprintf(payload, sizeof(payload),
		"INVITE sip:+2555999@" ROUTER ":5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " PEER ":5060;branch=z9hG4bK-big\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:alice@" PEER ">;tag=big\r\n"
		"To: <sip:+2555999@" ROUTER ">\r\n"
		"Call-ID: oversize@" PEER "\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:alice@" PEER ":5060>\r\n");
	/* Sixteen 100-byte headers: the forward is ~1,900 bytes. */
	for (unsigned i = 0; i < 16; i++)
		len += snprintf(payload + len, sizeof(payload) - (size_t)len,
				"X-Pad-%02u: %088u\r\n", i, i);
	len += snprintf(payload + len, sizeof(payload) - (size_t)len, "Content-Length: 0\r\n\r\n");
	struct rte_mbuf *in = frame_of(payload, (size_t)len, 0);
	assert_int_equal(rte_ring_enqueue(rx_ring, in), 0);
	assert_int_equal(dp_worker_poll(worker), 1);
	unsigned n = rte_ring_dequeue_burst(tx_ring, (void **)out, RTE_DIM(out), NULL);
	dp_app.wire_tx_cksum = 0;

	assert_int_equal(worker->cnt.v[DP_C_EXC_FRAGMENTED] - fragmented0, 1);
	assert_true(n >= 2);
	uint32_t have = 0, total = 0;
	struct rte_ipv4_hdr first = {0};
	for (unsigned f = 0; f < n; f++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(out[f], struct rte_ipv4_hdr *,
				RTE_ETHER_HDR_LEN);
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
		uint32_t plen = rte_be_to_cpu_16(ip->total_length) - (uint32_t)sizeof(*ip);
		uint32_t off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) *
			RTE_IPV4_HDR_OFFSET_UNITS;

		assert_true((out[f]->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK) == 0);
		assert_true(rte_pktmbuf_pkt_len(out[f]) <= RTE_ETHER_HDR_LEN + RTE_ETHER_MTU);
		assert_int_equal(rte_ipv4_cksum(ip), 0);
		assert_int_equal(off, have); /* in order, no gap */
		assert_true(off + plen <= sizeof(dgram));
		memcpy(dgram + off, ip + 1, plen);
		have += plen;
		if (f == 0)
			first = *ip;
		if ((fo & RTE_IPV4_HDR_MF_FLAG) == 0) {
			assert_int_equal(f, n - 1);
			total = off + plen;
		}
	}
	assert_int_equal(total, have);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)dgram;
	assert_int_equal(rte_be_to_cpu_16(udp->dgram_len), total);
	assert_int_not_equal(udp->dgram_cksum, 0);
	assert_non_null(memmem(dgram, total, "Call-ID: oversize@", 18));
	/* The datagram's checksum over the pseudo header of the whole (RFC 768). */
	first.total_length = rte_cpu_to_be_16((uint16_t)(sizeof(first) + total));
	first.fragment_offset = 0;
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(&first, udp), 0);
	rte_pktmbuf_free_bulk(out, n);
	assert_int_equal(rte_mempool_in_use_count(dp_app.pool), 0);
}

static int
setup(void)
{
	struct dp_app *app = &dp_app;
	char err[256];

	dp_ring_port_options(app, ROUTER, GATEWAY, (uint8_t[]){0x02, 0, 0, 0, 0, 0x20});
	if (dp_ring_port_create(app, "wb", 1024, 0, 256, &rx_ring, &tx_ring, err,
			sizeof(err)) != 0) {
		fprintf(stderr, "test_dp_worker_burst: %s\n", err);
		return -1;
	}
	if (dp_setup_identity(app, err, sizeof(err)) != 0 ||
			dp_setup_state(app, err, sizeof(err)) != 0) {
		fprintf(stderr, "test_dp_worker_burst: %s\n", err);
		return -1;
	}
	worker = dp_ring_worker_create(app, err, sizeof(err));
	if (worker == NULL) {
		fprintf(stderr, "test_dp_worker_burst: %s\n", err);
		return -1;
	}

	struct rules_errors errs = {0};
	struct rules_plan *plan = rules_compile_text(plan_text, strlen(plan_text), "wb", NULL,
			&errs);
	if (plan == NULL) {
		rules_errors_print(&errs, stderr);
		return -1;
	}
	if (rules_swap_publish(app->rules, plan) != 0)
		return -1;
	rte_rcu_qsbr_thread_online(app->qsbr, 0);
	return 0;
}

int
main(void)
{
	if (dp_test_eal_start("test_dp_worker_burst", "wb", 256, true) != 0)
		return 1;
	int rc = 1;
	if (setup() != 0) {
		fprintf(stderr, "test_dp_worker_burst: set-up failed\n");
	} else {
		const struct CMUnitTest tests[] = {
			cmocka_unit_test(bursts_in_order),
			cmocka_unit_test(bursts_in_order_offload),
			cmocka_unit_test(oversize_forward_offload),
		};
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	}
	dp_setup_free_protections(&dp_app);
	dp_test_eal_stop("test_dp_worker_burst", "wb");
	return rc;
}
