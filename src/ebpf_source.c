#include "ebpf_source.h"
#include "its_defaults.h"
#include "its_message.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "ebpf_slots.h"
#include "its_count.skel.h"
#include "ebpf_internal.h"
#include "ebpf_libbpf.h"
#include "netif.h"
#include "retry_state.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

static void free_source(ebpf_source_t *s) {
  ebpf_unload(s);
  ebpf_slots_free(&s->slots);
  if (s->wake_fd >= 0)
    close(s->wake_fd);
  if (s->link_fd >= 0)
    close(s->link_fd);
  free(s->device);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

static int stopping(ebpf_source_t *s) {
  pthread_mutex_lock(&s->lock);
  int stop = s->stop;
  pthread_mutex_unlock(&s->lock);
  return stop;
}

/* Waits up to `seconds` (< 0: for ever): 1 on stop, 2 when `sock` has an
 * error to report, 3 when some interface changed (only while attached, to
 * `sock`), 0 otherwise. */
static int wait_event(ebpf_source_t *s, int sock, double seconds) {
  struct pollfd p[3] = {{.fd = s->wake_fd, .events = POLLIN},
                        {.fd = sock, .events = 0},
                        {.fd = s->link_fd, .events = POLLIN}};
  int rc = poll(p, sock >= 0 ? 3 : 1, seconds < 0 ? -1 : (int)(seconds * 1000));
  if (stopping(s))
    return 1;
  if (rc > 0 && sock >= 0 && p[1].revents)
    return 2;
  if (rc > 0 && sock >= 0 && p[2].revents) {
    netif_events_drain(s->link_fd);
    return 3;
  }
  return 0;
}

typedef enum {
  ST_NONE,
  ST_MISSING,
  ST_NO_PERMISSION,
  ST_UNSUPPORTED,
  ST_FAILED,
  ST_DOWN,
} attach_state_t;

/* Opens, configures, attaches and binds a socket to `ifindex`. Returns the
 * socket, or -1 with *state and err set. One sequence of socket steps, each
 * undone on failure. */
static int attach(ebpf_source_t *s, int ifindex, attach_state_t *state,
                  char *err, size_t errlen) {
  /* Like libpcap: the link header as the device has it (SOCK_RAW), or
   * libpcap's cooked view for "any" (SOCK_DGRAM: from the IP header). */
  uint32_t mode = EBPF_MODE_COOKED;
  int is_lo = 0;
  if (!s->any) {
    int type = netif_type(s->device);
    if (type < 0) {
      *state = errno == ENODEV ? ST_MISSING : ST_FAILED;
      snprintf(err, errlen, "reading the link type: %s", strerror(errno));
      return -1;
    }
    int hdr = ebpf_link_header_len(type);
    if (hdr < 0) {
      *state = ST_UNSUPPORTED;
      snprintf(err, errlen,
               "link type %d (ARPHRD_*) is not supported by the eBPF method; "
               "use Method \"pcap\"",
               type);
      return -1;
    }
    mode = hdr == 14 ? EBPF_MODE_ETHERNET : EBPF_MODE_RAW_IP;
    is_lo = type == ARPHRD_LOOPBACK;
  }
  int sock = socket(
      AF_PACKET,
      (mode == EBPF_MODE_COOKED ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    *state = (errno == EPERM || errno == EACCES) ? ST_NO_PERMISSION : ST_FAILED;
    snprintf(err, errlen, "opening a packet socket: %s", strerror(errno));
    return -1;
  }
  /* On loopback each packet passes twice, going out and coming in; count
   * it once, as libpcap does. Never elsewhere: outgoing traffic would
   * vanish. On "any" the program drops outgoing copies on lo itself. */
  int one = 1;
  if (is_lo && setsockopt(sock, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
                          sizeof(one)) != 0) {
    *state = ST_FAILED;
    snprintf(err, errlen, "PACKET_IGNORE_OUTGOING: %s", strerror(errno));
    close(sock);
    return -1;
  }
  s->skel->bss->link_mode = mode;
  s->skel->bss->lo_ifindex =
      is_lo ? (uint32_t)ifindex : (s->any ? if_nametoindex("lo") : 0);
  int prog = bpf_program__fd(s->skel->progs.its_count);
  if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog)) != 0) {
    *state = (errno == EPERM || errno == EACCES) ? ST_NO_PERMISSION : ST_FAILED;
    snprintf(err, errlen, "attaching the program: %s", strerror(errno));
    close(sock);
    return -1;
  }
  if (s->cfg.promisc && !s->any) {
    struct packet_mreq mr = {.mr_ifindex = ifindex,
                             .mr_type = PACKET_MR_PROMISC};
    if (setsockopt(sock, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) !=
        0) {
      *state = ST_FAILED;
      snprintf(err, errlen, "promiscuous mode: %s", strerror(errno));
      close(sock);
      return -1;
    }
  }
  /* The program is attached before the socket is bound: no packet can be
   * queued before it filters them all out. */
  struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                            .sll_protocol = htons(ETH_P_ALL),
                            .sll_ifindex = ifindex};
  if (bind(sock, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
    *state = errno == ENODEV ? ST_MISSING : ST_FAILED;
    snprintf(err, errlen, "binding to the interface: %s", strerror(errno));
    close(sock);
    return -1;
  }
  return sock;
}

