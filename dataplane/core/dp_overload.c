/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_overload.h"

/* Method names ending in their space: case-sensitive (RFC 3261 §7.1). */
static const struct {
	char text[8];
	uint8_t len;
} kept[] = {
	{"SIP/2.0 ", 8}, {"ACK ", 4}, {"BYE ", 4}, {"CANCEL ", 7},
	{"PRACK ", 6}, {"UPDATE ", 7}, {"INFO ", 5}, {"NOTIFY ", 7},
};

bool
dp_overload_sheddable(const char *p, uint32_t len)
{
	for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (len >= kept[i].len && memcmp(p, kept[i].text, kept[i].len) == 0)
			return false;
	return true;
}
