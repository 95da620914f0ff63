#include "feed/feed.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "feed/charset.h"
#include "feed/feed_json.h"
#include "feed/normalize.h"
#include "feed/url.h"
#include "feed/xml_scan.h"

#define FEED_TITLE_MAX 256
#define FEED_LINK_MAX  256
#define SMALL_ATTR_MAX 24

/* What the current start tag is, once its name is classified. */
enum elem {
	E_OTHER = 0,
	E_ITEM,     /* RSS / RDF <item>, Atom <entry> */
	E_TITLE,    /* <title> */
	E_LINK,     /* RSS <link>text</link> */
	E_ALINK,    /* Atom <link href/>, or a prefixed one (atom:link) inside RSS */
	E_ID,       /* RSS <guid>, Atom <id> */
	E_PUB,      /* RSS <pubDate>, Atom <published> */
	E_DATE2,    /* dc:date, Atom <updated>: only when there is no E_PUB */
	E_AUTHOR,   /* RSS <author> / dc:creator (text); Atom <author> (container) */
	E_NAME,     /* Atom <author><name> */
	E_CATEGORY, /* RSS <category> / dc:subject (text); Atom <category term/> */
	E_SUMMARY,  /* RSS <description>, Atom <summary> */
	E_CONTENT,  /* content:encoded, Atom <content> */
};

/* How a captured field is normalized. */
enum mode {
	M_PLAIN = 0, /* text: whitespace folded, UTF-8 validated */
	M_HTML,      /* escaped HTML: tags stripped, HTML entities decoded */
	M_XHTML,     /* Atom type="xhtml": the markup is XML elements, their text is taken */
	M_MAYBE,     /* text that may be escaped HTML (titles): only known HTML tags are markup */
};

enum { CAP_NONE = -1, CAP_FEED_TITLE = FEED_F__MAX, CAP_FEED_LINK };
_Static_assert((int)CAP_FEED_TITLE == (int)FEED_JSON_FEED_TITLE, "one feed-title capture id");
_Static_assert((int)CAP_FEED_LINK == (int)FEED_JSON_FEED_LINK, "one feed-link capture id");
_Static_assert(FEED_F__MAX <= 8, "fallback_fields has a bit per field");

enum { SINK_NONE = 0, SINK_HREF, SINK_REL, SINK_TYPE, SINK_MODE, SINK_NS, SINK_ABOUT, SINK_BASE };

#define FEED_BASES    4   /* nested xml:base scopes kept; deeper ones are ignored */
#define FEED_BASE_MAX 512 /* bytes of a base URL; longer ones are ignored */

/* An xml:base in scope (XML Base §4.2), already resolved, and the depth of its element. */
struct base {
	uint32_t depth;
	uint16_t len;
	char url[FEED_BASE_MAX];
};

/* Namespaces of RSS 0.90, 1.0 and 2.0's own elements, when a document gives them a prefix. */
static const char *const rss_namespaces[] = {
	"http://purl.org/rss/1.0/",
	"http://backend.userland.com/rss2",
	"http://backend.userland.com/rss",
	"http://my.netscape.com/rdf/simple/0.9/",
	"http://channel.netscape.com/rdf/simple/0.9/",
};

#define NS_VALUE_MAX 48

/* After the BOM stage: blanks, then JSON, markup, or junk before the markup. */
enum head { H_START = 0, H_JUNK, H_DONE };

#define FEED_DEPTH_MAX 1024 /* elements open at once; deeper documents are abandoned */

struct field_pos {
	uint32_t off;
	uint32_t len;
};

