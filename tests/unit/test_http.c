#include "http/http.h"

#include <CUnit/Basic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "guard.h"
#include "http/http_priv.h"

/*
 * Every conversation is fed whole, split in two at every byte position of
 * every step (long steps: at a sample of positions), and in 1-byte pieces,
 * each piece in its own guard_dup() buffer. The callbacks write a log
 * ("[status url|content-type|charset]" + body bytes + "{complete}") that must
 * be identical, with identical counters, for every split.
 */

#define LOG_CAP (1u << 18)

struct step {
	bool from_client;
	bool close; /* close this direction instead of sending data */
	const uint8_t *data;
	size_t len;
};

struct rec {
	char log[LOG_CAP];
	size_t len;
	bool open;
};

static void
rec_put(struct rec *r, const void *p, size_t n)
{
	if (n == 0) {
		return;
	}
	if (r->len + n >= LOG_CAP) {
		n = LOG_CAP - 1 - r->len;
	}
	memcpy(r->log + r->len, p, n);
	r->len += n;
	r->log[r->len] = 0;
}

static void
rec_str(struct rec *r, const char *s)
{
	rec_put(r, s, strlen(s));
}

static void
on_begin(void *arg, const struct http_msg *m)
{
	struct rec *r = arg;
	char num[16];

	if (r->open) {
		rec_str(r, "<NESTED>");
	}
	r->open = true;
	snprintf(num, sizeof(num), "[%d ", m->status);
	rec_str(r, num);
	rec_put(r, m->url.ptr, m->url.len);
	rec_str(r, "|");
	rec_put(r, m->content_type.ptr, m->content_type.len);
	rec_str(r, "|");
	rec_put(r, m->charset.ptr, m->charset.len);
	rec_str(r, "]");
}

static void
on_data(void *arg, struct span data)
{
	struct rec *r = arg;

	if (!r->open || data.len == 0) {
		rec_str(r, "<STRAY>");
	}
	rec_put(r, data.ptr, data.len);
}

static void
on_end(void *arg, bool complete)
{
	struct rec *r = arg;

	if (!r->open) {
		rec_str(r, "<STRAY-END>");
	}
	r->open = false;
	rec_str(r, complete ? "{1}" : "{0}");
}

static void
feed_piece(struct http_conn *h, const struct http_env *env, bool from_client, const uint8_t *p,
           size_t n, struct rec *r)
{
	uint8_t *g;
	struct span s;

	if (n == 0) {
		return;
	}
	g = guard_dup(p, n);
	s.ptr = g;
	s.len = n;
	http_conn_data(h, env, from_client, s, r);
	guard_free(g);
}

static void
rec_reset(struct rec *r)
{
	r->len = 0;
	r->log[0] = 0;
	r->open = false;
}

/* Zeroes <c> and sets up <env> to log through the rec callbacks. */
static void
env_init(struct http_env *env, struct counters *c, struct http_zpool *zp, uint64_t max_body)
{
	memset(c, 0, sizeof(*c));
	memset(env, 0, sizeof(*env));
	env->c = c;
	env->max_body = max_body;
	env->zpool = zp;
	env->body_begin = on_begin;
	env->body_data = on_data;
	env->body_end = on_end;
}

/*
 * mode 0: whole steps; 1: each step split at <at>; 2: 1-byte pieces. One
 * inflate stream serves the run: a body that kept it would starve the next.
 */
static void
run_once(const struct step *st, size_t n, uint64_t max_body, int mode, size_t at, struct rec *r,
         struct counters *c)
{
	struct http_conn *h = calloc(1, sizeof(*h));
	struct http_zpool *zp = http_zpool_create(1);
	struct http_env env;
	size_t i, j, k;

	CU_ASSERT_FATAL(h != NULL && zp != NULL);
	env_init(&env, c, zp, max_body);
	rec_reset(r);
	for (i = 0; i < n; i++) {
		if (st[i].close) {
			http_conn_close(h, &env, st[i].from_client, r);
			continue;
		}
		if (mode == 0) {
			feed_piece(h, &env, st[i].from_client, st[i].data, st[i].len, r);
		} else if (mode == 1) {
			k = at < st[i].len ? at : st[i].len;
			feed_piece(h, &env, st[i].from_client, st[i].data, k, r);
			feed_piece(h, &env, st[i].from_client, st[i].data + k, st[i].len - k, r);
		} else {
			for (j = 0; j < st[i].len; j++) {
				feed_piece(h, &env, st[i].from_client, st[i].data + j, 1, r);
			}
		}
	}
	http_conn_release(h);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	CU_ASSERT_EQUAL(c->v[CNT_http_gzip_pool_empty], 0);
	http_zpool_free(zp);
	free(h);
}

static struct rec rec_a, rec_b;

/* Runs <st> every way; checks the log against <want> (NULL: don't) and returns the counters. */
static void
check(const struct step *st, size_t n, uint64_t max_body, const char *want, struct counters *c)
{
	struct counters c2;
	size_t i, at, maxlen = 0;

	run_once(st, n, max_body, 0, 0, &rec_a, c);
	if (want != NULL) {
		CU_ASSERT_STRING_EQUAL(rec_a.log, want);
		if (strcmp(rec_a.log, want) != 0) {
			fprintf(stderr, "\n got: %s\nwant: %s\n", rec_a.log, want);
		}
	}
	for (i = 0; i < n; i++) {
		if (st[i].len > maxlen) {
			maxlen = st[i].len;
		}
	}
	for (at = 1; at < maxlen; at += (at < 256 || maxlen < 4096) ? 1 : 97) {
		run_once(st, n, max_body, 1, at, &rec_b, &c2);
		CU_ASSERT_EQUAL(rec_b.len, rec_a.len);
		CU_ASSERT(memcmp(rec_b.log, rec_a.log, rec_a.len) == 0);
		CU_ASSERT(memcmp(&c2, c, sizeof(c2)) == 0);
		if (rec_b.len != rec_a.len || memcmp(rec_b.log, rec_a.log, rec_a.len) != 0) {
			fprintf(stderr, "\nsplit at %zu: %s\n", at, rec_b.log);
			break;
		}
	}
	run_once(st, n, max_body, 2, 0, &rec_b, &c2);
	CU_ASSERT_EQUAL(rec_b.len, rec_a.len);
	CU_ASSERT(memcmp(rec_b.log, rec_a.log, rec_a.len) == 0);
	CU_ASSERT(memcmp(&c2, c, sizeof(c2)) == 0);
}

