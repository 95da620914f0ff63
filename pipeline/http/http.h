/*
 * Incremental HTTP/1.1 parser for one TCP connection, both directions.
 * Requests (client -> server) are parsed for method, Host and target and
 * queued (bounded, for pipelining) so that each response is paired with its
 * request and the feed URL ("http://" Host target) is known. Responses
 * (server -> client) are parsed for status, Content-Length,
 * Transfer-Encoding: chunked, Content-Encoding: gzip / deflate / x-gzip / br (up
 * to HTTP_MAX_CODINGS stacked) and Content-Type; their body is de-chunked and
 * decoded (streaming zlib, brotli) and handed to the callbacks in struct http_env as
 * it arrives. Framing that RFC 9112 calls invalid is read the way browsers
 * and libhtp read it (HTTP Evader's tricks), each such reading counted, so a
 * server cannot show its client a body the monitor does not see. Headers are
 * consumed byte by byte into small fixed fields: nothing is buffered whole.
 * The state is in http-t.h. Inflating borrows a z_stream from a bounded
 * per-worker pool (struct http_zpool), so the data path never allocates.
 */
#ifndef FW_HTTP_H
#define FW_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/span.h"
#include "http/http-t.h"

/* What the consumer learns when a response body starts. */
struct http_msg {
	int status;      /* e.g. 200 */
	struct span url; /* "http://host/target" of the paired request; len 0 if unpaired */
	/*
	 * The paired request as sent (len 0 if unpaired; host also without
	 * Host or authority): its method, its host (the Host field, or the
	 * authority of an absolute-form or CONNECT target, RFC 9112 §3.2.2)
	 * and its request-target. Like url, truncated when the flow's URL
	 * pool is short.
	 */
	struct span method;
	struct span host;
	struct span target;
	struct span content_type; /* media type and parameters as sent; len 0 if absent */
	struct span charset;      /* charset parameter of Content-Type; len 0 if absent */
};

struct http_zpool;
struct http_brpool;

/* Callbacks and limits; one per worker. Spans are valid during the call only. */
struct http_env {
	struct counters *c;
	uint64_t max_body; /* decoded bytes per response; the rest is cut (http_body_limit) */
	/*
	 * Bytes of one header block (start line included) or trailer section;
	 * beyond, the direction is given up (http_header_limit). 0: 16 KiB.
	 */
	uint32_t max_header;
	/*
	 * Inflate streams for gzip/deflate bodies, from http_zpool_create().
	 * A compressed body that finds it empty (or NULL) gets body_begin and
	 * at once body_end(complete=false), nothing in between (counted as
	 * http_gzip_pool_empty); its framing is still followed.
	 */
	struct http_zpool *zpool;
	/*
	 * Memory for brotli decoders, from http_brpool_create() (NULL: br
	 * bodies are not decoded, counted as http_br_memcap).
	 */
	struct http_brpool *brpool;
	/*
	 * Decompression bomb guard: once a compressed body has decoded more
	 * than HTTP_RATIO_FLOOR bytes, decoding stops (counted as
	 * http_decomp_ratio, the body ends incomplete) when it has produced
	 * more than max_ratio times the bytes it was sent. 0: no ratio limit
	 * (max_body still applies).
	 */
	uint32_t max_ratio;
	/*
	 * Optional: every final response, once its headers are read, before
	 * body_begin; <has_body> as RFC 9112 §6.3 decides (not for HEAD, 204,
	 * 304, or a length of 0).
	 */
	void (*response)(void *arg, const struct http_msg *m, bool has_body);
	/*
	 * Called for a final response that has a body (Content-Length > 0,
	 * chunked, or until close), not for 1xx/204/304/HEAD responses. A
	 * coding other than gzip/x-gzip/deflate/x-deflate/br/identity is not
	 * decoded (counted): body_data then carries the bytes as sent. Bytes a
	 * server sends where no response belongs (no status line, or after a
	 * bodiless response) are a response of status 200 read until close.
	 * Returns whether the consumer wants the body: if not, it is only
	 * framed (never decoded), body_data is not called, and body_end comes
	 * when it ends. Then body_data any number of times, then body_end
	 * exactly once.
	 */
	bool (*body_begin)(void *arg, const struct http_msg *m);
	void (*body_data)(void *arg, struct span data); /* decoded body bytes */
	void (*body_end)(void *arg, bool complete);     /* complete: framing said it ended */
};

