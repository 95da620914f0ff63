/*
 * The feed stage reads documents in their charset: BOM, then the transport's
 * label, then the XML declaration; single-byte charsets through tables built
 * from iconv, the others (UTF-16, Shift_JIS, ...) streamed through iconv;
 * and it survives what real servers put before and around the markup.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed/charset.h"
#include "feed_rig.h"
#include "guard.h"

/* "Лавров" */
#define LAVROV_UTF8 "\xD0\x9B\xD0\xB0\xD0\xB2\xD1\x80\xD0\xBE\xD0\xB2"

/* <rss><item><title>Лавров</title></item></rss> in UTF-16, little or big endian, BOM or not. */
static size_t
utf16_doc(char *out, bool big, bool bom)
{
	static const char *const ascii[] = { "<rss><channel><item><title>",
		                             "</title></item></channel></rss>" };
	static const uint16_t lavrov[] = { 0x041B, 0x0430, 0x0432, 0x0440, 0x043E, 0x0432 };
	size_t n = 0, i, k;

	if (bom) {
		out[n++] = big ? '\xFE' : '\xFF';
		out[n++] = big ? '\xFF' : '\xFE';
	}
	for (k = 0; k < 2; k++) {
		const char *s = ascii[k];

		for (i = 0; s[i] != '\0'; i++) {
			out[n++] = big ? '\0' : s[i];
			out[n++] = big ? s[i] : '\0';
		}
		for (i = 0; k == 0 && i < sizeof(lavrov) / sizeof(lavrov[0]); i++) {
			out[n++] = (char)(big ? lavrov[i] >> 8 : lavrov[i] & 0xFF);
			out[n++] = (char)(big ? lavrov[i] & 0xFF : lavrov[i] >> 8);
		}
	}
	return n;
}

static void
test_charset_utf16_by_bom_or_pattern_any_split(void)
{
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };
	char doc[256];
	int big, bom;

	for (big = 0; big < 2; big++) {
		for (bom = 0; bom < 2; bom++) {
			size_t len = utf16_doc(doc, big, bom);

			feed_rig_check_splits_in(env, doc, len, "", &g);
			CU_ASSERT_EQUAL_FATAL(g.n, 1);
			CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], LAVROV_UTF8);
			feed_rig_free(&g);
		}
	}
	CU_ASSERT(feed_rig_cnt.v[CNT_feed_charset_stream] > 0);
	feed_env_free(env);
}

static void
test_charset_single_byte_declared(void)
{
	static const struct {
		const char *label;
		const char *text;
		const char *want;
	} cases[] = {
		{ "ISO-8859-2", "\xA3\xF3\x64\xBC", "\u0141\u00F3d\u017A" },
		{ "iso-8859-15", "\xA4 \xBD", "\u20AC \u0153" },
		{ "windows-1250", "\x8A\x69\x62\x65\x6E\x69\x6B", "\u0160ibenik" },
		{ "KOI8-R", "\xEC\xC1\xD7\xD2\xCF\xD7", LAVROV_UTF8 },
		{ "latin1", "\x93x\x94", "\u201Cx\u201D" }, /* WHATWG: latin1 is windows-1252 */
	};
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };
	char doc[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(doc, sizeof(doc),
		         "<?xml version=\"1.0\" encoding=\"%s\"?><rss><channel><item><title>%s"
		         "</title><category>%s</category></item></channel></rss>",
		         cases[i].label, cases[i].text, cases[i].text);
		feed_rig_check_splits_in(env, doc, strlen(doc), "", &g);
		CU_ASSERT_EQUAL_FATAL(g.n, 1);
		CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], cases[i].want);
		CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_CATEGORY], cases[i].want);
		feed_rig_free(&g);
	}
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_charset_stream], 0);
	feed_env_free(env);
}

