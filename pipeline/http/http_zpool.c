/*
 * A bounded per-worker pool of inflate streams. Each slot carries a fixed
 * arena that zlib's allocations are carved from, so decoding a compressed
 * body allocates nothing: zlib 1.2.13 asks for its inflate state (7,160
 * bytes on x86-64) at inflateInit2() and a 1 << windowBits window (32 KiB at
 * most) on first output; HTTP_ZSLOT_ARENA leaves room for other zlib builds.
 * zfree is a no-op: the whole arena is reset when the slot goes back.
 */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#include "core/bug.h"
#include "core/mem.h"
#include "http/http_priv.h"

#define ARENA_ALIGN 16u /* what malloc would give zlib's structs */

#if defined(__SANITIZE_ADDRESS__)
#define ZPOOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZPOOL_ASAN 1
#endif
#endif

#ifdef ZPOOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

struct zslot {
	z_stream zs;
	struct http_zpool *pool; /* the owner: a connection is released without its env */
	struct zslot *next;      /* free list */
	size_t top;              /* arena bytes handed out */
	_Alignas(64) uint8_t arena[HTTP_ZSLOT_ARENA];
};

/* n_streams * sizeof(struct zslot) cannot overflow */
_Static_assert(SIZE_MAX / sizeof(struct zslot) >= UINT32_MAX, "64-bit size_t expected");

struct http_zpool {
	struct zslot *slots;
	struct zslot *free; /* LIFO: the slot used last is the one still in cache */
	uint32_t n;
	uint32_t used;
};

/* Under ASan, arena bytes not handed out are poisoned so a stale pointer into a reused slot trips. */
static void
arena_poison(struct zslot *s)
{
#ifdef ZPOOL_ASAN
	ASAN_POISON_MEMORY_REGION(s->arena, sizeof(s->arena));
#else
	(void)s;
#endif
}

static void
arena_unpoison(void *p, size_t n)
{
#ifdef ZPOOL_ASAN
	ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
	(void)p;
	(void)n;
#endif
}

/* zlib's alloc_func: bump-allocate in the slot's arena; Z_NULL (Z_MEM_ERROR to zlib) when full. */
static voidpf
arena_alloc(voidpf opaque, uInt items, uInt size)
{
	struct zslot *s = opaque;
	const size_t room = sizeof(s->arena) - s->top;
	size_t bytes;
	void *p;

	if (size != 0 && items > SIZE_MAX / size) {
		return Z_NULL;
	}
	bytes = (size_t)items * size;
	if (bytes > room) {
		return Z_NULL;
	}
	bytes = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (bytes > room) {
		return Z_NULL;
	}
	p = s->arena + s->top;
	s->top += bytes;
	arena_unpoison(p, bytes);
	return p;
}

/* zlib's free_func: nothing to do, the arena is reset as a whole in http_zpool_put(). */
static void
arena_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	(void)p;
}

struct http_zpool *
http_zpool_create(uint32_t n_streams)
{
	struct http_zpool *zp = NULL;
	uint32_t i;

	zp = calloc(1, sizeof(*zp));
	if (zp == NULL) {
		goto fail;
	}
	zp->slots = mem_data_zalloc((size_t)n_streams * sizeof(struct zslot));
	if (zp->slots == NULL) {
		goto fail;
	}
	zp->n = n_streams;
	for (i = n_streams; i > 0; i--) {
		zp->slots[i - 1].pool = zp;
		zp->slots[i - 1].next = zp->free;
		zp->free = &zp->slots[i - 1];
		arena_poison(&zp->slots[i - 1]);
	}
	return zp;
fail:
	http_zpool_free(zp);
	return NULL;
}

void
http_zpool_free(struct http_zpool *zp)
{
	if (zp == NULL) {
		return;
	}
	/* a connection still holding a slot would write into freed memory */
	BUG_ON(zp->used != 0);
	if (zp->slots != NULL) {
		arena_unpoison(zp->slots, (size_t)zp->n * sizeof(struct zslot));
	}
	mem_data_free(zp->slots);
	free(zp);
}

uint32_t
http_zpool_used(const struct http_zpool *zp)
{
	return zp == NULL ? 0 : zp->used;
}

struct z_stream_s *
http_zpool_get(struct http_zpool *zp)
{
	struct zslot *s;

	if (zp == NULL || zp->free == NULL) {
		return NULL;
	}
	s = zp->free;
	zp->free = s->next;
	zp->used++;
	s->next = NULL;
	s->top = 0;
	memset(&s->zs, 0, sizeof(s->zs));
	s->zs.zalloc = arena_alloc;
	s->zs.zfree = arena_free;
	s->zs.opaque = s;
	return &s->zs;
}

void
http_zpool_put(struct z_stream_s *zs)
{
	struct zslot *s;
	struct http_zpool *zp;

	if (zs == NULL) {
		return;
	}
	s = zs->opaque;
	zp = s->pool;
	BUG_ON_HOT(zp->used == 0);
	/* zlib's pointers into the arena die with it */
	memset(&s->zs, 0, sizeof(s->zs));
	s->top = 0;
	arena_poison(s);
	s->next = zp->free;
	zp->free = s;
	zp->used--;
}
