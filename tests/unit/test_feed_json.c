#include "feed/feed.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed/feed_json.h"
#include "feed_rig.h"
#include "guard.h"

/* Every split gives the whole-document items, and the document is clean JSON. */
static void
check_splits(const char *doc)
{
	feed_rig_check_splits(doc);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], 0);
}

/*
 * A JSON Feed 1.1 document: \u escapes (Cyrillic, a surrogate pair), HTML
 * content with entities and a script, authors and tags arrays, a numeric id,
 * extension objects that hold keys we look for, and a second item that has
 * only the fallback keys.
 */
static const char json11_doc[] =
        "\xEF\xBB\xBF \n{\n"
        "  \"version\": \"https://jsonfeed.org/version/1.1\",\n"
        "  \"title\": \"Daily \\u041D\\u043e\\u0432\\u043E\\u0441\\u0442\\u0438 \\u0026 World\",\n"
        "  \"home_page_url\": \"https://example.org/\",\n"
        "  \"authors\": [{\"name\": \"Desk\"}],\n"
        "  \"_meta\": {\"items\": [{\"title\": \"not an item\"}], \"n\": [1, 2.5, -3e+2]},\n"
        "  \"items\": [\n"
        "    {\n"
        "      \"id\": 20240517,\n"
        "      \"external_url\": \"https://other.example/x\",\n"
        "      \"url\": \"https://example.org/2024/05/talks?a=1&b=2\",\n"
        "      \"title\": \"Lavrov meets \\u0413\\u0443\\u0442\\u0435\\u0440\\u0440\\u0438\\u0448 "
        "\\ud83c\\udf0d in Geneva\",\n"
        "      \"content_html\": \"<p>Talks &amp; <b>more</b> talks.</p><script>var x = "
        "\\\"<p>\\\";</script><p>Caf&eacute; \\u00e9t\\u00E9</p>\",\n"
        "      \"summary\": \"Short \\\"quoted\\\" summary\\twith\\\\tabs\\/slashes\",\n"
        "      \"date_modified\": \"2024-05-18T09:00:00Z\",\n"
        "      \"date_published\": \"2024-05-17T10:00:00+02:00\",\n"
        "      \"authors\": [{\"name\": \"Anna\", \"url\": \"https://example.org/anna\"},\n"
        "                  {\"avatar\": \"x.png\"}, {\"name\": \"Boris\"}],\n"
        "      \"tags\": [\"diplomacy\", \"UN\", 42, null, \"Europe\"],\n"
        "      \"attachments\": [{\"url\": \"https://example.org/a.mp3\", \"title\": \"no\",\n"
        "                       \"size_in_bytes\": 1.5e6}],\n"
        "      \"_ext\": {\"deep\": [[[{\"title\": \"x\"}]]], \"flag\": true, \"none\": null,\n"
        "                 \"neg\": -0.5E-3, \"id\": \"no\"}\n"
        "    },\n"
        "    {\n"
        "      \"id\": \"tag:example.org,2024:2\",\n"
        "      \"external_url\": \"https://other.example/2\",\n"
        "      \"title\": \"Second\",\n"
        "      \"content_text\": \"Plain\\n\\ntext <b>kept</b> &amp;\",\n"
        "      \"date_modified\": \"2024-05-19T00:00:00Z\"\n"
        "    }\n"
        "  ]\n"
        "}\n";

