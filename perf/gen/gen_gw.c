/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_gw.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The header name of a line (full or compact) as one of these, or 0. */
enum hname { H_OTHER = 0, H_VIA, H_FROM, H_TO, H_CALLID, H_CSEQ, H_MAXFWD };

static enum hname
name_of(const char *h, size_t n)
{
	static const struct {
		const char *name;
		enum hname h;
	} names[] = {{"via", H_VIA}, {"v", H_VIA}, {"from", H_FROM}, {"f", H_FROM}, {"to", H_TO},
		{"t", H_TO}, {"call-id", H_CALLID}, {"i", H_CALLID}, {"cseq", H_CSEQ},
		{"max-forwards", H_MAXFWD}};
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == n && strncasecmp(h, names[i].name, n) == 0)
			return names[i].h;
	return H_OTHER;
}

/* Calls fn for each header line (no folding support: the router does not fold). */
#define FOR_EACH_LINE(p, len, line, llen, ...)                                                   \
	do {                                                                                       \
		const char *e_ = (p) + (len);                                                      \
		const char *q_ = memchr((p), '\n', (len));                                         \
		while (q_ != NULL && ++q_ < e_) {                                                  \
			const char *nl_ = memchr(q_, '\n', (size_t)(e_ - q_));                     \
			if (nl_ == NULL)                                                           \
				break;                                                             \
			const char *line = q_;                                                     \
			size_t llen = (size_t)(nl_ - q_);                                          \
			if (llen > 0 && line[llen - 1] == '\r')                                    \
				llen--;                                                            \
			if (llen == 0)                                                             \
				break;                                                             \
			__VA_ARGS__ q_ = nl_;                                                         \
		}                                                                                  \
	} while (0)

static uint32_t
fnv(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h | 1;
}

void
gen_gw_inspect(const char *p, uint32_t len, const char *our_sent_by, struct gen_gw_check *c)
{
	memset(c, 0, sizeof(*c));
	c->max_forwards = -1;
	bool first_via = true;
	FOR_EACH_LINE(p, len, line, llen, {
		const char *colon = memchr(line, ':', llen);
		if (colon != NULL) {
			enum hname h = name_of(line, (size_t)(colon - line));
			const char *v = colon + 1;
			size_t vl = llen - (size_t)(v - line);
			if (h == H_MAXFWD) {
				int mf = 0;
				size_t i = 0;
				while (i < vl && (v[i] == ' ' || v[i] == '\t'))
					i++;
				for (; i < vl && v[i] >= '0' && v[i] <= '9'; i++)
					mf = mf * 10 + (v[i] - '0');
				c->max_forwards = mf;
			} else if (h == H_VIA) {
				c->vias++;
				for (size_t i = 0; i < vl; i++)
					if (v[i] == ',')
						c->vias++;
				if (first_via) {
					first_via = false;
					/* sent-by: after "SIP/2.0/UDP ", up to ';' ',' or the end. */
					const char *sb = memmem(v, vl, "SIP/2.0/", 8);
					if (sb != NULL) {
						sb += 8;
						while (sb < v + vl && *sb != ' ')
							sb++;
						while (sb < v + vl && *sb == ' ')
							sb++;
						size_t sbl = 0;
						while (sb + sbl < v + vl && sb[sbl] != ';' &&
								sb[sbl] != ',' && sb[sbl] != ' ')
							sbl++;
						c->top_is_router = !(strlen(our_sent_by) == sbl &&
								memcmp(sb, our_sent_by, sbl) == 0);
					}
					const char *br = memmem(v, vl, "branch=", 7);
					if (br != NULL) {
						br += 7;
						size_t bl = 0;
						while (br + bl < v + vl && br[bl] != ';' && br[bl] != ',' &&
								br[bl] != ' ')
							bl++;
						c->branch_hash = fnv(br, bl);
					}
				}
			}
		}
	});
}

uint32_t
gen_gw_answer(const char *p, uint32_t len, uint16_t status, char *out, uint32_t cap)
{
	const char *reason = status == 200 ? "OK" : status == 486 ? "Busy Here" :
			status == 503 ? "Service Unavailable" : status == 480 ? "Temporarily Unavailable" :
			"Gateway Answer";
	int n = snprintf(out, cap, "SIP/2.0 %u %s\r\n", status, reason);
	if (n < 0 || (uint32_t)n >= cap)
		return 0;
	uint32_t o = (uint32_t)n;
	unsigned have = 0;
	FOR_EACH_LINE(p, len, line, llen, {
		const char *colon = memchr(line, ':', llen);
		enum hname h = colon ? name_of(line, (size_t)(colon - line)) : H_OTHER;
		if (h == H_VIA || h == H_FROM || h == H_TO || h == H_CALLID || h == H_CSEQ) {
			bool tag = h == H_TO && memmem(line, llen, ";tag=", 5) == NULL;
			size_t need = llen + 2 + (tag ? 8 : 0);
			if (o + need >= cap)
				return 0;
			memcpy(out + o, line, llen);
			o += (uint32_t)llen;
			if (tag) {
				memcpy(out + o, ";tag=gw1", 8);
				o += 8;
			}
			memcpy(out + o, "\r\n", 2);
			o += 2;
			have |= 1u << h;
		}
	});
	unsigned need = 1u << H_VIA | 1u << H_FROM | 1u << H_TO | 1u << H_CALLID | 1u << H_CSEQ;
	static const char tail[] = "Content-Length: 0\r\n\r\n";
	if ((have & need) != need || o + sizeof(tail) > cap)
		return 0;
	memcpy(out + o, tail, sizeof(tail) - 1);
	return o + (uint32_t)sizeof(tail) - 1;
}
