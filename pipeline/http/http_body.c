/*
 * Message body framing (RFC 9112 §6, §7) and content decoding (RFC 9110
 * §8.4) for one HTTP connection. Request bodies are only skipped; response
 * bodies are de-chunked, inflated (up to HTTP_MAX_CODINGS stacked codings,
 * one pooled z_stream each) and handed to the consumer. Framing and codings
 * that break the RFCs are read as browsers and libhtp read them (HTTP
 * Evader's tricks): chunk-size junk, a body announced chunked that is not,
 * broken gzip headers, a body labelled compressed that is not. Each such
 * reading is counted. Brotli (RFC 7932) layers draw their decoder from the
 * worker's http_brpool budget. Every compressed body is held to max_body and
 * to the max_ratio of decoded to received bytes, so a bomb stops early.
 */
#include "http/http_priv.h"

#include <string.h>

#include <brotli/decode.h>
#define ZLIB_CONST
#include <zlib.h>

/* struct http_conn.body_flags */
#define BF_ACTIVE 0x01 /* body_begin was called and body_end not yet */
#define BF_LIMIT  0x02 /* max_body reached: nothing more is delivered or inflated */
#define BF_ZEND   0x04 /* the first decoding layer reached its end (or went raw) */
#define BF_ZHDR   0x08 /* zhdr holds the first byte of a deflate body */
#define BF_ZINIT  0x10 /* the first decoding layer started: the compressed stream began */
#define BF_ZBAD   0x20 /* a decoding layer failed after it produced output */
#define BF_SKIP   0x40 /* the consumer does not want this body: framed, not decoded */

/* Decoded bytes a compressed body may produce before its ratio is checked. */
#define HTTP_RATIO_FLOOR (1u << 20)

#define INFLATE_OUT 8192 /* per layer, on the stack: at most HTTP_MAX_CODINGS deep */

/* struct http_conn.zmode: where each decoding layer is */
enum {
	ZM_NEW = 0, /* no byte seen yet */
	ZM_GZHDR,   /* inside a gzip member header (RFC 1952 §2.3), parsed here */
	ZM_INFLATE, /* zlib is inflating (raw deflate after a gzip header) */
	ZM_END,     /* the stream ended: later bytes are ignored */
	ZM_RAW,     /* not compressed after all: bytes pass through */
	ZM_BROTLI,  /* the brotli decoder is decoding */
};

/* gzip header parse positions (struct http_conn.zhstate) */
enum {
	GZ_ID1 = 0,
	GZ_ID2,
	GZ_CM,
	GZ_FLG,
	GZ_FIXED, /* MTIME, XFL, OS */
	GZ_XLEN1,
	GZ_XLEN2,
	GZ_EXTRA,
	GZ_NAME,
	GZ_COMMENT,
	GZ_HCRC,
};

/* zhstate of a deflate layer: no zlib header, raw deflate guessed (see layer_inflate) */
#define ZH_RAW_GUESS 0xff

#define GZ_FEXTRA   0x04
#define GZ_FNAME    0x08
#define GZ_FCOMMENT 0x10
#define GZ_FHCRC    0x02

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
	if (h->body_in > 0 && env->max_ratio > 0 && h->body_bytes + n > HTTP_RATIO_FLOOR &&
	    h->body_bytes + n > h->body_in * env->max_ratio) {
		/* a decompression bomb: what was decoded so far is delivered, no more */
		counters_inc(env->c, CNT_http_decomp_ratio);
		h->body_flags |= BF_LIMIT | BF_ZBAD;
		return;
	}
	if (n == 0) {
		return;
	}
	h->body_bytes += n;
	s.ptr = p;
	s.len = n;
	env->body_data(arg, s);
}

/* The stream slot of decoding layer <i> (0 is undone first). */
static void **
layer_zs(struct http_conn *h, unsigned i)
{
	return i == 0 ? &h->zs : &h->zs_inner[i - 1];
}

