/*
 * Watchlist YAML → struct wl_def. The libyaml document API keeps every
 * node's start mark, so each problem names the exact file:line:col of the
 * offending key or value (marks are 0-based in libyaml, 1-based here).
 * Problems are collected, not returned one at a time: a bad term or query
 * is reported and the next one is still read, so `feedwatch check` shows an
 * analyst every mistake in one pass.
 */
#include "match/wl_parse_priv.h"
#include "match/wl_query.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_ENTITIES 4096
#define MAX_LISTS    1024

static const char *const severities[] = { "info", "low", "medium", "high", "critical" };

static int
vdiag(const struct pctx *c, uint32_t line, uint32_t col, bool warning, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return wl_diag_add(c->d, c->path, line, col, warning, "%s", msg);
}

int
pctx_fail(const struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vdiag(c, (uint32_t)n->start_mark.line + 1, (uint32_t)n->start_mark.column + 1, false,
	           fmt, ap);
	va_end(ap);
	return rc;
}

int
pctx_warn(const struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(c, (uint32_t)n->start_mark.line + 1, (uint32_t)n->start_mark.column + 1, true, fmt,
	      ap);
	va_end(ap);
	return 0;
}

int
pctx_diag_at(const struct pctx *c, uint32_t line, uint32_t col, bool warning, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vdiag(c, line, col, warning, fmt, ap);
	va_end(ap);
	return rc;
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
seq(const struct pctx *c, const yaml_node_t *n, const char *what, int *rc)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		*rc = pctx_fail(c, n, "%s must be a list", what);
		return false;
	}
	return true;
}

static int
string_at(const struct pctx *c, const yaml_node_t *n, const char *what)
{
	if (!is_scalar(n)) {
		return pctx_fail(c, n, "%s must be a string", what);
	}
	if (memchr(n->data.scalar.value, 0, n->data.scalar.length) != NULL) {
		return pctx_fail(c, n, "%s contains a NUL byte", what);
	}
	return 0;
}

static int
parse_bool(const struct pctx *c, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s;

	if (!is_scalar(n)) {
		return pctx_fail(c, n, "%s must be true or false", what);
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
	return pctx_fail(c, n, "%s must be true or false, not '%s'", what, s);
}

/* case: "insensitive" → true. */
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
	return pctx_fail(c, n, "%s must be sensitive or insensitive%s%s%s", what,
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
		return pctx_fail(c, n, "field must be a string");
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(sval(n), fields[i].name) == 0) {
			*scope = fields[i].scope;
			return 0;
		}
	}
	return pctx_fail(c, n, "unknown field '%s' (title, body, author, category, url, host, any)",
	                 sval(n));
}

/* {text|regex: ..., field: ..., case: ..., whole_word: ...} */
static int
term_mapping(struct pctx *c, const yaml_node_t *n, uint32_t atom)
{
	const yaml_node_t *text = NULL, *regex = NULL;
	struct term_opts o = { c->def_caseless, c->def_whole_word, WL_SCOPE_ANY };
	bool ww_set = false;
	yaml_node_pair_t *p;
	int bad = 0;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = is_scalar(k) ? sval(k) : "";

		if (strcmp(key, "text") == 0 && text == NULL) {
			text = v;
		} else if (strcmp(key, "regex") == 0 && regex == NULL) {
			regex = v;
		} else if (strcmp(key, "field") == 0) {
			bad |= parse_field(c, v, &o.scope);
		} else if (strcmp(key, "case") == 0) {
			bad |= parse_sensitivity(c, v, "case", &o.caseless);
		} else if (strcmp(key, "whole_word") == 0) {
			bad |= parse_bool(c, v, "whole_word", &o.whole_word);
			ww_set = true;
		} else if (strcmp(key, "text") == 0 || strcmp(key, "regex") == 0) {
			bad |= pctx_fail(c, k, "duplicate key '%s'", key);
		} else if (is_scalar(k)) {
			bad |= pctx_fail(
			        c, k,
			        "unknown term key '%s' (text, regex, field, case, whole_word)",
			        key);
		} else {
			bad |= pctx_fail(c, k, "term keys must be strings");
		}
	}
	if (bad != 0) {
		return -1;
	}
	if (text != NULL && regex != NULL) {
		return pctx_fail(c, regex, "a term has either text or regex, not both");
	}
	if (regex != NULL) {
		/* a regex states its own boundaries unless whole_word is asked for */
		o.whole_word = ww_set && o.whole_word;
		return rules_add_regex(c, regex, atom, &o);
	}
	if (text == NULL) {
		return pctx_fail(c, n, "a term mapping needs text or regex");
	}
	if (string_at(c, text, "text") != 0) {
		return -1;
	}
	return rules_add_term_string(c, text, atom, sval(text), &o);
}

