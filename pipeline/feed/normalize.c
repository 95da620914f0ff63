#include "normalize.h"

#include <stdlib.h>
#include <string.h>

/* windows-1252 0x80-0x9F (WHATWG index); the five holes keep their C1 value. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

struct entity {
	const char *name;
	uint32_t cp;
};

/*
 * The HTML 4 entity set (Latin-1, symbols, Greek, typographic) plus &apos;,
 * sorted by strcmp order for bsearch. HTML5's 2,000-odd additions are rare in
 * feeds and left literal.
 */
static const struct entity html_entities[] = {
	{ "AElig", 0xC6 },     { "Aacute", 0xC1 },   { "Acirc", 0xC2 },     { "Agrave", 0xC0 },
	{ "Alpha", 0x391 },    { "Aring", 0xC5 },    { "Atilde", 0xC3 },    { "Auml", 0xC4 },
	{ "Beta", 0x392 },     { "Ccedil", 0xC7 },   { "Chi", 0x3A7 },      { "Dagger", 0x2021 },
	{ "Delta", 0x394 },    { "ETH", 0xD0 },      { "Eacute", 0xC9 },    { "Ecirc", 0xCA },
	{ "Egrave", 0xC8 },    { "Epsilon", 0x395 }, { "Eta", 0x397 },      { "Euml", 0xCB },
	{ "Gamma", 0x393 },    { "Iacute", 0xCD },   { "Icirc", 0xCE },     { "Igrave", 0xCC },
	{ "Iota", 0x399 },     { "Iuml", 0xCF },     { "Kappa", 0x39A },    { "Lambda", 0x39B },
	{ "Mu", 0x39C },       { "Ntilde", 0xD1 },   { "Nu", 0x39D },       { "OElig", 0x152 },
	{ "Oacute", 0xD3 },    { "Ocirc", 0xD4 },    { "Ograve", 0xD2 },    { "Omega", 0x3A9 },
	{ "Omicron", 0x39F },  { "Oslash", 0xD8 },   { "Otilde", 0xD5 },    { "Ouml", 0xD6 },
	{ "Phi", 0x3A6 },      { "Pi", 0x3A0 },      { "Prime", 0x2033 },   { "Psi", 0x3A8 },
	{ "Rho", 0x3A1 },      { "Scaron", 0x160 },  { "Sigma", 0x3A3 },    { "THORN", 0xDE },
	{ "Tau", 0x3A4 },      { "Theta", 0x398 },   { "Uacute", 0xDA },    { "Ucirc", 0xDB },
	{ "Ugrave", 0xD9 },    { "Upsilon", 0x3A5 }, { "Uuml", 0xDC },      { "Xi", 0x39E },
	{ "Yacute", 0xDD },    { "Yuml", 0x178 },    { "Zeta", 0x396 },     { "aacute", 0xE1 },
	{ "acirc", 0xE2 },     { "acute", 0xB4 },    { "aelig", 0xE6 },     { "agrave", 0xE0 },
	{ "alefsym", 0x2135 }, { "alpha", 0x3B1 },   { "amp", 0x26 },       { "and", 0x2227 },
	{ "ang", 0x2220 },     { "apos", 0x27 },     { "aring", 0xE5 },     { "asymp", 0x2248 },
	{ "atilde", 0xE3 },    { "auml", 0xE4 },     { "bdquo", 0x201E },   { "beta", 0x3B2 },
	{ "brvbar", 0xA6 },    { "bull", 0x2022 },   { "cap", 0x2229 },     { "ccedil", 0xE7 },
	{ "cedil", 0xB8 },     { "cent", 0xA2 },     { "chi", 0x3C7 },      { "circ", 0x2C6 },
	{ "clubs", 0x2663 },   { "cong", 0x2245 },   { "copy", 0xA9 },      { "crarr", 0x21B5 },
	{ "cup", 0x222A },     { "curren", 0xA4 },   { "dArr", 0x21D3 },    { "dagger", 0x2020 },
	{ "darr", 0x2193 },    { "deg", 0xB0 },      { "delta", 0x3B4 },    { "diams", 0x2666 },
	{ "divide", 0xF7 },    { "eacute", 0xE9 },   { "ecirc", 0xEA },     { "egrave", 0xE8 },
	{ "empty", 0x2205 },   { "emsp", 0x2003 },   { "ensp", 0x2002 },    { "epsilon", 0x3B5 },
	{ "equiv", 0x2261 },   { "eta", 0x3B7 },     { "eth", 0xF0 },       { "euml", 0xEB },
	{ "euro", 0x20AC },    { "exist", 0x2203 },  { "fnof", 0x192 },     { "forall", 0x2200 },
	{ "frac12", 0xBD },    { "frac14", 0xBC },   { "frac34", 0xBE },    { "frasl", 0x2044 },
	{ "gamma", 0x3B3 },    { "ge", 0x2265 },     { "gt", 0x3E },        { "hArr", 0x21D4 },
	{ "harr", 0x2194 },    { "hearts", 0x2665 }, { "hellip", 0x2026 },  { "iacute", 0xED },
	{ "icirc", 0xEE },     { "iexcl", 0xA1 },    { "igrave", 0xEC },    { "image", 0x2111 },
	{ "infin", 0x221E },   { "int", 0x222B },    { "iota", 0x3B9 },     { "iquest", 0xBF },
	{ "isin", 0x2208 },    { "iuml", 0xEF },     { "kappa", 0x3BA },    { "lArr", 0x21D0 },
	{ "lambda", 0x3BB },   { "lang", 0x2329 },   { "laquo", 0xAB },     { "larr", 0x2190 },
	{ "lceil", 0x2308 },   { "ldquo", 0x201C },  { "le", 0x2264 },      { "lfloor", 0x230A },
	{ "lowast", 0x2217 },  { "loz", 0x25CA },    { "lrm", 0x200E },     { "lsaquo", 0x2039 },
	{ "lsquo", 0x2018 },   { "lt", 0x3C },       { "macr", 0xAF },      { "mdash", 0x2014 },
	{ "micro", 0xB5 },     { "middot", 0xB7 },   { "minus", 0x2212 },   { "mu", 0x3BC },
	{ "nabla", 0x2207 },   { "nbsp", 0xA0 },     { "ndash", 0x2013 },   { "ne", 0x2260 },
	{ "ni", 0x220B },      { "not", 0xAC },      { "notin", 0x2209 },   { "nsub", 0x2284 },
	{ "ntilde", 0xF1 },    { "nu", 0x3BD },      { "oacute", 0xF3 },    { "ocirc", 0xF4 },
	{ "oelig", 0x153 },    { "ograve", 0xF2 },   { "oline", 0x203E },   { "omega", 0x3C9 },
	{ "omicron", 0x3BF },  { "oplus", 0x2295 },  { "or", 0x2228 },      { "ordf", 0xAA },
	{ "ordm", 0xBA },      { "oslash", 0xF8 },   { "otilde", 0xF5 },    { "otimes", 0x2297 },
	{ "ouml", 0xF6 },      { "para", 0xB6 },     { "part", 0x2202 },    { "permil", 0x2030 },
	{ "perp", 0x22A5 },    { "phi", 0x3C6 },     { "pi", 0x3C0 },       { "piv", 0x3D6 },
	{ "plusmn", 0xB1 },    { "pound", 0xA3 },    { "prime", 0x2032 },   { "prod", 0x220F },
	{ "prop", 0x221D },    { "psi", 0x3C8 },     { "quot", 0x22 },      { "rArr", 0x21D2 },
	{ "radic", 0x221A },   { "rang", 0x232A },   { "raquo", 0xBB },     { "rarr", 0x2192 },
	{ "rceil", 0x2309 },   { "rdquo", 0x201D },  { "real", 0x211C },    { "reg", 0xAE },
	{ "rfloor", 0x230B },  { "rho", 0x3C1 },     { "rlm", 0x200F },     { "rsaquo", 0x203A },
	{ "rsquo", 0x2019 },   { "sbquo", 0x201A },  { "scaron", 0x161 },   { "sdot", 0x22C5 },
	{ "sect", 0xA7 },      { "shy", 0xAD },      { "sigma", 0x3C3 },    { "sigmaf", 0x3C2 },
	{ "sim", 0x223C },     { "spades", 0x2660 }, { "sub", 0x2282 },     { "sube", 0x2286 },
	{ "sum", 0x2211 },     { "sup", 0x2283 },    { "sup1", 0xB9 },      { "sup2", 0xB2 },
	{ "sup3", 0xB3 },      { "supe", 0x2287 },   { "szlig", 0xDF },     { "tau", 0x3C4 },
	{ "there4", 0x2234 },  { "theta", 0x3B8 },   { "thetasym", 0x3D1 }, { "thinsp", 0x2009 },
	{ "thorn", 0xFE },     { "tilde", 0x2DC },   { "times", 0xD7 },     { "trade", 0x2122 },
	{ "uArr", 0x21D1 },    { "uacute", 0xFA },   { "uarr", 0x2191 },    { "ucirc", 0xFB },
	{ "ugrave", 0xF9 },    { "uml", 0xA8 },      { "upsih", 0x3D2 },    { "upsilon", 0x3C5 },
	{ "uuml", 0xFC },      { "weierp", 0x2118 }, { "xi", 0x3BE },       { "yacute", 0xFD },
	{ "yen", 0xA5 },       { "yuml", 0xFF },     { "zeta", 0x3B6 },     { "zwj", 0x200D },
	{ "zwnj", 0x200C },
};

