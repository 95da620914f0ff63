#include "alert/alert_ecs.h"

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

static void
fill(struct alert_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = 1764324000000123000ull; /* 2025-11-28T10:00:00.000123Z */
	strcpy(r->watchlist, "russia-diplomacy");
	strcpy(r->wl_version, "3");
	strcpy(r->severity, "high");
	strcpy(r->rule, "uk-russia-talks");
	r->n_tags = 2;
	strcpy(r->tags[0], "geopolitics");
	strcpy(r->tags[1], "russia");
	r->n_hits = 1;
	strcpy(r->hits[0].term, "Lavrov");
	strcpy(r->hits[0].field, "summary");
	r->hits[0].offset = 83;
	strcpy(r->title, "Foreign Secretary arrives in Moscow");
	strcpy(r->link, "https://www.gov.uk/government/news/x");
	strcpy(r->id, "tag:1");
	strcpy(r->published, "2017-12-22T10:00:00+00:00");
	strcpy(r->excerpt, "Boris Johnson has arrived");
	strcpy(r->feed_url, "http://www.gov.uk/a.atom");
	strcpy(r->feed_format, "atom");
	strcpy(r->feed_title, "GOV.UK");
	strcpy(r->flow_src, "198.18.0.10:80");
	strcpy(r->flow_dst, "198.18.0.20:51512");
	strcpy(r->flow_proto, "tcp");
}

/* Encode <r> as seq 41 on node "sensor-1" into a static buffer, NUL-terminated. */
static const char *
encode(const struct alert_rec *r, const char *node)
{
	static char buf[ALERT_ECS_MAX + 1];
	size_t n = alert_ecs_encode(r, 41, 12, node, buf, ALERT_ECS_MAX);

	CU_ASSERT(n > 0);
	buf[n] = '\0';
	return buf;
}

static void
test_alert_ecs_encodes_every_field(void)
{
	static const char want[] =
	        "{\"@timestamp\":\"2025-11-28T10:00:00.000123Z\","
	        "\"message\":\"russia-diplomacy: Foreign Secretary arrives in Moscow\","
	        "\"ecs\":{\"version\":\"8.11.0\"},"
	        "\"event\":{\"kind\":\"alert\",\"category\":[\"intrusion_detection\"],"
	        "\"type\":[\"info\"],\"module\":\"feedwatch\",\"dataset\":\"feedwatch.alert\","
	        "\"severity\":73,\"risk_score\":73,\"sequence\":41,\"id\":\"sensor-1:41\"},"
	        "\"log\":{\"level\":\"high\"},"
	        "\"rule\":{\"id\":\"russia-diplomacy\",\"name\":\"uk-russia-talks\",\"version\":"
	        "\"3\","
	        "\"ruleset\":\"feedwatch\"},"
	        "\"url\":{\"full\":\"https://www.gov.uk/government/news/x\"},"
	        "\"tags\":[\"geopolitics\",\"russia\"],"
	        "\"observer\":{\"hostname\":\"sensor-1\",\"type\":\"ids\",\"vendor\":\"feedwatch\","
	        "\"product\":\"feedwatch\"},"
	        "\"source\":{\"ip\":\"198.18.0.10\",\"port\":80},"
	        "\"destination\":{\"ip\":\"198.18.0.20\",\"port\":51512},"
	        "\"network\":{\"transport\":\"tcp\"},"
	        "\"feedwatch\":{\"seq\":41,\"watchlist\":\"russia-diplomacy\","
	        "\"watchlist_version\":\"3\",\"severity\":\"high\",\"rule\":\"uk-russia-talks\","
	        "\"hits\":[{\"term\":\"Lavrov\",\"field\":\"summary\",\"offset\":83}],"
	        "\"hits_dropped\":0,\"item\":{\"title\":\"Foreign Secretary arrives in Moscow\","
	        "\"link\":\"https://www.gov.uk/government/news/x\",\"id\":\"tag:1\","
	        "\"published\":\"2017-12-22T10:00:00+00:00\",\"excerpt\":\"Boris Johnson has "
	        "arrived\"},\"feed\":{\"url\":\"http://www.gov.uk/a.atom\",\"format\":\"atom\","
	        "\"title\":\"GOV.UK\"},\"flow\":{\"src\":\"198.18.0.10:80\","
	        "\"dst\":\"198.18.0.20:51512\",\"proto\":\"tcp\"},\"latency_us\":12}}\n";
	struct alert_rec r;

	fill(&r);
	CU_ASSERT_STRING_EQUAL(encode(&r, "sensor-1"), want);
}