static struct step
req(const char *s)
{
	struct step st = { true, false, (const uint8_t *)s, strlen(s) };
	return st;
}

static struct step
rsp(const char *s)
{
	struct step st = { false, false, (const uint8_t *)s, strlen(s) };
	return st;
}

static struct step
rsp_bin(const uint8_t *p, size_t n)
{
	struct step st = { false, false, p, n };
	return st;
}

static struct step
closed(bool from_client)
{
	struct step st = { from_client, true, NULL, 0 };
	return st;
}

/* <wbits>: 15 + 16 gzip, 15 zlib, -15 raw deflate */
static size_t
compress_buf(const void *in, size_t n, uint8_t *out, size_t cap, int wbits)
{
	z_stream zs;
	size_t len;

	memset(&zs, 0, sizeof(zs));
	CU_ASSERT_FATAL(deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	CU_ASSERT_FATAL(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	len = zs.total_out;
	deflateEnd(&zs);
	return len;
}

/* Appends <n> bytes to <buf> at <*len>. */
static void
put(uint8_t *buf, size_t *len, const void *p, size_t n)
{
	memcpy(buf + *len, p, n);
	*len += n;
}

static void
put_str(uint8_t *buf, size_t *len, const char *s)
{
	put(buf, len, s, strlen(s));
}

/* <body> as chunks of <size> bytes, with an extension on each and a trailer field. */
static void
put_chunked(uint8_t *buf, size_t *len, const uint8_t *body, size_t n, size_t size)
{
	char line[64];
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < size ? n - i : size;
		snprintf(line, sizeof(line), "%zX ; name=\"v;1\"\r\n", k);
		put_str(buf, len, line);
		put(buf, len, body + i, k);
		put_str(buf, len, "\r\n");
	}
	put_str(buf, len, "0;last\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n");
}

#define GET_FEED "GET /feed.xml HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
#define FEED_URL "http://example.com/feed.xml"

static const char feed_text[] = "<rss><channel><title>news</title><item>Lavrov said</item>"
                                "</channel></rss>";

static void
test_content_length_body_is_delivered(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nServer: x\r\n"
		    "content-type:   application/rss+xml; charset=\"UTF-8\"  \r\n\r\nhello world"),
	};

	check(st, 2, 1 << 20,
	      "[200 " FEED_URL "|application/rss+xml; charset=\"UTF-8\"|UTF-8]hello world{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_unpaired], 0);
}

static void
test_charset_unquoted_and_obs_fold(void)
{
	struct counters c;
	struct step st[] = {
		req("GET /a HTTP/1.0\r\nHost: h.example\r\n\r\n"),
		rsp("HTTP/1.0 200 OK\r\nContent-Type: text/xml;\r\n format=x ; "
		    "CharSet=windows-1251\r\n"
		    "Content-Length: 2\r\n\r\nab"),
	};

	check(st, 2, 1 << 20,
	      "[200 http://h.example/a|text/xml; format=x ; "
	      "CharSet=windows-1251|windows-1251]ab{1}",
	      &c);
}

