/* Unit tests of the whole log pipeline (tail -> parser -> blocks -> series)
 * on the genuine samples in tests/data, and on files the test writes,
 * rotates and truncates. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_source.h"
#include "unit.h"

typedef struct {
  its_proto_t proto;
  int port;
  char name[40];
  time_t time, interval;
  uint64_t ip, ib, op, ob;
} got_t;

static got_t got[16384];
static size_t ngot;
static char messages[65536];

static void on_emit(void *ud, const its_value_t *v) {
  (void)ud;
  if (ngot >= sizeof(got) / sizeof(got[0]))
    return;
  got_t *g = &got[ngot++];
  g->proto = v->proto;
  g->port = v->port;
  snprintf(g->name, sizeof(g->name), "%s", v->name ? v->name : "");
  g->time = v->time;
  g->interval = v->interval;
  g->ip = v->in_packets;
  g->ib = v->in_bytes;
  g->op = v->out_packets;
  g->ob = v->out_bytes;
}

static void on_log(void *ud, its_severity_t sev, const char *msg) {
  (void)ud;
  size_t len = strlen(messages);
  snprintf(messages + len, sizeof(messages) - len, "%d %s\n", sev, msg);
}

static void reset(void) {
  ngot = 0;
  messages[0] = '\0';
}

/* The last emitted value of a series, or NULL. */
static const got_t *find(its_proto_t proto, int port) {
  for (size_t i = ngot; i-- > 0;)
    if (got[i].proto == proto && got[i].port == port)
      return &got[i];
  return NULL;
}

static size_t count_at(time_t t) {
  size_t n = 0;
  for (size_t i = 0; i < ngot; i++)
    n += got[i].time == t;
  return n;
}

static const char *SERVICES_TEXT = "http 80/tcp www\n"
                                   "echo 7/tcp\n"
                                   "echo 7/udp\n"
                                   "http-alt 8080/tcp\n"
                                   "netbios-ssn 139/tcp\n";
static services_t *svc;
static char tmpdir[256];

static time_t dispatched_until; /* for the sources open_source makes */

static log_source_t *open_source(const char *path, int replay,
                                 const port_set_t *ports) {
  log_source_config_t cfg = {.path = path,
                             .dispatched_until = dispatched_until,
                             .ports = ports,
                             .services = svc,
                             .replay_history = replay,
                             .incomplete_block_timeout = 10,
                             .default_interval = 10,
                             .max_line = 4096,
                             .emit = on_emit,
                             .log = on_log};
  return log_source_new(&cfg);
}

/* Reads until nothing more is emitted (a block with new series pauses the
 * reading until the next call). Returns the blocks emitted in all. */
static int read_all(log_source_t *s, time_t now) {
  int total = 0, n;
  while ((n = log_source_read(s, now)) > 0)
    total += n;
  return total;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  *len = fread(b, 1, (size_t)n, f);
  b[*len] = '\0';
  fclose(f);
  return b;
}

static void write_file(const char *path, const char *data, size_t len,
                       const char *mode) {
  FILE *f = fopen(path, mode);
  fwrite(data, 1, len, f);
  fclose(f);
}

static void append_str(const char *path, const char *s) {
  write_file(path, s, strlen(s), "ab");
}

