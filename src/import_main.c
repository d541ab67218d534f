/* iptraf-services-import: write the history in iptraf service-monitor logs
 * (or in the old recipe's tcp_services.rrd) into the RRD files that
 * collectd's rrdtool plugin keeps for the iptraf_services plugin, and leave
 * the plugin's state file so that a collectd following the live log goes on
 * from the last imported block. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "collectd_conf.h"
#include "log_series.h"
#include "its_message.h"
#include "import_log.h"
#include "import_oldrrd.h"
#include "its_config.h"
#include "portspec.h"
#include "rrd_layout.h"
#include "rrd_out.h"
#include "series_table.h"
#include "services.h"
#include "state_file.h"

#define PROG "iptraf-services-import"
#define PLUGIN "iptraf_services"
#define DEFAULT_DATADIR "/var/lib/collectd/rrd"
#define DEFAULT_STATE "/var/lib/collectd/iptraf_services.state"

/* --- messages ------------------------------------------------------------ */

static int progress_shown; /* a progress line is on the terminal */
static int errors;         /* severity 3 messages */

static void clear_progress(void) {
  if (progress_shown) {
    fputs("\r\033[K", stderr);
    progress_shown = 0;
  }
}

static void on_message(void *ud, its_severity_t severity, const char *msg) {
  (void)ud;
  clear_progress();
  if (severity <= 3)
    errors++;
  fprintf(stderr, "%s: %s%s\n", PROG,
          severity <= 3   ? "error: "
          : severity == 4 ? "warning: "
                          : "",
          msg);
}

