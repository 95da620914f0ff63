/*
 * Fuzz target: TCP stream reassembly (flow/tcp_stream.h), both directions of
 * one flow sharing a small segment pool. The first 7 bytes pick the limits
 * (held segments and bytes per stream, pool nodes) and the initial sequence
 * number, so wrap-around is reachable; the rest is a sequence of 7-byte
 * records: flags, a 4-byte big-endian sequence offset from that number, a
 * 2-byte length. The flags byte is DECODE_TH_* in its low 5 bits, bit 5
 * makes hold() fail for this segment, bit 6 finishes the direction after it
 * and bit 7 picks the direction.
 *
 * The payload is not taken from the input: byte <i> of a segment at <seq> is
 * pattern(seq + i), so every delivered byte can be checked against its
 * sequence number. Each segment lives in its own allocation, scribbled on
 * and freed after the call; hold() copies it.
 *
 * Checked: bytes come in order (pattern of the next expected sequence number,
 * which holes announced with a NULL span advance) and never past a FIN;
 * every delivered span lies in the current segment or a live held copy;
 * nothing comes after close, close comes exactly once; the stream's
 * next_seq agrees with what was delivered; held segments and bytes stay
 * within the limits and match the live holds; every hold is released exactly
 * once by the end.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "flow/tcp_stream.h"
#include "net/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_POOL   64
#define HELD_MAGIC 0x68656c64u
#define F_FAILHOLD 0x20
#define F_FINISH   0x40
#define F_REVERSE  0x80

struct held {
	uint32_t magic;
	size_t len;
	uint8_t bytes[];
};

/* One direction as the consumer sees it. */
struct dir {
	struct tcp_stream s;
	bool started;
	uint32_t expect; /* next sequence number to be delivered or skipped */
	bool fin_seen;
	uint32_t fin_seq;
	unsigned closes;
};

static struct held *live[MAX_POOL];
static unsigned n_live, n_holds, n_releases;
static const uint8_t *cur;
static size_t cur_len;
static bool fail_holds;

static void
check(bool ok)
{
	if (!ok) {
		abort();
	}
}

static inline uint8_t
pattern(uint32_t seq)
{
	return (uint8_t)((seq * 2654435761u) >> 24);
}

static inline bool
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* <in> lies within [base, base + len). */
static bool
inside(struct span in, const uint8_t *base, size_t len)
{
	return base != NULL && in.ptr >= base && in.ptr <= base + len &&
	       in.len <= (size_t)(base + len - in.ptr);
}

static struct span
fz_hold(void *ref, struct span data, void **handle)
{
	struct span out = { NULL, 0 };
	struct held *h;

	check(ref == cur && inside(data, cur, cur_len) && data.len > 0);
	if (fail_holds) {
		return out;
	}
	check(n_live < MAX_POOL);
	h = malloc(sizeof(*h) + data.len);
	check(h != NULL);
	h->magic = HELD_MAGIC;
	h->len = data.len;
	memcpy(h->bytes, data.ptr, data.len);
	live[n_live++] = h;
	n_holds++;
	*handle = h;
	out.ptr = h->bytes;
	out.len = h->len;
	return out;
}

static void
fz_release(void *handle)
{
	struct held *h = handle;
	unsigned i;

	for (i = 0; i < n_live && live[i] != h; i++) {
	}
	check(i < n_live && h->magic == HELD_MAGIC); /* released once, and only what was held */
	live[i] = live[--n_live];
	h->magic = 0;
	memset(h->bytes, 0x5a, h->len);
	free(h);
	n_releases++;
}

static const struct tcp_stream_ops fz_ops = { fz_hold, fz_release };

static void
on_data(void *arg, struct span data)
{
	struct dir *d = arg;
	bool ok = false;
	size_t k;
	unsigned i;

	check(d->closes == 0 && d->started && data.len > 0 && data.len <= UINT32_MAX);
	if (data.ptr == NULL) {
		/* a hole, like data, never runs past the FIN */
		check(!d->fin_seen || seq_le(d->expect + (uint32_t)data.len, d->fin_seq));
		d->expect += (uint32_t)data.len;
		return;
	}
	ok = inside(data, cur, cur_len);
	for (i = 0; !ok && i < n_live; i++) {
		ok = inside(data, live[i]->bytes, live[i]->len);
	}
	check(ok);
	/* bytes past the FIN's sequence number are not stream data */
	check(!d->fin_seen || seq_le(d->expect + (uint32_t)data.len, d->fin_seq));
	for (k = 0; k < data.len; k++) {
		check(data.ptr[k] == pattern(d->expect + (uint32_t)k));
	}
	d->expect += (uint32_t)data.len;
}

