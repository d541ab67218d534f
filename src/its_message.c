#include "its_message.h"

#include <stdarg.h>
#include <stdio.h>

void its_message(its_message_cb_t cb, void *ud, its_severity_t severity,
                 const char *fmt, ...) {
  if (cb == NULL)
    return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  cb(ud, severity, msg);
}
