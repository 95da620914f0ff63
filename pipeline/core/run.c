#include "core/run.h"

#include <errno.h>
#include <hs/hs.h>
#include <poll.h>
#include <pthread.h>
#include <pcap/pcap.h>
#include <nats/nats.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_version.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "alert/alert_out.h"
#include "alert/journal.h"
#include "alert/nats_sink.h"
#include "alert/writer.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/control.h"
#include "core/engine.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/port.h"
#include "core/telemetry.h"
#include "core/worker.h"
#include "core/wl_gen.h"
#include "ctl/ctl.h"
#include "ctl/stats.h"
#include "ctl/wl_watch.h"
#include "match/watchlist.h"

#define MAX_WORKERS     RTE_MAX_LCORE
#define WAIT_CLIENTS_S  30
#define CLOSE_LINGER_MS 2000
#define NATS_DRAIN_MS   5000

static void
on_signal(int sig)
{
	(void)sig;
	worker_stop = true;
}

static void
on_hup(int sig)
{
	(void)sig;
	control_reload_asked = 1;
}

/* Data-path tables in DPDK memory: hugepage-backed where there are hugepages. */
static void *
data_zalloc(size_t size)
{
	return rte_zmalloc("feedwatch", size, RTE_CACHE_LINE_SIZE);
}

static void
print_counters(struct worker *const *workers, unsigned int n, const struct counters *wc,
               const struct counters *nc, const struct spreader *sp)
{
	struct counters sum;
	unsigned int i;
	int k;

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < n; i++) {
		counters_sum(&sum, &workers[i]->c);
		if (n > 1) {
			log_info("worker %u: %llu packets, %llu flows", i,
			         (unsigned long long)workers[i]->c.v[CNT_rx_packets],
			         (unsigned long long)workers[i]->c.v[CNT_flow_created]);
		}
	}
	counters_sum(&sum, wc);
	counters_sum(&sum, nc);
	if (sp != NULL) {
		counters_sum(&sum, &sp->c);
	}
	for (k = 0; k < CNT__MAX; k++) {
		if (sum.v[k] != 0) {
			log_info("counter %-28s %llu", counters_name(k),
			         (unsigned long long)sum.v[k]);
		}
	}
}

static bool
all_done(struct worker *const *workers, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!__atomic_load_n(&workers[i]->done, __ATOMIC_ACQUIRE)) {
			return false;
		}
	}
	return true;
}

/*
 * The main lcore polls the alert ring like any DPDK lcore polls its queue:
 * sleeping in poll() between alerts would add up to its timeout to the
 * latency of every alert. Stream housekeeping (accepting clients, their
 * requests and replays, sockets writable again) and the journal's tick run
 * about every millisecond, busy or not.
 */
static void
writer_loop(struct alert_writer *writer, struct alert_out *out, struct journal *journal,
            struct worker *const *workers, unsigned int n_workers, uint64_t watchdog_us)
{
	uint64_t hz = rte_get_timer_hz(), next = 0, next_wd = 0;
	/* systemd's watchdog is fed from this loop, so a stuck writer gets restarted */
	uint64_t wd_every = watchdog_us > 0 ? hz / 1000000u * (watchdog_us / 2) : 0;

	while (!all_done(workers, n_workers)) {
		unsigned int n = alert_writer_drain(writer, 256);
		uint64_t now = rte_get_timer_cycles();

		/* also under load: clients waiting for EPOLLOUT and new ones are served here */
		if (now >= next) {
			alert_out_poll(out, 0);
			if (journal != NULL) {
				journal_tick(journal);
			}
			if (wd_every != 0 && now >= next_wd) {
				sd_notify(0, "WATCHDOG=1");
				next_wd = now + wd_every;
			}
			next = now + hz / 1000;
		}
		if (n == 0) {
			rte_pause();
		}
	}
}

/*
 * Every alert client is a file descriptor: raise the soft limit to the hard
 * one (systemd's LimitNOFILE sets that), and say so if output.max_clients
 * still cannot be reached.
 */
