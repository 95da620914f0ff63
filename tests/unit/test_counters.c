#include "core/counters.h"

#include <CUnit/Basic.h>
#include <string.h>

#include "guard.h"

static void
test_counters_names_are_unique_and_stable(void)
{
	int i, j;

	CU_ASSERT_STRING_EQUAL(counters_name(CNT_rx_packets), "rx_packets");
	for (i = 0; i < CNT__MAX; i++) {
		CU_ASSERT_PTR_NOT_NULL(counters_help(i));
		for (j = i + 1; j < CNT__MAX; j++) {
			CU_ASSERT(strcmp(counters_name(i), counters_name(j)) != 0);
		}
	}
}

static void
test_counters_sum_adds_every_counter(void)
{
	struct counters a, b;
	int i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < CNT__MAX; i++) {
		a.v[i] = (uint64_t)i;
		b.v[i] = 1000;
	}
	counters_sum(&b, &a);
	for (i = 0; i < CNT__MAX; i++) {
		CU_ASSERT_EQUAL(b.v[i], 1000u + (uint64_t)i);
	}
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("counters", NULL, NULL);
	CU_add_test(s, "names are unique and stable", test_counters_names_are_unique_and_stable);
	CU_add_test(s, "sum adds every counter", test_counters_sum_adds_every_counter);
	return guard_run_tests();
}
