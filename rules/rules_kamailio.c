/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kamailio `dialplan` table import. Each row becomes one line of sipline
 * dialplan text (docs/dialplan.md, "Migrating from Kamailio") which the
 * ordinary parser compiles, so an import and its converted text always
 * mean the same, and errors name the row's line in the table file.
 *
 * Formats: db_text (first line "id(int,auto) dpid(int) ...", rows of
 * ':'-separated values with \: \\ \n \r \t \0 escapes) and CSV with a
 * header row (RFC 4180 quoting, \N for NULL as MySQL writes it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rules_build.h"

enum {
	COL_DPID,
	COL_PR,
	COL_MATCH_OP,
	COL_MATCH_EXP,
	COL_MATCH_LEN,
	COL_SUBST_EXP,
	COL_REPL_EXP,
	COL_ATTRS,
	COL__COUNT
};

static const char *const col_names[COL__COUNT] = {
	"dpid", "pr", "match_op", "match_exp", "match_len", "subst_exp", "repl_exp", "attrs",
};

#define MAX_COLS 32

/* Priority offset of rows with match_len 0: Kamailio tries them after every length-bound row. */
#define LEN0_TIER 2147483648u

struct kam_sink {
	void *ctx;
	void (*error)(void *ctx, uint32_t line, const char *msg);
	void (*row)(void *ctx, uint32_t line, const char *text, size_t len);
	void (*digest)(void *ctx, const void *p, size_t n);
};

struct kam {
	const struct rules_kamailio_opts *ko;
	const struct kam_sink *sink;
	bool dbtext;
	int col[COL__COUNT]; /* position of each column in a row */
	unsigned n_cols;
	unsigned n_errors;
	bool have_dpid;     /* dpid < 0: the one dialplan id the table holds */
	long long dpid;
	char *out;           /* the converted line */
	size_t out_len, out_cap;
};

static void
kerr(struct kam *k, uint32_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
kerr(struct kam *k, uint32_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k->n_errors++;
	k->sink->error(k->sink->ctx, line, msg);
}

static bool
out_put(struct kam *k, const char *s, size_t n)
{
	if (k->out_len + n + 1 > k->out_cap) {
		size_t cap = (k->out_len + n + 1) * 2;
		char *p = realloc(k->out, cap);
		if (p == NULL)
			return false;
		k->out = p;
		k->out_cap = cap;
	}
	memcpy(k->out + k->out_len, s, n);
	k->out_len += n;
	k->out[k->out_len] = '\0';
	return true;
}

static bool
out_str(struct kam *k, const char *s)
{
	return out_put(k, s, strlen(s));
}

/* A quoted token: "" stands for a quote inside. */
static bool
out_quoted(struct kam *k, const char *s, size_t n)
{
	if (!out_put(k, " \"", 2))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!out_put(k, s[i] == '"' ? "\"\"" : s + i, s[i] == '"' ? 2 : 1))
			return false;
	return out_put(k, "\"", 1);
}

static bool
parse_int(const char *s, size_t n, long long *v)
{
	char buf[24];
	char *end;

	if (n == 0) {
		*v = 0;
		return true;
	}
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*v = strtoll(buf, &end, 10);
	return errno == 0 && *end == '\0';
}

/* fnmatch(3) pattern (flags 0) as an anchored regex. */
static bool
glob_to_regex(struct kam *k, const char *g, size_t n)
{
	if (!out_put(k, "^", 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = g[i];
		bool ok = true;
		if (c == '*') {
			ok = out_put(k, ".*", 2);
		} else if (c == '?') {
			ok = out_put(k, ".", 1);
		} else if (c == '[') {
			size_t j = i + 1;
			if (j < n && (g[j] == '!' || g[j] == '^'))
				j++;
			if (j < n && g[j] == ']')
				j++;
			while (j < n && g[j] != ']')
				j++;
			if (j >= n) {
				/* No closing bracket: fnmatch takes '[' literally. */
				ok = out_put(k, "\\[", 2);
			} else {
				ok = out_put(k, "[", 1);
				size_t a = i + 1;
				if (g[a] == '!' || g[a] == '^') {
					ok = ok && out_put(k, "^", 1);
					a++;
				}
				for (; a < j; a++) {
					if (g[a] == '\\' || g[a] == '[' ||
							(g[a] == ']' && a > i + 1))
						ok = ok && out_put(k, "\\", 1);
					ok = ok && out_put(k, g + a, 1);
				}
				ok = ok && out_put(k, "]", 1);
				i = j;
			}
		} else {
			if (c == '\\' && i + 1 < n)
				c = g[++i];
			if (strchr(".^$|()+{}[]\\*?", c) != NULL)
				ok = out_put(k, "\\", 1);
			ok = ok && out_put(k, &c, 1);
		}
		if (!ok)
			return false;
	}
	return out_put(k, "$", 1);
}

struct field {
	const char *p;
	size_t n;
};

/* Turn one row into a sipline rule line and hand it on. */
static void
convert_row(struct kam *k, uint32_t line, struct field *f, unsigned nf)
{
	long long dpid, pr, op, mlen;
	struct field v[COL__COUNT];
	char num[48];

	if (nf != k->n_cols) {
		kerr(k, line, "row has %u values, the header %u columns", nf, k->n_cols);
		return;
	}
	for (unsigned i = 0; i < COL__COUNT; i++)
		v[i] = f[k->col[i]];
	if (!parse_int(v[COL_DPID].p, v[COL_DPID].n, &dpid)) {
		kerr(k, line, "dpid is not a number");
		return;
	}
	if (k->ko->dpid >= 0 && dpid != k->ko->dpid)
		return;
	if (k->ko->dpid < 0) {
		if (!k->have_dpid) {
			k->have_dpid = true;
			k->dpid = dpid;
		} else if (dpid != k->dpid) {
			kerr(k, line, "rows of several dialplans (dpid %lld and %lld): choose one",
					k->dpid, dpid);
			return;
		}
	}
	if (!parse_int(v[COL_PR].p, v[COL_PR].n, &pr) || pr < 0 || pr >= (long long)LEN0_TIER) {
		kerr(k, line, "pr must be a number from 0 to %u", LEN0_TIER - 1);
		return;
	}
	if (!parse_int(v[COL_MATCH_OP].p, v[COL_MATCH_OP].n, &op) || op < 0 || op > 2) {
		kerr(k, line, "match_op must be 0 (equal), 1 (regex) or 2 (fnmatch)");
		return;
	}
	if (!parse_int(v[COL_MATCH_LEN].p, v[COL_MATCH_LEN].n, &mlen) || mlen < 0 ||
			mlen > 65535) {
		kerr(k, line, "match_len must be a number from 0 to 65535");
		return;
	}
	if (v[COL_MATCH_EXP].n == 0) {
		kerr(k, line, "empty match_exp");
		return;
	}
	/* Dialplan text is one line per rule, and attrs may end up in a header. */
	for (unsigned c = COL_MATCH_EXP; c < COL__COUNT; c++) {
		for (size_t i = 0; i < v[c].n; i++) {
			if ((unsigned char)v[c].p[i] < 0x20 || v[c].p[i] == 0x7f) {
				kerr(k, line, "%s contains a control character (not supported)",
						col_names[c]);
				return;
			}
		}
	}
	struct field *rp = &v[COL_REPL_EXP];
	for (size_t i = 0; i < rp->n; i++) {
		if (rp->p[i] == '$') {
			kerr(k, line, "repl_exp \"%.*s\": pseudo-variables are not supported",
					(int)rp->n, rp->p);
			return;
		}
		if (rp->p[i] == '\\' && i + 1 < rp->n && rp->p[i + 1] == 'u') {
			kerr(k, line, "repl_exp \"%.*s\": \\u (the whole R-URI) is not supported",
					(int)rp->n, rp->p);
			return;
		}
		if (rp->p[i] == '\\')
			i++;
	}
	k->out_len = 0;
	/* Rows bound to a length are tried before every row with match_len 0, as Kamailio does. */
	snprintf(num, sizeof(num), "%llu", (unsigned long long)pr + (mlen == 0 ? LEN0_TIER : 0));
	bool ok = out_str(k, num);
	if (op == 0) {
		ok = ok && out_str(k, " exact") &&
			out_quoted(k, v[COL_MATCH_EXP].p, v[COL_MATCH_EXP].n);
	} else if (op == 1) {
		ok = ok && out_str(k, " regex") &&
			out_quoted(k, v[COL_MATCH_EXP].p, v[COL_MATCH_EXP].n);
	} else {
		char *save;
		size_t st = k->out_len;
		ok = ok && glob_to_regex(k, v[COL_MATCH_EXP].p, v[COL_MATCH_EXP].n);
		/* Move the converted glob into a quoted token. */
		save = ok ? strndup(k->out + st, k->out_len - st) : NULL;
		k->out_len = st;
		ok = save != NULL && out_str(k, " regex") && out_quoted(k, save, strlen(save));
		free(save);
	}
	if (mlen > 0) {
		snprintf(num, sizeof(num), " len %lld", mlen);
		ok = ok && out_str(k, num);
	}
	if (rp->n > 0) {
		if (v[COL_SUBST_EXP].n == 0)
			ok = ok && out_str(k, " set") && out_quoted(k, rp->p, rp->n);
		else
			ok = ok && out_str(k, " subst") &&
				out_quoted(k, v[COL_SUBST_EXP].p, v[COL_SUBST_EXP].n) &&
				out_quoted(k, rp->p, rp->n);
	}
	ok = ok && out_str(k, " ") &&
		out_str(k, k->ko->action != NULL ? k->ko->action : "pass");
	if (v[COL_ATTRS].n > 0)
		ok = ok && out_str(k, " attrs") && out_quoted(k, v[COL_ATTRS].p, v[COL_ATTRS].n);
	if (!ok) {
		kerr(k, line, "out of memory");
		return;
	}
	k->sink->row(k->sink->ctx, line, k->out, k->out_len);
}

/*
 * db_text: ':' separates, backslash escapes (\n \r \t \\ \: \0, as
 * Kamailio's db_text reads them; any other escape makes Kamailio refuse
 * the table, and us too). Unescaped in place. -1 on a bad escape.
 */
static int
split_dbtext(char *s, size_t n, struct field *f, unsigned max)
{
	unsigned k = 0;
	size_t w = 0, st = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == ':') {
			if (k < max)
				f[k] = (struct field){s + st, w - st};
			k++;
			st = w = i + 1;
			continue;
		}
		char c = s[i];
		if (c == '\\') {
			char e = i + 1 < n ? s[++i] : '\0';
			switch (e) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case '0':
				c = '\0';
				break;
			case '\\':
			case ':':
				c = e;
				break;
			default:
				return -1;
			}
		}
		s[w++] = c;
	}
	return (int)k;
}

