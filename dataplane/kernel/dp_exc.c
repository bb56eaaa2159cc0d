/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exception path: a net_tap port whose kernel side is the router.
 *
 * Kernel set-up, and why:
 * - The tap carries the wire's MAC, else the kernel drops what we punt
 *   (PACKET_OTHERHOST) and its replies would carry another source MAC.
 * - forwarding=0: what is punted but not for us is dropped, never routed
 *   back out of the tap by a kernel that has ip_forward on.
 * - arp_ignore=1, arp_announce=2: answer ARP only for addresses on the tap
 *   and source ARP from them, so the wire never learns management addresses
 *   of the host.
 * - IPv6 is off unless an IPv6 address is configured; when on: no router
 *   advertisements accepted, no router solicitations, no DAD (the address
 *   is added with IFA_F_NODAD), so the port is usable at once and sends no
 *   probes of its own.
 * - "Via kernel" packets go through raw sockets (IP header included) in
 *   the tap's network namespace: the kernel routes them over the tap,
 *   resolves the next hop (ARP/ND) and transmits them, so the first packets
 *   to a new peer are not lost and its neighbour table learns the MAC.
 */
#include "dp_exc.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/in6.h>
#include <linux/rtnetlink.h>

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "dp_neigh.h"
#include "dp_nl.h"

#define EXC_BURST 32
#define EXC_POLL_BURSTS 4   /* bursts per direction per poll: bounds one poll's latency */
#define EXC_MAX_SEGS 8      /* segments of a "via kernel" packet (iovecs per message) */
#define EXC_TAP_DESC 512
#define EXC_NL_TIMEOUT_MS 2000
#define EXC_MAX_FRAGS DP_FRAG_MAX

/* One batch of "via kernel" messages, per family (main lcore only). */
struct exc_raw_batch {
	struct mmsghdr msg[EXC_BURST];
	struct iovec iov[EXC_BURST][EXC_MAX_SEGS];
	union {
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} to[EXC_BURST];
	unsigned n;
};

struct dp_exc {
	/* Used by workers. */
	struct rte_ring *punt;  /* wire -> kernel */
	struct rte_ring *via;   /* built packets the kernel routes */

	/* Main lcore only. */
	uint16_t wire_port;
	uint16_t wire_txq;
	struct rte_ring *egress; /* or NULL: to the wire on wire_txq */
	uint16_t tap_port;
	uint16_t tap_mtu;
	struct rte_mempool *pool;
	unsigned ifindex;
	bool tap_probed;
	bool tap_started;
	int raw4;
	int raw6;               /* -1 without IPv6 */
	struct dp_neigh *neigh;
	char ifname[IF_NAMESIZE];
	char vdev[RTE_DEV_NAME_MAX_LEN];
	struct dp_exc_stats st;
	struct exc_raw_batch b4, b6;
};

uint16_t
dp_exc_port(const struct dp_exc *x)
{
	return x->tap_port;
}

unsigned
dp_exc_punt(struct dp_exc *x, struct rte_mbuf **pkts, unsigned n)
{
	return rte_ring_enqueue_burst(x->punt, (void **)pkts, n, NULL);
}

unsigned
dp_exc_send_via_kernel(struct dp_exc *x, struct rte_mbuf **pkts, unsigned n)
{
	return rte_ring_enqueue_burst(x->via, (void **)pkts, n, NULL);
}

static void
exc_snoop(struct dp_exc *x, struct rte_mbuf **pkts, unsigned n)
{
	if (x->neigh == NULL)
		return;
	for (unsigned i = 0; i < n; i++)
		dp_neigh_snoop(x->neigh, pkts[i]);
}

