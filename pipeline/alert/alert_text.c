#include "alert/alert_text.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A small reader for the alert schema: objects, arrays, strings, numbers, literals. */
struct rd {
	const char *p;
	const char *end;
	bool bad;
};

static void
ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) {
		r->p++;
	}
}

static bool
eat(struct rd *r, char c)
{
	ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return true;
	}
	return false;
}

static void
put_utf8(char *dst, size_t cap, size_t *n, uint32_t cp)
{
	char tmp[4];
	size_t len, i;

	if (cp < 0x80) {
		tmp[0] = (char)cp;
		len = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xc0 | (cp >> 6));
		tmp[1] = (char)(0x80 | (cp & 0x3f));
		len = 2;
	} else {
		tmp[0] = (char)(0xe0 | (cp >> 12));
		tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (cp & 0x3f));
		len = 3;
	}
	for (i = 0; i < len && *n + 1 < cap; i++) {
		dst[(*n)++] = tmp[i];
	}
}

/* A string into <dst> (may be NULL to skip), truncated to <cap>. */
static void
str(struct rd *r, char *dst, size_t cap)
{
	size_t n = 0;

	if (!eat(r, '"')) {
		r->bad = true;
		return;
	}
	while (r->p < r->end && *r->p != '"') {
		char c = *r->p++;

		if (c == '\\' && r->p < r->end) {
			char e = *r->p++;
			uint32_t cp = 0;
			int i;

			switch (e) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'u':
				for (i = 0; i < 4 && r->p < r->end; i++) {
					char h = *r->p++;

					cp = cp * 16 +
					     (uint32_t)(h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
				}
				if (dst != NULL) {
					put_utf8(dst, cap, &n, cp);
				}
				continue;
			default:
				c = e;
			}
		}
		if (dst != NULL && n + 1 < cap) {
			dst[n++] = c;
		}
	}
	if (r->p >= r->end) {
		r->bad = true;
		return;
	}
	r->p++;
	if (dst != NULL) {
		dst[n] = '\0';
	}
}

static uint64_t
num(struct rd *r)
{
	uint64_t v = 0;

	ws(r);
	if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
		r->bad = true;
		return 0;
	}
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		v = v * 10 + (uint64_t)(*r->p++ - '0');
	}
	return v;
}

static void skip_value(struct rd *r);

static void
skip_value(struct rd *r)
{
	ws(r);
	if (r->p >= r->end) {
		r->bad = true;
		return;
	}
	if (*r->p == '"') {
		str(r, NULL, 0);
	} else if (*r->p == '{' || *r->p == '[') {
		char close = *r->p == '{' ? '}' : ']';

		r->p++;
		if (eat(r, close)) {
			return;
		}
		do {
			if (close == '}') {
				str(r, NULL, 0);
				if (!eat(r, ':')) {
					r->bad = true;
				}
			}
			skip_value(r);
		} while (!r->bad && eat(r, ','));
		if (!eat(r, close)) {
			r->bad = true;
		}
	} else {
		while (r->p < r->end && strchr(",}] \t\r\n", *r->p) == NULL) {
			r->p++;
		}
	}
}

/* Iterate the keys of an object: returns false at its end. */
static bool
next_key(struct rd *r, char *key, size_t cap, bool *first)
{
	if (*first) {
		*first = false;
		if (!eat(r, '{')) {
			r->bad = true;
			return false;
		}
		if (eat(r, '}')) {
			return false;
		}
	} else if (!eat(r, ',')) {
		if (!eat(r, '}')) {
			r->bad = true;
		}
		return false;
	}
	str(r, key, cap);
	if (!eat(r, ':')) {
		r->bad = true;
	}
	return !r->bad;
}

static void
read_hits(struct rd *r, struct alert_rec *a)
{
	if (!eat(r, '[')) {
		r->bad = true;
		return;
	}
	if (eat(r, ']')) {
		return;
	}
	do {
		struct alert_hit tmp, *h = a->n_hits < ALERT_MAX_HITS ? &a->hits[a->n_hits] : &tmp;
		bool first = true;
		char key[32];

		memset(h, 0, sizeof(*h));
		while (next_key(r, key, sizeof(key), &first)) {
			if (strcmp(key, "term") == 0) {
				str(r, h->term, sizeof(h->term));
			} else if (strcmp(key, "field") == 0) {
				str(r, h->field, sizeof(h->field));
			} else if (strcmp(key, "offset") == 0) {
				h->offset = (uint32_t)num(r);
			} else {
				skip_value(r);
			}
		}
		if (h != &tmp) {
			a->n_hits++;
		}
	} while (!r->bad && eat(r, ','));
	if (!eat(r, ']')) {
		r->bad = true;
	}
}

