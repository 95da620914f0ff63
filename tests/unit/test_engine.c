/*
 * The engine end to end without DPDK: frames built here go through decode,
 * flow, tcp stream, http, feed and match, and the alert records that come
 * out are checked.
 */
#include "core/engine.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "guard.h"
#include "match/watchlist.h"

#define MAX_ALERTS 16

static struct alert_rec alerts[MAX_ALERTS];
static int n_alerts;
static struct alert_rec spare;
static int held;

/* What http_seen reported. */
#define MAX_RSP 8
static struct engine_http rsps[MAX_RSP];
static char rsp_urls[MAX_RSP][128];
static int n_rsps;

static void
http_seen(void *arg, const struct engine_http *r)
{
	(void)arg;
	if (n_rsps == MAX_RSP) {
		CU_FAIL("too many responses");
		return;
	}
	rsps[n_rsps] = *r;
	snprintf(rsp_urls[n_rsps], sizeof(rsp_urls[0]), "%.*s", (int)r->url.len,
	         (const char *)r->url.ptr);
	CU_ASSERT_STRING_EQUAL(r->server, "198.18.0.10:80");
	n_rsps++;
}

static struct alert_rec *
get_rec(void *arg)
{
	(void)arg;
	memset(&spare, 0, sizeof(spare));
	return &spare;
}

static void
submit_rec(void *arg, struct alert_rec *r)
{
	(void)arg;
	if (n_alerts < MAX_ALERTS) {
		alerts[n_alerts++] = *r;
	}
}

static struct span
hold_copy(void *ref, struct span data, void **handle)
{
	uint8_t *copy = malloc(data.len);

	(void)ref;
	memcpy(copy, data.ptr, data.len);
	*handle = copy;
	held++;
	data.ptr = copy;
	return data;
}

static void
release_copy(void *handle)
{
	held--;
	free(handle);
}

static const struct tcp_stream_ops copy_ops = { hold_copy, release_copy };

/* IPv4/TCP frame from 198.18.0.<src> to 198.18.0.<dst>. */
static size_t
tcp_frame(uint8_t *f, uint8_t src, uint16_t sport, uint8_t dst, uint16_t dport, uint32_t seq,
          uint8_t flags, const char *data, size_t len)
{
	uint16_t tot = (uint16_t)(20 + 20 + len);
	uint32_t nseq = htonl(seq);

	memset(f, 0, 54);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)(tot >> 8);
	f[17] = (uint8_t)tot;
	f[22] = 64;
	f[23] = 6;
	f[26] = 198;
	f[27] = 18;
	f[29] = src;
	f[30] = 198;
	f[31] = 18;
	f[33] = dst;
	f[34] = (uint8_t)(sport >> 8);
	f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	memcpy(f + 38, &nseq, 4);
	f[46] = 5 << 4;
	f[47] = flags;
	memcpy(f + 54, data, len);
	return 54 + len;
}

static size_t
udp_frame(uint8_t *f, uint16_t dport, const char *data, size_t len)
{
	uint16_t tot = (uint16_t)(20 + 8 + len), ulen = (uint16_t)(8 + len);

	memset(f, 0, 42);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)(tot >> 8);
	f[17] = (uint8_t)tot;
	f[22] = 64;
	f[23] = 17;
	f[26] = 198;
	f[27] = 18;
	f[29] = 1;
	f[30] = 198;
	f[31] = 18;
	f[33] = 2;
	f[34] = 0x82;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	f[38] = (uint8_t)(ulen >> 8);
	f[39] = (uint8_t)ulen;
	memcpy(f + 42, data, len);
	return 42 + len;
}

static struct engine *eng;
static struct wl_set *set;
static struct fw_config *cfg;
static struct counters c __attribute__((aligned(64)));

/* Added to both clocks of every packet(): a test that lets capture time pass moves it. */
static uint64_t clock_shift;

static void
packet(const uint8_t *f, size_t len)
{
	uint8_t *g = guard_dup(f, len);

	/* a non-NULL ref: held segments go through this test's hold/release */
	engine_packet(eng, g, len, 1000 + clock_shift, 2000 + clock_shift, &held);
	guard_free(g);
}

static const char rss[] =
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>"
        "<item><title>Talks in Moscow</title><description>Sergei Lavrov spoke.</description>"
        "<link>https://w.example/1</link><guid>g1</guid></item>"
        "<item><title>Weather</title><description>Rain.</description></item>"
        "</channel></rss>";

/* The body exchange() serves: rss unless a test swaps it. */
static const char *served = rss;

/* The same item (same guid) after an edit that brings a second watchlist's term in. */
static const char rss_edited[] =
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>"
        "<item><title>Talks in Moscow</title><description>Sergei Lavrov spoke of ransomware."
        "</description><link>https://w.example/1</link><guid>g1</guid></item>"
        "</channel></rss>";

