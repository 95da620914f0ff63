/*
 * The watchlist language end to end: a YAML text is loaded with
 * wl_set_build() and items are scanned with wl_scan(), so each rule of the
 * language (folding, boundaries, entities, lists, queries, weighted
 * patterns) and each problem report is checked as analysts meet it.
 */
#include "match/watchlist.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"

static char dir[] = "/tmp/fw-wl-lang-XXXXXX";
static int n_files;

/* What the callback saw for one item. */
struct seen {
	int calls;
	char rule[8][128];
	char wl[8][64];
	uint32_t n_hits[8];
	char term[8][WL_MAX_HITS][128];
	enum wl_field field[8][WL_MAX_HITS];
	uint32_t offset[8][WL_MAX_HITS];
};

static void
collect(void *arg, const struct wl_match *m)
{
	struct seen *s = arg;
	int k = s->calls++;
	uint32_t i;

	if (k >= 8) {
		return;
	}
	snprintf(s->rule[k], sizeof(s->rule[k]), "%s", m->rule != NULL ? m->rule : "");
	snprintf(s->wl[k], sizeof(s->wl[k]), "%s", m->info->name);
	s->n_hits[k] = m->n_hits;
	for (i = 0; i < m->n_hits; i++) {
		snprintf(s->term[k][i], sizeof(s->term[k][i]), "%s", m->hits[i].term);
		s->field[k][i] = m->hits[i].field;
		s->offset[k][i] = m->hits[i].offset;
	}
}

/* Writes <yaml> to a fresh file and builds a set from it; diagnostics into <d>. */
static struct wl_set *
build(const char *yaml, struct wl_diags *d, const struct wl_load_opts *o, char *path, size_t cap)
{
	FILE *f;

	snprintf(path, cap, "%s/wl%d.yaml", dir, n_files++);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(yaml, f);
	fclose(f);
	{
		const char *p = path;
		struct wl_set *set = wl_set_build(&p, 1, o, d);

		unlink(path);
		return set;
	}
}

static struct wl_set *
ok(const char *yaml)
{
	struct wl_diags d = { 0 };
	char path[256], line[1400];
	struct wl_set *set = build(yaml, &d, NULL, path, sizeof(path));
	uint32_t i;

	for (i = 0; set == NULL && i < d.n; i++) {
		fprintf(stderr, "\n%s", wl_diag_format(&d.v[i], line, sizeof(line)));
	}
	CU_ASSERT_PTR_NOT_NULL(set);
	wl_diags_clear(&d);
	return set;
}

/* The set must fail with a diagnostic at <line>:<col> whose message contains <want>. */
static void
bad(const char *yaml, uint32_t line, uint32_t col, const char *want)
{
	struct wl_diags d = { 0 };
	char path[256], buf[1400];
	struct wl_set *set = build(yaml, &d, NULL, path, sizeof(path));
	bool found = false;
	uint32_t i;

	CU_ASSERT_PTR_NULL(set);
	wl_set_free(set);
	for (i = 0; i < d.n; i++) {
		if (!d.v[i].warning && d.v[i].line == line && d.v[i].col == col &&
		    strstr(d.v[i].msg, want) != NULL) {
			found = true;
		}
	}
	if (!found) {
		fprintf(stderr, "\nwanted %u:%u: ...%s... got:", line, col, want);
		for (i = 0; i < d.n; i++) {
			fprintf(stderr, "\n  %s", wl_diag_format(&d.v[i], buf, sizeof(buf)));
		}
	}
	CU_ASSERT(found);
	wl_diags_clear(&d);
}

