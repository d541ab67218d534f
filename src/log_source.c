#include "log_source.h"
#include "its_message.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_blocks.h"
#include "log_tail.h"
#include "series_table.h"

/* Bad-line warnings: at most this many per window, then a count. */
#define WARN_BURST 10
#define WARN_WINDOW 600

typedef struct name_map_s {
  its_proto_t proto;
  char name[ITS_SERVICE_NAME_MAX + 1];
  int port; /* -1: unmapped (warned once) */
  struct name_map_s *next;
} name_map_t;

struct log_source_s {
  log_source_config_t cfg;
  char *path;
  log_tail_t tail;
  block_assembler_t blocks;
  series_table_t *series;
  name_map_t *names;

  int first_read_done;
  int catching_up;     /* first read of a file present at start */
  int replaying;       /* ReplayHistory: one block per read until the end */
  log_block_t last_block; /* catch-up: the newest block, emitted at the end */
  int have_last_block;
  /* Catch-up at start-up parses only the last block of each iptraf run: a
   * block's port lines are kept raw until the block is known to matter. */
  struct {
    char *text;          /* the raw lines, each followed by '\0' */
    size_t len, cap;
    uint64_t *line_no;   /* first line number of each line */
    size_t nlines, cap_lines;
  } raw_current, raw_deferred;
  log_block_t deferred;  /* the newest complete block of the run, unparsed */
  int have_deferred;
  series_t *touched;   /* series updated since the last emission */
  series_t **touched_tail;

  time_t learned_interval;
  time_t now;

  time_t warn_window_start;
  unsigned warn_count;
  uint64_t warn_suppressed;

  log_source_stats_t stats;
  int emitted_this_read;
  /* Replay: stop reading after each block until the next read. */
  int pause;
  uint64_t skipped_reported;
};

/* Messages go to the configured log callback. */
#define say(s, sev, ...) its_message((s)->cfg.log, (s)->cfg.ud, (sev), __VA_ARGS__)

/* Rate-limited warning about the log's content. */
static void warn_line(log_source_t *s, uint64_t line_no, const char *what) {
  if (s->now - s->warn_window_start >= WARN_WINDOW) {
    if (s->warn_suppressed > 0)
      say(s, 4, "%s: %llu more bad lines were skipped without a message",
          s->path, (unsigned long long)s->warn_suppressed);
    s->warn_window_start = s->now;
    s->warn_count = 0;
    s->warn_suppressed = 0;
  }
  if (s->warn_count >= WARN_BURST) {
    s->warn_suppressed++;
    return;
  }
  s->warn_count++;
  say(s, 4, "%s line %llu: %s%s", s->path, (unsigned long long)line_no, what,
      s->warn_count == WARN_BURST ? " (further bad lines are counted, not "
                                    "reported, for 10 minutes)"
                                  : "");
}

static void on_tail_message(void *ud, tail_severity_t sev, const char *msg) {
  log_source_t *s = ud;
  if (sev == TAIL_WARNING && strstr(msg, "longer than")) {
    s->stats.bad_lines++;
    /* The tail names file and line; route through the limiter. */
    if (s->now - s->warn_window_start < WARN_WINDOW &&
        s->warn_count >= WARN_BURST) {
      s->warn_suppressed++;
      return;
    }
    s->warn_count++;
  }
  say(s, (int)sev, "%s", msg);
}

static void on_new_file(void *ud, const char *why) {
  (void)ud;
  (void)why;
  /* The counters in a rotated or truncated file go on (iptraf keeps its
   * counts across SIGUSR1); nothing to reset here. */
}

