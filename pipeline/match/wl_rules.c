/*
 * What a watchlist's rules are made of: its terms, queries and weighted
 * patterns become atoms (a rule's operands), and every atom becomes terms
 * (the literals and regexes the database matches): an @entity gives one
 * term per name, an @list one per entry. Terms are folded here the way item
 * text is folded before a scan (match/wl_fold.h).
 */
#include "match/wl_parse_priv.h"
#include "match/wl_fold.h"
#include "match/wl_query.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WEIGHT    1000
#define MAX_THRESHOLD 1000000
#define MAX_LIST_NEST 8

static const char *
sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const yaml_node_t *
node(const struct pctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static bool
grow(void **v, uint32_t *cap, uint32_t n, size_t size)
{
	void *nv;
	uint32_t ncap;

	if (n < *cap) {
		return true;
	}
	ncap = *cap == 0 ? 8 : *cap * 2;
	nv = realloc(*v, (size_t)ncap * size);
	if (nv == NULL) {
		return false;
	}
	*v = nv;
	*cap = ncap;
	return true;
}

uint32_t
rules_new_atom(struct pctx *c, uint32_t rule, const char *text, int32_t weight)
{
	struct wl_def *d = c->def;
	struct wl_atom *a;

	if (!grow((void **)&d->atoms, &d->cap_atoms, d->n_atoms, sizeof(*d->atoms))) {
		return WL_NONE;
	}
	a = &d->atoms[d->n_atoms];
	memset(a, 0, sizeof(*a));
	a->rule = rule;
	a->excl = WL_NONE;
	a->weight = weight;
	a->text = strdup(text);
	if (a->text == NULL) {
		return WL_NONE;
	}
	return d->n_atoms++;
}

uint32_t
rules_new_rule(struct pctx *c, enum wl_rule_kind kind, const char *name, const yaml_node_t *at)
{
	struct wl_def *d = c->def;
	struct wl_rule *r;

	if (!grow((void **)&d->rules, &d->cap_rules, d->n_rules, sizeof(*d->rules))) {
		return WL_NONE;
	}
	r = &d->rules[d->n_rules];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->atom0 = d->n_atoms;
	r->line = (uint32_t)at->start_mark.line + 1;
	r->col = (uint32_t)at->start_mark.column + 1;
	if (name != NULL && (r->name = strdup(name)) == NULL) {
		return WL_NONE;
	}
	return d->n_rules++;
}

static struct wl_term *
new_term(struct pctx *c, const yaml_node_t *n, uint32_t atom)
{
	struct wl_def *d = c->def;
	struct wl_term *t;

	if (!grow((void **)&d->terms, &d->cap_terms, d->n_terms, sizeof(*d->terms))) {
		return NULL;
	}
	t = &d->terms[d->n_terms++];
	memset(t, 0, sizeof(*t));
	t->atom = atom;
	t->wl_idx = WL_NONE;
	t->line = (uint32_t)n->start_mark.line + 1;
	t->col = (uint32_t)n->start_mark.column + 1;
	return t;
}

/*
 * Runs of whitespace become one space and the ends are trimmed: the feed
 * normalizer folds item text the same way, so a phrase matches across any
 * run of whitespace in the source. Returns a heap string, NULL on ENOMEM.
 */
static char *
fold_ws(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;
	bool space = false;

	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' ||
		    ch == '\v') {
			space = o > 0;
			continue;
		}
		if (space) {
			out[o++] = ' ';
			space = false;
		}
		out[o++] = ch;
	}
	out[o] = 0;
	return out;
}

/* WHO, US, IT: all capitals, short, matched without case they are common words. */
static bool
short_caps(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 2 || n > 4) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < 'A' || s[i] > 'Z') {
			return false;
		}
	}
	return true;
}

