/*
 * Fuzz target: the watchlist query language. Any bytes are parsed; every
 * diagnostic must name a column inside the query. A query that parses is
 * formatted, and the format must parse again to the same format (round
 * trip). It is then evaluated against hits derived from the input and
 * checked against a brute-force evaluator, and explained.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/wl_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_POS 4

static struct wlq_pos pos[WLQ_MAX_ATOMS][MAX_POS];
static const struct wlq_pos *pp[WLQ_MAX_ATOMS];
static uint32_t np[WLQ_MAX_ATOMS];
static char buf[1 << 18], again[1 << 18];

static void
check_diag(void *arg, bool warning, uint32_t col, const char *msg)
{
	size_t size = *(const size_t *)arg;

	(void)warning;
	if (col == 0 || col > size + 1 || msg == NULL || msg[0] == 0) {
		abort();
	}
}

static void
count_line(void *arg, unsigned depth, bool held, const char *text)
{
	(void)held;
	if (depth > WLQ_MAX_DEPTH || strlen(text) == 0) {
		abort();
	}
	(*(unsigned *)arg)++;
}

static uint32_t
next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* The semantics of wlq_eval() written the slow way: every pair of positions. */
static bool
ref_near(const struct wlq *q, const struct wlq_node *nd)
{
	const struct wlq_node *l = &q->nodes[nd->kids[0]], *r = &q->nodes[nd->kids[1]];
	uint32_t i, j, a, b;

	for (i = l->atom_lo; i < l->atom_hi; i++) {
		for (j = r->atom_lo; j < r->atom_hi; j++) {
			if (q->atoms[i].negs != l->negs || q->atoms[j].negs != r->negs) {
				continue;
			}
			for (a = 0; a < np[i]; a++) {
				for (b = 0; b < np[j]; b++) {
					const struct wlq_pos *x = &pos[i][a], *y = &pos[j][b];
					uint32_t gap;

					if (x->field != y->field ||
					    (nd->ordered && x->word >= y->word)) {
						continue;
					}
					if (x->word <= y->word) {
						uint32_t e =
						        x->word + (x->n_words ? x->n_words : 1);

						gap = y->word >= e ? y->word - e : 0;
					} else {
						uint32_t e =
						        y->word + (y->n_words ? y->n_words : 1);

						gap = x->word >= e ? x->word - e : 0;
					}
					if (gap <= nd->near_n) {
						return true;
					}
				}
			}
		}
	}
	return false;
}

static bool
ref_eval(const struct wlq *q, uint32_t n)
{
	const struct wlq_node *nd = &q->nodes[n];
	uint32_t i;

	switch (nd->kind) {
	case WLQ_ATOM:
		return np[nd->atom] != 0;
	case WLQ_NOT:
		return !ref_eval(q, nd->kids[0]);
	case WLQ_AND:
		for (i = 0; i < nd->n_kids; i++) {
			if (!ref_eval(q, nd->kids[i])) {
				return false;
			}
		}
		return true;
	case WLQ_OR:
		for (i = 0; i < nd->n_kids; i++) {
			if (ref_eval(q, nd->kids[i])) {
				return true;
			}
		}
		return false;
	case WLQ_NEAR:
		return ref_eval(q, nd->kids[0]) && ref_eval(q, nd->kids[1]) && ref_near(q, nd);
	}
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "title",    "summary", "content", "author",
		                             "category", "url",     "host" };
	struct wlq_hits h = { pp, np };
	struct wlq *q, *q2;
	uint32_t seed = 2166136261u, i, k;
	unsigned lines = 0;
	size_t n, m;

	q = wlq_parse((const char *)data, size, check_diag, &size);
	if (q == NULL) {
		return 0;
	}
	if (q->n_atoms == 0 || q->n_atoms > WLQ_MAX_ATOMS || q->root >= q->n_nodes) {
		abort();
	}
	n = wlq_format(q, q->root, buf, sizeof(buf));
	if (n >= sizeof(buf) || strlen(buf) != n) {
		abort();
	}
	q2 = wlq_parse(buf, n, check_diag, &n);
	if (q2 == NULL) {
		/* pushing title:(...) down to every atom may outgrow the length limit */
		if (n <= WLQ_MAX_LEN) {
			abort();
		}
	} else {
		m = wlq_format(q2, q2->root, again, sizeof(again));
		if (m != n || memcmp(buf, again, n) != 0 || q2->n_atoms != q->n_atoms ||
		    q2->n_nodes != q->n_nodes) {
			abort();
		}
		wlq_free(q2);
	}

	/* hits: up to MAX_POS per atom, sorted by (field, word), from a hash of the input */
	for (i = 0; i < size; i++) {
		seed = (seed ^ data[i]) * 16777619u;
	}
	seed |= 1;
	for (i = 0; i < q->n_atoms; i++) {
		np[i] = next(&seed) % (MAX_POS + 1);
		for (k = 0; k < np[i]; k++) {
			struct wlq_pos p = { (uint8_t)(next(&seed) % 3), next(&seed) % 12,
				             (uint16_t)(next(&seed) % 4) };
			uint32_t j = k;

			while (j > 0 &&
			       (pos[i][j - 1].field > p.field ||
			        (pos[i][j - 1].field == p.field && pos[i][j - 1].word > p.word))) {
				pos[i][j] = pos[i][j - 1];
				j--;
			}
			pos[i][j] = p;
		}
		pp[i] = pos[i];
	}
	if (wlq_eval(q, &h) != ref_eval(q, q->root)) {
		abort();
	}
	wlq_explain(q, &h, names, count_line, &lines);
	if (lines != q->n_nodes) {
		abort();
	}
	wlq_free(q);
	return 0;
}
