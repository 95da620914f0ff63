#include "match/wl_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hash.h"

#define MAGIC     "FWHSDB1" /* 8 bytes with its NUL */
#define HDR_LEN   40u
#define SUFFIX    ".hsdb"
#define TMP_END   ".tmp"
#define HEX_LEN   32u
#define STALE_S   60         /* a writer never holds a temporary file this long */
#define MAX_BYTES (1u << 30) /* far above any database 100k terms make (9 MiB) */

/*
 * Two 64-bit hashes fed the same bytes. <a> is FNV-1a 64; <b> adds each byte
 * and multiplies by Murmur3's fmix constant, then folds the high half down:
 * a different non-linear step, so a collision of one is no collision of the
 * other. Neither has to stand up to an adversary: whoever can write the
 * watchlists decides what gets compiled anyway.
 */
struct hasher {
	uint64_t a, b, n;
};

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static void
hasher_init(struct hasher *h)
{
	h->a = FNV_BASIS;
	h->b = 0x9e3779b97f4a7c15ull;
	h->n = 0;
}

static void
hasher_feed(struct hasher *h, const void *p, size_t len)
{
	const uint8_t *s = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h->a = (h->a ^ s[i]) * FNV_PRIME;
		h->b = (h->b + s[i] + 1) * 0xff51afd7ed558ccdull;
		h->b ^= h->b >> 32;
	}
	h->n += len;
}

/* Integers go in as 8 little-endian bytes, so a key does not depend on the host's int size. */
static void
hasher_u64(struct hasher *h, uint64_t v)
{
	uint8_t le[8];
	int i;

	for (i = 0; i < 8; i++) {
		le[i] = (uint8_t)(v >> (8 * i));
	}
	hasher_feed(h, le, sizeof(le));
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--) {
		v = (v << 8) | p[i];
	}
	return v;
}

static uint64_t
fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = FNV_BASIS;
	size_t i;

	for (i = 0; i < len; i++) {
		h = (h ^ p[i]) * FNV_PRIME;
	}
	return h;
}

void
wl_cache_key_of(const char *const *exprs, const unsigned int *flags, const unsigned int *ids,
                unsigned int n, unsigned int mode, struct wl_cache_key *key)
{
	struct hasher h;
	hs_platform_info_t plat;
	const char *ver = hs_version();
	unsigned int i;
	uint64_t b;

	hasher_init(&h);
	hasher_u64(&h, n);
	hasher_u64(&h, mode);
	for (i = 0; i < n; i++) {
		size_t len = strlen(exprs[i]);

		/* the length first: ("ab", "c") and ("a", "bc") must differ */
		hasher_u64(&h, len);
		hasher_feed(&h, exprs[i], len);
		hasher_u64(&h, flags != NULL ? flags[i] : 0);
		hasher_u64(&h, ids != NULL ? ids[i] : 0);
	}
	hasher_u64(&h, strlen(ver));
	hasher_feed(&h, ver, strlen(ver));
	memset(&plat, 0, sizeof(plat));
	/* on failure the zeros stand; hs_deserialize_database() still refuses a foreign platform */
	(void)hs_populate_platform(&plat);
	hasher_u64(&h, plat.tune);
	hasher_u64(&h, plat.cpu_features);
	b = hash_fmix64(h.b ^ h.n);
	put_le64(key->b, h.a);
	put_le64(key->b + 8, b);
}

void
wl_cache_key_hex(const struct wl_cache_key *key, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[key->b[i] >> 4];
		out[2 * i + 1] = hex[key->b[i] & 15];
	}
	out[32] = '\0';
}

static int
cache_path(char *out, size_t size, const char *dir, const struct wl_cache_key *key)
{
	char hex[33];
	int n;

	wl_cache_key_hex(key, hex);
	n = snprintf(out, size, "%s/%s" SUFFIX, dir, hex);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * Remove <path> only if it is still the file <fd> holds: a writer may have
 * renamed a good file over it since we opened it.
 */
static void
remove_bad(const char *path, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino) {
		unlink(path);
	}
}