static void tmp_path(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Appends a whole sample file's content to `path`. */
static void append_sample(const char *path, const char *sample) {
  char src[512];
  size_t len = 0;
  snprintf(src, sizeof(src), "%s/%s", TEST_DATA_DIR, sample);
  char *b = slurp(src, &len);
  if (b == NULL) {
    CHECK(!"sample missing");
    return;
  }
  write_file(path, b, len, "ab");
  free(b);
}

#define UTC_20261129(h, m, s) ((time_t)1795910400 + (h)*3600 + (m)*60 + (s))

static void test_runA_first_file(void) {
  reset();
  char path[512];
  snprintf(path, sizeof(path), "%s/runA-before-rotation.log", TEST_DATA_DIR);
  log_source_t *s = open_source(path, 0, NULL);
  CHECK(log_source_read(s, time(NULL)) == 2);
  CHECK_U64(ngot, 2);
  const got_t *g = find(ITS_PROTO_TCP, 80);
  CHECK(g != NULL);
  if (g) {
    CHECK_U64(g->time, UTC_20261129(16, 47, 45));
    CHECK_U64(g->interval, 16); /* started 16:47:29, block 16:47:45 */
    CHECK_U64(g->ip, 52);
    CHECK_U64(g->ib, 3262);
    CHECK_U64(g->op, 46);
    CHECK_U64(g->ob, 603664);
  }
  g = find(ITS_PROTO_UDP, 7);
  CHECK(g && g->ip == 20 && g->ib == 2560 && g->op == 20 && g->ob == 2560);
  /* Nothing new: nothing dispatched. */
  CHECK(log_source_read(s, time(NULL)) == 0);
  CHECK_U64(ngot, 2);
  log_source_free(s);
}

/* Run A after rotation, its stop, then run B (a restart with service names). */
static void test_runA_then_runB_replay(void) {
  reset();
  char path[512];
  snprintf(path, sizeof(path), "%s/runA-after-rotation-then-runB.log",
           TEST_DATA_DIR);
  log_source_t *s = open_source(path, 1, NULL);
  CHECK(read_all(s, time(NULL)) == 27);
  /* Block 1: 5 ports, block 2: 5, final block of A: 5, B: 6 and 6. */
  CHECK_U64(count_at(UTC_20261129(16, 48, 1)), 5);
  CHECK_U64(count_at(UTC_20261129(16, 48, 17)), 5);
  CHECK_U64(count_at(UTC_20261129(16, 48, 29)), 5);
  CHECK_U64(count_at(UTC_20261129(16, 48, 50)), 6);
  CHECK_U64(count_at(UTC_20261129(16, 49, 6)), 6);
  CHECK_U64(ngot, 27);

  /* Run B's counts continue on top of run A's last values. */
  const got_t *g = find(ITS_PROTO_TCP, 80);
  CHECK(g && g->time == UTC_20261129(16, 49, 6));
  CHECK(g && g->ip == 72 + 20 && g->ib == 4488 + 1226);
  CHECK(g && g->op == 62 + 16 && g->ob == 804920 + 201256);
  g = find(ITS_PROTO_UDP, 7);
  CHECK(g && g->ip == 30 + 14 && g->ib == 5040 + 1792 && g->op == 44 &&
        g->ob == 6832);
  g = find(ITS_PROTO_TCP, 8080);
  CHECK(g && g->ip == 28 + 16 && g->ib == 1844 + 1026 && g->op == 28 + 12 &&
        g->ob == 202300 + 101046);
  g = find(ITS_PROTO_TCP, 7);
  CHECK(g && g->ip == 24 && g->ib == 2640 + 1640 && g->op == 16 &&
        g->ob == 2432 + 1432);
  g = find(ITS_PROTO_TCP, 139);
  CHECK(g && g->ip == 2 && g->ib == 120 && g->op == 2 && g->ob == 80);
  g = find(ITS_PROTO_UDP, 1023);
  CHECK(g && g->ip == 4 && g->ib == 152 && g->op == 0 && g->ob == 0);
  g = find(ITS_PROTO_UDP, 500); /* run A only: last seen in A's final block */
  CHECK(g && g->time == UTC_20261129(16, 48, 29) && g->ip == 6 && g->ib == 468);
  /* The interval is learned from the gaps (16 s), not the stop block. */
  CHECK(g && g->interval == 16);

  /* Every series is non-decreasing in time. */
  for (size_t i = 0; i < ngot; i++)
    for (size_t j = i + 1; j < ngot; j++)
      if (got[i].proto == got[j].proto && got[i].port == got[j].port)
        CHECK(got[j].ib >= got[i].ib && got[j].ob >= got[i].ob &&
              got[j].ip >= got[i].ip && got[j].op >= got[i].op);
  CHECK(strstr(messages, "restart") == NULL); /* B had a "started" line */
  log_source_free(s);
}

static void test_catch_up_emits_last_block_only(void) {
  reset();
  char path[512];
  snprintf(path, sizeof(path), "%s/runA-after-rotation-then-runB.log",
           TEST_DATA_DIR);
  log_source_t *s = open_source(path, 0, NULL);
  CHECK(log_source_read(s, time(NULL)) == 6);
  CHECK_U64(ngot, 6);
  CHECK_U64(count_at(UTC_20261129(16, 49, 6)), 6);
  const got_t *g = find(ITS_PROTO_TCP, 80);
  CHECK(g && g->ib == 4488 + 1226); /* the earlier run still counts */
  log_source_free(s);
}

static void test_port_filter(void) {
  reset();
  char path[512], err[128];
  snprintf(path, sizeof(path), "%s/runA-after-rotation-then-runB.log",
           TEST_DATA_DIR);
  port_set_t ports;
  port_set_clear(&ports);
  portspec_add(&ports, "tcp/80", svc, err, sizeof(err));
  portspec_add(&ports, "udp/7", svc, err, sizeof(err));
  log_source_t *s = open_source(path, 0, &ports);
  log_source_read(s, time(NULL));
  CHECK_U64(ngot, 2);
  CHECK(find(ITS_PROTO_TCP, 80) != NULL);
  CHECK(find(ITS_PROTO_UDP, 7) != NULL);
  CHECK(find(ITS_PROTO_TCP, 7) == NULL);
  log_source_free(s);
}

static void test_legacy_samples(void) {
  reset();
  char path[512];
  snprintf(path, sizeof(path), "%s/iptraf-2.5.0-seed.log", TEST_DATA_DIR);
  setenv("TZ", "UTC", 1);
  tzset();
  log_source_t *s = open_source(path, 1, NULL);
  CHECK(log_source_read(s, time(NULL)) == 3);
  CHECK_U64(ngot, 3);
  const got_t *g = find(ITS_PROTO_TCP, 22);
  CHECK(g && g->ip == 3027 && g->ib == 4198328 && g->op == 1618 &&
        g->ob == 103828);
  CHECK(g && g->time == 1012092022); /* Sun Jan 27 00:40:22 2002 UTC */
  CHECK(g && g->interval == 300);
  g = find(ITS_PROTO_TCP, 119);
  CHECK(g && g->ip == 4124 && g->ib == 223511 && g->op == 7183 &&
        g->ob == 9956998);
  g = find(ITS_PROTO_TCP, 80);
  CHECK(g && g->ip == 85 && g->ib == 5556 && g->op == 122 && g->ob == 62628);
  log_source_free(s);

  reset();
  snprintf(path, sizeof(path), "%s/iptraf-3.0.0-reconstructed.log",
           TEST_DATA_DIR);
  s = open_source(path, 1, NULL);
  CHECK(read_all(s, time(NULL)) == 8);
  CHECK_U64(ngot, 8);
  g = find(ITS_PROTO_TCP, 22);
  CHECK(g && g->ip == 6054 && g->ib == 8396656 && g->op == 3236 &&
        g->ob == 207656 && g->time == 1012092322);
  g = find(ITS_PROTO_UDP, 22); /* TCP and UDP on one port stay apart */
  CHECK(g && g->ip == 5 && g->ib == 500 && g->op == 5 && g->ob == 500);
  g = find(ITS_PROTO_UDP, 53);
  CHECK(g && g->ip == 2 && g->ib == 120 && g->op == 2 && g->ob == 160);
  CHECK(strstr(messages, " 4 ") == NULL); /* no warnings */
  log_source_free(s);
}

static void test_crash_mid_block(void) {
  reset();
  char path[512];
  snprintf(path, sizeof(path), "%s/crash-mid-block.log", TEST_DATA_DIR);
  log_source_t *s = open_source(path, 0, NULL);
  /* The file is old: the unfinished block is taken as cut off at once. */
  CHECK(log_source_read(s, time(NULL) + 3600) == 458);
  CHECK_U64(ngot, 458); /* UDP/1..458; UDP/459 has no newline */
  const got_t *g = find(ITS_PROTO_UDP, 458);
  CHECK(g && g->ip == 2 && g->ib == 76 && g->op == 0 && g->ob == 0);
  CHECK(find(ITS_PROTO_UDP, 459) == NULL);
  CHECK(strstr(messages, "unfinished") != NULL);
  CHECK(strstr(messages, "line 3:") != NULL); /* header line named */
  log_source_free(s);

  reset();
  snprintf(path, sizeof(path), "%s/crash-on-stop.log", TEST_DATA_DIR);
  s = open_source(path, 0, NULL);
  CHECK(log_source_read(s, time(NULL)) == 0);
  CHECK_U64(ngot, 0);
  log_source_free(s);
}

/* A crash, then a restart appended after the cut-off line. */
static void test_crash_then_restart_appended(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "crash-restart.log");
  unlink(path);
  append_sample(path, "crash-mid-block.log");
  log_source_t *s = open_source(path, 1, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 0); /* the block may still be growing */
  append_str(path,
             "Sun Nov 29 16:52:00 2026; ******** TCP/UDP service monitor "
             "started ********\n\n*** TCP/UDP traffic log, generated Sun Nov "
             "29 16:52:16 2026\n\nUDP/1: 1 packets, 10 bytes total, 0.00 "
             "kbps; 1 packets, 10 bytes incoming, 0.00 kbps; 0 packets, 0 "
             "bytes outgoing, 0.00 kbps\n\n\nRunning time: 16 seconds\n");
  CHECK(read_all(s, now) == 458 + 1);
  CHECK_U64(ngot, 458 + 1);
  const got_t *g = find(ITS_PROTO_UDP, 1);
  CHECK(g && g->time == UTC_20261129(16, 52, 16));
  CHECK(g && g->ip == 2 + 1 && g->ib == 76 + 10);
  CHECK(strstr(messages, "cut off by an iptraf crash") != NULL);
  log_source_free(s);
  unlink(path);
}

