/*
 * Per-item scan. The item's fields are folded (match/wl_fold.h) into the
 * scratch buffer with a NUL between them (no term contains one: the parser
 * rejects it) and scanned once. Each Hyperscan match is mapped back to its
 * field and checked for scope, word boundaries and (cs:, exact:) the
 * unfolded text, then kept in the scan's hit table. After the scan, each
 * watchlist with a hit decides its rules from its atoms' hits: plain terms,
 * queries (wlq_eval) and weighted patterns. Nothing here allocates: all
 * per-scan state was sized in wl_scratch_alloc().
 */
#include "match/watchlist.h"
#include "match/match_priv.h"
#include "match/wl_fold.h"
#include "match/wl_query.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bug.h"

/* The folded buffer: item text may grow when folded (ŉ → ʼn), never past this. */
#define BUF_MAX (WL_SCAN_MAX + WL_FIELD__MAX)

struct hit {
	uint32_t term;  /* index into set->terms */
	uint32_t atom;  /* set-wide atom index */
	uint32_t wl;    /* watchlist */
	uint32_t start; /* offsets in the folded buffer */
	uint32_t end;
	uint32_t word; /* word index in its field (only when a NEAR needs it) */
};

struct wl_scratch {
	const struct wl_set *set;
	hs_scratch_t *hs;
	const struct wl_item *item;
	uint8_t *buf;    /* folded text of every field, NUL after each */
	uint32_t *map;   /* buf offset → offset in the field's original text (folded fields) */
	uint8_t *refold; /* where the map is built: hs may still be reading buf */
	uint32_t fstart[WL_FIELD__MAX];
	uint32_t fend[WL_FIELD__MAX];  /* the separator sits at fend[f] */
	bool folded[WL_FIELD__MAX];    /* the field's text changed when folded */
	bool map_ready[WL_FIELD__MAX]; /* map is built for this field (on demand) */
	uint32_t fhead[WL_FIELD__MAX]; /* its ASCII head, copied as is */
	uint32_t fcap[WL_FIELD__MAX];  /* the output room its fold had */
	struct hit *hits;              /* [WL_SCAN_HITS] */
	uint32_t n_hits;
	uint32_t hits_overflow;
	uint8_t *wl_touched; /* [n_defs] */
	uint32_t *touched;   /* watchlists with a hit in this scan */
	uint32_t n_touched;
	/* per watchlist being decided, indexed by atom - atom_base */
	uint32_t *atom_n;   /* [max_atoms] hits of the atom */
	uint32_t *atom_off; /* [max_atoms] its first hit in grouped[] */
	uint32_t *atom_list;
	uint32_t n_atom_list;
	uint32_t *order;     /* [WL_SCAN_HITS] hit indexes by (watchlist, start) */
	uint32_t *grouped;   /* [WL_SCAN_HITS] hit indexes grouped by atom, text order */
	struct wlq_pos *pos; /* [WL_SCAN_HITS] */
	const struct wlq_pos *qpos[WLQ_MAX_ATOMS];
	uint32_t qn[WLQ_MAX_ATOMS];
	struct wl_hit out[WL_MAX_HITS];
	wl_explain_fn *explain;
	void *explain_arg;
};

static const char *const field_names[WL_FIELD__MAX] = {
	[WL_FIELD_TITLE] = "title",       [WL_FIELD_SUMMARY] = "summary",
	[WL_FIELD_CONTENT] = "content",   [WL_FIELD_AUTHOR] = "author",
	[WL_FIELD_CATEGORY] = "category", [WL_FIELD_URL] = "url",
	[WL_FIELD_HOST] = "host",
};

const char *
wl_field_name(enum wl_field f)
{
	return (unsigned int)f < WL_FIELD__MAX ? field_names[f] : "?";
}

