/* Unit tests of the state file: round trip, escapes, a missing file, bad
 * lines named with their number, failed writes that leave nothing behind. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_file.h"
#include "unit.h"

static char tmpdir[256];
static char messages[65536];
static int max_severity_seen; /* the lowest number: the most severe */

typedef struct {
  char instance[256], path[1024];
  int64_t time;
} entry_t;
static entry_t got[64];
static size_t ngot;

static void on_log(void *ud, its_severity_t sev, const char *msg) {
  (void)ud;
  size_t len = strlen(messages);
  snprintf(messages + len, sizeof(messages) - len, "%d %s\n", sev, msg);
  if (max_severity_seen == 0 || (int)sev < max_severity_seen)
    max_severity_seen = sev;
}

static void on_entry(void *ud, const state_entry_t *e) {
  (void)ud;
  if (ngot >= sizeof(got) / sizeof(got[0]))
    return;
  snprintf(got[ngot].instance, sizeof(got[ngot].instance), "%s", e->instance);
  snprintf(got[ngot].path, sizeof(got[ngot].path), "%s", e->path);
  got[ngot].time = e->time;
  ngot++;
}

static void reset(void) {
  messages[0] = '\0';
  max_severity_seen = 0;
  ngot = 0;
}

static void tmp_path(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_text(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "wb");
  fwrite(text, 1, len, f);
  fclose(f);
}

