/* retry_state: one message per distinct error, the count of failed
 * attempts, the delay before the next one. */
#include "retry_state.h"
#include "unit.h"

static void test_one_message_per_distinct_error(void) {
  retry_state_t r;
  retry_state_init(&r);
  CHECK(retry_state_failed(&r, 1, "socket: Operation not permitted") == 1);
  CHECK(retry_state_failed(&r, 1, "socket: Operation not permitted") == 0);
  CHECK(retry_state_failed(&r, 1, "socket: Operation not permitted") == 0);
  /* Same status, other wording: another error. */
  CHECK(retry_state_failed(&r, 1, "bind: No such device") == 1);
  CHECK(retry_state_failed(&r, 2, "bind: No such device") == 1);
  CHECK(retry_state_failed(&r, 2, "bind: No such device") == 0);
  /* Back to the first one: said again (it is a change). */
  CHECK(retry_state_failed(&r, 1, "socket: Operation not permitted") == 1);
  CHECK_U64(r.failures, 7);
}

static void test_key_alone(void) {
  retry_state_t r;
  retry_state_init(&r);
  CHECK(retry_state_failed(&r, 24, NULL) == 1);
  CHECK(retry_state_failed(&r, 24, NULL) == 0);
  CHECK(retry_state_failed(&r, 1, NULL) == 1);
  /* The first error may be key 0 too. */
  retry_state_init(&r);
  CHECK(retry_state_failed(&r, 0, NULL) == 1);
  CHECK(retry_state_failed(&r, 0, NULL) == 0);
}

static void test_success_counts_and_forgets(void) {
  retry_state_t r;
  retry_state_init(&r);
  CHECK_U64(retry_state_succeeded(&r), 0);
  for (int i = 0; i < 3; i++)
    retry_state_failed(&r, 13, "denied");
  CHECK_U64(retry_state_succeeded(&r), 3);
  CHECK_U64(r.failures, 0);
  /* The same error after a success is news again. */
  CHECK(retry_state_failed(&r, 13, "denied") == 1);
  CHECK_U64(retry_state_succeeded(&r), 1);
}

static void test_delay_doubles_up_to_the_cap(void) {
  retry_state_t r;
  retry_state_init(&r);
  CHECK(retry_state_delay(&r, 1, 60) == 1); /* no failure yet */
  double want[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};
  for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
    retry_state_failed(&r, 1, NULL);
    CHECK(retry_state_delay(&r, 1, 60) == want[i]);
  }
  /* A base above the cap wins. */
  CHECK(retry_state_delay(&r, 120, 60) == 120);
  /* Fractions. */
  retry_state_init(&r);
  retry_state_failed(&r, 1, NULL);
  retry_state_failed(&r, 1, NULL);
  CHECK(retry_state_delay(&r, 0.25, 60) == 0.5);
  /* Very many failures: no overflow, no endless loop. */
  r.failures = ~0u;
  CHECK(retry_state_delay(&r, 0.1, 60) == 60);
  CHECK(retry_state_failed(&r, 1, NULL) == 0);
  CHECK_U64(r.failures, ~0u);
}

int main(void) {
  RUN(test_one_message_per_distinct_error);
  RUN(test_key_alone);
  RUN(test_success_counts_and_forgets);
  RUN(test_delay_doubles_up_to_the_cap);
  UNIT_MAIN_END();
}
