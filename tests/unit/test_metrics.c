#include "ctl/metrics.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/utf8.h"
#include "ctl/ctl.h"
#include "guard.h"

#include "metrics_rig.h"

static char *
render(const struct metrics_view *v)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	CU_ASSERT_EQUAL_FATAL(metrics_render_prom(v, &buf, &len, &cap), 0);
	CU_ASSERT_FATAL(len < cap);
	buf[len] = 0;
	CU_ASSERT_EQUAL(strlen(buf), len);
	return buf;
}

/* Lines of <text> that start with <prefix>. */
static int
count_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = text;
	int hits = 0;

	while (*p != 0) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		hits += len >= n && memcmp(p, prefix, n) == 0;
		p += len + (nl != NULL);
	}
	return hits;
}

/* ---- a strict checker of the text format 0.0.4 ---- */

#define MAX_SERIES 20000

struct checker {
	char fam[MAX_SERIES / 4][128];
	int n_fam;
	char *series[MAX_SERIES];
	int n_series;
	char cur[128]; /* the family whose samples may follow */
	char type[16]; /* its type */
	bool has_help;
	const char *why;
	int line;
};

static bool
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= 128) {
		return false;
	}
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alpha =
		        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';

		if (!alpha && !(i > 0 && c >= '0' && c <= '9')) {
			return false;
		}
	}
	return true;
}

static bool
family_seen(const struct checker *ck, const char *name)
{
	int i;

	for (i = 0; i < ck->n_fam; i++) {
		if (strcmp(ck->fam[i], name) == 0) {
			return true;
		}
	}
	return false;
}

static bool
check_meta(struct checker *ck, const char *p, size_t len)
{
	const char *sp, *q;
	size_t n;

	if (len > 7 && memcmp(p, "# HELP ", 7) == 0) {
		p += 7;
		len -= 7;
		sp = memchr(p, ' ', len);
		n = sp != NULL ? (size_t)(sp - p) : len;
		if (!name_ok(p, n)) {
			ck->why = "bad family name";
			return false;
		}
		/* a new family: HELP first, then TYPE, then its samples */
		memcpy(ck->cur, p, n);
		ck->cur[n] = 0;
		if (family_seen(ck, ck->cur) || ck->n_fam == MAX_SERIES / 4) {
			ck->why = "family seen twice";
			return false;
		}
		snprintf(ck->fam[ck->n_fam++], sizeof(ck->fam[0]), "%s", ck->cur);
		ck->type[0] = 0;
		ck->has_help = true;
		/* escapes in HELP: only \\ and \n */
		for (q = p + n; q < p + len; q++) {
			if (*q == '\\') {
				if (q + 1 >= p + len || (q[1] != '\\' && q[1] != 'n')) {
					ck->why = "bad escape in HELP";
					return false;
				}
				q++;
			}
		}
		return true;
	}
	if (len > 7 && memcmp(p, "# TYPE ", 7) == 0) {
		p += 7;
		len -= 7;
		n = strlen(ck->cur);
		if (!ck->has_help || ck->type[0] != 0 || len <= n + 1 ||
		    memcmp(p, ck->cur, n) != 0 || p[n] != ' ') {
			ck->why = "TYPE not right after its HELP";
			return false;
		}
		p += n + 1;
		len -= n + 1;
		if (!((len == 7 && memcmp(p, "counter", 7) == 0) ||
		      (len == 5 && memcmp(p, "gauge", 5) == 0))) {
			ck->why = "unexpected type";
			return false;
		}
		memcpy(ck->type, p, len);
		ck->type[len] = 0;
		return true;
	}
	ck->why = "comment that is neither HELP nor TYPE";
	return false;
}

