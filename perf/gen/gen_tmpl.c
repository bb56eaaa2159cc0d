/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_tmpl.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <emmintrin.h>

#include "dp_cksum.h"

static const struct {
	const char *name;
	enum gen_field f;
} field_names[] = {
	{"callid", GEN_F_CALLID}, {"branch", GEN_F_BRANCH}, {"fromtag", GEN_F_FROMTAG},
	{"user", GEN_F_USER}, {"seq", GEN_F_SEQ}, {"len", GEN_F_LEN},
	{"src_ip", GEN_F_SRC_IP}, {"src_port", GEN_F_SRC_PORT}, {"dst_ip", GEN_F_DST_IP},
	{"dst_port", GEN_F_DST_PORT},
};

/* The 16 hex digits of x, most significant first, in a vector. */
static inline __m128i
hex16(uint64_t x)
{
	uint64_t be = __builtin_bswap64(x);
	__m128i b = _mm_cvtsi64_si128((long long)be);
	__m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(0x0f));
	__m128i lo = _mm_and_si128(b, _mm_set1_epi8(0x0f));
	__m128i n = _mm_unpacklo_epi8(hi, lo);
	__m128i letter = _mm_cmpgt_epi8(n, _mm_set1_epi8(9));
	return _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8('0')),
			_mm_and_si128(letter, _mm_set1_epi8('a' - '0' - 10)));
}

/* The checksum sum of 16 bytes (taken at an even offset), folded. */
static inline uint16_t
sum16(__m128i v)
{
	uint64_t w[2];
	_mm_storeu_si128((__m128i *)(void *)w, v);
	return dp_cksum_fold((w[0] & 0xffffffffu) + (w[0] >> 32) + (w[1] & 0xffffffffu) +
			(w[1] >> 32));
}

void
gen_hex16(char *out, uint64_t x)
{
	_mm_storeu_si128((__m128i *)(void *)out, hex16(x));
}

int
gen_unhex16(const char *p, uint64_t *x)
{
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		char c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*x = v;
	return 0;
}

