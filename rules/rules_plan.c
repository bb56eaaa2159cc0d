/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Plan lifetime and metadata, and the serialized form: a header, the
 * plan header and every array, 8-byte aligned, with a SHA-256 of the
 * whole so a damaged blob is refused before any table is read; then
 * every index is range-checked, so even a blob that was built wrong
 * cannot make the matcher read outside its tables.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rules_dix.h"
#include "rules_impl.h"
#include "rules_tmpl.h"
#include "rules_util.h"

/* ---- names and helpers ---- */

const char *
rules_action_name(enum rules_action a)
{
	static const char *const names[] = {
		"none", "pass", "redirect", "forward", "reject", "drop",
	};

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

const char *
rules_transport_name(enum rules_transport t)
{
	static const char *const names[] = {"udp", "tcp", "tls"};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

int
rules_addr_parse(const char *text, uint8_t *af, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, text, addr) == 1) {
		*af = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		*af = 6;
		return 0;
	}
	return -EINVAL;
}

/* ---- lifetime ---- */

void
rules_plan_free(struct rules_plan *p)
{
	if (p == NULL)
		return;
	for (unsigned f = 0; f < RULES_F__COUNT; f++)
		if (p->hs[f] != NULL)
			hs_free_database(p->hs[f]);
	if (p->hs_proto != NULL)
		hs_free_scratch(p->hs_proto);
	if (p->pcre != NULL)
		for (uint64_t i = 0; i < p->n_pcres; i++)
			pcre2_code_free(p->pcre[i]);
	free(p->pcre);
	free(p->digits);
	free(p->gw_ipv4);
	free(p->tpool);
	free(p->tsegs);
	free(p->tmpl_ct);
	free(p->tmpl_hdr);
#define FREE_SEC(name, type) free(p->name);
	RULES_SECTIONS(FREE_SEC)
#undef FREE_SEC
	free(p);
}

size_t
rules_plan_mem(const struct rules_plan *p)
{
	size_t m = sizeof(*p);

#define SEC_MEM(name, type) m += p->n_##name * sizeof(type);
	RULES_SECTIONS(SEC_MEM)
#undef SEC_MEM
	for (unsigned f = 0; f < RULES_F__COUNT; f++) {
		size_t sz = 0;
		if (p->hs[f] != NULL && hs_database_size(p->hs[f], &sz) == HS_SUCCESS)
			m += sz;
	}
	if (p->digits != NULL)
		m += p->n_pcres * sizeof(*p->digits);
	for (uint64_t i = 0; p->pcre != NULL && i < p->n_pcres; i++) {
		size_t sz = 0;
		if (pcre2_pattern_info(p->pcre[i], PCRE2_INFO_SIZE, &sz) == 0)
			m += sz;
		if (pcre2_pattern_info(p->pcre[i], PCRE2_INFO_JITSIZE, &sz) == 0)
			m += sz;
	}
	return m;
}

/*
 * Fields the plan may read: those its indexes and conditions look at, plus
 * those its templates name. Templates live in the pool, so every "$from",
 * "${from", "$to" or "${to" in it counts (a pattern or a literal holding
 * one only makes the answer larger, never wrong).
 */
static uint32_t
fields_read(const struct rules_plan *p)
{
	uint32_t f = p->h.fields_dix | p->h.fields_gen | p->h.fields_re | 1u << RULES_F_USER |
		1u << RULES_F_DOMAIN;

	for (uint64_t i = 0; i < p->n_conds; i++)
		f |= 1u << (p->conds[i].field % RULES_F__COUNT);
	for (uint64_t i = 0; i < p->n_regex; i++)
		f |= 1u << (p->regex[i].field % RULES_F__COUNT);
	for (uint64_t i = 0; i + 1 < p->n_pool; i++) {
		if (p->pool[i] != '$')
			continue;
		const char *v = p->pool + i + 1 + (p->pool[i + 1] == '{');
		size_t left = (size_t)(p->pool + p->n_pool - v);
		if (left >= 4 && memcmp(v, "from", 4) == 0)
			f |= 1u << RULES_F_FROM;
		else if (left >= 2 && memcmp(v, "to", 2) == 0)
			f |= 1u << RULES_F_TO;
	}
	return f;
}