/* Maps the log's port column to a port number. */
static int resolve_port(log_source_t *s, const block_entry_t *e) {
  if (e->port >= 0)
    return e->port;
  for (name_map_t *m = s->names; m; m = m->next)
    if (m->proto == e->proto && strcmp(m->name, e->name) == 0)
      return m->port;
  name_map_t *m = calloc(1, sizeof(*m));
  if (m == NULL)
    return -1;
  m->proto = e->proto;
  memcpy(m->name, e->name, sizeof(m->name));
  int port = -1;
  services_result_t r =
      services_lookup(s->cfg.services, e->proto, e->name, 1, &port);
  m->port = (r == SERVICES_FOUND) ? port : -1;
  if (r != SERVICES_FOUND)
    say(s, 4,
        "%s: %s service \"%s\" %s; it is reported under its name%s", s->path,
        its_proto_name(e->proto), e->name,
        r == SERVICES_AMBIGUOUS
            ? "could stand for several ports (its name was cut to 10 "
              "characters)"
            : "is not in the services database",
        s->cfg.ports ? ", which the Port filter cannot select, so it is ignored"
                     : "");
  m->next = s->names;
  s->names = m;
  return m->port;
}

static time_t value_interval(const log_source_t *s) {
  if (s->cfg.log_interval > 0)
    return s->cfg.log_interval;
  if (s->learned_interval > 0)
    return s->learned_interval;
  return s->cfg.default_interval > 0 ? s->cfg.default_interval : 10;
}

/* Emits one series' continuous totals at `t`, unless that would not be
 * after its previous value (a block in the same second, or the clock stepped
 * back): then its counts go out with its next value. */
static void emit_series(log_source_t *s, series_t *sr, time_t t) {
  if (s->cfg.ports &&
      (sr->port < 0 || !port_set_has(s->cfg.ports, sr->proto, (unsigned)sr->port)))
    return;
  if ((int64_t)t <= sr->emitted_time) {
    s->stats.blocks_skipped_old++;
    return;
  }
  uint64_t total[SERIES_NCOUNTERS];
  series_totals(s->series, sr, total);
  its_value_t v = {
      .proto = sr->proto,
      .port = sr->port,
      .name = sr->port < 0 ? sr->name : NULL,
      .time = t,
      .interval = value_interval(s),
      .in_packets = total[SERIES_IN_PACKETS],
      .in_bytes = total[SERIES_IN_BYTES],
      .out_packets = total[SERIES_OUT_PACKETS],
      .out_bytes = total[SERIES_OUT_BYTES],
  };
  sr->emitted_time = (int64_t)t;
  s->cfg.emit(s->cfg.ud, &v);
  s->emitted_this_read++;
}

/* Catch-up at start: the newest block only (the series of earlier blocks
 * were dispatched by the collectd that read them). */
static void emit_block(log_source_t *s, const log_block_t *b) {
  for (size_t i = 0; i < b->count; i++) {
    const block_entry_t *e = &b->entries[i];
    int port = resolve_port(s, e);
    series_t *sr = series_table_get(s->series, e->proto, port, e->name, 0);
    if (sr != NULL)
      emit_series(s, sr, b->generated);
  }
}

/* Every series updated since the last emission, once, with the time of the
 * newest block that reported it. One value per series per read: collectd's
 * write threads may reorder several values of one series dispatched at
 * once (the cache then drops the older as "too old"), and the rrdtool plugin
 * drops values that race with the creation of their file. */
static void emit_touched(log_source_t *s) {
  while (s->touched) {
    series_t *sr = s->touched;
    s->touched = sr->next_touched;
    sr->next_touched = NULL;
    sr->touched = 0;
    emit_series(s, sr, (time_t)sr->block_time);
  }
  s->touched_tail = &s->touched;
}

static void clear_touched(log_source_t *s) {
  while (s->touched) {
    series_t *sr = s->touched;
    s->touched = sr->next_touched;
    sr->next_touched = NULL;
    sr->touched = 0;
  }
  s->touched_tail = &s->touched;
}

static int copy_block(log_block_t *dst, const log_block_t *src) {
  if (dst->cap < src->count) {
    block_entry_t *e = realloc(dst->entries, src->count * sizeof(*e));
    if (e == NULL)
      return -1;
    dst->entries = e;
    dst->cap = src->count;
  }
  block_entry_t *entries = dst->entries;
  size_t cap = dst->cap;
  *dst = *src;
  dst->entries = entries;
  dst->cap = cap;
  if (src->count)
    memcpy(dst->entries, src->entries, src->count * sizeof(*entries));
  return 0;
}