static int
read_all(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)got);

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

hs_database_t *
wl_cache_get(const char *dir, const struct wl_cache_key *key, const char **why)
{
	char path[PATH_MAX];
	const char *reason = NULL;
	hs_database_t *db = NULL;
	uint8_t *buf = NULL;
	struct stat st;
	uint64_t plen;
	bool bad = false;
	int fd = -1;

	if (dir == NULL || key == NULL || cache_path(path, sizeof(path), dir, key) != 0) {
		reason = "bad folder name";
		goto fail;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		reason = errno == ENOENT ? "absent" : "unreadable";
		goto fail;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		reason = "not a regular file";
		goto fail;
	}
	if ((uint64_t)st.st_size < HDR_LEN ||
	    (uint64_t)st.st_size > (uint64_t)MAX_BYTES + HDR_LEN) {
		reason = "truncated or oversized";
		bad = true;
		goto fail;
	}
	buf = malloc((size_t)st.st_size);
	if (buf == NULL) {
		reason = "out of memory";
		goto fail;
	}
	if (read_all(fd, buf, (size_t)st.st_size) != 0) {
		reason = "read error";
		bad = true;
		goto fail;
	}
	if (memcmp(buf, MAGIC, 8) != 0) {
		reason = "bad magic";
		bad = true;
		goto fail;
	}
	if (memcmp(buf + 8, key->b, sizeof(key->b)) != 0) {
		reason = "another key";
		bad = true;
		goto fail;
	}
	plen = get_le64(buf + 24);
	if (plen != (uint64_t)st.st_size - HDR_LEN) {
		reason = "truncated";
		bad = true;
		goto fail;
	}
	if (fnv1a(buf + HDR_LEN, (size_t)plen) != get_le64(buf + 32)) {
		reason = "checksum mismatch";
		bad = true;
		goto fail;
	}
	if (hs_deserialize_database((const char *)buf + HDR_LEN, (size_t)plen, &db) != HS_SUCCESS) {
		db = NULL;
		reason = "rejected by Hyperscan";
		bad = true;
		goto fail;
	}
	/* a hit is a use: pruning goes by mtime, least recently used first */
	futimens(fd, NULL);
	free(buf);
	close(fd);
	if (why != NULL) {
		*why = NULL;
	}
	return db;
fail:
	if (bad) {
		remove_bad(path, fd);
	}
	free(buf);
	if (fd >= 0) {
		close(fd);
	}
	if (why != NULL) {
		*why = reason;
	}
	return NULL;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w < 0) {
			return -1;
		}
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static bool
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

/* "<32 hex>.hsdb": only names we write are ever pruned. */
static bool
is_cache_name(const char *s)
{
	return strlen(s) == HEX_LEN + strlen(SUFFIX) && is_hex(s, HEX_LEN) &&
	       strcmp(s + HEX_LEN, SUFFIX) == 0;
}

/* ".<32 hex>.hsdb.<pid>.<n>.tmp" */
static bool
is_tmp_name(const char *s)
{
	size_t len = strlen(s);

	return len > 1 + HEX_LEN + strlen(SUFFIX ".") + strlen(TMP_END) && s[0] == '.' &&
	       is_hex(s + 1, HEX_LEN) &&
	       strncmp(s + 1 + HEX_LEN, SUFFIX ".", strlen(SUFFIX ".")) == 0 &&
	       strcmp(s + len - strlen(TMP_END), TMP_END) == 0;
}

struct entry {
	char name[HEX_LEN + sizeof(SUFFIX)];
	struct timespec mtime;
};

static int
entry_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	if (a->mtime.tv_sec != b->mtime.tv_sec) {
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	}
	if (a->mtime.tv_nsec != b->mtime.tv_nsec) {
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	}
	return strcmp(a->name, b->name);
}

/*
 * Best effort: a file another process removed first, or one we cannot
 * remove, is skipped. <mine> (the file just stored) always stays.
 */