static const char *block(int minute, unsigned long long in_bytes) {
  static char b[1024];
  snprintf(b, sizeof(b),
           "\n*** TCP/UDP traffic log, generated Sun Nov 29 17:%02d:00 "
           "2026\n\nTCP/22: %llu packets, %llu bytes total,      0.00 kbps; "
           "%llu packets, %llu bytes incoming,      0.00 kbps; 0 packets, 0 "
           "bytes outgoing,      0.00 kbps\n\n\nRunning time: 60 seconds\n",
           minute, in_bytes / 100, in_bytes, in_bytes / 100, in_bytes);
  return b;
}

static const char *START = "Sun Nov 29 16:59:00 2026; ******** TCP/UDP "
                           "service monitor started ********\n";

/* Lines arrive in pieces; only complete lines are read. */
static void test_partial_lines(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "partial.log");
  unlink(path);
  append_str(path, START);
  log_source_t *s = open_source(path, 0, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 0);
  const char *b = block(0, 1000);
  size_t len = strlen(b);
  for (size_t i = 0; i < len; i += 7) {
    char piece[8];
    size_t n = len - i < 7 ? len - i : 7;
    memcpy(piece, b + i, n);
    piece[n] = '\0';
    append_str(path, piece);
    log_source_read(s, now);
  }
  CHECK_U64(ngot, 1);
  CHECK(ngot == 1 && got[0].ib == 1000 && got[0].port == 22);
  CHECK(strstr(messages, " 4 ") == NULL);
  log_source_free(s);
  unlink(path);
}

static void test_rotation_rename_with_usr1(void) {
  reset();
  char path[512], old[512];
  tmp_path(path, sizeof(path), "rot.log");
  tmp_path(old, sizeof(old), "rot.log.1");
  unlink(path);
  unlink(old);
  append_str(path, START);
  append_str(path, block(0, 1000));
  log_source_t *s = open_source(path, 0, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 1);
  rename(path, old);
  append_str(old, block(1, 2000));
  /* The new file is empty: keep reading the renamed one. */
  write_file(path, "", 0, "wb");
  CHECK(log_source_read(s, now) == 1);
  CHECK(find(ITS_PROTO_TCP, 22)->ib == 2000);
  /* SIGUSR1: the old file gets its last line, the new one the rest. */
  append_str(old, "Sun Nov 29 17:01:30 2026; ***** USR1 signal received, "
                  "preparing to reopen log file *****\n");
  append_str(path, "Sun Nov 29 17:02:00 2026; ***** Logfile reopened *****\n");
  append_str(path, block(2, 3000));
  CHECK(log_source_read(s, now) == 1);
  CHECK(find(ITS_PROTO_TCP, 22)->ib == 3000);
  append_str(path, block(3, 4000));
  CHECK(log_source_read(s, now) == 1);
  CHECK(find(ITS_PROTO_TCP, 22)->ib == 4000);
  CHECK_U64(ngot, 4);
  CHECK(strstr(messages, "rotated") != NULL);
  log_source_free(s);
  unlink(path);
  unlink(old);
}

