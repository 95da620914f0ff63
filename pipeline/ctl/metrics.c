#include "ctl/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"

#define HTTP_REQ_MAX 8192
#define HTTP_IDLE_MS 1000

/*
 * Counters of the table that are levels, not running totals: Prometheus
 * calls them gauges, and they get no "_total" and no per-second rate.
 */
static const char *const gauges[] = {
	"nats_pending",
};

const char *
metrics_gauge_name(unsigned int i)
{
	return i < sizeof(gauges) / sizeof(gauges[0]) ? gauges[i] : NULL;
}

bool
metrics_is_gauge(int k)
{
	unsigned int i;

	for (i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		if (strcmp(gauges[i], counters_name(k)) == 0) {
			return true;
		}
	}
	return false;
}

/* ---- the text exposition format ---- */

struct out {
	char **buf;
	size_t *len;
	size_t *cap;
	bool oom;
};

static bool
reserve(struct out *o, size_t more)
{
	size_t cap = *o->cap == 0 ? 65536 : *o->cap;
	char *bigger;

	if (o->oom) {
		return false;
	}
	if (*o->len + more < *o->cap) {
		return true;
	}
	while (cap <= *o->len + more) {
		cap *= 2;
	}
	bigger = realloc(*o->buf, cap);
	if (bigger == NULL) {
		o->oom = true;
		return false;
	}
	*o->buf = bigger;
	*o->cap = cap;
	return true;
}

static void
put(struct out *o, const char *s, size_t n)
{
	if (!reserve(o, n)) {
		return;
	}
	memcpy(*o->buf + *o->len, s, n);
	*o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) putf(struct out *o, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		return;
	}
	if ((size_t)n < sizeof(small)) {
		put(o, small, (size_t)n);
		return;
	}
	if (!reserve(o, (size_t)n + 1)) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(*o->buf + *o->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*o->len += (size_t)n;
}

/*
 * Text for HELP (escape \ and newline) or a label value (also "), valid
 * UTF-8 as the format requires: a broken byte becomes U+FFFD.
 */
static void
put_escaped(struct out *o, const char *s, bool label)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = strlen((const char *)p), i = 0, run;

	while (i < n) {
		if (p[i] == '\\') {
			puts_(o, "\\\\");
			i++;
		} else if (p[i] == '\n') {
			puts_(o, "\\n");
			i++;
		} else if (p[i] == '"' && label) {
			puts_(o, "\\\"");
			i++;
		} else if ((run = utf8_len(p + i, n - i)) == 0) {
			puts_(o, "\xef\xbf\xbd");
			i++;
		} else {
			put(o, (const char *)p + i, run);
			i += run;
		}
	}
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	putf(o, "# HELP %s ", name);
	put_escaped(o, help, false);
	putf(o, "\n# TYPE %s %s\n", name, type);
}

/* One label: opens the set with "{" when <first>, else adds ",". */
static void
label(struct out *o, bool first, const char *key, const char *value)
{
	putf(o, "%s%s=\"", first ? "{" : ",", key);
	put_escaped(o, value, true);
	puts_(o, "\"");
}

static void
value_u64(struct out *o, bool labelled, uint64_t v)
{
	putf(o, "%s %llu\n", labelled ? "}" : "", (unsigned long long)v);
}

static void
value_f(struct out *o, bool labelled, double v)
{
	const char *end = labelled ? "}" : "";

	if (isnan(v)) {
		putf(o, "%s NaN\n", end);
	} else if (isinf(v)) {
		putf(o, "%s %sInf\n", end, v > 0 ? "+" : "-");
	} else {
		putf(o, "%s %.15g\n", end, v);
	}
}

static void
unlabelled_u64(struct out *o, const char *name, const char *type, const char *help, uint64_t v)
{
	family(o, name, type, help);
	puts_(o, name);
	value_u64(o, false, v);
}

static void
render_counters(struct out *o, const struct metrics_view *v)
{
	const struct stats_src *s = v->src;
	char name[128];
	unsigned int i;
	int k;

	for (k = 0; k < CNT__MAX; k++) {
		bool gauge = metrics_is_gauge(k);

		snprintf(name, sizeof(name), "feedwatch_%s%s", counters_name(k),
		         gauge ? "" : "_total");
		family(o, name, gauge ? "gauge" : "counter", counters_help(k));
		for (i = 0; s != NULL && i < s->n; i++) {
			puts_(o, name);
			label(o, true, "source", s->name[i]);
			value_u64(o, true, s->c[i]->v[k]);
		}
	}
}

