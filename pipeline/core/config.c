#include "core/config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/err.h"

enum kind {
	K_U32,
	K_U64,
	K_STR,
	K_PATH, /* a string resolved against the config file's folder */
	K_PORTS,
	K_BOOL,   /* true or false */
	K_SECS,   /* a duration: 90, 90s, 30m, 24h, 7d; stored as seconds (uint32) */
	K_MS,     /* a duration: 250ms, 2s, 1m, or plain milliseconds; stored as ms (uint32) */
	K_FSYNC,  /* always, never, or a K_MS duration */
	K_CHOICE, /* one of key.choices, stored as its index (uint32) */
	K_MODE,   /* octal permission bits, e.g. "0660" (uint32) */
	K_POW2,   /* a K_U32 that is a power of two */
	K_STRS,   /* a list of strings (char *[max], count at count_off) */
	K_PCIS,   /* a list of PCI addresses, 0000:3b:00.0 or 3b:00.0 */
};

struct key {
	const char *name; /* "section.key" */
	enum kind kind;
	size_t off;
	size_t count_off; /* K_PORTS: where the count lives */
	uint64_t min, max;
	const char *const *choices; /* K_CHOICE: NULL-terminated */
};

static const char *const formats[] = { "feedwatch", "ecs", NULL };
static const char *const slow_policies[] = { "disconnect", "skip", NULL };
static const char *const log_levels[] = { "error", "warning", "info", "debug", NULL };

#define OFF(f) offsetof(struct fw_config, f)