/* Inline HTML elements: their tags join the text around them without a space. */
static const struct {
	uint8_t len;
	char name[8];
} inline_tags[] = {
	{ 1, "a" },    { 4, "abbr" },  { 7, "acronym" }, { 1, "b" },      { 3, "bdi" },
	{ 3, "bdo" },  { 3, "big" },   { 4, "cite" },    { 4, "code" },   { 4, "data" },
	{ 3, "del" },  { 3, "dfn" },   { 2, "em" },      { 4, "font" },   { 1, "i" },
	{ 3, "ins" },  { 3, "kbd" },   { 4, "mark" },    { 1, "q" },      { 1, "s" },
	{ 4, "samp" }, { 5, "small" }, { 4, "span" },    { 6, "strike" }, { 6, "strong" },
	{ 3, "sub" },  { 3, "sup" },   { 4, "time" },    { 2, "tt" },     { 1, "u" },
	{ 3, "var" },  { 3, "wbr" },
};

enum normalize_charset
normalize_charset_from_name(const char *name, size_t len)
{
	static const struct {
		const char *label;
		enum normalize_charset cs;
	} labels[] = {
		{ "utf-8", NORMALIZE_CS_UTF8 },
		{ "utf8", NORMALIZE_CS_UTF8 },
		{ "unicode-1-1-utf-8", NORMALIZE_CS_UTF8 },
		{ "iso-8859-1", NORMALIZE_CS_CP1252 },
		{ "iso8859-1", NORMALIZE_CS_CP1252 },
		{ "iso_8859-1", NORMALIZE_CS_CP1252 },
		{ "iso-ir-100", NORMALIZE_CS_CP1252 },
		{ "latin1", NORMALIZE_CS_CP1252 },
		{ "latin-1", NORMALIZE_CS_CP1252 },
		{ "l1", NORMALIZE_CS_CP1252 },
		{ "cp819", NORMALIZE_CS_CP1252 },
		{ "windows-1252", NORMALIZE_CS_CP1252 },
		{ "cp1252", NORMALIZE_CS_CP1252 },
		{ "x-cp1252", NORMALIZE_CS_CP1252 },
		{ "us-ascii", NORMALIZE_CS_CP1252 },
		{ "ascii", NORMALIZE_CS_CP1252 },
		{ "ansi_x3.4-1968", NORMALIZE_CS_CP1252 },
		{ "windows-1251", NORMALIZE_CS_CP1251 },
		{ "cp1251", NORMALIZE_CS_CP1251 },
		{ "x-cp1251", NORMALIZE_CS_CP1251 },
		{ "utf-16", NORMALIZE_CS_UTF16 },
		{ "utf-16le", NORMALIZE_CS_UTF16 },
		{ "utf-16be", NORMALIZE_CS_UTF16 },
		{ "ucs-2", NORMALIZE_CS_UTF16 },
	};
	size_t i, j;

	while (len > 0 &&
	       (name[0] == ' ' || name[0] == '\t' || name[0] == '"' || name[0] == '\'')) {
		name++;
		len--;
	}
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t' || name[len - 1] == '"' ||
	                   name[len - 1] == '\'')) {
		len--;
	}
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		const char *l = labels[i].label;

		for (j = 0; j < len && l[j] != 0; j++) {
			char c = name[j];

			if (c >= 'A' && c <= 'Z') {
				c += 32;
			}
			if (c != l[j]) {
				break;
			}
		}
		if (j == len && l[j] == 0) {
			return labels[i].cs;
		}
	}
	return NORMALIZE_CS_UNKNOWN;
}

