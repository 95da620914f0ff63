/*
 * The feed stage's insides, shared by feed.c (the parser pool, charset and
 * format sniffing, item assembly, JSON Feed) and feed_xml.c (what RSS, RDF
 * and Atom elements mean). Private to feed/.
 */
#ifndef FW_FEED_PRIV_H
#define FW_FEED_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/charset.h"
#include "feed/feed.h"
#include "feed/feed_json.h"
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

/* The XML scanner's callbacks (feed_xml.c); their arg is the struct feed_parser. */
extern const struct xml_scan_ops feed_xml_ops;

/*
 * Raw field text into scratch (bounded by max_item, cut at a UTF-8
 * boundary); single-byte charsets become UTF-8 here, so the rest sees UTF-8.
 */
void feed_scratch_add(struct feed_parser *p, const uint8_t *s, size_t n, bool raw);

/*
 * Normalizes the scratch text into the item as field <f> with normalize_text()
 * <flags>. Categories and authors accumulate, joined by ", "; other fields keep
 * their first value unless <replace>. Links (and Atom ids) are made absolute.
 */
void feed_commit(struct feed_parser *p, int f, unsigned flags, bool replace);

/* The scratch text is the feed's own link (made absolute). */
void feed_link_set(struct feed_parser *p);

/* The capture in progress (p->cur) ends: its text goes where it belongs. */
void feed_field_end(struct feed_parser *p);

/* A new item starts: no field yet. */
void feed_item_reset(struct feed_parser *p);

/* The item ended: report it to the environment's callback, then reset. */
void feed_item_end(struct feed_parser *p);

/* The base relative links resolve against: the innermost xml:base, else the document's URL. */
struct span feed_base_now(const struct feed_parser *p);

/* Raw text from now on is in single-byte charset <t> (NULL: UTF-8). */
void feed_use_table(struct feed_parser *p, const struct charset_table *t);

/* Streams the document through iconv from <name> on; false (counted) if iconv cannot. */
bool feed_conv_open(struct feed_parser *p, const char *name);

#endif