static const struct key keys[] = {
	{ "watchlists.dir", K_PATH, OFF(watchlist_dir), 0, 0, 0 },
	{ "watchlists.cache_dir", K_PATH, OFF(wl_cache_dir), 0, 0, 0 },
	{ "watchlists.watch", K_BOOL, OFF(wl_watch), 0, 0, 0 },
	{ "dedup.window", K_SECS, OFF(dedup_window_s), 0, 0, 366u * 86400 },
	{ "dedup.entries", K_U32, OFF(dedup_entries), 0, 1024, 1u << 26 },
	{ "control.socket", K_PATH, OFF(control_path), 0, 0, 0 },
	{ "control.socket_group", K_STR, OFF(control_group), 0, 0, 0 },
	{ "control.socket_mode", K_MODE, OFF(control_mode), 0, 0, 0777 },
	{ "capture.pcap", K_PATH, OFF(pcap), 0, 0, 0 },
	{ "capture.iface", K_STR, OFF(iface), 0, 0, 0 },
	{ "capture.iface_frames", K_POW2, OFF(iface_frames), 0, 64, 1u << 20 },
	{ "capture.pci", K_PCIS, OFF(pci), OFF(n_pci), 0, CONFIG_MAX_PCI },
	{ "capture.http_ports", K_PORTS, OFF(http_ports), OFF(n_http_ports), 1, 65535 },
	{ "capture.udp_ports", K_PORTS, OFF(udp_ports), OFF(n_udp_ports), 1, 65535 },
	{ "capture.verify_checksums", K_BOOL, OFF(verify_checksums), 0, 0, 0 },
	{ "output.socket", K_PATH, OFF(socket_path), 0, 0, 0 },
	{ "output.socket_group", K_STR, OFF(socket_group), 0, 0, 0 },
	{ "output.socket_mode", K_MODE, OFF(socket_mode), 0, 0, 0777 },
	{ "output.tcp", K_STR, OFF(tcp_listen), 0, 0, 0 },
	{ "output.format", K_CHOICE, OFF(out_format), 0, 0, 0, formats },
	{ "output.slow_policy", K_CHOICE, OFF(slow_policy), 0, 0, 0, slow_policies },
	{ "output.resume_wait", K_MS, OFF(resume_wait_ms), 0, 0, 10000 },
	{ "output.max_clients", K_U32, OFF(max_clients), 0, 1, 65536 },
	{ "output.client_buffer", K_U32, OFF(client_buffer), 0, 65536, 1u << 30 },
	{ "journal.dir", K_PATH, OFF(journal_path), 0, 0, 0 },
	{ "journal.segment_bytes", K_U64, OFF(journal_segment_bytes), 0, 1u << 20, 1ull << 40 },
	{ "journal.retain_bytes", K_U64, OFF(journal_retain_bytes), 0, 1u << 20, 1ull << 50 },
	{ "journal.retain_age", K_SECS, OFF(journal_retain_age_s), 0, 0, 3660u * 86400 },
	{ "journal.fsync", K_FSYNC, OFF(journal_fsync_ms), 0, 0, 3600000 },
	{ "nats.url", K_STR, OFF(nats_url), 0, 0, 0 },
	{ "nats.stream", K_STR, OFF(nats_stream), 0, 0, 0 },
	{ "nats.subject", K_STR, OFF(nats_subject), 0, 0, 0 },
	{ "nats.node", K_STR, OFF(nats_node), 0, 0, 0 },
	{ "nats.create_stream", K_BOOL, OFF(nats_create_stream), 0, 0, 0 },
	{ "nats.max_pending", K_U32, OFF(nats_max_pending), 0, 1, 1u << 20 },
	{ "nats.ack_timeout", K_MS, OFF(nats_ack_timeout_ms), 0, 10, 600000 },
	{ "nats.duplicate_window", K_SECS, OFF(nats_dup_window_s), 0, 1, 7u * 86400 },
	{ "tcp.max_flows", K_U32, OFF(flows), 0, 16, 1u << 24 },
	{ "tcp.idle_timeout_s", K_U32, OFF(flow_idle_s), 0, 1, 86400 },
	{ "tcp.reasm_memcap", K_U64, OFF(reasm_memcap), 0, 64u << 10, 1ull << 36 },
	{ "tcp.reasm_segments_per_stream", K_U32, OFF(ooo_segments_per_stream), 0, 1, 65535 },
	{ "tcp.reasm_bytes_per_stream", K_U32, OFF(ooo_bytes_per_stream), 0, 1500, 1u << 30 },
	{ "http.max_body", K_U64, OFF(max_body), 0, 1024, 1ull << 34 },
	{ "http.max_header", K_U32, OFF(max_header), 0, 1024, 1u << 20 },
	{ "http.max_ratio", K_U32, OFF(max_ratio), 0, 0, 1u << 20 },
	{ "http.inflate_streams", K_U32, OFF(gzip_streams), 0, 1, 1u << 20 },
	{ "http.br_memcap", K_U64, OFF(br_memcap), 0, 0, 1ull << 36 },
	{ "limits.frag_datagrams", K_U32, OFF(frag_datagrams), 0, 0, 1u << 20 },
	{ "limits.frag_max_bytes", K_U32, OFF(frag_max_bytes), 0, 576, 65535 },
	{ "limits.frag_timeout_s", K_U32, OFF(frag_timeout_s), 0, 1, 3600 },
	{ "limits.max_item", K_U32, OFF(max_item), 0, 1024, 1u << 24 },
	{ "limits.feed_parsers", K_U32, OFF(feed_parsers), 0, 1, 1u << 20 },
	{ "limits.http_sessions", K_U32, OFF(http_sessions), 0, 1, 1u << 24 },
	{ "limits.alert_pool", K_U32, OFF(alert_pool), 0, 64, 1u << 20 },
	{ "limits.alert_ring", K_U32, OFF(alert_ring), 0, 64, 1u << 20 },
	{ "dpdk.mbufs", K_U32, OFF(mbufs), 0, 1023, 1u << 24 },
	{ "dpdk.rx_queues", K_U32, OFF(rx_queues), 0, 1, 64 },
	{ "dpdk.rx_desc", K_U32, OFF(rx_desc), 0, 64, 16384 },
	{ "dpdk.workers", K_U32, OFF(workers), 0, 0, 64 },
	{ "dpdk.worker_ring", K_U32, OFF(worker_ring), 0, 64, 1u << 20 },
	{ "dpdk.burst", K_U32, OFF(burst), 0, 1, CONFIG_MAX_BURST },
	{ "dpdk.mbuf_cache", K_U32, OFF(mbuf_cache), 0, 0, 512 },
	{ "dpdk.lcores", K_STR, OFF(lcores), 0, 0, 0 },
	{ "dpdk.file_prefix", K_STR, OFF(file_prefix), 0, 0, 0 },
	{ "dpdk.memory_mb", K_U32, OFF(memory_mb), 0, 0, 1u << 20 },
	{ "dpdk.eal_args", K_STRS, OFF(eal_args), OFF(n_eal_args), 0, CONFIG_MAX_EAL },
	{ "telemetry.dpdk", K_BOOL, OFF(dpdk_telemetry), 0, 0, 0 },
	{ "telemetry.prometheus", K_STR, OFF(prometheus), 0, 0, 0 },
	{ "log.level", K_CHOICE, OFF(log_level), 0, 0, 0, log_levels },
};

