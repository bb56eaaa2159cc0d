/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cp_loop.h"
#include "cp_sipsock.h"
#include "rules.h"

/* How often the table is scanned for due probes and expired answers. */
#define TICK_MS 50
/* Longest reply we read (a 200 to OPTIONS with Allow/Supported/Accept fits easily). */
#define RX_MAX 8192

/* ---- the state machine (pure) ---- */

bool
cp_probe_code_ok(const struct cp_probe_conf *c, int code)
{
	if (code < 100 || code > 699)
		return false;
	unsigned i = (unsigned)code - 100;
	return (c->codes[i / 64] >> (i % 64)) & 1;
}

bool
cp_probe_feed(struct cp_probe_state *s, const struct cp_probe_conf *c, int code)
{
	bool was = s->down;

	s->last_code = code;
	if (code > 0 && cp_probe_code_ok(c, code)) {
		s->ok++;
		s->oks++;
		s->fails = 0;
		if (s->down && s->oks >= c->up_after)
			s->down = false;
	} else {
		s->failed++;
		s->fails++;
		s->oks = 0;
		if (!s->down && s->fails >= c->down_after)
			s->down = true;
	}
	return was != s->down;
}

uint64_t
cp_probe_delay(const struct cp_probe_conf *c, uint32_t rnd)
{
	uint64_t j = c->interval_ms * c->jitter_pct / 100u;
	if (j == 0)
		return c->interval_ms;
	/* interval - j .. interval + j inclusive */
	return c->interval_ms - j + (uint64_t)rnd % (2 * j + 1);
}

const char *
cp_gw_probe_name(enum cp_gw_probe p)
{
	switch (p) {
	case CP_GW_PROBED: return "probed";
	case CP_GW_NOT_UDP: return "not probed: TCP/TLS (next release)";
	case CP_GW_NOT_ADDRESS: return "host name: its resolved targets are probed";
	case CP_GW_NO_SOCKET: return "not probed: no probe socket of its address family";
	}
	return "?";
}

/* ---- the table and its I/O ---- */

struct cp_probe {
	struct cp_loop *loop;
	struct cp_probe_conf conf;
	cp_gw_change_fn *fn;
	void *ctx;
	int s4, s6;
	uint16_t port4, port6;
	uint64_t tick;
	struct cp_gw **gw;
	unsigned n, cap;
	uint32_t seq;
	uint64_t token;          /* random per process: in every Call-ID */
	struct cp_probe_totals tot;
};

static uint32_t
rnd32(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)random();
	return r;
}

static int
open_sock(int af, const char *addr, uint16_t port, uint16_t *bound, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct sip_addr a;
	if (sip_addr_parse(sip_str_make(addr, strlen(addr)), &a) != 0 ||
			a.af != (af == AF_INET ? SIP_AF_INET : SIP_AF_INET6) ||
			cp_sockaddr_from(&a, port, af, &ss, &len) != 0) {
		snprintf(err, errlen, "probe_bind%c: '%s' is not an IPv%c address",
				af == AF_INET ? '4' : '6', addr, af == AF_INET ? '4' : '6');
		return -EINVAL;
	}
	int s = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		int rc = -errno;
		snprintf(err, errlen, "probe socket: %s", strerror(errno));
		return rc;
	}
	if (af == AF_INET6) {
		int one = 1;
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(s, (struct sockaddr *)&ss, len) != 0) {
		int rc = -errno;
		snprintf(err, errlen, "probe socket %s port %u: cannot bind: %s", addr, port,
				strerror(errno));
		close(s);
		return rc;
	}
	len = sizeof(ss);
	struct sip_addr b;
	if (getsockname(s, (struct sockaddr *)&ss, &len) == 0)
		cp_sockaddr_to(&ss, &b, bound);
	return s;
}

