/*
 * Private to the content layer of feedwatch-gen (gen_wl.c, gen_text.c,
 * gen_content.c, gen_render.c): the term table behind struct gen_wl, the
 * folded-text detector that keeps background text free of terms, and the
 * item model the renderer turns into bytes.
 *
 * Ground truth rests on two rules. (1) No generated term occurs inside
 * another as a whole-word substring (checked when terms are generated, with
 * every contiguous word run of every term in a hash set), so a planted term
 * matches itself and nothing else. (2) Background text never contains a term
 * as a whole word: every field is scanned with the detector below (case,
 * accents and whitespace folded, the matcher's word boundaries) before it is
 * used, and text that contains one is rejected.
 */
#ifndef FW_GEN_PRIV_H
#define FW_GEN_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "match/watchlist.h"
#include "tools/gen/gen_content.h"

/* ---- a 64-bit-key hash map (keys are hashes of folded text) ---- */

struct gen_hmap {
	uint64_t *keys; /* 0 = empty (a zero hash is remapped to 1) */
	uint32_t *vals;
	uint32_t cap; /* power of two */
	uint32_t n;
};

/* Inserts <key> → <val> unless present. 1 inserted, 0 present, -1 ENOMEM. */
int gen_hmap_put(struct gen_hmap *m, uint64_t key, uint32_t val);
/* The value stored for <key>, or UINT32_MAX. */
uint32_t gen_hmap_get(const struct gen_hmap *m, uint64_t key);
void gen_hmap_clear(struct gen_hmap *m);

/* ---- text helpers (gen_text.c) ---- */

/* Decodes the code point at <*p> (< end), advancing <*p>; invalid bytes give U+FFFD. */
uint32_t gen_utf8_next(const char **p, const char *end);
/* Appends the UTF-8 of <cp> to <out> (room for 4); returns the length. */
size_t gen_utf8_put(char *out, uint32_t cp);
/* Case and accent fold of one code point (a superset of what the matcher folds). */
uint32_t gen_fold_cp(uint32_t cp);
/* Hash of the folded form of <s>[0, len): case, accents and whitespace runs folded. */
uint64_t gen_fold_hash(const char *s, size_t len);
/* Whether <cp> can be written in <cs>. */
bool gen_cs_has(enum gen_charset cs, uint32_t cp);
/* Whether every code point of <s> can be written in <cs>. */
bool gen_cs_has_all(enum gen_charset cs, const char *s);
/* The single byte for <cp> in latin1 / cp1251 (0 if none). */
uint8_t gen_cs_byte(enum gen_charset cs, uint32_t cp);
/*
 * A heap copy of <s> that <cs> can carry: typographic punctuation becomes
 * ASCII, accents are dropped where the letter is missing, anything else
 * becomes '?'; whitespace folded and trimmed. NULL on ENOMEM.
 */
char *gen_translit(const char *s, enum gen_charset cs);
/* A heap copy of <s> with whitespace folded and trimmed (what the normalizer does). NULL on ENOMEM. */
char *gen_fold_ws(const char *s, size_t len);

/* ---- terms (gen_wl.c) ---- */

enum gen_scope { GEN_SCOPE_ANY = 0, GEN_SCOPE_TITLE, GEN_SCOPE_BODY };

struct gen_term {
	char *text;    /* the literal as matched (no "cs:") */
	char *display; /* what feedwatch reports for a hit */
	const char *kind;
	uint32_t wl;
	uint32_t entity; /* 1 + index into gen_wl.ents, 0 for none */
	uint8_t scope;   /* enum gen_scope */
	bool cs;         /* case-sensitive */
	bool ascii;
	bool can_case; /* case variants fold back in the matcher (Latin, Cyrillic) */
	bool cjk;      /* contains unspaced-script characters */
	bool glue;     /* ends in a letter another letter can be glued to (near-miss) */
};

struct gen_entity {
	char id[64];
	uint32_t wl;
	uint32_t first; /* its names are terms[first .. first + n) */
	uint32_t n;
};

struct gen_wl {
	struct gen_term *terms;
	uint32_t n_terms;
	struct gen_entity *ents;
	uint32_t n_ents;
	uint32_t n_wl;
	char (*names)[32];
	struct gen_hmap full;  /* folded term → term index */
	struct gen_hmap parts; /* folded contiguous word runs of every term (generation only) */
	uint32_t max_words;    /* the most words (CJK: characters) in a term */
	size_t max_len;        /* the longest term in bytes */
};

/*
 * The detector: calls <fn> for every term of <wl> that occurs in <text>
 * (normalized UTF-8) as a whole word, case and accents folded. Returns the
 * number found.
 */
typedef void gen_found_fn(void *arg, uint32_t term, size_t off);
uint32_t gen_wl_detect(const struct gen_wl *wl, const char *text, size_t len, gen_found_fn *fn,
                       void *arg);

/* ---- background text (gen_text.c) ---- */

struct gen_text;