static const char *
term_label(const struct pctx *c, const yaml_node_t *n)
{
	yaml_node_pair_t *p;

	if (is_scalar(n)) {
		return sval(n);
	}
	if (n->type == YAML_MAPPING_NODE) {
		for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);

			if (is_scalar(k) && is_scalar(v) &&
			    (strcmp(sval(k), "text") == 0 || strcmp(sval(k), "regex") == 0)) {
				return sval(v);
			}
		}
	}
	return "?";
}

static int
parse_terms(struct pctx *c, const yaml_node_t *list)
{
	struct term_opts o = { c->def_caseless, c->def_whole_word, WL_SCOPE_ANY };
	yaml_node_item_t *it;
	uint32_t rule, atom;
	int rc = 0;

	if (!seq(c, list, "terms", &rc)) {
		return rc;
	}
	rule = rules_new_rule(c, WL_RULE_TERMS, NULL, list);
	if (rule == WL_NONE) {
		return pctx_fail(c, list, "out of memory");
	}
	for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		const yaml_node_t *n = node(c, *it);

		atom = rules_new_atom(c, rule, term_label(c, n), 0);
		if (atom == WL_NONE) {
			return pctx_fail(c, n, "out of memory");
		}
		if (n->type == YAML_MAPPING_NODE) {
			rc |= term_mapping(c, n, atom);
		} else if (string_at(c, n, "a term") != 0) {
			rc = -1;
		} else {
			rc |= rules_add_term_string(c, n, atom, sval(n), &o);
		}
	}
	c->def->rules[rule].n_atoms = c->def->n_atoms - c->def->rules[rule].atom0;
	return rc;
}

static const struct wl_entity *
find_entity(const struct pctx *c, const char *id)
{
	uint32_t i;

	for (i = 0; i < c->n_ents; i++) {
		if (c->ents[i].id != NULL && strcmp(sval(c->ents[i].id), id) == 0) {
			return &c->ents[i];
		}
	}
	return NULL;
}

static int
string_list(const struct pctx *c, const yaml_node_t *v, const char *what, bool nonempty)
{
	yaml_node_item_t *it;
	int rc = 0;

	if (!seq(c, v, what, &rc)) {
		return rc;
	}
	if (nonempty && v->data.sequence.items.start == v->data.sequence.items.top) {
		return pctx_fail(c, v, "%s needs at least one entry", what);
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		const yaml_node_t *e = node(c, *it);

		if (string_at(c, e, what) != 0) {
			rc = -1;
		} else if (e->data.scalar.length == 0) {
			rc = pctx_fail(c, e, "empty entry in %s", what);
		}
	}
	return rc;
}

