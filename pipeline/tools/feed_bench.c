/*
 * feedwatch-feedbench: what the feed stage (parse + normalize, no matching)
 * costs per byte of document, against libexpat, a plain SAX parser doing the
 * same extraction, on the same bytes in one run.
 *
 * Every document is read into memory once, so file I/O is excluded. Each
 * round runs every document through four passes, in turn so that machine
 * noise hits all alike: the feed stage given the whole document
 * (feed_parse_document), the feed stage given 1,448-byte pieces (one TCP
 * segment's payload each, as the HTTP stage hands them over), and expat the
 * same two ways. expat's handlers copy the character data of the fields the
 * feed stage extracts into a per-item buffer bounded like feed.max_item and
 * count items at their end tag; they do not strip tags from escaped HTML,
 * decode HTML entities, fold whitespace or validate UTF-8, all of which the
 * feed stage does, so expat's figure is a floor rather than a peer.
 *
 * JSON Feed documents (first non-blank byte '{') are left out of both, since
 * expat cannot read them. Documents expat rejects are still timed for both;
 * expat stops at the first error, so it does less work on them.
 */
#include <dirent.h>
#include <errno.h>
#include <expat.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/counters.h"
#include "core/file.h"
#include "core/span.h"
#include "feed/feed.h"

#define PIECE        1448 /* TCP payload of a 1,500-byte MTU with timestamps */
#define MAX_ERR_LIST 64

/* The four passes, in the order a round runs them. */
enum { P_FW_WHOLE, P_FW_PIECES, P_SAX_WHOLE, P_SAX_PIECES, P__MAX };
enum { ENG_FEED = 1u, ENG_SAX = 2u };

struct doc {
	char *path;
	uint8_t *data;
	size_t len;
	bool json;
};

struct corpus {
	struct doc *d;
	size_t n, cap;
	uint64_t bytes;  /* documents timed (JSON Feed left out) */
	size_t n_json;   /* JSON Feed documents left out */
	size_t n_failed; /* paths that could not be read */
};

/* What the feed stage's callback counts; the sum keeps the fields live. */
struct fw_sink {
	uint64_t items;
	uint64_t text;
};

enum sax_field {
	SF_NONE = -1,
	SF_TITLE = 0,
	SF_LINK,
	SF_ID,
	SF_PUBLISHED,
	SF_AUTHOR,
	SF_CATEGORY,
	SF_SUMMARY,
	SF_CONTENT,
};

/* expat's user data: the same per-item bound as the feed stage's. */
struct sax {
	XML_Parser xp;
	uint8_t *buf;
	size_t used, max;
	size_t field_start;
	int depth;
	int item_depth; /* depth of the open <item>/<entry>, 0 outside one */
	int cap_depth;  /* depth of the element whose text is copied, 0 when none */
	int field;
	uint64_t items;
	uint64_t text;
	uint64_t truncated;
};

struct result {
	double *s; /* seconds per round */
	uint64_t items;
	uint64_t text;
	size_t errors; /* expat: documents rejected */
};

static void
on_item(void *arg, const struct feed_item *it)
{
	struct fw_sink *k = arg;
	int i;

	k->items++;
	k->text += it->feed_title.len + it->feed_link.len;
	for (i = 0; i < FEED_F__MAX; i++) {
		k->text += it->field[i].len;
	}
}

/* The engine pass <m> runs. */
static unsigned
engine_of(int m)
{
	return m < P_SAX_WHOLE ? ENG_FEED : ENG_SAX;
}

/* ---- the expat baseline ---- */

static int
sax_classify(const char *name)
{
	/* Qualified names, as the feed stage reads them (no namespace resolution). */
	static const struct {
		const char *name;
		int f;
	} t[] = {
		{ "title", SF_TITLE },
		{ "link", SF_LINK },
		{ "atom:link", SF_LINK },
		{ "guid", SF_ID },
		{ "id", SF_ID },
		{ "pubDate", SF_PUBLISHED },
		{ "published", SF_PUBLISHED },
		{ "updated", SF_PUBLISHED },
		{ "dc:date", SF_PUBLISHED },
		{ "author", SF_AUTHOR },
		{ "dc:creator", SF_AUTHOR },
		{ "category", SF_CATEGORY },
		{ "dc:subject", SF_CATEGORY },
		{ "description", SF_SUMMARY },
		{ "summary", SF_SUMMARY },
		{ "content:encoded", SF_CONTENT },
		{ "content", SF_CONTENT },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(name, t[i].name) == 0) {
			return t[i].f;
		}
	}
	return SF_NONE;
}

