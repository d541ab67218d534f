#include "capture_source.h"
#include "its_message.h"

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture_open.h"
#include "netif.h"
#include "retry_state.h"

struct capture_source_s {
  capture_config_t cfg;
  char *device, *file, *filter;
  pthread_t thread;
  int thread_started;

  pthread_mutex_t lock; /* guards everything below, never the packet path */
  pthread_cond_t cond;
  pcap_t *handle; /* for pcap_breakloop from other threads */
  int stop;
  int done; /* the thread has ended */
  int snapshot_wanted;
  uint64_t snapshot_gen;
  port_counters_t snap;
  capture_stats_t snap_stats;

  /* Owned by the capture thread. */
  unsigned ifindex; /* of the device the open handle is bound to, 0: any */
  int if_down;      /* last reported state */
  port_counters_t live;
  uint64_t drops_closed, received_closed; /* from handles already closed */
  capture_stats_t stats;
};

/* Messages go to the configured log callback. */
#define say(s, sev, ...)                                                       \
  its_message((s)->cfg.log, (s)->cfg.ud, (sev), __VA_ARGS__)

static const char *what(const capture_source_t *s) {
  return s->file ? s->file : s->device;
}

typedef struct {
  port_counters_t *c;
  int dlt;
  uint64_t seen; /* frames handed to on_packet by this handle */
  int cut;       /* count only frames stamped up to `cutoff` */
  struct timeval cutoff;
} dispatch_ctx_t;

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
                      const u_char *bytes) {
  dispatch_ctx_t *ctx = (dispatch_ctx_t *)user;
  ctx->seen++;
  if (ctx->cut && timercmp(&h->ts, &ctx->cutoff, >))
    return;
  port_counters_count(ctx->c, ctx->dlt, bytes, h->caplen, h->len,
                      (uint32_t)h->ts.tv_sec);
}

/* Kernel statistics of the open handle, added to those of closed ones. */
static void update_kernel_stats(capture_source_t *s, pcap_t *p, int closing) {
  struct pcap_stat ps;
  if (p == NULL || s->file || pcap_stats(p, &ps) != 0)
    return;
  uint64_t drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
  s->stats.kernel_drops = s->drops_closed + drops;
  s->stats.kernel_received = s->received_closed + ps.ps_recv;
  if (closing) {
    s->drops_closed = s->stats.kernel_drops;
    s->received_closed = s->stats.kernel_received;
  }
}

/* Called by the capture thread with the lock held. */
static void serve_snapshot(capture_source_t *s, pcap_t *p) {
  if (!s->snapshot_wanted)
    return;
  update_kernel_stats(s, p, 0);
  port_counters_copy(&s->snap, &s->live);
  s->snap_stats = s->stats;
  s->snapshot_wanted = 0;
  s->snapshot_gen++;
  pthread_cond_broadcast(&s->cond);
}

/* Sleeps up to `seconds`, serving snapshots; returns non-zero on stop. */
static int idle_wait(capture_source_t *s, double seconds) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  long long ns = (long long)(seconds * 1e9);
  until.tv_sec += ns / 1000000000;
  until.tv_nsec += ns % 1000000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&s->lock);
  while (!s->stop) {
    serve_snapshot(s, NULL);
    if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
      break;
  }
  serve_snapshot(s, NULL);
  int stop = s->stop;
  pthread_mutex_unlock(&s->lock);
  return stop;
}

/* libpcap keeps capturing a device that was renamed, and reports nothing
 * while it is down. Checked once per snapshot (once per read): returns
 * non-zero when the handle must be reopened because the name now means
 * another device or none. */
