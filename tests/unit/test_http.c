#include "http/http.h"

#include <CUnit/Basic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "guard.h"
#include "http/http_priv.h"
#include "http_rig.h"

static void
test_content_length_body_is_delivered(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nServer: x\r\n"
		             "content-type:   application/rss+xml; charset=\"UTF-8\"  "
		             "\r\n\r\nhello world"),
	};

	http_rig_check(st, 2, 1 << 20,
	               "[200 " FEED_URL
	               "|application/rss+xml; charset=\"UTF-8\"|UTF-8]hello world{1}",
	               &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_unpaired], 0);
}

static void
test_charset_unquoted_and_obs_fold(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req("GET /a HTTP/1.0\r\nHost: h.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.0 200 OK\r\nContent-Type: text/xml;\r\n format=x ; "
		             "CharSet=windows-1251\r\n"
		             "Content-Length: 2\r\n\r\nab"),
	};

	http_rig_check(st, 2, 1 << 20,
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
	struct http_rig_step st[2];

	http_rig_put_str(buf, &len, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	http_rig_put_chunked(buf, &len, (const uint8_t *)http_rig_feed_text,
	                     strlen(http_rig_feed_text), 7);
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(
	        st, 2, 1 << 20,
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
	struct http_rig_step st[2];

	zn = http_rig_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z),
	                       15 + 16);
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	http_rig_put_str(buf, &len, hdr);
	http_rig_put(buf, &len, z, zn);
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(
	        st, 2, 1 << 20,
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
	struct http_rig_step st[4];

	zn = http_rig_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z),
	                       15 + 16);
	http_rig_put_str(buf, &len,
	                 "HTTP/1.1 200 OK\r\nContent-Encoding: x-gzip\r\n"
	                 "Transfer-Encoding: chunked\r\n\r\n");
	http_rig_put_chunked(buf, &len, z, zn, 5);
	http_rig_put_str(buf, &len, "HTTP/1.1 204 No Content\r\n\r\n");
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_req("GET /next HTTP/1.1\r\nHost: example.com\r\n\r\n");
	st[2] = http_rig_rsp_bin(buf, len);
	st[3] = http_rig_closed(false);
	http_rig_check(
	        st, 4, 1 << 20,
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
	struct http_rig_step st[2];

	zn = http_rig_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z), wbits);
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: Deflate\r\nContent-Length: %zu\r\n\r\n", zn);
	http_rig_put_str(buf, &len, hdr);
	http_rig_put(buf, &len, z, zn);
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(
	        st, 2, 1 << 20,
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
	struct http_rig_step st[] = {
		http_rig_req("GET /one HTTP/1.1\r\nHost: a.example\r\n\r\n"
		             "\r\nGET http://b.example/two?x=1 HTTP/1.1\r\nHost: "
		             "ignored.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1"
		             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2"),
	};

	http_rig_check(st, 2, 1 << 20,
	               "[200 http://a.example/one||]1{1}[200 http://b.example/two?x=1||]2{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
}

static void
test_keep_alive_serves_several_responses(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req("GET /1 HTTP/1.1\r\nHost: k.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"),
		http_rig_req("GET /2 HTTP/1.1\r\nHost: k.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: "
		             "chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n"),
		http_rig_req("GET /3 HTTP/1.1\r\nHost: k.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		http_rig_req("GET /4 HTTP/1.1\r\nHost: k.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"),
	};

	http_rig_check(st, 8, 1 << 20,
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
	struct http_rig_step st[] = {
		http_rig_req("POST /submit HTTP/1.1\r\nHost: p.example\r\nExpect: 100-continue\r\n"
		             "Content-Length: 39\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 100 Continue\r\n\r\n"),
		http_rig_req("GET /x HTTP/1.1\r\nHost: evil.example\r\n\r\n"
		             "GET /after HTTP/1.1\r\nHost: p.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 "
		             "OK\r\nContent-Length: 1\r\n\r\nA"),
	};

	http_rig_check(st, 4, 1 << 20,
	               "[200 http://p.example/submit||]ok{1}[200 http://p.example/after||]A{1}",
	               &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
}

static void
test_chunked_request_body_is_skipped(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(
		        "POST /p HTTP/1.1\r\nHost: p.example\r\nTransfer-Encoding: chunked\r\n\r\n"
		        "5;x=y\r\nGET /\r\n0\r\nT: 1\r\n\r\n"
		        "GET /q HTTP/1.1\r\nHost: p.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1HTTP/1.1 200 "
		             "OK\r\nContent-Length: 1\r\n\r\n2"),
	};

	http_rig_check(st, 2, 1 << 20,
	               "[200 http://p.example/p||]1{1}[200 http://p.example/q||]2{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 2);
}

static void
test_head_response_has_no_body(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(
		        "HEAD /feed HTTP/1.1\r\nHost: h.example\r\n\r\nGET /feed HTTP/1.1\r\nHost: "
		        "h.example\r\n\r\n"),
		http_rig_rsp(
		        "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/xml\r\n\r\n"
		        "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"),
	};

	http_rig_check(st, 2, 1 << 20, "[200 http://h.example/feed||]body{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
}

static void
test_304_and_204_have_no_body(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req("GET /a HTTP/1.1\r\nHost: n.example\r\n\r\nGET /b HTTP/1.1\r\nHost: "
		             "n.example\r\n\r\n"
		             "GET /c HTTP/1.1\r\nHost: n.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
		             "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n"
		             "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew"),
	};

	http_rig_check(st, 2, 1 << 20, "[200 http://n.example/c||]new{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 3);
}

static void
test_body_until_close_completes_at_close(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req("GET /old HTTP/1.0\r\nHost: o.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n<rss>"),
		http_rig_rsp("</rss>"),
		http_rig_closed(false),
	};

	http_rig_check(st, 4, 1 << 20, "[200 http://o.example/old|text/xml|]<rss></rss>{1}", &c);
}

static void
test_gzip_until_close_completes_at_close(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	struct http_rig_step st[3];

	zn = http_rig_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z),
	                       15 + 16);
	http_rig_put_str(buf, &len,
	                 "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n");
	http_rig_put(buf, &len, z, zn);
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	st[2] = http_rig_closed(false);
	http_rig_check(
	        st, 3, 1 << 20,
	        "[200 " FEED_URL "||]"
	        "<rss><channel><title>news</title><item>Lavrov said</item></channel></rss>{1}",
	        &c);
}

static void
test_close_mid_body_is_incomplete(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"),
		http_rig_closed(false),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	http_rig_check(st, 4, 1 << 20, "[200 " FEED_URL "||]partial{0}", &c);
}

static void
test_chunked_rejects_size_overflow(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
		             "10000000000000003\r\nxyz\r\n0\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	http_rig_check(st, 3, 1 << 20, "[200 " FEED_URL "||]abc{0}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 1);
}