static void
where(const char *text, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int
add_seg(struct gen_tmpl *t, uint8_t f, size_t off, size_t len)
{
	if (t->n_head + t->n_body >= GEN_TMPL_SEGS)
		return -1;
	t->seg[t->n_head + t->n_body++] =
		(struct gen_seg){.off = (uint16_t)off, .len = (uint16_t)len, .field = f};
	return 0;
}

int
gen_tmpl_compile(struct gen_tmpl *t, const char *text, size_t len, char *err, size_t errlen)
{
	t->fixed = false;
	t->n_head = t->n_body = 0;
	t->len = 0;
	/* Copy, turning bare LF into CRLF. */
	bool has_cr = memchr(text, '\r', len) != NULL;
	for (size_t i = 0; i < len; i++) {
		if (!has_cr && text[i] == '\n') {
			if (t->len + 2 > sizeof(t->text))
				goto too_long;
			t->text[t->len++] = '\r';
		} else if (t->len + 1 > sizeof(t->text)) {
			goto too_long;
		}
		t->text[t->len++] = text[i];
	}
	const char *end = memmem(t->text, t->len, "\r\n\r\n", 4);
	if (end == NULL) {
		snprintf(err, errlen, "template: no empty line after the headers");
		return -1;
	}
	size_t body = (size_t)(end - t->text) + 4;
	size_t lit = 0;
	bool in_body = false;
	for (size_t i = 0; i <= t->len; i++) {
		if (!in_body && i == body) {
			if (i > lit && add_seg(t, GEN_F_LIT, lit, i - lit) != 0)
				goto too_many;
			lit = i;
			t->n_head = t->n_body;
			t->n_body = 0;
			in_body = true;
		}
		if (i == t->len)
			break;
		if (t->text[i] != '$')
			continue;
		if (i + 1 < t->len && t->text[i + 1] == '$') {
			/* "$$": the literal so far including one '$', then skip the other. */
			if (add_seg(t, GEN_F_LIT, lit, i + 1 - lit) != 0)
				goto too_many;
			lit = i + 2;
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < t->len && ((t->text[j] >= 'a' && t->text[j] <= 'z') || t->text[j] == '_'))
			j++;
		enum gen_field f = GEN_F_LIT;
		for (size_t k = 0; k < sizeof(field_names) / sizeof(field_names[0]); k++)
			if (strlen(field_names[k].name) == j - i - 1 &&
					memcmp(field_names[k].name, t->text + i + 1, j - i - 1) == 0)
				f = field_names[k].f;
		if (f == GEN_F_LIT) {
			unsigned line, col;
			where(t->text, i, &line, &col);
			snprintf(err, errlen, "template line %u column %u: unknown field '$%.*s' "
					"(fields: $callid $branch $fromtag $user $seq $len $src_ip $src_port "
					"$dst_ip $dst_port, $$ for a dollar)", line, col,
					(int)(j - i - 1), t->text + i + 1);
			return -1;
		}
		if (f == GEN_F_LEN && in_body) {
			unsigned line, col;
			where(t->text, i, &line, &col);
			snprintf(err, errlen, "template line %u column %u: $len in the body", line, col);
			return -1;
		}
		if (i > lit && add_seg(t, GEN_F_LIT, lit, i - lit) != 0)
			goto too_many;
		if (add_seg(t, (uint8_t)f, i, j - i) != 0)
			goto too_many;
		lit = j;
		i = j - 1;
	}
	if (t->len > lit && add_seg(t, GEN_F_LIT, lit, t->len - lit) != 0)
		goto too_many;
	return 0;
too_long:
	snprintf(err, errlen, "template longer than %zu bytes", sizeof(t->text));
	return -1;
too_many:
	snprintf(err, errlen, "template has more than %d fields and literals", GEN_TMPL_SEGS);
	return -1;
}

void
gen_tmpl_set_addrs(struct gen_tmpl *t, const char *src_ip, uint16_t src_port,
		const char *dst_ip, uint16_t dst_port)
{
	snprintf(t->src_ip, sizeof(t->src_ip), "%s", src_ip);
	snprintf(t->dst_ip, sizeof(t->dst_ip), "%s", dst_ip);
	snprintf(t->src_port, sizeof(t->src_port), "%u", src_port);
	snprintf(t->dst_port, sizeof(t->dst_port), "%u", dst_port);
}

static inline char *
put(char *p, char *end, const void *s, size_t n)
{
	if (p == NULL || (size_t)(end - p) < n)
		return NULL;
	memcpy(p, s, n);
	return p + n;
}

static char *
put_u64(char *p, char *end, uint64_t x)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[19 - n++] = (char)('0' + x % 10);
		x /= 10;
	} while (x != 0);
	return put(p, end, tmp + 20 - n, (size_t)n);
}

