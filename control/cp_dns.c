/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The resolver of gateway names: c-ares driven by the control plane's
 * event loop (its sockets are watched through the socket-state callback,
 * its time-outs by a timer), RFC 3263 §4 per name (NAPTR -> SRV ->
 * A/AAAA), the resolved targets probed by a prober of their own, and the
 * complete table sent to the dataplanes (SL_MSG_GW_ADDRS) whenever a
 * name's targets or their states change.
 *
 * Bounds, so a slow or hostile server cannot block the loop or grow
 * memory: one resolution per name at a time; every query has c-ares'
 * time-out and tries; at most max_records SRV records followed and
 * max_records addresses kept per name; names at most as many as the
 * plan's gateways (CP_DNS_MAX_NAMES); the table fits one link frame.
 */
#include "cp_dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <errno.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "cp_app.h"
#include "cp_loop.h"
#include "cp_probe.h"
#include "cp_rpc.h"
#include "rules.h"
#include "sl_link.h"

#define CP_DNS_MAX_NAMES 256
#define CP_DNS_MAX_TARGETS 16      /* per name, whatever max_records says */
#define CP_DNS_MAX_NAPTR 16
/*
 * A resolution's error can name a target (up to CP_DNS_NAME_MAX - 1
 * characters) and add c-ares's reason ("A/AAAA <target>: <reason>"): room
 * for both, so no message is cut.
 */
#define CP_DNS_ERR_LEN (CP_DNS_NAME_MAX + 96)
#define CP_DNS_MAX_OWN 64
#define TICK_MS 100
#define ADHOC_IDLE_MS (10u * 60u * 1000u)


struct job;

struct name {
	char host[64];
	uint16_t port;
	uint8_t transport;
	bool keep;                     /* mark of cp_dns_set_plan() */
	bool adhoc;                    /* looked up by the relay, not a plan gateway */
	uint64_t last_used;            /* adhoc: last lookup (monotonic ms) */
	/* the answer in use */
	struct cp_dns_target t[CP_DNS_MAX_TARGETS];
	unsigned n;
	char how[32];                  /* "NAPTR+SRV", "SRV", "A/AAAA" */
	struct cp_dns_naptr naptr[CP_DNS_MAX_NAPTR];
	unsigned n_naptr;
	struct cp_dns_srv srv[CP_DNS_MAX_TARGETS];
	unsigned n_srv;
	uint32_t ttl;                  /* smallest address TTL, as received */
	uint32_t ttl_used;             /* clamped */
	int64_t got_wall;              /* when it came (wall ms) */
	uint64_t expires;              /* monotonic ms; 0: no answer */
	uint64_t next;                 /* next resolution (monotonic ms) */
	bool stale;
	/* history */
	uint64_t resolutions, failures, stale_kept, refused;
	unsigned fails_in_a_row;       /* retries back off: min_refresh doubled per failure */
	char last_error[CP_DNS_ERR_LEN];
	struct job *job;               /* resolution in flight, or NULL */
};

/* One resolution of one name: the queries it waits for, and what they found. */
struct job {
	struct cp_dns *d;
	struct name *nm;               /* NULL once the name is gone: results dropped */
	unsigned pending;
	bool failed;
	char err[CP_DNS_ERR_LEN];
	char how[32];
	struct cp_dns_naptr naptr[CP_DNS_MAX_NAPTR];
	unsigned n_naptr;
	struct cp_dns_srv srv[CP_DNS_MAX_TARGETS];
	unsigned n_srv;
	struct cp_dns_target t[CP_DNS_MAX_TARGETS];
	unsigned n;
	unsigned refused;
	char refused_txt[160];
	uint32_t rr_ttl;               /* smallest TTL of the NAPTR and SRV answers used */
};

/* An address lookup of one SRV target (or of the name itself). */
struct aq {
	struct job *j;
	unsigned srv;                  /* index in j->srv */
};

struct cp_dns {
	struct cp_loop *loop;
	struct cp_dns_conf conf;
	struct cp_dns_ops ops;
	ares_channel ch;
	bool ch_ok;
	uint64_t tick;
	struct cp_probe *probe;        /* the targets' prober */
	struct name *names[CP_DNS_MAX_NAMES];
	unsigned n;
	uint64_t version;
	struct cp_dns_totals tot;
	void (*resolved_fn)(void *ctx, const char *host);
	void *resolved_ctx;
	struct sip_addr own[CP_DNS_MAX_OWN], bcast[CP_DNS_MAX_OWN];
	unsigned n_own, n_bcast;
	bool stopping;
};

static uint32_t
rnd32(void *ctx)
{
	uint32_t v = 0;
	(void)ctx;
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)cp_now_ms() * 2654435761u;
	return v;
}

/* ---- c-ares in the loop ---- */

