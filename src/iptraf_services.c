/* iptraf_services: collectd plugin accounting traffic per TCP/UDP port and
 * direction. This file is the thin collectd layer: it walks the
 * configuration, starts each block through the source interface
 * (source.h) without knowing its kind, dispatches what the sources emit
 * and keeps the state file. The work is done by the modules it wires up. */
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/configfile.h" /* global_option_get */
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include <ctype.h>
#include <stddef.h>
#include <time.h>

#include "its_defaults.h"
#include "portspec.h"
#include "services.h"
#include "source.h"
#include "source_options.h"
#include "state_keeper.h"

#define PLUGIN_NAME "iptraf_services"

/* One <Log> or <Capture> block. */
typedef struct source_s {
  const source_kind_t *kind;
  char *instance;
  char *path;           /* <Log "path"> or <Capture "device"> */
  port_set_t *ports;    /* NULL: every port (a <Log> without Port) */
  double read_interval; /* 0: collectd's */
  void *settings;       /* the kind's options (kind->options) */
  void *running;        /* the started source; NULL before init */
  cdtime_t read_time;   /* of this read's values that carry no time; 0:
                           taken at the first of them */
  int state_slot;       /* in the state keeper; -1: its kind keeps no state */
  struct source_s *next;
} source_t;

static source_t *sources;
static int config_errors;
static services_t *services;

/* StateFile: the path as configured (NULL: the default in BaseDir), or
 * state_file_off (StateFile false). */
static char *state_file_option;
static int state_file_off;
/* Every <Log> block's newest block time dispatched, and the file it is
 * kept in (set up at init, before the read callbacks start). */
static state_keeper_t state;

#define CONFIG_ERROR(...)                                                      \
  do {                                                                         \
    ERROR(PLUGIN_NAME ": " __VA_ARGS__);                                       \
    config_errors++;                                                           \
  } while (0)

/* The block being configured, for messages: <Log "path">, <Capture "eth0">.
 * (collectd does not fill in oconfig_item_t's parent.) Configuration runs in
 * one thread. */
static char current_block[512] = "<Plugin iptraf_services>";

static void set_current_block(const oconfig_item_t *ci) {
  snprintf(current_block, sizeof(current_block), "<%s \"%s\">", ci->key,
           ci->values_num > 0 && ci->values[0].type == OCONFIG_TYPE_STRING
               ? ci->values[0].value.string
               : "");
}

static const char *where(const oconfig_item_t *ci) {
  (void)ci;
  return current_block;
}

/* Up to this many values of one option are looked at. */
#define MAX_OPTION_VALUES 64

/* An oconfig item as the source_options module takes it. */
static void to_item(const oconfig_item_t *ci, opt_item_t *it,
                    opt_value_t values[MAX_OPTION_VALUES]) {
  int n =
      ci->values_num < MAX_OPTION_VALUES ? ci->values_num : MAX_OPTION_VALUES;
  for (int i = 0; i < n; i++) {
    const oconfig_value_t *v = &ci->values[i];
    values[i] = (opt_value_t){.type = OPT_VALUE_BOOLEAN};
    if (v->type == OCONFIG_TYPE_STRING)
      values[i] = (opt_value_t){OPT_VALUE_STRING, v->value.string, 0, 0};
    else if (v->type == OCONFIG_TYPE_NUMBER)
      values[i] = (opt_value_t){OPT_VALUE_NUMBER, NULL, v->value.number, 0};
    else
      values[i].boolean = v->value.boolean;
  }
  *it = (opt_item_t){.key = ci->key, .values = values, .nvalues = n};
}

/* The values as written, for messages: "text", 42, true. */
static const char *given(const oconfig_item_t *ci) {
  static __thread char buf[256];
  opt_value_t values[MAX_OPTION_VALUES];
  opt_item_t it;
  to_item(ci, &it, values);
  opt_given(&it, buf, sizeof(buf));
  return buf;
}

static int check_instance(void *settings, char *err, size_t errlen) {
  const source_t *s = settings;
  if (s->instance[0] != '\0' && strchr(s->instance, '/') == NULL)
    return 0;
  snprintf(err, errlen, "Instance \"%s\" must be non-empty and contain no '/'",
           s->instance);
  return -1;
}

