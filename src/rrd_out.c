#include "rrd_out.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

/* "time:a:b" with 64-bit signed counters: at most 11 + 2 * 21 bytes. */
#define UPDATE_LEN 64

struct rrd_out_s {
  char *path, *tmp; /* tmp: NULL with a daemon */
  const rrd_layout_t *layout;
  const char *daemon;
  int opened, failed;
  time_t last_time;
  char (*batch)[UPDATE_LEN];
  const char *argv[RRD_OUT_BATCH];
  int nbatch;
  uint64_t updates;
};

rrd_out_t *rrd_out_new(const char *path, const rrd_layout_t *layout,
                       const char *daemon) {
  rrd_out_t *o = calloc(1, sizeof(*o));
  if (o == NULL)
    return NULL;
  o->path = strdup(path);
  o->layout = layout;
  o->daemon = daemon;
  if (o->path == NULL) {
    free(o);
    return NULL;
  }
  return o;
}

void rrd_out_free(rrd_out_t *o) {
  if (o == NULL)
    return;
  free(o->path);
  free(o->tmp);
  free(o->batch);
  free(o);
}

/* mkdir -p of the file's directory. */
static int make_parent(const char *path, char *err, size_t errlen) {
  char *copy = strdup(path);
  if (copy == NULL)
    return -1;
  char *dir = dirname(copy);
  for (char *p = dir + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create the directory %s: %s", dir,
                 strerror(errno));
        free(copy);
        return -1;
      }
      *p = c;
      if (c == '\0')
        break;
    }
  }
  free(copy);
  return 0;
}

static int copy_file(const char *from, const char *to, char *err,
                     size_t errlen) {
  int in = open(from, O_RDONLY);
  if (in < 0) {
    snprintf(err, errlen, "cannot read %s: %s", from, strerror(errno));
    return -1;
  }
  struct stat sb;
  fstat(in, &sb);
  int out = open(to, O_WRONLY | O_CREAT | O_EXCL, sb.st_mode & 07777);
  if (out < 0) {
    snprintf(err, errlen, "cannot create %s: %s", to, strerror(errno));
    close(in);
    return -1;
  }
  char buf[65536];
  ssize_t n;
  int rc = 0;
  while ((n = read(in, buf, sizeof(buf))) > 0)
    if (write(out, buf, (size_t)n) != n) {
      snprintf(err, errlen, "cannot write %s: %s", to,
               errno ? strerror(errno) : "short write");
      rc = -1;
      break;
    }
  if (n < 0) {
    snprintf(err, errlen, "cannot read %s: %s", from, strerror(errno));
    rc = -1;
  }
  close(in);
  if (close(out) != 0 && rc == 0) {
    snprintf(err, errlen, "cannot write %s: %s", to, strerror(errno));
    rc = -1;
  }
  if (rc != 0)
    unlink(to);
  return rc;
}

static const char *rrd_error(void) {
  const char *e = rrd_get_error();
  return e && *e ? e : "librrd gave no reason";
}

/* librrd 1.7 says nothing when rrd_create runs out of space: say how much
 * the file system has left. */
static void create_failed(const char *path, char *err, size_t errlen) {
  const char *e = rrd_get_error();
  if (e && *e) {
    snprintf(err, errlen, "cannot create %s: %s", path, e);
    return;
  }
  char *copy = strdup(path);
  struct statvfs vfs;
  if (copy && statvfs(dirname(copy), &vfs) == 0)
    snprintf(err, errlen,
             "cannot create %s (librrd gave no reason; the file system has "
             "%llu bytes free: full?)",
             path, (unsigned long long)vfs.f_bavail * vfs.f_frsize);
  else
    snprintf(err, errlen, "cannot create %s (librrd gave no reason)", path);
  free(copy);
}

