/*
 * feedwatch-gen: writes a capture of feed traffic, the watchlists it is
 * matched against, and the ground truth (every item that must alert, with
 * each term and field), all from one seed. Operators use it to load-test a
 * deployment; the accuracy tests and benchmarks use it for known answers.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http/http-t.h"
#include "tools/gen/gen.h"
#include "tools/gen/gen_content.h"
#include "tools/gen/gen_net.h"

#define EXIT_USAGE 2

static const char usage_text[] =
        "usage: feedwatch-gen [options] -o CAPTURE.pcap\n"
        "  -o, --out FILE          the capture to write (required)\n"
        "  -t, --truth FILE        ground truth, NDJSON (default: CAPTURE.truth.ndjson)\n"
        "  -w, --watchlists DIR    where to write the watchlists (default: CAPTURE.watchlists)\n"
        "  -s, --seed N            same seed, same bytes (default 1)\n"
        "      --terms N           watchlist terms in all, 100..100000 (default 100)\n"
        "      --lists N           watchlists they are spread over (default 4)\n"
        "      --items N           stop after N items (default 1000)\n"
        "      --bytes SIZE        or after SIZE of capture (K, M, G suffixes; KiB..GiB too)\n"
        "      --csv FILE          item text from an ag_news-style CSV (default: synthetic)\n"
        "      --feeds DIR         or from a folder of real feeds\n"
        "      --formats LIST      weights, e.g. "
        "rss2=4,rdf=1,atom-text=1,atom-html=1,atom-xhtml=1,json=1\n"
        "      --charsets LIST     weights, e.g. utf-8=8,iso-8859-1=1,windows-1251=1\n"
        "      --declare WHERE     charset declared in: prolog, header, both, mix (default mix)\n"
        "      --codings LIST      weights of content-length, chunked, gzip, gzip+chunked, "
        "deflate\n"
        "                          (default 1 each); also br, br+chunked, deflate-raw, x-gzip,\n"
        "                          gzip+br, close (a connection drawing close serves its last\n"
        "                          document without a length, ended by the server's FIN)\n"
        "      --docs-per-conn N   keep-alive: up to N responses per connection (default 3)\n"
        "      --seg MIN-MAX       TCP payload sizes (default 200-1460)\n"
        "      --reorder P --dup P --overlap P   share of segments affected (default 0)\n"
        "      --wrap P --midstream P --loss P --ipv6 P --vlan P --frag P --pipelined P\n"
        "      --not-modified P    share of connections with each condition (default 0)\n"
        "      --udp P             share of documents pushed over UDP instead (default 0)\n"
        "      --udp-port N        (default 5140)\n"
        "      --hit-rate P        share of items with planted hits (default 0.3)\n"
        "      --near-miss P       share of items with a near-miss that must not alert (default "
        "0.2)\n"
        "      --items-per-doc MIN-MAX  (default 5-20)\n";

struct weights {
	double w[16];
	uint32_t n;
};

_Static_assert(GEN_CODING__MAX <= 16 && GEN_FMT__MAX <= 16 && GEN_CS__MAX <= 16,
               "struct weights holds every name");

struct opts {
	const char *out, *truth, *wl_dir, *csv, *feeds;
	uint64_t seed, items, bytes;
	uint32_t terms, lists, docs_per_conn, seg_min, seg_max, items_min, items_max;
	uint16_t udp_port;
	struct weights formats, charsets, codings;
	int declare; /* -1: mix */
	double reorder, dup, overlap, wrap, midstream, loss, ipv6, vlan, frag, pipelined, nm304;
	double udp, hit_rate, near_miss;
};

static int
usage(const char *msg)
{
	if (msg != NULL) {
		fprintf(stderr, "feedwatch-gen: %s\n", msg);
	}
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-') {
		return false;
	}
	*out = v;
	return true;
}

static bool
parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v < lo || v > hi) {
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static bool
parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v;
	uint64_t mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v <= 0) {
		return false;
	}
	switch (*end) {
	case 'K':
	case 'k':
		mult = 1ull << 10;
		break;
	case 'M':
		mult = 1ull << 20;
		break;
	case 'G':
		mult = 1ull << 30;
		break;
	case '\0':
		break;
	default:
		return false;
	}
	if (*end != '\0') {
		end++;
		if (strcmp(end, "iB") != 0 && strcmp(end, "B") != 0 && *end != '\0') {
			return false;
		}
	}
	*out = (uint64_t)(v * (double)mult);
	return true;
}

static bool
parse_prob(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 1) {
		return false;
	}
	*out = v;
	return true;
}

