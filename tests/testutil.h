/*
 * testutil.h — shared helpers for the cmocka tests: skipping with a visible
 * message, temporary directories, stress scaling.
 */
#ifndef MAPIX_TESTUTIL_H
#define MAPIX_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* MAPIX_STRESS (default 1) multiplies the work of long-running tests. */
unsigned mapix_test_stress(void);
/* A fresh directory under $TMPDIR (or /tmp), removed by mapix_test_rmtree. */
char *mapix_test_tmpdir(const char *tag);
void mapix_test_rmtree(const char *path);
/* Path of a file under the source tree ($MAPIX_SOURCE_DIR). */
char *mapix_test_source_path(const char *rel);
/* Prints "SKIP: reason" and skips the current cmocka test. */
#define MAPIX_SKIP(...)                              \
	do {                                             \
		print_message("SKIP: " __VA_ARGS__);         \
		print_message("\n");                         \
		skip();                                      \
	} while (0)

#endif
