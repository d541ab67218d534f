#define _GNU_SOURCE /* mkostemp */
#include "state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Every state-file message is a warning: the plugin goes on without it. */
#define say(log, ud, ...) its_message((log), (ud), ITS_WARNING, __VA_ARGS__)

/* Undoes the escapes of one field, in place. Returns 0, or -1 for a '\'
 * followed by anything but '\', 't', 'n', 'r'. */
static int unescape(char *s) {
  char *out = s;
  for (const char *p = s; *p; p++) {
    if (*p != '\\') {
      *out++ = *p;
      continue;
    }
    switch (*++p) {
    case '\\':
      *out++ = '\\';
      break;
    case 't':
      *out++ = '\t';
      break;
    case 'n':
      *out++ = '\n';
      break;
    case 'r':
      *out++ = '\r';
      break;
    default:
      return -1; /* also a '\' at the end */
    }
  }
  *out = '\0';
  return 0;
}

/* A block time: decimal seconds, > 0, that time_t holds. */
static int parse_time(const char *s, int64_t *out) {
  if (*s == '\0' || strlen(s) > 18)
    return -1;
  int64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9')
      return -1;
    v = v * 10 + (*p - '0');
  }
  if (v <= 0 || (int64_t)(time_t)v != v)
    return -1;
  *out = v;
  return 0;
}

/* Parses one line (without its newline). Returns 1 with *e set, 0 for a
 * comment or blank line, -1 with *why set for a bad line. The fields of *e
 * point into `line`. */
static int parse_line(char *line, size_t len, state_entry_t *e,
                      const char **why) {
  if (len > 0 && line[len - 1] == '\r')
    line[--len] = '\0';
  if (memchr(line, '\0', len) != NULL) {
    *why = "a NUL byte in the line";
    return -1;
  }
  if (len == 0 || line[0] == '#')
    return 0;
  char *field[3];
  int n = 0;
  char *p = line;
  for (;;) {
    char *tab = strchr(p, '\t');
    if (n < 3)
      field[n] = p;
    n++;
    if (tab == NULL)
      break;
    *tab = '\0';
    p = tab + 1;
  }
  if (n != 3) {
    *why = "not three fields separated by tabs (instance, log path, time)";
    return -1;
  }
  if (unescape(field[0]) != 0 || unescape(field[1]) != 0) {
    *why = "a '\\' that is not one of \\\\ \\t \\n \\r";
    return -1;
  }
  if (field[0][0] == '\0' || field[1][0] == '\0') {
    *why = "an empty instance or log path";
    return -1;
  }
  if (parse_time(field[2], &e->time) != 0) {
    *why = "the time is not a positive number of seconds";
    return -1;
  }
  e->instance = field[0];
  e->path = field[1];
  return 1;
}

