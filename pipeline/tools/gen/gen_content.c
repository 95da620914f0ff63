/*
 * Feed documents with planted hits: each item gets background text (from
 * gen_text.c), then, for a share of items, terms planted in fields their
 * scope allows, written in one of the ways feedwatch must see through
 * (another case, a numeric character reference, CDATA, escaped HTML markup,
 * xhtml elements, JSON escapes), and near-misses that must not alert (a
 * term glued into a longer word, hidden in an attribute, outside its field
 * scope, or in the wrong case for a case-sensitive term).
 *
 * Before an item is kept, each field's visible text (what feedwatch will
 * see after normalization) is run through the term detector: the terms
 * found in scope must be exactly the terms planted there. An item that
 * fails (a plant that formed another term with its neighbours) loses its
 * plants and keeps its clean background, so the recorded truth is exact.
 */
#include "tools/gen/gen_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a)   (sizeof(a) / sizeof((a)[0]))
#define MAX_PLANTS 4

struct gen_content {
	struct gen_content_opts o;
	const struct gen_wl *wl;
	struct gen_text *text;
	uint32_t *elig[GEN_CS__MAX]; /* terms each charset can carry */
	uint32_t n_elig[GEN_CS__MAX];
	uint32_t seq; /* documents made: keeps hosts unique */
	uint32_t near_misses;
};

static const char *const fld_name[GEN_FLD__MAX] = { "title", "summary", "content" };
static const char *const how_name[GEN_HOW__MAX] = {
	[GEN_HOW_PLAIN] = "plain", [GEN_HOW_CASE] = "case",   [GEN_HOW_ENTITY] = "entity",
	[GEN_HOW_AMP] = "amp",     [GEN_HOW_CDATA] = "cdata", [GEN_HOW_MARKUP] = "markup",
	[GEN_HOW_XHTML] = "xhtml", [GEN_HOW_JSON] = "json",
};

const char *
gen_format_name(enum gen_format f)
{
	static const char *const n[GEN_FMT__MAX] = { "rss2",      "rdf",        "atom-text",
		                                     "atom-html", "atom-xhtml", "json" };

	return (unsigned)f < GEN_FMT__MAX ? n[f] : "?";
}

const char *
gen_charset_name(enum gen_charset c)
{
	static const char *const n[GEN_CS__MAX] = { "utf-8", "iso-8859-1", "windows-1251" };

	return (unsigned)c < GEN_CS__MAX ? n[c] : "?";
}

uint32_t
gen_content_near_misses(const struct gen_content *c)
{
	return c->near_misses;
}

void
gen_content_csv_stats(const struct gen_content *c, uint32_t *rows, uint32_t *rejected)
{
	gen_text_stats(c->text, rows, rejected);
}

struct gen_content *
gen_content_create(const struct gen_content_opts *o, const struct gen_wl *wl)
{
	struct gen_content *c;
	uint32_t cs, i;

	if (o->items_min == 0 || o->items_max < o->items_min) {
		fprintf(stderr, "feedwatch-gen: items per document must be 1 <= min <= max\n");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return NULL;
	}
	c->o = *o;
	c->wl = wl;
	c->text = gen_text_create(wl, o->csv, o->feeds_dir);
	if (c->text == NULL) {
		goto fail;
	}
	for (cs = 0; cs < GEN_CS__MAX; cs++) {
		c->elig[cs] = calloc(wl->n_terms + 1, sizeof(uint32_t));
		if (c->elig[cs] == NULL) {
			goto fail;
		}
		for (i = 0; i < wl->n_terms; i++) {
			const struct gen_term *t = &wl->terms[i];

			if ((o->ascii_only && !t->ascii) ||
			    !gen_cs_has_all((enum gen_charset)cs, t->text)) {
				continue;
			}
			c->elig[cs][c->n_elig[cs]++] = i;
		}
	}
	return c;
fail:
	gen_content_free(c);
	return NULL;
}

void
gen_content_free(struct gen_content *c)
{
	uint32_t cs;

	if (c == NULL) {
		return;
	}
	for (cs = 0; cs < GEN_CS__MAX; cs++) {
		free(c->elig[cs]);
	}
	gen_text_free(c->text);
	free(c);
}

