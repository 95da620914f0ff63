#include "feed/charset.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "feed/normalize.h"

/* Labels whose meaning browsers changed (WHATWG Encoding §4.2) and UTF-8's own. */
static const struct {
	const char *label;
	const char *name;
} aliases[] = {
	{ "utf-8", "UTF-8" },
	{ "utf8", "UTF-8" },
	{ "unicode-1-1-utf-8", "UTF-8" },
	{ "x-unicode20utf8", "UTF-8" },
	/* Latin-1 and ASCII labels are windows-1252: feeds that say latin1 write 0x92 for ’. */
	{ "iso-8859-1", "WINDOWS-1252" },
	{ "iso8859-1", "WINDOWS-1252" },
	{ "iso_8859-1", "WINDOWS-1252" },
	{ "iso88591", "WINDOWS-1252" },
	{ "latin1", "WINDOWS-1252" },
	{ "l1", "WINDOWS-1252" },
	{ "us-ascii", "WINDOWS-1252" },
	{ "ascii", "WINDOWS-1252" },
	{ "ansi_x3.4-1968", "WINDOWS-1252" },
	{ "cp819", "WINDOWS-1252" },
	{ "ibm819", "WINDOWS-1252" },
	{ "iso-ir-100", "WINDOWS-1252" },
	{ "iso-8859-9", "WINDOWS-1254" },
	{ "latin5", "WINDOWS-1254" },
	{ "iso-8859-11", "WINDOWS-874" },
	{ "tis-620", "WINDOWS-874" },
	{ "gb2312", "GB18030" },
	{ "gbk", "GB18030" },
	{ "x-gbk", "GB18030" },
	{ "euc-kr", "CP949" },
	{ "ks_c_5601-1987", "CP949" },
	{ "shift_jis", "CP932" },
	{ "shift-jis", "CP932" },
	{ "sjis", "CP932" },
	{ "x-sjis", "CP932" },
	{ "ms_kanji", "CP932" },
	{ "big5", "BIG5-HKSCS" },
	{ "x-mac-roman", "MACINTOSH" },
	{ "x-mac-cyrillic", "MAC-CYRILLIC" },
	{ "utf-16", "UTF-16LE" }, /* without a BOM, as WHATWG reads it */
};

static bool
label_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c == '.' || c == ':' || c == '+';
}

enum charset_kind
charset_name(struct span label, char name[CHARSET_NAME_MAX])
{
	char low[CHARSET_NAME_MAX];
	size_t a = 0, b = label.len, i, n;

	name[0] = '\0';
	while (a < b && (label.ptr[a] == ' ' || label.ptr[a] == '\t' || label.ptr[a] == '"' ||
	                 label.ptr[a] == '\'')) {
		a++;
	}
	while (b > a && (label.ptr[b - 1] == ' ' || label.ptr[b - 1] == '\t' ||
	                 label.ptr[b - 1] == '"' || label.ptr[b - 1] == '\'')) {
		b--;
	}
	n = b - a;
	if (n == 0 || n >= CHARSET_NAME_MAX) {
		return CHARSET_UNKNOWN;
	}
	for (i = 0; i < n; i++) {
		uint8_t c = label.ptr[a + i];

		c = c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
		if (!label_char(c)) {
			return CHARSET_UNKNOWN;
		}
		low[i] = (char)c;
	}
	low[n] = '\0';
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(low, aliases[i].label) == 0) {
			strcpy(name, aliases[i].name);
			return strcmp(name, "UTF-8") == 0 ? CHARSET_UTF8 : CHARSET_STREAM;
		}
	}
	strcpy(name, low);
	return CHARSET_STREAM;
}

/*
 * Builds <t> for iconv charset <name>: each byte converted on its own. A
 * byte that is only the start of a sequence (EINVAL) means the charset is
 * not single-byte. Returns 0, 1 if not single-byte, -1 if iconv does not know it.
 */
static int
table_build(struct charset_table *t, const char *name)
{
	iconv_t cd = iconv_open("UTF-8", name);
	int b, rc = 0;

	if (cd == (iconv_t)-1) {
		return -1;
	}
	for (b = 0; b < 256 && rc == 0; b++) {
		char in[1] = { (char)b };
		char out[8];
		char *ip = in, *op = out;
		size_t il = 1, ol = sizeof(out);

		iconv(cd, NULL, NULL, NULL, NULL);
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
			if (errno == EINVAL) {
				rc = 1;
			}
			/* EILSEQ: undefined in this charset. */
			t->len[b] = (uint8_t)normalize_utf8_put(t->utf8[b], NORMALIZE_REPLACEMENT);
			continue;
		}
		if (il != 0 || (size_t)(op - out) == 0 || (size_t)(op - out) > 3) {
			/* Shift bytes produce nothing; astral characters are no single byte's. */
			rc = 1;
			continue;
		}
		t->len[b] = (uint8_t)(op - out);
		memcpy(t->utf8[b], out, t->len[b]);
	}
	iconv_close(cd);
	if (rc == 0) {
		strcpy(t->name, name);
	}
	return rc;
}

