/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_match.h"

#include <stdlib.h>
#include <string.h>

#include "gen_tmpl.h"

/* The Call-ID value: after "\nCall-ID:" or the compact "\ni:" (any case), spaces skipped. */
static const char *
find_callid(const char *p, uint32_t len, const char **end)
{
	const char *e = p + len;
	for (const char *q = p; q < e;) {
		const char *nl = memchr(q, '\n', (size_t)(e - q));
		if (nl == NULL || nl + 1 >= e)
			return NULL;
		const char *h = nl + 1;
		size_t left = (size_t)(e - h);
		const char *v = NULL;
		if (left > 8 && strncasecmp(h, "Call-ID", 7) == 0)
			v = h + 7;
		else if (left > 2 && (h[0] == 'i' || h[0] == 'I') && (h[1] == ':' || h[1] == ' ' ||
				h[1] == '\t'))
			v = h + 1;
		if (v != NULL) {
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			if (v < e && *v == ':') {
				v++;
				while (v < e && (*v == ' ' || *v == '\t'))
					v++;
				*end = e;
				return v;
			}
		}
		if (h[0] == '\r' || h[0] == '\n')
			return NULL; /* the end of the headers */
		q = h;
	}
	return NULL;
}

enum gen_kind
gen_match(const char *p, uint32_t len, struct gen_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len >= 12 && memcmp(p, "SIP/2.0 ", 8) == 0) {
		unsigned s = 0;
		for (int i = 8; i < 11; i++) {
			if (p[i] < '0' || p[i] > '9')
				return m->kind = GEN_K_GARBAGE;
			s = s * 10 + (unsigned)(p[i] - '0');
		}
		if (s < 100 || s > 699)
			return m->kind = GEN_K_GARBAGE;
		m->status = (uint16_t)s;
		m->kind = (enum gen_kind)(GEN_K_1XX + (s / 100 - 1));
	} else {
		const char *sp = memchr(p, ' ', len < 32 ? len : 32);
		if (sp == NULL || sp == p || memmem(p, len, " SIP/2.0\r\n", 10) == NULL)
			return m->kind = GEN_K_GARBAGE;
		m->kind = GEN_K_REQUEST;
	}
	const char *end;
	const char *v = find_callid(p, len, &end);
	if (v == NULL || end - v < 36 || v[0] != 's' || v[1] != 'g' || v[35] != '@' ||
			gen_unhex16(v + 3, &m->seq) != 0 || gen_unhex16(v + 19, &m->tsc) != 0) {
		return m->kind = GEN_K_FOREIGN;
	}
	m->cls = v[2];
	m->callid = v;
	return m->kind;
}

uint16_t
gen_gw_status(const struct gen_expect *e, uint64_t seq)
{
	if (e->gw_n == 0)
		return 200;
	/* A fixed mix of the sequence number: the same answer on both sides, spread evenly. */
	uint64_t h = seq * 0x9e3779b97f4a7c15ull;
	unsigned pct = (unsigned)((h >> 32) % 100);
	unsigned acc = 0;
	for (unsigned i = 0; i < e->gw_n; i++) {
		acc += e->gw_weights[i];
		if (pct < acc)
			return e->gw_codes[i];
	}
	return e->gw_codes[e->gw_n - 1];
}

bool
gen_expected(const struct gen_expect *e, char cls, uint64_t seq, uint16_t status)
{
	switch (cls) {
	case 'r':
		return status >= 300 && status < 400;
	case 'f':
		return status == gen_gw_status(e, seq);
	case 'n':
		return status == e->noroute;
	default:
		return status >= 200;
	}
}

int
gen_seen_init(struct gen_seen *s, unsigned bits)
{
	s->mask = (1ull << bits) - 1;
	s->bits = calloc((size_t)((1ull << bits) / 64 + 1), sizeof(uint64_t));
	return s->bits == NULL ? -1 : 0;
}

void
gen_seen_free(struct gen_seen *s)
{
	free(s->bits);
	s->bits = NULL;
}
