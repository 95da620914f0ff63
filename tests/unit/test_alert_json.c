#include "alert/alert_json.h"

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert_text.h"
#include "guard.h"

static void
fill(struct alert_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = 1764324000000123000ull; /* 2025-11-28T10:00:00.000123Z */
	strcpy(r->watchlist, "russia-diplomacy");
	strcpy(r->severity, "high");
	r->n_tags = 2;
	strcpy(r->tags[0], "geopolitics");
	strcpy(r->tags[1], "russia");
	r->n_hits = 2;
	strcpy(r->hits[0].term, "Lavrov");
	strcpy(r->hits[0].field, "summary");
	r->hits[0].offset = 83;
	strcpy(r->hits[1].term, "Moscow");
	strcpy(r->hits[1].field, "title");
	r->hits[1].offset = 41;
	strcpy(r->title, "News story: Foreign Secretary arrives in Moscow");
	strcpy(r->link, "https://www.gov.uk/government/news/x");
	strcpy(r->id, "tag:1");
	strcpy(r->published, "2017-12-22T10:00:00+00:00");
	strcpy(r->excerpt, "Boris Johnson has arrived");
	strcpy(r->feed_url, "http://www.gov.uk/government/announcements.atom");
	strcpy(r->feed_format, "atom");
	strcpy(r->feed_title, "Announcements - GOV.UK");
	strcpy(r->flow_src, "198.18.0.10:80");
	strcpy(r->flow_dst, "198.18.0.20:51512");
	strcpy(r->flow_proto, "tcp");
}

static void
test_alert_json_encodes_the_documented_line(void)
{
	static const char want[] =
	        "{\"seq\":41,\"ts\":\"2025-11-28T10:00:00.000123Z\",\"watchlist\":\"russia-"
	        "diplomacy\",\"severity\":\"high\",\"tags\":[\"geopolitics\",\"russia\"],"
	        "\"rule\":null,\"hits\":[{\"term\":\"Lavrov\",\"field\":\"summary\",\"offset\":83},"
	        "{\"term\":\"Moscow\",\"field\":\"title\",\"offset\":41}],\"hits_dropped\":0,"
	        "\"item\":{\"title\":\"News story: Foreign Secretary arrives in Moscow\",\"link\":"
	        "\"https://www.gov.uk/government/news/x\",\"id\":\"tag:1\",\"published\":"
	        "\"2017-12-22T10:00:00+00:00\",\"excerpt\":\"Boris Johnson has arrived\"},"
	        "\"feed\":{\"url\":\"http://www.gov.uk/government/announcements.atom\",\"format\":"
	        "\"atom\",\"title\":\"Announcements - "
	        "GOV.UK\"},\"flow\":{\"src\":\"198.18.0.10:80\","
	        "\"dst\":\"198.18.0.20:51512\",\"proto\":\"tcp\"},\"latency_us\":12}\n";
	struct alert_rec r;
	char buf[ALERT_JSON_MAX];
	size_t n;

	fill(&r);
	n = alert_json_encode(&r, 41, 12, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_NSTRING_EQUAL(buf, want, n);
}

static void
test_alert_json_escapes_quotes_controls_and_bad_utf8(void)
{
	struct alert_rec r;
	char buf[ALERT_JSON_MAX];
	size_t n;

	fill(&r);
	strcpy(r.title, "a\"b\\c\n\x01 \xff \xc3\xa9 \xe2\x82");
	n = alert_json_encode(&r, 1, 0, buf, sizeof(buf));
	CU_ASSERT(n > 0);
	buf[n] = '\0';
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(buf, "\"title\":\"a\\\"b\\\\c\\n\\u0001 \\ufffd \xc3\xa9 \\ufffd\\ufffd\""));
}

static void
test_alert_json_refuses_a_short_buffer(void)
{
	struct alert_rec r;
	char buf[64];

	fill(&r);
	CU_ASSERT_EQUAL(alert_json_encode(&r, 1, 0, buf, sizeof(buf)), 0);
}

