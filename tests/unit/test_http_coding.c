/*
 * Content codings beyond gzip and deflate, and the limits every compressed
 * body is held to: brotli (RFC 7932) alone, chunked and stacked, decoded
 * from the worker's brotli budget; a budget too small for a stream's window;
 * the decompression-bomb ratio limit.
 */
#include "http/http.h"

#include <CUnit/Basic.h>
#include <brotli/encode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "http/http_priv.h"
#include "http_rig.h"

#define FEED_LOG                                                                                  \
	"[200 " FEED_URL "||]<rss><channel><title>news</title><item>Lavrov said</item></channel>" \
	"</rss>{1}"

/* <in> brotli-compressed into <out> at <quality> with window 2^<lgwin>; returns the length. */
static size_t
br_compress(const void *in, size_t n, uint8_t *out, size_t cap, int quality, int lgwin)
{
	size_t len = cap;

	CU_ASSERT_FATAL(BrotliEncoderCompress(quality, lgwin, BROTLI_MODE_TEXT, n, in, &len, out) ==
	                BROTLI_TRUE);
	return len;
}

/* A response with header <ce> (a Content-Encoding value) and <body> framed by Content-Length. */
static size_t
response(uint8_t *buf, const char *ce, const uint8_t *body, size_t n)
{
	char hdr[160];
	size_t len = 0;

	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n", ce, n);
	http_rig_put_str(buf, &len, hdr);
	http_rig_put(buf, &len, body, n);
	return len;
}

static void
test_brotli_body_is_decoded(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	struct http_rig_step st[2];
	size_t zn;
	int q;

	for (q = 0; q <= 11; q += 5) {
		zn = br_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z), q,
		                 22);
		st[0] = http_rig_req(GET_FEED);
		st[1] = http_rig_rsp_bin(buf, response(buf, "br", z, zn));
		http_rig_check(st, 2, 1 << 20, FEED_LOG, &c);
		CU_ASSERT_EQUAL(c.v[CNT_http_br], 1);
		CU_ASSERT_EQUAL(c.v[CNT_http_br_bad], 0);
	}
}

static void
test_brotli_chunked_body_is_decoded(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	struct http_rig_step st[2];
	size_t zn, len = 0;

	zn = br_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z), 11, 24);
	http_rig_put_str(buf, &len,
	                 "HTTP/1.1 200 OK\r\nContent-Encoding: BR\r\nTransfer-Encoding: "
	                 "chunked\r\n\r\n");
	http_rig_put_chunked(buf, &len, z, zn, 7);
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(st, 2, 1 << 20, FEED_LOG, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_br], 1);
}

static void
test_gzip_then_brotli_stack_is_undone_in_reverse(void)
{
	static uint8_t g[4096], z[4096], buf[8192];
	struct counters c;
	struct http_rig_step st[2];
	size_t gn, zn;

	/* RFC 9110 §8.4: the codings in the order applied: gzip first, then br */
	gn = http_rig_compress(http_rig_feed_text, strlen(http_rig_feed_text), g, sizeof(g),
	                       15 + 16);
	zn = br_compress(g, gn, z, sizeof(z), 5, 22);
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, response(buf, "gzip, br", z, zn));
	http_rig_check(st, 2, 1 << 20, FEED_LOG, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_br_bad], 0);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 0);
}

static void
test_corrupt_brotli_is_counted_and_next_response_parses(void)
{
	static uint8_t buf[8192];
	struct counters c;
	struct http_rig_step st[2];
	size_t len;

	/* WBITS bits 1 000 001: reserved (RFC 7932 §9.1), an error at the first byte */
	len = response(buf, "br", (const uint8_t *)"\x11\x11\x11\x11\x11", 5);
	http_rig_put_str(buf, &len, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	st[0] = http_rig_req(GET_FEED GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]{0}[200 " FEED_URL "||]ok{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_br_bad], 1);
}

static void
test_truncated_brotli_is_incomplete(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	struct http_rig_step st[2];
	size_t zn;

	zn = br_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z), 5, 22);
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, response(buf, "br", z, zn - 3));
	http_rig_check(st, 2, 1 << 20, NULL, &c);
	CU_ASSERT(strstr(http_rig_rec_a.log, "{0}") != NULL);
	CU_ASSERT_EQUAL(c.v[CNT_http_br_bad], 1);
}