static void when(time_t t, char *out, size_t len) {
  struct tm tm;
  if (localtime_r(&t, &tm) == NULL ||
      strftime(out, len, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
    snprintf(out, len, "%lld", (long long)t);
}

static rrd_out_status_t open_file(rrd_out_t *o, time_t first, char *err,
                                  size_t errlen) {
  o->batch = malloc(sizeof(*o->batch) * RRD_OUT_BATCH);
  if (o->batch == NULL) {
    snprintf(err, errlen, "%s: out of memory", o->path);
    return RRD_OUT_ERROR;
  }
  rrd_clear_error();
  time_t last = 0;
  int exists;
  if (o->daemon) {
    last = rrdc_last(o->path);
    exists = last > 0;
    rrd_clear_error();
  } else {
    struct stat sb;
    exists = stat(o->path, &sb) == 0;
    if (exists) {
      last = rrd_last_r(o->path);
      if (last <= 0) {
        snprintf(err, errlen, "%s exists but is not an RRD librrd can read: %s",
                 o->path, rrd_error());
        return RRD_OUT_ERROR;
      }
    }
  }
  if (exists) {
    if (last >= first) {
      char a[64], b[64];
      when(last, a, sizeof(a));
      when(first, b, sizeof(b));
      snprintf(err, errlen,
               "%s already holds data up to %s, newer than the first value to "
               "import for it (%s): importing would overwrite what it holds "
               "from %s on",
               o->path, a, b, b);
      return RRD_OUT_NEWER;
    }
  }
  if (!o->daemon) {
    if (make_parent(o->path, err, errlen) != 0)
      return RRD_OUT_ERROR;
    size_t len = strlen(o->path) + 64;
    o->tmp = malloc(len);
    if (o->tmp == NULL) {
      snprintf(err, errlen, "%s: out of memory", o->path);
      return RRD_OUT_ERROR;
    }
    /* A dot name the rrdtool plugin never writes, in the same directory
     * (rename does not cross file systems). */
    char *copy = strdup(o->path);
    char *base = copy ? basename(copy) : NULL;
    char *dcopy = strdup(o->path);
    char *dir = dcopy ? dirname(dcopy) : NULL;
    if (base == NULL || dir == NULL) {
      free(copy);
      free(dcopy);
      snprintf(err, errlen, "%s: out of memory", o->path);
      return RRD_OUT_ERROR;
    }
    snprintf(o->tmp, len, "%s/.%s.import-%ld", dir, base, (long)getpid());
    free(copy);
    free(dcopy);
    unlink(o->tmp);
    if (exists)
      return copy_file(o->path, o->tmp, err, errlen) == 0 ? RRD_OUT_OK
                                                          : RRD_OUT_ERROR;
  }
  if (exists)
    return RRD_OUT_OK;
  /* rrdcached on this host (a unix socket) does not make directories. */
  if (o->daemon && strncmp(o->daemon, "unix:", 5) == 0 &&
      make_parent(o->path, err, errlen) != 0)
    return RRD_OUT_ERROR;
  char ds[2][RRD_LAYOUT_DEF_LEN], rras[RRD_LAYOUT_MAX_RRAS][RRD_LAYOUT_DEF_LEN];
  const char *argv[2 + RRD_LAYOUT_MAX_RRAS];
  rrd_layout_ds(o->layout, "rx", NULL, ds[0]);
  rrd_layout_ds(o->layout, "tx", NULL, ds[1]);
  int n = rrd_layout_rras(o->layout, rras);
  if (n < 0) {
    snprintf(err, errlen, "%s: %s", o->path, rrd_layout_check(o->layout));
    return RRD_OUT_ERROR;
  }
  for (int i = 0; i < n + 2; i++)
    argv[i] = i < 2 ? ds[i] : rras[i - 2];
  /* collectd starts a new file one second before its first value. */
  int rc =
      o->daemon
          ? rrdc_create(o->path, o->layout->step, first - 1, 1, n + 2, argv)
          : rrd_create_r(o->tmp, o->layout->step, first - 1, n + 2, argv);
  if (rc != 0) {
    create_failed(o->daemon ? o->path : o->tmp, err, errlen);
    return RRD_OUT_ERROR;
  }
  return RRD_OUT_OK;
}

static rrd_out_status_t flush(rrd_out_t *o, char *err, size_t errlen) {
  if (o->nbatch == 0)
    return RRD_OUT_OK;
  for (int i = 0; i < o->nbatch; i++)
    o->argv[i] = o->batch[i];
  rrd_clear_error();
  int rc = o->daemon ? rrdc_update(o->path, o->nbatch, o->argv)
                     : rrd_update_r(o->tmp, NULL, o->nbatch, o->argv);
  if (rc != 0) {
    snprintf(err, errlen, "cannot update %s: %s", o->daemon ? o->path : o->tmp,
             rrd_error());
    o->failed = 1;
    return RRD_OUT_ERROR;
  }
  o->updates += (uint64_t)o->nbatch;
  o->nbatch = 0;
  return RRD_OUT_OK;
}

rrd_out_status_t rrd_out_add(rrd_out_t *o, time_t t, int64_t a, int64_t b,
                             char *err, size_t errlen) {
  if (o->failed) {
    snprintf(err, errlen, "%s: an earlier write failed", o->path);
    return RRD_OUT_ERROR;
  }
  if (!o->opened) {
    rrd_out_status_t st = open_file(o, t, err, errlen);
    if (st != RRD_OUT_OK) {
      o->failed = 1;
      return st;
    }
    o->opened = 1;
  }
  /* librrd refuses a time not after the last one: the caller holds such
   * values back, as the <Log> source does. */
  if (t <= o->last_time)
    return RRD_OUT_OK;
  o->last_time = t;
  snprintf(o->batch[o->nbatch++], UPDATE_LEN, "%lld:%" PRId64 ":%" PRId64,
           (long long)t, a, b);
  if (o->nbatch == RRD_OUT_BATCH)
    return flush(o, err, errlen);
  return RRD_OUT_OK;
}

rrd_out_status_t rrd_out_rebase(rrd_out_t *o, int64_t a, int64_t b, char *err,
                                size_t errlen) {
  if (!o->opened || o->failed)
    return RRD_OUT_OK;
  if (o->nbatch == RRD_OUT_BATCH && flush(o, err, errlen) != RRD_OUT_OK)
    return RRD_OUT_ERROR;
  snprintf(o->batch[o->nbatch++], UPDATE_LEN, "%lld.001:%" PRId64 ":%" PRId64,
           (long long)o->last_time, a, b);
  return RRD_OUT_OK;
}

rrd_out_status_t rrd_out_commit(rrd_out_t *o, char *err, size_t errlen) {
  if (!o->opened)
    return RRD_OUT_OK;
  if (o->failed) {
    snprintf(err, errlen, "%s: an earlier write failed", o->path);
    return RRD_OUT_ERROR;
  }
  if (flush(o, err, errlen) != RRD_OUT_OK)
    return RRD_OUT_ERROR;
  if (o->daemon) {
    if (rrdc_flush(o->path) != 0) {
      snprintf(err, errlen, "rrdcached cannot flush %s: %s", o->path,
               rrd_error());
      return RRD_OUT_ERROR;
    }
    return RRD_OUT_OK;
  }
  int fd = open(o->tmp, O_RDWR);
  if (fd < 0 || fsync(fd) != 0) {
    snprintf(err, errlen, "cannot write %s to disk: %s", o->tmp,
             strerror(errno));
    if (fd >= 0)
      close(fd);
    return RRD_OUT_ERROR;
  }
  close(fd);
  if (rename(o->tmp, o->path) != 0) {
    snprintf(err, errlen, "cannot rename %s to %s: %s", o->tmp, o->path,
             strerror(errno));
    return RRD_OUT_ERROR;
  }
  free(o->tmp);
  o->tmp = NULL;
  return RRD_OUT_OK;
}

void rrd_out_abort(rrd_out_t *o) {
  if (o->tmp)
    unlink(o->tmp);
}
