/*
 * feedwatch-scale: how matching scales with the number of terms (issue 7,
 * item 3: 100,000 terms across 1,000 watchlists compile in <= 6 s and
 * <= 300 MB, and scan within 10% of a raw hs_scan of plain literals; item 6:
 * the worst worker stall during a reload).
 *
 * For each term count N, scale_gen.h makes N distinct terms in
 * min(1000, N / 10) watchlist files in a temporary folder and ~32 MiB of
 * news-like items with one term planted in about 1 item in 50. Then a
 * forked child, so that its peak memory belongs to this N alone: times
 * wl_set_load() (wall clock) and reads its peak RSS against the RSS it
 * started with; then compiles the same terms as plain escaped literals with
 * HS_FLAG_CASELESS only (the baseline); then, in alternating rounds,
 * scans every item with wl_scan() (the full cost: join, boundaries, scopes,
 * rules), with wl_scan_raw() over exactly the text wl_scan() hands Hyperscan
 * (same database, callback only counts), and with hs_scan() of the plain
 * literal database over the same text. Scan times are thread CPU time, the
 * median of the rounds. Then, up to --stall-max-terms, the reload stall
 * phase: a worker thread scans bursts of 32 items from a wl_pub generation
 * (as pipeline/core/worker.c does per rx burst) while the main thread
 * reloads the same watchlists --stall-reloads times with wl_pub_reload();
 * every burst is timed, and those during a reload are kept apart. A child
 * that runs past --timeout is killed and reported with what it finished.
 *
 * Prints one JSON line per N as it finishes (for scripts/bench) and a table
 * at the end. Figures are printed, never asserted.
 */
#include <errno.h>
#include <getopt.h>
#include <hs/hs.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/counters.h"
#include "core/wl_gen.h"
#include "match/watchlist.h"
#include "tools/scale_gen.h"

#define MAX_SIZES      16
#define MAX_WATCHLISTS 1000u
#define MAX_ROUNDS     31
#define MAX_RELOADS    100
#define STALL_BURST    32 /* items per burst, as the DPDK worker's rx_burst */

/* ---- the measuring child ---- */

/* The last phase the child finished; a record with err[0] != 0 says the next one failed. */
enum phase { PH_START = 0, PH_LOADED, PH_PLAIN, PH_SCANNED, PH_STALLED };

/* Burst times of the reload stall phase, in nanoseconds. */
struct burst_stats {
	uint64_t n, p50_ns, p99_ns, p999_ns, max_ns;
	/* the worker's CPU time in the slowest burst (the rest it was off the CPU), and the most */
	uint64_t max_cpu_ns, cpu_max_ns;
	/* over the whole period (span_ns long): how often the worker blocked, and was preempted */
	uint64_t vcsw, ivcsw, span_ns;
};

/* What the child reports, one fixed-size record per phase (atomic: < PIPE_BUF). */
struct result {
	int32_t phase;
	uint32_t rounds;
	double compile_s;
	long base_kb, peak_kb; /* ru_maxrss before and after wl_set_load() */
	uint64_t db_bytes;
	double plain_compile_s;
	uint64_t plain_db_bytes;
	uint64_t scan_bytes; /* the joined text wl_scan() hands Hyperscan, summed over items */
	double wl_s, raw_s, plain_s; /* median seconds per pass */
	uint64_t wl_matched, raw_matches, plain_matches;
	/* the reload stall phase */
	uint32_t reloads;       /* successful wl_pub_reload() calls */
	uint32_t cpus;          /* CPUs the child may run on */
	int32_t worker_cpu;     /* the worker's CPU, -1 if not pinned */
	int32_t compile_cpu;    /* the reloading (compiling) thread's CPU, -1 if not pinned */
	double reload_s;        /* median pub.last_reload_s */
	uint64_t wait_ns;       /* max pub.last_wait_ns */
	struct burst_stats out; /* bursts while no reload is in progress */
	struct burst_stats in;  /* bursts from a reload's start until 100 ms after it returns */
	uint64_t switch_ns, switch_cpu_ns; /* the slowest first burst on a new generation */
	char err[512];
};

_Static_assert(sizeof(struct result) < 4096, "one write() per record stays atomic");

struct opts {
	uint32_t sizes[MAX_SIZES];
	uint32_t n_sizes;
	uint64_t bytes;
	double hit_rate;
	uint32_t rounds;
	uint64_t seed;
	uint32_t timeout_s;
	uint32_t stall_max_terms; /* no stall phase above this term count */
	uint32_t stall_reloads;   /* 0: no stall phase */
	bool keep;
};

/* Whether the child runs the reload stall phase for <terms>. */
static bool
stall_wanted(const struct opts *o, uint32_t terms)
{
	return o->stall_reloads > 0 && terms <= o->stall_max_terms;
}

static long
maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static double
cpu_s(void)
{
	return (double)clock_ns(CLOCK_THREAD_CPUTIME_ID) / 1e9;
}

static double
median(double *v, uint32_t n)
{
	uint32_t i, j;

	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	}
	return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
report(int fd, const struct result *r)
{
	ssize_t n = write(fd, r, sizeof(*r));

	(void)n; /* the parent treats a short record as none */
}

static void
count_wl(void *arg, const struct wl_match *m)
{
	(void)m;
	(*(uint64_t *)arg)++;
}

