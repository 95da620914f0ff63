/*
 * HTTP/1.1 over TCP for feedwatch-gen. A connection is built in three steps:
 * the two byte streams (requests; responses with their transfer and content
 * codings), the server stream cut into segments (some cuts forced inside
 * planted terms), then the frames in the order the adversities ask for.
 * Every body byte sent uncompressed is mapped back to its offset in the
 * document (struct run), which is what lets a lost segment mark exactly the
 * items it hides.
 */
#include "tools/gen/gen_net.h"

#include <brotli/encode.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tools/gen/gen_net_priv.h"

#define CHUNK_MAX   4096u
#define DUP_WINDOW  4u
#define SWAP_WINDOW 3u

/* adversities as applied to one response (bits) or to the whole connection */
enum {
	ADV_REORDER = 1u << 0,
	ADV_DUP = 1u << 1,
	ADV_OVERLAP = 1u << 2,
	ADV_WRAP = 1u << 3,
	ADV_MIDSTREAM = 1u << 4,
	ADV_LOSE = 1u << 5,
	ADV_FRAG = 1u << 6,
	ADV_IPV6 = 1u << 7,
	ADV_VLAN = 1u << 8,
	ADV_PIPELINED = 1u << 9,
	ADV__N = 10
};

static const char *const adv_names[ADV__N] = { "reorder",  "dup",  "overlap", "wrap", "midstream",
	                                       "lose_one", "frag", "ipv6",    "vlan", "pipelined" };

struct gbuf {
	uint8_t *p;
	size_t len, cap;
};

/* <len> document bytes from offset <body> sent at server-stream offset <wire> */
struct run {
	size_t wire, body, len;
};

struct resp {
	int doc;                   /* index into docs, -1 for the 304 */
	size_t start, body, end;   /* server-stream offsets: status line, body, next response */
	size_t req_start, req_end; /* the request it answers, client-stream offsets */
	bool compressed;
	size_t run0, nrun;
	uint32_t adv;
};

struct seg {
	size_t off;
	size_t len;
};

struct conn {
	const struct gen_conn_opts *o;
	struct gen_rng *rng;
	struct gen_doc *const *docs;
	uint32_t n;
	struct gbuf srv, cli, z, z2; /* z: the compressed body; z2: br's input when stacked */
	struct resp *resp;
	uint32_t nresp;
	struct run *runs;
	size_t nrun, caprun;
	size_t *cuts; /* forced segment boundaries, server-stream offsets */
	size_t ncut, capcut;
	size_t *bcuts; /* per document: forced chunk boundaries or flush points, body offsets */
	size_t nbcut, capbcut;
	struct seg *segs; /* the server stream, in order */
	size_t nseg, capseg;
	size_t *burst;   /* server bursts: first segment of each, plus the end */
	struct seg *out; /* one burst in sending order */
	size_t nout, capout;
	size_t lost; /* index into segs, or SIZE_MAX */
	uint32_t conn_adv;
	uint32_t cisn, sisn;
	struct gen_link link;
};

/* ---- growable arrays ---- */

/* <p> with room for <need> elements of <elem> bytes (grown by doubling), or NULL. */
static void *
grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap == 0 ? 64 : *cap;
	void *q;

	if (need <= *cap && p != NULL) {
		return p;
	}
	while (c < need) {
		c *= 2;
	}
	q = realloc(p, c * elem);
	if (q != NULL) {
		*cap = c;
	}
	return q;
}

static int
gb_reserve(struct gbuf *b, size_t n)
{
	uint8_t *q = grow(b->p, &b->cap, b->len + n, 1);

	if (q == NULL) {
		return -ENOMEM;
	}
	b->p = q;
	return 0;
}

static int
gb_put(struct gbuf *b, const void *d, size_t n)
{
	if (gb_reserve(b, n) != 0) {
		return -ENOMEM;
	}
	if (n > 0) {
		memcpy(b->p + b->len, d, n);
	}
	b->len += n;
	return 0;
}

