/*
 * Watchlist YAML → struct wl_def. The libyaml document API keeps every
 * node's start mark, so each error names the exact file:line:col of the
 * offending key or value (marks are 0-based in libyaml, 1-based here).
 */
#include "match/match_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_ENTITIES 4096

struct entity {
	const yaml_node_t *id;
	const yaml_node_t *names; /* a sequence of scalars */
};

struct pctx {
	const char *path;
	yaml_document_t *doc;
	struct wl_def *def;
	char **err;
	bool def_caseless;
	bool def_whole_word;
	struct entity *ents;
	uint32_t n_ents;
	uint32_t cap_terms;
};

static const char *const severities[] = { "info", "low", "medium", "high", "critical" };

/* Sets "path:line:col: message" at node <n>'s start mark; returns -1. */
static int fail_at(const struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int
fail_at(const struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(c->err, "%s:%zu:%zu: %s", c->path, n->start_mark.line + 1, n->start_mark.column + 1,
	        msg);
	return -1;
}

static const yaml_node_t *
node(const struct pctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static bool
is_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE;
}

static const char *
sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool
seq(const yaml_node_t *n, const char *what, const struct pctx *c, int *rc)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		*rc = fail_at(c, n, "%s must be a list", what);
		return false;
	}
	return true;
}

static int
string_at(const struct pctx *c, const yaml_node_t *n, const char *what)
{
	if (!is_scalar(n)) {
		return fail_at(c, n, "%s must be a string", what);
	}
	if (memchr(n->data.scalar.value, 0, n->data.scalar.length) != NULL) {
		return fail_at(c, n, "%s contains a NUL byte", what);
	}
	return 0;
}

static int
parse_bool(const struct pctx *c, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s;

	if (!is_scalar(n)) {
		return fail_at(c, n, "%s must be true or false", what);
	}
	s = sval(n);
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0) {
		*out = false;
		return 0;
	}
	return fail_at(c, n, "%s must be true or false, not '%s'", what, s);
}

/* case / accents: "insensitive" → true. */
static int
parse_sensitivity(const struct pctx *c, const yaml_node_t *n, const char *what, bool *insens)
{
	if (is_scalar(n) && strcmp(sval(n), "insensitive") == 0) {
		*insens = true;
		return 0;
	}
	if (is_scalar(n) && strcmp(sval(n), "sensitive") == 0) {
		*insens = false;
		return 0;
	}
	return fail_at(c, n, "%s must be sensitive or insensitive%s%s%s", what,
	               is_scalar(n) ? ", not '" : "", is_scalar(n) ? sval(n) : "",
	               is_scalar(n) ? "'" : "");
}

static int
parse_field(const struct pctx *c, const yaml_node_t *n, uint8_t *scope)
{
	static const struct {
		const char *name;
		uint8_t scope;
	} fields[] = {
		{ "title", WL_SCOPE(WL_FIELD_TITLE) },
		{ "body", WL_SCOPE_BODY },
		{ "author", WL_SCOPE(WL_FIELD_AUTHOR) },
		{ "category", WL_SCOPE(WL_FIELD_CATEGORY) },
		{ "url", WL_SCOPE(WL_FIELD_URL) },
		{ "host", WL_SCOPE(WL_FIELD_HOST) },
		{ "any", WL_SCOPE_ANY },
	};
	size_t i;

	if (!is_scalar(n)) {
		return fail_at(c, n, "field must be a string");
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(sval(n), fields[i].name) == 0) {
			*scope = fields[i].scope;
			return 0;
		}
	}
	return fail_at(c, n, "unknown field '%s' (title, body, author, category, url, host, any)",
	               sval(n));
}

/*
 * Runs of ASCII whitespace become one space and the ends are trimmed: the
 * normalizer folds item text the same way, so a phrase matches across any
 * whitespace in the source. Returns a heap string, NULL on ENOMEM.
 */
static char *
fold_ws(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;
	bool space = false;

	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' ||
		    ch == '\v') {
			space = o > 0;
			continue;
		}
		if (space) {
			out[o++] = ' ';
			space = false;
		}
		out[o++] = ch;
	}
	out[o] = 0;
	return out;
}

static struct wl_term *
new_term(struct pctx *c)
{
	struct wl_def *d = c->def;
	struct wl_term *t;

	if (d->n_terms == c->cap_terms) {
		uint32_t cap = c->cap_terms == 0 ? 16 : c->cap_terms * 2;
		struct wl_term *nt = realloc(d->terms, cap * sizeof(*nt));

		if (nt == NULL) {
			return NULL;
		}
		d->terms = nt;
		c->cap_terms = cap;
	}
	t = &d->terms[d->n_terms++];
	memset(t, 0, sizeof(*t));
	return t;
}