static void
test_chunked_accepts_largest_size_digits(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		/* 16 hex digits fit in 64 bits: valid framing, the connection is cut */
		http_rig_rsp("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		             "chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nxyz"),
		http_rig_closed(false),
	};

	http_rig_check(st, 3, 1 << 20, "[200 " FEED_URL "||]xyz{0}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 0);
}

static void
test_chunked_skips_junk_after_data(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		             "chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n"),
	};

	/* as libhtp: what follows chunk-data up to the LF is skipped */
	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]abc{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 0);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_lenient], 1);
}

static void
test_transfer_encoding_overrides_content_length(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp(
		        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: identity, "
		        "chunked\r\n\r\n"
		        "6\r\nabcdef\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]abcdef{1}[200 ||]X{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_unpaired], 1);
}

static void
test_non_chunked_transfer_coding_reads_until_close(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp(
		        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: "
		        "1\r\n\r\nraw"),
		http_rig_closed(false),
	};

	http_rig_check(st, 3, 1 << 20, "[200 " FEED_URL "||]raw{1}", &c);
}

static void
test_conflicting_content_length_uses_first(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc"
		             "HTTP/1.1 200 OK\r\nContent-Length: (2) 4\r\n\r\nde"
		             "HTTP/1.1 200 OK\r\nContent-Length: 1.9A\r\n\r\nf"),
	};

	http_rig_check(
	        st, 2, 1 << 20,
	        "[200 " FEED_URL "||]abc{1}[200 " FEED_URL "||]de{1}[200 " FEED_URL "||]f{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 0);
	CU_ASSERT_EQUAL(c.v[CNT_http_cl_lenient], 3);
}

