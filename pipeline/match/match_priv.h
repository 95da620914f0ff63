/*
 * Private to pipeline/match: the in-memory model a watchlist file parses
 * into (wl_parse.c, wl_rules.c), the compiled set (wl_compile.c) and the
 * per-thread scan state (wl_scan.c, wl_eval.c).
 *
 * A watchlist is a list of rules: its plain terms (any one alerts), each
 * query, and its weighted patterns. A rule's operands are atoms: a term
 * entry, a query operand, a weighted pattern. An atom expands into one or
 * more struct wl_term (an entity or a list gives one per name); each
 * wl_term is one literal or regex the database matches, and what a hit
 * names. Identical (expression, flags) pairs across all terms of all
 * watchlists compile once: the Hyperscan id is a pattern index whose fan-out
 * list names every term that shares it.
 *
 * Text is folded before it is scanned (match/wl_fold.h): non-ASCII letters
 * lose case and diacritics, ASCII stays as it is and ASCII case is left to
 * HS_FLAG_CASELESS. Terms are folded the same way before they compile. A
 * case-sensitive (cs:) or exact term compiles without CASELESS and a hit is
 * then checked against the unfolded text.
 */
#ifndef FW_MATCH_PRIV_H
#define FW_MATCH_PRIV_H

#include <hs/hs.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "match/watchlist.h"

struct wlq;

/* Bytes of item text one scan looks at; fields beyond it are truncated (counted). */
#define WL_SCAN_MAX (256u * 1024u)

/* Hits one scan keeps across all watchlists (beyond: counted, the rest still decide rules). */
#define WL_SCAN_HITS 4096u

#define WL_NONE UINT32_MAX

/* Field scopes: one bit per enum wl_field. */
#define WL_SCOPE(f)   (1u << (f))
#define WL_SCOPE_BODY (WL_SCOPE(WL_FIELD_SUMMARY) | WL_SCOPE(WL_FIELD_CONTENT))
#define WL_SCOPE_ANY  (WL_SCOPE(WL_FIELD_TITLE) | WL_SCOPE_BODY)
#define WL_SCOPE_ALL  ((1u << WL_FIELD__MAX) - 1)

/* One compiled pattern's owner: a term after entity and list expansion. */
struct wl_term {
	char *display; /* what a hit reports: the term as written, or the entity name */
	char *expr;    /* the folded literal, or the regex as written (folded) */
	char *orig;    /* cs: / exact: the literal as written, checked against the unfolded text */
	uint32_t wl_idx;
	uint32_t atom;      /* the atom whose hit this is (set-wide index once assembled) */
	uint32_t len;       /* literal length in bytes; 0 for a regex (SOM is reported) */
	uint32_t orig_len;  /* bytes of orig */
	uint32_t line, col; /* 1-based position in the file, for compile errors */
	uint16_t n_words;   /* words the literal spans, for NEAR */
	uint8_t scope;      /* WL_SCOPE bits */
	uint8_t whole_word;
	uint8_t prefix; /* stem*: a word start, any end */
	uint8_t is_regex;
	uint8_t caseless;
};

enum wl_rule_kind { WL_RULE_TERMS, WL_RULE_QUERY, WL_RULE_PATTERNS };

/*
 * An operand of a rule. A hit on any of its terms is a hit on the atom,
 * unless the atom has an exclusion (an entity's exclude_context) and that
 * exclusion atom hit anywhere in the item.
 */
struct wl_atom {
	uint32_t rule; /* index in the watchlist's rules; WL_NONE for an exclusion */
	uint32_t excl; /* atom whose hit cancels this one, WL_NONE if none */
	int32_t weight;
	char *text; /* as written, for explain and the TERMS rule's name */
};

struct wl_rule {
	enum wl_rule_kind kind;
	char *name;        /* queries: their name; patterns: "patterns"; terms: NULL */
	struct wlq *q;     /* WL_RULE_QUERY */
	uint32_t atom0;    /* its atoms are atoms[atom0 .. atom0 + n_atoms) */
	uint32_t n_atoms;  /* a query: one per wlq atom, same order */
	int32_t threshold; /* WL_RULE_PATTERNS */
	bool needs_pos;    /* a query with NEAR/ONEAR: hits need word positions */
	uint32_t line, col;
};

/* One parsed watchlist file. */
struct wl_def {
	struct wl_info info; /* strings below are owned by this struct */
	char *name;
	char *file;
	char **tags;
	uint32_t name_line, name_col;
	struct wl_term *terms;
	uint32_t n_terms, cap_terms;
	struct wl_atom *atoms;
	uint32_t n_atoms, cap_atoms;
	struct wl_rule *rules;
	uint32_t n_rules, cap_rules;
	uint32_t atom_base; /* set-wide index of atoms[0] */
	bool needs_pos;     /* some query has NEAR/ONEAR */
};

/*
 * Words in <len> bytes of folded text, as NEAR counts them: runs of word
 * characters (wl_is_word_cp), each character of an unspaced script a word.
 */
uint32_t wl_count_words(const uint8_t *p, size_t len);

/*
 * Parse the watchlist file <path> into <*def> (zeroed by the caller). Every
 * problem found goes to <d>. Returns 0 when the file had no error (it may
 * have warnings), -1 otherwise; <*def> is cleaned up by the caller with
 * wl_parse_def_clear() either way. <buf>/<len>: parse these bytes instead of
 * reading <path> (the fuzzer), NULL to read the file. Control plane.
 */
int wl_parse_file(const char *path, const uint8_t *buf, size_t len, struct wl_def *def,
                  struct wl_diags *d);

/* Frees everything <def> owns and zeroes it. Accepts NULL. */
void wl_parse_def_clear(struct wl_def *def);

/* The generation: immutable once wl_set_build() returns it. */
struct wl_set {
	struct wl_def *defs;
	uint32_t n_defs;
	struct wl_term **terms; /* flat, watchlist order; points into defs */
	uint32_t n_terms;
	struct wl_atom **atoms; /* flat, set-wide atom index → atom */
	uint32_t *atom_wl;      /* set-wide atom index → watchlist */
	uint32_t n_atoms;
	uint32_t max_atoms; /* most atoms in one watchlist */
	uint32_t n_pats;    /* distinct (expression, flags) compiled */
	uint32_t *fan_off;  /* [n_pats + 1]: pattern p owns fan[fan_off[p] .. fan_off[p+1]) */
	uint32_t *fan;      /* term indices */
	hs_database_t *db;  /* NULL when there are no terms */
	size_t db_bytes;
	bool from_cache;
	double compile_s;
};

#endif