static bool
parse_range(const char *s, uint32_t lo, uint32_t hi, uint32_t *a, uint32_t *b)
{
	char buf[64];
	char *dash;

	if (strlen(s) >= sizeof(buf)) {
		return false;
	}
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash == NULL) {
		return parse_u32(buf, lo, hi, a) && (*b = *a, true);
	}
	*dash = '\0';
	return parse_u32(buf, lo, hi, a) && parse_u32(dash + 1, lo, hi, b) && *a <= *b;
}

/* "name=w,name=w" over the names <namer> gives for 0..n-1. */
static bool
parse_weights(const char *s, struct weights *w, uint32_t n, const char *(*namer)(int))
{
	char buf[512];
	char *tok, *save = NULL;
	uint32_t i;
	double sum = 0;

	if (strlen(s) >= sizeof(buf)) {
		return false;
	}
	strcpy(buf, s);
	memset(w, 0, sizeof(*w));
	w->n = n;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		double v = 1;

		if (eq != NULL) {
			char *end;

			*eq = '\0';
			v = strtod(eq + 1, &end);
			if (end == eq + 1 || *end != '\0' || v < 0) {
				return false;
			}
		}
		for (i = 0; i < n; i++) {
			if (strcmp(tok, namer((int)i)) == 0) {
				break;
			}
		}
		if (i == n) {
			fprintf(stderr, "feedwatch-gen: unknown name '%s'\n", tok);
			return false;
		}
		w->w[i] = v;
		sum += v;
	}
	return sum > 0;
}

static uint32_t
pick(struct gen_rng *rng, const struct weights *w)
{
	double sum = 0, r;
	uint32_t i;

	for (i = 0; i < w->n; i++) {
		sum += w->w[i];
	}
	r = (double)(gen_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0) * sum;
	for (i = 0; i < w->n; i++) {
		if (r < w->w[i]) {
			return i;
		}
		r -= w->w[i];
	}
	for (i = w->n; i > 0; i--) {
		if (w->w[i - 1] > 0) {
			return i - 1;
		}
	}
	return 0;
}

static const char *
format_namer(int i)
{
	return gen_format_name((enum gen_format)i);
}

static const char *
charset_namer(int i)
{
	return gen_charset_name((enum gen_charset)i);
}

static const char *
coding_namer(int i)
{
	return gen_coding_name((enum gen_coding)i);
}

static void
json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* One truth line per (item, watchlist) that must alert. */
static void
write_truth(FILE *f, const struct gen_doc *d, const struct gen_wl *wl, uint64_t *lines,
            uint64_t *undetectable)
{
	uint32_t i, h, w;

	for (i = 0; i < d->n_items; i++) {
		for (w = 0; w < gen_wl_count(wl); w++) {
			bool any = false;

			for (h = 0; h < d->n_hits; h++) {
				const struct gen_hit *hit = &d->hits[h];

				if (hit->item != i || hit->watchlist != w) {
					continue;
				}
				if (!any) {
					fputs("{\"url\":", f);
					json_str(f, d->url);
					fputs(",\"id\":", f);
					json_str(f, d->items[i].id);
					fputs(",\"title\":", f);
					json_str(f, d->items[i].title);
					fputs(",\"watchlist\":", f);
					json_str(f, gen_wl_name(wl, w));
					fprintf(f, ",\"undetectable\":%s,\"format\":",
					        d->items[i].undetectable ? "true" : "false");
					json_str(f, gen_format_name(d->format));
					fputs(",\"charset\":", f);
					json_str(f, gen_charset_name(d->charset));
					fputs(",\"coding\":", f);
					json_str(f, d->coding);
					fputs(",\"adversity\":", f);
					json_str(f, d->adversity);
					fputs(",\"hits\":[", f);
					any = true;
				} else {
					fputc(',', f);
				}
				fputs("{\"term\":", f);
				json_str(f, hit->term);
				fputs(",\"field\":", f);
				json_str(f, hit->field);
				fputs(",\"kind\":", f);
				json_str(f, hit->kind);
				fputs(",\"how\":", f);
				json_str(f, hit->how);
				fputc('}', f);
			}
			if (any) {
				fputs("]}\n", f);
				(*lines)++;
				*undetectable += d->items[i].undetectable;
			}
		}
	}
}

