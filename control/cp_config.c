/* SPDX-License-Identifier: BSD-3-Clause */
#include "cp_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum kind {
	K_PATH,   /* string */
	K_UINT,   /* unsigned, within [min, max] */
	K_BYTES,  /* unsigned 64-bit, optional k/M/G suffix */
	K_MS,     /* seconds with decimals, stored in ms */
	K_ONOFF,
	K_MODE,   /* octal */
	K_KEY,    /* warn|refuse */
	K_CODES,  /* probe_codes */
	K_LIST,   /* repeatable path: dataplane */
};

struct opt {
	const char *name;
	enum kind kind;
	size_t off;
	size_t size;          /* string fields */
	uint64_t min, max;    /* numbers (K_MS: ms) */
	const char *def;
	bool restart;         /* needs a restart to change */
	const char *help;
};

#define F(field) offsetof(struct cp_config, field), sizeof(((struct cp_config *)0)->field)

static const struct opt opts[] = {
	{"socket", K_PATH, F(socket), 0, 0, "/run/sipline/control.sock", true,
		"Unix socket of the JSON-RPC control interface (its directory is created 0750)"},
	{"socket_group", K_PATH, F(socket_group), 0, 0, "", true,
		"group owning the socket and its directory (members may use siplinectl); "
		"empty: the daemon's group"},
	{"socket_mode", K_MODE, F(socket_mode), 0, 0777, "0660", true,
		"permissions of the socket"},
	{"dataplane", K_LIST, F(dataplane), 0, 0, "/run/sipline/dataplane.sock", false,
		"control link socket of a dataplane (sipline --link); repeat for several "
		"(at most 8)"},
	{"store", K_PATH, F(store), 0, 0, "/var/lib/sipline/control.db", true,
		"SQLite database (WAL): dialplan history, gateway admin states"},
	{"history", K_UINT, F(history), 1, 100000, "50", false,
		"dialplan versions kept in the store (the newest; the current one always)"},
	{"registrar", K_PATH, F(registrar), 0, 0, "off", true,
		"ADDR:PORT of the registrar's UDP socket on the router's kernel side (REGISTER "
		"reaches it through the dataplane's exception path; [ADDR]:PORT for IPv6), or off"},
	{"reg_domains", K_PATH, F(reg_domains), 0, 0, "", false,
		"domains the registrar serves, comma-separated (empty: every domain with subscribers)"},
	{"reg_auth", K_ONOFF, F(reg_auth), 0, 0, "on", false,
		"digest authentication of REGISTER (off: anyone may register any AOR of the domains)"},
	{"reg_algorithms", K_PATH, F(reg_algorithms), 0, 0, "sha-512-256,sha-256,md5", false,
		"digest algorithms challenged with (each gets a WWW-Authenticate, strongest first)"},
	{"nonce_lifetime", K_MS, F(nonce_lifetime_ms), 1000, 86400000, "300", false,
		"seconds a nonce is valid (an older one with a right password gets stale=true)"},
	{"nonce_rotate", K_MS, F(nonce_rotate_ms), 2000, 31536000000ull, "3600", false,
		"seconds between nonce key rotations (more than nonce_lifetime; the previous key "
		"still verifies)"},
	{"nonce_window", K_UINT, F(nonce_window), 64, 16777216, "65536", true,
		"nonces remembered for nonce-count replay checks (older ones are answered stale)"},
	{"reg_default_expires", K_UINT, F(reg_default_expires), 1, 604800, "3600", false,
		"expiry of a Contact with neither an expires parameter nor an Expires header"},
	{"reg_min_expires", K_UINT, F(reg_min_expires), 1, 604800, "60", false,
		"shorter registrations get 423 with Min-Expires"},
	{"reg_max_expires", K_UINT, F(reg_max_expires), 1, 31536000, "86400", false,
		"longer registrations are cut to this"},
	{"reg_max_contacts", K_UINT, F(reg_max_contacts), 1, 1000, "10", false,
		"bindings per AOR"},
	{"reg_overflow", K_PATH, F(reg_overflow), 0, 0, "reject", false,
		"a REGISTER over reg_max_contacts: reject (403) or evict (the oldest go)"},
	{"reg_retrans_window", K_MS, F(reg_retrans_window_ms), 0, 3600000, "32", false,
		"seconds a retransmitted REGISTER gets the same answer again"},
	{"reg_flow_timer", K_UINT, F(reg_flow_timer), 1, 86400, "120", false,
		"Flow-Timer of outbound (RFC 5626) registrations"},
	{"reg_amplification", K_UINT, F(reg_amplification), 0, 64, "3", false,
		"with auth on, a UDP answer to a request that did not authenticate is at most this "
		"many times the request (no reflection amplification; a 401 keeps the challenges "
		"that fit, a longer answer is not sent); 0: no limit"},
	{"store_batch", K_MS, F(store_batch_ms), 0, 1000, "0.002", false,
		"group commit: longest wait (s) before the registrations of a batch are committed "
		"(their 200s go out after the commit)"},
	{"dialplan_dir", K_PATH, F(dialplan_dir), 0, 0, "/etc/sipline", false,
		"directory whose files dialplan.push/validate may name by `path` (the daemon "
		"reads them; siplinectl sends file contents instead)"},
	{"max_request", K_BYTES, F(max_request), 1024, 1ull << 30, "64M", false,
		"largest request line a client may send (a longer one: error, disconnected)"},
	{"max_clients", K_UINT, F(max_clients), 1, 10000, "64", false,
		"control socket connections at once (more are refused)"},
	{"max_write_queue", K_BYTES, F(max_write_queue), 4096, 1ull << 32, "64M", false,
		"answers queued for a client that does not read (more: disconnected)"},
	{"push_queue", K_UINT, F(push_queue), 1, 1000, "8", false,
		"dialplan pushes waiting behind the one compiling (more: busy error)"},
	{"push_timeout", K_MS, F(push_timeout_ms), 100, 3600000, "120", false,
		"seconds a dataplane has to answer a plan push"},
	{"metrics", K_PATH, F(metrics), 0, 0, "127.0.0.1:9470", true,
		"Prometheus endpoint ADDRESS:PORT (IPv6 as [ADDR]:PORT), or off"},
	{"stats_poll", K_MS, F(stats_poll_ms), 200, 3600000, "5", false,
		"seconds between reads of the dataplanes' counters for /metrics"},
	{"reconnect_min", K_MS, F(reconnect_min_ms), 10, 600000, "0.2", false,
		"first delay (s) before reconnecting to a dataplane; doubles per failure"},
	{"reconnect_max", K_MS, F(reconnect_max_ms), 10, 600000, "5", false,
		"longest delay (s) between reconnection attempts"},
	{"key_mismatch", K_KEY, F(key_mismatch), 0, 0, "refuse", false,
		"dataplanes whose signing-key fingerprint differs from the first one's: "
		"warn (log, keep) or refuse (log, disconnect)"},
	{"probe", K_ONOFF, F(probe), 0, 0, "on", false,
		"probe gateways with OPTIONS (off: paused; states stay as they are)"},
	{"probe_interval", K_MS, F(probe_interval_ms), 100, 3600000, "10", false,
		"seconds between two probes of a gateway"},
	{"probe_jitter", K_UINT, F(probe_jitter), 0, 50, "10", false,
		"percent of the interval each probe is moved by, at random, either way"},
	{"probe_timeout", K_MS, F(probe_timeout_ms), 50, 600000, "2", false,
		"seconds a probe waits for its answer before it counts as failed"},
	{"probe_down", K_UINT, F(probe_down), 1, 1000, "3", false,
		"failed probes in a row that mark a gateway down"},
	{"probe_up", K_UINT, F(probe_up), 1, 1000, "2", false,
		"successful probes in a row that mark a down gateway up again"},
	{"probe_codes", K_CODES, F(probe_codes), 0, 0, "200-299", false,
		"reply codes that count as alive, e.g. 200-299,403,404"},
	{"probe_bind4", K_PATH, F(probe_bind4), 0, 0, "0.0.0.0", true,
		"IPv4 address of the probes' own UDP socket (never the dataplane's port)"},
	{"probe_bind6", K_PATH, F(probe_bind6), 0, 0, "::", true,
		"IPv6 address of the probes' UDP socket (off: no IPv6 probes)"},
	{"probe_port", K_UINT, F(probe_port), 0, 65535, "0", true,
		"UDP port of the probe sockets (0: any free port)"},
	{"dns_servers", K_PATH, F(dns_servers), 0, 0, "", false,
		"DNS servers for gateway names, ADDR[:PORT] separated by commas ([v6]:PORT); "
		"empty: /etc/resolv.conf"},
	{"dns_min_refresh", K_MS, F(dns_min_refresh_ms), 1000, 86400000, "30", false,
		"gateway names are re-resolved at least this long apart (smaller TTLs are raised)"},
	{"dns_max_refresh", K_MS, F(dns_max_refresh_ms), 1000, 86400000, "3600", false,
		"and at most this long apart (larger TTLs are lowered)"},
	{"dns_stale_max", K_MS, F(dns_stale_max_ms), 0, 604800000, "3600", false,
		"when DNS fails, the last good answer serves this long past its expiry"},
	{"dns_timeout", K_MS, F(dns_timeout_ms), 100, 60000, "2", false,
		"time a DNS server has to answer one try of a query"},
	{"dns_tries", K_UINT, F(dns_tries), 1, 10, "2", false,
		"tries of a DNS query (each server) before it fails"},
	{"dns_max_records", K_UINT, F(dns_max_records), 1, 16, "8", false,
		"SRV records followed and addresses kept per gateway name"},
	{"relay", K_ONOFF, F(relay), 0, 0, "off", true,
		"relay the requests the dataplane punts because their next hop is a host name "
		"(UDP socket on relay_addr:relay_port)"},
	{"relay_addr", K_PATH, F(relay_addr), 0, 0, "", true,
		"the router's address and prefix, as sipline --addr (e.g. 192.0.2.1/24)"},
	{"relay_port", K_UINT, F(relay_port), 1, 65535, "5060", true,
		"the router's SIP port, as sipline --port"},
	{"relay_secret_file", K_PATH, F(relay_secret_file), 0, 0, "", true,
		"the dataplane's --secret-file (the relay signs branches with the same key)"},
	{"relay_in_dialog", K_ONOFF, F(relay_in_dialog), 0, 0, "off", true,
		"as sipline --relay-in-dialog: relay in-dialog requests without our Record-Route"},
	{"relay_record_route", K_ONOFF, F(relay_record_route), 0, 0, "off", true,
		"as sipline --record-route: the relay decides as the dataplane does (set both alike)"},
	{"relay_no_route_code", K_UINT, F(relay_no_route_code), 300, 699, "404", true,
		"as sipline --no-route-code: the reply when nothing matches"},
	{"relay_tls_port", K_UINT, F(relay_tls_port), 0, 65535, "0", true,
		"the TLS port named in Record-Routes with transport=tls (0: 5061)"},
	{"relay_acl", K_PATH, F(relay_acl), 0, 0, "", false,
		"peer ACL applied to requests the relay routes (sipline --acl: the same file; re-read "
		"on SIGHUP, a broken file keeps the old list; an ACL set with acl.set replaces it "
		"until acl.clear)"},
	{"tcp_listen", K_PATH, F(tcp_listen), 0, 0, "auto", true,
		"SIP over TCP: ADDR:PORT[,ADDR:PORT...] ([ADDR]:PORT for IPv6); auto: the "
		"registrar's address and port (else the relay's), off: none"},
	{"tls_listen", K_PATH, F(tls_listen), 0, 0, "auto", true,
		"SIP over TLS: ADDR:PORT list; auto: the tcp_listen addresses on port 5061 when "
		"tls_cert is set; off: none"},
	{"tls_cert", K_PATH, F(tls_cert), 0, 0, "", false,
		"PEM certificate (with its chain) of the TLS listeners and of client connections; "
		"tls.reload re-reads it"},
	{"tls_key", K_PATH, F(tls_key), 0, 0, "", false,
		"PEM private key of tls_cert (empty: in the tls_cert file)"},
	{"tls_ca", K_PATH, F(tls_ca), 0, 0, "", false,
		"PEM CA certificates that verify clients and gateways (empty: the system's)"},
	{"tls_min_version", K_PATH, F(tls_min_version), 0, 0, "1.2", false,
		"oldest TLS version accepted: 1.2 or 1.3"},
	{"tls_ciphers", K_PATH, F(tls_ciphers), 0, 0, "", false,
		"TLS 1.2 cipher list (OpenSSL syntax; empty: OpenSSL's default)"},
	{"tls_ciphersuites", K_PATH, F(tls_ciphersuites), 0, 0, "", false,
		"TLS 1.3 cipher suites (empty: OpenSSL's default)"},
	{"tls_groups", K_PATH, F(tls_groups), 0, 0, "", false,
		"key exchange groups, e.g. X25519:P-256 (empty: OpenSSL's default)"},
	{"tls_client_verify", K_PATH, F(tls_client_verify), 0, 0, "none", false,
		"client certificates on the TLS listeners: none, optional (one sent must verify), "
		"required"},
	{"tls_client_allow", K_PATH, F(tls_client_allow), 0, 0, "", false,
		"identities (RFC 5922: SIP URI or DNS SAN, CN without SANs) whose client "
		"certificates are accepted, comma-separated; empty: any that verifies"},
	{"tls_verify_server", K_ONOFF, F(tls_verify_server), 0, 0, "on", false,
		"verify the certificate and RFC 5922 identity of TLS servers we connect to"},
	{"tls_handshake_timeout", K_MS, F(tls_handshake_timeout_ms), 100, 600000, "10", false,
		"seconds a TLS handshake (or an outgoing connect) may take"},
	{"stream_max_conns", K_UINT, F(stream_max_conns), 1, 1000000, "4096", false,
		"TCP/TLS connections at once (more are closed when accepted)"},
	{"stream_max_per_source", K_UINT, F(stream_max_per_source), 1, 1000000, "64", false,
		"accepted TCP/TLS connections per source address"},
	{"stream_idle_timeout", K_MS, F(stream_idle_timeout_ms), 1000, 86400000, "180", false,
		"seconds without traffic before a connection closes (not while a registration "
		"uses it)"},
	{"stream_first_byte_timeout", K_MS, F(stream_first_byte_timeout_ms), 100, 600000, "10",
		false, "seconds an accepted connection may stay silent"},
	{"stream_message_timeout", K_MS, F(stream_message_timeout_ms), 100, 600000, "10", false,
		"seconds a message may take from its first byte to its last (slowloris)"},
	{"stream_max_message", K_BYTES, F(stream_max_message), 1024, 1048576, "65535", false,
		"largest message on a stream (513 and close beyond)"},
	{"stream_max_header", K_BYTES, F(stream_max_header), 512, 1048576, "16k", false,
		"largest header section on a stream (close beyond)"},
	{"stream_write_queue", K_BYTES, F(stream_write_queue), 4096, 1ull << 30, "256k", false,
		"bytes queued for a connection that does not read (close beyond)"},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static const struct opt *
lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

int
cp_config_parse_codes(const char *text, uint64_t bits[10])
{
	const char *p = text;
	memset(bits, 0, 10 * sizeof(uint64_t));
	if (*p == '\0')
		return -EINVAL;
	while (*p) {
		char *e;
		unsigned long a = strtoul(p, &e, 10), b;
		if (e == p)
			return -EINVAL;
		b = a;
		p = e;
		if (*p == '-') {
			b = strtoul(p + 1, &e, 10);
			if (e == p + 1)
				return -EINVAL;
			p = e;
		}
		if (a < 100 || b > 699 || a > b)
			return -EINVAL;
		for (unsigned long c = a; c <= b; c++)
			bits[(c - 100) / 64] |= 1ull << ((c - 100) % 64);
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -EINVAL;
	}
	return 0;
}

static int
set_value(struct cp_config *c, const struct opt *o, const char *v, char *msg, size_t cap)
{
	char *base = (char *)c + o->off;
	char *end;

	switch (o->kind) {
	case K_PATH:
		if (strlen(v) >= o->size) {
			snprintf(msg, cap, "%s: value longer than %zu bytes", o->name, o->size - 1);
			return -EINVAL;
		}
		snprintf(base, o->size, "%s", v);
		return 0;
	case K_LIST: {
		if (c->n_dataplanes >= CP_MAX_DATAPLANES) {
			snprintf(msg, cap, "%s: at most %d", o->name, CP_MAX_DATAPLANES);
			return -EINVAL;
		}
		if (*v == '\0' || strlen(v) >= CP_PATH_MAX) {
			snprintf(msg, cap, "%s: empty or longer than %d bytes", o->name,
					CP_PATH_MAX - 1);
			return -EINVAL;
		}
		for (unsigned i = 0; i < c->n_dataplanes; i++) {
			if (strcmp(c->dataplane[i], v) == 0) {
				snprintf(msg, cap, "%s: %s given twice", o->name, v);
				return -EINVAL;
			}
		}
		snprintf(c->dataplane[c->n_dataplanes++], CP_PATH_MAX, "%s", v);
		return 0;
	}
	case K_UINT: {
		errno = 0;
		unsigned long long x = strtoull(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno || !isdigit((unsigned char)*v) ||
				x < o->min || x > o->max) {
			snprintf(msg, cap, "%s: '%s' is not a whole number in %llu..%llu", o->name, v,
					(unsigned long long)o->min, (unsigned long long)o->max);
			return -EINVAL;
		}
		*(unsigned *)base = (unsigned)x;
		return 0;
	}
	case K_BYTES: {
		errno = 0;
		unsigned long long x = strtoull(v, &end, 10);
		unsigned long long mul = 1;
		if (*end == 'k' || *end == 'K')
			mul = 1024, end++;
		else if (*end == 'M')
			mul = 1024 * 1024, end++;
		else if (*end == 'G')
			mul = 1024ull * 1024 * 1024, end++;
		if (!isdigit((unsigned char)*v) || *end != '\0' || errno || x > o->max / mul ||
				x * mul < o->min) {
			snprintf(msg, cap, "%s: '%s' is not a size in %llu..%llu bytes (suffix k, M, G)",
					o->name, v, (unsigned long long)o->min, (unsigned long long)o->max);
			return -EINVAL;
		}
		*(uint64_t *)base = x * mul;
		return 0;
	}
	case K_MS: {
		errno = 0;
		double s = strtod(v, &end);
		if (!isdigit((unsigned char)*v) || *end != '\0' || errno || s * 1000.0 < (double)o->min ||
				s * 1000.0 > (double)o->max) {
			snprintf(msg, cap, "%s: '%s' is not a number of seconds in %g..%g", o->name, v,
					(double)o->min / 1000.0, (double)o->max / 1000.0);
			return -EINVAL;
		}
		*(uint64_t *)base = (uint64_t)(s * 1000.0 + 0.5);
		return 0;
	}
	case K_ONOFF:
		if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0) {
			*(bool *)base = true;
		} else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0) {
			*(bool *)base = false;
		} else {
			snprintf(msg, cap, "%s: '%s' is not on or off", o->name, v);
			return -EINVAL;
		}
		return 0;
	case K_MODE: {
		unsigned long x = strtoul(v, &end, 8);
		if (*v == '\0' || *end != '\0' || x > o->max) {
			snprintf(msg, cap, "%s: '%s' is not an octal mode", o->name, v);
			return -EINVAL;
		}
		*(unsigned *)base = (unsigned)x;
		return 0;
	}
	case K_KEY:
		if (strcmp(v, "warn") == 0) {
			*(enum cp_key_policy *)base = CP_KEY_WARN;
		} else if (strcmp(v, "refuse") == 0) {
			*(enum cp_key_policy *)base = CP_KEY_REFUSE;
		} else {
			snprintf(msg, cap, "%s: '%s' is not warn or refuse", o->name, v);
			return -EINVAL;
		}
		return 0;
	case K_CODES: {
		uint64_t bits[10];
		if (cp_config_parse_codes(v, bits) != 0 || strlen(v) >= o->size) {
			snprintf(msg, cap, "%s: '%s' is not a list of codes and ranges in 100..699 "
					"(e.g. 200-299,404)", o->name, v);
			return -EINVAL;
		}
		snprintf(base, o->size, "%s", v);
		return 0;
	}
	}
	return -EINVAL;
}

