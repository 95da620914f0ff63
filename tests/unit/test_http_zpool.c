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

/* ---- the inflate stream pool ---- */

/* Appends a 200 response carrying <body> compressed with <wbits> (see http_rig_compress). */
static void
put_compressed_rsp(uint8_t *buf, size_t *len, const void *body, size_t n, int wbits, bool chunked)
{
	static uint8_t z[1 << 18];
	const char *coding = wbits == 15 + 16 ? "gzip" : "deflate";
	char hdr[160];
	size_t zn;

	zn = http_rig_compress(body, n, z, sizeof(z), wbits);
	if (chunked) {
		snprintf(hdr, sizeof(hdr),
		         "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nTransfer-Encoding: "
		         "chunked\r\n\r\n",
		         coding);
		http_rig_put_str(buf, len, hdr);
		http_rig_put_chunked(buf, len, z, zn, 300);
		return;
	}
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n", coding,
	         zn);
	http_rig_put_str(buf, len, hdr);
	http_rig_put(buf, len, z, zn);
}

static void
send_str(struct http_conn *h, const struct http_env *env, bool from_client, const char *s,
         struct http_rig_rec *r)
{
	http_rig_feed(h, env, from_client, (const uint8_t *)s, strlen(s), r);
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
	http_rig_env(&env, &c, zp, 1 << 20);
	http_rig_reset(&http_rig_rec_a);
	http_rig_reset(&http_rig_rec_b);
	put_compressed_rsp(ra, &na, http_rig_feed_text, strlen(http_rig_feed_text), 15 + 16, false);
	put_compressed_rsp(rb, &nb, http_rig_feed_text, strlen(http_rig_feed_text), 15 + 16, true);
	http_rig_put_str(rb, &nb, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	nb1 = nb;
	put_compressed_rsp(rb, &nb, http_rig_feed_text, strlen(http_rig_feed_text), 15, false);

	send_str(a, &env, true, GET_FEED, &http_rig_rec_a);
	send_str(b, &env, true, GET_FEED GET_FEED GET_FEED, &http_rig_rec_b);
	/* A's gzip trailer is still to come: A holds the only stream */
	half = na - 10;
	http_rig_feed(a, &env, false, ra, half, &http_rig_rec_a);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 1);
	http_rig_feed(b, &env, false, rb, nb1, &http_rig_rec_b);
	CU_ASSERT_STRING_EQUAL(http_rig_rec_b.log,
	                       "[200 " FEED_URL "||]{0}[200 " FEED_URL "||]ok{1}");
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_pool_empty], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 1);

	http_rig_feed(a, &env, false, ra + half, na - half, &http_rig_rec_a);
	CU_ASSERT_STRING_EQUAL(http_rig_rec_a.log, FEED_LOG);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);

	/* the stream A gave back serves B's next body */
	http_rig_feed(b, &env, false, rb + nb1, nb - nb1, &http_rig_rec_b);
	CU_ASSERT_STRING_EQUAL(http_rig_rec_b.log,
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
	http_rig_env(&env, &c, NULL, 1 << 20);
	http_rig_reset(&http_rig_rec_a);
	put_compressed_rsp(buf, &len, http_rig_feed_text, strlen(http_rig_feed_text), -15, false);
	http_rig_put_str(buf, &len, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	send_str(h, &env, true, GET_FEED GET_FEED, &http_rig_rec_a);
	http_rig_feed(h, &env, false, buf, len, &http_rig_rec_a);
	CU_ASSERT_STRING_EQUAL(http_rig_rec_a.log,
	                       "[200 " FEED_URL "||]{0}[200 " FEED_URL "||]ok{1}");
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_pool_empty], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip], 0);
	http_conn_release(h);
	free(h);
}

