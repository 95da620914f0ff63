/*
 * The watchlist query language: recursive-descent parser and the canonical
 * formatter. Tokens come from wl_query_lex.c one at a time (one token of
 * lookahead); evaluation and explanation are in wl_query_eval.c.
 *
 * Grammar (a "level" is the whole query or one parenthesised group):
 *   level   := near ( (AND | OR | <juxtaposition>) near )*   AND and OR not mixed
 *   near    := unary ( NEAR/n unary )*                        left-associative
 *   unary   := (NOT | '-') unary | primary
 *   primary := prefix* ( word | phrase | '(' level ')' )       prefix: title: cs: ...
 * Prefixes are pushed down to every atom below them, so the tree has no
 * field nodes. Atoms are numbered in source order, which makes the atoms of
 * any subtree one contiguous range (wlq_node.atom_lo..atom_hi).
 */
#include "match/wl_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/wl_query_priv.h"

#define NONE UINT32_MAX

/* Parse errors go through the lexer's reporter, which keeps the first one only. */
#define fail(p, col, ...) wlq_lex_report(&(p)->lx, false, (col), __VA_ARGS__)

/* One operand of the level being parsed, with the connector before it. */
enum conn { C_FIRST, C_AND, C_IMPLICIT, C_OR };
struct opent {
	uint32_t node;
	enum conn conn;
	uint32_t conn_col;
	size_t start, end; /* source bytes of the operand */
};

/* What prefixes above an operand push down to its atoms. */
struct ctx {
	uint8_t scope;
	bool cs, exact;
	uint8_t negs;
	const char *scope_name; /* for the conflict message */
	size_t scope_name_len;
};

struct parser {
	struct wlq_lex lx;
	bool have_peek;
	struct wlq_token peek;
	size_t last_end;
	unsigned rdepth;
	struct wlq *w;
	uint32_t cap_nodes, cap_atoms;
	uint8_t *ndepth; /* per node: height of its subtree */
	struct opent *ops;
	uint32_t n_ops, cap_ops;
};

static uint32_t parse_level(struct parser *p, const struct ctx *c, const struct wlq_token *after);
static void fmt_node(const struct wlq *q, uint32_t n, char *buf, size_t cap, size_t *len);

/* Appends <n> bytes of <s> to buf (as far as it fits, NUL-terminated); *len counts all. */
static void
put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len < cap) {
		size_t room = cap - *len - 1;

		memcpy(buf + *len, s, n < room ? n : room);
		buf[*len + (n < room ? n : room)] = 0;
	}
	*len += n;
}

static void
puts_(char *buf, size_t cap, size_t *len, const char *s)
{
	put(buf, cap, len, s, strlen(s));
}

static const struct wlq_token *
peek(struct parser *p)
{
	if (!p->have_peek) {
		wlq_lex_next(&p->lx, &p->peek);
		p->have_peek = true;
	}
	return &p->peek;
}

static struct wlq_token
take(struct parser *p)
{
	peek(p);
	p->have_peek = false;
	p->last_end = p->peek.end;
	return p->peek;
}

static uint32_t
new_node(struct parser *p, enum wlq_kind kind, uint32_t col, uint8_t negs)
{
	struct wlq *w = p->w;
	struct wlq_node *nd;

	if (w->n_nodes == p->cap_nodes) {
		uint32_t cap = p->cap_nodes == 0 ? 16 : p->cap_nodes * 2;
		struct wlq_node *nn = realloc(w->nodes, cap * sizeof(*nn));
		uint8_t *nd2;

		if (nn == NULL) {
			fail(p, col, "out of memory");
			return NONE;
		}
		w->nodes = nn;
		nd2 = realloc(p->ndepth, cap);
		if (nd2 == NULL) {
			fail(p, col, "out of memory");
			return NONE;
		}
		p->ndepth = nd2;
		p->cap_nodes = cap;
	}
	nd = &w->nodes[w->n_nodes];
	memset(nd, 0, sizeof(*nd));
	nd->kind = kind;
	nd->col = col;
	nd->negs = negs;
	p->ndepth[w->n_nodes] = 1;
	return w->n_nodes++;
}