/* Loads fine, with a warning at <line>:<col> containing <want> (NULL: no warning at all). */
static void
warns(const char *yaml, uint32_t line, uint32_t col, const char *want)
{
	struct wl_diags d = { 0 };
	char path[256], buf[1400];
	struct wl_set *set = build(yaml, &d, NULL, path, sizeof(path));
	bool found = false;
	uint32_t i;

	CU_ASSERT_PTR_NOT_NULL(set);
	wl_set_free(set);
	for (i = 0; i < d.n; i++) {
		found |= want != NULL && d.v[i].warning && d.v[i].line == line &&
		         d.v[i].col == col && strstr(d.v[i].msg, want) != NULL;
	}
	if (want == NULL) {
		found = d.n_warnings == 0;
	}
	if (!found) {
		fprintf(stderr, "\nwanted warning %u:%u: %s; got:", line, col,
		        want != NULL ? want : "(none)");
		for (i = 0; i < d.n; i++) {
			fprintf(stderr, "\n  %s", wl_diag_format(&d.v[i], buf, sizeof(buf)));
		}
	}
	CU_ASSERT(found);
	wl_diags_clear(&d);
}

/* Scans an item with <title> and <summary> (NULL: absent). Returns watchlists matched. */
static int
scan2(const struct wl_set *set, const char *title, const char *summary, struct seen *out)
{
	struct wl_scratch *s = wl_scratch_alloc(set);
	struct counters c;
	struct wl_item it;
	uint8_t *t = NULL, *b = NULL;
	int rc;

	memset(&it, 0, sizeof(it));
	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	if (title != NULL) {
		t = guard_dup(title, strlen(title));
		it.field[WL_FIELD_TITLE].ptr = t;
		it.field[WL_FIELD_TITLE].len = strlen(title);
	}
	if (summary != NULL) {
		b = guard_dup(summary, strlen(summary));
		it.field[WL_FIELD_SUMMARY].ptr = b;
		it.field[WL_FIELD_SUMMARY].len = strlen(summary);
	}
	rc = wl_scan(set, s, &it, &c, collect, out);
	guard_free(t);
	guard_free(b);
	wl_scratch_free(s);
	return rc;
}

static int
hits(const char *yaml, const char *text)
{
	struct wl_set *set = ok(yaml);
	struct seen s;
	int rc;

	if (set == NULL) {
		return -1;
	}
	rc = scan2(set, NULL, text, &s);
	wl_set_free(set);
	return rc;
}

#define T(x) "name: t\nterms:\n  - " x "\n"

static void
test_fold_accents_case_sigma_eszett(void)
{
	CU_ASSERT_EQUAL(hits(T("Pérez"), "said Perez today"), 1);
	CU_ASSERT_EQUAL(hits(T("Perez"), "said PÉREZ today"), 1);
	CU_ASSERT_EQUAL(hits(T("Лавров"), "ЗАЯВИЛ ЛАВРОВ"), 1);
	CU_ASSERT_EQUAL(hits(T("ЛАВРОВ"), "заявил лавров"), 1);
	CU_ASSERT_EQUAL(hits(T("Οδυσσεύς"), "Ο ΟΔΥΣΣΕΥΣ ΕΦΥΓΕ"), 1);
	CU_ASSERT_EQUAL(hits(T("Straße"), "in der STRASSE"), 1);
	CU_ASSERT_EQUAL(hits(T("Łódź"), "Lodz council"), 1);
	CU_ASSERT_EQUAL(hits(T("Пётр"), "Петр сказал"), 1);
	CU_ASSERT_EQUAL(hits(T("Iran"), "IRAN said"), 1);
}