/*
 * Adds one literal term <text> (<len> bytes, not yet whitespace-folded)
 * reported as <display>, positioned at node <n>.
 */
static int
add_literal(struct pctx *c, const yaml_node_t *n, const char *display, const char *text, size_t len,
            bool caseless, uint8_t scope, bool whole_word)
{
	struct wl_term *t;

	if (memchr(text, 0, len) != NULL) {
		return fail_at(c, n, "term contains a NUL byte");
	}
	t = new_term(c);
	if (t == NULL) {
		return fail_at(c, n, "out of memory");
	}
	t->line = (uint32_t)n->start_mark.line + 1;
	t->col = (uint32_t)n->start_mark.column + 1;
	t->display = strdup(display);
	t->expr = fold_ws(text, len);
	if (t->display == NULL || t->expr == NULL) {
		return fail_at(c, n, "out of memory");
	}
	if (t->expr[0] == 0) {
		return fail_at(c, n, "empty term");
	}
	t->len = (uint32_t)strlen(t->expr);
	t->scope = scope;
	t->whole_word = whole_word;
	t->caseless = caseless;
	return 0;
}

static const struct entity *
find_entity(const struct pctx *c, const char *id)
{
	uint32_t i;

	for (i = 0; i < c->n_ents; i++) {
		if (strcmp(sval(c->ents[i].id), id) == 0) {
			return &c->ents[i];
		}
	}
	return NULL;
}

/* "@id": every name of the entity becomes a term reported under that name. */
static int
add_entity(struct pctx *c, const yaml_node_t *n, const char *ref, bool caseless, uint8_t scope,
           bool whole_word)
{
	const struct entity *e = find_entity(c, ref + 1);
	yaml_node_item_t *it;

	if (e == NULL) {
		return fail_at(c, n, "unknown entity '%s'", ref);
	}
	for (it = e->names->data.sequence.items.start; it < e->names->data.sequence.items.top;
	     it++) {
		const yaml_node_t *nm = node(c, *it);

		if (add_literal(c, nm, sval(nm), sval(nm), nm->data.scalar.length, caseless, scope,
		                whole_word) != 0) {
			return -1;
		}
	}
	return 0;
}

static int
add_regex(struct pctx *c, const yaml_node_t *n, bool caseless, uint8_t scope, bool whole_word)
{
	struct wl_term *t;

	if (string_at(c, n, "regex") != 0) {
		return -1;
	}
	if (n->data.scalar.length == 0) {
		return fail_at(c, n, "empty regex");
	}
	t = new_term(c);
	if (t == NULL) {
		return fail_at(c, n, "out of memory");
	}
	t->line = (uint32_t)n->start_mark.line + 1;
	t->col = (uint32_t)n->start_mark.column + 1;
	t->display = strdup(sval(n));
	t->expr = strdup(sval(n));
	if (t->display == NULL || t->expr == NULL) {
		return fail_at(c, n, "out of memory");
	}
	t->is_regex = 1;
	t->scope = scope;
	t->whole_word = whole_word;
	t->caseless = caseless;
	return 0;
}

/* {text|regex: ..., field: ..., case: ..., whole_word: ...} */
static int
term_mapping(struct pctx *c, const yaml_node_t *n)
{
	const yaml_node_t *text = NULL, *regex = NULL;
	bool caseless = c->def_caseless, whole_word = c->def_whole_word, ww_set = false;
	uint8_t scope = WL_SCOPE_ANY;
	yaml_node_pair_t *p;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = is_scalar(k) ? sval(k) : "";
		int rc = 0;

		if (strcmp(key, "text") == 0 && text == NULL) {
			text = v;
		} else if (strcmp(key, "regex") == 0 && regex == NULL) {
			regex = v;
		} else if (strcmp(key, "field") == 0) {
			rc = parse_field(c, v, &scope);
		} else if (strcmp(key, "case") == 0) {
			rc = parse_sensitivity(c, v, "case", &caseless);
		} else if (strcmp(key, "whole_word") == 0) {
			rc = parse_bool(c, v, "whole_word", &whole_word);
			ww_set = true;
		} else if (strcmp(key, "text") == 0 || strcmp(key, "regex") == 0) {
			rc = fail_at(c, k, "duplicate key '%s'", key);
		} else if (is_scalar(k)) {
			rc = fail_at(c, k,
			             "unknown term key '%s' (text, regex, field, case, whole_word)",
			             key);
		} else {
			rc = fail_at(c, k, "term keys must be strings");
		}
		if (rc != 0) {
			return -1;
		}
	}
	if (text != NULL && regex != NULL) {
		return fail_at(c, regex, "a term has either text or regex, not both");
	}
	if (regex != NULL) {
		/* a regex states its own boundaries unless whole_word is asked for */
		return add_regex(c, regex, caseless, scope, ww_set && whole_word);
	}
	if (text == NULL) {
		return fail_at(c, n, "a term mapping needs text or regex");
	}
	if (string_at(c, text, "text") != 0) {
		return -1;
	}
	if (sval(text)[0] == '@') {
		return add_entity(c, text, sval(text), caseless, scope, whole_word);
	}
	return add_literal(c, text, sval(text), sval(text), text->data.scalar.length, caseless,
	                   scope, whole_word);
}

