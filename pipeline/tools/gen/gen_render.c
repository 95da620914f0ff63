/*
 * Rendering the item model as RSS 2.0, RSS 1.0 (RDF), Atom 1.0 (text, html
 * and xhtml constructs) or JSON Feed 1.1, encoded in the document's charset
 * as it is written, so every recorded offset (item ranges, planted hits) is
 * a byte offset in the final body.
 *
 * Text is escaped for how feedwatch reads the field: HTML-mode fields (RSS
 * title/description/content:encoded, Atom titles and type="html") carry an
 * HTML source that is XML-escaped or wrapped in CDATA, so text is
 * HTML-escaped first; plain and xhtml fields are XML-escaped once; JSON
 * strings follow RFC 8259 §7.
 */
#include "tools/gen/gen_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Escaping contexts. */
enum ctx {
	C_XML = 0,    /* XML character data or attribute (plain text, xhtml) */
	C_HTML_ESC,   /* HTML source, XML-escaped */
	C_HTML_CDATA, /* HTML source inside CDATA */
	C_JSON,       /* a JSON string holding plain text */
	C_JSON_HTML,  /* a JSON string holding HTML source */
};

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	enum gen_charset cs;
	bool oom;
};

static void
w_bytes(struct wbuf *w, const void *s, size_t n)
{
	if (w->oom) {
		return;
	}
	if (w->len + n + 1 > w->cap) {
		size_t cap = (w->len + n + 1) * 2;
		uint8_t *np = realloc(w->p, cap);

		if (np == NULL) {
			w->oom = true;
			return;
		}
		w->p = np;
		w->cap = cap;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
w_str(struct wbuf *w, const char *s)
{
	w_bytes(w, s, strlen(s));
}

static void w_fmt(struct wbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
w_fmt(struct wbuf *w, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0) {
		w_bytes(w, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	}
}

/* One code point in the document's charset ('?' if it has none: callers avoid that). */
static void
w_cp(struct wbuf *w, uint32_t cp)
{
	char u[4];
	uint8_t b;

	if (w->cs == GEN_CS_UTF8 || cp < 0x80) {
		w_bytes(w, u, gen_utf8_put(u, cp));
		return;
	}
	b = gen_cs_byte(w->cs, cp);
	w_bytes(w, b != 0 ? &b : (const uint8_t *)"?", 1);
}

static void
w_json_cp(struct wbuf *w, uint32_t cp)
{
	switch (cp) {
	case '"':
		w_str(w, "\\\"");
		return;
	case '\\':
		w_str(w, "\\\\");
		return;
	case '\n':
		w_str(w, "\\n");
		return;
	case '\t':
		w_str(w, "\\t");
		return;
	case '\r':
		w_str(w, "\\r");
		return;
	default:
		break;
	}
	if (cp < 0x20 || cp == 0x2028 || cp == 0x2029) {
		w_fmt(w, "\\u%04x", cp);
		return;
	}
	w_cp(w, cp);
}

/* A character of XML data: & < > escaped (and " for attributes, harmless in text). */
static void
w_xml_cp(struct wbuf *w, uint32_t cp)
{
	switch (cp) {
	case '&':
		w_str(w, "&amp;");
		return;
	case '<':
		w_str(w, "&lt;");
		return;
	case '>':
		w_str(w, "&gt;");
		return;
	case '"':
		w_str(w, "&quot;");
		return;
	default:
		w_cp(w, cp);
	}
}

/* An HTML source character (already HTML-escaped text or markup) in context <c>. */
static void
w_src_cp(struct wbuf *w, enum ctx c, uint32_t cp)
{
	switch (c) {
	case C_HTML_ESC:
	case C_XML:
		w_xml_cp(w, cp);
		return;
	case C_JSON:
	case C_JSON_HTML:
		w_json_cp(w, cp);
		return;
	default:
		w_cp(w, cp);
	}
}

static void
w_src(struct wbuf *w, enum ctx c, const char *s)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		w_src_cp(w, c, gen_utf8_next(&p, end));
	}
}

/* Markup (tags) in context <c>: raw in CDATA and xhtml, escaped in XML-escaped HTML. */
static void
w_markup(struct wbuf *w, enum ctx c, bool xhtml, const char *s)
{
	if (xhtml || c == C_HTML_CDATA) {
		w_str(w, s);
		return;
	}
	w_src(w, c, s);
}

/* Plain text in context <c>: HTML-escaped first when the field is HTML. */
static void
w_text_cp(struct wbuf *w, enum ctx c, uint32_t cp)
{
	if (c == C_HTML_ESC || c == C_HTML_CDATA || c == C_JSON_HTML) {
		const char *e = cp == '&'   ? "&amp;"
		                : cp == '<' ? "&lt;"
		                : cp == '>' ? "&gt;"
		                : cp == '"' ? "&quot;"
		                            : NULL;

		if (e != NULL) {
			w_src(w, c, e);
			return;
		}
	}
	w_src_cp(w, c, cp);
}

static void
w_text(struct wbuf *w, enum ctx c, const char *s)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		w_text_cp(w, c, gen_utf8_next(&p, end));
	}
}

