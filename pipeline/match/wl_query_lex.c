/*
 * The watchlist query language's lexer. It works on "runs": maximal
 * sequences of bytes that are not whitespace, parentheses or quotes, so c++,
 * U.S., 9/11, Лавров and 東京 are words. A run is then classified: operator
 * keyword (other tools' spellings rewritten with a warning), '-' negation,
 * field or option prefix (title:, cs:), @reference, stem* wildcard, or
 * plain word. The parser (wl_query.c) pulls one token at a time, so the
 * first error reported is the leftmost one it reaches.
 */
#include "match/wl_query_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "match/match_priv.h"

/* What classify() makes of one run. */
struct cls {
	enum wlq_tok t;
	enum wlq_atom_kind akind;
	size_t toff, tlen; /* relative to the run */
	uint16_t near_n;
	bool ordered;
	const char *err;  /* static message, or NULL */
	const char *tool; /* a rewrite warning: the tool whose syntax this is */
	char canon[80];   /* ... and the canonical form */
};

static const struct {
	const char *name;
	uint8_t scope;
	bool cs, exact;
} prefixes[] = {
	{ "title", WL_SCOPE(WL_FIELD_TITLE), false, false },
	{ "body", WL_SCOPE_BODY, false, false },
	{ "author", WL_SCOPE(WL_FIELD_AUTHOR), false, false },
	{ "url", WL_SCOPE(WL_FIELD_URL), false, false },
	{ "host", WL_SCOPE(WL_FIELD_HOST), false, false },
	{ "category", WL_SCOPE(WL_FIELD_CATEGORY), false, false },
	{ "cs", 0, true, false },
	{ "exact", 0, true, true },
};

void
wlq_lex_report(struct wlq_lex *p, bool warning, uint32_t col, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!warning) {
		if (p->failed) {
			return;
		}
		p->failed = true;
	}
	if (p->diag == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->diag(p->arg, warning, col, msg);
}

#define fail(p, col, ...) wlq_lex_report((p), false, (col), __VA_ARGS__)

/* Bytes of the whitespace character at q[i], or 0: ASCII space and the Unicode spaces. */
size_t
wlq_lex_ws(const char *q, size_t len, size_t i)
{
	const uint8_t *s = (const uint8_t *)q + i;
	size_t n = len - i;

	if (n == 0) {
		return 0;
	}
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) {
		return 1;
	}
	if (n >= 2 && s[0] == 0xc2 && s[1] == 0xa0) {
		return 2; /* U+00A0 */
	}
	if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) {
		return 3; /* U+3000 ideographic space */
	}
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) {
		return 3; /* U+2000..U+200A, U+2028, U+2029, U+202F */
	}
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) {
		return 3; /* U+205F */
	}
	return 0;
}

/* Curly quotes: U+201C “, U+201D ”, U+201E „ (all E2 80 xx). */
static unsigned
curly_at(const char *q, size_t len, size_t i)
{
	const uint8_t *s = (const uint8_t *)q + i;

	if (len - i >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    (s[2] == 0x9c || s[2] == 0x9d || s[2] == 0x9e)) {
		return s[2];
	}
	return 0;
}

/* Bytes of any quote character at q[i] (they all end a word), or 0. */
static size_t
quote_at(const char *q, size_t len, size_t i)
{
	if (i < len && q[i] == '"') {
		return 1;
	}
	return curly_at(q, len, i) != 0 ? 3 : 0;
}

static bool
ends_run(const char *q, size_t len, size_t i)
{
	return i >= len || q[i] == '(' || q[i] == ')' || wlq_lex_ws(q, len, i) > 0 ||
	       quote_at(q, len, i) > 0;
}

uint32_t
wlq_lex_cps(const char *s, size_t n)
{
	uint32_t k = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		k += ((uint8_t)s[i] & 0xc0) != 0x80;
	}
	return k;
}

static void
adv(struct wlq_lex *p, size_t n)
{
	p->col += wlq_lex_cps(p->q + p->pos, n);
	p->pos += n;
}

static bool
ieq(const char *s, size_t n, const char *kw)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z') {
			c = (char)(c + 32);
		}
		if (kw[i] == 0 || c != kw[i]) {
			return false;
		}
	}
	return kw[n] == 0;
}

