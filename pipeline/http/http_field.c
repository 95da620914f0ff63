/*
 * HTTP/1.1 header fields (RFC 9112 §5), shared by requests and responses:
 * field lines read byte by byte, the framing fields (Content-Length,
 * Transfer-Encoding) and the ones a feed needs (Host, Content-Encoding,
 * Content-Type) kept in small fixed fields, the rest skipped. Start lines and
 * pairing are in http.c, bodies in http_body.c.
 */
#include <string.h>

#include "http/http_priv.h"

static void
field_begin(struct http_conn *h, struct http_dir *d, bool is_req)
{
	const char *n = d->name;
	const size_t len = d->name_len;

	d->sink = SINK_NONE;
	d->val_len = 0;
	d->flags &= (uint16_t)~HF_TOKEN_RESET;
	if (len > sizeof(d->name)) {
		return;
	}
	if (len == 14 && memcmp(n, "content-length", 14) == 0) {
		d->sink = SINK_CL;
	} else if (len == 17 && memcmp(n, "transfer-encoding", 17) == 0) {
		d->sink = SINK_TE;
		d->flags |= HF_HAS_TE;
	} else if (is_req) {
		if (len == 4 && memcmp(n, "host", 4) == 0 && h->host_len == 0) {
			/* RFC 9112 §3.2: one Host; a second one is ignored */
			d->sink = SINK_HOST;
		} else if (len == 7 && memcmp(n, "upgrade", 7) == 0) {
			h->req_is_upgrade = true;
		}
	} else if (len == 16 && memcmp(n, "content-encoding", 16) == 0) {
		d->sink = SINK_CE;
	} else if (len == 12 && memcmp(n, "content-type", 12) == 0) {
		/* the last Content-Type wins */
		d->sink = SINK_CTYPE;
		h->content_type_len = 0;
	}
}

/*
 * RFC 9110 §8.4: the codings of Content-Encoding, in the order they were
 * applied, across every Content-Encoding field. identity is a no-op. Read
 * as libhtp reads them: x-deflate is deflate, and a coding we do not know
 * (compress, zstd, lzma, junk) is ignored (counted), so the body still reaches the
 * consumer, decoded by the codings we know or raw.
 */
static void
coding_end(struct http_conn *h, const struct http_env *env, struct http_dir *d)
{
	size_t n = d->val_len;
	uint8_t enc;

	d->val_len = 0;
	if (n == 0 || eq_ci(d->val, n, "identity")) {
		return;
	}
	if (eq_ci(d->val, n, "gzip") || eq_ci(d->val, n, "x-gzip")) {
		enc = HTTP_ENC_GZIP;
	} else if (eq_ci(d->val, n, "deflate") || eq_ci(d->val, n, "x-deflate")) {
		enc = HTTP_ENC_DEFLATE;
	} else if (eq_ci(d->val, n, "br")) {
		enc = HTTP_ENC_BR;
	} else {
		counters_inc(env->c, CNT_http_ce_unknown);
		return;
	}
	if (h->ce_n < HTTP_MAX_CODINGS) {
		h->ce[h->ce_n] = enc;
	}
	if (h->ce_n <= HTTP_MAX_CODINGS) {
		h->ce_n++;
	}
}

