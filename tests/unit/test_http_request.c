/*
 * What a response carries of its request: method, host and target in each
 * request-target form (RFC 9112 §3.2), and how a request's framing fields
 * are counted when they conflict.
 */
#include "http/http.h"

#include <CUnit/Basic.h>
#include <string.h>

#include "guard.h"
#include "http_rig.h"

struct seen {
	char method[32], host[600], target[600], url[600];
	int n;
};

static void
put(char *dst, size_t cap, struct span s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.ptr, n);
	dst[n] = '\0';
}

static void
on_response(void *arg, const struct http_msg *m, bool has_body)
{
	struct seen *s = arg;

	(void)has_body;
	put(s->method, sizeof(s->method), m->method);
	put(s->host, sizeof(s->host), m->host);
	put(s->target, sizeof(s->target), m->target);
	put(s->url, sizeof(s->url), m->url);
	s->n++;
}

static bool
ignore_begin(void *arg, const struct http_msg *m)
{
	(void)arg;
	(void)m;
	return true;
}

static void
ignore_data(void *arg, struct span data)
{
	(void)arg;
	(void)data;
}

static void
ignore_end(void *arg, bool complete)
{
	(void)arg;
	(void)complete;
}

/* Feeds request <req> then response <rsp>, byte by byte; what the response saw goes to <s>. */
static void
exchange_with(const char *req, const char *rsp, struct seen *s, struct counters *c)
{
	static struct http_conn h;
	struct http_env env = { .c = c,
		                .max_body = 1 << 20,
		                .response = on_response,
		                .body_begin = ignore_begin,
		                .body_data = ignore_data,
		                .body_end = ignore_end };
	size_t i;

	memset(&h, 0, sizeof(h));
	memset(s, 0, sizeof(*s));
	memset(c, 0, sizeof(*c));
	for (i = 0; req[i] != '\0'; i++) {
		uint8_t *p = guard_dup(req + i, 1);

		http_conn_data(&h, &env, true, (struct span){ p, 1 }, s);
		guard_free(p);
	}
	for (i = 0; rsp[i] != '\0'; i++) {
		uint8_t *p = guard_dup(rsp + i, 1);

		http_conn_data(&h, &env, false, (struct span){ p, 1 }, s);
		guard_free(p);
	}
	http_conn_release(&h);
}

/* The same with a 204 response. */
static void
exchange(const char *req, struct seen *s, struct counters *c)
{
	exchange_with(req, "HTTP/1.1 204 No Content\r\n\r\n", s, c);
}

static void
test_origin_form_gives_host_and_target(void)
{
	struct seen s;
	struct counters c;

	exchange("GET /news/rss.xml?lang=en HTTP/1.1\r\nHost: feeds.example:8080\r\n\r\n", &s, &c);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_STRING_EQUAL(s.method, "GET");
	CU_ASSERT_STRING_EQUAL(s.host, "feeds.example:8080");
	CU_ASSERT_STRING_EQUAL(s.target, "/news/rss.xml?lang=en");
	CU_ASSERT_STRING_EQUAL(s.url, "http://feeds.example:8080/news/rss.xml?lang=en");
}

static void
test_absolute_form_host_is_its_authority(void)
{
	struct seen s;
	struct counters c;

	/* RFC 9112 §3.2.2: the target's authority, not Host, names the origin */
	exchange("GET http://user@feeds.example/a.xml HTTP/1.1\r\nHost: other.example\r\n\r\n", &s,
	         &c);
	CU_ASSERT_STRING_EQUAL(s.host, "feeds.example");
	CU_ASSERT_STRING_EQUAL(s.target, "http://user@feeds.example/a.xml");
	CU_ASSERT_STRING_EQUAL(s.url, "http://user@feeds.example/a.xml");
	exchange("GET https://feeds.example HTTP/1.1\r\n\r\n", &s, &c);
	CU_ASSERT_STRING_EQUAL(s.host, "feeds.example");
}

static void
test_request_without_host_keeps_target_no_url(void)
{
	struct seen s;
	struct counters c;

	exchange("POST /submit HTTP/1.0\r\nContent-Length: 2\r\n\r\nok", &s, &c);
	CU_ASSERT_STRING_EQUAL(s.method, "POST");
	CU_ASSERT_STRING_EQUAL(s.host, "");
	CU_ASSERT_STRING_EQUAL(s.target, "/submit");
	CU_ASSERT_STRING_EQUAL(s.url, "");
}

static void
test_connect_opens_a_tunnel_unreported(void)
{
	struct seen s;
	struct counters c;

	/* a 204 to CONNECT is a final 2xx: the tunnel starts and nothing is reported */
	exchange("CONNECT feeds.example:443 HTTP/1.1\r\nHost: feeds.example:443\r\n\r\n", &s, &c);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_EQUAL(c.v[CNT_http_connect_tunnel], 1);
}