static int
generate(const struct opts *o)
{
	struct gen_rng rng = { o->seed };
	struct gen_content_opts co;
	struct gen_content *content = NULL;
	struct gen_wl *wl = NULL;
	struct gen_pcap *pcap = NULL;
	struct gen_doc *docs[64];
	FILE *truth = NULL;
	uint64_t items = 0, truth_lines = 0, undetectable = 0, docs_total = 0;
	uint32_t conn = 0, n = 0, i;
	int rc = 1, err;

	memset(docs, 0, sizeof(docs));
	wl = gen_wl_create(&rng, o->terms, o->lists);
	if (wl == NULL) {
		fprintf(stderr, "feedwatch-gen: cannot make %u terms\n", o->terms);
		goto out;
	}
	err = gen_wl_write(wl, o->wl_dir);
	if (err != 0) {
		fprintf(stderr, "feedwatch-gen: %s: %s\n", o->wl_dir, strerror(-err));
		goto out;
	}
	memset(&co, 0, sizeof(co));
	co.csv = o->csv;
	co.feeds_dir = o->feeds;
	co.items_min = o->items_min;
	co.items_max = o->items_max;
	co.hit_rate = o->hit_rate;
	co.near_miss_rate = o->near_miss;
	content = gen_content_create(&co, wl);
	if (content == NULL) {
		fprintf(stderr, "feedwatch-gen: cannot read the item text source\n");
		goto out;
	}
	pcap = gen_pcap_open(o->out);
	truth = fopen(o->truth, "w");
	if (pcap == NULL || truth == NULL) {
		fprintf(stderr, "feedwatch-gen: cannot write %s: %s\n",
		        pcap == NULL ? o->out : o->truth, strerror(errno));
		goto out;
	}
	fprintf(truth,
	        "{\"feedwatch_gen\":1,\"seed\":%llu,\"watchlists\":", (unsigned long long)o->seed);
	json_str(truth, o->wl_dir);
	fprintf(truth, ",\"terms\":%u}\n", o->terms);

	while ((o->bytes == 0 || gen_pcap_bytes(pcap) < o->bytes) &&
	       (o->bytes != 0 || items < o->items)) {
		struct gen_conn_opts c;
		uint32_t want = 1 + gen_rng_below(&rng, o->docs_per_conn);
		bool udp = gen_rng_chance(&rng, o->udp);

		memset(&c, 0, sizeof(c));
		c.coding = (enum gen_coding)pick(&rng, &o->codings);
		c.seg_min = o->seg_min;
		c.seg_max = o->seg_max;
		c.reorder = o->reorder;
		c.dup = o->dup;
		c.overlap = o->overlap;
		c.wrap = gen_rng_chance(&rng, o->wrap);
		c.midstream = gen_rng_chance(&rng, o->midstream);
		c.lose_one = gen_rng_chance(&rng, o->loss);
		c.ipv6 = gen_rng_chance(&rng, o->ipv6);
		c.vlan = gen_rng_chance(&rng, o->vlan);
		c.frag = !c.ipv6 && gen_rng_chance(&rng, o->frag);
		c.pipelined = gen_rng_chance(&rng, o->pipelined);
		c.with_304 = gen_rng_chance(&rng, o->nm304);
		if (udp) {
			want = 1;
		}
		/* feedwatch pairs at most HTTP_MAX_PENDING pipelined requests (the 304 is one) */
		if (c.pipelined && want + c.with_304 > HTTP_MAX_PENDING) {
			want = HTTP_MAX_PENDING - c.with_304;
		}
		for (n = 0; n < want; n++) {
			enum gen_format f = (enum gen_format)pick(&rng, &o->formats);
			enum gen_charset cs = f == GEN_FMT_JSON
			                              ? GEN_CS_UTF8
			                              : (enum gen_charset)pick(&rng, &o->charsets);
			enum gen_cs_decl decl = o->declare >= 0
			                                ? (enum gen_cs_decl)o->declare
			                                : (enum gen_cs_decl)gen_rng_below(&rng, 3);
			/* a datagram has no Content-Type: its charset must be in the prolog */
			if (udp && decl == GEN_CSD_HEADER) {
				decl = GEN_CSD_PROLOG;
			}

			docs[n] = gen_content_doc(content, &rng, f, cs, decl);
			if (docs[n] == NULL) {
				fprintf(stderr, "feedwatch-gen: cannot make a document\n");
				goto out;
			}
		}
		if (udp) {
			err = gen_net_udp(pcap, &rng, docs[0], o->udp_port, c.ipv6, conn);
			if (err == -EMSGSIZE) {
				err = gen_net_http(pcap, &rng, &c, docs, n, conn);
			}
		} else {
			err = gen_net_http(pcap, &rng, &c, docs, n, conn);
		}
		if (err != 0) {
			fprintf(stderr, "feedwatch-gen: writing %s: %s\n", o->out, strerror(-err));
			goto out;
		}
		conn++;
		for (i = 0; i < n; i++) {
			items += docs[i]->n_items;
			write_truth(truth, docs[i], wl, &truth_lines, &undetectable);
			gen_doc_free(docs[i]);
			docs[i] = NULL;
		}
		n = 0;
		docs_total += want;
	}
	fprintf(stderr,
	        "feedwatch-gen: %s: %llu frames, %llu bytes, %u connections, %llu documents, "
	        "%llu items; %s: %llu alerts expected (%llu undetectable); watchlists in %s\n",
	        o->out, (unsigned long long)gen_pcap_frames(pcap),
	        (unsigned long long)gen_pcap_bytes(pcap), conn, (unsigned long long)docs_total,
	        (unsigned long long)items, o->truth, (unsigned long long)truth_lines,
	        (unsigned long long)undetectable, o->wl_dir);
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		gen_doc_free(docs[i]);
	}
	if (truth != NULL && fclose(truth) != 0) {
		rc = 1;
	}
	if (pcap != NULL && gen_pcap_close(pcap) != 0) {
		rc = 1;
	}
	gen_content_free(content);
	gen_wl_free(wl);
	return rc;
}

