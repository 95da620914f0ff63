#include "match/watchlist.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

#define WL_DIR "../data/watchlists/"

/* What the callback saw, copied out (a wl_match is valid during the call only). */
#define MAX_SEEN 8
struct seen {
	int calls;
	struct {
		uint32_t wl_idx;
		const char *name; /* lives as long as the set */
		uint32_t n_hits;
		uint32_t dropped;
		struct wl_hit hits[WL_MAX_HITS];
	} m[MAX_SEEN];
};

static void
collect(void *arg, const struct wl_match *m)
{
	struct seen *s = arg;

	if (s->calls < MAX_SEEN) {
		s->m[s->calls].wl_idx = m->wl_idx;
		s->m[s->calls].name = m->info->name;
		s->m[s->calls].n_hits = m->n_hits;
		s->m[s->calls].dropped = m->n_hits_dropped;
		memcpy(s->m[s->calls].hits, m->hits, m->n_hits * sizeof(m->hits[0]));
	}
	s->calls++;
}

static struct wl_set *
load1(const char *path)
{
	char *err = NULL;
	struct wl_set *set = wl_set_load(&path, 1, &err);

	if (set == NULL) {
		fprintf(stderr, "\nload %s: %s\n", path, err);
	}
	CU_ASSERT_PTR_NULL(err);
	free(err);
	return set;
}

/* An item whose fields sit right before guard pages. */
struct gitem {
	struct wl_item it;
	uint8_t *buf[WL_FIELD__MAX];
};

static void
gitem_set(struct gitem *g, enum wl_field f, const char *text)
{
	g->buf[f] = guard_dup(text, strlen(text));
	g->it.field[f].ptr = g->buf[f];
	g->it.field[f].len = strlen(text);
}

static void
gitem_free(struct gitem *g)
{
	int f;

	for (f = 0; f < WL_FIELD__MAX; f++) {
		guard_free(g->buf[f]);
	}
	memset(g, 0, sizeof(*g));
}

/* Scans one field's text with the set; returns wl_scan's result. */
static int
scan1(const struct wl_set *set, enum wl_field f, const char *text, struct seen *out)
{
	struct wl_scratch *s = wl_scratch_alloc(set);
	struct counters c;
	struct gitem g;
	int rc;

	memset(&g, 0, sizeof(g));
	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	gitem_set(&g, f, text);
	rc = wl_scan(set, s, &g.it, &c, collect, out);
	gitem_free(&g);
	wl_scratch_free(s);
	return rc;
}

static void
test_loads_russia_diplomacy_metadata(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	const struct wl_info *in;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(wl_set_count(set), 1);
	in = wl_set_info(set, 0);
	CU_ASSERT_STRING_EQUAL(in->name, "russia-diplomacy");
	CU_ASSERT_STRING_EQUAL(in->severity, "high");
	CU_ASSERT_EQUAL_FATAL(in->n_tags, 2);
	CU_ASSERT_STRING_EQUAL(in->tags[0], "geopolitics");
	CU_ASSERT_STRING_EQUAL(in->tags[1], "russia");
	CU_ASSERT_STRING_EQUAL(in->file, WL_DIR "valid/russia-diplomacy.yaml");
	/* six entity names + phrase + regex + Moscow + NATO */
	CU_ASSERT_EQUAL(in->n_terms, 10);
	CU_ASSERT_EQUAL(wl_set_terms(set), 10);
	CU_ASSERT(wl_set_db_bytes(set) > 0);
	CU_ASSERT_PTR_NULL(wl_set_info(set, 1));
	wl_set_free(set);
}

static void
test_severity_defaults_to_medium(void)
{
	struct wl_set *set = load1(WL_DIR "two/b-energy.yml");

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_STRING_EQUAL(wl_set_info(set, 0)->severity, "medium");
	wl_set_free(set);
}

