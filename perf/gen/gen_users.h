/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_USERS_H
#define GEN_USERS_H

/*
 * Request-URI users of sipline-gen, by class of request:
 *
 *   SOURCE := LO-HI       decimal numbers drawn uniformly from [LO, HI],
 *                         written with as many digits as HI (leading zeros)
 *           | @FILE       one user per line, drawn uniformly
 *   --users SOURCE        every request of class 'o' (any final reply counts)
 *   --mix redirect=70:SOURCE,forward=25:SOURCE,noroute=5:SOURCE
 *                         each request's class drawn by weight; the reply
 *                         expected for each class is checked (gen_match.h)
 *
 * Drawing is a xorshift generator per lcore: no shared state, no locks.
 */

#include <stddef.h>
#include <stdint.h>

#define GEN_USER_MAX 32
#define GEN_CLASSES 4

struct gen_source {
	uint64_t lo, hi;       /* numbers (n_list == 0) */
	unsigned width;        /* digits */
	char (*list)[GEN_USER_MAX]; /* users from a file */
	uint32_t n_list;
};

struct gen_users {
	unsigned n;                      /* classes in use */
	char cls[GEN_CLASSES];           /* 'r', 'f', 'n', 'o' */
	uint32_t weight[GEN_CLASSES];    /* per cent */
	uint64_t cut[GEN_CLASSES];       /* cumulative thresholds on a 32-bit draw */
	struct gen_source src[GEN_CLASSES];
};

/* --users SOURCE: 0, or -1 with err. */
int gen_users_parse_source(struct gen_users *u, const char *spec, char *err, size_t errlen);
/* --mix ...: 0, or -1 with err. Weights must add up to 100. */
int gen_users_parse_mix(struct gen_users *u, const char *spec, char *err, size_t errlen);
void gen_users_free(struct gen_users *u);

/* The longest user this configuration can draw (for sizing templates). */
unsigned gen_users_max_len(const struct gen_users *u);
/* The length of every user it can draw if they all have one, else 0. */
unsigned gen_users_fixed_width(const struct gen_users *u);

/* x as width decimal digits (leading zeros; the lowest digits if x has more) into buf. */
void gen_digits(char *buf, uint64_t x, unsigned width);

static inline uint64_t
gen_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Draw a class and a user into buf (GEN_USER_MAX bytes): its length; *cls the class. */
unsigned gen_users_draw(const struct gen_users *u, uint64_t *rng, char *buf, char *cls);

#endif
