/* log_source: one iptraf service-monitor log followed end to end: tail ->
 * line parser -> block assembler -> continuous series -> values to emit.
 * No collectd types: values and messages leave through callbacks, so tests
 * drive it directly. */
#ifndef ITS_LOG_SOURCE_H
#define ITS_LOG_SOURCE_H

#include <stdint.h>

#include "its_message.h"
#include <time.h>

#include "iptraf_line.h"
#include "portspec.h"
#include "services.h"

typedef struct {
  its_proto_t proto;
  int port;         /* -1: a service name that maps to no port */
  const char *name; /* the name when port == -1 */
  time_t time;      /* the block's "generated" time */
  time_t interval;  /* the log's interval, seconds */
  uint64_t in_packets, in_bytes, out_packets, out_bytes; /* continuous */
} its_value_t;

typedef void (*its_emit_cb_t)(void *ud, const its_value_t *v);
/* severity: 3 error, 4 warning, 5 notice, 6 info, 7 debug (syslog levels) */

typedef struct {
  const char *path;
  const port_set_t *ports; /* NULL: every port in the log */
  const services_t *services;
  int replay_history; /* at start, emit every block, not just the last */
  time_t
      incomplete_block_timeout; /* seconds before an unfinished block counts */
  time_t log_interval;          /* 0: learn it from the log */
  time_t default_interval;      /* until the log's interval is known */
  size_t max_line;
  /* The newest block time whose values a previous collectd dispatched (0:
   * none, e.g. no state was kept): values of blocks up to this time are not
   * emitted again, neither by the catch-up at start, nor by ReplayHistory,
   * nor later; each such series goes on as if they had been. */
  time_t dispatched_until;
  its_emit_cb_t emit;
  its_message_cb_t log;
  void *ud;
} log_source_config_t;

typedef struct log_source_s log_source_t;

log_source_t *log_source_new(const log_source_config_t *cfg);
void log_source_free(log_source_t *s);

/* Reads what was added to the log since the last call, folds every new
 * complete block into the counters, and emits each updated series once, with
 * the time of the newest block that reported it. At start-up it emits the
 * file's last block only; with replay_history it emits the file's blocks one
 * per call, in order. `now` decides when an unfinished block is taken as cut
 * off by a crash. Returns the number of values emitted. */
int log_source_read(log_source_t *s, time_t now);

typedef struct {
  uint64_t lines, bad_lines, blocks, blocks_cut, blocks_skipped_old, restarts;
  uint64_t bytes;
  /* values (a series in a block) not emitted because dispatched_until
   * covers their block: those the catch-up, a replay or a live read would
   * have emitted */
  uint64_t values_already_dispatched;
} log_source_stats_t;
void log_source_get_stats(const log_source_t *s, log_source_stats_t *st);

/* The newest block time whose values have been dispatched: by this source
 * (the newest time it emitted) or before it (cfg.dispatched_until), the
 * later of the two; 0 when none. What a caller keeps across restarts and
 * passes back as dispatched_until. */
time_t log_source_dispatched_until(const log_source_t *s);

#endif
