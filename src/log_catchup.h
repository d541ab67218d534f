/* log_catchup: the start-up catch-up of a <Log> file already there. Only
 * the last block of each iptraf run matters (the earlier ones were
 * dispatched by the collectd that read them), so a block's body (the lines
 * between its header and the next line with a '*') is passed over in bulk
 * by the tail (log_tail_skip_until) and kept raw here until the block is
 * known to count: the newest complete block of a run is deferred, parsed
 * and applied when the run ends (a "started" / "stopped" line, or the end
 * of the file). The lines that must be read one by one go back to
 * log_source through the hooks. */
#ifndef ITS_LOG_CATCHUP_H
#define ITS_LOG_CATCHUP_H

#include <stddef.h>
#include <stdint.h>

#include "iptraf_line.h"
#include "its_message.h"
#include "log_blocks.h"

typedef struct {
  /* A line to read as usual (parse, feed the assembler). */
  void (*process_line)(void *ud, const char *line, size_t len,
                       uint64_t line_no);
  /* A kept body line: 0 with *l parsed, or -1 (reported) to skip it. */
  int (*parse_line)(void *ud, const char *line, size_t len, uint64_t line_no,
                    iptraf_line_t *l);
  /* A deferred block turned out to count: fold it into the series. */
  void (*apply)(void *ud, const log_block_t *b);
} catchup_hooks_t;

/* Whole lines kept raw, in spans of consecutive lines. */
typedef struct {
  char *text; /* every line ends in '\n' */
  size_t len, cap;
  struct body_span {
    size_t at;        /* offset in text */
    uint64_t line_no; /* of its first line */
  } * spans;
  size_t nspans, cap_spans;
  size_t running_time_at; /* first "Running time" line, or NO_RUNNING_TIME */
} raw_body_t;

/* Private to log_catchup.c. */
typedef struct {
  catchup_hooks_t hooks;
  void *ud;
  block_assembler_t *blocks; /* log_source's */
  const char *path;
  its_message_cb_t log;
  void *log_ud;
  raw_body_t current;         /* the open block's body */
  raw_body_t deferred;        /* the deferred block's body */
  log_block_t deferred_block; /* the newest complete block of the run */
  int have_deferred;
  log_block_t last_block; /* the newest block applied, emitted at the end */
  int have_last_block;
} log_catchup_t;

void log_catchup_init(log_catchup_t *c, block_assembler_t *blocks,
                      const catchup_hooks_t *hooks, void *ud, const char *path,
                      its_message_cb_t log, void *log_ud);
void log_catchup_destroy(log_catchup_t *c);

/* The tail passed these whole lines over in bulk: kept with the open
 * block. */
void log_catchup_skipped(log_catchup_t *c, const char *data, size_t len,
                         uint64_t first_line, uint64_t lines);

/* Before a line handed over one by one: the open block's body has ended.
 * Returns 1 when the line itself belongs to the body (a port line with a
 * '*' in its service name) and was kept there: the caller reads it no
 * further and goes on skipping. */
int log_catchup_line(log_catchup_t *c, const char *line, size_t len,
                     uint64_t line_no);

/* A block completed (or cut) during the catch-up: it supersedes the
 * deferred one of its run. */
void log_catchup_block(log_catchup_t *c, const log_block_t *b);

/* The port lines of the open block, for the message about a cut block:
 * `parsed` plus those kept raw. */
size_t log_catchup_cut_lines(const log_catchup_t *c, size_t parsed);

/* A "started" or "stopped" line: the run's deferred block counts. */
void log_catchup_run_ended(log_catchup_t *c);

/* The read reached the end of the file, maybe inside a block's body. */
void log_catchup_end_of_read(log_catchup_t *c);

/* The catch-up is over: the deferred block counts, and a block still open
 * gets its kept port lines (through the assembler). */
void log_catchup_finish(log_catchup_t *c);

/* Remembers the newest block applied; log_catchup_take_last() returns it
 * once (NULL: none). */
void log_catchup_keep(log_catchup_t *c, const log_block_t *b);
const log_block_t *log_catchup_take_last(log_catchup_t *c);

#endif
