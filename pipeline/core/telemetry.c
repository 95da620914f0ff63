#include "core/telemetry.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

/*
 * DPDK's callbacks take no argument, so the view function lives here. The
 * lock lets telemetry_unregister() wait out a callback still reading the view.
 */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static metrics_view_fn *view_fn;
static void *view_arg;

/* Fill <v> and hold the lock: the caller copies what it needs, then view_put(). */
static int
view_get(struct metrics_view *v)
{
	pthread_rwlock_rdlock(&lock);
	memset(v, 0, sizeof(*v));
	if (view_fn == NULL || view_fn(view_arg, v) != 0) {
		pthread_rwlock_unlock(&lock);
		return -EAGAIN;
	}
	return 0;
}

static void
view_put(void)
{
	pthread_rwlock_unlock(&lock);
}

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
		run = metrics_utf8_len(p + i, n - i);
		out[o++] = run == 1 ? (char)p[i] : '?';
		i += run == 0 ? 1 : run;
	}
	out[o] = 0;
	return out;
}

static bool
is_gauge(int k)
{
	unsigned int i;

	for (i = 0; metrics_gauge_name(i) != NULL; i++) {
		if (strcmp(metrics_gauge_name(i), counters_name(k)) == 0) {
			return true;
		}
	}
	return false;
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

static int
cb_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct counters c;
	struct metrics_view v;
	unsigned int i;
	int k, rc;

	(void)cmd;
	rc = view_get(&v);
	if (rc != 0) {
		return rc;
	}
	memset(&c, 0, sizeof(c));
	if (params == NULL || params[0] == 0) {
		for (i = 0; v.src != NULL && i < v.src->n; i++) {
			counters_sum(&c, v.src->c[i]);
		}
	} else {
		for (i = 0; v.src != NULL && i < v.src->n; i++) {
			if (strcmp(v.src->name[i], params) == 0) {
				c = *v.src->c[i];
				break;
			}
		}
		if (v.src == NULL || i == v.src->n) {
			view_put();
			return -EINVAL;
		}
	}
	view_put();
	rte_tel_data_start_dict(d);
	for (k = 0; k < CNT__MAX; k++) {
		rte_tel_data_add_dict_u64(d, counters_name(k), c.v[k]);
	}
	return 0;
}

static int
cb_sources(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct metrics_view v;
	unsigned int i;
	int rc;

	(void)cmd;
	(void)params;
	rc = view_get(&v);
	if (rc != 0) {
		return rc;
	}
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (i = 0; v.src != NULL && i < v.src->n; i++) {
		rte_tel_data_add_array_string(d, v.src->name[i]);
	}
	view_put();
	return 0;
}

static int
cb_rates(const char *cmd, const char *params, struct rte_tel_data *d)
{
	double per_s[CNT__MAX];
	struct metrics_view v;
	bool have;
	int k, rc;

	(void)cmd;
	(void)params;
	rc = view_get(&v);
	if (rc != 0) {
		return rc;
	}
	have = v.rate != NULL && v.rate->have;
	if (have) {
		memcpy(per_s, v.rate->per_s, sizeof(per_s));
	}
	view_put();
	rte_tel_data_start_dict(d);
	for (k = 0; have && k < CNT__MAX; k++) {
		if (!is_gauge(k)) {
			rte_tel_data_add_dict_u64(d, counters_name(k),
			                          isfinite(per_s[k]) && per_s[k] > 0
			                                  ? (uint64_t)llround(per_s[k])
			                                  : 0);
		}
	}
	return 0;
}

static int
cb_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct metrics_port ports[METRICS_MAX_PORTS];
	char key[16], s[RTE_TEL_MAX_STRING_LEN];
	struct metrics_view v;
	unsigned int i, n;
	int rc;

	(void)cmd;
	(void)params;
	rc = view_get(&v);
	if (rc != 0) {
		return rc;
	}
	n = v.ports != NULL ? v.n_ports : 0;
	n = n < METRICS_MAX_PORTS ? n : METRICS_MAX_PORTS;
	if (n > 0) {
		memcpy(ports, v.ports, n * sizeof(ports[0]));
	}
	view_put();
	rte_tel_data_start_dict(d);
	for (i = 0; i < n; i++) {
		struct rte_tel_data *p = rte_tel_data_alloc();

		if (p == NULL) {
			return -ENOMEM;
		}
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_string(p, "name", cut(ports[i].name, s));
		rte_tel_data_add_dict_u64(p, "rx_packets", ports[i].ipackets);
		rte_tel_data_add_dict_u64(p, "rx_bytes", ports[i].ibytes);
		rte_tel_data_add_dict_u64(p, "rx_missed", ports[i].imissed);
		rte_tel_data_add_dict_u64(p, "rx_errors", ports[i].ierrors);
		rte_tel_data_add_dict_u64(p, "rx_nombuf", ports[i].rx_nombuf);
		snprintf(key, sizeof(key), "%u", i);
		add_dict(d, key, p);
	}
	return 0;
}

