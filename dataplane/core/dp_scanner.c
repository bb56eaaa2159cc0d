/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_scanner.h"
#include "dp_scanner_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

/*
 * Tools that announce themselves: SIPVicious (svmap/svwar/svcrack:
 * "friendly-scanner", From "sipvicious"), sipcli, sip-scan/SIPScan,
 * VaxSIPUserAgent (the VaxVoIP SDK, its default in scans), sundayddr,
 * iWar, SIVuS, pplsip. Short or generic names (smap, sipsak: also a
 * legitimate test tool) are left out: a false positive silences a peer.
 */
const struct dp_scanner_pat dp_scanner_defaults[] = {
	{"friendly-scanner", DP_SCAN_ALL},
	{"sipvicious", DP_SCAN_ALL},
	{"sipcli", DP_SCAN_ALL},
	{"sip-scan", DP_SCAN_ALL},
	{"sipscan", DP_SCAN_ALL},
	{"VaxSIPUserAgent", DP_SCAN_ALL},
	{"sundayddr", DP_SCAN_ALL},
	{"iWar", DP_SCAN_UA},
	{"SIVuS", DP_SCAN_ALL},
	{"pplsip", DP_SCAN_ALL},
};
const unsigned dp_scanner_n_defaults = sizeof(dp_scanner_defaults) / sizeof(dp_scanner_defaults[0]);

struct dp_scanner {
	hs_database_t *db;
	unsigned n;
	uint8_t hdrs[DP_SCANNER_MAX_PATS]; /* by pattern id */
	struct dp_scanner_pf pf;
};

struct dp_scanner_scratch {
	hs_scratch_t *hs;
};

struct dp_scanner *
dp_scanner_build(const struct dp_scanner_pat *pats, unsigned n, char *err, size_t errlen)
{
	const char *expr[DP_SCANNER_MAX_PATS];
	size_t lens[DP_SCANNER_MAX_PATS];
	unsigned flags[DP_SCANNER_MAX_PATS], ids[DP_SCANNER_MAX_PATS];
	hs_compile_error_t *ce = NULL;
	struct dp_scanner *s;

	if (n == 0 || n > DP_SCANNER_MAX_PATS) {
		snprintf(err, errlen, "scanner signatures: %u given, 1..%u allowed", n,
				DP_SCANNER_MAX_PATS);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "scanner signatures: out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(pats[i].text);
		if (l == 0 || l >= DP_SCANNER_PAT_LEN || (pats[i].hdrs & DP_SCAN_ALL) == 0 ||
				strpbrk(pats[i].text, "\r\n") != NULL) {
			snprintf(err, errlen, "scanner signature %u \"%s\": empty, too long (max %u), "
					"with a line break, or for no header", i + 1, pats[i].text,
					DP_SCANNER_PAT_LEN - 1);
			free(s);
			return NULL;
		}
		expr[i] = pats[i].text;
		lens[i] = l;
		/*
		 * Literals: no regex syntax to escape. Every match is reported (no
		 * SINGLEMATCH): one in a header the signature does not apply to
		 * must not hide a later one that counts.
		 */
		flags[i] = HS_FLAG_CASELESS;
		ids[i] = i;
		s->hdrs[i] = (uint8_t)pats[i].hdrs;
	}
	if (hs_compile_lit_multi(expr, flags, ids, lens, n, HS_MODE_BLOCK, NULL, &s->db, &ce) !=
			HS_SUCCESS) {
		int at = ce != NULL ? ce->expression : -1;
		snprintf(err, errlen, "scanner signature %d \"%s\": %s", at + 1,
				at >= 0 && (unsigned)at < n ? pats[at].text : "?",
				ce != NULL ? ce->message : "compile failed");
		hs_free_compile_error(ce);
		free(s);
		return NULL;
	}
	dp_scanner_pf_build(&s->pf, pats, n);
	s->n = n;
	return s;
}

void
dp_scanner_free(struct dp_scanner *s)
{
	if (s == NULL)
		return;
	hs_free_database(s->db);
	free(s);
}

unsigned
dp_scanner_count(const struct dp_scanner *s)
{
	return s->n;
}

const struct dp_scanner_pf *
dp_scanner_filter(const struct dp_scanner *s)
{
	return &s->pf;
}

struct dp_scanner_scratch *
dp_scanner_scratch_new(const struct dp_scanner *s)
{
	struct dp_scanner_scratch *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		return NULL;
	if (hs_alloc_scratch(s->db, &sc->hs) != HS_SUCCESS) {
		free(sc);
		return NULL;
	}
	return sc;
}

