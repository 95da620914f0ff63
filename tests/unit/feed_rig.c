#include "feed_rig.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

struct counters feed_rig_cnt;

static char *
copy_span(struct span s)
{
	char *c = malloc(s.len + 1);

	memcpy(c, s.ptr, s.len);
	c[s.len] = 0;
	return c;
}

static void
on_item(void *arg, const struct feed_item *it)
{
	struct feed_rig_got *g = arg;
	int i;

	if (g->n == FEED_RIG_MAX_ITEMS) {
		CU_FAIL("too many items");
		return;
	}
	g->format[g->n] = it->format;
	g->feed_title[g->n] = copy_span(it->feed_title);
	g->feed_link[g->n] = copy_span(it->feed_link);
	for (i = 0; i < FEED_F__MAX; i++) {
		CU_ASSERT_PTR_NOT_NULL(it->field[i].ptr);
		g->field[g->n][i] = copy_span(it->field[i]);
	}
	CU_ASSERT(it->n_categories <= FEED_CAT_MAX);
	g->n_categories[g->n] = it->n_categories;
	for (i = 0; i < it->n_categories && i < FEED_CAT_MAX; i++) {
		g->category[g->n][i] = copy_span(it->category[i]);
	}
	g->truncated[g->n] = it->truncated;
	g->n++;
}

void
feed_rig_free(struct feed_rig_got *g)
{
	int i, j;

	for (i = 0; i < g->n; i++) {
		free(g->feed_title[i]);
		free(g->feed_link[i]);
		for (j = 0; j < FEED_F__MAX; j++) {
			free(g->field[i][j]);
		}
		for (j = 0; j < g->n_categories[i]; j++) {
			free(g->category[i][j]);
		}
	}
	memset(g, 0, sizeof(*g));
}

bool
feed_rig_equal(const struct feed_rig_got *a, const struct feed_rig_got *b)
{
	int i, j;

	if (a->n != b->n) {
		return false;
	}
	for (i = 0; i < a->n; i++) {
		if (a->format[i] != b->format[i] ||
		    strcmp(a->feed_title[i], b->feed_title[i]) != 0 ||
		    strcmp(a->feed_link[i], b->feed_link[i]) != 0 ||
		    a->n_categories[i] != b->n_categories[i] ||
		    a->truncated[i] != b->truncated[i]) {
			return false;
		}
		for (j = 0; j < a->n_categories[i]; j++) {
			if (strcmp(a->category[i][j], b->category[i][j]) != 0) {
				return false;
			}
		}
		for (j = 0; j < FEED_F__MAX; j++) {
			if (strcmp(a->field[i][j], b->field[i][j]) != 0) {
				return false;
			}
		}
	}
	return true;
}

struct feed_env *
feed_rig_env(uint32_t max_item, uint32_t max_parsers)
{
	struct feed_limits lim = { max_item, max_parsers };

	memset(&feed_rig_cnt, 0, sizeof(feed_rig_cnt));
	return feed_env_create(&lim, &feed_rig_cnt, on_item);
}

void
feed_rig_pieces(struct feed_env *env, const char *doc, size_t len, const size_t *cuts, int ncuts,
                const char *charset, struct feed_rig_got *g)
{
	struct feed_parser *p = feed_parser_open(env, span_str(charset), g);
	size_t from = 0;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	for (i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;
		uint8_t *piece = guard_dup(doc + from, to - from);

		feed_parser_data(p, (struct span){ piece, to - from });
		guard_free(piece);
		from = to;
	}
	feed_parser_close(p);
}

void
feed_rig_whole(struct feed_env *env, const char *doc, const char *charset, struct feed_rig_got *g)
{
	feed_rig_pieces(env, doc, strlen(doc), NULL, 0, charset, g);
}

void
feed_rig_bytes(struct feed_env *env, const char *doc, struct feed_rig_got *g)
{
	size_t len = strlen(doc), k, *cuts = malloc((len + 1) * sizeof(*cuts));

	for (k = 0; k + 1 < len; k++) {
		cuts[k] = k + 1;
	}
	feed_rig_pieces(env, doc, len, cuts, len > 0 ? (int)len - 1 : 0, "", g);
	free(cuts);
}

void
feed_rig_check_splits_in(struct feed_env *env, const char *doc, size_t len, const char *charset,
                         struct feed_rig_got *whole)
{
	struct feed_rig_got part = { 0 };
	size_t *cuts = malloc((len + 1) * sizeof(*cuts)), k;
	int bad = 0;

	feed_rig_pieces(env, doc, len, NULL, 0, charset, whole);
	for (k = 0; k <= len; k++) {
		feed_rig_pieces(env, doc, len, &k, 1, charset, &part);
		if (!feed_rig_equal(whole, &part) && bad++ == 0) {
			fprintf(stderr, "\nsplit at %zu differs\n", k);
		}
		feed_rig_free(&part);
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (k = 0; k + 1 < len; k++) {
		cuts[k] = k + 1;
	}
	feed_rig_pieces(env, doc, len, cuts, len > 0 ? (int)len - 1 : 0, charset, &part);
	CU_ASSERT_TRUE(feed_rig_equal(whole, &part));
	feed_rig_free(&part);
	free(cuts);
}

void
feed_rig_check_splits(const char *doc)
{
	struct feed_env *env = feed_rig_env(4096, 2);
	struct feed_rig_got whole = { 0 };

	feed_rig_check_splits_in(env, doc, strlen(doc), "", &whole);
	CU_ASSERT(whole.n > 0);
	feed_rig_free(&whole);
	feed_env_free(env);
}