static int
count_hs(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
         void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* The joined text of every item, back to back, with each item's end offset. */
struct joined {
	uint8_t *text;
	uint64_t *end;
	uint64_t len;
};

static int
join_all(struct wl_scratch *s, const struct wl_item *items, uint32_t n, struct joined *j)
{
	uint64_t cap = 1 << 24;
	uint32_t i;

	j->text = malloc(cap);
	j->end = calloc(n, sizeof(*j->end));
	j->len = 0;
	if (j->text == NULL || j->end == NULL) {
		return -1;
	}
	for (i = 0; i < n; i++) {
		const uint8_t *t;
		size_t len = wl_scan_text(s, &items[i], &t);

		while (j->len + len > cap) {
			uint8_t *nt = realloc(j->text, cap * 2);

			if (nt == NULL) {
				return -1;
			}
			j->text = nt;
			cap *= 2;
		}
		memcpy(j->text + j->len, t, len);
		j->len += len;
		j->end[i] = j->len;
	}
	return 0;
}

/* One timed pass of kind <k> (0 wl_scan, 1 wl_scan_raw, 2 plain hs_scan); -1 on a scan error. */
static int
pass(int k, const struct wl_set *set, struct wl_scratch *s, const struct wl_item *items, uint32_t n,
     const struct joined *j, const hs_database_t *pdb, hs_scratch_t *phs, struct counters *cnt,
     uint64_t *count, double *secs)
{
	double t0 = cpu_s();
	uint64_t start = 0;
	uint32_t i;

	*count = 0;
	for (i = 0; i < n; i++) {
		uint64_t len = j->end[i] - start;

		if (k == 0) {
			if (wl_scan(set, s, &items[i], cnt, count_wl, count) < 0) {
				return -1;
			}
		} else if (k == 1) {
			long long m = wl_scan_raw(set, s, j->text + start, len);

			if (m < 0) {
				return -1;
			}
			*count += (uint64_t)m;
		} else if (hs_scan(pdb, (const char *)j->text + start, (unsigned int)len, 0, phs,
		                   count_hs, count) != HS_SUCCESS) {
			return -1;
		}
		start = j->end[i];
	}
	*secs = cpu_s() - t0;
	return 0;
}

static const char *const pass_name[3] = { "wl_scan", "wl_scan_raw", "plain hs_scan" };

/* ---- the reload stall phase ---- */

/* Burst times in 1 us buckets up to 65 ms (the last bucket holds everything above). */
#define HIST_BUCKETS 65536

struct hist {
	uint64_t n, max, max_cpu, cpu_max;
	uint64_t vcsw, ivcsw, span_ns; /* the worker's context switches, and over how long */
	uint64_t b[HIST_BUCKETS];
};

static void
hist_add(struct hist *h, uint64_t v, uint64_t cpu)
{
	h->b[v / 1000 < HIST_BUCKETS ? v / 1000 : HIST_BUCKETS - 1]++;
	h->n++;
	h->max_cpu = v > h->max ? cpu : h->max_cpu;
	h->max = v > h->max ? v : h->max;
	h->cpu_max = cpu > h->cpu_max ? cpu : h->cpu_max;
}

/* The value at quantile <q>: its bucket's upper end, never above the maximum seen. */
static uint64_t
hist_quantile(const struct hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->n + 0.999999), seen = 0, v;
	uint32_t i;

	if (h->n == 0) {
		return 0;
	}
	want = want == 0 ? 1 : want;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			break;
		}
	}
	v = ((uint64_t)i + 1) * 1000;
	return v < h->max ? v : h->max;
}

static void
hist_stats(const struct hist *h, struct burst_stats *s)
{
	s->n = h->n;
	s->p50_ns = hist_quantile(h, 0.50);
	s->p99_ns = hist_quantile(h, 0.99);
	s->p999_ns = hist_quantile(h, 0.999);
	s->max_ns = h->max;
	s->max_cpu_ns = h->max_cpu;
	s->cpu_max_ns = h->cpu_max;
	s->vcsw = h->vcsw;
	s->ivcsw = h->ivcsw;
	s->span_ns = h->span_ns;
}

/* Adds the worker's context switches and time since <since> to <h>; moves <since> to now. */
static void
csw_close(struct hist *h, struct rusage *since, uint64_t *since_ns)
{
	struct rusage now;
	uint64_t ns = clock_ns(CLOCK_MONOTONIC);

	getrusage(RUSAGE_THREAD, &now);
	h->span_ns += ns - *since_ns;
	*since_ns = ns;
	h->vcsw += (uint64_t)(now.ru_nvcsw - since->ru_nvcsw);
	h->ivcsw += (uint64_t)(now.ru_nivcsw - since->ru_nivcsw);
	*since = now;
}

/* One worker, as pipeline/core/worker.c runs one per RX queue, with items for packets. */
struct stall_worker {
	struct wl_pub *pub;
	const struct wl_item *items;
	uint32_t n_items;
	struct counters *cnt;
	/*
	 * Written by the reloading thread: odd from the start of a
	 * wl_pub_reload() until 100 ms after it returns. A burst that sees it
	 * odd, or sees it change, counts as during a reload.
	 */
	uint64_t window;
	uint32_t stop;
	uint64_t matches, errors;
	uint64_t switch_ns, switch_cpu_ns; /* the slowest first burst on a new generation */
	struct hist out, in;
};

