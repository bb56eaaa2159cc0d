/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipeline benchmark: the real worker step of sipline (dp_worker_poll():
 * RX burst, classify, parse, validate, dialplan, build, TX burst) on a
 * DPDK ring port, fed with realistic INVITEs (400 to 1,200 bytes; varied
 * numbers, Call-IDs, branches and tags). One lcore alternates: the
 * generator fills a burst (not timed), the worker step runs (timed with the
 * TSC), the sink takes the output (not timed). That gives the cost per
 * message of one worker core without the noise of a second vCPU. The
 * figure is the median over bursts of cycles per packet (a burst the VM
 * preempted is an outlier), then the median over runs.
 *
 * Cases: redirect and forward, with a 10-regex plan and with a plan of
 * 1,000 regexes + 1,000,000 prefixes. JSON lines on stdout.
 *
 *   bench_pipeline [--quick] [--plan 10re|1kre+1Mpfx] [--rx-cksum-offload]
 *
 * The ring port verifies nothing, so by default the worker verifies every
 * UDP checksum in software (as on af_packet, tap or a NIC without the
 * offload). --rx-cksum-offload marks each received mbuf the way a PMD with
 * RTE_ETH_RX_OFFLOAD_UDP_CKSUM marks a good datagram (dp_port.c enables it
 * where the NIC has it); the JSON says which ("rx_cksum": "sw" or "nic").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "bench_common.h"
#include "dp_app.h"
#include "dp_setup.h"

struct dp_app dp_app;

#define TEMPLATES 4096
#define BURST DP_BURST
#define ROUTER "10.0.0.1"
#define GATEWAY "10.0.0.20"
#define PEER "198.51.100.7"

struct frame {
	uint16_t len;
	char data[1600];
};

static struct frame *frames;
static struct rte_ring *rx_ring, *tx_ring;

/* Deterministic generator (xorshift64*), so every run sees the same traffic. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* An INVITE to number, padded with SDP lines to about target bytes. */
static size_t
make_invite(char *out, size_t cap, const char *number, size_t target)
{
	char sdp[1024];
	size_t sl = (size_t)snprintf(sdp, sizeof(sdp),
			"v=0\r\no=- %" PRIu64 " 1 IN IP4 " PEER "\r\ns=-\r\nc=IN IP4 " PEER "\r\n"
			"t=0 0\r\nm=audio %u RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\n"
			"a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
			rnd() % 1000000, (unsigned)(10000 + rnd() % 50000));
	int hl = snprintf(out, cap,
			"INVITE sip:%s@" ROUTER ":5060;user=phone SIP/2.0\r\n"
			"Via: SIP/2.0/UDP " PEER ":5060;branch=z9hG4bK-%016" PRIx64 ";rport\r\n"
			"Max-Forwards: 69\r\n"
			"From: \"Caller\" <sip:+4420794%06u@" PEER ">;tag=%08" PRIx64 "\r\n"
			"To: <sip:%s@" ROUTER ";user=phone>\r\n"
			"Call-ID: %016" PRIx64 "@" PEER "\r\n"
			"CSeq: 1 INVITE\r\n"
			"Contact: <sip:+4420794000000@" PEER ":5060>\r\n"
			"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
			"Content-Type: application/sdp\r\n",
			number, rnd(), (unsigned)(rnd() % 1000000), rnd() & 0xffffffff, number, rnd());
	/* Pad with attribute lines until the message reaches its target size. */
	while ((size_t)hl + 22 + sl < target && sl + 40 < sizeof(sdp))
		sl += (size_t)snprintf(sdp + sl, sizeof(sdp) - sl, "a=x-pad:%012" PRIx64 "\r\n",
				rnd());
	hl += snprintf(out + hl, cap - (size_t)hl, "Content-Length: %zu\r\n\r\n", sl);
	memcpy(out + hl, sdp, sl);
	return (size_t)hl + sl;
}