/* Transmit, free what the port did not take, count. Returns frames sent. */
static unsigned
exc_tx(struct dp_exc *x, uint16_t port, uint16_t q, struct rte_mbuf **pkts, unsigned n)
{
	unsigned sent = rte_eth_tx_burst(port, q, pkts, (uint16_t)n);

	if (sent < n) {
		x->st.drops += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	return sent;
}

int
dp_frag_ipv4(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *pool, struct rte_mbuf **out,
		unsigned max)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) || m->nb_segs != 1) {
		rte_pktmbuf_free(m);
		return -ENOTSUP;
	}
	struct rte_ether_hdr l2 = *eth;
	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	int n = rte_ipv4_fragment_copy_nonseg_packet(m, out, (uint16_t)max, mtu, pool);
	rte_pktmbuf_free(m);
	if (n <= 0)
		return n < 0 ? n : -EINVAL; /* DF set, too many fragments, or no mbufs */
	for (int f = 0; f < n; f++) {
		struct rte_ether_hdr *h = (struct rte_ether_hdr *)rte_pktmbuf_prepend(out[f],
				RTE_ETHER_HDR_LEN);
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(out[f], struct rte_ipv4_hdr *,
				RTE_ETHER_HDR_LEN);
		if (h == NULL) {
			rte_pktmbuf_free_bulk(out, (unsigned)n);
			return -ENOMEM;
		}
		*h = l2;
		/* The library leaves the checksum to offload; nothing offloads it here. */
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	return n;
}

/*
 * The tap takes frames up to its MTU. The wire port may hand us larger
 * IPv4 datagrams (af_packet reassembles fragments before we see them, and
 * its frames may exceed the MTU): those are fragmented again, so the
 * kernel reassembles them as it would have from the wire. Returns the
 * frames in out (the inputs are consumed).
 */
static unsigned
exc_fit_tap(struct dp_exc *x, struct rte_mbuf **in, unsigned n, struct rte_mbuf **out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = in[i];

		if (rte_pktmbuf_pkt_len(m) <= (uint32_t)x->tap_mtu + RTE_ETHER_HDR_LEN) {
			out[k++] = m;
			continue;
		}
		int nf = dp_frag_ipv4(m, x->tap_mtu, x->pool, out + k, EXC_MAX_FRAGS);
		if (nf < 0)
			x->st.drops++;
		else
			k += (unsigned)nf;
	}
	return k;
}

/* Punted frames to the kernel. */
static unsigned
exc_to_kernel(struct dp_exc *x)
{
	struct rte_mbuf *pkts[EXC_BURST];
	unsigned moved = 0;

	for (unsigned b = 0; b < EXC_POLL_BURSTS; b++) {
		unsigned n = rte_ring_sc_dequeue_burst(x->punt, (void **)pkts, EXC_BURST, NULL);
		unsigned sent;

		if (n == 0)
			break;
		exc_snoop(x, pkts, n);
		struct rte_mbuf *fit[EXC_BURST * EXC_MAX_FRAGS];
		unsigned nf = exc_fit_tap(x, pkts, n, fit);
		sent = exc_tx(x, x->tap_port, 0, fit, nf);
		x->st.to_kernel += sent;
		moved += n;
		if (n < EXC_BURST)
			break;
	}
	return moved;
}

/* What the kernel sends on the tap, out of the wire (or to the worker that sends it). */
static unsigned
exc_from_kernel(struct dp_exc *x)
{
	struct rte_mbuf *pkts[EXC_BURST];
	unsigned moved = 0;

	for (unsigned b = 0; b < EXC_POLL_BURSTS; b++) {
		unsigned n = rte_eth_rx_burst(x->tap_port, 0, pkts, EXC_BURST);
		unsigned sent;

		if (n == 0)
			break;
		exc_snoop(x, pkts, n);
		if (x->egress != NULL) {
			sent = rte_ring_enqueue_burst(x->egress, (void **)pkts, n, NULL);
			if (sent < n) {
				x->st.drops += n - sent;
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
			}
		} else {
			sent = exc_tx(x, x->wire_port, x->wire_txq, pkts, n);
		}
		x->st.from_kernel += sent;
		moved += n;
		if (n < EXC_BURST)
			break;
	}
	return moved;
}

/*
 * Add m to the batch of its family: the IP packet without L2 (and without
 * Ethernet padding), segment by segment. False if m is not a well-formed
 * IPv4/IPv6 packet we can send.
 */
