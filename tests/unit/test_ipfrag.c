#include "net/ipfrag.h"

#include <CUnit/Basic.h>
#include <string.h>

#include "guard.h"

#define SEC 1000000000ull

static struct counters c;
static struct ipfrag *t;
static uint8_t dgram[IPFRAG_MAX_BYTES];
static uint8_t src_a[4] = { 198, 18, 0, 1 };
static const uint8_t dst_a[4] = { 198, 18, 0, 2 };

static struct ipfrag *
table(uint32_t datagrams, uint32_t max_bytes)
{
	struct ipfrag_limits lim = { datagrams, max_bytes, 30 * SEC };

	ipfrag_free(t);
	memset(&c, 0, sizeof(c));
	t = ipfrag_create(&lim, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static void
fill(void)
{
	size_t i;

	for (i = 0; i < sizeof(dgram); i++) {
		dgram[i] = (uint8_t)(i * 7 + i / 251);
	}
}

/* Fragment [off, off + len) of datagram <id>, bytes from <bytes>, at <now>, from a guard page. */
static enum ipfrag_rc
add_bytes(uint16_t id, uint8_t proto, uint32_t off, uint32_t len, bool more, const uint8_t *bytes,
          uint64_t now, struct span *out)
{
	struct decoded d;
	enum ipfrag_rc rc;
	uint8_t *g = guard_dup(bytes, len);

	memset(&d, 0, sizeof(d));
	d.proto = proto;
	memcpy(d.src, src_a, 4);
	memcpy(d.dst, dst_a, 4);
	d.ip_id = id;
	d.frag_off = (uint16_t)off;
	d.frag_more = more;
	d.payload.ptr = g;
	d.payload.len = len;
	rc = ipfrag_add(t, &d, now, out);
	guard_free(g);
	return rc;
}

static enum ipfrag_rc
add(uint16_t id, uint32_t off, uint32_t len, bool more, struct span *out)
{
	return add_bytes(id, DECODE_UDP, off, len, more, dgram + off, 0, out);
}

static bool
is_dgram(struct span s, size_t len)
{
	return s.len == len && memcmp(s.ptr, dgram, len) == 0;
}

static void
check_idle(void)
{
	CU_ASSERT_EQUAL(ipfrag_pending(t), 0);
	CU_ASSERT_EQUAL(ipfrag_chunks_free(t), 1024 * 8);
}

static void
test_ipfrag_in_order(void)
{
	struct span out;

	table(1024, IPFRAG_MAX_BYTES);
	CU_ASSERT_EQUAL(add(1, 0, 1480, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(out.len, 0);
	CU_ASSERT_EQUAL(add(1, 1480, 1480, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(ipfrag_pending(t), 1);
	CU_ASSERT_EQUAL(add(1, 2960, 501, false, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 3461));
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_reassembled], 1);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_overlap], 0);
	check_idle();
}

static void
test_ipfrag_reverse_order(void)
{
	struct span out;

	table(1024, IPFRAG_MAX_BYTES);
	CU_ASSERT_EQUAL(add(2, 2960, 501, false, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(2, 1480, 1480, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(2, 0, 1480, true, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 3461));
	check_idle();
}

static void
test_ipfrag_largest_datagram(void)
{
	struct span out;
	uint32_t off;

	table(1024, IPFRAG_MAX_BYTES);
	for (off = 8 * 1480; off + 1480 < IPFRAG_MAX_BYTES; off += 1480) {
		CU_ASSERT_EQUAL(add(3, off, 1480, true, &out), IPFRAG_HELD);
	}
	CU_ASSERT_EQUAL(add(3, off, IPFRAG_MAX_BYTES - off, false, &out), IPFRAG_HELD);
	for (off = 0; off < 8 * 1480; off += 1480) {
		CU_ASSERT_EQUAL(add(3, off, 1480, true, &out),
		                off + 1480 < 8 * 1480 ? IPFRAG_HELD : IPFRAG_DONE);
	}
	CU_ASSERT(is_dgram(out, IPFRAG_MAX_BYTES));
	check_idle();
}

static void
test_ipfrag_interleaved_datagrams_kept_apart(void)
{
	struct span out;

	table(1024, IPFRAG_MAX_BYTES);
	/* same id, different protocol or source: different datagrams (RFC 791) */
	CU_ASSERT_EQUAL(add(7, 0, 800, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(8, 800, 100, false, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add_bytes(7, DECODE_TCP, 800, 8, false, dgram, 0, &out), IPFRAG_HELD);
	src_a[3] = 9;
	CU_ASSERT_EQUAL(add(7, 800, 8, false, &out), IPFRAG_HELD);
	src_a[3] = 1;
	CU_ASSERT_EQUAL(ipfrag_pending(t), 4);
	CU_ASSERT_EQUAL(add(8, 0, 800, true, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 900));
	CU_ASSERT_EQUAL(add(7, 800, 200, false, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 1000));
	CU_ASSERT_EQUAL(ipfrag_pending(t), 2);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_reassembled], 2);
}

static void
test_ipfrag_duplicate_fragment_counted_once_kept_once(void)
{
	struct span out;

	table(1024, IPFRAG_MAX_BYTES);
	CU_ASSERT_EQUAL(add(4, 0, 1480, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(4, 0, 1480, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(4, 1480, 20, false, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 1500));
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_overlap], 1);
	check_idle();
}

static void
test_ipfrag_overlap_first_copy_wins(void)
{
	uint8_t x[64], y[64];
	struct span out;
	uint8_t want[48];

	memset(x, 'x', sizeof(x));
	memset(y, 'y', sizeof(y));
	table(1024, IPFRAG_MAX_BYTES);
	/* [8, 24) first, then [0, 40) over it, then the end */
	CU_ASSERT_EQUAL(add_bytes(5, DECODE_UDP, 8, 16, true, x, 0, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add_bytes(5, DECODE_UDP, 0, 40, true, y, 0, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_overlap], 1);
	CU_ASSERT_EQUAL(add_bytes(5, DECODE_UDP, 32, 16, false, x, 0, &out), IPFRAG_DONE);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_overlap], 2);
	memset(want, 'y', sizeof(want));
	memset(want + 8, 'x', 16);
	memset(want + 40, 'x', 8);
	CU_ASSERT_EQUAL_FATAL(out.len, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(out.ptr, want, sizeof(want)), 0);
	check_idle();
}

static void
test_ipfrag_missing_last_times_out(void)
{
	struct span out;

	table(1024, IPFRAG_MAX_BYTES);
	CU_ASSERT_EQUAL(add_bytes(6, DECODE_UDP, 0, 1480, true, dgram, 5 * SEC, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add_bytes(9, DECODE_UDP, 0, 1480, true, dgram, 20 * SEC, &out),
	                IPFRAG_HELD);
	ipfrag_expire(t, 34 * SEC);
	CU_ASSERT_EQUAL(ipfrag_pending(t), 2);
	ipfrag_expire(t, 1 * SEC); /* time that runs backwards expires nothing */
	CU_ASSERT_EQUAL(ipfrag_pending(t), 2);
	ipfrag_expire(t, 35 * SEC);
	CU_ASSERT_EQUAL(ipfrag_pending(t), 1);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_timeout], 1);
	/* the late last fragment of 6 starts a new datagram instead of completing it */
	CU_ASSERT_EQUAL(add_bytes(6, DECODE_UDP, 1480, 20, false, dgram + 1480, 36 * SEC, &out),
	                IPFRAG_HELD);
	/* adding expires too */
	CU_ASSERT_EQUAL(add_bytes(1, DECODE_UDP, 0, 8, true, dgram, 66 * SEC, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_timeout], 3);
	CU_ASSERT_EQUAL(ipfrag_pending(t), 1);
	ipfrag_expire(t, 100 * SEC);
	check_idle();
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_reassembled], 0);
}

