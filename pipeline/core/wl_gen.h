/*
 * Watchlist generations and their hot reload. A generation is one compiled
 * watchlist set plus one Hyperscan scratch per worker. The control thread
 * builds the next generation off the data path, publishes it with one
 * atomic store, and frees the old one once rte_rcu_qsbr shows that every
 * worker has passed a quiescent point (the end of a burst) since: a worker
 * never sees a generation freed under it, and never waits for the control
 * thread. Every item is matched by exactly one generation: the one its
 * worker held when the item closed.
 */
#ifndef FW_WL_GEN_H
#define FW_WL_GEN_H

#include <rte_rcu_qsbr.h>
#include <stdbool.h>
#include <stdint.h>

#include "match/watchlist.h"

struct wl_gen {
	struct wl_set *set;
	struct wl_scratch **scratch; /* [n], one per worker */
	unsigned int n;
	uint64_t id; /* 1 for the first generation, +1 per successful reload */
};

/* What the workers read, and what the control thread keeps about reloads. */
struct wl_pub {
	struct wl_gen *cur; /* read with __atomic_load_n(ACQUIRE) */
	struct rte_rcu_qsbr *qs;
	unsigned int n_workers;
	/* control thread only */
	const char *const *paths;
	size_t n_paths;
	struct wl_load_opts opts;
	uint64_t reloads;             /* successful */
	uint64_t reload_failed;       /* rejected: the running generation stayed */
	double last_reload_s;         /* seconds the last successful build took */
	uint64_t last_wait_ns;        /* how long the last retirement waited for the workers */
	char last_reload_error[1024]; /* empty when the last reload succeeded */
};

/*
 * Builds generation <id> from <paths> for <n_workers> workers. Problems go to
 * <d>. NULL on any error. Control plane.
 */
struct wl_gen *wl_gen_build(const char *const *paths, size_t n_paths, const struct wl_load_opts *o,
                            unsigned int n_workers, uint64_t id, struct wl_diags *d);

/* Frees <g>: its scratches and its set. Accepts NULL. */
void wl_gen_free(struct wl_gen *g);

/*
 * Sets up <p> for <n_workers> workers (thread ids 0 .. n_workers-1) with
 * <first> as the current generation; <paths>, <n_paths> and <o> must outlive
 * <p>. 0, or -1 on ENOMEM.
 */
int wl_pub_init(struct wl_pub *p, struct wl_gen *first, unsigned int n_workers,
                const char *const *paths, size_t n_paths, const struct wl_load_opts *o);

/* Frees the current generation and the QSBR variable; workers must have stopped. */
void wl_pub_fini(struct wl_pub *p);

/* Worker <idx> joins (before its loop) and leaves (after its last scan). */
void wl_pub_worker_online(struct wl_pub *p, unsigned int idx);
void wl_pub_worker_offline(struct wl_pub *p, unsigned int idx);

/* The generation worker <idx> should use now. Data path: one atomic load. */
static inline const struct wl_gen *
wl_pub_current(const struct wl_pub *p)
{
	return __atomic_load_n(&p->cur, __ATOMIC_ACQUIRE);
}

/* Worker <idx> holds no reference into any generation (end of a burst). Data path. */
static inline void
wl_pub_quiescent(struct wl_pub *p, unsigned int idx)
{
	rte_rcu_qsbr_quiescent(p->qs, idx);
}

/*
 * Rebuild from the same paths and publish; on any problem the running
 * generation stays and the reason is kept in last_reload_error. <d>
 * receives every problem (may be NULL). Blocks the calling (control) thread
 * until the old generation is retired. Returns 0 or -1.
 */
int wl_pub_reload(struct wl_pub *p, struct wl_diags *d);

#endif
