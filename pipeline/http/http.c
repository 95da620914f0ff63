/*
 * HTTP/1.1 message parsing for one connection (RFC 9112): request and status
 * lines, header fields consumed byte by byte into small fixed fields, and
 * request / response pairing. Body framing and decoding are in http_body.c.
 */
#include "http/http.h"

#include <string.h>

#include "http/http_priv.h"

/* one lives in every flow */
_Static_assert(sizeof(struct http_conn) < 2048, "struct http_conn must stay under 2 KiB");

void
http_bypass(struct http_conn *h, const struct http_env *env, enum counter_id why, void *arg)
{
	counters_inc(env->c, why);
	h->bypass = true;
	http_body_finish(h, env, false, arg);
}

/* ---- pairing: pending requests and their URLs in url_pool ---- */

/*
 * Builds the URL of the request just parsed at url_pool + pool_used (or
 * leaves its target there when it has no URL); returns the bytes kept and
 * sets e's form and host_len.
 */
static uint16_t
compose_url(struct http_conn *h, struct http_req_info *e)
{
	char *u = h->url_pool + h->pool_used;
	size_t cap = HTTP_URL_POOL - h->pool_used;
	size_t plen, tlen;

	e->host_len = 0;
	if (cap > HTTP_MAX_URL) {
		cap = HTTP_MAX_URL;
	}
	if (h->req_is_connect && (h->target_len == 0 || u[0] != '/')) {
		/* RFC 9110 §9.3.6: authority-form, not a resource */
		e->form = HTTP_FORM_AUTHORITY;
		return h->target_len;
	}
	if (h->target_abs) {
		/* RFC 9112 §3.2.2: absolute-form is used as is (stored capped) */
		e->form = HTTP_FORM_ABSOLUTE;
		return h->target_len;
	}
	if (h->host_len == 0 || cap <= 7) {
		/* no Host (HTTP/1.0): no URL to report */
		e->form = HTTP_FORM_NO_HOST;
		return h->target_len;
	}
	e->form = HTTP_FORM_ORIGIN;
	plen = 7 + (size_t)h->host_len;
	if (plen > cap) {
		plen = cap;
	}
	tlen = h->target_len;
	if (tlen > cap - plen) {
		tlen = cap - plen;
	}
	memmove(u + plen, u, tlen);
	memcpy(u, "http://", 7);
	memcpy(u + 7, h->host, plen - 7);
	e->host_len = (uint16_t)(plen - 7);
	return (uint16_t)(plen + tlen);
}

/*
 * Queue the request just parsed. A full queue drops it (counted): answered in
 * order, its response then comes out unpaired instead of every later response
 * pairing with the wrong request.
 */
static void
enqueue(struct http_conn *h, const struct http_env *env)
{
	struct http_req_info *e;
	uint16_t len;

	if (h->pending_count == HTTP_MAX_PENDING) {
		h->target_len = 0;
		counters_inc(env->c, CNT_http_pending_overflow);
		if (h->lost_tail < UINT8_MAX) {
			h->lost_tail++;
		}
		return;
	}
	e = &h->pending[h->pending_count++];
	len = compose_url(h, e);
	h->target_len = 0;
	e->url_len = len;
	e->lost_before = h->lost_tail;
	e->is_head = h->req_is_head;
	e->is_connect = h->req_is_connect;
	e->is_upgrade = h->req_is_upgrade;
	e->method_len = h->req_method_len;
	memcpy(e->method, h->req_method, sizeof(e->method));
	h->lost_tail = 0;
	h->pool_used += len;
}

/* The request a final response answers (its URL at url_pool), or NULL when unpaired. */
static const struct http_req_info *
pair_head(struct http_conn *h, const struct http_env *env)
{
	if (h->pending_count > 0 && h->pending[0].lost_before == 0) {
		return &h->pending[0];
	}
	if (h->pending_count > 0) {
		h->pending[0].lost_before--;
	} else if (h->lost_tail > 0) {
		h->lost_tail--;
	}
	counters_inc(env->c, CNT_http_unpaired);
	return NULL;
}