static int check_interface(capture_source_t *s) {
  if (s->file || s->ifindex == 0)
    return 0;
  unsigned idx = if_nametoindex(s->device);
  if (idx != s->ifindex) {
    say(s, ITS_WARNING,
        "capture on %s: the interface was renamed or replaced; "
        "reopening it by name",
        s->device);
    return 1;
  }
  int up = netif_is_up(s->device);
  if (up >= 0) {
    int down = !up;
    if (down != s->if_down) {
      if (down)
        say(s, ITS_WARNING,
            "capture on %s: the interface is down; counting goes on "
            "when it comes up",
            s->device);
      else
        say(s, ITS_INFO, "capture on %s: the interface is up again", s->device);
      s->if_down = down;
    }
  }
  return 0;
}

/* Longest wait for the kernel to hand over what it already delivered: it
 * passes a partly filled TPACKET_V3 block to user space when the block's
 * timeout (the handle's, 100 ms) has run out once after the block was
 * opened, so within two timeouts. */
#define DRAIN_MS 250

static double mono_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The device went away, or the name now means another device or none: read
 * what the kernel delivered to the handle before it is closed. libpcap sees
 * a partly filled block only once the kernel retires it, so closing at once
 * lost the last tens of milliseconds of traffic before every deletion or
 * rename. Frames stamped after the change was noticed arrived on the device
 * under its new name and are not counted. Stops early once every frame the
 * kernel accepted has been read. Returns non-zero on stop. */
static int drain_before_close(capture_source_t *s, pcap_t *p,
                              dispatch_ctx_t *ctx) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  ctx->cutoff.tv_sec = now.tv_sec;
  ctx->cutoff.tv_usec = now.tv_nsec / 1000;
  ctx->cut = 1;
  double end = mono_now() + DRAIN_MS / 1000.0;
  for (;;) {
    struct pcap_stat ps;
    if (pcap_stats(p, &ps) == 0 && ps.ps_recv >= ps.ps_drop &&
        ctx->seen >= (uint64_t)(ps.ps_recv - ps.ps_drop))
      return 0; /* all the ring held */
    if (mono_now() >= end)
      return 0;
    int n = pcap_dispatch(p, -1, on_packet, (u_char *)ctx);
    pthread_mutex_lock(&s->lock);
    serve_snapshot(s, p);
    int stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    if (stop)
      return 1;
    if (n < 0 && n != PCAP_ERROR_BREAK) {
      /* "The interface disappeared" again, after libpcap's 1 ms poll; an
       * error that comes back at once must not spin. */
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, NULL);
    }
  }
}

static pcap_t *open_handle(capture_source_t *s, capture_status_t *st, char *err,
                           size_t errlen) {
  if (s->file)
    return capture_open_file(s->file, s->filter, st, err, errlen);
  capture_opts_t o = {.device = s->device,
                      .snaplen = s->cfg.snaplen,
                      .buffer_bytes = s->cfg.buffer_bytes,
                      .timeout_ms = 100,
                      .promisc = s->cfg.promisc,
                      .filter = s->filter};
  return capture_open_live(&o, st, err, errlen);
}

/* What the capture thread remembers between two handles. */
typedef struct {
  retry_state_t retry;
  int error_said; /* an ERROR since the last start: say how it ended */
  int ever_opened;
} open_history_t;

static int stopping(capture_source_t *s) {
  pthread_mutex_lock(&s->lock);
  int stop = s->stop;
  pthread_mutex_unlock(&s->lock);
  return stop;
}

/* One message per distinct error, not one per attempt. */
static void say_open_failed(capture_source_t *s, open_history_t *h,
                            capture_status_t st, const char *err) {
  if (!retry_state_failed(&h->retry, (int)st, err))
    return;
  if (st == CAPTURE_NO_DEVICE)
    say(s, ITS_WARNING,
        "capture on %s: the interface does not exist (yet); waiting for it",
        what(s));
  else if (st == CAPTURE_IFACE_DOWN)
    say(s, ITS_WARNING,
        "capture on %s: the interface is down; counting starts when it is up",
        what(s));
  else if (st == CAPTURE_NO_PERMISSION)
    say(s, ITS_ERROR,
        "capture on %s: permission denied (%s): capturing needs root or the "
        "CAP_NET_RAW capability for collectd; retrying",
        what(s), err);
  else
    say(s, ITS_ERROR, "capture on %s: %s%s", what(s), err,
        s->file ? "" : "; retrying");
  h->error_said |= st != CAPTURE_NO_DEVICE && st != CAPTURE_IFACE_DOWN;
}

