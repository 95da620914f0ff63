/*
 * Shared between http.c (start lines, header fields, pairing) and
 * http_body.c (message body framing and decoding). Private to http/.
 */
#ifndef FW_HTTP_PRIV_H
#define FW_HTTP_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/counters.h"
#include "core/span.h"
#include "http/http.h"

#define HTTP_MAX_HEADER    16384 /* http_env.max_header when 0 */
#define HTTP_MAX_CHUNK_EXT 4096  /* bytes of a chunk-size line after the size */
#define HTTP_ZSLOT_ARENA   49152 /* zlib's inflate state and a 32 KiB window, with room to spare */

/* Parser states of one direction (struct http_dir.state). Zero is "start". */
enum http_state {
	HS_START = 0, /* before a start line; empty lines are skipped */
	HS_METHOD,    /* request line */
	HS_TARGET,
	HS_REQ_VERSION,
	HS_RSP_VERSION, /* status line */
	HS_STATUS,
	HS_REASON,
	HS_HDR_LINE, /* first byte of a field line or of the empty line */
	HS_HDR_NAME,
	HS_HDR_VALUE,
	HS_HDR_END_LF, /* CR of the empty line seen */
	HS_RSP_PROBE, /* first bytes of a response: a status line, a junk line or a body without one */
	HS_LINE_CR,       /* a CR ended a line: CRLF, or a bare CR taken as a line end */
	HS_HDR_NAME_WS,   /* whitespace between a field name and its colon */
	HS_HDR_SKIP,      /* a malformed field line, skipped to its end */
	HS_HDR_FOLD,      /* whitespace at the start of a continuation line (obs-fold) */
	HS_HDR_FOLD_NAME, /* a continuation line that may hold a framing field of its own */
	HS_RSP_RESYNC,  /* after a hole past a body: skipping to the next "HTTP/" at a line start */
	HS_BODY_LENGTH, /* body framing, in http_body.c */
	HS_BODY_CLOSE,
	HS_CHUNK_SIZE,
	HS_CHUNK_EXT,
	HS_CHUNK_DATA,
	HS_CHUNK_DATA_CR,
	HS_CHUNK_DATA_LF,
	HS_TRAILER_LINE,
	HS_TRAILER_SKIP,
	HS_TRAILER_END_LF,
	HS_DEAD, /* direction closed or no longer HTTP: bytes are ignored */
};

/* struct http_dir.flags bit of http_body.c (http.c and http_field.c use bits 0-11): a chunk-size was read */
#define HF_CHUNK_SEEN 0x8000

/* struct http_dir.flags */
#define HF_OPEN        0x0001 /* a field line ended; it is finished when the next line starts */
#define HF_HAS_CL      0x0002
#define HF_CL_BAD      0x0004
#define HF_HAS_TE      0x0008
#define HF_TE_CHUNKED  0x0010 /* a Transfer-Encoding field named chunked */
#define HF_TOKEN_RESET 0x0020 /* a comma ended the kept token; the next one replaces it */
#define HF_LF_ONLY     0x0040 /* the last line ended with a bare LF */
#define HF_JUNK        0x0080 /* a junk line came before this status line */
#define HF_STATUS_BAD  0x0100 /* the status code is not 3 digits */
#define HF_NAME_OPEN   0x0200 /* a line held a field name and no colon: a fold may bring it */
#define HF_RL_CR       0x0400 /* the request line's CR was read */
#define HF_RL_ODD      0x0800 /* the request line was read leniently */
#define HF_BOL         0x1000 /* HS_RSP_RESYNC: the next byte starts a line */

#define HTTP_MAX_VERSION 16 /* bytes of a request line's version token */

/* struct http_dir.sink: where the bytes of the current field value go */
enum {
	SINK_NONE = 0,
	SINK_CL,
	SINK_TE,
	SINK_CE,
	SINK_CTYPE,
	SINK_HOST,
};

enum hdr_rc {
	HDR_MORE = 0,
	HDR_END,
	HDR_BAD,
};

/* RFC 9110 §5.6.2: tchar */
static inline bool
is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
		return true;
	}
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static inline bool
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Whitespace as browsers and libhtp skip it around tokens: SP HT VT FF and NUL. */
static inline bool
is_loose_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == 0;
}

static inline uint8_t
to_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static inline bool
eq_ci(const char *s, size_t n, const char *lit)
{
	struct span sp = { (const uint8_t *)s, n };

	return span_eq_ci(sp, lit) != 0;
}

static inline size_t
trim_len(const char *s, size_t n)
{
	while (n > 0 && is_ws((uint8_t)s[n - 1])) {
		n--;
	}
	return n;
}

