#include "feed/xml_scan.h"

#include <string.h>

enum {
	S_TEXT = 0,
	S_LT,              /* after '<' */
	S_START_NAME,      /* "<name" */
	S_ATTRS,           /* between attributes */
	S_ATTR_NAME,       /* an attribute's name */
	S_ATTR_AFTER_NAME, /* blanks after a name, before '=' */
	S_ATTR_EQ,         /* after '=', before the value */
	S_ATTR_VALUE,      /* a quoted value */
	S_ATTR_UVALUE,     /* an unquoted value (not XML, seen in the wild) */
	S_EMPTY_SLASH,     /* "<name .../" */
	S_END_NAME,        /* "</name" */
	S_END_TAIL,        /* blanks after an end tag's name */
	S_BANG,            /* "<!" */
	S_BANG_DASH,       /* "<!-" */
	S_COMMENT,         /* inside "<!-- -->" */
	S_CDATA_OPEN,      /* matching "<![CDATA[" */
	S_CDATA,           /* inside a CDATA section */
	S_DECL,            /* "<!DOCTYPE ...>" and other declarations */
	S_DECL_SUBSET,     /* a DOCTYPE's internal subset "[ ... ]" */
	S_PI_TARGET,       /* "<?target" */
	S_PI_BODY,         /* the rest of a processing instruction, up to "?>" */
	S_ENTITY,          /* after '&', collecting up to ';' */
};

static const char cdata_open[] = "[CDATA[";

static bool
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_name_start(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       c >= 0x80;
}

static bool
is_entity_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '#';
}

static void
name_add(struct xml_scan *sc, uint8_t c)
{
	if (sc->name_len < XML_SCAN_NAME_MAX) {
		sc->name[sc->name_len++] = (char)c;
	}
}

/* Bytes of text or of the current attribute value, depending on where the entity started. */
static void
emit(struct xml_scan *sc, const struct xml_scan_ops *ops, void *arg, const uint8_t *p, size_t n,
     bool raw, uint8_t where)
{
	if (n == 0) {
		return;
	}
	if (where == S_TEXT || where == S_CDATA) {
		if (sc->want_text) {
			ops->text(arg, p, n, raw);
		}
	} else if (sc->sink != 0) {
		ops->attr_value(arg, sc->sink, p, n, raw);
	}
}

/*
 * The entity in ent[] ended with ';': decoded (UTF-8) if it is an XML, an
 * HTML5 or a numeric reference, else kept literally (document bytes). HTML
 * names are taken although no DTD declares them, as feed readers do: feeds
 * write &nbsp; and &eacute; bare, and plain fields never see the HTML pass.
 */
static void
entity_done(struct xml_scan *sc, const struct xml_scan_ops *ops, void *arg)
{
	uint8_t buf[NORMALIZE_ENTITY_MAX + 2];
	size_t n;

	_Static_assert(sizeof(buf) >= NORMALIZE_ENTITY_UTF8_MAX, "room for the expansion");
	n = normalize_entity_utf8(sc->ent, sc->ent_len, true, buf);
	if (n != 0) {
		emit(sc, ops, arg, buf, n, false, sc->ret);
		return;
	}
	buf[0] = '&';
	memcpy(buf + 1, sc->ent, sc->ent_len);
	buf[sc->ent_len + 1] = ';';
	emit(sc, ops, arg, buf, sc->ent_len + 2u, true, sc->ret);
}

/* A '&' that did not open an entity: what was collected is text. */
static void
entity_literal(struct xml_scan *sc, const struct xml_scan_ops *ops, void *arg)
{
	uint8_t buf[NORMALIZE_ENTITY_MAX + 1];

	buf[0] = '&';
	memcpy(buf + 1, sc->ent, sc->ent_len);
	emit(sc, ops, arg, buf, sc->ent_len + 1u, true, sc->ret);
}

/*
 * The reference at <p> == '&' when it is whole in the buffer (the usual
 * case), without going through S_ENTITY byte by byte. Returns where to go on.
 */
static const uint8_t *
entity_fast(struct xml_scan *sc, const struct xml_scan_ops *ops, void *arg, const uint8_t *p,
            const uint8_t *end)
{
	const uint8_t *q = p + 1;

	sc->ret = S_TEXT;
	sc->ent_len = 0;
	while (q < end && is_entity_char(*q) && sc->ent_len < NORMALIZE_ENTITY_MAX) {
		sc->ent[sc->ent_len++] = (char)*q++;
	}
	if (q == end) {
		/* Split by the buffer's end: carry on byte by byte in the next call. */
		sc->state = S_ENTITY;
		return q;
	}
	if (*q == ';') {
		entity_done(sc, ops, arg);
		return q + 1;
	}
	entity_literal(sc, ops, arg);
	return q;
}