/* Settings that moved: an old file gets the new name, not just "unknown setting". */
static const struct {
	const char *old, *now;
} renamed[] = {
	{ "limits.flows", "tcp.max_flows" },
	{ "limits.flow_idle_s", "tcp.idle_timeout_s" },
	{ "limits.ooo_segments", "tcp.reasm_memcap (in bytes)" },
	{ "limits.ooo_segments_per_stream", "tcp.reasm_segments_per_stream" },
	{ "limits.ooo_bytes_per_stream", "tcp.reasm_bytes_per_stream" },
	{ "limits.max_body", "http.max_body" },
	{ "limits.gzip_streams", "http.inflate_streams" },
	{ "output.journal", "journal.dir (a folder of segments)" },
};

int
config_set_str(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL) {
		return -ENOMEM;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

static int
defaults(struct fw_config *cfg)
{
	cfg->n_http_ports = 3;
	cfg->http_ports[0] = 80;
	cfg->http_ports[1] = 8000;
	cfg->http_ports[2] = 8080;
	cfg->n_udp_ports = 1;
	cfg->udp_ports[0] = 5140;
	cfg->max_clients = 256;
	cfg->client_buffer = 4u << 20;
	cfg->socket_mode = 0660;
	cfg->resume_wait_ms = 100;
	cfg->journal_segment_bytes = 64ull << 20;
	cfg->journal_retain_bytes = 1ull << 30;
	cfg->journal_retain_age_s = 7u * 86400;
	cfg->journal_fsync_ms = 1000;
	cfg->nats_create_stream = true;
	cfg->nats_max_pending = 4096;
	cfg->nats_ack_timeout_ms = 5000;
	cfg->nats_dup_window_s = 600;
	cfg->flows = 65536;
	cfg->flow_idle_s = 120;
	cfg->reasm_memcap = 4096ull * CONFIG_SEGMENT_BYTES;
	cfg->ooo_segments_per_stream = 256;
	cfg->ooo_bytes_per_stream = 1u << 20;
	cfg->frag_datagrams = 1024;
	cfg->frag_max_bytes = 65535;
	cfg->frag_timeout_s = 30;
	cfg->max_body = 8ull << 20;
	cfg->max_ratio = 500;
	cfg->max_header = 16384;
	cfg->br_memcap = 32ull << 20;
	cfg->max_item = 128u << 10;
	cfg->feed_parsers = 128;
	cfg->http_sessions = 16384;
	cfg->gzip_streams = 128;
	cfg->alert_pool = 4095;
	cfg->alert_ring = 4096;
	cfg->mbufs = 8191;
	cfg->rx_queues = 1;
	cfg->rx_desc = 1024;
	cfg->workers = 0;
	cfg->worker_ring = 1024;
	cfg->burst = 32;
	cfg->iface_frames = 4096;
	cfg->mbuf_cache = 256;
	cfg->dpdk_telemetry = true;
	cfg->log_level = CONFIG_LOG_INFO;
	cfg->control_mode = 0660;
	cfg->wl_watch = true;
	cfg->dedup_window_s = 86400;
	cfg->dedup_entries = 1u << 18;
	if (config_set_str(&cfg->watchlist_dir, "/etc/feedwatch/watchlists") != 0 ||
	    config_set_str(&cfg->socket_path, "/run/feedwatch/alerts.sock") != 0 ||
	    config_set_str(&cfg->journal_path, "/var/lib/feedwatch/journal") != 0 ||
	    config_set_str(&cfg->socket_group, "") != 0 ||
	    config_set_str(&cfg->tcp_listen, "") != 0 || config_set_str(&cfg->nats_url, "") != 0 ||
	    config_set_str(&cfg->nats_stream, "FEEDWATCH") != 0 ||
	    config_set_str(&cfg->nats_subject, "feedwatch.alerts") != 0 ||
	    config_set_str(&cfg->nats_node, "") != 0 ||
	    config_set_str(&cfg->wl_cache_dir, "/var/cache/feedwatch") != 0 ||
	    config_set_str(&cfg->control_path, "/run/feedwatch/control.sock") != 0 ||
	    config_set_str(&cfg->control_group, "") != 0 || config_set_str(&cfg->pcap, "") != 0 ||
	    config_set_str(&cfg->iface, "") != 0 || config_set_str(&cfg->lcores, "") != 0 ||
	    config_set_str(&cfg->file_prefix, "") != 0 ||
	    config_set_str(&cfg->prometheus, "") != 0) {
		return -ENOMEM;
	}
	return 0;
}

static const struct key *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].name, name) == 0) {
			return &keys[i];
		}
	}
	return NULL;
}