static bool
check_sample(struct checker *ck, const char *p, size_t len)
{
	const char *end = p + len, *q = p, *v;
	char num[64], *stop;
	size_t n;
	int i;

	while (q < end && *q != '{' && *q != ' ') {
		q++;
	}
	n = (size_t)(q - p);
	if (!name_ok(p, n) || ck->type[0] == 0 || n != strlen(ck->cur) ||
	    memcmp(p, ck->cur, n) != 0) {
		ck->why = "sample outside its family";
		return false;
	}
	if (strcmp(ck->type, "counter") == 0 && (n < 6 || memcmp(p + n - 6, "_total", 6) != 0)) {
		ck->why = "counter without _total";
		return false;
	}
	if (q < end && *q == '{') {
		q++;
		for (;;) {
			const char *k = q;

			while (q < end && *q != '=') {
				q++;
			}
			if (q + 1 >= end || !name_ok(k, (size_t)(q - k)) || q[1] != '"') {
				ck->why = "bad label name";
				return false;
			}
			for (q += 2; q < end && *q != '"'; q++) {
				if (*q == '\\') {
					if (q + 1 >= end ||
					    (q[1] != '\\' && q[1] != '"' && q[1] != 'n')) {
						ck->why = "bad escape in a label value";
						return false;
					}
					q++;
				}
			}
			if (q >= end) {
				ck->why = "unterminated label value";
				return false;
			}
			q++;
			if (q < end && *q == ',') {
				q++;
				continue;
			}
			if (q < end && *q == '}') {
				q++;
				break;
			}
			ck->why = "bad label set";
			return false;
		}
	}
	if (q >= end || *q != ' ') {
		ck->why = "no value";
		return false;
	}
	v = q + 1;
	n = (size_t)(end - v);
	if (n == 0 || n >= sizeof(num)) {
		ck->why = "bad value";
		return false;
	}
	memcpy(num, v, n);
	num[n] = 0;
	if (strcmp(num, "NaN") != 0 && strcmp(num, "+Inf") != 0 && strcmp(num, "-Inf") != 0) {
		strtod(num, &stop);
		if (*stop != 0) {
			ck->why = "value is not a number (or there is a timestamp)";
			return false;
		}
	}
	for (i = 0; i < ck->n_series; i++) {
		if (strlen(ck->series[i]) == (size_t)(v - 1 - p) &&
		    memcmp(ck->series[i], p, (size_t)(v - 1 - p)) == 0) {
			ck->why = "series twice";
			return false;
		}
	}
	if (ck->n_series == MAX_SERIES) {
		ck->why = "too many series for the checker";
		return false;
	}
	ck->series[ck->n_series++] = strndup(p, (size_t)(v - 1 - p));
	return true;
}

/* NULL when <text> is valid exposition format, else why not (ck->line says where). */
static const char *
check_prom(struct checker *ck, const char *text)
{
	const char *p = text;
	size_t len = strlen(text), i = 0, run;
	bool ok = true;

	memset(ck, 0, sizeof(*ck));
	while (i < len) {
		run = utf8_len((const uint8_t *)text + i, len - i);
		if (run == 0) {
			return "not UTF-8";
		}
		i += run;
	}
	if (len == 0 || text[len - 1] != '\n') {
		return "does not end in a newline";
	}
	while (ok && *p != 0) {
		const char *nl = strchr(p, '\n');
		size_t n = (size_t)(nl - p);

		ck->line++;
		if (n == 0) {
			ck->why = "empty line";
			ok = false;
		} else if (p[0] == '#') {
			ok = check_meta(ck, p, n);
		} else {
			ok = check_sample(ck, p, n);
		}
		p = nl + 1;
	}
	return ok ? NULL : (ck->why != NULL ? ck->why : "bad line");
}

static void
checker_free(struct checker *ck)
{
	int i;

	for (i = 0; i < ck->n_series; i++) {
		free(ck->series[i]);
	}
}

static struct checker ck;

/* ---- renderer ---- */

static void
test_prom_output_passes_strict_checker(void)
{
	struct fake f;
	const char *why;
	char *text;

	fake_init(&f, 3);
	f.rate.have = true;
	f.rate.per_s[CNT_rx_packets] = 1.0 / 3;
	snprintf(f.v.wl.last_reload_error, sizeof(f.v.wl.last_reload_error),
	         "watchlists/ru.yaml:14:9: unbalanced '('\nsecond \"line\" \\ here \xff end");
	snprintf(f.ports[1].name, sizeof(f.ports[1].name), "we\"ird\\na\nme");
	text = render(&f.v);
	why = check_prom(&ck, text);
	if (why != NULL) {
		fprintf(stderr, "line %d: %s\n", ck.line, why);
	}
	CU_ASSERT_PTR_NULL(why);
	checker_free(&ck);
	free(text);
}