static void *
stall_worker(void *arg)
{
	struct stall_worker *w = arg;
	uint32_t next = 0, k;
	uint64_t gen = 1, wseen = 0, since = clock_ns(CLOCK_MONOTONIC);
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	wl_pub_worker_online(w->pub, 0);
	while (__atomic_load_n(&w->stop, __ATOMIC_RELAXED) == 0) {
		uint64_t w0 = __atomic_load_n(&w->window, __ATOMIC_ACQUIRE), w1, t0, t1, c0, c1;
		const struct wl_gen *g;

		if (w0 != wseen) { /* a reload window opened or closed */
			csw_close((wseen & 1) != 0 ? &w->in : &w->out, &ru, &since);
			wseen = w0;
		}
		c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		t0 = clock_ns(CLOCK_MONOTONIC);
		/* the end of the previous burst: no reference into a generation is held */
		wl_pub_quiescent(w->pub, 0);
		g = wl_pub_current(w->pub);
		for (k = 0; k < STALL_BURST; k++) {
			if (wl_scan(g->set, g->scratch[0], &w->items[next], w->cnt, count_wl,
			            &w->matches) < 0) {
				w->errors++;
			}
			next = next + 1 == w->n_items ? 0 : next + 1;
		}
		t1 = clock_ns(CLOCK_MONOTONIC);
		c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		w1 = __atomic_load_n(&w->window, __ATOMIC_ACQUIRE);
		hist_add((w0 & 1) != 0 || w0 != w1 ? &w->in : &w->out, t1 - t0, c1 - c0);
		/* the database and scratch this burst used were cold: the direct cost of a switch */
		if (g->id != gen && t1 - t0 > w->switch_ns) {
			w->switch_ns = t1 - t0;
			w->switch_cpu_ns = c1 - c0;
		}
		gen = g->id;
	}
	csw_close((wseen & 1) != 0 ? &w->in : &w->out, &ru, &since);
	wl_pub_worker_offline(w->pub, 0);
	return NULL;
}

static void
sleep_ms(uint32_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/*
 * Two CPUs of this process's affinity set: the worker gets the first, the
 * reloading thread the second, so that the compile does not share the
 * worker's core (as on a DPDK host, where the worker lcore is isolated).
 * Returns the number of CPUs in the set.
 */
static uint32_t
pick_cpus(int *worker_cpu, int *compile_cpu)
{
	cpu_set_t set;
	int i;

	*worker_cpu = -1;
	*compile_cpu = -1;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		return 0;
	}
	for (i = 0; i < CPU_SETSIZE && *compile_cpu < 0; i++) {
		if (!CPU_ISSET(i, &set)) {
			continue;
		}
		if (*worker_cpu < 0) {
			*worker_cpu = i;
		} else {
			*compile_cpu = i;
		}
	}
	if (*compile_cpu < 0) {
		*worker_cpu = -1; /* one CPU: nothing to separate */
	}
	return (uint32_t)CPU_COUNT(&set);
}

/*
 * The reload stall phase (issue 7 item 6): generation 1 of the watchlists in
 * <paths> for one worker thread that scans <items> in bursts of STALL_BURST,
 * timing every burst; after 200 ms, o->stall_reloads reloads of the same
 * files, compiled afresh (no cache), 200 ms apart. Fills the stall fields of
 * <r>; 0, or -1 with r->err set.
 */
static int
stall_run(struct result *r, const struct opts *o, const char *const *paths,
          const struct wl_item *items, uint32_t n_items)
{
	struct wl_load_opts lo = { NULL }; /* cache_dir NULL: every reload really compiles */
	struct wl_diags d = { 0 };
	struct stall_worker *w = NULL;
	struct wl_gen *g = NULL;
	struct wl_pub pub = { NULL }; /* wl_pub_fini() of a zeroed one frees nothing */
	double build_s[MAX_RELOADS];
	pthread_attr_t attr;
	pthread_t th;
	bool started = false;
	int wcpu, ccpu;
	uint32_t i;

	r->cpus = pick_cpus(&wcpu, &ccpu);
	r->worker_cpu = wcpu;
	r->compile_cpu = ccpu;
	w = calloc(1, sizeof(*w));
	if (w != NULL) {
		w->cnt = calloc(1, sizeof(*w->cnt));
	}
	if (w == NULL || w->cnt == NULL) {
		snprintf(r->err, sizeof(r->err), "stall: out of memory");
		goto fail;
	}
	g = wl_gen_build(paths, 1, &lo, 1, 1, &d);
	if (g == NULL) {
		snprintf(r->err, sizeof(r->err), "stall: wl_gen_build failed (%u problems)", d.n);
		goto fail;
	}
	if (wl_pub_init(&pub, g, 1, paths, 1, &lo) != 0) {
		snprintf(r->err, sizeof(r->err), "stall: wl_pub_init: out of memory");
		goto fail;
	}
	g = NULL; /* pub owns it now */
	w->pub = &pub;
	w->items = items;
	w->n_items = n_items;
	pthread_attr_init(&attr);
	if (wcpu >= 0) {
		cpu_set_t cs;

		CPU_ZERO(&cs);
		CPU_SET(wcpu, &cs);
		pthread_attr_setaffinity_np(&attr, sizeof(cs), &cs);
		CPU_ZERO(&cs);
		CPU_SET(ccpu, &cs);
		sched_setaffinity(0, sizeof(cs), &cs);
	}
	started = pthread_create(&th, &attr, stall_worker, w) == 0;
	pthread_attr_destroy(&attr);
	if (!started) {
		snprintf(r->err, sizeof(r->err), "stall: pthread_create failed");
		goto fail;
	}
	sleep_ms(200);
	for (i = 0; i < o->stall_reloads; i++) {
		__atomic_store_n(&w->window, 2 * i + 1, __ATOMIC_RELEASE);
		if (wl_pub_reload(&pub, &d) != 0) {
			snprintf(r->err, sizeof(r->err), "stall: reload %u: %.400s", i + 1,
			         pub.last_reload_error);
			goto fail;
		}
		build_s[r->reloads++] = pub.last_reload_s;
		r->wait_ns = pub.last_wait_ns > r->wait_ns ? pub.last_wait_ns : r->wait_ns;
		sleep_ms(100);
		__atomic_store_n(&w->window, 2 * i + 2, __ATOMIC_RELEASE);
		sleep_ms(100);
	}
	r->reload_s = median(build_s, r->reloads);
fail:
	if (started) {
		__atomic_store_n(&w->stop, 1, __ATOMIC_RELAXED);
		pthread_join(th, NULL);
		if (w->errors > 0 && r->err[0] == 0) {
			snprintf(r->err, sizeof(r->err), "stall: %llu wl_scan errors",
			         (unsigned long long)w->errors);
		}
		hist_stats(&w->out, &r->out);
		hist_stats(&w->in, &r->in);
		r->switch_ns = w->switch_ns;
		r->switch_cpu_ns = w->switch_cpu_ns;
	}
	wl_pub_fini(&pub);
	wl_gen_free(g);
	wl_diags_clear(&d);
	if (w != NULL) {
		free(w->cnt);
	}
	free(w);
	return r->err[0] == 0 ? 0 : -1;
}

