/*
 * Private to pipeline/match: the in-memory model a watchlist file parses
 * into (wl_parse.c), the compiled set (wl_compile.c) and the per-thread
 * scan state (wl_scan.c).
 *
 * A term as the analyst writes it ("@person/lavrov") may expand into several
 * patterns, one per entity name; each expansion is a struct wl_term and is
 * what a hit names. Identical (expression, flags) pairs across all terms of
 * all watchlists compile once: the Hyperscan id is a pattern index whose
 * fan-out list names every term that shares it.
 */
#ifndef FW_MATCH_PRIV_H
#define FW_MATCH_PRIV_H

#include <hs/hs.h>
#include <stdint.h>

#include "core/err.h"
#include "match/watchlist.h"

/* Bytes of item text one scan looks at; fields beyond it are truncated (counted). */
#define WL_SCAN_MAX (256u * 1024u)

/* Field scopes: one bit per enum wl_field. */
#define WL_SCOPE(f)   (1u << (f))
#define WL_SCOPE_BODY (WL_SCOPE(WL_FIELD_SUMMARY) | WL_SCOPE(WL_FIELD_CONTENT))
#define WL_SCOPE_ANY  (WL_SCOPE(WL_FIELD_TITLE) | WL_SCOPE_BODY)
#define WL_SCOPE_ALL  ((1u << WL_FIELD__MAX) - 1)

/* One compiled pattern's owner: a term after entity expansion. */
struct wl_term {
	char *display; /* what a hit reports: the term as written, or the entity name */
	char *expr;    /* the folded literal, or the regex as written */
	uint32_t wl_idx;
	uint32_t len;       /* literal length in bytes; 0 for a regex (SOM is reported) */
	uint32_t line, col; /* 1-based position in the file, for compile errors */
	uint8_t scope;      /* WL_SCOPE bits */
	uint8_t whole_word;
	uint8_t is_regex;
	uint8_t caseless;
};

/* One parsed watchlist file. */
struct wl_def {
	struct wl_info info; /* strings below are owned by this struct */
	char *name;
	char *file;
	char **tags;
	uint32_t name_line, name_col;
	struct wl_term *terms;
	uint32_t n_terms;
};

/*
 * Parse the watchlist file <path> into <*def> (zeroed by the caller). On
 * error returns -1 with <*err> = "path:line:col: reason"; <*def> is then
 * cleaned up by the caller with wl_parse_def_clear(). Control plane.
 */
int wl_parse_file(const char *path, struct wl_def *def, char **err);

/* Frees everything <def> owns and zeroes it. Accepts NULL. */
void wl_parse_def_clear(struct wl_def *def);

/* The generation: immutable once wl_set_load() returns it. */
struct wl_set {
	struct wl_def *defs;
	uint32_t n_defs;
	struct wl_term **terms; /* flat, watchlist order; points into defs */
	uint32_t n_terms;
	uint32_t n_pats;   /* distinct (expression, flags) compiled */
	uint32_t *fan_off; /* [n_pats + 1]: pattern p owns fan[fan_off[p] .. fan_off[p+1]) */
	uint32_t *fan;     /* term indices */
	hs_database_t *db; /* NULL when there are no terms */
	size_t db_bytes;
};

#endif
