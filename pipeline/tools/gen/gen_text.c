/*
 * Background text for feedwatch-gen: UTF-8 and charset helpers, the fold
 * used by the term detector, and the two item text sources: a synthetic
 * news generator (sentence templates over a vocabulary that shares no word
 * with the term pools) and ag_news-style CSV rows. Either way every piece
 * of text is run through the detector and rejected if it holds a term, so
 * background text never alerts (the accuracy test demands precision 1.0).
 */
#include "tools/gen/gen_priv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "feed/feed.h"

/* ---- hash map ---- */

static uint64_t
mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static int
hmap_grow(struct gen_hmap *m)
{
	uint32_t cap = m->cap == 0 ? 1024 : m->cap * 2, i;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	uint32_t *vals = calloc(cap, sizeof(*vals));

	if (keys == NULL || vals == NULL) {
		free(keys);
		free(vals);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		uint32_t h;

		if (m->keys[i] == 0) {
			continue;
		}
		h = (uint32_t)mix(m->keys[i]) & (cap - 1);
		while (keys[h] != 0) {
			h = (h + 1) & (cap - 1);
		}
		keys[h] = m->keys[i];
		vals[h] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

int
gen_hmap_put(struct gen_hmap *m, uint64_t key, uint32_t val)
{
	uint32_t h;

	if (key == 0) {
		key = 1;
	}
	if ((m->n + 1) * 2 > m->cap && hmap_grow(m) != 0) {
		return -1;
	}
	h = (uint32_t)mix(key) & (m->cap - 1);
	while (m->keys[h] != 0) {
		if (m->keys[h] == key) {
			return 0;
		}
		h = (h + 1) & (m->cap - 1);
	}
	m->keys[h] = key;
	m->vals[h] = val;
	m->n++;
	return 1;
}

uint32_t
gen_hmap_get(const struct gen_hmap *m, uint64_t key)
{
	uint32_t h;

	if (m->cap == 0) {
		return UINT32_MAX;
	}
	if (key == 0) {
		key = 1;
	}
	h = (uint32_t)mix(key) & (m->cap - 1);
	while (m->keys[h] != 0) {
		if (m->keys[h] == key) {
			return m->vals[h];
		}
		h = (h + 1) & (m->cap - 1);
	}
	return UINT32_MAX;
}

void
gen_hmap_clear(struct gen_hmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- UTF-8 and folding ---- */

uint32_t
gen_utf8_next(const char **pp, const char *end)
{
	const uint8_t *p = (const uint8_t *)*pp;
	uint32_t cp, n, i;

	if (p[0] < 0x80) {
		*pp += 1;
		return p[0];
	}
	if (p[0] >= 0xf0 && p[0] < 0xf5) {
		cp = p[0] & 0x07;
		n = 3;
	} else if (p[0] >= 0xe0 && p[0] < 0xf0) {
		cp = p[0] & 0x0f;
		n = 2;
	} else if (p[0] >= 0xc2 && p[0] < 0xe0) {
		cp = p[0] & 0x1f;
		n = 1;
	} else {
		*pp += 1;
		return 0xfffd;
	}
	if ((size_t)((const uint8_t *)end - p) <= n) {
		*pp = end;
		return 0xfffd;
	}
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*pp += i;
			return 0xfffd;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*pp += n + 1;
	return cp;
}

size_t
gen_utf8_put(char *out, uint32_t cp)
{
	uint8_t *o = (uint8_t *)out;

	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | (cp >> 6));
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | (cp >> 12));
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | (cp >> 18));
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* Latin-1 letters U+00C0..U+00FF without their accent ('*' = keep as is). */
static const char latin1_base[] = "AAAAAAACEEEEIIII"
                                  "DNOOOOO*OUUUUY**"
                                  "aaaaaaaceeeeiiii"
                                  "dnooooo*ouuuuy*y";

uint32_t
gen_fold_cp(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z') {
		return cp + 32;
	}
	if (cp >= 0xc0 && cp <= 0xff && latin1_base[cp - 0xc0] != '*') {
		uint32_t b = (uint8_t)latin1_base[cp - 0xc0];

		return b >= 'A' && b <= 'Z' ? b + 32 : b;
	}
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e)) {
		return (cp + 1) & ~1u; /* these Latin Extended-A pairs are odd upper, even lower */
	}
	if (cp >= 0x100 && cp <= 0x17f) {
		return cp | 1; /* the rest pair even upper, odd lower */
	}
	if (cp == 0x401 || cp == 0x451) {
		return 0x435; /* ё folds with е, as readers type it */
	}
	if (cp >= 0x410 && cp <= 0x42f) {
		return cp + 0x20;
	}
	if (cp >= 0x400 && cp <= 0x40f) {
		return cp + 0x50;
	}
	if (cp >= 0x391 && cp <= 0x3a9) {
		return cp + 0x20;
	}
	if (cp == 0x3c2) {
		return 0x3c3;
	}
	return cp;
}

