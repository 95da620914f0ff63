/*
 * Incremental feed extractor: RSS 0.9x/1.0 (RDF)/2.0, Atom 1.0 and JSON Feed
 * 1.0/1.1 over arbitrary byte splits. A parser is opened when a
 * document starts (an HTTP response body, a UDP datagram, a file), fed the
 * document's bytes in order, and closed at its end; it calls the item
 * callback once per complete item with normalized UTF-8 fields (entities and
 * numeric references decoded, CDATA unwrapped, escaped HTML stripped of tags
 * and decoded, whitespace folded, invalid UTF-8 replaced by U+FFFD). Parsers
 * come from a bounded per-worker pool; the item text is the only copy,
 * bounded by feed.max_item.
 */
#ifndef FW_FEED_H
#define FW_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/span.h"

enum feed_format {
	FEED_FMT_UNKNOWN = 0,
	FEED_FMT_RSS,
	FEED_FMT_ATOM,
	FEED_FMT_RDF,
	FEED_FMT_JSON,
};

enum feed_field {
	FEED_F_TITLE = 0,
	FEED_F_LINK,      /* RSS <link>, Atom <link rel="alternate" href> (or the first href) */
	FEED_F_ID,        /* RSS <guid>, Atom <id> */
	FEED_F_PUBLISHED, /* RSS <pubDate> / dc:date, Atom <published> or else <updated>; as written */
	FEED_F_AUTHOR,    /* RSS <author> / dc:creator, Atom <author><name> */
	FEED_F_CATEGORY, /* categories joined by ", " (Atom: the term attribute) */
	FEED_F_SUMMARY,  /* RSS <description>, Atom <summary> */
	FEED_F_CONTENT,  /* RSS <content:encoded>, Atom <content> */
	FEED_F__MAX
};

#define FEED_CAT_MAX 16 /* categories listed one by one; more still join field[FEED_F_CATEGORY] */

/* One extracted item. Every span is valid only during the callback. */
struct feed_item {
	enum feed_format format;
	struct span feed_title; /* the channel / feed title, if seen before this item */
	struct span feed_link;  /* the channel / feed link (Atom: rel="alternate"), if seen */
	struct span field[FEED_F__MAX];
	struct span category[FEED_CAT_MAX]; /* the first n_categories, each on its own */
	uint8_t n_categories;
	bool truncated; /* some field was cut at feed.max_item */
};

typedef void feed_item_fn(void *arg, const struct feed_item *item);

struct feed_limits {
	uint32_t max_item;    /* bytes of normalized text per item, all fields together */
	uint32_t max_parsers; /* parsers open at once per worker */
};

struct feed_env;
struct feed_parser;

/* "rss", "atom", "rdf", "json" or "unknown". */
const char *feed_format_name(enum feed_format f);

/* The field's name as used in alerts ("title", "link", ...). */
const char *feed_field_name(enum feed_field f);

/*
 * Per-worker environment: the parser pool and item buffers, sized from <lim>.
 * Items go to <on_item> with the arg given to feed_parser_open(). NULL on
 * allocation failure. Control plane.
 */
struct feed_env *feed_env_create(const struct feed_limits *lim, struct counters *c,
                                 feed_item_fn *on_item);

/* Frees <env>; every parser must be closed. Accepts NULL. */
void feed_env_free(struct feed_env *env);

/*
 * Start a document. <charset> is the transport's charset hint (HTTP
 * Content-Type), len 0 if none. Returns NULL when every parser is busy
 * (counted as feed_pool_empty).
 */
struct feed_parser *feed_parser_open(struct feed_env *env, struct span charset, void *arg);

/* The next bytes of the document, in order. */
void feed_parser_data(struct feed_parser *p, struct span data);

/*
 * End of the document: an item still open is dropped (it never closed), the
 * parser returns to the pool. Accepts NULL.
 */
void feed_parser_close(struct feed_parser *p);

/*
 * The document's own URL (the HTTP request's), against which relative item
 * and feed links are made absolute when no xml:base says otherwise. Only
 * http and https URLs are kept. Call right after feed_parser_open().
 */
void feed_parser_set_url(struct feed_parser *p, struct span url);

/*
 * The format detected so far (FEED_FMT_UNKNOWN until the root element is
 * seen; for JSON, until the top-level "items" array opens).
 */
enum feed_format feed_parser_format(const struct feed_parser *p);

/*
 * Parse the whole document <doc> in one go (UDP datagrams, files). Returns
 * the number of items reported, or -1 if no parser was free.
 */
int feed_parse_document(struct feed_env *env, struct span doc, struct span charset, void *arg);

#endif