static void
test_chunked_with_extensions_and_trailers(void)
{
	static uint8_t buf[4096];
	struct counters c;
	size_t len = 0;
	struct step st[2];

	put_str(buf, &len, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	put_chunked(buf, &len, (const uint8_t *)feed_text, strlen(feed_text), 7);
	st[0] = req(GET_FEED);
	st[1] = rsp_bin(buf, len);
	check(st, 2, 1 << 20,
	      "[200 " FEED_URL "||]"
	      "<rss><channel><title>news</title><item>Lavrov said</item></channel></rss>{1}",
	      &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 0);
}

static void
test_gzip_body_is_inflated(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	char hdr[128];
	struct step st[2];

	zn = compress_buf(feed_text, strlen(feed_text), z, sizeof(z), 15 + 16);
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	put_str(buf, &len, hdr);
	put(buf, &len, z, zn);
	st[0] = req(GET_FEED);
	st[1] = rsp_bin(buf, len);
	check(st, 2, 1 << 20,
	      "[200 " FEED_URL "||]"
	      "<rss><channel><title>news</title><item>Lavrov said</item></channel></rss>{1}",
	      &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 0);
}

static void
test_gzip_chunked_body_is_inflated(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	struct step st[4];

	zn = compress_buf(feed_text, strlen(feed_text), z, sizeof(z), 15 + 16);
	put_str(buf, &len,
	        "HTTP/1.1 200 OK\r\nContent-Encoding: x-gzip\r\n"
	        "Transfer-Encoding: chunked\r\n\r\n");
	put_chunked(buf, &len, z, zn, 5);
	put_str(buf, &len, "HTTP/1.1 204 No Content\r\n\r\n");
	st[0] = req(GET_FEED);
	st[1] = req("GET /next HTTP/1.1\r\nHost: example.com\r\n\r\n");
	st[2] = rsp_bin(buf, len);
	st[3] = closed(false);
	check(st, 4, 1 << 20,
	      "[200 " FEED_URL "||]"
	      "<rss><channel><title>news</title><item>Lavrov said</item></channel></rss>{1}",
	      &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
}

static void
deflate_case(int wbits)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	char hdr[128];
	struct step st[2];

	zn = compress_buf(feed_text, strlen(feed_text), z, sizeof(z), wbits);
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: Deflate\r\nContent-Length: %zu\r\n\r\n", zn);
	put_str(buf, &len, hdr);
	put(buf, &len, z, zn);
	st[0] = req(GET_FEED);
	st[1] = rsp_bin(buf, len);
	check(st, 2, 1 << 20,
	      "[200 " FEED_URL "||]"
	      "<rss><channel><title>news</title><item>Lavrov said</item></channel></rss>{1}",
	      &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 0);
}

static void
test_deflate_zlib_wrapped_is_inflated(void)
{
	deflate_case(15);
}

static void
test_deflate_raw_is_inflated(void)
{
	deflate_case(-15);
}

static void
test_pipelined_requests_pair_in_order(void)
{
	struct counters c;
	struct step st[] = {
		req("GET /one HTTP/1.1\r\nHost: a.example\r\n\r\n"
		    "\r\nGET http://b.example/two?x=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n"),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1"
		    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2"),
	};

	check(st, 2, 1 << 20,
	      "[200 http://a.example/one||]1{1}[200 http://b.example/two?x=1||]2{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
}

static void
test_keep_alive_serves_several_responses(void)
{
	struct counters c;
	struct step st[] = {
		req("GET /1 HTTP/1.1\r\nHost: k.example\r\n\r\n"),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"),
		req("GET /2 HTTP/1.1\r\nHost: k.example\r\n\r\n"),
		rsp("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n"),
		req("GET /3 HTTP/1.1\r\nHost: k.example\r\n\r\n"),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		req("GET /4 HTTP/1.1\r\nHost: k.example\r\n\r\n"),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"),
	};

	check(st, 8, 1 << 20,
	      "[200 http://k.example/1||]abc{1}[404 http://k.example/2||]no{1}"
	      "[200 http://k.example/4||]z{1}",
	      &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 4);
	CU_ASSERT_EQUAL(c.v[CNT_http_unpaired], 0);
}

static void
test_continue_then_final_response_pairs_once(void)
{
	struct counters c;
	struct step st[] = {
		req("POST /submit HTTP/1.1\r\nHost: p.example\r\nExpect: 100-continue\r\n"
		    "Content-Length: 39\r\n\r\n"),
		rsp("HTTP/1.1 100 Continue\r\n\r\n"),
		req("GET /x HTTP/1.1\r\nHost: evil.example\r\n\r\n"
		    "GET /after HTTP/1.1\r\nHost: p.example\r\n\r\n"),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 "
		    "OK\r\nContent-Length: 1\r\n\r\nA"),
	};

	check(st, 4, 1 << 20,
	      "[200 http://p.example/submit||]ok{1}[200 http://p.example/after||]A{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
}

static void
test_chunked_request_body_is_skipped(void)
{
	struct counters c;
	struct step st[] = {
		req("POST /p HTTP/1.1\r\nHost: p.example\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "5;x=y\r\nGET /\r\n0\r\nT: 1\r\n\r\n"
		    "GET /q HTTP/1.1\r\nHost: p.example\r\n\r\n"),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1HTTP/1.1 200 "
		    "OK\r\nContent-Length: 1\r\n\r\n2"),
	};

	check(st, 2, 1 << 20, "[200 http://p.example/p||]1{1}[200 http://p.example/q||]2{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 2);
}

static void
test_head_response_has_no_body(void)
{
	struct counters c;
	struct step st[] = {
		req("HEAD /feed HTTP/1.1\r\nHost: h.example\r\n\r\nGET /feed HTTP/1.1\r\nHost: "
		    "h.example\r\n\r\n"),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/xml\r\n\r\n"
		    "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"),
	};

	check(st, 2, 1 << 20, "[200 http://h.example/feed||]body{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
}

static void
test_304_and_204_have_no_body(void)
{
	struct counters c;
	struct step st[] = {
		req("GET /a HTTP/1.1\r\nHost: n.example\r\n\r\nGET /b HTTP/1.1\r\nHost: "
		    "n.example\r\n\r\n"
		    "GET /c HTTP/1.1\r\nHost: n.example\r\n\r\n"),
		rsp("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
		    "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew"),
	};

	check(st, 2, 1 << 20, "[200 http://n.example/c||]new{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 3);
}

static void
test_body_until_close_completes_at_close(void)
{
	struct counters c;
	struct step st[] = {
		req("GET /old HTTP/1.0\r\nHost: o.example\r\n\r\n"),
		rsp("HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n<rss>"),
		rsp("</rss>"),
		closed(false),
	};

	check(st, 4, 1 << 20, "[200 http://o.example/old|text/xml|]<rss></rss>{1}", &c);
}

static void
test_gzip_until_close_completes_at_close(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	struct step st[3];

	zn = compress_buf(feed_text, strlen(feed_text), z, sizeof(z), 15 + 16);
	put_str(buf, &len,
	        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n");
	put(buf, &len, z, zn);
	st[0] = req(GET_FEED);
	st[1] = rsp_bin(buf, len);
	st[2] = closed(false);
	check(st, 3, 1 << 20,
	      "[200 " FEED_URL "||]"
	      "<rss><channel><title>news</title><item>Lavrov said</item></channel></rss>{1}",
	      &c);
}

static void
test_close_mid_body_is_incomplete(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"),
		closed(false),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	check(st, 4, 1 << 20, "[200 " FEED_URL "||]partial{0}", &c);
}

static void
test_chunked_rejects_size_overflow(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
		    "10000000000000003\r\nxyz\r\n0\r\n\r\n"),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	check(st, 3, 1 << 20, "[200 " FEED_URL "||]abc{0}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 1);
}

static void
test_chunked_accepts_largest_size_digits(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		/* 16 hex digits fit in 64 bits: valid framing, the connection is cut */
		rsp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nxyz"),
		closed(false),
	};

	check(st, 3, 1 << 20, "[200 " FEED_URL "||]xyz{0}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 0);
}

static void
test_chunked_rejects_missing_crlf_after_data(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n"),
	};

	check(st, 2, 1 << 20, "[200 " FEED_URL "||]abc{0}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 1);
}

static void
test_transfer_encoding_overrides_content_length(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: identity, "
		    "chunked\r\n\r\n"
		    "6\r\nabcdef\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	check(st, 2, 1 << 20, "[200 " FEED_URL "||]abcdef{1}[200 ||]X{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_unpaired], 1);
}

static void
test_non_chunked_transfer_coding_reads_until_close(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: "
		    "1\r\n\r\nraw"),
		closed(false),
	};

	check(st, 3, 1 << 20, "[200 " FEED_URL "||]raw{1}", &c);
}

static void
test_bad_content_length_bypasses(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
	};

	check(st, 2, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 1);
}

