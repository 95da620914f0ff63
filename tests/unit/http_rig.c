#include "http_rig.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "guard.h"
#include "http/http_priv.h"

static void
http_rig_put_log(struct http_rig_rec *r, const void *p, size_t n)
{
	if (n == 0) {
		return;
	}
	if (r->len + n >= HTTP_RIG_LOG_CAP) {
		n = HTTP_RIG_LOG_CAP - 1 - r->len;
	}
	memcpy(r->log + r->len, p, n);
	r->len += n;
	r->log[r->len] = 0;
}

static void
http_rig_put_str_log(struct http_rig_rec *r, const char *s)
{
	http_rig_put_log(r, s, strlen(s));
}

static bool
on_begin(void *arg, const struct http_msg *m)
{
	struct http_rig_rec *r = arg;
	char num[16];

	if (r->open) {
		http_rig_put_str_log(r, "<NESTED>");
	}
	r->open = true;
	snprintf(num, sizeof(num), "[%d ", m->status);
	http_rig_put_str_log(r, num);
	http_rig_put_log(r, m->url.ptr, m->url.len);
	http_rig_put_str_log(r, "|");
	http_rig_put_log(r, m->content_type.ptr, m->content_type.len);
	http_rig_put_str_log(r, "|");
	http_rig_put_log(r, m->charset.ptr, m->charset.len);
	http_rig_put_str_log(r, "]");
	/* the rig's consumer declines images: their bodies are only framed */
	return !(m->content_type.len >= 6 && memcmp(m->content_type.ptr, "image/", 6) == 0);
}

static void
on_data(void *arg, struct span data)
{
	struct http_rig_rec *r = arg;

	if (!r->open || data.len == 0) {
		http_rig_put_str_log(r, "<STRAY>");
	}
	http_rig_put_log(r, data.ptr, data.len);
}

static void
on_end(void *arg, bool complete)
{
	struct http_rig_rec *r = arg;

	if (!r->open) {
		http_rig_put_str_log(r, "<STRAY-END>");
	}
	r->open = false;
	http_rig_put_str_log(r, complete ? "{1}" : "{0}");
}

void
http_rig_feed(struct http_conn *h, const struct http_env *env, bool from_client, const uint8_t *p,
              size_t n, struct http_rig_rec *r)
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

void
http_rig_reset(struct http_rig_rec *r)
{
	r->len = 0;
	r->log[0] = 0;
	r->open = false;
}

/* Zeroes <c> and sets up <env> to log through the rec callbacks. */
void
http_rig_env(struct http_env *env, struct counters *c, struct http_zpool *zp, uint64_t max_body)
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

size_t http_rig_br_memcap = 8u << 20;
uint32_t http_rig_max_ratio;
uint32_t http_rig_max_header;

/*
 * mode 0: whole steps; 1: each step split at <at>; 2: 1-byte pieces. One
 * inflate stream serves the run: a body that kept it would starve the next.
 * Every brotli decoder must be given back by the end.
 */
void
http_rig_run_once(const struct http_rig_step *st, size_t n, uint64_t max_body, int mode, size_t at,
                  struct http_rig_rec *r, struct counters *c)
{
	struct http_conn *h = calloc(1, sizeof(*h));
	struct http_zpool *zp = http_zpool_create(1);
	struct http_brpool *bp = http_brpool_create(http_rig_br_memcap);
	struct http_env env;
	size_t i, j, k;

	CU_ASSERT_FATAL(h != NULL && zp != NULL && bp != NULL);
	http_rig_env(&env, c, zp, max_body);
	env.brpool = bp;
	env.max_ratio = http_rig_max_ratio;
	env.max_header = http_rig_max_header;
	http_rig_reset(r);
	for (i = 0; i < n; i++) {
		if (st[i].close) {
			http_conn_close(h, &env, st[i].from_client, r);
			continue;
		}
		if (st[i].data == NULL) {
			http_conn_gap(h, &env, st[i].from_client, st[i].len, r);
			continue;
		}
		if (mode == 0) {
			http_rig_feed(h, &env, st[i].from_client, st[i].data, st[i].len, r);
		} else if (mode == 1) {
			k = at < st[i].len ? at : st[i].len;
			http_rig_feed(h, &env, st[i].from_client, st[i].data, k, r);
			http_rig_feed(h, &env, st[i].from_client, st[i].data + k, st[i].len - k, r);
		} else {
			for (j = 0; j < st[i].len; j++) {
				http_rig_feed(h, &env, st[i].from_client, st[i].data + j, 1, r);
			}
		}
	}
	http_conn_release(h);
	CU_ASSERT_EQUAL(http_zpool_used(zp), 0);
	CU_ASSERT_EQUAL(c->v[CNT_http_gzip_pool_empty], 0);
	http_zpool_free(zp);
	CU_ASSERT_EQUAL(http_brpool_used(bp), 0);
	http_brpool_free(bp);
	free(h);
}