static void
test_alert_ecs_escapes_quotes_controls_and_bad_utf8(void)
{
	struct alert_rec r;
	const char *out;

	fill(&r);
	strcpy(r.title, "a\"b\\c\n\x01 \xff \xc3\xa9");
	strcpy(r.tags[0], "t\"ag");
	strcpy(r.rule, "r\\1");
	out = encode(&r, "no\"de");
	CU_ASSERT_PTR_NOT_NULL(strstr(
	        out, "\"message\":\"russia-diplomacy: a\\\"b\\\\c\\n\\u0001 \\ufffd \xc3\xa9\""));
	CU_ASSERT_PTR_NOT_NULL(
	        strstr(out, "\"title\":\"a\\\"b\\\\c\\n\\u0001 \\ufffd \xc3\xa9\",\"link\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"tags\":[\"t\\\"ag\","));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"name\":\"r\\\\1\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"id\":\"no\\\"de:41\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"hostname\":\"no\\\"de\""));
}

static void
test_alert_ecs_maps_severity_to_a_risk_score(void)
{
	static const struct {
		const char *label;
		int score;
		const char *field;
	} cases[] = {
		{ "info", 1, "\"severity\":1,\"risk_score\":1," },
		{ "low", 21, "\"severity\":21,\"risk_score\":21," },
		{ "medium", 47, "\"severity\":47,\"risk_score\":47," },
		{ "high", 73, "\"severity\":73,\"risk_score\":73," },
		{ "critical", 99, "\"severity\":99,\"risk_score\":99," },
		{ "bogus", 0, "\"severity\":0,\"risk_score\":0," },
	};
	struct alert_rec r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(alert_ecs_severity(cases[i].label), cases[i].score);
		fill(&r);
		strcpy(r.severity, cases[i].label);
		CU_ASSERT_PTR_NOT_NULL(strstr(encode(&r, "n"), cases[i].field));
	}
	CU_ASSERT_EQUAL(alert_ecs_severity(NULL), 0);
	CU_ASSERT_EQUAL(alert_ecs_severity("High"), 0);
}

static void
test_alert_ecs_splits_an_ipv6_flow(void)
{
	struct alert_rec r;
	const char *out;

	fill(&r);
	strcpy(r.flow_src, "[2001:db8::10]:443");
	strcpy(r.flow_dst, "[2001:db8::20]:0");
	strcpy(r.flow_proto, "udp");
	out = encode(&r, "n");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, ",\"source\":{\"ip\":\"2001:db8::10\",\"port\":443},"
	                                   "\"destination\":{\"ip\":\"2001:db8::20\",\"port\":0},"
	                                   "\"network\":{\"transport\":\"udp\"},"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"src\":\"[2001:db8::10]:443\""));
}

static void
test_alert_ecs_leaves_out_addresses_that_are_not_ip_and_port(void)
{
	static const char *const bad[] = {
		"",
		"-",
		"198.18.0.1",
		"198.18.0.1:",
		"198.18.0.1:65536",
		"host:80",
		"[::1]80",
		"[::1]:",
		"[zz::1]:80",
		"2001:db8::1:80",
		"1.2.3.4:8a",
		"[::1]:99999999999999999999",
		"1.2.3.4.5:80",
	};
	struct alert_rec r;
	const char *out;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fill(&r);
		strcpy(r.flow_src, bad[i]);
		strcpy(r.flow_dst, bad[i]);
		out = encode(&r, "n");
		CU_ASSERT_PTR_NULL(strstr(out, "\"source\""));
		CU_ASSERT_PTR_NULL(strstr(out, "\"destination\""));
	}
	/* a document given to feedwatch match: no network either */
	fill(&r);
	strcpy(r.flow_src, "");
	strcpy(r.flow_dst, "");
	strcpy(r.flow_proto, "file");
	out = encode(&r, "n");
	CU_ASSERT_PTR_NULL(strstr(out, "\"network\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"proto\":\"file\""));
}

static void
test_alert_ecs_empty_rule_names_the_watchlist(void)
{
	struct alert_rec r;
	const char *out;

	fill(&r);
	r.rule[0] = '\0';
	out = encode(&r, "n");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"rule\":{\"id\":\"russia-diplomacy\","
	                                   "\"name\":\"russia-diplomacy\",\"version\":\"3\","));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"severity\":\"high\",\"rule\":null,\"hits\""));
}

static void
test_alert_ecs_leaves_out_what_is_empty(void)
{
	struct alert_rec r;
	char *out;

	fill(&r);
	r.link[0] = '\0';
	r.title[0] = '\0';
	out = strdup(encode(&r, ""));
	CU_ASSERT_PTR_NULL(strstr(out, "\"url\":{"));
	CU_ASSERT_PTR_NULL(strstr(out, "\"hostname\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"id\":\"41\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"message\":\"russia-diplomacy: (no title)\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"observer\":{\"type\":\"ids\","));
	CU_ASSERT_STRING_EQUAL(encode(&r, NULL), out);
	free(out);
}