static void
prune(const char *dir, const char *mine, unsigned int keep)
{
	struct entry *ents = NULL, *grown;
	size_t n = 0, cap = 0, i, excess;
	struct dirent *de;
	time_t now = time(NULL);
	DIR *d;

	d = opendir(dir);
	if (d == NULL) {
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode)) {
			continue;
		}
		if (is_tmp_name(de->d_name)) {
			if (st.st_mtime < now - STALE_S) {
				unlinkat(dirfd(d), de->d_name, 0);
			}
			continue;
		}
		if (!is_cache_name(de->d_name)) {
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			grown = realloc(ents, cap * sizeof(*ents));
			if (grown == NULL) {
				goto fail;
			}
			ents = grown;
		}
		memcpy(ents[n].name, de->d_name, sizeof(ents[n].name));
		ents[n].mtime = st.st_mtim;
		n++;
	}
	if (keep == 0) {
		keep = 1;
	}
	if (n <= keep) {
		goto fail;
	}
	qsort(ents, n, sizeof(*ents), entry_cmp);
	excess = n - keep;
	for (i = 0; i < n && excess > 0; i++) {
		if (strcmp(ents[i].name, mine) == 0) {
			continue;
		}
		unlinkat(dirfd(d), ents[i].name, 0);
		excess--;
	}
fail:
	free(ents);
	closedir(d);
}

int
wl_cache_put(const char *dir, const struct wl_cache_key *key, const hs_database_t *db,
             unsigned int keep, char **err)
{
	static unsigned int seq;
	char path[PATH_MAX], tmp[PATH_MAX], hex[33];
	uint8_t hdr[HDR_LEN];
	char *bytes = NULL;
	size_t len = 0;
	bool made = false;
	int fd = -1, dfd, tries, n;

	if (dir == NULL || key == NULL || db == NULL) {
		err_set(err, "wl_cache_put: no folder, key or database");
		return -1;
	}
	if (cache_path(path, sizeof(path), dir, key) != 0) {
		err_set(err, "%s: cache folder name too long", dir);
		return -1;
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		err_set(err, "%s: cannot create cache folder: %s", dir, strerror(errno));
		return -1;
	}
	if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
		bytes = NULL;
		err_set(err, "%s: cannot serialise the database", path);
		goto fail;
	}
	memcpy(hdr, MAGIC, 8);
	memcpy(hdr + 8, key->b, sizeof(key->b));
	put_le64(hdr + 24, len);
	put_le64(hdr + 32, fnv1a((const uint8_t *)bytes, len));

	/* pid + a per-process sequence: unique among live writers; O_EXCL catches the rest */
	wl_cache_key_hex(key, hex);
	for (tries = 0; tries < 16 && fd < 0; tries++) {
		n = snprintf(tmp, sizeof(tmp), "%s/.%s" SUFFIX ".%ld.%u" TMP_END, dir, hex,
		             (long)getpid(), __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
		if (n < 0 || (size_t)n >= sizeof(tmp)) {
			err_set(err, "%s: cache folder name too long", dir);
			goto fail;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST) {
			break;
		}
	}
	made = fd >= 0;
	if (fd < 0) {
		err_set(err, "%s: cannot create a cache file: %s", dir, strerror(errno));
		goto fail;
	}
	if (write_all(fd, hdr, sizeof(hdr)) != 0 ||
	    write_all(fd, (const uint8_t *)bytes, len) != 0 || fsync(fd) != 0) {
		err_set(err, "%s: cannot write: %s", tmp, strerror(errno));
		goto fail;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		err_set(err, "%s: cannot write: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		err_set(err, "%s: cannot rename into place: %s", path, strerror(errno));
		goto fail;
	}
	/* the rename's durability; a cache that loses it after a crash just recompiles */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	/* Hyperscan's misc allocator, which nobody here replaces: malloc */
	free(bytes);
	prune(dir, path + strlen(dir) + 1, keep);
	return 0;
fail:
	if (fd >= 0) {
		close(fd);
	}
	if (made) {
		unlink(tmp);
	}
	free(bytes);
	return -1;
}