static void
on_fd(struct cp_loop *l, int fd, unsigned events, void *ctx)
{
	struct cp_dns *d = ctx;
	(void)l;
	ares_socket_t r = (events & (CP_READ | CP_ERROR)) ? fd : ARES_SOCKET_BAD;
	ares_socket_t w = (events & (CP_WRITE | CP_ERROR)) ? fd : ARES_SOCKET_BAD;
	ares_process_fd(d->ch, r, w);
}

static void
sock_state(void *data, ares_socket_t s, int readable, int writable)
{
	struct cp_dns *d = data;
	unsigned ev = (readable ? CP_READ : 0) | (writable ? CP_WRITE : 0);

	if (ev == 0) {
		cp_loop_del_fd(d->loop, s);
		return;
	}
	if (cp_loop_add_fd(d->loop, s, ev, on_fd, d) == -EEXIST)
		cp_loop_mod_fd(d->loop, s, ev);
}

/* ---- the table for the dataplanes ---- */

static void
push_table(struct cp_dns *d, struct cp_dp *only)
{
	size_t cap = SL_LINK_MAX_PAYLOAD;
	unsigned char *buf = calloc(1, cap);
	if (buf == NULL)
		return;
	struct sl_gw_addrs *h = (struct sl_gw_addrs *)buf;
	unsigned nt = 0, nn = 0;
	for (unsigned i = 0; i < d->n; i++) {
		if (d->names[i]->adhoc)
			continue;
		nt += d->names[i]->n;
		nn++;
	}
	size_t need = sizeof(*h) + nn * sizeof(struct sl_gw_name) +
		nt * sizeof(struct sl_gw_target);
	if (need > cap) {
		cp_log("dns: the resolved table (%zu bytes) does not fit a link frame: not sent",
				need);
		free(buf);
		return;
	}
	if (only == NULL) {
		/* Versions only grow, also across restarts of the control plane. */
		uint64_t v = (uint64_t)cp_wall_ms();
		d->version = v > d->version ? v : d->version + 1;
		d->tot.pushes++;
	}
	h->version = d->version;
	h->n_names = nn;
	h->n_targets = nt;
	struct sl_gw_name *gn = (struct sl_gw_name *)(h + 1);
	struct sl_gw_target *gt = (struct sl_gw_target *)(gn + nn);
	unsigned k = 0;
	for (unsigned i = 0, o = 0; i < d->n; i++) {
		const struct name *nm = d->names[i];
		if (nm->adhoc)
			continue;
		snprintf(gn[o].host, sizeof(gn[o].host), "%s", nm->host);
		gn[o].port = nm->port;
		gn[o].transport = nm->transport;
		gn[o].first = (uint16_t)k;
		gn[o].count = (uint16_t)nm->n;
		o++;
		for (unsigned j = 0; j < nm->n; j++, k++) {
			const struct cp_dns_target *t = &nm->t[j];
			struct cp_gw *g = cp_probe_find(d->probe, t->text, t->port, RULES_TP_UDP);
			gt[k].af = t->addr.af;
			gt[k].down = g != NULL && cp_gw_down(g);
			gt[k].port = t->port;
			gt[k].priority = t->priority;
			gt[k].weight = t->weight;
			memcpy(gt[k].addr, t->addr.a, 16);
		}
	}
	d->ops.send(d->ops.ctx, only, buf, (uint32_t)need);
	free(buf);
}

/* Every name's targets to the prober (after any change of a name's answer). */
static void
update_probe(struct cp_dns *d)
{
	struct cp_probe_target pt[CP_DNS_MAX_NAMES];
	unsigned n = 0;
	for (unsigned i = 0; i < d->n; i++)
		for (unsigned j = 0; !d->names[i]->adhoc && j < d->names[i]->n &&
				n < CP_DNS_MAX_NAMES; j++) {
			snprintf(pt[n].host, sizeof(pt[n].host), "%s", d->names[i]->t[j].text);
			pt[n].port = d->names[i]->t[j].port;
			n++;
		}
	cp_probe_set_targets(d->probe, pt, n);
}

/* The plan gateway of nm is down when none of its targets is up (or it has none). */
static void
update_health(struct cp_dns *d, struct name *nm, const char *why_none)
{
	if (nm->adhoc)
		return;
	struct cp_gw *pg = d->ops.plan_gw(d->ops.ctx, nm->host, nm->port, nm->transport);
	if (pg == NULL)
		return;
	unsigned up = 0;
	for (unsigned j = 0; j < nm->n; j++) {
		struct cp_gw *g = cp_probe_find(d->probe, nm->t[j].text, nm->t[j].port,
				RULES_TP_UDP);
		up += g == NULL || !cp_gw_down(g);
	}
	char why[CP_DNS_ERR_LEN + 16]; /* "no address: " and an error */
	if (nm->n == 0)
		snprintf(why, sizeof(why), "no address: %s", why_none ? why_none : nm->last_error);
	else if (up == 0)
		snprintf(why, sizeof(why), "all %u resolved targets are down", nm->n);
	else
		snprintf(why, sizeof(why), "%u of %u resolved targets up", up, nm->n);
	d->ops.set_health(d->ops.ctx, pg, up == 0, why);
}

