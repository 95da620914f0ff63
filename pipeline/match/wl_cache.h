/*
 * A disk cache of compiled Hyperscan databases. Compiling 100k literals takes
 * seconds; a restart or a reload whose watchlists did not change should not
 * pay that again. The cache is a folder of files named after a 128-bit key
 * over every input of hs_compile_multi() plus hs_version() and the platform
 * Hyperscan compiles for, so a file is only ever read back by a compile that
 * would have produced the same database.
 *
 * File layout (little-endian):
 *   0   8  magic "FWHSDB1\0"
 *   8  16  the key
 *   24  8  payload length
 *   32  8  FNV-1a 64 of the payload
 *   40  .. hs_serialize_database() bytes
 *
 * Files are written to a temporary name and renamed into place, so a reader
 * sees either the old file, the new one, or none: never half of one. Every
 * function here is control plane and may be called from several threads or
 * processes on the same folder.
 */
#ifndef FW_WL_CACHE_H
#define FW_WL_CACHE_H

#include <hs/hs.h>
#include <stdint.h>

/* The key: two independent 64-bit hashes (not adversarial, just collision-unlikely). */
struct wl_cache_key {
	uint8_t b[16];
};

/*
 * The key of the compile hs_compile_multi(<exprs>, <flags>, <ids>, <n>, <mode>, NULL)
 * would do on this host: each expression's length and bytes in order, its
 * flag and id (NULL <flags> or <ids> hash as all zeros, as Hyperscan reads
 * them), <n>, <mode>, hs_version() and hs_populate_platform()'s tune and
 * cpu_features. <exprs> holds <n> NUL-terminated strings (none NULL) and
 * may be NULL when <n> is 0. Any thread.
 */
void wl_cache_key_of(const char *const *exprs, const unsigned int *flags, const unsigned int *ids,
                     unsigned int n, unsigned int mode, struct wl_cache_key *key);

/* <key> as 32 lowercase hex digits and a NUL into <out>. */
void wl_cache_key_hex(const struct wl_cache_key *key, char out[33]);

/*
 * The database cached under <key> in folder <dir>, or NULL when there is
 * none or it cannot be used: unreadable, truncated, wrong magic, another
 * key, a payload checksum mismatch, or hs_deserialize_database() refusing it
 * (another Hyperscan version or platform). Never fails loudly: a bad file
 * is removed; <*why> (optional; a static string, not freed) names the reason
 * for a log line, "absent" when there was simply no file. A hit marks the
 * file as recently used (its mtime), so pruning drops the least recently
 * used first. The caller frees the result with hs_free_database().
 */
hs_database_t *wl_cache_get(const char *dir, const struct wl_cache_key *key, const char **why);

/*
 * Store <db> under <key> in <dir>: serialise it, write a temporary file
 * (O_EXCL, mode 0600), fsync, rename it over "<hex of key>.hsdb", fsync the
 * folder. Creates <dir> (mode 0750, one level) if missing. Then keeps the
 * cache bounded: removes the least recently used *.hsdb files beyond <keep>
 * (the file just stored always stays, so 0 acts as 1) and temporary files
 * left over for more than a minute by a crashed writer. Returns 0, or -1
 * with <*err> set to a heap message the caller frees (a full disk or a
 * read-only folder: the caller logs it and runs on; nothing is left behind).
 */
int wl_cache_put(const char *dir, const struct wl_cache_key *key, const hs_database_t *db,
                 unsigned int keep, char **err);

#endif