void
cp_config_defaults(struct cp_config *c)
{
	char msg[256];
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].kind != K_LIST)
			set_value(c, &opts[i], opts[i].def, msg, sizeof(msg));
}

int
cp_config_set(struct cp_config *c, const char *line, const char *where, char *err, size_t errlen)
{
	const char *p = line, *name, *v;
	char msg[300], val[512];
	size_t nlen, vlen;

	while (isspace((unsigned char)*p))
		p++;
	name = p;
	while (*p && !isspace((unsigned char)*p) && *p != '=')
		p++;
	nlen = (size_t)(p - name);
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '=')
		p++;
	while (isspace((unsigned char)*p))
		p++;
	v = p;
	vlen = strlen(v);
	while (vlen > 0 && isspace((unsigned char)v[vlen - 1]))
		vlen--;
	const struct opt *o = lookup(name, nlen);
	if (o == NULL) {
		snprintf(err, errlen, "%s: unknown option '%.*s' (sipline-control --help lists them)",
				where, (int)(nlen > 64 ? 64 : nlen), name);
		return -EINVAL;
	}
	if (vlen >= sizeof(val)) {
		snprintf(err, errlen, "%s: %s: value too long", where, o->name);
		return -EINVAL;
	}
	memcpy(val, v, vlen);
	val[vlen] = '\0';
	if (vlen == 0 && o->kind != K_PATH) {
		snprintf(err, errlen, "%s: %s needs a value", where, o->name);
		return -EINVAL;
	}
	if (set_value(c, o, val, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", where, msg);
		return -EINVAL;
	}
	return 0;
}