static void
render_rates(struct out *o, const struct metrics_view *v)
{
	char name[128], help[512];
	int k;

	if (v->rate == NULL || !v->rate->have) {
		return;
	}
	for (k = 0; k < CNT__MAX; k++) {
		if (metrics_is_gauge(k)) {
			continue;
		}
		snprintf(name, sizeof(name), "feedwatch_%s_per_second", counters_name(k));
		snprintf(help, sizeof(help),
		         "%s, per second over feedwatch's last sample, all sources (in PromQL "
		         "prefer rate(feedwatch_%s_total[1m]))",
		         counters_help(k), counters_name(k));
		family(o, name, "gauge", help);
		puts_(o, name);
		value_f(o, false, v->rate->per_s[k]);
	}
}

static void
render_ports(struct out *o, const struct metrics_view *v)
{
	static const struct {
		const char *name;
		const char *help;
		size_t off;
	} f[] = {
		{ "feedwatch_port_rx_packets_total", "packets the capture port received",
		  offsetof(struct metrics_port, ipackets) },
		{ "feedwatch_port_rx_bytes_total", "bytes the capture port received",
		  offsetof(struct metrics_port, ibytes) },
		{ "feedwatch_port_rx_missed_total",
		  "packets dropped before a worker read them: the NIC's RX descriptors full "
		  "(imissed), or net_af_packet's kernel ring full (the workers did not keep up)",
		  offsetof(struct metrics_port, imissed) },
		{ "feedwatch_port_rx_errors_total", "erroneous frames the NIC received (ierrors)",
		  offsetof(struct metrics_port, ierrors) },
		{ "feedwatch_port_rx_nombuf_total",
		  "packets dropped for want of an mbuf in the RX mempool (rx_nombuf)",
		  offsetof(struct metrics_port, rx_nombuf) },
	};
	char id[16];
	unsigned int i, j;

	for (j = 0; j < sizeof(f) / sizeof(f[0]); j++) {
		family(o, f[j].name, "counter", f[j].help);
		for (i = 0; v->ports != NULL && i < v->n_ports; i++) {
			uint64_t x;

			memcpy(&x, (const char *)&v->ports[i] + f[j].off, sizeof(x));
			snprintf(id, sizeof(id), "%u", i);
			puts_(o, f[j].name);
			label(o, true, "port", id);
			label(o, false, "name", v->ports[i].name);
			value_u64(o, true, x);
		}
	}
}

static void
render_clients(struct out *o, const struct metrics_view *v)
{
	static const struct {
		const char *name;
		const char *type;
		const char *help;
		size_t off;
	} f[] = {
		{ "feedwatch_alert_client_lag_alerts", "gauge",
		  "alerts written and not yet sent to this client",
		  offsetof(struct metrics_client, lag_alerts) },
		{ "feedwatch_alert_client_lag_bytes", "gauge",
		  "bytes of alerts written and not yet sent to this client",
		  offsetof(struct metrics_client, lag_bytes) },
		{ "feedwatch_alert_client_sent_seq", "gauge",
		  "sequence number of the last alert sent to this client",
		  offsetof(struct metrics_client, sent_to) },
		{ "feedwatch_alert_client_sent_bytes_total", "counter", "bytes sent to this client",
		  offsetof(struct metrics_client, bytes_sent) },
		{ "feedwatch_alert_client_skipped_total", "counter",
		  "alert lines not sent to this client because it fell behind",
		  offsetof(struct metrics_client, skipped) },
		{ "feedwatch_alert_client_replayed_total", "counter",
		  "alert lines replayed to this client from the journal",
		  offsetof(struct metrics_client, replayed) },
	};
	char id[16];
	unsigned int i, j;
	bool known = v->clients_known && (v->clients != NULL || v->n_clients == 0);

	family(o, "feedwatch_alert_clients", "gauge",
	       "alert stream clients connected (absent when the writer did not answer in time)");
	if (known) {
		puts_(o, "feedwatch_alert_clients");
		value_u64(o, false, v->n_clients);
	}
	for (j = 0; j < sizeof(f) / sizeof(f[0]); j++) {
		family(o, f[j].name, f[j].type, f[j].help);
		for (i = 0; known && i < v->n_clients; i++) {
			const struct metrics_client *c = &v->clients[i];
			uint64_t x;

			memcpy(&x, (const char *)c + f[j].off, sizeof(x));
			snprintf(id, sizeof(id), "%u", c->id);
			puts_(o, f[j].name);
			label(o, true, "client", id);
			label(o, false, "peer", c->peer);
			label(o, false, "state", c->state);
			value_u64(o, true, x);
		}
	}
	unlabelled_u64(o, "feedwatch_alert_last_seq", "gauge",
	               "sequence number of the last alert written", v->last_seq);
}