/* A block is complete: fold its counters into the series. */
static void apply_block(log_source_t *s, const log_block_t *b) {

  int restart = b->new_run;
  if (!restart) {
    for (size_t i = 0; i < b->count; i++) {
      const block_entry_t *e = &b->entries[i];
      uint64_t raw[SERIES_NCOUNTERS] = {e->in_packets, e->in_bytes,
                                        e->out_packets, e->out_bytes};
      int port = resolve_port(s, e);
      series_t *sr = series_table_get(s->series, e->proto, port, e->name, 0);
      if (series_would_decrease(s->series, sr, raw)) {
        restart = 1;
        say(s, 5,
            "%s line %llu: counters went down without a \"started\" line: "
            "taking it as an iptraf restart",
            s->path, (unsigned long long)b->header_line);
        break;
      }
    }
  }
  if (restart) {
    s->stats.restarts++;
    series_table_new_run(s->series);
  }
  if (b->gap > 0 && b->complete && b->gap > s->learned_interval)
    s->learned_interval = b->gap;

  for (size_t i = 0; i < b->count; i++) {
    const block_entry_t *e = &b->entries[i];
    int port = resolve_port(s, e);
    series_t *sr = series_table_get(s->series, e->proto, port, e->name, 1);
    if (sr == NULL) {
      say(s, 3, "%s: out of memory", s->path);
      return;
    }
    uint64_t raw[SERIES_NCOUNTERS] = {e->in_packets, e->in_bytes,
                                      e->out_packets, e->out_bytes};
    uint64_t total[SERIES_NCOUNTERS];
    series_update(s->series, sr, raw, total);
    sr->block_time = (int64_t)b->generated;
    if (!sr->touched) {
      sr->touched = 1;
      *s->touched_tail = sr;
      s->touched_tail = &sr->next_touched;
    }
  }

  if (s->catching_up) {
    if (copy_block(&s->last_block, b) == 0)
      s->have_last_block = 1;
    return;
  }
  if (s->replaying)
    s->pause = 1;
}

static int raw_append(log_source_t *s, int which, const char *line, size_t len,
                      uint64_t line_no) {
  typeof(s->raw_current) *r = which ? &s->raw_deferred : &s->raw_current;
  if (r->len + len + 1 > r->cap) {
    size_t cap = r->cap ? r->cap : 65536;
    while (cap < r->len + len + 1)
      cap *= 2;
    char *t = realloc(r->text, cap);
    if (t == NULL)
      return -1;
    r->text = t;
    r->cap = cap;
  }
  if (r->nlines == r->cap_lines) {
    size_t cap = r->cap_lines ? r->cap_lines * 2 : 1024;
    uint64_t *n = realloc(r->line_no, cap * sizeof(*n));
    if (n == NULL)
      return -1;
    r->line_no = n;
    r->cap_lines = cap;
  }
  memcpy(r->text + r->len, line, len);
  r->text[r->len + len] = '\0';
  r->len += len + 1;
  r->line_no[r->nlines++] = line_no;
  return 0;
}

/* Parses kept raw port lines; PORT lines go to `add` (a block, or the
 * assembler's open block when b is NULL). */