int
rules_add_literal(struct pctx *c, const yaml_node_t *n, uint32_t atom, const char *display,
                  const char *text, size_t len, const struct term_opts *o, bool exact, bool prefix)
{
	struct wl_term *t;
	char *ws;

	if (memchr(text, 0, len) != NULL) {
		return pctx_fail(c, n, "term contains a NUL byte");
	}
	ws = fold_ws(text, len);
	if (ws == NULL) {
		return pctx_fail(c, n, "out of memory");
	}
	if (ws[0] == 0) {
		free(ws);
		return pctx_fail(c, n, "empty term");
	}
	t = new_term(c, n, atom);
	if (t == NULL) {
		free(ws);
		return pctx_fail(c, n, "out of memory");
	}
	t->display = strdup(display);
	t->expr = wl_fold_str(ws);
	t->caseless = o->caseless && !exact;
	if (!t->caseless) {
		t->orig = ws;
		t->orig_len = (uint32_t)strlen(ws);
	} else {
		free(ws);
	}
	if (t->display == NULL || t->expr == NULL) {
		return pctx_fail(c, n, "out of memory");
	}
	t->len = (uint32_t)strlen(t->expr);
	t->n_words = (uint16_t)wl_count_words((const uint8_t *)t->expr, t->len);
	t->scope = o->scope;
	t->whole_word = o->whole_word;
	t->prefix = prefix;
	if (t->caseless && short_caps(t->expr)) {
		char lower[8];
		size_t i;

		for (i = 0; t->expr[i] != 0; i++) {
			lower[i] = (char)(t->expr[i] + ('a' - 'A'));
		}
		lower[i] = 0;
		pctx_warn(c, n,
		          "'%s' is all capitals but matches without case, so '%s' matches too; "
		          "write cs:%s to match only the capitals",
		          t->expr, lower, t->expr);
	}
	return 0;
}

int
rules_add_regex(struct pctx *c, const yaml_node_t *n, uint32_t atom, const struct term_opts *o)
{
	struct wl_term *t;

	if (n->type != YAML_SCALAR_NODE) {
		return pctx_fail(c, n, "regex must be a string");
	}
	if (n->data.scalar.length == 0) {
		return pctx_fail(c, n, "empty regex");
	}
	if (memchr(n->data.scalar.value, 0, n->data.scalar.length) != NULL) {
		return pctx_fail(c, n, "regex contains a NUL byte");
	}
	t = new_term(c, n, atom);
	if (t == NULL) {
		return pctx_fail(c, n, "out of memory");
	}
	t->display = strdup(sval(n));
	/* folding only rewrites non-ASCII letters: the regex's own syntax is ASCII */
	t->expr = o->caseless ? wl_fold_str(sval(n)) : strdup(sval(n));
	if (t->display == NULL || t->expr == NULL) {
		return pctx_fail(c, n, "out of memory");
	}
	t->is_regex = 1;
	t->n_words = 1;
	t->scope = o->scope;
	t->whole_word = o->whole_word;
	t->caseless = o->caseless;
	return 0;
}

static const struct wl_entity *
find_entity(const struct pctx *c, const char *id)
{
	uint32_t i;

	for (i = 0; i < c->n_ents; i++) {
		if (strcmp(sval(c->ents[i].id), id) == 0) {
			return &c->ents[i];
		}
	}
	return NULL;
}

static struct wl_list *
find_list(const struct pctx *c, const char *name)
{
	uint32_t i;

	for (i = 0; i < c->n_lists; i++) {
		if (strcmp(sval(c->lists[i].name), name) == 0) {
			return &c->lists[i];
		}
	}
	return NULL;
}

/*
 * "@id": every name of the entity is a term of <atom> reported under that
 * name. Its exclude_context terms form an atom of their own: when one of
 * them hits the item, the entity's hits do not count (a homonym).
 */
