#include "ctl/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert_json_out.h"
#include "ctl/metrics.h"

void
stats_add(struct stats_src *s, const char *name, const struct counters *c)
{
	if (c == NULL || s->n == STATS_MAX_SOURCES) {
		return;
	}
	s->c[s->n] = c;
	snprintf(s->name[s->n], sizeof(s->name[s->n]), "%s", name);
	s->n++;
}

void
stats_sum(const struct stats_src *s, struct counters *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < s->n; i++) {
		counters_sum(out, s->c[i]);
	}
}

void
stats_tick(struct stats_rate *r, const struct stats_src *s, uint64_t now_ns)
{
	struct counters cur;
	double dt;
	int k;

	if (r->prev_ns != 0 && now_ns - r->prev_ns < 1000000000u) {
		return;
	}
	stats_sum(s, &cur);
	if (r->prev_ns != 0) {
		dt = (double)(now_ns - r->prev_ns) / 1e9;
		for (k = 0; k < CNT__MAX; k++) {
			/* a gauge may go down: a rate is only for what grew */
			r->per_s[k] = cur.v[k] >= r->prev.v[k]
			                      ? (double)(cur.v[k] - r->prev.v[k]) / dt
			                      : 0;
		}
		r->have = true;
	}
	r->prev = cur;
	r->prev_ns = now_ns;
}

/* A JSON string, written by the alert lines' encoder (RFC 8259 escapes, U+FFFD for bad UTF-8). */
static void
json_str(struct ctl_reply *r, const char *str)
{
	size_t n = str != NULL ? strlen(str) : 0, cap = 6 * n + 2; /* each byte at most \u00XX */
	char *buf = malloc(cap);
	struct alert_json_out o = { buf, buf + cap, false };

	if (buf == NULL) {
		ctl_reply_printf(r, "\"\"");
		return;
	}
	alert_json_put_span(&o, (const uint8_t *)(str != NULL ? str : ""), n);
	ctl_reply_printf(r, "%.*s", (int)(o.p - buf), buf);
	free(buf);
}

static bool
clients_known(const struct metrics_view *v)
{
	return v->clients_known && (v->clients != NULL || v->n_clients == 0);
}

static void
print_json_view(const struct metrics_view *v, struct ctl_reply *r)
{
	const struct metrics_watchlists *w = &v->wl;
	unsigned int i;

	ctl_reply_printf(r, ",\"ports\":{");
	for (i = 0; v->ports != NULL && i < v->n_ports; i++) {
		const struct metrics_port *p = &v->ports[i];

		ctl_reply_printf(r, "%s\"%u\":{\"name\":", i > 0 ? "," : "", i);
		json_str(r, p->name);
		ctl_reply_printf(r,
		                 ",\"rx_packets\":%llu,\"rx_bytes\":%llu,\"rx_missed\":%llu,"
		                 "\"rx_errors\":%llu,\"rx_nombuf\":%llu}",
		                 (unsigned long long)p->ipackets, (unsigned long long)p->ibytes,
		                 (unsigned long long)p->imissed, (unsigned long long)p->ierrors,
		                 (unsigned long long)p->rx_nombuf);
	}
	ctl_reply_printf(r, "},\"clients\":{");
	for (i = 0; clients_known(v) && i < v->n_clients; i++) {
		const struct metrics_client *c = &v->clients[i];

		ctl_reply_printf(r, "%s\"%u\":{\"peer\":", i > 0 ? "," : "", c->id);
		json_str(r, c->peer);
		ctl_reply_printf(r, ",\"state\":");
		json_str(r, c->state);
		ctl_reply_printf(r,
		                 ",\"sent_seq\":%llu,\"lag_alerts\":%llu,\"lag_bytes\":%llu,"
		                 "\"skipped\":%llu,\"replayed\":%llu,\"sent_bytes\":%llu}",
		                 (unsigned long long)c->sent_to, (unsigned long long)c->lag_alerts,
		                 (unsigned long long)c->lag_bytes, (unsigned long long)c->skipped,
		                 (unsigned long long)c->replayed,
		                 (unsigned long long)c->bytes_sent);
	}
	ctl_reply_printf(
	        r, "},\"alert\":{\"last_seq\":%llu,\"clients\":", (unsigned long long)v->last_seq);
	if (clients_known(v)) {
		ctl_reply_printf(r, "%u}", v->n_clients);
	} else {
		ctl_reply_printf(r, "null}");
	}
	ctl_reply_printf(r,
	                 ",\"watchlists\":{\"generation\":%llu,\"watchlists\":%u,\"terms\":%u,"
	                 "\"db_bytes\":%llu,\"reloads\":%llu,\"reload_failures\":%llu,"
	                 "\"last_reload_s\":%.6f,\"last_reload_unix\":%llu,"
	                 "\"last_reload_error\":",
	                 (unsigned long long)w->generation, w->watchlists, w->terms,
	                 (unsigned long long)w->db_bytes, (unsigned long long)w->reloads,
	                 (unsigned long long)w->reload_failed,
	                 isfinite(w->last_reload_s) ? w->last_reload_s : 0.0,
	                 (unsigned long long)w->last_reload_unix);
	json_str(r, w->last_reload_error);
	ctl_reply_printf(r, "},\"info\":{\"version\":");
	json_str(r, v->version);
	ctl_reply_printf(r, ",\"dpdk\":");
	json_str(r, v->dpdk_version);
	ctl_reply_printf(r, ",\"hyperscan\":");
	json_str(r, v->hs_version);
	ctl_reply_printf(r, ",\"node\":");
	json_str(r, v->node);
	ctl_reply_printf(r, ",\"start_unix\":%llu}", (unsigned long long)v->start_unix);
}