static void
test_offsets_are_in_the_unfolded_text(void)
{
	struct wl_set *set = ok(T("Lavrov") "  - Pérez\n");
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	/* "Ещё" folds 6 bytes to 6, "Ŝŝ" 4 to 2: offsets count the item's own bytes */
	CU_ASSERT_EQUAL(scan2(set, NULL, "Ŝŝ Ещё PÉREZ and Lavrov", &s), 1);
	CU_ASSERT_EQUAL_FATAL(s.n_hits[0], 2);
	CU_ASSERT_STRING_EQUAL(s.term[0][0], "Pérez");
	CU_ASSERT_EQUAL(s.offset[0][0], 12);
	CU_ASSERT_STRING_EQUAL(s.term[0][1], "Lavrov");
	CU_ASSERT_EQUAL(s.offset[0][1], 23);
	/* an ASCII head longer than the 32-byte copy blocks, then folded text */
	CU_ASSERT_EQUAL(scan2(set, NULL,
	                      "Lavrov said on Monday, in a long ASCII opening, that Ŝŝ PÉREZ and "
	                      "Lavrov",
	                      &s),
	                1);
	CU_ASSERT_EQUAL_FATAL(s.n_hits[0], 3);
	CU_ASSERT_EQUAL(s.offset[0][0], 0);
	CU_ASSERT_STRING_EQUAL(s.term[0][1], "Pérez");
	CU_ASSERT_EQUAL(s.offset[0][1], 58);
	CU_ASSERT_EQUAL(s.offset[0][2], 69);
	wl_set_free(set);
}

static void
test_cs_and_exact_terms_check_the_original(void)
{
	CU_ASSERT_EQUAL(hits(T("cs:NASA"), "NASA launched"), 1);
	CU_ASSERT_EQUAL(hits(T("cs:NASA"), "Nasa launched"), 0);
	CU_ASSERT_EQUAL(hits(T("'cs:\"Лавров\"'"), "сказал Лавров"), 1);
	CU_ASSERT_EQUAL(hits(T("'cs:\"Лавров\"'"), "сказал ЛАВРОВ"), 0);
	CU_ASSERT_EQUAL(hits(T("'exact:\"c++\"'"), "learn c++ now"), 1);
	CU_ASSERT_EQUAL(hits(T("'exact:\"c++\"'"), "learn C++ now"), 0);
	CU_ASSERT_EQUAL(hits(T("'cs:\"Лавров\"'"),
	                     "a long ASCII opening of more than thirty-two bytes: Лавров"),
	                1);
	CU_ASSERT_EQUAL(hits(T("exact:Pérez"), "said Perez"), 0);
	CU_ASSERT_EQUAL(hits(T("exact:Pérez"), "said Pérez"), 1);
	CU_ASSERT_EQUAL(hits("name: t\ndefaults: {case: sensitive}\nterms: [Iran]\n", "IRAN"), 0);
}

static void
test_word_boundaries_prefix_and_cjk(void)
{
	CU_ASSERT_EQUAL(hits(T("Iran"), "Iranian officials"), 0);
	CU_ASSERT_EQUAL(hits(T("Iran"), "Iran's officials"), 1);
	CU_ASSERT_EQUAL(hits(T("sanction*"), "new sanctions"), 1);
	CU_ASSERT_EQUAL(hits(T("sanction*"), "unsanctioned"), 0);
	CU_ASSERT_EQUAL(hits(T("санкци*"), "новые САНКЦИИ"), 1);
	CU_ASSERT_EQUAL(hits(T("東京"), "在東京都内"), 1);
	CU_ASSERT_EQUAL(hits(T("Москва"), "Москвабад"), 0);
}

static void
test_a_term_never_spans_two_fields(void)
{
	struct wl_set *set = ok(T("Iran nuclear deal"));
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan2(set, "Iran", "nuclear deal", &s), 0);
	CU_ASSERT_EQUAL(scan2(set, "about the Iran nuclear deal", NULL, &s), 1);
	CU_ASSERT_EQUAL(s.field[0][0], WL_FIELD_TITLE);
	CU_ASSERT_EQUAL(s.offset[0][0], 10);
	wl_set_free(set);
}

static void
test_short_caps_lint(void)
{
	warns(T("WHO"), 3, 5, "write cs:WHO");
	warns(T("cs:WHO"), 0, 0, NULL);
	warns(T("NASA"), 3, 5, "'nasa' matches too");
	warns(T("UNESCO"), 0, 0, NULL);
}

static const char ent[] = "name: t\n"
                          "entities:\n"
                          "  - id: place/paris\n"
                          "    names: [Paris]\n"
                          "    exclude_context: [Hilton, \"Paris, Texas\"]\n"
                          "terms: ['@place/paris']\n";

