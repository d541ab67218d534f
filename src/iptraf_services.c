/* iptraf_services: collectd plugin accounting traffic per TCP/UDP port and
 * direction. This file is the thin collectd layer: configuration, read
 * callbacks and dispatch. The work is done by the modules it wires up. */
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include <libgen.h>
#include <time.h>

#include "log_source.h"
#include "portspec.h"
#include "services.h"

#define PLUGIN_NAME "iptraf_services"

#define DEFAULT_INCOMPLETE_BLOCK_TIMEOUT 10
#define DEFAULT_MAX_LINE 8192

typedef struct source_s {
  char *instance;
  char *path;
  port_set_t *ports; /* NULL: all */
  int replay_history;
  double read_interval; /* 0: collectd's */
  double log_interval;  /* 0: learn from the log */
  double incomplete_block_timeout;
  int max_line;
  log_source_t *log;
  struct source_s *next;
} source_t;

static source_t *sources;
static int config_errors;
static services_t *services;

#define CONFIG_ERROR(...)                                                      \
  do {                                                                         \
    ERROR(PLUGIN_NAME ": " __VA_ARGS__);                                       \
    config_errors++;                                                           \
  } while (0)

static const char *where(const oconfig_item_t *ci) {
  return ci->parent && ci->parent->values_num > 0 &&
                 ci->parent->values[0].type == OCONFIG_TYPE_STRING
             ? ci->parent->values[0].value.string
             : "?";
}

static int get_single_string(const oconfig_item_t *ci, char **out) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING) {
    CONFIG_ERROR("<Log \"%s\">: option \"%s\" takes one string argument, "
                 "e.g. %s \"value\"",
                 where(ci), ci->key, ci->key);
    return -1;
  }
  char *s = strdup(ci->values[0].value.string);
  if (s == NULL)
    return -1;
  free(*out);
  *out = s;
  return 0;
}

static int get_bool(const oconfig_item_t *ci, int *out) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_BOOLEAN) {
    CONFIG_ERROR("<Log \"%s\">: option \"%s\" takes true or false",
                 where(ci), ci->key);
    return -1;
  }
  *out = ci->values[0].value.boolean ? 1 : 0;
  return 0;
}

static int get_number(const oconfig_item_t *ci, double min, double max,
                      double *out) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
    CONFIG_ERROR("<Log \"%s\">: option \"%s\" takes one number", where(ci),
                 ci->key);
    return -1;
  }
  double v = ci->values[0].value.number;
  if (!(v >= min && v <= max)) {
    CONFIG_ERROR("<Log \"%s\">: option \"%s\": %g is out of range (%g to %g)",
                 where(ci), ci->key, v, min, max);
    return -1;
  }
  *out = v;
  return 0;
}

static char *default_instance(const char *path) {
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
  char *inst = strdup(base);
  free(copy);
  return inst;
}

static void free_source(source_t *s) {
  if (s == NULL)
    return;
  log_source_free(s->log);
  free(s->instance);
  free(s->path);
  free(s->ports);
  free(s);
}

static int ensure_services(void) {
  if (services != NULL)
    return 0;
  services = services_new();
  if (services == NULL)
    return -1;
  if (services_load_system(services) == 0)
    WARNING(PLUGIN_NAME ": the services database (/etc/services) is empty or "
                        "missing: service names cannot be mapped to ports "
                        "(Debian package: netbase)");
  return 0;
}

static int config_port(source_t *s, const oconfig_item_t *ci) {
  if (ci->values_num < 1) {
    CONFIG_ERROR("<Log \"%s\">: option \"Port\" needs at least one value, "
                 "e.g. Port \"tcp/22\" \"udp/53\"",
                 s->path);
    return -1;
  }
  if (s->ports == NULL) {
    s->ports = calloc(1, sizeof(*s->ports));
    if (s->ports == NULL)
      return -1;
  }
  int rc = 0;
  for (int i = 0; i < ci->values_num; i++) {
    char err[256];
    char numbuf[32];
    const char *spec;
    if (ci->values[i].type == OCONFIG_TYPE_STRING)
      spec = ci->values[i].value.string;
    else if (ci->values[i].type == OCONFIG_TYPE_NUMBER) {
      /* Port 119 unquoted */
      snprintf(numbuf, sizeof(numbuf), "%g", ci->values[i].value.number);
      spec = numbuf;
    } else {
      CONFIG_ERROR("<Log \"%s\">: option \"Port\": expected strings such as "
                   "\"tcp/22\"",
                   s->path);
      rc = -1;
      continue;
    }
    if (portspec_add(s->ports, spec, services, err, sizeof(err)) != 0) {
      CONFIG_ERROR("<Log \"%s\">: option \"Port\": %s", s->path, err);
      rc = -1;
    }
  }
  return rc;
}