static void
read_tags(struct rd *r, struct alert_rec *a)
{
	if (!eat(r, '[')) {
		r->bad = true;
		return;
	}
	if (eat(r, ']')) {
		return;
	}
	do {
		if (a->n_tags < ALERT_MAX_TAGS) {
			str(r, a->tags[a->n_tags], sizeof(a->tags[0]));
			a->n_tags++;
		} else {
			str(r, NULL, 0);
		}
	} while (!r->bad && eat(r, ','));
	if (!eat(r, ']')) {
		r->bad = true;
	}
}

struct field_map {
	const char *key;
	size_t off;
	size_t cap;
};

#define FM(k, f)                                                                     \
	{                                                                            \
		k, offsetof(struct alert_rec, f), sizeof(((struct alert_rec *)0)->f) \
	}

static void
read_object(struct rd *r, struct alert_rec *a, const struct field_map *map, size_t n)
{
	bool first = true;
	char key[32];
	size_t i;

	while (next_key(r, key, sizeof(key), &first)) {
		for (i = 0; i < n; i++) {
			if (strcmp(key, map[i].key) == 0) {
				str(r, (char *)a + map[i].off, map[i].cap);
				break;
			}
		}
		if (i == n) {
			skip_value(r);
		}
	}
}

/* The keys of an alert object (native line, or an ECS document's "feedwatch") at <r>. */
static void
read_alert(struct rd *r, struct alert_rec *a, uint64_t *seq, uint64_t *latency_us)
{
	static const struct field_map item[] = { FM("title", title), FM("link", link), FM("id", id),
		                                 FM("published", published),
		                                 FM("excerpt", excerpt) };
	static const struct field_map feed[] = { FM("url", feed_url), FM("format", feed_format),
		                                 FM("title", feed_title) };
	static const struct field_map flow[] = { FM("src", flow_src), FM("dst", flow_dst),
		                                 FM("proto", flow_proto) };
	bool first = true;
	char key[32];

	while (next_key(r, key, sizeof(key), &first)) {
		ws(r);
		if (strcmp(key, "seq") == 0) {
			*seq = num(r);
		} else if (strcmp(key, "latency_us") == 0) {
			*latency_us = num(r);
		} else if (strcmp(key, "hits_dropped") == 0) {
			a->n_hits_dropped = (uint32_t)num(r);
		} else if (strcmp(key, "watchlist") == 0) {
			str(r, a->watchlist, sizeof(a->watchlist));
		} else if (strcmp(key, "watchlist_version") == 0) {
			str(r, a->wl_version, sizeof(a->wl_version));
		} else if (strcmp(key, "severity") == 0) {
			str(r, a->severity, sizeof(a->severity));
		} else if (strcmp(key, "rule") == 0 && r->p < r->end && *r->p == '"') {
			str(r, a->rule, sizeof(a->rule));
		} else if (strcmp(key, "tags") == 0) {
			read_tags(r, a);
		} else if (strcmp(key, "hits") == 0) {
			read_hits(r, a);
		} else if (strcmp(key, "item") == 0) {
			read_object(r, a, item, sizeof(item) / sizeof(item[0]));
		} else if (strcmp(key, "feed") == 0) {
			read_object(r, a, feed, sizeof(feed) / sizeof(feed[0]));
		} else if (strcmp(key, "flow") == 0) {
			read_object(r, a, flow, sizeof(flow) / sizeof(flow[0]));
		} else {
			skip_value(r);
		}
	}
}

int
alert_text_parse(const char *line, size_t len, struct alert_rec *a, uint64_t *seq,
                 uint64_t *latency_us)
{
	struct rd r = { line, line + len, false };

	memset(a, 0, sizeof(*a));
	*seq = 0;
	*latency_us = 0;
	read_alert(&r, a, seq, latency_us);
	return r.bad || a->watchlist[0] == '\0' ? -1 : 0;
}

/* The keys of a hello, gap or notice object at <r> into <l>. */
static void
read_note(struct rd *r, struct alert_line *l)
{
	bool first = true;
	char key[32];

	while (next_key(r, key, sizeof(key), &first)) {
		ws(r);
		if (strcmp(key, "last_seq") == 0) {
			l->last_seq = num(r);
		} else if (strcmp(key, "from") == 0) {
			l->from = num(r);
		} else if (strcmp(key, "to") == 0) {
			l->to = num(r);
		} else if (strcmp(key, "version") == 0) {
			str(r, l->version, sizeof(l->version));
		} else if (strcmp(key, "node") == 0) {
			str(r, l->node, sizeof(l->node));
		} else if (strcmp(key, "format") == 0) {
			str(r, l->format, sizeof(l->format));
		} else if (strcmp(key, "type") == 0) {
			str(r, l->type, sizeof(l->type));
		} else if (strcmp(key, "reason") == 0) {
			str(r, l->reason, sizeof(l->reason));
		} else if (strcmp(key, "message") == 0) {
			str(r, l->message, sizeof(l->message));
		} else {
			skip_value(r);
		}
	}
}

