#include "core/control.h"

#include <hs/hs.h>
#include <nats/nats.h>
#include <poll.h>
#include <rte_ethdev.h>
#include <rte_version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert/alert_out.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/port.h"
#include "ctl/ctl.h"
#include "ctl/wl_watch.h"
#include "match/watchlist.h"

/* How long a view waits for the alert writer's snapshot of its clients. */
#define CLIENTS_WAIT_MS 200

volatile sig_atomic_t control_reload_asked;

const char *
control_hs_version(void)
{
	static char v[64];

	if (v[0] == '\0') {
		size_t n;

		snprintf(v, sizeof(v), "%s", hs_version());
		n = strlen(v);
		while (n > 0 && v[n - 1] == ' ') {
			v[--n] = '\0'; /* Vectorscan's version string ends in a space */
		}
	}
	return v;
}

/* What a thread's views point into: its own, so views on several threads never share. */
struct view_bufs {
	struct metrics_client *clients;
	uint32_t cap;
	struct metrics_port ports[METRICS_MAX_PORTS];
	struct stats_rate rate;
};

void
control_log_diags(const struct wl_diags *d)
{
	char line[1400];
	uint32_t i;

	for (i = 0; i < d->n; i++) {
		wl_diag_format(&d->v[i], line, sizeof(line));
		if (d->v[i].warning) {
			log_info("%s", line);
		} else {
			log_err("%s", line);
		}
	}
}

/* The running generation as views show it; control thread. */
static void
wl_snapshot(struct control *ctl, bool reloaded)
{
	const struct wl_gen *g = ctl->pub->cur;

	pthread_mutex_lock(&ctl->mu);
	ctl->wl.generation = g->id;
	ctl->wl.watchlists = wl_set_count(g->set);
	ctl->wl.terms = wl_set_terms(g->set);
	ctl->wl.db_bytes = wl_set_db_bytes(g->set);
	ctl->wl.reloads = ctl->pub->reloads;
	ctl->wl.reload_failed = ctl->pub->reload_failed;
	if (reloaded) {
		ctl->wl.last_reload_s =
		        ctl->pub->reloads > 0 ? ctl->pub->last_reload_s : wl_set_compile_s(g->set);
		ctl->wl.last_reload_unix = (uint64_t)time(NULL);
	}
	snprintf(ctl->wl.last_reload_error, sizeof(ctl->wl.last_reload_error), "%s",
	         ctl->pub->last_reload_error);
	pthread_mutex_unlock(&ctl->mu);
}

/* One reload, whatever asked for it; <r> (may be NULL) gets the outcome for feedwatch ctl. */
static int
control_reload(struct control *ctl, const char *why, struct ctl_reply *r)
{
	struct wl_diags d = { 0 };
	const struct wl_gen *g;
	uint32_t i;
	int rc;

	rc = wl_pub_reload(ctl->pub, &d);
	g = ctl->pub->cur;
	wl_snapshot(ctl, rc == 0);
	if (rc == 0) {
		log_info("watchlists reloaded (%s): generation %llu, %u watchlists, %u terms, "
		         "built in %.3f s%s, old generation retired after %.3f ms",
		         why, (unsigned long long)g->id, wl_set_count(g->set), wl_set_terms(g->set),
		         ctl->pub->last_reload_s, wl_set_from_cache(g->set) ? " (cached)" : "",
		         (double)ctl->pub->last_wait_ns / 1e6);
	} else {
		log_err("watchlist reload (%s) rejected, generation %llu keeps running: %s", why,
		        (unsigned long long)g->id, ctl->pub->last_reload_error);
	}
	control_log_diags(&d);
	if (r != NULL) {
		char line[1400];

		for (i = 0; i < d.n; i++) {
			ctl_reply_printf(r, "%s\n", wl_diag_format(&d.v[i], line, sizeof(line)));
		}
		if (rc == 0) {
			ctl_reply_printf(
			        r, "reloaded: generation %llu, %u watchlists, %u terms, %.3f s\n",
			        (unsigned long long)g->id, wl_set_count(g->set),
			        wl_set_terms(g->set), ctl->pub->last_reload_s);
		} else {
			ctl_reply_printf(r, "rejected: generation %llu keeps running\n",
			                 (unsigned long long)g->id);
		}
	}
	wl_diags_clear(&d);
	return rc == 0 ? 0 : 1;
}