static void
test_alert_ecs_refuses_a_short_buffer_without_writing_past_it(void)
{
	struct alert_rec r;
	char full[ALERT_ECS_MAX];
	uint8_t *buf;
	size_t n, cap;

	fill(&r);
	n = alert_ecs_encode(&r, 41, 12, "sensor-1", full, sizeof(full));
	CU_ASSERT(n > 0);
	/* every cut: the buffer ends at a PROT_NONE page, so a write past it crashes */
	for (cap = 1; cap < n; cap += 7) {
		buf = guard_dup(full, cap);
		CU_ASSERT_EQUAL(alert_ecs_encode(&r, 41, 12, "sensor-1", (char *)buf, cap), 0);
		guard_free(buf);
	}
	buf = guard_dup(full, n);
	CU_ASSERT_EQUAL(alert_ecs_encode(&r, 41, 12, "sensor-1", (char *)buf, n), n);
	CU_ASSERT_EQUAL(memcmp(buf, full, n), 0);
	guard_free(buf);
}

static void
test_alert_ecs_worst_case_record_fits(void)
{
	struct alert_rec r;
	char *buf = malloc(ALERT_ECS_MAX);
	char node[400];
	uint32_t i;

	memset(&r, 0, sizeof(r));
	/* every string at its longest, of bytes that escape to six */
	memset(r.title, 1, sizeof(r.title) - 1);
	memset(r.link, 1, sizeof(r.link) - 1);
	memset(r.id, 1, sizeof(r.id) - 1);
	memset(r.excerpt, 1, sizeof(r.excerpt) - 1);
	memset(r.feed_url, 1, sizeof(r.feed_url) - 1);
	memset(r.feed_title, 1, sizeof(r.feed_title) - 1);
	memset(r.feed_format, 1, sizeof(r.feed_format) - 1);
	memset(r.published, 1, sizeof(r.published) - 1);
	memset(r.watchlist, 1, sizeof(r.watchlist) - 1);
	memset(r.wl_version, 1, sizeof(r.wl_version) - 1);
	memset(r.severity, 1, sizeof(r.severity) - 1);
	memset(r.rule, 1, sizeof(r.rule) - 1);
	memset(r.flow_src, 1, sizeof(r.flow_src) - 1);
	memset(r.flow_dst, 1, sizeof(r.flow_dst) - 1);
	memset(r.flow_proto, 1, sizeof(r.flow_proto) - 1);
	r.n_hits = ALERT_MAX_HITS;
	r.n_tags = ALERT_MAX_TAGS;
	r.n_hits_dropped = UINT32_MAX;
	for (i = 0; i < ALERT_MAX_HITS; i++) {
		memset(r.hits[i].term, 1, sizeof(r.hits[i].term) - 1);
		memset(r.hits[i].field, 1, sizeof(r.hits[i].field) - 1);
		r.hits[i].offset = UINT32_MAX;
	}
	for (i = 0; i < ALERT_MAX_TAGS; i++) {
		memset(r.tags[i], 1, sizeof(r.tags[i]) - 1);
	}
	/* a node longer than any host name: cut to 255 bytes */
	memset(node, 1, sizeof(node) - 1);
	node[sizeof(node) - 1] = '\0';
	CU_ASSERT(alert_ecs_encode(&r, UINT64_MAX, UINT64_MAX, node, buf, ALERT_ECS_MAX) > 0);
	/* and a valid flow with the longest IPv6 text form */
	strcpy(r.flow_src, "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535");
	strcpy(r.flow_dst, r.flow_src);
	strcpy(r.flow_proto, "tcp");
	CU_ASSERT(alert_ecs_encode(&r, UINT64_MAX, UINT64_MAX, node, buf, ALERT_ECS_MAX) > 0);
	free(buf);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("alert_ecs", NULL, NULL);
	CU_add_test(s, "encodes every field", test_alert_ecs_encodes_every_field);
	CU_add_test(s, "escapes quotes, controls and bad UTF-8",
	            test_alert_ecs_escapes_quotes_controls_and_bad_utf8);
	CU_add_test(s, "maps severity to a risk score",
	            test_alert_ecs_maps_severity_to_a_risk_score);
	CU_add_test(s, "splits an IPv6 flow", test_alert_ecs_splits_an_ipv6_flow);
	CU_add_test(s, "leaves out addresses that are not ip and port",
	            test_alert_ecs_leaves_out_addresses_that_are_not_ip_and_port);
	CU_add_test(s, "empty rule names the watchlist",
	            test_alert_ecs_empty_rule_names_the_watchlist);
	CU_add_test(s, "leaves out what is empty", test_alert_ecs_leaves_out_what_is_empty);
	CU_add_test(s, "refuses a short buffer without writing past it",
	            test_alert_ecs_refuses_a_short_buffer_without_writing_past_it);
	CU_add_test(s, "worst-case record fits", test_alert_ecs_worst_case_record_fits);
	return guard_run_tests();
}
