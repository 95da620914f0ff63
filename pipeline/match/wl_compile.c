/*
 * Watchlist set assembly and the Hyperscan build: every term of every
 * watchlist goes into one block-mode database. Literals are escaped byte by
 * byte rather than wrapped in \b or compiled with UCP: with 10k terms \b
 * costs 22 s and 12 MiB to compile and UCP is rejected (DESIGN.md,
 * "Matching, as measured"); boundaries and field scopes are checked in the
 * match callback instead.
 */
#include "match/watchlist.h"
#include "match/match_priv.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "match/wl_cache.h"

struct namelist {
	char **v;
	size_t n, cap;
};

static int
namelist_add(struct namelist *l, char *s)
{
	if (s == NULL) {
		return -1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 16 : l->cap * 2;
		char **nv = realloc(l->v, cap * sizeof(*nv));

		if (nv == NULL) {
			free(s);
			return -1;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

static void
namelist_clear(struct namelist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i]);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

/* Appends <dir>'s *.yaml and *.yml regular files (not hidden, not recursive) in name order. */
static int
list_dir(const char *dir, struct namelist *out, char **err)
{
	struct namelist found = { 0 };
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t i;
	int rc = -1;

	if (d == NULL) {
		err_set(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *full;

		if (de->d_name[0] == '.' ||
		    !(has_suffix(de->d_name, ".yaml") || has_suffix(de->d_name, ".yml"))) {
			continue;
		}
		if (asprintf(&full, "%s/%s", dir, de->d_name) < 0) {
			err_set(err, "%s: out of memory", dir);
			goto fail;
		}
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(full);
			continue;
		}
		if (namelist_add(&found, full) != 0) {
			err_set(err, "%s: out of memory", dir);
			goto fail;
		}
	}
	if (found.n > 0) {
		qsort(found.v, found.n, sizeof(found.v[0]), cmp_str);
	}
	for (i = 0; i < found.n; i++) {
		if (namelist_add(out, found.v[i]) != 0) {
			found.v[i] = NULL;
			err_set(err, "%s: out of memory", dir);
			goto fail;
		}
		found.v[i] = NULL;
	}
	rc = 0;
fail:
	namelist_clear(&found);
	closedir(d);
	return rc;
}

/*
 * A literal as a Hyperscan expression: ASCII letters and digits stay, every
 * other ASCII byte becomes \xHH, and bytes of UTF-8 sequences stay raw (the
 * database is not in UTF-8 mode, so they are plain bytes to it).
 */
static char *
escape_literal(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char *out = malloc(strlen(s) * 4 + 1), *o = out;

	if (out == NULL) {
		return NULL;
	}
	for (; *s != 0; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch >= 0x80) {
			*o++ = (char)ch;
		} else {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = 0;
	return out;
}

/*
 * Folded text is scanned byte by byte: CASELESS folds ASCII, the fold has
 * already lowered everything else, so literals need no UTF-8 mode. A regex
 * keeps UTF-8 mode so that a quantifier applies to a whole character, and
 * SOM so that a hit knows where it starts.
 */
static unsigned int
term_flags(const struct wl_term *t)
{
	if (t->is_regex) {
		return HS_FLAG_UTF8 | HS_FLAG_SOM_LEFTMOST | (t->caseless ? HS_FLAG_CASELESS : 0);
	}
	return t->caseless ? HS_FLAG_CASELESS : 0;
}

static uint64_t
hash_pat(const char *s, unsigned int flags)
{
	uint64_t h = 1469598103934665603ull ^ flags;

	for (; *s != 0; s++) {
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	}
	return h;
}

int
wl_diag_add(struct wl_diags *d, const char *file, uint32_t line, uint32_t col, bool warning,
            const char *fmt, ...)
{
	struct wl_diag *dg;
	va_list ap;
	int rc = warning ? 0 : -1;

	if (d == NULL) {
		return rc;
	}
	if (d->n == d->cap) {
		uint32_t cap = d->cap == 0 ? 16 : d->cap * 2;
		struct wl_diag *nv = realloc(d->v, cap * sizeof(*nv));

		if (nv == NULL) {
			d->n_errors += !warning; /* the count still says it failed */
			return rc;
		}
		d->v = nv;
		d->cap = cap;
	}
	dg = &d->v[d->n];
	dg->file = strdup(file != NULL ? file : "");
	dg->line = line;
	dg->col = col;
	dg->warning = warning;
	va_start(ap, fmt);
	if (vasprintf(&dg->msg, fmt, ap) < 0) {
		dg->msg = NULL;
	}
	va_end(ap);
	if (dg->file == NULL || dg->msg == NULL) {
		free(dg->file);
		free(dg->msg);
		d->n_errors += !warning;
		return rc;
	}
	d->n++;
	if (warning) {
		d->n_warnings++;
	} else {
		d->n_errors++;
	}
	return rc;
}

const struct wl_diag *
wl_diags_first_error(const struct wl_diags *d)
{
	uint32_t i;

	for (i = 0; i < d->n; i++) {
		if (!d->v[i].warning) {
			return &d->v[i];
		}
	}
	return NULL;
}

void
wl_diags_clear(struct wl_diags *d)
{
	uint32_t i;

	if (d == NULL) {
		return;
	}
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

const char *
wl_diag_format(const struct wl_diag *dg, char *buf, size_t cap)
{
	const char *kind = dg->warning ? "warning" : "error";

	if (dg->line > 0) {
		snprintf(buf, cap, "%s:%u:%u: %s: %s", dg->file, dg->line, dg->col, kind, dg->msg);
	} else if (dg->file[0] != 0) {
		snprintf(buf, cap, "%s: %s: %s", dg->file, kind, dg->msg);
	} else {
		snprintf(buf, cap, "%s: %s", kind, dg->msg);
	}
	return buf;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Every regex is checked on its own first (hs_expression_info only parses),
 * so that `feedwatch check` reports each bad one at its position instead of
 * the first the multi-pattern compile trips on.
 */
static int
check_regexes(const struct wl_set *set, struct wl_diags *d)
{
	uint32_t i;
	int rc = 0;

	for (i = 0; i < set->n_terms; i++) {
		const struct wl_term *t = set->terms[i];
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *cerr = NULL;

		if (!t->is_regex) {
			continue;
		}
		if (hs_expression_info(t->expr, term_flags(t), &info, &cerr) != HS_SUCCESS) {
			rc = wl_diag_add(d, set->defs[t->wl_idx].file, t->line, t->col, false,
			                 "invalid regex '%s': %s", t->display,
			                 cerr != NULL ? cerr->message : "rejected by Hyperscan");
			hs_free_compile_error(cerr);
			continue;
		}
		if (info->min_width == 0) {
			rc = wl_diag_add(d, set->defs[t->wl_idx].file, t->line, t->col, false,
			                 "regex '%s' can match empty text", t->display);
		}
		free(info);
	}
	return rc;
}

/* Builds set->fan and set->db from set->terms. */
static int
compile(struct wl_set *set, const struct wl_load_opts *o, struct wl_diags *d)
{
	char **exprs = NULL;
	unsigned int *flags = NULL, *ids = NULL;
	uint32_t *first = NULL, *term_pat = NULL, *slot = NULL, *fill = NULL;
	hs_compile_error_t *cerr = NULL;
	struct wl_cache_key key;
	uint32_t i, p, n = set->n_terms, n_slots = 1;
	const char *why = NULL;
	char *cerrs = NULL;
	int rc = -1;

	while (n_slots < 2 * n) {
		n_slots *= 2;
	}
	exprs = calloc(n, sizeof(*exprs));
	flags = calloc(n, sizeof(*flags));
	ids = calloc(n, sizeof(*ids));
	first = calloc(n, sizeof(*first));
	term_pat = calloc(n, sizeof(*term_pat));
	slot = malloc(n_slots * sizeof(*slot));
	set->fan_off = calloc(n + 1, sizeof(*set->fan_off));
	set->fan = calloc(n, sizeof(*set->fan));
	if (exprs == NULL || flags == NULL || ids == NULL || first == NULL || term_pat == NULL ||
	    slot == NULL || set->fan_off == NULL || set->fan == NULL) {
		wl_diag_add(d, "watchlists", 0, 0, false, "out of memory");
		goto fail;
	}
	memset(slot, 0xff, n_slots * sizeof(*slot));
	for (i = 0; i < n; i++) {
		const struct wl_term *t = set->terms[i];
		unsigned int fl = term_flags(t);
		char *e = t->is_regex ? strdup(t->expr) : escape_literal(t->expr);
		uint64_t h;

		if (e == NULL) {
			wl_diag_add(d, "watchlists", 0, 0, false, "out of memory");
			goto fail;
		}
		h = hash_pat(e, fl) & (n_slots - 1);
		while (slot[h] != UINT32_MAX &&
		       (flags[slot[h]] != fl || strcmp(exprs[slot[h]], e) != 0)) {
			h = (h + 1) & (n_slots - 1);
		}
		if (slot[h] == UINT32_MAX) {
			p = set->n_pats++;
			slot[h] = p;
			exprs[p] = e;
			flags[p] = fl;
			ids[p] = p;
			first[p] = i;
		} else {
			p = slot[h];
			free(e);
		}
		term_pat[i] = p;
		set->fan_off[p + 1]++;
	}
	for (p = 0; p < set->n_pats; p++) {
		set->fan_off[p + 1] += set->fan_off[p];
	}
	fill = calloc(set->n_pats, sizeof(*fill));
	if (fill == NULL) {
		wl_diag_add(d, "watchlists", 0, 0, false, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		p = term_pat[i];
		set->fan[set->fan_off[p] + fill[p]++] = i;
	}
	if (o != NULL && o->cache_dir != NULL) {
		wl_cache_key_of((const char *const *)exprs, flags, ids, set->n_pats, HS_MODE_BLOCK,
		                &key);
		set->db = wl_cache_get(o->cache_dir, &key, &why);
		if (set->db != NULL) {
			set->from_cache = true;
			goto built;
		}
	}
	if (hs_compile_multi((const char *const *)exprs, flags, ids, set->n_pats, HS_MODE_BLOCK,
	                     NULL, &set->db, &cerr) != HS_SUCCESS) {
		if (cerr != NULL && cerr->expression >= 0 &&
		    (uint32_t)cerr->expression < set->n_pats) {
			const struct wl_term *t = set->terms[first[cerr->expression]];

			wl_diag_add(d, set->defs[t->wl_idx].file, t->line, t->col, false,
			            "%s '%s': %s",
			            t->is_regex ? "invalid regex" : "cannot compile term",
			            t->display, cerr->message);
		} else {
			wl_diag_add(d, "watchlists", 0, 0, false, "Hyperscan compile failed: %s",
			            cerr != NULL ? cerr->message : "unknown error");
		}
		set->db = NULL;
		goto fail;
	}
	if (o != NULL && o->cache_dir != NULL &&
	    wl_cache_put(o->cache_dir, &key, set->db, 8, &cerrs) != 0) {
		wl_diag_add(d, o->cache_dir, 0, 0, true, "database not cached: %s",
		            cerrs != NULL ? cerrs : "?");
		free(cerrs);
	}
built:
	if (hs_database_size(set->db, &set->db_bytes) != HS_SUCCESS) {
		set->db_bytes = 0;
	}
	rc = 0;
fail:
	hs_free_compile_error(cerr);
	if (exprs != NULL) {
		for (p = 0; p < set->n_pats; p++) {
			free(exprs[p]);
		}
	}
	free(fill);
	free(slot);
	free(term_pat);
	free(first);
	free(ids);
	free(flags);
	free(exprs);
	return rc;
}

static int
collect_files(const char *const *paths, size_t n_paths, struct namelist *files, struct wl_diags *d)
{
	char *err = NULL;
	size_t i;

	for (i = 0; i < n_paths; i++) {
		struct stat st;

		if (stat(paths[i], &st) != 0) {
			return wl_diag_add(d, paths[i], 0, 0, false, "%s", strerror(errno));
		}
		if (S_ISDIR(st.st_mode)) {
			if (list_dir(paths[i], files, &err) != 0) {
				wl_diag_add(d, paths[i], 0, 0, false, "%s",
				            err != NULL ? err : "?");
				free(err);
				return -1;
			}
		} else if (namelist_add(files, strdup(paths[i])) != 0) {
			return wl_diag_add(d, paths[i], 0, 0, false, "out of memory");
		}
	}
	return 0;
}

static int
check_names(const struct wl_set *set, struct wl_diags *d)
{
	uint32_t i, j;
	int rc = 0;

	for (i = 1; i < set->n_defs; i++) {
		const struct wl_def *b = &set->defs[i];

		for (j = 0; j < i && b->name != NULL; j++) {
			const struct wl_def *a = &set->defs[j];

			if (a->name != NULL && strcmp(a->name, b->name) == 0) {
				rc = wl_diag_add(d, b->file, b->name_line, b->name_col, false,
				                 "duplicate watchlist name '%s' (also in %s:%u:%u)",
				                 b->name, a->file, a->name_line, a->name_col);
				break;
			}
		}
	}
	return rc;
}

/* Links every def's terms and atoms into the set-wide arrays. */
static int
assemble(struct wl_set *set, struct wl_diags *d)
{
	uint32_t i, j, k, a;

	for (i = 0; i < set->n_defs; i++) {
		set->n_terms += set->defs[i].n_terms;
		set->n_atoms += set->defs[i].n_atoms;
		if (set->defs[i].n_atoms > set->max_atoms) {
			set->max_atoms = set->defs[i].n_atoms;
		}
		for (j = 0; j < set->defs[i].n_rules; j++) {
			set->defs[i].needs_pos |= set->defs[i].rules[j].needs_pos;
		}
	}
	set->terms = calloc(set->n_terms + 1, sizeof(*set->terms));
	set->atoms = calloc(set->n_atoms + 1, sizeof(*set->atoms));
	set->atom_wl = calloc(set->n_atoms + 1, sizeof(*set->atom_wl));
	if (set->terms == NULL || set->atoms == NULL || set->atom_wl == NULL) {
		return wl_diag_add(d, "watchlists", 0, 0, false, "out of memory");
	}
	for (i = 0, k = 0, a = 0; i < set->n_defs; i++) {
		struct wl_def *def = &set->defs[i];

		def->atom_base = a;
		for (j = 0; j < def->n_atoms; j++) {
			set->atoms[a + j] = &def->atoms[j];
			set->atom_wl[a + j] = i;
		}
		for (j = 0; j < def->n_terms; j++) {
			def->terms[j].wl_idx = i;
			def->terms[j].atom += a;
			set->terms[k++] = &def->terms[j];
		}
		a += def->n_atoms;
	}
	return 0;
}

struct wl_set *
wl_set_build(const char *const *paths, size_t n_paths, const struct wl_load_opts *o,
             struct wl_diags *d)
{
	struct wl_diags own = { 0 };
	struct namelist files = { 0 };
	struct wl_set *set = NULL;
	double t0 = now_s();
	uint32_t i, errors0;

	if (d == NULL) {
		d = &own;
	}
	errors0 = d->n_errors;
	if (hs_valid_platform() != HS_SUCCESS) {
		wl_diag_add(d, "watchlists", 0, 0, false,
		            "this CPU lacks the instructions Hyperscan needs");
		goto fail;
	}
	set = calloc(1, sizeof(*set));
	if (set == NULL) {
		wl_diag_add(d, "watchlists", 0, 0, false, "out of memory");
		goto fail;
	}
	if (collect_files(paths, n_paths, &files, d) != 0) {
		goto fail;
	}
	set->defs = calloc(files.n + 1, sizeof(*set->defs));
	if (set->defs == NULL) {
		wl_diag_add(d, "watchlists", 0, 0, false, "out of memory");
		goto fail;
	}
	/* every file is read even after one fails, so all problems are reported */
	for (i = 0; i < files.n; i++) {
		wl_parse_file(files.v[i], NULL, 0, &set->defs[i], d);
		set->n_defs++;
	}
	check_names(set, d);
	if (d->n_errors != errors0 || assemble(set, d) != 0) {
		goto fail;
	}
	if (check_regexes(set, d) != 0 || d->n_errors != errors0) {
		goto fail;
	}
	if (set->n_terms > 0 && compile(set, o, d) != 0) {
		goto fail;
	}
	set->compile_s = now_s() - t0;
	namelist_clear(&files);
	wl_diags_clear(&own);
	return set;
fail:
	namelist_clear(&files);
	wl_set_free(set);
	wl_diags_clear(&own);
	return NULL;
}

struct wl_set *
wl_set_load(const char *const *paths, size_t n_paths, char **err)
{
	struct wl_diags d = { 0 };
	struct wl_set *set = wl_set_build(paths, n_paths, NULL, &d);
	const struct wl_diag *e = wl_diags_first_error(&d);

	if (set == NULL) {
		if (e != NULL && e->line > 0) {
			err_set(err, "%s:%u:%u: %s", e->file, e->line, e->col, e->msg);
		} else if (e != NULL) {
			err_set(err, "%s: %s", e->file, e->msg);
		} else {
			err_set(err, "watchlists: out of memory");
		}
	}
	wl_diags_clear(&d);
	return set;
}

void
wl_set_free(struct wl_set *set)
{
	uint32_t i;

	if (set == NULL) {
		return;
	}
	hs_free_database(set->db);
	free(set->fan);
	free(set->fan_off);
	free(set->terms);
	free(set->atoms);
	free(set->atom_wl);
	for (i = 0; i < set->n_defs; i++) {
		wl_parse_def_clear(&set->defs[i]);
	}
	free(set->defs);
	free(set);
}

uint32_t
wl_set_count(const struct wl_set *set)
{
	return set->n_defs;
}

const struct wl_info *
wl_set_info(const struct wl_set *set, uint32_t idx)
{
	return idx < set->n_defs ? &set->defs[idx].info : NULL;
}

uint32_t
wl_set_terms(const struct wl_set *set)
{
	return set->n_terms;
}

size_t
wl_set_db_bytes(const struct wl_set *set)
{
	return set->db_bytes;
}

bool
wl_set_from_cache(const struct wl_set *set)
{
	return set->from_cache;
}

double
wl_set_compile_s(const struct wl_set *set)
{
	return set->compile_s;
}