/* The options every block takes, besides Port (config_port). */
static const opt_def_t common_options[] = {
    {"Instance", OPT_STRING, offsetof(source_t, instance), 0, 0,
     check_instance},
    {"Interval", OPT_NUMBER, offsetof(source_t, read_interval), 0.01, 86400,
     NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static void free_source(source_t *s) {
  if (s == NULL)
    return;
  if (s->running)
    s->kind->stop(s->running);
  if (s->settings)
    opt_free_strings(s->kind->options, s->settings);
  free(s->settings);
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
    CONFIG_ERROR("%s: option \"Port\" needs at least one value, "
                 "e.g. Port \"tcp/22\" \"udp/53\"",
                 where(ci));
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
      CONFIG_ERROR("%s: option \"Port\": expected strings such as "
                   "\"tcp/22\"",
                   where(ci));
      rc = -1;
      continue;
    }
    if (portspec_add(s->ports, spec, services, err, sizeof(err)) != 0) {
      CONFIG_ERROR("%s: option \"Port\": %s", where(ci), err);
      rc = -1;
    }
  }
  return rc;
}

/* Appends a configured source after checking it against the others. */
static int add_source(source_t *s) {
  for (source_t *o = sources; o; o = o->next) {
    if (o->kind == s->kind && strcmp(o->path, s->path) == 0 &&
        s->kind->same_input(o->settings, s->settings)) {
      CONFIG_ERROR("<%s \"%s\"> is configured twice", s->kind->name, s->path);
      return -1;
    }
    if (strcmp(o->instance, s->instance) == 0) {
      CONFIG_ERROR("<%s \"%s\"> and <%s \"%s\"> both use the instance "
                   "\"%s\": their series would mix; set Instance",
                   o->kind->name, o->path, s->kind->name, s->path, s->instance);
      return -1;
    }
  }
  source_t **tail = &sources;
  while (*tail)
    tail = &(*tail)->next;
  *tail = s;
  return 0;
}

/* One option of a block: Port, a common option or one of its kind's. */
static int config_option(source_t *s, const oconfig_item_t *c) {
  if (strcasecmp(c->key, "Port") == 0)
    return config_port(s, c);
  opt_value_t values[MAX_OPTION_VALUES];
  opt_item_t it;
  char err[1024];
  to_item(c, &it, values);
  int rc = opt_apply(common_options, s, &it, err, sizeof(err));
  if (rc == 1)
    rc = opt_apply(s->kind->options, s->settings, &it, err, sizeof(err));
  if (rc == 1) {
    char known[512] = "";
    opt_known(common_options, known, sizeof(known));
    opt_known(s->kind->options, known, sizeof(known));
    CONFIG_ERROR("<%s \"%s\">: unknown option \"%s\" (known: %s, Port)",
                 s->kind->name, s->path, c->key, known);
  } else if (rc != 0) {
    CONFIG_ERROR("%s: %s", where(c), err);
  }
  return rc == 0 ? 0 : -1;
}

static source_t *new_source(const source_kind_t *kind, const char *path) {
  source_t *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->kind = kind;
  s->path = strdup(path);
  s->settings = calloc(1, kind->settings_size);
  if (s->path == NULL || s->settings == NULL) {
    free_source(s);
    return NULL;
  }
  kind->defaults(s->settings);
  return s;
}

/* After the options: the kind's checks and defaults, then the source joins
 * the others; freed when anything is wrong. */
static int finish_source(source_t *s, int rc) {
  char err[1024];
  if (s->instance == NULL)
    s->instance = s->kind->default_instance(s->path);
  if (s->instance == NULL)
    rc = -1;
  if (rc == 0 &&
      s->kind->finish(s->settings, s->path, &s->ports, err, sizeof(err)) != 0) {
    CONFIG_ERROR("%s", err);
    rc = -1;
  }
  if (rc == 0)
    rc = add_source(s);
  if (rc != 0)
    free_source(s);
  return rc;
}

