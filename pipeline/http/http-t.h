/*
 * HTTP connection state, embedded by value in the engine's per-flow state
 * (zeroed means "nothing seen yet"). Owned by http/; other modules only
 * embed it.
 *
 * Lifecycle: each direction has its own resumable parser (struct http_dir).
 * A complete request header block appends one entry to the pending queue;
 * the final (non-1xx) response header block pops the oldest entry, so
 * pipelined requests pair with their responses in order. The URLs of the
 * queued requests, and the target of the request being parsed, share one
 * byte pool (url_pool) so that one flow's state stays under 2 KiB: a URL is
 * truncated when the pool is short (never below what a typical feed URL
 * needs). A request that finds the queue full is dropped and only counted
 * (lost_tail / lost_before keep the order), so its response is reported as
 * unpaired instead of shifting every later pairing. A compressed body
 * borrows a z_stream (with its arena) from the worker's struct http_zpool
 * for each of its codings (up to HTTP_MAX_CODINGS stacked) when it starts,
 * and gives them back when its stream or the body ends, on bypass, or in
 * http_conn_release(): nothing is allocated per flow.
 */
#ifndef FW_HTTP_T_H
#define FW_HTTP_T_H

#include <stdbool.h>
#include <stdint.h>

#define HTTP_MAX_PENDING 4    /* pipelined requests awaiting their response */
#define HTTP_MAX_URL     512  /* "http://" + host + target, truncated beyond */
#define HTTP_URL_POOL    1024 /* bytes shared by the pending URLs and the target being parsed */
#define HTTP_MAX_HOST    256  /* Host header value kept (a DNS name is at most 253) */
#define HTTP_MAX_CTYPE   128  /* Content-Type value kept */
#define HTTP_MAX_CODINGS 3    /* stacked Content-Encodings decoded (gzip, gzip, deflate...) */
#define HTTP_MAX_METHOD  16   /* longest method token accepted */

/* How a queued request's bytes in url_pool read (struct http_req_info.form). */
enum http_target_form {
	HTTP_FORM_ORIGIN =
	        0, /* "http://" Host target: the URL; Host is its bytes [7, 7 + host_len) */
	HTTP_FORM_ABSOLUTE,  /* the absolute-form target: the URL; host is its authority */
	HTTP_FORM_NO_HOST,   /* the origin-form target of a request without Host: no URL */
	HTTP_FORM_AUTHORITY, /* CONNECT's authority-form target (RFC 9110 §9.3.6): no URL */
};

/*
 * One queued request; its URL (or, with no URL, its target) is in
 * http_conn.url_pool after its predecessors'.
 */
struct http_req_info {
	uint16_t url_len;  /* bytes in url_pool (the URL, or the target when form says no URL) */
	uint16_t host_len; /* HTTP_FORM_ORIGIN: bytes of Host in the URL */
	uint8_t form;      /* enum http_target_form */
	uint8_t method_len;
	char method[HTTP_MAX_METHOD]; /* as sent (RFC 9110 §9.1: case-sensitive) */
	uint8_t lost_before; /* requests dropped at queue overflow that came before this one */
	bool is_head;        /* a HEAD request: its response has no body */
	bool is_connect;     /* a CONNECT request: a 2xx response turns the flow into a tunnel */
	bool is_upgrade;     /* the request carried Upgrade: only then may a 101 switch protocols */
};

/* One direction's parser position. Fields are private to http/. */
struct http_dir {
	uint8_t state;
	uint8_t sink;       /* where the current header value goes */
	uint8_t name_len;   /* bytes of the header name (or method) so far */
	uint8_t val_len;    /* bytes in val */
	uint16_t flags;     /* per-message flags, private to http/ */
	uint16_t tok_len;   /* bytes of the current token or line, checked against its limit */
	uint32_t hdr_bytes; /* bytes of the current header block or trailer section */
	uint64_t length;    /* Content-Length value */
	uint64_t remaining; /* body bytes left: Content-Length or the current chunk */
	char name[20];      /* lower-cased header name (long names are not kept) */
	char val[32];       /* small header values: Content-Length, codings */
};

struct http_conn {
	bool bypass;
	/* pairing */
	uint8_t pending_count;
	uint8_t lost_tail;  /* dropped requests after the last queued one */
	uint16_t pool_used; /* url_pool bytes held by the queued URLs */
	struct http_req_info pending[HTTP_MAX_PENDING];
	/* request direction */
	struct http_dir req;
	bool req_is_head, req_is_connect, target_abs;
	bool req_is_upgrade; /* the request being parsed carries Upgrade */
	bool tunnel;         /* inside a CONNECT tunnel, no message read there yet */
	uint8_t req_method_len;
	char req_method[HTTP_MAX_METHOD]; /* method of the request being parsed */
	uint16_t target_len;              /* target bytes stored at url_pool + pool_used */
	uint16_t host_len;
	/* response direction */
	struct http_dir rsp;
	uint16_t status;
	uint8_t encoding; /* first coding undone: 0 identity, 1 gzip, 2 deflate, 3 too many, 4 br */
	uint8_t body_flags; /* decoder state of the current body, private to http/ */
	uint8_t zhdr;       /* first byte of a deflate body, held to tell zlib from raw */
	uint8_t content_type_len;
	bool rsp_nobody;     /* the last response had no body: bytes may follow where none belong */
	uint64_t body_bytes; /* decoded bytes delivered for the current response */
	uint64_t body_in;    /* its bytes as received (de-chunked), for the ratio limit */
	void *zs;            /* z_stream borrowed from http_env.zpool for this body */
	/* Content-Encoding layers, private to http/ (http_body.c) */
	uint8_t ce_n;                         /* codings listed; HTTP_MAX_CODINGS + 1: too many */
	uint8_t zbr;                          /* bit i: layer i's slot holds a brotli decoder */
	uint8_t ce[HTTP_MAX_CODINGS];         /* in the order the server applied them */
	uint8_t zmode[HTTP_MAX_CODINGS];      /* per decoding layer, the first undone first */
	uint8_t zhstate[HTTP_MAX_CODINGS];    /* gzip member header parse position */
	uint8_t zflg[HTTP_MAX_CODINGS];       /* gzip FLG byte */
	uint16_t zskip[HTTP_MAX_CODINGS];     /* gzip header bytes left in the current part */
	void *zs_inner[HTTP_MAX_CODINGS - 1]; /* streams of the inner layers (zs is the first) */
	char content_type[HTTP_MAX_CTYPE];
	char host[HTTP_MAX_HOST];
	char url_pool[HTTP_URL_POOL];
};

#endif
