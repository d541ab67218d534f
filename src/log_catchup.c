#include "log_catchup.h"

#include <stdlib.h>
#include <string.h>

#include "byte_count.h"
#include "its_grow.h"

#define NO_RUNNING_TIME ((size_t)-1)

#define say(c, sev, ...) its_message((c)->log, (c)->log_ud, (sev), __VA_ARGS__)

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
  if (its_grow(&r->text, &r->cap, r->len + len, 1, 65536) != 0 ||
      its_grow(&r->spans, &r->cap_spans, r->nspans + 1, sizeof(*r->spans),
               16) != 0)
    return -1;
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
static void body_lines(log_catchup_t *c, const raw_body_t *r,
                       void (*fn)(log_catchup_t *, const char *, size_t,
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
      fn(c, p, (size_t)(nl - p), line_no++, arg);
      p = nl + 1;
    }
  }
}

/* One line of a kept body: port lines go to the block `arg` (or to the
 * assembler's open block when arg is NULL). */
static void body_line(log_catchup_t *c, const char *line, size_t len,
                      uint64_t line_no, void *arg) {
  log_block_t *b = arg;
  iptraf_line_t l;
  if (c->hooks.parse_line(c->ud, line, len, line_no, &l) != 0)
    return;
  if (l.kind != IPTRAF_LINE_PORT)
    return; /* blank: a body holds no other kind (they have a '*') */
  if (b == NULL) {
    block_assembler_feed(c->blocks, &l, line_no, NULL, c->ud);
    return;
  }
  if (log_block_add(b, &l) != 0)
    say(c, ITS_ERROR, "%s: out of memory", c->path);
}

static void count_port_like(log_catchup_t *c, const char *line, size_t len,
                            uint64_t line_no, void *arg) {
  (void)c;
  (void)line_no;
  if (len > 0 && (line[0] == 'T' || line[0] == 'U'))
    (*(size_t *)arg)++;
}

/* Parses a kept body (see body_line), then forgets it. */
static void parse_body(log_catchup_t *c, raw_body_t *r, log_block_t *b) {
  body_lines(c, r, body_line, b);
  body_clear(r);
}

void log_catchup_run_ended(log_catchup_t *c) {
  if (!c->have_deferred)
    return;
  c->have_deferred = 0;
  c->deferred_block.count = 0;
  parse_body(c, &c->deferred, &c->deferred_block);
  c->hooks.apply(c->ud, &c->deferred_block);
}

static void process_body_line(log_catchup_t *c, const char *line, size_t len,
                              uint64_t line_no, void *arg) {
  (void)arg;
  c->hooks.process_line(c->ud, line, len, line_no);
}

/* Catch-up: the open block's body, passed over in bulk, has ended (a line
 * with a '*' follows, or the end of the file). Its first "Running time"
 * line completes the block; that line and what follows it are read one by
 * one as usual, the rest stays raw with the block. */
void log_catchup_end_of_read(log_catchup_t *c) {
  raw_body_t *r = &c->current;
  if (!block_assembler_pending(c->blocks) ||
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
    say(c, ITS_ERROR, "%s: out of memory", c->path);
    body_free(&rest);
    return;
  }
  r->len = at;
  r->nspans = (r->spans[i - 1].at == at) ? i - 1 : i;
  r->running_time_at = NO_RUNNING_TIME;
  body_lines(c, &rest, process_body_line, NULL);
  body_free(&rest);
}

void log_catchup_skipped(log_catchup_t *c, const char *data, size_t len,
                         uint64_t first_line, uint64_t lines) {
  if (body_append(&c->current, data, len, first_line) != 0)
    say(c, ITS_ERROR, "%s: out of memory: lines %llu-%llu skipped", c->path,
        (unsigned long long)first_line,
        (unsigned long long)(first_line + lines - 1));
}

/* Catch-up, a block open: a port line that holds a '*' (a service name
 * with one) belongs to the body, in its place: kept raw like the rest.
 * Returns 1 when it was. */
static int port_line_to_body(log_catchup_t *c, const char *line, size_t len,
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
  int ok = body_append(&c->current, copy, len + 1, line_no) == 0;
  free(copy);
  return ok;
}

int log_catchup_line(log_catchup_t *c, const char *line, size_t len,
                     uint64_t line_no) {
  log_catchup_end_of_read(c); /* this line has a '*': the body ended */
  return block_assembler_pending(c->blocks) &&
         port_line_to_body(c, line, len, line_no);
}

void log_catchup_block(log_catchup_t *c, const log_block_t *b) {
  /* Only the deferred block's "new run" mark must survive. */
  int new_run = b->new_run || (c->have_deferred && c->deferred_block.new_run);
  block_entry_t *entries = c->deferred_block.entries;
  size_t cap = c->deferred_block.cap;
  c->deferred_block = *b;
  c->deferred_block.entries = entries;
  c->deferred_block.cap = cap;
  c->deferred_block.count = 0;
  c->deferred_block.new_run = new_run;
  c->have_deferred = 1;
  raw_body_t t = c->deferred;
  c->deferred = c->current;
  c->current = t;
  body_clear(&c->current);
}

size_t log_catchup_cut_lines(const log_catchup_t *c, size_t parsed) {
  body_lines((log_catchup_t *)c, &c->current, count_port_like, &parsed);
  return parsed;
}

void log_catchup_finish(log_catchup_t *c) {
  log_catchup_run_ended(c);
  if (c->current.len) /* a block still open keeps its port lines */
    parse_body(c, &c->current, NULL);
}

static int copy_block(log_block_t *dst, const log_block_t *src) {
  if (its_grow(&dst->entries, &dst->cap, src->count, sizeof(*dst->entries),
               src->count) != 0)
    return -1;
  block_entry_t *entries = dst->entries;
  size_t cap = dst->cap;
  *dst = *src;
  dst->entries = entries;
  dst->cap = cap;
  if (src->count)
    memcpy(dst->entries, src->entries, src->count * sizeof(*entries));
  return 0;
}

void log_catchup_keep(log_catchup_t *c, const log_block_t *b) {
  if (copy_block(&c->last_block, b) == 0)
    c->have_last_block = 1;
}

const log_block_t *log_catchup_take_last(log_catchup_t *c) {
  if (!c->have_last_block)
    return NULL;
  c->have_last_block = 0;
  return &c->last_block;
}

void log_catchup_init(log_catchup_t *c, block_assembler_t *blocks,
                      const catchup_hooks_t *hooks, void *ud, const char *path,
                      its_message_cb_t log, void *log_ud) {
  memset(c, 0, sizeof(*c));
  c->hooks = *hooks;
  c->ud = ud;
  c->blocks = blocks;
  c->path = path;
  c->log = log;
  c->log_ud = log_ud;
  body_clear(&c->current);
  body_clear(&c->deferred);
}

void log_catchup_destroy(log_catchup_t *c) {
  free(c->last_block.entries);
  free(c->deferred_block.entries);
  body_free(&c->current);
  body_free(&c->deferred);
  memset(c, 0, sizeof(*c));
}
