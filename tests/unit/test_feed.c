#include "feed/feed.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_rig.h"
#include "guard.h"

/* A BBC-style RSS 2.0 feed: CDATA, content:encoded, dc:creator, escaped HTML, a DOCTYPE. */
static const char rss_doc[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<?xml-stylesheet title=\"XSL_formatting\" type=\"text/xsl\" href=\"/rss.xsl\"?>\n"
        "<!DOCTYPE rss [ <!ENTITY copy \"(c)\"> <!ENTITY e \"a>b<feed>\"> ]>\n"
        "<rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
        "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
        "xmlns:atom=\"http://www.w3.org/2005/Atom\" version=\"2.0\" "
        "xmlns:media=\"http://search.yahoo.com/mrss/\">\n"
        "  <channel>\n"
        "    <title><![CDATA[BBC News - World]]></title>\n"
        "    <description><![CDATA[BBC News - World]]></description>\n"
        "    <link>https://www.bbc.co.uk/news/world</link>\n"
        "    <image>\n"
        "      <url>https://news.bbcimg.co.uk/nol/shared/img/bbc_news_120x60.gif</url>\n"
        "      <title>Not the feed title</title>\n"
        "    </image>\n"
        "    <atom:link href=\"https://feeds.bbci.co.uk/news/world/rss.xml\" rel=\"self\" "
        "type=\"application/rss+xml\"/>\n"
        "    <!-- a comment with <item><title>fake</title></item> inside -->\n"
        "    <item>\n"
        "      <!-- <b>x</b> -> y <title>fake</title> -->\n"
        "      <title><![CDATA[Lavrov meets Foreign Secretary in Moscow]]></title>\n"
        "      <description><![CDATA[Talks on the <b>Iran nuclear deal</b> &amp; North "
        "Korea [1]] x].]]></description>\n"
        "      <link>https://www.bbc.co.uk/news/world-europe-42467921</link>\n"
        "      <guid isPermaLink=\"true\">https://www.bbc.co.uk/news/world-europe-42467921</guid>\n"
        "      <pubDate>Fri, 22 Dec 2017 09:51:39 GMT</pubDate>\n"
        "      <dc:creator>Jonathan Marcus</dc:creator>\n"
        "      <category>Europe</category>\n"
        "      <dc:creator>Steve Rosenberg</dc:creator>\n"
        "      <category domain=\"x\">Diplomacy</category>\n"
        "      <media:thumbnail width=\"240\" height=\"135\" "
        "url=\"https://ichef.bbci.co.uk/x.jpg\"/>\n"
        "      <media:title>Not the item title</media:title>\n"
        "      <content:encoded><![CDATA[<p>Boris Johnson&rsquo;s visit is the first in five "
        "years.</p><script>track(\"x > y\")</script><p>Sergei&nbsp;Lavrov "
        "said\xE2\x80\xA6]]]]><![CDATA[></p>]]></content:encoded>\n"
        "    </item>\n"
        "    <item>\n"
        "      <title>Caf&#233; owner&#x2019;s &quot;surprise&quot; &amp;amp; more</title>\n"
        "      <description>&lt;p&gt;Hello &amp;amp; "
        "&lt;b&gt;world&lt;/b&gt;&lt;/p&gt;</description>\n"
        "      <link>\n        https://www.bbc.co.uk/news/world-2\n      </link>\n"
        "      <guid isPermaLink='false'>urn:bbc:2</guid>\n"
        "      <pubDate>Sat, 23 Dec 2017 10:00:00 GMT</pubDate>\n"
        "      <dc:date>2017-12-23T10:00:00Z</dc:date>\n"
        "      <?ignored pi <item> ?>\n"
        "    </item>\n"
        "    <item>\n"
        "      <link>https://www.bbc.co.uk/news/world-3</link>\n"
        "    </item>\n"
        "  </channel>\n"
        "</rss>\n";

/* A GOV.UK-style Atom feed: alternate links, published/updated, author/name, xhtml content. */
static const char atom_doc[] =
        "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en-GB\">\n"
        "  <id>tag:www.gov.uk,2005:/government/announcements</id>\n"
        "  <link rel=\"alternate\" type=\"text/html\" "
        "href=\"https://www.gov.uk/government/announcements\"/>\n"
        "  <link rel=\"self\" type=\"application/atom+xml\" "
        "href=\"https://www.gov.uk/government/announcements.atom\"/>\n"
        "  <title>Announcements</title>\n"
        "  <updated>2017-12-22T09:00:00+00:00</updated>\n"
        "  <author><name>HM Government</name></author>\n"
        "  <entry>\n"
        "    <id>tag:www.gov.uk,2005:/government/news/foreign-secretary-arrives-in-moscow</id>\n"
        "    <updated>2017-12-22T10:00:00+00:00</updated>\n"
        "    <published>2017-12-22T09:30:00+00:00</published>\n"
        "    <link rel='self' href='https://www.gov.uk/api/x.json'/>\n"
        "    <link rel=\"alternate\" type='text/html' title=\"a > b\" "
        "href=\"https://www.gov.uk/government/news/moscow?a=1&amp;b=2\"/>\n"
        "    <title>News story: Foreign Secretary arrives in Moscow</title>\n"
        "    <summary type=\"html\">&lt;p&gt;Talks with Sergei Lavrov on the Iran nuclear deal "
        "and North Korea.&lt;/p&gt;</summary>\n"
        "    <author><name>Foreign &amp; Commonwealth Office</name><uri>https://x</uri></author>\n"
        "    <category term=\"Foreign affairs\" label=\"x\"/>\n"
        "    <category term='Russia'/>\n"
        "    <source><title>Not the entry title</title></source>\n"
        "    <content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>The Foreign "
        "Secretary <em>arrived</em> in Moscow.</p><p>He met&#160;Sergei Lavrov &amp; "
        "others.</p><script>var x;</script><br/>End</div></content>\n"
        "  </entry>\n"
        "  <entry>\n"
        "    <title type=\"text\">Speech: a &lt;b&gt;bold&lt;/b&gt; tag</title>\n"
        "    <link href=\"https://www.gov.uk/government/speeches/x\"/>\n"
        "    <id>tag:2</id>\n"
        "    <updated>2017-12-21T10:00:00Z</updated>\n"
        "    <summary>Plain &lt;text&gt;</summary>\n"
        "  </entry>\n"
        "</feed>\n";

static void
test_feed_rss_items_fields_exact(void)
{
	struct feed_env *env = feed_rig_env(4096, 2);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, rss_doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 3);
	CU_ASSERT_EQUAL(g.format[0], FEED_FMT_RSS);
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "BBC News - World");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE],
	                       "Lavrov meets Foreign Secretary in Moscow");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK],
	                       "https://www.bbc.co.uk/news/world-europe-42467921");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_ID],
	                       "https://www.bbc.co.uk/news/world-europe-42467921");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_PUBLISHED], "Fri, 22 Dec 2017 09:51:39 GMT");
	/* Repeated fields are joined even with other fields between them. */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_AUTHOR], "Jonathan Marcus, Steve Rosenberg");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_CATEGORY], "Europe, Diplomacy");
	CU_ASSERT_EQUAL_FATAL(g.n_categories[0], 2);
	CU_ASSERT_STRING_EQUAL(g.category[0][0], "Europe");
	CU_ASSERT_STRING_EQUAL(g.category[0][1], "Diplomacy");
	/* The channel's <link>, not the atom:link rel="self" beside it. */
	CU_ASSERT_STRING_EQUAL(g.feed_link[0], "https://www.bbc.co.uk/news/world");
	CU_ASSERT_EQUAL(g.n_categories[1], 0);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_SUMMARY],
	                       "Talks on the Iran nuclear deal & North Korea [1]] x].");
	CU_ASSERT_STRING_EQUAL(
	        g.field[0][FEED_F_CONTENT],
	        "Boris Johnson\u2019s visit is the first in five years. Sergei Lavrov "
	        "said\u2026]]>");

	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_TITLE],
	                       "Caf\u00E9 owner\u2019s \"surprise\" & more");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_SUMMARY], "Hello & world");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_LINK], "https://www.bbc.co.uk/news/world-2");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_ID], "urn:bbc:2");
	/* pubDate wins over a later dc:date. */
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_PUBLISHED], "Sat, 23 Dec 2017 10:00:00 GMT");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_CONTENT], "");

	/* No title, no summary: still an item. */
	CU_ASSERT_STRING_EQUAL(g.field[2][FEED_F_TITLE], "");
	CU_ASSERT_STRING_EQUAL(g.field[2][FEED_F_LINK], "https://www.bbc.co.uk/news/world-3");
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_documents], 1);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_items], 3);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_item_truncated], 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], 0);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_atom_entries_fields_exact(void)
{
	struct feed_env *env = feed_rig_env(4096, 2);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, atom_doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	CU_ASSERT_EQUAL(g.format[0], FEED_FMT_ATOM);
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "Announcements");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE],
	                       "News story: Foreign Secretary arrives in Moscow");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK],
	                       "https://www.gov.uk/government/news/moscow?a=1&b=2");
	CU_ASSERT_STRING_EQUAL(
	        g.field[0][FEED_F_ID],
	        "tag:www.gov.uk,2005:/government/news/foreign-secretary-arrives-in-moscow");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_PUBLISHED], "2017-12-22T09:30:00+00:00");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_AUTHOR], "Foreign & Commonwealth Office");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_CATEGORY], "Foreign affairs, Russia");
	CU_ASSERT_EQUAL_FATAL(g.n_categories[0], 2);
	CU_ASSERT_STRING_EQUAL(g.category[0][0], "Foreign affairs");
	CU_ASSERT_STRING_EQUAL(g.category[0][1], "Russia");
	CU_ASSERT_STRING_EQUAL(g.feed_link[0], "https://www.gov.uk/government/announcements");
	CU_ASSERT_STRING_EQUAL(
	        g.field[0][FEED_F_SUMMARY],
	        "Talks with Sergei Lavrov on the Iran nuclear deal and North Korea.");
	CU_ASSERT_STRING_EQUAL(
	        g.field[0][FEED_F_CONTENT],
	        "The Foreign Secretary arrived in Moscow. He met Sergei Lavrov & others. End");

	/* Titles lose tags whatever their type; a text summary keeps its '<'. */
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_TITLE], "Speech: a bold tag");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_LINK], "https://www.gov.uk/government/speeches/x");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_PUBLISHED], "2017-12-21T10:00:00Z");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_SUMMARY], "Plain <text>");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_AUTHOR], "");
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_items], 2);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_rss_same_items_at_every_split(void)
{
	feed_rig_check_splits(rss_doc);
}