static void set_running(ebpf_source_t *s, int running, int reopened) {
  pthread_mutex_lock(&s->lock);
  s->stats.running = running;
  if (reopened)
    s->stats.reopens++;
  pthread_mutex_unlock(&s->lock);
}

/* Until the program is loaded: returns 1 when it is, 0 on stop. */
static int load_thread_part(ebpf_source_t *s) {
  for (;;) {
    double delay = retry_state_delay(&s->load_retry, s->cfg.retry_interval,
                                     LOAD_RETRY_CAP);
    if (wait_event(s, -1, delay) == 1)
      return 0;
    int errnum = 0;
    char err[512] = "";
    if (ebpf_load_program(s, &errnum, err, sizeof(err)) == EBPF_OK)
      break;
    ebpf_load_failed(s, errnum, err);
  }
  unsigned failed = retry_state_succeeded(&s->load_retry);
  say(s, ITS_INFO,
      "capture on %s: Method \"ebpf\" loaded after %u failed "
      "attempt%s",
      s->device, failed, failed == 1 ? "" : "s");
  pthread_mutex_lock(&s->lock);
  s->loaded = 1;
  pthread_mutex_unlock(&s->lock);
  return 1;
}

/* What the watcher remembers between two attachments. */
typedef struct {
  retry_state_t retry;
  int error_said; /* an ERROR since the last start: say how it ended */
  int ever;       /* attached once */
} attach_history_t;

/* One message per distinct error, not one per attempt. */
static void say_attach_failed(ebpf_source_t *s, attach_history_t *h,
                              attach_state_t st, const char *err) {
  if (!retry_state_failed(&h->retry, (int)st, err))
    return;
  if (st == ST_MISSING)
    say(s, ITS_WARNING,
        "capture on %s: the interface does not exist (yet); waiting for it",
        s->device);
  else if (st == ST_NO_PERMISSION)
    say(s, ITS_ERROR, "capture on %s: permission denied (%s): %s; retrying",
        s->device, err, ebpf_permission_advice);
  else
    say(s, ITS_ERROR, "capture on %s: %s; retrying", s->device, err);
  h->error_said |= st != ST_MISSING;
}

static void say_attached(ebpf_source_t *s, attach_history_t *h) {
  unsigned failed = retry_state_succeeded(&h->retry);
  char after[64];
  retry_state_after_text(failed, h->error_said, after, sizeof(after));
  say(s, ITS_INFO,
      "capture on %s: %s (eBPF socket filter, nothing queued to user "
      "space)%s",
      s->device, h->ever ? "resumed" : "started", after);
  set_running(s, 1, h->ever);
  h->ever = 1;
  h->error_said = 0;
}

/* Counting happens in the kernel; this thread only watches the socket: a
 * deleted interface leaves it unbound (ENETDOWN), a downed one keeps it
 * bound and counting resumes when the interface is up again. Returns on
 * stop, or when the interface is gone (to re-attach). */
