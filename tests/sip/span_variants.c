/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One ISA's build of the span functions: meson compiles this file once per
 * variant with SPAN_VARIANT set to its name and the ISA flags of that name.
 */
#include "sip_lex.h"
#include "span_variants.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

#define SPAN_FNS(name, cls) \
	static const char *span_##name(const char *p, const char *end) \
	{ \
		return sip_span(p, end, (cls)); \
	} \
	static const char *escaped_##name(const char *p, const char *end) \
	{ \
		return sip_span_escaped(p, end, (cls)); \
	}
SIP_SPAN_SETS(SPAN_FNS)

static const char *
find_gt_or_ctl(const char *p, const char *end)
{
	return lex_find_or_ctl(p, end, '>');
}

static const char *
find_gt(const char *p, const char *end)
{
	return lex_find(p, end, '>');
}

static unsigned
count_gt(const char *p, const char *end)
{
	return lex_count(p, end, '>');
}

static const char *
uint_span(const char *p, const char *end, uint64_t *v)
{
	return lex_uint_span(p, end, 65535, v);
}

#define SPAN_ROW(name, cls) [SIP_SPAN_##name] = span_##name,
#define ESCAPED_ROW(name, cls) [SIP_SPAN_##name] = escaped_##name,

#define STR_(x) #x
#define STR(x) STR_(x)

const struct span_variant CAT(span_variant_, SPAN_VARIANT) = {
	.name = STR(SPAN_VARIANT),
#if defined(__AVX2__)
	.isa = "avx2",
#elif defined(__SSSE3__)
	.isa = "ssse3",
#else
	.isa = "none",
#endif
	.span = { SIP_SPAN_SETS(SPAN_ROW) },
	.escaped = { SIP_SPAN_SETS(ESCAPED_ROW) },
	.find_gt_or_ctl = find_gt_or_ctl,
	.find_gt = find_gt,
	.count_gt = count_gt,
	.uint_span = uint_span,
};
