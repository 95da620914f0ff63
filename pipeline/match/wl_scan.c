/*
 * Per-item scan: the item's fields are joined into the scratch buffer with a
 * NUL between them (no term contains one: the parser rejects it), scanned
 * once, and each Hyperscan match is mapped back to its field, checked for
 * scope and word boundaries, and recorded against its watchlists. Nothing
 * here allocates: all per-scan state was sized in wl_scratch_alloc().
 */
#include "match/watchlist.h"
#include "match/match_priv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/bug.h"

struct hitrec {
	uint32_t term; /* index into set->terms */
	uint32_t pos;  /* start offset in the joined buffer */
};

struct wlstate {
	uint32_t n;
	uint32_t dropped;
	struct hitrec hit[WL_MAX_HITS];
};

struct wl_scratch {
	const struct wl_set *set;
	hs_scratch_t *hs;
	uint8_t *buf; /* WL_SCAN_MAX text bytes + one separator per field */
	uint32_t fstart[WL_FIELD__MAX];
	uint32_t fend[WL_FIELD__MAX]; /* the separator sits at fend[f] */
	struct wlstate *st;           /* [n_defs] */
	uint32_t *touched;            /* watchlists with a hit in this scan */
	uint32_t n_touched;
	struct wl_hit out[WL_MAX_HITS];
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
	s->buf = malloc(WL_SCAN_MAX + WL_FIELD__MAX);
	s->st = calloc(set->n_defs + 1, sizeof(*s->st));
	s->touched = calloc(set->n_defs + 1, sizeof(*s->touched));
	if (s->buf == NULL || s->st == NULL || s->touched == NULL) {
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
	free(s->touched);
	free(s->st);
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

static void
record(struct wl_scratch *s, uint32_t wl, uint32_t term, uint32_t pos)
{
	struct wlstate *st = &s->st[wl];
	uint32_t i, worst;

	if (st->n == 0 && st->dropped == 0) {
		s->touched[s->n_touched++] = wl;
	}
	for (i = 0; i < st->n; i++) {
		if (st->hit[i].term == term && st->hit[i].pos == pos) {
			return; /* a regex reports each end; one hit per start */
		}
	}
	if (st->n < WL_MAX_HITS) {
		st->hit[st->n].term = term;
		st->hit[st->n].pos = pos;
		st->n++;
		return;
	}
	/* Full: Hyperscan reports in end order, SOM may be earlier; keep the first starts. */
	st->dropped++;
	worst = 0;
	for (i = 1; i < WL_MAX_HITS; i++) {
		if (st->hit[i].pos > st->hit[worst].pos ||
		    (st->hit[i].pos == st->hit[worst].pos &&
		     st->hit[i].term > st->hit[worst].term)) {
			worst = i;
		}
	}
	if (pos < st->hit[worst].pos || (pos == st->hit[worst].pos && term < st->hit[worst].term)) {
		st->hit[worst].term = term;
		st->hit[worst].pos = pos;
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
	bool ww_ok = false, ww_done = false;

	(void)flags;
	/* every term sharing a pattern shares its expression, flags and length */
	if (t0->is_regex) {
		start = (uint32_t)from;
	} else {
		/* caseless UTF-8 may match a different byte length (K vs U+212A): rare, accepted */
		start = end >= t0->len ? end - t0->len : 0;
	}
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
		if (t->whole_word) {
			if (!ww_done) {
				ww_ok = whole_word(s->buf, s->fstart[f], s->fend[f], start, end);
				ww_done = true;
			}
			if (!ww_ok) {
				continue;
			}
		}
		record(s, t->wl_idx, ti, start);
	}
	return 0;
}

/* Joins <item>'s fields into s->buf, cutting at WL_SCAN_MAX on a code point boundary. */
static uint32_t
join(struct wl_scratch *s, const struct wl_item *item, bool *truncated)
{
	uint32_t pos = 0, budget = WL_SCAN_MAX;
	int f;

	*truncated = false;
	for (f = 0; f < WL_FIELD__MAX; f++) {
		const uint8_t *p = item->field[f].ptr;
		size_t len = item->field[f].len;

		if (p == NULL) {
			len = 0;
		}
		if (len > budget) {
			*truncated = true;
			len = budget;
			/* never hand half a code point to a UTF-8 database */
			while (len > 0 && (p[len] & 0xc0) == 0x80) {
				len--;
			}
		}
		s->fstart[f] = pos;
		if (len > 0) {
			memcpy(s->buf + pos, p, len);
		}
		pos += (uint32_t)len;
		budget -= (uint32_t)len;
		s->fend[f] = pos;
		s->buf[pos++] = 0;
	}
	return pos;
}

static void
sort_u32(uint32_t *v, uint32_t n)
{
	uint32_t i, j, x;

	/* heap sort: the touched list can be long with many watchlists, qsort may allocate */
	for (i = n / 2; i-- > 0;) {
		for (j = i, x = v[i]; 2 * j + 1 < n;) {
			uint32_t c = 2 * j + 1;

			if (c + 1 < n && v[c + 1] > v[c]) {
				c++;
			}
			if (v[c] <= x) {
				break;
			}
			v[j] = v[c];
			j = c;
		}
		v[j] = x;
	}
	for (i = n; i-- > 1;) {
		x = v[i];
		v[i] = v[0];
		for (j = 0; 2 * j + 1 < i;) {
			uint32_t c = 2 * j + 1;

			if (c + 1 < i && v[c + 1] > v[c]) {
				c++;
			}
			if (v[c] <= x) {
				break;
			}
			v[j] = v[c];
			j = c;
		}
		v[j] = x;
	}
}

static void
sort_hits(struct hitrec *h, uint32_t n)
{
	uint32_t i, j;

	for (i = 1; i < n; i++) {
		struct hitrec x = h[i];

		for (j = i; j > 0 && (h[j - 1].pos > x.pos ||
		                      (h[j - 1].pos == x.pos && h[j - 1].term > x.term));
		     j--) {
			h[j] = h[j - 1];
		}
		h[j] = x;
	}
}

static enum wl_field
field_of(const struct wl_scratch *s, uint32_t pos)
{
	int f;

	f = 0;
	while (f < WL_FIELD__MAX - 1 && pos >= s->fend[f]) {
		f++;
	}
	return (enum wl_field)f;
}

int
wl_scan(const struct wl_set *set, struct wl_scratch *s, const struct wl_item *item,
        struct counters *c, wl_match_fn *fn, void *arg)
{
	struct wl_match m;
	uint32_t len, i, j;
	bool truncated;
	int matched = 0;

	BUG_ON_HOT(s->set != set);
	if (set->db == NULL) {
		return 0;
	}
	len = join(s, item, &truncated);
	if (truncated) {
		counters_inc(c, CNT_match_item_truncated);
	}
	counters_inc(c, CNT_match_items_scanned);
	counters_add(c, CNT_match_bytes_scanned, len);
	s->n_touched = 0;
	if (hs_scan(set->db, (const char *)s->buf, len, 0, s->hs, on_match, s) != HS_SUCCESS) {
		counters_inc(c, CNT_match_scan_error);
		for (i = 0; i < s->n_touched; i++) {
			s->st[s->touched[i]].n = 0;
			s->st[s->touched[i]].dropped = 0;
		}
		return -1;
	}
	sort_u32(s->touched, s->n_touched);
	for (i = 0; i < s->n_touched; i++) {
		struct wlstate *st = &s->st[s->touched[i]];

		sort_hits(st->hit, st->n);
		for (j = 0; j < st->n; j++) {
			enum wl_field f = field_of(s, st->hit[j].pos);

			s->out[j].term = set->terms[st->hit[j].term]->display;
			s->out[j].field = f;
			s->out[j].offset = st->hit[j].pos - s->fstart[f];
		}
		m.wl_idx = s->touched[i];
		m.info = &set->defs[m.wl_idx].info;
		m.rule = NULL;
		m.n_hits = st->n;
		m.hits = s->out;
		m.n_hits_dropped = st->dropped;
		counters_add(c, CNT_match_hits_truncated, st->dropped);
		st->n = 0;
		st->dropped = 0;
		fn(arg, &m);
		matched++;
	}
	if (matched > 0) {
		counters_inc(c, CNT_match_items_matched);
	}
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