/* ---- item model ---- */

static struct gen_seg *
seg_insert(struct gen_field *fl, uint32_t at, uint8_t type, char *text)
{
	struct gen_seg *s;

	if (text == NULL) {
		return NULL;
	}
	if (fl->n == fl->cap) {
		uint32_t cap = fl->cap * 2 + 8;
		struct gen_seg *nv = realloc(fl->v, cap * sizeof(*nv));

		if (nv == NULL) {
			free(text);
			return NULL;
		}
		fl->v = nv;
		fl->cap = cap;
	}
	memmove(&fl->v[at + 1], &fl->v[at], (fl->n - at) * sizeof(*fl->v));
	fl->n++;
	s = &fl->v[at];
	memset(s, 0, sizeof(*s));
	s->type = type;
	s->text = text;
	return s;
}

static struct gen_seg *
seg_add(struct gen_field *fl, uint8_t type, char *text)
{
	return seg_insert(fl, fl->n, type, text);
}

static void
field_clear(struct gen_field *fl)
{
	uint32_t i;

	for (i = 0; i < fl->n; i++) {
		free(fl->v[i].text);
		free(fl->v[i].hidden);
	}
	free(fl->v);
	memset(fl, 0, sizeof(*fl));
}

static void
mitem_clear(struct gen_mitem *it)
{
	int f;

	for (f = 0; f < GEN_FLD__MAX; f++) {
		field_clear(&it->f[f]);
	}
}

/* The text feedwatch will see in <fl>: visible segments joined by single spaces. */
static char *
field_plain(const struct gen_field *fl)
{
	size_t len = 1;
	uint32_t i;
	char *out, *o;

	for (i = 0; i < fl->n; i++) {
		len += (fl->v[i].text != NULL ? strlen(fl->v[i].text) : 0) + 1;
	}
	out = malloc(len);
	if (out == NULL) {
		return NULL;
	}
	o = out;
	for (i = 0; i < fl->n; i++) {
		const struct gen_seg *s = &fl->v[i];

		if (s->type == GEN_SEG_PARA) {
			continue;
		}
		if (o > out && !s->nospace) {
			*o++ = ' ';
		}
		memcpy(o, s->text, strlen(s->text));
		o += strlen(s->text);
	}
	*o = 0;
	return out;
}

/* Background TEXT, transliterated into what <cs> can carry. */
static int
add_text(struct gen_field *fl, char *s, enum gen_charset cs)
{
	char *t;

	if (s == NULL) {
		return -1;
	}
	t = gen_translit(s, cs);
	free(s);
	if (t == NULL) {
		return -1;
	}
	if (t[0] == 0) {
		free(t);
		return 0;
	}
	return seg_add(fl, GEN_SEG_TEXT, t) == NULL ? -1 : 0;
}

static int
background(struct gen_content *c, struct gen_rng *rng, struct gen_mitem *it, enum gen_format fmt,
           enum gen_charset cs)
{
	uint32_t i, n, p, np;

	it->f[GEN_FLD_TITLE].present = true;
	if (add_text(&it->f[GEN_FLD_TITLE], gen_text_headline(c->text, rng), cs) != 0) {
		return -1;
	}
	it->f[GEN_FLD_SUMMARY].present = true;
	it->f[GEN_FLD_SUMMARY].cdata = gen_rng_chance(rng, 0.5);
	n = 1 + gen_rng_below(rng, 4);
	for (i = 0; i < n; i++) {
		if (add_text(&it->f[GEN_FLD_SUMMARY], gen_text_sentences(c->text, rng, 1), cs) !=
		    0) {
			return -1;
		}
	}
	if (gen_rng_chance(rng, 0.4)) {
		struct gen_field *fl = &it->f[GEN_FLD_CONTENT];

		fl->present = true;
		fl->cdata = fmt != GEN_FMT_ATOM_HTML || gen_rng_chance(rng, 0.3);
		np = 2 + gen_rng_below(rng, 3);
		for (p = 0; p < np; p++) {
			if (p > 0 && seg_add(fl, GEN_SEG_PARA, strdup("")) == NULL) {
				return -1;
			}
			n = 2 + gen_rng_below(rng, 2);
			for (i = 0; i < n; i++) {
				if (add_text(fl, gen_text_sentences(c->text, rng, 1), cs) != 0) {
					return -1;
				}
			}
		}
	}
	return 0;
}