/*
 * Two dozen bodies on one connection through a pool of one (http_rig_run_once):
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
	struct http_rig_step st[2 * N];
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
		st[2 * i] = http_rig_req(GET_FEED);
		st[2 * i + 1] = http_rig_rsp_bin(buf + start, len - start);
		w += (size_t)snprintf(want + w, sizeof(want) - w, "[200 " FEED_URL "||]%s{1}",
		                      body);
	}
	CU_ASSERT_FATAL(len < sizeof(buf) && w < sizeof(want) - 1);
	http_rig_check(st, 2 * N, 1 << 20, want, &c);
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
	http_rig_env(&env, &c, zp, 1 << 20);
	http_rig_reset(&http_rig_rec_a);
	put_compressed_rsp(buf, &len, http_rig_feed_text, strlen(http_rig_feed_text), 15 + 16,
	                   false);
	send_str(h, &env, true, GET_FEED, &http_rig_rec_a);
	http_rig_feed(h, &env, false, buf, len - 20, &http_rig_rec_a);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 1);
	http_conn_release(h);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	/* no callback from the release: the body stays open */
	CU_ASSERT(http_rig_rec_a.open);
	CU_ASSERT(strchr(http_rig_rec_a.log, '{') == NULL);

	/* the stream decodes the next connection's body from the start */
	http_rig_reset(&http_rig_rec_a);
	send_str(h, &env, true, GET_FEED, &http_rig_rec_a);
	http_rig_feed(h, &env, false, buf, len, &http_rig_rec_a);
	CU_ASSERT_STRING_EQUAL(http_rig_rec_a.log, FEED_LOG);
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
	http_rig_env(&env, &c, zp, 1 << 20);
	http_rig_reset(&http_rig_rec_a);
	zn = http_rig_compress(http_rig_feed_text, strlen(http_rig_feed_text), z, sizeof(z),
	                       15 + 16);
	send_str(h, &env, true, GET_FEED GET_FEED GET_FEED, &http_rig_rec_a);

	/* the whole gzip stream in the first chunk: the stream goes back before the last-chunk */
	send_str(h, &env, false,
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
	         &http_rig_rec_a);
	snprintf(line, sizeof(line), "%zx\r\n", zn);
	send_str(h, &env, false, line, &http_rig_rec_a);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 1);
	http_rig_feed(h, &env, false, z, zn, &http_rig_rec_a);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	CU_ASSERT(http_rig_rec_a.open);
	send_str(h, &env, false, "\r\n0\r\n\r\n", &http_rig_rec_a);
	CU_ASSERT_STRING_EQUAL(http_rig_rec_a.log, FEED_LOG);

	/* corrupt data: the stream goes back at once, framing runs on */
	send_str(h, &env, false,
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 40\r\n\r\n",
	         &http_rig_rec_a);
	/* a gzip header, then a deflate block of the reserved type 3 */
	http_rig_feed(h, &env, false, bad_gzip, sizeof(bad_gzip), &http_rig_rec_a);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 1);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	send_str(h, &env, false, "0123456789012345678901234567", &http_rig_rec_a);
	CU_ASSERT_STRING_EQUAL(http_rig_rec_a.log, FEED_LOG "[200 " FEED_URL "||]{0}");

	/* bypass mid-body (bad chunk size): the stream goes back */
	send_str(h, &env, false,
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
	         &http_rig_rec_a);
	snprintf(line, sizeof(line), "%zx\r\n", zn / 2);
	send_str(h, &env, false, line, &http_rig_rec_a);
	http_rig_feed(h, &env, false, z, zn / 2, &http_rig_rec_a);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 1);
	send_str(h, &env, false, "\r\nzz\r\n", &http_rig_rec_a);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 1);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	CU_ASSERT(!http_rig_rec_a.open);
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
		http_rig_env(&env, &c, zp, 1 << 20);
		http_rig_reset(&http_rig_rec_a);
		len = 0;
		put_compressed_rsp(buf, &len, body, BODY, wbits[t], false);
		send_str(h, &env, true, GET_FEED, &http_rig_rec_a);
		/* segment-sized pieces, as TCP delivers them */
		for (off = 0; off < len; off += k) {
			k = len - off < 1448 ? len - off : 1448;
			http_rig_feed(h, &env, false, buf + off, k, &http_rig_rec_a);
		}
		pre = strlen("[200 " FEED_URL "||]");
		CU_ASSERT_EQUAL(http_rig_rec_a.len, pre + BODY + 3);
		CU_ASSERT(http_rig_rec_a.len == pre + BODY + 3 &&
		          memcmp(http_rig_rec_a.log + pre, body, BODY) == 0 &&
		          strcmp(http_rig_rec_a.log + pre + BODY, "{1}") == 0);
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
	s = CU_add_suite("http_zpool", NULL, NULL);
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