struct wl_scratch *
wl_scratch_alloc(const struct wl_set *set)
{
	struct wl_scratch *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		return NULL;
	}
	s->set = set;
	s->buf = malloc(BUF_MAX);
	s->map = malloc(BUF_MAX * sizeof(*s->map));
	s->refold = malloc(BUF_MAX);
	s->hits = malloc(WL_SCAN_HITS * sizeof(*s->hits));
	s->grouped = malloc(WL_SCAN_HITS * sizeof(*s->grouped));
	s->order = malloc(WL_SCAN_HITS * sizeof(*s->order));
	s->pos = malloc(WL_SCAN_HITS * sizeof(*s->pos));
	s->wl_touched = calloc(set->n_defs + 1, 1);
	s->touched = calloc(set->n_defs + 1, sizeof(*s->touched));
	s->atom_n = calloc(set->max_atoms + 1, sizeof(*s->atom_n));
	s->atom_off = calloc(set->max_atoms + 1, sizeof(*s->atom_off));
	s->atom_list = calloc(set->max_atoms + 1, sizeof(*s->atom_list));
	if (s->buf == NULL || s->map == NULL || s->refold == NULL || s->hits == NULL ||
	    s->grouped == NULL || s->order == NULL || s->pos == NULL || s->wl_touched == NULL ||
	    s->touched == NULL || s->atom_n == NULL || s->atom_off == NULL ||
	    s->atom_list == NULL) {
		goto fail;
	}
	if (set->db != NULL && hs_alloc_scratch(set->db, &s->hs) != HS_SUCCESS) {
		s->hs = NULL;
		goto fail;
	}
	return s;
fail:
	wl_scratch_free(s);
	return NULL;
}

void
wl_scratch_free(struct wl_scratch *s)
{
	if (s == NULL) {
		return;
	}
	hs_free_scratch(s->hs);
	free(s->atom_list);
	free(s->atom_off);
	free(s->atom_n);
	free(s->touched);
	free(s->wl_touched);
	free(s->pos);
	free(s->order);
	free(s->grouped);
	free(s->hits);
	free(s->map);
	free(s->refold);
	free(s->buf);
	free(s);
}

/* Decodes one code point at <p> (< end); malformed or cut sequences give U+FFFD. */
static uint32_t
decode(const uint8_t *p, const uint8_t *end)
{
	uint32_t cp, n, i;

	if (p[0] < 0x80) {
		return p[0];
	}
	if (p[0] >= 0xf0 && p[0] < 0xf5) {
		cp = p[0] & 0x07;
		n = 3;
	} else if (p[0] >= 0xe0) {
		cp = p[0] & 0x0f;
		n = 2;
	} else if (p[0] >= 0xc2 && p[0] < 0xe0) {
		cp = p[0] & 0x1f;
		n = 1;
	} else {
		return 0xfffd;
	}
	if ((size_t)(end - p) <= n) {
		return 0xfffd;
	}
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return 0xfffd;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	return cp;
}

/* The code point that ends just before <p>, looking no further back than <lo> (< p). */
static uint32_t
decode_back(const uint8_t *lo, const uint8_t *p)
{
	const uint8_t *q = p - 1;

	while (q > lo && (*q & 0xc0) == 0x80 && p - q < 4) {
		q--;
	}
	return decode(q, p);
}

/*
 * A practical stand-in for Unicode word characters: ASCII letters, digits
 * and '_', and every non-ASCII code point except Latin-1 punctuation and
 * symbols, General Punctuation, CJK punctuation and U+FFFD.
 */
bool
wl_is_word_cp(uint32_t cp)
{
	if (cp < 0x80) {
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		       (cp >= '0' && cp <= '9') || cp == '_';
	}
	if (cp <= 0xbf || cp == 0xd7 || cp == 0xf7) {
		return false;
	}
	if ((cp >= 0x2000 && cp <= 0x206f) || (cp >= 0x3000 && cp <= 0x303f)) {
		return false;
	}
	return cp != 0xfffd;
}

/* Scripts written without spaces: UAX #29 (WB999) breaks around each character. */
bool
wl_is_unspaced(uint32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	       (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) ||
	       (cp >= 0x20000 && cp <= 0x3ffff);
}

