/*
 * The content layer of feedwatch-gen, checked against feedwatch itself:
 * generated watchlists load with wl_set_load(), and generated documents go
 * through the real feed parser and matcher, which must report exactly the
 * planted hits (no more: near-misses and background text stay silent).
 */
#include "tools/gen/gen_content.h"
#include "tools/gen/gen_priv.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "feed/feed.h"
#include "guard.h"
#include "match/watchlist.h"

static char tmpdir[] = "/tmp/test_gen_content.XXXXXX";
static struct counters cnt;

/* ---- helpers ---- */

static struct gen_wl *
make_wl(uint64_t seed, uint32_t n_terms, uint32_t n_wl)
{
	struct gen_rng r = { seed };

	return gen_wl_create(&r, n_terms, n_wl);
}

/* Writes <wl> to a fresh folder under tmpdir and loads it; NULL (test failed) on error. */
static struct wl_set *
load_wl(const struct gen_wl *wl, const char *sub)
{
	char dir[256], *err = NULL;
	const char *path = dir;
	struct wl_set *set;

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, sub);
	CU_ASSERT_EQUAL_FATAL(gen_wl_write(wl, dir), 0);
	set = wl_set_load(&path, 1, &err);
	if (set == NULL) {
		fprintf(stderr, "wl_set_load: %s\n", err != NULL ? err : "?");
	}
	free(err);
	return set;
}

static const struct gen_term *
term_of(const struct gen_wl *wl, const char *display)
{
	uint32_t i;

	for (i = 0; i < wl->n_terms; i++) {
		if (wl->terms[i].display == display) {
			return &wl->terms[i];
		}
	}
	return NULL;
}

/* ---- what feedwatch reports for one document ---- */

#define MAX_SEEN_ITEMS 64
#define MAX_KEYS       1024

struct seen {
	const struct wl_set *set;
	struct wl_scratch *scr;
	uint32_t n_items;
	char title[MAX_SEEN_ITEMS][400];
	char id[MAX_SEEN_ITEMS][200];
	char link[MAX_SEEN_ITEMS][200];
	char *keys[MAX_KEYS]; /* "item|wl|term|field" */
	uint32_t n_keys;
};

static void
copy_span(char *dst, size_t cap, struct span s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.ptr, n);
	dst[n] = 0;
}

static void
add_key(char **keys, uint32_t *n, uint32_t item, uint32_t wl, const char *term, const char *field)
{
	char *k;

	if (*n == MAX_KEYS || asprintf(&k, "%u|%u|%s|%s", item, wl, term, field) < 0) {
		CU_FAIL("too many hits");
		return;
	}
	keys[(*n)++] = k;
}

struct scan_arg {
	struct seen *s;
	uint32_t item;
};

static void
on_match(void *arg, const struct wl_match *m)
{
	struct scan_arg *a = arg;
	uint32_t i;

	CU_ASSERT_EQUAL(m->n_hits_dropped, 0);
	for (i = 0; i < m->n_hits; i++) {
		add_key(a->s->keys, &a->s->n_keys, a->item, m->wl_idx, m->hits[i].term,
		        wl_field_name(m->hits[i].field));
	}
}

