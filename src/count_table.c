#include "count_table.h"

#include <stdlib.h>
#include <string.h>

#include "its_grow.h"

count_row_t *count_table_row(count_table_t *t, its_proto_t proto, int port,
                             const char *name) {
  if (port >= 0 && t->row_of_port == NULL) {
    t->row_of_port = calloc(ITS_NINDEXES, sizeof(uint32_t));
    if (t->row_of_port == NULL)
      return NULL;
  }
  if (port >= 0) {
    uint32_t r = t->row_of_port[its_port_index(proto, (unsigned)port)];
    if (r)
      return &t->rows[r - 1];
  } else {
    for (size_t i = 0; i < t->n; i++)
      if (t->rows[i].proto == proto && t->rows[i].port < 0 &&
          strcmp(t->rows[i].name, name) == 0)
        return &t->rows[i];
  }
  if (its_grow(&t->rows, &t->cap, t->n + 1, sizeof(*t->rows), 256) != 0)
    return NULL;
  count_row_t *r = &t->rows[t->n++];
  memset(r, 0, sizeof(*r));
  if (port >= 0)
    t->row_of_port[its_port_index(proto, (unsigned)port)] = (uint32_t)t->n;
  r->proto = proto;
  r->port = port;
  if (name)
    snprintf(r->name, sizeof(r->name), "%s", name);
  return r;
}

int count_table_add(count_table_t *t, const port_counters_t *c) {
  for (uint32_t i = 0; i < c->seen_count; i++) {
    uint32_t idx = c->seen[i];
    const port_count_t *pc = &c->ports[idx];
    count_row_t *r = count_table_row(t, its_index_proto(idx),
                                     (int)its_index_port(idx), NULL);
    if (r == NULL)
      return -1;
    r->ip = pc->in.packets;
    r->ib = pc->in.bytes;
    r->op = pc->out.packets;
    r->ob = pc->out.bytes;
  }
  return 0;
}

static int row_cmp(const void *a, const void *b) {
  const count_row_t *x = a, *y = b;
  if (x->proto != y->proto)
    return x->proto < y->proto ? -1 : 1;
  if ((x->port < 0) != (y->port < 0))
    return x->port < 0 ? 1 : -1;
  if (x->port != y->port)
    return x->port < y->port ? -1 : 1;
  return strcmp(x->name, y->name);
}

void count_table_print(count_table_t *t, FILE *f) {
  if (t->n > 0) /* qsort(NULL, 0, ...) is undefined */
    qsort(t->rows, t->n, sizeof(*t->rows), row_cmp);
  fprintf(f, "proto\tport\tdir\tpackets\tbytes\n");
  for (size_t i = 0; i < t->n; i++) {
    const count_row_t *r = &t->rows[i];
    char port[40];
    if (r->port >= 0)
      snprintf(port, sizeof(port), "%d", r->port);
    else
      snprintf(port, sizeof(port), "%s", r->name);
    if (r->ip)
      fprintf(f, "%s\t%s\tin\t%llu\t%llu\n", its_proto_name(r->proto), port,
              (unsigned long long)r->ip, (unsigned long long)r->ib);
    if (r->op)
      fprintf(f, "%s\t%s\tout\t%llu\t%llu\n", its_proto_name(r->proto), port,
              (unsigned long long)r->op, (unsigned long long)r->ob);
  }
}

void count_table_free(count_table_t *t) {
  free(t->rows);
  free(t->row_of_port);
  memset(t, 0, sizeof(*t));
}
