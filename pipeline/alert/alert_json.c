#include "alert/alert_json.h"
#include "alert/alert_json_out.h"
#include "core/utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * Bounds on the strings of hello/gap/notice lines, so that ALERT_JSON_NOTE_MAX
 * holds any of them even if every byte escapes to six: hello is at most
 * 6 * (32 + 64 + 16) + 70 bytes, notice 6 * (16 + 128) + 50.
 */
#define NOTE_VERSION_MAX 32
#define NOTE_NODE_MAX    64
#define NOTE_WORD_MAX    16
#define NOTE_MESSAGE_MAX 128
_Static_assert(6 * (NOTE_VERSION_MAX + NOTE_NODE_MAX + NOTE_WORD_MAX) + 80 <= ALERT_JSON_NOTE_MAX,
               "a hello line fits ALERT_JSON_NOTE_MAX");
_Static_assert(6 * (NOTE_WORD_MAX + NOTE_MESSAGE_MAX) + 80 <= ALERT_JSON_NOTE_MAX,
               "a notice line fits ALERT_JSON_NOTE_MAX");

void
alert_json_put_u64(struct alert_json_out *o, uint64_t v)
{
	char tmp[24];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	alert_json_put(o, tmp + n, sizeof(tmp) - n);
}

/*
 * True if none of the 8 bytes at <p> needs more than copying into a JSON
 * string: no control character, '"', '\\' or non-ASCII byte. Each test
 * subtracts per byte and looks at the high bits: a byte below 0x20, or a
 * zero after the XOR with '"' or '\\', borrows and sets one; so does a byte
 * of 0x80 or more. A borrow carried into the next byte can only turn a yes
 * into a no, which just sends the bytes through the careful path.
 */
static inline bool
plain8(const uint8_t *p)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	return (((x - ones * 0x20) | ((x ^ (ones * '"')) - ones) | ((x ^ (ones * '\\')) - ones) |
	         x) &
	        high) == 0;
}

/* A JSON string (RFC 8259 §7) from <n> bytes at <p>. */
void
alert_json_put_span(struct alert_json_out *o, const uint8_t *p, size_t n)
{
	size_t i = 0, run = 0;
	char esc[8];

	alert_json_put(o, "\"", 1);
	while (i < n) {
		uint8_t c;
		size_t l;

		if (n - i >= 8 && plain8(p + i)) {
			run += 8;
			i += 8;
			continue;
		}
		c = p[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			run++;
			i++;
			continue;
		}
		alert_json_put(o, (const char *)p + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			alert_json_put(o, esc, 2);
			i++;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			alert_json_put(o, esc, 2);
			i++;
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			alert_json_put(o, esc, 6);
			i++;
		} else if ((l = utf8_len(p + i, n - i)) != 0) {
			alert_json_put(o, (const char *)p + i, l);
			i += l;
		} else {
			alert_json_put_str(o, "\\ufffd");
			i++;
		}
	}
	alert_json_put(o, (const char *)p + i - run, run);
	alert_json_put(o, "\"", 1);
}

void
alert_json_put_string(struct alert_json_out *o, const char *s)
{
	alert_json_put_span(o, (const uint8_t *)s, strlen(s));
}

/* At most <max> bytes of <s>, cut back to a UTF-8 character boundary. */
static void
put_json_cut(struct alert_json_out *o, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80) {
			n--;
		}
	}
	alert_json_put_span(o, (const uint8_t *)s, n);
}

void
alert_json_put_kv(struct alert_json_out *o, const char *key, const char *val)
{
	alert_json_put_str(o, ",\"");
	alert_json_put_str(o, key);
	alert_json_put_str(o, "\":");
	alert_json_put_string(o, val);
}

void
alert_json_put_ts(struct alert_json_out *o, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000u);
	unsigned long us = (unsigned long)((ns % 1000000000u) / 1000u);
	char tmp[32] = "\"0000-00-00T00:00:00.000000Z\"";
	struct tm tm;
	int year, i;

	gmtime_r(&secs, &tm);
	/* digits written into a template: printf was a tenth of the writer's time */
	year = tm.tm_year + 1900;
	if (year < 0 || year > 9999) {
		year = 0;
	}
	for (i = 4; i >= 1; i--, year /= 10) {
		tmp[i] = (char)('0' + year % 10);
	}
	tmp[6] = (char)('0' + (tm.tm_mon + 1) / 10);
	tmp[7] = (char)('0' + (tm.tm_mon + 1) % 10);
	tmp[9] = (char)('0' + tm.tm_mday / 10);
	tmp[10] = (char)('0' + tm.tm_mday % 10);
	tmp[12] = (char)('0' + tm.tm_hour / 10);
	tmp[13] = (char)('0' + tm.tm_hour % 10);
	tmp[15] = (char)('0' + tm.tm_min / 10);
	tmp[16] = (char)('0' + tm.tm_min % 10);
	tmp[18] = (char)('0' + tm.tm_sec / 10);
	tmp[19] = (char)('0' + tm.tm_sec % 10);
	for (i = 26; i >= 21; i--, us /= 10) {
		tmp[i] = (char)('0' + us % 10);
	}
	alert_json_put(o, tmp, 29);
}

size_t
alert_json_string(char *buf, size_t cap, struct span s)
{
	struct alert_json_out o = { buf, buf + cap, false };

	alert_json_put_span(&o, s.ptr, s.len);
	return o.overflow ? 0 : (size_t)(o.p - buf);
}

