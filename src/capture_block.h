/* capture_block: the <Capture> kind of block (source.h): its options, the
 * counting engine it starts (capture_engine.h) and the values each read
 * reports from the engine's snapshot. */
#ifndef ITS_CAPTURE_BLOCK_H
#define ITS_CAPTURE_BLOCK_H

#include "capture_engine.h"
#include "source.h"

typedef struct {
  char *file;
  char *filter;
  char *method_name;
  capture_method_t method;
  double buffer_mib;
  double snaplen;
  int promisc;
  int report_other;
  double frag_slots, frag_timeout, retry_interval;
} capture_settings_t;

#endif
