/*
 * Private to the query language (wl_query.c parses, wl_query_lex.c lexes):
 * tokens and the lexer state the parser embeds.
 */
#ifndef FW_WL_QUERY_PRIV_H
#define FW_WL_QUERY_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "match/wl_query.h"

enum wlq_tok {
	WLQ_T_END,
	WLQ_T_ERR, /* already reported */
	WLQ_T_WORD,
	WLQ_T_PHRASE,
	WLQ_T_LPAREN,
	WLQ_T_RPAREN,
	WLQ_T_AND,
	WLQ_T_OR,
	WLQ_T_NOT,
	WLQ_T_MINUS,
	WLQ_T_NEAR,
	WLQ_T_PREFIX, /* a field (title:) or an option (cs:, exact:) */
};

struct wlq_token {
	enum wlq_tok t;
	size_t off, end; /* the token's bytes in the query */
	uint32_t col;
	bool glued; /* no whitespace before it */
	/* WORD: kind and the atom's text (without '@', '*' or '!'); PHRASE: inside the quotes */
	enum wlq_atom_kind akind;
	size_t toff, tlen;
	int tilde; /* PHRASE: n of "a b"~n, or -1 */
	uint16_t near_n;
	bool ordered;
	uint8_t scope; /* PREFIX */
	bool cs, exact;
};

/* Lexer state: zeroed, then q, len, diag and arg set and col = 1, means "start". */
struct wlq_lex {
	const char *q;
	size_t len, pos;
	uint32_t col; /* of q[pos], in code points */
	bool after_prefix;
	bool failed; /* an error was reported; later ones are not */
	wlq_diag_fn *diag;
	void *arg;
};

/* Reports a diagnostic at <col> through the caller's callback; only the first error. */
void wlq_lex_report(struct wlq_lex *lx, bool warning, uint32_t col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Lexes the next token of <lx> into <*t>; WLQ_T_ERR after reporting an error. */
void wlq_lex_next(struct wlq_lex *lx, struct wlq_token *t);

/* Bytes of the whitespace character at q[i] (i <= len), or 0. */
size_t wlq_lex_ws(const char *q, size_t len, size_t i);

/* Code points in s[0..n). */
uint32_t wlq_lex_cps(const char *s, size_t n);

/* Whether word <s> (NUL-terminated) lexes back as that same plain word when written bare. */
bool wlq_lex_bare_ok(const char *s);

/* The field prefix name ("title") for WL_SCOPE bits <scope>, or NULL. */
const char *wlq_lex_field_name(uint8_t scope);

#endif