static void
render_watchlists(struct out *o, const struct metrics_view *v)
{
	const struct metrics_watchlists *w = &v->wl;
	bool failed = w->last_reload_error[0] != 0;

	unlabelled_u64(o, "feedwatch_watchlist_generation", "gauge",
	               "generation number of the running watchlists", w->generation);
	unlabelled_u64(o, "feedwatch_watchlists", "gauge", "watchlists in the running generation",
	               w->watchlists);
	unlabelled_u64(o, "feedwatch_watchlist_terms", "gauge", "terms in the running generation",
	               w->terms);
	unlabelled_u64(o, "feedwatch_watchlist_db_bytes", "gauge",
	               "size of the running Hyperscan database", w->db_bytes);
	unlabelled_u64(o, "feedwatch_watchlist_reloads_total", "counter",
	               "successful watchlist reloads", w->reloads);
	unlabelled_u64(o, "feedwatch_watchlist_reload_failures_total", "counter",
	               "watchlist reloads rejected (the running generation stayed)",
	               w->reload_failed);
	family(o, "feedwatch_watchlist_last_reload_duration_seconds", "gauge",
	       "time the running generation took to build");
	puts_(o, "feedwatch_watchlist_last_reload_duration_seconds");
	value_f(o, false, w->last_reload_s);
	unlabelled_u64(o, "feedwatch_watchlist_last_reload_timestamp_seconds", "gauge",
	               "when the running generation went live, seconds since the epoch",
	               w->last_reload_unix);
	family(o, "feedwatch_watchlist_last_reload_error", "gauge",
	       "1 when the last reload failed (message: why), 0 when it succeeded");
	puts_(o, "feedwatch_watchlist_last_reload_error");
	label(o, true, "message", w->last_reload_error);
	value_u64(o, true, failed ? 1 : 0);
}

static void
render_info(struct out *o, const struct metrics_view *v)
{
	family(o, "feedwatch_build_info", "gauge",
	       "always 1: the versions of feedwatch and its libraries, and the node name");
	puts_(o, "feedwatch_build_info");
	label(o, true, "version", v->version);
	label(o, false, "dpdk", v->dpdk_version);
	label(o, false, "hyperscan", v->hs_version);
	label(o, false, "node", v->node);
	value_u64(o, true, 1);
	unlabelled_u64(o, "feedwatch_start_time_seconds", "gauge",
	               "when feedwatch started, seconds since the epoch", v->start_unix);
}

int
metrics_render_prom(const struct metrics_view *v, char **buf, size_t *len, size_t *cap)
{
	struct out o = { .buf = buf, .len = len, .cap = cap, .oom = false };

	render_counters(&o, v);
	render_rates(&o, v);
	render_ports(&o, v);
	render_clients(&o, v);
	render_watchlists(&o, v);
	render_info(&o, v);
	return o.oom ? -ENOMEM : 0;
}

/* ---- the HTTP listener ---- */

struct conn {
	int fd; /* -1: a free slot */
	bool answering;
	uint64_t last_ms;
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	char in[HTTP_REQ_MAX];
};

struct metrics_http {
	int fd;
	int idle_ms;
	char *body; /* the scrape being rendered, reused */
	size_t body_len, body_cap;
	struct conn conns[METRICS_HTTP_MAX_CONNS];
};

static uint64_t
now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000u;
}

static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *p;
	unsigned long port = 0;
	bool bracketed = spec[0] == '[';
	size_t n;

	if (bracketed) {
		colon = strstr(spec, "]:");
		if (colon == NULL) {
			return -1;
		}
		n = (size_t)(colon - spec - 1);
		p = colon + 2;
		spec++;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL) {
			return -1;
		}
		n = (size_t)(colon - spec);
		p = colon + 1;
	}
	if (n == 0 || n >= sizeof(host) || *p == 0 || strlen(p) > 5) {
		return -1;
	}
	for (; *p != 0; p++) {
		if (*p < '0' || *p > '9') {
			return -1;
		}
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port > 65535) {
		return -1;
	}
	memcpy(host, spec, n);
	host[n] = 0;
	/* an IPv6 address needs its brackets, or its last group would read as the port */
	if (strchr(host, ':') != NULL && !bracketed) {
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*s6);
		return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sl = sizeof(*s4);
		return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
	}
}

