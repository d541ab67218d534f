/* series_table: turn the log's per-run cumulative counters into series that
 * never go backwards: when iptraf restarts (counters from zero), the new
 * run's counts continue on top of the previous run's last values. Pure. */
#ifndef ITS_SERIES_TABLE_H
#define ITS_SERIES_TABLE_H

#include <stdint.h>

#include "its_proto.h"

enum {
  SERIES_IN_PACKETS,
  SERIES_IN_BYTES,
  SERIES_OUT_PACKETS,
  SERIES_OUT_BYTES,
  SERIES_NCOUNTERS
};

typedef struct series_s {
  its_proto_t proto;
  int port;                            /* -1: named */
  char name[ITS_SERVICE_NAME_MAX + 1]; /* only when port == -1 */
  uint64_t base[SERIES_NCOUNTERS];     /* sum of earlier runs' last values */
  uint64_t last[SERIES_NCOUNTERS];     /* last value in run `run` */
  uint64_t run;
  /* Emission bookkeeping for the log source. */
  int touched;          /* updated since the last emission */
  int64_t block_time;   /* time of the newest block that reported it */
  int64_t emitted_time; /* time of the last value emitted, 0 none */
  struct series_s *next_touched;
  struct series_s *next_named;
} series_t;

typedef struct series_table_s series_table_t;

series_table_t *series_table_new(void);
void series_table_free(series_table_t *t);

/* Starts a new iptraf run: every series' counters restart from zero. */
void series_table_new_run(series_table_t *t);

/* Finds or (create != 0) creates a series. NULL when absent or no memory. */
series_t *series_table_get(series_table_t *t, its_proto_t proto, int port,
                           const char *name, int create);

/* Would these raw counters make the series go backwards in the current run?
 * (iptraf restarted without a "started" line reaching us.) */
int series_would_decrease(const series_table_t *t, const series_t *s,
                          const uint64_t raw[SERIES_NCOUNTERS]);

/* Records raw (this run's) counters and returns the continuous totals. */
void series_update(series_table_t *t, series_t *s,
                   const uint64_t raw[SERIES_NCOUNTERS],
                   uint64_t total[SERIES_NCOUNTERS]);

/* Totals without changing anything. */
void series_totals(const series_table_t *t, const series_t *s,
                   uint64_t total[SERIES_NCOUNTERS]);

#endif