static void
test_feed_atom_same_items_at_every_split(void)
{
	feed_rig_check_splits(atom_doc);
}

static void
test_feed_rdf_items_are_extracted(void)
{
	static const char doc[] =
	        "<?xml version=\"1.0\"?>\n"
	        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
	        "xmlns=\"http://purl.org/rss/1.0/\" "
	        "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
	        " <channel rdf:about=\"http://example.org/\"><title>Example RDF</title>\n"
	        "  <items><rdf:Seq><rdf:li resource=\"http://example.org/1\"/></rdf:Seq></items>\n"
	        " </channel>\n"
	        " <item rdf:about=\"http://example.org/1\"><title>One</title>"
	        "<link>http://example.org/1</link><dc:date>2024-01-02T03:04:05Z</dc:date>"
	        "<dc:subject>Tech</dc:subject><description>First &amp;amp; "
	        "best</description></item>\n"
	        "</rdf:RDF>\n";
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_EQUAL(g.format[0], FEED_FMT_RDF);
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "Example RDF");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "One");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "http://example.org/1");
	/* no guid in RSS 1.0: the item's id is its link (= rdf:about) */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_ID], "http://example.org/1");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_PUBLISHED], "2024-01-02T03:04:05Z");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_CATEGORY], "Tech");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_SUMMARY], "First & best");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_html_and_non_feed_json_are_unknown_format(void)
{
	static const char html[] =
	        "<!DOCTYPE html>\n<html><head><title>Not a feed</title></head><body><item>"
	        "<title>x</title></item></body></html>";
	/* JSON without a top-level "items" array (JSON Feeds are tested in test_feed_json.c). */
	static const char json[] = "{\"version\":\"https://jsonfeed.org/version/1\",\"entries\":"
	                           "[{\"title\":\"<item><title>x</title></item>\"}]}";
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_parser *p;
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, html, "", &g);
	CU_ASSERT_EQUAL(g.n, 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], 1);
	feed_rig_whole(env, json, "", &g);
	CU_ASSERT_EQUAL(g.n, 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], 2);
	p = feed_parser_open(env, span_str(""), &g);
	feed_parser_data(p, span_str(html));
	CU_ASSERT_EQUAL(feed_parser_format(p), FEED_FMT_UNKNOWN);
	feed_parser_close(p);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_unknown_format], 3);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_documents], 3);
	feed_env_free(env);
}

