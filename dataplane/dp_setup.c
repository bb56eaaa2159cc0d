/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building struct dp_app: identity, shared state (RCU, dialplan, location),
 * worker lcores, dialplan loads. Used by main.c and by the pipeline
 * benchmark, which runs the same workers on a ring port.
 */
#include "dp_setup.h"

#include "dp_acl_lpm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "dp_keyring.h"
#include "dp_reasm.h"
#include "dp_telemetry.h"

#define RING_SIZE 4096

static void
rcu_sync(void *ctx)
{
	rte_rcu_qsbr_synchronize(ctx, RTE_QSBR_THRID_INVALID);
}

int
dp_setup_identity(struct dp_app *app, char *err, size_t errlen)
{
	struct dp_options *o = &app->opt;

	if (rte_eth_macaddr_get(app->wire_port, &app->local.mac) != 0) {
		snprintf(err, errlen, "port %u: cannot read its MAC address", app->wire_port);
		return -EIO;
	}
	if (rte_is_zero_ether_addr(&app->local.mac)) {
		/* Some virtual ports (net_ring) have none: a random locally administered one. */
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		rte_eth_random_addr(app->local.mac.addr_bytes);
		(void)rte_eth_dev_default_mac_addr_set(app->wire_port, &app->local.mac);
		rte_ether_format_addr(mac, sizeof(mac), &app->local.mac);
		fprintf(stderr, "sipline: port %u has no MAC address; using %s\n", app->wire_port,
				mac);
	}
	app->local.addr4 = o->addr4;
	app->local.addr6 = o->addr6;
	if (o->addr4.af == SIP_AF_INET && o->prefix4 <= 30) {
		uint32_t a, host = o->prefix4 == 0 ? ~0u : (1u << (32 - o->prefix4)) - 1;
		memcpy(&a, o->addr4.a, 4);
		a = rte_cpu_to_be_32(rte_be_to_cpu_32(a) | host);
		app->local.bcast4.af = SIP_AF_INET;
		memcpy(app->local.bcast4.a, &a, 4);
	}
	app->local.port = o->port;
	app->local.port_be = rte_cpu_to_be_16(o->port);
	app->local.udp_checksum4 = o->udp_checksum;

	int rc = dp_keys_setup(app, err, errlen);

	if (rc != 0)
		return rc;
	/* One function for this and the tests that compare with the control plane's relay. */
	if (dp_options_sip_config(o, app->keys, &app->sip4, &app->sip6, err, errlen) != 0)
		return -EINVAL;
	return 0;
}

