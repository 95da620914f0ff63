/*
 * The network layer of feedwatch-gen, checked by reading what it writes back
 * through feedwatch's own engine: every coding and TCP adversity must
 * reassemble into the documents (each item seen, the planted term alerting
 * with the URL the generator reports), a lost segment may hide only the items
 * it marks, fragments are reassembled or dropped (whichever feedwatch does),
 * and the frames carry valid checksums.
 */
#include "tools/gen/gen_net.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <brotli/decode.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "core/config.h"
#include "core/engine.h"
#include "feed/feed.h"
#include "guard.h"
#include "match/watchlist.h"

#define N_ITEMS    3
#define MAX_SEEN   64
#define MAX_ALERTS 64

static char dir[] = "/tmp/test_gen_net.XXXXXX";
static char path[256], path2[256];

static struct engine *eng;
static struct wl_set *set;
static struct fw_config *cfg;
static struct counters c __attribute__((aligned(64)));

static char seen[MAX_SEEN][64];
static int n_seen;
static struct alert_rec alerts[MAX_ALERTS];
static int n_alerts;
static struct alert_rec spare;

static struct alert_rec *
get_rec(void *arg)
{
	(void)arg;
	memset(&spare, 0, sizeof(spare));
	return &spare;
}

static void
submit_rec(void *arg, struct alert_rec *r)
{
	(void)arg;
	if (n_alerts < MAX_ALERTS) {
		alerts[n_alerts++] = *r;
	}
}

static void
item_seen(void *arg, const struct feed_item *it, struct span url)
{
	const struct span id = it->field[FEED_F_ID];

	(void)arg;
	(void)url;
	if (n_seen < MAX_SEEN && id.len < sizeof(seen[0])) {
		memcpy(seen[n_seen], id.ptr, id.len);
		seen[n_seen][id.len] = '\0';
		n_seen++;
	}
}

static struct span
hold_copy(void *ref, struct span data, void **handle)
{
	uint8_t *copy = malloc(data.len);

	(void)ref;
	memcpy(copy, data.ptr, data.len);
	*handle = copy;
	data.ptr = copy;
	return data;
}

static void
release_copy(void *handle)
{
	free(handle);
}

static const struct tcp_stream_ops copy_ops = { hold_copy, release_copy };

/* ---- a hand-made document: an RSS feed, 3 items, planted terms recorded ---- */

struct doc_store {
	struct gen_doc doc;
	struct gen_item items[N_ITEMS];
	struct gen_hit hits[2 * N_ITEMS];
	uint8_t body[16384];
};

static void
add(struct doc_store *s, const char *text)
{
	size_t n = strlen(text);

	CU_ASSERT_FATAL(s->doc.len + n <= sizeof(s->body));
	memcpy(s->body + s->doc.len, text, n);
	s->doc.len += n;
}

/* Appends <term> and records it as a planted hit of item <item>. */
static void
plant(struct doc_store *s, uint32_t item, const char *term, const char *field)
{
	struct gen_hit *h = &s->hits[s->doc.n_hits++];

	h->item = item;
	h->term = term;
	h->field = field;
	h->kind = "name";
	h->how = "plain";
	h->at = s->doc.len;
	h->at_len = strlen(term);
	add(s, term);
}

/* Prose that compresses like real text does, not like a repeated sentence. */
static void
add_prose(struct doc_store *s, uint32_t seed, int words)
{
	static const char *const w[] = { "officials", "met",     "for",       "a",      "long",
		                         "day",       "of",      "talks",     "on",     "trade,",
		                         "energy",    "and",     "security.", "More",   "meetings",
		                         "are",       "planned", "in",        "spring", "said",
		                         "the",       "report",  "markets",   "rose" };
	uint32_t x = seed * 2654435761u + 1;
	int i;

	for (i = 0; i < words; i++) {
		x = x * 1103515245u + 12345u;
		add(s, w[(x >> 16) % (sizeof(w) / sizeof(w[0]))]);
		add(s, " ");
	}
}

static void
make_doc(struct doc_store *s, int d)
{
	char buf[128];
	uint32_t i;

	memset(s, 0, sizeof(*s));
	s->doc.body = s->body;
	s->doc.items = s->items;
	s->doc.hits = s->hits;
	s->doc.format = GEN_FMT_RSS2;
	snprintf(s->doc.content_type, sizeof(s->doc.content_type), "application/rss+xml");
	snprintf(s->doc.host, sizeof(s->doc.host), "news%d.example", d);
	snprintf(s->doc.path, sizeof(s->doc.path), "/feeds/%d/rss.xml", d);
	add(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>"
	       "<title>Generated wire</title>\n");
	for (i = 0; i < N_ITEMS; i++) {
		s->items[i].start = s->doc.len;
		add(s, "<item><title>Talks in ");
		plant(s, i, "Moscow", "title");
		add(s, " resume</title><description>");
		add_prose(s, (uint32_t)d * 16 + i, 180);
		plant(s, i, "Sergei Lavrov", "summary");
		add(s, " spoke afterwards.</description>");
		snprintf(buf, sizeof(buf), "<guid>d%d-i%u</guid></item>\n", d, i);
		snprintf(s->items[i].id, sizeof(s->items[i].id), "d%d-i%u", d, i);
		add(s, buf);
		s->items[i].end = s->doc.len;
		s->doc.n_items++;
	}
	add(s, "</channel></rss>\n");
}

/* ---- reading a capture back ---- */

