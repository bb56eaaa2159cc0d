/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip_auth.h"

/* Longest unquoted value we compute over (username, uri, cnonce). */
#define VAL_MAX 512

static void
verdict(struct cp_auth_result *r, enum cp_auth_verdict v, const char *why)
{
	r->v = v;
	r->why = why;
}

void
cp_auth_check(struct cp_nonces *n, const struct cp_auth_conf *c, cp_auth_ha1_fn *ha1,
		void *ctx, const struct sip_msg *m, struct sip_str realm, int64_t now,
		struct cp_auth_result *r)
{
	struct sip_auth a, mine = {0};
	bool found = false;
	char user[VAL_MAX], uri[VAL_MAX], cnonce[VAL_MAX], rlm[VAL_MAX];
	char want[CP_DIG_HEX_MAX], h1[CP_DIG_HEX_MAX];

	memset(r, 0, sizeof(*r));
	for (const struct sip_hdr *h = sip_hdr_first(m, SIP_HDR_AUTHORIZATION); h != NULL;
			h = sip_hdr_next(m, h)) {
		if (sip_auth_parse(&a, sip_hdr_value(m, h)) != 0) {
			verdict(r, CP_AUTH_BAD, "malformed Authorization");
			return;
		}
		if (!sip_auth_is_digest(&a) || !sip_auth_has(&a, SIP_AUTH_REALM))
			continue;
		int rl = sip_auth_unquote(rlm, sizeof(rlm), a.f[SIP_AUTH_REALM]);
		if (rl < 0 || !sip_str_caseeq(realm, rlm, (size_t)rl))
			continue;
		if (found) {
			verdict(r, CP_AUTH_BAD, "several credentials for our realm");
			return;
		}
		mine = a;
		found = true;
	}
	if (!found) {
		verdict(r, CP_AUTH_CHALLENGE, "no credentials");
		return;
	}
	static const enum sip_auth_field need[] = {SIP_AUTH_USERNAME, SIP_AUTH_NONCE, SIP_AUTH_URI,
		SIP_AUTH_RESPONSE, SIP_AUTH_QOP, SIP_AUTH_NC, SIP_AUTH_CNONCE};
	for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!sip_auth_has(&mine, need[i])) {
			verdict(r, CP_AUTH_BAD,
				"incomplete credentials (qop=auth requires username, "
				"nonce, uri, response, nc, cnonce)");
			return;
		}
	if (sip_auth_has(&mine, SIP_AUTH_USERNAME_EXT) ||
			(sip_auth_has(&mine, SIP_AUTH_USERHASH) &&
			 sip_str_caseeq(mine.f[SIP_AUTH_USERHASH], "true", 4))) {
		verdict(r, CP_AUTH_CHALLENGE, "userhash / username* not offered");
		return;
	}
	int alg = cp_digest_alg_lookup(sip_auth_has(&mine, SIP_AUTH_ALGORITHM) ?
			mine.f[SIP_AUTH_ALGORITHM] : SIP_STR_NULL);
	if (alg < 0 || !(c->algs & (1u << alg))) {
		verdict(r, CP_AUTH_CHALLENGE, "algorithm not offered");
		return;
	}
	if (!sip_str_caseeq(mine.f[SIP_AUTH_QOP], "auth", 4)) {
		verdict(r, CP_AUTH_CHALLENGE, "qop other than auth");
		return;
	}
	if (mine.f[SIP_AUTH_RESPONSE].len != cp_digest_hex_len(alg)) {
		verdict(r, CP_AUTH_BAD, "response of the wrong length for its algorithm");
		return;
	}
	int ul = sip_auth_unquote(user, sizeof(user), mine.f[SIP_AUTH_USERNAME]);
	int il = sip_auth_unquote(uri, sizeof(uri), mine.f[SIP_AUTH_URI]);
	int cl = sip_auth_unquote(cnonce, sizeof(cnonce), mine.f[SIP_AUTH_CNONCE]);
	if (ul <= 0 || il <= 0 || cl <= 0) {
		verdict(r, CP_AUTH_BAD, "username, uri or cnonce empty or too long");
		return;
	}
	/* RFC 7616 §3.4.6: the digest-uri must be the request's (compared as written). */
	struct sip_str ruri = sip_msg_ruri(m);
	if (ruri.len != (uint32_t)il || memcmp(ruri.p, uri, (size_t)il) != 0) {
		verdict(r, CP_AUTH_BAD, "digest uri differs from the Request-URI");
		return;
	}
	struct sip_str su = sip_str_make(user, (size_t)ul);
	if (ha1(ctx, su, realm, alg, h1) != 0) {
		verdict(r, CP_AUTH_CHALLENGE, "unknown user or no HA1 for the algorithm");
		return;
	}
	if (cp_digest_response(alg, sip_str_make(h1, strlen(h1)), mine.f[SIP_AUTH_NONCE],
			mine.f[SIP_AUTH_NC], sip_str_make(cnonce, (size_t)cl), mine.f[SIP_AUTH_QOP],
			sip_msg_method(m), sip_str_make(uri, (size_t)il), want) != 0) {
		verdict(r, CP_AUTH_ERROR, "digest computation failed");
		return;
	}
	if (!cp_digest_hex_eq(mine.f[SIP_AUTH_RESPONSE], want, strlen(want))) {
		verdict(r, CP_AUTH_CHALLENGE, "wrong password");
		return;
	}
	uint64_t id = 0;
	switch (cp_nonce_check(n, mine.f[SIP_AUTH_NONCE], realm, now, mine.nc, &id)) {
	case CP_NONCE_OK:
		break;
	case CP_NONCE_BAD:
		verdict(r, CP_AUTH_CHALLENGE, "nonce not ours");
		return;
	case CP_NONCE_EXPIRED:
		verdict(r, CP_AUTH_STALE, "nonce expired");
		return;
	case CP_NONCE_FORGOTTEN:
		verdict(r, CP_AUTH_STALE, "nonce out of the replay window");
		return;
	case CP_NONCE_REPLAY:
		verdict(r, CP_AUTH_CHALLENGE, "nonce count replayed");
		return;
	}
	cp_nonce_accept(n, id, mine.nc);
	/* The view, not our copy: a username with quoted-pairs keeps them (rare; logs only). */
	r->user = mine.f[SIP_AUTH_USERNAME];
	verdict(r, CP_AUTH_OK, "authenticated");
}

int
cp_auth_challenge(struct cp_nonces *n, const struct cp_auth_conf *c, struct sip_str realm,
		int64_t now, bool stale, char *out, size_t cap)
{
	static const enum cp_digest_alg order[] = {CP_DIG_SHA512_256, CP_DIG_SHA256, CP_DIG_MD5};
	char nonce[CP_NONCE_LEN + 1];
	size_t len = 0;
	int rc = cp_nonce_make(n, realm, now, c->nonce_lifetime, nonce);
	if (rc != 0)
		return rc;
	for (unsigned i = 0; i < 3; i++) {
		if (!(c->algs & (1u << order[i])))
			continue;
		int w = snprintf(out + len, cap - len,
			"WWW-Authenticate: Digest realm=\"%.*s\", "
			"nonce=\"%s\", qop=\"auth\", algorithm=%s%s\r\n",
			(int)realm.len, realm.p, nonce, cp_digest_alg_name(order[i]),
			stale ? ", stale=true" : "");
		if (w < 0 || (size_t)w >= cap - len)
			return -ENOSPC;
		len += (size_t)w;
	}
	return (int)len;
}