/* Debian's logrotate: rename, no SIGUSR1, iptraf writes the renamed file. */
static void test_rotation_rename_without_signal(void) {
  reset();
  char path[512], old[512];
  tmp_path(path, sizeof(path), "rot2.log");
  tmp_path(old, sizeof(old), "rot2.log.1");
  unlink(path);
  unlink(old);
  append_str(path, START);
  append_str(path, block(0, 1000));
  log_source_t *s = open_source(path, 0, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 1);
  rename(path, old);
  CHECK(log_source_read(s, now) == 0);
  append_str(old, block(1, 2000));
  CHECK(log_source_read(s, now) == 1);
  append_str(old, block(2, 3000));
  CHECK(log_source_read(s, now) == 1);
  CHECK(find(ITS_PROTO_TCP, 22)->ib == 3000);
  /* Later iptraf is restarted and writes a fresh file under the name. */
  unlink(old);
  append_str(path, START);
  append_str(path, block(5, 500));
  CHECK(log_source_read(s, now) == 1);
  CHECK(find(ITS_PROTO_TCP, 22)->ib == 3000 + 500);
  log_source_free(s);
  unlink(path);
}

static void test_copytruncate(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "ct.log");
  unlink(path);
  append_str(path, START);
  append_str(path, block(0, 1000));
  append_str(path, block(1, 2000));
  log_source_t *s = open_source(path, 0, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 1);
  truncate(path, 0);
  append_str(path, block(2, 3000)); /* shorter than before: truncation seen */
  CHECK(log_source_read(s, now) == 1);
  CHECK(find(ITS_PROTO_TCP, 22)->ib == 3000);
  CHECK(strstr(messages, "truncated") != NULL);
  log_source_free(s);
  unlink(path);
}

static void test_missing_then_created(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "late.log");
  unlink(path);
  log_source_t *s = open_source(path, 0, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 0);
  CHECK(log_source_read(s, now) == 0);
  /* One warning, not one per read. */
  char *first = strstr(messages, "does not exist");
  CHECK(first != NULL && strstr(first + 1, "does not exist") == NULL);
  append_str(path, START);
  append_str(path, block(0, 1000));
  append_str(path, block(1, 2000));
  /* A file that appears later is read whole; each series is emitted once,
   * with its newest block's values. */
  CHECK(log_source_read(s, now) == 1);
  CHECK(log_source_read(s, now) == 0);
  CHECK_U64(ngot, 1);
  CHECK(ngot == 1 && got[0].ib == 2000 &&
        got[0].time == UTC_20261129(17, 1, 0));
  log_source_free(s);
  unlink(path);
}

static void test_permission_denied(void) {
  if (geteuid() == 0) {
    /* root reads anything: drop to nobody for this check if we can. */
  }
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "denied.log");
  unlink(path);
  append_str(path, START);
  append_str(path, block(0, 1000));
  chmod(path, 0);
  log_source_t *s = open_source(path, 0, NULL);
  time_t now = time(NULL);
  int n = log_source_read(s, now);
  if (geteuid() == 0) {
    CHECK(n == 1); /* root ignores the mode */
  } else {
    CHECK(n == 0);
    CHECK(strstr(messages, "permission denied") != NULL);
    chmod(path, 0644);
    CHECK(log_source_read(s, now) == 1);
  }
  log_source_free(s);
  unlink(path);
}

static void test_garbage_is_skipped_and_counts_survive(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "garbage.log");
  unlink(path);
  append_str(path, START);
  append_str(path, block(0, 1000));
  log_source_t *s = open_source(path, 0, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 1);
  /* NULs, a number over 64 bits, an absurdly long line, garbage. */
  write_file(path, "TCP/\0\0\0 garbage\n", 16, "ab");
  append_str(path, "TCP/80: 1 packets, 99999999999999999999999 bytes total; "
                   "1 packets, 1 bytes incoming; 0 packets, 0 bytes "
                   "outgoing\n");
  char *longline = malloc(100000);
  memset(longline, 'x', 99998);
  longline[99998] = '\n';
  longline[99999] = '\0';
  append_str(path, longline);
  free(longline);
  for (int i = 0; i < 30; i++)
    append_str(path, "this is not an iptraf line\n");
  append_str(path, block(1, 2000));
  CHECK(log_source_read(s, now) == 1);
  CHECK(find(ITS_PROTO_TCP, 22)->ib == 2000);
  CHECK(strstr(messages, "line 9: NUL") != NULL);
  CHECK(strstr(messages, "line 10: number does not fit in 64 bits") != NULL);
  CHECK(strstr(messages, "line 11: line longer than") != NULL);
  /* Rate limited: 10 messages, the rest counted silently. */
  size_t warnings = 0;
  for (char *p = messages; (p = strstr(p, "4 ")) != NULL; p++)
    if (p == messages || p[-1] == '\n')
      warnings++;
  CHECK(warnings <= 10);
  log_source_stats_t st;
  log_source_get_stats(s, &st);
  CHECK_U64(st.bad_lines, 33);
  log_source_free(s);
  unlink(path);
}

/* Restart without a "started" line reaching us: counters go down. */
static void test_implicit_restart(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "implicit.log");
  unlink(path);
  append_str(path, START);
  append_str(path, block(0, 5000));
  append_str(path, block(1, 300));
  log_source_t *s = open_source(path, 1, NULL);
  CHECK(read_all(s, time(NULL)) == 2);
  CHECK(find(ITS_PROTO_TCP, 22)->ib == 5300);
  CHECK(strstr(messages, "restart") != NULL);
  log_source_free(s);
  unlink(path);
}