static bool
is_space_cp(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
	       cp == 0xa0;
}

uint64_t
gen_fold_hash(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	uint64_t h = 0xcbf29ce484222325ull;
	bool space = false, any = false;

	while (p < end) {
		uint32_t cp = gen_utf8_next(&p, end);

		if (is_space_cp(cp)) {
			space = any;
			continue;
		}
		if (space) {
			h = (h ^ ' ') * 0x100000001b3ull;
			space = false;
		}
		cp = gen_fold_cp(cp);
		h = (h ^ (cp & 0xff)) * 0x100000001b3ull;
		h = (h ^ (cp >> 8)) * 0x100000001b3ull;
		any = true;
	}
	return h;
}

/* windows-1251 0x80..0xBF (0x98 is unassigned); 0xC0..0xFF are U+0410..U+044F. */
static const uint16_t cp1251_high[64] = {
	0x0402, 0x0403, 0x201A, 0x0453, 0x201E, 0x2026, 0x2020, 0x2021, 0x20AC, 0x2030, 0x0409,
	0x2039, 0x040A, 0x040C, 0x040B, 0x040F, 0x0452, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x0000, 0x2122, 0x0459, 0x203A, 0x045A, 0x045C, 0x045B, 0x045F, 0x00A0,
	0x040E, 0x045E, 0x0408, 0x00A4, 0x0490, 0x00A6, 0x00A7, 0x0401, 0x00A9, 0x0404, 0x00AB,
	0x00AC, 0x00AD, 0x00AE, 0x0407, 0x00B0, 0x00B1, 0x0406, 0x0456, 0x0491, 0x00B5, 0x00B6,
	0x00B7, 0x0451, 0x2116, 0x0454, 0x00BB, 0x0458, 0x0405, 0x0455, 0x0457,
};

uint8_t
gen_cs_byte(enum gen_charset cs, uint32_t cp)
{
	uint32_t i;

	if (cp < 0x80) {
		return (uint8_t)cp;
	}
	if (cs == GEN_CS_LATIN1) {
		/* 0x80..0x9F are C1 controls in Latin-1 and other letters in windows-1252 */
		return cp >= 0xa0 && cp <= 0xff ? (uint8_t)cp : 0;
	}
	if (cs != GEN_CS_CP1251) {
		return 0;
	}
	if (cp >= 0x410 && cp <= 0x44f) {
		return (uint8_t)(cp - 0x410 + 0xc0);
	}
	for (i = 0; i < 64; i++) {
		if (cp1251_high[i] == cp) {
			return (uint8_t)(0x80 + i);
		}
	}
	return 0;
}

bool
gen_cs_has(enum gen_charset cs, uint32_t cp)
{
	if (cs == GEN_CS_UTF8) {
		return cp != 0xfffd;
	}
	return gen_cs_byte(cs, cp) != 0;
}

bool
gen_cs_has_all(enum gen_charset cs, const char *s)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		if (!gen_cs_has(cs, gen_utf8_next(&p, end))) {
			return false;
		}
	}
	return true;
}

char *
gen_fold_ws(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;
	bool space = false;

	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' ||
		    ch == '\v') {
			space = o > 0;
			continue;
		}
		if (space) {
			out[o++] = ' ';
			space = false;
		}
		out[o++] = (char)ch;
	}
	out[o] = 0;
	return out;
}

