/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sip.h"
#include "dp_srclimit.h"
#include "sip_sign.h"

#define DEFAULT_LINK "/run/sipline/dataplane.sock"
#define DEFAULT_SECRET_GRACE 86400

void
dp_options_defaults(struct dp_options *o)
{
	memset(o, 0, sizeof(*o));
	o->port = 5060;
	o->no_route_code = 404;
	o->kamailio_dpid = -1;
	o->udp_checksum = true;
	o->secret_grace = DEFAULT_SECRET_GRACE;
	o->max_plan_size = DP_DEFAULT_MAX_PLAN_SIZE;
	o->neigh_capacity = DP_NEIGH_CAPACITY_DEFAULT;
	o->neigh_idle = DP_NEIGH_IDLE_DEFAULT;
	o->neigh_rate = DP_NEIGH_RATE_DEFAULT;
	o->neigh_kernel_rate = DP_NEIGH_KERNEL_RATE_DEFAULT;
	o->src_ban = DP_SRC_BAN_DEFAULT;
	o->src_table = DP_SRC_TABLE_DEFAULT;
	o->overload_shed = true;
	o->retry_after = DP_RETRY_AFTER_DEFAULT;
	o->overload_reply_rate = DP_OVERLOAD_REPLY_RATE_DEFAULT;
	snprintf(o->tap, sizeof(o->tap), "sl0");
	snprintf(o->link, sizeof(o->link), "%s", DEFAULT_LINK);
}

