#include "state_keeper.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "its_defaults.h"
#include "its_grow.h"

void state_keeper_init(state_keeper_t *k, its_message_cb_t log, void *ud) {
  memset(k, 0, sizeof(*k));
  pthread_mutex_init(&k->lock, NULL);
  k->log = log;
  k->ud = ud;
}

char *state_keeper_resolve(const char *option, const char *basedir) {
  const char *name = option ? option : ITS_DEFAULT_STATE_FILE;
  if (name[0] == '/')
    return strdup(name);
  const char *base = basedir && basedir[0] ? basedir : ITS_FALLBACK_BASEDIR;
  if (base[0] != '/') /* collectd has made BaseDir its working directory */
    return strdup(name);
  size_t blen = strlen(base);
  while (blen > 1 && base[blen - 1] == '/')
    blen--;
  size_t len = blen + 1 + strlen(name) + 1;
  char *path = malloc(len);
  if (path != NULL)
    snprintf(path, len, "%.*s%s%s", (int)blen, base,
             base[blen - 1] == '/' ? "" : "/", name);
  return path;
}

int state_keeper_add(state_keeper_t *k, const char *instance,
                     const char *path) {
  if (its_grow(&k->slots, &k->cap, k->nslots + 1, sizeof(*k->slots), 8) != 0)
    return -1;
  k->slots[k->nslots] =
      (state_entry_t){.instance = instance, .path = path, .time = 0};
  return (int)k->nslots++;
}

/* A line of the file: the slot of that instance and path (both must
 * match: another instance means other series, another path another log)
 * starts after it. */
static void on_entry(void *ud, const state_entry_t *e) {
  state_keeper_t *k = ud;
  for (size_t i = 0; i < k->nslots; i++)
    if (strcmp(k->slots[i].instance, e->instance) == 0 &&
        strcmp(k->slots[i].path, e->path) == 0)
      k->slots[i].time = e->time;
}

/* state_file_read gives its entry and message callbacks one ud. */
static void on_read_message(void *ud, its_severity_t sev, const char *msg) {
  state_keeper_t *k = ud;
  its_message(k->log, k->ud, sev, "%s", msg);
}

void state_keeper_open(state_keeper_t *k, char *path) {
  free(k->path);
  k->path = path;
  if (path != NULL)
    state_file_read(path, on_entry, on_read_message, k);
}

time_t state_keeper_time(state_keeper_t *k, int slot) {
  pthread_mutex_lock(&k->lock);
  time_t t = (time_t)k->slots[slot].time;
  pthread_mutex_unlock(&k->lock);
  return t;
}

/* Writes the file. With the lock held. */
static void save_locked(state_keeper_t *k) {
  state_entry_t *e = calloc(k->nslots ? k->nslots : 1, sizeof(*e));
  if (e == NULL)
    return; /* still dirty: tried again */
  size_t n = 0;
  for (size_t i = 0; i < k->nslots; i++)
    if (k->slots[i].time > 0)
      e[n++] = k->slots[i];
  char err[512];
  if (state_file_write(k->path, e, n, err, sizeof(err)) == 0) {
    k->dirty = 0;
    if (k->failing) {
      k->failing = 0;
      its_message(k->log, k->ud, ITS_INFO, "the state file %s is written again",
                  k->path);
    }
  } else if (!k->failing) {
    k->failing = 1;
    its_message(k->log, k->ud, ITS_WARNING,
                "cannot write the state file %s: %s. Until it is written, a "
                "restarted collectd dispatches the last values again (the "
                "rrdtool plugin rejects them, one error per file). Retried "
                "with each read; not reported again until it works",
                k->path, err);
  }
  free(e);
}

void state_keeper_note(state_keeper_t *k, int slot, time_t t) {
  if (k->path == NULL)
    return;
  pthread_mutex_lock(&k->lock);
  if ((int64_t)t > k->slots[slot].time) {
    k->slots[slot].time = (int64_t)t;
    k->dirty = 1;
  }
  if (k->dirty)
    save_locked(k);
  pthread_mutex_unlock(&k->lock);
}

void state_keeper_close(state_keeper_t *k) {
  if (k->path != NULL) {
    pthread_mutex_lock(&k->lock);
    if (k->dirty)
      save_locked(k);
    pthread_mutex_unlock(&k->lock);
  }
  free(k->path);
  free(k->slots);
  pthread_mutex_destroy(&k->lock);
  state_keeper_init(k, k->log, k->ud);
}