size_t
normalize_utf8_put(uint8_t *out, uint32_t cp)
{
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
		cp = NORMALIZE_REPLACEMENT;
	}
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xC0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xE0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (uint8_t)(0xF0 | (cp >> 18));
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

size_t
normalize_cp1252_put(uint8_t *out, uint8_t b)
{
	if (b < 0x80) {
		out[0] = b;
		return 1;
	}
	if (b < 0xA0) {
		return normalize_utf8_put(out, cp1252_high[b - 0x80]);
	}
	return normalize_utf8_put(out, b);
}

/* windows-1251 0x80-0xBF; 0xC0-0xFF are U+0410-U+044F in order. */
static const uint16_t cp1251_high[64] = {
	0x0402, 0x0403, 0x201A, 0x0453, 0x201E, 0x2026, 0x2020, 0x2021, 0x20AC, 0x2030, 0x0409,
	0x2039, 0x040A, 0x040C, 0x040B, 0x040F, 0x0452, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x0098, 0x2122, 0x0459, 0x203A, 0x045A, 0x045C, 0x045B, 0x045F, 0x00A0,
	0x040E, 0x045E, 0x0408, 0x00A4, 0x0490, 0x00A6, 0x00A7, 0x0401, 0x00A9, 0x0404, 0x00AB,
	0x00AC, 0x00AD, 0x00AE, 0x0407, 0x00B0, 0x00B1, 0x0406, 0x0456, 0x0491, 0x00B5, 0x00B6,
	0x00B7, 0x0451, 0x2116, 0x0454, 0x00BB, 0x0458, 0x0405, 0x0455, 0x0457,
};

