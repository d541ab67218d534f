/* source: the interface every kind of block implements (<Log>: log_block.c,
 * <Capture>: capture_block.c), so that the collectd layer configures,
 * starts, reads and stops each block without knowing its kind. A kind owns
 * its options (a source_options table over its settings) and says
 * everything through the environment's callbacks. No collectd types. */
#ifndef ITS_SOURCE_H
#define ITS_SOURCE_H

#include <stdint.h>
#include <time.h>

#include "its_message.h"
#include "portspec.h"
#include "services.h"
#include "source_options.h"

/* One value list to dispatch. */
typedef struct {
  /* NULL: the pair if_octets (in_bytes, out_bytes) and if_packets
   * (in_packets, out_packets); else a type of one value (`value`). */
  const char *type;
  const char *type_instance; /* "tcp-80", "udp-domain", "malformed" */
  time_t time;               /* 0: the time of this read */
  time_t interval;           /* 0: the read callback's */
  uint64_t in_packets, in_bytes, out_packets, out_bytes;
  uint64_t value;
} source_value_t;

typedef void (*source_value_cb_t)(void *ud, const source_value_t *v);

/* What a started source is given besides its own settings. */
typedef struct {
  const char *path;     /* the block's name: <Log "path">, <Capture "eth0"> */
  const char *instance; /* plugin instance of its values */
  const port_set_t *ports; /* NULL: every port (only a <Log> may have none) */
  const services_t *services;
  time_t default_interval; /* seconds between reads */
  time_t dispatched_until; /* from the state file (0: none) */
  source_value_cb_t emit;
  its_message_cb_t log;
  void *ud;
} source_env_t;

typedef struct {
  const char *name;         /* the block's key: "Log", "Capture" */
  const char *id;           /* in read callback names: "log", "capture" */
  const char *no_name;      /* what to say when the block has no name */
  const opt_def_t *options; /* its own options, besides Instance, Port and
                               Interval, which every block takes */
  size_t settings_size;
  void (*defaults)(void *settings);
  /* After the options: checks across them, the default ports when none are
   * configured (*ports NULL). 0, or -1 with a sentence in err. */
  int (*finish)(void *settings, const char *path, port_set_t **ports, char *err,
                size_t errlen);
  /* The plugin instance when Instance is not set; NULL: out of memory. */
  char *(*default_instance)(const char *path);
  /* Two blocks of this kind on one path read the same input. */
  int (*same_input)(const void *a, const void *b);
  /* Starts reading (says what it reads through env->log); NULL when it
   * cannot (said through env->log). */
  void *(*start)(const void *settings, const source_env_t *env);
  void (*read)(void *src, time_t now);
  /* The newest block time dispatched, kept in the state file; NULL for a
   * kind that keeps no state. */
  time_t (*dispatched_until)(const void *src);
  void (*stop)(void *src);
} source_kind_t;

/* A kind's table, settings and functions, named <prefix>_options,
 * <prefix>_settings_t, <prefix>_defaults, <prefix>_finish, ... */
#define SOURCE_KIND_MEMBERS(prefix)                                            \
  .options = prefix##_options, .settings_size = sizeof(prefix##_settings_t),   \
  .defaults = prefix##_defaults, .finish = prefix##_finish,                    \
  .default_instance = prefix##_default_instance,                               \
  .same_input = prefix##_same_input, .start = prefix##_start,                  \
  .read = prefix##_read, .stop = prefix##_stop

extern const source_kind_t log_kind;
extern const source_kind_t capture_kind;

#endif