static char *
expand(const struct gen_tmpl *t, const struct gen_seg *s, unsigned n, const struct gen_vars *v,
		uint32_t body_len, char *p, char *end)
{
	char tmp[64];
	for (unsigned i = 0; i < n && p != NULL; i++) {
		switch ((enum gen_field)s[i].field) {
		case GEN_F_LIT:
			p = put(p, end, t->text + s[i].off, s[i].len);
			break;
		case GEN_F_CALLID:
			tmp[0] = 's';
			tmp[1] = 'g';
			tmp[2] = v->cls;
			gen_hex16(tmp + 3, v->seq);
			gen_hex16(tmp + 19, v->tsc);
			tmp[35] = '@';
			p = put(p, end, tmp, 36);
			p = put(p, end, t->src_ip, strlen(t->src_ip));
			break;
		case GEN_F_BRANCH:
			memcpy(tmp, "z9hG4bKsg", 9);
			gen_hex16(tmp + 9, v->seq);
			p = put(p, end, tmp, 25);
			break;
		case GEN_F_FROMTAG:
			tmp[0] = 't';
			gen_hex16(tmp + 1, v->seq);
			p = put(p, end, tmp, 17);
			break;
		case GEN_F_USER:
			p = put(p, end, v->user, v->user_len);
			break;
		case GEN_F_SEQ:
			p = put_u64(p, end, v->seq);
			break;
		case GEN_F_LEN:
			p = put_u64(p, end, body_len);
			break;
		case GEN_F_SRC_IP:
			p = put(p, end, t->src_ip, strlen(t->src_ip));
			break;
		case GEN_F_SRC_PORT:
			p = put(p, end, t->src_port, strlen(t->src_port));
			break;
		case GEN_F_DST_IP:
			p = put(p, end, t->dst_ip, strlen(t->dst_ip));
			break;
		case GEN_F_DST_PORT:
			p = put(p, end, t->dst_port, strlen(t->dst_port));
			break;
		}
	}
	return p;
}

/*
 * The checksum sum of n (<= 32) bytes at p, the message's offset off: 8-byte
 * words (the last one masked: the bytes after the field are still in the
 * buffer), folded, byte-swapped at an odd offset.
 */
static inline uint64_t
field_sum(const char *p, uint32_t off, uint32_t n)
{
	uint64_t sum = 0, w;
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		sum += (w & 0xffffffffu) + (w >> 32);
	}
	if (i < n) {
		memcpy(&w, p + i, 8);
		w &= ~0ull >> (64 - 8 * (n - i));
		sum += (w & 0xffffffffu) + (w >> 32);
	}
	uint16_t s = dp_cksum_fold(sum);
	return (off & 1) ? (uint16_t)(s >> 8 | s << 8) : s;
}

/* A 16-bit sum taken at an even offset, as it counts at an odd one. */
static inline uint16_t
swap16(uint16_t x)
{
	return (uint16_t)(x >> 8 | x << 8);
}

uint64_t
gen_tmpl_patch(const struct gen_tmpl *t, const struct gen_vars *v, char *buf)
{
	/*
	 * Each value is rendered and summed once; what the fields add to the
	 * sum is each value's sum times how often it lands at an even and at an
	 * odd offset (counted by gen_tmpl_prepare()).
	 */
	__m128i seq = hex16(v->seq), tsc = hex16(v->tsc), user;
	uint16_t s_user;
	if (t->user_fast) {
		user = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)t->user_mask),
				_mm_loadu_si128((const __m128i *)(const void *)v->user));
		s_user = sum16(user);
	} else {
		user = _mm_setzero_si128();
		s_user = 0; /* summed where first written (field_sum reads whole words) */
	}
	bool user_summed = t->user_fast;
	for (unsigned i = 0; i < t->n_patch; i++) {
		char *p = buf + t->patch[i].off;
		switch ((enum gen_field)t->patch[i].field) {
		case GEN_F_CALLID:
			p[2] = v->cls;
			_mm_storeu_si128((__m128i *)(void *)(p + 3), seq);
			_mm_storeu_si128((__m128i *)(void *)(p + 19), tsc);
			break;
		case GEN_F_BRANCH:
			_mm_storeu_si128((__m128i *)(void *)(p + 9), seq);
			break;
		case GEN_F_FROMTAG:
			_mm_storeu_si128((__m128i *)(void *)(p + 1), seq);
			break;
		case GEN_F_USER:
			if (t->user_fast) {
				/* One masked 16-byte store: the user's bytes, the template's after. */
				__m128i m = _mm_loadu_si128((const __m128i *)(const void *)t->user_mask);
				__m128i d = _mm_loadu_si128((const __m128i *)(const void *)p);
				_mm_storeu_si128((__m128i *)(void *)p,
						_mm_or_si128(user, _mm_andnot_si128(m, d)));
			} else {
				memcpy(p, v->user, v->user_len);
				if (!user_summed)
					s_user = (uint16_t)field_sum(p, 0, v->user_len);
				user_summed = true;
			}
			break;
		default:
			break;
		}
	}
	uint16_t s_seq = sum16(seq), s_tsc = sum16(tsc), c = (uint8_t)v->cls;
	const uint8_t *k = t->times;
	return k[0] * (uint64_t)s_seq + k[1] * (uint64_t)swap16(s_seq) +
			k[2] * (uint64_t)s_tsc + k[3] * (uint64_t)swap16(s_tsc) +
			k[4] * (uint64_t)s_user + k[5] * (uint64_t)swap16(s_user) +
			k[6] * (uint64_t)c + k[7] * ((uint64_t)c << 8);
}

