/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipline: the DPDK poll-mode SIP router.
 *
 * Start-up (main lcore): EAL, options, mempool, wire port, exception path
 * and neighbour table, RCU, dialplan, workers. Then the main lcore runs the
 * control loop: exception relay, neighbours, control link, SIGHUP reloads,
 * statistics, reclamation. It never busy-spins: when idle it sleeps briefly.
 * A SIGHUP reload compiles in a thread of its own: a big plan takes seconds,
 * and ARP, the kernel's traffic and the control link must not wait for it.
 * Nor does SIGTERM: a compile still running at shutdown is abandoned.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "dp_acl_lpm.h"
#include "dp_app.h"
#include "dp_exc.h"
#include "dp_keyring.h"
#include "dp_link.h"
#include "dp_neigh.h"
#include "dp_pins.h"
#include "dp_port.h"
#include "dp_setup.h"
#include "dp_stats.h"
#include "dp_telemetry.h"

struct dp_app dp_app;

static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t got_hup;

#define MBUFS_PER_LCORE 8192
#define MBUF_CACHE 256
#define RING_SIZE 4096
/* Main-lcore sleep when a loop found nothing to do: short, so kernel traffic stays prompt. */
#define IDLE_SLEEP_US 200

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_stop = 1;
}

static __attribute__((noreturn, format(printf, 1, 2))) void
die(const char *fmt, ...)
{
	va_list ap;
	fputs("sipline: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	rte_eal_cleanup();
	exit(1);
}

/* systemd's readiness protocol (sd_notify(3)); a no-op without systemd. */
static void
notify(const char *state)
{
	int rc = sd_notify(0, state);
	if (rc < 0)
		fprintf(stderr, "sipline: sd_notify %s: %s\n", state, strerror(-rc));
}

static uint64_t
wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

/* The summary line's figures, gathered from one snapshot (dp_stats.c). */
struct summary {
	uint64_t rx, tx, redirect, forward, response_fwd, reject, no_route, ack_absorbed,
		error_reply, exception, drops, dialplan;
};

static int
summarise(const char *name, unsigned worker, unsigned code, enum dp_stat_kind kind,
		uint64_t v, void *ctx)
{
	struct summary *s = ctx;
	(void)kind;
	if (worker != DP_STAT_ALL || code != 0)
		return 0;
	if (strncmp(name, "drop_", 5) == 0)
		s->drops += v;
	else if (strcmp(name, "rx_pkts") == 0)
		s->rx = v;
	else if (strcmp(name, "tx_pkts") == 0)
		s->tx = v;
	else if (strcmp(name, "act_redirect") == 0)
		s->redirect = v;
	else if (strcmp(name, "act_forward") == 0 || strcmp(name, "act_location") == 0 ||
			strcmp(name, "act_in_dialog") == 0)
		s->forward += v;
	else if (strcmp(name, "act_response_fwd") == 0)
		s->response_fwd = v;
	else if (strcmp(name, "act_reject") == 0)
		s->reject = v;
	else if (strcmp(name, "act_no_route") == 0)
		s->no_route = v;
	else if (strcmp(name, "act_ack_absorbed") == 0)
		s->ack_absorbed = v;
	else if (strcmp(name, "act_error_reply") == 0)
		s->error_reply = v;
	else if (strcmp(name, "exc_pkts") == 0)
		s->exception = v;
	else if (strcmp(name, "dialplan_version") == 0)
		s->dialplan = v;
	return 0;
}

/* The neighbour table's figures, from the same snapshot: " name=value" each. */
static int
print_neigh(const char *name, unsigned worker, unsigned code, enum dp_stat_kind kind,
		uint64_t value, void *ctx)
{
	(void)worker;
	(void)code;
	(void)kind;
	(void)ctx;
	if (strncmp(name, "neigh_", 6) == 0)
		printf(" %s=%llu", name + 6, (unsigned long long)value);
	return 0;
}

static void
print_stats(const struct dp_app *app)
{
	struct summary s = {0};
	dp_stats_snapshot(app, 0, summarise, &s);
	printf("sipline: stats rx=%llu tx=%llu redirect=%llu forward=%llu response_fwd=%llu "
	       "reject=%llu no_route=%llu ack_absorbed=%llu error_reply=%llu exception=%llu "
	       "drops=%llu dialplan=%llu\n",
			(unsigned long long)s.rx, (unsigned long long)s.tx,
			(unsigned long long)s.redirect, (unsigned long long)s.forward,
			(unsigned long long)s.response_fwd, (unsigned long long)s.reject,
			(unsigned long long)s.no_route, (unsigned long long)s.ack_absorbed,
			(unsigned long long)s.error_reply, (unsigned long long)s.exception,
			(unsigned long long)s.drops, (unsigned long long)s.dialplan);
	if (app->neigh != NULL) {
		printf("sipline: neighbours");
		dp_stats_snapshot(app, 0, print_neigh, NULL);
		printf("\n");
	}
	fflush(stdout);
}

/* The SIGHUP reload in progress (compile + publish), if any. */
static struct {
	pthread_t th;
	bool running;
	int done; /* set by the thread when it finishes */
} reload;

static void *
reload_thread(void *arg)
{
	dp_setup_load_dialplan(arg, false);
	__atomic_store_n(&reload.done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Start a reload unless one runs; a SIGHUP meanwhile waits for it (got_hup stays set). */
static void
reload_poll(struct dp_app *app)
{
	if (reload.running && __atomic_load_n(&reload.done, __ATOMIC_ACQUIRE)) {
		pthread_join(reload.th, NULL);
		reload.running = false;
	}
	if (!got_hup || reload.running)
		return;
	got_hup = 0;
	dp_keys_reload(app);
	if (app->opt.acl[0] != '\0') {
		char err[400];
		if (dp_acl_reload(app, err, sizeof(err)) != 0)
			fprintf(stderr, "sipline: SIGHUP: ACL not reloaded, the old one stays: %s\n",
					err);
	}
	if (app->opt.dialplan[0] == '\0') {
		fprintf(stderr, "sipline: SIGHUP: no --dialplan to reload\n");
		return;
	}
	reload.done = 0;
	printf("sipline: SIGHUP: reloading %s\n", app->opt.dialplan);
	fflush(stdout);
	int rc = pthread_create(&reload.th, NULL, reload_thread, app);
	if (rc != 0) {
		fprintf(stderr, "sipline: SIGHUP: cannot start the reload thread: %s; "
				"reloading on the main lcore\n", strerror(rc));
		dp_setup_load_dialplan(app, false);
		return;
	}
	reload.running = true;
}

/*
 * Shutdown (after dp_setup_close_publish(): the reload can no longer
 * publish). A finished reload is joined; one still compiling is left
 * running, and true returned: the process must then end with _exit(),
 * since exit()'s destructors would run under the compiler's feet.
 */
static bool
reload_abandon(void)
{
	if (!reload.running)
		return false;
	if (__atomic_load_n(&reload.done, __ATOMIC_ACQUIRE)) {
		pthread_join(reload.th, NULL);
		reload.running = false;
		return false;
	}
	printf("sipline: SIGHUP reload of %s abandoned (still compiling)\n", dp_app.opt.dialplan);
	return true;
}

static void
main_loop(struct dp_app *app)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t next_stats = rte_rdtsc() + app->opt.stats_interval * hz;
	uint64_t next_clock = 0;

	while (!got_stop) {
		unsigned work = 0;
		uint64_t now = rte_rdtsc();

		if (now >= next_clock) {
			uint64_t wall = wall_seconds();
			__atomic_store_n(&dp_now_seconds, wall, __ATOMIC_RELAXED);
			dp_keys_poll(app, wall);
			next_clock = now + hz / 10;
		}
		if (app->exc != NULL)
			work += dp_exc_poll(app->exc);
		if (app->neigh != NULL)
			work += dp_neigh_poll(app->neigh);
		work += dp_pins_poll(app);
		work += dp_link_poll();
		reload_poll(app);
		dp_loc_reclaim(app->loc);
		if (app->opt.stats_interval && now >= next_stats) {
			print_stats(app);
			next_stats = now + app->opt.stats_interval * hz;
		}
		if (work == 0)
			usleep(IDLE_SLEEP_US);
	}
}

int
main(int argc, char **argv)
{
	struct dp_app *app = &dp_app;
	char err[512];
	int rc;

	/* --help anywhere: our usage (EAL's summarised in it) without starting EAL. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			dp_options_usage(stdout, "sipline");
			return 0;
		}
	}
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "sipline: cannot initialise DPDK's EAL: %s (see --help after --)\n",
				rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	argv[0] = (char *)"sipline";

	dp_options_defaults(&app->opt);
	if (dp_options_parse(&app->opt, argc, argv, err, sizeof(err)) != 0)
		die("%s", err);
	if (app->opt.help) {
		dp_options_usage(stdout, "sipline");
		rte_eal_cleanup();
		return 0;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	app->start_tsc = rte_rdtsc();
	__atomic_store_n(&dp_now_seconds, wall_seconds(), __ATOMIC_RELAXED);

	app->n_lcores = rte_lcore_count() - 1;
	if (app->n_lcores == 0)
		die("no worker lcore: give the EAL at least two lcores (e.g. -l 0-1)");
	if (app->opt.spread == DP_SPREAD_CALLID && app->n_lcores < 2)
		die("--spread callid needs a dispatcher and a worker: at least three lcores "
		    "(e.g. --lcores 0@0,1@1,2@1)");
	app->n_workers = app->opt.spread == DP_SPREAD_CALLID ? app->n_lcores - 1 : app->n_lcores;
	app->wire_port = app->opt.wire_port;

	unsigned n_mbufs = MBUFS_PER_LCORE * (app->n_lcores + 1);
	app->pool = rte_pktmbuf_pool_create("sipline_mbufs", n_mbufs, MBUF_CACHE, 0,
			DP_MBUF_DATA_ROOM + RTE_PKTMBUF_HEADROOM, (int)rte_socket_id());
	if (app->pool == NULL)
		die("cannot create a pool of %u mbufs: %s (more memory: EAL -m)", n_mbufs,
				rte_strerror(rte_errno));

	rc = dp_port_setup(app->wire_port, (uint16_t)app->n_lcores, app->pool, &app->wire_tx_cksum,
			err, sizeof(err));
	if (rc != 0)
		die("%s", err);
	app->wire_driver = dp_port_driver(app->wire_port);
	if (dp_setup_identity(app, err, sizeof(err)) != 0 ||
			dp_setup_state(app, err, sizeof(err)) != 0)
		die("%s", err);
	if (app->opt.dialplan[0] != '\0' && dp_setup_load_dialplan(app, true) != 0)
		die("dialplan %s: not loaded (errors above)", app->opt.dialplan);

	if (!app->opt.no_exception) {
		struct dp_neigh_conf nc = {
			.ifname = app->opt.tap,
			.capacity = app->opt.neigh_capacity,
			.idle_s = app->opt.neigh_idle,
			.rate = app->opt.neigh_rate,
			.socket_id = rte_socket_id(),
			.qsbr = app->qsbr,
			.mac = app->local.mac,
			.addr4 = app->opt.addr4,
			.addr6 = app->opt.addr6,
		};
		if (dp_neigh_create(&nc, &app->neigh, err, sizeof(err)) != 0)
			die("neighbour table: %s", err);
		struct dp_exc_conf xc = {
			.wire_port = app->wire_port,
			.egress = app->egress,
			.ifname = app->opt.tap,
			.mac = app->local.mac,
			.addr4 = app->opt.addr4,
			.prefix4 = app->opt.prefix4,
			.addr6 = app->opt.addr6,
			.prefix6 = app->opt.prefix6,
			.pool = app->pool,
			.ring_size = RING_SIZE,
			.neigh = app->neigh,
		};
		if (dp_exc_create(&xc, &app->exc, err, sizeof(err)) != 0)
			die("exception path: %s", err);
	}
	if (dp_setup_workers(app, err, sizeof(err)) != 0)
		die("%s", err);
	if (dp_telemetry_init() != 0)
		fprintf(stderr, "sipline: telemetry commands not registered (telemetry off?)\n");
	if (dp_link_init(app, app->opt.link, err, sizeof(err)) != 0)
		die("control link: %s", err);

	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(mac, sizeof(mac), &app->local.mac);
	static const char *const tx_cksum[] = {[0] = "none", [DP_TX_CKSUM_IP4] = "ipv4",
		[DP_TX_CKSUM_UDP] = "udp", [DP_TX_CKSUM_IP4 | DP_TX_CKSUM_UDP] = "ipv4+udp"};
	printf("sipline: wire port %u (%s) %s, %u lcore(s), spread %s, SIP port %u, "
	       "exception path %s, TX checksum offload %s\n", app->wire_port, app->wire_driver,
			mac, app->n_lcores, app->opt.spread == DP_SPREAD_CALLID ? "callid" : "rss",
			app->opt.port, app->exc ? app->opt.tap : "off",
			tx_cksum[app->wire_tx_cksum & 3]);
	fflush(stdout);

	for (unsigned i = 0; i < app->n_lcores; i++) {
		rc = rte_eal_remote_launch(dp_worker_main, app->w[i], app->w[i]->lcore);
		if (rc != 0)
			die("lcore %u: cannot launch: %s", app->w[i]->lcore, strerror(-rc));
	}
	printf("sipline: running\n");
	fflush(stdout);
	notify("READY=1");

	main_loop(app);

	/* Workers must still run here: a publication in progress waits for their grace period. */
	dp_setup_close_publish();
	bool lingering = reload_abandon();
	notify("STOPPING=1");
	printf("sipline: stopping\n");
	__atomic_store_n(&app->quit, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	if (app->opt.stats_interval)
		print_stats(app);
	lingering |= dp_link_fini();
	if (app->exc != NULL)
		dp_exc_destroy(app->exc);
	if (app->neigh != NULL)
		dp_neigh_destroy(app->neigh);
	dp_port_close(app->wire_port);
	rules_swap_free(app->rules);
	dp_loc_free(app->loc);
	dp_names_free(app->names.cur);
	dp_keys_free(app);
	dp_setup_free_protections(app);
	rte_eal_cleanup();
	if (lingering) {
		/* A compile or a push still runs in its thread (it holds nothing of ours): leave. */
		fflush(stdout);
		fflush(stderr);
		_exit(0);
	}
	return 0;
}