static const char *
renamed_to(const char *name)
{
	static char msg[96];
	size_t i;

	for (i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++) {
		if (strcmp(renamed[i].old, name) == 0) {
			snprintf(msg, sizeof(msg), "renamed: now %s", renamed[i].now);
			return msg;
		}
	}
	return "unknown setting";
}

static bool
parse_uint(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9') {
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0') {
		return false;
	}
	*out = v;
	return true;
}

struct loader {
	const char *file;
	char *dir; /* folder of the file, for K_PATH */
	yaml_document_t doc;
	char **err;
};

static void
fail_at(struct loader *ld, const yaml_node_t *n, const char *msg, const char *name)
{
	err_set(ld->err, "%s:%zu:%zu: %s%s%s", ld->file, n->start_mark.line + 1,
	        n->start_mark.column + 1, name != NULL ? name : "", name != NULL ? ": " : "", msg);
}

/* "90", "90s", "30m", "24h", "7d" → seconds. */
static bool
parse_secs(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = strlen(s);
	uint64_t mul = 1, v;

	if (n == 0 || n >= sizeof(num)) {
		return false;
	}
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 's':
		mul = 1;
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		return parse_uint(num, out);
	}
	num[n - 1] = 0;
	if (!parse_uint(num, &v) || v > UINT32_MAX) {
		return false;
	}
	*out = v * mul;
	return true;
}

/* 250ms, 2s, 1m, 1h, or a plain number of milliseconds */
static bool
parse_ms(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t v;

	if (n > 2 && strcmp(s + n - 2, "ms") == 0) {
		char num[32];

		if (n - 2 >= sizeof(num)) {
			return false;
		}
		memcpy(num, s, n - 2);
		num[n - 2] = 0;
		return parse_uint(num, out);
	}
	if (n > 0 && (s[n - 1] < '0' || s[n - 1] > '9')) {
		if (!parse_secs(s, &v) || v > UINT32_MAX / 1000u) {
			return false;
		}
		*out = v * 1000u;
		return true;
	}
	return parse_uint(s, out);
}