static void
test_entity_name_hits_summary_with_field_and_offset(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "The minister met Lavrov today.", &s), 1);
	CU_ASSERT_EQUAL_FATAL(s.calls, 1);
	CU_ASSERT_EQUAL(s.m[0].wl_idx, 0);
	CU_ASSERT_STRING_EQUAL(s.m[0].name, "russia-diplomacy");
	CU_ASSERT_EQUAL_FATAL(s.m[0].n_hits, 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "Lavrov");
	CU_ASSERT_EQUAL(s.m[0].hits[0].field, WL_FIELD_SUMMARY);
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 17);
	CU_ASSERT_EQUAL(s.m[0].dropped, 0);
	wl_set_free(set);
}

static void
test_full_name_and_surname_both_hit_in_offset_order(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_CONTENT, "Talks with Sergei Lavrov.", &s), 1);
	CU_ASSERT_EQUAL_FATAL(s.m[0].n_hits, 2);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "Sergei Lavrov");
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 11);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[1].term, "Lavrov");
	CU_ASSERT_EQUAL(s.m[0].hits[1].offset, 18);
	CU_ASSERT_EQUAL(s.m[0].hits[1].field, WL_FIELD_CONTENT);
	wl_set_free(set);
}

static void
test_ascii_terms_match_case_insensitively(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_TITLE, "LAVROV SPEAKS", &s), 1);
	CU_ASSERT_EQUAL_FATAL(s.calls, 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "Lavrov");
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 0);
	wl_set_free(set);
}

static void
test_cyrillic_terms_fold_case_in_utf8(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	/* "Заявил ЛАВРОВ": 12 bytes of Cyrillic + a space before the name */
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "Заявил ЛАВРОВ.", &s), 1);
	CU_ASSERT_EQUAL_FATAL(s.calls, 1);
	CU_ASSERT_EQUAL_FATAL(s.m[0].n_hits, 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "Лавров");
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 13);
	/* a Cyrillic letter before the name is part of the word */
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "ЖЛавров", &s), 0);
	wl_set_free(set);
}

static void
test_whole_word_rejects_longer_words_accepts_possessive(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "Lavrovsky and unLavrov", &s), 0);
	CU_ASSERT_EQUAL(s.calls, 0);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "Lavrov_x Lavrov2", &s), 0);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "Lavrov's remarks", &s), 1);
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 0);
	/* U+2019 and U+00AB are punctuation, not word characters */
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY,
	                      "\xc2\xab"
	                      "Lavrov\xe2\x80\x99s",
	                      &s),
	                1);
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 2);
	wl_set_free(set);
}

static void
test_title_scoped_term_ignores_summary(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "Talks held in Moscow", &s), 0);
	CU_ASSERT_EQUAL(s.calls, 0);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_TITLE, "Foreign Secretary arrives in Moscow", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "Moscow");
	CU_ASSERT_EQUAL(s.m[0].hits[0].field, WL_FIELD_TITLE);
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 29);
	wl_set_free(set);
}

static void
test_cs_term_is_case_sensitive(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "the nato summit, Nato", &s), 0);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "the NATO summit", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "cs:NATO");
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 4);
	wl_set_free(set);
}

static void
test_regex_spans_several_spaces_with_start_offset(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_CONTENT, "and north   \tKorea.", &s), 1);
	CU_ASSERT_EQUAL_FATAL(s.m[0].n_hits, 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "North\\s+Korea");
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 4);
	CU_ASSERT_EQUAL(s.m[0].hits[0].field, WL_FIELD_CONTENT);
	wl_set_free(set);
}

static void
test_phrase_matches_with_single_spaces(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "on the iran NUCLEAR deal.", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "Iran nuclear deal");
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 7);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "on the Iran nuclear dealings", &s), 0);
	wl_set_free(set);
}

