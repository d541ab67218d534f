#include "capture_open.h"

#include <stdio.h>
#include <string.h>

#include "packet_decode.h"

/* Protocol numbers, not names: libpcap looks "\\tcp" up in /etc/protocols,
 * and where that file is missing (no netbase: minimal containers, an
 * initramfs) libpcap 1.10 compiles "ip proto \\tcp" silently as "ip proto
 * 0", and every IPv4 TCP/UDP packet is filtered out. Same program. */
const char *const CAPTURE_DEFAULT_FILTER =
    "ip proto 6 or ip proto 17 or ip6 or vlan";
const char *const CAPTURE_DEFAULT_FILTER_NO_VLAN =
    "ip proto 6 or ip proto 17 or ip6";

static capture_status_t set_filter(pcap_t *p, const char *filter, char *err,
                                   size_t errlen) {
  struct bpf_program prog;
  const char *f = filter ? filter : CAPTURE_DEFAULT_FILTER;
  if (pcap_compile(p, &prog, f, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    if (filter != NULL) {
      snprintf(err, errlen, "filter \"%s\": %s", filter, pcap_geterr(p));
      return CAPTURE_BAD_FILTER;
    }
    /* Link types without VLAN tags (loopback, raw IP) reject "vlan". */
    f = CAPTURE_DEFAULT_FILTER_NO_VLAN;
    if (pcap_compile(p, &prog, f, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      snprintf(err, errlen, "default filter: %s", pcap_geterr(p));
      return CAPTURE_BAD_FILTER;
    }
  }
  int rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    snprintf(err, errlen, "setting the filter: %s", pcap_geterr(p));
    return CAPTURE_FAILED;
  }
  return CAPTURE_OK;
}

pcap_t *capture_open_live(const capture_opts_t *o, capture_status_t *status,
                          char *err, size_t errlen) {
  char ebuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_create(o->device, ebuf);
  if (p == NULL) {
    snprintf(err, errlen, "%s", ebuf);
    *status = CAPTURE_FAILED;
    return NULL;
  }
  pcap_set_snaplen(p, o->snaplen);
  pcap_set_buffer_size(p, o->buffer_bytes);
  pcap_set_timeout(p, o->timeout_ms);
  pcap_set_promisc(p, o->promisc);
  /* Immediate mode stays off: it disables TPACKET_V3's block batching. */
  int rc = pcap_activate(p);
  if (rc < 0) {
    switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
      *status = CAPTURE_NO_DEVICE;
      break;
    case PCAP_ERROR_IFACE_NOT_UP:
      *status = CAPTURE_IFACE_DOWN;
      break;
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      *status = CAPTURE_NO_PERMISSION;
      break;
    default:
      *status = CAPTURE_FAILED;
    }
    snprintf(err, errlen, "%s",
             pcap_geterr(p)[0] ? pcap_geterr(p) : pcap_statustostr(rc));
    pcap_close(p);
    return NULL;
  }
  if (!packet_decode_supports(pcap_datalink(p))) {
    snprintf(err, errlen, "link type %s is not supported",
             pcap_datalink_val_to_name(pcap_datalink(p))
                 ? pcap_datalink_val_to_name(pcap_datalink(p))
                 : "?");
    *status = CAPTURE_UNSUPPORTED_LINK;
    pcap_close(p);
    return NULL;
  }
  *status = set_filter(p, o->filter, err, errlen);
  if (*status != CAPTURE_OK) {
    pcap_close(p);
    return NULL;
  }
  return p;
}

pcap_t *capture_open_file(const char *path, const char *filter,
                          capture_status_t *status, char *err, size_t errlen) {
  char ebuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_open_offline(path, ebuf);
  if (p == NULL) {
    snprintf(err, errlen, "%s", ebuf);
    *status = CAPTURE_FAILED;
    return NULL;
  }
  if (!packet_decode_supports(pcap_datalink(p))) {
    const char *name = pcap_datalink_val_to_name(pcap_datalink(p));
    snprintf(err, errlen, "%s: link type %s (%d) is not supported", path,
             name ? name : "unknown", pcap_datalink(p));
    *status = CAPTURE_UNSUPPORTED_LINK;
    pcap_close(p);
    return NULL;
  }
  /* A file is read whole: filtering in user space is as fast. */
  if (filter != NULL) {
    *status = set_filter(p, filter, err, errlen);
    if (*status != CAPTURE_OK) {
      pcap_close(p);
      return NULL;
    }
  }
  *status = CAPTURE_OK;
  return p;
}

int capture_filter_check(const char *filter, char *err, size_t errlen) {
  pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
  if (p == NULL) {
    snprintf(err, errlen, "cannot check the filter");
    return -1;
  }
  struct bpf_program prog;
  int rc = pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN);
  if (rc != 0)
    snprintf(err, errlen, "%s", pcap_geterr(p));
  else
    pcap_freecode(&prog);
  pcap_close(p);
  return rc == 0 ? 0 : -1;
}

void capture_file_error_text(pcap_t *p, unsigned long long frames_read,
                             char *buf, size_t len) {
  const char *why = pcap_geterr(p);
  FILE *f = pcap_file(p);
  long at = f ? ftell(f) : -1;
  const char *what = strstr(why, "truncated") ? "cut short" : "damaged";
  if (at >= 0)
    snprintf(buf, len, "%s in packet %llu, at byte %ld (libpcap: %s)", what,
             frames_read + 1, at, why);
  else
    snprintf(buf, len, "%s in packet %llu (libpcap: %s)", what, frames_read + 1,
             why);
}