/*
 * The prepared path: the prototype, then each field rewritten where it is;
 * *sum (if not NULL) gets the message's checksum sum, from the prototype's
 * and the rewritten bytes'. The buffer must have 8 bytes of room after the
 * message (a field's last word is read whole).
 */
static uint32_t
expand_fixed(const struct gen_tmpl *t, const struct gen_vars *v, char *buf, uint32_t cap,
		uint64_t *sum)
{
	if (t->proto_len + 8 > cap || v->user_len != t->user_width)
		return 0;
	memcpy(buf, t->proto, t->proto_len);
	uint64_t s = t->proto_sum + gen_tmpl_patch(t, v, buf);
	if (sum != NULL)
		*sum = s;
	return t->proto_len;
}

uint32_t
gen_tmpl_expand_sum(const struct gen_tmpl *t, const struct gen_vars *v, char *buf, uint32_t cap,
		uint64_t *sum)
{
	return t->fixed ? expand_fixed(t, v, buf, cap, sum) : 0;
}

/* The bytes a patch rewrites: [*from, *from + *len) of the message. */
static void
patch_bytes(const struct gen_tmpl *t, const struct gen_patch *p, uint32_t *from, uint32_t *len)
{
	switch ((enum gen_field)p->field) {
	case GEN_F_CALLID:
		*from = p->off + 2u;
		*len = 33;
		return;
	case GEN_F_BRANCH:
		*from = p->off + 9u;
		*len = 16;
		return;
	case GEN_F_FROMTAG:
		*from = p->off + 1u;
		*len = 16;
		return;
	default:
		*from = p->off;
		*len = t->user_width;
		return;
	}
}

/*
 * The sum of len (< 64) bytes at an odd or even offset of the message:
 * 32-bit halves of 8-byte words into 64 bits (as dp_cksum_add() does, with
 * no call for a few words), the tail zero-padded.
 */
static inline uint64_t
sum_at(const char *buf, uint32_t from, uint32_t len)
{
	const char *p = buf + from;
	uint64_t sum = 0, w;
	uint32_t i = 0;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		sum += (w & 0xffffffffu) + (w >> 32);
	}
	if (i < len) {
		w = 0;
		memcpy(&w, p + i, len - i);
		sum += (w & 0xffffffffu) + (w >> 32);
	}
	uint16_t s = dp_cksum_fold(sum);
	if (from & 1)
		s = (uint16_t)(s >> 8 | s << 8);
	return s;
}

uint64_t
gen_tmpl_sum(const struct gen_tmpl *t, const char *buf)
{
	uint64_t sum = t->proto_sum;
	for (unsigned i = 0; i < t->n_patch; i++) {
		uint32_t from, len;
		patch_bytes(t, &t->patch[i], &from, &len);
		sum += sum_at(buf, from, len);
	}
	return sum;
}

