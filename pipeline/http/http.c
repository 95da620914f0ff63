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

/* struct http_dir.flags */
#define HF_OPEN        0x0001 /* a field line ended; it is finished when the next line starts */
#define HF_HAS_CL      0x0002
#define HF_CL_BAD      0x0004
#define HF_HAS_TE      0x0008
#define HF_TE_CHUNKED  0x0010 /* the last transfer coding seen is chunked */
#define HF_TOKEN_RESET 0x0020 /* a comma ended the kept token; the next one replaces it */

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
static bool
is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
		return true;
	}
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t
to_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool
eq_ci(const char *s, size_t n, const char *lit)
{
	struct span sp = { (const uint8_t *)s, n };

	return span_eq_ci(sp, lit) != 0;
}

static size_t
trim_len(const char *s, size_t n)
{
	while (n > 0 && is_ws((uint8_t)s[n - 1])) {
		n--;
	}
	return n;
}

void
http_bypass(struct http_conn *h, const struct http_env *env, enum counter_id why, void *arg)
{
	counters_inc(env->c, why);
	h->bypass = true;
	http_body_finish(h, env, false, arg);
}

/* ---- pairing: pending requests and their URLs in url_pool ---- */

/* Builds the URL of the request just parsed at url_pool + pool_used; returns its length. */
static uint16_t
compose_url(struct http_conn *h)
{
	char *u = h->url_pool + h->pool_used;
	size_t cap = HTTP_URL_POOL - h->pool_used;
	size_t plen, tlen;

	if (cap > HTTP_MAX_URL) {
		cap = HTTP_MAX_URL;
	}
	if (h->req_is_connect) {
		/* RFC 9110 §9.3.6: authority-form, not a resource */
		return 0;
	}
	if (h->target_abs) {
		/* RFC 9112 §3.2.2: absolute-form is used as is (stored capped) */
		return h->target_len;
	}
	if (h->host_len == 0 || cap <= 7) {
		/* no Host (HTTP/1.0): no URL to report */
		return 0;
	}
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
	uint16_t len = compose_url(h);

	h->target_len = 0;
	if (h->pending_count == HTTP_MAX_PENDING) {
		counters_inc(env->c, CNT_http_pending_overflow);
		if (h->lost_tail < UINT8_MAX) {
			h->lost_tail++;
		}
		return;
	}
	e = &h->pending[h->pending_count++];
	e->url_len = len;
	e->lost_before = h->lost_tail;
	e->is_head = h->req_is_head;
	e->is_connect = h->req_is_connect;
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

/* ---- header fields (RFC 9112 §5), shared by both directions ---- */

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
		}
	} else if (len == 16 && memcmp(n, "content-encoding", 16) == 0) {
		d->sink = SINK_CE;
	} else if (len == 12 && memcmp(n, "content-type", 12) == 0) {
		/* the last Content-Type wins */
		d->sink = SINK_CTYPE;
		h->content_type_len = 0;
	}
}

/* RFC 9110 §8.4: one Content-Encoding coding; identity is a no-op, two codings are not decoded. */
static void
coding_end(struct http_conn *h, struct http_dir *d)
{
	size_t n = trim_len(d->val, d->val_len);
	uint8_t enc;

	d->val_len = 0;
	if (n == 0 || eq_ci(d->val, n, "identity")) {
		return;
	}
	if (eq_ci(d->val, n, "gzip") || eq_ci(d->val, n, "x-gzip")) {
		enc = HTTP_ENC_GZIP;
	} else if (eq_ci(d->val, n, "deflate")) {
		enc = HTTP_ENC_DEFLATE;
	} else {
		enc = HTTP_ENC_UNSUPPORTED;
	}
	h->encoding = h->encoding == HTTP_ENC_IDENTITY ? enc : HTTP_ENC_UNSUPPORTED;
}

