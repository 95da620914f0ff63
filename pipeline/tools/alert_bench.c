/*
 * feedwatch-alertbench: the alert path from a worker's submit to the journal
 * and the stream's socket clients, with the real components: the writer's
 * rte_mempool and rte_ring under EAL (--no-huge), the writer, a journal on
 * disk and Unix socket clients reading the stream server.
 *
 * A producer on lcore 1 plays the workers: it takes records with
 * alert_writer_get(), fills each from a prepared template (a few bytes
 * changed), stamps rx_mono_ns when it submits, and submits bursts of 32,
 * unpaced or paced at a target rate. A record the pool cannot give and a
 * record the ring refuses are both drops, counted apart. The main lcore runs
 * run.c's writer loop unchanged in shape: drain 256, and about every
 * millisecond alert_out_poll() and journal_tick().
 *
 * Per scenario (journal only; + 1 client; + 16 clients; + 1 client with
 * fsync after every batch): one unpaced run (written/s, drops, the writer
 * thread's CPU time per alert, latency), then paced runs up a ladder of
 * rates to the first with drops, two bisection steps, and a confirmation
 * run at the highest rate found without drops. Every client must have
 * received every seq once, in order; a client that did not is reported.
 *
 * Prints tables; --json adds one JSON line per scenario and one with the
 * settings (for scripts/bench). Figures only: nothing is asserted.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <linux/magic.h>
#include <pthread.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "alert/alert_json.h"
#include "alert/alert_out.h"
#include "alert/journal.h"
#include "alert/writer.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/counters.h"
#include "core/span.h"

#define BURST        32
#define N_TEMPLATES  8
#define MAX_CLIENTS  16
#define RECV_BYTES   (64u << 10)
#define BISECT_STEPS 2
#define MAX_STEPS    16
#define CLOSE_LINGER 10000 /* ms clients get to take what is pending at the end */
#define PACE_SHORT   0.97  /* below this share of the target the producer could not pace */

/* alerts/s; the ladder stops at the first rate with drops */
static const double ladder[] = { 10e3, 25e3, 50e3, 100e3, 200e3, 400e3, 800e3, 1.6e6 };

struct scenario {
	const char *name;
	unsigned int clients;
	bool fsync_always; /* else the configured journal.fsync interval */
};