static void
test_feed_item_over_max_item_truncated_at_utf8_boundary(void)
{
	char doc[2048];
	struct feed_env *env = feed_rig_env(64, 1);
	struct feed_rig_got g = { 0 };
	size_t i, len;

	len = (size_t)snprintf(doc, sizeof(doc), "<rss><channel><item><title>a");
	for (i = 0; i < 40; i++) {
		len += (size_t)snprintf(doc + len, sizeof(doc) - len, "\xC3\xA9");
	}
	len += (size_t)snprintf(doc + len, sizeof(doc) - len,
	                        "x</title><description>more text that does not fit</description>"
	                        "<link>http://l</link></item><item><title>short</title></item>"
	                        "</channel></rss>");
	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	/* "a" and 31 "é" are 63 bytes; the 32nd "é" would be split, so it goes whole. */
	CU_ASSERT_EQUAL(strlen(g.field[0][FEED_F_TITLE]), 63);
	CU_ASSERT(strncmp(g.field[0][FEED_F_TITLE], "a\xC3\xA9\xC3\xA9", 5) == 0);
	/* The one byte left takes what fits; the link finds no room at all. */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_SUMMARY], "m");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_TITLE], "short");
	/* Several fields overflowed; counted once for the item, not for the next one. */
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_item_truncated], 1);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_pool_exhaustion_returns_null_and_counts(void)
{
	struct feed_env *env = feed_rig_env(256, 2);
	struct feed_parser *a, *b;
	struct feed_rig_got g = { 0 };

	a = feed_parser_open(env, span_str(""), &g);
	b = feed_parser_open(env, span_str(""), &g);
	CU_ASSERT_PTR_NOT_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(b);
	CU_ASSERT_PTR_NULL(feed_parser_open(env, span_str(""), &g));
	CU_ASSERT_EQUAL(feed_parse_document(env, span_str("<rss/>"), span_str(""), &g), -1);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_pool_empty], 2);
	feed_parser_close(a);
	a = feed_parser_open(env, span_str(""), &g);
	CU_ASSERT_PTR_NOT_NULL(a);
	feed_parser_close(a);
	feed_parser_close(b);
	feed_parser_close(NULL);
	CU_ASSERT_EQUAL(feed_parse_document(env,
	                                    span_str("<rss><channel><item><title>t</title></item>"
	                                             "<item/></channel></rss>"),
	                                    span_str(""), &g),
	                2);
	feed_rig_free(&g);
	feed_env_free(env);
	feed_env_free(NULL);
}