static bool
boundary(uint32_t a, uint32_t b)
{
	return !wl_is_word_cp(a) || !wl_is_word_cp(b) || wl_is_unspaced(a) || wl_is_unspaced(b);
}

/* Whole-word check for [from, to) inside field [lo, hi). */
static bool
whole_word(const uint8_t *buf, uint32_t lo, uint32_t hi, uint32_t from, uint32_t to)
{
	if (from > lo &&
	    !boundary(decode_back(buf + lo, buf + from), decode(buf + from, buf + to))) {
		return false;
	}
	if (to < hi && !boundary(decode_back(buf + from, buf + to), decode(buf + to, buf + hi))) {
		return false;
	}
	return true;
}

static bool
word_start_at(const uint8_t *buf, uint32_t lo, uint32_t i, uint32_t hi)
{
	uint32_t cp = decode(buf + i, buf + hi), prev;

	if (!wl_is_word_cp(cp)) {
		return false;
	}
	if (i == lo || wl_is_unspaced(cp)) {
		return true;
	}
	prev = decode_back(buf + lo, buf + i);
	return !wl_is_word_cp(prev) || wl_is_unspaced(prev);
}

/* Word starts in [a, b) of the field [lo, hi). */
static uint32_t
word_starts(const uint8_t *buf, uint32_t lo, uint32_t a, uint32_t b, uint32_t hi)
{
	uint32_t n = 0, i;

	for (i = a; i < b; i++) {
		if ((buf[i] & 0xc0) != 0x80 && word_start_at(buf, lo, i, hi)) {
			n++;
		}
	}
	return n;
}

uint32_t
wl_count_words(const uint8_t *p, size_t len)
{
	uint32_t n = word_starts(p, 0, 0, (uint32_t)len, (uint32_t)len);

	return n > 0 ? n : 1;
}

static uint32_t
field_at(const struct wl_scratch *s, uint32_t pos)
{
	uint32_t f = 0;

	while (f < WL_FIELD__MAX - 1 && pos >= s->fend[f]) {
		f++;
	}
	return f;
}

/*
 * The offset map of a folded field, built only when a hit in it needs an
 * offset: folding again with the same input and room gives the same bytes,
 * now with each one's source offset. Most items never need it.
 */
static void
build_map(struct wl_scratch *s, uint32_t f)
{
	const uint8_t *p = s->item->field[f].ptr;
	uint32_t head = s->fhead[f], base = s->fstart[f], i, n;

	for (i = 0; i < head; i++) {
		s->map[base + i] = i;
	}
	n = (uint32_t)wl_fold(p + head, s->item->field[f].len - head, s->refold + base + head,
	                      s->fcap[f], s->map + base + head, NULL);
	for (i = 0; i < n; i++) {
		s->map[base + head + i] += head;
	}
	s->map_ready[f] = true;
}

/* Offset of folded position <pos> of field <f> in the field's original text. */
static uint32_t
orig_off(struct wl_scratch *s, uint32_t f, uint32_t pos)
{
	if (!s->folded[f]) {
		return pos - s->fstart[f];
	}
	if (pos >= s->fend[f]) {
		return (uint32_t)s->item->field[f].len;
	}
	if (!s->map_ready[f]) {
		build_map(s, f);
	}
	return s->map[pos];
}

/* cs: and exact: terms: the unfolded text must be the term as written. */
static bool
verify_orig(struct wl_scratch *s, const struct wl_term *t, uint32_t f, uint32_t start, uint32_t end)
{
	uint32_t a = orig_off(s, f, start), b = orig_off(s, f, end);

	return b - a == t->orig_len && memcmp(s->item->field[f].ptr + a, t->orig, t->orig_len) == 0;
}

