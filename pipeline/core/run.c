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
#include "core/engine.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/worker.h"
#include "core/wl_gen.h"
#include "ctl/ctl.h"
#include "ctl/stats.h"
#include "ctl/wl_watch.h"
#include "match/watchlist.h"

#define MAX_WORKERS     RTE_MAX_LCORE
#define MAX_EAL_ARGS    64
#define WAIT_CLIENTS_S  30
#define CLOSE_LINGER_MS 2000
#define NATS_DRAIN_MS   5000

static volatile sig_atomic_t reload_asked;

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
	reload_asked = 1;
}

/* The control thread: reloads (SIGHUP, feedwatch ctl, the folder changing) off the data path. */
struct control {
	struct wl_pub *pub;
	struct alert_out *out;
	struct stats_src src; /* every thread's counters */
	struct stats_rate rate;
	struct ctl_server *ctl;
	struct wl_watch *watch;
	const char *wl_dir;
	volatile bool stop;
	pthread_t thread;
	bool started;
};

static void
log_diags(const struct wl_diags *d)
{
	char line[1400];
	uint32_t i;

	for (i = 0; i < d->n; i++) {
		wl_diag_format(&d->v[i], line, sizeof(line));
		if (d->v[i].warning) {
			log_info("%s", line);
		} else {
			log_err("%s", line);
		}
	}
}

/* One reload, whatever asked for it; <r> (may be NULL) gets the outcome for feedwatch ctl. */
static int
control_reload(struct control *ctl, const char *why, struct ctl_reply *r)
{
	struct wl_diags d = { 0 };
	const struct wl_gen *g;
	uint32_t i;
	int rc;

	rc = wl_pub_reload(ctl->pub, &d);
	g = ctl->pub->cur;
	if (rc == 0) {
		log_info("watchlists reloaded (%s): generation %llu, %u watchlists, %u terms, "
		         "built in %.3f s%s, old generation retired after %.3f ms",
		         why, (unsigned long long)g->id, wl_set_count(g->set), wl_set_terms(g->set),
		         ctl->pub->last_reload_s, wl_set_from_cache(g->set) ? " (cached)" : "",
		         (double)ctl->pub->last_wait_ns / 1e6);
	} else {
		log_err("watchlist reload (%s) rejected, generation %llu keeps running: %s", why,
		        (unsigned long long)g->id, ctl->pub->last_reload_error);
	}
	log_diags(&d);
	if (r != NULL) {
		char line[1400];

		for (i = 0; i < d.n; i++) {
			ctl_reply_printf(r, "%s\n", wl_diag_format(&d.v[i], line, sizeof(line)));
		}
		if (rc == 0) {
			ctl_reply_printf(
			        r, "reloaded: generation %llu, %u watchlists, %u terms, %.3f s\n",
			        (unsigned long long)g->id, wl_set_count(g->set),
			        wl_set_terms(g->set), ctl->pub->last_reload_s);
		} else {
			ctl_reply_printf(r, "rejected: generation %llu keeps running\n",
			                 (unsigned long long)g->id);
		}
	}
	wl_diags_clear(&d);
	return rc == 0 ? 0 : 1;
}