static int
parse_entity(struct pctx *c, const yaml_node_t *n, struct wl_entity *e)
{
	yaml_node_pair_t *p;

	if (n->type != YAML_MAPPING_NODE) {
		return pctx_fail(c, n, "an entity must be a mapping {id: ..., names: [...]}");
	}
	memset(e, 0, sizeof(*e));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = is_scalar(k) ? sval(k) : "";

		if (strcmp(key, "id") == 0 && e->id == NULL) {
			if (string_at(c, v, "entity id") != 0) {
				return -1;
			}
			if (v->data.scalar.length == 0 || strchr(sval(v), ' ') != NULL) {
				return pctx_fail(c, v,
				                 "an entity id is one word, like person/lavrov");
			}
			if (find_entity(c, sval(v)) != NULL) {
				return pctx_fail(c, v, "duplicate entity '%s'", sval(v));
			}
			e->id = v;
		} else if (strcmp(key, "names") == 0 && e->names == NULL) {
			if (string_list(c, v, "names", true) != 0) {
				return -1;
			}
			e->names = v;
		} else if (strcmp(key, "exclude_context") == 0 && e->exclude == NULL) {
			if (string_list(c, v, "exclude_context", true) != 0) {
				return -1;
			}
			e->exclude = v;
		} else if (strcmp(key, "id") == 0 || strcmp(key, "names") == 0 ||
		           strcmp(key, "exclude_context") == 0) {
			return pctx_fail(c, k, "duplicate key '%s'", key);
		} else {
			return pctx_fail(
			        c, k, "unknown entity key '%s' (id, names, exclude_context)", key);
		}
	}
	if (e->id == NULL) {
		return pctx_fail(c, n, "an entity needs an id");
	}
	if (e->names == NULL) {
		return pctx_fail(c, n, "entity '%s' needs names", sval(e->id));
	}
	return 0;
}

static int
parse_entities(struct pctx *c, const yaml_node_t *list)
{
	yaml_node_item_t *it;
	size_t n;
	int rc = 0;

	if (!seq(c, list, "entities", &rc)) {
		return rc;
	}
	n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	if (n > MAX_ENTITIES) {
		return pctx_fail(c, list, "more than %d entities", MAX_ENTITIES);
	}
	c->ents = calloc(n + 1, sizeof(*c->ents));
	if (c->ents == NULL) {
		return pctx_fail(c, list, "out of memory");
	}
	for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		struct wl_entity e;

		/* a bad entity is reported and left out; references to it then fail too */
		if (parse_entity(c, node(c, *it), &e) != 0) {
			rc = -1;
			continue;
		}
		c->ents[c->n_ents++] = e;
	}
	return rc;
}

/* lists: {name: [term, ...], ...} */
static int
parse_lists(struct pctx *c, const yaml_node_t *map)
{
	yaml_node_pair_t *p;
	size_t n, i;
	int rc = 0;

	if (map->type != YAML_MAPPING_NODE) {
		return pctx_fail(c, map, "lists must be a mapping {name: [term, ...]}");
	}
	n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	if (n > MAX_LISTS) {
		return pctx_fail(c, map, "more than %d lists", MAX_LISTS);
	}
	c->lists = calloc(n + 1, sizeof(*c->lists));
	if (c->lists == NULL) {
		return pctx_fail(c, map, "out of memory");
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		bool dup = false;

		if (string_at(c, k, "a list name") != 0) {
			rc = -1;
			continue;
		}
		for (i = 0; i < c->n_lists; i++) {
			dup |= strcmp(sval(c->lists[i].name), sval(k)) == 0;
		}
		if (dup) {
			rc = pctx_fail(c, k, "duplicate list '%s'", sval(k));
			continue;
		}
		if (k->data.scalar.length == 0 || strchr(sval(k), ' ') != NULL) {
			rc = pctx_fail(c, k, "a list name is one word");
			continue;
		}
		if (string_list(c, v, "a list", true) != 0) {
			rc = -1;
			continue;
		}
		c->lists[c->n_lists].name = k;
		c->lists[c->n_lists].items = v;
		c->n_lists++;
	}
	return rc;
}