/* Each gateway host that is a canonical dotted quad, as an address (inet_pton() and back). */
static int
gateway_addresses(struct rules_plan *p)
{
	if (p->gw_ipv4 != NULL || p->n_gws == 0)
		return 0;
	p->gw_ipv4 = calloc(p->n_gws, sizeof(*p->gw_ipv4));
	if (p->gw_ipv4 == NULL)
		return -ENOMEM;
	for (uint64_t i = 0; i < p->n_gws; i++) {
		struct rules_view h = rules_sview(p, p->gws[i].host);
		char text[INET_ADDRSTRLEN], back[INET_ADDRSTRLEN];
		struct in_addr a;
		if (h.len >= sizeof(text))
			continue;
		memcpy(text, h.p, h.len);
		text[h.len] = '\0';
		if (inet_pton(AF_INET, text, &a) != 1 ||
				inet_ntop(AF_INET, &a, back, sizeof(back)) == NULL || strcmp(text, back) != 0)
			continue;
		memcpy(p->gw_ipv4[i].a, &a, 4);
		p->gw_ipv4[i].ok = true;
	}
	return 0;
}

uint32_t
rules_plan_fields_read(const struct rules_plan *plan)
{
	return plan->fields_read;
}

int
rules_plan_prepare(struct rules_plan *p, char *err, size_t errlen)
{
	if (p->pcre == NULL && p->n_pcres > 0) {
		p->pcre = calloc(p->n_pcres, sizeof(*p->pcre));
		if (p->pcre == NULL)
			goto nomem;
		for (uint64_t i = 0; i < p->n_pcres; i++) {
			int ec;
			PCRE2_SIZE eo;
			const struct rules_pcre *rp = &p->pcres[i];
			p->pcre[i] = pcre2_compile((PCRE2_SPTR)rules_str(p, rp->pat), rp->pat.len,
					rp->caseless ? PCRE2_CASELESS : 0, &ec, &eo, NULL);
			if (p->pcre[i] == NULL) {
				snprintf(err, errlen, "substitution pattern %llu does not compile",
						(unsigned long long)i);
				return -EINVAL;
			}
		}
	}
	/* Number-range regexes checked without PCRE2 (rules_digits.h). */
	if (p->digits == NULL && p->n_pcres > 0) {
		p->digits = calloc(p->n_pcres, sizeof(*p->digits));
		if (p->digits == NULL)
			goto nomem;
		for (uint64_t i = 0; i < p->n_pcres; i++)
			rules_digits_compile(rules_str(p, p->pcres[i].pat), p->pcres[i].pat.len,
					p->pcres[i].caseless != 0, &p->digits[i]);
	}
	/* JIT where the platform has it; the interpreter gives the same results. */
	for (uint64_t i = 0; i < p->n_pcres; i++)
		(void)pcre2_jit_compile(p->pcre[i], PCRE2_JIT_COMPLETE);
	for (unsigned f = 0; f < RULES_F__COUNT; f++) {
		if (p->hs[f] == NULL)
			continue;
		if (hs_alloc_scratch(p->hs[f], &p->hs_proto) != HS_SUCCESS) {
			snprintf(err, errlen, "cannot allocate Hyperscan scratch");
			return -ENOMEM;
		}
	}
	p->mem_bytes = rules_plan_mem(p);
	p->fields_read = fields_read(p);
	if (gateway_addresses(p) < 0)
		goto nomem;
	if (p->tsegs == NULL) {
		if (rules_tmpl_compile(p) < 0)
			goto nomem;
		p->mem_bytes += p->tmpl_bytes;
	}
	/*
	 * A burst's software pipeline hides cache misses and costs a little
	 * per query: worth it only when the tables a lookup walks do not fit
	 * in a core's L2 cache.
	 */
	p->pipeline = (p->n_l1 + p->n_arena + p->n_nodes + p->n_lists) * sizeof(uint32_t) +
		p->n_rules * sizeof(struct rules_rule) > (1u << 20);
	if (p->hs_proto != NULL) {
		size_t sz = 0;
		if (hs_scratch_size(p->hs_proto, &sz) == HS_SUCCESS)
			p->mem_bytes += sz;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

void
rules_plan_info(const struct rules_plan *p, struct rules_plan_info *info)
{
	memset(info, 0, sizeof(*info));
	info->name = p->h.name;
	info->source = p->h.source;
	info->version = p->h.version;
	rules_hex(p->h.sha256, 32, info->sha256);
	info->n_rules = (uint32_t)p->n_rules;
	info->n_prefix = p->h.n_prefix;
	info->n_regex = (uint32_t)p->n_regex;
	info->n_other = p->h.n_other;
	info->n_groups = (uint32_t)p->n_groups;
	info->n_gateways = (uint32_t)p->n_gws;
	info->mem_bytes = p->mem_bytes;
}

void
rules_plan_set_version(struct rules_plan *p, uint64_t version)
{
	p->h.version = version;
}

int
rules_plan_gateway(const struct rules_plan *p, uint32_t id, struct rules_gateway *gw)
{
	if (id >= p->n_gws)
		return -ENOENT;
	gw->host = rules_sview(p, p->gws[id].host);
	gw->port = p->gws[id].port;
	gw->transport = p->gws[id].transport;
	return 0;
}

int
rules_plan_gateway_find(const struct rules_plan *p, const char *host, size_t host_len,
		uint16_t port, uint8_t transport)
{
	for (uint64_t i = 0; i < p->n_gws; i++) {
		const struct rules_gw *g = &p->gws[i];
		if (g->port != port || g->transport != transport || g->host.len != host_len)
			continue;
		const char *h = rules_str(p, g->host);
		size_t j = 0;
		while (j < host_len && h[j] == (host[j] >= 'A' && host[j] <= 'Z' ? host[j] + 32 :
				host[j]))
			j++;
		if (j == host_len)
			return (int)i;
	}
	return -ENOENT;
}

/* ---- serialized form ---- */

#define BLOB_MAGIC "SIPLRULE"
#define BLOB_FORMAT 1u
#define BLOB_ENDIAN 0x01020304u

enum {
#define SEC_ID(name, type) SEC_##name,
	RULES_SECTIONS(SEC_ID)
#undef SEC_ID
	SEC__COUNT
};

static const uint32_t sec_esz[SEC__COUNT] = {
#define SEC_ESZ(name, type) sizeof(type),
	RULES_SECTIONS(SEC_ESZ)
#undef SEC_ESZ
};

struct blob_head {
	char magic[8];
	uint32_t format;
	uint32_t endian;
	uint64_t total;
	uint8_t digest[32];    /* SHA-256 of the whole blob with these 32 bytes zero */
	uint32_t n_sec;
	uint32_t hdr_size;     /* sizeof(struct rules_hdr): layout check */
	uint32_t esz[SEC__COUNT];
	uint64_t off[SEC__COUNT];
	uint64_t count[SEC__COUNT];
};

static size_t
align8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

/* The checksum covers every byte, the header's section table included. */
static int
blob_digest(const char *b, size_t len, uint8_t out[32])
{
	static const uint8_t zero[32];
	size_t at = offsetof(struct blob_head, digest);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned n = 0;
	int ok;

	if (c == NULL)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
		EVP_DigestUpdate(c, b, at) == 1 && EVP_DigestUpdate(c, zero, 32) == 1 &&
		EVP_DigestUpdate(c, b + at + 32, len - at - 32) == 1 &&
		EVP_DigestFinal_ex(c, out, &n) == 1 && n == 32;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -ENOMEM;
}

int
rules_plan_serialize(const struct rules_plan *p, void **blob, size_t *len)
{
	char *hs_bytes[RULES_F__COUNT] = {NULL};
	size_t hs_len[RULES_F__COUNT] = {0};
	struct rules_hdr h = p->h;
	struct blob_head head;
	const void *src[SEC__COUNT];
	uint64_t cnt[SEC__COUNT];
	size_t total;
	char *out = NULL;
	int rc = -ENOMEM;

	memset(&head, 0, sizeof(head));
	uint64_t hs_total = 0;
	for (unsigned f = 0; f < RULES_F__COUNT; f++) {
		h.hs_off[f] = hs_total;
		h.hs_len[f] = 0;
		if (p->hs[f] == NULL)
			continue;
		if (hs_serialize_database(p->hs[f], &hs_bytes[f], &hs_len[f]) != HS_SUCCESS)
			goto out;
		h.hs_len[f] = hs_len[f];
		hs_total += align8(hs_len[f]);
	}
	{
		unsigned i = 0;
#define SEC_SRC(name, type) src[i] = p->name; cnt[i] = p->n_##name; i++;
		RULES_SECTIONS(SEC_SRC)
#undef SEC_SRC
	}
	src[SEC_hsdb] = NULL;
	cnt[SEC_hsdb] = hs_total;
	total = align8(sizeof(head)) + align8(sizeof(h));
	for (unsigned i = 0; i < SEC__COUNT; i++) {
		head.off[i] = total;
		head.count[i] = cnt[i];
		head.esz[i] = sec_esz[i];
		total += align8(cnt[i] * sec_esz[i]);
	}
	out = calloc(1, total);
	if (out == NULL)
		goto out;
	memcpy(out + align8(sizeof(head)), &h, sizeof(h));
	for (unsigned i = 0; i < SEC__COUNT; i++)
		if (src[i] != NULL && cnt[i] != 0)
			memcpy(out + head.off[i], src[i], cnt[i] * sec_esz[i]);
	for (unsigned f = 0; f < RULES_F__COUNT; f++)
		if (hs_bytes[f] != NULL)
			memcpy(out + head.off[SEC_hsdb] + h.hs_off[f], hs_bytes[f], hs_len[f]);
	memcpy(head.magic, BLOB_MAGIC, 8);
	head.format = BLOB_FORMAT;
	head.endian = BLOB_ENDIAN;
	head.total = total;
	head.n_sec = SEC__COUNT;
	head.hdr_size = sizeof(h);
	memcpy(out, &head, sizeof(head));
	if (blob_digest(out, total, head.digest) < 0)
		goto out;
	memcpy(out, &head, sizeof(head));
	*blob = out;
	*len = total;
	out = NULL;
	rc = 0;
out:
	for (unsigned f = 0; f < RULES_F__COUNT; f++)
		free(hs_bytes[f]);
	free(out);
	return rc;
}

int
rules_blob_reseal(void *blob, size_t len)
{
	struct blob_head head;

	if (len < sizeof(head))
		return -EINVAL;
	memcpy(&head, blob, sizeof(head));
	if (blob_digest(blob, len, head.digest) < 0)
		return -ENOMEM;
	memcpy(blob, &head, sizeof(head));
	return 0;
}

/* ---- checking a loaded plan ---- */

static bool
sref_ok(const struct rules_plan *p, struct rules_sref s)
{
	return (uint64_t)s.off + s.len < p->n_pool && p->pool[s.off + s.len] == '\0';
}

static bool
value_ok(const struct rules_plan *p, uint32_t v)
{
	if (v == RV_NONE)
		return true;
	if (!(v & RV_LIST))
		return (v & RV_RULE) < p->n_rules && !(v & RV_DIRECT);
	uint64_t off = v & RV_LIST_OFF;
	if (off >= p->n_lists || off + 1 + p->lists[off] > p->n_lists || p->lists[off] == 0)
		return false;
	for (uint32_t i = 0; i < p->lists[off]; i++) {
		uint32_t x = p->lists[off + 1 + i];
		if ((x & (RV_LIST | RV_DIRECT)) || (x & RV_RULE) >= p->n_rules)
			return false;
	}
	return true;
}

/* Entry e of a digit index and everything under it; each node checked once. */
static bool
dix_entry_ok(const struct rules_plan *p, const struct rules_dix *dx, uint32_t e,
		uint8_t *seen, unsigned pos)
{
	if (e & RV_DIRECT)
		return value_ok(p, e & ~RV_DIRECT);
	uint64_t off = e & DIX_E_OFF;
	if (e & DIX_E_NODE) {
		uint64_t at = 16 * (dx->nd_off + off);
		if (pos >= DIX_POS || at + 16 > p->n_nodes)
			return false;
		if (seen[off / 8] & (1u << (off % 8)))
			return true;
		seen[off / 8] |= (uint8_t)(1u << (off % 8));
		for (unsigned i = 0; i < 16; i++) {
			uint32_t ch = p->nodes[at + i];
			/* Children are numbered after their node: no walk can loop. */
			if (!(ch & RV_DIRECT) && (ch & DIX_E_NODE) && (ch & DIX_E_OFF) <= off)
				return false;
			if (!dix_entry_ok(p, dx, ch, seen, pos + 1))
				return false;
		}
		return true;
	}
	uint64_t at = dx->ar_off + off, n = p->n_arena;
	if (at + 2 > n)
		return false;
	const uint32_t *w = p->arena + at;
	uint32_t c = w[0] & DIX_COUNT;
	bool wide = (w[0] & DIX_WIDE) != 0;
	if (c == 0 || c > DIX_LEAF_MAX || (w[0] & ~(DIX_COUNT | DIX_WIDE)) != 0 ||
			(!wide && pos >= DIX_POS) || at + 2 + (wide ? 3 : 2) * (uint64_t)c > n ||
			at + 2 + DIX_LEAF_MAX > n)
		return false;
	if (!value_ok(p, w[1]))
		return false;
	for (uint32_t i = 0; i < c; i++)
		if (!value_ok(p, w[2 + (wide ? 2 : 1) * c + i]))
			return false;
	return true;
}

static bool
dix_ok(const struct rules_plan *p, const struct rules_dix *dx)
{
	uint64_t maxt = 0;
	bool ok = true;

	if (dx->n_l1 == 0 || dx->depth > DIX_POS || dx->l1_off + dx->n_l1 > p->n_l1 ||
			dx->ar_off > p->n_arena || 16 * dx->nd_off > p->n_nodes ||
			p->n_nodes % 16 != 0)
		return false;
	/* Leaves are scanned over DIX_LEAF_MAX keys: the arena must extend past the last one. */
	if (p->n_arena < DIX_LEAF_MAX + 2)
		return false;
	/* The slot of any input must land in the table. */
	for (int i = 0; i < DIX_POS; i++) {
		uint32_t m = 0;
		for (int c = 0; c < 16; c++)
			m = dx->cmul[i][c] > m ? dx->cmul[i][c] : m;
		maxt += m;
	}
	if (maxt >= dx->n_l1)
		return false;
	uint8_t *seen = calloc((p->n_nodes / 16 - dx->nd_off) / 8 + 1, 1);
	if (seen == NULL)
		return false;
	for (uint32_t t = 0; t < dx->n_l1 && ok; t++)
		ok = dix_entry_ok(p, dx, p->l1[dx->l1_off + t], seen, dx->depth);
	free(seen);
	return ok;
}

static const char *
validate(const struct rules_plan *p)
{
	const struct rules_hdr *h = &p->h;

	/* A filter walk stops at a `last` condition: the final one must be one. */
	if (p->n_pool == 0 || p->pool[0] != '\0' || p->pool[p->n_pool - 1] != '\0' ||
			p->n_conds == 0 || (p->n_conds > 1 && !p->conds[p->n_conds - 1].last))
		return "pool or condition table";
	if (p->n_rules >= RULES_MAX_RULES)
		return "rule count";
	if ((p->n_rules > 0) != (p->n_prio_runs > 0) || p->n_prio_runs > p->n_rules ||
			(p->n_prio_runs > 0 && p->prio_runs[0].first != 0))
		return "priorities";
	for (uint64_t i = 1; i < p->n_prio_runs; i++)
		if (p->prio_runs[i].first <= p->prio_runs[i - 1].first ||
				p->prio_runs[i].first >= p->n_rules)
			return "priorities";
	for (uint64_t i = 0; i < p->n_rules; i++) {
		const struct rules_rule *r = &p->rules[i];
		if (r->prog >= p->n_progs || r->filt >= p->n_conds ||
				(PRIM_KIND(r->prim) == PK_REGEX && PRIM_ARG(r->prim) >= p->n_regex))
			return "rules";
	}
	for (uint64_t i = 1; i < p->n_conds; i++) {
		const struct rules_cond *c = &p->conds[i];
		if (c->field >= RULES_F__COUNT)
			return "conditions";
		switch (c->type) {
		case CT_PREFIX:
		case CT_EXACT:
		case CT_METHOD:
			if (!sref_ok(p, c->s))
				return "conditions";
			break;
		case CT_REGEX:
			if (c->n >= p->n_regex)
				return "conditions";
			break;
		case CT_LEN:
			break;
		case CT_SRC:
			if ((uint64_t)c->s.off + c->n > p->n_cidrs)
				return "conditions";
			break;
		default:
			return "conditions";
		}
	}
	for (uint64_t i = 0; i < p->n_cidrs; i++)
		if (!((p->cidrs[i].af == 4 && p->cidrs[i].bits <= 32) ||
				(p->cidrs[i].af == 6 && p->cidrs[i].bits <= 128)))
			return "source addresses";
	for (uint64_t i = 0; i < p->n_progs; i++) {
		const struct rules_prog *g = &p->progs[i];
		if (g->action > RULES_ACT_DROP || g->action == RULES_ACT_NONE ||
				(uint64_t)g->ops + g->n_ops > p->n_ops ||
				(uint64_t)g->contacts + g->n_contacts > p->n_contacts ||
				g->n_contacts > RULES_MAX_CONTACTS ||
				(uint64_t)g->headers + g->n_headers > p->n_hdrs ||
				!sref_ok(p, g->reason) || !sref_ok(p, g->attrs))
			return "programs";
		if (g->action == RULES_ACT_FORWARD && g->group >= p->n_groups)
			return "programs";
	}
	for (uint64_t i = 0; i < p->n_ops; i++) {
		const struct rules_op *o = &p->ops[i];
		if (o->type < OP_STRIP || o->type > OP_SUBST || !sref_ok(p, o->s) ||
				(o->type == OP_SUBST && o->n >= p->n_pcres) ||
				o->s.len > RULES_VALUE_MAX)
			return "transformations";
	}
	for (uint64_t i = 0; i < p->n_contacts; i++)
		if (!sref_ok(p, p->contacts[i].uri))
			return "contacts";
	for (uint64_t i = 0; i < p->n_hdrs; i++)
		if (!sref_ok(p, p->hdrs[i]))
			return "headers";
	for (uint64_t i = 0; i < p->n_regex; i++)
		if (!sref_ok(p, p->regex[i].pat) || p->regex[i].field >= RULES_F__COUNT ||
				!value_ok(p, p->regex[i].prim) || (p->regex[i].prim & RV_LIST) ||
				(p->regex[i].pcre != UINT32_MAX && p->regex[i].pcre >= p->n_pcres))
			return "regular expressions";
	for (uint64_t i = 0; i < p->n_pcres; i++)
		if (!sref_ok(p, p->pcres[i].pat))
			return "substitution patterns";
	for (uint64_t i = 0; i < p->n_unidx; i++)
		if (!value_ok(p, p->unidx[i]) || (p->unidx[i] & RV_LIST))
			return "unindexed rules";
	if (p->n_gents > 0) {
		uint64_t zero = 0;
		if (p->n_gtab == 0 || (p->n_gtab & (p->n_gtab - 1)) != 0 ||
				h->gtab_mask != p->n_gtab - 1)
			return "generic index";
		for (uint64_t i = 0; i < p->n_gtab; i++) {
			if (p->gtab[i] == 0)
				zero++;
			else if (p->gtab[i] > p->n_gents)
				return "generic index";
		}
		if (zero == 0)
			return "generic index";
		for (uint64_t i = 0; i < p->n_gents; i++) {
			const struct rules_gent *e = &p->gents[i];
			if (!sref_ok(p, e->s) || e->field >= RULES_F__COUNT ||
					!value_ok(p, e->value) || e->s.len == 0 ||
					(e->kind != PK_PREFIX && e->kind != PK_EXACT))
				return "generic index";
		}
	} else if (h->fields_gen != 0) {
		return "generic index";
	}
	if ((h->fields_dix | h->fields_gen | h->fields_re) >> RULES_F__COUNT)
		return "field masks";
	for (unsigned f = 0; f < RULES_F__COUNT; f++) {
		if ((h->fields_dix & (1u << f)) && !dix_ok(p, &h->dix[f]))
			return "digit index";
		if ((h->fields_re & (1u << f)) && p->hs[f] == NULL)
			return "regex database";
		if (h->re_min[f] != RV_NONE && h->re_min[f] >= p->n_rules)
			return "regex database";
	}
	for (uint64_t i = 0; i < p->n_gws; i++)
		if (!sref_ok(p, p->gws[i].host) || p->gws[i].transport > RULES_TP_TLS)
			return "gateways";
	for (uint64_t i = 0; i < p->n_members; i++)
		if (p->members[i].gw >= p->n_gws || p->members[i].weight == 0)
			return "group members";
	for (uint64_t i = 0; i < p->n_groups; i++) {
		const struct rules_group *g = &p->groups[i];
		uint64_t total = 0;
		if (g->n == 0 || (uint64_t)g->first + g->n > p->n_members || !sref_ok(p, g->name))
			return "groups";
		for (uint32_t j = 0; j < g->n; j++)
			total += p->members[g->first + j].weight;
		if (total != g->total)
			return "groups";
	}
	return NULL;
}

struct rules_plan *
rules_plan_load(const void *blob, size_t len, struct rules_errors *errs)
{
	struct errlist el;
	struct blob_head head;
	const char *b = blob;
	struct rules_plan *p = NULL;
	uint8_t md[32];
	char msg[256];
	const char *bad;

	errlist_init(&el, 0);
	if (len < align8(sizeof(head)) + sizeof(struct rules_hdr)) {
		errlist_add(&el, "blob", 0, 0, "too short (%zu bytes)", len);
		goto fail;
	}
	memcpy(&head, b, sizeof(head));
	if (memcmp(head.magic, BLOB_MAGIC, 8) != 0) {
		errlist_add(&el, "blob", 0, 0, "not a compiled dialplan");
		goto fail;
	}
	if (head.format != BLOB_FORMAT || head.endian != BLOB_ENDIAN ||
			head.n_sec != SEC__COUNT || head.hdr_size != sizeof(struct rules_hdr) ||
			memcmp(head.esz, sec_esz, sizeof(sec_esz)) != 0) {
		errlist_add(&el, "blob", 0, 0, "compiled by another version of sipline (format %u)",
				head.format);
		goto fail;
	}
	if (head.total != len) {
		errlist_add(&el, "blob", 0, 0, "truncated: %zu of %llu bytes", len,
				(unsigned long long)head.total);
		goto fail;
	}
	size_t hb = align8(sizeof(head));
	if (blob_digest(b, len, md) < 0 || memcmp(md, head.digest, 32) != 0) {
		errlist_add(&el, "blob", 0, 0, "checksum mismatch: damaged in transit");
		goto fail;
	}
	for (unsigned i = 0; i < SEC__COUNT; i++) {
		if (head.off[i] % 8 != 0 || head.off[i] > len ||
				head.count[i] > (len - head.off[i]) / sec_esz[i]) {
			errlist_add(&el, "blob", 0, 0, "section %u out of bounds", i);
			goto fail;
		}
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto nomem;
	memcpy(&p->h, b + hb, sizeof(p->h));
	p->h.name[RULES_NAME_MAX - 1] = '\0';
	p->h.source[RULES_SOURCE_MAX - 1] = '\0';
	{
		unsigned i = 0;
#define SEC_LOAD(name, type) do { \
	size_t bytes = head.count[i] * sizeof(type); \
	p->n_##name = head.count[i]; \
	p->name = rules_big_alloc(bytes); \
	if (p->name == NULL) \
		goto nomem; \
	memcpy(p->name, b + head.off[i], bytes); \
	i++; \
} while (0);
		RULES_SECTIONS(SEC_LOAD)
#undef SEC_LOAD
	}
	for (unsigned f = 0; f < RULES_F__COUNT; f++) {
		if (p->h.hs_len[f] == 0)
			continue;
		if (p->h.hs_off[f] > p->n_hsdb || p->h.hs_len[f] > p->n_hsdb - p->h.hs_off[f] ||
				hs_deserialize_database(p->hsdb + p->h.hs_off[f], p->h.hs_len[f],
					&p->hs[f]) != HS_SUCCESS) {
			errlist_add(&el, "blob", 0, 0, "regex database of field %u does not load "
					"(compiled for another CPU or Hyperscan version?)", f);
			goto fail;
		}
	}
	/* The serialized databases are only needed until deserialized. */
	free(p->hsdb);
	p->hsdb = NULL;
	p->n_hsdb = 0;
	bad = validate(p);
	if (bad != NULL) {
		errlist_add(&el, "blob", 0, 0, "inconsistent %s", bad);
		goto fail;
	}
	if (rules_plan_prepare(p, msg, sizeof(msg)) < 0) {
		errlist_add(&el, "blob", 0, 0, "%s", msg);
		goto fail;
	}
	errlist_finish(&el, errs);
	return p;
nomem:
	errlist_add(&el, "blob", 0, 0, "out of memory");
fail:
	errlist_finish(&el, errs);
	rules_plan_free(p);
	return NULL;
}
