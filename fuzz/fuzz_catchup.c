/* fuzz_catchup: the start-up catch-up of src/log_source.c, which passes over
 * block bodies in bulk (log_tail_skip_until), against reading the same file
 * line by line (ReplayHistory), on a real file.
 *
 * Invariants (abort() when violated):
 *  - both readings count the same lines and bytes;
 *  - with no restart and no cut block in either reading, every series the
 *    catch-up emits has exactly the totals the line-by-line reading ended
 *    with (then both are the series' values in the last block);
 *  - a block appended afterwards is read by the catch-up source line by
 *    line (the skipping has ended): it emits its series. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log_source.h"

#define MAX_SERIES 4096

typedef struct {
  int proto, port;
  char name[40];
  uint64_t v[4];
} seen_t;

typedef struct {
  seen_t s[MAX_SERIES];
  size_t n;
} table_t;

static table_t line_by_line, catch_up;
static char path[64];

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "fuzz_catchup: invariant violated at %s:%d: %s\n",       \
              __FILE__, __LINE__, #cond);                                      \
      abort();                                                                 \
    }                                                                          \
  } while (0)

static void on_emit(void *ud, const its_value_t *v) {
  table_t *t = ud;
  const char *name = v->name ? v->name : "";
  for (size_t i = 0; i < t->n; i++) {
    seen_t *s = &t->s[i];
    if (s->proto == (int)v->proto && s->port == v->port &&
        strcmp(s->name, name) == 0) {
      s->v[0] = v->in_packets, s->v[1] = v->in_bytes;
      s->v[2] = v->out_packets, s->v[3] = v->out_bytes;
      return;
    }
  }
  if (t->n == MAX_SERIES)
    return;
  seen_t *s = &t->s[t->n++];
  s->proto = (int)v->proto;
  s->port = v->port;
  snprintf(s->name, sizeof(s->name), "%s", name);
  s->v[0] = v->in_packets, s->v[1] = v->in_bytes;
  s->v[2] = v->out_packets, s->v[3] = v->out_bytes;
}

static void on_log(void *ud, its_severity_t sev, const char *msg) {
  (void)ud, (void)sev, (void)msg;
}

static log_source_t *source(int replay, table_t *t) {
  log_source_config_t cfg = {.path = path,
                             .replay_history = replay,
                             .incomplete_block_timeout = 10,
                             .default_interval = 10,
                             .max_line = 512,
                             .emit = on_emit,
                             .log = on_log,
                             .ud = t};
  return log_source_new(&cfg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  setenv("TZ", "UTC", 1);
  snprintf(path, sizeof(path), "/tmp/fuzz_catchup.%d.log", (int)getpid());
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  time_t later = time(NULL) + 3600; /* an unfinished block counts at once */

  line_by_line.n = catch_up.n = 0;
  log_source_t *a = source(1, &line_by_line);
  /* One block per read: read until a read neither emits nor reads. */
  log_source_stats_t before, after;
  for (int i = 0; i < 100000; i++) {
    log_source_get_stats(a, &before);
    int n = log_source_read(a, later);
    log_source_get_stats(a, &after);
    if (n == 0 && after.lines == before.lines && after.bytes == before.bytes &&
        after.blocks == before.blocks)
      break;
  }
  log_source_t *b = source(0, &catch_up);
  log_source_read(b, later);

  log_source_stats_t sa, sb;
  log_source_get_stats(a, &sa);
  log_source_get_stats(b, &sb);
  CHECK(sa.lines == sb.lines);
  CHECK(sa.bytes == sb.bytes);
  if (sa.restarts == 0 && sb.restarts == 0 && sa.blocks_cut == 0 &&
      sb.blocks_cut == 0 && sa.blocks_skipped_old == 0) {
    for (size_t i = 0; i < catch_up.n; i++) {
      const seen_t *c = &catch_up.s[i];
      const seen_t *l = NULL;
      for (size_t k = 0; k < line_by_line.n && !l; k++)
        if (line_by_line.s[k].proto == c->proto &&
            line_by_line.s[k].port == c->port &&
            strcmp(line_by_line.s[k].name, c->name) == 0)
          l = &line_by_line.s[k];
      CHECK(l != NULL);
      CHECK(memcmp(l->v, c->v, sizeof(c->v)) == 0);
    }
  }

  f = fopen(path, "ab");
  if (f) {
    fputs("\nSun Nov 29 23:59:00 2099; ******** TCP/UDP service monitor "
          "started ********\n\n*** TCP/UDP traffic log, generated Sun Nov 29 "
          "23:59:30 2099\n\nUDP/65535: 1 packets, 9 bytes total; 1 packets, 9 "
          "bytes incoming; 0 packets, 0 bytes outgoing\n\nRunning time: 30 "
          "seconds\n",
          f);
    fclose(f);
    catch_up.n = 0;
    log_source_read(b, later);
    int found = 0;
    for (size_t i = 0; i < catch_up.n; i++)
      found |=
          catch_up.s[i].proto == ITS_PROTO_UDP && catch_up.s[i].port == 65535;
    CHECK(found || catch_up.n == MAX_SERIES);
  }
  log_source_free(a);
  log_source_free(b);
  unlink(path);
  return 0;
}
