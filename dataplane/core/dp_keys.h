/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DP_KEYS_H
#define DP_KEYS_H

/*
 * Where the signing keys of branches, To-tags and Record-Route come from
 * (sip_sign.h): a key file readable by its owner only (--secret-file),
 * --secret on the command line (deprecated: it shows in ps), or random at
 * start-up (a single node; a cluster needs one shared key). No DPDK here:
 * the dataplane publishes the result and the control plane reads the same
 * file.
 *
 * Key file: '#' starts a comment; the first key line is the current key,
 * 32 hex digits (128 bits); an optional second key line is the previous
 * key, still accepted for verification (not used to sign) during the grace
 * period after loading, so dialogs signed before a rotation keep working
 * across a restart. Weak keys (sip_key_is_weak()) are refused.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_sign.h"

/* What a key file holds. */
struct dp_key_file {
	uint8_t cur[SIP_KEY_LEN];
	uint8_t prev[SIP_KEY_LEN];
	bool has_prev;
};

/*
 * Read path: a regular file (not a FIFO or device: never blocks), owned by
 * us or root, with no permission for group or others, of at most 4 KiB.
 * Returns 0, or -1 with a message naming the file (and file:line) in err.
 */
int dp_key_file_read(const char *path, struct dp_key_file *kf, char *err, size_t errlen);

/* A fresh random key (libsodium's CSPRNG; sodium_init() must have succeeded). */
void dp_key_random(uint8_t raw[SIP_KEY_LEN]);

/*
 * The keyring after loading kf when old (may be NULL) was serving: cur from
 * the file; prev from the file if it names one, else old's current key when
 * it differs from the new one (a rotation). Returns true when something
 * changed (old NULL: always).
 */
bool dp_keyring_next(const struct sip_keyring *old, const struct dp_key_file *kf,
		struct sip_keyring *out);

#endif
