#include "match/wl_cache.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"

static const char *const exprs[] = { "Lavrov", "Moscow", "Iran nuclear deal", "NATO" };
static const unsigned int flags[] = { HS_FLAG_CASELESS, HS_FLAG_CASELESS, HS_FLAG_CASELESS, 0 };
static const unsigned int ids[] = { 1, 2, 3, 4 };
#define N_EXPRS 4u

static const char text[] = "Foreign Secretary arrives in MOSCOW for talks with Sergei Lavrov on "
                           "the Iran nuclear deal; nato and NATO watch. lavrov again.";

static char dir[64];

static int
suite_init(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fw_wl_cache_XXXXXX");
	return guard_mkdtemp(dir);
}

static int
suite_clean(void)
{
	return guard_rmtree(dir);
}

/* A fresh cache folder inside the suite's folder. */
static void
sub(char *out, size_t size, const char *name)
{
	char cmd[512];

	snprintf(out, size, "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static hs_database_t *
compile(void)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;

	if (hs_compile_multi(exprs, flags, ids, N_EXPRS, HS_MODE_BLOCK, NULL, &db, &cerr) !=
	    HS_SUCCESS) {
		hs_free_compile_error(cerr);
		return NULL;
	}
	return db;
}

static void
key_default(struct wl_cache_key *k)
{
	wl_cache_key_of(exprs, flags, ids, N_EXPRS, HS_MODE_BLOCK, k);
}

struct hits {
	unsigned int n;
	unsigned int id[64];
	unsigned long long to[64];
};

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int fl,
         void *ctx)
{
	struct hits *h = ctx;

	(void)from;
	(void)fl;
	if (h->n < 64) {
		h->id[h->n] = id;
		h->to[h->n] = to;
	}
	h->n++;
	return 0;
}

static int
scan(const hs_database_t *db, struct hits *h)
{
	hs_scratch_t *s = NULL;
	hs_error_t rc;

	memset(h, 0, sizeof(*h));
	if (hs_alloc_scratch(db, &s) != HS_SUCCESS) {
		return -1;
	}
	rc = hs_scan(db, text, sizeof(text) - 1, 0, s, on_match, h);
	hs_free_scratch(s);
	return rc == HS_SUCCESS ? 0 : -1;
}

/* Whether <db> finds exactly what a fresh compile finds in <text>. */
static int
scans_like_fresh(const hs_database_t *db)
{
	hs_database_t *fresh = compile();
	struct hits a, b;
	int ok;

	ok = fresh != NULL && scan(fresh, &a) == 0 && scan(db, &b) == 0 && a.n == b.n && a.n == 5 &&
	     memcmp(a.id, b.id, sizeof(a.id)) == 0 && memcmp(a.to, b.to, sizeof(a.to)) == 0;
	hs_free_database(fresh);
	return ok;
}

static void
file_of(char *out, size_t size, const char *d, const struct wl_cache_key *k)
{
	char hex[33];

	wl_cache_key_hex(k, hex);
	snprintf(out, size, "%s/%s.hsdb", d, hex);
}

static int
count_files(const char *d, const char *suffix)
{
	struct dirent *de;
	DIR *dd = opendir(d);
	int n = 0;

	if (dd == NULL) {
		return -1;
	}
	while ((de = readdir(dd)) != NULL) {
		size_t l = strlen(de->d_name), s = strlen(suffix);

		if (l >= s && strcmp(de->d_name + l - s, suffix) == 0) {
			n++;
		}
	}
	closedir(dd);
	return n;
}