static bool
ipre(const char *s, size_t n, const char *kw)
{
	size_t k = strlen(kw);

	return n >= k && ieq(s, k, kw);
}

/* Value of the decimal digits s[0..n), capped at 100000; -1 if empty or not all digits. */
static long
digits(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0) {
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		if (v < 100000) {
			v = v * 10 + (s[i] - '0');
		}
	}
	return v;
}

static const char range_err[] = "NEAR/n: n must be between 0 and 255";

/* A proximity operator with distance text s[0..n) (digits). */
static bool
set_near(struct cls *o, const char *s, size_t n, bool ordered, const char *tool)
{
	long d = digits(s, n);

	if (d < 0) {
		return false;
	}
	o->t = WLQ_T_NEAR;
	o->ordered = ordered;
	if (d > 255) {
		o->err = range_err;
		return true;
	}
	o->near_n = (uint16_t)d;
	o->tool = tool;
	snprintf(o->canon, sizeof(o->canon), "%s/%ld", ordered ? "ONEAR" : "NEAR", d);
	return true;
}

/* Operator keywords, in any case. Returns false for anything else. */
static bool
classify_kw(const char *s, size_t n, struct cls *o)
{
	static const char *const sentence[] = { "w/s", "w/p", "/s", "/p", "w/seg", "/seg" };
	size_t i;

	if (ieq(s, n, "and") || ieq(s, n, "&&")) {
		o->t = WLQ_T_AND;
		if (s[0] == '&') {
			o->tool = "C";
			snprintf(o->canon, sizeof(o->canon), "AND");
		}
		return true;
	}
	if (ieq(s, n, "or") || ieq(s, n, "||")) {
		o->t = WLQ_T_OR;
		if (s[0] == '|') {
			o->tool = "C";
			snprintf(o->canon, sizeof(o->canon), "OR");
		}
		return true;
	}
	if (ieq(s, n, "not")) {
		o->t = WLQ_T_NOT;
		return true;
	}
	if (ieq(s, n, "near") || ieq(s, n, "onear")) {
		o->t = WLQ_T_NEAR;
		o->near_n = WLQ_NEAR_DEFAULT;
		o->ordered = s[0] == 'o' || s[0] == 'O';
		return true;
	}
	if (ipre(s, n, "near/")) {
		/* Brandwatch's NEAR/5f is forward-only: our ONEAR */
		if (n > 6 && (s[n - 1] == 'f' || s[n - 1] == 'F') &&
		    set_near(o, s + 5, n - 6, true, "Brandwatch")) {
			return true;
		}
		if (!set_near(o, s + 5, n - 5, false, NULL)) {
			o->t = WLQ_T_NEAR;
			o->err = "malformed NEAR/n (write NEAR/5, or NEAR/5f for an ordered NEAR)";
		}
		return true;
	}
	if (ipre(s, n, "onear/")) {
		if (!set_near(o, s + 6, n - 6, true, NULL)) {
			o->t = WLQ_T_NEAR;
			o->err = "malformed ONEAR/n (write ONEAR/5)";
		}
		return true;
	}
	for (i = 0; i < sizeof(sentence) / sizeof(sentence[0]); i++) {
		if (ieq(s, n, sentence[i])) {
			o->t = WLQ_T_NEAR;
			o->err = "sentence and paragraph proximity (w/s, w/p, /s, /p) is not "
			         "supported; "
			         "use NEAR/n";
			return true;
		}
	}
	/* w/o, pre/war and the like stay words: only digits make these operators */
	if (ipre(s, n, "w/") && set_near(o, s + 2, n - 2, false, "LexisNexis")) {
		return true;
	}
	if (ipre(s, n, "pre/") && set_near(o, s + 4, n - 4, true, "LexisNexis")) {
		return true;
	}
	if (ipre(s, n, "near") && set_near(o, s + 4, n - 4, false, "Factiva")) {
		return true;
	}
	if (ipre(s, n, "adj") && set_near(o, s + 3, n - 3, true, "Factiva")) {
		return true;
	}
	return false;
}

