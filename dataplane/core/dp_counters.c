/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_counters.h"

static const char *const names[DP_C__COUNT] = {
#define DP_COUNTER_NAME(name, desc) [DP_C_##name] = #name,
	DP_COUNTERS(DP_COUNTER_NAME)
#undef DP_COUNTER_NAME
};

static const char *const descs[DP_C__COUNT] = {
#define DP_COUNTER_DESC(name, desc) [DP_C_##name] = desc,
	DP_COUNTERS(DP_COUNTER_DESC)
#undef DP_COUNTER_DESC
};

/* Lower-case copies of the names, built once (exported names are lower-case). */
static char lower[DP_C__COUNT][40];

__attribute__((constructor)) static void
dp_counter_names_init(void)
{
	for (unsigned i = 0; i < DP_C__COUNT; i++) {
		unsigned j = 0;
		for (; names[i][j] && j < sizeof(lower[i]) - 1; j++) {
			char ch = names[i][j];
			lower[i][j] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
		}
		lower[i][j] = '\0';
	}
}

const char *
dp_counter_name(enum dp_counter c)
{
	return c < DP_C__COUNT ? lower[c] : "unknown";
}

const char *
dp_counter_desc(enum dp_counter c)
{
	return c < DP_C__COUNT ? descs[c] : "";
}
