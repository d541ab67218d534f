/* iptraf-services-count: what would the plugin report? The same decoder and
 * counting core as the plugin, on a capture file, a live interface (with
 * libpcap, or with the plugin's in-kernel eBPF counter: -m ebpf) or an
 * iptraf log. Prints "proto port dir packets bytes" (bytes are IP bytes). */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture_engine.h"
#include "capture_open.h"
#include "count_table.h"
#include "ebpf_source.h"
#include "its_defaults.h"
#include "log_source.h"
#include "port_counters.h"
#include "portspec.h"
#include "services.h"
#include "its_config.h"

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: iptraf-services-count [-p PORTSPEC]... (-r FILE.pcap | -i "
      "IFACE -t SECONDS [-m pcap|ebpf] | -l IPTRAF.LOG)\n"
      "  -p PORTSPEC  tcp/N, udp/N, N, tcp/N-M, tcp/NAME (repeatable;\n"
      "               default tcp/0-1023 and udp/0-1023)\n"
      "  -r FILE      count a capture file\n"
      "  -i IFACE     capture live on IFACE (or \"any\") for -t SECONDS\n"
      "               (SIGINT or SIGTERM ends it early, with the table)\n"
      "  -m METHOD    live counting method: pcap (libpcap, the default) or\n"
      "               ebpf (the plugin's in-kernel counter%s)\n"
      "  -B MIB       libpcap capture ring size (default 32)\n"
      "  -l LOG       report an iptraf service-monitor log's totals\n"
      "  -h, --help   print this help\n"
      "  --version    print the version and the counting methods built in\n"
      "Prints proto, port, dir (in/out), packets, bytes (IP bytes), one\n"
      "row per (protocol, port, direction) with traffic.\n",
      capture_ebpf_built ? "" : "; not in this build");
}

static void version(void) {
  printf("iptraf-services-count (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
  printf("eBPF method (-m ebpf): %s\n",
         capture_ebpf_built ? "built in" : "not in this build");
  printf("%s\n", pcap_lib_version());
}

/* Warnings and errors of the modules; a one-shot count needs no notices. */
static void on_message(void *ud, its_severity_t sev, const char *msg) {
  (void)ud;
  if (sev <= ITS_WARNING)
    fprintf(stderr, "iptraf-services-count: %s\n", msg);
}

/* The table printed at the end. */
static count_table_t table;

/* A row, or exit: a one-shot count out of memory has nothing to print. */
static count_row_t *row_for(its_proto_t proto, int port, const char *name) {
  count_row_t *r = count_table_row(&table, proto, port, name);
  if (r == NULL) {
    fprintf(stderr, "iptraf-services-count: out of memory\n");
    exit(2);
  }
  return r;
}

static void summary(const port_counters_t *c, int ebpf) {
  if (ebpf) {
    /* The in-kernel counter keeps no frame totals (it drops what libpcap's
     * default filter would not deliver before counting anything). */
    fprintf(stderr,
            "eBPF: no frame totals; TCP/UDP on no monitored port: tcp %llu, "
            "udp %llu packets; fragments without their first fragment %llu "
            "packets (%llu bytes); malformed %llu\n",
            (unsigned long long)c->other[0].packets,
            (unsigned long long)c->other[1].packets,
            (unsigned long long)c->frag_unattributed.packets,
            (unsigned long long)c->frag_unattributed.bytes,
            (unsigned long long)c->malformed.packets);
    return;
  }
  fprintf(stderr,
          "frames %llu; not IP %llu; IP not TCP/UDP %llu; TCP/UDP on no "
          "monitored port: tcp %llu, udp %llu packets; fragments without "
          "their first fragment %llu packets (%llu bytes); malformed %llu\n",
          (unsigned long long)c->frames, (unsigned long long)c->not_ip,
          (unsigned long long)c->not_tcp_udp.packets,
          (unsigned long long)c->other[0].packets,
          (unsigned long long)c->other[1].packets,
          (unsigned long long)c->frag_unattributed.packets,
          (unsigned long long)c->frag_unattributed.bytes,
          (unsigned long long)c->malformed.packets);
}

typedef struct {
  port_counters_t *c;
  int dlt;
} pcap_ctx_t;

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
                      const u_char *bytes) {
  pcap_ctx_t *ctx = (pcap_ctx_t *)user;
  port_counters_count(ctx->c, ctx->dlt, bytes, h->caplen, h->len,
                      (uint32_t)h->ts.tv_sec);
}

