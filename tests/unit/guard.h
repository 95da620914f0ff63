/*
 * Test helpers: put parser input right before an inaccessible page so that
 * any read past the end crashes, with or without ASan.
 */
#ifndef FW_TEST_GUARD_H
#define FW_TEST_GUARD_H

#include <stddef.h>
#include <stdint.h>

/*
 * A copy of <len> bytes of <src> ending exactly at a PROT_NONE page. Free it
 * with guard_free(). Aborts on failure (tests only).
 */
uint8_t *guard_dup(const void *src, size_t len);

/* Releases a buffer from guard_dup(). Accepts NULL. */
void guard_free(uint8_t *p);

/* mkdtemp(<tmpl>) for a suite's scratch folder; 0 or -1. */
int guard_mkdtemp(char *tmpl);

/* Removes folder <dir> and everything in it; 0 or -1. */
int guard_rmtree(const char *dir);

/* Runs the registered CUnit suites verbosely; returns the process exit code. */
int guard_run_tests(void);

#endif