static void say(int severity, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(int severity, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  on_message(NULL, severity, msg);
}

/* --- the series and their files ------------------------------------------ */

typedef struct imp_series_s {
  its_proto_t proto;
  int port;
  char name[ITS_SERVICE_NAME_MAX + 1];
  /* The live log (the last one) as the plugin will see it: its own series,
   * from zero at its first line. The files hold the whole history's
   * continuous totals; after the last value, a re-base update a millisecond
   * later sets the stored counter to the plugin's total (a negative DERIVE
   * step: unknown for that millisecond, which librrd counts as no unknown
   * second), so that collectd's next value gives the exact rate. */
  int have_view;
  time_t written_time;               /* newest value written */
  int64_t written[SERIES_NCOUNTERS]; /* its whole-history totals */
  int64_t view[SERIES_NCOUNTERS];    /* the plugin's, same block */
  rrd_out_t *octets, *packets;
  struct imp_series_s *next;
} imp_series_t;

typedef struct {
  /* settings */
  const char *datadir, *host, *instance, *daemon;
  int dry_run; /* print the values instead of writing them */
  rrd_layout_t layout;
  const port_set_t *ports; /* NULL: all */
  const services_t *services;
  /* state */
  imp_series_t **by_port; /* [2 * 65536] */
  imp_series_t *all;
  /* The <Log> source's block step: the whole history, and the live log
   * alone (the plugin's view). */
  log_series_t full, live;
  time_t block_time;
  int in_live;
  const char *file;
  time_t newest;
  uint64_t blocks, values, held_back;
  int stop; /* a file conflict or write error: nothing more is written */
  /* progress */
  uint64_t bytes_before, bytes_total;
  struct timeval started, shown;
} importer_t;

static imp_series_t *find_series(importer_t *im, const series_t *s) {
  imp_series_t **slot = NULL;
  if (s->port >= 0) {
    slot = &im->by_port[(size_t)s->proto * 65536 + (size_t)s->port];
    if (*slot)
      return *slot;
  } else {
    for (imp_series_t *x = im->all; x; x = x->next)
      if (x->port < 0 && x->proto == s->proto && strcmp(x->name, s->name) == 0)
        return x;
  }
  imp_series_t *x = calloc(1, sizeof(*x));
  if (x == NULL)
    return NULL;
  x->proto = s->proto;
  x->port = s->port;
  memcpy(x->name, s->name, sizeof(x->name));
  x->next = im->all;
  im->all = x;
  if (slot)
    *slot = x;
  return x;
}

static int selected(const importer_t *im, const series_t *s) {
  return im->ports == NULL ||
         (s->port >= 0 && port_set_has(im->ports, s->proto, (unsigned)s->port));
}

static rrd_out_t *open_out(importer_t *im, const imp_series_t *x,
                           const char *type) {
  char path[PATH_MAX], ti[64];
  if (x->port >= 0)
    snprintf(ti, sizeof(ti), "%s-%d", its_proto_name(x->proto), x->port);
  else
    snprintf(ti, sizeof(ti), "%s-%s", its_proto_name(x->proto), x->name);
  snprintf(path, sizeof(path), "%s/%s/%s-%s/%s-%s.rrd", im->datadir, im->host,
           PLUGIN, im->instance, type, ti);
  rrd_out_t *o = rrd_out_new(path, &im->layout, im->daemon);
  if (o == NULL)
    say(3, "out of memory");
  return o;
}

static void write_value(importer_t *im, imp_series_t *x, time_t t,
                        const int64_t v[SERIES_NCOUNTERS]) {
  if (im->stop)
    return;
  if (im->dry_run) {
    char ti[64];
    if (x->port >= 0)
      snprintf(ti, sizeof(ti), "%s-%d", its_proto_name(x->proto), x->port);
    else
      snprintf(ti, sizeof(ti), "%s-%s", its_proto_name(x->proto), x->name);
    printf("%lld %s/%s-%s/if_octets-%s %" PRId64 " %" PRId64 "\n"
           "%lld %s/%s-%s/if_packets-%s %" PRId64 " %" PRId64 "\n",
           (long long)t, im->host, PLUGIN, im->instance, ti, v[SERIES_IN_BYTES],
           v[SERIES_OUT_BYTES], (long long)t, im->host, PLUGIN, im->instance,
           ti, v[SERIES_IN_PACKETS], v[SERIES_OUT_PACKETS]);
    im->values++;
    return;
  }
  if (x->octets == NULL && (x->octets = open_out(im, x, "if_octets")) == NULL)
    goto fail;
  if (x->packets == NULL &&
      (x->packets = open_out(im, x, "if_packets")) == NULL)
    goto fail;
  char err[1024];
  rrd_out_status_t st = rrd_out_add(x->octets, t, v[SERIES_IN_BYTES],
                                    v[SERIES_OUT_BYTES], err, sizeof(err));
  if (st == RRD_OUT_OK)
    st = rrd_out_add(x->packets, t, v[SERIES_IN_PACKETS], v[SERIES_OUT_PACKETS],
                     err, sizeof(err));
  if (st != RRD_OUT_OK) {
    say(3, "%s", err);
    if (st == RRD_OUT_NEWER)
      say(3, "move that file away (or import only logs newer than what it "
             "holds) and run the import again");
    goto fail;
  }
  im->values++;
  return;
fail:
  im->stop = 1;
}

/* The live log through a fresh table: the plugin's totals for the block
 * just written. */
static void on_view_total(void *ud, series_t *s,
                          const uint64_t total[SERIES_NCOUNTERS]) {
  importer_t *im = ud;
  time_t t = im->block_time;
  if (!selected(im, s))
    return;
  imp_series_t *x = find_series(im, s);
  if (x == NULL || x->written_time != t)
    return; /* held back: the value written before stands */
  x->have_view = 1;
  for (int k = 0; k < SERIES_NCOUNTERS; k++)
    x->view[k] = (int64_t)total[k];
}

/* The values written: the whole history's continuous totals. */
static void on_total_write(void *ud, series_t *s,
                           const uint64_t total[SERIES_NCOUNTERS]) {
  importer_t *im = ud;
  time_t t = im->block_time;
  if (!selected(im, s))
    return;
  imp_series_t *x = find_series(im, s);
  if (x == NULL) {
    say(3, "out of memory");
    im->stop = 1;
    return;
  }
  int64_t v[SERIES_NCOUNTERS];
  for (int k = 0; k < SERIES_NCOUNTERS; k++)
    v[k] = (int64_t)total[k];
  if (t <= x->written_time) {
    /* Not after the previous value (two blocks in one second, the clock
     * stepped back, or logs given out of order): held back like the
     * plugin does, its counts go out with the next newer block. */
    im->held_back++;
    return;
  }
  write_value(im, x, t, v);
  x->written_time = t;
  memcpy(x->written, v, sizeof(v));
}

static void on_block(void *ud, const log_block_t *b) {
  importer_t *im = ud;
  if (im->stop)
    return;
  im->block_time = b->generated;
  im->full.path = im->live.path = im->file;
  if (log_series_apply(&im->full, b, on_total_write, im) < 0)
    im->stop = 1;
  while (log_series_take_touched(&im->full))
    ; /* the values went out with the block */
  if (im->in_live) {
    if (log_series_apply(&im->live, b, on_view_total, im) < 0)
      im->stop = 1;
    while (log_series_take_touched(&im->live))
      ;
  }
  im->blocks++;
  if (b->generated > im->newest)
    im->newest = b->generated;
}

/* After the last value of each series: the re-base update (see
 * imp_series_t), where the plugin's total differs. */
static void rebase(importer_t *im) {
  for (imp_series_t *x = im->all; x && !im->stop; x = x->next) {
    if (!x->have_view || memcmp(x->view, x->written, sizeof(x->view)) == 0)
      continue;
    if (im->dry_run) {
      char ti[64];
      if (x->port >= 0)
        snprintf(ti, sizeof(ti), "%s-%d", its_proto_name(x->proto), x->port);
      else
        snprintf(ti, sizeof(ti), "%s-%s", its_proto_name(x->proto), x->name);
      printf("%lld.001 %s/%s-%s/if_octets-%s %" PRId64 " %" PRId64 "\n"
             "%lld.001 %s/%s-%s/if_packets-%s %" PRId64 " %" PRId64 "\n",
             (long long)x->written_time, im->host, PLUGIN, im->instance, ti,
             x->view[SERIES_IN_BYTES], x->view[SERIES_OUT_BYTES],
             (long long)x->written_time, im->host, PLUGIN, im->instance, ti,
             x->view[SERIES_IN_PACKETS], x->view[SERIES_OUT_PACKETS]);
      continue;
    }
    char err[1024];
    if ((x->octets && rrd_out_rebase(x->octets, x->view[SERIES_IN_BYTES],
                                     x->view[SERIES_OUT_BYTES], err,
                                     sizeof(err)) != RRD_OUT_OK) ||
        (x->packets && rrd_out_rebase(x->packets, x->view[SERIES_IN_PACKETS],
                                      x->view[SERIES_OUT_PACKETS], err,
                                      sizeof(err)) != RRD_OUT_OK)) {
      say(3, "%s", err);
      im->stop = 1;
    }
  }
}

static double seconds_since(const struct timeval *a) {
  struct timeval now;
  gettimeofday(&now, NULL);
  return (double)(now.tv_sec - a->tv_sec) +
         (double)(now.tv_usec - a->tv_usec) / 1e6;
}

static void on_progress(void *ud, uint64_t bytes) {
  importer_t *im = ud;
  if (!isatty(2) || seconds_since(&im->shown) < 0.25)
    return;
  gettimeofday(&im->shown, NULL);
  double el = seconds_since(&im->started);
  double pct = im->bytes_total ? 100.0 * (double)(im->bytes_before + bytes) /
                                     (double)im->bytes_total
                               : 0;
  fprintf(stderr, "\r\033[K%s: %5.1f%% of %.1f MB, %.0f blocks/s", PROG,
          pct > 100 ? 100 : pct, (double)im->bytes_total / 1e6,
          el > 0 ? (double)im->blocks / el : 0);
  progress_shown = 1;
}

/* The logs, oldest first. Returns 0, or -1 (said). */
static int run_logs(importer_t *im, char **logs, int nlogs) {
  if (log_series_init(&im->full, logs[0], im->services, im->ports != NULL,
                      on_message, NULL) != 0 ||
      log_series_init(&im->live, logs[nlogs - 1], im->services,
                      im->ports != NULL, NULL, NULL) != 0) {
    say(3, "out of memory");
    return -1;
  }
  block_assembler_t blocks;
  block_assembler_init(&blocks);
  im->bytes_before = 0;
  int rc = 0;
  for (int i = 0; i < nlogs && rc == 0 && !im->stop; i++) {
    im->file = logs[i];
    im->in_live = i == nlogs - 1;
    import_log_read_t r = {.path = logs[i],
                           .live = im->in_live,
                           .blocks = &blocks,
                           .on_block = on_block,
                           .block_ud = im,
                           .on_progress = on_progress,
                           .log = on_message};
    import_log_stats_t st;
    if (import_log_read(&r, &st) != 0)
      rc = -1;
    im->bytes_before += import_log_size(logs[i]);
  }
  block_assembler_destroy(&blocks);
  log_series_destroy(&im->full);
  log_series_destroy(&im->live);
  return rc;
}

/* --- defaults as collectd and the plugin derive them -------------------- */

/* collectd's Hostname when none is set: gethostname(), then (FQDNLookup
 * true, its default) the canonical name the resolver gives for it. */
static char *default_host(int fqdn) {
  char name[256];
  if (gethostname(name, sizeof(name)) != 0)
    return strdup("localhost");
  name[sizeof(name) - 1] = '\0';
  if (fqdn) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_flags = AI_CANONNAME};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(name, NULL, &hints, &ai) == 0) {
      for (struct addrinfo *p = ai; p; p = p->ai_next)
        if (p->ai_canonname) {
          snprintf(name, sizeof(name), "%s", p->ai_canonname);
          break;
        }
      freeaddrinfo(ai);
    }
  }
  return strdup(name);
}