static const struct scenario scenarios[] = {
	{ "journal only", 0, false },
	{ "journal + 1 client", 1, false },
	{ "journal + 16 clients", 16, false },
	{ "journal + 1 client, fsync always", 1, true },
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* A record to copy, and where its id and link end in hex digits to overwrite. */
struct tmpl {
	struct alert_rec rec;
	size_t id_len, link_len;
};

/* The workers' side, on lcore 1. */
struct producer {
	struct counters c; /* alert_enqueued, alert_ring_full, alert_pool_empty */
	struct alert_writer *w;
	const struct tmpl *t;
	double rate; /* alerts/s; 0: as fast as it can */
	uint64_t duration_cycles;
	uint64_t offered; /* records it tried to take */
	uint64_t seq;     /* varies the ids */
	bool done;
};

/* A stream reader: counts lines and checks every seq arrives once, in order. */
struct client {
	pthread_t thread;
	int fd;
	bool started;
	uint64_t bytes, alerts, hello, gaps, notices, other;
	uint64_t expect; /* the next seq it should see */
	uint64_t bad, bad_seq, bad_want;
	char head[32]; /* the start of the current line */
	size_t head_len;
	char buf[RECV_BYTES];
};

/* One run's figures. */
struct run_res {
	double target;   /* alerts/s; 0: unpaced */
	double achieved; /* alerts offered / s */
	double wall_s, cpu_s, busy_s;
	uint64_t offered, written, ring_full, pool_empty;
	uint64_t p50, p99, p999;
	uint64_t fsyncs, clients_slow, clients_gaps;
	uint64_t csw_blocked, csw_preempted; /* the writer thread's context switches */
	unsigned int clients, clients_bad;
};

struct scen_res {
	struct run_res unpaced;
	struct run_res steps[MAX_STEPS];
	unsigned int n_steps;
	struct run_res best; /* the confirmation run at the highest clean rate */
	bool have_best;
};

struct bench {
	const struct fw_config *cfg;
	const struct tmpl *t;
	const char *base; /* a fresh folder under --dir */
	unsigned int run_no;
	double duration_s, step_s;
	cpu_set_t all_cpus;
};

/* ---- realistic records ---- */

static const char *const titles[N_TEMPLATES] = {
	"Regulator opens inquiry into Northwind Energy's offshore wind subsidy bids in 2024",
	"Ransomware group claims breach at Halvorsen Logistics; customs data said to be leaked",
	"Минфин России обсуждает новые санкции против поставщиков микроэлектроники в регионе",
	"Ministers meet in Brussels as \"critical minerals\" pact stalls over export quotas",
	"Zero-day in VPN appliance exploited since March, CISA adds CVE-2024-3400 to catalog",
	"Central bank holds rates; governor warns of 'persistent' core inflation into Q3 figures",
	"Énergie: la Commission européenne autorise l'aide d'État à la filière hydrogène verte",
	"Port strike enters second week as shipping lines divert cargo away from Rotterdam hub",
};

static const char *const excerpts[4] = {
	"The inquiry, announced on Tuesday, will examine whether bids submitted in the last two "
	"auction rounds relied on cost assumptions that the operator knew to be unrealistic. A "
	"spokesperson said the company would cooperate fully. Analysts at two banks said the "
	"outcome could delay final investment decisions on at least three projects in the North "
	"Sea.",
	"According to a post on the group's leak site, more than 400 GB of files were taken, "
	"including customs declarations, invoices and scanned passports of drivers. The company "
	"confirmed an \"IT security incident\" affecting some systems and said its operations "
	"continued with manual workarounds while forensic specialists investigate the extent.",
	"Представители министерства заявили, что рассматриваются меры против компаний, "
	"поставляющих компоненты через третьи страны. Окончательное решение ожидается до конца "
	"квартала, сообщили источники, знакомые с ходом обсуждения.",
	"Officials said talks would resume next month. The draft seen by reporters would cap "
	"export quotas for lithium, cobalt and rare earths at 2023 levels and create a joint "
	"stockpile; two member states have objected to the enforcement clause, and industry "
	"groups warned that without it the agreement would have little effect on supply chains.",
};

static const char *const terms[6] = { "Northwind Energy",  "ransomware",    "санкции",
	                              "critical minerals", "CVE-2024-3400", "hydrogène" };

static void
copy(char *dst, size_t cap, const char *s)
{
	alert_copy_text(dst, cap, span_str(s));
}

/* Records filled as engine.c's on_match() fills them, 2-4 hits each. */
static void
make_templates(struct tmpl *t)
{
	static const char *const sev[3] = { "high", "medium", "critical" };
	static const char *const fields[3] = { "title", "summary", "content" };
	uint64_t now = clock_ns(CLOCK_REALTIME);
	unsigned int i, k;

	for (i = 0; i < N_TEMPLATES; i++) {
		struct alert_rec *r = &t[i].rec;
		char s[ALERT_TEXT_LEN];

		memset(r, 0, sizeof(*r));
		r->ts_ns = now;
		snprintf(s, sizeof(s), "%s-%u", i % 2 ? "sanctions-watch" : "energy-security", i);
		copy(r->watchlist, sizeof(r->watchlist), s);
		copy(r->wl_version, sizeof(r->wl_version), "2024.05.17-3");
		copy(r->severity, sizeof(r->severity), sev[i % 3]);
		copy(r->rule, sizeof(r->rule), i % 3 == 0 ? "energy_and_policy" : "");
		r->n_tags = 2 + i % 3;
		for (k = 0; k < r->n_tags; k++) {
			static const char *const tags[4] = { "geopolitics", "energy", "cyber",
				                             "eu-policy" };

			copy(r->tags[k], sizeof(r->tags[k]), tags[(i + k) % 4]);
		}
		r->n_hits = 2 + i % 3;
		for (k = 0; k < r->n_hits; k++) {
			copy(r->hits[k].term, sizeof(r->hits[k].term), terms[(i + k) % 6]);
			copy(r->hits[k].field, sizeof(r->hits[k].field), fields[k % 3]);
			r->hits[k].offset = 17 + 41 * k;
		}
		copy(r->title, sizeof(r->title), titles[i]);
		/* the last 8 (link) and 12 (id) characters become the record's number in hex */
		snprintf(s, sizeof(s),
		         "https://www.example-news.com/world/2024/05/17/%s-story-00000000",
		         i % 2 ? "europe" : "business");
		copy(r->link, sizeof(r->link), s);
		t[i].link_len = strlen(r->link);
		copy(r->id, sizeof(r->id), "urn:uuid:5f0c3a7e-9b21-4d8e-a1f4-000000000000");
		t[i].id_len = strlen(r->id);
		copy(r->published, sizeof(r->published), "Fri, 17 May 2024 08:42:11 +0000");
		copy(r->excerpt, sizeof(r->excerpt), excerpts[i % 4]);
		copy(r->feed_url, sizeof(r->feed_url),
		     i % 2 ? "https://www.example-news.com/rss/world/europe.xml"
		           : "https://feeds.example-business.net/atom/markets/energy.atom");
		copy(r->feed_format, sizeof(r->feed_format), i % 2 ? "rss2" : "atom");
		copy(r->feed_title, sizeof(r->feed_title),
		     i % 2 ? "Example News - Europe" : "Example Business: Energy & Markets");
		copy(r->flow_src, sizeof(r->flow_src), "203.0.113.45:80");
		copy(r->flow_dst, sizeof(r->flow_dst), "10.20.30.40:51234");
		copy(r->flow_proto, sizeof(r->flow_proto), "tcp");
	}
}

static void
put_hex(char *end, unsigned int digits, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";

	while (digits-- > 0) {
		*--end = hex[v & 15];
		v >>= 4;
	}
}

/* ---- the producer (lcore 1) ---- */

static int
producer_main(void *arg)
{
	struct producer *p = arg;
	uint64_t hz = rte_get_timer_hz();
	uint64_t start = rte_get_timer_cycles(), end = start + p->duration_cycles, next = start;
	double per_burst = p->rate > 0 ? (double)hz * BURST / p->rate : 0, acc = 0;

	for (;;) {
		struct alert_rec *recs[BURST];
		uint64_t now = rte_get_timer_cycles(), mono;
		unsigned int i, n = 0;

		if (now >= end) {
			break;
		}
		if (p->rate > 0) {
			if (now < next) {
				rte_pause();
				continue;
			}
			/* a late burst is sent at once: catching up is how bursts really arrive */
			acc += per_burst;
			next += (uint64_t)acc;
			acc -= (double)(uint64_t)acc;
		}
		for (i = 0; i < BURST; i++) {
			const struct tmpl *t = &p->t[p->seq % N_TEMPLATES];
			struct alert_rec *r = alert_writer_get(p->w);

			p->offered++;
			if (r == NULL) {
				counters_inc(&p->c, CNT_alert_pool_empty);
				continue;
			}
			memcpy(r, &t->rec, sizeof(*r));
			put_hex(r->id + t->id_len, 12, p->seq);
			put_hex(r->link + t->link_len, 8, p->seq);
			p->seq++;
			recs[n++] = r;
		}
		mono = clock_ns(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++) {
			recs[i]->rx_mono_ns = mono;
			recs[i]->detect_ns = mono;
		}
		alert_writer_submit_burst(p->w, recs, n, &p->c);
	}
	__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
	return 0;
}

/* ---- stream clients (threads on any CPU) ---- */

static void
client_line(struct client *cl)
{
	uint64_t seq = journal_line_seq(cl->head, cl->head_len);

	if (seq != 0) {
		if (seq != cl->expect && cl->bad++ == 0) {
			cl->bad_seq = seq;
			cl->bad_want = cl->expect;
		}
		cl->alerts++;
		cl->expect = seq + 1;
	} else if (cl->head_len >= 6 && memcmp(cl->head, "{\"gap\"", 6) == 0) {
		cl->gaps++;
	} else if (cl->head_len >= 9 && memcmp(cl->head, "{\"notice\"", 9) == 0) {
		cl->notices++;
	} else if (cl->head_len >= 8 && memcmp(cl->head, "{\"hello\"", 8) == 0) {
		cl->hello++;
	} else {
		cl->other++;
	}
}

static void *
client_main(void *arg)
{
	struct client *cl = arg;

	for (;;) {
		ssize_t n = recv(cl->fd, cl->buf, sizeof(cl->buf), 0);
		const char *p = cl->buf, *end;

		if (n <= 0) {
			break; /* the server closed (or the receive timeout passed) */
		}
		cl->bytes += (uint64_t)n;
		end = cl->buf + n;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t seg = (size_t)((nl != NULL ? nl : end) - p);
			size_t take = sizeof(cl->head) - cl->head_len;

			take = seg < take ? seg : take;
			memcpy(cl->head + cl->head_len, p, take);
			cl->head_len += take;
			if (nl == NULL) {
				break;
			}
			client_line(cl);
			cl->head_len = 0;
			p = nl + 1;
		}
	}
	close(cl->fd);
	cl->fd = -1;
	return NULL;
}