static int
cb_clients(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct metrics_client cl[TELEMETRY_MAX_CLIENTS];
	char state[TELEMETRY_MAX_CLIENTS][16];
	char key[16], s[RTE_TEL_MAX_STRING_LEN];
	struct metrics_view v;
	unsigned int i, n = 0, total = 0;
	bool known;
	int rc;

	(void)cmd;
	(void)params;
	rc = view_get(&v);
	if (rc != 0) {
		return rc;
	}
	known = v.clients_known && (v.clients != NULL || v.n_clients == 0);
	if (known) {
		total = v.n_clients;
		n = total < TELEMETRY_MAX_CLIENTS ? total : TELEMETRY_MAX_CLIENTS;
		for (i = 0; i < n; i++) {
			cl[i] = v.clients[i];
			/* the state string belongs to the view: copy it too */
			snprintf(state[i], sizeof(state[i]), "%s",
			         cl[i].state != NULL ? cl[i].state : "");
		}
	}
	view_put();
	rte_tel_data_start_dict(d);
	if (!known) {
		rte_tel_data_add_dict_string(d, "unknown", "the writer did not answer in time");
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (c == NULL) {
			return -ENOMEM;
		}
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "peer", cut(cl[i].peer, s));
		rte_tel_data_add_dict_string(c, "state", state[i]);
		rte_tel_data_add_dict_u64(c, "sent_seq", cl[i].sent_to);
		rte_tel_data_add_dict_u64(c, "lag_alerts", cl[i].lag_alerts);
		rte_tel_data_add_dict_u64(c, "lag_bytes", cl[i].lag_bytes);
		rte_tel_data_add_dict_u64(c, "skipped", cl[i].skipped);
		rte_tel_data_add_dict_u64(c, "replayed", cl[i].replayed);
		rte_tel_data_add_dict_u64(c, "sent_bytes", cl[i].bytes_sent);
		snprintf(key, sizeof(key), "%u", cl[i].id);
		add_dict(d, key, c);
	}
	if (total > n) {
		rte_tel_data_add_dict_u64(d, "truncated", total - n);
	}
	return 0;
}

static int
cb_watchlists(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct metrics_watchlists w;
	char s[RTE_TEL_MAX_STRING_LEN];
	struct metrics_view v;
	int rc;

	(void)cmd;
	(void)params;
	rc = view_get(&v);
	if (rc != 0) {
		return rc;
	}
	w = v.wl;
	view_put();
	w.last_reload_error[sizeof(w.last_reload_error) - 1] = 0;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "generation", w.generation);
	rte_tel_data_add_dict_u64(d, "watchlists", w.watchlists);
	rte_tel_data_add_dict_u64(d, "terms", w.terms);
	rte_tel_data_add_dict_u64(d, "db_bytes", w.db_bytes);
	rte_tel_data_add_dict_u64(d, "reloads", w.reloads);
	rte_tel_data_add_dict_u64(d, "reload_failures", w.reload_failed);
	rte_tel_data_add_dict_u64(d, "last_reload_us",
	                          isfinite(w.last_reload_s) && w.last_reload_s > 0
	                                  ? (uint64_t)llround(w.last_reload_s * 1e6)
	                                  : 0);
	rte_tel_data_add_dict_u64(d, "last_reload_unix", w.last_reload_unix);
	rte_tel_data_add_dict_string(d, "last_reload_error", cut(w.last_reload_error, s));
	return 0;
}

static int
cb_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char ver[RTE_TEL_MAX_STRING_LEN], dpdk[RTE_TEL_MAX_STRING_LEN];
	char hs[RTE_TEL_MAX_STRING_LEN], node[RTE_TEL_MAX_STRING_LEN];
	struct metrics_view v;
	uint64_t start;
	int rc;

	(void)cmd;
	(void)params;
	rc = view_get(&v);
	if (rc != 0) {
		return rc;
	}
	cut(v.version, ver);
	cut(v.dpdk_version, dpdk);
	cut(v.hs_version, hs);
	cut(v.node, node);
	start = v.start_unix;
	view_put();
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", ver);
	rte_tel_data_add_dict_string(d, "dpdk", dpdk);
	rte_tel_data_add_dict_string(d, "hyperscan", hs);
	rte_tel_data_add_dict_string(d, "node", node);
	rte_tel_data_add_dict_u64(d, "start_unix", start);
	return 0;
}

int
telemetry_register(metrics_view_fn *fn, void *arg)
{
	/* DPDK 22.11 refuses help texts of 64 bytes or more */
	static const struct {
		const char *cmd;
		telemetry_cb cb;
		const char *help;
	} cmds[] = {
		{ "/feedwatch/stats", cb_stats,
		  "Counters, summed or of one source. Param: source" },
		{ "/feedwatch/sources", cb_sources, "Sources of counters (threads)" },
		{ "/feedwatch/rates", cb_rates, "Counters per second (rounded), summed" },
		{ "/feedwatch/ports", cb_ports, "Capture ports: packets, bytes, drops" },
		{ "/feedwatch/clients", cb_clients, "Alert stream clients and their lag" },
		{ "/feedwatch/watchlists", cb_watchlists, "Watchlist generation and reloads" },
		{ "/feedwatch/info", cb_info, "Versions, node name, start time" },
	};
	unsigned int i;
	int rc;

	pthread_rwlock_wrlock(&lock);
	view_fn = fn;
	view_arg = arg;
	pthread_rwlock_unlock(&lock);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].cb, cmds[i].help);
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
