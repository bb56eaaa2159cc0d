/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The peer ACL's LPM index (dataplane/dp_acl_lpm.c, DPDK's rte_lpm and
 * rte_lpm6) against its specification, the linear lookup of
 * dataplane/core/dp_acl.h: random nested lists, random sources, the same
 * verdict every time; and the sources of the table the workers read: the
 * --acl file, a text pushed by the control plane (which SIGHUP leaves
 * alone), a broken push or clear that changes nothing. Its DPDK runtime
 * directory is removed at the end.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>

#include "dp_acl_lpm.h"
#include "dp_app.h"
#include "sl_link.h"
#include "dp_test_eal.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A random network of family af inside 10.0.0.0/8 or 2001:db8::/32 (so lists nest). */
static void
random_net(uint8_t af, struct sip_addr *a, unsigned *plen)
{
	memset(a, 0, sizeof(*a));
	a->af = af;
	if (af == SIP_AF_INET) {
		uint32_t x = 0x0a000000u | (uint32_t)(rnd() & 0x00ffffffu);
		*plen = 8 + (unsigned)(rnd() % 25);
		x &= *plen == 32 ? 0xffffffffu : ~(0xffffffffu >> *plen);
		a->a[0] = (uint8_t)(x >> 24);
		a->a[1] = (uint8_t)(x >> 16);
		a->a[2] = (uint8_t)(x >> 8);
		a->a[3] = (uint8_t)x;
	} else {
		a->a[0] = 0x20;
		a->a[1] = 0x01;
		a->a[2] = 0x0d;
		a->a[3] = 0xb8;
		for (int i = 4; i < 16; i++)
			a->a[i] = (uint8_t)rnd();
		*plen = 32 + (unsigned)(rnd() % 97);
		for (unsigned bit = *plen; bit < 128; bit++)
			a->a[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
	}
}

static void
lpm_matches_reference(void **state)
{
	(void)state;
	static char text[1 << 20];
	static char keys[2048][96];
	char err[512];
	int compared = 0;
	for (int round = 0; round < 20; round++) {
		unsigned n_keys = 0;
		size_t n = 0;
		static const char *const dflt[] = {"default allow", "default deny drop",
			"default deny 403", "default allow register"};
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n", dflt[round % 4]);
		unsigned entries = 50 + (unsigned)(rnd() % 2000);
		for (unsigned i = 0; i < entries; i++) {
			struct sip_addr a;
			unsigned plen;
			random_net(rnd() % 4 == 0 ? SIP_AF_INET6 : SIP_AF_INET, &a, &plen);
			char ip[64];
			ip[sip_addr_format(&a, ip, sizeof(ip) - 1)] = 0;
			static const char *const verb[] = {"allow", "allow", "deny", "deny"};
			static const char *const mod[] = {"", " register", " 403", " drop"};
			unsigned ai = (unsigned)(rnd() % 4);
			char port[16] = "";
			if (rnd() % 4 == 0)
				snprintf(port, sizeof(port), " port %u", 5060 + (unsigned)(rnd() % 3));
			/* One entry per prefix and port (a duplicate is an error of the file). */
			char key[96];
			snprintf(key, sizeof(key), "%s/%u%s", ip, plen, port);
			bool dup = false;
			for (unsigned d = 0; d < n_keys && !dup; d++)
				dup = strcmp(keys[d], key) == 0;
			if (dup || n_keys == 2048)
				continue;
			snprintf(keys[n_keys++], sizeof(keys[0]), "%s", key);
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s %s/%u%s%s\n",
					verb[ai], ip, plen, port, mod[ai]);
		}
		struct dp_acl acl, ref;
		if (dp_acl_parse(text, n, "r.acl", &acl, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_int_equal(dp_acl_parse(text, n, "r.acl", &ref, err, sizeof(err)), 0);
		struct dp_acl_table *t = dp_acl_table_build(&acl, 0, err, sizeof(err));
		if (t == NULL)
			fail_msg("build: %s", err);
		for (int k = 0; k < 20000; k++) {
			struct sip_addr a;
			unsigned plen;
			/* Sources near the lists' networks: host bits randomised. */
			random_net(rnd() % 4 == 0 ? SIP_AF_INET6 : SIP_AF_INET, &a, &plen);
			if (a.af == SIP_AF_INET)
				a.a[3] = (uint8_t)rnd();
			else
				a.a[15] = (uint8_t)rnd();
			if (k % 7 == 0 && ref.n_groups > 0) {
				/* Exactly a listed network's address. */
				a = ref.groups[rnd() % ref.n_groups].net;
			}
			uint16_t port = (uint16_t)(5059 + rnd() % 4);
			uint8_t want = dp_acl_lookup_ref(&ref, &a, port);
			uint8_t got = dp_acl_table_verdict(t, &a, port);
			if (want != got) {
				char ip[64];
				ip[sip_addr_format(&a, ip, sizeof(ip) - 1)] = 0;
				fail_msg("round %d: %s port %u: LPM says %s, the reference %s", round, ip,
						port, dp_acl_verdict_name(got), dp_acl_verdict_name(want));
			}
		}
		dp_acl_table_free(t);
		dp_acl_clear(&ref);
		compared++;
	}
	assert_int_equal(compared, 20);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static uint8_t
verdict(struct dp_app *app, const char *ip)
{
	struct sip_addr a;
	assert_int_equal(sip_addr_parse(sip_str_make(ip, strlen(ip)), &a), 0);
	return dp_acl_cb(app, &a, 5060);
}

static void
push_replaces_file(void **state)
{
	struct dp_app *app = calloc(1, sizeof(*app)); /* no workers: no grace period to wait */
	struct dp_acl_errors errs;
	struct sl_acl_state st;
	char err[400];
	(void)state;

	assert_non_null(app);
	/* One worker without --acl's callback: a push switches it on, a clear to none off. */
	struct dp_worker *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	app->w[0] = w;
	app->n_lcores = 1;
	snprintf(app->opt.acl, sizeof(app->opt.acl), "/tmp/test_dp_acl_lpm.%d.acl", (int)getpid());
	write_file(app->opt.acl, "default deny 403\n");
	assert_int_equal(verdict(app, "10.0.0.1"), DP_ACL_ALLOW); /* nothing loaded yet */
	assert_int_equal(dp_acl_reload(app, err, sizeof(err)), 0);
	dp_acl_state(&st);
	assert_int_equal(st.source, SL_ACL_FILE);
	assert_int_equal(verdict(app, "10.0.0.1"), DP_ACL_DENY_403);

	/* A broken push: every error, nothing changes. */
	static const char bad[] = "allow 192.0.2.0/24\nbogus\nallow 10.0.0.1/8\n";
	assert_int_equal(dp_acl_push(app, bad, strlen(bad), 3, &errs), -EINVAL);
	assert_int_equal(errs.total, 2);
	assert_non_null(strstr(errs.msg[0], "acl:2: "));
	assert_non_null(strstr(errs.msg[1], "acl:3: "));
	assert_int_equal(verdict(app, "10.0.0.1"), DP_ACL_DENY_403);
	dp_acl_state(&st);
	assert_int_equal(st.source, SL_ACL_FILE);

	static const char good[] = "default deny drop\nallow 192.0.2.0/24\n";
	assert_int_equal(dp_acl_push(app, good, strlen(good), 7, &errs), 0);
	assert_ptr_equal(w->env4.acl, dp_acl_cb);
	assert_ptr_equal(w->env6.acl, dp_acl_cb);
	assert_ptr_equal(w->env4.acl_ctx, app);
	dp_acl_state(&st);
	assert_int_equal(st.source, SL_ACL_PUSHED);
	assert_int_equal(st.version, 7);
	assert_int_equal(st.entries, 1);
	assert_int_equal(strlen(st.sha256), 64);
	assert_int_equal(verdict(app, "192.0.2.1"), DP_ACL_ALLOW);
	assert_int_equal(verdict(app, "10.0.0.1"), DP_ACL_DENY_DROP);

	/* SIGHUP with a changed file: the pushed ACL stays. */
	write_file(app->opt.acl, "default allow\n");
	assert_int_equal(dp_acl_reload(app, err, sizeof(err)), 0);
	assert_int_equal(verdict(app, "10.0.0.1"), DP_ACL_DENY_DROP);

	/* A clear while the file is broken: refused, the pushed list serves. */
	write_file(app->opt.acl, "default maybe\n");
	assert_int_equal(dp_acl_unpush(app, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":1: "));
	dp_acl_state(&st);
	assert_int_equal(st.source, SL_ACL_PUSHED);
	assert_int_equal(verdict(app, "10.0.0.1"), DP_ACL_DENY_DROP);

	/* Cleared with a good file: the file again. */
	write_file(app->opt.acl, "default allow\n");
	assert_int_equal(dp_acl_unpush(app, err, sizeof(err)), 0);
	dp_acl_state(&st);
	assert_int_equal(st.source, SL_ACL_FILE);
	assert_int_equal(verdict(app, "10.0.0.1"), DP_ACL_ALLOW);

	/* Without --acl a clear leaves no ACL at all. */
	assert_int_equal(dp_acl_push(app, good, strlen(good), 8, &errs), 0);
	unlink(app->opt.acl);
	app->opt.acl[0] = '\0';
	assert_int_equal(dp_acl_unpush(app, err, sizeof(err)), 0);
	dp_acl_state(&st);
	assert_int_equal(st.source, SL_ACL_NONE);
	assert_int_equal(verdict(app, "10.0.0.1"), DP_ACL_ALLOW);
	/* No ACL: the fast path is told so (NULL), as a dataplane started without --acl. */
	assert_null(w->env4.acl);
	assert_null(w->env6.acl);
	dp_acl_release(app);
	free(w);
	free(app);
}

int
main(void)
{
	/* 512 MB: a table (rte_lpm and rte_lpm6, 64 MB of tbl24 each) is built beside the old. */
	if (dp_test_eal_start("test_dp_acl_lpm", "acl", 512, false) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lpm_matches_reference),
		cmocka_unit_test(push_replaces_file),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_test_eal_stop("test_dp_acl_lpm", "acl");
	return rc;
}