static void
sax_put(struct sax *x, const char *s, size_t n)
{
	if (n > x->max - x->used) {
		n = x->max - x->used;
		x->truncated++;
	}
	memcpy(x->buf + x->used, s, n);
	x->used += n;
}

static void XMLCALL
sax_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
	struct sax *x = arg;
	const char *want = NULL;
	int f, i;

	x->depth++;
	if (x->item_depth == 0) {
		if (strcmp(name, "item") == 0 || strcmp(name, "entry") == 0) {
			x->item_depth = x->depth;
			x->used = 0;
		}
		return;
	}
	if (x->cap_depth != 0) {
		/* Atom <author><name>: keep the name, not the blanks around it. */
		if (x->field == SF_AUTHOR && x->depth == x->cap_depth + 1 &&
		    strcmp(name, "name") == 0) {
			x->used = x->field_start;
			x->cap_depth = x->depth;
		}
		return;
	}
	f = sax_classify(name);
	if (f == SF_NONE) {
		return;
	}
	x->field = f;
	x->field_start = x->used;
	x->cap_depth = x->depth;
	if (f == SF_LINK) {
		want = "href";
	} else if (f == SF_CATEGORY) {
		want = "term";
	}
	for (i = 0; want != NULL && atts[i] != NULL; i += 2) {
		if (strcmp(atts[i], want) == 0) {
			sax_put(x, atts[i + 1], strlen(atts[i + 1]));
		}
	}
}

static void XMLCALL
sax_end(void *arg, const XML_Char *name)
{
	struct sax *x = arg;

	(void)name;
	if (x->cap_depth == x->depth) {
		x->cap_depth = 0;
	}
	if (x->item_depth == x->depth) {
		x->items++;
		x->text += x->used;
		x->item_depth = 0;
		x->cap_depth = 0;
	}
	x->depth--;
}

static void XMLCALL
sax_text(void *arg, const XML_Char *s, int len)
{
	struct sax *x = arg;

	if (x->cap_depth != 0) {
		sax_put(x, s, (size_t)len);
	}
}

static void
sax_begin(struct sax *x)
{
	XML_ParserReset(x->xp, NULL);
	/* XML_ParserReset clears the handlers and the user data. */
	XML_SetUserData(x->xp, x);
	XML_SetElementHandler(x->xp, sax_start, sax_end);
	XML_SetCharacterDataHandler(x->xp, sax_text);
	x->used = 0;
	x->depth = 0;
	x->item_depth = 0;
	x->cap_depth = 0;
}

/* Parses <d> in pieces of <piece> bytes (0: whole). Returns false if expat rejected it. */
static bool
sax_doc(struct sax *x, const struct doc *d, size_t piece)
{
	size_t off = 0, n;

	sax_begin(x);
	if (piece == 0) {
		return XML_Parse(x->xp, (const char *)d->data, (int)d->len, 1) == XML_STATUS_OK;
	}
	while (off < d->len) {
		n = d->len - off < piece ? d->len - off : piece;
		if (XML_Parse(x->xp, (const char *)d->data + off, (int)n, 0) != XML_STATUS_OK) {
			return false;
		}
		off += n;
	}
	return XML_Parse(x->xp, "", 0, 1) == XML_STATUS_OK;
}

/* ---- passes ---- */