static void
on_item(void *arg, const struct feed_item *it)
{
	struct seen *s = arg;
	struct scan_arg a = { s, s->n_items };
	struct wl_item wi = { 0 };

	if (s->n_items == MAX_SEEN_ITEMS) {
		CU_FAIL("too many items");
		return;
	}
	copy_span(s->title[s->n_items], sizeof(s->title[0]), it->field[FEED_F_TITLE]);
	copy_span(s->id[s->n_items], sizeof(s->id[0]), it->field[FEED_F_ID]);
	copy_span(s->link[s->n_items], sizeof(s->link[0]), it->field[FEED_F_LINK]);
	wi.field[WL_FIELD_TITLE] = it->field[FEED_F_TITLE];
	wi.field[WL_FIELD_SUMMARY] = it->field[FEED_F_SUMMARY];
	wi.field[WL_FIELD_CONTENT] = it->field[FEED_F_CONTENT];
	wi.field[WL_FIELD_AUTHOR] = it->field[FEED_F_AUTHOR];
	wi.field[WL_FIELD_CATEGORY] = it->field[FEED_F_CATEGORY];
	wi.field[WL_FIELD_URL] = it->field[FEED_F_LINK];
	CU_ASSERT(wl_scan(s->set, s->scr, &wi, &cnt, on_match, &a) >= 0);
	s->n_items++;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and de-duplicates <keys>. */
static uint32_t
uniq(char **keys, uint32_t n)
{
	uint32_t i, o = 0;

	qsort(keys, n, sizeof(char *), cmp_str);
	for (i = 0; i < n; i++) {
		if (o > 0 && strcmp(keys[o - 1], keys[i]) == 0) {
			free(keys[i]);
			continue;
		}
		keys[o++] = keys[i];
	}
	return o;
}

/* The charset parameter of a Content-Type, as the HTTP layer would pass it. */
static struct span
ct_charset(const char *ct)
{
	const char *p = strstr(ct, "charset=");

	if (p == NULL) {
		return (struct span){ (const uint8_t *)"", 0 };
	}
	return (struct span){ (const uint8_t *)p + 8, strlen(p + 8) };
}

/* Decodes body bytes: charset → UTF-8, then character references and &amp; (repeatedly), JSON \u. */
static void
decode_planted(const struct gen_doc *d, const uint8_t *p, size_t n, char *out, size_t cap)
{
	char tmp[1024];
	size_t i, o = 0;
	bool again = true;

	for (i = 0; i < n && o + 4 < sizeof(tmp); i++) {
		uint32_t cp = p[i];

		if (d->charset == GEN_CS_LATIN1 && cp >= 0x80) {
			o += gen_utf8_put(tmp + o, cp);
		} else if (d->charset == GEN_CS_CP1251 && cp >= 0xc0) {
			o += gen_utf8_put(tmp + o, cp - 0xc0 + 0x410);
		} else if (d->charset == GEN_CS_CP1251 && cp == 0xa8) {
			o += gen_utf8_put(tmp + o, 0x401);
		} else if (d->charset == GEN_CS_CP1251 && cp == 0xb8) {
			o += gen_utf8_put(tmp + o, 0x451);
		} else {
			tmp[o++] = (char)cp;
		}
	}
	tmp[o] = 0;
	while (again) {
		char *q;

		again = false;
		o = 0;
		for (q = tmp; *q != 0;) {
			unsigned long v;
			char *e;

			if (q[0] == '&' && q[1] == '#') {
				v = q[2] == 'x' ? strtoul(q + 3, &e, 16) : strtoul(q + 2, &e, 10);
				if (*e == ';') {
					o += gen_utf8_put(out + o, (uint32_t)v);
					q = e + 1;
					again = true;
					continue;
				}
			}
			if (strncmp(q, "&amp;", 5) == 0) {
				out[o++] = '&';
				q += 5;
				again = true;
				continue;
			}
			if (q[0] == '\\' && q[1] == 'u' && strlen(q) >= 6) {
				char hex[5];

				memcpy(hex, q + 2, 4);
				hex[4] = 0;
				o += gen_utf8_put(out + o, (uint32_t)strtoul(hex, NULL, 16));
				q += 6;
				continue;
			}
			out[o++] = *q++;
			if (o + 5 >= cap) {
				break;
			}
		}
		out[o] = 0;
		memcpy(tmp, out, o + 1);
	}
}

struct tally {
	uint32_t docs, items, hits, near;
	uint32_t how[GEN_HOW__MAX];
	uint32_t non_ascii_hits, scoped_hits, entity_hits, cs_hits;
};

/*
 * Generates documents and runs each through feedwatch's parser and matcher:
 * the items, their titles and ids, and the (item, watchlist, term, field)
 * hits must be exactly what the generator recorded.
 */
static void
check_docs(struct gen_content *gc, const struct gen_wl *wl, const struct wl_set *set, uint64_t seed,
           enum gen_format fmt, enum gen_charset cs, enum gen_cs_decl decl, uint32_t n_docs,
           struct tally *t)
{
	struct feed_limits lim = { .max_item = 256 * 1024, .max_parsers = 2 };
	struct feed_env *env = feed_env_create(&lim, &cnt, on_item);
	struct gen_rng r = { seed };
	uint32_t d, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	for (d = 0; d < n_docs; d++) {
		struct gen_doc *doc = gen_content_doc(gc, &r, fmt, cs, decl);
		struct seen *s = calloc(1, sizeof(*s));
		char *want[MAX_KEYS];
		uint32_t n_want = 0, n_got;
		uint8_t *body;

		CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
		s->set = set;
		s->scr = wl_scratch_alloc(set);
		body = guard_dup(doc->body, doc->len);
		CU_ASSERT_EQUAL(feed_parse_document(env, (struct span){ body, doc->len },
		                                    ct_charset(doc->content_type), s),
		                (int)doc->n_items);
		CU_ASSERT_EQUAL(s->n_items, doc->n_items);
		for (i = 0; i < s->n_items && i < doc->n_items; i++) {
			const char *id = fmt == GEN_FMT_RDF ? s->link[i] : s->id[i];

			if (strcmp(s->title[i], doc->items[i].title) != 0 ||
			    strcmp(id, doc->items[i].id) != 0) {
				fprintf(stderr,
				        "\n%s item %u: title '%s' id '%s', want '%s' '%s'\n",
				        gen_format_name(fmt), i, s->title[i], id,
				        doc->items[i].title, doc->items[i].id);
				CU_FAIL("item title or id differs");
			}
			CU_ASSERT(doc->items[i].start < doc->items[i].end);
			CU_ASSERT(doc->items[i].end <= doc->len);
		}
		for (i = 0; i < doc->n_hits; i++) {
			const struct gen_hit *h = &doc->hits[i];
			const struct gen_term *gt = term_of(wl, h->term);
			char dec[1024];

			add_key(want, &n_want, h->item, h->watchlist, h->term, h->field);
			CU_ASSERT_PTR_NOT_NULL_FATAL(gt);
			/* at/at_len: the planted bytes decode back to the term (case folded) */
			CU_ASSERT(h->at + h->at_len <= doc->len);
			CU_ASSERT(h->at >= doc->items[h->item].start &&
			          h->at + h->at_len <= doc->items[h->item].end);
			decode_planted(doc, doc->body + h->at, h->at_len, dec, sizeof(dec));
			if (gen_fold_hash(dec, strlen(dec)) !=
			    gen_fold_hash(gt->text, strlen(gt->text))) {
				fprintf(stderr, "\nat: '%.*s' → '%s', want '%s' (%s)\n",
				        (int)h->at_len, doc->body + h->at, dec, gt->text, h->how);
				CU_FAIL("at/at_len do not point at the planted term");
			}
			if (t != NULL) {
				uint32_t k;

				for (k = 0; k < GEN_HOW__MAX; k++) {
					if (strcmp(h->how,
					           (const char *[]){ "plain", "case", "entity",
					                             "amp", "cdata", "markup",
					                             "xhtml", "json" }[k]) == 0) {
						t->how[k]++;
					}
				}
				t->hits++;
				t->non_ascii_hits += !gt->ascii;
				t->scoped_hits += gt->scope != GEN_SCOPE_ANY;
				t->entity_hits += gt->entity != 0;
				t->cs_hits += gt->cs;
			}
		}
		n_want = uniq(want, n_want);
		n_got = uniq(s->keys, s->n_keys);
		CU_ASSERT_EQUAL(n_got, n_want);
		for (i = 0; i < n_want || i < n_got; i++) {
			const char *a = i < n_want ? want[i] : "";
			const char *b = i < n_got ? s->keys[i] : "";

			if (strcmp(a, b) != 0) {
				fprintf(stderr, "\n%s/%s doc %u: planted '%s' vs found '%s'\n",
				        gen_format_name(fmt), gen_charset_name(cs), d, a, b);
				CU_FAIL("found hits differ from the planted ones");
				break;
			}
		}
		if (t != NULL) {
			t->docs++;
			t->items += doc->n_items;
		}
		for (i = 0; i < n_want; i++) {
			free(want[i]);
		}
		for (i = 0; i < n_got; i++) {
			free(s->keys[i]);
		}
		guard_free(body);
		wl_scratch_free(s->scr);
		free(s);
		gen_doc_free(doc);
	}
	feed_env_free(env);
}

/* ---- watchlists ---- */

static void
check_load(uint32_t n_terms, uint32_t n_wl, const char *sub)
{
	struct gen_wl *wl = make_wl(7, n_terms, n_wl);
	struct wl_set *set;
	uint32_t i, j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(wl);
	CU_ASSERT_EQUAL(wl->n_terms, n_terms);
	CU_ASSERT_EQUAL(wl->full.n, n_terms); /* no two terms fold to the same text */
	set = load_wl(wl, sub);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(wl_set_count(set), n_wl);
	CU_ASSERT_EQUAL(wl_set_terms(set), n_terms);
	for (i = 0; i < n_wl; i++) {
		CU_ASSERT_STRING_EQUAL(wl_set_info(set, i)->name, gen_wl_name(wl, i));
		for (j = 0; j < i && n_wl <= 100; j++) {
			CU_ASSERT(strcmp(gen_wl_name(wl, i), gen_wl_name(wl, j)) != 0);
		}
	}
	wl_set_free(set);
	gen_wl_free(wl);
}

static void
test_wl_100_terms_load_in_feedwatch(void)
{
	check_load(100, 4, "wl100");
}

static void
test_wl_10000_terms_load_in_feedwatch(void)
{
	check_load(10000, 25, "wl10k");
}

static void
test_wl_scales_to_100000_unique_terms(void)
{
	struct gen_wl *wl = make_wl(11, 100000, 50);
	uint32_t kinds[8] = { 0 }, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(wl);
	CU_ASSERT_EQUAL(wl->n_terms, 100000);
	CU_ASSERT_EQUAL(wl->full.n, 100000);
	for (i = 0; i < wl->n_terms; i++) {
		const struct gen_term *t = &wl->terms[i];

		kinds[0] += !t->ascii;
		kinds[1] += t->cjk;
		kinds[2] += t->cs;
		kinds[3] += t->scope != GEN_SCOPE_ANY;
		kinds[4] += t->entity != 0;
		kinds[5] += strchr(t->text, ' ') != NULL;
	}
	for (i = 0; i < 6; i++) {
		CU_ASSERT(kinds[i] > 0);
	}
	gen_wl_free(wl);
}

static void
test_wl_same_seed_same_terms(void)
{
	struct gen_wl *a = make_wl(3, 500, 5), *b = make_wl(3, 500, 5), *c = make_wl(4, 500, 5);
	uint32_t i, diff = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < 500; i++) {
		CU_ASSERT_STRING_EQUAL(a->terms[i].display, b->terms[i].display);
		CU_ASSERT_EQUAL(a->terms[i].wl, b->terms[i].wl);
		diff += strcmp(a->terms[i].display, c->terms[i].display) != 0;
	}
	CU_ASSERT(diff > 0);
	gen_wl_free(a);
	gen_wl_free(b);
	gen_wl_free(c);
}

