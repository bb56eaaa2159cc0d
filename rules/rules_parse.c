/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dialplan language, line by line (docs/dialplan.md): tokens, then
 * directives or rule clauses into a draft. Only syntax is checked here;
 * meaning (groups, regexes, captures) is the builder's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules_build.h"

#define MAX_TOKENS 256
/* Longest line accepted; longer ones are an error, not a silent cut. */
#define LINE_MAX_BYTES 65536

struct tok {
	char *p;
	uint32_t len;
	bool quoted;
};

enum kw {
	KW_NONE = 0,
	KW_USER,
	KW_DOMAIN,
	KW_FROM,
	KW_TO,
	KW_PREFIX,
	KW_EXACT,
	KW_REGEX,
	KW_LEN,
	KW_SRC,
	KW_METHOD,
	KW_STRIP,
	KW_ADD,
	KW_SET,
	KW_SUBST,
	KW_REPL,
	KW_REDIRECT,
	KW_CONTACT,
	KW_FORWARD,
	KW_REJECT,
	KW_DROP,
	KW_PASS,
	KW_HEADER,
	KW_ATTRS,
};

static const struct {
	const char *name;
	enum kw kw;
} keywords[] = {
	{"user", KW_USER}, {"domain", KW_DOMAIN}, {"from", KW_FROM}, {"to", KW_TO},
	{"prefix", KW_PREFIX}, {"exact", KW_EXACT}, {"regex", KW_REGEX}, {"len", KW_LEN},
	{"src", KW_SRC}, {"method", KW_METHOD}, {"strip", KW_STRIP}, {"add", KW_ADD},
	{"set", KW_SET}, {"subst", KW_SUBST}, {"repl", KW_REPL}, {"redirect", KW_REDIRECT},
	{"contact", KW_CONTACT}, {"forward", KW_FORWARD}, {"reject", KW_REJECT},
	{"drop", KW_DROP}, {"pass", KW_PASS}, {"header", KW_HEADER}, {"attrs", KW_ATTRS},
};

static enum kw
keyword(const struct tok *t)
{
	if (t->quoted)
		return KW_NONE;
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i].name) == t->len &&
				memcmp(keywords[i].name, t->p, t->len) == 0)
			return keywords[i].kw;
	return KW_NONE;
}

static bool
tok_is(const struct tok *t, const char *s)
{
	return !t->quoted && strlen(s) == t->len && memcmp(s, t->p, t->len) == 0;
}

static struct rules_view
tview(const struct tok *t)
{
	return (struct rules_view){t->p, t->len};
}

/*
 * Split a line into tokens: whitespace separates, '#' at the start of a
 * token begins a comment, "..." quotes (with "" for a quote inside) and
 * is undone in place. Returns the count or -1 with *err set.
 */
static int
tokenize(char *s, size_t n, struct tok *t, unsigned max, const char **err)
{
	size_t i = 0;
	unsigned k = 0;

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (size_t j = 0; j < n; j++) {
		unsigned char c = (unsigned char)s[j];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*err = c == 0 ? "NUL byte in line" : "control character in line";
			return -1;
		}
	}
	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= n || s[i] == '#')
			return (int)k;
		if (k == max) {
			*err = "too many words on one line";
			return -1;
		}
		if (s[i] == '"') {
			size_t o = i + 1, w = i + 1;
			for (;;) {
				if (o >= n) {
					*err = "unterminated quoted text";
					return -1;
				}
				if (s[o] == '"') {
					if (o + 1 < n && s[o + 1] == '"') {
						s[w++] = '"';
						o += 2;
						continue;
					}
					break;
				}
				s[w++] = s[o++];
			}
			t[k].p = s + i + 1;
			t[k].len = (uint32_t)(w - i - 1);
			t[k].quoted = true;
			k++;
			i = o + 1;
			if (i < n && s[i] != ' ' && s[i] != '\t') {
				*err = "quoted text must be followed by a space";
				return -1;
			}
			continue;
		}
		size_t st = i;
		while (i < n && s[i] != ' ' && s[i] != '\t') {
			if (s[i] == '"') {
				*err = "quote inside a word (quote the whole word)";
				return -1;
			}
			i++;
		}
		t[k].p = s + st;
		t[k].len = (uint32_t)(i - st);
		t[k].quoted = false;
		k++;
	}
}

