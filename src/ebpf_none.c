/* The eBPF engine of a build without it (configure found no clang BPF
 * target, bpftool or libbpf): it never starts, so Method "auto" takes
 * libpcap and the configuration refuses Method "ebpf". */
#include <stdio.h>

#include "capture_engine.h"
#include "ebpf_source.h"

const int capture_ebpf_built = 0;

static void *start(const capture_config_t *cfg, char *err, size_t errlen) {
  (void)cfg;
  snprintf(err, errlen, "this build of the plugin has no eBPF method");
  return NULL;
}

static int snapshot(void *engine, port_counters_t *dst, capture_stats_t *st,
                    int timeout_ms) {
  (void)engine, (void)dst, (void)st, (void)timeout_ms;
  return 0;
}

static void stop(void *engine) { (void)engine; }

const capture_engine_ops_t capture_ebpf_engine = {start, snapshot, stop};

size_t ebpf_source_load_log(char *buf, size_t len) {
  if (len > 0)
    buf[0] = '\0';
  return 0;
}
