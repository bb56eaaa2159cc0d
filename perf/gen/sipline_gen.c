/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipline-gen: a DPDK SIP traffic generator (docs/benchmarking.md).
 *
 * Worker lcores each own one RX and one TX queue of the client port (and
 * of the gateway port when it is another one): they expand templates into
 * mbufs at a TSC-paced rate, and read back what the router sends, matched
 * to requests by the Call-ID they wrote (gen_match.h). The main lcore
 * prints a progress line per second, runs the phases (one fixed rate, or a
 * step search), and writes the report.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "gen_frame.h"
#include "gen_gw.h"
#include "gen_hist.h"
#include "gen_match.h"
#include "gen_pace.h"
#include "gen_pkt.h"
#include "gen_tmpl.h"
#include "gen_users.h"

#define BURST_MAX 256
#define RX_BURST 64
#define RING_DESC 1024
#define RETRANS_RING 64
#define GW_SLOTS (1u << 20)
#define SEEN_BITS 24

struct conf {
	uint16_t port, gw_port;
	bool gw_mode;
	struct gen_flow flow;          /* client side: src = us, dst = the router */
	unsigned sources;              /* source ports used: src_port .. src_port + sources - 1 */
	unsigned src_ips;              /* source addresses used from --src (spoofed floods) */
	uint8_t gw_ip[16];
	uint16_t gw_sip_port;
	char template_name[256];
	unsigned size;
	struct gen_tmpl tmpl;
	struct gen_users users;
	struct gen_expect expect;
	uint64_t rate;                 /* 0: flat out */
	unsigned burst;
	unsigned catch_up_ms;   /* --catch-up */
	double duration;
	unsigned drain_ms;
	double step_factor, step_loss; /* step mode when step_factor > 1 */
	unsigned retrans_pct;
	bool expect_replies;
	bool json_only;
	int progress;                  /* -1: if stdout is a terminal */
	bool verify;
	bool l4_offload;
	char case_name[64];
	char sent_by[64];
	unsigned then_pct[8], n_then;
	double then_seconds;
	bool linger;
	uint64_t step_max;             /* 0: no ceiling */
	unsigned n_workers;
};

/* Counters of one worker (written by it only; read by the main lcore). */
struct wstats {
	uint64_t sent, retrans, tx_full, skipped;
	uint64_t answered, dup, unexpected, provisional;
	uint64_t kind[GEN_K__N];
	uint64_t status_class[7];      /* final answers by hundreds, first answers only */
	uint64_t fwd_seen, fwd_bad, fwd_answered, branch_mismatch;
	uint64_t rx, rx_bad, arp;
	struct gen_hist hist;
} __rte_cache_aligned;

/* What the main lcore asks of the workers. */
struct phase {
	uint64_t gen;        /* bumped for each new phase */
	uint64_t rate;       /* per worker */
	uint64_t t0, t_end;  /* sending window (TSC) */
	bool quit;
};

static struct conf C;
static struct phase P;
static struct wstats *W;
static struct gen_seen Seen;
static uint64_t *GwSlots;
static struct rte_mempool *Pool;
/* Every request built from one frame prototype (gen_frame.h), when it can be. */
static struct gen_frame Frame;
static bool UseFrame;
static uint16_t Src16;  /* last two bytes of --src */
static uint64_t Hz;
static volatile sig_atomic_t Stop;