/* Stores the default database under <k> in <d>; CU-asserts success. */
static void
put_default(const char *d, const struct wl_cache_key *k, unsigned int keep)
{
	hs_database_t *db = compile();
	char *err = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(wl_cache_put(d, k, db, keep, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	free(err);
	hs_free_database(db);
}

static void
test_wl_cache_put_then_get_scans_identically(void)
{
	struct wl_cache_key k;
	char d[128], path[256];
	const char *why = "unset";
	hs_database_t *db;
	struct stat st;
	mode_t mask;

	sub(d, sizeof(d), "roundtrip");
	key_default(&k);
	put_default(d, &k, 8);
	CU_ASSERT_EQUAL(stat(d, &st), 0);
	CU_ASSERT(S_ISDIR(st.st_mode));
	mask = umask(0);
	umask(mask);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0750 & ~mask);
	file_of(path, sizeof(path), d, &k);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	db = wl_cache_get(d, &k, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_PTR_NULL(why);
	CU_ASSERT(scans_like_fresh(db));
	hs_free_database(db);
	CU_ASSERT_EQUAL(count_files(d, ".tmp"), 0);
}

static void
test_wl_cache_other_key_misses(void)
{
	struct wl_cache_key k, other;
	const char *why = NULL;
	char d[128];

	sub(d, sizeof(d), "otherkey");
	key_default(&k);
	put_default(d, &k, 8);
	other = k;
	other.b[15] ^= 1;
	CU_ASSERT_PTR_NULL(wl_cache_get(d, &other, &why));
	CU_ASSERT_PTR_NOT_NULL(why);
	if (why != NULL) {
		CU_ASSERT_STRING_EQUAL(why, "absent");
	}
	/* a miss on a folder that does not exist either, with no why asked */
	CU_ASSERT_PTR_NULL(wl_cache_get("/tmp/fw_wl_cache_no_such_folder/x", &k, NULL));
}

/* Rewrites the cache file of <k> in <d> through <edit>, then expects a miss that removes it. */
static void
expect_rejected(const char *name, void (*edit)(uint8_t *buf, size_t *len), const char *reason)
{
	struct wl_cache_key k;
	char d[128], path[256];
	const char *why = NULL;
	uint8_t *buf;
	size_t len;
	struct stat st;
	FILE *f;

	sub(d, sizeof(d), name);
	key_default(&k);
	put_default(d, &k, 8);
	file_of(path, sizeof(path), d, &k);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	len = (size_t)st.st_size;
	buf = malloc(len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fread(buf, 1, len, f), len);
	fclose(f);
	edit(buf, &len);
	f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
	fclose(f);
	free(buf);

	CU_ASSERT_PTR_NULL(wl_cache_get(d, &k, &why));
	CU_ASSERT_PTR_NOT_NULL(why);
	if (why != NULL) {
		CU_ASSERT_STRING_EQUAL(why, reason);
	}
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	/* and the next put heals it */
	put_default(d, &k, 8);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
}

static void
cut_payload(uint8_t *buf, size_t *len)
{
	(void)buf;
	*len -= 100;
}

static void
cut_header(uint8_t *buf, size_t *len)
{
	(void)buf;
	*len = 20;
}

static void
flip_payload(uint8_t *buf, size_t *len)
{
	buf[*len / 2] ^= 0x20;
}

static void
bad_magic(uint8_t *buf, size_t *len)
{
	(void)len;
	buf[0] = 'X';
}

static void
wrong_key(uint8_t *buf, size_t *len)
{
	(void)len;
	buf[8] ^= 0xff;
}

/* Garbage that passes the checksum: only Hyperscan can refuse it. */
static void
garbage_with_good_sum(uint8_t *buf, size_t *len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;
	int b;

	for (i = 40; i < *len; i++) {
		buf[i] = (uint8_t)(i * 7);
		h = (h ^ buf[i]) * 0x100000001b3ull;
	}
	for (b = 0; b < 8; b++) {
		buf[32 + b] = (uint8_t)(h >> (8 * b));
	}
}

static void
test_wl_cache_truncated_file_is_removed(void)
{
	expect_rejected("cut", cut_payload, "truncated");
	expect_rejected("cuthdr", cut_header, "truncated or oversized");
}

static void
test_wl_cache_flipped_payload_byte_is_removed(void)
{
	expect_rejected("flip", flip_payload, "checksum mismatch");
}

static void
test_wl_cache_wrong_magic_is_removed(void)
{
	expect_rejected("magic", bad_magic, "bad magic");
}

static void
test_wl_cache_header_of_another_key_is_removed(void)
{
	expect_rejected("hdrkey", wrong_key, "another key");
}

static void
test_wl_cache_payload_hyperscan_refuses_is_removed(void)
{
	expect_rejected("garbage", garbage_with_good_sum, "rejected by Hyperscan");
}

struct racer {
	const char *dir;
	struct wl_cache_key key;
	hs_database_t *db;
	int failures;
	int bad_reads;
};

static void *
race_put(void *arg)
{
	struct racer *r = arg;
	int i;

	for (i = 0; i < 40; i++) {
		char *err = NULL;

		if (wl_cache_put(r->dir, &r->key, r->db, 8, &err) != 0) {
			r->failures++;
		}
		free(err);
	}
	return NULL;
}

static void *
race_get(void *arg)
{
	struct racer *r = arg;
	int i;

	for (i = 0; i < 80; i++) {
		const char *why = NULL;
		hs_database_t *db = wl_cache_get(r->dir, &r->key, &why);

		if (db != NULL) {
			if (!scans_like_fresh(db)) {
				r->bad_reads++;
			}
			hs_free_database(db);
		} else if (why == NULL || strcmp(why, "absent") != 0) {
			/* a reader must never see half a file */
			r->bad_reads++;
		}
	}
	return NULL;
}

static void
test_wl_cache_concurrent_puts_of_one_key_do_not_corrupt(void)
{
	struct racer a, b, c;
	pthread_t ta, tb, tc;
	hs_database_t *db;
	char d[128];

	sub(d, sizeof(d), "race");
	memset(&a, 0, sizeof(a));
	a.dir = d;
	key_default(&a.key);
	a.db = compile();
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.db);
	b = a;
	c = a;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&ta, NULL, race_put, &a), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&tb, NULL, race_put, &b), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&tc, NULL, race_get, &c), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_join(tc, NULL);
	CU_ASSERT_EQUAL(a.failures + b.failures, 0);
	CU_ASSERT_EQUAL(c.bad_reads, 0);
	CU_ASSERT_EQUAL(count_files(d, ".hsdb"), 1);
	CU_ASSERT_EQUAL(count_files(d, ".tmp"), 0);
	db = wl_cache_get(d, &a.key, NULL);
	CU_ASSERT_PTR_NOT_NULL(db);
	if (db != NULL) {
		CU_ASSERT(scans_like_fresh(db));
	}
	hs_free_database(db);
	hs_free_database(a.db);
}