static void
test_feed_json11_items_fields_exact(void)
{
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, json11_doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	CU_ASSERT_EQUAL(g.format[0], FEED_FMT_JSON);
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "Daily \xD0\x9D\xD0\xBE\xD0\xB2\xD0\xBE\xD1\x81"
	                                        "\xD1\x82\xD0\xB8 & World");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_ID], "20240517");
	CU_ASSERT_STRING_EQUAL(g.feed_link[0], "https://example.org/");
	/* Tags that are not strings are skipped, not listed empty. */
	CU_ASSERT_EQUAL_FATAL(g.n_categories[0], 3);
	CU_ASSERT_STRING_EQUAL(g.category[0][1], "UN");
	CU_ASSERT_STRING_EQUAL(g.category[0][2], "Europe");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK],
	                       "https://example.org/2024/05/talks?a=1&b=2");
	CU_ASSERT_STRING_EQUAL(
	        g.field[0][FEED_F_TITLE],
	        "Lavrov meets \xD0\x93\xD1\x83\xD1\x82\xD0\xB5\xD1\x80\xD1\x80\xD0\xB8"
	        "\xD1\x88 \xF0\x9F\x8C\x8D in Geneva");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_CONTENT],
	                       "Talks & more talks. Caf\xC3\xA9 \xC3\xA9t\xC3\xA9");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_SUMMARY],
	                       "Short \"quoted\" summary with\\tabs/slashes");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_PUBLISHED], "2024-05-17T10:00:00+02:00");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_AUTHOR], "Anna, Boris");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_CATEGORY], "diplomacy, UN, Europe");

	/* Only the fallback keys: external_url, date_modified, content_text (not HTML). */
	CU_ASSERT_EQUAL(g.format[1], FEED_FMT_JSON);
	CU_ASSERT_STRING_EQUAL(g.feed_title[1], g.feed_title[0]);
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_ID], "tag:example.org,2024:2");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_LINK], "https://other.example/2");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_TITLE], "Second");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_CONTENT], "Plain text <b>kept</b> &amp;");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_PUBLISHED], "2024-05-19T00:00:00Z");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_AUTHOR], "");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_CATEGORY], "");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_SUMMARY], "");
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_items], 2);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_documents], 1);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_item_truncated], 0);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_json11_same_items_at_every_split(void)
{
	check_splits(json11_doc);
}

static void
test_feed_json10_author_object(void)
{
	static const char doc[] =
	        "{\"version\":\"https://jsonfeed.org/version/1\",\"title\":\"My Example Feed\","
	        "\"author\":{\"name\":\"feed author\"},\"items\":["
	        "{\"id\":\"1\",\"author\":{\"name\":\"you\",\"url\":\"http://example.net/~you\"},"
	        "\"content_html\":\"<p>Hello, world!</p>\\n\\n<script>alert();</script>\","
	        "\"url\":\"https://example.org/initial-post\"},"
	        /* 1.1 generators write both; the 1.1 names win, in either order. */
	        "{\"id\":\"2\",\"author\":{\"name\":\"old\"},\"authors\":[{\"name\":\"new\"}]},"
	        "{\"id\":\"3\",\"authors\":[{\"name\":\"new\"}],\"author\":{\"name\":\"old\"}}]}";
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 3);
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "My Example Feed");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_AUTHOR], "you");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_CONTENT], "Hello, world!");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "https://example.org/initial-post");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_AUTHOR], "new");
	CU_ASSERT_STRING_EQUAL(g.field[2][FEED_F_AUTHOR], "new");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_json_preferred_keys_replace_fallbacks_in_any_order(void)
{
	static const char doc[] =
	        "{\"items\":[{\"content_text\":\"text\",\"date_modified\":\"mod\","
	        "\"external_url\":\"ext\",\"content_html\":\"<i>html</i>\","
	        "\"date_published\":\"pub\",\"url\":\"u\"},"
	        "{\"content_html\":\"<i>html</i>\",\"date_published\":\"pub\",\"url\":\"u\","
	        "\"content_text\":\"text\",\"date_modified\":\"mod\",\"external_url\":\"ext\"}]}";
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_rig_got g = { 0 };
	int i;

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	for (i = 0; i < 2; i++) {
		CU_ASSERT_STRING_EQUAL(g.field[i][FEED_F_CONTENT], "html");
		CU_ASSERT_STRING_EQUAL(g.field[i][FEED_F_PUBLISHED], "pub");
		CU_ASSERT_STRING_EQUAL(g.field[i][FEED_F_LINK], "u");
	}
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_json_items_before_title_and_version(void)
{
	static const char doc[] =
	        "{\"items\":[{\"title\":\"A\"},{\"title\":\"B\"}],"
	        "\"title\":\"Feed\",\"version\":\"https://jsonfeed.org/version/1.1\"}";
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_parser *p;
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	CU_ASSERT_EQUAL(g.format[0], FEED_FMT_JSON);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "A");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_TITLE], "B");
	/* The feed title is only known to the items after it. */
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "");
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], 0);
	feed_rig_free(&g);

	/* The format is known once "items" opens. */
	p = feed_parser_open(env, span_str(""), &g);
	feed_parser_data(p, span_str("{\"title\":\"x\","));
	CU_ASSERT_EQUAL(feed_parser_format(p), FEED_FMT_UNKNOWN);
	feed_parser_data(p, span_str("\"items\":["));
	CU_ASSERT_EQUAL(feed_parser_format(p), FEED_FMT_JSON);
	feed_parser_data(p, span_str("]}"));
	feed_parser_close(p);
	CU_ASSERT_EQUAL(g.n, 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], 0);
	feed_env_free(env);
}