static void
on_signal(int sig)
{
	(void)sig;
	Stop = 1;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sipline-gen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* ---- the workers ---- */

struct worker {
	unsigned id;                    /* 0 .. n_workers - 1: also the queue */
	uint64_t rng;
	uint64_t next_seq;              /* local counter: seq = counter * n_workers + id */
	struct gen_vars ring[RETRANS_RING];
	char users[RETRANS_RING][GEN_USER_MAX];
	unsigned ring_n;
	uint16_t ip_id;
	struct wstats *st;
};

/* Fill m (fresh from the pool) with the request v: false (m freed) if it does not fit. */
static bool
build_into(struct worker *w, struct rte_mbuf *m, const struct gen_vars *v, uint64_t seq)
{
	if (likely(UseFrame) && Frame.len + 8 <= rte_pktmbuf_tailroom(m) &&
			v->user_len == C.tmpl.user_width) {
		uint16_t sport = C.sources > 1 ? (uint16_t)(C.flow.sport + seq % C.sources) :
				C.flow.sport;
		uint16_t src16 = C.src_ips > 1 ? (uint16_t)(Src16 + seq % C.src_ips) : Src16;
		uint32_t fl = gen_frame_build(&Frame, &C.tmpl, v, sport, src16, w->ip_id++,
				rte_pktmbuf_mtod(m, uint8_t *));
		m->data_len = m->pkt_len = (uint16_t)fl;
		return true;
	}
	struct gen_flow f = C.flow;
	if (C.sources > 1)
		f.sport = (uint16_t)(C.flow.sport + seq % C.sources);
	if (C.src_ips > 1) {
		/* Spread over src_ips addresses from --src: add to the last two bytes. */
		unsigned last = f.v6 ? 14 : 2;
		uint32_t base = (uint32_t)f.src_ip[last] << 8 | f.src_ip[last + 1];
		uint32_t a = base + (uint32_t)(seq % C.src_ips);
		f.src_ip[last] = (uint8_t)(a >> 8);
		f.src_ip[last + 1] = (uint8_t)a;
		if (a > 0xffff && !f.v6)
			f.src_ip[1]++;
	}
	unsigned hl = gen_hdr_len(&f);
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t room = rte_pktmbuf_tailroom(m);
	uint64_t sum;
	bool summed = C.tmpl.fixed && !C.l4_offload;
	uint32_t len = summed ? gen_tmpl_expand_sum(&C.tmpl, v, (char *)frame + hl, room - hl, &sum) :
			gen_tmpl_expand(&C.tmpl, v, (char *)frame + hl, room - hl);
	if (len == 0) {
		rte_pktmbuf_free(m);
		return false;
	}
	uint32_t fl = summed ? gen_pkt_finish_sum(frame, &f, len, sum, w->ip_id++) :
			gen_pkt_finish(frame, &f, len, !C.l4_offload, w->ip_id++);
	m->data_len = m->pkt_len = (uint16_t)fl;
	if (C.l4_offload) {
		m->l2_len = GEN_ETH_LEN;
		m->l3_len = f.v6 ? 40 : 20;
		m->ol_flags = (f.v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) | RTE_MBUF_F_TX_UDP_CKSUM;
	}
	return true;
}

static struct rte_mbuf *
build(struct worker *w, const struct gen_vars *v, uint64_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(Pool);
	return m != NULL && build_into(w, m, v, seq) ? m : NULL;
}

static void
send_burst(struct worker *w, uint32_t k, uint64_t now)
{
	struct rte_mbuf *tx[BURST_MAX];
	struct rte_mbuf *fresh[BURST_MAX];
	uint64_t seqs[BURST_MAX];
	uint32_t n = 0;
	if (rte_pktmbuf_alloc_bulk(Pool, fresh, k) != 0) {
		w->st->tx_full += k; /* the pool is empty: not offered, counted with a full queue */
		return;
	}
	uint32_t used = 0;
	for (uint32_t i = 0; i < k; i++) {
		struct gen_vars *slot = &w->ring[w->ring_n % RETRANS_RING];
		char *ubuf = w->users[w->ring_n % RETRANS_RING];
		uint64_t seq = w->next_seq * C.n_workers + w->id;
		slot->seq = seq;
		slot->tsc = now;
		slot->user = ubuf;
		slot->user_len = gen_users_draw(&C.users, &w->rng, ubuf, &slot->cls);
		struct rte_mbuf *m = fresh[used++];
		if (!build_into(w, m, slot, seq))
			break;
		if (C.n_workers == 1)
			gen_seen_sent_local(&Seen, seq); /* its answers are read by this thread too */
		else
			gen_seen_sent(&Seen, seq);
		w->next_seq++;
		w->ring_n++;
		seqs[n] = seq;
		tx[n++] = m;
		/* A retransmission of a request sent RETRANS_RING/2 requests ago (same Call-ID, branch). */
		if (C.retrans_pct != 0 && w->ring_n > RETRANS_RING && n < BURST_MAX &&
				gen_rand(&w->rng) % 100 < C.retrans_pct) {
			const struct gen_vars *old = &w->ring[(w->ring_n - RETRANS_RING / 2) % RETRANS_RING];
			struct rte_mbuf *r = build(w, old, old->seq);
			if (r != NULL) {
				seqs[n] = UINT64_MAX;
				tx[n++] = r;
			}
		}
	}
	if (used < k)
		rte_pktmbuf_free_bulk(fresh + used, k - used);
	uint16_t sent = rte_eth_tx_burst(C.port, (uint16_t)w->id, tx, (uint16_t)n);
	for (uint32_t i = 0; i < sent; i++) {
		if (seqs[i] == UINT64_MAX)
			w->st->retrans++;
		else
			w->st->sent++;
	}
	if (sent < n) {
		w->st->tx_full += n - sent;
		rte_pktmbuf_free_bulk(tx + sent, n - sent);
	}
}

/* Answer an ARP request for one of our addresses. */
static void
arp(struct worker *w, uint16_t port, const struct gen_rx *rx, const uint8_t *frame)
{
	if (memcmp(rx->dst_ip, C.flow.src_ip, 4) != 0 &&
			!(C.gw_mode && memcmp(rx->dst_ip, C.gw_ip, 4) == 0))
		return;
	struct rte_mbuf *m = rte_pktmbuf_alloc(Pool);
	if (m == NULL)
		return;
	uint32_t n = gen_arp_reply(rx, frame, C.flow.src_mac, rte_pktmbuf_mtod(m, uint8_t *));
	m->data_len = m->pkt_len = (uint16_t)n;
	if (rte_eth_tx_burst(port, (uint16_t)w->id, &m, 1) != 1)
		rte_pktmbuf_free(m);
	w->st->arp++;
}

static void
client_rx(struct worker *w, const struct gen_rx *rx, uint64_t now)
{
	struct gen_msg msg;
	enum gen_kind k = gen_match(rx->payload, rx->len, &msg);
	w->st->kind[k]++;
	if (k >= GEN_K_REQUEST) {
		if (k == GEN_K_REQUEST)
			w->st->unexpected++; /* a request of ours came back to us */
		return;
	}
	if (k == GEN_K_1XX) {
		w->st->provisional++;
		return;
	}
	if (!gen_seen_answer(&Seen, msg.seq)) {
		w->st->dup++;
		return;
	}
	w->st->answered++;
	w->st->status_class[msg.status / 100]++;
	if (!gen_expected(&C.expect, msg.cls, msg.seq, msg.status))
		w->st->unexpected++;
	if (now > msg.tsc)
		gen_hist_add(&w->st->hist, (uint64_t)((double)(now - msg.tsc) * 1e9 / (double)Hz));
}

static void
gateway_rx(struct worker *w, uint16_t port, const struct gen_rx *rx)
{
	struct gen_msg msg;
	enum gen_kind k = gen_match(rx->payload, rx->len, &msg);
	if (k != GEN_K_REQUEST) {
		w->st->kind[k]++;
		return;
	}
	w->st->fwd_seen++;
	struct gen_gw_check c;
	gen_gw_inspect(rx->payload, rx->len, C.sent_by, &c);
	if (c.vias < 2 || !c.top_is_router || c.max_forwards != 69)
		w->st->fwd_bad++;
	/* Branch stability: a retransmission must carry the branch the first copy had. */
	uint64_t *slot = &GwSlots[msg.seq & (GW_SLOTS - 1)];
	uint64_t want = (msg.seq & 0xffffffffu) << 32 | c.branch_hash;
	uint64_t had = __atomic_exchange_n(slot, want, __ATOMIC_RELAXED);
	if (had != 0 && had >> 32 == (msg.seq & 0xffffffffu) && (uint32_t)had != c.branch_hash)
		w->st->branch_mismatch++;
	if (rx->len >= 4 && memcmp(rx->payload, "ACK ", 4) == 0)
		return;
	struct rte_mbuf *m = rte_pktmbuf_alloc(Pool);
	if (m == NULL)
		return;
	struct gen_flow f = {.v6 = rx->v6, .sport = rx->dport, .dport = rx->sport};
	memcpy(f.src_mac, C.flow.src_mac, 6);
	memcpy(f.dst_mac, rx->src_mac, 6);
	memcpy(f.src_ip, rx->dst_ip, 16);
	memcpy(f.dst_ip, rx->src_ip, 16);
	unsigned hl = gen_hdr_len(&f);
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = gen_gw_answer(rx->payload, rx->len, gen_gw_status(&C.expect, msg.seq),
			(char *)frame + hl, rte_pktmbuf_tailroom(m) - hl);
	if (len == 0) {
		w->st->fwd_bad++;
		rte_pktmbuf_free(m);
		return;
	}
	m->data_len = m->pkt_len = (uint16_t)gen_pkt_finish(frame, &f, len, true, w->ip_id++);
	if (rte_eth_tx_burst(port, (uint16_t)w->id, &m, 1) == 1)
		w->st->fwd_answered++;
	else
		rte_pktmbuf_free(m);
}

static void
poll_rx(struct worker *w, uint16_t port, uint64_t now)
{
	struct rte_mbuf *pk[RX_BURST];
	uint16_t n = rte_eth_rx_burst(port, (uint16_t)w->id, pk, RX_BURST);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pk[i];
		struct gen_rx rx;
		const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
		w->st->rx++;
		if (m->nb_segs != 1 || gen_pkt_parse(frame, m->data_len, C.verify, &rx) != 0) {
			w->st->rx_bad++;
		} else if (rx.arp_request) {
			arp(w, port, &rx, frame);
		} else if (C.gw_mode && memcmp(rx.dst_ip, C.gw_ip, rx.v6 ? 16 : 4) == 0 &&
				rx.dport == C.gw_sip_port) {
			gateway_rx(w, port, &rx);
		} else if (memcmp(rx.dst_ip, C.flow.src_ip, rx.v6 ? 16 : 4) == 0) {
			client_rx(w, &rx, now);
		} else {
			w->st->rx_bad++;
		}
	}
	if (n != 0)
		rte_pktmbuf_free_bulk(pk, n);
}

