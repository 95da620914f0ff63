/*
 * A per-worker memory budget for brotli decoders (RFC 7932). Unlike zlib's
 * fixed 32 KiB window, a brotli stream names its own window (up to 16 MiB)
 * and its decoder allocates and frees Huffman tables metablock by metablock,
 * so a fixed slot per stream would either waste memory or refuse real
 * streams. Instead one arena of http.br_memcap bytes, allocated once at set-up,
 * serves every decoder of the worker through a first-fit allocator with
 * boundary tags (blocks coalesce when freed). A decoder whose allocation does
 * not fit fails with BROTLI_DECODER_ERROR_ALLOC_*, which the body decoder
 * counts (http_br_memcap): the budget bounds memory, never blocks, and the
 * data path never calls malloc.
 */
#include "http/http.h"

#include <brotli/decode.h>
#include <stdlib.h>
#include <string.h>

#include "core/bug.h"
#include "core/mem.h"
#include "http/http_priv.h"

#define BR_ALIGN   16u /* what malloc would give brotli's structs */
#define BR_HDR     16u /* block header: its size and the previous block's */
#define BR_MIN     32u /* smallest block: a header and the free-list links */
#define BR_USED    1ull
#define BR_LAST    2ull /* the arena's end sentinel */
#define BR_FLAGS   (BR_USED | BR_LAST)
#define BR_MIN_CAP (64u << 10)

/*
 * Every block starts with this header; size includes it and is a multiple of
 * BR_ALIGN. A free block holds its free-list links where its payload would be.
 */
struct blk {
	uint64_t size_flags;
	uint64_t prev_size; /* the physically previous block's size; 0 for the first */
};

struct free_links {
	struct blk *next, *prev;
};

struct http_brpool {
	uint8_t *arena;
	size_t cap;
	size_t in_use; /* bytes of blocks handed out, headers included */
	uint32_t decoders;
	struct blk *free; /* first-fit list of free blocks, unordered */
};

static size_t
blk_size(const struct blk *b)
{
	return (size_t)(b->size_flags & ~BR_FLAGS);
}

static struct free_links *
links(struct blk *b)
{
	return (struct free_links *)(void *)((uint8_t *)b + BR_HDR);
}

static struct blk *
blk_next(struct blk *b)
{
	return (struct blk *)(void *)((uint8_t *)b + blk_size(b));
}

static void
list_push(struct http_brpool *bp, struct blk *b)
{
	links(b)->prev = NULL;
	links(b)->next = bp->free;
	if (bp->free != NULL) {
		links(bp->free)->prev = b;
	}
	bp->free = b;
}

static void
list_remove(struct http_brpool *bp, struct blk *b)
{
	struct free_links *l = links(b);

	if (l->prev != NULL) {
		links(l->prev)->next = l->next;
	} else {
		bp->free = l->next;
	}
	if (l->next != NULL) {
		links(l->next)->prev = l->prev;
	}
}

/* Set <b>'s size (flags kept) and tell the block after it. */
static void
blk_resize(struct blk *b, size_t size)
{
	b->size_flags = (uint64_t)size | (b->size_flags & BR_FLAGS);
	blk_next(b)->prev_size = size;
}

/* brotli_alloc_func: first fit in the arena; NULL (an allocation error to brotli) when full. */
static void *
br_alloc(void *opaque, size_t size)
{
	struct http_brpool *bp = opaque;
	struct blk *b, *rest;
	size_t need, have;

	if (size > bp->cap) {
		return NULL;
	}
	need = (size + BR_HDR + BR_ALIGN - 1) & ~(size_t)(BR_ALIGN - 1);
	if (need < BR_MIN) {
		need = BR_MIN;
	}
	for (b = bp->free; b != NULL; b = links(b)->next) {
		if (blk_size(b) >= need) {
			break;
		}
	}
	if (b == NULL) {
		return NULL;
	}
	list_remove(bp, b);
	have = blk_size(b);
	if (have - need >= BR_MIN) {
		blk_resize(b, need);
		rest = blk_next(b);
		rest->size_flags = 0;
		rest->prev_size = need;
		blk_resize(rest, have - need);
		list_push(bp, rest);
	}
	b->size_flags |= BR_USED;
	bp->in_use += blk_size(b);
	return (uint8_t *)b + BR_HDR;
}

/* brotli_free_func: the block goes back, merged with free neighbours. */
static void
br_free(void *opaque, void *p)
{
	struct http_brpool *bp = opaque;
	struct blk *b, *nb, *pb;

	if (p == NULL) {
		return;
	}
	b = (struct blk *)(void *)((uint8_t *)p - BR_HDR);
	BUG_ON_HOT(!(b->size_flags & BR_USED));
	bp->in_use -= blk_size(b);
	b->size_flags &= ~BR_USED;
	nb = blk_next(b);
	if (!(nb->size_flags & BR_FLAGS)) {
		list_remove(bp, nb);
		blk_resize(b, blk_size(b) + blk_size(nb));
	}
	if (b->prev_size != 0) {
		pb = (struct blk *)(void *)((uint8_t *)b - b->prev_size);
		if (!(pb->size_flags & BR_FLAGS)) {
			list_remove(bp, pb);
			blk_resize(pb, blk_size(pb) + blk_size(b));
			b = pb;
		}
	}
	list_push(bp, b);
}

struct http_brpool *
http_brpool_create(size_t memcap)
{
	struct http_brpool *bp = NULL;
	struct blk *first, *end;

	bp = calloc(1, sizeof(*bp));
	if (bp == NULL) {
		goto fail;
	}
	if (memcap == 0) {
		/* no budget: every brotli body is refused (counted) */
		return bp;
	}
	if (memcap < BR_MIN_CAP) {
		memcap = BR_MIN_CAP;
	}
	memcap &= ~(size_t)(BR_ALIGN - 1);
	bp->arena = mem_data_zalloc(memcap);
	if (bp->arena == NULL) {
		goto fail;
	}
	bp->cap = memcap - BR_HDR;
	first = (struct blk *)(void *)bp->arena;
	end = (struct blk *)(void *)(bp->arena + bp->cap);
	end->size_flags = BR_LAST;
	first->size_flags = 0;
	first->prev_size = 0;
	blk_resize(first, bp->cap);
	list_push(bp, first);
	return bp;
fail:
	http_brpool_free(bp);
	return NULL;
}

void
http_brpool_free(struct http_brpool *bp)
{
	if (bp == NULL) {
		return;
	}
	/* a connection still holding a decoder would write into freed memory */
	BUG_ON(bp->decoders != 0);
	mem_data_free(bp->arena);
	free(bp);
}

size_t
http_brpool_used(const struct http_brpool *bp)
{
	return bp == NULL ? 0 : bp->in_use;
}

struct http_brdec *
http_brpool_get(struct http_brpool *bp)
{
	struct http_brdec *d;

	if (bp == NULL || bp->arena == NULL) {
		return NULL;
	}
	d = br_alloc(bp, sizeof(*d));
	if (d == NULL) {
		return NULL;
	}
	d->bp = bp;
	d->s = BrotliDecoderCreateInstance(br_alloc, br_free, bp);
	if (d->s == NULL) {
		br_free(bp, d);
		return NULL;
	}
	bp->decoders++;
	return d;
}

void
http_brpool_put(struct http_brdec *d)
{
	struct http_brpool *bp;

	if (d == NULL) {
		return;
	}
	bp = d->bp;
	BUG_ON_HOT(bp->decoders == 0);
	/* every block the decoder holds goes back through br_free() */
	BrotliDecoderDestroyInstance(d->s);
	br_free(bp, d);
	bp->decoders--;
}
