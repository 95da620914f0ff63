#include "core/offline.h"

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert_json.h"
#include "alert/alert_text.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/file.h"
#include "core/log.h"
#include "feed/feed.h"
#include "http/http-t.h"
#include "match/watchlist.h"

#define HTTP_URL_JSON_MAX (6 * ALERT_TEXT_LEN + 2) /* a URL escaped at worst */
#define ETH_FRAME_MAX     (262144 + 14)            /* libpcap's largest snapshot, relinked */

struct offline {
	const struct offline_opts *o;
	const struct wl_set *set;
	struct wl_scratch *explain; /* --explain: a scratch of its own */
	struct alert_rec rec;
	uint64_t seq;
	uint64_t items;
	char line[ALERT_JSON_MAX];
	char *iline; /* an --items line: every field escaped, at most 6 bytes a byte */
	size_t icap;
	size_t used; /* bytes of iline[] filled */
};

static struct alert_rec *
get_rec(void *arg)
{
	struct offline *st = arg;

	memset(&st->rec, 0, sizeof(st->rec));
	return &st->rec;
}

static void
submit_rec(void *arg, struct alert_rec *r)
{
	struct offline *st = arg;
	size_t len;

	st->seq++;
	if (!st->o->json) {
		alert_text_print(stdout, r, st->seq, 0);
		return;
	}
	len = alert_json_encode(r, st->seq, 0, st->line, sizeof(st->line));
	fwrite(st->line, 1, len, stdout);
}

/* Appends <s> to the line being built; fields are bounded, so the line never fills. */
static void
put(struct offline *st, struct span s)
{
	if (st->icap - st->used > s.len) {
		memcpy(st->iline + st->used, s.ptr, s.len);
		st->used += s.len;
	}
}

/* ,"key":"value" (or without the comma first); nothing when <v> is empty. */
static void
put_field(struct offline *st, const char *key, struct span v, bool *first)
{
	size_t n;

	if (v.len == 0) {
		return;
	}
	put(st, span_str(*first ? "\"" : ",\""));
	*first = false;
	put(st, span_str(key));
	put(st, span_str("\":"));
	n = alert_json_string(st->iline + st->used, st->icap - st->used, v);
	st->used += n;
}

/*
 * One --items line: {"feed":{url,format,title,link},"item":{title,link,id,
 * published,author,categories[],summary,content,truncated}}; empty fields are
 * left out.
 */
static void
item_seen(void *arg, const struct feed_item *it, struct span url)
{
	static const enum feed_field order[] = {
		FEED_F_TITLE,  FEED_F_LINK,    FEED_F_ID,      FEED_F_PUBLISHED,
		FEED_F_AUTHOR, FEED_F_SUMMARY, FEED_F_CONTENT,
	};
	struct offline *st = arg;
	bool first = true;
	size_t i;

	st->items++;
	if (!st->o->items) {
		return;
	}
	st->used = 0;
	put(st, span_str("{\"feed\":{"));
	put_field(st, "url", url, &first);
	put_field(st, "format", span_str(feed_format_name(it->format)), &first);
	put_field(st, "title", it->feed_title, &first);
	put_field(st, "link", it->feed_link, &first);
	put(st, span_str("},\"item\":{"));
	first = true;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		put_field(st, feed_field_name(order[i]), it->field[order[i]], &first);
	}
	if (it->n_categories > 0) {
		put(st, span_str(first ? "\"categories\":[" : ",\"categories\":["));
		first = false;
		for (i = 0; i < it->n_categories; i++) {
			if (i > 0) {
				put(st, span_str(","));
			}
			st->used += alert_json_string(st->iline + st->used, st->icap - st->used,
			                              it->category[i]);
		}
		put(st, span_str("]"));
	}
	if (it->truncated) {
		put(st, span_str(first ? "\"truncated\":true" : ",\"truncated\":true"));
	}
	put(st, span_str("}}\n"));
	fwrite(st->iline, 1, st->used, stdout);
}

static void
explain_line(void *arg, unsigned int depth, bool held, const char *text)
{
	(void)arg;
	printf("  %*s%s %s\n", (int)depth * 2, "", held ? "+" : "-", text);
}

/* --explain: the item, then each watchlist's rules and clauses, + held, - did not. */
static void
item_explain(void *arg, const struct wl_item *it)
{
	struct offline *st = arg;
	struct span t = it->field[WL_FIELD_TITLE];

	printf("item \"%.*s\"\n", (int)(t.len < 200 ? t.len : 200), (const char *)t.ptr);
	wl_scan_explain(st->set, st->explain, it, explain_line, st);
}

