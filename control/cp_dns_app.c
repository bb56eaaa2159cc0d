/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The resolver of gateway names (cp_dns.h) wired to the control plane:
 * its settings from the configuration, its table sent to the dataplanes
 * over the link, the health of a named plan gateway set from its targets.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cp_app.h"
#include "cp_dns.h"
#include "cp_dp.h"
#include "cp_relay.h"
#include "cp_route.h"
#include "sl_link.h"

static void
dns_conf(const struct cp_config *c, struct cp_dns_conf *dc)
{
	memset(dc, 0, sizeof(*dc));
	snprintf(dc->servers, sizeof(dc->servers), "%s", c->dns_servers);
	dc->min_refresh_s = (uint32_t)((c->dns_min_refresh_ms + 999) / 1000);
	dc->max_refresh_s = (uint32_t)((c->dns_max_refresh_ms + 999) / 1000);
	dc->stale_max_ms = c->dns_stale_max_ms;
	dc->timeout_ms = c->dns_timeout_ms;
	dc->tries = c->dns_tries;
	dc->max_records = c->dns_max_records;
}

static void
on_addrs_reply(struct cp_dp *dp, const struct sl_rx *rx, void *arg)
{
	const char *text;
	uint32_t tl;
	(void)arg;
	if (rx == NULL)
		return;
	int st = cp_dp_result(rx, &text, &tl);
	/* -ESTALE: it has this table or a newer one (another control plane's clock). */
	if (st != 0 && st != -ESTALE)
		cp_log("dataplane %s refused the gateway names table: %s%.*s", cp_dp_info(dp)->path,
				tl ? "" : strerror(-st), (int)tl, text);
}

static void
send_one(struct cp_app *app, struct cp_dp *dp, const void *payload, uint32_t len)
{
	enum cp_dp_state s = cp_dp_info(dp)->state;
	if (s != CP_DP_SYNC && s != CP_DP_READY)
		return;
	cp_dp_request(dp, SL_MSG_GW_ADDRS, payload, len, -1, app->cfg.push_timeout_ms,
			on_addrs_reply, NULL);
}

static void
op_send(void *ctx, struct cp_dp *dp, const void *payload, uint32_t len)
{
	struct cp_app *app = ctx;
	if (dp != NULL) {
		send_one(app, dp, payload, len);
		return;
	}
	/* A new table: the control plane's router uses it too (cp_route.h). */
	if (app->route != NULL) {
		char err[128];
		int rc = cp_route_names(app->route, payload, len, err, sizeof(err));
		if (rc != 0 && rc != -ESTALE)
			cp_log("router: gateway names table refused: %s", rc == -EINVAL ? err :
					strerror(-rc));
	}
	for (unsigned i = 0; i < cp_dps_count(app->dps); i++)
		send_one(app, cp_dps_get(app->dps, i), payload, len);
}

static struct cp_gw *
op_plan_gw(void *ctx, const char *host, uint16_t port, uint8_t transport)
{
	struct cp_app *app = ctx;
	return cp_probe_find(app->probe, host, port, transport);
}

static void
op_set_health(void *ctx, struct cp_gw *g, bool down, const char *why)
{
	struct cp_app *app = ctx;
	cp_probe_set_health(app->probe, g, down, why);
}

int
cp_dns_app_start(struct cp_app *app, char *err, size_t errlen)
{
	struct cp_dns_conf dc;
	struct cp_dns_ops ops = {.send = op_send, .plan_gw = op_plan_gw,
		.set_health = op_set_health, .ctx = app};
	dns_conf(&app->cfg, &dc);
	app->dns = cp_dns_create(app->loop, &dc, cp_probe_conf(app->probe), &ops, err, errlen);
	if (app->dns == NULL)
		return -EINVAL;
	if (app->cfg.relay) {
		struct cp_relay_conf rc = {.port = (uint16_t)app->cfg.relay_port,
			.relay_in_dialog = app->cfg.relay_in_dialog,
			.record_route = app->cfg.relay_record_route,
			.no_route_code = (uint16_t)app->cfg.relay_no_route_code,
			/* 0: the TLS listener's default port (set relay_tls_port for another one). */
			.tls_port = (uint16_t)(app->cfg.relay_tls_port ? app->cfg.relay_tls_port : 5061)};
		snprintf(rc.addr, sizeof(rc.addr), "%s", app->cfg.relay_addr);
		snprintf(rc.secret_file, sizeof(rc.secret_file), "%s", app->cfg.relay_secret_file);
		snprintf(rc.acl, sizeof(rc.acl), "%s", app->cfg.relay_acl);
		app->relay = cp_relay_create(app->loop, app->dns, &rc, err, errlen);
		if (app->relay == NULL)
			return -EINVAL;
		/* Decided by the dataplane's code against the dataplanes' state (cp_route.h). */
		if (app->route != NULL)
			cp_relay_set_route(app->relay, cp_route_lookup, app->route);
		/* Dataplanes must sign with the relay's key: checked at every HELLO. */
		uint8_t fp[SL_KEY_FP_LEN];
		char what[96];
		cp_relay_key_fp(app->relay, fp);
		snprintf(what, sizeof(what), "relay_secret_file %.70s", app->cfg.relay_secret_file);
		cp_dps_expect_key(app->dps, fp, what);
	}
	return 0;
}

void
cp_dns_app_reload(struct cp_app *app)
{
	struct cp_dns_conf dc;
	char err[300];
	if (app->dns == NULL)
		return;
	dns_conf(&app->cfg, &dc);
	if (cp_dns_set_conf(app->dns, &dc, err, sizeof(err)) != 0)
		cp_log("SIGHUP: %s (the old DNS servers stay)", err);
	cp_dns_set_probe_conf(app->dns, cp_probe_conf(app->probe));
	char why[400];
	/* An ACL set with acl.set stays (it replaces relay_acl until acl.clear). */
	if (cp_acl_apply_relay(app, why, sizeof(why)) != 0)
		cp_log("SIGHUP: relay_acl not reloaded, the old list stays: %s", why);
}

void
cp_dns_app_stop(struct cp_app *app)
{
	cp_relay_free(app->relay);
	app->relay = NULL;
	cp_dns_free(app->dns);
	app->dns = NULL;
}
