/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The signatures (sip_sign.h): SipHash-2-4 against the reference vectors,
 * key parsing and weak keys, fingerprints, and that a one-bit change of any
 * signed field changes the tag (about half its 64 bits, never none), for
 * short fields and for fields long enough to be compressed first.
 */
#include <stdio.h>
#include <string.h>

#include <sodium/crypto_shorthash_siphash24.h>

#include "sip_test.h"

/*
 * SipHash-2-4 reference outputs (the SipHash paper's vectors, as
 * little-endian 64-bit numbers): key 00 01 .. 0f, message 00 01 .. (len-1).
 */
static const struct {
	unsigned len;
	uint64_t out;
} vectors[] = {
	{0, 0x726fdb47dd0e0e31ull},
	{1, 0x74f839c593dc67fdull},
	{7, 0xab0200f58b01d137ull},
	{8, 0x93f5f5799a932462ull},
	{15, 0xa129ca6149be45e5ull},
	{16, 0x3f2acc7f57c29bdbull},
	{63, 0x958a324ceb064572ull},
};

static void
siphash_vectors(void **state)
{
	uint8_t key[16], msg[64], out[8];
	(void)state;

	for (unsigned i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		uint64_t got = 0;
		crypto_shorthash_siphash24(out, msg, vectors[v].len, key);
		for (unsigned b = 0; b < 8; b++)
			got |= (uint64_t)out[b] << (8 * b);
		if (got != vectors[v].out)
			fail_msg("length %u: %016llx, want %016llx", vectors[v].len,
					(unsigned long long)got, (unsigned long long)vectors[v].out);
	}
}

struct key_case {
	const char *name;
	const char *hex;
	int rc;
};

static const struct key_case key_cases[] = {
	{"random", "3f8a91c2d4e5b60718293a4b5c6d7e8f", 0},
	{"upper case", "3F8A91C2D4E5B60718293A4B5C6D7E8F", 0},
	{"64 bits: too short", "3f8a91c2d4e5b607", -1},
	{"33 digits", "3f8a91c2d4e5b60718293a4b5c6d7e8f0", -1},
	{"not hex", "3f8a91c2d4e5b60718293a4b5c6d7e8g", -1},
	{"a space inside", "3f8a91c2d4e5b607 8293a4b5c6d7e8f", -1},
	{"all zero", "00000000000000000000000000000000", -2},
	{"all ones", "ffffffffffffffffffffffffffffffff", -2},
	{"one byte repeated", "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", -2},
	{"five digits only", "01234012340123401234012340123401", -2},
	{"six digits: accepted", "01234501234501234501234501234501", 0},
};

static void
run_key_case(void **state)
{
	const struct key_case *c = *state;
	uint8_t raw[SIP_KEY_LEN];

	assert_int_equal(sip_key_parse_hex(c->hex, strlen(c->hex), raw), c->rc);
}

static struct sip_key
key_from(const char *hex)
{
	uint8_t raw[SIP_KEY_LEN];
	struct sip_key k;

	assert_int_equal(sip_key_parse_hex(hex, strlen(hex), raw), 0);
	sip_key_set(&k, raw);
	return k;
}