struct metrics_http *
metrics_http_open(const char *listen_spec, char **err)
{
	struct metrics_http *h = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int one = 1, i;

	if (listen_spec == NULL || parse_listen(listen_spec, &ss, &sl) != 0) {
		err_set(err, "metrics listen address '%s': expected 127.0.0.1:9464 or [::1]:9464",
		        listen_spec != NULL ? listen_spec : "");
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	h->idle_ms = HTTP_IDLE_MS;
	for (i = 0; i < METRICS_HTTP_MAX_CONNS; i++) {
		h->conns[i].fd = -1;
	}
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		err_set(err, "metrics listener %s: socket: %s", listen_spec, strerror(errno));
		goto fail;
	}
	/* a restart must not wait for the last scrape's TIME_WAIT to pass */
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) {
		setsockopt(h->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(h->fd, (const struct sockaddr *)&ss, sl) != 0) {
		err_set(err, "metrics listener %s: %s", listen_spec, strerror(errno));
		goto fail;
	}
	if (listen(h->fd, 16) != 0) {
		err_set(err, "metrics listener %s: listen: %s", listen_spec, strerror(errno));
		goto fail;
	}
	return h;
fail:
	if (h->fd >= 0) {
		close(h->fd);
	}
	free(h);
	return NULL;
}

int
metrics_http_fd(const struct metrics_http *h)
{
	int i;

	for (i = 0; i < METRICS_HTTP_MAX_CONNS; i++) {
		if (h->conns[i].fd < 0) {
			return h->fd;
		}
	}
	return -1; /* every slot busy: a waiting client must not make the caller's poll() spin */
}

int
metrics_http_port(const struct metrics_http *h)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(h->fd, (struct sockaddr *)&ss, &sl) != 0) {
		return -1;
	}
	if (ss.ss_family == AF_INET6) {
		return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
}

void
metrics_http_set_idle_timeout(struct metrics_http *h, int ms)
{
	h->idle_ms = ms;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
	}
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->answering = false;
	c->in_len = 0;
	c->out_len = 0;
	c->out_off = 0;
}

static int
respond(struct conn *c, const char *status, const char *extra, const char *type, const char *body,
        size_t body_len, bool head)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr),
	             "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
	             "Connection: close\r\n\r\n",
	             status, type, body_len, extra);
	if (n < 0 || (size_t)n >= sizeof(hdr)) {
		return -1;
	}
	if (head) {
		body_len = 0;
	}
	c->out = malloc((size_t)n + body_len);
	if (c->out == NULL) {
		return -1;
	}
	memcpy(c->out, hdr, (size_t)n);
	if (body_len > 0) {
		memcpy(c->out + n, body, body_len);
	}
	c->out_len = (size_t)n + body_len;
	c->out_off = 0;
	c->answering = true;
	return 0;
}

static int
respond_text(struct conn *c, const char *status, const char *extra, const char *text, bool head)
{
	return respond(c, status, extra, "text/plain; charset=utf-8", text, strlen(text), head);
}

static int
scrape(struct metrics_http *h, struct conn *c, metrics_view_fn *fn, void *arg, bool head)
{
	struct metrics_view v;

	memset(&v, 0, sizeof(v));
	if (fn == NULL || fn(arg, &v) != 0) {
		return respond_text(c, "503 Service Unavailable", "", "feedwatch is not ready\n",
		                    head);
	}
	h->body_len = 0;
	if (metrics_render_prom(&v, &h->body, &h->body_len, &h->body_cap) != 0) {
		return respond_text(c, "500 Internal Server Error", "", "out of memory\n", head);
	}
	return respond(c, "200 OK", "", "text/plain; version=0.0.4; charset=utf-8", h->body,
	               h->body_len, head);
}