static void
test_entity_exclude_context_cancels_homonyms(void)
{
	CU_ASSERT_EQUAL(hits(ent, "talks in Paris today"), 1);
	CU_ASSERT_EQUAL(hits(ent, "Paris Hilton arrives"), 0);
	CU_ASSERT_EQUAL(hits(ent, "a film, Paris, Texas, shown"), 0);
}

static const char lists[] = "name: t\n"
                            "lists:\n"
                            "  ministers: [Lavrov, Blinken, 'Wang Yi']\n"
                            "  topics: [sanction*, embargo]\n"
                            "terms: ['@list:ministers']\n"
                            "queries:\n"
                            "  - name: ministers-on-sanctions\n"
                            "    q: '@list:ministers NEAR/5 @list:topics'\n";

static void
test_lists_in_terms_and_queries(void)
{
	struct wl_set *set = ok(lists);
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan2(set, NULL, "Wang Yi spoke", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.rule[0], "Wang Yi");
	CU_ASSERT_EQUAL(scan2(set, NULL, "Blinken announced new sanctions", &s), 1);
	/* the terms rule comes first in the file, so it names the alert */
	CU_ASSERT_STRING_EQUAL(s.rule[0], "Blinken");
	CU_ASSERT_EQUAL(s.n_hits[0], 2);
	wl_set_free(set);
	bad("name: t\nterms: ['@list:nope']\n", 2, 9, "unknown list '@list:nope'");
	bad("name: t\nlists:\n  a: [x]\n  a: [y]\nterms: [x]\n", 4, 3, "duplicate list 'a'");
	bad("name: t\nlists:\n  a: ['@list:a']\nterms: ['@list:a']\n", 3, 7, "refers to itself");
}

static const char queries[] =
        "name: q\n"
        "queries:\n"
        "  - name: talks\n"
        "    q: '(\"Foreign Secretary\" OR \"Boris Johnson\") AND (Russia OR Moscow) AND NOT "
        "\"World Cup\"'\n"
        "  - name: nuclear\n"
        "    q: '(Iran OR Tehran) NEAR/3 (nuclear OR uranium)'\n"
        "  - name: ordered\n"
        "    q: 'Lavrov ONEAR/2 visit*'\n"
        "  - name: headline\n"
        "    q: 'title:(Kremlin OR Putin) -opinion'\n";