/* A planted term; the character at <ent_at> as a reference when <ent>. */
static void
w_term(struct wbuf *w, enum ctx c, const char *s, bool ent, uint32_t ent_at)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		bool here = ent && (uint32_t)(p - s) == ent_at;
		uint32_t cp = gen_utf8_next(&p, end);

		if (!here) {
			w_text_cp(w, c, cp);
		} else if (c == C_JSON || c == C_JSON_HTML) {
			w_fmt(w, "\\u%04x", cp);
		} else if (cp % 2 == 0) {
			w_fmt(w, "&#%u;", cp);
		} else {
			w_fmt(w, "&#x%X;", cp);
		}
	}
}

static bool
has_special(const char *s)
{
	return strpbrk(s, "&<>") != NULL;
}

/* ---- fields ---- */

enum gen_mode
gen_field_mode(enum gen_format f, enum gen_fld fld)
{
	switch (f) {
	case GEN_FMT_RSS2:
	case GEN_FMT_RDF:
		return GEN_MODE_HTML;
	case GEN_FMT_ATOM_TEXT:
		return fld == GEN_FLD_TITLE ? GEN_MODE_HTML : GEN_MODE_PLAIN;
	case GEN_FMT_ATOM_HTML:
		return GEN_MODE_HTML;
	case GEN_FMT_ATOM_XHTML:
		return fld == GEN_FLD_TITLE ? GEN_MODE_HTML : GEN_MODE_XHTML;
	default:
		return fld == GEN_FLD_CONTENT ? GEN_MODE_JSON_HTML : GEN_MODE_JSON_TEXT;
	}
}