static void
test_alert_json_worst_case_record_fits(void)
{
	struct alert_rec r;
	char *buf = malloc(ALERT_JSON_MAX);
	uint32_t i;

	memset(&r, 0, sizeof(r));
	/* every string full of bytes that escape to six */
	memset(r.title, 1, sizeof(r.title) - 1);
	memset(r.link, 1, sizeof(r.link) - 1);
	memset(r.id, 1, sizeof(r.id) - 1);
	memset(r.excerpt, 1, sizeof(r.excerpt) - 1);
	memset(r.feed_url, 1, sizeof(r.feed_url) - 1);
	memset(r.feed_title, 1, sizeof(r.feed_title) - 1);
	memset(r.published, 1, sizeof(r.published) - 1);
	memset(r.watchlist, 1, sizeof(r.watchlist) - 1);
	memset(r.rule, 1, sizeof(r.rule) - 1);
	r.n_hits = ALERT_MAX_HITS;
	r.n_tags = ALERT_MAX_TAGS;
	for (i = 0; i < ALERT_MAX_HITS; i++) {
		memset(r.hits[i].term, 1, sizeof(r.hits[i].term) - 1);
	}
	for (i = 0; i < ALERT_MAX_TAGS; i++) {
		memset(r.tags[i], 1, sizeof(r.tags[i]) - 1);
	}
	CU_ASSERT(alert_json_encode(&r, UINT64_MAX, UINT64_MAX, buf, ALERT_JSON_MAX) > 0);
	free(buf);
}

static void
test_alert_copy_text_cuts_at_a_character_boundary(void)
{
	/* "ab" then U+00E9 (2 bytes): a 4-byte buffer holds "ab" and the NUL, not half of é */
	const uint8_t *src = guard_dup("ab\xc3\xa9", 4);
	struct span s = { src, 4 };
	char dst[4];

	CU_ASSERT_EQUAL(alert_copy_text(dst, sizeof(dst), s), 2);
	CU_ASSERT_STRING_EQUAL(dst, "ab");
	s.len = 2;
	CU_ASSERT_EQUAL(alert_copy_text(dst, sizeof(dst), s), 2);
	s.len = 0;
	CU_ASSERT_EQUAL(alert_copy_text(dst, sizeof(dst), s), 0);
	CU_ASSERT_STRING_EQUAL(dst, "");
	guard_free((uint8_t *)(uintptr_t)src);
}

static void
test_alert_text_parses_what_json_encodes(void)
{
	struct alert_rec r, back;
	char buf[ALERT_JSON_MAX];
	uint64_t seq, lat;
	size_t n;

	fill(&r);
	strcpy(r.rule, "uk-russia-talks");
	strcpy(r.title, "Quote \" and \xd0\x9b\xd0\xb0\xd0\xb2\xd1\x80\xd0\xbe\xd0\xb2");
	n = alert_json_encode(&r, 7, 33, buf, sizeof(buf));
	CU_ASSERT_EQUAL(alert_text_parse(buf, n, &back, &seq, &lat), 0);
	CU_ASSERT_EQUAL(seq, 7);
	CU_ASSERT_EQUAL(lat, 33);
	CU_ASSERT_STRING_EQUAL(back.watchlist, r.watchlist);
	CU_ASSERT_STRING_EQUAL(back.rule, "uk-russia-talks");
	CU_ASSERT_STRING_EQUAL(back.title, r.title);
	CU_ASSERT_STRING_EQUAL(back.feed_url, r.feed_url);
	CU_ASSERT_STRING_EQUAL(back.flow_dst, r.flow_dst);
	CU_ASSERT_EQUAL(back.n_tags, 2);
	CU_ASSERT_STRING_EQUAL(back.tags[1], "russia");
	CU_ASSERT_EQUAL(back.n_hits, 2);
	CU_ASSERT_STRING_EQUAL(back.hits[1].field, "title");
	CU_ASSERT_EQUAL(back.hits[1].offset, 41);
}

static void
test_alert_text_rejects_what_is_not_an_alert(void)
{
	struct alert_rec r;
	uint64_t seq, lat;

	CU_ASSERT_EQUAL(alert_text_parse("[1,2]", 5, &r, &seq, &lat), -1);
	CU_ASSERT_EQUAL(alert_text_parse("{\"seq\":1", 8, &r, &seq, &lat), -1);
	CU_ASSERT_EQUAL(alert_text_parse("{\"seq\":1}", 9, &r, &seq, &lat), -1);
	CU_ASSERT_EQUAL(alert_text_parse("", 0, &r, &seq, &lat), -1);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("alert_json", NULL, NULL);
	CU_add_test(s, "encodes the documented line", test_alert_json_encodes_the_documented_line);
	CU_add_test(s, "escapes quotes, controls and bad UTF-8",
	            test_alert_json_escapes_quotes_controls_and_bad_utf8);
	CU_add_test(s, "refuses a short buffer", test_alert_json_refuses_a_short_buffer);
	CU_add_test(s, "worst-case record fits", test_alert_json_worst_case_record_fits);
	CU_add_test(s, "copy cuts at a character boundary",
	            test_alert_copy_text_cuts_at_a_character_boundary);
	CU_add_test(s, "text parses what json encodes", test_alert_text_parses_what_json_encodes);
	CU_add_test(s, "text rejects what is not an alert",
	            test_alert_text_rejects_what_is_not_an_alert);
	return guard_run_tests();
}