static void
test_two_watchlists_called_in_watchlist_order(void)
{
	const char *dir = WL_DIR "two";
	struct wl_set *set = load1(dir);
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL_FATAL(wl_set_count(set), 2);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "Pipeline gas prices", &s), 2);
	CU_ASSERT_EQUAL_FATAL(s.calls, 2);
	CU_ASSERT_STRING_EQUAL(s.m[0].name, "sanctions");
	CU_ASSERT_EQUAL(s.m[0].wl_idx, 0);
	CU_ASSERT_EQUAL_FATAL(s.m[0].n_hits, 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "gas");
	CU_ASSERT_STRING_EQUAL(s.m[1].name, "energy");
	CU_ASSERT_EQUAL(s.m[1].wl_idx, 1);
	CU_ASSERT_EQUAL_FATAL(s.m[1].n_hits, 2);
	CU_ASSERT_STRING_EQUAL(s.m[1].hits[0].term, "pipeline");
	CU_ASSERT_EQUAL(s.m[1].hits[0].offset, 0);
	CU_ASSERT_STRING_EQUAL(s.m[1].hits[1].term, "gas");
	CU_ASSERT_EQUAL(s.m[1].hits[1].offset, 9);
	/* case-sensitive, body-scoped Gazprom only in sanctions; energy's is caseless */
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_CONTENT, "gazprom", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].name, "energy");
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_TITLE, "Gazprom", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].name, "energy");
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "Gazprom", &s), 2);
	wl_set_free(set);
}

static void
test_no_hits_no_callback_and_counters(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct wl_scratch *sc;
	struct counters c;
	struct gitem g;
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	sc = wl_scratch_alloc(set);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	memset(&g, 0, sizeof(g));
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	gitem_set(&g, WL_FIELD_TITLE, "Weather");
	gitem_set(&g, WL_FIELD_SUMMARY, "Sunny in Paris");
	CU_ASSERT_EQUAL(wl_scan(set, sc, &g.it, &c, collect, &s), 0);
	CU_ASSERT_EQUAL(s.calls, 0);
	CU_ASSERT_EQUAL(c.v[CNT_match_items_scanned], 1);
	CU_ASSERT(c.v[CNT_match_bytes_scanned] >= 21);
	CU_ASSERT_EQUAL(c.v[CNT_match_items_matched], 0);
	gitem_free(&g);
	gitem_set(&g, WL_FIELD_AUTHOR, "Lavrov"); /* author is outside 'any' */
	gitem_set(&g, WL_FIELD_URL, "http://x/lavrov");
	CU_ASSERT_EQUAL(wl_scan(set, sc, &g.it, &c, collect, &s), 0);
	gitem_free(&g);
	gitem_set(&g, WL_FIELD_TITLE, "Lavrov");
	CU_ASSERT_EQUAL(wl_scan(set, sc, &g.it, &c, collect, &s), 1);
	CU_ASSERT_EQUAL(c.v[CNT_match_items_scanned], 3);
	CU_ASSERT_EQUAL(c.v[CNT_match_items_matched], 1);
	gitem_free(&g);
	wl_scratch_free(sc);
	wl_set_free(set);
}

static void
test_hits_truncated_at_max_keep_first(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	struct wl_scratch *sc;
	struct counters c;
	struct gitem g;
	struct seen s;
	char text[512] = "";
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	for (i = 0; i < WL_MAX_HITS + 4; i++) {
		strcat(text, "Lavrov ");
	}
	sc = wl_scratch_alloc(set);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	memset(&g, 0, sizeof(g));
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	gitem_set(&g, WL_FIELD_CONTENT, text);
	CU_ASSERT_EQUAL(wl_scan(set, sc, &g.it, &c, collect, &s), 1);
	CU_ASSERT_EQUAL_FATAL(s.m[0].n_hits, WL_MAX_HITS);
	CU_ASSERT_EQUAL(s.m[0].dropped, 4);
	CU_ASSERT_EQUAL(c.v[CNT_match_hits_truncated], 4);
	for (i = 0; i < WL_MAX_HITS; i++) {
		CU_ASSERT_EQUAL(s.m[0].hits[i].offset, (uint32_t)(7 * i));
	}
	/* state is reset between scans */
	memset(&s, 0, sizeof(s));
	gitem_free(&g);
	gitem_set(&g, WL_FIELD_CONTENT, "Lavrov");
	CU_ASSERT_EQUAL(wl_scan(set, sc, &g.it, &c, collect, &s), 1);
	CU_ASSERT_EQUAL(s.m[0].n_hits, 1);
	CU_ASSERT_EQUAL(s.m[0].dropped, 0);
	gitem_free(&g);
	wl_scratch_free(sc);
	wl_set_free(set);
}

