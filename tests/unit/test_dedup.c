#include "match/dedup.h"

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

#define SEC    1000000000ull
#define HOUR   (3600ull * SEC)
#define WINDOW (24ull * HOUR)

static const struct span none = { NULL, 0 };

/* A span over a guard-page copy of <s>, so the hash cannot read past its end. */
static struct span
g(const char *s)
{
	struct span sp;

	sp.len = strlen(s);
	sp.ptr = guard_dup(s, sp.len);
	return sp;
}

static void
gfree(struct span sp)
{
	guard_free((uint8_t *)(uintptr_t)sp.ptr);
}

static uint64_t
key_of(const char *url, const char *guid, const char *link, const char *title, const char *summary,
       const char *wl)
{
	struct span u = g(url), gu = g(guid), l = g(link), t = g(title), s = g(summary);
	uint64_t k = dedup_key(u, gu, l, t, s, wl);

	gfree(u);
	gfree(gu);
	gfree(l);
	gfree(t);
	gfree(s);
	return k;
}

#define FEED "http://www.gov.uk/government/announcements.atom"

static void
test_dedup_repeat_within_window_is_suppressed(void)
{
	struct dedup *d = dedup_create(1024, WINDOW);
	uint64_t k = key_of(FEED, "urn:1", "", "", "", "russia-diplomacy");

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_FALSE(dedup_seen(d, k, 100 * SEC));
	CU_ASSERT_TRUE(dedup_seen(d, k, 100 * SEC));
	CU_ASSERT_TRUE(dedup_seen(d, k, 100 * SEC + WINDOW - 1));
	CU_ASSERT_EQUAL(dedup_evictions(d), 0);
	dedup_free(d);
}

static void
test_dedup_alerts_again_after_window(void)
{
	struct dedup *d = dedup_create(1024, WINDOW);
	uint64_t k = key_of(FEED, "urn:1", "", "", "", "russia-diplomacy");

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_FALSE(dedup_seen(d, k, 0));
	/* polled hourly: suppressions do not refresh the entry, so it alerts once a day */
	CU_ASSERT_TRUE(dedup_seen(d, k, 23 * HOUR));
	CU_ASSERT_FALSE(dedup_seen(d, k, WINDOW));
	CU_ASSERT_TRUE(dedup_seen(d, k, WINDOW + HOUR));
	CU_ASSERT_FALSE(dedup_seen(d, k, 2 * WINDOW));
	dedup_free(d);
}

static void
test_dedup_other_watchlist_is_not_suppressed(void)
{
	struct dedup *d = dedup_create(1024, WINDOW);
	uint64_t a = key_of(FEED, "urn:1", "", "", "", "russia-diplomacy");
	uint64_t b = key_of(FEED, "urn:1", "", "", "", "iran");

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_NOT_EQUAL(a, b);
	CU_ASSERT_FALSE(dedup_seen(d, a, SEC));
	CU_ASSERT_FALSE(dedup_seen(d, b, SEC));
	CU_ASSERT_TRUE(dedup_seen(d, a, 2 * SEC));
	CU_ASSERT_TRUE(dedup_seen(d, b, 2 * SEC));
	/* NULL names the same watchlist as "" */
	CU_ASSERT_EQUAL(dedup_key(span_str(FEED), span_str("urn:1"), none, none, none, NULL),
	                key_of(FEED, "urn:1", "", "", "", ""));
	dedup_free(d);
}

static void
test_dedup_key_prefers_guid_then_link_then_title_then_summary(void)
{
	/* with a guid, link, title and summary may change (an edited item is the same item) */
	CU_ASSERT_EQUAL(key_of(FEED, "urn:1", "http://a/1", "Old title", "s", "w"),
	                key_of(FEED, "urn:1", "http://a/2", "New title", "t", "w"));
	CU_ASSERT_NOT_EQUAL(key_of(FEED, "urn:1", "http://a/1", "T", "s", "w"),
	                    key_of(FEED, "urn:2", "http://a/1", "T", "s", "w"));
	/* without a guid, the link decides */
	CU_ASSERT_EQUAL(key_of(FEED, "", "http://a/1", "Old title", "s", "w"),
	                key_of(FEED, "", "http://a/1", "New title", "t", "w"));
	CU_ASSERT_NOT_EQUAL(key_of(FEED, "", "http://a/1", "T", "s", "w"),
	                    key_of(FEED, "", "http://a/2", "T", "s", "w"));
	/* without either, the title */
	CU_ASSERT_EQUAL(key_of(FEED, "", "", "Title", "s", "w"),
	                key_of(FEED, "", "", "Title", "t", "w"));
	CU_ASSERT_NOT_EQUAL(key_of(FEED, "", "", "Title A", "s", "w"),
	                    key_of(FEED, "", "", "Title B", "s", "w"));
	/* and without a title, the summary */
	CU_ASSERT_NOT_EQUAL(key_of(FEED, "", "", "", "summary one", "w"),
	                    key_of(FEED, "", "", "", "summary two", "w"));
	CU_ASSERT_EQUAL(key_of(FEED, "", "", "", "summary one", "w"),
	                key_of(FEED, "", "", "", "summary one", "w"));
	/* the same text as a guid and as a title is two items */
	CU_ASSERT_NOT_EQUAL(key_of(FEED, "x", "", "", "", "w"), key_of(FEED, "", "", "x", "", "w"));
}