static int
set_choice(struct loader *ld, struct fw_config *cfg, const struct key *k, yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	char msg[160];
	size_t at;
	uint32_t i;

	for (i = 0; k->choices[i] != NULL; i++) {
		if (strcmp(s, k->choices[i]) == 0) {
			*(uint32_t *)((char *)cfg + k->off) = i;
			return 0;
		}
	}
	at = (size_t)snprintf(msg, sizeof(msg), "'%.40s' is not one of", s);
	for (i = 0; k->choices[i] != NULL && at < sizeof(msg); i++) {
		at += (size_t)snprintf(msg + at, sizeof(msg) - at, "%s %s", i > 0 ? "," : "",
		                       k->choices[i]);
	}
	fail_at(ld, n, msg, k->name);
	return -1;
}

static int
set_scalar(struct loader *ld, struct fw_config *cfg, const struct key *k, yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	uint64_t v;

	if (n->type != YAML_SCALAR_NODE) {
		fail_at(ld, n, "expected a single value", k->name);
		return -1;
	}
	if (k->kind == K_STR || k->kind == K_PATH) {
		char **slot = (char **)((char *)cfg + k->off);
		char *path = NULL;

		if (k->kind == K_PATH && s[0] != '/' && s[0] != '\0' && ld->dir != NULL) {
			if (asprintf(&path, "%s/%s", ld->dir, s) < 0) {
				path = NULL;
			}
		} else {
			path = strdup(s);
		}
		if (path == NULL) {
			fail_at(ld, n, "out of memory", k->name);
			return -1;
		}
		free(*slot);
		*slot = path;
		return 0;
	}
	if (k->kind == K_BOOL) {
		bool *slot = (bool *)((char *)cfg + k->off);

		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0) {
			char msg[96];

			snprintf(msg, sizeof(msg), "'%.40s' is not true or false", s);
			fail_at(ld, n, msg, k->name);
			return -1;
		}
		*slot = s[0] == 't';
		return 0;
	}
	if (k->kind == K_CHOICE) {
		return set_choice(ld, cfg, k, n);
	}
	if (k->kind == K_MODE) {
		char *end = NULL;
		unsigned long m = strtoul(s, &end, 8);

		if (s[0] != '0' || end == s || *end != '\0' || m > k->max) {
			fail_at(ld, n, "expected octal permission bits like \"0660\" (quoted)",
			        k->name);
			return -1;
		}
		*(uint32_t *)((char *)cfg + k->off) = (uint32_t)m;
		return 0;
	}
	if (k->kind == K_FSYNC && (strcmp(s, "always") == 0 || strcmp(s, "never") == 0)) {
		*(uint32_t *)((char *)cfg + k->off) = s[0] == 'a' ? 0u : UINT32_MAX;
		return 0;
	}
	if (k->kind == K_MS || k->kind == K_FSYNC) {
		if (!parse_ms(s, &v) || v < k->min || v > k->max) {
			char msg[160];

			snprintf(
			        msg, sizeof(msg),
			        "'%.40s' is not %sa duration like 250ms, 2s or 1m (from %llu ms to "
			        "%llu ms)",
			        s, k->kind == K_FSYNC ? "always, never or " : "",
			        (unsigned long long)k->min, (unsigned long long)k->max);
			fail_at(ld, n, msg, k->name);
			return -1;
		}
		*(uint32_t *)((char *)cfg + k->off) = (uint32_t)v;
		return 0;
	}
	if (k->kind == K_SECS) {
		if (!parse_secs(s, &v) || v < k->min || v > k->max) {
			char msg[128];

			snprintf(msg, sizeof(msg),
			         "'%.40s' is not a duration like 90s, 30m, 24h or 7d (%s at most "
			         "%llud)",
			         s, k->min > 0 ? "not 0," : "",
			         (unsigned long long)(k->max / 86400));
			fail_at(ld, n, msg, k->name);
			return -1;
		}
		*(uint32_t *)((char *)cfg + k->off) = (uint32_t)v;
		return 0;
	}
	if (!parse_uint(s, &v) || v < k->min || v > k->max ||
	    (k->kind == K_POW2 && (v & (v - 1)) != 0)) {
		char msg[128];

		snprintf(msg, sizeof(msg), "'%s' is not a %s from %llu to %llu", s,
		         k->kind == K_POW2 ? "power of two" : "whole number",
		         (unsigned long long)k->min, (unsigned long long)k->max);
		fail_at(ld, n, msg, k->name);
		return -1;
	}
	if (k->kind == K_U32 || k->kind == K_POW2) {
		*(uint32_t *)((char *)cfg + k->off) = (uint32_t)v;
	} else {
		*(uint64_t *)((char *)cfg + k->off) = v;
	}
	return 0;
}

