#include "feed/normalize.h"

#include <CUnit/Basic.h>
#include <string.h>

#include "guard.h"

static char out[4096];

/* normalize_text() over a guard-page copy of <in>; the result as a C string in out[]. */
static const char *
norm_cap(const char *in, unsigned flags, size_t cap, bool *trunc)
{
	size_t len = strlen(in), n;
	uint8_t *g = guard_dup(in, len);

	n = normalize_text((uint8_t *)out, cap, g, len, flags, trunc);
	out[n] = 0;
	guard_free(g);
	return out;
}

static const char *
norm(const char *in, unsigned flags)
{
	bool trunc = false;
	const char *r = norm_cap(in, flags, sizeof(out) - 1, &trunc);

	CU_ASSERT_FALSE(trunc);
	return r;
}

static uint8_t ent_out[NORMALIZE_ENTITY_UTF8_MAX + 1];

/* normalize_entity_utf8() of <name>, as a C string in ent_out[] ("" if unknown). */
static const char *
ent_str(const char *name, bool html)
{
	size_t n;

	memset(ent_out, 0xAA, sizeof(ent_out));
	n = normalize_entity_utf8(name, strlen(name), html, ent_out);
	CU_ASSERT(n <= NORMALIZE_ENTITY_UTF8_MAX);
	ent_out[n] = 0;
	return (const char *)ent_out;
}

