/*
 * A borrowed byte span. Never NUL-terminated; valid only as long as the
 * function that handed it out says (usually: until the next call on the same
 * flow).
 */
#ifndef FW_SPAN_H
#define FW_SPAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct span {
	const uint8_t *ptr;
	size_t len;
};

/* A span over a NUL-terminated string <s> (may not be NULL). */
static inline struct span
span_str(const char *s)
{
	struct span sp = { (const uint8_t *)s, strlen(s) };
	return sp;
}

/* Whether span <a> holds exactly the bytes of string <s>, ASCII case folded. */
static inline int
span_eq_ci(struct span a, const char *s)
{
	size_t i;

	for (i = 0; i < a.len; i++) {
		uint8_t c = a.ptr[i], d = (uint8_t)s[i];

		if (d == 0) {
			return 0;
		}
		if (c >= 'A' && c <= 'Z') {
			c += 32;
		}
		if (d >= 'A' && d <= 'Z') {
			d += 32;
		}
		if (c != d) {
			return 0;
		}
	}
	return s[a.len] == 0;
}

#endif