/* Replay: one block per read, in order; then live reading. */
static void test_replay_one_block_per_read(void) {
  reset();
  char path[512];
  snprintf(path, sizeof(path), "%s/runA-after-rotation-then-runB.log",
           TEST_DATA_DIR);
  log_source_t *s = open_source(path, 1, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 5); /* 16:48:01 */
  CHECK(log_source_read(s, now) == 5); /* 16:48:17 */
  CHECK(log_source_read(s, now) == 5); /* 16:48:29 */
  CHECK(log_source_read(s, now) == 6); /* 16:48:50 */
  CHECK(log_source_read(s, now) == 6); /* 16:49:06 */
  CHECK(log_source_read(s, now) == 0);
  CHECK_U64(ngot, 27);
  log_source_free(s);
}

/* Several blocks between two reads: each series once, newest values; a
 * series the newest block lacks goes out with its own newest block's time. */
static void test_backlog_emits_each_series_once(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "backlog.log");
  unlink(path);
  append_str(path, START);
  append_str(path, block(0, 1000));
  log_source_t *s = open_source(path, 0, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 1);
  append_str(path, block(1, 2000));
  append_str(path,
             "\n*** TCP/UDP traffic log, generated Sun Nov 29 17:01:30 2026\n\n"
             "UDP/53: 1 packets, 80 bytes total; 1 packets, 80 bytes "
             "incoming; 0 packets, 0 bytes outgoing\n\n"
             "TCP/22: 30 packets, 3000 bytes total; 30 packets, 3000 bytes "
             "incoming; 0 packets, 0 bytes outgoing\n\nRunning time: 90 "
             "seconds\n");
  append_str(path, START); /* restart: udp/53 is not in the next run */
  append_str(path, block(5, 500));
  CHECK(log_source_read(s, now) == 2);
  CHECK_U64(ngot, 3);
  const got_t *t = find(ITS_PROTO_TCP, 22), *u = find(ITS_PROTO_UDP, 53);
  CHECK(t && t->ib == 3500 && t->time == UTC_20261129(17, 5, 0));
  CHECK(u && u->ib == 80 && u->time == UTC_20261129(17, 1, 30));
  log_source_free(s);
  unlink(path);
}

/* The clock steps back an hour: values are held back until a block is newer
 * than the last value; no count is lost. */
static void test_clock_steps_back(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "clock.log");
  unlink(path);
  append_str(path, START);
  append_str(path, block(10, 1000));
  log_source_t *s = open_source(path, 0, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 1);
  append_str(path, block(2, 2000)); /* 17:02 < 17:10 */
  CHECK(log_source_read(s, now) == 0);
  append_str(path, block(11, 3000));
  CHECK(log_source_read(s, now) == 1);
  CHECK(find(ITS_PROTO_TCP, 22)->ib == 3000);
  CHECK(strstr(messages, "held back") != NULL);
  log_source_free(s);
  unlink(path);
}

/* Absurd counters: totals saturate at 2^63-1 (collectd's DERIVE), never
 * wrap and go backwards (found by fuzz_log). */
static void test_counters_saturate(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "huge.log");
  unlink(path);
  append_str(path, START);
  append_str(path,
             "\n*** TCP/UDP traffic log, generated Sun Nov 29 17:00:00 2026\n\n"
             "TCP/80: 1 packets, 18446744073709551615 bytes total; 1 packets, "
             "18446744073709551615 bytes incoming; 0 packets, 0 bytes "
             "outgoing\n\nRunning time: 60 seconds\n");
  append_str(path, START);
  append_str(path, block(1, 100));
  append_str(path,
             "\n*** TCP/UDP traffic log, generated Sun Nov 29 17:02:00 2026\n\n"
             "TCP/80: 2 packets, 5 bytes total; 2 packets, 5 bytes incoming; 0 "
             "packets, 0 bytes outgoing\n\nRunning time: 60 seconds\n");
  log_source_t *s = open_source(path, 1, NULL);
  CHECK(read_all(s, time(NULL)) == 3);
  const got_t *g = find(ITS_PROTO_TCP, 80);
  CHECK(g && g->ib == (uint64_t)INT64_MAX);
  CHECK(g && g->ip == 3);
  uint64_t prev = 0;
  for (size_t i = 0; i < ngot; i++)
    if (got[i].port == 80) {
      CHECK(got[i].ib >= prev);
      prev = got[i].ib;
    }
  log_source_free(s);
  unlink(path);
}

/* Catch-up parses only each run's last block: the totals are those of a
 * full parse; a block still open at the end keeps its early lines. */
static void test_catch_up_parses_last_block_of_each_run(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "runs.log");
  unlink(path);
  append_str(path, START);
  append_str(path, block(0, 100));
  append_str(path, block(1, 200)); /* run 1's last block */
  append_str(path, START);
  append_str(path, block(2, 50));
  append_str(path, block(3, 70)); /* run 2's last block */
  append_str(path, START);
  append_str(path, block(4, 10));
  /* run 3: a block still being written, one port line so far */
  append_str(path,
             "\n*** TCP/UDP traffic log, generated Sun Nov 29 17:05:00 2026\n\n"
             "TCP/22: 2 packets, 20 bytes total; 2 packets, 20 bytes incoming; "
             "0 packets, 0 bytes outgoing\n\n");
  log_source_t *s = open_source(path, 0, NULL);
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 1);
  const got_t *g = find(ITS_PROTO_TCP, 22);
  CHECK(g && g->ib == 200 + 70 + 10 && g->time == UTC_20261129(17, 4, 0));
  append_str(path,
             "UDP/53: 1 packets, 60 bytes total; 1 packets, 60 bytes incoming; "
             "0 packets, 0 bytes outgoing\n\n\nRunning time: 60 seconds\n");
  CHECK(log_source_read(s, now) == 2);
  g = find(ITS_PROTO_TCP, 22);
  CHECK(g && g->ib == 200 + 70 + 20 && g->time == UTC_20261129(17, 5, 0));
  g = find(ITS_PROTO_UDP, 53);
  CHECK(g && g->ib == 60);
  log_source_free(s);
  unlink(path);
}

