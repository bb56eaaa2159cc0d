/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_PROBE_H
#define CP_PROBE_H

/*
 * Gateway health. Every gateway of the current plan is a cp_gw with an
 * administrative state (auto/up/down, persisted by the caller) and a
 * health state driven by SIP OPTIONS probes sent from the control plane's
 * own UDP sockets: down after probe_down failures in a row, up again after
 * probe_up successes in a row. A gateway new to the plan starts up.
 * The effective state (admin up/down wins over health) is what the
 * dataplanes get; every change of it calls the owner's callback.
 *
 * The state machine (cp_probe_feed(), cp_probe_delay()) is pure and
 * unit-tested; the rest is I/O on the event loop.
 */

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cp_store.h"

struct cp_loop;
struct rules_plan;

struct cp_probe_conf {
	bool enabled;             /* false: paused (no probes, states frozen) */
	uint64_t interval_ms;
	unsigned jitter_pct;      /* each delay is interval +- jitter_pct % */
	uint64_t timeout_ms;
	unsigned down_after;      /* failures in a row */
	unsigned up_after;        /* successes in a row */
	uint64_t codes[10];       /* accepted reply codes 100..699 (bit c - 100) */
};

/* What probes found out about one gateway. Zero-initialised: up, nothing seen. */
struct cp_probe_state {
	bool down;                /* health: false until down_after failures */
	unsigned fails;           /* consecutive failures */
	unsigned oks;             /* consecutive successes */
	uint64_t sent, failed, ok;
	int last_code;            /* 0: timeout or send error */
	uint32_t last_rtt_us;
	int64_t last_wall;        /* when the last outcome came, 0: never */
};

/* Whether code counts as alive under c. */
bool cp_probe_code_ok(const struct cp_probe_conf *c, int code);

/*
 * Feed one outcome: code is the reply's status, or 0 for a timeout or a
 * send error. Returns true when s->down changed.
 */
bool cp_probe_feed(struct cp_probe_state *s, const struct cp_probe_conf *c, int code);

/*
 * Delay before the next probe for a random number rnd: interval_ms moved
 * by at most jitter_pct % either way (uniform over rnd).
 */
uint64_t cp_probe_delay(const struct cp_probe_conf *c, uint32_t rnd);

/* ---- the gateway table ---- */

enum cp_gw_probe {
	CP_GW_PROBED = 0,
	CP_GW_NOT_UDP,     /* TCP/TLS: the transports come with the next part */
	CP_GW_NOT_ADDRESS, /* a host name: its resolved targets are probed (cp_dns.h) */
	CP_GW_NO_SOCKET,   /* no probe socket of its address family (probe_bind4/6 off) */
};

struct cp_gw {
	char host[64];
	uint16_t port;
	uint8_t transport;        /* enum rules_transport */
	enum cp_admin admin;
	enum cp_gw_probe probed;
	struct cp_probe_state st;
	/* I/O state */
	struct sockaddr_storage sa;
	socklen_t salen;
	char via_host[64];        /* our address as the gateway sees it ("[v6]") */
	uint64_t next_due;        /* cp_now_ms() of the next probe */
	uint64_t deadline;        /* waiting for an answer until then; 0: not waiting */
	uint64_t sent_at;
	uint32_t seq;             /* of the probe in flight */
	uint64_t transitions;
	int64_t changed_ms;       /* cp_wall_ms() of the last up/down change; 0: none */
};

/* Effective state: admin up/down, else health. */
static inline bool
cp_gw_down(const struct cp_gw *g)
{
	return g->admin == CP_ADMIN_DOWN || (g->admin == CP_ADMIN_AUTO && g->st.down);
}

struct cp_probe;

/* Called on every change of a gateway's effective state. */
typedef void cp_gw_change_fn(struct cp_gw *g, const char *why, void *ctx);

struct cp_probe_sockets {
	const char *bind4;        /* "" or "off": no IPv4 socket */
	const char *bind6;
	uint16_t port;
};

/* Sockets opened, timers started. NULL with err filled. */
struct cp_probe *cp_probe_create(struct cp_loop *l, const struct cp_probe_conf *c,
		const struct cp_probe_sockets *socks, cp_gw_change_fn *fn, void *ctx, char *err,
		size_t errlen);
void cp_probe_free(struct cp_probe *p);
/* New settings (SIGHUP, pause/resume). */
void cp_probe_set_conf(struct cp_probe *p, const struct cp_probe_conf *c);
const struct cp_probe_conf *cp_probe_conf(const struct cp_probe *p);

/*
 * The gateways of plan (NULL: none). Gateways kept from the previous plan
 * keep their state; new ones start up with the admin state the store has
 * for them (admin_of(host, port, transport, ctx)).
 */
int cp_probe_set_plan(struct cp_probe *p, const struct rules_plan *plan,
		enum cp_admin (*admin_of)(const char *host, uint16_t port, uint8_t transport,
			void *ctx), void *ctx);

/*
 * Instead of a plan's gateways, probe exactly targets[0..n) (UDP, IP
 * literals: the resolved targets of gateway names). Targets kept from the
 * previous call keep their state; new ones start up. 0 or -ENOMEM.
 */
struct cp_probe_target {
	char host[64];
	uint16_t port;
};
int cp_probe_set_targets(struct cp_probe *p, const struct cp_probe_target *t, unsigned n);
/*
 * Set the health of a gateway that is not probed (a name: its health is
 * its targets'); calls the change callback with why when the effective
 * state changes.
 */
void cp_probe_set_health(struct cp_probe *p, struct cp_gw *g, bool down, const char *why);

unsigned cp_probe_count(const struct cp_probe *p);
struct cp_gw *cp_probe_gw(struct cp_probe *p, unsigned i);
/* The gateway host:port;transport, or NULL. */
struct cp_gw *cp_probe_find(struct cp_probe *p, const char *host, uint16_t port,
		uint8_t transport);
/* Set the admin state (the caller persists it); calls the change callback if needed. */
void cp_probe_set_admin(struct cp_probe *p, struct cp_gw *g, enum cp_admin admin);
/* Probe g (NULL: every gateway) now, even while paused. Returns how many were sent. */
unsigned cp_probe_now(struct cp_probe *p, struct cp_gw *g);
/* Gateways effectively down (for core.health). */
unsigned cp_probe_down_count(const struct cp_probe *p);
/* Totals for metrics. */
struct cp_probe_totals {
	uint64_t sent, ok, failed, transitions;
};
void cp_probe_totals(const struct cp_probe *p, struct cp_probe_totals *t);
/* Name of a probe status ("probed", "not probed: tcp/tls transport (next release)"). */
const char *cp_gw_probe_name(enum cp_gw_probe p);

#endif
