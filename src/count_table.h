/* count_table: the table iptraf-services-count prints: one row per
 * (protocol, port or service name), its in and out counts, printed sorted
 * as "proto port dir packets bytes". */
#ifndef ITS_COUNT_TABLE_H
#define ITS_COUNT_TABLE_H

#include <stdint.h>
#include <stdio.h>

#include "its_proto.h"
#include "port_counters.h"

typedef struct {
  its_proto_t proto;
  int port;                            /* -1: named */
  char name[ITS_SERVICE_NAME_MAX + 1]; /* when port == -1 */
  uint64_t ip, ib, op, ob;             /* in / out packets and bytes */
} count_row_t;

/* Private to count_table.c; zero-initialised is empty. */
typedef struct {
  count_row_t *rows;
  size_t n, cap;
  /* Row index + 1 of each numeric (protocol, port): a lookup, not a
   * search, when every port is monitored. */
  uint32_t *row_of_port;
} count_table_t;

/* The row of a numeric port (name NULL) or of a name (port -1), made when
 * new. NULL: out of memory. */
count_row_t *count_table_row(count_table_t *t, its_proto_t proto, int port,
                             const char *name);

/* A row for every (protocol, port) the counters saw. 0, or -1. */
int count_table_add(count_table_t *t, const port_counters_t *c);

/* Sorted: TCP before UDP, numbers before names; a direction without
 * packets is left out. */
void count_table_print(count_table_t *t, FILE *f);

void count_table_free(count_table_t *t);

#endif
