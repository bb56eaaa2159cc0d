/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef CP_CONFIG_H
#define CP_CONFIG_H

/*
 * sipline-control's configuration: a file of `option value` lines (`#`
 * comments, blank lines), the same style as the dataplane's --config, and
 * `-o option=value` on the command line. Every option is declared once in
 * cp_config.c's table, which also prints --help and checks values; errors
 * name file:line. Options marked "restart" in --help keep their old value
 * on SIGHUP (with a log line); the others take effect at once.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CP_MAX_DATAPLANES 8
#define CP_PATH_MAX 256

enum cp_key_policy {
	CP_KEY_WARN = 0,   /* log dataplanes whose key fingerprint differs, keep them */
	CP_KEY_REFUSE = 1, /* disconnect them (the first one seen sets the reference) */
};

struct cp_config {
	char socket[CP_PATH_MAX];
	char socket_group[64];
	unsigned socket_mode;
	unsigned n_dataplanes;
	char dataplane[CP_MAX_DATAPLANES][CP_PATH_MAX];
	char store[CP_PATH_MAX];
	unsigned history;
	/* registrar and digest authentication (cp_regsrv.c) */
	char registrar[64];        /* ADDR:PORT of its UDP socket, or off */
	char reg_domains[512];
	bool reg_auth;
	char reg_algorithms[64];
	uint64_t nonce_lifetime_ms;
	uint64_t nonce_rotate_ms;
	unsigned nonce_window;
	unsigned reg_default_expires;
	unsigned reg_min_expires;
	unsigned reg_max_expires;
	unsigned reg_max_contacts;
	unsigned reg_amplification;
	char reg_overflow[16];     /* reject | evict */
	uint64_t reg_retrans_window_ms;
	unsigned reg_flow_timer;
	uint64_t store_batch_ms;
	char dialplan_dir[CP_PATH_MAX];
	uint64_t max_request;
	unsigned max_clients;
	uint64_t max_write_queue;
	unsigned push_queue;
	uint64_t push_timeout_ms;
	char metrics[128];
	uint64_t stats_poll_ms;
	uint64_t reconnect_min_ms;
	uint64_t reconnect_max_ms;
	enum cp_key_policy key_mismatch;
	bool probe;
	uint64_t probe_interval_ms;
	unsigned probe_jitter;     /* percent of the interval, each way */
	uint64_t probe_timeout_ms;
	unsigned probe_down;
	unsigned probe_up;
	char probe_codes[128];
	char probe_bind4[64];
	char probe_bind6[64];
	unsigned probe_port;
	/* gateway names (cp_dns.h) */
	char dns_servers[256];
	uint64_t dns_min_refresh_ms;
	uint64_t dns_max_refresh_ms;
	uint64_t dns_stale_max_ms;
	uint64_t dns_timeout_ms;
	unsigned dns_tries;
	unsigned dns_max_records;
	/* relay of requests to host names (cp_relay.h) */
	bool relay;
	char relay_addr[64];
	unsigned relay_port;
	char relay_secret_file[256];
	bool relay_in_dialog;
	bool relay_record_route;
	unsigned relay_no_route_code;
	unsigned relay_tls_port;
	char relay_acl[256];        /* the dataplane's --acl file, for requests over TCP/TLS */
	/* SIP over TCP and TLS (cp_streamsrv.c) */
	char tcp_listen[256];      /* ADDR:PORT list, auto (the registrar's address) or off */
	char tls_listen[256];      /* ADDR:PORT list, auto (the registrar's address, 5061) or off */
	char tls_cert[256];
	char tls_key[256];
	char tls_ca[256];
	char tls_min_version[8];
	char tls_ciphers[512];
	char tls_ciphersuites[256];
	char tls_groups[128];
	char tls_client_verify[16]; /* none | optional | required */
	char tls_client_allow[512];
	bool tls_verify_server;
	uint64_t tls_handshake_timeout_ms;
	unsigned stream_max_conns;
	unsigned stream_max_per_source;
	uint64_t stream_idle_timeout_ms;
	uint64_t stream_first_byte_timeout_ms;
	uint64_t stream_message_timeout_ms;
	uint64_t stream_max_message;
	uint64_t stream_max_header;
	uint64_t stream_write_queue;
};

/* Defaults (documented in --help and docs/control.md). */
void cp_config_defaults(struct cp_config *c);

/*
 * Read the file at path into c (on top of what c holds). 0, or -errno with
 * "path:line: message" in err.
 */
int cp_config_load(struct cp_config *c, const char *path, char *err, size_t errlen);

/* One "option value" (or "option=value") setting; where names it in errors. 0 or -EINVAL. */
int cp_config_set(struct cp_config *c, const char *line, const char *where, char *err,
		size_t errlen);

/* Checks across options (after loading). 0 or -EINVAL with a message. */
int cp_config_check(const struct cp_config *c, char *err, size_t errlen);

/* Every option with its default and meaning, for --help. */
void cp_config_usage(FILE *out);

/*
 * After a reload: copy the options that need a restart from old into new
 * and log which ones changed (reported through the log callback).
 */
void cp_config_keep_restart_only(struct cp_config *nc, const struct cp_config *old,
		void (*log)(const char *msg, void *ctx), void *ctx);

/* Parse a probe_codes list ("200-299,404") into a bitmap of codes 100..699. 0 or -EINVAL. */
int cp_config_parse_codes(const char *text, uint64_t bits[10]);

#endif