struct feed_parser {
	struct xml_scan sc;
	struct feed_json js;
	struct feed_env *env;
	void *arg;
	uint8_t *item;    /* normalized fields of the current item, max_item bytes */
	uint8_t *scratch; /* raw (reference-decoded, UTF-8) text of the field being read */
	uint32_t item_used;
	uint32_t scratch_len;
	struct field_pos field[FEED_F__MAX];
	enum feed_format format;
	const struct charset_table *table; /* single-byte charset of the raw text, NULL: UTF-8 */
	struct charset_conv conv;          /* open when the document is streamed through iconv */
	const struct charset_table *hint_table;
	uint8_t hint_kind; /* the transport's charset, resolved at open (enum charset_kind) */
	bool cs_locked;    /* BOM or transport chose the charset: encoding= is not heeded */
	bool switch_conv;  /* encoding= just opened conv: the rest of the bytes go through it */
	bool bom_done;     /* the first bytes have been looked at for a BOM */
	uint8_t n_bom;     /* first bytes held until the BOM is known */
	uint8_t bom[4];
	char hint_name[CHARSET_NAME_MAX];
	bool ignore; /* not a feed, or unreadable: drop every further byte */
	bool root_seen;
	bool in_item;
	bool item_trunc;    /* some field of this item was cut (counted once, at its end) */
	bool scratch_full;  /* the raw field text hit max_item */
	bool link_alt;      /* the link we have is the alternate one, not a fallback */
	bool pub_from_date; /* published came from dc:date / updated and may be replaced */
	bool nested_block;  /* the element just opened inside a field is a block one */
	bool in_pool;
	bool json;               /* the document is JSON: js, not sc, reads it */
	bool json_fallback;      /* the JSON value being read is a fallback key's */
	uint8_t fallback_fields; /* bit f: field f holds a JSON fallback key's value */
	uint8_t head;
	uint8_t mode;
	enum elem pend_kind; /* the start tag being read */
	enum elem cur_kind;  /* the element whose text is being captured */
	int pend;            /* the capture it starts (a field, CAP_FEED_TITLE or CAP_NONE) */
	int cur;             /* the capture in progress */
	uint8_t pend_name_len;
	uint8_t cur_name_len;
	char pend_name[24]; /* qualified names, to close a field on its own end tag */
	char cur_name[24];
	uint32_t depth;
	uint32_t item_depth;
	uint32_t author_depth;
	uint32_t field_depth;
	uint32_t skip_depth; /* an xhtml <script>/<style> inside a field, skipped */
	uint8_t rel_len;
	uint8_t type_len;
	uint8_t amode_len;
	uint8_t ns_pfx_len;
	uint8_t ns_val_len;
	uint8_t rss_prefix_len;
	bool in_root_tag; /* the root's start tag is being read: its xmlns:* matter */
	bool want_about;  /* an RDF item's start tag is being read: rdf:about is its id */
	bool b64;         /* the field being read is Atom 0.3 mode="base64" */
	bool text_link;   /* the field being read is an Atom <link> with its URL as text */
	bool text_link_alt;
	char amode[8];
	char ns_pfx[16];
	char ns_val[NS_VALUE_MAX];
	char rss_prefix[16]; /* the prefix bound to an RSS namespace ("rss" in <rss:item>) */
	uint8_t prefix_len;
	bool have_href;
	char rel[SMALL_ATTR_MAX];
	char type[SMALL_ATTR_MAX];
	char prefix[16]; /* the root element's namespace prefix ("atom" for <atom:feed>) */
	uint16_t feed_title_len;
	uint16_t feed_link_len;
	bool feed_title_done;
	bool feed_link_done;
	uint8_t n_cat;
	struct field_pos cat[FEED_CAT_MAX]; /* each category, offset from field[FEED_F_CATEGORY] */
	uint8_t feed_title[FEED_TITLE_MAX];
	uint8_t feed_link[FEED_LINK_MAX];
	uint8_t n_bases;
	bool base_attr; /* the start tag being read has an xml:base */
	uint16_t base_attr_len;
	uint16_t doc_url_len;
	struct base bases[FEED_BASES];
	char base_attr_val[FEED_BASE_MAX];
	char doc_url[FEED_BASE_MAX]; /* the document's own http(s) URL, if the transport gave one */
	int nitems;
	uint32_t next_free;
};

struct feed_env {
	struct feed_limits lim;
	struct counters *c;
	struct charset_cache *charsets;
	feed_item_fn *on_item;
	struct feed_parser *parsers;
	uint8_t *bufs;
	uint32_t *free_list;
	uint32_t n_free;
};

static const uint8_t empty_text[1];

const char *
feed_format_name(enum feed_format f)
{
	switch (f) {
	case FEED_FMT_RSS:
		return "rss";
	case FEED_FMT_ATOM:
		return "atom";
	case FEED_FMT_RDF:
		return "rdf";
	case FEED_FMT_JSON:
		return "json";
	default:
		return "unknown";
	}
}