static int
set_ports(struct loader *ld, struct fw_config *cfg, const struct key *k, yaml_node_t *n)
{
	uint16_t *ports = (uint16_t *)((char *)cfg + k->off);
	uint32_t *count = (uint32_t *)((char *)cfg + k->count_off);
	yaml_node_item_t *it;
	uint32_t i = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		fail_at(ld, n, "expected a list of ports, e.g. [80, 8080]", k->name);
		return -1;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *p = yaml_document_get_node(&ld->doc, *it);
		uint64_t v;

		if (i == CONFIG_MAX_PORTS) {
			fail_at(ld, p, "too many ports (at most 16)", k->name);
			return -1;
		}
		if (p->type != YAML_SCALAR_NODE ||
		    !parse_uint((const char *)p->data.scalar.value, &v) || v < 1 || v > 65535) {
			fail_at(ld, p, "a port is a whole number from 1 to 65535", k->name);
			return -1;
		}
		ports[i++] = (uint16_t)v;
	}
	*count = i;
	return 0;
}

/* "0000:3b:00.0" or "3b:00.0" (domain 0) */
static bool
is_pci(const char *s)
{
	unsigned int d, b, dev, fn;
	int n = 0;

	if (sscanf(s, "%4x:%2x:%2x.%1x%n", &d, &b, &dev, &fn, &n) == 4 && s[n] == '\0' && n == 12) {
		return dev < 32 && fn < 8;
	}
	n = 0;
	return sscanf(s, "%2x:%2x.%1x%n", &b, &dev, &fn, &n) == 3 && s[n] == '\0' && n == 7 &&
	       dev < 32 && fn < 8;
}

static int
set_strs(struct loader *ld, struct fw_config *cfg, const struct key *k, yaml_node_t *n)
{
	char **v = (char **)((char *)cfg + k->off);
	uint32_t *count = (uint32_t *)((char *)cfg + k->count_off);
	yaml_node_item_t *it;
	uint32_t i;

	if (n->type != YAML_SEQUENCE_NODE) {
		fail_at(ld, n,
		        k->kind == K_PCIS
		                ? "expected a list of PCI addresses, e.g. [\"0000:3b:00.0\"]"
		                : "expected a list of strings, e.g. [\"--socket-mem=1024\"]",
		        k->name);
		return -1;
	}
	for (i = 0; i < *count; i++) {
		free(v[i]);
		v[i] = NULL;
	}
	*count = 0;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *p = yaml_document_get_node(&ld->doc, *it);
		const char *s =
		        p->type == YAML_SCALAR_NODE ? (const char *)p->data.scalar.value : NULL;
		char msg[96];

		if (*count == k->max) {
			snprintf(msg, sizeof(msg), "too many entries (at most %llu)",
			         (unsigned long long)k->max);
			fail_at(ld, p, msg, k->name);
			return -1;
		}
		if (s == NULL || s[0] == '\0' || (k->kind == K_PCIS && !is_pci(s))) {
			fail_at(ld, p,
			        k->kind == K_PCIS ? "a PCI address is like 0000:3b:00.0"
			                          : "expected a non-empty string",
			        k->name);
			return -1;
		}
		v[*count] = strdup(s);
		if (v[*count] == NULL) {
			fail_at(ld, p, "out of memory", k->name);
			return -1;
		}
		(*count)++;
	}
	return 0;
}

