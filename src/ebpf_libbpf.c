#include "ebpf_libbpf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

/* libbpf's own messages: the last warning is kept for our error message
 * (its generic RLIMIT_MEMLOCK hint on EPERM is misleading, so never
 * printed as is). Per thread: each source loads in its own. */
static __thread char libbpf_msg[512];
/* The end of the verifier's log of the last program this thread had
 * refused (what it rejected is at the end). */
static __thread char load_log[8192];

static void keep_load_log(const char *fmt, va_list ap) {
  va_list aq;
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  char *all = n > 0 ? malloc((size_t)n + 1) : NULL;
  if (all == NULL)
    return;
  va_copy(aq, ap);
  vsnprintf(all, (size_t)n + 1, fmt, aq);
  va_end(aq);
  size_t len = (size_t)n, keep = sizeof(load_log) - 1;
  const char *tail = len > keep ? all + (len - keep) : all;
  snprintf(load_log, sizeof(load_log), "%s", tail);
  free(all);
}

static int on_libbpf_print(enum libbpf_print_level level, const char *fmt,
                           va_list ap) {
  if (level != LIBBPF_WARN)
    return 0;
  if (strstr(fmt, "BEGIN PROG LOAD LOG"))
    keep_load_log(fmt, ap);
  char buf[512];
  vsnprintf(buf, sizeof(buf), fmt, ap);
  size_t n = strlen(buf);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    buf[--n] = '\0';
  if (n == 0 || strstr(buf, "RLIMIT_MEMLOCK"))
    return 0;
  snprintf(libbpf_msg, sizeof(libbpf_msg), "%s", buf);
  return 0;
}

/* The verifier's reason (the last line of its log before the statistics),
 * or 0 when no program was refused by it. */
int ebpf_libbpf_verdict(char *out, size_t outlen) {
  char *log = strdup(load_log);
  if (log == NULL || log[0] == '\0') {
    free(log);
    return 0;
  }
  static const char *const noise[] = {"-- END PROG LOAD LOG", "processed ",
                                      "verification time", "stack depth",
                                      "libbpf: "};
  int found = 0;
  char *end = log + strlen(log);
  while (!found && end > log) {
    char *nl = end;
    *nl = '\0';
    char *line = nl;
    while (line > log && line[-1] != '\n')
      line--;
    end = line > log ? line - 1 : log;
    if (*line == '\0')
      continue;
    int skip = 0;
    for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
      if (strncmp(line, noise[i], strlen(noise[i])) == 0)
        skip = 1;
    if (!skip) {
      snprintf(out, outlen, "%s", line);
      found = 1;
    }
  }
  if (!found)
    snprintf(out, outlen, "see its log");
  free(log);
  return 1;
}

static pthread_once_t libbpf_print_once = PTHREAD_ONCE_INIT;

static void set_libbpf_print(void) { libbpf_set_print(on_libbpf_print); }

void ebpf_libbpf_begin(void) {
  pthread_once(&libbpf_print_once, set_libbpf_print);
  libbpf_msg[0] = '\0';
  load_log[0] = '\0';
}

const char *ebpf_libbpf_warning(void) { return libbpf_msg; }

size_t ebpf_libbpf_load_log(char *buf, size_t len) {
  if (len == 0)
    return 0;
  snprintf(buf, len, "%s", load_log);
  return strlen(buf);
}