size_t
normalize_cp1251_put(uint8_t *out, uint8_t b)
{
	if (b < 0x80) {
		out[0] = b;
		return 1;
	}
	if (b < 0xC0) {
		return normalize_utf8_put(out, cp1251_high[b - 0x80]);
	}
	return normalize_utf8_put(out, 0x0410u + (b - 0xC0u));
}

/* "#NNN" / "#xHH" (XML 1.0 §4.1; HTML5's windows-1252 remap of 0x80-0x9F). */
static uint32_t
numeric_ref(const char *s, size_t len)
{
	uint32_t cp = 0;
	size_t i = 1;
	bool hex = false;

	if (len > 1 && (s[1] == 'x' || s[1] == 'X')) {
		hex = true;
		i = 2;
	}
	if (i == len) {
		return NORMALIZE_REPLACEMENT;
	}
	for (; i < len; i++) {
		char c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9') {
			d = (uint32_t)(c - '0');
		} else if (hex && c >= 'a' && c <= 'f') {
			d = (uint32_t)(c - 'a' + 10);
		} else if (hex && c >= 'A' && c <= 'F') {
			d = (uint32_t)(c - 'A' + 10);
		} else {
			return NORMALIZE_REPLACEMENT;
		}
		/* Checked before accumulating: anything past U+10FFFF is invalid anyway. */
		if (cp > 0x10FFFF) {
			return NORMALIZE_REPLACEMENT;
		}
		cp = cp * (hex ? 16 : 10) + d;
	}
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
	    cp == 0xFFFF || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')) {
		return NORMALIZE_REPLACEMENT;
	}
	if (cp >= 0x80 && cp < 0xA0) {
		return cp1252_high[cp - 0x80];
	}
	return cp;
}