void
dp_options_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- [options]\n"
		"\n"
		"  --addr IP/PREFIX         router address on the wire (once per family); required\n"
		"  --port N                 SIP UDP port (default 5060)\n"
		"  --wire-port N            DPDK port id of the wire (default 0)\n"
		"  --dialplan FILE          dialplan loaded at start and on SIGHUP\n"
		"  --acl FILE               peer ACL: which sources may have requests routed or\n"
		"                           REGISTER (docs/security.md); reloaded on SIGHUP\n"
		"  --dialplan-format F      native | kamailio (default native)\n"
		"  --kamailio-dpid N        with kamailio: the dpid to import (default: the only one)\n"
		"  --kamailio-action TEXT   with kamailio: action of every row, e.g. \"forward pstn\"\n"
		"  --kamailio-preamble FILE with kamailio: dialplan text before the rows (groups)\n"
		"  --record-route           add Record-Route to forwarded initial requests (signed:\n"
		"                           in-dialog requests of these dialogs are relayed)\n"
		"  --relay-in-dialog        also relay in-dialog requests without our Record-Route\n"
		"                           (UAs using the router as outbound proxy; trusted peers only)\n"
		"  --secret-file FILE       128-bit signing key of branches, To-tags and Record-Route\n"
		"                           (32 hex digits; mode 0600; an optional second line is the\n"
		"                           previous key); re-read on SIGHUP (default: random key)\n"
		"  --secret-grace SEC       a rotated-out key is still accepted this long (default %u)\n"
		"  --secret HEX             the key on the command line (deprecated: visible in ps)\n"
		"  --no-route-code CODE     reply when nothing matches (default 404)\n"
		"  --spread MODE            rss | callid (default rss)\n"
		"  --tap NAME               kernel interface of the exception path (default sl0)\n"
		"  --no-exception           no exception path (static neighbours only)\n"
		"  --neighbor IP=MAC        static next-hop MAC (repeatable)\n"
		"  --neigh-capacity N       destinations in the neighbour table (default %u)\n"
		"  --neigh-idle SEC         unused destinations expire after SEC seconds unless\n"
		"                           the dialplan or a registration pins them (default %u)\n"
		"  --neigh-rate N           route lookups + ARP/ND resolutions started per second\n"
		"                           (default %u)\n"
		"  --neigh-kernel-rate N    per worker: packets/s sent via the kernel while their\n"
		"                           next hop is unresolved; more are dropped (default %u)\n"
		"  --link PATH              control link socket (default %s)\n"
		"  --max-plan-size SIZE     largest plan pushed over the link, bytes or with K, M\n"
		"                           or G (default 1G; a 10M-prefix plan is ~436M)\n"
		"  --scanner-ua TEXT        drop, unanswered, requests whose User-Agent contains TEXT\n"
		"                           (any case; repeatable; added to the built-in list)\n"
		"  --scanner-from TEXT      the same for From; --scanner-to TEXT for To\n"
		"  --no-default-scanners    without the built-in list (friendly-scanner, sipvicious...)\n"
		"  --src-rate PPS           per source address and RX lcore: packets/s before it is\n"
		"                           dropped (default 0: no limit)\n"
		"  --src-burst N            packets a source may send at once (default: PPS)\n"
		"  --src-ban SEC            a source over its rate is dropped this long (default %u;\n"
		"                           0: only the excess is dropped)\n"
		"  --src-table N            sources tracked per lcore, least recently seen evicted\n"
		"                           (default %u)\n"
		"  --overload-shed on|off   a worker that falls behind sheds new requests (INVITE,\n"
		"                           REGISTER, OPTIONS...) before parsing them; responses,\n"
		"                           ACK, BYE, CANCEL and in-dialog requests pass (default on)\n"
		"  --overload-reply drop|503  what a shed request gets: nothing, or 503 with\n"
		"                           Retry-After if the peer ACL allows its source (default drop)\n"
		"  --retry-after SEC        Retry-After of those 503s (default %u)\n"
		"  --overload-reply-rate N  per worker: 503s per second at most, the rest dropped\n"
		"                           (default %u)\n"
		"  --stats-interval SEC     print counters every SEC seconds (default 0: never)\n"
		"  --udp-checksum on|off    UDP checksums of IPv4 packets we send (default on)\n"
		"  --config FILE            read options from FILE (\"option value\" per line)\n"
		"  --help                   this text\n"
		"\n"
		"EAL options (DPDK's, before --): -l CORES (main lcore + workers), -a PCI (a NIC),\n"
		"  --vdev DEV (virtual port), --no-huge -m MB (no hugepages), --file-prefix NAME\n"
		"  (one per instance), --lcores MAP, --log-level; see DPDK's EAL documentation.\n"
		"\n"
		"Example without hugepages, on a Linux interface:\n"
		"  %s --no-huge -m 1024 --no-pci -l 0-1 \\\n"
		"     --vdev net_af_packet0,iface=eth1,framecnt=4096,blocksz=65536,framesz=4096 -- \\\n"
		"     --addr 192.0.2.1/24 --dialplan /etc/sipline/dialplan.conf\n",
		prog, DEFAULT_SECRET_GRACE, DP_NEIGH_CAPACITY_DEFAULT, DP_NEIGH_IDLE_DEFAULT,
		DP_NEIGH_RATE_DEFAULT, DP_NEIGH_KERNEL_RATE_DEFAULT, DEFAULT_LINK,
		DP_SRC_BAN_DEFAULT, DP_SRC_TABLE_DEFAULT, DP_RETRY_AFTER_DEFAULT,
		DP_OVERLOAD_REPLY_RATE_DEFAULT, prog);
}

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

/* Bytes, or with a K, M or G suffix (powers of 1024); 1 .. 1 TiB. */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -1;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end != '\0' || v == 0 || v > (1ull << 40) >> shift)
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			&tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