static void
test_feed_json_nested_unknown_values_skipped(void)
{
	static const char doc[] =
	        "{\"meta\":{\"items\":[{\"title\":\"fake\"}],\"title\":\"inner\"},"
	        "\"title\":[\"not a string\"],"
	        "\"items\":[1,\"s\",null,[{\"title\":\"nested\"}],{\"title\":\"real\","
	        "\"x\":{\"title\":\"no\",\"url\":\"no\",\"a\":[{\"title\":\"no\"},[[]],{}]},"
	        "\"url\":{\"href\":\"no\"},\"tags\":[[\"no\"],{\"name\":\"no\"},\"yes\"],"
	        "\"author\":[{\"name\":\"no\"}],\"authors\":{\"name\":\"no\"},"
	        "\"summary\":false,\"id\":true,\"toolongkeytoolongkey\":\"no\","
	        "\"title\":\"dup\"}],"
	        "\"items2\":[{\"title\":\"no\"}]}";
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_rig_got g = { 0 };
	int i;

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "real");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_CATEGORY], "yes");
	for (i = 0; i < FEED_F__MAX; i++) {
		if (i != FEED_F_TITLE && i != FEED_F_CATEGORY) {
			CU_ASSERT_STRING_EQUAL(g.field[0][i], "");
		}
	}
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 0);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_json_surrogates_and_escapes(void)
{
	static const char doc[] =
	        "{\"items\":[{\"title\":\"a\\ud83cX\"},{\"title\":\"\\ud83c\"},"
	        "{\"title\":\"\\ud83c\\nY\"},{\"title\":\"\\uD83C\\uD83C\\uDF0D\"},"
	        "{\"title\":\"\\udc00z\"},{\"title\":\"\\u0041\\u00e9\\u20AC\\\\u0041\"},"
	        "{\"title\":\"bad\xff utf8\"}]}";
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 7);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "a\xEF\xBF\xBDX");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_TITLE], "\xEF\xBF\xBD");
	CU_ASSERT_STRING_EQUAL(g.field[2][FEED_F_TITLE], "\xEF\xBF\xBD Y");
	CU_ASSERT_STRING_EQUAL(g.field[3][FEED_F_TITLE], "\xEF\xBF\xBD\xF0\x9F\x8C\x8D");
	CU_ASSERT_STRING_EQUAL(g.field[4][FEED_F_TITLE], "\xEF\xBF\xBDz");
	CU_ASSERT_STRING_EQUAL(g.field[5][FEED_F_TITLE], "A\xC3\xA9\xE2\x82\xAC\\u0041");
	CU_ASSERT_STRING_EQUAL(g.field[6][FEED_F_TITLE], "bad\xEF\xBF\xBD utf8");
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 0);
	feed_rig_free(&g);
	feed_env_free(env);
	check_splits(doc);
}

