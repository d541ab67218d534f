#include "log_tail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byte_count.h"
#include "its_grow.h"

#define READ_CHUNK 65536

int log_tail_init(log_tail_t *t, const char *path, size_t max_line) {
  memset(t, 0, sizeof(*t));
  t->fd = -1;
  t->skip_byte = -1;
  t->max_line = max_line ? max_line : 65536;
  t->path = strdup(path);
  return t->path ? 0 : -1;
}

void log_tail_destroy(log_tail_t *t) {
  if (t->fd >= 0)
    close(t->fd);
  free(t->path);
  free(t->partial);
  memset(t, 0, sizeof(*t));
  t->fd = -1;
}

#define say(cb, sev, ...)                                                      \
  its_message((cb)->on_message, (cb)->ud, (sev), __VA_ARGS__)

/* Line t->line_no was too long and is skipped. */
static void long_line(log_tail_t *t, const tail_callbacks_t *cb) {
  t->lines_too_long++;
  if (cb->on_long_line)
    cb->on_long_line(cb->ud, t->line_no, t->max_line);
  else
    say(cb, ITS_WARNING, "%s line %llu: line longer than %zu bytes, skipped",
        t->path, (unsigned long long)t->line_no, t->max_line);
}

static void reset_position(log_tail_t *t) {
  t->offset = 0;
  t->line_no = 0;
  t->partial_len = 0;
  t->discarding = 0;
}

static int keep_partial(log_tail_t *t, const char *p, size_t n) {
  if (t->partial_len + n > t->max_line) {
    /* Over-long line: drop what we hold and skip to the next newline. */
    t->discarding = 1;
    t->partial_len = 0;
    return 0;
  }
  /* One byte spare: a line skipped in bulk is handed over with its '\n'. */
  if (its_grow(&t->partial, &t->partial_cap, t->partial_len + n + 1, 1, 256))
    return -1;
  memcpy(t->partial + t->partial_len, p, n);
  t->partial_len += n;
  return 0;
}

/* Splits a chunk read at file offset `at`. Returns non-zero when the line
 * callback asked to pause; t->offset is then just past that line. */
void log_tail_skip_until(log_tail_t *t, int byte) { t->skip_byte = byte; }

/* Skip mode: hands the whole lines of [*pp, end) before the first line that
 * contains the skip byte to on_skipped, and advances *pp to that line (or to
 * the start of the last, unfinished line); ends skip mode when it found one. */
static void skip_lines(log_tail_t *t, const char **pp, const char *end,
                       const tail_callbacks_t *cb) {
  const char *p = *pp;
  const char *hit = memchr(p, t->skip_byte, (size_t)(end - p));
  const char *limit = hit ? hit : end;
  const char *stop = p; /* start of the line holding `hit`, or of the tail */
  for (const char *q = limit; q > p; q--)
    if (q[-1] == '\n') {
      stop = q;
      break;
    }
  if (hit)
    t->skip_byte = -1;
  if (stop == p)
    return;
  uint64_t lines = byte_count(p, (size_t)(stop - p), '\n');
  if (cb->on_skipped)
    cb->on_skipped(cb->ud, p, (size_t)(stop - p), t->line_no + 1, lines);
  t->line_no += lines;
  *pp = stop;
}

static int split_lines(log_tail_t *t, const char *buf, size_t n, off_t at,
                       const tail_callbacks_t *cb) {
  const char *p = buf, *end = buf + n;
  int stop = 0;
  while (p < end) {
    if (t->skip_byte >= 0 && t->partial_len == 0 && !t->discarding) {
      skip_lines(t, &p, end, cb);
      if (p == end)
        return 0;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL) {
      if (!t->discarding && keep_partial(t, p, (size_t)(end - p)) != 0)
        say(cb, ITS_ERROR, "%s: out of memory holding a partial line", t->path);
      return 0;
    }
    t->line_no++;
    if (t->discarding) {
      t->discarding = 0;
      long_line(t, cb);
    } else if (t->partial_len > 0) {
      if (keep_partial(t, p, (size_t)(nl - p)) != 0 || t->discarding) {
        t->discarding = 0;
        long_line(t, cb);
      } else if (t->skip_byte >= 0 &&
                 memchr(t->partial, t->skip_byte, t->partial_len) == NULL) {
        t->partial[t->partial_len] = '\n';
        if (cb->on_skipped)
          cb->on_skipped(cb->ud, t->partial, t->partial_len + 1, t->line_no, 1);
      } else {
        t->skip_byte = -1;
        stop = cb->on_line(cb->ud, t->partial, t->partial_len, t->line_no);
      }
      t->partial_len = 0;
    } else if ((size_t)(nl - p) > t->max_line) {
      long_line(t, cb);
    } else {
      stop = cb->on_line(cb->ud, p, (size_t)(nl - p), t->line_no);
    }
    p = nl + 1;
    if (stop) {
      t->offset = at + (off_t)(p - buf);
      return 1;
    }
  }
  return 0;
}

