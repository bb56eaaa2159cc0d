/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PARSE_REFERENCE_H
#define PARSE_REFERENCE_H

#include <stddef.h>

#include "sip_msg.h"

/* sip_parse() as at commit f266a80 (parse_reference.c); same contract. */
int sip_parse_reference(struct sip_msg *m, const char *buf, size_t len, unsigned flags);

#endif