static void
test_queries_decide_from_hits(void)
{
	struct wl_set *set = ok(queries);
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan2(set, NULL, "The Foreign Secretary flew to Moscow", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.rule[0], "talks");
	CU_ASSERT_EQUAL(s.n_hits[0], 2);
	CU_ASSERT_STRING_EQUAL(s.term[0][0], "\"Foreign Secretary\"");
	CU_ASSERT_EQUAL(s.offset[0][0], 4);
	CU_ASSERT_EQUAL(scan2(set, NULL, "Foreign Secretary in Moscow for the World Cup", &s), 0);
	CU_ASSERT_EQUAL(scan2(set, NULL, "Tehran said its uranium stock", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.rule[0], "nuclear");
	CU_ASSERT_EQUAL(scan2(set, NULL, "Tehran, which everyone agrees has some uranium", &s), 0);
	CU_ASSERT_EQUAL(scan2(set, NULL, "Lavrov will visit Paris", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.rule[0], "ordered");
	CU_ASSERT_EQUAL(scan2(set, NULL, "a visit by Lavrov", &s), 0);
	CU_ASSERT_EQUAL(scan2(set, "Putin speaks", NULL, &s), 1);
	CU_ASSERT_STRING_EQUAL(s.rule[0], "headline");
	CU_ASSERT_EQUAL(scan2(set, NULL, "Putin speaks", &s), 0);
	CU_ASSERT_EQUAL(scan2(set, "Putin speaks: an opinion", NULL, &s), 0);
	wl_set_free(set);
}

static void
test_query_errors_and_warnings_have_file_positions(void)
{
	bad("name: q\nqueries:\n  - name: a\n    q: 'Iran AND nuclear OR uranium'\n", 4, 26,
	    "\"(Iran AND nuclear) OR uranium\"");
	bad("name: q\nqueries:\n  - name: a\n    q: 'Iran AND (nuclear'\n", 4, 18, "");
	bad("name: q\nqueries:\n  - name: a\n    q: 'Iran AND @person/x'\n", 4, 18,
	    "unknown entity '@person/x'");
	bad("name: q\nqueries:\n  - name: a\n    q: x\n  - name: a\n    q: y\n", 5, 11,
	    "duplicate query name 'a'");
	bad("name: q\nqueries:\n  - q: x\n", 3, 5, "a query needs a name");
	bad("name: q\nqueries:\n  - name: a\n    q: 'Iran OR NOT Iraq'\n", 4, 8,
	    "would alert on every item");
	warns("name: q\nqueries:\n  - name: a\n    q: 'Iran w/5 nuclear'\n", 4, 14, "NEAR/5");
}

static const char weighted[] = "name: w\n"
                               "patterns: {Zakharova: 3, \"foreign ministry\": 1, statement: 1,"
                               " football: -5}\n"
                               "threshold: 4\n";

static void
test_weighted_patterns_reach_a_threshold(void)
{
	struct wl_set *set = ok(weighted);
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan2(set, NULL, "Zakharova issued a statement", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.rule[0], "patterns");
	CU_ASSERT_EQUAL(s.n_hits[0], 2);
	/* a pattern counts once however often it hits */
	CU_ASSERT_EQUAL(scan2(set, NULL, "Zakharova, Zakharova and Zakharova", &s), 0);
	CU_ASSERT_EQUAL(scan2(set, NULL, "Zakharova statement on football", &s), 0);
	wl_set_free(set);
	set = ok("name: w\npatterns:\n  weights: {a1: 2, b2: 2}\n  threshold: 4\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(scan2(set, NULL, "a1 and b2", &s), 1);
	CU_ASSERT_EQUAL(scan2(set, NULL, "a1 and a1", &s), 0);
	wl_set_free(set);
	bad("name: w\npatterns: {a: 1, b: 1}\nthreshold: 4\n", 3, 12, "can never be reached");
	bad("name: w\npatterns: {a: 1}\n", 2, 11, "need a threshold");
	bad("name: w\npatterns: {a: x}\nthreshold: 1\n", 2, 15, "a weight must be a whole number");
	bad("name: w\nthreshold: 1\nterms: [a]\n", 2, 12, "threshold without patterns");
}

static void
test_every_error_in_a_file_is_reported(void)
{
	struct wl_diags d = { 0 };
	char path[256];
	struct wl_set *set = build("name: t\n"
	                           "severity: urgent\n"
	                           "terms:\n"
	                           "  - {text: x, field: headline}\n"
	                           "  - ''\n"
	                           "queries:\n"
	                           "  - name: a\n"
	                           "    q: 'x AND'\n",
	                           &d, NULL, path, sizeof(path));

	CU_ASSERT_PTR_NULL(set);
	CU_ASSERT_EQUAL(d.n_errors, 4);
	wl_diags_clear(&d);
	bad("name: t\ndefaults: {accents: sensitive}\nterms: [x]\n", 2, 21, "exact:");
	bad("name: t\nentities:\n  - id: a\n    names: [x]\n  - id: a\n    names: [y]\n", 5, 9,
	    "duplicate entity 'a'");
	bad("name: t\nterms: [ab*]\n", 2, 9, "at least 3 letters");
}

/* Every message the parser gives, at the position it names. */
static const struct {
	const char *yaml;
	uint32_t line, col;
	const char *msg;
} messages[] = {
	{ "- a\n", 1, 1, "a watchlist must be a mapping (name: ..., terms: ...)" },
	{ "", 1, 1, "empty file (a watchlist needs at least a name)" },
	{ "name: ''\nterms: [x]\n", 1, 7, "empty name" },
	{ "? [a]\n: b\nname: t\n", 1, 3, "keys must be strings" },
	{ "name: t\nname: u\n", 2, 1, "duplicate key 'name'" },
	{ "name: t\nseverity: [high]\n", 2, 11, "severity must be a string" },
	{ "name: t\ntags: x\n", 2, 7, "tags must be a list" },
	{ "name: t\ntags: ['']\n", 2, 8, "empty tag" },
	{ "name: t\ntags: [[a]]\n", 2, 8, "a tag must be a string" },
	{ "name: t\ndefaults: x\n", 2, 11, "defaults must be a mapping" },
	{ "name: t\ndefaults: {case: maybe}\n", 2, 18,
	  "case must be sensitive or insensitive, not 'maybe'" },
	{ "name: t\ndefaults: {whole_word: yes}\n", 2, 24,
	  "whole_word must be true or false, not 'yes'" },
	{ "name: t\ndefaults: {whole_word: [x]}\n", 2, 24, "whole_word must be true or false" },
	{ "name: t\ndefaults: {colour: red}\n", 2, 12,
	  "unknown defaults key 'colour' (case, accents, whole_word)" },
	{ "name: t\nterms: x\n", 2, 8, "terms must be a list" },
	{ "name: t\nterms: [[x]]\n", 2, 9, "a term must be a string" },
	{ "name: t\nterms: [{text: x, regex: y}]\n", 2, 26,
	  "a term has either text or regex, not both" },
	{ "name: t\nterms: [{field: title}]\n", 2, 9, "a term mapping needs text or regex" },
	{ "name: t\nterms: [{text: x, text: y}]\n", 2, 19, "duplicate key 'text'" },
	{ "name: t\nterms: [{text: x, colour: red}]\n", 2, 19,
	  "unknown term key 'colour' (text, regex, field, case, whole_word)" },
	{ "name: t\nterms: [{? [a] : b, text: x}]\n", 2, 12, "term keys must be strings" },
	{ "name: t\nterms: [{text: x, field: [a]}]\n", 2, 26, "field must be a string" },
	{ "name: t\nterms: [{text: [x]}]\n", 2, 16, "text must be a string" },
	{ "name: t\nterms: [{regex: ''}]\n", 2, 17, "empty regex" },
	{ "name: t\nterms: [{regex: [x]}]\n", 2, 17, "regex must be a string" },
	{ "name: t\nterms: [{regex: 'a('}]\n", 2, 17, "invalid regex 'a(': " },
	{ "name: t\nterms: [{regex: 'a*'}]\n", 2, 17, "regex 'a*' can match empty text" },
	{ "name: t\nentities: x\n", 2, 11, "entities must be a list" },
	{ "name: t\nentities: [x]\n", 2, 12,
	  "an entity must be a mapping {id: ..., names: [...]}" },
	{ "name: t\nentities: [{names: [a]}]\n", 2, 12, "an entity needs an id" },
	{ "name: t\nentities: [{id: a}]\n", 2, 12, "entity 'a' needs names" },
	{ "name: t\nentities: [{id: a, names: []}]\n", 2, 27, "names needs at least one entry" },
	{ "name: t\nentities: [{id: a, names: ['']}]\n", 2, 28, "empty entry in names" },
	{ "name: t\nentities: [{id: 'a b', names: [x]}]\n", 2, 17, "an entity id is one word" },
	{ "name: t\nentities: [{id: a, names: [x], nick: y}]\n", 2, 32,
	  "unknown entity key 'nick' (id, names, exclude_context)" },
	{ "name: t\nentities: [{id: a, id: b, names: [x]}]\n", 2, 20, "duplicate key 'id'" },
	{ "name: t\nentities: [{id: a, names: x}]\n", 2, 27, "names must be a list" },
	{ "name: t\nlists: x\n", 2, 8, "lists must be a mapping {name: [term, ...]}" },
	{ "name: t\nlists: {'a b': [x]}\n", 2, 9, "a list name is one word" },
	{ "name: t\nlists: {a: x}\n", 2, 12, "a list must be a list" },
	{ "name: t\nqueries: x\n", 2, 10, "queries must be a list" },
	{ "name: t\nqueries: [x]\n", 2, 11, "a query is a mapping {name: ..., q: '...'}" },
	{ "name: t\nqueries: [{name: a}]\n", 2, 11, "query 'a' needs q: '...'" },
	{ "name: t\nqueries: [{name: a, q: x, why: y}]\n", 2, 27,
	  "unknown query key 'why' (name, q, description)" },
	{ "name: t\nqueries: [{name: a, name: b, q: x}]\n", 2, 21, "duplicate key 'name'" },
	{ "name: t\nqueries: [{name: a, q: 'x OR'}]\n", 2, 27, "query 'a': " },
	{ "name: t\npatterns: x\nthreshold: 1\n", 2, 11,
	  "patterns must be a mapping {pattern: weight, ...}" },
	{ "name: t\npatterns: {weights: x, threshold: 1}\n", 2, 21,
	  "weights must be a mapping {pattern: weight}" },
	{ "name: t\npatterns: {weights: {a: 1}, limit: 1}\n", 2, 29,
	  "unknown patterns key 'limit' (weights, threshold)" },
	{ "name: t\npatterns: {weights: {a: 1}, threshold: 1}\nthreshold: 1\n", 2, 29,
	  "threshold given twice" },
	{ "name: t\npatterns: {weights: {}, threshold: 1}\n", 2, 21, "no patterns" },
	{ "name: t\npatterns: {'': 1}\nthreshold: 1\n", 2, 12,
	  "a pattern must be a non-empty string" },
	{ "name: t\npatterns: {a: 1}\nthreshold: 0\n", 3, 12,
	  "threshold must be a whole number from 1 to 1000000, not '0'" },
	{ "name: t\npatterns: {a: 2000}\nthreshold: 1\n", 2, 15,
	  "a weight must be a whole number from -1000 to 1000, not '2000'" },
	{ "name: t\npatterns: {a: [1]}\nthreshold: 1\n", 2, 15, "a weight must be a whole number" },
	{ "name: t\nterms: ['@x']\n", 2, 9, "unknown entity '@x' (this file has no entities:)" },
	{ "name: t\nterms: [x]\nsynonyms: [y]\n", 3, 1, "unknown key 'synonyms'" },
};

static void
test_every_message_at_its_position(void)
{
	size_t i;

	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		bad(messages[i].yaml, messages[i].line, messages[i].col, messages[i].msg);
	}
	/* and the warnings */
	warns("name: t\npatterns: {a: 1, b: 0}\nthreshold: 1\n", 2, 21,
	      "pattern 'b' has weight 0 and never counts");
	warns("name: t\n", 1, 1, "has no terms, queries or patterns: it never alerts");
}

static void
explain_collect(void *arg, unsigned int depth, bool held, const char *text)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 8192 - n, "%u%c%s\n", depth, held ? '+' : '-', text);
}

