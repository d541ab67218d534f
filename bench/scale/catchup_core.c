/* catchup_core: the plugin's start-up catch-up on a log, without collectd.
 *
 * One log_source_read() with the plugin's defaults (ReplayHistory false,
 * IncompleteBlockTimeout 10, MaxLineLength 8192, every port): the same call
 * the plugin's first read callback makes. Prints the emitted values as the
 * table of iptraf-services-count (so that it can be compared with the
 * generator's expected totals) and, on stderr, the time of that one call.
 *
 *   cc -O2 -I src -o catchup_core bench/scale/catchup_core.c
 * .libs/libits_io.a -lpcap -lpthread TZ=UTC catchup_core LOG > table.tsv
 *
 * bench/scale/run builds it from the current tree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log_source.h"
#include "services.h"

typedef struct {
  int proto, port;
  uint64_t ip, ib, op, ob;
} row_t;

static row_t *rows;
static size_t nrows, cap;

static void on_value(void *ud, const its_value_t *v) {
  (void)ud;
  if (v->port < 0)
    return; /* names: none in the generated logs */
  if (nrows == cap) {
    cap = cap ? 2 * cap : 4096;
    rows = realloc(rows, cap * sizeof(*rows));
    if (rows == NULL)
      exit(2);
  }
  rows[nrows++] = (row_t){(int)v->proto, v->port,        v->in_packets,
                          v->in_bytes,   v->out_packets, v->out_bytes};
}

static void on_log(void *ud, its_severity_t sev, const char *msg) {
  (void)ud;
  if (sev <= 5)
    fprintf(stderr, "catchup_core: %s\n", msg);
}

static int cmp(const void *a, const void *b) {
  const row_t *x = a, *y = b;
  if (x->proto != y->proto)
    return x->proto - y->proto;
  return x->port - y->port;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: catchup_core LOG\n");
    return 2;
  }
  services_t *svc = services_new();
  services_load_system(svc);
  log_source_config_t cfg = {.path = argv[1],
                             .ports = NULL,
                             .services = svc,
                             .replay_history = 0,
                             .incomplete_block_timeout = 10,
                             .log_interval = 0,
                             .default_interval = 10,
                             .max_line = 8192,
                             .emit = on_value,
                             .log = on_log,
                             .ud = NULL};
  log_source_t *s = log_source_new(&cfg);
  if (s == NULL)
    return 2;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int n = log_source_read(s, time(NULL));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  log_source_stats_t st;
  log_source_get_stats(s, &st);
  fprintf(
      stderr,
      "catchup_core: one read: %.3f s, %llu bytes, %llu lines, %llu blocks, "
      "%d values emitted\n",
      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
      (unsigned long long)st.bytes, (unsigned long long)st.lines,
      (unsigned long long)st.blocks, n);
  qsort(rows, nrows, sizeof(*rows), cmp);
  printf("proto\tport\tdir\tpackets\tbytes\n");
  for (size_t i = 0; i < nrows; i++) {
    const row_t *r = &rows[i];
    const char *p = r->proto == 1 ? "udp" : "tcp";
    if (r->ip)
      printf("%s\t%d\tin\t%llu\t%llu\n", p, r->port, (unsigned long long)r->ip,
             (unsigned long long)r->ib);
    if (r->op)
      printf("%s\t%d\tout\t%llu\t%llu\n", p, r->port, (unsigned long long)r->op,
             (unsigned long long)r->ob);
  }
  log_source_free(s);
  services_free(svc);
  free(rows);
  return 0;
}
