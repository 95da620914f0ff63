/*
 * HTTP connection state, embedded by value in the engine's per-flow state
 * (zeroed means "nothing seen yet"). Owned by http/; other modules only
 * embed it.
 */
#ifndef FW_HTTP_T_H
#define FW_HTTP_T_H

#include <stdbool.h>
#include <stdint.h>

#define HTTP_MAX_PENDING 4  /* pipelined requests awaiting their response */
#define HTTP_MAX_URL	 512 /* "http://" + host + target, truncated beyond */

struct http_req_info {
	uint16_t url_len;
	char url[HTTP_MAX_URL];
	bool is_head; /* a HEAD request: its response has no body */
};

struct http_conn {
	bool bypass;
	/* request direction */
	uint8_t req_state;
	uint16_t req_tok_len;
	struct http_req_info req_cur;
	struct http_req_info pending[HTTP_MAX_PENDING];
	uint8_t pending_head, pending_count;
	/* response direction */
	uint8_t rsp_state;
	uint16_t rsp_tok_len;
	int status;
	bool chunked;
	uint8_t encoding; /* 0 identity, 1 gzip, 2 deflate */
	bool has_length;
	uint64_t remaining; /* Content-Length or current chunk bytes left */
	uint64_t body_bytes;
	char hdr_name[32];
	char hdr_val[160];
	uint8_t hdr_val_len;
	char content_type[128];
	uint8_t content_type_len;
	void *zs; /* z_stream, allocated when a compressed body starts */
	struct http_req_info rsp_req; /* the request this response answers */
};

#endif