/* The coding decoding layer <i> undoes: the last one applied is undone first. */
static uint8_t
layer_coding(const struct http_conn *h, unsigned i)
{
	return h->ce[h->ce_n - 1 - i];
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

static void layer_in(struct http_conn *h, const struct http_env *env, unsigned i, const uint8_t *p,
                     size_t n, void *arg);

/* Give back what decoding layer <i> holds: a z_stream or a brotli decoder. */
static void
layer_put(struct http_conn *h, unsigned i)
{
	void **zs = layer_zs(h, i);

	if (h->zbr & (1u << i)) {
		http_brpool_put(*zs);
	} else {
		http_zpool_put(*zs);
	}
	*zs = NULL;
	h->zbr &= (uint8_t) ~(1u << i);
}

/*
 * Layer <i> saw bytes that are not what its coding promised before it
 * produced anything: as libhtp does, they (and the rest) pass through raw,
 * so a body labelled compressed that is not still reaches the consumer.
 */
static void
layer_raw(struct http_conn *h, const struct http_env *env, unsigned i, const uint8_t *p, size_t n,
          void *arg)
{
	counters_inc(env->c, CNT_http_ce_passthrough);
	layer_put(h, i);
	h->zmode[i] = ZM_RAW;
	layer_in(h, env, i + 1, p, n, arg);
}

/* Start inflating in layer <i>; false if no stream is left (the layer then passes bytes raw). */
static bool
layer_init(struct http_conn *h, const struct http_env *env, unsigned i, int wbits)
{
	void **zs = layer_zs(h, i);

	if (*zs == NULL) {
		*zs = http_zpool_get(env->zpool);
		if (*zs == NULL) {
			counters_inc(env->c, CNT_http_gzip_pool_empty);
			return false;
		}
	}
	/* the slot's arena serves inflateInit2() and the window: no malloc */
	if (inflateInit2((z_stream *)*zs, wbits) != Z_OK) {
		return false;
	}
	h->zmode[i] = ZM_INFLATE;
	return true;
}

/*
 * RFC 1952 §2.3: one byte of a gzip member header. Parsed here rather than by
 * zlib so that, as browsers do, reserved FLG bits and a wrong header CRC do
 * not stop decoding; the data is then raw deflate, and the trailer (CRC32,
 * ISIZE) is not checked. Returns true when the header is complete.
 */
static bool
gz_header_byte(struct http_conn *h, unsigned i, uint8_t c, bool *bad, bool *skipped)
{
	uint8_t *st = &h->zhstate[i];

	*bad = false;
	*skipped = false;
	switch (*st) {
	case GZ_ID1:
		if (c == '\r' || c == '\n' || c == ' ' || c == '\t') {
			/* whitespace before the member (a header block that ended early): skipped */
			h->zflg[i] = 1;
			return false;
		}
		/* counted once, when the member starts after it */
		*skipped = c == 0x1f && h->zflg[i] == 1;
		*bad = c != 0x1f;
		*st = GZ_ID2;
		return false;
	case GZ_ID2:
		*bad = c != 0x8b;
		*st = GZ_CM;
		return false;
	case GZ_CM:
		*bad = c != 8;
		*st = GZ_FLG;
		return false;
	case GZ_FLG:
		h->zflg[i] = c;
		h->zskip[i] = 6;
		*st = GZ_FIXED;
		return false;
	case GZ_FIXED:
		if (--h->zskip[i] > 0) {
			return false;
		}
		*st = GZ_XLEN1;
		if (!(h->zflg[i] & GZ_FEXTRA)) {
			*st = GZ_NAME;
			break;
		}
		return false;
	case GZ_XLEN1:
		h->zskip[i] = c;
		*st = GZ_XLEN2;
		return false;
	case GZ_XLEN2:
		h->zskip[i] = (uint16_t)(h->zskip[i] | (c << 8));
		*st = GZ_EXTRA;
		if (h->zskip[i] > 0) {
			return false;
		}
		*st = GZ_NAME;
		break;
	case GZ_EXTRA:
		if (--h->zskip[i] > 0) {
			return false;
		}
		*st = GZ_NAME;
		break;
	case GZ_NAME:
		if (c != 0) {
			return false;
		}
		*st = GZ_COMMENT;
		break;
	case GZ_COMMENT:
		if (c != 0) {
			return false;
		}
		*st = GZ_HCRC;
		h->zskip[i] = 2;
		break;
	case GZ_HCRC:
		return --h->zskip[i] == 0;
	default:
		return false;
	}
	/* the byte just read ended a part: skip the optional parts that are absent */
	if (*st == GZ_NAME && !(h->zflg[i] & GZ_FNAME)) {
		*st = GZ_COMMENT;
	}
	if (*st == GZ_COMMENT && !(h->zflg[i] & GZ_FCOMMENT)) {
		*st = GZ_HCRC;
		h->zskip[i] = 2;
	}
	return *st == GZ_HCRC && !(h->zflg[i] & GZ_FHCRC);
}

/*
 * Bytes the first layer took while it guessed raw deflate and produced
 * nothing, kept (in the response direction's val[], unused during a body) so
 * that they pass through too if the guess proves wrong in a later call.
 * val_len UINT8_MAX: more than fit, the prefix is lost.
 */
static void
raw_guess_hold(struct http_conn *h, const uint8_t *p, size_t n)
{
	struct http_dir *d = &h->rsp;

	if (d->val_len == UINT8_MAX) {
		return;
	}
	if (n > sizeof(d->val) - d->val_len) {
		d->val_len = UINT8_MAX;
		return;
	}
	memcpy(d->val + d->val_len, p, n);
	d->val_len = (uint8_t)(d->val_len + n);
}

/* Inflate <n> bytes in layer <i>, passing each output piece to layer i + 1. */
static void
layer_inflate(struct http_conn *h, const struct http_env *env, unsigned i, const uint8_t *p,
              size_t n, void *arg)
{
	z_stream *zs = *layer_zs(h, i);
	const uint8_t *const p0 = p;
	const size_t n0 = n;
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
			if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END &&
			    h->zhstate[i] == ZH_RAW_GUESS && zs->total_out == 0 && produced == 0) {
				/*
				 * "deflate" without a zlib header was guessed raw
				 * deflate, and it is not: the body is not compressed
				 * (a gzip or zlib header that validated makes it corrupt instead)
				 */
				if (i == 0 && h->rsp.val_len != UINT8_MAX) {
					layer_raw(h, env, i, (const uint8_t *)h->rsp.val,
					          h->rsp.val_len, arg);
					layer_in(h, env, i, p0, n0, arg);
				} else {
					layer_raw(h, env, i, p0, n0, arg);
				}
				return;
			}
			if (produced > 0) {
				layer_in(h, env, i + 1, out, produced, arg);
			}
			if (rc == Z_STREAM_END) {
				/* bytes after the end of the stream (a gzip trailer) are ignored */
				h->zmode[i] = ZM_END;
				return;
			}
			if (rc != Z_OK && rc != Z_BUF_ERROR) {
				counters_inc(env->c, CNT_http_gzip_bad);
				h->body_flags |= BF_ZBAD;
				h->zmode[i] = ZM_END;
				return;
			}
			if (h->body_flags & BF_LIMIT) {
				/* decompression bomb guard: stop inflating what is never delivered */
				return;
			}
			if (rc == Z_BUF_ERROR || (zs->avail_in == 0 && zs->avail_out != 0)) {
				break;
			}
		}
	}
	if (i == 0 && h->zhstate[0] == ZH_RAW_GUESS && zs->total_out == 0) {
		raw_guess_hold(h, p0, n0);
	}
}

