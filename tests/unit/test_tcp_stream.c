#include "flow/tcp_stream.h"

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "net/decode.h"

/*
 * The fake hold copies the bytes (like the offline tools) and counts
 * references; after every segment the test scribbles over the packet, so a
 * stream that kept a pointer into it instead of the held copy delivers junk.
 * ASan catches a double release as a double free.
 */
struct held {
	size_t len;
	uint8_t bytes[];
};

static unsigned holds, releases;
static bool fail_holds;

static struct span
fake_hold(void *ref, struct span data, void **handle)
{
	struct held *h;
	struct span out = { NULL, 0 };

	CU_ASSERT_PTR_NOT_NULL(ref);
	if (fail_holds) {
		return out;
	}
	h = malloc(sizeof(*h) + data.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	h->len = data.len;
	memcpy(h->bytes, data.ptr, data.len);
	*handle = h;
	holds++;
	out.ptr = h->bytes;
	out.len = h->len;
	return out;
}

static void
fake_release(void *handle)
{
	releases++;
	free(handle);
}

static const struct tcp_stream_ops fake_ops = { fake_hold, fake_release };

struct sink {
	uint8_t out[8192];
	size_t len;
	unsigned closes;
	unsigned gaps;    /* holes announced */
	size_t gap_bytes; /* their total size */
	size_t gap_at;    /* out length at the last announcement */
};

static void
sink_data(void *arg, struct span data)
{
	struct sink *k = arg;

	CU_ASSERT_EQUAL(k->closes, 0); /* nothing after close */
	CU_ASSERT(data.len > 0);
	if (data.ptr == NULL) {
		k->gaps++;
		k->gap_bytes += data.len;
		k->gap_at = k->len;
		return;
	}
	CU_ASSERT_FATAL(k->len + data.len <= sizeof(k->out));
	memcpy(k->out + k->len, data.ptr, data.len);
	k->len += data.len;
}

static void
sink_close(void *arg)
{
	struct sink *k = arg;

	k->closes++;
}

struct rig {
	struct counters c;
	struct tcp_stream_env env;
	struct tcp_stream s;
	struct sink k;
};

static void
rig_init(struct rig *r, struct tcp_seg_pool *pool, uint16_t max_segs, uint32_t max_bytes)
{
	memset(r, 0, sizeof(*r));
	r->env.pool = pool;
	r->env.ops = &fake_ops;
	r->env.c = &r->c;
	r->env.max_ooo_segs = max_segs;
	r->env.max_ooo_bytes = max_bytes;
}

/* Feeds <len> bytes of <data> at <seq> from a packet buffer that is wiped afterwards. */
static void
send_n(struct rig *r, uint32_t seq, uint8_t flags, const char *data, size_t len)
{
	uint8_t pkt[2048];

	CU_ASSERT_FATAL(len <= sizeof(pkt));
	memcpy(pkt, data, len);
	tcp_stream_segment(&r->s, &r->env, seq, flags, (struct span){ pkt, len }, pkt, sink_data,
	                   sink_close, &r->k);
	memset(pkt, '#', sizeof(pkt));
}

static void
send(struct rig *r, uint32_t seq, uint8_t flags, const char *data)
{
	send_n(r, seq, flags, data, strlen(data));
}

static void
finish(struct rig *r)
{
	tcp_stream_finish(&r->s, &r->env, sink_data, sink_close, &r->k);
}

static bool
out_is(const struct rig *r, const char *want)
{
	return r->k.len == strlen(want) && memcmp(r->k.out, want, r->k.len) == 0;
}

static void
reset_refs(void)
{
	holds = 0;
	releases = 0;
	fail_holds = false;
}

#define A  DECODE_TH_ACK
#define SY DECODE_TH_SYN
#define FI (DECODE_TH_FIN | DECODE_TH_ACK)
#define RS DECODE_TH_RST

static void
test_tcp_in_order_delivered_and_closed_by_fin(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 1000, SY, "");
	CU_ASSERT_TRUE(r.s.started);
	CU_ASSERT_EQUAL(r.s.next_seq, 1001);
	send(&r, 1001, A, "hello ");
	send(&r, 1007, A, "world");
	CU_ASSERT_TRUE(out_is(&r, "hello world"));
	CU_ASSERT_EQUAL(r.k.closes, 0);
	send(&r, 1012, FI, "");
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_TRUE(r.s.closed);
	/* a retransmitted FIN or late data does nothing once closed */
	send(&r, 1012, FI, "");
	send(&r, 1012, A, "more");
	finish(&r);
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_TRUE(out_is(&r, "hello world"));
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_midstream], 0);
	CU_ASSERT_EQUAL(holds, 0);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_fin_with_data_closes_after_delivery(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 1, FI, "bye");
	CU_ASSERT_TRUE(out_is(&r, "bye"));
	CU_ASSERT_EQUAL(r.k.closes, 1);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_reversed_segments_delivered_once_in_order(void)
{
	static const char text[] = "The quick brown fox jumps over the lazy dog, twice.";
	struct tcp_seg_pool *pool = tcp_seg_pool_create(64);
	const size_t n = 10, step = 5;
	struct rig r;
	size_t i;

	reset_refs();
	rig_init(&r, pool, 32, 1 << 16);
	send(&r, 5000, SY, "");
	for (i = n; i-- > 0;) {
		send_n(&r, 5001 + (uint32_t)(i * step), A, text + i * step, step);
		if (i > 0) {
			CU_ASSERT_EQUAL(r.k.len, 0);
			CU_ASSERT_EQUAL(r.s.ooo_count, n - i);
			CU_ASSERT_EQUAL(r.s.ooo_bytes, (n - i) * step);
		}
	}
	CU_ASSERT_EQUAL(r.k.len, n * step);
	CU_ASSERT_EQUAL(memcmp(r.k.out, text, n * step), 0);
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_ooo_queued], n - 1);
	CU_ASSERT_EQUAL(r.s.ooo_count, 0);
	CU_ASSERT_EQUAL(r.s.ooo_bytes, 0);
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 0);
	CU_ASSERT_EQUAL(holds, n - 1);
	CU_ASSERT_EQUAL(releases, n - 1);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_retransmission_delivered_once(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 99, SY, "");
	send(&r, 100, A, "abc");
	send(&r, 100, A, "abc");
	send(&r, 103, A, "def");
	send(&r, 100, A, "XYZ"); /* a retransmission with other bytes: the first copy wins */
	CU_ASSERT_TRUE(out_is(&r, "abcdef"));
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_retrans_bytes], 6);
	/* a retransmitted SYN does not move the stream */
	send(&r, 99, SY, "");
	send(&r, 106, A, "g");
	CU_ASSERT_TRUE(out_is(&r, "abcdefg"));
	tcp_seg_pool_free(pool);
}