/* CSV: ',' separates, "..." quotes with "" inside; \N is NULL (empty). */
static unsigned
split_csv(char *s, size_t n, struct field *f, unsigned max)
{
	unsigned k = 0;
	size_t i = 0;

	for (;;) {
		size_t st = i, w = i;
		if (i < n && s[i] == '"') {
			i++;
			st = w = i;
			while (i < n) {
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"') {
						s[w++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				s[w++] = s[i++];
			}
			while (i < n && s[i] != ',')
				i++;
		} else {
			while (i < n && s[i] != ',')
				i++;
			w = i;
			if (w - st == 2 && s[st] == '\\' && s[st + 1] == 'N')
				w = st;
		}
		if (k < max)
			f[k] = (struct field){s + st, w - st};
		k++;
		if (i >= n)
			return k;
		i++;
	}
}

static bool
header(struct kam *k, char *s, size_t n, uint32_t line)
{
	struct field f[MAX_COLS];
	unsigned nf;

	k->dbtext = s != NULL && (memmem(s, n, "(int", 4) != NULL ||
			memmem(s, n, "(string", 7) != NULL);
	if (k->dbtext) {
		/* "name(type[,flags]) ..." separated by spaces. */
		nf = 0;
		for (size_t i = 0; i < n;) {
			while (i < n && (s[i] == ' ' || s[i] == '\t'))
				i++;
			size_t st = i;
			while (i < n && s[i] != ' ' && s[i] != '\t')
				i++;
			if (i == st)
				break;
			const char *par = memchr(s + st, '(', i - st);
			if (nf < MAX_COLS)
				f[nf] = (struct field){s + st,
					par != NULL ? (size_t)(par - s - st) : i - st};
			nf++;
		}
	} else {
		nf = split_csv(s, n, f, MAX_COLS);
	}
	if (nf > MAX_COLS) {
		kerr(k, line, "more than %d columns", MAX_COLS);
		return false;
	}
	k->n_cols = nf;
	bool ok = true;
	for (unsigned c = 0; c < COL__COUNT; c++) {
		k->col[c] = -1;
		for (unsigned i = 0; i < nf; i++)
			if (f[i].n == strlen(col_names[c]) &&
					strncasecmp(f[i].p, col_names[c], f[i].n) == 0)
				k->col[c] = (int)i;
		if (k->col[c] < 0) {
			kerr(k, line, "no %s column in the header (need dpid, pr, match_op, "
					"match_exp, match_len, subst_exp, repl_exp, attrs)",
					col_names[c]);
			ok = false;
		}
	}
	return ok;
}

static int
kam_read(const char *path, struct kam *k)
{
	char why[128];
	int fd = rules_open_file(path, why, sizeof(why));
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *line = NULL, *rec = NULL;
	size_t cap = 0, rec_len = 0, rec_cap = 0;
	uint32_t lineno = 0, rec_line = 0;
	bool have_header = false;
	ssize_t n;
	int rc = 0;

	if (fd < 0) {
		kerr(k, 0, "%s", why);
		return fd;
	}
	if (f == NULL) {
		rc = -errno;
		kerr(k, 0, "cannot open: %s", strerror(errno));
		close(fd);
		return rc;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		k->sink->digest(k->sink->ctx, line, (size_t)n);
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		/* A CSV record may continue on the next line inside quotes. */
		if (rec_len + (size_t)n + 2 > rec_cap) {
			size_t nc = (rec_len + (size_t)n + 2) * 2;
			char *p = realloc(rec, nc);
			if (p == NULL) {
				rc = -ENOMEM;
				kerr(k, lineno, "out of memory");
				goto out;
			}
			rec = p;
			rec_cap = nc;
		}
		if (rec_len == 0)
			rec_line = lineno;
		else
			rec[rec_len++] = '\n';
		memcpy(rec + rec_len, line, (size_t)n);
		rec_len += (size_t)n;
		if (have_header && !k->dbtext) {
			size_t quotes = 0;
			for (size_t i = 0; i < rec_len; i++)
				quotes += rec[i] == '"';
			if (quotes % 2 != 0)
				continue;
		}
		size_t len = rec_len;
		rec_len = 0;
		if (len == 0 || rec[0] == '#')
			continue;
		if (!have_header) {
			if (!header(k, rec, len, rec_line)) {
				rc = -EINVAL;
				goto out;
			}
			have_header = true;
			continue;
		}
		struct field fl[MAX_COLS];
		int nf = k->dbtext ? split_dbtext(rec, len, fl, MAX_COLS) :
			(int)split_csv(rec, len, fl, MAX_COLS);
		if (nf < 0) {
			kerr(k, rec_line, "bad escape in db_text row (only \\n \\r \\t \\0 \\: "
					"and \\\\ exist; write a backslash as \\\\)");
			continue;
		}
		convert_row(k, rec_line, fl, nf > MAX_COLS ? MAX_COLS + 1 : (unsigned)nf);
	}
	if (rec_len != 0)
		kerr(k, rec_line, "unterminated quoted value");
	if (ferror(f)) {
		rc = -EIO;
		kerr(k, lineno, "read error");
	}
	if (!have_header && rc == 0)
		kerr(k, 0, "empty table: no header line");
out:
	free(line);
	free(rec);
	fclose(f);
	return rc;
}

/* ---- import: rows into the builder ---- */

static void
bld_sink_error(void *ctx, uint32_t line, const char *msg)
{
	bld_error(ctx, line, "%s", msg);
}

static void
bld_sink_row(void *ctx, uint32_t line, const char *text, size_t len)
{
	struct bld *b = ctx;
	char *copy = malloc(len + 1);

	if (copy == NULL) {
		b->oom = true;
		return;
	}
	memcpy(copy, text, len);
	bld_line(b, copy, len, line);
	free(copy);
}

static void
bld_sink_digest(void *ctx, const void *p, size_t n)
{
	bld_digest(ctx, p, n);
}

static void
options_digest(struct bld *b, const struct rules_kamailio_opts *ko)
{
	char opt[256];
	int n = snprintf(opt, sizeof(opt), "\nkamailio-import dpid=%d action=%s\n", ko->dpid,
			ko->action != NULL ? ko->action : "pass");

	if (n > 0)
		bld_digest(b, opt, (size_t)n < sizeof(opt) ? (size_t)n : sizeof(opt) - 1);
}

static const struct rules_kamailio_opts kam_defaults = {-1, NULL, NULL};

struct rules_plan *
rules_import_kamailio(const char *path, const struct rules_kamailio_opts *ko,
		const struct rules_compile_opts *opts, struct rules_errors *errs)
{
	struct kam_sink sink = {NULL, bld_sink_error, bld_sink_row, bld_sink_digest};
	struct kam k = {0};
	struct bld *b = bld_new(path, opts);

	if (ko == NULL)
		ko = &kam_defaults;
	if (b == NULL)
		return NULL;
	/* Kamailio tries rows of equal pr in table order, not longest first. */
	b->tiebreak = TIEBREAK_LINE;
	if (ko->preamble != NULL) {
		bld_set_source(b, "preamble", 0);
		bld_feed_text(b, ko->preamble, strlen(ko->preamble));
	}
	options_digest(b, ko);
	bld_set_source(b, path, 1);
	sink.ctx = b;
	k.ko = ko;
	k.sink = &sink;
	(void)kam_read(path, &k);
	free(k.out);
	return bld_finish(b, errs);
}

/* ---- convert: rows into text ---- */

struct conv {
	FILE *out;
	const char *path;
	struct errlist el;
	bool failed;
};

static void
conv_error(void *ctx, uint32_t line, const char *msg)
{
	struct conv *c = ctx;

	errlist_add(&c->el, c->path, 1, line, "%s", msg);
	c->failed = true;
}

static void
conv_row(void *ctx, uint32_t line, const char *text, size_t len)
{
	struct conv *c = ctx;

	if (fprintf(c->out, "%-*.*s # row at line %u\n", 60, (int)len, text, line) < 0)
		c->failed = true;
}

static void
conv_digest(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
}

int
rules_kamailio_convert(const char *path, const struct rules_kamailio_opts *ko, FILE *out,
		struct rules_errors *errs)
{
	struct conv c = {out, path, {{0}}, false};
	struct kam_sink sink = {&c, conv_error, conv_row, conv_digest};
	struct kam k = {0};
	int rc;

	if (ko == NULL)
		ko = &kam_defaults;
	errlist_init(&c.el, 0);
	if (ko->dpid >= 0)
		fprintf(out, "# Converted from the Kamailio dialplan table %s, dpid %d.\n", path,
				ko->dpid);
	else
		fprintf(out, "# Converted from the Kamailio dialplan table %s.\n", path);
	fprintf(out, "# Kamailio tries rows of equal pr in table order, and rows with match_len 0\n"
			"# after all others: priority = pr, plus %u when match_len is 0.\n",
			LEN0_TIER);
	fprintf(out, "tiebreak line\n");
	if (ko->preamble != NULL)
		fprintf(out, "%s%s", ko->preamble,
				ko->preamble[0] && ko->preamble[strlen(ko->preamble) - 1] != '\n' ?
				"\n" : "");
	k.ko = ko;
	k.sink = &sink;
	rc = kam_read(path, &k);
	free(k.out);
	if (fflush(out) != 0)
		c.failed = true;
	errlist_finish(&c.el, errs);
	if (rc < 0)
		return rc;
	return c.failed ? -EINVAL : 0;
}
