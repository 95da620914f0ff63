#include "alert/latency.h"

#include <CUnit/Basic.h>
#include <string.h>

#include "guard.h"

static void
test_latency_exact_below_one_millisecond(void)
{
	struct latency_hist h;
	uint64_t i;

	memset(&h, 0, sizeof(h));
	for (i = 1; i <= 1000; i++) {
		latency_add(&h, i);
	}
	CU_ASSERT_EQUAL(latency_quantile(&h, 0.5), 501);
	CU_ASSERT_EQUAL(latency_quantile(&h, 0.99), 991);
	CU_ASSERT_EQUAL(latency_quantile(&h, 0.999), 1000);
	CU_ASSERT_EQUAL(latency_quantile(&h, 0.0), 1);
	CU_ASSERT_EQUAL(latency_quantile(&h, 1.0), 1000);
}

static void
test_latency_within_a_factor_of_two_above(void)
{
	struct latency_hist h;
	uint64_t q;
	int i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 99; i++) {
		latency_add(&h, 10);
	}
	latency_add(&h, 5000);
	CU_ASSERT_EQUAL(latency_quantile(&h, 0.5), 10);
	q = latency_quantile(&h, 0.999);
	CU_ASSERT(q >= 5000 && q < 10000);
	CU_ASSERT_EQUAL(q, 5000); /* capped by the largest seen */
}

static void
test_latency_empty_is_zero(void)
{
	struct latency_hist h;

	memset(&h, 0, sizeof(h));
	CU_ASSERT_EQUAL(latency_quantile(&h, 0.99), 0);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("latency", NULL, NULL);
	CU_add_test(s, "exact below one millisecond", test_latency_exact_below_one_millisecond);
	CU_add_test(s, "within a factor of two above", test_latency_within_a_factor_of_two_above);
	CU_add_test(s, "empty is zero", test_latency_empty_is_zero);
	return guard_run_tests();
}