static void
test_duplicate_equal_content_length_is_accepted(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp(
		        "HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\nContent-Length: 4\r\n\r\nabcd"),
	};

	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]abcd{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 0);
}

/*
 * A GET_FEED request and a response whose header block holds a field of
 * <n> bytes, then the body "X"; the response is built in <buf> (static).
 */
static void
big_header_exchange(size_t n, struct http_rig_step *st)
{
	static uint8_t buf[20000];
	size_t len = 0;

	http_rig_put_str(buf, &len, "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(buf + len, 'a', n);
	len += n;
	http_rig_put_str(buf, &len, "\r\nContent-Length: 1\r\n\r\nX");
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
}

static void
test_header_block_limit_bypasses(void)
{
	struct counters c;
	struct http_rig_step st[3];

	big_header_exchange(17000, st);
	st[2] = http_rig_req("GET /more HTTP/1.1\r\nHost: example.com\r\n\r\n");
	http_rig_check(st, 3, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_header_limit], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 1);
}

static void
test_header_block_under_limit_is_parsed(void)
{
	struct counters c;
	struct http_rig_step st[2];

	big_header_exchange(15000, st);
	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]X{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_header_limit], 0);
}

static void
test_header_limit_is_configured(void)
{
	struct counters c;
	struct http_rig_step st[2];

	big_header_exchange(3000, st);
	http_rig_max_header = 2048;
	http_rig_check(st, 2, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_header_limit], 1);
	http_rig_max_header = 4096;
	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]X{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_header_limit], 0);
	http_rig_max_header = 0;
}

static void
test_not_http_request_still_reads_responses(void)
{
	static const uint8_t tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03 };
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		{ true, false, tls, sizeof(tls) },
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"
		             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nYZ"),
	};

	/*
	 * What the client sends after it cannot be framed, but the server's
	 * responses still can: the first pairs with the request understood, the
	 * next with none.
	 */
	http_rig_check(st, 3, 1 << 20, "[200 " FEED_URL "||]X{1}[200 ||]YZ{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_request], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
}

static void
test_not_http_response_is_bypassed(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_rsp("SSH-2.0-OpenSSH_9.2\r\n"),
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	http_rig_check(st, 3, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 0);
}

static void
test_http2_preface_is_bypassed(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
	};

	http_rig_check(st, 1, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_request], 1);
}