/* RFC 7932: decode <n> bytes in brotli layer <i>, passing each output piece to layer i + 1. */
static void
layer_brotli(struct http_conn *h, const struct http_env *env, unsigned i, const uint8_t *p,
             size_t n, void *arg)
{
	struct http_brdec *d = *layer_zs(h, i);
	const uint8_t *next_in = p;
	size_t avail_in = n, avail_out, produced;
	uint8_t out[INFLATE_OUT];
	uint8_t *next_out;
	BrotliDecoderResult rc;
	int err;

	do {
		next_out = out;
		avail_out = sizeof(out);
		rc = BrotliDecoderDecompressStream(d->s, &avail_in, &next_in, &avail_out, &next_out,
		                                   NULL);
		produced = sizeof(out) - avail_out;
		if (rc == BROTLI_DECODER_RESULT_ERROR) {
			err = (int)BrotliDecoderGetErrorCode(d->s);
			if (err >= BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES &&
			    err <= BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES) {
				/* its window or tables do not fit in http.br_memcap */
				counters_inc(env->c, CNT_http_br_memcap);
			} else {
				/*
				 * Unlike deflate, a body labelled br that is not
				 * brotli is not passed raw: browsers fail it too
				 */
				counters_inc(env->c, CNT_http_br_bad);
			}
			h->body_flags |= BF_ZBAD;
			h->zmode[i] = ZM_END;
			layer_put(h, i);
			return;
		}
		if (produced > 0) {
			layer_in(h, env, i + 1, out, produced, arg);
		}
		if (rc == BROTLI_DECODER_RESULT_SUCCESS) {
			/* bytes after the end of the stream are ignored */
			h->zmode[i] = ZM_END;
			layer_put(h, i);
			return;
		}
		if (h->body_flags & BF_LIMIT) {
			/* decompression bomb guard: stop decoding what is never delivered */
			return;
		}
	} while (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT || avail_in > 0);
}