/* Reads from the open file until EOF. */
static uint64_t drain(log_tail_t *t, const tail_callbacks_t *cb) {
  uint64_t total = 0;
  char buf[READ_CHUNK];

  struct stat st;
  if (fstat(t->fd, &st) == 0 && st.st_size < t->offset) {
    say(cb, ITS_NOTICE,
        "%s was truncated (copytruncate?): reading it again from its start",
        t->path);
    reset_position(t);
    if (cb->on_new_file)
      cb->on_new_file(cb->ud, "truncated");
  }
  for (;;) {
    ssize_t n = pread(t->fd, buf, sizeof(buf), t->offset);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      say(cb, ITS_ERROR, "reading %s: %s", t->path, strerror(errno));
      break;
    }
    if (n == 0)
      break;
    off_t at = t->offset;
    t->offset += n;
    if (split_lines(t, buf, (size_t)n, at, cb)) {
      total += (uint64_t)(t->offset - at);
      t->paused = 1;
      break;
    }
    total += (uint64_t)n;
  }
  t->bytes_read_total += total;
  return total;
}

/* Opens the path; returns the fd or -1 (reported once per distinct error). */
static int open_path(log_tail_t *t, const tail_callbacks_t *cb,
                     struct stat *st) {
  int fd = open(t->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err != t->reported_errno) {
      if (err == ENOENT)
        say(cb, ITS_WARNING,
            "%s does not exist (yet): waiting for it to appear", t->path);
      else if (err == EACCES)
        say(cb, ITS_ERROR,
            "cannot open %s: permission denied; collectd runs as uid %d: "
            "grant it read access (e.g. chmod o+r or a group); retrying",
            t->path, (int)geteuid());
      else
        say(cb, ITS_ERROR, "cannot open %s: %s; retrying", t->path,
            strerror(err));
      t->reported_errno = err;
    }
    return -1;
  }
  if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
    if (t->reported_errno != -2) {
      say(cb, ITS_ERROR, "%s is not a regular file; retrying", t->path);
      t->reported_errno = -2;
    }
    close(fd);
    return -1;
  }
  /* O_NONBLOCK was only for opening safely; reads of a file never block. */
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  if (t->reported_errno != 0)
    say(cb, ITS_INFO, "%s is readable now", t->path);
  t->reported_errno = 0;
  return fd;
}

uint64_t log_tail_read(log_tail_t *t, const tail_callbacks_t *cb) {
  uint64_t total = 0;
  struct stat st;

  if (t->fd < 0) {
    int fd = open_path(t, cb, &st);
    if (fd < 0)
      return 0;
    t->fd = fd;
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    reset_position(t);
    if (t->ever_opened && cb->on_new_file)
      cb->on_new_file(cb->ud, "opened");
    t->ever_opened = 1;
  }

  t->paused = 0;
  total += drain(t, cb);
  if (t->paused)
    return total;

  /* Has the name moved on to another file? */
  if (stat(t->path, &st) == 0 && (st.st_dev != t->dev || st.st_ino != t->ino)) {
    /* Keep reading the old file until the new one has data: a writer that
     * was not told to reopen (Debian's logrotate sends no SIGUSR1 to
     * iptraf-ng) goes on writing the renamed file. */
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
      total += drain(t, cb);
      if (t->paused)
        return total;
      if (t->partial_len > 0 || t->discarding)
        say(cb, ITS_WARNING,
            "%s: the rotated file ended in an unfinished line, skipped",
            t->path);
      close(t->fd);
      t->fd = -1;
      struct stat nst;
      int fd = open_path(t, cb, &nst);
      if (fd >= 0) {
        t->fd = fd;
        t->dev = nst.st_dev;
        t->ino = nst.st_ino;
        reset_position(t);
        say(cb, ITS_INFO, "%s was rotated: reading the new file", t->path);
        if (cb->on_new_file)
          cb->on_new_file(cb->ud, "rotated");
        total += drain(t, cb);
      }
    }
  }
  return total;
}

time_t log_tail_mtime(const log_tail_t *t) {
  struct stat st;
  if (t->fd < 0 || fstat(t->fd, &st) != 0)
    return 0;
  return st.st_mtime;
}

uint64_t log_tail_unread(const log_tail_t *t) {
  struct stat st;
  if (t->fd < 0 || fstat(t->fd, &st) != 0 || st.st_size <= t->offset)
    return 0;
  return (uint64_t)(st.st_size - t->offset);
}
