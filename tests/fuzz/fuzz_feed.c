/*
 * Fuzz target: the feed stage (XML and JSON) over any bytes in any split and
 * charset. The first byte picks the piece size, the second the transport's
 * charset label, the rest is the document; the same document is also parsed
 * whole, and both must report the same item count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "feed/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
touch(struct span s)
{
	volatile uint8_t sink = 0;
	size_t k;

	for (k = 0; k < s.len; k++) {
		sink ^= s.ptr[k];
	}
	(void)sink;
}

static void
count_item(void *arg, const struct feed_item *it)
{
	int i;

	(*(unsigned *)arg)++;
	/* every span must be readable in full */
	for (i = 0; i < FEED_F__MAX; i++) {
		touch(it->field[i]);
	}
	for (i = 0; i < it->n_categories; i++) {
		touch(it->category[i]);
	}
	touch(it->feed_title);
	touch(it->feed_link);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct counters c;
	static struct feed_env *env;
	struct feed_limits lim = { 4096, 2 };
	static const char *const charsets[] = {
		"", "utf-8", "windows-1251", "koi8-r", "shift_jis", "utf-16", "gb2312", "x-bogus",
	};
	struct span cs;
	struct feed_parser *p;
	unsigned whole = 0, split = 0;
	size_t piece, off;

	if (env == NULL) {
		env = feed_env_create(&lim, &c, count_item);
		if (env == NULL) {
			abort();
		}
	}
	if (size < 2) {
		return 0;
	}
	piece = (size_t)data[0] % 64 + 1;
	cs = span_str(charsets[data[1] % (sizeof(charsets) / sizeof(charsets[0]))]);
	data += 2;
	size -= 2;
	{
		struct span d = { data, size };

		feed_parse_document(env, d, cs, &whole);
	}
	p = feed_parser_open(env, cs, &split);
	if (p == NULL) {
		abort();
	}
	for (off = 0; off < size; off += piece) {
		/* each piece in its own allocation, so an over-read trips ASan */
		size_t n = size - off < piece ? size - off : piece;
		uint8_t *copy = malloc(n);
		struct span s = { copy, n };

		memcpy(copy, data + off, n);
		feed_parser_data(p, s);
		free(copy);
	}
	feed_parser_close(p);
	if (whole != split) {
		abort();
	}
	return 0;
}