/* Drop pending[0] and its URL; the target of a request being parsed moves along. */
static void
pair_pop(struct http_conn *h)
{
	uint16_t l0 = h->pending[0].url_len;

	memmove(h->url_pool, h->url_pool + l0, (size_t)(h->pool_used - l0) + h->target_len);
	h->pool_used -= l0;
	h->pending_count--;
	memmove(&h->pending[0], &h->pending[1], h->pending_count * sizeof(h->pending[0]));
}

/* ---- requests ---- */

/*
 * The client sent something we cannot frame: its later bytes are ignored,
 * but the server's responses (which a monitor is after) are still read,
 * paired with the requests that were understood.
 */
static void
req_dead(struct http_conn *h, const struct http_env *env, enum counter_id why)
{
	counters_inc(env->c, why);
	h->req.state = HS_DEAD;
}

/*
 * RFC 9112 §6.3 item 3: with both Transfer-Encoding and Content-Length,
 * Transfer-Encoding wins, and the message "might indicate an attempt to
 * perform request smuggling or response splitting": counted.
 */
static void
te_cl_conflict(const struct http_env *env, const struct http_dir *d)
{
	if ((d->flags & HF_HAS_TE) && (d->flags & (HF_HAS_CL | HF_CL_BAD))) {
		counters_inc(env->c, CNT_http_te_cl_conflict);
	}
}

static void
req_headers_done(struct http_conn *h, const struct http_env *env)
{
	struct http_dir *d = &h->req;

	counters_inc(env->c, CNT_http_requests);
	h->tunnel = false;
	te_cl_conflict(env, d);
	if (d->flags & HF_HAS_TE) {
		/*
		 * RFC 9112 §6.3 items 3-4: Transfer-Encoding overrides
		 * Content-Length; a request whose final coding is not chunked
		 * has no reliable framing.
		 */
		if (!(d->flags & HF_TE_CHUNKED)) {
			req_dead(h, env, CNT_http_bad_request);
			return;
		}
		http_body_enter(d, HS_CHUNK_SIZE, 0);
	} else if (d->flags & HF_CL_BAD) {
		/* RFC 9112 §6.3 item 5 */
		req_dead(h, env, CNT_http_bad_request);
		return;
	} else if ((d->flags & HF_HAS_CL) && d->length > 0) {
		http_body_enter(d, HS_BODY_LENGTH, d->length);
	} else {
		/* RFC 9112 §6.3 item 7: no body */
		d->state = HS_START;
	}
	enqueue(h, env);
	if (h->req_is_connect) {
		/* RFC 9110 §9.3.6: what follows CONNECT is tunnel data */
		d->state = HS_DEAD;
	}
}

/*
 * Byte <c> (CR or LF) ends the request line of <d> (d->tok_len bytes of
 * version read): a CR waits for its LF; then the header fields follow.
 */
static void
req_line_end(const struct http_env *env, struct http_dir *d, uint8_t c)
{
	if (c == '\r') {
		d->flags |= HF_RL_CR;
		return;
	}
	if (d->tok_len != 8) {
		d->flags |= HF_RL_ODD;
	}
	if (d->flags & HF_RL_ODD) {
		counters_inc(env->c, CNT_http_reqline_lenient);
	}
	d->flags &= (uint16_t) ~(HF_RL_CR | HF_RL_ODD);
	d->state = HS_HDR_LINE;
}