static void
test_feed_unclosed_item_dropped_at_close(void)
{
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, "<rss><channel><item><title>done</title></item><item><title>cut", "",
	               &g);
	CU_ASSERT_EQUAL(g.n, 1);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_items], 1);
	feed_rig_free(&g);
	/* The parser went back to the pool clean: the next document starts fresh. */
	feed_rig_whole(env, "<rss><channel><item><title>next</title></item></channel></rss>", "",
	               &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "next");
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_attribute_quotes_and_gt_inside_values(void)
{
	static const char doc[] =
	        "<feed xmlns='http://www.w3.org/2005/Atom'><entry>"
	        "<link title='x > \"y\"' rel='alternate' href=\"http://a/?q=1>2&amp;r='s'\"/>"
	        "<category term=\"a &gt; b\" scheme='x>y'/><title type='html'>T</title>"
	        "</entry></feed>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "http://a/?q=1>2&r='s'");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_CATEGORY], "a > b");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "T");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_atom_link_fallback_and_prefixed_root(void)
{
	static const char doc[] =
	        "<atom:feed xmlns:atom='http://www.w3.org/2005/Atom' xmlns:m='x'><atom:entry>"
	        "<atom:link rel='enclosure' href='http://first'/>"
	        "<atom:link rel='related' href='http://second'/>"
	        "</atom:entry><atom:entry><atom:link rel='alternate' href='http://alt'/>"
	        "<atom:link href='http://no-rel-after-alt'/>"
	        "<m:title>media title</m:title><atom:title>Real</atom:title>"
	        "<title>unprefixed is another namespace here</title>"
	        "</atom:entry></atom:feed>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	CU_ASSERT_EQUAL(g.format[0], FEED_FMT_ATOM);
	/* No alternate: the first href. */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "http://first");
	/* The first alternate stays. */
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_LINK], "http://alt");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_TITLE], "Real");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_latin1_declaration_converted(void)
{
	static const char doc[] = "<?xml version='1.0' encoding='ISO-8859-1'?>"
	                          "<rss><channel><title>Caf\xE9</title><item><title>\x93Quoted\x94 "
	                          "na\xEFve &#233;</title></item></channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "Caf\u00E9");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "\u201CQuoted\u201D na\u00EFve \u00E9");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_cp1251_declared_or_hinted_converted(void)
{
	/* "Лавров в Москве" and "№" in windows-1251 */
	static const char body[] = "<rss><channel><item><title>\xCB\xE0\xE2\xF0\xEE\xE2 \xE2 "
	                           "\xCC\xEE\xF1\xEA\xE2\xE5 \xB9</title></item></channel></rss>";
	static const char want[] = "\u041B\u0430\u0432\u0440\u043E\u0432 \u0432 "
	                           "\u041C\u043E\u0441\u043A\u0432\u0435 \u2116";
	char doc[512];
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	snprintf(doc, sizeof(doc), "<?xml version=\"1.0\" encoding=\"windows-1251\"?>%s", body);
	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], want);
	feed_rig_free(&g);
	feed_rig_whole(env, body, "CP1251", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], want);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_charset_hint_overrides_declaration(void)
{
	static const char doc[] = "<?xml version='1.0' encoding='ISO-8859-1'?>"
	                          "<rss><channel><item><title>Caf\xC3\xA9 \xFF</title></item>"
	                          "</channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "utf-8", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	/* Read as UTF-8 (the hint), and the stray 0xFF replaced. */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "Caf\u00E9 \uFFFD");
	feed_rig_free(&g);
	feed_rig_whole(env, "<rss><channel><item><title>Caf\xE9</title></item></channel></rss>",
	               "windows-1252", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "Caf\u00E9");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_invalid_references_become_replacement(void)
{
	static const char doc[] = "<rss><channel><item><title>a&#0;b&#xD800;c&#1114112;d "
	                          "AT&T &bogus; &#65;</title></item></channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "a\uFFFDb\uFFFDc\uFFFDd AT&T &bogus; A");
	feed_rig_free(&g);
	feed_env_free(env);
}

/* HTML5 names without a DTD declaring them, in plain fields (author, category) and a title. */
static const char html_names_doc[] =
        "<rss version=\"2.0\"><channel><title>Caf&eacute;&nbsp;News</title><item>"
        "<title>Caf&eacute;&nbsp;owner &Eacute;mile</title>"
        "<author>Ren&eacute;e Fa&ccedil;ade&nbsp;(&NotEqualTilde;) "
        "&CounterClockwiseContourIntegral; &nosuch; &copy 2024 AT&amp;T</author>"
        "<category>Soci&eacute;t&eacute;</category>"
        "<link>http://x/?a=1&amp;b=2&nbsp;</link>"
        "</item></channel></rss>";

static void
test_feed_html_entities_decoded_in_plain_fields_without_dtd(void)
{
	struct feed_env *env = feed_rig_env(512, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, html_names_doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "Caf\u00E9 News");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "Caf\u00E9 owner \u00C9mile");
	/* Only names with ';' (XML's rule); unknown ones stay literal. */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_AUTHOR],
	                       "Ren\u00E9e Fa\u00E7ade (\u2242\u0338) \u2233 &nosuch; &copy 2024 "
	                       "AT&T");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_CATEGORY], "Soci\u00E9t\u00E9");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "http://x/?a=1&b=2");
	feed_rig_free(&g);
	feed_env_free(env);
	/* Names split anywhere, up to the longest, give the same items. */
	feed_rig_check_splits(html_names_doc);
}