/* ---- planting ---- */

static bool
is_upper_cp(uint32_t cp)
{
	return (cp >= 'A' && cp <= 'Z') || (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) ||
	       (cp >= 0x410 && cp <= 0x42f) || cp == 0x401;
}

static uint32_t
to_upper(uint32_t cp)
{
	if ((cp >= 'a' && cp <= 'z') || (cp >= 0xe0 && cp <= 0xfe && cp != 0xf7)) {
		return cp - 0x20;
	}
	if (cp >= 0x430 && cp <= 0x44f) {
		return cp - 0x20;
	}
	return cp == 0x451 ? 0x401 : cp;
}

static uint32_t
to_lower(uint32_t cp)
{
	if (!is_upper_cp(cp)) {
		return cp;
	}
	return cp == 0x401 ? 0x451 : cp + 0x20;
}

/* <s> in another case: all upper, all lower, or each letter's case swapped. */
static char *
recase(const char *s, uint32_t mode)
{
	size_t len = strlen(s);
	char *out = malloc(len * 2 + 1);
	const char *p = s, *end = s + len;
	size_t o = 0;

	if (out == NULL) {
		return NULL;
	}
	while (p < end) {
		uint32_t cp = gen_utf8_next(&p, end);

		cp = mode == 0   ? to_upper(cp)
		     : mode == 1 ? to_lower(cp)
		                 : (is_upper_cp(cp) ? to_lower(cp) : to_upper(cp));
		o += gen_utf8_put(out + o, cp);
	}
	out[o] = 0;
	if (strcmp(out, s) == 0 && mode < 2) {
		free(out);
		return recase(s, 2);
	}
	return out;
}

/* Byte offset of a random letter of <s> (to write as a character reference). */
static uint32_t
pick_letter(struct gen_rng *rng, const char *s)
{
	const char *p = s, *end = s + strlen(s);
	uint32_t offs[128], n = 0;

	while (p < end && n < NELEM(offs)) {
		const char *at = p;

		if (wl_is_word_cp(gen_utf8_next(&p, end))) {
			offs[n++] = (uint32_t)(at - s);
		}
	}
	return n > 0 ? offs[gen_rng_below(rng, n)] : 0;
}

static enum gen_how
pick_how(struct gen_rng *rng, const struct gen_term *t, enum gen_mode m, const struct gen_field *fl,
         enum gen_fld f)
{
	enum gen_how opt[8];
	uint32_t n = 0;

	opt[n++] = GEN_HOW_PLAIN;
	if (!t->cs && t->can_case) {
		opt[n++] = GEN_HOW_CASE;
	}
	if (m == GEN_MODE_JSON_TEXT || m == GEN_MODE_JSON_HTML) {
		opt[n++] = GEN_HOW_JSON;
	} else {
		opt[n++] = GEN_HOW_ENTITY;
	}
	if (strchr(t->text, '&') != NULL) {
		opt[n++] = GEN_HOW_AMP;
		opt[n++] = GEN_HOW_AMP;
	}
	if (m == GEN_MODE_HTML && fl->cdata) {
		opt[n++] = GEN_HOW_CDATA;
		opt[n++] = GEN_HOW_CDATA;
	}
	if ((m == GEN_MODE_HTML || m == GEN_MODE_JSON_HTML) && f != GEN_FLD_TITLE) {
		opt[n++] = GEN_HOW_MARKUP;
	}
	if (m == GEN_MODE_XHTML) {
		opt[n++] = GEN_HOW_XHTML;
	}
	return opt[gen_rng_below(rng, n)];
}

/*
 * Inserts "<pre> X <post>" at a random boundary of <fl>, X being a segment
 * of <type> with <text>; returns X. Titles get "X: headline" instead.
 */
