/*
 * `feedwatch ctl stats`: every counter, summed and per source (each worker,
 * the writer, the NATS sink, the spreading RX lcore), with rates over the
 * last second, as a table for people or one JSON object (--json). The
 * sources are other threads' counters, read while they run: each value is
 * one aligned 64-bit word, so a read is never torn, only a moment old.
 * Control thread only.
 */
#ifndef FW_STATS_H
#define FW_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "ctl/ctl.h"

#define STATS_MAX_SOURCES 72

struct stats_src {
	const struct counters *c[STATS_MAX_SOURCES];
	char name[STATS_MAX_SOURCES][24]; /* "worker0", "writer", "nats", "spreader" */
	unsigned int n;
};

/* Per-second rates of the summed counters, from samples at least a second apart. */
struct stats_rate {
	struct counters prev;
	uint64_t prev_ns; /* 0: no sample yet */
	double per_s[CNT__MAX];
	bool have;
};

/* Add source <c> named <name> (ignored past STATS_MAX_SOURCES or when <c> is NULL). */
void stats_add(struct stats_src *s, const char *name, const struct counters *c);

/* Every source summed into <out>. */
void stats_sum(const struct stats_src *s, struct counters *out);

/* Take a sample if a second has passed since the last one (CLOCK_MONOTONIC <now_ns>). */
void stats_tick(struct stats_rate *r, const struct stats_src *s, uint64_t now_ns);

struct metrics_view;

/*
 * Write view <v> (ctl/metrics.h) to <r>. With <json>, one object:
 *   "counters":   {every counter: total over the sources}
 *   "rates":      {counter: per second, the non-zero ones; {} before the first second}
 *   "sources":    {source name: {counter: value, the non-zero ones}}
 *   "ports":      {port index: {"name", "rx_packets", "rx_bytes", "rx_missed",
 *                 "rx_errors", "rx_nombuf"}}
 *   "clients":    {client id: {"peer", "state", "sent_seq", "lag_alerts", "lag_bytes",
 *                 "skipped", "replayed", "sent_bytes"}} ({} when unknown)
 *   "alert":      {"last_seq", "clients" (a count, or null when the writer did not
 *                 answer in time)}
 *   "watchlists": {"generation", "watchlists", "terms", "db_bytes", "reloads",
 *                 "reload_failures", "last_reload_s", "last_reload_unix",
 *                 "last_reload_error" ("" when the last reload succeeded)}
 *   "info":       {"version", "dpdk", "hyperscan", "node", "start_unix"}
 * Otherwise a table of the non-zero counters (total, rate, and one column per
 * source when there is more than one worker), then the ports, the watchlists
 * and the alert clients with their lag. Control thread (or any thread that
 * owns <v>).
 */
void stats_print(const struct metrics_view *v, bool json, struct ctl_reply *r);

#endif