static void
fingerprints(void **state)
{
	struct sip_key a = key_from("3f8a91c2d4e5b60718293a4b5c6d7e8f");
	struct sip_key a2 = key_from("3F8A91C2D4E5B60718293A4B5C6D7E8F");
	struct sip_key b = key_from("3f8a91c2d4e5b60718293a4b5c6d7e8e");
	char fa[SIP_KEY_FP_LEN], fa2[SIP_KEY_FP_LEN], fb[SIP_KEY_FP_LEN];
	(void)state;

	sip_key_fingerprint(&a, fa);
	sip_key_fingerprint(&a2, fa2);
	sip_key_fingerprint(&b, fb);
	assert_memory_equal(fa, fa2, SIP_KEY_FP_LEN);
	assert_memory_not_equal(fa, fb, SIP_KEY_FP_LEN);
	/* Known answer: SipHash-2-4 of 'F', a 16-bit length and the label, in hex byte order. */
	uint8_t raw[SIP_KEY_LEN], in[1 + 2 + 23], t[8];
	char want[17];
	assert_int_equal(sip_key_parse_hex("3f8a91c2d4e5b60718293a4b5c6d7e8f", 32, raw), 0);
	in[0] = 'F';
	in[1] = 0;
	in[2] = 23;
	memcpy(in + 3, "sipline key fingerprint", 23);
	crypto_shorthash_siphash24(t, in, sizeof(in), raw);
	for (unsigned i = 0; i < 8; i++)
		snprintf(want + 2 * i, 3, "%02x", t[i]);
	assert_memory_equal(fa, want, SIP_KEY_FP_LEN);
	/* Not the key, nor a part of it. */
	assert_null(memmem("3f8a91c2d4e5b60718293a4b5c6d7e8f", 32, fa, 8));
	assert_null(memmem("3f8a91c2d4e5b60718293a4b5c6d7e8f", 32, fa + 8, 8));
}

/* ---- every signed field matters ---- */

/* A mutable copy of every field the three signatures take. */
struct inputs {
	char prev_branch[200];
	char sent_by[64];
	char from_tag[64];
	char callid[200];
	char to_tag[64];
	char target[200];
	uint8_t addr[16];
	uint8_t port[2];
	uint8_t transport;
	uint8_t cseq[4];
};

enum which { W_BRANCH_3261, W_BRANCH_2543, W_TOTAG, W_RR_UP, W_RR_DOWN };

static struct sip_str
text(const char *s)
{
	return sip_str_make(s, strlen(s));
}

/* The tag of signature w over in, as a number. */
static uint64_t
tag_of(enum which w, const struct inputs *in, const struct sip_key *k)
{
	struct sip_fields f;
	struct sip_origin o = {.addr = {.af = SIP_AF_INET6}};
	char out[SIP_BRANCH_LEN];
	const char *hex = out;
	uint64_t v = 0;

	memset(&f, 0, sizeof(f));
	f.top.branch = text(in->prev_branch);
	f.top.has_branch = 1;
	f.top.sent_by = text(in->sent_by);
	f.top.transport_id = in->transport;
	f.from.tag = text(in->from_tag);
	f.to.tag = text(in->to_tag);
	f.callid = text(in->callid);
	f.cseq.seq = (uint32_t)in->cseq[0] << 24 | (uint32_t)in->cseq[1] << 16 |
		(uint32_t)in->cseq[2] << 8 | in->cseq[3];
	memcpy(o.addr.a, in->addr, 16);
	o.port = (uint16_t)(in->port[0] << 8 | in->port[1]);
	switch (w) {
	case W_BRANCH_3261:
	case W_BRANCH_2543:
		sip_branch_sign(&f, &o, k, out);
		hex = out + 9;
		break;
	case W_TOTAG:
		sip_totag_sign(&f, k, out);
		hex = out + 2;
		break;
	case W_RR_UP:
		sip_rrsig_up(f.callid, f.from.tag, text(in->target), k, out);
		break;
	case W_RR_DOWN:
		sip_rrsig_down(f.callid, f.from.tag, f.to.tag, text(in->target), k, out);
		break;
	}
	for (unsigned i = 0; i < 16; i++)
		v = v << 4 | (uint64_t)sip_hexval((unsigned char)hex[i]);
	return v;
}

struct field {
	const char *name;
	size_t off;       /* in struct inputs */
	size_t len;       /* bytes to flip (strings: their length) */
	bool string;
};

#define FIELD_STR(n) {#n, offsetof(struct inputs, n), 0, true}
#define FIELD_BIN(n) {#n, offsetof(struct inputs, n), sizeof(((struct inputs *)0)->n), false}

struct sign_case {
	const char *name;
	enum which w;
	struct field fields[7];
	bool long_fields; /* fields longer than the MAC's inline limit */
};

