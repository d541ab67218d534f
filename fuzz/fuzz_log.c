/* fuzz_log: the pure log pipeline on a whole log file's bytes.
 *
 * Lines (as log_tail hands them over: complete lines only, over-long lines
 * dropped) -> iptraf_line_parse -> block_assembler_feed -> log_series_apply,
 * the step src/log_source.c applies every block with (service names
 * resolved through a small services database, restart detection, then
 * series_update), and the totals emit_block would dispatch. At the end of
 * the input an unfinished block is flushed, as the IncompleteBlockTimeout
 * does.
 *
 * Invariants (abort() when violated):
 *  - line: the return value matches the kind; invalid lines say why; port
 *    numbers are 0-65535 and match their digits; stamps are in range;
 *  - block: a real time, a sane gap, entries inside their capacity;
 *  - series: series_totals() equals what log_series_apply reported for each
 *    updated series; those totals never go below the totals the series had
 *    at the end of the previous block that touched it; every updated series
 *    is on the touched list once; the totals that emit_block would dispatch
 *    for a series never go backwards.
 *
 * Build with -DFUZZ_LOG_IGNORE_WRAP to skip the "never go backwards" checks
 * for series whose log counters reach 2^62 (64-bit wrap-around of a base
 * plus a new run's counters), to look past that known issue. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iptraf_line.h"
#include "log_blocks.h"
#include "log_series.h"
#include "series_table.h"
#include "services.h"

#define MAX_LINE 8192 /* the plugin's default MaxLineLength */

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "fuzz_log: invariant violated at %s:%d: %s\n", __FILE__, \
              __LINE__, #cond);                                                \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* Small, fixed services database: exact names, aliases, a name iptraf cuts
 * to 10 characters (netbios-ssn -> netbios-ss) and an ambiguous cut name
 * (microsoft-). */
static const char SERVICES_TEXT[] = "ssh 22/tcp\n"
                                    "smtp 25/tcp mail\n"
                                    "domain 53/tcp\n"
                                    "domain 53/udp\n"
                                    "http 80/tcp www\n"
                                    "nntp 119/tcp readnews untp\n"
                                    "netbios-ns 137/udp\n"
                                    "netbios-ssn 139/tcp\n"
                                    "https 443/tcp\n"
                                    "microsoft-ds 445/tcp\n"
                                    "microsoft-dx 446/tcp\n"
                                    "x11 6000/tcp x11-0\n";

/* Shadow state per series (keyed by its address, stable until the table is
 * freed): what the series' totals were at the end of the last block that
 * touched it, and what emit_block last dispatched. */
typedef struct {
  const series_t *key;
  uint64_t committed[SERIES_NCOUNTERS];
  uint64_t emitted[SERIES_NCOUNTERS];
  int has_emitted;
  int huge; /* a raw counter reached 2^62 (FUZZ_LOG_IGNORE_WRAP) */
} shadow_t;

typedef struct {
  log_series_t ls;        /* the code under test */
  series_table_t *series; /* ls.table */
  services_t *services;
  shadow_t *shadow;
  size_t shadow_cap, shadow_count;
  time_t last_emitted;
  uint64_t lines;
  const log_block_t *block; /* being applied */
} state_t;

static shadow_t *shadow_get(state_t *st, const series_t *key) {
  if (st->shadow_count * 2 >= st->shadow_cap) {
    size_t cap = st->shadow_cap ? st->shadow_cap * 2 : 64;
    shadow_t *n = calloc(cap, sizeof(*n));
    CHECK(n != NULL);
    for (size_t i = 0; i < st->shadow_cap; i++) {
      if (st->shadow[i].key == NULL)
        continue;
      size_t h = ((uintptr_t)st->shadow[i].key >> 4) & (cap - 1);
      while (n[h].key != NULL)
        h = (h + 1) & (cap - 1);
      n[h] = st->shadow[i];
    }
    free(st->shadow);
    st->shadow = n;
    st->shadow_cap = cap;
  }
  size_t h = ((uintptr_t)key >> 4) & (st->shadow_cap - 1);
  while (st->shadow[h].key != NULL && st->shadow[h].key != key)
    h = (h + 1) & (st->shadow_cap - 1);
  if (st->shadow[h].key == NULL) {
    st->shadow[h].key = key;
    st->shadow_count++;
  }
  return &st->shadow[h];
}

/* The port log_series should have resolved an entry to. */
static int expected_port(state_t *st, const block_entry_t *e) {
  if (e->port >= 0)
    return e->port;
  int port = -1;
  if (services_lookup(st->services, e->proto, e->name, 1, &port) !=
      SERVICES_FOUND)
    return -1;
  CHECK(port >= 0 && port <= 65535);
  return port;
}

