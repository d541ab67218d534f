#include "log_source.h"
#include "its_message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_blocks.h"
#include "log_catchup.h"
#include "log_series.h"
#include "log_tail.h"
#include "series_table.h"

/* Bad-line warnings: at most this many per window, then a count. */
#define WARN_BURST 10
#define WARN_WINDOW 600

/* How a read goes on: the first read of a file present at start catches
 * up (log_catchup.c) or, with ReplayHistory, replays it one block per
 * read; then the source reads live. */
typedef enum {
  READ_START,   /* no read yet */
  READ_CATCHUP, /* the first read: the last block of each run counts */
  READ_REPLAY,  /* one block per read, until the end of the file */
  READ_LIVE,    /* every new block, as it completes */
} read_mode_t;

struct log_source_s {
  log_source_config_t cfg;
  char *path;
  log_tail_t tail;
  block_assembler_t blocks;
  log_series_t series;
  log_catchup_t catchup;
  read_mode_t mode;
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

static time_t value_interval(const log_source_t *s) {
  if (s->cfg.log_interval > 0)
    return s->cfg.log_interval;
  if (s->series.learned_interval > 0)
    return s->series.learned_interval;
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
    if (s->mode != READ_REPLAY)
      s->stats.values_already_dispatched++;
    return;
  }
  if ((int64_t)t <= sr->emitted_time) {
    s->stats.blocks_skipped_old++;
    return;
  }
  uint64_t total[SERIES_NCOUNTERS];
  series_totals(s->series.table, sr, total);
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
    series_t *sr = log_series_find(&s->series, &b->entries[i]);
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
  series_t *sr;
  while ((sr = log_series_take_touched(&s->series)) != NULL)
    emit_series(s, sr, (time_t)sr->block_time);
}

/* A replay would send each of this block's values: count them here, as
 * several such blocks pass in one read. */
static void count_replayed(void *ud, series_t *sr,
                           const uint64_t total[SERIES_NCOUNTERS]) {
  log_source_t *s = ud;
  (void)total;
  if (already_dispatched(s, (time_t)sr->block_time) && selected(s, sr))
    s->stats.values_already_dispatched++;
}