/* The one code point <name> expands to, or 0 if unknown. */
static uint32_t
ent(const char *name, bool html)
{
	const uint8_t *u = (const uint8_t *)ent_str(name, html);
	size_t n = strlen((const char *)u);
	uint32_t cp;

	switch (n) {
	case 0:
		return 0;
	case 1:
		cp = u[0];
		break;
	case 2:
		cp = (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
		break;
	case 3:
		cp = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
		break;
	default:
		cp = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
		     (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
		CU_ASSERT_EQUAL(n, 4);
		break;
	}
	return cp;
}

static void
test_normalize_decodes_the_five_xml_entities(void)
{
	CU_ASSERT_EQUAL(ent("amp", false), '&');
	CU_ASSERT_EQUAL(ent("lt", false), '<');
	CU_ASSERT_EQUAL(ent("gt", false), '>');
	CU_ASSERT_EQUAL(ent("quot", false), '"');
	CU_ASSERT_EQUAL(ent("apos", false), '\'');
	/* HTML names are not XML entities: the scanner leaves them for the HTML pass. */
	CU_ASSERT_EQUAL(ent("nbsp", false), 0);
	CU_ASSERT_EQUAL(ent("AMP", false), 0);
}

static void
test_normalize_decodes_html_named_entities(void)
{
	CU_ASSERT_EQUAL(ent("nbsp", true), 0xA0);
	CU_ASSERT_EQUAL(ent("rsquo", true), 0x2019);
	CU_ASSERT_EQUAL(ent("lsquo", true), 0x2018);
	CU_ASSERT_EQUAL(ent("ldquo", true), 0x201C);
	CU_ASSERT_EQUAL(ent("rdquo", true), 0x201D);
	CU_ASSERT_EQUAL(ent("ndash", true), 0x2013);
	CU_ASSERT_EQUAL(ent("mdash", true), 0x2014);
	CU_ASSERT_EQUAL(ent("hellip", true), 0x2026);
	CU_ASSERT_EQUAL(ent("eacute", true), 0xE9);
	CU_ASSERT_EQUAL(ent("Eacute", true), 0xC9);
	CU_ASSERT_EQUAL(ent("AElig", true), 0xC6);
	CU_ASSERT_EQUAL(ent("yuml", true), 0xFF);
	CU_ASSERT_EQUAL(ent("euro", true), 0x20AC);
	CU_ASSERT_EQUAL(ent("amp", true), '&');
	CU_ASSERT_EQUAL(ent("nosuch", true), 0);
	CU_ASSERT_EQUAL(ent("", true), 0);
	CU_ASSERT_EQUAL(ent("averyveryverylongname", true), 0);
}

static void
test_normalize_numeric_references_and_invalid_ones(void)
{
	CU_ASSERT_EQUAL(ent("#65", false), 'A');
	CU_ASSERT_EQUAL(ent("#x41", false), 'A');
	CU_ASSERT_EQUAL(ent("#X4a", false), 'J');
	CU_ASSERT_EQUAL(ent("#x1F600", false), 0x1F600);
	CU_ASSERT_EQUAL(ent("#233", true), 0xE9);
	CU_ASSERT_EQUAL(ent("#9", false), '\t');
	/* Feeds mean windows-1252 when they write C1 code points (HTML5 does the same). */
	CU_ASSERT_EQUAL(ent("#150", false), 0x2013);
	CU_ASSERT_EQUAL(ent("#x92", false), 0x2019);
	CU_ASSERT_EQUAL(ent("#0", false), NORMALIZE_REPLACEMENT);
	CU_ASSERT_EQUAL(ent("#1", false), NORMALIZE_REPLACEMENT);
	CU_ASSERT_EQUAL(ent("#xD800", false), NORMALIZE_REPLACEMENT);
	CU_ASSERT_EQUAL(ent("#xFFFE", false), NORMALIZE_REPLACEMENT);
	CU_ASSERT_EQUAL(ent("#x110000", false), NORMALIZE_REPLACEMENT);
	CU_ASSERT_EQUAL(ent("#99999999999", false), NORMALIZE_REPLACEMENT);
	CU_ASSERT_EQUAL(ent("#xFFFFFFFFF", false), NORMALIZE_REPLACEMENT);
	CU_ASSERT_EQUAL(ent("#xZZ", false), NORMALIZE_REPLACEMENT);
	CU_ASSERT_EQUAL(ent("#12a", false), NORMALIZE_REPLACEMENT);
	CU_ASSERT_EQUAL(ent("#", false), NORMALIZE_REPLACEMENT);
	CU_ASSERT_EQUAL(ent("#x", false), NORMALIZE_REPLACEMENT);
}

static void
test_normalize_html_strips_tags_and_decodes_entities(void)
{
	/* The brief's example after the XML level has decoded it once. */
	CU_ASSERT_STRING_EQUAL(norm("<p>Hello &amp; <b>world</b></p>", NORMALIZE_HTML),
	                       "Hello & world");
	CU_ASSERT_STRING_EQUAL(norm("Boris Johnson&rsquo;s &ldquo;visit&rdquo; &mdash; caf&eacute;"
	                            "&hellip;",
	                            NORMALIZE_HTML),
	                       "Boris Johnson\u2019s \u201Cvisit\u201D \u2014 caf\u00E9\u2026");
	CU_ASSERT_STRING_EQUAL(norm("a&nbsp;&nbsp;b&#160;c&#xA0;d", NORMALIZE_HTML), "a b c d");
	/* Decoded '<' is a character, never markup. */
	CU_ASSERT_STRING_EQUAL(norm("&lt;b&gt;x&lt;/b&gt;", NORMALIZE_HTML), "<b>x</b>");
	/* Unknown references stay literal; a legacy name needs no ';' (HTML5). */
	CU_ASSERT_STRING_EQUAL(norm("AT&T &foo; &amp", NORMALIZE_HTML), "AT&T &foo; &");
}

static void
test_normalize_entity_expands_to_two_code_points(void)
{
	CU_ASSERT_STRING_EQUAL(ent_str("NotEqualTilde", true), "\u2242\u0338");
	CU_ASSERT_STRING_EQUAL(ent_str("fjlig", true), "fj");
	CU_ASSERT_STRING_EQUAL(ent_str("nvlt", true), "<\u20D2");
	CU_ASSERT_STRING_EQUAL(ent_str("ThickSpace", true), "\u205F\u200A");
	CU_ASSERT_STRING_EQUAL(norm("a &NotEqualTilde; b&fjlig;", NORMALIZE_HTML),
	                       "a \u2242\u0338 bfj");
	/* Both characters are spaces: one space. */
	CU_ASSERT_STRING_EQUAL(norm("a&ThickSpace;b", NORMALIZE_HTML), "a b");
}

static void
test_normalize_entity_longest_name(void)
{
	CU_ASSERT_EQUAL(ent("CounterClockwiseContourIntegral", true), 0x2233);
	CU_ASSERT_EQUAL(ent("ClockwiseContourIntegral", true), 0x2232);
	CU_ASSERT_EQUAL(ent("CounterClockwiseContourIntegralX", true), 0);
	CU_ASSERT_EQUAL(ent("CounterClockwiseContourIntegralXYZ", true), 0);
	CU_ASSERT_STRING_EQUAL(norm("&CounterClockwiseContourIntegral;x", NORMALIZE_HTML),
	                       "\u2233x");
	CU_ASSERT_STRING_EQUAL(norm("&CounterClockwiseContourIntegralXYZ;", NORMALIZE_HTML),
	                       "&CounterClockwiseContourIntegralXYZ;");
}

static void
test_normalize_html_legacy_name_without_semicolon(void)
{
	CU_ASSERT_STRING_EQUAL(norm("&copy 2024 caf&eacute", NORMALIZE_HTML),
	                       "\u00A9 2024 caf\u00E9");
	/* Whatever follows: the longest legacy name that is a prefix. */
	CU_ASSERT_STRING_EQUAL(norm("x&ampy &lt3 &copy2024 &not", NORMALIZE_HTML),
	                       "x&y <3 \u00A92024 \u00AC");
	CU_ASSERT_STRING_EQUAL(norm("&notin &notin; &notit;", NORMALIZE_HTML),
	                       "\u00ACin \u2209 \u00ACit;");
	/* Names HTML5 only knows with ';' are not taken without it. */
	CU_ASSERT_STRING_EQUAL(norm("&rsquo &hellip.", NORMALIZE_HTML), "&rsquo &hellip.");
}

static void
test_normalize_html_numeric_without_semicolon(void)
{
	CU_ASSERT_STRING_EQUAL(norm("&#169 2024 &#x41B &#65x &#8217s", NORMALIZE_HTML),
	                       "\u00A9 2024 \u041B A"
	                       "x \u2019s");
	/* No digit: not a reference. Overflow and zero: U+FFFD. */
	CU_ASSERT_STRING_EQUAL(norm("&# &#x; &#xg", NORMALIZE_HTML), "&# &#x; &#xg");
	CU_ASSERT_STRING_EQUAL(norm("&#0; &#99999999999999999999;", NORMALIZE_HTML),
	                       "\uFFFD \uFFFD");
	CU_ASSERT_STRING_EQUAL(norm("&#000000000000000000000000000000000065;", NORMALIZE_HTML),
	                       "A");
}

static void
test_normalize_html_keeps_at_and_t(void)
{
	CU_ASSERT_STRING_EQUAL(norm("AT&T AT&T; Q&A R&D: a & b &; &1", NORMALIZE_HTML),
	                       "AT&T AT&T; Q&A R&D: a & b &; &1");
}

static void
test_normalize_entity_names_are_case_sensitive(void)
{
	CU_ASSERT_EQUAL(ent("Eacute", true), 0xC9);
	CU_ASSERT_EQUAL(ent("eacute", true), 0xE9);
	CU_ASSERT_EQUAL(ent("EACUTE", true), 0);
	CU_ASSERT_EQUAL(ent("Lt", true), 0x226A);
	CU_ASSERT_EQUAL(ent("LT", true), '<');
	CU_ASSERT_EQUAL(ent("Afr", true), 0x1D504);
	CU_ASSERT_EQUAL(ent("afr", true), 0x1D51E);
	CU_ASSERT_EQUAL(ent("AFR", true), 0);
	CU_ASSERT_STRING_EQUAL(norm("&Eacute;t&eacute; &EACUTE; &Lt; &Afr;&afr;", NORMALIZE_HTML),
	                       "\u00C9t\u00E9 &EACUTE; \u226A \U0001D504\U0001D51E");
}

static void
test_normalize_html_unknown_name_kept_literally(void)
{
	CU_ASSERT_STRING_EQUAL(ent_str("nosuch", true), "");
	CU_ASSERT_EQUAL(ent_out[0], 0);
	CU_ASSERT_STRING_EQUAL(norm("&nosuch; &zz; &x &xyzzy;", NORMALIZE_HTML),
	                       "&nosuch; &zz; &x &xyzzy;");
}

static void
test_normalize_html_block_tags_separate_inline_tags_join(void)
{
	CU_ASSERT_STRING_EQUAL(norm("<p>one</p><p>two</p>three<br>four<br/>five<li>six</li>"
	                            "<h2>seven</h2><div>eight</div>",
	                            NORMALIZE_HTML),
	                       "one two three four five six seven eight");
	CU_ASSERT_STRING_EQUAL(
	        norm("wor<b>ld</b> <A HREF=\"/x\">link</A>ed <EM>x</EM>y", NORMALIZE_HTML),
	        "world linked xy");
}

static void
test_normalize_html_drops_script_style_and_comments(void)
{
	CU_ASSERT_STRING_EQUAL(norm("a<script type=\"text/javascript\">if (x < y && z > 1) "
	                            "{ document.write('<p>no</p>'); }</SCRIPT>b",
	                            NORMALIZE_HTML),
	                       "a b");
	CU_ASSERT_STRING_EQUAL(norm("a<style>p > b { color: red }</style>b", NORMALIZE_HTML),
	                       "a b");
	CU_ASSERT_STRING_EQUAL(norm("a <!-- <p>hidden</p> x > y --> b", NORMALIZE_HTML), "a b");
	/* Unterminated: the rest is markup and goes. */
	CU_ASSERT_STRING_EQUAL(norm("a<script>never closed", NORMALIZE_HTML), "a");
	CU_ASSERT_STRING_EQUAL(norm("a<!-- never closed", NORMALIZE_HTML), "a");
}

static void
test_normalize_html_attribute_quotes_hide_gt(void)
{
	CU_ASSERT_STRING_EQUAL(norm("<a title=\"x > y\" alt='p>q'>link</a> text", NORMALIZE_HTML),
	                       "link text");
}

static void
test_normalize_html_keeps_lone_lt(void)
{
	CU_ASSERT_STRING_EQUAL(norm("if a < b and x<3 then <", NORMALIZE_HTML),
	                       "if a < b and x<3 then <");
}

static void
test_normalize_plain_keeps_markup_and_entities(void)
{
	CU_ASSERT_STRING_EQUAL(norm("Plain <b>text</b> &amp; more", 0),
	                       "Plain <b>text</b> &amp; more");
}

static void
test_normalize_folds_and_trims_whitespace(void)
{
	CU_ASSERT_STRING_EQUAL(norm("  \t\r\n a \t\n\n  b\xC2\xA0\xC2\xA0"
	                            "c\xE2\x80\x83"
	                            "d  \n",
	                            0),
	                       "a b c d");
	CU_ASSERT_STRING_EQUAL(norm("\x01\x02x\x7Fy\bz", 0), "x yz");
	/* C1 controls are windows-1252 bytes mistaken for Latin-1; its holes stay blanks. */
	CU_ASSERT_STRING_EQUAL(norm("don\xC2\x92t \xC2\x93q\xC2\x94\xC2\x81x", 0),
	                       "don\u2019t \u201Cq\u201D x");
	CU_ASSERT_STRING_EQUAL(norm(" \n\t ", NORMALIZE_HTML), "");
	CU_ASSERT_STRING_EQUAL(norm("<p> </p>", NORMALIZE_HTML), "");
}

static void
test_normalize_replaces_invalid_utf8(void)
{
	CU_ASSERT_STRING_EQUAL(norm("a\xFF"
	                            "b",
	                            0),
	                       "a\xEF\xBF\xBD"
	                       "b");
	/* A truncated sequence is one U+FFFD (maximal subpart). */
	CU_ASSERT_STRING_EQUAL(norm("a\xE2\x82"
	                            "b",
	                            0),
	                       "a\xEF\xBF\xBD"
	                       "b");
	CU_ASSERT_STRING_EQUAL(norm("a\xE2\x82", 0), "a\xEF\xBF\xBD");
	/* Overlong '/', a surrogate, beyond U+10FFFF. */
	CU_ASSERT_STRING_EQUAL(norm("\xC0\xAF", 0), "\xEF\xBF\xBD\xEF\xBF\xBD");
	CU_ASSERT_STRING_EQUAL(norm("\xED\xA0\x80", 0), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	CU_ASSERT_STRING_EQUAL(norm("\xF4\x90\x80\x80", 0),
	                       "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	/* Valid multi-byte text passes untouched. */
	CU_ASSERT_STRING_EQUAL(norm("Лавров \xF0\x9F\x98\x80 caf\xC3\xA9", 0),
	                       "Лавров \xF0\x9F\x98\x80 caf\xC3\xA9");
}

static void
test_normalize_truncates_at_utf8_boundary(void)
{
	bool trunc = false;

	CU_ASSERT_STRING_EQUAL(norm_cap("a\xC3\xA9"
	                                "b",
	                                0, 2, &trunc),
	                       "a");
	CU_ASSERT_TRUE(trunc);
	trunc = false;
	CU_ASSERT_STRING_EQUAL(norm_cap("abcdef", 0, 3, &trunc), "abc");
	CU_ASSERT_TRUE(trunc);
	trunc = false;
	/* Exactly fitting is not truncation; a trailing space is dropped, not cut. */
	CU_ASSERT_STRING_EQUAL(norm_cap("abc   ", 0, 3, &trunc), "abc");
	CU_ASSERT_FALSE(trunc);
}

static void
test_normalize_utf8_boundary_cuts_incomplete_tail(void)
{
	CU_ASSERT_EQUAL(normalize_utf8_boundary((const uint8_t *)"ab", 2), 2);
	CU_ASSERT_EQUAL(normalize_utf8_boundary((const uint8_t *)"a\xC3", 2), 1);
	CU_ASSERT_EQUAL(normalize_utf8_boundary((const uint8_t *)"a\xC3\xA9", 3), 3);
	CU_ASSERT_EQUAL(normalize_utf8_boundary((const uint8_t *)"a\xE2\x82", 3), 1);
	CU_ASSERT_EQUAL(normalize_utf8_boundary((const uint8_t *)"a\xF0\x9F\x98", 4), 1);
	CU_ASSERT_EQUAL(normalize_utf8_boundary((const uint8_t *)"a\xF0\x9F\x98\x80", 5), 5);
	CU_ASSERT_EQUAL(normalize_utf8_boundary((const uint8_t *)"", 0), 0);
}

static void
test_normalize_inline_elements(void)
{
	CU_ASSERT_TRUE(normalize_html_inline("b", 1));
	CU_ASSERT_TRUE(normalize_html_inline("EM", 2));
	CU_ASSERT_TRUE(normalize_html_inline("span", 4));
	CU_ASSERT_FALSE(normalize_html_inline("p", 1));
	CU_ASSERT_FALSE(normalize_html_inline("div", 3));
	CU_ASSERT_FALSE(normalize_html_inline("averyverylongelementname", 24));
}

/*
 * Long prose runs are scanned sixteen bytes at a time: every kind of byte
 * that ends a run, at every offset around the block edges, must end it
 * exactly where the byte-by-byte rules do.
 */
static void
test_normalize_long_runs_stop_at_every_offset(void)
{
	static const struct {
		const char *mid;  /* put after k 'a's and before 40 'b's */
		const char *want; /* what it becomes */
		unsigned flags;
	} cases[] = {
		{ "  ", " ", 0 },
		{ " \t\n", " ", 0 },
		{ "\x01", "", 0 },
		{ " <br> ", " ", NORMALIZE_HTML },
		{ "<b>", "", NORMALIZE_HTML },
		{ "&amp;", "&", NORMALIZE_HTML },
		{ "<b>", "<b>", 0 },
		{ "\xC3\xA9", "\xC3\xA9", 0 },
		{ "\xFF", "\xEF\xBF\xBD", 0 },
		{ " ", " ", 0 },
		{ "\x7F", " ", 0 },
	};
	char in[128], want[128];
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (k = 1; k < 40; k++) {
			memset(in, 'a', k);
			strcpy(in + k, cases[i].mid);
			memset(in + strlen(in), 'b', 40);
			in[k + strlen(cases[i].mid) + 40] = '\0';
			memset(want, 'a', k);
			strcpy(want + k, cases[i].want);
			memset(want + strlen(want), 'b', 40);
			want[k + strlen(cases[i].want) + 40] = '\0';
			CU_ASSERT_STRING_EQUAL(norm(in, cases[i].flags), want);
		}
	}
}

static void
test_normalize_known_tags_only_when_asked(void)
{
	const unsigned maybe = NORMALIZE_HTML | NORMALIZE_HTML_KNOWN;

	CU_ASSERT_STRING_EQUAL(norm("std::vector<int> and <b>bold</b><br/>x", maybe),
	                       "std::vector<int> and bold x");
	CU_ASSERT_STRING_EQUAL(norm("#include </etc/shadow> <stdio.h>", maybe),
	                       "#include </etc/shadow> <stdio.h>");
	CU_ASSERT_STRING_EQUAL(norm("a<!-- c -->b <SPAN>c</Span> <blockquote>q", maybe), "ab c q");
	/* Without the flag every tag is markup. */
	CU_ASSERT_STRING_EQUAL(norm("std::vector<int> x", NORMALIZE_HTML), "std::vector x");
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("normalize", NULL, NULL);
	CU_add_test(s, "decodes the five XML entities",
	            test_normalize_decodes_the_five_xml_entities);
	CU_add_test(s, "decodes HTML named entities", test_normalize_decodes_html_named_entities);
	CU_add_test(s, "numeric references and invalid ones",
	            test_normalize_numeric_references_and_invalid_ones);
	CU_add_test(s, "html strips tags and decodes entities",
	            test_normalize_html_strips_tags_and_decodes_entities);
	CU_add_test(s, "entity expands to two code points",
	            test_normalize_entity_expands_to_two_code_points);
	CU_add_test(s, "entity longest name", test_normalize_entity_longest_name);
	CU_add_test(s, "html legacy name without ';'",
	            test_normalize_html_legacy_name_without_semicolon);
	CU_add_test(s, "html numeric reference without ';'",
	            test_normalize_html_numeric_without_semicolon);
	CU_add_test(s, "html keeps AT&T", test_normalize_html_keeps_at_and_t);
	CU_add_test(s, "entity names are case-sensitive",
	            test_normalize_entity_names_are_case_sensitive);
	CU_add_test(s, "html unknown name kept literally",
	            test_normalize_html_unknown_name_kept_literally);
	CU_add_test(s, "html block tags separate, inline tags join",
	            test_normalize_html_block_tags_separate_inline_tags_join);
	CU_add_test(s, "html drops script, style and comments",
	            test_normalize_html_drops_script_style_and_comments);
	CU_add_test(s, "html attribute quotes hide '>'",
	            test_normalize_html_attribute_quotes_hide_gt);
	CU_add_test(s, "html keeps a lone '<'", test_normalize_html_keeps_lone_lt);
	CU_add_test(s, "plain keeps markup and entities",
	            test_normalize_plain_keeps_markup_and_entities);
	CU_add_test(s, "folds and trims whitespace", test_normalize_folds_and_trims_whitespace);
	CU_add_test(s, "replaces invalid UTF-8", test_normalize_replaces_invalid_utf8);
	CU_add_test(s, "truncates at a UTF-8 boundary", test_normalize_truncates_at_utf8_boundary);
	CU_add_test(s, "utf8 boundary cuts an incomplete tail",
	            test_normalize_utf8_boundary_cuts_incomplete_tail);
	CU_add_test(s, "inline elements", test_normalize_inline_elements);
	CU_add_test(s, "long runs stop at every offset",
	            test_normalize_long_runs_stop_at_every_offset);
	CU_add_test(s, "known tags only when asked", test_normalize_known_tags_only_when_asked);
	return guard_run_tests();
}