/* Feed <n> bytes to decoding layer <i>; past the last layer they are the decoded body. */
static void
layer_in(struct http_conn *h, const struct http_env *env, unsigned i, const uint8_t *p, size_t n,
         void *arg)
{
	const uint8_t *const start = p;
	const uint8_t *const end = p + n;
	bool bad, skipped, done;
	size_t magic, used;

	if (i >= h->ce_n || i >= HTTP_MAX_CODINGS) {
		emit(h, env, p, n, arg);
		return;
	}
	if (n == 0 || (h->body_flags & BF_LIMIT)) {
		return;
	}
	switch (h->zmode[i]) {
	case ZM_NEW:
		if (layer_coding(h, i) == HTTP_ENC_BR) {
			*layer_zs(h, i) = http_brpool_get(env->brpool);
			if (*layer_zs(h, i) == NULL) {
				/* no room for a decoder: the body ends here, incomplete */
				counters_inc(env->c, CNT_http_br_memcap);
				h->body_flags |= BF_ZBAD | BF_LIMIT;
				h->zmode[i] = ZM_END;
				return;
			}
			h->zbr |= (uint8_t)(1u << i);
			h->zmode[i] = ZM_BROTLI;
			layer_brotli(h, env, i, p, n, arg);
			return;
		}
		if (layer_coding(h, i) == HTTP_ENC_GZIP) {
			h->zmode[i] = ZM_GZHDR;
			h->zhstate[i] = GZ_ID1;
			h->zflg[i] = 0;
			layer_in(h, env, i, p, n, arg);
			return;
		}
		/*
		 * RFC 9110 §8.4.1.2: "deflate" means zlib-wrapped, but some
		 * servers send raw deflate. Two bytes tell them apart; the first
		 * one may arrive alone (held in zhdr, for the first layer only).
		 */
		if (i == 0 && n == 1 && !(h->body_flags & BF_ZHDR)) {
			h->zhdr = p[0];
			h->body_flags |= BF_ZHDR;
			return;
		}
		if (i == 0 && (h->body_flags & BF_ZHDR)) {
			bad = !is_zlib_header(h->zhdr, p[0]);
		} else if (n >= 2) {
			bad = !is_zlib_header(p[0], p[1]);
		} else {
			bad = (p[0] & 0x0f) != 8;
		}
		h->zhstate[i] = bad ? ZH_RAW_GUESS : 0;
		if (i == 0) {
			h->rsp.val_len = 0;
		}
		if (!layer_init(h, env, i, bad ? -15 : 15)) {
			layer_raw(h, env, i, p, n, arg);
			return;
		}
		if (i == 0 && (h->body_flags & BF_ZHDR)) {
			h->body_flags &= (uint8_t)~BF_ZHDR;
			layer_inflate(h, env, i, &h->zhdr, 1, arg);
			if (h->zmode[i] != ZM_INFLATE) {
				if (h->zmode[i] == ZM_RAW) {
					layer_in(h, env, i, p, n, arg);
				}
				return;
			}
		}
		layer_inflate(h, env, i, p, n, arg);
		return;
	case ZM_GZHDR:
		while (p < end) {
			done = gz_header_byte(h, i, *p++, &bad, &skipped);
			if (skipped) {
				counters_inc(env->c, CNT_http_gzip_lead_ws);
			}
			if (done) {
				if (!layer_init(h, env, i, -15)) {
					layer_raw(h, env, i, p, (size_t)(end - p), arg);
					return;
				}
				layer_inflate(h, env, i, p, (size_t)(end - p), arg);
				return;
			}
			if (bad) {
				/*
				 * no gzip member: what matched of the magic in earlier
				 * calls, and the bytes from this call on, pass through
				 */
				used = (size_t)(p - start);
				magic = h->zhstate[i] > used ? h->zhstate[i] - used : 0;
				layer_raw(h, env, i, (const uint8_t *)"\x1f\x8b", magic, arg);
				layer_in(h, env, i, start, n, arg);
				return;
			}
		}
		return;
	case ZM_INFLATE:
		layer_inflate(h, env, i, p, n, arg);
		return;
	case ZM_BROTLI:
		layer_brotli(h, env, i, p, n, arg);
		return;
	case ZM_RAW:
		layer_in(h, env, i + 1, p, n, arg);
		return;
	default:
		return;
	}
}