/* RFC 9112 §3: request-line = method SP request-target SP HTTP-version */
static int
answer(struct metrics_http *h, struct conn *c, metrics_view_fn *fn, void *arg)
{
	const char *line = c->in, *end = memchr(c->in, '\n', c->in_len);
	const char *sp1, *sp2, *path_end;
	size_t line_len, path_len;
	bool get, head;

	line_len = (size_t)(end - line);
	if (line_len > 0 && line[line_len - 1] == '\r') {
		line_len--;
	}
	sp1 = memchr(line, ' ', line_len);
	sp2 = sp1 == NULL ? NULL : memchr(sp1 + 1, ' ', line_len - (size_t)(sp1 + 1 - line));
	if (sp1 == NULL || sp2 == NULL || sp1 == line || sp2 == sp1 + 1 ||
	    (size_t)(line + line_len - (sp2 + 1)) < 5 || memcmp(sp2 + 1, "HTTP/", 5) != 0) {
		return respond_text(c, "400 Bad Request", "", "bad request\n", false);
	}
	get = sp1 - line == 3 && memcmp(line, "GET", 3) == 0;
	head = sp1 - line == 4 && memcmp(line, "HEAD", 4) == 0;
	if (!get && !head) {
		return respond_text(c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
		                    "only GET and HEAD\n", false);
	}
	path_end = memchr(sp1 + 1, '?', (size_t)(sp2 - (sp1 + 1)));
	path_len = (size_t)((path_end != NULL ? path_end : sp2) - (sp1 + 1));
	if (path_len != 8 || memcmp(sp1 + 1, "/metrics", 8) != 0) {
		return respond_text(c, "404 Not Found", "",
		                    "not found: the metrics are at /metrics\n", head);
	}
	return scrape(h, c, fn, arg, head);
}

/* The header block ends with an empty line; a bare LF also ends a line (RFC 9112 §2.2). */
static bool
headers_done(const struct conn *c)
{
	return memmem(c->in, c->in_len, "\r\n\r\n", 4) != NULL ||
	       memmem(c->in, c->in_len, "\n\n", 2) != NULL;
}

/* Read what the client sent; false when the connection is to be dropped. */
static bool
conn_read(struct metrics_http *h, struct conn *c, metrics_view_fn *fn, void *arg, uint64_t now)
{
	while (!c->answering) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

		if (n == 0) {
			return false;
		}
		if (n < 0) {
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		}
		c->in_len += (size_t)n;
		c->last_ms = now;
		if (headers_done(c)) {
			return answer(h, c, fn, arg) == 0;
		}
		if (c->in_len == sizeof(c->in)) {
			return respond_text(c, "431 Request Header Fields Too Large", "",
			                    "request too large\n", false) == 0;
		}
	}
	return true;
}

/* Write what is left of the answer; false when done or broken (then close). */
static bool
conn_write(struct conn *c, uint64_t now)
{
	char drain[512];

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		}
		c->out_off += (size_t)n;
		c->last_ms = now;
	}
	/*
	 * Unread request bytes at close() would make the kernel send RST, which
	 * may discard the answer before the client reads it: end our side first
	 * and take what is left.
	 */
	shutdown(c->fd, SHUT_WR);
	while (recv(c->fd, drain, sizeof(drain), MSG_DONTWAIT) > 0) {
	}
	return false;
}

void
metrics_http_poll(struct metrics_http *h, metrics_view_fn *fn, void *arg)
{
	uint64_t now;
	int i;

	if (h == NULL) {
		return;
	}
	now = now_ms();
	for (i = 0; i < METRICS_HTTP_MAX_CONNS; i++) {
		struct conn *c = &h->conns[i];

		if (c->fd >= 0) {
			continue;
		}
		/* past the last free slot, clients wait in the listen backlog */
		c->fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->fd < 0) {
			if (errno == ECONNABORTED || errno == EINTR) {
				continue;
			}
			break;
		}
		c->last_ms = now;
	}
	for (i = 0; i < METRICS_HTTP_MAX_CONNS; i++) {
		struct conn *c = &h->conns[i];
		bool keep;

		if (c->fd < 0) {
			continue;
		}
		keep = conn_read(h, c, fn, arg, now);
		if (keep && c->answering) {
			keep = conn_write(c, now);
		}
		if (keep && now - c->last_ms >= (uint64_t)h->idle_ms) {
			keep = false;
		}
		if (!keep) {
			conn_close(c);
		}
	}
}

void
metrics_http_close(struct metrics_http *h)
{
	int i;

	if (h == NULL) {
		return;
	}
	for (i = 0; i < METRICS_HTTP_MAX_CONNS; i++) {
		conn_close(&h->conns[i]);
	}
	close(h->fd);
	free(h->body);
	free(h);
}
