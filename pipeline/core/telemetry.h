/*
 * feedwatch's counters in DPDK telemetry: commands under /feedwatch/ on the
 * EAL's telemetry socket (<runtime dir>/dpdk_telemetry.v2), so that
 * `dpdk-telemetry.py -f <file-prefix>` and anything speaking its JSON reach
 * the same view as `feedwatch ctl stats` and the Prometheus endpoint.
 *
 *   /feedwatch/stats[,<source>]  counters summed over every source, or one
 *                                source's ("worker0"): {name: u64}; an unknown
 *                                source answers null
 *   /feedwatch/sources           the source names: [string]
 *   /feedwatch/rates             per-second rates of the summed counters,
 *                                rounded to u64 (22.11 dicts hold no double);
 *                                {} before the first second; gauges left out
 *   /feedwatch/ports             {port index: {name, rx_packets, rx_bytes,
 *                                rx_missed, rx_errors, rx_nombuf}}
 *   /feedwatch/clients           {client id: {peer, state, sent_seq, lag_alerts,
 *                                lag_bytes, skipped, replayed, sent_bytes}};
 *                                past TELEMETRY_MAX_CLIENTS a "truncated" entry
 *                                counts those left out; "unknown" when the
 *                                writer did not answer in time
 *   /feedwatch/watchlists        {generation, watchlists, terms, db_bytes,
 *                                reloads, reload_failures, last_reload_us,
 *                                last_reload_unix, last_reload_error}
 *   /feedwatch/info              {version, dpdk, hyperscan, node, start_unix}
 *
 * Strings are ASCII, each other character shown as '?' (DPDK 22.11's JSON
 * writer mangles bytes of 0x80 and up), cut at RTE_TEL_MAX_STRING_LEN - 1
 * bytes: a long or non-ASCII reload error is whole only in Prometheus and
 * ctl stats.
 */
#ifndef FW_TELEMETRY_H
#define FW_TELEMETRY_H

#include "ctl/metrics.h"

/*
 * Clients listed by /feedwatch/clients: the reply must fit telemetry's 16 KiB
 * output buffer (~200 bytes a client), or DPDK drops entries silently.
 */
#define TELEMETRY_MAX_CLIENTS 64

/*
 * Register the /feedwatch/ commands. Their callbacks run on DPDK's telemetry
 * threads (one per connected client, so several at once): each calls
 * <fn>(<arg>, &view), which must be safe to call from any thread, and
 * builds its reply from the view before the next call. Call once, after rte_eal_init() (or before:
 * commands registered early are served once the socket is up); <fn> and <arg>
 * must stay valid until telemetry_unregister() (DPDK itself cannot
 * unregister a command). Returns 0, or the -errno of the
 * first command DPDK refused.
 */
int telemetry_register(metrics_view_fn *fn, void *arg);

/*
 * Stop calling the function given to telemetry_register(): waits for a
 * callback in progress, and after it returns the commands answer null. Call
 * before what <fn> reads is torn down (the control thread stopping). Any
 * thread; safe without a telemetry_register() or twice.
 */
void telemetry_unregister(void);

#endif