static void
print_json(const struct metrics_view *v, const struct counters *sum, struct ctl_reply *r)
{
	const struct stats_src *s = v->src;
	const struct stats_rate *rate = v->rate;
	unsigned int i;
	int k;
	bool first;

	ctl_reply_printf(r, "{\"counters\":{");
	for (k = 0; k < CNT__MAX; k++) {
		ctl_reply_printf(r, "%s\"%s\":%llu", k > 0 ? "," : "", counters_name(k),
		                 (unsigned long long)sum->v[k]);
	}
	ctl_reply_printf(r, "},\"rates\":{");
	first = true;
	for (k = 0; rate != NULL && rate->have && k < CNT__MAX; k++) {
		if (rate->per_s[k] > 0) {
			ctl_reply_printf(r, "%s\"%s\":%.1f", first ? "" : ",", counters_name(k),
			                 rate->per_s[k]);
			first = false;
		}
	}
	ctl_reply_printf(r, "},\"sources\":{");
	for (i = 0; s != NULL && i < s->n; i++) {
		ctl_reply_printf(r, "%s", i > 0 ? "," : "");
		json_str(r, s->name[i]);
		ctl_reply_printf(r, ":{");
		first = true;
		for (k = 0; k < CNT__MAX; k++) {
			if (s->c[i]->v[k] != 0) {
				ctl_reply_printf(r, "%s\"%s\":%llu", first ? "" : ",",
				                 counters_name(k),
				                 (unsigned long long)s->c[i]->v[k]);
				first = false;
			}
		}
		ctl_reply_printf(r, "}");
	}
	ctl_reply_printf(r, "}");
	print_json_view(v, r);
	ctl_reply_printf(r, "}\n");
}

static const char *
or_dash(const char *s)
{
	return s != NULL && s[0] != 0 ? s : "-";
}

static void
utc(uint64_t unix_s, char *buf, size_t cap)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	if (unix_s == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		snprintf(buf, cap, "-");
	}
}