char *
gen_translit(const char *s, enum gen_charset cs)
{
	size_t len = strlen(s);
	char *tmp = malloc(len * 3 + 1), *out;
	const char *p = s, *end = s + len;
	size_t o = 0;

	if (tmp == NULL) {
		return NULL;
	}
	while (p < end) {
		uint32_t cp = gen_utf8_next(&p, end);
		const char *rep = NULL;

		if (cp == 0xa0 || (cp >= 0x2000 && cp <= 0x200b)) {
			cp = ' '; /* the normalizer folds these into spaces: do it now */
		}
		if (gen_cs_has(cs, cp) && cp != 0xfffd &&
		    (cp >= 0x20 || cp == '\t' || cp == '\n')) {
			o += gen_utf8_put(tmp + o, cp);
			continue;
		}
		if (cp < 0x20 || cp == 0x7f) {
			rep = " ";
		} else if (cp == 0x2018 || cp == 0x2019 || cp == 0x201a || cp == 0x2032) {
			rep = "'";
		} else if (cp == 0x201c || cp == 0x201d || cp == 0x201e || cp == 0xab ||
		           cp == 0xbb) {
			rep = "\"";
		} else if (cp == 0x2013 || cp == 0x2014 || cp == 0x2212) {
			rep = "-";
		} else if (cp == 0x2026) {
			rep = "...";
		} else if (cp >= 0xc0 && cp <= 0xff && latin1_base[cp - 0xc0] != '*') {
			tmp[o++] = latin1_base[cp - 0xc0];
			continue;
		} else {
			rep = "?";
		}
		memcpy(tmp + o, rep, strlen(rep));
		o += strlen(rep);
	}
	out = gen_fold_ws(tmp, o);
	free(tmp);
	return out;
}

/* ---- synthetic news ---- */

/*
 * The vocabulary shares no word with the term pools in gen_wl.c (no names,
 * places, organisation words, topics or events), and what it builds is
 * still checked by the detector.
 */
static const char *const subj[] = {
	"Officials",        "Regional authorities", "Analysts",         "The ministry",
	"Local residents",  "Investigators",        "Lawmakers",        "The committee",
	"Aid workers",      "Economists",           "The spokesperson", "Senior diplomats",
	"Union leaders",    "Market traders",       "Researchers",      "The prosecutor",
	"Emergency crews",  "The regulator",        "City councillors", "Opposition figures",
	"Health officials", "Shipping firms",       "Industry groups",  "Farmers",
};
static const char *const verb[] = {
	"said",      "warned",     "confirmed", "announced", "suggested", "denied",
	"reported",  "insisted",   "argued",    "signalled", "cautioned", "acknowledged",
	"estimated", "questioned", "predicted", "disclosed",
};
static const char *const clause[] = {
	"that the measures would remain in place until further notice",
	"that progress had been slower than expected",
	"that a decision was likely within weeks",
	"that the figures pointed to a gradual recovery",
	"that more funding would be needed next year",
	"that the proposal faced strong resistance",
	"that several routes had been closed overnight",
	"that the review would be published in the spring",
	"that prices had risen for a third month",
	"that the plan lacked broad support",
	"that talks between the sides had stalled",
	"that the damage was worse than first thought",
	"that new rules would take effect shortly",
	"that the schedule could slip again",
	"that dozens of households had been affected",
	"that the outlook remained uncertain",
	"that the agreement still needed final approval",
	"that inspections would be stepped up",
};
static const char *const tail[] = {
	"on Monday",       "on Tuesday",           "on Wednesday",           "on Thursday",
	"on Friday",       "late on Sunday",       "in a statement",         "at a briefing",
	"in an interview", "after a long meeting", "without giving details", "earlier this week",
};
static const char *const extra[] = {
	"The announcement came after weeks of uncertainty.",
	"No timetable was given.",
	"Critics said the response had come too late.",
	"Further details are expected in the coming days.",
	"Markets reacted calmly to the news.",
	"It was not immediately clear how many people were affected.",
	"The statement did not say how the plan would be paid for.",
	"Similar steps were taken last year with mixed results.",
	"Observers described the mood as cautious.",
	"A vote on the matter is scheduled for later this month.",
	"The figures will be revised when more data arrive.",
	"Officials declined to comment further.",
};
static const char *const h_noun[] = {
	"budget",    "talks",    "forecast", "inquiry",    "plan",    "reform",
	"shortage",  "recovery", "dispute",  "rescue",     "outlook", "vote",
	"agreement", "shake-up", "deadline", "investment", "strike",  "review",
};
static const char *const h_adj[] = {
	"New",       "Delayed", "Surprise", "Landmark", "Fragile",   "Stalled",
	"Emergency", "Annual",  "Regional", "Revised",  "Contested", "Record",
	"Cautious",  "Rare",    "Quiet",    "Sweeping",
};
static const char *const h_verb[] = {
	"draws criticism",  "wins backing",         "faces hurdles",  "stalls again",
	"gathers pace",     "sparks concern",       "moves forward",  "hits snag",
	"divides opinion",  "raises hopes",         "is put on hold", "meets resistance",
	"gets green light", "comes under scrutiny",
};
static const char *const carrier_pre[] = {
	"Officials met",       "Reports mentioned",        "The statement named",
	"Analysts pointed to", "Residents spoke about",    "A briefing covered",
	"Sources cited",       "The document referred to",
};
static const char *const carrier_post[] = {
	"on Monday.", "this week.",      "at length.",       "in passing.",
	"again.",     "late on Friday.", "before the vote.", "during the briefing.",
};
static const char *const authors[] = {
	"Staff reporter", "News desk",    "Wire services", "Our correspondent",
	"Editorial team", "Foreign desk", "Business desk",
};
static const char *const categories[] = {
	"World", "Business", "Politics", "Economy", "Science", "Health", "Energy", "Regional",
};

