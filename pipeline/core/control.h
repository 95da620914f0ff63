/*
 * The control thread: reloads (SIGHUP, feedwatch ctl, the watchlist folder
 * changing) and everything an operator asks a running feedwatch, off the
 * data path: the control socket (feedwatch ctl), the Prometheus endpoint (on
 * a thread of its own, so a scrape never waits for a reload's compile) and
 * the view DPDK telemetry's /feedwatch/ commands render.
 */
#ifndef FW_CONTROL_H
#define FW_CONTROL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/wl_gen.h"
#include "ctl/metrics.h"
#include "ctl/stats.h"

struct alert_out;
struct ctl_server;
struct wl_diags;
struct wl_watch;

/* Set by the SIGHUP handler; the control thread reloads and clears it. */
extern volatile sig_atomic_t control_reload_asked;

struct control {
	/* set by the caller before control_start() */
	struct alert_out *out;
	struct stats_src src; /* every thread's counters */
	uint16_t ports[METRICS_MAX_PORTS];
	unsigned int n_ports;
	const char *node;
	/* the control thread's own */
	struct wl_pub *pub;
	struct stats_rate rate;
	struct ctl_server *ctl;
	struct metrics_http *http;
	struct wl_watch *watch;
	const char *wl_dir;
	uint64_t start_unix;
	pthread_mutex_t mu; /* guards rate and wl, which other threads' views copy */
	struct metrics_watchlists wl;
	pthread_rwlock_t view_lock; /* views read; control_stop() closes them out */
	bool view_ok, closed;
	pthread_key_t key; /* each viewing thread's buffers for clients and ports */
	bool key_ok;
	volatile bool stop;
	pthread_t thread;
	bool started;
	pthread_t http_thread; /* Prometheus scrapes, apart from reloads */
	bool http_started;
};

/*
 * Start the control thread for <pub>: the control socket, the Prometheus
 * listener (telemetry.prometheus) and the watchlist folder watch as <cfg>
 * says. A listener that cannot be opened is logged and -1 returned (the
 * operator asked for it: feedwatch does not run without it). 0 otherwise.
 */
int control_start(struct control *ctl, struct wl_pub *pub, const struct fw_config *cfg);

/* Stop the thread and close what it opened. Safe to call twice, or after a failed start. */
void control_stop(struct control *ctl);

/*
 * The metrics_view_fn of <arg> (a struct control): fills <v> with buffers
 * owned by the calling thread, valid until its next call. Any thread.
 */
int control_view(void *arg, struct metrics_view *v);

/* Hyperscan's version, without the trailing space Vectorscan gives it. Call once before threads. */
const char *control_hs_version(void);

/* Log each of <d>'s diagnostics (errors as errors, warnings as info). */
void control_log_diags(const struct wl_diags *d);

#endif
