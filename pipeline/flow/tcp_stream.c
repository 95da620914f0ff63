#include "flow/tcp_stream.h"

#include <stdlib.h>

#include "core/bug.h"
#include "core/mem.h"
#include "net/decode.h"

/*
 * Policy, in one place:
 * - Bytes before next_seq were delivered already: a retransmission or the
 *   old part of an overlap is skipped (counted in tcp_retrans_bytes), so the
 *   first copy delivered wins.
 * - Held segments are kept sorted by seq; equal seqs keep arrival order.
 *   When held segments overlap one another, delivery walks them in that
 *   order and trims each to what is new, so for overlapping held bytes the
 *   lower-seq segment (then the earlier arrival) wins. A segment whose bytes
 *   are all covered by one already held is a duplicate and not held again.
 * - Bytes past a FIN's sequence number are not stream data (RFC 9293 §3.10.7.4
 *   ignores them) and are never delivered.
 * - At a limit (segments or bytes per stream, pool nodes, or a failed hold)
 *   the stream gives up on its lowest hole rather than on new data: it skips
 *   to the lowest held segment (tcp_gap), drains what is contiguous and tries
 *   again, so held memory is always bounded and the stream keeps moving.
 */

/* Longest payload taken; TCP needs at most 64 KiB, this keeps seq arithmetic unambiguous. */
#define SEG_MAX_LEN (1u << 30)

struct tcp_seg {
	uint32_t seq;
	uint32_t len;
	const uint8_t *ptr;
	void *handle;
	struct tcp_seg *next;
};

struct tcp_seg_pool {
	struct tcp_seg *nodes;
	struct tcp_seg *free;
	uint32_t n;
	uint32_t used;
};

/* RFC 9293 §3.4: sequence numbers compare modulo 2^32 */
static inline bool
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool
seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

struct tcp_seg_pool *
tcp_seg_pool_create(uint32_t n)
{
	struct tcp_seg_pool *pool = NULL;
	uint32_t i;

	pool = calloc(1, sizeof(*pool));
	if (pool == NULL) {
		goto fail;
	}
	/* calloc(0) may return NULL; one spare node keeps the failure check honest */
	pool->nodes = mem_data_zalloc((size_t)(n > 0 ? n : 1) * sizeof(struct tcp_seg));
	if (pool->nodes == NULL) {
		goto fail;
	}
	for (i = 0; i < n; i++) {
		pool->nodes[i].next = i + 1 < n ? &pool->nodes[i + 1] : NULL;
	}
	pool->free = n > 0 ? &pool->nodes[0] : NULL;
	pool->n = n;
	return pool;
fail:
	free(pool);
	return NULL;
}

void
tcp_seg_pool_free(struct tcp_seg_pool *pool)
{
	if (pool == NULL) {
		return;
	}
	BUG_ON(pool->used != 0);
	mem_data_free(pool->nodes);
	free(pool);
}

uint32_t
tcp_seg_pool_used(const struct tcp_seg_pool *pool)
{
	return pool->used;
}

/* Gives back the packet reference and the node of <g>, already unlinked from <s>. */
static void
seg_put(struct tcp_stream *s, const struct tcp_stream_env *env, struct tcp_seg *g)
{
	env->ops->release(g->handle);
	s->ooo_count--;
	s->ooo_bytes -= g->len;
	g->next = env->pool->free;
	env->pool->free = g;
	env->pool->used--;
}

static void
release_all(struct tcp_stream *s, const struct tcp_stream_env *env)
{
	struct tcp_seg *g;

	while ((g = s->ooo) != NULL) {
		s->ooo = g->next;
		seg_put(s, env, g);
	}
}

/*
 * Deliver what is new in [seq, seq + len); the caller guarantees seq is at or
 * before next_seq, so the old part is a prefix.
 */
