/* Relative references resolved as RFC 3986 §5.4 says, every example of it. */
#include <CUnit/Basic.h>
#include <string.h>

#include "feed/url.h"
#include "guard.h"

static char out[256];

static const char *
resolve(const char *base, const char *ref)
{
	size_t n = url_resolve(out, sizeof(out) - 1, span_str(base), span_str(ref));

	out[n] = '\0';
	return out;
}

static void
test_url_rfc3986_normal_examples(void)
{
	static const char *const t[][2] = {
		{ "g:h", "g:h" },
		{ "g", "http://a/b/c/g" },
		{ "./g", "http://a/b/c/g" },
		{ "g/", "http://a/b/c/g/" },
		{ "/g", "http://a/g" },
		{ "//g", "http://g" },
		{ "?y", "http://a/b/c/d;p?y" },
		{ "g?y", "http://a/b/c/g?y" },
		{ "#s", "http://a/b/c/d;p?q#s" },
		{ "g#s", "http://a/b/c/g#s" },
		{ "g?y#s", "http://a/b/c/g?y#s" },
		{ ";x", "http://a/b/c/;x" },
		{ "g;x", "http://a/b/c/g;x" },
		{ "g;x?y#s", "http://a/b/c/g;x?y#s" },
		{ "", "http://a/b/c/d;p?q" },
		{ ".", "http://a/b/c/" },
		{ "./", "http://a/b/c/" },
		{ "..", "http://a/b/" },
		{ "../", "http://a/b/" },
		{ "../g", "http://a/b/g" },
		{ "../..", "http://a/" },
		{ "../../", "http://a/" },
		{ "../../g", "http://a/g" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_STRING_EQUAL(resolve("http://a/b/c/d;p?q", t[i][0]), t[i][1]);
	}
}

static void
test_url_rfc3986_abnormal_examples(void)
{
	static const char *const t[][2] = {
		{ "../../../g", "http://a/g" },
		{ "../../../../g", "http://a/g" },
		{ "/./g", "http://a/g" },
		{ "/../g", "http://a/g" },
		{ "g.", "http://a/b/c/g." },
		{ ".g", "http://a/b/c/.g" },
		{ "g..", "http://a/b/c/g.." },
		{ "..g", "http://a/b/c/..g" },
		{ "./../g", "http://a/b/g" },
		{ "./g/.", "http://a/b/c/g/" },
		{ "g/./h", "http://a/b/c/g/h" },
		{ "g/../h", "http://a/b/c/h" },
		{ "g;x=1/./y", "http://a/b/c/g;x=1/y" },
		{ "g;x=1/../y", "http://a/b/c/y" },
		{ "g?y/./x", "http://a/b/c/g?y/./x" },
		{ "g#s/../x", "http://a/b/c/g#s/../x" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_STRING_EQUAL(resolve("http://a/b/c/d;p?q", t[i][0]), t[i][1]);
	}
}

static void
test_url_base_without_path_and_bad_bases(void)
{
	CU_ASSERT_STRING_EQUAL(resolve("http://example.org", "post/1"),
	                       "http://example.org/post/1");
	CU_ASSERT_STRING_EQUAL(resolve("https://x.test/feeds/", "post/1"),
	                       "https://x.test/feeds/post/1");
	/* No absolute base: nothing to resolve against. */
	CU_ASSERT_EQUAL(url_resolve(out, sizeof(out), span_str("/relative"), span_str("g")), 0);
	/* Does not fit: 0, never a cut URL. */
	CU_ASSERT_EQUAL(url_resolve(out, 10, span_str("http://example.org/"), span_str("abc")), 0);
	CU_ASSERT(url_is_absolute(span_str("mailto:x@y")));
	CU_ASSERT_FALSE(url_is_absolute(span_str("coghlan.me/x")));
	CU_ASSERT_FALSE(url_is_absolute(span_str("1http://x")));
}

int
main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	s = CU_add_suite("url", NULL, NULL);
	CU_add_test(s, "RFC 3986 normal examples", test_url_rfc3986_normal_examples);
	CU_add_test(s, "RFC 3986 abnormal examples", test_url_rfc3986_abnormal_examples);
	CU_add_test(s, "base without path and bad bases", test_url_base_without_path_and_bad_bases);
	return guard_run_tests();
}