static void
test_dedup_key_other_feed_same_guid_differs(void)
{
	CU_ASSERT_NOT_EQUAL(key_of("http://a.example/feed", "1", "", "", "", "w"),
	                    key_of("http://b.example/feed", "1", "", "", "", "w"));
	/* field boundaries are not ambiguous */
	CU_ASSERT_NOT_EQUAL(key_of("http://a/x", "y", "", "", "", "w"),
	                    key_of("http://a/", "xy", "", "", "", "w"));
	CU_ASSERT_NOT_EQUAL(key_of("u", "g", "", "", "", "ab"), key_of("u", "ga", "", "", "", "b"));
}

static void
test_dedup_full_bucket_evicts_oldest_not_newest(void)
{
	/* 8 entries: one bucket, every key lands in it */
	struct dedup *d = dedup_create(8, WINDOW);
	uint64_t k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(dedup_capacity(d), 8);
	/* recorded out of order: key 5 is the oldest */
	for (k = 1; k <= 8; k++) {
		CU_ASSERT_FALSE(dedup_seen(d, k, (k == 5 ? 1 : 10 + k) * SEC));
	}
	CU_ASSERT_EQUAL(dedup_evictions(d), 0);
	CU_ASSERT_FALSE(dedup_seen(d, 9, 100 * SEC));
	CU_ASSERT_EQUAL(dedup_evictions(d), 1);
	/* the newest ones survive, key 5 went */
	CU_ASSERT_TRUE(dedup_seen(d, 8, 101 * SEC));
	CU_ASSERT_TRUE(dedup_seen(d, 9, 101 * SEC));
	CU_ASSERT_TRUE(dedup_seen(d, 1, 101 * SEC));
	CU_ASSERT_FALSE(dedup_seen(d, 5, 102 * SEC));
	CU_ASSERT_EQUAL(dedup_evictions(d), 2);
	dedup_free(d);
}

static void
test_dedup_expired_slots_are_reused_without_eviction(void)
{
	struct dedup *d = dedup_create(8, 10 * SEC);
	uint64_t k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (k = 1; k <= 8; k++) {
		CU_ASSERT_FALSE(dedup_seen(d, k, SEC));
	}
	for (k = 11; k <= 18; k++) {
		CU_ASSERT_FALSE(dedup_seen(d, k, 100 * SEC));
	}
	CU_ASSERT_EQUAL(dedup_evictions(d), 0);
	for (k = 11; k <= 18; k++) {
		CU_ASSERT_TRUE(dedup_seen(d, k, 101 * SEC));
	}
	dedup_free(d);
}

static void
test_dedup_memory_is_bounded_by_entries(void)
{
	struct dedup *d = dedup_create(1000, WINDOW);
	uint64_t k, n = 4 * 1024;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(dedup_capacity(d), 1024);
	for (k = 0; k < n; k++) {
		CU_ASSERT_FALSE(dedup_seen(d, k * 0x100000001ull, SEC));
	}
	/* what is remembered (inserted less evicted) never exceeds the capacity */
	CU_ASSERT(n - dedup_evictions(d) <= 1024);
	CU_ASSERT(dedup_evictions(d) >= n - 1024);
	dedup_free(d);

	d = dedup_create(1, WINDOW);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(dedup_capacity(d), 8);
	dedup_free(d);
	d = dedup_create(0, WINDOW);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(dedup_capacity(d), 8);
	dedup_free(d);
	CU_ASSERT_PTR_NULL(dedup_create(UINT32_MAX, WINDOW));
	dedup_free(NULL);
}

static void
test_dedup_window_zero_disables(void)
{
	struct dedup *d = dedup_create(64, 0);
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (i = 0; i < 100; i++) {
		CU_ASSERT_FALSE(dedup_seen(d, 42, (uint64_t)i));
	}
	CU_ASSERT_EQUAL(dedup_evictions(d), 0);
	dedup_free(d);
}

