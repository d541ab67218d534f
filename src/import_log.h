/* import_log: read one iptraf service-monitor log, plain or gzip-compressed,
 * from start to end, through the same line parser and block assembler as the
 * <Log> source, handing each complete block to a callback. */
#ifndef ITS_IMPORT_LOG_H
#define ITS_IMPORT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "its_message.h"
#include "log_blocks.h"

/* Bad lines reported one by one per file; the rest are counted. */
#define IMPORT_LOG_MAX_WARNINGS 20
#define IMPORT_LOG_MAX_LINE 65536
/* An unfinished block at the end of the live log is taken as cut off by a
 * crash once the file is this old; before that iptraf may be writing it. */
#define IMPORT_LOG_UNFINISHED_AGE 60

typedef struct {
  const char *path;
  /* The live log (the last one): a block still being written at its end is
   * left to the plugin. Earlier (rotated) files end what they hold. */
  int live;
  block_assembler_t *blocks; /* shared by consecutive files of one log */
  block_cb_t on_block;
  void *block_ud;
  /* bytes: how far into the file (compressed bytes for .gz) */
  void (*on_progress)(void *ud, uint64_t bytes);
  its_message_cb_t log; /* NULL: quiet */
  void *log_ud;
} import_log_read_t;

typedef struct {
  uint64_t lines, bad_lines, blocks, blocks_cut, bytes;
} import_log_stats_t;

/* Returns 0, or -1 when the file cannot be opened or read to its end (said
 * with severity 3, naming the file). Bad lines: severity 4, named by file and
 * line, skipped. */
int import_log_read(const import_log_read_t *r, import_log_stats_t *st);

/* The file's size in bytes, for progress; 0 when unknown. */
uint64_t import_log_size(const char *path);

#endif
