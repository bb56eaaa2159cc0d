/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_DNS_H
#define CP_DNS_H

/*
 * Gateways named by host name (RFC 3263 §4): the control plane resolves
 * every gateway host of the serving plan that is not an IP literal with
 * c-ares inside its event loop (never blocking), probes each resolved
 * target like a gateway, and sends the resolved address set to every
 * dataplane (SL_MSG_GW_ADDRS, a complete versioned table that replaces the
 * previous one at once: a refresh never leaves a name without addresses).
 * The fast path never waits for DNS: it reads the table.
 *
 * The policy (SRV ordering, NAPTR selection, TTL clamping, stale answers,
 * refused addresses) is pure and unit-tested (tests/control/test_cp_dns.c);
 * the rest is I/O on the loop (cp_dns.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_addr.h"

/* ---- policy (cp_dns_policy.c) ---- */

/* Longest DNS name kept (RFC 1035: 255 octets on the wire). */
#define CP_DNS_NAME_MAX 256

/* One SRV record (RFC 2782). */
struct cp_dns_srv {
	char target[CP_DNS_NAME_MAX];
	uint16_t priority;
	uint16_t weight;
	uint16_t port;
};

/*
 * Order s[0..n) for use (RFC 2782): by priority, lowest first; within one
 * priority by the weighted random selection of RFC 2782 (records of weight
 * 0 first, a running sum, a random number in [0, sum], the first record
 * whose running sum reaches it is taken out; repeat). rnd(ctx) gives the
 * random numbers (uniform 32-bit).
 */
void cp_dns_srv_order(struct cp_dns_srv *s, unsigned n, uint32_t (*rnd)(void *ctx), void *ctx);

/*
 * The SRV records to follow, in place: targets "." (service not offered,
 * RFC 2782) and empty ones removed, the rest ordered (cp_dns_srv_order())
 * and cut to the first cap. Returns how many remain.
 */
unsigned cp_dns_srv_select(struct cp_dns_srv *s, unsigned n, unsigned cap,
		uint32_t (*rnd)(void *ctx), void *ctx);

/* One resolved address of a name: what the dataplane may send to. */
struct cp_dns_target {
	char srv[CP_DNS_NAME_MAX];     /* the SRV target (or the name itself) */
	struct sip_addr addr;
	char text[64];                 /* the address as text (the prober's key) */
	uint16_t port;
	uint16_t priority;
	uint16_t weight;
	uint32_t ttl;                  /* of its A/AAAA record */
	uint16_t rank;                 /* position of its SRV record in use order */
};

/*
 * Add the addresses a[0..na) (TTLs ttl[]) of SRV record s to t[0..*n):
 * refused ones (cp_dns_addr_refused() against own/bcast) are not added but
 * counted and described in why (appended, "ADDR (TARGET: reason)"),
 * duplicates (address and port) skipped, and no more than cap kept in all.
 * Returns the number refused.
 */
unsigned cp_dns_targets_add(struct cp_dns_target *t, unsigned *n, unsigned cap,
		const struct cp_dns_srv *s, const struct sip_addr *a, const uint32_t *ttl,
		unsigned na, const struct sip_addr *own, unsigned n_own,
		const struct sip_addr *bcast, unsigned n_bcast, char *why, size_t whylen);

/* Transports a NAPTR service names (RFC 3263 §4.1). */
enum cp_dns_tp {
	CP_DNS_TP_NONE = -1,
	CP_DNS_TP_UDP = 0,  /* SIP+D2U */
	CP_DNS_TP_TCP = 1,  /* SIP+D2T */
	CP_DNS_TP_TLS = 2,  /* SIPS+D2T */
};

struct cp_dns_naptr {
	uint16_t order;
	uint16_t preference;
	char flags[16];
	char service[32];
	char replacement[CP_DNS_NAME_MAX];
	int tp;              /* enum cp_dns_tp, set by cp_dns_naptr_select() */
};

/* The transport of a NAPTR service field (case-insensitive), or CP_DNS_TP_NONE. */
enum cp_dns_tp cp_dns_naptr_service(const char *service);

/*
 * RFC 3263 §4.1: keep the records with flag "s" and a SIP service we know
 * (SIP+D2U, SIP+D2T, SIPS+D2T) and a replacement, ordered by order then
 * preference; the others are removed. Returns how many remain in n[0..).
 * *usable is set to the index of the first record the dataplane can use
 * (UDP), or -1 when none is (TCP/TLS only: the control plane's transports
 * come later).
 */
unsigned cp_dns_naptr_select(struct cp_dns_naptr *n, unsigned cnt, int *usable);

/* A TTL in seconds clamped to [min_s, max_s] (min_s <= max_s). */
uint32_t cp_dns_ttl_clamp(uint32_t ttl, uint32_t min_s, uint32_t max_s);

/* When to refresh an answer of clamped TTL ttl_s got at got_ms: before it expires (at 3/4). */
uint64_t cp_dns_refresh_at(uint64_t got_ms, uint32_t ttl_s);

enum cp_dns_stale {
	CP_DNS_NO_ANSWER = 0, /* nothing to keep: the name has no address */
	CP_DNS_KEEP_STALE,    /* keep serving the last good answer, count it */
	CP_DNS_DROP,          /* the last good answer is too old: drop it */
};

