#include "capture_block.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capture_open.h"
#include "its_defaults.h"

#define SET(f) offsetof(capture_settings_t, f)

static int check_filter(void *settings, char *err, size_t errlen) {
  capture_settings_t *c = settings;
  char why[PCAP_ERRBUF_SIZE + 64];
  if (capture_filter_check(c->filter, why, sizeof(why)) == 0)
    return 0;
  snprintf(err, errlen, "option \"Filter\": \"%s\": %s", c->filter, why);
  return -1;
}

static int check_method(void *settings, char *err, size_t errlen) {
  static const char *const names[] = {
      [CAPTURE_METHOD_PCAP] = "pcap",
      [CAPTURE_METHOD_EBPF] = "ebpf",
      [CAPTURE_METHOD_AUTO] = "auto",
  };
  capture_settings_t *c = settings;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcasecmp(c->method_name, names[i]) == 0) {
      c->method = (capture_method_t)i;
      return 0;
    }
  snprintf(err, errlen,
           "option \"Method\": \"%s\" is not a method (known: \"pcap\", "
           "\"ebpf\", \"auto\")",
           c->method_name);
  return -1;
}

static const opt_def_t capture_options[] = {
    {"File", OPT_STRING, SET(file), 0, 0, NULL},
    {"Filter", OPT_STRING, SET(filter), 0, 0, check_filter},
    {"BufferSize", OPT_NUMBER, SET(buffer_mib), 1, 4096, NULL},
    {"SnapLen", OPT_NUMBER, SET(snaplen), 64, 65535, NULL},
    {"Promiscuous", OPT_BOOL, SET(promisc), 0, 0, NULL},
    {"ReportOther", OPT_BOOL, SET(report_other), 0, 0, NULL},
    {"FragmentTableSize", OPT_NUMBER, SET(frag_slots), 16, 16777216, NULL},
    {"FragmentTimeout", OPT_NUMBER, SET(frag_timeout), 1, 3600, NULL},
    {"RetryInterval", OPT_NUMBER, SET(retry_interval), 0.1, 3600, NULL},
    {"Method", OPT_STRING, SET(method_name), 0, 0, check_method},
    {NULL, 0, 0, 0, 0, NULL},
};

static void capture_defaults(void *settings) {
  capture_settings_t *c = settings;
  c->buffer_mib = ITS_DEFAULT_BUFFER_MIB;
  c->snaplen = ITS_DEFAULT_SNAPLEN;
  c->frag_slots = ITS_DEFAULT_FRAG_SLOTS;
  c->frag_timeout = ITS_DEFAULT_FRAG_TIMEOUT;
  c->retry_interval = ITS_DEFAULT_RETRY_INTERVAL;
}

static int capture_finish(void *settings, const char *path, port_set_t **ports,
                          char *err, size_t errlen) {
  capture_settings_t *c = settings;
  if (c->method == CAPTURE_METHOD_EBPF && c->file == NULL) {
    if (!capture_ebpf_built) {
      snprintf(err, errlen,
               "<Capture \"%s\">: Method \"ebpf\": this build of the plugin "
               "has no eBPF method (configure did not find clang's BPF "
               "target, bpftool and libbpf); use Method \"pcap\" or \"auto\"",
               path);
      return -1;
    }
    if (c->filter != NULL) {
      snprintf(err, errlen,
               "<Capture \"%s\">: Filter is a libpcap filter and Method "
               "\"ebpf\" has none (it counts TCP and UDP itself); remove "
               "Filter or use Method \"pcap\"",
               path);
      return -1;
    }
  }
  if (*ports == NULL) {
    *ports = calloc(1, sizeof(**ports));
    if (*ports == NULL) {
      snprintf(err, errlen, "<Capture \"%s\">: out of memory", path);
      return -1;
    }
    port_set_add_defaults(*ports);
  }
  return 0;
}

/* The interface name, which may not hold a '/' in an identifier. */
static char *capture_default_instance(const char *path) {
  char *inst = strdup(path);
  for (char *c = inst; c && *c; c++)
    if (*c == '/')
      *c = '_';
  return inst;
}

static int capture_same_input(const void *a, const void *b) {
  const capture_settings_t *x = a, *y = b;
  return x->file == NULL && y->file == NULL; /* files are counted apart */
}

typedef struct {
  source_env_t env;
  const capture_settings_t *settings;
  capture_engine_t *engine;
  port_counters_t snapshot;
  int warned_busy;
} capture_block_t;