static int
child_run(int fd, const struct opts *o, const char *dir, const struct scale_gen_terms *t,
          const struct scale_gen_corpus *c)
{
	struct result r;
	const char *paths[1] = { dir };
	struct wl_set *set = NULL;
	struct wl_scratch *s = NULL;
	struct wl_item *items = NULL;
	struct joined j = { NULL, NULL, 0 };
	hs_database_t *pdb = NULL;
	hs_scratch_t *phs = NULL;
	struct counters *cnt = NULL;
	double tw[MAX_ROUNDS], tr[MAX_ROUNDS], tp[MAX_ROUNDS], t0;
	char *err = NULL;
	size_t db_size = 0;
	uint32_t round;

	memset(&r, 0, sizeof(r));
	r.rounds = o->rounds;
	r.base_kb = maxrss_kb();
	t0 = (double)clock_ns(CLOCK_MONOTONIC) / 1e9;
	set = wl_set_load(paths, 1, &err);
	r.compile_s = (double)clock_ns(CLOCK_MONOTONIC) / 1e9 - t0;
	r.peak_kb = maxrss_kb();
	if (set == NULL) {
		snprintf(r.err, sizeof(r.err), "wl_set_load: %s", err != NULL ? err : "failed");
		goto fail;
	}
	r.db_bytes = wl_set_db_bytes(set);
	r.phase = PH_LOADED;
	report(fd, &r);

	t0 = (double)clock_ns(CLOCK_MONOTONIC) / 1e9;
	pdb = scale_gen_plain_compile(t, r.err, sizeof(r.err));
	r.plain_compile_s = (double)clock_ns(CLOCK_MONOTONIC) / 1e9 - t0;
	if (pdb == NULL) {
		goto fail;
	}
	if (hs_database_size(pdb, &db_size) == HS_SUCCESS) {
		r.plain_db_bytes = db_size;
	}
	if (hs_alloc_scratch(pdb, &phs) != HS_SUCCESS) {
		snprintf(r.err, sizeof(r.err), "plain literals: hs_alloc_scratch failed");
		goto fail;
	}
	r.phase = PH_PLAIN;
	report(fd, &r);

	s = wl_scratch_alloc(set);
	items = scale_gen_items(c);
	cnt = calloc(1, sizeof(*cnt));
	if (s == NULL || items == NULL || cnt == NULL) {
		snprintf(r.err, sizeof(r.err), "out of memory (scratch, items)");
		goto fail;
	}
	if (join_all(s, items, c->n, &j) != 0) {
		snprintf(r.err, sizeof(r.err), "out of memory (joined text)");
		goto fail;
	}
	r.scan_bytes = j.len;
	/* round 0 warms caches and page tables and is not counted; the order rotates per round */
	for (round = 0; round <= o->rounds; round++) {
		int k;

		for (k = 0; k < 3; k++) {
			int which = (int)((round + (uint32_t)k) % 3);
			double secs;
			uint64_t count;

			if (pass(which, set, s, items, c->n, &j, pdb, phs, cnt, &count, &secs) !=
			    0) {
				snprintf(r.err, sizeof(r.err), "%s: scan error", pass_name[which]);
				goto fail;
			}
			if (round == 0) {
				continue;
			}
			if (which == 0) {
				tw[round - 1] = secs;
				r.wl_matched = count;
			} else if (which == 1) {
				tr[round - 1] = secs;
				r.raw_matches = count;
			} else {
				tp[round - 1] = secs;
				r.plain_matches = count;
			}
		}
	}
	r.wl_s = median(tw, o->rounds);
	r.raw_s = median(tr, o->rounds);
	r.plain_s = median(tp, o->rounds);
	r.phase = PH_SCANNED;
	report(fd, &r);
	if (stall_wanted(o, t->n)) {
		/* the stall phase builds its own generations: give back what the scans held */
		free(j.text);
		free(j.end);
		j.text = NULL;
		j.end = NULL;
		hs_free_scratch(phs);
		hs_free_database(pdb);
		wl_scratch_free(s);
		wl_set_free(set);
		phs = NULL;
		pdb = NULL;
		s = NULL;
		set = NULL;
		if (stall_run(&r, o, paths, items, c->n) != 0) {
			goto fail;
		}
		r.phase = PH_STALLED;
		report(fd, &r);
	}
fail:
	if (r.err[0] != 0) {
		report(fd, &r);
	}
	free(err);
	free(j.text);
	free(j.end);
	free(cnt);
	free(items);
	hs_free_scratch(phs);
	hs_free_database(pdb);
	wl_scratch_free(s);
	wl_set_free(set);
	return r.err[0] == 0 ? 0 : 1;
}

