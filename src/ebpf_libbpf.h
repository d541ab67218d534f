/* ebpf_libbpf: libbpf's messages, caught for ebpf_source's own. libbpf
 * prints through one process-wide hook; the hook keeps, per thread, the
 * last warning (its generic RLIMIT_MEMLOCK hint on EPERM is misleading, so
 * never kept) and the end of the verifier's log of the last program the
 * kernel refused. Each source loads in its own thread. */
#ifndef ITS_EBPF_LIBBPF_H
#define ITS_EBPF_LIBBPF_H

#include <stddef.h>

/* Installs the hook (once) and forgets this thread's earlier messages:
 * before a load. */
void ebpf_libbpf_begin(void);

/* This thread's last libbpf warning since ebpf_libbpf_begin(), or "". */
const char *ebpf_libbpf_warning(void);

/* The verifier's reason (the last line of its log before the statistics)
 * into out, and 1; 0 when no program was refused by it. */
int ebpf_libbpf_verdict(char *out, size_t outlen);

/* The end of the verifier's log (up to 8 KiB), or ""; its length. */
size_t ebpf_libbpf_load_log(char *buf, size_t len);

#endif