/*
 * A resolution failed at now_ms: what happens to the last good answer,
 * which expired (or expires) at expires_ms (0: there is none). It is kept
 * for at most stale_max_ms past its expiry (serve-stale, RFC 8767 in
 * spirit).
 */
enum cp_dns_stale cp_dns_stale_policy(uint64_t now_ms, uint64_t expires_ms,
		uint64_t stale_max_ms);

/*
 * Why an address must not be used as a gateway target: NULL when it may.
 * "unspecified", "loopback", "multicast", "broadcast", "reserved" (what
 * sip_addr_is_forbidden_dst() refuses), "our own address" (own[0..n_own):
 * the router's and the host's addresses), "a subnet broadcast address"
 * (bcast[0..n_bcast)). IPv4-mapped IPv6 counts as the IPv4 address.
 */
const char *cp_dns_addr_refused(const struct sip_addr *a, const struct sip_addr *own,
		unsigned n_own, const struct sip_addr *bcast, unsigned n_bcast);

/* ---- the resolver (cp_dns.c) ---- */

struct cp_loop;
struct cp_probe;
struct cp_probe_conf;
struct rules_plan;
struct cp_dp;
struct cp_gw;

struct cp_dns_conf {
	char servers[256];         /* "" : resolv.conf; else "ADDR[:PORT],..." (c-ares CSV) */
	uint32_t min_refresh_s;    /* TTLs below are raised to this */
	uint32_t max_refresh_s;    /* and above are lowered to this */
	uint64_t stale_max_ms;     /* serve the last good answer this long past its expiry */
	uint64_t timeout_ms;       /* per DNS query try */
	unsigned tries;
	unsigned max_records;      /* SRV records followed and addresses kept per name */
};

/* What the resolver needs from its owner (the app). */
struct cp_dns_ops {
	/* Send a GW_ADDRS payload to every ready dataplane (dp NULL) or to dp. */
	void (*send)(void *ctx, struct cp_dp *dp, const void *payload, uint32_t len);
	/* The plan gateway host:port;transport whose health follows its targets, or NULL. */
	struct cp_gw *(*plan_gw)(void *ctx, const char *host, uint16_t port, uint8_t transport);
	/* Set that gateway's health (calls the owner's change callback when it changes). */
	void (*set_health)(void *ctx, struct cp_gw *g, bool down, const char *why);
	void *ctx;
};

struct cp_dns;

/*
 * The resolver on loop l. probe: the settings of the targets' probes
 * (a prober of its own, own UDP sockets on any port). NULL with err set.
 */
struct cp_dns *cp_dns_create(struct cp_loop *l, const struct cp_dns_conf *c,
		const struct cp_probe_conf *probe, const struct cp_dns_ops *ops, char *err,
		size_t errlen);
void cp_dns_free(struct cp_dns *d);
/* New settings (SIGHUP). Servers change at once; refresh bounds at the next resolution. */
int cp_dns_set_conf(struct cp_dns *d, const struct cp_dns_conf *c, char *err, size_t errlen);
void cp_dns_set_probe_conf(struct cp_dns *d, const struct cp_probe_conf *probe);

/*
 * The names of plan: new ones are resolved at once (and their plan
 * gateway marked down until they have an address), kept ones keep their
 * answer, gone ones are dropped.
 */
void cp_dns_set_plan(struct cp_dns *d, const struct rules_plan *plan);
/* A dataplane (re)connected: send it the current table. */
void cp_dns_resync(struct cp_dns *d, struct cp_dp *dp);

/*
 * For the relay of requests to host names (cp_relay.h): the address of
 * host, port 5060 meaning "no port" (NAPTR, SRV, then A/AAAA on 5060),
 * another one A/AAAA on that port. Returns 0 with *a and *out_port (the
 * first target in SRV order), -EAGAIN when a resolution is running (the
 * resolved callback tells when it ends), -ENOENT when the last one failed,
 * -ENOSPC when no more names can be kept. Names looked up this way are
 * not probed nor sent to the dataplanes, and are forgotten after 10
 * minutes without a lookup.
 */
int cp_dns_lookup(struct cp_dns *d, const char *host, uint16_t port, struct sip_addr *a,
		uint16_t *out_port);
/* fn(ctx, host) after every resolution of a name looked up with cp_dns_lookup(). */
void cp_dns_on_resolved(struct cp_dns *d, void (*fn)(void *ctx, const char *host), void *ctx);

/* The gateway host:port;transport as a name: its DNS state as JSON (json_t *), or NULL. */
void *cp_dns_gw_json(struct cp_dns *d, const char *host, uint16_t port, uint8_t transport);

struct cp_dns_totals {
	uint64_t resolutions;  /* completed (ok or failed) */
	uint64_t failures;     /* failed: server error, time-out, no usable record */
	uint64_t stale;        /* failures answered by keeping the last good answer */
	uint64_t expired;      /* last good answers dropped (older than stale_max) */
	uint64_t refused;      /* addresses refused (ours, loopback, broadcast...) */
	uint64_t pushes;       /* table versions sent */
	uint64_t version;      /* of the current table */
};
void cp_dns_totals(const struct cp_dns *d, struct cp_dns_totals *t);

#endif