/* An atom and its node; <text> is copied. */
static uint32_t
new_atom(struct parser *p, enum wlq_atom_kind kind, const char *text, size_t len, uint32_t col,
         const struct ctx *c)
{
	struct wlq *w = p->w;
	struct wlq_atom *a;
	uint32_t n;

	if (w->n_atoms >= WLQ_MAX_ATOMS) {
		fail(p, col, "more than %u terms in one query", WLQ_MAX_ATOMS);
		return NONE;
	}
	if (w->n_atoms == p->cap_atoms) {
		uint32_t cap = p->cap_atoms == 0 ? 8 : p->cap_atoms * 2;
		struct wlq_atom *na = realloc(w->atoms, cap * sizeof(*na));

		if (na == NULL) {
			fail(p, col, "out of memory");
			return NONE;
		}
		w->atoms = na;
		p->cap_atoms = cap;
	}
	n = new_node(p, WLQ_ATOM, col, c->negs);
	if (n == NONE) {
		return NONE;
	}
	a = &w->atoms[w->n_atoms];
	memset(a, 0, sizeof(*a));
	a->text = malloc(len + 1);
	if (a->text == NULL) {
		fail(p, col, "out of memory");
		return NONE;
	}
	memcpy(a->text, text, len);
	a->text[len] = 0;
	a->kind = kind;
	a->scope = c->scope;
	a->cs = c->cs;
	a->exact = c->exact;
	a->negs = c->negs;
	a->col = col;
	w->nodes[n].atom = w->n_atoms;
	w->nodes[n].atom_lo = w->n_atoms;
	w->nodes[n].atom_hi = w->n_atoms + 1;
	w->n_atoms++;
	return n;
}

/* A NOT, NEAR, AND or OR node over <kids> (copied); checks the depth bound. */
static uint32_t
new_parent(struct parser *p, enum wlq_kind kind, uint32_t col, uint8_t negs, const uint32_t *kids,
           uint32_t n_kids)
{
	uint32_t n = new_node(p, kind, col, negs);
	struct wlq_node *nd;
	unsigned d = 0;
	uint32_t i;

	if (n == NONE) {
		return NONE;
	}
	nd = &p->w->nodes[n];
	nd->kids = malloc(n_kids * sizeof(*kids));
	if (nd->kids == NULL) {
		fail(p, col, "out of memory");
		return NONE;
	}
	memcpy(nd->kids, kids, n_kids * sizeof(*kids));
	nd->n_kids = n_kids;
	nd->atom_lo = p->w->nodes[kids[0]].atom_lo;
	nd->atom_hi = p->w->nodes[kids[n_kids - 1]].atom_hi;
	for (i = 0; i < n_kids; i++) {
		if (p->ndepth[kids[i]] > d) {
			d = p->ndepth[kids[i]];
		}
	}
	if (d + 1 > WLQ_MAX_DEPTH) {
		fail(p, col, "query nested deeper than %u levels", WLQ_MAX_DEPTH);
		return NONE;
	}
	p->ndepth[n] = (uint8_t)(d + 1);
	return n;
}

static uint32_t
new_near(struct parser *p, uint32_t col, const struct ctx *c, uint32_t l, uint32_t r,
         uint16_t near_n, bool ordered)
{
	uint32_t kids[2] = { l, r };
	uint32_t n = new_parent(p, WLQ_NEAR, col, c->negs, kids, 2);

	if (n != NONE) {
		p->w->nodes[n].near_n = near_n;
		p->w->nodes[n].ordered = ordered;
	}
	return n;
}

static bool
push_op(struct parser *p, const struct opent *e)
{
	if (p->n_ops == p->cap_ops) {
		uint32_t cap = p->cap_ops == 0 ? 16 : p->cap_ops * 2;
		struct opent *no = realloc(p->ops, cap * sizeof(*no));

		if (no == NULL) {
			fail(p, e->conn_col, "out of memory");
			return false;
		}
		p->ops = no;
		p->cap_ops = cap;
	}
	p->ops[p->n_ops++] = *e;
	return true;
}