/* ---- the parent ---- */

struct row {
	uint32_t terms, watchlists, non_ascii, items, planted;
	uint64_t text_bytes;
	struct result r; /* the last complete record the child sent */
	bool have;       /* any record at all */
	bool timed_out;
	double wall_s;
	char status[160];
};

/* Runs the child for one size under the timeout; fills <row>. */
static void
measure(const struct opts *o, const char *dir, const struct scale_gen_terms *t,
        const struct scale_gen_corpus *c, struct row *row)
{
	int pfd[2];
	pid_t pid;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), deadline;
	int st = 0;

	fflush(stdout);
	fflush(stderr);
	if (pipe(pfd) != 0) {
		snprintf(row->status, sizeof(row->status), "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(row->status, sizeof(row->status), "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		_exit(child_run(pfd[1], o, dir, t, c));
	}
	close(pfd[1]);
	deadline = t0 + (uint64_t)o->timeout_s * 1000000000ull;
	for (;;) {
		struct pollfd p = { pfd[0], POLLIN, 0 };
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		struct result r;
		ssize_t n;

		if (now >= deadline) {
			row->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)((deadline - now) / 1000000 + 1)) <= 0) {
			continue;
		}
		n = read(pfd[0], &r, sizeof(r));
		if (n == (ssize_t)sizeof(r)) {
			row->r = r;
			row->have = true;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			continue;
		}
		break; /* EOF: the child is done (or died) */
	}
	close(pfd[0]);
	waitpid(pid, &st, 0);
	row->wall_s = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	if (row->timed_out) {
		snprintf(row->status, sizeof(row->status), "did not finish in %u s (%s)",
		         o->timeout_s,
		         !row->have                  ? "wl_set_load still compiling"
		         : row->r.phase == PH_LOADED ? "plain-literal compile still running"
		         : row->r.phase == PH_PLAIN  ? "scan passes still running"
		                                     : "reload stall phase still running");
	} else if (row->have && row->r.err[0] != 0) {
		char msg[144];

		snprintf(msg, sizeof(msg), "%s", row->r.err);
		snprintf(row->status, sizeof(row->status), "error: %s", msg);
	} else if (!row->have ||
	           row->r.phase != (stall_wanted(o, row->terms) ? PH_STALLED : PH_SCANNED)) {
		snprintf(row->status, sizeof(row->status), "child died (%s %d)",
		         WIFSIGNALED(st) ? "signal" : "exit",
		         WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	} else {
		snprintf(row->status, sizeof(row->status), "ok");
	}
}

static double
mbps(uint64_t bytes, double s)
{
	return s > 0 ? (double)bytes / s / 1e6 : 0;
}

/* A JSON string: the status texts hold no control characters, only '"' and '\\' need care. */
static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != 0; s++) {
		if (*s == '"' || *s == '\\') {
			putchar('\\');
		}
		putchar(*s);
	}
	putchar('"');
}

/* What the worker lost to a reload: its slowest burst during one minus its usual burst. */
static double
worst_stall_us(const struct result *r)
{
	double d = (double)r->in.max_ns - (double)r->out.p50_ns;

	return (d > 0 ? d : 0) / 1e3;
}

static void
print_bursts(const char *what, const struct burst_stats *b)
{
	printf("    %s: %llu bursts, p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us (%.0f us "
	       "of it on the CPU; most CPU in a burst %.0f us); in %.1f s the worker was preempted "
	       "%llu times, blocked %llu\n",
	       what, (unsigned long long)b->n, (double)b->p50_ns / 1e3, (double)b->p99_ns / 1e3,
	       (double)b->p999_ns / 1e3, (double)b->max_ns / 1e3, (double)b->max_cpu_ns / 1e3,
	       (double)b->cpu_max_ns / 1e3, (double)b->span_ns / 1e9, (unsigned long long)b->ivcsw,
	       (unsigned long long)b->vcsw);
}

static void
print_stall(const struct result *r)
{
	printf("  reload stall: %u reloads of the same watchlists (compiled afresh, no cache), "
	       "build median %.2f s, retirement wait max %.2f ms; bursts of %u items:\n",
	       r->reloads, r->reload_s, (double)r->wait_ns / 1e6, STALL_BURST);
	printf("    %u CPUs: the worker thread on CPU %d, the compile on CPU %d%s\n", r->cpus,
	       r->worker_cpu, r->compile_cpu,
	       r->worker_cpu >= 0 ? " (the other core)" : " (-1: one CPU, not pinned)");
	print_bursts("outside reloads", &r->out);
	print_bursts("during reloads (start of wl_pub_reload() to 100 ms after it returns)",
	             &r->in);
	printf("    slowest first burst on a new generation %.1f us (%.1f us on the CPU)\n",
	       (double)r->switch_ns / 1e3, (double)r->switch_cpu_ns / 1e3);
	printf("    worst stall %.1f us (max burst during reloads minus p50 burst outside)\n",
	       worst_stall_us(r));
}