static void
test_tcp_overlap_delivers_only_new_bytes(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 1, A, "abcdef");
	send(&r, 4, A, "DEFghi"); /* bytes 4..6 were delivered already */
	CU_ASSERT_TRUE(out_is(&r, "abcdefghi"));
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_retrans_bytes], 3);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_gap_then_fill_releases_every_hold(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 1, A, "one-");
	send(&r, 13, A, "three");
	send(&r, 9, A, "two-"); /* still a hole at 5..8 */
	CU_ASSERT_TRUE(out_is(&r, "one-"));
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 2);
	send(&r, 5, A, "and-");
	CU_ASSERT_TRUE(out_is(&r, "one-and-two-three"));
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 0);
	CU_ASSERT_EQUAL(holds, 2);
	CU_ASSERT_EQUAL(releases, 2);
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 0);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_duplicate_held_segment_not_held_twice(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 11, A, "0123456789");
	send(&r, 11, A, "0123456789");
	send(&r, 11, A, "01234");
	send(&r, 15, A, "456"); /* inside the held segment */
	CU_ASSERT_EQUAL(holds, 1);
	CU_ASSERT_EQUAL(r.s.ooo_count, 1);
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_retrans_bytes], 18);
	send(&r, 1, A, "abcdefghij");
	CU_ASSERT_TRUE(out_is(&r, "abcdefghij0123456789"));
	CU_ASSERT_EQUAL(releases, 1);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_overlapping_held_segments_trimmed_at_delivery(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 11, A, "KLMNO");
	send(&r, 14, A, "nopqr");       /* overlaps the held one at 14..15 */
	send(&r, 11, A, "klmnopqrstu"); /* same start, longer: held after the first */
	CU_ASSERT_EQUAL(holds, 3);
	send(&r, 1, A, "abcdefghij");
	CU_ASSERT_TRUE(out_is(&r, "abcdefghijKLMNOpqrstu"));
	CU_ASSERT_EQUAL(releases, 3);
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 0);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_segment_limit_skips_hole_and_delivers_after_it(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 2, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 1, A, "aaaaa");
	/* hole at 6..10 */
	send(&r, 11, A, "ccccc");
	send(&r, 16, A, "ddddd");
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_ooo_limit], 0);
	send(&r, 21, A, "eeeee"); /* a third held segment is over the limit */
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_ooo_limit], 1);
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 1);
	CU_ASSERT_TRUE(out_is(&r, "aaaaacccccdddddeeeee"));
	/* the consumer is told where the 5 lost bytes were */
	CU_ASSERT_EQUAL(r.k.gaps, 1);
	CU_ASSERT_EQUAL(r.k.gap_bytes, 5);
	CU_ASSERT_EQUAL(r.k.gap_at, 5);
	CU_ASSERT_EQUAL(r.s.next_seq, 26);
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 0);
	/* the hole's bytes arriving late are old now */
	send(&r, 6, A, "bbbbb");
	CU_ASSERT_TRUE(out_is(&r, "aaaaacccccdddddeeeee"));
	CU_ASSERT_EQUAL(holds, releases);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_limit_keeps_later_holes_fillable(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 2, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 11, A, "ccccc"); /* holes at 1..10 and 16..20 */
	send(&r, 21, A, "eeeee");
	send(&r, 31, A, "ggggg"); /* limit: skip the first hole only */
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 1);
	CU_ASSERT_TRUE(out_is(&r, "ccccc"));
	CU_ASSERT_EQUAL(r.s.ooo_count, 2);
	send(&r, 16, A, "ddddd");
	send(&r, 26, A, "fffff");
	CU_ASSERT_TRUE(out_is(&r, "cccccdddddeeeeefffffggggg"));
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 1);
	CU_ASSERT_EQUAL(holds, releases);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_byte_limit_skips_hole(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 100, 8);
	send(&r, 0, SY, "");
	send(&r, 6, A, "bbbbb");
	send(&r, 16, A, "ddddd"); /* 10 bytes would be over 8: the first hole goes */
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_ooo_limit], 1);
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 1);
	CU_ASSERT_TRUE(out_is(&r, "bbbbb"));
	CU_ASSERT_EQUAL(r.s.ooo_bytes, 5); /* ddddd held again, within the limit */
	send(&r, 11, A, "ccccc");
	CU_ASSERT_TRUE(out_is(&r, "bbbbbcccccddddd"));
	/* a single segment bigger than the limit cannot be held at all */
	send(&r, 30, A, "0123456789");
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 2);
	CU_ASSERT_TRUE(out_is(&r, "bbbbbcccccddddd0123456789"));
	CU_ASSERT_EQUAL(holds, releases);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_limit_counted_once_per_segment(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 10);
	send(&r, 0, SY, "");
	send(&r, 10, A, "aaaaa");
	send(&r, 20, A, "bbbbb");
	/* two holes must go before 8 more bytes fit: two gaps, one limited segment */
	send(&r, 30, A, "cccccccc");
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_ooo_limit], 1);
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 2);
	CU_ASSERT_TRUE(out_is(&r, "aaaaabbbbb"));
	CU_ASSERT_EQUAL(r.s.ooo_bytes, 8);
	finish(&r);
	CU_ASSERT_TRUE(out_is(&r, "aaaaabbbbbcccccccc"));
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 3);
	CU_ASSERT_EQUAL(holds, releases);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_fin_closes_once_only_after_hole_fills(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 6, FI, "world");
	CU_ASSERT_EQUAL(r.k.closes, 0);
	CU_ASSERT_TRUE(r.s.fin_seen);
	CU_ASSERT_EQUAL(r.s.fin_seq, 11);
	CU_ASSERT_FALSE(r.s.closed);
	send(&r, 6, FI, "world"); /* retransmitted FIN while the hole is open */
	CU_ASSERT_EQUAL(r.k.closes, 0);
	send(&r, 1, A, "hello");
	CU_ASSERT_TRUE(out_is(&r, "helloworld"));
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_TRUE(r.s.closed);
	finish(&r);
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_EQUAL(holds, releases);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_bare_fin_ahead_of_hole_waits(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 4, FI, "");
	CU_ASSERT_EQUAL(r.k.closes, 0);
	send(&r, 1, A, "abc");
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_TRUE(out_is(&r, "abc"));
	tcp_seg_pool_free(pool);
}