static bool
exc_raw_add(struct dp_exc *x, struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t l2 = RTE_ETHER_HDR_LEN, iplen, left, off;
	struct exc_raw_batch *b;
	struct msghdr *h;
	unsigned k = 0;
	uint16_t et;

	if (m->data_len < RTE_ETHER_HDR_LEN)
		return false;
	et = (uint16_t)(p[12] << 8 | p[13]);
	if (et == RTE_ETHER_TYPE_VLAN) {
		l2 += 4;
		if (m->data_len < l2)
			return false;
		et = (uint16_t)(p[16] << 8 | p[17]);
	}
	if (et == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip;

		if (m->data_len < l2 + sizeof(*ip))
			return false;
		ip = (const struct rte_ipv4_hdr *)(const void *)(p + l2);
		iplen = rte_be_to_cpu_16(ip->total_length);
		if ((ip->version_ihl >> 4) != 4 || iplen < rte_ipv4_hdr_len(ip))
			return false;
		b = &x->b4;
		memset(&b->to[b->n].sin, 0, sizeof(b->to[b->n].sin));
		b->to[b->n].sin.sin_family = AF_INET;
		b->to[b->n].sin.sin_addr.s_addr = ip->dst_addr;
		b->msg[b->n].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
	} else if (et == RTE_ETHER_TYPE_IPV6 && x->raw6 >= 0) {
		const struct rte_ipv6_hdr *ip6;

		if (m->data_len < l2 + sizeof(*ip6))
			return false;
		ip6 = (const struct rte_ipv6_hdr *)(const void *)(p + l2);
		iplen = (uint32_t)sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len);
		if ((p[l2] >> 4) != 6)
			return false;
		b = &x->b6;
		memset(&b->to[b->n].sin6, 0, sizeof(b->to[b->n].sin6));
		b->to[b->n].sin6.sin6_family = AF_INET6;
		memcpy(&b->to[b->n].sin6.sin6_addr, ip6->dst_addr, 16);
		/* Used by the kernel for link-local destinations only. */
		b->to[b->n].sin6.sin6_scope_id = x->ifindex;
		b->msg[b->n].msg_hdr.msg_namelen = sizeof(struct sockaddr_in6);
	} else {
		return false;
	}
	if (iplen > m->pkt_len - l2)
		return false;
	left = iplen;
	off = l2;
	for (const struct rte_mbuf *s = m; s != NULL && left > 0; s = s->next) {
		uint32_t len;

		if (off >= s->data_len) {
			off -= s->data_len;
			continue;
		}
		if (k == EXC_MAX_SEGS)
			return false;
		len = RTE_MIN(left, (uint32_t)s->data_len - off);
		b->iov[b->n][k].iov_base = rte_pktmbuf_mtod_offset(s, void *, off);
		b->iov[b->n][k].iov_len = len;
		k++;
		left -= len;
		off = 0;
	}
	h = &b->msg[b->n].msg_hdr;
	h->msg_name = &b->to[b->n];
	h->msg_iov = b->iov[b->n];
	h->msg_iovlen = k;
	h->msg_control = NULL;
	h->msg_controllen = 0;
	h->msg_flags = 0;
	b->n++;
	return true;
}

/* Send a batch; a message the kernel refuses (no route, too big, buffer full) is dropped. */
static void
exc_raw_flush(struct dp_exc *x, int fd, struct exc_raw_batch *b)
{
	unsigned i = 0;

	while (i < b->n) {
		int r = sendmmsg(fd, b->msg + i, b->n - i, MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			x->st.drops++;
			i++;
			continue;
		}
		x->st.via_kernel += (unsigned)r;
		i += (unsigned)r;
	}
	b->n = 0;
}

