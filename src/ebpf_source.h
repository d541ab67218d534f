/* ebpf_source: <Capture> Method "ebpf". An in-kernel counter (a socket
 * filter, src/bpf/its_count.bpf.c) attached to an AF_PACKET socket bound to
 * the interface counts every packet where it arrives and queues none to
 * user space; user space only reads the counters (a memory-mapped map).
 * A thread keeps the socket attached: a missing, deleted or re-created
 * interface is retried, with one message per change. With retry_load, a
 * program that cannot be loaded (no permission, too few resources, a
 * kernel that refuses it) is retried by the same thread too, with one
 * message per distinct error and one when it finally loads. Stopping
 * detaches the program and closes every descriptor: nothing is left in the
 * kernel. The eBPF engine of capture_engine.h (capture_ebpf_engine); uses
 * cfg's device, ports, snaplen, promisc, frag_*, retry_*, log and ud.
 * No collectd types. */
#ifndef ITS_EBPF_SOURCE_H
#define ITS_EBPF_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "capture_engine.h" /* capture_config_t, capture_stats_t */
#include "port_counters.h"
#include "portspec.h"

typedef enum {
  EBPF_OK = 0,
  EBPF_NO_PERMISSION, /* neither CAP_BPF/CAP_SYS_ADMIN nor CAP_NET_RAW */
  EBPF_FAILED,        /* the kernel refused the program or its maps */
} ebpf_status_t;

typedef struct ebpf_source_s ebpf_source_t;

/* Loads the program and starts the thread. Without cfg->retry_load, a
 * program that cannot be loaded makes it return NULL with *status and one
 * sentence in err (not logged: the caller decides whether to fall back to
 * libpcap). With retry_load it returns the source all the same: *status
 * and err say why the program is not loaded yet, which is also said
 * through cfg->log, and the thread keeps trying (after retry_interval, then
 * twice as long each time, up to a minute or retry_interval if longer).
 * NULL then means only that the source itself could not be set up (out of
 * memory or descriptors for the thread). */
ebpf_source_t *ebpf_source_start(const capture_config_t *cfg,
                                 ebpf_status_t *status, char *err,
                                 size_t errlen);

/* After ebpf_source_start() failed, in the same thread, because the kernel
 * refused the program:
 * the end of the verifier's log (up to 8 KiB, as libbpf reported it), or ""
 * when there was none. Returns its length. */
size_t ebpf_source_load_log(char *buf, size_t len);

/* Copies the counters into dst (initialised with the same ports, reused
 * between calls). Never blocks on the packet path. While the program is
 * not loaded, dst is left as it is (nothing counted) and stats->running is
 * 0. */
int ebpf_source_snapshot(ebpf_source_t *s, port_counters_t *dst,
                         capture_stats_t *stats);

/* Detaches, closes every descriptor, joins the thread. */
void ebpf_source_stop(ebpf_source_t *s);

#endif