static void
test_feed_html_entities_stay_utf8_in_latin1_document(void)
{
	static const char doc[] = "<?xml version='1.0' encoding='ISO-8859-1'?>"
	                          "<rss><channel><item><title>t</title>"
	                          "<author>Ren\xE9"
	                          "e &amp; Ren&eacute;e &#233;&nbsp;&euro;</author>"
	                          "</item></channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	/* Decoded bytes are UTF-8 already: not read again as latin1. */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_AUTHOR], "Ren\u00E9e & Ren\u00E9e \u00E9 \u20AC");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_unescaped_html_with_void_tags_in_description(void)
{
	static const char doc[] =
	        "<rss><channel><item><title>t</title>"
	        "<description>line one<br>line <b>two</b><img src='x'></description>"
	        "<link>http://l</link></item><item><title>second</title></item>"
	        "</channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_SUMMARY], "line one line two");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "http://l");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_TITLE], "second");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_unescaped_void_tag_outside_fields_keeps_items_apart(void)
{
	static const char doc[] = "<rss><channel><item><title>a</title><comments>x<br>y</comments>"
	                          "</item><item><title>b</title></item></channel></rss>";
	struct feed_env *env = feed_rig_env(256, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 2);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "a");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_TITLE], "b");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_latin1_field_over_max_item_stays_in_bounds(void)
{
	char doc[512];
	struct feed_env *env = feed_rig_env(64, 1);
	struct feed_rig_got g = { 0 };
	size_t len;

