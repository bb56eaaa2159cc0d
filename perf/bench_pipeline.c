/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipeline benchmark: the real worker step of sipline (dp_worker_poll():
 * RX burst, classify, parse, validate, dialplan, build, TX burst) on a
 * DPDK ring port, with what a PMD does around it: RX descriptor refill
 * (mbuf allocation) and freeing sent mbufs are inside the timed step.
 *
 * Traffic (perf/bench_gen.h): INVITEs of 400 to 1,200 bytes with 1 to 5
 * Vias, with and without Route/Record-Route, from 8 peers; each packet
 * dials the next of 2M numbers drawn from the whole plan (--dist uniform,
 * the default, or zipf), so a 1M-prefix plan is looked up cold, as
 * carrier traffic does. The generator writes each burst AHEAD bursts before
 * the worker reads it (out of L1; --flush: out of every cache). One lcore
 * alternates: generator (not timed), worker step (timed with the TSC), sink
 * (not timed), which checks every answer in full (check_frame()): a wrong
 * output fails the benchmark with the message.
 *
 * Figures: the median over bursts of cycles per packet (a burst the VM
 * preempted is an outlier), then the median over runs; beside it, every
 * cycle of every timed step over every packet (total_cycles_per_op).
 * Cycles are TSC ticks (this VM has no cycle counter).
 *
 * Cases: redirect and forward, with a 10-regex plan and with a plan of
 * 1,000 regexes + 1,000,000 prefixes. JSON lines on stdout.
 *
 *   bench_pipeline [--quick] [--plan 10re|1kre+1Mpfx] [--dist uniform|zipf] [--flush]
 *                  [--prefixes N] [--rx-cksum-offload] [--offload] [--src-rate N]
 *                  [--no-default-scanners]
 *
 * The ring port computes and verifies nothing, so by default the worker
 * verifies every IPv4 header and UDP checksum it receives and computes
 * every one it sends in software (as on af_packet or a NIC without the
 * offloads). --rx-cksum-offload marks each received mbuf the way a PMD with
 * RTE_ETH_RX_OFFLOAD_UDP_CKSUM marks a good datagram; the JSON says which
 * ("rx_cksum": "sw" or "nic"). --offload models a NIC with every checksum
 * offload dp_port.c enables: received mbufs say IP and L4 GOOD (set by the
 * generator, not timed, as a NIC's descriptors say it), the port counts
 * as computing IPv4 header and UDP checksums on TX, and the sink does the
 * NIC's part (not timed) after checking the offload request: ol_flags,
 * l2/l3 lengths, header checksum 0, the pseudo-header sum in the UDP
 * field. The JSON says "offload": true or false.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "bench_common.h"
#include "bench_gen.h"
#include "dp_app.h"
#include "dp_ring_port.h"
#include "dp_setup.h"

struct dp_app dp_app;

#define TEMPLATES 4096
#define BURST DP_BURST
#define ROUTER BENCH_GEN_ROUTER
#define GATEWAY "10.0.0.20"
#define GATEWAY_PORT 5080
/*
 * Bursts generated ahead of the worker: what it reads was written
 * AHEAD * 32 messages (~200 KB) earlier, out of L1 as a NIC's DMA leaves
 * it (--flush: out of every cache, a NIC without DDIO). Also how long a
 * sent mbuf waits before the timed step frees it, as a PMD frees its TX
 * descriptors a ring later.
 */
#define AHEAD 8
#define FIFO 4096 /* power of two, > (2 * AHEAD + 2) * BURST */

struct frame {
	uint16_t len;
	struct bench_gen_msg info;
	char data[1600];
};

static struct frame *frames;
static struct rte_ring *rx_ring, *tx_ring;

/* Deterministic generator (xorshift64*), so every run sees the same traffic. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	return bench_rnd(&rng_state);
}

static const struct rte_ether_addr peer_mac_base = {{0x02, 0, 0, 0, 1, 0}};

/* Ethernet + IPv4 + UDP around a template message, from its peer to the router. */
static void
make_frame(struct frame *f, const struct rte_ether_addr *router_mac, const char *payload,
		const struct bench_gen_msg *info)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->data;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	char src[16];
	size_t len = info->len;

	memset(f->data, 0, DP_HDR_LEN4);
	eth->dst_addr = *router_mac;
	eth->src_addr = peer_mac_base;
	eth->src_addr.addr_bytes[5] = info->src;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	bench_gen_src(info->src, src);
	inet_pton(AF_INET, src, &ip->src_addr);
	inet_pton(AF_INET, ROUTER, &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(info->sport);
	udp->dst_port = RTE_BE16(5060);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	memcpy(udp + 1, payload, len);
	f->info = *info;
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

/* ---- the destinations ---- */

/*
 * The dialled numbers, drawn before a case from the whole plan (every
 * prefix, not a warm subset): uniformly, or Zipf (s = 1) over the prefixes
 * in a fixed random order. Every packet takes the next one, so a run of
 * 640,000 packets dials 640,000 numbers, nearly all distinct.
 */
enum dist { DIST_UNIFORM, DIST_ZIPF };
static enum dist dist = DIST_UNIFORM;
static const char *const dist_names[] = {"uniform", "zipf"};

struct number {
	char s[24];
	uint8_t contact; /* redirect: 0..6 redirN.example.net, 7 pfx.example.net */
};

static struct number *numbers;
static unsigned n_numbers;
static double *zipf_cdf; /* of the prefix ranks, for DIST_ZIPF */

/* Number length per plan: the regex plan's as before, 12 for the large one. */
static unsigned
num_len_of(const struct plan_spec *ps)
{
	return ps->prefixes == 0 ? 11 : 12;
}

static unsigned
zipf_rank(unsigned n)
{
	double u = (double)(rnd() >> 11) / (double)(1ull << 53);
	unsigned lo = 0, hi = n - 1;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A number routed by action (0 redirect, 1 forward) in plan ps. */
static void
number_for(const struct plan_spec *ps, int action, struct number *out)
{
	unsigned len = num_len_of(ps);

	if (ps->prefixes == 0 || rnd() % 100 < 10) {
		/* regex traffic: all of it for the small plan, 10% for the large one */
		unsigned i = (unsigned)(rnd() % (ps->regexes / 2)) * 2 + (unsigned)action;
		snprintf(out->s, sizeof(out->s), "+0%04u%0*u", i, (int)len - 6,
				(unsigned)(rnd() % (len == 11 ? 100000 : 1000000)));
		out->contact = (uint8_t)(i % 7);
		return;
	}
	char p[16];
	unsigned i;
	do {
		if (dist == DIST_ZIPF)
			/* rank r is prefix r * 999983 mod n: popular prefixes spread over the table */
			i = (unsigned)((uint64_t)zipf_rank(ps->prefixes) * 999983u % ps->prefixes);
		else
			i = (unsigned)(rnd() % ps->prefixes);
	} while (action_of(i) != action);
	prefix_of(i, p);
	size_t l = strlen(p);
	while (l < len)
		p[l++] = (char)('0' + rnd() % 10);
	p[l] = '\0';
	memcpy(out->s, p, l + 1);
	out->contact = 7;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Draws the numbers of a case; returns how many distinct ones there are. */
static unsigned
make_numbers(const struct plan_spec *ps, int action)
{
	if (dist == DIST_ZIPF && ps->prefixes != 0) {
		zipf_cdf = realloc(zipf_cdf, sizeof(*zipf_cdf) * ps->prefixes);
		double sum = 0;
		for (unsigned r = 0; r < ps->prefixes; r++)
			sum += 1.0 / (r + 1);
		double acc = 0;
		for (unsigned r = 0; r < ps->prefixes; r++) {
			acc += 1.0 / (r + 1) / sum;
			zipf_cdf[r] = acc;
		}
		zipf_cdf[ps->prefixes - 1] = 1.0;
	}
	uint64_t *h = malloc(sizeof(*h) * n_numbers);
	for (unsigned k = 0; k < n_numbers; k++) {
		number_for(ps, action, &numbers[k]);
		uint64_t x = 1469598103934665603ull;
		for (const char *c = numbers[k].s; *c; c++)
			x = (x ^ (uint8_t)*c) * 1099511628211ull;
		h[k] = x;
	}
	qsort(h, n_numbers, sizeof(*h), cmp_u64);
	unsigned distinct = n_numbers ? 1 : 0;
	for (unsigned k = 1; k < n_numbers; k++)
		distinct += h[k] != h[k - 1];
	free(h);
	return distinct;
}

/* ---- the run ---- */

static struct dp_worker *worker;
static bool rx_cksum_offload, offload, flush_payload;

/* What was sent to the worker, in order: the sink checks the answers against it. */
struct sent {
	uint32_t frame;
	uint32_t number;
};

/*
 * Three FIFOs of the run: mbufs the "PMD" allocated for its RX descriptors
 * (the generator fills them later), frames in flight, and sent mbufs not
 * yet freed (the timed step frees those older than AHEAD bursts).
 */
static struct rte_mbuf *desc[FIFO];
static unsigned desc_head, desc_tail;
static struct sent inflight[FIFO];
static unsigned infl_head, infl_tail;
static struct rte_mbuf *done[FIFO];
static unsigned done_head, done_tail;
static uint64_t next_pkt;
static uint64_t polled; /* packets through dp_worker_poll(), for per-message profiles */
static int cur_action;
static const struct plan_spec *cur_plan;

/* Fill one burst of descriptor mbufs with the next frames (not timed). */
static void
generate(void)
{
	struct rte_mbuf *m[BURST];

	if (desc_tail - desc_head < BURST) {
		fprintf(stderr, "bench_pipeline: no RX descriptors left\n");
		exit(1);
	}
	for (unsigned i = 0; i < BURST; i++, next_pkt++) {
		uint32_t fi = (uint32_t)(next_pkt % TEMPLATES);
		uint32_t ni = (uint32_t)(next_pkt % n_numbers);
		const struct frame *f = &frames[fi];
		m[i] = desc[desc_head++ % FIFO];
		char *d = rte_pktmbuf_mtod(m[i], char *);
		memcpy(d, f->data, f->len);
		bench_gen_set_number(d + DP_HDR_LEN4, &f->info, numbers[ni].s);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + RTE_ETHER_HDR_LEN);
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
		/* A real peer's checksum: the worker verifies it (af_packet-like ports do not). */
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
		m[i]->data_len = f->len;
		m[i]->pkt_len = f->len;
		m[i]->ol_flags = offload ?
			RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD :
			rx_cksum_offload ? RTE_MBUF_F_RX_L4_CKSUM_GOOD : 0;
		if (flush_payload)
			for (unsigned o = 0; o < f->len; o += 64)
				_mm_clflush(d + o);
		inflight[infl_tail++ % FIFO] = (struct sent){fi, ni};
	}
	if (rte_ring_enqueue_burst(rx_ring, (void **)m, BURST, NULL) != BURST) {
		fprintf(stderr, "bench_pipeline: RX ring full\n");
		exit(1);
	}
}

/* RX descriptor refill, as a PMD's rx_burst does it (timed). */
static inline void
rx_refill(unsigned n)
{
	struct rte_mbuf *m[BURST];
	if (rte_pktmbuf_alloc_bulk(dp_app.pool, m, n) != 0) {
		fprintf(stderr, "bench_pipeline: mbuf pool exhausted\n");
		exit(1);
	}
	for (unsigned i = 0; i < n; i++)
		desc[desc_tail++ % FIFO] = m[i];
}

/* Free what was sent more than AHEAD bursts ago, as a PMD's tx_burst does it (timed). */
static inline void
tx_free_done(void)
{
	while (done_tail - done_head > AHEAD * BURST) {
		unsigned n = done_tail - done_head - AHEAD * BURST;
		unsigned at = done_head % FIFO;
		if (n > FIFO - at)
			n = FIFO - at; /* up to the FIFO's end; the loop takes the rest */
		rte_pktmbuf_free_bulk(&done[at], n);
		done_head += n;
	}
}

static void fail(const struct rte_mbuf *m, const struct sent *s, const char *why,
		const char *detail) __attribute__((noreturn));

static void
fail(const struct rte_mbuf *m, const struct sent *s, const char *why, const char *detail)
{
	const char *p = rte_pktmbuf_mtod_offset(m, const char *, DP_HDR_LEN4);
	unsigned len = m->pkt_len > DP_HDR_LEN4 ? m->pkt_len - DP_HDR_LEN4 : 0;
	fprintf(stderr, "bench_pipeline: %s/%s: wrong output for packet (template %u, "
			"number %s): %s%s%s\n--- output ---\n%.*s\n--- input ---\n%.*s\n",
			cur_plan->name, cur_action ? "forward" : "redirect", s->frame,
			numbers[s->number].s, why, detail ? ": " : "", detail ? detail : "",
			(int)len, p, (int)frames[s->frame].info.len, frames[s->frame].data + DP_HDR_LEN4);
	exit(1);
}

static bool
str_is(struct sip_str a, const char *b, size_t n)
{
	return a.len == n && memcmp(a.p, b, n) == 0;
}

/* The n-th value of the Via header list (0: top), parsed. */
static int
via_at(const struct sip_msg *msg, unsigned n, struct sip_via *v, unsigned *count)
{
	unsigned k = 0;
	int found = -1;
	for (const struct sip_hdr *h = sip_hdr_first(msg, SIP_HDR_VIA); h; h = sip_hdr_next(msg, h)) {
		struct sip_str val = sip_hdr_value(msg, h);
		const char *p = val.p, *end = val.p + val.len;
		while (p < end) {
			struct sip_via tmp;
			if (sip_via_parse(&tmp, p, end, &p) != 0)
				return -1;
			if (k++ == n) {
				*v = tmp;
				found = 0;
			}
		}
	}
	*count = k;
	return found;
}

static unsigned
hdr_count(const struct sip_msg *msg, enum sip_hdr_type t)
{
	unsigned k = 0;
	for (const struct sip_hdr *h = sip_hdr_first(msg, t); h; h = sip_hdr_next(msg, h))
		k++;
	return k;
}

/*
 * What a NIC with checksum offload does to a frame the worker sent, after
 * checking that the frame asks for it as DPDK says it must: IPv4, IP and
 * UDP checksum flags, l2_len and l3_len, header checksum 0, the UDP field
 * holding the pseudo header's sum. Without --offload a frame must ask for
 * nothing: the worker summed it.
 */
static void
nic_tx_cksum(struct rte_mbuf *m, const struct sent *s)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
			RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	const uint64_t want = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
	uint64_t tx = m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK;

	if (!offload) {
		if (tx != 0)
			fail(m, s, "TX offload flags on a port without the offload", NULL);
		return;
	}
	if (tx != want)
		fail(m, s, "TX offload flags are not IPV4 | IP_CKSUM | UDP_CKSUM", NULL);
	if (m->l2_len != RTE_ETHER_HDR_LEN || m->l3_len != sizeof(*ip))
		fail(m, s, "l2_len/l3_len wrong for the TX offload", NULL);
	if (ip->hdr_checksum != 0)
		fail(m, s, "IPv4 header checksum not 0 for the TX offload", NULL);
	if (udp->dgram_cksum != rte_ipv4_phdr_cksum(ip, m->ol_flags))
		fail(m, s, "UDP checksum field is not the pseudo-header sum", NULL);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
}

/*
 * Everything an answer must be, checked on every output frame (outside the
 * timed section), so the benchmark never measures a path that builds
 * garbage: Ethernet/IPv4/UDP (header checksum, lengths, UDP checksum against
 * DPDK's verifier, destination), and the SIP message itself. A 302: to the
 * sender's address and port, status, every Via echoed (top branch, rport
 * filled in), Call-ID, a To-tag we can verify, the Contact the rule
 * renders. A forwarded INVITE: to the gateway, R-URI, our Via on top with a
 * branch we can verify and the sender's below it (received/rport),
 * Max-Forwards decremented, our Route popped, Call-ID.
 */
static void
check_frame(struct rte_mbuf *m, const struct sent *s)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
	const char *payload = (const char *)(udp + 1);
	const struct bench_gen_msg *gi = &frames[s->frame].info;
	const struct number *num = &numbers[s->number];
	char buf[128], src[16];
	struct sip_addr a;

	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		fail(m, s, "not IPv4", NULL);
	nic_tx_cksum(m, s);
	if (rte_ipv4_cksum(ip) != 0)
		fail(m, s, "bad IPv4 header checksum", NULL);
	if ((uint32_t)rte_be_to_cpu_16(ip->total_length) + RTE_ETHER_HDR_LEN != m->pkt_len)
		fail(m, s, "IP length differs from the frame", NULL);
	if (rte_be_to_cpu_16(udp->dgram_len) + 20u != rte_be_to_cpu_16(ip->total_length))
		fail(m, s, "UDP length differs from the IP length", NULL);
	if (udp->dgram_cksum != 0 && rte_ipv4_udptcp_cksum_verify(ip, udp) != 0)
		fail(m, s, "bad UDP checksum (DPDK's verifier disagrees)", NULL);

	static struct sip_msg msg;
	struct sip_verdict v;
	struct sip_fields f;
	size_t plen = rte_be_to_cpu_16(udp->dgram_len) - 8u;
	int rc = sip_parse(&msg, payload, plen, 0);
	if (sip_inspect(&msg, rc, 0, &v, &f) != 0)
		fail(m, s, "the output does not parse", sip_err_text(v.err));
	if (!str_is(f.callid, gi->callid, strlen(gi->callid)))
		fail(m, s, "Call-ID changed", NULL);

	struct sip_via top, second;
	unsigned n_via;
	if (via_at(&msg, 0, &top, &n_via) != 0)
		fail(m, s, "no top Via", NULL);
	bench_gen_src(gi->src, src);

	if (cur_action == 0) {
		sip_addr_parse(sip_str_make(src, strlen(src)), &a);
		if (memcmp(&ip->dst_addr, a.a, 4) != 0 || rte_be_to_cpu_16(udp->dst_port) != gi->sport)
			fail(m, s, "302 not sent back to the sender's address and port", NULL);
		if (sip_is_request(&msg) || msg.status != 302)
			fail(m, s, "not a 302", NULL);
		if (n_via != gi->n_via)
			fail(m, s, "Vias not echoed", NULL);
		if (!str_is(top.branch, gi->branch, strlen(gi->branch)))
			fail(m, s, "top Via branch changed", NULL);
		snprintf(buf, sizeof(buf), "%u", gi->sport);
		if (!top.has_rport || !str_is(top.rport, buf, strlen(buf)))
			fail(m, s, "rport not filled in with the source port", NULL);
		if (!f.to.has_tag || f.to.tag.len != SIP_TOTAG_LEN ||
				!sip_totag_verify(&f, dp_app.keys))
			fail(m, s, "To-tag missing or not ours", NULL);
		const struct sip_hdr *c = sip_hdr_first(&msg, SIP_HDR_CONTACT);
		if (num->contact == 7)
			snprintf(buf, sizeof(buf), "<sip:%s@pfx.example.net>", num->s);
		else
			snprintf(buf, sizeof(buf), "<sip:%s@redir%u.example.net>", num->s,
					num->contact);
		if (c == NULL || !str_is(sip_hdr_value(&msg, c), buf, strlen(buf)))
			fail(m, s, "wrong Contact, expected", buf);
		return;
	}

	sip_addr_parse(SIP_STR_LIT(GATEWAY), &a);
	if (memcmp(&ip->dst_addr, a.a, 4) != 0 || rte_be_to_cpu_16(udp->dst_port) != GATEWAY_PORT)
		fail(m, s, "not sent to the gateway", NULL);
	if (!sip_is_request(&msg) || msg.method != SIP_METHOD_INVITE)
		fail(m, s, "not an INVITE", NULL);
	if (!str_is(f.ruri.user, num->s, strlen(num->s)) ||
			!str_is(f.ruri.host, GATEWAY, strlen(GATEWAY)) || !f.ruri.has_port ||
			f.ruri.port != GATEWAY_PORT)
		fail(m, s, "wrong Request-URI", NULL);
	if (!f.has_max_forwards || f.max_forwards != 68)
		fail(m, s, "Max-Forwards not decremented", NULL);
	if (n_via != gi->n_via + 1u || via_at(&msg, 1, &second, &n_via) != 0)
		fail(m, s, "our Via not added on top of the others", NULL);
	if (!str_is(top.host, ROUTER, strlen(ROUTER)))
		fail(m, s, "top Via is not ours", NULL);
	if (!str_is(second.branch, gi->branch, strlen(gi->branch)))
		fail(m, s, "sender's Via branch changed", NULL);
	struct sip_origin o;
	sip_addr_parse(sip_str_make(src, strlen(src)), &a);
	if (sip_via_origin(&second, &o) != 0 || !sip_addr_eq(&o.addr, &a) || o.port != gi->sport)
		fail(m, s, "sender's Via lacks its received/rport", NULL);
	if (!sip_branch_verify(top.branch, &second, &o, &f, dp_app.keys))
		fail(m, s, "our branch does not verify", NULL);
	if (gi->route && hdr_count(&msg, SIP_HDR_ROUTE) != 0)
		fail(m, s, "our Route was not popped", NULL);
	if (hdr_count(&msg, SIP_HDR_RECORD_ROUTE) < gi->n_rr)
		fail(m, s, "Record-Route entries lost", NULL);
}

/* Take what the worker sent, check it, keep it for tx_free_done() (not timed). */
static unsigned
sink(void)
{
	struct rte_mbuf *m[BURST * 2];
	unsigned n, total = 0;
	while ((n = rte_ring_dequeue_burst(tx_ring, (void **)m, RTE_DIM(m), NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (infl_head == infl_tail) {
				fprintf(stderr, "bench_pipeline: more outputs than inputs\n");
				exit(1);
			}
			check_frame(m[i], &inflight[infl_head++ % FIFO]);
			done[done_tail++ % FIFO] = m[i];
		}
		total += n;
	}
	return total;
}

static void
run_case(const struct plan_spec *ps, const char *action_name, enum dp_counter expect,
		unsigned iters, unsigned runs, unsigned distinct)
{
	double ns[16], cyc[16], tot[16];
	uint64_t hz = rte_get_tsc_hz();

	double *per_burst = malloc(sizeof(double) * iters);
	/* The pipeline primed: AHEAD bursts in the RX ring, a burst of descriptors spare. */
	rx_refill(BURST);
	for (unsigned b = 0; b < AHEAD; b++) {
		rx_refill(BURST);
		generate();
	}
	for (unsigned r = 0; r < runs; r++) {
		uint64_t pkts = 0, cycles = 0;
		uint64_t before = worker->cnt.v[expect];
		for (unsigned it = 0; it < iters; it++) {
			generate();
			uint64_t t0 = rte_rdtsc_precise();
			unsigned got = dp_worker_poll(worker);
			rx_refill(got);
			tx_free_done();
			uint64_t t1 = rte_rdtsc_precise();
			rte_rcu_qsbr_quiescent(dp_app.qsbr, 0);
			if (sink() != got) {
				fprintf(stderr, "bench_pipeline: %s/%s: %u packets in, not as many out\n",
						ps->name, action_name, got);
				exit(1);
			}
			per_burst[it] = got ? (double)(t1 - t0) / got : 0;
			pkts += got;
			cycles += t1 - t0;
			polled += got;
		}
		uint64_t done_n = worker->cnt.v[expect] - before;
		if (done_n != pkts) {
			fprintf(stderr, "bench_pipeline: %s/%s: %" PRIu64 " of %" PRIu64
					" packets took the expected action\n", ps->name, action_name,
					done_n, pkts);
			for (unsigned k = 0; k < DP_C__COUNT; k++)
				if (worker->cnt.v[k])
					fprintf(stderr, "  %s %" PRIu64 "\n", dp_counter_name(k),
							worker->cnt.v[k]);
			exit(1);
		}
		/* Median over bursts: a burst the VM preempted is an outlier, not a trend. */
		cyc[r] = bench_median(per_burst, iters);
		ns[r] = cyc[r] * 1e9 / (double)hz;
		/* ...and every cycle over every packet, preemptions included. */
		tot[r] = pkts ? (double)cycles / (double)pkts : 0;
	}
	/* Drain: the frames still queued are answered (and checked), then freed. */
	while (rte_ring_count(rx_ring) > 0) {
		unsigned got = dp_worker_poll(worker);
		rte_rcu_qsbr_quiescent(dp_app.qsbr, 0);
		polled += got;
		if (sink() != got)
			exit(1);
	}
	while (done_head != done_tail)
		rte_pktmbuf_free(done[done_head++ % FIFO]);
	while (desc_head != desc_tail)
		rte_pktmbuf_free(desc[desc_head++ % FIFO]);
	free(per_burst);
	double mns = bench_median(ns, runs), mcyc = bench_median(cyc, runs);
	double mtot = bench_median(tot, runs);
	printf("{\"bench\":\"pipeline\",\"case\":\"%s/%s\",\"variant\":\"%s\",\"ns_per_op\":%.1f,"
	       "\"cycles_per_op\":%.0f,\"mpps\":%.2f,\"total_cycles_per_op\":%.0f,"
	       "\"total_ns_per_op\":%.1f,\"total_mpps\":%.2f,\"msg_bytes\":\"400-1200\","
	       "\"dist\":\"%s\",\"numbers\":%u,\"distinct_numbers\":%u,\"payload\":\"%s\","
	       "\"rx_cksum\":\"%s\",\"offload\":%s,\"iters\":%u,\"runs\":%u",
			ps->name, action_name, sip_scanner_active()->name, mns, mcyc, 1000.0 / mns,
			mtot, mtot * 1e9 / (double)hz, (double)hz / 1e6 / mtot,
			dist_names[dist], n_numbers, distinct,
			flush_payload ? "flushed" : "out-of-L1",
			rx_cksum_offload || offload ? "nic" : "sw", offload ? "true" : "false",
			iters * BURST, runs);
	bench_print_machine(stdout, (double)hz);
	printf("}\n");
	fflush(stdout);
}

static void
make_frames(const struct plan_spec *ps)
{
	char payload[1600];
	struct bench_gen_msg info;
	for (unsigned i = 0; i < TEMPLATES; i++) {
		size_t target = 400 + (size_t)(rnd() % 801); /* 400..1200 bytes */
		bench_gen_invite(payload, sizeof(payload), num_len_of(ps), target, &rng_state, &info);
		make_frame(&frames[i], &dp_app.local.mac, payload, &info);
	}
}

/*
 * EAL's runtime directory (/var/run/dpdk/bp<pid>, or under $XDG_RUNTIME_DIR
 * when not root) outlives the process: removed at exit, on every path,
 * and when a signal ends the run (SIGPIPE from `| head`, SIGTERM from
 * `timeout`, Ctrl-C). The paths are made before EAL starts, so the signal
 * handler only forks an rm (fork, execve and waitpid are async-signal-safe).
 */
static char rt_dir[2][256];
static char *rt_rm[] = {"rm", "-rf", "--", rt_dir[0], rt_dir[1], NULL};

static void
remove_runtime_dir(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execv("/bin/rm", rt_rm);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		static const char msg[] = "bench_pipeline: could not remove the DPDK runtime directory\n";
		(void)!write(2, msg, sizeof(msg) - 1);
	}
}

static void
on_fatal_signal(int sig)
{
	remove_runtime_dir();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
runtime_dir_cleanup_setup(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	snprintf(rt_dir[0], sizeof(rt_dir[0]), "/var/run/dpdk/bp%d", (int)getpid());
	snprintf(rt_dir[1], sizeof(rt_dir[1]), "%s/dpdk/bp%d",
			xdg != NULL && getuid() != 0 ? xdg : "/nonexistent", (int)getpid());
	for (const int *s = (const int[]){SIGINT, SIGTERM, SIGHUP, SIGPIPE, 0}; *s; s++)
		signal(*s, on_fatal_signal);
}

int
main(int argc, char **argv)
{
	bool quick = bench_has_flag(argc, argv, "--quick");
	rx_cksum_offload = bench_has_flag(argc, argv, "--rx-cksum-offload");
	offload = bench_has_flag(argc, argv, "--offload");
	flush_payload = bench_has_flag(argc, argv, "--flush");
	const char *only = NULL;
	unsigned src_rate = 0;
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--plan") == 0)
			only = argv[i + 1];
		if (strcmp(argv[i], "--dist") == 0) {
			if (strcmp(argv[i + 1], "zipf") == 0)
				dist = DIST_ZIPF;
			else if (strcmp(argv[i + 1], "uniform") != 0) {
				fprintf(stderr, "bench_pipeline: --dist uniform|zipf\n");
				return 2;
			}
		}
		/* Per-source limiting on (every frame comes from one source: set it high). */
		if (strcmp(argv[i], "--src-rate") == 0)
			src_rate = (unsigned)strtoul(argv[i + 1], NULL, 10);
	}
	char prefix[32], err[256];
	snprintf(prefix, sizeof(prefix), "--file-prefix=bp%d", getpid());
	char *eal[] = {argv[0], "--no-huge", "-m", "1024", "--no-pci", prefix, "-l", "0",
		"--log-level=lib.eal:error", "--no-telemetry"};
	struct dp_app *app = &dp_app;

	runtime_dir_cleanup_setup();
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "bench_pipeline: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	atexit(remove_runtime_dir);
	/* The gateway's MAC is known: the forward case measures the fast path, not ARP. */
	dp_ring_port_options(app, ROUTER, GATEWAY, (uint8_t[]){0x02, 0, 0, 0, 0, 0x20});
	app->opt.src_rate = src_rate;
	/*
	 * The RX ring is kept full on purpose (flat out): to the worker that is
	 * overload, and it would shed. What is measured here is the work done.
	 */
	app->opt.overload_shed = false;
	/* Without the built-in scanner signatures: what checking them costs. */
	app->opt.no_default_scanners = bench_has_flag(argc, argv, "--no-default-scanners");

	if (dp_ring_port_create(app, "bench", 16384, 256, 1024, &rx_ring, &tx_ring, err,
			sizeof(err)) != 0) {
		fprintf(stderr, "bench_pipeline: %s\n", err);
		return 1;
	}
	if (dp_setup_identity(app, err, sizeof(err)) != 0 ||
			dp_setup_state(app, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_pipeline: %s\n", err);
		return 1;
	}
	/* --offload: the ring port stands for a NIC that sums what it sends (nic_tx_cksum()). */
	if (offload)
		app->wire_tx_cksum = DP_TX_CKSUM_IP4 | DP_TX_CKSUM_UDP;
	/* The main lcore plays the worker: one worker struct, id 0, queue 0. */
	worker = dp_ring_worker_create(app, err, sizeof(err));
	if (worker == NULL) {
		fprintf(stderr, "bench_pipeline: %s\n", err);
		return 1;
	}
	rte_rcu_qsbr_thread_online(app->qsbr, 0);

	frames = malloc(sizeof(*frames) * TEMPLATES);
	n_numbers = quick ? 1u << 16 : 1u << 21;
	numbers = malloc(sizeof(*numbers) * n_numbers);
	if (frames == NULL || numbers == NULL) {
		fprintf(stderr, "bench_pipeline: out of memory\n");
		return 1;
	}
	/* --prefixes N: the large plan's size (callgrind: --quick with the full plan). */
	unsigned n_pfx = quick ? 10000 : 1000000;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--prefixes") == 0)
			n_pfx = (unsigned)strtoul(argv[i + 1], NULL, 10);
	char big[32];
	if (n_pfx % 1000000 == 0)
		snprintf(big, sizeof(big), "1kre+%uMpfx", n_pfx / 1000000);
	else
		snprintf(big, sizeof(big), "1kre+%ukpfx", n_pfx / 1000);
	const struct plan_spec plans[] = {
		{"10re", 10, 0},
		{big, 1000, n_pfx},
	};
	unsigned iters = quick ? 200 : 20000, runs = quick ? 3 : 7;

	/* A --plan naming no plan (the large one is named by --prefixes) is an error, not a no-op. */
	if (only != NULL && strcmp(only, plans[0].name) != 0 && strcmp(only, plans[1].name) != 0) {
		fprintf(stderr, "bench_pipeline: no plan \"%s\" (with these options: %s, %s)\n", only,
				plans[0].name, plans[1].name);
		return 2;
	}
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
		cur_plan = &plans[p];
		for (int action = 0; action < 2; action++) {
			cur_action = action;
			unsigned distinct = make_numbers(&plans[p], action);
			make_frames(&plans[p]);
			run_case(&plans[p], action ? "forward" : "redirect",
					action ? DP_C_ACT_FORWARD : DP_C_ACT_REDIRECT, iters, runs, distinct);
		}
	}
	rte_rcu_qsbr_thread_offline(app->qsbr, 0);
	/* What a profile of dp_worker_poll (callgrind --toggle-collect) divides by. */
	fprintf(stderr, "bench_pipeline: %" PRIu64 " packets through dp_worker_poll\n", polled);
	free(frames);
	free(numbers);
	free(zipf_cdf);
	free(text);
	return 0;
}