static void
deliver(struct http_conn *h, const struct http_env *env, const uint8_t *p, size_t n, void *arg)
{
	if ((h->body_flags & (BF_ACTIVE | BF_LIMIT | BF_ZEND | BF_SKIP)) != BF_ACTIVE || n == 0) {
		return;
	}
	if (h->encoding == HTTP_ENC_IDENTITY || h->encoding == HTTP_ENC_UNSUPPORTED) {
		emit(h, env, p, n, arg);
		return;
	}
	h->body_flags |= BF_ZINIT;
	h->body_in += n;
	layer_in(h, env, 0, p, n, arg);
	if (h->zmode[0] == ZM_END || (h->body_flags & BF_LIMIT)) {
		/* nothing more is inflated: the streams serve another body while framing runs on */
		h->body_flags |= BF_ZEND;
		http_body_free(h);
	}
}

void
http_body_data(struct http_conn *h, const struct http_env *env, const uint8_t *p, size_t n,
               void *arg)
{
	deliver(h, env, p, n, arg);
}

void
http_body_begin(struct http_conn *h, const struct http_env *env, const struct http_msg *m,
                void *arg)
{
	h->body_bytes = 0;
	h->body_in = 0;
	h->body_flags = 0;
	http_body_free(h);
	memset(h->zmode, 0, sizeof(h->zmode));
	h->encoding = HTTP_ENC_IDENTITY;
	if (!env->body_begin(arg, m)) {
		/* not wanted (not a feed): the framing is followed, nothing is decoded */
		h->body_flags = BF_ACTIVE | BF_SKIP;
		return;
	}
	if (h->ce_n > HTTP_MAX_CODINGS) {
		/* more layers than we undo: the raw bytes are delivered, counted */
		counters_inc(env->c, CNT_http_ce_layers_limit);
		h->encoding = HTTP_ENC_UNSUPPORTED;
	} else if (h->ce_n > 0 && layer_coding(h, 0) == HTTP_ENC_BR) {
		/* the decoder is taken when the stream starts (its window is not known before) */
		h->encoding = HTTP_ENC_BR;
		counters_inc(env->c, CNT_http_br);
	} else if (h->ce_n > 0) {
		h->encoding = layer_coding(h, 0);
		h->zs = http_zpool_get(env->zpool);
		if (h->zs == NULL) {
			/* the consumer sees an empty, incomplete body; framing still runs */
			counters_inc(env->c, CNT_http_gzip_pool_empty);
			env->body_end(arg, false);
			return;
		}
		counters_inc(env->c, CNT_http_gzip);
	}
	h->body_flags = BF_ACTIVE;
}