static void
json_bursts(const char *k, const struct burst_stats *b)
{
	printf(",\"%s_bursts\":%llu,\"%s_p50_us\":%.2f,\"%s_p99_us\":%.2f,\"%s_p999_us\":%.2f,"
	       "\"%s_max_us\":%.2f,\"%s_max_cpu_us\":%.2f,\"%s_cpu_max_us\":%.2f,\"%s_ivcsw\":%llu,"
	       "\"%s_vcsw\":%llu,\"%s_span_s\":%.3f",
	       k, (unsigned long long)b->n, k, (double)b->p50_ns / 1e3, k, (double)b->p99_ns / 1e3,
	       k, (double)b->p999_ns / 1e3, k, (double)b->max_ns / 1e3, k,
	       (double)b->max_cpu_ns / 1e3, k, (double)b->cpu_max_ns / 1e3, k,
	       (unsigned long long)b->ivcsw, k, (unsigned long long)b->vcsw, k,
	       (double)b->span_ns / 1e9);
}

static void
print_row(const struct opts *o, const struct row *w)
{
	const struct result *r = &w->r;
	bool loaded = w->have && r->phase >= PH_LOADED;
	bool plain = loaded && r->phase >= PH_PLAIN;
	bool scanned = loaded && r->phase >= PH_SCANNED;
	bool stalled = loaded && r->phase == PH_STALLED;

	printf("%u terms in %u watchlists (%.1f%% non-ASCII), %u items, %.1f MB of fields, "
	       "%u with a planted term:\n",
	       w->terms, w->watchlists, 100.0 * w->non_ascii / w->terms, w->items,
	       (double)w->text_bytes / 1e6, w->planted);
	if (loaded) {
		printf("  wl_set_load %.2f s, peak RSS %.1f MB (+%.1f MB over %.1f MB before), "
		       "database %.2f MiB\n",
		       r->compile_s, r->peak_kb * 1024.0 / 1e6,
		       (r->peak_kb - r->base_kb) * 1024.0 / 1e6, r->base_kb * 1024.0 / 1e6,
		       (double)r->db_bytes / 1048576.0);
	}
	if (plain) {
		printf("  plain literals: hs_compile_multi %.2f s, database %.2f MiB\n",
		       r->plain_compile_s, (double)r->plain_db_bytes / 1048576.0);
	}
	if (scanned) {
		printf("  %.1f MB scanned per pass (median of %u, thread CPU time): wl_scan %.1f "
		       "MB/s, "
		       "wl_scan_raw %.1f MB/s, ratio %.3f; plain literals %.1f MB/s, ratio %.3f\n",
		       (double)r->scan_bytes / 1e6, r->rounds, mbps(r->scan_bytes, r->wl_s),
		       mbps(r->scan_bytes, r->raw_s), r->wl_s / r->raw_s,
		       mbps(r->scan_bytes, r->plain_s), r->wl_s / r->plain_s);
		printf("  per pass: %llu watchlist matches (wl_scan), %llu Hyperscan matches (same "
		       "database), %llu (plain literals)\n",
		       (unsigned long long)r->wl_matched, (unsigned long long)r->raw_matches,
		       (unsigned long long)r->plain_matches);
	}
	if (stalled) {
		print_stall(r);
	}
	if (strcmp(w->status, "ok") != 0) {
		printf("  %s\n", w->status);
	}
	printf("{\"terms\":%u,\"watchlists\":%u,\"non_ascii\":%u,\"items\":%u,\"planted\":%u,"
	       "\"text_bytes\":%llu,\"seed\":%llu,\"rounds\":%u,\"timeout_s\":%u,"
	       "\"stall_reloads\":%u,\"stall_max_terms\":%u,\"status\":",
	       w->terms, w->watchlists, w->non_ascii, w->items, w->planted,
	       (unsigned long long)w->text_bytes, (unsigned long long)o->seed, o->rounds,
	       o->timeout_s, o->stall_reloads, o->stall_max_terms);
	json_str(w->status);
	printf(",\"finished\":%s,\"wall_s\":%.2f", strcmp(w->status, "ok") == 0 ? "true" : "false",
	       w->wall_s);
	if (loaded) {
		printf(",\"compile_s\":%.4f,\"base_kb\":%ld,\"peak_kb\":%ld,\"load_kb\":%ld,"
		       "\"db_bytes\":%llu",
		       r->compile_s, r->base_kb, r->peak_kb, r->peak_kb - r->base_kb,
		       (unsigned long long)r->db_bytes);
	}
	if (plain) {
		printf(",\"plain_compile_s\":%.4f,\"plain_db_bytes\":%llu", r->plain_compile_s,
		       (unsigned long long)r->plain_db_bytes);
	}
	if (scanned) {
		printf(",\"scan_bytes\":%llu,\"wl_mbps\":%.2f,\"raw_mbps\":%.2f,\"ratio\":%.4f,"
		       "\"plain_mbps\":%.2f,\"plain_ratio\":%.4f,\"wl_matched\":%llu,"
		       "\"raw_matches\":%llu,\"plain_matches\":%llu",
		       (unsigned long long)r->scan_bytes, mbps(r->scan_bytes, r->wl_s),
		       mbps(r->scan_bytes, r->raw_s), r->wl_s / r->raw_s,
		       mbps(r->scan_bytes, r->plain_s), r->wl_s / r->plain_s,
		       (unsigned long long)r->wl_matched, (unsigned long long)r->raw_matches,
		       (unsigned long long)r->plain_matches);
	}
	if (stalled) {
		printf(",\"reloads\":%u,\"cpus\":%u,\"worker_cpu\":%d,\"compile_cpu\":%d,"
		       "\"reload_s\":%.4f,\"wait_max_us\":%.1f,\"worst_stall_us\":%.1f,"
		       "\"switch_us\":%.2f,\"switch_cpu_us\":%.2f",
		       r->reloads, r->cpus, r->worker_cpu, r->compile_cpu, r->reload_s,
		       (double)r->wait_ns / 1e3, worst_stall_us(r), (double)r->switch_ns / 1e3,
		       (double)r->switch_cpu_ns / 1e3);
		json_bursts("out", &r->out);
		json_bursts("in", &r->in);
	}
	printf("}\n");
	fflush(stdout);
}