static struct gen_seg *
insert_carried(struct gen_rng *rng, struct gen_field *fl, enum gen_fld f, uint8_t type, char *text)
{
	uint32_t at;
	struct gen_seg *s;

	if (text == NULL) {
		return NULL;
	}
	if (f == GEN_FLD_TITLE) {
		s = seg_insert(fl, 0, GEN_SEG_TEXT, strdup(":"));
		if (s == NULL) {
			free(text);
			return NULL;
		}
		s->nospace = true;
		return seg_insert(fl, 0, type, text);
	}
	at = gen_rng_below(rng, fl->n + 1);
	if (seg_insert(fl, at, GEN_SEG_TEXT, strdup(gen_text_carrier_post(rng))) == NULL) {
		free(text);
		return NULL;
	}
	s = seg_insert(fl, at, type, text);
	if (s == NULL) {
		return NULL;
	}
	if (seg_insert(fl, at, GEN_SEG_TEXT, strdup(gen_text_carrier_pre(rng))) == NULL) {
		return NULL;
	}
	return &fl->v[at + 1];
}

static int
add_hit(struct gen_doc *doc, uint32_t *cap, const struct gen_term *t, uint32_t item, enum gen_fld f,
        enum gen_how how)
{
	struct gen_hit *h;

	if (doc->n_hits == *cap) {
		uint32_t nc = *cap * 2 + 16;
		struct gen_hit *nh = realloc(doc->hits, nc * sizeof(*nh));

		if (nh == NULL) {
			return -1;
		}
		doc->hits = nh;
		*cap = nc;
	}
	h = &doc->hits[doc->n_hits++];
	memset(h, 0, sizeof(*h));
	h->item = item;
	h->watchlist = t->wl;
	h->term = t->display;
	h->field = fld_name[f];
	h->kind = t->kind;
	h->how = how_name[how];
	return 0;
}

static bool
in_scope(const struct gen_term *t, enum gen_fld f)
{
	return t->scope == GEN_SCOPE_ANY || (t->scope == GEN_SCOPE_TITLE && f == GEN_FLD_TITLE) ||
	       (t->scope == GEN_SCOPE_BODY && f != GEN_FLD_TITLE);
}

static enum gen_fld
pick_field(struct gen_rng *rng, const struct gen_term *t, const struct gen_mitem *it)
{
	enum gen_fld opt[6];
	uint32_t n = 0;

	if (in_scope(t, GEN_FLD_TITLE)) {
		opt[n++] = GEN_FLD_TITLE;
	}
	if (in_scope(t, GEN_FLD_SUMMARY)) {
		opt[n++] = GEN_FLD_SUMMARY;
		opt[n++] = GEN_FLD_SUMMARY;
	}
	if (in_scope(t, GEN_FLD_CONTENT) && it->f[GEN_FLD_CONTENT].present) {
		opt[n++] = GEN_FLD_CONTENT;
	}
	return opt[gen_rng_below(rng, n)];
}

static int
plant_one(struct gen_content *c, struct gen_rng *rng, struct gen_doc *doc, uint32_t *hcap,
          struct gen_mitem *it, uint32_t item, uint32_t *used, uint32_t n_used)
{
	enum gen_charset cs = doc->charset;
	const struct gen_term *t;
	struct gen_seg *s;
	uint32_t ti, k, tries;
	enum gen_fld f;
	enum gen_how how;
	enum gen_mode m;
	char *text;

	for (tries = 0;; tries++) {
		if (tries == 8 || c->n_elig[cs] == 0) {
			return 0;
		}
		ti = c->elig[cs][gen_rng_below(rng, c->n_elig[cs])];
		for (k = 0; k < n_used && used[k] != ti; k++) {
		}
		if (k == n_used) {
			break;
		}
	}
	t = &c->wl->terms[ti];
	used[n_used] = ti; /* the caller counts it if we return 1 */
	f = pick_field(rng, t, it);
	m = gen_field_mode(doc->format, f);
	how = pick_how(rng, t, m, &it->f[f], f);
	text = how == GEN_HOW_CASE ? recase(t->text, gen_rng_below(rng, 3)) : strdup(t->text);
	if (text == NULL) {
		return -1;
	}
	s = insert_carried(rng, &it->f[f], f, GEN_SEG_PLANT, text);
	if (s == NULL) {
		return -1;
	}
	s->how = (uint8_t)how;
	s->hit = doc->n_hits;
	s->ent_at = pick_letter(rng, text);
	if (add_hit(doc, hcap, t, item, f, how) != 0) {
		return -1;
	}
	return 1;
}