#define NELEM(a)     (sizeof(a) / sizeof((a)[0]))
#define PICK(rng, a) ((a)[gen_rng_below((rng), (uint32_t)NELEM(a))])

struct row {
	char *title;
	char *desc;
};

struct gen_text {
	const struct gen_wl *wl;
	struct row *rows;
	uint32_t n_rows;
	uint32_t n_read;
	uint32_t n_rejected;
};

const char *
gen_text_carrier_pre(struct gen_rng *rng)
{
	return PICK(rng, carrier_pre);
}

const char *
gen_text_carrier_post(struct gen_rng *rng)
{
	return PICK(rng, carrier_post);
}

const char *
gen_text_author(struct gen_rng *rng)
{
	return PICK(rng, authors);
}

const char *
gen_text_category(struct gen_rng *rng)
{
	return PICK(rng, categories);
}

static bool
has_term(const struct gen_wl *wl, const char *s)
{
	return gen_wl_detect(wl, s, strlen(s), NULL, NULL) > 0;
}

/* Accepts <s> (heap) if it holds no term, else frees it and returns NULL with *bad set. */
static char *
checked(const struct gen_wl *wl, char *s, bool *bad)
{
	*bad = false;
	if (s != NULL && has_term(wl, s)) {
		free(s);
		*bad = true;
		return NULL;
	}
	return s;
}

char *
gen_text_headline(struct gen_text *t, struct gen_rng *rng)
{
	char buf[320];
	bool bad;
	int tries;

	for (tries = 0; tries < 16; tries++) {
		char *s;

		if (t->n_rows > 0) {
			s = strdup(t->rows[gen_rng_below(rng, t->n_rows)].title);
		} else {
			snprintf(buf, sizeof(buf), "%s %s %s", PICK(rng, h_adj), PICK(rng, h_noun),
			         PICK(rng, h_verb));
			s = strdup(buf);
		}
		s = checked(t->wl, s, &bad);
		if (!bad) {
			return s;
		}
	}
	return strdup("News update");
}

static char *
synthetic_sentence(struct gen_rng *rng)
{
	char buf[512];

	if (gen_rng_chance(rng, 0.3)) {
		return strdup(PICK(rng, extra));
	}
	snprintf(buf, sizeof(buf), "%s %s %s %s.", PICK(rng, subj), PICK(rng, verb),
	         PICK(rng, clause), PICK(rng, tail));
	return strdup(buf);
}

char *
gen_text_sentences(struct gen_text *t, struct gen_rng *rng, uint32_t n)
{
	size_t cap = 256, len = 0;
	char *out = malloc(cap);
	uint32_t i;

	if (out == NULL) {
		return NULL;
	}
	out[0] = 0;
	for (i = 0; i < n; i++) {
		char *s = NULL;
		bool bad = true;
		int tries;

		for (tries = 0; tries < 16 && bad; tries++) {
			s = t->n_rows > 0 ? strdup(t->rows[gen_rng_below(rng, t->n_rows)].desc)
			                  : synthetic_sentence(rng);
			s = checked(t->wl, s, &bad);
		}
		if (s == NULL) {
			continue;
		}
		if (len + strlen(s) + 2 > cap) {
			char *n2;

			cap = (len + strlen(s) + 2) * 2;
			n2 = realloc(out, cap);
			if (n2 == NULL) {
				free(s);
				free(out);
				return NULL;
			}
			out = n2;
		}
		if (len > 0) {
			out[len++] = ' ';
		}
		memcpy(out + len, s, strlen(s) + 1);
		len += strlen(s);
		free(s);
	}
	/* the join of two clean pieces could still form a term across the seam */
	if (has_term(t->wl, out)) {
		free(out);
		return strdup(PICK(rng, extra));
	}
	return out;
}