static void
raise_fd_limit(uint32_t max_clients)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)max_clients + 256) {
		log_warn("open files limited to %llu: fewer than output.max_clients (%u) can "
		         "connect; "
		         "raise LimitNOFILE / ulimit -n",
		         (unsigned long long)rl.rlim_cur, max_clients);
	}
}

/*
 * The journal (seq continues from it), the stream server and the NATS sink.
 * <node> gets the name alert lines and message ids carry. 0, or -1 after
 * logging why.
 */
static int
start_outputs(const struct fw_config *cfg, struct counters *wc, struct counters *nc, char *node,
              size_t node_cap, struct journal **journal, struct alert_out **out,
              struct nats_sink **sink)
{
	struct alert_out_conf oc;
	char *err = NULL;

	raise_fd_limit(cfg->max_clients);
	if (cfg->nats_node[0] != '\0') {
		snprintf(node, node_cap, "%s", cfg->nats_node);
	} else if (gethostname(node, node_cap) != 0) {
		snprintf(node, node_cap, "feedwatch");
	}
	node[node_cap - 1] = '\0';
	if (cfg->journal_path[0] != '\0') {
		struct journal_conf jc = {
			.dir = cfg->journal_path,
			.segment_bytes = cfg->journal_segment_bytes,
			.retain_bytes = cfg->journal_retain_bytes,
			.retain_age_s = cfg->journal_retain_age_s,
			.fsync_ms = cfg->journal_fsync_ms,
		};

		*journal = journal_open(&jc, wc, &err);
		if (*journal == NULL) {
			log_err("journal: %s", err);
			free(err);
			return -1;
		}
		log_info("journal %s: alerts %llu to %llu, the next is %llu", cfg->journal_path,
		         (unsigned long long)journal_first_seq(*journal),
		         (unsigned long long)journal_last_seq(*journal),
		         (unsigned long long)(journal_last_seq(*journal) + 1));
	}
	memset(&oc, 0, sizeof(oc));
	oc.socket_path = cfg->socket_path;
	oc.socket_group = cfg->socket_group;
	oc.socket_mode = cfg->socket_mode;
	oc.tcp_listen = cfg->tcp_listen;
	oc.journal_dir = cfg->journal_path;
	oc.node = node;
	oc.version = FEEDWATCH_VERSION;
	oc.ecs = cfg->out_format == CONFIG_FORMAT_ECS;
	oc.max_clients = cfg->max_clients;
	oc.client_buffer = cfg->client_buffer;
	oc.slow_policy = cfg->slow_policy;
	oc.resume_wait_ms = cfg->resume_wait_ms;
	*out = alert_out_open(&oc, wc, *journal != NULL ? journal_last_seq(*journal) : 0, &err);
	if (*out == NULL) {
		log_err("%s", err);
		free(err);
		return -1;
	}
	if (cfg->nats_url[0] != '\0') {
		struct nats_sink_conf sc = {
			.url = cfg->nats_url,
			.stream = cfg->nats_stream,
			.subject = cfg->nats_subject,
			.node = node,
			.journal_dir = cfg->journal_path,
			.create_stream = cfg->nats_create_stream,
			.max_pending = cfg->nats_max_pending,
			.ack_timeout_ms = cfg->nats_ack_timeout_ms,
			.dup_window_s = cfg->nats_dup_window_s,
		};

		if (*journal == NULL) {
			log_err("nats.url needs journal.dir: the sink publishes from the journal");
			return -1;
		}
		*sink = nats_sink_start(&sc, nc, &err);
		if (*sink == NULL) {
			log_err("nats: %s", err);
			free(err);
			return -1;
		}
		nats_sink_notify(*sink, journal_last_seq(*journal));
	}
	return 0;
}

static double
mib(double bytes)
{
	return bytes / (1024.0 * 1024.0);
}

/*
 * The start-up summary's memory budget: what each configured limit can take
 * at most, so an operator sees where the memory goes before it is used.
 */