static int
parse_addr(struct dp_options *o, const char *s, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	struct sip_addr a;
	unsigned long prefix;

	if (slash == NULL)
		return fail(err, errlen, "--addr %s: expected IP/PREFIX", s);
	if (sip_addr_parse(sip_str_make(s, (size_t)(slash - s)), &a) != 0)
		return fail(err, errlen, "--addr %s: not an IPv4 or IPv6 address", s);
	if (parse_uint(slash + 1, a.af == SIP_AF_INET ? 32 : 128, &prefix) != 0 || prefix == 0)
		return fail(err, errlen, "--addr %s: bad prefix length", s);
	if (sip_addr_is_forbidden_dst(&a))
		return fail(err, errlen, "--addr %s: not a unicast address", s);
	if (a.af == SIP_AF_INET) {
		o->addr4 = a;
		o->prefix4 = (uint8_t)prefix;
	} else {
		o->addr6 = a;
		o->prefix6 = (uint8_t)prefix;
	}
	return 0;
}

/* Apply one option; value is NULL for flags. Returns 0 or -1 (err set). */
static int
apply(struct dp_options *o, const char *name, const char *value, char *err, size_t errlen)
{
	unsigned long v;

#define NEED_VALUE()                                                              \
	do {                                                                      \
		if (value == NULL)                                                \
			return fail(err, errlen, "--%s needs a value", name);    \
	} while (0)

	if (strcmp(name, "addr") == 0) {
		NEED_VALUE();
		return parse_addr(o, value, err, errlen);
	}
	if (strcmp(name, "port") == 0 || strcmp(name, "wire-port") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 65535, &v) != 0 || (name[0] == 'p' && v == 0))
			return fail(err, errlen, "--%s %s: not a port number", name, value);
		if (name[0] == 'p')
			o->port = (uint16_t)v;
		else
			o->wire_port = (uint16_t)v;
		return 0;
	}
	if (strcmp(name, "dialplan") == 0) {
		NEED_VALUE();
		if (strlen(value) >= sizeof(o->dialplan))
			return fail(err, errlen, "--dialplan: path too long");
		snprintf(o->dialplan, sizeof(o->dialplan), "%s", value);
		return 0;
	}
	if (strcmp(name, "acl") == 0) {
		NEED_VALUE();
		if (strlen(value) >= sizeof(o->acl))
			return fail(err, errlen, "--acl: path too long");
		snprintf(o->acl, sizeof(o->acl), "%s", value);
		return 0;
	}
	if (strcmp(name, "dialplan-format") == 0) {
		NEED_VALUE();
		if (strcmp(value, "native") == 0)
			o->dialplan_format = DP_PLAN_NATIVE;
		else if (strcmp(value, "kamailio") == 0)
			o->dialplan_format = DP_PLAN_KAMAILIO;
		else
			return fail(err, errlen, "--dialplan-format %s: native or kamailio", value);
		return 0;
	}
	if (strcmp(name, "kamailio-dpid") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 2147483647ul, &v) != 0)
			return fail(err, errlen, "--kamailio-dpid %s: a dialplan id", value);
		o->kamailio_dpid = (int)v;
		return 0;
	}
	if (strcmp(name, "kamailio-action") == 0 || strcmp(name, "kamailio-preamble") == 0) {
		NEED_VALUE();
		bool act = strcmp(name, "kamailio-action") == 0;
		char *dst = act ? o->kamailio_action : o->kamailio_preamble;
		size_t cap = act ? sizeof(o->kamailio_action) : sizeof(o->kamailio_preamble);
		if (strlen(value) >= cap)
			return fail(err, errlen, "--%s: too long", name);
		snprintf(dst, cap, "%s", value);
		return 0;
	}
	if (strcmp(name, "record-route") == 0) {
		o->record_route = true;
		return 0;
	}
	if (strcmp(name, "relay-in-dialog") == 0) {
		o->relay_in_dialog = true;
		return 0;
	}
	if (strcmp(name, "secret") == 0) {
		NEED_VALUE();
		int rc = sip_key_parse_hex(value, strlen(value), o->secret);
		if (rc == -1)
			return fail(err, errlen, "--secret: expected 32 hex digits (a 128-bit key; "
					"better: --secret-file)");
		if (rc == -2)
			return fail(err, errlen, "--secret: weak key refused (too few distinct digits)");
		o->secret_set = true;
		return 0;
	}
	if (strcmp(name, "secret-file") == 0) {
		NEED_VALUE();
		if (value[0] == '\0' || strlen(value) >= sizeof(o->secret_file))
			return fail(err, errlen, "--secret-file: empty or too long path");
		snprintf(o->secret_file, sizeof(o->secret_file), "%s", value);
		return 0;
	}
	if (strcmp(name, "secret-grace") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 30u * 86400u, &v) != 0)
			return fail(err, errlen, "--secret-grace %s: seconds (at most 30 days)", value);
		o->secret_grace = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "no-route-code") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 699, &v) != 0 || v < 300)
			return fail(err, errlen, "--no-route-code %s: a status 300..699", value);
		o->no_route_code = (uint16_t)v;
		return 0;
	}
	if (strcmp(name, "spread") == 0) {
		NEED_VALUE();
		if (strcmp(value, "rss") == 0)
			o->spread = DP_SPREAD_RSS;
		else if (strcmp(value, "callid") == 0)
			o->spread = DP_SPREAD_CALLID;
		else
			return fail(err, errlen, "--spread %s: rss or callid", value);
		return 0;
	}
	if (strcmp(name, "tap") == 0) {
		NEED_VALUE();
		if (strlen(value) == 0 || strlen(value) >= sizeof(o->tap))
			return fail(err, errlen, "--tap %s: 1 to 15 characters", value);
		snprintf(o->tap, sizeof(o->tap), "%s", value);
		return 0;
	}
	if (strcmp(name, "no-exception") == 0) {
		o->no_exception = true;
		return 0;
	}
	if (strcmp(name, "neighbor") == 0) {
		NEED_VALUE();
		const char *eq = strchr(value, '=');
		struct dp_static_neigh *n = &o->neigh[o->n_neigh];
		if (o->n_neigh == DP_MAX_STATIC_NEIGH)
			return fail(err, errlen, "--neighbor: at most %d", DP_MAX_STATIC_NEIGH);
		if (eq == NULL ||
				sip_addr_parse(sip_str_make(value, (size_t)(eq - value)), &n->ip) != 0 ||
				parse_mac(eq + 1, n->mac) != 0)
			return fail(err, errlen, "--neighbor %s: expected IP=MAC", value);
		o->n_neigh++;
		return 0;
	}
	if (strcmp(name, "neigh-capacity") == 0) {
		NEED_VALUE();
		if (parse_uint(value, DP_NEIGH_CAPACITY_MAX, &v) != 0 || v < 64)
			return fail(err, errlen, "--neigh-capacity %s: 64 to %u destinations",
					value, DP_NEIGH_CAPACITY_MAX);
		o->neigh_capacity = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "neigh-idle") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 86400, &v) != 0 || v == 0)
			return fail(err, errlen, "--neigh-idle %s: 1 to 86400 seconds", value);
		o->neigh_idle = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "neigh-rate") == 0 || strcmp(name, "neigh-kernel-rate") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 1000000, &v) != 0 || v == 0)
			return fail(err, errlen, "--%s %s: 1 to 1000000 per second", name, value);
		if (strcmp(name, "neigh-rate") == 0)
			o->neigh_rate = (unsigned)v;
		else
			o->neigh_kernel_rate = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "link") == 0) {
		NEED_VALUE();
		if (strlen(value) >= sizeof(o->link))
			return fail(err, errlen, "--link: path longer than %zu", sizeof(o->link) - 1);
		snprintf(o->link, sizeof(o->link), "%s", value);
		return 0;
	}
	if (strcmp(name, "max-plan-size") == 0) {
		NEED_VALUE();
		if (parse_size(value, &o->max_plan_size) != 0)
			return fail(err, errlen, "--max-plan-size %s: bytes, or with K, M or G "
					"(1 to 1T)", value);
		return 0;
	}
	if (strncmp(name, "scanner-", 8) == 0) {
		unsigned hdr = strcmp(name + 8, "ua") == 0 ? DP_SCAN_UA :
			strcmp(name + 8, "from") == 0 ? DP_SCAN_FROM :
			strcmp(name + 8, "to") == 0 ? DP_SCAN_TO : 0;
		if (hdr == 0)
			return fail(err, errlen, "unknown option --%s (see --help)", name);
		NEED_VALUE();
		size_t l = strlen(value);
		if (l == 0 || l >= DP_SCANNER_PAT_LEN)
			return fail(err, errlen, "--%s: 1 to %u characters", name,
					DP_SCANNER_PAT_LEN - 1);
		if (o->n_scanner + dp_scanner_n_defaults >= DP_SCANNER_MAX_PATS)
			return fail(err, errlen, "--%s %s: at most %u signatures besides the "
					"built-in ones", name, value,
					DP_SCANNER_MAX_PATS - dp_scanner_n_defaults);
		memcpy(o->scanner_text[o->n_scanner], value, l + 1);
		o->scanner_hdrs[o->n_scanner++] = (uint8_t)hdr;
		return 0;
	}
	if (strcmp(name, "no-default-scanners") == 0) {
		o->no_default_scanners = true;
		return 0;
	}
	if (strcmp(name, "src-rate") == 0 || strcmp(name, "src-burst") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 10000000, &v) != 0)
			return fail(err, errlen, "--%s %s: 0 to 10000000 packets", name, value);
		if (name[4] == 'r')
			o->src_rate = (unsigned)v;
		else
			o->src_burst = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "src-ban") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 86400, &v) != 0)
			return fail(err, errlen, "--src-ban %s: 0 to 86400 seconds", value);
		o->src_ban = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "src-table") == 0) {
		NEED_VALUE();
		if (parse_uint(value, DP_SRCLIMIT_MAX_ENTRIES, &v) != 0 ||
				v < DP_SRCLIMIT_MIN_ENTRIES)
			return fail(err, errlen, "--src-table %s: %u to %u sources", value,
					DP_SRCLIMIT_MIN_ENTRIES, DP_SRCLIMIT_MAX_ENTRIES);
		o->src_table = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "overload-shed") == 0) {
		NEED_VALUE();
		if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0)
			return fail(err, errlen, "--overload-shed %s: on or off", value);
		o->overload_shed = value[1] == 'n';
		return 0;
	}
	if (strcmp(name, "overload-reply") == 0) {
		NEED_VALUE();
		if (strcmp(value, "drop") != 0 && strcmp(value, "503") != 0)
			return fail(err, errlen, "--overload-reply %s: drop or 503", value);
		o->overload_reply = value[0] == '5';
		return 0;
	}
	if (strcmp(name, "retry-after") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 86400, &v) != 0 || v == 0)
			return fail(err, errlen, "--retry-after %s: 1 to 86400 seconds", value);
		o->retry_after = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "overload-reply-rate") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 10000000, &v) != 0 || v == 0)
			return fail(err, errlen, "--overload-reply-rate %s: 1 to 10000000 replies", value);
		o->overload_reply_rate = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "stats-interval") == 0) {
		NEED_VALUE();
		if (parse_uint(value, 86400, &v) != 0)
			return fail(err, errlen, "--stats-interval %s: seconds", value);
		o->stats_interval = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "udp-checksum") == 0) {
		NEED_VALUE();
		if (strcmp(value, "on") == 0)
			o->udp_checksum = true;
		else if (strcmp(value, "off") == 0)
			o->udp_checksum = false;
		else
			return fail(err, errlen, "--udp-checksum %s: on or off", value);
		return 0;
	}
	if (strcmp(name, "config") == 0) {
		NEED_VALUE();
		return dp_options_load(o, value, err, errlen);
	}
	if (strcmp(name, "help") == 0) {
		o->help = true;
		return 0;
	}
	return fail(err, errlen, "unknown option --%s (see --help)", name);
