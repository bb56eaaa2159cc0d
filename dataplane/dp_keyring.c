/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_keyring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_malloc.h>
#include <sodium/core.h>
#include <sodium/utils.h>

#include "dp_keys.h"

static uint64_t
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

/* Make ring the one workers sign with; free the previous one once no worker holds it. */
static void
publish(struct dp_app *app, struct sip_keyring *ring)
{
	struct sip_keyring *old = app->keys;

	app->keys = ring;
	__atomic_store_n(&app->sip4.keys, ring, __ATOMIC_RELEASE);
	__atomic_store_n(&app->sip6.keys, ring, __ATOMIC_RELEASE);
	if (old == NULL)
		return;
	if (app->qsbr != NULL)
		rte_rcu_qsbr_synchronize(app->qsbr, RTE_QSBR_THRID_INVALID);
	sodium_memzero(old, sizeof(*old));
	rte_free(old);
}

static struct sip_keyring *
ring_alloc(void)
{
	return rte_zmalloc("sipline_keys", sizeof(struct sip_keyring), RTE_CACHE_LINE_SIZE);
}

int
dp_keys_setup(struct dp_app *app, char *err, size_t errlen)
{
	const struct dp_options *o = &app->opt;
	struct dp_key_file kf = {.has_prev = false};
	struct sip_keyring *ring;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium: cannot initialise (no entropy source?)");
		return -EIO;
	}
	if (o->secret_file[0] != '\0') {
		if (dp_key_file_read(o->secret_file, &kf, err, errlen) != 0)
			return -EINVAL;
	} else if (o->secret_set) {
		memcpy(kf.cur, o->secret, SIP_KEY_LEN);
		fprintf(stderr, "sipline: --secret is deprecated: the key shows in ps and in the "
				"shell history; use --secret-file\n");
	} else {
		dp_key_random(kf.cur);
		fprintf(stderr, "sipline: no --secret-file: signing with a random key (a cluster "
				"needs one shared key; dialogs do not survive a restart)\n");
	}
	ring = ring_alloc();
	if (ring == NULL) {
		snprintf(err, errlen, "out of memory for the signing keys");
		return -ENOMEM;
	}
	dp_keyring_next(NULL, &kf, ring);
	sodium_memzero(&kf, sizeof(kf));
	app->keys_prev_until = ring->has_prev ? wall_now() + o->secret_grace : 0;
	publish(app, ring);
	char fp[SIP_KEY_FP_LEN + 1];
	dp_keys_fingerprint(app, fp);
	fprintf(stderr, "sipline: signing key fingerprint %s%s\n", fp,
			ring->has_prev ? " (previous key accepted during the grace period)" : "");
	return 0;
}

void
dp_keys_reload(struct dp_app *app)
{
	struct dp_key_file kf;
	struct sip_keyring next, *ring;
	char err[512];

	if (app->opt.secret_file[0] == '\0')
		return;
	if (dp_key_file_read(app->opt.secret_file, &kf, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipline: SIGHUP: %s; the keys in use stay\n", err);
		return;
	}
	bool changed = dp_keyring_next(app->keys, &kf, &next);
	bool rotated = sodium_memcmp(app->keys->cur.k, kf.cur, SIP_KEY_LEN) != 0;
	sodium_memzero(&kf, sizeof(kf));
	if (!changed) {
		sodium_memzero(&next, sizeof(next));
		return;
	}
	ring = ring_alloc();
	if (ring == NULL) {
		fprintf(stderr, "sipline: SIGHUP: out of memory for the new keys; the keys in use "
				"stay\n");
		sodium_memzero(&next, sizeof(next));
		return;
	}
	*ring = next;
	sodium_memzero(&next, sizeof(next));
	if (rotated || !app->keys->has_prev)
		app->keys_prev_until = ring->has_prev ? wall_now() + app->opt.secret_grace : 0;
	publish(app, ring);
	char fp[SIP_KEY_FP_LEN + 1];
	dp_keys_fingerprint(app, fp);
	printf("sipline: signing key %s: fingerprint %s; the previous key is accepted for %u s\n",
			rotated ? "rotated" : "reloaded", fp, app->opt.secret_grace);
	fflush(stdout);
}

void
dp_keys_poll(struct dp_app *app, uint64_t now_s)
{
	struct sip_keyring *ring;

	if (app->keys == NULL || !app->keys->has_prev || now_s < app->keys_prev_until)
		return;
	ring = ring_alloc();
	if (ring == NULL)
		return; /* try again next time */
	ring->cur = app->keys->cur;
	ring->has_prev = false;
	publish(app, ring);
	printf("sipline: signing key grace period over: the previous key is no longer accepted\n");
	fflush(stdout);
}

void
dp_keys_fingerprint(const struct dp_app *app, char out[SIP_KEY_FP_LEN + 1])
{
	sip_key_fingerprint(&app->keys->cur, out);
	out[SIP_KEY_FP_LEN] = '\0';
}

void
dp_keys_free(struct dp_app *app)
{
	if (app->keys != NULL) {
		sodium_memzero(app->keys, sizeof(*app->keys));
		rte_free(app->keys);
		app->keys = NULL;
	}
}
