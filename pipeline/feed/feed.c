#include "feed/feed.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "feed/feed_priv.h"
#include "feed/normalize.h"
#include "feed/url.h"

static const uint8_t empty_text[1];

const char *
feed_format_name(enum feed_format f)
{
	switch (f) {
	case FEED_FMT_RSS:
		return "rss";
	case FEED_FMT_ATOM:
		return "atom";
	case FEED_FMT_RDF:
		return "rdf";
	case FEED_FMT_JSON:
		return "json";
	default:
		return "unknown";
	}
}

const char *
feed_field_name(enum feed_field f)
{
	static const char *const names[FEED_F__MAX] = {
		"title", "link", "id", "published", "author", "category", "summary", "content",
	};

	return (unsigned)f < FEED_F__MAX ? names[f] : "?";
}

/* Raw field text into scratch; single-byte charsets become UTF-8 here, so the rest sees UTF-8. */
void
feed_scratch_add(struct feed_parser *p, const uint8_t *s, size_t n, bool raw)
{
	const uint32_t cap = p->env->lim.max_item;
	size_t room, i;

	if (p->scratch_full) {
		return;
	}
	if (raw && p->table != NULL) {
		const struct charset_table *t = p->table;

		for (i = 0; i < n; i++) {
			size_t k = t->len[s[i]];

			if (cap - p->scratch_len < k) {
				p->scratch_full = true;
				return;
			}
			memcpy(p->scratch + p->scratch_len, t->utf8[s[i]], k);
			p->scratch_len += (uint32_t)k;
		}
		return;
	}
	room = cap - p->scratch_len;
	if (n > room) {
		n = normalize_utf8_boundary(s, room);
		p->scratch_full = true;
	}
	memcpy(p->scratch + p->scratch_len, s, n);
	p->scratch_len += (uint32_t)n;
}

/* The base relative links resolve against here: the innermost xml:base, else the document's URL. */
struct span
feed_base_now(const struct feed_parser *p)
{
	if (p->n_bases > 0) {
		const struct base *b = &p->bases[p->n_bases - 1];

		return (struct span){ (const uint8_t *)b->url, b->len };
	}
	return (struct span){ (const uint8_t *)p->doc_url, p->doc_url_len };
}

/*
 * A relative URL of <len> bytes at <s> (room for <cap>) made absolute
 * against the base in scope, in place. Returns the new length (the old one
 * if it is absolute, there is no base, or the result does not fit).
 */
static size_t
resolve_in_place(const struct feed_parser *p, uint8_t *s, size_t len, size_t cap)
{
	char buf[FEED_BASE_MAX * 2];
	struct span ref = { s, len };
	struct span base = feed_base_now(p);
	size_t n;

	if (base.len == 0 || url_is_absolute(ref)) {
		return len;
	}
	n = url_resolve(buf, cap < sizeof(buf) ? cap : sizeof(buf), base, ref);
	if (n == 0) {
		return len;
	}
	memcpy(s, buf, n);
	return n;
}

/*
 * Normalizes the scratch text into the item as field <f>. Categories and
 * authors accumulate, joined by ", "; other fields keep their first value
 * unless <replace>.
 */
