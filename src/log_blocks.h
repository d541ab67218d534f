/* log_blocks: assemble parsed log lines into blocks (one "generated" report
 * of cumulative per-port counters) and track iptraf runs. Pure: no I/O. */
#ifndef ITS_LOG_BLOCKS_H
#define ITS_LOG_BLOCKS_H

#include <stdint.h>
#include <time.h>

#include "iptraf_line.h"

typedef struct {
  its_proto_t proto;
  int port;                            /* -1: unresolved service name */
  char name[ITS_SERVICE_NAME_MAX + 1]; /* as the log wrote it */
  uint64_t in_packets, in_bytes, out_packets, out_bytes;
} block_entry_t;

typedef struct {
  time_t generated; /* epoch seconds of the "generated" stamp */
  time_t gap;   /* seconds since the previous block or start of the same run; 0
                   unknown */
  int complete; /* closed by its "Running time" line */
  int new_run;  /* first block after a "started" line */
  uint64_t header_line;
  size_t count, cap;
  block_entry_t *entries;
} log_block_t;

typedef void (*block_cb_t)(void *ud, const log_block_t *block);

typedef enum {
  BLOCK_NOTE_NONE = 0,
  BLOCK_NOTE_ORPHAN_LINE, /* a port / Running time line outside any block */
  BLOCK_NOTE_CUT_BLOCK,   /* an unfinished block was closed by what followed */
  BLOCK_NOTE_CUT_LINE,    /* a cut-off line was glued to an event line */
  BLOCK_NOTE_BAD_TIME,    /* the header's time does not exist */
  BLOCK_NOTE_NO_MEMORY,
} block_note_t;

typedef struct {
  log_block_t cur;
  int in_block;
  int pending_new_run; /* a "started" line was seen, no block since */
  time_t run_started; /* epoch of the current run's "started" line, 0 unknown */
  time_t prev_generated; /* previous block of the same run, 0 none */
  time_t last_seen_time; /* any stamp, for DST disambiguation */
  uint64_t blocks_done;
} block_assembler_t;

/* Appends a port line's counters to a block. Returns 0, or -1 when out of
 * memory. */
int log_block_add(log_block_t *b, const iptraf_line_t *l);

void block_assembler_init(block_assembler_t *a);
void block_assembler_destroy(block_assembler_t *a);

/* Feeds one parsed line. Calls `cb` for every block it completes. Returns a
 * note for the caller to report, or BLOCK_NOTE_NONE. */
block_note_t block_assembler_feed(block_assembler_t *a, const iptraf_line_t *l,
                                  uint64_t line_no, block_cb_t cb, void *ud);

/* An unfinished block is waiting for more lines. */
int block_assembler_pending(const block_assembler_t *a);

/* Closes an unfinished block (iptraf died while writing it): its complete
 * lines count. */
void block_assembler_flush(block_assembler_t *a, block_cb_t cb, void *ud);

#endif