static void
test_wl_yaml_escapes_quotes_and_backslashes(void)
{
	struct gen_wl *wl = make_wl(5, 100, 2);
	struct wl_set *set;

	CU_ASSERT_PTR_NOT_NULL_FATAL(wl);
	/* make two terms awkward for YAML; they stay unique */
	free(wl->terms[0].text);
	free(wl->terms[0].display);
	wl->terms[0].text = strdup("O\"Neil \\ Sons");
	wl->terms[0].display = strdup("O\"Neil \\ Sons");
	wl->terms[0].entity = 0;
	wl->terms[0].scope = GEN_SCOPE_ANY;
	wl->terms[0].cs = false;
	set = load_wl(wl, "wlesc");
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(wl_set_terms(set), wl->n_terms);
	wl_set_free(set);
	gen_wl_free(wl);
}

/* ---- documents through feedwatch ---- */

static struct gen_wl *acc_wl;
static struct wl_set *acc_set;

static void
check_format(enum gen_format fmt)
{
	struct gen_content_opts o = {
		.items_min = 4, .items_max = 12, .hit_rate = 0.7, .near_miss_rate = 0.6
	};
	struct gen_content *gc = gen_content_create(&o, acc_wl);
	struct tally t = { 0 };
	enum gen_charset cs;
	enum gen_cs_decl decl;
	uint32_t near0 = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(gc);
	for (cs = GEN_CS_UTF8; cs <= GEN_CS_LATIN1; cs++) {
		for (decl = GEN_CSD_PROLOG; decl <= GEN_CSD_BOTH; decl++) {
			check_docs(gc, acc_wl, acc_set, 100 + fmt * 10 + cs * 3 + decl, fmt, cs,
			           decl, 8, &t);
		}
	}
	near0 = gen_content_near_misses(gc);
	/* the run exercised what it claims to */
	CU_ASSERT(t.hits > 50);
	CU_ASSERT(near0 > 20);
	CU_ASSERT(t.non_ascii_hits > 0);
	CU_ASSERT(t.scoped_hits > 0);
	CU_ASSERT(t.entity_hits > 0);
	CU_ASSERT(t.cs_hits > 0);
	CU_ASSERT(t.how[GEN_HOW_CASE] > 0);
	CU_ASSERT(t.how[GEN_HOW_ENTITY] > 0);
	if (fmt == GEN_FMT_RSS2 || fmt == GEN_FMT_RDF) {
		CU_ASSERT(t.how[GEN_HOW_CDATA] > 0);
		CU_ASSERT(t.how[GEN_HOW_MARKUP] > 0);
	}
	if (fmt == GEN_FMT_ATOM_XHTML) {
		CU_ASSERT(t.how[GEN_HOW_XHTML] > 0);
	}
	gen_content_free(gc);
}

