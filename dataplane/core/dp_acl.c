/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_acl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct entry {
	struct sip_addr net;
	uint8_t plen;
	uint16_t port;   /* 0: any */
	uint8_t verdict;
	uint32_t line;
};

const char *
dp_acl_verdict_name(uint8_t v)
{
	switch (v) {
	case DP_ACL_ALLOW:
		return "allow";
	case DP_ACL_REGISTER:
		return "allow register";
	case DP_ACL_DENY_403:
		return "deny 403";
	case DP_ACL_DENY_DROP:
		return "deny drop";
	default:
		return "?";
	}
}

void
dp_acl_sha256(const char *text, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	out[0] = '\0';
	if (EVP_Digest(text, len, md, &n, EVP_sha256(), NULL) != 1)
		return;
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Does net/plen cover a? */
static bool
covers(const struct sip_addr *net, unsigned plen, const struct sip_addr *a)
{
	if (net->af != a->af)
		return false;
	unsigned full = plen / 8, rest = plen % 8;
	if (memcmp(net->a, a->a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (net->a[full] & mask) == (a->a[full] & mask);
}

/* PREFIX: address[/len], host bits zero. */
static int
parse_prefix(const char *s, struct sip_addr *net, uint8_t *plen, char *why, size_t wl)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t al = slash ? (size_t)(slash - s) : strlen(s);
	if (al == 0 || al >= sizeof(buf)) {
		snprintf(why, wl, "'%s' is not an address or network", s);
		return -1;
	}
	memcpy(buf, s, al);
	buf[al] = '\0';
	if (sip_addr_parse(sip_str_make(buf, al), net) != 0) {
		snprintf(why, wl, "'%s' is not an IPv4 or IPv6 address", buf);
		return -1;
	}
	unsigned max = net->af == SIP_AF_INET ? 32 : 128;
	unsigned long l = max;
	if (slash != NULL) {
		char *e;
		errno = 0;
		l = strtoul(slash + 1, &e, 10);
		if (slash[1] == '\0' || *e != '\0' || errno != 0 || l > max) {
			snprintf(why, wl, "prefix length '%s' is not 0-%u", slash + 1, max);
			return -1;
		}
	}
	/* Host bits must be zero: 192.0.2.1/24 is a typo more often than a wish. */
	for (unsigned bit = (unsigned)l; bit < max; bit++)
		if (net->a[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(why, wl, "'%s' has host bits set (did you mean %s/%lu with the host "
					"bits zero?)", s, buf, l);
			return -1;
		}
	*plen = (uint8_t)l;
	return 0;
}

static int
cmp_entry(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	if (a->net.af != b->net.af)
		return a->net.af - b->net.af;
	if (a->plen != b->plen)
		return a->plen - b->plen;
	int c = memcmp(a->net.a, b->net.a, 16);
	if (c != 0)
		return c;
	return (int)a->port - (int)b->port;
}

/* One line's words into e (or the default): 1 an entry, 0 nothing (blank, comment, default), -1 error. */
static int
parse_line(char *line, struct entry *e, uint8_t *dflt, bool *have_dflt, char *why, size_t wl)
{
	char *save = NULL;
	char *w[8];
	unsigned n = 0;
	char *hash = strchr(line, '#');
	if (hash != NULL)
		*hash = '\0';
	for (char *t = strtok_r(line, " \t\r", &save); t != NULL; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == 8) {
			snprintf(why, wl, "too many words");
			return -1;
		}
		w[n++] = t;
	}
	if (n == 0)
		return 0;
	if (strcmp(w[0], "default") == 0) {
		if (*have_dflt) {
			snprintf(why, wl, "a second 'default'");
			return -1;
		}
		if (n >= 2 && strcmp(w[1], "allow") == 0 && n <= 3) {
			*dflt = DP_ACL_ALLOW;
			if (n == 3 && strcmp(w[2], "register") == 0)
				*dflt = DP_ACL_REGISTER;
			else if (n == 3)
				goto bad_default;
		} else if (n >= 2 && strcmp(w[1], "deny") == 0 && n <= 3) {
			*dflt = DP_ACL_DENY_403;
			if (n == 3 && strcmp(w[2], "drop") == 0)
				*dflt = DP_ACL_DENY_DROP;
			else if (n == 3 && strcmp(w[2], "403") != 0)
				goto bad_default;
		} else {
			goto bad_default;
		}
		*have_dflt = true;
		return 0;
	}
	bool allow = strcmp(w[0], "allow") == 0;
	if (!allow && strcmp(w[0], "deny") != 0) {
		snprintf(why, wl, "'%s': an entry starts with allow, deny or default", w[0]);
		return -1;
	}
	if (n < 2) {
		snprintf(why, wl, "%s needs a PREFIX", w[0]);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	if (parse_prefix(w[1], &e->net, &e->plen, why, wl) != 0)
		return -1;
	e->verdict = allow ? DP_ACL_ALLOW : DP_ACL_DENY_403;
	for (unsigned i = 2; i < n; i++) {
		if (strcmp(w[i], "port") == 0 && i + 1 < n) {
			char *end;
			unsigned long p = strtoul(w[i + 1], &end, 10);
			if (*end != '\0' || p == 0 || p > 65535) {
				snprintf(why, wl, "port '%s' is not 1-65535", w[i + 1]);
				return -1;
			}
			e->port = (uint16_t)p;
			i++;
		} else if (allow && strcmp(w[i], "register") == 0) {
			e->verdict = DP_ACL_REGISTER;
		} else if (!allow && strcmp(w[i], "drop") == 0) {
			e->verdict = DP_ACL_DENY_DROP;
		} else if (!allow && strcmp(w[i], "403") == 0) {
			e->verdict = DP_ACL_DENY_403;
		} else {
			snprintf(why, wl, "'%s': %s takes [port N]%s", w[i], w[0],
					allow ? " [register]" : " [403|drop]");
			return -1;
		}
	}
	return 1;
bad_default:
	snprintf(why, wl, "default allow [register] | default deny [403|drop]");
	return -1;
}

static void
add_error(struct dp_acl_errors *errs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add_error(struct dp_acl_errors *errs, const char *fmt, ...)
{
	va_list ap;
	if (errs == NULL)
		return;
	if (errs->n < DP_ACL_MAX_ERRORS) {
		va_start(ap, fmt);
		vsnprintf(errs->msg[errs->n++], DP_ACL_ERROR_LEN, fmt, ap);
		va_end(ap);
	}
	errs->total++;
}

int
dp_acl_parse_all(const char *text, size_t len, const char *name, struct dp_acl *acl,
		struct dp_acl_errors *errs)
{
	struct entry *es = NULL;
	uint32_t n = 0, cap = 0, line_no = 0, dflt_line = 0;
	uint8_t dflt = DP_ACL_ALLOW;
	bool have_dflt = false;
	unsigned bad = 0;
	char line[512], why[160];
	int rc = -1;

	memset(acl, 0, sizeof(*acl));
	if (errs != NULL)
		errs->n = errs->total = 0;
	/* Every line is checked, so one answer names every mistake. */
	for (size_t off = 0; off < len;) {
		const char *start = text + off;
		const char *nl = memchr(start, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - start) : len - off;
		line_no++;
		off += ll + (nl ? 1 : 0);
		if (ll >= sizeof(line)) {
			add_error(errs, "%s:%u: line longer than %zu bytes", name, line_no,
					sizeof(line) - 1);
			bad++;
			continue;
		}
		memcpy(line, start, ll);
		line[ll] = '\0';
		if (memchr(line, '\0', ll) != NULL) {
			add_error(errs, "%s:%u: a NUL byte (not a text file?)", name, line_no);
			bad++;
			continue;
		}
		struct entry e;
		bool had_dflt = have_dflt;
		int r = parse_line(line, &e, &dflt, &have_dflt, why, sizeof(why));
		if (r < 0) {
			add_error(errs, "%s:%u: %s", name, line_no, why);
			bad++;
			continue;
		}
		if (have_dflt && !had_dflt)
			dflt_line = line_no;
		if (r == 0)
			continue;
		if (n == DP_ACL_MAX_ENTRIES) {
			add_error(errs, "%s:%u: more than %u entries", name, line_no,
					DP_ACL_MAX_ENTRIES);
			bad++;
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct entry *ne = realloc(es, (size_t)cap * sizeof(*es));
			if (ne == NULL) {
				add_error(errs, "%s: out of memory", name);
				bad++;
				break;
			}
			es = ne;
		}
		e.line = line_no;
		es[n++] = e;
	}
	if (n > 0)
		qsort(es, n, sizeof(*es), cmp_entry);
	/* Duplicates (same prefix and port) are mistakes: name both lines. */
	for (uint32_t i = 1; i < n; i++)
		if (cmp_entry(&es[i - 1], &es[i]) == 0) {
			uint32_t a = es[i - 1].line < es[i].line ? es[i - 1].line : es[i].line;
			uint32_t b = es[i - 1].line < es[i].line ? es[i].line : es[i - 1].line;
			add_error(errs, "%s:%u: the same prefix%s as line %u", name, b,
					es[i].port ? " and port" : "", a);
			bad++;
		}
	if (bad > 0)
		goto out;
	acl->dflt = dflt;
	acl->dflt_line = dflt_line;
	acl->n_entries = n;
	acl->groups = calloc(n ? n : 1, sizeof(*acl->groups));
	acl->ports = calloc(n ? n : 1, sizeof(*acl->ports));
	if (acl->groups == NULL || acl->ports == NULL) {
		add_error(errs, "%s: out of memory", name);
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct dp_acl_group *g = acl->n_groups ? &acl->groups[acl->n_groups - 1] : NULL;
		if (g == NULL || g->net.af != es[i].net.af || g->plen != es[i].plen ||
				memcmp(g->net.a, es[i].net.a, 16) != 0) {
			g = &acl->groups[acl->n_groups++];
			g->net = es[i].net;
			g->plen = es[i].plen;
			g->first_port = acl->n_ports;
			g->parent = DP_ACL_NO_GROUP;
			g->line = es[i].line;
		}
		if (es[i].port == 0) {
			g->has_any = true;
			g->any_verdict = es[i].verdict;
			g->any_line = es[i].line;
		} else {
			acl->ports[acl->n_ports++] = (struct dp_acl_port){.port = es[i].port,
				.verdict = es[i].verdict, .line = es[i].line};
			g->n_ports++;
		}
	}
	/* Runs of one family and length, the longest first within a family. */
	acl->runs = calloc(acl->n_groups ? acl->n_groups : 1, sizeof(*acl->runs));
	if (acl->runs == NULL) {
		add_error(errs, "%s: out of memory", name);
		goto out;
	}
	for (uint32_t i = 0; i < acl->n_groups; i++) {
		const struct dp_acl_group *g = &acl->groups[i];
		struct dp_acl_run *r = acl->n_runs ? &acl->runs[acl->n_runs - 1] : NULL;
		if (r == NULL || r->af != g->net.af || r->plen != g->plen)
			acl->runs[acl->n_runs++] = (struct dp_acl_run){.af = g->net.af, .plen = g->plen,
				.first = i};
		acl->runs[acl->n_runs - 1].n++;
	}
	for (uint32_t i = 0, j; i < acl->n_runs; i = j) {
		for (j = i; j < acl->n_runs && acl->runs[j].af == acl->runs[i].af; j++)
			;
		for (uint32_t a = i, b = j - 1; a < b; a++, b--) {
			struct dp_acl_run t = acl->runs[a];
			acl->runs[a] = acl->runs[b];
			acl->runs[b] = t;
		}
	}
	/*
	 * Parents: groups are sorted by family, then length, so a group's parent
	 * is the longest earlier group covering it. Quadratic in the worst case
	 * for nested lists; fine for the thousands of peers an edge has.
	 */
	for (uint32_t i = 0; i < acl->n_groups; i++) {
		struct dp_acl_group *g = &acl->groups[i];
		for (uint32_t k = i; k-- > 0;) {
			const struct dp_acl_group *p = &acl->groups[k];
			if (p->net.af != g->net.af)
				break;
			if (p->plen < g->plen && covers(&p->net, p->plen, &g->net)) {
				g->parent = k;
				break;
			}
		}
	}
	rc = 0;
out:
	free(es);
	if (rc != 0)
		dp_acl_clear(acl);
	return rc;
}

int
dp_acl_parse(const char *text, size_t len, const char *name, struct dp_acl *acl, char *err,
		size_t errlen)
{
	struct dp_acl_errors *errs = malloc(sizeof(*errs));
	if (errs == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	int rc = dp_acl_parse_all(text, len, name, acl, errs);
	if (rc != 0)
		snprintf(err, errlen, "%s", errs->n ? errs->msg[0] : "error");
	free(errs);
	return rc;
}

char *
dp_acl_read(const char *path, size_t *len_out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, len = 0;
	char *text = malloc(cap);
	while (text != NULL) {
		size_t r = fread(text + len, 1, cap - len, f);
		len += r;
		if (len < cap)
			break;
		if (cap >= (size_t)64 << 20) {
			free(text);
			fclose(f);
			snprintf(err, errlen, "%s: larger than 64 MiB", path);
			return NULL;
		}
		char *nt = realloc(text, cap * 2);
		if (nt == NULL) {
			free(text);
			text = NULL;
			break;
		}
		text = nt;
		cap *= 2;
	}
	bool failed = ferror(f) != 0;
	fclose(f);
	if (text == NULL || failed) {
		free(text);
		snprintf(err, errlen, "%s: %s", path, text == NULL ? "out of memory" : "read error");
		return NULL;
	}
	*len_out = len;
	return text;
}

int
dp_acl_load(const char *path, struct dp_acl *acl, char *err, size_t errlen)
{
	size_t len;
	char *text = dp_acl_read(path, &len, err, errlen);
	if (text == NULL)
		return -1;
	int rc = dp_acl_parse(text, len, path, acl, err, errlen);
	free(text);
	return rc;
}

void
dp_acl_clear(struct dp_acl *acl)
{
	free(acl->runs);
	free(acl->groups);
	free(acl->ports);
	memset(acl, 0, sizeof(*acl));
}

uint8_t
dp_acl_group_verdict(const struct dp_acl *acl, uint32_t g, uint16_t sport)
{
	while (g != DP_ACL_NO_GROUP) {
		const struct dp_acl_group *gr = &acl->groups[g];
		for (uint32_t i = 0; i < gr->n_ports; i++)
			if (acl->ports[gr->first_port + i].port == sport)
				return acl->ports[gr->first_port + i].verdict;
		if (gr->has_any)
			return gr->any_verdict;
		g = gr->parent;
	}
	return acl->dflt;
}

uint8_t
dp_acl_explain(const struct dp_acl *acl, const struct sip_addr *a, uint16_t sport,
		uint32_t *line)
{
	uint32_t g = dp_acl_find(acl, a);
	while (g != DP_ACL_NO_GROUP) {
		const struct dp_acl_group *gr = &acl->groups[g];
		for (uint32_t i = 0; i < gr->n_ports; i++)
			if (acl->ports[gr->first_port + i].port == sport) {
				*line = acl->ports[gr->first_port + i].line;
				return acl->ports[gr->first_port + i].verdict;
			}
		if (gr->has_any) {
			*line = gr->any_line;
			return gr->any_verdict;
		}
		g = gr->parent;
	}
	*line = acl->dflt_line;
	return acl->dflt;
}

uint32_t
dp_acl_find(const struct dp_acl *acl, const struct sip_addr *a)
{
	for (uint32_t r = 0; r < acl->n_runs; r++) {
		const struct dp_acl_run *run = &acl->runs[r];
		if (run->af != a->af)
			continue;
		/* a with its host bits cleared, compared with the run's sorted networks. */
		size_t bytes = a->af == SIP_AF_INET ? 4 : 16;
		struct sip_addr m = *a;
		for (unsigned bit = run->plen; bit < bytes * 8; bit++)
			m.a[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
		uint32_t lo = run->first, hi = run->first + run->n;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			int c = memcmp(acl->groups[mid].net.a, m.a, bytes);
			if (c == 0)
				return mid;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return DP_ACL_NO_GROUP;
}

uint32_t
dp_acl_find_ref(const struct dp_acl *acl, const struct sip_addr *a)
{
	uint32_t best = DP_ACL_NO_GROUP;
	for (uint32_t i = 0; i < acl->n_groups; i++) {
		const struct dp_acl_group *g = &acl->groups[i];
		if (covers(&g->net, g->plen, a) &&
				(best == DP_ACL_NO_GROUP || g->plen > acl->groups[best].plen))
			best = i;
	}
	return best;
}