static void
test_duplicate_equal_content_length_is_accepted(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\nContent-Length: 4\r\n\r\nabcd"),
	};

	check(st, 2, 1 << 20, "[200 " FEED_URL "||]abcd{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 0);
}

static void
test_header_block_limit_bypasses(void)
{
	static uint8_t buf[20000];
	struct counters c;
	size_t len = 0;
	struct step st[3];

	put_str(buf, &len, "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(buf + len, 'a', 17000);
	len += 17000;
	put_str(buf, &len, "\r\nContent-Length: 1\r\n\r\nX");
	st[0] = req(GET_FEED);
	st[1] = rsp_bin(buf, len);
	st[2] = req("GET /more HTTP/1.1\r\nHost: example.com\r\n\r\n");
	check(st, 3, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_header_limit], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 1);
}

static void
test_header_block_under_limit_is_parsed(void)
{
	static uint8_t buf[20000];
	struct counters c;
	size_t len = 0;
	struct step st[2];

	put_str(buf, &len, "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(buf + len, 'a', 15000);
	len += 15000;
	put_str(buf, &len, "\r\nContent-Length: 1\r\n\r\nX");
	st[0] = req(GET_FEED);
	st[1] = rsp_bin(buf, len);
	check(st, 2, 1 << 20, "[200 " FEED_URL "||]X{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_header_limit], 0);
}

static void
test_not_http_request_is_bypassed(void)
{
	static const uint8_t tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03 };
	struct counters c;
	struct step st[] = {
		{ true, false, tls, sizeof(tls) },
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	check(st, 2, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_request], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 0);
}

static void
test_not_http_response_is_bypassed(void)
{
	struct counters c;
	struct step st[] = {
		rsp("SSH-2.0-OpenSSH_9.2\r\n"),
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	check(st, 3, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 0);
}

static void
test_http2_preface_is_bypassed(void)
{
	struct counters c;
	struct step st[] = {
		req("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
	};

	check(st, 1, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_request], 1);
}

static void
test_max_body_truncates_and_next_response_parses(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"
		    "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n"),
	};

	check(st, 3, 5, "[200 " FEED_URL "||]hello{1}[200 " FEED_URL "||]abcde{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_body_limit], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
}

static void
test_gzip_bomb_stops_at_max_body(void)
{
	static uint8_t zeros[1 << 20], z[1 << 14], buf[1 << 15];
	static char want[8192];
	struct counters c;
	size_t zn, len = 0, w;
	char hdr[128];
	struct step st[2];

	memset(zeros, 'z', sizeof(zeros));
	zn = compress_buf(zeros, sizeof(zeros), z, sizeof(z), 15 + 16);
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	put_str(buf, &len, hdr);
	put(buf, &len, z, zn);
	put_str(buf, &len, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	st[0] = req(GET_FEED "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n");
	st[1] = rsp_bin(buf, len);
	w = (size_t)snprintf(want, sizeof(want), "[200 " FEED_URL "||]");
	memset(want + w, 'z', 3000);
	strcpy(want + w + 3000, "{1}[200 http://b/2||]ok{1}");
	check(st, 2, 3000, want, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_body_limit], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 0);
}

static void
test_corrupt_gzip_is_counted_and_framing_continues(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	char hdr[128];
	struct step st[2];

	zn = compress_buf(feed_text, strlen(feed_text), z, sizeof(z), 15 + 16);
	z[zn - 6] ^= 0x55; /* the CRC-32 of the trailer */
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	put_str(buf, &len, hdr);
	put(buf, &len, z, zn);
	put_str(buf, &len,
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
	        "9\r\nnot gzip!\r\n0\r\n\r\n");
	put_str(buf, &len, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	st[0] = req(GET_FEED GET_FEED "GET /3 HTTP/1.1\r\nHost: c\r\n\r\n");
	st[1] = rsp_bin(buf, len);
	check(st, 2, 1 << 20,
	      "[200 " FEED_URL "||]"
	      "<rss><channel><title>news</title><item>Lavrov said</item></channel></rss>{0}"
	      "[200 " FEED_URL "||]{0}[200 http://c/3||]ok{1}",
	      &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 2);
}

static void
test_truncated_gzip_is_incomplete(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	char hdr[128];
	struct step st[2];

	zn = compress_buf(feed_text, strlen(feed_text), z, sizeof(z), 15 + 16) - 4;
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	put_str(buf, &len, hdr);
	put(buf, &len, z, zn);
	st[0] = req(GET_FEED);
	st[1] = rsp_bin(buf, len);
	check(st, 2, 1 << 20,
	      "[200 " FEED_URL "||]"
	      "<rss><channel><title>news</title><item>Lavrov said</item></channel></rss>{0}",
	      &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 1);
}

static void
test_unsupported_encoding_is_skipped(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nxyz"
		    "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: "
		    "3\r\n\r\nabc"),
	};

	check(st, 2, 1 << 20, "[200 " FEED_URL "||]abc{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_encoding_unsupported], 1);
}

static void
test_unpaired_response_has_empty_url(void)
{
	struct counters c;
	struct step st[] = {
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	check(st, 1, 1 << 20, "[200 ||]X{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_unpaired], 1);
}

static void
test_pending_overflow_keeps_later_pairs_right(void)
{
	struct counters c;
	struct step st[] = {
		req("GET /1 HTTP/1.1\r\nHost: q\r\n\r\nGET /2 HTTP/1.1\r\nHost: q\r\n\r\n"
		    "GET /3 HTTP/1.1\r\nHost: q\r\n\r\nGET /4 HTTP/1.1\r\nHost: q\r\n\r\n"
		    "GET /5 HTTP/1.1\r\nHost: q\r\n\r\n"),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1"),
		req("GET /6 HTTP/1.1\r\nHost: q\r\n\r\n"),
		rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2HTTP/1.1 200 "
		    "OK\r\nContent-Length: 1\r\n\r\n3"
		    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n4HTTP/1.1 200 "
		    "OK\r\nContent-Length: 1\r\n\r\n5"
		    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n6"),
	};

	check(st, 4, 1 << 20,
	      "[200 http://q/1||]1{1}[200 http://q/2||]2{1}[200 http://q/3||]3{1}"
	      "[200 http://q/4||]4{1}[200 ||]5{1}[200 http://q/6||]6{1}",
	      &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_pending_overflow], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_unpaired], 1);
}

static void
test_long_urls_are_truncated(void)
{
	static char r1[2048], want[2048];
	struct counters c;
	struct step st[2];
	size_t n;

	n = (size_t)snprintf(r1, sizeof(r1), "GET /");
	memset(r1 + n, 'p', 1000);
	strcpy(r1 + n + 1000, " HTTP/1.1\r\nHost: long.example\r\n\r\n");
	st[0] = req(r1);
	st[1] = rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX");
	n = (size_t)snprintf(want, sizeof(want), "[200 http://long.example/");
	memset(want + n, 'p', HTTP_MAX_URL - strlen("http://long.example/"));
	strcpy(want + n + HTTP_MAX_URL - strlen("http://long.example/"), "||]X{1}");
	check(st, 2, 1 << 20, want, &c);
}

static void
test_upgrade_101_bypasses(void)
{
	struct counters c;
	struct step st[] = {
		req("GET /ws HTTP/1.1\r\nHost: w\r\nUpgrade: websocket\r\nConnection: "
		    "Upgrade\r\n\r\n"),
		rsp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"),
	};

	check(st, 2, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_upgrade], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 0);
}