static int __attribute__((format(printf, 2, 3))) gb_printf(struct gbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (gb_reserve(b, 512) != 0) {
		return -ENOMEM;
	}
	va_start(ap, fmt);
	n = vsnprintf((char *)b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return -EINVAL;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (gb_reserve(b, (size_t)n + 1) != 0) {
			return -ENOMEM;
		}
		va_start(ap, fmt);
		vsnprintf((char *)b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

static int
push_size(size_t **a, size_t *n, size_t *cap, size_t v)
{
	size_t *q = grow(*a, cap, *n + 1, sizeof(**a));

	if (q == NULL) {
		return -ENOMEM;
	}
	*a = q;
	q[(*n)++] = v;
	return 0;
}

static int
cmp_size(const void *a, const void *b)
{
	const size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int
push_run(struct conn *c, size_t wire, size_t body, size_t len)
{
	struct run *q = grow(c->runs, &c->caprun, c->nrun + 1, sizeof(*c->runs));

	if (q == NULL) {
		return -ENOMEM;
	}
	c->runs = q;
	c->runs[c->nrun++] = (struct run){ wire, body, len };
	return 0;
}

static int
push_seg(struct seg **a, size_t *n, size_t *cap, size_t off, size_t len)
{
	struct seg *q = grow(*a, cap, *n + 1, sizeof(**a));

	if (q == NULL) {
		return -ENOMEM;
	}
	*a = q;
	q[(*n)++] = (struct seg){ off, len };
	return 0;
}

const char *
gen_coding_name(enum gen_coding c)
{
	static const char *const names[GEN_CODING__MAX] = {
		"content-length", "chunked",     "gzip",   "gzip+chunked", "deflate", "br",
		"br+chunked",     "deflate-raw", "x-gzip", "gzip+br",      "close"
	};

	return (unsigned)c < GEN_CODING__MAX ? names[c] : "unknown";
}

/* ---- the two byte streams ---- */

static bool
is_br(enum gen_coding cod)
{
	return cod == GEN_CODING_BR || cod == GEN_CODING_BR_CHUNKED || cod == GEN_CODING_GZIP_BR;
}

/* The Content-Encoding field value of <cod>, NULL when the body is sent as is. */
static const char *
content_encoding(enum gen_coding cod)
{
	switch (cod) {
	case GEN_CODING_GZIP:
	case GEN_CODING_GZIP_CHUNKED:
		return "gzip";
	case GEN_CODING_DEFLATE:
	case GEN_CODING_DEFLATE_RAW:
		return "deflate";
	case GEN_CODING_X_GZIP:
		return "x-gzip";
	case GEN_CODING_BR:
	case GEN_CODING_BR_CHUNKED:
		return "br";
	case GEN_CODING_GZIP_BR:
		/* RFC 9110 §8.4: codings listed in the order they were applied */
		return "gzip, br";
	default:
		return NULL;
	}
}

/* The coding document <doc> of the connection is served with. */
static enum gen_coding
doc_coding(const struct gen_conn_opts *o, uint32_t doc, uint32_t n)
{
	/* a close-delimited body ends the connection: only the last document can have one */
	if (o->coding == GEN_CODING_CLOSE && doc + 1 < n) {
		return GEN_CODING_LENGTH;
	}
	return o->coding;
}

static int
put_request(struct conn *c, const struct gen_doc *d, bool conditional, uint32_t etag)
{
	int rc;

	rc = gb_printf(&c->cli,
	               "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: feedreader/2.1\r\n"
	               "Accept: application/rss+xml, application/atom+xml, application/json;q=0.9, "
	               "*/*;q=0.8\r\nAccept-Encoding: gzip, deflate%s\r\n",
	               d->path, d->host, is_br(c->o->coding) ? ", br" : "");
	if (rc == 0 && conditional) {
		rc = gb_printf(&c->cli,
		               "If-None-Match: \"%08x\"\r\n"
		               "If-Modified-Since: Wed, 31 Dec 2025 23:00:00 GMT\r\n",
		               etag);
	}
	return rc != 0 ? rc : gb_put(&c->cli, "\r\n", 2);
}

/*
 * Body offsets strictly inside planted terms, each hit with probability <p>,
 * sorted into c->bcuts (replacing what was there).
 */
static int
term_cuts(struct conn *c, const struct gen_doc *d, double p)
{
	uint32_t i;

	c->nbcut = 0;
	for (i = 0; i < d->n_hits; i++) {
		const struct gen_hit *h = &d->hits[i];

		if (h->at_len < 2 || h->at + h->at_len > d->len || !gen_rng_chance(c->rng, p)) {
			continue;
		}
		if (push_size(&c->bcuts, &c->nbcut, &c->capbcut,
		              h->at + 1 + gen_rng_below(c->rng, (uint32_t)(h->at_len - 1))) != 0) {
			return -ENOMEM;
		}
	}
	if (c->nbcut > 1) {
		qsort(c->bcuts, c->nbcut, sizeof(*c->bcuts), cmp_size);
	}
	return 0;
}

/*
 * <d>'s body compressed into c->z, zlib's <wbits> choosing the wrapper: gzip
 * (31, RFC 1952), zlib (15, RFC 1950, what "deflate" means in HTTP, RFC 9110
 * §8.4.1.2) or none (-15, raw RFC 1951, what some servers send as
 * "deflate"). Now and then a full flush inside a planted term, so that a term
 * straddles two independently decodable blocks.
 */
static int
compress_body(struct conn *c, const struct gen_doc *d, int wbits)
{
	/* mostly level 1, nginx's default: deflate is what bounds the generator's speed */
	const int level = gen_rng_chance(c->rng, 0.1) ? 6 : 1;
	z_stream zs;
	size_t pos = 0, k = 0;
	int rc = 0, zrc;

	memset(&zs, 0, sizeof(zs));
	if (term_cuts(c, d, 0.5) != 0) {
		return -ENOMEM;
	}
	if (deflateInit2(&zs, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		return -ENOMEM;
	}
	c->z.len = 0;
	for (;;) {
		size_t stop = k < c->nbcut ? c->bcuts[k] : d->len;
		const int flush = k < c->nbcut ? Z_FULL_FLUSH : Z_FINISH;

		if (stop < pos) {
			stop = pos; /* two cuts at one place */
		}
		zs.next_in = d->body + pos;
		zs.avail_in = (uInt)(stop - pos);
		do {
			if (gb_reserve(&c->z, 65536) != 0) {
				rc = -ENOMEM;
				goto out;
			}
			zs.next_out = c->z.p + c->z.len;
			zs.avail_out = (uInt)(c->z.cap - c->z.len);
			zrc = deflate(&zs, flush);
			c->z.len = c->z.cap - zs.avail_out;
			if (zrc == Z_STREAM_ERROR) {
				rc = -EIO;
				goto out;
			}
		} while (zs.avail_in > 0 || zs.avail_out == 0 ||
		         (flush == Z_FINISH && zrc != Z_STREAM_END));
		pos = stop;
		if (flush == Z_FINISH) {
			break;
		}
		k++;
	}
out:
	deflateEnd(&zs);
	return rc;
}

/*
 * <len> bytes at <src> compressed with brotli (RFC 7932) into <out>
 * (replacing what was there): quality 5..11, a 4 MiB window, now and then
 * 16 MiB (a decoder must not assume the default). With <d> (src is that
 * document's body), now and then a flush inside a planted term, so that the
 * term straddles two meta-blocks as it straddles two deflate blocks.
 */
static int
brotli_body(struct conn *c, const uint8_t *src, size_t len, const struct gen_doc *d,
            struct gbuf *out)
{
	const uint32_t quality = 5 + gen_rng_below(c->rng, 7);
	const uint32_t lgwin = gen_rng_chance(c->rng, 0.2) ? BROTLI_MAX_WINDOW_BITS : 22;
	BrotliEncoderState *bs;
	size_t pos = 0, k = 0, avail_in, avail_out;
	const uint8_t *next_in;
	uint8_t *next_out;
	int rc = 0;

	c->nbcut = 0;
	if (d != NULL && term_cuts(c, d, 0.5) != 0) {
		return -ENOMEM;
	}
	bs = BrotliEncoderCreateInstance(NULL, NULL, NULL);
	if (bs == NULL) {
		return -ENOMEM;
	}
	if (!BrotliEncoderSetParameter(bs, BROTLI_PARAM_QUALITY, quality) ||
	    !BrotliEncoderSetParameter(bs, BROTLI_PARAM_LGWIN, lgwin) ||
	    !BrotliEncoderSetParameter(bs, BROTLI_PARAM_SIZE_HINT,
	                               len > UINT32_MAX ? UINT32_MAX : (uint32_t)len)) {
		rc = -EINVAL;
		goto out;
	}
	out->len = 0;
	for (;;) {
		size_t stop = k < c->nbcut ? c->bcuts[k] : len;
		const BrotliEncoderOperation op =
		        k < c->nbcut ? BROTLI_OPERATION_FLUSH : BROTLI_OPERATION_FINISH;

		if (stop < pos) {
			stop = pos; /* two cuts at one place */
		}
		next_in = src + pos;
		avail_in = stop - pos;
		do {
			if (gb_reserve(out, 65536) != 0) {
				rc = -ENOMEM;
				goto out;
			}
			next_out = out->p + out->len;
			avail_out = out->cap - out->len;
			if (!BrotliEncoderCompressStream(bs, op, &avail_in, &next_in, &avail_out,
			                                 &next_out, NULL)) {
				rc = -EIO;
				goto out;
			}
			out->len = out->cap - avail_out;
		} while (avail_in > 0 || BrotliEncoderHasMoreOutput(bs) ||
		         (op == BROTLI_OPERATION_FINISH && !BrotliEncoderIsFinished(bs)));
		pos = stop;
		if (op == BROTLI_OPERATION_FINISH) {
			break;
		}
		k++;
	}
out:
	BrotliEncoderDestroyInstance(bs);
	return rc;
}

/* <d>'s body with the content coding(s) of <cod> into c->z. */
static int
encode_body(struct conn *c, const struct gen_doc *d, enum gen_coding cod)
{
	struct gbuf t;
	int rc;

	switch (cod) {
	case GEN_CODING_DEFLATE:
		return compress_body(c, d, 15);
	case GEN_CODING_DEFLATE_RAW:
		return compress_body(c, d, -15);
	case GEN_CODING_BR:
	case GEN_CODING_BR_CHUNKED:
		return brotli_body(c, d->body, d->len, d, &c->z);
	case GEN_CODING_GZIP_BR:
		rc = compress_body(c, d, 15 + 16);
		if (rc != 0) {
			return rc;
		}
		/* the gzip member is br's input: swap it into z2, br's output lands in z */
		t = c->z2;
		c->z2 = c->z;
		c->z = t;
		return brotli_body(c, c->z2.p, c->z2.len, NULL, &c->z);
	default:
		return compress_body(c, d, 15 + 16);
	}
}

/*
 * RFC 9112 §7.1 chunked coding of <len> bytes at <src>. With <d> (the body
 * sent as is), chunk boundaries fall now and then inside planted terms and
 * every chunk's data is recorded as a run.
 */
static int
put_chunked(struct conn *c, const uint8_t *src, size_t len, const struct gen_doc *d)
{
	static const char *const ext[] = { ";ext", ";name=value", ";q=\"a b\"", ";sig=0a1b" };
	size_t pos = 0, k = 0, size;
	int rc = 0;

	if (d != NULL && term_cuts(c, d, 0.5) != 0) {
		return -ENOMEM;
	}
	while (rc == 0 && pos < len) {
		size = 1 + gen_rng_below(c->rng, CHUNK_MAX);
		if (size > len - pos) {
			size = len - pos;
		}
		while (d != NULL && k < c->nbcut && c->bcuts[k] <= pos) {
			k++;
		}
		if (d != NULL && k < c->nbcut && c->bcuts[k] < pos + size) {
			size = c->bcuts[k] - pos;
		}
		rc = gb_printf(&c->srv, "%zx%s\r\n", size,
		               gen_rng_chance(c->rng, 0.05) ? ext[gen_rng_below(c->rng, 4)] : "");
		if (rc == 0 && d != NULL) {
			rc = push_run(c, c->srv.len, pos, size);
		}
		if (rc == 0) {
			rc = gb_put(&c->srv, src + pos, size);
		}
		if (rc == 0) {
			rc = gb_put(&c->srv, "\r\n", 2);
		}
		pos += size;
	}
	return rc != 0 ? rc
	               : gb_printf(&c->srv, "0\r\nX-Feed-Checksum: %08x\r\n\r\n",
	                           (uint32_t)gen_rng_next(c->rng));
}

/* Server-stream offsets inside terms of the document sent as is in runs [run0, nrun). */
static int
segment_cuts(struct conn *c, const struct gen_doc *d, size_t run0)
{
	size_t i, r = run0;

	if (term_cuts(c, d, 0.5) != 0) {
		return -ENOMEM;
	}
	for (i = 0; i < c->nbcut; i++) {
		const size_t b = c->bcuts[i];

		while (r < c->nrun && c->runs[r].body + c->runs[r].len <= b) {
			r++;
		}
		if (r == c->nrun) {
			break;
		}
		if (b > c->runs[r].body &&
		    push_size(&c->cuts, &c->ncut, &c->capcut,
		              c->runs[r].wire + (b - c->runs[r].body)) != 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

static int
put_response(struct conn *c, struct resp *r, const struct gen_doc *d, uint32_t etag)
{
	const enum gen_coding cod = doc_coding(c->o, (uint32_t)r->doc, c->n);
	const bool chunked = cod == GEN_CODING_CHUNKED || cod == GEN_CODING_GZIP_CHUNKED ||
	                     cod == GEN_CODING_BR_CHUNKED;
	const char *const ce = content_encoding(cod);
	int rc;

	r->compressed = ce != NULL;
	if (r->compressed) {
		rc = encode_body(c, d, cod);
		if (rc != 0) {
			return rc;
		}
	}
	rc = gb_printf(&c->srv,
	               "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: %s\r\n"
	               "Cache-Control: max-age=300\r\nETag: \"%08x\"\r\n",
	               d->content_type, etag);
	if (rc == 0 && r->compressed) {
		rc = gb_printf(&c->srv, "Content-Encoding: %s\r\nVary: Accept-Encoding\r\n", ce);
	}
	if (rc == 0 && cod == GEN_CODING_CLOSE) {
		/* RFC 9112 §6.3 item 8: no length, the body ends where the server closes (§9.6) */
		rc = gb_printf(&c->srv, "Connection: close\r\n\r\n");
	} else if (rc == 0) {
		rc = chunked ? gb_printf(&c->srv, "Transfer-Encoding: chunked\r\n\r\n")
		             : gb_printf(&c->srv, "Content-Length: %zu\r\n\r\n",
		                         r->compressed ? c->z.len : d->len);
	}
	if (rc != 0) {
		return rc;
	}
	r->body = c->srv.len;
	r->run0 = c->nrun;
	if (r->compressed) {
		rc = chunked ? put_chunked(c, c->z.p, c->z.len, NULL)
		             : gb_put(&c->srv, c->z.p, c->z.len);
	} else if (chunked) {
		rc = put_chunked(c, d->body, d->len, d);
	} else {
		rc = push_run(c, c->srv.len, 0, d->len);
		if (rc == 0) {
			rc = gb_put(&c->srv, d->body, d->len);
		}
	}
	r->nrun = c->nrun - r->run0;
	if (rc == 0 && !r->compressed) {
		rc = segment_cuts(c, d, r->run0);
	}
	return rc;
}

/* The requests and the responses, one resp per request. */
static int
build_streams(struct conn *c)
{
	const uint32_t nresp = c->n + (c->o->with_304 ? 1 : 0);
	uint32_t i, etag;
	int rc = 0;

	c->resp = calloc(nresp, sizeof(*c->resp));
	if (c->resp == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < nresp && rc == 0; i++) {
		struct resp *r = &c->resp[i];
		const int doc = c->o->with_304 ? (int)i - 1 : (int)i;
		const struct gen_doc *d = c->docs[doc < 0 ? 0 : doc];

		etag = (uint32_t)gen_rng_next(c->rng);
		r->doc = doc;
		r->req_start = c->cli.len;
		rc = put_request(c, d, doc < 0, etag);
		r->req_end = c->cli.len;
		r->start = c->srv.len;
		if (rc != 0) {
			break;
		}
		if (doc < 0) {
			/* RFC 9110 §15.4.5: a 304 has no content */
			rc = gb_printf(
			        &c->srv,
			        "HTTP/1.1 304 Not Modified\r\nServer: nginx\r\nETag: \"%08x\"\r\n"
			        "Cache-Control: max-age=300\r\n\r\n",
			        etag);
			r->body = c->srv.len;
		} else {
			rc = put_response(c, r, d, etag);
		}
		r->end = c->srv.len;
		c->nresp = i + 1;
	}
	if (c->ncut > 1) {
		qsort(c->cuts, c->ncut, sizeof(*c->cuts), cmp_size);
	}
	return rc;
}

/* ---- segments and the order they go out in ---- */

static size_t
seg_size(struct conn *c)
{
	return c->o->seg_min + gen_rng_below(c->rng, c->o->seg_max - c->o->seg_min + 1);
}

/* Cuts server stream [a, b) into segments, honouring the forced cuts. */
static int
segment_burst(struct conn *c, size_t a, size_t b, size_t *ci)
{
	size_t pos = a, size;

	while (pos < b) {
		size = seg_size(c);
		if (size > b - pos) {
			size = b - pos;
		}
		while (*ci < c->ncut && c->cuts[*ci] <= pos) {
			(*ci)++;
		}
		if (*ci < c->ncut && c->cuts[*ci] < pos + size) {
			size = c->cuts[*ci] - pos;
		}
		if (push_seg(&c->segs, &c->nseg, &c->capseg, pos, size) != 0) {
			return -ENOMEM;
		}
		pos += size;
	}
	return 0;
}

static uint32_t
nbursts(const struct conn *c)
{
	return c->o->pipelined ? 1 : c->nresp;
}

static int
segment_all(struct conn *c)
{
	const uint32_t nb = nbursts(c);
	size_t ci = 0;
	uint32_t k;

	c->burst = calloc(nb + 1, sizeof(*c->burst));
	if (c->burst == NULL) {
		return -ENOMEM;
	}
	for (k = 0; k < nb; k++) {
		const size_t a = c->o->pipelined ? 0 : c->resp[k].start;
		const size_t b = c->o->pipelined ? c->srv.len : c->resp[k].end;

		c->burst[k] = c->nseg;
		if (segment_burst(c, a, b, &ci) != 0) {
			return -ENOMEM;
		}
	}
	c->burst[nb] = c->nseg;
	return 0;
}

/* The response holding server-stream offset <off>. */
static struct resp *
resp_at(struct conn *c, size_t off)
{
	uint32_t lo = 0, hi = c->nresp;

	while (hi - lo > 1) {
		const uint32_t mid = (lo + hi) / 2;

		if (c->resp[mid].start <= off) {
			lo = mid;
		} else {
			hi = mid;
		}
	}
	return &c->resp[lo];
}

/*
 * Pick the one lost segment among those carrying body bytes (never the first
 * server segment of a midstream capture: that is where the stream starts)
 * and mark what it hides.
 */
static void
choose_loss(struct conn *c)
{
	size_t cand = 0, pick, i, la, lb, lost_off;
	const size_t first = c->o->midstream ? 1 : 0;
	bool hit = false;
	uint32_t k, j;

	c->lost = SIZE_MAX;
	for (i = first; i < c->nseg; i++) {
		const struct resp *r = resp_at(c, c->segs[i].off + c->segs[i].len - 1);

		cand += r->end > r->body && c->segs[i].off + c->segs[i].len > r->body;
	}
	if (cand == 0) {
		return;
	}
	pick = gen_rng_below(c->rng, (uint32_t)(cand > UINT32_MAX ? UINT32_MAX : cand));
	for (i = first; i < c->nseg; i++) {
		const struct resp *r = resp_at(c, c->segs[i].off + c->segs[i].len - 1);

		if (r->end > r->body && c->segs[i].off + c->segs[i].len > r->body && pick-- == 0) {
			break;
		}
	}
	c->lost = i;
	la = c->segs[i].off;
	lb = la + c->segs[i].len;
	for (k = 0; k < c->nresp; k++) {
		struct resp *r = &c->resp[k];
		struct gen_doc *d;

		if (r->doc < 0) {
			continue;
		}
		d = c->docs[r->doc];
		lost_off = 0;
		if (!hit && r->body < lb && la < r->end && r->end > r->body) {
			hit = true;
			r->adv |= ADV_LOSE;
			lost_off = d->len;
			if (r->compressed) {
				/* compressed offsets do not map to the document: all of it */
				lost_off = 0;
			}
			for (j = 0; j < r->nrun && !r->compressed; j++) {
				const struct run *u = &c->runs[r->run0 + j];

				if (u->wire + u->len > la) {
					lost_off = u->body + (la > u->wire ? la - u->wire : 0);
					break;
				}
			}
		} else if (!hit) {
			continue;
		}
		for (j = 0; j < d->n_items; j++) {
			if (d->items[j].end > lost_off) {
				d->items[j].undetectable = true;
			}
		}
	}
}

/* Server burst segs [s0, s1) in sending order into c->out, the adversities applied. */
static int
order_burst(struct conn *c, size_t s0, size_t s1, bool pin_first)
{
	const struct gen_conn_opts *o = c->o;
	struct seg pend[DUP_WINDOW + 1];
	size_t due[DUP_WINDOW + 1], npend = 0, i, j, m;

	c->nout = 0;
	for (i = s0; i < s1; i++) {
		const struct seg *s = &c->segs[i];

		if (push_seg(&c->out, &c->nout, &c->capout, s->off, s->len) != 0) {
			return -ENOMEM;
		}
		/* a retransmission reaching into the next segment, same bytes (RFC 9293 §3.10.7.4) */
		if (i + 1 < s1 && o->overlap > 0 && gen_rng_chance(c->rng, o->overlap)) {
			size_t len =
			        s->len + 1 + gen_rng_below(c->rng, (uint32_t)c->segs[i + 1].len);

			if (len > GEN_FRAME_MAX_PAYLOAD) {
				len = GEN_FRAME_MAX_PAYLOAD;
			}
			if (push_seg(&c->out, &c->nout, &c->capout, s->off, len) != 0) {
				return -ENOMEM;
			}
			resp_at(c, s->off)->adv |= ADV_OVERLAP;
			resp_at(c, s->off + len - 1)->adv |= ADV_OVERLAP;
		}
		if (npend < DUP_WINDOW && o->dup > 0 && gen_rng_chance(c->rng, o->dup)) {
			pend[npend] = *s;
			due[npend++] = c->nout + gen_rng_below(c->rng, DUP_WINDOW);
			resp_at(c, s->off)->adv |= ADV_DUP;
		}
		for (j = 0; j < npend;) {
			if (due[j] <= c->nout || i + 1 == s1) {
				if (push_seg(&c->out, &c->nout, &c->capout, pend[j].off,
				             pend[j].len) != 0) {
					return -ENOMEM;
				}
				pend[j] = pend[--npend];
				due[j] = due[npend];
			} else {
				j++;
			}
		}
	}
	m = c->nout;
	for (i = pin_first ? 1 : 0; i + 1 < m && o->reorder > 0; i++) {
		if (gen_rng_chance(c->rng, o->reorder)) {
			const size_t w = m - 1 - i < SWAP_WINDOW ? m - 1 - i : SWAP_WINDOW;
			const size_t d = i + 1 + gen_rng_below(c->rng, (uint32_t)w);
			const struct seg t = c->out[i];

			c->out[i] = c->out[d];
			c->out[d] = t;
			resp_at(c, c->out[i].off)->adv |= ADV_REORDER;
			resp_at(c, c->out[d].off)->adv |= ADV_REORDER;
		}
	}
	if (c->lost != SIZE_MAX && c->lost >= s0 && c->lost < s1) {
		/* nothing that carries a lost byte goes out: no dup or overlap fills the hole */
		const size_t la = c->segs[c->lost].off, lb = la + c->segs[c->lost].len;

		for (i = 0, j = 0; i < m; i++) {
			if (c->out[i].off < lb && la < c->out[i].off + c->out[i].len) {
				continue;
			}
			c->out[j++] = c->out[i];
		}
		c->nout = j;
	}
	return 0;
}

/* ---- frames ---- */

static uint32_t
gap(struct conn *c, uint32_t base, uint32_t spread)
{
	return base + gen_rng_below(c->rng, spread);
}

static int
send_client(struct conn *c, size_t a, size_t b, uint32_t srv_acked, uint32_t first_gap)
{
	size_t pos = a, size;
	int rc = 0;

	while (rc == 0 && pos < b) {
		size = seg_size(c);
		if (size > b - pos) {
			size = b - pos;
		}
		rc = gen_frame_tcp(&c->link, false, c->cisn + 1 + (uint32_t)pos, srv_acked,
		                   GEN_TH_PSH | GEN_TH_ACK, c->cli.p + pos, size,
		                   pos == a ? first_gap : gap(c, 1, 40));
		pos += size;
	}
	return rc;
}

static int
send_burst(struct conn *c, uint32_t k, size_t cli_end, uint32_t rtt)
{
	size_t i;
	int rc;

	rc = order_burst(c, c->burst[k], c->burst[k + 1], c->o->midstream && k == 0);
	for (i = 0; rc == 0 && i < c->nout; i++) {
		const struct seg *s = &c->out[i];

		rc = gen_frame_tcp(&c->link, true, c->sisn + 1 + (uint32_t)s->off,
		                   c->cisn + 1 + (uint32_t)cli_end, GEN_TH_PSH | GEN_TH_ACK,
		                   c->srv.p + s->off, s->len,
		                   i == 0 ? rtt / 2 + gen_rng_below(c->rng, 3000) : gap(c, 1, 60));
	}
	if (rc == 0 && c->nout > 0) {
		const size_t end =
		        c->segs[c->burst[k + 1] - 1].off + c->segs[c->burst[k + 1] - 1].len;

		rc = gen_frame_tcp(&c->link, false, c->cisn + 1 + (uint32_t)cli_end,
		                   c->sisn + 1 + (uint32_t)end, GEN_TH_ACK, NULL, 0, rtt / 2);
	}
	return rc;
}

static int
send_all(struct conn *c)
{
	const uint32_t rtt = gap(c, 200, 20000);
	const uint32_t s1 = c->sisn + 1, c1 = c->cisn + 1;
	size_t srv_done = 0;
	uint32_t k;
	int rc = 0;

	if (!c->o->midstream) {
		/* RFC 9293 §3.5: the three-way handshake */
		rc = gen_frame_tcp(&c->link, false, c->cisn, 0, GEN_TH_SYN, NULL, 0,
		                   gap(c, 1, 1000));
		if (rc == 0) {
			rc = gen_frame_tcp(&c->link, true, c->sisn, c1, GEN_TH_SYN | GEN_TH_ACK,
			                   NULL, 0, rtt / 2);
		}
		if (rc == 0) {
			rc = gen_frame_tcp(&c->link, false, c1, s1, GEN_TH_ACK, NULL, 0, rtt / 2);
		}
	}
	if (c->o->pipelined) {
		if (rc == 0) {
			rc = send_client(c, 0, c->cli.len, s1, gap(c, 1, 100));
		}
		if (rc == 0) {
			rc = send_burst(c, 0, c->cli.len, rtt);
		}
	} else {
		for (k = 0; rc == 0 && k < c->nresp; k++) {
			rc = send_client(c, c->resp[k].req_start, c->resp[k].req_end,
			                 s1 + (uint32_t)srv_done, gap(c, 1, 2000));
			if (rc == 0) {
				rc = send_burst(c, k, c->resp[k].req_end, rtt);
			}
			srv_done = c->resp[k].end;
		}
	}
	/* RFC 9293 §3.6: the server closes first, the client answers */
	if (rc == 0) {
		rc = gen_frame_tcp(&c->link, true, s1 + (uint32_t)c->srv.len,
		                   c1 + (uint32_t)c->cli.len, GEN_TH_FIN | GEN_TH_ACK, NULL, 0,
		                   gap(c, 1, 5000));
	}
	if (rc == 0) {
		rc = gen_frame_tcp(&c->link, false, c1 + (uint32_t)c->cli.len,
		                   s1 + (uint32_t)c->srv.len + 1, GEN_TH_FIN | GEN_TH_ACK, NULL, 0,
		                   rtt / 2);
	}
	if (rc == 0) {
		rc = gen_frame_tcp(&c->link, true, s1 + (uint32_t)c->srv.len + 1,
		                   c1 + (uint32_t)c->cli.len + 1, GEN_TH_ACK, NULL, 0, rtt / 2);
	}
	return rc;
}

/* ---- the connection ---- */

static void
choose_isns(struct conn *c)
{
	uint32_t k;

	c->cisn = (uint32_t)gen_rng_next(c->rng);
	c->sisn = (uint32_t)gen_rng_next(c->rng);
	if (!c->o->wrap) {
		return;
	}
	/* stream offset x has sequence number sisn + 1 + x: wrap inside the first body */
	for (k = 0; k < c->nresp; k++) {
		const struct resp *r = &c->resp[k];

		if (r->end > r->body) {
			c->sisn = 0xffffffffu -
			          (uint32_t)(r->body +
			                     gen_rng_below(c->rng, (uint32_t)(r->end - r->body)));
			return;
		}
	}
	c->sisn = 0xffffffffu - gen_rng_below(c->rng, 16);
}

static void
describe(struct conn *c)
{
	uint32_t k, a, bits;
	size_t wrap_at = (size_t)(0xffffffffu - c->sisn); /* offset whose sequence number is 0 */

	if (wrap_at > 0 && wrap_at < c->srv.len) {
		resp_at(c, wrap_at)->adv |= ADV_WRAP;
	}
	for (k = 0; k < c->nresp; k++) {
		const struct resp *r = &c->resp[k];
		struct gen_doc *d;
		size_t used = 0;

		if (r->doc < 0) {
			continue;
		}
		d = c->docs[r->doc];
		bits = r->adv | c->conn_adv;
		if (c->o->with_304 && r->doc == 0) {
			bits |= c->resp[0].adv;
		}
		d->adversity[0] = '\0';
		for (a = 0; a < ADV__N; a++) {
			if ((bits & (1u << a)) != 0 &&
			    used + strlen(adv_names[a]) + 2 < sizeof(d->adversity)) {
				used += (size_t)snprintf(d->adversity + used,
				                         sizeof(d->adversity) - used, "%s%s",
				                         used > 0 ? "," : "", adv_names[a]);
			}
		}
	}
}

static void
conn_fini(struct conn *c)
{
	gen_frame_link_fini(&c->link);
	free(c->srv.p);
	free(c->cli.p);
	free(c->z.p);
	free(c->z2.p);
	free(c->resp);
	free(c->runs);
	free(c->cuts);
	free(c->bcuts);
	free(c->segs);
	free(c->burst);
	free(c->out);
}

int
gen_net_http(struct gen_pcap *p, struct gen_rng *rng, const struct gen_conn_opts *o,
             struct gen_doc *const *docs, uint32_t n, uint32_t conn_id)
{
	struct conn c;
	uint32_t i;
	int rc;

	if (n == 0 || o->seg_min == 0 || o->seg_min > o->seg_max ||
	    o->seg_max > GEN_FRAME_MAX_PAYLOAD || (unsigned)o->coding >= GEN_CODING__MAX) {
		return -EINVAL;
	}
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.rng = rng;
	c.docs = docs;
	c.n = n;
	c.lost = SIZE_MAX;
	rc = gen_frame_link_init(&c.link, p, rng, conn_id, conn_id % 5 == 4 ? 8080 : 80, o->ipv6,
	                         o->vlan);
	if (rc != 0) {
		goto fail;
	}
	c.link.frag = o->frag && !o->ipv6;
	c.conn_adv = (o->midstream ? ADV_MIDSTREAM : 0) | (c.link.frag ? ADV_FRAG : 0) |
	             (o->ipv6 ? ADV_IPV6 : 0) | (o->vlan ? ADV_VLAN : 0) |
	             (o->pipelined ? ADV_PIPELINED : 0);
	for (i = 0; i < n; i++) {
		struct gen_doc *d = docs[i];

		snprintf(d->url, sizeof(d->url), "http://%s%s", d->host, d->path);
		snprintf(d->coding, sizeof(d->coding), "%s", gen_coding_name(doc_coding(o, i, n)));
	}
	rc = build_streams(&c);
	if (rc != 0) {
		goto fail;
	}
	choose_isns(&c);
	rc = segment_all(&c);
	if (rc != 0) {
		goto fail;
	}
	if (o->lose_one) {
		choose_loss(&c);
	}
	rc = send_all(&c);
	/* after sending: the order of the segments is decided while they go out */
	describe(&c);
fail:
	conn_fini(&c);
	return rc;
}

int
gen_net_udp(struct gen_pcap *p, struct gen_rng *rng, struct gen_doc *doc, uint16_t port, bool ipv6,
            uint32_t conn_id)
{
	struct gen_link l;
	char ep[80];
	int rc;

	if (doc->len > 65507) {
		return -EMSGSIZE;
	}
	rc = gen_frame_link_init(&l, p, rng, conn_id, port, ipv6, false);
	if (rc != 0) {
		return rc;
	}
	l.port[0] = (uint16_t)(1024 + gen_rng_below(rng, 64512));
	gen_frame_endpoint(&l, 1, ep, sizeof(ep));
	snprintf(doc->url, sizeof(doc->url), "udp://%s", ep);
	snprintf(doc->coding, sizeof(doc->coding), "udp");
	snprintf(doc->adversity, sizeof(doc->adversity), "%s", ipv6 ? "ipv6" : "");
	rc = gen_frame_udp(&l, doc->body, doc->len, 1 + gen_rng_below(rng, 1000));
	gen_frame_link_fini(&l);
	return rc;
}
