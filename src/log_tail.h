/* log_tail: follow a log file by name, handing over complete lines only.
 * Survives rotation by rename (with or without the writer reopening),
 * copytruncate, deletion and re-creation, a file missing at start and
 * permission errors. No collectd types: messages go through a callback. */
#ifndef ITS_LOG_TAIL_H
#define ITS_LOG_TAIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "its_message.h"

/* Returns non-zero to stop reading right after this line (back-pressure:
 * the rest is read on the next call). */
typedef int (*tail_line_cb_t)(void *ud, const char *line, size_t len,
                              uint64_t line_no);
/* Line `line_no` was longer than max_line and was skipped. Without this
 * callback the tail says so itself through on_message. */
typedef void (*tail_long_line_cb_t)(void *ud, uint64_t line_no,
                                    size_t max_line);
/* A new file is about to be read from its start (rotation, re-creation,
 * truncation): line numbers restart. */
typedef void (*tail_newfile_cb_t)(void *ud, const char *why);
/* Whole lines passed over in bulk (see log_tail_skip_until): `len` bytes,
 * every line ending in '\n', `lines` of them, the first numbered
 * first_line. */
typedef void (*tail_skip_cb_t)(void *ud, const char *data, size_t len,
                               uint64_t first_line, uint64_t lines);

typedef struct {
  tail_line_cb_t on_line;
  its_message_cb_t on_message;
  tail_long_line_cb_t on_long_line;
  tail_newfile_cb_t on_new_file;
  tail_skip_cb_t on_skipped; /* needed only by readers that skip */
  void *ud;
} tail_callbacks_t;

typedef struct {
  char *path;
  size_t max_line;
  int fd;
  dev_t dev;
  ino_t ino;
  off_t offset;
  uint64_t line_no; /* lines completed in the current file */
  char *partial;    /* start of a line still being written */
  size_t partial_len, partial_cap;
  int discarding;     /* inside an over-long line */
  int reported_errno; /* last open error already reported */
  int ever_opened;
  int open_reported_missing;
  uint64_t bytes_read_total;
  uint64_t lines_too_long;
  int paused;    /* the line callback asked to stop */
  int skip_byte; /* -1, or: pass lines without it to on_skipped */
} log_tail_t;

int log_tail_init(log_tail_t *t, const char *path, size_t max_line);
void log_tail_destroy(log_tail_t *t);

/* Reads everything appended since the last call, follows rotation, and
 * hands complete lines to cb->on_line. Returns the number of bytes read. */
uint64_t log_tail_read(log_tail_t *t, const tail_callbacks_t *cb);

/* From the next line on, lines that do not contain `byte` go to on_skipped
 * in bulk (no per-line work), up to the first line that contains it, which
 * goes to on_line as usual and ends the skipping. -1 ends it at once. For a
 * reader that wants only the lines that mark a stretch of the file. Lines
 * passed over are not checked against max_line. */
void log_tail_skip_until(log_tail_t *t, int byte);

/* Bytes in the open file not read yet (0 when none is open). */
uint64_t log_tail_unread(const log_tail_t *t);

/* Modification time of the file being read, or 0. */
time_t log_tail_mtime(const log_tail_t *t);

#endif
