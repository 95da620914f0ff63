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
#include <sys/stat.h>

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

static bool
is_ascii(const char *s)
{
	for (; *s != 0; s++) {
		if ((unsigned char)*s >= 0x80) {
			return false;
		}
	}
	return true;
}

/*
 * A literal as a Hyperscan expression: ASCII letters and digits stay, every
 * other ASCII byte becomes \xHH, and UTF-8 sequences stay raw (in UTF-8 mode
 * \xHH would mean the code point U+00HH, not a byte).
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

static unsigned int
term_flags(const struct wl_term *t)
{
	if (t->is_regex) {
		/* SOM so a hit knows where it starts */
		return HS_FLAG_UTF8 | HS_FLAG_SOM_LEFTMOST | (t->caseless ? HS_FLAG_CASELESS : 0);
	}
	if (!t->caseless) {
		return 0; /* byte-exact; UTF-8 is self-synchronising so no UTF8 mode needed */
	}
	/* Hyperscan folds non-ASCII case in UTF-8 mode without UCP */
	return is_ascii(t->expr) ? HS_FLAG_CASELESS : HS_FLAG_CASELESS | HS_FLAG_UTF8;
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

/* Builds set->fan and set->db from set->terms. */
static int
compile(struct wl_set *set, char **err)
{
	char **exprs = NULL;
	unsigned int *flags = NULL, *ids = NULL;
	uint32_t *first = NULL, *term_pat = NULL, *slot = NULL, *fill = NULL;
	hs_compile_error_t *cerr = NULL;
	uint32_t i, p, n = set->n_terms, n_slots = 1;
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
		err_set(err, "watchlists: out of memory");
		goto fail;
	}
	memset(slot, 0xff, n_slots * sizeof(*slot));
	for (i = 0; i < n; i++) {
		const struct wl_term *t = set->terms[i];
		unsigned int fl = term_flags(t);
		char *e = t->is_regex ? strdup(t->expr) : escape_literal(t->expr);
		uint64_t h;

		if (e == NULL) {
			err_set(err, "watchlists: out of memory");
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
		err_set(err, "watchlists: out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		p = term_pat[i];
		set->fan[set->fan_off[p] + fill[p]++] = i;
	}
	if (hs_compile_multi((const char *const *)exprs, flags, ids, set->n_pats, HS_MODE_BLOCK,
	                     NULL, &set->db, &cerr) != HS_SUCCESS) {
		if (cerr != NULL && cerr->expression >= 0 &&
		    (uint32_t)cerr->expression < set->n_pats) {
			const struct wl_term *t = set->terms[first[cerr->expression]];

			err_set(err, "%s:%u:%u: %s: %s", set->defs[t->wl_idx].file, t->line, t->col,
			        t->is_regex ? "invalid regex" : "cannot compile term",
			        cerr->message);
		} else {
			err_set(err, "watchlists: Hyperscan compile failed: %s",
			        cerr != NULL ? cerr->message : "unknown error");
		}
		set->db = NULL;
		goto fail;
	}
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
collect_files(const char *const *paths, size_t n_paths, struct namelist *files, char **err)
{
	size_t i;

	for (i = 0; i < n_paths; i++) {
		struct stat st;

		if (stat(paths[i], &st) != 0) {
			err_set(err, "%s: %s", paths[i], strerror(errno));
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (list_dir(paths[i], files, err) != 0) {
				return -1;
			}
		} else if (namelist_add(files, strdup(paths[i])) != 0) {
			err_set(err, "%s: out of memory", paths[i]);
			return -1;
		}
	}
	return 0;
}

static int
check_names(const struct wl_set *set, char **err)
{
	uint32_t i, j;

	for (i = 1; i < set->n_defs; i++) {
		const struct wl_def *b = &set->defs[i];

		for (j = 0; j < i; j++) {
			const struct wl_def *a = &set->defs[j];

			if (strcmp(a->name, b->name) == 0) {
				err_set(err,
				        "%s:%u:%u: duplicate watchlist name '%s' (also in "
				        "%s:%u:%u)",
				        b->file, b->name_line, b->name_col, b->name, a->file,
				        a->name_line, a->name_col);
				return -1;
			}
		}
	}
	return 0;
}

struct wl_set *
wl_set_load(const char *const *paths, size_t n_paths, char **err)
{
	struct namelist files = { 0 };
	struct wl_set *set = NULL;
	uint32_t i, j, k;

	if (hs_valid_platform() != HS_SUCCESS) {
		err_set(err, "watchlists: this CPU lacks the instructions Hyperscan needs");
		goto fail;
	}
	set = calloc(1, sizeof(*set));
	if (set == NULL || collect_files(paths, n_paths, &files, err) != 0) {
		if (set == NULL) {
			err_set(err, "watchlists: out of memory");
		}
		goto fail;
	}
	set->defs = calloc(files.n + 1, sizeof(*set->defs));
	if (set->defs == NULL) {
		err_set(err, "watchlists: out of memory");
		goto fail;
	}
	for (i = 0; i < files.n; i++) {
		if (wl_parse_file(files.v[i], &set->defs[i], err) != 0) {
			wl_parse_def_clear(&set->defs[i]);
			goto fail;
		}
		set->n_defs++;
		set->n_terms += set->defs[i].n_terms;
	}
	if (check_names(set, err) != 0) {
		goto fail;
	}
	set->terms = calloc(set->n_terms + 1, sizeof(*set->terms));
	if (set->terms == NULL) {
		err_set(err, "watchlists: out of memory");
		goto fail;
	}
	for (i = 0, k = 0; i < set->n_defs; i++) {
		for (j = 0; j < set->defs[i].n_terms; j++) {
			set->defs[i].terms[j].wl_idx = i;
			set->terms[k++] = &set->defs[i].terms[j];
		}
	}
	if (set->n_terms > 0 && compile(set, err) != 0) {
		goto fail;
	}
	namelist_clear(&files);
	return set;
fail:
	namelist_clear(&files);
	wl_set_free(set);
	return NULL;
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