static int
parse_terms(struct pctx *c, const yaml_node_t *list)
{
	yaml_node_item_t *it;
	int rc = 0;

	if (!seq(list, "terms", c, &rc)) {
		return rc;
	}
	for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		const yaml_node_t *n = node(c, *it);
		const char *s;

		if (n->type == YAML_MAPPING_NODE) {
			rc = term_mapping(c, n);
		} else if (string_at(c, n, "a term") != 0) {
			rc = -1;
		} else if ((s = sval(n))[0] == '@') {
			rc = add_entity(c, n, s, c->def_caseless, WL_SCOPE_ANY, c->def_whole_word);
		} else if (strncmp(s, "cs:", 3) == 0) {
			rc = add_literal(c, n, s, s + 3, n->data.scalar.length - 3, false,
			                 WL_SCOPE_ANY, c->def_whole_word);
		} else {
			rc = add_literal(c, n, s, s, n->data.scalar.length, c->def_caseless,
			                 WL_SCOPE_ANY, c->def_whole_word);
		}
		if (rc != 0) {
			return -1;
		}
	}
	return 0;
}

static int
parse_entity(struct pctx *c, const yaml_node_t *n, struct entity *e)
{
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	int rc = 0;

	if (n->type != YAML_MAPPING_NODE) {
		return fail_at(c, n, "an entity must be a mapping {id: ..., names: [...]}");
	}
	e->id = NULL;
	e->names = NULL;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = is_scalar(k) ? sval(k) : "";

		if (strcmp(key, "id") == 0 && e->id == NULL) {
			if (string_at(c, v, "entity id") != 0) {
				return -1;
			}
			if (v->data.scalar.length == 0) {
				return fail_at(c, v, "empty entity id");
			}
			if (find_entity(c, sval(v)) != NULL) {
				return fail_at(c, v, "duplicate entity '%s'", sval(v));
			}
			e->id = v;
		} else if (strcmp(key, "names") == 0 && e->names == NULL) {
			if (!seq(v, "names", c, &rc)) {
				return rc;
			}
			if (v->data.sequence.items.start == v->data.sequence.items.top) {
				return fail_at(c, v, "an entity needs at least one name");
			}
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
			     it++) {
				if (string_at(c, node(c, *it), "a name") != 0) {
					return -1;
				}
			}
			e->names = v;
		} else if (strcmp(key, "id") == 0 || strcmp(key, "names") == 0) {
			return fail_at(c, k, "duplicate key '%s'", key);
		} else {
			return fail_at(c, k, "unknown entity key '%s' (id, names)", key);
		}
	}
	if (e->id == NULL) {
		return fail_at(c, n, "an entity needs an id");
	}
	if (e->names == NULL) {
		return fail_at(c, n, "entity '%s' needs names", sval(e->id));
	}
	return 0;
}

static int
parse_entities(struct pctx *c, const yaml_node_t *list)
{
	yaml_node_item_t *it;
	size_t n;
	int rc = 0;

	if (!seq(list, "entities", c, &rc)) {
		return rc;
	}
	n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n > MAX_ENTITIES) {
		return fail_at(c, list, "more than %d entities", MAX_ENTITIES);
	}
	c->ents = calloc(n + 1, sizeof(*c->ents));
	if (c->ents == NULL) {
		return fail_at(c, list, "out of memory");
	}
	for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		if (parse_entity(c, node(c, *it), &c->ents[c->n_ents]) != 0) {
			return -1;
		}
		c->n_ents++;
	}
	return 0;
}

