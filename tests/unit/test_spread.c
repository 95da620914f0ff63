/*
 * The spreader's hash: both directions of a connection and every fragment of
 * a datagram reach one worker, and many clients spread over the workers.
 */
#include "net/spread.h"

#include <CUnit/Basic.h>
#include <stdbool.h>
#include <string.h>

#include "guard.h"

/* An IPv4 frame, 198.18.<a> -> 198.18.<b>, TCP ports <sp> -> <dp>, or a fragment. */
static size_t
ip4_frame(uint8_t *f, uint16_t a, uint16_t b, uint16_t sp, uint16_t dp, bool fragment)
{
	memset(f, 0, 80);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 40;
	f[22] = 64;
	f[23] = 6;
	f[26] = 198;
	f[27] = 18;
	f[28] = (uint8_t)(a >> 8);
	f[29] = (uint8_t)a;
	f[30] = 198;
	f[31] = 18;
	f[32] = (uint8_t)(b >> 8);
	f[33] = (uint8_t)b;
	if (fragment) {
		f[17] = 44;   /* a first fragment carries a multiple of 8 bytes */
		f[18] = 0x12; /* id */
		f[20] = 0x20; /* more fragments, offset 0 */
	}
	f[34] = (uint8_t)(sp >> 8);
	f[35] = (uint8_t)sp;
	f[36] = (uint8_t)(dp >> 8);
	f[37] = (uint8_t)dp;
	f[46] = 5 << 4;
	return fragment ? 58 : 54;
}

/* An IPv6 frame with TCP, 2001:db8::<a> -> 2001:db8::<b>. */
static size_t
ip6_frame(uint8_t *f, uint16_t a, uint16_t b, uint16_t sp, uint16_t dp)
{
	memset(f, 0, 80);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[19] = 20;
	f[20] = 6;
	f[21] = 64;
	f[22] = 0x20;
	f[23] = 0x01;
	f[24] = 0x0d;
	f[25] = 0xb8;
	f[36] = (uint8_t)(a >> 8);
	f[37] = (uint8_t)a;
	memcpy(f + 38, f + 22, 14);
	f[52] = (uint8_t)(b >> 8);
	f[53] = (uint8_t)b;
	f[54] = (uint8_t)(sp >> 8);
	f[55] = (uint8_t)sp;
	f[56] = (uint8_t)(dp >> 8);
	f[57] = (uint8_t)dp;
	f[66] = 5 << 4;
	return 74;
}

static uint32_t
hash(const uint8_t *f, size_t len)
{
	uint8_t *g = guard_dup(f, len);
	uint32_t h = spread_hash(g, len);

	guard_free(g);
	return h;
}

static void
test_spread_both_directions_one_hash(void)
{
	uint8_t f[128];
	uint32_t there, back;

	there = hash(f, ip4_frame(f, 20, 10, 40000, 80, false));
	back = hash(f, ip4_frame(f, 10, 20, 80, 40000, false));
	CU_ASSERT_NOT_EQUAL(there, 0);
	CU_ASSERT_EQUAL(there, back);
	there = hash(f, ip6_frame(f, 20, 10, 40000, 80));
	back = hash(f, ip6_frame(f, 10, 20, 80, 40000));
	CU_ASSERT_NOT_EQUAL(there, 0);
	CU_ASSERT_EQUAL(there, back);
}

static void
test_spread_fragment_goes_with_its_flow(void)
{
	uint8_t f[128];

	CU_ASSERT_EQUAL(hash(f, ip4_frame(f, 20, 10, 0, 0, true)),
	                hash(f, ip4_frame(f, 20, 10, 40000, 80, false)));
}

static void
test_spread_undecodable_frame_is_zero(void)
{
	uint8_t f[128];
	size_t len = ip4_frame(f, 20, 10, 40000, 80, false);

	f[14] = 0x35; /* IP version 3 */
	CU_ASSERT_EQUAL(hash(f, len), 0);
	CU_ASSERT_EQUAL(spread_hash(NULL, 0), 0);
}

static void
test_spread_many_clients_over_workers(void)
{
	unsigned int count[3] = { 0 }, n, k;
	uint8_t f[128];
	uint16_t a;

	for (n = 2; n <= 3; n++) {
		memset(count, 0, sizeof(count));
		for (a = 1; a <= 3000; a++) {
			k = spread_pick(
			        hash(f, ip4_frame(f, (uint16_t)(256 + a), 10, 40000, 80, false)),
			        n);
			CU_ASSERT_FATAL(k < n);
			count[k]++;
		}
		for (k = 0; k < n; k++) {
			/* within a fifth of an even share */
			CU_ASSERT(count[k] * n * 5 > 3000 * 4);
			CU_ASSERT(count[k] * n * 5 < 3000 * 6);
		}
	}
	CU_ASSERT_EQUAL(spread_pick(UINT32_MAX, 4), 3);
	CU_ASSERT_EQUAL(spread_pick(0, 4), 0);
}

int
main(void)
{
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 1;
	}
	s = CU_add_suite("spread", NULL, NULL);
	CU_add_test(s, "both directions one hash", test_spread_both_directions_one_hash);
	CU_add_test(s, "fragment goes with its flow", test_spread_fragment_goes_with_its_flow);
	CU_add_test(s, "undecodable frame is zero", test_spread_undecodable_frame_is_zero);
	CU_add_test(s, "many clients over workers", test_spread_many_clients_over_workers);
	return guard_run_tests();
}