static void
reset(void)
{
	n_alerts = 0;
	n_rsps = 0;
	memset(&c, 0, sizeof(c));
}

/* One HTTP exchange from client 20:40000 to server 10:80, server segments in <order>. */
static void
exchange(bool syn, const int *order, int n_order, int seg_len)
{
	static const char req[] = "GET /rss.xml HTTP/1.1\r\nHost: w.example\r\n\r\n";
	char rsp[2048];
	uint8_t f[2048];
	size_t rlen, len;
	uint32_t cseq = 100, sseq = 9000;
	int i;

	rlen = (size_t)snprintf(rsp, sizeof(rsp),
	                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
	                        "Content-Length: %zu\r\n\r\n%s",
	                        strlen(served), served);
	if (syn) {
		packet(f, tcp_frame(f, 20, 40000, 10, 80, cseq - 1, 0x02, "", 0));
		packet(f, tcp_frame(f, 10, 80, 20, 40000, sseq - 1, 0x12, "", 0));
	}
	packet(f, tcp_frame(f, 20, 40000, 10, 80, cseq, 0x18, req, strlen(req)));
	for (i = 0; i < n_order; i++) {
		size_t off = (size_t)order[i] * (size_t)seg_len;

		if (off >= rlen) {
			continue;
		}
		len = rlen - off < (size_t)seg_len ? rlen - off : (size_t)seg_len;
		packet(f,
		       tcp_frame(f, 10, 80, 20, 40000, sseq + (uint32_t)off, 0x18, rsp + off, len));
	}
	packet(f, tcp_frame(f, 10, 80, 20, 40000, sseq + (uint32_t)rlen, 0x11, "", 0));
	packet(f, tcp_frame(f, 20, 40000, 10, 80, cseq + (uint32_t)strlen(req), 0x11, "", 0));
}

static void
check_moscow_alert(const struct alert_rec *r)
{
	CU_ASSERT_STRING_EQUAL(r->watchlist, "russia-diplomacy");
	CU_ASSERT_STRING_EQUAL(r->severity, "high");
	CU_ASSERT_STRING_EQUAL(r->title, "Talks in Moscow");
	CU_ASSERT_STRING_EQUAL(r->link, "https://w.example/1");
	CU_ASSERT_STRING_EQUAL(r->id, "g1");
	CU_ASSERT_STRING_EQUAL(r->feed_url, "http://w.example/rss.xml");
	CU_ASSERT_STRING_EQUAL(r->feed_format, "rss");
	CU_ASSERT_STRING_EQUAL(r->feed_title, "Wire");
	CU_ASSERT_STRING_EQUAL(r->flow_src, "198.18.0.10:80");
	CU_ASSERT_STRING_EQUAL(r->flow_dst, "198.18.0.20:40000");
	CU_ASSERT_STRING_EQUAL(r->flow_proto, "tcp");
	CU_ASSERT_EQUAL(r->ts_ns, 1000);
	CU_ASSERT_EQUAL(r->rx_mono_ns, 2000);
	CU_ASSERT(r->n_hits >= 2);
}

