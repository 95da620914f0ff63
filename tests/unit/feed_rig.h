/*
 * Test rig shared by the feed stage's suites: a feed environment whose items
 * are copied out as C strings, and helpers that feed a document whole or in
 * pieces, each piece right before a guard page.
 */
#ifndef FW_TEST_FEED_RIG_H
#define FW_TEST_FEED_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counters.h"
#include "feed/feed.h"

#define FEED_RIG_MAX_ITEMS 8

/* What the item callback saw: every field copied out as a C string. */
struct feed_rig_got {
	int n;
	enum feed_format format[FEED_RIG_MAX_ITEMS];
	char *feed_title[FEED_RIG_MAX_ITEMS];
	char *feed_link[FEED_RIG_MAX_ITEMS];
	char *field[FEED_RIG_MAX_ITEMS][FEED_F__MAX];
	char *category[FEED_RIG_MAX_ITEMS][FEED_CAT_MAX]; /* the first n_categories */
	int n_categories[FEED_RIG_MAX_ITEMS];
	bool truncated[FEED_RIG_MAX_ITEMS];
};

/* The counters of the environment from feed_rig_env() (zeroed by it). */
extern struct counters feed_rig_cnt;

/* An environment reporting into a struct feed_rig_got. */
struct feed_env *feed_rig_env(uint32_t max_item, uint32_t max_parsers);

/* Frees what <g> holds and zeroes it. */
void feed_rig_free(struct feed_rig_got *g);

/* Whether two runs saw the same items, field by field. */
bool feed_rig_equal(const struct feed_rig_got *a, const struct feed_rig_got *b);

/* Feeds <doc> in pieces cut at <cuts> (ascending), with transport charset <charset>. */
void feed_rig_pieces(struct feed_env *env, const char *doc, size_t len, const size_t *cuts,
                     int ncuts, const char *charset, struct feed_rig_got *g);

/* Feeds NUL-terminated <doc> whole. */
void feed_rig_whole(struct feed_env *env, const char *doc, const char *charset,
                    struct feed_rig_got *g);

/* Feeds NUL-terminated <doc> one byte at a time. */
void feed_rig_bytes(struct feed_env *env, const char *doc, struct feed_rig_got *g);

/*
 * <doc> (<len> bytes, NULs allowed) with transport charset <charset>, whole
 * into <whole> (left for the caller's assertions), then at every two-piece
 * split and one byte at a time: each must give exactly <whole>'s items
 * (CUnit asserts).
 */
void feed_rig_check_splits_in(struct feed_env *env, const char *doc, size_t len,
                              const char *charset, struct feed_rig_got *whole);

/*
 * Every two-piece split and the one-byte-at-a-time split of <doc> must give
 * exactly the whole-document items (CUnit asserts). feed_rig_cnt holds the
 * counters of all those runs afterwards.
 */
void feed_rig_check_splits(const char *doc);

#endif