static void
log_budget(const struct fw_config *cfg, const struct alert_out *out, unsigned int n_workers,
           uint16_t nq, bool iface)
{
	double mbuf = (double)cfg->mbufs * (RTE_MBUF_DEFAULT_BUF_SIZE + sizeof(struct rte_mbuf));
	double flows = (double)cfg->flows * (double)engine_flow_bytes();
	double sessions = (double)cfg->http_sessions * (double)engine_session_bytes();
	double inflate = (double)cfg->gzip_streams * 48.0 * 1024;
	double parsers = (double)cfg->feed_parsers * 2.0 * cfg->max_item;
	double frags = (double)cfg->frag_datagrams * 8.0 * 1024;
	double dedup = cfg->dedup_window_s > 0 ? (double)cfg->dedup_entries * 16.0 : 0;
	double worker = flows + sessions + (double)cfg->reasm_memcap + inflate +
	                (double)cfg->br_memcap + parsers + frags + dedup;
	double pool = (double)cfg->alert_pool * sizeof(struct alert_rec);

	log_info("memory: %u mbufs of %u B = %.1f MiB (%u RX queue(s) of %u descriptors)",
	         cfg->mbufs, (unsigned int)(RTE_MBUF_DEFAULT_BUF_SIZE + sizeof(struct rte_mbuf)),
	         mib(mbuf), nq, cfg->rx_desc);
	if (iface) {
		/* net_af_packet's ring: kernel memory, 2 KiB frames (the driver's framesz) */
		log_info("memory: kernel capture ring %u frames x 2 KiB x %u queue(s) = %.1f MiB "
		         "(capture.iface_frames)",
		         cfg->iface_frames, nq, mib((double)cfg->iface_frames * 2048.0 * nq));
	}
	log_info("memory per worker, at most: flows %u x %zu B = %.1f MiB, http sessions %u x %zu "
	         "B = %.1f MiB, tcp.reasm_memcap %.1f MiB, inflate %u x 48 KiB = %.1f MiB, "
	         "http.br_memcap %.1f MiB, feed parsers %u x 2 x %u B = %.1f MiB, ip fragments "
	         "%.1f MiB, dedup %.1f MiB: %.1f MiB, %.1f MiB for %u worker(s)",
	         cfg->flows, engine_flow_bytes(), mib(flows), cfg->http_sessions,
	         engine_session_bytes(), mib(sessions), mib((double)cfg->reasm_memcap),
	         cfg->gzip_streams, mib(inflate), mib((double)cfg->br_memcap), cfg->feed_parsers,
	         cfg->max_item, mib(parsers), mib(frags), mib(dedup), mib(worker),
	         mib(worker * n_workers), n_workers);
	log_info("memory for alerts: record pool %u x %zu B = %.1f MiB, ring %u slots; stream ring "
	         "%.1f MiB for up to %u client(s), each %u B behind at most",
	         cfg->alert_pool, sizeof(struct alert_rec), mib(pool), cfg->alert_ring,
	         mib((double)alert_out_ring_bytes(out)), cfg->max_clients, cfg->client_buffer);
}

/* The watchlists loaded, on one line: the first dozen by name, severity and terms. */
static void
log_watchlists(const struct wl_set *set)
{
	char line[1024];
	size_t at = 0;
	uint32_t i, n = wl_set_count(set);

	for (i = 0; i < n && i < 12 && at < sizeof(line); i++) {
		const struct wl_info *in = wl_set_info(set, i);

		at += (size_t)snprintf(line + at, sizeof(line) - at, "%s%s (%s, %u terms)",
		                       i > 0 ? ", " : "", in->name, in->severity, in->n_terms);
	}
	if (n > i && at < sizeof(line)) {
		snprintf(line + at, sizeof(line) - at, " and %u more", n - i);
	}
	log_info("watchlists: %s", n > 0 ? line : "none");
}