static void
test_rss2_hits_found_exactly_as_planted(void)
{
	check_format(GEN_FMT_RSS2);
}

static void
test_rdf_hits_found_exactly_as_planted(void)
{
	check_format(GEN_FMT_RDF);
}

static void
test_atom_text_hits_found_exactly_as_planted(void)
{
	check_format(GEN_FMT_ATOM_TEXT);
}

static void
test_atom_html_hits_found_exactly_as_planted(void)
{
	check_format(GEN_FMT_ATOM_HTML);
}

static void
test_atom_xhtml_hits_found_exactly_as_planted(void)
{
	check_format(GEN_FMT_ATOM_XHTML);
}

static void
test_near_misses_alone_never_alert(void)
{
	struct gen_content_opts o = {
		.items_min = 8, .items_max = 8, .hit_rate = 0.0, .near_miss_rate = 1.0
	};
	struct gen_content *gc = gen_content_create(&o, acc_wl);
	enum gen_format f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(gc);
	for (f = GEN_FMT_RSS2; f <= GEN_FMT_ATOM_XHTML; f++) {
		check_docs(gc, acc_wl, acc_set, 900 + f, f, GEN_CS_UTF8, GEN_CSD_PROLOG, 6, NULL);
	}
	CU_ASSERT(gen_content_near_misses(gc) > 150);
	gen_content_free(gc);
}

