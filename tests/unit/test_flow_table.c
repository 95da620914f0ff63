#include "flow/flow_table.h"

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

/* What the tests keep in each flow's user area. */
struct user {
	uint32_t id;
	uint32_t magic;
	uint8_t rest[100]; /* not a multiple of 64: the table rounds it up */
};

#define MAGIC 0x600dcafe

struct evict_log {
	uint32_t n;
	uint32_t ids[4096];
};

static void
log_evict(void *arg, void *user)
{
	struct evict_log *log = arg;
	struct user *u = user;

	CU_ASSERT_EQUAL(u->magic, MAGIC);
	if (log->n < 4096) {
		log->ids[log->n] = u->id;
	}
	log->n++;
	u->magic = 0;
}

/* A distinct IPv4 flow per <id>, seen from the client (dir 0 or 1 per the key order). */
static void
key_for(uint32_t id, bool reverse, struct flow_key *key, int *dir)
{
	uint8_t a[16] = { 10, 0, (uint8_t)(id >> 8), (uint8_t)id };
	uint8_t b[16] = { 198, 18, 0, 20 };
	uint16_t pa = (uint16_t)(1024 + id % 50000), pb = 80;

	if (reverse) {
		flow_key_make(key, b, a, pb, pa, 6, false, dir);
	} else {
		flow_key_make(key, a, b, pa, pb, 6, false, dir);
	}
}

static struct user *
open_flow(struct flow_table *ft, uint32_t id, uint64_t now)
{
	struct flow_key key;
	struct user *u;
	bool created;
	int dir;

	key_for(id, false, &key, &dir);
	u = flow_table_lookup(ft, &key, now, true, &created);
	if (u != NULL && created) {
		u->id = id;
		u->magic = MAGIC;
	}
	return u;
}

static struct user *
find_flow(struct flow_table *ft, uint32_t id, uint64_t now)
{
	struct flow_key key;
	int dir;

	key_for(id, false, &key, &dir);
	return flow_table_lookup(ft, &key, now, false, NULL);
}

static void
test_flow_key_is_canonical_with_direction(void)
{
	const uint8_t lo[16] = { 10, 0, 0, 1 }, hi[16] = { 10, 0, 0, 2 };
	uint8_t junk_lo[16], junk_hi[16];
	struct flow_key k1, k2;
	int d1 = -1, d2 = -1;

	flow_key_make(&k1, lo, hi, 40000, 80, 6, false, &d1);
	flow_key_make(&k2, hi, lo, 80, 40000, 6, false, &d2);
	CU_ASSERT_EQUAL(memcmp(&k1, &k2, sizeof(k1)), 0);
	CU_ASSERT_EQUAL(d1, 0);
	CU_ASSERT_EQUAL(d2, 1);
	CU_ASSERT_EQUAL(memcmp(k1.addr[0], lo, 16), 0);
	CU_ASSERT_EQUAL(k1.port[0], 40000);
	CU_ASSERT_EQUAL(k1.pad[0] | k1.pad[1], 0);

	/* same address: the lower port is endpoint 0 */
	flow_key_make(&k1, lo, lo, 9000, 80, 17, false, &d1);
	flow_key_make(&k2, lo, lo, 80, 9000, 17, false, &d2);
	CU_ASSERT_EQUAL(memcmp(&k1, &k2, sizeof(k1)), 0);
	CU_ASSERT_EQUAL(d1, 1);
	CU_ASSERT_EQUAL(d2, 0);
	CU_ASSERT_EQUAL(k1.port[0], 80);

	/* IPv4 keys ignore bytes past the address, whatever the caller left there */
	memset(junk_lo, 0x5a, sizeof(junk_lo));
	memset(junk_hi, 0xa5, sizeof(junk_hi));
	memcpy(junk_lo, lo, 4);
	memcpy(junk_hi, hi, 4);
	flow_key_make(&k1, lo, hi, 1, 2, 6, false, &d1);
	flow_key_make(&k2, junk_hi, junk_lo, 2, 1, 6, false, &d2);
	CU_ASSERT_EQUAL(memcmp(&k1, &k2, sizeof(k1)), 0);
	CU_ASSERT_EQUAL(d2, 1);

	/* the family is part of the key */
	flow_key_make(&k2, lo, hi, 1, 2, 6, true, &d2);
	CU_ASSERT_NOT_EQUAL(memcmp(&k1, &k2, sizeof(k1)), 0);
}

