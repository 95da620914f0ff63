/*
 * Incremental XML tokenizer, private to feed/. It turns a document's bytes,
 * split anywhere, into events (start tag name, wanted attributes, end of
 * start tag, end tag, text) without buffering more than a tag name, an
 * attribute name, an entity name (NORMALIZE_ENTITY_MAX bytes) and the XML
 * declaration. It is lenient the way feed readers must be: a '<' or '&' that
 * does not open markup or an entity is text; references are decoded from
 * the five XML names plus the whole HTML5 set (feeds write &nbsp; or
 * &eacute; without a DTD declaring them, and readers take them; only with
 * the ';', which XML requires: "&copy 2024" stays literal here and is left
 * to the HTML decoder of HTML fields); unknown names stay literal; end tags
 * are not matched against start tags (the caller counts depth). Comments,
 * processing instructions and DOCTYPE (internal subset included, so a
 * declared entity is not used: an HTML5 name keeps its HTML5 meaning) are
 * skipped; CDATA sections are text, verbatim.
 *
 * Text is only delivered while the caller sets <want_text>; otherwise the
 * scanner jumps from '<' to '<' with memchr. Text and attribute bytes come
 * in two kinds: raw document bytes (in the document's charset) and bytes
 * produced by decoding a reference (always UTF-8).
 */
#ifndef FW_XML_SCAN_H
#define FW_XML_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/normalize.h"

#define XML_SCAN_NAME_MAX 64 /* longer names are cut (and so match nothing we look for) */
#define XML_SCAN_DECL_MAX 96 /* bytes of the XML declaration kept to find encoding= */

/* Callbacks; <arg> is the one given to xml_scan_feed(). Spans are valid during the call only. */
struct xml_scan_ops {
	/* A start tag's name (qualified, prefix included). */
	void (*start)(void *arg, const char *name, size_t len);
	/* An attribute name in the current start tag; returns a sink id, 0 to ignore the value. */
	int (*attr)(void *arg, const char *name, size_t len);
	/* Bytes of the value of the attribute given sink id <sink>, references decoded. */
	void (*attr_value)(void *arg, int sink, const uint8_t *p, size_t n, bool raw);
	/* The start tag ended; <empty> for "<x/>" (no end event follows). */
	void (*start_end)(void *arg, bool empty);
	/* An end tag "</name>". */
	void (*end)(void *arg, const char *name, size_t len);
	/* Character data while want_text is set: references decoded, CDATA unwrapped. */
	void (*text)(void *arg, const uint8_t *p, size_t n, bool raw);
	/* The encoding= pseudo-attribute of the XML declaration. */
	void (*encoding)(void *arg, const char *name, size_t len);
};

/* Zero-initialised means "before the first byte". */
struct xml_scan {
	uint8_t state;
	uint8_t ret;      /* state to resume after an entity */
	uint8_t quote;    /* the quote that closes the current attribute value */
	uint8_t match;    /* progress through "[CDATA[", "-->", "]]>", "?>", DOCTYPE '[' */
	uint8_t name_len; /* bytes in name[] */
	uint8_t ent_len;  /* bytes in ent[] */
	uint8_t decl_len; /* bytes in decl[] */
	bool want_text;   /* set by the caller: deliver character data */
	bool utf8_text; /* set by the caller: raw text is UTF-8 too, so raw and decoded may merge */
	/*
	 * Set by the caller: where character data goes while utf8_text is set,
	 * instead of the text callback (which still gets references the fast
	 * path does not decode): text_sink[*text_len] onward, up to text_cap bytes;
	 * past that the text is cut at a UTF-8 boundary and *text_full set, as
	 * the caller's own appends do.
	 */
	uint8_t *text_sink;
	uint32_t text_cap;
	uint32_t *text_len;
	bool *text_full;
	bool stop;    /* set by the caller: ignore the rest of the document */
	bool is_decl; /* the current processing instruction is <?xml ...?> */
	int sink;     /* the current attribute's sink id */
	char name[XML_SCAN_NAME_MAX];
	char ent[NORMALIZE_ENTITY_MAX];
	char decl[XML_SCAN_DECL_MAX];
};

/*
 * Scans the next <n> bytes at <p> of the document, calling <ops> with <arg>.
 * Never reads outside [p, p + n) and keeps no pointer into it. Returns at
 * the end of the bytes or as soon as a callback sets <stop> (the encoding
 * callback sets it right after the XML declaration's "?>"), with the number
 * of bytes consumed.
 */
size_t xml_scan_feed(struct xml_scan *sc, const struct xml_scan_ops *ops, void *arg,
                     const uint8_t *p, size_t n);

#endif
