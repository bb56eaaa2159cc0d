/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration driver for dataplane/kernel (run by exc_test.sh inside a
 * network namespace): an af_packet wire port whose every received frame a
 * worker lcore punts to the kernel (dp_exc), the main lcore polling dp_exc
 * and dp_neigh, and a line protocol on stdin so the script can build "via
 * kernel" packets and read the neighbour table while it probes from peers.
 *
 *   test_exc EAL-ARGS -- --tap NAME --addr4 A/LEN [--addr6 A/LEN] [--egress] [--idle S]
 *
 * The wire needs qpairs=2 (the main lcore transmits on queue 1) unless
 * --egress: then the main lcore hands the kernel's frames to the worker
 * through a ring, as sipline does with af_packet, and qpairs=1 will do.
 *
 * Commands, one per line, each answered by lines "TAG ..." and "TAG done":
 *   TAG via SRC DST SPORT DPORT TEXT   UDP packet with an unknown next hop:
 *                                      prints "TAG before DST MAC|none", sends it via
 *                                      the kernel and requests DST
 *   TAG wait DST MS [MAC]              until DST resolves (to MAC if given):
 *                                      "TAG neigh DST MAC|none"
 *   TAG pin DST / TAG unpin DST        pin DST (reason "plan") or drop that pin
 *   TAG stats                          counters
 *   TAG quit
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dp_exc.h"
#include "dp_neigh.h"
#include "sip_addr.h"

#define WIRE_NAME "net_af_packet0"
#define WORKER_TXQ 0
#define MAIN_TXQ 1
#define BURST 32
#define NB_MBUF 4095
#define IDLE_US 200

static volatile bool quit;
static uint16_t wire_port, wire_queues;
static struct rte_ring *egress;
static struct dp_exc *exc;
static struct dp_neigh *neigh;
static struct rte_mempool *pool;
static struct rte_ether_addr our_mac;
static uint64_t worker_punted, worker_dropped;

static void
on_signal(int sig)
{
	(void)sig;
	quit = true;
}

/*
 * The worker: punts everything. It reads every RX queue: af_packet fans
 * frames out over all its sockets, the main lcore's queue included.
 */
static int
worker(void *arg)
{
	struct rte_mbuf *pkts[BURST];

	(void)arg;
	while (!quit) {
		unsigned got = 0;

		if (egress != NULL) {
			unsigned n = rte_ring_sc_dequeue_burst(egress, (void **)pkts, BURST, NULL);
			unsigned k = rte_eth_tx_burst(wire_port, WORKER_TXQ, pkts, (uint16_t)n);

			if (k < n)
				rte_pktmbuf_free_bulk(pkts + k, n - k);
			got += n;
		}
		for (uint16_t q = 0; q < wire_queues; q++) {
			unsigned n = rte_eth_rx_burst(wire_port, q, pkts, BURST), k;

			if (n == 0)
				continue;
			got += n;
			k = dp_exc_punt(exc, pkts, n);
			__atomic_fetch_add(&worker_punted, k, __ATOMIC_RELAXED);
			if (k < n) {
				__atomic_fetch_add(&worker_dropped, n - k, __ATOMIC_RELAXED);
				rte_pktmbuf_free_bulk(pkts + k, n - k);
			}
		}
		/* A test on 2 vCPUs shared with others: no busy wait. */
		if (got == 0)
			rte_delay_us_sleep(IDLE_US);
	}
	return 0;
}

static unsigned
service(void)
{
	return dp_exc_poll(exc) + dp_neigh_poll(neigh);
}

static int
parse_prefix(const char *s, struct sip_addr *a, uint8_t *len)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL || sip_addr_parse(sip_str_make(s, (size_t)(slash - s)), a) != 0)
		return -1;
	*len = (uint8_t)atoi(slash + 1);
	return 0;
}

static int
parse_addr(const char *s, struct sip_addr *a)
{
	return sip_addr_parse(sip_str_make(s, strlen(s)), a) == 0 ? 0 : -1;
}