static void
req_byte(struct http_conn *h, const struct http_env *env, uint8_t c)
{
	struct http_dir *d = &h->req;
	enum hdr_rc rc;

	switch (d->state) {
	case HS_START:
		if (c == '\r' || c == '\n') {
			/* RFC 9112 §2.2: empty lines before a request-line are ignored */
			return;
		}
		http_msg_reset(d, HS_METHOD);
		h->req_is_head = false;
		h->req_is_connect = false;
		h->req_is_upgrade = false;
		h->target_abs = false;
		h->target_len = 0;
		h->host_len = 0;
		/* fallthrough */
	case HS_METHOD:
		/* RFC 9112 §3: request-line = method SP request-target SP HTTP-version */
		if (is_tchar(c) && d->name_len < HTTP_MAX_METHOD) {
			d->name[d->name_len++] = (char)c;
			return;
		}
		if (c != ' ' || d->name_len == 0) {
			break;
		}
		/* RFC 9110 §9.1: methods are case-sensitive */
		h->req_is_head = d->name_len == 4 && memcmp(d->name, "HEAD", 4) == 0;
		memcpy(h->req_method, d->name, d->name_len);
		h->req_method_len = d->name_len;
		h->req_is_connect = d->name_len == 7 && memcmp(d->name, "CONNECT", 7) == 0;
		d->state = HS_TARGET;
		return;
	case HS_TARGET:
		if (c == ' ' || c == '\t') {
			if (d->tok_len == 0) {
				/* more whitespace before the target: skipped, as libhtp and zeek do */
				d->flags |= HF_RL_ODD;
				return;
			}
			h->target_abs = (h->target_len >= 7 &&
			                 eq_ci(h->url_pool + h->pool_used, 7, "http://")) ||
			                (h->target_len >= 8 &&
			                 eq_ci(h->url_pool + h->pool_used, 8, "https://"));
			d->state = HS_REQ_VERSION;
			d->tok_len = 0;
			return;
		}
		if ((c == '\r' || c == '\n') && h->target_len >= 5 &&
		    memcmp(h->url_pool + h->pool_used, "HTTP/", 5) == 0) {
			/*
			 * "OPTIONS HTTP/1.1": the line ends after one token, and
			 * it is a version, so the target is empty (zeek reads it
			 * so). A line with a target and no version is HTTP/0.9,
			 * which has no headers to frame: given up below.
			 */
			h->target_len = 0;
			d->flags |= HF_RL_ODD;
			d->state = HS_REQ_VERSION;
			d->tok_len = 5;
			req_line_end(env, d, c);
			return;
		}
		if (c <= 0x20 || c == 0x7f) {
			break;
		}
		d->tok_len++;
		if (h->target_len < HTTP_MAX_URL &&
		    (size_t)h->pool_used + h->target_len < HTTP_URL_POOL) {
			h->url_pool[h->pool_used + h->target_len++] = (char)c;
		}
		return;
	case HS_REQ_VERSION:
		/*
		 * RFC 9112 §2.3: "HTTP/" DIGIT "." DIGIT. Read leniently, as
		 * libhtp and zeek do: spaces before it, a cut or odd version
		 * after "HTTP/" ("HTTP/1.", "HTTP/1.1 ") are accepted, counted.
		 */
		if (d->flags & HF_RL_CR) {
			if (c != '\n') {
				break;
			}
			req_line_end(env, d, c);
			return;
		}
		if (c == '\r' || c == '\n') {
			if (d->tok_len < 5) {
				break;
			}
			req_line_end(env, d, c);
			return;
		}
		if (d->tok_len == 0 && (c == ' ' || c == '\t')) {
			d->flags |= HF_RL_ODD;
			return;
		}
		if (d->tok_len < 5) {
			if (c != (uint8_t) "HTTP/"[d->tok_len]) {
				break;
			}
			d->tok_len++;
			return;
		}
		if (d->tok_len >= HTTP_MAX_VERSION) {
			break;
		}
		/* exactly "1." DIGIT, or counted as odd */
		if ((d->tok_len == 5 && c != '1') || (d->tok_len == 6 && c != '.') ||
		    (d->tok_len == 7 && (c < '0' || c > '9')) || d->tok_len > 7) {
			d->flags |= HF_RL_ODD;
		}
		d->tok_len++;
		return;
	default:
		rc = http_hdr_byte(h, env, d, true, c);
		if (rc == HDR_END) {
			req_headers_done(h, env);
		}
		if (rc != HDR_BAD) {
			return;
		}
		break;
	}
	req_dead(h, env, h->tunnel ? CNT_http_tunnel_opaque : CNT_http_bad_request);
}

/* ---- responses ---- */

/*
 * RFC 9110 §8.3.1: the charset parameter of a media type; the value is a
 * token or a quoted-string (returned without the quotes). Empty if absent.
 */