static void
print_table(const struct row *rows, uint32_t n)
{
	uint32_t i;

	printf("\n%9s %6s %9s %8s %8s %7s %9s %9s %6s %9s %6s %9s %8s %9s %9s %9s\n", "terms",
	       "lists", "compile s", "load MB", "peak MB", "db MiB", "wl MB/s", "raw MB/s", "ratio",
	       "lit MB/s", "ratio", "lit cmp s", "reload s", "p99 out", "max in", "stall");
	for (i = 0; i < n; i++) {
		const struct row *w = &rows[i];
		const struct result *r = &w->r;
		bool loaded = w->have && r->phase >= PH_LOADED;

		printf("%9u %6u", w->terms, w->watchlists);
		if (!loaded) {
			printf("  %s\n", w->status);
			continue;
		}
		printf(" %9.2f %8.1f %8.1f %7.2f", r->compile_s,
		       (r->peak_kb - r->base_kb) * 1024.0 / 1e6, r->peak_kb * 1024.0 / 1e6,
		       (double)r->db_bytes / 1048576.0);
		if (r->phase < PH_SCANNED) {
			printf("  %s\n", w->status);
			continue;
		}
		printf(" %9.1f %9.1f %6.3f %9.1f %6.3f %9.2f", mbps(r->scan_bytes, r->wl_s),
		       mbps(r->scan_bytes, r->raw_s), r->wl_s / r->raw_s,
		       mbps(r->scan_bytes, r->plain_s), r->wl_s / r->plain_s, r->plain_compile_s);
		if (r->phase == PH_STALLED) {
			printf(" %8.2f %9.1f %9.1f %9.1f", r->reload_s, (double)r->out.p99_ns / 1e3,
			       (double)r->in.max_ns / 1e3, worst_stall_us(r));
		}
		if (strcmp(w->status, "ok") != 0) {
			printf("  %s", w->status);
		}
		printf("\n");
	}
	printf("load MB: peak RSS of the child during wl_set_load() minus its RSS before; peak MB: "
	       "the child's whole peak\n(terms, item text, libraries). Ratios: wl_scan time / "
	       "raw hs_scan time on the same text (raw: same database; lit: plain literals).\n"
	       "Reloads: median build s; bursts of %u items in us: p99 outside reloads, max during "
	       "reloads, stall = max during - p50 outside.\n",
	       STALL_BURST);
}

static int
run_size(const struct opts *o, uint32_t n, struct row *row)
{
	char dir[4096];
	const char *tmp = getenv("TMPDIR");
	struct scale_gen_terms t;
	struct scale_gen_corpus c;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	int rc;

	memset(row, 0, sizeof(*row));
	row->terms = n;
	row->watchlists = n / 10 < 1 ? 1 : (n / 10 > MAX_WATCHLISTS ? MAX_WATCHLISTS : n / 10);
	snprintf(dir, sizeof(dir), "%s/fwscale.XXXXXX", tmp != NULL && tmp[0] != 0 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "feedwatch-scale: mkdtemp %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (scale_gen_terms_make(&t, n, o->seed) != 0) {
		fprintf(stderr, "feedwatch-scale: out of memory making %u terms\n", n);
		rmdir(dir);
		return -1;
	}
	rc = scale_gen_write_watchlists(&t, row->watchlists, dir);
	if (rc != 0) {
		fprintf(stderr, "feedwatch-scale: writing watchlists into %s: %s\n", dir,
		        strerror(-rc));
		scale_gen_terms_free(&t);
		scale_gen_remove_watchlists(row->watchlists, dir);
		return -1;
	}
	if (scale_gen_corpus_make(&c, &t, o->bytes, o->hit_rate, o->seed) != 0) {
		fprintf(stderr, "feedwatch-scale: out of memory making item text\n");
		scale_gen_corpus_free(&c);
		scale_gen_terms_free(&t);
		scale_gen_remove_watchlists(row->watchlists, dir);
		return -1;
	}
	row->non_ascii = t.non_ascii;
	row->items = c.n;
	row->planted = c.planted;
	row->text_bytes = c.len;
	fprintf(stderr,
	        "feedwatch-scale: %u terms, %u watchlists in %s, %u items: generated in %.1f s\n",
	        n, row->watchlists, dir, c.n, (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	measure(o, dir, &t, &c, row);
	scale_gen_corpus_free(&c);
	scale_gen_terms_free(&t);
	if (o->keep) {
		fprintf(stderr, "feedwatch-scale: kept %s\n", dir);
	} else {
		scale_gen_remove_watchlists(row->watchlists, dir);
	}
	return 0;
}

/* "32MiB", "500k", "1048576" (k/M/G and KiB/MiB/GiB are powers of 1,024). */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s) {
		return -1;
	}
	if (*end == 'k' || *end == 'K') {
		v <<= 10;
	} else if (*end == 'M') {
		v <<= 20;
	} else if (*end == 'G') {
		v <<= 30;
	} else if (*end != 0) {
		return -1;
	}
	if (*end != 0 && end[1] != 0 && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0) {
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_terms(const char *s, struct opts *o)
{
	o->n_sizes = 0;
	while (*s != 0) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v == 0 || v > 100000000ul || o->n_sizes == MAX_SIZES) {
			return -1;
		}
		if (*end == 'k' || *end == 'K') {
			v *= 1000;
			end++;
		} else if (*end == 'M') {
			v *= 1000000;
			end++;
		}
		o->sizes[o->n_sizes++] = (uint32_t)v;
		if (*end == ',') {
			end++;
		} else if (*end != 0) {
			return -1;
		}
		s = end;
	}
	return o->n_sizes > 0 ? 0 : -1;
}