static void
test_field_scopes_and_straddling(void)
{
	struct wl_set *set = load1(WL_DIR "misc/fields.yaml");
	struct wl_scratch *sc;
	struct counters c;
	struct gitem g;
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_HOST, "www.example.org", &s), 1);
	CU_ASSERT_EQUAL(s.m[0].hits[0].field, WL_FIELD_HOST);
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 4);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_TITLE, "example", &s), 0);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_URL, "http://a/secret/", &s), 1);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_CONTENT, "secret", &s), 0);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_AUTHOR, "John Smith", &s), 1);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_AUTHOR, "Smithson", &s), 0);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_CATEGORY, "World/Politics", &s), 1);
	/* 'any' is title + summary + content, never url or host */
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_URL, "http://anywhere/", &s), 0);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_CONTENT, "somewhereanywhere", &s), 1);
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 9);
	/* body = summary + content */
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_TITLE, "Київ", &s), 0);
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "у КИЇВ", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "Київ");

	/* a regex may not match across the separator between two fields */
	sc = wl_scratch_alloc(set);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	memset(&g, 0, sizeof(g));
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	gitem_set(&g, WL_FIELD_TITLE, "in Moscow");
	gitem_set(&g, WL_FIELD_SUMMARY, "talks begin");
	CU_ASSERT_EQUAL(wl_scan(set, sc, &g.it, &c, collect, &s), 0);
	gitem_free(&g);
	gitem_set(&g, WL_FIELD_SUMMARY, "Moscow talks begin");
	CU_ASSERT_EQUAL(wl_scan(set, sc, &g.it, &c, collect, &s), 1);
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 0);
	gitem_free(&g);
	wl_scratch_free(sc);
	wl_set_free(set);
}

static void
test_regex_reports_one_hit_per_start(void)
{
	struct wl_set *set = load1(WL_DIR "misc/fields.yaml");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	/* 'sanction\w*' ends at both "sanction" and "sanctions" */
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_SUMMARY, "new sanctions", &s), 1);
	CU_ASSERT_EQUAL(s.m[0].n_hits, 1);
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 4);
	wl_set_free(set);
}

static void
test_truncation_keeps_earliest_start_not_earliest_report(void)
{
	struct wl_set *set = load1(WL_DIR "misc/fields.yaml");
	char text[512] = "alpha ";
	struct seen s;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	for (i = 0; i < WL_MAX_HITS; i++) {
		strcat(text, "beta ");
	}
	strcat(text, "omega");
	/* the regex is reported last (at its end) but starts first */
	CU_ASSERT_EQUAL(scan1(set, WL_FIELD_CONTENT, text, &s), 1);
	CU_ASSERT_EQUAL_FATAL(s.m[0].n_hits, WL_MAX_HITS);
	CU_ASSERT_EQUAL(s.m[0].dropped, 1);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[0].term, "alpha[^!]*omega");
	CU_ASSERT_EQUAL(s.m[0].hits[0].offset, 0);
	CU_ASSERT_STRING_EQUAL(s.m[0].hits[1].term, "beta");
	CU_ASSERT_EQUAL(s.m[0].hits[1].offset, 6);
	CU_ASSERT_EQUAL(s.m[0].hits[WL_MAX_HITS - 1].offset, 6 + 5 * (WL_MAX_HITS - 2));
	wl_set_free(set);
}

