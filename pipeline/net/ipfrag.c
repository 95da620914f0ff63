#include "net/ipfrag.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define CHUNK         1024u
#define CHUNK_SHIFT   10
#define DG_CHUNKS     ((IPFRAG_MAX_BYTES + CHUNK - 1) / CHUNK) /* 64 */
#define CHUNKS_PER_DG 8u /* arena sizing: 8 KiB per datagram slot on average */
#define MIN_CHUNKS    DG_CHUNKS
#define NONE          UINT32_MAX
#define EXPIRE_BATCH  64

_Static_assert(1u << CHUNK_SHIFT == CHUNK, "CHUNK_SHIFT");

struct range {
	uint32_t start, end; /* [start, end) of the IP payload, received */
};

struct dg {
	uint8_t src[16]; /* IPv4 uses the first 4 bytes, rest zero (as struct decoded) */
	uint8_t dst[16];
	uint32_t id; /* IPv4: 16 bits; IPv6 Fragment header: 32 */
	bool is_ip6;
	uint8_t proto;
	uint8_t n_ranges;
	bool have_last;
	uint32_t total; /* payload length, known once the last fragment came */
	uint32_t hnext; /* next slot + 1 in the hash chain or the free list; 0 ends */
	uint32_t older; /* age list, by first fragment */
	uint32_t newer;
	uint64_t first_ns; /* capture time of the first fragment */
	struct range range[IPFRAG_MAX_RANGES];
	uint32_t chunk[DG_CHUNKS]; /* arena chunk + 1 per 1 KiB of payload; 0 none yet */
};

struct ipfrag {
	struct ipfrag_limits lim;
	struct counters *c;
	struct dg *dg;    /* lim.datagrams slots */
	uint32_t *bucket; /* slot index + 1; 0 empty */
	uint32_t hmask;
	uint32_t free_dg; /* first free slot + 1, the list through hnext; 0 empty */
	uint32_t pending;
	uint32_t oldest; /* age list ends */
	uint32_t newest;
	uint8_t *arena;       /* n_chunks x CHUNK */
	uint32_t *free_chunk; /* stack of free chunk indices */
	uint32_t n_chunks;
	uint32_t n_free_chunks;
	uint8_t *out; /* the reassembled payload handed back */
};

static inline uint32_t
key_hash(const struct decoded *d)
{
	uint64_t w[4], h;

	memcpy(w, d->src, 16);
	memcpy(w + 2, d->dst, 16);
	/* multiply-shift over the key: enough spread for a bounded chained table */
	h = (w[0] ^ w[1] * 0xff51afd7ed558ccdull) * 0x9e3779b97f4a7c15ull;
	h ^= (w[2] ^ w[3] * 0xff51afd7ed558ccdull) * 0xc4ceb9fe1a85ec53ull;
	h ^= ((uint64_t)d->ip_id << 9 | (uint64_t)d->is_ip6 << 8 | d->proto) *
	     0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32);
}

static inline bool
key_eq(const struct dg *g, const struct decoded *d)
{
	return g->id == d->ip_id && g->proto == d->proto && g->is_ip6 == d->is_ip6 &&
	       memcmp(g->src, d->src, 16) == 0 && memcmp(g->dst, d->dst, 16) == 0;
}

struct ipfrag *
ipfrag_create(const struct ipfrag_limits *lim, struct counters *c)
{
	struct ipfrag *t;
	uint64_t nb = 1;
	uint32_t i;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	t->lim = *lim;
	if (t->lim.max_bytes > IPFRAG_MAX_BYTES) {
		t->lim.max_bytes = IPFRAG_MAX_BYTES;
	}
	t->c = c;
	while (nb < 2 * (uint64_t)t->lim.datagrams) {
		nb <<= 1;
	}
	t->hmask = (uint32_t)nb - 1;
	t->n_chunks = t->lim.datagrams * CHUNKS_PER_DG;
	if (t->n_chunks < MIN_CHUNKS) {
		t->n_chunks = MIN_CHUNKS;
	}
	t->dg = mem_data_zalloc((t->lim.datagrams > 0 ? t->lim.datagrams : 1) * sizeof(*t->dg));
	t->bucket = mem_data_zalloc(nb * sizeof(*t->bucket));
	t->arena = mem_data_zalloc((size_t)t->n_chunks * CHUNK);
	t->free_chunk = mem_data_zalloc((size_t)t->n_chunks * sizeof(*t->free_chunk));
	t->out = mem_data_zalloc(t->lim.max_bytes > 0 ? t->lim.max_bytes : 1);
	if (t->dg == NULL || t->bucket == NULL || t->arena == NULL || t->free_chunk == NULL ||
	    t->out == NULL) {
		goto fail;
	}
	for (i = t->lim.datagrams; i-- > 0;) {
		t->dg[i].hnext = t->free_dg;
		t->free_dg = i + 1;
	}
	for (i = 0; i < t->n_chunks; i++) {
		t->free_chunk[i] = t->n_chunks - 1 - i;
	}
	t->n_free_chunks = t->n_chunks;
	t->oldest = t->newest = NONE;
	return t;
fail:
	ipfrag_free(t);
	return NULL;
}