static double
pass_feed(struct feed_env *env, const struct corpus *c, size_t piece, struct fw_sink *k)
{
	static const struct span none = { NULL, 0 };
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	struct feed_parser *p;
	size_t i, off, n;

	for (i = 0; i < c->n; i++) {
		const struct doc *d = &c->d[i];

		if (d->json) {
			continue;
		}
		if (piece == 0) {
			feed_parse_document(env, (struct span){ d->data, d->len }, none, k);
			continue;
		}
		p = feed_parser_open(env, none, k);
		for (off = 0; off < d->len; off += n) {
			n = d->len - off < piece ? d->len - off : piece;
			feed_parser_data(p, (struct span){ d->data + off, n });
		}
		feed_parser_close(p);
	}
	return (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
}

static double
pass_sax(struct sax *x, const struct corpus *c, size_t piece, size_t *errors)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	size_t i;

	*errors = 0;
	for (i = 0; i < c->n; i++) {
		if (!c->d[i].json && !sax_doc(x, &c->d[i], piece)) {
			(*errors)++;
		}
	}
	return (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
}

/* Pass <m> over <c>, counting into <r>; returns its seconds. */
static double
run_pass(int m, struct feed_env *env, struct sax *x, const struct corpus *c, struct result *r)
{
	size_t piece = m == P_FW_PIECES || m == P_SAX_PIECES ? PIECE : 0;
	struct fw_sink k = { 0, 0 };
	double s;

	if (engine_of(m) == ENG_FEED) {
		s = pass_feed(env, c, piece, &k);
		r->items = k.items;
		r->text = k.text;
		return s;
	}
	x->items = 0;
	x->text = 0;
	s = pass_sax(x, c, piece, &r->errors);
	r->items = x->items;
	r->text = x->text;
	return s;
}

/* ---- loading ---- */

static bool
is_json(const uint8_t *s, size_t n)
{
	size_t i = 0;

	if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
		i = 3;
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
		i++;
	}
	return i < n && s[i] == '{';
}

static int
add_file(struct corpus *c, const char *path)
{
	struct doc *d;
	int rc;

	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 256 : c->cap * 2;
		d = realloc(c->d, c->cap * sizeof(*c->d));
		if (d == NULL) {
			return -ENOMEM;
		}
		c->d = d;
	}
	d = &c->d[c->n];
	memset(d, 0, sizeof(*d));
	rc = file_read_all(path, &d->data, &d->len);
	if (rc != 0) {
		fprintf(stderr, "feedwatch-feedbench: %s: %s\n", path, strerror(-rc));
		c->n_failed++;
		return 0;
	}
	d->path = strdup(path);
	if (d->path == NULL) {
		free(d->data);
		return -ENOMEM;
	}
	d->json = is_json(d->data, d->len);
	if (d->json) {
		c->n_json++;
	} else {
		c->bytes += d->len;
	}
	c->n++;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every regular file in <dir>, in name order so that runs are comparable. */
static int
add_dir(struct corpus *c, const char *dir)
{
	char **names = NULL, *path = NULL, **grown;
	size_t n = 0, cap = 0, i;
	struct dirent *e;
	struct stat st;
	DIR *dp;
	int rc = -ENOMEM;

	dp = opendir(dir);
	if (dp == NULL) {
		return -errno;
	}
	while ((e = readdir(dp)) != NULL) {
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			path = NULL;
			goto fail;
		}
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			path = NULL;
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			grown = realloc(names, cap * sizeof(*names));
			if (grown == NULL) {
				goto fail;
			}
			names = grown;
		}
		names[n++] = path;
		path = NULL;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		rc = add_file(c, names[i]);
	}
fail:
	free(path);
	for (i = 0; i < n; i++) {
		free(names[i]);
	}
	free(names);
	closedir(dp);
	return rc;
}

static int
add_path(struct corpus *c, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		return -errno;
	}
	return S_ISDIR(st.st_mode) ? add_dir(c, path) : add_file(c, path);
}

/* ---- figures ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts <v>; returns its median. */
static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
mbps(uint64_t bytes, double s)
{
	return s > 0 ? (double)bytes / 1e6 / s : 0;
}

static void
print_json_errors(const struct corpus *c, struct sax *x)
{
	size_t i, listed = 0;

	fputs("\"expat_error_docs\":[", stdout);
	for (i = 0; i < c->n && listed < MAX_ERR_LIST; i++) {
		const char *base;

		if (c->d[i].json || sax_doc(x, &c->d[i], 0)) {
			continue;
		}
		base = strrchr(c->d[i].path, '/');
		/* Names and expat's messages are plain ASCII: no escaping needed beyond quotes. */
		printf("%s{\"doc\":\"%s\",\"line\":%lu,\"error\":\"%s\"}", listed > 0 ? "," : "",
		       base != NULL ? base + 1 : c->d[i].path,
		       (unsigned long)XML_GetCurrentLineNumber(x->xp),
		       XML_ErrorString(XML_GetErrorCode(x->xp)));
		listed++;
	}
	fputs("]", stdout);
}

