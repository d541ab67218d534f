#include "import_apply.h"

#include <stdlib.h>
#include <string.h>

typedef struct name_entry_s {
  its_proto_t proto;
  char name[ITS_SERVICE_NAME_MAX + 1];
  int port; /* -1: kept as a name */
  struct name_entry_s *next;
} name_entry_t;

struct import_names_s {
  const services_t *svc;
  name_entry_t *head;
};

import_names_t *import_names_new(const services_t *svc) {
  import_names_t *n = calloc(1, sizeof(*n));
  if (n != NULL)
    n->svc = svc;
  return n;
}

void import_names_free(import_names_t *n) {
  if (n == NULL)
    return;
  while (n->head) {
    name_entry_t *next = n->head->next;
    free(n->head);
    n->head = next;
  }
  free(n);
}

int import_names_resolve(import_names_t *n, const block_entry_t *e,
                         const char *file, its_message_cb_t log, void *ud) {
  if (e->port >= 0)
    return e->port;
  for (name_entry_t *m = n->head; m; m = m->next)
    if (m->proto == e->proto && strcmp(m->name, e->name) == 0)
      return m->port;
  name_entry_t *m = calloc(1, sizeof(*m));
  if (m == NULL)
    return -1;
  m->proto = e->proto;
  memcpy(m->name, e->name, sizeof(m->name));
  int port = -1;
  services_result_t r =
      n->svc ? services_lookup(n->svc, e->proto, e->name, 1, &port)
             : SERVICES_UNKNOWN;
  m->port = r == SERVICES_FOUND ? port : -1;
  if (r != SERVICES_FOUND)
    its_message(log, ud, 4,
                "%s: %s service \"%s\" %s; it is imported under its name", file,
                its_proto_name(e->proto), e->name,
                r == SERVICES_AMBIGUOUS
                    ? "could stand for several ports (its name was cut to 10 "
                      "characters)"
                    : "is not in the services database");
  m->next = n->head;
  n->head = m;
  return m->port;
}

int import_apply_block(series_table_t *t, import_names_t *names,
                       const log_block_t *b, const char *file,
                       import_total_cb_t cb, void *cb_ud, its_message_cb_t log,
                       void *log_ud) {
  int restart = b->new_run;
  /* Counters that go down without a "started" line: iptraf restarted and
   * its start line never reached the log (as the <Log> source decides). */
  for (size_t i = 0; !restart && i < b->count; i++) {
    const block_entry_t *e = &b->entries[i];
    uint64_t raw[SERIES_NCOUNTERS] = {e->in_packets, e->in_bytes,
                                      e->out_packets, e->out_bytes};
    int port = import_names_resolve(names, e, file, log, log_ud);
    series_t *s = series_table_get(t, e->proto, port, e->name, 0);
    if (series_would_decrease(t, s, raw)) {
      restart = 1;
      its_message(log, log_ud, 5,
                  "%s line %llu: counters went down without a \"started\" "
                  "line: taking it as an iptraf restart",
                  file, (unsigned long long)b->header_line);
    }
  }
  if (restart)
    series_table_new_run(t);
  for (size_t i = 0; i < b->count; i++) {
    const block_entry_t *e = &b->entries[i];
    int port = import_names_resolve(names, e, file, log, log_ud);
    series_t *s = series_table_get(t, e->proto, port, e->name, 1);
    if (s == NULL) {
      its_message(log, log_ud, 3, "%s: out of memory", file);
      return -1;
    }
    uint64_t raw[SERIES_NCOUNTERS] = {e->in_packets, e->in_bytes,
                                      e->out_packets, e->out_bytes};
    uint64_t total[SERIES_NCOUNTERS];
    series_update(t, s, raw, total);
    cb(cb_ud, s, b->generated, total);
  }
  return restart;
}