/* The plugin's default Instance for a log path: the file name less ".log"
 * and "tcp_udp_services-". A rotated name (".1", ".2.gz") is first taken
 * back to the live one. */
static char *default_instance(const char *path) {
  char *copy = strdup(path);
  if (copy == NULL)
    return NULL;
  char *base = basename(copy);
  size_t len = strlen(base);
  if (len > 3 && strcmp(base + len - 3, ".gz") == 0)
    base[len -= 3] = '\0';
  size_t d = len;
  while (d > 0 && base[d - 1] >= '0' && base[d - 1] <= '9')
    d--;
  if (d < len && d > 0 && base[d - 1] == '.')
    base[len = d - 1] = '\0';
  if (len > 4 && strcmp(base + len - 4, ".log") == 0)
    base[len - 4] = '\0';
  const char *prefix = "tcp_udp_services-";
  if (strncmp(base, prefix, strlen(prefix)) == 0 && base[strlen(prefix)])
    base += strlen(prefix);
  char *inst = strdup(base[0] && strcmp(base, "/") != 0 ? base : "log");
  free(copy);
  return inst;
}

static char *absolute(const char *path) {
  if (path[0] == '/')
    return strdup(path);
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == NULL)
    return strdup(path);
  size_t n = strlen(cwd) + strlen(path) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", cwd, path);
  return p;
}