/*
 * Packets a worker late by a preemption may still send at once (--catch-up
 * MS at its rate, at least 4 bursts; at most a pool's worth): beyond
 * that they are given up and counted late.
 */
static uint32_t
catch_up(uint64_t rate)
{
	uint64_t n = rate * C.catch_up_ms / 1000;
	if (n < 4ull * C.burst)
		n = 4ull * C.burst;
	return n > 16384 ? 16384 : (uint32_t)n;
}

static int
worker_main(void *arg)
{
	struct worker *w = arg;
	struct gen_pace pace = {0};
	uint64_t gen = 0;
	bool sending = false;

	while (!__atomic_load_n(&P.quit, __ATOMIC_ACQUIRE)) {
		uint64_t now = rte_rdtsc();
		uint64_t g = __atomic_load_n(&P.gen, __ATOMIC_ACQUIRE);
		if (g != gen) {
			gen = g;
			gen_pace_init(&pace, Hz, P.rate, P.t0, catch_up(P.rate));
			sending = true;
		}
		if (sending) {
			if (now >= P.t_end) {
				sending = false;
				w->st->skipped += pace.skipped;
			} else {
				uint32_t k = gen_pace_ready(&pace, now, C.burst);
				if (k != 0) {
					send_burst(w, k, now);
					gen_pace_sent(&pace, k);
				}
			}
		}
		poll_rx(w, C.port, now);
		if (C.gw_port != C.port)
			poll_rx(w, C.gw_port, now);
	}
	return 0;
}

/* ---- the main lcore ---- */

static void
totals(struct wstats *t)
{
	memset(t, 0, sizeof(*t));
	gen_hist_reset(&t->hist);
	for (unsigned i = 0; i < C.n_workers; i++) {
		const struct wstats *s = &W[i];
		const uint64_t *a = (const uint64_t *)s;
		uint64_t *b = (uint64_t *)t;
		size_t n = offsetof(struct wstats, hist) / sizeof(uint64_t);
		for (size_t k = 0; k < n; k++)
			b[k] += __atomic_load_n(&a[k], __ATOMIC_RELAXED);
		gen_hist_merge(&t->hist, &s->hist);
	}
}

/* Counters of a phase: after - before (the histogram too, bucket by bucket). */
static void
delta(struct wstats *d, const struct wstats *after, const struct wstats *before)
{
	const uint64_t *a = (const uint64_t *)after, *b = (const uint64_t *)before;
	uint64_t *o = (uint64_t *)d;
	size_t n = offsetof(struct wstats, hist) / sizeof(uint64_t);
	for (size_t k = 0; k < n; k++)
		o[k] = a[k] - b[k];
	gen_hist_reset(&d->hist);
	for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++)
		d->hist.b[i] = after->hist.b[i] - before->hist.b[i];
	d->hist.n = after->hist.n - before->hist.n;
	d->hist.sum = after->hist.sum - before->hist.sum;
	d->hist.max = after->hist.max; /* the run's maximum so far: an upper bound of the phase's */
	d->hist.min = 0;
}

static double
loss_of(const struct wstats *d)
{
	if (!C.expect_replies || d->sent == 0)
		return 0;
	return d->answered >= d->sent ? 0 : (double)(d->sent - d->answered) / (double)d->sent;
}

static void
cpu_model(char *out, size_t n)
{
	snprintf(out, n, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "model name", 10) == 0) {
			char *c = strchr(line, ':');
			if (c != NULL) {
				c += 2;
				c[strcspn(c, "\n")] = '\0';
				for (char *p = c; *p; p++)
					if (*p == '"' || *p == '\\')
						*p = ' ';
				snprintf(out, n, "%s", c);
			}
			break;
		}
	fclose(f);
}