static void
test_brotli_over_the_budget_stops_and_is_counted(void)
{
	static uint8_t text[160u << 10], z[1 << 18], buf[1 << 19];
	struct counters c;
	struct http_rig_step st[2];
	size_t i, zn;

	/* 160 KiB of varied text at window 2^22 wants a ring buffer larger than the budget */
	for (i = 0; i < sizeof(text); i++) {
		text[i] = (uint8_t)('a' + (i * 7919 + i / 13) % 26);
	}
	zn = br_compress(text, sizeof(text), z, sizeof(z), 5, 22);
	st[0] = http_rig_req(GET_FEED);
	st[1] = http_rig_rsp_bin(buf, response(buf, "br", z, zn));
	http_rig_br_memcap = 64u << 10;
	http_rig_check(st, 2, 1 << 20, NULL, &c);
	http_rig_br_memcap = 8u << 20;
	CU_ASSERT(strstr(http_rig_rec_a.log, "{0}") != NULL);
	CU_ASSERT(c.v[CNT_http_br_memcap] >= 1);
	/* the same stream fits the default budget */
	http_rig_check(st, 2, 1 << 20, NULL, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_br_memcap], 0);
	CU_ASSERT(strstr(http_rig_rec_a.log, "{1}") != NULL);
}

static void
test_brotli_budget_serves_decoders_until_full_then_again(void)
{
	struct http_brpool *bp = http_brpool_create(1u << 20);
	struct http_brdec *d[256];
	size_t n = 0, again = 0, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(bp);
	while (n < 256 && (d[n] = http_brpool_get(bp)) != NULL) {
		n++;
	}
	CU_ASSERT(n > 4 && n < 256);
	/* give back every other one, then the rest: the arena coalesces into one block */
	for (i = 0; i < n; i += 2) {
		http_brpool_put(d[i]);
	}
	for (i = 1; i < n; i += 2) {
		http_brpool_put(d[i]);
	}
	CU_ASSERT_EQUAL(http_brpool_used(bp), 0);
	while (again < 256 && (d[again] = http_brpool_get(bp)) != NULL) {
		again++;
	}
	CU_ASSERT_EQUAL(again, n);
	for (i = 0; i < again; i++) {
		http_brpool_put(d[i]);
	}
	http_brpool_free(bp);
	/* no budget: no decoder */
	bp = http_brpool_create(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bp);
	CU_ASSERT_PTR_NULL(http_brpool_get(bp));
	http_brpool_free(bp);
}

static void
test_declined_body_is_framed_not_decoded(void)
{
	static uint8_t z[4096], buf[8192];
	struct counters c;
	struct http_rig_step st[2];
	size_t zn, len = 0;
	char hdr[160];

	zn = http_rig_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z),
	                       15 + 16);
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Encoding: "
	         "gzip\r\nContent-Length: %zu\r\n\r\n",
	         zn);
	http_rig_put_str(buf, &len, hdr);
	http_rig_put(buf, &len, z, zn);
	http_rig_put_str(buf, &len, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	st[0] = http_rig_req(GET_FEED GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "|image/png|]{1}[200 " FEED_URL "||]ok{1}",
	               &c);
	/* no inflate stream was taken for it */
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 0);
}

/* ---- the ratio limit: fed whole, not through the rig (the ratio depends on the pieces) ---- */

struct sink {
	uint64_t bytes;
	int ends, complete;
};

static bool
sink_begin(void *arg, const struct http_msg *m)
{
	(void)arg;
	(void)m;
	return true;
}

static void
sink_data(void *arg, struct span data)
{
	((struct sink *)arg)->bytes += data.len;
}

static void
sink_end(void *arg, bool complete)
{
	((struct sink *)arg)->ends++;
	((struct sink *)arg)->complete += complete;
}

/* Serve <rsp> to a GET in <piece>-byte segments, with max_ratio <ratio>. */
static void
serve(const uint8_t *rsp, size_t n, size_t piece, uint32_t ratio, struct sink *s,
      struct counters *c)
{
	static struct http_conn h;
	struct http_zpool *zp = http_zpool_create(2);
	struct http_brpool *bp = http_brpool_create(8u << 20);
	struct http_env env = { .c = c,
		                .max_body = 1ull << 30,
		                .zpool = zp,
		                .brpool = bp,
		                .max_ratio = ratio,
		                .body_begin = sink_begin,
		                .body_data = sink_data,
		                .body_end = sink_end };
	size_t off, k;