/* --- the plugin's state file --------------------------------------------- */

typedef struct {
  state_entry_t *e;
  size_t n;
  char **owned;
  size_t nowned;
} state_list_t;

static char *keep(state_list_t *l, const char *s) {
  char *c = strdup(s);
  char **o = realloc(l->owned, (l->nowned + 1) * sizeof(*o));
  if (c == NULL || o == NULL) {
    free(c);
    return NULL;
  }
  l->owned = o;
  o[l->nowned++] = c;
  return c;
}

static void on_state_entry(void *ud, const state_entry_t *e) {
  state_list_t *l = ud;
  state_entry_t *n = realloc(l->e, (l->n + 1) * sizeof(*n));
  if (n == NULL)
    return;
  l->e = n;
  n[l->n] = (state_entry_t){.instance = keep(l, e->instance),
                            .path = keep(l, e->path),
                            .time = e->time};
  if (n[l->n].instance && n[l->n].path)
    l->n++;
}

/* Adds or moves forward the entry of (instance, log path). */
static int write_state(const char *file, const char *instance,
                       const char *log_path, time_t t) {
  state_list_t l = {0};
  if (state_file_read(file, on_state_entry, on_message, &l) < 0) {
    say(3, "%s: the state file cannot be read; it was left as it is", file);
    return -1;
  }
  size_t i;
  for (i = 0; i < l.n; i++)
    if (strcmp(l.e[i].instance, instance) == 0 &&
        strcmp(l.e[i].path, log_path) == 0)
      break;
  int rc = 0;
  if (i == l.n) {
    state_entry_t *n = realloc(l.e, (l.n + 1) * sizeof(*n));
    if (n == NULL) {
      say(3, "out of memory");
      rc = -1;
      goto out;
    }
    l.e = n;
    l.e[l.n++] = (state_entry_t){.instance = instance, .path = log_path};
  }
  if (l.e[i].time < t)
    l.e[i].time = t;
  char err[512];
  if (state_file_write(file, l.e, l.n, err, sizeof(err)) != 0) {
    say(3, "cannot write the state file %s: %s", file, err);
    rc = -1;
  }
out:
  for (size_t k = 0; k < l.nowned; k++)
    free(l.owned[k]);
  free(l.owned);
  free(l.e);
  return rc;
}

