/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SIP_H
#define SIP_H

/* Umbrella header of the SIP protocol core (libsip). */

#include "sip_addr.h"
#include "sip_aor.h"
#include "sip_auth.h"
#include "sip_build.h"
#include "sip_chars.h"
#include "sip_err.h"
#include "sip_hash.h"
#include "sip_hdr.h"
#include "sip_msg.h"
#include "sip_naddr.h"
#include "sip_scalar.h"
#include "sip_scan.h"
#include "sip_sign.h"
#include "sip_str.h"
#include "sip_uri.h"
#include "sip_validate.h"
#include "sip_via.h"

#endif
