/* capture_source: one capture (an interface, "any", or a capture file)
 * counted by its own thread. The thread owns the counters; the read
 * callback asks it for a snapshot, which it takes between two batches of
 * packets, so counts are consistent and no lock is taken per packet.
 * The thread never dies: a missing, downed or deleted interface is retried,
 * with one message per change. No collectd types. */
#ifndef ITS_CAPTURE_SOURCE_H
#define ITS_CAPTURE_SOURCE_H

#include <stdint.h>

#include "its_message.h"

#include "port_counters.h"
#include "portspec.h"

typedef struct {
  const char *device; /* interface or "any"; NULL with file */
  const char *file;   /* capture file, read once */
  const port_set_t *ports;
  int snaplen;
  int buffer_bytes;
  int promisc;
  const char *filter; /* NULL: default */
  size_t frag_slots;
  uint32_t frag_ttl;
  double retry_interval; /* seconds between attempts to (re)open */
  its_message_cb_t log;
  void *ud;
} capture_config_t;

typedef struct {
  uint64_t kernel_drops; /* ring full (and interface) drops, all handles */
  uint64_t kernel_received;
  int running;   /* a handle is open and counting */
  int file_done; /* file mode: the whole file was counted */
  uint64_t reopens;
} capture_stats_t;

typedef struct capture_source_s capture_source_t;

/* Starts the thread. NULL on failure (message logged). */
capture_source_t *capture_source_start(const capture_config_t *cfg);

/* Copies the counters (dst initialised by port_counters_init with the same
 * ports, reused between calls). Waits up to timeout_ms for the thread. */
int capture_source_snapshot(capture_source_t *s, port_counters_t *dst,
                            capture_stats_t *stats, int timeout_ms);

/* breakloop, join, close. */
void capture_source_stop(capture_source_t *s);

#endif
