/*
 * Private to wl_parse.c and wl_rules.c: the state of parsing one watchlist
 * file. wl_parse.c walks the YAML; wl_rules.c turns terms, queries, lists,
 * entities and weighted patterns into atoms and terms.
 */
#ifndef FW_WL_PARSE_PRIV_H
#define FW_WL_PARSE_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#include "match/match_priv.h"

struct wl_entity {
	const yaml_node_t *id;
	const yaml_node_t *names;   /* a sequence of scalars */
	const yaml_node_t *exclude; /* a sequence of scalars, or NULL */
};

struct wl_list {
	const yaml_node_t *name;
	const yaml_node_t *items; /* a sequence of scalars */
	bool expanding;           /* guards @list:a inside list a */
};

struct pctx {
	const char *path;
	yaml_document_t *doc;
	struct wl_def *def;
	struct wl_diags *d;
	bool def_caseless;
	bool def_whole_word;
	struct wl_entity *ents;
	uint32_t n_ents;
	struct wl_list *lists;
	uint32_t n_lists;
};

/* An error at node <n> ("path:line:col: msg"); returns -1. */
int pctx_fail(const struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* A warning at node <n>; returns 0. */
int pctx_warn(const struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* An error or warning at an explicit 1-based position. */
int pctx_diag_at(const struct pctx *c, uint32_t line, uint32_t col, bool warning, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));

/* New atom of rule <rule> (WL_NONE: an exclusion); its index, or WL_NONE on ENOMEM. */
uint32_t rules_new_atom(struct pctx *c, uint32_t rule, const char *text, int32_t weight);

/* New rule; its index, or WL_NONE on ENOMEM. */
uint32_t rules_new_rule(struct pctx *c, enum wl_rule_kind kind, const char *name,
                        const yaml_node_t *at);

/* Per-term options written in a term string or a term mapping. */
struct term_opts {
	bool caseless;
	bool whole_word;
	uint8_t scope;
};

/*
 * A term as analysts write it in terms, lists and weighted patterns:
 * "@entity", "@list:name", "cs:NASA", "exact:c++", "stem*", or a word or
 * phrase. Adds its terms to <atom>. Errors name node <n>.
 */
int rules_add_term_string(struct pctx *c, const yaml_node_t *n, uint32_t atom, const char *s,
                          const struct term_opts *o);

/* A literal (entity names: never a reference or option). */
int rules_add_literal(struct pctx *c, const yaml_node_t *n, uint32_t atom, const char *display,
                      const char *text, size_t len, const struct term_opts *o, bool exact,
                      bool prefix);

/* A regex term. */
int rules_add_regex(struct pctx *c, const yaml_node_t *n, uint32_t atom, const struct term_opts *o);

/* One query {name, q} (node <n> the mapping) → a WL_RULE_QUERY rule. */
int rules_add_query(struct pctx *c, const yaml_node_t *n);

/* Weighted patterns (node <n>), with the file's top-level threshold node (or NULL). */
int rules_add_patterns(struct pctx *c, const yaml_node_t *n, const yaml_node_t *threshold);

#endif