/* The five XML references at <p> == '&' with <n> bytes in view: the character, or 0. */
static uint8_t
xml_ref(const uint8_t *p, size_t n)
{
	if (n >= 4 && p[2] == 't' && p[3] == ';' && (p[1] == 'l' || p[1] == 'g')) {
		return p[1] == 'l' ? '<' : '>';
	}
	if (n >= 5 && memcmp(p, "&amp;", 5) == 0) {
		return '&';
	}
	if (n >= 6 && (memcmp(p, "&quot;", 6) == 0 || memcmp(p, "&apos;", 6) == 0)) {
		return p[1] == 'q' ? '"' : '\'';
	}
	return 0;
}

/*
 * Character data [p, lt) of UTF-8 text (lt: the next '<' or the end),
 * appended straight to the caller's sink with the references escaped HTML is
 * dense with decoded inline: no callback, no intermediate copy. Returns
 * where it stopped: at <lt>, or after a reference the general path took
 * (which may have left S_TEXT, when the buffer ends inside it).
 */
static const uint8_t *
text_utf8(struct xml_scan *sc, const struct xml_scan_ops *ops, void *arg, const uint8_t *p,
          const uint8_t *lt, const uint8_t *end)
{
	uint8_t *const dst = sc->text_sink;
	const uint32_t cap = sc->text_cap;
	uint32_t len = *sc->text_len;
	bool full = *sc->text_full;

	while (p < lt) {
		const uint8_t *q = memchr(p, '&', (size_t)(lt - p));
		size_t run;
		uint8_t c;

		q = q == NULL ? lt : q;
		run = (size_t)(q - p);
		if (!full) {
			if (run > cap - len) {
				/* Cut at a character boundary; the rest of the field is dropped. */
				run = normalize_utf8_boundary(p, cap - len);
				full = true;
			}
			memcpy(dst + len, p, run);
			len += (uint32_t)run;
		}
		p = q;
		if (p == lt) {
			break;
		}
		c = xml_ref(p, (size_t)(lt - p));
		if (c != 0) {
			if (!full && len < cap) {
				dst[len++] = c;
			} else {
				full = true;
			}
			p += c == '&' ? 5 : c == '<' || c == '>' ? 4 : 6;
			continue;
		}
		*sc->text_len = len;
		*sc->text_full = full;
		p = entity_fast(sc, ops, arg, p, end);
		len = *sc->text_len;
		full = *sc->text_full;
		if (sc->state != S_TEXT || sc->stop) {
			break;
		}
	}
	*sc->text_len = len;
	*sc->text_full = full;
	return p;
}

/* encoding="..." in the XML declaration (XML 1.0 §4.3.3). */
static void
decl_done(struct xml_scan *sc, const struct xml_scan_ops *ops, void *arg)
{
	const char *d = sc->decl, *end = sc->decl + sc->decl_len, *v;
	const char *hit = memmem(d, sc->decl_len, "encoding", 8);
	char quote;

	if (hit == NULL) {
		return;
	}
	v = hit + 8;
	while (v < end && is_blank((uint8_t)*v)) {
		v++;
	}
	if (v == end || *v != '=') {
		return;
	}
	v++;
	while (v < end && is_blank((uint8_t)*v)) {
		v++;
	}
	if (v == end || (*v != '"' && *v != '\'')) {
		return;
	}
	quote = *v++;
	hit = memchr(v, quote, (size_t)(end - v));
	if (hit != NULL) {
		ops->encoding(arg, v, (size_t)(hit - v));
	}
}