static int
on_ctl(void *arg, const char *cmd, struct ctl_reply *r)
{
	struct control *ctl = arg;
	const struct wl_gen *g = ctl->pub->cur;
	uint32_t i;

	if (strcmp(cmd, "reload") == 0) {
		return control_reload(ctl, "feedwatch ctl", r);
	}
	if (strcmp(cmd, "watchlists") == 0) {
		ctl_reply_printf(r, "generation %llu: %u watchlists, %u terms, %zu bytes%s\n",
		                 (unsigned long long)g->id, wl_set_count(g->set),
		                 wl_set_terms(g->set), wl_set_db_bytes(g->set),
		                 wl_set_from_cache(g->set) ? " (from the cache)" : "");
		for (i = 0; i < wl_set_count(g->set); i++) {
			const struct wl_info *in = wl_set_info(g->set, i);

			ctl_reply_printf(r, "  %-32s %-8s %6u terms  %s\n", in->name, in->severity,
			                 in->n_terms, in->file);
		}
		ctl_reply_printf(r, "reloads: %llu, rejected: %llu, last_reload_error: %s\n",
		                 (unsigned long long)ctl->pub->reloads,
		                 (unsigned long long)ctl->pub->reload_failed,
		                 ctl->pub->last_reload_error[0] != 0 ? ctl->pub->last_reload_error
		                                                     : "none");
		return 0;
	}
	if (strcmp(cmd, "clients") == 0) {
		static char text[1 << 20];

		if (ctl->out == NULL) {
			ctl_reply_printf(r, "no alert stream yet\n");
			return 1;
		}
		alert_out_describe(ctl->out, text, sizeof(text), 1000);
		ctl_reply_printf(r, "%s", text);
		return 0;
	}
	if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "stats --json") == 0) {
		struct metrics_view v;

		if (control_view(ctl, &v) != 0) {
			ctl_reply_printf(r, "out of memory\n");
			return 1;
		}
		stats_print(&v, cmd[5] != '\0', r);
		return 0;
	}
	if (strcmp(cmd, "version") == 0) {
		ctl_reply_printf(r, "feedwatch %s, pid %d, %s, hyperscan %s, libnats %s\n",
		                 FEEDWATCH_VERSION, (int)getpid(), rte_version(),
		                 control_hs_version(), nats_GetVersion());
		return 0;
	}
	ctl_reply_printf(r, "unknown command '%s' (reload, watchlists, clients, stats, version)\n",
	                 cmd);
	return 2;
}

static void *
control_main(void *arg)
{
	struct control *ctl = arg;

	while (!ctl->stop) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		int timeout = 50;
		uint64_t now;

		if (ctl->ctl != NULL) {
			pfd[n].fd = ctl_fd(ctl->ctl);
			pfd[n++].events = POLLIN;
		}
		if (ctl->watch != NULL) {
			pfd[n].fd = wl_watch_fd(ctl->watch);
			pfd[n++].events = POLLIN;
		}
		poll(pfd, n, timeout);
		pthread_mutex_lock(&ctl->mu);
		stats_tick(&ctl->rate, &ctl->src, clock_ns(CLOCK_MONOTONIC));
		pthread_mutex_unlock(&ctl->mu);
		if (ctl->ctl != NULL) {
			ctl_poll(ctl->ctl, 0, on_ctl, ctl);
		}
		if (control_reload_asked) {
			control_reload_asked = 0;
			control_reload(ctl, "SIGHUP", NULL);
		}
		now = clock_ns(CLOCK_MONOTONIC) / 1000000u;
		if (ctl->watch != NULL && wl_watch_changed(ctl->watch, now)) {
			if (wl_watch_dir_gone(ctl->watch)) {
				log_err("%s was removed or moved: no more reloads on change; the "
				        "running watchlists stay",
				        ctl->wl_dir);
				wl_watch_close(ctl->watch);
				ctl->watch = NULL;
			} else {
				control_reload(ctl, "a file changed", NULL);
			}
		}
	}
	return NULL;
}

static void
free_bufs(void *p)
{
	struct view_bufs *b = p;

	if (b != NULL) {
		free(b->clients);
		free(b);
	}
}

static int
fill_view(struct control *ctl, struct view_bufs *b, struct metrics_view *v)
{
	uint32_t max = ctl->out != NULL ? alert_out_clients(ctl->out) + 16 : 0, n = 0;
	unsigned int i;

	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL || !ctl->key_ok || pthread_setspecific(ctl->key, b) != 0) {
			free(b);
			return -1;
		}
	}
	if (max > b->cap) {
		struct metrics_client *c = realloc(b->clients, (size_t)max * sizeof(*c));

		if (c == NULL) {
			return -1;
		}
		b->clients = c;
		b->cap = max;
	}
	memset(v, 0, sizeof(*v));
	v->src = &ctl->src;
	pthread_mutex_lock(&ctl->mu);
	b->rate = ctl->rate;
	v->wl = ctl->wl;
	pthread_mutex_unlock(&ctl->mu);
	v->rate = &b->rate;
	for (i = 0; i < ctl->n_ports; i++) {
		struct rte_eth_stats st;
		struct metrics_port *p = &b->ports[i];

		memset(p, 0, sizeof(*p));
		if (rte_eth_dev_get_name_by_port(ctl->ports[i], p->name) != 0) {
			snprintf(p->name, sizeof(p->name), "port%u", ctl->ports[i]);
		}
		if (rte_eth_stats_get(ctl->ports[i], &st) == 0) {
			uint64_t drops;

			if (port_kernel_drops(ctl->ports[i], &drops) == 0) {
				st.imissed += drops; /* net_af_packet: the kernel ring's */
			}
			p->ipackets = st.ipackets;
			p->ibytes = st.ibytes;
			p->imissed = st.imissed;
			p->ierrors = st.ierrors;
			p->rx_nombuf = st.rx_nombuf;
		}
	}
	v->ports = b->ports;
	v->n_ports = ctl->n_ports;
	if (ctl->out != NULL) {
		v->clients_known = alert_out_snapshot(ctl->out, b->clients, b->cap, &n,
		                                      &v->last_seq, CLIENTS_WAIT_MS) >= 0;
	}
	v->clients = b->clients;
	v->n_clients = n;
	v->version = FEEDWATCH_VERSION;
	v->dpdk_version = rte_version();
	v->hs_version = control_hs_version();
	v->node = ctl->node != NULL ? ctl->node : "";
	v->start_unix = ctl->start_unix;
	return 0;
}