/* A missing operand where <t> stands, after operator <after> (or at a level's start). */
static uint32_t
missing(struct parser *p, const struct wlq_token *t, const struct wlq_token *after)
{
	if (t->t == WLQ_T_ERR) {
		return NONE;
	}
	if (after != NULL) {
		fail(p, after->col, "missing term after '%.*s'",
		     (int)(after->end - after->off < 40 ? after->end - after->off : 40),
		     p->lx.q + after->off);
	} else if (t->t == WLQ_T_RPAREN) {
		fail(p, t->col, "unbalanced ')'");
	} else if (t->t == WLQ_T_END) {
		fail(p, 1, "empty query");
	} else {
		fail(p, t->col, "missing term before '%.*s'",
		     (int)(t->end - t->off < 40 ? t->end - t->off : 40), p->lx.q + t->off);
	}
	return NONE;
}

/* A quoted text: one word becomes WORD, "a b"~n a NEAR chain. */
static uint32_t
phrase(struct parser *p, const struct wlq_token *t, const struct ctx *c)
{
	const char *in = p->lx.q + t->toff;
	struct {
		size_t off, len;
		uint32_t col;
	} words[64];
	char *text = NULL;
	size_t i = 0, w, tl = 0;
	uint32_t col = t->col + 1, n_words = 0, res = NONE, k;

	if (memchr(in, '*', t->tlen) != NULL) {
		fail(p, t->col, "'*' is not allowed inside a phrase");
		return NONE;
	}
	text = malloc(t->tlen + 1);
	if (text == NULL) {
		fail(p, t->col, "out of memory");
		return NONE;
	}
	while (i < t->tlen) {
		size_t s;

		if ((w = wlq_lex_ws(in, t->tlen, i)) > 0) {
			col++;
			i += w;
			continue;
		}
		s = i;
		while (i < t->tlen && wlq_lex_ws(in, t->tlen, i) == 0) {
			i++;
		}
		if (tl > 0) {
			text[tl++] = ' ';
		}
		memcpy(text + tl, in + s, i - s);
		tl += i - s;
		if (n_words < sizeof(words) / sizeof(words[0])) {
			words[n_words].off = s;
			words[n_words].len = i - s;
			words[n_words].col = col;
		}
		n_words++;
		col += wlq_lex_cps(in + s, i - s);
	}
	if (n_words == 0) {
		fail(p, t->col, "empty phrase");
	} else if (t->tilde < 0) {
		res = new_atom(p, n_words == 1 ? WLQ_WORD : WLQ_PHRASE, text, tl, t->col, c);
	} else if (n_words < 2 || n_words > sizeof(words) / sizeof(words[0])) {
		fail(p, t->col, "'~n' needs a phrase of 2 to %zu words",
		     sizeof(words) / sizeof(words[0]));
	} else {
		/* Talkwalker / Lucene "a b c"~n: a NEAR/n b NEAR/n c */
		res = new_atom(p, WLQ_WORD, in + words[0].off, words[0].len, words[0].col, c);
		for (k = 1; k < n_words && res != NONE; k++) {
			uint32_t r = new_atom(p, WLQ_WORD, in + words[k].off, words[k].len,
			                      words[k].col, c);

			res = r == NONE ? NONE
			                : new_near(p, t->col, c, res, r, (uint16_t)t->tilde, false);
		}
		if (res != NONE) {
			char canon[200];
			size_t cl = 0;

			fmt_node(p->w, res, canon, sizeof(canon), &cl);
			wlq_lex_report(&p->lx, true, t->col,
			               "'%.*s' (Talkwalker/Lucene) is read as '%s'",
			               (int)(t->end - t->off < 100 ? t->end - t->off : 100),
			               p->lx.q + t->off, canon);
		}
	}
	free(text);
	return res;
}

