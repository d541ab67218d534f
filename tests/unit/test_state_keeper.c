/* Unit tests of the state keeper: the path from StateFile and BaseDir,
 * slots matched on instance and path, one write per change, a failing
 * write said once and its recovery said, messages with the caller's ud. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_keeper.h"
#include "unit.h"

static char tmpdir[256];
static char messages[8192];
static int wrong_ud;

static void on_log(void *ud, its_severity_t sev, const char *msg) {
  if (ud != &messages)
    wrong_ud++;
  size_t len = strlen(messages);
  snprintf(messages + len, sizeof(messages) - len, "%d %s\n", sev, msg);
}

static void test_resolve(void) {
  char *p = state_keeper_resolve(NULL, "/var/lib/collectd/");
  CHECK_STR(p, "/var/lib/collectd/iptraf_services.state");
  free(p);
  p = state_keeper_resolve("x.state", "/srv");
  CHECK_STR(p, "/srv/x.state");
  free(p);
  p = state_keeper_resolve("/abs/x.state", "/srv");
  CHECK_STR(p, "/abs/x.state");
  free(p);
  p = state_keeper_resolve(NULL, NULL);
  CHECK_STR(p, "/var/lib/collectd/iptraf_services.state");
  free(p);
  p = state_keeper_resolve("x.state", "relative"); /* collectd's cwd */
  CHECK_STR(p, "x.state");
  free(p);
}

static void test_slots_round_trip(void) {
  char file[512];
  snprintf(file, sizeof(file), "%s/k.state", tmpdir);
  state_entry_t old[] = {{"eth0", "/var/log/a.log", 100},
                         {"eth0", "/var/log/other.log", 200},
                         {"lo", "/var/log/b.log", 300}};
  char err[256];
  CHECK(state_file_write(file, old, 3, err, sizeof(err)) == 0);

  state_keeper_t k;
  messages[0] = '\0';
  state_keeper_init(&k, on_log, &messages);
  int a = state_keeper_add(&k, "eth0", "/var/log/a.log");
  int b = state_keeper_add(&k, "lo", "/var/log/b.log");
  int c = state_keeper_add(&k, "new", "/var/log/c.log");
  state_keeper_open(&k, strdup(file));
  CHECK_U64(state_keeper_time(&k, a), 100);
  CHECK_U64(state_keeper_time(&k, b), 300);
  CHECK_U64(state_keeper_time(&k, c), 0);

  state_keeper_note(&k, a, 50); /* older: kept as it was, nothing written */
  CHECK_U64(state_keeper_time(&k, a), 100);
  state_keeper_note(&k, c, 400);
  state_keeper_close(&k);

  state_keeper_init(&k, on_log, &messages);
  a = state_keeper_add(&k, "eth0", "/var/log/a.log");
  c = state_keeper_add(&k, "new", "/var/log/c.log");
  b = state_keeper_add(&k, "eth0", "/var/log/other.log"); /* was dropped */
  state_keeper_open(&k, strdup(file));
  CHECK_U64(state_keeper_time(&k, a), 100);
  CHECK_U64(state_keeper_time(&k, c), 400);
  CHECK_U64(state_keeper_time(&k, b), 0);
  state_keeper_close(&k);
  CHECK_STR(messages, "");
  unlink(file);
}

static void test_failing_write_said_once(void) {
  char dir[512], file[600];
  snprintf(dir, sizeof(dir), "%s/gone", tmpdir);
  snprintf(file, sizeof(file), "%s/k.state", dir);
  state_keeper_t k;
  messages[0] = '\0';
  wrong_ud = 0;
  state_keeper_init(&k, on_log, &messages);
  int a = state_keeper_add(&k, "i", "/p.log");
  state_keeper_open(&k, strdup(file)); /* no directory: nothing to read */
  state_keeper_note(&k, a, 10);
  state_keeper_note(&k, a, 20);
  CHECK(strstr(messages, "4 cannot write the state file") != NULL);
  CHECK(strstr(strstr(messages, "cannot write") + 1, "cannot write") == NULL);
  CHECK(mkdir(dir, 0700) == 0);
  state_keeper_note(&k, a, 20); /* still dirty: written now */
  CHECK(strstr(messages, "6 the state file") != NULL);
  CHECK(strstr(messages, "is written again") != NULL);
  state_keeper_close(&k);
  CHECK(wrong_ud == 0);
  unlink(file);
  rmdir(dir);
}

static void test_bad_line_said_with_callers_ud(void) {
  char file[512];
  snprintf(file, sizeof(file), "%s/bad.state", tmpdir);
  FILE *f = fopen(file, "w");
  CHECK(f != NULL);
  if (f == NULL)
    return;
  fputs("not a state line\n", f);
  fclose(f);
  state_keeper_t k;
  messages[0] = '\0';
  wrong_ud = 0;
  state_keeper_init(&k, on_log, &messages);
  state_keeper_add(&k, "i", "/p.log");
  state_keeper_open(&k, strdup(file));
  CHECK(strstr(messages, "bad.state line 1") != NULL);
  CHECK(wrong_ud == 0);
  state_keeper_close(&k);
  unlink(file);
}

int main(void) {
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/its-keeper-XXXXXX");
  if (mkdtemp(tmpdir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  RUN(test_resolve);
  RUN(test_slots_round_trip);
  RUN(test_failing_write_said_once);
  RUN(test_bad_line_said_with_callers_ud);
  rmdir(tmpdir);
  UNIT_MAIN_END();
}