static void
print_table_view(const struct metrics_view *v, struct ctl_reply *r)
{
	const struct metrics_watchlists *w = &v->wl;
	char when[32];
	unsigned int i;

	if (v->ports != NULL && v->n_ports > 0) {
		ctl_reply_printf(r, "\n%-4s %-24s %14s %16s %12s %12s %12s\n", "port", "name",
		                 "rx_packets", "rx_bytes", "rx_missed", "rx_errors", "rx_nombuf");
		for (i = 0; i < v->n_ports; i++) {
			const struct metrics_port *p = &v->ports[i];

			ctl_reply_printf(
			        r, "%-4u %-24s %14llu %16llu %12llu %12llu %12llu\n", i,
			        or_dash(p->name), (unsigned long long)p->ipackets,
			        (unsigned long long)p->ibytes, (unsigned long long)p->imissed,
			        (unsigned long long)p->ierrors, (unsigned long long)p->rx_nombuf);
		}
	}
	utc(w->last_reload_unix, when, sizeof(when));
	ctl_reply_printf(r,
	                 "\nwatchlists: generation %llu, %u watchlists, %u terms, %llu bytes; "
	                 "live since %s (built in %.3f s)\n",
	                 (unsigned long long)w->generation, w->watchlists, w->terms,
	                 (unsigned long long)w->db_bytes, when,
	                 isfinite(w->last_reload_s) ? w->last_reload_s : 0.0);
	ctl_reply_printf(r, "reloads: %llu, rejected: %llu, last reload error: %s\n",
	                 (unsigned long long)w->reloads, (unsigned long long)w->reload_failed,
	                 w->last_reload_error[0] != 0 ? w->last_reload_error : "none");
	if (!clients_known(v)) {
		ctl_reply_printf(r,
		                 "\nalert clients: unknown (the writer did not answer in time), "
		                 "last seq %llu\n",
		                 (unsigned long long)v->last_seq);
	} else {
		ctl_reply_printf(r, "\nalert clients: %u, last seq %llu\n", v->n_clients,
		                 (unsigned long long)v->last_seq);
	}
	if (clients_known(v) && v->n_clients > 0) {
		ctl_reply_printf(r, "%-6s %-28s %-8s %12s %10s %12s %10s %10s %14s\n", "client",
		                 "peer", "state", "sent_seq", "lag", "lag_bytes", "skipped",
		                 "replayed", "sent_bytes");
		for (i = 0; i < v->n_clients; i++) {
			const struct metrics_client *c = &v->clients[i];

			ctl_reply_printf(
			        r, "%-6u %-28s %-8s %12llu %10llu %12llu %10llu %10llu %14llu\n",
			        c->id, or_dash(c->peer), or_dash(c->state),
			        (unsigned long long)c->sent_to, (unsigned long long)c->lag_alerts,
			        (unsigned long long)c->lag_bytes, (unsigned long long)c->skipped,
			        (unsigned long long)c->replayed, (unsigned long long)c->bytes_sent);
		}
	}
	utc(v->start_unix, when, sizeof(when));
	ctl_reply_printf(r, "\nfeedwatch %s (%s, hyperscan %s) on %s, started %s\n",
	                 or_dash(v->version), or_dash(v->dpdk_version), or_dash(v->hs_version),
	                 or_dash(v->node), when);
}

void
stats_print(const struct metrics_view *v, bool json, struct ctl_reply *r)
{
	static const struct stats_src none;
	const struct stats_src *s = v->src != NULL ? v->src : &none;
	const struct stats_rate *rate = v->rate;
	struct counters sum;
	unsigned int i, workers = 0;
	int k;

	stats_sum(s, &sum);
	if (json) {
		print_json(v, &sum, r);
		return;
	}
	for (i = 0; i < s->n; i++) {
		workers += strncmp(s->name[i], "worker", 6) == 0;
	}
	ctl_reply_printf(r, "%-32s %14s %12s", "counter", "total", "per second");
	for (i = 0; workers > 1 && i < s->n; i++) {
		ctl_reply_printf(r, " %12s", s->name[i]);
	}
	ctl_reply_printf(r, "\n");
	for (k = 0; k < CNT__MAX; k++) {
		if (sum.v[k] == 0) {
			continue;
		}
		ctl_reply_printf(r, "%-32s %14llu", counters_name(k), (unsigned long long)sum.v[k]);
		if (rate != NULL && rate->have) {
			ctl_reply_printf(r, " %12.1f", rate->per_s[k]);
		} else {
			ctl_reply_printf(r, " %12s", "-");
		}
		for (i = 0; workers > 1 && i < s->n; i++) {
			ctl_reply_printf(r, " %12llu", (unsigned long long)s->c[i]->v[k]);
		}
		ctl_reply_printf(r, "\n");
	}
	print_table_view(v, r);
}
