#include "ctl/stats.h"

#include <stdio.h>
#include <string.h>

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

static void
print_json(const struct stats_src *s, const struct stats_rate *rate, const struct counters *sum,
           struct ctl_reply *r)
{
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
	for (k = 0; rate->have && k < CNT__MAX; k++) {
		if (rate->per_s[k] > 0) {
			ctl_reply_printf(r, "%s\"%s\":%.1f", first ? "" : ",", counters_name(k),
			                 rate->per_s[k]);
			first = false;
		}
	}
	ctl_reply_printf(r, "},\"sources\":{");
	for (i = 0; i < s->n; i++) {
		ctl_reply_printf(r, "%s\"%s\":{", i > 0 ? "," : "", s->name[i]);
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
	ctl_reply_printf(r, "}}\n");
}

void
stats_print(const struct stats_src *s, const struct stats_rate *rate, bool json,
            struct ctl_reply *r)
{
	struct counters sum;
	unsigned int i, workers = 0;
	int k;

	stats_sum(s, &sum);
	if (json) {
		print_json(s, rate, &sum, r);
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
		if (rate->have) {
			ctl_reply_printf(r, " %12.1f", rate->per_s[k]);
		} else {
			ctl_reply_printf(r, " %12s", "-");
		}
		for (i = 0; workers > 1 && i < s->n; i++) {
			ctl_reply_printf(r, " %12llu", (unsigned long long)s->c[i]->v[k]);
		}
		ctl_reply_printf(r, "\n");
	}
}