static void
test_prom_checker_rejects_bad_text(void)
{
	static const char *const bad[] = {
		"feedwatch_x_total 1\n", /* no HELP/TYPE */
		"# HELP a_total h\n# TYPE a_total counter\na_total{l=\"x} 1\n",
		"# HELP a_total h\n# TYPE a_total counter\na_total{l=\"\\q\"} 1\n",
		"# HELP a_total h\n# TYPE a_total counter\na_total 1\na_total 2\n",
		"# HELP a h\n# TYPE a counter\na 1\n",
		"# HELP a h\n# TYPE a gauge\na 1",
		"# HELP a h\n# TYPE a gauge\nb 1\n",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_PTR_NOT_NULL(check_prom(&ck, bad[i]));
		checker_free(&ck);
	}
}

static void
test_prom_every_counter_once_per_source(void)
{
	char line[256], *text;
	struct fake f;
	unsigned int i;
	int k;

	fake_init(&f, 3);
	f.c[1].v[CNT_rx_packets] = 0; /* zeros too: stable series */
	text = render(&f.v);
	for (k = 0; k < CNT__MAX; k++) {
		bool gauge = strcmp(counters_name(k), "nats_pending") == 0;

		snprintf(line, sizeof(line), "# TYPE feedwatch_%s%s %s", counters_name(k),
		         gauge ? "" : "_total", gauge ? "gauge" : "counter");
		CU_ASSERT_EQUAL(count_lines(text, line), 1);
		snprintf(line, sizeof(line), "# HELP feedwatch_%s%s %s", counters_name(k),
		         gauge ? "" : "_total", counters_help(k));
		CU_ASSERT_EQUAL(count_lines(text, line), 1);
		for (i = 0; i < f.src.n; i++) {
			snprintf(line, sizeof(line), "feedwatch_%s%s{source=\"%s\"} %llu",
			         counters_name(k), gauge ? "" : "_total", f.src.name[i],
			         (unsigned long long)f.c[i].v[k]);
			CU_ASSERT_EQUAL(count_lines(text, line), 1);
		}
		snprintf(line, sizeof(line), "feedwatch_%s%s{", counters_name(k),
		         gauge ? "" : "_total");
		CU_ASSERT_EQUAL(count_prefix(text, line), (int)f.src.n);
	}
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_rx_packets_total{source=\"worker0\"} 0"), 1);
	free(text);
}

static void
test_prom_gauges_exist_in_counter_table(void)
{
	unsigned int i;
	int k, found;

	CU_ASSERT_PTR_NOT_NULL(metrics_gauge_name(0));
	for (i = 0; metrics_gauge_name(i) != NULL; i++) {
		found = 0;
		for (k = 0; k < CNT__MAX; k++) {
			found += strcmp(counters_name(k), metrics_gauge_name(i)) == 0;
		}
		CU_ASSERT_EQUAL(found, 1);
	}
	CU_ASSERT_STRING_EQUAL(metrics_gauge_name(0), "nats_pending");
}

static void
test_prom_rates_only_when_known(void)
{
	struct fake f;
	char line[256], *text;
	int k;

	fake_init(&f, 2);
	f.rate.per_s[CNT_rx_packets] = 1500;
	text = render(&f.v);
	CU_ASSERT_PTR_NULL(strstr(text, "_per_second"));
	free(text);

	f.rate.have = true;
	text = render(&f.v);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_rx_packets_per_second 1500"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_rx_bytes_per_second 0"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "# TYPE feedwatch_rx_packets_per_second gauge"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "prefer rate(feedwatch_rx_packets_total"));
	/* a gauge has no rate */
	CU_ASSERT_PTR_NULL(strstr(text, "feedwatch_nats_pending_per_second"));
	for (k = 0; k < CNT__MAX; k++) {
		snprintf(line, sizeof(line), "# TYPE feedwatch_%s_per_second gauge",
		         counters_name(k));
		CU_ASSERT_EQUAL(count_lines(text, line), k == CNT_nats_pending ? 0 : 1);
	}
	free(text);
}