static void
test_max_body_truncates_and_next_response_parses(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"
		             "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		             "chunked\r\n\r\n4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n"),
	};

	http_rig_check(st, 3, 5, "[200 " FEED_URL "||]hello{1}[200 " FEED_URL "||]abcde{1}", &c);
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
	struct http_rig_step st[2];

	memset(zeros, 'z', sizeof(zeros));
	zn = http_rig_compress(zeros, sizeof(zeros), z, sizeof(z), 15 + 16);
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	http_rig_put_str(buf, &len, hdr);
	http_rig_put(buf, &len, z, zn);
	http_rig_put_str(buf, &len, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	st[0] = http_rig_req(GET_FEED "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n");
	st[1] = http_rig_rsp_bin(buf, len);
	w = (size_t)snprintf(want, sizeof(want), "[200 " FEED_URL "||]");
	memset(want + w, 'z', 3000);
	strcpy(want + w + 3000, "{1}[200 http://b/2||]ok{1}");
	http_rig_check(st, 2, 3000, want, &c);
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
	struct http_rig_step st[2];

	zn = http_rig_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z),
	                       15 + 16);
	z[10] = 0xff; /* the first deflate block has the reserved type 3 */
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	http_rig_put_str(buf, &len, hdr);
	http_rig_put(buf, &len, z, zn);
	http_rig_put_str(
	        buf, &len,
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
	        "9\r\nnot gzip!\r\n0\r\n\r\n");
	http_rig_put_str(buf, &len, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	st[0] = http_rig_req(GET_FEED GET_FEED "GET /3 HTTP/1.1\r\nHost: c\r\n\r\n");
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(st, 2, 1 << 20,
	               "[200 " FEED_URL "||]{0}[200 " FEED_URL
	               "||]not gzip!{1}[200 http://c/3||]ok{1}",
	               &c);
	/* the corrupt body ends incomplete; a body labelled gzip that is not passes raw */
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_ce_passthrough], 1);
}

static void
test_truncated_gzip_is_incomplete(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	char hdr[128];
	struct http_rig_step st[2];

	/* cut inside the deflate data: the gzip trailer is not checked (see gzip header tests) */
	zn = http_rig_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z),
	                       15 + 16) -
	     10;
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	http_rig_put_str(buf, &len, hdr);
	http_rig_put(buf, &len, z, zn);
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(st, 2, 1 << 20, NULL, &c);
	CU_ASSERT(strstr(http_rig_rec_a.log, "{0}") != NULL);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 1);
}

static void
test_unknown_encoding_passes_raw(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED),
		http_rig_rsp(
		        "HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\nContent-Length: 3\r\n\r\nxyz"
		        "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: "
		        "3\r\n\r\nabc"),
	};

	/* zstd is not decoded, but the body is not lost: the consumer gets its raw bytes */
	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]xyz{1}[200 " FEED_URL "||]abc{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_ce_unknown], 1);
}

static void
test_unpaired_response_has_empty_url(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX"),
	};

	http_rig_check(st, 1, 1 << 20, "[200 ||]X{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_unpaired], 1);
}

static void
test_pending_overflow_keeps_later_pairs_right(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req("GET /1 HTTP/1.1\r\nHost: q\r\n\r\nGET /2 HTTP/1.1\r\nHost: q\r\n\r\n"
		             "GET /3 HTTP/1.1\r\nHost: q\r\n\r\nGET /4 HTTP/1.1\r\nHost: q\r\n\r\n"
		             "GET /5 HTTP/1.1\r\nHost: q\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1"),
		http_rig_req("GET /6 HTTP/1.1\r\nHost: q\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2HTTP/1.1 200 "
		             "OK\r\nContent-Length: 1\r\n\r\n3"
		             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n4HTTP/1.1 200 "
		             "OK\r\nContent-Length: 1\r\n\r\n5"
		             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n6"),
	};

	http_rig_check(st, 4, 1 << 20,
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
	struct http_rig_step st[2];
	size_t n;

	n = (size_t)snprintf(r1, sizeof(r1), "GET /");
	memset(r1 + n, 'p', 1000);
	strcpy(r1 + n + 1000, " HTTP/1.1\r\nHost: long.example\r\n\r\n");
	st[0] = http_rig_req(r1);
	st[1] = http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX");
	n = (size_t)snprintf(want, sizeof(want), "[200 http://long.example/");
	memset(want + n, 'p', HTTP_MAX_URL - strlen("http://long.example/"));
	strcpy(want + n + HTTP_MAX_URL - strlen("http://long.example/"), "||]X{1}");
	http_rig_check(st, 2, 1 << 20, want, &c);
}

static void
test_upgrade_101_bypasses(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req("GET /ws HTTP/1.1\r\nHost: w\r\nUpgrade: websocket\r\nConnection: "
		             "Upgrade\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: "
		             "websocket\r\n\r\n\x81\x05hello"),
	};

	http_rig_check(st, 2, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_upgrade], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 0);
}