static int
add_entity(struct pctx *c, const yaml_node_t *n, uint32_t atom, const struct wl_entity *e,
           const struct term_opts *o)
{
	yaml_node_item_t *it;
	int rc = 0;

	for (it = e->names->data.sequence.items.start; it < e->names->data.sequence.items.top;
	     it++) {
		const yaml_node_t *nm = node(c, *it);

		rc |= rules_add_literal(c, nm, atom, sval(nm), sval(nm), nm->data.scalar.length, o,
		                        false, false);
	}
	if (e->exclude != NULL) {
		struct term_opts xo = { true, true, WL_SCOPE_ANY };
		char label[512];
		uint32_t x;

		snprintf(label, sizeof(label), "exclude_context of @%s", sval(e->id));
		x = rules_new_atom(c, WL_NONE, label, 0);
		if (x == WL_NONE) {
			return pctx_fail(c, n, "out of memory");
		}
		c->def->atoms[atom].excl = x;
		for (it = e->exclude->data.sequence.items.start;
		     it < e->exclude->data.sequence.items.top; it++) {
			const yaml_node_t *xn = node(c, *it);

			rc |= rules_add_term_string(c, xn, x, sval(xn), &xo);
		}
	}
	return rc;
}

static int
add_ref(struct pctx *c, const yaml_node_t *n, uint32_t atom, const char *ref,
        const struct term_opts *o, uint32_t line, uint32_t col)
{
	const struct wl_entity *e;
	struct wl_list *l;
	yaml_node_item_t *it;
	int rc = 0;

	if (strncmp(ref, "list:", 5) == 0) {
		l = find_list(c, ref + 5);
		if (l == NULL) {
			return pctx_diag_at(c, line, col, false, "unknown list '@%s'%s", ref,
			                    c->n_lists == 0 ? " (this file has no lists:)" : "");
		}
		if (l->expanding) {
			return pctx_diag_at(c, line, col, false, "list '@%s' refers to itself",
			                    ref);
		}
		l->expanding = true;
		for (it = l->items->data.sequence.items.start;
		     it < l->items->data.sequence.items.top; it++) {
			const yaml_node_t *en = node(c, *it);

			rc |= rules_add_term_string(c, en, atom, sval(en), o);
		}
		l->expanding = false;
		return rc;
	}
	e = find_entity(c, ref);
	if (e == NULL) {
		return pctx_diag_at(c, line, col, false, "unknown entity '@%s'%s", ref,
		                    c->n_ents == 0 ? " (this file has no entities:)" : "");
	}
	return add_entity(c, n, atom, e, o);
}

static size_t
cp_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	}
	return n;
}

/* "…" or “…” around an option's value. */
static void
unquote(const char **s, size_t *len)
{
	static const char *const pairs[][2] = { { "\"", "\"" },
		                                { "\xe2\x80\x9c", "\xe2\x80\x9d" },
		                                { "\xe2\x80\x9e", "\xe2\x80\x9c" } };
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		size_t a = strlen(pairs[i][0]), b = strlen(pairs[i][1]);

		if (*len >= a + b && memcmp(*s, pairs[i][0], a) == 0 &&
		    memcmp(*s + *len - b, pairs[i][1], b) == 0) {
			*s += a;
			*len -= a + b;
			return;
		}
	}
}

int
rules_add_term_string(struct pctx *c, const yaml_node_t *n, uint32_t atom, const char *s,
                      const struct term_opts *o)
{
	struct term_opts oo = *o;
	const char *written = s;
	size_t len = strlen(s);
	bool exact = false;

	if (s[0] == '@') {
		return add_ref(c, n, atom, s + 1, o, (uint32_t)n->start_mark.line + 1,
		               (uint32_t)n->start_mark.column + 1);
	}
	if (strncmp(s, "cs:", 3) == 0) {
		oo.caseless = false;
		s += 3;
		len -= 3;
	} else if (strncmp(s, "exact:", 6) == 0) {
		exact = true;
		s += 6;
		len -= 6;
	}
	unquote(&s, &len);
	if (len > 1 && s[len - 1] == '*' && memchr(s, ' ', len) == NULL) {
		if (cp_count(s, len - 1) < 3) {
			return pctx_fail(
			        c, n,
			        "a wildcard needs a stem of at least 3 letters ('%.*s' has "
			        "fewer)",
			        (int)len, s);
		}
		return rules_add_literal(c, n, atom, written, s, len - 1, &oo, exact, true);
	}
	return rules_add_literal(c, n, atom, written, s, len, &oo, exact, false);
}

