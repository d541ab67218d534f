#include "log_source.h"
#include "its_message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byte_count.h"
#include "log_blocks.h"
#include "log_tail.h"
#include "series_table.h"

/* Bad-line warnings: at most this many per window, then a count. */
#define WARN_BURST 10
#define WARN_WINDOW 600

/* Whole lines kept raw, in spans of consecutive lines. */
typedef struct {
  char *text; /* every line ends in '\n' */
  size_t len, cap;
  struct body_span {
    size_t at;        /* offset in text */
    uint64_t line_no; /* of its first line */
  } * spans;
  size_t nspans, cap_spans;
  size_t running_time_at; /* first "Running time" line, or NO_RUNNING_TIME */
} raw_body_t;
#define NO_RUNNING_TIME ((size_t)-1)

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
  int catching_up;        /* first read of a file present at start */
  int replaying;          /* ReplayHistory: one block per read until the end */
  log_block_t last_block; /* catch-up: the newest block, emitted at the end */
  int have_last_block;
  /* Catch-up at start-up parses only the last block of each iptraf run: a
   * block's body (the lines between its header and the next line with a
   * '*') is passed over in bulk by the tail and kept raw until the block is
   * known to matter. */
  raw_body_t raw_current, raw_deferred;
  log_block_t deferred; /* the newest complete block of the run, unparsed */
  int have_deferred;
  series_t *touched; /* series updated since the last emission */
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
  /* cfg.dispatched_until or the newest time emitted, the later */
  time_t dispatched_max;
  int already_dispatched_said;
};

/* Messages go to the configured log callback. */
#define say(s, sev, ...)                                                       \
  its_message((s)->cfg.log, (s)->cfg.ud, (sev), __VA_ARGS__)

/* Rate-limited warning about the log's content. */
static void warn_line(log_source_t *s, uint64_t line_no, const char *what) {
  if (s->now - s->warn_window_start >= WARN_WINDOW) {
    if (s->warn_suppressed > 0)
      say(s, ITS_WARNING,
          "%s: %llu more bad lines were skipped without a message", s->path,
          (unsigned long long)s->warn_suppressed);
    s->warn_window_start = s->now;
    s->warn_count = 0;
    s->warn_suppressed = 0;
  }
  if (s->warn_count >= WARN_BURST) {
    s->warn_suppressed++;
    return;
  }
  s->warn_count++;
  say(s, ITS_WARNING, "%s line %llu: %s%s", s->path,
      (unsigned long long)line_no, what,
      s->warn_count == WARN_BURST ? " (further bad lines are counted, not "
                                    "reported, for 10 minutes)"
                                  : "");
}

static void on_tail_message(void *ud, its_severity_t sev, const char *msg) {
  log_source_t *s = ud;
  say(s, sev, "%s", msg);
}

/* A line over MaxLineLength: a bad line like any other, rate-limited. */
static void warn_long_line(log_source_t *s, uint64_t line_no) {
  char what[128];
  snprintf(what, sizeof(what), "line longer than %zu bytes, skipped",
           s->cfg.max_line);
  warn_line(s, line_no, what);
}

