/* its_proto: the (protocol, port) vocabulary every module shares: the two
 * protocols counted, their names, and the flat index proto * 65536 + port
 * that the series table, the port set, the counters, the eBPF slot map and
 * the CLI all key on. No includes and plain C types only, so that the BPF
 * program (src/bpf/its_count.bpf.c) can include it as well. */
#ifndef ITS_PROTO_H
#define ITS_PROTO_H

typedef enum {
  ITS_PROTO_TCP = 0,
  ITS_PROTO_UDP = 1,
} its_proto_t;

#define ITS_NPROTOS 2
#define ITS_NPORTS 65536
/* Number of (protocol, port) indexes: TCP 0..65535, then UDP. */
#define ITS_NINDEXES (ITS_NPROTOS * ITS_NPORTS)

/* Longest service name a log line or a services file may give. */
#define ITS_SERVICE_NAME_MAX 32

static inline unsigned its_port_index(its_proto_t proto, unsigned port) {
  return (unsigned)proto * ITS_NPORTS + port;
}

static inline its_proto_t its_index_proto(unsigned idx) {
  return idx >= ITS_NPORTS ? ITS_PROTO_UDP : ITS_PROTO_TCP;
}

static inline unsigned its_index_port(unsigned idx) {
  return idx & (ITS_NPORTS - 1);
}

/* "tcp" or "udp", as in type instances and in the Port option. */
static inline const char *its_proto_name(its_proto_t proto) {
  return proto == ITS_PROTO_UDP ? "udp" : "tcp";
}

#endif