/*
 * Feed <data>, the next in-order bytes of one direction (<from_client> says
 * which), to connection <h>. Calls env's callbacks with <arg> as responses
 * are parsed. A connection that turns out not to be HTTP, or breaks a limit,
 * goes to bypass (counted) and ignores further bytes. Any thread; the
 * connection is owned by one worker.
 */
void http_conn_data(struct http_conn *h, const struct http_env *env, bool from_client,
                    struct span data, void *arg);

/*
 * The direction <from_client> closed. A response body delimited by the
 * connection's close ends here (body_end complete); one cut short ends with
 * body_end(complete=false).
 */
void http_conn_close(struct http_conn *h, const struct http_env *env, bool from_client, void *arg);

/*
 * <len> bytes of direction <from_client> were lost (a TCP hole skipped).
 * Inside a body whose end the framing knows (within Content-Length or the
 * current chunk, or a body read until close), the framing carries on past
 * the hole: the body ends incomplete at once (its later bytes are framed,
 * not delivered) and the messages after it are read (http_gap_recovered).
 * A hole in the client's direction anywhere else ends reading requests (the
 * responses are still read, unpaired); in the server's direction anywhere
 * else the framing is lost and the connection goes to bypass (http_gap).
 */
void http_conn_gap(struct http_conn *h, const struct http_env *env, bool from_client, uint64_t len,
                   void *arg);

/*
 * Free what <h> holds without calling any callback: an inflate stream goes
 * back to its pool. Leaves it zeroed.
 */
void http_conn_release(struct http_conn *h);

/*
 * A pool of <n_streams> inflate streams for one worker (struct
 * http_env.zpool). Each holds a z_stream and a fixed arena (about 48 KiB)
 * that zlib's allocations for windowBits 15 are served from. A connection
 * holds one from the start of a gzip/deflate response body until the
 * compressed stream or the body ends, the connection goes to bypass, or
 * http_conn_release(); a body with stacked codings holds one per coding (up
 * to HTTP_MAX_CODINGS; a layer that finds the pool empty passes its bytes
 * undecoded, counted as http_gzip_pool_empty). Size it for the compressed bodies one worker has in
 * flight at once; the memory (n_streams * ~48 KiB) comes from
 * mem_data_zalloc(). n_streams may be 0 (every compressed body is then
 * skipped). NULL on allocation failure. Control plane.
 */
struct http_zpool *http_zpool_create(uint32_t n_streams);

/*
 * Free <zp>. Every connection that used it must have been released (or have
 * ended its bodies) first: a stream still held is a BUG_ON. Accepts NULL.
 * Control plane.
 */
void http_zpool_free(struct http_zpool *zp);

/* Streams of <zp> held by connections now; 0 for NULL. The worker's thread. */
uint32_t http_zpool_used(const struct http_zpool *zp);

/*
 * A budget of <memcap> bytes (allocated at once from mem_data_zalloc(),
 * at least 64 KiB unless 0) for one worker's brotli decoders (struct
 * http_env.brpool). A br body takes a decoder when its compressed stream
 * starts and gives it back when the stream or the body ends; a decoder whose
 * window or tables do not fit in what is left stops (http_br_memcap). A
 * typical feed (window 4 MiB at most, often far less) takes its window plus
 * about 100 KiB. memcap 0: every br body is refused. NULL on allocation
 * failure. Control plane.
 */
struct http_brpool *http_brpool_create(size_t memcap);

/* Free <bp>; every decoder must have been given back (a BUG_ON). Accepts NULL. */
void http_brpool_free(struct http_brpool *bp);

/* Arena bytes held by decoders now; 0 for NULL. The worker's thread. */
size_t http_brpool_used(const struct http_brpool *bp);

#endif