static struct span
ctype_charset(const char *s, size_t n)
{
	struct span r = { NULL, 0 };
	size_t i = 0, ns, ne, vs, ve;

	while (i < n && s[i] != ';') {
		i++;
	}
	while (i < n) {
		i++; /* the ';' */
		while (i < n && is_ws((uint8_t)s[i])) {
			i++;
		}
		ns = i;
		while (i < n && s[i] != '=' && s[i] != ';') {
			i++;
		}
		ne = ns + trim_len(s + ns, i - ns);
		if (i == n || s[i] == ';') {
			continue;
		}
		i++; /* the '=' */
		while (i < n && is_ws((uint8_t)s[i])) {
			i++;
		}
		if (i < n && s[i] == '"') {
			vs = ++i;
			while (i < n && s[i] != '"') {
				i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
			}
			ve = i;
		} else {
			vs = i;
			while (i < n && s[i] != ';' && !is_ws((uint8_t)s[i])) {
				i++;
			}
			ve = i;
		}
		if (ve > vs && eq_ci(s + ns, ne - ns, "charset")) {
			r.ptr = (const uint8_t *)s + vs;
			r.len = ve - vs;
			return r;
		}
		while (i < n && s[i] != ';') {
			i++;
		}
	}
	return r;
}

/*
 * The authority of absolute-form <t> (RFC 3986 §3.2): after "scheme://", up
 * to the next '/', '?' or '#', without userinfo.
 */
static struct span
target_authority(const char *t, size_t n)
{
	size_t i = 0, a;

	while (i < n && t[i] != ':') {
		i++;
	}
	i += 3; /* "://": compose_url saw "http://" or "https://" */
	a = i;
	while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#') {
		if (t[i] == '@') {
			a = i + 1;
		}
		i++;
	}
	return (struct span){ (const uint8_t *)t + a, i > a ? i - a : 0 };
}

/* What the consumer learns of the response just parsed; its content type is <ct_len> bytes. */
static void
msg_fill(struct http_conn *h, const struct http_req_info *req, size_t ct_len, struct http_msg *m)
{
	const char *p = h->url_pool;

	memset(m, 0, sizeof(*m));
	m->status = h->status;
	m->url.ptr = (const uint8_t *)p;
	m->method.ptr = m->host.ptr = m->target.ptr = (const uint8_t *)p;
	if (req != NULL) {
		m->method = (struct span){ (const uint8_t *)req->method, req->method_len };
		m->target = (struct span){ (const uint8_t *)p, req->url_len };
		switch (req->form) {
		case HTTP_FORM_ORIGIN:
			m->url.len = req->url_len;
			m->host = (struct span){ (const uint8_t *)p + 7, req->host_len };
			m->target.ptr += 7 + req->host_len;
			m->target.len -= 7 + (size_t)req->host_len;
			break;
		case HTTP_FORM_ABSOLUTE:
			m->url.len = req->url_len;
			m->host = target_authority(p, req->url_len);
			break;
		case HTTP_FORM_AUTHORITY:
			m->host = m->target;
			break;
		default:
			break;
		}
	}
	m->content_type.ptr = (const uint8_t *)h->content_type;
	m->content_type.len = ct_len;
	m->charset = ctype_charset(h->content_type, ct_len);
}