void
feed_commit(struct feed_parser *p, int f, unsigned flags, bool replace)
{
	const uint32_t cap = p->env->lim.max_item;
	struct field_pos *fp = &p->field[f];
	const bool join = (f == FEED_F_CATEGORY || f == FEED_F_AUTHOR) && fp->len > 0;
	bool trunc = p->scratch_full;
	uint32_t start, n;

	if (fp->len > 0 && !join && !replace) {
		return;
	}
	if (join && fp->off + fp->len != p->item_used) {
		/* Not at the end of the buffer any more: move it there so the join stays contiguous. */
		if (cap - p->item_used < fp->len) {
			p->item_trunc = true;
			return;
		}
		memmove(p->item + p->item_used, p->item + fp->off, fp->len);
		fp->off = p->item_used;
		p->item_used += fp->len;
	}
	start = p->item_used;
	if (join) {
		if (cap - start < 2) {
			p->item_trunc = true;
			return;
		}
		start += 2;
	}
	n = (uint32_t)normalize_text(p->item + start, cap - start, p->scratch, p->scratch_len,
	                             flags, &trunc);
	if (trunc) {
		p->item_trunc = true;
	}
	if (n == 0) {
		return;
	}
	if (f == FEED_F_CATEGORY && p->n_cat < FEED_CAT_MAX) {
		p->cat[p->n_cat].off = start - (join ? fp->off : start);
		p->cat[p->n_cat].len = n;
		p->n_cat++;
	}
	if (!join && (f == FEED_F_LINK || (f == FEED_F_ID && p->format == FEED_FMT_ATOM))) {
		/* Links (and Atom ids, IRIs) relative to xml:base or the document, as readers show them. */
		n = (uint32_t)resolve_in_place(p, p->item + start, n, cap - start);
	}
	if (join) {
		p->item[p->item_used] = ',';
		p->item[p->item_used + 1] = ' ';
		fp->len += n + 2;
	} else {
		fp->off = start;
		fp->len = n;
	}
	p->item_used = start + n;
}

void
feed_link_set(struct feed_parser *p)
{
	bool trunc = false;

	size_t n = normalize_text(p->feed_link, sizeof(p->feed_link), p->scratch, p->scratch_len, 0,
	                          &trunc);

	p->feed_link_len = (uint16_t)resolve_in_place(p, p->feed_link, n, sizeof(p->feed_link));
	p->feed_link_done = p->feed_link_len > 0;
}

/* normalize_text() flags for a field read in <mode>. */
static unsigned
mode_flags(uint8_t mode)
{
	return mode == M_HTML    ? NORMALIZE_HTML
	       : mode == M_MAYBE ? NORMALIZE_HTML | NORMALIZE_HTML_KNOWN
	                         : 0;
}

/*
 * Decodes base64 (RFC 4648 §4; blanks skipped, decoding stops at '=' or a
 * byte outside the alphabet) in place; returns the decoded length.
 */
static uint32_t
base64_decode(uint8_t *s, uint32_t n)
{
	uint32_t i, out = 0, acc = 0;
	int bits = 0;

	for (i = 0; i < n; i++) {
		uint8_t c = s[i];
		uint32_t v;

		if (c >= 'A' && c <= 'Z') {
			v = c - 'A';
		} else if (c >= 'a' && c <= 'z') {
			v = c - 'a' + 26u;
		} else if (c >= '0' && c <= '9') {
			v = c - '0' + 52u;
		} else if (c == '+' || c == '-') {
			v = 62;
		} else if (c == '/' || c == '_') {
			v = 63;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			continue;
		} else {
			break;
		}
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			/* out < i always: four input bytes make three. */
			s[out++] = (uint8_t)(acc >> bits);
		}
	}
	return out;
}

void
feed_field_end(struct feed_parser *p)
{
	bool trunc = false;
	unsigned flags = mode_flags(p->mode);

	if (p->b64) {
		/* Atom 0.3 mode="base64" (draft-ietf-atompub-format-03 §3.1.2). */
		p->scratch_len = base64_decode(p->scratch, p->scratch_len);
		p->b64 = false;
	}
	if (p->cur == CAP_FEED_TITLE) {
		p->feed_title_len =
		        (uint16_t)normalize_text(p->feed_title, sizeof(p->feed_title), p->scratch,
		                                 p->scratch_len, flags, &trunc);
		p->feed_title_done = true;
	} else if (p->cur == CAP_FEED_LINK) {
		feed_link_set(p);
	} else if (p->cur == FEED_F_PUBLISHED) {
		bool from_date = p->cur_kind == E_DATE2;

		if (p->field[FEED_F_PUBLISHED].len == 0 || (p->pub_from_date && !from_date)) {
			feed_commit(p, FEED_F_PUBLISHED, flags, true);
			p->pub_from_date = from_date;
		}
	} else if (p->cur == FEED_F_LINK && p->text_link) {
		feed_commit(p, FEED_F_LINK, flags, p->text_link_alt && !p->link_alt);
		p->link_alt = p->link_alt || p->text_link_alt;
	} else if (p->cur == FEED_F_LINK) {
		/* RSS <link>: the last one wins (as feedparser and gofeed read it), and beats
		 * an atom:link fallback. */
		feed_commit(p, FEED_F_LINK, flags, true);
		p->link_alt = true;
	} else {
		feed_commit(p, p->cur, flags, false);
	}
	p->cur = CAP_NONE;
	p->sc.want_text = false;
}