static void
print_mac(char *out, size_t cap, const struct rte_ether_addr *m)
{
	const uint8_t *b = m->addr_bytes;

	/* Lower case, as ip(8) and /sys print MACs. */
	snprintf(out, cap, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* Ethernet (destination unknown: zero) + IP + UDP + text, checksums in software. */
static struct rte_mbuf *
build_udp(const struct sip_addr *src, const struct sip_addr *dst, uint16_t sport,
		uint16_t dport, const char *text)
{
	size_t tl = strlen(text), l3 = src->af == SIP_AF_INET ? sizeof(struct rte_ipv4_hdr) :
			sizeof(struct rte_ipv6_hdr);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	struct rte_udp_hdr *udp;
	char *p;

	if (m == NULL)
		return NULL;
	p = rte_pktmbuf_append(m, (uint16_t)(sizeof(*eh) + l3 + sizeof(*udp) + tl));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eh = (struct rte_ether_hdr *)(void *)p;
	memset(&eh->dst_addr, 0, sizeof(eh->dst_addr));
	eh->src_addr = our_mac;
	udp = (struct rte_udp_hdr *)(void *)(p + sizeof(*eh) + l3);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + tl));
	udp->dgram_cksum = 0;
	memcpy(udp + 1, text, tl);
	if (src->af == SIP_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(void *)(eh + 1);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + sizeof(*udp) + tl));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, src->a, 4);
		memcpy(&ip->dst_addr, dst->a, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(void *)(eh + 1);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		memset(ip6, 0, sizeof(*ip6));
		ip6->vtc_flow = rte_cpu_to_be_32(UINT32_C(6) << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + tl));
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, src->a, 16);
		memcpy(ip6->dst_addr, dst->a, 16);
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
	}
	return m;
}

