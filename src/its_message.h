/* its_message: the one message vocabulary of every module: a severity and a
 * callback that receives one finished sentence. The modules take no
 * collectd types; the collectd layer turns the callback into plugin_log,
 * the command-line tool into stderr. */
#ifndef ITS_MESSAGE_H
#define ITS_MESSAGE_H

/* Syslog's numbers, which collectd's plugin_log takes as they are. */
typedef enum {
  ITS_ERROR = 3,
  ITS_WARNING = 4,
  ITS_NOTICE = 5,
  ITS_INFO = 6,
} its_severity_t;

typedef void (*its_message_cb_t)(void *ud, its_severity_t severity,
                                 const char *msg);

/* Formats the message and hands it to cb (nothing when cb is NULL). */
void its_message(its_message_cb_t cb, void *ud, its_severity_t severity,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
