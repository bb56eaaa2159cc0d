/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipline-control: the control plane. One event loop (cp_loop.c) serves
 * the control socket, the links to the dataplanes, the gateway probes,
 * the metrics endpoint and the signals; dialplan compiles run on worker
 * threads. Start-up errors are fatal and say what and where; after
 * start-up, errors are reported to the caller and the old state serves.
 *
 *   SIGTERM, SIGINT: stop (dataplanes keep serving what they have)
 *   SIGHUP: re-read the configuration file
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cp_app.h"
#include "cp_loop.h"
#include "cp_metrics.h"
#include "cp_route.h"
#include "cp_rpc.h"
#include "cp_store.h"

#define DEFAULT_CONFIG "/etc/sipline/control.conf"

static struct cp_app the_app;

/* systemd's readiness protocol (sd_notify(3)); a no-op without systemd. */
static void
notify(const char *state)
{
	int rc = sd_notify(0, state);
	if (rc < 0)
		cp_log("sd_notify %s: %s", state, strerror(-rc));
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: sipline-control [-c FILE] [-o OPTION=VALUE]... [--check]\n"
		"\n"
		"The sipline control plane: JSON-RPC control socket (siplinectl), dialplan\n"
		"history and pushes, gateway probing, Prometheus metrics; it drives every\n"
		"dataplane (sipline) named by `dataplane` over the control link.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s if it exists)\n"
		"  -o OPTION=VALUE     set an option (after the file; repeatable)\n"
		"      --check         check the configuration and exit\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n"
		"\n"
		"Signals: SIGTERM/SIGINT stop, SIGHUP re-reads the configuration.\n"
		"Documentation: docs/control.md.\n\n", DEFAULT_CONFIG);
	cp_config_usage(out);
}

/* Configuration: defaults, the file, then -o settings. */
static int
read_config(struct cp_app *app, struct cp_config *c, char *err, size_t errlen)
{
	cp_config_defaults(c);
	if (app->config_path != NULL && cp_config_load(c, app->config_path, err, errlen) != 0)
		return -EINVAL;
	for (unsigned i = 0; i < app->n_overrides; i++)
		if (cp_config_set(c, app->overrides[i], "-o", err, errlen) != 0)
			return -EINVAL;
	if (c->n_dataplanes == 0)
		snprintf(c->dataplane[c->n_dataplanes++], CP_PATH_MAX, "%s",
				"/run/sipline/dataplane.sock");
	if (cp_config_check(c, err, errlen) != 0)
		return -EINVAL;
	if (cp_streamsrv_check(c, err, errlen) != 0)
		return -EINVAL;
	return cp_regsrv_check(c, err, errlen);
}

static void
probe_conf(const struct cp_config *c, struct cp_probe_conf *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->enabled = c->probe;
	pc->interval_ms = c->probe_interval_ms;
	pc->jitter_pct = c->probe_jitter;
	pc->timeout_ms = c->probe_timeout_ms;
	pc->down_after = c->probe_down;
	pc->up_after = c->probe_up;
	cp_config_parse_codes(c->probe_codes, pc->codes);
}

static void
dp_conf(const struct cp_config *c, struct cp_dp_conf *dc)
{
	dc->reconnect_min_ms = c->reconnect_min_ms;
	dc->reconnect_max_ms = c->reconnect_max_ms;
	dc->stats_poll_ms = c->stats_poll_ms;
	dc->key_refuse = c->key_mismatch == CP_KEY_REFUSE;
}

static void
srv_conf(const struct cp_config *c, struct cp_rpcsrv_conf *sc)
{
	sc->path = c->socket;
	sc->group = c->socket_group;
	sc->mode = c->socket_mode;
	sc->max_request = c->max_request;
	sc->max_write_queue = c->max_write_queue;
	sc->max_clients = c->max_clients;
}

static void
log_line(const char *msg, void *ctx)
{
	(void)ctx;
	cp_log("%s", msg);
}