/* Exit status when a capture file is cut short or damaged: the table of
 * what was read before is printed (doc/iptraf-services-count.1). */
#define EXIT_FILE_CUT 3

static int count_file(const char *path, port_counters_t *c) {
  capture_status_t st;
  char err[512];
  pcap_t *p = capture_open_file(path, NULL, &st, err, sizeof(err));
  if (p == NULL) {
    fprintf(stderr, "iptraf-services-count: %s\n", err);
    return 2;
  }
  pcap_ctx_t ctx = {c, pcap_datalink(p)};
  if (pcap_loop(p, -1, on_packet, (u_char *)&ctx) == PCAP_ERROR) {
    /* What was read before counts: the table is printed, status 3. */
    char where[PCAP_ERRBUF_SIZE + 128];
    capture_file_error_text(p, (unsigned long long)c->frames, where,
                            sizeof(where));
    fprintf(stderr,
            "iptraf-services-count: %s: %s; the table counts the %llu "
            "frames before it\n",
            path, where, (unsigned long long)c->frames);
    pcap_close(p);
    return EXIT_FILE_CUT;
  }
  pcap_close(p);
  return 0;
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

/* Both live methods capture (or decode) this much of each packet: the
 * same counts, malformed ones included. */
#define LIVE_SNAPLEN ITS_DEFAULT_SNAPLEN

static double since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) +
         (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static int count_live(const char *iface, double seconds, int buffer_mib,
                      port_counters_t *c) {
  capture_opts_t o = {.device = iface,
                      .snaplen = LIVE_SNAPLEN,
                      .buffer_bytes = buffer_mib * 1024 * 1024,
                      .timeout_ms = 100,
                      .promisc = 0,
                      .filter = NULL};
  capture_status_t st;
  char err[512];
  pcap_t *p = capture_open_live(&o, &st, err, sizeof(err));
  if (p == NULL) {
    fprintf(stderr, "iptraf-services-count: %s: %s%s\n", iface, err,
            st == CAPTURE_NO_PERMISSION
                ? " (capturing needs root or CAP_NET_RAW)"
                : "");
    return 2;
  }
  pcap_ctx_t ctx = {c, pcap_datalink(p)};
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  fprintf(stderr, "iptraf-services-count: counting on %s with libpcap\n",
          iface);
  /* Non-blocking reads with a short sleep keep the deadline exact. */
  pcap_setnonblock(p, 1, err);
  for (;;) {
    int n = pcap_dispatch(p, -1, on_packet, (u_char *)&ctx);
    if (n < 0) {
      fprintf(stderr, "iptraf-services-count: %s: %s\n", iface, pcap_geterr(p));
      break;
    }
    if (since(&start) >= seconds || interrupted)
      break;
    if (n == 0)
      usleep(2000);
  }
  /* Drain what the ring still holds. */
  while (pcap_dispatch(p, -1, on_packet, (u_char *)&ctx) > 0)
    ;
  struct pcap_stat ps;
  if (pcap_stats(p, &ps) == 0)
    fprintf(stderr, "kernel: %u packets received by the filter, %u dropped\n",
            ps.ps_recv, ps.ps_drop);
  pcap_close(p);
  return 0;
}

/* -m ebpf: the plugin's in-kernel counter (src/ebpf_source.c), read once at
 * the end. The deadline starts when the program is attached. */
static int count_live_ebpf(const char *iface, double seconds,
                           const port_set_t *ports, port_counters_t *c) {
  /* As the plugin's <Capture> defaults, but a quicker first attempt. */
  static const capture_config_t live = {.snaplen = LIVE_SNAPLEN,
                                        .frag_slots = ITS_DEFAULT_FRAG_SLOTS,
                                        .frag_ttl = ITS_DEFAULT_FRAG_TIMEOUT,
                                        .retry_interval = 0.2,
                                        .log = on_message};
  capture_config_t cfg = live;
  cfg.name = cfg.device = iface;
  cfg.ports = ports;
  /* The plugin waits for a missing interface; a one-shot count does not. */
  if (strcmp(iface, "any") != 0 && if_nametoindex(iface) == 0) {
    fprintf(stderr, "iptraf-services-count: %s: no such interface\n", iface);
    return 2;
  }
  char err[512];
  void *s = capture_ebpf_engine.start(&cfg, err, sizeof(err));
  if (s == NULL) {
    fprintf(stderr, "iptraf-services-count: %s: eBPF: %s\n", iface, err);
    char log[8192];
    if (ebpf_source_load_log(log, sizeof(log)) > 0)
      fprintf(stderr, "iptraf-services-count: the verifier's log (end):\n%s",
              log);
    return 2;
  }
  /* The program is attached by the source's thread: wait for it (its
   * failures are reported through on_message). */
  capture_stats_t stats;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    capture_ebpf_engine.snapshot(s, c, &stats, 0);
    if (stats.running || interrupted || since(&start) >= 5)
      break;
    usleep(10000);
  }
  if (!stats.running) {
    fprintf(stderr,
            "iptraf-services-count: %s: eBPF: the program could not "
            "be attached to the interface\n",
            iface);
    capture_ebpf_engine.stop(s);
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &start);
  fprintf(stderr, "iptraf-services-count: counting on %s with eBPF\n", iface);
  while (since(&start) < seconds && !interrupted)
    usleep(2000);
  /* Nothing is queued: the counters are complete once read. */
  capture_ebpf_engine.snapshot(s, c, &stats, 0);
  capture_ebpf_engine.stop(s);
  return 0;
}