static void
test_header_name_with_space_is_rejected(void)
{
	struct counters c;
	struct step st[] = {
		req(GET_FEED),
		rsp("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nX"),
	};

	check(st, 2, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 1);
}

static void
test_release_frees_inflate_state_mid_body(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	struct step st[2];

	/* no close: http_conn_release() must free the z_stream (ASan leak check) */
	zn = compress_buf(feed_text, strlen(feed_text), z, sizeof(z), 15 + 16);
	put_str(buf, &len,
	        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9999\r\n\r\n");
	put(buf, &len, z, zn / 2);
	st[0] = req(GET_FEED);
	st[1] = rsp_bin(buf, len);
	check(st, 2, 1 << 20, NULL, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 1);
}

/* ---- the inflate stream pool ---- */

/* Appends a 200 response carrying <body> compressed with <wbits> (see compress_buf). */
static void
put_compressed_rsp(uint8_t *buf, size_t *len, const void *body, size_t n, int wbits, bool chunked)
{
	static uint8_t z[1 << 18];
	const char *coding = wbits == 15 + 16 ? "gzip" : "deflate";
	char hdr[160];
	size_t zn;

	zn = compress_buf(body, n, z, sizeof(z), wbits);
	if (chunked) {
		snprintf(hdr, sizeof(hdr),
		         "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nTransfer-Encoding: "
		         "chunked\r\n\r\n",
		         coding);
		put_str(buf, len, hdr);
		put_chunked(buf, len, z, zn, 300);
		return;
	}
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n", coding,
	         zn);
	put_str(buf, len, hdr);
	put(buf, len, z, zn);
}

static void
send_str(struct http_conn *h, const struct http_env *env, bool from_client, const char *s,
         struct rec *r)
{
	feed_piece(h, env, from_client, (const uint8_t *)s, strlen(s), r);
}

#define FEED_LOG                                                                                  \
	"[200 " FEED_URL "||]<rss><channel><title>news</title><item>Lavrov said</item></channel>" \
	"</rss>{1}"

