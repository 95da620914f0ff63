#include "core/telemetry.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "core/utf8.h"

/*
 * DPDK's callbacks take no argument, so the view function lives here. The
 * lock lets telemetry_unregister() wait out a command still reading a view.
 */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static metrics_view_fn *view_fn;
static void *view_arg;

/*
 * <s> made safe for a telemetry string: ASCII only, each other character (or
 * broken byte) one '?', cut to fit. DPDK 22.11's JSON writer
 * (__json_format_str) indexes its escape table with a signed char, so a byte
 * of 0x80 or more comes out as a stray escape or garbage, not as itself.
 */
static const char *
cut(const char *s, char out[RTE_TEL_MAX_STRING_LEN])
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = strlen((const char *)p), i = 0, o = 0, run;

	while (i < n && o + 1 < RTE_TEL_MAX_STRING_LEN) {
		run = utf8_len(p + i, n - i);
		out[o++] = run == 1 ? (char)p[i] : '?';
		i += run == 0 ? 1 : run;
	}
	out[o] = 0;
	return out;
}

/* <d> becomes a dict; <val> is freed whether or not it could be added. */
static int
add_dict(struct rte_tel_data *d, const char *name, struct rte_tel_data *val)
{
	int rc = rte_tel_data_add_dict_container(d, name, val, 0);

	if (rc != 0) {
		rte_tel_data_free(val);
	}
	return rc;
}

/* One command's reply from <v>: 0, or a negative errno (DPDK then answers null). */
typedef int fill_fn(const struct metrics_view *v, const char *params, struct rte_tel_data *d);

static int
fill_stats(const struct metrics_view *v, const char *params, struct rte_tel_data *d)
{
	struct counters c;
	unsigned int i;
	int k;

	memset(&c, 0, sizeof(c));
	for (i = 0; v->src != NULL && i < v->src->n; i++) {
		if (params == NULL || params[0] == 0) {
			counters_sum(&c, v->src->c[i]);
		} else if (strcmp(v->src->name[i], params) == 0) {
			break;
		}
	}
	if (params != NULL && params[0] != 0) {
		if (v->src == NULL || i == v->src->n) {
			return -EINVAL;
		}
		c = *v->src->c[i];
	}
	rte_tel_data_start_dict(d);
	for (k = 0; k < CNT__MAX; k++) {
		rte_tel_data_add_dict_u64(d, counters_name(k), c.v[k]);
	}
	return 0;
}

static int
fill_sources(const struct metrics_view *v, const char *params, struct rte_tel_data *d)
{
	unsigned int i;

	(void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (i = 0; v->src != NULL && i < v->src->n; i++) {
		rte_tel_data_add_array_string(d, v->src->name[i]);
	}
	return 0;
}

static int
fill_rates(const struct metrics_view *v, const char *params, struct rte_tel_data *d)
{
	int k;

	(void)params;
	rte_tel_data_start_dict(d);
	for (k = 0; v->rate != NULL && v->rate->have && k < CNT__MAX; k++) {
		double r = v->rate->per_s[k];

		if (!metrics_is_gauge(k)) {
			rte_tel_data_add_dict_u64(d, counters_name(k),
			                          isfinite(r) && r > 0 ? (uint64_t)llround(r) : 0);
		}
	}
	return 0;
}

static int
fill_ports(const struct metrics_view *v, const char *params, struct rte_tel_data *d)
{
	char key[16], s[RTE_TEL_MAX_STRING_LEN];
	unsigned int i;

	(void)params;
	rte_tel_data_start_dict(d);
	for (i = 0; v->ports != NULL && i < v->n_ports; i++) {
		const struct metrics_port *port = &v->ports[i];
		struct rte_tel_data *p = rte_tel_data_alloc();

		if (p == NULL) {
			return -ENOMEM;
		}
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_string(p, "name", cut(port->name, s));
		rte_tel_data_add_dict_u64(p, "rx_packets", port->ipackets);
		rte_tel_data_add_dict_u64(p, "rx_bytes", port->ibytes);
		rte_tel_data_add_dict_u64(p, "rx_missed", port->imissed);
		rte_tel_data_add_dict_u64(p, "rx_errors", port->ierrors);
		rte_tel_data_add_dict_u64(p, "rx_nombuf", port->rx_nombuf);
		snprintf(key, sizeof(key), "%u", i);
		add_dict(d, key, p);
	}
	return 0;
}

static int
fill_clients(const struct metrics_view *v, const char *params, struct rte_tel_data *d)
{
	char key[16], s[RTE_TEL_MAX_STRING_LEN];
	unsigned int i, n;

	(void)params;
	rte_tel_data_start_dict(d);
	if (!v->clients_known || (v->clients == NULL && v->n_clients > 0)) {
		rte_tel_data_add_dict_string(d, "unknown", "the writer did not answer in time");
		return 0;
	}
	n = v->n_clients < TELEMETRY_MAX_CLIENTS ? v->n_clients : TELEMETRY_MAX_CLIENTS;
	for (i = 0; i < n; i++) {
		const struct metrics_client *cl = &v->clients[i];
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (c == NULL) {
			return -ENOMEM;
		}
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "peer", cut(cl->peer, s));
		rte_tel_data_add_dict_string(c, "state", cut(cl->state, s));
		rte_tel_data_add_dict_u64(c, "sent_seq", cl->sent_to);
		rte_tel_data_add_dict_u64(c, "lag_alerts", cl->lag_alerts);
		rte_tel_data_add_dict_u64(c, "lag_bytes", cl->lag_bytes);
		rte_tel_data_add_dict_u64(c, "skipped", cl->skipped);
		rte_tel_data_add_dict_u64(c, "replayed", cl->replayed);
		rte_tel_data_add_dict_u64(c, "sent_bytes", cl->bytes_sent);
		snprintf(key, sizeof(key), "%u", cl->id);
		add_dict(d, key, c);
	}
	if (v->n_clients > n) {
		rte_tel_data_add_dict_u64(d, "truncated", v->n_clients - n);
	}
	return 0;
}

