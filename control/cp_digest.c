/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_digest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sodium.h>

static const char *const alg_names[CP_DIG__COUNT] = {"MD5", "SHA-256", "SHA-512-256"};

const char *
cp_digest_alg_name(enum cp_digest_alg a)
{
	return (unsigned)a < CP_DIG__COUNT ? alg_names[a] : "?";
}

int
cp_digest_alg_lookup(struct sip_str s)
{
	if (s.len == 0)
		return CP_DIG_MD5; /* RFC 7616 §3.3: absent means MD5 */
	for (int i = 0; i < CP_DIG__COUNT; i++)
		if (sip_str_caseeq(s, alg_names[i], strlen(alg_names[i])))
			return i;
	return -1;
}

unsigned
cp_digest_hex_len(enum cp_digest_alg a)
{
	return a == CP_DIG_MD5 ? 32u : 64u;
}

int
cp_digest_algs_parse(const char *list, unsigned *bits)
{
	unsigned b = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n > 0) {
			int a = cp_digest_alg_lookup(sip_str_make(p, n));
			if (a < 0)
				return -EINVAL;
			b |= 1u << a;
		}
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	if (b == 0)
		return -EINVAL;
	*bits = b;
	return 0;
}

static const EVP_MD *
md_of(enum cp_digest_alg a)
{
	switch (a) {
	case CP_DIG_MD5:
		return EVP_md5();
	case CP_DIG_SHA256:
		return EVP_sha256();
	case CP_DIG_SHA512_256:
		return EVP_sha512_256();
	default:
		return NULL;
	}
}

