/*
 * The HTTP stage reading framing as browsers (and libhtp) do, where servers
 * and evasion tools depart from RFC 9112: odd status lines, junk and folded
 * header lines, Transfer-Encoding and Content-Encoding values among junk,
 * stacked codings, odd gzip headers, bodies without a status line. HTTP
 * Evader's cases (noxxi.de) are the model.
 */
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
test_status_line_versions_and_case_are_read(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED GET_FEED GET_FEED),
		http_rig_rsp("HTTP/2.0 200 OK\r\nContent-Length: 1\r\n\r\nA"
		             "http/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB"
		             "HTTP/1.01\x0b"
		             "200\x0bok\r\nContent-Length: 1\r\n\r\nC"
		             "\r\n\tHTTP/1.1foobar\r\nContent-Length: 1\r\n\r\nD"),
	};

	http_rig_check(st, 2, 1 << 20,
	               "[200 " FEED_URL "||]A{1}[200 " FEED_URL "||]B{1}[200 " FEED_URL
	               "||]C{1}[200 " FEED_URL "||]D{1}",
	               &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_status_bad], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 0);
}

static void
test_malformed_status_reads_as_200(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED GET_FEED),
		http_rig_rsp("HTTP/1.1 2xx ok\r\nContent-Length: 1\r\n\r\nA"
		             "HTTP/1.1 0204 ok\r\nContent-Length: 1\r\n\r\nB"
		             "HTTP/1.1  2000\r\nContent-Length: 1\r\n\r\nC"),
	};

	/* "0204" is no 204: a status that is not 3 digits reads as 200, as browsers do */
	http_rig_check(st, 2, 1 << 20,
	               "[200 " FEED_URL "||]A{1}[200 " FEED_URL "||]B{1}[200 " FEED_URL "||]C{1}",
	               &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_status_bad], 3);
}

static void
test_junk_lines_before_status_are_skipped(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp(" foobar\r\nSIP/2.0 200 ok\r\nHTTP/1.1 200 OK\r\nContent-Length: "
		             "2\r\n\r\nok"),
	};

	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]ok{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_rsp_junk], 2);
}

static void
test_response_without_status_line_is_body_until_close(void)
{
	static char body[301];
	struct counters c;
	char want[512];
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED),
		http_rig_rsp("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR"),
		http_rig_closed(false),
	};

	/* short: known at the close; long: once the held bytes run out */
	http_rig_check(st, 3, 1 << 20, "[200 " FEED_URL "||]X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR{1}",
	               &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_rsp_no_status], 1);
	memset(body, 'x', sizeof(body) - 1);
	st[1] = http_rig_rsp(body);
	snprintf(want, sizeof(want), "[200 " FEED_URL "||]%s{1}", body);
	http_rig_check(st, 3, 1 << 20, want, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_rsp_no_status], 1);
}

static void
test_body_after_bodiless_response_is_read(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.1 204 ok\r\nContent-Length: 3\r\n\r\nabc"),
		http_rig_closed(false),
	};

	/*
	 * RFC 9110 §15.3.5: 204 has no body (kept), and §15.2 a 1xx is interim;
	 * the bytes a server sends after them anyway are still read, as libhtp does.
	 */
	http_rig_check(st, 3, 1 << 20, "[200 ||]abc{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_rsp_no_status], 1);
	st[1] = http_rig_rsp("HTTP/1.1 100 ok\r\nContent-Length: 3\r\n\r\nxyz");
	http_rig_check(st, 3, 1 << 20, "[200 " FEED_URL "||]xyz{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_rsp_no_status], 1);
	/* a 101 to a request that offered no Upgrade switches nothing */
	st[1] = http_rig_rsp("HTTP/1.1 101 ok\r\nContent-Length: 3\r\n\r\nxyz");
	http_rig_check(st, 3, 1 << 20, "[200 " FEED_URL "||]xyz{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_upgrade], 0);
}

static void
test_chunked_named_among_junk_is_chunked(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED GET_FEED),
		http_rig_rsp(
		        "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n1\r\nA\r\n0\r\n\r\n"
		        "HTTP/1.1 200 OK\r\nTransfer-Encoding: lalala\r\nTransfer-Encoding: x \r\n "
		        "CHUNKED\r\n\r\n1\r\nB\r\n0\r\n\r\n"
		        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n"
		        "1\r\nC\r\n0\r\n\r\n"),
	};

	http_rig_check(st, 2, 1 << 20,
	               "[200 " FEED_URL "||]A{1}[200 " FEED_URL "||]B{1}[200 " FEED_URL "||]C{1}",
	               &c);
}