/* "SIP/2.0 200 OK ... Call-ID: slp-TOKEN-SEQ@..." -> code and seq. 0 or -EINVAL. */
static int
parse_reply(const char *buf, size_t n, uint64_t token, int *code, uint32_t *seq)
{
	if (n < 12 || memcmp(buf, "SIP/2.0 ", 8) != 0)
		return -EINVAL;
	if (buf[8] < '1' || buf[8] > '6' || buf[9] < '0' || buf[9] > '9' || buf[10] < '0' ||
			buf[10] > '9' || buf[11] != ' ')
		return -EINVAL;
	*code = (buf[8] - '0') * 100 + (buf[9] - '0') * 10 + (buf[10] - '0');
	char want[48];
	int wl = snprintf(want, sizeof(want), "slp-%016llx-", (unsigned long long)token);
	/* The Call-ID is ours: look for our marker anywhere in a header line. */
	for (size_t i = 0; i + (size_t)wl + 1 < n; i++) {
		if (buf[i] == 's' && memcmp(buf + i, want, (size_t)wl) == 0) {
			const char *p = buf + i + wl;
			uint32_t v = 0;
			size_t k = 0;
			while (i + (size_t)wl + k < n && k < 8) {
				char c = p[k];
				unsigned d;
				if (c >= '0' && c <= '9')
					d = (unsigned)(c - '0');
				else if (c >= 'a' && c <= 'f')
					d = (unsigned)(c - 'a' + 10);
				else
					break;
				v = v * 16 + d;
				k++;
			}
			if (k == 0)
				return -EINVAL;
			*seq = v;
			return 0;
		}
	}
	return -EINVAL;
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	struct sip_addr x, y;
	uint16_t xp, yp;
	if (a->ss_family != b->ss_family || cp_sockaddr_to(a, &x, &xp) != 0 ||
			cp_sockaddr_to(b, &y, &yp) != 0)
		return false;
	return xp == yp && sip_addr_eq(&x, &y);
}

static void
outcome(struct cp_probe *p, struct cp_gw *g, int code)
{
	bool was = cp_gw_down(g);
	g->deadline = 0;
	g->st.last_wall = cp_wall_s();
	if (code > 0) {
		p->tot.ok += cp_probe_code_ok(&p->conf, code);
		p->tot.failed += !cp_probe_code_ok(&p->conf, code);
	} else {
		p->tot.failed++;
	}
	if (cp_probe_feed(&g->st, &p->conf, code) && cp_gw_down(g) != was) {
		char why[96];
		g->transitions++;
		g->changed_ms = cp_wall_ms();
		p->tot.transitions++;
		if (code == 0)
			snprintf(why, sizeof(why), "%u probes in a row unanswered", g->st.fails);
		else if (g->st.down)
			snprintf(why, sizeof(why), "%u probes in a row failed (last %d)", g->st.fails,
					code);
		else
			snprintf(why, sizeof(why), "%u probes in a row answered (last %d)", g->st.oks,
					code);
		p->fn(g, why, p->ctx);
	}
}

static void
on_readable(struct cp_loop *l, int fd, unsigned events, void *ctx)
{
	struct cp_probe *p = ctx;
	char buf[RX_MAX];
	(void)l;
	(void)events;

	for (int budget = 0; budget < 256; budget++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
				&fl);
		if (n < 0)
			return;
		int code;
		uint32_t seq;
		if (parse_reply(buf, (size_t)n, p->token, &code, &seq) != 0)
			continue;
		if (code < 200)
			continue; /* provisional: wait for the final answer */
		for (unsigned i = 0; i < p->n; i++) {
			struct cp_gw *g = p->gw[i];
			if (g->deadline == 0 || g->seq != seq || !same_addr(&g->sa, &from))
				continue;
			g->st.last_rtt_us = (uint32_t)((cp_now_ms() - g->sent_at) * 1000u);
			outcome(p, g, code);
			break;
		}
	}
}

