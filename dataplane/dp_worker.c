/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcores: RX a burst, classify every frame, run the SIP decision on
 * ours, build and send what it asks for, punt the kernel's frames, free
 * the rest. No syscalls, locks, mallocs or log lines per packet: counters
 * only. The dispatcher variant (--spread callid) only hashes Call-IDs and
 * hands frames to the workers' rings.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "dp_app.h"
#include "dp_exc.h"
#include "dp_neigh.h"
#include "dp_reasm.h"

struct tx_batch {
	unsigned n;
	struct rte_mbuf *m[DP_BURST * 2];
};

/*
 * Frames asking the port for checksums go through rte_eth_tx_prepare()
 * first: drivers that want more than dp_pkt_finish() wrote fix it up
 * there, or refuse the frame. A refused frame is dropped, counted, and
 * the rest prepared again. Drivers without the hook return at once.
 */
static inline void
tx_prepare(struct dp_worker *w, struct tx_batch *tx)
{
	unsigned ok = 0;

	while (ok < tx->n) {
		ok += rte_eth_tx_prepare(w->app->wire_port, w->txq, tx->m + ok,
				(uint16_t)(tx->n - ok));
		if (ok == tx->n)
			break;
		rte_pktmbuf_free(tx->m[ok]);
		memmove(&tx->m[ok], &tx->m[ok + 1], (tx->n - ok - 1) * sizeof(tx->m[0]));
		tx->n--;
		dp_count(&w->cnt, DP_C_DROP_TX_PREPARE, 1);
	}
}

static inline void
tx_flush(struct dp_worker *w, struct tx_batch *tx)
{
	unsigned sent = 0;

	if (w->app->wire_tx_cksum != 0)
		tx_prepare(w, tx);
	if (tx->n == 0)
		return;
	/* Lengths read before the PMD owns the mbufs; counters added once per burst. */
	uint64_t bytes = 0;
	for (unsigned i = 0; i < tx->n; i++)
		bytes += rte_pktmbuf_pkt_len(tx->m[i]);
	sent = rte_eth_tx_burst(w->app->wire_port, w->txq, tx->m, (uint16_t)tx->n);
	if (sent < tx->n)
		for (unsigned i = sent; i < tx->n; i++)
			bytes -= rte_pktmbuf_pkt_len(tx->m[i]);
	dp_count(&w->cnt, DP_C_TX_BYTES, bytes);
	dp_count(&w->cnt, DP_C_TX_PKTS, sent);
	if (sent < tx->n) {
		dp_count(&w->cnt, DP_C_DROP_TX_FULL, tx->n - sent);
		rte_pktmbuf_free_bulk(&tx->m[sent], tx->n - sent);
	}
	tx->n = 0;
}

static inline void
tx_add(struct dp_worker *w, struct tx_batch *tx, struct rte_mbuf *m)
{
	if (tx->n == RTE_DIM(tx->m))
		tx_flush(w, tx);
	tx->m[tx->n++] = m;
}

static void
punt(struct dp_worker *w, struct rte_mbuf **m, unsigned n)
{
	unsigned taken = 0;

	if (n == 0)
		return;
	if (w->app->exc == NULL) {
		dp_count(&w->cnt, DP_C_DROP_NO_EXCEPTION, n);
		rte_pktmbuf_free_bulk(m, n);
		return;
	}
	taken = dp_exc_punt(w->app->exc, m, n);
	dp_count(&w->cnt, DP_C_EXC_PKTS, taken);
	if (taken < n) {
		dp_count(&w->cnt, DP_C_DROP_EXC_FULL, n - taken);
		rte_pktmbuf_free_bulk(&m[taken], n - taken);
	}
}

