/*
 * feedwatch-bench: what the pipeline costs per worker core, against the cost
 * of matching alone, on the same bytes in one run.
 *
 * The capture is loaded into memory first, so capture I/O is excluded. Each
 * round runs every frame through the engine (decode .. match, the code the
 * DPDK worker runs), then one raw hs_scan per item over exactly the text the
 * matcher scanned in that pass, with the same database; rounds alternate so
 * that machine noise hits both alike, and the median round of each is
 * reported. Then, under EAL, a worker lcore replays the capture paced at
 * half the measured rate while the main lcore drains the real alert ring,
 * and the writer's packet-to-alert latencies give p50/p99/p99.9.
 *
 * Prints a readable summary and one JSON line (for scripts/bench).
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "alert/alert_out.h"
#include "alert/writer.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/worker.h"
#include "match/watchlist.h"

#define BURST 32

struct frame {
	uint64_t off;
	uint32_t len;
};

struct capture {
	uint8_t *data;
	struct frame *f;
	uint32_t n;
	uint64_t bytes;
};

/* What the throughput passes count and keep. */
struct pass {
	struct wl_scratch *scratch; /* for wl_scan_text */
	bool collect;
	uint8_t *text;
	uint64_t text_len, text_cap;
	uint64_t *item_end; /* end offset of each item's text */
	uint64_t n_items, items_cap;
	uint64_t items, alerts;
	struct alert_rec rec;
};

static struct alert_rec *
pass_get(void *arg)
{
	struct pass *p = arg;

	return &p->rec;
}

static void
pass_submit(void *arg, struct alert_rec *r)
{
	struct pass *p = arg;

	(void)r;
	p->alerts++;
}

static void
pass_scanned(void *arg, const struct wl_item *wi)
{
	struct pass *p = arg;
	const uint8_t *t;
	size_t len;

	p->items++;
	if (!p->collect) {
		return;
	}
	len = wl_scan_text(p->scratch, wi, &t);
	while (p->text_len + len > p->text_cap) {
		p->text_cap = p->text_cap == 0 ? 1 << 20 : p->text_cap * 2;
		p->text = realloc(p->text, p->text_cap);
		if (p->text == NULL) {
			fprintf(stderr, "feedwatch-bench: out of memory\n");
			exit(1);
		}
	}
	if (p->n_items == p->items_cap) {
		p->items_cap = p->items_cap == 0 ? 4096 : p->items_cap * 2;
		p->item_end = realloc(p->item_end, p->items_cap * sizeof(*p->item_end));
		if (p->item_end == NULL) {
			fprintf(stderr, "feedwatch-bench: out of memory\n");
			exit(1);
		}
	}
	memcpy(p->text + p->text_len, t, len);
	p->text_len += len;
	p->item_end[p->n_items++] = p->text_len;
}

static int
load_capture(const char *path, struct capture *c)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t cap = 0, fcap = 0;
	pcap_t *p;

	memset(c, 0, sizeof(*c));
	p = pcap_open_offline(path, errbuf);
	if (p == NULL) {
		fprintf(stderr, "feedwatch-bench: %s\n", errbuf);
		return -1;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (c->bytes + h->caplen > cap) {
			cap = cap == 0 ? 1 << 24 : cap * 2;
			c->data = realloc(c->data, cap);
		}
		if (c->n == fcap) {
			fcap = fcap == 0 ? 1 << 16 : fcap * 2;
			c->f = realloc(c->f, fcap * sizeof(*c->f));
		}
		if (c->data == NULL || c->f == NULL) {
			fprintf(stderr, "feedwatch-bench: %s: out of memory\n", path);
			pcap_close(p);
			return -1;
		}
		memcpy(c->data + c->bytes, data, h->caplen);
		c->f[c->n].off = c->bytes;
		c->f[c->n].len = h->caplen;
		c->bytes += h->caplen;
		c->n++;
	}
	pcap_close(p);
	return 0;
}

static double
thread_cpu_s(void)
{
	return (double)clock_ns(CLOCK_THREAD_CPUTIME_ID) / 1e9;
}

