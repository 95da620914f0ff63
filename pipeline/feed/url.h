/*
 * Resolving a relative reference against a base URL (RFC 3986 §5.2), for the
 * links feeds write relative to xml:base or to the document's own URL. Pure
 * functions over spans; no allocation.
 */
#ifndef FW_URL_H
#define FW_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/span.h"

/* Whether <s> starts with a scheme (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"). */
bool url_is_absolute(struct span s);

/*
 * Writes the target URI of reference <ref> resolved against absolute <base>
 * (RFC 3986 §5.2.2, dot segments removed per §5.2.4) to <out> of <cap>
 * bytes, not NUL-terminated. An absolute <ref> is copied as it is. Returns
 * the length, or 0 if <base> is not absolute or the result does not fit.
 */
size_t url_resolve(char *out, size_t cap, struct span base, struct span ref);

#endif