static void
test_dedup_key_zero_is_an_ordinary_key(void)
{
	struct dedup *d = dedup_create(64, WINDOW);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_FALSE(dedup_seen(d, 0, SEC));
	CU_ASSERT_TRUE(dedup_seen(d, 0, 2 * SEC));
	/* not merged with its neighbours */
	CU_ASSERT_FALSE(dedup_seen(d, 1, 2 * SEC));
	CU_ASSERT_FALSE(dedup_seen(d, 2, 2 * SEC));
	CU_ASSERT_FALSE(dedup_seen(d, 3, 2 * SEC));
	CU_ASSERT_TRUE(dedup_seen(d, 2, 3 * SEC));
	dedup_free(d);
}

static void
test_dedup_time_going_backwards_counts_as_recent(void)
{
	struct dedup *d = dedup_create(8, HOUR);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_FALSE(dedup_seen(d, 7, 1000 * HOUR));
	/* a replayed capture from long before: the entry is "in the future", still recent */
	CU_ASSERT_TRUE(dedup_seen(d, 7, 10 * HOUR));
	CU_ASSERT_TRUE(dedup_seen(d, 7, 0));
	CU_ASSERT_TRUE(dedup_seen(d, 7, 1000 * HOUR + HOUR - 1));
	CU_ASSERT_FALSE(dedup_seen(d, 7, 1001 * HOUR));
	/* a full bucket with times on both sides of now still evicts the smallest time */
	dedup_free(d);
	d = dedup_create(8, 100 * HOUR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_FALSE(dedup_seen(d, 1, 50 * HOUR));
	CU_ASSERT_FALSE(dedup_seen(d, 3, 60 * HOUR));
	CU_ASSERT_FALSE(dedup_seen(d, 4, 61 * HOUR));
	CU_ASSERT_FALSE(dedup_seen(d, 5, 62 * HOUR));
	CU_ASSERT_FALSE(dedup_seen(d, 6, 63 * HOUR));
	CU_ASSERT_FALSE(dedup_seen(d, 7, 64 * HOUR));
	CU_ASSERT_FALSE(dedup_seen(d, 8, 65 * HOUR));
	CU_ASSERT_FALSE(dedup_seen(d, 2, 5 * HOUR)); /* back in time: nothing has expired */
	CU_ASSERT_EQUAL(dedup_evictions(d), 0);
	CU_ASSERT_FALSE(dedup_seen(d, 9, 5 * HOUR + 1));
	CU_ASSERT_EQUAL(dedup_evictions(d), 1);
	CU_ASSERT_TRUE(dedup_seen(d, 1, 5 * HOUR + 2));
	CU_ASSERT_FALSE(dedup_seen(d, 2, 5 * HOUR + 3));
	dedup_free(d);
}

/* xorshift64*: fixed seed, so the run is the same every time */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void
test_dedup_million_random_keys_in_64k_entries(void)
{
	struct dedup *d = dedup_create(65536, WINDOW);
	uint64_t s = 0x0123456789abcdefull, i, n = 1000000, repeats = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (i = 0; i < n; i++) {
		if (dedup_seen(d, rnd(&s), i * 1000)) {
			repeats++;
		}
	}
	CU_ASSERT_EQUAL(repeats, 0);
	/* every bucket ends full: all but the capacity were evicted, and counted */
	CU_ASSERT_EQUAL(dedup_evictions(d), n - 65536);
	/* the last key is remembered */
	CU_ASSERT_TRUE(dedup_seen(d, s * 0x2545f4914f6cdd1dull, n * 1000));
	dedup_free(d);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("dedup", NULL, NULL);
	CU_add_test(s, "repeat within window is suppressed",
	            test_dedup_repeat_within_window_is_suppressed);
	CU_add_test(s, "alerts again after window", test_dedup_alerts_again_after_window);
	CU_add_test(s, "other watchlist is not suppressed",
	            test_dedup_other_watchlist_is_not_suppressed);
	CU_add_test(s, "key prefers guid, then link, title, summary",
	            test_dedup_key_prefers_guid_then_link_then_title_then_summary);
	CU_add_test(s, "key: other feed, same guid differs",
	            test_dedup_key_other_feed_same_guid_differs);
	CU_add_test(s, "full bucket evicts oldest, not newest",
	            test_dedup_full_bucket_evicts_oldest_not_newest);
	CU_add_test(s, "expired slots are reused without eviction",
	            test_dedup_expired_slots_are_reused_without_eviction);
	CU_add_test(s, "memory is bounded by entries", test_dedup_memory_is_bounded_by_entries);
	CU_add_test(s, "window 0 disables", test_dedup_window_zero_disables);
	CU_add_test(s, "key 0 is an ordinary key", test_dedup_key_zero_is_an_ordinary_key);
	CU_add_test(s, "time going backwards counts as recent",
	            test_dedup_time_going_backwards_counts_as_recent);
	CU_add_test(s, "a million random keys in 64k entries",
	            test_dedup_million_random_keys_in_64k_entries);
	return guard_run_tests();
}