/* Files in tmpdir, for checking that no temporary file is left. */
static int count_files(void) {
  DIR *d = opendir(tmpdir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static void test_round_trip_with_escapes(void) {
  reset();
  char file[512], err[512];
  tmp_path(file, sizeof(file), "rt.state");
  state_entry_t e[] = {
      {"eth0", "/var/log/iptraf-ng/tcp_udp_services-eth0.log", 1795970946},
      {"with space", "/a\tpath\nwith\\odd\rbytes.log", 1},
      {"x\\t", "\\", (int64_t)1 << 40},
  };
  CHECK(state_file_write(file, e, 3, err, sizeof(err)) == 0);
  CHECK(state_file_read(file, on_entry, on_log, NULL) == 3);
  CHECK_U64(ngot, 3);
  for (size_t i = 0; i < 3 && i < ngot; i++) {
    CHECK_STR(got[i].instance, e[i].instance);
    CHECK_STR(got[i].path, e[i].path);
    CHECK_U64(got[i].time, e[i].time);
  }
  CHECK_STR(messages, "");
  struct stat st;
  CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0644);
  CHECK(count_files() == 1); /* no temporary file left */
  /* Replaced as a whole: fewer entries now. */
  reset();
  CHECK(state_file_write(file, e, 1, err, sizeof(err)) == 0);
  CHECK(state_file_read(file, on_entry, on_log, NULL) == 1);
  CHECK_U64(ngot, 1);
  CHECK(count_files() == 1);
  /* No entry at all: a file of comments. */
  reset();
  CHECK(state_file_write(file, e, 0, err, sizeof(err)) == 0);
  CHECK(state_file_read(file, on_entry, on_log, NULL) == 0);
  CHECK_STR(messages, "");
  unlink(file);
}

static void test_missing_file_is_silent(void) {
  reset();
  char file[512];
  tmp_path(file, sizeof(file), "never-written.state");
  CHECK(state_file_read(file, on_entry, on_log, NULL) == 0);
  CHECK_U64(ngot, 0);
  CHECK_STR(messages, "");
}

static void test_bad_lines_are_named_and_skipped(void) {
  reset();
  char file[512];
  tmp_path(file, sizeof(file), "bad.state");
  static const char text[] = "# comment\n"                       /* 1 */
                             "\n"                                /* 2 */
                             "a\t/a.log\t100\n"                  /* 3: good */
                             "garbage\n"                         /* 4 */
                             "b\t/b.log\tnot-a-time\n"           /* 5 */
                             "c\t/c.log\t0\n"                    /* 6 */
                             "d\t/d.log\t-5\n"                   /* 7 */
                             "e\t/e.log\t99999999999999999999\n" /* 8 */
                             "f\t/f\\x.log\t100\n"     /* 9: unknown escape */
                             "g\t/g.log\t100\textra\n" /* 10 */
                             "\t/h.log\t100\n"         /* 11: empty instance */
                             "i\t/i.log\t200\r\n"      /* 12: good (CRLF) */
                             "j\t/j.\0log\t100\n"      /* 13: NUL */
                             "k\t/k.log\t300"; /* 14: good, no newline */
  write_text(file, text, sizeof(text) - 1);
  CHECK(state_file_read(file, on_entry, on_log, NULL) == 3);
  CHECK_U64(ngot, 3);
  CHECK(ngot == 3 && strcmp(got[0].instance, "a") == 0 && got[0].time == 100);
  CHECK(ngot == 3 && strcmp(got[1].path, "/i.log") == 0 && got[1].time == 200);
  CHECK(ngot == 3 && strcmp(got[2].path, "/k.log") == 0 && got[2].time == 300);
  CHECK_U64(max_severity_seen, 4); /* warnings, nothing worse */
  char want[600];
  for (int line = 1; line <= 14; line++) {
    snprintf(want, sizeof(want), "4 %s line %d: ", file, line);
    int bad = line >= 4 && line <= 13 && line != 12;
    if ((strstr(messages, want) != NULL) != bad) {
      CHECK(!"line reported wrongly");
      fprintf(stderr, "  line %d (bad: %d)\n%s", line, bad, messages);
    }
  }
  CHECK(strstr(messages, "line 4: not three fields separated by tabs") != NULL);
  CHECK(strstr(messages, "line 5: the time is not a positive number") != NULL);
  CHECK(strstr(messages, "; line ignored") != NULL);
  unlink(file);
}

static void test_many_bad_lines_are_counted(void) {
  reset();
  char file[512];
  tmp_path(file, sizeof(file), "many.state");
  FILE *f = fopen(file, "w");
  for (int i = 0; i < 1000; i++)
    fprintf(f, "bad line %d\n", i);
  fprintf(f, "ok\t/ok.log\t5\n");
  fclose(f);
  CHECK(state_file_read(file, on_entry, on_log, NULL) == 1);
  size_t lines = 0;
  for (const char *p = messages; (p = strchr(p, '\n')) != NULL; p++)
    lines++;
  CHECK_U64(lines, STATE_FILE_MAX_LINE_WARNINGS + 1);
  CHECK(strstr(messages, "990 more bad lines ignored") != NULL);
  unlink(file);
}

static void test_unreadable_file(void) {
  reset();
  char file[512];
  tmp_path(file, sizeof(file), "a-dir.state");
  mkdir(file, 0755);
  CHECK(state_file_read(file, on_entry, on_log, NULL) == -1);
  CHECK(strstr(messages, "cannot read the state file") != NULL);
  CHECK(strstr(messages, file) != NULL);
  /* Writing over a directory fails too, and leaves no temporary file. */
  char err[512];
  state_entry_t e = {"a", "/a.log", 1};
  int files = count_files();
  CHECK(state_file_write(file, &e, 1, err, sizeof(err)) == -1);
  CHECK_STR(err, "cannot rename the temporary file over it: Is a directory");
  CHECK(count_files() == files);
  rmdir(file);
}

static void test_write_into_missing_directory_fails_cleanly(void) {
  char file[512], err[512];
  tmp_path(file, sizeof(file), "no-such-dir/x.state");
  state_entry_t e = {"a", "/a.log", 1};
  CHECK(state_file_write(file, &e, 1, err, sizeof(err)) == -1);
  CHECK_STR(err, "cannot create a temporary file in its directory: No such "
                 "file or directory");
}

/* A relative name: the temporary file goes to the working directory. */
static void test_relative_name(void) {
  reset();
  char cwd[512], err[512];
  if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(tmpdir) != 0) {
    CHECK(!"chdir");
    return;
  }
  state_entry_t e = {"a", "/a.log", 7};
  CHECK(state_file_write("rel.state", &e, 1, err, sizeof(err)) == 0);
  CHECK(state_file_read("rel.state", on_entry, on_log, NULL) == 1);
  CHECK(ngot == 1 && got[0].time == 7);
  unlink("rel.state");
  CHECK(chdir(cwd) == 0);
  CHECK(count_files() == 0);
}

int main(void) {
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/its-state-XXXXXX");
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  RUN(test_round_trip_with_escapes);
  RUN(test_missing_file_is_silent);
  RUN(test_bad_lines_are_named_and_skipped);
  RUN(test_many_bad_lines_are_counted);
  RUN(test_unreadable_file);
  RUN(test_write_into_missing_directory_fails_cleanly);
  RUN(test_relative_name);
  rmdir(tmpdir);
  UNIT_MAIN_END();
}
