/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for digest credentials: the input is an Authorization
 * header value.
 *  - sip_auth_parse(): every view inside the input; unquoting never
 *    longer than the value; a parsed value written back in canonical form
 *    ("Digest name=\"value\", ...") parses to the same fields and nc.
 *  - cp_auth_check() on a REGISTER carrying the value (a subscriber
 *    "alice" whose HA1 is known): never crashes, and never says OK to
 *    credentials whose response the fuzzer cannot know (the nonces are
 *    fresh MACs under a random key).
 * A broken invariant aborts, so libFuzzer saves the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_auth.h"
#include "cp_digest.h"
#include "sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
broken(const char *what)
{
	fprintf(stderr, "fuzz_auth: invariant broken: %s\n", what);
	abort();
}

static void
inside(struct sip_str s, const char *p, size_t n)
{
	if (s.len != 0 && (s.p < p || s.p + s.len > p + n))
		broken("view outside the input");
}

static int
ha1(void *ctx, struct sip_str user, struct sip_str realm, enum cp_digest_alg alg,
		char out[CP_DIG_HEX_MAX])
{
	(void)ctx;
	if (!sip_str_eq(user, SIP_STR_LIT("alice")))
		return -1;
	return cp_digest_ha1(alg, user, realm, SIP_STR_LIT("secret"), out);
}

static struct cp_nonces *nonces;

static void
roundtrip(const struct sip_auth *a)
{
	static char buf[70000];
	struct sip_auth b;
	size_t n = (size_t)snprintf(buf, sizeof(buf), "Digest");
	bool first = true;
	for (int f = 0; f < SIP_AUTH__COUNT; f++) {
		if (!sip_auth_has(a, f))
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s %s=\"%.*s\"", first ? "" : ",",
				sip_auth_field_name(f), (int)a->f[f].len, a->f[f].p);
		first = false;
		if (n >= sizeof(buf))
			return;
	}
	if (first)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " x=y");
	if (sip_auth_parse(&b, sip_str_make(buf, n)) != 0)
		broken("canonical form does not parse");
	for (int f = 0; f < SIP_AUTH__COUNT; f++)
		if (sip_auth_has(a, f) != sip_auth_has(&b, f) || !sip_str_eq(a->f[f], b.f[f]))
			broken("canonical form parses differently");
	if (sip_auth_has(a, SIP_AUTH_NC) && a->nc != b.nc)
		broken("nc differs");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct sip_auth a;
	static char msg[8192], tmp[8192];

	if (nonces == NULL) {
		struct cp_nonce_key k;
		nonces = cp_nonces_create(1024);
		if (nonces == NULL || cp_nonces_rotate(nonces, 1000, &k) != 0)
			abort();
	}
	if (sip_auth_parse(&a, sip_str_make(p, size)) == 0) {
		inside(a.scheme, p, size);
		for (int f = 0; f < SIP_AUTH__COUNT; f++) {
			inside(a.f[f], p, size);
			int n = sip_auth_unquote(tmp, sizeof(tmp), a.f[f]);
			if (n > (int)a.f[f].len)
				broken("unquoted longer than quoted");
		}
		roundtrip(&a);
	}
	if (size > 4096 || memchr(p, '\n', size) != NULL || memchr(p, '\r', size) != NULL)
		return 0;
	int len = snprintf(msg, sizeof(msg),
		"REGISTER sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.5;branch=z9hG4bK1\r\nFrom: "
		"<sip:alice@example.com>;tag=1\r\n"
		"To: <sip:alice@example.com>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n"
		"Authorization: %.*s\r\nContent-Length: 0\r\n\r\n",
		(int)size, p);
	struct sip_msg m;
	if (len <= 0 || (size_t)len >= sizeof(msg) || sip_parse(&m, msg, (size_t)len, 0) <= 0)
		return 0;
	struct cp_auth_conf c = {.algs = CP_DIG_ALL, .nonce_lifetime = 30};
	struct cp_auth_result r;
	cp_auth_check(nonces, &c, ha1, NULL, &m, SIP_STR_LIT("example.com"), 1001, &r);
	if (r.v == CP_AUTH_OK)
		broken("credentials accepted without a nonce of ours");
	return 0;
}
