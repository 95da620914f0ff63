/*
 * Invariant checks. BUG_ON() is always on and belongs on the control plane;
 * BUG_ON_HOT() costs nothing unless built with -Ddebug_strict=true.
 */
#ifndef FW_BUG_H
#define FW_BUG_H

#include <stdio.h>
#include <stdlib.h>

#define BUG_ON(cond)                                                                      \
	do {                                                                              \
		if (__builtin_expect(!!(cond), 0)) {                                      \
			fprintf(stderr, "BUG at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                          \
		}                                                                         \
	} while (0)

#ifdef FW_DEBUG_STRICT
#define BUG_ON_HOT(cond) BUG_ON(cond)
#else
#define BUG_ON_HOT(cond) ((void)0)
#endif

#ifndef likely
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#endif