#undef NEED_VALUE
}

static bool
is_flag(const char *name)
{
	return strcmp(name, "record-route") == 0 || strcmp(name, "relay-in-dialog") == 0 ||
		strcmp(name, "no-exception") == 0 || strcmp(name, "no-default-scanners") == 0 ||
		strcmp(name, "help") == 0;
}

int
dp_options_load(struct dp_options *o, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[PATH_MAX + 64];
	unsigned lineno = 0;
	char sub[256];

	if (f == NULL)
		return fail(err, errlen, "--config %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		char *p = line, *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		p += strspn(p, " \t");
		char *e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p == '\0')
			continue;
		char *name = p;
		if (strncmp(name, "--", 2) == 0)
			name += 2;
		char *value = name + strcspn(name, " \t");
		if (*value) {
			*value++ = '\0';
			value += strspn(value, " \t");
		}
		if (apply(o, name, *value ? value : NULL, sub, sizeof(sub)) != 0 ||
				(is_flag(name) && *value)) {
			if (is_flag(name) && *value)
				snprintf(sub, sizeof(sub), "--%s takes no value", name);
			fclose(f);
			return fail(err, errlen, "%s:%u: %s", path, lineno, sub);
		}
	}
	fclose(f);
	return 0;
}

int
dp_options_parse(struct dp_options *o, int argc, char **argv, char *err, size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
			return fail(err, errlen, "unexpected argument '%s' (see --help)", a);
		char name[64];
		const char *eq = strchr(a + 2, '=');
		size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (nl >= sizeof(name))
			return fail(err, errlen, "unknown option %s", a);
		memcpy(name, a + 2, nl);
		name[nl] = '\0';
		const char *value = NULL;
		if (eq != NULL)
			value = eq + 1;
		else if (!is_flag(name) && i + 1 < argc)
			value = argv[++i];
		if (apply(o, name, value, err, errlen) != 0)
			return -1;
	}
	if (o->help)
		return 0;
	if (o->addr4.af == SIP_AF_NONE && o->addr6.af == SIP_AF_NONE)
		return fail(err, errlen, "--addr is required (the router's address on the wire)");
	if (o->secret_set && o->secret_file[0] != '\0')
		return fail(err, errlen, "--secret and --secret-file: give one key source");
	return 0;
}