static void
test_ascii_only_plants_only_ascii_terms(void)
{
	struct gen_content_opts o = {
		.items_min = 10, .items_max = 10, .hit_rate = 1.0, .ascii_only = true
	};
	struct gen_content *gc = gen_content_create(&o, acc_wl);
	struct gen_rng r = { 5 };
	uint32_t d, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(gc);
	for (d = 0; d < 10; d++) {
		struct gen_doc *doc =
		        gen_content_doc(gc, &r, GEN_FMT_RSS2, GEN_CS_UTF8, GEN_CSD_PROLOG);

		CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
		CU_ASSERT(doc->n_hits >= doc->n_items);
		for (i = 0; i < doc->n_hits; i++) {
			CU_ASSERT(term_of(acc_wl, doc->hits[i].term)->ascii);
		}
		gen_doc_free(doc);
	}
	gen_content_free(gc);
}

static void
test_same_seed_same_bytes(void)
{
	struct gen_content_opts o = {
		.items_min = 5, .items_max = 9, .hit_rate = 0.5, .near_miss_rate = 0.5
	};
	struct gen_content *a = gen_content_create(&o, acc_wl), *b = gen_content_create(&o, acc_wl);
	enum gen_format f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	for (f = 0; f < GEN_FMT__MAX; f++) {
		struct gen_rng ra = { 77 + f }, rb = { 77 + f };
		struct gen_doc *x = gen_content_doc(a, &ra, f, GEN_CS_UTF8, GEN_CSD_BOTH);
		struct gen_doc *y = gen_content_doc(b, &rb, f, GEN_CS_UTF8, GEN_CSD_BOTH);
		uint32_t i;

		CU_ASSERT_PTR_NOT_NULL_FATAL(x);
		CU_ASSERT_PTR_NOT_NULL_FATAL(y);
		CU_ASSERT_EQUAL(x->len, y->len);
		CU_ASSERT(x->len == y->len && memcmp(x->body, y->body, x->len) == 0);
		CU_ASSERT_EQUAL(x->n_hits, y->n_hits);
		for (i = 0; i < x->n_hits && i < y->n_hits; i++) {
			CU_ASSERT_EQUAL(x->hits[i].at, y->hits[i].at);
			CU_ASSERT_STRING_EQUAL(x->hits[i].term, y->hits[i].term);
		}
		CU_ASSERT_STRING_EQUAL(x->host, y->host);
		gen_doc_free(x);
		gen_doc_free(y);
	}
	gen_content_free(a);
	gen_content_free(b);
}

