#include "guard.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The mapping's start and length live just before the returned pointer's page run. */
struct guard_hdr {
	void *base;
	size_t map_len;
};

uint8_t *
guard_dup(const void *src, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + sizeof(struct guard_hdr) + page - 1) / page;
	size_t map_len = (data_pages + 1) * page;
	uint8_t *base, *p;
	struct guard_hdr hdr;

	base = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		perror("mmap");
		abort();
	}
	if (mprotect(base + data_pages * page, page, PROT_NONE) != 0) {
		perror("mprotect");
		abort();
	}
	p = base + data_pages * page - len;
	hdr.base = base;
	hdr.map_len = map_len;
	memcpy(base, &hdr, sizeof(hdr));
	if (len > 0) {
		memcpy(p, src, len);
	}
	return p;
}

void
guard_free(uint8_t *p)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *first;
	struct guard_hdr hdr;

	if (p == NULL) {
		return;
	}
	/* the header sits at the start of the first data page; p - 1 is always a data byte,
	 * even for an empty copy whose p is the guard page itself */
	first = (uint8_t *)((uintptr_t)(p - 1) & ~(uintptr_t)(page - 1));
	memcpy(&hdr, first, sizeof(hdr));
	while (hdr.base != first && first > (uint8_t *)page) {
		first -= page;
		memcpy(&hdr, first, sizeof(hdr));
	}
	munmap(hdr.base, hdr.map_len);
}

int
guard_run_tests(void)
{
	unsigned int failed;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}

int
guard_mkdtemp(char *tmpl)
{
	return mkdtemp(tmpl) == NULL ? -1 : 0;
}

int
guard_rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}
