#include "core/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert_json.h"
#include "core/bug.h"
#include "core/clock.h"
#include "core/mem.h"
#include "feed/feed.h"
#include "flow/flow_table.h"
#include "http/http.h"
#include "match/dedup.h"
#include "match/watchlist.h"
#include "net/decode.h"
#include "net/ipfrag.h"

/* Bytes of transient TCP payload copied for held segments at once, per engine. */
#define ENGINE_COPY_HOLD_MAX (16u << 20)

/*
 * The HTTP state of a flow that carries payload, from a pool sized by
 * limits.http_sessions: most flows a monitor sees (scans, SYN floods,
 * handshakes) never do, so they cost only struct engine_flow.
 */
struct engine_app {
	struct http_conn http;
	struct feed_parser *feed; /* the response body being parsed, if any */
	uint16_t url_len;
	uint16_t host_off, host_len;     /* the request's host and target, within url[] */
	uint16_t target_off, target_len; /* (which holds the target alone when there is no URL) */
	uint8_t method_len;
	char method[HTTP_MAX_METHOD];
	uint16_t rsp_status;    /* the response whose body is being read */
	uint32_t next_free;     /* the pool's free list */
	uint64_t rsp_bytes;     /* its decoded body bytes so far */
	char url[HTTP_MAX_URL]; /* the feed URL of the body being parsed */
};

/* What the engine keeps per flow: the flow table's user area. */
struct engine_flow {
	struct tcp_stream dir[2]; /* indexed by direction: 0 = from key.addr[0] */
	struct engine_app *app;   /* NULL until the first payload byte */
	int8_t client;            /* which key endpoint is the HTTP client; -1 unknown */
	uint8_t closed;           /* bit per direction */
	bool no_app;              /* payload came when the pool was empty: not parsed */
};

/*
 * One held TCP segment. The engine stands between tcp_stream and the caller's
 * ops (struct engine_ops.tcp) because some segments do not live in a packet
 * the caller can keep: one cut from a reassembled IPv4 datagram lives in the
 * ipfrag table's output buffer, which the next fragment overwrites, and a
 * frame passed with a NULL ref (linearized from a chained mbuf, or read by
 * libpcap) lives only during the call. Such a segment is copied (malloc, capped at ENGINE_COPY_HOLD_MAX
 * per engine; rare: it takes a fragmented TCP segment that is also out of
 * order), the others go to the caller's hold as before. release() gets only
 * the handle, so the handle is this node, which says which kind it is. Nodes
 * come from a pool as large as the segment pool, so they never run out first.
 */
struct engine_hold {
	struct engine *e;
	void *handle; /* the caller's handle, or the copy */
	size_t copy_len;
	bool copy;
	struct engine_hold *next; /* free list */
};

/* What the engine passes to tcp_stream as a segment's packet reference. */
struct engine_ref {
	struct engine *e;
	void *ref;      /* the caller's packet */
	bool transient; /* the payload lives only during this call (ipfrag buffer, ref NULL) */
};

struct engine {
	struct engine_ops ops;
	struct counters *c;
	struct decode_cfg decode; /* capture.verify_checksums */
	struct flow_table *ft;
	struct tcp_seg_pool *segs;
	struct http_zpool *zpool;
	struct http_brpool *brpool;
	struct tcp_stream_env tcp_env;
	struct ipfrag *frag;
	struct engine_hold *holds; /* cfg->ooo_segments nodes */
	struct engine_hold *hold_free;
	size_t copy_bytes; /* held in copies now */
	struct http_env http_env;
	struct feed_env *feed_env;
	const struct wl_set *wl;
	struct wl_scratch *scratch;
	bool own_scratch;    /* engine_set_watchlists() allocated it */
	struct dedup *dedup; /* NULL: dedup.window 0 */
	uint64_t dedup_evicted;
	uint8_t http_port[65536 / 8];
	uint8_t udp_port[65536 / 8];
	/* the packet being processed, for the stage callbacks */
	uint64_t ts_ns;
	uint64_t mono_ns;
	struct engine_flow *cur;
	struct engine_app *apps; /* limits.http_sessions of them */
	uint32_t app_free;       /* first free + 1; 0: none */
	const struct flow_key *cur_key;
	int cur_dir;
	/* a UDP datagram being parsed (cur is NULL then) */
	char udp_url[ALERT_TEXT_LEN];
	char udp_src[ALERT_SHORT_LEN];
	char udp_dst[ALERT_SHORT_LEN];
	const char *doc_proto; /* "udp" or "file" */
	const struct feed_item *cur_item;
};