static uint8_t *
slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf = NULL;
	long n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	CU_ASSERT_FATAL(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

typedef void frame_fn(const uint8_t *frame, size_t len, void *arg);

/* Calls <fn> on every frame of the classic pcap <p>; returns the frame count. */
static int
each_frame(const char *p, frame_fn *fn, void *arg)
{
	size_t len, off = 24;
	uint8_t *buf = slurp(p, &len);
	uint32_t hdr[6], rec[4];
	int n = 0;

	CU_ASSERT_FATAL(len >= 24);
	memcpy(hdr, buf, sizeof(hdr));
	CU_ASSERT_EQUAL(hdr[0], 0xa1b2c3d4u);
	CU_ASSERT_EQUAL(hdr[1], 2u | (4u << 16));
	CU_ASSERT_EQUAL(hdr[4], 262144u);
	CU_ASSERT_EQUAL(hdr[5], 1u);
	while (off + 16 <= len) {
		memcpy(rec, buf + off, sizeof(rec));
		CU_ASSERT_FATAL(rec[2] == rec[3] && off + 16 + rec[2] <= len);
		fn(buf + off + 16, rec[2], arg);
		off += 16 + rec[2];
		n++;
	}
	CU_ASSERT_EQUAL(off, len);
	free(buf);
	return n;
}

static void
to_engine(const uint8_t *frame, size_t len, void *arg)
{
	(void)arg;
	engine_packet(eng, frame, len, 1000, 2000, NULL);
}

static void
replay(const char *p)
{
	n_seen = 0;
	n_alerts = 0;
	memset(&c, 0, sizeof(c));
	each_frame(p, to_engine, NULL);
	engine_flush(eng);
}

static bool
was_seen(const char *id)
{
	int i;

	for (i = 0; i < n_seen; i++) {
		if (strcmp(seen[i], id) == 0) {
			return true;
		}
	}
	return false;
}

static int
alerts_for(const char *url)
{
	int i, n = 0;

	for (i = 0; i < n_alerts; i++) {
		n += strcmp(alerts[i].feed_url, url) == 0;
	}
	return n;
}

/* ---- checking frames independently of the generator ---- */

struct frame_stats {
	int frames, ip4, ip4_bad, l4_bad, frags, mf, vlan;
	uint8_t stream[65536]; /* server payload bytes in capture order */
	size_t stream_len;
};

static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (n % 2 != 0) {
		acc += (uint32_t)p[n - 1] << 8;
	}
	return acc;
}

static uint16_t
fold(uint32_t acc)
{
	while (acc >> 16) {
		acc = (acc & 0xffff) + (acc >> 16);
	}
	return (uint16_t)acc;
}

/* A TCP header whose source port is the generator's server port (80 or 8080). */
static bool
is_server(const uint8_t *tcp)
{
	const unsigned port = (unsigned)(tcp[0] << 8 | tcp[1]);

	return port == 80 || port == 8080;
}

/* Checks checksums the straightforward way (RFC 1071), independent of the generator. */
static void
check_frame(const uint8_t *f, size_t len, void *arg)
{
	struct frame_stats *st = arg;
	size_t h = 14, l4len, hl;
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
	const uint8_t *ip, *l4;
	uint8_t pseudo[40];
	uint32_t acc;
	int proto;

	st->frames++;
	if (et == 0x8100) {
		st->vlan++;
		et = (uint16_t)(f[16] << 8 | f[17]);
		h = 18;
	}
	ip = f + h;
	if (et == 0x0800) {
		st->ip4++;
		hl = 20;
		CU_ASSERT_EQUAL((size_t)(ip[2] << 8 | ip[3]), len - h);
		st->ip4_bad += fold(sum16(ip, 20, 0)) != 0xffff;
		if ((ip[6] & 0x3f) != 0 || ip[7] != 0) {
			st->frags++;
			st->mf += (ip[6] & 0x20) != 0;
			CU_ASSERT((ip[6] & 0x20) == 0 || (len - h - 20) % 8 == 0);
			return;
		}
		proto = ip[9];
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = (uint8_t)proto;
		l4len = len - h - hl;
		pseudo[10] = (uint8_t)(l4len >> 8);
		pseudo[11] = (uint8_t)l4len;
		acc = sum16(pseudo, 12, 0);
	} else {
		CU_ASSERT_EQUAL_FATAL(et, 0x86dd);
		hl = 40;
		proto = ip[6];
		l4len = len - h - hl;
		CU_ASSERT_EQUAL((size_t)(ip[4] << 8 | ip[5]), l4len);
		memcpy(pseudo, ip + 8, 32);
		memset(pseudo + 32, 0, 8);
		pseudo[34] = (uint8_t)(l4len >> 8);
		pseudo[35] = (uint8_t)l4len;
		pseudo[39] = (uint8_t)proto;
		acc = sum16(pseudo, 40, 0);
	}
	l4 = ip + hl;
	st->l4_bad += fold(sum16(l4, l4len, acc)) != 0xffff;
	if (proto == 6 && is_server(l4) && l4len > 20 &&
	    st->stream_len + l4len - 20 <= sizeof(st->stream)) {
		memcpy(st->stream + st->stream_len, l4 + 20, l4len - 20);
		st->stream_len += l4len - 20;
	}
}

struct seq_cover {
	bool have_isn;
	uint32_t isn;
	uint32_t fin; /* where the stream ends */
	int n;
	uint32_t start[4096], end[4096]; /* relative to the server's ISN + 1 */
};