void
feed_item_reset(struct feed_parser *p)
{
	p->in_item = false;
	p->item_used = 0;
	p->item_trunc = false;
	p->link_alt = false;
	p->pub_from_date = false;
	p->author_depth = 0;
	p->fallback_fields = 0;
	p->n_cat = 0;
	memset(p->field, 0, sizeof(p->field));
}

void
feed_item_end(struct feed_parser *p)
{
	struct feed_env *env = p->env;
	struct feed_item it;
	int i;

	it.format = p->format;
	it.feed_title.ptr = p->feed_title;
	it.feed_title.len = p->feed_title_len;
	it.feed_link.ptr = p->feed_link;
	it.feed_link.len = p->feed_link_len;
	for (i = 0; i < FEED_F__MAX; i++) {
		it.field[i].ptr = p->field[i].len > 0 ? p->item + p->field[i].off : empty_text;
		it.field[i].len = p->field[i].len;
	}
	it.n_categories = p->n_cat;
	for (i = 0; i < p->n_cat; i++) {
		it.category[i].ptr = it.field[FEED_F_CATEGORY].ptr + p->cat[i].off;
		it.category[i].len = p->cat[i].len;
	}
	it.truncated = p->item_trunc;
	if (p->format == FEED_FMT_RDF && it.field[FEED_F_ID].len == 0) {
		/* RSS 1.0 has no guid: an item is named by its rdf:about, which §5.5 makes its link */
		it.field[FEED_F_ID] = it.field[FEED_F_LINK];
	}
	counters_inc(env->c, CNT_feed_items);
	if (p->item_trunc) {
		counters_inc(env->c, CNT_feed_item_truncated);
	}
	p->nitems++;
	if (env->on_item != NULL) {
		env->on_item(p->arg, &it);
	}
	feed_item_reset(p);
}

/* Raw text from now on is in single-byte charset <t> (NULL: UTF-8). */
void
feed_use_table(struct feed_parser *p, const struct charset_table *t)
{
	p->table = t;
	/* with a table, raw text must go through it: the scanner may not copy it straight */
	p->sc.utf8_text = t == NULL;
}

/* Streams the document through iconv from <name> on; false (counted) if iconv cannot. */
bool
feed_conv_open(struct feed_parser *p, const char *name)
{
	if (charset_conv_open(&p->conv, name) != 0) {
		counters_inc(p->env->c, CNT_feed_charset_unknown);
		return false;
	}
	counters_inc(p->env->c, CNT_feed_charset_stream);
	return true;
}

static void
json_feed(void *arg)
{
	struct feed_parser *p = arg;

	p->format = FEED_FMT_JSON;
	p->root_seen = true;
}

static void
json_item_begin(void *arg)
{
	struct feed_parser *p = arg;

	feed_item_reset(p);
	p->in_item = true;
}

static void
json_item_end(void *arg)
{
	struct feed_parser *p = arg;

	if (p->in_item) {
		feed_item_end(p);
	}
}

static void
json_value_begin(void *arg, int field, bool html, bool fallback)
{
	struct feed_parser *p = arg;

	p->cur = field;
	p->mode = html ? M_HTML : M_PLAIN;
	p->b64 = false;
	p->text_link = false;
	p->json_fallback = fallback;
	p->scratch_len = 0;
	p->scratch_full = false;
}

static void
json_value_text(void *arg, const uint8_t *s, size_t n)
{
	/* JSON is UTF-8 (RFC 8259 §8.1) whatever the transport says. */
	feed_scratch_add(arg, s, n, false);
}

/*
 * A fallback key's value (external_url, date_modified, content_text, the 1.0
 * author) is kept only while the preferred key gives none, and a preferred
 * value replaces it, in whichever order they come.
 */