static int
client_start(struct client *cl, const char *path, const cpu_set_t *cpus)
{
	struct sockaddr_un sa;
	struct timeval tv = { .tv_sec = 60 };
	pthread_attr_t attr;
	int rc;

	memset(cl, 0, offsetof(struct client, buf));
	cl->expect = 1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		return -ENAMETOOLONG;
	}
	cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cl->fd < 0) {
		return -errno;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* a hung server must not hang the benchmark */
	setsockopt(cl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(cl->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		close(cl->fd);
		return rc;
	}
	/* EAL pinned the main thread to lcore 0; a consumer is another process, free to move */
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(*cpus), cpus);
	rc = pthread_create(&cl->thread, &attr, client_main, cl);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		close(cl->fd);
		return -rc;
	}
	cl->started = true;
	return 0;
}

/* ---- one run ---- */

static void
remove_dir(const char *path)
{
	char f[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(path);

	if (d == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
			unlink(f);
		}
	}
	closedir(d);
	rmdir(path);
}

/*
 * run.c's writer_loop() with the producer's end as its stop condition.
 * <*busy> gets the TSC cycles spent in drains that took something and in
 * the housekeeping: the loop's spinning is the rest. As in run.c, the
 * housekeeping runs about every millisecond whether or not drains find records.
 */
