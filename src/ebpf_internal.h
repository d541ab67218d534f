/* ebpf_internal: what ebpf_source.c (attach, watch, stop) and ebpf_load.c
 * (load the program, map its counters) share. Private to those two. */
#ifndef ITS_EBPF_INTERNAL_H
#define ITS_EBPF_INTERNAL_H

#include <pthread.h>

#include "ebpf_slots.h"
#include "ebpf_source.h"
#include "retry_state.h"

/* Loading is retried after retry_interval, then twice as long each time up
 * to this (a rejected program costs the kernel a verification each time). */
#define LOAD_RETRY_CAP 60.0

struct ebpf_source_s {
  capture_config_t cfg;
  char *device;
  int any;
  struct its_count *skel; /* loaded program and maps, NULL until loaded */
  ebpf_slots_t slots;
  const volatile ebpf_counter_t *counters;
  size_t counters_len;
  int wake_fd;
  int link_fd; /* link events (rtnetlink), or -1: then RetryInterval polls */
  pthread_t thread;
  int thread_started;

  retry_state_t load_retry; /* the start's attempt, then the thread's */

  pthread_mutex_t lock; /* guards stop, loaded and stats */
  int stop;
  int loaded; /* skel and counters are set and stay until stop */
  capture_stats_t stats;
};

/* Messages go to the configured log callback. */
#define say(s, sev, ...)                                                       \
  its_message((s)->cfg.log, (s)->cfg.ud, (sev), __VA_ARGS__)

extern const char *const ebpf_permission_advice;

/* Loads the program and maps the counters. Returns EBPF_OK, or another
 * status with *errnum (the cause, for telling errors apart) and one
 * sentence in err, everything undone. */
ebpf_status_t ebpf_load_program(ebpf_source_t *s, int *errnum, char *err,
                                size_t errlen);

/* Undoes ebpf_load_program, whole or partial. */
void ebpf_unload(ebpf_source_t *s);

/* After a failed load: said once per distinct cause (errno), whatever the
 * step that met it. */
void ebpf_load_failed(ebpf_source_t *s, int errnum, const char *err);

#endif