/* --- command line -------------------------------------------------------- */

static void usage(FILE *f) {
  fprintf(
      f,
      "Usage: " PROG " [options] LOG [LOG ...]   (logs oldest first; .gz "
      "read directly)\n"
      "       " PROG " [options] --from-rrd OLD.rrd\n"
      "Writes iptraf service-monitor history into the RRD files that "
      "collectd's\nrrdtool plugin keeps for the iptraf_services plugin.\n"
      "  --datadir DIR          the rrdtool plugin's DataDir "
      "(default " DEFAULT_DATADIR ")\n"
      "  --host NAME            collectd's Hostname (default: this host's "
      "name, as collectd finds it)\n"
      "  --instance NAME        the plugin instance (default: from the last "
      "log's name)\n"
      "  --port SPEC            the plugin's Port syntax (repeatable; "
      "default: every port)\n"
      "  --step S --heartbeat S --rra-rows N --rra-timespan S "
      "(repeatable) --xff X\n"
      "                         the RRD layout (default: the shipped MRTG "
      "example)\n"
      "  --collectd-config FILE DataDir, Hostname, the rrdtool block and "
      "the plugin's\n"
      "                         StateFile and <Log> block from a collectd "
      "configuration\n"
      "  --daemon ADDR          write through rrdcached\n"
      "  --state-file FILE      the plugin's StateFile (default " DEFAULT_STATE
      ")\n"
      "  --no-state-file        leave no state entry\n"
      "  --log-path PATH        the live log as the plugin's <Log> block "
      "names it\n"
      "                         (default: the last LOG, made absolute)\n"
      "  --from-rrd OLD.rrd     convert the old recipe's tcp_services.rrd\n"
      "  --dry-run              print \"TIME IDENTIFIER RX TX\" for every "
      "value; write nothing\n"
      "  -h, --help             this text;  -V, --version  the version\n"
      "Stop collectd while importing. See " PROG "(1).\n");
}

