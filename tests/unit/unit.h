/* unit.h: a minimal test harness. Each CHECK prints a failure with its
 * location; UNIT_MAIN_END prints "N passed, N failed" and sets the exit code.
 */
#ifndef ITS_UNIT_H
#define ITS_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond)                                                                  \
      unit_passed++;                                                           \
    else {                                                                     \
      unit_failed++;                                                           \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);          \
    }                                                                          \
  } while (0)

#define CHECK_U64(got, want)                                                   \
  do {                                                                         \
    uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                      \
    if (g_ == w_)                                                              \
      unit_passed++;                                                           \
    else {                                                                     \
      unit_failed++;                                                           \
      fprintf(stderr, "FAIL %s:%d: %s == %" PRIu64 ", want %" PRIu64 "\n",     \
              __FILE__, __LINE__, #got, g_, w_);                               \
    }                                                                          \
  } while (0)

#define CHECK_STR(got, want)                                                   \
  do {                                                                         \
    const char *g_ = (got), *w_ = (want);                                      \
    if (g_ && w_ && strcmp(g_, w_) == 0)                                       \
      unit_passed++;                                                           \
    else {                                                                     \
      unit_failed++;                                                           \
      fprintf(stderr, "FAIL %s:%d: %s == \"%s\", want \"%s\"\n", __FILE__,     \
              __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");         \
    }                                                                          \
  } while (0)

static int cases_passed, cases_failed;

/* Runs one test case: it fails when any of its checks fails. */
#define RUN(fn)                                                                \
  do {                                                                         \
    int before_ = unit_failed;                                                 \
    fn();                                                                      \
    if (unit_failed == before_) {                                              \
      cases_passed++;                                                          \
      printf("ok   %s\n", #fn);                                                \
    } else {                                                                   \
      cases_failed++;                                                          \
      printf("FAIL %s\n", #fn);                                                \
    }                                                                          \
  } while (0)

#define UNIT_MAIN_END()                                                        \
  do {                                                                         \
    printf("(%d checks passed, %d failed)\n", unit_passed, unit_failed);       \
    printf("%d passed, %d failed\n", cases_passed, cases_failed);              \
    return cases_failed ? 1 : 0;                                               \
  } while (0)

#endif