/* A feed-stage counter per pass: the timed rounds ran two passes each. */
static unsigned long long
per_pass(const struct counters *cn, enum counter_id id, int rounds)
{
	return (unsigned long long)(cn->v[id] / (2u * (unsigned)rounds));
}

static void
print_json(const struct corpus *c, struct sax *x, const struct counters *cn, const struct result *r,
           const double *best, const double *med, int rounds, uint32_t max_item, unsigned eng)
{
	int m;

	printf("{\"documents\":%zu,\"bytes\":%llu,\"json_skipped\":%zu,\"unreadable\":%zu,"
	       "\"rounds\":%d,\"piece\":%d,\"max_item\":%u,",
	       c->n - c->n_json, (unsigned long long)c->bytes, c->n_json, c->n_failed, rounds,
	       PIECE, max_item);
	for (m = 0; m < P__MAX; m++) {
		if ((eng & engine_of(m)) == 0) {
			continue;
		}
		printf("\"%s_%s\":{\"best_mbps\":%.2f,\"median_mbps\":%.2f,\"best_s\":%.6f,"
		       "\"median_s\":%.6f,\"items\":%llu,\"text_bytes\":%llu},",
		       m < 2 ? "feedwatch" : "expat", m % 2 ? "pieces" : "whole",
		       mbps(c->bytes, best[m]), mbps(c->bytes, med[m]), best[m], med[m],
		       (unsigned long long)r[m].items, (unsigned long long)r[m].text);
	}
	if (eng == (ENG_FEED | ENG_SAX)) {
		/* Speed ratios (> 1: the feed stage is faster), of the medians and of the bests. */
		printf("\"ratio_whole\":%.4f,\"ratio_pieces\":%.4f,\"ratio_whole_best\":%.4f,"
		       "\"ratio_pieces_best\":%.4f,",
		       med[P_SAX_WHOLE] / med[P_FW_WHOLE], med[P_SAX_PIECES] / med[P_FW_PIECES],
		       best[P_SAX_WHOLE] / best[P_FW_WHOLE],
		       best[P_SAX_PIECES] / best[P_FW_PIECES]);
	}
	if (eng & ENG_FEED) {
		printf("\"feed_bad_xml\":%llu,\"feed_unknown_format\":%llu,"
		       "\"feed_item_truncated\":%llu,",
		       per_pass(cn, CNT_feed_bad_xml, rounds),
		       per_pass(cn, CNT_feed_unknown_format, rounds),
		       per_pass(cn, CNT_feed_item_truncated, rounds));
	}
	if (eng & ENG_SAX) {
		printf("\"expat_errors\":%zu,", r[P_SAX_WHOLE].errors);
		print_json_errors(c, x);
	} else {
		printf("\"expat_errors\":null");
	}
	puts("}");
}