static void
test_tcp_bytes_past_fin_not_delivered(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 4, FI, "");
	send(&r, 6, A, "junk"); /* past the FIN: held but never data */
	send(&r, 1, A, "abcXY");
	CU_ASSERT_TRUE(out_is(&r, "abc"));
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 0);
	CU_ASSERT_EQUAL(holds, releases);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_rst_closes_and_releases_held(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 1, A, "abc");
	send(&r, 10, A, "held");
	send(&r, 20, A, "held2");
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 2);
	send(&r, 4, RS, "diagnostic");
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_TRUE(r.s.closed);
	CU_ASSERT_TRUE(out_is(&r, "abc"));
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_rst], 1);
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 0);
	CU_ASSERT_EQUAL(r.s.ooo_count, 0);
	CU_ASSERT_EQUAL(releases, 2);
	send(&r, 4, A, "late");
	send(&r, 4, RS, "");
	finish(&r);
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_TRUE(out_is(&r, "abc"));
	tcp_seg_pool_free(pool);
}

static void
test_tcp_sequence_wraps_around_zero(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0xfffffff0u, SY, "");
	send(&r, 0xfffffff1u, A, "0123456789"); /* up to 0xfffffffa */
	send(&r, 0x00000001u, A, "mnopq");      /* ahead, across zero */
	send(&r, 0xfffffffbu, A, "abcdef");     /* 0xfffffffb..0x00000000 */
	send(&r, 0xfffffff5u, A, "456789ab");   /* entirely old by now, across the wrap */
	CU_ASSERT_TRUE(out_is(&r, "0123456789abcdefmnopq"));
	CU_ASSERT_EQUAL(r.s.next_seq, 6);
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_retrans_bytes], 8);
	send(&r, 6, FI, "");
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_EQUAL(holds, releases);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_midstream_pickup_starts_at_first_payload(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 500, A, ""); /* a bare ACK does not start the stream */
	CU_ASSERT_FALSE(r.s.started);
	send(&r, 700, A, "mid");
	CU_ASSERT_TRUE(r.s.started);
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_midstream], 1);
	send(&r, 690, A, "0123456789"); /* before the pick-up point */
	send(&r, 703, A, "dle");
	CU_ASSERT_TRUE(out_is(&r, "middle"));
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_midstream], 1);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_finish_skips_holes_and_closes_once(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(16);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	send(&r, 1, A, "a");
	send(&r, 20, A, "ccc");
	send(&r, 10, A, "bb");
	send(&r, 21, A, "CCd"); /* overlaps the held "ccc" */
	finish(&r);
	CU_ASSERT_TRUE(out_is(&r, "abbcccd"));
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 2);
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_TRUE(r.s.closed);
	CU_ASSERT_EQUAL(r.s.ooo_count, 0);
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 0);
	CU_ASSERT_EQUAL(holds, releases);
	finish(&r);
	CU_ASSERT_EQUAL(r.k.closes, 1);
	/* a stream that never started still closes once */
	rig_init(&r, pool, 8, 1 << 16);
	finish(&r);
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_EQUAL(r.k.len, 0);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_pool_exhaustion_skips_hole(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(2);
	struct rig a, b;

	reset_refs();
	rig_init(&a, pool, 8, 1 << 16);
	rig_init(&b, pool, 8, 1 << 16);
	send(&a, 0, SY, "");
	send(&a, 10, A, "x");
	send(&a, 20, A, "y");
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 2);
	send(&b, 0, SY, "");
	send(&b, 1, A, "b1");
	send(&b, 10, A, "b2"); /* no node left: b skips its hole */
	CU_ASSERT_EQUAL(b.c.v[CNT_tcp_ooo_limit], 1);
	CU_ASSERT_EQUAL(b.c.v[CNT_tcp_gap], 1);
	CU_ASSERT_TRUE(out_is(&b, "b1b2"));
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 2);
	/* a's held data is untouched and still completes */
	send(&a, 1, A, "012345678");
	send(&a, 11, A, "abcdefghi");
	CU_ASSERT_TRUE(out_is(&a, "012345678xabcdefghiy"));
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 0);
	finish(&a);
	finish(&b);
	CU_ASSERT_EQUAL(holds, releases);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_failed_hold_counts_limit(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(4);
	struct rig r;

	reset_refs();
	rig_init(&r, pool, 8, 1 << 16);
	send(&r, 0, SY, "");
	fail_holds = true;
	send(&r, 5, A, "late");
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_ooo_limit], 1);
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 1);
	CU_ASSERT_TRUE(out_is(&r, "late"));
	CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 0);
	fail_holds = false;
	tcp_seg_pool_free(pool);
}