static void
deliver(struct tcp_stream *s, const struct tcp_stream_env *env, uint32_t seq, const uint8_t *ptr,
        uint32_t len, tcp_stream_data_fn *data_fn, void *arg)
{
	uint32_t skip = s->next_seq - seq;
	struct span out;

	BUG_ON_HOT(seq_gt(seq, s->next_seq));
	if (s->fin_seen && seq_lt(s->fin_seq, seq + len)) {
		len = seq_lt(s->fin_seq, seq) ? 0 : s->fin_seq - seq;
	}
	if (skip >= len) {
		counters_add(env->c, CNT_tcp_retrans_bytes, len);
		return;
	}
	counters_add(env->c, CNT_tcp_retrans_bytes, skip);
	out.ptr = ptr + skip;
	out.len = len - skip;
	s->next_seq = seq + len;
	data_fn(arg, out);
}

/* Deliver and release every held segment that next_seq has reached. */
static void
drain(struct tcp_stream *s, const struct tcp_stream_env *env, tcp_stream_data_fn *data_fn,
      void *arg)
{
	struct tcp_seg *g;

	while ((g = s->ooo) != NULL && seq_le(g->seq, s->next_seq)) {
		s->ooo = g->next;
		deliver(s, env, g->seq, g->ptr, g->len, data_fn, arg);
		seg_put(s, env, g);
	}
}

/* Tell the consumer <len> bytes will never come: the next bytes do not follow the last ones. */
static void
announce_gap(uint32_t len, tcp_stream_data_fn *data_fn, void *arg)
{
	struct span hole = { NULL, len };

	data_fn(arg, hole);
}

/* Give up on the hole before the lowest held segment and deliver from there. */
static void
skip_hole(struct tcp_stream *s, const struct tcp_stream_env *env, tcp_stream_data_fn *data_fn,
          void *arg)
{
	if (s->ooo != NULL && seq_gt(s->ooo->seq, s->next_seq)) {
		/* the stream's bytes end at a FIN: a hole never runs past it */
		uint32_t to =
		        s->fin_seen && seq_lt(s->fin_seq, s->ooo->seq) ? s->fin_seq : s->ooo->seq;

		if (seq_gt(to, s->next_seq)) {
			counters_inc(env->c, CNT_tcp_gap);
			announce_gap(to - s->next_seq, data_fn, arg);
			s->next_seq = to;
		}
	}
	drain(s, env, data_fn, arg);
}

static void
close_stream(struct tcp_stream *s, const struct tcp_stream_env *env, tcp_stream_close_fn *close_fn,
             void *arg)
{
	release_all(s, env);
	s->closed = true;
	close_fn(arg);
}

enum hold_rc {
	HOLD_OK,
	HOLD_DUP,
	HOLD_LIMIT,
};

/* Hold [seq, seq + len), which lies ahead of next_seq, in seq order. */
static enum hold_rc
hold(struct tcp_stream *s, const struct tcp_stream_env *env, uint32_t seq, const uint8_t *ptr,
     uint32_t len, void *ref)
{
	struct tcp_seg **link = &s->ooo, *g;
	const uint32_t end = seq + len;
	bool covered = false;
	struct span held;
	void *handle = NULL;

	/* walk past every held segment starting at or before <seq> */
	while (*link != NULL && seq_le((*link)->seq, seq)) {
		const struct tcp_seg *o = *link;

		if (!covered && seq_le(end, o->seq + o->len)) {
			covered = true;
			/*
			 * First data wins; a copy that says something else is how an
			 * evasion would try to show us one text and the client another.
			 */
			if (memcmp(o->ptr + (seq - o->seq), ptr, len) != 0) {
				counters_inc(env->c, CNT_tcp_overlap_diff);
			}
		}
		link = &(*link)->next;
	}
	if (covered) {
		counters_add(env->c, CNT_tcp_retrans_bytes, len);
		return HOLD_DUP;
	}
	if (s->ooo_count >= env->max_ooo_segs ||
	    (uint64_t)s->ooo_bytes + len > env->max_ooo_bytes || env->pool->free == NULL) {
		return HOLD_LIMIT;
	}
	held = env->ops->hold(ref, (struct span){ ptr, len }, &handle);
	if (held.ptr == NULL) {
		return HOLD_LIMIT;
	}
	g = env->pool->free;
	env->pool->free = g->next;
	env->pool->used++;
	g->seq = seq;
	g->len = held.len < len ? (uint32_t)held.len : len;
	g->ptr = held.ptr;
	g->handle = handle;
	g->next = *link;
	*link = g;
	s->ooo_count++;
	s->ooo_bytes += g->len;
	counters_inc(env->c, CNT_tcp_ooo_queued);
	return HOLD_OK;
}

