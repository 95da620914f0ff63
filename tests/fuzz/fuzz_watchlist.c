/*
 * Fuzz target: a watchlist file as analysts write it, any bytes. The YAML
 * walk, entities, lists, term strings, queries (the query language inside
 * YAML scalars) and weighted patterns all run; every problem must come back
 * as a diagnostic with a position, never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_diags d = { 0 };
	struct wl_def def;
	uint32_t i;
	int rc;

	memset(&def, 0, sizeof(def));
	rc = wl_parse_file("fuzz.yaml", data, size, &def, &d);
	if (rc == 0 && d.n_errors != 0) {
		abort(); /* success with an error reported */
	}
	if (rc != 0 && d.n_errors == 0) {
		abort(); /* a failure must say why */
	}
	for (i = 0; i < def.n_terms; i++) {
		const struct wl_term *t = &def.terms[i];

		if (t->atom >= def.n_atoms || t->expr == NULL || t->display == NULL ||
		    (!t->is_regex && t->len != strlen(t->expr))) {
			abort();
		}
	}
	for (i = 0; i < def.n_rules; i++) {
		if (def.rules[i].atom0 + def.rules[i].n_atoms > def.n_atoms) {
			abort();
		}
	}
	wl_parse_def_clear(&def);
	wl_diags_clear(&d);
	return 0;
}
