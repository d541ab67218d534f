#include "series_table.h"

#include <stdlib.h>
#include <string.h>

struct series_table_s {
  /* Numeric ports are indexed directly; calloc leaves the untouched pages of
   * this 1 MiB array unbacked, so a log with few ports costs little. */
  series_t **by_port; /* [ITS_NINDEXES] */
  series_t *named;
  uint64_t run;
};

series_table_t *series_table_new(void) {
  series_table_t *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->by_port = calloc(ITS_NINDEXES, sizeof(series_t *));
  if (t->by_port == NULL) {
    free(t);
    return NULL;
  }
  return t;
}

void series_table_free(series_table_t *t) {
  if (t == NULL)
    return;
  for (size_t i = 0; i < ITS_NINDEXES; i++)
    free(t->by_port[i]);
  free(t->by_port);
  while (t->named) {
    series_t *n = t->named->next_named;
    free(t->named);
    t->named = n;
  }
  free(t);
}

void series_table_new_run(series_table_t *t) { t->run++; }

series_t *series_table_get(series_table_t *t, its_proto_t proto, int port,
                           const char *name, int create) {
  series_t **slot;
  if (port >= 0 && port < ITS_NPORTS) {
    slot = &t->by_port[its_port_index(proto, (unsigned)port)];
    if (*slot || !create)
      return *slot;
  } else {
    for (series_t *s = t->named; s; s = s->next_named)
      if (s->proto == proto && strcmp(s->name, name) == 0)
        return s;
    if (!create)
      return NULL;
    slot = NULL;
  }
  series_t *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->proto = proto;
  s->port = port;
  s->run = t->run;
  if (port < 0 && name)
    strncpy(s->name, name, sizeof(s->name) - 1);
  if (slot)
    *slot = s;
  else {
    s->next_named = t->named;
    t->named = s;
  }
  return s;
}

/* Totals are dispatched as collectd DERIVE values (signed 64 bits): they
 * saturate there rather than wrap and go backwards. */
#define SERIES_MAX ((uint64_t)INT64_MAX)

static uint64_t sat_add(uint64_t a, uint64_t b) {
  if (a > SERIES_MAX || b > SERIES_MAX - a)
    return SERIES_MAX;
  return a + b;
}

/* Folds the last run's values into the base once the series is seen in a
 * later run. */
static void catch_up_run(const series_table_t *t, series_t *s) {
  if (s->run == t->run)
    return;
  for (int k = 0; k < SERIES_NCOUNTERS; k++) {
    s->base[k] = sat_add(s->base[k], s->last[k]);
    s->last[k] = 0;
  }
  s->run = t->run;
}

int series_would_decrease(const series_table_t *t, const series_t *s,
                          const uint64_t raw[SERIES_NCOUNTERS]) {
  if (s == NULL || s->run != t->run)
    return 0;
  for (int k = 0; k < SERIES_NCOUNTERS; k++)
    if (raw[k] < s->last[k])
      return 1;
  return 0;
}

void series_update(series_table_t *t, series_t *s,
                   const uint64_t raw[SERIES_NCOUNTERS],
                   uint64_t total[SERIES_NCOUNTERS]) {
  catch_up_run(t, s);
  for (int k = 0; k < SERIES_NCOUNTERS; k++) {
    s->last[k] = raw[k];
    total[k] = sat_add(s->base[k], raw[k]);
  }
}

void series_totals(const series_table_t *t, const series_t *s,
                   uint64_t total[SERIES_NCOUNTERS]) {
  (void)t; /* a later run folds `last` into `base`: the sum is the same */
  for (int k = 0; k < SERIES_NCOUNTERS; k++)
    total[k] = sat_add(s->base[k], s->last[k]);
}