static void
test_prom_ports_clients_watchlists_info(void)
{
	struct fake f;
	char *text;

	fake_init(&f, 1);
	text = render(&f.v);
	CU_ASSERT_EQUAL(
	        count_lines(text,
	                    "feedwatch_port_rx_packets_total{port=\"0\",name=\"net_pcap0\"} 11"),
	        1);
	CU_ASSERT_EQUAL(
	        count_lines(text,
	                    "feedwatch_port_rx_bytes_total{port=\"0\",name=\"net_pcap0\"} 12"),
	        1);
	CU_ASSERT_EQUAL(
	        count_lines(text,
	                    "feedwatch_port_rx_missed_total{port=\"0\",name=\"net_pcap0\"} 13"),
	        1);
	CU_ASSERT_EQUAL(
	        count_lines(text,
	                    "feedwatch_port_rx_errors_total{port=\"0\",name=\"net_pcap0\"} 14"),
	        1);
	CU_ASSERT_EQUAL(
	        count_lines(text,
	                    "feedwatch_port_rx_nombuf_total{port=\"0\",name=\"net_pcap0\"} 15"),
	        1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_port_rx_packets_total{port=\"1\",name=\"0000:"
	                                  "3b:00.0\"} 0"),
	                1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_alert_clients 2"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_alert_client_lag_alerts{client=\"3\",peer="
	                                  "\"127.0.0.1:5555\",state=\"live\"} 41"),
	                1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_alert_client_lag_bytes{client=\"3\",peer="
	                                  "\"127.0.0.1:5555\",state=\"live\"} 42"),
	                1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_alert_client_skipped_total{client=\"3\",peer="
	                                  "\"127.0.0.1:5555\",state=\"live\"} 43"),
	                1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_alert_client_replayed_total{client=\"3\","
	                                  "peer=\"127.0.0.1:5555\",state=\"live\"} 44"),
	                1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_alert_client_sent_bytes_total{client=\"3\","
	                                  "peer=\"127.0.0.1:5555\",state=\"live\"} 45"),
	                1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_alert_client_lag_alerts{client=\"4\",peer="
	                                  "\"uid 1000\",state=\"replay\"} 0"),
	                1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_alert_last_seq 99"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_watchlist_generation 7"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_watchlists 2"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_watchlist_terms 120"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_watchlist_db_bytes 4096"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_watchlist_reloads_total 5"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_watchlist_reload_failures_total 1"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_watchlist_last_reload_duration_seconds 0.25"),
	                1);
	CU_ASSERT_EQUAL(
	        count_lines(text, "feedwatch_watchlist_last_reload_timestamp_seconds 1700000000"),
	        1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_watchlist_last_reload_error{message=\"\"} 0"),
	                1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_build_info{version=\"0.1.0\",dpdk=\"DPDK "
	                                  "22.11.11\",hyperscan=\"5.4.9\",node=\"lab1\"} 1"),
	                1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_start_time_seconds 1690000000"), 1);
	free(text);

	snprintf(f.v.wl.last_reload_error, sizeof(f.v.wl.last_reload_error), "x.yaml:1:2: bad");
	text = render(&f.v);
	CU_ASSERT_EQUAL(
	        count_lines(text,
	                    "feedwatch_watchlist_last_reload_error{message=\"x.yaml:1:2: bad\"} 1"),
	        1);
	free(text);
}

static void
test_prom_escapes_label_values(void)
{
	struct fake f;
	char *text;

	fake_init(&f, 1);
	snprintf(f.ports[0].name, sizeof(f.ports[0].name), "a\"b\\c\nd");
	snprintf(f.v.wl.last_reload_error, sizeof(f.v.wl.last_reload_error), "bad \xc3\x28 byte");
	text = render(&f.v);
	CU_ASSERT_EQUAL(
	        count_lines(
	                text,
	                "feedwatch_port_rx_packets_total{port=\"0\",name=\"a\\\"b\\\\c\\nd\"} 11"),
	        1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_watchlist_last_reload_error{message=\"bad "
	                                  "\xef\xbf\xbd( byte\"} 1"),
	                1);
	free(text);
}

static void
test_prom_clients_absent_when_unknown(void)
{
	struct fake f;
	char *text;

	fake_init(&f, 1);
	f.v.clients_known = false;
	text = render(&f.v);
	CU_ASSERT_EQUAL(count_prefix(text, "feedwatch_alert_clients "), 0);
	CU_ASSERT_EQUAL(count_prefix(text, "feedwatch_alert_client_lag_alerts{"), 0);
	CU_ASSERT_EQUAL(count_lines(text, "# TYPE feedwatch_alert_clients gauge"), 1);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_alert_last_seq 99"), 1);
	free(text);
}