void
http_body_finish(struct http_conn *h, const struct http_env *env, bool framed, void *arg)
{
	const uint8_t f = h->body_flags;
	const bool fed = (f & (BF_ZINIT | BF_ZHDR)) != 0;
	bool complete = framed && !(f & BF_ZBAD);
	unsigned i;

	if ((f & BF_ZHDR) && (f & BF_ACTIVE) && !(f & BF_LIMIT)) {
		/* a deflate body of one byte: nothing to decode, it is passed as is */
		counters_inc(env->c, CNT_http_ce_passthrough);
		emit(h, env, &h->zhdr, 1, arg);
	}
	h->body_flags = 0;
	http_body_free(h);
	if (!(f & BF_ACTIVE)) {
		return;
	}
	if (h->encoding != HTTP_ENC_IDENTITY && h->encoding != HTTP_ENC_UNSUPPORTED && fed &&
	    !(f & BF_LIMIT)) {
		for (i = 0; i < h->ce_n && i < HTTP_MAX_CODINGS; i++) {
			if (h->zmode[i] == ZM_GZHDR || h->zmode[i] == ZM_INFLATE ||
			    h->zmode[i] == ZM_BROTLI) {
				/* a compressed stream never reached its end: the data is cut short */
				if (framed) {
					counters_inc(env->c, h->zmode[i] == ZM_BROTLI
					                             ? CNT_http_br_bad
					                             : CNT_http_gzip_bad);
				}
				complete = false;
				break;
			}
		}
	}
	env->body_end(arg, complete);
}

void
http_body_free(struct http_conn *h)
{
	unsigned i;

	/* no inflateEnd(): zlib's memory is the slot's arena, reset as a whole */
	for (i = 0; i < HTTP_MAX_CODINGS; i++) {
		layer_put(h, i);
	}
}

static void
chunk_size_start(struct http_dir *d)
{
	d->state = HS_CHUNK_SIZE;
	d->remaining = 0;
	d->tok_len = 0;
}

static bool
is_size_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
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