static const char *
glue_suffix(struct gen_rng *rng, const char *text)
{
	static const char *const latin[] = { "sky", "son", "ian", "ers", "ville", "ismo" };
	static const char *const cyr[] = { "ский", "ова", "ичи" };
	static const char *const greek[] = { "ικός", "ου" };
	const char *p = text, *end = text + strlen(text);
	uint32_t cp = 0;

	while (p < end) {
		cp = gen_utf8_next(&p, end);
	}
	if (cp >= 0x400 && cp <= 0x4ff) {
		return cyr[gen_rng_below(rng, NELEM(cyr))];
	}
	if (cp >= 0x370 && cp <= 0x3ff) {
		return greek[gen_rng_below(rng, NELEM(greek))];
	}
	return latin[gen_rng_below(rng, NELEM(latin))];
}

/* One near-miss in <it>, or none if no term fits the kind picked. 0, or -1 on ENOMEM. */
static int
near_one(struct gen_content *c, struct gen_rng *rng, struct gen_doc *doc, struct gen_mitem *it)
{
	enum gen_charset cs = doc->charset;
	uint32_t tries;

	if (c->n_elig[cs] == 0) {
		return 0;
	}
	for (tries = 0; tries < 24; tries++) {
		const struct gen_term *t =
		        &c->wl->terms[c->elig[cs][gen_rng_below(rng, c->n_elig[cs])]];
		enum gen_near kind = (enum gen_near)gen_rng_below(rng, 4);
		enum gen_fld f = pick_field(rng, t, it);
		enum gen_mode m = gen_field_mode(doc->format, f);
		struct gen_seg *s;
		char *text = NULL;

		if (kind == GEN_NEAR_GLUE && t->glue) {
			if (asprintf(&text, "%s%s", t->text, glue_suffix(rng, t->text)) < 0) {
				return -1;
			}
			s = insert_carried(rng, &it->f[f], f, GEN_SEG_NEAR, text);
		} else if (kind == GEN_NEAR_ATTR && f != GEN_FLD_TITLE &&
		           (m == GEN_MODE_HTML || m == GEN_MODE_XHTML || m == GEN_MODE_JSON_HTML)) {
			s = insert_carried(rng, &it->f[f], f, GEN_SEG_NEAR, strdup("details"));
			if (s != NULL) {
				s->hidden = strdup(t->text);
				if (s->hidden == NULL) {
					return -1;
				}
			}
		} else if (kind == GEN_NEAR_SCOPE && t->scope != GEN_SCOPE_ANY) {
			f = t->scope == GEN_SCOPE_TITLE ? GEN_FLD_SUMMARY : GEN_FLD_TITLE;
			s = insert_carried(rng, &it->f[f], f, GEN_SEG_NEAR, strdup(t->text));
		} else if (kind == GEN_NEAR_CASE && t->cs) {
			s = insert_carried(rng, &it->f[f], f, GEN_SEG_NEAR, recase(t->text, 1));
		} else {
			continue;
		}
		if (s == NULL) {
			return -1;
		}
		s->near = (uint8_t)kind;
		c->near_misses++;
		return 0;
	}
	return 0;
}

/* ---- verification ---- */

struct found {
	const struct gen_wl *wl;
	const char *text;
	enum gen_fld f;
	uint32_t terms[64];
	uint32_t n;
	bool overflow;
};