bool
gen_tmpl_prepare(struct gen_tmpl *t, unsigned user_width)
{
	t->fixed = false;
	if (user_width == 0 || user_width >= 64)
		return false;
	char user[64];
	memset(user, '0', user_width);
	struct gen_vars v = {.cls = 'o', .user = user, .user_len = user_width};
	uint32_t len = gen_tmpl_expand(t, &v, t->proto, sizeof(t->proto));
	if (len == 0)
		return false;
	/* Walk the segments as expand() does, to learn where each field lands. */
	unsigned n = 0;
	uint32_t off = 0;
	for (unsigned pass = 0; pass < 2; pass++) {
		const struct gen_seg *s = pass == 0 ? t->seg : t->seg + t->n_head;
		unsigned ns = pass == 0 ? t->n_head : t->n_body;
		for (unsigned i = 0; i < ns; i++) {
			uint32_t w;
			switch ((enum gen_field)s[i].field) {
			case GEN_F_LIT:
				w = s[i].len;
				break;
			case GEN_F_CALLID:
				w = 36 + (uint32_t)strlen(t->src_ip);
				break;
			case GEN_F_BRANCH:
				w = 25;
				break;
			case GEN_F_FROMTAG:
				w = 17;
				break;
			case GEN_F_USER:
				w = user_width;
				break;
			case GEN_F_SEQ:
				return false; /* decimal: its width varies */
			case GEN_F_LEN:
				w = 0; /* its digits, read from the prototype below */
				break;
			case GEN_F_SRC_IP:
				w = (uint32_t)strlen(t->src_ip);
				break;
			case GEN_F_SRC_PORT:
				w = (uint32_t)strlen(t->src_port);
				break;
			case GEN_F_DST_IP:
				w = (uint32_t)strlen(t->dst_ip);
				break;
			case GEN_F_DST_PORT:
				w = (uint32_t)strlen(t->dst_port);
				break;
			default:
				return false;
			}
			if (s[i].field == GEN_F_LEN) {
				/* Constant (every field has a fixed width): its digits, as in the prototype. */
				const char *d = t->proto + off;
				while (off + w < len && d[w] >= '0' && d[w] <= '9')
					w++;
			}
			if (s[i].field == GEN_F_CALLID || s[i].field == GEN_F_BRANCH ||
					s[i].field == GEN_F_FROMTAG || s[i].field == GEN_F_USER) {
				if (n == GEN_TMPL_PATCHES)
					return false;
				t->patch[n++] = (struct gen_patch){.off = (uint16_t)off,
					.field = s[i].field};
			}
			off += w;
		}
	}
	if (off != len)
		return false;
	t->n_patch = n;
	t->proto_len = len;
	t->user_width = (uint8_t)user_width;
	/* How often each value lands at an even and an odd offset (gen_tmpl_patch()). */
	memset(t->times, 0, sizeof(t->times));
	for (unsigned i = 0; i < n; i++) {
		unsigned o = t->patch[i].off;
		switch ((enum gen_field)t->patch[i].field) {
		case GEN_F_CALLID:
			t->times[0 + ((o + 3) & 1)]++;
			t->times[2 + ((o + 19) & 1)]++;
			t->times[6 + ((o + 2) & 1)]++;
			break;
		case GEN_F_BRANCH:
			t->times[0 + ((o + 9) & 1)]++;
			break;
		case GEN_F_FROMTAG:
			t->times[0 + ((o + 1) & 1)]++;
			break;
		default:
			t->times[4 + (o & 1)]++;
			break;
		}
	}
	/* Users of up to 16 bytes are written as one masked 16-byte store, if it stays inside. */
	t->user_fast = user_width <= 16;
	for (unsigned i = 0; i < n; i++)
		if (t->patch[i].field == GEN_F_USER && t->patch[i].off + 16u > len)
			t->user_fast = false;
	memset(t->user_mask, 0, sizeof(t->user_mask));
	memset(t->user_mask, 0xff, user_width <= 16 ? user_width : 0);
	/* The prototype's sum with the rewritten bytes zero (they add nothing then). */
	static char zeroed[GEN_MSG_MAX];
	memcpy(zeroed, t->proto, len);
	for (unsigned i = 0; i < n; i++) {
		uint32_t from, pl;
		patch_bytes(t, &t->patch[i], &from, &pl);
		memset(zeroed + from, 0, pl);
	}
	t->proto_sum = dp_cksum_add(zeroed, len, 0);
	t->fixed = true;
	return true;
}

