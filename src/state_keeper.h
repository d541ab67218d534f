/* state_keeper: the plugin's use of the state file. For each <Log> block
 * (a slot: its instance and path), the newest block time whose values were
 * dispatched: read at init, so that a restarted collectd does not dispatch
 * them again (the rrdtool plugin would reject each with an error), written
 * whenever one changes. The read callbacks of several <Log> blocks run in
 * several threads: the keeper's lock guards the times, its flags and the
 * file. No collectd types. */
#ifndef ITS_STATE_KEEPER_H
#define ITS_STATE_KEEPER_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "its_message.h"
#include "state_file.h"

/* Private to state_keeper.c. */
typedef struct {
  char *path;           /* NULL: no state is kept */
  state_entry_t *slots; /* instance and path borrowed from the caller */
  size_t nslots, cap;
  pthread_mutex_t lock;
  int dirty;   /* a time changed since the last write */
  int failing; /* a write failed: said once, said again when it works */
  its_message_cb_t log;
  void *ud;
} state_keeper_t;

void state_keeper_init(state_keeper_t *k, its_message_cb_t log, void *ud);

/* The state file's path: `option` (NULL: the default name), relative to
 * `basedir` (NULL or empty: collectd's default). NULL: out of memory. */
char *state_keeper_resolve(const char *option, const char *basedir);

/* A block whose time is kept (strings borrowed until state_keeper_close).
 * Returns its slot, or -1 when out of memory. */
int state_keeper_add(state_keeper_t *k, const char *instance, const char *path);

/* Takes `path` (malloc'ed) as the state file and reads it: a line whose
 * instance and path both match a slot's gives it its time. */
void state_keeper_open(state_keeper_t *k, char *path);

/* The slot's time (0: none). */
time_t state_keeper_time(state_keeper_t *k, int slot);

/* The slot's block now dispatched up to `t`: kept when it is newer, and
 * the file written when anything changed (at most one write per call). */
void state_keeper_note(state_keeper_t *k, int slot, time_t t);

/* A write that failed is tried once more; then everything is forgotten. */
void state_keeper_close(state_keeper_t *k);

#endif