static int
entity_cmp(const void *key, const void *elem)
{
	const struct entity *k = key, *e = elem;

	return strcmp(k->name, e->name);
}

/* The five XML entities (XML 1.0 §4.6), by length then bytes: the bulk of all references. */
static uint32_t
xml_entity(const char *n, size_t len)
{
	switch (len) {
	case 2:
		if (n[1] == 't') {
			return n[0] == 'l' ? '<' : n[0] == 'g' ? '>' : 0;
		}
		return 0;
	case 3:
		return memcmp(n, "amp", 3) == 0 ? '&' : 0;
	case 4:
		if (memcmp(n, "quot", 4) == 0) {
			return '"';
		}
		return memcmp(n, "apos", 4) == 0 ? '\'' : 0;
	default:
		return 0;
	}
}

uint32_t
normalize_entity(const char *name, size_t len, bool html)
{
	char buf[NORMALIZE_ENTITY_MAX + 1];
	struct entity key;
	const struct entity *hit;
	uint32_t cp;

	if (len == 0 || len > NORMALIZE_ENTITY_MAX) {
		return 0;
	}
	if (name[0] == '#') {
		return numeric_ref(name, len);
	}
	cp = xml_entity(name, len);
	if (cp != 0 || !html) {
		return cp;
	}
	memcpy(buf, name, len);
	buf[len] = 0;
	key.name = buf;
	key.cp = 0;
	hit = bsearch(&key, html_entities, sizeof(html_entities) / sizeof(html_entities[0]),
	              sizeof(html_entities[0]), entity_cmp);
	return hit == NULL ? 0 : hit->cp;
}

/*
 * One UTF-8 character at <s> (<n> > 0 bytes), strictly (RFC 3629: no
 * overlongs, no surrogates, nothing past U+10FFFF). On an invalid sequence
 * *cp is U+FFFD and the maximal valid subpart is consumed (Unicode §3.9).
 * Returns the bytes consumed (at least 1).
 */
static size_t
utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t b = s[0], lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t v;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		need = 1;
		v = b & 0x1F;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 2;
		v = b & 0x0F;
		lo = b == 0xE0 ? 0xA0 : 0x80;
		hi = b == 0xED ? 0x9F : 0xBF;
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 3;
		v = b & 0x07;
		lo = b == 0xF0 ? 0x90 : 0x80;
		hi = b == 0xF4 ? 0x8F : 0xBF;
	} else {
		*cp = NORMALIZE_REPLACEMENT;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = NORMALIZE_REPLACEMENT;
			return i;
		}
		v = (v << 6) | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

size_t
normalize_utf8_boundary(const uint8_t *s, size_t len)
{
	size_t back;

	for (back = 1; back <= 4 && back <= len; back++) {
		uint8_t b = s[len - back];
		size_t need;

		if ((b & 0xC0) == 0x80) {
			continue;
		}
		if (b < 0x80) {
			return len;
		}
		need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
		return need > back ? len - back : len;
	}
	/* Only continuation bytes at the end: nothing to repair; validation replaces them. */
	return len;
}

/* The output being built: folded spaces are held back until a character follows them. */
struct out {
	uint8_t *dst;
	size_t cap;
	size_t len;
	bool space;
	bool full;
};

