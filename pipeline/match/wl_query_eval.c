/*
 * The watchlist query language: deciding a parsed query from one item's
 * hits (the data path) and explaining the decision (tools).
 */
#include "match/wl_query.h"

#include <stdio.h>
#include <string.h>

#include "match/watchlist.h"

static uint64_t
pos_end(const struct wlq_pos *p)
{
	return (uint64_t)p->word + (p->n_words != 0 ? p->n_words : 1);
}

/* Whether <x> starts at most <n> words after a span ending at <end> (or overlaps it). */
static bool
close_after(uint64_t end, const struct wlq_pos *x, uint16_t n)
{
	return end >= x->word || x->word - end <= n;
}

/*
 * Whether a position of a[] and one of b[] (each sorted by field, word) lie in
 * one field with at most <n> words between them; <ordered>: the a one starts
 * first. One merge: for each position, the positions of the other list that
 * start no later and are in the same field are summed up by the largest end
 * among them, which is the closest one. At equal starts b goes first, so that
 * an a seen before a b started strictly earlier.
 */
static bool
pair_near(const struct wlq_pos *a, uint32_t na, const struct wlq_pos *b, uint32_t nb, uint16_t n,
          bool ordered)
{
	uint64_t end_a = 0, end_b = 0;
	bool have_a = false, have_b = false;
	uint32_t i = 0, j = 0;
	int field = -1;

	na = na < WLQ_NEAR_MAX_POS ? na : WLQ_NEAR_MAX_POS;
	nb = nb < WLQ_NEAR_MAX_POS ? nb : WLQ_NEAR_MAX_POS;
	while (i < na || j < nb) {
		const struct wlq_pos *x;
		bool is_b;

		if (i >= na) {
			is_b = true;
		} else if (j >= nb) {
			is_b = false;
		} else {
			is_b = b[j].field < a[i].field ||
			       (b[j].field == a[i].field && b[j].word <= a[i].word);
		}
		x = is_b ? &b[j++] : &a[i++];
		if (x->field != field) {
			field = x->field;
			have_a = have_b = false;
			end_a = end_b = 0;
		}
		if (is_b) {
			if (have_a && close_after(end_a, x, n)) {
				return true;
			}
			have_b = true;
			end_b = pos_end(x) > end_b ? pos_end(x) : end_b;
		} else {
			if (!ordered && have_b && close_after(end_b, x, n)) {
				return true;
			}
			have_a = true;
			end_a = pos_end(x) > end_a ? pos_end(x) : end_a;
		}
	}
	return false;
}

/* NEAR's positional test over every pair of atoms not negated inside either side. */
static bool
near_holds(const struct wlq *q, const struct wlq_hits *h, const struct wlq_node *nd)
{
	const struct wlq_node *l = &q->nodes[nd->kids[0]], *r = &q->nodes[nd->kids[1]];
	uint32_t i, j;

	for (i = l->atom_lo; i < l->atom_hi; i++) {
		if (h->n[i] == 0 || q->atoms[i].negs != l->negs) {
			continue;
		}
		for (j = r->atom_lo; j < r->atom_hi; j++) {
			if (h->n[j] == 0 || q->atoms[j].negs != r->negs) {
				continue;
			}
			if (pair_near(h->pos[i], h->n[i], h->pos[j], h->n[j], nd->near_n,
			              nd->ordered)) {
				return true;
			}
		}
	}
	return false;
}

/* Recursion depth is the tree's, at most WLQ_MAX_DEPTH (checked by the parser). */
static bool
eval_node(const struct wlq *q, const struct wlq_hits *h, uint32_t n)
{
	const struct wlq_node *nd = &q->nodes[n];
	uint32_t i;

	switch (nd->kind) {
	case WLQ_ATOM:
		return h->n[nd->atom] != 0;
	case WLQ_NOT:
		return !eval_node(q, h, nd->kids[0]);
	case WLQ_AND:
		for (i = 0; i < nd->n_kids; i++) {
			if (!eval_node(q, h, nd->kids[i])) {
				return false;
			}
		}
		return true;
	case WLQ_OR:
		for (i = 0; i < nd->n_kids; i++) {
			if (eval_node(q, h, nd->kids[i])) {
				return true;
			}
		}
		return false;
	case WLQ_NEAR:
		return eval_node(q, h, nd->kids[0]) && eval_node(q, h, nd->kids[1]) &&
		       near_holds(q, h, nd);
	}
	return false;
}

bool
wlq_eval(const struct wlq *q, const struct wlq_hits *h)
{
	return eval_node(q, h, q->root);
}

/* Appends <s> to buf[*len], truncating at <cap>. */
static void
append(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n >= cap) {
		n = cap - 1 - *len;
	}
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = 0;
}

static void
explain_node(const struct wlq *q, const struct wlq_hits *h, const char *const *names,
             wlq_line_fn *line, void *arg, uint32_t n, unsigned depth)
{
	const struct wlq_node *nd = &q->nodes[n];
	char text[512];
	size_t len = 0;
	uint32_t i, k;

	switch (nd->kind) {
	case WLQ_ATOM:
		len = wlq_format(q, n, text, sizeof(text));
		len = len < sizeof(text) ? len : sizeof(text) - 1;
		k = h->n[nd->atom];
		for (i = 0; i < k && i < 8; i++) {
			const struct wlq_pos *p = &h->pos[nd->atom][i];
			const char *sep = i == 0 ? "  " : " ";
			char one[96];

			if (names != NULL && p->field < WL_FIELD__MAX && names[p->field] != NULL) {
				snprintf(one, sizeof(one), "%s%.40s@%u", sep, names[p->field],
				         p->word);
			} else {
				snprintf(one, sizeof(one), "%s%u@%u", sep, p->field, p->word);
			}
			append(text, sizeof(text), &len, one);
		}
		if (k > 8) {
			char more[32];

			snprintf(more, sizeof(more), " +%u more", k - 8);
			append(text, sizeof(text), &len, more);
		}
		break;
	case WLQ_NOT:
		snprintf(text, sizeof(text), "NOT");
		break;
	case WLQ_AND:
	case WLQ_OR:
		snprintf(text, sizeof(text), "%s", nd->kind == WLQ_AND ? "AND" : "OR");
		break;
	case WLQ_NEAR:
		snprintf(text, sizeof(text), "%s/%u", nd->ordered ? "ONEAR" : "NEAR", nd->near_n);
		break;
	}
	line(arg, depth, eval_node(q, h, n), text);
	for (i = 0; i < nd->n_kids; i++) {
		explain_node(q, h, names, line, arg, nd->kids[i], depth + 1);
	}
}

void
wlq_explain(const struct wlq *q, const struct wlq_hits *h, const char *const *field_names,
            wlq_line_fn *line, void *arg)
{
	explain_node(q, h, field_names, line, arg, q->root, 0);
}
