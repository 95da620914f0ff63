/*
 * Incremental JSON Feed 1.0 / 1.1 extractor, private to feed/
 * (https://www.jsonfeed.org/version/1.1/). A resumable JSON tokenizer
 * (RFC 8259) over bytes split anywhere, with the path tracking that picks the
 * fields out of the top-level "title" and the objects of the top-level
 * "items" array. Nothing is buffered but an object key (cut at
 * FEED_JSON_KEY_MAX) and a pending \u surrogate: string values stream to the
 * caller as they are decoded, and every value we do not want (unknown keys,
 * nested objects and arrays) is tokenized but never copied.
 *
 * Any JSON object document with a top-level "items" array is taken as a JSON
 * Feed: "version" may come after "items", so waiting for it would mean
 * buffering the items.
 */
#ifndef FW_FEED_JSON_H
#define FW_FEED_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/feed.h"

#define FEED_JSON_DEPTH_MAX 64 /* objects and arrays open at once; deeper is malformed */
#define FEED_JSON_KEY_MAX   16 /* longer keys are cut (and so match nothing we look for) */
#define FEED_JSON_ROLES     8  /* depths whose meaning we track; deeper is always skipped */

/* value_begin()'s <field> for the feed's own top-level "title" and "home_page_url". */
#define FEED_JSON_FEED_TITLE FEED_F__MAX
#define FEED_JSON_FEED_LINK  (FEED_F__MAX + 1)

/* Callbacks; <arg> is the one given to feed_json_data(). Spans are valid during the call only. */
struct feed_json_ops {
	/* The top-level "items" array opened: the document is a JSON Feed. */
	void (*feed)(void *arg);
	/* An object in "items" opened / closed. */
	void (*item_begin)(void *arg);
	void (*item_end)(void *arg);
	/*
	 * A string (or, for "id", number) value for <field> (a FEED_F_* or
	 * FEED_JSON_FEED_TITLE) starts. <html>: the text is HTML (content_html).
	 * <fallback>: the key is the one to use only when the preferred one is
	 * absent (external_url, date_modified, content_text, the 1.0 "author").
	 */
	void (*value_begin)(void *arg, int field, bool html, bool fallback);
	/* Decoded UTF-8 bytes of that value (raw bytes of the document are passed as they are). */
	void (*value_text)(void *arg, const uint8_t *p, size_t n);
	/* The value ended. */
	void (*value_end)(void *arg);
	/* Malformed JSON or nesting deeper than FEED_JSON_DEPTH_MAX: no further callback comes. */
	void (*bad)(void *arg);
};

/* Zero-initialised means "before the first byte" (which must be the document's '{'). */
struct feed_json {
	uint8_t state;
	uint8_t depth; /* containers open */
	uint8_t sub;   /* number grammar position, or literal progress */
	uint8_t lit;   /* which literal (true, false, null) */
	uint8_t hex_n; /* hex digits of the current \u escape */
	uint8_t key_len;
	uint8_t key_kind; /* the current object member's key, classified */
	bool in_key;      /* the string being read is an object key */
	bool capture;     /* the value being read goes to value_text() */
	bool done;        /* the top-level value closed */
	uint16_t hex;     /* the \u escape's code unit so far */
	uint16_t high;    /* a high surrogate waiting for its low half, 0 if none */
	uint64_t arrays;  /* bit d-1 set: the container at depth d is an array */
	uint8_t role
	        [FEED_JSON_ROLES]; /* what the container at each depth is (items, an item, ...) */
	char key[FEED_JSON_KEY_MAX];
};

/*
 * Scans the next <n> bytes at <p> of the document, calling <ops> with <arg>.
 * Never reads outside [p, p + n) and keeps no pointer into it. After bad()
 * every further byte is ignored; bytes after the top-level value other than
 * whitespace are malformed.
 */
void feed_json_data(struct feed_json *j, const struct feed_json_ops *ops, void *arg,
                    const uint8_t *p, size_t n);

#endif
