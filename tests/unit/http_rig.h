/*
 * Test rig shared by the HTTP stage's suites.
 *
 * Every conversation is fed whole, split in two at every byte position of
 * every step (long steps: at a sample of positions), and in 1-byte pieces,
 * each piece in its own guard_dup() buffer. The callbacks write a log
 * ("[status url|content-type|charset]" + body bytes + "{complete}") that must
 * be identical, with identical counters, for every split. The consumer
 * declines bodies whose Content-Type is an image/ type.
 */
#ifndef FW_TEST_HTTP_RIG_H
#define FW_TEST_HTTP_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "http/http.h"

#define HTTP_RIG_LOG_CAP (1u << 18)

struct http_rig_step {
	bool from_client;
	bool close;          /* close this direction instead of sending data */
	const uint8_t *data; /* NULL (and not close): <len> bytes were lost */
	size_t len;
};

struct http_rig_rec {
	char log[HTTP_RIG_LOG_CAP];
	size_t len;
	bool open;
};

#define GET_FEED "GET /feed.xml HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
#define FEED_URL "http://example.com/feed.xml"

/* Brotli budget (default 8 MiB) and http_env.max_ratio (default 0) of the runs. */
extern size_t http_rig_br_memcap;
extern uint32_t http_rig_max_ratio;
extern uint32_t http_rig_max_header; /* http_env.max_header (default 0: 16 KiB) */

/* The logs of the last check: whole-conversation run and the split that differed. */
extern struct http_rig_rec http_rig_rec_a, http_rig_rec_b;

/* A small RSS document the tests serve. */
extern const char http_rig_feed_text[];

/* Feeds <p>, <n> bytes, of one direction to <h> in its own guard_dup() buffer, logging to <r>. */
void http_rig_feed(struct http_conn *h, const struct http_env *env, bool from_client,
                   const uint8_t *p, size_t n, struct http_rig_rec *r);

/* Empties the log <r>. */
void http_rig_reset(struct http_rig_rec *r);

/* Zeroes <c> and sets up <env> to log through the rig's callbacks, with pool <zp>. */
void http_rig_env(struct http_env *env, struct counters *c, struct http_zpool *zp,
                  uint64_t max_body);

/*
 * One run of the conversation <st>: mode 0 whole steps, 1 each step split at
 * <at>, 2 one-byte pieces. The log goes to <r>, the counters to <c>.
 */
void http_rig_run_once(const struct http_rig_step *st, size_t n, uint64_t max_body, int mode,
                       size_t at, struct http_rig_rec *r, struct counters *c);

/* Runs <st> every way; checks the log against <want> (NULL: don't) and returns the counters. */
void http_rig_check(const struct http_rig_step *st, size_t n, uint64_t max_body, const char *want,
                    struct counters *c);

/* Steps: a request, a response (text or bytes), a direction closing. */
struct http_rig_step http_rig_req(const char *s);
struct http_rig_step http_rig_rsp(const char *s);
struct http_rig_step http_rig_rsp_bin(const uint8_t *p, size_t n);
struct http_rig_step http_rig_closed(bool from_client);
struct http_rig_step http_rig_gap(bool from_client, size_t len);

/* <in> compressed into <out>; <wbits>: 15 + 16 gzip, 15 zlib, -15 raw deflate. Returns the length. */
size_t http_rig_compress(const void *in, size_t n, uint8_t *out, size_t cap, int wbits);

/* Appends bytes, a string, or <body> as chunks of <size> (with extensions and a trailer). */
void http_rig_put(uint8_t *buf, size_t *len, const void *p, size_t n);
void http_rig_put_str(uint8_t *buf, size_t *len, const char *s);
void http_rig_put_chunked(uint8_t *buf, size_t *len, const uint8_t *body, size_t n, size_t size);

#endif
