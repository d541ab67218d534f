/* capture_source: one capture (an interface, "any", or a capture file)
 * counted by its own thread. The thread owns the counters; the read
 * callback asks it for a snapshot, which it takes between two batches of
 * packets, so counts are consistent and no lock is taken per packet.
 * The thread never dies: a missing, downed or deleted interface is retried,
 * with one message per change. The libpcap engine of capture_engine.h
 * (capture_pcap_engine). No collectd types. */
#ifndef ITS_CAPTURE_SOURCE_H
#define ITS_CAPTURE_SOURCE_H

#include <stdint.h>

#include "capture_engine.h" /* capture_config_t, capture_stats_t */
#include "port_counters.h"

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
