#include "alert/alert_ecs.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alert/alert_json.h"

#define NODE_MAX 255 /* a DNS name's limit (RFC 1035 §3.1); keeps ALERT_ECS_MAX sufficient */

struct out {
	char *p;
	char *end;
	bool overflow;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || (size_t)(o->end - o->p) < n) {
		o->overflow = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

static void
put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
put_u64(struct out *o, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);

	put(o, tmp, (size_t)n);
}

/* <n> bytes at <s> as a JSON string; alert_json_string does the escaping. */
static void
put_json_n(struct out *o, const char *s, size_t n)
{
	struct span sp = { (const uint8_t *)s, n };
	size_t len;

	if (o->overflow) {
		return;
	}
	len = alert_json_string(o->p, (size_t)(o->end - o->p), sp);
	if (len == 0) {
		o->overflow = true;
		return;
	}
	o->p += len;
}

static void
put_json(struct out *o, const char *s)
{
	put_json_n(o, s, strlen(s));
}

/* ,"key":"value" */
static void
put_kv(struct out *o, const char *key, const char *val)
{
	put_str(o, ",\"");
	put_str(o, key);
	put_str(o, "\":");
	put_json(o, val);
}

static void
put_ts(struct out *o, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000u);
	struct tm tm;
	char tmp[48];
	int n;

	gmtime_r(&secs, &tm);
	n = snprintf(tmp, sizeof(tmp), "\"%04d-%02d-%02dT%02d:%02d:%02d.%06luZ\"",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	             (unsigned long)((ns % 1000000000u) / 1000u));
	put(o, tmp, (size_t)n);
}

/*
 * Split a flow address, "a.b.c.d:port" or "[v6]:port", into <ip> (checked
 * with inet_pton: Elasticsearch rejects a whole document whose ECS ip field
 * does not parse) and <port>. Returns false if it is not of that form.
 */
static bool
split_addr(const char *s, char ip[INET6_ADDRSTRLEN], uint32_t *port)
{
	const char *colon, *host = s, *host_end, *p;
	unsigned char bin[sizeof(struct in6_addr)];
	uint32_t v = 0;
	size_t n;
	bool is_ip6 = s[0] == '[';

	if (is_ip6) {
		host = s + 1;
		host_end = strchr(host, ']');
		if (host_end == NULL || host_end[1] != ':') {
			return false;
		}
		colon = host_end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			return false;
		}
		host_end = colon;
	}
	n = (size_t)(host_end - host);
	if (n == 0 || n >= INET6_ADDRSTRLEN) {
		return false;
	}
	memcpy(ip, host, n);
	ip[n] = '\0';
	if (inet_pton(is_ip6 ? AF_INET6 : AF_INET, ip, bin) != 1) {
		return false;
	}
	p = colon + 1;
	if (*p == '\0') {
		return false;
	}
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > 65535) {
			return false;
		}
		v = v * 10 + (uint32_t)(*p - '0');
	}
	if (v > 65535) {
		return false;
	}
	*port = v;
	return true;
}

/* ,"source":{"ip":"...","port":N} when <addr> parses */
static void
put_endpoint(struct out *o, const char *key, const char *addr)
{
	char ip[INET6_ADDRSTRLEN];
	uint32_t port;

	if (!split_addr(addr, ip, &port)) {
		return;
	}
	put_str(o, ",\"");
	put_str(o, key);
	put_str(o, "\":{\"ip\":");
	put_json(o, ip);
	put_str(o, ",\"port\":");
	put_u64(o, port);
	put_str(o, "}");
}

/* <s> cut to at most <max> bytes at a UTF-8 character boundary: the length kept. */
static size_t
cut_len(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max) {
		return n;
	}
	n = max;
	while (n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80) {
		n--;
	}
	return n;
}

int
alert_ecs_severity(const char *label)
{
	static const struct {
		const char *label;
		int score;
	} map[] = {
		{ "info", 1 }, { "low", 21 }, { "medium", 47 }, { "high", 73 }, { "critical", 99 }
	};
	size_t i;

	if (label == NULL) {
		return 0;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(label, map[i].label) == 0) {
			return map[i].score;
		}
	}
	return 0;
}