static int
on_ctl(void *arg, const char *cmd, struct ctl_reply *r)
{
	struct control *ctl = arg;
	const struct wl_gen *g = ctl->pub->cur;
	uint32_t i;

	if (strcmp(cmd, "reload") == 0) {
		return control_reload(ctl, "feedwatch ctl", r);
	}
	if (strcmp(cmd, "watchlists") == 0) {
		ctl_reply_printf(r, "generation %llu: %u watchlists, %u terms, %zu bytes%s\n",
		                 (unsigned long long)g->id, wl_set_count(g->set),
		                 wl_set_terms(g->set), wl_set_db_bytes(g->set),
		                 wl_set_from_cache(g->set) ? " (from the cache)" : "");
		for (i = 0; i < wl_set_count(g->set); i++) {
			const struct wl_info *in = wl_set_info(g->set, i);

			ctl_reply_printf(r, "  %-32s %-8s %6u terms  %s\n", in->name, in->severity,
			                 in->n_terms, in->file);
		}
		ctl_reply_printf(r, "reloads: %llu, rejected: %llu, last_reload_error: %s\n",
		                 (unsigned long long)ctl->pub->reloads,
		                 (unsigned long long)ctl->pub->reload_failed,
		                 ctl->pub->last_reload_error[0] != 0 ? ctl->pub->last_reload_error
		                                                     : "none");
		return 0;
	}
	if (strcmp(cmd, "clients") == 0) {
		static char text[1 << 20];

		if (ctl->out == NULL) {
			ctl_reply_printf(r, "no alert stream yet\n");
			return 1;
		}
		alert_out_describe(ctl->out, text, sizeof(text), 1000);
		ctl_reply_printf(r, "%s", text);
		return 0;
	}
	if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "stats --json") == 0) {
		stats_print(&ctl->src, &ctl->rate, cmd[5] != '\0', r);
		return 0;
	}
	if (strcmp(cmd, "version") == 0) {
		ctl_reply_printf(r, "feedwatch %s, pid %d, %s, hyperscan %s, libnats %s\n",
		                 FEEDWATCH_VERSION, (int)getpid(), rte_version(), hs_version(),
		                 nats_GetVersion());
		return 0;
	}
	ctl_reply_printf(r, "unknown command '%s' (reload, watchlists, clients, stats, version)\n",
	                 cmd);
	return 2;
}

static void *
control_main(void *arg)
{
	struct control *ctl = arg;

	while (!ctl->stop) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		int timeout = 50;
		uint64_t now;

		if (ctl->ctl != NULL) {
			pfd[n].fd = ctl_fd(ctl->ctl);
			pfd[n++].events = POLLIN;
		}
		if (ctl->watch != NULL) {
			pfd[n].fd = wl_watch_fd(ctl->watch);
			pfd[n++].events = POLLIN;
		}
		poll(pfd, n, timeout);
		stats_tick(&ctl->rate, &ctl->src, clock_ns(CLOCK_MONOTONIC));
		if (ctl->ctl != NULL) {
			ctl_poll(ctl->ctl, 0, on_ctl, ctl);
		}
		if (reload_asked) {
			reload_asked = 0;
			control_reload(ctl, "SIGHUP", NULL);
		}
		now = clock_ns(CLOCK_MONOTONIC) / 1000000u;
		if (ctl->watch != NULL && wl_watch_changed(ctl->watch, now)) {
			if (wl_watch_dir_gone(ctl->watch)) {
				log_err("%s was removed or moved: no more reloads on change; the "
				        "running watchlists stay",
				        ctl->wl_dir);
				wl_watch_close(ctl->watch);
				ctl->watch = NULL;
			} else {
				control_reload(ctl, "a file changed", NULL);
			}
		}
	}
	return NULL;
}

static void
control_start(struct control *ctl, struct wl_pub *pub, const struct fw_config *cfg)
{
	char *err = NULL;

	ctl->pub = pub;
	ctl->wl_dir = cfg->watchlist_dir;
	if (cfg->control_path != NULL && cfg->control_path[0] != 0) {
		ctl->ctl = ctl_open(cfg->control_path, 0660, NULL, &err);
		if (ctl->ctl == NULL) {
			log_err("control socket: %s (feedwatch ctl will not reach this process)",
			        err);
			free(err);
			err = NULL;
		}
	}
	if (cfg->wl_watch) {
		ctl->watch = wl_watch_open(cfg->watchlist_dir, &err);
		if (ctl->watch == NULL) {
			log_err("watching %s: %s (reload with SIGHUP or feedwatch ctl reload)",
			        cfg->watchlist_dir, err);
			free(err);
		}
	}
	ctl->started = pthread_create(&ctl->thread, NULL, control_main, ctl) == 0;
	if (!ctl->started) {
		log_err("cannot start the control thread: no hot reload");
	}
}