	len = (size_t)snprintf(doc, sizeof(doc),
	                       "<?xml version='1.0' encoding='latin1'?><rss>"
	                       "<channel><item><title>");
	memset(doc + len, 0xE9, 100);
	len += 100;
	snprintf(doc + len, sizeof(doc) - len, "</title></item></channel></rss>");
	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	/* 32 "é" fill the 64 bytes exactly. */
	CU_ASSERT_EQUAL(strlen(g.field[0][FEED_F_TITLE]), 64);
	CU_ASSERT(strncmp(g.field[0][FEED_F_TITLE], "\xC3\xA9", 2) == 0);
	CU_ASSERT_EQUAL(feed_rig_cnt.v[CNT_feed_item_truncated], 1);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_names(void)
{
	CU_ASSERT_STRING_EQUAL(feed_format_name(FEED_FMT_ATOM), "atom");
	CU_ASSERT_STRING_EQUAL(feed_format_name(FEED_FMT_RSS), "rss");
	CU_ASSERT_STRING_EQUAL(feed_format_name(FEED_FMT_UNKNOWN), "unknown");
	CU_ASSERT_STRING_EQUAL(feed_field_name(FEED_F_PUBLISHED), "published");
	CU_ASSERT_STRING_EQUAL(feed_field_name(FEED_F_CONTENT), "content");
}

static void
test_feed_atom03_base64_and_dates_read(void)
{
	/* "Example <b>Atom</b>" in base64, split across lines as encoders write it. */
	static const char doc[] =
	        "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry>"
	        "<title type=\"text/html\" mode=\"base64\">RXhhbXBsZSA8Yj5B\n  dG9tPC9iPg==</title>"
	        "<summary mode=\"escaped\" type=\"text/html\">&lt;p&gt;Plain&lt;/p&gt;</summary>"
	        "<modified>2004-01-01T19:48:21Z</modified><issued>2004-01-01T10:00:00Z</issued>"
	        "<link rel=\"alternate\" type=\"text/html\">http://example.com/text</link>"
	        "</entry></feed>";
	struct feed_env *env = feed_rig_env(1024, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "Example Atom");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_SUMMARY], "Plain");
	/* issued is published; modified only stands in for it. */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_PUBLISHED], "2004-01-01T10:00:00Z");
	/* A link without href gives its text. */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "http://example.com/text");
	feed_rig_free(&g);
	feed_rig_check_splits(doc);
	feed_env_free(env);
}