uint32_t
gen_tmpl_expand(const struct gen_tmpl *t, const struct gen_vars *v, char *buf, uint32_t cap)
{
	if (t->fixed)
		return expand_fixed(t, v, buf, cap, NULL);
	/* The body first, at the end of buf, to know $len; then the head, then the body moved after it. */
	char body[GEN_MSG_MAX];
	char *be = expand(t, t->seg + t->n_head, t->n_body, v, 0, body, body + sizeof(body));
	if (be == NULL)
		return 0;
	uint32_t blen = (uint32_t)(be - body);
	char *p = expand(t, t->seg, t->n_head, v, blen, buf, buf + cap);
	p = put(p, buf + cap, body, blen);
	return p == NULL ? 0 : (uint32_t)(p - buf);
}

/* ---- built-ins ---- */

static const char invite_head[] =
	"INVITE sip:$user@$dst_ip:$dst_port SIP/2.0\r\n"
	"Via: SIP/2.0/UDP $src_ip:$src_port;branch=$branch;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:gen@$src_ip>;tag=$fromtag\r\n"
	"To: <sip:$user@$dst_ip>\r\n"
	"Call-ID: $callid\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:gen@$src_ip:$src_port>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: $len\r\n"
	"\r\n";
/* The same in compact header forms (RFC 3261 §7.3.3), for sizes below the full form's. */
static const char invite_head_compact[] =
	"INVITE sip:$user@$dst_ip:$dst_port SIP/2.0\r\n"
	"v: SIP/2.0/UDP $src_ip:$src_port;branch=$branch;rport\r\n"
	"Max-Forwards: 70\r\n"
	"f: <sip:gen@$src_ip>;tag=$fromtag\r\n"
	"t: <sip:$user@$dst_ip>\r\n"
	"i: $callid\r\n"
	"CSeq: 1 INVITE\r\n"
	"m: <sip:gen@$src_ip:$src_port>\r\n"
	"c: application/sdp\r\n"
	"l: $len\r\n"
	"\r\n";
static const char invite_body[] =
	"v=0\r\n"
	"o=- 1 1 IN IP4 $src_ip\r\n"
	"s=-\r\n"
	"c=IN IP4 $src_ip\r\n"
	"t=0 0\r\n"
	"m=audio 40000 RTP/AVP 0\r\n";
static const char options_head[] =
	"OPTIONS sip:$user@$dst_ip:$dst_port SIP/2.0\r\n"
	"Via: SIP/2.0/UDP $src_ip:$src_port;branch=$branch;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:gen@$src_ip:$src_port>;tag=$fromtag\r\n"
	"To: <sip:$user@$dst_ip:$dst_port>\r\n"
	"Call-ID: $callid\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Accept: application/sdp\r\n"
	"Content-Length: 0\r\n"
	"\r\n";
static const char register_head[] =
	"REGISTER sip:$dst_ip:$dst_port SIP/2.0\r\n"
	"Via: SIP/2.0/UDP $src_ip:$src_port;branch=$branch;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:$user@$dst_ip>;tag=$fromtag\r\n"
	"To: <sip:$user@$dst_ip>\r\n"
	"Call-ID: $callid\r\n"
	"CSeq: 1 REGISTER\r\n"
	"Contact: <sip:$user@$src_ip:$src_port>\r\n"
	"Expires: 300\r\n"
	"Content-Length: 0\r\n"
	"\r\n";