/* struct http_conn.encoding */
enum http_encoding {
	HTTP_ENC_IDENTITY = 0,
	HTTP_ENC_GZIP,
	HTTP_ENC_DEFLATE,
	HTTP_ENC_UNSUPPORTED, /* more codings than decoded: the bytes pass raw */
	HTTP_ENC_BR,
};

/* Bytes one header block (start line included) or trailer section may take. */
static inline uint32_t
header_limit(const struct http_env *env)
{
	return env->max_header != 0 ? env->max_header : HTTP_MAX_HEADER;
}

/*
 * Deliver <n> bytes at <p> as body data of the response whose body was begun
 * (decoded if it is compressed). For a body that starts on bytes held
 * before the framing was known (a response without a status line).
 */
void http_body_data(struct http_conn *h, const struct http_env *env, const uint8_t *p, size_t n,
                    void *arg);

/*
 * Put <h> into bypass: a response body in progress ends with
 * body_end(complete=false), zlib state is freed, counter <why> is bumped and
 * every later byte of the connection is ignored.
 */
void http_bypass(struct http_conn *h, const struct http_env *env, enum counter_id why, void *arg);

/*
 * Consume body bytes of direction <d> (h->req or h->rsp) from [p, end) while
 * d->state is a body state. Response bytes are decoded and delivered; request
 * bytes are skipped. When the body ends the state goes back to HS_START; on
 * malformed chunking the connection goes to bypass. Returns the bytes used.
 */
size_t http_body_frame(struct http_conn *h, struct http_dir *d, const struct http_env *env,
                       const uint8_t *p, const uint8_t *end, void *arg);

/*
 * Start delivering the response body described by <m> (h->ce_n and h->ce[]
 * already set by the Content-Encoding fields): sets h->encoding, takes the
 * first layer's stream, after env->body_begin said the body is wanted.
 */
void http_body_begin(struct http_conn *h, const struct http_env *env, const struct http_msg *m,
                     void *arg);

/*
 * End the response body: flush the decoder and call env->body_end once.
 * <framed> says the framing reached its end; a compressed stream that did not
 * reach its own end makes the body incomplete anyway.
 */
void http_body_finish(struct http_conn *h, const struct http_env *env, bool framed, void *arg);

/*
 * Enter body state <next> on direction <d>: HS_BODY_LENGTH with <length>
 * bytes, HS_CHUNK_SIZE, or HS_BODY_CLOSE.
 */
void http_body_enter(struct http_dir *d, enum http_state next, uint64_t length);

/*
 * <len> bytes of direction <d> were lost. If they lie inside a body whose
 * end is known (Content-Length, the current chunk, until close), the
 * framing steps over them (a response body ends incomplete for the
 * consumer, later bytes framed only) and true is returned. A hole that
 * runs past a response body (already paired with its request) ends it and
 * the parser looks for the next status line (HS_RSP_RESYNC): true too.
 * Else false.
 */
bool http_body_gap(struct http_conn *h, struct http_dir *d, const struct http_env *env,
                   uint64_t len, void *arg);

/* Free the decoder state of <h> (its stream goes back to the pool), without callbacks. */
void http_body_free(struct http_conn *h);

struct z_stream_s;

/*
 * Take a stream from <zp> (may be NULL): zeroed, its zalloc / zfree / opaque
 * set to the slot's empty arena, ready for inflateInit2(). NULL when the
 * pool is empty. The worker's thread.
 */
struct z_stream_s *http_zpool_get(struct http_zpool *zp);

/*
 * Return <zs>, from http_zpool_get(), to its pool. No inflateEnd() is needed:
 * zlib's memory is the slot's arena, reset here. Accepts NULL.
 */
void http_zpool_put(struct z_stream_s *zs);

/*
 * One byte of the field section (RFC 9112 §5) of direction <d> (is_req: the
 * request side) while d->state is a header state: HDR_MORE, HDR_END when the
 * empty line ended the block (framing flags, length and sinks are set), or
 * HDR_BAD when the byte cannot be part of a field section. In http_field.c.
 */
enum hdr_rc http_hdr_byte(struct http_conn *h, const struct http_env *env, struct http_dir *d,
                          bool is_req, uint8_t c);

/* Zero the per-message state of <d> and enter <state>. */
void http_msg_reset(struct http_dir *d, uint8_t state);

struct BrotliDecoderStateStruct;

/* A brotli decoder and the budget it draws on, from http_brpool_get(). */
struct http_brdec {
	struct http_brpool *bp;
	struct BrotliDecoderStateStruct *s;
};

/*
 * A new brotli decoder whose memory comes from <bp>'s arena (may be NULL),
 * or NULL when the arena has no room for it. The worker's thread.
 */
struct http_brdec *http_brpool_get(struct http_brpool *bp);

/* Destroy <d> (from http_brpool_get()); its memory goes back. Accepts NULL. */
void http_brpool_put(struct http_brdec *d);

#endif