static uint32_t
parse_primary(struct parser *p, const struct ctx *c, const struct wlq_token *after)
{
	struct ctx local = *c;
	struct wlq_token t = take(p), pre;
	uint32_t n;

	while (t.t == WLQ_T_PREFIX) {
		if (t.scope != 0) {
			if (local.scope != 0 && local.scope != t.scope) {
				fail(p, t.col, "'%.*s' inside '%.*s' asks for two different fields",
				     (int)(t.end - t.off), p->lx.q + t.off,
				     (int)local.scope_name_len, local.scope_name);
				return NONE;
			}
			local.scope = t.scope;
			local.scope_name = p->lx.q + t.off;
			local.scope_name_len = t.end - t.off;
		}
		local.cs |= t.cs;
		local.exact |= t.exact;
		pre = t;
		after = &pre;
		t = take(p);
	}
	switch (t.t) {
	case WLQ_T_WORD:
		if (t.akind == WLQ_REF && local.cs) {
			fail(p, t.col,
			     "cs: and exact: apply to words and phrases, not to @references");
			return NONE;
		}
		return new_atom(p, t.akind, p->lx.q + t.toff, t.tlen, t.col, &local);
	case WLQ_T_PHRASE:
		return phrase(p, &t, &local);
	case WLQ_T_LPAREN:
		if (peek(p)->t == WLQ_T_RPAREN) {
			fail(p, t.col, "empty group '()'");
			return NONE;
		}
		if (peek(p)->t == WLQ_T_END) {
			fail(p, t.col, "unbalanced '('");
			return NONE;
		}
		if (++p->rdepth > WLQ_MAX_DEPTH) {
			fail(p, t.col, "query nested deeper than %u levels", WLQ_MAX_DEPTH);
			return NONE;
		}
		n = parse_level(p, &local, NULL);
		p->rdepth--;
		if (n == NONE) {
			return NONE;
		}
		if (peek(p)->t != WLQ_T_RPAREN) {
			if (peek(p)->t != WLQ_T_ERR) {
				fail(p, t.col, "unbalanced '('");
			}
			return NONE;
		}
		take(p);
		return n;
	default:
		return missing(p, &t, after);
	}
}

static uint32_t
parse_unary(struct parser *p, const struct ctx *c, const struct wlq_token *after)
{
	const struct wlq_token *t = peek(p);
	struct wlq_token op;
	struct ctx inner = *c;
	uint32_t kid;

	if (t->t != WLQ_T_NOT && t->t != WLQ_T_MINUS) {
		return parse_primary(p, c, after);
	}
	op = take(p);
	if (++p->rdepth > WLQ_MAX_DEPTH) {
		fail(p, op.col, "query nested deeper than %u levels", WLQ_MAX_DEPTH);
		return NONE;
	}
	inner.negs++;
	kid = parse_unary(p, &inner, &op);
	p->rdepth--;
	if (kid == NONE) {
		return NONE;
	}
	return new_parent(p, WLQ_NOT, op.col, c->negs, &kid, 1);
}

static bool
not_operand(struct parser *p, uint32_t n)
{
	if (p->w->nodes[n].kind == WLQ_NOT) {
		fail(p, p->w->nodes[n].col,
		     "NOT cannot be an operand of NEAR/ONEAR (write: a NEAR/5 b AND NOT c)");
		return true;
	}
	return false;
}

/* NEAR/ONEAR chains, left-associative. */
static uint32_t
parse_near(struct parser *p, const struct ctx *c, const struct wlq_token *after)
{
	uint32_t l = parse_unary(p, c, after), r;
	struct wlq_token op;

	while (l != NONE && peek(p)->t == WLQ_T_NEAR) {
		op = take(p);
		r = parse_unary(p, c, &op);
		if (r == NONE || not_operand(p, l) || not_operand(p, r)) {
			return NONE;
		}
		l = new_near(p, op.col, c, l, r, op.near_n, op.ordered);
	}
	return l;
}

