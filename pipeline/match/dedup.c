#include "match/dedup.h"

#include <string.h>

#include "core/hash.h"
#include "core/mem.h"

#define WAYS        8
#define MIN_ENTRIES WAYS
#define MAX_ENTRIES (1u << 31)

/*
 * Slot key 0 means "empty", so a caller's key 0 is stored as this constant
 * instead; the two then share a slot, a 2^-64 chance like any collision. (Storing
 * key | 1 would merge every even key with its odd neighbour.)
 */
#define ZERO_KEY 0x9e3779b97f4a7c15ull

/* One cache line of keys, one of the times they were recorded. */
struct bucket {
	uint64_t key[WAYS];
	uint64_t t[WAYS];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct bucket) == 128, "a bucket is two cache lines");

struct dedup {
	uint64_t window;
	uint64_t evictions;
	uint64_t mask; /* buckets - 1 */
	uint32_t capacity;
	struct bucket *b;
} __attribute__((aligned(64)));

struct dedup *
dedup_create(uint32_t entries, uint64_t window_ns)
{
	struct dedup *d;
	uint32_t cap = MIN_ENTRIES;

	if (entries > MAX_ENTRIES) {
		return NULL;
	}
	while (cap < entries) {
		cap <<= 1;
	}
	/* the header and the buckets in one block: one allocation, one free */
	d = mem_data_zalloc(sizeof(*d) + (size_t)(cap / WAYS) * sizeof(struct bucket));
	if (d == NULL) {
		return NULL;
	}
	d->window = window_ns;
	d->mask = cap / WAYS - 1;
	d->capacity = cap;
	d->b = (struct bucket *)(void *)(d + 1);
	return d;
}

void
dedup_free(struct dedup *d)
{
	mem_data_free(d);
}

uint32_t
dedup_capacity(const struct dedup *d)
{
	return d->capacity;
}

uint64_t
dedup_evictions(const struct dedup *d)
{
	return d->evictions;
}

static inline uint64_t
rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

#define K1 0x87c37b91114253d5ull
#define K2 0x4cf5ad432745937full

/*
 * Murmur3-style absorption, eight bytes at a time. The length goes in first,
 * so the concatenation of fields cannot be ambiguous ("ab" + "c" vs "a" + "bc").
 * Keys stay in this process's memory, so host byte order is fine.
 */
static uint64_t
absorb(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t w;

	h ^= (uint64_t)n * K1;
	h = rotl64(h, 27) * 5 + 0x52dce729;
	while (n >= 8) {
		memcpy(&w, p, 8);
		h ^= rotl64(w * K1, 31) * K2;
		h = rotl64(h, 27) * 5 + 0x52dce729;
		p += 8;
		n -= 8;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, p, n);
		h ^= rotl64(w * K1, 31) * K2;
		h = rotl64(h, 27) * 5 + 0x52dce729;
	}
	return h;
}

enum ident { IDENT_GUID = 1, IDENT_LINK, IDENT_TITLE, IDENT_SUMMARY };

uint64_t
dedup_key(struct span feed_url, struct span guid, struct span link, struct span title,
          struct span summary, const char *watchlist)
{
	struct span id = summary;
	enum ident kind = IDENT_SUMMARY;
	uint64_t h = 0x2545f4914f6cdd1dull;

	if (guid.len > 0) {
		id = guid;
		kind = IDENT_GUID;
	} else if (link.len > 0) {
		id = link;
		kind = IDENT_LINK;
	} else if (title.len > 0) {
		id = title;
		kind = IDENT_TITLE;
	}
	if (watchlist == NULL) {
		watchlist = "";
	}
	h = absorb(h, feed_url.ptr, feed_url.len);
	h ^= (uint64_t)kind * K2;
	h = absorb(h, id.ptr, id.len);
	h = absorb(h, (const uint8_t *)watchlist, strlen(watchlist));
	return hash_fmix64(h);
}

bool
dedup_seen(struct dedup *d, uint64_t key, uint64_t now_ns)
{
	struct bucket *b;
	uint64_t k = key != 0 ? key : ZERO_KEY;
	uint64_t oldest = UINT64_MAX;
	int w, free_w = -1, old_w = 0;

	if (d->window == 0) {
		return false;
	}
	/* callers may hand raw counters as keys: mix before picking a bucket */
	b = &d->b[hash_fmix64(k) & d->mask];
	for (w = 0; w < WAYS; w++) {
		uint64_t t = b->t[w];

		if (b->key[w] == k) {
			/* recorded after now: time went backwards, which is "recent" */
			if (now_ns < t || now_ns - t < d->window) {
				return true;
			}
			b->t[w] = now_ns;
			return false;
		}
		if (b->key[w] == 0 || (now_ns >= t && now_ns - t >= d->window)) {
			if (free_w < 0) {
				free_w = w;
			}
		} else if (t < oldest) {
			oldest = t;
			old_w = w;
		}
	}
	if (free_w < 0) {
		free_w = old_w;
		d->evictions++;
	}
	b->key[free_w] = k;
	b->t[free_w] = now_ns;
	return false;
}
