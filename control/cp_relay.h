/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_RELAY_H
#define CP_RELAY_H

/*
 * The control plane's stateless relay of requests whose next hop is a host
 * name (an in-dialog Route or Request-URI): the dataplane cannot resolve
 * names, so it hands such requests to the kernel side of the router
 * (punt_needs_dns); they arrive here on a UDP socket bound to the router's
 * SIP address and port. The relay runs the dataplane's own decision code
 * (dp_sip_handle(), dataplane/core) with a resolver (cp_dns_lookup()), so
 * the edits, the Via and its signed branch are the dataplane's, and sends
 * the result from that same address and port (back through the dataplane,
 * which routes the responses like any other: no state here). A request
 * whose name is being resolved is held (bounded) and run again when the
 * answer comes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cp_loop;
struct cp_dns;

struct cp_relay_conf {
	char addr[64];             /* the router's address and prefix, as sipline --addr */
	uint16_t port;             /* its SIP port */
	char secret_file[256];     /* the dataplane's --secret-file: the same signing key */
	bool relay_in_dialog;      /* as sipline --relay-in-dialog */
};

struct cp_relay_totals {
	uint64_t received, relayed, held, dropped;
	uint64_t unresolved;       /* of dropped: the name had no address (drop_unresolved) */
};

struct cp_relay;

/* Socket bound, key read. NULL with err set. */
struct cp_relay *cp_relay_create(struct cp_loop *l, struct cp_dns *dns,
		const struct cp_relay_conf *c, char *err, size_t errlen);
void cp_relay_free(struct cp_relay *r);
void cp_relay_totals(const struct cp_relay *r, struct cp_relay_totals *t);

#endif