int
cp_config_load(struct cp_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[1024], where[CP_PATH_MAX + 32];
	unsigned n = 0;
	int rc = 0;

	if (f == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		snprintf(where, sizeof(where), "%s:%u", path, n);
		size_t len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			snprintf(err, errlen, "%s: line longer than %zu bytes", where, sizeof(line) - 2);
			rc = -EINVAL;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			continue;
		if ((rc = cp_config_set(c, p, where, err, errlen)) != 0)
			break;
	}
	fclose(f);
	return rc;
}

int
cp_config_check(const struct cp_config *c, char *err, size_t errlen)
{
	if (c->socket[0] != '/') {
		snprintf(err, errlen, "socket: '%s' is not an absolute path", c->socket);
		return -EINVAL;
	}
	if (c->store[0] == '\0') {
		snprintf(err, errlen, "store: a path is needed");
		return -EINVAL;
	}
	if (c->reconnect_min_ms > c->reconnect_max_ms) {
		snprintf(err, errlen, "reconnect_min is larger than reconnect_max");
		return -EINVAL;
	}
	if (c->probe_timeout_ms >= c->probe_interval_ms) {
		snprintf(err, errlen, "probe_timeout (%.1f s) must be shorter than probe_interval "
				"(%.1f s)", (double)c->probe_timeout_ms / 1000.0,
				(double)c->probe_interval_ms / 1000.0);
		return -EINVAL;
	}
	if (c->dns_min_refresh_ms > c->dns_max_refresh_ms) {
		snprintf(err, errlen, "dns_min_refresh is larger than dns_max_refresh");
		return -EINVAL;
	}
	return 0;
}

void
cp_config_usage(FILE *out)
{
	fprintf(out, "Configuration options (file lines `option value`, or -o option=value):\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];
		fprintf(out, "  %-16s %s\n  %-16s (default: %s%s)\n", o->name, o->help, "",
				*o->def ? o->def : "none", o->restart ? "; restart to change" : "");
	}
}

void
cp_config_keep_restart_only(struct cp_config *nc, const struct cp_config *old,
		void (*log)(const char *msg, void *ctx), void *ctx)
{
	char msg[256];
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];
		if (!o->restart)
			continue;
		char *a = (char *)nc + o->off;
		const char *b = (const char *)old + o->off;
		if (memcmp(a, b, o->size) != 0) {
			snprintf(msg, sizeof(msg), "reload: %s changed; it takes effect at the next "
					"restart", o->name);
			log(msg, ctx);
			memcpy(a, b, o->size);
		}
	}
}
