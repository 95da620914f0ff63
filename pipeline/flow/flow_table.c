#include "flow/flow_table.h"

#include <stdlib.h>
#include <string.h>

#include "core/bug.h"
#include "core/mem.h"

/*
 * Layout: a power-of-two array of bucket heads (entry indexes) chains the
 * entries by hash; free entries are chained through the same <next> field,
 * so deletion is an unlink and lookups never see stale slots. All live
 * entries also sit on one LRU list, least recently touched first, so expiry
 * stops at the first flow that is still fresh: O(expired). The user areas
 * live in their own 64-byte-aligned array so the entry (key + links) is
 * exactly one cache line and the engine's state starts on its own line.
 */

#define NIL       UINT32_MAX
#define FREE_MARK (UINT32_MAX - 1) /* lru_prev of an entry on the freelist */
#define MAX_FLOWS (1u << 30)

_Static_assert(sizeof(struct flow_key) == 40, "flow_key must have no implicit padding");

struct entry {
	struct flow_key key;
	uint32_t hash;
	uint32_t next; /* hash chain, or freelist when free */
	uint32_t lru_prev;
	uint32_t lru_next;
	uint64_t last_seen;
};

_Static_assert(sizeof(struct entry) == 64, "one entry per cache line");

struct flow_table {
	struct entry *e;
	uint8_t *user;
	uint32_t *bucket;
	size_t stride; /* bytes per user area, a multiple of 64 */
	uint32_t mask;
	uint32_t max;
	uint32_t count;
	uint32_t free_head;
	uint32_t lru_head; /* least recently touched */
	uint32_t lru_tail;
	uint64_t idle_ns;
	flow_evict_fn *evict;
	void *evict_arg;
	struct counters *c;
};