static void
rsp_headers_done(struct http_conn *h, const struct http_env *env, void *arg)
{
	struct http_dir *d = &h->rsp;
	const struct http_req_info *req;
	struct http_msg m;
	enum http_state next;

	h->rsp_nobody = true;
	if (h->status < 200) {
		if (h->status == 101 && (h->pending_count == 0 || h->pending[0].lost_before > 0 ||
		                         h->pending[0].is_upgrade)) {
			/* RFC 9110 §15.2.2: the connection now speaks another protocol */
			http_bypass(h, env, CNT_http_upgrade, arg);
			return;
		}
		/*
		 * A 101 to a request without Upgrade switches nothing (RFC 9110
		 * §7.8: the server may switch only to a protocol the client
		 * offered): it reads as an interim response, like libhtp.
		 */
		/*
		 * RFC 9110 §15.2: interim; the final response to the same request
		 * follows. Bytes that are no status line are read as a body there.
		 */
		d->state = HS_START;
		return;
	}
	counters_inc(env->c, CNT_http_responses);
	req = pair_head(h, env);
	if (req != NULL && req->is_connect && h->status < 300) {
		/*
		 * RFC 9110 §9.3.6: the connection is now a tunnel. A proxy
		 * client may speak plain HTTP through it (as Suricata reads
		 * it): parsing starts over; TLS or anything else is left
		 * unread at its first byte (http_tunnel_opaque)
		 */
		pair_pop(h);
		counters_inc(env->c, CNT_http_connect_tunnel);
		http_msg_reset(&h->req, HS_START);
		http_msg_reset(d, HS_START);
		h->rsp_nobody = false;
		h->tunnel = true;
		return;
	}
	te_cl_conflict(env, d);
	/* RFC 9112 §6.3: message body length, in the RFC's order */
	if ((req != NULL && req->is_head) || h->status == 204 || h->status == 304) {
		next = HS_START;
	} else if (d->flags & HF_TE_CHUNKED) {
		/* chunked wherever it is named (see SINK_TE); on HTTP/1.0 too, as libhtp does */
		next = HS_CHUNK_SIZE;
	} else if (d->flags & HF_HAS_CL) {
		/*
		 * RFC 9112 §6.3 item 4 reads a body with a transfer coding other
		 * than chunked until close; like libhtp (and the browsers HTTP
		 * Evader found), Content-Length is used then.
		 */
		next = d->length > 0 ? HS_BODY_LENGTH : HS_START;
	} else {
		/*
		 * RFC 9112 §6.3 item 8; a Content-Length with no number in it
		 * (item 5: invalid) is read until close too, so the body is not lost.
		 */
		next = HS_BODY_CLOSE;
	}
	msg_fill(h, req, h->content_type_len, &m);
	if (env->response != NULL) {
		env->response(arg, &m, next != HS_START);
	}
	if (next != HS_START) {
		h->rsp_nobody = false;
		http_body_begin(h, env, &m, arg);
		http_body_enter(d, next, d->length);
	} else {
		d->state = HS_START;
	}
	if (req != NULL) {
		pair_pop(h);
	}
}

/*
 * The server sent bytes where a status line belongs that are none (HTTP/0.9
 * style, or a body after a 1xx, 204 or 304 that has none): as libhtp and
 * browsers do, they and everything after them are the body of a response
 * (status 200) that ends when the connection closes. The bytes held in
 * content_type while looking for a status line are delivered first.
 */
static void
rsp_no_status(struct http_conn *h, const struct http_env *env, void *arg)
{
	struct http_dir *d = &h->rsp;
	const struct http_req_info *req;
	struct http_msg m;
	size_t held = h->content_type_len;

	counters_inc(env->c, CNT_http_rsp_no_status);
	counters_inc(env->c, CNT_http_responses);
	h->status = 200;
	h->encoding = HTTP_ENC_IDENTITY;
	h->ce_n = 0;
	h->rsp_nobody = false;
	req = pair_head(h, env);
	msg_fill(h, req, 0, &m);
	if (env->response != NULL) {
		env->response(arg, &m, true);
	}
	http_body_begin(h, env, &m, arg);
	http_body_enter(d, HS_BODY_CLOSE, 0);
	http_body_data(h, env, (const uint8_t *)h->content_type, held, arg);
	h->content_type_len = 0;
	if (req != NULL) {
		pair_pop(h);
	}
}

/*
 * A request awaits an answer, or a bodiless response came last: bytes that
 * are no status line are read leniently only then (not on TLS or SSH).
 */
static bool
expects_response(const struct http_conn *h)
{
	return h->pending_count > 0 || h->lost_tail > 0 || h->rsp_nobody;
}

/* The status line ended: a status that is not 3 digits reads as 200, as browsers do. */
static void
status_end(struct http_conn *h, const struct http_env *env, struct http_dir *d)
{
	if (d->tok_len != 3 || (d->flags & HF_STATUS_BAD) || h->status < 100) {
		counters_inc(env->c, CNT_http_status_bad);
		h->status = 200;
	}
}

