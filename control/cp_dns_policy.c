/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 3263 / RFC 2782 policy of the resolver: pure functions, no I/O
 * (tests/control/test_cp_dns.c).
 */
#include "cp_dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
by_priority(const void *a, const void *b)
{
	const struct cp_dns_srv *x = a, *y = b;
	/* Weight 0 first within a priority (RFC 2782's selection starts with them). */
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return (x->weight != 0) - (y->weight != 0);
}

void
cp_dns_srv_order(struct cp_dns_srv *s, unsigned n, uint32_t (*rnd)(void *ctx), void *ctx)
{
	if (n < 2)
		return; /* nothing to order (and qsort() must not see NULL) */
	qsort(s, n, sizeof(*s), by_priority);
	for (unsigned lo = 0; lo < n;) {
		unsigned hi = lo;
		while (hi < n && s[hi].priority == s[lo].priority)
			hi++;
		/* s[lo..hi): one priority; pick its records one by one into s[lo], s[lo+1]... */
		for (unsigned k = lo; k + 1 < hi; k++) {
			uint64_t sum = 0;
			for (unsigned i = k; i < hi; i++)
				sum += s[i].weight;
			uint64_t r = sum ? rnd(ctx) % (sum + 1) : 0;
			uint64_t run = 0;
			unsigned pick = k;
			for (unsigned i = k; i < hi; i++) {
				run += s[i].weight;
				if (run >= r) {
					pick = i;
					break;
				}
			}
			/* Take it out, keeping the order of the rest (weight-0 records stay first). */
			struct cp_dns_srv t = s[pick];
			memmove(&s[k + 1], &s[k], (pick - k) * sizeof(*s));
			s[k] = t;
		}
		lo = hi;
	}
}

unsigned
cp_dns_srv_select(struct cp_dns_srv *s, unsigned n, unsigned cap, uint32_t (*rnd)(void *ctx),
		void *ctx)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (s[i].target[0] == '\0' || strcmp(s[i].target, ".") == 0)
			continue;
		if (k != i)
			s[k] = s[i];
		k++;
	}
	cp_dns_srv_order(s, k, rnd, ctx);
	return k < cap ? k : cap;
}

unsigned
cp_dns_targets_add(struct cp_dns_target *t, unsigned *n, unsigned cap,
		const struct cp_dns_srv *s, const struct sip_addr *a, const uint32_t *ttl,
		unsigned na, const struct sip_addr *own, unsigned n_own,
		const struct sip_addr *bcast, unsigned n_bcast, char *why, size_t whylen)
{
	unsigned refused = 0;

	for (unsigned i = 0; i < na; i++) {
		char text[64];
		size_t tl = sip_addr_format(&a[i], text, sizeof(text) - 1);
		if (tl == 0)
			continue;
		text[tl] = '\0'; /* sip_addr_format() does not terminate */
		const char *r = cp_dns_addr_refused(&a[i], own, n_own, bcast, n_bcast);
		if (r != NULL) {
			refused++;
			size_t l = strnlen(why, whylen);
			if (l < whylen)
				snprintf(why + l, whylen - l, "%s%s (%s: %s)", l ? ", " : "", text,
						s->target, r);
			continue;
		}
		bool dup = false;
		for (unsigned k = 0; k < *n && !dup; k++)
			dup = sip_addr_eq(&t[k].addr, &a[i]) && t[k].port == s->port;
		if (dup || *n >= cap)
			continue;
		struct cp_dns_target *x = &t[(*n)++];
		memset(x, 0, sizeof(*x));
		snprintf(x->srv, sizeof(x->srv), "%s", s->target);
		memcpy(x->text, text, sizeof(text));
		x->addr = a[i];
		x->port = s->port;
		x->priority = s->priority;
		x->weight = s->weight;
		x->ttl = ttl[i];
	}
	return refused;
}