static void
report(const char *phase, uint64_t rate_asked, double seconds, const struct wstats *d, bool last)
{
	FILE *txt = C.json_only ? stderr : stdout;
	double us[5];
	const double ps[5] = {50, 90, 99, 99.9, 100};
	for (int i = 0; i < 5; i++)
		us[i] = (double)gen_hist_percentile(&d->hist, ps[i]) / 1000.0;
	double tx_pps = seconds > 0 ? (double)d->sent / seconds : 0;
	double ans_pps = seconds > 0 ? (double)d->answered / seconds : 0;
	double loss = loss_of(d);
	char cpu[128];
	cpu_model(cpu, sizeof(cpu));
	fprintf(txt, "%s: asked %s%.0f pps for %.1f s: sent %" PRIu64 " (%.3f Mpps",
			phase, rate_asked ? "" : "max ", (double)rate_asked, seconds, d->sent, tx_pps / 1e6);
	fprintf(txt, ", %" PRIu64 " not sent: TX full %" PRIu64 ", late %" PRIu64 ")\n",
			d->tx_full + d->skipped, d->tx_full, d->skipped);
	fprintf(txt, "  answered %" PRIu64 " (%.3f Mpps), loss %.4f%%, duplicates %" PRIu64
			", unexpected %" PRIu64 ", provisional %" PRIu64 ", retransmitted %" PRIu64 "\n",
			d->answered, ans_pps / 1e6, loss * 100, d->dup, d->unexpected, d->provisional,
			d->retrans);
	fprintf(txt, "  finals: 2xx %" PRIu64 " 3xx %" PRIu64 " 4xx %" PRIu64 " 5xx %" PRIu64
			" 6xx %" PRIu64 "; foreign %" PRIu64 ", bad frames %" PRIu64 ", ARP answered %"
			PRIu64 "\n", d->status_class[2], d->status_class[3], d->status_class[4],
			d->status_class[5], d->status_class[6], d->kind[GEN_K_FOREIGN] +
			d->kind[GEN_K_GARBAGE], d->rx_bad, d->arp);
	if (C.gw_mode)
		fprintf(txt, "  gateway: forwarded requests seen %" PRIu64 ", answered %" PRIu64
				", badly forwarded %" PRIu64 ", branch changed on retransmission %"
				PRIu64 "\n", d->fwd_seen, d->fwd_answered, d->fwd_bad, d->branch_mismatch);
	fprintf(txt, "  latency us: p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f\n", us[0], us[1],
			us[2], us[3], us[4]);
	printf("{\"bench\":\"sipline-gen\",\"case\":\"%s\",\"phase\":\"%s\",\"template\":\"%s\","
			"\"size\":%u,\"rate_asked\":%" PRIu64 ",\"seconds\":%.3f,\"sent\":%" PRIu64
			",\"tx_mpps\":%.6f,\"answered\":%" PRIu64 ",\"mpps\":%.6f,\"loss\":%.6f,"
			"\"dup\":%" PRIu64 ",\"unexpected\":%" PRIu64 ",\"tx_full\":%" PRIu64
			",\"late\":%" PRIu64 ",\"s2xx\":%" PRIu64 ",\"s3xx\":%" PRIu64 ",\"s4xx\":%"
			PRIu64 ",\"s5xx\":%" PRIu64 ",\"s6xx\":%" PRIu64 ",\"fwd_seen\":%" PRIu64
			",\"fwd_answered\":%" PRIu64 ",\"fwd_bad\":%" PRIu64 ",\"branch_mismatch\":%"
			PRIu64 ",\"retrans\":%" PRIu64 ",\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,"
			"\"p999_us\":%.2f,\"max_us\":%.2f,\"ns_per_op\":%.2f,\"cycles_per_op\":%.1f,"
			"\"workers\":%u,\"tsc_hz\":%" PRIu64 ",\"cpu\":\"%s\",\"last\":%s}\n",
			C.case_name, phase, C.template_name, C.size, rate_asked, seconds, d->sent,
			tx_pps / 1e6, d->answered, ans_pps / 1e6, loss, d->dup, d->unexpected, d->tx_full,
			d->skipped, d->status_class[2], d->status_class[3], d->status_class[4],
			d->status_class[5], d->status_class[6], d->fwd_seen, d->fwd_answered, d->fwd_bad,
			d->branch_mismatch, d->retrans, us[0], us[1], us[2], us[3], us[4],
			ans_pps > 0 ? 1e9 / ans_pps : 0, ans_pps > 0 ? (double)Hz / ans_pps : 0,
			C.n_workers, Hz, cpu, last ? "true" : "false");
	fflush(stdout);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* One phase at a total rate (0: flat out): its counters in *d, its sending time in *secs. */
static void
run_phase(uint64_t rate, double duration, struct wstats *d, double *secs)
{
	struct wstats before, after, prev;
	totals(&before);
	prev = before;
	uint64_t t0 = rte_rdtsc() + Hz / 100;
	P.rate = rate / C.n_workers;
	if (rate != 0 && P.rate == 0)
		P.rate = 1;
	P.t0 = t0;
	P.t_end = t0 + (uint64_t)(duration * (double)Hz);
	__atomic_fetch_add(&P.gen, 1, __ATOMIC_RELEASE);
	bool show = C.progress == 1 || (C.progress < 0 && isatty(STDOUT_FILENO));
	unsigned ticks = 0;
	while (!Stop && rte_rdtsc() < P.t_end) {
		sleep_ms(100);
		if (++ticks % 10 != 0 || !show)
			continue;
		struct wstats now;
		totals(&now);
		fprintf(C.json_only ? stderr : stdout, "%4us  tx %8.3f kpps  answered %8.3f kpps  "
				"fwd %8.3f kpps  p50 %.1f us  p99 %.1f us\n", ticks / 10,
				(double)(now.sent - prev.sent) / 1e3, (double)(now.answered - prev.answered) /
				1e3, (double)(now.fwd_seen - prev.fwd_seen) / 1e3,
				(double)gen_hist_percentile(&now.hist, 50) / 1e3,
				(double)gen_hist_percentile(&now.hist, 99) / 1e3);
		prev = now;
	}
	uint64_t t_stop = rte_rdtsc();
	if (t_stop < P.t_end) /* interrupted: stop sending now */
		P.t_end = t_stop;
	*secs = (double)((t_stop < P.t_end ? t_stop : P.t_end) - t0) / (double)Hz;
	if (*secs < 0)
		*secs = 0;
	sleep_ms(C.drain_ms);
	totals(&after);
	delta(d, &after, &before);
}

static int
parse_ip(const char *s, uint8_t out[16], bool *v6)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*v6 = false;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*v6 = true;
		return 0;
	}
	return -1;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

static uint64_t
parse_rate(const char *s)
{
	if (strcmp(s, "max") == 0)
		return 0;
	char *e;
	double r = strtod(s, &e);
	if (*e == 'k' || *e == 'K')
		r *= 1e3, e++;
	else if (*e == 'm' || *e == 'M')
		r *= 1e6, e++;
	if (*e != '\0' || !(r >= 1) || r > 1e10)
		die("--rate '%s': packets per second (e.g. 50000, 250k, 2.5M) or 'max'", s);
	return (uint64_t)r;
}