static void
test_oversized_item_is_cut_and_counted(void)
{
	struct wl_set *set = load1(WL_DIR "valid/russia-diplomacy.yaml");
	size_t big = 300 * 1024, i;
	char *text = malloc(big + 1);
	struct wl_scratch *sc;
	struct counters c;
	struct gitem g;
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	/* two-byte Cyrillic letters with an odd prefix so the cut falls mid code point */
	text[0] = 'x';
	for (i = 1; i + 1 < big; i += 2) {
		memcpy(text + i, "ж", 2);
	}
	text[i] = 0;
	memcpy(text + 1000, " Lavrov ", 8);
	sc = wl_scratch_alloc(set);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	memset(&g, 0, sizeof(g));
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	gitem_set(&g, WL_FIELD_CONTENT, text);
	gitem_set(&g, WL_FIELD_TITLE, "Lavrov");
	CU_ASSERT_EQUAL(wl_scan(set, sc, &g.it, &c, collect, &s), 1);
	CU_ASSERT_EQUAL(c.v[CNT_match_item_truncated], 1);
	CU_ASSERT(c.v[CNT_match_bytes_scanned] <= 256 * 1024 + WL_FIELD__MAX);
	CU_ASSERT_EQUAL_FATAL(s.m[0].n_hits, 2);
	CU_ASSERT_EQUAL(s.m[0].hits[0].field, WL_FIELD_TITLE);
	CU_ASSERT_EQUAL(s.m[0].hits[1].field, WL_FIELD_CONTENT);
	CU_ASSERT_EQUAL(s.m[0].hits[1].offset, 1001);
	gitem_free(&g);
	free(text);
	wl_scratch_free(sc);
	wl_set_free(set);
}

/* Loading <paths> fails with exactly <want>. */
static void
expect_error(const char *const *paths, size_t n, const char *want)
{
	char *err = NULL;
	struct wl_set *set = wl_set_load(paths, n, &err);

	CU_ASSERT_PTR_NULL(set);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	if (strcmp(err, want) != 0) {
		fprintf(stderr, "\n got: %s\nwant: %s\n", err, want);
	}
	CU_ASSERT_STRING_EQUAL(err, want);
	free(err);
	wl_set_free(set);
}

static void
expect_error1(const char *path, const char *want)
{
	expect_error(&path, 1, want);
}

static void
test_error_unknown_key(void)
{
	expect_error1(WL_DIR "bad/unknown-key.yaml", WL_DIR
	              "bad/unknown-key.yaml:3:1: unknown key 'termz' (name, version, severity, "
	              "tags, defaults, entities, lists, terms, queries, patterns, threshold)");
}

static void
test_error_bad_severity(void)
{
	expect_error1(WL_DIR "bad/bad-severity.yaml",
	              WL_DIR "bad/bad-severity.yaml:2:13: unknown severity 'urgent' (info, low, "
	                     "medium, high, critical)");
}

static void
test_error_missing_name(void)
{
	expect_error1(WL_DIR "bad/missing-name.yaml",
	              WL_DIR "bad/missing-name.yaml:3:1: missing name");
}

static void
test_error_bad_name(void)
{
	expect_error1(WL_DIR "bad/bad-name.yaml",
	              WL_DIR "bad/bad-name.yaml:1:7: invalid name 'Russia Diplomacy' (use a-z 0-9 "
	                     ". _ -)");
}

static void
test_error_bad_field(void)
{
	expect_error1(WL_DIR "bad/bad-field.yaml",
	              WL_DIR "bad/bad-field.yaml:4:27: unknown field 'headline' (title, body, "
	                     "author, category, url, host, any)");
}

static void
test_error_unknown_entity(void)
{
	expect_error1(WL_DIR "bad/unknown-entity.yaml",
	              WL_DIR "bad/unknown-entity.yaml:7:7: unknown entity '@person/putin'");
}

static void
test_queries_and_patterns_load(void)
{
	struct wl_set *set = load1(WL_DIR "bad/queries.yaml");

	CU_ASSERT_PTR_NOT_NULL(set);
	wl_set_free(set);
	expect_error1(WL_DIR "bad/patterns.yaml",
	              WL_DIR "bad/patterns.yaml:4:14: threshold 4 can never be reached: the "
	                     "positive weights add up to 1");
}