static void
test_chunked_that_is_not_falls_back_to_close(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: "
		             "5\r\n\r\n<rss></rss>"),
		http_rig_closed(false),
	};

	http_rig_check(st, 3, 1 << 20, "[200 " FEED_URL "||]<rss></rss>{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_fallback], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 0);
}

static void
test_chunk_size_junk_and_blank_lines_are_skipped(void)
{
	static const uint8_t rsp[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                             "\r\n \x0b"
	                             "2x\r\nab\r\n\r\n\t2\x00\r\ncd\r\n2,\r\nef\r\n0\r\n\r\n";
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp_bin(rsp, sizeof(rsp) - 1),
	};

	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]abcdef{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_lenient], 6);
	CU_ASSERT_EQUAL(c.v[CNT_http_chunked_bad], 0);
}

static void
test_bare_cr_and_odd_blank_lines_in_headers(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED GET_FEED GET_FEED),
		/* a bare CR ends a line; CR CR LF after CRLF is a junk line */
		http_rig_rsp("HTTP/1.1 200 ok\rX-A: 1\r\n\r\r\nContent-Length: 1\r\n\r\nA"
		             /* LF CR CR LF and LF SP LF end the header section */
		             "HTTP/1.1 200 ok\r\nContent-Length: 1\n\r\r\nB"
		             "HTTP/1.1 200 ok\r\nContent-Length: 1\n \nC"
		             /* a line of bare CRs before a field line */
		             "HTTP/1.1 200 ok\r\n\r \rContent-Length: 1\r\n\r\nD"),
	};

	http_rig_check(st, 2, 1 << 20,
	               "[200 " FEED_URL "||]A{1}[200 " FEED_URL "||]B{1}[200 " FEED_URL
	               "||]C{1}[200 " FEED_URL "||]D{1}",
	               &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 0);
}

static void
test_malformed_field_lines_are_skipped(void)
{
	static const uint8_t rsp[] = "HTTP/1.1 200 OK\r\n \tX-First: y\r\nL\xc3\xb6"
	                             "chriger: x\r\n: foo\r\n\x7f\r\nqutqz sddfd\r\nContent\x00"
	                             "-Length\x0b"
	                             ": 1\r\n\r\nX";
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp_bin(rsp, sizeof(rsp) - 1),
	};

	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]X{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 0);
	CU_ASSERT(c.v[CNT_http_header_lenient] >= 5);
}

static void
test_folded_framing_fields_are_read(void)
{
	static const uint8_t rsp[] =
	        "HTTP/1.1 200 OK\r\nX-Foo: bar\r\n Transfer-Encoding: chunked\r\n\r\n"
	        "1\r\nA\r\n0\r\n\r\n"
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding\r\n \r\n :\r\n chunked\r\n\r\n"
	        "1\r\nB\r\n0\r\n\r\n"
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding:\n\x00"
	        "chunked\r\n\r\n1\r\nC\r\n0\r\n\r\n";
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED GET_FEED),
		http_rig_rsp_bin(rsp, sizeof(rsp) - 1),
	};

	/* a fold that holds a field, brings a name's colon, or starts with a NUL */
	http_rig_check(st, 2, 1 << 20,
	               "[200 " FEED_URL "||]A{1}[200 " FEED_URL "||]B{1}[200 " FEED_URL "||]C{1}",
	               &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_response], 0);
}

