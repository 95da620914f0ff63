/*
 * Message body framing (RFC 9112 §6, §7) and content decoding (RFC 9110
 * §8.4) for one HTTP connection. Request bodies are only skipped; response
 * bodies are de-chunked, inflated and handed to the consumer.
 */
#include "http/http_priv.h"

#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

/* struct http_conn.body_flags */
#define BF_ACTIVE 0x01 /* body_begin was called and body_end not yet */
#define BF_LIMIT  0x02 /* max_body reached: nothing more is delivered or inflated */
#define BF_ZEND   0x04 /* the compressed stream reached its end */
#define BF_ZHDR   0x08 /* zhdr holds the first byte of a deflate body */
#define BF_ZINIT  0x10 /* inflateInit2() has run on h->zs: the compressed stream started */

#define INFLATE_OUT 16384

static void
emit(struct http_conn *h, const struct http_env *env, const uint8_t *p, size_t n, void *arg)
{
	uint64_t room = env->max_body > h->body_bytes ? env->max_body - h->body_bytes : 0;
	struct span s;

	if (n > room) {
		n = (size_t)room;
		h->body_flags |= BF_LIMIT;
		counters_inc(env->c, CNT_http_body_limit);
	}
	if (n == 0) {
		return;
	}
	h->body_bytes += n;
	s.ptr = p;
	s.len = n;
	env->body_data(arg, s);
}

static void
inflate_failed(struct http_conn *h, const struct http_env *env, void *arg)
{
	counters_inc(env->c, CNT_http_gzip_bad);
	h->body_flags = 0;
	http_body_free(h);
	env->body_end(arg, false);
}

/* Inflate <n> bytes into a stack buffer, delivering each output chunk. False on corrupt data. */
static bool
inflate_run(struct http_conn *h, const struct http_env *env, const uint8_t *p, size_t n, void *arg)
{
	z_stream *zs = h->zs;
	uint8_t out[INFLATE_OUT];
	size_t produced;
	int rc;

	while (n > 0) {
		uInt piece = n > (1u << 30) ? (1u << 30) : (uInt)n;

		zs->next_in = p;
		zs->avail_in = piece;
		p += piece;
		n -= piece;
		for (;;) {
			zs->next_out = out;
			zs->avail_out = sizeof(out);
			rc = inflate(zs, Z_NO_FLUSH);
			produced = sizeof(out) - zs->avail_out;
			if (produced > 0) {
				emit(h, env, out, produced, arg);
			}
			if (rc == Z_STREAM_END) {
				/* bytes after the end of the stream are ignored */
				h->body_flags |= BF_ZEND;
				return true;
			}
			if (rc != Z_OK && rc != Z_BUF_ERROR) {
				inflate_failed(h, env, arg);
				return false;
			}
			if (h->body_flags & BF_LIMIT) {
				/* decompression bomb guard: stop inflating what is never delivered */
				return true;
			}
			if (rc == Z_BUF_ERROR || (zs->avail_in == 0 && zs->avail_out != 0)) {
				break;
			}
		}
	}
	return true;
}

/*
 * RFC 1950 §2.2: a zlib stream starts with CMF (CM = 8, CINFO <= 7) and FLG
 * such that CMF * 256 + FLG is a multiple of 31. Raw deflate (RFC 1951) data
 * passes this test only by chance.
 */