/* Where column <qcol> of a query written in scalar <n> sits in the file. */
static void
query_pos(const yaml_node_t *n, uint32_t qcol, uint32_t *line, uint32_t *col)
{
	const char *v = sval(n);
	uint32_t i, l = 0, lc = 0;

	*line = (uint32_t)n->start_mark.line + 1;
	*col = (uint32_t)n->start_mark.column + 1;
	if (n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE) {
		for (i = 0; i + 1 < qcol && v[i] != 0; i++) {
			if (v[i] == '\n') {
				l++;
				lc = i + 1;
			}
		}
		*line += 1 + l;
		*col = (uint32_t)n->start_mark.column + 1 + (qcol - 1 - lc);
		return;
	}
	if (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
		*col += 1;
	}
	*col += qcol - 1;
}

struct qdiag {
	struct pctx *c;
	const yaml_node_t *n;
	const char *name;
};

static void
on_query_diag(void *arg, bool warning, uint32_t col, const char *msg)
{
	const struct qdiag *q = arg;
	uint32_t line, fcol;

	query_pos(q->n, col == 0 ? 1 : col, &line, &fcol);
	pctx_diag_at(q->c, line, fcol, warning, "query '%s': %s", q->name, msg);
}

/* a OR NOT b: true with no hit at all. Only rules with a hit are decided, so refuse it. */
static bool
holds_on_nothing(const struct wlq *q)
{
	static const uint32_t zero[WLQ_MAX_ATOMS];
	static const struct wlq_pos *const none[WLQ_MAX_ATOMS];
	struct wlq_hits h = { none, zero };

	return q->n_atoms <= WLQ_MAX_ATOMS && wlq_eval(q, &h);
}

static bool
query_has_near(const struct wlq *q)
{
	uint32_t i;

	for (i = 0; i < q->n_nodes; i++) {
		if (q->nodes[i].kind == WLQ_NEAR) {
			return true;
		}
	}
	return false;
}

/* A query's atom as an analyst reads it in explain output. */
static void
atom_label(const struct wlq_atom *a, char *buf, size_t cap)
{
	const char *opt = a->exact ? "exact:" : a->cs ? "cs:" : "";

	switch (a->kind) {
	case WLQ_PHRASE:
		snprintf(buf, cap, "%s\"%s\"", opt, a->text);
		break;
	case WLQ_PREFIX:
		snprintf(buf, cap, "%s%s*", opt, a->text);
		break;
	case WLQ_REF:
		snprintf(buf, cap, "@%s", a->text);
		break;
	default:
		snprintf(buf, cap, "%s%s", opt, a->text);
		break;
	}
}

static int
query_atoms(struct pctx *c, const yaml_node_t *qn, uint32_t rule, const struct wlq *q)
{
	uint32_t i, line, col, atom0 = c->def->n_atoms;
	char label[1024];
	int rc = 0;

	/* the query's atoms first, contiguous and in wlq order; exclusions come after */
	for (i = 0; i < q->n_atoms; i++) {
		atom_label(&q->atoms[i], label, sizeof(label));
		if (rules_new_atom(c, rule, label, 0) == WL_NONE) {
			return pctx_fail(c, qn, "out of memory");
		}
	}
	for (i = 0; i < q->n_atoms; i++) {
		const struct wlq_atom *a = &q->atoms[i];
		struct term_opts o = { c->def_caseless && !a->cs, c->def_whole_word,
			               a->scope != 0 ? a->scope : WL_SCOPE_ANY };
		uint32_t atom = atom0 + i, t0 = c->def->n_terms, t;

		atom_label(a, label, sizeof(label));
		query_pos(qn, a->col, &line, &col);
		if (a->kind == WLQ_REF) {
			rc |= add_ref(c, qn, atom, a->text, &o, line, col);
		} else {
			rc |= rules_add_literal(c, qn, atom, label, a->text, strlen(a->text), &o,
			                        a->exact, a->kind == WLQ_PREFIX);
		}
		/* a term's compile errors point at its operand, not at the query's start */
		for (t = t0; t < c->def->n_terms; t++) {
			c->def->terms[t].line = line;
			c->def->terms[t].col = col;
		}
	}
	return rc;
}

