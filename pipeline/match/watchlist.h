/*
 * Watchlists: YAML files (format in DESIGN.md) loaded and compiled together
 * into one generation, struct wl_set: one Hyperscan block-mode database of
 * plain escaped literals (ASCII terms HS_FLAG_CASELESS; non-ASCII terms
 * HS_FLAG_UTF8 | HS_FLAG_CASELESS), the term table, and each watchlist's
 * metadata. Word boundaries and field scopes are checked in the match
 * callback. A generation is immutable once built: workers scan it with their
 * own scratch while the control thread builds the next one.
 */
#ifndef FW_WATCHLIST_H
#define FW_WATCHLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "core/span.h"

/* The fields of an item that matching sees; also the "field" of a hit. */
enum wl_field {
	WL_FIELD_TITLE = 0,
	WL_FIELD_SUMMARY,
	WL_FIELD_CONTENT,
	WL_FIELD_AUTHOR,
	WL_FIELD_CATEGORY,
	WL_FIELD_URL,
	WL_FIELD_HOST,
	WL_FIELD__MAX
};

/* An item as matching sees it: normalized UTF-8 text per field (len 0 if absent). */
struct wl_item {
	struct span field[WL_FIELD__MAX];
};

/* "title", "summary", "content", "author", "category", "url", "host". */
const char *wl_field_name(enum wl_field f);

struct wl_set;
struct wl_scratch;

/* What a watchlist says about itself. Strings live as long as the set. */
struct wl_info {
	const char *name;
	const char *severity; /* info | low | medium | high | critical */
	const char *const *tags;
	uint32_t n_tags;
	uint32_t n_terms;
	const char *file;
	char version
	        [16]; /* the file's `version:`, else the first 8 hex digits of its content hash */
};

/* One problem found in a watchlist file (or a note about the build). */
struct wl_diag {
	char *file;
	uint32_t line, col; /* 1-based; 0 when the problem has no position */
	bool warning;
	char *msg;
};

/* Every problem a load found, in the order found. Zero-initialised is empty. */
struct wl_diags {
	struct wl_diag *v;
	uint32_t n, cap;
	uint32_t n_errors, n_warnings;
};

/* Appends one problem to <d> (may be NULL); returns -1 for an error, 0 for a warning. */
int wl_diag_add(struct wl_diags *d, const char *file, uint32_t line, uint32_t col, bool warning,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The first error in <d> (warnings skipped), or NULL when there is none. */
const struct wl_diag *wl_diags_first_error(const struct wl_diags *d);

/* Frees what <d> holds and empties it. */
void wl_diags_clear(struct wl_diags *d);

/* "file:line:col: error: msg" (or "warning: ...") of <dg> into <buf>. Returns <buf>. */
const char *wl_diag_format(const struct wl_diag *dg, char *buf, size_t cap);

struct wl_load_opts {
	const char *cache_dir; /* compiled databases cached here; NULL: no cache */
};

/*
 * Load every watchlist named by <paths> (files, or directories whose *.yaml
 * and *.yml files are loaded in name order) and compile them into one set.
 * Every error and warning goes to <d> (may be NULL); any error gives NULL.
 * Control plane.
 */
struct wl_set *wl_set_build(const char *const *paths, size_t n_paths, const struct wl_load_opts *o,
                            struct wl_diags *d);

/*
 * wl_set_build() without a cache, keeping only the first error: on error
 * returns NULL and sets <*err> to a heap message "file:line:col: reason"
 * (the caller frees it).
 */
struct wl_set *wl_set_load(const char *const *paths, size_t n_paths, char **err);

/* Whether the database came from the cache, and the seconds the build took. */
bool wl_set_from_cache(const struct wl_set *set);
double wl_set_compile_s(const struct wl_set *set);

/* Frees <set>. Accepts NULL. */
void wl_set_free(struct wl_set *set);

uint32_t wl_set_count(const struct wl_set *set);
const struct wl_info *wl_set_info(const struct wl_set *set, uint32_t idx);

/* Total terms, and the compiled database's size in bytes. */
uint32_t wl_set_terms(const struct wl_set *set);
size_t wl_set_db_bytes(const struct wl_set *set);

/* A scratch for one thread scanning <set>. NULL on failure. Control plane. */
struct wl_scratch *wl_scratch_alloc(const struct wl_set *set);
void wl_scratch_free(struct wl_scratch *s);

/*
 * Word boundaries as whole-word matching sees them: ASCII letters, digits and
 * '_' are word characters, and so is every non-ASCII code point except
 * Latin-1 punctuation and symbols, General Punctuation, CJK punctuation and
 * U+FFFD. Scripts written without spaces (kana, CJK ideographs) break around
 * every character (UAX #29 WB999). Exported so that feedwatch-gen plants
 * hits by the same rule. Any thread.
 */
bool wl_is_word_cp(uint32_t cp);
bool wl_is_unspaced(uint32_t cp);

#define WL_MAX_HITS 16 /* hits reported per watchlist per item */

struct wl_hit {
	const char *term; /* as written in the watchlist file */
	enum wl_field field;
	uint32_t offset; /* byte offset of the hit within that field's text */
};

/* One watchlist that matched one item. Valid during the callback only. */
struct wl_match {
	uint32_t wl_idx;
	const struct wl_info *info;
	const char *rule; /* the query that fired, "patterns", or the term that hit first */
	uint32_t n_hits;
	const struct wl_hit *hits; /* first hits in text order, at most WL_MAX_HITS */
	uint32_t n_hits_dropped;   /* hits beyond WL_MAX_HITS */
};

typedef void wl_match_fn(void *arg, const struct wl_match *m);

/*
 * Scan <item> once against every watchlist in <set> using the thread's
 * scratch <s> (allocated for this set). Calls <fn> once per matching
 * watchlist, in watchlist order. Counts match_* in <c>. Returns the number
 * of watchlists matched, or -1 on a scan error (counted).
 */
int wl_scan(const struct wl_set *set, struct wl_scratch *s, const struct wl_item *item,
            struct counters *c, wl_match_fn *fn, void *arg);

/*
 * For analysts (feedwatch match --explain): scan <item> like wl_scan() and
 * call <line> with one line of text per watchlist, rule and clause: whether
 * it held and the hits (term, field, offset) behind it, whether or not
 * anything alerted. <depth> indents. Control plane speed.
 */
typedef void wl_explain_fn(void *arg, unsigned int depth, bool held, const char *text);
int wl_scan_explain(const struct wl_set *set, struct wl_scratch *s, const struct wl_item *item,
                    wl_explain_fn *line, void *arg);

/*
 * For benchmarks: the text wl_scan() hands Hyperscan for <item> (its fields
 * joined with separators), left in <s>'s buffer and pointed to by <*text>
 * until the next call on <s>. Returns its length.
 */
size_t wl_scan_text(struct wl_scratch *s, const struct wl_item *item, const uint8_t **text);

/*
 * For benchmarks: the raw matching cost alone, one hs_scan of <len> bytes of
 * <text> with <set>'s database and a callback that only counts. Returns the
 * number of matches Hyperscan reported, or -1 on a scan error.
 */
long long wl_scan_raw(const struct wl_set *set, struct wl_scratch *s, const uint8_t *text,
                      size_t len);

#endif