static int
parse_u64(const struct tok *t, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (t->len == 0 || t->len > 20)
		return -1;
	for (uint32_t i = 0; i < t->len; i++) {
		unsigned d = (unsigned char)t->p[i] - '0';
		if (d > 9)
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static bool
is_number(const struct tok *t)
{
	uint64_t v;

	return !t->quoted && parse_u64(t, UINT64_MAX, &v) == 0;
}

/* Printable text (UTF-8 allowed), no control characters. */
static bool
printable(struct rules_view v)
{
	for (uint32_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool
is_token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		strchr("-.!%*_+`'~", c) != NULL;
}

static bool
is_name(struct rules_view v)
{
	if (v.len == 0 || v.len >= RULES_NAME_MAX)
		return false;
	for (uint32_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* Host name (RFC 1123 labels) or IPv4 text. */
static bool
is_hostname(struct rules_view v)
{
	uint32_t label = 0;

	if (v.len == 0 || v.len > 253)
		return false;
	for (uint32_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				c == '-'))
			return false;
		if (++label > 63)
			return false;
	}
	return label != 0;
}

/* ---- clause parsing ---- */

struct pctx {
	struct bld *b;
	struct draft *d;
	struct tok *t;
	unsigned n;
	unsigned i;
	uint32_t line;
	bool failed;
};

static void
perr(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
perr(struct pctx *c, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bld_error(c->b, c->line, "rule %u: %s", c->d->ordinal, msg);
	c->failed = true;
}

/* The value after keyword t[i-1]; quoted or not. */
static bool
take_value(struct pctx *c, const char *what, struct rules_view *out)
{
	if (c->i >= c->n) {
		perr(c, "missing value after '%s'", what);
		return false;
	}
	*out = tview(&c->t[c->i++]);
	return true;
}

static bool
take_number(struct pctx *c, const char *what, uint64_t min, uint64_t max, uint64_t *out)
{
	if (c->i >= c->n) {
		perr(c, "missing number after '%s'", what);
		return false;
	}
	struct tok *t = &c->t[c->i];
	if (t->quoted || parse_u64(t, max, out) < 0 || *out < min) {
		perr(c, "'%s' needs a number from %llu to %llu, not \"%.*s\"", what,
				(unsigned long long)min, (unsigned long long)max, (int)t->len,
				t->p);
		return false;
	}
	c->i++;
	return true;
}

static struct draft_cond *
new_cond(struct pctx *c, uint8_t type, uint8_t field)
{
	if (c->d->n_conds == DRAFT_CONDS) {
		perr(c, "more than %d conditions", DRAFT_CONDS);
		return NULL;
	}
	struct draft_cond *dc = &c->d->cond[c->d->n_conds++];
	memset(dc, 0, sizeof(*dc));
	dc->type = type;
	dc->field = field;
	return dc;
}

static bool
parse_cidr(struct pctx *c, struct rules_view v, struct rules_cidr *out)
{
	char text[64];
	uint32_t slash = v.len;
	uint64_t bits;

	for (uint32_t i = 0; i < v.len; i++)
		if (v.p[i] == '/')
			slash = i;
	if (slash == 0 || slash >= sizeof(text)) {
		perr(c, "bad source address \"%.*s\"", (int)v.len, v.p);
		return false;
	}
	memcpy(text, v.p, slash);
	text[slash] = '\0';
	memset(out, 0, sizeof(*out));
	if (rules_addr_parse(text, &out->af, out->a) < 0) {
		perr(c, "bad source address \"%.*s\"", (int)v.len, v.p);
		return false;
	}
	unsigned maxb = out->af == 4 ? 32 : 128;
	if (slash == v.len) {
		bits = maxb;
	} else {
		struct tok t = {(char *)v.p + slash + 1, v.len - slash - 1, false};
		if (parse_u64(&t, maxb, &bits) < 0) {
			perr(c, "bad prefix length in \"%.*s\" (0 to %u)", (int)v.len, v.p, maxb);
			return false;
		}
	}
	out->bits = (uint8_t)bits;
	for (unsigned b = (unsigned)bits; b < maxb; b++) {
		if (out->a[b / 8] & (0x80 >> (b % 8))) {
			perr(c, "\"%.*s\" has bits set after the prefix length", (int)v.len, v.p);
			return false;
		}
	}
	return true;
}

static void
clause_src(struct pctx *c)
{
	struct rules_view v;
	struct draft *d = c->d;

	if (!take_value(c, "src", &v))
		return;
	struct draft_cond *dc = new_cond(c, CT_SRC, 0);
	if (dc == NULL)
		return;
	dc->cidr_first = d->n_cidr;
	uint32_t st = 0;
	for (uint32_t i = 0; i <= v.len; i++) {
		if (i < v.len && v.p[i] != ',')
			continue;
		if (d->n_cidr == DRAFT_CIDRS) {
			perr(c, "more than %d source addresses in one rule", DRAFT_CIDRS);
			return;
		}
		struct rules_view one = {v.p + st, i - st};
		if (!parse_cidr(c, one, &d->cidr[d->n_cidr]))
			return;
		d->n_cidr++;
		st = i + 1;
	}
	dc->cidr_n = d->n_cidr - dc->cidr_first;
}

static void
clause_method(struct pctx *c)
{
	struct rules_view v;

	if (!take_value(c, "method", &v))
		return;
	uint32_t st = 0;
	for (uint32_t i = 0; i <= v.len; i++) {
		if (i < v.len && v.p[i] != ',') {
			if (!is_token_char((unsigned char)v.p[i])) {
				perr(c, "bad method list \"%.*s\" (tokens separated by commas)",
						(int)v.len, v.p);
				return;
			}
			continue;
		}
		if (i == st) {
			perr(c, "empty method in \"%.*s\"", (int)v.len, v.p);
			return;
		}
		st = i + 1;
	}
	struct draft_cond *dc = new_cond(c, CT_METHOD, 0);
	if (dc != NULL)
		dc->v = v;
}

static void
clause_string(struct pctx *c, enum kw kw, uint8_t field, const char *what)
{
	struct rules_view v;
	uint64_t n;

	if (kw == KW_LEN) {
		if (!take_number(c, "len", 0, 65535, &n))
			return;
		struct draft_cond *dc = new_cond(c, CT_LEN, field);
		if (dc != NULL)
			dc->n = (uint32_t)n;
		return;
	}
	if (!take_value(c, what, &v))
		return;
	if (v.len == 0) {
		perr(c, "empty value after '%s'", what);
		return;
	}
	if (kw != KW_REGEX && v.len > VALUE_MAX) {
		perr(c, "'%s' value longer than %d bytes", what, VALUE_MAX);
		return;
	}
	struct draft_cond *dc = new_cond(c, kw == KW_PREFIX ? CT_PREFIX :
			kw == KW_EXACT ? CT_EXACT : CT_REGEX, field);
	if (dc != NULL)
		dc->v = v;
}

static struct draft_op *
new_op(struct pctx *c, uint32_t type)
{
	if (c->d->n_ops == DRAFT_OPS) {
		perr(c, "more than %d transformations", DRAFT_OPS);
		return NULL;
	}
	struct draft_op *op = &c->d->op[c->d->n_ops++];
	memset(op, 0, sizeof(*op));
	op->type = type;
	return op;
}

static void
clause_op(struct pctx *c, enum kw kw)
{
	struct draft_op *op;
	struct rules_view v, r;
	uint64_t n;

	switch (kw) {
	case KW_STRIP:
		if (!take_number(c, "strip", 1, RULES_VALUE_MAX, &n))
			return;
		op = new_op(c, OP_STRIP);
		if (op != NULL)
			op->n = (uint32_t)n;
		return;
	case KW_ADD:
	case KW_SET:
		if (!take_value(c, kw == KW_ADD ? "add" : "set", &v))
			return;
		if (v.len > VALUE_MAX || !printable(v) || (kw == KW_ADD && v.len == 0)) {
			perr(c, "'%s' needs printable text of 1 to %d bytes",
					kw == KW_ADD ? "add" : "set", VALUE_MAX);
			return;
		}
		op = new_op(c, kw == KW_ADD ? OP_ADD : OP_SET);
		if (op != NULL)
			op->s = v;
		return;
	case KW_SUBST:
		if (!take_value(c, "subst", &v) || !take_value(c, "subst", &r))
			return;
		if (v.len == 0) {
			perr(c, "empty pattern after 'subst'");
			return;
		}
		op = new_op(c, OP_SUBST);
		if (op != NULL) {
			op->pat = v;
			op->s = r;
		}
		return;
	case KW_REPL:
		if (!take_value(c, "repl", &r))
			return;
		op = new_op(c, OP_SUBST);
		if (op != NULL) {
			op->own = true;
			op->s = r;
		}
		return;
	default:
		return;
	}
}

/* "q=0.5": thousandths. */
static bool
parse_q(struct rules_view v, uint16_t *q)
{
	uint32_t i = 0, val = 0, frac = 0;

	if (v.len == 0 || v.p[0] < '0' || v.p[0] > '1')
		return false;
	val = (uint32_t)(v.p[0] - '0') * 1000;
	i = 1;
	if (i < v.len) {
		if (v.p[i++] != '.' || i == v.len || v.len - i > 3)
			return false;
		uint32_t scale = 100;
		for (; i < v.len; i++, scale /= 10) {
			unsigned d = (unsigned char)v.p[i] - '0';
			if (d > 9)
				return false;
			frac += d * scale;
		}
	}
	val += frac;
	if (val > 1000)
		return false;
	*q = (uint16_t)val;
	return true;
}

static void
clause_contact(struct pctx *c)
{
	struct rules_view v;
	struct draft *d = c->d;

	if (!take_value(c, "contact", &v))
		return;
	if (d->n_contacts == RULES_MAX_CONTACTS) {
		perr(c, "more than %d contacts", RULES_MAX_CONTACTS);
		return;
	}
	struct draft_contact *ct = &d->contact[d->n_contacts++];
	ct->uri = v;
	ct->expires = RULES_NO_EXPIRES;
	ct->q = RULES_NO_Q;
	while (c->i < c->n && !c->t[c->i].quoted) {
		struct tok *t = &c->t[c->i];
		if (t->len > 2 && memcmp(t->p, "q=", 2) == 0) {
			struct rules_view q = {t->p + 2, t->len - 2};
			if (!parse_q(q, &ct->q)) {
				perr(c, "bad \"%.*s\": q is 0 to 1 with up to 3 decimals",
						(int)t->len, t->p);
				return;
			}
		} else if (t->len > 8 && memcmp(t->p, "expires=", 8) == 0) {
			struct tok e = {t->p + 8, t->len - 8, false};
			uint64_t x;
			if (parse_u64(&e, UINT32_MAX - 1, &x) < 0) {
				perr(c, "bad \"%.*s\": expires is a number of seconds", (int)t->len,
						t->p);
				return;
			}
			ct->expires = (uint32_t)x;
		} else {
			break;
		}
		c->i++;
	}
}

static void
set_action(struct pctx *c, uint8_t action, const char *name)
{
	if (c->d->action != RULES_ACT_NONE) {
		perr(c, "more than one action ('%s' and '%s')",
				rules_action_name((enum rules_action)c->d->action), name);
		return;
	}
	c->d->action = action;
}

static void
clause_action(struct pctx *c, enum kw kw)
{
	struct draft *d = c->d;
	uint64_t n;

	switch (kw) {
	case KW_REDIRECT:
		set_action(c, RULES_ACT_REDIRECT, "redirect");
		d->code = 302;
		if (c->i < c->n && is_number(&c->t[c->i])) {
			if (!take_number(c, "redirect", 300, 399, &n))
				return;
			d->code = (uint16_t)n;
		}
		return;
	case KW_FORWARD:
		set_action(c, RULES_ACT_FORWARD, "forward");
		if (!take_value(c, "forward", &d->group))
			return;
		if (!is_name(d->group))
			perr(c, "bad group name \"%.*s\"", (int)d->group.len, d->group.p);
		return;
	case KW_REJECT:
		set_action(c, RULES_ACT_REJECT, "reject");
		if (!take_number(c, "reject", 400, 699, &n))
			return;
		d->code = (uint16_t)n;
		if (c->i < c->n && (c->t[c->i].quoted || keyword(&c->t[c->i]) == KW_NONE)) {
			d->reason = tview(&c->t[c->i++]);
			if (d->reason.len == 0 || d->reason.len > 127 || !printable(d->reason))
				perr(c, "reject reason must be 1 to 127 printable bytes");
		}
		return;
	case KW_DROP:
		set_action(c, RULES_ACT_DROP, "drop");
		return;
	case KW_PASS:
		set_action(c, RULES_ACT_PASS, "pass");
		return;
	default:
		return;
	}
}

static void
parse_rule(struct bld *b, struct tok *t, unsigned n, uint32_t line)
{
	struct draft *d = calloc(1, sizeof(*d));
	struct pctx c = {b, d, t, n, 1, line, false};
	uint64_t prio;

	if (d == NULL) {
		b->oom = true;
		return;
	}
	d->line = line;
	d->ordinal = ++b->n_rule_lines;
	if (parse_u64(&t[0], UINT32_MAX, &prio) < 0) {
		perr(&c, "priority must be a number from 0 to 4294967295, not \"%.*s\"",
				(int)t[0].len, t[0].p);
		goto out;
	}
	d->prio = (uint32_t)prio;
	while (c.i < c.n && !c.failed) {
		struct tok *k = &t[c.i];
		enum kw kw = keyword(k);
		uint8_t field = RULES_F_USER;
		const char *fname = NULL;

		if (k->quoted) {
			perr(&c, "unexpected quoted text \"%.*s\"", (int)k->len, k->p);
			break;
		}
		c.i++;
		if (kw == KW_USER || kw == KW_DOMAIN || kw == KW_FROM || kw == KW_TO) {
			field = kw == KW_USER ? RULES_F_USER : kw == KW_DOMAIN ? RULES_F_DOMAIN :
				kw == KW_FROM ? RULES_F_FROM : RULES_F_TO;
			fname = keywords[kw - KW_USER].name;
			kw = c.i < c.n ? keyword(&t[c.i]) : KW_NONE;
			if (kw != KW_PREFIX && kw != KW_EXACT && kw != KW_REGEX && kw != KW_LEN) {
				perr(&c, "after '%s' expected prefix, exact, regex or len", fname);
				break;
			}
			k = &t[c.i++];
		}
		switch (kw) {
		case KW_PREFIX:
		case KW_EXACT:
		case KW_REGEX:
		case KW_LEN:
			clause_string(&c, kw, field, keywords[kw - KW_USER].name);
			break;
		case KW_SRC:
			clause_src(&c);
			break;
		case KW_METHOD:
			clause_method(&c);
			break;
		case KW_STRIP:
		case KW_ADD:
		case KW_SET:
		case KW_SUBST:
		case KW_REPL:
			clause_op(&c, kw);
			break;
		case KW_CONTACT:
			clause_contact(&c);
			break;
		case KW_REDIRECT:
		case KW_FORWARD:
		case KW_REJECT:
		case KW_DROP:
		case KW_PASS:
			clause_action(&c, kw);
			break;
		case KW_HEADER:
			if (d->n_headers == DRAFT_HEADERS) {
				perr(&c, "more than %d headers", DRAFT_HEADERS);
				break;
			}
			if (take_value(&c, "header", &d->header[d->n_headers]))
				d->n_headers++;
			break;
		case KW_ATTRS:
			if (take_value(&c, "attrs", &d->attrs) &&
					(d->attrs.len > 1024 || !printable(d->attrs)))
				perr(&c, "attrs must be printable text of at most 1024 bytes");
			break;
		default:
			perr(&c, "unknown word \"%.*s\"", (int)k->len, k->p);
			break;
		}
	}
	if (c.failed)
		goto out;
	if (d->action == RULES_ACT_NONE) {
		perr(&c, "no action (redirect, forward, reject, drop or pass)");
		goto out;
	}
	if (d->action == RULES_ACT_REDIRECT && d->n_contacts == 0) {
		perr(&c, "redirect without a contact");
		goto out;
	}
	if (d->action != RULES_ACT_REDIRECT && d->n_contacts != 0) {
		perr(&c, "contact without redirect");
		goto out;
	}
	bld_add_rule(b, d);
out:
	free(d);
}

/* ---- directives ---- */

/* host[:port][;transport=udp|tcp|tls][;weight=N] */
static void
parse_member(struct bld *b, struct rules_view group, struct tok *t, uint32_t line)
{
	const char *p = t->p, *end = t->p + t->len;
	struct rules_view host;
	uint64_t port = 0, weight = 1;
	uint8_t tp = RULES_TP_UDP;
	char h6[64];

	if (p < end && *p == '[') {
		const char *q = memchr(p, ']', (size_t)(end - p));
		if (q == NULL || (size_t)(q - p - 1) >= sizeof(h6))
			goto bad;
		host = (struct rules_view){p + 1, (uint32_t)(q - p - 1)};
		memcpy(h6, host.p, host.len);
		h6[host.len] = '\0';
		uint8_t af, a[16];
		if (rules_addr_parse(h6, &af, a) < 0 || af != 6)
			goto bad;
		p = q + 1;
	} else {
		const char *q = p;
		while (q < end && *q != ':' && *q != ';')
			q++;
		host = (struct rules_view){p, (uint32_t)(q - p)};
		if (!is_hostname(host))
			goto bad;
		p = q;
	}
	if (p < end && *p == ':') {
		const char *q = ++p;
		while (q < end && *q != ';')
			q++;
		struct tok pt = {(char *)p, (uint32_t)(q - p), false};
		if (parse_u64(&pt, 65535, &port) < 0 || port == 0)
			goto bad;
		p = q;
	}
	while (p < end) {
		if (*p != ';')
			goto bad;
		const char *q = ++p;
		while (q < end && *q != ';')
			q++;
		size_t l = (size_t)(q - p);
		if (l == 13 && memcmp(p, "transport=udp", 13) == 0) {
			tp = RULES_TP_UDP;
		} else if (l == 13 && memcmp(p, "transport=tcp", 13) == 0) {
			tp = RULES_TP_TCP;
		} else if (l == 13 && memcmp(p, "transport=tls", 13) == 0) {
			tp = RULES_TP_TLS;
		} else if (l > 7 && memcmp(p, "weight=", 7) == 0) {
			struct tok wt = {(char *)p + 7, (uint32_t)(l - 7), false};
			if (parse_u64(&wt, 65535, &weight) < 0 || weight == 0) {
				bld_error(b, line, "group %.*s: weight must be 1 to 65535 in "
						"\"%.*s\"", (int)group.len, group.p, (int)t->len,
						t->p);
				return;
			}
		} else {
			goto bad;
		}
		p = q;
	}
	if (port == 0)
		port = tp == RULES_TP_TLS ? 5061 : 5060;
	bld_add_gateway(b, group, host, (uint16_t)port, tp, (uint32_t)weight, line);
	return;
bad:
	bld_error(b, line, "group %.*s: bad gateway \"%.*s\" (host[:port][;transport=udp|tcp|tls]"
			"[;weight=N])", (int)group.len, group.p, (int)t->len, t->p);
}

static void
parse_directive(struct bld *b, struct tok *t, unsigned n, uint32_t line)
{
	uint64_t v;

	if (tok_is(&t[0], "plan")) {
		if (n != 2 || t[1].len == 0 || t[1].len >= RULES_NAME_MAX ||
				!printable(tview(&t[1])))
			bld_error(b, line, "usage: plan NAME (1 to %d printable bytes)",
					RULES_NAME_MAX - 1);
		else
			bld_set_name(b, tview(&t[1]), line);
	} else if (tok_is(&t[0], "version")) {
		if (n != 2 || parse_u64(&t[1], UINT64_MAX, &v) < 0 || v == 0)
			bld_error(b, line, "usage: version N (a number from 1)");
		else
			bld_set_version(b, v);
	} else if (tok_is(&t[0], "tiebreak")) {
		if (n == 2 && tok_is(&t[1], "specific"))
			bld_set_tiebreak(b, TIEBREAK_SPECIFIC, line);
		else if (n == 2 && tok_is(&t[1], "line"))
			bld_set_tiebreak(b, TIEBREAK_LINE, line);
		else
			bld_error(b, line, "usage: tiebreak specific|line");
	} else if (tok_is(&t[0], "group")) {
		if (n < 3) {
			bld_error(b, line, "usage: group NAME GATEWAY...");
			return;
		}
		if (!is_name(tview(&t[1]))) {
			bld_error(b, line, "bad group name \"%.*s\" (letters, digits, '_', '-', "
					"'.')", (int)t[1].len, t[1].p);
			return;
		}
		for (unsigned i = 2; i < n; i++)
			parse_member(b, tview(&t[1]), &t[i], line);
	} else {
		bld_error(b, line, "expected a priority or a directive (plan, version, tiebreak, "
				"group), not \"%.*s\"", (int)t[0].len, t[0].p);
	}
}

void
bld_line(struct bld *b, char *line, size_t len, uint32_t lineno)
{
	struct tok t[MAX_TOKENS];
	const char *err = NULL;
	int n = tokenize(line, len, t, MAX_TOKENS, &err);

	if (n < 0) {
		bld_error(b, lineno, "%s", err);
		return;
	}
	if (n == 0)
		return;
	if (!t[0].quoted && t[0].len > 0 && t[0].p[0] >= '0' && t[0].p[0] <= '9')
		parse_rule(b, t, (unsigned)n, lineno);
	else
		parse_directive(b, t, (unsigned)n, lineno);
}

/* ---- feeding ---- */

/*
 * Physical lines from chunks; logical lines from physical ones. A line
 * that starts with a space or tab continues the previous one (blank and
 * comment lines in between do not interrupt it), so a long rule can be
 * written over several lines and still be one rule with the first line's
 * number. Comments are cut per physical line before joining.
 */
struct liner {
	char *buf;       /* the physical line being assembled */
	size_t len;
	char *logical;   /* the logical line being assembled */
	size_t llen;
	uint32_t lline;  /* its first physical line */
	uint32_t lineno; /* physical lines completed */
	bool too_long;
};

/* Length of s without its comment: '#' at the start of a word, outside quotes. */
static size_t
strip_comment(const char *s, size_t n)
{
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t'))
			return i;
	}
	return n;
}

static void
liner_flush(struct bld *b, struct liner *l)
{
	if (l->llen == 0)
		return;
	bld_line(b, l->logical, l->llen, l->lline);
	l->llen = 0;
}

static void
liner_physical(struct bld *b, struct liner *l, const char *s, size_t n, uint32_t lineno)
{
	n = strip_comment(s, n);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	size_t lead = 0;
	while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
		lead++;
	if (lead == n)
		return;
	if (lead > 0 && l->llen > 0) {
		if (l->llen + 1 + n - lead > LINE_MAX_BYTES) {
			bld_error(b, lineno, "continued line longer than %d bytes", LINE_MAX_BYTES);
			return;
		}
		l->logical[l->llen++] = ' ';
		memcpy(l->logical + l->llen, s + lead, n - lead);
		l->llen += n - lead;
		return;
	}
	liner_flush(b, l);
	memcpy(l->logical, s, n);
	l->llen = n;
	l->lline = lineno;
}

static void
liner_line(struct bld *b, struct liner *l, const char *p, size_t n, bool complete)
{
	if (l->too_long) {
		if (complete) {
			l->too_long = false;
			l->len = 0;
		}
		return;
	}
	if (l->len + n > LINE_MAX_BYTES) {
		/* An incomplete line is the one after the last counted newline. */
		bld_error(b, l->lineno + (complete ? 0 : 1), "line longer than %d bytes",
				LINE_MAX_BYTES);
		l->too_long = !complete;
		l->len = 0;
		return;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	if (complete) {
		liner_physical(b, l, l->buf, l->len, l->lineno);
		l->len = 0;
	}
}

static void
liner_feed(struct bld *b, struct liner *l, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		if (nl == NULL) {
			liner_line(b, l, p, n, false);
			return;
		}
		l->lineno++;
		liner_line(b, l, p, (size_t)(nl - p), true);
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
}

static void
liner_end(struct bld *b, struct liner *l)
{
	if (l->len > 0 || l->too_long) {
		l->lineno++;
		liner_line(b, l, "", 0, true);
	}
	liner_flush(b, l);
}

static int
liner_init(struct liner *l)
{
	memset(l, 0, sizeof(*l));
	l->buf = malloc(LINE_MAX_BYTES + 1);
	l->logical = malloc(LINE_MAX_BYTES + 1);
	return l->buf != NULL && l->logical != NULL ? 0 : -ENOMEM;
}

static void
liner_free(struct liner *l)
{
	free(l->buf);
	free(l->logical);
}

void
bld_feed_text(struct bld *b, const char *text, size_t len)
{
	struct liner l;

	if (liner_init(&l) < 0) {
		b->oom = true;
		liner_free(&l);
		return;
	}
	bld_digest(b, text, len);
	liner_feed(b, &l, text, len);
	liner_end(b, &l);
	liner_free(&l);
}

int
bld_feed_file(struct bld *b, const char *path)
{
	struct liner l;
	char *chunk = NULL;
	int fd = -1, rc = 0;

	if (liner_init(&l) < 0) {
		liner_free(&l);
		b->oom = true;
		return -ENOMEM;
	}
	char why[128];
	fd = rules_open_file(path, why, sizeof(why));
	if (fd < 0) {
		rc = fd;
		bld_error(b, 0, "%s", why);
		goto out;
	}
	chunk = malloc(1 << 20);
	if (chunk == NULL) {
		rc = -ENOMEM;
		b->oom = true;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, chunk, 1 << 20);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			bld_error(b, 0, "read error: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		bld_digest(b, chunk, (size_t)r);
		liner_feed(b, &l, chunk, (size_t)r);
	}
	liner_end(b, &l);
out:
	free(chunk);
	liner_free(&l);
	if (fd >= 0)
		close(fd);
	return rc;
}
