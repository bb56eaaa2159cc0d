/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_acl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_store.h"

const char *
cp_acl_source_name(enum cp_acl_source s)
{
	switch (s) {
	case CP_ACL_FILE:
		return "file";
	case CP_ACL_PUSHED:
		return "pushed";
	default:
		return "none";
	}
}

void
cp_acl_free(struct cp_acl *a)
{
	free(a->caller);
	free(a->text);
	dp_acl_clear(&a->acl);
	memset(a, 0, sizeof(*a));
}

/* Make rec (taken over) the current state; its text is compiled already into acl (taken). */
static void
take(struct cp_acl *a, struct cp_acl_rec *rec, struct dp_acl *acl)
{
	cp_acl_free(a);
	a->version = rec->version;
	a->created = rec->created;
	a->caller = rec->caller;
	rec->caller = NULL;
	a->pushed = !rec->cleared;
	if (a->pushed) {
		snprintf(a->sha256, sizeof(a->sha256), "%s", rec->sha256);
		a->text = rec->text;
		a->text_len = rec->text_len;
		rec->text = NULL;
		a->acl = *acl;
		memset(acl, 0, sizeof(*acl));
	}
	cp_store_acl_clear(rec);
}

int
cp_acl_open(struct cp_acl *a, struct cp_store *st, char *err, size_t errlen)
{
	struct cp_acl_rec rec;
	struct dp_acl acl = {0};

	memset(a, 0, sizeof(*a));
	int rc = cp_store_acl_get(st, &rec);
	if (rc == -ENOENT)
		return 0;
	if (rc != 0) {
		snprintf(err, errlen, "store: %s", rc == -EIO ? cp_store_errmsg(st) : strerror(-rc));
		return rc;
	}
	/* Stored texts compiled when set; a failure now means another parser: say so. */
	if (!rec.cleared && dp_acl_parse(rec.text, rec.text_len, "acl", &acl, err, errlen) != 0) {
		size_t l = strlen(err);
		snprintf(err + l, errlen - l, " (stored ACL version %llu)",
				(unsigned long long)rec.version);
		cp_store_acl_clear(&rec);
		return -EINVAL;
	}
	take(a, &rec, &acl);
	return 0;
}

static int
store_rec(struct cp_acl *a, struct cp_store *st, struct cp_acl_rec *rec, char *err,
		size_t errlen)
{
	rec->version = a->version + 1;
	rec->created = (int64_t)time(NULL);
	int rc = cp_store_acl_add(st, rec, CP_ACL_KEEP);
	if (rc != 0)
		snprintf(err, errlen, "store: %s", cp_store_errmsg(st));
	return rc;
}

int
cp_acl_set(struct cp_acl *a, struct cp_store *st, const char *text, size_t len,
		const char *caller, struct dp_acl_errors *errs, char *err, size_t errlen)
{
	struct dp_acl acl;
	struct cp_acl_rec rec;

	if (dp_acl_parse_all(text, len, "acl", &acl, errs) != 0) {
		snprintf(err, errlen, "%u error(s); nothing changed", errs->total);
		return -EINVAL;
	}
	memset(&rec, 0, sizeof(rec));
	dp_acl_sha256(text, len, rec.sha256);
	rec.caller = strdup(caller ? caller : "");
	rec.text = malloc(len + 1);
	rec.entries = acl.n_entries;
	if (rec.caller == NULL || rec.text == NULL) {
		cp_store_acl_clear(&rec);
		dp_acl_clear(&acl);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(rec.text, text, len);
	rec.text[len] = '\0';
	rec.text_len = len;
	int rc = store_rec(a, st, &rec, err, errlen);
	if (rc != 0) {
		cp_store_acl_clear(&rec);
		dp_acl_clear(&acl);
		return rc;
	}
	take(a, &rec, &acl);
	return 0;
}

int
cp_acl_clear(struct cp_acl *a, struct cp_store *st, const char *caller, char *err,
		size_t errlen)
{
	struct cp_acl_rec rec;
	struct dp_acl none = {0};

	memset(&rec, 0, sizeof(rec));
	rec.cleared = true;
	rec.caller = strdup(caller ? caller : "");
	if (rec.caller == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = store_rec(a, st, &rec, err, errlen);
	if (rc != 0) {
		cp_store_acl_clear(&rec);
		return rc;
	}
	take(a, &rec, &none);
	return 0;
}

const struct dp_acl *
cp_acl_effective(const struct cp_acl *a, const char *path, struct dp_acl *tmp,
		enum cp_acl_source *src, char *err, size_t errlen)
{
	memset(tmp, 0, sizeof(*tmp));
	err[0] = '\0';
	if (a->pushed) {
		*src = CP_ACL_PUSHED;
		return &a->acl;
	}
	if (path == NULL || path[0] == '\0') {
		*src = CP_ACL_NONE;
		return NULL;
	}
	*src = CP_ACL_FILE;
	if (dp_acl_load(path, tmp, err, errlen) != 0)
		return NULL;
	return tmp;
}

static int
cmp_line(const void *x, const void *y)
{
	const struct cp_acl_entry *a = x, *b = y;
	return a->line < b->line ? -1 : a->line > b->line;
}

struct cp_acl_entry *
cp_acl_entries(const struct dp_acl *acl, uint32_t *n)
{
	*n = 0;
	if (acl == NULL || acl->n_entries == 0)
		return NULL;
	struct cp_acl_entry *e = calloc(acl->n_entries, sizeof(*e));
	if (e == NULL)
		return NULL;
	uint32_t k = 0;
	for (uint32_t i = 0; i < acl->n_groups; i++) {
		const struct dp_acl_group *g = &acl->groups[i];
		if (g->has_any && k < acl->n_entries)
			e[k++] = (struct cp_acl_entry){.net = g->net, .plen = g->plen,
				.verdict = g->any_verdict, .line = g->any_line};
		for (uint32_t j = 0; j < g->n_ports && k < acl->n_entries; j++) {
			const struct dp_acl_port *p = &acl->ports[g->first_port + j];
			e[k++] = (struct cp_acl_entry){.net = g->net, .plen = g->plen, .port = p->port,
				.verdict = p->verdict, .line = p->line};
		}
	}
	qsort(e, k, sizeof(*e), cmp_line);
	*n = k;
	return e;
}

/* "ip", "ip:port", "[v6]:port" or a bare IPv6 address. 0 or -1. */
int
cp_acl_parse_source(const char *s, struct sip_addr *a, uint16_t *port)
{
	char host[64];
	const char *p = NULL;
	size_t hl;
	*port = 5060;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (e == NULL)
			return -1;
		hl = (size_t)(e - s - 1);
		s++;
		if (e[1] == ':')
			p = e + 2;
		else if (e[1] != '\0')
			return -1;
	} else {
		const char *c = strchr(s, ':');
		hl = strlen(s);
		/* One colon: IPv4 with a port; more: a bare IPv6 address. */
		if (c != NULL && strchr(c + 1, ':') == NULL) {
			hl = (size_t)(c - s);
			p = c + 1;
		}
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (sip_addr_parse(sip_str_make(host, hl), a) != 0)
		return -1;
	if (p != NULL) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (*p == '\0' || *end != '\0' || v == 0 || v > 65535)
			return -1;
		*port = (uint16_t)v;
	}
	return 0;
}