	memset(&h, 0, sizeof(h));
	memset(s, 0, sizeof(*s));
	memset(c, 0, sizeof(*c));
	http_conn_data(&h, &env, true, (struct span){ (const uint8_t *)GET_FEED, strlen(GET_FEED) },
	               s);
	for (off = 0; off < n; off += k) {
		k = n - off < piece ? n - off : piece;
		http_conn_data(&h, &env, false, (struct span){ rsp + off, k }, s);
	}
	http_conn_release(&h);
	CU_ASSERT_EQUAL(http_brpool_used(bp), 0);
	http_brpool_free(bp);
	http_zpool_free(zp);
}

static void
test_gzip_bomb_stops_at_the_ratio(void)
{
	static uint8_t zeros[16u << 20], z[1u << 16], buf[1u << 17];
	struct counters c;
	struct sink s;
	size_t zn, len;

	zn = http_rig_compress(zeros, sizeof(zeros), z, sizeof(z), 15 + 16);
	len = response(buf, "gzip", z, zn);
	/* 16 MiB from ~16 KiB: over 500 times, stopped once past the 1 MiB floor */
	serve(buf, len, 1460, 500, &s, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_decomp_ratio], 1);
	CU_ASSERT(s.bytes >= (1u << 20) && s.bytes < (2u << 20));
	CU_ASSERT_EQUAL(s.ends, 1);
	CU_ASSERT_EQUAL(s.complete, 0);
	/* max_ratio 0: only max_body limits it */
	serve(buf, len, 1460, 0, &s, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_decomp_ratio], 0);
	CU_ASSERT_EQUAL(s.bytes, sizeof(zeros));
	CU_ASSERT_EQUAL(s.complete, 1);
}

static void
test_brotli_bomb_stops_at_the_ratio(void)
{
	static uint8_t zeros[64u << 20], z[1u << 16], buf[1u << 17];
	struct counters c;
	struct sink s;
	size_t zn, len;

	/* brotli packs 64 MiB of zeros into a few bytes: ratios far beyond gzip's 1032 */
	zn = br_compress(zeros, sizeof(zeros), z, sizeof(z), 5, 22);
	len = response(buf, "br", z, zn);
	serve(buf, len, 1460, 500, &s, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_decomp_ratio], 1);
	CU_ASSERT(s.bytes < (2u << 20));
	CU_ASSERT_EQUAL(s.complete, 0);
}

static void
test_small_compressible_feed_is_under_the_ratio_floor(void)
{
	static uint8_t text[512u << 10], z[1u << 16], buf[1u << 17];
	struct counters c;
	struct sink s;
	size_t zn, len;

	/* 512 KiB that compresses a thousandfold: under the 1 MiB floor, never a bomb */
	memset(text, ' ', sizeof(text));
	zn = http_rig_compress(text, sizeof(text), z, sizeof(z), 15 + 16);
	len = response(buf, "gzip", z, zn);
	serve(buf, len, 1460, 500, &s, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_decomp_ratio], 0);
	CU_ASSERT_EQUAL(s.bytes, sizeof(text));
	CU_ASSERT_EQUAL(s.complete, 1);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("http_coding", NULL, NULL);
	CU_add_test(s, "brotli body is decoded", test_brotli_body_is_decoded);
	CU_add_test(s, "brotli chunked body is decoded", test_brotli_chunked_body_is_decoded);
	CU_add_test(s, "gzip, br stack is undone in reverse",
	            test_gzip_then_brotli_stack_is_undone_in_reverse);
	CU_add_test(s, "corrupt brotli is counted, next response parses",
	            test_corrupt_brotli_is_counted_and_next_response_parses);
	CU_add_test(s, "truncated brotli is incomplete", test_truncated_brotli_is_incomplete);
	CU_add_test(s, "brotli over the budget stops and is counted",
	            test_brotli_over_the_budget_stops_and_is_counted);
	CU_add_test(s, "brotli budget serves decoders until full, then again",
	            test_brotli_budget_serves_decoders_until_full_then_again);
	CU_add_test(s, "declined body is framed, not decoded",
	            test_declined_body_is_framed_not_decoded);
	CU_add_test(s, "gzip bomb stops at the ratio", test_gzip_bomb_stops_at_the_ratio);
	CU_add_test(s, "brotli bomb stops at the ratio", test_brotli_bomb_stops_at_the_ratio);
	CU_add_test(s, "small compressible feed is under the ratio floor",
	            test_small_compressible_feed_is_under_the_ratio_floor);
	return guard_run_tests();
}
