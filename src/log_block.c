#include "log_block.h"

#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "its_defaults.h"
#include "log_source.h"

#define SET(f) offsetof(log_settings_t, f)

static const opt_def_t log_options[] = {
    {"ReplayHistory", OPT_BOOL, SET(replay_history), 0, 0, NULL},
    {"LogInterval", OPT_NUMBER, SET(log_interval), 1, 86400 * 7, NULL},
    {"IncompleteBlockTimeout", OPT_NUMBER, SET(incomplete_block_timeout), 0,
     86400, NULL},
    {"MaxLineLength", OPT_NUMBER, SET(max_line), 256, 16 * 1024 * 1024, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static void log_defaults(void *settings) {
  log_settings_t *l = settings;
  l->incomplete_block_timeout = ITS_DEFAULT_INCOMPLETE_BLOCK_TIMEOUT;
  l->max_line = ITS_DEFAULT_MAX_LINE;
}

static int log_finish(void *settings, const char *path, port_set_t **ports,
                      char *err, size_t errlen) {
  (void)settings, (void)path, (void)ports, (void)err, (void)errlen;
  return 0; /* no Port: every port in the log */
}

/* "tcp_udp_services-eth0.log" -> "eth0"; "/var/log/x.log" -> "x". */
static char *log_default_instance(const char *path) {
  char *copy = strdup(path);
  if (copy == NULL)
    return NULL;
  char *base = basename(copy);
  size_t len = strlen(base);
  if (len > 4 && strcmp(base + len - 4, ".log") == 0)
    base[len - 4] = '\0';
  const char *prefix = "tcp_udp_services-";
  if (strncmp(base, prefix, strlen(prefix)) == 0 && base[strlen(prefix)])
    base += strlen(prefix);
  char *inst = strdup(base[0] && strcmp(base, "/") != 0 ? base : "log");
  free(copy);
  return inst;
}

static int log_same_input(const void *a, const void *b) {
  (void)a, (void)b;
  return 1; /* one file */
}

typedef struct {
  source_env_t env;
  log_source_t *log;
} log_block_t;

static void on_value(void *ud, const its_value_t *v) {
  const log_block_t *b = ud;
  char ti[128];
  if (v->port >= 0)
    snprintf(ti, sizeof(ti), "%s-%d", its_proto_name(v->proto), v->port);
  else
    snprintf(ti, sizeof(ti), "%s-%s", its_proto_name(v->proto), v->name);
  source_value_t out = {.type_instance = ti,
                        .time = v->time,
                        .interval = v->interval,
                        .in_packets = v->in_packets,
                        .in_bytes = v->in_bytes,
                        .out_packets = v->out_packets,
                        .out_bytes = v->out_bytes};
  b->env.emit(b->env.ud, &out);
}

static void *log_start(const void *settings, const source_env_t *env) {
  const log_settings_t *l = settings;
  log_block_t *b = calloc(1, sizeof(*b));
  if (b == NULL) {
    its_message(env->log, env->ud, ITS_ERROR, "<Log \"%s\">: out of memory",
                env->path);
    return NULL;
  }
  b->env = *env;
  log_source_config_t cfg = {
      .path = env->path,
      .ports = env->ports,
      .services = env->services,
      .replay_history = l->replay_history,
      .incomplete_block_timeout = (time_t)l->incomplete_block_timeout,
      .log_interval = (time_t)l->log_interval,
      .default_interval = env->default_interval,
      .max_line = (size_t)l->max_line,
      .dispatched_until = env->dispatched_until,
      .emit = on_value,
      .log = env->log,
      .ud = b,
  };
  b->log = log_source_new(&cfg);
  if (b->log == NULL) {
    its_message(env->log, env->ud, ITS_ERROR, "<Log \"%s\">: out of memory",
                env->path);
    free(b);
    return NULL;
  }
  its_message(
      env->log, env->ud, ITS_INFO, "following %s as instance \"%s\" (%s, %s)",
      env->path, env->instance,
      env->ports ? "ports filtered" : "every port in the log",
      l->replay_history ? "replaying its history" : "from its last block");
  return b;
}

static void log_read(void *src, time_t now) {
  log_block_t *b = src;
  log_source_read(b->log, now);
}

static time_t log_dispatched_until(const void *src) {
  const log_block_t *b = src;
  return log_source_dispatched_until(b->log);
}

static void log_stop(void *src) {
  log_block_t *b = src;
  if (b == NULL)
    return;
  log_source_free(b->log);
  free(b);
}

const source_kind_t log_kind = {
    .name = "Log",
    .no_name = "<Log> needs the log file's path: <Log "
               "\"/var/log/iptraf-ng/tcp_udp_services-eth0.log\">",
    SOURCE_KIND_MEMBERS(log),
    .dispatched_until = log_dispatched_until,
};
