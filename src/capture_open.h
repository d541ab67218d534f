/* capture_open: open a live capture the way a fast, exact counter needs it
 * (pcap_create, a big ring, TPACKET_V3 without immediate mode, a short
 * protocol-only kernel filter), or a capture file. */
#ifndef ITS_CAPTURE_OPEN_H
#define ITS_CAPTURE_OPEN_H

#include <pcap/pcap.h>
#include <stddef.h>

typedef struct {
  const char *device; /* interface or "any" */
  int snaplen;        /* bytes kept per packet */
  int buffer_bytes;   /* kernel ring */
  int timeout_ms;     /* block retire timeout */
  int promisc;
  const char *filter; /* NULL: the default TCP/UDP filter */
} capture_opts_t;

typedef enum {
  CAPTURE_OK = 0,
  CAPTURE_NO_DEVICE,  /* the interface does not exist (yet) */
  CAPTURE_IFACE_DOWN, /* it exists but is down (libpcap will not open it) */
  CAPTURE_NO_PERMISSION,
  CAPTURE_BAD_FILTER,
  CAPTURE_UNSUPPORTED_LINK,
  CAPTURE_FAILED,
} capture_status_t;

/* The kernel filter used when none is configured: TCP, UDP (fragments
 * included) and all of IPv6 (extension headers are walked in user space),
 * plus VLAN-tagged frames where the link type has tags. */
extern const char *const CAPTURE_DEFAULT_FILTER;
extern const char *const CAPTURE_DEFAULT_FILTER_NO_VLAN;

/* Checks that a filter compiles (for Ethernet); 0, or -1 with the reason. */
/* After reading a capture file stopped with an error (libpcap's
 * "truncated dump file", a damaged block): where, for the log and the
 * tool, as "cut short in packet N, at byte B (libpcap: ...)": packet N is
 * the first one not read whole (frames_read + 1), byte B where reading
 * stopped (the end of the readable data). One text, so that the plugin
 * and iptraf-services-count say the same. */
void capture_file_error_text(pcap_t *p, unsigned long long frames_read,
                             char *buf, size_t len);

int capture_filter_check(const char *filter, char *err, size_t errlen);

pcap_t *capture_open_live(const capture_opts_t *o, capture_status_t *status,
                          char *err, size_t errlen);
pcap_t *capture_open_file(const char *path, const char *filter,
                          capture_status_t *status, char *err, size_t errlen);

#endif