const char *
feed_field_name(enum feed_field f)
{
	static const char *const names[FEED_F__MAX] = {
		"title", "link", "id", "published", "author", "category", "summary", "content",
	};

	return (unsigned)f < FEED_F__MAX ? names[f] : "?";
}

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

/* Raw field text into scratch; single-byte charsets become UTF-8 here, so the rest sees UTF-8. */
static void
scratch_add(struct feed_parser *p, const uint8_t *s, size_t n, bool raw)
{
	const uint32_t cap = p->env->lim.max_item;
	size_t room, i;

	if (p->scratch_full) {
		return;
	}
	if (raw && p->table != NULL) {
		const struct charset_table *t = p->table;

		for (i = 0; i < n; i++) {
			size_t k = t->len[s[i]];

			if (cap - p->scratch_len < k) {
				p->scratch_full = true;
				return;
			}
			memcpy(p->scratch + p->scratch_len, t->utf8[s[i]], k);
			p->scratch_len += (uint32_t)k;
		}
		return;
	}
	room = cap - p->scratch_len;
	if (n > room) {
		n = normalize_utf8_boundary(s, room);
		p->scratch_full = true;
	}
	memcpy(p->scratch + p->scratch_len, s, n);
	p->scratch_len += (uint32_t)n;
}

/* The base relative links resolve against here: the innermost xml:base, else the document's URL. */
static struct span
base_now(const struct feed_parser *p)
{
	if (p->n_bases > 0) {
		const struct base *b = &p->bases[p->n_bases - 1];

		return (struct span){ (const uint8_t *)b->url, b->len };
	}
	return (struct span){ (const uint8_t *)p->doc_url, p->doc_url_len };
}

/*
 * A relative URL of <len> bytes at <s> (room for <cap>) made absolute
 * against the base in scope, in place. Returns the new length (the old one
 * if it is absolute, there is no base, or the result does not fit).
 */
static size_t
resolve_in_place(const struct feed_parser *p, uint8_t *s, size_t len, size_t cap)
{
	char buf[FEED_BASE_MAX * 2];
	struct span ref = { s, len };
	struct span base = base_now(p);
	size_t n;

	if (base.len == 0 || url_is_absolute(ref)) {
		return len;
	}
	n = url_resolve(buf, cap < sizeof(buf) ? cap : sizeof(buf), base, ref);
	if (n == 0) {
		return len;
	}
	memcpy(s, buf, n);
	return n;
}

/*
 * Normalizes the scratch text into the item as field <f>. Categories and
 * authors accumulate, joined by ", "; other fields keep their first value
 * unless <replace>.
 */
static void
commit(struct feed_parser *p, int f, unsigned flags, bool replace)
{
	const uint32_t cap = p->env->lim.max_item;
	struct field_pos *fp = &p->field[f];
	const bool join = (f == FEED_F_CATEGORY || f == FEED_F_AUTHOR) && fp->len > 0;
	bool trunc = p->scratch_full;
	uint32_t start, n;

	if (fp->len > 0 && !join && !replace) {
		return;
	}
	if (join && fp->off + fp->len != p->item_used) {
		/* Not at the end of the buffer any more: move it there so the join stays contiguous. */
		if (cap - p->item_used < fp->len) {
			p->item_trunc = true;
			return;
		}
		memmove(p->item + p->item_used, p->item + fp->off, fp->len);
		fp->off = p->item_used;
		p->item_used += fp->len;
	}
	start = p->item_used;
	if (join) {
		if (cap - start < 2) {
			p->item_trunc = true;
			return;
		}
		start += 2;
	}
	n = (uint32_t)normalize_text(p->item + start, cap - start, p->scratch, p->scratch_len,
	                             flags, &trunc);
	if (trunc) {
		p->item_trunc = true;
	}
	if (n == 0) {
		return;
	}
	if (f == FEED_F_CATEGORY && p->n_cat < FEED_CAT_MAX) {
		p->cat[p->n_cat].off = start - (join ? fp->off : start);
		p->cat[p->n_cat].len = n;
		p->n_cat++;
	}
	if (!join && (f == FEED_F_LINK || (f == FEED_F_ID && p->format == FEED_FMT_ATOM))) {
		/* Links (and Atom ids, IRIs) relative to xml:base or the document, as readers show them. */
		n = (uint32_t)resolve_in_place(p, p->item + start, n, cap - start);
	}
	if (join) {
		p->item[p->item_used] = ',';
		p->item[p->item_used + 1] = ' ';
		fp->len += n + 2;
	} else {
		fp->off = start;
		fp->len = n;
	}
	p->item_used = start + n;
}

