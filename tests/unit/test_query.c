#include "match/wl_query.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard.h"
#include "match/match_priv.h"

/* Every diagnostic of one parse: the last error and all warnings. */
struct diag {
	int n_err, n_warn;
	uint32_t err_col, warn_col;
	char err[1024];
	char warn[2048];
};

static void
on_diag(void *arg, bool warning, uint32_t col, const char *msg)
{
	struct diag *d = arg;

	if (warning) {
		d->n_warn++;
		d->warn_col = col;
		strncat(d->warn, msg, sizeof(d->warn) - strlen(d->warn) - 2);
		strcat(d->warn, "\n");
	} else {
		d->n_err++;
		d->err_col = col;
		snprintf(d->err, sizeof(d->err), "%s", msg);
	}
}

/* Parses <s> from a buffer that ends at a guard page. */
static struct wlq *
parse(const char *s, struct diag *d)
{
	size_t n = strlen(s);
	uint8_t *g = guard_dup(s, n);
	struct wlq *q;

	memset(d, 0, sizeof(*d));
	q = wlq_parse((const char *)g, n, on_diag, d);
	guard_free(g);
	return q;
}

/* <s> parses without error, formats as <want>, and the format parses to itself. */
static void
check_fmt(const char *s, const char *want)
{
	char buf[4096], again[4096];
	struct diag d, d2;
	struct wlq *q = parse(s, &d), *q2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(d.n_err, 0);
	wlq_format(q, q->root, buf, sizeof(buf));
	if (strcmp(buf, want) != 0) {
		fprintf(stderr, "\n  %s\n  got  %s\n  want %s\n", s, buf, want);
	}
	CU_ASSERT_STRING_EQUAL(buf, want);
	q2 = parse(buf, &d2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q2);
	wlq_format(q2, q2->root, again, sizeof(again));
	CU_ASSERT_STRING_EQUAL(again, buf);
	CU_ASSERT_EQUAL(q2->n_atoms, q->n_atoms);
	CU_ASSERT_EQUAL(q2->n_nodes, q->n_nodes);
	wlq_free(q2);
	wlq_free(q);
}

/* <s> fails with one error at <col> whose message contains <msg>. */
static void
check_err(const char *s, uint32_t col, const char *msg)
{
	struct diag d;
	struct wlq *q = parse(s, &d);

	CU_ASSERT_PTR_NULL(q);
	CU_ASSERT_EQUAL(d.n_err, 1);
	if (d.err_col != col || strstr(d.err, msg) == NULL) {
		fprintf(stderr, "\n  %s\n  got  %u: %s\n  want %u: %s\n", s, d.err_col, d.err, col,
		        msg);
	}
	CU_ASSERT_EQUAL(d.err_col, col);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.err, msg));
	wlq_free(q);
}