static void
test_ipfrag_table_full_counted(void)
{
	struct span out;

	table(2, IPFRAG_MAX_BYTES);
	CU_ASSERT_EQUAL(add(1, 0, 8, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(2, 0, 8, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(3, 0, 8, true, &out), IPFRAG_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_limit], 1);
	/* the datagrams in flight are not evicted, and a finished one frees its slot */
	CU_ASSERT_EQUAL(add(1, 8, 8, false, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 16));
	CU_ASSERT_EQUAL(add(3, 0, 8, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(ipfrag_pending(t), 2);
}

static void
test_ipfrag_disabled_drops_every_fragment(void)
{
	struct span out;

	table(0, IPFRAG_MAX_BYTES);
	CU_ASSERT_EQUAL(add(1, 0, 8, true, &out), IPFRAG_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_limit], 1);
}

static void
test_ipfrag_over_size_cap_dropped(void)
{
	struct span out;

	table(1024, 4096);
	CU_ASSERT_EQUAL(add(1, 0, 1480, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(1, 2960, 1480, true, &out), IPFRAG_DROP); /* ends at 4440 */
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_limit], 1);
	check_idle();
	/* exactly at the cap is fine */
	CU_ASSERT_EQUAL(add(2, 2960, 1136, false, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(2, 0, 2960, true, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 4096));
}

static void
test_ipfrag_arena_exhausted_counted(void)
{
	struct span out;
	uint32_t off;
	uint16_t id;

	table(16, IPFRAG_MAX_BYTES); /* 128 chunks of 1 KiB */
	for (id = 1; id <= 2; id++) {
		for (off = 0; off < 63 * 1024; off += 1024) {
			CU_ASSERT_EQUAL(add(id, off, 1024, true, &out), IPFRAG_HELD);
		}
	}
	CU_ASSERT_EQUAL(add(3, 1024, 1016, false, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(3, 0, 8, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(ipfrag_chunks_free(t), 0);
	CU_ASSERT_EQUAL(add(4, 0, 8, true, &out), IPFRAG_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_limit], 1);
	CU_ASSERT_EQUAL(ipfrag_pending(t), 3);
	/* a fragment that needs no new chunk still completes its datagram */
	CU_ASSERT_EQUAL(add(3, 8, 1016, true, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 2040));
	CU_ASSERT_EQUAL(ipfrag_chunks_free(t), 2);
	/* one that needs more chunks than are left drops its datagram and frees its chunks */
	CU_ASSERT_EQUAL(add(5, 0, 3 * 1024, true, &out), IPFRAG_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_limit], 2);
	CU_ASSERT_EQUAL(ipfrag_chunks_free(t), 2);
	CU_ASSERT_EQUAL(ipfrag_pending(t), 2);
}

static void
test_ipfrag_too_many_holes_dropped(void)
{
	struct span out;
	uint32_t i;

	table(1024, IPFRAG_MAX_BYTES);
	for (i = 0; i < IPFRAG_MAX_RANGES; i++) {
		CU_ASSERT_EQUAL(add(1, i * 16, 8, true, &out), IPFRAG_HELD);
	}
	/* a fragment touching a held piece needs no new range; a new piece does */
	CU_ASSERT_EQUAL(add(1, 8, 8, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(1, 1000, 8, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(1, 1008, 8, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_limit], 0);
	CU_ASSERT_EQUAL(add(1, 2000, 8, true, &out), IPFRAG_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_limit], 1);
	check_idle();
}

static void
test_ipfrag_inconsistent_fragments_dropped(void)
{
	struct span out;

	table(1024, IPFRAG_MAX_BYTES);
	/* two last fragments that disagree on the length */
	CU_ASSERT_EQUAL(add(1, 800, 100, false, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(1, 800, 108, false, &out), IPFRAG_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_bad], 1);
	/* a fragment with MF past the known end */
	CU_ASSERT_EQUAL(add(2, 800, 100, false, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(2, 800, 104, true, &out), IPFRAG_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_bad], 2);
	/* a last fragment that ends before bytes already held */
	CU_ASSERT_EQUAL(add(3, 800, 800, true, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(3, 0, 100, false, &out), IPFRAG_DROP);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_bad], 3);
	/* the same last fragment twice is a duplicate, not a contradiction */
	CU_ASSERT_EQUAL(add(4, 800, 100, false, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(add(4, 800, 100, false, &out), IPFRAG_HELD);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_bad], 3);
	CU_ASSERT_EQUAL(add(4, 0, 800, true, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 900));
	check_idle();
}

/* The same ids from an IPv4 and an IPv6 pair, and IPv6 ids past 16 bits, never mix. */
static void
test_ipfrag_ip6_keys_are_their_own(void)
{
	static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	const uint32_t ids[2] = { 0x00010007u, 0x00020007u };
	struct decoded d;
	struct span out;
	int k;

	table(1024, IPFRAG_MAX_BYTES);
	/* IPv4 datagram 7 starts; then two IPv6 datagrams whose ids end in 7 too */
	CU_ASSERT_EQUAL(add(7, 0, 1480, true, &out), IPFRAG_HELD);
	for (k = 0; k < 2; k++) {
		memset(&d, 0, sizeof(d));
		d.is_ip6 = true;
		d.proto = DECODE_UDP;
		memcpy(d.src, src6, 16);
		memcpy(d.dst, dst6, 16);
		d.ip_id = ids[k];
		d.frag_more = true;
		d.payload.ptr = dgram;
		d.payload.len = 1448;
		CU_ASSERT_EQUAL(ipfrag_add(t, &d, 0, &out), IPFRAG_HELD);
	}
	CU_ASSERT_EQUAL(ipfrag_pending(t), 3);
	/* the second IPv6 datagram ends: only its own first fragment joins it */
	d.frag_off = 1448;
	d.frag_more = false;
	d.payload.ptr = dgram + 1448;
	d.payload.len = 100;
	CU_ASSERT_EQUAL_FATAL(ipfrag_add(t, &d, 0, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 1548));
	CU_ASSERT_EQUAL(ipfrag_pending(t), 2);
	CU_ASSERT_EQUAL(add(7, 1480, 20, false, &out), IPFRAG_DONE);
	CU_ASSERT(is_dgram(out, 1500));
	CU_ASSERT_EQUAL(ipfrag_pending(t), 1);
}

int
main(void)
{
	CU_pSuite s;
	int rc;

	fill();
	CU_initialize_registry();
	s = CU_add_suite("ipfrag", NULL, NULL);
	CU_add_test(s, "in order", test_ipfrag_in_order);
	CU_add_test(s, "IPv6 keys are their own", test_ipfrag_ip6_keys_are_their_own);
	CU_add_test(s, "reverse order", test_ipfrag_reverse_order);
	CU_add_test(s, "largest datagram", test_ipfrag_largest_datagram);
	CU_add_test(s, "interleaved datagrams kept apart",
	            test_ipfrag_interleaved_datagrams_kept_apart);
	CU_add_test(s, "duplicate fragment counted once, kept once",
	            test_ipfrag_duplicate_fragment_counted_once_kept_once);
	CU_add_test(s, "overlap: first copy wins", test_ipfrag_overlap_first_copy_wins);
	CU_add_test(s, "missing last fragment times out", test_ipfrag_missing_last_times_out);
	CU_add_test(s, "table full counted", test_ipfrag_table_full_counted);
	CU_add_test(s, "disabled drops every fragment", test_ipfrag_disabled_drops_every_fragment);
	CU_add_test(s, "over the size cap dropped", test_ipfrag_over_size_cap_dropped);
	CU_add_test(s, "arena exhausted counted", test_ipfrag_arena_exhausted_counted);
	CU_add_test(s, "too many holes dropped", test_ipfrag_too_many_holes_dropped);
	CU_add_test(s, "inconsistent fragments dropped",
	            test_ipfrag_inconsistent_fragments_dropped);
	rc = guard_run_tests();
	ipfrag_free(t);
	return rc;
}
