/* collectd_stub: the few collectd daemon functions that src/iptraf_services.c
 * uses, so that the plugin's real configuration code can be linked into a
 * fuzzer (or a plain test driver) without a collectd process.
 *
 *  - plugin_register_*: record the callbacks (collectd_stub_* accessors).
 *  - plugin_log: formats every message (so format/argument mistakes are
 *    exercised under the sanitizers) and prints it when FUZZ_VERBOSE is set.
 *  - plugin_dispatch_values: checks the value list lightly, then drops it.
 *  - sstrncpy, cdtime, plugin_get_interval (10 s), hostname_g, interval_g.
 *  - global_option_get: BaseDir is $FUZZ_BASEDIR, or unset (NULL), like
 *    every other option. */
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/configfile.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collectd_stub.h"

char *hostname_g = "fuzzhost";
cdtime_t interval_g = TIME_T_TO_CDTIME_T_STATIC(10);
int timeout_g = 2;

static int (*config_cb)(oconfig_item_t *);
static plugin_init_cb init_cb;
static plugin_shutdown_cb shutdown_cb;
static char config_name[DATA_MAX_NAME_LEN];
static unsigned long reads_registered;

int plugin_register_complex_config(const char *type,
                                   int (*callback)(oconfig_item_t *)) {
  sstrncpy(config_name, type, sizeof(config_name));
  config_cb = callback;
  return 0;
}

int plugin_register_init(const char *name, plugin_init_cb callback) {
  (void)name;
  init_cb = callback;
  return 0;
}

int plugin_register_shutdown(const char *name, plugin_shutdown_cb callback) {
  (void)name;
  shutdown_cb = callback;
  return 0;
}

int plugin_register_complex_read(const char *group, const char *name,
                                 plugin_read_cb callback, cdtime_t interval,
                                 user_data_t const *user_data) {
  (void)group;
  (void)name;
  (void)callback;
  (void)interval;
  /* collectd owns user_data from here on; the stub only counts. */
  (void)user_data;
  reads_registered++;
  return 0;
}

int plugin_dispatch_values(value_list_t const *vl) {
  if (vl == NULL || vl->values == NULL || vl->values_len == 0 ||
      memchr(vl->plugin, '\0', sizeof(vl->plugin)) == NULL ||
      memchr(vl->plugin_instance, '\0', sizeof(vl->plugin_instance)) == NULL ||
      memchr(vl->type, '\0', sizeof(vl->type)) == NULL ||
      memchr(vl->type_instance, '\0', sizeof(vl->type_instance)) == NULL)
    abort();
  return 0;
}

void plugin_log(int level, const char *format, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, format);
  vsnprintf(msg, sizeof(msg), format, ap);
  va_end(ap);
  if (getenv("FUZZ_VERBOSE") != NULL)
    fprintf(stderr, "[collectd %d] %s\n", level, msg);
}

char *sstrncpy(char *dest, const char *src, size_t n) {
  if (n == 0)
    return dest;
  strncpy(dest, src, n);
  dest[n - 1] = '\0';
  return dest;
}

cdtime_t cdtime(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
    return 0;
  return TIMESPEC_TO_CDTIME_T(&ts);
}

cdtime_t plugin_get_interval(void) { return TIME_T_TO_CDTIME_T_STATIC(10); }

const char *global_option_get(const char *option) {
  if (option != NULL && strcasecmp(option, "BaseDir") == 0)
    return getenv("FUZZ_BASEDIR");
  return NULL;
}

/* Accessors for the drivers. */
collectd_stub_config_cb collectd_stub_config(void) { return config_cb; }
const char *collectd_stub_config_name(void) { return config_name; }
plugin_init_cb collectd_stub_init(void) { return init_cb; }
plugin_shutdown_cb collectd_stub_shutdown(void) { return shutdown_cb; }
unsigned long collectd_stub_reads_registered(void) { return reads_registered; }
