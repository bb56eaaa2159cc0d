/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_AOR_H
#define SIP_AOR_H

/*
 * The one form of an address-of-record key, used by the registrar when it
 * stores a binding and by the dataplane when it looks one up (dp_loc), so
 * that both agree byte for byte. From a SIP URI's user part and host
 * (RFC 3261 §19.1.4 comparison rules):
 *   - user: case kept (it is case-sensitive); a %HH escape of an
 *     unreserved character is decoded ("%61lice" -> "alice"), any other
 *     escape is kept with upper-case hex ("%2f" -> "%2F"); a '%' not
 *     followed by two hex digits is kept as it is;
 *   - host: ASCII lower-cased (IPv6 without brackets, as sip_uri gives it);
 *   - key = user "@" host; "user@" for a binding valid in any domain.
 * URI parameters, ports and the scheme are not part of the key.
 */

#include <stddef.h>

#include "sip_str.h"

/* Write the key into out (cap bytes, no NUL). Returns its length, or -1 if it does not fit. */
int sip_aor_key(char *out, size_t cap, struct sip_str user, struct sip_str host);

#endif