static void
test_engine_alerts_on_an_in_order_exchange(void)
{
	static const int order[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	reset();
	exchange(true, order, 10, 64);
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	check_moscow_alert(&alerts[0]);
	CU_ASSERT_EQUAL(c.v[CNT_feed_items], 2);
	CU_ASSERT_EQUAL(c.v[CNT_flow_closed], 1);
	CU_ASSERT_EQUAL(held, 0);
}

static void
test_engine_reassembles_segments_out_of_order(void)
{
	static const int order[] = { 9, 3, 1, 0, 2, 8, 7, 5, 6, 4, 0, 3 };

	reset();
	exchange(true, order, 12, 64);
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	check_moscow_alert(&alerts[0]);
	CU_ASSERT(c.v[CNT_tcp_ooo_queued] > 0);
	CU_ASSERT_EQUAL(held, 0);
}

static void
test_engine_picks_up_a_flow_without_its_syn(void)
{
	static const int order[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	reset();
	exchange(false, order, 10, 100);
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	check_moscow_alert(&alerts[0]);
}

static void
test_engine_flush_finishes_an_open_flow(void)
{
	static const int order[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	uint8_t f[256];

	/* segment 0 never comes: the hole is skipped at the end, nothing crashes, nothing held */
	reset();
	exchange(true, order, 9, 64);
	engine_flush(eng);
	CU_ASSERT_EQUAL(held, 0);
	CU_ASSERT_EQUAL(n_alerts, 0);
	packet(f, tcp_frame(f, 20, 40001, 10, 80, 5, 0x18, "GET", 3));
	engine_flush(eng);
	CU_ASSERT_EQUAL(held, 0);
}

static void
test_engine_parses_udp_datagrams_on_feed_ports_only(void)
{
	static uint8_t f[2048];

	reset();
	packet(f, udp_frame(f, 5140, rss, strlen(rss)));
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	CU_ASSERT_STRING_EQUAL(alerts[0].flow_proto, "udp");
	CU_ASSERT_STRING_EQUAL(alerts[0].flow_src, "198.18.0.1:33280");
	CU_ASSERT_STRING_EQUAL(alerts[0].feed_url, "udp://198.18.0.2:5140");
	CU_ASSERT_EQUAL(c.v[CNT_udp_feed_datagrams], 1);
	packet(f, udp_frame(f, 53, rss, strlen(rss)));
	CU_ASSERT_EQUAL(n_alerts, 1);
}

static void
test_engine_document_reports_the_file(void)
{
	reset();
	engine_document(eng, (const uint8_t *)rss, strlen(rss), "file:///tmp/x.rss", NULL);
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	CU_ASSERT_STRING_EQUAL(alerts[0].flow_proto, "file");
	CU_ASSERT_STRING_EQUAL(alerts[0].feed_url, "file:///tmp/x.rss");
}

static void
test_engine_counts_malformed_frames(void)
{
	static const uint8_t junk[10] = { 1, 2, 3 };

	reset();
	packet(junk, sizeof(junk));
	CU_ASSERT_EQUAL(c.v[CNT_rx_packets], 1);
	CU_ASSERT_EQUAL(c.v[CNT_decode_eth_short], 1);
	CU_ASSERT_EQUAL(n_alerts, 0);
}

/*
 * Sends the IPv4 packet in frame <f> (<len> bytes, untagged, 20-byte IP
 * header) as fragments of <piece> bytes of IP payload (a multiple of 8), in
 * <order>, under IP id <id>.
 */
static void
fragments(const uint8_t *f, size_t len, uint16_t id, size_t piece, const int *order, int n)
{
	uint8_t g[2048];
	size_t plen = len - 34;
	int i;

	for (i = 0; i < n; i++) {
		size_t off = (size_t)order[i] * piece;
		size_t part = plen - off < piece ? plen - off : piece;
		uint16_t fo = (uint16_t)((off + part < plen ? 0x2000 : 0) | off / 8);

		memcpy(g, f, 34);
		g[16] = (uint8_t)((20 + part) >> 8);
		g[17] = (uint8_t)(20 + part);
		g[18] = (uint8_t)(id >> 8);
		g[19] = (uint8_t)id;
		g[20] = (uint8_t)(fo >> 8);
		g[21] = (uint8_t)fo;
		memcpy(g + 34, f + 34 + off, part);
		packet(g, 34 + part);
	}
}

static void
test_engine_reassembles_a_fragmented_udp_feed(void)
{
	static const int order[] = { 2, 0, 1 };
	static uint8_t f[2048];
	size_t len = udp_frame(f, 5140, rss, strlen(rss));
	size_t piece = ((len - 34) / 3 + 8) & ~(size_t)7;

	reset();
	fragments(f, len, 0x1234, piece, order, 2);
	CU_ASSERT_EQUAL(n_alerts, 0);
	fragments(f, len, 0x1234, piece, order + 2, 1);
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	CU_ASSERT_STRING_EQUAL(alerts[0].title, "Talks in Moscow");
	CU_ASSERT_STRING_EQUAL(alerts[0].flow_proto, "udp");
	CU_ASSERT_STRING_EQUAL(alerts[0].feed_url, "udp://198.18.0.2:5140");
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip_frag], 3);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_reassembled], 1);
	CU_ASSERT_EQUAL(c.v[CNT_udp_feed_datagrams], 1);
}