static void
writer_loop(struct alert_writer *w, struct alert_out *out, struct journal *j,
            const struct producer *p, uint64_t *busy)
{
	uint64_t hz = rte_get_timer_hz(), next = 0;

	while (!__atomic_load_n(&p->done, __ATOMIC_ACQUIRE)) {
		uint64_t t0 = rte_get_timer_cycles(), now;
		unsigned int n = alert_writer_drain(w, 256);

		if (n > 0) {
			*busy += rte_get_timer_cycles() - t0;
		}
		now = rte_get_timer_cycles();
		if (now >= next) {
			alert_out_poll(out, 0);
			journal_tick(j);
			next = now + hz / 1000;
			*busy += rte_get_timer_cycles() - now;
		}
		if (n == 0) {
			rte_pause();
		}
	}
}

static double
thread_cpu_s(void)
{
	return (double)clock_ns(CLOCK_THREAD_CPUTIME_ID) / 1e9;
}

/* Waits for <n> clients to be accepted and past output.resume_wait (live from seq 1). */
static int
clients_settle(struct alert_out *out, unsigned int n, uint32_t resume_wait_ms)
{
	uint64_t until = clock_ns(CLOCK_MONOTONIC) + 5000000000ull, live;

	while (alert_out_clients(out) < n) {
		if (clock_ns(CLOCK_MONOTONIC) > until) {
			return -1;
		}
		alert_out_poll(out, 10);
	}
	live = clock_ns(CLOCK_MONOTONIC) + ((uint64_t)resume_wait_ms + 20) * 1000000u;
	while (n > 0 && clock_ns(CLOCK_MONOTONIC) < live) {
		alert_out_poll(out, 5);
	}
	return 0;
}

/* Checks each client saw seqs 1 .. <written> once, in order, and nothing else but hello. */
static unsigned int
clients_check(struct client *cl, unsigned int n, uint64_t written, const char *what)
{
	unsigned int i, bad = 0;

	for (i = 0; i < n; i++) {
		const struct client *c = &cl[i];

		if (c->alerts == written && c->expect == written + 1 && c->bad == 0 &&
		    c->gaps == 0 && c->notices == 0 && c->other == 0) {
			continue;
		}
		bad++;
		fprintf(stderr,
		        "feedwatch-alertbench: *** MISMATCH *** %s: client %u got %llu of %llu "
		        "alerts (last seq %llu), %llu out of order (first: seq %llu where %llu "
		        "was due), %llu gap lines, %llu notices, %llu other lines\n",
		        what, i, (unsigned long long)c->alerts, (unsigned long long)written,
		        (unsigned long long)(c->expect - 1), (unsigned long long)c->bad,
		        (unsigned long long)c->bad_seq, (unsigned long long)c->bad_want,
		        (unsigned long long)c->gaps, (unsigned long long)c->notices,
		        (unsigned long long)c->other);
	}
	return bad;
}

static int
run_one(struct bench *b, const struct scenario *sc, double rate, double dur_s, struct client *cl,
        struct producer *p, struct run_res *res)
{
	const struct fw_config *cfg = b->cfg;
	char dir[PATH_MAX], sock[PATH_MAX], what[160];
	struct journal_conf jc = {
		.dir = dir,
		.segment_bytes = cfg->journal_segment_bytes,
		.retain_bytes = cfg->journal_retain_bytes,
		.retain_age_s = cfg->journal_retain_age_s,
		.fsync_ms = sc->fsync_always ? JOURNAL_FSYNC_ALWAYS : cfg->journal_fsync_ms,
	};
	struct alert_out_conf oc = {
		.socket_path = sock,
		.socket_mode = 0600,
		.journal_dir = dir,
		.node = "alertbench",
		.version = FEEDWATCH_VERSION,
		.max_clients = cfg->max_clients,
		.client_buffer = cfg->client_buffer,
		.slow_policy = cfg->slow_policy,
		.resume_wait_ms = cfg->resume_wait_ms,
	};
	struct alert_writer_conf wconf = { .pool = cfg->alert_pool, .ring = cfg->alert_ring };
	struct counters *wc = NULL;
	struct journal *j = NULL;
	struct alert_out *out = NULL;
	struct alert_writer *w = NULL;
	const struct latency_hist *lat;
	unsigned int i, n_cl = 0, lcore = rte_get_next_lcore(-1, 1, 0);
	uint64_t t0, t1, busy = 0;
	struct rusage ru0, ru1;
	double cpu0;
	char *err = NULL;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	b->run_no++;
	snprintf(dir, sizeof(dir), "%s/journal-%u", b->base, b->run_no);
	snprintf(sock, sizeof(sock), "%s/alerts-%u.sock", b->base, b->run_no);
	snprintf(what, sizeof(what), "%s at %s", sc->name,
	         rate > 0 ? "a paced rate" : "full speed");
	wc = aligned_alloc(64, sizeof(*wc));
	if (wc == NULL) {
		fprintf(stderr, "feedwatch-alertbench: out of memory\n");
		goto fail;
	}
	memset(wc, 0, sizeof(*wc));
	j = journal_open(&jc, wc, &err);
	out = j != NULL ? alert_out_open(&oc, wc, journal_last_seq(j), &err) : NULL;
	wconf.out = out;
	wconf.journal = j;
	wconf.node = "alertbench";
	w = out != NULL ? alert_writer_create(&wconf, wc, &err) : NULL;
	if (w == NULL) {
		fprintf(stderr, "feedwatch-alertbench: %s\n", err);
		goto fail;
	}
	for (n_cl = 0; n_cl < sc->clients; n_cl++) {
		int e = client_start(&cl[n_cl], sock, &b->all_cpus);

		if (e != 0) {
			fprintf(stderr, "feedwatch-alertbench: client %u: %s\n", n_cl,
			        strerror(-e));
			goto fail;
		}
	}
	if (clients_settle(out, n_cl, cfg->resume_wait_ms) != 0) {
		fprintf(stderr, "feedwatch-alertbench: only %u of %u clients were accepted\n",
		        alert_out_clients(out), n_cl);
		goto fail;
	}