static void
test_empty_pool_skips_compressed_body_and_framing_continues(void)
{
	static uint8_t ra[8192], rb[8192];
	struct http_conn *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct http_zpool *zp = http_zpool_create(1);
	struct http_env env;
	struct counters c;
	size_t na = 0, nb = 0, nb1, half;

	CU_ASSERT_FATAL(a != NULL && b != NULL && zp != NULL);
	env_init(&env, &c, zp, 1 << 20);
	rec_reset(&rec_a);
	rec_reset(&rec_b);
	put_compressed_rsp(ra, &na, feed_text, strlen(feed_text), 15 + 16, false);
	put_compressed_rsp(rb, &nb, feed_text, strlen(feed_text), 15 + 16, true);
	put_str(rb, &nb, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	nb1 = nb;
	put_compressed_rsp(rb, &nb, feed_text, strlen(feed_text), 15, false);

	send_str(a, &env, true, GET_FEED, &rec_a);
	send_str(b, &env, true, GET_FEED GET_FEED GET_FEED, &rec_b);
	/* A's gzip trailer is still to come: A holds the only stream */
	half = na - 10;
	feed_piece(a, &env, false, ra, half, &rec_a);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 1);
	feed_piece(b, &env, false, rb, nb1, &rec_b);
	CU_ASSERT_STRING_EQUAL(rec_b.log, "[200 " FEED_URL "||]{0}[200 " FEED_URL "||]ok{1}");
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_pool_empty], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 1);

	feed_piece(a, &env, false, ra + half, na - half, &rec_a);
	CU_ASSERT_STRING_EQUAL(rec_a.log, FEED_LOG);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);

	/* the stream A gave back serves B's next body */
	feed_piece(b, &env, false, rb + nb1, nb - nb1, &rec_b);
	CU_ASSERT_STRING_EQUAL(rec_b.log,
	                       "[200 " FEED_URL "||]{0}[200 " FEED_URL "||]ok{1}" FEED_LOG);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_pool_empty], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 0);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 4);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	http_conn_release(a);
	http_conn_release(b);
	http_zpool_free(zp);
	free(a);
	free(b);
}

static void
test_no_pool_skips_compressed_body(void)
{
	static uint8_t buf[8192];
	struct http_conn *h = calloc(1, sizeof(*h));
	struct http_env env;
	struct counters c;
	size_t len = 0;

	CU_ASSERT_FATAL(h != NULL);
	env_init(&env, &c, NULL, 1 << 20);
	rec_reset(&rec_a);
	put_compressed_rsp(buf, &len, feed_text, strlen(feed_text), -15, false);
	put_str(buf, &len, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	send_str(h, &env, true, GET_FEED GET_FEED, &rec_a);
	feed_piece(h, &env, false, buf, len, &rec_a);
	CU_ASSERT_STRING_EQUAL(rec_a.log, "[200 " FEED_URL "||]{0}[200 " FEED_URL "||]ok{1}");
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_pool_empty], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 0);
	http_conn_release(h);
	free(h);
}

/*
 * Two dozen bodies on one connection through a pool of one (run_once):
 * gzip, zlib and raw deflate in turn, by length and chunked, each different.
 * A stream given back without its arena reset, or reused with stale zlib
 * state, breaks the second body.
 */
static void
test_stream_is_reused_by_sequential_bodies(void)
{
	enum { N = 24 };
	static const int wbits[3] = { 15 + 16, 15, -15 };
	static uint8_t buf[1 << 17];
	static char want[1 << 17], body[16384];
	struct step st[2 * N];
	size_t len = 0, w = 0, start, bn;
	struct counters c;
	int i, j;

	for (i = 0; i < N; i++) {
		bn = 0;
		for (j = 0; j < 10 + 3 * i; j++) {
			bn += (size_t)snprintf(
			        body + bn, sizeof(body) - bn,
			        "<item><title>body %d line %d</title> Lavrov %d</item>\n", i, j,
			        i * j);
		}
		start = len;
		put_compressed_rsp(buf, &len, body, bn, wbits[i % 3], (i / 3) % 2 == 1);
		st[2 * i] = req(GET_FEED);
		st[2 * i + 1] = rsp_bin(buf + start, len - start);
		w += (size_t)snprintf(want + w, sizeof(want) - w, "[200 " FEED_URL "||]%s{1}",
		                      body);
	}
	CU_ASSERT_FATAL(len < sizeof(buf) && w < sizeof(want) - 1);
	check(st, 2 * N, 1 << 20, want, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], N);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 0);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_pool_empty], 0);
}

static void
test_release_mid_body_returns_stream(void)
{
	static uint8_t buf[8192];
	struct http_conn *h = calloc(1, sizeof(*h));
	struct http_zpool *zp = http_zpool_create(1);
	struct http_env env;
	struct counters c;
	size_t len = 0;

	CU_ASSERT_FATAL(h != NULL && zp != NULL);
	env_init(&env, &c, zp, 1 << 20);
	rec_reset(&rec_a);
	put_compressed_rsp(buf, &len, feed_text, strlen(feed_text), 15 + 16, false);
	send_str(h, &env, true, GET_FEED, &rec_a);
	feed_piece(h, &env, false, buf, len - 20, &rec_a);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 1);
	http_conn_release(h);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	/* no callback from the release: the body stays open */
	CU_ASSERT(rec_a.open);
	CU_ASSERT(strchr(rec_a.log, '{') == NULL);

	/* the stream decodes the next connection's body from the start */
	rec_reset(&rec_a);
	send_str(h, &env, true, GET_FEED, &rec_a);
	feed_piece(h, &env, false, buf, len, &rec_a);
	CU_ASSERT_STRING_EQUAL(rec_a.log, FEED_LOG);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_pool_empty], 0);
	http_conn_release(h);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	http_zpool_free(zp);
	free(h);
}