/* "message": a one-liner for log viewers, "<watchlist>: <title>" */
static void
put_message(struct out *o, const struct alert_rec *r)
{
	char tmp[ALERT_NAME_LEN + 2 + ALERT_TEXT_LEN];
	const char *title = r->title[0] != '\0' ? r->title : "(no title)";
	int n = snprintf(tmp, sizeof(tmp), "%s: %s", r->watchlist, title);

	put_str(o, ",\"message\":");
	put_json_n(o, tmp, n < 0 ? 0 : (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void
put_event(struct out *o, const struct alert_rec *r, uint64_t seq, const char *node, size_t node_len)
{
	int sev = alert_ecs_severity(r->severity);
	char id[NODE_MAX + 24];
	int n;

	/*
	 * intrusion_detection/info: a network sensor's detection. "threat" is
	 * for threat intelligence indicators (threat.indicator.*), which a
	 * watchlist keyword is not.
	 */
	put_str(o, ",\"event\":{\"kind\":\"alert\",\"category\":[\"intrusion_detection\"],"
	           "\"type\":[\"info\"],\"module\":\"feedwatch\",\"dataset\":\"feedwatch.alert\","
	           "\"severity\":");
	put_u64(o, (uint64_t)sev);
	put_str(o, ",\"risk_score\":");
	put_u64(o, (uint64_t)sev);
	put_str(o, ",\"sequence\":");
	put_u64(o, seq);
	if (node_len > 0) {
		n = snprintf(id, sizeof(id), "%.*s:%llu", (int)node_len, node,
		             (unsigned long long)seq);
	} else {
		n = snprintf(id, sizeof(id), "%llu", (unsigned long long)seq);
	}
	put_str(o, ",\"id\":");
	put_json_n(o, id, (size_t)n);
	put_str(o, "}");
}

static void
put_rule(struct out *o, const struct alert_rec *r)
{
	put_str(o, ",\"rule\":{\"id\":");
	put_json(o, r->watchlist);
	put_kv(o, "name", r->rule[0] != '\0' ? r->rule : r->watchlist);
	put_kv(o, "version", r->wl_version);
	put_str(o, ",\"ruleset\":\"feedwatch\"}");
}

static void
put_feedwatch(struct out *o, const struct alert_rec *r, uint64_t seq, uint64_t latency_us)
{
	uint32_t i;

	put_str(o, ",\"feedwatch\":{\"seq\":");
	put_u64(o, seq);
	put_kv(o, "watchlist", r->watchlist);
	put_kv(o, "watchlist_version", r->wl_version);
	put_kv(o, "severity", r->severity);
	put_str(o, ",\"rule\":");
	if (r->rule[0] != '\0') {
		put_json(o, r->rule);
	} else {
		put_str(o, "null");
	}
	put_str(o, ",\"hits\":[");
	for (i = 0; i < r->n_hits && i < ALERT_MAX_HITS; i++) {
		put_str(o, i > 0 ? ",{\"term\":" : "{\"term\":");
		put_json(o, r->hits[i].term);
		put_kv(o, "field", r->hits[i].field);
		put_str(o, ",\"offset\":");
		put_u64(o, r->hits[i].offset);
		put_str(o, "}");
	}
	put_str(o, "],\"hits_dropped\":");
	put_u64(o, r->n_hits_dropped);
	put_str(o, ",\"item\":{\"title\":");
	put_json(o, r->title);
	put_kv(o, "link", r->link);
	put_kv(o, "id", r->id);
	put_kv(o, "published", r->published);
	put_kv(o, "excerpt", r->excerpt);
	put_str(o, "},\"feed\":{\"url\":");
	put_json(o, r->feed_url);
	put_kv(o, "format", r->feed_format);
	put_kv(o, "title", r->feed_title);
	put_str(o, "},\"flow\":{\"src\":");
	put_json(o, r->flow_src);
	put_kv(o, "dst", r->flow_dst);
	put_kv(o, "proto", r->flow_proto);
	put_str(o, "},\"latency_us\":");
	put_u64(o, latency_us);
	put_str(o, "}");
}

size_t
alert_ecs_encode(const struct alert_rec *r, uint64_t seq, uint64_t latency_us, const char *node,
                 char *buf, size_t cap)
{
	struct out o = { buf, buf + cap, false };
	size_t node_len;
	uint32_t i;

	if (node == NULL) {
		node = "";
	}
	node_len = cut_len(node, NODE_MAX);
	put_str(&o, "{\"@timestamp\":");
	put_ts(&o, r->ts_ns);
	put_message(&o, r);
	put_str(&o, ",\"ecs\":{\"version\":\"" ALERT_ECS_VERSION "\"}");
	put_event(&o, r, seq, node, node_len);
	put_str(&o, ",\"log\":{\"level\":");
	put_json(&o, r->severity);
	put_str(&o, "}");
	put_rule(&o, r);
	if (r->link[0] != '\0') {
		put_str(&o, ",\"url\":{\"full\":");
		put_json(&o, r->link);
		put_str(&o, "}");
	}
	put_str(&o, ",\"tags\":[");
	for (i = 0; i < r->n_tags && i < ALERT_MAX_TAGS; i++) {
		if (i > 0) {
			put_str(&o, ",");
		}
		put_json(&o, r->tags[i]);
	}
	put_str(&o, "],\"observer\":{");
	if (node_len > 0) {
		put_str(&o, "\"hostname\":");
		put_json_n(&o, node, node_len);
		put_str(&o, ",");
	}
	put_str(&o, "\"type\":\"ids\",\"vendor\":\"feedwatch\",\"product\":\"feedwatch\"}");
	put_endpoint(&o, "source", r->flow_src);
	put_endpoint(&o, "destination", r->flow_dst);
	if (strcmp(r->flow_proto, "tcp") == 0 || strcmp(r->flow_proto, "udp") == 0) {
		put_str(&o, ",\"network\":{\"transport\":");
		put_json(&o, r->flow_proto);
		put_str(&o, "}");
	}
	put_feedwatch(&o, r, seq, latency_us);
	put_str(&o, "}\n");
	if (o.overflow) {
		return 0;
	}
	return (size_t)(o.p - buf);
}