/* One pass of every frame through <e>; returns thread CPU seconds. */
static double
run_engine(struct engine *e, const struct capture *c)
{
	double t0 = thread_cpu_s();
	uint64_t mono = clock_ns(CLOCK_MONOTONIC);
	uint32_t i;

	for (i = 0; i < c->n; i++) {
		engine_packet(e, c->data + c->f[i].off, c->f[i].len, 0, mono, NULL);
	}
	engine_flush(e);
	return thread_cpu_s() - t0;
}

static double
run_raw(const struct wl_set *set, struct wl_scratch *s, const struct pass *p, long long *matches)
{
	double t0 = thread_cpu_s();
	uint64_t i, start = 0;

	*matches = 0;
	for (i = 0; i < p->n_items; i++) {
		*matches += wl_scan_raw(set, s, p->text + start, p->item_end[i] - start);
		start = p->item_end[i];
	}
	return thread_cpu_s() - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the paced latency run under EAL ---- */

struct paced {
	struct worker *w;
	const struct capture *c;
	double rate_pps;
	uint32_t rounds;
	volatile bool done;
};

static int
paced_main(void *arg)
{
	struct paced *pc = arg;
	uint64_t hz = rte_get_timer_hz();
	uint64_t next = rte_get_timer_cycles();
	double cycles_per_burst = (double)hz * BURST / pc->rate_pps;
	double acc = 0;
	uint32_t r, i;

	for (r = 0; r < pc->rounds; r++) {
		for (i = 0; i < pc->c->n; i += BURST) {
			uint32_t j, end = i + BURST < pc->c->n ? i + BURST : pc->c->n;
			uint64_t mono, wall;

			while (rte_get_timer_cycles() < next) {
				rte_pause();
			}
			acc += cycles_per_burst;
			next += (uint64_t)acc;
			acc -= (double)(uint64_t)acc;
			mono = clock_ns(CLOCK_MONOTONIC);
			wall = clock_ns(CLOCK_REALTIME);
			for (j = i; j < end; j++) {
				engine_packet(pc->w->engine, pc->c->data + pc->c->f[j].off,
				              pc->c->f[j].len, wall, mono, NULL);
			}
			worker_alert_flush(pc->w);
		}
		engine_flush(pc->w->engine);
		worker_alert_flush(pc->w);
	}
	__atomic_store_n(&pc->done, true, __ATOMIC_RELEASE);
	return 0;
}

static int
latency_run(char *prog, const struct fw_config *cfg, const struct wl_set *set,
            const struct capture *c, double rate_pps, uint32_t rounds, uint64_t q[3],
            uint64_t *n_alerts)
{
	static char a_l[] = "-l", a_lc[] = "0-1", a_nh[] = "--no-huge", a_m[] = "-m",
	            a_mem[] = "512", a_np[] = "--no-pci", a_log[] = "--log-level=lib.eal:error";
	char prefix[64];
	char *argv[] = { prog, a_l, a_lc, a_nh, a_m, a_mem, a_np, a_log, prefix, NULL };
	struct alert_out_conf oc = { .max_clients = 1, .client_buffer = 65536 };
	struct alert_writer_conf wconf = { .pool = cfg->alert_pool, .ring = cfg->alert_ring };
	struct alert_writer *writer = NULL;
	struct alert_out *out = NULL;
	struct worker *w = NULL;
	struct paced pc;
	struct counters wc;
	char *err = NULL;
	unsigned int lcore;
	int rc = -1;

	memset(&wc, 0, sizeof(wc));
	snprintf(prefix, sizeof(prefix), "--file-prefix=fwbench%d", (int)getpid());
	if (rte_eal_init(9, argv) < 0) {
		fprintf(stderr, "feedwatch-bench: EAL: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	out = alert_out_open(&oc, &wc, 0, &err);
	wconf.out = out;
	writer = out != NULL ? alert_writer_create(&wconf, &wc, &err) : NULL;
	w = aligned_alloc(64, sizeof(*w));
	if (writer == NULL || w == NULL) {
		fprintf(stderr, "feedwatch-bench: %s\n", err != NULL ? err : "out of memory");
		goto out;
	}
	memset(w, 0, sizeof(*w));
	w->writer = writer;
	{
		struct engine_ops ops = { .alert_get = worker_alert_get,
			                  .alert_submit = worker_alert_submit,
			                  .arg = w };

		w->engine = engine_create(cfg, &ops, &w->c);
	}
	if (w->engine == NULL || engine_set_watchlists(w->engine, set) != 0) {
		fprintf(stderr, "feedwatch-bench: out of memory\n");
		goto out;
	}
	memset(&pc, 0, sizeof(pc));
	pc.w = w;
	pc.c = c;
	pc.rate_pps = rate_pps;
	pc.rounds = rounds;
	lcore = rte_get_next_lcore(-1, 1, 0);
	rte_eal_remote_launch(paced_main, &pc, lcore);
	while (!__atomic_load_n(&pc.done, __ATOMIC_ACQUIRE)) {
		if (alert_writer_drain(writer, 256) == 0) {
			rte_pause();
		}
	}
	rte_eal_wait_lcore(lcore);
	while (alert_writer_drain(writer, 256) > 0) {
	}
	q[0] = latency_quantile(alert_writer_latency(writer), 0.5);
	q[1] = latency_quantile(alert_writer_latency(writer), 0.99);
	q[2] = latency_quantile(alert_writer_latency(writer), 0.999);
	*n_alerts = alert_writer_latency(writer)->n;
	rc = 0;
out:
	if (w != NULL) {
		engine_free(w->engine);
	}
	free(w);
	alert_writer_free(writer);
	alert_out_close(out, 0);
	free(err);
	rte_eal_cleanup();
	return rc;
}

static int
usage(void)
{
	fputs("usage: feedwatch-bench --pcap FILE -w WATCHLIST_DIR [--rounds N] [--latency-rounds "
	      "N]\n"
	      "                       [--no-latency] [--label TEXT]\n",
	      stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "watchlists", required_argument, NULL, 'w' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "latency-rounds", required_argument, NULL, 'L' },
		{ "no-latency", no_argument, NULL, 'N' },
		{ "label", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pcap = NULL, *wl = NULL, *label = "";
	int rounds = 5, lat_rounds = 3, c, i;
	bool latency = true;
	struct capture cap;
	struct fw_config *cfg = NULL;
	struct wl_set *set = NULL;
	struct wl_scratch *raw_scratch = NULL;
	struct engine *e = NULL;
	struct counters *cn = NULL;
	struct pass p;
	struct engine_ops ops = { .alert_get = pass_get,
		                  .alert_submit = pass_submit,
		                  .item_scanned = pass_scanned,
		                  .arg = &p };
	double *tp = NULL, *tr = NULL, pipe_s, raw_s, wall0, wall_s;
	long long matches = 0;
	uint64_t q[3] = { 0, 0, 0 }, lat_alerts = 0, items_per_round, alerts_per_round;
	struct rusage ru;
	char *err = NULL;

	while ((c = getopt_long(argc, argv, "p:w:r:", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pcap = optarg;
			break;
		case 'w':
			wl = optarg;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'L':
			lat_rounds = atoi(optarg);
			break;
		case 'N':
			latency = false;
			break;
		case 'l':
			label = optarg;
			break;
		default:
			return usage();
		}
	}
	if (pcap == NULL || wl == NULL || rounds < 1 || lat_rounds < 1) {
		return usage();
	}
	if (load_capture(pcap, &cap) != 0) {
		return 1;
	}
	cfg = config_load(NULL, &err);
	set = cfg != NULL ? wl_set_load(&wl, 1, &err) : NULL;
	if (set == NULL) {
		fprintf(stderr, "feedwatch-bench: %s\n", err);
		return 1;
	}
	/* every round replays the same items: each must reach the alert stage every time */
	cfg->dedup_window_s = 0;
	memset(&p, 0, sizeof(p));
	cn = aligned_alloc(64, sizeof(*cn));
	p.scratch = wl_scratch_alloc(set);
	raw_scratch = wl_scratch_alloc(set);
	e = engine_create(cfg, &ops, cn);
	tp = calloc((size_t)rounds, sizeof(double));
	tr = calloc((size_t)rounds, sizeof(double));
	if (cn == NULL || p.scratch == NULL || raw_scratch == NULL || e == NULL || tp == NULL ||
	    tr == NULL || engine_set_watchlists(e, set) != 0) {
		fprintf(stderr, "feedwatch-bench: out of memory\n");
		return 1;
	}
	memset(cn, 0, sizeof(*cn));

	/* a first pass collects the matcher's text and warms every table */
	p.collect = true;
	run_engine(e, &cap);
	p.collect = false;
	items_per_round = p.items;
	alerts_per_round = p.alerts;
	wall0 = (double)clock_ns(CLOCK_MONOTONIC) / 1e9;
	for (i = 0; i < rounds; i++) {
		tp[i] = run_engine(e, &cap);
		tr[i] = run_raw(set, raw_scratch, &p, &matches);
	}
	wall_s = (double)clock_ns(CLOCK_MONOTONIC) / 1e9 - wall0;
	pipe_s = median(tp, rounds);
	raw_s = median(tr, rounds);

	if (latency) {
		double rate = 0.5 * (double)cap.n / pipe_s;

		if (latency_run(argv[0], cfg, set, &cap, rate, (uint32_t)lat_rounds, q,
		                &lat_alerts) != 0) {
			return 1;
		}
	}
	getrusage(RUSAGE_SELF, &ru);

	printf("%s: %u frames, %.1f MB on the wire, %llu items, %llu alerts, %u terms\n", pcap,
	       cap.n, (double)cap.bytes / 1e6, (unsigned long long)items_per_round,
	       (unsigned long long)alerts_per_round, wl_set_terms(set));
	printf("  pipeline: %.3f s per pass (median of %d): %.2f Gbit/s, %.0f packets/s, %.0f "
	       "items/s on one core\n",
	       pipe_s, rounds, (double)cap.bytes * 8 / pipe_s / 1e9, cap.n / pipe_s,
	       (double)items_per_round / pipe_s);
	printf("  raw hs_scan of the same %.1f MB of item text, same database: %.3f s (%lld "
	       "matches)\n",
	       (double)p.text_len / 1e6, raw_s, matches);
	printf("  pipeline / raw matching = %.2f\n", pipe_s / raw_s);
	if (latency) {
		printf("  latency at %.0f packets/s (half the rate above): p50 %llu us, p99 %llu "
		       "us, "
		       "p99.9 %llu us over %llu alerts\n",
		       0.5 * cap.n / pipe_s, (unsigned long long)q[0], (unsigned long long)q[1],
		       (unsigned long long)q[2], (unsigned long long)lat_alerts);
	}
	printf("  peak RSS %ld MiB, %zu bytes of state per flow\n", ru.ru_maxrss / 1024,
	       engine_flow_bytes());
	printf("{\"label\":\"%s\",\"frames\":%u,\"wire_bytes\":%llu,\"items\":%llu,\"alerts\":%llu,"
	       "\"terms\":%u,\"db_bytes\":%zu,\"pipeline_s\":%.6f,\"raw_s\":%.6f,\"text_bytes\":%"
	       "llu,"
	       "\"gbps\":%.4f,\"pps\":%.0f,\"items_per_s\":%.0f,\"ratio\":%.4f,\"lat_rate_pps\":%."
	       "0f,"
	       "\"p50_us\":%llu,\"p99_us\":%llu,\"p999_us\":%llu,\"lat_alerts\":%llu,"
	       "\"maxrss_kb\":%ld,\"flow_bytes\":%zu,\"rounds\":%d,\"wall_s\":%.3f}\n",
	       label, cap.n, (unsigned long long)cap.bytes, (unsigned long long)items_per_round,
	       (unsigned long long)alerts_per_round, wl_set_terms(set), wl_set_db_bytes(set),
	       pipe_s, raw_s, (unsigned long long)p.text_len, (double)cap.bytes * 8 / pipe_s / 1e9,
	       cap.n / pipe_s, (double)items_per_round / pipe_s, pipe_s / raw_s,
	       latency ? 0.5 * cap.n / pipe_s : 0.0, (unsigned long long)q[0],
	       (unsigned long long)q[1], (unsigned long long)q[2], (unsigned long long)lat_alerts,
	       ru.ru_maxrss, engine_flow_bytes(), rounds, wall_s);
	engine_free(e);
	wl_scratch_free(p.scratch);
	wl_scratch_free(raw_scratch);
	wl_set_free(set);
	config_free(cfg);
	free(cn);
	free(tp);
	free(tr);
	free(p.text);
	free(p.item_end);
	free(cap.data);
	free(cap.f);
	free(err);
	return 0;
}
