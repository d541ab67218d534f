#include "log_series.h"

#include <stdlib.h>
#include <string.h>

struct name_map_s {
  its_proto_t proto;
  char name[ITS_SERVICE_NAME_MAX + 1];
  int port; /* -1: unmapped (warned once) */
  struct name_map_s *next;
};

int log_series_init(log_series_t *ls, const char *path,
                    const services_t *services, int ports_filtered,
                    its_message_cb_t log, void *ud) {
  memset(ls, 0, sizeof(*ls));
  ls->table = series_table_new();
  ls->services = services;
  ls->path = path;
  ls->ports_filtered = ports_filtered;
  ls->log = log;
  ls->ud = ud;
  ls->touched_tail = &ls->touched;
  return ls->table ? 0 : -1;
}

void log_series_destroy(log_series_t *ls) {
  series_table_free(ls->table);
  while (ls->names) {
    name_map_t *n = ls->names->next;
    free(ls->names);
    ls->names = n;
  }
  memset(ls, 0, sizeof(*ls));
}

static void warn_unmapped(log_series_t *ls, const block_entry_t *e,
                          services_result_t r) {
  its_message(ls->log, ls->ud, ITS_WARNING,
              "%s: %s service \"%s\" %s; it is reported under its name%s",
              ls->path, its_proto_name(e->proto), e->name,
              r == SERVICES_AMBIGUOUS
                  ? "could stand for several ports (its name was "
                    "cut to 10 characters)"
                  : "is not in the services database",
              ls->ports_filtered
                  ? ", which the Port filter cannot select, so it is ignored"
                  : "");
}

int log_series_port(log_series_t *ls, const block_entry_t *e) {
  if (e->port >= 0)
    return e->port;
  for (name_map_t *m = ls->names; m; m = m->next)
    if (m->proto == e->proto && strcmp(m->name, e->name) == 0)
      return m->port;
  name_map_t *m = calloc(1, sizeof(*m));
  if (m == NULL)
    return -1;
  m->proto = e->proto;
  memcpy(m->name, e->name, sizeof(m->name));
  int port = -1;
  services_result_t r =
      services_lookup(ls->services, e->proto, e->name, 1, &port);
  m->port = (r == SERVICES_FOUND) ? port : -1;
  if (r != SERVICES_FOUND)
    warn_unmapped(ls, e, r);
  m->next = ls->names;
  ls->names = m;
  return m->port;
}

series_t *log_series_find(log_series_t *ls, const block_entry_t *e) {
  return series_table_get(ls->table, e->proto, log_series_port(ls, e), e->name,
                          0);
}

void log_series_learn_interval(log_series_t *ls, const log_block_t *b) {
  if (b->gap > 0 && b->complete && b->gap > ls->learned_interval)
    ls->learned_interval = b->gap;
}

static void raw_counters(const block_entry_t *e,
                         uint64_t raw[SERIES_NCOUNTERS]) {
  raw[SERIES_IN_PACKETS] = e->in_packets;
  raw[SERIES_IN_BYTES] = e->in_bytes;
  raw[SERIES_OUT_PACKETS] = e->out_packets;
  raw[SERIES_OUT_BYTES] = e->out_bytes;
}

/* Counters that went down without a "started" line: iptraf restarted. */
static int counters_went_down(log_series_t *ls, const log_block_t *b) {
  for (size_t i = 0; i < b->count; i++) {
    uint64_t raw[SERIES_NCOUNTERS];
    raw_counters(&b->entries[i], raw);
    if (series_would_decrease(ls->table, log_series_find(ls, &b->entries[i]),
                              raw)) {
      its_message(ls->log, ls->ud, ITS_NOTICE,
                  "%s line %llu: counters went down without a \"started\" "
                  "line: taking it as an iptraf restart",
                  ls->path, (unsigned long long)b->header_line);
      return 1;
    }
  }
  return 0;
}

int log_series_apply(log_series_t *ls, const log_block_t *b,
                     log_series_cb_t each, void *ud) {
  if (b->new_run || counters_went_down(ls, b)) {
    ls->restarts++;
    series_table_new_run(ls->table);
  }
  log_series_learn_interval(ls, b);
  for (size_t i = 0; i < b->count; i++) {
    const block_entry_t *e = &b->entries[i];
    series_t *sr = series_table_get(ls->table, e->proto, log_series_port(ls, e),
                                    e->name, 1);
    if (sr == NULL) {
      its_message(ls->log, ls->ud, ITS_ERROR, "%s: out of memory", ls->path);
      return -1;
    }
    uint64_t raw[SERIES_NCOUNTERS], total[SERIES_NCOUNTERS];
    raw_counters(e, raw);
    series_update(ls->table, sr, raw, total);
    sr->block_time = (int64_t)b->generated;
    if (each)
      each(ud, sr, total);
    if (!sr->touched) {
      sr->touched = 1;
      *ls->touched_tail = sr;
      ls->touched_tail = &sr->next_touched;
    }
  }
  return 0;
}

series_t *log_series_take_touched(log_series_t *ls) {
  series_t *sr = ls->touched;
  if (sr == NULL) {
    ls->touched_tail = &ls->touched;
    return NULL;
  }
  ls->touched = sr->next_touched;
  if (ls->touched == NULL)
    ls->touched_tail = &ls->touched;
  sr->next_touched = NULL;
  sr->touched = 0;
  return sr;
}