static void
control_stop(struct control *ctl)
{
	ctl->stop = true;
	if (ctl->started) {
		pthread_join(ctl->thread, NULL);
	}
	ctl->started = false;
	ctl_close(ctl->ctl);
	ctl->ctl = NULL;
	wl_watch_close(ctl->watch);
	ctl->watch = NULL;
}

static bool
has_arg(int argc, char **argv, const char *const *names)
{
	int i, j;

	for (i = 0; i < argc; i++) {
		for (j = 0; names[j] != NULL; j++) {
			if (strncmp(argv[i], names[j], strlen(names[j])) == 0) {
				return true;
			}
		}
	}
	return false;
}

static bool
no_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long total = 0;

	if (f == NULL) {
		return true;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Total: %ld", &total) == 1) {
			break;
		}
	}
	fclose(f);
	return total == 0;
}

/*
 * EAL arguments: the defaults that make a capture run anywhere (no
 * hugepages, no PCI, a private file prefix, the capture vdev, <n_lcores>),
 * each only if the user's own EAL arguments do not already say it.
 */
static int
build_eal_args(char *prog, const struct run_opts *o, unsigned int n_lcores, unsigned int n_queues,
               char **argv, char *vdev, size_t vcap, char *prefix, size_t pcap_len)
{
	static const char *const lcores[] = { "-l", "--lcores", "-c", NULL };
	static const char *const mem[] = { "-m", "--socket-mem", "--no-huge", "--huge-dir", NULL };
	static const char *const prefixes[] = { "--file-prefix", NULL };
	static const char *const pci[] = { "--no-pci", "-a", "--allow", "-b", "--block", NULL };
	static const char *const logl[] = { "--log-level", NULL };
	/* EAL wants mutable strings */
	static char a_nohuge[] = "--no-huge", a_m[] = "-m", a_mem[] = "512", a_nopci[] = "--no-pci",
	            a_log[] = "--log-level=lib.eal:warning";
	static char a_lcores[64];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int argc = 0, i;

	argv[argc++] = prog;
	if (!has_arg(o->eal_argc, o->eal_argv, lcores)) {
		/* one lcore each; more lcores than CPUs share them all (pollers then yield) */
		if (cpus < 1 || (long)n_lcores <= cpus) {
			snprintf(a_lcores, sizeof(a_lcores), "--lcores=0-%u", n_lcores - 1);
		} else {
			snprintf(a_lcores, sizeof(a_lcores), "--lcores=(0-%u)@(0-%ld)",
			         n_lcores - 1, cpus - 1);
		}
		argv[argc++] = a_lcores;
	}
	if (!has_arg(o->eal_argc, o->eal_argv, mem) && (o->pcap != NULL || no_hugepages())) {
		argv[argc++] = a_nohuge;
		argv[argc++] = a_m;
		argv[argc++] = a_mem;
	}
	if (!has_arg(o->eal_argc, o->eal_argv, prefixes)) {
		snprintf(prefix, pcap_len, "--file-prefix=feedwatch%d", (int)getpid());
		argv[argc++] = prefix;
	}
	if ((o->pcap != NULL || o->iface != NULL) && !has_arg(o->eal_argc, o->eal_argv, pci)) {
		argv[argc++] = a_nopci;
	}
	if (!has_arg(o->eal_argc, o->eal_argv, logl)) {
		argv[argc++] = a_log;
	}
	if (o->pcap != NULL) {
		snprintf(vdev, vcap, "--vdev=net_pcap0,rx_pcap=%s", o->pcap);
		argv[argc++] = vdev;
	} else if (o->iface != NULL) {
		/* one queue pair per RX queue: the kernel's fanout hash spreads them */
		snprintf(vdev, vcap, "--vdev=net_af_packet0,iface=%s,qpairs=%u", o->iface,
		         n_queues);
		argv[argc++] = vdev;
	}
	for (i = 0; i < o->eal_argc && argc < MAX_EAL_ARGS - 1; i++) {
		argv[argc++] = o->eal_argv[i];
	}
	argv[argc] = NULL;
	return argc;
}