enum charset_kind
charset_resolve(struct charset_cache *cache, struct span label, const struct charset_table **table,
                char name[CHARSET_NAME_MAX])
{
	enum charset_kind k = charset_name(label, name);
	struct charset_table *t;
	iconv_t cd;
	uint32_t i;
	int rc;

	*table = NULL;
	if (k != CHARSET_STREAM) {
		return k;
	}
	for (i = 0; i < cache->n; i++) {
		if (strcmp(cache->t[i].name, name) == 0) {
			*table = &cache->t[i];
			return CHARSET_TABLE;
		}
	}
	if (cache->n < CHARSET_TABLES) {
		t = &cache->t[cache->n];
		rc = table_build(t, name);
		if (rc < 0) {
			return CHARSET_UNKNOWN;
		}
		if (rc == 0) {
			cache->n++;
			*table = t;
			return CHARSET_TABLE;
		}
		return CHARSET_STREAM;
	}
	/* Cache full: stream it, once we know iconv can. */
	cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1) {
		return CHARSET_UNKNOWN;
	}
	iconv_close(cd);
	return CHARSET_STREAM;
}

int
charset_conv_open(struct charset_conv *cv, const char *name)
{
	memset(cv, 0, sizeof(*cv));
	cv->cd = iconv_open("UTF-8", name);
	if (cv->cd == (iconv_t)-1) {
		return -1;
	}
	cv->open = true;
	cv->unit = (uint8_t)charset_unit(name);
	return 0;
}

size_t
charset_unit(const char *name)
{
	if (strncasecmp(name, "utf-16", 6) == 0 || strncasecmp(name, "ucs-2", 5) == 0) {
		return 2;
	}
	if (strncasecmp(name, "utf-32", 6) == 0 || strncasecmp(name, "ucs-4", 5) == 0) {
		return 4;
	}
	return 1;
}

bool
charset_conv_is_open(const struct charset_conv *cv)
{
	return cv->open;
}

static const uint8_t replacement[3] = { 0xEF, 0xBF, 0xBD };

/*
 * Converts [*in, *in + *n) until it is used up or ends in a cut sequence
 * (left in place). Returns true if it stopped at a cut sequence.
 */
static bool
convert(struct charset_conv *cv, const uint8_t **in, size_t *n, charset_out_fn *out, void *arg)
{
	uint8_t buf[4096];

	while (*n > 0) {
		char *ip = (char *)(uintptr_t)*in, *op = (char *)buf;
		size_t il = *n, ol = sizeof(buf);
		size_t r = iconv(cv->cd, &ip, &il, &op, &ol);
		int err = errno;

		*in = (const uint8_t *)ip;
		*n = il;
		if (op != (char *)buf) {
			out(arg, buf, (size_t)(op - (char *)buf));
		}
		if (r != (size_t)-1) {
			continue;
		}
		if (err == E2BIG) {
			continue;
		}
		if (err == EINVAL) {
			return true;
		}
		/* EILSEQ: one replacement character, then go on from the next code unit. */
		out(arg, replacement, sizeof(replacement));
		r = *n < cv->unit ? *n : cv->unit;
		*in += r;
		*n -= r;
	}
	return false;
}

void
charset_conv_feed(struct charset_conv *cv, const uint8_t *in, size_t n, charset_out_fn *out,
                  void *arg)
{
	if (!cv->open) {
		return;
	}
	/* A sequence cut last time: complete it from the new bytes, a byte at a time. */
	while (cv->n_pend > 0 && n > 0) {
		uint8_t tmp[CHARSET_PEND_MAX];
		const uint8_t *tp = tmp;
		size_t tn;

		memcpy(tmp, cv->pend, cv->n_pend);
		tmp[cv->n_pend] = *in;
		tn = (size_t)cv->n_pend + 1u;
		in++;
		n--;
		if (convert(cv, &tp, &tn, out, arg)) {
			if (tn >= CHARSET_PEND_MAX) {
				/* Longer than any real sequence: give up on it. */
				out(arg, replacement, sizeof(replacement));
				tn = 0;
			}
			memcpy(cv->pend, tp, tn);
			cv->n_pend = (uint8_t)tn;
		} else {
			cv->n_pend = 0;
		}
	}
	if (convert(cv, &in, &n, out, arg)) {
		if (n >= CHARSET_PEND_MAX) {
			out(arg, replacement, sizeof(replacement));
			in++;
			n--;
			charset_conv_feed(cv, in, n, out, arg);
			return;
		}
		memcpy(cv->pend, in, n);
		cv->n_pend = (uint8_t)n;
	}
}

void
charset_conv_close(struct charset_conv *cv, charset_out_fn *out, void *arg)
{
	if (!cv->open) {
		return;
	}
	if (cv->n_pend > 0 && out != NULL) {
		out(arg, replacement, sizeof(replacement));
	}
	iconv_close(cv->cd);
	cv->open = false;
	cv->n_pend = 0;
}