/* Take the payload [seq, seq + len) of one segment of a started stream. */
static void
take(struct tcp_stream *s, const struct tcp_stream_env *env, uint32_t seq, const uint8_t *ptr,
     uint32_t len, void *ref, tcp_stream_data_fn *data_fn, void *arg)
{
	bool limited = false;

	/* every turn either returns, frees a held node, or moves next_seq to <seq> */
	for (;;) {
		if (seq_le(seq, s->next_seq)) {
			deliver(s, env, seq, ptr, len, data_fn, arg);
			drain(s, env, data_fn, arg);
			return;
		}
		if (hold(s, env, seq, ptr, len, ref) != HOLD_LIMIT) {
			return;
		}
		if (!limited) {
			counters_inc(env->c, CNT_tcp_ooo_limit);
			limited = true;
		}
		if (s->ooo != NULL && seq_lt(s->ooo->seq, seq)) {
			skip_hole(s, env, data_fn, arg);
			continue;
		}
		/* nothing held before this segment: the hole ends at it */
		counters_inc(env->c, CNT_tcp_gap);
		announce_gap(seq - s->next_seq, data_fn, arg);
		s->next_seq = seq;
	}
}

void
tcp_stream_segment(struct tcp_stream *s, const struct tcp_stream_env *env, uint32_t seq,
                   uint8_t flags, struct span payload, void *ref, tcp_stream_data_fn *data_fn,
                   tcp_stream_close_fn *close_fn, void *arg)
{
	uint32_t len;

	if (s->closed || payload.len > SEG_MAX_LEN) {
		return;
	}
	len = (uint32_t)payload.len;
	if ((flags & DECODE_TH_RST) != 0) {
		/* RFC 9293 §3.5.3: RST data is diagnostic text, not stream bytes */
		counters_inc(env->c, CNT_tcp_rst);
		close_stream(s, env, close_fn, arg);
		return;
	}
	/* the SYN occupies one sequence number; data (TCP Fast Open) follows it */
	if ((flags & DECODE_TH_SYN) != 0) {
		seq++;
		if (!s->started) {
			s->started = true;
			s->next_seq = seq;
		}
	}
	if (!s->started) {
		if (len == 0 && (flags & DECODE_TH_FIN) == 0) {
			return;
		}
		counters_inc(env->c, CNT_tcp_midstream);
		s->started = true;
		s->next_seq = seq;
	}
	if ((flags & DECODE_TH_FIN) != 0 && !s->fin_seen) {
		s->fin_seen = true;
		s->fin_seq = seq + len;
	}
	if (s->fin_seen && seq_lt(s->fin_seq, seq + len)) {
		/* bytes past the FIN are not stream data: not held, and no hole reaches them */
		len = seq_lt(s->fin_seq, seq) ? 0 : s->fin_seq - seq;
	}
	if (len > 0) {
		take(s, env, seq, payload.ptr, len, ref, data_fn, arg);
	}
	if (s->fin_seen && !seq_lt(s->next_seq, s->fin_seq)) {
		close_stream(s, env, close_fn, arg);
	}
}

void
tcp_stream_finish(struct tcp_stream *s, const struct tcp_stream_env *env,
                  tcp_stream_data_fn *data_fn, tcp_stream_close_fn *close_fn, void *arg)
{
	if (s->closed) {
		release_all(s, env);
		return;
	}
	/* held bytes past a FIN are not data: stop skipping holes once it is reached */
	while (s->ooo != NULL && !(s->fin_seen && !seq_lt(s->next_seq, s->fin_seq))) {
		skip_hole(s, env, data_fn, arg);
	}
	close_stream(s, env, close_fn, arg);
}