static const struct sign_case sign_cases[] = {
	{"branch (RFC 3261 peer)", W_BRANCH_3261, {FIELD_STR(prev_branch),
		FIELD_BIN(addr), FIELD_BIN(port), FIELD_BIN(transport)}, false},
	{"branch (RFC 2543 peer)", W_BRANCH_2543, {FIELD_STR(sent_by), FIELD_STR(from_tag),
		FIELD_STR(callid), FIELD_BIN(cseq), FIELD_BIN(addr), FIELD_BIN(port),
		FIELD_BIN(transport)}, false},
	{"To-tag", W_TOTAG, {FIELD_STR(callid), FIELD_STR(from_tag), FIELD_STR(prev_branch)},
		false},
	{"Record-Route up", W_RR_UP, {FIELD_STR(callid), FIELD_STR(from_tag),
		FIELD_STR(target)}, false},
	{"Record-Route down", W_RR_DOWN, {FIELD_STR(callid), FIELD_STR(from_tag),
		FIELD_STR(to_tag), FIELD_STR(target)}, false},
	{"Record-Route down, long fields", W_RR_DOWN, {FIELD_STR(callid), FIELD_STR(target)},
		true},
	{"branch, long previous branch", W_BRANCH_3261, {FIELD_STR(prev_branch)}, true},
};

static void
fill(struct inputs *in, enum which w, bool long_fields)
{
	memset(in, 0, sizeof(*in));
	snprintf(in->prev_branch, sizeof(in->prev_branch), "%s",
			w == W_BRANCH_2543 ? "" : "z9hG4bK776asdhds");
	snprintf(in->sent_by, sizeof(in->sent_by), "pc33.atlanta.example.com:5060");
	snprintf(in->from_tag, sizeof(in->from_tag), "1928301774");
	snprintf(in->to_tag, sizeof(in->to_tag), "a6c85cf");
	snprintf(in->callid, sizeof(in->callid), "a84b4c76e66710@pc33.atlanta.example.com");
	snprintf(in->target, sizeof(in->target), "sip:bob@192.0.2.4:5070;transport=udp");
	if (long_fields) {
		/* Past the inline limit: compressed with the inner key, still every bit counts. */
		memset(in->prev_branch + 7, 'x', 180);
		memset(in->callid, 'c', 190);
		memset(in->target + 4, 't', 190);
	}
	in->addr[0] = 0x20;
	in->addr[1] = 0x01;
	in->addr[15] = 7;
	in->port[0] = 0x13;
	in->port[1] = 0xc4;
	in->transport = SIP_TP_UDP;
	in->cseq[3] = 1;
}

static void
run_sign_case(void **state)
{
	const struct sign_case *c = *state;
	struct sip_key k = key_from("3f8a91c2d4e5b60718293a4b5c6d7e8f");
	struct sip_key k2 = key_from("3f8a91c2d4e5b60718293a4b5c6d7e8e");
	struct inputs in;
	unsigned long flips = 0, dist = 0;

	fill(&in, c->w, c->long_fields);
	uint64_t base = tag_of(c->w, &in, &k);
	assert_int_equal(tag_of(c->w, &in, &k), base);      /* deterministic */
	assert_true(tag_of(c->w, &in, &k2) != base);        /* keyed */
	for (unsigned f = 0; f < 7 && c->fields[f].name != NULL; f++) {
		const struct field *fd = &c->fields[f];
		uint8_t *p = (uint8_t *)&in + fd->off;
		size_t len = fd->string ? strlen((char *)p) : fd->len;
		for (size_t i = 0; i < len; i++) {
			for (unsigned bit = 0; bit < 8; bit++) {
				/* Strings stay strings: never flip a byte to NUL. */
				if (fd->string && (p[i] ^ (1u << bit)) == 0)
					continue;
				p[i] ^= (uint8_t)(1u << bit);
				uint64_t t = tag_of(c->w, &in, &k);
				p[i] ^= (uint8_t)(1u << bit);
				if (t == base)
					fail_msg("%s: flipping bit %u of byte %zu of %s changes nothing",
							c->name, bit, i, fd->name);
				dist += (unsigned long)__builtin_popcountll(t ^ base);
				flips++;
			}
		}
		/* A longer or shorter field is another input too. */
		if (fd->string && len > 0) {
			char saved = (char)p[len - 1];
			p[len - 1] = '\0';
			assert_true(tag_of(c->w, &in, &k) != base);
			p[len - 1] = (uint8_t)saved;
		}
	}
	assert_true(flips > 0);
	/* About half of the 64 bits change (a bad mix would sit far from 32). */
	double mean = (double)dist / (double)flips;
	if (mean < 30.0 || mean > 34.0)
		fail_msg("%s: a one-bit change flips %.2f tag bits on average over %lu changes",
				c->name, mean, flips);
}