static void
test_flow_both_directions_find_same_flow(void)
{
	struct counters c;
	struct flow_table *ft;
	struct flow_key fwd, rev;
	void *u1, *u2;
	bool created = false;
	int d1, d2;

	memset(&c, 0, sizeof(c));
	ft = flow_table_create(16, sizeof(struct user), 1000, NULL, NULL, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	key_for(7, false, &fwd, &d1);
	key_for(7, true, &rev, &d2);
	CU_ASSERT_NOT_EQUAL(d1, d2);
	u1 = flow_table_lookup(ft, &fwd, 1, true, &created);
	CU_ASSERT_PTR_NOT_NULL(u1);
	CU_ASSERT_TRUE(created);
	u2 = flow_table_lookup(ft, &rev, 2, true, &created);
	CU_ASSERT_PTR_EQUAL(u1, u2);
	CU_ASSERT_FALSE(created);
	CU_ASSERT_EQUAL(flow_table_count(ft), 1);
	CU_ASSERT_EQUAL(c.v[CNT_flow_created], 1);
	CU_ASSERT_EQUAL(memcmp(flow_table_key(ft, u1), &fwd, sizeof(fwd)), 0);
	CU_ASSERT_EQUAL((uintptr_t)u1 % 64, 0);
	flow_table_free(ft);
}

static void
test_flow_lookup_without_create_does_not_insert(void)
{
	struct counters c;
	struct flow_table *ft;
	bool created = true;
	struct flow_key key;
	int dir;

	memset(&c, 0, sizeof(c));
	ft = flow_table_create(4, 8, 1000, NULL, NULL, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	key_for(1, false, &key, &dir);
	CU_ASSERT_PTR_NULL(flow_table_lookup(ft, &key, 1, false, &created));
	CU_ASSERT_FALSE(created);
	CU_ASSERT_EQUAL(flow_table_count(ft), 0);
	CU_ASSERT_EQUAL(c.v[CNT_flow_created], 0);
	flow_table_free(ft);
}

static void
test_flow_user_area_zeroed_on_create(void)
{
	struct counters c;
	struct flow_table *ft;
	struct user *u;
	size_t i;
	int nonzero = 0;

	memset(&c, 0, sizeof(c));
	ft = flow_table_create(1, sizeof(struct user), 1000, NULL, NULL, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	u = open_flow(ft, 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	memset(u->rest, 0xff, sizeof(u->rest));
	flow_table_remove(ft, u);
	/* the one slot is reused: it must come back clean */
	u = flow_table_lookup(ft, &(struct flow_key){ .proto = 17 }, 2, true, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	for (i = 0; i < sizeof(*u); i++) {
		nonzero |= ((const uint8_t *)u)[i];
	}
	CU_ASSERT_EQUAL(nonzero, 0);
	flow_table_free(ft);
}

static void
test_flow_full_table_evicts_the_longest_idle(void)
{
	struct evict_log *log = calloc(1, sizeof(*log));
	struct counters c;
	struct flow_table *ft;
	uint32_t i;

	memset(&c, 0, sizeof(c));
	ft = flow_table_create(8, sizeof(struct user), 1000, log_evict, log, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_PTR_NOT_NULL(open_flow(ft, i, 1 + i));
	}
	/* flow 0 keeps talking; flow 1 is now the one idle the longest */
	CU_ASSERT_PTR_NOT_NULL(find_flow(ft, 0, 20));
	CU_ASSERT_PTR_NOT_NULL(open_flow(ft, 100, 21));
	CU_ASSERT_PTR_NOT_NULL(open_flow(ft, 101, 22));
	CU_ASSERT_EQUAL(c.v[CNT_flow_evicted], 2);
	CU_ASSERT_EQUAL(log->n, 2);
	CU_ASSERT_EQUAL(log->ids[0], 1);
	CU_ASSERT_EQUAL(log->ids[1], 2);
	CU_ASSERT_EQUAL(flow_table_count(ft), 8);
	CU_ASSERT_PTR_NOT_NULL(find_flow(ft, 0, 23));
	CU_ASSERT_PTR_NULL(find_flow(ft, 1, 23));
	CU_ASSERT_PTR_NULL(find_flow(ft, 2, 23));
	CU_ASSERT_PTR_NOT_NULL(find_flow(ft, 100, 23));
	flow_table_free(ft);
	free(log);
}

static void
test_flow_expire_evicts_only_idle_flows(void)
{
	struct evict_log *log = calloc(1, sizeof(*log));
	struct counters c;
	struct flow_table *ft;
	uint32_t i;

	memset(&c, 0, sizeof(c));
	ft = flow_table_create(64, sizeof(struct user), 100, log_evict, log, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	for (i = 0; i < 10; i++) {
		open_flow(ft, i, 1000 + i * 10); /* flow i last seen at 1000 + 10 i */
	}
	/* touching flow 0 late makes it fresh even though it was created first */
	CU_ASSERT_PTR_NOT_NULL(find_flow(ft, 0, 1200));
	CU_ASSERT_EQUAL(flow_table_expire(ft, 100, 100), 0); /* before idle_ns has passed */
	/* cutoff 1050: flows 1..4 (seen at 1010..1040) are idle; flow 5 at 1050 is not */
	CU_ASSERT_EQUAL(flow_table_expire(ft, 1150, 100), 4);
	CU_ASSERT_EQUAL(log->n, 4);
	CU_ASSERT_EQUAL(log->ids[0], 1);
	CU_ASSERT_EQUAL(log->ids[3], 4);
	CU_ASSERT_EQUAL(c.v[CNT_flow_expired], 4);
	CU_ASSERT_EQUAL(flow_table_count(ft), 6);
	CU_ASSERT_PTR_NULL(find_flow(ft, 2, 1150));
	CU_ASSERT_PTR_NOT_NULL(find_flow(ft, 5, 1150));
	/* the budget bounds the work: 6..9 are idle at 1250, flow 0 and 5 are not */
	CU_ASSERT_EQUAL(flow_table_expire(ft, 1250, 3), 3);
	CU_ASSERT_EQUAL(flow_table_expire(ft, 1250, 3), 1);
	CU_ASSERT_EQUAL(flow_table_expire(ft, 1250, 3), 0);
	CU_ASSERT_EQUAL(flow_table_count(ft), 2);
	CU_ASSERT_PTR_NOT_NULL(find_flow(ft, 0, 1250));
	CU_ASSERT_EQUAL(log->n, 8);
	flow_table_free(ft);
	CU_ASSERT_EQUAL(log->n, 10);
	free(log);
}

static void
test_flow_remove_and_flush_call_evict(void)
{
	struct evict_log *log = calloc(1, sizeof(*log));
	struct counters c;
	struct flow_table *ft;
	uint32_t i;

	memset(&c, 0, sizeof(c));
	ft = flow_table_create(32, sizeof(struct user), 100, log_evict, log, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	for (i = 0; i < 20; i++) {
		open_flow(ft, i, 1);
	}
	flow_table_remove(ft, find_flow(ft, 11, 2));
	CU_ASSERT_EQUAL(log->n, 1);
	CU_ASSERT_EQUAL(log->ids[0], 11);
	CU_ASSERT_PTR_NULL(find_flow(ft, 11, 2));
	CU_ASSERT_EQUAL(flow_table_count(ft), 19);
	flow_table_flush(ft);
	CU_ASSERT_EQUAL(log->n, 20);
	CU_ASSERT_EQUAL(flow_table_count(ft), 0);
	CU_ASSERT_EQUAL(c.v[CNT_flow_expired], 0);
	for (i = 0; i < 20; i++) {
		CU_ASSERT_PTR_NULL(find_flow(ft, i, 3));
	}
	/* the table is usable after a flush, and free evicts what is left */
	CU_ASSERT_PTR_NOT_NULL(open_flow(ft, 5, 4));
	flow_table_free(ft);
	CU_ASSERT_EQUAL(log->n, 21);
	CU_ASSERT_EQUAL(log->ids[20], 5);
	flow_table_free(NULL);
	free(log);
}

/* xorshift32: a reproducible sequence for the randomized test */
static uint32_t
rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void
test_flow_random_churn_matches_reference(void)
{
	enum { MAXF = 200, IDS = 600, OPS = 200000 };
	static bool live[IDS];
	static uint32_t touched[IDS]; /* the op that last touched a live id: the LRU's order */
	struct evict_log *log = calloc(1, sizeof(*log));
	struct counters c;
	struct flow_table *ft;
	uint32_t seed = 12345, op, id, n_live = 0, i;

	memset(live, 0, sizeof(live));
	memset(&c, 0, sizeof(c));
	/* a small table with many keys: long chains, slot reuse, and frequent evictions when full */
	ft = flow_table_create(MAXF, sizeof(struct user), 1u << 30, log_evict, log, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	for (op = 0; op < OPS; op++) {
		struct user *u;

		id = rnd(&seed) % IDS;
		switch (rnd(&seed) % 3) {
		case 0:
			if (!live[id] && n_live == MAXF) {
				/* the model's victim: the live id touched the longest ago */
				uint32_t victim = IDS, k;

				for (k = 0; k < IDS; k++) {
					if (live[k] &&
					    (victim == IDS || touched[k] < touched[victim])) {
						victim = k;
					}
				}
				live[victim] = false;
				n_live--;
				log->n = 0;
				u = open_flow(ft, id, op);
				CU_ASSERT_EQUAL_FATAL(log->n, 1);
				CU_ASSERT_EQUAL(log->ids[0], victim);
			} else {
				u = open_flow(ft, id, op);
			}
			CU_ASSERT_PTR_NOT_NULL_FATAL(u);
			CU_ASSERT_EQUAL(u->id, id);
			touched[id] = op;
			if (!live[id]) {
				live[id] = true;
				n_live++;
			}
			break;
		case 1:
			u = find_flow(ft, id, op);
			if (live[id]) {
				CU_ASSERT_PTR_NOT_NULL_FATAL(u);
				CU_ASSERT_EQUAL(u->id, id);
				log->n = 0;
				flow_table_remove(ft, u);
				live[id] = false;
				n_live--;
			} else {
				CU_ASSERT_PTR_NULL(u);
			}
			break;
		default:
			u = find_flow(ft, id, op);
			CU_ASSERT_EQUAL(u != NULL, live[id]);
			if (u != NULL) {
				touched[id] = op;
			}
			break;
		}
		if (op % 10007 == 0) {
			CU_ASSERT_EQUAL_FATAL(flow_table_count(ft), n_live);
			for (i = 0; i < IDS; i++) {
				u = find_flow(ft, i, op);
				CU_ASSERT_EQUAL_FATAL(u != NULL, live[i]);
				if (u != NULL) {
					CU_ASSERT_EQUAL(u->id, i);
					touched[i] = op;
				}
			}
		}
	}
	CU_ASSERT_EQUAL(flow_table_count(ft), n_live);
	CU_ASSERT(c.v[CNT_flow_evicted] > 0);
	flow_table_free(ft);
	free(log);
}

static void
test_flow_create_rejects_bad_sizes(void)
{
	struct counters c;

	CU_ASSERT_PTR_NULL(flow_table_create(0, 64, 1, NULL, NULL, &c));
	CU_ASSERT_PTR_NULL(flow_table_create(1u << 31, 64, 1, NULL, NULL, &c));
	CU_ASSERT_PTR_NULL(flow_table_create(1024, SIZE_MAX - 10, 1, NULL, NULL, &c));
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("flow_table", NULL, NULL);
	CU_add_test(s, "key is canonical with direction",
	            test_flow_key_is_canonical_with_direction);
	CU_add_test(s, "both directions find the same flow",
	            test_flow_both_directions_find_same_flow);
	CU_add_test(s, "lookup without create does not insert",
	            test_flow_lookup_without_create_does_not_insert);
	CU_add_test(s, "user area zeroed on create", test_flow_user_area_zeroed_on_create);
	CU_add_test(s, "full table evicts the longest idle",
	            test_flow_full_table_evicts_the_longest_idle);
	CU_add_test(s, "expire evicts only idle flows", test_flow_expire_evicts_only_idle_flows);
	CU_add_test(s, "remove and flush call evict", test_flow_remove_and_flush_call_evict);
	CU_add_test(s, "random churn matches reference", test_flow_random_churn_matches_reference);
	CU_add_test(s, "create rejects bad sizes", test_flow_create_rejects_bad_sizes);
	return guard_run_tests();
}
