/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_err.h"

static const struct {
	unsigned short status;
	const char *name;
	const char *text;
} sip_err_table[SIP_E__COUNT] = {
#define SIP_ERR_ROW(n, st, tx) [SIP_E_##n] = {st, #n, tx},
	SIP_ERRORS(SIP_ERR_ROW)
#undef SIP_ERR_ROW
};

static unsigned
err_index(int err)
{
	unsigned e = (unsigned)(err < 0 ? -err : err);
	return e < SIP_E__COUNT ? e : 0;
}

unsigned
sip_err_status(int err)
{
	return sip_err_table[err_index(err)].status;
}

const char *
sip_err_text(int err)
{
	unsigned e = (unsigned)(err < 0 ? -err : err);
	return e < SIP_E__COUNT ? sip_err_table[e].text : "unknown error";
}

const char *
sip_err_name(int err)
{
	unsigned e = (unsigned)(err < 0 ? -err : err);
	return e < SIP_E__COUNT ? sip_err_table[e].name : "UNKNOWN";
}