struct http_rig_rec http_rig_rec_a, http_rig_rec_b;

/* Runs <st> every way; checks the log against <want> (NULL: don't) and returns the counters. */
void
http_rig_check(const struct http_rig_step *st, size_t n, uint64_t max_body, const char *want,
               struct counters *c)
{
	struct counters c2;
	size_t i, at, maxlen = 0;

	http_rig_run_once(st, n, max_body, 0, 0, &http_rig_rec_a, c);
	if (want != NULL) {
		CU_ASSERT_STRING_EQUAL(http_rig_rec_a.log, want);
		if (strcmp(http_rig_rec_a.log, want) != 0) {
			fprintf(stderr, "\n got: %s\nwant: %s\n", http_rig_rec_a.log, want);
		}
	}
	for (i = 0; i < n; i++) {
		if (st[i].len > maxlen) {
			maxlen = st[i].len;
		}
	}
	for (at = 1; at < maxlen; at += (at < 256 || maxlen < 4096) ? 1 : 97) {
		http_rig_run_once(st, n, max_body, 1, at, &http_rig_rec_b, &c2);
		CU_ASSERT_EQUAL(http_rig_rec_b.len, http_rig_rec_a.len);
		CU_ASSERT(memcmp(http_rig_rec_b.log, http_rig_rec_a.log, http_rig_rec_a.len) == 0);
		CU_ASSERT(memcmp(&c2, c, sizeof(c2)) == 0);
		if (http_rig_rec_b.len != http_rig_rec_a.len ||
		    memcmp(http_rig_rec_b.log, http_rig_rec_a.log, http_rig_rec_a.len) != 0) {
			fprintf(stderr, "\nsplit at %zu: %s\n", at, http_rig_rec_b.log);
			break;
		}
	}
	http_rig_run_once(st, n, max_body, 2, 0, &http_rig_rec_b, &c2);
	CU_ASSERT_EQUAL(http_rig_rec_b.len, http_rig_rec_a.len);
	CU_ASSERT(memcmp(http_rig_rec_b.log, http_rig_rec_a.log, http_rig_rec_a.len) == 0);
	CU_ASSERT(memcmp(&c2, c, sizeof(c2)) == 0);
}

struct http_rig_step
http_rig_req(const char *s)
{
	struct http_rig_step st = { true, false, (const uint8_t *)s, strlen(s) };
	return st;
}

struct http_rig_step
http_rig_rsp(const char *s)
{
	struct http_rig_step st = { false, false, (const uint8_t *)s, strlen(s) };
	return st;
}

struct http_rig_step
http_rig_rsp_bin(const uint8_t *p, size_t n)
{
	struct http_rig_step st = { false, false, p, n };
	return st;
}

struct http_rig_step
http_rig_closed(bool from_client)
{
	struct http_rig_step st = { from_client, true, NULL, 0 };
	return st;
}

struct http_rig_step
http_rig_gap(bool from_client, size_t len)
{
	struct http_rig_step st = { from_client, false, NULL, len };
	return st;
}

/* <wbits>: 15 + 16 gzip, 15 zlib, -15 raw deflate */
size_t
http_rig_compress(const void *in, size_t n, uint8_t *out, size_t cap, int wbits)
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
void
http_rig_put(uint8_t *buf, size_t *len, const void *p, size_t n)
{
	memcpy(buf + *len, p, n);
	*len += n;
}

void
http_rig_put_str(uint8_t *buf, size_t *len, const char *s)
{
	http_rig_put(buf, len, s, strlen(s));
}

/* <body> as chunks of <size> bytes, with an extension on each and a trailer field. */
void
http_rig_put_chunked(uint8_t *buf, size_t *len, const uint8_t *body, size_t n, size_t size)
{
	char line[64];
	size_t i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < size ? n - i : size;
		snprintf(line, sizeof(line), "%zX ; name=\"v;1\"\r\n", k);
		http_rig_put_str(buf, len, line);
		http_rig_put(buf, len, body + i, k);
		http_rig_put_str(buf, len, "\r\n");
	}
	http_rig_put_str(buf, len, "0;last\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n");
}

const char http_rig_feed_text[] = "<rss><channel><title>news</title><item>Lavrov said</item>"
                                  "</channel></rss>";
