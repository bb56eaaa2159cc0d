/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_KEYRING_H
#define DP_KEYRING_H

/*
 * The signing keys the workers use (struct sip_keyring, pointed to by both
 * families' dp_sip_config): loaded at start-up, rotated on SIGHUP by
 * re-reading --secret-file, the previous key accepted for --secret-grace
 * seconds. A new ring is published with one atomic pointer store; the old
 * one is freed after an RCU grace period. Main lcore only.
 */

#include <stddef.h>
#include <stdint.h>

#include "dp_app.h"

/* Start-up: --secret-file, --secret or a random key. 0 or -errno (message in err). */
int dp_keys_setup(struct dp_app *app, char *err, size_t errlen);

/* SIGHUP: re-read --secret-file; a bad file is reported and the keys in use stay. */
void dp_keys_reload(struct dp_app *app);

/* Once a second or so: the end of a rotation's grace period drops the previous key. */
void dp_keys_poll(struct dp_app *app, uint64_t now_s);

/* The current key's fingerprint (sip_key_fingerprint()), NUL-terminated. */
void dp_keys_fingerprint(const struct dp_app *app, char out[SIP_KEY_FP_LEN + 1]);

void dp_keys_free(struct dp_app *app);

#endif