static int
parse_queries(struct pctx *c, const yaml_node_t *list)
{
	yaml_node_item_t *it;
	int rc = 0;

	if (!seq(c, list, "queries", &rc)) {
		return rc;
	}
	for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		rc |= rules_add_query(c, node(c, *it));
	}
	return rc;
}

static int
parse_defaults(struct pctx *c, const yaml_node_t *n)
{
	yaml_node_pair_t *p;
	bool accents = true;
	int rc = 0;

	if (n->type != YAML_MAPPING_NODE) {
		return pctx_fail(c, n, "defaults must be a mapping");
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = is_scalar(k) ? sval(k) : "";

		if (strcmp(key, "case") == 0) {
			rc |= parse_sensitivity(c, v, "case", &c->def_caseless);
		} else if (strcmp(key, "accents") == 0) {
			if (parse_sensitivity(c, v, "accents", &accents) != 0) {
				rc = -1;
			} else if (!accents) {
				rc = pctx_fail(
				        c, v,
				        "accents: sensitive is not supported; write exact:\"...\" "
				        "for a term whose accents and case must match");
			}
		} else if (strcmp(key, "whole_word") == 0) {
			rc |= parse_bool(c, v, "whole_word", &c->def_whole_word);
		} else {
			rc = pctx_fail(
			        c, k, "unknown defaults key '%s' (case, accents, whole_word)", key);
		}
	}
	return rc;
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
		return pctx_fail(c, n, "empty name");
	}
	for (i = 0; s[i] != 0; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-')) {
			return pctx_fail(c, n, "invalid name '%s' (use a-z 0-9 . _ -)", s);
		}
	}
	c->def->name = strdup(s);
	if (c->def->name == NULL) {
		return pctx_fail(c, n, "out of memory");
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
		return pctx_fail(c, n, "severity must be a string");
	}
	for (i = 0; i < sizeof(severities) / sizeof(severities[0]); i++) {
		if (strcmp(sval(n), severities[i]) == 0) {
			c->def->info.severity = severities[i];
			return 0;
		}
	}
	return pctx_fail(c, n, "unknown severity '%s' (info, low, medium, high, critical)",
	                 sval(n));
}

/* `version: 12` or `version: 2026-11-28a`: what alerts name as the watchlist's version */
static int
parse_version(struct pctx *c, const yaml_node_t *n)
{
	const char *v;
	size_t i;

	if (!is_scalar(n)) {
		return pctx_fail(c, n, "version must be a number or a short word");
	}
	v = sval(n);
	if (v[0] == '\0' || strlen(v) >= sizeof(c->def->info.version)) {
		return pctx_fail(c, n, "version must be 1 to %zu characters",
		                 sizeof(c->def->info.version) - 1);
	}
	for (i = 0; v[i] != '\0'; i++) {
		if (!isalnum((unsigned char)v[i]) && strchr("._-", v[i]) == NULL) {
			return pctx_fail(c, n,
			                 "version may hold letters, digits, '.', '_' and '-'");
		}
	}
	memcpy(c->def->info.version, v, i + 1);
	return 0;
}

/* FNV-1a: a watchlist without `version:` is named by what its file holds */
static void
content_version(char *out, size_t cap, const uint8_t *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h = (h ^ buf[i]) * 0x100000001b3ull;
	}
	snprintf(out, cap, "%08x", (unsigned int)(h ^ (h >> 32)));
}

static int
parse_tags(struct pctx *c, const yaml_node_t *list)
{
	yaml_node_item_t *it;
	size_t n;
	int rc = 0;

	if (!seq(c, list, "tags", &rc)) {
		return rc;
	}
	n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	c->def->tags = calloc(n + 1, sizeof(char *));
	if (c->def->tags == NULL) {
		return pctx_fail(c, list, "out of memory");
	}
	for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		const yaml_node_t *t = node(c, *it);

		if (string_at(c, t, "a tag") != 0) {
			rc = -1;
			continue;
		}
		if (t->data.scalar.length == 0) {
			rc = pctx_fail(c, t, "empty tag");
			continue;
		}
		c->def->tags[c->def->info.n_tags] = strdup(sval(t));
		if (c->def->tags[c->def->info.n_tags] == NULL) {
			return pctx_fail(c, t, "out of memory");
		}
		c->def->info.n_tags++;
	}
	return rc;
}

