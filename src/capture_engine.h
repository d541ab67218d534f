/* capture_engine: the two ways a <Capture> counts packets behind one
 * interface. libpcap (src/capture_source.c: an interface, "any" or a capture
 * file) and the in-kernel eBPF counter (src/ebpf_source.c, or
 * src/ebpf_none.c in a build without it) each provide one
 * capture_engine_ops_t; capture_engine_start() picks one for the configured
 * Method, and the caller holds a capture_engine_t without knowing which one
 * it got. No collectd types. */
#ifndef ITS_CAPTURE_ENGINE_H
#define ITS_CAPTURE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "its_message.h"
#include "port_counters.h"
#include "portspec.h"

/* <Capture> Method. */
typedef enum {
  CAPTURE_METHOD_PCAP,
  CAPTURE_METHOD_EBPF,
  CAPTURE_METHOD_AUTO,
} capture_method_t;

/* What both engines are given; each ignores what it has no use for. */
typedef struct {
  const char *name;   /* the <Capture> block's name, for messages */
  const char *device; /* interface or "any"; NULL with file */
  const char *file;   /* capture file, read once (libpcap only) */
  const port_set_t *ports;
  int snaplen;      /* the eBPF counter decodes what libpcap would capture */
  int buffer_bytes; /* libpcap's ring */
  int promisc;
  const char *filter; /* libpcap only; NULL: the default */
  size_t frag_slots;
  uint32_t frag_ttl;
  double retry_interval; /* seconds between attempts to (re)open or attach */
  int retry_load;        /* eBPF: a program that cannot be loaded is retried
                            instead of failing the start */
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

/* One engine's entry points. */
typedef struct {
  /* The started engine, or NULL with one sentence in err (not logged: the
   * caller decides whether another engine takes over). */
  void *(*start)(const capture_config_t *cfg, char *err, size_t errlen);
  /* Copies the counters into dst (initialised by port_counters_init with the
   * same ports, reused between calls). Non-zero when the engine did not
   * answer within timeout_ms: dst then keeps the last counts. */
  int (*snapshot)(void *engine, port_counters_t *dst, capture_stats_t *st,
                  int timeout_ms);
  void (*stop)(void *engine); /* stops, frees; NULL is fine */
} capture_engine_ops_t;

extern const capture_engine_ops_t capture_pcap_engine;
extern const capture_engine_ops_t capture_ebpf_engine;
/* 0 in a build without the eBPF method (its start always fails). */
extern const int capture_ebpf_built;

typedef struct capture_engine_s capture_engine_t;

/* Starts the engine `method` asks for ("auto": eBPF when it can be loaded
 * and no Filter or File is set, else libpcap), saying through cfg->log
 * which one was taken when that is not obvious. NULL when none could be
 * started (said through cfg->log). */
capture_engine_t *capture_engine_start(capture_method_t method,
                                       const capture_config_t *cfg);

int capture_engine_snapshot(capture_engine_t *e, port_counters_t *dst,
                            capture_stats_t *st, int timeout_ms);

void capture_engine_stop(capture_engine_t *e);

#endif