/* capture.pcap, capture.iface and capture.pci are alternatives: one at most. */
static int
check_source(struct loader *ld, const struct fw_config *cfg, const struct key *k,
             const yaml_node_t *at)
{
	int n = (cfg->pcap[0] != '\0') + (cfg->iface[0] != '\0') + (cfg->n_pci > 0);

	if (strncmp(k->name, "capture.", 8) != 0 || n <= 1) {
		return 0;
	}
	fail_at(ld, at, "capture.pcap, capture.iface and capture.pci are alternatives: give one",
	        k->name);
	return -1;
}

static int
walk(struct loader *ld, struct fw_config *cfg, yaml_node_t *root)
{
	yaml_node_pair_t *sp, *kp;

	if (root == NULL) {
		return 0; /* an empty file: defaults */
	}
	if (root->type != YAML_MAPPING_NODE) {
		fail_at(ld, root, "expected a mapping of sections", NULL);
		return -1;
	}
	for (sp = root->data.mapping.pairs.start; sp < root->data.mapping.pairs.top; sp++) {
		yaml_node_t *sk = yaml_document_get_node(&ld->doc, sp->key);
		yaml_node_t *sv = yaml_document_get_node(&ld->doc, sp->value);
		const char *section;

		if (sk->type != YAML_SCALAR_NODE) {
			fail_at(ld, sk, "expected a section name", NULL);
			return -1;
		}
		section = (const char *)sk->data.scalar.value;
		if (sv->type != YAML_MAPPING_NODE) {
			fail_at(ld, sv, "expected a mapping", section);
			return -1;
		}
		for (kp = sv->data.mapping.pairs.start; kp < sv->data.mapping.pairs.top; kp++) {
			yaml_node_t *kk = yaml_document_get_node(&ld->doc, kp->key);
			yaml_node_t *kv = yaml_document_get_node(&ld->doc, kp->value);
			char name[128];
			const struct key *k;
			int rc;

			if (kk->type != YAML_SCALAR_NODE) {
				fail_at(ld, kk, "expected a key", section);
				return -1;
			}
			snprintf(name, sizeof(name), "%s.%s", section,
			         (const char *)kk->data.scalar.value);
			k = find_key(name);
			if (k == NULL) {
				fail_at(ld, kk, renamed_to(name), name);
				return -1;
			}
			if (k->kind == K_PORTS) {
				rc = set_ports(ld, cfg, k, kv);
			} else if (k->kind == K_STRS || k->kind == K_PCIS) {
				rc = set_strs(ld, cfg, k, kv);
			} else {
				rc = set_scalar(ld, cfg, k, kv);
			}
			if (rc != 0 || check_source(ld, cfg, k, kk) != 0) {
				return -1;
			}
		}
	}
	return 0;
}

