#include "core/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * Large tables come straight from mmap: the kernel hands out zero pages on
 * first touch, so a table sized for the worst case costs memory only as it
 * fills. A 64-byte header in front of every block says how it was made.
 */
#define HDR        64
#define MMAP_FROM  (2u << 20)
#define MAGIC_MMAP 0x6d6d6170u
#define MAGIC_HEAP 0x68656170u

struct hdr {
	uint32_t magic;
	size_t len; /* the whole mapping, for munmap */
};

static void *
heap_zalloc(size_t size)
{
	struct hdr *h;
	size_t total;

	if (size > SIZE_MAX - HDR - 63) {
		return NULL;
	}
	total = (HDR + size + 63) & ~(size_t)63;
	if (total >= MMAP_FROM) {
		void *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		               0);

		if (m == MAP_FAILED) {
			return NULL;
		}
		h = m;
		h->magic = MAGIC_MMAP;
	} else {
		h = aligned_alloc(64, total);
		if (h == NULL) {
			return NULL;
		}
		memset(h, 0, total);
		h->magic = MAGIC_HEAP;
	}
	h->len = total;
	return (uint8_t *)h + HDR;
}

static void
heap_free(void *p)
{
	struct hdr *h = (struct hdr *)(void *)((uint8_t *)p - HDR);

	if (h->magic == MAGIC_MMAP) {
		munmap(h, h->len);
	} else {
		free(h);
	}
}

static void *(*zalloc_fn)(size_t) = heap_zalloc;
static void (*free_fn)(void *) = heap_free;

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
	free_fn = free_p != NULL ? free_p : heap_free;
}