static int config_log_block(const oconfig_item_t *ci) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING ||
      ci->values[0].value.string[0] == '\0') {
    CONFIG_ERROR("<Log> needs the log file's path: <Log "
                 "\"/var/log/iptraf-ng/tcp_udp_services-eth0.log\">");
    return -1;
  }
  source_t *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return -1;
  s->path = strdup(ci->values[0].value.string);
  s->incomplete_block_timeout = DEFAULT_INCOMPLETE_BLOCK_TIMEOUT;
  s->max_line = DEFAULT_MAX_LINE;
  if (s->path == NULL) {
    free_source(s);
    return -1;
  }

  int rc = 0;
  for (int i = 0; i < ci->children_num; i++) {
    const oconfig_item_t *c = &ci->children[i];
    double d;
    if (strcasecmp(c->key, "Instance") == 0) {
      if (get_single_string(c, &s->instance) != 0)
        rc = -1;
      else if (s->instance[0] == '\0' || strchr(s->instance, '/')) {
        CONFIG_ERROR("<Log \"%s\">: Instance \"%s\" must be non-empty and "
                     "contain no '/'",
                     s->path, s->instance);
        rc = -1;
      }
    } else if (strcasecmp(c->key, "Port") == 0) {
      if (config_port(s, c) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "ReplayHistory") == 0) {
      if (get_bool(c, &s->replay_history) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "Interval") == 0) {
      if (get_number(c, 0.01, 86400, &s->read_interval) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "LogInterval") == 0) {
      if (get_number(c, 1, 86400 * 7, &s->log_interval) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "IncompleteBlockTimeout") == 0) {
      if (get_number(c, 0, 86400, &s->incomplete_block_timeout) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "MaxLineLength") == 0) {
      if (get_number(c, 256, 16 * 1024 * 1024, &d) != 0)
        rc = -1;
      else
        s->max_line = (int)d;
    } else {
      CONFIG_ERROR("<Log \"%s\">: unknown option \"%s\" (known: Instance, "
                   "Port, ReplayHistory, Interval, LogInterval, "
                   "IncompleteBlockTimeout, MaxLineLength)",
                   s->path, c->key);
      rc = -1;
    }
  }
  if (s->instance == NULL)
    s->instance = default_instance(s->path);
  if (s->instance == NULL)
    rc = -1;

  for (source_t *o = sources; o && rc == 0; o = o->next) {
    if (strcmp(o->path, s->path) == 0) {
      CONFIG_ERROR("<Log \"%s\"> is configured twice", s->path);
      rc = -1;
    } else if (strcmp(o->instance, s->instance) == 0) {
      CONFIG_ERROR("<Log \"%s\"> and <Log \"%s\"> both use the instance "
                   "\"%s\": their series would mix; set Instance",
                   o->path, s->path, s->instance);
      rc = -1;
    }
  }
  if (rc != 0) {
    free_source(s);
    return -1;
  }
  s->next = sources;
  sources = s;
  return 0;
}

static int its_config(oconfig_item_t *ci) {
  if (ensure_services() != 0)
    return -1;
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *c = &ci->children[i];
    if (strcasecmp(c->key, "Log") == 0)
      config_log_block(c);
    else
      CONFIG_ERROR("unknown option \"%s\" in <Plugin %s> (known: <Log>)",
                   c->key, PLUGIN_NAME);
  }
  /* Errors make init fail, which unloads this plugin alone: returning -1
   * here would make collectd refuse to start, taking every other plugin of
   * the host's monitoring down with it. */
  return 0;
}