	memset(p, 0, sizeof(*p));
	p->w = w;
	p->t = b->t;
	p->rate = rate;
	p->duration_cycles = (uint64_t)(dur_s * (double)rte_get_timer_hz());
	getrusage(RUSAGE_THREAD, &ru0);
	cpu0 = thread_cpu_s();
	t0 = clock_ns(CLOCK_MONOTONIC);
	rte_eal_remote_launch(producer_main, p, lcore);
	writer_loop(w, out, j, p, &busy);
	rte_eal_wait_lcore(lcore);
	for (;;) {
		uint64_t d0 = rte_get_timer_cycles();

		if (alert_writer_drain(w, 256) == 0) {
			break;
		}
		busy += rte_get_timer_cycles() - d0;
	}
	t1 = clock_ns(CLOCK_MONOTONIC);
	res->cpu_s = thread_cpu_s() - cpu0;
	getrusage(RUSAGE_THREAD, &ru1);
	res->csw_blocked = (uint64_t)(ru1.ru_nvcsw - ru0.ru_nvcsw);
	res->csw_preempted = (uint64_t)(ru1.ru_nivcsw - ru0.ru_nivcsw);
	res->wall_s = (double)(t1 - t0) / 1e9;
	res->busy_s = (double)busy / (double)rte_get_timer_hz();
	lat = alert_writer_latency(w);
	res->p50 = latency_quantile(lat, 0.5);
	res->p99 = latency_quantile(lat, 0.99);
	res->p999 = latency_quantile(lat, 0.999);
	res->target = rate;
	res->offered = p->offered;
	res->achieved = (double)p->offered / dur_s;
	res->ring_full = p->c.v[CNT_alert_ring_full];
	res->pool_empty = p->c.v[CNT_alert_pool_empty];
	res->written = wc->v[CNT_alert_written];
	res->clients = n_cl;

	/* every client takes what is pending, then sees the connection close */
	alert_out_close(out, CLOSE_LINGER);
	out = NULL;
	for (i = 0; i < n_cl; i++) {
		pthread_join(cl[i].thread, NULL);
		cl[i].started = false;
	}
	res->fsyncs = wc->v[CNT_journal_fsyncs];
	res->clients_slow = wc->v[CNT_alert_clients_slow];
	res->clients_gaps = wc->v[CNT_alert_clients_gaps];
	res->clients_bad = clients_check(cl, n_cl, res->written, what);
	if (wc->v[CNT_alert_journal_errors] != 0) {
		fprintf(stderr, "feedwatch-alertbench: *** %llu journal write errors ***\n",
		        (unsigned long long)wc->v[CNT_alert_journal_errors]);
	}
	rc = 0;
fail:
	alert_out_close(out, 0);
	for (i = 0; i < n_cl; i++) {
		if (cl[i].started) {
			pthread_join(cl[i].thread, NULL);
			cl[i].started = false;
		}
	}
	alert_writer_free(w);
	journal_close(j);
	remove_dir(dir);
	free(wc);
	free(err);
	return rc;
}

/* ---- the scenarios ---- */

static uint64_t
drops(const struct run_res *r)
{
	return r->ring_full + r->pool_empty;
}

/* No drop, and every client got every alert. */
static bool
clean(const struct run_res *r)
{
	return drops(r) == 0 && r->clients_bad == 0;
}

static bool
paced_short(const struct run_res *r)
{
	return r->achieved < PACE_SHORT * r->target;
}

static int
step(struct bench *b, const struct scenario *sc, struct scen_res *s, double rate, struct client *cl,
     struct producer *p)
{
	struct run_res *r = &s->steps[s->n_steps];

	if (s->n_steps == MAX_STEPS || run_one(b, sc, rate, b->step_s, cl, p, r) != 0) {
		return -1;
	}
	s->n_steps++;
	fprintf(stderr,
	        "  %-34s %9.0f/s: %llu ring + %llu pool drops, %u of %u clients cut, p50 %llu p99 "
	        "%llu us%s\n",
	        sc->name, rate, (unsigned long long)r->ring_full, (unsigned long long)r->pool_empty,
	        r->clients_bad, r->clients, (unsigned long long)r->p50, (unsigned long long)r->p99,
	        paced_short(r) ? " (the producer fell short of the rate)" : "");
	return 0;
}