static void
add_hit(struct wl_scratch *s, uint32_t ti, const struct wl_term *t, uint32_t start, uint32_t end)
{
	struct hit *h;
	uint32_t i;

	if (t->is_regex) {
		/* a regex reports each end it can reach; one hit per start */
		for (i = s->n_hits; i-- > 0 && s->hits[i].start >= start;) {
			if (s->hits[i].term == ti && s->hits[i].start == start) {
				return;
			}
		}
	}
	if (s->n_hits == WL_SCAN_HITS) {
		s->hits_overflow++;
		return;
	}
	h = &s->hits[s->n_hits++];
	h->term = ti;
	h->atom = t->atom;
	h->wl = t->wl_idx;
	h->start = start;
	h->end = end;
	h->word = 0;
	if (!s->wl_touched[t->wl_idx]) {
		s->wl_touched[t->wl_idx] = 1;
		s->touched[s->n_touched++] = t->wl_idx;
	}
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
         void *ctx)
{
	struct wl_scratch *s = ctx;
	const struct wl_set *set = s->set;
	const struct wl_term *t0 = set->terms[set->fan[set->fan_off[id]]];
	uint32_t start, end = (uint32_t)to, f, k;
	int ww = -1, pw = -1;

	(void)flags;
	/* every term sharing a pattern shares its expression, flags and length */
	start = t0->is_regex ? (uint32_t)from : end - t0->len;
	f = 0;
	while (f < WL_FIELD__MAX && start > s->fend[f]) {
		f++;
	}
	if (f == WL_FIELD__MAX || start >= s->fend[f] || start < s->fstart[f] || end > s->fend[f]) {
		return 0; /* starts on a separator or straddles two fields */
	}
	for (k = set->fan_off[id]; k < set->fan_off[id + 1]; k++) {
		uint32_t ti = set->fan[k];
		const struct wl_term *t = set->terms[ti];

		if ((t->scope & WL_SCOPE(f)) == 0) {
			continue;
		}
		if (t->whole_word && t->prefix) {
			/* stem*: a word must start here; it may end anywhere */
			if (pw < 0) {
				pw = start == s->fstart[f] ||
				     boundary(decode_back(s->buf + s->fstart[f], s->buf + start),
				              decode(s->buf + start, s->buf + end));
			}
			if (!pw) {
				continue;
			}
		} else if (t->whole_word) {
			if (ww < 0) {
				ww = whole_word(s->buf, s->fstart[f], s->fend[f], start, end);
			}
			if (!ww) {
				continue;
			}
		}
		if (t->orig != NULL && !verify_orig(s, t, f, start, end)) {
			continue;
		}
		add_hit(s, ti, t, start, end);
	}
	return 0;
}

/*
 * Copies the ASCII run at the start of <p> (at most <len> bytes) to <out>
 * 32 bytes at a time, checking as it copies: one pass over an ASCII field
 * instead of a check and then a copy. Returns the bytes copied: <len> when
 * all were ASCII, else a multiple of 32 before the first non-ASCII byte's
 * block.
 */
static size_t
copy_ascii(const uint8_t *p, size_t len, uint8_t *out)
{
	const uint64_t high = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		uint64_t w[4];

		memcpy(w, p + i, sizeof(w));
		if (((w[0] | w[1] | w[2] | w[3]) & high) != 0) {
			return i;
		}
		memcpy(out + i, w, sizeof(w));
	}
	if (!wl_fold_is_ascii(p + i, len - i)) {
		return i;
	}
	memcpy(out + i, p + i, len - i);
	return len;
}

/*
 * Folds <item>'s fields into s->buf, cutting at WL_SCAN_MAX bytes of output
 * on a code point boundary. Pure-ASCII fields are copied (identity offsets);
 * a field with non-ASCII text keeps its ASCII head as copied and folds the
 * rest, with s->map giving every byte's offset in the field.
 */
