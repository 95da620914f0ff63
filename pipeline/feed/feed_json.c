#include "feed/feed_json.h"

#include <string.h>

#include "feed/normalize.h"

/* Tokenizer states. */
enum {
	J_VALUE = 0,   /* a value is expected (zero: the document's first value) */
	J_FIRST_VALUE, /* just after '[': a value or ']' */
	J_FIRST_KEY,   /* just after '{': a key or '}' */
	J_KEY,         /* after ',' in an object: a key */
	J_COLON,       /* after a key */
	J_AFTER,       /* after a value inside a container: ',' or its closing bracket */
	J_STR,         /* inside a string (key or value) */
	J_ESC,         /* after '\' */
	J_HEX,         /* inside \uXXXX */
	J_SURR_BS,     /* after a high surrogate: its low half's '\' should follow */
	J_SURR_U,      /* ... and then 'u' */
	J_NUM,         /* inside a number */
	J_LIT,         /* inside true / false / null */
	J_END,         /* after the top-level value: only whitespace may follow */
	J_DEAD,        /* malformed: ignore everything */
};

/* Number grammar (RFC 8259 §6) positions; 0 means "no number continues with this byte". */
enum { N_NONE = 0, N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

/* What a container is, by where it sits. */
enum {
	R_OTHER = 0, /* anything we skip */
	R_ROOT,      /* the top-level object */
	R_ITEMS,     /* the top-level "items" array */
	R_ITEM,      /* an object in it */
	R_AUTHOR,    /* an item's 1.0 "author" object */
	R_AUTHORS,   /* an item's 1.1 "authors" array */
	R_AUTHOR11,  /* an object in it */
	R_TAGS,      /* an item's "tags" array */
};

/* Keys we know, in the containers where they mean something. */
enum {
	K_NONE = 0,
	K_TITLE,
	K_ITEMS,
	K_URL,
	K_EXTURL,
	K_ID,
	K_DATEPUB,
	K_DATEMOD,
	K_AUTHOR,
	K_AUTHORS,
	K_TAGS,
	K_SUMMARY,
	K_HTML,
	K_TEXT,
	K_NAME,
	K_HOME,
};

enum vkind { V_OBJ, V_ARR, V_STR, V_NUM, V_LIT };

static const char *const literals[] = { "true", "false", "null" };

static bool
blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static uint8_t
role_at(const struct feed_json *j, unsigned depth)
{
	return depth > 0 && depth < FEED_JSON_ROLES ? j->role[depth] : R_OTHER;
}

static bool
top_is_array(const struct feed_json *j)
{
	return j->depth > 0 && ((j->arrays >> (j->depth - 1u)) & 1u) != 0;
}

static bool
key_is(const struct feed_json *j, const char *lit)
{
	return strlen(lit) == j->key_len && memcmp(j->key, lit, j->key_len) == 0;
}

static uint8_t
classify_key(const struct feed_json *j)
{
	static const struct {
		const char *name;
		uint8_t k;
	} item_keys[] = {
		{ "title", K_TITLE },
		{ "url", K_URL },
		{ "external_url", K_EXTURL },
		{ "id", K_ID },
		{ "date_published", K_DATEPUB },
		{ "date_modified", K_DATEMOD },
		{ "author", K_AUTHOR },
		{ "authors", K_AUTHORS },
		{ "tags", K_TAGS },
		{ "summary", K_SUMMARY },
		{ "content_html", K_HTML },
		{ "content_text", K_TEXT },
	};
	size_t i;

	if (j->key_len > FEED_JSON_KEY_MAX) {
		return K_NONE;
	}
	switch (role_at(j, j->depth)) {
	case R_ROOT:
		return key_is(j, "title")           ? K_TITLE
		       : key_is(j, "items")         ? K_ITEMS
		       : key_is(j, "home_page_url") ? K_HOME
		                                    : K_NONE;
	case R_ITEM:
		for (i = 0; i < sizeof(item_keys) / sizeof(item_keys[0]); i++) {
			if (key_is(j, item_keys[i].name)) {
				return item_keys[i].k;
			}
		}
		return K_NONE;
	case R_AUTHOR:
	case R_AUTHOR11:
		return key_is(j, "name") ? K_NAME : K_NONE;
	default:
		return K_NONE;
	}
}

static void
fail(struct feed_json *j, const struct feed_json_ops *ops, void *arg)
{
	j->state = J_DEAD;
	j->capture = false;
	ops->bad(arg);
}

/* Decoded string bytes: into the key buffer, to the caller, or nowhere. */
static void
emit(struct feed_json *j, const struct feed_json_ops *ops, void *arg, const uint8_t *s, size_t n)
{
	if (j->in_key) {
		if (j->key_len > FEED_JSON_KEY_MAX) {
			return;
		}
		if (n > (size_t)(FEED_JSON_KEY_MAX - j->key_len)) {
			j->key_len = FEED_JSON_KEY_MAX + 1;
			return;
		}
		memcpy(j->key + j->key_len, s, n);
		j->key_len = (uint8_t)(j->key_len + n);
	} else if (j->capture) {
		ops->value_text(arg, s, n);
	}
}

static void
emit_cp(struct feed_json *j, const struct feed_json_ops *ops, void *arg, uint32_t cp)
{
	uint8_t u[4];

	emit(j, ops, arg, u, normalize_utf8_put(u, cp));
}

/* Opens a container of role <role>; false (and the document is dead) past the depth limit. */
static bool
push(struct feed_json *j, const struct feed_json_ops *ops, void *arg, bool array, uint8_t role)
{
	uint64_t bit;

	if (j->depth >= FEED_JSON_DEPTH_MAX) {
		fail(j, ops, arg);
		return false;
	}
	bit = 1ull << j->depth;
	j->arrays = array ? j->arrays | bit : j->arrays & ~bit;
	j->depth++;
	if (j->depth < FEED_JSON_ROLES) {
		j->role[j->depth] = role;
	}
	return true;
}

/* A scalar or container value ended: back to its container, or the document is complete. */
static void
value_done(struct feed_json *j, const struct feed_json_ops *ops, void *arg)
{
	if (j->capture) {
		j->capture = false;
		ops->value_end(arg);
	}
	if (j->depth == 0) {
		j->done = true;
		j->state = J_END;
	} else {
		j->state = J_AFTER;
	}
}

/* '}' or ']'. */
static void
close_container(struct feed_json *j, const struct feed_json_ops *ops, void *arg, uint8_t c)
{
	if (j->depth == 0 || top_is_array(j) != (c == ']')) {
		fail(j, ops, arg);
		return;
	}
	if (role_at(j, j->depth) == R_ITEM) {
		ops->item_end(arg);
	}
	j->depth--;
	value_done(j, ops, arg);
}

/*
 * A value of kind <v> starts where the parent container and the current key
 * put it: decides what a new container is and whether a scalar is captured.
 * The state for the value is already set.
 */
static void
value_start(struct feed_json *j, const struct feed_json_ops *ops, void *arg, enum vkind v)
{
	const uint8_t k = top_is_array(j) ? K_NONE : j->key_kind;
	uint8_t role = R_OTHER;
	int field = -1;
	bool html = false, fallback = false;

	if (j->depth == 0) {
		role = v == V_OBJ ? R_ROOT : R_OTHER;
	}
	/* Containers get a role only when they are of the kind the spec gives them. */
	switch (role_at(j, j->depth)) {
	case R_ROOT:
		if (k == K_TITLE && v == V_STR) {
			field = FEED_JSON_FEED_TITLE;
		} else if (k == K_HOME && v == V_STR) {
			field = FEED_JSON_FEED_LINK;
		} else if (k == K_ITEMS && v == V_ARR) {
			role = R_ITEMS;
			ops->feed(arg);
		}
		break;
	case R_ITEMS:
		role = v == V_OBJ ? R_ITEM : R_OTHER;
		break;
	case R_ITEM:
		switch (k) {
		case K_TITLE:
			field = FEED_F_TITLE;
			break;
		case K_URL:
		case K_EXTURL:
			field = FEED_F_LINK;
			fallback = k == K_EXTURL;
			break;
		case K_ID:
			field = FEED_F_ID;
			break;
		case K_DATEPUB:
		case K_DATEMOD:
			field = FEED_F_PUBLISHED;
			fallback = k == K_DATEMOD;
			break;
		case K_SUMMARY:
			field = FEED_F_SUMMARY;
			break;
		case K_HTML:
		case K_TEXT:
			field = FEED_F_CONTENT;
			html = k == K_HTML;
			fallback = k == K_TEXT;
			break;
		case K_AUTHOR:
			role = v == V_OBJ ? R_AUTHOR : R_OTHER;
			break;
		case K_AUTHORS:
			role = v == V_ARR ? R_AUTHORS : R_OTHER;
			break;
		case K_TAGS:
			role = v == V_ARR ? R_TAGS : R_OTHER;
			break;
		default:
			break;
		}
		break;
	case R_AUTHOR:
	case R_AUTHOR11:
		if (k == K_NAME) {
			field = FEED_F_AUTHOR;
			fallback = role_at(j, j->depth) == R_AUTHOR;
		}
		break;
	case R_AUTHORS:
		role = v == V_OBJ ? R_AUTHOR11 : R_OTHER;
		break;
	case R_TAGS:
		field = FEED_F_CATEGORY;
		break;
	default:
		break;
	}
	if (v == V_OBJ || v == V_ARR) {
		if (push(j, ops, arg, v == V_ARR, role) && role == R_ITEM) {
			ops->item_begin(arg);
		}
		return;
	}
	if (field >= 0 && (v == V_STR || (v == V_NUM && field == FEED_F_ID))) {
		j->capture = true;
		ops->value_begin(arg, field, html, fallback);
	}
}

/* A complete \u code unit: pairs surrogates (RFC 8259 §7); a lone half becomes U+FFFD. */
static void
code_unit(struct feed_json *j, const struct feed_json_ops *ops, void *arg)
{
	const uint32_t cu = j->hex;

	if (j->high != 0) {
		if (cu >= 0xDC00 && cu <= 0xDFFF) {
			emit_cp(j, ops, arg,
			        0x10000u + (((uint32_t)j->high - 0xD800u) << 10) + (cu - 0xDC00u));
			j->high = 0;
			j->state = J_STR;
			return;
		}
		emit_cp(j, ops, arg, NORMALIZE_REPLACEMENT);
		j->high = 0;
	}
	if (cu >= 0xD800 && cu <= 0xDBFF) {
		j->high = (uint16_t)cu;
		j->state = J_SURR_BS;
		return;
	}
	/* A lone low surrogate: normalize_utf8_put() writes U+FFFD. */
	emit_cp(j, ops, arg, cu);
	j->state = J_STR;
}

static int
hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = (uint8_t)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The number grammar position after byte <c> at position <sub>, N_NONE if <c> does not continue it. */
static uint8_t
number_step(uint8_t sub, uint8_t c)
{
	const bool digit = c >= '0' && c <= '9';
	const bool e = c == 'e' || c == 'E';

	switch (sub) {
	case N_MINUS:
		return c == '0' ? N_ZERO : digit ? N_INT : N_NONE;
	case N_ZERO:
		return c == '.' ? N_DOT : e ? N_E : N_NONE;
	case N_INT:
		return digit ? N_INT : c == '.' ? N_DOT : e ? N_E : N_NONE;
	case N_DOT:
	case N_FRAC:
		return digit ? N_FRAC : sub == N_FRAC && e ? N_E : N_NONE;
	case N_E:
		return c == '+' || c == '-' ? N_ESIGN : digit ? N_EXP : N_NONE;
	case N_ESIGN:
	case N_EXP:
		return digit ? N_EXP : N_NONE;
	default:
		return N_NONE;
	}
}

static bool
number_complete(uint8_t sub)
{
	return sub == N_ZERO || sub == N_INT || sub == N_FRAC || sub == N_EXP;
}

/* The first byte of a value (already consumed). */
static void
value_byte(struct feed_json *j, const struct feed_json_ops *ops, void *arg, uint8_t c)
{
	switch (c) {
	case '{':
		j->state = J_FIRST_KEY;
		value_start(j, ops, arg, V_OBJ);
		return;
	case '[':
		j->state = J_FIRST_VALUE;
		value_start(j, ops, arg, V_ARR);
		return;
	case '"':
		j->state = J_STR;
		j->in_key = false;
		value_start(j, ops, arg, V_STR);
		return;
	case 't':
	case 'f':
	case 'n':
		j->state = J_LIT;
		j->lit = c == 't' ? 0 : c == 'f' ? 1 : 2;
		j->sub = 1;
		value_start(j, ops, arg, V_LIT);
		return;
	default:
		break;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		j->state = J_NUM;
		j->sub = c == '-' ? N_MINUS : c == '0' ? N_ZERO : N_INT;
		value_start(j, ops, arg, V_NUM);
		emit(j, ops, arg, &c, 1);
		return;
	}
	fail(j, ops, arg);
}

static void
string_end(struct feed_json *j, const struct feed_json_ops *ops, void *arg)
{
	if (j->in_key) {
		j->in_key = false;
		j->key_kind = classify_key(j);
		j->state = J_COLON;
		return;
	}
	value_done(j, ops, arg);
}

/* A byte after '\' (RFC 8259 §7). */
static void
escape_byte(struct feed_json *j, const struct feed_json_ops *ops, void *arg, uint8_t c)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *e = c != 0 ? strchr(from, c) : NULL;