static inline bool
port_in(const uint8_t *set, uint16_t port)
{
	return (set[port >> 3] >> (port & 7)) & 1;
}

static inline void
port_add(uint8_t *set, uint16_t port)
{
	set[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static void
fmt_endpoint(char *dst, size_t cap, const uint8_t *addr, uint16_t port, bool is_ip6)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(is_ip6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(dst, cap, is_ip6 ? "[%s]:%u" : "%s:%u", a, port);
}

/* The host part of "scheme://host[:port]/..." as a span into <u>. */
static struct span
url_host(struct span u)
{
	const char *url = (const char *)u.ptr;
	const size_t len = u.len;
	struct span h = { u.ptr, 0 };
	const char *p = memchr(url, ':', len);
	size_t i;

	if (p == NULL || (size_t)(p - url) + 3 > len || p[1] != '/' || p[2] != '/') {
		return h;
	}
	h.ptr = (const uint8_t *)p + 3;
	for (i = (size_t)(p + 3 - url); i < len && url[i] != '/' && url[i] != ':'; i++) {
		h.len++;
	}
	return h;
}

/* The URL of the document being parsed: the HTTP request's, or the UDP / file one. */
static struct span
doc_url(const struct engine *e)
{
	if (e->cur != NULL) {
		return (struct span){ (const uint8_t *)e->cur->app->url, e->cur->app->url_len };
	}
	return span_str(e->udp_url);
}

/* The current TCP flow's HTTP server and client as "addr:port" (<cap> bytes each). */
static void
fmt_server_client(const struct engine *e, char *server, char *client, size_t cap)
{
	const struct flow_key *k = e->cur_key;
	const int srv = e->cur->client >= 0 ? !e->cur->client : !e->cur_dir;

	fmt_endpoint(server, cap, k->addr[srv], k->port[srv], k->is_ip6);
	fmt_endpoint(client, cap, k->addr[!srv], k->port[!srv], k->is_ip6);
}

static void
fill_flow(struct engine *e, struct alert_rec *r)
{
	_Static_assert(sizeof(r->flow_src) == sizeof(r->flow_dst), "one endpoint size");

	if (e->cur == NULL) {
		snprintf(r->flow_src, sizeof(r->flow_src), "%s", e->udp_src);
		snprintf(r->flow_dst, sizeof(r->flow_dst), "%s", e->udp_dst);
		snprintf(r->flow_proto, sizeof(r->flow_proto), "%s", e->doc_proto);
		return;
	}
	/* the feed's sender, the HTTP server, is src */
	fmt_server_client(e, r->flow_src, r->flow_dst, sizeof(r->flow_src));
	snprintf(r->flow_proto, sizeof(r->flow_proto), "tcp");
}

static void
on_match(void *arg, const struct wl_match *m)
{
	struct engine *e = arg;
	const struct feed_item *it = e->cur_item;
	struct alert_rec *r;
	struct span excerpt;
	uint32_t i;

	/*
	 * Pollers fetch the same feed again and again: an item alerts once per
	 * watchlist per dedup.window. Documents given as files are not polled.
	 */
	if (e->dedup != NULL && strcmp(e->doc_proto != NULL ? e->doc_proto : "", "file") != 0) {
		uint64_t key = dedup_key(doc_url(e), it->field[FEED_F_ID], it->field[FEED_F_LINK],
		                         it->field[FEED_F_TITLE], it->field[FEED_F_SUMMARY],
		                         m->info->name);
		bool seen = dedup_seen(e->dedup, key, e->ts_ns);
		uint64_t ev = dedup_evictions(e->dedup);

		counters_add(e->c, CNT_match_dedup_evicted, ev - e->dedup_evicted);
		e->dedup_evicted = ev;
		if (seen) {
			counters_inc(e->c, CNT_match_dedup_suppressed);
			return;
		}
	}
	r = e->ops.alert_get(e->ops.arg);
	if (r == NULL) {
		counters_inc(e->c, CNT_alert_pool_empty);
		return;
	}
	r->ts_ns = e->ts_ns;
	r->rx_mono_ns = e->mono_ns;
	r->detect_ns = clock_ns(CLOCK_MONOTONIC);
	alert_copy_text(r->watchlist, sizeof(r->watchlist), span_str(m->info->name));
	alert_copy_text(r->wl_version, sizeof(r->wl_version), span_str(m->info->version));
	alert_copy_text(r->severity, sizeof(r->severity), span_str(m->info->severity));
	alert_copy_text(r->rule, sizeof(r->rule), span_str(m->rule != NULL ? m->rule : ""));
	r->n_tags = m->info->n_tags < ALERT_MAX_TAGS ? m->info->n_tags : ALERT_MAX_TAGS;
	for (i = 0; i < r->n_tags; i++) {
		alert_copy_text(r->tags[i], sizeof(r->tags[i]), span_str(m->info->tags[i]));
	}
	r->n_hits = m->n_hits < ALERT_MAX_HITS ? m->n_hits : ALERT_MAX_HITS;
	r->n_hits_dropped = m->n_hits_dropped + (m->n_hits - r->n_hits);
	for (i = 0; i < r->n_hits; i++) {
		alert_copy_text(r->hits[i].term, sizeof(r->hits[i].term),
		                span_str(m->hits[i].term));
		alert_copy_text(r->hits[i].field, sizeof(r->hits[i].field),
		                span_str(wl_field_name(m->hits[i].field)));
		r->hits[i].offset = m->hits[i].offset;
	}
	alert_copy_text(r->title, sizeof(r->title), it->field[FEED_F_TITLE]);
	alert_copy_text(r->link, sizeof(r->link), it->field[FEED_F_LINK]);
	alert_copy_text(r->id, sizeof(r->id), it->field[FEED_F_ID]);
	alert_copy_text(r->published, sizeof(r->published), it->field[FEED_F_PUBLISHED]);
	excerpt = it->field[FEED_F_SUMMARY].len > 0 ? it->field[FEED_F_SUMMARY]
	                                            : it->field[FEED_F_CONTENT];
	alert_copy_text(r->excerpt, sizeof(r->excerpt), excerpt);
	alert_copy_text(r->feed_url, sizeof(r->feed_url), doc_url(e));
	alert_copy_text(r->feed_format, sizeof(r->feed_format),
	                span_str(feed_format_name(it->format)));
	alert_copy_text(r->feed_title, sizeof(r->feed_title), it->feed_title);
	fill_flow(e, r);
	e->ops.alert_submit(e->ops.arg, r);
}

static void
on_item(void *arg, const struct feed_item *it)
{
	struct engine *e = arg;
	struct wl_item wi;

	if (e->ops.item_seen != NULL) {
		e->ops.item_seen(e->ops.arg, it, doc_url(e));
	}
	if (e->wl == NULL || e->scratch == NULL) {
		return;
	}
	memset(&wi, 0, sizeof(wi));
	wi.field[WL_FIELD_TITLE] = it->field[FEED_F_TITLE];
	wi.field[WL_FIELD_SUMMARY] = it->field[FEED_F_SUMMARY];
	wi.field[WL_FIELD_CONTENT] = it->field[FEED_F_CONTENT];
	wi.field[WL_FIELD_AUTHOR] = it->field[FEED_F_AUTHOR];
	wi.field[WL_FIELD_CATEGORY] = it->field[FEED_F_CATEGORY];
	wi.field[WL_FIELD_URL] = it->field[FEED_F_LINK];
	wi.field[WL_FIELD_HOST] = url_host(doc_url(e));
	if (e->ops.item_scanned != NULL) {
		e->ops.item_scanned(e->ops.arg, &wi);
	}
	e->cur_item = it;
	wl_scan(e->wl, e->scratch, &wi, e->c, on_match, e);
	e->cur_item = NULL;
}

/*
 * Bodies whose media type says they cannot be a feed are not parsed, nor
 * even decoded. Everything else is: XML and JSON of any name, and what
 * servers mislabel (text/html, text/plain, application/octet-stream, no
 * type), which the feed stage sniffs (a root that is no feed is
 * feed_unknown_format after a few bytes).
 */
static bool
never_a_feed(struct span ct)
{
	static const char *const prefixes[] = {
		"image/",
		"audio/",
		"video/",
		"font/",
		"model/",
		"multipart/",
		"text/css",
		"text/javascript",
		"text/csv",
		"application/javascript",
		"application/pdf",
		"application/zip",
		"application/gzip",
		"application/wasm",
		"application/x-protobuf",
		"application/grpc",
		"application/vnd.ms-",
		"application/vnd.openxmlformats",
		"application/x-shockwave-flash",
		"application/x-msdownload",
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		struct span p = { ct.ptr, strlen(prefixes[i]) };

		if (ct.len >= p.len && span_eq_ci(p, prefixes[i])) {
			return true;
		}
	}
	return false;
}

/* Tells ops->http_seen of the response whose body (if any) just ended. */
static void
report_http(struct engine *e, bool has_body, bool complete)
{
	const struct engine_app *a = e->cur->app;
	char server[ALERT_SHORT_LEN], client[ALERT_SHORT_LEN];
	struct engine_http r;

	fmt_server_client(e, server, client, sizeof(server));
	r.status = a->rsp_status;
	r.url = doc_url(e);
	r.method = (struct span){ (const uint8_t *)a->method, a->method_len };
	r.host = (struct span){ (const uint8_t *)a->url + a->host_off, a->host_len };
	r.target = (struct span){ (const uint8_t *)a->url + a->target_off, a->target_len };
	r.server = server;
	r.client = client;
	r.body_bytes = a->rsp_bytes;
	r.has_body = has_body;
	r.complete = complete;
	e->ops.http_seen(e->ops.arg, &r);
}

/* Where <part> lies in <base>, whose first <kept> bytes were copied: its offset and length. */
static void
sub_span(struct span base, size_t kept, struct span part, uint16_t *off, uint16_t *len)
{
	size_t o;

	*off = *len = 0;
	if (part.len == 0 || part.ptr < base.ptr || part.ptr + part.len > base.ptr + base.len) {
		return;
	}
	o = (size_t)(part.ptr - base.ptr);
	if (o < kept) {
		*off = (uint16_t)o;
		*len = (uint16_t)(part.len < kept - o ? part.len : kept - o);
	}
}

/*
 * Keep what the response's request said: its feed URL, and its method, host
 * and target, which lie in the URL (or, when there is none, are the target).
 */
static void
keep_request(struct engine_app *a, const struct http_msg *m)
{
	const struct span base = m->url.len > 0 ? m->url : m->target;
	size_t kept = alert_copy_text(a->url, sizeof(a->url), base);

	a->url_len = m->url.len > 0 ? (uint16_t)kept : 0;
	sub_span(base, kept, m->host, &a->host_off, &a->host_len);
	sub_span(base, kept, m->target, &a->target_off, &a->target_len);
	a->method_len =
	        (uint8_t)(m->method.len < sizeof(a->method) ? m->method.len : sizeof(a->method));
	memcpy(a->method, m->method.ptr, a->method_len);
}

static void
on_response(void *arg, const struct http_msg *m, bool has_body)
{
	struct engine *e = arg;
	struct engine_app *a = e->cur->app;

	keep_request(a, m);
	a->rsp_status = (uint16_t)m->status;
	a->rsp_bytes = 0;
	if (!has_body && e->ops.http_seen != NULL) {
		report_http(e, false, true);
	}
}

static bool
on_body_begin(void *arg, const struct http_msg *m)
{
	struct engine *e = arg;
	struct engine_app *a = e->cur->app;

	feed_parser_close(a->feed);
	a->feed = NULL;
	if (never_a_feed(m->content_type)) {
		counters_inc(e->c, CNT_http_not_feed);
		/* offline --http reports every body's decoded length */
		return e->ops.http_seen != NULL;
	}
	a->feed = feed_parser_open(e->feed_env, m->charset, e);
	if (a->feed != NULL) {
		feed_parser_set_url(a->feed, (struct span){ (const uint8_t *)a->url, a->url_len });
	}
	return true;
}

static void
on_body_data(void *arg, struct span data)
{
	struct engine *e = arg;

	struct engine_app *a = e->cur->app;

	a->rsp_bytes += data.len;
	if (a->feed != NULL) {
		feed_parser_data(a->feed, data);
	}
}

static void
on_body_end(void *arg, bool complete)
{
	struct engine *e = arg;

	feed_parser_close(e->cur->app->feed);
	e->cur->app->feed = NULL;
	if (e->ops.http_seen != NULL) {
		report_http(e, true, complete);
	}
}

/* HTTP state for a flow's first payload, zeroed; NULL (counted) when every one is in use. */
static struct engine_app *
app_get(struct engine *e)
{
	struct engine_app *a;

	if (e->app_free == 0) {
		counters_inc(e->c, CNT_http_sessions_full);
		return NULL;
	}
	a = &e->apps[e->app_free - 1];
	e->app_free = a->next_free;
	memset(a, 0, sizeof(*a));
	return a;
}

static void
app_put(struct engine *e, struct engine_app *a)
{
	a->next_free = e->app_free;
	e->app_free = (uint32_t)(a - e->apps) + 1;
}

static void
on_stream_data(void *arg, struct span data)
{
	struct engine *e = arg;
	struct engine_flow *f = e->cur;

	if (f->app == NULL && !f->no_app) {
		f->app = app_get(e);
		f->no_app = f->app == NULL;
	}
	if (f->app == NULL) {
		return;
	}
	if (data.ptr == NULL) {
		/* bytes were lost: the HTTP framing steps over them where it can */
		http_conn_gap(&f->app->http, &e->http_env, f->client == e->cur_dir, data.len, e);
		return;
	}
	if (f->client < 0) {
		/* no SYN and no known port: whoever speaks first is the client */
		f->client = (int8_t)e->cur_dir;
	}
	http_conn_data(&f->app->http, &e->http_env, f->client == e->cur_dir, data, e);
}

static void
on_stream_close(void *arg)
{
	struct engine *e = arg;
	struct engine_flow *f = e->cur;

	f->closed |= (uint8_t)(1u << e->cur_dir);
	if (f->app != NULL) {
		http_conn_close(&f->app->http, &e->http_env, f->client == e->cur_dir, e);
	}
}

static void
on_evict(void *arg, void *user)
{
	struct engine *e = arg;
	struct engine_flow *f = user;
	struct engine_flow *saved = e->cur;
	const struct flow_key *saved_key = e->cur_key;
	int saved_dir = e->cur_dir;
	int d;

	e->cur = f;
	e->cur_key = flow_table_key(e->ft, f);
	for (d = 0; d < 2; d++) {
		e->cur_dir = d;
		tcp_stream_finish(&f->dir[d], &e->tcp_env, on_stream_data, on_stream_close, e);
	}
	if (f->app != NULL) {
		feed_parser_close(f->app->feed);
		f->app->feed = NULL;
		http_conn_release(&f->app->http);
		app_put(e, f->app);
		f->app = NULL;
	}
	e->cur = saved;
	e->cur_key = saved_key;
	e->cur_dir = saved_dir;
}

static struct span
hold_seg(void *ref, struct span data, void **handle)
{
	const struct engine_ref *r = ref;
	struct engine *e = r->e;
	struct engine_hold *h = e->hold_free;
	struct span held = { NULL, 0 };
	uint8_t *copy;

	if (h == NULL) {
		return held;
	}
	if (r->transient) {
		if (data.len > ENGINE_COPY_HOLD_MAX - e->copy_bytes) {
			return held;
		}
		copy = malloc(data.len > 0 ? data.len : 1);
		if (copy == NULL) {
			return held;
		}
		memcpy(copy, data.ptr, data.len);
		e->copy_bytes += data.len;
		h->handle = copy;
		h->copy_len = data.len;
		held.ptr = copy;
		held.len = data.len;
	} else {
		held = e->ops.tcp->hold(r->ref, data, &h->handle);
		if (held.ptr == NULL) {
			return held;
		}
	}
	h->copy = r->transient;
	e->hold_free = h->next;
	*handle = h;
	return held;
}

static void
release_seg(void *handle)
{
	struct engine_hold *h = handle;
	struct engine *e = h->e;

	if (h->copy) {
		free(h->handle);
		e->copy_bytes -= h->copy_len;
	} else {
		e->ops.tcp->release(h->handle);
	}
	h->handle = NULL;
	h->next = e->hold_free;
	e->hold_free = h;
}

static const struct tcp_stream_ops engine_hold_ops = { hold_seg, release_seg };

struct engine *
engine_create(const struct fw_config *cfg, const struct engine_ops *ops, struct counters *c)
{
	struct feed_limits fl = { cfg->max_item, cfg->feed_parsers };
	struct ipfrag_limits frl = { cfg->frag_datagrams, cfg->frag_max_bytes,
		                     (uint64_t)cfg->frag_timeout_s * 1000000000u };
	struct engine *e;
	uint32_t i;

	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		return NULL;
	}
	e->ops = *ops;
	e->c = c;
	for (i = 0; i < cfg->n_http_ports; i++) {
		port_add(e->http_port, cfg->http_ports[i]);
	}
	for (i = 0; i < cfg->n_udp_ports; i++) {
		port_add(e->udp_port, cfg->udp_ports[i]);
	}
	e->ft = flow_table_create(cfg->flows, sizeof(struct engine_flow),
	                          (uint64_t)cfg->flow_idle_s * 1000000000u, on_evict, e, c);
	e->segs = tcp_seg_pool_create(cfg->ooo_segments);
	e->feed_env = feed_env_create(&fl, c, on_item);
	e->zpool = http_zpool_create(cfg->gzip_streams);
	e->brpool = http_brpool_create((size_t)cfg->br_memcap);
	e->frag = ipfrag_create(&frl, c);
	e->holds = mem_data_zalloc((cfg->ooo_segments > 0 ? cfg->ooo_segments : 1) *
	                           sizeof(*e->holds));
	e->apps = mem_data_zalloc((size_t)cfg->http_sessions * sizeof(*e->apps));
	if (cfg->dedup_window_s > 0) {
		e->dedup = dedup_create(cfg->dedup_entries,
		                        (uint64_t)cfg->dedup_window_s * 1000000000u);
	}
	if (e->ft == NULL || e->segs == NULL || e->feed_env == NULL || e->zpool == NULL ||
	    e->brpool == NULL || e->frag == NULL || e->holds == NULL || e->apps == NULL ||
	    (cfg->dedup_window_s > 0 && e->dedup == NULL)) {
		engine_free(e);
		return NULL;
	}
	for (i = cfg->http_sessions; i-- > 0;) {
		app_put(e, &e->apps[i]);
	}
	for (i = cfg->ooo_segments; i-- > 0;) {
		e->holds[i].e = e;
		e->holds[i].next = e->hold_free;
		e->hold_free = &e->holds[i];
	}
	e->tcp_env.pool = e->segs;
	e->tcp_env.ops = &engine_hold_ops;
	e->tcp_env.c = c;
	e->tcp_env.max_ooo_segs = (uint16_t)cfg->ooo_segments_per_stream;
	e->tcp_env.max_ooo_bytes = cfg->ooo_bytes_per_stream;
	e->decode.verify_checksums = cfg->verify_checksums;
	e->http_env.c = c;
	e->http_env.max_body = cfg->max_body;
	e->http_env.zpool = e->zpool;
	e->http_env.brpool = e->brpool;
	e->http_env.max_ratio = cfg->max_ratio;
	e->http_env.max_header = cfg->max_header;
	e->http_env.response = on_response;
	e->http_env.body_begin = on_body_begin;
	e->http_env.body_data = on_body_data;
	e->http_env.body_end = on_body_end;
	return e;
}

int
engine_set_watchlists(struct engine *e, const struct wl_set *set)
{
	struct wl_scratch *s = NULL;

	if (set != NULL) {
		s = wl_scratch_alloc(set);
		if (s == NULL) {
			return -ENOMEM;
		}
	}
	if (e->own_scratch) {
		wl_scratch_free(e->scratch);
	}
	e->scratch = s;
	e->wl = set;
	e->own_scratch = true;
	return 0;
}

void
engine_use_watchlists(struct engine *e, const struct wl_set *set, struct wl_scratch *scratch)
{
	if (e->own_scratch) {
		wl_scratch_free(e->scratch);
	}
	e->scratch = scratch;
	e->wl = set;
	e->own_scratch = false;
}

static void
udp_packet(struct engine *e, const struct decoded *d)
{
	struct span none = { NULL, 0 };

	counters_inc(e->c, CNT_udp_feed_datagrams);
	fmt_endpoint(e->udp_src, sizeof(e->udp_src), d->src, d->sport, d->is_ip6);
	fmt_endpoint(e->udp_dst, sizeof(e->udp_dst), d->dst, d->dport, d->is_ip6);
	snprintf(e->udp_url, sizeof(e->udp_url), "udp://%s", e->udp_dst);
	e->doc_proto = "udp";
	e->cur = NULL;
	e->cur_key = NULL;
	feed_parse_document(e->feed_env, d->payload, none, e);
}

static void
tcp_packet(struct engine *e, const struct decoded *d, void *ref)
{
	struct flow_key key;
	struct engine_flow *f;
	bool created = false;
	uint8_t flags;
	int dir;

	flow_key_make(&key, d->src, d->dst, d->sport, d->dport, DECODE_TCP, d->is_ip6, &dir);
	/* a bare ACK or FIN (the tail of a flow already ended) does not start a flow */
	f = flow_table_lookup(e->ft, &key, e->mono_ns,
	                      d->payload.len > 0 || (d->tcp_flags & DECODE_TH_SYN) != 0, &created);
	if (f == NULL) {
		return; /* table full: counted */
	}
	if (created) {
		f->client = -1;
	}
	if (f->client < 0) {
		if ((d->tcp_flags & (DECODE_TH_SYN | DECODE_TH_ACK)) == DECODE_TH_SYN) {
			f->client = (int8_t)dir;
		} else if ((d->tcp_flags & (DECODE_TH_SYN | DECODE_TH_ACK)) ==
		           (DECODE_TH_SYN | DECODE_TH_ACK)) {
			f->client = (int8_t)!dir;
		} else if (port_in(e->http_port, d->dport)) {
			f->client = (int8_t)dir;
		} else if (port_in(e->http_port, d->sport)) {
			f->client = (int8_t)!dir;
		}
	}
	flags = d->tcp_flags;
	if ((flags & DECODE_TH_RST) && (d->tcp_opts & DECODE_OPT_AUTH)) {
		/*
		 * A signed RST we cannot verify: a host without the key drops
		 * it (Linux: TCPMD5Unexpected), so it ends nothing; an
		 * injected RST carries one to fool monitors (Suricata #4710)
		 */
		counters_inc(e->c, CNT_tcp_rst_signed);
		flags &= (uint8_t)~DECODE_TH_RST;
	}
	e->cur = f;
	e->cur_key = flow_table_key(e->ft, f);
	e->cur_dir = dir;
	tcp_stream_segment(&f->dir[dir], &e->tcp_env, d->seq, flags, d->payload, ref,
	                   on_stream_data, on_stream_close, e);
	if (f->closed == 3) {
		counters_inc(e->c, CNT_flow_closed);
		flow_table_remove(e->ft, f);
	}
	e->cur = NULL;
	e->cur_key = NULL;
}

void
engine_packet(struct engine *e, const uint8_t *frame, size_t len, uint64_t ts_ns, uint64_t mono_ns,
              void *ref)
{
	struct engine_ref r = { e, ref, ref == NULL };
	struct decoded d;
	struct span dgram;
	enum decode_rc rc;

	counters_inc(e->c, CNT_rx_packets);
	counters_add(e->c, CNT_rx_bytes, len);
	rc = decode_packet(&e->decode, e->c, frame, len, &d);
	if (rc == DECODE_FRAG) {
		/* a completed datagram goes on exactly as an unfragmented packet would */
		if (ipfrag_add(e->frag, &d, ts_ns, &dgram) != IPFRAG_DONE ||
		    decode_l4_payload(&e->decode, e->c, dgram, &d) != DECODE_KEEP) {
			return;
		}
		r.transient = true;
	} else {
		ipfrag_expire(e->frag, ts_ns);
		if (rc != DECODE_KEEP) {
			return;
		}
	}
	e->ts_ns = ts_ns;
	e->mono_ns = mono_ns;
	if (d.proto == DECODE_TCP) {
		tcp_packet(e, &d, &r);
	} else if (port_in(e->udp_port, d.dport) && d.payload.len > 0) {
		udp_packet(e, &d);
	}
}

void
engine_document(struct engine *e, const uint8_t *doc, size_t len, const char *url,
                const char *charset)
{
	struct span cs = charset != NULL ? span_str(charset) : (struct span){ NULL, 0 };
	struct span d = { doc, len };
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	e->ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	e->mono_ns = clock_ns(CLOCK_MONOTONIC);
	e->udp_src[0] = e->udp_dst[0] = '\0';
	snprintf(e->udp_url, sizeof(e->udp_url), "%s", url);
	e->doc_proto = "file";
	e->cur = NULL;
	e->cur_key = NULL;
	feed_parse_document(e->feed_env, d, cs, e);
}

void
engine_tick(struct engine *e, uint64_t now_ns)
{
	flow_table_expire(e->ft, now_ns, 64);
}

void
engine_flush(struct engine *e)
{
	flow_table_flush(e->ft);
}

size_t
engine_flow_bytes(void)
{
	/* the table's entry is one cache line, two 4-byte hash buckets per flow, and the
	 * user area rounded up to 64 */
	return 64 + 8 + ((sizeof(struct engine_flow) + 63) & ~(size_t)63);
}

size_t
engine_session_bytes(void)
{
	return sizeof(struct engine_app);
}

void
engine_free(struct engine *e)
{
	if (e == NULL) {
		return;
	}
	/* the flows give back their segments, zlib slots and brotli decoders first */
	flow_table_free(e->ft);
	tcp_seg_pool_free(e->segs);
	http_zpool_free(e->zpool);
	http_brpool_free(e->brpool);
	feed_env_free(e->feed_env);
	if (e->own_scratch) {
		wl_scratch_free(e->scratch);
	}
	dedup_free(e->dedup);
	/* every held segment went back with the flows above */
	BUG_ON(e->copy_bytes != 0);
	mem_data_free(e->holds);
	mem_data_free(e->apps);
	ipfrag_free(e->frag);
	free(e);
}