static void
test_charset_multibyte_declared_switches_after_declaration(void)
{
	/* Shift_JIS "日本" and GB2312 (read as GB18030) "中国", named only by encoding=. */
	static const char sjis[] = "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\n"
	                           "<rss><channel><item><title>\x93\xFA\x96\x7B</title></item>"
	                           "</channel></rss>";
	static const char gb[] = "<?xml version='1.0' encoding='gb2312'?><rss><channel><item>"
	                         "<title>\xD6\xD0\xB9\xFA</title></item></channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_check_splits_in(env, sjis, strlen(sjis), "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "\u65E5\u672C");
	feed_rig_free(&g);
	feed_rig_check_splits_in(env, gb, strlen(gb), "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "\u4E2D\u56FD");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_charset_bom_beats_hint_beats_declaration(void)
{
	static const char utf8_bom[] =
	        "\xEF\xBB\xBF<?xml version='1.0' encoding='KOI8-R'?>"
	        "<rss><channel><item><title>" LAVROV_UTF8 "</title></item></channel></rss>";
	static const char koi8[] = "<?xml version='1.0' encoding='windows-1251'?>"
	                           "<rss><channel><item><title>\xEC\xC1\xD7\xD2\xCF\xD7</title>"
	                           "</item></channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, utf8_bom, "windows-1251", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], LAVROV_UTF8);
	feed_rig_free(&g);
	feed_rig_whole(env, koi8, "koi8-r", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], LAVROV_UTF8);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_charset_unknown_label_counted_and_read_as_utf8(void)
{
	static const char doc[] = "<?xml version='1.0' encoding='x-no-such-charset'?>"
	                          "<rss><channel><item><title>Caf\xC3\xA9 \xFF</title></item>"
	                          "</channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "Caf\u00E9 \uFFFD");
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_charset_unknown], 1);
	feed_rig_free(&g);
	/* A label with characters no charset has is not even tried. */
	feed_rig_whole(env, "<rss><channel><item><title>x</title></item></channel></rss>",
	               "../../etc/passwd", &g);
	CU_ASSERT_EQUAL(g.n, 1);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_charset_unknown], 2);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_charset_utf16_invalid_and_cut_sequences_replaced(void)
{
	/* A lone high surrogate, then the document cut in the middle of a code unit. */
	static const char doc[] = "\xFF\xFE<\0r\0s\0s\0>\0<\0i\0t\0e\0m\0>\0<\0t\0i\0t\0l\0e\0>\0"
	                          "a\0\x00\xD8"
	                          "b\0<\0/\0t\0i\0t\0l\0e\0>\0<\0/\0i\0t\0e\0m\0>\0<";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_check_splits_in(env, doc, sizeof(doc) - 1, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "a\uFFFDb");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_charset_junk_before_root_skipped(void)
{
	static const char doc[] = "\nWarning: date(): timezone in /var/www/feed.php on line 3\n"
	                          "<?xml version=\"1.0\"?><rss><channel><item><title>Kept</title>"
	                          "</item></channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_check_splits_in(env, doc, strlen(doc), "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "Kept");
	CU_ASSERT(feed_rig_cnt.v[CNT_feed_junk_before_root] > 0);
	feed_rig_free(&g);
	/* Plain text with no markup at all is no feed. */
	memset(&feed_rig_cnt, 0, sizeof(feed_rig_cnt));
	feed_rig_whole(env, "Service Unavailable", "", &g);
	CU_ASSERT_EQUAL(g.n, 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], 1);
	feed_env_free(env);
}

static void
test_charset_nesting_bomb_abandoned(void)
{
	const size_t depth = 5000;
	size_t len = strlen("<rss><channel><item><title>ok</title></item>") + depth * 3 + 64;
	char *doc = malloc(len);
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };
	size_t n, i;

	n = (size_t)sprintf(doc, "<rss><channel><item><title>ok</title></item>");
	for (i = 0; i < depth; i++) {
		memcpy(doc + n, "<a>", 3);
		n += 3;
	}
	doc[n] = '\0';
	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL(g.n, 1);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_depth_limit], 1);
	feed_rig_free(&g);
	feed_env_free(env);
	free(doc);
}