static int
run_scenario(struct bench *b, const struct scenario *sc, struct scen_res *s, struct client *cl,
             struct producer *p)
{
	double good = 0, bad = 0;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	if (run_one(b, sc, 0, b->duration_s, cl, p, &s->unpaced) != 0) {
		return -1;
	}
	fprintf(stderr, "  %-34s full speed: %.0f written/s, %llu ring + %llu pool drops\n",
	        sc->name, (double)s->unpaced.written / s->unpaced.wall_s,
	        (unsigned long long)s->unpaced.ring_full,
	        (unsigned long long)s->unpaced.pool_empty);
	for (i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		if (step(b, sc, s, ladder[i], cl, p) != 0) {
			return -1;
		}
		if (!clean(&s->steps[s->n_steps - 1])) {
			bad = ladder[i];
			break;
		}
		good = ladder[i];
	}
	for (i = 0; i < BISECT_STEPS && good > 0 && bad > 0; i++) {
		double mid = (double)(uint64_t)((good + bad) / 2 / 1000 + 0.5) * 1000;

		if (mid <= good || mid >= bad || step(b, sc, s, mid, cl, p) != 0) {
			break;
		}
		if (!clean(&s->steps[s->n_steps - 1])) {
			bad = mid;
		} else {
			good = mid;
		}
	}
	if (good > 0) {
		if (run_one(b, sc, good, b->duration_s, cl, p, &s->best) != 0) {
			return -1;
		}
		s->have_best = true;
		fprintf(stderr, "  %-34s confirm %.0f/s for %.0f s: %llu drops, %u clients cut\n",
		        sc->name, good, b->duration_s, (unsigned long long)drops(&s->best),
		        s->best.clients_bad);
	}
	return 0;
}

/* ---- output ---- */

static double
per_s(uint64_t n, double s)
{
	return s > 0 ? (double)n / s : 0;
}

static void
print_tables(const struct scen_res *s)
{
	unsigned int i, k;

	printf("\nfull speed (the producer as fast as it can):\n");
	printf("%-34s %10s %9s %10s %6s %6s %9s %10s %16s %9s\n", "scenario", "written/s",
	       "ring drop", "pool drop", "cpu", "busy", "cpu ns/al", "per core", "p50/p99 us",
	       "clients");
	for (i = 0; i < N_SCENARIOS; i++) {
		const struct run_res *r = &s[i].unpaced;
		char q[40], c[24];

		snprintf(q, sizeof(q), "%llu/%llu", (unsigned long long)r->p50,
		         (unsigned long long)r->p99);
		snprintf(c, sizeof(c), "%u/%u ok", r->clients - r->clients_bad, r->clients);
		printf("%-34s %10.0f %9llu %10llu %5.0f%% %5.0f%% %9.0f %10.0f %16s %9s\n",
		       scenarios[i].name, per_s(r->written, r->wall_s),
		       (unsigned long long)r->ring_full, (unsigned long long)r->pool_empty,
		       100 * r->cpu_s / r->wall_s, 100 * r->busy_s / r->wall_s,
		       r->written > 0 ? r->cpu_s * 1e9 / (double)r->written : 0,
		       per_s(r->written, r->cpu_s), q, r->clients > 0 ? c : "-");
	}
	printf("\nhighest paced rate with no drop and every client complete (confirmation run):\n");
	printf("%-34s %9s %10s %6s %16s %9s  %s\n", "scenario", "rate/s", "written/s", "drops",
	       "p50/p99 us", "clients", "ladder");
	for (i = 0; i < N_SCENARIOS; i++) {
		const struct run_res *r = &s[i].best;
		char q[40], c[24];

		snprintf(q, sizeof(q), "%llu/%llu", (unsigned long long)r->p50,
		         (unsigned long long)r->p99);
		snprintf(c, sizeof(c), "%u/%u ok", r->clients - r->clients_bad, r->clients);
		if (!s[i].have_best) {
			printf("%-34s %9s %10s %6s %16s %9s  ", scenarios[i].name, "< 10000", "-",
			       "-", "-", "-");
		} else {
			printf("%-34s %9.0f %10.0f %6llu %16s %9s  ", scenarios[i].name, r->target,
			       per_s(r->written, r->wall_s), (unsigned long long)drops(r), q,
			       r->clients > 0 ? c : "-");
		}
		for (k = 0; k < s[i].n_steps; k++) {
			const struct run_res *st = &s[i].steps[k];

			printf("%s%.0fk ", k > 0 ? ", " : "", st->target / 1e3);
			if (clean(st)) {
				printf("ok");
			} else if (drops(st) > 0) {
				printf("%llu dropped", (unsigned long long)drops(st));
			} else {
				printf("%u client(s) cut", st->clients_bad);
			}
		}
		printf("\n");
	}
}