/* A run that is an operand: word, stem*, stem! or @reference. */
static void
classify_word(const char *s, size_t n, struct cls *o)
{
	const char *star;
	size_t k;

	o->t = WLQ_T_WORD;
	o->akind = WLQ_WORD;
	o->toff = 0;
	o->tlen = n;
	if (memchr(s, '?', n) != NULL) {
		o->err = "'?' (single-character wildcard) is not supported; use stem* or quote the "
		         "word";
		return;
	}
	for (k = n; k > 0 && s[k - 1] >= '0' && s[k - 1] <= '9'; k--) {
	}
	if (k > 0 && s[k - 1] == '~') {
		o->err = "'~' belongs right after a phrase (\"a b\"~5); fuzzy word~ is not "
		         "supported";
		return;
	}
	if (s[0] == '@') {
		o->akind = WLQ_REF;
		o->toff = 1;
		o->tlen = n - 1;
		if (n == 1) {
			o->err = "'@' needs a name (@person/lavrov, @list:name)";
		} else if (memchr(s, '*', n) != NULL) {
			o->err = "'*' is not allowed in an @reference";
		}
		return;
	}
	if (s[n - 1] == '!') {
		/* LexisNexis truncation: sanction! means sanction* */
		o->tool = "LexisNexis";
		snprintf(o->canon, sizeof(o->canon), "%.*s*", (int)(n - 1 < 60 ? n - 1 : 60), s);
		n--;
		o->tlen = n;
		o->akind = WLQ_PREFIX;
	}
	star = memchr(s, '*', n);
	if (star != NULL) {
		if (star != s + n - 1) {
			o->err = "'*' is only allowed at the end of a word (stem*)";
			return;
		}
		o->akind = WLQ_PREFIX;
		o->tlen = n - 1;
	}
	if (o->akind == WLQ_PREFIX && wlq_lex_cps(s, o->tlen) < 3) {
		o->err = "a wildcard needs at least 3 characters before '*'";
	}
}

/* Classifies run s[0..n) (n > 0) as the lexer would at the start of a token. */
static void
classify(const char *s, size_t n, bool after_prefix, struct cls *o)
{
	memset(o, 0, sizeof(*o));
	if (!after_prefix && classify_kw(s, n, o)) {
		return;
	}
	classify_word(s, n, o);
}

static int
find_prefix(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (ieq(s, n, prefixes[i].name)) {
			return (int)i;
		}
	}
	return -1;
}

static void
lex_phrase(struct wlq_lex *p, struct wlq_token *t, size_t open)
{
	unsigned kind = curly_at(p->q, p->len, p->pos);
	size_t i;
	long d;

	adv(p, open);
	for (i = p->pos; i < p->len; i++) {
		unsigned c = curly_at(p->q, p->len, i);

		/* "…" closes with ", “…” with ”, German „…“ with “ (or ”) */
		if ((kind == 0 && p->q[i] == '"') || (kind == 0x9c && c == 0x9d) ||
		    (kind == 0x9e && (c == 0x9c || c == 0x9d))) {
			break;
		}
	}
	if (i >= p->len) {
		fail(p, t->col, "unterminated quote");
		t->t = WLQ_T_ERR;
		return;
	}
	t->t = WLQ_T_PHRASE;
	t->toff = p->pos;
	t->tlen = i - p->pos;
	t->tilde = -1;
	adv(p, i - p->pos + (kind == 0 ? 1 : 3));
	if (p->pos < p->len && p->q[p->pos] == '~') {
		/* Talkwalker / Lucene proximity: "a b"~5 */
		adv(p, 1);
		for (i = p->pos; i < p->len && p->q[i] >= '0' && p->q[i] <= '9'; i++) {
		}
		d = digits(p->q + p->pos, i - p->pos);
		if (d < 0 || !ends_run(p->q, p->len, i)) {
			fail(p, t->col, "'~' after a phrase needs a number (\"a b\"~5)");
			t->t = WLQ_T_ERR;
			return;
		}
		if (d > 255) {
			fail(p, t->col, "%s", range_err);
			t->t = WLQ_T_ERR;
			return;
		}
		t->tilde = (int)d;
		adv(p, i - p->pos);
	}
	t->end = p->pos;
}