static void
record_server_seq(const uint8_t *f, size_t len, void *arg)
{
	struct seq_cover *sc = arg;
	const uint8_t *t = f + 34;
	uint32_t seq;

	if (len < 54 || f[23] != 6 || !is_server(t)) {
		return;
	}
	seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
	if ((t[13] & 0x02) != 0) {
		sc->have_isn = true;
		sc->isn = seq;
	} else if ((t[13] & 0x01) != 0) {
		sc->fin = seq - sc->isn - 1;
	} else if (len > 54 && sc->n < 4096) {
		sc->start[sc->n] = seq - sc->isn - 1;
		sc->end[sc->n] = seq - sc->isn - 1 + (uint32_t)(len - 54);
		sc->n++;
	}
}

/* Holes in the server's byte stream as sent: 1 when one segment was lost, else 0. */
static int
count_holes(const char *p)
{
	static struct seq_cover sc;
	uint32_t covered = 0;
	int holes = 0, i, j, best;

	memset(&sc, 0, sizeof(sc));
	each_frame(p, record_server_seq, &sc);
	CU_ASSERT_FATAL(sc.have_isn);
	for (;;) {
		/* the segment that starts first, at or before what is covered, extends it */
		best = -1;
		for (i = 0; i < sc.n; i++) {
			if (sc.end[i] > covered && (best < 0 || sc.start[i] < sc.start[best])) {
				best = i;
			}
		}
		if (best < 0) {
			return holes + (covered < sc.fin);
		}
		for (j = 0; j < sc.n; j++) {
			if (sc.start[j] <= covered && sc.end[j] > covered) {
				best = j;
				break;
			}
		}
		holes += sc.start[best] > covered;
		covered = sc.end[best];
	}
}

/* ---- generating ---- */

static struct doc_store docs[3];

static int
generate(const char *p, const struct gen_conn_opts *o, uint64_t seed, uint32_t n)
{
	struct gen_doc *dv[3];
	struct gen_rng rng = { seed };
	struct gen_pcap *pc = gen_pcap_open(p);
	uint32_t i;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	for (i = 0; i < n; i++) {
		make_doc(&docs[i], (int)i);
		dv[i] = &docs[i].doc;
	}
	rc = gen_net_http(pc, &rng, o, dv, n, (uint32_t)seed);
	CU_ASSERT_EQUAL(gen_pcap_close(pc), 0);
	return rc;
}

static const struct gen_conn_opts base = { .seg_min = 40, .seg_max = 600 };

/* The counters of the last replay that are not zero, to tell why something was missed. */
static void
dump_counters(void)
{
	int i;

	for (i = 0; i < CNT__MAX; i++) {
		if (c.v[i] != 0) {
			fprintf(stderr, " %s=%llu", counters_name(i), (unsigned long long)c.v[i]);
		}
	}
	fprintf(stderr, "\n");
}