static int
usage(void)
{
	fputs("usage: feedwatch-feedbench [--rounds N] [--json] [--engine feedwatch|expat] "
	      "DIR|FILE...\n",
	      stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "engine", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const names[P__MAX] = { "feedwatch whole", "feedwatch pieces",
		                                   "expat whole", "expat pieces" };
	struct corpus c;
	struct fw_config *cfg = NULL;
	struct feed_env *env = NULL;
	struct counters *cn = NULL;
	struct sax x;
	struct result r[P__MAX];
	struct feed_limits lim;
	double best[P__MAX], med[P__MAX];
	char *err = NULL;
	unsigned eng = ENG_FEED | ENG_SAX;
	bool json = false;
	size_t j;
	int rounds = 5, opt, i, m, rc = 1;

	memset(&c, 0, sizeof(c));
	memset(&x, 0, sizeof(x));
	memset(r, 0, sizeof(r));
	while ((opt = getopt_long(argc, argv, "r:je:", lopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'e':
			/* One engine alone, for profiling it (perf record). */
			eng = strcmp(optarg, "feedwatch") == 0 ? ENG_FEED
			      : strcmp(optarg, "expat") == 0   ? ENG_SAX
			                                       : 0;
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc || rounds < 1 || eng == 0) {
		return usage();
	}
	for (i = optind; i < argc; i++) {
		int e = add_path(&c, argv[i]);

		if (e != 0) {
			fprintf(stderr, "feedwatch-feedbench: %s: %s\n", argv[i], strerror(-e));
			goto fail;
		}
	}
	if (c.n == c.n_json) {
		fprintf(stderr, "feedwatch-feedbench: no XML documents to measure\n");
		goto fail;
	}

	/* The defaults of the config: the limits a worker runs with out of the box. */
	cfg = config_load(NULL, &err);
	if (cfg == NULL) {
		fprintf(stderr, "feedwatch-feedbench: %s\n", err);
		goto fail;
	}
	lim.max_item = cfg->max_item;
	lim.max_parsers = cfg->feed_parsers;
	cn = aligned_alloc(64, sizeof(*cn));
	if (cn != NULL) {
		memset(cn, 0, sizeof(*cn));
		env = feed_env_create(&lim, cn, on_item);
	}
	x.xp = XML_ParserCreate(NULL);
	x.max = lim.max_item;
	x.buf = malloc(x.max);
	for (m = 0; m < P__MAX; m++) {
		r[m].s = calloc((size_t)rounds, sizeof(double));
	}
	if (env == NULL || x.xp == NULL || x.buf == NULL || r[0].s == NULL || r[1].s == NULL ||
	    r[2].s == NULL || r[3].s == NULL) {
		fprintf(stderr, "feedwatch-feedbench: out of memory\n");
		goto fail;
	}

	/* A first pass of each counts items and warms caches; then the timed rounds. */
	for (m = 0; m < P__MAX; m++) {
		if (eng & engine_of(m)) {
			run_pass(m, env, &x, &c, &r[m]);
		}
	}
	memset(cn, 0, sizeof(*cn));
	for (i = 0; i < rounds; i++) {
		for (m = 0; m < P__MAX; m++) {
			struct result scratch;

			if (eng & engine_of(m)) {
				r[m].s[i] = run_pass(m, env, &x, &c, &scratch);
			}
		}
	}
	for (m = 0; m < P__MAX; m++) {
		med[m] = median(r[m].s, rounds);
		best[m] = r[m].s[0];
	}

	if (!json) {
		printf("%zu documents, %.1f MB timed; %zu JSON Feed left out (expat cannot read "
		       "them)\n",
		       c.n - c.n_json, (double)c.bytes / 1e6, c.n_json);
		if (eng & ENG_SAX) {
			printf("  %zu rejected by expat (timed anyway: expat stops at the error)\n",
			       r[P_SAX_WHOLE].errors);
		}
		for (m = 0; m < P__MAX; m++) {
			if ((eng & engine_of(m)) == 0) {
				continue;
			}
			printf("  %-16s  best %7.1f MB/s  median %7.1f MB/s  %7llu items  (%d "
			       "rounds)\n",
			       names[m], mbps(c.bytes, best[m]), mbps(c.bytes, med[m]),
			       (unsigned long long)r[m].items, rounds);
		}
		if (eng == (ENG_FEED | ENG_SAX)) {
			printf("  feedwatch / expat speed: whole %.2f (best %.2f), "
			       "pieces %.2f (best %.2f)\n",
			       med[P_SAX_WHOLE] / med[P_FW_WHOLE],
			       best[P_SAX_WHOLE] / best[P_FW_WHOLE],
			       med[P_SAX_PIECES] / med[P_FW_PIECES],
			       best[P_SAX_PIECES] / best[P_FW_PIECES]);
		}
		if (eng & ENG_FEED) {
			printf("  feed stage, per pass: %llu documents abandoned as bad XML, "
			       "%llu not a feed, %llu items truncated at max_item\n",
			       per_pass(cn, CNT_feed_bad_xml, rounds),
			       per_pass(cn, CNT_feed_unknown_format, rounds),
			       per_pass(cn, CNT_feed_item_truncated, rounds));
		}
		puts("  note: expat does not strip tags from escaped HTML, decode HTML entities, "
		     "fold whitespace or check UTF-8; the feed stage does all four");
	} else {
		print_json(&c, &x, cn, r, best, med, rounds, lim.max_item, eng);
	}
	rc = 0;
fail:
	for (m = 0; m < P__MAX; m++) {
		free(r[m].s);
	}
	free(x.buf);
	if (x.xp != NULL) {
		XML_ParserFree(x.xp);
	}
	feed_env_free(env);
	free(cn);
	config_free(cfg);
	free(err);
	for (j = 0; j < c.n; j++) {
		free(c.d[j].path);
		free(c.d[j].data);
	}
	free(c.d);
	return rc;
}