enum alert_line_kind
alert_text_parse_line(const char *line, size_t len, struct alert_line *l)
{
	struct rd r = { line, line + len, false };
	enum alert_line_kind kind = ALERT_LINE_OTHER;
	bool first = true, native = false;
	char key[32];

	memset(l, 0, sizeof(*l));
	while (next_key(&r, key, sizeof(key), &first)) {
		ws(&r);
		if (strcmp(key, "hello") == 0) {
			kind = ALERT_LINE_HELLO;
			read_note(&r, l);
		} else if (strcmp(key, "gap") == 0) {
			kind = ALERT_LINE_GAP;
			read_note(&r, l);
		} else if (strcmp(key, "notice") == 0) {
			kind = ALERT_LINE_NOTICE;
			read_note(&r, l);
		} else if (strcmp(key, "feedwatch") == 0) {
			kind = ALERT_LINE_ALERT;
			l->ecs = true;
			read_alert(&r, &l->rec, &l->seq, &l->latency_us);
		} else {
			/* the native layout has no key the other lines have */
			native = native || strcmp(key, "seq") == 0;
			skip_value(&r);
		}
	}
	if (r.bad) {
		return l->kind = ALERT_LINE_OTHER;
	}
	if (kind == ALERT_LINE_OTHER && native) {
		/* a second pass over the same bytes: simpler than two readers in one */
		if (alert_text_parse(line, len, &l->rec, &l->seq, &l->latency_us) == 0) {
			kind = ALERT_LINE_ALERT;
		}
	}
	if (kind == ALERT_LINE_ALERT && (l->rec.watchlist[0] == '\0' || l->seq == 0)) {
		kind = ALERT_LINE_OTHER;
	}
	return l->kind = kind;
}

/* ANSI SGR (ECMA-48 §8.3.117) for each severity label. */
static const char *
severity_sgr(const char *sev)
{
	static const struct {
		const char *label;
		const char *sgr;
	} map[] = { { "info", "36" },
		    { "low", "32" },
		    { "medium", "33" },
		    { "high", "1;31" },
		    { "critical", "1;37;41" } };
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(sev, map[i].label) == 0) {
			return map[i].sgr;
		}
	}
	return "35";
}

void
alert_text_print(FILE *f, const struct alert_rec *r, uint64_t seq, uint64_t latency_us)
{
	alert_text_print_color(f, r, seq, latency_us, false);
}

/*
 * <s> with every C0 and C1 control and DEL shown as '?': feed text decoded
 * from its \u escapes must not drive the terminal (ECMA-48 sequences).
 */
static void
put_safe(FILE *f, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;

	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f) {
			fputc('?', f);
			p++;
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fputc('?', f);
			p += 2;
		} else {
			fputc(*p, f);
			p++;
		}
	}
}

void
alert_text_print_color(FILE *f, const struct alert_rec *r, uint64_t seq, uint64_t latency_us,
                       bool color)
{
	uint32_t i;

	fprintf(f, "#%llu  %s", (unsigned long long)seq, color ? "\033[1m" : "");
	put_safe(f, r->watchlist);
	if (color) {
		fprintf(f, "\033[0m  \033[%sm[", severity_sgr(r->severity));
	} else {
		fputs("  [", f);
	}
	put_safe(f, r->severity);
	fprintf(f, "]%s", color ? "\033[0m" : "");
	for (i = 0; i < r->n_tags && i < ALERT_MAX_TAGS; i++) {
		fputs(i == 0 ? "  tags: " : ", ", f);
		put_safe(f, r->tags[i]);
	}
	if (r->rule[0] != '\0') {
		fputs("  rule: ", f);
		put_safe(f, r->rule);
	}
	fputs("\n  item:  ", f);
	put_safe(f, r->title[0] != '\0' ? r->title : "(no title)");
	fputc('\n', f);
	if (r->link[0] != '\0') {
		fputs("  link:  ", f);
		put_safe(f, r->link);
		fputc('\n', f);
	}
	fputs("  feed:  ", f);
	put_safe(f, r->feed_url);
	fputs(" (", f);
	put_safe(f, r->feed_format);
	fputs(")", f);
	if (r->feed_title[0] != '\0') {
		fputc(' ', f);
		put_safe(f, r->feed_title);
	}
	fputc('\n', f);
	for (i = 0; i < r->n_hits && i < ALERT_MAX_HITS; i++) {
		fputs("  hit:   \"", f);
		put_safe(f, r->hits[i].term);
		fputs("\" in ", f);
		put_safe(f, r->hits[i].field);
		fprintf(f, " at byte %u\n", r->hits[i].offset);
	}
	if (r->n_hits_dropped > 0) {
		fprintf(f, "  (+%u more hits)\n", r->n_hits_dropped);
	}
	if (r->flow_src[0] != '\0') {
		fputs("  flow:  ", f);
		put_safe(f, r->flow_src);
		fputs(" -> ", f);
		put_safe(f, r->flow_dst);
		fputc(' ', f);
		put_safe(f, r->flow_proto);
		fprintf(f, ", %llu us after the packet\n", (unsigned long long)latency_us);
	}
}