/* Every item of the <n> documents was seen and each document alerted under its own URL. */
static void
check_all_seen(uint32_t n, const char *what)
{
	uint32_t d, i;
	int bad = 0;

	for (d = 0; d < n; d++) {
		for (i = 0; i < N_ITEMS; i++) {
			bad += !was_seen(docs[d].items[i].id);
		}
		bad += alerts_for(docs[d].doc.url) != N_ITEMS;
	}
	if (bad != 0) {
		fprintf(stderr, "\n%s: %d missing (seen %d items, %d alerts)\n", what, bad, n_seen,
		        n_alerts);
		dump_counters();
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* The last replay shows the conditions <o> asked for: the generator really applied them. */
static void
check_conditions(const struct gen_conn_opts *o, const char *what)
{
	const bool plain = o->coding == GEN_CODING_LENGTH || o->coding == GEN_CODING_CHUNKED ||
	                   o->coding == GEN_CODING_CLOSE;
	const bool has_br = o->coding == GEN_CODING_BR || o->coding == GEN_CODING_BR_CHUNKED ||
	                    o->coding == GEN_CODING_GZIP_BR;
	const bool reordered = strstr(docs[0].doc.adversity, "reorder") != NULL ||
	                       strstr(docs[1].doc.adversity, "reorder") != NULL ||
	                       strstr(docs[2].doc.adversity, "reorder") != NULL;
	const bool ok[] = {
		/* a short compressed stream may draw no swap: the generator then reports none */
		(o->reorder > 0 || !reordered) && reordered == (c.v[CNT_tcp_ooo_queued] > 0),
		(o->dup > 0 || o->overlap > 0) == (c.v[CNT_tcp_retrans_bytes] > 0),
		c.v[CNT_tcp_midstream] == (o->midstream ? 2u : 0u),
		(c.v[CNT_decode_ip6] > 0) == o->ipv6,
		(c.v[CNT_decode_vlan] > 0) == o->vlan,
		c.v[CNT_http_responses] == (o->with_304 ? 4u : 3u),
		c.v[CNT_http_unpaired] == 0,
		c.v[CNT_tcp_gap] == 0,
		/* how br bodies are counted is the HTTP stage's choice: seeing the items is the check */
		has_br || c.v[CNT_http_gzip] == (plain ? 0u : 3u),
		c.v[CNT_flow_closed] == 1,
		!o->wrap || strstr(docs[0].doc.adversity, "wrap") != NULL,
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (!ok[i]) {
			fprintf(stderr, "\n%s: condition %zu not met:", what, i);
			dump_counters();
		}
		CU_ASSERT(ok[i]);
	}
}

/* The adversities every coding is served with (segments of 40..600 bytes unless said). */
static const struct gen_conn_opts advs[10] = {
	{ .seg_min = 40, .seg_max = 600 },
	{ .seg_min = 40, .seg_max = 600, .reorder = 0.3 },
	{ .seg_min = 40, .seg_max = 600, .dup = 0.3 },
	{ .seg_min = 40, .seg_max = 600, .overlap = 0.3 },
	{ .seg_min = 40, .seg_max = 600, .wrap = true },
	{ .seg_min = 40, .seg_max = 600, .midstream = true, .reorder = 0.3 },
	{ .seg_min = 40, .seg_max = 600, .ipv6 = true, .vlan = true },
	{ .seg_min = 40, .seg_max = 600, .pipelined = true, .with_304 = true },
	{ .seg_min = 40,
	  .seg_max = 600,
	  .reorder = 0.2,
	  .dup = 0.2,
	  .overlap = 0.2,
	  .wrap = true,
	  .vlan = true },
	{ .seg_min = 1, .seg_max = 30, .reorder = 0.1, .with_304 = true },
};

static void
test_gen_net_every_coding_and_adversity_reassembles(void)
{
	struct gen_conn_opts o;
	char what[256];
	int cod, adv;
	uint64_t seed;

	for (cod = 0; cod < GEN_CODING__MAX; cod++) {
		for (adv = 0; adv < 10; adv++) {
			o = advs[adv];
			o.coding = (enum gen_coding)cod;
			for (seed = 1; seed <= 3; seed++) {
				CU_ASSERT_EQUAL_FATAL(
				        generate(path, &o, seed * 100 + (uint64_t)adv, 3), 0);
				replay(path);
				snprintf(what, sizeof(what), "%s adv %d seed %d (%s)",
				         gen_coding_name(o.coding), adv, (int)seed,
				         docs[0].doc.adversity);
				check_all_seen(3, what);
				check_conditions(&o, what);
				CU_ASSERT(o.midstream || o.ipv6 || o.vlan ||
				          count_holes(path) == 0);
				CU_ASSERT_STRING_EQUAL(docs[2].doc.coding,
				                       gen_coding_name(o.coding));
			}
		}
	}
}

/* ---- decoding the server stream independently of feedwatch ---- */

/* The Content-Encoding each coding must send ("" for none), in enum gen_coding order. */
static const char *const wire_ce[GEN_CODING__MAX] = { "",        "",         "gzip", "gzip",
	                                              "deflate", "br",       "br",   "deflate",
	                                              "x-gzip",  "gzip, br", "" };

struct wire_rsp {
	int status;
	char ce[32];
	bool chunked, close, length;
	uint8_t body[65536]; /* after the transfer coding */
	size_t len;
};

static const uint8_t *
find(const uint8_t *p, const uint8_t *end, const char *s)
{
	const uint8_t *q = memmem(p, (size_t)(end - p), s, strlen(s));

	return q == NULL ? end : q;
}

/* The response at *p in server stream [*p, end) into <r>, *p moved past it. */
static bool
parse_rsp(const uint8_t **p, const uint8_t *end, struct wire_rsp *r)
{
	const uint8_t *hend = find(*p, end, "\r\n\r\n"), *l, *q;
	size_t cl = 0, n;

	memset(r, 0, sizeof(*r));
	if (hend == end || sscanf((const char *)*p, "HTTP/1.1 %d", &r->status) != 1) {
		return false;
	}
	for (l = find(*p, hend, "\r\n") + 2; l < hend; l = find(l, hend + 2, "\r\n") + 2) {
		if (strncasecmp((const char *)l, "Content-Length: ", 16) == 0) {
			r->length = true;
			cl = strtoul((const char *)l + 16, NULL, 10);
		} else if (strncasecmp((const char *)l, "Transfer-Encoding: chunked\r", 27) == 0) {
			r->chunked = true;
		} else if (strncasecmp((const char *)l, "Connection: close\r", 18) == 0) {
			r->close = true;
		} else if (strncasecmp((const char *)l, "Content-Encoding: ", 18) == 0) {
			n = (size_t)(find(l, hend + 2, "\r\n") - (l + 18));
			snprintf(r->ce, sizeof(r->ce), "%.*s", (int)n, (const char *)l + 18);
		}
	}
	q = hend + 4;
	if (r->status == 304) {
		*p = q;
		return true;
	}
	if (r->chunked) {
		/* RFC 9112 §7.1; the last chunk's trailer section ends with an empty line */
		while ((n = strtoul((const char *)q, NULL, 16)) > 0) {
			q = find(q, end, "\r\n") + 2;
			if (q + n > end || r->len + n > sizeof(r->body)) {
				return false;
			}
			memcpy(r->body + r->len, q, n);
			r->len += n;
			q += n + 2;
		}
		*p = find(q, end, "\r\n\r\n") + 4;
		return *p <= end;
	}
	n = r->length ? cl : (size_t)(end - q); /* no length: until the close */
	if (q + n > end || n > sizeof(r->body)) {
		return false;
	}
	memcpy(r->body, q, n);
	r->len = n;
	*p = q + n;
	return true;
}

/* <in> inflated with zlib's <wbits> (the wrapper it must have); SIZE_MAX unless it all decodes. */
static size_t
unzip(int wbits, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream zs;
	int zrc;

	memset(&zs, 0, sizeof(zs));
	CU_ASSERT_FATAL(inflateInit2(&zs, wbits) == Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	zrc = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	return zrc == Z_STREAM_END && zs.avail_in == 0 ? cap - zs.avail_out : SIZE_MAX;
}

static size_t
unbr(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	return BrotliDecoderDecompress(n, in, &cap, out) == BROTLI_DECODER_RESULT_SUCCESS
	               ? cap
	               : SIZE_MAX;
}

/* <in> decoded as coding <cod> says it is encoded, into <out>; SIZE_MAX if it is not. */
static size_t
decode_as(enum gen_coding cod, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	static uint8_t mid[65536];
	size_t m;

	switch (cod) {
	case GEN_CODING_GZIP:
	case GEN_CODING_GZIP_CHUNKED:
	case GEN_CODING_X_GZIP:
		return unzip(15 + 16, in, n, out, cap);
	case GEN_CODING_DEFLATE:
		return unzip(15, in, n, out, cap);
	case GEN_CODING_DEFLATE_RAW:
		/* raw: no zlib header, so no zlib decoder takes it */
		return unzip(15, in, n, out, cap) == SIZE_MAX ? unzip(-15, in, n, out, cap)
		                                              : SIZE_MAX;
	case GEN_CODING_BR:
	case GEN_CODING_BR_CHUNKED:
		return unbr(in, n, out, cap);
	case GEN_CODING_GZIP_BR:
		/* RFC 9110 §8.4: "gzip, br" was gzipped first, so br comes off first */
		m = unbr(in, n, mid, sizeof(mid));
		return m == SIZE_MAX ? m : unzip(15 + 16, mid, m, out, cap);
	default:
		CU_ASSERT_FATAL(n <= cap);
		memcpy(out, in, n);
		return n;
	}
}

static void
test_gen_net_every_coding_decodes_to_the_document(void)
{
	static struct frame_stats st;
	static struct seq_cover sc;
	static struct wire_rsp r;
	static uint8_t out[65536];
	struct gen_conn_opts o;
	const uint8_t *p;
	enum gen_coding dc;
	uint32_t d;
	int cod, seed;

	for (cod = 0; cod < GEN_CODING__MAX; cod++) {
		for (seed = 1; seed <= 4; seed++) {
			o = base;
			o.coding = (enum gen_coding)cod;
			o.pipelined = seed % 2 == 0;
			o.with_304 = seed >= 3;
			CU_ASSERT_EQUAL_FATAL(generate(path, &o, (uint64_t)seed, 3), 0);
			memset(&st, 0, sizeof(st));
			memset(&sc, 0, sizeof(sc));
			each_frame(path, check_frame, &st);
			each_frame(path, record_server_seq, &sc);
			/* the server's FIN comes right after the last response */
			CU_ASSERT_EQUAL(sc.fin, st.stream_len);
			p = st.stream;
			if (o.with_304) {
				CU_ASSERT_FATAL(parse_rsp(&p, p + st.stream_len, &r));
				CU_ASSERT_EQUAL(r.status, 304);
			}
			for (d = 0; d < 3; d++) {
				/* close: the documents before the last on the connection have a length */
				dc = cod == GEN_CODING_CLOSE && d < 2 ? GEN_CODING_LENGTH
				                                      : o.coding;
				CU_ASSERT_STRING_EQUAL(docs[d].doc.coding, gen_coding_name(dc));
				CU_ASSERT_FATAL(parse_rsp(&p, st.stream + st.stream_len, &r));
				CU_ASSERT_EQUAL(r.status, 200);
				CU_ASSERT_STRING_EQUAL(r.ce, wire_ce[dc]);
				CU_ASSERT_EQUAL(r.chunked,
				                strstr(gen_coding_name(dc), "chunked") != NULL);
				CU_ASSERT_EQUAL(r.close, dc == GEN_CODING_CLOSE);
				CU_ASSERT_EQUAL(r.length, !r.chunked && !r.close);
				CU_ASSERT_EQUAL(decode_as(dc, r.body, r.len, out, sizeof(out)),
				                docs[d].doc.len);
				CU_ASSERT(memcmp(out, docs[d].doc.body, docs[d].doc.len) == 0);
			}
			CU_ASSERT(p == st.stream + st.stream_len);
		}
	}
}

static void
test_gen_net_br_varies_its_window(void)
{
	static struct frame_stats st;
	static struct wire_rsp r;
	struct gen_conn_opts o = base;
	const uint8_t *p;
	int seed, d, w22 = 0, w24 = 0;

	o.coding = GEN_CODING_BR;
	for (seed = 1; seed <= 12; seed++) {
		CU_ASSERT_EQUAL_FATAL(generate(path, &o, (uint64_t)seed, 3), 0);
		memset(&st, 0, sizeof(st));
		each_frame(path, check_frame, &st);
		p = st.stream;
		for (d = 0; d < 3; d++) {
			CU_ASSERT_FATAL(parse_rsp(&p, st.stream + st.stream_len, &r));
			/* RFC 7932 §9.1: WBITS in the low bits of the first byte, 1 then 3 bits */
			w22 += (r.body[0] & 0x0f) == (1 | (22 - 17) << 1);
			w24 += (r.body[0] & 0x0f) == (1 | (24 - 17) << 1);
		}
	}
	CU_ASSERT_EQUAL(w22 + w24, 36);
	CU_ASSERT(w24 > 0 && w22 > w24);
}

static void
test_gen_net_reports_url_coding_and_adversities(void)
{
	struct gen_conn_opts o = base;

	o.coding = GEN_CODING_GZIP_CHUNKED;
	o.reorder = o.dup = o.overlap = 1.0;
	o.midstream = o.ipv6 = o.vlan = o.pipelined = true;
	CU_ASSERT_EQUAL_FATAL(generate(path, &o, 7, 2), 0);
	CU_ASSERT_STRING_EQUAL(docs[0].doc.url, "http://news0.example/feeds/0/rss.xml");
	CU_ASSERT_STRING_EQUAL(docs[1].doc.url, "http://news1.example/feeds/1/rss.xml");
	CU_ASSERT_STRING_EQUAL(docs[0].doc.coding, "gzip+chunked");
	CU_ASSERT_STRING_EQUAL(docs[0].doc.adversity,
	                       "reorder,dup,overlap,midstream,ipv6,vlan,pipelined");
	o = base;
	o.wrap = true;
	CU_ASSERT_EQUAL_FATAL(generate(path, &o, 7, 2), 0);
	CU_ASSERT_STRING_EQUAL(docs[0].doc.adversity, "wrap");
	CU_ASSERT_STRING_EQUAL(docs[1].doc.adversity, "");
	CU_ASSERT_STRING_EQUAL(docs[0].doc.coding, "content-length");
	o.wrap = false;
	o.seg_min = 0;
	CU_ASSERT_EQUAL(generate(path, &o, 7, 2), -EINVAL);
}

static void
test_gen_net_lost_segment_hides_only_marked_items(void)
{
	struct gen_conn_opts o;
	uint32_t d, i;
	int cod, marked = 0, kept = 0, bad = 0, hidden = 0;
	uint64_t seed;

	for (cod = 0; cod < GEN_CODING__MAX; cod++) {
		for (seed = 1; seed <= 12; seed++) {
			o = base;
			o.coding = (enum gen_coding)cod;
			o.lose_one = true;
			o.reorder = seed % 3 == 0 ? 0.2 : 0;
			o.overlap = seed % 4 == 1 ? 0.5 : 0;
			o.dup = seed % 4 == 2 ? 0.5 : 0;
			CU_ASSERT_EQUAL_FATAL(generate(path, &o, seed, 3), 0);
			CU_ASSERT_EQUAL(count_holes(path), 1);
			replay(path);
			CU_ASSERT(strstr(docs[0].doc.adversity, "lose_one") != NULL ||
			          strstr(docs[1].doc.adversity, "lose_one") != NULL ||
			          strstr(docs[2].doc.adversity, "lose_one") != NULL);
			for (d = 0; d < 3; d++) {
				const bool lost_here =
				        strstr(docs[d].doc.adversity, "lose_one") != NULL;

				for (i = 0; i < N_ITEMS; i++) {
					/* later documents are marked too; feedwatch steps over a hole */
					if (docs[d].items[i].undetectable) {
						marked += lost_here;
						hidden +=
						        lost_here && !was_seen(docs[d].items[i].id);
						continue;
					}
					kept++;
					if (!was_seen(docs[d].items[i].id)) {
						fprintf(stderr, "\n%s seed %d: %s not seen\n",
						        gen_coding_name(o.coding), (int)seed,
						        docs[d].items[i].id);
						bad++;
					}
				}
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* a loss always hides something, and with Content-Length not everything */
	CU_ASSERT(marked >= 3 * 12);
	CU_ASSERT(kept > 0);
	/* and the loss is real: most of what is marked never reaches feedwatch */
	CU_ASSERT(hidden > marked / 2);
}

static void
test_gen_net_loss_marks_items_from_the_lost_byte_on(void)
{
	struct gen_conn_opts o = base;
	uint64_t seed;
	uint32_t d, i;
	int partial = 0;

	/* Content-Length: within the document hit, marked items form a suffix */
	o.lose_one = true;
	for (seed = 1; seed <= 20; seed++) {
		CU_ASSERT_EQUAL_FATAL(generate(path, &o, seed, 3), 0);
		for (d = 0; d < 3; d++) {
			bool any = false;

			for (i = 0; i < N_ITEMS; i++) {
				CU_ASSERT(!any || docs[d].items[i].undetectable);
				any = any || docs[d].items[i].undetectable;
			}
			partial += any && !docs[d].items[0].undetectable;
			if (any && d + 1 < 3) {
				CU_ASSERT(docs[d + 1].items[0].undetectable);
			}
		}
	}
	CU_ASSERT(partial > 0);
}

static void
test_gen_net_frames_have_valid_lengths_and_checksums(void)
{
	static struct frame_stats st;
	struct gen_conn_opts o = base;

	o.reorder = o.dup = o.overlap = 0.2;
	o.coding = GEN_CODING_GZIP_CHUNKED;
	o.vlan = true;
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL_FATAL(generate(path, &o, 42, 2), 0);
	each_frame(path, check_frame, &st);
	CU_ASSERT(st.frames > 12);
	CU_ASSERT_EQUAL(st.ip4, st.frames);
	CU_ASSERT_EQUAL(st.vlan, st.frames);
	CU_ASSERT_EQUAL(st.ip4_bad, 0);
	CU_ASSERT_EQUAL(st.l4_bad, 0);
	o.ipv6 = true;
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL_FATAL(generate(path, &o, 43, 2), 0);
	each_frame(path, check_frame, &st);
	CU_ASSERT_EQUAL(st.ip4, 0);
	CU_ASSERT_EQUAL(st.l4_bad, 0);
}

static void
test_gen_net_fragments_server_segments(void)
{
	static struct frame_stats st;
	struct gen_conn_opts o = base;

	o.frag = true;
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL_FATAL(generate(path, &o, 5, 2), 0);
	CU_ASSERT(strstr(docs[0].doc.adversity, "frag") != NULL);
	each_frame(path, check_frame, &st);
	CU_ASSERT(st.frags > 0);
	CU_ASSERT(st.mf > 0 && st.mf < st.frags);
	CU_ASSERT_EQUAL(st.ip4_bad, 0);
	CU_ASSERT_EQUAL(st.l4_bad, 0);
	replay(path);
	CU_ASSERT_EQUAL(c.v[CNT_ip_frag_bad], 0);
	if (c.v[CNT_ip_frag_reassembled] > 0) {
		/* feedwatch reassembles IPv4: the documents come through whole */
		CU_ASSERT_EQUAL(c.v[CNT_ip_frag_reassembled], (uint64_t)(st.frags - st.mf));
		check_all_seen(2, "fragments reassembled");
	} else {
		/* feedwatch drops fragments: nothing of the server side gets through */
		CU_ASSERT_EQUAL(c.v[CNT_decode_ip_frag], (uint64_t)st.frags);
		CU_ASSERT_EQUAL(n_seen, 0);
	}
}

static int
count(const uint8_t *p, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;
	int m = 0;

	for (i = 0; i + k <= n; i++) {
		m += memcmp(p + i, needle, k) == 0;
	}
	return m;
}

static void
count_whole_terms(const uint8_t *f, size_t len, void *arg)
{
	int *n = arg;

	if (len > 54 && is_server(f + 34)) {
		*n += count(f + 54, len - 54, "Sergei Lavrov") + count(f + 54, len - 54, "Moscow");
	}
}

static void
test_gen_net_cuts_segments_and_chunks_inside_terms(void)
{
	static struct frame_stats st;
	struct gen_conn_opts o = base;
	int n = 0;
	uint64_t seed;

	/* segments so large that a chance straddle is rare: the cuts are made on purpose */
	o.seg_min = o.seg_max = 1400;
	for (seed = 1; seed <= 4; seed++) {
		CU_ASSERT_EQUAL_FATAL(generate(path, &o, seed, 1), 0);
		each_frame(path, count_whole_terms, &n);
	}
	CU_ASSERT(n < 4 * 2 * N_ITEMS * 3 / 4);
	CU_ASSERT(n > 0);
	/* chunked, one segment per frame in order: the terms are cut in the chunked stream */
	o.coding = GEN_CODING_CHUNKED;
	o.seg_min = o.seg_max = 65000;
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL_FATAL(generate(path, &o, 9, 1), 0);
	each_frame(path, check_frame, &st);
	CU_ASSERT(count(st.stream, st.stream_len, "Moscow") +
	                  count(st.stream, st.stream_len, "Sergei Lavrov") <
	          2 * N_ITEMS);
	replay(path);
	check_all_seen(1, "chunked cut inside terms");
	/* gzip: full flushes inside terms leave their sync marker (00 00 ff ff) in the stream */
	o.coding = GEN_CODING_GZIP;
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL_FATAL(generate(path, &o, 9, 3), 0);
	each_frame(path, check_frame, &st);
	n = 0;
	for (seed = 0; seed + 4 <= st.stream_len; seed++) {
		n += memcmp(st.stream + seed, "\0\0\xff\xff", 4) == 0;
	}
	CU_ASSERT(n >= 3);
	replay(path);
	check_all_seen(3, "gzip flushed inside terms");
}

static void
test_gen_net_same_seed_gives_the_same_bytes(void)
{
	struct gen_conn_opts o = base;
	size_t a_len, b_len;
	uint8_t *a, *b;

	o.coding = GEN_CODING_GZIP;
	o.reorder = o.dup = o.overlap = 0.2;
	o.lose_one = o.wrap = true;
	CU_ASSERT_EQUAL_FATAL(generate(path, &o, 77, 3), 0);
	CU_ASSERT_EQUAL_FATAL(generate(path2, &o, 77, 3), 0);
	a = slurp(path, &a_len);
	b = slurp(path2, &b_len);
	CU_ASSERT_EQUAL_FATAL(a_len, b_len);
	CU_ASSERT(memcmp(a, b, a_len) == 0);
	free(b);
	CU_ASSERT_EQUAL_FATAL(generate(path2, &o, 78, 3), 0);
	b = slurp(path2, &b_len);
	CU_ASSERT(a_len != b_len || memcmp(a, b, a_len) != 0);
	free(a);
	free(b);
}

static void
test_gen_net_udp_datagram_reaches_feedwatch(void)
{
	static struct frame_stats st;
	struct gen_rng rng = { 3 };
	struct gen_pcap *pc;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		pc = gen_pcap_open(path);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
		make_doc(&docs[0], 0);
		CU_ASSERT_EQUAL(gen_net_udp(pc, &rng, &docs[0].doc, 5140, v6 != 0, 513), 0);
		CU_ASSERT_EQUAL(gen_pcap_frames(pc), 1);
		CU_ASSERT_EQUAL(gen_pcap_close(pc), 0);
		memset(&st, 0, sizeof(st));
		CU_ASSERT_EQUAL(each_frame(path, check_frame, &st), 1);
		CU_ASSERT_EQUAL(st.l4_bad, 0);
		CU_ASSERT_EQUAL(st.ip4_bad, 0);
		CU_ASSERT_STRING_EQUAL(docs[0].doc.coding, "udp");
		CU_ASSERT_STRING_EQUAL(docs[0].doc.url, v6 != 0 ? "udp://[2001:db8:2::202]:5140"
		                                                : "udp://198.19.2.2:5140");
		replay(path);
		CU_ASSERT_EQUAL(n_seen, N_ITEMS);
		CU_ASSERT_EQUAL(alerts_for(docs[0].doc.url), N_ITEMS);
	}
}

static void
test_gen_net_udp_rejects_a_document_over_one_datagram(void)
{
	struct gen_rng rng = { 3 };
	struct gen_pcap *pc = gen_pcap_open(path);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	make_doc(&docs[0], 0);
	docs[0].doc.len = 65508;
	CU_ASSERT_EQUAL(gen_net_udp(pc, &rng, &docs[0].doc, 5140, false, 1), -EMSGSIZE);
	CU_ASSERT_EQUAL(gen_pcap_frames(pc), 0);
	CU_ASSERT_EQUAL(gen_pcap_bytes(pc), 24);
	CU_ASSERT_EQUAL(gen_pcap_close(pc), 0);
}

static void
test_gen_pcap_clock_advances_by_the_gap(void)
{
	static const uint8_t frame[60] = { 1 };
	struct gen_pcap *pc = gen_pcap_open(path);
	size_t len;
	uint8_t *buf;
	uint32_t rec[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
	CU_ASSERT_EQUAL(gen_pcap_frame(pc, frame, sizeof(frame), 999999), 0);
	CU_ASSERT_EQUAL(gen_pcap_frame(pc, frame, sizeof(frame), 2), 0);
	CU_ASSERT_EQUAL(gen_pcap_frames(pc), 2);
	CU_ASSERT_EQUAL(gen_pcap_bytes(pc), 24 + 2 * (16 + 60));
	CU_ASSERT_EQUAL(gen_pcap_close(pc), 0);
	buf = slurp(path, &len);
	CU_ASSERT_EQUAL_FATAL(len, 24 + 2 * (16 + 60));
	memcpy(rec, buf + 24, sizeof(rec));
	CU_ASSERT_EQUAL(rec[0], 1767225600u);
	CU_ASSERT_EQUAL(rec[1], 999999u);
	memcpy(rec, buf + 24 + 76, sizeof(rec));
	CU_ASSERT_EQUAL(rec[0], 1767225601u);
	CU_ASSERT_EQUAL(rec[1], 1u);
	free(buf);
	CU_ASSERT_PTR_NULL(gen_pcap_open("/nonexistent-dir/x.pcap"));
	CU_ASSERT_EQUAL(gen_pcap_close(NULL), 0);
}

static int
setup(void)
{
	static const char *const paths[] = { "../../configs/watchlists" };
	struct engine_ops ops = { .alert_get = get_rec,
		                  .alert_submit = submit_rec,
		                  .tcp = &copy_ops,
		                  .item_seen = item_seen };
	char *err = NULL;

	if (guard_mkdtemp(dir) != 0) {
		return -1;
	}
	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	snprintf(path2, sizeof(path2), "%s/b.pcap", dir);
	cfg = config_load(NULL, &err);
	set = wl_set_load(paths, 1, &err);
	if (cfg == NULL || set == NULL) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return -1;
	}
	cfg->flows = 64;
	cfg->feed_parsers = 4;
	cfg->max_item = 65536;
	/* every case replays the same generated items through one engine */
	cfg->dedup_window_s = 0;
	eng = engine_create(cfg, &ops, &c);
	if (eng == NULL || engine_set_watchlists(eng, set) != 0) {
		return -1;
	}
	return 0;
}

static int
teardown(void)
{
	engine_free(eng);
	wl_set_free(set);
	config_free(cfg);
	return guard_rmtree(dir);
}

int
main(void)
{
	CU_pSuite s;

	CU_initialize_registry();
	s = CU_add_suite("gen_net", setup, teardown);
	CU_add_test(s, "every coding and adversity reassembles",
	            test_gen_net_every_coding_and_adversity_reassembles);
	CU_add_test(s, "every coding decodes to the document",
	            test_gen_net_every_coding_decodes_to_the_document);
	CU_add_test(s, "br varies its window", test_gen_net_br_varies_its_window);
	CU_add_test(s, "reports url, coding and adversities",
	            test_gen_net_reports_url_coding_and_adversities);
	CU_add_test(s, "lost segment hides only marked items",
	            test_gen_net_lost_segment_hides_only_marked_items);
	CU_add_test(s, "loss marks items from the lost byte on",
	            test_gen_net_loss_marks_items_from_the_lost_byte_on);
	CU_add_test(s, "frames have valid lengths and checksums",
	            test_gen_net_frames_have_valid_lengths_and_checksums);
	CU_add_test(s, "fragments server segments", test_gen_net_fragments_server_segments);
	CU_add_test(s, "cuts segments and chunks inside terms",
	            test_gen_net_cuts_segments_and_chunks_inside_terms);
	CU_add_test(s, "same seed gives the same bytes",
	            test_gen_net_same_seed_gives_the_same_bytes);
	CU_add_test(s, "UDP datagram reaches feedwatch",
	            test_gen_net_udp_datagram_reaches_feedwatch);
	CU_add_test(s, "UDP rejects a document over one datagram",
	            test_gen_net_udp_rejects_a_document_over_one_datagram);
	CU_add_test(s, "pcap clock advances by the gap", test_gen_pcap_clock_advances_by_the_gap);
	return guard_run_tests();
}