static void
sink_byte(struct http_conn *h, struct http_dir *d, uint8_t c)
{
	switch (d->sink) {
	case SINK_CL:
		if (d->val_len == 0 && is_ws(c)) {
			return;
		}
		if (d->val_len == sizeof(d->val)) {
			d->flags |= HF_CL_BAD;
			return;
		}
		d->val[d->val_len++] = (char)c;
		break;
	case SINK_TE:
		/* RFC 9112 §6.1: only the last transfer coding matters; keep that token */
		if (c == ',') {
			if (d->val_len > 0) {
				d->flags |= HF_TOKEN_RESET;
			}
			return;
		}
		if (is_ws(c) && (d->val_len == 0 || (d->flags & HF_TOKEN_RESET))) {
			return;
		}
		if (d->flags & HF_TOKEN_RESET) {
			d->flags &= (uint16_t)~HF_TOKEN_RESET;
			d->val_len = 0;
		}
		if (d->val_len < sizeof(d->val)) {
			d->val[d->val_len++] = (char)c;
		}
		break;
	case SINK_CE:
		if (c == ',') {
			coding_end(h, d);
			return;
		}
		if (is_ws(c) && d->val_len == 0) {
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
 * RFC 9110 §8.6: Content-Length = 1*DIGIT; RFC 9112 §6.3 item 5 also admits a
 * list of identical values (duplicated fields). Anything else is invalid.
 */
static void
content_length_end(struct http_dir *d)
{
	size_t n = trim_len(d->val, d->val_len), i = 0;
	uint64_t v;
	bool digits;

	if (d->flags & HF_CL_BAD) {
		return;
	}
	if (n == 0) {
		d->flags |= HF_CL_BAD;
		return;
	}
	while (i < n) {
		v = 0;
		digits = false;
		while (i < n && d->val[i] >= '0' && d->val[i] <= '9') {
			if (v > (UINT64_MAX - 9) / 10) {
				d->flags |= HF_CL_BAD;
				return;
			}
			v = v * 10 + (uint64_t)(d->val[i] - '0');
			digits = true;
			i++;
		}
		while (i < n && is_ws((uint8_t)d->val[i])) {
			i++;
		}
		if (!digits || (i < n && d->val[i] != ',') ||
		    ((d->flags & HF_HAS_CL) && d->length != v)) {
			d->flags |= HF_CL_BAD;
			return;
		}
		d->length = v;
		d->flags |= HF_HAS_CL;
		if (i < n) {
			i++;
			while (i < n && is_ws((uint8_t)d->val[i])) {
				i++;
			}
		}
	}
}

static void
field_end(struct http_conn *h, struct http_dir *d)
{
	size_t n, i;

	switch (d->sink) {
	case SINK_CL:
		content_length_end(d);
		break;
	case SINK_TE:
		/* RFC 9112 §7: transfer-coding = token *( OWS ";" OWS transfer-parameter ) */
		n = trim_len(d->val, d->val_len);
		for (i = 0; i < n; i++) {
			if (d->val[i] == ';' || is_ws((uint8_t)d->val[i])) {
				n = i;
				break;
			}
		}
		if (n > 0) {
			if (eq_ci(d->val, n, "chunked")) {
				d->flags |= HF_TE_CHUNKED;
			} else {
				d->flags &= (uint16_t)~HF_TE_CHUNKED;
			}
		}
		break;
	case SINK_CE:
		coding_end(h, d);
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

/* One byte of the field section (RFC 9112 §5) of direction <d>. */
static enum hdr_rc
hdr_byte(struct http_conn *h, struct http_dir *d, bool is_req, uint8_t c)
{
	switch (d->state) {
	case HS_HDR_LINE:
		if (is_ws(c)) {
			if (!(d->flags & HF_OPEN)) {
				/* RFC 9112 §2.2: whitespace before the first field line */
				return HDR_BAD;
			}
			/* RFC 9112 §5.2: obs-fold continues the value; it reads as SP */
			d->flags &= (uint16_t)~HF_OPEN;
			sink_byte(h, d, ' ');
			d->state = HS_HDR_VALUE;
			return HDR_MORE;
		}
		if (d->flags & HF_OPEN) {
			d->flags &= (uint16_t)~HF_OPEN;
			field_end(h, d);
		}
		if (c == '\r') {
			d->state = HS_HDR_END_LF;
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
		if (c == ':' && d->name_len > 0) {
			field_begin(h, d, is_req);
			d->state = HS_HDR_VALUE;
			return HDR_MORE;
		}
		/* RFC 9112 §5.1: no whitespace between field name and colon */
		return HDR_BAD;
	case HS_HDR_VALUE:
		if (c == '\n') {
			d->flags |= HF_OPEN;
			d->state = HS_HDR_LINE;
		} else if (c != '\r') {
			/* a CR is dropped: the CRLF ends the line; OWS around the value is trimmed */
			sink_byte(h, d, c);
		}
		return HDR_MORE;
	case HS_HDR_END_LF:
		return c == '\n' ? HDR_END : HDR_BAD;
	default:
		return HDR_BAD;
	}
}

/*
 * "HTTP/1.x" (RFC 9112 §2.3, case-sensitive; only major version 1 is parsed
 * here). Returns 1 once all 8 bytes matched, 0 for more, -1 on mismatch.
 */
static int
version_byte(struct http_dir *d, uint8_t c)
{
	static const char want[] = "HTTP/1.";
	uint16_t i = d->tok_len++;

	if (i < 7) {
		return c == (uint8_t)want[i] ? 0 : -1;
	}
	return c >= '0' && c <= '9' ? 1 : -1;
}

/* Zeroes the per-message state of <d> and enters <state>. */
static void
msg_reset(struct http_dir *d, uint8_t state)
{
	memset(d, 0, sizeof(*d));
	d->state = state;
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

static void
req_headers_done(struct http_conn *h, const struct http_env *env)
{
	struct http_dir *d = &h->req;

	counters_inc(env->c, CNT_http_requests);
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

static void
req_byte(struct http_conn *h, const struct http_env *env, uint8_t c)
{
	struct http_dir *d = &h->req;
	enum hdr_rc rc;
	int v;

	switch (d->state) {
	case HS_START:
		if (c == '\r' || c == '\n') {
			/* RFC 9112 §2.2: empty lines before a request-line are ignored */
			return;
		}
		msg_reset(d, HS_METHOD);
		h->req_is_head = false;
		h->req_is_connect = false;
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
		h->req_is_connect = d->name_len == 7 && memcmp(d->name, "CONNECT", 7) == 0;
		d->state = HS_TARGET;
		return;
	case HS_TARGET:
		if (c == ' ') {
			if (d->tok_len == 0) {
				break;
			}
			h->target_abs = (h->target_len >= 7 &&
			                 eq_ci(h->url_pool + h->pool_used, 7, "http://")) ||
			                (h->target_len >= 8 &&
			                 eq_ci(h->url_pool + h->pool_used, 8, "https://"));
			d->state = HS_REQ_VERSION;
			d->tok_len = 0;
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
		if (d->tok_len < 8) {
			v = version_byte(d, c);
			if (v < 0) {
				break;
			}
			return;
		}
		if (c == '\r' && d->tok_len == 8) {
			d->tok_len++;
			return;
		}
		if (c != '\n') {
			break;
		}
		d->state = HS_HDR_LINE;
		return;
	default:
		rc = hdr_byte(h, d, true, c);
		if (rc == HDR_END) {
			req_headers_done(h, env);
		}
		if (rc != HDR_BAD) {
			return;
		}
		break;
	}
	req_dead(h, env, CNT_http_bad_request);
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

static void
rsp_headers_done(struct http_conn *h, const struct http_env *env, void *arg)
{
	struct http_dir *d = &h->rsp;
	const struct http_req_info *req;
	struct http_msg m;
	enum http_state next;

	if (h->status < 200) {
		if (h->status == 101) {
			/* RFC 9110 §15.2.2: the connection now speaks another protocol */
			http_bypass(h, env, CNT_http_upgrade, arg);
			return;
		}
		/* RFC 9110 §15.2: interim; the final response to the same request follows */
		d->state = HS_START;
		return;
	}
	counters_inc(env->c, CNT_http_responses);
	req = pair_head(h, env);
	if (req != NULL && req->is_connect && h->status < 300) {
		pair_pop(h);
		http_bypass(h, env, CNT_http_upgrade, arg);
		return;
	}
	/* RFC 9112 §6.3: message body length, in the RFC's order */
	if ((req != NULL && req->is_head) || h->status == 204 || h->status == 304) {
		next = HS_START;
	} else if (d->flags & HF_HAS_TE) {
		next = (d->flags & HF_TE_CHUNKED) ? HS_CHUNK_SIZE : HS_BODY_CLOSE;
	} else if (d->flags & HF_CL_BAD) {
		if (req != NULL) {
			pair_pop(h);
		}
		http_bypass(h, env, CNT_http_bad_response, arg);
		return;
	} else if (d->flags & HF_HAS_CL) {
		next = d->length > 0 ? HS_BODY_LENGTH : HS_START;
	} else {
		next = HS_BODY_CLOSE;
	}
	m.status = h->status;
	m.url.ptr = (const uint8_t *)h->url_pool;
	m.url.len = req != NULL ? req->url_len : 0;
	m.content_type.ptr = (const uint8_t *)h->content_type;
	m.content_type.len = h->content_type_len;
	m.charset = ctype_charset(h->content_type, h->content_type_len);
	if (env->response != NULL) {
		env->response(arg, &m, next != HS_START);
	}
	if (next != HS_START) {
		http_body_begin(h, env, &m, arg);
		http_body_enter(d, next, d->length);
	} else {
		d->state = HS_START;
	}
	if (req != NULL) {
		pair_pop(h);
	}
}

static void
rsp_byte(struct http_conn *h, const struct http_env *env, uint8_t c, void *arg)
{
	struct http_dir *d = &h->rsp;
	enum hdr_rc rc;

	switch (d->state) {
	case HS_START:
		if (c == '\r' || c == '\n') {
			/* tolerated between responses, like RFC 9112 §2.2 for requests */
			return;
		}
		msg_reset(d, HS_RSP_VERSION);
		h->status = 0;
		h->encoding = HTTP_ENC_IDENTITY;
		h->content_type_len = 0;
		/* fallthrough */
	case HS_RSP_VERSION:
		/* RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ] */
		if (d->tok_len < 8) {
			if (version_byte(d, c) < 0) {
				break;
			}
			return;
		}
		if (c != ' ') {
			break;
		}
		d->state = HS_STATUS;
		d->tok_len = 0;
		return;
	case HS_STATUS:
		if (d->tok_len < 3) {
			if (c < '0' || c > '9' || (d->tok_len == 0 && c == '0')) {
				break;
			}
			h->status = (uint16_t)(h->status * 10 + (c - '0'));
			d->tok_len++;
			return;
		}
		/* a missing reason phrase (and its SP) is tolerated */
		if (c == ' ' || c == '\r') {
			d->state = HS_REASON;
		} else if (c == '\n') {
			d->state = HS_HDR_LINE;
		} else {
			break;
		}
		return;
	case HS_REASON:
		if (c == '\n') {
			d->state = HS_HDR_LINE;
		}
		return;
	default:
		rc = hdr_byte(h, d, false, c);
		if (rc == HDR_END) {
			rsp_headers_done(h, env, arg);
		}
		if (rc != HDR_BAD) {
			return;
		}
		break;
	}
	http_bypass(h, env, CNT_http_bad_response, arg);
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
		if (d->state != HS_START && ++d->hdr_bytes > HTTP_MAX_HEADER) {
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
	/* RFC 9112 §6.3 item 8 ends a close-delimited body; any other body is cut short */
	http_body_finish(h, env, h->rsp.state == HS_BODY_CLOSE, arg);
	h->rsp.state = HS_DEAD;
}

void
http_conn_gap(struct http_conn *h, const struct http_env *env, bool from_client, void *arg)
{
	(void)from_client;
	if (!h->bypass) {
		http_bypass(h, env, CNT_http_gap, arg);
	}
}

void
http_conn_release(struct http_conn *h)
{
	http_body_free(h);
	memset(h, 0, sizeof(*h));
}