enum top_key {
	K_NAME,
	K_SEVERITY,
	K_TAGS,
	K_DEFAULTS,
	K_ENTITIES,
	K_LISTS,
	K_TERMS,
	K_QUERIES,
	K_PATTERNS,
	K_THRESHOLD,
	K_VERSION,
	K__MAX
};

static int
parse_root(struct pctx *c, const yaml_node_t *root)
{
	static const char *const keys[K__MAX] = { "name",     "severity",  "tags",   "defaults",
		                                  "entities", "lists",     "terms",  "queries",
		                                  "patterns", "threshold", "version" };
	const yaml_node_t *val[K__MAX] = { NULL };
	yaml_node_pair_t *p;
	int i, rc = 0;

	if (root->type != YAML_MAPPING_NODE) {
		return pctx_fail(c, root, "a watchlist must be a mapping (name: ..., terms: ...)");
	}
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key);
		const char *key;

		if (!is_scalar(k)) {
			rc = pctx_fail(c, k, "keys must be strings");
			continue;
		}
		key = sval(k);
		for (i = 0; i < K__MAX; i++) {
			if (strcmp(key, keys[i]) == 0) {
				break;
			}
		}
		if (i == K__MAX) {
			rc = pctx_fail(c, k,
			               "unknown key '%s' (name, version, severity, tags, defaults, "
			               "entities, lists, terms, queries, patterns, threshold)",
			               key);
			continue;
		}
		if (val[i] != NULL) {
			rc = pctx_fail(c, k, "duplicate key '%s'", key);
			continue;
		}
		val[i] = node(c, p->value);
	}
	if (val[K_NAME] == NULL) {
		rc = pctx_fail(c, root, "missing name");
	} else {
		rc |= parse_name(c, val[K_NAME]);
	}
	if (val[K_VERSION] != NULL) {
		rc |= parse_version(c, val[K_VERSION]);
	}
	if (val[K_SEVERITY] != NULL) {
		rc |= parse_severity(c, val[K_SEVERITY]);
	}
	if (val[K_TAGS] != NULL) {
		rc |= parse_tags(c, val[K_TAGS]);
	}
	if (val[K_DEFAULTS] != NULL) {
		rc |= parse_defaults(c, val[K_DEFAULTS]);
	}
	/* entities and lists first so that terms and queries may refer to them */
	if (val[K_ENTITIES] != NULL) {
		rc |= parse_entities(c, val[K_ENTITIES]);
	}
	if (val[K_LISTS] != NULL) {
		rc |= parse_lists(c, val[K_LISTS]);
	}
	if (val[K_TERMS] != NULL) {
		rc |= parse_terms(c, val[K_TERMS]);
	}
	if (val[K_QUERIES] != NULL) {
		rc |= parse_queries(c, val[K_QUERIES]);
	}
	if (val[K_PATTERNS] != NULL) {
		rc |= rules_add_patterns(c, val[K_PATTERNS], val[K_THRESHOLD]);
	} else if (val[K_THRESHOLD] != NULL) {
		rc = pctx_fail(c, val[K_THRESHOLD], "threshold without patterns");
	}
	if (rc == 0 && c->def->n_rules == 0) {
		pctx_warn(c, root,
		          "watchlist '%s' has no terms, queries or patterns: it never alerts",
		          c->def->name != NULL ? c->def->name : "?");
	}
	return rc;
}