void
dp_scanner_scratch_free(struct dp_scanner_scratch *sc)
{
	if (sc == NULL)
		return;
	hs_free_scratch(sc->hs);
	free(sc);
}

/*
 * One Hyperscan call per message (a call costs a fixed ~30 ns; scanning the
 * whole header section costs more than that in bytes): the values of
 * User-Agent, From and To are copied into one small buffer, each followed
 * by a LF (signatures hold no CR or LF, so none matches across two), and
 * each match is placed in its value to check the header.
 */
#define SCAN_BUF 512
#define SCAN_VALUES 8

struct scan_ctx {
	const struct dp_scanner *s;
	unsigned n;                   /* values; 0: a raw scan, every match counts */
	uint32_t end[SCAN_VALUES];    /* buffer offset of each value's LF */
	uint8_t hdr[SCAN_VALUES];     /* DP_SCAN_* of each value */
	bool hit;
};

static int
on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *arg)
{
	struct scan_ctx *c = arg;
	(void)from;
	(void)flags;
	if (id >= c->s->n)
		return 0;
	if (c->n != 0) {
		unsigned v = 0;
		while (v < c->n && c->end[v] < to)
			v++;
		if (v == c->n || !(c->s->hdrs[id] & c->hdr[v]))
			return 0;
	}
	c->hit = true;
	return 1; /* stop: one is enough */
}

static bool
scan(struct scan_ctx *c, struct dp_scanner_scratch *sc, const char *p, size_t len)
{
	if (len == 0)
		return false;
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	hs_scan(c->s->db, p, (unsigned)len, 0, sc->hs, on_match, c);
	return c->hit;
}

/* The headers signatures apply to. */
static const struct {
	enum sip_hdr_type t;
	unsigned bit;
} which[] = {
	{SIP_HDR_USER_AGENT, DP_SCAN_UA},
	{SIP_HDR_FROM, DP_SCAN_FROM},
	{SIP_HDR_TO, DP_SCAN_TO},
};

bool
dp_scanner_match_msg_exact(const struct dp_scanner *s, struct dp_scanner_scratch *sc,
		const struct sip_msg *m)
{
	struct scan_ctx c = {.s = s};
	char buf[SCAN_BUF];
	size_t at = 0;

	for (unsigned w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		for (const struct sip_hdr *h = sip_hdr_first(m, which[w].t); h != NULL;
				h = sip_hdr_next(m, h)) {
			struct sip_str v = sip_hdr_value(m, h);
			if (v.len >= SCAN_BUF) {
				/* A huge value (a rare, odd message): scanned on its own, all of it. */
				struct scan_ctx one = {.s = s, .n = 1, .end = {UINT32_MAX},
					.hdr = {(uint8_t)which[w].bit}};
				if (scan(&one, sc, v.p, v.len))
					return true;
				continue;
			}
			if (c.n == SCAN_VALUES || at + v.len + 1 > SCAN_BUF) {
				if (scan(&c, sc, buf, at))
					return true;
				c.n = 0;
				at = 0;
			}
			memcpy(buf + at, v.p, v.len);
			at += v.len;
			buf[at] = '\n';
			c.end[c.n] = (uint32_t)at++;
			c.hdr[c.n++] = (uint8_t)which[w].bit;
		}
	}
	return c.n != 0 && scan(&c, sc, buf, at);
}

bool
dp_scanner_match_raw_exact(const struct dp_scanner *s, struct dp_scanner_scratch *sc,
		const char *p, size_t len)
{
	struct scan_ctx c = {.s = s};

	return scan(&c, sc, p, len);
}

/*
 * The prefilter first, value by value in place (dp_scanner_impl.h): nearly
 * every message has no candidate and never reaches Hyperscan. On one, the
 * exact path decides, from the start.
 */
bool
dp_scanner_match_msg(const struct dp_scanner *s, struct dp_scanner_scratch *sc,
		const struct sip_msg *m)
{
	for (unsigned w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		for (const struct sip_hdr *h = sip_hdr_first(m, which[w].t); h != NULL;
				h = sip_hdr_next(m, h)) {
			struct sip_str v = sip_hdr_value(m, h);
			if (dp_scanner_pf(&s->pf, v.p, v.len))
				return dp_scanner_match_msg_exact(s, sc, m);
		}
	}
	return false;
}

bool
dp_scanner_match_raw(const struct dp_scanner *s, struct dp_scanner_scratch *sc, const char *p,
		size_t len)
{
	return dp_scanner_pf(&s->pf, p, len) && dp_scanner_match_raw_exact(s, sc, p, len);
}
