/* iptraf_services: collectd plugin accounting traffic per TCP/UDP port and
 * direction. This file is the thin collectd layer: configuration, read
 * callbacks and dispatch. The work is done by the modules it wires up. */
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/configfile.h" /* global_option_get */
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include <libgen.h>
#include <pthread.h>
#include <time.h>

#include "capture_engine.h"
#include "capture_open.h"
#include "log_source.h"
#include "port_counters.h"
#include "portspec.h"
#include "services.h"
#include "state_file.h"

#define PLUGIN_NAME "iptraf_services"

#define DEFAULT_INCOMPLETE_BLOCK_TIMEOUT 10
#define DEFAULT_MAX_LINE 8192
#define DEFAULT_BUFFER_MIB 32
#define DEFAULT_SNAPLEN 128
#define DEFAULT_FRAG_SLOTS 4096
#define DEFAULT_FRAG_TIMEOUT 60
/* StateFile's default: this name in collectd's BaseDir. */
#define DEFAULT_STATE_FILE "iptraf_services.state"
/* BaseDir when collectd tells none (its own default). */
#define FALLBACK_BASEDIR "/var/lib/collectd"

typedef enum { SOURCE_LOG, SOURCE_CAPTURE } source_kind_t;

typedef struct source_s {
  source_kind_t kind;
  char *instance;
  char *path;           /* <Log "path"> or <Capture "device"> */
  port_set_t *ports;    /* NULL: all (log) / the default ports (capture) */
  double read_interval; /* 0: collectd's */

  /* <Log> */
  int replay_history;
  double log_interval; /* 0: learn from the log */
  double incomplete_block_timeout;
  int max_line;
  log_source_t *log;
  /* The newest block time dispatched (from the state file, then from the
   * source); 0: none. Guarded by state_lock. */
  time_t state_time;

  /* <Capture> */
  char *file;
  char *filter;
  double buffer_mib;
  int snaplen;
  int promisc;
  int report_other;
  double frag_slots, frag_timeout, retry_interval;
  capture_method_t method;
  capture_engine_t *engine; /* libpcap or eBPF, as Method chose */
  port_counters_t snapshot;
  int snapshot_ready;
  int warned_busy;

  struct source_s *next;
} source_t;

static source_t *sources;
static int config_errors;
static services_t *services;

/* StateFile: the path as configured (NULL: the default in BaseDir), or
 * state_file_off (StateFile false). */
static char *state_file_option;
static int state_file_off;
/* The state file in use, resolved at init; NULL: no state is kept. Set
 * before the read callbacks start, freed after they stop. */
static char *state_path;
/* The read callbacks of several <Log> blocks run in several threads:
 * state_lock guards every source's state_time, the flags and the file. */
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static int state_dirty;         /* a state_time changed since the last write */
static int state_write_failing; /* said once; said again when it works */

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

/* The values as written, for messages: "text", 42, true. */
static const char *given(const oconfig_item_t *ci) {
  static __thread char buf[256];
  size_t len = 0;
  buf[0] = '\0';
  if (ci->values_num == 0)
    return "nothing";
  for (int i = 0; i < ci->values_num && len < sizeof(buf) - 1; i++) {
    const oconfig_value_t *v = &ci->values[i];
    int n;
    if (v->type == OCONFIG_TYPE_STRING)
      n = snprintf(buf + len, sizeof(buf) - len, "%s\"%s\"", i ? " " : "",
                   v->value.string);
    else if (v->type == OCONFIG_TYPE_NUMBER)
      n = snprintf(buf + len, sizeof(buf) - len, "%s%g", i ? " " : "",
                   v->value.number);
    else
      n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
                   v->value.boolean ? "true" : "false");
    if (n < 0)
      break;
    len += (size_t)n;
    if (len >= sizeof(buf))
      len = sizeof(buf) - 1;
  }
  return buf;
}

static int get_single_string(const oconfig_item_t *ci, char **out) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING) {
    CONFIG_ERROR("%s: option \"%s\" takes one string argument, "
                 "e.g. %s \"value\", not %s",
                 where(ci), ci->key, ci->key, given(ci));
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
    CONFIG_ERROR("%s: option \"%s\" takes true or false, not %s", where(ci),
                 ci->key, given(ci));
    return -1;
  }
  *out = ci->values[0].value.boolean ? 1 : 0;
  return 0;
}