/* <doc> gives <items> items and is counted once as bad JSON, whole and one byte at a time. */
static void
check_malformed(const char *doc, int items)
{
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	if (g.n != items || feed_rig_cnt.v[CNT_feed_bad_json] != 1) {
		fprintf(stderr, "\n%.60s: %d items, %d bad\n", doc, g.n,
		        (int)feed_rig_cnt.v[CNT_feed_bad_json]);
	}
	CU_ASSERT_EQUAL(g.n, items);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 1);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], 0);
	feed_rig_free(&g);
	feed_rig_bytes(env, doc, &g);
	CU_ASSERT_EQUAL(g.n, items);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 2);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_json_malformed_counted_items_before_kept(void)
{
	static const char *const one[] = {
		/* truncated inside a string, after a key, after a value */
		"{\"items\":[{\"title\":\"one\"},{\"title\":\"tw",
		"{\"items\":[{\"title\":\"one\"},{\"title\"",
		"{\"items\":[{\"title\":\"one\"}",
		"{\"items\":[{\"title\":\"one\"},{\"title\":\"two\\u00",
		"{\"items\":[{\"title\":\"one\"},{\"id\":12",
		/* broken tokens: escapes, hex, literals, numbers, punctuation */
		"{\"items\":[{\"title\":\"one\"},{\"title\":\"a\\x\"}]}",
		"{\"items\":[{\"title\":\"one\"},{\"title\":\"\\u12G4\"}]}",
		"{\"items\":[{\"title\":\"one\"},{\"x\":tru}]}",
		"{\"items\":[{\"title\":\"one\"},{\"x\":nul1}]}",
		"{\"items\":[{\"title\":\"one\"},{\"x\":01}]}",
		"{\"items\":[{\"title\":\"one\"},{\"x\":-}]}",
		"{\"items\":[{\"title\":\"one\"},{\"x\":1.}]}",
		"{\"items\":[{\"title\":\"one\"},{\"x\":1e}]}",
		"{\"items\":[{\"title\":\"one\"},{\"x\":+1}]}",
		"{\"items\":[{\"title\":\"one\"},{\"x\" 1}]}",
		"{\"items\":[{\"title\":\"one\"},{\"x\":1,}]}",
		"{\"items\":[{\"title\":\"one\"},[1,]]}",
		"{\"items\":[{\"title\":\"one\"},{\"x\":1]]}",
		"{\"items\":[{\"title\":\"one\"},{'x':1}]}",
		"{\"items\":[{\"title\":\"one\"},{x:1}]}",
		"{\"items\":[{\"title\":\"one\"}]} trailing",
		"{\"items\":[{\"title\":\"one\"}]}}",
	};
	size_t i;

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		check_malformed(one[i], 1);
	}
	check_malformed("{", 0);
	check_malformed("{\"items\":[{\"title\":\"x\"}", 1);
	check_malformed("{\"items\":[{\"title\":\"x\"", 0);
}

/* An item whose "x" holds <levels> nested arrays: the document nests <levels> + 3 deep. */
static void
nested_doc(char *doc, size_t levels)
{
	static const char head[] = "{\"items\":[{\"title\":\"t\",\"x\":";
	size_t len = sizeof(head) - 1, i;

	/* byte loops, not memset: gcc's bounds check misreads the sprintf'd length under ASan */
	memcpy(doc, head, len);
	for (i = 0; i < levels; i++) {
		doc[len + i] = '[';
		doc[len + levels + i] = ']';
	}
	memcpy(doc + len + 2 * levels, "}]}", 4);
}

static void
test_feed_json_depth_limit(void)
{
	const size_t bomb = 10000;
	char *doc = malloc(bomb + 64);
	struct feed_env *env;
	struct feed_rig_got g = { 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	strcpy(doc, "{\"items\":");
	memset(doc + strlen(doc), '[', bomb);
	doc[9 + bomb] = 0;
	check_malformed(doc, 0);
	memset(doc, '{', bomb);
	doc[bomb] = 0;
	check_malformed(doc, 0);

	/* Exactly FEED_JSON_DEPTH_MAX levels is fine; one more is not. */
	env = feed_rig_env(4096, 1);
	nested_doc(doc, FEED_JSON_DEPTH_MAX - 3);
	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL(g.n, 1);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 0);
	feed_rig_free(&g);
	nested_doc(doc, FEED_JSON_DEPTH_MAX - 2);
	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL(g.n, 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 1);
	feed_rig_free(&g);
	feed_env_free(env);
	free(doc);
}