/* Packets in a capture file, so the workers know when it has all been read. */
static int64_t
count_packets(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int64_t n = 0;
	int rc;

	p = pcap_open_offline(path, errbuf);
	if (p == NULL) {
		log_err("%s", errbuf);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		n++;
	}
	if (rc == PCAP_ERROR) {
		log_err("%s: %s", path, pcap_geterr(p));
		n = -1;
	}
	pcap_close(p);
	return n;
}

/* Data-path tables in DPDK memory: hugepage-backed where there are hugepages. */
static void *
data_zalloc(size_t size)
{
	return rte_zmalloc("feedwatch", size, RTE_CACHE_LINE_SIZE);
}

static int
port_init(uint16_t port, uint16_t nq, uint16_t nb_desc, struct rte_mempool *mp)
{
	static uint8_t sym_key[52];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t q;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		return rc;
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	}
	/* frames larger than an mbuf (jumbo, GRO-merged in captures) arrive chained */
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		conf.rxmode.mtu = RTE_MIN(info.max_mtu, (uint16_t)(WORKER_MAX_FRAME - 18));
	}
	if (nq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP) != 0 &&
	    info.hash_key_size > 0 && info.hash_key_size <= sizeof(sym_key)) {
		/*
		 * Symmetric RSS: with the key 0x6d5a repeated, Toeplitz gives both
		 * directions of a connection the same hash (Woo and Park, "Scalable
		 * TCP Session Monitoring with Symmetric Receive-side Scaling").
		 * Addresses only, as the spreader hashes: a fragment, which has no
		 * ports, then reaches the queue of its flow.
		 */
		memset(sym_key, 0, sizeof(sym_key));
		for (q = 0; q < sizeof(sym_key); q += 2) {
			sym_key[q] = 0x6d;
			sym_key[q + 1] = 0x5a;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = sym_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
	} else if (nq > 1) {
		/* net_af_packet spreads by the kernel's fanout hash, symmetric since Linux 4.x */
		log_info("port %u: no Toeplitz RSS; its queues are spread by the driver", port);
	}
	rc = rte_eth_dev_configure(port, nq, 1, &conf);
	if (rc != 0) {
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_desc, NULL);
	if (rc != 0) {
		return rc;
	}
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nb_desc, rte_eth_dev_socket_id(port), NULL,
		                            mp);
		if (rc != 0) {
			return rc;
		}
	}
	rc = rte_eth_tx_queue_setup(port, 0, 64, rte_eth_dev_socket_id(port), NULL);
	if (rc != 0) {
		return rc;
	}
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		return rc;
	}
	rte_eth_promiscuous_enable(port);
	return 0;
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
			fprintf(stderr, "feedwatch: worker %u: %llu packets, %llu flows\n", i,
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
			fprintf(stderr, "feedwatch: counter %-28s %llu\n", counters_name(k),
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
           uint16_t nq)
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
	char *eal_argv[MAX_EAL_ARGS + 8];
	char vdev[4200], prefix[64];
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
	uint16_t port = 0, nq;
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
	log_info("hyperscan %s", hs_version());
	if (hs_valid_platform() != HS_SUCCESS) {
		log_err("this CPU lacks the instructions Hyperscan needs (SSSE3)");
		goto fail;
	}
	if (o->pcap != NULL) {
		expect = count_packets(o->pcap);
		if (expect < 0) {
			goto fail;
		}
		if (expect == 0) {
			expect = -1; /* an empty capture: nothing will arrive */
		}
	}

	/* one capture file is one queue; more workers than queues: one RX lcore spreads */
	nq = o->pcap != NULL ? 1 : (uint16_t)cfg->rx_queues;
	want_workers = RTE_MAX(cfg->workers, (uint32_t)nq);
	spread = want_workers > nq;
	n_lcores = 1 + want_workers + (spread ? 1 : 0);

	wl_paths[0] = cfg->watchlist_dir;
	lo.cache_dir = cfg->wl_cache_dir[0] != 0 ? cfg->wl_cache_dir : NULL;
	gen = wl_gen_build(wl_paths, 1, &lo, want_workers, 1, &diags);
	log_diags(&diags);
	wl_diags_clear(&diags);
	if (gen == NULL) {
		goto fail;
	}
	log_info("%u watchlists, %u terms, database %zu bytes, from %s, %s in %.3f s",
	         wl_set_count(gen->set), wl_set_terms(gen->set), wl_set_db_bytes(gen->set),
	         cfg->watchlist_dir,
	         wl_set_from_cache(gen->set) ? "loaded from the cache" : "compiled",
	         wl_set_compile_s(gen->set));
	if (wl_pub_init(&pub, gen, want_workers, wl_paths, 1, &lo) != 0) {
		log_err("out of memory for the watchlist generations");
		goto fail;
	}
	pub_up = true;
	gen = NULL;

	eal_argc = build_eal_args(prog, o, n_lcores, nq, eal_argv, vdev, sizeof(vdev), prefix,
	                          sizeof(prefix));
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		log_err("EAL init failed: %s", rte_strerror(rte_errno));
		goto fail;
	}
	eal_up = true;
	mem_data_use(data_zalloc, rte_free);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eth_dev_count_avail() == 0) {
		log_err("no Ethernet port: give --pcap FILE, --iface IF, or a port in the EAL "
		        "arguments");
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
	reserved = (uint32_t)nq * cfg->rx_desc + (spread ? want_workers * cfg->worker_ring : 0);
	if (cfg->ooo_segments + reserved + 256 > cfg->mbufs) {
		uint32_t fit = cfg->mbufs > reserved + 512 ? cfg->mbufs - reserved - 256 : 0;

		if (fit < 16) {
			log_err("dpdk.mbufs %u is too small for %u RX queue(s) of %u descriptors%s",
			        cfg->mbufs, nq, cfg->rx_desc,
			        spread ? " and the workers' rings" : "");
			goto fail;
		}
		log_info("tcp.reasm_memcap lowered to %u held segments to fit dpdk.mbufs", fit);
		cfg->ooo_segments = fit;
	}
	mp = rte_pktmbuf_pool_create("mbufs", cfg->mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                             (int)rte_socket_id());
	if (mp == NULL) {
		log_err("mbuf pool of %u: %s", cfg->mbufs, rte_strerror(rte_errno));
		goto fail;
	}
	rc = port_init(port, nq, (uint16_t)cfg->rx_desc, mp);
	if (rc != 0) {
		log_err("port %u: %s", port, rte_strerror(-rc));
		rc = 1;
		goto fail;
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
		sp->port = port;
		sp->n_queues = nq;
		sp->expect_packets = expect > 0 ? (uint64_t)expect : 0;
		sp->lossless = o->pcap != NULL;
	}
	for (i = 0; i < want_workers; i++) {
		struct worker *w = rte_zmalloc("worker", sizeof(*w), RTE_CACHE_LINE_SIZE);

		if (w == NULL) {
			log_err("out of memory for worker %u", i);
			goto fail;
		}
		workers[n_workers++] = w;
		w->writer = writer;
		w->port = port;
		w->queue = (uint16_t)i;
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
	log_budget(cfg, out, n_workers, nq);
	log_info("%u worker(s) on port %u, %u RX queue(s)%s; alerts to %s%s%s, journal %s%s%s",
	         n_workers, port, nq, spread ? " spread by one RX lcore" : "",
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
	control.out = out;
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
	control_start(&control, &pub, cfg);
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
	control_stop(&control);
	log_info("%llu alerts written, last seq %llu", (unsigned long long)wc.v[CNT_alert_written],
	         (unsigned long long)alert_writer_seq(writer));
	nats_sink_stop(sink, NATS_DRAIN_MS);
	sink = NULL;
	print_counters(workers, n_workers, &wc, &nc, sp);
	rc = 0;
fail:
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
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
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