static int get_number(const oconfig_item_t *ci, double min, double max,
                      double *out) {
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_NUMBER) {
    CONFIG_ERROR("%s: option \"%s\" takes one number, not %s", where(ci),
                 ci->key, given(ci));
    return -1;
  }
  double v = ci->values[0].value.number;
  if (!(v >= min && v <= max)) {
    CONFIG_ERROR("%s: option \"%s\": %g is out of range (%g to %g)", where(ci),
                 ci->key, v, min, max);
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
  char *inst = strdup(base[0] && strcmp(base, "/") != 0 ? base : "log");
  free(copy);
  return inst;
}

static void free_source(source_t *s) {
  if (s == NULL)
    return;
  log_source_free(s->log);
  capture_engine_stop(s->engine);
  if (s->snapshot_ready)
    port_counters_destroy(&s->snapshot);
  free(s->instance);
  free(s->path);
  free(s->ports);
  free(s->file);
  free(s->filter);
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

static const char *kind_name(const source_t *s) {
  return s->kind == SOURCE_LOG ? "Log" : "Capture";
}

/* Appends a configured source after checking it against the others. */
static int add_source(source_t *s) {
  for (source_t *o = sources; o; o = o->next) {
    if (o->kind == s->kind && strcmp(o->path, s->path) == 0 &&
        (s->kind == SOURCE_LOG || (o->file == NULL && s->file == NULL))) {
      CONFIG_ERROR("<%s \"%s\"> is configured twice", kind_name(s), s->path);
      return -1;
    }
    if (strcmp(o->instance, s->instance) == 0) {
      CONFIG_ERROR("<%s \"%s\"> and <%s \"%s\"> both use the instance "
                   "\"%s\": their series would mix; set Instance",
                   kind_name(o), o->path, kind_name(s), s->path, s->instance);
      return -1;
    }
  }
  source_t **tail = &sources;
  while (*tail)
    tail = &(*tail)->next;
  *tail = s;
  return 0;
}

/* The options both blocks take. Returns 1 when `c` is one of them (with
 * *rc set to -1 when its value is bad), 0 when it is not. */
static int config_common_option(source_t *s, const oconfig_item_t *c, int *rc) {
  if (strcasecmp(c->key, "Instance") == 0) {
    if (get_single_string(c, &s->instance) != 0)
      *rc = -1;
    else if (s->instance[0] == '\0' || strchr(s->instance, '/')) {
      CONFIG_ERROR("%s: Instance \"%s\" must be non-empty and contain no "
                   "'/'",
                   where(c), s->instance);
      *rc = -1;
    }
  } else if (strcasecmp(c->key, "Port") == 0) {
    if (config_port(s, c) != 0)
      *rc = -1;
  } else if (strcasecmp(c->key, "Interval") == 0) {
    if (get_number(c, 0.01, 86400, &s->read_interval) != 0)
      *rc = -1;
  } else {
    return 0;
  }
  return 1;
}

static int config_capture_block(const oconfig_item_t *ci) {
  set_current_block(ci);
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING ||
      ci->values[0].value.string[0] == '\0') {
    CONFIG_ERROR("<Capture> needs an interface name (or \"any\"), e.g. "
                 "<Capture \"eth0\">, or a name and a File option");
    return -1;
  }
  source_t *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return -1;
  s->kind = SOURCE_CAPTURE;
  s->path = strdup(ci->values[0].value.string);
  s->buffer_mib = DEFAULT_BUFFER_MIB;
  s->snaplen = DEFAULT_SNAPLEN;
  s->frag_slots = DEFAULT_FRAG_SLOTS;
  s->frag_timeout = DEFAULT_FRAG_TIMEOUT;
  s->retry_interval = 1;
  if (s->path == NULL) {
    free_source(s);
    return -1;
  }
  int rc = 0;
  for (int i = 0; i < ci->children_num; i++) {
    const oconfig_item_t *c = &ci->children[i];
    double d;
    if (config_common_option(s, c, &rc)) {
      /* Instance, Port, Interval */
    } else if (strcasecmp(c->key, "File") == 0) {
      if (get_single_string(c, &s->file) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "Filter") == 0) {
      char err[PCAP_ERRBUF_SIZE + 64];
      if (get_single_string(c, &s->filter) != 0)
        rc = -1;
      else if (capture_filter_check(s->filter, err, sizeof(err)) != 0) {
        CONFIG_ERROR("%s: option \"Filter\": \"%s\": %s", where(c), s->filter,
                     err);
        rc = -1;
      }
    } else if (strcasecmp(c->key, "BufferSize") == 0) {
      if (get_number(c, 1, 4096, &s->buffer_mib) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "SnapLen") == 0) {
      if (get_number(c, 64, 65535, &d) != 0)
        rc = -1;
      else
        s->snaplen = (int)d;
    } else if (strcasecmp(c->key, "Promiscuous") == 0) {
      if (get_bool(c, &s->promisc) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "ReportOther") == 0) {
      if (get_bool(c, &s->report_other) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "FragmentTableSize") == 0) {
      if (get_number(c, 16, 16777216, &s->frag_slots) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "FragmentTimeout") == 0) {
      if (get_number(c, 1, 3600, &s->frag_timeout) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "RetryInterval") == 0) {
      if (get_number(c, 0.1, 3600, &s->retry_interval) != 0)
        rc = -1;
    } else if (strcasecmp(c->key, "Method") == 0) {
      char *m = NULL;
      if (get_single_string(c, &m) != 0)
        rc = -1;
      else if (strcasecmp(m, "pcap") == 0)
        s->method = CAPTURE_METHOD_PCAP;
      else if (strcasecmp(m, "ebpf") == 0)
        s->method = CAPTURE_METHOD_EBPF;
      else if (strcasecmp(m, "auto") == 0)
        s->method = CAPTURE_METHOD_AUTO;
      else {
        CONFIG_ERROR("%s: option \"Method\": \"%s\" is not a method (known: "
                     "\"pcap\", \"ebpf\", \"auto\")",
                     where(c), m);
        rc = -1;
      }
      free(m);
    } else {
      CONFIG_ERROR("<Capture \"%s\">: unknown option \"%s\" (known: Instance, "
                   "Port, File, Filter, BufferSize, SnapLen, Promiscuous, "
                   "ReportOther, FragmentTableSize, FragmentTimeout, "
                   "RetryInterval, Interval, Method)",
                   s->path, c->key);
      rc = -1;
    }
  }
  if (s->instance == NULL) {
    /* The interface name, which may not hold a '/' in an identifier. */
    s->instance = strdup(s->path);
    for (char *c = s->instance; c && *c; c++)
      if (*c == '/')
        *c = '_';
  }
  if (s->instance == NULL)
    rc = -1;
  if (rc == 0 && s->method == CAPTURE_METHOD_EBPF && s->file == NULL) {
    if (!capture_ebpf_built) {
      CONFIG_ERROR(
          "<Capture \"%s\">: Method \"ebpf\": this build of the plugin "
          "has no eBPF method (configure did not find clang's BPF "
          "target, bpftool and libbpf); use Method \"pcap\" or "
          "\"auto\"",
          s->path);
      rc = -1;
    } else if (s->filter != NULL) {
      CONFIG_ERROR("<Capture \"%s\">: Filter is a libpcap filter and Method "
                   "\"ebpf\" has none (it counts TCP and UDP itself); remove "
                   "Filter or use Method \"pcap\"",
                   s->path);
      rc = -1;
    }
  }
  if (rc == 0 && s->ports == NULL) {
    /* iptraf's default: the well-known ports of both protocols. */
    s->ports = calloc(1, sizeof(*s->ports));
    if (s->ports == NULL)
      rc = -1;
    else {
      port_set_add_range(s->ports, ITS_PROTO_TCP, 0, 1023);
      port_set_add_range(s->ports, ITS_PROTO_UDP, 0, 1023);
    }
  }
  if (rc == 0)
    rc = add_source(s);
  if (rc != 0) {
    free_source(s);
    return -1;
  }
  return 0;
}