/*
 * A frame of link type <link> (not Ethernet) rewritten as an Ethernet frame
 * in <buf> (ETH_FRAME_MAX bytes): the link header replaced by a 14-byte one
 * carrying the same network protocol, so the one decoder reads every
 * capture. <*n> is the length in and out. NULL if the frame is not IPv4 or
 * IPv6 (or too long).
 */
static const uint8_t *
as_ethernet(int link, const uint8_t *d, size_t *n, uint8_t *buf)
{
	size_t hl = 0;
	uint16_t type = 0;
	uint32_t family;

	switch (link) {
	case DLT_NULL:
	case DLT_LOOP:
		/* a 4-byte address family, host order for NULL, network order for LOOP */
		if (*n < 4) {
			return NULL;
		}
		memcpy(&family, d, 4);
		if (family > 0xFFFF) {
			family = __builtin_bswap32(family);
		}
		hl = 4;
		type = family == 2                                      ? 0x0800
		       : (family == 24 || family == 28 || family == 30) ? 0x86DD
		                                                        : 0;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		type = *n > 0 && d[0] >> 4 == 4 ? 0x0800 : *n > 0 && d[0] >> 4 == 6 ? 0x86DD : 0;
		break;
	case DLT_LINUX_SLL:
		/* 16 bytes, the protocol in the last two (network order) */
		hl = 16;
		type = *n >= 16 ? (uint16_t)(d[14] << 8 | d[15]) : 0;
		break;
	case DLT_LINUX_SLL2:
		/* 20 bytes, the protocol first */
		hl = 20;
		type = *n >= 20 ? (uint16_t)(d[0] << 8 | d[1]) : 0;
		break;
	default:
		return NULL;
	}
	if ((type != 0x0800 && type != 0x86DD) || *n < hl || *n - hl + 14 > ETH_FRAME_MAX) {
		return NULL;
	}
	memset(buf, 0, 12);
	buf[12] = (uint8_t)(type >> 8);
	buf[13] = (uint8_t)type;
	memcpy(buf + 14, d + hl, *n - hl);
	*n = *n - hl + 14;
	return buf;
}