	if (c == 'u') {
		j->hex = 0;
		j->hex_n = 0;
		j->state = J_HEX;
		return;
	}
	if (e == NULL) {
		fail(j, ops, arg);
		return;
	}
	emit(j, ops, arg, (const uint8_t *)&to[e - from], 1);
	j->state = J_STR;
}

void
feed_json_data(struct feed_json *j, const struct feed_json_ops *ops, void *arg, const uint8_t *p,
               size_t n)
{
	const uint8_t *const end = p + n;
	const uint8_t *q;
	uint8_t c;
	int h;

	while (p < end) {
		c = *p;
		switch (j->state) {
		case J_VALUE:
		case J_FIRST_VALUE:
			p++;
			if (blank(c)) {
				break;
			}
			if (c == ']' && j->state == J_FIRST_VALUE) {
				close_container(j, ops, arg, c);
			} else {
				value_byte(j, ops, arg, c);
			}
			break;
		case J_FIRST_KEY:
		case J_KEY:
			p++;
			if (blank(c)) {
				break;
			}
			if (c == '"') {
				j->in_key = true;
				j->key_len = 0;
				j->state = J_STR;
			} else if (c == '}' && j->state == J_FIRST_KEY) {
				close_container(j, ops, arg, c);
			} else {
				fail(j, ops, arg);
			}
			break;
		case J_COLON:
			p++;
			if (c == ':') {
				j->state = J_VALUE;
			} else if (!blank(c)) {
				fail(j, ops, arg);
			}
			break;
		case J_AFTER:
			p++;
			if (c == ',') {
				j->state = top_is_array(j) ? J_VALUE : J_KEY;
			} else if (c == '}' || c == ']') {
				close_container(j, ops, arg, c);
			} else if (!blank(c)) {
				fail(j, ops, arg);
			}
			break;
		case J_STR:
			/* Raw control characters are taken as they are: lenient, like feed readers. */
			for (q = p; q < end && *q != '"' && *q != '\\'; q++) {
			}
			if (q > p) {
				emit(j, ops, arg, p, (size_t)(q - p));
			}
			p = q;
			if (p < end) {
				p++;
				if (*q == '"') {
					string_end(j, ops, arg);
				} else {
					j->state = J_ESC;
				}
			}
			break;
		case J_ESC:
			p++;
			escape_byte(j, ops, arg, c);
			break;
		case J_HEX:
			p++;
			h = hex_value(c);
			if (h < 0) {
				fail(j, ops, arg);
				break;
			}
			j->hex = (uint16_t)(j->hex << 4 | (unsigned)h);
			if (++j->hex_n == 4) {
				code_unit(j, ops, arg);
			}
			break;
		case J_SURR_BS:
			if (c == '\\') {
				p++;
				j->state = J_SURR_U;
			} else {
				/* The high surrogate stands alone; <c> is read again as string text. */
				emit_cp(j, ops, arg, NORMALIZE_REPLACEMENT);
				j->high = 0;
				j->state = J_STR;
			}
			break;
		case J_SURR_U:
			if (c == 'u') {
				p++;
				j->hex = 0;
				j->hex_n = 0;
				j->state = J_HEX;
			} else {
				emit_cp(j, ops, arg, NORMALIZE_REPLACEMENT);
				j->high = 0;
				j->state = J_ESC;
			}
			break;
		case J_NUM:
			if (number_step(j->sub, c) != N_NONE) {
				j->sub = number_step(j->sub, c);
				emit(j, ops, arg, &c, 1);
				p++;
			} else if (number_complete(j->sub)) {
				/* <c> is read again as what follows the number. */
				value_done(j, ops, arg);
			} else {
				fail(j, ops, arg);
			}
			break;
		case J_LIT:
			p++;
			if (c != (uint8_t)literals[j->lit][j->sub]) {
				fail(j, ops, arg);
			} else if (literals[j->lit][++j->sub] == 0) {
				value_done(j, ops, arg);
			}
			break;
		case J_END:
			p++;
			if (!blank(c)) {
				fail(j, ops, arg);
			}
			break;
		default:
			return;
		}
	}
}
