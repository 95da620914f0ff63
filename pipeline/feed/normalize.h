/*
 * Text normalization for feed fields: everything the matcher needs to see
 * plain, valid UTF-8. The XML scanner decodes references (the XML and
 * HTML5 named ones, and numeric ones) and unwraps CDATA as it copies a
 * field's text (converting single-byte charsets to UTF-8 on the way); when
 * the field ends, normalize_text() turns that text into its final form: tags
 * stripped and the references of the escaped HTML decoded (HTML fields only),
 * whitespace (including U+00A0) folded to single spaces and trimmed, and
 * invalid UTF-8 replaced by U+FFFD. All functions are pure, allocation-free
 * and safe on any thread.
 */
#ifndef FW_NORMALIZE_H
#define FW_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* U+FFFD REPLACEMENT CHARACTER, what every invalid sequence or reference becomes. */
#define NORMALIZE_REPLACEMENT 0xFFFDu

/*
 * The longest entity name (between '&' and ';') either decoder looks up: HTML5's longest,
 * "CounterClockwiseContourIntegral", has 31 bytes (checked against the generated table).
 */
#define NORMALIZE_ENTITY_MAX 32

/* The most UTF-8 bytes one reference expands to (HTML5 names give up to two code points). */
#define NORMALIZE_ENTITY_UTF8_MAX 8

/* normalize_text() flags. */
enum {
	NORMALIZE_HTML = 1u << 0, /* strip tags (script/style bodies too), decode HTML entities */
	/* With NORMALIZE_HTML: text that may or may not be HTML (an RSS title): only tags of
	 * known HTML elements are markup, so "vector<int>" and "#include </etc/x>" stay. */
	NORMALIZE_HTML_KNOWN = 1u << 1,
};

/*
 * Appends the UTF-8 encoding of code point <cp> to <out> (room for 4
 * bytes); surrogates and values above U+10FFFF become U+FFFD. Returns the
 * number of bytes written.
 */
size_t normalize_utf8_put(uint8_t *out, uint32_t cp);

/*
 * Decodes the reference whose name (between '&' and ';') is <name>, <len>
 * bytes, writing its UTF-8 expansion to <out>. "#NNN" and "#xHH" are
 * numeric references: 0, surrogates, values above U+10FFFF, U+FFFE/U+FFFF,
 * C0 controls other than tab/LF/CR and malformed digits give U+FFFD;
 * 0x80-0x9F are read as windows-1252 (what the feeds that write &#146;
 * mean). Named references: with <html> false only the five XML ones (amp lt
 * gt quot apos), with <html> true the whole HTML5 set (WHATWG "named
 * character references", 2,125 names, case-sensitive; some expand to two
 * code points, e.g. "NotEqualTilde" to U+2242 U+0338). <name> must not
 * include the ';'. Returns the number of bytes written (1 to
 * NORMALIZE_ENTITY_UTF8_MAX), or 0 if <name> is not a reference we know (the
 * caller keeps it literally; <out> is then untouched).
 */
size_t normalize_entity_utf8(const char *name, size_t len, bool html,
                             uint8_t out[NORMALIZE_ENTITY_UTF8_MAX]);

/*
 * Writes the normalized form of <src> (<len> bytes, any content) to <dst>
 * (<cap> bytes; <dst> and <src> must not overlap): with NORMALIZE_HTML in
 * <flags>, tags and comments are removed (block-level tags and unknown tags
 * leave a space, inline ones like <b> or <a> nothing), <script> and <style>
 * elements are removed with their content, and character references are
 * decoded as the HTML5 tokenizer does in text (WHATWG HTML §13.2.5.72-80):
 * named ones from the whole HTML5 set when they end with ';'; otherwise the
 * longest legacy name that prefixes the text after '&' ("&copy 2024" gives
 * "© 2024", "&notit;" gives "¬it;", "AT&T" stays); numeric ones with or
 * without ';' (invalid values as normalize_entity_utf8() says);
 * then C1 controls are read as the windows-1252 characters they stand for
 * (U+0092 as U+2019), runs of whitespace (ASCII blanks, DEL, U+00A0 and the
 * other Unicode spaces) become one space, leading and trailing space is
 * dropped, other C0 controls are dropped,
 * and invalid UTF-8 becomes U+FFFD. If the result does not fit in <cap>, it
 * is cut at a UTF-8 character boundary and <*truncated> is set (otherwise
 * left alone). Returns the number of bytes written; the output is valid UTF-8.
 */
size_t normalize_text(uint8_t *dst, size_t cap, const uint8_t *src, size_t len, unsigned flags,
                      bool *truncated);

/*
 * Whether the HTML element <name> (<len> bytes, ASCII case ignored, no
 * prefix) is inline (b, i, a, span, em, ...): its tags join the text around
 * them without a space, where block and unknown elements separate words.
 */
bool normalize_html_inline(const char *name, size_t len);

/*
 * Length of the longest prefix of <s> (<len> bytes) that does not end inside
 * a UTF-8 sequence: <len> minus an incomplete trailing lead sequence, if
 * any. Used to cut raw text at a character boundary.
 */
size_t normalize_utf8_boundary(const uint8_t *s, size_t len);

#endif