static void
test_hosts_unique_per_document(void)
{
	struct gen_content_opts o = { .items_min = 1, .items_max = 1 };
	struct gen_content *gc = gen_content_create(&o, acc_wl);
	struct gen_rng r = { 1 };
	char hosts[50][64];
	uint32_t i, j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(gc);
	for (i = 0; i < 50; i++) {
		struct gen_doc *d =
		        gen_content_doc(gc, &r, i % GEN_FMT__MAX, GEN_CS_UTF8, GEN_CSD_PROLOG);

		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		snprintf(hosts[i], sizeof(hosts[i]), "%s", d->host);
		CU_ASSERT(d->path[0] == '/');
		for (j = 0; j < i; j++) {
			CU_ASSERT(strcmp(hosts[i], hosts[j]) != 0);
		}
		gen_doc_free(d);
	}
	gen_content_free(gc);
}

/* ---- JSON Feed: a small recursive-descent validator ---- */

struct js {
	const char *p, *end;
	int depth;
	uint32_t ids;
};

static void
js_ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')) {
		j->p++;
	}
}

static bool js_value(struct js *j);

static bool
js_string(struct js *j)
{
	if (j->p >= j->end || *j->p != '"') {
		return false;
	}
	for (j->p++; j->p < j->end; j->p++) {
		unsigned char ch = (unsigned char)*j->p;

		if (ch == '"') {
			j->p++;
			return true;
		}
		if (ch < 0x20) {
			return false;
		}
		if (ch == '\\') {
			j->p++;
			if (j->p >= j->end || strchr("\"\\/bfnrtu", *j->p) == NULL) {
				return false;
			}
		}
	}
	return false;
}

static bool
js_value(struct js *j)
{
	js_ws(j);
	if (j->p >= j->end || ++j->depth > 32) {
		return false;
	}
	if (*j->p == '{' || *j->p == '[') {
		char close = *j->p == '{' ? '}' : ']';
		bool obj = close == '}';

		j->p++;
		js_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			j->depth--;
			return true;
		}
		for (;;) {
			js_ws(j);
			if (obj) {
				const char *k = j->p;

				if (!js_string(j)) {
					return false;
				}
				j->ids += j->p - k == 4 && memcmp(k, "\"id\"", 4) == 0;
				js_ws(j);
				if (j->p >= j->end || *j->p++ != ':') {
					return false;
				}
			}
			if (!js_value(j)) {
				return false;
			}
			js_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == close) {
				j->p++;
				j->depth--;
				return true;
			}
			return false;
		}
	}
	if (*j->p == '"') {
		j->depth--;
		return js_string(j);
	}
	while (j->p < j->end && strchr("0123456789-+.eEtruefalsn", *j->p) != NULL) {
		j->p++;
	}
	j->depth--;
	return true;
}

static void
test_json_feed_is_valid_json(void)
{
	struct gen_content_opts o = {
		.items_min = 3, .items_max = 10, .hit_rate = 0.8, .near_miss_rate = 0.5
	};
	struct gen_content *gc = gen_content_create(&o, acc_wl);
	struct gen_rng r = { 123 };
	uint32_t d, hits = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(gc);
	for (d = 0; d < 30; d++) {
		struct gen_doc *doc =
		        gen_content_doc(gc, &r, GEN_FMT_JSON, GEN_CS_LATIN1, GEN_CSD_PROLOG);
		struct js j;
		uint32_t i;

		CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
		j = (struct js){ (const char *)doc->body, (const char *)doc->body + doc->len, 0,
			         0 };
		CU_ASSERT(js_value(&j));
		js_ws(&j);
		CU_ASSERT(j.p == j.end);
		CU_ASSERT_EQUAL(j.ids, doc->n_items);
		CU_ASSERT(memmem(doc->body, doc->len, "\"https://jsonfeed.org/version/1.1\"",
		                 strlen("\"https://jsonfeed.org/version/1.1\"")) != NULL);
		CU_ASSERT_EQUAL(doc->charset, GEN_CS_UTF8);
		CU_ASSERT(strncmp(doc->content_type, "application/feed+json", 21) == 0);
		for (i = 0; i < doc->n_hits; i++) {
			char dec[1024];
			const struct gen_term *t = term_of(acc_wl, doc->hits[i].term);

			decode_planted(doc, doc->body + doc->hits[i].at, doc->hits[i].at_len, dec,
			               sizeof(dec));
			if (gen_fold_hash(dec, strlen(dec)) !=
			    gen_fold_hash(t->text, strlen(t->text))) {
				fprintf(stderr, "\njson at: '%.*s' -> '%s', want '%s'\n",
				        (int)doc->hits[i].at_len, doc->body + doc->hits[i].at, dec,
				        t->text);
				CU_FAIL("at/at_len do not point at the planted term");
			}
			hits++;
		}
		gen_doc_free(doc);
	}
	CU_ASSERT(hits > 20);
	gen_content_free(gc);
}

