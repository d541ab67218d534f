#include "retry_state.h"

#include <stdio.h>
#include <string.h>

void retry_state_init(retry_state_t *r) { memset(r, 0, sizeof(*r)); }

int retry_state_failed(retry_state_t *r, int key, const char *text) {
  if (r->failures < ~0u)
    r->failures++;
  if (r->said && key == r->last_key &&
      (text == NULL || strcmp(text, r->last_text) == 0))
    return 0;
  r->said = 1;
  r->last_key = key;
  snprintf(r->last_text, sizeof(r->last_text), "%s", text ? text : "");
  return 1;
}

unsigned retry_state_succeeded(retry_state_t *r) {
  unsigned n = r->failures;
  retry_state_init(r);
  return n;
}

double retry_state_delay(const retry_state_t *r, double base, double cap) {
  if (cap < base)
    cap = base;
  double d = base;
  for (unsigned i = 1; i < r->failures && d < cap; i++)
    d *= 2;
  return d < cap ? d : cap;
}

void retry_state_after_text(unsigned failed, int error_said, char *buf,
                            unsigned len) {
  if (len == 0)
    return;
  buf[0] = '\0';
  if (error_said)
    snprintf(buf, len, " after %u failed attempt%s", failed,
             failed == 1 ? "" : "s");
}