size_t
xml_scan_feed(struct xml_scan *sc, const struct xml_scan_ops *ops, void *arg, const uint8_t *p,
              size_t n)
{
	const uint8_t *const start = p;
	const uint8_t *end = p + n, *q, *lt = NULL;

	while (p < end && !sc->stop) {
		uint8_t c = *p;

		switch (sc->state) {
		case S_TEXT:
			if (!sc->want_text) {
				q = memchr(p, '<', (size_t)(end - p));
				if (q == NULL) {
					return n;
				}
				p = q + 1;
				sc->state = S_LT;
				break;
			}
			/* Escaped HTML is dense with references: find the '<' once per call. */
			if (lt == NULL || lt < p) {
				lt = memchr(p, '<', (size_t)(end - p));
				lt = lt == NULL ? end : lt;
			}
			if (sc->utf8_text && sc->text_sink != NULL) {
				p = text_utf8(sc, ops, arg, p, lt, end);
				if (p == lt && p < end) {
					sc->state = S_LT;
					p++;
				}
				break;
			}
			q = memchr(p, '&', (size_t)(lt - p));
			q = q == NULL ? lt : q;
			emit(sc, ops, arg, p, (size_t)(q - p), true, S_TEXT);
			p = q;
			if (p == end) {
				break;
			}
			if (*p == '<') {
				sc->state = S_LT;
				p++;
			} else {
				p = entity_fast(sc, ops, arg, p, end);
			}
			break;
		case S_LT:
			sc->name_len = 0;
			if (c == '/') {
				sc->state = S_END_NAME;
				p++;
			} else if (c == '!') {
				sc->state = S_BANG;
				p++;
			} else if (c == '?') {
				sc->state = S_PI_TARGET;
				sc->match = 0;
				sc->decl_len = 0;
				p++;
			} else if (is_name_start(c)) {
				sc->state = S_START_NAME;
			} else {
				/* Not markup: the '<' was text (lenient, like HTML). */
				emit(sc, ops, arg, (const uint8_t *)"<", 1, false, S_TEXT);
				sc->state = S_TEXT;
			}
			break;
		case S_START_NAME:
			/* Names in one go rather than a byte per turn of the state machine. */
			while (p < end && !is_blank(*p) && *p != '/' && *p != '>') {
				name_add(sc, *p++);
			}
			if (p == end) {
				break;
			}
			ops->start(arg, sc->name, sc->name_len);
			sc->state = S_ATTRS;
			break;
		case S_ATTRS:
			p++;
			if (is_blank(c)) {
				while (p < end && is_blank(*p)) {
					p++;
				}
				break;
			}
			if (c == '>') {
				sc->state = S_TEXT;
				ops->start_end(arg, false);
			} else if (c == '/') {
				sc->state = S_EMPTY_SLASH;
			} else {
				sc->state = S_ATTR_NAME;
				sc->name_len = 0;
				p--;
			}
			break;
		case S_ATTR_NAME:
			while (p < end && !is_blank(*p) && *p != '=' && *p != '>' && *p != '/') {
				name_add(sc, *p++);
			}
			if (p == end) {
				break;
			}
			sc->sink = ops->attr(arg, sc->name, sc->name_len);
			sc->state = S_ATTR_AFTER_NAME;
			break;
		case S_ATTR_AFTER_NAME:
			if (is_blank(c)) {
				p++;
			} else if (c == '=') {
				sc->state = S_ATTR_EQ;
				p++;
			} else {
				sc->state = S_ATTRS;
			}
			break;
		case S_ATTR_EQ:
			if (is_blank(c)) {
				p++;
			} else if (c == '"' || c == '\'') {
				sc->quote = c;
				sc->state = S_ATTR_VALUE;
				p++;
			} else if (c == '>') {
				sc->state = S_ATTRS;
			} else {
				sc->state = S_ATTR_UVALUE;
			}
			break;
		case S_ATTR_VALUE:
		case S_ATTR_UVALUE:
			q = p;
			if (sc->state == S_ATTR_VALUE && sc->sink == 0) {
				/* A value nobody wants: its references need no decoding either. */
				q = memchr(p, sc->quote, (size_t)(end - p));
				q = q == NULL ? end : q;
			} else if (sc->state == S_ATTR_VALUE) {
				while (q < end && *q != sc->quote && *q != '&') {
					q++;
				}
			} else {
				while (q < end && !is_blank(*q) && *q != '>' && *q != '&') {
					q++;
				}
			}
			emit(sc, ops, arg, p, (size_t)(q - p), true, sc->state);
			p = q;
			if (p == end) {
				break;
			}
			if (*p == '&') {
				sc->ret = sc->state;
				sc->state = S_ENTITY;
				sc->ent_len = 0;
				p++;
			} else {
				if (sc->state == S_ATTR_VALUE) {
					p++;
				}
				sc->state = S_ATTRS;
			}
			break;
		case S_EMPTY_SLASH:
			if (c == '>') {
				sc->state = S_TEXT;
				ops->start_end(arg, true);
				p++;
			} else {
				sc->state = S_ATTRS;
			}
			break;
		case S_END_NAME:
			while (p < end && *p != '>' && !is_blank(*p)) {
				name_add(sc, *p++);
			}
			if (p == end) {
				break;
			}
			c = *p++;
			if (c == '>') {
				sc->state = S_TEXT;
				ops->end(arg, sc->name, sc->name_len);
			} else if (is_blank(c)) {
				sc->state = S_END_TAIL;
			} else {
				name_add(sc, c);
			}
			break;
		case S_END_TAIL:
			p++;
			if (c == '>') {
				sc->state = S_TEXT;
				ops->end(arg, sc->name, sc->name_len);
			}
			break;
		case S_BANG:
			if (c == '-') {
				sc->state = S_BANG_DASH;
				p++;
			} else if (c == '[') {
				sc->state = S_CDATA_OPEN;
				sc->match = 1;
				p++;
			} else {
				sc->state = S_DECL;
			}
			break;
		case S_BANG_DASH:
			if (c == '-') {
				sc->state = S_COMMENT;
				sc->match = 0;
				p++;
			} else {
				sc->state = S_DECL;
			}
			break;
		case S_COMMENT:
			if (c == '>' && sc->match >= 2) {
				sc->state = S_TEXT;
				p++;
			} else if (c == '-') {
				sc->match = sc->match < 2 ? sc->match + 1 : 2;
				p++;
			} else {
				sc->match = 0;
				q = memchr(p, '-', (size_t)(end - p));
				p = q == NULL ? end : q;
			}
			break;
		case S_CDATA_OPEN:
			if (c == (uint8_t)cdata_open[sc->match]) {
				p++;
				if (++sc->match == sizeof(cdata_open) - 1) {
					sc->state = S_CDATA;
					sc->match = 0;
				}
			} else {
				sc->state = S_DECL;
			}
			break;
		case S_CDATA:
			/* match counts the ']' held back: they may start "]]>". */
			if (sc->match == 0) {
				q = memchr(p, ']', (size_t)(end - p));
				if (q == NULL) {
					q = end;
				}
				emit(sc, ops, arg, p, (size_t)(q - p), true, S_CDATA);
				p = q;
				if (p < end) {
					sc->match = 1;
					p++;
				}
			} else if (c == ']') {
				if (sc->match == 2) {
					emit(sc, ops, arg, p, 1, true, S_CDATA);
				}
				sc->match = 2;
				p++;
			} else if (c == '>' && sc->match == 2) {
				sc->state = S_TEXT;
				sc->match = 0;
				p++;
			} else {
				emit(sc, ops, arg, (const uint8_t *)"]]", sc->match, true, S_CDATA);
				sc->match = 0;
			}
			break;
		case S_DECL:
			p++;
			if (c == '>') {
				sc->state = S_TEXT;
			} else if (c == '[') {
				sc->state = S_DECL_SUBSET;
			}
			break;
		case S_DECL_SUBSET:
			q = memchr(p, ']', (size_t)(end - p));
			if (q == NULL) {
				return n;
			}
			p = q + 1;
			sc->state = S_DECL;
			break;
		case S_PI_TARGET:
			if (!is_blank(c) && c != '?') {
				name_add(sc, c);
				p++;
				break;
			}
			sc->is_decl = sc->name_len == 3 && memcmp(sc->name, "xml", 3) == 0;
			sc->state = S_PI_BODY;
			break;
		case S_PI_BODY:
			p++;
			if (c == '>' && sc->match) {
				sc->state = S_TEXT;
				if (sc->is_decl) {
					decl_done(sc, ops, arg);
				}
				break;
			}
			sc->match = c == '?';
			if (sc->is_decl && sc->decl_len < XML_SCAN_DECL_MAX) {
				sc->decl[sc->decl_len++] = (char)c;
			}
			break;
		case S_ENTITY:
			if (c == ';') {
				entity_done(sc, ops, arg);
				sc->state = sc->ret;
				p++;
			} else if (is_entity_char(c) && sc->ent_len < NORMALIZE_ENTITY_MAX) {
				sc->ent[sc->ent_len++] = (char)c;
				p++;
			} else {
				entity_literal(sc, ops, arg);
				sc->state = sc->ret;
			}
			break;
		default:
			/* Unreachable; resynchronise on the next tag rather than spin. */
			sc->state = S_TEXT;
			break;
		}
	}
	return (size_t)(p - start);
}