/* A log built to exercise the bulk skipping of catch-up: blocks of 400
 * ports (bodies far larger than one 64 KiB read, lines split across reads),
 * three runs, a block cut by a crash, garbage and an over-long line inside
 * bodies, a rotation event inside a body, a "Running time" followed by a
 * stray port line. Returns the number of lines written. */
static uint64_t big_log_stray_line; /* the port line after "Running time" */
static uint64_t write_big_log(const char *path, int with_oddities) {
  FILE *f = fopen(path, "wb");
  uint64_t lines = 0;
  int minute = 0;
  for (int run = 0; run < 3; run++) {
    fprintf(f,
            "Sun Nov 29 1%d:00:00 2026; ******** TCP/UDP service monitor "
            "started ********\n",
            run);
    lines++;
    int blocks = run == 1 ? 1 : 6;
    for (int b = 0; b < blocks; b++, minute++) {
      fprintf(f,
              "\n*** TCP/UDP traffic log, generated Sun Nov 29 1%d:%02d:00 "
              "2026\n\n",
              run, minute % 60);
      lines += 3;
      for (int port = 1; port <= 400; port++) {
        unsigned long long k = (unsigned long long)(b + 1) * port * (run + 7);
        fprintf(f,
                "%s/%d: %llu packets, %llu bytes total,     12.34 kbps; "
                "%llu packets, %llu bytes incoming,      1.00 kbps; %llu "
                "packets, %llu bytes outgoing,     11.34 kbps\n\n",
                port % 2 ? "TCP" : "UDP", port, 3 * k, 300 * k, k, 100 * k,
                2 * k, 200 * k);
        lines += 2;
        if (with_oddities && run == 0 && b == 2 && port == 200) {
          fprintf(f, "this is not an iptraf line\n");
          fprintf(f, "Sun Nov 29 10:02:30 2026; ***** USR1 signal received, "
                     "preparing to reopen log file *****\n");
          for (int i = 0; i < 9000; i++)
            fputc('y', f);
          fputc('\n', f);
          lines += 3;
        }
      }
      if (with_oddities && run == 2 && b == 5)
        break; /* crash: no "Running time" (the file's last block) */
      fprintf(f, "\nRunning time: 60 seconds\n");
      lines += 2;
      if (with_oddities && run == 0 && b == 5) {
        fprintf(f, "TCP/7: 1 packets, 5 bytes total; 1 packets, 5 bytes "
                   "incoming; 0 packets, 0 bytes outgoing\n");
        big_log_stray_line = ++lines;
      }
    }
  }
  fclose(f);
  return lines;
}

/* Catch-up passes over block bodies in bulk: every total and the line
 * count equal those of reading the same file line by line (ReplayHistory),
 * and messages name the right lines. */
static void test_catch_up_skipping_equals_line_by_line(void) {
  char path[512];
  tmp_path(path, sizeof(path), "big.log");
  for (int odd = 0; odd <= 1; odd++) {
    unlink(path);
    uint64_t lines = write_big_log(path, odd);
    time_t now = time(NULL) + 3600; /* the cut block counts at once */

    reset();
    log_source_t *line_by_line = open_source(path, 1, NULL);
    read_all(line_by_line, now);
    log_source_read(line_by_line, now); /* the cut block, flushed now */
    static got_t want[1024];
    size_t nwant = 0;
    for (int port = 1; port <= 400; port++) {
      const got_t *g = find(port % 2 ? ITS_PROTO_TCP : ITS_PROTO_UDP, port);
      CHECK(g != NULL);
      if (g)
        want[nwant++] = *g;
    }
    log_source_stats_t st_want;
    log_source_get_stats(line_by_line, &st_want);
    log_source_free(line_by_line);
    char *want_messages = strdup(messages);

    reset();
    log_source_t *s = open_source(path, 0, NULL);
    CHECK(log_source_read(s, now) == 400);
    for (size_t i = 0; i < nwant; i++) {
      const got_t *g = find(want[i].proto, want[i].port);
      CHECK(g && g->ib == want[i].ib && g->ob == want[i].ob &&
            g->ip == want[i].ip && g->op == want[i].op &&
            g->time == want[i].time);
    }
    log_source_stats_t st;
    log_source_get_stats(s, &st);
    CHECK_U64(st.lines, lines);
    CHECK_U64(st.lines, st_want.lines);
    CHECK_U64(st.bytes, st_want.bytes);
    CHECK_U64(st.restarts, st_want.restarts);
    CHECK_U64(st.blocks_cut, st_want.blocks_cut);
    if (odd) {
      /* Run 3's last block (cut by the crash) was read, and the stray line
       * after run 1's last "Running time" is named with its line number. */
      CHECK_U64(st.blocks_cut, 1);
      uint64_t stray = big_log_stray_line;
      char want_msg[128];
      snprintf(want_msg, sizeof(want_msg),
               "line %llu: counter line outside a block",
               (unsigned long long)stray);
      CHECK(strstr(messages, want_msg) != NULL);
      CHECK(strstr(want_messages, want_msg) != NULL);
      CHECK(strstr(messages, "is unfinished") != NULL);
    }
    /* Nothing is left skipped: a block appended now is read line by line. */
    reset();
    append_str(path, START);
    append_str(path, block(59, 1234));
    CHECK(log_source_read(s, now) == 1);
    const got_t *g = find(ITS_PROTO_TCP, 22);
    CHECK(g && g->ib == 1234);
    free(want_messages);
    log_source_free(s);
  }
  unlink(path);
}

