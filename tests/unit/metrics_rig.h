/*
 * A fake metrics view shared by the metrics, stats and telemetry suites: every
 * counter of source i is (i + 1) * 1000 + its index; two ports, two clients,
 * a watchlist generation and versions with fixed values.
 */
#ifndef FW_METRICS_RIG_H
#define FW_METRICS_RIG_H

#include "ctl/metrics.h"

struct fake {
	struct counters c[STATS_MAX_SOURCES];
	struct stats_src src;
	struct stats_rate rate;
	struct metrics_port ports[2];
	struct metrics_client clients[2];
	struct metrics_view v;
	int calls;
	int fail;
};

/* A view of <n_sources> sources: "writer", then "worker0", "worker1", ... */
void fake_init(struct fake *f, unsigned int n_sources);

/* The metrics_view_fn of a struct fake: counts the calls, fails when f->fail. */
int fake_view(void *arg, struct metrics_view *v);

/* Lines of <text> equal to <line> (whole lines). */
int count_lines(const char *text, const char *line);

#endif
