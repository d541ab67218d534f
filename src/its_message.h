/* its_message: format a message and hand it to a module's log callback.
 * The modules take no collectd types; the collectd layer turns the
 * callback into plugin_log. */
#ifndef ITS_MESSAGE_H
#define ITS_MESSAGE_H

/* severity: syslog levels (3 error, 4 warning, 5 notice, 6 info). */
typedef void (*its_message_cb_t)(void *ud, int severity, const char *msg);

void its_message(its_message_cb_t cb, void *ud, int severity, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

#endif
