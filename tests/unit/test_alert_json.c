#include "alert/alert_json.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert_ecs.h"
#include "alert/alert_text.h"
#include "guard.h"

static void
fill(struct alert_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = 1764324000000123000ull; /* 2025-11-28T10:00:00.000123Z */
	strcpy(r->watchlist, "russia-diplomacy");
	strcpy(r->wl_version, "3");
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
	        "diplomacy\",\"watchlist_version\":\"3\",\"severity\":\"high\",\"tags\":["
	        "\"geopolitics\",\"russia\"],"
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
	memset(r.wl_version, 1, sizeof(r.wl_version) - 1);
	memset(r.severity, 1, sizeof(r.severity) - 1);
	memset(r.flow_src, 1, sizeof(r.flow_src) - 1);
	memset(r.flow_dst, 1, sizeof(r.flow_dst) - 1);
	memset(r.flow_proto, 1, sizeof(r.flow_proto) - 1);
	memset(r.feed_format, 1, sizeof(r.feed_format) - 1);
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
	CU_ASSERT_STRING_EQUAL(back.wl_version, "3");
	CU_ASSERT_STRING_EQUAL(back.severity, "high");
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

static void
test_alert_json_hello_line(void)
{
	char buf[ALERT_JSON_NOTE_MAX];
	size_t n = alert_json_hello(buf, sizeof(buf), "0.1.0", "sensor-1", "ecs", 120);
	static const char want[] = "{\"hello\":{\"version\":\"0.1.0\",\"node\":\"sensor-1\","
	                           "\"format\":\"ecs\",\"last_seq\":120}}\n";

	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_NSTRING_EQUAL(buf, want, n);
	CU_ASSERT_EQUAL(alert_json_hello(buf, n - 1, "0.1.0", "sensor-1", "ecs", 120), 0);
}

static void
test_alert_json_gap_line(void)
{
	char buf[ALERT_JSON_NOTE_MAX];
	size_t n = alert_json_gap(buf, sizeof(buf), 120, 180, "slow");
	static const char want[] = "{\"gap\":{\"from\":120,\"to\":180,\"reason\":\"slow\"}}\n";

	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_NSTRING_EQUAL(buf, want, n);
	CU_ASSERT_EQUAL(alert_json_gap(buf, n - 1, 120, 180, "slow"), 0);
}

static void
test_alert_json_notice_line_escapes_its_message(void)
{
	char buf[ALERT_JSON_NOTE_MAX];
	size_t n = alert_json_notice(buf, sizeof(buf), "error", "bad \"request\"\n", 7);
	static const char want[] = "{\"notice\":{\"type\":\"error\",\"message\":\"bad "
	                           "\\\"request\\\"\\n\",\"last_seq\":7}}\n";

	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_NSTRING_EQUAL(buf, want, n);
	CU_ASSERT_EQUAL(alert_json_notice(buf, n - 1, "error", "bad \"request\"\n", 7), 0);
}

static void
test_alert_json_notes_fit_their_max_whatever_the_strings(void)
{
	char big[4096], buf[ALERT_JSON_NOTE_MAX];
	size_t n;

	/* every byte escapes to six, and far longer than any bound */
	memset(big, 1, sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT(alert_json_hello(buf, sizeof(buf), big, big, big, UINT64_MAX) > 0);
	CU_ASSERT(alert_json_notice(buf, sizeof(buf), big, big, UINT64_MAX) > 0);
	CU_ASSERT(alert_json_gap(buf, sizeof(buf), UINT64_MAX, UINT64_MAX, big) > 0);
	/* a cut never splits a character: 200 two-byte characters, cut to 128 bytes */
	for (n = 0; n < 400; n += 2) {
		big[n] = (char)0xd0;
		big[n + 1] = (char)0x9b;
	}
	big[400] = '\0';
	n = alert_json_notice(buf, sizeof(buf), "error", big, 0);
	CU_ASSERT(n > 0);
	buf[n] = '\0';
	CU_ASSERT_PTR_NULL(strstr(buf, "\\ufffd"));
}

static void
test_alert_text_parse_refuses_stream_control_lines(void)
{
	char buf[ALERT_JSON_NOTE_MAX];
	struct alert_rec r;
	uint64_t seq, lat;
	size_t n;

	n = alert_json_hello(buf, sizeof(buf), "0.1.0", "n", "feedwatch", 3);
	CU_ASSERT_EQUAL(alert_text_parse(buf, n, &r, &seq, &lat), -1);
	n = alert_json_gap(buf, sizeof(buf), 4, 9, "retention");
	CU_ASSERT_EQUAL(alert_text_parse(buf, n, &r, &seq, &lat), -1);
	n = alert_json_notice(buf, sizeof(buf), "disconnect", "shutting down", 9);
	CU_ASSERT_EQUAL(alert_text_parse(buf, n, &r, &seq, &lat), -1);
}

static void
test_alert_text_parse_line_tells_every_kind(void)
{
	static struct alert_line l;
	static char buf[ALERT_ECS_MAX];
	struct alert_rec r;
	const uint8_t *in;
	size_t n;

	fill(&r);
	n = alert_json_encode(&r, 41, 12, buf, sizeof(buf));
	in = guard_dup(buf, n - 1); /* without its '\n' */
	CU_ASSERT_EQUAL(alert_text_parse_line((const char *)in, n - 1, &l), ALERT_LINE_ALERT);
	CU_ASSERT_FALSE(l.ecs);
	CU_ASSERT_EQUAL(l.seq, 41);
	CU_ASSERT_STRING_EQUAL(l.rec.wl_version, "3");
	guard_free((uint8_t *)(uintptr_t)in);

	n = alert_ecs_encode(&r, 42, 13, "node", buf, sizeof(buf));
	in = guard_dup(buf, n);
	CU_ASSERT_EQUAL(alert_text_parse_line((const char *)in, n, &l), ALERT_LINE_ALERT);
	CU_ASSERT_TRUE(l.ecs);
	CU_ASSERT_EQUAL(l.seq, 42);
	CU_ASSERT_EQUAL(l.latency_us, 13);
	CU_ASSERT_STRING_EQUAL(l.rec.watchlist, "russia-diplomacy");
	CU_ASSERT_STRING_EQUAL(l.rec.severity, "high");
	CU_ASSERT_STRING_EQUAL(l.rec.title, r.title);
	CU_ASSERT_EQUAL(l.rec.n_hits, 2);
	guard_free((uint8_t *)(uintptr_t)in);

	n = alert_json_hello(buf, sizeof(buf), "0.1.0", "sensor-1", "ecs", 120);
	CU_ASSERT_EQUAL(alert_text_parse_line(buf, n, &l), ALERT_LINE_HELLO);
	CU_ASSERT_EQUAL(l.last_seq, 120);
	CU_ASSERT_STRING_EQUAL(l.node, "sensor-1");
	CU_ASSERT_STRING_EQUAL(l.format, "ecs");
	CU_ASSERT_STRING_EQUAL(l.version, "0.1.0");

	n = alert_json_gap(buf, sizeof(buf), 120, 180, "slow");
	CU_ASSERT_EQUAL(alert_text_parse_line(buf, n, &l), ALERT_LINE_GAP);
	CU_ASSERT_EQUAL(l.from, 120);
	CU_ASSERT_EQUAL(l.to, 180);
	CU_ASSERT_STRING_EQUAL(l.reason, "slow");

	n = alert_json_notice(buf, sizeof(buf), "disconnect", "bye \"now\"", 9);
	CU_ASSERT_EQUAL(alert_text_parse_line(buf, n, &l), ALERT_LINE_NOTICE);
	CU_ASSERT_EQUAL(l.last_seq, 9);
	CU_ASSERT_STRING_EQUAL(l.type, "disconnect");
	CU_ASSERT_STRING_EQUAL(l.message, "bye \"now\"");

	CU_ASSERT_EQUAL(alert_text_parse_line("{\"seq\":1}", 9, &l), ALERT_LINE_OTHER);
	CU_ASSERT_EQUAL(alert_text_parse_line("{\"hello\":{", 10, &l), ALERT_LINE_OTHER);
	CU_ASSERT_EQUAL(alert_text_parse_line("[]", 2, &l), ALERT_LINE_OTHER);
	CU_ASSERT_EQUAL(alert_text_parse_line("", 0, &l), ALERT_LINE_OTHER);
	CU_ASSERT_EQUAL(alert_text_parse_line("{\"feedwatch\":{}}", 16, &l), ALERT_LINE_OTHER);
}

/* What alert_text_print_color writes, NUL-terminated, in a static buffer. */
static const char *
printed(const struct alert_rec *r, bool color)
{
	static char out[8192];
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");

	alert_text_print_color(f, r, 7, 3, color);
	fclose(f);
	return out;
}

static void
test_alert_text_print_colours_only_when_asked(void)
{
	struct alert_rec r;
	char plain[8192];
	FILE *f;

	fill(&r);
	strcpy(r.severity, "critical");
	CU_ASSERT_PTR_NULL(strchr(printed(&r, false), '\033'));
	CU_ASSERT_PTR_NOT_NULL(strstr(printed(&r, false), "#7  russia-diplomacy  [critical]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(printed(&r, true), "#7  \033[1mrussia-diplomacy\033[0m  "
	                                                 "\033[1;37;41m[critical]\033[0m"));
	/* alert_text_print is the colourless form, byte for byte */
	f = fmemopen(plain, sizeof(plain) - 1, "w");
	alert_text_print(f, &r, 7, 3);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(plain, printed(&r, false));
}

static void
test_alert_text_print_neutralises_control_characters(void)
{
	struct alert_rec r;
	const char *out;

	fill(&r);
	strcpy(r.title, "a\033[2Jb\x07"
	                "c\xc2\x9b"
	                "d\x7f \xc3\xa9");
	strcpy(r.watchlist, "w\033]0;x");
	out = printed(&r, false);
	CU_ASSERT_PTR_NULL(strchr(out, '\033'));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "item:  a?[2Jb?c?d? \xc3\xa9\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "#7  w?]0;x  [high]"));
}

/* The escaping the encoder must do for ASCII, one byte at a time (RFC 8259 §7). */
static size_t
escape_ref(const unsigned char *s, size_t n, char *out)
{
	size_t k = 0, i;

	out[k++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			out[k++] = '\\';
			out[k++] = (char)c;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			out[k++] = '\\';
			out[k++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
		} else if (c < 0x20) {
			k += (size_t)sprintf(out + k, "\\u%04x", c);
		} else {
			out[k++] = (char)c;
		}
	}
	out[k++] = '"';
	return k;
}

/*
 * The 8-bytes-at-a-time path must agree with byte-at-a-time escaping
 * wherever the special bytes fall: 20,000 random strings over an alphabet
 * of the bytes at the edges of its tests.
 */
static void
test_alert_json_fast_path_agrees_with_bytewise_escaping(void)
{
	static const unsigned char alpha[] = { 'a',  ' ',  '"',  '\\', 0x1f, 0x20, 0x21, 0x7f,
		                               0x01, '\n', 0x5b, 0x5d, 0x23, 0x3f, 0x40, 0x7e };
	unsigned char in[64];
	char got[64 * 6 + 2], want[64 * 6 + 2];
	unsigned int seed = 12345, bad = 0;
	int t;

	for (t = 0; t < 20000; t++) {
		size_t n = (size_t)(rand_r(&seed) % 40), i, gl, wl;

		for (i = 0; i < n; i++) {
			/* mostly plain bytes, so long plain runs meet one special byte */
			in[i] = rand_r(&seed) % 4 != 0 ? (unsigned char)('a' + rand_r(&seed) % 26)
			                               : alpha[rand_r(&seed) % sizeof(alpha)];
		}
		gl = alert_json_string(got, sizeof(got), (struct span){ in, n });
		wl = escape_ref(in, n, want);
		bad += gl != wl || memcmp(got, want, wl) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("alert_json", NULL, NULL);
	CU_add_test(s, "encodes the documented line", test_alert_json_encodes_the_documented_line);
	CU_add_test(s, "fast path agrees with bytewise escaping",
	            test_alert_json_fast_path_agrees_with_bytewise_escaping);
	CU_add_test(s, "escapes quotes, controls and bad UTF-8",
	            test_alert_json_escapes_quotes_controls_and_bad_utf8);
	CU_add_test(s, "refuses a short buffer", test_alert_json_refuses_a_short_buffer);
	CU_add_test(s, "worst-case record fits", test_alert_json_worst_case_record_fits);
	CU_add_test(s, "copy cuts at a character boundary",
	            test_alert_copy_text_cuts_at_a_character_boundary);
	CU_add_test(s, "text parses what json encodes", test_alert_text_parses_what_json_encodes);
	CU_add_test(s, "text rejects what is not an alert",
	            test_alert_text_rejects_what_is_not_an_alert);
	CU_add_test(s, "hello line", test_alert_json_hello_line);
	CU_add_test(s, "gap line", test_alert_json_gap_line);
	CU_add_test(s, "notice line escapes its message",
	            test_alert_json_notice_line_escapes_its_message);
	CU_add_test(s, "notes fit their max whatever the strings",
	            test_alert_json_notes_fit_their_max_whatever_the_strings);
	CU_add_test(s, "text parse refuses stream control lines",
	            test_alert_text_parse_refuses_stream_control_lines);
	CU_add_test(s, "text parse_line tells every kind",
	            test_alert_text_parse_line_tells_every_kind);
	CU_add_test(s, "text print colours only when asked",
	            test_alert_text_print_colours_only_when_asked);
	CU_add_test(s, "text print neutralises control characters",
	            test_alert_text_print_neutralises_control_characters);
	return guard_run_tests();
}