static void
test_prom_empty_view_renders(void)
{
	struct metrics_view v;
	const char *why;
	char *text;

	memset(&v, 0, sizeof(v));
	text = render(&v);
	why = check_prom(&ck, text);
	CU_ASSERT_PTR_NULL(why);
	checker_free(&ck);
	CU_ASSERT_EQUAL(count_lines(text, "feedwatch_build_info{version=\"\",dpdk=\"\",hyperscan="
	                                  "\"\",node=\"\"} 1"),
	                1);
	free(text);
}

static void
test_prom_appends_to_buffer(void)
{
	struct fake f;
	char *buf = malloc(8);
	size_t len = 3, cap = 8;

	fake_init(&f, 1);
	memcpy(buf, "ab\n", 3);
	CU_ASSERT_EQUAL(metrics_render_prom(&f.v, &buf, &len, &cap), 0);
	CU_ASSERT(len > 3 && len <= cap);
	CU_ASSERT(memcmp(buf, "ab\n# HELP feedwatch_rx_packets_total ", 37) == 0);
	free(buf);
}

/* ---- HTTP ---- */

/* <rcvbuf> > 0: a small receive buffer, so the server's answer cannot all fit at once. */
static int
connect_small(int port, int rcvbuf)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CU_ASSERT_FATAL(fd >= 0);
	if (rcvbuf > 0) {
		CU_ASSERT(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == 0);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

static int
connect_to(int port)
{
	return connect_small(port, 0);
}

struct client {
	int fd;
	char *got;
	size_t len, cap;
	bool eof;
};

/* Read what is there; true at EOF (or a reset). */
static bool
client_read(struct client *c)
{
	char tmp[16384];
	ssize_t n = -1;

	while (!c->eof && (n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT)) != 0) {
		if (n < 0) {
			c->eof = errno != EAGAIN && errno != EWOULDBLOCK;
			break;
		}
		if (c->len + (size_t)n + 1 > c->cap) {
			c->cap = (c->len + (size_t)n + 1) * 2;
			c->got = realloc(c->got, c->cap);
			CU_ASSERT_FATAL(c->got != NULL);
		}
		memcpy(c->got + c->len, tmp, (size_t)n);
		c->len += (size_t)n;
		c->got[c->len] = 0;
	}
	if (n == 0) {
		c->eof = true;
	}
	return c->eof;
}

/* Poll the server and the clients until every client has its answer (5 s at most). */
static void
serve(struct metrics_http *h, struct fake *f, struct client *cl, int n)
{
	uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + 5000000000u;
	int i, done;

	do {
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

		metrics_http_poll(h, fake_view, f);
		/* never blocks the caller */
		CU_ASSERT(clock_ns(CLOCK_MONOTONIC) - t0 < 200000000u);
		done = 0;
		for (i = 0; i < n; i++) {
			done += client_read(&cl[i]);
		}
		usleep(1000);
	} while (done < n && clock_ns(CLOCK_MONOTONIC) < deadline);
	CU_ASSERT_EQUAL(done, n);
}

static struct metrics_http *
open_any(void)
{
	char *err = NULL;
	struct metrics_http *h = metrics_http_open("127.0.0.1:0", &err);

	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT(metrics_http_port(h) > 0);
	return h;
}

static char *
exchange(struct metrics_http *h, struct fake *f, const char *req)
{
	struct client c = { .fd = connect_to(metrics_http_port(h)) };

	CU_ASSERT_EQUAL(send(c.fd, req, strlen(req), 0), (ssize_t)strlen(req));
	serve(h, f, &c, 1);
	close(c.fd);
	return c.got != NULL ? c.got : strdup("");
}

static const char *
body_of(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p != NULL ? p + 4 : "";
}

static void
test_http_get_metrics_returns_the_rendering(void)
{
	struct metrics_http *h = open_any();
	char cl[64], *resp;
	const char *body;
	struct fake f;

	fake_init(&f, 2);
	resp = exchange(h, &f, "GET /metrics?name[]=x HTTP/1.1\r\nHost: localhost\r\n\r\n");
	CU_ASSERT_EQUAL(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), 0);
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "\r\nConnection: close\r\n"));
	body = body_of(resp);
	snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", strlen(body));
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, cl));
	CU_ASSERT_EQUAL(count_lines(body, "feedwatch_rx_packets_total{source=\"worker0\"} 2000"),
	                1);
	CU_ASSERT_EQUAL(f.calls, 1);
	free(resp);
	metrics_http_close(h);
}