enum {
  OPT_DATADIR = 256,
  OPT_HOST,
  OPT_INSTANCE,
  OPT_PORT,
  OPT_STEP,
  OPT_HEARTBEAT,
  OPT_ROWS,
  OPT_SPAN,
  OPT_XFF,
  OPT_CONFIG,
  OPT_DAEMON,
  OPT_STATE,
  OPT_NO_STATE,
  OPT_LOG_PATH,
  OPT_FROM_RRD,
  OPT_DRY_RUN,
};

static int parse_long(const char *opt, const char *s, long min, long max,
                      long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < min || v > max) {
    fprintf(stderr, PROG ": %s %s: a whole number from %ld to %ld expected\n",
            opt, s, min, max);
    return -1;
  }
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"datadir", required_argument, NULL, OPT_DATADIR},
      {"host", required_argument, NULL, OPT_HOST},
      {"instance", required_argument, NULL, OPT_INSTANCE},
      {"port", required_argument, NULL, OPT_PORT},
      {"step", required_argument, NULL, OPT_STEP},
      {"heartbeat", required_argument, NULL, OPT_HEARTBEAT},
      {"rra-rows", required_argument, NULL, OPT_ROWS},
      {"rra-timespan", required_argument, NULL, OPT_SPAN},
      {"xff", required_argument, NULL, OPT_XFF},
      {"collectd-config", required_argument, NULL, OPT_CONFIG},
      {"daemon", required_argument, NULL, OPT_DAEMON},
      {"state-file", required_argument, NULL, OPT_STATE},
      {"no-state-file", no_argument, NULL, OPT_NO_STATE},
      {"log-path", required_argument, NULL, OPT_LOG_PATH},
      {"from-rrd", required_argument, NULL, OPT_FROM_RRD},
      {"dry-run", no_argument, NULL, OPT_DRY_RUN},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0}};
  const char *datadir = NULL, *host = NULL, *instance = NULL, *daemon = NULL;
  const char *state = NULL, *log_path = NULL, *from_rrd = NULL, *config = NULL;
  int no_state = 0, dry_run = 0;
  /* Layout options given on the command line win over the configuration. */
  long step = -1, heartbeat = -1, rows = -1;
  double xff = -1;
  int spans[RRD_LAYOUT_MAX_SPANS], nspans = 0;
  static port_set_t ports;
  int have_ports = 0;
  services_t *svc = services_new();
  services_load_system(svc);

  int opt;
  while ((opt = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
    long v;
    char err[256];
    switch (opt) {
    case OPT_DATADIR:
      datadir = optarg;
      break;
    case OPT_HOST:
      host = optarg;
      break;
    case OPT_INSTANCE:
      if (!*optarg || strchr(optarg, '/')) {
        fprintf(stderr,
                PROG ": --instance %s: must be non-empty and contain "
                     "no '/'\n",
                optarg);
        return 2;
      }
      instance = optarg;
      break;
    case OPT_PORT:
      if (portspec_add(&ports, optarg, svc, err, sizeof(err)) != 0) {
        fprintf(stderr, PROG ": --port %s\n", err);
        return 2;
      }
      have_ports = 1;
      break;
    case OPT_STEP:
      if (parse_long("--step", optarg, 1, 86400 * 366, &step) != 0)
        return 2;
      break;
    case OPT_HEARTBEAT:
      if (parse_long("--heartbeat", optarg, 1, INT_MAX, &heartbeat) != 0)
        return 2;
      break;
    case OPT_ROWS:
      if (parse_long("--rra-rows", optarg, 1, INT_MAX, &rows) != 0)
        return 2;
      break;
    case OPT_SPAN:
      if (parse_long("--rra-timespan", optarg, 1, INT_MAX, &v) != 0)
        return 2;
      if (nspans == RRD_LAYOUT_MAX_SPANS) {
        fprintf(stderr, PROG ": --rra-timespan: at most %d\n",
                RRD_LAYOUT_MAX_SPANS);
        return 2;
      }
      spans[nspans++] = (int)v;
      break;
    case OPT_XFF: {
      char *end;
      xff = strtod(optarg, &end);
      if (end == optarg || *end || !(xff >= 0 && xff < 1)) {
        fprintf(stderr,
                PROG ": --xff %s: a number from 0 to 1 (exclusive) "
                     "expected\n",
                optarg);
        return 2;
      }
      break;
    }
    case OPT_CONFIG:
      config = optarg;
      break;
    case OPT_DAEMON:
      daemon = optarg;
      break;
    case OPT_STATE:
      state = optarg;
      break;
    case OPT_NO_STATE:
      no_state = 1;
      break;
    case OPT_LOG_PATH:
      log_path = optarg;
      break;
    case OPT_FROM_RRD:
      from_rrd = optarg;
      break;
    case OPT_DRY_RUN:
      dry_run = 1;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case 'V':
      printf(PROG " %s\n", PACKAGE_VERSION);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  int nlogs = argc - optind;
  char **logs = argv + optind;
  if ((from_rrd != NULL) == (nlogs > 0)) {
    fprintf(stderr, PROG ": give the logs to import, or --from-rrd OLD.rrd "
                         "(one of the two)\n");
    usage(stderr);
    return 2;
  }

  importer_t im = {.daemon = daemon, .dry_run = dry_run};
  rrd_layout_mrtg(&im.layout);
  collectd_conf_t cc;
  collectd_conf_init(&cc);
  char *live_abs =
      nlogs > 0 ? absolute(log_path ? log_path : logs[nlogs - 1]) : NULL;
  if (config) {
    char err[1024];
    if (collectd_conf_read(&cc, config, live_abs, err, sizeof(err)) != 0) {
      fprintf(stderr, PROG ": %s\n", err);
      return 2;
    }
    if (cc.has_rrdtool_layout)
      im.layout = cc.layout;
  }
  if (step > 0)
    im.layout.step = (unsigned long)step;
  if (heartbeat > 0)
    im.layout.heartbeat = (int)heartbeat;
  if (rows > 0)
    im.layout.rra_rows = (int)rows;
  if (xff >= 0)
    im.layout.xff = xff;
  if (nspans > 0) {
    im.layout.nspans = 0;
    for (int i = 0; i < nspans; i++)
      rrd_layout_add_span(&im.layout, spans[i]);
  }
  if (im.layout.step == 0) {
    fprintf(stderr, PROG ": the RRD step is unknown (the configuration sets "
                         "no StepSize): give --step\n");
    return 2;
  }
  const char *bad = rrd_layout_check(&im.layout);
  if (bad) {
    fprintf(stderr, PROG ": the RRD layout: %s\n", bad);
    return 2;
  }
  im.datadir = datadir ? datadir : cc.datadir ? cc.datadir : DEFAULT_DATADIR;
  char *host_owned = NULL;
  if (host == NULL && cc.hostname)
    host = cc.hostname;
  if (host == NULL)
    host = host_owned = default_host(cc.fqdn_lookup);
  im.host = host;
  if (daemon == NULL && cc.rrdcached_daemon && config)
    daemon = im.daemon = cc.rrdcached_daemon;
  if (daemon && rrdc_connect(daemon) != 0) {
    say(3, "cannot connect to rrdcached at %s: %s", daemon, rrd_get_error());
    return 1;
  }
  if (!have_ports && cc.log_has_ports) {
    ports = cc.log_ports;
    have_ports = 1;
  }
  im.ports = have_ports ? &ports : NULL;

  int rc = 0;
  if (from_rrd) {
    char *inst = (char *)(instance          ? instance
                          : cc.log_instance ? cc.log_instance
                                            : "tcp_services");
    im.instance = inst;
    rc = import_oldrrd(from_rrd, im.datadir, im.host, PLUGIN, inst, &im.layout,
                       daemon, on_message, NULL) == 0
             ? 0
             : 1;
    free(host_owned);
    services_free(svc);
    collectd_conf_free(&cc);
    return rc;
  }

  char *inst_owned = NULL;
  if (instance == NULL && cc.log_instance)
    instance = cc.log_instance;
  if (instance == NULL)
    instance = inst_owned = default_instance(live_abs);
  im.instance = instance;
  im.by_port = calloc(2 * 65536, sizeof(*im.by_port));
  im.services = svc;
  if (im.by_port == NULL) {
    say(3, "out of memory");
    return 1;
  }
  for (int i = 0; i < nlogs; i++) {
    struct stat sb;
    FILE *f = fopen(logs[i], "rb");
    if (f == NULL) {
      say(3, "%s: cannot open: %s", logs[i], strerror(errno));
      rc = 1;
    } else {
      if (fstat(fileno(f), &sb) == 0 && !S_ISREG(sb.st_mode)) {
        say(3, "%s: cannot open: not a regular file", logs[i]);
        rc = 1;
      }
      fclose(f);
    }
    im.bytes_total += import_log_size(logs[i]);
  }
  if (rc != 0) {
    say(3, "nothing was imported");
    return 1;
  }
  gettimeofday(&im.started, NULL);
  if (run_logs(&im, logs, nlogs) != 0)
    rc = 1;
  if (rc == 0)
    rebase(&im);
  if (im.stop || errors)
    rc = 1;

  /* Put the files in place, or none of the new ones. */
  size_t files = 0;
  for (imp_series_t *x = im.all; x; x = x->next) {
    rrd_out_t *outs[2] = {x->octets, x->packets};
    for (int k = 0; k < 2; k++) {
      if (outs[k] == NULL)
        continue;
      char err[1024];
      if (rc == 0 && rrd_out_commit(outs[k], err, sizeof(err)) != RRD_OUT_OK) {
        say(3, "%s", err);
        rc = 1;
      }
      if (rc != 0)
        rrd_out_abort(outs[k]);
      else
        files++;
    }
  }
  clear_progress();
  if (dry_run) {
    /* nothing written */
  } else if (rc != 0) {
    say(3, "the import failed; %s",
        daemon ? "files that rrdcached created or updated stay as they are"
               : "no RRD file was changed (files already renamed into place "
                 "are named above)");
  } else {
    char when[64] = "-";
    struct tm tm;
    if (im.newest && localtime_r(&im.newest, &tm))
      strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
    printf("%s: %llu blocks, %llu values into %zu files in %s/%s/%s-%s; "
           "newest block %s (%.1f s)\n",
           PROG, (unsigned long long)im.blocks, (unsigned long long)im.values,
           files, im.datadir, im.host, PLUGIN, im.instance, when,
           seconds_since(&im.started));
    if (im.held_back)
      printf("%s: %llu values were held back because their block's time is "
             "not after the previous one's; their counts go out with the "
             "next block\n",
             PROG, (unsigned long long)im.held_back);
    const char *sf = state           ? state
                     : cc.state_file ? cc.state_file
                                     : DEFAULT_STATE;
    if (!no_state && !cc.state_file_off && im.newest > 0) {
      if (write_state(sf, instance, live_abs, im.newest) != 0)
        rc = 1;
      else
        printf("%s: state file %s: the plugin's <Log \"%s\"> (instance %s) "
               "goes on after the newest imported block\n",
               PROG, sf, live_abs, instance);
    }
  }
  for (imp_series_t *x = im.all; x;) {
    imp_series_t *n = x->next;
    rrd_out_free(x->octets);
    rrd_out_free(x->packets);
    free(x);
    x = n;
  }
  free(im.by_port);
  free(inst_owned);
  free(host_owned);
  free(live_abs);
  services_free(svc);
  collectd_conf_free(&cc);
  if (daemon)
    rrdc_disconnect();
  return rc;
}