static void
test_error_bad_regex_names_its_position(void)
{
	const char *path = WL_DIR "bad/bad-regex.yaml";
	const char *want = WL_DIR "bad/bad-regex.yaml:5:12: invalid regex 'unbalanced (paren': ";
	char *err = NULL;

	CU_ASSERT_PTR_NULL(wl_set_load(&path, 1, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	if (strncmp(err, want, strlen(want)) != 0) {
		fprintf(stderr, "\n got: %s\nwant: %s...\n", err, want);
	}
	CU_ASSERT_NSTRING_EQUAL(err, want, strlen(want));
	CU_ASSERT(strlen(err) > strlen(want)); /* Hyperscan's reason follows */
	free(err);
}

static void
test_error_empty_and_nul_terms(void)
{
	expect_error1(WL_DIR "bad/empty-term.yaml", WL_DIR "bad/empty-term.yaml:4:5: empty term");
	expect_error1(WL_DIR "bad/nul-term.yaml",
	              WL_DIR "bad/nul-term.yaml:3:5: a term contains a NUL byte");
}

static void
test_error_yaml_syntax_has_position(void)
{
	const char *path = WL_DIR "bad/syntax.yaml";
	const char *want = WL_DIR "bad/syntax.yaml:3:1: ";
	char *err = NULL;

	CU_ASSERT_PTR_NULL(wl_set_load(&path, 1, &err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	if (strncmp(err, want, strlen(want)) != 0) {
		fprintf(stderr, "\n got: %s\nwant: %s...\n", err, want);
	}
	CU_ASSERT_NSTRING_EQUAL(err, want, strlen(want));
	free(err);
}

static void
test_error_duplicate_names_across_files(void)
{
	const char *const paths[] = { WL_DIR "dup/one.yaml", WL_DIR "dup/two.yaml" };
	const char *dir = WL_DIR "dup";
	const char *want =
	        WL_DIR "dup/two.yaml:3:7: duplicate watchlist name 'same-name' (also in " WL_DIR
	               "dup/one.yaml:1:7)";

	expect_error(paths, 2, want);
	expect_error(&dir, 1, want);
}

static void
test_error_missing_path(void)
{
	expect_error1(WL_DIR "nope.yaml", WL_DIR "nope.yaml: No such file or directory");
}

static void
test_directory_loads_yaml_and_yml_in_name_order(void)
{
	const char *const paths[] = { WL_DIR "two", WL_DIR "valid/russia-diplomacy.yaml" };
	char *err = NULL;
	struct wl_set *set = wl_set_load(paths, 2, &err);

	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	/* notes.txt and .hidden.yaml are skipped */
	CU_ASSERT_EQUAL_FATAL(wl_set_count(set), 3);
	CU_ASSERT_STRING_EQUAL(wl_set_info(set, 0)->name, "sanctions");
	CU_ASSERT_STRING_EQUAL(wl_set_info(set, 0)->file, WL_DIR "two/a-sanctions.yaml");
	CU_ASSERT_STRING_EQUAL(wl_set_info(set, 1)->name, "energy");
	CU_ASSERT_STRING_EQUAL(wl_set_info(set, 2)->name, "russia-diplomacy");
	CU_ASSERT_EQUAL(wl_set_terms(set), 3 + 3 + 10);
	wl_set_free(set);
}

static void
test_empty_directory_is_an_empty_set(void)
{
	const char *dir = WL_DIR "empty";
	char *err = NULL;
	struct wl_set *set = wl_set_load(&dir, 1, &err);
	struct wl_scratch *sc;
	struct counters c;
	struct gitem g;
	struct seen s;

	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(wl_set_count(set), 0);
	CU_ASSERT_EQUAL(wl_set_terms(set), 0);
	CU_ASSERT_EQUAL(wl_set_db_bytes(set), 0);
	sc = wl_scratch_alloc(set);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	memset(&g, 0, sizeof(g));
	memset(&c, 0, sizeof(c));
	memset(&s, 0, sizeof(s));
	gitem_set(&g, WL_FIELD_TITLE, "Lavrov");
	CU_ASSERT_EQUAL(wl_scan(set, sc, &g.it, &c, collect, &s), 0);
	CU_ASSERT_EQUAL(s.calls, 0);
	gitem_free(&g);
	wl_scratch_free(sc);
	wl_set_free(set);
	/* and zero paths too */
	set = wl_set_load(NULL, 0, &err);
	CU_ASSERT_PTR_NOT_NULL(set);
	wl_set_free(set);
}

static void
test_free_accepts_null(void)
{
	wl_set_free(NULL);
	wl_scratch_free(NULL);
	CU_ASSERT_STRING_EQUAL(wl_field_name(WL_FIELD_SUMMARY), "summary");
	CU_ASSERT_STRING_EQUAL(wl_field_name(WL_FIELD_HOST), "host");
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("watchlist", NULL, NULL);
	CU_add_test(s, "loads russia-diplomacy metadata", test_loads_russia_diplomacy_metadata);
	CU_add_test(s, "severity defaults to medium", test_severity_defaults_to_medium);
	CU_add_test(s, "entity name hits summary with field and offset",
	            test_entity_name_hits_summary_with_field_and_offset);
	CU_add_test(s, "full name and surname both hit in offset order",
	            test_full_name_and_surname_both_hit_in_offset_order);
	CU_add_test(s, "ascii terms match case-insensitively",
	            test_ascii_terms_match_case_insensitively);
	CU_add_test(s, "cyrillic terms fold case in utf8", test_cyrillic_terms_fold_case_in_utf8);
	CU_add_test(s, "whole word rejects longer words, accepts possessive",
	            test_whole_word_rejects_longer_words_accepts_possessive);
	CU_add_test(s, "title-scoped term ignores summary", test_title_scoped_term_ignores_summary);
	CU_add_test(s, "cs: term is case-sensitive", test_cs_term_is_case_sensitive);
	CU_add_test(s, "regex spans several spaces with start offset",
	            test_regex_spans_several_spaces_with_start_offset);
	CU_add_test(s, "phrase matches with single spaces", test_phrase_matches_with_single_spaces);
	CU_add_test(s, "two watchlists called in watchlist order",
	            test_two_watchlists_called_in_watchlist_order);
	CU_add_test(s, "no hits: no callback; counters", test_no_hits_no_callback_and_counters);
	CU_add_test(s, "hits truncated at WL_MAX_HITS keep the first",
	            test_hits_truncated_at_max_keep_first);
	CU_add_test(s, "field scopes and straddling", test_field_scopes_and_straddling);
	CU_add_test(s, "regex reports one hit per start", test_regex_reports_one_hit_per_start);
	CU_add_test(s, "truncation keeps earliest start, not earliest report",
	            test_truncation_keeps_earliest_start_not_earliest_report);
	CU_add_test(s, "oversized item is cut and counted", test_oversized_item_is_cut_and_counted);
	CU_add_test(s, "error: unknown key", test_error_unknown_key);
	CU_add_test(s, "error: bad severity", test_error_bad_severity);
	CU_add_test(s, "error: missing name", test_error_missing_name);
	CU_add_test(s, "error: bad name", test_error_bad_name);
	CU_add_test(s, "error: bad field", test_error_bad_field);
	CU_add_test(s, "error: unknown entity", test_error_unknown_entity);
	CU_add_test(s, "queries and patterns load", test_queries_and_patterns_load);
	CU_add_test(s, "error: bad regex names its position",
	            test_error_bad_regex_names_its_position);
	CU_add_test(s, "error: empty and NUL terms", test_error_empty_and_nul_terms);
	CU_add_test(s, "error: YAML syntax has a position", test_error_yaml_syntax_has_position);
	CU_add_test(s, "error: duplicate names across files",
	            test_error_duplicate_names_across_files);
	CU_add_test(s, "error: missing path", test_error_missing_path);
	CU_add_test(s, "directory loads yaml and yml in name order",
	            test_directory_loads_yaml_and_yml_in_name_order);
	CU_add_test(s, "empty directory is an empty set", test_empty_directory_is_an_empty_set);
	CU_add_test(s, "free accepts NULL", test_free_accepts_null);
	return guard_run_tests();
}