static bool
is_space_cp(uint32_t cp)
{
	return cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
	       cp == 0x205F || cp == 0x3000;
}

/*
 * Byte classes for the ASCII fast path: C_SPECIAL bytes need a look
 * (blanks, controls, non-ASCII); C_MARKUP ones only in HTML mode.
 */
enum { C_SPECIAL = 1, C_MARKUP = 2 };

static const uint8_t byte_class[256] = {
	[0 ... 0x20] = C_SPECIAL,
	['<'] = C_MARKUP,
	['&'] = C_MARKUP,
	[0x7F ... 0xFF] = C_SPECIAL,
};

/* A run of printable ASCII; what does not fit is cut (any ASCII byte is a boundary). */
static void
out_run(struct out *o, const uint8_t *b, size_t n)
{
	size_t room;

	if (o->space && o->len > 0) {
		if (o->len >= o->cap) {
			o->full = true;
			return;
		}
		o->dst[o->len++] = ' ';
	}
	o->space = false;
	room = o->cap - o->len;
	if (n > room) {
		n = room;
		o->full = true;
	}
	memcpy(o->dst + o->len, b, n);
	o->len += n;
}

/* Appends <n> bytes encoding one character; once one does not fit, nothing more goes in. */
static void
out_bytes(struct out *o, const uint8_t *b, size_t n)
{
	size_t need = n + (o->space && o->len > 0 ? 1 : 0);

	if (o->full || o->len + need > o->cap) {
		o->full = true;
		return;
	}
	if (need > n) {
		o->dst[o->len++] = ' ';
	}
	o->space = false;
	memcpy(o->dst + o->len, b, n);
	o->len += n;
}