/* ---- our own addresses ---- */

static void
read_own(struct cp_dns *d)
{
	struct ifaddrs *ifa = NULL;
	d->n_own = d->n_bcast = 0;
	if (getifaddrs(&ifa) != 0)
		return;
	for (struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		struct sip_addr a = {0};
		if (i->ifa_addr->sa_family == AF_INET) {
			a.af = SIP_AF_INET;
			memcpy(a.a, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
			if ((i->ifa_flags & IFF_BROADCAST) && i->ifa_broadaddr != NULL &&
					d->n_bcast < CP_DNS_MAX_OWN) {
				struct sip_addr b = {.af = SIP_AF_INET};
				memcpy(b.a, &((struct sockaddr_in *)i->ifa_broadaddr)->sin_addr, 4);
				d->bcast[d->n_bcast++] = b;
			}
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a.af = SIP_AF_INET6;
			memcpy(a.a, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		if (d->n_own < CP_DNS_MAX_OWN)
			d->own[d->n_own++] = a;
	}
	freeifaddrs(ifa);
}

/* ---- one resolution ---- */

static bool
same_targets(const struct name *nm, const struct job *j)
{
	if (nm->n != j->n)
		return false;
	for (unsigned i = 0; i < j->n; i++)
		if (!sip_addr_eq(&nm->t[i].addr, &j->t[i].addr) || nm->t[i].port != j->t[i].port ||
				nm->t[i].priority != j->t[i].priority ||
				nm->t[i].weight != j->t[i].weight)
			return false;
	return true;
}

static void job_commit(struct job *j);

static void
job_done(struct job *j)
{
	struct cp_dns *d = j->d;
	bool adhoc = j->nm != NULL && j->nm->adhoc && !d->stopping;
	char host[64];
	if (adhoc)
		snprintf(host, sizeof(host), "%s", j->nm->host);
	job_commit(j);
	if (adhoc && d->resolved_fn != NULL)
		d->resolved_fn(d->resolved_ctx, host);
}

static void
job_commit(struct job *j)
{
	struct cp_dns *d = j->d;
	struct name *nm = j->nm;
	uint64_t now = cp_now_ms();

	if (nm == NULL || d->stopping) {
		free(j);
		return;
	}
	nm->job = NULL;
	nm->resolutions++;
	d->tot.resolutions++;
	nm->refused += j->refused;
	if (j->refused)
		cp_log("dns: %s: refused %u address(es): %s", nm->host, j->refused, j->refused_txt);
	if (!j->failed && j->n == 0) {
		j->failed = true;
		if (j->refused)
			snprintf(j->err, sizeof(j->err), "every address was refused");
		else if (j->err[0] == '\0')
			snprintf(j->err, sizeof(j->err), "no address");
	}
	if (j->failed) {
		nm->failures++;
		d->tot.failures++;
		snprintf(nm->last_error, sizeof(nm->last_error), "%s", j->err);
		/* Retried at min_refresh, doubled per failure in a row up to max_refresh. */
		uint64_t retry = (uint64_t)d->conf.min_refresh_s * 1000u;
		for (unsigned k = 0; k < nm->fails_in_a_row && retry < d->conf.max_refresh_s * 1000ull;
				k++)
			retry *= 2;
		if (retry > d->conf.max_refresh_s * 1000ull)
			retry = d->conf.max_refresh_s * 1000ull;
		nm->fails_in_a_row++;
		nm->next = now + retry;
		switch (cp_dns_stale_policy(now, nm->expires, d->conf.stale_max_ms)) {
		case CP_DNS_KEEP_STALE:
			nm->stale = true;
			nm->stale_kept++;
			d->tot.stale++;
			cp_log("dns: %s: %s; keeping the last good answer (%u target(s), %llu s old)",
					nm->host, j->err, nm->n,
					(unsigned long long)((cp_wall_ms() - nm->got_wall) / 1000));
			break;
		case CP_DNS_DROP:
			d->tot.expired++;
			cp_log("dns: %s: %s; the last good answer is older than stale_max: dropped",
					nm->host, j->err);
			nm->n = 0;
			nm->expires = 0;
			nm->stale = false;
			update_probe(d);
			push_table(d, NULL);
			update_health(d, nm, j->err);
			break;
		case CP_DNS_NO_ANSWER:
			cp_log("dns: %s: %s", nm->host, j->err);
			update_health(d, nm, j->err);
			break;
		}
		free(j);
		return;
	}
	/* Answers come in any order: the targets in their SRV records' order (stable). */
	for (unsigned i = 1; i < j->n; i++) {
		struct cp_dns_target x = j->t[i];
		unsigned k = i;
		for (; k > 0 && j->t[k - 1].rank > x.rank; k--)
			j->t[k] = j->t[k - 1];
		j->t[k] = x;
	}
	/* The answer lives as long as its shortest record: NAPTR, SRV or address. */
	uint32_t ttl = j->rr_ttl;
	for (unsigned i = 0; i < j->n; i++)
		if (j->t[i].ttl < ttl)
			ttl = j->t[i].ttl;
	bool changed = !same_targets(nm, j);
	memcpy(nm->t, j->t, j->n * sizeof(j->t[0]));
	nm->n = j->n;
	memcpy(nm->naptr, j->naptr, j->n_naptr * sizeof(j->naptr[0]));
	nm->n_naptr = j->n_naptr;
	memcpy(nm->srv, j->srv, j->n_srv * sizeof(j->srv[0]));
	nm->n_srv = j->n_srv;
	snprintf(nm->how, sizeof(nm->how), "%s", j->how);
	nm->ttl = ttl;
	nm->ttl_used = cp_dns_ttl_clamp(ttl, d->conf.min_refresh_s, d->conf.max_refresh_s);
	nm->got_wall = cp_wall_ms();
	nm->expires = now + (uint64_t)nm->ttl_used * 1000u;
	nm->next = cp_dns_refresh_at(now, nm->ttl_used);
	nm->stale = false;
	nm->fails_in_a_row = 0;
	nm->last_error[0] = '\0';
	if (changed) {
		char list[200];
		size_t o = 0;
		for (unsigned i = 0; i < nm->n && o < sizeof(list) - 1; i++) {
			int w = snprintf(list + o, sizeof(list) - o, "%s%s:%u/p%u/w%u", i ? " " : "",
					nm->t[i].text, nm->t[i].port, nm->t[i].priority, nm->t[i].weight);
			if (w < 0)
				break;
			o += (size_t)w;
		}
		cp_log("dns: %s resolved (%s, ttl %u s, refresh in %u s): %s", nm->host, nm->how,
				ttl, nm->ttl_used, list);
		/* Table first, then the gateway's state: it never serves up without addresses. */
		update_probe(d);
		push_table(d, NULL);
	}
	update_health(d, nm, NULL);
	free(j);
}

static void
job_unref(struct job *j)
{
	if (--j->pending == 0)
		job_done(j);
}

static void
job_fail(struct job *j, const char *what, int status)
{
	if (j->failed)
		return;
	j->failed = true;
	snprintf(j->err, sizeof(j->err), "%s: %s", what, ares_strerror(status));
}

/* No such record (as opposed to a failure to get an answer). */
static bool
is_nodata(int status)
{
	return status == ARES_ENODATA || status == ARES_ENOTFOUND;
}

static void
on_addr(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct aq *q = arg;
	struct job *j = q->j;
	struct cp_dns *d = j->d;
	(void)timeouts;

	if (status != ARES_SUCCESS) {
		/* A target without addresses is skipped; the name fails only if none has any. */
		if (!is_nodata(status) && j->n == 0 && !j->failed)
			snprintf(j->err, sizeof(j->err), "A/AAAA %s: %s", j->srv[q->srv].target,
					ares_strerror(status));
	} else {
		struct sip_addr a[CP_DNS_MAX_TARGETS];
		uint32_t ttl[CP_DNS_MAX_TARGETS];
		unsigned na = 0;
		for (struct ares_addrinfo_node *n = res->nodes; n != NULL && na < CP_DNS_MAX_TARGETS;
				n = n->ai_next) {
			struct sip_addr x = {0};
			if (n->ai_family == AF_INET) {
				x.af = SIP_AF_INET;
				memcpy(x.a, &((struct sockaddr_in *)n->ai_addr)->sin_addr, 4);
			} else if (n->ai_family == AF_INET6) {
				x.af = SIP_AF_INET6;
				memcpy(x.a, &((struct sockaddr_in6 *)n->ai_addr)->sin6_addr, 16);
			} else {
				continue;
			}
			ttl[na] = n->ai_ttl > 0 ? (uint32_t)n->ai_ttl : 0;
			a[na++] = x;
		}
		unsigned cap = d->conf.max_records < CP_DNS_MAX_TARGETS ? d->conf.max_records :
			CP_DNS_MAX_TARGETS;
		unsigned before = j->n;
		unsigned refused = cp_dns_targets_add(j->t, &j->n, cap, &j->srv[q->srv], a, ttl, na,
				d->own, d->n_own, d->bcast, d->n_bcast, j->refused_txt,
				sizeof(j->refused_txt));
		for (unsigned i = before; i < j->n; i++)
			j->t[i].rank = (uint16_t)q->srv;
		j->refused += refused;
		d->tot.refused += refused;
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	free(q);
	job_unref(j);
}

static void
lookup_addrs(struct job *j, unsigned srv)
{
	struct aq *q = malloc(sizeof(*q));
	if (q == NULL) {
		j->failed = true;
		snprintf(j->err, sizeof(j->err), "out of memory");
		return;
	}
	q->j = j;
	q->srv = srv;
	j->pending++;
	struct ares_addrinfo_hints h = {.ai_family = AF_UNSPEC, .ai_flags = ARES_AI_NOSORT};
	ares_getaddrinfo(j->d->ch, j->srv[srv].target, NULL, &h, on_addr, q);
}

/* Targets are looked up once the SRV list is final; their order is the list's. */
static void
lookup_all(struct job *j)
{
	for (unsigned i = 0; i < j->n_srv && !j->failed; i++)
		lookup_addrs(j, i);
}

/* The name itself, A/AAAA, on port (no SRV). */
static void
plain_name(struct job *j, uint16_t port)
{
	struct cp_dns_srv *s = &j->srv[0];
	snprintf(s->target, sizeof(s->target), "%s", j->nm->host);
	s->port = port;
	s->priority = 0;
	s->weight = 0;
	j->n_srv = 1;
	lookup_all(j);
}

/*
 * The smallest TTL among an answer's records. c-ares 1.18's NAPTR and SRV
 * parsers drop TTLs, so the answer section is walked with glibc's resolver
 * parser (ns_initparse(3), libresolv); UINT32_MAX if it cannot be read.
 */
static uint32_t
answer_ttl(const unsigned char *abuf, int alen)
{
	ns_msg h;
	uint32_t ttl = UINT32_MAX;
	if (abuf == NULL || alen <= 0 || ns_initparse(abuf, alen, &h) < 0)
		return ttl;
	for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
		ns_rr rr;
		if (ns_parserr(&h, ns_s_an, i, &rr) == 0 && ns_rr_ttl(rr) < ttl)
			ttl = ns_rr_ttl(rr);
	}
	return ttl;
}

static void
on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct job *j = arg;
	struct ares_srv_reply *r = NULL;
	bool from_naptr = j->n_naptr > 0;
	(void)timeouts;

	if (j->nm == NULL || status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
		job_fail(j, "SRV", status);
	} else if (status == ARES_SUCCESS &&
			(status = ares_parse_srv_reply(abuf, alen, &r)) == ARES_SUCCESS) {
		uint32_t t = answer_ttl(abuf, alen);
		if (t < j->rr_ttl)
			j->rr_ttl = t;
		struct cp_dns_srv all[64];
		unsigned n = 0;
		for (struct ares_srv_reply *x = r; x != NULL && n < 64; x = x->next) {
			snprintf(all[n].target, sizeof(all[n].target), "%s", x->host ? x->host : "");
			all[n].priority = x->priority;
			all[n].weight = x->weight;
			all[n].port = x->port;
			n++;
		}
		ares_free_data(r);
		unsigned cap = j->d->conf.max_records < CP_DNS_MAX_TARGETS ?
			j->d->conf.max_records : CP_DNS_MAX_TARGETS;
		j->n_srv = cp_dns_srv_select(all, n, cap, rnd32, NULL);
		memcpy(j->srv, all, j->n_srv * sizeof(all[0]));
		snprintf(j->how, sizeof(j->how), "%s", from_naptr ? "NAPTR+SRV" : "SRV");
		if (j->n_srv == 0)
			job_fail(j, "SRV", ARES_ENODATA);
		else
			lookup_all(j);
	} else if (is_nodata(status) && !from_naptr) {
		/* No SRV: the name's own addresses on the default port (RFC 3263 §4.2). */
		snprintf(j->how, sizeof(j->how), "A/AAAA");
		plain_name(j, 5060);
	} else {
		job_fail(j, "SRV", status);
	}
	job_unref(j);
}

static void
query_srv(struct job *j, const char *qname)
{
	j->pending++;
	ares_query(j->d->ch, qname, ns_c_in, ns_t_srv, on_srv, j);
}

static void
on_naptr(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct job *j = arg;
	struct ares_naptr_reply *r = NULL;
	char q[CP_DNS_NAME_MAX + 16];
	(void)timeouts;

	if (j->nm == NULL || status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
		job_fail(j, "NAPTR", status);
	} else if (status == ARES_SUCCESS &&
			(status = ares_parse_naptr_reply(abuf, alen, &r)) == ARES_SUCCESS) {
		uint32_t t = answer_ttl(abuf, alen);
		if (t < j->rr_ttl)
			j->rr_ttl = t;
		unsigned n = 0;
		for (struct ares_naptr_reply *x = r; x != NULL && n < CP_DNS_MAX_NAPTR; x = x->next) {
			struct cp_dns_naptr *y = &j->naptr[n++];
			y->order = x->order;
			y->preference = x->preference;
			snprintf(y->flags, sizeof(y->flags), "%s", (const char *)x->flags);
			snprintf(y->service, sizeof(y->service), "%s", (const char *)x->service);
			snprintf(y->replacement, sizeof(y->replacement), "%s",
					x->replacement ? x->replacement : "");
		}
		ares_free_data(r);
		int use;
		j->n_naptr = cp_dns_naptr_select(j->naptr, n, &use);
		if (j->n_naptr == 0) {
			/* NAPTR records, none for SIP: as if there were none. */
			snprintf(q, sizeof(q), "_sip._udp.%s", j->nm->host);
			query_srv(j, q);
		} else if (use < 0) {
			j->failed = true;
			snprintf(j->err, sizeof(j->err), "NAPTR offers only TCP/TLS (%s): the fast "
					"path forwards over UDP", j->naptr[0].service);
		} else {
			query_srv(j, j->naptr[use].replacement);
		}
	} else if (is_nodata(status)) {
		snprintf(q, sizeof(q), "_sip._udp.%s", j->nm->host);
		query_srv(j, q);
	} else {
		job_fail(j, "NAPTR", status);
	}
	job_unref(j);
}

static void
start(struct cp_dns *d, struct name *nm)
{
	if (nm->job != NULL || !d->ch_ok)
		return;
	struct job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->d = d;
	j->rr_ttl = UINT32_MAX;
	j->nm = nm;
	nm->job = j;
	/* Read now: the router's address may have come up since the last time. */
	read_own(d);
	/* A guard reference, so callbacks that run at once cannot finish the job early. */
	j->pending = 1;
	if (nm->port != 5060) {
		/* A port given: RFC 3263 §4.2, the name's addresses only. */
		snprintf(j->how, sizeof(j->how), "A/AAAA");
		plain_name(j, nm->port);
	} else {
		j->pending++;
		ares_query(d->ch, nm->host, ns_c_in, ns_t_naptr, on_naptr, j);
	}
	job_unref(j);
}

static int64_t
on_tick(struct cp_loop *l, void *ctx)
{
	struct cp_dns *d = ctx;
	uint64_t now = cp_now_ms();
	(void)l;

	/* c-ares' own time-outs and retries. */
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	for (unsigned i = 0; i < d->n;) {
		struct name *nm = d->names[i];
		if (nm->adhoc && nm->job == NULL && now - nm->last_used > ADHOC_IDLE_MS) {
			free(nm);
			d->names[i] = d->names[--d->n];
			continue;
		}
		if (nm->job == NULL && now >= nm->next)
			start(d, nm);
		i++;
	}
	return TICK_MS;
}

static void
on_target_change(struct cp_gw *g, const char *why, void *ctx)
{
	struct cp_dns *d = ctx;
	cp_log("gateway target %s:%u is %s: %s", g->host, g->port, cp_gw_down(g) ? "DOWN" : "UP",
			why);
	push_table(d, NULL);
	for (unsigned i = 0; i < d->n; i++)
		for (unsigned k = 0; k < d->names[i]->n; k++)
			if (d->names[i]->t[k].port == g->port &&
					strcmp(d->names[i]->t[k].text, g->host) == 0) {
				update_health(d, d->names[i], NULL);
				break;
			}
}

/* ---- life cycle ---- */

static int
channel_init(struct cp_dns *d, char *err, size_t errlen)
{
	struct ares_options o = {0};
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = d;
	o.timeout = (int)d->conf.timeout_ms;
	o.tries = (int)d->conf.tries;
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	int st = ares_init_options(&d->ch, &o, mask);
	if (st != ARES_SUCCESS) {
		snprintf(err, errlen, "dns: cannot start the resolver: %s", ares_strerror(st));
		return -EINVAL;
	}
	d->ch_ok = true;
	if (d->conf.servers[0] != '\0') {
		st = ares_set_servers_ports_csv(d->ch, d->conf.servers);
		if (st != ARES_SUCCESS) {
			snprintf(err, errlen, "dns_servers '%s': %s", d->conf.servers,
					ares_strerror(st));
			return -EINVAL;
		}
	}
	return 0;
}

struct cp_dns *
cp_dns_create(struct cp_loop *l, const struct cp_dns_conf *c, const struct cp_probe_conf *probe,
		const struct cp_dns_ops *ops, char *err, size_t errlen)
{
	static bool lib_done;
	if (!lib_done) {
		int st = ares_library_init(ARES_LIB_INIT_ALL);
		if (st != ARES_SUCCESS) {
			snprintf(err, errlen, "dns: %s", ares_strerror(st));
			return NULL;
		}
		lib_done = true;
	}
	struct cp_dns *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->loop = l;
	d->conf = *c;
	d->ops = *ops;
	if (channel_init(d, err, errlen) != 0)
		goto fail;
	struct cp_probe_sockets ps = {"0.0.0.0", "::", 0};
	d->probe = cp_probe_create(l, probe, &ps, on_target_change, d, err, errlen);
	if (d->probe == NULL)
		goto fail;
	d->tick = cp_timer_add(l, TICK_MS, on_tick, d);
	if (d->tick == 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return d;
fail:
	cp_dns_free(d);
	return NULL;
}

void
cp_dns_free(struct cp_dns *d)
{
	if (d == NULL)
		return;
	d->stopping = true;
	if (d->tick)
		cp_timer_del(d->loop, d->tick);
	for (unsigned i = 0; i < d->n; i++) {
		if (d->names[i]->job != NULL)
			d->names[i]->job->nm = NULL;
	}
	/* Runs the pending callbacks (ARES_EDESTRUCTION): they free their jobs. */
	if (d->ch_ok)
		ares_destroy(d->ch);
	for (unsigned i = 0; i < d->n; i++)
		free(d->names[i]);
	cp_probe_free(d->probe);
	free(d);
}

int
cp_dns_set_conf(struct cp_dns *d, const struct cp_dns_conf *c, char *err, size_t errlen)
{
	if (c->servers[0] != '\0' && strcmp(c->servers, d->conf.servers) != 0) {
		int st = ares_set_servers_ports_csv(d->ch, c->servers);
		if (st != ARES_SUCCESS) {
			snprintf(err, errlen, "dns_servers '%s': %s", c->servers, ares_strerror(st));
			return -EINVAL;
		}
	}
	d->conf = *c;
	return 0;
}

void
cp_dns_set_probe_conf(struct cp_dns *d, const struct cp_probe_conf *probe)
{
	cp_probe_set_conf(d->probe, probe);
}

static struct name *
find(struct cp_dns *d, const char *host, uint16_t port, uint8_t tp)
{
	for (unsigned i = 0; i < d->n; i++) {
		struct name *nm = d->names[i];
		if (nm->port == port && nm->transport == tp && strcmp(nm->host, host) == 0)
			return nm;
	}
	return NULL;
}

void
cp_dns_set_plan(struct cp_dns *d, const struct rules_plan *plan)
{
	struct rules_plan_info info = {0};
	bool changed = false;

	if (plan != NULL)
		rules_plan_info(plan, &info);
	for (unsigned i = 0; i < d->n; i++)
		d->names[i]->keep = d->names[i]->adhoc;
	for (uint32_t i = 0; i < info.n_gateways; i++) {
		struct rules_gateway rg;
		char host[64];
		uint8_t af, a[16];
		if (rules_plan_gateway(plan, i, &rg) != 0 || rg.host.len >= sizeof(host))
			continue;
		snprintf(host, sizeof(host), "%.*s", (int)rg.host.len, rg.host.p);
		/* IP literals need nothing; TCP/TLS next hops are not the fast path's. */
		if (rules_addr_parse(host, &af, a) == 0 || rg.transport != RULES_TP_UDP)
			continue;
		struct name *nm = find(d, host, rg.port, rg.transport);
		if (nm != NULL) {
			nm->keep = true;
			if (nm->adhoc) {
				/* The relay's name is now a plan gateway: probed and sent too. */
				nm->adhoc = false;
				changed = true;
			}
			/* Its plan gateway may be new (another plan): give it the name's health. */
			update_health(d, nm, "not resolved yet");
			continue;
		}
		if (d->n == CP_DNS_MAX_NAMES) {
			cp_log("dns: more than %u gateway names: %s not resolved", CP_DNS_MAX_NAMES,
					host);
			continue;
		}
		nm = calloc(1, sizeof(*nm));
		if (nm == NULL)
			continue;
		snprintf(nm->host, sizeof(nm->host), "%s", host);
		nm->port = rg.port;
		nm->transport = rg.transport;
		nm->keep = true;
		snprintf(nm->last_error, sizeof(nm->last_error), "not resolved yet");
		d->names[d->n++] = nm;
		/* Down until it has an address: a group fails over to its other members. */
		update_health(d, nm, "not resolved yet");
		start(d, nm);
	}
	for (unsigned i = 0; i < d->n;) {
		struct name *nm = d->names[i];
		if (nm->keep) {
			i++;
			continue;
		}
		if (nm->job != NULL)
			nm->job->nm = NULL;
		changed |= nm->n > 0;
		free(nm);
		d->names[i] = d->names[--d->n];
	}
	if (changed) {
		update_probe(d);
		push_table(d, NULL);
	}
}

int
cp_dns_lookup(struct cp_dns *d, const char *host, uint16_t port, struct sip_addr *a,
		uint16_t *out_port)
{
	struct name *nm = find(d, host, port, RULES_TP_UDP);
	if (nm == NULL) {
		if (d->n == CP_DNS_MAX_NAMES || strlen(host) >= sizeof(nm->host))
			return -ENOSPC;
		nm = calloc(1, sizeof(*nm));
		if (nm == NULL)
			return -ENOMEM;
		snprintf(nm->host, sizeof(nm->host), "%s", host);
		nm->port = port;
		nm->transport = RULES_TP_UDP;
		nm->adhoc = true;
		nm->last_used = cp_now_ms();
		d->names[d->n++] = nm;
		start(d, nm);
		return nm->n > 0 ? cp_dns_lookup(d, host, port, a, out_port) : -EAGAIN;
	}
	nm->last_used = cp_now_ms();
	if (nm->n > 0) {
		/* The first target that is up in SRV order (relay names are not probed: the first). */
		for (unsigned i = 0; i < nm->n; i++) {
			struct cp_gw *g = nm->adhoc ? NULL : cp_probe_find(d->probe, nm->t[i].text,
					nm->t[i].port, RULES_TP_UDP);
			if (g == NULL || !cp_gw_down(g)) {
				*a = nm->t[i].addr;
				*out_port = nm->t[i].port;
				return 0;
			}
		}
		return -ENOENT;
	}
	return nm->job != NULL ? -EAGAIN : -ENOENT;
}

void
cp_dns_on_resolved(struct cp_dns *d, void (*fn)(void *ctx, const char *host), void *ctx)
{
	d->resolved_fn = fn;
	d->resolved_ctx = ctx;
}

void
cp_dns_resync(struct cp_dns *d, struct cp_dp *dp)
{
	if (d->version != 0)
		push_table(d, dp);
}

static json_t *
target_json(struct cp_dns *d, const struct cp_dns_target *t)
{
	struct cp_gw *g = cp_probe_find(d->probe, t->text, t->port, RULES_TP_UDP);
	/* What a DNS answer named may hold any byte: quoted as valid UTF-8 (cp_rpc_string()). */
	json_t *o = json_pack("{s:o, s:s, s:i, s:i, s:i, s:I}", "target", cp_rpc_string(t->srv),
			"address", t->text, "port", t->port, "priority", t->priority, "weight", t->weight, "ttl",
			(json_int_t)t->ttl);
	if (g != NULL) {
		json_object_set_new(o, "state", json_string(cp_gw_down(g) ? "down" : "up"));
		json_object_set_new(o, "probe", json_string(cp_gw_probe_name(g->probed)));
		json_object_set_new(o, "probes_sent", json_integer((json_int_t)g->st.sent));
		json_object_set_new(o, "fails_in_a_row", json_integer(g->st.fails));
		if (g->st.last_wall)
			json_object_set_new(o, "last_code", json_integer(g->st.last_code));
		if (g->changed_ms)
			json_object_set_new(o, "changed_at", json_real((double)g->changed_ms / 1000.0));
	}
	return o;
}

void *
cp_dns_gw_json(struct cp_dns *d, const char *host, uint16_t port, uint8_t transport)
{
	struct name *nm = find(d, host, port, transport);
	if (nm == NULL)
		return NULL;
	uint64_t now = cp_now_ms();
	json_t *naptr = json_array(), *srv = json_array(), *tg = json_array();
	for (unsigned i = 0; i < nm->n_naptr; i++)
		json_array_append_new(naptr, json_pack("{s:i, s:i, s:o, s:o, s:o}", "order",
				nm->naptr[i].order, "preference", nm->naptr[i].preference, "flags",
				cp_rpc_string(nm->naptr[i].flags), "service",
				cp_rpc_string(nm->naptr[i].service), "replacement",
				cp_rpc_string(nm->naptr[i].replacement)));
	for (unsigned i = 0; i < nm->n_srv; i++)
		json_array_append_new(srv, json_pack("{s:o, s:i, s:i, s:i}", "target",
				cp_rpc_string(nm->srv[i].target), "port", nm->srv[i].port, "priority",
				nm->srv[i].priority, "weight", nm->srv[i].weight));
	for (unsigned i = 0; i < nm->n; i++)
		json_array_append_new(tg, target_json(d, &nm->t[i]));
	json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:b, s:I, s:I, s:I, s:I}", "name",
			nm->host, "via", nm->how, "naptr", naptr, "srv", srv, "targets", tg, "stale",
			nm->stale, "resolutions", (json_int_t)nm->resolutions, "failures",
			(json_int_t)nm->failures, "stale_kept", (json_int_t)nm->stale_kept, "refused",
			(json_int_t)nm->refused);
	if (nm->expires) {
		json_object_set_new(o, "ttl", json_integer(nm->ttl));
		json_object_set_new(o, "ttl_used", json_integer(nm->ttl_used));
		json_object_set_new(o, "resolved_at", json_real((double)nm->got_wall / 1000.0));
		json_object_set_new(o, "expires_in_s", json_real(((double)nm->expires -
				(double)now) / 1000.0));
	}
	json_object_set_new(o, "refresh_in_s", json_real(nm->job ? 0.0 :
			((double)nm->next - (double)now) / 1000.0));
	if (nm->last_error[0])
		json_object_set_new(o, "last_error", cp_rpc_string(nm->last_error));
	json_object_set_new(o, "table_version", json_integer((json_int_t)d->version));
	return o;
}

void
cp_dns_totals(const struct cp_dns *d, struct cp_dns_totals *t)
{
	*t = d->tot;
	t->version = d->version;
}