/* ---- CSV (ag_news: "class","title","description", "" escapes a quote) ---- */

/* Reads one quoted or bare field at <*p>; returns a heap string, advances past the separator. */
static char *
csv_field(const char **pp, const char *end, bool *eol)
{
	const char *p = *pp;
	char *out = malloc((size_t)(end - p) + 1);
	size_t o = 0;

	if (out == NULL) {
		return NULL;
	}
	*eol = false;
	if (p < end && *p == '"') {
		p++;
		while (p < end) {
			if (*p == '"' && p + 1 < end && p[1] == '"') {
				out[o++] = '"';
				p += 2;
			} else if (*p == '"') {
				p++;
				break;
			} else {
				out[o++] = *p++;
			}
		}
	} else {
		while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
			out[o++] = *p++;
		}
	}
	while (p < end && *p != ',' && *p != '\n') {
		p++;
	}
	if (p < end && *p == ',') {
		p++;
	} else {
		*eol = true;
		if (p < end) {
			p++;
		}
	}
	out[o] = 0;
	*pp = p;
	return out;
}

/* ag_news leaves HTML entities half-stripped ("#39;", "quot;") and backslashes for line breaks. */
static char *
csv_clean(char *s)
{
	static const struct {
		const char *from, *to;
	} fix[] = {
		{ "#39;", "'" }, { "quot;", "\"" }, { "#36;", "$" }, { "amp;", "&" }, { "\\", " " }
	};
	size_t i, o = 0, k;
	char *out;

	for (i = 0; s[i] != 0;) {
		for (k = 0; k < NELEM(fix); k++) {
			size_t n = strlen(fix[k].from);

			if (strncmp(s + i, fix[k].from, n) == 0) {
				memcpy(s + o, fix[k].to, strlen(fix[k].to));
				o += strlen(fix[k].to);
				i += n;
				break;
			}
		}
		if (k == NELEM(fix)) {
			s[o++] = s[i++];
		}
	}
	out = gen_fold_ws(s, o);
	free(s);
	return out;
}

/* Cuts <s> to at most <max> bytes at a space, so titles fit struct gen_item. */
static void
cut_words(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max) {
		return;
	}
	while (max > 0 && s[max] != ' ') {
		max--;
	}
	s[max] = 0;
}

/*
 * Keep <title> and <desc> (heap strings, taken over) as one row of item text,
 * unless either is empty or contains a watchlist term: background text must
 * never hit, or the truth would be wrong. 0, or -1 when out of memory.
 */
static int
add_row(struct gen_text *t, char *title, char *desc, uint32_t *rcap)
{
	t->n_read++;
	if (title == NULL || desc == NULL || title[0] == 0 || desc[0] == 0 ||
	    has_term(t->wl, title) || has_term(t->wl, desc)) {
		t->n_rejected += title != NULL && desc != NULL && title[0] != 0 && desc[0] != 0;
		free(title);
		free(desc);
		return 0;
	}
	cut_words(title, 240);
	cut_words(desc, 1500);
	if (t->n_rows == *rcap) {
		uint32_t nc = *rcap == 0 ? 1024 : *rcap * 2;
		struct row *nr = realloc(t->rows, nc * sizeof(*nr));

		if (nr == NULL) {
			free(title);
			free(desc);
			return -1;
		}
		t->rows = nr;
		*rcap = nc;
	}
	t->rows[t->n_rows].title = title;
	t->rows[t->n_rows].desc = desc;
	t->n_rows++;
	return 0;
}

/* The whole of file <path> in a heap buffer. 0, or -1 (message on stderr). */
static int
read_file(const char *path, uint8_t **out, size_t *out_len)
{
	int rc = file_read_all(path, out, out_len);

	if (rc != 0) {
		fprintf(stderr, "feedwatch-gen: %s: %s\n", path, strerror(-rc));
		return -1;
	}
	return 0;
}