static void on_log_value(void *ud, const its_value_t *v) {
  (void)ud;
  count_row_t *r = row_for(v->proto, v->port, v->name);
  r->ip = v->in_packets;
  r->ib = v->in_bytes;
  r->op = v->out_packets;
  r->ob = v->out_bytes;
}

static int count_log(const char *path, const port_set_t *ports,
                     const services_t *svc) {
  if (access(path, R_OK) != 0) {
    fprintf(stderr, "iptraf-services-count: %s: %s\n", path, strerror(errno));
    return 2;
  }
  log_source_config_t cfg = {.path = path,
                             .ports = ports,
                             .services = svc,
                             .replay_history = 1,
                             .incomplete_block_timeout = 0,
                             .default_interval = 10,
                             .max_line = 65536,
                             .emit = on_log_value,
                             .log = on_message};
  log_source_t *s = log_source_new(&cfg);
  if (s == NULL)
    return 2;
  /* One block per read, until two reads in a row neither read nor emit
   * anything (a block held back as not newer emits nothing, yet the file
   * goes on); the second one counts a cut-off last block. */
  for (int idle = 0; idle < 2;) {
    log_source_stats_t before, after;
    log_source_get_stats(s, &before);
    int n = log_source_read(s, time(NULL) + 1);
    log_source_get_stats(s, &after);
    int moved = n > 0 || after.lines != before.lines ||
                after.bytes != before.bytes || after.blocks != before.blocks;
    idle = moved ? 0 : idle + 1;
  }
  log_source_free(s);
  return 0;
}

/* What the command line asks for. */
typedef struct {
  const char *file, *iface, *logpath;
  double seconds;
  int buffer_mib;
  int have_ports;
  int ebpf;
  port_set_t *ports;
  services_t *svc;
} request_t;

/* -m METHOD: 0, or 2 with a message. */
static int parse_method(request_t *q, const char *m) {
  if (strcmp(m, "pcap") == 0) {
    q->ebpf = 0;
    return 0;
  }
  if (strcmp(m, "ebpf") != 0) {
    fprintf(stderr,
            "iptraf-services-count: -m %s: the methods are pcap and ebpf\n", m);
    return 2;
  }
  q->ebpf = 1;
  if (capture_ebpf_built)
    return 0;
  fprintf(stderr, "iptraf-services-count: -m ebpf: this build has no eBPF "
                  "method (configure found no clang BPF target, bpftool or "
                  "libbpf)\n");
  return 2;
}

