/*
 * The watchlist query language: analysts' Boolean and proximity queries, in
 * the syntax media-monitoring tools (Meltwater, Talkwalker, Brandwatch,
 * Factiva, LexisNexis) taught them, parsed into a small tree.
 *
 * The tree's leaves ("atoms": words, phrases, prefix wildcards, @references)
 * are what the compiler turns into Hyperscan literals; after one scan of an
 * item, wlq_eval() decides the query from the hits of each atom. Hyperscan's
 * HS_FLAG_COMBINATION is not used: it is positional and costs per scan.
 *
 * Canonical syntax (wlq_format() writes it; docs/watchlists describe it):
 *   Iran  "Iran nuclear deal"  sanction*  @person/lavrov  @list:x
 *   cs:NASA  exact:"c++"  title:(Iran OR Tehran)
 *   a AND b   a OR b   NOT a   a NEAR/5 b   a ONEAR/5 b   ( ... )
 * Precedence: NOT > NEAR/ONEAR (left-associative) > AND > OR, and AND may not
 * be mixed with OR at one level without parentheses (that is an error, since
 * tools disagree on what it means). Other tools' spellings (w/5, pre/5,
 * NEAR/5f, near5, adj5, "a b"~5, stem!, &&, ||) are accepted with a warning
 * naming the canonical form.
 *
 * Columns are 1-based and count code points (as libyaml's marks do), so the
 * caller adds them to the column where the query string starts.
 */
#ifndef FW_WL_QUERY_H
#define FW_WL_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WLQ_MAX_LEN      16384u /* bytes of query text */
#define WLQ_MAX_ATOMS    1024u
#define WLQ_MAX_DEPTH    64u /* tree depth and parenthesis/NOT nesting */
#define WLQ_NEAR_DEFAULT 4u  /* bare NEAR */
#define WLQ_NEAR_MAX_POS 64u /* positions of one atom a NEAR looks at (the first ones) */

enum wlq_kind { WLQ_ATOM, WLQ_AND, WLQ_OR, WLQ_NOT, WLQ_NEAR };
enum wlq_atom_kind { WLQ_WORD, WLQ_PHRASE, WLQ_PREFIX, WLQ_REF };

struct wlq_atom {
	enum wlq_atom_kind kind;
	/*
	 * NUL-terminated, unquoted. WORD: the word; PHRASE: its words joined by
	 * single spaces (a quoted single word is a WORD); PREFIX: the stem
	 * without '*'; REF: after '@' ("person/lavrov", "list:x"), unresolved.
	 */
	char *text;
	uint8_t scope; /* WL_SCOPE(enum wl_field) bits (match_priv.h); 0 = the rule's default */
	bool cs;       /* case-sensitive (cs: and exact:) */
	bool exact;    /* exact: also accent-sensitive, no word-boundary requirement */
	uint8_t negs;  /* NOT nodes between the root and this atom */
	uint32_t col;  /* 1-based column in the query string */
};

struct wlq_node {
	enum wlq_kind kind;
	uint32_t col;  /* the operator's column; an atom's own column */
	uint32_t atom; /* ATOM: index into wlq.atoms */
	uint32_t *kids;
	uint32_t n_kids; /* AND/OR: 2 or more, NOT: 1, NEAR: 2 (left, right) */
	uint16_t near_n; /* NEAR: at most near_n words between the two sides */
	bool ordered;    /* NEAR: ONEAR, the left side comes first */
	uint8_t negs;    /* NOT nodes above this one */
	/* Atoms in this subtree are exactly atoms[atom_lo .. atom_hi) (source order). */
	uint32_t atom_lo, atom_hi;
};

struct wlq {
	struct wlq_node *nodes;
	uint32_t n_nodes, root;
	struct wlq_atom *atoms;
	uint32_t n_atoms;
};

/* A diagnostic at 1-based column <col>; <msg> is valid during the call only. */
typedef void wlq_diag_fn(void *arg, bool warning, uint32_t col, const char *msg);

/*
 * Parse the <len> bytes of query <q> (not NUL-terminated; UTF-8). Returns the
 * tree, or NULL on error. Each rewrite of another tool's syntax is reported
 * through <diag> as a warning, and the first error (parsing stops there) as
 * an error; <diag> may be NULL. References (@x) are recorded, not resolved:
 * the caller walks atoms and reports an unknown one at its atom's col.
 * Control plane; the result is owned by the caller (wlq_free()).
 */
struct wlq *wlq_parse(const char *q, size_t len, wlq_diag_fn *diag, void *arg);

/* Frees <q> and everything it owns. Accepts NULL. */
void wlq_free(struct wlq *q);

/*
 * Canonical text of node <n> of <q> into <buf> (<cap> bytes; always
 * NUL-terminated when cap > 0, truncated if short). Field scopes and options
 * are written on every atom (title:(a OR b) becomes title:a OR title:b).
 * Parsing the text again gives the same tree and the same text. Returns the
 * length the whole text has (like snprintf), so a result >= cap means it
 * was truncated. Any thread.
 */
size_t wlq_format(const struct wlq *q, uint32_t n, char *buf, size_t cap);

/* One hit of an atom in an item, as the scanner reports it. */
struct wlq_pos {
	uint8_t field;    /* enum wl_field */
	uint32_t word;    /* index of the hit's first word within that field */
	uint16_t n_words; /* words the hit spans (a phrase: its words); 0 counts as 1 */
};

/*
 * The hits of every atom of a query in one item: atom i has n[i] positions at
 * pos[i], sorted by (field, word). An atom with n[i] == 0 did not hit (pos[i]
 * is then not read and may be NULL).
 */
struct wlq_hits {
	const struct wlq_pos *const *pos;
	const uint32_t *n;
};

/*
 * Decide query <q> for one item's hits <h>. NOT x holds when x does not;
 * AND/OR as usual; A NEAR/n B holds when A and B hold and some position of an
 * atom under A and one under B that are not negated inside A or B lie in the
 * same field with at most n words between them (between: from the end of
 * the earlier span to the start of the other; overlapping spans count 0);
 * ONEAR also needs the A position to start before the B one.
 * Data path: no allocation, recursion at most WLQ_MAX_DEPTH deep, and for
 * each NEAR at most WLQ_NEAR_MAX_POS positions of each atom are looked at
 * (the first ones), in a merge per pair of atoms across the two sides:
 * O(atoms(A) * atoms(B) * 2 * WLQ_NEAR_MAX_POS). Unsorted positions give
 * wrong answers, never a fault. Any thread.
 */
bool wlq_eval(const struct wlq *q, const struct wlq_hits *h);

/* One line of an explanation; <text> is valid during the call only. */
typedef void wlq_line_fn(void *arg, unsigned depth, bool held, const char *text);

/*
 * Explain why <q> did or did not hold for <h>: calls <line> for every node in
 * pre-order with its depth (root 0), whether it held, and a text: "AND", "OR",
 * "NOT", "NEAR/5", "ONEAR/5", or for an atom its canonical form followed by
 * two spaces and its hits as field@word ("title@3 body@17", at most 8 then
 * "+N more"). <field_names> holds a name for each enum wl_field value
 * (WL_FIELD__MAX entries) or is NULL, in which case field numbers are
 * written. Control plane (tools, `feedwatch match --explain`).
 */
void wlq_explain(const struct wlq *q, const struct wlq_hits *h, const char *const *field_names,
                 wlq_line_fn *line, void *arg);

#endif