int
main(int argc, char **argv)
{
	enum {
		O_TERMS = 256,
		O_LISTS,
		O_ITEMS,
		O_BYTES,
		O_CSV,
		O_FEEDS,
		O_FORMATS,
		O_CHARSETS,
		O_DECLARE,
		O_CODINGS,
		O_DPC,
		O_SEG,
		O_REORDER,
		O_DUP,
		O_OVERLAP,
		O_WRAP,
		O_MID,
		O_LOSS,
		O_IPV6,
		O_VLAN,
		O_FRAG,
		O_PIPE,
		O_304,
		O_UDP,
		O_UDP_PORT,
		O_HIT,
		O_NEAR,
		O_IPD
	};
	static const struct option lopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "truth", required_argument, NULL, 't' },
		{ "watchlists", required_argument, NULL, 'w' },
		{ "seed", required_argument, NULL, 's' },
		{ "terms", required_argument, NULL, O_TERMS },
		{ "lists", required_argument, NULL, O_LISTS },
		{ "items", required_argument, NULL, O_ITEMS },
		{ "bytes", required_argument, NULL, O_BYTES },
		{ "csv", required_argument, NULL, O_CSV },
		{ "feeds", required_argument, NULL, O_FEEDS },
		{ "formats", required_argument, NULL, O_FORMATS },
		{ "charsets", required_argument, NULL, O_CHARSETS },
		{ "declare", required_argument, NULL, O_DECLARE },
		{ "codings", required_argument, NULL, O_CODINGS },
		{ "docs-per-conn", required_argument, NULL, O_DPC },
		{ "seg", required_argument, NULL, O_SEG },
		{ "reorder", required_argument, NULL, O_REORDER },
		{ "dup", required_argument, NULL, O_DUP },
		{ "overlap", required_argument, NULL, O_OVERLAP },
		{ "wrap", required_argument, NULL, O_WRAP },
		{ "midstream", required_argument, NULL, O_MID },
		{ "loss", required_argument, NULL, O_LOSS },
		{ "ipv6", required_argument, NULL, O_IPV6 },
		{ "vlan", required_argument, NULL, O_VLAN },
		{ "frag", required_argument, NULL, O_FRAG },
		{ "pipelined", required_argument, NULL, O_PIPE },
		{ "not-modified", required_argument, NULL, O_304 },
		{ "udp", required_argument, NULL, O_UDP },
		{ "udp-port", required_argument, NULL, O_UDP_PORT },
		{ "hit-rate", required_argument, NULL, O_HIT },
		{ "near-miss", required_argument, NULL, O_NEAR },
		{ "items-per-doc", required_argument, NULL, O_IPD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char truth_buf[4096], wl_buf[4096];
	struct opts o;
	uint32_t port;
	int c;
	bool ok = true;

	memset(&o, 0, sizeof(o));
	o.seed = 1;
	o.terms = 100;
	o.lists = 4;
	o.items = 1000;
	o.docs_per_conn = 3;
	o.seg_min = 200;
	o.seg_max = 1460;
	o.items_min = 5;
	o.items_max = 20;
	o.udp_port = 5140;
	o.hit_rate = 0.3;
	o.near_miss = 0.2;
	o.declare = -1;
	parse_weights("rss2=4,rdf=1,atom-text=1,atom-html=1,atom-xhtml=1", &o.formats, GEN_FMT__MAX,
	              format_namer);
	parse_weights("utf-8=8,iso-8859-1=1", &o.charsets, GEN_CS__MAX, charset_namer);
	parse_weights("content-length=1,chunked=1,gzip=1,gzip+chunked=1,deflate=1", &o.codings,
	              GEN_CODING__MAX, coding_namer);
	while ((c = getopt_long(argc, argv, "o:t:w:s:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case 't':
			o.truth = optarg;
			break;
		case 'w':
			o.wl_dir = optarg;
			break;
		case 's':
			ok = parse_u64(optarg, &o.seed);
			break;
		case O_TERMS:
			ok = parse_u32(optarg, 100, 100000, &o.terms);
			break;
		case O_LISTS:
			ok = parse_u32(optarg, 1, 1000, &o.lists);
			break;
		case O_ITEMS:
			ok = parse_u64(optarg, &o.items) && o.items > 0;
			break;
		case O_BYTES:
			ok = parse_size(optarg, &o.bytes);
			break;
		case O_CSV:
			o.csv = optarg;
			break;
		case O_FEEDS:
			o.feeds = optarg;
			break;
		case O_FORMATS:
			ok = parse_weights(optarg, &o.formats, GEN_FMT__MAX, format_namer);
			break;
		case O_CHARSETS:
			ok = parse_weights(optarg, &o.charsets, GEN_CS__MAX, charset_namer);
			break;
		case O_DECLARE:
			o.declare = strcmp(optarg, "prolog") == 0   ? GEN_CSD_PROLOG
			            : strcmp(optarg, "header") == 0 ? GEN_CSD_HEADER
			            : strcmp(optarg, "both") == 0   ? GEN_CSD_BOTH
			            : strcmp(optarg, "mix") == 0    ? -1
			                                            : -2;
			ok = o.declare != -2;
			break;
		case O_CODINGS:
			ok = parse_weights(optarg, &o.codings, GEN_CODING__MAX, coding_namer);
			break;
		case O_DPC:
			ok = parse_u32(optarg, 1, 64, &o.docs_per_conn);
			break;
		case O_SEG:
			ok = parse_range(optarg, 1, 65000, &o.seg_min, &o.seg_max);
			break;
		case O_IPD:
			ok = parse_range(optarg, 1, 1000, &o.items_min, &o.items_max);
			break;
		case O_REORDER:
			ok = parse_prob(optarg, &o.reorder);
			break;
		case O_DUP:
			ok = parse_prob(optarg, &o.dup);
			break;
		case O_OVERLAP:
			ok = parse_prob(optarg, &o.overlap);
			break;
		case O_WRAP:
			ok = parse_prob(optarg, &o.wrap);
			break;
		case O_MID:
			ok = parse_prob(optarg, &o.midstream);
			break;
		case O_LOSS:
			ok = parse_prob(optarg, &o.loss);
			break;
		case O_IPV6:
			ok = parse_prob(optarg, &o.ipv6);
			break;
		case O_VLAN:
			ok = parse_prob(optarg, &o.vlan);
			break;
		case O_FRAG:
			ok = parse_prob(optarg, &o.frag);
			break;
		case O_PIPE:
			ok = parse_prob(optarg, &o.pipelined);
			break;
		case O_304:
			ok = parse_prob(optarg, &o.nm304);
			break;
		case O_UDP:
			ok = parse_prob(optarg, &o.udp);
			break;
		case O_UDP_PORT:
			ok = parse_u32(optarg, 1, 65535, &port);
			o.udp_port = (uint16_t)port;
			break;
		case O_HIT:
			ok = parse_prob(optarg, &o.hit_rate);
			break;
		case O_NEAR:
			ok = parse_prob(optarg, &o.near_miss);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage(NULL);
		}
		if (!ok) {
			fprintf(stderr, "feedwatch-gen: bad value for --%s: '%s'\n",
			        c < 256 ? (c == 's' ? "seed" : "?") : lopts[c - O_TERMS + 4].name,
			        optarg);
			return usage(NULL);
		}
	}
	if (optind < argc) {
		return usage("unexpected argument");
	}
	if (o.out == NULL) {
		return usage("--out is required");
	}
	if (o.truth == NULL) {
		snprintf(truth_buf, sizeof(truth_buf), "%s.truth.ndjson", o.out);
		o.truth = truth_buf;
	}
	if (o.wl_dir == NULL) {
		snprintf(wl_buf, sizeof(wl_buf), "%s.watchlists", o.out);
		o.wl_dir = wl_buf;
	}
	return generate(&o);
}