static struct engine *
make_engine(const struct fw_config *cfg, struct worker *w, const struct wl_gen *gen)
{
	struct engine_ops ops = {
		.alert_get = worker_alert_get,
		.alert_submit = worker_alert_submit,
		.tcp = &worker_tcp_ops,
		.arg = w,
	};
	struct engine *e = engine_create(cfg, &ops, &w->c);

	if (e != NULL) {
		engine_use_watchlists(e, gen->set, gen->scratch[w->idx]);
		w->gen = gen;
	}
	return e;
}

int
run_main(char *prog, const struct run_opts *o)
{
	char *eal_argv[PORT_MAX_EAL_ARGS + 1];
	struct port_eal_bufs eal_bufs;
	struct capture_src src;
	struct fw_config *cfg = NULL;
	struct wl_gen *gen = NULL;
	struct wl_pub pub;
	bool pub_up = false;
	struct control control;
	struct wl_load_opts lo;
	struct wl_diags diags = { 0 };
	const char *wl_paths[1];
	struct alert_out *out = NULL;
	struct journal *journal = NULL;
	struct nats_sink *sink = NULL;
	struct alert_writer *writer = NULL;
	struct alert_writer_conf wconf;
	struct counters nc __rte_cache_aligned;
	uint64_t watchdog_us = 0;
	char node[256];
	struct rte_mempool *mp = NULL;
	struct worker *workers[MAX_WORKERS];
	struct spreader *sp = NULL;
	struct counters wc __rte_cache_aligned;
	unsigned int n_workers = 0, want_workers, n_lcores, lcore, i;
	int64_t expect = 0;
	uint16_t ports[METRICS_MAX_PORTS], n_ports = 0, n_found = 0, want_ports, nq, n_rx, p;
	uint32_t reserved;
	bool spread;
	char *err = NULL;
	int eal_argc, rc = 1;
	bool eal_up = false;

	/* a SIGHUP while starting (a long compile) is kept for the control thread, not fatal */
	signal(SIGHUP, on_hup);
	memset(&wc, 0, sizeof(wc));
	memset(&nc, 0, sizeof(nc));
	memset(&control, 0, sizeof(control));
	cfg = config_load(o->config, &err);
	if (cfg == NULL) {
		log_err("%s", err);
		goto fail;
	}
	if ((o->socket != NULL && config_set_str(&cfg->socket_path, o->socket) != 0) ||
	    (o->journal != NULL && config_set_str(&cfg->journal_path, o->journal) != 0) ||
	    (o->control != NULL && config_set_str(&cfg->control_path, o->control) != 0)) {
		log_err("out of memory");
		goto fail;
	}
	log_level((int)cfg->log_level);
	/* --pcap / --iface on the command line replace the config's capture source */
	memset(&src, 0, sizeof(src));
	if (o->pcap != NULL || o->iface != NULL) {
		src.pcap = o->pcap;
		src.iface = o->iface;
	} else {
		src.pcap = cfg->pcap[0] != '\0' ? cfg->pcap : NULL;
		src.iface = cfg->iface[0] != '\0' ? cfg->iface : NULL;
		src.pci = cfg->pci;
		src.n_pci = cfg->n_pci;
	}
	log_info("feedwatch %s, hyperscan %s, %s", FEEDWATCH_VERSION, control_hs_version(),
	         rte_version());
	if (hs_valid_platform() != HS_SUCCESS) {
		log_err("this CPU lacks the instructions Hyperscan needs (SSSE3)");
		goto fail;
	}
	if (src.pcap != NULL) {
		expect = port_count_packets(src.pcap);
		if (expect < 0) {
			goto fail;
		}
		if (expect == 0) {
			expect = -1; /* an empty capture: nothing will arrive */
		}
	}

	/* one capture file is one queue; more workers than queues: one RX lcore spreads */
	nq = src.pcap != NULL ? 1 : (uint16_t)cfg->rx_queues;
	want_ports = (uint16_t)port_expected(cfg, &src, o->eal_argc, o->eal_argv);
	if (want_ports > METRICS_MAX_PORTS) {
		log_err("%u ports given; feedwatch captures from %u at most", want_ports,
		        METRICS_MAX_PORTS);
		goto fail;
	}
	n_rx = (uint16_t)(want_ports * nq);
	want_workers = RTE_MAX(cfg->workers, (uint32_t)n_rx);
	spread = want_workers > n_rx;
	if (spread && n_rx > WORKER_MAX_RX) {
		log_err("one RX lcore spreads at most %u queues; %u ports x %u queues given",
		        WORKER_MAX_RX, want_ports, nq);
		goto fail;
	}
	n_lcores = 1 + want_workers + (spread ? 1 : 0);

	wl_paths[0] = cfg->watchlist_dir;
	lo.cache_dir = cfg->wl_cache_dir[0] != 0 ? cfg->wl_cache_dir : NULL;
	gen = wl_gen_build(wl_paths, 1, &lo, want_workers, 1, &diags);
	control_log_diags(&diags);
	wl_diags_clear(&diags);
	if (gen == NULL) {
		goto fail;
	}
	log_info("%u watchlists, %u terms, database %zu bytes, from %s, %s in %.3f s",
	         wl_set_count(gen->set), wl_set_terms(gen->set), wl_set_db_bytes(gen->set),
	         cfg->watchlist_dir,
	         wl_set_from_cache(gen->set) ? "loaded from the cache" : "compiled",
	         wl_set_compile_s(gen->set));
	log_watchlists(gen->set);
	if (wl_pub_init(&pub, gen, want_workers, wl_paths, 1, &lo) != 0) {
		log_err("out of memory for the watchlist generations");
		goto fail;
	}
	pub_up = true;
	gen = NULL;

	eal_argc = port_eal_args(prog, cfg, &src, o->eal_argc, o->eal_argv, n_lcores, nq, eal_argv,
	                         &eal_bufs);
	port_log_to_journald();
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		log_err("EAL init failed: %s", rte_strerror(rte_errno));
		goto fail;
	}
	eal_up = true;
	mem_data_use(data_zalloc, rte_free);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	RTE_ETH_FOREACH_DEV(p)
	{
		if (n_found++ < METRICS_MAX_PORTS) {
			ports[n_ports++] = p;
		}
	}
	if (n_ports == 0) {
		log_err("no Ethernet port: give --pcap FILE or --iface IF, or set capture.pcap, "
		        "capture.iface or capture.pci (a PCI port must be bound to vfio-pci: see "
		        "README \"Deploying\")");
		goto fail;
	}
	if (n_found != want_ports) {
		log_err("%u Ethernet port(s) found, %u expected%s", n_found, want_ports,
		        src.n_pci > 0 ? ": is every capture.pci port bound to vfio-pci?"
		                      : ": name each in capture.pci or with --vdev / -a");
		goto fail;
	}
	if (rte_lcore_count() < n_lcores) {
		log_err("%u workers on %u RX queue(s) need %u lcores (the main one writes "
		        "alerts%s), "
		        "e.g. -l 0-%u; %u given",
		        want_workers, nq, n_lcores, spread ? ", one spreads packets" : "",
		        n_lcores - 1, rte_lcore_count());
		goto fail;
	}
	worker_yield_idle = rte_lcore_count() > (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	/* held TCP segments pin mbufs: leave the RX rings (and worker rings) theirs */
	reserved = (uint32_t)n_rx * cfg->rx_desc + (spread ? want_workers * cfg->worker_ring : 0);
	if (cfg->ooo_segments + reserved + 256 > cfg->mbufs) {
		uint32_t fit = cfg->mbufs > reserved + 512 ? cfg->mbufs - reserved - 256 : 0;

		if (fit < 16) {
			log_err("dpdk.mbufs %u is too small for %u RX queue(s) of %u descriptors%s",
			        cfg->mbufs, n_rx, cfg->rx_desc,
			        spread ? " and the workers' rings" : "");
			goto fail;
		}
		log_info("tcp.reasm_memcap lowered to %u held segments to fit dpdk.mbufs", fit);
		cfg->ooo_segments = fit;
	}
	mp = rte_pktmbuf_pool_create("mbufs", cfg->mbufs, cfg->mbuf_cache, 0,
	                             RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (mp == NULL) {
		log_err("mbuf pool of %u: %s", cfg->mbufs, rte_strerror(rte_errno));
		goto fail;
	}
	for (p = 0; p < n_ports; p++) {
		rc = port_init(ports[p], nq, (uint16_t)cfg->rx_desc, mp);
		if (rc != 0) {
			log_err("port %u: %s", ports[p], rte_strerror(-rc));
			rc = 1;
			goto fail;
		}
		port_log(ports[p], nq, (uint16_t)cfg->rx_desc);
	}
	rc = 1;

	if (start_outputs(cfg, &wc, &nc, node, sizeof(node), &journal, &out, &sink) != 0) {
		goto fail;
	}
	memset(&wconf, 0, sizeof(wconf));
	wconf.pool = cfg->alert_pool;
	wconf.ring = cfg->alert_ring;
	wconf.out = out;
	wconf.journal = journal;
	wconf.sink = sink;
	wconf.ecs = cfg->out_format == CONFIG_FORMAT_ECS;
	wconf.node = node;
	writer = alert_writer_create(&wconf, &wc, &err);
	if (writer == NULL) {
		log_err("%s", err);
		goto fail;
	}
	if (spread) {
		sp = rte_zmalloc("spreader", sizeof(*sp), RTE_CACHE_LINE_SIZE);
		if (sp == NULL) {
			log_err("out of memory for the spreader");
			goto fail;
		}
		for (i = 0; i < n_rx; i++) {
			sp->rx_port[i] = ports[i / nq];
			sp->rx_queue[i] = (uint16_t)(i % nq);
		}
		sp->n_rx = n_rx;
		sp->burst = (uint16_t)cfg->burst;
		sp->expect_packets = expect > 0 ? (uint64_t)expect : 0;
		sp->lossless = src.pcap != NULL;
	}
	for (i = 0; i < want_workers; i++) {
		struct worker *w = rte_zmalloc("worker", sizeof(*w), RTE_CACHE_LINE_SIZE);

		if (w == NULL) {
			log_err("out of memory for worker %u", i);
			goto fail;
		}
		workers[n_workers++] = w;
		w->writer = writer;
		w->port = ports[(i / nq) % n_ports];
		w->queue = (uint16_t)(i % nq);
		w->burst = (uint16_t)cfg->burst;
		w->expect_packets = expect > 0 ? (uint64_t)expect : 0;
		w->pub = &pub;
		w->idx = i;
		w->engine = make_engine(cfg, w, pub.cur);
		if (w->engine == NULL) {
			log_err("out of memory for worker %u's engine", i);
			goto fail;
		}
		if (sp != NULL) {
			char name[RTE_RING_NAMESIZE];

			snprintf(name, sizeof(name), "worker%u", i);
			w->ring = rte_ring_create(name, cfg->worker_ring, rte_socket_id(),
			                          RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
			if (w->ring == NULL) {
				log_err("worker %u's ring: %s", i, rte_strerror(rte_errno));
				goto fail;
			}
			w->from = sp;
			w->expect_packets = 0; /* the spreader knows when the capture has ended */
			sp->rings[sp->n_rings++] = w->ring;
		}
	}
	if (o->wait_clients > 0) {
		time_t until = time(NULL) + WAIT_CLIENTS_S;

		log_info("waiting for %u alert client(s) on %s", o->wait_clients, cfg->socket_path);
		while (alert_out_clients(out) < o->wait_clients && !worker_stop &&
		       time(NULL) < until) {
			alert_out_poll(out, 100);
		}
		if (alert_out_clients(out) < o->wait_clients) {
			log_err("only %u of %u alert clients connected", alert_out_clients(out),
			        o->wait_clients);
			goto fail;
		}
	}
	control.out = out;
	control.node = node;
	memcpy(control.ports, ports, sizeof(ports[0]) * n_ports);
	control.n_ports = n_ports;
	for (i = 0; i < n_workers; i++) {
		char name[24];

		snprintf(name, sizeof(name), "worker%u", i);
		stats_add(&control.src, name, &workers[i]->c);
	}
	stats_add(&control.src, "writer", &wc);
	if (sink != NULL) {
		stats_add(&control.src, "nats", &nc);
	}
	if (sp != NULL) {
		stats_add(&control.src, "spreader", &sp->c);
	}
	if (control_start(&control, &pub, cfg) != 0) {
		goto fail;
	}
	if (cfg->dpdk_telemetry && telemetry_register(control_view, &control) != 0) {
		log_warn("DPDK telemetry: the /feedwatch/ commands could not be registered");
	}
	log_budget(cfg, out, n_workers, n_rx, src.iface != NULL);
	log_info("%u worker(s) on %u port(s), %u RX queue(s) each%s; alerts to %s%s%s, journal "
	         "%s%s%s",
	         n_workers, n_ports, nq, spread ? ", spread by one RX lcore" : "",
	         cfg->socket_path[0] != 0 ? cfg->socket_path : "(no socket)",
	         cfg->tcp_listen[0] != 0 ? " and tcp " : "", cfg->tcp_listen,
	         cfg->journal_path[0] != 0 ? cfg->journal_path : "(none)",
	         sink != NULL ? ", NATS " : "", sink != NULL ? cfg->nats_url : "");
	if (expect < 0) {
		for (i = 0; i < n_workers; i++) {
			workers[i]->done = true;
		}
	} else {
		i = 0;
		RTE_LCORE_FOREACH_WORKER(lcore)
		{
			if (i < n_workers) {
				rte_eal_remote_launch(worker_main, workers[i++], lcore);
			} else if (sp != NULL) {
				rte_eal_remote_launch(spreader_main, sp, lcore);
				break;
			}
		}
	}
	if (sd_watchdog_enabled(0, &watchdog_us) <= 0) {
		watchdog_us = 0;
	}
	sd_notifyf(0, "READY=1\nSTATUS=%u worker(s), %u watchlists, alerts to %s", n_workers,
	           wl_set_count(pub.cur->set),
	           cfg->socket_path[0] != 0 ? cfg->socket_path : "the journal");
	writer_loop(writer, out, journal, workers, n_workers, watchdog_us);
	sd_notify(0, "STOPPING=1\nSTATUS=draining the alert ring and flushing the journal");
	rte_eal_mp_wait_lcore();
	while (alert_writer_drain(writer, 256) > 0) {
	}
	alert_out_poll(out, 0);
	telemetry_unregister();
	control_stop(&control);
	log_info("%llu alerts written, last seq %llu", (unsigned long long)wc.v[CNT_alert_written],
	         (unsigned long long)alert_writer_seq(writer));
	nats_sink_stop(sink, NATS_DRAIN_MS);
	sink = NULL;
	print_counters(workers, n_workers, &wc, &nc, sp);
	for (p = 0; p < n_ports; p++) {
		port_log_stats(ports[p]);
	}
	rc = 0;
fail:
	telemetry_unregister();
	control_stop(&control);
	nats_sink_stop(sink, 0);
	alert_out_close(out, CLOSE_LINGER_MS);
	out = NULL;
	journal_close(journal);
	for (i = 0; i < n_workers; i++) {
		engine_free(workers[i]->engine);
		rte_ring_free(workers[i]->ring);
		rte_free(workers[i]);
	}
	rte_free(sp);
	alert_writer_free(writer);
	if (eal_up) {
		for (p = 0; p < n_ports; p++) {
			rte_eth_dev_stop(ports[p]);
			rte_eth_dev_close(ports[p]);
		}
		rte_mempool_free(mp);
		mem_data_use(NULL, NULL);
		rte_eal_cleanup();
	}
	if (pub_up) {
		wl_pub_fini(&pub);
	}
	wl_gen_free(gen);
	config_free(cfg);
	free(err);
	return rc;
}
