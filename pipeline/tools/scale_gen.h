/*
 * The generated workload of feedwatch-scale (issue 7): N distinct terms
 * (person and place names, organisations, one- to three-word phrases, about
 * 4% non-ASCII: Cyrillic, Greek, accented Latin, CJK) built from syllables
 * with a seeded RNG, the watchlist files that hold them, and news-like item
 * text with one term planted in a chosen share of the items. The background
 * text draws on word pools that no term can come from, so it holds terms only
 * where they are planted. Everything is deterministic for a seed. Tool code:
 * plain malloc, not for the data path.
 */
#ifndef FW_SCALE_GEN_H
#define FW_SCALE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#include "match/watchlist.h"

/* Terms, NUL-terminated, back to back in <buf>; term i starts at off[i]. */
struct scale_gen_terms {
	char *buf;
	size_t len, cap;
	size_t *off;
	uint32_t n;
	uint32_t non_ascii; /* terms holding any byte >= 0x80 */
};

/* One item's fields, as offsets into its corpus's <buf> (len 0: field absent). */
struct scale_gen_item {
	size_t off[WL_FIELD__MAX];
	uint32_t len[WL_FIELD__MAX];
};

/* Generated items: their field text back to back in <buf>, and where each field lies. */
struct scale_gen_corpus {
	char *buf;
	size_t len, cap;
	struct scale_gen_item *it;
	uint32_t n, it_cap;
	uint32_t planted; /* items that carry a planted term */
};

/* Splits the word pools once, before any other call. 0, or -1 on ENOMEM. */
int scale_gen_init(void);

/* Frees the word pools; scale_gen_init() may be called again after it. */
void scale_gen_fini(void);

/*
 * Fills <t> with <n> distinct terms (distinct also under ASCII case
 * folding), the same for the same <seed>. 0, or -1 on ENOMEM (<t> is then
 * empty). Needs scale_gen_init().
 */
int scale_gen_terms_make(struct scale_gen_terms *t, uint32_t n, uint64_t seed);

/* Frees what <t> holds and zeroes it; a zeroed <t> is fine. */
void scale_gen_terms_free(struct scale_gen_terms *t);

/* Term <i> (< t->n), NUL-terminated, valid until scale_gen_terms_free(). */
const char *scale_gen_term_at(const struct scale_gen_terms *t, uint32_t i);

/*
 * Writes <dir>/scale-0000.yaml .. scale-<n_wl - 1>.yaml, term i going to
 * file i mod <n_wl>, each with case-insensitive whole-word defaults. 0 or
 * -errno; files already written stay (scale_gen_remove_watchlists()).
 */
int scale_gen_write_watchlists(const struct scale_gen_terms *t, uint32_t n_wl, const char *dir);

/* Removes the files scale_gen_write_watchlists() writes, then <dir> if it is empty. */
void scale_gen_remove_watchlists(uint32_t n_wl, const char *dir);

/*
 * Fills <c> with items until their fields hold <bytes> bytes: a title, a
 * summary of 1-3 sentences, for half of them a content body of 3-10
 * sentences, an author, a category, a link and a host. A share <hit_rate>
 * of the items gets one term of <t>, picked at random, in the title (a
 * third) or the summary. The same for the same <seed>. 0, or -1 on ENOMEM
 * (free <c> with scale_gen_corpus_free() either way).
 */
int scale_gen_corpus_make(struct scale_gen_corpus *c, const struct scale_gen_terms *t, size_t bytes,
                          double hit_rate, uint64_t seed);

/* Frees what <c> holds and zeroes it; a zeroed <c> is fine. */
void scale_gen_corpus_free(struct scale_gen_corpus *c);

/*
 * <c>'s items as wl_scan() takes them, fields pointing into c->buf (valid
 * while <c> is). free() the array. NULL on ENOMEM.
 */
struct wl_item *scale_gen_items(const struct scale_gen_corpus *c);

/*
 * The baseline for <t>: every term as a plain escaped literal (each
 * byte but ASCII letters and digits as \xHH) with HS_FLAG_CASELESS only, in
 * one block-mode hs_compile_multi() database (free with hs_free_database()).
 * NULL on failure, with the reason in <err>.
 */
hs_database_t *scale_gen_plain_compile(const struct scale_gen_terms *t, char *err, size_t err_cap);

#endif
