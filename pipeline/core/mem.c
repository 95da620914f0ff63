#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static void *
heap_zalloc(size_t size)
{
	size_t rounded = (size + 63) & ~(size_t)63;
	void *p = aligned_alloc(64, rounded > 0 ? rounded : 64);

	if (p != NULL) {
		memset(p, 0, rounded);
	}
	return p;
}

static void *(*zalloc_fn)(size_t) = heap_zalloc;
static void (*free_fn)(void *) = free;

void *
mem_data_zalloc(size_t size)
{
	return zalloc_fn(size);
}

void
mem_data_free(void *p)
{
	if (p != NULL) {
		free_fn(p);
	}
}

void
mem_data_use(void *(*zalloc)(size_t size), void (*free_p)(void *p))
{
	zalloc_fn = zalloc != NULL ? zalloc : heap_zalloc;
	free_fn = free_p != NULL ? free_p : free;
}