/* The field's segments, each separated by one space (or a paragraph break). */
static void
w_field(struct wbuf *w, struct gen_doc *doc, const struct gen_field *fl, enum gen_mode mode,
        bool paras)
{
	const bool xhtml = mode == GEN_MODE_XHTML;
	const bool html = mode == GEN_MODE_HTML || mode == GEN_MODE_JSON_HTML || xhtml;
	enum ctx c;
	uint32_t i;

	switch (mode) {
	case GEN_MODE_HTML:
		c = fl->cdata ? C_HTML_CDATA : C_HTML_ESC;
		break;
	case GEN_MODE_JSON_TEXT:
		c = C_JSON;
		break;
	case GEN_MODE_JSON_HTML:
		c = C_JSON_HTML;
		break;
	default:
		c = C_XML;
		break;
	}
	if (c == C_HTML_CDATA) {
		w_str(w, "<![CDATA[");
	}
	if (xhtml) {
		w_str(w, "<div xmlns=\"http://www.w3.org/1999/xhtml\">");
	}
	if (html && paras) {
		w_markup(w, c, xhtml, "<p>");
	}
	for (i = 0; i < fl->n; i++) {
		const struct gen_seg *s = &fl->v[i];

		if (s->type == GEN_SEG_PARA) {
			if (html) {
				w_markup(w, c, xhtml, "</p>\n<p>");
			} else {
				w_src(w, c, "\n\n");
			}
			continue;
		}
		if (i > 0 && fl->v[i - 1].type != GEN_SEG_PARA && !s->nospace) {
			w_src(w, c, " ");
		}
		if (s->type == GEN_SEG_TEXT) {
			w_text(w, c, s->text);
		} else if (s->type == GEN_SEG_NEAR) {
			if (s->near == GEN_NEAR_ATTR) {
				w_markup(w, c, xhtml, "<span title=\"");
				if (xhtml || c == C_HTML_CDATA) {
					w_text(w, C_XML, s->hidden);
				} else {
					w_text(w, c, s->hidden);
				}
				w_markup(w, c, xhtml, "\">");
				w_text(w, c, s->text);
				w_markup(w, c, xhtml, "</span>");
			} else {
				w_text(w, c, s->text);
			}
		} else {
			struct gen_hit *h = &doc->hits[s->hit];
			bool wrap = s->how == GEN_HOW_MARKUP || s->how == GEN_HOW_XHTML;

			if (wrap) {
				w_markup(w, c, xhtml, "<b>");
			}
			h->at = w->len;
			w_term(w, c, s->text, s->how == GEN_HOW_ENTITY || s->how == GEN_HOW_JSON,
			       s->ent_at);
			h->at_len = w->len - h->at;
			if (wrap) {
				w_markup(w, c, xhtml, "</b>");
			}
		}
	}
	if (html && paras) {
		w_markup(w, c, xhtml, "</p>");
	}
	if (xhtml) {
		w_str(w, "</div>");
	}
	if (c == C_HTML_CDATA) {
		w_str(w, "]]>");
	}
}

/* ---- dates ---- */

static void
fmt_date(char *out, size_t cap, uint64_t when, bool rfc822)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	if (rfc822) {
		snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
		         tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		         tm.tm_sec);
	} else {
		snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
}

/* ---- formats ---- */

static void
w_prolog(struct wbuf *w, const struct gen_doc *doc)
{
	if (doc->cs_decl == GEN_CSD_HEADER) {
		w_str(w, "<?xml version=\"1.0\"?>\n");
	} else {
		w_fmt(w, "<?xml version=\"1.0\" encoding=\"%s\"?>\n",
		      gen_charset_name(doc->charset));
	}
}

/* An XML element <name> with plain text, or nothing if empty. */
static void
w_elem(struct wbuf *w, const char *name, const char *text)
{
	if (text == NULL || text[0] == 0) {
		return;
	}
	w_fmt(w, "<%s>", name);
	w_text(w, C_XML, text);
	w_fmt(w, "</%s>", name);
}

/* RSS and RDF titles are read as HTML by feedwatch and most readers: escape twice. */
static void
w_rss_field(struct wbuf *w, struct gen_doc *doc, const char *name, const struct gen_field *fl,
            enum gen_fld f)
{
	if (!fl->present) {
		return;
	}
	w_fmt(w, "<%s>", name);
	w_field(w, doc, fl, gen_field_mode(doc->format, f), f == GEN_FLD_CONTENT);
	w_fmt(w, "</%s>", name);
}