static void
json_run(const char *key, const struct run_res *r)
{
	printf("\"%s\":{\"target\":%.0f,\"achieved\":%.0f,\"wall_s\":%.4f,\"cpu_s\":%.4f,"
	       "\"busy_s\":%.4f,\"offered\":%llu,\"written\":%llu,\"written_per_s\":%.0f,"
	       "\"ring_full\":%llu,\"pool_empty\":%llu,\"cpu_ns_per_alert\":%.1f,"
	       "\"per_core\":%.0f,\"p50_us\":%llu,\"p99_us\":%llu,\"p999_us\":%llu,"
	       "\"fsyncs\":%llu,\"csw_blocked\":%llu,\"csw_preempted\":%llu,\"clients\":%u,"
	       "\"clients_bad\":%u,\"clients_slow\":%llu,\"clients_gaps\":%llu}",
	       key, r->target, r->achieved, r->wall_s, r->cpu_s, r->busy_s,
	       (unsigned long long)r->offered, (unsigned long long)r->written,
	       per_s(r->written, r->wall_s), (unsigned long long)r->ring_full,
	       (unsigned long long)r->pool_empty,
	       r->written > 0 ? r->cpu_s * 1e9 / (double)r->written : 0,
	       per_s(r->written, r->cpu_s), (unsigned long long)r->p50, (unsigned long long)r->p99,
	       (unsigned long long)r->p999, (unsigned long long)r->fsyncs,
	       (unsigned long long)r->csw_blocked, (unsigned long long)r->csw_preempted, r->clients,
	       r->clients_bad, (unsigned long long)r->clients_slow,
	       (unsigned long long)r->clients_gaps);
}

static void
print_json(const struct scen_res *s, const struct bench *b, size_t line_bytes, const char *fs,
           double took)
{
	const struct fw_config *cfg = b->cfg;
	unsigned int i, k;

	for (i = 0; i < N_SCENARIOS; i++) {
		printf("{\"scenario\":\"%s\",\"clients\":%u,\"fsync\":\"%s\",", scenarios[i].name,
		       scenarios[i].clients, scenarios[i].fsync_always ? "always" : "interval");
		json_run("unpaced", &s[i].unpaced);
		printf(",\"have_best\":%s,", s[i].have_best ? "true" : "false");
		json_run("best", &s[i].best);
		printf(",\"steps\":[");
		for (k = 0; k < s[i].n_steps; k++) {
			const struct run_res *r = &s[i].steps[k];

			printf("%s{\"target\":%.0f,\"achieved\":%.0f,\"ring_full\":%llu,"
			       "\"pool_empty\":%llu,\"clients_bad\":%u,\"p50_us\":%llu,\"p99_us\":%"
			       "llu}",
			       k > 0 ? "," : "", r->target, r->achieved,
			       (unsigned long long)r->ring_full, (unsigned long long)r->pool_empty,
			       r->clients_bad, (unsigned long long)r->p50,
			       (unsigned long long)r->p99);
		}
		printf("]}\n");
	}
	printf("{\"settings\":true,\"alert_ring\":%u,\"alert_pool\":%u,\"fsync_ms\":%u,"
	       "\"segment_bytes\":%llu,\"client_buffer\":%u,\"slow_policy\":\"%s\","
	       "\"resume_wait_ms\":%u,\"record_bytes\":%zu,\"line_"
	       "bytes\":%zu,\"burst\":%d,"
	       "\"duration_s\":%.1f,\"step_s\":%.1f,\"fs\":\"%s\",\"cpus\":%ld,\"took_s\":%.1f}\n",
	       cfg->alert_ring, cfg->alert_pool, cfg->journal_fsync_ms,
	       (unsigned long long)cfg->journal_segment_bytes, cfg->client_buffer,
	       cfg->slow_policy == CONFIG_SLOW_SKIP ? "skip" : "disconnect", cfg->resume_wait_ms,
	       sizeof(struct alert_rec), line_bytes, BURST, b->duration_s, b->step_s, fs,
	       sysconf(_SC_NPROCESSORS_ONLN), took);
}

/* ---- main ---- */

static const char *
fs_name(const char *dir)
{
	struct statfs st;

	if (statfs(dir, &st) != 0) {
		return "unknown";
	}
	switch ((unsigned long)st.f_type) {
	case TMPFS_MAGIC:
		return "tmpfs";
	case EXT4_SUPER_MAGIC:
		return "ext4";
	case XFS_SUPER_MAGIC:
		return "xfs";
	case BTRFS_SUPER_MAGIC:
		return "btrfs";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs";
	default:
		return "other";
	}
}

/* The mean NDJSON line of the templates, as the journal stores it. */
static size_t
mean_line(const struct tmpl *t)
{
	static char buf[ALERT_JSON_MAX];
	size_t sum = 0;
	unsigned int i;

	for (i = 0; i < N_TEMPLATES; i++) {
		sum += alert_json_encode(&t[i].rec, 1234567, 42, buf, sizeof(buf));
	}
	return sum / N_TEMPLATES;
}