/* Appends operands ops[from..to) joined by <op>, in parentheses when more than one and <paren>. */
static void
append_run(struct parser *p, char *buf, size_t cap, size_t *len, uint32_t from, uint32_t to,
           const char *op, bool paren)
{
	uint32_t i;

	paren = paren && to - from > 1;
	if (paren) {
		puts_(buf, cap, len, "(");
	}
	for (i = from; i < to; i++) {
		const struct wlq_node *nd = &p->w->nodes[p->ops[i].node];
		bool sub = nd->kind == WLQ_AND || nd->kind == WLQ_OR;

		if (i > from) {
			puts_(buf, cap, len, " ");
			puts_(buf, cap, len, op);
			puts_(buf, cap, len, " ");
		}
		if (sub) {
			puts_(buf, cap, len, "(");
		}
		fmt_node(p->w, p->ops[i].node, buf, cap, len);
		if (sub) {
			puts_(buf, cap, len, ")");
		}
	}
	if (paren) {
		puts_(buf, cap, len, ")");
	}
}

/* One reading of a level that mixes AND and OR: <tight> binds first. */
static void
reading(struct parser *p, uint32_t base, bool and_tight, char *buf, size_t cap)
{
	const char *in = and_tight ? "AND" : "OR", *out = and_tight ? "OR" : "AND";
	uint32_t i, from = base;
	size_t len = 0;

	buf[0] = 0;
	for (i = base + 1; i <= p->n_ops; i++) {
		bool same = i < p->n_ops && ((p->ops[i].conn == C_OR) != and_tight);

		if (same) {
			continue;
		}
		if (from > base) {
			puts_(buf, cap, &len, " ");
			puts_(buf, cap, &len, out);
			puts_(buf, cap, &len, " ");
		}
		append_run(p, buf, cap, &len, from, i, in, true);
		from = i;
	}
}

static void
ambiguous(struct parser *p, uint32_t base, uint32_t col)
{
	char a[300], b[300];
	size_t s = p->ops[base].start, e = p->ops[p->n_ops - 1].end, n = e - s;

	reading(p, base, true, a, sizeof(a));
	reading(p, base, false, b, sizeof(b));
	if (n > 120) {
		n = 120;
		while (n > 0 && ((uint8_t)p->lx.q[s + n] & 0xc0) == 0x80) {
			n--;
		}
	}
	fail(p, col,
	     "ambiguous: \"%.*s%s\" reads as \"%s\" in some tools and \"%s\" in others; add "
	     "parentheses",
	     (int)n, p->lx.q + s, n < e - s ? "..." : "", a, b);
}

/*
 * One level: operands joined by AND (explicit or by juxtaposition, as in
 * Talkwalker and Google: "Iran Iraq" means Iran AND Iraq) or by OR, but not
 * both: tools disagree on which binds tighter.
 */
static uint32_t
parse_level(struct parser *p, const struct ctx *c, const struct wlq_token *after)
{
	uint32_t base = p->n_ops, i, res = NONE, mix_col = 0;
	uint32_t first_and = 0, first_or = 0;
	struct opent e = { 0 };
	uint32_t *kids = NULL;

	e.start = peek(p)->off;
	e.node = parse_near(p, c, after);
	if (e.node == NONE) {
		goto fail;
	}
	e.end = p->last_end;
	e.conn = C_FIRST;
	if (!push_op(p, &e)) {
		goto fail;
	}
	for (;;) {
		const struct wlq_token *t = peek(p);
		struct wlq_token op;

		if (t->t == WLQ_T_END || t->t == WLQ_T_RPAREN || t->t == WLQ_T_ERR) {
			break;
		}
		if (t->t == WLQ_T_AND || t->t == WLQ_T_OR) {
			op = take(p);
			e.conn = op.t == WLQ_T_AND ? C_AND : C_OR;
			e.conn_col = op.col;
			e.start = peek(p)->off;
			e.node = parse_near(p, c, &op);
		} else {
			e.conn = C_IMPLICIT;
			e.conn_col = t->col;
			e.start = t->off;
			e.node = parse_near(p, c, NULL);
		}
		if (e.node == NONE) {
			goto fail;
		}
		e.end = p->last_end;
		if (e.conn == C_OR && first_or == 0) {
			first_or = p->n_ops;
			mix_col = first_and != 0 ? e.conn_col : mix_col;
		} else if (e.conn != C_OR && first_and == 0) {
			first_and = p->n_ops;
			mix_col = first_or != 0 ? e.conn_col : mix_col;
		}
		if (!push_op(p, &e)) {
			goto fail;
		}
	}
	if (p->lx.failed) {
		goto fail;
	}
	if (first_and != 0 && first_or != 0) {
		ambiguous(p, base, mix_col);
		goto fail;
	}
	if (p->n_ops - base == 1) {
		res = p->ops[base].node;
		goto fail; /* not a failure: the shared exit */
	}
	kids = malloc((p->n_ops - base) * sizeof(*kids));
	if (kids == NULL) {
		fail(p, p->ops[base + 1].conn_col, "out of memory");
		goto fail;
	}
	for (i = base; i < p->n_ops; i++) {
		kids[i - base] = p->ops[i].node;
	}
	res = new_parent(p, first_or != 0 ? WLQ_OR : WLQ_AND, p->ops[base + 1].conn_col, c->negs,
	                 kids, p->n_ops - base);
fail:
	free(kids);
	p->n_ops = base;
	return res;
}