static void
parse_answers(const char *s)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", s);
	unsigned total = 0;
	C.expect.gw_n = 0;
	char *save = NULL;
	for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		unsigned code, pct;
		if (sscanf(it, "%u=%u", &code, &pct) != 2 || code < 200 || code > 699 || pct > 100 ||
				C.expect.gw_n == 3)
			die("--gw-answers '%s': up to 3 CODE=PERCENT items, e.g. 200=90,486=5,503=5", s);
		C.expect.gw_codes[C.expect.gw_n] = (uint16_t)code;
		C.expect.gw_weights[C.expect.gw_n++] = (uint8_t)pct;
		total += pct;
	}
	if (total != 100)
		die("--gw-answers '%s': the percentages add up to %u, not 100", s, total);
}

static void
usage(FILE *f)
{
	fputs("usage: sipline-gen [EAL options] -- --src IP --dst IP [options]\n"
	"Sends SIP over UDP on a DPDK port and measures what comes back (docs/benchmarking.md).\n"
	"  --src IP              the generator's address (IPv4 or IPv6)\n"
	"  --dst IP              the router's SIP address\n"
	"  --src-port N          first source port (5080); --sources N: spread over N ports\n"
	"                        from it (their Via names the first: the router answers rport)\n"
	"  --src-ips N           spread requests over N source addresses from --src (a\n"
	"                        spoofed-source flood: answers to the others are lost)\n"
	"  --dst-port N          the router's SIP port (5060)\n"
	"  --dst-mac MAC         the router's MAC (IPv4: resolved by ARP when not given)\n"
	"  --port N              DPDK port of the client side (0)\n"
	"  --gw IP[:PORT]        gateway mode: answer requests forwarded to IP:PORT (5060)\n"
	"  --gw-port N           DPDK port of the gateway side (the client port)\n"
	"  --gw-answers SPEC     gateway answers, e.g. 200=90,486=5,503=5 (200=100)\n"
	"  --template T          invite (default), options, register, response, or @FILE\n"
	"  --size BYTES          message size of a built-in template (400-1400 typical)\n"
	"  --users LO-HI|@FILE   Request-URI users (any final answer counts)\n"
	"  --mix SPEC            redirect=70:LO-HI,forward=25:LO-HI,noroute=5:LO-HI (checked)\n"
	"  --noroute-code N      the router's answer when nothing matches (404)\n"
	"  --rate PPS|max        offered rate (e.g. 100k, 2M; default 10k)\n"
	"  --burst N             packets per TX burst (32)\n"
	"  --catch-up MS         a worker delayed (preempted) sends what fell due within\n"
	"                        the last MS at once; older packets are given up, counted\n"
	"                        late (default 5; 0: 4 bursts)\n"
	"  --duration S          seconds of sending (10)\n"
	"  --drain-ms N          wait for answers after sending (500)\n"
	"  --step FACTOR[,LOSS%[,MAX]]  raise the rate by FACTOR from --rate until the loss\n"
	"                        exceeds LOSS%% (0.1) or MAX pps: the highest rate sustained\n"
	"  --retrans PCT         re-send PCT%% of requests (same Call-ID and branch)\n"
	"  --no-verify           do not verify checksums of received frames\n"
	"  --case NAME           the JSON lines' \"case\"\n"
	"  --json                JSON lines on stdout, the text report on stderr\n"
	"  --progress | --no-progress   a line per second (default: on a terminal)\n"
	"  --then-at P1,P2...    after --step: a run at each per cent of the best rate\n"
	"                        (latency at a known load), each --then-seconds long (3)\n"
	"  --linger              after the report, stay connected until the link goes down\n"
	"                        (a memif peer must not disconnect under a router's feet)\n"
	"  --help\n"
	"Worker lcores: every lcore but the main one; each owns one RX and one TX queue.\n",
	f);
}