/* <s> parses with one warning at <col> containing <msg>, and formats as <want>. */
static void
check_warn(const char *s, uint32_t col, const char *msg, const char *want)
{
	struct diag d;
	struct wlq *q = parse(s, &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(d.n_warn, 1);
	CU_ASSERT_EQUAL(d.warn_col, col);
	if (strstr(d.warn, msg) == NULL) {
		fprintf(stderr, "\n  %s\n  warning %s\n  want %s\n", s, d.warn, msg);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(d.warn, msg));
	wlq_free(q);
	check_fmt(s, want);
}

/*
 * A scanner stand-in: <text> holds fields separated by '|' (title, summary,
 * content, ... in enum wl_field order), words separated by spaces. Each
 * atom's hits are found by ASCII-caseless (cs: exact) word comparison,
 * honouring its field scope, as the lead's scan does.
 */
#define MAXW 64
struct item {
	char buf[1024];
	const char *w[WL_FIELD__MAX][MAXW];
	uint32_t n[WL_FIELD__MAX];
	struct wlq_pos pos[WLQ_MAX_ATOMS][32];
	const struct wlq_pos *pp[WLQ_MAX_ATOMS];
	uint32_t np[WLQ_MAX_ATOMS];
	struct wlq_hits h;
};

static bool
word_eq(const struct wlq_atom *a, const char *w, const char *t, size_t n)
{
	if (strlen(w) != n && a->kind != WLQ_PREFIX) {
		return false;
	}
	if (a->kind == WLQ_PREFIX && strlen(w) < n) {
		return false;
	}
	return a->cs ? strncmp(w, t, n) == 0 : strncasecmp(w, t, n) == 0;
}

static void
scan(const struct wlq *q, const char *text, struct item *it)
{
	uint32_t f = 0, i, k, w;
	char *save = NULL, *tok, *fields[WL_FIELD__MAX] = { NULL };
	char *p;

	memset(it, 0, sizeof(*it));
	snprintf(it->buf, sizeof(it->buf), "%s", text);
	fields[0] = it->buf;
	for (p = it->buf; *p != 0; p++) {
		if (*p == '|' && f + 1 < WL_FIELD__MAX) {
			*p = 0;
			fields[++f] = p + 1;
		}
	}
	for (f = 0; f < WL_FIELD__MAX && fields[f] != NULL; f++) {
		for (tok = strtok_r(fields[f], " ", &save); tok != NULL && it->n[f] < MAXW;
		     tok = strtok_r(NULL, " ", &save)) {
			it->w[f][it->n[f]++] = tok;
		}
	}
	for (i = 0; i < q->n_atoms; i++) {
		const struct wlq_atom *a = &q->atoms[i];

		for (f = 0; f < WL_FIELD__MAX; f++) {
			if (a->scope != 0 && (a->scope & WL_SCOPE(f)) == 0) {
				continue;
			}
			for (w = 0; w < it->n[f]; w++) {
				const char *t = a->text, *c;
				uint32_t nw = 0, need = 1;

				for (c = a->text; *c != 0; c++) {
					need += *c == ' ';
				}
				for (k = w; k < it->n[f] && nw < need; k++) {
					const char *sp = strchr(t, ' ');
					size_t len = sp != NULL ? (size_t)(sp - t) : strlen(t);

					if (!word_eq(a, it->w[f][k], t, len)) {
						break;
					}
					nw++;
					t = sp != NULL ? sp + 1 : t;
				}
				if (nw == need && it->np[i] < 32) {
					struct wlq_pos *ps = &it->pos[i][it->np[i]++];

					ps->field = (uint8_t)f;
					ps->word = w;
					ps->n_words = (uint16_t)nw;
				}
			}
		}
		it->pp[i] = it->pos[i];
	}
	it->h.pos = it->pp;
	it->h.n = it->np;
}

static struct item the_item;

/* Whether query <s> holds for <text>. */
static bool
holds(const char *s, const char *text)
{
	struct diag d;
	struct wlq *q = parse(s, &d);
	bool r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	scan(q, text, &the_item);
	r = wlq_eval(q, &the_item.h);
	wlq_free(q);
	return r;
}

static void
test_query_words_phrases_and_curly_quotes(void)
{
	struct diag d;
	struct wlq *q = parse("Iran \"Iran  nuclear\tdeal\" \xe2\x80\x9c"
	                      "Foreign Secretary\xe2\x80\x9d "
	                      "\xe2\x80\x9e"
	                      "Au\xc3\x9f"
	                      "enminister Lawrow\xe2\x80\x9c \"c++\"",
	                      &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q->n_atoms, 5);
	CU_ASSERT_EQUAL(q->atoms[0].kind, WLQ_WORD);
	CU_ASSERT_STRING_EQUAL(q->atoms[0].text, "Iran");
	CU_ASSERT_EQUAL(q->atoms[1].kind, WLQ_PHRASE);
	CU_ASSERT_STRING_EQUAL(q->atoms[1].text, "Iran nuclear deal");
	CU_ASSERT_EQUAL(q->atoms[1].col, 6);
	CU_ASSERT_STRING_EQUAL(q->atoms[2].text, "Foreign Secretary");
	CU_ASSERT_EQUAL(q->atoms[2].kind, WLQ_PHRASE);
	CU_ASSERT_STRING_EQUAL(q->atoms[3].text, "Au\xc3\x9f"
	                                         "enminister Lawrow");
	/* a quoted single word is a word */
	CU_ASSERT_EQUAL(q->atoms[4].kind, WLQ_WORD);
	CU_ASSERT_STRING_EQUAL(q->atoms[4].text, "c++");
	CU_ASSERT_EQUAL(q->nodes[q->root].kind, WLQ_AND);
	wlq_free(q);
}

static void
test_query_columns_count_code_points(void)
{
	/* Лавров is 6 code points in 12 bytes: '(' is at column 12, not 18 */
	check_err("\xd0\x9b\xd0\xb0\xd0\xb2\xd1\x80\xd0\xbe\xd0\xb2 AND (x", 12, "unbalanced '('");
}

static void
test_query_words_hold_any_non_space_characters(void)
{
	struct diag d;
	struct wlq *q = parse("c++ U.S. 9/11 \xd0\x9b\xd0\xb0\xd0\xb2\xd1\x80\xd0\xbe\xd0\xb2 "
	                      "\xe6\x9d\xb1\xe4\xba\xac w/o",
	                      &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q->n_atoms, 6);
	CU_ASSERT_STRING_EQUAL(q->atoms[0].text, "c++");
	CU_ASSERT_STRING_EQUAL(q->atoms[1].text, "U.S.");
	CU_ASSERT_STRING_EQUAL(q->atoms[2].text, "9/11");
	CU_ASSERT_STRING_EQUAL(q->atoms[4].text, "\xe6\x9d\xb1\xe4\xba\xac");
	CU_ASSERT_EQUAL(q->atoms[4].col, 22);
	CU_ASSERT_STRING_EQUAL(q->atoms[5].text, "w/o");
	wlq_free(q);
}

static void
test_query_prefix_wildcard_needs_three_characters(void)
{
	struct diag d;
	struct wlq *q = parse("sanction* \xd1\x81\xd0\xb0\xd0\xbd*", &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q->atoms[0].kind, WLQ_PREFIX);
	CU_ASSERT_STRING_EQUAL(q->atoms[0].text, "sanction");
	CU_ASSERT_EQUAL(q->atoms[1].kind, WLQ_PREFIX); /* 3 code points, 6 bytes */
	wlq_free(q);
	check_err("a OR ab*", 6, "at least 3 characters");
	check_err("a OR *", 6, "at least 3 characters");
}

static void
test_query_rejects_star_inside_word_or_phrase(void)
{
	check_err("a OR sanc*tion", 6, "only allowed at the end");
	check_err("a OR \"iran sanction*\"", 6, "not allowed inside a phrase");
}

static void
test_query_references_are_recorded_not_resolved(void)
{
	struct diag d;
	struct wlq *q = parse("@person/lavrov NEAR/10 (@list:sanctions OR title:@org/un)", &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q->atoms[0].kind, WLQ_REF);
	CU_ASSERT_STRING_EQUAL(q->atoms[0].text, "person/lavrov");
	CU_ASSERT_EQUAL(q->atoms[0].col, 1);
	CU_ASSERT_EQUAL(q->atoms[1].kind, WLQ_REF);
	CU_ASSERT_STRING_EQUAL(q->atoms[1].text, "list:sanctions");
	CU_ASSERT_EQUAL(q->atoms[1].col, 25);
	CU_ASSERT_EQUAL(q->atoms[2].scope, WL_SCOPE(WL_FIELD_TITLE));
	wlq_free(q);
	check_fmt("@person/lavrov NEAR/10 (@list:sanctions OR title:@org/un)",
	          "@person/lavrov NEAR/10 (@list:sanctions OR title:@org/un)");
	check_err("a @", 3, "'@' needs a name");
	check_err("cs:@person/x", 4, "not to @references");
}

static void
test_query_case_and_exact_options(void)
{
	struct diag d;
	struct wlq *q = parse("cs:NASA exact:\"c++\" CS:\"New York\" nasa", &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT(q->atoms[0].cs && !q->atoms[0].exact);
	CU_ASSERT_STRING_EQUAL(q->atoms[0].text, "NASA");
	CU_ASSERT(q->atoms[1].cs && q->atoms[1].exact);
	CU_ASSERT_STRING_EQUAL(q->atoms[1].text, "c++");
	CU_ASSERT(q->atoms[2].cs);
	CU_ASSERT_EQUAL(q->atoms[2].kind, WLQ_PHRASE);
	CU_ASSERT(!q->atoms[3].cs && !q->atoms[3].exact);
	wlq_free(q);
	check_fmt("cs:NASA exact:\"c++\" cs:(a OR \"b c\")",
	          "cs:NASA AND exact:c++ AND (cs:a OR cs:\"b c\")");
	check_err("a cs: b", 3, "must be followed directly");
}

static void
test_query_operators_in_any_case(void)
{
	check_fmt("a and b AND c aNd d", "a AND b AND c AND d");
	check_fmt("a or b Or c", "a OR b OR c");
	check_fmt("a and not b", "a AND NOT b");
	check_fmt("a Not b", "a AND NOT b");
	check_fmt("a near b", "a NEAR/4 b");
	check_fmt("a onear/2 b", "a ONEAR/2 b");
}

static void
test_query_minus_means_not(void)
{
	check_fmt("Iran -Iraq -(Syria OR Yemen)", "Iran AND NOT Iraq AND NOT (Syria OR Yemen)");
	check_fmt("e-mail", "e-mail");
	check_err("a - b", 3, "'-' must be directly followed");
}

static void
test_query_juxtaposition_is_and(void)
{
	struct diag d;
	struct wlq *q = parse("Iran Iraq", &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q->nodes[q->root].kind, WLQ_AND);
	CU_ASSERT_EQUAL(q->nodes[q->root].n_kids, 2);
	CU_ASSERT_EQUAL(q->nodes[q->root].col, 6);
	wlq_free(q);
	CU_ASSERT(holds("Iran Iraq", "iran and iraq"));
	CU_ASSERT(!holds("Iran Iraq", "iran only"));
}

static void
test_query_parentheses_group(void)
{
	check_fmt("(a OR b) AND (c OR (d AND e))", "(a OR b) AND (c OR (d AND e))");
	check_fmt("((a))", "a");
	check_fmt("(a AND b) AND c", "(a AND b) AND c");
	CU_ASSERT(holds("(a OR b) AND c", "b c"));
	CU_ASSERT(!holds("(a OR b) AND c", "a b"));
}

static void
test_query_near_forms_and_range(void)
{
	struct diag d;
	struct wlq *q = parse("a NEAR b", &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q->nodes[q->root].kind, WLQ_NEAR);
	CU_ASSERT_EQUAL(q->nodes[q->root].near_n, 4);
	CU_ASSERT(!q->nodes[q->root].ordered);
	CU_ASSERT_EQUAL(q->nodes[q->root].col, 3);
	wlq_free(q);
	check_fmt("a NEAR/0 b ONEAR/255 c", "a NEAR/0 b ONEAR/255 c");
	check_err("a NEAR/256 b", 3, "between 0 and 255");
	check_err("a ONEAR/99999999999 b", 3, "between 0 and 255");
	check_err("a NEAR/x b", 3, "malformed NEAR/n");
}

static void
test_query_near_binds_tighter_than_and_and_chains_left(void)
{
	struct diag d;
	struct wlq *q = parse("a NEAR/1 b NEAR/2 c AND d", &d);
	const struct wlq_node *r, *l;

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	r = &q->nodes[q->root];
	CU_ASSERT_EQUAL(r->kind, WLQ_AND);
	l = &q->nodes[r->kids[0]];
	CU_ASSERT_EQUAL(l->kind, WLQ_NEAR);
	CU_ASSERT_EQUAL(l->near_n, 2);
	CU_ASSERT_EQUAL(q->nodes[l->kids[0]].kind, WLQ_NEAR);
	CU_ASSERT_EQUAL(q->nodes[l->kids[0]].near_n, 1);
	wlq_free(q);
	check_fmt("a NEAR/1 (b NEAR/2 c)", "a NEAR/1 (b NEAR/2 c)");
}

static void
test_query_fields_prefix_operands_and_groups(void)
{
	struct diag d;
	struct wlq *q = parse("title:(Iran OR Tehran NEAR/3 \"nuclear deal\") body:x author:y "
	                      "url:z host:h category:c",
	                      &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q->atoms[0].scope, WL_SCOPE(WL_FIELD_TITLE));
	CU_ASSERT_EQUAL(q->atoms[1].scope, WL_SCOPE(WL_FIELD_TITLE));
	CU_ASSERT_EQUAL(q->atoms[2].scope, WL_SCOPE(WL_FIELD_TITLE));
	CU_ASSERT_EQUAL(q->atoms[3].scope, WL_SCOPE_BODY);
	CU_ASSERT_EQUAL(q->atoms[4].scope, WL_SCOPE(WL_FIELD_AUTHOR));
	CU_ASSERT_EQUAL(q->atoms[5].scope, WL_SCOPE(WL_FIELD_URL));
	CU_ASSERT_EQUAL(q->atoms[6].scope, WL_SCOPE(WL_FIELD_HOST));
	CU_ASSERT_EQUAL(q->atoms[7].scope, WL_SCOPE(WL_FIELD_CATEGORY));
	wlq_free(q);
	check_fmt("Title:(a OR cs:b)", "title:a OR title:cs:b");
	/* the scan stand-in honours scopes: title:(...) only hits in the title */
	CU_ASSERT(holds("title:(iran OR tehran)", "tehran talks|"));
	CU_ASSERT(!holds("title:(iran OR tehran)", "talks|tehran"));
	check_err("title:(a OR body:b)", 13, "two different fields");
	check_err("title: a", 1, "must be followed directly");
}

static void
test_query_unknown_prefix_is_a_plain_word(void)
{
	struct diag d;
	struct wlq *q = parse("http://example.com std::map xyz:abc", &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(q->n_atoms, 3);
	CU_ASSERT_STRING_EQUAL(q->atoms[0].text, "http://example.com");
	CU_ASSERT_EQUAL(q->atoms[0].scope, 0);
	CU_ASSERT_STRING_EQUAL(q->atoms[2].text, "xyz:abc");
	wlq_free(q);
	/* but xyz:(...) and xyz:"..." are a mistyped field */
	check_err("a xyz:(b)", 3, "unknown field 'xyz:'");
	check_err("a tilte:\"b c\"", 3, "unknown field 'tilte:'");
	/* a word that looks like a field prefix is quoted when written back */
	check_fmt("\"title:x\"", "\"title:x\"");
}

static void
test_query_and_or_mix_is_ambiguous(void)
{
	check_err("a AND b OR c", 9,
	          "ambiguous: \"a AND b OR c\" reads as \"(a AND b) OR c\" in some tools and "
	          "\"a AND (b OR c)\" in others; add parentheses");
	check_err("a b OR c", 5,
	          "ambiguous: \"a b OR c\" reads as \"(a AND b) OR c\" in some tools and "
	          "\"a AND (b OR c)\" in others");
	check_err("x AND (a OR b c)", 15,
	          "\"a OR b c\" reads as \"a OR (b AND c)\" in some tools and \"(a OR b) AND c\"");
	check_fmt("(a AND b) OR c", "(a AND b) OR c");
}

static void
test_query_rewrites_other_tools_with_a_warning(void)
{
	check_warn("a w/5 b", 3, "'w/5' (LexisNexis) is read as 'NEAR/5'", "a NEAR/5 b");
	check_warn("a W/5 b", 3, "'W/5' (LexisNexis) is read as 'NEAR/5'", "a NEAR/5 b");
	check_warn("a pre/3 b", 3, "'pre/3' (LexisNexis) is read as 'ONEAR/3'", "a ONEAR/3 b");
	check_warn("a NEAR/5f b", 3, "'NEAR/5f' (Brandwatch) is read as 'ONEAR/5'", "a ONEAR/5 b");
	check_warn("a near5 b", 3, "'near5' (Factiva) is read as 'NEAR/5'", "a NEAR/5 b");
	check_warn("a NEAR5 b", 3, "'NEAR5' (Factiva) is read as 'NEAR/5'", "a NEAR/5 b");
	check_warn("a adj5 b", 3, "'adj5' (Factiva) is read as 'ONEAR/5'", "a ONEAR/5 b");
	check_warn("x \"a b\"~5", 3, "'\"a b\"~5' (Talkwalker/Lucene) is read as 'a NEAR/5 b'",
	           "x AND a NEAR/5 b");
	check_warn("sanction!", 1, "'sanction!' (LexisNexis) is read as 'sanction*'", "sanction*");
	check_warn("a && b", 3, "'&&' (C) is read as 'AND'", "a AND b");
	check_warn("a || b", 3, "'||' (C) is read as 'OR'", "a OR b");
}

static void
test_query_tilde_phrase_is_a_near_chain(void)
{
	check_fmt("title:\"a b c\"~2 OR d", "title:a NEAR/2 title:b NEAR/2 title:c OR d");
	check_err("\"a\"~2", 1, "2 to 64 words");
	check_err("\"a b\"~x", 1, "needs a number");
	check_err("\"a b\"~300", 1, "between 0 and 255");
	CU_ASSERT(holds("\"a b\"~1", "b x a"));
	CU_ASSERT(!holds("\"a b\"~1", "b x x a"));
}

static void
test_query_unsupported_forms_name_the_replacement(void)
{
	check_err("a w/s b", 3, "use NEAR/n");
	check_err("a w/p b", 3, "use NEAR/n");
	check_err("a /s b", 3, "use NEAR/n");
	check_err("a /P b", 3, "use NEAR/n");
	check_err("a wom?n", 3, "single-character wildcard");
	check_err("a roam~", 3, "fuzzy");
}

static void
test_query_rejects_unbalanced_parentheses_at_the_unmatched_one(void)
{
	check_err("((a) AND b", 1, "unbalanced '('");
	check_err("(a AND (b", 8, "unbalanced '('");
	check_err("a) AND b", 2, "unbalanced ')'");
	check_err(") a", 1, "unbalanced ')'");
	check_err("(a OR b))", 9, "unbalanced ')'");
}

static void
test_query_rejects_unterminated_quote(void)
{
	check_err("a AND \"b c", 7, "unterminated quote");
	check_err("a \xe2\x80\x9c"
	          "b c\"",
	          3, "unterminated quote");
	check_err("a \xe2\x80\x9d", 3, "closing quote");
}

static void
test_query_rejects_empty_query_and_group(void)
{
	check_err("", 1, "empty query");
	check_err("  \t ", 1, "empty query");
	check_err("a AND ()", 7, "empty group");
	check_err("a \"  \"", 3, "empty phrase");
}

static void
test_query_rejects_missing_operand(void)
{
	check_err("a AND", 3, "missing term after 'AND'");
	check_err("OR b", 1, "missing term before 'OR'");
	check_err("a AND OR b", 3, "missing term after 'AND'");
	check_err("a NEAR/3", 3, "missing term after 'NEAR/3'");
	check_err("a AND NOT", 7, "missing term after 'NOT'");
	check_err("(AND b)", 2, "missing term before 'AND'");
	check_err("a OR (b AND)", 9, "missing term after 'AND'");
}

static void
test_query_needs_a_positive_term(void)
{
	check_err("NOT a", 1, "a query needs at least one term that is not negated");
	check_err("  -a -b", 3, "a query needs at least one term that is not negated");
	check_err("NOT (a OR b)", 1, "not negated");
	check_fmt("NOT a b", "NOT a AND b");
}

static void
test_query_rejects_not_as_near_operand(void)
{
	check_err("a NEAR/3 NOT b", 10, "NOT cannot be an operand of NEAR");
	check_err("a NEAR/3 -b", 10, "NOT cannot be an operand of NEAR");
	check_err("NOT a NEAR/3 b", 1, "NOT cannot be an operand of NEAR");
	check_err("a NEAR/3 (NOT b)", 11, "NOT cannot be an operand of NEAR");
	check_fmt("a NEAR/3 (b AND NOT c)", "a NEAR/3 (b AND NOT c)");
}

static void
test_query_rejects_depth_over_64(void)
{
	char q[600];
	int i;

	for (i = 0; i < 64; i++) {
		q[i] = '(';
	}
	q[64] = 'a';
	for (i = 0; i < 64; i++) {
		q[65 + i] = ')';
	}
	q[129] = 0;
	check_fmt(q, "a");
	memmove(q + 1, q, 130);
	q[0] = '(';
	strcat(q, ")");
	check_err(q, 65, "deeper than 64");
	/* a NEAR chain nests too: a tree 64 deep is fine, 65 is not */
	strcpy(q, "a");
	for (i = 0; i < 63; i++) {
		strcat(q, " NEAR b");
	}
	CU_ASSERT(holds(q, "a b"));
	strcat(q, " NEAR b");
	check_err(q, 7 * 64 - 4, "deeper than 64");
}

static void
test_query_rejects_more_than_1024_terms(void)
{
	char *q = malloc(1025 * 3 + 1);
	struct diag d;
	struct wlq *w;
	int i;

	for (i = 0; i < 1025; i++) {
		memcpy(q + 3 * i, "ab ", 3);
	}
	q[3 * 1024 + 2] = 0;
	w = parse(q, &d);
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_EQUAL(d.err_col, 3 * 1024 + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.err, "more than 1024 terms"));
	q[3 * 1024 - 1] = 0;
	w = parse(q, &d);
	CU_ASSERT_PTR_NOT_NULL(w);
	CU_ASSERT_EQUAL(w != NULL ? w->n_atoms : 0, 1024);
	wlq_free(w);
	free(q);
}

static void
test_query_rejects_query_over_16k(void)
{
	char *q = malloc(WLQ_MAX_LEN + 2);
	struct diag d;
	struct wlq *w;

	memset(q, 'a', WLQ_MAX_LEN + 1);
	q[WLQ_MAX_LEN + 1] = 0;
	w = parse(q, &d);
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_EQUAL(d.err_col, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.err, "longer than 16384"));
	q[WLQ_MAX_LEN] = 0;
	w = parse(q, &d);
	CU_ASSERT_PTR_NOT_NULL(w);
	wlq_free(w);
	free(q);
}

static void
test_query_rejects_invalid_utf8_and_nul(void)
{
	struct diag d;
	struct wlq *w;

	check_err("ab \xc3(", 4, "invalid UTF-8");
	check_err("ab \xed\xa0\x80", 4, "invalid UTF-8");
	w = wlq_parse("a\0b", 3, on_diag, memset(&d, 0, sizeof(d)));
	CU_ASSERT_PTR_NULL(w);
	CU_ASSERT_EQUAL(d.err_col, 2);
}

static void
test_query_eval_truth_tables(void)
{
	CU_ASSERT(holds("a AND b", "a b"));
	CU_ASSERT(!holds("a AND b", "a"));
	CU_ASSERT(!holds("a AND b", "b"));
	CU_ASSERT(holds("a OR b", "b"));
	CU_ASSERT(holds("a OR b", "a"));
	CU_ASSERT(!holds("a OR b", "c"));
	CU_ASSERT(holds("a AND NOT b", "a c"));
	CU_ASSERT(!holds("a AND NOT b", "a b"));
	CU_ASSERT(!holds("a AND NOT b", "a|b")); /* NOT looks at every field */
	CU_ASSERT(holds("a AND NOT (b AND c)", "a b"));
	CU_ASSERT(!holds("a AND NOT (b AND c)", "a b c"));
	CU_ASSERT(holds("a OR NOT b", "c"));
	CU_ASSERT(holds("sanc*", "Sanctions"));
	CU_ASSERT(holds("\"foreign secretary\"", "the Foreign Secretary said"));
	CU_ASSERT(!holds("\"foreign secretary\"", "foreign office secretary"));
	CU_ASSERT(!holds("cs:NASA", "nasa"));
	CU_ASSERT(holds("cs:NASA", "NASA"));
}

static void
test_query_near_counts_words_between(void)
{
	/* exactly n words between: true; n + 1: false; either order */
	CU_ASSERT(holds("a NEAR/2 b", "a x y b"));
	CU_ASSERT(!holds("a NEAR/2 b", "a x y z b"));
	CU_ASSERT(holds("a NEAR/2 b", "b x y a"));
	CU_ASSERT(!holds("a NEAR/2 b", "b x y z a"));
	CU_ASSERT(holds("a NEAR/0 b", "a b"));
	CU_ASSERT(!holds("a NEAR/0 b", "a x b"));
	CU_ASSERT(!holds("a NEAR/5 b", "a"));
	/* a phrase's span ends after its last word */
	CU_ASSERT(holds("\"a b c\" NEAR/1 d", "a b c x d"));
	CU_ASSERT(!holds("\"a b c\" NEAR/1 d", "a b c x y d"));
	CU_ASSERT(holds("d NEAR/1 \"a b c\"", "d x a b c"));
	/* overlapping spans are 0 apart */
	CU_ASSERT(holds("\"a b\" NEAR/0 b", "a b"));
	/* the closest pair wins, not the first */
	CU_ASSERT(holds("a NEAR/1 b", "a x x x x b x a"));
}

static void
test_query_onear_needs_the_left_side_first(void)
{
	CU_ASSERT(holds("a ONEAR/2 b", "a x y b"));
	CU_ASSERT(!holds("a ONEAR/2 b", "a x y z b"));
	CU_ASSERT(!holds("a ONEAR/2 b", "b x a"));
	CU_ASSERT(holds("a ONEAR/2 b", "b x a b"));
	CU_ASSERT(!holds("a ONEAR/5 \"a b\"", "a b")); /* same start is not before */
	CU_ASSERT(holds("\"a b\" ONEAR/0 c", "a b c"));
}

static void
test_query_near_never_pairs_across_fields(void)
{
	CU_ASSERT(!holds("a NEAR/10 b", "x a|b x"));
	CU_ASSERT(holds("a NEAR/10 b", "x a|b x|a b"));
	CU_ASSERT(!holds("a ONEAR/10 b", "b|a"));
}

static void
test_query_groups_are_near_operands(void)
{
	CU_ASSERT(holds("(a OR b) NEAR/1 c", "b x c"));
	CU_ASSERT(holds("(a OR b) NEAR/1 c", "a x x x b c"));
	CU_ASSERT(!holds("(a OR b) NEAR/1 c", "a x x c"));
	CU_ASSERT(holds("(a NEAR/1 b) NEAR/1 c", "a b x c"));
	CU_ASSERT(!holds("(a NEAR/1 b) NEAR/1 c", "a x x b c x x x x a"));
	/* a negated atom inside a side gives that side no position */
	CU_ASSERT(!holds("(a AND NOT z) NEAR/1 c", "a x c z"));
	CU_ASSERT(holds("(a AND NOT z) NEAR/1 c", "a x c"));
	CU_ASSERT(!holds("(a OR NOT z) NEAR/1 c", "x x x c"));
	CU_ASSERT(holds("title:(a OR b) NEAR/1 c", "b c|a"));
	CU_ASSERT(!holds("title:(a OR b) NEAR/1 c", "x c|b c"));
}

static void
test_query_near_looks_at_the_first_64_positions_of_an_atom(void)
{
	static struct wlq_pos pa[100], pb[1];
	const struct wlq_pos *pp[2] = { pa, pb };
	uint32_t n[2] = { 100, 1 };
	struct wlq_hits h = { pp, n };
	struct diag d;
	struct wlq *q = parse("a NEAR/0 b", &d);
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	for (i = 0; i < 100; i++) {
		pa[i].field = 0;
		pa[i].word = (uint32_t)i * 2;
		pa[i].n_words = 1;
	}
	pb[0].word = 63 * 2 + 1;
	CU_ASSERT(wlq_eval(q, &h));
	pb[0].word = 64 * 2 + 1;
	CU_ASSERT(!wlq_eval(q, &h));
	wlq_free(q);
}

struct lines {
	char text[2048];
};

static void
on_line(void *arg, unsigned depth, bool held, const char *text)
{
	struct lines *l = arg;
	char one[256];

	snprintf(one, sizeof(one), "%u %c %s\n", depth, held ? '+' : '-', text);
	strncat(l->text, one, sizeof(l->text) - strlen(l->text) - 1);
}

static void
test_query_explain_lists_nodes_with_hits(void)
{
	static const char *const names[WL_FIELD__MAX] = { "title",  "summary",  "content",
		                                          "author", "category", "url",
		                                          "host" };
	struct diag d;
	struct wlq *q = parse("(\"Foreign Secretary\" OR Johnson) AND NOT \"World Cup\" AND "
	                      "Russia NEAR/2 Moscow",
	                      &d);
	struct lines l = { { 0 } };

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	scan(q,
	     "x foreign secretary|a b c d e f g h i j k l m n o p q foreign secretary russia "
	     "x x x moscow",
	     &the_item);
	wlq_explain(q, &the_item.h, names, on_line, &l);
	CU_ASSERT_STRING_EQUAL(l.text, "0 - AND\n"
	                               "1 + OR\n"
	                               "2 + \"Foreign Secretary\"  title@1 summary@17\n"
	                               "2 - Johnson\n"
	                               "1 + NOT\n"
	                               "2 - \"World Cup\"\n"
	                               "1 - NEAR/2\n"
	                               "2 + Russia  summary@19\n"
	                               "2 + Moscow  summary@23\n");
	memset(&l, 0, sizeof(l));
	wlq_explain(q, &the_item.h, NULL, on_line, &l);
	CU_ASSERT_PTR_NOT_NULL(strstr(l.text, "\"Foreign Secretary\"  0@1 1@17\n"));
	wlq_free(q);
}

static void
test_query_format_quotes_words_that_would_read_differently(void)
{
	check_fmt("\"and\" \"near5\" \"-x\" \"@y\" \"a?\" \"(z)\" \"w!\"",
	          "\"and\" AND \"near5\" AND \"-x\" AND \"@y\" AND \"a?\" AND \"(z)\" AND \"w!\"");
	check_fmt("\xe2\x80\x9e"
	          "a\"b\xe2\x80\x9c",
	          "\xe2\x80\x9c"
	          "a\"b\xe2\x80\x9d");
	check_fmt("title:-x cs:and", "title:\"-x\" AND cs:\"and\"");
}

static void
test_query_format_truncates_and_reports_full_length(void)
{
	char buf[8];
	struct diag d;
	struct wlq *q = parse("alpha AND beta", &d);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(wlq_format(q, q->root, buf, sizeof(buf)), 14);
	CU_ASSERT_STRING_EQUAL(buf, "alpha A");
	wlq_free(q);
}

static void
test_query_diag_may_be_null(void)
{
	struct wlq *q = wlq_parse("a w/3 b", 7, NULL, NULL);

	CU_ASSERT_PTR_NOT_NULL(q);
	wlq_free(q);
	CU_ASSERT_PTR_NULL(wlq_parse("a AND", 5, NULL, NULL));
	wlq_free(NULL);
}

int
main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} tests[] = {
#define T(f) { #f, f }
		T(test_query_words_phrases_and_curly_quotes),
		T(test_query_columns_count_code_points),
		T(test_query_words_hold_any_non_space_characters),
		T(test_query_prefix_wildcard_needs_three_characters),
		T(test_query_rejects_star_inside_word_or_phrase),
		T(test_query_references_are_recorded_not_resolved),
		T(test_query_case_and_exact_options),
		T(test_query_operators_in_any_case),
		T(test_query_minus_means_not),
		T(test_query_juxtaposition_is_and),
		T(test_query_parentheses_group),
		T(test_query_near_forms_and_range),
		T(test_query_near_binds_tighter_than_and_and_chains_left),
		T(test_query_fields_prefix_operands_and_groups),
		T(test_query_unknown_prefix_is_a_plain_word),
		T(test_query_and_or_mix_is_ambiguous),
		T(test_query_rewrites_other_tools_with_a_warning),
		T(test_query_tilde_phrase_is_a_near_chain),
		T(test_query_unsupported_forms_name_the_replacement),
		T(test_query_rejects_unbalanced_parentheses_at_the_unmatched_one),
		T(test_query_rejects_unterminated_quote),
		T(test_query_rejects_empty_query_and_group),
		T(test_query_rejects_missing_operand),
		T(test_query_needs_a_positive_term),
		T(test_query_rejects_not_as_near_operand),
		T(test_query_rejects_depth_over_64),
		T(test_query_rejects_more_than_1024_terms),
		T(test_query_rejects_query_over_16k),
		T(test_query_rejects_invalid_utf8_and_nul),
		T(test_query_eval_truth_tables),
		T(test_query_near_counts_words_between),
		T(test_query_onear_needs_the_left_side_first),
		T(test_query_near_never_pairs_across_fields),
		T(test_query_groups_are_near_operands),
		T(test_query_near_looks_at_the_first_64_positions_of_an_atom),
		T(test_query_explain_lists_nodes_with_hits),
		T(test_query_format_quotes_words_that_would_read_differently),
		T(test_query_format_truncates_and_reports_full_length),
		T(test_query_diag_may_be_null),
#undef T
	};
	CU_pSuite s;
	size_t i;

	CU_initialize_registry();
	s = CU_add_suite("query", NULL, NULL);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		CU_add_test(s, tests[i].name, tests[i].fn);
	}
	return guard_run_tests();
}