/* ---- windows-1251 ---- */

static void
test_cp1251_bytes_and_declaration(void)
{
	struct gen_content_opts o = {
		.items_min = 5, .items_max = 10, .hit_rate = 1.0, .near_miss_rate = 0.3
	};
	struct gen_content *gc = gen_content_create(&o, acc_wl);
	struct gen_rng r = { 51 };
	uint32_t d, cyr = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(gc);
	for (d = 0; d < 40; d++) {
		enum gen_cs_decl decl = (enum gen_cs_decl)(d % 3);
		struct gen_doc *doc =
		        gen_content_doc(gc, &r, (enum gen_format)(d % 5), GEN_CS_CP1251, decl);
		bool prolog, header;
		size_t i;

		CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
		for (i = 0; i < doc->len; i++) {
			CU_ASSERT(doc->body[i] != 0x98 && doc->body[i] != 0);
		}
		/* the body is not NUL-terminated: search within its length */
		prolog = memmem(doc->body, doc->len, "encoding=\"windows-1251\"",
		                strlen("encoding=\"windows-1251\"")) != NULL;
		header = strstr(doc->content_type, "charset=windows-1251") != NULL;
		CU_ASSERT(prolog == (decl != GEN_CSD_HEADER));
		CU_ASSERT(header == (decl != GEN_CSD_PROLOG));
		for (i = 0; i < doc->n_hits; i++) {
			const struct gen_hit *h = &doc->hits[i];
			const struct gen_term *t = term_of(acc_wl, h->term);
			char dec[1024];

			CU_ASSERT(gen_cs_has_all(GEN_CS_CP1251, t->text));
			decode_planted(doc, doc->body + h->at, h->at_len, dec, sizeof(dec));
			CU_ASSERT(gen_fold_hash(dec, strlen(dec)) ==
			          gen_fold_hash(t->text, strlen(t->text)));
			cyr += !t->ascii;
		}
		gen_doc_free(doc);
	}
	CU_ASSERT(cyr > 5);
	gen_content_free(gc);
}

/* ---- CSV text ---- */

static void
test_csv_rows_with_terms_are_rejected_and_truth_holds(void)
{
	char path[256];
	struct gen_content_opts o = {
		.items_min = 5, .items_max = 10, .hit_rate = 0.6, .near_miss_rate = 0.4
	};
	struct gen_content *gc;
	uint32_t rows, rej, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/news.csv", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (i = 0; i < 200; i++) {
		const char *t = acc_wl->terms[i].text;

		if (i % 10 == 0) {
			/* a row that mentions a term: must never become background */
			fprintf(f,
			        "\"2\",\"Talks with %s resume\",\"Delegates met %s on day %u.\"\n",
			        t, t, i);
		} else {
			fprintf(f,
			        "\"3\",\"Stocks \"\"edge\"\" higher #39;%u\",\"Shares rose "
			        "slightly as traders weighed\\\\data; volume was thin (%u).\"\n",
			        i, i);
		}
	}
	fclose(f);
	o.csv = path;
	gc = gen_content_create(&o, acc_wl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(gc);
	gen_content_csv_stats(gc, &rows, &rej);
	CU_ASSERT_EQUAL(rows, 200);
	CU_ASSERT_EQUAL(rej, 20);
	check_docs(gc, acc_wl, acc_set, 31, GEN_FMT_RSS2, GEN_CS_UTF8, GEN_CSD_PROLOG, 10, NULL);
	check_docs(gc, acc_wl, acc_set, 32, GEN_FMT_ATOM_HTML, GEN_CS_LATIN1, GEN_CSD_BOTH, 10,
	           NULL);
	gen_content_free(gc);
}

