/* retry_state: what a source that keeps retrying something (opening a
 * capture, loading the eBPF program) says and when it tries again. One
 * message per distinct error, not one per attempt; the number of failed
 * attempts for the message that says it finally worked; and the delay
 * before the next attempt. Pure: no clock, no I/O. */
#ifndef ITS_RETRY_STATE_H
#define ITS_RETRY_STATE_H

typedef struct {
  unsigned failures; /* failed attempts since the last success */
  int said;          /* an error has been said since the last success */
  int last_key;      /* of the error last said */
  char last_text[512];
} retry_state_t;

void retry_state_init(retry_state_t *r);

/* Records a failed attempt. `key` tells errors apart (a status or an
 * errno); `text`, when not NULL, too (NULL: the key alone decides, for
 * wordings that vary with no new cause). Returns 1 when this error must be
 * said: the first, or one that differs from the last said. */
int retry_state_failed(retry_state_t *r, int key, const char *text);

/* Records a success: returns how many attempts failed before it (0: it
 * worked at once) and forgets the error, so that it is said again if it
 * comes back. */
unsigned retry_state_succeeded(retry_state_t *r);

/* " after N failed attempt(s)" for the message that says it works again,
 * or "" when no error was said (then the success is news to no one). */
void retry_state_after_text(unsigned failed, int error_said, char *buf,
                            unsigned len);

/* Seconds to wait after the last failed attempt: `base` after the first,
 * doubling with each further failure, never more than `cap` (nor less than
 * `base`, when `cap` is smaller). `base` > 0. */
double retry_state_delay(const retry_state_t *r, double base, double cap);

#endif