static void
json_value_end(void *arg)
{
	struct feed_parser *p = arg;
	const int f = p->cur;
	const unsigned flags = mode_flags(p->mode);
	uint8_t bit;

	if (f == CAP_FEED_TITLE || f == CAP_FEED_LINK) {
		feed_field_end(p);
		return;
	}
	p->cur = CAP_NONE;
	if (f < 0 || f >= FEED_F__MAX || !p->in_item) {
		return;
	}
	bit = (uint8_t)(1u << f);
	if (p->json_fallback) {
		if (p->field[f].len > 0 && (p->fallback_fields & bit) == 0) {
			return;
		}
		feed_commit(p, f, flags, false);
		if (p->field[f].len > 0) {
			p->fallback_fields |= bit;
		}
		return;
	}
	if ((p->fallback_fields & bit) != 0) {
		p->field[f].len = 0;
		p->fallback_fields &= (uint8_t)~bit;
	}
	feed_commit(p, f, flags, false);
}

static void
json_bad(void *arg)
{
	struct feed_parser *p = arg;

	/* An item still open is dropped; the ones reported stay reported. */
	counters_inc(p->env->c, CNT_feed_bad_json);
	p->ignore = true;
	p->in_item = false;
	p->cur = CAP_NONE;
}

static const struct feed_json_ops json_ops = {
	.feed = json_feed,
	.item_begin = json_item_begin,
	.item_end = json_item_end,
	.value_begin = json_value_begin,
	.value_text = json_value_text,
	.value_end = json_value_end,
	.bad = json_bad,
};

struct feed_env *
feed_env_create(const struct feed_limits *lim, struct counters *c, feed_item_fn *on_item)
{
	struct feed_env *env = NULL;
	uint32_t i;

	if (lim == NULL || c == NULL) {
		return NULL;
	}
	env = calloc(1, sizeof(*env));
	if (env == NULL) {
		goto fail;
	}
	env->lim = *lim;
	env->c = c;
	env->on_item = on_item;
	env->charsets = calloc(1, sizeof(*env->charsets));
	env->parsers = mem_data_zalloc((lim->max_parsers + 1u) * sizeof(*env->parsers));
	env->free_list = calloc(lim->max_parsers + 1u, sizeof(*env->free_list));
	/* Two buffers per parser: the item's normalized fields and one field's raw text. */
	env->bufs = mem_data_zalloc(((size_t)lim->max_parsers * 2u + 1u) *
	                            ((size_t)lim->max_item + 1u));
	if (env->charsets == NULL || env->parsers == NULL || env->free_list == NULL ||
	    env->bufs == NULL) {
		goto fail;
	}
	for (i = 0; i < lim->max_parsers; i++) {
		env->free_list[env->n_free++] = lim->max_parsers - 1u - i;
	}
	return env;
fail:
	feed_env_free(env);
	return NULL;
}

void
feed_env_free(struct feed_env *env)
{
	if (env == NULL) {
		return;
	}
	mem_data_free(env->bufs);
	free(env->free_list);
	mem_data_free(env->parsers);
	free(env->charsets);
	free(env);
}

struct feed_parser *
feed_parser_open(struct feed_env *env, struct span charset, void *arg)
{
	struct feed_parser *p;
	uint32_t idx;

	if (env->n_free == 0) {
		counters_inc(env->c, CNT_feed_pool_empty);
		return NULL;
	}
	idx = env->free_list[--env->n_free];
	p = &env->parsers[idx];
	memset(p, 0, sizeof(*p));
	p->env = env;
	p->arg = arg;
	p->next_free = idx;
	p->in_pool = true;
	p->item = env->bufs + (size_t)idx * 2u * ((size_t)env->lim.max_item + 1u);
	p->scratch = p->item + env->lim.max_item + 1u;
	feed_use_table(p, NULL);
	p->sc.text_sink = p->scratch;
	p->sc.text_cap = env->lim.max_item;
	p->sc.text_len = &p->scratch_len;
	p->sc.text_full = &p->scratch_full;
	p->cur = CAP_NONE;
	p->pend = CAP_NONE;
	/*
	 * The transport's charset (applied once the BOM is known not to say
	 * otherwise) wins over encoding= (RFC 7303 §3.2 / RFC 3023 §3.1); without
	 * one we use the declaration, not RFC 3023's US-ASCII default for
	 * text/xml, which no feed relies on. A label iconv does not know leaves
	 * the choice to the declaration.
	 */
	if (charset.len > 0) {
		p->hint_kind = (uint8_t)charset_resolve(env->charsets, charset, &p->hint_table,
		                                        p->hint_name);
		if (p->hint_kind == CHARSET_UNKNOWN) {
			counters_inc(env->c, CNT_feed_charset_unknown);
		}
	} else {
		p->hint_kind = CHARSET_UNKNOWN;
	}
	counters_inc(env->c, CNT_feed_documents);
	return p;
}

