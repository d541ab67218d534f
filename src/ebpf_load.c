#include "ebpf_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_ether.h>

#include <bpf/libbpf.h>

#include "ebpf_libbpf.h"
#include "its_count.skel.h"
#include "its_defaults.h"

const char *const ebpf_permission_advice =
    "the eBPF method needs root, or CAP_BPF (or CAP_SYS_ADMIN) and "
    "CAP_NET_RAW for collectd; Method \"pcap\" needs only CAP_NET_RAW";

void ebpf_unload(ebpf_source_t *s) {
  if (s->counters)
    munmap((void *)s->counters, s->counters_len);
  s->counters = NULL;
  its_count__destroy(s->skel); /* detaches nothing: closes prog and maps */
  s->skel = NULL;
}

/* Resource shortages are not the kernel refusing the program. */
static int is_resource_error(int e) {
  return e == EMFILE || e == ENFILE || e == ENOMEM || e == EAGAIN ||
         e == ENOBUFS;
}

/* One sequence (open the object, size the maps, load, map the counters,
 * fill the port slots), each step undone at one label: kept whole so that
 * the order stays visible. */
ebpf_status_t ebpf_load_program(ebpf_source_t *s, int *errnum, char *err,
                                size_t errlen) {
  ebpf_status_t status = EBPF_FAILED;
  /* Without CAP_NET_RAW nothing can be attached: say so before loading. */
  int probe = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    *errnum = errno;
    if (errno == EPERM || errno == EACCES) {
      snprintf(err, errlen, "permission denied opening a packet socket: %s",
               ebpf_permission_advice);
      return EBPF_NO_PERMISSION;
    }
    snprintf(err, errlen, "opening a packet socket: %s", strerror(errno));
    return EBPF_FAILED;
  }
  close(probe);

  ebpf_libbpf_begin();
  s->skel = its_count__open();
  if (s->skel == NULL) {
    *errnum = errno;
    snprintf(err, errlen, "opening the embedded eBPF object: %s",
             strerror(errno));
    goto fail;
  }
  const capture_config_t *cfg = &s->cfg;
  s->skel->rodata->snaplen =
      (uint32_t)(cfg->snaplen > 0 ? cfg->snaplen : 65535);
  s->skel->rodata->frag_ttl_ns =
      (uint64_t)(cfg->frag_ttl ? cfg->frag_ttl : ITS_DEFAULT_FRAG_TIMEOUT) *
      1000000000ULL;
  if (bpf_map__set_max_entries(s->skel->maps.counters, s->slots.nslots) != 0 ||
      bpf_map__set_max_entries(s->skel->maps.frags,
                               (uint32_t)(cfg->frag_slots
                                              ? cfg->frag_slots
                                              : ITS_DEFAULT_FRAG_SLOTS)) != 0) {
    *errnum = EINVAL;
    snprintf(err, errlen, "sizing the maps failed");
    goto fail;
  }
  int rc = its_count__load(s->skel);
  if (rc != 0) {
    int e = rc < 0 ? -rc : errno;
    *errnum = e;
    char verdict[256];
    if (ebpf_libbpf_verdict(verdict, sizeof(verdict))) {
      /* The verifier says EACCES too: its log tells it from a permission
       * problem. */
      snprintf(err, errlen,
               "the kernel's verifier refused the eBPF program "
               "(%s): %s",
               strerror(e), verdict);
    } else if (e == EPERM || e == EACCES) {
      status = EBPF_NO_PERMISSION;
      snprintf(err, errlen, "permission denied loading the eBPF program: %s",
               ebpf_permission_advice);
    } else if (is_resource_error(e)) {
      snprintf(err, errlen, "not enough resources to load the eBPF program: %s",
               strerror(e));
    } else {
      snprintf(err, errlen, "the kernel refused the eBPF program (%s)%s%s",
               strerror(e), ebpf_libbpf_warning()[0] ? ": " : "",
               ebpf_libbpf_warning());
    }
    goto fail;
  }

  /* The port-to-slot map is written once, through a mapping (array map
   * elements are 8-byte aligned: a 4-byte value takes 8). */
  size_t slot_len = EBPF_PORT_SLOT_ENTRIES * 8;
  void *slot_map = mmap(NULL, slot_len, PROT_READ | PROT_WRITE, MAP_SHARED,
                        bpf_map__fd(s->skel->maps.port_slot), 0);
  if (slot_map == MAP_FAILED) {
    *errnum = errno;
    snprintf(err, errlen, "mapping the port map: %s", strerror(errno));
    goto fail;
  }
  for (uint32_t i = 0; i < EBPF_PORT_SLOT_ENTRIES; i++)
    ((uint32_t *)slot_map)[2 * i] = s->slots.slot_of[i];
  munmap(slot_map, slot_len);
  s->counters_len = (size_t)s->slots.nslots * sizeof(ebpf_counter_t);
  void *cm = mmap(NULL, s->counters_len, PROT_READ, MAP_SHARED,
                  bpf_map__fd(s->skel->maps.counters), 0);
  if (cm == MAP_FAILED) {
    *errnum = errno;
    snprintf(err, errlen, "mapping the counters: %s", strerror(errno));
    goto fail;
  }
  s->counters = cm;
  return EBPF_OK;

fail:
  ebpf_unload(s);
  return status;
}

void ebpf_load_failed(ebpf_source_t *s, int errnum, const char *err) {
  if (!retry_state_failed(&s->load_retry, errnum, NULL))
    return;
  double next =
      retry_state_delay(&s->load_retry, s->cfg.retry_interval, LOAD_RETRY_CAP);
  say(s, ITS_ERROR,
      "capture on %s: Method \"ebpf\": %s; retrying in %g s, then "
      "less often (up to every %g s)",
      s->device, err, next,
      s->cfg.retry_interval > LOAD_RETRY_CAP ? s->cfg.retry_interval
                                             : LOAD_RETRY_CAP);
}