static void
feed_link_set(struct feed_parser *p)
{
	bool trunc = false;

	size_t n = normalize_text(p->feed_link, sizeof(p->feed_link), p->scratch, p->scratch_len, 0,
	                          &trunc);

	p->feed_link_len = (uint16_t)resolve_in_place(p, p->feed_link, n, sizeof(p->feed_link));
	p->feed_link_done = p->feed_link_len > 0;
}

/* normalize_text() flags for a field read in <mode>. */
static unsigned
mode_flags(uint8_t mode)
{
	return mode == M_HTML    ? NORMALIZE_HTML
	       : mode == M_MAYBE ? NORMALIZE_HTML | NORMALIZE_HTML_KNOWN
	                         : 0;
}

/*
 * Decodes base64 (RFC 4648 §4; blanks skipped, decoding stops at '=' or a
 * byte outside the alphabet) in place; returns the decoded length.
 */
static uint32_t
base64_decode(uint8_t *s, uint32_t n)
{
	uint32_t i, out = 0, acc = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		uint8_t c = s[i];
		uint32_t v;

		if (c >= 'A' && c <= 'Z') {
			v = c - 'A';
		} else if (c >= 'a' && c <= 'z') {
			v = c - 'a' + 26u;
		} else if (c >= '0' && c <= '9') {
			v = c - '0' + 52u;
		} else if (c == '+' || c == '-') {
			v = 62;
		} else if (c == '/' || c == '_') {
			v = 63;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			continue;
		} else {
			break;
		}
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			/* out < i always: four input bytes make three. */
			s[out++] = (uint8_t)(acc >> bits);
		}
	}
	return out;
}

static void
field_end(struct feed_parser *p)
{
	bool trunc = false;
	unsigned flags = mode_flags(p->mode);

	if (p->b64) {
		/* Atom 0.3 mode="base64" (draft-ietf-atompub-format-03 §3.1.2). */
		p->scratch_len = base64_decode(p->scratch, p->scratch_len);
		p->b64 = false;
	}
	if (p->cur == CAP_FEED_TITLE) {
		p->feed_title_len =
		        (uint16_t)normalize_text(p->feed_title, sizeof(p->feed_title), p->scratch,
		                                 p->scratch_len, flags, &trunc);
		p->feed_title_done = true;
	} else if (p->cur == CAP_FEED_LINK) {
		feed_link_set(p);
	} else if (p->cur == FEED_F_PUBLISHED) {
		bool from_date = p->cur_kind == E_DATE2;

		if (p->field[FEED_F_PUBLISHED].len == 0 || (p->pub_from_date && !from_date)) {
			commit(p, FEED_F_PUBLISHED, flags, true);
			p->pub_from_date = from_date;
		}
	} else if (p->cur == FEED_F_LINK && p->text_link) {
		commit(p, FEED_F_LINK, flags, p->text_link_alt && !p->link_alt);
		p->link_alt = p->link_alt || p->text_link_alt;
	} else if (p->cur == FEED_F_LINK) {
		/* RSS <link>: the last one wins (as feedparser and gofeed read it), and beats
		 * an atom:link fallback. */
		commit(p, FEED_F_LINK, flags, true);
		p->link_alt = true;
	} else {
		commit(p, p->cur, flags, false);
	}
	p->cur = CAP_NONE;
	p->sc.want_text = false;
}

static void
item_reset(struct feed_parser *p)
{
	p->in_item = false;
	p->item_used = 0;
	p->item_trunc = false;
	p->link_alt = false;
	p->pub_from_date = false;
	p->author_depth = 0;
	p->fallback_fields = 0;
	p->n_cat = 0;
	memset(p->field, 0, sizeof(p->field));
}