/* Next lexicographic permutation of idx[0..n); false after the last one. */
static bool
next_perm(int *idx, int n)
{
	int i = n - 2, j = n - 1, t;

	while (i >= 0 && idx[i] >= idx[i + 1]) {
		i--;
	}
	if (i < 0) {
		return false;
	}
	while (idx[j] <= idx[i]) {
		j--;
	}
	t = idx[i];
	idx[i] = idx[j];
	idx[j] = t;
	for (i++, j = n - 1; i < j; i++, j--) {
		t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
	return true;
}

/* Whether <out> is <text> with some bytes left out (text has no repeated byte). */
static bool
is_subsequence(const uint8_t *out, size_t len, const char *text)
{
	const char *p = text;
	size_t i;

	for (i = 0; i < len; i++) {
		p = strchr(p, out[i]);
		if (p == NULL || out[i] == 0) {
			return false;
		}
		p++;
	}
	return true;
}

static void
check_permutations(uint32_t isn, uint16_t max_segs)
{
	static const char text[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCD";
	/* offsets and lengths into text; they overlap and one repeats another */
	static const struct {
		uint32_t off, len;
		uint8_t flags;
	} seg[] = {
		{ 0, 8, A }, { 6, 10, A }, { 16, 4, A }, { 16, 12, A }, { 28, 12, FI },
	};
	const int n = 5;
	struct tcp_seg_pool *pool = tcp_seg_pool_create(8);
	int idx[5] = { 0, 1, 2, 3, 4 }, i, perms = 0;
	struct rig r;

	do {
		reset_refs();
		rig_init(&r, pool, max_segs, 1 << 16);
		send(&r, isn, SY, "");
		for (i = 0; i < n; i++) {
			send_n(&r, isn + 1 + seg[idx[i]].off, seg[idx[i]].flags,
			       text + seg[idx[i]].off, seg[idx[i]].len);
		}
		finish(&r);
		if (max_segs >= n) {
			CU_ASSERT_TRUE(out_is(&r, text));
			CU_ASSERT_EQUAL(r.c.v[CNT_tcp_gap], 0);
		} else {
			/* under a tight limit bytes may be lost, but never reordered or repeated */
			CU_ASSERT(is_subsequence(r.k.out, r.k.len, text));
		}
		CU_ASSERT_EQUAL(r.k.closes, 1);
		CU_ASSERT_EQUAL(holds, releases);
		CU_ASSERT_EQUAL(tcp_seg_pool_used(pool), 0);
		perms++;
	} while (next_perm(idx, n));
	CU_ASSERT_EQUAL(perms, 120);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_every_permutation_yields_same_stream(void)
{
	check_permutations(1000, 8);
	check_permutations(0xfffffff0u, 8);
	check_permutations(0xffffffe0u, 8);
}

static void
test_tcp_every_permutation_under_limit_stays_bounded(void)
{
	check_permutations(0xfffffff0u, 1);
}

static void
test_tcp_no_hole_or_hold_past_the_fin(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(8);
	struct rig r;

	/* nothing may be held: a segment past the FIN would otherwise be a hole's end */
	rig_init(&r, pool, 0, 4096);
	reset_refs();
	send(&r, 999, SY, "");
	send(&r, 1100, FI, "");
	send(&r, 1200, A, "junk past the FIN");
	CU_ASSERT_EQUAL(r.k.gaps, 0);
	CU_ASSERT_EQUAL(r.s.next_seq, 1000);
	CU_ASSERT_EQUAL(holds, 0);
	/* the missing 100 bytes come: delivered, then the FIN closes the stream */
	send_n(&r, 1000, A,
	       "0123456789012345678901234567890123456789012345678901234567890123456789"
	       "012345678901234567890123456789",
	       100);
	CU_ASSERT_EQUAL(r.k.len, 100);
	CU_ASSERT_EQUAL(r.k.closes, 1);

	/* a segment held before the FIN arrived lies past it: the hole stops at the FIN */
	rig_init(&r, pool, 4, 4096);
	reset_refs();
	send(&r, 999, SY, "");
	send(&r, 1200, A, "junk past the FIN");
	send(&r, 1100, FI, "");
	finish(&r);
	CU_ASSERT_EQUAL(r.k.gaps, 1);
	CU_ASSERT_EQUAL(r.k.gap_bytes, 100);
	CU_ASSERT_EQUAL(r.k.len, 0);
	CU_ASSERT_EQUAL(r.k.closes, 1);
	CU_ASSERT_EQUAL(holds, releases);
	tcp_seg_pool_free(pool);
}

static void
test_tcp_overlap_with_different_bytes_counted_first_wins(void)
{
	struct tcp_seg_pool *pool = tcp_seg_pool_create(8);
	struct rig r;

	rig_init(&r, pool, 8, 4096);
	reset_refs();
	send(&r, 999, SY, "");
	send(&r, 1005, A, "world");
	/* the same bytes again: a plain retransmission */
	send(&r, 1005, A, "world");
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_overlap_diff], 0);
	/* other bytes at the same place: an evasion sign, and the first copy stays */
	send(&r, 1006, A, "ORL");
	CU_ASSERT_EQUAL(r.c.v[CNT_tcp_overlap_diff], 1);
	send(&r, 1000, A, "hello");
	CU_ASSERT(out_is(&r, "helloworld"));
	finish(&r);
	CU_ASSERT_EQUAL(holds, releases);
	tcp_seg_pool_free(pool);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("tcp_stream", NULL, NULL);
	CU_add_test(s, "in order delivered and closed by FIN",
	            test_tcp_in_order_delivered_and_closed_by_fin);
	CU_add_test(s, "FIN with data closes after delivery",
	            test_tcp_fin_with_data_closes_after_delivery);
	CU_add_test(s, "reversed segments delivered once in order",
	            test_tcp_reversed_segments_delivered_once_in_order);
	CU_add_test(s, "retransmission delivered once", test_tcp_retransmission_delivered_once);
	CU_add_test(s, "overlap delivers only new bytes", test_tcp_overlap_delivers_only_new_bytes);
	CU_add_test(s, "gap then fill releases every hold",
	            test_tcp_gap_then_fill_releases_every_hold);
	CU_add_test(s, "duplicate held segment not held twice",
	            test_tcp_duplicate_held_segment_not_held_twice);
	CU_add_test(s, "overlapping held segments trimmed at delivery",
	            test_tcp_overlapping_held_segments_trimmed_at_delivery);
	CU_add_test(s, "segment limit skips hole and delivers after it",
	            test_tcp_segment_limit_skips_hole_and_delivers_after_it);
	CU_add_test(s, "limit keeps later holes fillable",
	            test_tcp_limit_keeps_later_holes_fillable);
	CU_add_test(s, "byte limit skips hole", test_tcp_byte_limit_skips_hole);
	CU_add_test(s, "limit counted once per segment", test_tcp_limit_counted_once_per_segment);
	CU_add_test(s, "FIN closes once only after hole fills",
	            test_tcp_fin_closes_once_only_after_hole_fills);
	CU_add_test(s, "bare FIN ahead of hole waits", test_tcp_bare_fin_ahead_of_hole_waits);
	CU_add_test(s, "bytes past FIN not delivered", test_tcp_bytes_past_fin_not_delivered);
	CU_add_test(s, "RST closes and releases held", test_tcp_rst_closes_and_releases_held);
	CU_add_test(s, "sequence wraps around zero", test_tcp_sequence_wraps_around_zero);
	CU_add_test(s, "midstream pickup starts at first payload",
	            test_tcp_midstream_pickup_starts_at_first_payload);
	CU_add_test(s, "finish skips holes and closes once",
	            test_tcp_finish_skips_holes_and_closes_once);
	CU_add_test(s, "pool exhaustion skips hole", test_tcp_pool_exhaustion_skips_hole);
	CU_add_test(s, "failed hold counts limit", test_tcp_failed_hold_counts_limit);
	CU_add_test(s, "no hole or hold past the FIN", test_tcp_no_hole_or_hold_past_the_fin);
	CU_add_test(s, "overlap with different bytes counted, first wins",
	            test_tcp_overlap_with_different_bytes_counted_first_wins);
	CU_add_test(s, "every permutation yields same stream",
	            test_tcp_every_permutation_yields_same_stream);
	CU_add_test(s, "every permutation under limit stays bounded",
	            test_tcp_every_permutation_under_limit_stays_bounded);
	return guard_run_tests();
}