static void
test_http_head_has_no_body(void)
{
	struct metrics_http *h = open_any();
	struct fake f;
	char *resp;

	fake_init(&f, 1);
	resp = exchange(h, &f, "HEAD /metrics HTTP/1.0\r\n\r\n");
	CU_ASSERT_EQUAL(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), 0);
	CU_ASSERT_STRING_EQUAL(body_of(resp), "");
	CU_ASSERT_PTR_NULL(strstr(resp, "Content-Length: 0\r\n"));
	free(resp);
	metrics_http_close(h);
}

static void
test_http_other_paths_404_methods_405_garbage_400(void)
{
	struct metrics_http *h = open_any();
	struct fake f;
	char *resp;

	fake_init(&f, 1);
	resp = exchange(h, &f, "GET / HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL(strncmp(resp, "HTTP/1.1 404 ", 13), 0);
	free(resp);
	resp = exchange(h, &f, "GET /metricsx HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL(strncmp(resp, "HTTP/1.1 404 ", 13), 0);
	free(resp);
	resp = exchange(h, &f, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	CU_ASSERT_EQUAL(strncmp(resp, "HTTP/1.1 405 ", 13), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(resp, "\r\nAllow: GET, HEAD\r\n"));
	free(resp);
	resp = exchange(h, &f, "hello\r\n\r\n");
	CU_ASSERT_EQUAL(strncmp(resp, "HTTP/1.1 400 ", 13), 0);
	free(resp);
	CU_ASSERT_EQUAL(f.calls, 0);
	/* a bare LF ends lines too (printf ... | nc) */
	resp = exchange(h, &f, "GET /metrics HTTP/1.0\n\n");
	CU_ASSERT_EQUAL(strncmp(resp, "HTTP/1.1 200 ", 13), 0);
	free(resp);
	metrics_http_close(h);
}

static void
test_http_view_failure_is_503(void)
{
	struct metrics_http *h = open_any();
	struct fake f;
	char *resp;

	fake_init(&f, 1);
	f.fail = 1;
	resp = exchange(h, &f, "GET /metrics HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL(strncmp(resp, "HTTP/1.1 503 ", 13), 0);
	free(resp);
	metrics_http_close(h);
}

static void
test_http_oversized_request_is_431(void)
{
	struct metrics_http *h = open_any();
	struct client c;
	struct fake f;
	char *req = malloc(10000);

	fake_init(&f, 1);
	memset(req, 'a', 10000);
	memcpy(req, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(&c, 0, sizeof(c));
	c.fd = connect_to(metrics_http_port(h));
	CU_ASSERT_EQUAL(send(c.fd, req, 10000, 0), 10000);
	serve(h, &f, &c, 1);
	CU_ASSERT_PTR_NOT_NULL(c.got);
	CU_ASSERT(c.got != NULL && strncmp(c.got, "HTTP/1.1 431 ", 13) == 0);
	CU_ASSERT_EQUAL(f.calls, 0);
	close(c.fd);
	free(c.got);
	free(req);
	metrics_http_close(h);
}

static void
test_http_silent_client_does_not_block_and_is_dropped(void)
{
	struct metrics_http *h = open_any();
	struct client half, full;
	struct fake f;
	uint64_t t0;

	fake_init(&f, 1);
	metrics_http_set_idle_timeout(h, 300);
	memset(&half, 0, sizeof(half));
	memset(&full, 0, sizeof(full));
	half.fd = connect_to(metrics_http_port(h));
	CU_ASSERT_EQUAL(send(half.fd, "GET /metr", 9, 0), 9);
	metrics_http_poll(h, fake_view, &f);
	full.fd = connect_to(metrics_http_port(h));
	CU_ASSERT_EQUAL(send(full.fd, "GET /metrics HTTP/1.1\r\n\r\n", 25, 0), 25);
	t0 = clock_ns(CLOCK_MONOTONIC);
	serve(h, &f, &full, 1);
	CU_ASSERT(clock_ns(CLOCK_MONOTONIC) - t0 < 250000000u);
	CU_ASSERT(full.got != NULL && strncmp(full.got, "HTTP/1.1 200 ", 13) == 0);
	CU_ASSERT_FALSE(client_read(&half));
	/* then the silent one goes, without an answer */
	serve(h, &f, &half, 1);
	CU_ASSERT(clock_ns(CLOCK_MONOTONIC) - t0 >= 290000000u);
	CU_ASSERT_EQUAL(half.len, 0);
	close(half.fd);
	close(full.fd);
	free(full.got);
	metrics_http_close(h);
}

static void
test_http_nine_clients_at_once_all_answered(void)
{
	struct metrics_http *h = open_any();
	struct client c[METRICS_HTTP_MAX_CONNS + 1];
	struct fake f;
	int i;

	fake_init(&f, 4);
	memset(c, 0, sizeof(c));
	for (i = 0; i <= METRICS_HTTP_MAX_CONNS; i++) {
		c[i].fd = connect_to(metrics_http_port(h));
		CU_ASSERT_EQUAL(send(c[i].fd, "GET /metrics HTTP/1.1\r\n\r\n", 25, 0), 25);
	}
	serve(h, &f, c, METRICS_HTTP_MAX_CONNS + 1);
	for (i = 0; i <= METRICS_HTTP_MAX_CONNS; i++) {
		CU_ASSERT(c[i].got != NULL && strncmp(c[i].got, "HTTP/1.1 200 ", 13) == 0);
		CU_ASSERT(c[i].got != NULL &&
		          count_lines(body_of(c[i].got),
		                      "feedwatch_start_time_seconds 1690000000") == 1);
		close(c[i].fd);
		free(c[i].got);
	}
	CU_ASSERT_EQUAL(f.calls, METRICS_HTTP_MAX_CONNS + 1);
	metrics_http_close(h);
}

static void
test_http_no_listening_fd_while_every_slot_is_busy(void)
{
	struct metrics_http *h = open_any();
	int fds[METRICS_HTTP_MAX_CONNS + 1], i;
	struct fake f;

	fake_init(&f, 1);
	metrics_http_set_idle_timeout(h, 200);
	CU_ASSERT(metrics_http_fd(h) >= 0);
	for (i = 0; i <= METRICS_HTTP_MAX_CONNS; i++) {
		fds[i] = connect_to(metrics_http_port(h)); /* silent: they hold their slots */
	}
	metrics_http_poll(h, fake_view, &f);
	/* the ninth waits in the backlog: the listening socket stays readable, so poll() on
	 * it would return at once, again and again */
	CU_ASSERT_EQUAL(metrics_http_fd(h), -1);
	usleep(250000);
	metrics_http_poll(h, fake_view, &f); /* the silent eight are dropped, the ninth taken */
	CU_ASSERT(metrics_http_fd(h) >= 0);
	for (i = 0; i <= METRICS_HTTP_MAX_CONNS; i++) {
		close(fds[i]);
	}
	metrics_http_close(h);
}

/* The server's socket connected to client socket <fd>: its peer is our local address. */
static int
server_side(int fd)
{
	struct sockaddr_in mine, peer;
	socklen_t ml = sizeof(mine), pl;
	int i;

	CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&mine, &ml) == 0);
	for (i = 3; i < 1024; i++) {
		pl = sizeof(peer);
		if (i != fd && getpeername(i, (struct sockaddr *)&peer, &pl) == 0 &&
		    peer.sin_family == AF_INET && peer.sin_port == mine.sin_port &&
		    peer.sin_addr.s_addr == mine.sin_addr.s_addr) {
			return i;
		}
	}
	CU_FAIL_FATAL("no server side socket");
	return -1;
}

static void
test_http_large_answer_written_over_several_polls(void)
{
	struct metrics_http *h = open_any();
	struct client c;
	struct fake f;
	int small = 4096, polls = 0;
	uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + 10000000000u;
	char cl[64];

	fake_init(&f, STATS_MAX_SOURCES); /* ~1 MB of text */
	memset(&c, 0, sizeof(c));
	c.fd = connect_small(metrics_http_port(h), small);
	/* accepted, nothing to read yet: shrink the server side's send buffer too */
	metrics_http_poll(h, fake_view, &f);
	CU_ASSERT_EQUAL(setsockopt(server_side(c.fd), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)),
	                0);
	CU_ASSERT_EQUAL(send(c.fd, "GET /metrics HTTP/1.1\r\n\r\n", 25, 0), 25);
	while (!client_read(&c) && clock_ns(CLOCK_MONOTONIC) < deadline) {
		metrics_http_poll(h, fake_view, &f);
		polls++;
	}
	CU_ASSERT(c.eof);
	CU_ASSERT(polls > 1);
	CU_ASSERT_EQUAL(f.calls, 1);
	CU_ASSERT(c.got != NULL && c.len > 500000);
	snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", strlen(body_of(c.got)));
	CU_ASSERT(c.got != NULL && strstr(c.got, cl) != NULL);
	CU_ASSERT(c.got != NULL && count_lines(body_of(c.got), "feedwatch_start_time_seconds "
	                                                       "1690000000") == 1);
	close(c.fd);
	free(c.got);
	metrics_http_close(h);
}

static void
test_http_open_rejects_bad_specs_and_busy_ports(void)
{
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:",     "127.0.0.1:65536", "127.0.0.1:9x", "::1:9464",
		"[::1]9464", "localhost:9464", ":9464",           "[]:1",
	};
	struct metrics_http *h, *h2;
	char spec[64], *err = NULL;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_PTR_NULL(metrics_http_open(bad[i], &err));
		CU_ASSERT_PTR_NOT_NULL(err);
		free(err);
		err = NULL;
	}
	h = open_any();
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", metrics_http_port(h));
	h2 = metrics_http_open(spec, &err);
	CU_ASSERT_PTR_NULL(h2);
	CU_ASSERT(err != NULL && strstr(err, "in use") != NULL);
	free(err);
	metrics_http_close(h);
	metrics_http_close(NULL);
	metrics_http_poll(NULL, fake_view, NULL);
}