static void on_log_message(void *ud, int severity, const char *msg) {
  (void)ud;
  plugin_log(severity, PLUGIN_NAME ": %s", msg);
}

static void submit(const source_t *s, const its_value_t *v, const char *type,
                   uint64_t rx, uint64_t tx) {
  value_t values[2] = {{.derive = (derive_t)rx}, {.derive = (derive_t)tx}};
  value_list_t vl = VALUE_LIST_INIT;
  vl.values = values;
  vl.values_len = 2;
  vl.time = TIME_T_TO_CDTIME_T(v->time);
  vl.interval = TIME_T_TO_CDTIME_T(v->interval);
  sstrncpy(vl.plugin, PLUGIN_NAME, sizeof(vl.plugin));
  sstrncpy(vl.plugin_instance, s->instance, sizeof(vl.plugin_instance));
  sstrncpy(vl.type, type, sizeof(vl.type));
  if (v->port >= 0)
    snprintf(vl.type_instance, sizeof(vl.type_instance), "%s-%d",
             its_proto_name(v->proto), v->port);
  else
    snprintf(vl.type_instance, sizeof(vl.type_instance), "%s-%s",
             its_proto_name(v->proto), v->name);
  plugin_dispatch_values(&vl);
}

static void on_value(void *ud, const its_value_t *v) {
  const source_t *s = ud;
  submit(s, v, "if_octets", v->in_bytes, v->out_bytes);
  submit(s, v, "if_packets", v->in_packets, v->out_packets);
}

static int its_read(user_data_t *ud) {
  source_t *s = ud->data;
  log_source_read(s->log, time(NULL));
  return 0;
}

static int its_init(void) {
  if (config_errors) {
    ERROR(PLUGIN_NAME ": not started: %d configuration error%s (see above)",
          config_errors, config_errors == 1 ? "" : "s");
    return -1;
  }
  if (sources == NULL) {
    WARNING(PLUGIN_NAME ": no <Log> block configured: nothing to do");
    return 0;
  }
  cdtime_t default_read_interval = plugin_get_interval();
  for (source_t *s = sources; s; s = s->next) {
    cdtime_t interval = s->read_interval > 0
                            ? DOUBLE_TO_CDTIME_T(s->read_interval)
                            : default_read_interval;
    log_source_config_t cfg = {
        .path = s->path,
        .ports = s->ports,
        .services = services,
        .replay_history = s->replay_history,
        .incomplete_block_timeout = (time_t)s->incomplete_block_timeout,
        .log_interval = (time_t)s->log_interval,
        .default_interval = (time_t)CDTIME_T_TO_TIME_T(interval),
        .max_line = (size_t)s->max_line,
        .emit = on_value,
        .log = on_log_message,
        .ud = s,
    };
    if (s->log == NULL)
      s->log = log_source_new(&cfg);
    if (s->log == NULL) {
      ERROR(PLUGIN_NAME ": <Log \"%s\">: out of memory", s->path);
      return -1;
    }
    char name[DATA_MAX_NAME_LEN * 2];
    snprintf(name, sizeof(name), PLUGIN_NAME "/log/%s", s->instance);
    user_data_t ud = {.data = s, .free_func = NULL};
    if (plugin_register_complex_read(NULL, name, its_read, interval, &ud) != 0) {
      ERROR(PLUGIN_NAME ": cannot register the read callback for %s", s->path);
      return -1;
    }
    INFO(PLUGIN_NAME ": following %s as instance \"%s\" (%s, %s)", s->path,
         s->instance,
         s->ports ? "ports filtered" : "every port in the log",
         s->replay_history ? "replaying its history" : "from its last block");
  }
  return 0;
}

static int its_shutdown(void) {
  while (sources) {
    source_t *n = sources->next;
    free_source(sources);
    sources = n;
  }
  services_free(services);
  services = NULL;
  return 0;
}

void module_register(void) {
  plugin_register_complex_config(PLUGIN_NAME, its_config);
  plugin_register_init(PLUGIN_NAME, its_init);
  plugin_register_shutdown(PLUGIN_NAME, its_shutdown);
}