static void
test_feed_prefixed_rss_and_rdf_about_read(void)
{
	/* RSS's namespace bound to a prefix, a clashing local name from another one. */
	static const char rdf[] =
	        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
	        "xmlns:rss=\"http://purl.org/rss/1.0/\" xmlns:x=\"http://example.com/x\">"
	        "<rss:channel><rss:title>Chan</rss:title></rss:channel>"
	        "<rss:item rdf:about=\"http://example.org/about/1\"><rss:title>One</rss:title>"
	        "<x:description>wrong</x:description><rss:description>right</rss:description>"
	        "<rss:link>http://example.org/1</rss:link></rss:item></rdf:RDF>";
	static const char rss[] = "<r:rss xmlns:r=\"http://backend.userland.com/rss2\"><r:channel>"
	                          "<r:item><r:title>Two</r:title><r:link>http://a/</r:link>"
	                          "<r:link>http://b/</r:link></r:item></r:channel></r:rss>";
	struct feed_env *env = feed_rig_env(1024, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, rdf, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "Chan");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "One");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_SUMMARY], "right");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_ID], "http://example.org/about/1");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "http://example.org/1");
	feed_rig_free(&g);
	feed_rig_whole(env, rss, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "Two");
	/* Of several RSS <link>s the last wins, as feedparser and gofeed read them. */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "http://b/");
	feed_rig_free(&g);
	feed_rig_check_splits(rdf);
	feed_env_free(env);
}

static void
test_feed_long_runs_between_references_keep_order(void)
{
	char doc[2048], want[1024];
	char run[301];
	struct feed_env *env = feed_rig_env(4096, 1);
	struct feed_rig_got g = { 0 };

	memset(run, 'b', 300);
	run[300] = '\0';
	snprintf(doc, sizeof(doc),
	         "<rss><channel><item><description>a &amp; &lt;i&gt;%s&lt;/i&gt; "
	         "&quot;c&quot;</description></item></channel></rss>",
	         run);
	snprintf(want, sizeof(want), "a & %s \"c\"", run);
	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_SUMMARY], want);
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_relative_links_resolved_by_xml_base_then_document_url(void)
{
	static const char doc[] =
	        "<feed xmlns=\"http://www.w3.org/2005/Atom\" "
	        "xml:base=\"http://example.org/feeds/\">"
	        "<link href=\"../home\"/>"
	        "<entry xml:base=\"posts/\"><id>relative/link</id><link href=\"1?a=b#c\"/></entry>"
	        "<entry><link href=\"/abs\"/><id>tag:x,2024:2</id></entry>"
	        "<entry><link xml:base=\"http://other.test/d/\" href=\"e\"/></entry>"
	        "</feed>";
	static const char rss[] = "<rss><channel><link>/</link><item><link>post/1</link>"
	                          "<guid>post/1</guid></item></channel></rss>";
	struct feed_env *env = feed_rig_env(1024, 1);
	struct feed_rig_got g = { 0 };
	struct feed_parser *p;

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 3);
	CU_ASSERT_STRING_EQUAL(g.feed_link[0], "http://example.org/home");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "http://example.org/feeds/posts/1?a=b#c");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_ID],
	                       "http://example.org/feeds/posts/relative/link");
	/* The entry's xml:base went out of scope with it. */
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_LINK], "http://example.org/abs");
	CU_ASSERT_STRING_EQUAL(g.field[1][FEED_F_ID], "tag:x,2024:2");
	CU_ASSERT_STRING_EQUAL(g.field[2][FEED_F_LINK], "http://other.test/d/e");
	feed_rig_free(&g);
	feed_rig_check_splits(doc);

	/* Without xml:base, the document's URL; a guid is an identifier, never resolved. */
	p = feed_parser_open(env, span_str(""), &g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	feed_parser_set_url(p, span_str("https://news.example.com/world/rss.xml"));
	feed_parser_data(p, span_str(rss));
	feed_parser_close(p);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.feed_link[0], "https://news.example.com/");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "https://news.example.com/world/post/1");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_ID], "post/1");
	feed_rig_free(&g);
	/* A file:// or udp:// document is no base. */
	p = feed_parser_open(env, span_str(""), &g);
	feed_parser_set_url(p, span_str("file:///tmp/x.rss"));
	feed_parser_data(p, span_str(rss));
	feed_parser_close(p);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_LINK], "post/1");
	feed_rig_free(&g);
	feed_env_free(env);
}