/* <text> compressed by <wbits> codings in turn (15 + 16 gzip, 15 zlib, -15 raw), into <out>. */
static size_t
compress_layers(const char *text, const int *wbits, size_t n, uint8_t *out, size_t cap)
{
	static uint8_t tmp[8192];
	size_t len = strlen(text), i;

	memcpy(tmp, text, len);
	for (i = 0; i < n; i++) {
		len = http_rig_compress(tmp, len, out, cap, wbits[i]);
		memcpy(tmp, out, len);
	}
	return len;
}

static void
test_stacked_content_encodings_are_decoded(void)
{
	static const int gz2[] = { 15 + 16, 15 + 16 };
	static const int dgd[] = { 15, 15 + 16, -15 };
	static uint8_t z[8192], buf[16384];
	struct http_conn *h;
	struct http_zpool *zp;
	struct http_env env;
	struct counters c;
	size_t zn, len = 0, i, k, step;
	char hdr[160];

	zn = compress_layers("first", gz2, 2, z, sizeof(z));
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip,gzip\r\nContent-Length: %zu\r\n\r\n",
	         zn);
	http_rig_put_str(buf, &len, hdr);
	http_rig_put(buf, &len, z, zn);
	zn = compress_layers("second", dgd, 3, z, sizeof(z));
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Encoding: gzip\r\n"
	         "Content-Encoding: deflate\r\nContent-Length: %zu\r\n\r\n",
	         zn);
	http_rig_put_str(buf, &len, hdr);
	http_rig_put(buf, &len, z, zn);
	/* a fourth layer is beyond the limit: the raw bytes are delivered */
	http_rig_put_str(buf, &len,
	                 "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip, gzip, gzip\r\n"
	                 "Content-Length: 3\r\n\r\nraw");
	/* one stream per layer from the pool (the rig's pool has one): fed whole, then byte by byte */
	for (k = 0; k < 2; k++) {
		h = calloc(1, sizeof(*h));
		zp = http_zpool_create(HTTP_MAX_CODINGS);
		CU_ASSERT_FATAL(h != NULL && zp != NULL);
		http_rig_env(&env, &c, zp, 1 << 20);
		http_rig_reset(&http_rig_rec_a);
		http_rig_feed(h, &env, true, (const uint8_t *)(GET_FEED GET_FEED GET_FEED),
		              strlen(GET_FEED) * 3, &http_rig_rec_a);
		step = k == 0 ? len : 1;
		for (i = 0; i < len; i += step) {
			http_rig_feed(h, &env, false, buf + i, step, &http_rig_rec_a);
		}
		CU_ASSERT_STRING_EQUAL(http_rig_rec_a.log,
		                       "[200 " FEED_URL "||]first{1}[200 " FEED_URL
		                       "||]second{1}[200 " FEED_URL "||]raw{1}");
		CU_ASSERT_EQUAL(c.v[CNT_http_ce_layers_limit], 1);
		CU_ASSERT_EQUAL(c.v[CNT_http_gzip_bad], 0);
		CU_ASSERT_EQUAL(c.v[CNT_http_gzip_pool_empty], 0);
		http_conn_release(h);
		CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
		http_zpool_free(zp);
		free(h);
	}
}

static void
test_content_encoding_junk_around_coding(void)
{
	static const int gz[] = { 15 + 16 };
	static const int raw[] = { -15 };
	static uint8_t z[4096], buf[8192];
	struct counters c;
	size_t zn, len = 0;
	char hdr[160];
	struct http_rig_step st[2];

	zn = compress_layers("one", gz, 1, z, sizeof(z));
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding:: x gz%cip\xa0;\r\nContent-Length: "
	         "%zu\r\n\r\n",
	         0, zn);
	http_rig_put(buf, &len, hdr, strlen(hdr) + 1 + strlen(hdr + strlen(hdr) + 1));
	http_rig_put(buf, &len, z, zn);
	zn = compress_layers("two", raw, 1, z, sizeof(z));
	snprintf(hdr, sizeof(hdr),
	         "HTTP/1.1 200 OK\r\nContent-Encoding : x-deflate\r\nContent-Length: %zu\r\n\r\n",
	         zn);
	http_rig_put_str(buf, &len, hdr);
	http_rig_put(buf, &len, z, zn);
	st[0] = http_rig_req(GET_FEED GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]one{1}[200 " FEED_URL "||]two{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_ce_unknown], 1);
}