static int
run_pcap(struct engine *e, const char *path)
{
	static uint8_t eth[ETH_FRAME_MAX];
	char errbuf[PCAP_ERRBUF_SIZE];
	int link;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int rc;

	p = pcap_open_offline(path, errbuf);
	if (p == NULL) {
		log_err("%s", errbuf);
		return -1;
	}
	link = pcap_datalink(p);
	if (link != DLT_EN10MB && link != DLT_NULL && link != DLT_LOOP && link != DLT_RAW &&
	    link != DLT_IPV4 && link != DLT_IPV6 && link != DLT_LINUX_SLL &&
	    link != DLT_LINUX_SLL2) {
		log_err("%s: link type %s is not read (Ethernet, BSD loopback, raw IP, Linux "
		        "cooked)",
		        path, pcap_datalink_val_to_name(link));
		pcap_close(p);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		uint64_t ts =
		        (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * 1000u;
		size_t n = h->caplen;
		const uint8_t *frame = link == DLT_EN10MB ? data : as_ethernet(link, data, &n, eth);

		if (frame != NULL) {
			engine_packet(e, frame, n, ts, clock_ns(CLOCK_MONOTONIC), NULL);
		}
	}
	if (rc == PCAP_ERROR) {
		log_err("%s: %s", path, pcap_geterr(p));
	}
	pcap_close(p);
	engine_flush(e);
	return rc == PCAP_ERROR ? -1 : 0;
}

static int
run_document(struct engine *e, const struct offline_opts *o, const char *path)
{
	char url[ALERT_TEXT_LEN];
	uint8_t *buf;
	size_t len;
	int rc = file_read_all(path, &buf, &len);

	if (rc != 0) {
		log_err("%s: %s", path, strerror(-rc));
		return -1;
	}
	snprintf(url, sizeof(url), "file://%s", path);
	engine_document(e, buf, len, url, o->charset);
	free(buf);
	return 0;
}

static bool
is_pcap(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t m[4];
	uint32_t magic;
	bool yes = false;

	if (f == NULL) {
		return false;
	}
	if (fread(m, 1, 4, f) == 4) {
		magic = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 |
		        (uint32_t)m[3] << 24;
		yes = magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
		      magic == 0x4d3cb2a1 || magic == 0x0a0d0d0a;
	}
	fclose(f);
	return yes;
}

/*
 * One --http line: {"server","client","method","host","uri","status","url",
 * "body_bytes","has_body","complete"} per response, in the order their bodies
 * end. method, host and uri are the paired request's ("" when unpaired).
 */
static void
http_seen(void *arg, const struct engine_http *r)
{
	char url[HTTP_URL_JSON_MAX], host[HTTP_URL_JSON_MAX], uri[HTTP_URL_JSON_MAX];
	char method[6 * HTTP_MAX_METHOD + 2];
	size_t n = alert_json_string(url, sizeof(url), r->url);
	size_t nh = alert_json_string(host, sizeof(host), r->host);
	size_t nu = alert_json_string(uri, sizeof(uri), r->target);
	size_t nm = alert_json_string(method, sizeof(method), r->method);

	(void)arg;
	printf("{\"server\":\"%s\",\"client\":\"%s\",\"method\":%.*s,\"host\":%.*s,"
	       "\"uri\":%.*s,\"status\":%d,\"url\":%.*s,\"body_bytes\":%llu,\"has_body\":%s,"
	       "\"complete\":%s}\n",
	       r->server, r->client, (int)nm, method, (int)nh, host, (int)nu, uri, r->status,
	       (int)n, url, (unsigned long long)r->body_bytes, r->has_body ? "true" : "false",
	       r->complete ? "true" : "false");
}

int
offline_main(const struct offline_opts *o, char *const *files, int n_files)
{
	struct offline *st = NULL;
	struct fw_config *cfg = NULL;
	struct wl_set *set = NULL;
	struct engine *e = NULL;
	struct counters *c = NULL;
	/* frames are passed with a NULL ref: the engine copies what it must hold */
	struct engine_ops ops = { .alert_get = get_rec,
		                  .alert_submit = submit_rec,
		                  .item_seen = item_seen };
	struct wl_diags d = { 0 };
	const char *wl_default;
	char *err = NULL, line[1400];
	uint32_t k;
	int i, rc = 1;

	st = calloc(1, sizeof(*st));
	c = aligned_alloc(64, sizeof(*c));
	if (st == NULL || c == NULL) {
		log_err("out of memory");
		goto fail;
	}
	memset(c, 0, sizeof(*c));
	st->o = o;
	ops.arg = st;
	cfg = config_load(o->config, &err);
	if (cfg == NULL) {
		log_err("%s", err);
		goto fail;
	}
	wl_default = cfg->watchlist_dir;
	if (o->http) {
		/* Listing responses: nothing is matched, no watchlist is needed. */
		ops.http_seen = http_seen;
	} else if (o->items) {
		/* Listing items: nothing is matched, no watchlist is needed. */
		st->icap = (size_t)cfg->max_item * 6u + 4096u;
		st->iline = malloc(st->icap);
		if (st->iline == NULL) {
			log_err("out of memory");
			goto fail;
		}
	} else {
		set = o->n_wl_paths > 0 ? wl_set_build(o->wl_paths, o->n_wl_paths, NULL, &d)
		                        : wl_set_build(&wl_default, 1, NULL, &d);
		for (k = 0; k < d.n; k++) {
			fprintf(stderr, "%s\n", wl_diag_format(&d.v[k], line, sizeof(line)));
		}
		if (set == NULL) {
			goto fail;
		}
		st->set = set;
		if (o->explain) {
			st->explain = wl_scratch_alloc(set);
			if (st->explain == NULL) {
				log_err("out of memory");
				goto fail;
			}
			ops.item_scanned = item_explain;
		}
	}
	e = engine_create(cfg, &ops, c);
	if (e == NULL || engine_set_watchlists(e, set) != 0) {
		log_err("out of memory");
		goto fail;
	}
	rc = 0;
	for (i = 0; i < n_files; i++) {
		if ((is_pcap(files[i]) ? run_pcap(e, files[i]) : run_document(e, o, files[i])) !=
		    0) {
			rc = 1;
		}
	}
	fflush(stdout);
	log_info("%llu items, %llu alerts, %d file(s)", (unsigned long long)st->items,
	         (unsigned long long)st->seq, n_files);
fail:
	engine_free(e);
	if (st != NULL) {
		wl_scratch_free(st->explain);
	}
	wl_diags_clear(&d);
	wl_set_free(set);
	config_free(cfg);
	free(c);
	if (st != NULL) {
		free(st->iline);
	}
	free(st);
	free(err);
	return rc;
}