static void
out_cp(struct out *o, uint32_t cp)
{
	uint8_t b[4];

	if (is_space_cp(cp)) {
		o->space = true;
		return;
	}
	if (cp == 0xFEFF) {
		/* A BOM / zero-width no-break space in mid-text carries nothing. */
		return;
	}
	out_bytes(o, b, normalize_utf8_put(b, cp));
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool
is_alpha(uint8_t c)
{
	return lower(c) >= 'a' && lower(c) <= 'z';
}

/* Position of the case-insensitive ASCII <needle> in s[from, len), or len. */
static size_t
find_ci(const uint8_t *s, size_t from, size_t len, const char *needle)
{
	size_t nl = strlen(needle), i, j;

	for (i = from; i + nl <= len; i++) {
		const uint8_t *q = memchr(s + i, needle[0], len - i);

		if (q == NULL) {
			return len;
		}
		i = (size_t)(q - s);
		if (i + nl > len) {
			return len;
		}
		for (j = 1; j < nl && lower(s[i + j]) == (uint8_t)needle[j]; j++) {
		}
		if (j == nl) {
			return i;
		}
	}
	return len;
}

/* Index just past the '>' that ends the tag whose name ends at <i>, quotes respected. */
static size_t
tag_end(const uint8_t *s, size_t i, size_t len)
{
	uint8_t quote = 0;

	for (; i < len; i++) {
		uint8_t c = s[i];

		if (quote != 0) {
			if (c == quote) {
				quote = 0;
			}
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '>') {
			return i + 1;
		}
	}
	return len;
}

bool
normalize_html_inline(const char *name, size_t len)
{
	char buf[8];
	size_t i;

	if (len == 0 || len > sizeof(buf)) {
		return false;
	}
	for (i = 0; i < len; i++) {
		buf[i] = (char)lower((uint8_t)name[i]);
	}
	for (i = 0; i < sizeof(inline_tags) / sizeof(inline_tags[0]); i++) {
		if (inline_tags[i].len == len && inline_tags[i].name[0] == buf[0] &&
		    memcmp(inline_tags[i].name, buf, len) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * The markup starting at s[i] == '<' (HTML tokenizer rules, loosely: '<'
 * must be followed by a letter, '/', '!' or '?' to open markup). Returns the
 * index after it, or <i> if it is a literal '<'.
 */
static size_t
skip_markup(struct out *o, const uint8_t *s, size_t i, size_t len)
{
	char name[16];
	size_t j = i + 1, n = 0, end;
	bool closing = false;

	if (j >= len) {
		return i;
	}
	if (s[j] == '!') {
		if (j + 2 < len && s[j + 1] == '-' && s[j + 2] == '-') {
			end = find_ci(s, j + 3, len, "-->");
			return end == len ? len : end + 3;
		}
		return tag_end(s, j, len);
	}
	if (s[j] == '?') {
		return tag_end(s, j, len);
	}
	if (s[j] == '/') {
		closing = true;
		j++;
	}
	if (j >= len || !is_alpha(s[j])) {
		return i;
	}
	while (j < len && (is_alpha(s[j]) || (s[j] >= '0' && s[j] <= '9'))) {
		if (n < sizeof(name) - 1) {
			name[n++] = (char)lower(s[j]);
		}
		j++;
	}
	name[n] = 0;
	end = tag_end(s, j, len);
	if (!closing && ((n == 6 && memcmp(name, "script", 6) == 0) ||
	                 (n == 5 && memcmp(name, "style", 5) == 0))) {
		char close[10] = "</";

		strcat(close, name);
		end = find_ci(s, end, len, close);
		end = end == len ? len : tag_end(s, end, len);
	}
	if (!normalize_html_inline(name, n)) {
		o->space = true;
	}
	return end;
}

/* The entity at s[i] == '&'; returns the index after it, or <i> if it is a literal '&'. */
static size_t
html_entity(struct out *o, const uint8_t *s, size_t i, size_t len)
{
	size_t j = i + 1;
	uint32_t cp;

	while (j < len && j - i - 1 <= NORMALIZE_ENTITY_MAX &&
	       (is_alpha(s[j]) || (s[j] >= '0' && s[j] <= '9') || s[j] == '#')) {
		j++;
	}
	if (j >= len || s[j] != ';') {
		return i;
	}
	cp = normalize_entity((const char *)s + i + 1, j - i - 1, true);
	if (cp == 0) {
		return i;
	}
	out_cp(o, cp);
	return j + 1;
}

size_t
normalize_text(uint8_t *dst, size_t cap, const uint8_t *src, size_t len, unsigned flags,
               bool *truncated)
{
	struct out o = { dst, cap, 0, false, false };
	const bool html = (flags & NORMALIZE_HTML) != 0;
	const uint8_t mask = html ? (C_SPECIAL | C_MARKUP) : C_SPECIAL;
	size_t i = 0;

	while (i < len && !o.full) {
		uint8_t c = src[i];
		uint32_t cp;
		size_t n;

		if ((byte_class[c] & mask) == 0) {
			/* Prose: words and single spaces between them are already normal. */
			n = i + 1;
			while (n < len) {
				if ((byte_class[src[n]] & mask) == 0) {
					n++;
				} else if (src[n] == ' ' && n + 1 < len &&
				           (byte_class[src[n + 1]] & mask) == 0) {
					n += 2;
				} else {
					break;
				}
			}
			out_run(&o, src + i, n - i);
			i = n;
			continue;
		}

		if (c >= 0x80) {
			n = utf8_decode(src + i, len - i, &cp);
			if (cp == NORMALIZE_REPLACEMENT || is_space_cp(cp) || cp == 0xFEFF) {
				out_cp(&o, cp);
			} else {
				out_bytes(&o, src + i, n);
			}
			i += n;
			continue;
		}
		if (html && c == '<') {
			n = skip_markup(&o, src, i, len);
			if (n != i) {
				i = n;
				continue;
			}
		} else if (html && c == '&') {
			n = html_entity(&o, src, i, len);
			if (n != i) {
				i = n;
				continue;
			}
		}
		if (c <= 0x20 || c == 0x7F) {
			o.space = true;
		} else {
			out_bytes(&o, &c, 1);
		}
		i++;
	}
	if (o.full) {
		*truncated = true;
	}
	return o.len;
}