static void parse_raw(log_source_t *s, int which, log_block_t *b) {
  typeof(s->raw_current) *r = which ? &s->raw_deferred : &s->raw_current;
  const char *p = r->text;
  for (size_t i = 0; i < r->nlines; i++) {
    size_t len = strlen(p);
    iptraf_line_t l;
    if (iptraf_line_parse(p, len, &l) != 0) {
      s->stats.bad_lines++;
      char what[256];
      snprintf(what, sizeof(what), "%s, line skipped", l.error);
      warn_line(s, r->line_no[i], what);
    } else if (l.kind == IPTRAF_LINE_PORT) {
      if (b == NULL) {
        block_assembler_feed(&s->blocks, &l, r->line_no[i], NULL, s);
      } else {
        if (b->count == b->cap) {
          size_t cap = b->cap ? b->cap * 2 : 64;
          block_entry_t *e = realloc(b->entries, cap * sizeof(*e));
          if (e == NULL)
            break;
          b->entries = e;
          b->cap = cap;
        }
        block_entry_t *e = &b->entries[b->count++];
        e->proto = l.proto;
        e->port = l.port;
        memcpy(e->name, l.name, sizeof(e->name));
        e->in_packets = l.in_packets;
        e->in_bytes = l.in_bytes;
        e->out_packets = l.out_packets;
        e->out_bytes = l.out_bytes;
      }
    }
    p += len + 1;
  }
  r->len = 0;
  r->nlines = 0;
}

/* The deferred block turned out to be the last of its run (or of the file):
 * parse and apply it. */
static void materialize_deferred(log_source_t *s) {
  if (!s->have_deferred)
    return;
  s->have_deferred = 0;
  s->deferred.count = 0;
  parse_raw(s, 1, &s->deferred);
  apply_block(s, &s->deferred);
}

static void on_block(void *ud, const log_block_t *b) {
  log_source_t *s = ud;
  s->stats.blocks++;
  size_t lines = b->count + (s->catching_up ? s->raw_current.nlines : 0);
  if (!b->complete) {
    s->stats.blocks_cut++;
    say(s, 4,
        "%s line %llu: the block generated here is unfinished (iptraf died "
        "while writing it?); its %zu complete port lines are counted",
        s->path, (unsigned long long)b->header_line, lines);
  }
  if (!s->catching_up) {
    apply_block(s, b);
    return;
  }
  /* Catch-up: this block supersedes the deferred one of the same run; only
   * its "new run" mark must survive. */
  int new_run = b->new_run || (s->have_deferred && s->deferred.new_run);
  if (b->gap > 0 && b->complete && b->gap > s->learned_interval)
    s->learned_interval = b->gap;
  block_entry_t *entries = s->deferred.entries;
  size_t cap = s->deferred.cap;
  s->deferred = *b;
  s->deferred.entries = entries;
  s->deferred.cap = cap;
  s->deferred.count = 0;
  s->deferred.new_run = new_run;
  s->have_deferred = 1;
  typeof(s->raw_current) t = s->raw_deferred;
  s->raw_deferred = s->raw_current;
  s->raw_current = t;
  s->raw_current.len = 0;
  s->raw_current.nlines = 0;
}

static int on_line(void *ud, const char *line, size_t len, uint64_t line_no) {
  log_source_t *s = ud;
  iptraf_line_t l;
  s->stats.lines++;

  /* A writer without O_APPEND after copytruncate leaves a run of NULs. */
  while (len > 0 && line[0] == '\0') {
    line++;
    len--;
  }
  if (memchr(line, '\0', len) != NULL) {
    s->stats.bad_lines++;
    warn_line(s, line_no, "NUL bytes in the line, skipped");
    return 0;
  }
  /* Catch-up: a port line of an open block is kept raw (event lines, which
   * may follow a cut-off port line on the same line, end with '*'). */
  if (s->catching_up && len > 0 && (line[0] == 'T' || line[0] == 'U') &&
      line[len - 1] != '*' && block_assembler_pending(&s->blocks)) {
    if (raw_append(s, 0, line, len, line_no) == 0)
      return 0;
  }
  if (iptraf_line_parse(line, len, &l) != 0) {
    s->stats.bad_lines++;
    char what[256];
    snprintf(what, sizeof(what), "%s, line skipped", l.error);
    warn_line(s, line_no, what);
    return 0;
  }
  block_note_t note = block_assembler_feed(&s->blocks, &l, line_no, on_block, s);
  if (s->catching_up &&
      (l.kind == IPTRAF_LINE_STARTED || l.kind == IPTRAF_LINE_STOPPED))
    materialize_deferred(s); /* the run ended: its last block counts */
  switch (note) {
  case BLOCK_NOTE_ORPHAN_LINE:
    s->stats.bad_lines++;
    warn_line(s, line_no, "counter line outside a block, skipped");
    break;
  case BLOCK_NOTE_CUT_LINE:
    warn_line(s, line_no,
              "a line cut off by an iptraf crash precedes this start line; "
              "the cut-off part was skipped");
    break;
  case BLOCK_NOTE_BAD_TIME:
    s->stats.bad_lines++;
    warn_line(s, line_no, "block time does not exist in local time, skipped");
    break;
  case BLOCK_NOTE_NO_MEMORY:
    say(s, 3, "%s: out of memory", s->path);
    break;
  default:
    break;
  }
  return s->pause;
}