enum cp_dns_tp
cp_dns_naptr_service(const char *service)
{
	if (strcasecmp(service, "SIP+D2U") == 0)
		return CP_DNS_TP_UDP;
	if (strcasecmp(service, "SIP+D2T") == 0)
		return CP_DNS_TP_TCP;
	if (strcasecmp(service, "SIPS+D2T") == 0)
		return CP_DNS_TP_TLS;
	return CP_DNS_TP_NONE;
}

static int
by_order(const void *a, const void *b)
{
	const struct cp_dns_naptr *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return 0;
}

unsigned
cp_dns_naptr_select(struct cp_dns_naptr *n, unsigned cnt, int *usable)
{
	unsigned k = 0;

	for (unsigned i = 0; i < cnt; i++) {
		n[i].tp = cp_dns_naptr_service(n[i].service);
		/* Terminal SRV records only ("s"); no regexp rewriting (RFC 3263 uses none). */
		if (n[i].tp == CP_DNS_TP_NONE || strcasecmp(n[i].flags, "s") != 0 ||
				n[i].replacement[0] == '\0' || strcmp(n[i].replacement, ".") == 0)
			continue;
		if (k != i)
			n[k] = n[i];
		k++;
	}
	/* Stable enough: equal (order, preference) keep no promised order (RFC 3403 leaves it). */
	if (k > 1)
		qsort(n, k, sizeof(*n), by_order);
	*usable = -1;
	for (unsigned i = 0; i < k; i++) {
		if (n[i].tp == CP_DNS_TP_UDP) {
			*usable = (int)i;
			break;
		}
	}
	return k;
}

uint32_t
cp_dns_ttl_clamp(uint32_t ttl, uint32_t min_s, uint32_t max_s)
{
	if (ttl < min_s)
		return min_s;
	if (ttl > max_s)
		return max_s;
	return ttl;
}

uint64_t
cp_dns_refresh_at(uint64_t got_ms, uint32_t ttl_s)
{
	return got_ms + (uint64_t)ttl_s * 750u;
}

enum cp_dns_stale
cp_dns_stale_policy(uint64_t now_ms, uint64_t expires_ms, uint64_t stale_max_ms)
{
	if (expires_ms == 0)
		return CP_DNS_NO_ANSWER;
	if (now_ms < expires_ms || now_ms - expires_ms <= stale_max_ms)
		return CP_DNS_KEEP_STALE;
	return CP_DNS_DROP;
}

static bool
in_list(const struct sip_addr *a, const struct sip_addr *l, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct sip_addr u = sip_addr_unmapped(&l[i]);
		if (sip_addr_eq(a, &u))
			return true;
	}
	return false;
}

const char *
cp_dns_addr_refused(const struct sip_addr *a_in, const struct sip_addr *own, unsigned n_own,
		const struct sip_addr *bcast, unsigned n_bcast)
{
	struct sip_addr a = sip_addr_unmapped(a_in);
	static const uint8_t zero[16];

	if (a.af != SIP_AF_INET && a.af != SIP_AF_INET6)
		return "unspecified";
	if (a.af == SIP_AF_INET) {
		if (memcmp(a.a, zero, 4) == 0)
			return "unspecified";
		if (a.a[0] == 127)
			return "loopback";
		if (a.a[0] >= 224 && a.a[0] <= 239)
			return "multicast";
		if (memcmp(a.a, "\xff\xff\xff\xff", 4) == 0)
			return "broadcast";
	} else {
		if (memcmp(a.a, zero, 16) == 0)
			return "unspecified";
		if (memcmp(a.a, zero, 15) == 0 && a.a[15] == 1)
			return "loopback";
		if (a.a[0] == 0xff)
			return "multicast";
	}
	if (in_list(&a, own, n_own))
		return "our own address";
	if (in_list(&a, bcast, n_bcast))
		return "a subnet broadcast address";
	/* The rest of what the fast path never sends to ("this network", ::a.b.c.d...). */
	if (sip_addr_is_forbidden_dst(&a))
		return "reserved";
	return NULL;
}