static void
test_plain_http_inside_a_tunnel_is_read(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req("CONNECT feeds.example:80 HTTP/1.1\r\nHost: feeds.example:80\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 Connection established\r\n\r\n"),
		http_rig_req("GET /rss HTTP/1.1\r\nHost: feeds.example\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	};

	/* suricata-verify http-connect-simple: the tunnel starts a new HTTP conversation */
	http_rig_check(st, 4, 1 << 20, "[200 http://feeds.example/rss||]ok{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_connect_tunnel], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 2);
}

static void
test_tls_inside_a_tunnel_is_left_unread(void)
{
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5 };
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(
		        "CONNECT feeds.example:443 HTTP/1.1\r\nHost: feeds.example:443\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 Connection established\r\n\r\n"),
		{ true, false, hello, sizeof(hello) },
		http_rig_rsp_bin(hello, sizeof(hello)),
	};

	http_rig_check(st, 4, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_tunnel_opaque], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_request] + c.v[CNT_http_bad_response], 0);
	CU_ASSERT_EQUAL(c.v[CNT_http_rsp_no_status], 0);
}

static void
test_connect_with_a_path_is_origin_form(void)
{
	struct seen s;
	struct counters c;

	/* not an authority: Host names the server, as for any origin-form target */
	exchange_with("CONNECT / HTTP/1.1\r\nHost: www.example\r\n\r\n",
	              "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", &s, &c);
	CU_ASSERT_STRING_EQUAL(s.method, "CONNECT");
	CU_ASSERT_STRING_EQUAL(s.host, "www.example");
	CU_ASSERT_STRING_EQUAL(s.target, "/");
}

static void
test_unknown_method_is_kept_as_sent(void)
{
	struct seen s;
	struct counters c;

	exchange("PROPFIND /dav/ HTTP/1.1\r\nHost: h\r\n\r\n", &s, &c);
	CU_ASSERT_STRING_EQUAL(s.method, "PROPFIND");
	exchange("get /x HTTP/1.1\r\nHost: h\r\n\r\n", &s, &c);
	CU_ASSERT_STRING_EQUAL(s.method, "get");
}

static void
test_request_line_read_leniently(void)
{
	struct seen s;
	struct counters c;

	exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &s, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_reqline_lenient], 0);
	/* a cut version, as zeek's methods.pcap sends it */
	exchange("DELETE / HTTP/1.\r\nHost: h\r\n\r\n", &s, &c);
	CU_ASSERT_STRING_EQUAL(s.method, "DELETE");
	CU_ASSERT_STRING_EQUAL(s.target, "/");
	CU_ASSERT_EQUAL(c.v[CNT_http_reqline_lenient], 1);
	/* one token after the method, and it is a version: no target */
	exchange("OPTIONS HTTP/1.1\r\nHost: h\r\n\r\n", &s, &c);
	CU_ASSERT_STRING_EQUAL(s.method, "OPTIONS");
	CU_ASSERT_STRING_EQUAL(s.target, "");
	CU_ASSERT_STRING_EQUAL(s.host, "h");
	/* runs of whitespace and a bare LF */
	exchange("GET \t /a  HTTP/1.0 \nHost: h\n\n", &s, &c);
	CU_ASSERT_STRING_EQUAL(s.target, "/a");
	CU_ASSERT_EQUAL(c.v[CNT_http_reqline_lenient], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_request], 0);
}

static void
test_request_line_that_is_no_http_is_dropped(void)
{
	struct seen s;
	struct counters c;

	exchange("GET / FOO/1.1\r\nHost: h\r\n\r\n", &s, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_request], 1);
	CU_ASSERT_STRING_EQUAL(s.method, "");
	/* HTTP/0.9: no version, no header fields to frame */
	exchange("GET /\r\n", &s, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_request], 1);
	exchange("GET / HTTP/1.1x\rHost: h\r\n\r\n", &s, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_bad_request], 1);
}

static void
test_unpaired_response_has_no_request_fields(void)
{
	struct seen s;
	struct counters c;

	exchange("", &s, &c);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_STRING_EQUAL(s.method, "");
	CU_ASSERT_STRING_EQUAL(s.host, "");
	CU_ASSERT_STRING_EQUAL(s.target, "");
	CU_ASSERT_EQUAL(c.v[CNT_http_unpaired], 1);
}

static void
test_te_and_cl_in_a_request_is_counted(void)
{
	struct seen s;
	struct counters c;

	/* RFC 9112 §6.3 item 3: chunked wins; the 2 body bytes are not a request */
	exchange("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 30\r\nTransfer-Encoding: "
	         "chunked\r\n\r\n0\r\n\r\n",
	         &s, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_te_cl_conflict], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_requests], 1);
	CU_ASSERT_STRING_EQUAL(s.target, "/a");
	exchange("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &s, &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_te_cl_conflict], 0);
}

static void
test_te_and_cl_in_a_response_is_counted(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: "
		             "99\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
	};

	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]abc{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_te_cl_conflict], 1);
}