static void watch(ebpf_source_t *s, int sock, int ifindex) {
  int down_said = 0;
  for (;;) {
    int ev = wait_event(s, sock, s->cfg.retry_interval);
    if (ev == 1)
      return;
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (ev == 2)
      getsockopt(sock, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (s->any)
      continue;
    int now = (int)if_nametoindex(s->device);
    if (now != ifindex) {
      say(s, ITS_WARNING,
          "capture on %s stopped: the interface was deleted%s; reopening",
          s->device, now > 0 ? " and created again" : "");
      return;
    }
    if (ev == 3)
      continue; /* a link event: the name is all it is looked for */
    int up = netif_is_up(s->device) != 0; /* unknown: as up */
    if (up == !down_said)
      continue;
    if (up)
      say(s, ITS_INFO, "capture on %s: the interface is up again", s->device);
    else
      say(s, ITS_WARNING,
          "capture on %s: the interface is down; counting resumes when it "
          "is up",
          s->device);
    down_said = !up;
  }
}

static void *source_thread(void *arg) {
  ebpf_source_t *s = arg;
  attach_history_t h = {.error_said = 0};
  retry_state_init(&h.retry);
  pthread_mutex_lock(&s->lock);
  int loaded = s->loaded;
  pthread_mutex_unlock(&s->lock);
  if (!loaded && !load_thread_part(s))
    return NULL;

  while (!stopping(s)) {
    int ifindex = s->any ? 0 : (int)if_nametoindex(s->device);
    attach_state_t st = ST_MISSING;
    char err[512] = "";
    int sock = -1;
    if (s->any || ifindex > 0)
      sock = attach(s, ifindex, &st, err, sizeof(err));
    if (sock < 0) {
      say_attach_failed(s, &h, st, err);
      if (wait_event(s, -1, s->cfg.retry_interval) == 1)
        break;
      continue;
    }
    say_attached(s, &h);
    watch(s, sock, ifindex);
    close(sock); /* detaches the program from this socket */
    set_running(s, 0, 0);
  }
  return NULL;
}

ebpf_source_t *ebpf_source_start(const capture_config_t *cfg,
                                 ebpf_status_t *status, char *err,
                                 size_t errlen) {
  *status = EBPF_FAILED;
  ebpf_source_t *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  s->cfg = *cfg;
  s->wake_fd = -1;
  s->link_fd = -1;
  pthread_mutex_init(&s->lock, NULL);
  retry_state_init(&s->load_retry);
  s->device = strdup(cfg->device ? cfg->device : "any");
  if (s->cfg.retry_interval <= 0)
    s->cfg.retry_interval = 1;
  if (s->device == NULL || ebpf_slots_build(&s->slots, cfg->ports) != 0) {
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  s->any = strcmp(s->device, "any") == 0;
  s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->wake_fd < 0) {
    snprintf(err, errlen, "eventfd: %s", strerror(errno));
    goto fail;
  }

  /* The first attempt here, so that the caller knows at once. */
  int errnum = 0;
  *status = ebpf_load_program(s, &errnum, err, errlen);
  if (*status != EBPF_OK) {
    if (!cfg->retry_load)
      goto fail;
    ebpf_load_failed(s, errnum, err);
  } else {
    s->loaded = 1; /* no thread yet */
  }

  if (!s->any)
    s->link_fd = netif_events_open();
  int rc = pthread_create(&s->thread, NULL, source_thread, s);
  if (rc != 0) {
    *status = EBPF_FAILED;
    snprintf(err, errlen, "cannot start a thread: %s", strerror(rc));
    goto fail;
  }
  s->thread_started = 1;
  return s;

fail:
  free_source(s);
  return NULL;
}

size_t ebpf_source_load_log(char *buf, size_t len) {
  return ebpf_libbpf_load_log(buf, len); /* this thread's last refusal */
}

int ebpf_source_snapshot(ebpf_source_t *s, port_counters_t *dst,
                         capture_stats_t *stats) {
  pthread_mutex_lock(&s->lock);
  int loaded = s->loaded;
  *stats = s->stats; /* no queue, so nothing is ever dropped */
  pthread_mutex_unlock(&s->lock);
  if (loaded) /* counters stay mapped until stop */
    ebpf_slots_to_counters(&s->slots, s->counters, dst);
  return 0;
}

void ebpf_source_stop(ebpf_source_t *s) {
  if (s == NULL)
    return;
  pthread_mutex_lock(&s->lock);
  s->stop = 1;
  pthread_mutex_unlock(&s->lock);
  uint64_t one = 1;
  if (write(s->wake_fd, &one, sizeof(one)) < 0) {
    /* a full eventfd still wakes the thread */
  }
  if (s->thread_started)
    pthread_join(s->thread, NULL);
  free_source(s);
}

/* --- the eBPF engine of capture_engine.h --- */

const int capture_ebpf_built = 1;

static void *engine_start(const capture_config_t *cfg, char *err,
                          size_t errlen) {
  ebpf_status_t st;
  return ebpf_source_start(cfg, &st, err, errlen);
}

static int engine_snapshot(void *engine, port_counters_t *dst,
                           capture_stats_t *st, int timeout_ms) {
  (void)timeout_ms; /* never blocks */
  return ebpf_source_snapshot(engine, dst, st);
}

static void engine_stop(void *engine) { ebpf_source_stop(engine); }

const capture_engine_ops_t capture_ebpf_engine = {engine_start, engine_snapshot,
                                                  engine_stop};