unsigned
dp_options_scanners(const struct dp_options *o, struct dp_scanner_pat *out)
{
	unsigned n = 0;

	if (!o->no_default_scanners)
		for (unsigned i = 0; i < dp_scanner_n_defaults; i++)
			out[n++] = dp_scanner_defaults[i];
	for (unsigned i = 0; i < o->n_scanner && n < DP_SCANNER_MAX_PATS; i++)
		out[n++] = (struct dp_scanner_pat){o->scanner_text[i], o->scanner_hdrs[i]};
	return n;
}

int
dp_options_sip_config(const struct dp_options *o, const struct sip_keyring *keys,
		struct dp_sip_config *c4, struct dp_sip_config *c6, char *err, size_t errlen)
{
	struct dp_sip_config *cfgs[2] = {c4, c6};
	const struct sip_addr *addrs[2] = {&o->addr4, &o->addr6};
	const unsigned prefixes[2] = {o->prefix4, o->prefix6};

	for (int i = 0; i < 2; i++) {
		if (addrs[i]->af == SIP_AF_NONE)
			continue;
		cfgs[i]->record_route = o->record_route;
		cfgs[i]->relay_in_dialog = o->relay_in_dialog;
		cfgs[i]->no_route_code = o->no_route_code;
		cfgs[i]->server = SIP_STR_LIT("Server: sipline\r\n");
		if (dp_sip_config_init(cfgs[i], addrs[i], prefixes[i], o->port, keys) != 0) {
			snprintf(err, errlen, "cannot format the router address");
			return -1;
		}
	}
	return 0;
}