static void
render_rss(struct wbuf *w, struct gen_doc *doc, const struct gen_mitem *items, uint32_t n,
           const char *feed_title, const char *site)
{
	bool rdf = doc->format == GEN_FMT_RDF;
	uint32_t i;

	w_prolog(w, doc);
	if (rdf) {
		w_str(w, "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
		         "xmlns=\"http://purl.org/rss/1.0/\" "
		         "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
		         "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n");
		w_fmt(w, "<channel rdf:about=\"%s%s\">\n", site, doc->path + 1);
	} else {
		w_str(w, "<rss version=\"2.0\" "
		         "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
		         "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
		         "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n");
	}
	w_elem(w, "title", feed_title);
	w_fmt(w, "\n<link>%s</link>\n", site);
	w_str(w, "<description>Latest stories</description>\n");
	if (rdf) {
		w_str(w, "<items><rdf:Seq>\n");
		for (i = 0; i < n; i++) {
			w_fmt(w, "<rdf:li rdf:resource=\"%s\"/>\n", items[i].link);
		}
		w_str(w, "</rdf:Seq></items>\n</channel>\n");
	} else {
		w_fmt(w,
		      "<language>en</language>\n<atom:link href=\"%s%s\" rel=\"self\" "
		      "type=\"application/rss+xml\"/>\n",
		      site, doc->path + 1);
	}
	for (i = 0; i < n; i++) {
		const struct gen_mitem *it = &items[i];

		doc->items[i].start = w->len;
		if (rdf) {
			w_fmt(w, "<item rdf:about=\"%s\">\n", it->link);
		} else {
			w_str(w, "<item>\n");
		}
		w_rss_field(w, doc, "title", &it->f[GEN_FLD_TITLE], GEN_FLD_TITLE);
		w_fmt(w, "\n<link>%s</link>\n", it->link);
		if (!rdf) {
			w_fmt(w, "<guid isPermaLink=\"%s\">%s</guid>\n",
			      strcmp(it->id, it->link) == 0 ? "true" : "false", it->id);
			w_fmt(w, "<pubDate>%s</pubDate>\n", it->date);
		} else {
			w_fmt(w, "<dc:date>%s</dc:date>\n", it->date);
		}
		w_elem(w, "dc:creator", it->author);
		w_elem(w, rdf ? "dc:subject" : "category", it->category);
		w_str(w, "\n");
		w_rss_field(w, doc, "description", &it->f[GEN_FLD_SUMMARY], GEN_FLD_SUMMARY);
		w_str(w, "\n");
		w_rss_field(w, doc, "content:encoded", &it->f[GEN_FLD_CONTENT], GEN_FLD_CONTENT);
		w_str(w, "\n</item>");
		doc->items[i].end = w->len;
		w_str(w, "\n");
	}
	w_str(w, rdf ? "</rdf:RDF>\n" : "</channel>\n</rss>\n");
}

static const char *
atom_type(enum gen_mode m, const struct gen_field *fl)
{
	(void)fl;
	switch (m) {
	case GEN_MODE_HTML:
		return "html";
	case GEN_MODE_XHTML:
		return "xhtml";
	default:
		return "text";
	}
}

static void
w_atom_field(struct wbuf *w, struct gen_doc *doc, const char *name, const struct gen_field *fl,
             enum gen_fld f)
{
	enum gen_mode m = gen_field_mode(doc->format, f);

	if (!fl->present) {
		return;
	}
	if (f == GEN_FLD_TITLE) {
		/* a title without markup characters is the same text whatever its type */
		bool special = false;
		uint32_t i;

		for (i = 0; i < fl->n; i++) {
			special = special || (fl->v[i].text != NULL && has_special(fl->v[i].text));
		}
		if (special) {
			w_fmt(w, "<%s type=\"html\">", name);
		} else {
			w_fmt(w, "<%s>", name);
		}
		w_field(w, doc, fl, m, false);
		w_fmt(w, "</%s>", name);
		return;
	}
	w_fmt(w, "<%s type=\"%s\">", name, atom_type(m, fl));
	w_field(w, doc, fl, m, f == GEN_FLD_CONTENT);
	w_fmt(w, "</%s>", name);
}

static void
render_atom(struct wbuf *w, struct gen_doc *doc, const struct gen_mitem *items, uint32_t n,
            const char *feed_title, const char *site)
{
	uint32_t i;

	w_prolog(w, doc);
	w_str(w, "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n");
	w_elem(w, "title", feed_title);
	w_fmt(w, "\n<id>%s</id>\n", site);
	w_fmt(w, "<updated>%s</updated>\n", n > 0 ? items[0].date : "2024-01-01T00:00:00Z");
	w_fmt(w, "<link rel=\"self\" href=\"%s%s\"/>\n<link rel=\"alternate\" href=\"%s\"/>\n",
	      site, doc->path + 1, site);
	for (i = 0; i < n; i++) {
		const struct gen_mitem *it = &items[i];

		doc->items[i].start = w->len;
		w_str(w, "<entry>\n");
		w_atom_field(w, doc, "title", &it->f[GEN_FLD_TITLE], GEN_FLD_TITLE);
		w_fmt(w, "\n<id>%s</id>\n", it->id);
		w_fmt(w, "<link rel=\"alternate\" type=\"text/html\" href=\"%s\"/>\n", it->link);
		w_fmt(w, "<published>%s</published>\n<updated>%s</updated>\n", it->date, it->date);
		w_str(w, "<author>");
		w_elem(w, "name", it->author);
		w_str(w, "</author>\n<category term=\"");
		w_text(w, C_XML, it->category);
		w_str(w, "\"/>\n");
		w_atom_field(w, doc, "summary", &it->f[GEN_FLD_SUMMARY], GEN_FLD_SUMMARY);
		w_str(w, "\n");
		w_atom_field(w, doc, "content", &it->f[GEN_FLD_CONTENT], GEN_FLD_CONTENT);
		w_str(w, "\n</entry>");
		doc->items[i].end = w->len;
		w_str(w, "\n");
	}
	w_str(w, "</feed>\n");
}