static void
yaml_error(const char *path, const yaml_parser_t *parser, struct wl_diags *d)
{
	if (parser->context != NULL) {
		wl_diag_add(d, path, (uint32_t)parser->problem_mark.line + 1,
		            (uint32_t)parser->problem_mark.column + 1, false, "%s (%s at %zu:%zu)",
		            parser->problem != NULL ? parser->problem : "YAML error",
		            parser->context, parser->context_mark.line + 1,
		            parser->context_mark.column + 1);
		return;
	}
	wl_diag_add(d, path, (uint32_t)parser->problem_mark.line + 1,
	            (uint32_t)parser->problem_mark.column + 1, false, "%s",
	            parser->problem != NULL ? parser->problem : "YAML error");
}

int
wl_parse_file(const char *path, const uint8_t *buf, size_t len, struct wl_def *def,
              struct wl_diags *d)
{
	struct pctx c = {
		.path = path, .def = def, .d = d, .def_caseless = true, .def_whole_word = true
	};
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool parser_ok = false, doc_ok = false;
	const yaml_node_t *root;
	uint32_t errors0 = d->n_errors;
	FILE *f = NULL;
	uint8_t *owned = NULL;
	int rc = -1;

	def->info.severity = "medium";
	def->file = strdup(path);
	if (def->file == NULL) {
		wl_diag_add(d, path, 0, 0, false, "out of memory");
		goto fail;
	}
	if (buf == NULL) {
		size_t got;
		long size;

		f = fopen(path, "rb");
		if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0) {
			wl_diag_add(d, path, 0, 0, false, "%s", strerror(errno));
			goto fail;
		}
		/* read whole: its bytes name the version, and YAML parses them from memory */
		owned = malloc((size_t)size + 1);
		if (owned == NULL) {
			wl_diag_add(d, path, 0, 0, false, "out of memory");
			goto fail;
		}
		got = fread(owned, 1, (size_t)size, f);
		if (got != (size_t)size) {
			wl_diag_add(d, path, 0, 0, false, "%s: short read", path);
			goto fail;
		}
		buf = owned;
		len = got;
	}
	content_version(def->info.version, sizeof(def->info.version), buf, len);
	if (yaml_parser_initialize(&parser) == 0) {
		wl_diag_add(d, path, 0, 0, false, "out of memory");
		goto fail;
	}
	parser_ok = true;
	yaml_parser_set_input_string(&parser, buf, len);
	if (yaml_parser_load(&parser, &doc) == 0) {
		yaml_error(path, &parser, d);
		goto fail;
	}
	doc_ok = true;
	c.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		wl_diag_add(d, path, 1, 1, false, "empty file (a watchlist needs at least a name)");
		goto fail;
	}
	parse_root(&c, root);
	if (yaml_parser_load(&parser, &extra) == 0) {
		yaml_error(path, &parser, d);
		goto fail;
	}
	root = yaml_document_get_root_node(&extra);
	if (root != NULL) {
		wl_diag_add(d, path, (uint32_t)root->start_mark.line + 1,
		            (uint32_t)root->start_mark.column + 1, false,
		            "one watchlist per file (a second YAML document)");
	}
	yaml_document_delete(&extra);
	def->info.name = def->name;
	def->info.file = def->file;
	def->info.tags = (const char *const *)def->tags;
	def->info.n_terms = def->n_terms;
	rc = d->n_errors == errors0 ? 0 : -1;
fail:
	free(c.ents);
	free(c.lists);
	if (doc_ok) {
		yaml_document_delete(&doc);
	}
	if (parser_ok) {
		yaml_parser_delete(&parser);
	}
	if (f != NULL) {
		fclose(f);
	}
	free(owned);
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
		free(def->terms[i].orig);
	}
	free(def->terms);
	for (i = 0; i < def->n_atoms; i++) {
		free(def->atoms[i].text);
	}
	free(def->atoms);
	for (i = 0; i < def->n_rules; i++) {
		free(def->rules[i].name);
		wlq_free(def->rules[i].q);
	}
	free(def->rules);
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