static void body(struct feed_parser *p, const uint8_t *s, size_t n);

static void
converted(void *arg, const uint8_t *s, size_t n)
{
	body(arg, s, n);
}

/*
 * The first bytes after the BOM stage: blanks, then '{' (JSON, which the
 * tokenizer gets whole), '<' (markup), or junk (a PHP warning, a banner)
 * that is skipped up to the first '<', as feed readers do. Returns the bytes
 * used.
 */
static size_t
sniff(struct feed_parser *p, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (p->head == H_JUNK) {
			const uint8_t *lt = memchr(s + i, '<', n - i);

			if (lt == NULL) {
				return n;
			}
			p->head = H_DONE;
			return (size_t)(lt - s);
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			continue;
		}
		if (c == '{') {
			p->head = H_DONE;
			p->json = true;
			return i;
		}
		if (c == '<') {
			p->head = H_DONE;
			return i;
		}
		counters_inc(p->env->c, CNT_feed_junk_before_root);
		p->head = H_JUNK;
	}
	return n;
}

/* Document bytes in the charset chosen so far (UTF-8 once streamed through iconv). */
static void
body(struct feed_parser *p, const uint8_t *s, size_t n)
{
	size_t used;

	if (p->ignore) {
		return;
	}
	if (p->head != H_DONE) {
		used = sniff(p, s, n);
		s += used;
		n -= used;
		if (n == 0) {
			return;
		}
	}
	if (p->json) {
		feed_json_data(&p->js, &json_ops, p, s, n);
		return;
	}
	used = xml_scan_feed(&p->sc, &feed_xml_ops, p, s, n);
	if (p->switch_conv && !p->ignore) {
		/* encoding= named a multi-byte charset: what follows the declaration is in it. */
		p->switch_conv = false;
		p->sc.stop = false;
		charset_conv_feed(&p->conv, s + used, n - used, converted, p);
	}
}

/* Bytes after the BOM, in the document's own charset. */
static void
raw(struct feed_parser *p, const uint8_t *s, size_t n)
{
	if (charset_conv_is_open(&p->conv)) {
		charset_conv_feed(&p->conv, s, n, converted, p);
	} else {
		body(p, s, n);
	}
}

