#include "import_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "iptraf_line.h"

typedef struct {
  const import_log_read_t *r;
  import_log_stats_t *st;
  unsigned warnings;
  uint64_t unreported;
} reader_t;

static void bad_line(reader_t *rd, uint64_t line_no, const char *what) {
  rd->st->bad_lines++;
  if (rd->warnings >= IMPORT_LOG_MAX_WARNINGS) {
    rd->unreported++;
    return;
  }
  rd->warnings++;
  its_message(rd->r->log, rd->r->log_ud, 4, "%s line %llu: %s, line skipped",
              rd->r->path, (unsigned long long)line_no, what);
}

static void on_block(void *ud, const log_block_t *b) {
  reader_t *rd = ud;
  rd->st->blocks++;
  if (!b->complete) {
    rd->st->blocks_cut++;
    its_message(rd->r->log, rd->r->log_ud, 4,
                "%s line %llu: the block generated here is unfinished (iptraf "
                "died while writing it?); its %zu complete port lines are "
                "counted",
                rd->r->path, (unsigned long long)b->header_line, b->count);
  }
  rd->r->on_block(rd->r->block_ud, b);
}

static void line(reader_t *rd, const char *p, size_t len, uint64_t line_no) {
  rd->st->lines++;
  /* A writer without O_APPEND after copytruncate leaves NULs in front. */
  while (len > 0 && p[0] == '\0')
    p++, len--;
  if (memchr(p, '\0', len) != NULL) {
    bad_line(rd, line_no, "NUL bytes in the line");
    return;
  }
  iptraf_line_t l;
  if (iptraf_line_parse(p, len, &l) != 0) {
    bad_line(rd, line_no, l.error);
    return;
  }
  switch (block_assembler_feed(rd->r->blocks, &l, line_no, on_block, rd)) {
  case BLOCK_NOTE_ORPHAN_LINE:
    bad_line(rd, line_no, "counter line outside a block");
    break;
  case BLOCK_NOTE_BAD_TIME:
    bad_line(rd, line_no, "block time does not exist in local time");
    break;
  case BLOCK_NOTE_CUT_LINE:
    its_message(rd->r->log, rd->r->log_ud, 4,
                "%s line %llu: a line cut off by an iptraf crash precedes this "
                "start line; the cut-off part was skipped",
                rd->r->path, (unsigned long long)line_no);
    break;
  case BLOCK_NOTE_NO_MEMORY:
    its_message(rd->r->log, rd->r->log_ud, 3, "%s: out of memory", rd->r->path);
    break;
  default:
    break;
  }
}

uint64_t import_log_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

int import_log_read(const import_log_read_t *r, import_log_stats_t *st) {
  reader_t rd = {.r = r, .st = st};
  memset(st, 0, sizeof(*st));
  struct stat sb;
  if (stat(r->path, &sb) != 0) {
    its_message(r->log, r->log_ud, 3, "%s: cannot open: %s", r->path,
                strerror(errno));
    return -1;
  }
  if (!S_ISREG(sb.st_mode)) {
    its_message(r->log, r->log_ud, 3, "%s: cannot open: not a regular file",
                r->path);
    return -1;
  }
  /* gzopen reads a plain file as it is. */
  gzFile f = gzopen(r->path, "rb");
  if (f == NULL) {
    its_message(r->log, r->log_ud, 3, "%s: cannot open: %s", r->path,
                errno ? strerror(errno) : "out of memory");
    return -1;
  }
  gzbuffer(f, 256 * 1024);
  size_t cap = 1024 * 1024, len = 0;
  char *buf = malloc(cap);
  if (buf == NULL) {
    its_message(r->log, r->log_ud, 3, "%s: out of memory", r->path);
    gzclose(f);
    return -1;
  }
  uint64_t line_no = 1;
  int skipping = 0; /* inside a line longer than the limit */
  int rc = 0;
  for (;;) {
    int n = gzread(f, buf + len, (unsigned)(cap - len));
    if (n < 0) {
      int zerr;
      const char *msg = gzerror(f, &zerr);
      its_message(r->log, r->log_ud, 3, "%s: read error after line %llu: %s",
                  r->path, (unsigned long long)(line_no - 1),
                  zerr == Z_ERRNO ? strerror(errno) : msg);
      rc = -1;
      break;
    }
    if (n == 0) {
      int zerr;
      const char *msg = gzerror(f, &zerr);
      if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
        its_message(r->log, r->log_ud, 3, "%s: read error after line %llu: %s",
                    r->path, (unsigned long long)(line_no - 1), msg);
        rc = -1;
      } else if (zerr == Z_BUF_ERROR) {
        /* zlib's "unexpected end of file": a .gz cut short. */
        its_message(r->log, r->log_ud, 3,
                    "%s: the compressed file ends early (cut short?) after "
                    "line %llu",
                    r->path, (unsigned long long)(line_no - 1));
        rc = -1;
      }
      break;
    }
    st->bytes += (uint64_t)n;
    len += (size_t)n;
    char *p = buf, *end = buf + len, *nl;
    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
      if (skipping)
        skipping = 0;
      else if ((size_t)(nl - p) > IMPORT_LOG_MAX_LINE) {
        st->lines++;
        bad_line(&rd, line_no, "line longer than 65536 bytes");
      } else
        line(&rd, p, (size_t)(nl - p), line_no);
      line_no++;
      p = nl + 1;
    }
    len = (size_t)(end - p);
    memmove(buf, p, len);
    if (len > IMPORT_LOG_MAX_LINE) {
      if (!skipping) {
        st->lines++;
        bad_line(&rd, line_no, "line longer than 65536 bytes");
      }
      skipping = 1;
      len = 0;
    }
    if (r->on_progress)
      r->on_progress(r->block_ud, (uint64_t)gzoffset(f));
  }
  gzclose(f);
  if (rc == 0 && len > 0 && !skipping && !r->live)
    line(&rd, buf, len, line_no); /* no newline: cut off by a crash */
  free(buf);
  if (rc == 0 && block_assembler_pending(r->blocks)) {
    /* A rotated file does not go on; the live log's block may still be in
     * the making, unless the file has not changed for a while. */
    if (!r->live || time(NULL) - sb.st_mtime >= IMPORT_LOG_UNFINISHED_AGE)
      block_assembler_flush(r->blocks, on_block, &rd);
  }
  if (rd.unreported > 0)
    its_message(r->log, r->log_ud, 4, "%s: %llu more bad lines were skipped",
                r->path, (unsigned long long)rd.unreported);
  return rc;
}
