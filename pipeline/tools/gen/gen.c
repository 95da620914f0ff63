/* struct gen_doc, shared by the content and network layers of feedwatch-gen. */
#include "tools/gen/gen.h"

#include <stdlib.h>

void
gen_doc_free(struct gen_doc *doc)
{
	if (doc == NULL) {
		return;
	}
	free(doc->body);
	free(doc->items);
	free(doc->hits);
	free(doc);
}