static bool
is_zlib_header(uint8_t cmf, uint8_t flg)
{
	return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

static void
inflate_in(struct http_conn *h, const struct http_env *env, const uint8_t *p, size_t n, void *arg)
{
	int wbits = 15 + 32; /* gzip or zlib, detected by zlib */
	bool held = (h->body_flags & BF_ZHDR) != 0;

	if (!(h->body_flags & BF_ZINIT)) {
		if (h->encoding == HTTP_ENC_DEFLATE) {
			/*
			 * RFC 9110 §8.4.1.2: "deflate" means zlib-wrapped, but some
			 * servers send raw deflate. Two bytes tell them apart; the
			 * first one may arrive alone.
			 */
			if (!held && n == 1) {
				h->zhdr = p[0];
				h->body_flags |= BF_ZHDR;
				return;
			}
			wbits = is_zlib_header(held ? h->zhdr : p[0], held ? p[0] : p[1]) ? 15
			                                                                  : -15;
		}
		/* the slot's arena serves inflateInit2() and the window: no malloc */
		if (inflateInit2((z_stream *)h->zs, wbits) != Z_OK) {
			inflate_failed(h, env, arg);
			return;
		}
		h->body_flags |= BF_ZINIT;
		if (held) {
			h->body_flags &= ~BF_ZHDR;
			if (!inflate_run(h, env, &h->zhdr, 1, arg)) {
				return;
			}
			if (h->body_flags & (BF_ZEND | BF_LIMIT)) {
				return;
			}
		}
	}
	inflate_run(h, env, p, n, arg);
}

static void
deliver(struct http_conn *h, const struct http_env *env, const uint8_t *p, size_t n, void *arg)
{
	if ((h->body_flags & (BF_ACTIVE | BF_LIMIT | BF_ZEND)) != BF_ACTIVE || n == 0) {
		return;
	}
	if (h->encoding == HTTP_ENC_IDENTITY) {
		emit(h, env, p, n, arg);
		return;
	}
	inflate_in(h, env, p, n, arg);
	if (h->body_flags & (BF_LIMIT | BF_ZEND)) {
		/* nothing more is inflated: the stream serves another body while framing runs on */
		http_body_free(h);
	}
}

void
http_body_begin(struct http_conn *h, const struct http_env *env, const struct http_msg *m,
                void *arg)
{
	h->body_bytes = 0;
	h->body_flags = 0;
	http_body_free(h);
	if (h->encoding == HTTP_ENC_UNSUPPORTED) {
		/* framing still runs; the bytes are dropped (e.g. br, zstd, gzip twice) */
		counters_inc(env->c, CNT_http_encoding_unsupported);
		return;
	}
	if (h->encoding != HTTP_ENC_IDENTITY) {
		h->zs = http_zpool_get(env->zpool);
		if (h->zs == NULL) {
			/* the consumer sees an empty, incomplete body; framing still runs */
			counters_inc(env->c, CNT_http_gzip_pool_empty);
			env->body_begin(arg, m);
			env->body_end(arg, false);
			return;
		}
		counters_inc(env->c, CNT_http_gzip);
	}
	h->body_flags = BF_ACTIVE;
	env->body_begin(arg, m);
}

void
http_body_finish(struct http_conn *h, const struct http_env *env, bool framed, void *arg)
{
	const uint8_t f = h->body_flags;
	const bool fed = (f & (BF_ZINIT | BF_ZHDR)) != 0;
	bool complete = framed;

	h->body_flags = 0;
	http_body_free(h);
	if (!(f & BF_ACTIVE)) {
		return;
	}
	if (h->encoding != HTTP_ENC_IDENTITY && fed && !(f & (BF_LIMIT | BF_ZEND))) {
		/* the compressed stream never reached its end: the data is cut short */
		if (framed) {
			counters_inc(env->c, CNT_http_gzip_bad);
		}
		complete = false;
	}
	env->body_end(arg, complete);
}

void
http_body_free(struct http_conn *h)
{
	/* no inflateEnd(): zlib's memory is the slot's arena, reset as a whole */
	http_zpool_put(h->zs);
	h->zs = NULL;
}

static void
chunk_size_start(struct http_dir *d)
{
	d->state = HS_CHUNK_SIZE;
	d->remaining = 0;
	d->tok_len = 0;
}

/* The chunk-size line ended: a last-chunk (size 0) leads to the trailer section. */
static void
chunk_line_end(struct http_dir *d)
{
	if (d->remaining == 0) {
		d->state = HS_TRAILER_LINE;
		d->hdr_bytes = 0;
	} else {
		d->state = HS_CHUNK_DATA;
	}
}

static void
body_done(struct http_conn *h, struct http_dir *d, const struct http_env *env, void *arg)
{
	d->state = HS_START;
	if (d == &h->rsp) {
		http_body_finish(h, env, true, arg);
	}
}

static int
hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c |= 0x20;
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

size_t
http_body_frame(struct http_conn *h, struct http_dir *d, const struct http_env *env,
                const uint8_t *p, const uint8_t *end, void *arg)
{
	const uint8_t *start = p;
	const bool is_rsp = d == &h->rsp;
	const uint8_t *nl;
	size_t n;
	uint8_t c;
	int v;

	while (p < end && !h->bypass) {
		switch (d->state) {
		case HS_BODY_LENGTH:
		case HS_CHUNK_DATA:
			n = (size_t)(end - p);
			if ((uint64_t)n > d->remaining) {
				n = (size_t)d->remaining;
			}
			if (is_rsp) {
				deliver(h, env, p, n, arg);
			}
			p += n;
			d->remaining -= n;
			if (d->remaining == 0) {
				if (d->state == HS_CHUNK_DATA) {
					d->state = HS_CHUNK_DATA_CR;
				} else {
					body_done(h, d, env, arg);
				}
			}
			break;
		case HS_BODY_CLOSE:
			/* RFC 9112 §6.3 item 8: the body ends when the connection closes */
			if (is_rsp) {
				deliver(h, env, p, (size_t)(end - p), arg);
			}
			p = end;
			break;
		case HS_CHUNK_SIZE:
			/* RFC 9112 §7.1: chunk-size is 1*HEXDIG, then [ chunk-ext ] CRLF */
			c = *p++;
			v = hex_value(c);
			if (v >= 0) {
				if (d->remaining > (UINT64_MAX >> 4)) {
					http_bypass(h, env, CNT_http_chunked_bad, arg);
					break;
				}
				d->remaining = (d->remaining << 4) | (uint64_t)v;
				d->tok_len = 1;
			} else if (d->tok_len == 0) {
				http_bypass(h, env, CNT_http_chunked_bad, arg);
			} else if (c == ';' || c == ' ' || c == '\t' || c == '\r') {
				/* RFC 9112 §7.1.1: extensions (after optional BWS) are ignored */
				d->state = HS_CHUNK_EXT;
				d->tok_len = 0;
			} else if (c == '\n') {
				chunk_line_end(d);
			} else {
				http_bypass(h, env, CNT_http_chunked_bad, arg);
			}
			break;
		case HS_CHUNK_EXT:
			nl = memchr(p, '\n', (size_t)(end - p));
			n = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p);
			if (n > (size_t)HTTP_MAX_CHUNK_EXT - d->tok_len) {
				http_bypass(h, env, CNT_http_chunked_bad, arg);
				break;
			}
			d->tok_len += (uint16_t)n;
			p += n;
			if (nl != NULL) {
				p++;
				chunk_line_end(d);
			}
			break;
		case HS_CHUNK_DATA_CR:
			/* RFC 9112 §7.1: chunk-data is followed by CRLF (a bare LF is tolerated) */
			c = *p++;
			if (c == '\r') {
				d->state = HS_CHUNK_DATA_LF;
			} else if (c == '\n') {
				chunk_size_start(d);
			} else {
				http_bypass(h, env, CNT_http_chunked_bad, arg);
			}
			break;
		case HS_CHUNK_DATA_LF:
			if (*p++ == '\n') {
				chunk_size_start(d);
			} else {
				http_bypass(h, env, CNT_http_chunked_bad, arg);
			}
			break;
		case HS_TRAILER_LINE:
			/* RFC 9112 §7.1.2: trailer fields are skipped up to the empty line */
			c = *p++;
			if (++d->hdr_bytes > HTTP_MAX_HEADER) {
				http_bypass(h, env, CNT_http_header_limit, arg);
				break;
			}
			if (c == '\r') {
				d->state = HS_TRAILER_END_LF;
			} else if (c == '\n') {
				body_done(h, d, env, arg);
			} else {
				d->state = HS_TRAILER_SKIP;
			}
			break;
		case HS_TRAILER_SKIP:
			nl = memchr(p, '\n', (size_t)(end - p));
			n = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p + 1);
			if (n > (size_t)HTTP_MAX_HEADER - d->hdr_bytes) {
				http_bypass(h, env, CNT_http_header_limit, arg);
				break;
			}
			d->hdr_bytes += (uint32_t)n;
			p += n;
			if (nl != NULL) {
				d->state = HS_TRAILER_LINE;
			}
			break;
		case HS_TRAILER_END_LF:
			if (*p++ == '\n') {
				body_done(h, d, env, arg);
			} else {
				http_bypass(h, env, CNT_http_chunked_bad, arg);
			}
			break;
		default:
			return (size_t)(p - start);
		}
	}
	return (size_t)(p - start);
}

void
http_body_enter(struct http_dir *d, enum http_state next, uint64_t length)
{
	if (next == HS_CHUNK_SIZE) {
		chunk_size_start(d);
		return;
	}
	d->state = next;
	d->remaining = length;
}