static void
reload(struct cp_app *app)
{
	struct cp_config nc;
	char err[512];
	notify("RELOADING=1");
	if (read_config(app, &nc, err, sizeof(err)) != 0) {
		cp_log("SIGHUP: configuration not reloaded: %s (the old one stays)", err);
		notify("READY=1");
		return;
	}
	cp_config_keep_restart_only(&nc, &app->cfg, log_line, NULL);
	/* Applied at once: everything not marked "restart". */
	struct cp_probe_conf pc;
	struct cp_dp_conf dc;
	struct cp_rpcsrv_conf sc;
	probe_conf(&nc, &pc);
	/* A pause set through gateways.probing survives reloads that do not name `probe`. */
	if (nc.probe == app->cfg.probe)
		pc.enabled = cp_probe_conf(app->probe)->enabled;
	cp_probe_set_conf(app->probe, &pc);
	dp_conf(&nc, &dc);
	cp_dps_set_conf(app->dps, &dc);
	srv_conf(&nc, &sc);
	cp_rpcsrv_set_limits(app->srv, &sc);
	app->cfg = nc;
	cp_regsrv_reconf(app);
	cp_streamsrv_reconf(app);
	cp_dps_set_paths(app->dps, app->cfg.dataplane, app->cfg.n_dataplanes);
	cp_dns_app_reload(app);
	cp_log("SIGHUP: configuration reloaded (%u dataplane(s))", app->cfg.n_dataplanes);
	notify("READY=1");
}