static int
load_csv(struct gen_text *t, const char *path, uint32_t *rcap)
{
	uint8_t *data = NULL;
	const char *p, *end;
	size_t len = 0;
	int rc = -1;

	if (read_file(path, &data, &len) != 0) {
		return -1;
	}
	p = (const char *)data;
	end = p + len;
	while (p < end) {
		char *fld[3] = { NULL, NULL, NULL };
		bool eol = false;
		int nf = 0;

		while (!eol && p < end) {
			char *s = csv_field(&p, end, &eol);

			if (s == NULL) {
				goto fail;
			}
			if (nf < 3) {
				fld[nf++] = s;
			} else {
				free(s);
			}
		}
		free(fld[0]);
		if (nf < 3) {
			free(fld[1]);
			free(fld[2]);
			continue;
		}
		if (add_row(t, csv_clean(fld[1]), csv_clean(fld[2]), rcap) != 0) {
			goto fail;
		}
	}
	if (t->n_rows == 0) {
		fprintf(stderr,
		        "feedwatch-gen: %s: no usable rows (\"class\",\"title\",\"description\")\n",
		        path);
		goto fail;
	}
	rc = 0;
fail:
	free(data);
	return rc;
}

/* Item text from real feeds, read with feedwatch's own feed stage. */
struct feed_rows {
	struct gen_text *t;
	uint32_t *rcap;
	int err;
};

static char *
span_dup(struct span s)
{
	char *d = malloc(s.len + 1);

	if (d != NULL) {
		memcpy(d, s.ptr, s.len);
		d[s.len] = 0;
	}
	return d;
}

static void
on_feed_item(void *arg, const struct feed_item *it)
{
	struct feed_rows *fr = arg;
	struct span desc = it->field[FEED_F_SUMMARY].len > 0 ? it->field[FEED_F_SUMMARY]
	                                                     : it->field[FEED_F_CONTENT];

	if (fr->err == 0 &&
	    add_row(fr->t, span_dup(it->field[FEED_F_TITLE]), span_dup(desc), fr->rcap) != 0) {
		fr->err = -1;
	}
}

static int
only_files(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int
load_feeds(struct gen_text *t, const char *dir, uint32_t *rcap)
{
	struct feed_limits lim = { 1u << 20, 1 };
	struct counters *c = calloc(1, sizeof(*c));
	struct feed_env *env = c != NULL ? feed_env_create(&lim, c, on_feed_item) : NULL;
	struct feed_rows fr = { t, rcap, 0 };
	struct dirent **names = NULL;
	struct span none = { NULL, 0 };
	int n, i, rc = -1;

	if (env == NULL) {
		goto out;
	}
	/* name order, so a seed gives the same rows whatever readdir() returns */
	n = scandir(dir, &names, only_files, alphasort);
	if (n < 0) {
		fprintf(stderr, "feedwatch-gen: %s: %s\n", dir, strerror(errno));
		goto out;
	}
	for (i = 0; i < n && fr.err == 0; i++) {
		char path[4096];
		uint8_t *doc = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (read_file(path, &doc, &len) == 0) {
			struct span d = { doc, len };

			feed_parse_document(env, d, none, &fr);
		}
		free(doc);
	}
	for (i = 0; i < n; i++) {
		free(names[i]);
	}
	free(names);
	if (fr.err == 0 && t->n_rows == 0) {
		fprintf(stderr, "feedwatch-gen: %s: no feed items to take text from\n", dir);
	} else if (fr.err == 0) {
		rc = 0;
	}
out:
	feed_env_free(env);
	free(c);
	return rc;
}

struct gen_text *
gen_text_create(const struct gen_wl *wl, const char *csv, const char *feeds_dir)
{
	struct gen_text *t = calloc(1, sizeof(*t));
	uint32_t rcap = 0;

	if (t == NULL) {
		return NULL;
	}
	t->wl = wl;
	if ((csv != NULL && load_csv(t, csv, &rcap) != 0) ||
	    (feeds_dir != NULL && load_feeds(t, feeds_dir, &rcap) != 0)) {
		gen_text_free(t);
		return NULL;
	}
	return t;
}

void
gen_text_free(struct gen_text *t)
{
	uint32_t i;

	if (t == NULL) {
		return;
	}
	for (i = 0; i < t->n_rows; i++) {
		free(t->rows[i].title);
		free(t->rows[i].desc);
	}
	free(t->rows);
	free(t);
}

void
gen_text_stats(const struct gen_text *t, uint32_t *rows, uint32_t *rejected)
{
	*rows = t->n_read;
	*rejected = t->n_rejected;
}