static void
cmd_via(const char *tag, char *args)
{
	char s[64], d[64], text[256], mac[24];
	struct sip_addr src, dst;
	struct rte_ether_addr ea;
	unsigned sport, dport;
	struct rte_mbuf *m;

	if (sscanf(args, "%63s %63s %u %u %255s", s, d, &sport, &dport, text) != 5 ||
			parse_addr(s, &src) != 0 || parse_addr(d, &dst) != 0 || src.af != dst.af) {
		printf("%s error bad via arguments\n", tag);
		return;
	}
	if (dp_neigh_lookup(neigh, &dst, &ea) == 0)
		print_mac(mac, sizeof(mac), &ea);
	else
		snprintf(mac, sizeof(mac), "none");
	printf("%s before %s %s\n", tag, d, mac);
	m = build_udp(&src, &dst, (uint16_t)sport, (uint16_t)dport, text);
	if (m == NULL) {
		printf("%s error no mbuf\n", tag);
		return;
	}
	if (dp_exc_send_via_kernel(exc, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		printf("%s error via ring full\n", tag);
		return;
	}
	dp_neigh_request(neigh, &dst, 0);
	printf("%s sent %s\n", tag, d);
}

static void
cmd_wait(const char *tag, char *args)
{
	char d[64], want[24] = "", mac[24] = "none";
	struct sip_addr dst;
	struct rte_ether_addr ea;
	unsigned ms;
	uint64_t end;

	if (sscanf(args, "%63s %u %23s", d, &ms, want) < 2 || parse_addr(d, &dst) != 0) {
		printf("%s error bad wait arguments\n", tag);
		return;
	}
	end = rte_get_timer_cycles() + (uint64_t)ms * rte_get_timer_hz() / 1000;
	while (!quit && rte_get_timer_cycles() < end) {
		if (dp_neigh_lookup(neigh, &dst, &ea) == 0) {
			print_mac(mac, sizeof(mac), &ea);
			if (want[0] == '\0' || strcmp(mac, want) == 0)
				break;
		}
		if (service() == 0)
			rte_delay_us_sleep(IDLE_US);
	}
	printf("%s neigh %s %s\n", tag, d, mac);
}

static void
cmd_stats(const char *tag)
{
	struct dp_exc_stats xs;
	struct dp_neigh_stats ns;

	dp_exc_get_stats(exc, &xs);
	dp_neigh_get_stats(neigh, &ns);
	printf("%s exc to_kernel=%" PRIu64 " from_kernel=%" PRIu64 " via_kernel=%" PRIu64
			" drops=%" PRIu64 " punted=%" PRIu64 " punt_drops=%" PRIu64 "\n",
			tag, xs.to_kernel, xs.from_kernel, xs.via_kernel, xs.drops,
			__atomic_load_n(&worker_punted, __ATOMIC_RELAXED),
			__atomic_load_n(&worker_dropped, __ATOMIC_RELAXED));
	printf("%s neigh count=%u", tag, dp_neigh_count(neigh));
	for (unsigned k = 0; k < DP_NEIGH_S__COUNT; k++)
		printf(" %s=%" PRIu64, dp_neigh_stat_name(k), dp_neigh_stat_value(&ns, k));
	printf("\n");
}

/* The pinned set, resynchronised as a whole as sipline does (dp_pins.c). */
static struct sip_addr pinned[16];
static unsigned n_pinned;

static void
cmd_pin(const char *tag, char *args, bool pin)
{
	char d[64];
	struct sip_addr dst;
	unsigned k;
	int rc = 0;

	if (sscanf(args, "%63s", d) != 1 || parse_addr(d, &dst) != 0) {
		printf("%s error bad pin arguments\n", tag);
		return;
	}
	for (k = 0; k < n_pinned && !sip_addr_eq(&pinned[k], &dst); k++)
		;
	if (pin && k == n_pinned && n_pinned < RTE_DIM(pinned))
		pinned[n_pinned++] = dst;
	else if (!pin && k < n_pinned)
		pinned[k] = pinned[--n_pinned];
	dp_neigh_pin_begin(neigh, DP_NEIGH_PIN_PLAN);
	for (k = 0; k < n_pinned && rc == 0; k++)
		rc = dp_neigh_pin(neigh, &pinned[k], DP_NEIGH_PIN_PLAN);
	dp_neigh_pin_end(neigh, DP_NEIGH_PIN_PLAN);
	printf("%s %s %s %d\n", tag, pin ? "pinned" : "unpinned", d, rc);
}

/* One command line; false on quit. */
static bool
command(char *line)
{
	char tag[32], verb[16];
	int off = 0;
	bool more = true;

	if (sscanf(line, "%31s %15s %n", tag, verb, &off) < 2)
		return true;
	if (strcmp(verb, "via") == 0)
		cmd_via(tag, line + off);
	else if (strcmp(verb, "wait") == 0)
		cmd_wait(tag, line + off);
	else if (strcmp(verb, "stats") == 0)
		cmd_stats(tag);
	else if (strcmp(verb, "pin") == 0 || strcmp(verb, "unpin") == 0)
		cmd_pin(tag, line + off, verb[0] == 'p');
	else if (strcmp(verb, "quit") == 0)
		more = false;
	else
		printf("%s error unknown command %s\n", tag, verb);
	printf("%s done\n", tag);
	return more;
}

/* Reads what stdin has; runs complete lines. False on quit or end of input. */
static bool
read_commands(void)
{
	static char buf[4096];
	static size_t used;
	ssize_t n = read(STDIN_FILENO, buf + used, sizeof(buf) - 1 - used);
	char *nl;

	if (n == 0)
		return false;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	used += (size_t)n;
	buf[used] = '\0';
	while ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		if (!command(buf))
			return false;
		used -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, used + 1);
	}
	if (used == sizeof(buf) - 1)
		used = 0; /* a line longer than the buffer: drop it */
	return true;
}