int
cp_digest_hex(enum cp_digest_alg a, const struct sip_str *parts, unsigned n,
		char out[CP_DIG_HEX_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	const EVP_MD *type = md_of(a);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && type != NULL && EVP_DigestInit_ex(c, type, NULL) == 1;

	for (unsigned i = 0; ok && i < n; i++) {
		if (i > 0)
			ok = EVP_DigestUpdate(c, ":", 1) == 1;
		if (ok && parts[i].len)
			ok = EVP_DigestUpdate(c, parts[i].p, parts[i].len) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen * 2 < CP_DIG_HEX_MAX;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -EIO;
	for (unsigned i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * mdlen] = '\0';
	return 0;
}

int
cp_digest_ha1(enum cp_digest_alg a, struct sip_str user, struct sip_str realm,
		struct sip_str password, char out[CP_DIG_HEX_MAX])
{
	struct sip_str p[3] = {user, realm, password};
	return cp_digest_hex(a, p, 3, out);
}

int
cp_digest_response(enum cp_digest_alg a, struct sip_str ha1, struct sip_str nonce,
		struct sip_str nc, struct sip_str cnonce, struct sip_str qop, struct sip_str method,
		struct sip_str uri, char out[CP_DIG_HEX_MAX])
{
	char ha2[CP_DIG_HEX_MAX];
	struct sip_str p2[2] = {method, uri};
	if (cp_digest_hex(a, p2, 2, ha2) != 0)
		return -EIO;
	struct sip_str p[6] = {ha1, nonce, nc, cnonce, qop, sip_str_make(ha2, strlen(ha2))};
	return cp_digest_hex(a, p, 6, out);
}

bool
cp_digest_hex_eq(struct sip_str a, const char *b, size_t blen)
{
	char low[CP_DIG_HEX_MAX];
	if (a.len != blen || blen >= sizeof(low))
		return false;
	for (size_t i = 0; i < blen; i++) {
		char c = a.p[i];
		low[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
	}
	return CRYPTO_memcmp(low, b, blen) == 0;
}

/* ---- nonces ---- */

/* Raw nonce: expires (8) ‖ id (8) ‖ generation (4) ‖ MAC (16), big-endian numbers. */
#define RAW_LEN 36
#define MAC_OFF 20
#define MAC_LEN 16

_Static_assert((RAW_LEN + 2) / 3 * 4 == CP_NONCE_LEN, "base64url of RAW_LEN bytes");

struct slot {
	uint64_t id;
	uint32_t nc;    /* highest accepted; 0: issued, never used */
	uint32_t used;  /* 1: the slot holds id */
};

struct cp_nonces {
	struct cp_nonce_key cur, prev;
	uint64_t next_id;
	unsigned mask;
	struct slot *win;
};

struct cp_nonces *
cp_nonces_create(unsigned window)
{
	unsigned n = 64;
	while (n < window && n < (1u << 24))
		n <<= 1;
	struct cp_nonces *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->win = calloc(n, sizeof(*s->win));
	if (s->win == NULL) {
		free(s);
		return NULL;
	}
	s->mask = n - 1;
	/*
	 * Ids start at a random point: a nonce issued before a restart (still
	 * verifiable with a stored key) must not find its id in the new window.
	 */
	if (RAND_bytes((unsigned char *)&s->next_id, sizeof(s->next_id)) != 1)
		s->next_id = (uint64_t)(uintptr_t)s ^ 0x9e3779b97f4a7c15ull;
	s->next_id >>= 1;
	return s;
}

void
cp_nonces_free(struct cp_nonces *n)
{
	if (n == NULL)
		return;
	OPENSSL_cleanse(&n->cur, sizeof(n->cur));
	OPENSSL_cleanse(&n->prev, sizeof(n->prev));
	free(n->win);
	free(n);
}

void
cp_nonces_set_keys(struct cp_nonces *n, const struct cp_nonce_key *cur,
		const struct cp_nonce_key *prev)
{
	n->cur = *cur;
	if (prev != NULL)
		n->prev = *prev;
	else
		memset(&n->prev, 0, sizeof(n->prev));
}

int
cp_nonces_rotate(struct cp_nonces *n, int64_t now, struct cp_nonce_key *out)
{
	struct cp_nonce_key k = {.gen = n->cur.gen + 1, .created = now};
	if (k.gen == 0)
		k.gen = 1;
	if (RAND_bytes(k.key, sizeof(k.key)) != 1)
		return -EIO;
	n->prev = n->cur;
	n->cur = k;
	*out = k;
	return 0;
}

const struct cp_nonce_key *
cp_nonces_current(const struct cp_nonces *n)
{
	return &n->cur;
}

static void
put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t
get_be(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

static int
mac(const struct cp_nonce_key *k, const uint8_t *raw, struct sip_str realm,
		uint8_t out[MAC_LEN])
{
	uint8_t buf[MAC_OFF + 256];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t rl = realm.len < 256 ? realm.len : 256;

	memcpy(buf, raw, MAC_OFF);
	if (rl)
		memcpy(buf + MAC_OFF, realm.p, rl);
	if (HMAC(EVP_sha256(), k->key, sizeof(k->key), buf, MAC_OFF + rl, md, &mdlen) == NULL ||
			mdlen < MAC_LEN)
		return -EIO;
	memcpy(out, md, MAC_LEN);
	return 0;
}

int
cp_nonce_make(struct cp_nonces *n, struct sip_str realm, int64_t now, uint32_t lifetime,
		char out[CP_NONCE_LEN + 1])
{
	uint8_t raw[RAW_LEN];
	uint64_t id;

	if (n->cur.gen == 0)
		return -EINVAL;
	id = n->next_id++;
	put_be(raw, (uint64_t)(now + lifetime), 8);
	put_be(raw + 8, id, 8);
	put_be(raw + 16, n->cur.gen, 4);
	if (mac(&n->cur, raw, realm, raw + MAC_OFF) != 0)
		return -EIO;
	sodium_bin2base64(out, CP_NONCE_LEN + 1, raw, RAW_LEN,
			sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	struct slot *s = &n->win[id & n->mask];
	s->id = id;
	s->nc = 0;
	s->used = 1;
	return 0;
}

static const char *const verdict_names[] = {"ok", "bad", "expired", "forgotten", "replay"};

const char *
cp_nonce_verdict_name(enum cp_nonce_verdict v)
{
	return (unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ?
		verdict_names[v] : "?";
}

enum cp_nonce_verdict
cp_nonce_check(const struct cp_nonces *n, struct sip_str nonce, struct sip_str realm,
		int64_t now, uint32_t nc, uint64_t *id)
{
	uint8_t raw[RAW_LEN + 3], want[MAC_LEN];
	size_t rawlen = 0;
	char txt[CP_NONCE_LEN + 1];
	const struct cp_nonce_key *k = NULL;

	if (nonce.len != CP_NONCE_LEN)
		return CP_NONCE_BAD;
	memcpy(txt, nonce.p, CP_NONCE_LEN);
	txt[CP_NONCE_LEN] = '\0';
	if (sodium_base642bin(raw, sizeof(raw), txt, CP_NONCE_LEN, NULL, &rawlen, NULL,
			sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || rawlen != RAW_LEN)
		return CP_NONCE_BAD;
	uint32_t gen = (uint32_t)get_be(raw + 16, 4);
	if (gen != 0 && gen == n->cur.gen)
		k = &n->cur;
	else if (gen != 0 && gen == n->prev.gen)
		k = &n->prev;
	if (k == NULL)
		/* A key rotated out (or never ours): the caller decides by the digest. */
		return CP_NONCE_EXPIRED;
	if (mac(k, raw, realm, want) != 0 || CRYPTO_memcmp(want, raw + MAC_OFF, MAC_LEN) != 0)
		return CP_NONCE_BAD;
	*id = get_be(raw + 8, 8);
	if ((int64_t)get_be(raw, 8) < now)
		return CP_NONCE_EXPIRED;
	const struct slot *s = &n->win[*id & n->mask];
	if (!s->used || s->id != *id)
		return CP_NONCE_FORGOTTEN;
	if (nc <= s->nc)
		return CP_NONCE_REPLAY;
	return CP_NONCE_OK;
}

void
cp_nonce_accept(struct cp_nonces *n, uint64_t id, uint32_t nc)
{
	struct slot *s = &n->win[id & n->mask];
	if (s->used && s->id == id && nc > s->nc)
		s->nc = nc;
}