static void say_opened(capture_source_t *s, open_history_t *h, pcap_t *p) {
  unsigned failed = retry_state_succeeded(&h->retry);
  char after[64];
  const char *link = pcap_datalink_val_to_name(pcap_datalink(p));
  retry_state_after_text(failed, h->error_said, after, sizeof(after));
  say(s, ITS_INFO, "capture on %s: %s (link type %s)%s", what(s),
      s->file ? "reading the file" : (h->ever_opened ? "resumed" : "started"),
      link ? link : "?", after);
  if (h->ever_opened)
    s->stats.reopens++;
  h->ever_opened = 1;
  h->error_said = 0;
}

/* Counts with the open handle p until stop, the end of a file, or an error
 * or interface change that wants a reopen (*reopen). Returns stop. */
static int count_with(capture_source_t *s, pcap_t *p, int *reopen) {
  s->ifindex = (s->file || strcmp(s->device, "any") == 0)
                   ? 0
                   : if_nametoindex(s->device);
  s->if_down = 0;
  pthread_mutex_lock(&s->lock);
  s->handle = p;
  s->stats.running = 1;
  /* A request made while the handle was being opened found no handle to
   * break: answer it now, before blocking in the first dispatch. */
  serve_snapshot(s, p);
  int stop = s->stop;
  pthread_mutex_unlock(&s->lock);

  dispatch_ctx_t ctx = {.c = &s->live, .dlt = pcap_datalink(p)};
  while (!stop) {
    int n = pcap_dispatch(p, -1, on_packet, (u_char *)&ctx);
    pthread_mutex_lock(&s->lock);
    int served = s->snapshot_wanted;
    serve_snapshot(s, p);
    stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    if (served && !stop && check_interface(s)) {
      *reopen = 1;
      break;
    }
    if (n == PCAP_ERROR_BREAK)
      continue;             /* a snapshot request or stop */
    if (n < 0 && s->file) { /* read once: what was read counts */
      char where[PCAP_ERRBUF_SIZE + 128];
      capture_file_error_text(p, ctx.seen, where, sizeof(where));
      say(s, ITS_WARNING, "capture file %s: %s", s->file, where);
      break;
    }
    if (n < 0) {
      say(s, ITS_WARNING, "capture on %s stopped: %s; reopening", what(s),
          pcap_geterr(p));
      *reopen = 1;
      break;
    }
    if (n == 0 && s->file)
      break; /* end of file */
  }
  if (*reopen && !stop && !s->file)
    stop = drain_before_close(s, p, &ctx);
  return stop;
}

static void close_handle(capture_source_t *s, pcap_t *p, int reopen) {
  pthread_mutex_lock(&s->lock);
  update_kernel_stats(s, p, 1);
  s->handle = NULL;
  s->stats.running = 0;
  if (s->file && !reopen) {
    s->stats.file_done = 1;
    say(s, ITS_INFO, "capture file %s counted: %llu frames", s->file,
        (unsigned long long)s->live.frames);
  }
  s->snapshot_wanted = 1;
  serve_snapshot(s, NULL);
  pthread_mutex_unlock(&s->lock);
  pcap_close(p);
}