static void
test_feed_json_without_items_is_unknown_format(void)
{
	static const char *const docs[] = {
		"{\"version\":\"1.0\",\"data\":[{\"title\":\"x\",\"url\":\"y\"}]}",
		"{\"items\":{\"title\":\"an object, not an array\"}}",
		"  {}  ",
		"[{\"items\":[{\"title\":\"top-level array\"}]}]",
	};
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_rig_got g = { 0 };
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		feed_rig_whole(env, docs[i], "", &g);
		CU_ASSERT_EQUAL(g.n, 0);
		CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], i + 1);
	}
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_items], 0);
	feed_env_free(env);
}

static void
test_feed_json_item_over_max_item_truncated(void)
{
	char doc[4096];
	struct feed_env *env = feed_rig_env(64, 1);
	struct feed_rig_got g = { 0 };
	size_t i, len;

	len = (size_t)snprintf(doc, sizeof(doc), "{\"items\":[{\"title\":\"a");
	for (i = 0; i < 40; i++) {
		len += (size_t)snprintf(doc + len, sizeof(doc) - len,
		                        i % 2 ? "\\u00e9" : "\xC3\xA9");
	}
	len += (size_t)snprintf(
	        doc + len, sizeof(doc) - len,
	        "x\",\"summary\":\"more text that does not fit\",\"url\":\"http://l\"},"
	        "{\"title\":\"short\",\"content_text\":\"");
	for (i = 0; i < 500; i++) {
		doc[len++] = 'z';
	}
	len += (size_t)snprintf(doc + len, sizeof(doc) - len, "\"},{\"title\":\"third\"}]}");
	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 3);
	/* "a" and 31 "é" are 63 bytes; the 32nd "é" would be split, so it goes whole. */
	CU_ASSERT_EQUAL(strlen(g.field[0][FEED_F_TITLE]), 63);
	CU_ASSERT(strncmp(g.field[0][FEED_F_TITLE], "a\xC3\xA9\xC3\xA9", 5) == 0);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_SUMMARY], "m");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_TITLE], "short");
	CU_ASSERT_EQUAL(strlen(g.field[1][FEED_F_CONTENT]), 64 - 5);
	CU_ASSERT_STRING_EQUAL(g.field[2][FEED_F_TITLE], "third");
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_item_truncated], 2);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_json_after_bad_further_data_ignored(void)
{
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_parser *p;
	struct feed_rig_got g = { 0 };

	p = feed_parser_open(env, span_str(""), &g);
	feed_parser_data(p, span_str("{\"items\":[{\"title\":\"a\"},{\"title\":\"b\"!"));
	feed_parser_data(p, span_str("},{\"title\":\"c\"}]}"));
	feed_parser_close(p);
	CU_ASSERT_EQUAL(g.n, 1);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_bad_json], 1);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_items], 1);
	feed_rig_free(&g);
	feed_env_free(env);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("feed_json", NULL, NULL);
	CU_add_test(s, "json 1.1 items, fields exact", test_feed_json11_items_fields_exact);
	CU_add_test(s, "json 1.1 same items at every split",
	            test_feed_json11_same_items_at_every_split);
	CU_add_test(s, "json 1.0 author object", test_feed_json10_author_object);
	CU_add_test(s, "preferred keys replace fallbacks in any order",
	            test_feed_json_preferred_keys_replace_fallbacks_in_any_order);
	CU_add_test(s, "items before title and version",
	            test_feed_json_items_before_title_and_version);
	CU_add_test(s, "nested unknown values skipped",
	            test_feed_json_nested_unknown_values_skipped);
	CU_add_test(s, "surrogates and escapes", test_feed_json_surrogates_and_escapes);
	CU_add_test(s, "malformed counted, items before kept",
	            test_feed_json_malformed_counted_items_before_kept);
	CU_add_test(s, "depth limit", test_feed_json_depth_limit);
	CU_add_test(s, "json without items is unknown format",
	            test_feed_json_without_items_is_unknown_format);
	CU_add_test(s, "item over max_item truncated", test_feed_json_item_over_max_item_truncated);
	CU_add_test(s, "after bad json further data ignored",
	            test_feed_json_after_bad_further_data_ignored);
	return guard_run_tests();
}