static int config_log_block(const oconfig_item_t *ci) {
  set_current_block(ci);
  if (ci->values_num != 1 || ci->values[0].type != OCONFIG_TYPE_STRING ||
      ci->values[0].value.string[0] == '\0') {
    CONFIG_ERROR("<Log> needs the log file's path: <Log "
                 "\"/var/log/iptraf-ng/tcp_udp_services-eth0.log\">");
    return -1;
  }
  source_t *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return -1;
  s->kind = SOURCE_LOG;
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
    if (config_common_option(s, c, &rc)) {
      /* Instance, Port, Interval */
    } else if (strcasecmp(c->key, "ReplayHistory") == 0) {
      if (get_bool(c, &s->replay_history) != 0)
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

  if (rc == 0)
    rc = add_source(s);
  if (rc != 0) {
    free_source(s);
    return -1;
  }
  return 0;
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
                 "e.g. StateFile \"/var/lib/collectd/" DEFAULT_STATE_FILE
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
      config_log_block(c);
    else if (strcasecmp(c->key, "Capture") == 0)
      config_capture_block(c);
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

static void on_value(void *ud, const its_value_t *v) {
  const source_t *s = ud;
  char ti[DATA_MAX_NAME_LEN];
  if (v->port >= 0)
    snprintf(ti, sizeof(ti), "%s-%d", its_proto_name(v->proto), v->port);
  else
    snprintf(ti, sizeof(ti), "%s-%s", its_proto_name(v->proto), v->name);
  cdtime_t t = TIME_T_TO_CDTIME_T(v->time);
  cdtime_t iv = TIME_T_TO_CDTIME_T(v->interval);
  submit(s, t, iv, "if_octets", ti, 2, v->in_bytes, v->out_bytes);
  submit(s, t, iv, "if_packets", ti, 2, v->in_packets, v->out_packets);
}

static void submit_pair(const source_t *s, cdtime_t now, const char *ti,
                        uint64_t rx_packets, uint64_t rx_bytes,
                        uint64_t tx_packets, uint64_t tx_bytes) {
  submit(s, now, 0, "if_octets", ti, 2, rx_bytes, tx_bytes);
  submit(s, now, 0, "if_packets", ti, 2, rx_packets, tx_packets);
}

static int capture_read(source_t *s) {
  capture_stats_t st;
  int busy;
  busy = capture_engine_snapshot(s->engine, &s->snapshot, &st, 2000);
  /* One message per change of state, not one per read. */
  if (busy != 0 && !s->warned_busy) {
    s->warned_busy = 1;
    WARNING(PLUGIN_NAME ": capture on %s did not answer within 2 s; "
                        "reporting its last counts",
            s->file ? s->file : s->path);
  } else if (busy == 0 && s->warned_busy) {
    s->warned_busy = 0;
    INFO(PLUGIN_NAME ": capture on %s answers again",
         s->file ? s->file : s->path);
  }
  cdtime_t now = cdtime();
  const port_counters_t *c = &s->snapshot;
  for (uint32_t i = 0; i < c->seen_count; i++) {
    uint32_t idx = c->seen[i];
    const port_count_t *pc = &c->ports[idx];
    char ti[DATA_MAX_NAME_LEN];
    snprintf(ti, sizeof(ti), "%s-%u", its_proto_name(its_index_proto(idx)),
             its_index_port(idx));
    submit_pair(s, now, ti, pc->in.packets, pc->in.bytes, pc->out.packets,
                pc->out.bytes);
  }
  if (s->report_other) {
    submit_pair(s, now, "tcp-other", c->other[0].packets, c->other[0].bytes, 0,
                0);
    submit_pair(s, now, "udp-other", c->other[1].packets, c->other[1].bytes, 0,
                0);
  }
  /* Always visible, so that a non-zero value is noticed. */
  submit_pair(s, now, "fragments-unattributed", c->frag_unattributed.packets,
              c->frag_unattributed.bytes, 0, 0);
  submit_pair(s, now, "malformed", c->malformed.packets, c->malformed.bytes, 0,
              0);
  if (s->file == NULL) /* eBPF: nothing is queued, so never a drop */
    submit(s, now, 0, "if_rx_dropped", "capture", 1, st.kernel_drops, 0);
  return 0;
}

/* --- the state file ------------------------------------------------------
 * For each <Log> block, the newest block time whose values were dispatched:
 * read at init, so that a restarted collectd does not dispatch them again
 * (the rrdtool plugin would reject each with an error), written whenever it
 * changes. */

/* A line of the state file: the <Log> block of that instance and path (both
 * must match: another instance means other series, another path another
 * log) starts after it. */
static void on_state_entry(void *ud, const state_entry_t *e) {
  (void)ud;
  for (source_t *s = sources; s; s = s->next)
    if (s->kind == SOURCE_LOG && strcmp(s->instance, e->instance) == 0 &&
        strcmp(s->path, e->path) == 0)
      s->state_time = (time_t)e->time;
}

/* The state file's path: StateFile, relative to BaseDir, or the default
 * name in BaseDir. NULL when none is kept (or no memory). */
static char *state_file_path(void) {
  const char *name = state_file_option ? state_file_option : DEFAULT_STATE_FILE;
  if (name[0] == '/')
    return strdup(name);
  const char *base = global_option_get("BaseDir");
  if (base == NULL || base[0] == '\0')
    base = FALLBACK_BASEDIR;
  if (base[0] != '/') /* collectd has made BaseDir its working directory */
    return strdup(name);
  size_t blen = strlen(base);
  while (blen > 1 && base[blen - 1] == '/')
    blen--;
  size_t len = blen + 1 + strlen(name) + 1;
  char *path = malloc(len);
  if (path != NULL)
    snprintf(path, len, "%.*s%s%s", (int)blen, base,
             base[blen - 1] == '/' ? "" : "/", name);
  return path;
}

/* At init, before the <Log> sources are made: where the state is kept, and
 * what it holds. Only with <Log> blocks (a capture has no state). */
static void state_init(void) {
  if (state_file_off || state_path != NULL)
    return;
  int logs = 0;
  for (source_t *s = sources; s; s = s->next)
    logs += s->kind == SOURCE_LOG;
  if (logs == 0)
    return;
  state_path = state_file_path();
  if (state_path == NULL) {
    ERROR(PLUGIN_NAME ": out of memory: no state file is kept");
    return;
  }
  state_file_read(state_path, on_state_entry, on_message, NULL);
}

/* Writes the state file. With state_lock held. */
static void state_save_locked(void) {
  size_t n = 0;
  for (source_t *s = sources; s; s = s->next)
    n += s->kind == SOURCE_LOG && s->state_time > 0;
  state_entry_t *e = calloc(n ? n : 1, sizeof(*e));
  if (e == NULL)
    return; /* still dirty: tried again */
  n = 0;
  for (source_t *s = sources; s; s = s->next)
    if (s->kind == SOURCE_LOG && s->state_time > 0)
      e[n++] = (state_entry_t){
          .instance = s->instance, .path = s->path, .time = s->state_time};
  char err[512];
  if (state_file_write(state_path, e, n, err, sizeof(err)) == 0) {
    state_dirty = 0;
    if (state_write_failing) {
      state_write_failing = 0;
      INFO(PLUGIN_NAME ": the state file %s is written again", state_path);
    }
  } else if (!state_write_failing) {
    state_write_failing = 1;
    WARNING(PLUGIN_NAME ": cannot write the state file %s: %s. Until it "
                        "is written, a restarted collectd dispatches the last "
                        "values again (the rrdtool plugin rejects them, one "
                        "error per file). Retried with each read; not reported "
                        "again until it works",
            state_path, err);
  }
  free(e);
}

/* After a read of a <Log> block: the newest block time dispatched, kept
 * when it changed. At most one write per read. */
static void state_note(source_t *s) {
  if (state_path == NULL)
    return;
  time_t t = log_source_dispatched_until(s->log);
  pthread_mutex_lock(&state_lock);
  if (t > s->state_time) {
    s->state_time = t;
    state_dirty = 1;
  }
  if (state_dirty)
    state_save_locked();
  pthread_mutex_unlock(&state_lock);
}

/* At shutdown (the read callbacks have stopped): a write that failed is
 * tried once more; then everything is forgotten. */
static void state_shutdown(void) {
  if (state_path != NULL) {
    pthread_mutex_lock(&state_lock);
    if (state_dirty)
      state_save_locked();
    pthread_mutex_unlock(&state_lock);
  }
  free(state_path);
  state_path = NULL;
  free(state_file_option);
  state_file_option = NULL;
  state_file_off = 0;
  state_dirty = 0;
  state_write_failing = 0;
}

static int its_read(user_data_t *ud) {
  source_t *s = ud->data;
  if (s->kind == SOURCE_CAPTURE)
    return capture_read(s);
  log_source_read(s->log, time(NULL));
  state_note(s);
  return 0;
}

/* The counting engine of a <Capture>, as its Method says. A capture that
 * cannot open, or a program that cannot load yet, is retried by the engine
 * itself and is no failure here. */
static int start_capture(source_t *s) {
  if (port_counters_init(&s->snapshot, s->ports, 0, 0) != 0)
    return -1;
  s->snapshot_ready = 1;
  capture_config_t cfg = {
      .name = s->path,
      .device = s->file ? NULL : s->path,
      .file = s->file,
      .ports = s->ports,
      .snaplen = s->snaplen,
      .buffer_bytes = (int)(s->buffer_mib * 1024 * 1024),
      .promisc = s->promisc,
      .filter = s->filter,
      .frag_slots = (size_t)s->frag_slots,
      .frag_ttl = (uint32_t)s->frag_timeout,
      .retry_interval = s->retry_interval,
      .log = on_message,
      .ud = s,
  };
  s->engine = capture_engine_start(s->method, &cfg);
  return s->engine ? 0 : -1;
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
    log_source_config_t cfg = {
        .path = s->path,
        .ports = s->ports,
        .services = services,
        .replay_history = s->replay_history,
        .incomplete_block_timeout = (time_t)s->incomplete_block_timeout,
        .log_interval = (time_t)s->log_interval,
        .default_interval = (time_t)CDTIME_T_TO_TIME_T(interval),
        .max_line = (size_t)s->max_line,
        .dispatched_until = s->state_time,
        .emit = on_value,
        .log = on_message,
        .ud = s,
    };
    if (s->kind == SOURCE_LOG) {
      if (s->log == NULL)
        s->log = log_source_new(&cfg);
      if (s->log == NULL) {
        ERROR(PLUGIN_NAME ": <Log \"%s\">: out of memory", s->path);
        return -1;
      }
    } else if (s->engine == NULL && start_capture(s) != 0) {
      /* Out of memory or threads, not a configuration error: this block
       * alone stops, the others go on. (What can get better, a capture
       * that cannot open or a program that cannot load, is retried by the
       * sources themselves and never fails here.) */
      ERROR(PLUGIN_NAME ": <Capture \"%s\">: cannot start (see above); "
                        "this block does nothing, the others go on",
            s->path);
      continue;
    }
    char name[DATA_MAX_NAME_LEN * 2];
    snprintf(name, sizeof(name), PLUGIN_NAME "/%s/%s",
             s->kind == SOURCE_LOG ? "log" : "capture", s->instance);
    user_data_t ud = {.data = s, .free_func = NULL};
    if (plugin_register_complex_read(NULL, name, its_read, interval, &ud) !=
        0) {
      ERROR(PLUGIN_NAME ": cannot register the read callback for %s", s->path);
      return -1;
    }
    if (s->kind == SOURCE_LOG)
      INFO(PLUGIN_NAME ": following %s as instance \"%s\" (%s, %s)", s->path,
           s->instance, s->ports ? "ports filtered" : "every port in the log",
           s->replay_history ? "replaying its history" : "from its last block");
    else
      INFO(PLUGIN_NAME ": counting %s%s as instance \"%s\" (%zu monitored "
                       "protocol/port pairs)",
           s->file ? "the capture file " : "packets on ",
           s->file ? s->file : s->path, s->instance, s->ports->count);
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