static void
item_end(struct feed_parser *p)
{
	struct feed_env *env = p->env;
	struct feed_item it;
	int i;

	it.format = p->format;
	it.feed_title.ptr = p->feed_title;
	it.feed_title.len = p->feed_title_len;
	it.feed_link.ptr = p->feed_link;
	it.feed_link.len = p->feed_link_len;
	for (i = 0; i < FEED_F__MAX; i++) {
		it.field[i].ptr = p->field[i].len > 0 ? p->item + p->field[i].off : empty_text;
		it.field[i].len = p->field[i].len;
	}
	it.n_categories = p->n_cat;
	for (i = 0; i < p->n_cat; i++) {
		it.category[i].ptr = it.field[FEED_F_CATEGORY].ptr + p->cat[i].off;
		it.category[i].len = p->cat[i].len;
	}
	it.truncated = p->item_trunc;
	if (p->format == FEED_FMT_RDF && it.field[FEED_F_ID].len == 0) {
		/* RSS 1.0 has no guid: an item is named by its rdf:about, which §5.5 makes its link */
		it.field[FEED_F_ID] = it.field[FEED_F_LINK];
	}
	counters_inc(env->c, CNT_feed_items);
	if (p->item_trunc) {
		counters_inc(env->c, CNT_feed_item_truncated);
	}
	p->nitems++;
	if (env->on_item != NULL) {
		env->on_item(p->arg, &it);
	}
	item_reset(p);
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
			scratch_add(p, (const uint8_t *)" ", 1, false);
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
			item_reset(p);
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
		scratch_add(p, s, n, raw);
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
	struct span in_scope = base_now(p);
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
			field_end(p);
		} else if (p->depth > p->field_depth && block) {
			scratch_add(p, (const uint8_t *)" ", 1, false);
		}
	} else if (p->in_item && p->depth == p->item_depth) {
		item_end(p);
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
			commit(p, FEED_F_ID, 0, false);
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
			commit(p, FEED_F_LINK, 0, true);
			p->link_alt = true;
		} else if ((p->pend_kind == E_ALINK &&
		            (p->have_href || p->format != FEED_FMT_ATOM)) ||
		           (p->pend_kind == E_CATEGORY && p->have_href)) {
			if (p->have_href && p->pend_kind == E_ALINK) {
				bool alt =
				        p->rel_len == 0 || attr_is(p->rel, p->rel_len, "alternate");

				commit(p, FEED_F_LINK, 0, alt && !p->link_alt);
				p->link_alt = p->link_alt || alt;
			} else if (p->have_href) {
				commit(p, FEED_F_CATEGORY, 0, false);
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
	scratch_add(arg, s, n, raw);
}

/* Raw text from now on is in single-byte charset <t> (NULL: UTF-8). */
static void
use_table(struct feed_parser *p, const struct charset_table *t)
{
	p->table = t;
	/* with a table, raw text must go through it: the scanner may not copy it straight */
	p->sc.utf8_text = t == NULL;
}

/* Streams the document through iconv from <name> on; false (counted) if iconv cannot. */
static bool
conv_open(struct feed_parser *p, const char *name)
{
	if (charset_conv_open(&p->conv, name) != 0) {
		counters_inc(p->env->c, CNT_feed_charset_unknown);
		return false;
	}
	counters_inc(p->env->c, CNT_feed_charset_stream);
	return true;
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
		use_table(p, t);
		break;
	case CHARSET_STREAM:
		if (charset_unit(canon) > 1) {
			/* We read the declaration in 8 bits, so the document is not what it says: UTF-8. */
			break;
		}
		if (conv_open(p, canon)) {
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

static const struct xml_scan_ops scan_ops = {
	.start = on_start,
	.attr = on_attr,
	.attr_value = on_attr_value,
	.start_end = on_start_end,
	.end = on_end,
	.text = on_text,
	.encoding = on_encoding,
};

static void
json_feed(void *arg)
{
	struct feed_parser *p = arg;

	p->format = FEED_FMT_JSON;
	p->root_seen = true;
}

static void
json_item_begin(void *arg)
{
	struct feed_parser *p = arg;

	item_reset(p);
	p->in_item = true;
}

static void
json_item_end(void *arg)
{
	struct feed_parser *p = arg;

	if (p->in_item) {
		item_end(p);
	}
}

static void
json_value_begin(void *arg, int field, bool html, bool fallback)
{
	struct feed_parser *p = arg;

	p->cur = field;
	p->mode = html ? M_HTML : M_PLAIN;
	p->b64 = false;
	p->text_link = false;
	p->json_fallback = fallback;
	p->scratch_len = 0;
	p->scratch_full = false;
}

static void
json_value_text(void *arg, const uint8_t *s, size_t n)
{
	/* JSON is UTF-8 (RFC 8259 §8.1) whatever the transport says. */
	scratch_add(arg, s, n, false);
}

/*
 * A fallback key's value (external_url, date_modified, content_text, the 1.0
 * author) is kept only while the preferred key gives none, and a preferred
 * value replaces it, in whichever order they come.
 */
static void
json_value_end(void *arg)
{
	struct feed_parser *p = arg;
	const int f = p->cur;
	const unsigned flags = mode_flags(p->mode);
	uint8_t bit;

	if (f == CAP_FEED_TITLE || f == CAP_FEED_LINK) {
		field_end(p);
		return;
	}
	p->cur = CAP_NONE;
	if (f < 0 || f >= FEED_F__MAX || !p->in_item) {
		return;
	}
	bit = (uint8_t)(1u << f);
	if (p->json_fallback) {
		if (p->field[f].len > 0 && (p->fallback_fields & bit) == 0) {
			return;
		}
		commit(p, f, flags, false);
		if (p->field[f].len > 0) {
			p->fallback_fields |= bit;
		}
		return;
	}
	if ((p->fallback_fields & bit) != 0) {
		p->field[f].len = 0;
		p->fallback_fields &= (uint8_t)~bit;
	}
	commit(p, f, flags, false);
}

static void
json_bad(void *arg)
{
	struct feed_parser *p = arg;

	/* An item still open is dropped; the ones reported stay reported. */
	counters_inc(p->env->c, CNT_feed_bad_json);
	p->ignore = true;
	p->in_item = false;
	p->cur = CAP_NONE;
}

static const struct feed_json_ops json_ops = {
	.feed = json_feed,
	.item_begin = json_item_begin,
	.item_end = json_item_end,
	.value_begin = json_value_begin,
	.value_text = json_value_text,
	.value_end = json_value_end,
	.bad = json_bad,
};

struct feed_env *
feed_env_create(const struct feed_limits *lim, struct counters *c, feed_item_fn *on_item)
{
	struct feed_env *env = NULL;
	uint32_t i;

	if (lim == NULL || c == NULL) {
		return NULL;
	}
	env = calloc(1, sizeof(*env));
	if (env == NULL) {
		goto fail;
	}
	env->lim = *lim;
	env->c = c;
	env->on_item = on_item;
	env->charsets = calloc(1, sizeof(*env->charsets));
	env->parsers = mem_data_zalloc((lim->max_parsers + 1u) * sizeof(*env->parsers));
	env->free_list = calloc(lim->max_parsers + 1u, sizeof(*env->free_list));
	/* Two buffers per parser: the item's normalized fields and one field's raw text. */
	env->bufs = mem_data_zalloc(((size_t)lim->max_parsers * 2u + 1u) *
	                            ((size_t)lim->max_item + 1u));
	if (env->charsets == NULL || env->parsers == NULL || env->free_list == NULL ||
	    env->bufs == NULL) {
		goto fail;
	}
	for (i = 0; i < lim->max_parsers; i++) {
		env->free_list[env->n_free++] = lim->max_parsers - 1u - i;
	}
	return env;
fail:
	feed_env_free(env);
	return NULL;
}

void
feed_env_free(struct feed_env *env)
{
	if (env == NULL) {
		return;
	}
	mem_data_free(env->bufs);
	free(env->free_list);
	mem_data_free(env->parsers);
	free(env->charsets);
	free(env);
}

struct feed_parser *
feed_parser_open(struct feed_env *env, struct span charset, void *arg)
{
	struct feed_parser *p;
	uint32_t idx;

	if (env->n_free == 0) {
		counters_inc(env->c, CNT_feed_pool_empty);
		return NULL;
	}
	idx = env->free_list[--env->n_free];
	p = &env->parsers[idx];
	memset(p, 0, sizeof(*p));
	p->env = env;
	p->arg = arg;
	p->next_free = idx;
	p->in_pool = true;
	p->item = env->bufs + (size_t)idx * 2u * ((size_t)env->lim.max_item + 1u);
	p->scratch = p->item + env->lim.max_item + 1u;
	use_table(p, NULL);
	p->sc.text_sink = p->scratch;
	p->sc.text_cap = env->lim.max_item;
	p->sc.text_len = &p->scratch_len;
	p->sc.text_full = &p->scratch_full;
	p->cur = CAP_NONE;
	p->pend = CAP_NONE;
	/*
	 * The transport's charset (applied once the BOM is known not to say
	 * otherwise) wins over encoding= (RFC 7303 §3.2 / RFC 3023 §3.1); without
	 * one we use the declaration, not RFC 3023's US-ASCII default for
	 * text/xml, which no feed relies on. A label iconv does not know leaves
	 * the choice to the declaration.
	 */
	if (charset.len > 0) {
		p->hint_kind = (uint8_t)charset_resolve(env->charsets, charset, &p->hint_table,
		                                        p->hint_name);
		if (p->hint_kind == CHARSET_UNKNOWN) {
			counters_inc(env->c, CNT_feed_charset_unknown);
		}
	} else {
		p->hint_kind = CHARSET_UNKNOWN;
	}
	counters_inc(env->c, CNT_feed_documents);
	return p;
}

static void body(struct feed_parser *p, const uint8_t *s, size_t n);

static void
converted(void *arg, const uint8_t *s, size_t n)
{
	body(arg, s, n);
}

/*
 * The first bytes after the BOM stage: blanks, then '{' (JSON, which the
 * tokenizer gets whole), '<' (markup), or junk (a PHP warning, a banner)
 * that is skipped up to the first '<', as feed readers do. Returns the bytes
 * used.
 */
static size_t
sniff(struct feed_parser *p, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (p->head == H_JUNK) {
			const uint8_t *lt = memchr(s + i, '<', n - i);

			if (lt == NULL) {
				return n;
			}
			p->head = H_DONE;
			return (size_t)(lt - s);
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			continue;
		}
		if (c == '{') {
			p->head = H_DONE;
			p->json = true;
			return i;
		}
		if (c == '<') {
			p->head = H_DONE;
			return i;
		}
		counters_inc(p->env->c, CNT_feed_junk_before_root);
		p->head = H_JUNK;
	}
	return n;
}

/* Document bytes in the charset chosen so far (UTF-8 once streamed through iconv). */
static void
body(struct feed_parser *p, const uint8_t *s, size_t n)
{
	size_t used;

	if (p->ignore) {
		return;
	}
	if (p->head != H_DONE) {
		used = sniff(p, s, n);
		s += used;
		n -= used;
		if (n == 0) {
			return;
		}
	}
	if (p->json) {
		feed_json_data(&p->js, &json_ops, p, s, n);
		return;
	}
	used = xml_scan_feed(&p->sc, &scan_ops, p, s, n);
	if (p->switch_conv && !p->ignore) {
		/* encoding= named a multi-byte charset: what follows the declaration is in it. */
		p->switch_conv = false;
		p->sc.stop = false;
		charset_conv_feed(&p->conv, s + used, n - used, converted, p);
	}
}

/* Bytes after the BOM, in the document's own charset. */
static void
raw(struct feed_parser *p, const uint8_t *s, size_t n)
{
	if (charset_conv_is_open(&p->conv)) {
		charset_conv_feed(&p->conv, s, n, converted, p);
	} else {
		body(p, s, n);
	}
}

/* A charset the bytes themselves name (XML 1.0 Appendix F), iconv's name for it, or NULL. */
static const char *
bom_charset(const uint8_t *b, size_t n, size_t *skip)
{
	static const struct {
		uint8_t len, skip;
		uint8_t bytes[4];
		const char *name;
	} t[] = {
		{ 4, 4, { 0x00, 0x00, 0xFE, 0xFF }, "UTF-32BE" },
		{ 4, 4, { 0xFF, 0xFE, 0x00, 0x00 }, "UTF-32LE" },
		{ 3, 3, { 0xEF, 0xBB, 0xBF }, "UTF-8" },
		{ 2, 2, { 0xFE, 0xFF }, "UTF-16BE" },
		{ 2, 2, { 0xFF, 0xFE }, "UTF-16LE" },
		{ 4, 0, { 0x00, 0x00, 0x00, '<' }, "UTF-32BE" },
		{ 4, 0, { '<', 0x00, 0x00, 0x00 }, "UTF-32LE" },
		{ 2, 0, { 0x00, '<' }, "UTF-16BE" },
		{ 2, 0, { '<', 0x00 }, "UTF-16LE" },
		{ 2, 0, { 0x00, '{' }, "UTF-16BE" },
		{ 2, 0, { '{', 0x00 }, "UTF-16LE" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (n >= t[i].len && memcmp(b, t[i].bytes, t[i].len) == 0) {
			*skip = t[i].skip;
			return t[i].name;
		}
	}
	return NULL;
}

/*
 * The first four bytes are here (or the document ended): pick the charset
 * by BOM, then by the transport's label, and send the held bytes on.
 */
static void
bom_decide(struct feed_parser *p)
{
	size_t skip = 0;
	const char *bom = bom_charset(p->bom, p->n_bom, &skip);

	p->bom_done = true;
	if (bom != NULL) {
		p->cs_locked = true;
		if (strcmp(bom, "UTF-8") != 0 && !conv_open(p, bom)) {
			p->ignore = true;
			return;
		}
	} else if (p->hint_kind != CHARSET_UNKNOWN) {
		p->cs_locked = true;
		use_table(p, p->hint_table);
		if (p->hint_kind == CHARSET_STREAM) {
			conv_open(p, p->hint_name);
		}
	}
	raw(p, p->bom + skip, p->n_bom - skip);
}

/* Whether the first byte could start a BOM or a BOM-less UTF-16/32 document. */
static bool
may_be_bom(uint8_t c)
{
	return c == 0xEF || c == 0xFE || c == 0xFF || c == 0x00 || c == '<' || c == '{';
}

void
feed_parser_data(struct feed_parser *p, struct span data)
{
	const uint8_t *s = data.ptr;
	size_t n = data.len;

	if (p == NULL || p->ignore || n == 0) {
		return;
	}
	if (!p->bom_done) {
		while (n > 0 && p->n_bom < sizeof(p->bom)) {
			p->bom[p->n_bom++] = *s++;
			n--;
			if (!may_be_bom(p->bom[0])) {
				break;
			}
		}
		if (p->n_bom < sizeof(p->bom) && may_be_bom(p->bom[0])) {
			return;
		}
		bom_decide(p);
	}
	if (n > 0 && !p->ignore) {
		raw(p, s, n);
	}
}

void
feed_parser_close(struct feed_parser *p)
{
	struct feed_env *env;

	if (p == NULL || !p->in_pool) {
		return;
	}
	env = p->env;
	if (!p->bom_done && p->n_bom > 0 && !p->ignore) {
		/* A document shorter than a BOM. */
		bom_decide(p);
	}
	charset_conv_close(&p->conv, NULL, NULL);
	if (p->json) {
		if (!p->ignore && !p->js.done) {
			/* Cut short: an item still open is dropped, like a malformed one. */
			counters_inc(env->c, CNT_feed_bad_json);
		} else if (!p->ignore && p->format != FEED_FMT_JSON) {
			/* Well-formed JSON without a top-level "items" array. */
			counters_inc(env->c, CNT_feed_unknown_format);
		}
	} else if (!p->ignore && p->bom_done && !p->root_seen) {
		/* Bytes came but no element ever started: not a feed either. */
		counters_inc(env->c, CNT_feed_unknown_format);
	}
	p->in_pool = false;
	env->free_list[env->n_free++] = p->next_free;
}

void
feed_parser_set_url(struct feed_parser *p, struct span url)
{
	static const char *const schemes[] = { "http://", "https://" };
	size_t i;

	if (p == NULL || url.len >= sizeof(p->doc_url)) {
		return;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		struct span pre = { url.ptr, strlen(schemes[i]) };

		if (url.len > pre.len && span_eq_ci(pre, schemes[i])) {
			memcpy(p->doc_url, url.ptr, url.len);
			p->doc_url_len = (uint16_t)url.len;
			return;
		}
	}
}

enum feed_format
feed_parser_format(const struct feed_parser *p)
{
	return p->format;
}

int
feed_parse_document(struct feed_env *env, struct span doc, struct span charset, void *arg)
{
	struct feed_parser *p = feed_parser_open(env, charset, arg);
	int n;

	if (p == NULL) {
		return -1;
	}
	feed_parser_data(p, doc);
	n = p->nitems;
	feed_parser_close(p);
	return n;
}