void
ipfrag_free(struct ipfrag *t)
{
	if (t == NULL) {
		return;
	}
	mem_data_free(t->out);
	mem_data_free(t->free_chunk);
	mem_data_free(t->arena);
	mem_data_free(t->bucket);
	mem_data_free(t->dg);
	free(t);
}

uint32_t
ipfrag_pending(const struct ipfrag *t)
{
	return t->pending;
}

uint32_t
ipfrag_chunks_free(const struct ipfrag *t)
{
	return t->n_free_chunks;
}

/* Unlink slot <i> from its bucket and the age list, give back its chunks and the slot. */
static void
dg_drop(struct ipfrag *t, uint32_t i)
{
	struct dg *g = &t->dg[i];
	struct decoded key;
	uint32_t *link;
	uint32_t k;

	memcpy(key.src, g->src, 16);
	memcpy(key.dst, g->dst, 16);
	key.ip_id = g->id;
	key.is_ip6 = g->is_ip6;
	key.proto = g->proto;
	link = &t->bucket[key_hash(&key) & t->hmask];

	while (*link != i + 1) {
		link = &t->dg[*link - 1].hnext;
	}
	*link = g->hnext;
	if (g->older == NONE) {
		t->oldest = g->newer;
	} else {
		t->dg[g->older].newer = g->newer;
	}
	if (g->newer == NONE) {
		t->newest = g->older;
	} else {
		t->dg[g->newer].older = g->older;
	}
	for (k = 0; k < DG_CHUNKS; k++) {
		if (g->chunk[k] != 0) {
			t->free_chunk[t->n_free_chunks++] = g->chunk[k] - 1;
		}
	}
	memset(g, 0, sizeof(*g));
	g->hnext = t->free_dg;
	t->free_dg = i + 1;
	t->pending--;
}

/*
 * The slot of (src, dst, id, proto), created if absent at <now_ns>; NONE when
 * the table is full (counted).
 */
static uint32_t
lookup(struct ipfrag *t, const struct decoded *d, uint64_t now_ns)
{
	uint32_t h = key_hash(d) & t->hmask;
	uint32_t i = t->bucket[h];
	struct dg *g;

	while (i != 0) {
		if (key_eq(&t->dg[i - 1], d)) {
			return i - 1;
		}
		i = t->dg[i - 1].hnext;
	}
	if (t->free_dg == 0) {
		counters_inc(t->c, CNT_ip_frag_limit);
		return NONE;
	}
	i = t->free_dg - 1;
	g = &t->dg[i];
	t->free_dg = g->hnext;
	memcpy(g->src, d->src, 16);
	memcpy(g->dst, d->dst, 16);
	g->id = d->ip_id;
	g->is_ip6 = d->is_ip6;
	g->proto = d->proto;
	g->first_ns = now_ns;
	g->hnext = t->bucket[h];
	t->bucket[h] = i + 1;
	g->newer = NONE;
	g->older = t->newest;
	if (t->newest == NONE) {
		t->oldest = i;
	} else {
		t->dg[t->newest].newer = i;
	}
	t->newest = i;
	t->pending++;
	return i;
}

/* Copy <src> to payload bytes [a, b) of <g>, taking chunks as needed. False: arena empty. */
static bool
put(struct ipfrag *t, struct dg *g, uint32_t a, uint32_t b, const uint8_t *src)
{
	while (a < b) {
		uint32_t k = a >> CHUNK_SHIFT;
		uint32_t in = a & (CHUNK - 1);
		uint32_t n = CHUNK - in < b - a ? CHUNK - in : b - a;

		if (g->chunk[k] == 0) {
			if (t->n_free_chunks == 0) {
				return false;
			}
			g->chunk[k] = t->free_chunk[--t->n_free_chunks] + 1;
		}
		memcpy(t->arena + (size_t)(g->chunk[k] - 1) * CHUNK + in, src, n);
		src += n;
		a += n;
	}
	return true;
}

/*
 * Copy the bytes of [a, b) (from <src>, which holds byte a) that no received
 * range covers: the first copy wins. Sets <*overlap> if any byte was covered.
 */
static bool
put_new(struct ipfrag *t, struct dg *g, uint32_t a, uint32_t b, const uint8_t *src, bool *overlap)
{
	uint32_t pos = a, r;

	for (r = 0; r < g->n_ranges && pos < b; r++) {
		const struct range *x = &g->range[r];

		if (x->end <= pos) {
			continue;
		}
		if (x->start >= b) {
			break;
		}
		if (x->start > pos && !put(t, g, pos, x->start, src + (pos - a))) {
			return false;
		}
		*overlap = true;
		pos = x->end;
	}
	if (pos < b && !put(t, g, pos, b, src + (pos - a))) {
		return false;
	}
	return true;
}