/* <n> bytes (at most d->remaining) of the body or chunk of <d> went by. */
static void
body_advance(struct http_conn *h, struct http_dir *d, const struct http_env *env, uint64_t n,
             void *arg)
{
	d->remaining -= n;
	if (d->remaining == 0) {
		if (d->state == HS_CHUNK_DATA) {
			d->state = HS_CHUNK_DATA_CR;
		} else {
			body_done(h, d, env, arg);
		}
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
			body_advance(h, d, env, n, arg);
			break;
		case HS_BODY_CLOSE:
			/* RFC 9112 §6.3 item 8: the body ends when the connection closes */
			if (is_rsp) {
				deliver(h, env, p, (size_t)(end - p), arg);
			}
			p = end;
			break;
		case HS_CHUNK_SIZE:
			/*
			 * RFC 9112 §7.1: chunk-size is 1*HEXDIG, then [ chunk-ext ]
			 * CRLF. Read as libhtp and browsers read it: whitespace and
			 * blank lines before the size are skipped, and whatever
			 * follows the hex digits up to the LF is ignored ("fx",
			 * "f,", "f\0"). Both are counted.
			 */
			c = *p;
			v = hex_value(c);
			if (v >= 0) {
				p++;
				if (d->remaining > (UINT64_MAX >> 4)) {
					http_bypass(h, env, CNT_http_chunked_bad, arg);
					break;
				}
				d->remaining = (d->remaining << 4) | (uint64_t)v;
				d->tok_len = 1;
			} else if (d->tok_len == 0 && is_size_ws(c)) {
				p++;
				if (c != '\r' && c != '\n') {
					counters_inc(env->c, CNT_http_chunked_lenient);
				}
			} else if (d->tok_len == 0) {
				if (is_rsp && !(d->flags & HF_CHUNK_SEEN)) {
					/*
					 * The first chunk-size line has no size: the body
					 * is not chunked after all (a Transfer-Encoding that
					 * only mentions chunked, or one on HTTP/1.0 that
					 * browsers ignore). As libhtp does, it is read as is
					 * until the connection closes; c is its first byte.
					 */
					counters_inc(env->c, CNT_http_chunked_fallback);
					d->state = HS_BODY_CLOSE;
					break;
				}
				if (!is_rsp) {
					/* the request's framing is lost; responses are still read */
					counters_inc(env->c, CNT_http_chunked_bad);
					d->state = HS_DEAD;
					break;
				}
				http_bypass(h, env, CNT_http_chunked_bad, arg);
			} else {
				p++;
				d->flags |= HF_CHUNK_SEEN;
				if (c == '\n') {
					chunk_line_end(d);
					break;
				}
				if (c != ';' && c != ' ' && c != '\t' && c != '\r') {
					counters_inc(env->c, CNT_http_chunked_lenient);
				}
				/* RFC 9112 §7.1.1: extensions (after optional BWS) are ignored */
				d->state = HS_CHUNK_EXT;
				d->tok_len = 0;
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
			/*
			 * RFC 9112 §7.1: chunk-data is followed by CRLF (a bare LF is
			 * tolerated). Anything else up to the LF is skipped
			 * (counted), as libhtp does.
			 */
			c = *p++;
			d->tok_len = 0;
			if (c == '\n') {
				chunk_size_start(d);
			} else {
				if (c != '\r') {
					counters_inc(env->c, CNT_http_chunked_lenient);
					d->tok_len = 1;
				}
				d->state = HS_CHUNK_DATA_LF;
			}
			break;
		case HS_CHUNK_DATA_LF:
			c = *p++;
			if (c == '\n') {
				chunk_size_start(d);
			} else if (++d->tok_len > HTTP_MAX_CHUNK_EXT) {
				http_bypass(h, env, CNT_http_chunked_bad, arg);
			} else if (d->tok_len == 1) {
				counters_inc(env->c, CNT_http_chunked_lenient);
			}
			break;
		case HS_TRAILER_LINE:
			/* RFC 9112 §7.1.2: trailer fields are skipped up to the empty line */
			c = *p++;
			if (++d->hdr_bytes > header_limit(env)) {
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
			if (n > (size_t)header_limit(env) - d->hdr_bytes) {
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

bool
http_body_gap(struct http_conn *h, struct http_dir *d, const struct http_env *env, uint64_t len,
              void *arg)
{
	const bool is_rsp = d == &h->rsp;
	const bool counted = d->state == HS_BODY_LENGTH || d->state == HS_CHUNK_DATA;
	/*
	 * Past the known end, or inside a chunk-size line or trailer, the hole
	 * swallows framing; until close, every byte is body
	 */
	const bool past = counted ? len > d->remaining : d->state != HS_BODY_CLOSE;

	if (d->state < HS_BODY_LENGTH || (past && !is_rsp)) {
		return false;
	}
	if (is_rsp && (h->body_flags & BF_ACTIVE)) {
		/* the consumer cannot read across the hole: its body ends here */
		http_body_finish(h, env, false, arg);
	}
	if (past) {
		/*
		 * The response was paired when its headers were read, so the
		 * next status line answers the next request: as libhtp does,
		 * the parser looks for it
		 */
		d->state = HS_RSP_RESYNC;
		d->tok_len = 0;
		d->flags = HF_BOL;
	} else if (counted) {
		body_advance(h, d, env, len, arg);
	}
	return true;
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
