/* rrd_out: one RRD file written by the importer, with librrd. Values are
 * batched (one rrd_update call takes many "time:a:b" updates). A new file
 * is built under a temporary name next to the final one and renamed over it
 * only by rrd_out_commit, so a failed import leaves no half-written file;
 * an existing file is only continued (a copy is updated) when all of its
 * data is older than the first value to add. With an rrdcached address the
 * daemon writes the file in place (it cannot rename). */
#ifndef ITS_RRD_OUT_H
#define ITS_RRD_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rrd_layout.h"

#define RRD_OUT_BATCH 1024

typedef struct rrd_out_s rrd_out_t;

/* ds0/ds1: the two data source names ("rx", "tx"). daemon: NULL for local
 * files, or an rrdcached address (librrd's syntax). */
rrd_out_t *rrd_out_new(const char *path, const rrd_layout_t *layout,
                       const char *daemon);
void rrd_out_free(rrd_out_t *o);

typedef enum {
  RRD_OUT_OK = 0,
  RRD_OUT_ERROR = -1,
  /* The existing file holds data at or after the value's time. */
  RRD_OUT_NEWER = -2,
} rrd_out_status_t;

/* Adds one update. The first one opens the file: creates it (with the
 * layout, starting one second before t, as collectd does) or, when it
 * exists, checks that its last update is before t. On error, err says what
 * failed, naming the file. */
rrd_out_status_t rrd_out_add(rrd_out_t *o, time_t t, int64_t a, int64_t b,
                             char *err, size_t errlen);

/* After the last value: one more update a millisecond later that sets the
 * stored counters to (a, b) (lower than the last: unknown for that
 * millisecond, the rates before and after it exact). */
rrd_out_status_t rrd_out_rebase(rrd_out_t *o, int64_t a, int64_t b, char *err,
                                size_t errlen);

/* Writes the batched updates, makes the file durable and puts it in place.
 */
rrd_out_status_t rrd_out_commit(rrd_out_t *o, char *err, size_t errlen);

/* Removes the temporary file (local files); nothing is put in place. */
void rrd_out_abort(rrd_out_t *o);

#endif