static void
test_stream_returns_at_stream_end_error_and_bypass(void)
{
	static const uint8_t bad_gzip[12] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff };
	static uint8_t z[4096];
	struct http_conn *h = calloc(1, sizeof(*h));
	struct http_zpool *zp = http_zpool_create(1);
	struct http_env env;
	struct counters c;
	char line[32];
	size_t zn;

	CU_ASSERT_FATAL(h != NULL && zp != NULL);
	env_init(&env, &c, zp, 1 << 20);
	rec_reset(&rec_a);
	zn = compress_buf(feed_text, strlen(feed_text), z, sizeof(z), 15 + 16);
	send_str(h, &env, true, GET_FEED GET_FEED GET_FEED, &rec_a);

	/* the whole gzip stream in the first chunk: the stream goes back before the last-chunk */
	send_str(h, &env, false,
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
	         &rec_a);
	snprintf(line, sizeof(line), "%zx\r\n", zn);
	send_str(h, &env, false, line, &rec_a);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 1);
	feed_piece(h, &env, false, z, zn, &rec_a);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	CU_ASSERT(rec_a.open);
	send_str(h, &env, false, "\r\n0\r\n\r\n", &rec_a);
	CU_ASSERT_STRING_EQUAL(rec_a.log, FEED_LOG);

	/* corrupt data: the stream goes back at once, framing runs on */
	send_str(h, &env, false,
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 40\r\n\r\n", &rec_a);
	/* a gzip header, then a deflate block of the reserved type 3 */
	feed_piece(h, &env, false, bad_gzip, sizeof(bad_gzip), &rec_a);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 1);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	send_str(h, &env, false, "0123456789012345678901234567", &rec_a);
	CU_ASSERT_STRING_EQUAL(rec_a.log, FEED_LOG "[200 " FEED_URL "||]{0}");

	/* bypass mid-body (bad chunk size): the stream goes back */
	send_str(h, &env, false,
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
	         &rec_a);
	snprintf(line, sizeof(line), "%zx\r\n", zn / 2);
	send_str(h, &env, false, line, &rec_a);
	feed_piece(h, &env, false, z, zn / 2, &rec_a);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 1);
	send_str(h, &env, false, "\r\nzz\r\n", &rec_a);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 1);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	CU_ASSERT(!rec_a.open);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 3);
	http_conn_release(h);
	http_zpool_free(zp);
	free(h);
}

/* A body far larger than the window: zlib's state and its full 32 KiB window fit the arena. */
static void
test_large_body_inflates_within_arena(void)
{
	enum { BODY = 200000, BLOCK = 30000 };
	static uint8_t body[BODY], buf[BODY + 4096];
	static const int wbits[3] = { 15 + 16, 15, -15 };
	struct http_zpool *zp = http_zpool_create(1);
	struct http_conn *h = calloc(1, sizeof(*h));
	struct http_env env;
	struct counters c;
	size_t i, len, pre, off, k;
	uint32_t x = 12345;
	int t;

	CU_ASSERT_FATAL(h != NULL && zp != NULL);
	for (i = 0; i < BODY; i++) {
		/* a pseudo-random block repeated: matches reach back ~30 KB */
		if (i < BLOCK) {
			x = x * 1103515245u + 12345u;
			body[i] = (uint8_t)('a' + (x >> 16) % 26);
		} else {
			body[i] = body[i - BLOCK];
		}
	}
	for (t = 0; t < 3; t++) {
		env_init(&env, &c, zp, 1 << 20);
		rec_reset(&rec_a);
		len = 0;
		put_compressed_rsp(buf, &len, body, BODY, wbits[t], false);
		send_str(h, &env, true, GET_FEED, &rec_a);
		/* segment-sized pieces, as TCP delivers them */
		for (off = 0; off < len; off += k) {
			k = len - off < 1448 ? len - off : 1448;
			feed_piece(h, &env, false, buf + off, k, &rec_a);
		}
		pre = strlen("[200 " FEED_URL "||]");
		CU_ASSERT_EQUAL(rec_a.len, pre + BODY + 3);
		CU_ASSERT(rec_a.len == pre + BODY + 3 && memcmp(rec_a.log + pre, body, BODY) == 0 &&
		          strcmp(rec_a.log + pre + BODY, "{1}") == 0);
		CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 0);
		CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
		http_conn_release(h);
	}
	http_zpool_free(zp);
	free(h);
}