/* Built packets whose next hop is unknown: the kernel routes, resolves and sends them. */
static unsigned
exc_via_kernel(struct dp_exc *x)
{
	struct rte_mbuf *pkts[EXC_BURST];
	unsigned moved = 0;

	for (unsigned bn = 0; bn < EXC_POLL_BURSTS; bn++) {
		unsigned n = rte_ring_sc_dequeue_burst(x->via, (void **)pkts, EXC_BURST, NULL);

		if (n == 0)
			break;
		for (unsigned i = 0; i < n; i++)
			if (!exc_raw_add(x, pkts[i]))
				x->st.drops++;
		if (x->b4.n != 0)
			exc_raw_flush(x, x->raw4, &x->b4);
		if (x->b6.n != 0)
			exc_raw_flush(x, x->raw6, &x->b6);
		/* The kernel copied the data in sendmmsg(). */
		rte_pktmbuf_free_bulk(pkts, n);
		moved += n;
		if (n < EXC_BURST)
			break;
	}
	return moved;
}

unsigned
dp_exc_poll(struct dp_exc *x)
{
	return exc_to_kernel(x) + exc_from_kernel(x) + exc_via_kernel(x);
}

void
dp_exc_get_stats(const struct dp_exc *x, struct dp_exc_stats *st)
{
	*st = x->st;
}

/* Add addr/prefix to the tap (RTM_NEWADDR). 0 or -errno. */
static int
exc_addr_add(int nl, unsigned ifindex, const struct sip_addr *a, uint8_t prefix)
{
	struct dp_nl_req q;
	struct ifaddrmsg *ifa;
	bool v4 = a->af == SIP_AF_INET;
	size_t len = v4 ? 4 : 16;

	ifa = dp_nl_init(&q, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, 1, sizeof(*ifa));
	ifa->ifa_family = v4 ? AF_INET : AF_INET6;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	dp_nl_put(&q, IFA_LOCAL, a->a, len);
	dp_nl_put(&q, IFA_ADDRESS, a->a, len);
	if (!v4) {
		uint32_t flags = IFA_F_NODAD;

		ifa->ifa_flags = IFA_F_NODAD;
		dp_nl_put(&q, IFA_FLAGS, &flags, sizeof(flags));
	}
	return dp_nl_transact(nl, &q, EXC_NL_TIMEOUT_MS);
}