static int config_block(const source_kind_t *kind, const oconfig_item_t *ci) {
  set_current_block(ci);
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING ||
      ci->values[0].value.string[0] == '\0') {
    CONFIG_ERROR("%s", kind->no_name);
    return -1;
  }
  source_t *s = new_source(kind, ci->values[0].value.string);
  if (s == NULL) {
    CONFIG_ERROR("%s: out of memory", where(ci));
    return -1;
  }
  int rc = 0;
  for (int i = 0; i < ci->children_num; i++)
    if (config_option(s, &ci->children[i]) != 0)
      rc = -1;
  return finish_source(s, rc);
}

/* StateFile "path" | StateFile false (no state file) | StateFile true (the
 * default path). */
static void config_state_file(const oconfig_item_t *c) {
  if (c->values_num == 1 && c->values[0].type == OCONFIG_TYPE_BOOLEAN) {
    free(state_file_option);
    state_file_option = NULL;
    state_file_off = !c->values[0].value.boolean;
    return;
  }
  if (c->values_num != 1 || c->values[0].type != OCONFIG_TYPE_STRING) {
    CONFIG_ERROR("<Plugin %s>: option \"StateFile\" takes a path or false, "
                 "e.g. StateFile \"/var/lib/collectd/" ITS_DEFAULT_STATE_FILE
                 "\", not %s",
                 PLUGIN_NAME, given(c));
    return;
  }
  if (c->values[0].value.string[0] == '\0') {
    CONFIG_ERROR("<Plugin %s>: option \"StateFile\": an empty path; to keep "
                 "no state file, write StateFile false",
                 PLUGIN_NAME);
    return;
  }
  char *path = strdup(c->values[0].value.string);
  if (path == NULL) {
    CONFIG_ERROR("<Plugin %s>: out of memory", PLUGIN_NAME);
    return;
  }
  free(state_file_option);
  state_file_option = path;
  state_file_off = 0;
}

static int its_config(oconfig_item_t *ci) {
  if (ensure_services() != 0)
    return -1;
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *c = &ci->children[i];
    if (strcasecmp(c->key, "Log") == 0)
      config_block(&log_kind, c);
    else if (strcasecmp(c->key, "Capture") == 0)
      config_block(&capture_kind, c);
    else if (strcasecmp(c->key, "StateFile") == 0)
      config_state_file(c);
    else
      CONFIG_ERROR("unknown option \"%s\" in <Plugin %s> (known: <Log>, "
                   "<Capture>, StateFile)",
                   c->key, PLUGIN_NAME);
  }
  /* Errors make init fail, which unloads this plugin alone: returning -1
   * here would make collectd refuse to start, taking every other plugin of
   * the host's monitoring down with it. */
  return 0;
}

/* The one message callback of every module: collectd's log. */
static void on_message(void *ud, its_severity_t severity, const char *msg) {
  (void)ud;
  plugin_log((int)severity, PLUGIN_NAME ": %s", msg);
}

/* Dispatches one value list. `time` 0 lets collectd stamp it now; `interval`
 * 0 takes the read callback's. `nvalues` 1 or 2 (rx, tx). */
static void submit(const source_t *s, cdtime_t time, cdtime_t interval,
                   const char *type, const char *type_instance, int nvalues,
                   uint64_t rx, uint64_t tx) {
  value_t values[2] = {{.derive = (derive_t)rx}, {.derive = (derive_t)tx}};
  value_list_t vl = VALUE_LIST_INIT;
  vl.values = values;
  vl.values_len = (size_t)nvalues;
  vl.time = time;
  vl.interval = interval;
  sstrncpy(vl.plugin, PLUGIN_NAME, sizeof(vl.plugin));
  sstrncpy(vl.plugin_instance, s->instance, sizeof(vl.plugin_instance));
  sstrncpy(vl.type, type, sizeof(vl.type));
  sstrncpy(vl.type_instance, type_instance, sizeof(vl.type_instance));
  plugin_dispatch_values(&vl);
}