static void
test_feeds_dir_text_comes_from_real_feeds(void)
{
	char dir[256], path[300];
	struct gen_content_opts o = {
		.items_min = 3, .items_max = 6, .hit_rate = 0.6, .near_miss_rate = 0.4
	};
	struct gen_content *gc;
	uint32_t rows, rej, i;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/feeds", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/a.rss", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("<rss><channel><title>A</title>", f);
	for (i = 0; i < 30; i++) {
		fprintf(f,
		        "<item><title>Harbour works item %u</title><description>&lt;p&gt;The "
		        "council said the works would finish by spring (%u).&lt;/p&gt;"
		        "</description></item>",
		        i, i);
	}
	/* an item that mentions a term: never background */
	fprintf(f,
	        "<item><title>Talks with %s</title><description>More on %s.</description>"
	        "</item></channel></rss>",
	        acc_wl->terms[0].text, acc_wl->terms[0].text);
	fclose(f);
	snprintf(path, sizeof(path), "%s/b.atom", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>Rail timetable "
	      "changes</title><summary>Trains will run less often on Sundays.</summary></entry>"
	      "</feed>",
	      f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("not a feed", f);
	fclose(f);

	o.feeds_dir = dir;
	gc = gen_content_create(&o, acc_wl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(gc);
	gen_content_csv_stats(gc, &rows, &rej);
	CU_ASSERT_EQUAL(rows, 32);
	CU_ASSERT_EQUAL(rej, 1);
	check_docs(gc, acc_wl, acc_set, 41, GEN_FMT_RSS2, GEN_CS_UTF8, GEN_CSD_PROLOG, 10, NULL);
	check_docs(gc, acc_wl, acc_set, 42, GEN_FMT_ATOM_TEXT, GEN_CS_LATIN1, GEN_CSD_BOTH, 10,
	           NULL);
	gen_content_free(gc);

	o.feeds_dir = "/nonexistent/feeds";
	CU_ASSERT_PTR_NULL(gen_content_create(&o, acc_wl));
}

/* ---- suites ---- */

static int
suite_init(void)
{
	if (guard_mkdtemp(tmpdir) != 0) {
		return -1;
	}
	acc_wl = make_wl(2024, 3000, 12);
	if (acc_wl == NULL) {
		return -1;
	}
	{
		char dir[256], *err = NULL;
		const char *path = dir;

		snprintf(dir, sizeof(dir), "%s/acc", tmpdir);
		if (gen_wl_write(acc_wl, dir) != 0) {
			return -1;
		}
		acc_set = wl_set_load(&path, 1, &err);
		if (acc_set == NULL) {
			fprintf(stderr, "wl_set_load: %s\n", err);
			free(err);
			return -1;
		}
	}
	return 0;
}

static int
suite_clean(void)
{
	wl_set_free(acc_set);
	gen_wl_free(acc_wl);
	return guard_rmtree(tmpdir);
}

int
main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	s = CU_add_suite("gen_content", suite_init, suite_clean);
	CU_add_test(s, "wl_100_terms_load_in_feedwatch", test_wl_100_terms_load_in_feedwatch);
	CU_add_test(s, "wl_10000_terms_load_in_feedwatch", test_wl_10000_terms_load_in_feedwatch);
	CU_add_test(s, "wl_scales_to_100000_unique_terms", test_wl_scales_to_100000_unique_terms);
	CU_add_test(s, "wl_same_seed_same_terms", test_wl_same_seed_same_terms);
	CU_add_test(s, "wl_yaml_escapes_quotes_and_backslashes",
	            test_wl_yaml_escapes_quotes_and_backslashes);
	CU_add_test(s, "rss2_hits_found_exactly_as_planted",
	            test_rss2_hits_found_exactly_as_planted);
	CU_add_test(s, "rdf_hits_found_exactly_as_planted", test_rdf_hits_found_exactly_as_planted);
	CU_add_test(s, "atom_text_hits_found_exactly_as_planted",
	            test_atom_text_hits_found_exactly_as_planted);
	CU_add_test(s, "atom_html_hits_found_exactly_as_planted",
	            test_atom_html_hits_found_exactly_as_planted);
	CU_add_test(s, "atom_xhtml_hits_found_exactly_as_planted",
	            test_atom_xhtml_hits_found_exactly_as_planted);
	CU_add_test(s, "near_misses_alone_never_alert", test_near_misses_alone_never_alert);
	CU_add_test(s, "ascii_only_plants_only_ascii_terms",
	            test_ascii_only_plants_only_ascii_terms);
	CU_add_test(s, "same_seed_same_bytes", test_same_seed_same_bytes);
	CU_add_test(s, "hosts_unique_per_document", test_hosts_unique_per_document);
	CU_add_test(s, "json_feed_is_valid_json", test_json_feed_is_valid_json);
	CU_add_test(s, "cp1251_bytes_and_declaration", test_cp1251_bytes_and_declaration);
	CU_add_test(s, "csv_rows_with_terms_are_rejected_and_truth_holds",
	            test_csv_rows_with_terms_are_rejected_and_truth_holds);
	CU_add_test(s, "feeds_dir text comes from real feeds",
	            test_feeds_dir_text_comes_from_real_feeds);
	return guard_run_tests();
}