static int
wire_setup(bool with_egress)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	int ret;

	if (rte_eth_dev_get_port_by_name(WIRE_NAME, &wire_port) != 0) {
		fprintf(stderr, "test_exc: no %s vdev (--vdev %s,iface=...)\n", WIRE_NAME,
				WIRE_NAME);
		return -ENODEV;
	}
	/* af_packet: as many queues as qpairs, all receiving (fanout): all are polled. */
	ret = rte_eth_dev_info_get(wire_port, &info);
	if (ret != 0 || info.max_rx_queues < (with_egress ? 1 : 2)) {
		fprintf(stderr, "test_exc: port %u: need qpairs=2 without --egress\n", wire_port);
		return -EINVAL;
	}
	wire_queues = info.max_rx_queues;
	ret = rte_eth_dev_configure(wire_port, wire_queues, wire_queues, &conf);
	for (uint16_t q = 0; ret == 0 && q < wire_queues; q++) {
		ret = rte_eth_rx_queue_setup(wire_port, q, 512, rte_socket_id(), NULL, pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(wire_port, q, 512, rte_socket_id(), NULL);
	}
	if (ret != 0) {
		fprintf(stderr, "test_exc: cannot configure port %u: %s\n", wire_port,
				strerror(-ret));
		return ret;
	}
	return rte_eth_macaddr_get(wire_port, &our_mac);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"tap", required_argument, NULL, 't'},
		{"addr4", required_argument, NULL, '4'},
		{"addr6", required_argument, NULL, '6'},
		{"egress", no_argument, NULL, 'e'},
		{"idle", required_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	struct dp_exc_conf xc = {.ring_size = 1024, .wire_txq = MAIN_TXQ};
	struct dp_neigh_conf nc = {.capacity = 1024};
	char err[256], mac[24];
	unsigned lcore;
	int ret, opt, status = EXIT_FAILURE;
	bool with_egress = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "test_exc: EAL init: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	argc -= ret;
	argv += ret;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 't')
			xc.ifname = optarg;
		else if (opt == 'e')
			with_egress = true;
		else if (opt == 'i')
			nc.idle_s = (unsigned)atoi(optarg);
		else if (opt == '4' && parse_prefix(optarg, &xc.addr4, &xc.prefix4) == 0)
			continue;
		else if (opt == '6' && parse_prefix(optarg, &xc.addr6, &xc.prefix6) == 0)
			continue;
		else
			goto usage;
	}
	if (xc.ifname == NULL || xc.addr4.af != SIP_AF_INET)
		goto usage;
	nc.ifname = xc.ifname;
	nc.socket_id = rte_socket_id();
	nc.addr4 = xc.addr4;
	nc.addr6 = xc.addr6;

	pool = rte_pktmbuf_pool_create("test_exc", NB_MBUF, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			(int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "test_exc: mbuf pool: %s\n", rte_strerror(rte_errno));
		goto out_eal;
	}
	if (wire_setup(with_egress) != 0)
		goto out_eal;
	if (with_egress) {
		egress = rte_ring_create("test_egress", 1024, (int)rte_socket_id(),
				RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (egress == NULL) {
			fprintf(stderr, "test_exc: egress ring: %s\n", rte_strerror(rte_errno));
			goto out_eal;
		}
	}
	/* The table first, as sipline does: the tap does not exist yet; dp_exc attaches it. */
	nc.mac = our_mac;
	ret = dp_neigh_create(&nc, &neigh, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "test_exc: %s\n", err);
		goto out_ring;
	}
	xc.wire_port = wire_port;
	xc.mac = our_mac;
	xc.pool = pool;
	xc.neigh = neigh;
	xc.egress = egress;
	ret = dp_exc_create(&xc, &exc, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "test_exc: %s\n", err);
		goto out_neigh;
	}
	ret = rte_eth_dev_start(wire_port);
	if (ret != 0) {
		fprintf(stderr, "test_exc: start port %u: %s\n", wire_port, strerror(-ret));
		goto out_exc;
	}
	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "test_exc: need a worker lcore (-l 0-1)\n");
		goto out_port;
	}
	rte_eal_remote_launch(worker, NULL, lcore);
	print_mac(mac, sizeof(mac), &our_mac);
	printf("ready tap=%s port=%u mac=%s wire_queues=%u %s\n", xc.ifname, dp_exc_port(exc), mac,
			wire_queues, egress != NULL ? "egress-ring" : "main-txq");

	while (!quit) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		unsigned work = service();

		/* Idle: the wait for a command is the main lcore's sleep. */
		if (poll(&p, 1, work != 0 ? 0 : 1) > 0 && !read_commands())
			break;
	}
	quit = true;
	rte_eal_mp_wait_lcore();
	status = EXIT_SUCCESS;
out_port:
	rte_eth_dev_stop(wire_port);
out_exc:
	dp_exc_destroy(exc);
out_neigh:
	dp_neigh_destroy(neigh);
out_ring:
	if (egress != NULL) {
		struct rte_mbuf *pkts[BURST];
		unsigned n;

		while ((n = rte_ring_dequeue_burst(egress, (void **)pkts, BURST, NULL)) != 0)
			rte_pktmbuf_free_bulk(pkts, n);
		rte_ring_free(egress);
	}
out_eal:
	rte_eal_cleanup();
	return status;
usage:
	fprintf(stderr, "usage: test_exc EAL-ARGS -- --tap NAME --addr4 A/LEN [--addr6 A/LEN] "
			"[--egress] [--idle S]\n");
	rte_eal_cleanup();
	return 2;
}