static void
test_gzip_header_oddities_are_decoded(void)
{
	static const int gz[] = { 15 + 16 };
	static uint8_t z[4096], buf[16384];
	struct counters c;
	size_t zn, len = 0, k;
	char hdr[160];
	struct http_rig_step st[2];

	zn = compress_layers("text", gz, 1, z, sizeof(z));
	for (k = 0; k < 3; k++) {
		snprintf(hdr, sizeof(hdr),
		         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
		         zn + (k == 1 ? 2 : 0) + (k == 2 ? 1 : 0) - (k == 2 ? 8 : 0));
		http_rig_put_str(buf, &len, hdr);
		if (k == 0) {
			/* reserved FLG bits, which zlib refuses */
			z[3] = 0xe0;
			http_rig_put(buf, &len, z, zn);
		} else if (k == 1) {
			/* FHCRC with a wrong header CRC */
			z[3] = 0x02;
			http_rig_put(buf, &len, z, 10);
			http_rig_put(buf, &len, "\0\0", 2);
			http_rig_put(buf, &len, z + 10, zn - 10);
		} else {
			/* a blank line before the member, no trailer */
			z[3] = 0;
			http_rig_put(buf, &len, "\n", 1);
			http_rig_put(buf, &len, z, zn - 8);
		}
	}
	st[0] = http_rig_req(GET_FEED GET_FEED GET_FEED);
	st[1] = http_rig_rsp_bin(buf, len);
	http_rig_check(st, 2, 1 << 20,
	               "[200 " FEED_URL "||]text{1}[200 " FEED_URL "||]text{1}[200 " FEED_URL
	               "||]text{1}",
	               &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gzip_lead_ws], 1);
}

static void
test_body_labelled_deflate_that_is_not_passes_raw(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED),
		http_rig_rsp(
		        "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: 33\r\n\r\n"
		        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR"
		        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n"
		        "\x1f<a>"),
	};

	http_rig_check(st, 2, 1 << 20,
	               "[200 " FEED_URL "||]X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR{1}[200 " FEED_URL
	               "||]\x1f<a>{1}",
	               &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_ce_passthrough], 2);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("http lenient", NULL, NULL);
	CU_add_test(s, "status line versions and case are read",
	            test_status_line_versions_and_case_are_read);
	CU_add_test(s, "malformed status reads as 200", test_malformed_status_reads_as_200);
	CU_add_test(s, "junk lines before status are skipped",
	            test_junk_lines_before_status_are_skipped);
	CU_add_test(s, "response without status line is body until close",
	            test_response_without_status_line_is_body_until_close);
	CU_add_test(s, "body after bodiless response is read",
	            test_body_after_bodiless_response_is_read);
	CU_add_test(s, "chunked named among junk is chunked",
	            test_chunked_named_among_junk_is_chunked);
	CU_add_test(s, "chunked that is not falls back to close",
	            test_chunked_that_is_not_falls_back_to_close);
	CU_add_test(s, "chunk-size junk and blank lines are skipped",
	            test_chunk_size_junk_and_blank_lines_are_skipped);
	CU_add_test(s, "bare CR and odd blank lines in headers",
	            test_bare_cr_and_odd_blank_lines_in_headers);
	CU_add_test(s, "malformed field lines are skipped", test_malformed_field_lines_are_skipped);
	CU_add_test(s, "folded framing fields are read", test_folded_framing_fields_are_read);
	CU_add_test(s, "stacked content-encodings are decoded",
	            test_stacked_content_encodings_are_decoded);
	CU_add_test(s, "content-encoding junk around coding",
	            test_content_encoding_junk_around_coding);
	CU_add_test(s, "gzip header oddities are decoded", test_gzip_header_oddities_are_decoded);
	CU_add_test(s, "body labelled deflate that is not passes raw",
	            test_body_labelled_deflate_that_is_not_passes_raw);
	return guard_run_tests();
}