/* Rejects NUL bytes and invalid UTF-8 (the compiler hands atoms to a UTF-8 database). */
static bool
check_text(struct parser *p)
{
	const uint8_t *s = (const uint8_t *)p->lx.q;
	uint32_t col = 1;
	size_t i = 0;

	while (i < p->lx.len) {
		uint8_t b = s[i];
		size_t n = b < 0x80                 ? 1
		           : b >= 0xc2 && b <= 0xdf ? 2
		           : b >= 0xe0 && b <= 0xef ? 3
		           : b >= 0xf0 && b <= 0xf4 ? 4
		                                    : 0;
		size_t k;

		if (b == 0) {
			fail(p, col, "NUL byte in query");
			return false;
		}
		if (n == 0 || i + n > p->lx.len) {
			fail(p, col, "invalid UTF-8");
			return false;
		}
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				fail(p, col, "invalid UTF-8");
				return false;
			}
		}
		/* overlong 3- and 4-byte forms, surrogates, beyond U+10FFFF */
		if ((b == 0xe0 && s[i + 1] < 0xa0) || (b == 0xed && s[i + 1] >= 0xa0) ||
		    (b == 0xf0 && s[i + 1] < 0x90) || (b == 0xf4 && s[i + 1] >= 0x90)) {
			fail(p, col, "invalid UTF-8");
			return false;
		}
		i += n;
		col++;
	}
	return true;
}

struct wlq *
wlq_parse(const char *q, size_t len, wlq_diag_fn *diag, void *arg)
{
	struct parser p = { 0 };
	struct ctx c = { 0 };
	uint32_t root, i, first_col;

	p.lx.q = q;
	p.lx.len = len;
	p.lx.col = 1;
	p.lx.diag = diag;
	p.lx.arg = arg;
	if (len > WLQ_MAX_LEN) {
		fail(&p, 1, "query longer than %u bytes", WLQ_MAX_LEN);
		return NULL;
	}
	if (!check_text(&p)) {
		return NULL;
	}
	p.w = calloc(1, sizeof(*p.w));
	if (p.w == NULL) {
		fail(&p, 1, "out of memory");
		return NULL;
	}
	first_col = peek(&p)->col;
	root = parse_level(&p, &c, NULL);
	if (root != NONE && peek(&p)->t != WLQ_T_END) {
		/* parse_level only stops early at ')' or a reported error */
		if (peek(&p)->t == WLQ_T_RPAREN) {
			fail(&p, peek(&p)->col, "unbalanced ')'");
		}
		root = NONE;
	}
	if (root == NONE || p.lx.failed) {
		goto fail;
	}
	for (i = 0; i < p.w->n_atoms && p.w->atoms[i].negs != 0; i++) {
	}
	if (i == p.w->n_atoms) {
		fail(&p, first_col, "a query needs at least one term that is not negated");
		goto fail;
	}
	p.w->root = root;
	free(p.ndepth);
	free(p.ops);
	return p.w;
fail:
	free(p.ndepth);
	free(p.ops);
	wlq_free(p.w);
	return NULL;
}

