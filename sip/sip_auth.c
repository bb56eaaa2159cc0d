/* SPDX-License-Identifier: BSD-3-Clause */
#include "sip_auth.h"

#include "sip_chars.h"
#include "sip_err.h"

static const char *const field_names[] = {
#define SIP_AUTH_NAME(e, n) n,
	SIP_AUTH_FIELDS(SIP_AUTH_NAME)
#undef SIP_AUTH_NAME
};

const char *
sip_auth_field_name(enum sip_auth_field f)
{
	return (unsigned)f < SIP_AUTH__COUNT ? field_names[f] : "?";
}

/*
 * LWS at p: WSP, or a line end followed by WSP (a fold). A line end not
 * followed by WSP is not LWS (it would end the header): returns p there.
 */
static const char *
skip_lws(const char *p, const char *end)
{
	for (;;) {
		if (p < end && (*p == ' ' || *p == '\t')) {
			p++;
			continue;
		}
		const char *q = p;
		if (q < end && *q == '\r')
			q++;
		if (q < end && *q == '\n' && q + 1 < end && (q[1] == ' ' || q[1] == '\t')) {
			p = q + 1;
			continue;
		}
		return p;
	}
}

static const char *
token(const char *p, const char *end)
{
	while (p < end && sip_is((unsigned char)*p, SIP_C_TOKEN))
		p++;
	return p;
}

/*
 * Quoted string at p (on the opening quote): *out is the inside. Returns
 * the byte after the closing quote, or NULL. *esc tells whether a
 * quoted-pair was seen.
 */
static const char *
quoted(const char *p, const char *end, struct sip_str *out, bool *esc)
{
	const char *s = ++p;
	*esc = false;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			*out = sip_str_span(s, p);
			return p + 1;
		}
		if (c == '\\') {
			if (p + 1 >= end)
				return NULL;
			unsigned char n = (unsigned char)p[1];
			if (n == '\r' || n == '\n' || n == 0 || n >= 0x80)
				return NULL;
			*esc = true;
			p += 2;
			continue;
		}
		if (c == '\r' || c == '\n') {
			const char *q = skip_lws(p, end);
			if (q == p)
				return NULL; /* a line end that is not a fold */
			p = q;
			continue;
		}
		if (c < 0x20 && c != '\t')
			return NULL;
		if (c == 0x7f)
			return NULL;
		p++;
	}
	return NULL;
}

static bool
all_hex(struct sip_str s)
{
	if (s.len == 0)
		return false;
	for (uint32_t i = 0; i < s.len; i++)
		if (!sip_is((unsigned char)s.p[i], SIP_C_HEX))
			return false;
	return true;
}

static int
field_of(struct sip_str name)
{
	for (int i = 0; i < SIP_AUTH__COUNT; i++) {
		size_t n = 0;
		while (field_names[i][n])
			n++;
		if (sip_str_caseeq(name, field_names[i], n))
			return i;
	}
	return -1;
}

static int
check_field(struct sip_auth *a, int f, struct sip_str v)
{
	switch (f) {
	case SIP_AUTH_NC: {
		if (v.len != 8 || !all_hex(v))
			return -1;
		uint32_t n = 0;
		for (unsigned i = 0; i < 8; i++) {
			unsigned char c = (unsigned char)v.p[i];
			unsigned d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
			n = (n << 4) | d;
		}
		a->nc = n;
		return 0;
	}
	case SIP_AUTH_RESPONSE:
		return all_hex(v) ? 0 : -1;
	case SIP_AUTH_USERHASH:
		return sip_str_caseeq(v, "true", 4) || sip_str_caseeq(v, "false", 5) ? 0 : -1;
	default:
		return 0;
	}
}

int
sip_auth_parse(struct sip_auth *a, struct sip_str v)
{
	const char *p = v.p, *end = v.p + v.len, *e;

	memset(a, 0, sizeof(*a));
	if (v.len == 0)
		return -SIP_E_AUTH;
	p = skip_lws(p, end);
	e = token(p, end);
	if (e == p)
		return -SIP_E_AUTH;
	a->scheme = sip_str_span(p, e);
	p = skip_lws(e, end);
	if (p == e)
		return -SIP_E_AUTH; /* the scheme needs LWS after it (and pairs follow) */
	for (;;) {
		struct sip_str name, val;
		bool esc = false;

		if (++a->n_params > SIP_AUTH_MAX_PARAMS)
			return -SIP_E_AUTH;
		e = token(p, end);
		if (e == p)
			return -SIP_E_AUTH;
		/* '*' is a token character: "username*" is one name. */
		name = sip_str_span(p, e);
		p = skip_lws(e, end);
		if (p >= end || *p != '=')
			return -SIP_E_AUTH;
		p = skip_lws(p + 1, end);
		if (p < end && *p == '"') {
			p = quoted(p, end, &val, &esc);
			if (p == NULL)
				return -SIP_E_AUTH;
		} else {
			e = token(p, end);
			if (e == p)
				return -SIP_E_AUTH;
			val = sip_str_span(p, e);
			p = e;
		}
		int f = field_of(name);
		if (f >= 0) {
			if (sip_auth_has(a, (enum sip_auth_field)f))
				return -SIP_E_AUTH;
			if (check_field(a, f, val) != 0)
				return -SIP_E_AUTH;
			a->f[f] = val;
			a->present |= 1u << f;
			if (esc)
				a->escaped |= 1u << f;
		}
		p = skip_lws(p, end);
		if (p == end)
			return 0;
		if (*p != ',')
			return -SIP_E_AUTH;
		p = skip_lws(p + 1, end);
	}
}

bool
sip_auth_is_digest(const struct sip_auth *a)
{
	return sip_str_caseeq(a->scheme, "Digest", 6);
}

int
sip_auth_unquote(char *dst, size_t cap, struct sip_str v)
{
	size_t n = 0;
	for (uint32_t i = 0; i < v.len; i++) {
		char c = v.p[i];
		if (c == '\\' && i + 1 < v.len)
			c = v.p[++i];
		if (n >= cap)
			return -1;
		dst[n++] = c;
	}
	return (int)n;
}