void
wlq_lex_next(struct wlq_lex *p, struct wlq_token *t)
{
	const char *s;
	const char *colon;
	bool after;
	struct cls o;
	size_t w, e, n;
	int k;

	memset(t, 0, sizeof(*t));
	t->glued = true;
	while ((w = wlq_lex_ws(p->q, p->len, p->pos)) > 0) {
		adv(p, w);
		t->glued = false;
	}
	t->off = p->pos;
	t->col = p->col;
	if (p->pos >= p->len) {
		t->t = WLQ_T_END;
		t->end = p->pos;
		return;
	}
	after = p->after_prefix;
	p->after_prefix = false;
	if (p->q[p->pos] == '(' || p->q[p->pos] == ')') {
		t->t = p->q[p->pos] == '(' ? WLQ_T_LPAREN : WLQ_T_RPAREN;
		adv(p, 1);
		t->end = p->pos;
		return;
	}
	if (p->q[p->pos] == '"' || curly_at(p->q, p->len, p->pos) == 0x9c ||
	    curly_at(p->q, p->len, p->pos) == 0x9e) {
		lex_phrase(p, t, p->q[p->pos] == '"' ? 1 : 3);
		return;
	}
	if (quote_at(p->q, p->len, p->pos) > 0) {
		fail(p, t->col, "closing quote without an opening one");
		t->t = WLQ_T_ERR;
		return;
	}
	for (e = p->pos; !ends_run(p->q, p->len, e); e++) {
	}
	s = p->q + p->pos;
	n = e - p->pos;
	if (!after && s[0] == '-') {
		/* Google style: -term and -(group) mean NOT */
		if (n == 1 && (e >= p->len || p->q[e] == ')' || wlq_lex_ws(p->q, p->len, e) > 0)) {
			fail(p, t->col,
			     "'-' must be directly followed by the term or group it excludes");
			t->t = WLQ_T_ERR;
			return;
		}
		t->t = WLQ_T_MINUS;
		adv(p, 1);
		t->end = p->pos;
		return;
	}
	colon = memchr(s, ':', n);
	if (colon != NULL && colon > s) {
		k = find_prefix(s, (size_t)(colon - s));
		if (k >= 0) {
			t->t = WLQ_T_PREFIX;
			t->scope = prefixes[k].scope;
			t->cs = prefixes[k].cs;
			t->exact = prefixes[k].exact;
			adv(p, (size_t)(colon - s) + 1);
			t->end = p->pos;
			p->after_prefix = true;
			if (p->pos >= p->len || p->q[p->pos] == ')' ||
			    wlq_lex_ws(p->q, p->len, p->pos) > 0) {
				fail(p, t->col,
				     "'%.*s' must be followed directly by a term or group",
				     (int)(t->end - t->off), s);
				t->t = WLQ_T_ERR;
			}
			return;
		}
		/* Unknown xyz:word stays a word (http://x, std::map); xyz:(...) is a typo */
		if (colon == s + n - 1 && e < p->len &&
		    (p->q[e] == '(' || quote_at(p->q, p->len, e))) {
			fail(p, t->col,
			     "unknown field '%.*s' (fields: title: body: author: url: host: "
			     "category:; "
			     "options: cs: exact:)",
			     (int)n, s);
			t->t = WLQ_T_ERR;
			return;
		}
	}
	classify(s, n, after, &o);
	if (o.err != NULL) {
		fail(p, t->col, "%s", o.err);
		t->t = WLQ_T_ERR;
		return;
	}
	if (o.tool != NULL) {
		wlq_lex_report(p, true, t->col, "'%.*s' (%s) is read as '%s'",
		               (int)(n < 60 ? n : 60), s, o.tool, o.canon);
	}
	t->t = o.t;
	t->akind = o.akind;
	t->toff = p->pos + o.toff;
	t->tlen = o.tlen;
	t->near_n = o.near_n;
	t->ordered = o.ordered;
	adv(p, n);
	t->end = p->pos;
}

/* Whether word <s> reads back as itself when written bare. */
bool
wlq_lex_bare_ok(const char *s)
{
	size_t n = strlen(s), i;
	const char *colon;
	struct cls o;

	if (n == 0 || s[0] == '-') {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (ends_run(s, n, i)) {
			return false;
		}
	}
	colon = memchr(s, ':', n);
	if (colon != NULL && colon > s && find_prefix(s, (size_t)(colon - s)) >= 0) {
		return false;
	}
	classify(s, n, false, &o);
	return o.err == NULL && o.tool == NULL && o.t == WLQ_T_WORD && o.akind == WLQ_WORD;
}

const char *
wlq_lex_field_name(uint8_t scope)
{
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (scope != 0 && prefixes[i].scope == scope) {
			return prefixes[i].name;
		}
	}
	return NULL;
}