/* Where the status line ends: CRLF, a bare LF, or a bare CR (read as a line end, see hdr_byte). */
static void
status_line_end(struct http_conn *h, const struct http_env *env, struct http_dir *d, uint8_t c)
{
	if (d->state == HS_RSP_VERSION) {
		d->tok_len = 0;
		d->flags |= HF_STATUS_BAD;
	}
	status_end(h, env, d);
	if (c == '\r') {
		d->state = HS_LINE_CR;
	} else {
		d->flags |= HF_LF_ONLY;
		d->state = HS_HDR_LINE;
	}
}

static void rsp_byte(struct http_conn *h, const struct http_env *env, uint8_t c, void *arg);

/*
 * After a hole that ran past a response body: bytes are skipped up to an
 * "HTTP/" (any case) at the start of a line, which starts the next response,
 * for at most max_header bytes.
 */
static void
rsp_resync(struct http_conn *h, const struct http_env *env, uint8_t c, void *arg)
{
	struct http_dir *d = &h->rsp;
	unsigned i;

	if (++d->hdr_bytes > header_limit(env)) {
		/* no status line within a header block's worth of bytes: lost for good */
		http_bypass(h, env, CNT_http_gap, arg);
		return;
	}
	if ((d->tok_len > 0 || (d->flags & HF_BOL)) &&
	    to_lower(c) == (uint8_t) "http/"[d->tok_len]) {
		if (++d->tok_len == 5) {
			d->state = HS_START;
			d->flags = 0;
			for (i = 0; i < 5; i++) {
				rsp_byte(h, env, (uint8_t) "HTTP/"[i], arg);
			}
		}
		return;
	}
	d->tok_len = 0;
	if (c == '\n') {
		d->flags |= HF_BOL;
	} else {
		d->flags &= (uint16_t)~HF_BOL;
	}
}

static void
rsp_byte(struct http_conn *h, const struct http_env *env, uint8_t c, void *arg)
{
	struct http_dir *d = &h->rsp;
	enum hdr_rc rc;
	uint32_t hb;
	size_t n;

	switch (d->state) {
	case HS_RSP_RESYNC:
		rsp_resync(h, env, c, arg);
		return;
	case HS_START:
		if (is_loose_ws(c) || c == '\r' || c == '\n') {
			/* tolerated between responses, like RFC 9112 §2.2 for requests */
			return;
		}
		hb = (d->flags & HF_JUNK) ? d->hdr_bytes : 0;
		http_msg_reset(d, HS_RSP_PROBE);
		/* after a junk line hdr_bytes keeps counting: junk is bounded by max_header */
		d->hdr_bytes = hb;
		h->status = 0;
		h->encoding = HTTP_ENC_IDENTITY;
		h->ce_n = 0;
		h->content_type_len = 0;
		/* fallthrough */
	case HS_RSP_PROBE:
		/*
		 * RFC 9112 §4: status-line = HTTP-version SP status-code SP
		 * [ reason-phrase ]. "HTTP/" is matched in any case (browsers
		 * do); the bytes are held in content_type (unused until the
		 * headers) in case they turn out to be a body.
		 */
		n = h->content_type_len;
		h->content_type[n] = (char)c;
		h->content_type_len++;
		if (n < 5 && !(d->flags & HF_STATUS_BAD) && to_lower(c) == (uint8_t) "http/"[n]) {
			if (n == 4) {
				h->content_type_len = 0;
				d->state = HS_RSP_VERSION;
				d->tok_len = 0;
			}
			return;
		}
		/* HF_STATUS_BAD marks "this line is no status line" until it ends */
		d->flags |= HF_STATUS_BAD;
		if (!expects_response(h)) {
			/*
			 * No request awaits an answer and no bodiless response
			 * came before: this is no HTTP server (TLS, SSH). Junk
			 * lines and bodies without a status line are only read
			 * where an HTTP response belongs.
			 */
			break;
		}
		if (c == '\n') {
			/* a junk line before the status line (Firefox skips some too) */
			counters_inc(env->c, CNT_http_rsp_junk);
			d->flags = HF_JUNK;
			d->state = HS_START;
			h->content_type_len = 0;
			return;
		}
		if (h->content_type_len == sizeof(h->content_type)) {
			rsp_no_status(h, env, arg);
		}
		return;
	case HS_RSP_VERSION:
		/*
		 * Any version after "HTTP/" (1.0, 1.1, 2.0, 0.9, 1.01) is read as
		 * HTTP/1.x; any byte but a digit or '.' ends it ("HTTP/1.1\0200").
		 */
		if (c == '\r' || c == '\n') {
			status_line_end(h, env, d, c);
		} else if ((c < '0' || c > '9') && c != '.') {
			d->state = HS_STATUS;
			d->tok_len = 0;
		}
		return;
	case HS_STATUS:
		if (c == '\r' || c == '\n') {
			status_line_end(h, env, d, c);
			return;
		}
		if (is_loose_ws(c)) {
			if (d->tok_len > 0) {
				status_end(h, env, d);
				d->state = HS_REASON;
			}
			return;
		}
		if (c < '0' || c > '9') {
			d->flags |= HF_STATUS_BAD;
		} else if (d->tok_len < 3) {
			h->status = (uint16_t)(h->status * 10 + (c - '0'));
		}
		if (d->tok_len < UINT16_MAX) {
			d->tok_len++;
		}
		return;
	case HS_REASON:
		if (c == '\r') {
			d->state = HS_LINE_CR;
		} else if (c == '\n') {
			d->flags |= HF_LF_ONLY;
			d->state = HS_HDR_LINE;
		}
		return;
	default:
		rc = http_hdr_byte(h, env, d, false, c);
		if (rc == HDR_END) {
			rsp_headers_done(h, env, arg);
		}
		if (rc != HDR_BAD) {
			return;
		}
		break;
	}
	http_bypass(h, env, h->tunnel ? CNT_http_tunnel_opaque : CNT_http_bad_response, arg);
}