/* Static neighbours (--neighbor), for deployments without the exception path. */
static int
static_neigh(const struct dp_app *app, const struct sip_addr *dst, struct rte_ether_addr *mac)
{
	for (unsigned i = 0; i < app->opt.n_neigh; i++) {
		if (sip_addr_eq(&app->opt.neigh[i].ip, dst)) {
			memcpy(mac->addr_bytes, app->opt.neigh[i].mac, RTE_ETHER_ADDR_LEN);
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * Next hop of a built packet without a MAC: the main lcore is asked to
 * resolve it, and the packet may go through the kernel (which resolves it
 * too) within this worker's budget: every such packet can make the kernel
 * ARP, and attackers choose where we send. False: dropped and counted.
 */
static bool
neigh_miss(struct dp_worker *w, const struct dp_pkt_out *po, int rc, bool vouched)
{
	struct dp_app *app = w->app;

	if (app->exc == NULL) {
		dp_count(&w->cnt, DP_C_DROP_NO_NEIGHBOR, 1);
		return false;
	}
	if (app->neigh != NULL)
		dp_neigh_request(app->neigh, &po->dst, vouched ? DP_NEIGH_REQ_JUSTIFIED : 0);
	if (rc == -EHOSTUNREACH) {
		dp_count(&w->cnt, DP_C_DROP_NEIGH_FAILED, 1);
		return false;
	}
	if (!dp_tb_take(&w->neigh_tb, rte_rdtsc())) {
		dp_count(&w->cnt, DP_C_DROP_NEIGH_RATE, 1);
		return false;
	}
	return true;
}

/* The hold slot of a next hop: its last address bytes (IPv4: a[3]; IPv6: a[15]). */
static inline unsigned
held_slot(const struct sip_addr *dst)
{
	unsigned last = dst->af == SIP_AF_INET ? dst->a[3] : dst->a[15];
	return (last ^ dst->a[2] ^ dst->a[14]) % DP_HELD_SLOTS;
}

/*
 * Whether packets to dst still follow earlier ones through the kernel. A
 * slot is read on every lookup hit; the clock only when the slot is live.
 */
static inline bool
held(struct dp_worker *w, const struct sip_addr *dst)
{
	unsigned i = held_slot(dst);
	if (__builtin_expect(w->held[i].until == 0, 1))
		return false;
	if (rte_rdtsc() >= w->held[i].until) {
		w->held[i].until = 0;
		return false;
	}
	return sip_addr_eq(&w->held[i].dst, dst);
}

static void
hold(struct dp_worker *w, const struct sip_addr *dst)
{
	unsigned i = held_slot(dst);
	w->held[i].dst = *dst;
	w->held[i].until = rte_rdtsc() + rte_get_tsc_hz() / 1000 * DP_HOLD_MS;
}

/*
 * Send a built frame towards dst: the MAC of a reply is the request's
 * source MAC; other next hops come from the neighbour table, and a miss
 * goes through the kernel (which resolves it) while we ask for it.
 * vouched: a response we relay (its branch proved dst sent the request).
 */
static void
send_out(struct dp_worker *w, struct tx_batch *tx, struct rte_mbuf *out,
		const struct dp_pkt_out *po, const struct dp_meta *meta, bool vouched)
{
	struct dp_app *app = w->app;
	struct rte_ether_addr mac;
	bool known = true, behind = false;
	int rc = -ENOENT;

	if (po->is_reply && sip_addr_eq(&po->dst, &meta->src))
		mac = meta->smac;
	else if (static_neigh(app, &po->dst, &mac) == 0)
		;
	else if (app->neigh == NULL || (rc = dp_neigh_lookup(app->neigh, &po->dst, &mac)) != 0)
		known = false;
	else if (held(w, &po->dst) && dp_tb_take(&w->neigh_tb, rte_rdtsc()))
		known = false, behind = true; /* out of budget: sent now, maybe ahead */
	if (!known && !behind && !neigh_miss(w, po, rc, vouched)) {
		rte_pktmbuf_free(out);
		return;
	}

	/*
	 * The payload sits after room for IPv6 headers; an IPv4 frame starts
	 * 20 bytes later. The next hop's family decides (a forward may cross
	 * families; dp_sip put the right address in our Via).
	 */
	uint8_t af = po->dst.af;
	if (af == SIP_AF_INET)
		out->data_off += DP_HDR_LEN6 - DP_HDR_LEN4; /* still empty: adj() would refuse */
	if (!known)
		memset(&mac, 0, sizeof(mac));
	/*
	 * Larger than the wire MTU (a forwarded INVITE that grew past 1500
	 * bytes): IPv4 is fragmented here (RFC 3261 §18.1.1 would rather have
	 * TCP, which is the control plane's). IPv6 routers do not fragment.
	 */
	bool oversize = (uint32_t)dp_hdr_len(af) + po->len > DP_WIRE_MAX_FRAME;
	/* Never 0: the kernel's raw sockets replace an ID of 0, per fragment. */
	if (++w->ip_id == 0)
		w->ip_id = 1;
	/*
	 * The wire port's checksum offloads serve only frames that reach it
	 * whole: one to be fragmented here needs its UDP checksum over the
	 * whole datagram (dp_frag_ipv4() sums each fragment's IP header),
	 * and what the kernel sends leaves by a raw socket.
	 */
	unsigned tx_cksum = known && !oversize ? app->wire_tx_cksum : 0;
	dp_pkt_finish(out, &app->local, af, &mac, &po->dst, po->dport, po->len, w->ip_id,
			!oversize, tx_cksum);
	struct rte_mbuf *frames[DP_FRAG_MAX];
	unsigned n = 1;
	frames[0] = out;
	if (oversize) {
		int nf = af == SIP_AF_INET ?
			dp_frag_ipv4(out, RTE_ETHER_MTU, app->pool, frames, DP_FRAG_MAX) : -ENOTSUP;
		if (nf < 0) {
			if (af != SIP_AF_INET)
				rte_pktmbuf_free(out);
			dp_count(&w->cnt, af == SIP_AF_INET ? DP_C_DROP_BUILD : DP_C_DROP_TOO_BIG, 1);
			return;
		}
		n = (unsigned)nf;
		dp_count(&w->cnt, DP_C_EXC_FRAGMENTED, 1);
	}
	if (known) {
		for (unsigned i = 0; i < n; i++)
			tx_add(w, tx, frames[i]);
		return;
	}
	/* Next hop unknown: the kernel sends these (and resolves it meanwhile). */
	unsigned taken = dp_exc_send_via_kernel(app->exc, frames, n);
	dp_count(&w->cnt, behind ? DP_C_EXC_ORDER_HOLD : DP_C_EXC_NEIGH_MISS, 1);
	if (taken > 0 && !behind)
		hold(w, &po->dst); /* from the last miss, not renewed by what follows */
	if (taken < n) {
		dp_count(&w->cnt, DP_C_DROP_EXC_FULL, n - taken);
		rte_pktmbuf_free_bulk(frames + taken, n - taken);
	}
}

/*
 * Payload room in an output mbuf after room for our headers (IPv6's, the
 * larger: the output's family is only known once decided). Frames larger
 * than the wire MTU are fragmented (send_out()).
 */
static inline uint32_t
payload_room(const struct rte_mbuf *m)
{
	return rte_pktmbuf_tailroom(m) - DP_HDR_LEN6;
}

/*
 * Per-source limit (--src-rate), before parsing: a source over its rate
 * costs a hash and one bucket of the table. False: dropped and counted.
 */
static inline bool
src_allowed(struct dp_worker *w, const struct sip_addr *src, uint64_t now)
{
	bool evicted;
	enum dp_srclimit_verdict v = dp_srclimit_check(w->srclim, src, now, &evicted);

	if (evicted)
		dp_count(&w->cnt, DP_C_SRC_EVICTED, 1);
	if (v == DP_SRC_PASS)
		return true;
	if (v == DP_SRC_OVER && dp_srclimit_banning(w->srclim))
		dp_count(&w->cnt, DP_C_SRC_BANS, 1);
	dp_count(&w->cnt, DP_C_DROP_SRC_RATE, 1);
	return false;
}

_Static_assert(DP_GROUP <= DP_ROUTE_BURST, "dp_route_burst() takes a group at once");

/* What a group of a burst shares with the burst (process_group()). */
struct burst {
	struct rte_mbuf **pkts;
	struct rte_mbuf **outs;
	unsigned n;
	uint64_t now;                    /* TSC for source limits, reassembly, 503 budget (0: none) */
	bool shedding;                   /* overloaded: shed new requests (dp_overload.h) */
	uint64_t rx_bytes;               /* counted once per burst */
	struct tx_batch tx;
	struct rte_mbuf *to_kernel[DP_BURST];
	unsigned n_kernel;
};

/* The input and output views of slot k (packet m); the environment of its family. */
static inline const struct dp_sip_env *
job_setup(struct dp_worker *w, unsigned k, struct rte_mbuf *m, const struct dp_meta *meta,
		struct rte_mbuf *out)
{
	w->in[k] = (struct dp_pkt_in){
		.payload = rte_pktmbuf_mtod_offset(m, const char *, meta->payload_off),
		.len = meta->payload_len,
		.src = meta->src,
		.sport = meta->sport,
	};
	w->out[k] = (struct dp_pkt_out){
		.buf = rte_pktmbuf_mtod_offset(out, char *, DP_HDR_LEN6),
		.cap = payload_room(out),
	};
	return meta->af == SIP_AF_INET ? &w->env4 : &w->env6;
}

/*
 * What classification said about a frame that is not plain SIP: fragments
 * go to the reassembler, and what it gives back (one datagram, or the
 * head of one too large for a buffer) is classified again; *pm is then
 * that frame, or NULL when the reassembler kept or dropped the fragment
 * (it counted). Returns the final class (never DP_PKT_FRAG).
 */
static enum dp_class
not_plain_sip(struct dp_worker *w, enum dp_class cls, struct rte_mbuf **pm,
		struct dp_meta *meta, enum dp_counter *why, uint64_t tsc)
{
	if (cls != DP_PKT_FRAG)
		return cls;
	if (w->reasm == NULL)
		return DP_PKT_PUNT; /* --frag-flows 0 (or a ring worker): the kernel reassembles */
	*pm = dp_reasm_input(w->reasm, *pm, meta->payload_off, w->app->local.port_be, tsc,
			&w->cnt);
	if (*pm == NULL)
		return DP_PKT_DROP;
	cls = dp_pkt_classify(*pm, &w->app->local, meta, why);
	/* A reassembled datagram is never a fragment again; be safe all the same. */
	return cls == DP_PKT_FRAG ? DP_PKT_PUNT : cls;
}

/*
 * Overload (dp_overload.h): shed the request in slot k, one that starts
 * new work, before parsing it? True if it was (w->act[k] set): dropped, or
 * answered 503 within the reply budget when --overload-reply 503.
 */
static bool
shed(struct dp_worker *w, const struct dp_sip_env *env, unsigned k, uint64_t now)
{
	if (!dp_overload_sheddable(w->in[k].payload, w->in[k].len) || !dp_overload_shed(&w->ovl))
		return false;
	if (w->app->opt.overload_reply && dp_tb_take(&w->ovl_tb, now)) {
		w->act[k] = (uint8_t)dp_sip_overload(env, &w->in[k], &w->out[k], &w->job[k],
				sip_str_make(w->retry_after, w->retry_after_len));
	} else {
		dp_count(&w->cnt, DP_C_DROP_OVERLOAD, 1);
		w->act[k] = DP_ACT_DROP;
	}
	return true;
}

/*
 * Packets b->pkts[base..end) of a burst, in three passes: decide what can
 * be decided alone (and collect the packets that need a lookup), look
 * those up together, then finish and send in arrival order. Per-packet
 * state (job, in, out, meta, act) is indexed from base: every group reuses
 * the same DP_GROUP slots, which stay in L1D.
 */
static void
process_group(struct dp_worker *w, struct burst *b, unsigned base, unsigned end)
{
	struct dp_app *app = w->app;
	struct rte_mbuf **pkts = b->pkts, **outs = b->outs;
	struct dp_sip_job *pending[DP_GROUP];
	unsigned n = b->n, n_pending = 0;

	for (unsigned i = base; i < end; i++) {
		unsigned k = i - base;
		struct rte_mbuf *m = pkts[i];
		struct dp_meta *meta = &w->meta[k];
		struct dp_sip_job *job = &w->job[k];
		enum dp_counter why = DP_C_DROP_L2;

		if (i + DP_PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + DP_PREFETCH_AHEAD], void *));
		b->rx_bytes += rte_pktmbuf_pkt_len(m);

		enum dp_class cls = dp_pkt_classify(m, &app->local, meta, &why);
		/* The one branch whole SIP datagrams take; everything else is decided aside. */
		if (unlikely(cls != DP_PKT_SIP)) {
			cls = not_plain_sip(w, cls, &pkts[i], meta, &why, b->now);
			m = pkts[i]; /* NULL: kept or dropped by the reassembler (counted) */
			if (cls == DP_PKT_PUNT) {
				w->act[k] = DP_ACT_EXCEPTION;
				continue;
			}
			if (cls == DP_PKT_DROP) {
				if (m != NULL)
					dp_count(&w->cnt, why, 1);
				w->act[k] = DP_ACT_DROP;
				continue;
			}
			if (cls == DP_PKT_SIP_HEAD) {
				/* Larger than our buffer: 513 for a request, nothing for the rest. */
				w->act[k] = DP_ACT_DROP;
				if (w->srclim != NULL && !src_allowed(w, &meta->src, b->now))
					continue;
				const struct dp_sip_env *env = job_setup(w, k, m, meta, outs[i]);
				w->act[k] = (uint8_t)dp_sip_too_large(env, &w->in[k], &w->out[k], job);
				continue;
			}
		}
		if (w->srclim != NULL && !src_allowed(w, &meta->src, b->now)) {
			w->act[k] = DP_ACT_DROP;
			continue;
		}
		const struct dp_sip_env *env = job_setup(w, k, m, meta, outs[i]);
		if (unlikely(b->shedding) && shed(w, env, k, b->now))
			continue;
		w->act[k] = (uint8_t)dp_sip_begin(env, &w->in[k], &w->out[k], job);
		if (w->act[k] == DP_ACT_ROUTE)
			pending[n_pending++] = job;
	}

	if (n_pending)
		dp_route_burst(&app->router, &w->route,
				__atomic_load_n(&dp_now_seconds, __ATOMIC_RELAXED), pending, n_pending);

	/* What the group no longer needs, freed in one bulk call (mempool puts batched). */
	struct rte_mbuf *done[2 * DP_GROUP];
	unsigned n_done = 0;
	for (unsigned i = base; i < end; i++) {
		unsigned k = i - base;
		struct rte_mbuf *m = pkts[i];
		struct dp_sip_job *job = &w->job[k];
		enum dp_action a = (enum dp_action)w->act[k];

		if (a == DP_ACT_ROUTE) {
			const struct dp_sip_env *env =
				w->meta[k].af == SIP_AF_INET ? &w->env4 : &w->env6;
			a = dp_sip_finish(env, job);
		}
		switch (a) {
		case DP_ACT_SEND:
			send_out(w, &b->tx, outs[i], &w->out[k], &w->meta[k],
					!w->out[k].is_reply && job->m.status != 0);
			done[n_done++] = m;
			break;
		case DP_ACT_EXCEPTION:
			b->to_kernel[b->n_kernel++] = m;
			done[n_done++] = outs[i];
			break;
		case DP_ACT_DROP:
		case DP_ACT_ROUTE:
			done[n_done++] = m; /* NULL when the reassembler kept it: skipped */
			done[n_done++] = outs[i];
			break;
		}
	}
	if (n_done)
		rte_pktmbuf_free_bulk(done, n_done);
}

/*
 * Process one burst of frames from the wire, DP_GROUP packets at a time
 * (dp_app.h): each group is decided, looked up and sent before the next
 * one starts, so its job state and payloads are still in L1D when it is
 * finished. Frames go out in arrival order.
 */
static void
process_burst(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n)
{
	struct dp_app *app = w->app;
	struct rte_mbuf *outs[DP_BURST];
	struct burst b = {.pkts = pkts, .outs = outs, .n = n};

	if (w->ring == NULL) /* with a dispatcher, it counted them */
		dp_count(&w->cnt, DP_C_RX_PKTS, n);
	if (rte_pktmbuf_alloc_bulk(app->pool, outs, n) != 0) {
		/* Pool exhausted: count and drop the burst rather than stall. */
		dp_count(&w->cnt, DP_C_DROP_NO_MBUF, n);
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	for (unsigned i = 0; i < n && i < DP_PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	bool full;
	b.shedding = dp_overload_update(&w->ovl, n, DP_BURST, &full);
	if (full)
		dp_count(&w->cnt, DP_C_OVERLOAD_BURSTS, 1);
	/* One clock read per burst for source limits, reassembly and the 503 budget. */
	b.now = w->srclim != NULL || w->reasm != NULL || b.shedding ? rte_rdtsc() : 0;
	/* Trains past their timeout freed once per burst (nothing to do when none is held). */
	if (w->reasm != NULL)
		dp_reasm_tick(w->reasm, b.now, &w->cnt);

	for (unsigned g = 0; g < n; g += DP_GROUP)
		process_group(w, &b, g, RTE_MIN(n, g + DP_GROUP));
	dp_count(&w->cnt, DP_C_RX_BYTES, b.rx_bytes);
	tx_flush(w, &b.tx);
	punt(w, b.to_kernel, b.n_kernel);
}

/* Frames the kernel sent on the tap: lcore 0 puts them on the wire. */
static void
drain_egress(struct dp_worker *w)
{
	struct rte_mbuf *m[DP_BURST];
	struct tx_batch tx = {.n = 0};
	unsigned n = rte_ring_sc_dequeue_burst(w->app->egress, (void **)m, DP_BURST, NULL);

	for (unsigned i = 0; i < n; i++)
		tx_add(w, &tx, m[i]);
	tx_flush(w, &tx);
}

static void
dispatch_burst(struct dp_worker *w, struct rte_mbuf **pkts, unsigned n)
{
	struct dp_app *app = w->app;
	struct rte_mbuf *to_kernel[DP_BURST];
	unsigned n_kernel = 0;

	dp_count(&w->cnt, DP_C_RX_PKTS, n);
	uint64_t tsc = w->reasm != NULL ? rte_rdtsc() : 0;
	if (w->reasm != NULL)
		dp_reasm_tick(w->reasm, tsc, &w->cnt);
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct dp_meta meta;
		enum dp_counter why = DP_C_DROP_L2;
		enum dp_class cls = dp_pkt_classify(m, &app->local, &meta, &why);

		if (unlikely(cls != DP_PKT_SIP)) {
			/* Reassembled here, where fragments arrive; workers see whole frames. */
			cls = not_plain_sip(w, cls, &m, &meta, &why, tsc);
			if (cls == DP_PKT_PUNT) {
				to_kernel[n_kernel++] = m;
				continue;
			}
			if (cls == DP_PKT_DROP) {
				if (m != NULL) {
					dp_count(&w->cnt, why, 1);
					rte_pktmbuf_free(m);
				}
				continue;
			}
		}
		/* Limited here, where packets are received, not in the workers. */
		if (w->srclim != NULL && !src_allowed(w, &meta.src, rte_rdtsc())) {
			rte_pktmbuf_free(m);
			continue;
		}
		uint64_t h = dp_callid_peek(rte_pktmbuf_mtod_offset(m, const char *,
				meta.payload_off), meta.payload_len);
		/* Workers are the lcores after the dispatcher (ids 1..n_workers). */
		struct dp_worker *t = app->w[1 + (unsigned)(h % app->n_workers)];
		if (rte_ring_sp_enqueue(t->ring, m) != 0) {
			dp_count(&w->cnt, DP_C_DROP_SPREAD_FULL, 1);
			rte_pktmbuf_free(m);
		}
	}
	punt(w, to_kernel, n_kernel);
}

unsigned
dp_worker_poll(struct dp_worker *w)
{
	struct dp_app *app = w->app;
	struct rte_mbuf *pkts[DP_BURST];
	unsigned n;

	if (w->role == DP_ROLE_DISPATCHER) {
		/* af_packet spreads frames over every queue pair: read them all. */
		n = rte_eth_rx_burst(app->wire_port, w->rxq, pkts, DP_BURST);
		w->rxq = (uint16_t)((w->rxq + 1) % app->n_lcores);
		if (n)
			dispatch_burst(w, pkts, n);
	} else {
		if (w->ring != NULL)
			n = rte_ring_sc_dequeue_burst(w->ring, (void **)pkts, DP_BURST, NULL);
		else
			n = rte_eth_rx_burst(app->wire_port, w->rxq, pkts, DP_BURST);
		if (n)
			process_burst(w, pkts, n);
	}
	/* Idle: trains still expire (a test, an operator, waits for frag_held to reach 0). */
	if (n == 0 && w->reasm != NULL)
		dp_reasm_tick(w->reasm, rte_rdtsc(), &w->cnt);
	if (w->id == 0 && app->egress != NULL)
		drain_egress(w);
	return n;
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp_app *app = w->app;

	dp_tb_init(&w->neigh_tb, app->opt.neigh_kernel_rate, app->opt.neigh_kernel_rate,
			rte_get_tsc_hz(), rte_rdtsc());
	rte_rcu_qsbr_thread_register(app->qsbr, w->id);
	rte_rcu_qsbr_thread_online(app->qsbr, w->id);

	while (!__atomic_load_n(&app->quit, __ATOMIC_RELAXED)) {
		dp_worker_poll(w);
		/* Plans and bindings read during this iteration are no longer held. */
		rte_rcu_qsbr_quiescent(app->qsbr, w->id);
	}

	rte_rcu_qsbr_thread_offline(app->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(app->qsbr, w->id);
	return 0;
}

uint64_t
dp_app_status(const struct dp_app *app, bool sent, unsigned code)
{
	uint64_t s = 0;
	if (code - DP_STATUS_MIN >= DP_STATUS_N)
		return 0;
	for (unsigned i = 0; i < app->n_lcores; i++) {
		const struct dp_counters *c = app->w[i] != NULL ? &app->w[i]->cnt : NULL;
		if (c != NULL)
			s += __atomic_load_n(&(sent ? c->sent : c->relayed)[code - DP_STATUS_MIN],
					__ATOMIC_RELAXED);
	}
	return s;
}

uint64_t
dp_app_counter(const struct dp_app *app, enum dp_counter k)
{
	uint64_t s = 0;
	for (unsigned i = 0; i < app->n_lcores; i++)
		if (app->w[i] != NULL)
			s += __atomic_load_n(&app->w[i]->cnt.v[k], __ATOMIC_RELAXED);
	return s;
}