static void
parse_args(int argc, char **argv)
{
	enum { O_SRC = 256, O_DST, O_SPORT, O_SOURCES, O_DPORT, O_DMAC, O_PORT, O_GW, O_GWPORT,
		O_GWANS, O_TMPL, O_SIZE, O_USERS, O_MIX, O_NOROUTE, O_RATE, O_BURST, O_CATCHUP, O_DUR,
		O_DRAIN, O_STEP, O_RETRANS, O_NOVERIFY, O_CASE, O_JSON, O_PROG, O_NOPROG, O_HELP, O_THEN, O_THENSEC, O_LINGER, O_SRCIPS };
	static const struct option opts[] = {
		{"src", 1, 0, O_SRC}, {"dst", 1, 0, O_DST}, {"src-port", 1, 0, O_SPORT},
		{"sources", 1, 0, O_SOURCES}, {"dst-port", 1, 0, O_DPORT}, {"dst-mac", 1, 0, O_DMAC},
		{"port", 1, 0, O_PORT}, {"gw", 1, 0, O_GW}, {"gw-port", 1, 0, O_GWPORT},
		{"gw-answers", 1, 0, O_GWANS}, {"template", 1, 0, O_TMPL}, {"size", 1, 0, O_SIZE},
		{"users", 1, 0, O_USERS}, {"mix", 1, 0, O_MIX}, {"noroute-code", 1, 0, O_NOROUTE},
		{"rate", 1, 0, O_RATE}, {"burst", 1, 0, O_BURST}, {"catch-up", 1, 0, O_CATCHUP}, {"duration", 1, 0, O_DUR},
		{"drain-ms", 1, 0, O_DRAIN}, {"step", 1, 0, O_STEP}, {"retrans", 1, 0, O_RETRANS},
		{"no-verify", 0, 0, O_NOVERIFY}, {"case", 1, 0, O_CASE}, {"json", 0, 0, O_JSON},
		{"progress", 0, 0, O_PROG}, {"no-progress", 0, 0, O_NOPROG}, {"help", 0, 0, O_HELP},
		{"then-at", 1, 0, O_THEN}, {"then-seconds", 1, 0, O_THENSEC}, {"linger", 0, 0, O_LINGER},
		{"src-ips", 1, 0, O_SRCIPS},
		{0, 0, 0, 0}};
	char err[512];
	bool have_src = false, have_dst = false, have_mac = false, v6 = false, dv6 = false;
	const char *users = NULL, *mix = NULL;

	C.flow.sport = 5080;
	C.flow.dport = 5060;
	C.sources = 1;
	C.burst = 32;
	C.catch_up_ms = 5;
	C.rate = 10000;
	C.duration = 10;
	C.drain_ms = 500;
	C.progress = -1;
	C.verify = true;
	C.expect.noroute = 404;
	C.gw_sip_port = 5060;
	C.then_seconds = 3;
	snprintf(C.template_name, sizeof(C.template_name), "invite");
	snprintf(C.case_name, sizeof(C.case_name), "run");

	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *e = NULL;
		unsigned long v = 0;
		if (optarg != NULL)
			v = strtoul(optarg, &e, 10);
		switch (o) {
		case O_SRC:
			if (parse_ip(optarg, C.flow.src_ip, &v6) != 0)
				die("--src '%s': not an IP address", optarg);
			have_src = true;
			break;
		case O_DST:
			if (parse_ip(optarg, C.flow.dst_ip, &dv6) != 0)
				die("--dst '%s': not an IP address", optarg);
			have_dst = true;
			break;
		case O_SPORT:
		case O_DPORT:
			if (*e != '\0' || v == 0 || v > 65535)
				die("%s '%s': a port 1-65535", o == O_SPORT ? "--src-port" : "--dst-port",
						optarg);
			*(o == O_SPORT ? &C.flow.sport : &C.flow.dport) = (uint16_t)v;
			break;
		case O_SRCIPS:
			if (*e != '\0' || v == 0 || v > 65536)
				die("--src-ips '%s': 1-65536", optarg);
			C.src_ips = (unsigned)v;
			break;
		case O_SOURCES:
			if (*e != '\0' || v == 0 || v > 4096)
				die("--sources '%s': 1-4096", optarg);
			C.sources = (unsigned)v;
			break;
		case O_DMAC:
			if (parse_mac(optarg, C.flow.dst_mac) != 0)
				die("--dst-mac '%s': aa:bb:cc:dd:ee:ff", optarg);
			have_mac = true;
			break;
		case O_PORT:
		case O_GWPORT:
			if (*e != '\0' || v >= RTE_MAX_ETHPORTS)
				die("--port/--gw-port '%s': a DPDK port id", optarg);
			if (o == O_PORT)
				C.port = (uint16_t)v;
			else
				C.gw_port = (uint16_t)v + 1; /* +1: given (fixed below) */
			break;
		case O_GW: {
			char ip[64];
			snprintf(ip, sizeof(ip), "%s", optarg);
			char *colon = strrchr(ip, ':');
			bool gv6;
			if (colon != NULL && strchr(ip, '.') != NULL) {
				*colon = '\0';
				unsigned long p = strtoul(colon + 1, &e, 10);
				if (*e != '\0' || p == 0 || p > 65535)
					die("--gw '%s': IP[:PORT]", optarg);
				C.gw_sip_port = (uint16_t)p;
			}
			if (parse_ip(ip, C.gw_ip, &gv6) != 0)
				die("--gw '%s': IP[:PORT] (IPv6: no port, 5060)", optarg);
			C.gw_mode = true;
			break;
		}
		case O_GWANS:
			parse_answers(optarg);
			break;
		case O_TMPL:
			snprintf(C.template_name, sizeof(C.template_name), "%s", optarg);
			break;
		case O_SIZE:
			if (*e != '\0' || v < 100 || v > 8000)
				die("--size '%s': 100-8000 bytes", optarg);
			C.size = (unsigned)v;
			break;
		case O_USERS:
			users = optarg;
			break;
		case O_MIX:
			mix = optarg;
			break;
		case O_NOROUTE:
			if (*e != '\0' || v < 300 || v > 699)
				die("--noroute-code '%s': 300-699", optarg);
			C.expect.noroute = (uint16_t)v;
			break;
		case O_RATE:
			C.rate = parse_rate(optarg);
			break;
		case O_BURST:
			if (*e != '\0' || v == 0 || v > BURST_MAX / 2)
				die("--burst '%s': 1-%d", optarg, BURST_MAX / 2);
			C.burst = (unsigned)v;
			break;
		case O_CATCHUP:
			if (*e != '\0' || v > 1000)
				die("--catch-up '%s': 0-1000 ms", optarg);
			C.catch_up_ms = (unsigned)v;
			break;
		case O_DUR:
			C.duration = strtod(optarg, &e);
			if (*e != '\0' || !(C.duration > 0) || C.duration > 86400)
				die("--duration '%s': seconds, > 0", optarg);
			break;
		case O_DRAIN:
			if (*e != '\0' || v > 60000)
				die("--drain-ms '%s': 0-60000", optarg);
			C.drain_ms = (unsigned)v;
			break;
		case O_STEP: {
			C.step_loss = 0.1;
			double max = 0;
			int n = sscanf(optarg, "%lf,%lf,%lf", &C.step_factor, &C.step_loss, &max);
			if (n < 1 || !(C.step_factor > 1.0) || C.step_factor > 10 || !(C.step_loss >= 0) ||
					!(max >= 0))
				die("--step '%s': FACTOR[,LOSS_PERCENT[,MAX_PPS]], FACTOR in (1, 10]", optarg);
			C.step_max = (uint64_t)max;
			break;
		}
		case O_RETRANS:
			if (*e != '\0' || v > 50)
				die("--retrans '%s': 0-50 per cent", optarg);
			C.retrans_pct = (unsigned)v;
			break;
		case O_NOVERIFY:
			C.verify = false;
			break;
		case O_CASE:
			snprintf(C.case_name, sizeof(C.case_name), "%s", optarg);
			for (char *p = C.case_name; *p; p++)
				if (*p == '"' || *p == '\\')
					*p = '_';
			break;
		case O_JSON:
			C.json_only = true;
			break;
		case O_PROG:
			C.progress = 1;
			break;
		case O_NOPROG:
			C.progress = 0;
			break;
		case O_THEN: {
			char buf[128];
			snprintf(buf, sizeof(buf), "%s", optarg);
			char *save = NULL;
			C.n_then = 0;
			for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
				unsigned long pct = strtoul(it, &e, 10);
				if (*e != '\0' || pct == 0 || pct > 100 || C.n_then == 8)
					die("--then-at '%s': up to 8 per cents 1-100, e.g. 50,90", optarg);
				C.then_pct[C.n_then++] = (unsigned)pct;
			}
			break;
		}
		case O_THENSEC:
			C.then_seconds = strtod(optarg, &e);
			if (*e != '\0' || !(C.then_seconds > 0) || C.then_seconds > 3600)
				die("--then-seconds '%s': seconds, > 0", optarg);
			break;
		case O_LINGER:
			C.linger = true;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (try --help)", argv[optind]);
	if (!have_src || !have_dst)
		die("--src and --dst are required (try --help)");
	if (v6 != dv6)
		die("--src and --dst must be of the same family");
	C.flow.v6 = v6;
	if (v6 && !have_mac)
		die("IPv6: --dst-mac is required (no neighbour discovery here)");
	if (!have_mac)
		memset(C.flow.dst_mac, 0, 6); /* resolved by ARP */
	C.gw_port = C.gw_port ? (uint16_t)(C.gw_port - 1) : C.port;
	if (users != NULL && mix != NULL)
		die("--users and --mix exclude each other");
	if (mix != NULL) {
		if (gen_users_parse_mix(&C.users, mix, err, sizeof(err)) != 0)
			die("%s", err);
	} else if (gen_users_parse_source(&C.users, users ? users : "1000000000-1999999999", err,
			sizeof(err)) != 0) {
		die("%s", err);
	}
	for (unsigned i = 0; i < C.users.n; i++)
		if (C.users.cls[i] == 'f' && !C.gw_mode)
			die("--mix forward=...: needs --gw (the gateway that answers forwarded requests)");
	if (C.expect.gw_n == 0) {
		C.expect.gw_codes[0] = 200;
		C.expect.gw_weights[0] = 100;
		C.expect.gw_n = 1;
	}
	char src[64], dst[64];
	inet_ntop(v6 ? AF_INET6 : AF_INET, C.flow.src_ip, src + v6, sizeof(src) - 2);
	inet_ntop(v6 ? AF_INET6 : AF_INET, C.flow.dst_ip, dst + v6, sizeof(dst) - 2);
	if (v6) {
		src[0] = dst[0] = '[';
		strcat(src, "]");
		strcat(dst, "]");
	}
	snprintf(C.sent_by, sizeof(C.sent_by), "%s:%u", src, C.flow.sport);
	gen_tmpl_set_addrs(&C.tmpl, src, C.flow.sport, dst, C.flow.dport);
	if (C.template_name[0] == '@') {
		FILE *f = fopen(C.template_name + 1, "r");
		if (f == NULL)
			die("--template %s: %s", C.template_name + 1, strerror(errno));
		static char text[GEN_TMPL_MAX];
		size_t n = fread(text, 1, sizeof(text), f);
		bool more = fgetc(f) != EOF;
		fclose(f);
		if (more)
			die("--template %s: longer than %d bytes", C.template_name + 1, GEN_TMPL_MAX);
		if (gen_tmpl_compile(&C.tmpl, text, n, err, sizeof(err)) != 0)
			die("--template %s: %s", C.template_name + 1, err);
		if (C.size != 0)
			die("--size applies to the built-in templates only");
	} else if (gen_tmpl_builtin_by_name(&C.tmpl, C.template_name, C.size,
			gen_users_max_len(&C.users), err, sizeof(err)) != 0) {
		die("--template %s: %s", C.template_name, err);
	}
	gen_tmpl_prepare(&C.tmpl, gen_users_fixed_width(&C.users));
	C.expect_replies = strcmp(C.template_name, "response") != 0;
}

