/* state_file: what the plugin keeps across collectd restarts: for each <Log>
 * source (its instance and log path), the newest block time whose values
 * were dispatched. No collectd types: the collectd layer decides where the
 * file is and when it is written.
 *
 * The file is text, one line per source:
 *
 *   instance <TAB> log path <TAB> block time (seconds since 1970, UTC)
 *
 * with '\\', TAB, newline and carriage return in the instance and the path
 * written as \\ \t \n \r. Blank lines and lines starting with '#' are
 * comments. */
#ifndef ITS_STATE_FILE_H
#define ITS_STATE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "its_message.h"

typedef struct {
  const char *instance;
  const char *path;
  int64_t time; /* > 0 */
} state_entry_t;

/* A larger file is not read (it cannot be one this plugin wrote). */
#define STATE_FILE_MAX_SIZE (16 * 1024 * 1024)
/* Bad lines reported one by one; the rest are counted in one message. */
#define STATE_FILE_MAX_LINE_WARNINGS 10

typedef void (*state_entry_cb_t)(void *ud, const state_entry_t *e);

/* Reads `file` and calls on_entry for each valid line, in file order.
 * Returns the number of valid lines; 0 when the file does not exist (a
 * first start: nothing is said); -1 when it cannot be read (a warning
 * naming the file and the error). Each bad line: a warning naming the file
 * and the line, and the line is skipped. Messages go to `log` (severity 4)
 * with `ud`. */
int state_file_read(const char *file, state_entry_cb_t on_entry,
                    its_message_cb_t log, void *ud);

/* Replaces `file` with the n entries, atomically: a temporary file in the
 * same directory, written and flushed to disk, then renamed over `file`.
 * Returns 0; or -1 with errno set, what failed and why in err ("cannot
 * create a temporary file in its directory: Permission denied": the caller
 * names the file), the temporary file removed and `file` as it was. */
int state_file_write(const char *file, const state_entry_t *entries, size_t n,
                     char *err, size_t errlen);

#endif