/* The kernel side of the tap, before its link goes up. */
static int
exc_sysctls(const struct dp_exc_conf *c, char *err, size_t errlen)
{
	static const struct {
		const char *family, *key, *val;
		bool v6;                /* only when IPv6 is on */
	} tab[] = {
		{"ipv4", "forwarding", "0", false},
		{"ipv4", "arp_ignore", "1", false},
		{"ipv4", "arp_announce", "2", false},
		{"ipv6", "accept_ra", "0", true},
		{"ipv6", "router_solicitations", "0", true},
		{"ipv6", "dad_transmits", "0", true},
		/* Else the link-local stays tentative for up to a second (random DAD delay). */
		{"ipv6", "accept_dad", "0", true},
		{"ipv6", "disable_ipv6", "0", true},
	};
	bool v6 = c->addr6.af == SIP_AF_INET6;
	int ret;

	for (unsigned i = 0; i < RTE_DIM(tab); i++) {
		if (tab[i].v6 && !v6)
			continue;
		ret = dp_nl_sysctl(tab[i].family, c->ifname, tab[i].key, tab[i].val);
		if (ret != 0) {
			snprintf(err, errlen, "dp_exc: %s: sysctl net.%s.conf.%s.%s=%s: %s",
					c->ifname, tab[i].family, c->ifname, tab[i].key,
					tab[i].val, strerror(-ret));
			return ret;
		}
	}
	if (!v6) {
		/* Else link-local, DAD and RS noise. No IPv6 in this kernel is fine too. */
		ret = dp_nl_sysctl("ipv6", c->ifname, "disable_ipv6", "1");
		if (ret != 0 && ret != -ENOENT) {
			snprintf(err, errlen,
					"dp_exc: %s: sysctl net.ipv6.conf.%s.disable_ipv6=1: %s",
					c->ifname, c->ifname, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int
exc_check_conf(const struct dp_exc_conf *c, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;

	if (c->ifname == NULL || c->ifname[0] == '\0' || strlen(c->ifname) >= IF_NAMESIZE) {
		snprintf(err, errlen, "dp_exc: interface name missing or longer than %d",
				IF_NAMESIZE - 1);
		return -EINVAL;
	}
	if (!rte_eth_dev_is_valid_port(c->wire_port)) {
		snprintf(err, errlen, "dp_exc: %s: wire port %u does not exist", c->ifname,
				c->wire_port);
		return -ENODEV;
	}
	/* The wire port is configured first: its queue must be there. */
	if (c->egress == NULL && (rte_eth_dev_info_get(c->wire_port, &info) != 0 ||
			c->wire_txq >= info.nb_tx_queues)) {
		snprintf(err, errlen, "dp_exc: %s: wire port %u has no TX queue %u for the main "
				"lcore (configure the port first, or give an egress ring)",
				c->ifname, c->wire_port, c->wire_txq);
		return -EINVAL;
	}
	if (c->pool == NULL || c->ring_size < 2 || !rte_is_power_of_2(c->ring_size)) {
		snprintf(err, errlen, "dp_exc: %s: need a mempool and a power-of-2 ring size (%u)",
				c->ifname, c->ring_size);
		return -EINVAL;
	}
	if ((c->addr4.af != SIP_AF_NONE && (c->addr4.af != SIP_AF_INET || c->prefix4 > 32)) ||
			(c->addr6.af != SIP_AF_NONE &&
			(c->addr6.af != SIP_AF_INET6 || c->prefix6 > 128))) {
		snprintf(err, errlen, "dp_exc: %s: bad address family or prefix length",
				c->ifname);
		return -EINVAL;
	}
	return 0;
}

/* Probe the tap with the wire's MAC; the multiq qdisc error it logs is harmless here. */
static int
exc_tap_probe(struct dp_exc *x, const struct dp_exc_conf *c, char *err, size_t errlen)
{
	char args[96];
	int lt = rte_log_register("pmd.net.tap");
	int level = lt >= 0 ? rte_log_get_level((uint32_t)lt) : -1;
	int ret;

	snprintf(x->vdev, sizeof(x->vdev), "net_tap_%s", c->ifname);
	snprintf(args, sizeof(args), "iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT, c->ifname,
			RTE_ETHER_ADDR_BYTES(&c->mac));
	if (level >= 0)
		rte_log_set_level((uint32_t)lt, RTE_LOG_CRIT);
	/* EAL hotplug rather than rte_vdev_init(): no link to the vdev bus driver. */
	ret = rte_eal_hotplug_add("vdev", x->vdev, args);
	if (level >= 0)
		rte_log_set_level((uint32_t)lt, (uint32_t)level);
	if (ret != 0) {
		snprintf(err, errlen,
				"dp_exc: rte_eal_hotplug_add(vdev, %s, \"%s\"): %s "
				"(is /dev/net/tun there? does %s exist already? "
				"--log-level=pmd.net.tap:debug tells more)",
				x->vdev, args, strerror(ret < 0 ? -ret : ret), c->ifname);
		return ret < 0 ? ret : -ret;
	}
	x->tap_probed = true;
	ret = rte_eth_dev_get_port_by_name(x->vdev, &x->tap_port);
	if (ret != 0) {
		snprintf(err, errlen, "dp_exc: %s: no ethdev port after probe: %s", x->vdev,
				strerror(-ret));
		return ret;
	}
	return 0;
}

static int
exc_tap_setup(struct dp_exc *x, const struct dp_exc_conf *c, char *err, size_t errlen)
{
	struct rte_eth_conf pc = {0};
	struct rte_ether_addr mac, want = c->mac;
	uint16_t mtu;
	int ret, sock = rte_eth_dev_socket_id(x->tap_port);

	if (sock < 0)
		sock = (int)rte_socket_id();
	ret = rte_eth_dev_configure(x->tap_port, 1, 1, &pc);
	if (ret != 0) {
		snprintf(err, errlen, "dp_exc: %s: rte_eth_dev_configure(port %u): %s",
				c->ifname, x->tap_port, strerror(-ret));
		return ret;
	}
	ret = rte_eth_rx_queue_setup(x->tap_port, 0, EXC_TAP_DESC, (unsigned)sock, NULL, c->pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(x->tap_port, 0, EXC_TAP_DESC, (unsigned)sock, NULL);
	if (ret != 0) {
		snprintf(err, errlen, "dp_exc: %s: queue setup (port %u): %s", c->ifname,
				x->tap_port, strerror(-ret));
		return ret;
	}
	/* The kernel must size packets for the wire. */
	ret = rte_eth_dev_get_mtu(c->wire_port, &mtu);
	if (ret == 0)
		ret = rte_eth_dev_set_mtu(x->tap_port, mtu);
	x->tap_mtu = mtu;
	x->pool = c->pool;
	if (ret != 0) {
		snprintf(err, errlen, "dp_exc: %s: MTU from wire port %u: %s", c->ifname,
				c->wire_port, strerror(-ret));
		return ret;
	}
	ret = rte_eth_macaddr_get(x->tap_port, &mac);
	if (ret == 0 && !rte_is_same_ether_addr(&mac, &c->mac))
		ret = rte_eth_dev_default_mac_addr_set(x->tap_port, &want);
	if (ret != 0) {
		snprintf(err, errlen, "dp_exc: %s: setting MAC " RTE_ETHER_ADDR_PRT_FMT ": %s",
				c->ifname, RTE_ETHER_ADDR_BYTES(&c->mac), strerror(-ret));
		return ret;
	}
	x->ifindex = if_nametoindex(c->ifname);
	if (x->ifindex == 0) {
		ret = -errno;
		snprintf(err, errlen, "dp_exc: %s: if_nametoindex after probe: %s", c->ifname,
				strerror(errno));
		return ret;
	}
	return exc_sysctls(c, err, errlen);
}

static int
exc_raw_open(int family, const char *ifname, char *err, size_t errlen)
{
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
	int one = 1, ret;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "dp_exc: %s: socket(%s, SOCK_RAW, IPPROTO_RAW): %s", ifname,
				family == AF_INET ? "AF_INET" : "AF_INET6", strerror(errno));
		return ret;
	}
	/* IPPROTO_RAW implies the header is ours; say so for IPv6 on older kernels. */
	if (family == AF_INET6 &&
			setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "dp_exc: %s: setsockopt(IPV6_HDRINCL): %s", ifname,
				strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

static void
exc_ring_drain(struct rte_ring *r)
{
	struct rte_mbuf *pkts[EXC_BURST];
	unsigned n;

	while ((n = rte_ring_dequeue_burst(r, (void **)pkts, EXC_BURST, NULL)) != 0)
		rte_pktmbuf_free_bulk(pkts, n);
}

int
dp_exc_create(const struct dp_exc_conf *c, struct dp_exc **out, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];
	struct dp_exc *x;
	int nl, ret;

	*out = NULL;
	ret = exc_check_conf(c, err, errlen);
	if (ret != 0)
		return ret;
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		snprintf(err, errlen, "dp_exc: %s: out of memory", c->ifname);
		return -ENOMEM;
	}
	x->wire_port = c->wire_port;
	x->wire_txq = c->wire_txq;
	x->egress = c->egress;
	x->neigh = c->neigh;
	x->raw4 = x->raw6 = -1;
	snprintf(x->ifname, sizeof(x->ifname), "%s", c->ifname);

	/* Workers enqueue from any lcore; only the main lcore dequeues. */
	snprintf(name, sizeof(name), "exc_punt_%s", c->ifname);
	x->punt = rte_ring_create(name, c->ring_size, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (x->punt == NULL) {
		ret = -rte_errno;
		snprintf(err, errlen, "dp_exc: rte_ring_create(%s, %u): %s", name, c->ring_size,
				rte_strerror(rte_errno));
		goto fail_punt;
	}
	snprintf(name, sizeof(name), "exc_via_%s", c->ifname);
	x->via = rte_ring_create(name, c->ring_size, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (x->via == NULL) {
		ret = -rte_errno;
		snprintf(err, errlen, "dp_exc: rte_ring_create(%s, %u): %s", name, c->ring_size,
				rte_strerror(rte_errno));
		goto fail_via;
	}
	ret = exc_raw_open(AF_INET, c->ifname, err, errlen);
	if (ret < 0)
		goto fail_raw4;
	x->raw4 = ret;
	if (c->addr6.af == SIP_AF_INET6) {
		ret = exc_raw_open(AF_INET6, c->ifname, err, errlen);
		if (ret < 0)
			goto fail_raw6;
		x->raw6 = ret;
	}
	ret = dp_nl_open(NULL, 0, 0);
	if (ret < 0) {
		snprintf(err, errlen, "dp_exc: %s: rtnetlink socket: %s", c->ifname,
				strerror(-ret));
		goto fail_nl;
	}
	nl = ret;

	ret = exc_tap_probe(x, c, err, errlen);
	if (ret != 0)
		goto fail_tap;
	ret = exc_tap_setup(x, c, err, errlen);
	if (ret != 0)
		goto fail_tap;
	ret = rte_eth_dev_start(x->tap_port);
	if (ret != 0) {
		snprintf(err, errlen, "dp_exc: %s: rte_eth_dev_start(port %u): %s", c->ifname,
				x->tap_port, strerror(-ret));
		goto fail_tap;
	}
	x->tap_started = true;
	/*
	 * Addresses once the link is up: taking a link down drops IPv6 addresses,
	 * and IPv4 ones do not care.
	 */
	if (c->addr4.af == SIP_AF_INET) {
		ret = exc_addr_add(nl, x->ifindex, &c->addr4, c->prefix4);
		if (ret != 0) {
			snprintf(err, errlen, "dp_exc: %s: RTM_NEWADDR (IPv4 /%u): %s", c->ifname,
					c->prefix4, strerror(-ret));
			goto fail_tap;
		}
	}
	if (c->addr6.af == SIP_AF_INET6) {
		ret = exc_addr_add(nl, x->ifindex, &c->addr6, c->prefix6);
		if (ret != 0) {
			snprintf(err, errlen, "dp_exc: %s: RTM_NEWADDR (IPv6 /%u): %s", c->ifname,
					c->prefix6, strerror(-ret));
			goto fail_tap;
		}
	}
	if (x->neigh != NULL) {
		ret = dp_neigh_attach(x->neigh, x->ifindex);
		if (ret != 0) {
			snprintf(err, errlen, "dp_exc: %s: neighbour table attach (ifindex %u): %s",
					c->ifname, x->ifindex, strerror(-ret));
			goto fail_tap;
		}
	}
	close(nl);
	*out = x;
	return 0;

fail_tap:
	if (x->tap_started)
		rte_eth_dev_stop(x->tap_port);
	if (x->tap_probed) {
		rte_eth_dev_close(x->tap_port);
		rte_eal_hotplug_remove("vdev", x->vdev);
	}
	close(nl);
fail_nl:
	if (x->raw6 >= 0)
		close(x->raw6);
fail_raw6:
	close(x->raw4);
fail_raw4:
	rte_ring_free(x->via);
fail_via:
	rte_ring_free(x->punt);
fail_punt:
	free(x);
	return ret;
}

void
dp_exc_destroy(struct dp_exc *x)
{
	if (x == NULL)
		return;
	if (x->tap_started)
		rte_eth_dev_stop(x->tap_port);
	/* Closing the port closes the tap fd: the kernel interface goes away. */
	rte_eth_dev_close(x->tap_port);
	rte_eal_hotplug_remove("vdev", x->vdev);
	exc_ring_drain(x->via);
	exc_ring_drain(x->punt);
	if (x->raw6 >= 0)
		close(x->raw6);
	close(x->raw4);
	rte_ring_free(x->via);
	rte_ring_free(x->punt);
	free(x);
}