int
rules_add_query(struct pctx *c, const yaml_node_t *n)
{
	const yaml_node_t *name = NULL, *qn = NULL;
	yaml_node_pair_t *p;
	struct qdiag qd;
	struct wlq *q;
	uint32_t rule, i;
	int rc = 0;

	if (n->type != YAML_MAPPING_NODE) {
		return pctx_fail(c, n, "a query is a mapping {name: ..., q: '...'}");
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = k->type == YAML_SCALAR_NODE ? sval(k) : "";

		if (strcmp(key, "name") == 0 && name == NULL) {
			name = v;
		} else if (strcmp(key, "q") == 0 && qn == NULL) {
			qn = v;
		} else if (strcmp(key, "description") == 0) {
			continue;
		} else if (strcmp(key, "name") == 0 || strcmp(key, "q") == 0) {
			rc = pctx_fail(c, k, "duplicate key '%s'", key);
		} else {
			rc = pctx_fail(c, k, "unknown query key '%s' (name, q, description)", key);
		}
	}
	if (name == NULL || name->type != YAML_SCALAR_NODE || name->data.scalar.length == 0) {
		return pctx_fail(c, name != NULL ? name : n, "a query needs a name");
	}
	if (qn == NULL || qn->type != YAML_SCALAR_NODE) {
		return pctx_fail(c, qn != NULL ? qn : n, "query '%s' needs q: '...'", sval(name));
	}
	for (i = 0; i < c->def->n_rules; i++) {
		if (c->def->rules[i].kind == WL_RULE_QUERY &&
		    strcmp(c->def->rules[i].name, sval(name)) == 0) {
			return pctx_fail(c, name, "duplicate query name '%s' (also at line %u)",
			                 sval(name), c->def->rules[i].line);
		}
	}
	if (rc != 0) {
		return rc;
	}
	qd.c = c;
	qd.n = qn;
	qd.name = sval(name);
	q = wlq_parse(sval(qn), qn->data.scalar.length, on_query_diag, &qd);
	if (q == NULL) {
		return -1;
	}
	if (holds_on_nothing(q)) {
		char text[256];

		wlq_format(q, q->root, text, sizeof(text));
		wlq_free(q);
		return pctx_fail(c, qn,
		                 "query '%s' holds for an item that has none of its terms (%s), so "
		                 "it would alert on every item; give it a term every match needs",
		                 sval(name), text);
	}
	rule = rules_new_rule(c, WL_RULE_QUERY, sval(name), name);
	if (rule == WL_NONE) {
		wlq_free(q);
		return pctx_fail(c, n, "out of memory");
	}
	c->def->rules[rule].q = q;
	c->def->rules[rule].needs_pos = query_has_near(q);
	rc = query_atoms(c, qn, rule, q);
	/* a query's atoms are exactly its wlq atoms, in order; exclusions come after */
	c->def->rules[rule].n_atoms = q->n_atoms;
	return rc;
}

