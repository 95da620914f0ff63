/*
 * feedwatch-gen: realistic feed traffic with known answers.
 *
 * Two layers meet in struct gen_doc. The content layer (gen_content.c,
 * gen_wl.c) writes watchlists and feed documents with hits planted in chosen
 * items, and records for every planted hit the item, watchlist, term and
 * field (the ground truth), plus near-misses that must not alert. The network
 * layer (gen_net.c, gen_pcap.c) serves documents over HTTP/TCP or pushes them
 * over UDP into a pcap, with the transfer codings and TCP adversities asked
 * for, and marks the items a lost segment makes undetectable. Everything is
 * driven by one seeded RNG, so a seed gives the same bytes run to run.
 */
#ifndef FW_GEN_H
#define FW_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* splitmix64: small, fast, and the same sequence on every machine. */
struct gen_rng {
	uint64_t s;
};

static inline uint64_t
gen_rng_next(struct gen_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint32_t
gen_rng_below(struct gen_rng *r, uint32_t n)
{
	return (uint32_t)(((gen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability p (0..1). */
static inline bool
gen_rng_chance(struct gen_rng *r, double p)
{
	return (double)(gen_rng_next(r) >> 11) * (1.0 / 9007199254740992.0) < p;
}

enum gen_format {
	GEN_FMT_RSS2 = 0,
	GEN_FMT_RDF,
	GEN_FMT_ATOM_TEXT,
	GEN_FMT_ATOM_HTML,
	GEN_FMT_ATOM_XHTML,
	GEN_FMT_JSON,
	GEN_FMT__MAX
};

enum gen_charset { GEN_CS_UTF8 = 0, GEN_CS_LATIN1, GEN_CS_CP1251, GEN_CS__MAX };

/* Where a document declares its charset. */
enum gen_cs_decl {
	GEN_CSD_PROLOG = 0, /* XML declaration (JSON: always UTF-8, no declaration) */
	GEN_CSD_HEADER,     /* Content-Type charset= only */
	GEN_CSD_BOTH,
};

/* One planted hit: the item must alert on <watchlist> with <term> in <field>. */
struct gen_hit {
	uint32_t item;      /* index into gen_doc.items */
	uint32_t watchlist; /* index into the generated watchlists */
	const char *term;   /* as written in the watchlist file (owned by the watchlists) */
	const char *field;  /* "title", "summary" or "content" as feedwatch reports it */
	const char *kind;   /* term kind: "name", "phrase", "non-ascii", ... */
	const char *how;    /* how it was planted: "plain", "case", "entity", "cdata", ... */
	size_t at;          /* byte offset of the planted text in gen_doc.body (the network
			      * layer cuts segments, chunks and gzip flush points inside it) */
	size_t at_len;      /* its length in the body as encoded */
};

struct gen_item {
	char id[160];
	char title[320]; /* as feedwatch will report it (normalized UTF-8) */
	size_t start;    /* byte range of the item in gen_doc.body */
	size_t end;
	bool undetectable; /* set by the network layer: a lost segment hides it */
};

struct gen_doc {
	uint8_t *body; /* the document as served, before any transfer or content coding */
	size_t len;
	enum gen_format format;
	enum gen_charset charset;
	enum gen_cs_decl cs_decl;
	char content_type[128]; /* e.g. "application/rss+xml; charset=windows-1251" */
	char host[64];          /* for the request's Host header */
	char path[128];         /* request target */
	uint32_t n_items;
	struct gen_item *items;
	uint32_t n_hits;
	struct gen_hit *hits;
	/* set by the network layer */
	char url[256];       /* http://host/path or udp://addr:port, as feedwatch reports it */
	char coding[32];     /* "content-length", "chunked", "gzip+chunked", "udp", ... */
	char adversity[128]; /* comma-separated TCP conditions, "" if none */
};

/* Frees what <doc> owns and <doc>. Accepts NULL. */
void gen_doc_free(struct gen_doc *doc);

#endif