/* What a source emits: one value list, or the if_octets / if_packets pair. */
static void on_source_value(void *ud, const source_value_t *v) {
  source_t *s = ud;
  if (v->time == 0 && s->read_time == 0)
    s->read_time = cdtime();
  cdtime_t t = v->time ? TIME_T_TO_CDTIME_T(v->time) : s->read_time;
  cdtime_t iv = TIME_T_TO_CDTIME_T(v->interval);
  if (v->type != NULL) {
    submit(s, t, iv, v->type, v->type_instance, 1, v->value, 0);
    return;
  }
  submit(s, t, iv, "if_octets", v->type_instance, 2, v->in_bytes, v->out_bytes);
  submit(s, t, iv, "if_packets", v->type_instance, 2, v->in_packets,
         v->out_packets);
}

/* At init, before the <Log> sources are made: where the state is kept, and
 * what it holds. Only with <Log> blocks (a capture has no state). */
static void state_init(void) {
  int logs = 0;
  state_keeper_init(&state, on_message, NULL);
  for (source_t *s = sources; s; s = s->next) {
    s->state_slot = -1;
    if (!state_file_off && s->kind->dispatched_until &&
        (s->state_slot = state_keeper_add(&state, s->instance, s->path)) >= 0)
      logs++;
  }
  if (logs == 0)
    return;
  char *path =
      state_keeper_resolve(state_file_option, global_option_get("BaseDir"));
  if (path == NULL)
    ERROR(PLUGIN_NAME ": out of memory: no state file is kept");
  state_keeper_open(&state, path);
}

static void state_shutdown(void) {
  state_keeper_close(&state);
  free(state_file_option);
  state_file_option = NULL;
  state_file_off = 0;
}

static int its_read(user_data_t *ud) {
  source_t *s = ud->data;
  s->read_time = 0;
  s->kind->read(s->running, time(NULL));
  if (s->state_slot >= 0) /* at most one write per read */
    state_keeper_note(&state, s->state_slot,
                      s->kind->dispatched_until(s->running));
  return 0;
}

static int start_source(source_t *s, cdtime_t interval) {
  source_env_t env = {
      .path = s->path,
      .instance = s->instance,
      .ports = s->ports,
      .services = services,
      .default_interval = (time_t)CDTIME_T_TO_TIME_T(interval),
      .dispatched_until =
          s->state_slot >= 0 ? state_keeper_time(&state, s->state_slot) : 0,
      .emit = on_source_value,
      .log = on_message,
      .ud = s,
  };
  s->running = s->kind->start(s->settings, &env);
  return s->running ? 0 : -1;
}

static int its_init(void) {
  if (config_errors) {
    ERROR(PLUGIN_NAME ": not started: %d configuration error%s (see above)",
          config_errors, config_errors == 1 ? "" : "s");
    return -1;
  }
  if (sources == NULL) {
    WARNING(PLUGIN_NAME ": no <Log> or <Capture> block configured: nothing "
                        "to do");
    return 0;
  }
  state_init();
  cdtime_t default_read_interval = plugin_get_interval();
  for (source_t *s = sources; s; s = s->next) {
    cdtime_t interval = s->read_interval > 0
                            ? DOUBLE_TO_CDTIME_T(s->read_interval)
                            : default_read_interval;
    if (s->running == NULL && start_source(s, interval) != 0) {
      /* Out of memory or threads, not a configuration error: this block
       * alone stops, the others go on. (What can get better, a capture
       * that cannot open or a program that cannot load, is retried by the
       * sources themselves and never fails here.) */
      ERROR(PLUGIN_NAME ": <%s \"%s\">: cannot start (see above); this block "
                        "does nothing, the others go on",
            s->kind->name, s->path);
      continue;
    }
    char name[DATA_MAX_NAME_LEN * 2];
    snprintf(name, sizeof(name), PLUGIN_NAME "/%s/%s", s->kind->name,
             s->instance);
    for (char *c = name + strlen(PLUGIN_NAME "/"); *c && *c != '/'; c++)
      *c = (char)tolower((unsigned char)*c); /* "log", "capture" */
    user_data_t ud = {.data = s, .free_func = NULL};
    if (plugin_register_complex_read(NULL, name, its_read, interval, &ud) !=
        0) {
      ERROR(PLUGIN_NAME ": cannot register the read callback for %s", s->path);
      return -1;
    }
  }
  return 0;
}

static int its_shutdown(void) {
  state_shutdown();
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
