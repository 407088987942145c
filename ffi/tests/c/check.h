/* The C tests' one assertion macro: counts passes, reports each failure with its place. */
#ifndef PROSE_TEST_CHECK_H
#define PROSE_TEST_CHECK_H
#include <stdio.h>

static int failures = 0, passed = 0;
#define CHECK(cond, ...)                                                                      \
    do {                                                                                      \
        if (cond) {                                                                           \
            passed++;                                                                         \
        } else {                                                                              \
            failures++;                                                                       \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                              \
            fprintf(stderr, __VA_ARGS__);                                                     \
            fprintf(stderr, "\n");                                                            \
        }                                                                                     \
    } while (0)
#endif