static uint32_t
join(struct wl_scratch *s, const struct wl_item *item, bool *truncated)
{
	uint32_t pos = 0, budget = WL_SCAN_MAX;
	int f;

	*truncated = false;
	s->item = item;
	for (f = 0; f < WL_FIELD__MAX; f++) {
		const uint8_t *p = item->field[f].ptr;
		size_t len = p == NULL ? 0 : item->field[f].len, n = 0, head;
		bool cut = false;

		s->fstart[f] = pos;
		s->folded[f] = false;
		if (len > budget) {
			/* cut: ASCII anywhere, a fold never past a whole code point */
			len = budget;
			*truncated = true;
		}
		head = len > 0 ? copy_ascii(p, len, s->buf + pos) : 0;
		s->map_ready[f] = false;
		s->fhead[f] = (uint32_t)head;
		s->fcap[f] = budget - (uint32_t)head;
		if (head < len) {
			s->folded[f] = true;
			n = wl_fold(p + head, item->field[f].len - head, s->buf + pos + head,
			            budget - head, NULL, &cut);
			*truncated |= cut;
		}
		n += head;
		pos += (uint32_t)n;
		budget -= (uint32_t)n;
		s->fend[f] = pos;
		s->buf[pos++] = 0;
	}
	return pos;
}

/* Heap sort of hit indexes by (wl, start, term): no allocation, n ≤ WL_SCAN_HITS. */
static bool
hit_less(const struct hit *h, uint32_t a, uint32_t b)
{
	if (h[a].wl != h[b].wl) {
		return h[a].wl < h[b].wl;
	}
	if (h[a].start != h[b].start) {
		return h[a].start < h[b].start;
	}
	return h[a].term < h[b].term;
}

static void
sift(const struct hit *h, uint32_t *v, uint32_t i, uint32_t n)
{
	uint32_t x = v[i], c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && hit_less(h, v[c], v[c + 1])) {
			c++;
		}
		if (!hit_less(h, x, v[c])) {
			break;
		}
		v[i] = v[c];
		i = c;
	}
	v[i] = x;
}

static void
sort_hits(const struct hit *h, uint32_t *v, uint32_t n)
{
	uint32_t i, x;

	for (i = n / 2; i-- > 0;) {
		sift(h, v, i, n);
	}
	for (i = n; i-- > 1;) {
		x = v[i];
		v[i] = v[0];
		v[0] = x;
		sift(h, v, 0, i);
	}
}

/* Word index of each hit in [h0, h1) of order[] (one watchlist, text order). */
static void
number_words(struct wl_scratch *s, const uint32_t *order, uint32_t h0, uint32_t h1)
{
	uint32_t i, f = WL_FIELD__MAX, cur = 0, words = 0;

	for (i = h0; i < h1; i++) {
		struct hit *h = &s->hits[order[i]];
		uint32_t hf = field_at(s, h->start);

		if (hf != f) {
			f = hf;
			cur = s->fstart[f];
			words = 0;
		}
		if (h->start > cur) {
			words += word_starts(s->buf, s->fstart[f], cur, h->start, s->fend[f]);
			cur = h->start;
		}
		h->word = words;
	}
}

static bool
atom_held(const struct wl_scratch *s, const struct wl_def *def, uint32_t la)
{
	uint32_t x = def->atoms[la].excl;

	return s->atom_n[la] > 0 && (x == WL_NONE || s->atom_n[x] == 0);
}