/* One sequence: open, check what it is, read it whole, each line parsed. */
int state_file_read(const char *file, state_entry_cb_t on_entry,
                    its_message_cb_t log, void *ud) {
  FILE *f = fopen(file, "re");
  if (f == NULL) {
    if (errno == ENOENT)
      return 0;
    say(log, ud, "cannot read the state file %s: %s", file, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0) {
    say(log, ud, "cannot read the state file %s: %s", file, strerror(errno));
    fclose(f);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    say(log, ud, "cannot read the state file %s: %s", file,
        S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
    fclose(f);
    return -1;
  }
  if (st.st_size > STATE_FILE_MAX_SIZE) {
    say(log, ud,
        "the state file %s is larger than %d MiB: not one this plugin "
        "wrote, ignored",
        file, STATE_FILE_MAX_SIZE / (1024 * 1024));
    fclose(f);
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  unsigned long long line_no = 0, bad = 0;
  int entries = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    line_no++;
    if (len > 0 && line[len - 1] == '\n')
      line[--len] = '\0';
    state_entry_t e;
    const char *why = NULL;
    int r = parse_line(line, (size_t)len, &e, &why);
    if (r > 0) {
      on_entry(ud, &e);
      entries++;
    } else if (r < 0 && ++bad <= STATE_FILE_MAX_LINE_WARNINGS) {
      say(log, ud, "%s line %llu: %s; line ignored", file, line_no, why);
    }
  }
  int read_error = ferror(f) ? errno : 0;
  free(line);
  fclose(f);
  if (bad > STATE_FILE_MAX_LINE_WARNINGS)
    say(log, ud, "%s: %llu more bad lines ignored", file,
        bad - STATE_FILE_MAX_LINE_WARNINGS);
  if (read_error) {
    say(log, ud, "cannot read the state file %s: %s", file,
        strerror(read_error));
    return -1;
  }
  return entries;
}

/* Appends `s` to buf with the escapes of the format. */
static void put_escaped(char **buf, size_t *len, const char *s) {
  for (; *s; s++) {
    char c = *s;
    const char *esc = c == '\\'   ? "\\\\"
                      : c == '\t' ? "\\t"
                      : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r"
                                  : NULL;
    if (esc) {
      memcpy(*buf + *len, esc, 2);
      *len += 2;
    } else {
      (*buf)[(*len)++] = c;
    }
  }
}

static const char HEADER[] =
    "# iptraf_services state, written by collectd (see iptraf_services(5)):\n"
    "# for each <Log> block, the newest iptraf block whose values were\n"
    "# dispatched, so that a restarted collectd does not send them again.\n"
    "# instance<TAB>log path<TAB>block time (seconds since 1970, UTC)\n";

static int fail(char *err, size_t errlen, const char *what, int e) {
  snprintf(err, errlen, "%s: %s", what, strerror(e));
  errno = e;
  return -1;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* One sequence: temporary file, lines, fsync, rename, fsync of the
 * directory; each failure says which step. */
int state_file_write(const char *file, const state_entry_t *entries, size_t n,
                     char *err, size_t errlen) {
  /* The text: each field at most doubles with its escapes. */
  size_t size = sizeof(HEADER);
  for (size_t i = 0; i < n; i++)
    size += 2 * strlen(entries[i].instance) + 2 * strlen(entries[i].path) + 32;
  char *buf = malloc(size);
  size_t tmp_len = strlen(file) + sizeof(".XXXXXX");
  char *tmp = malloc(tmp_len);
  if (buf == NULL || tmp == NULL) {
    free(buf);
    free(tmp);
    return fail(err, errlen, "out of memory", ENOMEM);
  }
  size_t len = sizeof(HEADER) - 1;
  memcpy(buf, HEADER, len);
  for (size_t i = 0; i < n; i++) {
    put_escaped(&buf, &len, entries[i].instance);
    buf[len++] = '\t';
    put_escaped(&buf, &len, entries[i].path);
    len += (size_t)snprintf(buf + len, size - len, "\t%" PRId64 "\n",
                            entries[i].time);
  }

  /* Same directory, so that rename replaces the file in one step. */
  snprintf(tmp, tmp_len, "%s.XXXXXX", file);
  int rc = -1;
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    rc = fail(err, errlen, "cannot create a temporary file in its directory",
              errno);
    goto out;
  }
  const char *what = NULL;
  /* Readable by the admin, like collectd's other files (mkstemp: 0600). */
  if (fchmod(fd, 0644) != 0 || write_all(fd, buf, len) != 0)
    what = "cannot write the temporary file";
  else if (fsync(fd) != 0)
    what = "cannot flush the temporary file to disk";
  int e = errno;
  if (close(fd) != 0 && what == NULL) {
    what = "cannot write the temporary file";
    e = errno;
  }
  if (what == NULL && rename(tmp, file) != 0) {
    what = "cannot rename the temporary file over it";
    e = errno;
  }
  if (what != NULL) {
    unlink(tmp);
    rc = fail(err, errlen, what, e);
    goto out;
  }
  /* The rename itself on disk: best effort (the state only saves noise). */
  char *slash = strrchr(tmp, '/');
  const char *dir = ".";
  if (slash != NULL) {
    *(slash == tmp ? slash + 1 : slash) = '\0';
    dir = tmp;
  }
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)fsync(dfd);
    close(dfd);
  }
  rc = 0;
out:
  free(buf);
  free(tmp);
  return rc;
}
