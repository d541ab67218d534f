#include "capture_engine.h"

#include <stdlib.h>

struct capture_engine_s {
  const capture_engine_ops_t *ops;
  void *engine;
};

#define say(cfg, sev, ...)                                                     \
  its_message((cfg)->log, (cfg)->ud, (sev), __VA_ARGS__)

/* Why Method "auto" takes libpcap without trying eBPF, or NULL. */
static const char *auto_skips_ebpf(const capture_config_t *cfg) {
  if (!capture_ebpf_built)
    return "this build has no eBPF method";
  if (cfg->filter != NULL)
    return "a Filter is set";
  return NULL;
}

/* The eBPF engine for Method "ebpf", and for "auto" when it loads; NULL
 * for "auto" to go on with libpcap; *failed when Method "ebpf" cannot. */
static void *start_ebpf(capture_method_t method, const capture_config_t *cfg,
                        int *failed) {
  capture_config_t c = *cfg;
  char err[512];
  c.retry_load = method == CAPTURE_METHOD_EBPF;
  void *e = capture_ebpf_engine.start(&c, err, sizeof(err));
  if (e != NULL) { /* loaded, or (Method "ebpf") being retried */
    if (method == CAPTURE_METHOD_AUTO)
      say(cfg, ITS_INFO, "capture on %s: Method \"auto\" took eBPF", cfg->name);
  } else if (method == CAPTURE_METHOD_AUTO) {
    say(cfg, ITS_WARNING,
        "capture on %s: Method \"auto\": eBPF is not available (%s); "
        "counting with libpcap instead",
        cfg->name, err);
  } else {
    say(cfg, ITS_ERROR, "capture on %s: Method \"ebpf\": %s", cfg->name, err);
    *failed = 1;
  }
  return e;
}

capture_engine_t *capture_engine_start(capture_method_t method,
                                       const capture_config_t *cfg) {
  capture_engine_t *e = calloc(1, sizeof(*e));
  if (e == NULL) {
    say(cfg, ITS_ERROR, "capture on %s: out of memory", cfg->name);
    return NULL;
  }
  const char *why = NULL;
  if (cfg->file != NULL) {
    if (method == CAPTURE_METHOD_EBPF)
      say(cfg, ITS_INFO,
          "<Capture \"%s\">: a capture file is always read with libpcap; "
          "Method \"ebpf\" applies to interfaces",
          cfg->name);
  } else if (method == CAPTURE_METHOD_AUTO && (why = auto_skips_ebpf(cfg))) {
    say(cfg, ITS_INFO, "capture on %s: Method \"auto\" takes libpcap (%s)",
        cfg->name, why);
  } else if (method != CAPTURE_METHOD_PCAP) {
    int failed = 0;
    e->ops = &capture_ebpf_engine;
    e->engine = start_ebpf(method, cfg, &failed);
    if (failed) {
      free(e);
      return NULL;
    }
  }
  if (e->engine == NULL) {
    char err[512];
    e->ops = &capture_pcap_engine;
    e->engine = capture_pcap_engine.start(cfg, err, sizeof(err));
  }
  if (e->engine == NULL) { /* libpcap's start has said why */
    free(e);
    return NULL;
  }
  return e;
}

int capture_engine_snapshot(capture_engine_t *e, port_counters_t *dst,
                            capture_stats_t *st, int timeout_ms) {
  return e->ops->snapshot(e->engine, dst, st, timeout_ms);
}

void capture_engine_stop(capture_engine_t *e) {
  if (e == NULL)
    return;
  e->ops->stop(e->engine);
  free(e);
}