/*
 * A synthetic source, or one backed by ag_news-style CSV <csv> and/or the
 * items of the feeds in folder <feeds_dir> (read with feedwatch's feed stage;
 * either may be NULL). NULL on failure (message on stderr).
 */
struct gen_text *gen_text_create(const struct gen_wl *wl, const char *csv, const char *feeds_dir);
void gen_text_free(struct gen_text *t);
/* Rows read from the CSV, and those rejected because they contained a term. */
void gen_text_stats(const struct gen_text *t, uint32_t *rows, uint32_t *rejected);

/* A headline (heap, folded, no term inside). NULL on ENOMEM. */
char *gen_text_headline(struct gen_text *t, struct gen_rng *rng);
/* <n> sentences of summary text (heap, folded, no term inside). */
char *gen_text_sentences(struct gen_text *t, struct gen_rng *rng, uint32_t n);
/* A short carrier fragment that goes before / after a planted term ("officials met"). */
const char *gen_text_carrier_pre(struct gen_rng *rng);
const char *gen_text_carrier_post(struct gen_rng *rng);
/* A byline and a category name. */
const char *gen_text_author(struct gen_rng *rng);
const char *gen_text_category(struct gen_rng *rng);

/* ---- the item model (gen_content.c → gen_render.c) ---- */

enum gen_seg_type {
	GEN_SEG_TEXT = 0, /* background text */
	GEN_SEG_PLANT,    /* a planted term: text is the term as written (case may vary) */
	GEN_SEG_NEAR,     /* a near-miss: visible text plus a term the reader never sees */
	GEN_SEG_PARA,     /* a paragraph break (content bodies) */
};

enum gen_how {
	GEN_HOW_PLAIN = 0,
	GEN_HOW_CASE,
	GEN_HOW_ENTITY, /* one character as a numeric character reference */
	GEN_HOW_AMP,    /* the term's '&' as &amp; in markup that is decoded twice */
	GEN_HOW_CDATA,
	GEN_HOW_MARKUP, /* inside <b>..</b> of escaped or CDATA HTML */
	GEN_HOW_XHTML,  /* element text inside Atom xhtml */
	GEN_HOW_JSON,   /* JSON string, one character as \uXXXX */
	GEN_HOW__MAX
};

enum gen_near {
	GEN_NEAR_GLUE = 0, /* the term glued to more letters (plain text) */
	GEN_NEAR_ATTR,     /* in an attribute of an inline element (HTML / xhtml) */
	GEN_NEAR_SCOPE,    /* in a field outside the term's scope (plain text) */
	GEN_NEAR_CASE,     /* a case-sensitive term in another case */
};

struct gen_seg {
	uint8_t type;    /* enum gen_seg_type */
	uint8_t how;     /* enum gen_how, for PLANT */
	uint8_t near;    /* enum gen_near, for NEAR */
	bool nospace;    /* joins the previous segment without a space */
	uint32_t hit;    /* index into the document's hits, for PLANT */
	uint32_t ent_at; /* GEN_HOW_ENTITY / JSON: byte offset of the character to escape */
	char *text;      /* visible text (TEXT, PLANT, NEAR glue/scope) */
	char *hidden;    /* NEAR attr: the attribute value */
};

enum gen_fld { GEN_FLD_TITLE = 0, GEN_FLD_SUMMARY, GEN_FLD_CONTENT, GEN_FLD__MAX };

struct gen_field {
	struct gen_seg *v;
	uint32_t n, cap;
	bool present;
	bool cdata; /* RSS / Atom html: the HTML source goes in a CDATA section */
};

struct gen_mitem {
	struct gen_field f[GEN_FLD__MAX];
	char id[160];
	char link[200];
	char date[40]; /* RFC 822 or RFC 3339 by format, filled by the renderer */
	const char *author;
	const char *category;
	uint64_t when; /* seconds since the epoch */
};

/* How a format's field is read by feedwatch. */
enum gen_mode {
	GEN_MODE_PLAIN = 0,
	GEN_MODE_HTML,
	GEN_MODE_XHTML,
	GEN_MODE_JSON_TEXT,
	GEN_MODE_JSON_HTML
};

enum gen_mode gen_field_mode(enum gen_format f, enum gen_fld fld);

/*
 * Renders <items> as one document of <doc>->format in <doc>->charset per
 * <doc>->cs_decl into <doc>->body, filling item byte ranges and the hits'
 * at / at_len. <feed_title> is the channel's title. 0 or -1 (ENOMEM).
 */
int gen_render(struct gen_doc *doc, const struct gen_mitem *items, const char *feed_title,
               const char *site_url);

/* Near-misses planted so far by <c> (for reports and tests). */
uint32_t gen_content_near_misses(const struct gen_content *c);

/* CSV rows read, and rows rejected because their text held a term. */
void gen_content_csv_stats(const struct gen_content *c, uint32_t *rows, uint32_t *rejected);

#endif