/* A block is complete: fold its counters into the series. */
static void apply_block(log_source_t *s, const log_block_t *b) {
  if (log_series_apply(&s->series, b,
                       s->mode == READ_REPLAY ? count_replayed : NULL, s) != 0)
    return;
  if (s->mode == READ_CATCHUP) {
    log_catchup_keep(&s->catchup, b);
    return;
  }
  /* Replay pauses after each block, so that a series has one value per
   * read; blocks dispatched by a previous collectd send nothing, and are
   * passed in one go. */
  if (s->mode == READ_REPLAY && !already_dispatched(s, b->generated))
    s->pause = 1;
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

static void on_block(void *ud, const log_block_t *b) {
  log_source_t *s = ud;
  s->stats.blocks++;
  if (!b->complete) {
    size_t lines = b->count;
    if (s->mode == READ_CATCHUP)
      lines = log_catchup_cut_lines(&s->catchup, lines);
    s->stats.blocks_cut++;
    say(s, ITS_WARNING,
        "%s line %llu: the block generated here is unfinished (iptraf died "
        "while writing it?); its %zu complete port lines are counted",
        s->path, (unsigned long long)b->header_line, lines);
  }
  if (s->mode != READ_CATCHUP) {
    apply_block(s, b);
    return;
  }
  /* Catch-up: this block supersedes the deferred one of the same run. */
  log_series_learn_interval(&s->series, b);
  log_catchup_block(&s->catchup, b);
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
  if (s->mode == READ_CATCHUP &&
      (l.kind == IPTRAF_LINE_STARTED || l.kind == IPTRAF_LINE_STOPPED))
    log_catchup_run_ended(&s->catchup); /* its last block counts */
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

/* The catch-up's hooks (log_catchup.h). */
static void hook_process_line(void *ud, const char *line, size_t len,
                              uint64_t line_no) {
  process_line(ud, line, len, line_no);
}

static int hook_parse_line(void *ud, const char *line, size_t len,
                           uint64_t line_no, iptraf_line_t *l) {
  log_source_t *s = ud;
  if (usable_line(s, &line, &len, line_no) != 0)
    return -1;
  if (len > s->cfg.max_line && s->cfg.max_line > 0) {
    s->stats.bad_lines++;
    warn_long_line(s, line_no);
    return -1;
  }
  return parse_or_warn(s, line, len, line_no, l);
}

static void hook_apply(void *ud, const log_block_t *b) { apply_block(ud, b); }

static void on_skipped(void *ud, const char *data, size_t len,
                       uint64_t first_line, uint64_t lines) {
  log_source_t *s = ud;
  s->stats.lines += lines;
  log_catchup_skipped(&s->catchup, data, len, first_line, lines);
}

static int on_line(void *ud, const char *line, size_t len, uint64_t line_no) {
  log_source_t *s = ud;
  s->stats.lines++;
  if (s->mode == READ_CATCHUP &&
      log_catchup_line(&s->catchup, line, len, line_no)) {
    log_tail_skip_until(&s->tail, '*');
    return s->pause;
  }
  process_line(s, line, len, line_no);
  /* Catch-up: pass over the body of the block just opened (port lines,
   * blank lines, "Running time") in bulk, to the next line with a '*'
   * (block header, event line). */
  if (s->mode == READ_CATCHUP && block_assembler_pending(&s->blocks))
    log_tail_skip_until(&s->tail, '*');
  return s->pause;
}

log_source_t *log_source_new(const log_source_config_t *cfg) {
  log_source_t *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->cfg = *cfg;
  s->path = strdup(cfg->path);
  if (s->path == NULL ||
      log_series_init(&s->series, s->path, cfg->services, cfg->ports != NULL,
                      cfg->log, cfg->ud) != 0 ||
      log_tail_init(&s->tail, cfg->path, cfg->max_line) != 0) {
    log_source_free(s);
    return NULL;
  }
  s->cfg.path = s->path;
  if (s->cfg.dispatched_until < 0)
    s->cfg.dispatched_until = 0;
  s->dispatched_max = s->cfg.dispatched_until;
  block_assembler_init(&s->blocks);
  catchup_hooks_t hooks = {hook_process_line, hook_parse_line, hook_apply};
  log_catchup_init(&s->catchup, &s->blocks, &hooks, s, s->path, cfg->log,
                   cfg->ud);
  return s;
}

void log_source_free(log_source_t *s) {
  if (s == NULL)
    return;
  log_tail_destroy(&s->tail);
  block_assembler_destroy(&s->blocks);
  log_series_destroy(&s->series);
  log_catchup_destroy(&s->catchup);
  free(s->path);
  free(s);
}

/* The end of the first read: the newest block of the file goes out, the
 * series the catch-up touched on the way do not. */
static void finish_catchup(log_source_t *s) {
  log_catchup_finish(&s->catchup);
  log_tail_skip_until(&s->tail, -1);
  s->mode = READ_LIVE;
  while (log_series_take_touched(&s->series) != NULL)
    ;
  const log_block_t *last = log_catchup_take_last(&s->catchup);
  if (last != NULL)
    emit_block(s, last);
}

/* What a read may have to say once. */
static void report_read(log_source_t *s) {
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

  if (s->mode == READ_START)
    s->mode = s->cfg.replay_history ? READ_REPLAY : READ_CATCHUP;

  uint64_t got = log_tail_read(&s->tail, &cb);
  s->stats.bytes += got;
  if (s->mode == READ_CATCHUP)
    log_catchup_end_of_read(&s->catchup); /* maybe inside a block's body */

  /* An unfinished block that stopped growing: iptraf died writing it. */
  if (!s->pause && block_assembler_pending(&s->blocks) &&
      (got == 0 || s->mode == READ_CATCHUP)) {
    time_t mtime = log_tail_mtime(&s->tail);
    if (mtime > 0 && now - mtime >= s->cfg.incomplete_block_timeout)
      block_assembler_flush(&s->blocks, on_block, s);
  }

  if (s->mode == READ_CATCHUP)
    finish_catchup(s);
  else
    emit_touched(s);
  report_read(s);
  if (s->mode == READ_REPLAY && !s->pause && got == 0)
    s->mode = READ_LIVE; /* the history is in: from now on, live reading */
  return s->emitted_this_read;
}

void log_source_get_stats(const log_source_t *s, log_source_stats_t *st) {
  *st = s->stats;
  st->restarts = s->series.restarts;
}

time_t log_source_dispatched_until(const log_source_t *s) {
  return s->dispatched_max;
}