static int
fill_watchlists(const struct metrics_view *v, const char *params, struct rte_tel_data *d)
{
	const struct metrics_watchlists *w = &v->wl;
	char s[RTE_TEL_MAX_STRING_LEN];

	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "generation", w->generation);
	rte_tel_data_add_dict_u64(d, "watchlists", w->watchlists);
	rte_tel_data_add_dict_u64(d, "terms", w->terms);
	rte_tel_data_add_dict_u64(d, "db_bytes", w->db_bytes);
	rte_tel_data_add_dict_u64(d, "reloads", w->reloads);
	rte_tel_data_add_dict_u64(d, "reload_failures", w->reload_failed);
	rte_tel_data_add_dict_u64(d, "last_reload_us",
	                          isfinite(w->last_reload_s) && w->last_reload_s > 0
	                                  ? (uint64_t)llround(w->last_reload_s * 1e6)
	                                  : 0);
	rte_tel_data_add_dict_u64(d, "last_reload_unix", w->last_reload_unix);
	rte_tel_data_add_dict_string(d, "last_reload_error", cut(w->last_reload_error, s));
	return 0;
}

static int
fill_info(const struct metrics_view *v, const char *params, struct rte_tel_data *d)
{
	char s[RTE_TEL_MAX_STRING_LEN];

	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", cut(v->version, s));
	rte_tel_data_add_dict_string(d, "dpdk", cut(v->dpdk_version, s));
	rte_tel_data_add_dict_string(d, "hyperscan", cut(v->hs_version, s));
	rte_tel_data_add_dict_string(d, "node", cut(v->node, s));
	rte_tel_data_add_dict_u64(d, "start_unix", v->start_unix);
	return 0;
}

/* DPDK 22.11 refuses help texts of 64 bytes or more */
static const struct {
	const char *cmd;
	fill_fn *fill;
	const char *help;
} cmds[] = {
	{ "/feedwatch/stats", fill_stats, "Counters, summed or of one source. Param: source" },
	{ "/feedwatch/sources", fill_sources, "Sources of counters (threads)" },
	{ "/feedwatch/rates", fill_rates, "Counters per second (rounded), summed" },
	{ "/feedwatch/ports", fill_ports, "Capture ports: packets, bytes, drops" },
	{ "/feedwatch/clients", fill_clients, "Alert stream clients and their lag" },
	{ "/feedwatch/watchlists", fill_watchlists, "Watchlist generation and reloads" },
	{ "/feedwatch/info", fill_info, "Versions, node name, start time" },
};

/*
 * Every command: the view is taken and the reply built from it under the
 * lock (rte_tel_data copies each value), so telemetry_unregister() waits for
 * a reply in progress and nothing the view points to is read after.
 */
static int
on_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct metrics_view v;
	unsigned int i;
	int rc = -EINVAL;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmds[i].cmd, cmd) == 0) {
			break;
		}
	}
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		return rc;
	}
	pthread_rwlock_rdlock(&lock);
	memset(&v, 0, sizeof(v));
	if (view_fn == NULL || view_fn(view_arg, &v) != 0) {
		rc = -EAGAIN;
	} else {
		rc = cmds[i].fill(&v, params, d);
	}
	pthread_rwlock_unlock(&lock);
	return rc;
}

int
telemetry_register(metrics_view_fn *fn, void *arg)
{
	unsigned int i;
	int rc;

	pthread_rwlock_wrlock(&lock);
	view_fn = fn;
	view_arg = arg;
	pthread_rwlock_unlock(&lock);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		rc = rte_telemetry_register_cmd(cmds[i].cmd, on_cmd, cmds[i].help);
		if (rc != 0) {
			return rc < 0 ? rc : -rc;
		}
	}
	return 0;
}

void
telemetry_unregister(void)
{
	pthread_rwlock_wrlock(&lock);
	view_fn = NULL;
	view_arg = NULL;
	pthread_rwlock_unlock(&lock);
}