static int
usage(void)
{
	fputs("usage: feedwatch-alertbench [--duration S] [--step-duration S] [--dir DIR] "
	      "[--json]\n"
	      "  --duration S       full-speed and confirmation runs (default 3)\n"
	      "  --step-duration S  each step of the rate ladder (default 2)\n"
	      "  --dir DIR          where journals are written (default /var/tmp; not tmpfs)\n"
	      "  --json             also one JSON line per scenario and one of settings\n",
	      stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "step-duration", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char a_l[] = "-l", a_lc[] = "0-1", a_nh[] = "--no-huge", a_m[] = "-m",
	            a_mem[] = "512", a_np[] = "--no-pci", a_log[] = "--log-level=lib.eal:error";
	static struct tmpl t[N_TEMPLATES];
	static struct scen_res res[N_SCENARIOS];
	char prefix[64], base[PATH_MAX];
	char *eal_argv[] = { argv[0], a_l, a_lc, a_nh, a_m, a_mem, a_np, a_log, prefix, NULL };
	const char *dir = "/var/tmp", *fs;
	struct fw_config *cfg = NULL;
	struct client *cl = NULL;
	struct producer *p = NULL;
	struct bench b;
	bool json = false, eal_up = false, base_made = false;
	size_t line_bytes;
	double t0;
	char *err = NULL;
	unsigned int i;
	long cpus;
	int c, rc = 1;

	memset(&b, 0, sizeof(b));
	b.duration_s = 3;
	b.step_s = 2;
	while ((c = getopt_long(argc, argv, "d:s:D:jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			b.duration_s = atof(optarg);
			break;
		case 's':
			b.step_s = atof(optarg);
			break;
		case 'D':
			dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || b.duration_s <= 0 || b.step_s <= 0) {
		return usage();
	}
	cfg = config_load(NULL, &err);
	if (cfg == NULL) {
		fprintf(stderr, "feedwatch-alertbench: %s\n", err);
		goto fail;
	}
	b.cfg = cfg;
	snprintf(base, sizeof(base), "%s/fw-alertbench.XXXXXX", dir);
	if (mkdtemp(base) == NULL) {
		fprintf(stderr, "feedwatch-alertbench: %s: %s\n", base, strerror(errno));
		goto fail;
	}
	base_made = true;
	b.base = base;
	fs = fs_name(base);
	if (strcmp(fs, "tmpfs") == 0) {
		fprintf(stderr,
		        "feedwatch-alertbench: warning: %s is tmpfs: fsync costs nothing "
		        "there\n",
		        dir);
	}
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	CPU_ZERO(&b.all_cpus);
	for (i = 0; i < (unsigned int)cpus && i < CPU_SETSIZE; i++) {
		CPU_SET(i, &b.all_cpus);
	}

	snprintf(prefix, sizeof(prefix), "--file-prefix=fwalertbench%d", (int)getpid());
	if (rte_eal_init(9, eal_argv) < 0) {
		fprintf(stderr, "feedwatch-alertbench: EAL: %s\n", rte_strerror(rte_errno));
		goto fail;
	}
	eal_up = true;
	if (rte_lcore_count() < 2) {
		fprintf(stderr, "feedwatch-alertbench: needs 2 lcores\n");
		goto fail;
	}
	cl = calloc(MAX_CLIENTS, sizeof(*cl));
	p = aligned_alloc(64, sizeof(*p));
	if (cl == NULL || p == NULL) {
		fprintf(stderr, "feedwatch-alertbench: out of memory\n");
		goto fail;
	}
	make_templates(t);
	b.t = t;
	line_bytes = mean_line(t);
	printf("feedwatch-alertbench: limits.alert_ring %u, limits.alert_pool %u (config "
	       "defaults), bursts of %d;\n"
	       "  journal in %s (%s), segments %llu MiB, fsync every %u ms unless \"fsync "
	       "always\";\n"
	       "  clients: output.client_buffer %u KiB, slow_policy %s, resume_wait %u ms;\n"
	       "  records %zu bytes, lines %zu bytes on average; %.0f s full-speed and "
	       "confirmation runs, %.0f s ladder steps; %ld CPUs\n",
	       cfg->alert_ring, cfg->alert_pool, BURST, dir, fs,
	       (unsigned long long)(cfg->journal_segment_bytes >> 20), cfg->journal_fsync_ms,
	       cfg->client_buffer >> 10,
	       cfg->slow_policy == CONFIG_SLOW_SKIP ? "skip" : "disconnect", cfg->resume_wait_ms,
	       sizeof(struct alert_rec), line_bytes, b.duration_s, b.step_s, cpus);
	fflush(stdout);
	t0 = (double)clock_ns(CLOCK_MONOTONIC) / 1e9;
	for (i = 0; i < N_SCENARIOS; i++) {
		if (run_scenario(&b, &scenarios[i], &res[i], cl, p) != 0) {
			goto fail;
		}
	}
	print_tables(res);
	if (json) {
		print_json(res, &b, line_bytes, fs, (double)clock_ns(CLOCK_MONOTONIC) / 1e9 - t0);
	}
	rc = 0;
fail:
	free(p);
	free(cl);
	if (eal_up) {
		rte_eal_cleanup();
	}
	if (base_made) {
		remove_dir(base);
	}
	config_free(cfg);
	free(err);
	return rc;
}