static int monotonic_checked(const shadow_t *sh) {
#ifdef FUZZ_LOG_IGNORE_WRAP
  return !sh->huge;
#else
  (void)sh;
  return 1;
#endif
}

static void check_block(const state_t *st, const log_block_t *b) {
  CHECK(b->generated != (time_t)-1);
  CHECK(b->gap >= 0);
  CHECK(b->count <= b->cap);
  CHECK(b->count == 0 || b->entries != NULL);
  CHECK(b->header_line >= 1 && b->header_line <= st->lines);
  CHECK(b->complete == 0 || b->complete == 1);
  for (size_t i = 0; i < b->count; i++) {
    const block_entry_t *e = &b->entries[i];
    CHECK(e->proto == ITS_PROTO_TCP || e->proto == ITS_PROTO_UDP);
    CHECK(e->port >= -1 && e->port <= 65535);
    CHECK(memchr(e->name, '\0', sizeof(e->name)) != NULL);
  }
}

/* Each series log_series_apply updated, with the totals it reports. */
static void on_updated(void *ud, series_t *sr,
                       const uint64_t total[SERIES_NCOUNTERS]) {
  state_t *st = ud;
  CHECK(sr->block_time == (int64_t)st->block->generated);
  uint64_t again[SERIES_NCOUNTERS];
  series_totals(st->series, sr, again);
  shadow_t *sh = shadow_get(st, sr);
  for (int k = 0; k < SERIES_NCOUNTERS; k++) {
    CHECK(again[k] == total[k]);
    if (monotonic_checked(sh))
      CHECK(total[k] >= sh->committed[k]);
  }
}

/* src/log_source.c's apply_block (log_series_apply) and emit_block (the
 * totals it dispatches), with the invariants. */
static void on_block(void *ud, const log_block_t *b) {
  state_t *st = ud;
  check_block(st, b);
  for (size_t i = 0; i < b->count; i++) {
    const block_entry_t *e = &b->entries[i];
    uint64_t raw[] = {e->in_packets, e->in_bytes, e->out_packets, e->out_bytes};
    series_t *sr = log_series_find(&st->ls, e);
    if (sr != NULL)
      for (int k = 0; k < SERIES_NCOUNTERS; k++)
        if (raw[k] >= ((uint64_t)1 << 62))
          shadow_get(st, sr)->huge = 1;
  }
  st->block = b;
  CHECK(log_series_apply(&st->ls, b, on_updated, st) == 0);

  for (size_t i = 0; i < b->count; i++) {
    const block_entry_t *e = &b->entries[i];
    int port = expected_port(st, e);
    CHECK(log_series_port(&st->ls, e) == port);
    series_t *sr = log_series_find(&st->ls, e);
    CHECK(sr != NULL);
    CHECK(sr->proto == e->proto);
    CHECK(sr->port == (port >= 0 ? port : -1));
    if (port < 0)
      CHECK(strcmp(sr->name, e->name) == 0);
    CHECK(sr->touched);
    if (e->in_packets >= ((uint64_t)1 << 62) ||
        e->in_bytes >= ((uint64_t)1 << 62) ||
        e->out_packets >= ((uint64_t)1 << 62) ||
        e->out_bytes >= ((uint64_t)1 << 62))
      shadow_get(st, sr)->huge = 1; /* a series new in this block too */
  }
  /* End of the block: what each touched series now stands at; each is on
   * the touched list once. */
  size_t touched = 0;
  series_t *sr;
  while ((sr = log_series_take_touched(&st->ls)) != NULL) {
    CHECK(!sr->touched && sr->next_touched == NULL);
    touched++;
    shadow_t *sh = shadow_get(st, sr);
    uint64_t total[SERIES_NCOUNTERS];
    series_totals(st->series, sr, total);
    for (int k = 0; k < SERIES_NCOUNTERS; k++) {
      if (monotonic_checked(sh))
        CHECK(total[k] >= sh->committed[k]);
      sh->committed[k] = total[k];
    }
  }
  CHECK(touched <= b->count);

  /* emit_block: blocks not after the last emitted one are skipped. */
  if (b->generated <= st->last_emitted)
    return;
  st->last_emitted = b->generated;
  for (size_t i = 0; i < b->count; i++) {
    series_t *es = log_series_find(&st->ls, &b->entries[i]);
    CHECK(es != NULL);
    shadow_t *sh = shadow_get(st, es);
    uint64_t total[SERIES_NCOUNTERS];
    series_totals(st->series, es, total);
    for (int k = 0; k < SERIES_NCOUNTERS; k++) {
      if (sh->has_emitted && monotonic_checked(sh))
        CHECK(total[k] >= sh->emitted[k]);
      sh->emitted[k] = total[k];
    }
    sh->has_emitted = 1;
  }
}