/* One option: 0, 2 (a bad one, said), or -1 (done: --help, --version). */
static int parse_option(request_t *q, int opt) {
  char err[256];
  switch (opt) {
  case 'p':
    q->have_ports = 1;
    if (portspec_add(q->ports, optarg, q->svc, err, sizeof(err)) == 0)
      return 0;
    fprintf(stderr, "iptraf-services-count: -p %s\n", err);
    return 2;
  case 'r': /* one of the three: parse_args checks */
  case 'i':
  case 'l':
    *(opt == 'r' ? &q->file : opt == 'i' ? &q->iface : &q->logpath) = optarg;
    return 0;
  case 't':
    q->seconds = atof(optarg);
    return 0;
  case 'B':
    q->buffer_mib = atoi(optarg);
    if (q->buffer_mib >= 1 && q->buffer_mib <= 4096)
      return 0;
    fprintf(stderr, "iptraf-services-count: -B: 1 to 4096 MiB\n");
    return 2;
  case 'm':
    return parse_method(q, optarg);
  case 'h':
    usage(stdout);
    return -1;
  case 'V':
    version();
    return -1;
  default:
    usage(stderr);
    return 2;
  }
}

static int parse_args(request_t *q, int argc, char **argv) {
  /* Long forms only for what users type without reading the man page. */
  static const struct option long_options[] = {
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0}};
  int opt, rc = 0;
  while (rc == 0 && (opt = getopt_long(argc, argv, "p:r:i:t:l:B:m:h",
                                       long_options, NULL)) != -1)
    rc = parse_option(q, opt);
  if (rc == 0 &&
      (optind != argc || (!!q->file + !!q->iface + !!q->logpath) != 1 ||
       (q->iface && q->seconds <= 0))) {
    usage(stderr);
    rc = 2;
  }
  if (rc == 0 && q->ebpf && !q->iface) {
    fprintf(stderr, "iptraf-services-count: -m ebpf counts live only (-i); "
                    "files and logs are read in user space\n");
    rc = 2;
  }
  return rc;
}

/* A capture file or a live interface, into the table. */
static int count_packets(const request_t *q) {
  if (!q->have_ports)
    port_set_add_defaults(q->ports);
  port_counters_t c;
  if (port_counters_init(&c, q->ports, ITS_DEFAULT_FRAG_SLOTS,
                         ITS_DEFAULT_FRAG_TIMEOUT) != 0) {
    fprintf(stderr, "iptraf-services-count: out of memory\n");
    return 2;
  }
  int rc;
  if (q->iface) { /* live: a signal ends the count, the table is printed */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
  }
  if (q->file)
    rc = count_file(q->file, &c);
  else if (q->ebpf)
    rc = count_live_ebpf(q->iface, q->seconds, q->ports, &c);
  else
    rc = count_live(q->iface, q->seconds, q->buffer_mib, &c);
  if (rc == 0 || rc == EXIT_FILE_CUT) {
    if (count_table_add(&table, &c) != 0) {
      fprintf(stderr, "iptraf-services-count: out of memory\n");
      rc = 2;
    }
    summary(&c, q->ebpf);
  }
  port_counters_destroy(&c);
  return rc;
}

int main(int argc, char **argv) {
  request_t q = {.seconds = -1, .buffer_mib = ITS_DEFAULT_BUFFER_MIB};
  q.ports = calloc(1, sizeof(*q.ports));
  q.svc = services_new();
  if (q.ports == NULL || q.svc == NULL) {
    fprintf(stderr, "iptraf-services-count: out of memory\n");
    return 2;
  }
  services_load_system(q.svc);
  int rc = parse_args(&q, argc, argv);
  if (rc == 0)
    rc = q.logpath ? count_log(q.logpath, q.have_ports ? q.ports : NULL, q.svc)
                   : count_packets(&q);
  if (rc == 0 || rc == EXIT_FILE_CUT)
    count_table_print(&table, stdout);
  count_table_free(&table);
  free(q.ports);
  services_free(q.svc);
  return rc < 0 ? 0 : rc;
}