static void
on_signal(struct cp_loop *l, int sig, void *ctx)
{
	struct cp_app *app = ctx;
	if (sig == SIGHUP) {
		reload(app);
		return;
	}
	cp_log("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	app->stopping = true;
	cp_loop_stop(l);
}

static void
on_dp_hello(struct cp_dp *dp, void *ctx)
{
	struct cp_app *app = ctx;
	app->cnt[CP_C_DATAPLANE_CONNECTS]++;
	/* The ACL first: served (main lcore, in order) before the re-sync's SYNC_END. */
	cp_acl_resync(app, dp);
	cp_plan_resync(app, dp);
}

static void
on_dp_down(struct cp_dp *dp, void *ctx)
{
	struct cp_app *app = ctx;
	(void)dp;
	app->cnt[CP_C_DATAPLANE_DISCONNECTS]++;
}

static void
on_gw_change(struct cp_gw *g, const char *why, void *ctx)
{
	struct cp_app *app = ctx;
	app->cnt[CP_C_GATEWAY_TRANSITIONS]++;
	cp_log("gateway %s:%u is %s: %s", g->host, g->port, cp_gw_down(g) ? "DOWN" : "UP", why);
	cp_plan_gw_broadcast(app, g);
}

/* mkdir -p for the store's directory (0750). */
static int
make_dirs(const char *path, char *err, size_t errlen)
{
	char dir[CP_PATH_MAX];
	if (strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "%.64s...: path too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(dir, path, strlen(path) + 1);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
				int rc = -errno;
				snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
				return rc;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct cp_app *app = &the_app;
	char err[512];
	bool check = false;
	int status = 1;

	app->overrides = calloc((size_t)argc, sizeof(char *));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
			app->config_path = argv[++i];
		} else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
			app->overrides[app->n_overrides++] = argv[++i];
		} else if (strcmp(a, "--check") == 0) {
			check = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("sipline-control 0.1.0 (link version %u, store schema %d)\n",
					SL_LINK_VERSION, CP_STORE_SCHEMA);
			return 0;
		} else {
			fprintf(stderr, "sipline-control: unknown argument '%s' (see --help)\n", a);
			return 2;
		}
	}
	if (app->config_path == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
		app->config_path = DEFAULT_CONFIG;
	if (read_config(app, &app->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipline-control: %s\n", err);
		return 1;
	}
	if (check) {
		printf("sipline-control: configuration ok (%s)\n",
				app->config_path ? app->config_path : "defaults");
		return 0;
	}

	app->started = cp_wall_s();
	app->started_ms = cp_now_ms();
	app->cur.memfd = -1;
	app->loop = cp_loop_create();
	if (app->loop == NULL) {
		cp_log("cannot create the event loop: %s", strerror(errno));
		return 1;
	}
	if (cp_loop_signals(app->loop, on_signal, app) != 0) {
		cp_log("cannot set up signal handling: %s", strerror(errno));
		goto out;
	}
	if (make_dirs(app->cfg.store, err, sizeof(err)) != 0) {
		cp_log("store: %s", err);
		goto out;
	}
	app->store = cp_store_open(app->cfg.store, err, sizeof(err));
	if (app->store == NULL) {
		cp_log("store: %s", err);
		goto out;
	}
	app->rpc = cp_rpc_create();
	if (app->rpc == NULL || cp_methods_register(app) != 0) {
		cp_log("cannot register the control methods");
		goto out;
	}
	struct cp_probe_conf pc;
	probe_conf(&app->cfg, &pc);
	struct cp_probe_sockets ps = {app->cfg.probe_bind4, app->cfg.probe_bind6,
		(uint16_t)app->cfg.probe_port};
	app->probe = cp_probe_create(app->loop, &pc, &ps, on_gw_change, app, err, sizeof(err));
	if (app->probe == NULL) {
		cp_log("%s", err);
		goto out;
	}
	struct cp_dp_conf dc;
	dp_conf(&app->cfg, &dc);
	struct cp_dp_ops ops = {.on_hello = on_dp_hello, .on_down = on_dp_down, .log = log_line,
		.ctx = app};
	app->dps = cp_dps_create(app->loop, &dc, &ops);
	if (app->dps == NULL) {
		cp_log("out of memory");
		goto out;
	}
	/* The dataplanes' routing state, for the relay: as large as a dataplane's. */
	app->route = cp_route_create(DP_LOC_CAPACITY);
	if (app->route == NULL) {
		cp_log("out of memory");
		goto out;
	}
	if (cp_dns_app_start(app, err, sizeof(err)) != 0) {
		cp_log("%s", err);
		goto out;
	}
	if (cp_acl_start(app, err, sizeof(err)) != 0) {
		cp_log("%s", err);
		goto out;
	}
	if (cp_plan_init(app, err, sizeof(err)) != 0) {
		cp_log("%s", err);
		goto out;
	}
	if (cp_regsrv_start(app, err, sizeof(err)) != 0) {
		cp_log("%s", err);
		goto out;
	}
	if (cp_streamsrv_start(app, err, sizeof(err)) != 0) {
		cp_log("%s", err);
		goto out;
	}
	struct cp_rpcsrv_conf sc;
	srv_conf(&app->cfg, &sc);
	app->srv = cp_rpcsrv_start(app, &sc, err, sizeof(err));
	if (app->srv == NULL) {
		cp_log("%s", err);
		goto out;
	}
	if (strcmp(app->cfg.metrics, "off") != 0 && app->cfg.metrics[0] != '\0') {
		app->metrics = cp_metrics_start(app->loop, app->cfg.metrics, cp_metrics_render, app,
				err, sizeof(err));
		if (app->metrics == NULL) {
			cp_log("%s", err);
			goto out;
		}
	}
	if (cp_dps_set_paths(app->dps, app->cfg.dataplane, app->cfg.n_dataplanes) != 0) {
		cp_log("out of memory");
		goto out;
	}
	cp_log("running: control socket %s, %u dataplane(s), store %s, metrics %s, plan version "
			"%llu", app->cfg.socket, app->cfg.n_dataplanes, app->cfg.store, app->cfg.metrics,
			(unsigned long long)app->cur.version);
	notify("READY=1");
	if (cp_loop_run(app->loop) != 0)
		cp_log("event loop failed: %s", strerror(errno));
	else
		status = 0;
	notify("STOPPING=1");
out:
	app->stopping = true;
	cp_rpcsrv_stop(app->srv);
	cp_metrics_stop(app->metrics);
	cp_streamsrv_stop(app);
	cp_regsrv_stop(app);
	cp_dps_free(app->dps);
	cp_plan_fini(app);
	cp_dns_app_stop(app);
	cp_acl_stop(app);
	cp_route_free(app->route);
	app->route = NULL;
	cp_probe_free(app->probe);
	/* Waits for a compile in progress (its result is dropped). */
	cp_loop_free(app->loop);
	for (unsigned i = 0; i < CP_MAX_DATAPLANES; i++)
		cp_dp_stats_clear(&app->base[i]);
	cp_rpc_free(app->rpc);
	cp_store_close(app->store);
	free(app->overrides);
	if (status == 0)
		cp_log("stopped");
	return status;
}