static int
parse_defaults(struct pctx *c, const yaml_node_t *n)
{
	yaml_node_pair_t *p;
	bool accents_insens = true;

	if (n->type != YAML_MAPPING_NODE) {
		return fail_at(c, n, "defaults must be a mapping");
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = is_scalar(k) ? sval(k) : "";
		int rc;

		if (strcmp(key, "case") == 0) {
			rc = parse_sensitivity(c, v, "case", &c->def_caseless);
		} else if (strcmp(key, "accents") == 0) {
			/* accepted; folding accents is the normalizer's job (not yet) */
			rc = parse_sensitivity(c, v, "accents", &accents_insens);
		} else if (strcmp(key, "whole_word") == 0) {
			rc = parse_bool(c, v, "whole_word", &c->def_whole_word);
		} else {
			rc = fail_at(c, k, "unknown defaults key '%s' (case, accents, whole_word)",
			             key);
		}
		if (rc != 0) {
			return -1;
		}
	}
	return 0;
}

static int
parse_name(struct pctx *c, const yaml_node_t *n)
{
	const char *s;
	size_t i;

	if (string_at(c, n, "name") != 0) {
		return -1;
	}
	s = sval(n);
	if (s[0] == 0) {
		return fail_at(c, n, "empty name");
	}
	for (i = 0; s[i] != 0; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-')) {
			return fail_at(c, n, "invalid name '%s' (use a-z 0-9 . _ -)", s);
		}
	}
	c->def->name = strdup(s);
	if (c->def->name == NULL) {
		return fail_at(c, n, "out of memory");
	}
	c->def->name_line = (uint32_t)n->start_mark.line + 1;
	c->def->name_col = (uint32_t)n->start_mark.column + 1;
	return 0;
}

static int
parse_severity(struct pctx *c, const yaml_node_t *n)
{
	size_t i;

	if (!is_scalar(n)) {
		return fail_at(c, n, "severity must be a string");
	}
	for (i = 0; i < sizeof(severities) / sizeof(severities[0]); i++) {
		if (strcmp(sval(n), severities[i]) == 0) {
			c->def->info.severity = severities[i];
			return 0;
		}
	}
	return fail_at(c, n, "unknown severity '%s' (info, low, medium, high, critical)", sval(n));
}

static int
parse_tags(struct pctx *c, const yaml_node_t *list)
{
	yaml_node_item_t *it;
	size_t n;
	int rc = 0;

	if (!seq(list, "tags", c, &rc)) {
		return rc;
	}
	n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	c->def->tags = calloc(n + 1, sizeof(char *));
	if (c->def->tags == NULL) {
		return fail_at(c, list, "out of memory");
	}
	for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		const yaml_node_t *t = node(c, *it);

		if (string_at(c, t, "a tag") != 0) {
			return -1;
		}
		if (t->data.scalar.length == 0) {
			return fail_at(c, t, "empty tag");
		}
		c->def->tags[c->def->info.n_tags] = strdup(sval(t));
		if (c->def->tags[c->def->info.n_tags] == NULL) {
			return fail_at(c, t, "out of memory");
		}
		c->def->info.n_tags++;
	}
	return 0;
}

enum top_key { K_NAME, K_SEVERITY, K_TAGS, K_DEFAULTS, K_ENTITIES, K_TERMS, K__MAX };

