/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scanner's prefilter (dp_scanner_impl.h): its tables, the scalar
 * variant (the specification) and the choice of variant.
 */
#include "dp_scanner_impl.h"

#include <string.h>

static uint8_t
fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

/*
 * Bytes roughly from most to least common in From, To and User-Agent values
 * (URIs, tags, display names, product/version), after folding. A window of
 * common bytes would make most values candidates; one of bytes not listed
 * (rare punctuation, upper half) almost none. A guess, not a measure: a bad
 * guess costs speed, never a match.
 */
static const char common[] = "sip:@.;=<>0123456789tagrenolcdh/-_ \"bfmuvxkywzjq";

static unsigned
commonness(uint8_t c)
{
	const char *at = memchr(common, fold(c), sizeof(common) - 1);

	return at == NULL ? 0 : (unsigned)(sizeof(common) - (size_t)(at - common));
}

/* The start of the least common window of w bytes in t[0..len). */
static size_t
pick_window(const uint8_t *t, size_t len, size_t w)
{
	size_t best = 0;
	unsigned best_score = ~0u;

	for (size_t k = 0; k + w <= len; k++) {
		unsigned score = 0;
		for (size_t j = 0; j < w; j++)
			score += commonness(t[k + j]);
		if (score < best_score) {
			best_score = score;
			best = k;
		}
	}
	return best;
}

struct window {
	uint8_t b[DP_SCANNER_PF_W]; /* folded; unused bytes 0 */
	uint8_t w;                  /* bytes used, 1..DP_SCANNER_PF_W */
};

static int
window_cmp(const struct window *a, const struct window *b)
{
	int c = memcmp(a->b, b->b, DP_SCANNER_PF_W);

	return c != 0 ? c : (int)a->w - (int)b->w;
}

void
dp_scanner_pf_build(struct dp_scanner_pf *f, const struct dp_scanner_pat *pats, unsigned n)
{
	struct window win[DP_SCANNER_MAX_PATS];
	unsigned order[DP_SCANNER_MAX_PATS];

	memset(f, 0, sizeof(*f));
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *t = (const uint8_t *)pats[i].text;
		size_t len = strlen(pats[i].text);
		size_t w = len < DP_SCANNER_PF_W ? len : DP_SCANNER_PF_W;
		size_t k = pick_window(t, len, w);

		memset(&win[i], 0, sizeof(win[i]));
		for (size_t j = 0; j < w; j++)
			win[i].b[j] = fold(t[k + j]);
		win[i].w = (uint8_t)w;
		order[i] = i;
	}
	/*
	 * Bucket mates' bytes combine (nibble by nibble, position by position):
	 * similar windows share a bucket, by sorting them and cutting the order
	 * into 8 runs. Insertion sort: n <= 64, once at start-up.
	 */
	for (unsigned i = 1; i < n; i++) {
		unsigned o = order[i], j = i;
		for (; j > 0 && window_cmp(&win[order[j - 1]], &win[o]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = o;
	}
	for (unsigned r = 0; r < n; r++) {
		const struct window *wi = &win[order[r]];
		uint8_t bit = (uint8_t)(1u << (r * DP_SCANNER_PF_BUCKETS / n));

		for (unsigned j = 0; j < DP_SCANNER_PF_W; j++) {
			if (j >= wi->w) {
				/* A signature shorter than the window: any byte (NUL too) goes. */
				for (unsigned x = 0; x < 16; x++) {
					f->lo[j][x] |= bit;
					f->hi[j][x] |= bit;
				}
				continue;
			}
			uint8_t c = wi->b[j];
			uint8_t u = c >= 'a' && c <= 'z' ? (uint8_t)(c - ('a' - 'A')) : c;
			f->lo[j][c & 15] |= bit;
			f->hi[j][c >> 4] |= bit;
			f->hi[j][u >> 4] |= bit; /* the other case: same low nibble */
		}
	}
	for (unsigned j = 0; j < DP_SCANNER_PF_W; j++)
		for (unsigned x = 0; x < 256; x++)
			f->byte[j][x] = f->lo[j][x & 15] & f->hi[j][x >> 4];
	/* A start in the last W - 1 bytes needs a window byte accepting NUL. */
	f->tail = f->byte[DP_SCANNER_PF_W - 1][0] != 0;
}

bool
dp_scanner_pf_scalar(const struct dp_scanner_pf *f, const char *p, size_t len)
{
	const uint8_t *u = (const uint8_t *)p;

	for (size_t i = 0; i < len; i++)
		if (f->byte[0][u[i]] != 0 && dp_scanner_pf_at(f, u, len, i))
			return true;
	return false;
}

bool (*dp_scanner_pf)(const struct dp_scanner_pf *f, const char *p,
		size_t len) = dp_scanner_pf_scalar;

const char *
dp_scanner_pf_variant(void)
{
#ifdef __x86_64__
	if (dp_scanner_pf == dp_scanner_pf_avx2)
		return "avx2";
#endif
	return "scalar";
}

int
dp_scanner_pf_use(const char *name)
{
	if (strcmp(name, "scalar") == 0) {
		dp_scanner_pf = dp_scanner_pf_scalar;
		return 0;
	}
#ifdef __x86_64__
	if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2")) {
		dp_scanner_pf = dp_scanner_pf_avx2;
		return 0;
	}
#endif
	return -1;
}

/* Chosen once, before main(): every user (workers, benchmarks, tests) filters alike. */
__attribute__((constructor)) static void
dp_scanner_pf_pick(void)
{
#ifdef __x86_64__
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		dp_scanner_pf = dp_scanner_pf_avx2;
#endif
}