static void
set_mtime(const char *path, time_t t)
{
	struct timespec ts[2];

	ts[0].tv_sec = t;
	ts[0].tv_nsec = 0;
	ts[1] = ts[0];
	CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
numbered_key(struct wl_cache_key *k, unsigned int i)
{
	unsigned int id[N_EXPRS] = { i, 2, 3, 4 };

	wl_cache_key_of(exprs, flags, id, N_EXPRS, HS_MODE_BLOCK, k);
}

static void
test_wl_cache_keeps_only_the_most_recently_used(void)
{
	struct wl_cache_key k[12];
	time_t base = time(NULL) - 1000;
	char d[128], path[256];
	hs_database_t *db;
	struct stat st;
	unsigned int i;

	sub(d, sizeof(d), "keep");
	for (i = 0; i < 10; i++) {
		numbered_key(&k[i], 100 + i);
		put_default(d, &k[i], 3);
		file_of(path, sizeof(path), d, &k[i]);
		set_mtime(path, base + i);
	}
	CU_ASSERT_EQUAL(count_files(d, ".hsdb"), 3);
	for (i = 0; i < 10; i++) {
		file_of(path, sizeof(path), d, &k[i]);
		CU_ASSERT_EQUAL(stat(path, &st) == 0, i >= 7);
	}
	/* a hit makes k[7] the most recently used: the next put drops k[8] instead */
	db = wl_cache_get(d, &k[7], NULL);
	CU_ASSERT_PTR_NOT_NULL(db);
	hs_free_database(db);
	numbered_key(&k[10], 110);
	put_default(d, &k[10], 3);
	CU_ASSERT_EQUAL(count_files(d, ".hsdb"), 3);
	file_of(path, sizeof(path), d, &k[7]);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	file_of(path, sizeof(path), d, &k[8]);
	CU_ASSERT_NOT_EQUAL(stat(path, &st), 0);
	/* keep 0 still keeps what was just stored, even when it looks oldest */
	for (i = 7; i <= 10; i++) {
		file_of(path, sizeof(path), d, &k[i]);
		if (stat(path, &st) == 0) {
			set_mtime(path, time(NULL) + 1000);
		}
	}
	numbered_key(&k[11], 111);
	put_default(d, &k[11], 0);
	CU_ASSERT_EQUAL(count_files(d, ".hsdb"), 1);
	file_of(path, sizeof(path), d, &k[11]);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
}

static void
touch(const char *path)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("x", f);
	fclose(f);
}