void
wlq_free(struct wlq *q)
{
	uint32_t i;

	if (q == NULL) {
		return;
	}
	for (i = 0; i < q->n_nodes; i++) {
		free(q->nodes[i].kids);
	}
	for (i = 0; i < q->n_atoms; i++) {
		free(q->atoms[i].text);
	}
	free(q->nodes);
	free(q->atoms);
	free(q);
}

static void
fmt_atom(const struct wlq_atom *a, char *buf, size_t cap, size_t *len)
{
	if (wlq_lex_field_name(a->scope) != NULL) {
		puts_(buf, cap, len, wlq_lex_field_name(a->scope));
		puts_(buf, cap, len, ":");
	}
	if (a->exact) {
		puts_(buf, cap, len, "exact:");
	} else if (a->cs) {
		puts_(buf, cap, len, "cs:");
	}
	switch (a->kind) {
	case WLQ_WORD:
	case WLQ_PHRASE:
		if (a->kind == WLQ_WORD && wlq_lex_bare_ok(a->text)) {
			puts_(buf, cap, len, a->text);
		} else if (strchr(a->text, '"') == NULL) {
			puts_(buf, cap, len, "\"");
			puts_(buf, cap, len, a->text);
			puts_(buf, cap, len, "\"");
		} else {
			/* only a “curly” phrase can hold a straight quote, and never a ” */
			puts_(buf, cap, len, "\xe2\x80\x9c");
			puts_(buf, cap, len, a->text);
			puts_(buf, cap, len, "\xe2\x80\x9d");
		}
		break;
	case WLQ_PREFIX:
		puts_(buf, cap, len, a->text);
		puts_(buf, cap, len, "*");
		break;
	case WLQ_REF:
		puts_(buf, cap, len, "@");
		puts_(buf, cap, len, a->text);
		break;
	}
}

static void
fmt_kid(const struct wlq *q, uint32_t k, bool paren, char *buf, size_t cap, size_t *len)
{
	if (paren) {
		puts_(buf, cap, len, "(");
	}
	fmt_node(q, k, buf, cap, len);
	if (paren) {
		puts_(buf, cap, len, ")");
	}
}

/* Appends node <n>'s canonical text; q == NULL only terminates buf. */
static void
fmt_node(const struct wlq *q, uint32_t n, char *buf, size_t cap, size_t *len)
{
	const struct wlq_node *nd;
	enum wlq_kind k;
	char op[16];
	uint32_t i;

	put(buf, cap, len, "", 0);
	if (q == NULL || n >= q->n_nodes) {
		return;
	}
	nd = &q->nodes[n];
	switch (nd->kind) {
	case WLQ_ATOM:
		fmt_atom(&q->atoms[nd->atom], buf, cap, len);
		break;
	case WLQ_NOT:
		k = q->nodes[nd->kids[0]].kind;
		puts_(buf, cap, len, "NOT ");
		fmt_kid(q, nd->kids[0], k != WLQ_ATOM && k != WLQ_NOT, buf, cap, len);
		break;
	case WLQ_AND:
	case WLQ_OR:
		for (i = 0; i < nd->n_kids; i++) {
			k = q->nodes[nd->kids[i]].kind;
			if (i > 0) {
				puts_(buf, cap, len, nd->kind == WLQ_AND ? " AND " : " OR ");
			}
			fmt_kid(q, nd->kids[i], k == WLQ_AND || k == WLQ_OR, buf, cap, len);
		}
		break;
	case WLQ_NEAR:
		k = q->nodes[nd->kids[0]].kind;
		fmt_kid(q, nd->kids[0], k == WLQ_AND || k == WLQ_OR || k == WLQ_NOT, buf, cap, len);
		snprintf(op, sizeof(op), " %s/%u ", nd->ordered ? "ONEAR" : "NEAR", nd->near_n);
		puts_(buf, cap, len, op);
		k = q->nodes[nd->kids[1]].kind;
		fmt_kid(q, nd->kids[1], k != WLQ_ATOM, buf, cap, len);
		break;
	}
}

size_t
wlq_format(const struct wlq *q, uint32_t n, char *buf, size_t cap)
{
	size_t len = 0;

	if (cap > 0) {
		buf[0] = 0;
	}
	fmt_node(q, n, buf, cap, &len);
	return len;
}