static void
test_charset_no_dtd_entity_is_ever_expanded(void)
{
	/* Billion laughs and XXE: the internal subset is skipped, its entities stay literal. */
	static const char doc[] =
	        "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n"
	        "  <!ENTITY lol \"lol\">\n"
	        "  <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	        "  <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	        "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
	        "]>\n<rss><channel><item><title>&lol3; &xxe;</title></item></channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "&lol3; &xxe;");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_charset_names_resolved_whatwg_style(void)
{
	char name[CHARSET_NAME_MAX];

	CU_ASSERT_EQUAL(charset_name(span_str(" \"UTF8\" "), name), CHARSET_UTF8);
	CU_ASSERT_EQUAL(charset_name(span_str("ISO-8859-1"), name), CHARSET_STREAM);
	CU_ASSERT_STRING_EQUAL(name, "WINDOWS-1252");
	CU_ASSERT_EQUAL(charset_name(span_str("GB2312"), name), CHARSET_STREAM);
	CU_ASSERT_STRING_EQUAL(name, "GB18030");
	CU_ASSERT_EQUAL(charset_name(span_str("koi8-r"), name), CHARSET_STREAM);
	CU_ASSERT_STRING_EQUAL(name, "koi8-r");
	CU_ASSERT_EQUAL(charset_name(span_str(""), name), CHARSET_UNKNOWN);
	CU_ASSERT_EQUAL(charset_name(span_str("a b"), name), CHARSET_UNKNOWN);
	CU_ASSERT_EQUAL(charset_name(span_str("x-a-label-far-too-long-to-be-a-charset"), name),
	                CHARSET_UNKNOWN);
}

static void
test_charset_tables_from_iconv(void)
{
	struct charset_cache *cache = calloc(1, sizeof(*cache));
	const struct charset_table *t, *again;
	char name[CHARSET_NAME_MAX];

	CU_ASSERT_EQUAL_FATAL(charset_resolve(cache, span_str("windows-1251"), &t, name),
	                      CHARSET_TABLE);
	CU_ASSERT_EQUAL(t->len['z'], 1);
	CU_ASSERT(t->len[0xCB] == 2 && memcmp(t->utf8[0xCB], "\xD0\x9B", 2) == 0);     /* Л */
	CU_ASSERT(t->len[0xB9] == 3 && memcmp(t->utf8[0xB9], "\xE2\x84\x96", 3) == 0); /* № */
	/* 0x98 is undefined in windows-1251. */
	CU_ASSERT(t->len[0x98] == 3 && memcmp(t->utf8[0x98], "\xEF\xBF\xBD", 3) == 0);
	/* Built once per worker, then found. */
	CU_ASSERT_EQUAL(charset_resolve(cache, span_str("Windows-1251"), &again, name),
	                CHARSET_TABLE);
	CU_ASSERT_PTR_EQUAL(again, t);
	CU_ASSERT_EQUAL(cache->n, 1);
	CU_ASSERT_EQUAL_FATAL(charset_resolve(cache, span_str("us-ascii"), &t, name),
	                      CHARSET_TABLE);
	CU_ASSERT(t->len[0x80] == 3 && memcmp(t->utf8[0x80], "\xE2\x82\xAC", 3) == 0); /* € */
	CU_ASSERT_EQUAL(charset_resolve(cache, span_str("shift_jis"), &t, name), CHARSET_STREAM);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_EQUAL(charset_resolve(cache, span_str("utf-16"), &t, name), CHARSET_STREAM);
	CU_ASSERT_EQUAL(charset_resolve(cache, span_str("x-nope"), &t, name), CHARSET_UNKNOWN);
	CU_ASSERT_EQUAL(charset_resolve(cache, span_str("UTF-8"), &t, name), CHARSET_UTF8);
	free(cache);
}

int
main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	s = CU_add_suite("feed_charset", NULL, NULL);
	CU_add_test(s, "utf-16 by BOM or pattern, any split",
	            test_charset_utf16_by_bom_or_pattern_any_split);
	CU_add_test(s, "single-byte charsets declared", test_charset_single_byte_declared);
	CU_add_test(s, "multi-byte charset declared switches after the declaration",
	            test_charset_multibyte_declared_switches_after_declaration);
	CU_add_test(s, "BOM beats hint beats declaration",
	            test_charset_bom_beats_hint_beats_declaration);
	CU_add_test(s, "unknown label counted and read as UTF-8",
	            test_charset_unknown_label_counted_and_read_as_utf8);
	CU_add_test(s, "utf-16 invalid and cut sequences replaced",
	            test_charset_utf16_invalid_and_cut_sequences_replaced);
	CU_add_test(s, "junk before the root skipped", test_charset_junk_before_root_skipped);
	CU_add_test(s, "nesting bomb abandoned", test_charset_nesting_bomb_abandoned);
	CU_add_test(s, "no DTD entity is ever expanded",
	            test_charset_no_dtd_entity_is_ever_expanded);
	CU_add_test(s, "names resolved WHATWG-style", test_charset_names_resolved_whatwg_style);
	CU_add_test(s, "tables from iconv", test_charset_tables_from_iconv);
	return guard_run_tests();
}