static void
test_wl_cache_removes_stale_temp_files_only(void)
{
	struct wl_cache_key k;
	char d[128], stale[256], fresh[256], other[256], mine[256], hex[33];
	struct stat st;

	sub(d, sizeof(d), "stale");
	CU_ASSERT_EQUAL_FATAL(mkdir(d, 0750), 0);
	numbered_key(&k, 7);
	wl_cache_key_hex(&k, hex);
	snprintf(stale, sizeof(stale), "%s/.%s.hsdb.99999.1.tmp", d, hex);
	snprintf(fresh, sizeof(fresh), "%s/.%s.hsdb.99999.2.tmp", d, hex);
	snprintf(other, sizeof(other), "%s/notes.tmp", d);
	snprintf(mine, sizeof(mine), "%s/README.hsdb", d);
	touch(stale);
	touch(fresh);
	touch(other);
	touch(mine);
	set_mtime(stale, time(NULL) - 120);
	set_mtime(other, time(NULL) - 120);
	set_mtime(mine, time(NULL) - 120);
	key_default(&k);
	put_default(d, &k, 1);
	CU_ASSERT_NOT_EQUAL(stat(stale, &st), 0);
	CU_ASSERT_EQUAL(stat(fresh, &st), 0);
	CU_ASSERT_EQUAL(stat(other, &st), 0);
	CU_ASSERT_EQUAL(stat(mine, &st), 0);
}