static void
port_init(uint16_t port, unsigned nq)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = {0};
	if (!rte_eth_dev_is_valid_port(port))
		die("DPDK port %u does not exist (%u ports: give one with --vdev or -a)", port,
				rte_eth_dev_count_avail());
	int rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0)
		die("port %u: dev_info: %s", port, strerror(-rc));
	if (nq > info.max_rx_queues || nq > info.max_tx_queues)
		die("port %u (%s): %u workers need %u queues; it has %u RX / %u TX", port,
				info.driver_name, nq, nq, info.max_rx_queues, info.max_tx_queues);
	uint64_t want = RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if (port == C.port && (info.tx_offload_capa & want) == want) {
		conf.txmode.offloads |= want;
		C.l4_offload = true;
	}
	if (nq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
				info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	}
	rc = rte_eth_dev_configure(port, (uint16_t)nq, (uint16_t)nq, &conf);
	if (rc != 0)
		die("port %u: configure: %s", port, strerror(-rc));
	uint16_t nrx = RING_DESC, ntx = RING_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	int socket = rte_eth_dev_socket_id(port);
	for (unsigned q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, (uint16_t)q, nrx, socket < 0 ? 0 : (unsigned)socket,
				NULL, Pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, (uint16_t)q, ntx,
					socket < 0 ? 0 : (unsigned)socket, NULL);
		if (rc != 0)
			die("port %u queue %u: %s", port, q, strerror(-rc));
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0)
		die("port %u: start: %s", port, strerror(-rc));
	rte_eth_promiscuous_enable(port);
}

/* Wait for the ports' links (a memif peer connecting, a NIC's autonegotiation). */
static void
wait_link(uint16_t port)
{
	for (int i = 0; i < 100 && !Stop; i++) {
		struct rte_eth_link l;
		if (rte_eth_link_get_nowait(port, &l) == 0 && l.link_status == RTE_ETH_LINK_UP)
			return;
		sleep_ms(100);
	}
	die("port %u: link down after 10 s (is the router's end up?)", port);
}

