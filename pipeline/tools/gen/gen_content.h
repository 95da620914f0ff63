/*
 * The content layer of feedwatch-gen: watchlists of realistic terms, and feed
 * documents in every supported format and charset with hits planted in
 * chosen items and fields, recorded in struct gen_doc as ground truth.
 */
#ifndef FW_GEN_CONTENT_H
#define FW_GEN_CONTENT_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/gen/gen.h"

/* ---- watchlists ---- */

struct gen_wl;

/*
 * <n_terms> terms (100 .. 100,000) spread over <n_watchlists> watchlists, of
 * realistic kinds: person and place names, multi-word phrases, non-ASCII
 * terms (Cyrillic, accented Latin, CJK), some case-sensitive, some scoped to
 * a field. Deterministic for <rng>'s seed. NULL on failure.
 */
struct gen_wl *gen_wl_create(struct gen_rng *rng, uint32_t n_terms, uint32_t n_watchlists);
void gen_wl_free(struct gen_wl *wl);

/* Write one YAML file per watchlist into folder <dir> (created if missing). 0 or -errno. */
int gen_wl_write(const struct gen_wl *wl, const char *dir);

uint32_t gen_wl_count(const struct gen_wl *wl);
const char *gen_wl_name(const struct gen_wl *wl, uint32_t idx);

/* ---- documents ---- */

struct gen_content_opts {
	const char *
	        csv; /* ag_news-style CSV (class,title,description) as item text; NULL: synthetic */
	const char *feeds_dir; /* or a folder of real feeds whose item text is reused; NULL: no */
	uint32_t items_min, items_max; /* items per document */
	double hit_rate;               /* share of items that get planted hits */
	double near_miss_rate;         /* share of items that get a near-miss (must not alert) */
	bool ascii_only; /* plant only ASCII terms (for charsets that cannot carry others) */
};

struct gen_content;

/* Text source and planting policy over watchlists <wl> (which must outlive it). NULL on failure. */
struct gen_content *gen_content_create(const struct gen_content_opts *o, const struct gen_wl *wl);
void gen_content_free(struct gen_content *c);

/*
 * One feed document of <format> in <charset> declared per <decl>, with its
 * items, planted hits and near-misses. Hits in a charset that cannot encode
 * a term are not planted (only terms the charset can carry are used). Items
 * whose text the charset cannot encode are transliterated or dropped so the
 * document is always valid in its charset. NULL on failure.
 */
struct gen_doc *gen_content_doc(struct gen_content *c, struct gen_rng *rng, enum gen_format format,
                                enum gen_charset charset, enum gen_cs_decl decl);

/* "rss2", "rdf", "atom-text", "atom-html", "atom-xhtml", "json". */
const char *gen_format_name(enum gen_format f);
/* "utf-8", "iso-8859-1", "windows-1251". */
const char *gen_charset_name(enum gen_charset c);

#endif