/* ---- entry points ---- */

void
http_conn_data(struct http_conn *h, const struct http_env *env, bool from_client, struct span data,
               void *arg)
{
	struct http_dir *d = from_client ? &h->req : &h->rsp;
	const uint8_t *p = data.ptr;
	const uint8_t *const end = data.ptr + data.len;

	while (p < end && !h->bypass) {
		if (d->state >= HS_BODY_LENGTH) {
			if (d->state == HS_DEAD) {
				return;
			}
			p += http_body_frame(h, d, env, p, end, arg);
			continue;
		}
		if (d->state != HS_START && d->state != HS_RSP_RESYNC &&
		    ++d->hdr_bytes > header_limit(env)) {
			/* the start line and field section together */
			if (from_client) {
				req_dead(h, env, CNT_http_header_limit);
			} else {
				http_bypass(h, env, CNT_http_header_limit, arg);
			}
			return;
		}
		if (from_client) {
			req_byte(h, env, *p);
		} else {
			rsp_byte(h, env, *p, arg);
		}
		p++;
	}
}

void
http_conn_close(struct http_conn *h, const struct http_env *env, bool from_client, void *arg)
{
	if (h->bypass) {
		return;
	}
	if (from_client) {
		h->req.state = HS_DEAD;
		return;
	}
	if (h->rsp.state == HS_RSP_PROBE && h->content_type_len > 0 && expects_response(h)) {
		/* the last bytes were no status line: a body without one, ended by the close */
		rsp_no_status(h, env, arg);
	}
	/* RFC 9112 §6.3 item 8 ends a close-delimited body; any other body is cut short */
	http_body_finish(h, env, h->rsp.state == HS_BODY_CLOSE, arg);
	h->rsp.state = HS_DEAD;
}

void
http_conn_gap(struct http_conn *h, const struct http_env *env, bool from_client, uint64_t len,
              void *arg)
{
	struct http_dir *d = from_client ? &h->req : &h->rsp;

	if (h->bypass || d->state == HS_DEAD) {
		return;
	}
	if (http_body_gap(h, d, env, len, arg)) {
		counters_inc(env->c, CNT_http_gap_recovered);
		return;
	}
	if (from_client) {
		/* the requests' framing is lost; the responses are still read */
		req_dead(h, env, CNT_http_gap);
		return;
	}
	http_bypass(h, env, CNT_http_gap, arg);
}

void
http_conn_release(struct http_conn *h)
{
	http_body_free(h);
	memset(h, 0, sizeof(*h));
}