static void
test_http_listens_on_ipv6_loopback(void)
{
	struct metrics_http *h;
	char *err = NULL;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sa;

	if (fd < 0) {
		return; /* no IPv6 here */
	}
	h = metrics_http_open("[::1]:0", &err);
	if (h == NULL) {
		/* a kernel without ::1 (ipv6.disable=1) */
		CU_ASSERT(err != NULL && strstr(err, "address") != NULL);
		free(err);
		close(fd);
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons((uint16_t)metrics_http_port(h));
	sa.sin6_addr = in6addr_loopback;
	CU_ASSERT_EQUAL(connect(fd, (const struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	metrics_http_close(h);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("metrics", NULL, NULL);
	CU_add_test(s, "prom output passes a strict checker",
	            test_prom_output_passes_strict_checker);
	CU_add_test(s, "the checker rejects bad text", test_prom_checker_rejects_bad_text);
	CU_add_test(s, "every counter once per source", test_prom_every_counter_once_per_source);
	CU_add_test(s, "listed gauges exist in the counter table",
	            test_prom_gauges_exist_in_counter_table);
	CU_add_test(s, "rates only when known", test_prom_rates_only_when_known);
	CU_add_test(s, "ports, clients, watchlists, info", test_prom_ports_clients_watchlists_info);
	CU_add_test(s, "label values escaped", test_prom_escapes_label_values);
	CU_add_test(s, "clients absent when unknown", test_prom_clients_absent_when_unknown);
	CU_add_test(s, "an empty view renders", test_prom_empty_view_renders);
	CU_add_test(s, "render appends to the buffer", test_prom_appends_to_buffer);
	CU_add_test(s, "GET /metrics returns the rendering",
	            test_http_get_metrics_returns_the_rendering);
	CU_add_test(s, "HEAD has no body", test_http_head_has_no_body);
	CU_add_test(s, "other paths 404, methods 405, garbage 400",
	            test_http_other_paths_404_methods_405_garbage_400);
	CU_add_test(s, "a failing view is 503", test_http_view_failure_is_503);
	CU_add_test(s, "an oversized request is 431", test_http_oversized_request_is_431);
	CU_add_test(s, "a silent client does not block and is dropped",
	            test_http_silent_client_does_not_block_and_is_dropped);
	CU_add_test(s, "nine clients at once all answered",
	            test_http_nine_clients_at_once_all_answered);
	CU_add_test(s, "a large answer is written over several polls",
	            test_http_large_answer_written_over_several_polls);
	CU_add_test(s, "open rejects bad specs and busy ports",
	            test_http_open_rejects_bad_specs_and_busy_ports);
	CU_add_test(s, "listens on the IPv6 loopback", test_http_listens_on_ipv6_loopback);
	CU_add_test(s, "no listening fd while every slot is busy",
	            test_http_no_listening_fd_while_every_slot_is_busy);
	return guard_run_tests();
}
