/*
 * Fuzz target: the HTTP stage, both directions, any bytes in any split. The
 * first byte picks the piece size, the second which direction each piece goes
 * to; a piece that starts 0xff 0xfe is a TCP hole of its length instead.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
on_begin(void *arg, const struct http_msg *m)
{
	(void)arg;
	if (m->url.len > HTTP_MAX_URL) {
		abort();
	}
	/* a body of an odd status is not wanted: framed only */
	return m->status % 7 != 3;
}

static void
on_data(void *arg, struct span d)
{
	volatile uint8_t sink = 0;
	size_t k;

	(void)arg;
	for (k = 0; k < d.len; k++) {
		sink ^= d.ptr[k];
	}
	(void)sink;
}

static void
on_end(void *arg, bool complete)
{
	(void)arg;
	(void)complete;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct counters c;
	static struct http_zpool *zp;
	static struct http_brpool *bp;
	struct http_env env = { .c = &c,
		                .max_body = 1 << 20,
		                .max_ratio = 100,
		                .body_begin = on_begin,
		                .body_data = on_data,
		                .body_end = on_end };
	struct http_conn *h;
	size_t piece, off;
	unsigned dirs;

	if (zp == NULL) {
		zp = http_zpool_create(1);
		bp = http_brpool_create(1u << 20);
		if (zp == NULL || bp == NULL) {
			abort();
		}
	}
	if (size < 2) {
		return 0;
	}
	piece = (size_t)data[0] % 128 + 1;
	dirs = data[1];
	data += 2;
	size -= 2;
	env.zpool = zp;
	env.brpool = bp;
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		abort();
	}
	for (off = 0; off < size; off += piece) {
		size_t n = size - off < piece ? size - off : piece;
		uint8_t *copy = malloc(n);
		struct span s = { copy, n };

		memcpy(copy, data + off, n);
		if (n > 1 && copy[0] == 0xff && copy[1] == 0xfe) {
			/* a piece marked so stands for a TCP hole of its length */
			http_conn_gap(h, &env, (dirs >> ((off / piece) % 8)) & 1, n, NULL);
		} else {
			http_conn_data(h, &env, (dirs >> ((off / piece) % 8)) & 1, s, NULL);
		}
		free(copy);
	}
	http_conn_close(h, &env, false, NULL);
	http_conn_close(h, &env, true, NULL);
	http_conn_release(h);
	free(h);
	if (http_zpool_used(zp) != 0 || http_brpool_used(bp) != 0) {
		abort();
	}
	return 0;
}