/* The router's MAC by ARP on the client port, queue 0 (before the workers start). */
static void
resolve_dst(void)
{
	static const uint8_t zero[6];
	if (memcmp(C.flow.dst_mac, zero, 6) != 0)
		return;
	uint64_t until = rte_rdtsc() + 3 * Hz, next = 0;
	while (rte_rdtsc() < until && !Stop) {
		if (rte_rdtsc() >= next) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(Pool);
			if (m != NULL) {
				uint32_t n = gen_arp_request(C.flow.src_mac, C.flow.src_ip, C.flow.dst_ip,
						rte_pktmbuf_mtod(m, uint8_t *));
				m->data_len = m->pkt_len = (uint16_t)n;
				if (rte_eth_tx_burst(C.port, 0, &m, 1) != 1)
					rte_pktmbuf_free(m);
			}
			next = rte_rdtsc() + Hz / 5;
		}
		struct rte_mbuf *pk[32];
		uint16_t n = rte_eth_rx_burst(C.port, 0, pk, 32);
		bool got = false;
		for (uint16_t i = 0; i < n; i++)
			got = got || gen_arp_is_reply_from(rte_pktmbuf_mtod(pk[i], uint8_t *),
					pk[i]->data_len, C.flow.dst_ip, C.flow.dst_mac);
		if (n != 0)
			rte_pktmbuf_free_bulk(pk, n);
		if (got)
			return;
	}
	die("no ARP answer from the router in 3 s (give --dst-mac)");
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			bool after_dashes = false;
			for (int k = 1; k < i; k++)
				after_dashes = after_dashes || strcmp(argv[k], "--") == 0;
			if (after_dashes || i == 1) {
				usage(stdout);
				return 0;
			}
		}
	int n = rte_eal_init(argc, argv);
	if (n < 0)
		die("EAL initialisation failed: %s", rte_strerror(rte_errno));
	argc -= n;
	argv += n;
	argv[0] = (char *)"sipline-gen";
	parse_args(argc, argv);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	Hz = rte_get_tsc_hz();

	C.n_workers = rte_lcore_count() - 1;
	if (C.n_workers == 0)
		die("no worker lcore: give at least two lcores (-l MAIN,WORKER)");
	unsigned nports = C.gw_port != C.port ? 2 : 1;
	unsigned nmbuf = C.n_workers * nports * (2 * RING_DESC + 4 * BURST_MAX) + 8192;
	Pool = rte_pktmbuf_pool_create("gen_pool", nmbuf, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			(int)rte_socket_id());
	if (Pool == NULL)
		die("mbuf pool of %u: %s", nmbuf, rte_strerror(rte_errno));
	port_init(C.port, C.n_workers);
	if (C.gw_port != C.port)
		port_init(C.gw_port, C.n_workers);
	struct rte_ether_addr mac;
	rte_eth_macaddr_get(C.port, &mac);
	memcpy(C.flow.src_mac, mac.addr_bytes, 6);
	if (gen_seen_init(&Seen, SEEN_BITS) != 0)
		die("out of memory");
	GwSlots = calloc(GW_SLOTS, sizeof(*GwSlots));
	W = rte_zmalloc("gen_stats", sizeof(*W) * C.n_workers, RTE_CACHE_LINE_SIZE);
	if (GwSlots == NULL || W == NULL)
		die("out of memory");
	wait_link(C.port);
	if (C.gw_port != C.port)
		wait_link(C.gw_port);
	if (!C.flow.v6)
		resolve_dst();
	/*
	 * Whole-frame prototype (gen_frame.h) when every request has one shape:
	 * a prepared template, checksums in software, source addresses that
	 * differ in their last two bytes only.
	 */
	unsigned last = C.flow.v6 ? 14 : 2;
	Src16 = (uint16_t)(C.flow.src_ip[last] << 8 | C.flow.src_ip[last + 1]);
	UseFrame = C.tmpl.fixed && !C.l4_offload && (uint32_t)Src16 + C.src_ips <= 0x10000 &&
			gen_frame_prepare(&Frame, &C.tmpl, &C.flow) == 0;

	struct worker *ws = calloc(C.n_workers, sizeof(*ws));
	if (ws == NULL)
		die("out of memory");
	unsigned i = 0, lc;
	RTE_LCORE_FOREACH_WORKER(lc) {
		ws[i].id = i;
		ws[i].rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)(i + 1) * 0xbf58476d1ce4e5b9ull) ^ rte_rdtsc();
		ws[i].st = &W[i];
		gen_hist_reset(&W[i].hist);
		int lrc = rte_eal_remote_launch(worker_main, &ws[i], lc);
		if (lrc != 0)
			die("cannot start the worker on lcore %u: %s", lc, strerror(-lrc));
		i++;
	}
	if (!C.json_only)
		printf("sipline-gen: %u worker(s), port %u%s, %s template %s (%u bytes%s), TSC %.3f GHz\n",
				C.n_workers, C.port, C.gw_mode ? " + gateway" : "",
				C.flow.v6 ? "IPv6" : "IPv4", C.template_name, C.size,
				C.l4_offload ? ", UDP checksum offloaded" : "", (double)Hz / 1e9);

	struct wstats d;
	double secs;
	int rc = 0;
	if (C.step_factor > 1.0) {
		uint64_t rate = C.rate ? C.rate : 10000, best = 0;
		struct wstats best_d;
		double best_secs = 0;
		memset(&best_d, 0, sizeof(best_d));
		for (unsigned step = 0; !Stop && step < 64; step++) {
			run_phase(rate, C.duration, &d, &secs);
			char name[32];
			snprintf(name, sizeof(name), "step%u", step);
			report(name, rate, secs, &d, false);
			double offered = secs > 0 ? (double)d.sent / secs : 0;
			bool sustained = loss_of(&d) * 100 <= C.step_loss && offered >= 0.99 * (double)rate;
			if (!sustained || Stop)
				break;
			best = rate;
			best_d = d;
			best_secs = secs;
			if (C.step_max != 0 && rate >= C.step_max)
				break;
			rate = (uint64_t)((double)rate * C.step_factor);
			if (C.step_max != 0 && rate > C.step_max)
				rate = C.step_max;
		}
		report("best", best, best_secs, &best_d, C.n_then == 0);
		if (best == 0)
			rc = 1;
		for (unsigned k = 0; k < C.n_then && !Stop && best != 0; k++) {
			uint64_t at = best * C.then_pct[k] / 100;
			char name[32];
			snprintf(name, sizeof(name), "at%u", C.then_pct[k]);
			run_phase(at ? at : 1, C.then_seconds, &d, &secs);
			report(name, at ? at : 1, secs, &d, k + 1 == C.n_then);
		}
	} else {
		run_phase(C.rate, C.duration, &d, &secs);
		report("run", C.rate, secs, &d, true);
	}
	/*
	 * Workers stop first: the memif PMD (DPDK 22.11) unmaps a client's
	 * rings from its control thread when the server goes away, under a
	 * worker still polling them (a crash in rte_eth_rx_burst).
	 */
	__atomic_store_n(&P.quit, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	if (C.linger) {
		/* Connected, not polling, until the peer goes away. */
		fprintf(C.json_only ? stderr : stdout, "sipline-gen: lingering until the link goes "
				"down (at most 60 s)\n");
		fflush(stdout);
		for (int t = 0; t < 600 && !Stop; t++) {
			struct rte_eth_link l;
			if (rte_eth_link_get_nowait(C.port, &l) == 0 && l.link_status != RTE_ETH_LINK_UP)
				break;
			sleep_ms(100);
		}
	}
	RTE_ETH_FOREACH_DEV(lc) {
		rte_eth_dev_stop((uint16_t)lc);
		rte_eth_dev_close((uint16_t)lc);
	}
	gen_seen_free(&Seen);
	free(GwSlots);
	free(ws);
	gen_users_free(&C.users);
	rte_eal_cleanup();
	return rc;
}