static void
send_probe(struct cp_probe *p, struct cp_gw *g)
{
	char msg[1024], target[80];
	int s = g->sa.ss_family == AF_INET ? p->s4 : p->s6;
	uint16_t lport = g->sa.ss_family == AF_INET ? p->port4 : p->port6;
	uint32_t seq = ++p->seq;
	uint64_t now = cp_now_ms();

	if (strchr(g->host, ':') != NULL)
		snprintf(target, sizeof(target), "[%s]:%u", g->host, g->port);
	else
		snprintf(target, sizeof(target), "%s:%u", g->host, g->port);
	int n = snprintf(msg, sizeof(msg),
			"OPTIONS sip:%s SIP/2.0\r\n"
			"Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-slp%08x;rport\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:sipline-probe@%s>;tag=slp%08x\r\n"
			"To: <sip:%s>\r\n"
			"Call-ID: slp-%016llx-%08x@sipline-control\r\n"
			"CSeq: %u OPTIONS\r\n"
			"User-Agent: sipline-control\r\n"
			"Accept: application/sdp\r\n"
			"Content-Length: 0\r\n\r\n",
			target, g->via_host, lport, seq, g->via_host, seq, target,
			(unsigned long long)p->token, seq, seq);
	g->seq = seq;
	g->sent_at = now;
	g->deadline = now + p->conf.timeout_ms;
	g->st.sent++;
	p->tot.sent++;
	if (s < 0 || n <= 0 || (size_t)n >= sizeof(msg) ||
			sendto(s, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
				(struct sockaddr *)&g->sa, g->salen) < 0)
		outcome(p, g, 0); /* unreachable, no route, no socket of that family */
}

static int64_t
on_tick(struct cp_loop *l, void *ctx)
{
	struct cp_probe *p = ctx;
	uint64_t now = cp_now_ms();

	/*
	 * Replies that came while the loop was not scheduled (a loaded host)
	 * are read before any deadline is judged: else the timer, handled
	 * first, would count answered probes as unanswered.
	 */
	if (p->s4 >= 0)
		on_readable(l, p->s4, CP_READ, p);
	if (p->s6 >= 0)
		on_readable(l, p->s6, CP_READ, p);
	for (unsigned i = 0; i < p->n; i++) {
		struct cp_gw *g = p->gw[i];
		if (g->probed != CP_GW_PROBED)
			continue;
		if (g->deadline != 0 && now >= g->deadline) {
			outcome(p, g, 0);
			g->next_due = now + cp_probe_delay(&p->conf, rnd32());
		}
		if (p->conf.enabled && g->deadline == 0 && now >= g->next_due) {
			g->next_due = now + cp_probe_delay(&p->conf, rnd32());
			send_probe(p, g);
		}
	}
	return TICK_MS;
}