static void
test_explain_shows_rules_clauses_and_hits(void)
{
	struct wl_set *set = ok(queries);
	struct wl_scratch *s;
	struct wl_item it;
	char out[8192] = "";
	const char *text = "Tehran said its uranium stock";

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	s = wl_scratch_alloc(set);
	memset(&it, 0, sizeof(it));
	it.field[WL_FIELD_SUMMARY].ptr = (const uint8_t *)text;
	it.field[WL_FIELD_SUMMARY].len = strlen(text);
	CU_ASSERT_EQUAL(wl_scan_explain(set, s, &it, explain_collect, out), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "0+watchlist q: 2 hit(s)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "1+query nuclear\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "1-query talks\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "1+alerts, rule nuclear\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Tehran  summary@0"));
	wl_scratch_free(s);
	wl_set_free(set);
}

static void
test_cache_serves_an_unchanged_set(void)
{
	struct wl_load_opts o = { dir };
	struct wl_diags d = { 0 };
	char path[256];
	struct wl_set *a = build(queries, &d, &o, path, sizeof(path));
	struct wl_set *b = build(queries, &d, &o, path, sizeof(path));
	struct seen s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(!wl_set_from_cache(a));
	CU_ASSERT(wl_set_from_cache(b));
	CU_ASSERT_EQUAL(scan2(b, NULL, "Tehran said its uranium stock", &s), 1);
	CU_ASSERT_STRING_EQUAL(s.rule[0], "nuclear");
	wl_set_free(a);
	wl_set_free(b);
	wl_diags_clear(&d);
}

/* Alerts name the watchlist's version: its own `version:`, else a hash of the file. */
static void
test_version_is_declared_or_the_content_hash(void)
{
	struct wl_set *a = ok("name: v\nversion: 2026-11-28b\nterms: [Moscow]\n");
	struct wl_set *b = ok("name: v\nterms: [Moscow]\n");
	struct wl_set *c = ok("name: v\nterms: [Moscow, Kyiv]\n");
	struct wl_set *b2 = ok("name: v\nterms: [Moscow]\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b2);
	CU_ASSERT_STRING_EQUAL(wl_set_info(a, 0)->version, "2026-11-28b");
	CU_ASSERT_EQUAL(strlen(wl_set_info(b, 0)->version), 8);
	CU_ASSERT_STRING_NOT_EQUAL(wl_set_info(b, 0)->version, wl_set_info(c, 0)->version);
	CU_ASSERT_STRING_EQUAL(wl_set_info(b, 0)->version, wl_set_info(b2, 0)->version);
	wl_set_free(a);
	wl_set_free(b);
	wl_set_free(c);
	wl_set_free(b2);
	bad("name: v\nversion: [1]\nterms: [a]\n", 2, 10, "version must be a number");
	bad("name: v\nversion: a b\nterms: [a]\n", 2, 10, "version may hold letters");
	bad("name: v\nversion: 1234567890abcdefg\nterms: [a]\n", 2, 10, "1 to 15 characters");
}

int
main(void)
{
	CU_pSuite s;
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	CU_initialize_registry();
	s = CU_add_suite("watchlist language", NULL, NULL);
	CU_add_test(s, "fold accents, case, sigma, eszett", test_fold_accents_case_sigma_eszett);
	CU_add_test(s, "version is declared or the content hash",
	            test_version_is_declared_or_the_content_hash);
	CU_add_test(s, "offsets are in the unfolded text", test_offsets_are_in_the_unfolded_text);
	CU_add_test(s, "cs and exact terms check the original",
	            test_cs_and_exact_terms_check_the_original);
	CU_add_test(s, "word boundaries, prefix and CJK", test_word_boundaries_prefix_and_cjk);
	CU_add_test(s, "a term never spans two fields", test_a_term_never_spans_two_fields);
	CU_add_test(s, "short caps lint", test_short_caps_lint);
	CU_add_test(s, "entity exclude_context cancels homonyms",
	            test_entity_exclude_context_cancels_homonyms);
	CU_add_test(s, "lists in terms and queries", test_lists_in_terms_and_queries);
	CU_add_test(s, "queries decide from hits", test_queries_decide_from_hits);
	CU_add_test(s, "query errors and warnings have file positions",
	            test_query_errors_and_warnings_have_file_positions);
	CU_add_test(s, "weighted patterns reach a threshold",
	            test_weighted_patterns_reach_a_threshold);
	CU_add_test(s, "every error in a file is reported", test_every_error_in_a_file_is_reported);
	CU_add_test(s, "every message at its position", test_every_message_at_its_position);
	CU_add_test(s, "explain shows rules, clauses and hits",
	            test_explain_shows_rules_clauses_and_hits);
	CU_add_test(s, "cache serves an unchanged set", test_cache_serves_an_unchanged_set);
	rc = guard_run_tests();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0) {
			fprintf(stderr, "could not remove %s\n", dir);
		}
	}
	return rc;
}
