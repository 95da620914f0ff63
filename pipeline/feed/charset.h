/*
 * Reading a feed document in its charset, private to feed/. Labels (from an
 * HTTP charset parameter or an XML declaration's encoding=) are resolved the
 * way browsers resolve them (WHATWG Encoding: "iso-8859-1" and "us-ascii"
 * mean windows-1252, "gb2312" means GB18030, ...) and then handed to
 * iconv(3), so every charset glibc knows can be read. Single-byte charsets
 * become a 256-entry table built once per worker (the scanner converts field
 * text byte by byte, tags being ASCII); any other charset (UTF-16, UTF-32,
 * Shift_JIS, GB18030, Big5, EUC-*, ...) is streamed through an iconv
 * converter ahead of the scanner, which then reads UTF-8.
 */
#ifndef FW_CHARSET_H
#define FW_CHARSET_H

#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/span.h"

#define CHARSET_NAME_MAX 32 /* longest label resolved; longer ones are unknown */
#define CHARSET_TABLES   16 /* single-byte tables one worker keeps */
#define CHARSET_PEND_MAX 8  /* bytes of an incomplete sequence kept between pieces */

enum charset_kind {
	CHARSET_UTF8 = 0, /* UTF-8 (or a label meaning it): validated later, nothing to convert */
	CHARSET_TABLE,    /* single-byte: convert through the table */
	CHARSET_STREAM,   /* multi-byte or stateful: stream through a converter */
	CHARSET_UNKNOWN,  /* not a label iconv knows (or not a sane label at all) */
};

/* A single-byte charset: byte b is utf8[b] (len[b] bytes, 1 to 3; U+FFFD if undefined). */
struct charset_table {
	char name[CHARSET_NAME_MAX];
	uint8_t len[256];
	uint8_t utf8[256][3];
};

/* The tables of one worker; zero-initialised is empty. */
struct charset_cache {
	uint32_t n;
	struct charset_table t[CHARSET_TABLES];
};

/* A streaming converter to UTF-8. */
struct charset_conv {
	iconv_t cd;
	bool open;
	uint8_t unit;   /* bytes a code unit: 2 for UTF-16, 4 for UTF-32, else 1 */
	uint8_t n_pend; /* bytes in pend[]: a sequence cut by the end of a piece */
	uint8_t pend[CHARSET_PEND_MAX];
};

/* Where converted UTF-8 goes, one chunk at a time. */
typedef void charset_out_fn(void *arg, const uint8_t *p, size_t n);

/*
 * Writes the iconv name for <label> (ASCII case, surrounding blanks and
 * quotes ignored; WHATWG aliases applied) to <name> and returns its kind:
 * CHARSET_UTF8 for UTF-8's labels, CHARSET_UNKNOWN for an empty label or one
 * with characters no charset name has, else CHARSET_STREAM (whether it is
 * really single-byte, or known to iconv at all, is charset_resolve()'s job).
 */
enum charset_kind charset_name(struct span label, char name[CHARSET_NAME_MAX]);

/*
 * Resolves <label> for reading: CHARSET_UTF8; CHARSET_TABLE with <*table>
 * set (built on first use from iconv and kept in <cache>; a full cache makes
 * it CHARSET_STREAM); CHARSET_STREAM with the iconv name in <name>; or
 * CHARSET_UNKNOWN when iconv cannot convert from it.
 */
enum charset_kind charset_resolve(struct charset_cache *cache, struct span label,
                                  const struct charset_table **table, char name[CHARSET_NAME_MAX]);

/* Bytes per code unit of iconv charset <name>: 2 for UTF-16 / UCS-2, 4 for UTF-32 / UCS-4, else 1. */
size_t charset_unit(const char *name);

/*
 * Opens a converter from the iconv charset <name> to UTF-8. Returns 0, or
 * -1 if iconv cannot (errno set).
 */
int charset_conv_open(struct charset_conv *cv, const char *name);

/*
 * Converts the next <n> bytes at <in>, calling <out> with the UTF-8 in
 * chunks. A sequence cut at the end is kept for the next call; an invalid
 * one becomes U+FFFD and reading resumes at the next byte. Never reads
 * outside [in, in + n).
 */
void charset_conv_feed(struct charset_conv *cv, const uint8_t *in, size_t n, charset_out_fn *out,
                       void *arg);

/* Closes the converter (a sequence still cut becomes U+FFFD). Accepts a closed one. */
void charset_conv_close(struct charset_conv *cv, charset_out_fn *out, void *arg);

/* Whether <cv> is open. */
bool charset_conv_is_open(const struct charset_conv *cv);

#endif