static void
test_space_before_colon_is_tolerated(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length\t : 1\r\n\r\nX"),
	};

	/* RFC 9112 §5.1 rejects it; browsers and libhtp read the field */
	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]X{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_header_lenient], 1);
}

static void
test_release_frees_inflate_state_mid_body(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	struct http_rig_step st[2];

	/* no close: http_conn_release() must free the z_stream (ASan leak http_rig_check) */
	zn = http_rig_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z),
	                       15 + 16);
	http_rig_put_str(
	        buf, &len,
	        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9999\r\n\r\n");
	http_rig_put(buf, &len, z, zn / 2);
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(st, 2, 1 << 20, NULL, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 1);
}

static void
test_transfer_coding_parameters_ignored(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;\r\n\r\n"
		             "1\r\nX\r\n0\r\n\r\n"
		             "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked ; q=1\r\n\r\n"
		             "0\r\n\r\n"),
	};

	/* RFC 9112 §7: a coding may carry parameters; "chunked;" is still chunked */
	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]X{1}[200 ||]{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
}

/* ---- evasions (HTTP Evader): read as browsers and libhtp read them ---- */

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
	CU_add_test(s, "chunked skips junk after data", test_chunked_skips_junk_after_data);
	CU_add_test(s, "transfer-encoding overrides content-length",
	            test_transfer_encoding_overrides_content_length);
	CU_add_test(s, "non-chunked transfer coding reads until close",
	            test_non_chunked_transfer_coding_reads_until_close);
	CU_add_test(s, "conflicting content-length uses first",
	            test_conflicting_content_length_uses_first);
	CU_add_test(s, "duplicate equal content-length accepted",
	            test_duplicate_equal_content_length_is_accepted);
	CU_add_test(s, "header block limit bypasses", test_header_block_limit_bypasses);
	CU_add_test(s, "header limit is configured", test_header_limit_is_configured);
	CU_add_test(s, "header block under limit is parsed",
	            test_header_block_under_limit_is_parsed);
	CU_add_test(s, "not-HTTP request still reads responses",
	            test_not_http_request_still_reads_responses);
	CU_add_test(s, "not-HTTP response is bypassed", test_not_http_response_is_bypassed);
	CU_add_test(s, "HTTP/2 preface is bypassed", test_http2_preface_is_bypassed);
	CU_add_test(s, "max_body truncates, next response parses",
	            test_max_body_truncates_and_next_response_parses);
	CU_add_test(s, "gzip bomb stops at max_body", test_gzip_bomb_stops_at_max_body);
	CU_add_test(s, "corrupt gzip is counted, non-gzip passes raw",
	            test_corrupt_gzip_is_counted_and_framing_continues);
	CU_add_test(s, "truncated gzip is incomplete", test_truncated_gzip_is_incomplete);
	CU_add_test(s, "unknown encoding passes raw", test_unknown_encoding_passes_raw);
	CU_add_test(s, "unpaired response has empty url", test_unpaired_response_has_empty_url);
	CU_add_test(s, "pending overflow keeps later pairs right",
	            test_pending_overflow_keeps_later_pairs_right);
	CU_add_test(s, "long urls are truncated", test_long_urls_are_truncated);
	CU_add_test(s, "upgrade 101 bypasses", test_upgrade_101_bypasses);
	CU_add_test(s, "space before colon is tolerated", test_space_before_colon_is_tolerated);
	CU_add_test(s, "release frees inflate state mid-body",
	            test_release_frees_inflate_state_mid_body);
	CU_add_test(s, "transfer-coding parameters ignored",
	            test_transfer_coding_parameters_ignored);
	return guard_run_tests();
}
