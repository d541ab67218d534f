/* log_block: the <Log> kind of block (source.h): its options and the
 * log_source it starts. */
#ifndef ITS_LOG_BLOCK_H
#define ITS_LOG_BLOCK_H

#include "source.h"

typedef struct {
  int replay_history;
  double log_interval; /* 0: learn it from the log */
  double incomplete_block_timeout;
  double max_line;
} log_settings_t;

#endif