static void *capture_thread(void *arg) {
  capture_source_t *s = arg;
  open_history_t h = {.error_said = 0};
  retry_state_init(&h.retry);
  while (!stopping(s)) {
    capture_status_t st;
    char err[512] = "";
    pcap_t *p = open_handle(s, &st, err, sizeof(err));
    if (p == NULL) {
      say_open_failed(s, &h, st, err);
      if (s->file) /* a file that cannot be read will not get better */
        break;
      if (idle_wait(s, s->cfg.retry_interval))
        break;
      continue;
    }
    say_opened(s, &h, p);
    int reopen = 0;
    int stop = count_with(s, p, &reopen);
    close_handle(s, p, reopen);
    if (stop || s->file)
      break;
    if (idle_wait(s, s->cfg.retry_interval))
      break;
  }
  /* Readers fall back to the published snapshot once the thread is gone:
   * publish the last counts. */
  pthread_mutex_lock(&s->lock);
  s->snapshot_wanted = 1;
  serve_snapshot(s, NULL);
  s->done = 1;
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

static void free_source(capture_source_t *s) {
  port_counters_destroy(&s->live);
  port_counters_destroy(&s->snap);
  free(s->device);
  free(s->file);
  free(s->filter);
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->cond);
  free(s);
}

capture_source_t *capture_source_start(const capture_config_t *cfg) {
  capture_source_t *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->cfg = *cfg;
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->cond, NULL);
  s->device = cfg->device ? strdup(cfg->device) : NULL;
  s->file = cfg->file ? strdup(cfg->file) : NULL;
  s->filter = cfg->filter ? strdup(cfg->filter) : NULL;
  if (s->cfg.retry_interval <= 0)
    s->cfg.retry_interval = 1;
  if (port_counters_init(&s->live, cfg->ports, cfg->frag_slots,
                         cfg->frag_ttl) != 0 ||
      port_counters_init(&s->snap, cfg->ports, 0, 0) != 0 ||
      (cfg->device && !s->device) || (cfg->file && !s->file)) {
    say(s, ITS_ERROR, "capture on %s: out of memory",
        cfg->file ? cfg->file : cfg->device);
    free_source(s);
    return NULL;
  }
  int rc = pthread_create(&s->thread, NULL, capture_thread, s);
  if (rc != 0) {
    say(s, ITS_ERROR, "capture on %s: cannot start a thread: %s", what(s),
        strerror(rc));
    free_source(s);
    return NULL;
  }
  s->thread_started = 1;
  return s;
}

int capture_source_snapshot(capture_source_t *s, port_counters_t *dst,
                            capture_stats_t *stats, int timeout_ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  int rc = 0;
  pthread_mutex_lock(&s->lock);
  uint64_t gen = s->snapshot_gen;
  s->snapshot_wanted = 1;
  if (s->handle)
    pcap_breakloop(s->handle);
  pthread_cond_broadcast(&s->cond);
  while (s->snapshot_gen == gen && !s->done) {
    if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT) {
      rc = -1; /* the thread is busy or gone: use the last snapshot */
      break;
    }
  }
  port_counters_copy(dst, &s->snap);
  *stats = s->snap_stats;
  pthread_mutex_unlock(&s->lock);
  return rc;
}

void capture_source_stop(capture_source_t *s) {
  if (s == NULL)
    return;
  pthread_mutex_lock(&s->lock);
  s->stop = 1;
  if (s->handle)
    pcap_breakloop(s->handle);
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->lock);
  if (s->thread_started)
    pthread_join(s->thread, NULL);
  free_source(s);
}

/* --- the libpcap engine of capture_engine.h --- */

static void *engine_start(const capture_config_t *cfg, char *err,
                          size_t errlen) {
  capture_source_t *s = capture_source_start(cfg);
  if (s == NULL)
    snprintf(err, errlen, "cannot start (see above)");
  return s;
}

static int engine_snapshot(void *engine, port_counters_t *dst,
                           capture_stats_t *st, int timeout_ms) {
  return capture_source_snapshot(engine, dst, st, timeout_ms);
}

static void engine_stop(void *engine) { capture_source_stop(engine); }

const capture_engine_ops_t capture_pcap_engine = {engine_start, engine_snapshot,
                                                  engine_stop};