struct fw_config *
config_load(const char *path, char **err)
{
	struct fw_config *cfg = NULL;
	struct loader ld;
	yaml_parser_t parser;
	bool parser_ok = false, doc_ok = false;
	FILE *f = NULL;
	char *slash;

	memset(&ld, 0, sizeof(ld));
	ld.file = path;
	ld.err = err;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || defaults(cfg) != 0) {
		err_set(err, "out of memory");
		goto fail;
	}
	cfg->ooo_segments = (uint32_t)(cfg->reasm_memcap / CONFIG_SEGMENT_BYTES);
	if (path == NULL) {
		return cfg;
	}
	if (config_set_str(&cfg->path, path) != 0 || config_set_str(&ld.dir, path) != 0) {
		err_set(err, "out of memory");
		goto fail;
	}
	slash = strrchr(ld.dir, '/');
	if (slash == NULL) {
		free(ld.dir);
		ld.dir = NULL;
	} else {
		*slash = '\0';
	}
	f = fopen(path, "re");
	if (f == NULL) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!yaml_parser_initialize(&parser)) {
		err_set(err, "%s: cannot start the YAML parser", path);
		goto fail;
	}
	parser_ok = true;
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &ld.doc)) {
		err_set(err, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
		        parser.problem_mark.column + 1,
		        parser.problem != NULL ? parser.problem : "invalid YAML");
		goto fail;
	}
	doc_ok = true;
	if (walk(&ld, cfg, yaml_document_get_root_node(&ld.doc)) != 0) {
		goto fail;
	}
	cfg->ooo_segments = (uint32_t)(cfg->reasm_memcap / CONFIG_SEGMENT_BYTES);
	yaml_document_delete(&ld.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	free(ld.dir);
	return cfg;
fail:
	if (doc_ok) {
		yaml_document_delete(&ld.doc);
	}
	if (parser_ok) {
		yaml_parser_delete(&parser);
	}
	if (f != NULL) {
		fclose(f);
	}
	free(ld.dir);
	config_free(cfg);
	return NULL;
}

const char *
config_key_name(size_t i)
{
	return i < sizeof(keys) / sizeof(keys[0]) ? keys[i].name : NULL;
}

static bool
same_value(const struct key *k, const struct fw_config *a, const struct fw_config *b)
{
	const char *pa = (const char *)a + k->off, *pb = (const char *)b + k->off;
	uint32_t i, n;

	switch (k->kind) {
	case K_STR:
	case K_PATH:
		return strcmp(*(char *const *)pa, *(char *const *)pb) == 0;
	case K_U64:
		return *(const uint64_t *)pa == *(const uint64_t *)pb;
	case K_BOOL:
		return *(const bool *)pa == *(const bool *)pb;
	case K_PORTS:
		n = *(const uint32_t *)((const char *)a + k->count_off);
		return n == *(const uint32_t *)((const char *)b + k->count_off) &&
		       memcmp(pa, pb, n * sizeof(uint16_t)) == 0;
	case K_STRS:
	case K_PCIS:
		n = *(const uint32_t *)((const char *)a + k->count_off);
		if (n != *(const uint32_t *)((const char *)b + k->count_off)) {
			return false;
		}
		for (i = 0; i < n; i++) {
			if (strcmp(((char *const *)pa)[i], ((char *const *)pb)[i]) != 0) {
				return false;
			}
		}
		return true;
	default:
		return *(const uint32_t *)pa == *(const uint32_t *)pb;
	}
}

const char *
config_diff(const struct fw_config *a, const struct fw_config *b)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!same_value(&keys[i], a, b)) {
			return keys[i].name;
		}
	}
	return NULL;
}

void
config_free(struct fw_config *cfg)
{
	uint32_t i;

	if (cfg == NULL) {
		return;
	}
	free(cfg->path);
	free(cfg->watchlist_dir);
	free(cfg->wl_cache_dir);
	free(cfg->control_path);
	free(cfg->socket_path);
	free(cfg->journal_path);
	free(cfg->socket_group);
	free(cfg->tcp_listen);
	free(cfg->nats_url);
	free(cfg->nats_stream);
	free(cfg->nats_subject);
	free(cfg->nats_node);
	free(cfg->control_group);
	free(cfg->pcap);
	free(cfg->iface);
	free(cfg->lcores);
	free(cfg->file_prefix);
	free(cfg->prometheus);
	for (i = 0; i < cfg->n_pci; i++) {
		free(cfg->pci[i]);
	}
	for (i = 0; i < cfg->n_eal_args; i++) {
		free(cfg->eal_args[i]);
	}
	free(cfg);
}