/* A bad line in the body of the last block of a run is reported with its
 * line number, after bodies passed over in bulk. */
static void test_catch_up_reports_bad_lines_of_counted_blocks(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "badlast.log");
  unlink(path);
  uint64_t lines = write_big_log(path, 0);
  /* One more block in run 3 with a broken port line at a known line. */
  append_str(path, "\n*** TCP/UDP traffic log, generated Sun Nov 29 12:59:00 "
                   "2026\n\nTCP/1: 1 packets, 1 bytes total; garbage\n\n");
  append_str(path, "TCP/3: 9 packets, 900 bytes total; 4 packets, 400 bytes "
                   "incoming; 5 packets, 500 bytes outgoing\n\nRunning time: "
                   "60 seconds\n");
  log_source_t *s = open_source(path, 0, NULL);
  CHECK(log_source_read(s, time(NULL)) >= 1);
  char want_msg[64];
  snprintf(want_msg, sizeof(want_msg),
           "line %llu: ", (unsigned long long)(lines + 4));
  CHECK(strstr(messages, want_msg) != NULL);
  /* TCP/3: runs 1 and 2 (their last blocks) plus this block. */
  const got_t *g = find(ITS_PROTO_TCP, 3);
  CHECK(g && g->ib == 100ULL * 6 * 3 * 7 + 100ULL * 1 * 3 * 8 + 400);
  log_source_free(s);
  unlink(path);
}

/* The message of a source that skips values a previous collectd dispatched. */
#define ALREADY_SENT "were dispatched before collectd restarted; not sent again"

static size_t count_str(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
    n++;
  return n;
}

/* collectd restarts and the log has no new block: the catch-up sends
 * nothing, says so once (info), and the next block goes out as usual. */
static void test_dispatched_until_catch_up(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "restart.log");
  unlink(path);
  append_str(path, START);
  append_str(path, block(0, 1000));
  append_str(path, block(1, 2000));
  dispatched_until = UTC_20261129(17, 1, 0);
  log_source_t *s = open_source(path, 0, NULL);
  dispatched_until = 0;
  time_t now = time(NULL);
  CHECK(log_source_dispatched_until(s) == UTC_20261129(17, 1, 0));
  CHECK(log_source_read(s, now) == 0);
  CHECK_U64(ngot, 0);
  CHECK(strstr(messages, "6 ") == messages); /* severity 6: info */
  CHECK(strstr(messages, "restart.log: the values of blocks up to Sun Nov 29 "
                         "17:01:00 2026 " ALREADY_SENT) != NULL);
  CHECK(strstr(messages, "held back") == NULL);
  log_source_stats_t st;
  log_source_get_stats(s, &st);
  CHECK_U64(st.values_already_dispatched, 1);
  CHECK_U64(st.blocks_skipped_old, 0);
  CHECK(log_source_read(s, now) == 0);
  CHECK_U64(count_str(messages, ALREADY_SENT), 1);
  /* A live block after it: sent, with the totals of the whole log. */
  append_str(path, block(2, 3000));
  CHECK(log_source_read(s, now) == 1);
  CHECK_U64(ngot, 1);
  CHECK(ngot == 1 && got[0].ib == 3000 &&
        got[0].time == UTC_20261129(17, 2, 0));
  CHECK(log_source_dispatched_until(s) == UTC_20261129(17, 2, 0));
  CHECK_U64(count_str(messages, ALREADY_SENT), 1);
  CHECK(strstr(messages, "held back") == NULL);
  log_source_free(s);
  unlink(path);
}

/* The sample's last block was dispatched before: nothing again, every series
 * counted as already dispatched, none as held back; with an earlier time,
 * the last block goes out as usual and nothing is said. */
static void test_dispatched_until_catch_up_sample(void) {
  char path[512];
  snprintf(path, sizeof(path), "%s/runA-after-rotation-then-runB.log",
           TEST_DATA_DIR);
  reset();
  log_source_t *s = open_source(path, 0, NULL);
  CHECK(log_source_dispatched_until(s) == 0);
  CHECK(log_source_read(s, time(NULL)) == 6);
  CHECK(log_source_dispatched_until(s) == UTC_20261129(16, 49, 6));
  log_source_free(s);

  reset();
  dispatched_until = UTC_20261129(16, 49, 6);
  s = open_source(path, 0, NULL);
  CHECK(log_source_read(s, time(NULL)) == 0);
  log_source_stats_t st;
  log_source_get_stats(s, &st);
  CHECK_U64(st.values_already_dispatched, 6);
  CHECK_U64(st.blocks_skipped_old, 0);
  CHECK(strstr(messages, ALREADY_SENT) != NULL);
  CHECK(log_source_dispatched_until(s) == UTC_20261129(16, 49, 6));
  log_source_free(s);

  reset();
  dispatched_until = UTC_20261129(16, 48, 50); /* collectd was down since */
  s = open_source(path, 0, NULL);
  dispatched_until = 0;
  CHECK(log_source_read(s, time(NULL)) == 6);
  CHECK_U64(count_at(UTC_20261129(16, 49, 6)), 6);
  const got_t *g = find(ITS_PROTO_TCP, 80);
  CHECK(g && g->ib == 4488 + 1226 && g->ob == 804920 + 201256);
  CHECK(strstr(messages, ALREADY_SENT) == NULL);
  CHECK(log_source_dispatched_until(s) == UTC_20261129(16, 49, 6));
  log_source_free(s);
}