/*
 * Merge [a, b) into the sorted, disjoint, non-adjacent ranges of <g>. False,
 * with <g> unchanged, when that would need more than IPFRAG_MAX_RANGES.
 */
static bool
merge(struct dg *g, uint32_t a, uint32_t b)
{
	uint32_t lo = 0, hi, n = g->n_ranges;

	/* [lo, hi) are the ranges that touch or overlap [a, b) */
	while (lo < n && g->range[lo].end < a) {
		lo++;
	}
	hi = lo;
	while (hi < n && g->range[hi].start <= b) {
		hi++;
	}
	if (hi == lo) {
		if (n == IPFRAG_MAX_RANGES) {
			return false;
		}
		memmove(&g->range[lo + 1], &g->range[lo], (n - lo) * sizeof(g->range[0]));
		g->range[lo].start = a;
		g->range[lo].end = b;
		g->n_ranges++;
		return true;
	}
	if (g->range[lo].start < a) {
		a = g->range[lo].start;
	}
	if (g->range[hi - 1].end > b) {
		b = g->range[hi - 1].end;
	}
	g->range[lo].start = a;
	g->range[lo].end = b;
	memmove(&g->range[lo + 1], &g->range[hi], (n - hi) * sizeof(g->range[0]));
	g->n_ranges = (uint8_t)(n - (hi - lo - 1));
	return true;
}

/* Would merging [a, b) need a range slot that is not there? */
static bool
merge_fits(const struct dg *g, uint32_t a, uint32_t b)
{
	uint32_t r;

	if (g->n_ranges < IPFRAG_MAX_RANGES) {
		return true;
	}
	for (r = 0; r < g->n_ranges; r++) {
		if (g->range[r].end >= a && g->range[r].start <= b) {
			return true;
		}
	}
	return false;
}

/* Copy the complete payload of <g> out of its chunks. */
static struct span
gather(struct ipfrag *t, const struct dg *g)
{
	struct span s = { t->out, g->total };
	uint32_t k;

	for (k = 0; k * CHUNK < g->total; k++) {
		uint32_t n = g->total - k * CHUNK < CHUNK ? g->total - k * CHUNK : CHUNK;

		memcpy(t->out + (size_t)k * CHUNK, t->arena + (size_t)(g->chunk[k] - 1) * CHUNK, n);
	}
	return s;
}

enum ipfrag_rc
ipfrag_add(struct ipfrag *t, const struct decoded *d, uint64_t now_ns, struct span *out)
{
	const uint32_t a = d->frag_off;
	const uint32_t b = a + (uint32_t)d->payload.len;
	bool overlap = false;
	struct dg *g;
	uint32_t i;

	out->ptr = NULL;
	out->len = 0;
	ipfrag_expire(t, now_ns);
	i = lookup(t, d, now_ns);
	if (i == NONE) {
		return IPFRAG_DROP;
	}
	g = &t->dg[i];
	if (b > t->lim.max_bytes) {
		counters_inc(t->c, CNT_ip_frag_limit);
		goto drop;
	}
	/* RFC 791: the fragment without MF fixes the length; nothing may contradict it */
	if (!d->frag_more) {
		if ((g->have_last && g->total != b) ||
		    (g->n_ranges > 0 && g->range[g->n_ranges - 1].end > b)) {
			counters_inc(t->c, CNT_ip_frag_bad);
			goto drop;
		}
		g->have_last = true;
		g->total = b;
	} else if (g->have_last && b > g->total) {
		counters_inc(t->c, CNT_ip_frag_bad);
		goto drop;
	}
	if (!merge_fits(g, a, b)) {
		counters_inc(t->c, CNT_ip_frag_limit);
		goto drop;
	}
	if (!put_new(t, g, a, b, d->payload.ptr, &overlap)) {
		counters_inc(t->c, CNT_ip_frag_limit);
		goto drop;
	}
	merge(g, a, b);
	if (overlap) {
		counters_inc(t->c, CNT_ip_frag_overlap);
	}
	if (!g->have_last || g->n_ranges != 1 || g->range[0].start != 0 ||
	    g->range[0].end != g->total) {
		return IPFRAG_HELD;
	}
	*out = gather(t, g);
	counters_inc(t->c, CNT_ip_frag_reassembled);
	dg_drop(t, i);
	return IPFRAG_DONE;
drop:
	dg_drop(t, i);
	return IPFRAG_DROP;
}

void
ipfrag_expire(struct ipfrag *t, uint64_t now_ns)
{
	uint32_t n;

	for (n = 0; n < EXPIRE_BATCH && t->oldest != NONE; n++) {
		const struct dg *g = &t->dg[t->oldest];

		/* capture time that runs backwards expires nothing */
		if (now_ns < g->first_ns || now_ns - g->first_ns < t->lim.timeout_ns) {
			return;
		}
		counters_inc(t->c, CNT_ip_frag_timeout);
		dg_drop(t, t->oldest);
	}
}
