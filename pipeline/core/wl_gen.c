#include "core/wl_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

struct wl_gen *
wl_gen_build(const char *const *paths, size_t n_paths, const struct wl_load_opts *o,
             unsigned int n_workers, uint64_t id, struct wl_diags *d)
{
	struct wl_gen *g = calloc(1, sizeof(*g));
	unsigned int i;

	if (g == NULL) {
		wl_diag_add(d, "watchlists", 0, 0, false, "out of memory");
		return NULL;
	}
	g->id = id;
	g->set = wl_set_build(paths, n_paths, o, d);
	if (g->set == NULL) {
		goto fail;
	}
	g->scratch = calloc(n_workers + 1, sizeof(*g->scratch));
	if (g->scratch == NULL) {
		wl_diag_add(d, "watchlists", 0, 0, false, "out of memory");
		goto fail;
	}
	for (i = 0; i < n_workers; i++) {
		g->scratch[i] = wl_scratch_alloc(g->set);
		if (g->scratch[i] == NULL) {
			wl_diag_add(d, "watchlists", 0, 0, false, "out of memory");
			goto fail;
		}
		g->n++;
	}
	return g;
fail:
	wl_gen_free(g);
	return NULL;
}

void
wl_gen_free(struct wl_gen *g)
{
	unsigned int i;

	if (g == NULL) {
		return;
	}
	for (i = 0; i < g->n; i++) {
		wl_scratch_free(g->scratch[i]);
	}
	free(g->scratch);
	wl_set_free(g->set);
	free(g);
}

int
wl_pub_init(struct wl_pub *p, struct wl_gen *first, unsigned int n_workers,
            const char *const *paths, size_t n_paths, const struct wl_load_opts *o)
{
	size_t sz = rte_rcu_qsbr_get_memsize(n_workers > 0 ? n_workers : 1);

	memset(p, 0, sizeof(*p));
	/* the QSBR variable wants cache-line alignment, and its size is a multiple of it */
	p->qs = aligned_alloc(RTE_CACHE_LINE_SIZE, sz);
	if (p->qs == NULL || rte_rcu_qsbr_init(p->qs, n_workers > 0 ? n_workers : 1) != 0) {
		free(p->qs);
		p->qs = NULL;
		return -1;
	}
	p->cur = first;
	p->n_workers = n_workers;
	p->paths = paths;
	p->n_paths = n_paths;
	p->opts = *o;
	return 0;
}

void
wl_pub_fini(struct wl_pub *p)
{
	wl_gen_free(p->cur);
	p->cur = NULL;
	free(p->qs);
	p->qs = NULL;
}

void
wl_pub_worker_online(struct wl_pub *p, unsigned int idx)
{
	rte_rcu_qsbr_thread_register(p->qs, idx);
	rte_rcu_qsbr_thread_online(p->qs, idx);
}

void
wl_pub_worker_offline(struct wl_pub *p, unsigned int idx)
{
	rte_rcu_qsbr_thread_offline(p->qs, idx);
	rte_rcu_qsbr_thread_unregister(p->qs, idx);
}

int
wl_pub_reload(struct wl_pub *p, struct wl_diags *d)
{
	struct wl_diags own = { 0 };
	struct wl_gen *g, *old;
	uint64_t token, t0 = clock_ns(CLOCK_MONOTONIC), t1;
	struct timespec nap = { 0, 200000 };
	const struct wl_diag *e;

	if (d == NULL) {
		d = &own;
	}
	g = wl_gen_build(p->paths, p->n_paths, &p->opts, p->n_workers, p->cur->id + 1, d);
	if (g == NULL) {
		p->reload_failed++;
		e = wl_diags_first_error(d);
		if (e != NULL) {
			wl_diag_format(e, p->last_reload_error, sizeof(p->last_reload_error));
		} else {
			snprintf(p->last_reload_error, sizeof(p->last_reload_error),
			         "out of memory");
		}
		wl_diags_clear(&own);
		return -1;
	}
	t1 = clock_ns(CLOCK_MONOTONIC);
	old = p->cur;
	__atomic_store_n(&p->cur, g, __ATOMIC_RELEASE);
	/* every worker that was online has passed a quiescent point after the store */
	token = rte_rcu_qsbr_start(p->qs);
	while (rte_rcu_qsbr_check(p->qs, token, false) == 0) {
		nanosleep(&nap, NULL);
	}
	p->last_wait_ns = clock_ns(CLOCK_MONOTONIC) - t1;
	wl_gen_free(old);
	p->reloads++;
	p->last_reload_s = (double)(t1 - t0) / 1e9;
	p->last_reload_error[0] = 0;
	wl_diags_clear(&own);
	return 0;
}