static int
parse_root(struct pctx *c, const yaml_node_t *root)
{
	static const char *const keys[K__MAX] = { "name",     "severity", "tags",
		                                  "defaults", "entities", "terms" };
	const yaml_node_t *val[K__MAX] = { NULL };
	yaml_node_pair_t *p;
	int i;

	if (root->type != YAML_MAPPING_NODE) {
		return fail_at(c, root, "a watchlist must be a mapping (name: ..., terms: ...)");
	}
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key);
		const char *key;

		if (!is_scalar(k)) {
			return fail_at(c, k, "keys must be strings");
		}
		key = sval(k);
		if (strcmp(key, "queries") == 0 || strcmp(key, "patterns") == 0) {
			return fail_at(c, k, "%s are not supported yet", key);
		}
		for (i = 0; i < K__MAX; i++) {
			if (strcmp(key, keys[i]) == 0) {
				break;
			}
		}
		if (i == K__MAX) {
			return fail_at(
			        c, k,
			        "unknown key '%s' (name, severity, tags, defaults, entities, "
			        "terms)",
			        key);
		}
		if (val[i] != NULL) {
			return fail_at(c, k, "duplicate key '%s'", key);
		}
		val[i] = node(c, p->value);
	}
	if (val[K_NAME] == NULL) {
		return fail_at(c, root, "missing name");
	}
	if (parse_name(c, val[K_NAME]) != 0) {
		return -1;
	}
	if (val[K_SEVERITY] != NULL && parse_severity(c, val[K_SEVERITY]) != 0) {
		return -1;
	}
	if (val[K_TAGS] != NULL && parse_tags(c, val[K_TAGS]) != 0) {
		return -1;
	}
	if (val[K_DEFAULTS] != NULL && parse_defaults(c, val[K_DEFAULTS]) != 0) {
		return -1;
	}
	/* entities first so a term may refer to one declared further down */
	if (val[K_ENTITIES] != NULL && parse_entities(c, val[K_ENTITIES]) != 0) {
		return -1;
	}
	if (val[K_TERMS] != NULL && parse_terms(c, val[K_TERMS]) != 0) {
		return -1;
	}
	return 0;
}

static void
yaml_error(const char *path, const yaml_parser_t *parser, char **err)
{
	if (parser->context != NULL) {
		err_set(err, "%s:%zu:%zu: %s (%s at %zu:%zu)", path, parser->problem_mark.line + 1,
		        parser->problem_mark.column + 1,
		        parser->problem != NULL ? parser->problem : "YAML error", parser->context,
		        parser->context_mark.line + 1, parser->context_mark.column + 1);
		return;
	}
	err_set(err, "%s:%zu:%zu: %s", path, parser->problem_mark.line + 1,
	        parser->problem_mark.column + 1,
	        parser->problem != NULL ? parser->problem : "YAML error");
}

int
wl_parse_file(const char *path, struct wl_def *def, char **err)
{
	struct pctx c = {
		.path = path, .def = def, .err = err, .def_caseless = true, .def_whole_word = true
	};
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool parser_ok = false, doc_ok = false;
	const yaml_node_t *root;
	FILE *f = NULL;
	uint32_t i;
	int rc = -1;

	def->info.severity = "medium";
	def->file = strdup(path);
	if (def->file == NULL) {
		err_set(err, "%s: out of memory", path);
		goto fail;
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (yaml_parser_initialize(&parser) == 0) {
		err_set(err, "%s: out of memory", path);
		goto fail;
	}
	parser_ok = true;
	yaml_parser_set_input_file(&parser, f);
	if (yaml_parser_load(&parser, &doc) == 0) {
		yaml_error(path, &parser, err);
		goto fail;
	}
	doc_ok = true;
	c.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		err_set(err, "%s:1:1: empty file (a watchlist needs at least a name)", path);
		goto fail;
	}
	if (parse_root(&c, root) != 0) {
		goto fail;
	}
	if (yaml_parser_load(&parser, &extra) == 0) {
		yaml_error(path, &parser, err);
		goto fail;
	}
	root = yaml_document_get_root_node(&extra);
	if (root != NULL) {
		err_set(err, "%s:%zu:%zu: one watchlist per file (a second YAML document)", path,
		        root->start_mark.line + 1, root->start_mark.column + 1);
		yaml_document_delete(&extra);
		goto fail;
	}
	yaml_document_delete(&extra);
	for (i = 0; i < def->n_terms; i++) {
		def->terms[i].wl_idx = UINT32_MAX; /* set when the set is assembled */
	}
	def->info.name = def->name;
	def->info.file = def->file;
	def->info.tags = (const char *const *)def->tags;
	def->info.n_terms = def->n_terms;
	rc = 0;
fail:
	free(c.ents);
	if (doc_ok) {
		yaml_document_delete(&doc);
	}
	if (parser_ok) {
		yaml_parser_delete(&parser);
	}
	if (f != NULL) {
		fclose(f);
	}
	return rc;
}

void
wl_parse_def_clear(struct wl_def *def)
{
	uint32_t i;

	if (def == NULL) {
		return;
	}
	for (i = 0; i < def->n_terms; i++) {
		free(def->terms[i].display);
		free(def->terms[i].expr);
	}
	free(def->terms);
	if (def->tags != NULL) {
		for (i = 0; def->tags[i] != NULL; i++) {
			free(def->tags[i]);
		}
	}
	free(def->tags);
	free(def->name);
	free(def->file);
	memset(def, 0, sizeof(*def));
}