static void
test_engine_reassembles_a_fragmented_tcp_segment(void)
{
	static const char req[] = "GET /rss.xml HTTP/1.1\r\nHost: w.example\r\n\r\n";
	static const int order[] = { 1, 2, 0 };
	static const int junk_order[] = { 0, 1 };
	static uint8_t f[2048];
	char rsp[2048];
	size_t rlen, len;
	uint32_t cseq = 100, sseq = 9000;
	const size_t cut = 200;

	reset();
	rlen = (size_t)snprintf(rsp, sizeof(rsp),
	                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
	                        "Content-Length: %zu\r\n\r\n%s",
	                        strlen(rss), rss);
	packet(f, tcp_frame(f, 20, 40002, 10, 80, cseq - 1, 0x02, "", 0));
	packet(f, tcp_frame(f, 10, 80, 20, 40002, sseq - 1, 0x12, "", 0));
	packet(f, tcp_frame(f, 20, 40002, 10, 80, cseq, 0x18, req, strlen(req)));
	/* the response's second segment arrives first, in three fragments out of order */
	len = tcp_frame(f, 10, 80, 20, 40002, sseq + (uint32_t)cut, 0x18, rsp + cut, rlen - cut);
	fragments(f, len, 0x4321, ((len - 34) / 3 + 8) & ~(size_t)7, order, 3);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_reassembled], 1);
	CU_ASSERT_EQUAL(c.v[CNT_tcp_ooo_queued], 1);
	CU_ASSERT_EQUAL(held, 0); /* held as the engine's copy, not the caller's packet */
	/* another reassembled datagram reuses the buffer the held segment came from */
	len = udp_frame(f, 53, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 48);
	fragments(f, len, 0x4322, 32, junk_order, 2);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_reassembled], 2);
	packet(f, tcp_frame(f, 10, 80, 20, 40002, sseq, 0x18, rsp, cut));
	packet(f, tcp_frame(f, 10, 80, 20, 40002, sseq + (uint32_t)rlen, 0x11, "", 0));
	packet(f, tcp_frame(f, 20, 40002, 10, 80, cseq + (uint32_t)strlen(req), 0x11, "", 0));
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	CU_ASSERT_STRING_EQUAL(alerts[0].title, "Talks in Moscow");
	CU_ASSERT_STRING_EQUAL(alerts[0].flow_dst, "198.18.0.20:40002");
	CU_ASSERT_EQUAL(c.v[CNT_flow_closed], 1);
	CU_ASSERT_EQUAL(held, 0);
}

static void
test_engine_reports_every_http_response(void)
{
	static const char req[] = "GET /a HTTP/1.1\r\nHost: w.example\r\n\r\n"
	                          "GET /b HTTP/1.1\r\nHost: w.example\r\n\r\n";
	static const char rsp[] = "HTTP/1.1 304 Not Modified\r\n\r\n"
	                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                          "5\r\nhello\r\n0\r\n\r\n";
	uint8_t f[2048];

	reset();
	packet(f, tcp_frame(f, 20, 40003, 10, 80, 99, 0x02, "", 0));
	packet(f, tcp_frame(f, 10, 80, 20, 40003, 8999, 0x12, "", 0));
	packet(f, tcp_frame(f, 20, 40003, 10, 80, 100, 0x18, req, strlen(req)));
	packet(f, tcp_frame(f, 10, 80, 20, 40003, 9000, 0x18, rsp, strlen(rsp)));
	CU_ASSERT_EQUAL_FATAL(n_rsps, 2);
	CU_ASSERT_EQUAL(rsps[0].status, 304);
	CU_ASSERT_FALSE(rsps[0].has_body);
	CU_ASSERT_EQUAL(rsps[0].body_bytes, 0);
	CU_ASSERT_STRING_EQUAL(rsp_urls[0], "http://w.example/a");
	CU_ASSERT_EQUAL(rsps[1].status, 200);
	CU_ASSERT(rsps[1].has_body && rsps[1].complete);
	/* de-chunked */
	CU_ASSERT_EQUAL(rsps[1].body_bytes, 5);
	CU_ASSERT_STRING_EQUAL(rsp_urls[1], "http://w.example/b");
	CU_ASSERT_STRING_EQUAL(rsps[1].client, "198.18.0.20:40003");
	engine_flush(eng);
}

/*
 * An engine built from the suite's config as it is now (a test changes one
 * limit around the call), with the suite's watchlists; the caller swaps it
 * in for the suite's and back.
 */
static struct engine *
engine_from_cfg(void)
{
	struct engine_ops ops = { .alert_get = get_rec,
		                  .alert_submit = submit_rec,
		                  .tcp = &copy_ops };
	struct engine *e = engine_create(cfg, &ops, &c);

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL_FATAL(engine_set_watchlists(e, set), 0);
	return e;
}