static void
sink_byte(struct http_conn *h, const struct http_env *env, struct http_dir *d, uint8_t c)
{
	switch (d->sink) {
	case SINK_CL:
		if (d->val_len == 0 && is_ws(c)) {
			return;
		}
		if (d->val_len == sizeof(d->val)) {
			/* only the first number is used; note the overflow */
			d->flags |= HF_TOKEN_RESET;
			return;
		}
		d->val[d->val_len++] = (char)c;
		break;
	case SINK_TE:
		/*
		 * RFC 9112 §6.1 reads only a final "chunked" coding as chunked.
		 * As libhtp does, "chunked" anywhere in any Transfer-Encoding
		 * field (any case, NULs dropped) selects chunked: a server that
		 * hides it in junk ("xchunked", "chunked x", "chu\0nked") is read
		 * as browsers read it, and a body that is not chunked after all
		 * falls back to close-delimited (http_body.c). val_len is the
		 * number of bytes of "chunked" matched so far.
		 */
		if (c == 0) {
			return;
		}
		c = to_lower(c);
		if (c == (uint8_t) "chunked"[d->val_len]) {
			if (++d->val_len == 7) {
				d->flags |= HF_TE_CHUNKED;
				d->val_len = 0;
			}
		} else {
			d->val_len = c == 'c' ? 1 : 0;
		}
		break;
	case SINK_CE:
		if (c == 0) {
			/* "gz\0ip" is gzip to libhtp */
			return;
		}
		if (!is_tchar(c)) {
			/*
			 * RFC 9110 §8.4: codings are tokens separated by commas;
			 * any other byte that is no tchar (SP, ";", ":", 0xa0)
			 * separates codings too, as libhtp reads them.
			 */
			coding_end(h, env, d);
			return;
		}
		if (d->val_len < sizeof(d->val)) {
			d->val[d->val_len++] = (char)c;
		} else {
			/* too long to be a coding we decode */
			d->val[0] = '?';
		}
		break;
	case SINK_CTYPE:
		if ((h->content_type_len == 0 && is_ws(c)) ||
		    h->content_type_len == sizeof(h->content_type)) {
			return;
		}
		h->content_type[h->content_type_len++] = (char)c;
		break;
	case SINK_HOST:
		if ((h->host_len == 0 && is_ws(c)) || h->host_len == sizeof(h->host)) {
			return;
		}
		h->host[h->host_len++] = (char)c;
		break;
	default:
		break;
	}
}

/*
 * RFC 9110 §8.6: Content-Length = 1*DIGIT; RFC 9112 §6.3 item 5 admits a list
 * of identical values and calls anything else invalid framing. As libhtp
 * does, the first run of digits of the first Content-Length field is used
 * ("68A", "(68) 34", "68, 136", a second field 136): the client of a server
 * that sends such junk has no better reading, and an IDS that gave up on it
 * would be blind to the body. Anything but a clean value is counted.
 */
static void
content_length_end(const struct http_env *env, struct http_dir *d)
{
	size_t n = trim_len(d->val, d->val_len), i = 0;
	uint64_t v = 0;
	bool clean;

	if (d->flags & (HF_HAS_CL | HF_CL_BAD)) {
		/* a second field: ignored; the first one wins */
		counters_inc(env->c, CNT_http_cl_lenient);
		return;
	}
	while (i < n && (d->val[i] < '0' || d->val[i] > '9')) {
		i++;
	}
	clean = i == 0;
	if (i == n) {
		d->flags |= HF_CL_BAD;
		counters_inc(env->c, CNT_http_cl_lenient);
		return;
	}
	while (i < n && d->val[i] >= '0' && d->val[i] <= '9') {
		if (v > (UINT64_MAX - 9) / 10) {
			d->flags |= HF_CL_BAD;
			counters_inc(env->c, CNT_http_cl_lenient);
			return;
		}
		v = v * 10 + (uint64_t)(d->val[i] - '0');
		i++;
	}
	if (i < n || !clean || (d->flags & HF_TOKEN_RESET)) {
		/* trailing junk, a list, a value that overflowed val[] or a leading junk byte */
		counters_inc(env->c, CNT_http_cl_lenient);
	}
	d->length = v;
	d->flags |= HF_HAS_CL;
}

static void
field_end(struct http_conn *h, const struct http_env *env, struct http_dir *d)
{
	switch (d->sink) {
	case SINK_CL:
		content_length_end(env, d);
		break;
	case SINK_CE:
		coding_end(h, env, d);
		break;
	case SINK_CTYPE:
		h->content_type_len = (uint8_t)trim_len(h->content_type, h->content_type_len);
		break;
	case SINK_HOST:
		h->host_len = (uint16_t)trim_len(h->host, h->host_len);
		break;
	default:
		break;
	}
	d->sink = SINK_NONE;
}