static const char response_head[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP $src_ip:$src_port;branch=$branch;rport\r\n"
	"From: <sip:gen@$src_ip:$src_port>;tag=$fromtag\r\n"
	"To: <sip:$user@$dst_ip:$dst_port>;tag=gw1\r\n"
	"Call-ID: $callid\r\n"
	"CSeq: 1 INVITE\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

int
gen_tmpl_builtin(struct gen_tmpl *t, enum gen_builtin which, unsigned size, unsigned user_len,
		char *err, size_t errlen)
{
	const char *heads[] = {invite_head, options_head, register_head, response_head};
	const char *body = which == GEN_T_INVITE ? invite_body : "";
	char text[GEN_TMPL_MAX];
	char user[64];
	char msg[GEN_MSG_MAX];

	if ((unsigned)which >= sizeof(heads) / sizeof(heads[0])) {
		snprintf(err, errlen, "no such built-in template");
		return -1;
	}
	int n = snprintf(text, sizeof(text), "%s%s", heads[which], body);
	if (gen_tmpl_compile(t, text, (size_t)n, err, errlen) != 0)
		return -1;
	if (size == 0)
		return 0;
	if (user_len == 0 || user_len >= sizeof(user))
		user_len = 10;
	memset(user, '5', user_len);
	struct gen_vars v = {.seq = UINT64_MAX, .tsc = UINT64_MAX, .cls = 'o', .user = user,
		.user_len = user_len};
	uint32_t natural = gen_tmpl_expand(t, &v, msg, sizeof(msg));
	/* The padding line: "a=x-pad:" or "X-Pad: " + filler + CRLF (its Content-Length may grow a digit). */
	unsigned fixed = which == GEN_T_INVITE ? 10 : 9;
	if (which == GEN_T_INVITE && size != natural && size < natural + fixed + 1) {
		heads[which] = invite_head_compact;
		n = snprintf(text, sizeof(text), "%s%s", heads[which], body);
		if (gen_tmpl_compile(t, text, (size_t)n, err, errlen) != 0)
			return -1;
		natural = gen_tmpl_expand(t, &v, msg, sizeof(msg));
	}
	if (size == natural)
		return 0;
	if (size < natural + fixed + 1 || size > GEN_MSG_MAX - 64) {
		snprintf(err, errlen, "size %u: this template is %u bytes; a size from %u to %u can be "
				"reached", size, natural, natural + fixed + 1, GEN_MSG_MAX - 64);
		return -1;
	}
	char pad[GEN_MSG_MAX];
	unsigned k = size - natural - fixed;
	for (int round = 0; round < 3; round++) {
		memset(pad, 'x', k);
		pad[k] = '\0';
		if (which == GEN_T_INVITE) {
			n = snprintf(text, sizeof(text), "%s%sa=x-pad:%s\r\n", heads[which], body, pad);
		} else {
			size_t hl = strlen(heads[which]) - 2; /* before the empty line */
			n = snprintf(text, sizeof(text), "%.*sX-Pad: %s\r\n\r\n", (int)hl, heads[which],
					pad);
		}
		if (n < 0 || (size_t)n >= sizeof(text)) {
			snprintf(err, errlen, "size %u: too large for a template", size);
			return -1;
		}
		if (gen_tmpl_compile(t, text, (size_t)n, err, errlen) != 0)
			return -1;
		uint32_t got = gen_tmpl_expand(t, &v, msg, sizeof(msg));
		if (got == size)
			return 0;
		/* Content-Length grew or shrank by a digit: adjust once more. */
		if (got > size && k > 1)
			k -= got - size;
		else
			k += size - got;
	}
	snprintf(err, errlen, "size %u: could not pad the template to exactly that size", size);
	return -1;
}

int
gen_tmpl_builtin_by_name(struct gen_tmpl *t, const char *name, unsigned size, unsigned user_len,
		char *err, size_t errlen)
{
	static const char *const names[] = {"invite", "options", "register", "response"};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return gen_tmpl_builtin(t, (enum gen_builtin)i, size, user_len, err, errlen);
	snprintf(err, errlen, "unknown template '%s' (invite, options, register, response or @FILE)",
			name);
	return -1;
}
