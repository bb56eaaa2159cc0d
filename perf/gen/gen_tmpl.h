/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_TMPL_H
#define GEN_TMPL_H

/*
 * SIP message templates of sipline-gen. A template is SIP text with
 * fields, expanded once per request:
 *
 *   $callid   sg<class><seq: 16 hex><send TSC: 16 hex>@<src_ip>  (the reply
 *             matcher reads the class, the sequence number and the send
 *             time back out of it: gen_match.h)
 *   $branch   z9hG4bKsg<seq: 16 hex>   (RFC 3261 magic cookie)
 *   $fromtag  t<seq: 16 hex>
 *   $user     the Request-URI user chosen for this request (gen_users.h)
 *   $seq      the sequence number in decimal
 *   $len      the body's length in bytes (for Content-Length)
 *   $src_ip $src_port $dst_ip $dst_port   this run's addresses
 *   $$        a dollar sign
 *
 * The body is what follows the first empty line. A template file written
 * with bare LF line ends gets CRLF. Unknown fields are an error naming
 * the line and column.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gen_field {
	GEN_F_LIT = 0,
	GEN_F_CALLID,
	GEN_F_BRANCH,
	GEN_F_FROMTAG,
	GEN_F_USER,
	GEN_F_SEQ,
	GEN_F_LEN,
	GEN_F_SRC_IP,
	GEN_F_SRC_PORT,
	GEN_F_DST_IP,
	GEN_F_DST_PORT,
};

#define GEN_TMPL_MAX 8192   /* template text */
#define GEN_TMPL_SEGS 128
#define GEN_MSG_MAX 9000    /* an expanded message */

struct gen_seg {
	uint16_t off, len;   /* literal: bytes of text */
	uint8_t field;       /* enum gen_field */
};

/* A field of the prepared message, rewritten per request (gen_tmpl_prepare()). */
struct gen_patch {
	uint16_t off;
	uint8_t field;
};

#define GEN_TMPL_PATCHES 32

struct gen_tmpl {
	/*
	 * Prepared: every per-request field has a fixed width (users of one
	 * width, no $seq), so a request is the prototype copied and its fields
	 * rewritten in place.
	 */
	bool fixed;
	uint8_t user_width;
	bool user_fast;            /* users written by a masked 16-byte store */
	uint8_t user_mask[16];     /* 0xff for each of the user's bytes */
	/* Fields at even, odd offsets: $seq hex, $tsc hex, user, class byte. */
	uint8_t times[8];
	unsigned n_patch;
	uint32_t proto_len;
	struct gen_patch patch[GEN_TMPL_PATCHES];
	uint64_t proto_sum;  /* the prototype's checksum sum with every rewritten byte zero */
	char proto[GEN_MSG_MAX];
	char text[GEN_TMPL_MAX];
	uint32_t len;
	unsigned n_head, n_body;    /* segments of the head, then of the body */
	struct gen_seg seg[GEN_TMPL_SEGS];
	/* This run's constant fields, rendered once. */
	char src_ip[48], dst_ip[48], src_port[6], dst_port[6];
};

/* What changes per request. */
struct gen_vars {
	uint64_t seq;
	uint64_t tsc;
	char cls;            /* request class: 'r' redirect, 'f' forward, 'n' no route, 'o' other */
	const char *user;    /* user_len bytes, and readable for 16 (16-byte loads) */
	uint32_t user_len;
};

enum gen_builtin {
	GEN_T_INVITE = 0,
	GEN_T_OPTIONS,
	GEN_T_REGISTER,
	GEN_T_RESPONSE, /* a 200 OK to an INVITE: a router must drop it (its top Via is not the router's) */
};

/*
 * Compile text (len bytes) into t. 0, or -1 with err naming the line and
 * column of the problem.
 */
int gen_tmpl_compile(struct gen_tmpl *t, const char *text, size_t len, char *err, size_t errlen);

/*
 * This run's addresses (IPv6 addresses in brackets in URIs: pass them
 * bracketed). Set them first: compiling keeps them.
 */
void gen_tmpl_set_addrs(struct gen_tmpl *t, const char *src_ip, uint16_t src_port,
		const char *dst_ip, uint16_t dst_port);

/*
 * Compile a built-in (by name: invite, options, register, response).
 * size: the target message size for users of user_len characters (0: the
 * natural size), reached with a padding line in the SDP body or an X-Pad
 * header; a size below the natural one is an error.
 */
int gen_tmpl_builtin(struct gen_tmpl *t, enum gen_builtin which, unsigned size,
		unsigned user_len, char *err, size_t errlen);
int gen_tmpl_builtin_by_name(struct gen_tmpl *t, const char *name, unsigned size,
		unsigned user_len, char *err, size_t errlen);

/*
 * After compiling: if every request's fields have fixed widths (users of
 * user_width characters, 0: users of varying widths), prepare the
 * prototype: expansion becomes one copy and a few in-place rewrites. True
 * if prepared.
 */
bool gen_tmpl_prepare(struct gen_tmpl *t, unsigned user_width);

/*
 * Prepared templates: the Internet checksum sum (dp_cksum.h's convention,
 * unfolded) of a message expand() wrote into buf: the prototype's
 * precomputed sum plus the rewritten bytes only.
 */
uint64_t gen_tmpl_sum(const struct gen_tmpl *t, const char *buf);

/*
 * Prepared templates: expand and return the checksum sum at once (*sum),
 * reading only the rewritten bytes; buf needs 8 bytes of room past the
 * message. 0 if t is not prepared or it does not fit.
 */
uint32_t gen_tmpl_expand_sum(const struct gen_tmpl *t, const struct gen_vars *v, char *buf,
		uint32_t cap, uint64_t *sum);

/* Expand into buf (cap bytes): the message length, or 0 if it does not fit. */
uint32_t gen_tmpl_expand(const struct gen_tmpl *t, const struct gen_vars *v, char *buf,
		uint32_t cap);

/* 16 lower-case hex digits of x into out (no NUL). */
void gen_hex16(char *out, uint64_t x);
/*
 * A prepared template's fields of v rewritten in buf (a copy of t->proto,
 * with 8 bytes of room after it; v->user_len == t->user_width): the
 * checksum sum of the rewritten bytes (t->proto_sum counts them as zero).
 */
uint64_t gen_tmpl_patch(const struct gen_tmpl *t, const struct gen_vars *v, char *buf);
/* Parse 16 hex digits; 0 or -1. */
int gen_unhex16(const char *p, uint64_t *x);

#endif