/* A malformed field line is tolerated (skipped or read leniently) and counted. */
static void
lenient(const struct http_env *env)
{
	counters_inc(env->c, CNT_http_header_lenient);
}

/*
 * One byte of the field section (RFC 9112 §5) of direction <d>. Lines are
 * read as browsers and libhtp read them, so that a server cannot hide a
 * framing field from the monitor that its client still obeys: a bare CR
 * ends a line (RFC 9112 §2.2 would read it as SP), whitespace between a
 * field name and its colon is dropped (§5.1 would reject the message), NULs
 * in a name are dropped, and a line that is no field line is skipped (§5
 * would reject). Each of those is counted as http_header_lenient.
 */
enum hdr_rc
http_hdr_byte(struct http_conn *h, const struct http_env *env, struct http_dir *d, bool is_req,
              uint8_t c)
{
	switch (d->state) {
	case HS_LINE_CR:
		d->state = HS_HDR_LINE;
		if (c == '\n') {
			d->flags &= (uint16_t)~HF_LF_ONLY;
			return HDR_MORE;
		}
		/* a bare CR: the line ended there, c starts the next one */
		lenient(env);
		d->flags &= (uint16_t)~HF_LF_ONLY;
		/* fallthrough */
	case HS_HDR_LINE:
		if (is_ws(c) || c == 0) {
			if (d->flags & HF_OPEN) {
				/* RFC 9112 §5.2: obs-fold continues the value; it reads as SP */
				d->state = HS_HDR_FOLD;
				return HDR_MORE;
			}
			lenient(env);
			if (d->flags & HF_NAME_OPEN) {
				/* "Transfer-Encoding" CRLF " : chunked": the fold brings the colon */
				d->state = HS_HDR_NAME_WS;
			}
			/* else whitespace before a line that continues nothing: dropped, as libhtp does */
			return HDR_MORE;
		}
		d->flags &= (uint16_t)~HF_NAME_OPEN;
		if (d->flags & HF_OPEN) {
			d->flags &= (uint16_t)~HF_OPEN;
			field_end(h, env, d);
		}
		if (c == '\r') {
			d->state = HS_HDR_END_LF;
			d->tok_len = 1;
			return HDR_MORE;
		}
		if (c == '\n') {
			return HDR_END;
		}
		d->name_len = 0;
		d->state = HS_HDR_NAME;
		/* fallthrough */
	case HS_HDR_NAME:
		if (is_tchar(c)) {
			if (d->name_len < sizeof(d->name)) {
				d->name[d->name_len] = (char)to_lower(c);
			}
			if (d->name_len < UINT8_MAX) {
				d->name_len++;
			}
			return HDR_MORE;
		}
		if (c == ':') {
			/* an empty name matches no field we read: the value is skipped */
			field_begin(h, d, is_req);
			d->state = HS_HDR_VALUE;
			return HDR_MORE;
		}
		lenient(env);
		if (c == 0) {
			/* "Transfer\0-Encoding" is Transfer-Encoding to libhtp */
			return HDR_MORE;
		}
		if (c == '\n') {
			d->flags |= HF_LF_ONLY | (d->name_len > 0 ? HF_NAME_OPEN : 0);
			d->state = HS_HDR_LINE;
		} else if (d->name_len > 0 && (is_loose_ws(c) || c == '\r')) {
			d->state = HS_HDR_NAME_WS;
		} else {
			d->state = HS_HDR_SKIP;
		}
		return HDR_MORE;
	case HS_HDR_NAME_WS:
		if (c == ':') {
			d->flags &= (uint16_t)~HF_NAME_OPEN;
			field_begin(h, d, is_req);
			d->state = HS_HDR_VALUE;
		} else if (c == '\n') {
			d->flags |= HF_NAME_OPEN;
			d->state = HS_HDR_LINE;
		} else if (!is_loose_ws(c) && c != '\r') {
			d->state = HS_HDR_SKIP;
		}
		return HDR_MORE;
	case HS_HDR_SKIP:
		if (c == '\n') {
			d->flags |= HF_LF_ONLY;
			d->state = HS_HDR_LINE;
		} else if (c == '\r') {
			d->state = HS_LINE_CR;
		}
		return HDR_MORE;
	case HS_HDR_FOLD:
		if (is_ws(c)) {
			return HDR_MORE;
		}
		if (c == '\n') {
			if (d->flags & HF_LF_ONLY) {
				/* LF SP LF: browsers end the header section there */
				lenient(env);
				d->flags &= (uint16_t)~HF_OPEN;
				field_end(h, env, d);
				return HDR_END;
			}
			/* an empty continuation line */
			d->state = HS_HDR_LINE;
			return HDR_MORE;
		}
		if (c == '\r') {
			d->state = HS_LINE_CR;
			return HDR_MORE;
		}
		sink_byte(h, env, d, ' ');
		sink_byte(h, env, d, c);
		d->state = HS_HDR_VALUE;
		if (is_tchar(c)) {
			/* the field's name is no longer needed: name[] now holds the line's first token */
			d->name[0] = (char)to_lower(c);
			d->name_len = 1;
			d->state = HS_HDR_FOLD_NAME;
		}
		return HDR_MORE;
	case HS_HDR_FOLD_NAME:
		if (is_tchar(c)) {
			if (d->name_len < sizeof(d->name)) {
				d->name[d->name_len] = (char)to_lower(c);
			}
			if (d->name_len < UINT8_MAX) {
				d->name_len++;
			}
			sink_byte(h, env, d, c);
			return HDR_MORE;
		}
		d->state = HS_HDR_VALUE;
		if (c == ':' &&
		    ((d->name_len == 17 && memcmp(d->name, "transfer-encoding", 17) == 0) ||
		     (d->name_len == 16 && memcmp(d->name, "content-encoding", 16) == 0))) {
			/*
			 * RFC 9112 §5.2 makes " Transfer-Encoding: chunked" after a
			 * field part of its value; some browsers read a field there.
			 * Both codings are safe to read either way: a body that is
			 * not chunked or not compressed passes as is.
			 */
			lenient(env);
			field_end(h, env, d);
			field_begin(h, d, is_req);
			return HDR_MORE;
		}
		return http_hdr_byte(h, env, d, is_req, c);
	case HS_HDR_VALUE:
		if (c == '\n') {
			d->flags |= HF_OPEN | HF_LF_ONLY;
			d->state = HS_HDR_LINE;
		} else if (c == '\r') {
			/* CRLF or a bare CR ends the line; OWS around the value is trimmed */
			d->flags |= HF_OPEN;
			d->state = HS_LINE_CR;
		} else {
			sink_byte(h, env, d, c);
		}
		return HDR_MORE;
	case HS_HDR_END_LF:
		if (c == '\n') {
			if (d->tok_len == 1 || (d->flags & HF_LF_ONLY)) {
				/* CRLF, or LF CR* LF as browsers read it */
				return HDR_END;
			}
			/* CR CR LF after a CRLF line: a junk line, skipped as libhtp does */
			lenient(env);
			d->state = HS_HDR_LINE;
			return HDR_MORE;
		}
		if (c == '\r') {
			d->tok_len = 2;
			return HDR_MORE;
		}
		/* bare CRs before a field line are dropped */
		lenient(env);
		d->state = HS_HDR_LINE;
		return http_hdr_byte(h, env, d, is_req, c);
	default:
		return HDR_BAD;
	}
}

/* Zeroes the per-message state of <d> and enters <state>. */
void
http_msg_reset(struct http_dir *d, uint8_t state)
{
	memset(d, 0, sizeof(*d));
	d->state = state;
}