static void check_time(const civil_time_t *t) {
  CHECK(t->month >= 1 && t->month <= 12);
  CHECK(t->day >= 1 && t->day <= 31);
  CHECK(t->hour >= 0 && t->hour <= 23);
  CHECK(t->minute >= 0 && t->minute <= 59);
  CHECK(t->second >= 0 && t->second <= 60);
  CHECK(t->year >= 1970);
}

static void check_line(const char *line, size_t len, int rc,
                       const iptraf_line_t *l) {
  CHECK((rc == -1) == (l->kind == IPTRAF_LINE_INVALID));
  CHECK(rc == 0 || rc == -1);
  switch (l->kind) {
  case IPTRAF_LINE_INVALID:
    CHECK(l->error != NULL && l->error[0] != '\0');
    break;
  case IPTRAF_LINE_STARTED:
  case IPTRAF_LINE_STOPPED:
  case IPTRAF_LINE_USR1:
  case IPTRAF_LINE_REOPENED:
    CHECK(l->garbage_prefix < len);
    check_time(&l->time);
    break;
  case IPTRAF_LINE_BLOCK_HEADER:
    check_time(&l->time);
    break;
  case IPTRAF_LINE_PORT: {
    CHECK(l->proto == ITS_PROTO_TCP || l->proto == ITS_PROTO_UDP);
    size_t nlen = strnlen(l->name, sizeof(l->name));
    CHECK(nlen >= 1 && nlen <= ITS_SERVICE_NAME_MAX);
    CHECK(memmem(line, len, l->name, nlen) != NULL);
    CHECK(l->port >= -1 && l->port <= 65535);
    if (l->port >= 0) {
      CHECK(strspn(l->name, "0123456789") == nlen);
      CHECK(atoi(l->name) == l->port);
    }
    break;
  }
  case IPTRAF_LINE_BLANK:
  case IPTRAF_LINE_RUNNING_TIME:
    break;
  default:
    CHECK(!"unknown line kind");
  }
}

/* log_source.c's on_line. */
static void feed_line(state_t *st, block_assembler_t *a, const char *line,
                      size_t len) {
  st->lines++;
  while (len > 0 && line[0] == '\0')
    line++, len--;
  if (memchr(line, '\0', len) != NULL)
    return;
  iptraf_line_t l;
  int rc = iptraf_line_parse(line, len, &l);
  check_line(line, len, rc, &l);
  if (rc != 0)
    return;
  block_note_t note = block_assembler_feed(a, &l, st->lines, on_block, st);
  CHECK(note >= BLOCK_NOTE_NONE && note <= BLOCK_NOTE_NO_MEMORY);
  CHECK(note != BLOCK_NOTE_NO_MEMORY);
}

static void init_once(void) {
  static int done;
  if (done)
    return;
  done = 1;
  /* A zone with DST, so that the repeated and the skipped hour are reached. */
  setenv("TZ", "Europe/Berlin", 1);
  tzset();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init_once();
  state_t st;
  memset(&st, 0, sizeof(st));
  st.services = services_new();
  CHECK(st.services != NULL);
  services_load_text(st.services, SERVICES_TEXT);
  CHECK(log_series_init(&st.ls, "fuzz.log", st.services, 0, NULL, NULL) == 0);
  st.series = st.ls.table;

  block_assembler_t a;
  block_assembler_init(&a);

  /* Complete lines only (a last line without its newline is still being
   * written); over-long lines are skipped, as log_tail does. */
  const char *s = (const char *)data;
  size_t pos = 0;
  while (pos < size) {
    const char *nl = memchr(s + pos, '\n', size - pos);
    if (nl == NULL)
      break;
    size_t len = (size_t)(nl - (s + pos));
    if (len <= MAX_LINE)
      feed_line(&st, &a, s + pos, len);
    else
      st.lines++;
    pos += len + 1;
  }
  /* iptraf died while writing a block: its complete lines count. */
  if (block_assembler_pending(&a))
    block_assembler_flush(&a, on_block, &st);
  CHECK(!block_assembler_pending(&a));

  block_assembler_destroy(&a);
  log_series_destroy(&st.ls);
  services_free(st.services);
  free(st.shadow);
  return 0;
}