static void capture_stop(void *src) {
  capture_block_t *b = src;
  if (b == NULL)
    return;
  capture_engine_stop(b->engine);
  port_counters_destroy(&b->snapshot);
  free(b);
}

static void *capture_start(const void *settings, const source_env_t *env) {
  const capture_settings_t *c = settings;
  capture_block_t *b = calloc(1, sizeof(*b));
  if (b == NULL || port_counters_init(&b->snapshot, env->ports, 0, 0) != 0) {
    its_message(env->log, env->ud, ITS_ERROR, "<Capture \"%s\">: out of memory",
                env->path);
    free(b);
    return NULL;
  }
  b->env = *env;
  b->settings = c;
  capture_config_t cfg = {
      .name = env->path,
      .device = c->file ? NULL : env->path,
      .file = c->file,
      .ports = env->ports,
      .snaplen = (int)c->snaplen,
      .buffer_bytes = (int)(c->buffer_mib * 1024 * 1024),
      .promisc = c->promisc,
      .filter = c->filter,
      .frag_slots = (size_t)c->frag_slots,
      .frag_ttl = (uint32_t)c->frag_timeout,
      .retry_interval = c->retry_interval,
      .log = env->log,
      .ud = env->ud,
  };
  b->engine = capture_engine_start(c->method, &cfg);
  if (b->engine == NULL) {
    capture_stop(b);
    return NULL;
  }
  its_message(env->log, env->ud, ITS_INFO,
              "counting %s%s as instance \"%s\" (%zu monitored protocol/port "
              "pairs)",
              c->file ? "the capture file " : "packets on ",
              c->file ? c->file : env->path, env->instance, env->ports->count);
  return b;
}

static void emit_pair(capture_block_t *b, const char *ti, const pkt_bytes_t *in,
                      const pkt_bytes_t *out) {
  source_value_t v = {.type_instance = ti,
                      .in_packets = in->packets,
                      .in_bytes = in->bytes,
                      .out_packets = out ? out->packets : 0,
                      .out_bytes = out ? out->bytes : 0};
  b->env.emit(b->env.ud, &v);
}

/* One message per change of state, not one per read. */
static void note_busy(capture_block_t *b, int busy) {
  const char *what = b->settings->file ? b->settings->file : b->env.path;
  if (busy != 0 && !b->warned_busy) {
    b->warned_busy = 1;
    its_message(b->env.log, b->env.ud, ITS_WARNING,
                "capture on %s did not answer within 2 s; reporting its last "
                "counts",
                what);
  } else if (busy == 0 && b->warned_busy) {
    b->warned_busy = 0;
    its_message(b->env.log, b->env.ud, ITS_INFO, "capture on %s answers again",
                what);
  }
}

static void capture_read(void *src, time_t now) {
  capture_block_t *b = src;
  capture_stats_t st;
  (void)now;
  note_busy(b, capture_engine_snapshot(b->engine, &b->snapshot, &st, 2000));
  const port_counters_t *c = &b->snapshot;
  for (uint32_t i = 0; i < c->seen_count; i++) {
    uint32_t idx = c->seen[i];
    char ti[32];
    snprintf(ti, sizeof(ti), "%s-%u", its_proto_name(its_index_proto(idx)),
             its_index_port(idx));
    emit_pair(b, ti, &c->ports[idx].in, &c->ports[idx].out);
  }
  if (b->settings->report_other) {
    emit_pair(b, "tcp-other", &c->other[ITS_PROTO_TCP], NULL);
    emit_pair(b, "udp-other", &c->other[ITS_PROTO_UDP], NULL);
  }
  /* Always visible, so that a non-zero value is noticed. */
  emit_pair(b, "fragments-unattributed", &c->frag_unattributed, NULL);
  emit_pair(b, "malformed", &c->malformed, NULL);
  if (b->settings->file == NULL) { /* eBPF: nothing is queued, never a drop */
    source_value_t v = {.type = "if_rx_dropped",
                        .type_instance = "capture",
                        .value = st.kernel_drops};
    b->env.emit(b->env.ud, &v);
  }
}

const source_kind_t capture_kind = {
    SOURCE_KIND_MEMBERS(capture),
    .dispatched_until = NULL, /* a capture keeps no state */
    .name = "Capture",
    .no_name = "<Capture> needs an interface name (or \"any\"), e.g. "
               "<Capture \"eth0\">, or a name and a File option",
};