static void
on_close(void *arg)
{
	struct dir *d = arg;

	d->closes++;
	check(d->closes == 1);
}

/* What the stream should make of a segment before it sees it (tcp_stream.h). */
static void
expect_segment(struct dir *d, uint32_t seq, uint8_t flags, uint32_t len)
{
	if (d->closes > 0 || (flags & DECODE_TH_RST) != 0) {
		return;
	}
	if ((flags & DECODE_TH_SYN) != 0) {
		seq++;
		if (!d->started) {
			d->started = true;
			d->expect = seq;
		}
	}
	if (!d->started && (len > 0 || (flags & DECODE_TH_FIN) != 0)) {
		d->started = true;
		d->expect = seq;
	}
	if ((flags & DECODE_TH_FIN) != 0 && d->started && !d->fin_seen) {
		d->fin_seen = true;
		d->fin_seq = seq + len;
	}
}

static void
check_state(const struct dir *d, const struct tcp_stream_env *env)
{
	check(d->s.started == d->started);
	check(!d->started || d->s.next_seq == d->expect);
	check(d->s.closed == (d->closes == 1));
	check(d->s.ooo_count <= env->max_ooo_segs && d->s.ooo_bytes <= env->max_ooo_bytes);
	check(!d->s.closed || (d->s.ooo_count == 0 && d->s.ooo == NULL));
	check((d->s.ooo_count == 0) == (d->s.ooo == NULL));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t max_bytes[] = { 0, 1, 10, 100, 1000, 4096, 65536, UINT32_MAX };
	struct counters c;
	struct tcp_stream_env env;
	struct tcp_seg_pool *pool;
	struct dir dir[2];
	uint32_t isn, pool_n;
	size_t off, i;

	if (size < 7) {
		return 0;
	}
	memset(&c, 0, sizeof(c));
	memset(dir, 0, sizeof(dir));
	n_live = n_holds = n_releases = 0;
	pool_n = data[2] % MAX_POOL;
	pool = tcp_seg_pool_create(pool_n);
	check(pool != NULL);
	env.pool = pool;
	env.ops = &fz_ops;
	env.c = &c;
	env.max_ooo_segs = (data[0] & 0x1f) == 0x1f ? UINT16_MAX : data[0] & 0x1f;
	env.max_ooo_bytes = max_bytes[data[1] & 7];
	isn = (uint32_t)data[3] << 24 | (uint32_t)data[4] << 16 | (uint32_t)data[5] << 8 | data[6];
	for (off = 7; off + 7 <= size; off += 7) {
		const uint8_t flags = data[off];
		struct dir *d = &dir[(flags & F_REVERSE) != 0];
		const uint32_t seq =
		        isn + ((uint32_t)data[off + 1] << 24 | (uint32_t)data[off + 2] << 16 |
		               (uint32_t)data[off + 3] << 8 | data[off + 4]);
		const uint32_t len = ((uint32_t)data[off + 5] << 8 | data[off + 6]) & 0x1fff;
		uint8_t *pkt = malloc(len > 0 ? len : 1);

		check(pkt != NULL);
		for (i = 0; i < len; i++) {
			pkt[i] = pattern(seq + ((flags & DECODE_TH_SYN) != 0) + (uint32_t)i);
		}
		cur = pkt;
		cur_len = len;
		fail_holds = (flags & F_FAILHOLD) != 0;
		expect_segment(d, seq, flags & 0x1f, len);
		tcp_stream_segment(&d->s, &env, seq, flags & 0x1f, (struct span){ pkt, len }, pkt,
		                   on_data, on_close, d);
		check_state(d, &env);
		if ((flags & F_FINISH) != 0) {
			tcp_stream_finish(&d->s, &env, on_data, on_close, d);
			check(d->closes == 1);
			check_state(d, &env);
		}
		memset(pkt, 0xa5, len);
		free(pkt);
		cur = NULL;
		cur_len = 0;
		check(tcp_seg_pool_used(pool) <= pool_n);
		check(tcp_seg_pool_used(pool) == n_live);
		check(n_live == (unsigned)dir[0].s.ooo_count + dir[1].s.ooo_count);
	}
	for (i = 0; i < 2; i++) {
		tcp_stream_finish(&dir[i].s, &env, on_data, on_close, &dir[i]);
		check(dir[i].closes == 1);
		check_state(&dir[i], &env);
	}
	check(n_live == 0 && n_holds == n_releases && tcp_seg_pool_used(pool) == 0);
	tcp_seg_pool_free(pool);
	return 0;
}
