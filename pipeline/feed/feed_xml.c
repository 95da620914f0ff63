/*
 * What the elements of RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom 0.3/1.0 mean:
 * the XML scanner's callbacks, which classify each element, follow item,
 * author and field nesting, read the attributes that matter (link href and
 * rel, Atom type and mode, category term, rdf:about, xml:base, the root's
 * xmlns), and hand field text to feed.c's item assembly.
 */
#include "feed/feed_priv.h"

#include <string.h>

#include "feed/normalize.h"
#include "feed/url.h"

static bool
name_is(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static bool
attr_is(const char *s, size_t len, const char *lit)
{
	return span_eq_ci((struct span){ (const uint8_t *)s, len }, lit) != 0;
}

/* Splits a qualified name at its last ':' (no namespace resolution: prefixes are conventional). */
static void
split_name(const char *name, size_t len, const char **local, size_t *local_len, size_t *prefix_len)
{
	const char *colon = memrchr(name, ':', len);

	if (colon == NULL) {
		*local = name;
		*local_len = len;
		*prefix_len = 0;
		return;
	}
	*local = colon + 1;
	*local_len = len - (size_t)(colon + 1 - name);
	*prefix_len = (size_t)(colon - name);
}

static enum elem
classify_rss(const char *l, size_t n, bool prefixed)
{
	if (prefixed) {
		if (name_is(l, n, "encoded")) {
			return E_CONTENT;
		}
		if (name_is(l, n, "creator")) {
			return E_AUTHOR;
		}
		if (name_is(l, n, "date")) {
			return E_DATE2;
		}
		if (name_is(l, n, "subject")) {
			return E_CATEGORY;
		}
		if (name_is(l, n, "link")) {
			return E_ALINK;
		}
		return E_OTHER;
	}
	if (name_is(l, n, "item")) {
		return E_ITEM;
	}
	if (name_is(l, n, "title")) {
		return E_TITLE;
	}
	if (name_is(l, n, "link")) {
		return E_LINK;
	}
	if (name_is(l, n, "guid")) {
		return E_ID;
	}
	if (name_is(l, n, "pubDate")) {
		return E_PUB;
	}
	if (name_is(l, n, "author")) {
		return E_AUTHOR;
	}
	if (name_is(l, n, "category")) {
		return E_CATEGORY;
	}
	if (name_is(l, n, "description")) {
		return E_SUMMARY;
	}
	return E_OTHER;
}

static enum elem
classify_atom(const char *l, size_t n)
{
	static const struct {
		const char *name;
		enum elem e;
	} t[] = {
		{ "entry", E_ITEM },
		{ "title", E_TITLE },
		{ "link", E_ALINK },
		{ "id", E_ID },
		{ "published", E_PUB },
		{ "updated", E_DATE2 },
		{ "author", E_AUTHOR },
		{ "name", E_NAME },
		{ "category", E_CATEGORY },
		{ "summary", E_SUMMARY },
		{ "content", E_CONTENT },
		/* Atom 0.3 */
		{ "issued", E_PUB },
		{ "modified", E_DATE2 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (name_is(l, n, t[i].name)) {
			return t[i].e;
		}
	}
	return E_OTHER;
}

static int
field_of(enum elem e)
{
	switch (e) {
	case E_TITLE:
		return FEED_F_TITLE;
	case E_LINK:
	case E_ALINK:
		return FEED_F_LINK;
	case E_ID:
		return FEED_F_ID;
	case E_PUB:
	case E_DATE2:
		return FEED_F_PUBLISHED;
	case E_AUTHOR:
	case E_NAME:
		return FEED_F_AUTHOR;
	case E_CATEGORY:
		return FEED_F_CATEGORY;
	case E_SUMMARY:
		return FEED_F_SUMMARY;
	case E_CONTENT:
		return FEED_F_CONTENT;
	default:
		return CAP_NONE;
	}
}

static void
detect_root(struct feed_parser *p, const char *name, size_t len)
{
	const char *local;
	size_t local_len, prefix_len;

	split_name(name, len, &local, &local_len, &prefix_len);
	p->root_seen = true;
	p->in_root_tag = true;
	if (name_is(local, local_len, "rss")) {
		p->format = FEED_FMT_RSS;
		if (prefix_len < sizeof(p->rss_prefix)) {
			/* <r:rss>: the prefix is RSS's own. */
			memcpy(p->rss_prefix, name, prefix_len);
			p->rss_prefix_len = (uint8_t)prefix_len;
		}
	} else if (name_is(local, local_len, "feed") && prefix_len < sizeof(p->prefix)) {
		p->format = FEED_FMT_ATOM;
		memcpy(p->prefix, name, prefix_len);
		p->prefix_len = (uint8_t)prefix_len;
	} else if (name_is(local, local_len, "RDF")) {
		p->format = FEED_FMT_RDF;
	} else {
		counters_inc(p->env->c, CNT_feed_unknown_format);
		p->ignore = true;
		p->sc.stop = true;
	}
}

static void
on_start(void *arg, const char *name, size_t len)
{
	struct feed_parser *p = arg;
	const char *local;
	size_t local_len, prefix_len;
	enum elem e;

	p->depth++;
	p->pend = CAP_NONE;
	p->pend_kind = E_OTHER;
	if (p->depth > FEED_DEPTH_MAX) {
		/* No stack grows with depth, but no feed nests this deep either: a nesting bomb. */
		counters_inc(p->env->c, CNT_feed_depth_limit);
		p->ignore = true;
		p->sc.stop = true;
		return;
	}
	if (!p->root_seen) {
		detect_root(p, name, len);
		return;
	}
	split_name(name, len, &local, &local_len, &prefix_len);
	if (p->cur != CAP_NONE) {
		/* Markup inside a field (xhtml content, unescaped HTML in RSS): keep its text. */
		p->nested_block = !normalize_html_inline(local, local_len);
		if (p->skip_depth == 0 &&
		    (name_is(local, local_len, "script") || name_is(local, local_len, "style"))) {
			p->skip_depth = p->depth;
			p->sc.want_text = false;
		} else if (p->skip_depth == 0 && p->nested_block) {
			feed_scratch_add(p, (const uint8_t *)" ", 1, false);
		}
		return;
	}
	if (p->format == FEED_FMT_ATOM) {
		bool ours = prefix_len == p->prefix_len && memcmp(name, p->prefix, prefix_len) == 0;

		e = ours ? classify_atom(local, local_len) : E_OTHER;
	} else {
		bool ours = prefix_len == p->rss_prefix_len &&
		            memcmp(name, p->rss_prefix, prefix_len) == 0;

		e = classify_rss(local, local_len, !ours);
	}
	p->pend_kind = e;
	if (!p->in_item) {
		if (e == E_ITEM) {
			feed_item_reset(p);
			p->in_item = true;
			p->item_depth = p->depth;
			p->want_about = p->format == FEED_FMT_RDF;
			p->scratch_len = 0;
			p->scratch_full = false;
		} else if (p->depth == (p->format == FEED_FMT_ATOM ? 2u : 3u)) {
			if (e == E_TITLE && !p->feed_title_done) {
				p->pend = CAP_FEED_TITLE;
			} else if ((e == E_LINK || (e == E_ALINK && p->format == FEED_FMT_ATOM)) &&
			           !p->feed_link_done) {
				p->pend = CAP_FEED_LINK;
			}
		}
	} else if (p->depth == p->item_depth + 1) {
		if (e == E_AUTHOR && p->format == FEED_FMT_ATOM) {
			p->author_depth = p->depth;
		} else if (e != E_NAME && e != E_ITEM) {
			p->pend = field_of(e);
		}
	} else if (e == E_NAME && p->author_depth != 0 && p->depth == p->author_depth + 1) {
		p->pend = FEED_F_AUTHOR;
	}
	if (p->pend != CAP_NONE) {
		p->pend_name_len = (uint8_t)(len < sizeof(p->pend_name) ? len : 0);
		memcpy(p->pend_name, name, p->pend_name_len);
		p->scratch_len = 0;
		p->scratch_full = false;
		p->rel_len = 0;
		p->type_len = 0;
		p->amode_len = 0;
		p->have_href = false;
	}
}

/* The root's xmlns:PFX attribute just read: is PFX bound to RSS's namespace? */
static void
ns_check(struct feed_parser *p)
{
	size_t i;

	for (i = 0; p->ns_pfx_len > 0 && i < sizeof(rss_namespaces) / sizeof(rss_namespaces[0]);
	     i++) {
		if (name_is(p->ns_val, p->ns_val_len, rss_namespaces[i])) {
			memcpy(p->rss_prefix, p->ns_pfx, p->ns_pfx_len);
			p->rss_prefix_len = p->ns_pfx_len;
		}
	}
	p->ns_pfx_len = 0;
	p->ns_val_len = 0;
}

static int
on_attr(void *arg, const char *name, size_t len)
{
	struct feed_parser *p = arg;

	if (p->cur == CAP_NONE && name_is(name, len, "xml:base")) {
		p->base_attr = true;
		p->base_attr_len = 0;
		return SINK_BASE;
	}
	if (p->in_root_tag) {
		ns_check(p);
		if (len > 6 && len - 6 < sizeof(p->ns_pfx) && memcmp(name, "xmlns:", 6) == 0) {
			memcpy(p->ns_pfx, name + 6, len - 6);
			p->ns_pfx_len = (uint8_t)(len - 6);
			return SINK_NS;
		}
		return SINK_NONE;
	}
	if (p->want_about) {
		return name_is(name, len, "rdf:about") ? SINK_ABOUT : SINK_NONE;
	}
	if (p->pend == CAP_NONE) {
		return SINK_NONE;
	}
	if (p->pend_kind == E_ALINK || (p->pend_kind == E_LINK && p->pend == FEED_F_LINK)) {
		if (name_is(name, len, "href")) {
			p->have_href = true;
			return SINK_HREF;
		}
		return name_is(name, len, "rel") ? SINK_REL : SINK_NONE;
	}
	if (p->format != FEED_FMT_ATOM) {
		return SINK_NONE;
	}
	if (p->pend_kind == E_CATEGORY && name_is(name, len, "term")) {
		p->have_href = true;
		return SINK_HREF;
	}
	if (name_is(name, len, "type")) {
		return SINK_TYPE;
	}
	return name_is(name, len, "mode") ? SINK_MODE : SINK_NONE;
}

static void
on_attr_value(void *arg, int sink, const uint8_t *s, size_t n, bool raw)
{
	struct feed_parser *p = arg;
	char *dst = p->type;
	uint8_t *len = &p->type_len;
	size_t cap = SMALL_ATTR_MAX;

	if (sink == SINK_HREF || sink == SINK_ABOUT) {
		feed_scratch_add(p, s, n, raw);
		return;
	}
	if (sink == SINK_BASE) {
		/* URLs are ASCII in practice; a longer base is dropped whole at the start tag's end. */
		if (n > sizeof(p->base_attr_val) - p->base_attr_len) {
			p->base_attr_len = sizeof(p->base_attr_val);
			return;
		}
		memcpy(p->base_attr_val + p->base_attr_len, s, n);
		p->base_attr_len = (uint16_t)(p->base_attr_len + n);
		return;
	}
	if (sink == SINK_REL) {
		dst = p->rel;
		len = &p->rel_len;
	} else if (sink == SINK_MODE) {
		dst = p->amode;
		len = &p->amode_len;
		cap = sizeof(p->amode);
	} else if (sink == SINK_NS) {
		dst = p->ns_val;
		len = &p->ns_val_len;
		cap = sizeof(p->ns_val);
	}
	if (n > cap - *len) {
		n = cap - *len;
	}
	memcpy(dst + *len, s, n);
	*len = (uint8_t)(*len + n);
}

/* The start tag just read had an xml:base: resolve it against the one in scope and push it. */
static void
base_push(struct feed_parser *p)
{
	struct base *b;
	struct span val = { (const uint8_t *)p->base_attr_val, p->base_attr_len };
	struct span in_scope = feed_base_now(p);
	size_t n;

	p->base_attr = false;
	if (p->n_bases == FEED_BASES || p->base_attr_len >= sizeof(p->base_attr_val)) {
		return;
	}
	b = &p->bases[p->n_bases];
	if (url_is_absolute(val)) {
		memcpy(b->url, val.ptr, val.len);
		n = val.len;
	} else {
		n = url_resolve(b->url, sizeof(b->url), in_scope, val);
	}
	if (n == 0) {
		return;
	}
	b->len = (uint16_t)n;
	b->depth = p->depth;
	p->n_bases++;
}

/* The element at the current depth ends (end tag, or the end of an empty element). */
static void
element_end(struct feed_parser *p, bool block)
{
	if (p->depth == 0) {
		return;
	}
	if (p->n_bases > 0 && p->bases[p->n_bases - 1].depth == p->depth) {
		p->n_bases--;
	}
	if (p->cur != CAP_NONE) {
		if (p->skip_depth != 0) {
			if (p->depth == p->skip_depth) {
				p->skip_depth = 0;
				p->sc.want_text = true;
			}
		} else if (p->depth == p->field_depth) {
			feed_field_end(p);
		} else if (p->depth > p->field_depth && block) {
			feed_scratch_add(p, (const uint8_t *)" ", 1, false);
		}
	} else if (p->in_item && p->depth == p->item_depth) {
		feed_item_end(p);
	} else if (p->depth == p->author_depth) {
		p->author_depth = 0;
	}
	p->depth--;
}

/* Atom's type attribute (RFC 4287 §3.1.1) picks how a text construct is read. */
static bool
atom_mode(struct feed_parser *p, uint8_t *mode)
{
	struct span t = { (const uint8_t *)p->type, p->type_len };

	if (t.len == 0 || span_eq_ci(t, "text") || span_eq_ci(t, "text/plain")) {
		*mode = M_PLAIN;
	} else if (span_eq_ci(t, "html") || span_eq_ci(t, "text/html")) {
		*mode = M_HTML;
	} else if (span_eq_ci(t, "xhtml") || span_eq_ci(t, "application/xhtml+xml")) {
		*mode = M_XHTML;
	} else {
		/* Some other media type (base64 image, ...): nothing to read. */
		return false;
	}
	return true;
}

static void
on_start_end(void *arg, bool empty)
{
	struct feed_parser *p = arg;
	int f = p->pend;

	if (p->base_attr) {
		base_push(p);
	}
	if (p->in_root_tag) {
		ns_check(p);
		p->in_root_tag = false;
	}
	if (p->want_about) {
		/* RSS 1.0 §5.5: rdf:about names the item. */
		p->want_about = false;
		if (p->scratch_len > 0) {
			feed_commit(p, FEED_F_ID, 0, false);
		}
	}
	if (f != CAP_NONE) {
		p->pend = CAP_NONE;
		if (f == CAP_FEED_LINK && p->pend_kind == E_ALINK) {
			if (p->have_href &&
			    (p->rel_len == 0 || attr_is(p->rel, p->rel_len, "alternate"))) {
				feed_link_set(p);
			}
		} else if (p->pend_kind == E_LINK && p->have_href) {
			/* <link href="..."/> in RSS (gofeed's reading of it): a link like the text one. */
			feed_commit(p, FEED_F_LINK, 0, true);
			p->link_alt = true;
		} else if ((p->pend_kind == E_ALINK &&
		            (p->have_href || p->format != FEED_FMT_ATOM)) ||
		           (p->pend_kind == E_CATEGORY && p->have_href)) {
			if (p->have_href && p->pend_kind == E_ALINK) {
				bool alt =
				        p->rel_len == 0 || attr_is(p->rel, p->rel_len, "alternate");

				feed_commit(p, FEED_F_LINK, 0, alt && !p->link_alt);
				p->link_alt = p->link_alt || alt;
			} else if (p->have_href) {
				feed_commit(p, FEED_F_CATEGORY, 0, false);
			}
		} else if (p->format != FEED_FMT_ATOM || atom_mode(p, &p->mode)) {
			if (p->format != FEED_FMT_ATOM) {
				p->mode = (f == FEED_F_SUMMARY || f == FEED_F_CONTENT) ? M_HTML
				                                                       : M_PLAIN;
			}
			if ((f == FEED_F_TITLE || f == CAP_FEED_TITLE) && p->mode == M_PLAIN) {
				/*
				 * Titles carry escaped HTML often enough, whatever they declare,
				 * and "vector<int>" just as often: strip only real HTML tags.
				 */
				p->mode = M_MAYBE;
			}
			/* An Atom <link> without href: some feeds write the URL as its text. */
			p->text_link = p->pend_kind == E_ALINK;
			p->text_link_alt =
			        p->rel_len == 0 || attr_is(p->rel, p->rel_len, "alternate");
			if (p->text_link) {
				p->mode = M_PLAIN;
			}
			p->b64 = attr_is(p->amode, p->amode_len, "base64");
			p->cur = f;
			p->cur_kind = p->pend_kind;
			memcpy(p->cur_name, p->pend_name, p->pend_name_len);
			p->cur_name_len = p->pend_name_len;
			p->field_depth = p->depth;
			p->scratch_len = 0;
			p->scratch_full = false;
			p->sc.want_text = true;
		}
	}
	if (empty) {
		element_end(p, p->nested_block);
	}
}

static void
on_end(void *arg, const char *name, size_t len)
{
	struct feed_parser *p = arg;
	const char *local;
	size_t local_len, prefix_len;
	bool block = false;

	split_name(name, len, &local, &local_len, &prefix_len);
	if (p->cur != CAP_NONE && p->depth > p->field_depth) {
		if (p->cur_name_len > 0 && len == p->cur_name_len &&
		    memcmp(name, p->cur_name, len) == 0) {
			/*
			 * The field's own end tag while we think we are deeper: unescaped
			 * HTML with void elements (<br>, <img>) inside it. Close the field.
			 */
			p->depth = p->field_depth;
			p->skip_depth = 0;
		} else {
			block = !normalize_html_inline(local, local_len);
		}
	} else if (p->cur == CAP_NONE && p->in_item && p->depth > p->item_depth &&
	           (name_is(local, local_len, "item") || name_is(local, local_len, "entry"))) {
		/* The same for an item's end tag. */
		p->depth = p->item_depth;
	}
	element_end(p, block);
}

static void
on_text(void *arg, const uint8_t *s, size_t n, bool raw)
{
	feed_scratch_add(arg, s, n, raw);
}

/* The XML declaration's encoding= (XML 1.0 §4.3.3), heeded only when neither BOM nor transport spoke. */
static void
on_encoding(void *arg, const char *name, size_t len)
{
	struct feed_parser *p = arg;
	struct span label = { (const uint8_t *)name, len };
	char canon[CHARSET_NAME_MAX];
	const struct charset_table *t;

	if (p->cs_locked) {
		return;
	}
	p->cs_locked = true;
	switch (charset_resolve(p->env->charsets, label, &t, canon)) {
	case CHARSET_TABLE:
		feed_use_table(p, t);
		break;
	case CHARSET_STREAM:
		if (charset_unit(canon) > 1) {
			/* We read the declaration in 8 bits, so the document is not what it says: UTF-8. */
			break;
		}
		if (feed_conv_open(p, canon)) {
			p->switch_conv = true;
			p->sc.stop = true;
		}
		break;
	case CHARSET_UNKNOWN:
		counters_inc(p->env->c, CNT_feed_charset_unknown);
		break;
	case CHARSET_UTF8:
		break;
	}
}

const struct xml_scan_ops feed_xml_ops = {
	.start = on_start,
	.attr = on_attr,
	.attr_value = on_attr_value,
	.start_end = on_start_end,
	.end = on_end,
	.text = on_text,
	.encoding = on_encoding,
};