size_t
alert_copy_text(char *dst, size_t cap, struct span src)
{
	size_t n = src.len;

	if (n >= cap) {
		n = cap - 1;
		/* back off to the start of a UTF-8 character */
		while (n > 0 && (src.ptr[n] & 0xc0) == 0x80) {
			n--;
		}
	}
	if (n > 0) {
		memcpy(dst, src.ptr, n);
	}
	dst[n] = '\0';
	return n;
}

void
alert_json_put_record_tail(struct alert_json_out *o, const struct alert_rec *r, uint64_t latency_us)
{
	uint32_t i;

	alert_json_put_str(o, ",\"rule\":");
	if (r->rule[0] != '\0') {
		alert_json_put_string(o, r->rule);
	} else {
		alert_json_put_str(o, "null");
	}
	alert_json_put_str(o, ",\"hits\":[");
	for (i = 0; i < r->n_hits && i < ALERT_MAX_HITS; i++) {
		alert_json_put_str(o, i > 0 ? ",{\"term\":" : "{\"term\":");
		alert_json_put_string(o, r->hits[i].term);
		alert_json_put_kv(o, "field", r->hits[i].field);
		alert_json_put_str(o, ",\"offset\":");
		alert_json_put_u64(o, r->hits[i].offset);
		alert_json_put_str(o, "}");
	}
	alert_json_put_str(o, "],\"hits_dropped\":");
	alert_json_put_u64(o, r->n_hits_dropped);
	alert_json_put_str(o, ",\"item\":{\"title\":");
	alert_json_put_string(o, r->title);
	alert_json_put_kv(o, "link", r->link);
	alert_json_put_kv(o, "id", r->id);
	alert_json_put_kv(o, "published", r->published);
	alert_json_put_kv(o, "excerpt", r->excerpt);
	alert_json_put_str(o, "},\"feed\":{\"url\":");
	alert_json_put_string(o, r->feed_url);
	alert_json_put_kv(o, "format", r->feed_format);
	alert_json_put_kv(o, "title", r->feed_title);
	alert_json_put_str(o, "},\"flow\":{\"src\":");
	alert_json_put_string(o, r->flow_src);
	alert_json_put_kv(o, "dst", r->flow_dst);
	alert_json_put_kv(o, "proto", r->flow_proto);
	alert_json_put_str(o, "},\"latency_us\":");
	alert_json_put_u64(o, latency_us);
}

size_t
alert_json_encode(const struct alert_rec *r, uint64_t seq, uint64_t latency_us, char *buf,
                  size_t cap)
{
	struct alert_json_out o = { buf, buf + cap, false };
	uint32_t i;

	alert_json_put_str(&o, "{\"seq\":");
	alert_json_put_u64(&o, seq);
	alert_json_put_str(&o, ",\"ts\":");
	alert_json_put_ts(&o, r->ts_ns);
	alert_json_put_kv(&o, "watchlist", r->watchlist);
	alert_json_put_kv(&o, "watchlist_version", r->wl_version);
	alert_json_put_kv(&o, "severity", r->severity);
	alert_json_put_str(&o, ",\"tags\":[");
	for (i = 0; i < r->n_tags && i < ALERT_MAX_TAGS; i++) {
		if (i > 0) {
			alert_json_put_str(&o, ",");
		}
		alert_json_put_string(&o, r->tags[i]);
	}
	alert_json_put_str(&o, "]");
	alert_json_put_record_tail(&o, r, latency_us);
	alert_json_put_str(&o, "}\n");
	if (o.overflow) {
		return 0;
	}
	return (size_t)(o.p - buf);
}

size_t
alert_json_hello(char *buf, size_t cap, const char *version, const char *node, const char *format,
                 uint64_t last_seq)
{
	struct alert_json_out o = { buf, buf + cap, false };

	alert_json_put_str(&o, "{\"hello\":{\"version\":");
	put_json_cut(&o, version, NOTE_VERSION_MAX);
	alert_json_put_str(&o, ",\"node\":");
	put_json_cut(&o, node, NOTE_NODE_MAX);
	alert_json_put_str(&o, ",\"format\":");
	put_json_cut(&o, format, NOTE_WORD_MAX);
	alert_json_put_str(&o, ",\"last_seq\":");
	alert_json_put_u64(&o, last_seq);
	alert_json_put_str(&o, "}}\n");
	return o.overflow ? 0 : (size_t)(o.p - buf);
}

size_t
alert_json_gap(char *buf, size_t cap, uint64_t from, uint64_t to, const char *reason)
{
	struct alert_json_out o = { buf, buf + cap, false };

	alert_json_put_str(&o, "{\"gap\":{\"from\":");
	alert_json_put_u64(&o, from);
	alert_json_put_str(&o, ",\"to\":");
	alert_json_put_u64(&o, to);
	alert_json_put_str(&o, ",\"reason\":");
	put_json_cut(&o, reason, NOTE_WORD_MAX);
	alert_json_put_str(&o, "}}\n");
	return o.overflow ? 0 : (size_t)(o.p - buf);
}

size_t
alert_json_notice(char *buf, size_t cap, const char *type, const char *message, uint64_t last_seq)
{
	struct alert_json_out o = { buf, buf + cap, false };

	alert_json_put_str(&o, "{\"notice\":{\"type\":");
	put_json_cut(&o, type, NOTE_WORD_MAX);
	alert_json_put_str(&o, ",\"message\":");
	put_json_cut(&o, message, NOTE_MESSAGE_MAX);
	alert_json_put_str(&o, ",\"last_seq\":");
	alert_json_put_u64(&o, last_seq);
	alert_json_put_str(&o, "}}\n");
	return o.overflow ? 0 : (size_t)(o.p - buf);
}