int
dp_setup_state(struct dp_app *app, char *err, size_t errlen)
{
	size_t qsz = rte_rcu_qsbr_get_memsize(app->n_lcores);

	app->qsbr = rte_zmalloc("qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (app->qsbr == NULL || rte_rcu_qsbr_init(app->qsbr, app->n_lcores) != 0) {
		snprintf(err, errlen, "cannot create the RCU state for %u lcores", app->n_lcores);
		return -ENOMEM;
	}
	struct rules_rcu_ops ops = {.synchronize = rcu_sync, .ctx = app->qsbr};
	app->rules = rules_swap_create(app->n_lcores, &ops);
	app->loc = dp_loc_create(DP_LOC_CAPACITY, rcu_sync, app->qsbr);
	app->names = (struct dp_names_ref){.sync = rcu_sync, .ctx = app->qsbr};
	app->router = (struct dp_router){.loc = app->loc, .rules = app->rules,
		.names = &app->names};
	if (app->rules == NULL || app->loc == NULL) {
		snprintf(err, errlen, "out of memory for the dialplan and location tables");
		return -ENOMEM;
	}
	int rc = dp_setup_scanner(app, err, errlen);
	if (rc != 0)
		return rc;
	if (app->opt.acl[0] != '\0') {
		char why[400];
		if (dp_acl_reload(app, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "--acl %s", why);
			return -EINVAL;
		}
	} else if (app->opt.overload_reply && app->opt.overload_shed) {
		fprintf(stderr, "sipline: --overload-reply 503 without --acl: until an ACL is "
				"pushed no source is a known peer, requests shed under overload are "
				"dropped unanswered\n");
	}
	app->egress = rte_ring_create("egress", RING_SIZE, (int)rte_socket_id(),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (app->egress == NULL) {
		snprintf(err, errlen, "cannot create the egress ring: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

int
dp_setup_workers(struct dp_app *app, char *err, size_t errlen)
{
	unsigned lcore, id = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct dp_worker *w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
				(int)rte_lcore_to_socket_id(lcore));
		if (w == NULL) {
			snprintf(err, errlen, "lcore %u: cannot allocate worker state", lcore);
			return -ENOMEM;
		}
		w->app = app;
		w->id = id;
		w->route.tid = id;
		w->lcore = lcore;
		w->rxq = (uint16_t)id;
		w->txq = (uint16_t)id;
		w->role = DP_ROLE_WORKER;
		if (app->opt.spread == DP_SPREAD_CALLID) {
			if (id == 0) {
				w->role = DP_ROLE_DISPATCHER;
			} else {
				char name[RTE_RING_NAMESIZE];
				snprintf(name, sizeof(name), "spread%u", id);
				w->ring = rte_ring_create(name, RING_SIZE,
						(int)rte_lcore_to_socket_id(lcore),
						RING_F_SP_ENQ | RING_F_SC_DEQ);
				if (w->ring == NULL) {
					snprintf(err, errlen, "lcore %u: cannot create its ring: %s",
							lcore, rte_strerror(rte_errno));
					return -ENOMEM;
				}
			}
		}
		struct dp_sip_env env = {.route = dp_route_lookup, .route_ctx = w, .cnt = &w->cnt};
		w->env4 = env;
		w->env4.cfg = &app->sip4;
		w->env4.cfg_other = app->opt.addr6.af != SIP_AF_NONE ? &app->sip6 : NULL;
		w->env6 = env;
		w->env6.cfg = &app->sip6;
		w->env6.cfg_other = app->opt.addr4.af != SIP_AF_NONE ? &app->sip4 : NULL;
		int rc = dp_setup_worker_protections(app, w, err, errlen);
		if (rc != 0)
			return rc;
		app->w[id++] = w;
	}
	return 0;
}

int
dp_setup_worker_protections(struct dp_app *app, struct dp_worker *w, char *err, size_t errlen)
{
	unsigned lcore = w->lcore;

	if (app->scanner != NULL) {
		/* Scratch is per lcore; never shared. */
		w->scan_scratch = dp_scanner_scratch_new(app->scanner);
		if (w->scan_scratch == NULL) {
			snprintf(err, errlen, "lcore %u: cannot allocate scanner scratch", lcore);
			return -ENOMEM;
		}
		w->env4.scanner = w->env6.scanner = app->scanner;
		w->env4.scan_scratch = w->env6.scan_scratch = w->scan_scratch;
	}
	if (app->opt.acl[0] != '\0') {
		w->env4.acl = w->env6.acl = dp_acl_cb;
		w->env4.acl_ctx = w->env6.acl_ctx = app;
	}
	w->ovl.on = app->opt.overload_shed;
	dp_tb_init(&w->ovl_tb, app->opt.overload_reply_rate, app->opt.overload_reply_rate,
			rte_get_tsc_hz(), rte_rdtsc());
	int ra = snprintf(w->retry_after, sizeof(w->retry_after), "Retry-After: %u\r\n",
			app->opt.retry_after);
	w->retry_after_len = (uint8_t)ra;
	/* The limit is applied where packets are received: workers, or the dispatcher. */
	if (app->opt.src_rate != 0 && w->ring == NULL) {
		struct dp_srclimit_cfg sc = {
			.rate = app->opt.src_rate,
			.burst = app->opt.src_burst ? app->opt.src_burst : app->opt.src_rate,
			.ban_s = app->opt.src_ban,
			.entries = app->opt.src_table,
			.hz = rte_get_tsc_hz(),
			.seed = rte_rand(),
		};
		w->srclim = dp_srclimit_new(&sc);
		if (w->srclim == NULL) {
			snprintf(err, errlen, "lcore %u: cannot allocate the source table "
					"(%u entries)", lcore, app->opt.src_table);
			return -ENOMEM;
		}
	}
	/* Reassembly too: where fragments are received (a dispatcher's ring carries whole frames). */
	if (app->opt.frag_flows != 0 && w->ring == NULL) {
		int frc = dp_reasm_init_flag();
		if (frc != 0) {
			snprintf(err, errlen, "cannot register the mbuf flag of reassembly: %s",
					rte_strerror(-frc));
			return frc;
		}
		/*
		 * At most a quarter of one lcore's share of the pool waits in a
		 * table: a fragment flood cannot starve the fast path of mbufs.
		 */
		struct dp_reasm_cfg rc = {
			.flows = app->opt.frag_flows,
			.timeout_ms = app->opt.frag_timeout_ms,
			.max_dgram = DP_FRAG_MAX_DGRAM,
			.max_held = app->pool != NULL ?
				app->pool->size / (4 * (app->n_lcores + 1)) : 1024,
			.hz = rte_get_tsc_hz(),
			.socket = (int)rte_lcore_to_socket_id(lcore),
		};
		w->reasm = dp_reasm_new(&rc);
		if (w->reasm == NULL) {
			snprintf(err, errlen, "lcore %u: cannot allocate the reassembly table "
					"(%u flows)", lcore, app->opt.frag_flows);
			return -ENOMEM;
		}
	}
	return 0;
}

int
dp_setup_scanner(struct dp_app *app, char *err, size_t errlen)
{
	struct dp_scanner_pat pats[DP_SCANNER_MAX_PATS];
	unsigned n = dp_options_scanners(&app->opt, pats);

	app->scanner = NULL;
	if (n == 0)
		return 0;
	app->scanner = dp_scanner_build(pats, n, err, errlen);
	return app->scanner != NULL ? 0 : -EINVAL;
}

void
dp_setup_free_protections(struct dp_app *app)
{
	for (unsigned i = 0; i < app->n_lcores; i++) {
		struct dp_worker *w = app->w[i];
		if (w == NULL)
			continue;
		dp_scanner_scratch_free(w->scan_scratch);
		w->scan_scratch = NULL;
		dp_srclimit_free(w->srclim);
		w->srclim = NULL;
		dp_reasm_free(w->reasm);
		w->reasm = NULL;
	}
	dp_scanner_free(app->scanner);
	app->scanner = NULL;
	dp_acl_release(app);
}

/*
 * Plans built off the main lcore (a SIGHUP compile, a control-link push)
 * are published through this gate. At shutdown dp_setup_close_publish()
 * waits for a publication in progress (short: the workers are still online
 * for its grace period) and refuses later ones, so that a build still
 * running (a 50k-regex plan compiles for seconds) is abandoned, not
 * waited for.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned busy;  /* publications in progress */
	bool closed;
} gate = {.lock = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

int
dp_setup_publish(struct dp_app *app, struct rules_plan *plan)
{
	return dp_setup_publish_health(app, plan, NULL, 0, false);
}

int
dp_setup_publish_health(struct dp_app *app, struct rules_plan *plan, const uint32_t *down,
		unsigned n_down, bool with_health)
{
	int rc;

	pthread_mutex_lock(&gate.lock);
	if (gate.closed) {
		pthread_mutex_unlock(&gate.lock);
		rules_plan_free(plan);
		return -ECANCELED;
	}
	gate.busy++;
	pthread_mutex_unlock(&gate.lock);
	rc = with_health ? rules_swap_publish_health(app->rules, plan, down, n_down) :
		rules_swap_publish(app->rules, plan);
	pthread_mutex_lock(&gate.lock);
	if (--gate.busy == 0)
		pthread_cond_broadcast(&gate.idle);
	pthread_mutex_unlock(&gate.lock);
	return rc;
}

void
dp_setup_close_publish(void)
{
	pthread_mutex_lock(&gate.lock);
	gate.closed = true;
	while (gate.busy > 0)
		pthread_cond_wait(&gate.idle, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
}

/*
 * A whole small text file, NUL-terminated (malloc'd), or NULL with the
 * reason in why. Regular files only: a FIFO would block the reload forever.
 */
static char *
read_text(const char *path, char *why, size_t whylen)
{
	int fd = rules_open_file(path, why, whylen);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return NULL;
	if (f == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				snprintf(why, whylen, "out of memory");
				return NULL;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(why, whylen, "read error: %s", strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

int
dp_setup_load_dialplan(struct dp_app *app, bool at_start)
{
	struct rules_errors errs = {0};
	struct rules_plan *plan;
	const char *path = app->opt.dialplan;

	if (app->opt.dialplan_format == DP_PLAN_KAMAILIO) {
		struct rules_kamailio_opts ko = {
			.dpid = app->opt.kamailio_dpid,
			.action = app->opt.kamailio_action[0] ? app->opt.kamailio_action : NULL,
		};
		char *pre = NULL, why[128];
		if (app->opt.kamailio_preamble[0] != '\0') {
			pre = read_text(app->opt.kamailio_preamble, why, sizeof(why));
			if (pre == NULL) {
				fprintf(stderr, "sipline: --kamailio-preamble %s: %s%s\n",
						app->opt.kamailio_preamble, why,
						at_start ? "" : "; the current plan keeps serving");
				return -EINVAL;
			}
		}
		ko.preamble = pre;
		plan = rules_import_kamailio(path, &ko, NULL, &errs);
		free(pre);
	} else
		plan = rules_compile_file(path, NULL, &errs);
	if (plan == NULL) {
		fprintf(stderr, "sipline: dialplan %s: %u error(s)%s\n", path, errs.total,
				at_start ? "" : "; the current plan keeps serving");
		rules_errors_print(&errs, stderr);
		rules_errors_clear(&errs);
		return -EINVAL;
	}
	struct rules_plan_info info;
	rules_plan_info(plan, &info);
	char name[64], sha[65];
	snprintf(name, sizeof(name), "%s", info.name ? info.name : "");
	snprintf(sha, sizeof(sha), "%s", info.sha256);
	uint32_t n_rules = info.n_rules;

	/* The plan version is the publisher's: one more than the current one. */
	rules_plan_set_version(plan, 0);
	int rc = dp_setup_publish(app, plan);
	if (rc == -ECANCELED) {
		fprintf(stderr, "sipline: dialplan %s: compiled after shutdown began; not "
				"published\n", path);
		return rc;
	}
	if (rc != 0) {
		fprintf(stderr, "sipline: dialplan %s: cannot publish: %s%s\n", path, strerror(-rc),
				at_start ? "" : "; the current plan keeps serving");
		return rc;
	}
	dp_telemetry_set_plan(name, sha, path, n_rules);
	printf("sipline: dialplan %s loaded: version %llu, %u rules, sha256 %s\n", path,
			(unsigned long long)rules_swap_version(app->rules), n_rules, sha);
	fflush(stdout);
	return 0;
}