/* Moving bytes from one field to the next is another input (length-prefixed encoding). */
static void
field_boundaries(void **state)
{
	struct sip_key k = key_from("3f8a91c2d4e5b60718293a4b5c6d7e8f");
	char a[SIP_RRSIG_LEN], b[SIP_RRSIG_LEN];
	(void)state;

	sip_rrsig_down(text("abc"), text("def"), text("g"), text("sip:x@h"), &k, a);
	sip_rrsig_down(text("ab"), text("cdef"), text("g"), text("sip:x@h"), &k, b);
	assert_memory_not_equal(a, b, SIP_RRSIG_LEN);
	/* The two directions never sign alike (domain separation). */
	sip_rrsig_up(text("abc"), text("def"), text("sip:x@h"), &k, a);
	sip_rrsig_down(text("abc"), text("def"), text(""), text("sip:x@h"), &k, b);
	assert_memory_not_equal(a, b, SIP_RRSIG_LEN);
}

/* A verifier accepts the current key and, during a rotation, the previous one. */
static void
keyring_verification(void **state)
{
	struct sip_keyring now = {.cur = key_from("3f8a91c2d4e5b60718293a4b5c6d7e8f")};
	struct sip_keyring next = {.cur = key_from("0123456789abcdef0123456789abcdef")};
	char sig[SIP_RRSIG_LEN];
	(void)state;

	sip_rrsig_down(text("c@h"), text("a1"), text("b1"), text("sip:b@192.0.2.4"), &now.cur,
			sig);
	struct sip_str s = sip_str_make(sig, SIP_RRSIG_LEN);
	assert_true(sip_rrsig_verify(s, text("c@h"), text("a1"), text("b1"),
			text("sip:b@192.0.2.4"), &now));
	assert_false(sip_rrsig_verify(s, text("c@h"), text("a1"), text("b1"),
			text("sip:b@192.0.2.4"), &next));
	next.prev = now.cur;
	next.has_prev = true;
	assert_true(sip_rrsig_verify(s, text("c@h"), text("a1"), text("b1"),
			text("sip:b@192.0.2.4"), &next));
	/* Upper-case hex is not what we wrote: refused. */
	for (unsigned i = 0; i < SIP_RRSIG_LEN; i++)
		if (sig[i] >= 'a')
			sig[i] = (char)(sig[i] - 32);
	assert_false(sip_rrsig_verify(s, text("c@h"), text("a1"), text("b1"),
			text("sip:b@192.0.2.4"), &now));
	/* Without a To-tag there is no dialog to verify. */
	assert_false(sip_rrsig_verify(s, text("c@h"), text("a1"), text(""),
			text("sip:b@192.0.2.4"), &now));
}

int
test_group_sign(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(siphash_vectors),
		cmocka_unit_test(fingerprints),
		cmocka_unit_test(field_boundaries),
		cmocka_unit_test(keyring_verification),
	};
	int failed = RUN_ROWS("sign_keys", key_cases, run_key_case);
	failed += RUN_ROWS("sign_fields", sign_cases, run_sign_case);
	return failed + cmocka_run_group_tests_name("sign", tests, NULL, NULL);
}
