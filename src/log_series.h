/* log_series: the step that applies a block of the log to the series:
 * service names resolved to ports (once per name), an iptraf restart told
 * from counters that go down, the log's interval learned from the gaps,
 * each series updated and queued as touched. Pure (no I/O): log_source.c
 * calls it for every block that counts, fuzz/fuzz_log.c drives it
 * directly. */
#ifndef ITS_LOG_SERIES_H
#define ITS_LOG_SERIES_H

#include <stdint.h>
#include <time.h>

#include "its_message.h"
#include "log_blocks.h"
#include "series_table.h"
#include "services.h"

typedef struct name_map_s name_map_t;

typedef struct {
  series_table_t *table;
  const services_t *services;
  const char *path;   /* for messages */
  int ports_filtered; /* a Port filter is set (it cannot select a name) */
  its_message_cb_t log;
  void *ud;
  name_map_t *names;       /* resolved service names */
  time_t learned_interval; /* the largest gap between complete blocks */
  uint64_t restarts;       /* iptraf runs begun, "started" line or not */
  series_t *touched;       /* updated since log_series_take_touched */
  series_t **touched_tail;
} log_series_t;

/* 0, or -1 when out of memory. */
int log_series_init(log_series_t *ls, const char *path,
                    const services_t *services, int ports_filtered,
                    its_message_cb_t log, void *ud);
void log_series_destroy(log_series_t *ls);

/* The port of an entry: its number, or its service name's port, or -1
 * (a name that maps to none: warned once, the series keeps the name). */
int log_series_port(log_series_t *ls, const block_entry_t *e);

/* The series of an entry, NULL when it has none yet. */
series_t *log_series_find(log_series_t *ls, const block_entry_t *e);

/* A gap between two blocks of one run: the log's interval is the largest. */
void log_series_learn_interval(log_series_t *ls, const log_block_t *b);

/* Called for each series a block updates, with its continuous totals. */
typedef void (*log_series_cb_t)(void *ud, series_t *sr,
                                const uint64_t total[SERIES_NCOUNTERS]);

/* Folds a complete (or cut) block into the series: a new run when the
 * block starts one or its counters went down, then every entry; each
 * updated series gets the block's time and joins the touched list. 0, or
 * -1 when out of memory (said through log; the rest of the block is
 * lost). */
int log_series_apply(log_series_t *ls, const log_block_t *b,
                     log_series_cb_t each, void *ud);

/* Pops the next touched series (NULL: none left). */
series_t *log_series_take_touched(log_series_t *ls);

#endif
