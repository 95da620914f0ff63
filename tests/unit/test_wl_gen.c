/*
 * Hot reload: watchlist generations published by the control thread while
 * worker threads scan, with the real rte_rcu_qsbr (no EAL needed). Under
 * ASan a generation freed while a worker still used it is a crash, so
 * these tests show the retirement waits for every worker.
 */
#include "core/wl_gen.h"

#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"

#define WORKERS 2
#define RELOADS 20

static char dir[] = "/tmp/fw-wl-gen-XXXXXX";

static void
write_wl(const char *name, const char *text)
{
	char tmp[256], path[256];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	/* an atomic replace, as an editor or a deploy tool does it */
	CU_ASSERT_EQUAL(rename(tmp, path), 0);
}

struct wstate {
	struct wl_pub *pub;
	unsigned int idx;
	volatile bool *stop;
	uint64_t items, matches, gens_seen, last_gen, went_back, bad;
};

static void
count(void *arg, const struct wl_match *m)
{
	struct wstate *w = arg;

	(void)m;
	w->matches++;
}

static void *
worker(void *arg)
{
	struct wstate *w = arg;
	const char *text = "alpha and beta and gamma";
	struct counters c;
	struct wl_item it;

	memset(&c, 0, sizeof(c));
	memset(&it, 0, sizeof(it));
	it.field[WL_FIELD_TITLE].ptr = (const uint8_t *)text;
	it.field[WL_FIELD_TITLE].len = strlen(text);
	wl_pub_worker_online(w->pub, w->idx);
	while (!*w->stop) {
		const struct wl_gen *g;

		wl_pub_quiescent(w->pub, w->idx);
		g = wl_pub_current(w->pub);
		if (g->id != w->last_gen) {
			w->went_back += g->id < w->last_gen;
			w->last_gen = g->id;
			w->gens_seen++;
		}
		/* a burst: several items with the same generation */
		for (int i = 0; i < 8; i++) {
			/* CUnit is not thread-safe: count here, assert on the main thread */
			w->bad += wl_scan(g->set, g->scratch[w->idx], &it, &c, count, w) != 1;
			w->items++;
		}
	}
	wl_pub_worker_offline(w->pub, w->idx);
	return NULL;
}

static void
test_twenty_reloads_while_workers_scan(void)
{
	const char *path = dir;
	struct wl_load_opts o = { NULL };
	struct wl_diags d = { 0 };
	struct wstate ws[WORKERS];
	pthread_t th[WORKERS];
	volatile bool stop = false;
	struct wl_gen *g;
	struct wl_pub pub;
	int i;

	write_wl("a.yaml", "name: a\nterms: [alpha]\n");
	g = wl_gen_build(&path, 1, &o, WORKERS, 1, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL_FATAL(wl_pub_init(&pub, g, WORKERS, &path, 1, &o), 0);
	memset(ws, 0, sizeof(ws));
	for (i = 0; i < WORKERS; i++) {
		ws[i].pub = &pub;
		ws[i].idx = (unsigned int)i;
		ws[i].stop = &stop;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, worker, &ws[i]), 0);
	}
	for (i = 0; i < RELOADS; i++) {
		/* alternate two versions; both match the item once */
		write_wl("a.yaml", i % 2 == 0 ? "name: a\nterms: [alpha, gamma]\n"
		                              : "name: a\nqueries:\n  - name: q\n    q: alpha AND "
		                                "NOT delta\n");
		CU_ASSERT_EQUAL(wl_pub_reload(&pub, NULL), 0);
		usleep(2000);
	}
	/* an invalid file: the running generation stays, the reason is kept */
	write_wl("a.yaml", "name: a\nqueries:\n  - name: q\n    q: alpha AND (\n");
	CU_ASSERT_EQUAL(wl_pub_reload(&pub, &d), -1);
	CU_ASSERT(d.n_errors > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(pub.last_reload_error, "a.yaml:4:"));
	usleep(5000);
	stop = true;
	for (i = 0; i < WORKERS; i++) {
		pthread_join(th[i], NULL);
	}
	CU_ASSERT_EQUAL(pub.cur->id, 1 + RELOADS);
	CU_ASSERT_EQUAL(pub.reloads, RELOADS);
	CU_ASSERT_EQUAL(pub.reload_failed, 1);
	for (i = 0; i < WORKERS; i++) {
		printf("\n  worker %d: %llu items, %llu generations seen", i,
		       (unsigned long long)ws[i].items, (unsigned long long)ws[i].gens_seen);
		CU_ASSERT(ws[i].items > 0);
		/* every item matched exactly once, by exactly one generation */
		CU_ASSERT_EQUAL(ws[i].matches, ws[i].items);
		CU_ASSERT_EQUAL(ws[i].went_back, 0);
		CU_ASSERT_EQUAL(ws[i].bad, 0);
		CU_ASSERT_EQUAL(ws[i].last_gen, 1 + RELOADS);
	}
	wl_pub_fini(&pub);
	wl_diags_clear(&d);
}

static void
test_reload_with_no_worker_online_does_not_wait(void)
{
	const char *path = dir;
	struct wl_load_opts o = { NULL };
	struct wl_gen *g;
	struct wl_pub pub;

	write_wl("a.yaml", "name: a\nterms: [alpha]\n");
	g = wl_gen_build(&path, 1, &o, 1, 1, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL_FATAL(wl_pub_init(&pub, g, 1, &path, 1, &o), 0);
	/* a worker that finished its capture went offline: retirement must not hang */
	wl_pub_worker_online(&pub, 0);
	wl_pub_worker_offline(&pub, 0);
	CU_ASSERT_EQUAL(wl_pub_reload(&pub, NULL), 0);
	CU_ASSERT_EQUAL(pub.cur->id, 2);
	CU_ASSERT_STRING_EQUAL(pub.last_reload_error, "");
	wl_pub_fini(&pub);
}

int
main(void)
{
	CU_pSuite s;
	char cmd[128];
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	CU_initialize_registry();
	s = CU_add_suite("watchlist generations", NULL, NULL);
	CU_add_test(s, "twenty reloads while workers scan", test_twenty_reloads_while_workers_scan);
	CU_add_test(s, "reload with no worker online does not wait",
	            test_reload_with_no_worker_online_does_not_wait);
	rc = guard_run_tests();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "could not remove %s\n", dir);
	}
	return rc;
}