static void
test_arena_serves_zlib_and_refuses_overflow(void)
{
	struct http_zpool *zp = http_zpool_create(2);
	z_stream *zs, *zs2;
	void *p;

	CU_ASSERT_FATAL(zp != NULL);
	zs = http_zpool_get(zp);
	CU_ASSERT_FATAL(zs != NULL);
	CU_ASSERT(zs->zalloc(zs->opaque, 1, HTTP_ZSLOT_ARENA + 1) == Z_NULL);
	CU_ASSERT(zs->zalloc(zs->opaque, UINT_MAX, UINT_MAX) == Z_NULL);
	p = zs->zalloc(zs->opaque, 7, 13);
	CU_ASSERT_FATAL(p != Z_NULL);
	CU_ASSERT((uintptr_t)p % 16 == 0);
	memset(p, 0xa5, 91);
	/* 91 bytes took 96: the rest is exactly what is left */
	CU_ASSERT(zs->zalloc(zs->opaque, 1, HTTP_ZSLOT_ARENA - 95) == Z_NULL);
	p = zs->zalloc(zs->opaque, 1, HTTP_ZSLOT_ARENA - 96);
	CU_ASSERT(p != Z_NULL);
	CU_ASSERT(zs->zalloc(zs->opaque, 1, 1) == Z_NULL);
	zs->zfree(zs->opaque, p);
	CU_ASSERT(zs->zalloc(zs->opaque, 1, 1) == Z_NULL);

	zs2 = http_zpool_get(zp);
	CU_ASSERT(zs2 != NULL && zs2 != zs);
	CU_ASSERT(http_zpool_get(zp) == NULL);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 2);
	http_zpool_put(zs2);
	http_zpool_put(zs);
	http_zpool_put(NULL);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	/* given back, the arena is whole again */
	zs = http_zpool_get(zp);
	CU_ASSERT_FATAL(zs != NULL);
	CU_ASSERT(zs->zalloc(zs->opaque, 1, HTTP_ZSLOT_ARENA) != Z_NULL);
	http_zpool_put(zs);
	http_zpool_free(zp);

	CU_ASSERT(http_zpool_get(NULL) == NULL);
	CU_ASSERT_EQUAL(http_zpool_used(NULL), 0);
	http_zpool_free(NULL);
	zp = http_zpool_create(0);
	CU_ASSERT_FATAL(zp != NULL);
	CU_ASSERT(http_zpool_get(zp) == NULL);
	http_zpool_free(zp);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("http", NULL, NULL);
	CU_add_test(s, "content-length body is delivered", test_content_length_body_is_delivered);
	CU_add_test(s, "charset unquoted and obs-fold", test_charset_unquoted_and_obs_fold);
	CU_add_test(s, "chunked with extensions and trailers",
	            test_chunked_with_extensions_and_trailers);
	CU_add_test(s, "gzip body is inflated", test_gzip_body_is_inflated);
	CU_add_test(s, "gzip chunked body is inflated", test_gzip_chunked_body_is_inflated);
	CU_add_test(s, "deflate zlib-wrapped is inflated", test_deflate_zlib_wrapped_is_inflated);
	CU_add_test(s, "deflate raw is inflated", test_deflate_raw_is_inflated);
	CU_add_test(s, "pipelined requests pair in order", test_pipelined_requests_pair_in_order);
	CU_add_test(s, "keep-alive serves several responses",
	            test_keep_alive_serves_several_responses);
	CU_add_test(s, "100 continue then final response pairs once",
	            test_continue_then_final_response_pairs_once);
	CU_add_test(s, "chunked request body is skipped", test_chunked_request_body_is_skipped);
	CU_add_test(s, "HEAD response has no body", test_head_response_has_no_body);
	CU_add_test(s, "304 and 204 have no body", test_304_and_204_have_no_body);
	CU_add_test(s, "body until close completes at close",
	            test_body_until_close_completes_at_close);
	CU_add_test(s, "gzip until close completes at close",
	            test_gzip_until_close_completes_at_close);
	CU_add_test(s, "close mid-body is incomplete", test_close_mid_body_is_incomplete);
	CU_add_test(s, "chunked rejects size overflow", test_chunked_rejects_size_overflow);
	CU_add_test(s, "chunked accepts largest size", test_chunked_accepts_largest_size_digits);
	CU_add_test(s, "chunked rejects missing CRLF after data",
	            test_chunked_rejects_missing_crlf_after_data);
	CU_add_test(s, "transfer-encoding overrides content-length",
	            test_transfer_encoding_overrides_content_length);
	CU_add_test(s, "non-chunked transfer coding reads until close",
	            test_non_chunked_transfer_coding_reads_until_close);
	CU_add_test(s, "bad content-length bypasses", test_bad_content_length_bypasses);
	CU_add_test(s, "duplicate equal content-length accepted",
	            test_duplicate_equal_content_length_is_accepted);
	CU_add_test(s, "header block limit bypasses", test_header_block_limit_bypasses);
	CU_add_test(s, "header block under limit is parsed",
	            test_header_block_under_limit_is_parsed);
	CU_add_test(s, "not-HTTP request is bypassed", test_not_http_request_is_bypassed);
	CU_add_test(s, "not-HTTP response is bypassed", test_not_http_response_is_bypassed);
	CU_add_test(s, "HTTP/2 preface is bypassed", test_http2_preface_is_bypassed);
	CU_add_test(s, "max_body truncates, next response parses",
	            test_max_body_truncates_and_next_response_parses);
	CU_add_test(s, "gzip bomb stops at max_body", test_gzip_bomb_stops_at_max_body);
	CU_add_test(s, "corrupt gzip is counted, framing continues",
	            test_corrupt_gzip_is_counted_and_framing_continues);
	CU_add_test(s, "truncated gzip is incomplete", test_truncated_gzip_is_incomplete);
	CU_add_test(s, "unsupported encoding is skipped", test_unsupported_encoding_is_skipped);
	CU_add_test(s, "unpaired response has empty url", test_unpaired_response_has_empty_url);
	CU_add_test(s, "pending overflow keeps later pairs right",
	            test_pending_overflow_keeps_later_pairs_right);
	CU_add_test(s, "long urls are truncated", test_long_urls_are_truncated);
	CU_add_test(s, "upgrade 101 bypasses", test_upgrade_101_bypasses);
	CU_add_test(s, "header name with space is rejected",
	            test_header_name_with_space_is_rejected);
	CU_add_test(s, "release frees inflate state mid-body",
	            test_release_frees_inflate_state_mid_body);
	CU_add_test(s, "empty pool skips compressed body, framing continues",
	            test_empty_pool_skips_compressed_body_and_framing_continues);
	CU_add_test(s, "no pool skips compressed body", test_no_pool_skips_compressed_body);
	CU_add_test(s, "stream is reused by sequential bodies",
	            test_stream_is_reused_by_sequential_bodies);
	CU_add_test(s, "release mid-body returns stream", test_release_mid_body_returns_stream);
	CU_add_test(s, "stream returns at stream end, error and bypass",
	            test_stream_returns_at_stream_end_error_and_bypass);
	CU_add_test(s, "large body inflates within arena", test_large_body_inflates_within_arena);
	CU_add_test(s, "arena serves zlib and refuses overflow",
	            test_arena_serves_zlib_and_refuses_overflow);
	return guard_run_tests();
}