/* A charset the bytes themselves name (XML 1.0 Appendix F), iconv's name for it, or NULL. */
static const char *
bom_charset(const uint8_t *b, size_t n, size_t *skip)
{
	static const struct {
		uint8_t len, skip;
		uint8_t bytes[4];
		const char *name;
	} t[] = {
		{ 4, 4, { 0x00, 0x00, 0xFE, 0xFF }, "UTF-32BE" },
		{ 4, 4, { 0xFF, 0xFE, 0x00, 0x00 }, "UTF-32LE" },
		{ 3, 3, { 0xEF, 0xBB, 0xBF }, "UTF-8" },
		{ 2, 2, { 0xFE, 0xFF }, "UTF-16BE" },
		{ 2, 2, { 0xFF, 0xFE }, "UTF-16LE" },
		{ 4, 0, { 0x00, 0x00, 0x00, '<' }, "UTF-32BE" },
		{ 4, 0, { '<', 0x00, 0x00, 0x00 }, "UTF-32LE" },
		{ 2, 0, { 0x00, '<' }, "UTF-16BE" },
		{ 2, 0, { '<', 0x00 }, "UTF-16LE" },
		{ 2, 0, { 0x00, '{' }, "UTF-16BE" },
		{ 2, 0, { '{', 0x00 }, "UTF-16LE" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (n >= t[i].len && memcmp(b, t[i].bytes, t[i].len) == 0) {
			*skip = t[i].skip;
			return t[i].name;
		}
	}
	return NULL;
}

/*
 * The first four bytes are here (or the document ended): pick the charset
 * by BOM, then by the transport's label, and send the held bytes on.
 */
static void
bom_decide(struct feed_parser *p)
{
	size_t skip = 0;
	const char *bom = bom_charset(p->bom, p->n_bom, &skip);

	p->bom_done = true;
	if (bom != NULL) {
		p->cs_locked = true;
		if (strcmp(bom, "UTF-8") != 0 && !feed_conv_open(p, bom)) {
			p->ignore = true;
			return;
		}
	} else if (p->hint_kind != CHARSET_UNKNOWN) {
		p->cs_locked = true;
		feed_use_table(p, p->hint_table);
		if (p->hint_kind == CHARSET_STREAM) {
			feed_conv_open(p, p->hint_name);
		}
	}
	raw(p, p->bom + skip, p->n_bom - skip);
}

/* Whether the first byte could start a BOM or a BOM-less UTF-16/32 document. */
static bool
may_be_bom(uint8_t c)
{
	return c == 0xEF || c == 0xFE || c == 0xFF || c == 0x00 || c == '<' || c == '{';
}

void
feed_parser_data(struct feed_parser *p, struct span data)
{
	const uint8_t *s = data.ptr;
	size_t n = data.len;

	if (p == NULL || p->ignore || n == 0) {
		return;
	}
	if (!p->bom_done) {
		while (n > 0 && p->n_bom < sizeof(p->bom)) {
			p->bom[p->n_bom++] = *s++;
			n--;
			if (!may_be_bom(p->bom[0])) {
				break;
			}
		}
		if (p->n_bom < sizeof(p->bom) && may_be_bom(p->bom[0])) {
			return;
		}
		bom_decide(p);
	}
	if (n > 0 && !p->ignore) {
		raw(p, s, n);
	}
}

void
feed_parser_close(struct feed_parser *p)
{
	struct feed_env *env;

	if (p == NULL || !p->in_pool) {
		return;
	}
	env = p->env;
	if (!p->bom_done && p->n_bom > 0 && !p->ignore) {
		/* A document shorter than a BOM. */
		bom_decide(p);
	}
	charset_conv_close(&p->conv, NULL, NULL);
	if (p->json) {
		if (!p->ignore && !p->js.done) {
			/* Cut short: an item still open is dropped, like a malformed one. */
			counters_inc(env->c, CNT_feed_bad_json);
		} else if (!p->ignore && p->format != FEED_FMT_JSON) {
			/* Well-formed JSON without a top-level "items" array. */
			counters_inc(env->c, CNT_feed_unknown_format);
		}
	} else if (!p->ignore && p->bom_done && !p->root_seen) {
		/* Bytes came but no element ever started: not a feed either. */
		counters_inc(env->c, CNT_feed_unknown_format);
	}
	p->in_pool = false;
	env->free_list[env->n_free++] = p->next_free;
}

void
feed_parser_set_url(struct feed_parser *p, struct span url)
{
	static const char *const schemes[] = { "http://", "https://" };
	size_t i;

	if (p == NULL || url.len >= sizeof(p->doc_url)) {
		return;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		struct span pre = { url.ptr, strlen(schemes[i]) };

		if (url.len > pre.len && span_eq_ci(pre, schemes[i])) {
			memcpy(p->doc_url, url.ptr, url.len);
			p->doc_url_len = (uint16_t)url.len;
			return;
		}
	}
}

enum feed_format
feed_parser_format(const struct feed_parser *p)
{
	return p->format;
}

int
feed_parse_document(struct feed_env *env, struct span doc, struct span charset, void *arg)
{
	struct feed_parser *p = feed_parser_open(env, charset, arg);
	int n;

	if (p == NULL) {
		return -1;
	}
	feed_parser_data(p, doc);
	n = p->nitems;
	feed_parser_close(p);
	return n;
}