static int
parse_int(const struct pctx *c, const yaml_node_t *n, const char *what, long lo, long hi,
          int32_t *out)
{
	char *end;
	long v;

	if (n->type != YAML_SCALAR_NODE) {
		return pctx_fail(c, n, "%s must be a whole number", what);
	}
	v = strtol(sval(n), &end, 10);
	if (end == sval(n) || *end != 0 || v < lo || v > hi) {
		return pctx_fail(c, n, "%s must be a whole number from %ld to %ld, not '%s'", what,
		                 lo, hi, sval(n));
	}
	*out = (int32_t)v;
	return 0;
}

/*
 * Weighted patterns, the Europe Media Monitor way: each pattern that hits
 * adds its weight once (a repeated word does not add up), negative weights
 * count against, and the rule fires when the sum reaches the threshold.
 * Either {weights: {...}, threshold: N} or a flat {pattern: weight} with
 * threshold: N beside it at the top of the file.
 */
int
rules_add_patterns(struct pctx *c, const yaml_node_t *n, const yaml_node_t *threshold)
{
	struct term_opts o = { c->def_caseless, c->def_whole_word, WL_SCOPE_ANY };
	const yaml_node_t *weights = n;
	yaml_node_pair_t *p;
	int32_t thr = 0, w = 0, pos_sum = 0;
	uint32_t rule, atom;
	int rc = 0;

	if (n->type != YAML_MAPPING_NODE) {
		return pctx_fail(c, n, "patterns must be a mapping {pattern: weight, ...}");
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(sval(k), "weights") == 0) {
			weights = node(c, p->value);
		}
	}
	if (weights != n) {
		for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const yaml_node_t *k = node(c, p->key);
			const char *key = k->type == YAML_SCALAR_NODE ? sval(k) : "";

			if (strcmp(key, "threshold") == 0) {
				if (threshold != NULL) {
					return pctx_fail(c, k, "threshold given twice");
				}
				threshold = node(c, p->value);
			} else if (strcmp(key, "weights") != 0) {
				return pctx_fail(c, k,
				                 "unknown patterns key '%s' (weights, threshold)",
				                 key);
			}
		}
		if (weights->type != YAML_MAPPING_NODE) {
			return pctx_fail(c, weights, "weights must be a mapping {pattern: weight}");
		}
	}
	if (threshold == NULL) {
		return pctx_fail(c, n, "weighted patterns need a threshold");
	}
	if (parse_int(c, threshold, "threshold", 1, MAX_THRESHOLD, &thr) != 0) {
		return -1;
	}
	if (weights->data.mapping.pairs.start == weights->data.mapping.pairs.top) {
		return pctx_fail(c, weights, "no patterns");
	}
	rule = rules_new_rule(c, WL_RULE_PATTERNS, "patterns", n);
	if (rule == WL_NONE) {
		return pctx_fail(c, n, "out of memory");
	}
	c->def->rules[rule].threshold = thr;
	for (p = weights->data.mapping.pairs.start; p < weights->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);

		if (k->type != YAML_SCALAR_NODE || k->data.scalar.length == 0) {
			rc = pctx_fail(c, k, "a pattern must be a non-empty string");
			continue;
		}
		if (parse_int(c, v, "a weight", -MAX_WEIGHT, MAX_WEIGHT, &w) != 0) {
			rc = -1;
			continue;
		}
		if (w == 0) {
			pctx_warn(c, v, "pattern '%s' has weight 0 and never counts", sval(k));
		}
		pos_sum += w > 0 ? w : 0;
		atom = rules_new_atom(c, rule, sval(k), w);
		if (atom == WL_NONE) {
			return pctx_fail(c, k, "out of memory");
		}
		rc |= rules_add_term_string(c, k, atom, sval(k), &o);
	}
	c->def->rules[rule].n_atoms = c->def->n_atoms - c->def->rules[rule].atom0;
	if (rc == 0 && pos_sum < thr) {
		return pctx_fail(
		        c, threshold,
		        "threshold %d can never be reached: the positive weights add up to "
		        "%d",
		        thr, pos_sum);
	}
	return rc;
}