static void
test_interim_responses_do_not_consume_the_request(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n"),
		/* RFC 9110 §15.2: any number of 1xx precede the final response */
		http_rig_rsp("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
		             "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
		             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
		             "HTTP/1.1 103 Early Hints\r\n\r\n"
		             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB"),
	};

	http_rig_check(st, 2, 1 << 20, "[200 " FEED_URL "||]A{1}[200 http://b/2||]B{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_responses], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_unpaired], 0);
}

static void
test_gap_inside_a_body_is_stepped_over(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED GET_FEED),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
		http_rig_gap(false, 4),
		http_rig_rsp("hij"
		             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nklm"),
		http_rig_gap(false, 3),
		http_rig_rsp(
		        "\r\n2\r\nqr\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	};

	/* each gapped body ends incomplete at its hole; the responses after it are read */
	http_rig_check(st, 6, 1 << 20,
	               "[200 " FEED_URL "||]abc{0}[200 " FEED_URL "||]klm{0}[200 " FEED_URL
	               "||]ok{1}",
	               &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gap_recovered], 2);
	CU_ASSERT_EQUAL(c.v[CNT_http_gap], 0);
}

static void
test_gap_past_a_body_finds_the_next_status_line(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"),
		/* the hole runs past the body (suricata-verify http-gap-whole-body) */
		http_rig_gap(false, 5),
		http_rig_rsp(
		        "\nxx HTTP/1.1 junk\r\nhTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	};

	/* the next status line at a line start answers the next request */
	http_rig_check(st, 4, 1 << 20, "[200 " FEED_URL "||]ab{0}[200 http://b/2||]ok{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gap_recovered], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_gap], 0);
}

static void
test_gap_with_no_status_line_after_bypasses(void)
{
	static uint8_t junk[20000];
	struct counters c;
	struct http_rig_step st[4];

	memset(junk, 'j', sizeof(junk));
	st[0] = http_rig_req(GET_FEED GET_FEED);
	st[1] = http_rig_rsp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n");
	/* a hole in a chunk-size line, then no status line within a header block's size */
	st[2] = http_rig_gap(false, 3);
	st[3] = http_rig_rsp_bin(junk, sizeof(junk));
	http_rig_check(st, 4, 1 << 20, "[200 " FEED_URL "||]ab{0}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gap_recovered], 1);
	CU_ASSERT_EQUAL(c.v[CNT_http_gap], 1);
}

static void
test_gap_before_a_response_bypasses(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED GET_FEED),
		/* a whole response may be gone: the next one cannot be paired safely */
		http_rig_gap(false, 40),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	};

	http_rig_check(st, 3, 1 << 20, "", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gap], 1);
}

static void
test_gap_in_requests_keeps_reading_responses(void)
{
	struct counters c;
	struct http_rig_step st[] = {
		http_rig_req(GET_FEED "GET /x"),
		http_rig_gap(true, 5),
		http_rig_req("HTTP/1.1\r\n\r\n"),
		http_rig_rsp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
		             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB"),
	};

	/* the first request was read; the one cut by the hole is lost, its response unpaired */
	http_rig_check(st, 4, 1 << 20, "[200 " FEED_URL "||]A{1}[200 ||]B{1}", &c);
	CU_ASSERT_EQUAL(c.v[CNT_http_gap], 1);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("http_request", NULL, NULL);
	CU_add_test(s, "origin-form gives host and target", test_origin_form_gives_host_and_target);
	CU_add_test(s, "absolute-form host is its authority",
	            test_absolute_form_host_is_its_authority);
	CU_add_test(s, "request without Host keeps target, no URL",
	            test_request_without_host_keeps_target_no_url);
	CU_add_test(s, "CONNECT opens a tunnel", test_connect_opens_a_tunnel_unreported);
	CU_add_test(s, "plain HTTP inside a tunnel is read",
	            test_plain_http_inside_a_tunnel_is_read);
	CU_add_test(s, "TLS inside a tunnel is left unread",
	            test_tls_inside_a_tunnel_is_left_unread);
	CU_add_test(s, "CONNECT with a path is origin-form",
	            test_connect_with_a_path_is_origin_form);
	CU_add_test(s, "unknown method is kept as sent", test_unknown_method_is_kept_as_sent);
	CU_add_test(s, "request line read leniently", test_request_line_read_leniently);
	CU_add_test(s, "request line that is no HTTP is dropped",
	            test_request_line_that_is_no_http_is_dropped);
	CU_add_test(s, "unpaired response has no request fields",
	            test_unpaired_response_has_no_request_fields);
	CU_add_test(s, "TE and CL in a request is counted", test_te_and_cl_in_a_request_is_counted);
	CU_add_test(s, "interim responses do not consume the request",
	            test_interim_responses_do_not_consume_the_request);
	CU_add_test(s, "gap inside a body is stepped over", test_gap_inside_a_body_is_stepped_over);
	CU_add_test(s, "gap past a body finds the next status line",
	            test_gap_past_a_body_finds_the_next_status_line);
	CU_add_test(s, "gap with no status line after bypasses",
	            test_gap_with_no_status_line_after_bypasses);
	CU_add_test(s, "gap before a response bypasses", test_gap_before_a_response_bypasses);
	CU_add_test(s, "gap in requests keeps reading responses",
	            test_gap_in_requests_keeps_reading_responses);
	CU_add_test(s, "TE and CL in a response is counted",
	            test_te_and_cl_in_a_response_is_counted);
	return guard_run_tests();
}
