#include "alert/alert_ecs.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alert/alert_json.h"
#include "alert/alert_json_out.h"

#define NODE_MAX 255 /* a DNS name's limit (RFC 1035 §3.1); keeps ALERT_ECS_MAX sufficient */

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
put_endpoint(struct alert_json_out *o, const char *key, const char *addr)
{
	char ip[INET6_ADDRSTRLEN];
	uint32_t port;

	if (!split_addr(addr, ip, &port)) {
		return;
	}
	alert_json_put_str(o, ",\"");
	alert_json_put_str(o, key);
	alert_json_put_str(o, "\":{\"ip\":");
	alert_json_put_string(o, ip);
	alert_json_put_str(o, ",\"port\":");
	alert_json_put_u64(o, port);
	alert_json_put_str(o, "}");
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
put_message(struct alert_json_out *o, const struct alert_rec *r)
{
	char tmp[ALERT_NAME_LEN + 2 + ALERT_TEXT_LEN];
	const char *title = r->title[0] != '\0' ? r->title : "(no title)";
	int n = snprintf(tmp, sizeof(tmp), "%s: %s", r->watchlist, title);

	alert_json_put_str(o, ",\"message\":");
	alert_json_put_span(o, (const uint8_t *)tmp,
	                    n < 0                     ? 0
	                    : (size_t)n < sizeof(tmp) ? (size_t)n
	                                              : sizeof(tmp) - 1);
}

static void
put_event(struct alert_json_out *o, const struct alert_rec *r, uint64_t seq, const char *node,
          size_t node_len)
{
	int sev = alert_ecs_severity(r->severity);
	char id[NODE_MAX + 24];
	int n;

	/*
	 * intrusion_detection/info: a network sensor's detection. "threat" is
	 * for threat intelligence indicators (threat.indicator.*), which a
	 * watchlist keyword is not.
	 */
	alert_json_put_str(
	        o, ",\"event\":{\"kind\":\"alert\",\"category\":[\"intrusion_detection\"],"
	           "\"type\":[\"info\"],\"module\":\"feedwatch\",\"dataset\":\"feedwatch.alert\","
	           "\"severity\":");
	alert_json_put_u64(o, (uint64_t)sev);
	alert_json_put_str(o, ",\"risk_score\":");
	alert_json_put_u64(o, (uint64_t)sev);
	alert_json_put_str(o, ",\"sequence\":");
	alert_json_put_u64(o, seq);
	if (node_len > 0) {
		n = snprintf(id, sizeof(id), "%.*s:%llu", (int)node_len, node,
		             (unsigned long long)seq);
	} else {
		n = snprintf(id, sizeof(id), "%llu", (unsigned long long)seq);
	}
	alert_json_put_str(o, ",\"id\":");
	alert_json_put_span(o, (const uint8_t *)id, (size_t)n);
	alert_json_put_str(o, "}");
}

static void
put_rule(struct alert_json_out *o, const struct alert_rec *r)
{
	alert_json_put_str(o, ",\"rule\":{\"id\":");
	alert_json_put_string(o, r->watchlist);
	alert_json_put_kv(o, "name", r->rule[0] != '\0' ? r->rule : r->watchlist);
	alert_json_put_kv(o, "version", r->wl_version);
	alert_json_put_str(o, ",\"ruleset\":\"feedwatch\"}");
}

static void
put_feedwatch(struct alert_json_out *o, const struct alert_rec *r, uint64_t seq,
              uint64_t latency_us)
{
	alert_json_put_str(o, ",\"feedwatch\":{\"seq\":");
	alert_json_put_u64(o, seq);
	alert_json_put_kv(o, "watchlist", r->watchlist);
	alert_json_put_kv(o, "watchlist_version", r->wl_version);
	alert_json_put_kv(o, "severity", r->severity);
	alert_json_put_record_tail(o, r, latency_us);
	alert_json_put_str(o, "}");
}

size_t
alert_ecs_encode(const struct alert_rec *r, uint64_t seq, uint64_t latency_us, const char *node,
                 char *buf, size_t cap)
{
	struct alert_json_out o = { buf, buf + cap, false };
	size_t node_len;
	uint32_t i;

	if (node == NULL) {
		node = "";
	}
	node_len = cut_len(node, NODE_MAX);
	alert_json_put_str(&o, "{\"@timestamp\":");
	alert_json_put_ts(&o, r->ts_ns);
	put_message(&o, r);
	alert_json_put_str(&o, ",\"ecs\":{\"version\":\"" ALERT_ECS_VERSION "\"}");
	put_event(&o, r, seq, node, node_len);
	alert_json_put_str(&o, ",\"log\":{\"level\":");
	alert_json_put_string(&o, r->severity);
	alert_json_put_str(&o, "}");
	put_rule(&o, r);
	if (r->link[0] != '\0') {
		alert_json_put_str(&o, ",\"url\":{\"full\":");
		alert_json_put_string(&o, r->link);
		alert_json_put_str(&o, "}");
	}
	alert_json_put_str(&o, ",\"tags\":[");
	for (i = 0; i < r->n_tags && i < ALERT_MAX_TAGS; i++) {
		if (i > 0) {
			alert_json_put_str(&o, ",");
		}
		alert_json_put_string(&o, r->tags[i]);
	}
	alert_json_put_str(&o, "],\"observer\":{");
	if (node_len > 0) {
		alert_json_put_str(&o, "\"hostname\":");
		alert_json_put_span(&o, (const uint8_t *)node, node_len);
		alert_json_put_str(&o, ",");
	}
	alert_json_put_str(&o,
	                   "\"type\":\"ids\",\"vendor\":\"feedwatch\",\"product\":\"feedwatch\"}");
	put_endpoint(&o, "source", r->flow_src);
	put_endpoint(&o, "destination", r->flow_dst);
	if (strcmp(r->flow_proto, "tcp") == 0 || strcmp(r->flow_proto, "udp") == 0) {
		alert_json_put_str(&o, ",\"network\":{\"transport\":");
		alert_json_put_string(&o, r->flow_proto);
		alert_json_put_str(&o, "}");
	}
	put_feedwatch(&o, r, seq, latency_us);
	alert_json_put_str(&o, "}\n");
	if (o.overflow) {
		return 0;
	}
	return (size_t)(o.p - buf);
}