static void say(struct wl_scratch *s, unsigned int depth, bool held, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void
say(struct wl_scratch *s, unsigned int depth, bool held, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->explain(s->explain_arg, depth, held, line);
}

/* "Lavrov summary@57, Лавров title@0": an atom's hits for explain output. */
static void
atom_hits_text(struct wl_scratch *s, uint32_t la, char *buf, size_t cap)
{
	const struct wl_set *set = s->set;
	size_t o = 0;
	uint32_t i;

	buf[0] = 0;
	for (i = 0; i < s->atom_n[la] && o + 1 < cap; i++) {
		const struct hit *h = &s->hits[s->grouped[s->atom_off[la] + i]];
		uint32_t f = field_at(s, h->start);
		int n = snprintf(buf + o, cap - o, "%s%s %s@%u", i > 0 ? ", " : "",
		                 set->terms[h->term]->display, field_names[f],
		                 orig_off(s, f, h->start));

		if (n < 0 || (size_t)n >= cap - o) {
			break;
		}
		o += (size_t)n;
	}
}

static void
explain_line(void *arg, unsigned int depth, bool held, const char *text)
{
	struct wl_scratch *s = arg;

	s->explain(s->explain_arg, depth + 2, held, text);
}

/* Decides query rule <r> of <def>; explains it when asked. */
static bool
decide_query(struct wl_scratch *s, const struct wl_def *def, const struct wl_rule *r)
{
	const struct wlq *q = r->q;
	struct wlq_hits hs = { s->qpos, s->qn };
	uint32_t i, j, np = 0;
	bool held;

	for (i = 0; i < q->n_atoms; i++) {
		uint32_t la = r->atom0 + i;

		s->qn[i] = 0;
		s->qpos[i] = NULL;
		if (!atom_held(s, def, la)) {
			continue;
		}
		s->qpos[i] = &s->pos[np];
		for (j = 0; j < s->atom_n[la] && np < WL_SCAN_HITS; j++) {
			const struct hit *h = &s->hits[s->grouped[s->atom_off[la] + j]];
			const struct wl_term *t = s->set->terms[h->term];

			s->pos[np].field = (uint8_t)field_at(s, h->start);
			s->pos[np].word = h->word;
			s->pos[np].n_words = t->n_words;
			np++;
			s->qn[i]++;
		}
	}
	held = wlq_eval(q, &hs);
	if (s->explain != NULL) {
		say(s, 1, held, "query %s", r->name);
		wlq_explain(q, &hs, field_names, explain_line, s);
	}
	return held;
}

/*
 * Decides every rule of watchlist <wl>, whose hits are order[h0 .. h1) in
 * text order. Returns the first rule that fired (rule order), or WL_NONE.
 */
static uint32_t
decide(struct wl_scratch *s, uint32_t wl, const uint32_t *order, uint32_t h0, uint32_t h1,
       const char **rule_name)
{
	const struct wl_set *set = s->set;
	const struct wl_def *def = &set->defs[wl];
	uint32_t i, r, fired = WL_NONE, off = 0;
	char text[768];

	if (def->needs_pos) {
		number_words(s, order, h0, h1);
	}
	s->n_atom_list = 0;
	for (i = h0; i < h1; i++) {
		uint32_t la = s->hits[order[i]].atom - def->atom_base;

		if (s->atom_n[la]++ == 0) {
			s->atom_list[s->n_atom_list++] = la;
		}
	}
	for (i = 0; i < s->n_atom_list; i++) {
		uint32_t la = s->atom_list[i];

		s->atom_off[la] = off;
		off += s->atom_n[la];
		s->atom_n[la] = 0;
	}
	for (i = h0; i < h1; i++) {
		uint32_t la = s->hits[order[i]].atom - def->atom_base;

		s->grouped[s->atom_off[la] + s->atom_n[la]++] = order[i];
	}
	*rule_name = NULL;
	for (r = 0; r < def->n_rules; r++) {
		const struct wl_rule *ru = &def->rules[r];
		bool held = false;
		int32_t score = 0;

		if (ru->kind == WL_RULE_QUERY) {
			held = decide_query(s, def, ru);
		} else {
			for (i = 0; i < s->n_atom_list; i++) {
				uint32_t la = s->atom_list[i];

				if (def->atoms[la].rule != r || !atom_held(s, def, la)) {
					continue;
				}
				held = true;
				score += def->atoms[la].weight;
			}
			if (ru->kind == WL_RULE_PATTERNS) {
				held = score >= ru->threshold;
			}
			if (s->explain != NULL && ru->kind == WL_RULE_PATTERNS) {
				say(s, 1, held, "patterns: score %d, threshold %d", score,
				    ru->threshold);
			} else if (s->explain != NULL) {
				say(s, 1, held, "terms: any one alerts");
			}
			for (i = 0; s->explain != NULL && i < def->n_atoms; i++) {
				bool ah = s->atom_n[i] > 0 && atom_held(s, def, i);

				if (def->atoms[i].rule != r) {
					continue;
				}
				atom_hits_text(s, i, text, sizeof(text));
				if (ru->kind == WL_RULE_PATTERNS) {
					say(s, 2, ah, "%s (%+d)%s%s", def->atoms[i].text,
					    def->atoms[i].weight, text[0] != 0 ? "  " : "", text);
				} else if (s->atom_n[i] > 0 || def->n_atoms <= 64) {
					say(s, 2, ah, "%s%s%s%s", def->atoms[i].text,
					    text[0] != 0 ? "  " : "", text,
					    s->atom_n[i] > 0 && !ah ? "  (cancelled by its "
					                              "exclude_context)"
					                            : "");
				}
			}
		}
		if (held && fired == WL_NONE) {
			fired = r;
		}
	}
	if (fired != WL_NONE) {
		*rule_name = def->rules[fired].name;
		if (def->rules[fired].kind == WL_RULE_TERMS) {
			/* plain terms: the term that hit first names the alert */
			for (i = h0; i < h1; i++) {
				const struct hit *h = &s->hits[order[i]];
				uint32_t la = h->atom - def->atom_base;

				if (def->atoms[la].rule == fired && atom_held(s, def, la)) {
					*rule_name = set->terms[h->term]->display;
					break;
				}
			}
		}
	}
	return fired;
}

static void
reset_atoms(struct wl_scratch *s)
{
	uint32_t i;

	for (i = 0; i < s->n_atom_list; i++) {
		s->atom_n[s->atom_list[i]] = 0;
	}
	s->n_atom_list = 0;
}

/* Scans; leaves hit indexes sorted by (watchlist, start) in s->grouped's twin. */
static int
scan(const struct wl_set *set, struct wl_scratch *s, const struct wl_item *item, struct counters *c,
     uint32_t *len_out)
{
	uint32_t len, i;
	bool truncated;

	len = join(s, item, &truncated);
	if (truncated && c != NULL) {
		counters_inc(c, CNT_match_item_truncated);
	}
	*len_out = len;
	s->n_touched = 0;
	s->n_hits = 0;
	s->hits_overflow = 0;
	if (hs_scan(set->db, (const char *)s->buf, len, 0, s->hs, on_match, s) != HS_SUCCESS) {
		for (i = 0; i < s->n_touched; i++) {
			s->wl_touched[s->touched[i]] = 0;
		}
		s->n_touched = 0;
		return -1;
	}
	for (i = 0; i < s->n_touched; i++) {
		s->wl_touched[s->touched[i]] = 0;
	}
	return 0;
}

/* s->order: hit indexes sorted by (watchlist, start). */
static uint32_t *
order_hits(struct wl_scratch *s)
{
	uint32_t *order = s->order, i;

	for (i = 0; i < s->n_hits; i++) {
		order[i] = i;
	}
	sort_hits(s->hits, order, s->n_hits);
	return order;
}

/* Whether the same term text at the same place is already among the <n> hits listed. */
static bool
reported(struct wl_scratch *s, uint32_t n, const char *display, const struct hit *h)
{
	uint32_t f = field_at(s, h->start), off = orig_off(s, f, h->start);

	while (n-- > 0 && s->out[n].offset == off && s->out[n].field == (enum wl_field)f) {
		if (strcmp(s->out[n].term, display) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * The hits an alert lists: every held atom's, in text order, exclusions left
 * out, and a term that two rules share listed once.
 */
static void
fill_match(struct wl_scratch *s, uint32_t wl, const uint32_t *order, uint32_t h0, uint32_t h1,
           struct wl_match *m)
{
	const struct wl_set *set = s->set;
	const struct wl_def *def = &set->defs[wl];
	uint32_t i;

	m->n_hits = 0;
	m->n_hits_dropped = s->hits_overflow;
	for (i = h0; i < h1; i++) {
		const struct hit *h = &s->hits[order[i]];
		uint32_t la = h->atom - def->atom_base, f;

		if (def->atoms[la].rule == WL_NONE || !atom_held(s, def, la) ||
		    reported(s, m->n_hits, set->terms[h->term]->display, h)) {
			continue;
		}
		if (m->n_hits == WL_MAX_HITS) {
			m->n_hits_dropped++;
			continue;
		}
		f = field_at(s, h->start);
		s->out[m->n_hits].term = set->terms[h->term]->display;
		s->out[m->n_hits].field = (enum wl_field)f;
		s->out[m->n_hits].offset = orig_off(s, f, h->start);
		m->n_hits++;
	}
	m->wl_idx = wl;
	m->info = &def->info;
	m->hits = s->out;
}

int
wl_scan(const struct wl_set *set, struct wl_scratch *s, const struct wl_item *item,
        struct counters *c, wl_match_fn *fn, void *arg)
{
	struct wl_match m;
	uint32_t len, h0, h1, *order;
	int matched = 0;

	BUG_ON_HOT(s->set != set);
	if (set->db == NULL) {
		return 0;
	}
	s->explain = NULL;
	if (scan(set, s, item, c, &len) != 0) {
		counters_inc(c, CNT_match_scan_error);
		return -1;
	}
	counters_inc(c, CNT_match_items_scanned);
	counters_add(c, CNT_match_bytes_scanned, len);
	if (s->n_hits == 0) {
		return 0;
	}
	counters_add(c, CNT_match_hits_overflow, s->hits_overflow);
	order = order_hits(s);
	for (h0 = 0; h0 < s->n_hits; h0 = h1) {
		uint32_t wl = s->hits[order[h0]].wl;

		for (h1 = h0 + 1; h1 < s->n_hits && s->hits[order[h1]].wl == wl; h1++) {
		}
		if (decide(s, wl, order, h0, h1, &m.rule) != WL_NONE) {
			fill_match(s, wl, order, h0, h1, &m);
			counters_add(c, CNT_match_hits_truncated, m.n_hits_dropped);
			fn(arg, &m);
			matched++;
		}
		reset_atoms(s);
	}
	if (matched > 0) {
		counters_inc(c, CNT_match_items_matched);
	}
	return matched;
}

int
wl_scan_explain(const struct wl_set *set, struct wl_scratch *s, const struct wl_item *item,
                wl_explain_fn *line, void *arg)
{
	const char *rule;
	uint32_t len, h0 = 0, h1, wl, *order = NULL;
	int matched = 0;

	if (set->db != NULL && scan(set, s, item, NULL, &len) != 0) {
		return -1;
	}
	s->explain = line;
	s->explain_arg = arg;
	if (set->db != NULL && s->n_hits > 0) {
		order = order_hits(s);
	}
	for (wl = 0; wl < set->n_defs; wl++) {
		const struct wl_def *def = &set->defs[wl];

		h1 = h0;
		while (order != NULL && h1 < s->n_hits && s->hits[order[h1]].wl == wl) {
			h1++;
		}
		if (h1 == h0) {
			say(s, 0, false, "watchlist %s: no term hit", def->name);
			continue;
		}
		say(s, 0, true, "watchlist %s: %u hit(s)", def->name, h1 - h0);
		if (decide(s, wl, order, h0, h1, &rule) != WL_NONE) {
			say(s, 1, true, "alerts, rule %s", rule);
			matched++;
		} else {
			say(s, 1, false, "no rule held: no alert");
		}
		reset_atoms(s);
		h0 = h1;
	}
	s->explain = NULL;
	return matched;
}

size_t
wl_scan_text(struct wl_scratch *s, const struct wl_item *item, const uint8_t **text)
{
	bool truncated;
	size_t len = join(s, item, &truncated);

	*text = s->buf;
	return len;
}

static int
count_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
            void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(long long *)ctx)++;
	return 0;
}

long long
wl_scan_raw(const struct wl_set *set, struct wl_scratch *s, const uint8_t *text, size_t len)
{
	long long n = 0;

	if (set->db == NULL) {
		return 0;
	}
	if (hs_scan(set->db, (const char *)text, (unsigned int)len, 0, s->hs, count_match, &n) !=
	    HS_SUCCESS) {
		return -1;
	}
	return n;
}
