/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_NL_H
#define DP_NL_H

/*
 * rtnetlink and /proc/sys helpers shared by dp_exc and dp_neigh (internal to
 * dataplane/kernel). Sockets are non-blocking: the main lcore polls them.
 * Only dp_nl_transact() waits, and it is meant for start-up.
 */

#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

/* A request under construction: header, family header and attributes. */
struct dp_nl_req {
	union {
		struct nlmsghdr nh;
		char buf[512];
	};
};

/*
 * Open a non-blocking NETLINK_ROUTE socket joined to the groups listed (RTNLGRP_*, count n),
 * with a receive buffer of at least rcvbuf bytes (0: default). Returns the fd or -errno.
 */
int dp_nl_open(const unsigned *groups, unsigned n, int rcvbuf);

/* Start a request: type, flags (NLM_F_REQUEST is added), seq and the family header. */
void *dp_nl_init(struct dp_nl_req *r, uint16_t type, uint16_t flags, uint32_t seq,
		size_t famlen);

/* Append an attribute. 0, or -ENOSPC when the request buffer is full. */
int dp_nl_put(struct dp_nl_req *r, uint16_t type, const void *data, size_t len);

/* Send a request without waiting. 0 or -errno. */
int dp_nl_send(int fd, const struct dp_nl_req *r);

/*
 * Send a request with NLM_F_ACK and wait up to timeout_ms for the kernel's answer.
 * Returns 0 or the kernel's -errno (-ETIMEDOUT if none came). Start-up only: it
 * reads and discards anything else queued on fd, so use a socket without groups.
 */
int dp_nl_transact(int fd, struct dp_nl_req *r, int timeout_ms);

/* Write val to /proc/sys/net/<family>/conf/<ifname>/<key>. 0 or -errno. */
int dp_nl_sysctl(const char *family, const char *ifname, const char *key, const char *val);

#endif