int
control_view(void *arg, struct metrics_view *v)
{
	struct control *ctl = arg;
	struct view_bufs *b = ctl->key_ok ? pthread_getspecific(ctl->key) : NULL;
	int rc;

	pthread_rwlock_rdlock(&ctl->view_lock);
	if (ctl->closed) {
		pthread_rwlock_unlock(&ctl->view_lock);
		return -1;
	}
	rc = fill_view(ctl, b, v);
	pthread_rwlock_unlock(&ctl->view_lock);
	return rc;
}

/*
 * Prometheus scrapes on a thread of their own: the control thread can be
 * compiling a watchlist reload for seconds, and a scrape must not wait for it.
 */
static void *
metrics_main(void *arg)
{
	struct control *ctl = arg;

	while (!ctl->stop) {
		struct pollfd pfd = { metrics_http_fd(ctl->http), POLLIN, 0 };

		poll(&pfd, 1, 50);
		metrics_http_poll(ctl->http, control_view, ctl);
	}
	return NULL;
}

int
control_start(struct control *ctl, struct wl_pub *pub, const struct fw_config *cfg)
{
	char *err = NULL;

	ctl->pub = pub;
	ctl->wl_dir = cfg->watchlist_dir;
	ctl->start_unix = (uint64_t)time(NULL);
	pthread_mutex_init(&ctl->mu, NULL);
	pthread_rwlock_init(&ctl->view_lock, NULL);
	ctl->view_ok = true;
	ctl->key_ok = pthread_key_create(&ctl->key, free_bufs) == 0;
	wl_snapshot(ctl, true);
	if (cfg->control_path != NULL && cfg->control_path[0] != 0) {
		ctl->ctl = ctl_open(cfg->control_path, cfg->control_mode,
		                    cfg->control_group[0] != 0 ? cfg->control_group : NULL, &err);
		if (ctl->ctl == NULL) {
			log_err("control socket: %s", err);
			free(err);
			return -1;
		}
	}
	if (cfg->prometheus[0] != 0) {
		ctl->http = metrics_http_open(cfg->prometheus, &err);
		if (ctl->http == NULL) {
			log_err("telemetry.prometheus %s: %s", cfg->prometheus, err);
			free(err);
			return -1;
		}
		log_info("Prometheus metrics on http://%s/metrics", cfg->prometheus);
	}
	if (cfg->wl_watch) {
		ctl->watch = wl_watch_open(cfg->watchlist_dir, &err);
		if (ctl->watch == NULL) {
			log_err("watching %s: %s (reload with SIGHUP or feedwatch ctl reload)",
			        cfg->watchlist_dir, err);
			free(err);
		}
	}
	ctl->started = pthread_create(&ctl->thread, NULL, control_main, ctl) == 0;
	if (!ctl->started) {
		log_err("cannot start the control thread");
		return -1;
	}
	if (ctl->http != NULL) {
		ctl->http_started = pthread_create(&ctl->http_thread, NULL, metrics_main, ctl) == 0;
		if (!ctl->http_started) {
			log_err("cannot start the Prometheus thread");
			return -1;
		}
	}
	return 0;
}

void
control_stop(struct control *ctl)
{
	/* telemetry's threads may be in a view: let them finish, and none start after */
	if (ctl->view_ok) {
		pthread_rwlock_wrlock(&ctl->view_lock);
		ctl->closed = true;
		pthread_rwlock_unlock(&ctl->view_lock);
	}
	ctl->stop = true;
	if (ctl->started) {
		pthread_join(ctl->thread, NULL);
	}
	ctl->started = false;
	if (ctl->http_started) {
		pthread_join(ctl->http_thread, NULL);
	}
	ctl->http_started = false;
	ctl_close(ctl->ctl);
	ctl->ctl = NULL;
	metrics_http_close(ctl->http);
	ctl->http = NULL;
	wl_watch_close(ctl->watch);
	ctl->watch = NULL;
}