struct cp_probe *
cp_probe_create(struct cp_loop *l, const struct cp_probe_conf *c,
		const struct cp_probe_sockets *socks, cp_gw_change_fn *fn, void *ctx, char *err,
		size_t errlen)
{
	struct cp_probe *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->loop = l;
	p->conf = *c;
	p->fn = fn;
	p->ctx = ctx;
	p->s4 = p->s6 = -1;
	p->token = ((uint64_t)rnd32() << 32) | rnd32();
	if (socks->bind4[0] && strcmp(socks->bind4, "off") != 0) {
		p->s4 = open_sock(AF_INET, socks->bind4, socks->port, &p->port4, err, errlen);
		if (p->s4 < 0)
			goto fail;
		cp_loop_add_fd(l, p->s4, CP_READ, on_readable, p);
	}
	if (socks->bind6[0] && strcmp(socks->bind6, "off") != 0) {
		char e6[256];
		p->s6 = open_sock(AF_INET6, socks->bind6, socks->port, &p->port6, e6, sizeof(e6));
		if (p->s6 >= 0)
			cp_loop_add_fd(l, p->s6, CP_READ, on_readable, p);
		/* A host without IPv6 still probes IPv4 gateways: not fatal. */
	}
	p->tick = cp_timer_add(l, TICK_MS, on_tick, p);
	if (p->tick == 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return p;
fail:
	cp_probe_free(p);
	return NULL;
}

void
cp_probe_free(struct cp_probe *p)
{
	if (p == NULL)
		return;
	if (p->tick)
		cp_timer_del(p->loop, p->tick);
	if (p->s4 >= 0) {
		cp_loop_del_fd(p->loop, p->s4);
		close(p->s4);
	}
	if (p->s6 >= 0) {
		cp_loop_del_fd(p->loop, p->s6);
		close(p->s6);
	}
	for (unsigned i = 0; i < p->n; i++)
		free(p->gw[i]);
	free(p->gw);
	free(p);
}

void
cp_probe_set_conf(struct cp_probe *p, const struct cp_probe_conf *c)
{
	p->conf = *c;
}

const struct cp_probe_conf *
cp_probe_conf(const struct cp_probe *p)
{
	return &p->conf;
}

/* Address of g and our source address towards it (a connected UDP socket sends nothing). */
static enum cp_gw_probe
resolve(struct cp_probe *p, struct cp_gw *g)
{
	uint8_t af, a[16];
	if (g->transport != RULES_TP_UDP)
		return CP_GW_NOT_UDP;
	if (rules_addr_parse(g->host, &af, a) != 0)
		return CP_GW_NOT_ADDRESS;
	if ((af == 4 && p->s4 < 0) || (af == 6 && p->s6 < 0))
		return CP_GW_NO_SOCKET;
	struct sip_addr ga = {.af = af == 4 ? SIP_AF_INET : SIP_AF_INET6};
	memcpy(ga.a, a, af == 4 ? 4 : 16);
	cp_sockaddr_from(&ga, g->port ? g->port : 5060, af == 4 ? AF_INET : AF_INET6, &g->sa,
			&g->salen);
	snprintf(g->via_host, sizeof(g->via_host), "%s", af == 4 ? "0.0.0.0" : "[::]");
	int t = socket(g->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t >= 0) {
		struct sockaddr_storage me;
		socklen_t ml = sizeof(me);
		char txt[INET6_ADDRSTRLEN];
		struct sip_addr m;
		uint16_t mp;
		if (connect(t, (struct sockaddr *)&g->sa, g->salen) == 0 &&
				getsockname(t, (struct sockaddr *)&me, &ml) == 0 &&
				cp_sockaddr_to(&me, &m, &mp) == 0 &&
				sip_addr_format(&m, txt, sizeof(txt)) > 0)
			snprintf(g->via_host, sizeof(g->via_host), m.af == SIP_AF_INET6 ? "[%s]" : "%s",
					txt);
		close(t);
	}
	return CP_GW_PROBED;
}

int
cp_probe_set_plan(struct cp_probe *p, const struct rules_plan *plan,
		enum cp_admin (*admin_of)(const char *host, uint16_t port, uint8_t transport,
			void *ctx), void *ctx)
{
	struct rules_plan_info info = {0};
	struct cp_gw **nw = NULL;
	unsigned nn = 0;

	if (plan != NULL)
		rules_plan_info(plan, &info);
	if (info.n_gateways > 0) {
		nw = calloc(info.n_gateways, sizeof(*nw));
		if (nw == NULL)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < info.n_gateways; i++) {
		struct rules_gateway rg;
		char host[64];
		if (rules_plan_gateway(plan, i, &rg) != 0)
			continue;
		snprintf(host, sizeof(host), "%.*s", (int)rg.host.len, rg.host.p);
		/* The same gateway may appear in several groups: one entry. */
		bool dup = false;
		for (unsigned k = 0; k < nn && !dup; k++)
			dup = nw[k]->port == rg.port && nw[k]->transport == rg.transport &&
				strcmp(nw[k]->host, host) == 0;
		if (dup)
			continue;
		struct cp_gw *old = cp_probe_find(p, host, rg.port, rg.transport);
		if (old != NULL) {
			/* Kept: take it over (removed from the old list below). */
			for (unsigned k = 0; k < p->n; k++)
				if (p->gw[k] == old)
					p->gw[k] = NULL;
			nw[nn++] = old;
			continue;
		}
		struct cp_gw *g = calloc(1, sizeof(*g));
		if (g == NULL)
			continue;
		snprintf(g->host, sizeof(g->host), "%s", host);
		g->port = rg.port;
		g->transport = rg.transport;
		g->admin = admin_of ? admin_of(host, rg.port, rg.transport, ctx) : CP_ADMIN_AUTO;
		g->probed = resolve(p, g);
		/* Spread the first probes over one interval. */
		g->next_due = cp_now_ms() + (p->conf.interval_ms ? rnd32() % p->conf.interval_ms :
				0) / 4;
		nw[nn++] = g;
	}
	for (unsigned k = 0; k < p->n; k++)
		free(p->gw[k]);
	free(p->gw);
	p->gw = nw;
	p->n = nn;
	p->cap = info.n_gateways;
	return 0;
}

int
cp_probe_set_targets(struct cp_probe *p, const struct cp_probe_target *t, unsigned n)
{
	struct cp_gw **nw = n ? calloc(n, sizeof(*nw)) : NULL;
	unsigned nn = 0;

	if (n && nw == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		bool dup = false;
		for (unsigned k = 0; k < nn && !dup; k++)
			dup = nw[k]->port == t[i].port && strcmp(nw[k]->host, t[i].host) == 0;
		if (dup)
			continue;
		struct cp_gw *old = cp_probe_find(p, t[i].host, t[i].port, RULES_TP_UDP);
		if (old != NULL) {
			for (unsigned k = 0; k < p->n; k++)
				if (p->gw[k] == old)
					p->gw[k] = NULL;
			nw[nn++] = old;
			continue;
		}
		struct cp_gw *g = calloc(1, sizeof(*g));
		if (g == NULL)
			continue;
		snprintf(g->host, sizeof(g->host), "%s", t[i].host);
		g->port = t[i].port;
		g->transport = RULES_TP_UDP;
		g->admin = CP_ADMIN_AUTO;
		g->probed = resolve(p, g);
		/* A new target is probed at once: its first answers decide failover. */
		g->next_due = cp_now_ms();
		nw[nn++] = g;
	}
	for (unsigned k = 0; k < p->n; k++)
		free(p->gw[k]);
	free(p->gw);
	p->gw = nw;
	p->n = nn;
	p->cap = n;
	return 0;
}

void
cp_probe_set_health(struct cp_probe *p, struct cp_gw *g, bool down, const char *why)
{
	bool was = cp_gw_down(g);
	g->st.down = down;
	if (cp_gw_down(g) != was) {
		g->transitions++;
		g->changed_ms = cp_wall_ms();
		p->tot.transitions++;
		p->fn(g, why, p->ctx);
	}
}

unsigned
cp_probe_count(const struct cp_probe *p)
{
	return p->n;
}

struct cp_gw *
cp_probe_gw(struct cp_probe *p, unsigned i)
{
	return i < p->n ? p->gw[i] : NULL;
}

struct cp_gw *
cp_probe_find(struct cp_probe *p, const char *host, uint16_t port, uint8_t transport)
{
	for (unsigned i = 0; i < p->n; i++) {
		struct cp_gw *g = p->gw[i];
		if (g != NULL && g->port == port && g->transport == transport &&
				strcmp(g->host, host) == 0)
			return g;
	}
	return NULL;
}

void
cp_probe_set_admin(struct cp_probe *p, struct cp_gw *g, enum cp_admin admin)
{
	bool was = cp_gw_down(g);
	g->admin = admin;
	if (cp_gw_down(g) != was) {
		char why[64];
		g->transitions++;
		g->changed_ms = cp_wall_ms();
		p->tot.transitions++;
		snprintf(why, sizeof(why), "administrative state %s", cp_admin_name(admin));
		p->fn(g, why, p->ctx);
	}
}

unsigned
cp_probe_now(struct cp_probe *p, struct cp_gw *g)
{
	unsigned n = 0;
	for (unsigned i = 0; i < p->n; i++) {
		struct cp_gw *x = p->gw[i];
		if ((g != NULL && x != g) || x->probed != CP_GW_PROBED || x->deadline != 0)
			continue;
		x->next_due = cp_now_ms() + cp_probe_delay(&p->conf, rnd32());
		send_probe(p, x);
		n++;
	}
	return n;
}

unsigned
cp_probe_down_count(const struct cp_probe *p)
{
	unsigned n = 0;
	for (unsigned i = 0; i < p->n; i++)
		n += cp_gw_down(p->gw[i]);
	return n;
}

void
cp_probe_totals(const struct cp_probe *p, struct cp_probe_totals *t)
{
	*t = p->tot;
}