/* Ethernet + IPv4 + UDP (checksums included) around a payload, from the peer to the router. */
static void
make_frame(struct frame *f, const struct rte_ether_addr *router_mac, const char *payload,
		size_t len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->data;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(f->data, 0, DP_HDR_LEN4);
	eth->dst_addr = *router_mac;
	eth->src_addr = (struct rte_ether_addr){{0x02, 0, 0, 0, 0, 0x07}};
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	inet_pton(AF_INET, PEER, &ip->src_addr);
	inet_pton(AF_INET, ROUTER, &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = RTE_BE16(5060);
	udp->dst_port = RTE_BE16(5060);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	memcpy(udp + 1, payload, len);
	/* A real peer's checksum: the worker verifies it (af_packet-like ports do not). */
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	f->len = (uint16_t)(DP_HDR_LEN4 + len);
}

/* ---- plans ---- */

/*
 * Numbers for the two actions: redirect numbers fall under redirect rules,
 * forward numbers under forward rules, in both plans.
 */
struct plan_spec {
	const char *name;
	unsigned regexes;
	unsigned prefixes;
};

static char *text;
static size_t text_len, text_cap;

static void
emit(const char *fmt, ...)
{
	va_list ap;
	if (text_cap - text_len < 512) {
		text_cap = text_cap ? text_cap * 2 : 1 << 20;
		text = realloc(text, text_cap);
		if (text == NULL)
			abort();
	}
	va_start(ap, fmt);
	text_len += (size_t)vsnprintf(text + text_len, text_cap - text_len, fmt, ap);
	va_end(ap);
}

/*
 * The action of prefix i follows its first digit, so prefixes nested in one
 * another (same first digit) never send a number to the other action.
 */
static int
action_of(unsigned i)
{
	return (int)((i % 9) & 1);
}

/* Prefix i of the large plan: "+" and 6 to 9 digits, reproducible from i. */
static void
prefix_of(unsigned i, char *out)
{
	uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ull;
	unsigned len = 6 + (unsigned)(i % 4);
	out[0] = '+';
	out[1] = (char)('1' + (i % 9));
	for (unsigned k = 2; k <= len; k++) {
		out[k] = (char)('0' + (x % 10));
		x /= 10;
	}
	out[len + 1] = '\0';
}

static struct rules_plan *
build_plan(const struct plan_spec *ps)
{
	char p[16];

	text_len = 0;
	emit("plan bench-%s\ngroup gw " GATEWAY ":5080\n", ps->name);
	/*
	 * Regexes: even ones redirect, odd ones forward. They match numbers
	 * "+0NNNN..." and no prefix starts with "+0", so neither shadows the other.
	 */
	for (unsigned i = 0; i < ps->regexes; i++) {
		if (i % 2 == 0)
			emit("100 regex ^\\+0%04u[0-9]{4,6}$ redirect contact "
			     "sip:$user@redir%u.example.net\n", i, i % 7);
		else
			emit("100 regex ^\\+0%04u[0-9]{4,6}$ forward gw\n", i);
	}
	for (unsigned i = 0; i < ps->prefixes; i++) {
		prefix_of(i, p);
		if (action_of(i) == 0)
			emit("100 prefix %s redirect contact sip:$user@pfx.example.net\n", p);
		else
			emit("100 prefix %s forward gw\n", p);
	}
	struct rules_errors errs = {0};
	struct rules_plan *plan = rules_compile_text(text, text_len, ps->name, NULL, &errs);
	if (plan == NULL) {
		fprintf(stderr, "bench_pipeline: plan %s does not compile:\n", ps->name);
		rules_errors_print(&errs, stderr);
		exit(1);
	}
	return plan;
}

/* A number routed by action (0 redirect, 1 forward) in plan ps. */
static void
number_for(const struct plan_spec *ps, int action, char *out, size_t cap)
{
	if (ps->prefixes == 0 || rnd() % 100 < 10) {
		/* regex traffic: all of it for the small plan, 10% for the large one */
		unsigned i = (unsigned)(rnd() % (ps->regexes / 2)) * 2 + (unsigned)action;
		snprintf(out, cap, "+0%04u%05u", i, (unsigned)(rnd() % 100000));
		return;
	}
	char p[16];
	unsigned i;
	do
		i = (unsigned)(rnd() % ps->prefixes);
	while (action_of(i) != action);
	prefix_of(i, p);
	size_t l = strlen(p);
	/* complete to 12 digits after '+' */
	while (l < 13 && l + 1 < cap)
		p[l++] = (char)('0' + rnd() % 10);
	p[l] = '\0';
	snprintf(out, cap, "%s", p);
}

/* ---- the run ---- */

static struct dp_worker *worker;
static bool rx_cksum_offload;

static void
refill(unsigned *next, unsigned n)
{
	struct rte_mbuf *m[BURST];

	if (rte_pktmbuf_alloc_bulk(dp_app.pool, m, n) != 0) {
		fprintf(stderr, "bench_pipeline: mbuf pool exhausted\n");
		exit(1);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct frame *f = &frames[(*next)++ % TEMPLATES];
		memcpy(rte_pktmbuf_mtod(m[i], void *), f->data, f->len);
		m[i]->data_len = f->len;
		m[i]->pkt_len = f->len;
		if (rx_cksum_offload)
			m[i]->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	}
	rte_ring_enqueue_burst(rx_ring, (void **)m, n, NULL);
}

/*
 * What the worker sent must be a well-formed frame: IPv4 header checksum,
 * IP and UDP lengths that match the frame, a SIP start line. Checked on
 * every frame (outside the timed section), so a benchmark never measures
 * a path that builds garbage.
 */
static void
check_frame(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
	const char *payload = (const char *)(udp + 1);
	const char *why = NULL;

	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		why = "not IPv4";
	else if (rte_ipv4_cksum(ip) != 0)
		why = "bad IPv4 header checksum";
	else if ((uint32_t)rte_be_to_cpu_16(ip->total_length) + RTE_ETHER_HDR_LEN != m->pkt_len)
		why = "IP length differs from the frame";
	else if (rte_be_to_cpu_16(udp->dgram_len) + 20u != rte_be_to_cpu_16(ip->total_length))
		why = "UDP length differs from the IP length";
	else if (memcmp(payload, "SIP/2.0 ", 8) != 0 && memcmp(payload, "INVITE ", 7) != 0)
		why = "payload does not start with a SIP start line";
	else if (udp->dgram_cksum != 0 && rte_ipv4_udptcp_cksum_verify(ip, udp) != 0)
		why = "bad UDP checksum (DPDK's verifier disagrees)";
	if (why != NULL) {
		fprintf(stderr, "bench_pipeline: malformed output frame: %s\n", why);
		exit(1);
	}
}

static void
sink(void)
{
	struct rte_mbuf *m[BURST * 2];
	unsigned n;
	while ((n = rte_ring_dequeue_burst(tx_ring, (void **)m, RTE_DIM(m), NULL)) > 0) {
		for (unsigned i = 0; i < n; i++)
			check_frame(m[i]);
		rte_pktmbuf_free_bulk(m, n);
	}
}

static void
run_case(const struct plan_spec *ps, const char *action_name, enum dp_counter expect,
		unsigned iters, unsigned runs)
{
	double ns[16], cyc[16];
	unsigned next = 0;
	uint64_t hz = rte_get_tsc_hz();

	double *per_burst = malloc(sizeof(double) * iters);
	for (unsigned r = 0; r < runs; r++) {
		uint64_t pkts = 0;
		uint64_t before = worker->cnt.v[expect];
		for (unsigned it = 0; it < iters; it++) {
			refill(&next, BURST);
			uint64_t t0 = rte_rdtsc_precise();
			unsigned got = dp_worker_poll(worker);
			uint64_t t1 = rte_rdtsc_precise();
			rte_rcu_qsbr_quiescent(dp_app.qsbr, 0);
			sink();
			per_burst[it] = got ? (double)(t1 - t0) / got : 0;
			pkts += got;
		}
		uint64_t done = worker->cnt.v[expect] - before;
		if (done != pkts) {
			fprintf(stderr, "bench_pipeline: %s/%s: %" PRIu64 " of %" PRIu64
					" packets took the expected action\n", ps->name, action_name,
					done, pkts);
			for (unsigned k = 0; k < DP_C__COUNT; k++)
				if (worker->cnt.v[k])
					fprintf(stderr, "  %s %" PRIu64 "\n", dp_counter_name(k),
							worker->cnt.v[k]);
			exit(1);
		}
		/* Median over bursts: a burst the VM preempted is an outlier, not a trend. */
		cyc[r] = bench_median(per_burst, iters);
		ns[r] = cyc[r] * 1e9 / (double)hz;
	}
	free(per_burst);
	double mns = bench_median(ns, runs), mcyc = bench_median(cyc, runs);
	printf("{\"bench\":\"pipeline\",\"case\":\"%s/%s\",\"variant\":\"%s\",\"ns_per_op\":%.1f,"
	       "\"cycles_per_op\":%.0f,\"mpps\":%.2f,\"msg_bytes\":\"400-1200\","
	       "\"rx_cksum\":\"%s\",\"iters\":%u,\"runs\":%u}\n",
			ps->name, action_name, sip_scanner_active()->name, mns, mcyc, 1000.0 / mns,
			rx_cksum_offload ? "nic" : "sw", iters * BURST, runs);
	fflush(stdout);
}

static void
make_frames(const struct plan_spec *ps, int action)
{
	char payload[1400], number[32];
	for (unsigned i = 0; i < TEMPLATES; i++) {
		number_for(ps, action, number, sizeof(number));
		size_t target = 400 + (size_t)(rnd() % 801); /* 400..1200 bytes */
		size_t len = make_invite(payload, sizeof(payload), number, target);
		make_frame(&frames[i], &dp_app.local.mac, payload, len);
	}
}

int
main(int argc, char **argv)
{
	bool quick = bench_has_flag(argc, argv, "--quick");
	rx_cksum_offload = bench_has_flag(argc, argv, "--rx-cksum-offload");
	const char *only = NULL;
	unsigned src_rate = 0;
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--plan") == 0)
			only = argv[i + 1];
		/* Per-source limiting on (every frame comes from one source: set it high). */
		if (strcmp(argv[i], "--src-rate") == 0)
			src_rate = (unsigned)strtoul(argv[i + 1], NULL, 10);
	}
	char prefix[32], err[256];
	snprintf(prefix, sizeof(prefix), "--file-prefix=bp%d", getpid());
	char *eal[] = {argv[0], "--no-huge", "-m", "1024", "--no-pci", prefix, "-l", "0",
		"--log-level=lib.eal:error", "--no-telemetry"};
	struct dp_app *app = &dp_app;

	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "bench_pipeline: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	dp_options_defaults(&app->opt);
	sip_addr_parse(SIP_STR_LIT(ROUTER), &app->opt.addr4);
	app->opt.prefix4 = 24;
	app->opt.src_rate = src_rate;
	/* Without the built-in scanner signatures: what checking them costs. */
	app->opt.no_default_scanners = bench_has_flag(argc, argv, "--no-default-scanners");
	app->opt.secret_set = true;
	sip_key_parse_hex("0f1e2d3c4b5a69788796a5b4c3d2e1f0", 32, app->opt.secret);
	/* The gateway's MAC is known: the forward case measures the fast path, not ARP. */
	app->opt.n_neigh = 1;
	sip_addr_parse(SIP_STR_LIT(GATEWAY), &app->opt.neigh[0].ip);
	memcpy(app->opt.neigh[0].mac, (uint8_t[]){0x02, 0, 0, 0, 0, 0x20}, 6);
	app->n_lcores = 1;
	app->n_workers = 1;

	app->pool = rte_pktmbuf_pool_create("bench", 16384, 256, 0,
			DP_MBUF_DATA_ROOM + RTE_PKTMBUF_HEADROOM, 0);
	rx_ring = rte_ring_create("bench_rx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx_ring = rte_ring_create("bench_tx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (app->pool == NULL || rx_ring == NULL || tx_ring == NULL) {
		fprintf(stderr, "bench_pipeline: out of DPDK memory\n");
		return 1;
	}
	int port = rte_eth_from_rings("bench", &rx_ring, 1, &tx_ring, 1, 0);
	if (port < 0) {
		fprintf(stderr, "bench_pipeline: cannot create the ring port\n");
		return 1;
	}
	app->wire_port = (uint16_t)port;
	struct rte_eth_conf conf = {0};
	if (rte_eth_dev_configure(app->wire_port, 1, 1, &conf) != 0 ||
			rte_eth_rx_queue_setup(app->wire_port, 0, 1024, 0, NULL, app->pool) != 0 ||
			rte_eth_tx_queue_setup(app->wire_port, 0, 1024, 0, NULL) != 0 ||
			rte_eth_dev_start(app->wire_port) != 0) {
		fprintf(stderr, "bench_pipeline: cannot start the ring port\n");
		return 1;
	}
	if (dp_setup_identity(app, err, sizeof(err)) != 0 ||
			dp_setup_state(app, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_pipeline: %s\n", err);
		return 1;
	}
	/* The main lcore plays the worker: one worker struct, id 0, queue 0. */
	worker = rte_zmalloc("worker", sizeof(*worker), RTE_CACHE_LINE_SIZE);
	worker->app = app;
	worker->route.tid = 0;
	struct dp_sip_env env = {.route = dp_route_lookup, .route_ctx = worker, .cnt = &worker->cnt};
	worker->env4 = env;
	worker->env4.cfg = &app->sip4;
	worker->env6 = env;
	worker->env6.cfg = &app->sip6;
	if (dp_setup_worker_protections(app, worker, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_pipeline: %s\n", err);
		return 1;
	}
	app->w[0] = worker;
	app->egress = NULL;
	rte_rcu_qsbr_thread_register(app->qsbr, 0);
	rte_rcu_qsbr_thread_online(app->qsbr, 0);

	frames = malloc(sizeof(*frames) * TEMPLATES);
	const struct plan_spec plans[] = {
		{"10re", 10, 0},
		{quick ? "1kre+10kpfx" : "1kre+1Mpfx", 1000, quick ? 10000 : 1000000},
	};
	unsigned iters = quick ? 200 : 20000, runs = quick ? 3 : 7;

	for (unsigned p = 0; p < RTE_DIM(plans); p++) {
		if (only != NULL && strcmp(only, plans[p].name) != 0)
			continue;
		uint64_t t0 = bench_now_ns();
		struct rules_plan *plan = build_plan(&plans[p]);
		uint64_t t1 = bench_now_ns();
		/* Publishing waits for readers: this thread is one, so it goes offline meanwhile. */
		rte_rcu_qsbr_thread_offline(app->qsbr, 0);
		if (rules_swap_publish(app->rules, plan) != 0) {
			fprintf(stderr, "bench_pipeline: cannot publish %s\n", plans[p].name);
			return 1;
		}
		rte_rcu_qsbr_thread_online(app->qsbr, 0);
		fprintf(stderr, "bench_pipeline: plan %s compiled in %.2f s\n", plans[p].name,
				(double)(t1 - t0) / 1e9);
		make_frames(&plans[p], 0);
		run_case(&plans[p], "redirect", DP_C_ACT_REDIRECT, iters, runs);
		make_frames(&plans[p], 1);
		run_case(&plans[p], "forward", DP_C_ACT_FORWARD, iters, runs);
	}
	rte_rcu_qsbr_thread_offline(app->qsbr, 0);
	free(frames);
	free(text);
	return 0;
}