/* ReplayHistory: the blocks a previous collectd dispatched are read in one
 * go, without sending anything; the blocks after them are replayed one per
 * read, with totals that include the earlier blocks. */
static void test_dispatched_until_replay(void) {
  reset();
  char path[512];
  snprintf(path, sizeof(path), "%s/runA-after-rotation-then-runB.log",
           TEST_DATA_DIR);
  dispatched_until = UTC_20261129(16, 48, 29); /* run A's last block */
  log_source_t *s = open_source(path, 1, NULL);
  dispatched_until = 0;
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 6); /* 16:48:50 */
  CHECK_U64(count_at(UTC_20261129(16, 48, 50)), 6);
  CHECK(log_source_read(s, now) == 6); /* 16:49:06 */
  CHECK(log_source_read(s, now) == 0);
  CHECK_U64(ngot, 12);
  for (size_t i = 0; i < ngot; i++)
    CHECK(got[i].time > UTC_20261129(16, 48, 29));
  const got_t *g = find(ITS_PROTO_TCP, 80);
  CHECK(g && g->time == UTC_20261129(16, 49, 6));
  CHECK(g && g->ip == 72 + 20 && g->ib == 4488 + 1226);
  CHECK(g && g->op == 62 + 16 && g->ob == 804920 + 201256);
  CHECK(find(ITS_PROTO_UDP, 500) == NULL); /* run A only */
  log_source_stats_t st;
  log_source_get_stats(s, &st);
  CHECK_U64(st.values_already_dispatched, 3 * 5); /* blocks 1-3, 5 ports */
  CHECK_U64(st.blocks_skipped_old, 0);
  CHECK_U64(count_str(messages, ALREADY_SENT), 1);
  CHECK(strstr(messages, "up to Sun Nov 29 16:48:29 2026") != NULL);
  CHECK(log_source_dispatched_until(s) == UTC_20261129(16, 49, 6));
  log_source_free(s);
}

/* ReplayHistory over a log whose every block was dispatched before: one
 * read passes the whole history; a block appended later is sent. */
static void test_dispatched_until_replay_then_live(void) {
  reset();
  char path[512];
  tmp_path(path, sizeof(path), "replay-restart.log");
  unlink(path);
  append_sample(path, "runA-after-rotation-then-runB.log");
  dispatched_until = UTC_20261129(16, 49, 6);
  log_source_t *s = open_source(path, 1, NULL);
  dispatched_until = 0;
  time_t now = time(NULL);
  CHECK(log_source_read(s, now) == 0);
  log_source_stats_t st;
  log_source_get_stats(s, &st);
  CHECK_U64(st.blocks, 5); /* the whole history in one read */
  CHECK_U64(st.values_already_dispatched, 27);
  CHECK(log_source_read(s, now) == 0);
  CHECK_U64(ngot, 0);
  CHECK_U64(count_str(messages, ALREADY_SENT), 1);
  /* Run B goes on (its counters grow). */
  append_str(path,
             "\n*** TCP/UDP traffic log, generated Sun Nov 29 16:50:06 2026\n\n"
             "TCP/80: 60 packets, 301256 bytes total; 30 packets, 2000 bytes "
             "incoming; 30 packets, 299256 bytes outgoing\n\n"
             "\nRunning time: 76 seconds\n");
  CHECK(log_source_read(s, now) == 1);
  CHECK_U64(ngot, 1);
  const got_t *g = find(ITS_PROTO_TCP, 80);
  CHECK(g && g->time == UTC_20261129(16, 50, 6));
  CHECK(g && g->ip == 72 + 30 && g->ib == 4488 + 2000);
  CHECK(g && g->op == 62 + 30 && g->ob == 804920 + 299256);
  CHECK(log_source_dispatched_until(s) == UTC_20261129(16, 50, 6));
  log_source_free(s);
  unlink(path);
}

int main(void) {
  setenv("TZ", "UTC", 1);
  tzset();
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/its-unit-XXXXXX");
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  svc = services_new();
  services_load_text(svc, SERVICES_TEXT);
  RUN(test_runA_first_file);
  RUN(test_runA_then_runB_replay);
  RUN(test_catch_up_emits_last_block_only);
  RUN(test_port_filter);
  RUN(test_legacy_samples);
  RUN(test_crash_mid_block);
  RUN(test_crash_then_restart_appended);
  RUN(test_partial_lines);
  RUN(test_rotation_rename_with_usr1);
  RUN(test_rotation_rename_without_signal);
  RUN(test_copytruncate);
  RUN(test_missing_then_created);
  RUN(test_permission_denied);
  RUN(test_garbage_is_skipped_and_counts_survive);
  RUN(test_implicit_restart);
  RUN(test_replay_one_block_per_read);
  RUN(test_backlog_emits_each_series_once);
  RUN(test_clock_steps_back);
  RUN(test_counters_saturate);
  RUN(test_catch_up_parses_last_block_of_each_run);
  RUN(test_catch_up_skipping_equals_line_by_line);
  RUN(test_catch_up_reports_bad_lines_of_counted_blocks);
  RUN(test_dispatched_until_catch_up);
  RUN(test_dispatched_until_catch_up_sample);
  RUN(test_dispatched_until_replay);
  RUN(test_dispatched_until_replay_then_live);
  services_free(svc);
  rmdir(tmpdir);
  UNIT_MAIN_END();
}