log_source_t *log_source_new(const log_source_config_t *cfg) {
  log_source_t *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->cfg = *cfg;
  s->path = strdup(cfg->path);
  s->series = series_table_new();
  if (s->path == NULL || s->series == NULL ||
      log_tail_init(&s->tail, cfg->path, cfg->max_line) != 0) {
    log_source_free(s);
    return NULL;
  }
  s->cfg.path = s->path;
  s->touched_tail = &s->touched;
  block_assembler_init(&s->blocks);
  return s;
}

void log_source_free(log_source_t *s) {
  if (s == NULL)
    return;
  log_tail_destroy(&s->tail);
  block_assembler_destroy(&s->blocks);
  series_table_free(s->series);
  free(s->last_block.entries);
  free(s->deferred.entries);
  free(s->raw_current.text);
  free(s->raw_current.line_no);
  free(s->raw_deferred.text);
  free(s->raw_deferred.line_no);
  while (s->names) {
    name_map_t *n = s->names->next;
    free(s->names);
    s->names = n;
  }
  free(s->path);
  free(s);
}

int log_source_read(log_source_t *s, time_t now) {
  tail_callbacks_t cb = {.on_line = on_line,
                         .on_message = on_tail_message,
                         .on_new_file = on_new_file,
                         .ud = s};
  s->now = now;
  s->emitted_this_read = 0;
  s->pause = 0;

  if (!s->first_read_done) {
    s->first_read_done = 1;
    s->catching_up = !s->cfg.replay_history;
    s->replaying = s->cfg.replay_history;
  }

  uint64_t got = log_tail_read(&s->tail, &cb);
  s->stats.bytes += got;

  /* An unfinished block that stopped growing: iptraf died writing it. */
  if (!s->pause && block_assembler_pending(&s->blocks) &&
      (got == 0 || s->catching_up)) {
    time_t mtime = log_tail_mtime(&s->tail);
    if (mtime > 0 && now - mtime >= s->cfg.incomplete_block_timeout)
      block_assembler_flush(&s->blocks, on_block, s);
  }

  if (s->catching_up) {
    materialize_deferred(s);
    /* A block still open keeps its port lines, parsed into it now. */
    if (s->raw_current.nlines)
      parse_raw(s, 0, NULL);
    s->catching_up = 0;
    clear_touched(s);
    if (s->have_last_block) {
      s->have_last_block = 0;
      emit_block(s, &s->last_block);
    }
  } else {
    emit_touched(s);
  }
  if (s->stats.blocks_skipped_old > s->skipped_reported) {
    say(s, 5,
        "%s: %llu values were held back because their block's time is not "
        "after the previous value's (two blocks in one second, or the clock "
        "stepped back); their counts go out with the next newer block",
        s->path,
        (unsigned long long)(s->stats.blocks_skipped_old - s->skipped_reported));
    s->skipped_reported = s->stats.blocks_skipped_old;
  }
  if (s->replaying && !s->pause && got == 0)
    s->replaying = 0; /* the history is in: from now on, live reading */
  return s->emitted_this_read;
}

void log_source_get_stats(const log_source_t *s, log_source_stats_t *st) {
  *st = s->stats;
}