static void
on_found(void *arg, uint32_t term, size_t off)
{
	struct found *fd = arg;
	const struct gen_term *t = &fd->wl->terms[term];

	if (!in_scope(t, fd->f)) {
		return; /* feedwatch checks scope too */
	}
	if (t->cs && strncmp(fd->text + off, t->text, strlen(t->text)) != 0) {
		return; /* a case-sensitive term in another case does not match */
	}
	if (fd->n == NELEM(fd->terms)) {
		fd->overflow = true;
		return;
	}
	fd->terms[fd->n++] = term;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether the terms feedwatch will find in <it> are exactly the hits planted from <first_hit>. */
static int
verify(const struct gen_content *c, const struct gen_doc *doc, const struct gen_mitem *it,
       uint32_t first_hit, const uint32_t *hit_term)
{
	int f;

	for (f = 0; f < GEN_FLD__MAX; f++) {
		struct found fd = { .wl = c->wl, .f = (enum gen_fld)f };
		uint32_t want[MAX_PLANTS + 1], nw = 0, i;
		char *plain = field_plain(&it->f[f]);

		if (plain == NULL) {
			return -1;
		}
		fd.text = plain;
		gen_wl_detect(c->wl, plain, strlen(plain), on_found, &fd);
		free(plain);
		for (i = first_hit; i < doc->n_hits; i++) {
			if (strcmp(doc->hits[i].field, fld_name[f]) == 0) {
				want[nw++] = hit_term[i - first_hit];
			}
		}
		if (fd.overflow || fd.n != nw) {
			return 0;
		}
		qsort(fd.terms, fd.n, sizeof(uint32_t), cmp_u32);
		qsort(want, nw, sizeof(uint32_t), cmp_u32);
		if (memcmp(fd.terms, want, nw * sizeof(uint32_t)) != 0) {
			return 0;
		}
	}
	return 1;
}

/* ---- documents ---- */

static const char *const sites[] = { "news",     "dailypost", "herald", "tribune",
	                             "observer", "gazette",   "wire",   "courier" };
static const char *const sections[] = { "world", "business", "politics", "europe",
	                                "asia",  "markets",  "top",      "latest" };

static int
build_item(struct gen_content *c, struct gen_rng *rng, struct gen_doc *doc, uint32_t *hcap,
           struct gen_mitem *it, uint32_t i)
{
	uint32_t first_hit = doc->n_hits, used[MAX_PLANTS], n_used = 0, k, n_plants;
	int rc;

	if (background(c, rng, it, doc->format, doc->charset) != 0) {
		return -1;
	}
	if (gen_rng_chance(rng, c->o.hit_rate)) {
		n_plants = 1 + gen_rng_chance(rng, 0.25) + gen_rng_chance(rng, 0.1);
		for (k = 0; k < n_plants; k++) {
			rc = plant_one(c, rng, doc, hcap, it, i, used, n_used);
			if (rc < 0) {
				return -1;
			}
			n_used += (uint32_t)rc;
		}
	}
	if (gen_rng_chance(rng, c->o.near_miss_rate) && near_one(c, rng, doc, it) != 0) {
		return -1;
	}
	rc = verify(c, doc, it, first_hit, used);
	if (rc < 0) {
		return -1;
	}
	if (rc == 0) {
		/* a plant formed another term with its neighbours: keep the item, drop the plants */
		uint32_t f, j;

		for (f = 0; f < GEN_FLD__MAX; f++) {
			struct gen_field *fl = &it->f[f];

			for (j = 0; j < fl->n;) {
				if (fl->v[j].type == GEN_SEG_PLANT ||
				    fl->v[j].type == GEN_SEG_NEAR) {
					free(fl->v[j].text);
					free(fl->v[j].hidden);
					memmove(&fl->v[j], &fl->v[j + 1],
					        (fl->n - j - 1) * sizeof(*fl->v));
					fl->n--;
				} else {
					j++;
				}
			}
		}
		doc->n_hits = first_hit;
		if (verify(c, doc, it, first_hit, used) != 1) {
			return -1; /* the background itself was checked: cannot happen */
		}
	}
	return 0;
}

static void
make_ids(struct gen_rng *rng, struct gen_doc *doc, struct gen_mitem *it, uint32_t i,
         const char *site)
{
	uint64_t u = gen_rng_next(rng), v = gen_rng_next(rng);

	snprintf(it->link, sizeof(it->link), "%sstories/%u/%08llx.html", site, i,
	         (unsigned long long)(u & 0xffffffffull));
	switch (doc->format) {
	case GEN_FMT_RSS2:
	case GEN_FMT_JSON:
		if (u % 2 == 0) {
			snprintf(it->id, sizeof(it->id), "%s", it->link);
		} else {
			snprintf(it->id, sizeof(it->id), "tag:%s,2024:story-%u-%06llx", doc->host,
			         i, (unsigned long long)(v & 0xffffff));
		}
		break;
	case GEN_FMT_RDF:
		/* RSS 1.0 has no guid: the item's rdf:about (= its link) names it */
		snprintf(it->id, sizeof(it->id), "%s", it->link);
		break;
	default:
		snprintf(it->id, sizeof(it->id), "urn:uuid:%08llx-%04llx-4%03llx-a%03llx-%012llx",
		         (unsigned long long)(u >> 32), (unsigned long long)(u >> 16) & 0xffff,
		         (unsigned long long)u & 0xfff, (unsigned long long)(v >> 52),
		         (unsigned long long)v & 0xffffffffffffull);
		break;
	}
}

static const char *
media_type(enum gen_format f)
{
	switch (f) {
	case GEN_FMT_RSS2:
		return "application/rss+xml";
	case GEN_FMT_RDF:
		return "application/rdf+xml";
	case GEN_FMT_JSON:
		return "application/feed+json";
	default:
		return "application/atom+xml";
	}
}

struct gen_doc *
gen_content_doc(struct gen_content *c, struct gen_rng *rng, enum gen_format format,
                enum gen_charset charset, enum gen_cs_decl decl)
{
	struct gen_doc *doc = NULL;
	struct gen_mitem *items = NULL;
	uint32_t i, n, hcap = 0, seq = c->seq++;
	uint64_t when = 1704067200ull + gen_rng_below(rng, 365u * 86400u);
	char site[96], title[128];
	const char *section, *site_name;

	if ((unsigned)format >= GEN_FMT__MAX || (unsigned)charset >= GEN_CS__MAX) {
		return NULL;
	}
	doc = calloc(1, sizeof(*doc));
	if (doc == NULL) {
		return NULL;
	}
	doc->format = format;
	doc->charset = format == GEN_FMT_JSON ? GEN_CS_UTF8 : charset; /* RFC 8259 §8.1 */
	doc->cs_decl = decl;
	section = sections[gen_rng_below(rng, NELEM(sections))];
	site_name = sites[gen_rng_below(rng, NELEM(sites))];
	snprintf(doc->host, sizeof(doc->host), "%s-%u.example", site_name, seq);
	snprintf(doc->path, sizeof(doc->path), "/feeds/%s.%s", section,
	         format == GEN_FMT_JSON  ? "json"
	         : format == GEN_FMT_RDF ? "rdf"
	                                 : "xml");
	snprintf(site, sizeof(site), "https://%s/", doc->host);
	snprintf(title, sizeof(title), "The %s %u: %s", site_name, seq, section);
	if (format == GEN_FMT_JSON || decl == GEN_CSD_PROLOG) {
		snprintf(doc->content_type, sizeof(doc->content_type), "%s", media_type(format));
	} else {
		snprintf(doc->content_type, sizeof(doc->content_type), "%s; charset=%s",
		         media_type(format), gen_charset_name(doc->charset));
	}
	n = c->o.items_min + gen_rng_below(rng, c->o.items_max - c->o.items_min + 1);
	doc->n_items = n;
	doc->items = calloc(n + 1, sizeof(*doc->items));
	items = calloc(n + 1, sizeof(*items));
	if (doc->items == NULL || items == NULL) {
		goto fail;
	}
	for (i = 0; i < n; i++) {
		struct gen_mitem *it = &items[i];
		char *plain;

		make_ids(rng, doc, it, i, site);
		it->author = gen_text_author(rng);
		it->category = gen_text_category(rng);
		it->when = when - (uint64_t)i * (60u + gen_rng_below(rng, 3600));
		if (build_item(c, rng, doc, &hcap, it, i) != 0) {
			goto fail;
		}
		plain = field_plain(&it->f[GEN_FLD_TITLE]);
		if (plain == NULL) {
			goto fail;
		}
		snprintf(doc->items[i].title, sizeof(doc->items[i].title), "%s", plain);
		free(plain);
		snprintf(doc->items[i].id, sizeof(doc->items[i].id), "%s", it->id);
	}
	if (gen_render(doc, items, title, site) != 0) {
		goto fail;
	}
	for (i = 0; i < n; i++) {
		mitem_clear(&items[i]);
	}
	free(items);
	return doc;
fail:
	for (i = 0; items != NULL && i < n; i++) {
		mitem_clear(&items[i]);
	}
	free(items);
	gen_doc_free(doc);
	return NULL;
}