static void
test_wl_cache_unwritable_folder_fails_with_message(void)
{
	struct wl_cache_key k;
	hs_database_t *db = compile();
	char file[128], d[256];
	char *err = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	key_default(&k);
	/* a folder under a regular file can be neither created nor written, even by root */
	snprintf(file, sizeof(file), "%s/plainfile", dir);
	touch(file);
	snprintf(d, sizeof(d), "%s/cache", file);
	CU_ASSERT_EQUAL(wl_cache_put(d, &k, db, 8, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	err = NULL;
	/* the "folder" itself a regular file */
	CU_ASSERT_EQUAL(wl_cache_put(file, &k, db, 8, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(err);
	free(err);
	err = NULL;
	if (geteuid() != 0) {
		sub(d, sizeof(d), "readonly");
		CU_ASSERT_EQUAL_FATAL(mkdir(d, 0500), 0);
		CU_ASSERT_EQUAL(wl_cache_put(d, &k, db, 8, &err), -1);
		CU_ASSERT_PTR_NOT_NULL(err);
		free(err);
		err = NULL;
		chmod(d, 0700);
	}
	/* no err pointer: still no crash */
	CU_ASSERT_EQUAL(wl_cache_put(file, &k, db, 8, NULL), -1);
	hs_free_database(db);
}

static int
key_eq(const struct wl_cache_key *a, const struct wl_cache_key *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static void
test_wl_cache_key_covers_every_compile_input(void)
{
	static const char *const swapped[] = { "Moscow", "Lavrov", "Iran nuclear deal", "NATO" };
	static const char *const changed[] = { "Lavrov", "Moscow", "Iran nuclear deaL", "NATO" };
	static const char *const split1[] = { "ab", "c" };
	static const char *const split2[] = { "a", "bc" };
	static const unsigned int fl2[] = { HS_FLAG_CASELESS, HS_FLAG_CASELESS, 0, 0 };
	static const unsigned int id2[] = { 1, 2, 3, 5 };
	static const unsigned int zeros[] = { 0, 0, 0, 0 };
	struct wl_cache_key base, again, k;

	key_default(&base);
	key_default(&again);
	CU_ASSERT(key_eq(&base, &again));
	wl_cache_key_of(changed, flags, ids, N_EXPRS, HS_MODE_BLOCK, &k);
	CU_ASSERT(!key_eq(&base, &k));
	wl_cache_key_of(swapped, flags, ids, N_EXPRS, HS_MODE_BLOCK, &k);
	CU_ASSERT(!key_eq(&base, &k));
	wl_cache_key_of(exprs, fl2, ids, N_EXPRS, HS_MODE_BLOCK, &k);
	CU_ASSERT(!key_eq(&base, &k));
	wl_cache_key_of(exprs, flags, id2, N_EXPRS, HS_MODE_BLOCK, &k);
	CU_ASSERT(!key_eq(&base, &k));
	wl_cache_key_of(exprs, flags, ids, N_EXPRS - 1, HS_MODE_BLOCK, &k);
	CU_ASSERT(!key_eq(&base, &k));
	wl_cache_key_of(exprs, flags, ids, N_EXPRS, HS_MODE_VECTORED, &k);
	CU_ASSERT(!key_eq(&base, &k));
	wl_cache_key_of(split1, NULL, NULL, 2, HS_MODE_BLOCK, &base);
	wl_cache_key_of(split2, NULL, NULL, 2, HS_MODE_BLOCK, &k);
	CU_ASSERT(!key_eq(&base, &k));
	/* NULL flags and ids are what Hyperscan reads as zeros: the same compile, the same key */
	wl_cache_key_of(exprs, NULL, NULL, N_EXPRS, HS_MODE_BLOCK, &base);
	wl_cache_key_of(exprs, zeros, zeros, N_EXPRS, HS_MODE_BLOCK, &k);
	CU_ASSERT(key_eq(&base, &k));
	/* both halves move: the key is two hashes, not one hash twice */
	wl_cache_key_of(exprs, zeros, zeros, N_EXPRS - 1, HS_MODE_BLOCK, &again);
	CU_ASSERT(memcmp(k.b, again.b, 8) != 0);
	CU_ASSERT(memcmp(k.b + 8, again.b + 8, 8) != 0);
	wl_cache_key_of(NULL, NULL, NULL, 0, HS_MODE_BLOCK, &k);
	CU_ASSERT(!key_eq(&base, &k));
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("wl_cache", suite_init, suite_clean);
	CU_add_test(s, "put then get scans identically",
	            test_wl_cache_put_then_get_scans_identically);
	CU_add_test(s, "other key misses", test_wl_cache_other_key_misses);
	CU_add_test(s, "truncated file is removed", test_wl_cache_truncated_file_is_removed);
	CU_add_test(s, "flipped payload byte is removed",
	            test_wl_cache_flipped_payload_byte_is_removed);
	CU_add_test(s, "wrong magic is removed", test_wl_cache_wrong_magic_is_removed);
	CU_add_test(s, "header of another key is removed",
	            test_wl_cache_header_of_another_key_is_removed);
	CU_add_test(s, "payload Hyperscan refuses is removed",
	            test_wl_cache_payload_hyperscan_refuses_is_removed);
	CU_add_test(s, "concurrent puts of one key do not corrupt",
	            test_wl_cache_concurrent_puts_of_one_key_do_not_corrupt);
	CU_add_test(s, "keeps only the most recently used",
	            test_wl_cache_keeps_only_the_most_recently_used);
	CU_add_test(s, "removes stale temp files only",
	            test_wl_cache_removes_stale_temp_files_only);
	CU_add_test(s, "unwritable folder fails with message",
	            test_wl_cache_unwritable_folder_fails_with_message);
	CU_add_test(s, "key covers every compile input",
	            test_wl_cache_key_covers_every_compile_input);
	return guard_run_tests();
}