static void on_long_line(void *ud, uint64_t line_no, size_t max_line) {
  log_source_t *s = ud;
  (void)max_line;   /* the tail's limit is cfg.max_line */
  s->stats.lines++; /* a line too, though never handed over */
  s->stats.bad_lines++;
  warn_long_line(s, line_no);
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
    say(s, ITS_WARNING,
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

/* Is the series one the Port filter selects? */
static int selected(const log_source_t *s, const series_t *sr) {
  return s->cfg.ports == NULL ||
         (sr->port >= 0 &&
          port_set_has(s->cfg.ports, sr->proto, (unsigned)sr->port));
}

/* Was a block of this time dispatched by a previous collectd? */
static int already_dispatched(const log_source_t *s, time_t t) {
  return s->cfg.dispatched_until > 0 && t <= s->cfg.dispatched_until;
}

/* Emits one series' continuous totals at `t`, unless that would not be
 * after its previous value (a block in the same second, or the clock stepped
 * back): then its counts go out with its next value. */
static void emit_series(log_source_t *s, series_t *sr, time_t t) {
  if (!selected(s, sr))
    return;
  if (already_dispatched(s, t)) {
    /* The rrdtool plugin would reject it again, one error per file: on as
     * if emitted. (A replay counted it with its block, see apply_block.) */
    if ((int64_t)t > sr->emitted_time)
      sr->emitted_time = (int64_t)t;
    if (!s->replaying)
      s->stats.values_already_dispatched++;
    return;
  }
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
  if (t > s->dispatched_max)
    s->dispatched_max = t;
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
        say(s, ITS_NOTICE,
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
      say(s, ITS_ERROR, "%s: out of memory", s->path);
      return;
    }
    uint64_t raw[SERIES_NCOUNTERS] = {e->in_packets, e->in_bytes,
                                      e->out_packets, e->out_bytes};
    uint64_t total[SERIES_NCOUNTERS];
    series_update(s->series, sr, raw, total);
    sr->block_time = (int64_t)b->generated;
    /* A replay would send each of this block's values: count them here,
     * as several such blocks pass in one read. */
    if (s->replaying && already_dispatched(s, b->generated) && selected(s, sr))
      s->stats.values_already_dispatched++;
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
  /* Replay pauses after each block, so that a series has one value per
   * read; blocks dispatched by a previous collectd send nothing, and are
   * passed in one go. */
  if (s->replaying && !already_dispatched(s, b->generated))
    s->pause = 1;
}

static void body_clear(raw_body_t *r) {
  r->len = 0;
  r->nspans = 0;
  r->running_time_at = NO_RUNNING_TIME;
}

static void body_free(raw_body_t *r) {
  free(r->text);
  free(r->spans);
}

/* The start of the first line of [p, p+len) (whole lines) that starts
 * "Running time", after the NULs a copytruncate may leave (usable_line
 * strips them), or NULL. Port lines hold no 'R', so memchr skips them at
 * full speed. */
static const char *find_running_time(const char *p, size_t len) {
  static const char mark[] = "Running time";
  const char *end = p + len, *q = p;
  while ((q = memchr(q, 'R', (size_t)(end - q))) != NULL) {
    const char *line = q;
    while (line > p && line[-1] == '\0')
      line--;
    if ((line == p || line[-1] == '\n') &&
        (size_t)(end - q) >= sizeof(mark) - 1 &&
        memcmp(q, mark, sizeof(mark) - 1) == 0) {
      /* Only a line read line by line would take as one (a bad one is
       * skipped there and the block goes on). */
      const char *nl = memchr(q, '\n', (size_t)(end - q));
      size_t n = (size_t)((nl ? nl : end) - q);
      iptraf_line_t l;
      if (memchr(q, '\0', n) == NULL && iptraf_line_parse(q, n, &l) == 0 &&
          l.kind == IPTRAF_LINE_RUNNING_TIME)
        return line;
    }
    q++;
  }
  return NULL;
}

static int body_append(raw_body_t *r, const char *data, size_t len,
                       uint64_t first_line) {
  if (r->len + len > r->cap) {
    size_t cap = r->cap ? r->cap : 65536;
    while (cap < r->len + len)
      cap *= 2;
    char *t = realloc(r->text, cap);
    if (t == NULL)
      return -1;
    r->text = t;
    r->cap = cap;
  }
  if (r->nspans == r->cap_spans) {
    size_t cap = r->cap_spans ? r->cap_spans * 2 : 16;
    struct body_span *n = realloc(r->spans, cap * sizeof(*n));
    if (n == NULL)
      return -1;
    r->spans = n;
    r->cap_spans = cap;
  }
  if (r->running_time_at == NO_RUNNING_TIME) {
    const char *rt = find_running_time(data, len);
    if (rt != NULL)
      r->running_time_at = r->len + (size_t)(rt - data);
  }
  r->spans[r->nspans].at = r->len;
  r->spans[r->nspans].line_no = first_line;
  r->nspans++;
  memcpy(r->text + r->len, data, len);
  r->len += len;
  return 0;
}

/* Calls fn for every line of the body, with its number. */
static void body_lines(log_source_t *s, const raw_body_t *r,
                       void (*fn)(log_source_t *, const char *, size_t,
                                  uint64_t, void *),
                       void *arg) {
  for (size_t i = 0; i < r->nspans; i++) {
    const char *p = r->text + r->spans[i].at;
    const char *end =
        r->text + (i + 1 < r->nspans ? r->spans[i + 1].at : r->len);
    uint64_t line_no = r->spans[i].line_no;
    while (p < end) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      if (nl == NULL)
        nl = end;
      fn(s, p, (size_t)(nl - p), line_no++, arg);
      p = nl + 1;
    }
  }
}

/* Checks shared by every line: a writer without O_APPEND after
 * copytruncate leaves a run of NULs in front of a line. Returns 0 with
 * the line and its length adjusted, or -1 (reported) for a line to skip. */
static int usable_line(log_source_t *s, const char **line, size_t *len,
                       uint64_t line_no) {
  while (*len > 0 && (*line)[0] == '\0') {
    (*line)++;
    (*len)--;
  }
  if (memchr(*line, '\0', *len) != NULL) {
    s->stats.bad_lines++;
    warn_line(s, line_no, "NUL bytes in the line, skipped");
    return -1;
  }
  return 0;
}

/* Parses a line; a bad one is counted and reported (rate-limited). */
static int parse_or_warn(log_source_t *s, const char *line, size_t len,
                         uint64_t line_no, iptraf_line_t *l) {
  if (iptraf_line_parse(line, len, l) == 0)
    return 0;
  s->stats.bad_lines++;
  char what[256];
  snprintf(what, sizeof(what), "%s, line skipped", l->error);
  warn_line(s, line_no, what);
  return -1;
}

/* One line of a kept body: port lines go to the block `arg` (or to the
 * assembler's open block when arg is NULL). */
static void body_line(log_source_t *s, const char *line, size_t len,
                      uint64_t line_no, void *arg) {
  log_block_t *b = arg;
  iptraf_line_t l;
  if (usable_line(s, &line, &len, line_no) != 0)
    return;
  if (len > s->cfg.max_line && s->cfg.max_line > 0) {
    s->stats.bad_lines++;
    warn_long_line(s, line_no);
    return;
  }
  if (parse_or_warn(s, line, len, line_no, &l) != 0)
    return;
  if (l.kind != IPTRAF_LINE_PORT)
    return; /* blank: a body holds no other kind (they have a '*') */
  if (b == NULL) {
    block_assembler_feed(&s->blocks, &l, line_no, NULL, s);
    return;
  }
  if (log_block_add(b, &l) != 0)
    say(s, ITS_ERROR, "%s: out of memory", s->path);
}

static void count_port_like(log_source_t *s, const char *line, size_t len,
                            uint64_t line_no, void *arg) {
  (void)s;
  (void)line_no;
  if (len > 0 && (line[0] == 'T' || line[0] == 'U'))
    (*(size_t *)arg)++;
}

/* Parses a kept body (see body_line), then forgets it. */
static void parse_raw(log_source_t *s, int which, log_block_t *b) {
  raw_body_t *r = which ? &s->raw_deferred : &s->raw_current;
  body_lines(s, r, body_line, b);
  body_clear(r);
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
  if (!b->complete) {
    size_t lines = b->count;
    if (s->catching_up)
      body_lines(s, &s->raw_current, count_port_like, &lines);
    s->stats.blocks_cut++;
    say(s, ITS_WARNING,
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
  raw_body_t t = s->raw_deferred;
  s->raw_deferred = s->raw_current;
  s->raw_current = t;
  body_clear(&s->raw_current);
}

/* One line, parsed and fed to the block assembler. */
static void process_line(log_source_t *s, const char *line, size_t len,
                         uint64_t line_no) {
  iptraf_line_t l;
  if (usable_line(s, &line, &len, line_no) != 0)
    return;
  if (parse_or_warn(s, line, len, line_no, &l) != 0)
    return;
  block_note_t note =
      block_assembler_feed(&s->blocks, &l, line_no, on_block, s);
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
    say(s, ITS_ERROR, "%s: out of memory", s->path);
    break;
  default:
    break;
  }
}

static void process_body_line(log_source_t *s, const char *line, size_t len,
                              uint64_t line_no, void *arg) {
  (void)arg;
  process_line(s, line, len, line_no);
}

/* Catch-up: the open block's body, passed over in bulk, has ended (a line
 * with a '*' follows, or the end of the file). Its first "Running time"
 * line completes the block; that line and what follows it are read one by
 * one as usual, the rest stays raw with the block. */
static void close_body(log_source_t *s) {
  raw_body_t *r = &s->raw_current;
  if (!block_assembler_pending(&s->blocks) ||
      r->running_time_at == NO_RUNNING_TIME)
    return;
  size_t at = r->running_time_at;
  raw_body_t rest = {.running_time_at = NO_RUNNING_TIME};
  size_t i = r->nspans;
  while (i > 0 && r->spans[i - 1].at > at)
    i--;
  /* Span i-1 holds the "Running time" line: number it. */
  uint64_t line_no =
      r->spans[i - 1].line_no +
      byte_count(r->text + r->spans[i - 1].at, at - r->spans[i - 1].at, '\n');
  int ok =
      body_append(&rest, r->text + at,
                  (i < r->nspans ? r->spans[i].at : r->len) - at, line_no) == 0;
  for (size_t k = i; ok && k < r->nspans; k++)
    ok = body_append(&rest, r->text + r->spans[k].at,
                     (k + 1 < r->nspans ? r->spans[k + 1].at : r->len) -
                         r->spans[k].at,
                     r->spans[k].line_no) == 0;
  if (!ok) {
    say(s, ITS_ERROR, "%s: out of memory", s->path);
    body_free(&rest);
    return;
  }
  r->len = at;
  r->nspans = (r->spans[i - 1].at == at) ? i - 1 : i;
  r->running_time_at = NO_RUNNING_TIME;
  body_lines(s, &rest, process_body_line, NULL);
  body_free(&rest);
}

static void on_skipped(void *ud, const char *data, size_t len,
                       uint64_t first_line, uint64_t lines) {
  log_source_t *s = ud;
  s->stats.lines += lines;
  if (body_append(&s->raw_current, data, len, first_line) != 0)
    say(s, ITS_ERROR, "%s: out of memory: lines %llu-%llu skipped", s->path,
        (unsigned long long)first_line,
        (unsigned long long)(first_line + lines - 1));
}

/* Catch-up, a block open: a port line that holds a '*' (a service name
 * with one) belongs to the body, in its place: kept raw like the rest.
 * Returns 1 when it was. */
static int port_line_to_body(log_source_t *s, const char *line, size_t len,
                             uint64_t line_no) {
  const char *p = line;
  size_t n = len;
  while (n > 0 && p[0] == '\0')
    p++, n--;
  iptraf_line_t l;
  if (memchr(p, '\0', n) != NULL || iptraf_line_parse(p, n, &l) != 0 ||
      l.kind != IPTRAF_LINE_PORT)
    return 0;
  char *copy = malloc(len + 1);
  if (copy == NULL)
    return 0;
  memcpy(copy, line, len);
  copy[len] = '\n';
  int ok = body_append(&s->raw_current, copy, len + 1, line_no) == 0;
  free(copy);
  return ok;
}

static int on_line(void *ud, const char *line, size_t len, uint64_t line_no) {
  log_source_t *s = ud;
  s->stats.lines++;
  if (s->catching_up) {
    close_body(s); /* this line has a '*': the open block's body ended */
    if (block_assembler_pending(&s->blocks) &&
        port_line_to_body(s, line, len, line_no)) {
      log_tail_skip_until(&s->tail, '*');
      return s->pause;
    }
  }
  process_line(s, line, len, line_no);
  /* Catch-up: pass over the body of the block just opened (port lines,
   * blank lines, "Running time") in bulk, to the next line with a '*'
   * (block header, event line); see close_body. */
  if (s->catching_up && block_assembler_pending(&s->blocks))
    log_tail_skip_until(&s->tail, '*');
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
  if (s->cfg.dispatched_until < 0)
    s->cfg.dispatched_until = 0;
  s->dispatched_max = s->cfg.dispatched_until;
  s->touched_tail = &s->touched;
  body_clear(&s->raw_current);
  body_clear(&s->raw_deferred);
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
  body_free(&s->raw_current);
  body_free(&s->raw_deferred);
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
                         .on_long_line = on_long_line,
                         .on_new_file = on_new_file,
                         .on_skipped = on_skipped,
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
  if (s->catching_up)
    close_body(s); /* the file ended inside a block's body */

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
    if (s->raw_current.len)
      parse_raw(s, 0, NULL);
    log_tail_skip_until(&s->tail, -1);
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
    say(s, ITS_NOTICE,
        "%s: %llu values were held back because their block's time is not "
        "after the previous value's (two blocks in one second, or the clock "
        "stepped back); their counts go out with the next newer block",
        s->path,
        (unsigned long long)(s->stats.blocks_skipped_old -
                             s->skipped_reported));
    s->skipped_reported = s->stats.blocks_skipped_old;
  }
  if (s->stats.values_already_dispatched > 0 && !s->already_dispatched_said) {
    /* Once: a replay passes such blocks over several reads. */
    s->already_dispatched_said = 1;
    char when[64];
    struct tm tm;
    time_t t = s->cfg.dispatched_until;
    if (localtime_r(&t, &tm) == NULL ||
        strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm) == 0)
      snprintf(when, sizeof(when), "%lld", (long long)t);
    say(s, ITS_INFO,
        "%s: the values of blocks up to %s were dispatched before collectd "
        "restarted; not sent again",
        s->path, when);
  }
  if (s->replaying && !s->pause && got == 0)
    s->replaying = 0; /* the history is in: from now on, live reading */
  return s->emitted_this_read;
}

void log_source_get_stats(const log_source_t *s, log_source_stats_t *st) {
  *st = s->stats;
}

time_t log_source_dispatched_until(const log_source_t *s) {
  return s->dispatched_max;
}