static void
w_json_str(struct wbuf *w, const char *s)
{
	w_str(w, "\"");
	w_src(w, C_JSON, s);
	w_str(w, "\"");
}

static void
render_json(struct wbuf *w, struct gen_doc *doc, const struct gen_mitem *items, uint32_t n,
            const char *feed_title, const char *site)
{
	static const char *const key[GEN_FLD__MAX] = { "title", "summary", "content_html" };
	uint32_t i, f;

	w_str(w, "{\n  \"version\": \"https://jsonfeed.org/version/1.1\",\n  \"title\": ");
	w_json_str(w, feed_title);
	w_fmt(w, ",\n  \"home_page_url\": \"%s\",\n  \"feed_url\": \"%s%s\",\n  \"items\": [", site,
	      site, doc->path + 1);
	for (i = 0; i < n; i++) {
		const struct gen_mitem *it = &items[i];

		w_str(w, i > 0 ? ",\n    " : "\n    ");
		doc->items[i].start = w->len;
		w_str(w, "{\n      \"id\": ");
		w_json_str(w, it->id);
		w_str(w, ",\n      \"url\": ");
		w_json_str(w, it->link);
		for (f = 0; f < GEN_FLD__MAX; f++) {
			if (!it->f[f].present) {
				continue;
			}
			w_fmt(w, ",\n      \"%s\": \"", key[f]);
			w_field(w, doc, &it->f[f], gen_field_mode(doc->format, (enum gen_fld)f),
			        f == GEN_FLD_CONTENT);
			w_str(w, "\"");
		}
		w_fmt(w, ",\n      \"date_published\": \"%s\"", it->date);
		w_str(w, ",\n      \"authors\": [{\"name\": ");
		w_json_str(w, it->author);
		w_str(w, "}],\n      \"tags\": [");
		w_json_str(w, it->category);
		w_str(w, "]\n    }");
		doc->items[i].end = w->len;
	}
	w_str(w, "\n  ]\n}\n");
}

int
gen_render(struct gen_doc *doc, const struct gen_mitem *items, const char *feed_title,
           const char *site_url)
{
	struct wbuf w = { .cs = doc->charset };
	struct gen_mitem *tmp = NULL;
	bool rfc822 = doc->format == GEN_FMT_RSS2;
	uint32_t i;

	/* dates are formatted here: the format decides RFC 822 or RFC 3339 */
	tmp = calloc(doc->n_items + 1, sizeof(*tmp));
	if (tmp == NULL) {
		return -1;
	}
	for (i = 0; i < doc->n_items; i++) {
		tmp[i] = items[i];
		fmt_date(tmp[i].date, sizeof(tmp[i].date), items[i].when, rfc822);
	}
	switch (doc->format) {
	case GEN_FMT_RSS2:
	case GEN_FMT_RDF:
		render_rss(&w, doc, tmp, doc->n_items, feed_title, site_url);
		break;
	case GEN_FMT_JSON:
		render_json(&w, doc, tmp, doc->n_items, feed_title, site_url);
		break;
	default:
		render_atom(&w, doc, tmp, doc->n_items, feed_title, site_url);
		break;
	}
	free(tmp);
	if (w.oom) {
		free(w.p);
		return -1;
	}
	doc->body = w.p;
	doc->len = w.len;
	return 0;
}