static inline uint64_t
rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* A murmur3-style mix over the five 64-bit words of the key, then its 64-bit finaliser. */
static inline uint32_t
hash_key(const struct flow_key *key)
{
	const uint8_t *p = (const uint8_t *)key;
	uint64_t h = 0x9e3779b97f4a7c15ull, w;
	size_t i;

	for (i = 0; i < sizeof(*key); i += 8) {
		memcpy(&w, p + i, 8);
		w *= 0x87c37b91114253d5ull;
		w = rotl64(w, 31);
		w *= 0x4cf5ad432745937full;
		h ^= w;
		h = rotl64(h, 27) * 5 + 0x52dce729;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static inline void *
user_of(const struct flow_table *ft, uint32_t i)
{
	return ft->user + (size_t)i * ft->stride;
}

static inline uint32_t
index_of(const struct flow_table *ft, const void *user)
{
	size_t off = (size_t)((const uint8_t *)user - ft->user);

	BUG_ON_HOT(off % ft->stride != 0 || off / ft->stride >= ft->max);
	return (uint32_t)(off / ft->stride);
}

static inline void
lru_unlink(struct flow_table *ft, uint32_t i)
{
	struct entry *en = &ft->e[i];

	if (en->lru_prev == NIL) {
		ft->lru_head = en->lru_next;
	} else {
		ft->e[en->lru_prev].lru_next = en->lru_next;
	}
	if (en->lru_next == NIL) {
		ft->lru_tail = en->lru_prev;
	} else {
		ft->e[en->lru_next].lru_prev = en->lru_prev;
	}
}

static inline void
lru_append(struct flow_table *ft, uint32_t i)
{
	struct entry *en = &ft->e[i];

	en->lru_prev = ft->lru_tail;
	en->lru_next = NIL;
	if (ft->lru_tail == NIL) {
		ft->lru_head = i;
	} else {
		ft->e[ft->lru_tail].lru_next = i;
	}
	ft->lru_tail = i;
}

/* Runs the callback, then unlinks entry <i> from its chain and the LRU and frees it. */
static void
evict(struct flow_table *ft, uint32_t i)
{
	struct entry *en = &ft->e[i];
	uint32_t *link;

	BUG_ON_HOT(en->lru_prev == FREE_MARK);
	if (ft->evict != NULL) {
		ft->evict(ft->evict_arg, user_of(ft, i));
	}
	link = &ft->bucket[en->hash & ft->mask];
	while (*link != i) {
		BUG_ON_HOT(*link == NIL);
		link = &ft->e[*link].next;
	}
	*link = en->next;
	lru_unlink(ft, i);
	en->lru_prev = FREE_MARK;
	en->next = ft->free_head;
	ft->free_head = i;
	ft->count--;
}

struct flow_table *
flow_table_create(uint32_t max_flows, size_t user_size, uint64_t idle_ns, flow_evict_fn *evict_fn,
                  void *evict_arg, struct counters *c)
{
	struct flow_table *ft = NULL;
	size_t stride, nbuckets;
	uint32_t i;

	if (max_flows == 0 || max_flows > MAX_FLOWS || c == NULL || user_size > SIZE_MAX / 2) {
		return NULL;
	}
	/* a zero-sized area would give every flow the same address */
	stride = user_size == 0 ? 64 : (user_size + 63) & ~(size_t)63;
	if (stride > SIZE_MAX / max_flows) {
		return NULL;
	}
	/* twice as many buckets as flows keeps chains short at full load */
	nbuckets = 1;
	while (nbuckets < (size_t)max_flows * 2) {
		nbuckets <<= 1;
	}
	ft = calloc(1, sizeof(*ft));
	if (ft == NULL) {
		goto fail;
	}
	ft->e = mem_data_zalloc((size_t)max_flows * sizeof(struct entry));
	ft->user = mem_data_zalloc((size_t)max_flows * stride);
	ft->bucket = mem_data_zalloc(nbuckets * sizeof(uint32_t));
	if (ft->e == NULL || ft->user == NULL || ft->bucket == NULL) {
		goto fail;
	}
	for (i = 0; i < nbuckets; i++) {
		ft->bucket[i] = NIL;
	}
	for (i = 0; i < max_flows; i++) {
		ft->e[i].next = i + 1 < max_flows ? i + 1 : NIL;
		ft->e[i].lru_prev = FREE_MARK;
	}
	ft->stride = stride;
	ft->mask = (uint32_t)(nbuckets - 1);
	ft->max = max_flows;
	ft->free_head = 0;
	ft->lru_head = NIL;
	ft->lru_tail = NIL;
	ft->idle_ns = idle_ns;
	ft->evict = evict_fn;
	ft->evict_arg = evict_arg;
	ft->c = c;
	return ft;
fail:
	if (ft != NULL) {
		mem_data_free(ft->bucket);
		mem_data_free(ft->user);
		mem_data_free(ft->e);
	}
	free(ft);
	return NULL;
}

void
flow_table_free(struct flow_table *ft)
{
	if (ft == NULL) {
		return;
	}
	flow_table_flush(ft);
	mem_data_free(ft->bucket);
	mem_data_free(ft->user);
	mem_data_free(ft->e);
	free(ft);
}

void
flow_key_make(struct flow_key *key, const uint8_t *src, const uint8_t *dst, uint16_t sport,
              uint16_t dport, uint8_t proto, bool is_ip6, int *dir)
{
	const size_t alen = is_ip6 ? 16 : 4;
	int cmp;

	memset(key, 0, sizeof(*key));
	cmp = memcmp(src, dst, alen);
	if (cmp == 0) {
		cmp = (sport > dport) - (sport < dport);
	}
	/* only the address bytes of the family are copied: IPv4 keys stay zero past byte 4 */
	if (cmp <= 0) {
		memcpy(key->addr[0], src, alen);
		memcpy(key->addr[1], dst, alen);
		key->port[0] = sport;
		key->port[1] = dport;
		*dir = 0;
	} else {
		memcpy(key->addr[0], dst, alen);
		memcpy(key->addr[1], src, alen);
		key->port[0] = dport;
		key->port[1] = sport;
		*dir = 1;
	}
	key->proto = proto;
	key->is_ip6 = is_ip6 ? 1 : 0;
}

void *
flow_table_lookup(struct flow_table *ft, const struct flow_key *key, uint64_t now_ns, bool create,
                  bool *created)
{
	const uint32_t h = hash_key(key);
	uint32_t *head = &ft->bucket[h & ft->mask];
	uint32_t i;

	if (created != NULL) {
		*created = false;
	}
	for (i = *head; i != NIL; i = ft->e[i].next) {
		struct entry *en = &ft->e[i];

		if (en->hash == h && memcmp(&en->key, key, sizeof(*key)) == 0) {
			en->last_seen = now_ns;
			if (ft->lru_tail != i) {
				lru_unlink(ft, i);
				lru_append(ft, i);
			}
			return user_of(ft, i);
		}
	}
	if (!create) {
		return NULL;
	}
	if (ft->free_head == NIL) {
		/*
		 * Full: the flow idle the longest makes room (Suricata's "emergency"
		 * mode does the same). A flood of new flows then churns among
		 * itself, while flows that keep talking stay at the LRU's tail.
		 */
		evict(ft, ft->lru_head);
		counters_inc(ft->c, CNT_flow_evicted);
	}
	i = ft->free_head;
	ft->free_head = ft->e[i].next;
	ft->e[i].key = *key;
	ft->e[i].hash = h;
	ft->e[i].last_seen = now_ns;
	ft->e[i].next = *head;
	*head = i;
	lru_append(ft, i);
	ft->count++;
	memset(user_of(ft, i), 0, ft->stride);
	counters_inc(ft->c, CNT_flow_created);
	if (created != NULL) {
		*created = true;
	}
	return user_of(ft, i);
}

const struct flow_key *
flow_table_key(const struct flow_table *ft, const void *user)
{
	return &ft->e[index_of(ft, user)].key;
}

void
flow_table_remove(struct flow_table *ft, void *user)
{
	evict(ft, index_of(ft, user));
}

uint32_t
flow_table_expire(struct flow_table *ft, uint64_t now_ns, uint32_t budget)
{
	uint64_t cutoff;
	uint32_t n = 0;

	if (now_ns < ft->idle_ns) {
		return 0;
	}
	cutoff = now_ns - ft->idle_ns;
	/* the LRU list is in touch order, so the first fresh flow ends the walk */
	while (n < budget && ft->lru_head != NIL && ft->e[ft->lru_head].last_seen < cutoff) {
		evict(ft, ft->lru_head);
		counters_inc(ft->c, CNT_flow_expired);
		n++;
	}
	return n;
}

void
flow_table_flush(struct flow_table *ft)
{
	while (ft->lru_head != NIL) {
		evict(ft, ft->lru_head);
	}
}

uint32_t
flow_table_count(const struct flow_table *ft)
{
	return ft->count;
}