static int
usage(void)
{
	fputs("usage: feedwatch-scale [--terms N,N,...] [--max-terms N] [--bytes SIZE] "
	      "[--hit-rate P]\n"
	      "                       [--rounds N] [--seed N] [--timeout SECONDS] [--stall-reloads "
	      "N]\n"
	      "                       [--stall-max-terms N] [--keep]\n"
	      "  --terms      term counts to measure (default 1000,10000,100000,1000000; 10k, 1M "
	      "ok)\n"
	      "  --max-terms  skip counts above N\n"
	      "  --bytes      item text to scan (default 32MiB)\n"
	      "  --hit-rate   share of items with a planted term (default 0.02)\n"
	      "  --rounds     timed rounds per scan kind, median reported (default 5)\n"
	      "  --timeout    per term count; a child past it is killed (default 600)\n"
	      "  --stall-reloads   reloads in the reload stall phase (default 5, 0: no phase)\n"
	      "  --stall-max-terms no stall phase above N terms (default 100000)\n"
	      "  --keep       keep the generated watchlist folders\n",
	      stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "terms", required_argument, NULL, 't' },
		{ "max-terms", required_argument, NULL, 'm' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "hit-rate", required_argument, NULL, 'h' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "stall-max-terms", required_argument, NULL, 'S' },
		{ "stall-reloads", required_argument, NULL, 'R' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, '?' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .sizes = { 1000, 10000, 100000, 1000000 },
		          .n_sizes = 4,
		          .bytes = 32ull << 20,
		          .hit_rate = 0.02,
		          .rounds = 5,
		          .seed = 7,
		          .timeout_s = 600,
		          .stall_max_terms = 100000,
		          .stall_reloads = 5 };
	struct row rows[MAX_SIZES];
	uint32_t max_terms = UINT32_MAX, i, n_rows = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		char *end = NULL;

		switch (c) {
		case 't':
			if (parse_terms(optarg, &o) != 0) {
				return usage();
			}
			break;
		case 'm':
			max_terms = (uint32_t)strtoul(optarg, &end, 10);
			break;
		case 'b':
			if (parse_size(optarg, &o.bytes) != 0 || o.bytes == 0) {
				return usage();
			}
			break;
		case 'h':
			o.hit_rate = strtod(optarg, &end);
			break;
		case 'r':
			o.rounds = (uint32_t)strtoul(optarg, &end, 10);
			break;
		case 's':
			o.seed = strtoull(optarg, &end, 10);
			break;
		case 'T':
			o.timeout_s = (uint32_t)strtoul(optarg, &end, 10);
			break;
		case 'S':
			o.stall_max_terms = (uint32_t)strtoul(optarg, &end, 10);
			break;
		case 'R':
			o.stall_reloads = (uint32_t)strtoul(optarg, &end, 10);
			break;
		case 'k':
			o.keep = true;
			break;
		default:
			return usage();
		}
		if (end != NULL && *end != 0) {
			return usage();
		}
	}
	if (optind != argc || o.rounds == 0 || o.rounds > MAX_ROUNDS || o.timeout_s == 0 ||
	    o.stall_reloads > MAX_RELOADS || o.hit_rate < 0 || o.hit_rate > 1) {
		return usage();
	}
	if (scale_gen_init() != 0) {
		fprintf(stderr, "feedwatch-scale: out of memory\n");
		return 1;
	}
	if (hs_valid_platform() != HS_SUCCESS) {
		fprintf(stderr, "feedwatch-scale: this CPU cannot run Hyperscan\n");
		return 1;
	}
	printf("feedwatch-scale: Hyperscan %s; %.1f MB of items, hit rate %.3f, seed %llu, %u "
	       "rounds, timeout %u s; reload stall: %u reloads up to %u terms, %ld CPUs online\n",
	       hs_version(), (double)o.bytes / 1e6, o.hit_rate, (unsigned long long)o.seed,
	       o.rounds, o.timeout_s, o.stall_reloads, o.stall_max_terms,
	       sysconf(_SC_NPROCESSORS_ONLN));
	fflush(stdout);
	for (i = 0; i < o.n_sizes; i++) {
		if (o.sizes[i] > max_terms) {
			continue;
		}
		if (run_size(&o, o.sizes[i], &rows[n_rows]) != 0) {
			scale_gen_fini();
			return 1;
		}
		print_row(&o, &rows[n_rows]);
		n_rows++;
	}
	print_table(rows, n_rows);
	scale_gen_fini();
	return 0;
}