static void
test_feed_titles_keep_angle_brackets_that_are_not_html(void)
{
	static const char doc[] =
	        "<rss><channel><title>C&lt;++&gt; &lt;i&gt;news&lt;/i&gt;</title><item>"
	        "<title>Using std::vector&lt;int&gt; in &lt;b&gt;C++&lt;/b&gt;</title>"
	        "<description>std::vector&lt;int&gt; &lt;p&gt;x&lt;/p&gt;</description>"
	        "</item></channel></rss>";
	struct feed_env *env = feed_rig_env(1024, 1);
	struct feed_rig_got g = { 0 };

	feed_rig_whole(env, doc, "", &g);
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_STRING_EQUAL(g.feed_title[0], "C<++> news");
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_TITLE], "Using std::vector<int> in C++");
	/* A description is HTML: there, <int> is a tag like any other. */
	CU_ASSERT_STRING_EQUAL(g.field[0][FEED_F_SUMMARY], "std::vector x");
	feed_rig_free(&g);
	feed_env_free(env);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("feed", NULL, NULL);
	CU_add_test(s, "rss items, fields exact", test_feed_rss_items_fields_exact);
	CU_add_test(s, "atom entries, fields exact", test_feed_atom_entries_fields_exact);
	CU_add_test(s, "rss same items at every split", test_feed_rss_same_items_at_every_split);
	CU_add_test(s, "atom same items at every split", test_feed_atom_same_items_at_every_split);
	CU_add_test(s, "rdf items are extracted", test_feed_rdf_items_are_extracted);
	CU_add_test(s, "html and non-feed json are unknown format",
	            test_feed_html_and_non_feed_json_are_unknown_format);
	CU_add_test(s, "item over max_item truncated at a UTF-8 boundary",
	            test_feed_item_over_max_item_truncated_at_utf8_boundary);
	CU_add_test(s, "pool exhaustion returns NULL and counts",
	            test_feed_pool_exhaustion_returns_null_and_counts);
	CU_add_test(s, "unclosed item dropped at close", test_feed_unclosed_item_dropped_at_close);
	CU_add_test(s, "attribute quotes and '>' inside values",
	            test_feed_attribute_quotes_and_gt_inside_values);
	CU_add_test(s, "atom link fallback and prefixed root",
	            test_feed_atom_link_fallback_and_prefixed_root);
	CU_add_test(s, "latin1 declaration converted", test_feed_latin1_declaration_converted);
	CU_add_test(s, "cp1251 declared or hinted converted",
	            test_feed_cp1251_declared_or_hinted_converted);
	CU_add_test(s, "charset hint overrides declaration",
	            test_feed_charset_hint_overrides_declaration);
	CU_add_test(s, "invalid references become U+FFFD",
	            test_feed_invalid_references_become_replacement);
	CU_add_test(s, "html entities decoded in plain fields without a DTD",
	            test_feed_html_entities_decoded_in_plain_fields_without_dtd);
	CU_add_test(s, "html entities stay UTF-8 in a latin1 document",
	            test_feed_html_entities_stay_utf8_in_latin1_document);
	CU_add_test(s, "unescaped html with void tags in description",
	            test_feed_unescaped_html_with_void_tags_in_description);
	CU_add_test(s, "unescaped void tag outside fields keeps items apart",
	            test_feed_unescaped_void_tag_outside_fields_keeps_items_apart);
	CU_add_test(s, "latin1 field over max_item stays in bounds",
	            test_feed_latin1_field_over_max_item_stays_in_bounds);
	CU_add_test(s, "names", test_feed_names);
	CU_add_test(s, "atom 0.3 base64 and dates read", test_feed_atom03_base64_and_dates_read);
	CU_add_test(s, "prefixed rss and rdf:about read",
	            test_feed_prefixed_rss_and_rdf_about_read);
	CU_add_test(s, "long runs between references keep their order",
	            test_feed_long_runs_between_references_keep_order);
	CU_add_test(s, "relative links resolved by xml:base, then the document URL",
	            test_feed_relative_links_resolved_by_xml_base_then_document_url);
	CU_add_test(s, "titles keep angle brackets that are not HTML",
	            test_feed_titles_keep_angle_brackets_that_are_not_html);
	return guard_run_tests();
}