static void
test_engine_repeated_item_alerts_once_per_window(void)
{
	static const int order[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct engine *keep = eng;

	cfg->dedup_window_s = 3600;
	eng = engine_from_cfg();
	reset();
	/* a poller fetches the same feed three times: one alert */
	exchange(true, order, 10, 64);
	exchange(true, order, 10, 64);
	clock_shift = 3599ull * 1000000000u;
	exchange(true, order, 10, 64);
	CU_ASSERT_EQUAL(n_alerts, 1);
	CU_ASSERT_EQUAL(c.v[CNT_match_dedup_suppressed], 2);
	/* past the window it alerts again */
	clock_shift = 3601ull * 1000000000u + 1000;
	exchange(true, order, 10, 64);
	CU_ASSERT_EQUAL(n_alerts, 2);
	/* edited so that another watchlist matches: that one alerts, the first stays quiet */
	served = rss_edited;
	exchange(true, order, 10, 64);
	served = rss;
	CU_ASSERT_EQUAL_FATAL(n_alerts, 3);
	CU_ASSERT_STRING_EQUAL(alerts[2].watchlist, "cyber-threats");
	CU_ASSERT_EQUAL(c.v[CNT_match_dedup_suppressed], 3);
	clock_shift = 0;
	engine_free(eng);
	eng = keep;
	cfg->dedup_window_s = 0;
}

static void
test_engine_max_body_parses_the_feed_up_to_the_cap(void)
{
	static const int order[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct engine *big = eng;
	const size_t second = (size_t)(strstr(rss, "<item><title>Weather") - rss);

	/* cut inside the second item: the first, closed before the cut, alerts */
	cfg->max_body = second + 10;
	eng = engine_from_cfg();
	reset();
	exchange(true, order, 10, 64);
	CU_ASSERT_EQUAL(n_alerts, 1);
	CU_ASSERT_EQUAL(c.v[CNT_feed_items], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_body_limit], 1);
	engine_free(eng);
	/* cut inside the first item: nothing to report */
	cfg->max_body = second - 20;
	eng = engine_from_cfg();
	reset();
	exchange(true, order, 10, 64);
	CU_ASSERT_EQUAL(n_alerts, 0);
	CU_ASSERT_EQUAL(c.v[CNT_http_body_limit], 1);
	engine_free(eng);
	cfg->max_body = 8u << 20;
	eng = big;
}

static void
test_engine_http_sessions_bounded_and_reused(void)
{
	static const int order[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const char req[] = "GET /x HTTP/1.1\r\nHost: a.example\r\n\r\n";
	struct engine *big = eng;
	uint8_t f[2048];

	cfg->http_sessions = 1;
	eng = engine_from_cfg();
	cfg->http_sessions = 16384;
	reset();
	/* flow A takes the only session with its request and stays open */
	packet(f, tcp_frame(f, 21, 40010, 10, 80, 99, 0x02, "", 0));
	packet(f, tcp_frame(f, 21, 40010, 10, 80, 100, 0x18, req, strlen(req)));
	/* a SYN-only flow costs no session */
	packet(f, tcp_frame(f, 22, 40011, 10, 80, 5, 0x02, "", 0));
	/* the feed exchange finds none: counted, not parsed */
	exchange(true, order, 10, 64);
	CU_ASSERT_EQUAL(n_alerts, 0);
	CU_ASSERT_EQUAL(c.v[CNT_http_sessions_full], 1);
	/* A ends and gives its session back; the next exchange is parsed */
	packet(f, tcp_frame(f, 21, 40010, 10, 80, 100 + (uint32_t)strlen(req), 0x11, "", 0));
	packet(f, tcp_frame(f, 10, 80, 21, 40010, 500, 0x11, "", 0));
	exchange(true, order, 10, 64);
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	check_moscow_alert(&alerts[0]);
	CU_ASSERT_EQUAL(c.v[CNT_http_sessions_full], 1);
	engine_free(eng);
	eng = big;
}

static void
test_engine_verify_checksums_drops_bad_packets(void)
{
	static const int order[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct engine *normal = eng;

	/* this suite's frames carry zero checksums: wrong, as on a host that offloads them */
	cfg->verify_checksums = true;
	eng = engine_from_cfg();
	cfg->verify_checksums = false;
	reset();
	exchange(true, order, 10, 64);
	CU_ASSERT_EQUAL(n_alerts, 0);
	CU_ASSERT(c.v[CNT_decode_ip_csum_bad] > 0);
	CU_ASSERT_EQUAL(c.v[CNT_flow_created], 0);
	engine_free(eng);
	eng = normal;
	/* by default they are not checked */
	reset();
	exchange(true, order, 10, 64);
	CU_ASSERT_EQUAL(n_alerts, 1);
	CU_ASSERT_EQUAL(c.v[CNT_decode_ip_csum_bad], 0);
}

/*
 * Adversarial traffic, each with the engine's own bounds: memory stays
 * within the configured limits, the counters say what happened, and the
 * legitimate exchange around the attack still alerts.
 */

/* One frame straight from the stack (no guard page: millions of them). */
static void
flood_packet(const uint8_t *f, size_t len, uint64_t ts)
{
	engine_packet(eng, f, len, ts, ts, &held);
}

/* <n> SYNs from distinct flows (198.18.0.100+ / every source port), numbered from <from>. */
static void
syn_flood(uint32_t from, uint32_t n)
{
	uint8_t f[64];
	uint32_t i;

	for (i = from; i < from + n; i++) {
		flood_packet(f,
		             tcp_frame(f, (uint8_t)(100 + i / 65535), (uint16_t)(1 + i % 65535), 10,
		                       80, i, 0x02, "", 0),
		             1000);
	}
}

static void
test_adversarial_syn_flood_keeps_talking_flows(void)
{
	static const char req[] = "GET /rss.xml HTTP/1.1\r\nHost: w.example\r\n\r\n";
	struct engine *normal = eng;
	char rsp[2048];
	uint8_t f[2048];
	size_t rlen, off;
	uint32_t flood = 0;

	/* 2,000,000 new flows against a table of 1,048,576 (200 bytes each: 200 MiB) */
	cfg->flows = 1u << 20;
	eng = engine_from_cfg();
	cfg->flows = 64;
	reset();
	rlen = (size_t)snprintf(rsp, sizeof(rsp),
	                        "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen(rss),
	                        rss);
	/* the real exchange goes on, a segment every 250,000 flood SYNs */
	packet(f, tcp_frame(f, 20, 40000, 10, 80, 99, 0x02, "", 0));
	syn_flood(flood, 250000);
	flood += 250000;
	packet(f, tcp_frame(f, 10, 80, 20, 40000, 8999, 0x12, "", 0));
	syn_flood(flood, 250000);
	flood += 250000;
	packet(f, tcp_frame(f, 20, 40000, 10, 80, 100, 0x18, req, strlen(req)));
	for (off = 0; off < rlen; off += 200) {
		size_t n = rlen - off < 200 ? rlen - off : 200;

		syn_flood(flood, 250000);
		flood += 250000;
		packet(f,
		       tcp_frame(f, 10, 80, 20, 40000, 9000 + (uint32_t)off, 0x18, rsp + off, n));
	}
	if (flood < 2000000) {
		syn_flood(flood, 2000000 - flood);
	}
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	check_moscow_alert(&alerts[0]);
	CU_ASSERT(c.v[CNT_flow_created] >= 2000001);
	CU_ASSERT(c.v[CNT_flow_evicted] >= 2000001 - (1u << 20));
	printf("\n    syn flood: %llu flows created, %llu evicted (table of %u, %zu bytes a "
	       "flow)\n    ",
	       (unsigned long long)c.v[CNT_flow_created], (unsigned long long)c.v[CNT_flow_evicted],
	       1u << 20, engine_flow_bytes());
	/* SYNs carry no payload: none took an HTTP session */
	CU_ASSERT_EQUAL(c.v[CNT_http_sessions_full], 0);
	engine_free(eng);
	eng = normal;
	CU_ASSERT_EQUAL(held, 0);
}

static void
test_adversarial_one_byte_segments_still_alert(void)
{
	static int order[600];
	int i;

	for (i = 0; i < 600; i++) {
		order[i] = i;
	}
	reset();
	exchange(true, order, 600, 1);
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	check_moscow_alert(&alerts[0]);
	CU_ASSERT_EQUAL(held, 0);
}

static void
test_adversarial_ooo_flood_into_one_flow_is_bounded(void)
{
	static const int order[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	uint8_t f[128];
	uint32_t i;
	int peak = 0;

	reset();
	packet(f, tcp_frame(f, 30, 41000, 10, 80, 99, 0x02, "", 0));
	packet(f, tcp_frame(f, 10, 80, 30, 41000, 4999, 0x12, "", 0));
	/* 100,000 segments, all past a hole that never fills */
	for (i = 0; i < 100000; i++) {
		flood_packet(f,
		             tcp_frame(f, 10, 80, 30, 41000, 6000 + i * 16, 0x18,
		                       "0123456789abcdef", 16),
		             1000);
		peak = held > peak ? held : peak;
	}
	/* held per stream: limits.ooo_segments_per_stream */
	CU_ASSERT(peak <= (int)cfg->ooo_segments_per_stream);
	CU_ASSERT(c.v[CNT_tcp_ooo_limit] > 0);
	CU_ASSERT(c.v[CNT_tcp_gap] > 0);
	printf("\n    out-of-order flood: at most %d segments held, %llu dropped at the limit, "
	       "%llu holes skipped\n    ",
	       peak, (unsigned long long)c.v[CNT_tcp_ooo_limit],
	       (unsigned long long)c.v[CNT_tcp_gap]);
	/* and a feed next to it is read as usual */
	exchange(true, order, 10, 64);
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	check_moscow_alert(&alerts[0]);
	engine_flush(eng);
	CU_ASSERT_EQUAL(held, 0);
}

/*
 * A client that shuts its receive window for 70 days (capture time): the
 * server probes it with the next byte of the response every minute (RFC 9293
 * §3.8.6.1), the client never takes it. The probes keep the flow alive, hold
 * nothing, and are delivered once; feeds on other flows alert meanwhile; when
 * the window opens, the response resumes at the probed byte and alerts.
 */
static void
test_adversarial_zero_window_stall_delivers_once(void)
{
	static const char req[] = "GET /rss.xml HTTP/1.1\r\nHost: w.example\r\n\r\n";
	const size_t first = 100;
	const uint32_t probes = 100000;
	struct engine *normal = eng;
	struct alert_rec a;
	char rsp[2048];
	uint8_t f[2048];
	size_t rlen;
	uint32_t i;
	int peak = 0;

	eng = engine_from_cfg();
	reset();
	rlen = (size_t)snprintf(rsp, sizeof(rsp),
	                        "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen(rss),
	                        rss);
	packet(f, tcp_frame(f, 20, 40000, 10, 80, 99, 0x02, "", 0));
	packet(f, tcp_frame(f, 10, 80, 20, 40000, 8999, 0x12, "", 0));
	packet(f, tcp_frame(f, 20, 40000, 10, 80, 100, 0x18, req, strlen(req)));
	packet(f, tcp_frame(f, 10, 80, 20, 40000, 9000, 0x18, rsp, first));
	for (i = 0; i < probes; i++) {
		clock_shift += 60ull * 1000000000u;
		flood_packet(f,
		             tcp_frame(f, 10, 80, 20, 40000, 9000 + (uint32_t)first, 0x10,
		                       rsp + first, 1),
		             1000 + clock_shift);
		if (i % 1000 == 0) {
			engine_tick(eng, 2000 + clock_shift);
		}
		if (i == probes / 2) {
			/* a feed on another connection (client port 40001) in the middle of it */
			static const char req2[] =
			        "GET /rss.xml HTTP/1.1\r\nHost: w.example\r\n\r\n";

			packet(f, tcp_frame(f, 20, 40001, 10, 80, 99, 0x02, "", 0));
			packet(f, tcp_frame(f, 20, 40001, 10, 80, 100, 0x18, req2, strlen(req2)));
			packet(f, tcp_frame(f, 10, 80, 20, 40001, 9000, 0x18, rsp, rlen));
		}
		peak = held > peak ? held : peak;
	}
	CU_ASSERT_EQUAL(peak, 0);
	CU_ASSERT_EQUAL(c.v[CNT_tcp_retrans_bytes], probes - 1);
	/* only the other connection, quiet after its exchange, expired; the probed one lives */
	CU_ASSERT_EQUAL(c.v[CNT_flow_expired], 1);
	printf("\n    zero-window stall: %u probes, %llu retransmitted bytes delivered once, "
	       "%d segments held at most\n    ",
	       probes, (unsigned long long)c.v[CNT_tcp_retrans_bytes], peak);
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	CU_ASSERT_STRING_EQUAL(alerts[0].flow_dst, "198.18.0.20:40001");
	/* the window opens: the rest of the response, from the probed byte */
	packet(f, tcp_frame(f, 10, 80, 20, 40000, 9000 + (uint32_t)first, 0x18, rsp + first,
	                    rlen - first));
	CU_ASSERT_EQUAL_FATAL(n_alerts, 2);
	a = alerts[1];
	a.ts_ns -= clock_shift;
	a.rx_mono_ns -= clock_shift;
	check_moscow_alert(&a);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
	engine_free(eng);
	eng = normal;
	clock_shift = 0;
	CU_ASSERT_EQUAL(held, 0);
}

static void
test_adversarial_fragment_flood_is_bounded(void)
{
	static uint8_t f[2048];
	uint8_t g[128];
	size_t len = udp_frame(f, 5140, rss, strlen(rss));
	const uint64_t later = 1000 + (uint64_t)cfg->frag_timeout_s * 1000000000u;
	uint32_t i;

	reset();
	/* 100,000 first fragments of datagrams that never complete */
	memcpy(g, f, 34 + 64);
	g[16] = 0;
	g[17] = 20 + 64;
	g[20] = 0x20; /* MF, offset 0 */
	g[21] = 0;
	for (i = 0; i < 100000; i++) {
		g[18] = (uint8_t)(i >> 8);
		g[19] = (uint8_t)i;
		g[29] = (uint8_t)(1 + i / 65536);
		flood_packet(g, 34 + 64, 1000);
	}
	/* the table held at most limits.frag_datagrams and counted the rest */
	CU_ASSERT(c.v[CNT_ip_frag_limit] >= 100000 - cfg->frag_datagrams);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_reassembled], 0);
	printf("\n    fragment flood: 100000 datagrams started, %llu refused at the limit of %u\n  "
	       "  ",
	       (unsigned long long)c.v[CNT_ip_frag_limit], cfg->frag_datagrams);
	/* once they time out, a real fragmented feed gets through */
	{
		size_t piece = ((len - 34) / 3 + 8) & ~(size_t)7;
		size_t plen = len - 34, off;
		uint16_t k = 0;

		for (off = 0; off < plen; off += piece, k++) {
			size_t part = plen - off < piece ? plen - off : piece;
			uint16_t fo = (uint16_t)((off + part < plen ? 0x2000 : 0) | off / 8);

			memcpy(g, f, 34);
			g[16] = (uint8_t)((20 + part) >> 8);
			g[17] = (uint8_t)(20 + part);
			g[18] = 0xAB;
			g[19] = 0xCD;
			g[20] = (uint8_t)(fo >> 8);
			g[21] = (uint8_t)fo;
			{
				static uint8_t h[2048];

				memcpy(h, g, 34);
				memcpy(h + 34, f + 34 + off, part);
				/* each fragment expires a batch of the flood's before it is filed */
				for (i = 0; i < 32; i++) {
					engine_tick(eng, later);
				}
				flood_packet(h, 34 + part, later + k);
			}
		}
	}
	CU_ASSERT(c.v[CNT_ip_frag_timeout] > 0);
	CU_ASSERT_EQUAL_FATAL(n_alerts, 1);
	CU_ASSERT_STRING_EQUAL(alerts[0].title, "Talks in Moscow");
}

static int
setup(void)
{
	static const char *const paths[] = { "../../configs/watchlists" };
	struct engine_ops ops = { .alert_get = get_rec,
		                  .alert_submit = submit_rec,
		                  .tcp = &copy_ops,
		                  .http_seen = http_seen };
	char *err = NULL;

	cfg = config_load(NULL, &err);
	set = wl_set_load(paths, 1, &err);
	if (cfg == NULL || set == NULL) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return -1;
	}
	cfg->flows = 64;
	cfg->feed_parsers = 4;
	cfg->max_item = 65536;
	/* the suite replays the same feed test after test: its own test turns dedup on */
	cfg->dedup_window_s = 0;
	eng = engine_create(cfg, &ops, &c);
	if (eng == NULL || engine_set_watchlists(eng, set) != 0) {
		return -1;
	}
	return 0;
}

static int
teardown(void)
{
	engine_free(eng);
	wl_set_free(set);
	config_free(cfg);
	return 0;
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("engine", setup, teardown);
	CU_add_test(s, "alerts on an in-order exchange",
	            test_engine_alerts_on_an_in_order_exchange);
	CU_add_test(s, "reassembles segments out of order",
	            test_engine_reassembles_segments_out_of_order);
	CU_add_test(s, "a repeated item alerts once per window",
	            test_engine_repeated_item_alerts_once_per_window);
	CU_add_test(s, "picks up a flow without its SYN",
	            test_engine_picks_up_a_flow_without_its_syn);
	CU_add_test(s, "flush finishes an open flow", test_engine_flush_finishes_an_open_flow);
	CU_add_test(s, "parses UDP datagrams on feed ports only",
	            test_engine_parses_udp_datagrams_on_feed_ports_only);
	CU_add_test(s, "document reports the file", test_engine_document_reports_the_file);
	CU_add_test(s, "reports every http response", test_engine_reports_every_http_response);
	CU_add_test(s, "max_body parses the feed up to the cap",
	            test_engine_max_body_parses_the_feed_up_to_the_cap);
	CU_add_test(s, "http sessions bounded and reused",
	            test_engine_http_sessions_bounded_and_reused);
	CU_add_test(s, "verify checksums drops bad packets",
	            test_engine_verify_checksums_drops_bad_packets);
	CU_add_test(s, "counts malformed frames", test_engine_counts_malformed_frames);
	CU_add_test(s, "reassembles a fragmented UDP feed",
	            test_engine_reassembles_a_fragmented_udp_feed);
	CU_add_test(s, "reassembles a fragmented TCP segment",
	            test_engine_reassembles_a_fragmented_tcp_segment);
	s = CU_add_suite("adversarial", setup, teardown);
	CU_add_test(s, "SYN flood keeps talking flows",
	            test_adversarial_syn_flood_keeps_talking_flows);
	CU_add_test(s, "one-byte segments still alert",
	            test_adversarial_one_byte_segments_still_alert);
	CU_add_test(s, "out-of-order flood into one flow is bounded",
	            test_adversarial_ooo_flood_into_one_flow_is_bounded);
	CU_add_test(s, "fragment flood is bounded", test_adversarial_fragment_flood_is_bounded);
	CU_add_test(s, "zero-window stall delivers once",
	            test_adversarial_zero_window_stall_delivers_once);
	return guard_run_tests();
}
